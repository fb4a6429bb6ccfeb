"""Distinct counts of an in-memory pandas table are computed in one select (issue 16 item 6).

The batched path (``_Context._batch_distinct``) must give exactly the rows of the per-count
query it replaces: that query still runs for Polars frames, so pandas and Polars inputs are
compared row for row, and a small table is checked against counts written out by hand.
"""

from __future__ import annotations

import pandas as pd
import polars as pl
import pytest

import coopmetrics as cm
from coopmetrics.compute import compute
from coopmetrics.registry import REGISTRY

DISTINCT = ["partner_count", "active_partner_count"]


def _enterprises() -> pd.DataFrame:
    # 甲 appears twice in 2023 (one enterprise), 乙 has no activity, 丁 has a missing year
    return pd.DataFrame({
        "enterprise": ["甲", "甲", "乙", "丙", "甲", "丁", None],
        "year": [2023, 2023, 2023, 2023, 2024, None, 2024],
        "interns_received": [3, 0, 0, None, 1, 2, 5],
        "funds": [0.0, 0.0, 0.0, 10.0, 0.0, 0.0, 0.0],
    })


def test_distinct_counts_by_hand():
    res = compute(cm.Dataset(enterprises=_enterprises()), DISTINCT, by="year")
    got = {(r.indicator, r.year if pd.notna(r.year) else None): r.numerator for r in res.itertuples()}
    # 2023: 甲, 乙, 丙 = 3 partners; active: 甲 (interns), 丙 (funds) = 2
    # 2024: 甲 = 1 (the row without an enterprise name is not counted); active: 甲 = 1
    # missing year: 丁 = 1, active 丁 = 1
    assert got[("partner_count", 2023)] == 3
    assert got[("active_partner_count", 2023)] == 2
    assert got[("partner_count", 2024)] == 1
    assert got[("active_partner_count", 2024)] == 1
    assert got[("partner_count", None)] == 1


def test_group_with_rows_but_no_match_counts_zero():
    e = _enterprises()
    e.loc[e["year"] == 2024, ["interns_received", "funds"]] = 0
    res = compute(cm.Dataset(enterprises=e), DISTINCT, by="year")
    row = res[(res["indicator"] == "active_partner_count") & (res["year"] == 2024)]
    assert row["numerator"].tolist() == [0.0]  # 2024 has rows, none active: 0, not a missing group


@pytest.fixture(scope="module")
def sample():
    return cm.sample.load_sample()


@pytest.mark.parametrize("by", [("grad_year",), ("grad_year", "department"), ("major_category",)])
def test_batched_pandas_equals_per_count_query_on_polars(sample, by):
    # the registry's distinct counts (kind "count" with a counted column): 19 of them on 6 tables
    ids = [i.id for i in REGISTRY if i.kind == "count" and i.numerator.column is not None]
    assert len(ids) >= 10
    pandas_res = compute(sample, ids, by=by)
    pl_data = cm.Dataset(**{k: pl.from_pandas(sample.get(k)) for k in sample.tables})
    polars_res = compute(pl_data, ids, by=by)
    cols = ["indicator", *by, "numerator", "denominator", "estimate", "status"]

    def norm(res: pd.DataFrame) -> pd.DataFrame:
        # engines spell a missing key differently (pd.NA, NaN, None): compare keys as text
        out = res[cols].copy()
        for c in by:
            out[c] = out[c].astype(object).where(out[c].notna(), "<missing>").astype(str)
        return out.sort_values(["indicator", *by]).reset_index(drop=True)

    pd.testing.assert_frame_equal(norm(pandas_res), norm(polars_res), check_dtype=False)


def test_empty_table_gives_no_rows():
    e = _enterprises().iloc[:0]
    res = compute(cm.Dataset(enterprises=e), DISTINCT, by="year")
    assert len(res) == 0


def test_categorical_key_keeps_only_groups_with_rows():
    # category "c" has no rows: no row for it (as for a plain column); "b" has rows, none active: 0
    e = pd.DataFrame({"enterprise": ["甲", "乙", "甲"],
                      "year": pd.Categorical(["a", "b", "a"], categories=["a", "b", "c"]),
                      "interns_received": [1, 0, 2], "funds": [0.0, 0.0, 0.0]})
    res = compute(cm.Dataset(enterprises=e), DISTINCT, by="year")
    got = {(r.indicator, str(r.year)): r.numerator for r in res.itertuples()}
    assert got == {("partner_count", "a"): 1, ("partner_count", "b"): 1,  # 甲 twice in "a" counts once
                   ("active_partner_count", "a"): 1, ("active_partner_count", "b"): 0}
