"""Tests of coopmetrics.partners: name matching, scorecard hand counts, shrinkage, funnel flags.

Reference values are pandas hand counts on the sample, hand-written formulas
(Kleinman's beta-binomial moments, DerSimonian–Laird) and scipy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

import coopmetrics as cm
from coopmetrics.errors import InvalidOptionError
from coopmetrics.partners import (
    funnel_flags,
    match_names,
    normalise_names,
    partner_scorecard,
    rank_intervals,
    shrink_means,
    shrink_proportions,
)

# ----------------------------------------------------------------------------------------
# fixtures
# ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ds():
    return cm.sample.generate()


@pytest.fixture(scope="module")
def sc(ds):
    return partner_scorecard(ds)


def _by_name(sc_table: pd.DataFrame, col: str) -> pd.Series:
    return sc_table.set_index("enterprise")[col]


# ----------------------------------------------------------------------------------------
# name normalisation and matching
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("variant", [
    "示例华信科技有限公司",
    "示例华信科技股份有限公司",
    "示例华信科技有限责任公司",
    "示例华信科技公司",
    "示例华信科技",
    " 示例华信科技有限公司 ",
    "示例华信　科技有限公司",          # ideographic (full-width) space
    "示例华信科技有限公司苏州分公司",
    "示例华信科技有限公司（苏州分公司）",
    "示例华信科技（苏州）有限公司",
    "示例华信科技(苏州)有限公司",
    "示例华信科技【集团】有限公司",
])
def test_normalise_variants_share_one_key(variant):
    assert normalise_names([variant]) == ["示例华信科技"]


@pytest.mark.parametrize(("raw", "key"), [
    ("ＡＢＣ科技有限公司", "abc科技"),           # full-width Latin letters
    ("Abc 科技 有限公司", "abc科技"),
    ("示例建设集团有限公司", "示例建设集团"),
    ("示例·华信-科技有限公司", "示例华信科技"),
    ("XYZ Co., Ltd.", "xyz"),
    ("", None),
    ("   ", None),
    (None, None),
])
def test_normalise_edge_cases(raw, key):
    assert normalise_names([raw]) == [key]


def test_normalise_keeps_series_index():
    s = pd.Series(["甲科技有限公司", "乙科技公司"], index=[10, 20])
    out = normalise_names(s)
    assert list(out.index) == [10, 20] and out.tolist() == ["甲科技", "乙科技"]


def test_match_kinds_and_branch_without_legal_form():
    ledger = pd.Series(["示例华信科技有限公司", "示例华信科技服务有限公司", "示例博达物流有限公司"])
    names = pd.Series(["示例华信科技有限公司", "示例华信科技股份有限公司", "示例华信科技苏州分公司",
                       "示例华信科技服务南京分公司", "别的公司", None, "示例博达物流有限公司无锡分公司"])
    m = match_names(names, ledger)
    assert m["match"].tolist() == ["exact", "normalised", "branch", "branch", "unmatched", "missing", "normalised"]
    # the longest ledger key wins: 示例华信科技服务 rather than 示例华信科技
    assert m["key"].tolist() == ["示例华信科技", "示例华信科技", "示例华信科技", "示例华信科技服务", None, None,
                                 "示例博达物流"]


_STEM = st.text(alphabet="华中新苏恒瑞博天宏鼎精力远盛海金信达通科创源泰航腾锐凯诚合晟智联软件装备技术物流",
                min_size=2, max_size=8)
_LATIN = st.text(alphabet="ABCXYZ", max_size=3)


@settings(max_examples=200, deadline=None)
@given(stem=_STEM, latin=_LATIN, legal=st.sampled_from(["", "有限公司", "股份有限公司", "有限责任公司", "公司"]),
       city=st.sampled_from(["", "（苏州）", "(中国)", "【集团】"]),
       branch=st.sampled_from(["", "苏州分公司", "（南京分公司）"]), fullwidth=st.booleans(),
       space=st.sampled_from(["", " ", "　"]))
def test_normalise_invariant_to_decorations(stem, latin, legal, city, branch, fullwidth, space):
    """Property: decorations (legal form, bracketed city, branch, full-width, spaces) never change the key."""
    base = latin + stem
    lat = "".join(chr(ord(c) + 0xFEE0) for c in latin) if fullwidth else latin.lower()
    name = lat + space + stem[:1] + city + stem[1:] + legal + (branch if legal not in ("", "公司") else "")
    assert normalise_names([name]) == normalise_names([base])


# ----------------------------------------------------------------------------------------
# scorecard: every rate equals a pandas hand count on the sample
# ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("measure", "column", "success"), [
    ("intern_hire_rate", "hired", lambda s: s.astype(bool)),
    ("internship_insurance_rate", "insured", lambda s: s.astype(bool)),
    ("internship_relevance_rate", "relevant", lambda s: s.astype(bool)),
    ("internship_duration_rate", "months", lambda s: s >= 6),
    ("internship_pay_compliance_rate", "monthly_pay", None),
])
def test_internship_rates_equal_hand_counts(ds, sc, measure, column, success):
    i = ds["internships"]
    i = i[i[column].notna()]
    if success is None:  # 2021 pay rule: >= 80 % of the post wage, or >= the lowest-grade wage
        ok = (i["monthly_pay"] >= 0.8 * i["post_wage"]).fillna(False) | \
             (i["monthly_pay"] >= i["lowest_grade_wage"]).fillna(False)
    else:
        ok = success(i[column])
    hand = pd.DataFrame({"x": ok.astype(float), "n": 1.0, "e": i["enterprise"]}).groupby("e")[["x", "n"]].sum()
    t = sc.table.set_index("enterprise")
    hand = hand.reindex(t.index).fillna(0)
    np.testing.assert_array_equal(t[f"{measure}_numerator"], hand["x"])
    np.testing.assert_array_equal(t[f"{measure}_denominator"], hand["n"])
    has = hand["n"] > 0
    np.testing.assert_allclose(t.loc[has, measure], hand.loc[has, "x"] / hand.loc[has, "n"])
    lo, hi = proportion_confint(hand.loc[has, "x"], hand.loc[has, "n"], alpha=0.05, method="wilson")
    np.testing.assert_allclose(t.loc[has, f"{measure}_ci_low"], lo, atol=1e-12)
    np.testing.assert_allclose(t.loc[has, f"{measure}_ci_high"], hi, atol=1e-12)
    # the college rate behind the funnel is over every intern, partner or not
    fair = sc.fair[sc.fair["measure"] == measure]
    assert fair["college_rate"].iloc[0] == pytest.approx(ok.mean())


def test_interns_count_and_ledger_inputs_equal_hand_counts(ds, sc):
    t = sc.table.set_index("enterprise")
    e = ds["enterprises"]
    for col in ("equipment_value", "funds", "donated_equipment", "part_time_teachers", "part_time_hours",
                "internship_positions", "co_bases", "co_courses", "co_textbooks", "order_students",
                "tech_service_income", "training_person_days", "training_income"):
        np.testing.assert_allclose(t[col], e.groupby("enterprise")[col].sum().reindex(t.index), err_msg=col)
    hosted = ds["internships"]["enterprise"].value_counts().reindex(t.index).fillna(0)
    np.testing.assert_array_equal(t["interns"], hosted)
    first = np.minimum(e.groupby("enterprise")["partnership_start"].min(), e.groupby("enterprise")["year"].min())
    np.testing.assert_array_equal(t["first_year"], first.reindex(t.index))
    np.testing.assert_array_equal(t["years_active"], e.groupby("enterprise")["year"].nunique().reindex(t.index))
    assert (t["tenure_years"] == 2024 - t["first_year"] + 1).all()


def test_internship_satisfaction_overall_item_hand_count(ds, sc):
    s = ds["survey"]
    s = s[(s["survey_kind"] == "internship") & (s["item"] == "实习总体满意度") & s["score"].notna()
          & (s["response"] != "无法评估")]
    s = s.merge(ds["internships"][["student_id", "year", "enterprise"]], on=["student_id", "year"])
    hand = s.assign(x=(s["score"] >= 4).astype(float), n=1.0).groupby("enterprise")[["x", "n"]].sum()
    t = sc.table.set_index("enterprise")
    hand = hand.reindex(t.index).fillna(0)
    np.testing.assert_array_equal(t["internship_satisfaction_numerator"], hand["x"])
    np.testing.assert_array_equal(t["internship_satisfaction_denominator"], hand["n"])


def test_employer_satisfaction_and_graduates_employed_hand_counts(ds, sc):
    s = ds["survey"]
    s = s[(s["survey_kind"] == "employer") & (s["item"] == "对毕业生总体满意度") & s["score"].notna()
          & (s["response"] != "无法评估")]
    hand = s.assign(x=(s["score"] >= 4).astype(float), n=1.0).groupby("employer")[["x", "n"]].sum()
    t = sc.table.set_index("enterprise")
    hand = hand.reindex(t.index).fillna(0)
    np.testing.assert_array_equal(t["employer_satisfaction_numerator"], hand["x"])
    np.testing.assert_array_equal(t["employer_satisfaction_denominator"], hand["n"])
    emp = ds["graduates"]["employer"].value_counts().reindex(t.index).fillna(0)
    np.testing.assert_array_equal(t["graduates_employed"], emp)


def test_cohort_outcomes_hand_counts(ds, sc):
    g = ds["graduates"]
    c = g[g["program"].isin(["order_class", "named_class", "apprenticeship"]) & g["partner"].notna()]
    t = sc.table.set_index("enterprise")
    n = c.groupby("partner").size().reindex(t.index).fillna(0)
    np.testing.assert_array_equal(t["cohort_students"], n)
    stay = (c["employer"] == c["partner"]).astype(float).groupby(c["partner"]).sum().reindex(t.index).fillna(0)
    np.testing.assert_array_equal(t["cohort_retention_rate_numerator"], stay)
    np.testing.assert_array_equal(t["cohort_retention_rate_denominator"], n)
    placed = cm.unit_values(ds, "placement_rate", ["student_id"]).set_index("student_id")["value"]
    x = c["student_id"].map(placed).groupby(c["partner"]).sum().reindex(t.index).fillna(0)
    np.testing.assert_array_equal(t["cohort_placement_rate_numerator"], x)
    emp = c[c["destination_code"].isin(["10", "11", "12", "27", "271", "50", "502", "75", "76", "77"])
            & c["monthly_salary"].notna()]
    mean = emp.groupby("partner")["monthly_salary"].mean().reindex(t.index)
    ok = mean.notna()
    np.testing.assert_allclose(t.loc[ok, "cohort_salary_mean"], mean[ok], rtol=1e-10)
    sd = emp.groupby("partner")["monthly_salary"].std().reindex(t.index)
    cnt = emp.groupby("partner").size().reindex(t.index)
    half = stats.t.ppf(0.975, cnt[ok] - 1) * sd[ok] / np.sqrt(cnt[ok])
    np.testing.assert_allclose(t.loc[ok, "cohort_salary_mean_ci_high"], mean[ok] + half, rtol=1e-8)


def test_scorecard_by_year_sums_to_pooled(ds, sc):
    per = partner_scorecard(ds, by=("enterprise", "year"))
    s = per.table.groupby("enterprise")[["intern_hire_rate_numerator", "intern_hire_rate_denominator",
                                         "equipment_value"]].sum()
    t = sc.table.set_index("enterprise")
    np.testing.assert_array_equal(s["intern_hire_rate_denominator"].reindex(t.index),
                                  t["intern_hire_rate_denominator"])
    np.testing.assert_allclose(s["equipment_value"].reindex(t.index), t["equipment_value"])
    # one year only
    y = partner_scorecard(ds, 2024)
    i = ds["internships"]
    n24 = i[(i["year"] == 2024) & i["hired"].notna()].groupby("enterprise").size()
    got = y.table.set_index("enterprise")["intern_hire_rate_denominator"]
    np.testing.assert_array_equal(got[got > 0].sort_index(), n24.reindex(got[got > 0].index).sort_index())


def test_department_view_is_the_school_side(ds):
    d = partner_scorecard(ds, 2024, by=("department",))
    e = ds["enterprises"]
    e = e[e["year"] == 2024]
    t = d.table.set_index("department")
    np.testing.assert_allclose(t["funds"], e.groupby("department")["funds"].sum().reindex(t.index))
    np.testing.assert_array_equal(t["partners"], e.groupby("department")["enterprise"].nunique().reindex(t.index))
    # interns at partners, by the student's department (linked through the graduate roster)
    i = ds["internships"].merge(ds["graduates"][["student_id", "department"]], on="student_id")
    i = i[(i["year"] == 2024) & i["enterprise"].isin(set(ds["enterprises"]["enterprise"])) & i["hired"].notna()]
    hand = i.groupby("department")["hired"].agg(["sum", "size"])
    np.testing.assert_array_equal(t["intern_hire_rate_denominator"], hand["size"].reindex(t.index))
    np.testing.assert_array_equal(t["intern_hire_rate_numerator"], hand["sum"].reindex(t.index).astype(float))
    assert set(d.fair["flag"]) <= {"above", "below", "within", "no_data"}


def test_spelling_variants_give_the_same_scorecard(ds, sc):
    """Rewrite 30 % of the roster's enterprise names as variants: nothing moves, nothing is lost."""
    rng = np.random.default_rng(1)
    i = ds["internships"].copy()
    pick = rng.random(len(i)) < 0.3
    forms = np.array(["{s}", "{s}苏州分公司", "{s}（苏州）有限公司", " {s} 股份有限公司", "{s}有限责任公司"])
    stems = i["enterprise"].str.replace("有限公司", "", regex=False)
    fmt = forms[rng.integers(0, len(forms), len(i))]
    i.loc[pick, "enterprise"] = [f.format(s=s) for f, s in zip(fmt[pick], stems[pick], strict=True)]
    messy = partner_scorecard(ds.replace(internships=i))
    cols = ["interns", "intern_hire_rate_numerator", "intern_hire_rate_denominator",
            "internship_satisfaction_denominator"]
    pd.testing.assert_frame_equal(messy.table[cols], sc.table[cols])
    kinds = set(messy.matching.loc[messy.matching["source"] == "internships", "match"])
    assert {"exact", "normalised", "branch"} <= kinds
    # every internship row is accounted for, matched or not
    assert messy.matching.loc[messy.matching["source"] == "internships", "rows"].sum() == len(i)


