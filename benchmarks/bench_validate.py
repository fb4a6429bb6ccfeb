#!/usr/bin/env python
"""Validation at engine speed (issue 17): ``cm.load`` + ``compute`` vs ``engines.scan`` + ``compute``.

Run from the repository root::

    python benchmarks/bench_validate.py --rows 1e6 1e7

For every size the script writes (once, cached under ``benchmarks/cache/``, git-ignored) a
single graduates Parquet file of 8 columns with problems planted at known rates (blank ids,
repeated ids, unknown destination codes, negative salaries, impossible years), written in
row groups so generation never holds the file in memory, then runs in fresh processes:

* ``scan``         -- ``compute(engines.scan(file, "duckdb"), "placement_rate", by=BY)``: no validation;
* ``load-duckdb``  -- ``cm.load(file, lazy="duckdb", first_k=20)`` (text columns normalised per
  distinct value, the key-hash pass, the offending-rows pass, a few rows read back by row number:
  exact counts and accounting, first 20 rows per rule) then the same ``compute`` on the returned relation;
* ``load-polars``  -- the same with ``lazy="polars"`` (``--polars``).

It prints wall time (imports excluded; the median of ``--repeat`` alternating runs), the peak resident memory of each child's own address
space (``VmHWM``, as in ``bench_scale.py``), the ratio to ``scan``, and checks that the
accounting of the load adds up (``rows_read == kept + excluded == n``) and that the excluded
rows lie within the planted truth (impossible years and blank ids exactly; repeated ids only
when the twin row drew the same year, so between 0 and the planted number).

The machine is shared (2 cores, six engineers): read ratios measured in one run.
The file's text columns (学号, codes, 性别 男/女 ...) are stored as text, as a school system writes them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CACHE = HERE / "cache"
BY = ["grad_year", "major"]
ROW_GROUP = 1_000_000
#: planted problem rates (per row, at fixed strides so the truth is known exactly)
STRIDE_BLANK_ID, STRIDE_DUP, STRIDE_UNKNOWN, STRIDE_NEG, STRIDE_YEAR = 997, 1009, 101, 211, 4999


def panel_file(n: int) -> Path:
    """Write (once) the ``n``-row graduates Parquet file with planted problems."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = CACHE / f"validate_{n}.parquet"
    if path.exists():
        return path
    CACHE.mkdir(exist_ok=True)
    rng = np.random.default_rng(17)
    majors = np.array([f"专业{i:03d}" for i in range(300)])
    codes = np.array(["10", "11", "12", "27", "46", "50", "70", "75", "80"])
    tmp = path.with_suffix(".tmp")
    writer = None
    for start in range(0, n, ROW_GROUP):
        idx = np.arange(start, min(n, start + ROW_GROUP))
        m = len(idx)
        ids = np.char.add("S", idx.astype(str)).astype(object)
        dup = idx % STRIDE_DUP == 1
        ids[dup] = np.char.add("S", (idx[dup] - 1).astype(str))  # same id as the row before
        ids[idx % STRIDE_BLANK_ID == 5] = None
        year = rng.integers(2019, 2025, m).astype(np.int16)
        year[idx % STRIDE_YEAR == 7] = 1990
        dest = codes[rng.integers(0, len(codes), m)].astype(object)
        dest[idx % STRIDE_UNKNOWN == 3] = "99"
        salary = rng.normal(5000, 1200, m).round()
        salary[idx % STRIDE_NEG == 9] = -1.0
        table = pa.table({
            "学号": pa.array(ids, pa.string()), "届别": year, "专业名称": majors[rng.integers(0, 300, m)],
            "毕业去向代码": pa.array(dest, pa.string()), "月收入": salary,
            "性别": np.where(rng.random(m) < 0.5, "男", "女"), "学校名称": np.full(m, "示范职业技术学院"),
            "合作企业": np.where(rng.random(m) < 0.3, "甲公司", "乙集团"),
        })
        if writer is None:
            writer = pq.ParquetWriter(tmp, table.schema, compression="snappy")
        writer.write_table(table)
    writer.close()
    tmp.rename(path)
    return path


