"""Tests of coopmetrics.adjust (adjusted comparisons) and the Comparison result object.

* degenerate cells never raise or warn and are flagged exactly (hypothesis);
* the stable logit equals statsmodels; AIPW equals a hand-written numpy AIPW (point and
  stacked-sandwich SE by numerical differentiation) and statsmodels-fit-based AIPW;
* the result object survives concat / Parquet;
* (slow) AIPW is unbiased and covers at 95 % under additive and logit-linear truths.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.special import expit
from statsmodels.treatment.treatment_effects import TreatmentEffect

from coopmetrics.adjust import aipw, logit_fit, propensity
from coopmetrics.compare import COMPARE_COLUMNS, Comparison, compare_values

Z = stats.norm.isf(0.025)

# ----------------------------------------------------------------------------------------
# degenerate cells (issue 18)
# ----------------------------------------------------------------------------------------

_KINDS = ["healthy", "no_reference", "one_cohort_unit", "one_reference_unit", "one_outcome_level",
          "arm_one_level", "separated_by_x"]
_EXPECTED = {  # the flag a degenerate cell must carry
    "no_reference": "no reference units",
    "one_cohort_unit": "fewer than 2 units",
    "one_reference_unit": "fewer than 2 units",
    "one_outcome_level": "the outcome takes a single value",
    "arm_one_level": "every unit of one arm has the same yes/no outcome",
}


def _cell(kind: str, rng: np.random.Generator, binary: bool) -> pd.DataFrame:
    n1, n0 = {"no_reference": (12, 0), "one_cohort_unit": (1, 25), "one_reference_unit": (12, 1)}.get(
        kind, (int(rng.integers(20, 40)), int(rng.integers(30, 60))))
    n = n1 + n0
    t = np.r_[np.ones(n1), np.zeros(n0)]
    if binary:
        # at least 5 of each outcome in each arm of a healthy cell: no separation by chance
        y = np.r_[rng.permutation(np.r_[np.ones(5), np.zeros(5), rng.integers(0, 2, max(n1 - 10, 0))])[:n1],
                  rng.permutation(np.r_[np.ones(5), np.zeros(5), rng.integers(0, 2, max(n0 - 10, 0))])[:n0]]
    else:
        y = 3000 + 200 * t + rng.normal(0, 300, n)
    if kind == "one_outcome_level":
        y = np.ones(n)
    if kind == "arm_one_level" and binary:
        y[t == 0] = 0.0  # every reference unit has the same outcome (mu0 = 0: the old ZeroDivisionError)
    x = rng.standard_normal(n)
    if kind == "separated_by_x" and binary:
        y = (x > 0).astype(float)  # the covariate predicts the outcome perfectly in both arms
    return pd.DataFrame({"program": np.where(t == 1, "order_class", "regular"), "value": y,
                         "x": x, "sex": rng.choice(["f", "m"], n)})


@settings(max_examples=40, deadline=None)
@given(kinds=st.lists(st.sampled_from(_KINDS), min_size=2, max_size=6), seed=st.integers(0, 10_000),
       kind_method=st.sampled_from([("proportion", "aipw"), ("proportion", "ra"), ("proportion", "ipw"),
                                    ("mean", "aipw"), ("mean", "ra"), ("proportion", "auto")]),
       estimand=st.sampled_from(["att", "ate"]))
@example(kinds=["no_reference", "no_reference"], seed=806, kind_method=("proportion", "aipw"), estimand="ate")
def test_degenerate_cells_flagged_never_raise_or_warn(kinds, seed, kind_method, estimand):
    kind, method = kind_method
    binary = kind == "proportion"
    # a reference level absent from the whole input is an argument error (a typo), which does raise:
    # one healthy cell keeps it present
    kinds = [*kinds, "healthy"]
    rng = np.random.default_rng(seed)
    cells = [_cell(k, rng, binary).assign(g=f"g{i}") for i, k in enumerate(kinds)]
    panel = pd.concat(cells, ignore_index=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning of any kind reaches the user
        res = compare_values(panel, kind, by="g", adjust=["x", "sex"], method=method, estimand=estimand,
                             n_boot=0)
        raw = compare_values(panel, kind, by="g", n_boot=0)  # unadjusted rows too
    assert isinstance(res, Comparison)
    assert res["g"].tolist() == [f"g{i}" for i in range(len(kinds))]  # one row per requested cell
    assert len(raw) == len(kinds)
    cols = [c for c in COMPARE_COLUMNS if c != "q_value"]
    for i, k in enumerate(kinds):
        row = res.table.iloc[i]
        if k == "separated_by_x":
            # RA's logit with the cohort indicator has no maximum: a flagged NaN row. AIPW's per-arm
            # models are taken to their limit and IPW models no outcome: they may estimate; a NaN
            # row always says why.
            if binary and method == "ra":
                assert np.isnan(row["difference"]) and "the outcome model separates" in row["flags"]
            elif np.isnan(row["difference"]):
                assert "no adjusted estimate" in row["flags"] or "could not be fitted" in row["flags"]
        elif k == "healthy" and binary and np.isnan(row["difference"]):
            # a small healthy arm can still be separated by x and sex together by chance (seed 806: 21
            # cohort units, logit coefficients diverging to ±10): a flagged NaN row, never another reason
            assert "separates" in row["flags"] and not any(v in row["flags"] for v in _EXPECTED.values())
        else:
            degenerate = k in _EXPECTED and not (k == "arm_one_level" and not binary)
            assert np.isnan(row["difference"]) == degenerate, (k, row["flags"])
            if degenerate:
                assert _EXPECTED[k] in row["flags"]
                assert row[["estimate_cohort", "ci_low", "p_value", "ratio", "odds_ratio"]].isna().all()
            else:
                assert not any(v in row["flags"] for v in _EXPECTED.values())
        if not np.isnan(row["difference"]):  # the row equals a fit on that cell alone
            alone = compare_values(cells[i], kind, adjust=["x", "sex"], method=method, estimand=estimand,
                                   n_boot=0).table.iloc[0]
            pd.testing.assert_series_equal(row[cols], alone[cols], check_names=False)


def test_zero_reference_mean_gives_nan_ratio_with_flag():
    from coopmetrics.adjust import _effects

    out, flags = _effects(0.2, 0.0, np.array([[1e-4, 0.0], [0.0, 1e-4]]), Z, False, 1.0, 50, 50)
    assert np.isnan(out["ratio"]) and np.isnan(out["ratio_ci_low"]) and out["difference"] == 0.2
    assert any("reference mean is 0" in f for f in flags)


@pytest.mark.slow
def test_panel_by_year_and_college_adjusted_does_not_die():
    """Issue 18 reproduction: a generated panel by (grad_year, college), four covariates."""
    from coopmetrics.compare import compare
    from coopmetrics.sample import generate_panel

    panel = generate_panel(100_000, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t0 = time.perf_counter()
        r = compare(panel, "placement_rate", by=["grad_year", "college"],
                    adjust=["entry_score", "major", "gender", "admission"])
        elapsed = time.perf_counter() - t0
    cells = panel.loc[panel["program"] != "regular", ["grad_year", "college", "program"]].drop_duplicates()
    assert len(r) == len(cells)
    est = r["difference"].notna()
    assert est.any() and (~est).any()
    assert r.loc[~est, "flags"].str.len().gt(0).all()  # every NaN row says why
    print(f"\n{len(r)} cells, {int(est.sum())} estimated, {elapsed:.1f} s")


# ----------------------------------------------------------------------------------------
# the stable logit
# ----------------------------------------------------------------------------------------


def test_logit_fit_equals_statsmodels_and_is_silent_under_separation():
    rng = np.random.default_rng(0)
    n = 400
    x = np.column_stack([np.ones(n), rng.standard_normal(n), rng.integers(2015, 2025, n).astype(float)])
    y = (rng.random(n) < expit(-0.3 + 0.8 * x[:, 1] + 0.05 * (x[:, 2] - 2020))).astype(float)
    w = rng.uniform(0.5, 2, n)
    ref = sm.GLM(y, x, family=sm.families.Binomial(), var_weights=w).fit(tol=1e-12)
    fit = logit_fit(y, x, w)
    assert fit.converged
    np.testing.assert_allclose(fit.beta, ref.params, rtol=1e-7, atol=1e-9)
    # complete separation and huge linear predictors: no overflow warning, not converged
    ys = (x[:, 1] > 0).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sep = logit_fit(ys, np.column_stack([x[:, :2] * 1e3]), np.ones(n))
    assert not sep.converged and np.all(np.isfinite(sep.p))


def test_propensity_takes_separated_levels_to_their_limit():
    """A level without cohort units (also the baseline level) gets propensity 0; the rest is the MLE."""
    rng = np.random.default_rng(4)
    n = 600
    lvl = rng.integers(0, 3, n)  # level 0 (the baseline) has no cohort units
    xs = rng.standard_normal(n)
    t = np.where(lvl == 0, 0.0, (rng.random(n) < expit(0.5 * xs)).astype(float))
    x = np.column_stack([xs, lvl == 1, lvl == 2]).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ps = propensity(t, x, np.ones(n))
    assert ps.converged and (ps.e[lvl == 0] == 0).all()
    rest = lvl > 0
    ref = sm.Logit(t[rest], np.column_stack([np.ones(rest.sum()), xs[rest], lvl[rest] == 2])).fit(disp=0)
    np.testing.assert_allclose(ps.e[rest], ref.predict(), rtol=1e-7)


# ----------------------------------------------------------------------------------------
# AIPW against a hand-written numpy AIPW and statsmodels
# ----------------------------------------------------------------------------------------


def _data(n=800, seed=11, binary=True):
    rng = np.random.default_rng(seed)
    x1 = rng.standard_normal(n)
    x2 = (rng.random(n) < 0.4).astype(float)
    t = (rng.random(n) < expit(-0.4 + 0.9 * x1 + 0.5 * x2)).astype(float)
    if binary:
        y = (rng.random(n) < 0.25 + 0.08 * t + 0.12 * (x1 > 0) + 0.1 * x2).astype(float)
    else:
        y = 3000 + 250 * t + 400 * x1 + 150 * x2 + rng.normal(0, 300, n)
    return y, t, np.column_stack([x1, x2])


def _hand_aipw(y, t, x, estimand, binary, w=None, groups=None):
    """Point estimate by the textbook formula and SE by a numerically differentiated stacked sandwich
    (weighted estimating equations; scores summed within clusters when ``groups`` is given)."""
    n = len(y)
    w = np.ones(n) if w is None else w
    xc = np.column_stack([np.ones(n), x])
    k = xc.shape[1]

    def fit(yy, rows):
        if binary:
            return sm.GLM(yy[rows], xc[rows], family=sm.families.Binomial(), var_weights=w[rows]).fit(
                tol=1e-13).params
        return sm.WLS(yy[rows], xc[rows], weights=w[rows]).fit().params

    def link(eta):
        return expit(eta) if binary else eta

    gam = sm.GLM(t, xc, family=sm.families.Binomial(), var_weights=w).fit(tol=1e-13).params
    b1, b0 = fit(y, t == 1), fit(y, t == 0)

    def psi(theta):  # stacked estimating functions, one row per unit
        g, c1, c0 = theta[:k], theta[k:2 * k], theta[2 * k:3 * k]
        e, m1, m0 = expit(xc @ g), link(xc @ c1), link(xc @ c0)
        cols = [(t - e)[:, None] * xc, (t * (y - m1))[:, None] * xc, ((1 - t) * (y - m0))[:, None] * xc]
        if estimand == "ate":
            mu1, mu0 = theta[-2:]
            cols += [m1 + t * (y - m1) / e - mu1, m0 + (1 - t) * (y - m0) / (1 - e) - mu0]
        else:
            d, mu1, mu0 = theta[-3:]
            r = (1 - t) * e / (1 - e)
            cols += [r * (y - m0 - d), t * (y - mu1), t * (m0 + d - mu0)]
        return np.column_stack(cols) * w[:, None]

    e, m1, m0 = expit(xc @ gam), link(xc @ b1), link(xc @ b0)
    if estimand == "ate":
        mu = [np.average(m1 + t * (y - m1) / e, weights=w), np.average(m0 + (1 - t) * (y - m0) / (1 - e), weights=w)]
    else:
        r = (1 - t) * e / (1 - e)
        d = np.sum(w * r * (y - m0)) / np.sum(w * r)
        mu = [d, np.average(y[t == 1], weights=w[t == 1]), np.average(m0[t == 1], weights=w[t == 1]) + d]
    theta = np.r_[gam, b1, b0, mu]
    p = len(theta)
    jac = np.zeros((p, p))
    for j in range(p):  # central differences of the summed estimating functions
        h = 1e-6 * max(1.0, abs(theta[j]))
        up, dn = theta.copy(), theta.copy()
        up[j] += h
        dn[j] -= h
        jac[:, j] = (psi(up).sum(axis=0) - psi(dn).sum(axis=0)) / (2 * h)
    ps_ = psi(theta)
    if groups is not None:
        ps_ = pd.DataFrame(ps_).groupby(groups).sum().to_numpy()
    ainv = np.linalg.inv(jac)
    v = ainv @ (ps_.T @ ps_) @ ainv.T
    c = np.zeros(p)
    c[-2], c[-1] = 1, -1
    return theta[-2] - theta[-1], float(np.sqrt(c @ v @ c)), theta[-2], theta[-1]


@pytest.mark.parametrize("binary", [True, False])
@pytest.mark.parametrize("estimand", ["ate", "att"])
def test_aipw_equals_hand_written_numpy(estimand, binary):
    y, t, x = _data(binary=binary)
    frame = pd.DataFrame({"program": np.where(t == 1, "order_class", "regular"), "value": y,
                          "x1": x[:, 0], "x2": x[:, 1]})
    r = compare_values(frame, "proportion" if binary else "mean", adjust=["x1", "x2"], method="aipw",
                       estimand=estimand, n_boot=0).table.iloc[0]
    diff, se, mu1, mu0 = _hand_aipw(y, t, x, estimand, binary)
    assert r["difference"] == pytest.approx(diff, rel=1e-7)
    assert (r["estimate_cohort"], r["estimate_reference"]) == pytest.approx((mu1, mu0), rel=1e-7)
    assert (r["ci_high"] - r["ci_low"]) / (2 * Z) == pytest.approx(se, rel=1e-5)
    assert r["method"].startswith("doubly robust AIPW") and r["method"].endswith(estimand.upper())


def test_aipw_ate_equals_statsmodels():
    # binary outcome: the AIPW formula on statsmodels' fitted logits (propensity and one per arm)
    y, t, x = _data()
    xc = sm.add_constant(x)
    e = sm.Logit(t, xc).fit(disp=0, tol=1e-12).predict()
    m1 = sm.Logit(y[t == 1], xc[t == 1]).fit(disp=0, tol=1e-12).predict(xc)
    m0 = sm.Logit(y[t == 0], xc[t == 0]).fit(disp=0, tol=1e-12).predict(xc)
    ate = np.mean(m1 - m0 + t * (y - m1) / e - (1 - t) * (y - m0) / (1 - e))
    est = aipw(y, t, x, np.ones(len(y)), propensity(t, x, np.ones(len(y))), "ate", True, ["x1", "x2"])
    assert est["mu1"] - est["mu0"] == pytest.approx(ate, rel=1e-8)
    # continuous outcome: statsmodels TreatmentEffect.aipw (effect and its GMM standard error)
    yc, t, x = _data(binary=False)
    xc = sm.add_constant(x)
    te = TreatmentEffect(sm.OLS(yc, xc), t.astype(int), results_select=sm.Logit(t, xc).fit(disp=0, tol=1e-12))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = te.aipw()
    frame = pd.DataFrame({"program": np.where(t == 1, "order_class", "regular"), "value": yc,
                          "x1": x[:, 0], "x2": x[:, 1]})
    r = compare_values(frame, "mean", adjust=["x1", "x2"], method="aipw", estimand="ate", n_boot=0).iloc[0]
    assert r["difference"] == pytest.approx(float(np.ravel(ref.effect)[0]), rel=1e-8)
    assert (r["ci_high"] - r["ci_low"]) / (2 * Z) == pytest.approx(ref.results_gmm.bse[0], rel=1e-4)


def test_aipw_is_the_default_for_yes_no_outcomes_and_ra_for_means():
    y, t, x = _data()
    frame = pd.DataFrame({"program": np.where(t == 1, "order_class", "regular"), "value": y, "x1": x[:, 0]})
    auto = compare_values(frame, "proportion", adjust=["x1"]).iloc[0]
    named = compare_values(frame, "proportion", adjust=["x1"], method="aipw").iloc[0]
    assert auto["difference"] == named["difference"] and "AIPW" in auto["method"]
    mean = compare_values(frame.assign(value=y * 100 + x[:, 0]), "mean", adjust=["x1"], n_boot=0).iloc[0]
    assert mean["method"].startswith("regression adjustment")


def test_marginal_odds_ratio_and_hedges_g_of_adjusted_rows():
    y, t, x = _data()
    frame = pd.DataFrame({"program": np.where(t == 1, "order_class", "regular"), "value": y, "x1": x[:, 0]})
    r = compare_values(frame, "proportion", adjust=["x1"]).iloc[0]
    m1, m0 = r["estimate_cohort"], r["estimate_reference"]
    assert r["odds_ratio"] == pytest.approx(m1 / (1 - m1) / (m0 / (1 - m0)))
    assert r["odds_ratio_ci_low"] < r["odds_ratio"] < r["odds_ratio_ci_high"]
    assert np.isnan(r["hedges_g"])
    yc, t, x = _data(binary=False)
    frame = pd.DataFrame({"program": np.where(t == 1, "order_class", "regular"), "value": yc, "x1": x[:, 0]})
    c = compare_values(frame, "mean", adjust=["x1"], n_boot=0).iloc[0]
    n = len(yc)
    j = 1 - 3 / (4 * (n - 2) - 1)  # Hedges' approximation; the exact factor differs by < 1e-6 here
    assert c["hedges_g"] == pytest.approx(c["effect_size"] * j, rel=1e-5)


# ----------------------------------------------------------------------------------------
# the result object
# ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_ds():
    from coopmetrics import sample

    return sample.generate()


def test_multi_indicator_adjusted_compare_survives_concat_and_parquet(sample_ds, tmp_path):
    from coopmetrics.compare import compare

    adjust = ["entry_score", "major", "gender", "admission"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = compare(sample_ds, ["placement_rate", "salary_mean"], adjust=adjust)
    assert isinstance(res, Comparison) and res.table.attrs == {}
    assert set(res["indicator"]) == {"placement_rate", "salary_mean"}
    assert set(res.balance["indicator"]) == {"placement_rate", "salary_mean"}
    path = tmp_path / "cmp.parquet"
    res.to_parquet(path)  # passes through to the table
    pd.testing.assert_frame_equal(pd.read_parquet(path), res.table)
    res.to_excel(tmp_path / "cmp.xlsx", index=False)  # to_excel passes through too
    back = pd.read_excel(tmp_path / "cmp.xlsx", engine="openpyxl")
    assert back.shape == res.shape and list(back.columns) == list(res.table.columns)
    np.testing.assert_allclose(back["difference"].to_numpy(float), res["difference"].to_numpy(float))
    res.balance.to_parquet(tmp_path / "bal.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "bal.parquet"), res.balance)
    one = compare(sample_ds, "placement_rate", adjust=adjust)
    both = pd.concat([one.tidy(), res.tidy()], ignore_index=True)
    assert len(both) == len(one) + len(res)
    assert both.merge(one.tidy()[["indicator", "cohort"]], on=["indicator", "cohort"]).shape[0] >= len(one)
    # DataFrame access of the earlier return value keeps working
    assert res.loc[0, "indicator"] == res.table.loc[0, "indicator"] and len(list(res)) == res.shape[1]
    assert "difference" in res and res.iloc[0]["cohort"] == res.table["cohort"].iloc[0]


def test_comparison_summary_html_and_plot(sample_ds):
    from coopmetrics.compare import compare

    res = compare(sample_ds, "placement_rate", adjust=["entry_score"])
    en, zh = res.summary(), res.summary(lang="zh")
    assert en.startswith("Cohort comparison: 3 row(s) adjusted for entry_score")
    assert zh.startswith("队列比较：3 行")
    for r in res.table.itertuples():
        assert f"{r.difference:+.4f}" in en
    html = res._repr_html_()
    assert "<table" in html and "balance table" in html
    fig = res.plot(lang="en")
    assert len(fig.axes[0].collections[-1].get_offsets()) == len(res)


# ----------------------------------------------------------------------------------------
# simulation: AIPW unbiased with 95 % coverage under two truths (issue 10 item 8)
# ----------------------------------------------------------------------------------------


def _draw(rng, n, truth):
    x1 = rng.standard_normal(n)
    lvl = rng.integers(0, 3, n)
    t = (rng.random(n) < expit(-1.0 + 0.8 * x1 + 0.4 * (lvl == 1) - 0.3 * (lvl == 2))).astype(float)
    if truth == "additive":  # additive on the probability scale: the effect is 0.06 for everyone
        p = 0.45 + 0.06 * t + 0.12 * np.clip(x1, -2, 2) + 0.1 * (lvl == 1) - 0.08 * (lvl == 2)
        p = np.clip(p, 0.02, 0.98)
    else:  # logit-linear
        p = expit(-0.2 + 0.4 * t + 0.7 * x1 + 0.3 * (lvl == 1) - 0.2 * (lvl == 2))
    y = (rng.random(n) < p).astype(float)
    return y, t, np.column_stack([x1, lvl == 1, lvl == 2]).astype(float)


def _truth(truth, estimand):
    """Population ATT/ATE: exact for the additive truth, else a 4-million-draw Monte Carlo
    (its error, ~1e-4, is far below the estimator's SE of ~0.025)."""
    if truth == "additive":
        return 0.06  # 0.06 for everyone: p stays inside the clip for |x1| ≤ 2 (0.45 ± 0.24 ± 0.1)
    rng = np.random.default_rng(99)
    x1 = rng.standard_normal(4_000_000)
    lvl = rng.integers(0, 3, 4_000_000)
    e = expit(-1.0 + 0.8 * x1 + 0.4 * (lvl == 1) - 0.3 * (lvl == 2))
    eta = -0.2 + 0.7 * x1 + 0.3 * (lvl == 1) - 0.2 * (lvl == 2)
    wt = e if estimand == "att" else np.ones_like(e)
    return float(np.sum(wt * (expit(eta + 0.4) - expit(eta))) / wt.sum())


@pytest.mark.slow
@pytest.mark.parametrize("estimand", ["att", "ate"])
@pytest.mark.parametrize("truth", ["additive", "logit"])
def test_aipw_simulation_unbiased_and_covers(truth, estimand):
    """1,000 replications of n = 2,000 with selection on x: AIPW (logit outcome models, which are
    misspecified under the additive truth) has bias within 3 Monte Carlo SEs of 0 and 95 % coverage
    within 3 Monte Carlo SEs (0.95 ± 0.021)."""
    reps, n = 1000, 2000
    true = _truth(truth, estimand)
    rng = np.random.default_rng(2024)
    est, cover = np.empty(reps), np.empty(reps, dtype=bool)
    t0 = time.perf_counter()
    w = np.ones(n)
    for i in range(reps):  # replications, not cells
        y, t, x = _draw(rng, n, truth)
        r = aipw(y, t, x, w, propensity(t, x, w), estimand, True, ["x1", "l1", "l2"])
        d = r["mu1"] - r["mu0"]
        se = np.sqrt(r["cov"][0, 0] + r["cov"][1, 1] - 2 * r["cov"][0, 1])
        est[i], cover[i] = d, abs(d - true) <= Z * se
    elapsed = time.perf_counter() - t0
    mcse = est.std(ddof=1) / np.sqrt(reps)
    cov_mcse = np.sqrt(0.95 * 0.05 / reps)
    print(f"\n{truth} {estimand}: truth {true:.4f}, mean {est.mean():.4f} (bias {est.mean() - true:+.4f}, MC se {mcse:.4f}), "
          f"coverage {cover.mean():.3f} (MC se {cov_mcse:.3f}), {elapsed:.1f} s")
    assert abs(est.mean() - true) < 3 * mcse
    assert abs(cover.mean() - 0.95) < 3 * cov_mcse
    assert elapsed < 60


@pytest.mark.parametrize("estimand", ["ate", "att"])
def test_aipw_weighted_and_clustered_equals_hand_written(estimand):
    """Survey weights enter every estimating equation; answers of a respondent form a cluster."""
    y, t, x = _data(n=600, seed=3)
    rng = np.random.default_rng(3)
    w = rng.uniform(0.5, 3.0, len(y))
    groups = np.repeat(np.arange(300), 2)  # pairs of rows share a respondent
    frame = pd.DataFrame({"program": np.where(t == 1, "order_class", "regular"), "value": y, "weight": w,
                          "x1": x[:, 0], "x2": x[:, 1], "rid": groups})
    r = compare_values(frame, "proportion", adjust=["x1", "x2"], method="aipw", estimand=estimand,
                       cluster="rid").table.iloc[0]
    diff, se, mu1, mu0 = _hand_aipw(y, t, x, estimand, True, w=w, groups=groups)
    assert r["difference"] == pytest.approx(diff, rel=1e-7)
    assert (r["ci_high"] - r["ci_low"]) / (2 * Z) == pytest.approx(se, rel=1e-5)
    assert "cluster-robust SE" in r["flags"] and "survey-weighted" in r["flags"]


# ----------------------------------------------------------------------------------------
# batched Newton across cells (issue 16 item 1)
# ----------------------------------------------------------------------------------------


def test_logit_fit_batch_equals_one_by_one():
    from coopmetrics.fits import logit_fit_batch

    rng = np.random.default_rng(5)
    problems = []
    for i in range(40):  # different sizes and widths, some separated, one singular
        n, k = int(rng.integers(8, 200)), int(rng.integers(1, 5))
        x = np.column_stack([np.ones(n), rng.standard_normal((n, k - 1))]) if k > 1 else np.ones((n, 1))
        y = (rng.random(n) < expit(x @ rng.normal(0, 1, k))).astype(float)
        if i % 7 == 3 and k > 1:
            y = (x[:, 1] > 0).astype(float)  # complete separation
        if i == 11:
            x = np.column_stack([x, x[:, :1]])  # duplicated column: singular Hessian
        problems.append((y, x, rng.uniform(0.5, 2, n)))
    batch = logit_fit_batch(problems)
    for (y, x, w), b in zip(problems, batch, strict=True):
        one = logit_fit(y, x, w)
        assert b.converged == one.converged
        if one.converged:
            np.testing.assert_allclose(b.beta, one.beta, rtol=1e-8, atol=1e-10)
            np.testing.assert_allclose(b.p, one.p, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("method", ["aipw", "ra", "ipw"])
def test_batched_cells_equal_cell_by_cell_fits(method, monkeypatch):
    """All cells of a by-group fitted at once give the per-cell numbers to 1e-8."""
    import functools
    import sys

    from coopmetrics.adjust import fit_cells
    from coopmetrics.compare import compare
    from coopmetrics.sample import generate_panel

    panel = generate_panel(30_000, seed=3, n_colleges=15)
    kw = dict(by=["grad_year", "college"], adjust=["entry_score", "major", "gender"], method=method)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batched = compare(panel, "placement_rate", **kw).table
        # the package binds coopmetrics.compare to the function: patch the module itself
        monkeypatch.setattr(sys.modules["coopmetrics.compare"], "fit_cells", functools.partial(fit_cells, batched=False))
        single = compare(panel, "placement_rate", **kw).table
    assert batched["difference"].notna().sum() > 20
    num = batched.select_dtypes("number").columns
    np.testing.assert_allclose(batched[num].to_numpy(float), single[num].to_numpy(float), rtol=1e-8, atol=1e-10)
    assert (batched["flags"] == single["flags"]).all()


@pytest.mark.parametrize("weighted", [False, True])
def test_aipw_att_equals_r_drdid(weighted):
    """The ATT AIPW with least-squares outcome model is Sant'Anna & Zhao's doubly robust ATT: with a
    zero baseline (y0 = 0) it equals drdid.drdid_panel (the port of R DRDID::drdid_panel, traditional
    DR), point estimate and influence-function SE sqrt(mean(IF²)/n)."""
    from drdid.drdid import drdid_panel

    y, t, x = _data(binary=False)
    n = len(y)
    w = np.random.default_rng(1).uniform(0.5, 2, n) if weighted else np.ones(n)
    att, inf = drdid_panel(y, np.zeros(n), t, x, i_weights=w)
    frame = pd.DataFrame({"program": np.where(t == 1, "order_class", "regular"), "value": y, "weight": w,
                          "x1": x[:, 0], "x2": x[:, 1]})
    r = compare_values(frame, "mean", adjust=["x1", "x2"], method="aipw", estimand="att", n_boot=0).iloc[0]
    assert r["difference"] == pytest.approx(att, rel=1e-10)
    assert (r["ci_high"] - r["ci_low"]) / (2 * Z) == pytest.approx(np.sqrt(np.mean(inf**2) / n), rel=1e-8)