def test_unmatched_names_reported_with_counts(ds, sc):
    u = sc.unmatched[sc.unmatched["source"] == "internships"]
    ledger = set(ds["enterprises"]["enterprise"])
    hand = ds["internships"].loc[~ds["internships"]["enterprise"].isin(ledger), "enterprise"].value_counts()
    got = u.set_index("name")["rows"]
    np.testing.assert_array_equal(got.sort_index(), hand.sort_index().astype(float))
    assert u["rows"].is_monotonic_decreasing


def test_bad_input_errors_are_bilingual(ds):
    with pytest.raises(InvalidOptionError, match="enterprises.*ledger|台账"):
        partner_scorecard(cm.Dataset(internships=ds["internships"]))
    with pytest.raises(InvalidOptionError, match="by"):
        partner_scorecard(ds, by=("major",))
    with pytest.raises(InvalidOptionError, match="by"):
        partner_scorecard(ds, by=("year",))


def test_result_object_api(sc):
    tidy = sc.tidy()
    assert {"measure", "kind", "value", "flag_zh", "flag_en"} <= set(tidy.columns)
    assert set(tidy["kind"]) == {"input", "service", "count", "rate", "mean"}
    assert "合作企业评估" in sc.summary() and "Partner scorecard" in sc.summary("en")
    assert "<table" in sc._repr_html_()
    flagged = sc.flagged("intern_hire_rate")
    assert set(flagged["flag"]) <= {"above", "below"}
    assert set(sc.fair["flag_zh"]) <= {"优于全校水平", "低于全校水平", "与全校持平", "无数据"}


