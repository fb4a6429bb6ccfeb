"""Benchmark: the provincial-scale jobs beyond the indicator suite, as ratios in one run.

On a generated graduate panel (:func:`bench_scale.ensure_panel`, Parquet, cached) every
variant runs in a fresh Python process (imports outside the timed region) and reports its
wall time and its own peak resident memory (``VmHWM``, see :func:`bench_scale._own_peak_gib`):

* ``suite``        -- ``compute(SUITE, by=year x college x major x program)`` on a DuckDB scan:
                      the mean suite's group-by pass, the yardstick of the ratios;
* ``boot-means``   -- ``compare("salary_mean", by=year x college x major, n_boot=2000)`` on the
                      DuckDB scan: Welch from group totals; bootstrap CI by the hybrid (default
                      ``bootstrap_exact_max=30``): arms of <= 30 graduates resample engine counts
                      of distinct salaries (Poisson weights per cell), larger arms draw from
                      engine power sums (Cornish-Fisher normal, flagged);
* ``boot-means-exact`` -- the same with ``bootstrap_exact_max=None``: every arm exact (the
                      previous route; slow at 10M);
* ``boot-means-unit`` -- the same comparison through unit values in pandas (``_unit_level``),
                      still with the counts bootstrap: what the engine route saves;
* ``did``          -- ``partnership_effect(placement_rate, unit=college)`` with a fixed staggered
                      start per college: cells from one engine group-by, 999 cluster replicates;
* ``did-unit``     -- the same from unit values averaged in pandas (the previous route);
* ``median``       -- ``compute("salary_median", by=...)``: engine ranks, order-statistic CI;
* ``mean``         -- ``compute("salary_mean", by=...)``: the same population, a mean.

Usage::

    python benchmarks/bench_jobs.py --rows 1e6            # all variants at 1M rows
    python benchmarks/bench_jobs.py --rows 1e7 --only boot-means did

The machine is shared: figures are wall times of one run each (``--repeat`` for medians).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from statistics import median
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_scale as bs  # noqa: E402

VARIANTS = ("suite", "boot-means", "boot-means-exact", "boot-means-unit", "did", "did-unit", "median", "mean")
N_BOOT = 2000
DID_BOOT = 999


def did_starts(colleges: list[str]) -> dict[str, int]:
    """A fixed staggered adoption: a quarter of the colleges never start, the rest in 2017-2022."""
    years = [None, 2017, 2018, 2019, 2020, 2021, 2022, None]
    return {c: years[i % len(years)] for i, c in enumerate(sorted(colleges)) if years[i % len(years)] is not None}


def _run(variant: str, path: Path) -> int:
    import coopmetrics as cm
    from coopmetrics import engines
    from coopmetrics.compare import compare
    from coopmetrics.did import partnership_effect, partnership_effect_values

    scan = engines.scan(path, "duckdb")
    if variant == "suite":
        return len(cm.compute(scan, bs.SUITE, by=bs.BY))
    if variant in ("median", "mean"):
        return len(cm.compute(scan, [f"salary_{variant}"], by=bs.BY))
    if variant.startswith("boot-means"):
        exact_max = None if variant.endswith("exact") else 30
        res = compare(scan, "salary_mean", by=bs.CMP_BY, n_boot=N_BOOT, bootstrap_exact_max=exact_max,
                      _unit_level=variant.endswith("unit"))
        return len(res.table)
    colleges = [str(c) for c in cm.compute(scan, ["graduates_total"], by=["college"])["college"]]
    start = did_starts(colleges)
    if variant == "did":
        res = partnership_effect(scan, "placement_rate", start=start, unit="college", n_boot=DID_BOOT)
    else:  # the previous route: unit values in pandas, averaged per cell
        v = cm.unit_values(scan, "placement_rate", columns=("college", "grad_year"))
        res = partnership_effect_values(v, start=start, indicator="placement_rate", unit="college",
                                        n_boot=DID_BOOT)
    return len(res.group_time)


def _child(variant: str, folder: str) -> None:
    import duckdb  # noqa: F401
    import polars  # noqa: F401
    import scipy.stats  # noqa: F401

    import coopmetrics
    import coopmetrics.compare
    import coopmetrics.did  # noqa: F401

    t0 = time.perf_counter()
    rows = _run(variant, Path(folder))
    seconds = time.perf_counter() - t0
    print(json.dumps({"variant": variant, "seconds": seconds, "rows_out": rows, "peak_rss_gib": bs._own_peak_gib()}))


def run_variant(variant: str, folder: Path) -> dict[str, Any]:
    """Run ``variant`` in a fresh process; its wall time and own peak RSS."""
    return bs.run_child(__file__, variant, folder)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=float, default=1e6)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--only", nargs="*", choices=VARIANTS)
    ap.add_argument("--json", type=Path, help="write the records here")
    ap.add_argument("--_child")
    ap.add_argument("--_folder")
    args = ap.parse_args(argv)
    if args._child:
        _child(args._child, args._folder)
        return 0
    n = int(args.rows)
    folder = bs.ensure_panel(n)
    variants = list(args.only or VARIANTS)
    runs: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    for _ in range(args.repeat):  # alternate the variants so that machine noise hits all alike
        for v in variants:
            runs[v].append(run_variant(v, folder))
    rec = {v: {"seconds": median(r["seconds"] for r in rs), "peak_rss_gib": max(r["peak_rss_gib"] or 0 for r in rs),
               "rows_out": rs[0]["rows_out"]} for v, rs in runs.items()}
    base = rec.get("suite", {}).get("seconds")
    mean = rec.get("mean", {}).get("seconds")
    print(f"rows = {n:,}")
    print(f"{'variant':<16} {'seconds':>9} {'peak GiB':>9} {'x suite':>8} {'x mean':>8}")
    for v, r in rec.items():
        xs = f"{r['seconds'] / base:8.2f}" if base else "       -"
        xm = f"{r['seconds'] / mean:8.2f}" if mean else "       -"
        print(f"{v:<16} {r['seconds']:9.2f} {r['peak_rss_gib']:9.2f} {xs} {xm}")
    if args.json:
        args.json.write_text(json.dumps({"rows": n, "records": rec}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
