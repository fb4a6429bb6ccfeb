"""Tests of coopmetrics.targets: target checks by hand, year-over-year change vs statsmodels/scipy."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_effectsize

from coopmetrics.errors import InputError, InvalidOptionError
from coopmetrics.targets import YOY_COLUMNS, compare_targets, year_over_year

Z95 = 1.959963984540054


def _res(**cols) -> pd.DataFrame:
    df = pd.DataFrame(cols)
    if "status" not in df:
        df["status"] = "reported"
    if "unit" not in df:
        df["unit"] = "share"
    return df


# --- compare_targets ----------------------------------------------------------------------------


def test_official_target_from_result_and_rule_by_hand():
    # 双师 share of professional-course teachers, target 50 %: 0.44 < 0.45 = 0.9 × 0.5 <= 0.45 <= 0.49 < 0.5
    res = _res(
        indicator="dual_teacher_ratio_professional", major=list("ABCD"), estimate=[0.44, 0.45, 0.49, 0.5], target=0.5
    )
    out = compare_targets(res)
    assert out["meets_target"].tolist() == [False, False, False, True]
    assert out["meets_rule"].tolist() == [False, True, True, True]
    assert out["gap"].round(10).tolist() == [-0.06, -0.05, -0.01, 0.0]
    assert out["attainment"].round(10).tolist() == [0.88, 0.9, 0.98, 1.0]
    assert out["target_source"].eq("official").all() and out["target_rule"].eq(0.9).all()
    assert out["direction"].eq("higher").all()  # from the registry


def test_boundary_is_met_despite_rounding():
    # 0.9 * 0.8 = 0.7200000000000001 in binary floating point; 0.72 must still meet the rule
    out = compare_targets(_res(indicator="x", estimate=[0.72], target=0.8))
    assert bool(out["meets_rule"].iloc[0]) is True


def test_registry_target_when_result_has_no_target_column():
    res = _res(indicator=["dual_teacher_ratio_professional", "internship_insurance_rate", "placement_rate"],
               estimate=[0.6, 0.97, 0.9])  # fmt: skip
    out = compare_targets(res)
    # registry: 0.5 and 1.0 (insurance should be 100 %); placement has no official target
    assert out["target"].iloc[:2].tolist() == [0.5, 1.0] and np.isnan(out["target"].iloc[2])
    assert out["meets_target"].tolist()[:2] == [True, False]
    assert out["meets_rule"].tolist()[:2] == [True, True]  # 0.97 >= 0.9
    assert out["meets_target"].isna().tolist() == [False, False, True]
    assert out["target_source"].tolist() == ["official", "official", ""]


def test_user_targets_dict_and_lower_is_better():
    res = _res(indicator=["turnover_rate", "turnover_rate", "placement_rate"], estimate=[0.2, 0.23, 0.86])
    out = compare_targets(res, {"turnover_rate": 0.21, "placement_rate": 0.95})
    # turnover (lower is better): 0.2 <= 0.21 met; 0.23 > 0.21 not met, but 0.9 × 0.23 = 0.207 <= 0.21
    assert out["direction"].tolist() == ["lower", "lower", "higher"]
    assert out["meets_target"].tolist() == [True, False, False]
    assert out["meets_rule"].tolist() == [True, True, True]  # 0.86 >= 0.855
    assert out["attainment"].iloc[1] == pytest.approx(0.21 / 0.23)
    assert out["target_source"].eq("user").all()
    # a stricter rule
    strict = compare_targets(res, {"turnover_rate": 0.21, "placement_rate": 0.95}, rule=0.95)
    assert strict["meets_rule"].tolist() == [True, False, False]  # 0.95*0.23 = 0.2185 > 0.21; 0.86 < 0.9025


def test_user_targets_per_group_and_direction_override():
    res = _res(indicator="placement_rate", major=["A", "B", "C"], estimate=[0.9, 0.9, 0.9])
    tg = pd.DataFrame({"indicator": "placement_rate", "major": ["A", "B"], "target": [0.85, 0.95]})
    out = compare_targets(res, tg)
    assert out["meets_target"].isna().tolist() == [False, False, True]  # C has no target
    assert out["meets_target"].iloc[:2].tolist() == [True, False]
    lower = compare_targets(res, tg, direction={"placement_rate": "lower"})
    assert lower["meets_target"].iloc[:2].tolist() == [False, True]
    none = compare_targets(res, tg, direction={"placement_rate": "none"})
    assert none["meets_target"].isna().all() and none["gap"].iloc[0] == pytest.approx(0.05)
    with pytest.raises(InvalidOptionError):
        compare_targets(res, tg, direction={"placement_rate": "up"})
    with pytest.raises(InputError, match="department"):
        compare_targets(res, tg.assign(department="x"))


def test_not_reported_rows_get_na():
    res = _res(indicator="placement_rate", estimate=[0.99, 0.99], status=["suppressed", "reported"], target=0.9)
    out = compare_targets(res)
    assert out["meets_target"].isna().tolist() == [True, False]
    with pytest.raises(InvalidOptionError, match="rule"):
        compare_targets(res, rule=90)


# --- year_over_year -----------------------------------------------------------------------------


def _panel() -> pd.DataFrame:
    rows = []
    counts = {  # (major, year): (numerator, denominator)
        ("A", 2022): (80, 100), ("A", 2023): (88, 100), ("A", 2024): (90, 120),
        ("B", 2022): (30, 50), ("B", 2024): (40, 50),  # B has no 2023
        ("C", 2023): (3, 10), ("C", 2024): (9, 10),  # small counts: Fisher
    }  # fmt: skip
    for (major, year), (x, n) in counts.items():
        p = x / n
        rows.append(("placement_rate", "毕业去向落实率", "placement rate", major, year, x, n, n, p,
                     math.sqrt(p * (1 - p) / n), "share", "reported"))  # fmt: skip
    return pd.DataFrame(
        rows,
        columns=["indicator", "name_zh", "name_en", "major", "grad_year", "numerator", "denominator", "n",
                 "estimate", "se", "unit", "status"],
    )  # fmt: skip


def test_yoy_proportions_match_statsmodels_and_scipy():
    res = _panel()
    out = year_over_year(res)
    assert list(out.columns) == ["indicator", "name_zh", "name_en", "major", "grad_year", *YOY_COLUMNS]
    # pairs with a previous year: A 2023, A 2024, C 2024 (B 2024 has no 2023)
    assert out[["major", "grad_year", "year_prev"]].values.tolist() == [["A", 2023, 2022], ["A", 2024, 2023], ["C", 2024, 2023]]
    x1, n1 = np.array([88, 90, 9]), np.array([100, 120, 10])
    x0, n0 = np.array([80, 88, 3]), np.array([100, 100, 10])
    lo, hi = confint_proportions_2indep(x1, n1, x0, n0, method="newcomb", compare="diff")
    np.testing.assert_allclose(out["ci_low"], lo, atol=1e-12)
    np.testing.assert_allclose(out["ci_high"], hi, atol=1e-12)
    np.testing.assert_allclose(out["change"], x1 / n1 - x0 / n0)
    np.testing.assert_allclose(out["effect_size"], proportion_effectsize(x1 / n1, x0 / n0))
    assert out["ci_method"].eq("newcombe").all()
    assert out["test"].tolist() == ["chi2", "chi2", "fisher"]
    for i in range(2):
        table = [[x1[i], n1[i] - x1[i]], [x0[i], n0[i] - x0[i]]]
        assert out["p_value"].iloc[i] == pytest.approx(stats.chi2_contingency(table, correction=False).pvalue)
    assert out["p_value"].iloc[2] == pytest.approx(stats.fisher_exact([[9, 1], [3, 7]]).pvalue)
    np.testing.assert_allclose(out["q_value"], multipletests(out["p_value"], method="fdr_bh")[1])
    # relative change A 2024: 0.75 / 0.88 - 1
    assert out["change_relative"].iloc[1] == pytest.approx(0.75 / 0.88 - 1)


def test_yoy_lag_two():
    out = year_over_year(_panel(), lag=2)
    assert out[["major", "grad_year", "year_prev"]].values.tolist() == [["A", 2024, 2022], ["B", 2024, 2022]]
    # B: 40/50 - 30/50 = 0.2
    assert out["change"].iloc[1] == pytest.approx(0.2)


def test_yoy_means_normal_by_hand_and_counts_change_only():
    res = pd.DataFrame(
        {
            "indicator": ["salary_mean"] * 2 + ["graduates_total"] * 2 + ["employment_satisfaction"] * 2,
            "year": [2023, 2024] * 3,
            "numerator": [np.nan, np.nan, 500, 520, 150, 160],
            "denominator": [np.nan, np.nan, np.nan, np.nan, 200, 200],
            "estimate": [4000.0, 4300.0, 500, 520, 0.70, 0.78],
            "se": [90.0, 120.0, np.nan, np.nan, 0.035, 0.03],
            "unit": ["yuan_per_month"] * 2 + ["persons"] * 2 + ["share"] * 2,
            "status": "reported",
        }
    )
    out = year_over_year(res).set_index("indicator")
    # salary: diff 300, se = sqrt(90² + 120²) = 150, z = 2, CI 300 ± 1.96*150, p = 2(1 - Φ(2)) = 0.0455
    s = out.loc["salary_mean"]
    assert s["ci_method"] == "normal" and s["test"] == "z"
    assert s["ci_low"] == pytest.approx(300 - Z95 * 150) and s["ci_high"] == pytest.approx(300 + Z95 * 150)
    assert s["p_value"] == pytest.approx(2 * stats.norm.sf(2))
    # weighted survey share: design-based SEs, not Newcombe on raw counts
    w = out.loc["employment_satisfaction"]
    assert w["ci_method"] == "normal"
    assert w["ci_low"] == pytest.approx(0.08 - Z95 * math.sqrt(0.035**2 + 0.03**2))
    # counts: change only
    c = out.loc["graduates_total"]
    assert c["change"] == 20 and c["ci_method"] == "none" and np.isnan(c["ci_low"]) and np.isnan(c["p_value"])
    # q-values only over the two rows with p-values
    assert out["q_value"].notna().sum() == 2


def test_yoy_suppressed_year_blanks_the_change():
    res = _panel()
    res.loc[(res["major"] == "A") & (res["grad_year"] == 2023), "status"] = "suppressed"
    out = year_over_year(res).set_index(["major", "grad_year"])
    for key in [("A", 2023), ("A", 2024)]:
        assert out.loc[key, "status"] == "suppressed"
        assert np.isnan(out.loc[key, "change"]) and np.isnan(out.loc[key, "ci_low"]) and np.isnan(out.loc[key, "q_value"])
    assert out.loc[("C", 2024), "status"] == "reported" and out.loc[("C", 2024), "q_value"] == pytest.approx(
        out.loc[("C", 2024), "p_value"]
    )


def test_yoy_errors():
    res = _panel()
    with pytest.raises(InputError, match="year_col"):
        year_over_year(res.assign(year=res["grad_year"]))
    with pytest.raises(InputError, match="by="):
        year_over_year(res.drop(columns="major"))
    with pytest.raises(InvalidOptionError, match="lag"):
        year_over_year(res, lag=0)
    assert len(year_over_year(res.assign(year=res["grad_year"]), year_col="grad_year", by=["major"])) == 3


def test_yoy_is_vectorised_at_scale():
    rng = np.random.default_rng(0)
    idx = pd.MultiIndex.from_product([[f"ind{i}" for i in range(60)], [f"m{j}" for j in range(100)], range(2015, 2025)],
                                     names=["indicator", "major", "grad_year"])  # fmt: skip
    n = rng.integers(10, 300, len(idx))
    x = rng.binomial(n, 0.7)
    res = pd.DataFrame({"numerator": x, "denominator": n, "estimate": x / n, "se": 0.03, "unit": "share",
                        "status": "reported", "kind": "proportion"}, index=idx).reset_index()  # fmt: skip
    t0 = time.perf_counter()
    out = year_over_year(res)
    elapsed = time.perf_counter() - t0
    assert len(out) == 60 * 100 * 9
    assert elapsed < 5  # about 0.5 s for 54 000 comparisons (generous bound for loaded CI machines)
    np.testing.assert_allclose(out["change"], out["estimate"] - out["estimate_prev"])


counts = st.integers(1, 300).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@settings(max_examples=40, deadline=None)
@given(a=counts, b=counts)
def test_yoy_invariants(a, b):
    res = _res(indicator="placement_rate", grad_year=[2023, 2024], numerator=[b[0], a[0]], denominator=[b[1], a[1]],
               estimate=[b[0] / b[1], a[0] / a[1]])  # fmt: skip
    r = year_over_year(res).iloc[0]
    assert -1 <= r["ci_low"] <= r["change"] + 1e-12 and r["change"] - 1e-12 <= r["ci_high"] <= 1
    assert 0 <= r["p_value"] <= 1


def test_year_over_year_reads_a_compute_result_with_its_last_column():
    """compute()'s output ends in weighting_effect, note (issues 10, 11): result columns, not group columns."""
    import coopmetrics as cm

    g = pd.DataFrame({"student_id": [str(i) for i in range(8)], "grad_year": [2023] * 4 + [2024] * 4,
                      "major": "A", "destination_code": ["10", "70", "10", "10", "10", "10", "10", "70"]})
    res = cm.compute(cm.Dataset(graduates=g), "placement_rate", by="grad_year")
    assert list(res.columns[-2:]) == ["weighting_effect", "note"]
    r = year_over_year(res).iloc[0]
    # 3/4 -> 3/4: no change, Newcombe on the counts
    assert (r["estimate"], r["estimate_prev"], r["change"], r["ci_method"]) == (0.75, 0.75, 0.0, "newcombe")
