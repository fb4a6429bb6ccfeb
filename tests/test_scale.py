"""Tests for the scale benchmark's pieces (benchmarks/bench_scale.py) on small data.

The benchmark's hand-written DuckDB SQL and naive pandas apply are the yardsticks the
issue's targets are measured against, so they are checked here against a hand
calculation, against each other, and against coopmetrics.compute.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_scale", ROOT / "benchmarks" / "bench_scale.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_scale"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def small_panel(bench, tmp_path_factory):
    """12k rows, 3 colleges x 2 years: few groups so the naive apply stays fast."""
    root = tmp_path_factory.mktemp("cache")
    return bench.ensure_panel(12_000, root=root, chunk_rows=5_000, progress=False, n_colleges=3,
                              years=(2023, 2024))


# --- a panel small enough to compute by hand -------------------------------------------------


def _hand_panel() -> pd.DataFrame:
    """Two groups. Group A (2024, 甲院, 数控, order_class): 5 graduates; group B (regular): 3."""
    rows = [
        # code, relevant, salary, partner, employer, left
        ("10", True, 4000.0, "华为", "华为", False),
        ("11", False, 5000.0, "华为", "腾讯", True),
        ("271", True, 6000.0, "华为", "华为", None),   # 3-digit child of family 27: employed
        ("803", None, None, "华为", None, None),       # further study: placed, not employed
        ("70", None, None, "华为", None, None),        # not placed
        ("76", True, 3000.0, None, "小店", False),
        ("99", None, None, None, None, None),          # unknown code: counted, never placed
        (None, None, None, None, None, None),          # missing code: unknown too
    ]
    df = pd.DataFrame(rows, columns=["destination_code", "job_relevant", "monthly_salary", "partner", "employer",
                                     "left_within_6m"])
    df["grad_year"] = 2024
    df["college"] = "甲院"
    df["major"] = "数控"
    df["program"] = ["order_class"] * 5 + ["regular"] * 3
    for col in ("job_relevant", "left_within_6m"):
        df[col] = df[col].astype("boolean")
    for col in ("employer_is_partner", "local_job", "west_northeast_job", "sme_job", "top500_job"):
        df[col] = df["job_relevant"]  # same pattern: only the shape matters for these
    df["student_id"] = [str(i) for i in range(len(df))]
    return df


def _wilson(x: int, n: int) -> tuple[float, float]:
    lo, hi = proportion_confint(x, n, alpha=0.05, method="wilson")
    return float(lo), float(hi)


def test_sql_and_naive_match_a_hand_calculation(bench, tmp_path):
    df = _hand_panel()
    folder = tmp_path / "hand"
    folder.mkdir()
    df.to_parquet(folder / "part-0000.parquet", index=False)
    sql = bench.normalise(bench.wide_to_long(bench.run_sql(folder)))
    naive = bench.normalise(bench.run_naive(pd.read_parquet(folder)))
    a = (2024, "甲院", "数控", "order_class")
    b = (2024, "甲院", "数控", "regular")
    # placement: A has 10, 11, 271, 803 placed of 5; B has 76 placed of 3 (99 and missing are unknown)
    expected = {
        ("placement_rate", *a): (4, 5), ("placement_rate", *b): (1, 3),
        ("further_study_rate", *a): (1, 5), ("not_placed_rate", *a): (1, 5),
        ("contract_employment_rate", *a): (3, 5), ("flexible_employment_rate", *b): (1, 3),
        ("unknown_destination_share", *b): (2, 3), ("unknown_destination_share", *a): (0, 5),
        # relevance among employed (10, 11, 271 in A; 76 in B) with the flag recorded
        ("job_relevance_rate", *a): (2, 3), ("job_relevance_rate", *b): (1, 1),
        # turnover: A employed with flag recorded are 10 (False) and 11 (True)
        ("turnover_rate", *a): (1, 2),
        # retention: order class with a partner: 5; employer == partner for rows 1 and 3
        ("partner_retention_rate", *a): (2, 5),
        ("order_class_share", *a): (5, 5), ("order_class_share", *b): (0, 3),
        ("partnership_program_share", *a): (5, 5),
    }
    for key, (x, n) in expected.items():
        lo, hi = _wilson(x, n)
        for result in (sql, naive):
            row = result.loc[key]
            assert row["n"] == n, key
            assert row["estimate"] == pytest.approx(x / n), key
            assert row["ci_low"] == pytest.approx(lo, abs=1e-12), key
            assert row["ci_high"] == pytest.approx(hi, abs=1e-12), key
    # salary mean with t interval among employed of A: 4000, 5000, 6000
    sal = np.array([4000.0, 5000.0, 6000.0])
    lo, hi = stats.t.interval(0.95, len(sal) - 1, loc=sal.mean(), scale=stats.sem(sal))
    for result in (sql, naive):
        row = result.loc[("salary_mean", *a)]
        assert (row["n"], row["estimate"]) == (3, 5000.0)
        assert row["ci_low"] == pytest.approx(lo) and row["ci_high"] == pytest.approx(hi)
        # B has a single salary: a mean but no interval
        single = result.loc[("salary_mean", *b)]
        assert single["estimate"] == 3000.0 and math.isnan(single["ci_low"])
        assert result.loc[("unknown_destination_count", *b), "estimate"] == 2
        assert result.loc[("graduates_total", *a), "estimate"] == 5


def test_sql_naive_and_compute_agree_on_a_generated_panel(bench, small_panel):
    import coopmetrics as cm
    from coopmetrics import engines

    sql = bench.wide_to_long(bench.run_sql(small_panel))
    naive = bench.run_naive(pd.read_parquet(small_panel, columns=bench.COLUMNS))
    report = bench.agreement(naive, sql)
    assert report["agree"], report
    assert report["rows_common"] > 1000  # many groups x indicators, not a trivial comparison
    for engine in ("duckdb", "polars"):
        result = cm.compute(engines.scan(small_panel, engine), bench.SUITE, by=bench.BY)
        report = bench.agreement(result, sql)
        assert report["agree"], (engine, report)


def test_agreement_detects_a_changed_number_and_a_missing_row(bench, small_panel):
    sql = bench.wide_to_long(bench.run_sql(small_panel))
    changed = sql.copy()
    row = changed.index[changed["indicator"] == "placement_rate"][3]
    changed.loc[row, "ci_high"] += 1e-3
    report = bench.agreement(changed, sql)
    assert not report["agree"] and report["mismatch_ci_high"] == 1
    report = bench.agreement(sql.drop(index=5), sql)
    assert not report["agree"] and report["rows_common"] == len(sql) - 1


def test_panel_cache_is_chunked_compact_and_reused(bench, small_panel):
    files = sorted(small_panel.glob("*.parquet"))
    assert [f.name for f in files] == ["part-0000.parquet", "part-0001.parquet", "part-0002.parquet"]
    assert (small_panel / "_COMPLETE").exists()
    assert sum(pq.ParquetFile(f).metadata.num_rows for f in files) == 12_000
    schema = pq.read_schema(files[0])
    assert str(schema.field("grad_year").type) == "int16"
    assert str(schema.field("college").type).startswith("dictionary")  # categories stay compact
    stamp = [f.stat().st_mtime_ns for f in files]
    again = bench.ensure_panel(12_000, root=small_panel.parent, chunk_rows=5_000, progress=False, n_colleges=3,
                               years=(2023, 2024))
    assert again == small_panel
    assert [f.stat().st_mtime_ns for f in files] == stamp  # cached, not rewritten


def test_interrupted_cache_is_regenerated(bench, tmp_path):
    folder = tmp_path / "panel_3000_seed2024_c2_y2024-2024"
    folder.mkdir()
    (folder / "part-0000.parquet").write_bytes(b"half-written")
    out = bench.ensure_panel(3_000, root=tmp_path, chunk_rows=2_000, progress=False, n_colleges=2, years=(2024,))
    assert out == folder
    assert pq.ParquetFile(folder / "part-0000.parquet").metadata.num_rows == 2_000


def test_variant_runs_in_its_own_process_with_time_and_peak_memory(bench, small_panel, tmp_path):
    info = bench.run_variant("duckdb-sql", small_panel, tmp_path)
    assert info["seconds"] > 0
    # a Python process with pandas + DuckDB loaded holds well over 50 MiB
    assert 0.05 < info["peak_rss_gib"] < 8
    in_process = bench.wide_to_long(bench.run_sql(small_panel))
    assert bench.agreement(pd.read_parquet(info["result"]), in_process)["agree"]
