#!/usr/bin/env python
"""The issue's representative suite: coopmetrics vs a naive pandas ``groupby().apply``.

Run from the repository root::

    python benchmarks/bench_representative.py --rows 1e6

Issue #6 motivates its targets with "one representative suite (placement rate with Wilson
CI, salary mean with t CI, weighted satisfaction share with effective n, by year x college
x major x program)", for which "a naive pandas ``groupby().apply`` takes ~0.8 ms per group".
``bench_scale.py`` times the *full* graduate suite (23 indicators); this script times that
representative suite, on the same cached panels (``benchmarks/cache/``), each variant in its
own subprocess, and checks that all variants give the same numbers:

* ``naive-pandas``       -- ``pd.read_parquet`` then ``groupby(BY).apply(per-group function)``
* ``coopmetrics-duckdb`` -- ``compute`` on DuckDB scans of the panel (graduates, and the
  panel's survey answers as the survey table with their shipped weights,
  ``Options(survey_weights="column")``)
* ``coopmetrics-polars`` -- the same on Polars scans
* ``duckdb-sql``         -- a hand-written DuckDB query of the group totals, finished in NumPy

Wall time is the work only (from the Parquet files to the finished result in pandas;
imports done before the clock starts). The machine is shared and noisy: read the ratios
measured in one run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import (
    BY,
    EMPLOYED,
    FAMILIES,
    KNOWN,
    Z95,
    _own_peak_gib,
    _sql_list,
    agreement,
    ensure_panel,
    t_interval,
    wilson,
)

SUITE = ["placement_rate", "salary_mean", "employment_satisfaction"]
PLACED = ("10", "11", "27", "46", "50", "51", "12", "76", "77", "75", "80", "81", "82", "85")  # moe_2021
TOP_BOX = (4, 5)  # Options() default for the employment survey
COLUMNS = [*BY, "student_id", "destination_code", "monthly_salary", "survey_score", "survey_weight"]
VARIANTS = ("duckdb-sql", "coopmetrics-duckdb", "coopmetrics-polars", "naive-pandas")


# --------------------------------------------------------------------------------------
# coopmetrics
# --------------------------------------------------------------------------------------


def run_coopmetrics(folder: Path, engine: str) -> pd.DataFrame:
    """``compute`` on lazy scans: the panel as graduates, its survey answers as the survey table."""
    import narwhals as nw

    import coopmetrics as cm
    from coopmetrics import engines
    from coopmetrics.registry import Options

    grads = engines.scan(folder, engine)
    survey = (nw.from_native(grads).filter(~nw.col("survey_score").is_null())
              .select(nw.col("student_id").alias("respondent_id"), nw.col("grad_year").alias("year"),
                      nw.lit("employment").alias("survey_kind"), nw.lit("overall").alias("item"),
                      nw.col("survey_score").cast(nw.Int64).alias("score"),
                      nw.col("survey_weight").cast(nw.Float64).alias("weight"), "college", "major", "program"))
    ds = cm.Dataset(graduates=grads, survey=nw.to_native(survey))
    return cm.compute(ds, SUITE, by=BY, options=Options(survey_weights="column"))


# --------------------------------------------------------------------------------------
# Hand-written DuckDB SQL
# --------------------------------------------------------------------------------------


def run_sql(folder: Path) -> pd.DataFrame:
    """Group totals in one query; Wilson, t and the design-based interval in NumPy (long result)."""
    import duckdb

    fam = (f"CASE WHEN length(destination_code) = 3 AND left(destination_code, 2) IN ({_sql_list(FAMILIES)}) "
           "THEN left(destination_code, 2) ELSE destination_code END")
    sal = "employed AND monthly_salary IS NOT NULL"
    resp = "survey_score IS NOT NULL AND survey_weight IS NOT NULL"
    top = f"{resp} AND survey_score IN ({', '.join(map(str, TOP_BOX))})"
    w = "survey_weight::DOUBLE"
    q = f"""
