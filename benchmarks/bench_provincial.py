#!/usr/bin/env python
"""Benchmark: the provincial report (one workbook per college) against the full-suite compute, in one run.

Run from the repository root::

    python benchmarks/bench_provincial.py --rows 1e6            # 100 colleges, 1M graduate rows
    python benchmarks/bench_provincial.py --rows 1e7 --colleges 100

The panel (cached under ``benchmarks/cache/provincial_<rows>_c<colleges>/``) is built from
the shipped sample generator: college ``i`` is :func:`coopmetrics.sample.generate` with seed
``i`` (every table: graduates, survey, teachers, enterprises …, 2019–2024), its graduates
sampled or tiled (学号 made unique per copy) to ``rows / colleges`` rows, a ``college``
column in every table. It is written in the layout of :func:`coopmetrics.convert` (one
Parquet part per college and table), so the report opens it lazily without re-validating.

Variants, each in a fresh process (imports outside the timed region), wall time and the
process's own peak resident memory (``VmHWM``, :func:`bench_scale._own_peak_gib`):

* ``suite``      -- ``compute(every graduates indicator, by=("college", "grad_year"))`` on the
                    lazy panel;
* ``suite-all``  -- ``compute(every indicator of the registry, by=("college", "grad_year"))``
                    (survey raked per college, teachers, enterprises … too): the full-suite
                    compute, the yardstick of issue 16's target (report <= 3x, <= 2 GiB);
* ``report``     -- ``coopmetrics report PANEL --per college``: :func:`load_panel`,
                    :func:`build_college_reports` and one workbook per college written to a
                    temporary folder by :func:`write_workbooks` (``WORKERS`` processes; no
                    HTML, no partner evaluation: the CLI defaults). Its phases (compute once,
                    compare once, per college) are printed too. The writers' memory is not in
                    the process's ``VmHWM`` (each holds one report).

The machine is shared (2 cores): read the ratios of one run.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_scale as bs  # noqa: E402

VARIANTS = ("suite", "suite-all", "report")
#: Worker processes writing the workbooks (``--workers``).
WORKERS = 2
YEAR = 2024


def panel_dir(rows: int, colleges: int) -> Path:
    return bs.CACHE / f"provincial_{rows}_c{colleges}"


def ensure_panel(rows: int, colleges: int = 100) -> Path:
    """Write the panel unless cached (one college at a time: memory is one college's tables)."""
    import numpy as np
    import pandas as pd

    import coopmetrics as cm
    from coopmetrics.convert import MARKER, _write

    folder = panel_dir(rows, colleges)
    if (folder / MARKER).exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    per = rows // colleges
    counts: dict[str, int] = {}
    t0 = time.perf_counter()
    for i in range(colleges):
        ds = cm.sample.generate(seed=1000 + i)
        name = f"省示例第{i + 1:03d}职业技术学院"
        rng = np.random.default_rng(i)
        for t in ds.tables:
            df = ds[t]
            if t == "graduates":
                n = len(df)
                if per <= n:
                    df = df.iloc[np.sort(rng.choice(n, per, replace=False))]
                else:  # tiled copies; 学号 stay unique, the survey links to the first copy
                    k = -(-per // n)
                    parts = [df.assign(student_id=df["student_id"].astype(str) + (f"-{j}" if j else ""))
                             for j in range(k)]
                    df = pd.concat(parts, ignore_index=True).iloc[:per]
            df = df.assign(college=name)
            if "student_id" in df.columns:
                df["student_id"] = f"{i:03d}-" + df["student_id"].astype(str)
            counts[t] = counts.get(t, 0) + _write(df, folder / t / f"part-{i:04d}.parquet")
        print(f"\r  college {i + 1}/{colleges} ({time.perf_counter() - t0:.0f} s)", end="", file=sys.stderr)
    print(file=sys.stderr)
    empty = cm.Dataset()
    _write(empty.validation, folder / "_validation.parquet")
    _write(empty.validation_counts, folder / "_validation_counts.parquet")
    _write(empty.accounting, folder / "_accounting.parquet")
    (folder / MARKER).write_text(json.dumps({"format": 1, "source": "bench_provincial", "tables": counts,
                                             "per_college": True}, ensure_ascii=False), encoding="utf-8")
    return folder


def _run(variant: str, folder: Path) -> dict[str, Any]:
    import coopmetrics as cm
    from coopmetrics.convert import open_converted

    if variant in ("suite", "suite-all"):
        ds = open_converted(folder)
        reg = cm.indicators()
        ids = list(reg["id"] if variant == "suite-all" else reg.loc[reg["table"] == "graduates", "id"])
        return {"rows_out": len(cm.compute(ds, ids, by=("college", "grad_year"))), "indicators": len(ids)}
    from coopmetrics.report.panel import build_college_reports, load_panel, write_workbooks

    phases: dict[str, float] = {}
    clock = {"phase": "load", "t": time.perf_counter()}

    def tick(phase: str, college: str | None = None) -> None:
        now = time.perf_counter()
        phases[clock["phase"]] = phases.get(clock["phase"], 0.0) + now - clock["t"]
        clock.update(phase=phase, t=now)

    with tempfile.TemporaryDirectory() as out:
        data = load_panel(folder)
        # workbooks written by a pool of WORKERS processes while the next reports are built
        n = len(write_workbooks(build_college_reports(data, YEAR, progress=tick), out, workers=WORKERS))
        tick("done")
    phases["per_college"] = phases.pop("college", 0.0)
    return {"rows_out": n, "phases": phases}


def _child(variant: str, folder: str) -> None:
    import duckdb  # noqa: F401
    import scipy.stats  # noqa: F401
    import statsmodels.api  # noqa: F401

    import coopmetrics.compare
    import coopmetrics.compute
    import coopmetrics.report.excel  # noqa: F401

    t0 = time.perf_counter()
    info = _run(variant, Path(folder))
    info.update(variant=variant, seconds=time.perf_counter() - t0, peak_rss_gib=bs._own_peak_gib())
    print(json.dumps(info))


def run_variant(variant: str, folder: Path) -> dict[str, Any]:
    """Run ``variant`` in a fresh process; its wall time and own peak RSS."""
    return bs.run_child(__file__, variant, folder)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=float, default=1e6, help="graduate rows of the panel")
    ap.add_argument("--colleges", type=int, default=100)
    ap.add_argument("--only", nargs="*", choices=VARIANTS)
    ap.add_argument("--json", type=Path, help="write the records here")
    ap.add_argument("--_child")
    ap.add_argument("--_folder")
    args = ap.parse_args(argv)
    if args._child:
        _child(args._child, args._folder)
        return 0
    rows = int(args.rows)
    folder = ensure_panel(rows, args.colleges)
    rec = {v: run_variant(v, folder) for v in (args.only or VARIANTS)}
    base = rec.get("suite", {}).get("seconds")
    base_all = rec.get("suite-all", {}).get("seconds")
    print(f"graduate rows = {rows:,}, colleges = {args.colleges}")
    print(f"{'variant':<10} {'seconds':>9} {'peak GiB':>9} {'x suite':>8} {'x suite-all':>12}  out")
    for v, r in rec.items():
        xs = f"{r['seconds'] / base:8.2f}" if base else "       -"
        xa = f"{r['seconds'] / base_all:12.2f}" if base_all else "           -"
        print(f"{v:<10} {r['seconds']:9.2f} {r['peak_rss_gib'] or 0:9.2f} {xs} {xa}  {r['rows_out']}")
    if "report" in rec:
        print("report phases (s): " + ", ".join(f"{k} {v:.2f}" for k, v in rec["report"]["phases"].items())
              + f" ({WORKERS} workbook writers)")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "colleges": args.colleges, "records": rec}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
