#!/usr/bin/env python
"""Time each phase of ``coopmetrics report`` on the shipped sample (issue 12, item 7).

Run from the repository root::

    python benchmarks/bench_report.py            # one run with a cold, then a warm font cache
    python benchmarks/bench_report.py --json     # machine-readable

Phases are those of the CLI's progress display (load, compute, compare, tables, plots (drawing
the figures and rendering them to PNG, as the CLI does), write);
``write`` is split into the workbook and the HTML page, and the HTML is timed twice: with an
empty font-subset cache (first run on a machine) and with the cache filled (every later run
whose text uses the same characters). The machine is shared and noisy: read the shares.

Issue 16's target is printed last, measured in the same run: the sample report (load, build,
workbook and HTML with a warm font cache) against ``load + compute(every indicator,
by=grad_year)`` (target <= 2x).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path


def _run(tmp: Path, cache: Path) -> dict[str, float]:
    os.environ["COOPMETRICS_CACHE_DIR"] = str(cache)
    import coopmetrics as cm
    from coopmetrics import plots
    from coopmetrics.report import build_report

    times: dict[str, float] = {}
    clock = {"phase": "load", "t": time.perf_counter()}

    def tick(phase: str) -> None:
        now = time.perf_counter()
        times[clock["phase"]] = times.get(clock["phase"], 0.0) + now - clock["t"]
        clock.update(phase=phase, t=now)

    data = cm.sample.load_sample()
    rep = build_report(data, 2024, progress=tick, platform=True)
    rep.render_figures()  # as the CLI does, inside its figure phase
    tick("write_excel")
    rep.to_excel(tmp / "r.xlsx")
    tick("write_html_cold_font_cache")
    plots.font_subset_woff.cache_clear()
    rep.to_html(tmp / "r.html")
    tick("write_html_warm_font_cache")
    plots.font_subset_woff.cache_clear()  # the disk cache only, as a new process would see it
    rep.to_html(tmp / "r2.html")
    tick("done")
    times.pop("done", None)
    return times


def _yardstick() -> dict[str, float]:
    """Load the sample and compute every indicator of the registry once (issue 16's yardstick)."""
    import coopmetrics as cm

    t0 = time.perf_counter()
    data = cm.sample.load_sample()
    t1 = time.perf_counter()
    cm.compute(data, None, by=("grad_year",))
    t2 = time.perf_counter()
    return {"load": t1 - t0, "compute_all": t2 - t1}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        times = _run(tmp, tmp / "cache")
        yard = _yardstick()  # after the report: imports and caches are warm for both
    run = sum(v for k, v in times.items() if k != "write_html_cold_font_cache")
    base = yard["load"] + yard["compute_all"]
    if args.json:
        print(json.dumps({"seconds": times, "run_warm_total": run, "yardstick": yard, "ratio": run / base},
                         indent=2))
        return 0
    print(f"{'phase':<30} {'seconds':>8} {'share of a warm run':>20}")
    for k, v in times.items():
        share = "" if k == "write_html_cold_font_cache" else f"{v / run:>19.0%}"
        print(f"{k:<30} {v:>8.2f} {share:>20}")
    print(f"{'total (warm font cache)':<30} {run:>8.2f}")
    print(f"yardstick: load {yard['load']:.2f} s + compute(every indicator) {yard['compute_all']:.2f} s "
          f"= {base:.2f} s; report / yardstick = {run / base:.2f}x (target <= 2x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
