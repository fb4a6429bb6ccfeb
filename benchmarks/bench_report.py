#!/usr/bin/env python
"""Time each phase of ``coopmetrics report`` on the shipped sample (issue 12 item 7, issue 16 item 6).

Run from the repository root::

    python benchmarks/bench_report.py            # a cold and a warm report run, then the yardstick
    python benchmarks/bench_report.py --fresh    # also: report and yardstick each in a fresh process
    python benchmarks/bench_report.py --json     # machine-readable

Phases are those of the CLI's progress display (load, compute, compare, tables, plots (drawing
the figures and rendering them to PNG, as the CLI does), write); ``write`` is split into the
workbook and the HTML page, and the HTML is timed twice: with an empty font-subset cache (first
run on a machine) and with the cache filled (every later run whose text uses the same
characters). Every phase is timed in wall-clock seconds and in CPU seconds of this process:
the machine is shared, so other jobs stretch wall time; CPU time is what the run itself costs.

Issue 16's target is printed last, measured in the same run: the sample report (load, build,
workbook and HTML with a warm font cache) against ``load + compute(every indicator,
by=grad_year)`` (target <= 2x). Three pairings are printed, because import and first-call costs
(scipy.stats, matplotlib, statsmodels, the font loaded into matplotlib) fall on whichever job
runs first in a process:

- ``cold report / warm yardstick``: the report first in a fresh process, the yardstick after it
  in the same process (the issue's original measurement; the report pays every import);
- ``warm / warm``: a second report run in the same process against the same yardstick
  (the cost of the work itself);
- ``fresh / fresh`` (``--fresh``): each in its own new Python process, imports included
  (what a user of ``coopmetrics report`` and of a ``load + compute`` script waits for).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_NOT_IN_RUN = "write_html_cold_font_cache"


class _Clock:
    """Wall and CPU seconds per phase (a phase ends when the next one starts)."""

    def __init__(self, phase: str) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.phase, self.t, self.c = phase, time.perf_counter(), time.process_time()

    def tick(self, phase: str) -> None:
        now, cnow = time.perf_counter(), time.process_time()
        self.wall[self.phase] = self.wall.get(self.phase, 0.0) + now - self.t
        self.cpu[self.phase] = self.cpu.get(self.phase, 0.0) + cnow - self.c
        self.phase, self.t, self.c = phase, now, cnow

    def done(self) -> dict[str, dict[str, float]]:
        self.tick("done")
        return {"wall": self.wall, "cpu": self.cpu}


def _run(tmp: Path, cache: Path, cold_font: bool = True) -> dict[str, dict[str, float]]:
    """One report run as the CLI does it: load, build (with figures), render, workbook, HTML."""
    os.environ["COOPMETRICS_CACHE_DIR"] = str(cache)
    import coopmetrics as cm
    from coopmetrics import plots
    from coopmetrics.report import build_report

    clock = _Clock("load")  # after the imports, as for the yardstick (--fresh times them too)
    data = cm.sample.load_sample()
    rep = build_report(data, 2024, progress=clock.tick, platform=True)
    rep.render_figures()  # as the CLI does, inside its figure phase
    clock.tick("write_excel")
    rep.to_excel(tmp / "r.xlsx")
    if cold_font:
        clock.tick(_NOT_IN_RUN)
        plots.font_subset_woff.cache_clear()
        rep.to_html(tmp / "r.html")
    clock.tick("write_html_warm_font_cache")
    plots.font_subset_woff.cache_clear()  # the disk cache only, as a new process would see it
    rep.to_html(tmp / "r2.html")
    return clock.done()


def _yardstick() -> dict[str, dict[str, float]]:
    """Load the sample and compute every indicator of the registry once (issue 16's yardstick)."""
    import coopmetrics as cm

    clock = _Clock("load")
    data = cm.sample.load_sample()
    clock.tick("compute_all")
    cm.compute(data, None, by=("grad_year",))
    return clock.done()


def _total(times: dict[str, float]) -> float:
    return sum(v for k, v in times.items() if k != _NOT_IN_RUN)


def _fresh(job: str, cache: Path) -> dict[str, dict[str, float]]:
    """Run ``job`` ("report" or "yardstick") in a new interpreter; its own times (imports included)."""
    code = (f"import json, sys, time; t0 = time.perf_counter(); c0 = time.process_time(); "
            f"sys.path.insert(0, {str(Path(__file__).parent)!r}); import bench_report as b; "
            f"from pathlib import Path; "
            f"r = b._run(Path({str(cache.parent)!r}), Path({str(cache)!r}), cold_font=False) if {job!r} == 'report' "
            f"else b._yardstick(); "
            f"r['wall']['total'] = time.perf_counter() - t0; r['cpu']['total'] = time.process_time() - c0; "
            f"print(json.dumps(r))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--fresh", action="store_true", help="also time report and yardstick in fresh processes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        cold = _run(tmp, tmp / "cache")
        warm = _run(tmp, tmp / "cache", cold_font=False)
        yard = _yardstick()  # after the report: imports and caches are warm for both
        fresh = {}
        if args.fresh:  # the font subset is cached on disk by now: a warm font cache for the report
            fresh = {"report": _fresh("report", tmp / "cache"), "yardstick": _fresh("yardstick", tmp / "cache")}
    base = {k: _total(yard[k]) for k in ("wall", "cpu")}
    ratios = {f"cold_report/warm_yardstick_{k}": _total(cold[k]) / base[k] for k in ("wall", "cpu")}
    ratios.update({f"warm/warm_{k}": _total(warm[k]) / base[k] for k in ("wall", "cpu")})
    if fresh:
        ratios.update({f"fresh/fresh_{k}": fresh["report"][k]["total"] / fresh["yardstick"][k]["total"]
                       for k in ("wall", "cpu")})
    if args.json:
        print(json.dumps({"cold": cold, "warm": warm, "yardstick": yard, "fresh": fresh, "ratios": ratios},
                         indent=2))
        return 0
    print(f"load average {os.getloadavg()[0]:.2f} (2 cores shared: read the CPU columns and the ratios)")
    print(f"{'phase':<30} {'cold wall':>9} {'cpu':>6} {'warm wall':>9} {'cpu':>6}")
    for k in cold["wall"]:
        w = warm["wall"].get(k)
        warm_txt = f"{w:>9.2f} {warm['cpu'][k]:>6.2f}" if w is not None else f"{'':>9} {'':>6}"
        print(f"{k:<30} {cold['wall'][k]:>9.2f} {cold['cpu'][k]:>6.2f} {warm_txt}")
    print(f"{'total (warm font cache)':<30} {_total(cold['wall']):>9.2f} {_total(cold['cpu']):>6.2f} "
          f"{_total(warm['wall']):>9.2f} {_total(warm['cpu']):>6.2f}")
    print(f"yardstick (warm): load {yard['wall']['load']:.2f} s + compute(every indicator) "
          f"{yard['wall']['compute_all']:.2f} s = {base['wall']:.2f} s wall, {base['cpu']:.2f} s CPU")
    for name in ("cold_report/warm_yardstick", "warm/warm", "fresh/fresh"):
        if f"{name}_wall" in ratios:
            print(f"report / yardstick, {name:<27} {ratios[f'{name}_wall']:.2f}x wall, "
                  f"{ratios[f'{name}_cpu']:.2f}x CPU (target <= 2x)")
    if fresh:
        print(f"fresh processes: report {fresh['report']['wall']['total']:.2f} s, yardstick "
              f"{fresh['yardstick']['wall']['total']:.2f} s wall (imports included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
