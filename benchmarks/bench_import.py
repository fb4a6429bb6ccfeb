"""Start-up cost of coopmetrics, as ratios to ``import pandas, numpy`` measured in one run.

Targets (issue "One home per definition", item 4): ``python -c "import coopmetrics"`` and
``coopmetrics --help`` each cost at most 1.3x ``python -c "import pandas, numpy"``.
Also reported (no target): the first use of ``cm.compute`` (loads the indicator engine and
scipy.stats) and of ``cm.compare``.

Each command runs in a fresh interpreter, alternating, ``--repeat`` times; the median
wall-clock time of each is compared with the median of the baseline.

Usage: ``python benchmarks/bench_import.py [--repeat 7]``
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "baseline: import pandas, numpy": [sys.executable, "-c", "import pandas, numpy"],
    "import coopmetrics": [sys.executable, "-c", "import coopmetrics"],
    "coopmetrics --help": [sys.executable, "-m", "coopmetrics.cli", "--help"],
    "first use: cm.compute": [sys.executable, "-c", "import coopmetrics as cm; cm.compute"],
    "first use: cm.compare": [sys.executable, "-c", "import coopmetrics as cm; cm.compare"],
}
TARGET = {"import coopmetrics": 1.3, "coopmetrics --help": 1.3}


def _time(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args(argv)
    times: dict[str, list[float]] = {k: [] for k in COMMANDS}
    for _ in range(args.repeat):  # alternate so machine load hits every command alike
        for name, cmd in COMMANDS.items():
            times[name].append(_time(cmd))
    base = statistics.median(times["baseline: import pandas, numpy"])
    print(f"{'command':34s} {'median s':>9s} {'ratio':>7s}  target")
    for name, ts in times.items():
        med = statistics.median(ts)
        target = TARGET.get(name)
        verdict = "" if target is None else f"<= {target}x {'met' if med / base <= target else 'NOT met'}"
        print(f"{name:34s} {med:9.3f} {med / base:6.2f}x  {verdict}")


if __name__ == "__main__":
    main()