# ----------------------------------------------------------------------------------------
# fair comparison
# ----------------------------------------------------------------------------------------

def _kleinman(x, n):
    """Hand-written beta-binomial method of moments (Kleinman 1973)."""
    p = x.sum() / n.sum()
    s = sum(ni * (xi / ni - p) ** 2 for xi, ni in zip(x, n, strict=True))
    big_n = n.sum()
    rho = (s / (p * (1 - p)) - (len(x) - 1)) / (big_n - (n**2).sum() / big_n)
    m = 1 / rho - 1
    return p * m, (1 - p) * m


def test_beta_binomial_moments_equal_hand_formula():
    rng = np.random.default_rng(3)
    n = rng.integers(5, 200, 80).astype(float)
    theta = rng.beta(6, 14, 80)
    x = rng.binomial(n.astype(int), theta).astype(float)
    r = shrink_proportions(x, n)
    a, b = _kleinman(x, n)
    assert r["a"] == pytest.approx(a, rel=1e-10) and r["b"] == pytest.approx(b, rel=1e-10)
    np.testing.assert_allclose(r["shrunk"], (a + x) / (a + b + n), rtol=1e-10)
    np.testing.assert_allclose(r["low"], stats.beta.ppf(0.025, a + x, b + n - x), rtol=1e-9)
    # shrinkage pulls small partners hardest towards the pooled rate
    pull = np.abs(r["shrunk"] - x / n) / np.abs(r["p"] - x / n)
    assert np.corrcoef(pull[np.isfinite(pull)], n[np.isfinite(pull)])[0, 1] < -0.5


