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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        times = _run(tmp, tmp / "cache")
    run = sum(v for k, v in times.items() if k != "write_html_cold_font_cache")
    if args.json:
        print(json.dumps({"seconds": times, "run_warm_total": run}, indent=2))
        return 0
    print(f"{'phase':<30} {'seconds':>8} {'share of a warm run':>20}")
    for k, v in times.items():
        share = "" if k == "write_html_cold_font_cache" else f"{v / run:>19.0%}"
        print(f"{k:<30} {v:>8.2f} {share:>20}")
    print(f"{'total (warm font cache)':<30} {run:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
