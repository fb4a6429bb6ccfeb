#!/usr/bin/env python
"""Scale benchmark: the graduate indicator suite on 1M / 10M / 50M-row panels.

Run from the repository root::

    python benchmarks/bench_scale.py --rows 1e6 1e7 5e7

For every size the script

1. generates a synthetic national panel with :func:`coopmetrics.sample.generate_panel_chunks`
   and caches it as a folder of Parquet files under ``benchmarks/cache/`` (git-ignored),
   written chunk by chunk in compact dtypes so generation never holds the panel in memory;
2. runs, each in its own subprocess (so peak memory is that variant's own):

   * ``coopmetrics-duckdb`` -- ``coopmetrics.compute(engines.scan(folder), SUITE, by=BY)`` on the
     default DuckDB relation scan
   * ``coopmetrics-polars`` -- the same on a Polars LazyFrame (``engines.scan(folder, "polars")``)
   * ``duckdb-sql``       -- a hand-written DuckDB SQL query over the same files computing the
     same group totals, finished with the same closed-form intervals in NumPy
   * ``naive-pandas``     -- (``--naive``, 1M rows by default) ``pd.read_parquet`` then
     ``groupby(BY).apply(per-group function)``, the way the suite is usually written by hand
   * ``coopmetrics-pandas`` -- (``--pandas``, 1M rows by default) ``compute`` on the panel read
     whole into pandas
   * ``compare``          -- (``--compare``, 10M rows by default) ``coopmetrics.compare`` of
     every cohort against regular classes for every year x college x major, four proportion
     indicators of the suite
   * ``compare-totals``   -- the same comparisons from group totals (one pushed-down
     ``compute`` pass, then closed-form Newcombe / two-proportion tests / BH q-values)

3. prints wall time (the work only: scan + compute + result as pandas; interpreter start
   and imports excluded), peak resident memory of the subprocess's own address space (``VmHWM``, imports
   included), the ratios to the hand-written DuckDB query, and checks that every variant
   gives the same numbers (n, estimate, CI bounds) to floating-point tolerance.

Measured figures and their reading: ``docs/scale.md``.

The machine is shared and noisy: read the ratios measured in one run, and use
``--repeat`` to take the median of several alternating runs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
CACHE = HERE / "cache"
SEED = 2024
BY = ["grad_year", "college", "major", "program"]
CMP_BY = ["grad_year", "college", "major"]
Z95 = 1.959963984540054  # scipy.stats.norm.ppf(0.975)

# --------------------------------------------------------------------------------------
# The suite: every graduates-table indicator of the registry (default Options, moe_2021).
# The SQL and the naive pandas code below are written by hand from the registry's
# definitions (coopmetrics.registry), not generated from it, so they check compute().
# --------------------------------------------------------------------------------------

# 3-digit codes belong to these 2-digit families (codes.py): 271 -> 27, 502 -> 50, 803 -> 80
FAMILIES = ("27", "50", "51", "80")
KNOWN = ("10", "11", "12", "27", "46", "50", "51", "70", "71", "72", "75", "76", "77", "80", "81", "82", "85")
KNOWN_3DIGIT = ("271", "501", "502", "503", "504", "511", "512", "519", "801", "802", "803")
#: proportion over all graduates: indicator id -> destination families in the numerator
CODE_RATES: dict[str, tuple[str, ...]] = {
    "placement_rate": ("10", "11", "27", "46", "50", "51", "12", "76", "77", "75", "80", "81", "82", "85"),
    "contract_employment_rate": ("10", "11", "27", "46", "50", "51"),
    "flexible_employment_rate": ("12", "76", "77"),
    "self_employment_rate": ("75",),
    "further_study_rate": ("80", "81", "82", "85"),
    "unit_employment_rate": ("10", "11", "12", "27", "46", "50", "51"),
    "freelance_rate": ("76", "77"),
    "not_placed_rate": ("70", "71", "72"),
}
EMPLOYED = ("10", "11", "12", "27", "46", "50", "51", "75", "76", "77")
#: proportion among employed graduates with the flag recorded: indicator id -> boolean column
FLAG_RATES: dict[str, str] = {
    "job_relevance_rate": "job_relevant",
    "turnover_rate": "left_within_6m",
    "partner_employment_rate": "employer_is_partner",
    "local_employment_share": "local_job",
    "west_northeast_share": "west_northeast_job",
    "sme_share": "sme_job",
    "top500_share": "top500_job",
}
PARTNER_PROGRAMS = ("order_class", "named_class", "apprenticeship")
#: proportion over graduates with a program: indicator id -> programs in the numerator
PROGRAM_SHARES: dict[str, tuple[str, ...]] = {
    "order_class_share": ("order_class",),
    "apprenticeship_share": ("apprenticeship",),
    "partnership_program_share": PARTNER_PROGRAMS,
}
COUNTS = ("graduates_total", "unknown_destination_count")
SUITE: list[str] = [
    "graduates_total", *CODE_RATES, "unknown_destination_count", "unknown_destination_share", *FLAG_RATES,
    "salary_mean", "partner_retention_rate", *PROGRAM_SHARES,
]
PROPORTIONS = [i for i in SUITE if i not in COUNTS and i != "salary_mean"]
COLUMNS = sorted({*BY, "destination_code", *FLAG_RATES.values(), "monthly_salary", "partner", "employer"})


def _sql_list(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


# --------------------------------------------------------------------------------------
# Data: generate once, cache as Parquet
# --------------------------------------------------------------------------------------


def panel_dir(n_rows: int, seed: int = SEED) -> Path:
    """Cache folder of the ``n_rows`` panel."""
    return CACHE / f"panel_{n_rows}_seed{seed}"


def ensure_panel(n_rows: int, *, seed: int = SEED, chunk_rows: int = 2_000_000, root: Path | None = None,
                 progress: bool = True, n_colleges: int = 300, years: tuple[int, ...] = tuple(range(2015, 2025)),
                 ) -> Path:
    """Write the panel as ``part-NNNN.parquet`` files (one per chunk) unless cached.

    Chunks come from :func:`coopmetrics.sample.generate_panel_chunks` in its compact
    dtypes (categories become dictionary-encoded Parquet strings, ``grad_year`` int16);
    the panel is never held in memory as a whole. A ``_COMPLETE`` marker is written
    last, so an interrupted run is regenerated.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from coopmetrics.engines import progress_bar
    from coopmetrics.sample import generate_panel_chunks

    name = f"panel_{n_rows}_seed{seed}"
    if n_colleges != 300 or tuple(years) != tuple(range(2015, 2025)):
        name += f"_c{n_colleges}_y{min(years)}-{max(years)}"
    folder = (root or CACHE) / name
    if (folder / "_COMPLETE").exists():
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    n_chunks = -(-n_rows // chunk_rows)
    with progress_bar(total=n_chunks, desc=f"writing {n_rows:,} rows", enabled=progress, unit="chunk") as bar:
        chunks = generate_panel_chunks(n_rows, chunk_rows=chunk_rows, seed=seed, n_colleges=n_colleges,
                                       years=years)
        for i, chunk in enumerate(chunks):
            table = pa.Table.from_pandas(chunk, preserve_index=False)
            pq.write_table(table, folder / f"part-{i:04d}.parquet", compression="snappy")
            bar.update(1)
    (folder / "_COMPLETE").write_text(f"{n_rows}\n")
    return folder


# --------------------------------------------------------------------------------------
# Closed-form intervals, written out independently of coopmetrics.estimators
# --------------------------------------------------------------------------------------


def wilson(x: np.ndarray, n: np.ndarray, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval (Wilson 1927); NaN where n == 0."""
    x = np.asarray(x, float)
    n = np.asarray(n, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return centre - half, centre + half


def t_interval(total: np.ndarray, sumsq: np.ndarray, n: np.ndarray, level: float = 0.95):
    """Mean, standard error and t interval from n, sum and sum of squares; NaN where n < 2."""
    from scipy import stats

    n = np.asarray(n, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n
        var = (sumsq - n * mean * mean) / (n - 1)
        se = np.sqrt(np.maximum(var, 0) / n)
        q = stats.t.ppf(0.5 + level / 2, n - 1)
    se = np.where(n >= 2, se, np.nan)
    return mean, se, mean - q * se, mean + q * se


# --------------------------------------------------------------------------------------
# Hand-written DuckDB SQL
# --------------------------------------------------------------------------------------


def suite_sql(source: str) -> str:
    """The hand-written aggregate query: one pass, one row per group, plain counts and sums."""
    keys = ", ".join(BY)
    emp = f"fam IN ({_sql_list(EMPLOYED)})"
    lines = ["COUNT(*) AS graduates"]
    for ind, fams in CODE_RATES.items():
        lines.append(f"COUNT(*) FILTER (WHERE fam IN ({_sql_list(fams)})) AS {ind}__x")
    lines.append("COUNT(*) FILTER (WHERE NOT coalesce(known, false)) AS unknown__x")
    for ind, col in FLAG_RATES.items():
        lines.append(f"COUNT(*) FILTER (WHERE {emp} AND {col} IS NOT NULL) AS {ind}__n")
        lines.append(f"COUNT(*) FILTER (WHERE {emp} AND {col}) AS {ind}__x")
    sal = f"{emp} AND monthly_salary IS NOT NULL"
    lines += [
        f"COUNT(*) FILTER (WHERE {sal}) AS salary__n",
        f"SUM(monthly_salary::DOUBLE) FILTER (WHERE {sal}) AS salary__sum",
        f"SUM(monthly_salary::DOUBLE * monthly_salary::DOUBLE) FILTER (WHERE {sal}) AS salary__ss",
    ]
    ret = f"program IN ({_sql_list(PARTNER_PROGRAMS)}) AND partner IS NOT NULL"
    lines += [f"COUNT(*) FILTER (WHERE {ret}) AS retention__n",
              f"COUNT(*) FILTER (WHERE {ret} AND employer = partner) AS retention__x",
              "COUNT(program) AS program__n"]
    for ind, progs in PROGRAM_SHARES.items():
        lines.append(f"COUNT(*) FILTER (WHERE program IN ({_sql_list(progs)})) AS {ind}__x")
    body = ",\n  ".join(lines)
    flags = ", ".join(FLAG_RATES.values())
    return f"""
WITH g AS (
  SELECT {keys}, {flags}, monthly_salary, partner, employer,
    CASE WHEN length(destination_code) = 3 AND left(destination_code, 2) IN ({_sql_list(FAMILIES)})
         THEN left(destination_code, 2) ELSE destination_code END AS fam,
    destination_code IN ({_sql_list(KNOWN + KNOWN_3DIGIT)})
      OR (length(destination_code) = 3 AND left(destination_code, 2) IN ({_sql_list(FAMILIES)})) AS known
  FROM {source}
)
SELECT {keys},
  {body}
FROM g
GROUP BY {keys}
"""


STATS = ["numerator", "denominator", "n", "estimate", "ci_low", "ci_high"]


def finish_wide(agg: pd.DataFrame) -> pd.DataFrame:
    """Group totals -> one row per group with ``<indicator>__<stat>`` columns.

    Stats: numerator, denominator, n, estimate, ci_low, ci_high; vectorised over
    groups (Wilson for proportions, t for the mean). This is what the hand-written
    variant returns (and is timed); :func:`wide_to_long` reshapes it for checking.
    """
    a = {c: agg[c].to_numpy(dtype=float) for c in agg.columns if c not in BY}
    out: dict[str, Any] = {b: agg[b] for b in BY}
    nan = np.full(len(agg), np.nan)

    def put(ind, num, den, n, est, lo, hi):
        for stat, v in zip(STATS, (num, den, n, est, lo, hi), strict=True):
            out[f"{ind}__{stat}"] = v

    def prop(ind, x, n):
        with np.errstate(invalid="ignore", divide="ignore"):
            est = np.where(n > 0, x / n, np.nan)
        lo, hi = wilson(x, n)
        put(ind, x, n, n, est, lo, hi)

    g = a["graduates"]
    put("graduates_total", g, nan, g, g, nan, nan)
    put("unknown_destination_count", a["unknown__x"], nan, a["unknown__x"], a["unknown__x"], nan, nan)
    for ind in CODE_RATES:
        prop(ind, a[f"{ind}__x"], g)
    prop("unknown_destination_share", a["unknown__x"], g)
    for ind in FLAG_RATES:
        prop(ind, a[f"{ind}__x"], a[f"{ind}__n"])
    mean, _se, lo, hi = t_interval(a["salary__sum"], a["salary__ss"], a["salary__n"])
    put("salary_mean", a["salary__sum"], a["salary__n"], a["salary__n"], mean, lo, hi)
    prop("partner_retention_rate", a["retention__x"], a["retention__n"])
    for ind in PROGRAM_SHARES:
        prop(ind, a[f"{ind}__x"], a["program__n"])
    return pd.DataFrame(out)


def wide_to_long(wide: pd.DataFrame) -> pd.DataFrame:
    """One row per group -> one row per indicator and group (rows with n == 0 dropped)."""
    parts = []
    for ind in SUITE:
        part = wide[BY].copy()
        part.insert(0, "indicator", ind)
        for stat in STATS:
            part[stat] = wide[f"{ind}__{stat}"].to_numpy(float)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    return out[out["n"] > 0].reset_index(drop=True)


def run_sql(folder: Path, *, threads: int | None = None) -> pd.DataFrame:
    """Hand-written DuckDB query over the Parquet folder, finished in NumPy (wide result)."""
    import duckdb

    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    source = f"read_parquet('{folder / '*.parquet'}')"
    agg = con.sql(suite_sql(source)).df()
    return finish_wide(agg)


# --------------------------------------------------------------------------------------
# Naive pandas: groupby().apply with a per-group Python function
# --------------------------------------------------------------------------------------


def _naive_group(g: pd.DataFrame) -> pd.DataFrame:
    """All indicators of one group, the straightforward way (called once per group).

    ``g`` carries the row-level helper columns added by :func:`run_naive` (destination
    family, employed, known code); the per-group work is plain NumPy and SciPy.
    """
    from scipy import stats

    rows = []

    def prop(ind, x, n):
        if n > 0:  # Wilson score interval for one group
            p, z2 = x / n, Z95 * Z95
            centre = (p + z2 / (2 * n)) / (1 + z2 / n)
            half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
            rows.append((ind, x, n, n, p, centre - half, centre + half))

    n = len(g)
    fam = g["fam"].to_numpy()
    unknown = int((~g["known"].to_numpy(dtype=bool)).sum())
    rows.append(("graduates_total", n, np.nan, n, n, np.nan, np.nan))
    rows.append(("unknown_destination_count", unknown, np.nan, unknown, unknown, np.nan, np.nan))
    for ind, fams in CODE_RATES.items():
        prop(ind, int(np.isin(fam, fams).sum()), n)
    prop("unknown_destination_share", unknown, n)
    employed = g["employed"].to_numpy(dtype=bool)
    for ind, col in FLAG_RATES.items():
        v = g[col].to_numpy()[employed]  # float: 1, 0 or NaN
        v = v[~np.isnan(v)]
        prop(ind, int(v.sum()), len(v))
    s = g["monthly_salary"].to_numpy(dtype=float)[employed]
    s = s[~np.isnan(s)]
    if len(s):
        m = s.mean()
        half = stats.t.ppf(0.975, len(s) - 1) * s.std(ddof=1) / np.sqrt(len(s)) if len(s) >= 2 else np.nan
        rows.append(("salary_mean", s.sum(), len(s), len(s), m, m - half, m + half))
    program = g.name[BY.index("program")]  # the group's key (key columns are not in g)
    if program in PARTNER_PROGRAMS:
        ret = g[g["partner"].notna()]
        prop("partner_retention_rate", int((ret["employer"].astype(str) == ret["partner"].astype(str)).sum()),
             len(ret))
    for ind, progs in PROGRAM_SHARES.items():
        prop(ind, n if program in progs else 0, n)
    return pd.DataFrame(rows, columns=["indicator", "numerator", "denominator", "n", "estimate", "ci_low",
                                       "ci_high"])


def run_naive(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame.groupby(BY).apply(per-group function)``: one Python call per group.

    Row-level helper columns (destination family, employed, known code, flags as
    0/1/NaN floats) are derived once, vectorised, before grouping, as a careful
    analyst would.
    """
    code = frame["destination_code"].astype("string")
    child = (code.str.len() == 3) & code.str[:2].isin(FAMILIES)
    fam = code.where(~child, code.str[:2])
    flags = {col: frame[col].astype("Float64").to_numpy(dtype=float, na_value=np.nan) for col in FLAG_RATES.values()}
    frame = frame.assign(
        **flags,
        fam=fam.fillna("").astype(object),  # missing code: no family
        employed=fam.isin(EMPLOYED).fillna(False).astype(bool),
        known=(code.isin(KNOWN + KNOWN_3DIGIT) | child).fillna(False).astype(bool),
    )
    cols = [c for c in frame.columns if c not in BY]
    out = frame.groupby(BY, observed=True, sort=False)[cols].apply(_naive_group)
    out = out.reset_index(level=BY).reset_index(drop=True)
    return out[["indicator", *BY, "numerator", "denominator", "n", "estimate", "ci_low", "ci_high"]]


# --------------------------------------------------------------------------------------
# coopmetrics
# --------------------------------------------------------------------------------------


def run_coopmetrics(source: Any, *, engine: str = "polars") -> pd.DataFrame:
    """``coopmetrics.compute`` on a lazy scan of the folder (or on a frame given directly)."""
    import coopmetrics as cm
    from coopmetrics import engines

    data = engines.scan(source, engine) if isinstance(source, str | Path) else source
    return cm.compute(data, SUITE, by=BY)


#: proportions compared between cohorts (closed-form Newcombe intervals)
COMPARE_SUITE = ["placement_rate", "job_relevance_rate", "partner_employment_rate", "turnover_rate"]
COMPARE_COLUMNS = ["n_cohort", "n_reference", "estimate_cohort", "estimate_reference", "difference", "ci_low",
                   "ci_high", "p_value", "q_value"]


def run_compare(source: Any) -> pd.DataFrame:
    """``coopmetrics.compare``: every cohort vs regular classes, every year x college x major."""
    from coopmetrics import engines
    from coopmetrics.compare import compare

    data = engines.scan(source, "duckdb") if isinstance(source, str | Path) else source
    return compare(data, COMPARE_SUITE, cohort="program", reference="regular", by=CMP_BY)


def compare_from_totals(source: Any) -> pd.DataFrame:
    """The same comparisons from group totals: one pushed-down compute() pass, then closed form.

    ``compute(by=year x college x major x program)`` gives each cohort's successes and
    denominator; cohort rows are paired with the regular-class row of their group and
    :func:`coopmetrics.contrasts.newcombe_diff` / ``two_proportion_test`` (Fisher's exact
    test where an expected count is < 5) / ``bh_qvalues`` run once over all pairs.
    No unit-level rows ever reach pandas.
    """
    import coopmetrics as cm
    from coopmetrics import engines
    from coopmetrics.contrasts import bh_qvalues, newcombe_diff, two_proportion_test

    data = engines.scan(source, "duckdb") if isinstance(source, str | Path) else source
    res = cm.compute(data, COMPARE_SUITE, by=[*CMP_BY, "program"])
    res = res.loc[res["denominator"] > 0, ["indicator", *CMP_BY, "program", "numerator", "denominator"]]
    is_ref = (res["program"] == "regular").to_numpy()
    ref = res.loc[is_ref].drop(columns="program").rename(columns={"numerator": "x0", "denominator": "n0"})
    pairs = res.loc[~is_ref].rename(columns={"program": "cohort", "numerator": "x1", "denominator": "n1"})
    pairs = pairs.merge(ref, on=["indicator", *CMP_BY], how="left")
    x1, n1 = pairs["x1"].to_numpy(float), pairs["n1"].to_numpy(float)
    x0, n0 = pairs["x0"].fillna(0).to_numpy(float), pairs["n0"].fillna(0).to_numpy(float)
    nc = newcombe_diff(x1, n1, x0, n0)
    tp = two_proportion_test(x1, n1, x0, n0, fisher=True)
    out = pairs[["indicator", *CMP_BY, "cohort"]].copy()
    out["reference"] = "regular"
    with np.errstate(invalid="ignore", divide="ignore"):
        out["n_cohort"], out["n_reference"] = n1, n0
        out["estimate_cohort"], out["estimate_reference"] = x1 / n1, np.where(n0 > 0, x0 / n0, np.nan)
    out["difference"], out["ci_low"], out["ci_high"] = nc["diff"], nc["ci_low"], nc["ci_high"]
    out["p_value"] = tp["p_value"]
    out["q_value"] = bh_qvalues(out["p_value"].to_numpy(float))
    return out.reset_index(drop=True)


def compare_agreement(a: pd.DataFrame, b: pd.DataFrame, rtol: float = 1e-6) -> dict[str, Any]:
    """Same comparison rows and numbers (n, estimates, difference, CI, p, q)?"""
    keys = ["indicator", *CMP_BY, "cohort"]

    def norm(d: pd.DataFrame) -> pd.DataFrame:
        d = d[[*keys, *COMPARE_COLUMNS]].copy()
        d["grad_year"] = d["grad_year"].astype("int64")
        for c in ("indicator", "college", "major", "cohort"):
            d[c] = d[c].astype(str)
        return d.set_index(keys).sort_index()

    na, nb = norm(a), norm(b)
    common = na.index.intersection(nb.index)
    report: dict[str, Any] = {"rows_a": len(na), "rows_b": len(nb), "rows_common": len(common)}
    ok = len(common) == len(na) == len(nb)
    for c in COMPARE_COLUMNS:
        x, y = na.loc[common, c].to_numpy(float), nb.loc[common, c].to_numpy(float)
        close = np.isclose(x, y, rtol=rtol, atol=1e-9) | (np.isnan(x) & np.isnan(y))
        report[f"mismatch_{c}"] = int((~close).sum())
        ok = ok and bool(close.all())
    report["agree"] = ok
    return report


# --------------------------------------------------------------------------------------
# Agreement
# --------------------------------------------------------------------------------------

NUMBERS = ["n", "estimate", "ci_low", "ci_high"]


def normalise(result: pd.DataFrame) -> pd.DataFrame:
    """Long result -> rows with n > 0, indexed by (indicator, BY) with comparable key dtypes."""
    out = result.loc[result["n"] > 0, ["indicator", *BY, *[c for c in NUMBERS if c in result.columns]]].copy()
    out["grad_year"] = out["grad_year"].astype("int64")
    for c in ("indicator", "college", "major", "program"):
        out[c] = out[c].astype(str)
    return out.set_index(["indicator", *BY]).sort_index()


def agreement(a: pd.DataFrame, b: pd.DataFrame, *, rtol: float = 1e-6, atol: float = 1e-9) -> dict[str, Any]:
    """Compare two long results: same rows, and the numbers equal to tolerance."""
    na, nb = normalise(a), normalise(b)
    common = na.index.intersection(nb.index)
    report: dict[str, Any] = {"rows_a": len(na), "rows_b": len(nb), "rows_common": len(common)}
    ok = len(common) == len(na) == len(nb)
    worst = 0.0
    for c in NUMBERS:
        if c not in na.columns or c not in nb.columns:
            continue
        x = na.loc[common, c].to_numpy(float)
        y = nb.loc[common, c].to_numpy(float)
        both_nan = np.isnan(x) & np.isnan(y)
        close = np.isclose(x, y, rtol=rtol, atol=atol) | both_nan
        if not close.all():
            ok = False
        diff = np.abs(x - y)[~both_nan]
        diff = diff[np.isfinite(diff)]
        worst = max(worst, float(diff.max()) if diff.size else 0.0)
        report[f"mismatch_{c}"] = int((~close).sum())
    report["max_abs_diff"] = worst
    report["agree"] = bool(ok)
    return report


# --------------------------------------------------------------------------------------
# Subprocess runner: one variant per process, peak memory from wait4()
# --------------------------------------------------------------------------------------


VARIANTS = ("duckdb-sql", "coopmetrics-duckdb", "coopmetrics-polars", "coopmetrics-pandas", "naive-pandas", "compare",
            "compare-totals")


def run_child(script: str | Path, variant: str, folder: Path, *extra: str) -> dict[str, Any]:
    """Run ``script --_child variant --_folder folder [extra]`` in a fresh process: its last JSON line.

    Each benchmark variant runs in its own process so that its wall time and its own peak RSS
    (:func:`_own_peak_gib`, printed by the child) are not those of the parent or another variant.
    """
    cmd = [sys.executable, str(Path(script).resolve()), "--_child", variant, "--_folder", str(folder), *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy(), check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"variant {variant} failed:\n{proc.stderr[-4000:]}")
    if "--profile" in extra:
        print(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _own_peak_gib() -> float | None:
    """Peak resident memory of this process's own address space (``VmHWM``), in GiB.

    Not ``ru_maxrss`` as seen by the parent: Linux carries the high-water mark of the address
    space a child is spawned from across ``exec``, so every child of a parent that has grown
    (it reads the results for the agreement checks) would report at least the parent's size.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024**2  # kB
    except OSError:  # not Linux
        pass
    return None


def _warm_imports() -> None:
    """Import, outside the timed region, the modules every variant loads lazily on first use.

    narwhals imports its DuckDB/Arrow backends and pyarrow its pandas bridge on the first
    query (≈ 0.1 s); like the other imports they are not part of the work being timed.
    """
    import duckdb
    import narwhals as nw

    con = duckdb.connect()
    rel = nw.from_native(con.sql("SELECT 1 AS g, 2 AS x"))
    nw.to_native(rel.group_by("g").agg(nw.col("x").sum()).collect()).to_pandas()
    con.sql("SELECT 1 AS g").df()
    con.close()


def _child(variant: str, folder: str, out: str, threads: int | None, profile: bool = False) -> None:
    """Run one variant inside this process; print a JSON line with the wall time.

    With ``profile`` the timed region of a ``coopmetrics-*`` variant runs under cProfile and
    the top functions (cumulative, then own time) go to stderr: the engine query is
    ``engines.collect``, the finishing ``_finish``, the long result ``_assemble``.
    """
    # imports first, outside the timed region
    import duckdb  # noqa: F401
    import polars  # noqa: F401
    import scipy.stats  # noqa: F401

    import coopmetrics as cm  # noqa: F401
    import coopmetrics.compare
    import coopmetrics.compute  # noqa: F401

    _warm_imports()
    if threads:
        os.environ.setdefault("POLARS_MAX_THREADS", str(threads))
    path = Path(folder)
    prof = None
    if profile and variant.startswith("coopmetrics"):
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t0, c0 = time.perf_counter(), time.process_time()
    if variant == "coopmetrics-duckdb":
        res = run_coopmetrics(path, engine="duckdb")
    elif variant == "coopmetrics-polars":
        res = run_coopmetrics(path, engine="polars")
    elif variant == "coopmetrics-pandas":  # the whole panel read into pandas first (as the naive variant)
        res = run_coopmetrics(pd.read_parquet(path, columns=COLUMNS))
    elif variant == "duckdb-sql":
        res = run_sql(path, threads=threads)
    elif variant == "naive-pandas":
        res = run_naive(pd.read_parquet(path, columns=COLUMNS))
    elif variant == "compare":
        res = run_compare(path)
    elif variant == "compare-totals":
        res = compare_from_totals(path)
    else:  # pragma: no cover - guarded by the caller
        raise SystemExit(f"unknown variant {variant}")
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    if prof is not None:
        import pstats

        prof.disable()
        stats = pstats.Stats(prof, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(15)
    rows_out = len(res)
    if variant == "duckdb-sql":
        res = wide_to_long(res)  # untimed: reshape for the agreement check
    if variant.startswith("compare"):
        keep = ["indicator", *CMP_BY, "cohort", *COMPARE_COLUMNS]
    else:
        keep = [c for c in ["indicator", *BY, "numerator", "denominator", *NUMBERS] if c in res.columns]
    res[keep].to_parquet(out)
    print(json.dumps({"variant": variant, "seconds": seconds, "cpu_seconds": cpu, "rows_out": rows_out,
                      "peak_rss_gib": _own_peak_gib()}))


def run_variant(variant: str, folder: Path, workdir: Path, threads: int | None = None,
                profile: bool = False) -> dict[str, Any]:
    """Run ``variant`` in a fresh Python process; return wall time, peak RSS and result path."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; one of {VARIANTS}")
    out = workdir / f"{variant}.parquet"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_child", variant, "--_folder", str(folder),
           "--_out", str(out)]
    if threads:
        cmd += ["--threads", str(threads)]
    if profile:
        cmd.append("--profile")
    # stderr to a file: a child's profile must not fill a pipe nobody reads before wait4 returns
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
        stdout = proc.stdout.read() if proc.stdout else ""
        # wait4 gives this child's own resource usage (peak RSS), not that of all children
        _, status, usage = os.wait4(proc.pid, 0)
        err.seek(0)
        stderr = err.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"variant {variant} failed:\n{stderr[-4000:]}")
    if profile and stderr.strip():
        print(f"### profile of {variant}\n{stderr}", flush=True)
    info = json.loads(stdout.strip().splitlines()[-1])
    if info.get("peak_rss_gib") is None:  # not Linux: ru_maxrss may include the parent's RSS at spawn
        info["peak_rss_gib"] = usage.ru_maxrss / 1024**2
    info["result"] = out
    return info