def test_beta_binomial_mle_matches_scipy_fit_and_truth():
    rng = np.random.default_rng(4)
    n = rng.integers(10, 80, 1500)
    x = rng.binomial(n, rng.beta(4, 12, n.size))
    r = shrink_proportions(x, n, method="mle")
    nll = lambda t: -stats.betabinom.logpmf(x, n, np.exp(t[0]), np.exp(t[1])).sum()  # noqa: E731
    from scipy.optimize import minimize

    ref = np.exp(minimize(nll, np.log([1.0, 3.0]), method="L-BFGS-B").x)
    assert r["a"] == pytest.approx(ref[0], rel=1e-3) and r["b"] == pytest.approx(ref[1], rel=1e-3)
    assert 4 / 16 == pytest.approx(r["a"] / (r["a"] + r["b"]), abs=0.01)
    assert abs(r["a"] + r["b"] - 16) < 4


def test_no_between_partner_variation_pools_completely():
    r = shrink_proportions([5, 5, 5, 5], [10, 10, 10, 10])
    assert r["rho"] == 0
    np.testing.assert_allclose(r["shrunk"], 0.5, atol=1e-6)


def test_normal_normal_equals_dersimonian_laird_by_hand():
    y = np.array([3000.0, 3400.0, 4100.0, 3800.0, 5200.0])
    se = np.array([150.0, 300.0, 80.0, 500.0, 200.0])
    w = 1 / se**2
    mu_fe = (w * y).sum() / w.sum()
    q = (w * (y - mu_fe) ** 2).sum()
    tau2 = (q - 4) / (w.sum() - (w**2).sum() / w.sum())
    wr = 1 / (se**2 + tau2)
    mu = (wr * y).sum() / wr.sum()
    b = tau2 / (tau2 + se**2)
    r = shrink_means(y, se)
    assert r["tau2"] == pytest.approx(tau2) and r["mu"] == pytest.approx(mu)
    np.testing.assert_allclose(r["shrunk"], mu + b * (y - mu))
    np.testing.assert_allclose(r["high"] - r["shrunk"], stats.norm.isf(0.025) * np.sqrt(b * se**2))


