#!/usr/bin/env python
"""Loading benchmark: ``cm.load`` of a large roster CSV against ``pandas.read_csv`` + one validation pass.

Run from the repository root::

    python benchmarks/bench_load.py --rows 1e6

The script writes a synthetic graduates roster (GBK-free UTF-8 with BOM, as Excel's "CSV UTF-8"
writes it; 10 columns: 学号, 姓名, 届别, 专业名称, 培养模式, 毕业去向代码, 月收入（元）, 联系电话,
就业单位, 备注; a few hundred messy cells: full-width digits, 万元 amounts, Excel-mangled codes,
duplicates, unknown codes) to ``benchmarks/cache/`` and runs, each in its own subprocess so that
the peak memory is that variant's own (``VmHWM``, interpreter and imports included):

* ``pandas-baseline`` -- ``pandas.read_csv(path, dtype=str)`` plus one vectorised validation pass:
  required cells present, year and salary parsed with ``to_numeric``, codes checked with ``isin``,
  duplicate keys with ``duplicated``; no repair, no report rows.
* ``coopmetrics-load`` -- ``coopmetrics.load(path)``: encoding and delimiter sniffing, header
  detection, personal data dropped, every cell normalised (each distinct value once), totals
  rows, duplicates, codes, the full validation report and the row accounting.

It prints wall time (work only, imports excluded) and peak memory, the ratio, and checks that the
row accounting adds up. Targets (issue 15/17): ratio <= 2, peak <= 1.5 GiB at 1,000,000 rows.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

CACHE = Path(__file__).parent / "cache"


def make_roster(path: Path, rows: int, seed: int = 7) -> Path:
    """Write the synthetic roster (vectorised; a million rows in a few seconds)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    majors = np.array(["数控技术", "会计", "机电一体化技术", "护理", "电子商务", "软件技术", "汽车检测与维修技术",
                       "学前教育", "物流管理", "建筑工程技术"])
    codes = np.array(["10", "11", "12", "46", "50", "70", "71", "80", "85"])
    ids = np.char.add("2024", np.char.zfill(np.arange(rows).astype(str), 8))
    frame = pd.DataFrame({
        "学号": ids,
        "姓名": np.char.add("学生", (np.arange(rows) % 9973).astype(str)),
        "届别": rng.choice(np.array(["2023", "2024", "2024届"]), rows),
        "专业名称": rng.choice(majors, rows),
        "培养模式": rng.choice(np.array(["普通班", "订单班", "现代学徒制", ""]), rows),
        "毕业去向代码": rng.choice(codes, rows),
        "月收入（元）": (rng.integers(25, 90, rows) * 100).astype(str),
        "联系电话": np.char.add("138", np.char.zfill((np.arange(rows) % 10**8).astype(str), 8)),
        "就业单位": rng.choice(np.array([f"企业{i}" for i in range(500)]), rows),
        "备注": rng.choice(np.array(["", "", "", "已核实", "待补充材料"]), rows),
    })
    k = max(rows // 5000, 1)  # messy cells, at known rows
    frame.loc[frame.index[:k], "月收入（元）"] = "0.45万"
    frame.loc[frame.index[k:2 * k], "毕业去向代码"] = "1.0E+1"
    frame.loc[frame.index[2 * k:3 * k], "毕业去向代码"] = "99"
    frame.loc[frame.index[3 * k:4 * k], "月收入（元）"] = "４５００"
    frame.loc[frame.index[4 * k:5 * k], "学号"] = frame["学号"].iloc[5 * k:6 * k].to_numpy()  # duplicates
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    return path


BASELINE = r"""
import pandas as pd, numpy as np
f = pd.read_csv(PATH, dtype=str, keep_default_na=False)
required = ["学号", "届别", "专业名称", "毕业去向代码"]
blank = (f[required] == "").any(axis=1)
year = pd.to_numeric(f["届别"].str.slice(0, 4), errors="coerce")
salary = pd.to_numeric(f["月收入（元）"], errors="coerce")
known = f["毕业去向代码"].isin(["10", "11", "12", "46", "50", "70", "71", "80", "85"])
dup = f.duplicated(["学号", "届别"])
bad = blank | year.isna() | dup
RESULT = {"rows": len(f), "excluded": int(bad.sum()), "unknown": int((~known).sum()),
          "salary_nan": int(salary.isna().sum())}
"""

LOAD = r"""
import coopmetrics as cm
ds = cm.load(PATH)
acc = ds.accounting
assert (acc["rows_read"] == acc["kept"] + acc["excluded"]).all()
RESULT = {"rows": int(acc["rows_read"].sum()), "kept": int(acc["kept"].sum()),
          "excluded": int(acc["excluded"].sum()), "problems": len(ds.validation)}
"""


def run(variant: str, path: Path) -> dict:
    """One variant in a fresh interpreter: (seconds, peak MiB, result)."""
    code = BASELINE if variant == "pandas-baseline" else LOAD
    script = (
        "import time, json, sys\n"
        "import pandas, numpy\n"
        + ("import coopmetrics\n" if variant != "pandas-baseline" else "")
        + f"PATH = {str(path)!r}\n"
        "t0 = time.perf_counter()\n"
        + code
        + "\nsec = time.perf_counter() - t0\n"
        "peak = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
        "print(json.dumps({'seconds': sec, 'peak_mib': int(peak) / 1024, 'result': RESULT}))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=float, default=1e6)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args(argv)
    rows = int(args.rows)
    path = CACHE / f"roster_{rows}.csv"
    if not path.exists():
        t = time.perf_counter()
        make_roster(path, rows)
        print(f"wrote {path} ({path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - t:.1f} s")
    res: dict[str, list[dict]] = {"pandas-baseline": [], "coopmetrics-load": []}
    for _ in range(args.repeat):
        for v in res:
            res[v].append(run(v, path))
    print(f"{'variant':<18} {'seconds':>8} {'peak MiB':>9}  result")
    med = {}
    for v, runs in res.items():
        sec = float(np.median([r["seconds"] for r in runs]))
        peak = max(r["peak_mib"] for r in runs)
        med[v] = (sec, peak)
        print(f"{v:<18} {sec:>8.2f} {peak:>9.0f}  {runs[-1]['result']}")
    ratio = med["coopmetrics-load"][0] / med["pandas-baseline"][0]
    print(f"time ratio load / baseline: {ratio:.2f} (target <= 2); peak {med['coopmetrics-load'][1]:.0f} MiB "
          f"(target <= 1536)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