def bench(rows: list[int], *, repeat: int, naive_rows: set[int], compare_rows: set[int], polars: bool,
          pandas_rows: set[int], threads: int | None, keep_cache: bool, profile: bool = False
          ) -> list[dict[str, Any]]:
    """Run the benchmark for each size; print and return one record per variant."""
    records: list[dict[str, Any]] = []
    print(f"# machine: {os.cpu_count()} cores, {_mem_gib():.0f} GiB RAM, python {sys.version.split()[0]}, "
          f"load average {os.getloadavg()[0]:.1f}")
    for n in rows:
        t0 = time.perf_counter()
        folder = ensure_panel(n)
        gen = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in folder.glob("*.parquet")) / 1024**3
        print(f"\n## {n:,} rows  ({size:.2f} GiB Parquet in {folder.name}; ready in {gen:.1f} s)", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            variants = ["duckdb-sql", "coopmetrics-duckdb"] + (["coopmetrics-polars"] if polars else [])
            results: dict[str, dict[str, Any]] = {}
            # alternate the variants so that machine noise hits all of them alike; report medians
            runs: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
            for _ in range(repeat):
                for v in variants:
                    runs[v].append(run_variant(v, folder, work, threads, profile=profile))
            for v in variants:
                rs = sorted(runs[v], key=lambda r: r["seconds"])
                cpu = sorted(r["cpu_seconds"] for r in runs[v])
                results[v] = rs[len(rs) // 2] | {"all_seconds": [round(r["seconds"], 3) for r in runs[v]],
                                                  "cpu_seconds": cpu[len(cpu) // 2],
                                                  "peak_rss_gib": max(r["peak_rss_gib"] for r in runs[v])}
            extra = []
            if n in pandas_rows:
                extra.append("coopmetrics-pandas")
            if n in naive_rows:
                extra.append("naive-pandas")
            if n in compare_rows:
                extra += ["compare-totals", "compare"]
            for v in extra:
                try:
                    results[v] = run_variant(v, folder, work, threads)
                except RuntimeError as exc:
                    print(f"{v} failed: {str(exc)[-800:]}", flush=True)
            base = results["duckdb-sql"]
            ref = pd.read_parquet(base["result"])
            for v, r in results.items():
                rec = {"rows": n, "variant": v, "seconds": round(r["seconds"], 3),
                       "all_seconds": r.get("all_seconds"), "peak_rss_gib": round(r["peak_rss_gib"], 3),
                       "ratio_to_sql": round(r["seconds"] / base["seconds"], 3), "rows_out": r["rows_out"],
                       # process CPU time (engine threads included): less sensitive to other jobs
                       # on a shared machine than wall time
                       "cpu_seconds": round(r["cpu_seconds"], 3),
                       "cpu_ratio_to_sql": round(r["cpu_seconds"] / base["cpu_seconds"], 3)}
                if v == "compare" and "compare-totals" in results:
                    rec["agree_with_compare_totals"] = compare_agreement(
                        pd.read_parquet(r["result"]), pd.read_parquet(results["compare-totals"]["result"]))
                elif not v.startswith("compare") and v != "duckdb-sql":
                    rec["agree_with_sql"] = agreement(pd.read_parquet(r["result"]), ref)
                records.append(rec)
                print(json.dumps(rec, ensure_ascii=False), flush=True)
        if not keep_cache and n >= 50_000_000:
            shutil.rmtree(folder)
    _summary(records)
    return records


def _summary(records: list[dict[str, Any]]) -> None:
    """Print the issue's targets as a table of measured ratios."""
    by = {(r["rows"], r["variant"]): r for r in records}
    print("\n| rows | variant | wall s | peak RSS GiB | x hand-written DuckDB SQL | CPU s | CPU x SQL "
          "| numbers agree |")
    print("|---:|---|---:|---:|---:|---:|---:|---|")
    for r in records:
        agree = r.get("agree_with_sql", r.get("agree_with_compare_totals", {})).get("agree", "")
        print(f"| {r['rows']:,} | {r['variant']} | {r['seconds']:.2f} | {r['peak_rss_gib']:.2f} | "
              f"{r['ratio_to_sql']:.2f} | {r['cpu_seconds']:.2f} | {r['cpu_ratio_to_sql']:.2f} | {agree} |")
    print("\nTargets (issue #6: <= 1.25; issue #16: <= 1.0 at 10M and 50M rows, <= 1.5 GiB):")
    engines_ = ("coopmetrics-polars", "coopmetrics-duckdb")
    for n in sorted({r["rows"] for r in records}):
        for v in engines_:
            r = by.get((n, v))
            if r and n >= 10_000_000:
                ok = r["ratio_to_sql"] <= 1.0
                print(f"  {n:,} rows: {v} / hand-written DuckDB SQL = {r['ratio_to_sql']:.2f} (<= 1.0: {ok}; "
                      f"CPU time {r['cpu_ratio_to_sql']:.2f})")
            if r and n >= 50_000_000:
                print(f"  {n:,} rows: {v} peak memory {r['peak_rss_gib']:.2f} GiB "
                      f"(<= 1.5: {r['peak_rss_gib'] <= 1.5})")
        naive = by.get((n, "naive-pandas"))
        for v in (*engines_, "coopmetrics-pandas"):
            r = by.get((n, v))
            if naive and r:
                speed = naive["seconds"] / r["seconds"]
                print(f"  {n:,} rows: naive pandas apply / {v} = {speed:.0f}x (>= 300: {speed >= 300})")
        for v in ("compare", "compare-totals"):
            c = by.get((n, v))
            if c:
                print(f"  {n:,} rows: {v}: {c['seconds']:.1f} s (< 15 s: {c['seconds'] < 15})")


def _mem_gib() -> float:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    except (ValueError, OSError):  # pragma: no cover
        return float("nan")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", nargs="+", type=float, default=[1e6, 1e7], help="panel sizes, e.g. 1e6 1e7 5e7")
    ap.add_argument("--repeat", type=int, default=3, help="alternating runs per variant (median reported)")
    ap.add_argument("--naive", nargs="*", type=float, default=[1e6],
                    help="sizes at which to run the naive pandas apply (default 1e6; none: --naive)")
    ap.add_argument("--compare", nargs="*", type=float, default=[1e7],
                    help="sizes at which to run coopmetrics.compare (default 1e7)")
    ap.add_argument("--pandas", nargs="*", type=float, default=[1e6],
                    help="sizes at which to run compute() on a pandas frame read whole (default 1e6)")
    ap.add_argument("--no-polars", action="store_true", help="skip the Polars-scan variant")
    ap.add_argument("--threads", type=int, default=None, help="engine threads (default: all cores)")
    ap.add_argument("--keep-cache", action="store_true", help="keep the 50M-row Parquet cache (~GBs)")
    ap.add_argument("--json", type=Path, default=None, help="also write the records to this JSON file")
    ap.add_argument("--profile", action="store_true",
                    help="print a cProfile of each coopmetrics-* run (engine query = engines.collect)")
    ap.add_argument("--_child", help=argparse.SUPPRESS)
    ap.add_argument("--_folder", help=argparse.SUPPRESS)
    ap.add_argument("--_out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._child:
        _child(args._child, args._folder, args._out, args.threads, args.profile)
        return 0
    records = bench([int(r) for r in args.rows], repeat=args.repeat, naive_rows={int(r) for r in args.naive},
                    compare_rows={int(r) for r in args.compare}, polars=not args.no_polars,
                    pandas_rows={int(r) for r in args.pandas},
                    threads=args.threads, keep_cache=args.keep_cache, profile=args.profile)
    if args.json:
        args.json.write_text(json.dumps(records, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