def _spiegelhalter(target, n, p):
    """Exact binomial limit (Spiegelhalter 2005, A.1.1) written out with scipy, one n at a time."""
    r = stats.binom.ppf(p, n, target)
    c, c1 = stats.binom.cdf(r, n, target), stats.binom.cdf(r - 1, n, target)
    return (r - (c - p) / (c - c1)) / n


@pytest.mark.parametrize("target", [0.05, 0.27, 0.5, 0.93])
@pytest.mark.parametrize("n", [7, 30, 113, 1000])
def test_funnel_limits_equal_exact_binomial(target, n):
    f = funnel_flags([0], [n], target)
    for lv, lo, hi in [(0.95, "limit95_low", "limit95_high"), (0.998, "limit998_low", "limit998_high")]:
        assert f[lo].iloc[0] == pytest.approx(max(0.0, _spiegelhalter(target, n, (1 - lv) / 2)), abs=1e-12)
        assert f[hi].iloc[0] == pytest.approx(min(1.0, _spiegelhalter(target, n, (1 + lv) / 2)), abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 400), frac=st.floats(0, 1), target=st.floats(0.02, 0.98))
def test_flag_is_the_exact_binomial_tail_test(n, frac, target):
    x = int(round(frac * n))
    flag = funnel_flags([x], [n], target)["flag"].iloc[0]
    above = stats.binom.sf(x - 1, n, target) < 0.001
    below = stats.binom.cdf(x, n, target) < 0.001
    assert flag == ("above" if above else "below" if below else "within")


def test_full_rate_with_high_target_is_not_flagged():
    """0.97 with n = 60: 60/60 happens 16 % of the time; the interpolated limit is below 1 but no flag."""
    f = funnel_flags([60], [60], 0.97)
    assert f["limit998_high"].iloc[0] < 1.0 and f["flag"].iloc[0] == "within"


def test_rank_intervals_by_hand():
    d = np.array([[0.9, 0.5, 0.1], [0.4, 0.5, 0.1], [0.9, 0.2, 0.3], [0.8, 0.6, 0.2]])
    med, lo, hi = rank_intervals(d, level=0.5)
    # ranks per draw: [1,2,3], [2,1,3], [1,3,2], [1,2,3]
    np.testing.assert_array_equal(med, [1.0, 2.0, 3.0])
    assert lo.tolist() == [1.0, 1.0, 2.0] and hi.tolist() == [2.0, 3.0, 3.0]
    d[:, 1] = np.nan
    med, _, _ = rank_intervals(d)
    assert np.isnan(med[1]) and med[0] == 1.0


def test_composite_is_explicit_and_reports_rank_stability(sc):
    c = sc.composite({"intern_hire_rate": 2.0, "internship_satisfaction": 1.0}, draws=500)
    ok = c["score"].notna()
    assert (c.loc[ok, "rank_low"] <= c.loc[ok, "rank"]).all() and (c.loc[ok, "rank"] <= c.loc[ok, "rank_high"]).all()
    assert (c.loc[ok, "score_low"] <= c.loc[ok, "score_high"]).all()
    assert c["weights"].iloc[0] == "intern_hire_rate=2, internship_satisfaction=1"
    with pytest.raises(InvalidOptionError):
        sc.composite({"no_such_measure": 1.0})


