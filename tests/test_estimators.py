"""Interval math against statsmodels, scipy, samplics and hand calculations."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from coopmetrics import estimators as est
from coopmetrics.errors import InvalidOptionError

GRID = [(x, n) for n in (1, 2, 5, 10, 37, 100, 1000) for x in sorted({0, 1, n // 3, n // 2, n - 1, n}) if 0 <= x <= n]


@pytest.mark.parametrize("method,sm_method", [("wilson", "wilson"), ("beta", "beta"), ("jeffreys", "jeffreys"),
                                              ("agresti_coull", "agresti_coull"), ("normal", "normal")])
@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_proportion_interval_matches_statsmodels(method, sm_method, level):
    x = np.array([g[0] for g in GRID], dtype=float)
    n = np.array([g[1] for g in GRID], dtype=float)
    lo, hi = est.proportion_interval(x, n, level, method)
    ref_lo, ref_hi = proportion_confint(x, n, alpha=1 - level, method=sm_method)
    ref_lo, ref_hi = np.clip(ref_lo, 0, 1), np.clip(ref_hi, 0, 1)
    if method == "jeffreys":
        # Brown, Cai & DasGupta's boundary rule: lower bound 0 at x = 0, upper 1 at x = n
        ref_lo = np.where(x == 0, 0.0, ref_lo)
        ref_hi = np.where(x == n, 1.0, ref_hi)
    np.testing.assert_allclose(lo, ref_lo, atol=1e-10)
    np.testing.assert_allclose(hi, ref_hi, atol=1e-10)


def test_wilson_by_hand():
    # 8 of 10, z = 1.959964: centre (8 + z²/2)/(10 + z²), half z/(10+z²)·sqrt(8·2/10 + z²/4)
    z = stats.norm.ppf(0.975)
    centre = (8 + z * z / 2) / (10 + z * z)
    half = z / (10 + z * z) * np.sqrt(8 * 2 / 10 + z * z / 4)
    lo, hi = est.proportion_interval([8], [10])
    assert lo[0] == pytest.approx(centre - half) and hi[0] == pytest.approx(centre + half)


def test_proportion_zero_denominator_gives_nan_and_aliases():
    lo, hi = est.proportion_interval([0, 3], [0, 10], method="clopper-pearson")
    assert np.isnan(lo[0]) and np.isnan(hi[0])
    ref = proportion_confint(3, 10, method="beta")
    assert (lo[1], hi[1]) == pytest.approx(ref)
    with pytest.raises(InvalidOptionError, match="wilson"):
        est.proportion_interval([1], [2], method="wilsn")


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 5000), frac=st.floats(0, 1), level=st.floats(0.5, 0.999),
       method=st.sampled_from(est.PROPORTION_METHODS))
def test_proportion_interval_invariants(n, frac, level, method):
    x = np.floor(frac * n)
    lo, hi = est.proportion_interval([x], [n], level, method)
    p = x / n
    assert 0.0 <= lo[0] <= p <= hi[0] <= 1.0


def test_mean_interval_matches_scipy_t():
    rng = np.random.default_rng(1)
    groups = [rng.normal(5000, 800, size=k) for k in (2, 3, 15, 200)]
    n = np.array([len(g) for g in groups], float)
    s = np.array([g.sum() for g in groups])
    ss = np.array([(g * g).sum() for g in groups])
    mean, se, lo, hi = est.mean_interval(n, s, ss, 0.95)
    for i, g in enumerate(groups):
        ref = stats.t.interval(0.95, len(g) - 1, loc=g.mean(), scale=stats.sem(g))
        assert mean[i] == pytest.approx(g.mean())
        assert se[i] == pytest.approx(stats.sem(g))
        assert (lo[i], hi[i]) == pytest.approx(ref, rel=1e-9)


def test_mean_interval_single_value_has_no_interval():
    mean, se, lo, hi = est.mean_interval([1, 0], [7.0, 0.0], [49.0, 0.0])
    assert mean[0] == 7.0 and np.isnan(se[0]) and np.isnan(lo[0])
    assert np.isnan(mean[1])


def test_ratio_interval_by_hand():
    # units (x, y); R = Σx/Σy; se² = n/(n-1) Σ(x - R y)² / (Σy)²
    x = np.array([10.0, 0.0, 30.0, 5.0, 0.0])
    y = np.array([100.0, 50.0, 120.0, 80.0, 60.0])
    r = x.sum() / y.sum()
    se = np.sqrt(5 / 4 * ((x - r * y) ** 2).sum()) / y.sum()
    got_r, got_se, lo, hi = est.ratio_interval([5], [x.sum()], [y.sum()], [(x * x).sum()], [(y * y).sum()],
                                               [(x * y).sum()])
    assert got_r[0] == pytest.approx(r) and got_se[0] == pytest.approx(se)
    assert lo[0] == pytest.approx(r - stats.norm.ppf(0.975) * se)


def _weighted_inputs(x, y, w):
    return dict(n=[len(x)], swx=[np.sum(w * x)], swy=[np.sum(w * y)], sw2xx=[np.sum(w * w * x * x)],
                sw2yy=[np.sum(w * w * y * y)], sw2xy=[np.sum(w * w * x * y)], m=[y.sum()],
                kish_deff=[len(w) * np.sum(w * w) / np.sum(w) ** 2])


def test_weighted_share_se_matches_samplics_ratio():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # samplics is archived and says so on import
        from samplics.estimation import TaylorEstimator
        from samplics.utils.types import PopParam

    rng = np.random.default_rng(7)
    y = rng.integers(1, 4, size=60).astype(float)  # valid answers per respondent
    x = rng.binomial(y.astype(int), 0.6).astype(float)  # top-box answers
    w = rng.uniform(0.5, 3, size=60)
    res = est.weighted_share(**_weighted_inputs(x, y, w))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = TaylorEstimator(PopParam.ratio)
        ref.estimate(y=x, x=y, samp_weight=w)
    assert res["estimate"][0] == pytest.approx(ref.point_est)
    assert res["se"][0] == pytest.approx(ref.stderror, rel=1e-9)


def test_weighted_share_unweighted_single_item_is_wilson():
    x = np.array([1.0] * 7 + [0.0] * 5)
    y = np.ones(12)
    res = est.weighted_share(**_weighted_inputs(x, y, np.ones(12)))
    ref = proportion_confint(7, 12, method="wilson")
    assert res["n_star"][0] == pytest.approx(12)
    assert (res["ci_low"][0], res["ci_high"][0]) == pytest.approx(ref)


def test_weighted_share_all_satisfied_falls_back_to_kish():
    x = np.ones(4)
    w = np.array([1.0, 1.0, 2.0, 4.0])
    inp = _weighted_inputs(x, x, w)
    res = est.weighted_share(**inp)
    n_eff = w.sum() ** 2 / (w * w).sum()
    assert res["estimate"][0] == 1.0
    assert res["n_star"][0] == pytest.approx(n_eff)
    assert res["ci_high"][0] == 1.0 and res["ci_low"][0] < 1.0


def test_kish_by_hand_and_against_weighting():
    from coopmetrics.weighting import kish as kish_w

    w = np.array([1.0, 2.0, 3.0, 2.0])
    ne, deff = est.kish([w.sum()], [(w * w).sum()], [4])
    assert ne[0] == pytest.approx(64 / 18) and deff[0] == pytest.approx(4 * 18 / 64)
    ref = kish_w(w)
    assert (ne[0], deff[0]) == pytest.approx(tuple(ref))


def test_median_rank_bounds_by_hand_and_coverage():
    # n = 100, z = 1.96: l = floor((100 - 19.6)/2) = 40, u = ceil(1 + (100 + 19.6)/2) = 61
    lo, hi = est.median_rank_bounds([100, 25, 5])
    assert lo.tolist()[:2] == [40, 7] and hi.tolist()[:2] == [61, 19]  # n=25: floor(7.6), ceil(18.4)
    assert lo[2] == 0 and hi[2] == 0  # n = 5: no bound inside the sample
    # exact binomial coverage of the order-statistic interval: P(l <= B < u), B ~ Bin(n, 1/2)
    for n in (30, 100, 400):
        lo, hi = est.median_rank_bounds([n])
        cover = stats.binom.cdf(hi[0] - 1, n, 0.5) - stats.binom.cdf(lo[0] - 1, n, 0.5)
        assert cover >= 0.95


def test_z_value():
    assert est.z_value(0.95) == pytest.approx(1.959963984540054)


@settings(max_examples=100, deadline=None)
@given(data=st.lists(st.tuples(st.integers(1, 5), st.floats(0, 1), st.floats(0.2, 5)), min_size=1, max_size=40),
       method=st.sampled_from(est.PROPORTION_METHODS))
def test_weighted_share_invariants(data, method):
    y = np.array([d[0] for d in data], float)  # valid answers per respondent
    x = np.floor(np.array([d[1] for d in data]) * (y + 1)).clip(0, y)  # top-box answers <= valid answers
    w = np.array([d[2] for d in data])
    res = est.weighted_share(**_weighted_inputs(x, y, w), method=method)
    r = res["estimate"][0]
    assert 0.0 <= res["ci_low"][0] <= r <= res["ci_high"][0] <= 1.0
    assert r == pytest.approx((w * x).sum() / (w * y).sum())
