"""Tests of coopmetrics.disclosure: HESA rounding by hand, presets on a compute()-shaped fixture."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopmetrics.disclosure import apply_disclosure, hesa_round, public_table, row_kinds
from coopmetrics.errors import InputError, InvalidOptionError


@pytest.mark.parametrize(
    ("raw", "rounded"),
    [
        (0, 0),  # true zero stays 0
        (1, 0),  # below 2.5 -> 0 (rule 2)
        (2, 0),
        (2.4, 0),
        (2.5, 5),  # halves up (rule 3)
        (3, 5),  # nearest multiple of 5 (rule 1)
        (7, 5),  # 7 is 2 from 5 and 3 from 10
        (7.5, 10),  # half -> up
        (12, 10),
        (12.5, 15),
        (22, 20),
        (22.5, 25),
        (23, 25),
        (1002, 1000),
        (1003, 1005),
    ],
)
def test_hesa_round_hand_worked(raw, rounded):
    assert hesa_round(raw) == rounded


def test_hesa_round_nan_and_vector():
    out = hesa_round([np.nan, 17.5, 47])
    assert np.isnan(out[0]) and out[1:].tolist() == [20.0, 45.0]


def _result() -> pd.DataFrame:
    """A compute()-shaped result with one row per situation (ids from the registry)."""
    rows = [
        # indicator, numerator, denominator, n, estimate, se, unit, status
        ("placement_rate", 20, 22, 22, 20 / 22, 0.06, "share", "reported"),  # 22 < 22.5: suppress
        ("placement_rate", 21, 23, 23, 21 / 23, 0.06, "share", "reported"),  # 23: publish
        ("employment_satisfaction", 15, 20, 20, 0.74, 0.1, "share", "reported"),  # 20 respondents
        ("salary_mean", 7 * 4000.0, 7, 7, 4000.0, 300.0, "yuan_per_month", "reported"),  # 7: suppress
        ("salary_median", np.nan, 8, 8, 4100.0, 320.0, "yuan_per_month", "reported"),  # 8: publish
        ("funds_per_student", 120000.0, 6, 6, 20000.0, np.nan, "yuan_per_student", "reported"),  # 6
        ("student_teacher_ratio", 1801, 101, 101, 1801 / 101, 0.5, "students_per_teacher", "reported"),
        ("graduates_total", 12, np.nan, 12, 12.0, np.nan, "persons", "reported"),  # count: round
        ("tech_service_income", 12345.6, np.nan, 3, 12345.6, np.nan, "yuan", "reported"),  # money
        ("part_time_hours", 1234.0, np.nan, 4, 1234.0, np.nan, "hours", "reported"),  # not headcount
        ("dual_teacher_ratio_professional", np.nan, np.nan, 0, np.nan, np.nan, "share", "missing_input"),
    ]
    df = pd.DataFrame(
        rows, columns=["indicator", "numerator", "denominator", "n", "estimate", "se", "unit", "status"]
    )
    df.insert(1, "grad_year", 2024)
    df["ci_low"] = df["estimate"] - 0.1
    df["ci_high"] = df["estimate"] + 0.1
    df["n_eff"] = df["n"]
    df.index = pd.Index([f"r{i}" for i in range(len(df))])  # a non-default index must be kept
    return df


def test_row_kinds_from_registry():
    kinds = row_kinds(_result()).tolist()
    assert kinds[:6] == ["proportion", "proportion", "weighted_proportion", "mean", "median", "ratio_of_sums"]
    assert kinds[7:10] == ["count", "sum", "sum"]


def test_hesa_preset_rules():
    res = _result()
    out = apply_disclosure(res, "hesa")
    assert out.index.equals(res.index) and len(out) == len(res)  # nothing deleted, order kept
    rule = out["disclosure_rule"].tolist()
    assert rule == [
        "hesa_pct_lt_22.5",  # 22 individuals
        "",
        "hesa_pct_lt_22.5",  # weighted share of 20 respondents
        "hesa_avg_le_7",  # mean of 7
        "",
        "hesa_avg_le_7",  # per-student ratio over 6 students
        "",
        "",
        "",
        "",
        "",
    ]
    assert out["status"].tolist() == [
        "suppressed", "reported", "suppressed", "suppressed", "reported", "suppressed",
        "reported", "reported", "reported", "reported", "missing_input",
    ]  # fmt: skip
    # the analyst frame keeps the numbers ...
    pd.testing.assert_series_equal(out["estimate"], res["estimate"])
    # ... the public columns do not show suppressed ones
    sup = out["status"].eq("suppressed")
    assert out.loc[sup, ["estimate_public", "ci_low_public", "ci_high_public"]].isna().all().all()
    assert out.loc["r1", "estimate_public"] == pytest.approx(21 / 23)
    # rounded counts: 20 -> 20, 22 -> 20, 21 -> 20, 23 -> 25, 15 -> 15, 7 -> 5, 101 -> 100, 1801 -> 1800
    assert out["denominator_rounded"].iloc[:3].tolist() == [20, 25, 20]
    assert out["numerator_rounded"].iloc[:3].tolist() == [20, 20, 15]
    assert out.loc["r3", "n_rounded"] == 5
    assert out.loc["r6", ["numerator_rounded", "denominator_rounded"]].tolist() == [1800, 100]
    # money is not rounded (rule 7): mean's sum, per-student funds, income
    assert out.loc["r3", "numerator_rounded"] == 28000.0
    assert out.loc["r5", "numerator_rounded"] == 120000.0
    assert out.loc["r8", ["numerator_rounded", "estimate_public"]].tolist() == [12345.6, 12345.6]
    # count-valued estimates are rounded: 12 graduates -> 10; hours are not headcounts
    assert out.loc["r7", "estimate_public"] == 10
    assert out.loc["r9", "estimate_public"] == 1234.0
    assert out["disclosure_preset"].eq("hesa").all()


def test_min_n_preset():
    res = _result()
    out = apply_disclosure(res, "min_n", min_n=10)
    # bases: 22, 23, 20, 7 (n), 8 (n), 6, 101 -> below 10: salary mean, median, funds per student
    assert out["disclosure_rule"].eq("min_n").tolist() == [
        False, False, False, True, True, True, False, False, False, False, False,
    ]  # fmt: skip
    sup = out["disclosure_rule"].eq("min_n")
    assert out.loc[sup, ["numerator_rounded", "denominator_rounded", "n_rounded", "estimate_public"]].isna().all().all()
    # counts are not rounded under min_n
    assert out.loc["r0", "denominator_rounded"] == 22
    out30 = apply_disclosure(res, "min_n", min_n=30)
    assert out30.loc[["r0", "r1", "r2"], "status"].eq("suppressed").all()


def test_none_preset_changes_nothing():
    res = _result()
    out = apply_disclosure(res, "none")
    assert out["status"].tolist() == res["status"].tolist()
    np.testing.assert_array_equal(out["estimate_public"], res["estimate"])
    np.testing.assert_array_equal(out["numerator_rounded"], res["numerator"])


def test_public_table_has_no_suppressed_numbers():
    res = _result()
    pub = public_table(apply_disclosure(res, "hesa"))
    assert list(pub.columns) == [*res.columns, "disclosure_rule"]
    sup = pub["status"].eq("suppressed")
    for c in ["estimate", "se", "ci_low", "ci_high", "n_eff"]:
        assert pub.loc[sup, c].isna().all(), c
    assert pub.loc["r1", "estimate"] == pytest.approx(21 / 23)
    assert pub.loc["r0", "denominator"] == 20  # rounded count still shown (HESA shows counts)
    # n_eff (= n for unweighted rows) is rounded too, else it would reveal the exact n: 23 -> 25, 101 -> 100
    assert pub.loc[["r1", "r6"], "n_eff"].tolist() == [25, 100]
    assert pub.loc["r0", "n_eff"] != pub.loc["r0", "n_eff"]  # NaN where suppressed
    with pytest.raises(InputError, match="apply_disclosure"):
        public_table(res)


def test_explicit_kind_column_and_unknown_indicator():
    res = pd.DataFrame(
        {
            "indicator": ["my_share", "my_mean"],
            "kind": ["proportion", "mean"],
            "numerator": [5, 50.0],
            "denominator": [10, 5],
            "n": [10, 5],
            "estimate": [0.5, 10.0],
            "unit": ["share", "hours"],
            "status": "reported",
        }
    )
    out = apply_disclosure(res)
    assert out["disclosure_rule"].tolist() == ["hesa_pct_lt_22.5", "hesa_avg_le_7"]
    # unknown ids without a kind column fall back on the unit
    assert row_kinds(res.drop(columns="kind")).tolist() == ["proportion", "count"]


def test_bad_arguments():
    with pytest.raises(InvalidOptionError, match="hesa"):
        apply_disclosure(_result(), "hesaa")
    with pytest.raises(InputError, match="status"):
        apply_disclosure(_result().drop(columns="status"))
    with pytest.raises(InputError, match="min_n"):
        apply_disclosure(_result(), "min_n", min_n=float("nan"))


@settings(max_examples=50, deadline=None)
@given(
    dens=st.lists(st.integers(0, 200), min_size=1, max_size=30),
    fracs=st.lists(st.floats(0, 1), min_size=30, max_size=30),
    preset=st.sampled_from(["hesa", "min_n"]),
    k=st.integers(1, 40),
)
def test_disclosure_invariants(dens, fracs, preset, k):
    den = np.array(dens, dtype=float)
    num = np.floor(den * np.array(fracs[: len(den)]))
    with np.errstate(invalid="ignore", divide="ignore"):
        est = np.where(den > 0, num / den, np.nan)
    res = pd.DataFrame(
        {
            "indicator": "placement_rate",
            "numerator": num,
            "denominator": den,
            "n": den,
            "estimate": est,
            "unit": "share",
            "status": np.where(den > 0, "reported", "not_applicable"),
        }
    )
    out = apply_disclosure(res, preset, min_n=k)
    assert len(out) == len(res)
    threshold = 22.5 if preset == "hesa" else k
    expect_sup = (res["status"] == "reported") & (den < threshold)
    assert (out["status"] == "suppressed").tolist() == expect_sup.tolist()
    assert out.loc[expect_sup, "estimate_public"].isna().all()
    assert (out.loc[~expect_sup, "estimate_public"].fillna(-1) == res.loc[~expect_sup, "estimate"].fillna(-1)).all()
    if preset == "hesa":
        r = out["denominator_rounded"].to_numpy()
        assert (r % 5 == 0).all() and (np.abs(r - den) <= 2.5).all()
        assert (out["numerator_rounded"] <= out["denominator_rounded"]).all()
