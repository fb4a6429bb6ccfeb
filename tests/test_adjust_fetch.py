"""Text covariates fetched dictionary-encoded from the engine (``unit_values(categories=...)``).

The adjusted comparisons ask :func:`coopmetrics.unit_values` for their cohort and
covariate columns as categories (10M rows of short strings: ~1 GiB as Arrow strings,
~40 MB as codes). These tests pin that the categories hold exactly the values of the
plain fetch (missing values included, across DuckDB's Arrow batch boundaries) and that
the adjusted comparison gives the same table either way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coopmetrics import compute_units, engines
from coopmetrics.compare import compare, compare_values
from coopmetrics.compute_units import unit_values

COLS = ["program", "grad_year", "college", "entry_score", "major", "gender", "admission"]
CODED = ["program", "major", "gender", "admission"]
ADJUST = ["entry_score", "major", "gender", "admission"]


def _graduates(n: int, seed: int) -> pd.DataFrame:
    """A roster whose text columns have missing values and levels absent from some colleges."""
    rng = np.random.default_rng(seed)
    gender = rng.choice(np.array(["男", "女", None], dtype=object), n, p=[0.48, 0.48, 0.04])
    return pd.DataFrame({
        "student_id": [f"S{i:06d}" for i in range(n)],
        "grad_year": rng.choice([2023, 2024], n),
        "college": rng.choice(["甲院", "乙院"], n),
        "program": rng.choice(["order_class", "apprenticeship", "regular"], n, p=[0.2, 0.2, 0.6]),
        "major": rng.choice([f"46{i:02d}01" for i in range(6)], n),
        "gender": gender,
        "admission": rng.choice(["统招", "单招"], n),
        "entry_score": rng.normal(400, 40, n).round(1),
        "destination_code": rng.choice(["10", "70", "801", "11"], n),
    })


def _as_text(s: pd.Series) -> np.ndarray:
    return s.astype(object).where(s.notna(), "<NA>").astype(str).to_numpy()


@pytest.fixture(scope="module")
def panel(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, str]:
    g = _graduates(3_000, seed=11)
    # the panel as exports write it: categories, stored dictionary-encoded (Polars reads them back as
    # Categorical); the college categories out of text order (乙 sorts before 甲)
    g = g.astype({"college": pd.CategoricalDtype(["甲院", "乙院"]), "major": "category"})
    path = tmp_path_factory.mktemp("fetch") / "graduates.parquet"
    g.to_parquet(path, index=False)
    return g, str(path)


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
@pytest.mark.parametrize("batch", [500, 1 << 20])  # many Arrow batches (each its own dictionary) and one
def test_categories_hold_the_values_of_the_plain_fetch(panel, engine, batch, monkeypatch):
    monkeypatch.setattr(compute_units, "_BATCH_ROWS", batch)
    scan = engines.scan(panel[1], engine)
    plain = unit_values(scan, "placement_rate", COLS)
    coded = unit_values(scan, "placement_rate", COLS, categories=CODED)
    assert len(plain) == len(coded) == len(panel[0])
    for c in CODED:
        assert isinstance(coded[c].dtype, pd.CategoricalDtype), c
        assert coded[c].cat.categories.is_unique  # batches' dictionaries unified into one
        np.testing.assert_array_equal(_as_text(coded[c]), _as_text(plain[c]))
    assert coded["gender"].isna().sum() == panel[0]["gender"].isna().sum() > 0
    for c in ["grad_year", "entry_score", "value", "weight"]:  # not listed: exactly as before
        np.testing.assert_array_equal(coded[c].to_numpy(), plain[c].to_numpy())


def test_in_memory_frames_get_categories_too(panel):
    g = panel[0]
    coded = unit_values(g, "placement_rate", COLS, categories=CODED)
    plain = unit_values(g, "placement_rate", COLS)
    for c in CODED:
        assert isinstance(coded[c].dtype, pd.CategoricalDtype), c
        np.testing.assert_array_equal(_as_text(coded[c]), _as_text(plain[c]))


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
def test_no_categories_is_the_former_fetch(panel, engine):
    """Without ``categories`` text stays text (the default output is unchanged), whatever the engine
    (Polars reads dictionary-encoded Parquet as ``Categorical``)."""
    out = unit_values(engines.scan(panel[1], engine), "placement_rate", COLS, categories=["major"])
    assert [c for c in COLS if isinstance(out[c].dtype, pd.CategoricalDtype)] == ["major"]


def test_adjusted_compare_does_not_depend_on_the_engine(panel):
    """The same rows in the same order with the same dtypes from DuckDB and Polars (the ``by``
    columns are text, sorted as text, on both)."""
    kw = dict(cohort="program", reference="regular", by=["grad_year", "college"], adjust=ADJUST)
    a = compare(engines.scan(panel[1], "duckdb"), "placement_rate", **kw).table
    b = compare(engines.scan(panel[1], "polars"), "placement_rate", **kw).table
    assert not isinstance(a["college"].dtype, pd.CategoricalDtype)
    assert a["college"].is_monotonic_increasing or a["grad_year"].nunique() > 1
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
def test_adjusted_compare_is_the_same_on_either_fetch(panel, engine, monkeypatch):
    monkeypatch.setattr(compute_units, "_BATCH_ROWS", 700)
    scan = engines.scan(panel[1], engine)
    kw = dict(cohort="program", reference="regular", by=["grad_year", "college"], adjust=ADJUST)
    got = compare(scan, "placement_rate", **kw).table
    plain = unit_values(scan, "placement_rate", ["program", "grad_year", "college", *ADJUST])
    want = compare_values(plain, "proportion", indicator="placement_rate", **kw).table
    assert got["difference"].notna().sum() >= 4  # the comparison estimated something
    pd.testing.assert_frame_equal(got.drop(columns=["indicator"], errors="ignore"),
                                  want.drop(columns=["indicator"], errors="ignore"), check_exact=False,
                                  rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
def test_an_empty_population_gives_empty_categories(tmp_path, engine):
    """An empty roster: zero rows, the listed text columns still categories."""
    g = _graduates(50, seed=3).iloc[:0]
    path = tmp_path / "g.parquet"
    g.to_parquet(path, index=False)
    out = unit_values(engines.scan(str(path), engine), "placement_rate", COLS, categories=CODED)
    plain = unit_values(engines.scan(str(path), engine), "placement_rate", COLS)
    assert len(out) == len(plain) == 0
    assert all(isinstance(out[c].dtype, pd.CategoricalDtype) for c in CODED)
