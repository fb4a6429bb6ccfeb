"""Tests of coopmetrics.contrasts against hand calculations, Newcombe (1998), statsmodels and scipy."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportion_effectsize,
    proportions_ztest,
)

from coopmetrics.contrasts import (
    bh_qvalues,
    cohens_h,
    fisher_two_sided,
    newcombe_diff,
    normal_diff,
    ratio_ci,
    two_proportion_test,
    welch_diff,
    wilson_interval,
)
from coopmetrics.errors import InvalidOptionError

Z95 = 1.959963984540054


def _wilson_by_hand(x: int, n: int, z: float = Z95) -> tuple[float, float]:
    p = x / n
    centre = (2 * n * p + z**2) / (2 * (n + z**2))
    half = z * math.sqrt(z**2 + 4 * n * p * (1 - p)) / (2 * (n + z**2))
    return centre - half, centre + half


def test_newcombe_hand_worked_56_70_vs_48_80():
    # Newcombe (1998) Table II, example (a): 56/70 - 48/80.
    # p1 = 0.8, p2 = 0.6, d = 0.2.
    # Wilson 56/70: centre = (2*70*0.8 + z²)/(2*(70 + z²)) = (112 + 3.8415)/(147.6829) = 0.78439
    #               half   = z*sqrt(z² + 4*70*0.8*0.2)/(147.6829) = 1.96*sqrt(3.8415+44.8)/147.68 = 0.09256
    #               -> (0.69183, 0.87695)
    # Wilson 48/80: centre = (96 + 3.8415)/(2*83.8415) = 0.59542
    #               half   = 1.96*sqrt(3.8415 + 4*80*0.6*0.4)/167.683 = 1.96*8.9801/167.683 = 0.10496
    #               -> (0.49046, 0.70038)
    # lower = 0.2 - sqrt((0.8 - 0.69183)² + (0.70038 - 0.6)²) = 0.2 - sqrt(0.011700 + 0.010076)
    #       = 0.2 - 0.14757 = 0.05243
    # upper = 0.2 + sqrt((0.87695 - 0.8)² + (0.6 - 0.49046)²) = 0.2 + sqrt(0.005922 + 0.012000)
    #       = 0.2 + 0.13387 = 0.33387        (Newcombe prints 0.0524 and 0.3339)
    l1, u1 = _wilson_by_hand(56, 70)
    l2, u2 = _wilson_by_hand(48, 80)
    assert l1 == pytest.approx(0.69183, abs=1e-5)
    assert u1 == pytest.approx(0.87695, abs=1e-5)
    assert (l2, u2) == pytest.approx((0.49046, 0.70038), abs=1e-5)
    lower = 0.2 - math.sqrt((0.8 - l1) ** 2 + (u2 - 0.6) ** 2)
    upper = 0.2 + math.sqrt((u1 - 0.8) ** 2 + (0.6 - l2) ** 2)
    r = newcombe_diff(56, 70, 48, 80)
    assert float(r["diff"]) == pytest.approx(0.2)
    assert float(r["ci_low"]) == pytest.approx(lower, abs=1e-12)
    assert float(r["ci_high"]) == pytest.approx(upper, abs=1e-12)
    # published values, Newcombe (1998) Table II, method 10
    assert round(float(r["ci_low"]), 4) == 0.0524
    assert round(float(r["ci_high"]), 4) == 0.3339


def test_newcombe_table_ii_all_examples_vectorised():
    # Newcombe (1998) Table II, method 10 (hybrid score), examples (a), (b), (d)-(h).
    # The printed values were taken from the literature without the PDF at hand; example (c)
    # 6/7 - 2/7 is left out because its printed bounds could not be confirmed here (it is
    # covered by the statsmodels comparison below).
    x1 = [56, 9, 5, 0, 0, 10, 10]
    n1 = [70, 10, 56, 10, 10, 10, 10]
    x2 = [48, 3, 0, 0, 0, 0, 0]
    n2 = [80, 10, 29, 20, 10, 20, 10]
    lo = [0.0524, 0.1705, -0.0381, -0.1611, -0.2775, 0.6791, 0.6075]
    hi = [0.3339, 0.8090, 0.1926, 0.2775, 0.2775, 1.0000, 1.0000]
    r = newcombe_diff(x1, n1, x2, n2)
    np.testing.assert_allclose(r["ci_low"], lo, atol=6e-5)
    np.testing.assert_allclose(r["ci_high"], hi, atol=6e-5)


def test_wilson_matches_statsmodels():
    x = np.array([0, 1, 5, 37, 70, 3])
    n = np.array([10, 10, 20, 70, 70, 1000])
    lo, hi = wilson_interval(x, n, 0.9)
    ref_lo, ref_hi = proportion_confint(x, n, alpha=0.1, method="wilson")
    np.testing.assert_allclose(lo, ref_lo, atol=1e-12)
    np.testing.assert_allclose(hi, ref_hi, atol=1e-12)


@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_newcombe_matches_statsmodels(level):
    rng = np.random.default_rng(1)
    n1 = rng.integers(1, 300, 200)
    n2 = rng.integers(1, 300, 200)
    x1 = rng.binomial(n1, rng.uniform(0, 1, 200))
    x2 = rng.binomial(n2, rng.uniform(0, 1, 200))
    r = newcombe_diff(x1, n1, x2, n2, level=level)
    lo, hi = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff", alpha=1 - level)
    np.testing.assert_allclose(r["ci_low"], lo, atol=1e-10)
    np.testing.assert_allclose(r["ci_high"], hi, atol=1e-10)
    np.testing.assert_allclose(r["diff"], x1 / n1 - x2 / n2)


@pytest.mark.parametrize("method", ["log", "log-adjusted"])
def test_ratio_matches_statsmodels(method):
    rng = np.random.default_rng(2)
    n1 = rng.integers(5, 300, 100)
    n2 = rng.integers(5, 300, 100)
    x1 = np.maximum(rng.binomial(n1, rng.uniform(0.05, 1, 100)), 1)
    x2 = np.maximum(rng.binomial(n2, rng.uniform(0.05, 1, 100)), 1)
    r = ratio_ci(x1, n1, x2, n2, level=0.95, method=method)
    lo, hi = confint_proportions_2indep(x1, n1, x2, n2, method=method, compare="ratio")
    np.testing.assert_allclose(r["ci_low"], lo, rtol=1e-10)
    np.testing.assert_allclose(r["ci_high"], hi, rtol=1e-10)
    np.testing.assert_allclose(r["ratio"], (x1 / n1) / (x2 / n2))


def test_ratio_log_by_hand_and_zero_counts():
    # 56/70 vs 48/80: ratio 0.8/0.6 = 4/3; var(log) = 1/56 - 1/70 + 1/48 - 1/80
    var = 1 / 56 - 1 / 70 + 1 / 48 - 1 / 80
    lo = (4 / 3) * math.exp(-Z95 * math.sqrt(var))
    r = ratio_ci(56, 70, 48, 80, method="log")
    assert float(r["ci_low"]) == pytest.approx(lo, rel=1e-12)
    # zero count: plain log undefined, adjusted finite
    assert np.isnan(ratio_ci(0, 10, 3, 10, method="log")["ci_low"])
    adj = ratio_ci(0, 10, 3, 10)
    ref = confint_proportions_2indep(0, 10, 3, 10, compare="ratio", method="log-adjusted")
    assert float(adj["ci_low"]) == pytest.approx(ref[0])
    assert float(adj["ci_high"]) == pytest.approx(ref[1])
    assert float(adj["ratio"]) == 0.0


def test_cohens_h_matches_statsmodels_and_pwr():
    p1 = np.array([0.5, 0.9, 0.1, 0.0, 1.0])
    p2 = np.array([0.4, 0.7, 0.3, 0.5, 0.2])
    np.testing.assert_allclose(cohens_h(p1, p2), proportion_effectsize(p1, p2), atol=1e-12)
    # R pwr::ES.h(0.5, 0.4) = 0.2013579
    assert float(cohens_h(0.5, 0.4)) == pytest.approx(0.2013579, abs=1e-7)


def test_two_proportion_test_matches_scipy_and_statsmodels():
    x1 = np.array([56, 30, 120, 400])
    n1 = np.array([70, 60, 200, 1000])
    x2 = np.array([48, 35, 100, 380])
    n2 = np.array([80, 55, 210, 990])
    r = two_proportion_test(x1, n1, x2, n2)
    assert not r["small_counts"].any()
    for i in range(len(x1)):
        table = [[x1[i], n1[i] - x1[i]], [x2[i], n2[i] - x2[i]]]
        chi = stats.chi2_contingency(table, correction=False)
        assert r["chi2"][i] == pytest.approx(chi.statistic, rel=1e-10)
        assert r["p_value"][i] == pytest.approx(chi.pvalue, rel=1e-8)
        z, p = proportions_ztest([x1[i], x2[i]], [n1[i], n2[i]])
        assert r["statistic"][i] == pytest.approx(z, rel=1e-10)


def test_two_proportion_test_fisher_on_small_rows_only():
    x1, n1, x2, n2 = [3, 56], [10, 70], [9, 48], [10, 80]
    r = two_proportion_test(x1, n1, x2, n2)
    # row 0: table [[3,7],[9,1]]; expected failures = 10*8/20 = 4 < 5
    assert r["small_counts"].tolist() == [True, False]
    assert r["test"].tolist() == ["fisher", "chi2"]
    assert r["p_value"][0] == pytest.approx(stats.fisher_exact([[3, 7], [9, 1]]).pvalue)
    assert np.isnan(r["p_value_fisher"][1])
    # chi2 p is still reported for the small row
    assert r["p_value_chi2"][0] == pytest.approx(stats.chi2_contingency([[3, 7], [9, 1]], correction=False).pvalue)
    off = two_proportion_test(x1, n1, x2, n2, fisher=False)
    assert off["p_value"][0] == pytest.approx(off["p_value_chi2"][0])
    assert off["small_counts"][0]


def test_fisher_two_sided_matches_scipy():
    rng = np.random.default_rng(6)
    n1 = rng.integers(1, 80, 400)
    n2 = rng.integers(1, 400, 400)
    x1 = rng.binomial(n1, rng.uniform(0, 1, 400))
    x2 = rng.binomial(n2, rng.uniform(0, 1, 400))
    # edge tables: all zero successes, all successes, symmetric ties
    x1 = np.r_[x1, 0, 5, 3, 0]
    n1 = np.r_[n1, 5, 5, 6, 1]
    x2 = np.r_[x2, 0, 5, 3, 1]
    n2 = np.r_[n2, 7, 5, 6, 1]
    ref = [stats.fisher_exact([[a, b - a], [c, d - c]]).pvalue for a, b, c, d in zip(x1, n1, x2, n2, strict=True)]
    np.testing.assert_allclose(fisher_two_sided(x1, n1, x2, n2), ref, rtol=1e-9, atol=1e-14)
    # small blocks give the same answer
    np.testing.assert_allclose(fisher_two_sided(x1, n1, x2, n2, max_support=7), ref, rtol=1e-9, atol=1e-14)
    assert np.isnan(fisher_two_sided([1], [0], [1], [2])[0])


def test_two_proportion_test_degenerate_rows():
    r = two_proportion_test([10, 0, 5], [10, 10, 0], [20, 0, 5], [20, 10, 10])
    assert r["statistic"][0] == 0.0 and r["statistic"][1] == 0.0  # identical all-success / all-failure
    assert np.isnan(r["statistic"][2])  # n1 = 0 invalid


def test_welch_matches_scipy():
    rng = np.random.default_rng(3)
    groups = [(rng.normal(5, 2, rng.integers(2, 50)), rng.normal(4, 3, rng.integers(2, 50))) for _ in range(20)]
    m1 = np.array([a.mean() for a, _ in groups])
    v1 = np.array([a.var(ddof=1) for a, _ in groups])
    k1 = np.array([len(a) for a, _ in groups])
    m2 = np.array([b.mean() for _, b in groups])
    v2 = np.array([b.var(ddof=1) for _, b in groups])
    k2 = np.array([len(b) for _, b in groups])
    r = welch_diff(m1, v1, k1, m2, v2, k2, level=0.9)
    for i, (a, b) in enumerate(groups):
        ref = stats.ttest_ind(a, b, equal_var=False)
        ci = ref.confidence_interval(0.9)
        assert r["statistic"][i] == pytest.approx(ref.statistic, rel=1e-9)
        assert r["p_value"][i] == pytest.approx(ref.pvalue, rel=1e-7)
        assert r["df"][i] == pytest.approx(ref.df, rel=1e-9)
        assert r["ci_low"][i] == pytest.approx(ci.low, rel=1e-9)
        assert r["ci_high"][i] == pytest.approx(ci.high, rel=1e-9)


def test_welch_small_n_is_nan():
    r = welch_diff([1.0], [1.0], [1], [2.0], [1.0], [10])
    assert np.isnan(r["se"][0]) and np.isnan(r["ci_low"][0])


def test_normal_diff_by_hand():
    # diff 1.0, se sqrt(0.09+0.16)=0.5, z = 2, p = 2*(1-Phi(2)) = 0.0455
    r = normal_diff(5.0, 0.3, 4.0, 0.4)
    assert float(r["se"]) == pytest.approx(0.5)
    assert float(r["ci_low"]) == pytest.approx(1 - Z95 * 0.5)
    assert float(r["p_value"]) == pytest.approx(2 * stats.norm.sf(2.0))


def test_bh_matches_statsmodels_with_nans():
    rng = np.random.default_rng(4)
    p = rng.uniform(0, 0.2, 50) ** 2
    p[[3, 17, 30]] = np.nan
    q = bh_qvalues(p)
    ok = ~np.isnan(p)
    np.testing.assert_allclose(q[ok], multipletests(p[ok], method="fdr_bh")[1], rtol=1e-12)
    assert np.isnan(q[~ok]).all()


def test_bh_by_hand_and_ties():
    # m = 4, sorted p: 0.01, 0.02, 0.03, 0.5 -> m*p/rank = 0.04, 0.04, 0.04, 0.5
    assert bh_qvalues([0.5, 0.03, 0.01, 0.02]).tolist() == pytest.approx([0.5, 0.04, 0.04, 0.04])
    assert bh_qvalues([0.02, 0.02]).tolist() == pytest.approx([0.02, 0.02])
    assert np.isnan(bh_qvalues([np.nan, np.nan])).all()


def test_bh_groups_equal_separate_families():
    rng = np.random.default_rng(5)
    p = rng.uniform(0, 1, 60) ** 3
    g = np.repeat(["a", "b", "c"], 20)
    rng.shuffle(g)
    q = bh_qvalues(p, groups=g)
    for fam in "abc":
        m = g == fam
        np.testing.assert_allclose(q[m], multipletests(p[m], method="fdr_bh")[1], rtol=1e-12)
    with pytest.raises(InvalidOptionError):
        bh_qvalues(p, groups=g[:5])


def test_invalid_inputs_give_nan_and_bad_level_raises():
    r = newcombe_diff([5, 12], [0, 10], [3, 3], [10, 10])
    assert np.isnan(r["ci_low"]).tolist() == [True, True]  # n=0; x > n
    with pytest.raises(InvalidOptionError, match="level"):
        newcombe_diff(1, 2, 1, 2, level=95)
    with pytest.raises(InvalidOptionError):
        ratio_ci(1, 2, 1, 2, method="wald")


def test_dataframe_friendly():
    df = pd.DataFrame(newcombe_diff([1, 2, 3], [10, 10, 10], [2, 2, 2], [10, 10, 10]))
    assert list(df.columns) == ["p1", "p2", "diff", "ci_low", "ci_high"] and len(df) == 3


counts = st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@settings(max_examples=200, deadline=None)
@given(a=counts, b=counts, level=st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_newcombe_invariants(a, b, level):
    r = newcombe_diff(a[0], a[1], b[0], b[1], level)
    lo, d, hi = float(r["ci_low"]), float(r["diff"]), float(r["ci_high"])
    assert -1 <= lo <= d + 1e-12
    assert d - 1e-12 <= hi <= 1
    # antisymmetry: swapping the groups mirrors the interval
    s = newcombe_diff(b[0], b[1], a[0], a[1], level)
    assert float(s["ci_low"]) == pytest.approx(-hi, abs=1e-12)
    # Cohen's h has the sign of the difference
    h = float(cohens_h(a[0] / a[1], b[0] / b[1]))
    assert np.sign(round(h, 12)) == np.sign(round(d, 12))


@settings(max_examples=100, deadline=None)
@given(a=counts, b=counts)
def test_ratio_adjusted_invariants(a, b):
    r = ratio_ci(a[0], a[1], b[0], b[1])
    assert 0 <= float(r["ci_low"]) <= float(r["ci_high"]) < np.inf


# ----------------------------------------------------------------------------------------
# odds ratio and Hedges' g (issue 10 item 10)
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("x1,n1,x2,n2", [(5, 7, 3, 10), (56, 70, 48, 80), (5, 5, 3, 10), (0, 12, 4, 9),
                                         (30, 200, 10, 150)])
def test_odds_ratio_equals_statsmodels_table2x2(x1, n1, x2, n2):
    from statsmodels.stats.contingency_tables import Table2x2

    from coopmetrics.contrasts import odds_ratio_ci

    ref = Table2x2(np.array([[x1, n1 - x1], [x2, n2 - x2]], dtype=float))
    r = odds_ratio_ci(x1, n1, x2, n2)
    assert float(r["odds_ratio"]) == pytest.approx(ref.oddsratio, rel=1e-12)
    lo, hi = ref.oddsratio_confint(alpha=0.05)
    assert (float(r["ci_low"]), float(r["ci_high"])) == pytest.approx((lo, hi), rel=1e-10)


def test_odds_ratio_hand_example_and_vectorised():
    from coopmetrics.contrasts import odds_ratio_ci

    # [[56, 14], [48, 32]]: OR = 56·32 / (14·48) = 8/3; Woolf se = sqrt(1/56 + 1/14 + 1/48 + 1/32)
    se = np.sqrt(1 / 56 + 1 / 14 + 1 / 48 + 1 / 32)
    r = odds_ratio_ci([56, 5], [70, 7], [48, 3], [80, 10], level=0.9)
    assert r["odds_ratio"][0] == pytest.approx(8 / 3)
    assert r["ci_low"][0] == pytest.approx(8 / 3 * np.exp(-stats.norm.isf(0.05) * se))
    assert r["odds_ratio"].shape == (2,)


def test_hedges_correction_gamma_formula_and_approximation():
    from scipy.special import gamma

    from coopmetrics.contrasts import hedges_correction

    for nu in (2, 5, 18, 100):
        exact = gamma(nu / 2) / (np.sqrt(nu / 2) * gamma((nu - 1) / 2))
        assert float(hedges_correction(nu)) == pytest.approx(exact, rel=1e-12)
        assert float(hedges_correction(nu)) == pytest.approx(1 - 3 / (4 * nu - 1), abs=0.02 / nu)
    assert np.isnan(hedges_correction(1))