WITH g AS (
  SELECT {', '.join(BY)}, monthly_salary, survey_score, survey_weight,
    ({fam}) IN ({_sql_list(PLACED)}) AS placed, ({fam}) IN ({_sql_list(EMPLOYED)}) AS employed
  FROM read_parquet('{folder / '*.parquet'}')
)
SELECT {', '.join(BY)},
  COUNT(*) AS graduates,
  COUNT(*) FILTER (WHERE placed) AS placed,
  COUNT(*) FILTER (WHERE {sal}) AS sal_n,
  SUM(monthly_salary::DOUBLE) FILTER (WHERE {sal}) AS sal_s,
  SUM(monthly_salary::DOUBLE * monthly_salary::DOUBLE) FILTER (WHERE {sal}) AS sal_ss,
  COUNT(*) FILTER (WHERE {resp}) AS r_n,
  COALESCE(SUM({w}) FILTER (WHERE {resp}), 0) AS sw,
  COALESCE(SUM({w} * {w}) FILTER (WHERE {resp}), 0) AS sw2,
  COALESCE(SUM({w}) FILTER (WHERE {top}), 0) AS swx,
  COALESCE(SUM({w} * {w}) FILTER (WHERE {top}), 0) AS sw2x
FROM g
GROUP BY {', '.join(BY)}
"""
    a = duckdb.connect().sql(q).df()
    v = {c: a[c].to_numpy(float) for c in a.columns if c not in BY}
    parts = []

    def part(ind, n, est, lo, hi, keep):
        p = a.loc[keep, BY].copy()
        p.insert(0, "indicator", ind)
        p["n"], p["estimate"], p["ci_low"], p["ci_high"] = n[keep], est[keep], lo[keep], hi[keep]
        parts.append(p)

    g = v["graduates"]
    lo, hi = wilson(v["placed"], g)
    part("placement_rate", g, v["placed"] / g, lo, hi, g > 0)
    mean, _se, lo, hi = t_interval(v["sal_s"], v["sal_ss"], v["sal_n"])
    part("salary_mean", v["sal_n"], mean, lo, hi, v["sal_n"] > 0)
    # weighted share, one answer per respondent (x, y in {0, 1}, y = 1): r = Σwx / Σw, linearised
    # variance Σw²(x - r)² / (Σw)², effective n* = r(1 - r) / variance, Wilson at n*
    with np.errstate(invalid="ignore", divide="ignore"):
        r = v["swx"] / v["sw"]
        var = (v["sw2x"] * (1 - r) ** 2 + (v["sw2"] - v["sw2x"]) * r * r) / (v["sw"] ** 2)
        kish = v["sw"] ** 2 / v["sw2"]
        n_star = np.where(var > 0, r * (1 - r) / var, kish)
    lo, hi = wilson(r * n_star, n_star)
    part("employment_satisfaction", v["r_n"], r, np.fmin(lo, r), np.fmax(hi, r), v["r_n"] > 0)
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------------------
# Naive pandas
# --------------------------------------------------------------------------------------


def _wilson1(x: float, n: float) -> tuple[float, float]:
    p, z2 = x / n, Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(max(p * (1 - p) / n + z2 / (4 * n * n), 0.0)) / (1 + z2 / n)
    return centre - half, centre + half


def _naive_group(g: pd.DataFrame) -> pd.DataFrame:
    """The three indicators of one group, the straightforward way (called once per group)."""
    from scipy import stats

    rows = []
    n = len(g)
    placed = int(g["placed"].sum())
    rows.append(("placement_rate", n, placed / n, *_wilson1(placed, n)))
    s = g.loc[g["employed"], "monthly_salary"].dropna().to_numpy(float)
    if len(s):
        m = s.mean()
        half = stats.t.ppf(0.975, len(s) - 1) * s.std(ddof=1) / math.sqrt(len(s)) if len(s) >= 2 else np.nan
        rows.append(("salary_mean", len(s), m, m - half, m + half))
    resp = g[g["survey_score"].notna() & g["survey_weight"].notna()]
    if len(resp):
        w = resp["survey_weight"].to_numpy(float)
        x = resp["survey_score"].isin(TOP_BOX).to_numpy(float)
        r = (w * x).sum() / w.sum()
        var = (w * w * (x - r) ** 2).sum() / w.sum() ** 2
        n_star = r * (1 - r) / var if var > 0 else w.sum() ** 2 / (w * w).sum()  # Kish n_eff when var = 0
        lo, hi = _wilson1(r * n_star, n_star)
        rows.append(("employment_satisfaction", len(resp), r, min(lo, r), max(hi, r)))
    return pd.DataFrame(rows, columns=["indicator", "n", "estimate", "ci_low", "ci_high"])


def run_naive(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame.groupby(BY).apply(per-group function)``; code families derived once, vectorised."""
    code = frame["destination_code"].astype("string")
    child = (code.str.len() == 3) & code.str[:2].isin(FAMILIES)
    fam = code.where(~child, code.str[:2])
    frame = frame.assign(placed=fam.isin(PLACED).fillna(False).astype(bool),
                         employed=fam.isin(EMPLOYED).fillna(False).astype(bool),
                         survey_score=frame["survey_score"].astype("Float64").to_numpy(float, na_value=np.nan))
    assert set(KNOWN) >= set(PLACED)
    cols = ["placed", "employed", "monthly_salary", "survey_score", "survey_weight"]
    out = frame.groupby(BY, observed=True, sort=False)[cols].apply(_naive_group)
    return out.reset_index(level=BY).reset_index(drop=True)


