"""Benchmark: partner scorecard vs compute() of the same indicators by enterprise (a script, not a test).

Builds a synthetic panel: an internship roster of ``--rows`` rows spread over
``--partners`` ledger partners (plus 10 % of rows at firms outside the ledger, and
10 % of partner rows spelled with a variant name) and a ledger with one row per
partner and year. Times

* ``compute(ds, <the 5 internship indicators>, by=("enterprise",))`` — the baseline, and
* ``partner_scorecard(ds)`` with rank intervals (``draws=1000``) and without (``draws=0``),

best of ``--repeat`` runs each, and prints the ratio. Target: scorecard ≤ 2 × compute().

Usage::

    python benchmarks/bench_partners.py --rows 1000000 --partners 5000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import coopmetrics as cm
from coopmetrics.partners import partner_scorecard

INDICATORS = ["intern_hire_rate", "internship_pay_compliance_rate", "internship_insurance_rate",
              "internship_duration_rate", "internship_relevance_rate"]


def panel(rows: int, partners: int, seed: int = 0) -> cm.Dataset:
    """Synthetic ledger + internship roster (vectorised)."""
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


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--partners", type=int, default=5_000)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    t0 = time.perf_counter()
    ds = panel(args.rows, args.partners)
    print(f"panel: {args.rows:,} internship rows, {args.partners:,} partners "
          f"(built in {time.perf_counter() - t0:.1f} s)")
    base = best_of(lambda: cm.compute(ds, INDICATORS, by=("enterprise",)), args.repeat)
    fast = best_of(lambda: partner_scorecard(ds, draws=0), args.repeat)
    full = best_of(lambda: partner_scorecard(ds), args.repeat)
    print(f"compute() of the 5 internship indicators by enterprise: {base:.2f} s")
    print(f"partner_scorecard(draws=0):    {fast:.2f} s  ({fast / base:.2f} x compute)")
    print(f"partner_scorecard(draws=1000): {full:.2f} s  ({full / base:.2f} x compute)")


if __name__ == "__main__":
    main()