def test_composite_rows_line_up_with_units_by_year(ds):
    """One weighted measure: the composite score orders units as that measure's shrunk estimate."""
    sc = partner_scorecard(ds, by=("enterprise", "year"), draws=0)
    assert sc.fair["rank"].isna().all()  # draws=0: no rank intervals
    c = sc.composite({"intern_hire_rate": 1.0}, draws=400)
    f = sc.fair[sc.fair["measure"] == "intern_hire_rate"]
    m = c.merge(f[["enterprise", "year", "shrunk", "denominator"]], on=["enterprise", "year"])
    m = m[m["denominator"] > 0]
    assert len(m) == (f["denominator"] > 0).sum()
    assert stats.spearmanr(m["score"], m["shrunk"]).statistic > 0.97


def test_small_hand_built_dataset_with_messy_names_and_missing_tables():
    """A ledger and an internship roster typed by hand: variants linked, unknown firm reported, no survey."""
    e = pd.DataFrame({"enterprise": ["甲科技有限公司", "乙物流有限公司"], "year": [2024, 2024],
                      "funds": [10000.0, 0.0]})
    i = pd.DataFrame({"student_id": ["1", "2", "3", "4", "5"], "year": [2024] * 5,
                      "enterprise": ["甲科技有限公司", "甲科技股份有限公司", "甲科技（苏州）有限公司", "乙物流有限公司南京分公司", "丙公司"],
                      "hired": pd.array([True, False, True, pd.NA, True], dtype="boolean")})
    sc = partner_scorecard(cm.Dataset(enterprises=e, internships=i))
    t = sc.table.set_index("enterprise")
    assert t.loc["甲科技有限公司", "interns"] == 3 and t.loc["乙物流有限公司", "interns"] == 1
    assert t.loc["甲科技有限公司", "intern_hire_rate_numerator"] == 2
    assert t.loc["乙物流有限公司", "intern_hire_rate_denominator"] == 0  # hired not recorded
    assert sc.unmatched["name"].tolist() == ["丙公司"]
    assert (t["internship_satisfaction_denominator"] == 0).all()
    assert set(sc.fair.loc[sc.fair["measure"] == "internship_satisfaction", "flag"]) == {"no_data"}
    # the college rate counts the unmatched firm's intern too: 3 hired of 4 recorded
    assert sc.fair.loc[sc.fair["measure"] == "intern_hire_rate", "college_rate"].iloc[0] == pytest.approx(3 / 4)
    with pytest.raises(InvalidOptionError, match="year"):
        partner_scorecard(cm.Dataset(enterprises=e.drop(columns="year"), internships=i))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 40), st.integers(1, 12))
def test_rank_interval_order_statistics_equal_numpy_quantiles(seed, draws, units):
    d = np.random.default_rng(seed).normal(size=(draws, units))
    med, lo, hi = rank_intervals(d)
    ranks = (-d).argsort(axis=1).argsort(axis=1) + 1.0
    np.testing.assert_array_equal(med, np.median(ranks, axis=0))
    np.testing.assert_array_equal(lo, np.quantile(ranks, 0.025, axis=0, method="lower"))
    np.testing.assert_array_equal(hi, np.quantile(ranks, 0.975, axis=0, method="higher"))


def test_department_by_year_adds_up_to_the_department_view(ds):
    pooled = partner_scorecard(ds, by=("department",), draws=0).table.set_index("department")
    per = partner_scorecard(ds, by=("department", "year"), draws=0).table
    s = per.groupby("department")[["interns", "intern_hire_rate_denominator", "funds",
                                   "employer_satisfaction_denominator"]].sum()
    for c in s.columns:
        np.testing.assert_allclose(s[c].reindex(pooled.index), pooled[c], err_msg=c)
    # employer answers are credited to the partner's main ledger department: all of them land somewhere
    e = ds["survey"]
    resp = e[(e["survey_kind"] == "employer") & (e["item"] == "对毕业生总体满意度") & e["score"].notna()
             & (e["response"] != "无法评估") & e["employer"].isin(set(ds["enterprises"]["enterprise"]))]
    assert pooled["employer_satisfaction_denominator"].sum() == len(resp)