# --------------------------------------------------------------------------------------
# Runner
# --------------------------------------------------------------------------------------


def _child(variant: str, folder: str, out: str) -> None:
    import duckdb  # noqa: F401
    import narwhals  # noqa: F401
    import polars  # noqa: F401
    import scipy.stats  # noqa: F401

    import coopmetrics.compute  # noqa: F401
    from coopmetrics import engines  # noqa: F401

    path = Path(folder)
    t0 = time.perf_counter()
    if variant == "duckdb-sql":
        res = run_sql(path)
    elif variant == "naive-pandas":
        res = run_naive(pd.read_parquet(path, columns=COLUMNS))
    else:
        res = run_coopmetrics(path, variant.split("-")[1])
    seconds = time.perf_counter() - t0
    res[["indicator", *BY, "n", "estimate", "ci_low", "ci_high"]].to_parquet(out)
    print(json.dumps({"variant": variant, "seconds": seconds, "rows_out": len(res), "peak_rss_gib": _own_peak_gib()}))


def _run(variant: str, folder: Path, work: Path) -> dict[str, Any]:
    out = work / f"{variant}.parquet"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_child", variant, "--_folder", str(folder), "--_out",
           str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    stdout, stderr = proc.stdout.read(), proc.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"variant {variant} failed:\n{stderr[-4000:]}")
    info = json.loads(stdout.strip().splitlines()[-1])
    if info.get("peak_rss_gib") is None:  # not Linux: ru_maxrss may include the parent's RSS at spawn
        info["peak_rss_gib"] = usage.ru_maxrss / 1024**2
    return info | {"result": out}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", nargs="+", type=float, default=[1e6])
    ap.add_argument("--repeat", type=int, default=3, help="runs of each fast variant (median); naive runs once")
    ap.add_argument("--_child")
    ap.add_argument("--_folder")
    ap.add_argument("--_out")
    args = ap.parse_args(argv)
    if args._child:
        _child(args._child, args._folder, args._out)
        return 0
    print(f"# {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    for n in (int(r) for r in args.rows):
        folder = ensure_panel(n)
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            fast = ["duckdb-sql", "coopmetrics-duckdb", "coopmetrics-polars"]
            runs: dict[str, list[dict[str, Any]]] = {v: [] for v in fast}
            for _ in range(args.repeat):  # alternate, so that noise hits every variant alike
                for v in fast:
                    runs[v].append(_run(v, folder, work))
            res = {v: sorted(rs, key=lambda r: r["seconds"])[len(rs) // 2] for v, rs in runs.items()}
            res["naive-pandas"] = _run("naive-pandas", folder, work)
            ref = pd.read_parquet(res["duckdb-sql"]["result"])
            naive = res["naive-pandas"]["seconds"]
            print(f"\n## {n:,} rows, representative suite ({', '.join(SUITE)}) by {' x '.join(BY)}\n")
            print("| variant | wall s (all runs) | peak RSS GiB | naive / variant | numbers agree with SQL |")
            print("|---|---:|---:|---:|---|")
            for v, r in res.items():
                agree = agreement(pd.read_parquet(r["result"]), ref) if v != "duckdb-sql" else {"agree": "(ref)"}
                all_s = ", ".join(f"{x['seconds']:.2f}" for x in runs.get(v, [r]))
                print(f"| {v} | {r['seconds']:.2f} ({all_s}) | {r['peak_rss_gib']:.2f} | "
                      f"{naive / r['seconds']:.0f}x | {agree['agree']} |", flush=True)
                if agree["agree"] is False:
                    print(json.dumps(agree))
            groups = len(ref.loc[ref["indicator"] == "placement_rate"])
            print(f"\n{groups:,} groups; naive apply {1000 * naive / groups:.2f} ms per group")
    return 0


if __name__ == "__main__":
    sys.exit(main())