def expected_excluded(n: int) -> int:
    """Rows the rules must exclude, from the planting strides (order: year, blank id, duplicate)."""
    idx = np.arange(n)
    year = idx % STRIDE_YEAR == 7
    blank = (idx % STRIDE_BLANK_ID == 5) & ~year
    dup = (idx % STRIDE_DUP == 1) & ~year & ~blank
    # a duplicate whose earlier twin (row - 1) was excluded is no duplicate any more; nor is one whose year
    # differs from its twin's (the key is 学号 + 届别): counted exactly by the child instead
    return int(year.sum() + blank.sum()), int(dup.sum())


def _own_peak_gib() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return None


def _child(variant: str, path: str) -> None:
    import duckdb  # noqa: F401
    import polars  # noqa: F401

    import coopmetrics as cm
    from coopmetrics import engines

    t0 = time.perf_counter()
    info: dict = {"variant": variant}
    if variant == "scan":
        res = cm.compute(engines.scan(path, "duckdb"), "placement_rate", by=BY)
    else:
        ds = cm.load(path, lazy=variant.removeprefix("load-"), first_k=20)
        t1 = time.perf_counter()
        res = cm.compute(ds["graduates"], "placement_rate", by=BY)
        info["load_seconds"] = t1 - t0
        acc = ds.accounting.iloc[0]
        info.update(rows_read=int(acc["rows_read"]), kept=int(acc["kept"]), excluded=int(acc["excluded"]),
                    fixed=int(acc["fixed"]), report_rows=len(ds.validation),
                    counts={f"{p}/{c}": int(r) for p, c, r in
                            ds.validation_counts[["problem", "column", "rows"]].itertuples(index=False)})
    info["seconds"] = time.perf_counter() - t0
    info["denominator"] = int(res["denominator"].sum())
    info["peak_rss_gib"] = _own_peak_gib()
    print(json.dumps(info, ensure_ascii=False))


def run(variant: str, path: Path) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_child", variant, "--_path", str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{variant} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", nargs="+", type=float, default=[1e6])
    ap.add_argument("--polars", action="store_true", help="also run cm.load(lazy='polars')")
    ap.add_argument("--repeat", type=int, default=1, help="alternating runs per variant; medians reported")
    ap.add_argument("--_child")
    ap.add_argument("--_path")
    args = ap.parse_args()
    if args._child:
        _child(args._child, args._path)
        return
    print(f"# {os.cpu_count()} cores (shared), load average {os.getloadavg()[0]:.1f}")
    for n in (int(r) for r in args.rows):
        t0 = time.perf_counter()
        path = panel_file(n)
        print(f"\n## {n:,} rows ({path.stat().st_size / 1024**2:.0f} MiB Parquet, ready in "
              f"{time.perf_counter() - t0:.1f} s)")
        variants = ["scan", "load-duckdb"] + (["load-polars"] if args.polars else [])
        runs: dict[str, list[dict]] = {v: [] for v in variants}
        for _ in range(args.repeat):  # alternate, so machine noise hits every variant alike
            for v in variants:
                runs[v].append(run(v, path))
        res = {}
        for v, rs in runs.items():
            med = sorted(rs, key=lambda r: r["seconds"])[len(rs) // 2]
            res[v] = {**med, "peak_rss_gib": max(r["peak_rss_gib"] for r in rs)}
        hard, dups = expected_excluded(n)
        for v in variants:
            r = res[v]
            ratio = r["seconds"] / res["scan"]["seconds"]
            extra = ""
            if v != "scan":
                assert r["rows_read"] == n == r["kept"] + r["excluded"], r
                assert hard <= r["excluded"] <= hard + dups, (r["excluded"], hard, dups)
                extra = (f"  load {r['load_seconds']:.2f} s; excluded {r['excluded']:,}, fixed {r['fixed']:,}, "
                         f"report {r['report_rows']} rows")
            print(f"{v:<12} {r['seconds']:7.2f} s  {ratio:5.2f}x  peak {r['peak_rss_gib']:.2f} GiB{extra}")
        if "load-duckdb" in res:
            print("counts:", json.dumps(res["load-duckdb"]["counts"], ensure_ascii=False))


if __name__ == "__main__":
    main()