_FIRMS = ["甲科技", "乙物流", "丙建设集团", "丁软件"]
_DECOR = ["{s}有限公司", "{s}股份有限公司", " {s} 有限公司", "{s}（苏州）有限公司", "{s}有限公司南京分公司", "{s}"]


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 60))
def test_random_rosters_equal_hand_counts_by_firm(seed, n):
    """Property: on random rosters with random spellings, the scorecard equals a count by true firm."""
    rng = np.random.default_rng(seed)
    e = pd.DataFrame({"enterprise": [f"{f}有限公司" for f in _FIRMS[:3]], "year": 2024})  # 丁 is not a partner
    firm = rng.integers(0, len(_FIRMS), n)
    names = [_DECOR[d].format(s=_FIRMS[f]) for f, d in zip(firm, rng.integers(0, len(_DECOR), n), strict=True)]
    hired = rng.random(n) < 0.4
    known = rng.random(n) < 0.9
    i = pd.DataFrame({"student_id": [str(k) for k in range(n)], "year": 2024, "enterprise": names,
                      "hired": pd.array(np.where(known, hired, False), dtype="boolean")})
    i.loc[~known, "hired"] = pd.NA
    sc = partner_scorecard(cm.Dataset(enterprises=e, internships=i), draws=0)
    t = sc.table.set_index("partner_key")
    for k, f in enumerate(_FIRMS[:3]):
        mine = firm == k
        assert t.loc[f, "interns"] == mine.sum()
        assert t.loc[f, "intern_hire_rate_denominator"] == (mine & known).sum()
        assert t.loc[f, "intern_hire_rate_numerator"] == (mine & known & hired).sum()
        ok = t.loc[f, "intern_hire_rate_denominator"] > 0
        if ok:
            assert t.loc[f, "intern_hire_rate_ci_low"] <= t.loc[f, "intern_hire_rate"] <= t.loc[f, "intern_hire_rate_ci_high"]
    assert sc.unmatched["rows"].sum() == (firm == 3).sum()
    assert sc.matching.loc[sc.matching["source"] == "internships", "rows"].sum() == n


def test_lazy_polars_tables_give_the_same_scorecard(ds):
    pl = pytest.importorskip("polars")
    lazy = cm.Dataset(**{t: pl.from_pandas(ds[t]).lazy() for t in ("enterprises", "internships", "graduates", "survey")})
    cols = ["interns", "intern_hire_rate_numerator", "internship_satisfaction_denominator", "cohort_students",
            "employer_satisfaction_denominator", "funds"]
    got = partner_scorecard(lazy, 2024, draws=0).table[cols]
    want = partner_scorecard(ds, 2024, draws=0).table[cols]
    np.testing.assert_array_equal(got.to_numpy(float), want.to_numpy(float))


# ----------------------------------------------------------------------------------------
# scale (issue 13): the fast paths give exactly the reference numbers
# ----------------------------------------------------------------------------------------

def _reference_key(name: object) -> str | None:
    """Rules 1-5 of partners.names written with Python's ``re`` (``\\s``, a lookbehind), one name at a time."""
    import re
    import unicodedata

    if name is None or (isinstance(name, float) and np.isnan(name)):
        return None
    legal = "股份有限公司|有限责任公司|有限公司"
    branch = "分公司|分厂|分店|分部|分院|办事处|营业部|分中心"
    t = unicodedata.normalize("NFKC", str(name)).lower()
    t = re.sub(r"[\s·•.,，、\-—_'\"“”‘’&]+", "", t)
    for _ in range(2):
        t = re.sub(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕|<[^<>]*>|《[^《》]*》", "", t)
    t = re.sub(r"[()\[\]【】〔〕]", "", t)
    t = re.sub(rf"^(.*(?:{legal}))[^()]*?(?:{branch})$", r"\1", t)
    t = re.sub(r"(?:股份有限公司|有限责任公司|有限公司|(?<!分)公司|co\.ltd|coltd|ltd|inc|corp)$", "", t)
    return t or None


_NAME_PARTS = ["示例", "华信", "科技", "有限公司", "股份有限公司", "有限责任公司", "公司", "分公司", "苏州", "分厂",
               "办事处", "集团", "（", "）", "(", ")", "【", "】", " ", "\u3000", "\xa0", "\u2028", "\x85", "\t", "·",
               "-", "Ａ", "B", "co.,ltd", "Ltd", "Inc", "Corp", "分", "", "ß", "Ω"]
# Not "İ": lower-casing is pyarrow's simple Unicode mapping (as in the first implementation), which differs
# from Python's str.lower only for a few characters (İ, and Σ at the end of a word).


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_NAME_PARTS), max_size=7).map("".join), min_size=1, max_size=40))
def test_vectorised_normalisation_equals_python_re_reference(names):
    """The pyarrow (RE2) patterns give exactly the keys of the Python-``re`` rules, name by name."""
    assert normalise_names(names) == [_reference_key(n) for n in names]


