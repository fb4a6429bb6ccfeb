"""Benchmark: covariate-adjusted comparisons against the unadjusted ones, in one run.

On the generated graduate panel (:func:`bench_scale.ensure_panel`, Parquet, cached) each
variant runs in a fresh Python process (imports outside the timed region) on a DuckDB scan
of the folder and reports its wall time and its own peak resident memory (``VmHWM``, see
:func:`bench_scale._own_peak_gib`):

* ``unadjusted`` -- ``compare(scan, "placement_rate", cohort="program", reference="regular",
                    by=["grad_year", "college"])``: closed forms on group totals;
* ``adjusted``   -- the same with ``adjust=["entry_score", "major", "gender", "admission"]``
                    (doubly robust AIPW, ATT: the vectorised path over the cells of a chunk,
                    ``coopmetrics.adjust_batch``, with the per-cell route for the cells it
                    cannot certify);
* ``adjusted-ra`` -- the same with ``method="ra"`` (one pooled logit per cell);
* ``adjusted-mean`` -- ``compare(scan, "salary_mean", ..., adjust=ADJUST)``: a mean outcome
                    (default ``auto`` = regression adjustment, Lin's OLS per arm, ATT; the
                    vectorised OLS path of ``coopmetrics.adjust_batch_ols``);
* ``unadjusted-mean`` -- the same without ``adjust`` (Welch on group moments).

The ratio ``adjusted / unadjusted`` is the figure of issue 16 (target ≤ 10 at 10M rows,
peak ≤ 2 GiB). ``--profile`` prints the adjusted run's cProfile (top functions by
cumulative time) instead of timing it.

Usage::

    python benchmarks/bench_adjusted.py --rows 1e6
    python benchmarks/bench_adjusted.py --rows 1e6 --only adjusted --profile

The machine is shared: figures are wall times of one run each (``--repeat`` for medians).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from statistics import median
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_scale as bs  # noqa: E402

VARIANTS = ("unadjusted", "adjusted", "adjusted-ra", "adjusted-mean", "unadjusted-mean")
BY = ["grad_year", "college"]
ADJUST = ["entry_score", "major", "gender", "admission"]


def _run(variant: str, path: Path) -> tuple[int, int]:
    from coopmetrics import engines
    from coopmetrics.compare import compare

    scan = engines.scan(path, "duckdb")
    kw: dict[str, Any] = dict(cohort="program", reference="regular", by=BY)
    if variant.startswith("adjusted"):
        kw["adjust"] = ADJUST
    if variant == "adjusted-ra":
        kw["method"] = "ra"
    indicator = "salary_mean" if variant.endswith("-mean") else "placement_rate"
    table = compare(scan, indicator, **kw).table
    return len(table), int(table["difference"].notna().sum())


def _child(variant: str, folder: str, profile: bool) -> None:
    import duckdb  # noqa: F401
    import scipy.stats  # noqa: F401
    import statsmodels.api  # noqa: F401

    import coopmetrics
    import coopmetrics.adjust
    import coopmetrics.compare  # noqa: F401

    if profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
    t0 = time.perf_counter()
    rows, estimated = _run(variant, Path(folder))
    seconds = time.perf_counter() - t0
    if profile:
        prof.disable()
        pstats.Stats(prof, stream=sys.stderr).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(40)
    print(json.dumps({"variant": variant, "seconds": seconds, "rows_out": rows, "estimated": estimated,
                      "peak_rss_gib": bs._own_peak_gib()}))


def run_variant(variant: str, folder: Path, profile: bool = False) -> dict[str, Any]:
    """Run ``variant`` in a fresh process; its wall time and own peak RSS."""
    return bs.run_child(__file__, variant, folder, *(["--profile"] if profile else []))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=float, default=1e6)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--only", nargs="*", choices=VARIANTS)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--json", type=Path, help="write the records here")
    ap.add_argument("--_child")
    ap.add_argument("--_folder")
    args = ap.parse_args(argv)
    if args._child:
        _child(args._child, args._folder, args.profile)
        return 0
    n = int(args.rows)
    folder = bs.ensure_panel(n)
    variants = list(args.only or VARIANTS[:2])
    runs: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    for _ in range(args.repeat):  # alternate the variants so that machine noise hits all alike
        for v in variants:
            runs[v].append(run_variant(v, folder, args.profile and v != "unadjusted"))
    rec = {v: {"seconds": median(r["seconds"] for r in rs), "peak_rss_gib": max(r["peak_rss_gib"] or 0 for r in rs),
               "rows_out": rs[0]["rows_out"], "estimated": rs[0]["estimated"]} for v, rs in runs.items()}
    base = rec.get("unadjusted", {}).get("seconds")
    print(f"rows = {n:,}")
    print(f"{'variant':<12} {'seconds':>9} {'peak GiB':>9} {'x unadj':>8} {'cells':>7} {'estimated':>10}")
    for v, r in rec.items():
        xs = f"{r['seconds'] / base:8.2f}" if base else "       -"
        print(f"{v:<12} {r['seconds']:9.2f} {r['peak_rss_gib']:9.2f} {xs} {r['rows_out']:7d} {r['estimated']:10d}")
    if args.json:
        args.json.write_text(json.dumps({"rows": n, "records": rec}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
