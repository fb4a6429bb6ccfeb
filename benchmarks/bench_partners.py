"""Benchmark: partner scorecard vs compute() of the same indicators by enterprise (a script, not a test).

Builds a synthetic panel: an internship roster of ``rows`` rows spread over
``partners`` ledger partners (plus 10 % of rows at firms outside the ledger, and
10 % of partner rows spelled with a variant name) and a ledger with one row per
partner and year. For each size it times, **interleaved in one run** (baseline,
scorecard, baseline, scorecard, ...) so that both see the same machine load:

* ``compute(ds, <the 5 internship indicators>, by=("enterprise",))`` — the baseline;
* ``partner_scorecard(ds)`` — the default (no posterior draws);
* with ``--draws N``, also ``partner_scorecard(ds, draws=N)`` (rank intervals, opt-in).

It prints the best time of each and the ratio of the bests, the median of the
per-round ratios, and the load average. Target (issue 13): scorecard ≤ 2 × compute().

Usage::

    python benchmarks/bench_partners.py --sizes 1000000:5000 10000000:50000 --repeat 3 \\
        --cache /tmp/partners_panel

``--cache DIR`` stores each generated panel as Parquet and reuses it (the 10M panel
takes about 30 s to build).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

import coopmetrics as cm
from coopmetrics.partners import partner_scorecard

INDICATORS = ["intern_hire_rate", "internship_pay_compliance_rate", "internship_insurance_rate",
              "internship_duration_rate", "internship_relevance_rate"]


def panel(rows: int, partners: int, seed: int = 0) -> cm.Dataset:
    """Synthetic ledger + internship roster (vectorised).

    Examples
    --------
    >>> ds = panel(1000, 20)
    >>> len(ds["internships"]), len(ds["enterprises"])
    (1000, 100)
    """
    rng = np.random.default_rng(seed)
    years = np.arange(2020, 2025)
    names = np.array([f"示例企业{i:05d}有限公司" for i in range(partners)], dtype=object)
    variants = np.array([f"示例企业{i:05d}股份有限公司" for i in range(partners)], dtype=object)
    others = np.array([f"其他单位{i:05d}有限公司" for i in range(max(partners // 5, 1))], dtype=object)
    size = rng.pareto(1.5, partners) + 1
    host = rng.choice(partners, rows, p=size / size.sum())
    ent = np.where(rng.random(rows) < 0.1, variants[host], names[host])
    outside = rng.random(rows) < 0.1
    ent = np.where(outside, others[rng.integers(0, others.size, rows)], ent)
    quality = rng.normal(0, 0.4, partners)
    p_hire = 1 / (1 + np.exp(-(-1.0 + quality[host])))
    post = np.round(3000 + 600 * rng.standard_normal(rows), -1)
    internships = pd.DataFrame({
        "student_id": pd.array(np.char.mod("S%09d", np.arange(rows)), dtype="str"),
        "year": rng.choice(years, rows),
        "enterprise": pd.array(ent, dtype="str"),
        "months": rng.choice(np.array([4.0, 5.0, 6.0, 6.0, 7.0]), rows),
        "monthly_pay": np.round(post * rng.uniform(0.6, 1.0, rows), -1),
        "post_wage": post,
        "lowest_grade_wage": np.round(post * 0.85, -1),
        "insured": pd.array(rng.random(rows) < 0.96, dtype="boolean"),
        "relevant": pd.array(rng.random(rows) < 0.8, dtype="boolean"),
        "hired": pd.array(rng.random(rows) < p_hire, dtype="boolean"),
    })
    k, y = np.meshgrid(np.arange(partners), years, indexing="ij")
    k, y = k.ravel(), y.ravel()
    ledger = pd.DataFrame({
        "enterprise": pd.array(names[k], dtype="str"), "year": y, "department": "示例学院",
        "major": "示例专业", "partnership_start": 2010 + (k % 14),
        "equipment_value": np.round(rng.exponential(2e5, k.size), -2), "funds": np.round(rng.exponential(5e4, k.size)),
        "part_time_teachers": rng.poisson(1, k.size), "internship_positions": rng.poisson(40, k.size),
        "interns_received": rng.poisson(20, k.size), "tech_service_income": np.round(rng.exponential(1e5, k.size)),
    })
    return cm.Dataset(enterprises=ledger, internships=internships)


def cached_panel(rows: int, partners: int, cache: Path | None) -> cm.Dataset:
    """:func:`panel`, read from / written to Parquet under ``cache`` when given."""
    if cache is None:
        return panel(rows, partners)
    files = {t: cache / f"{t}_{rows}_{partners}.parquet" for t in ("enterprises", "internships")}
    if not all(f.exists() for f in files.values()):
        cache.mkdir(parents=True, exist_ok=True)
        ds = panel(rows, partners)
        for t, f in files.items():
            ds[t].to_parquet(f)
    return cm.Dataset(**{t: pd.read_parquet(f) for t, f in files.items()})


def interleaved(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[float]]:
    """Seconds of each function in each of ``repeat`` rounds, the functions run in turn every round."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t0)
    return times


def run(rows: int, partners: int, repeat: int, draws: int, cache: Path | None) -> None:
    """Time one size and print best times, ratios and the load average."""
    t0 = time.perf_counter()
    ds = cached_panel(rows, partners, cache)
    print(f"panel: {rows:,} internship rows, {partners:,} partners (ready in {time.perf_counter() - t0:.1f} s)")
    fns: dict[str, Callable[[], object]] = {
        "compute": lambda: cm.compute(ds, INDICATORS, by=("enterprise",)),
        "scorecard": lambda: partner_scorecard(ds),
    }
    if draws:
        fns[f"scorecard_draws{draws}"] = lambda: partner_scorecard(ds, draws=draws)
    for fn in fns.values():  # warm-up: imports, first-call caches
        fn()
    load0 = os.getloadavg()[0]
    times = interleaved(fns, repeat)
    load1 = os.getloadavg()[0]
    base = min(times["compute"])
    print(f"  compute() of the 5 internship indicators by enterprise: best {base:.2f} s")
    for k in list(fns)[1:]:
        best = min(times[k])
        per_round = statistics.median(s / b for s, b in zip(times[k], times["compute"], strict=True))
        print(f"  {k}: best {best:.2f} s  ratio of bests {best / base:.2f} x  median round ratio {per_round:.2f} x")
    print(f"  load average (1 min) before/after: {load0:.1f} / {load1:.1f} on {os.cpu_count()} cores")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=["1000000:5000"],
                    help="ROWS:PARTNERS pairs, e.g. 1000000:5000 10000000:50000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--draws", type=int, default=0, help="also time partner_scorecard(draws=N)")
    ap.add_argument("--cache", type=Path, default=None, help="directory for the Parquet panels")
    args = ap.parse_args()
    for size in args.sizes:
        rows, partners = (int(v) for v in size.split(":"))
        run(rows, partners, args.repeat, args.draws, args.cache)


if __name__ == "__main__":
    main()