def test_whitespace_class_is_exactly_python_backslash_s():
    import re
    import sys

    from coopmetrics.partners.names import _WHITESPACE

    python_s = {c for c in map(chr, range(sys.maxunicode + 1)) if re.match(r"\s", c)}
    assert set(_WHITESPACE) == python_s


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["示例", "华信", "科技", "物流", "a", "分"]), min_size=1, max_size=4).map("".join),
       st.lists(st.lists(st.sampled_from(["示例", "华信", "科技", "苏州", "分公司", "分厂", "营业部", "分"]),
                         min_size=1, max_size=5).map("".join), min_size=1, max_size=20))
def test_branch_matching_equals_longest_prefix_regex(stem, names):
    """Branch links equal the regex of the first implementation: the longest ledger key the name starts with."""
    import re

    ledger = pd.Series([stem, stem + "华信", stem[:1]])
    keys = normalise_names(ledger)
    got = match_names(pd.Series(names), ledger)
    alts = sorted({k for k in keys if k}, key=len, reverse=True)
    pat = re.compile("^(" + "|".join(map(re.escape, alts)) + ")[^()]*?(?:分公司|分厂|分店|分部|分院|办事处|营业部|分中心)$")
    for name, (key, kind) in zip(names, got[["key", "match"]].itertuples(index=False), strict=True):
        own = _reference_key(name)
        if own in set(keys):
            assert key == own and kind in ("exact", "normalised")
        else:
            m = pat.match(own or "")
            assert key == (m.group(1) if m else None)
            assert kind == ("branch" if m else "missing" if own is None else "unmatched")


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 400), st.floats(0.02, 0.98))
def test_quantiles_on_distinct_pairs_equal_scipy_on_every_partner(seed, k, target):
    """on_distinct evaluates scipy on distinct (x, n) only: the arrays equal scipy over all partners."""
    from coopmetrics.compare import funnel_limits
    from coopmetrics.partners.fairness import binomial_funnel, on_distinct

    rng = np.random.default_rng(seed)
    n = rng.integers(0, 30, k).astype(float)
    x = np.minimum(rng.integers(0, 30, k), n).astype(float)
    a, b = 2.5, 7.5
    got = on_distinct(lambda xx, nn: stats.beta.ppf(0.025, a + xx, b + nn - xx), x, n)
    np.testing.assert_array_equal(got, stats.beta.ppf(0.025, a + x, b + n - x))
    f = binomial_funnel(x, n, target)
    nn = np.where(n > 0, n, 1.0)
    lo, hi = funnel_limits(target, nn, 0.998)
    np.testing.assert_array_equal(f["limit998_low"], np.where(n > 0, lo, np.nan))
    np.testing.assert_array_equal(f["limit998_high"], np.where(n > 0, hi, np.nan))
    half_alpha = (1 - 0.998) / 2  # as the module computes it: 0.1**3 = 0.0010000000000000002 is flagged
    above = stats.binom.sf(x - 1, nn, target) < half_alpha
    below = stats.binom.cdf(x, nn, target) < half_alpha
    want = np.select([n <= 0, above, below], ["no_data", "above", "below"], default="within")
    assert f["flag"].tolist() == want.tolist()


def test_shrunk_intervals_equal_scipy_beta_quantiles_with_a_pooled_prior():
    """Complete pooling (a + b = 1e7, the slow case for scipy) still gives scipy's quantiles exactly."""
    rng = np.random.default_rng(5)
    n = rng.integers(1, 60, 3000).astype(float)
    x = np.round(0.9 * n)  # less spread than binomial: the moment estimate of rho is clipped to 0
    r = shrink_proportions(x, n)
    alpha = (1 - 0.95) / 2  # as the module computes it (0.025000000000000022)
    assert r["rho"] == 0.0 and r["a"] + r["b"] == pytest.approx(1e7)
    np.testing.assert_array_equal(r["low"], stats.beta.ppf(alpha, r["post_a"], r["post_b"]))
    np.testing.assert_array_equal(r["high"], stats.beta.isf(alpha, r["post_a"], r["post_b"]))


def test_rank_intervals_are_opt_in(ds, sc):
    """Default: no posterior draws (rank NaN); draws=N gives rank intervals around the median rank."""
    assert sc.fair["rank"].isna().all() and (sc.fair["n_ranked"] == 0).all()
    ranked = partner_scorecard(ds, draws=300).fair
    r = ranked[ranked["measure"] == "intern_hire_rate"].dropna(subset=["rank"])
    assert len(r) > 5 and (r["rank_low"] <= r["rank"]).all() and (r["rank"] <= r["rank_high"]).all()
    base = sc.fair.drop(columns=["rank", "rank_low", "rank_high", "n_ranked"])
    pd.testing.assert_frame_equal(base, ranked.drop(columns=["rank", "rank_low", "rank_high", "n_ranked"]))
