"""The vectorised path for mean outcomes (:mod:`coopmetrics.adjust_batch_ols`): RA, AIPW and IPW.

Reference: the per-cell route (``fit_cells(..., fast=False)``: statsmodels ``WLS`` with HC1 for
regression adjustment, ``lstsq`` outcome models for AIPW), itself tested against statsmodels in
``test_adjust.py``. Every number must agree to 1e-8 and every flag, dropped-column note and
balance row exactly, on random panels with numeric and text covariates, skewed salaries, missing
covariates, tiny and saturated cells, constant columns, empty arms and weights; cells whose models
are not certain (rank-deficient arms) must be left to the per-cell route.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from coopmetrics import adjust, adjust_batch, adjust_batch_ols
from coopmetrics.adjust import expand_cells, fit_cells
from coopmetrics.adjust_segments import Chunk
from coopmetrics.compare import BALANCE_COLUMNS, COMPARE_COLUMNS
from coopmetrics.fits import covariates
from test_adjust_batch import _assert_same as _same_rows  # one home for the row comparison

Z = float(stats.norm.isf(0.025))


def _panel(seed: int, n_groups: int, weighted: bool) -> pd.DataFrame:
    """Groups with 0–3 cohort levels of 0–60 units and 0–120 reference units; an integer score, a
    decimal age, a 0/1 number, two text covariates whose levels may be absent from an arm or a cell,
    columns constant within some groups (integer and non-integer), skewed (log-normal) salaries and
    missing covariates."""
    rng = np.random.default_rng(seed)
    parts = []
    for gi in range(n_groups):
        sizes = {"regular": int(rng.choice([0, 1, 3, 12, 50, 120]))}
        for lv in rng.choice(["order_class", "named_class", "apprenticeship"], rng.integers(0, 4), replace=False):
            sizes[str(lv)] = int(rng.choice([0, 1, 2, 3, 5, 8, 20, 60]))
        const_score = rng.random() < 0.15
        const_age = rng.random() < 0.15
        for prog, n in sizes.items():
            t = prog != "regular"
            score = np.full(n, 400.0) if const_score else np.round(rng.normal(400 + 15 * t, 40, n))
            age = np.full(n, 21.3) if const_age else np.round(rng.normal(21, 1, n), 1)
            major = rng.choice(["A", "B", "C", "D"] if t else ["A", "B", "C", "E", "F"], n)
            gender = rng.choice(["f", "m"], n, p=[0.5, 0.5] if rng.random() < 0.8 else [1.0, 0.0])
            flag01 = (rng.random(n) < 0.3).astype(float)
            salary = np.exp(8.2 + 0.002 * (score - 400) + 0.1 * t + 0.05 * (gender == "m") + rng.normal(0, 0.4, n))
            parts.append(pd.DataFrame({"g": f"g{gi}", "program": prog, "entry_score": score, "age": age,
                                       "major": major, "gender": gender, "flag01": flag01, "value": salary,
                                       "weight": rng.uniform(0.5, 2, n) if weighted else 1.0}))
    parts.append(pd.DataFrame({"g": "z", "program": "regular", "entry_score": [390.0, 400, 410], "age": 21.0,
                               "major": "A", "gender": "f", "flag01": 0.0, "value": [3000.0, 3500, 4000],
                               "weight": 1.0}))
    v = pd.concat(parts, ignore_index=True)
    v.loc[rng.random(len(v)) < 0.02, "major"] = None
    v.loc[rng.random(len(v)) < 0.01, "entry_score"] = np.nan
    return v.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def _both(v: pd.DataFrame, adj: list[str], method: str, estimand: str
          ) -> tuple[tuple[pd.DataFrame, pd.DataFrame], tuple[pd.DataFrame, pd.DataFrame], dict[str, list[int]]]:
    """The mean comparison by the fast path and by the per-cell route; which cells the fast path
    answered (degenerate ones included) and which it left to the per-cell route."""
    frame, pairs, _notes, cells = expand_cells(v, "program", "regular", ["g"], adj)
    seen: dict[str, list[int]] = {"fast": [], "slow": []}
    real = adjust_batch.cells_fast

    def spy(*a, **k):
        got = real(*a, **k)
        seen["fast"].extend(got.rows["cell"].tolist())
        seen["slow"].extend(got.slow.tolist())
        return got

    args = (frame, cells, pairs, "mean", adj, method, estimand, Z, COMPARE_COLUMNS, BALANCE_COLUMNS)
    with mock.patch.object(adjust_batch, "cells_fast", spy), mock.patch.object(adjust, "_FAST_ROWS", 10**9):
        new = fit_cells(*args)
    old = fit_cells(*args, fast=False)
    return new, old, seen


def _assert_same(new: tuple[pd.DataFrame, pd.DataFrame], old: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    # salaries are in yuan: differences near 0 get an absolute tolerance of 1e-9
    _same_rows(new, old, atol=1e-9)


_ADJ = [["entry_score", "major", "gender"], ["major", "flag01", "gender"], ["entry_score"], ["age", "major"],
        ["gender", "entry_score", "age", "major"]]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 100_000), n_groups=st.integers(1, 8), weighted=st.booleans(),
       method=st.sampled_from(["auto", "ra", "aipw", "ipw"]), estimand=st.sampled_from(["att", "ate"]),
       adj=st.sampled_from(_ADJ), chunk=st.sampled_from([1, 300, 10**9]))
def test_mean_fast_path_equals_the_per_cell_route(seed, n_groups, weighted, method, estimand, adj, chunk):
    v = _panel(seed, n_groups, weighted)
    frame, pairs, _notes, cells = expand_cells(v, "program", "regular", ["g"], adj)
    args = (frame, cells, pairs, "mean", adj, method, estimand, Z, COMPARE_COLUMNS, BALANCE_COLUMNS)
    with mock.patch.object(adjust, "_FAST_ROWS", chunk):
        new = fit_cells(*args)
    _assert_same(new, fit_cells(*args, fast=False))


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("estimand", ["att", "ate"])
@pytest.mark.parametrize("method", ["auto", "aipw", "ipw"])
def test_mean_fast_path_answers_a_benign_panel(method, estimand, weighted):
    """Large cells: (nearly) every cell is answered by the vectorised path, with the per-cell numbers."""
    rng = np.random.default_rng(5)
    n = 8000
    prog = rng.choice(["regular", "order_class", "named_class"], n, p=[0.7, 0.2, 0.1])
    t = prog != "regular"
    score = np.round(rng.normal(400, 40, n))
    v = pd.DataFrame({"g": rng.choice(list("abcdef"), n), "program": prog, "entry_score": score,
                      "major": rng.choice(list("ABCDEFG"), n), "gender": rng.choice(["f", "m"], n),
                      "value": np.exp(8 + 0.003 * (score - 400) + 0.1 * t + rng.normal(0, 0.5, n)),
                      "weight": rng.uniform(0.5, 2, n) if weighted else 1.0})
    new, old, seen = _both(v, ["entry_score", "major", "gender"], method, estimand)
    _assert_same(new, old)
    assert new[0]["difference"].notna().all()
    assert len(seen["slow"]) == 0 and len(seen["fast"]) == 12
    # Hedges' g and the standardised difference of a mean outcome (not Cohen's h)
    assert (new[0]["effect_size_type"] == "standardised_difference").all()
    assert new[0]["odds_ratio"].isna().all()


def _cohort_cell(n1: int, n0: int, seed: int = 0, dup: bool = False, collinear: str = "",
                 ref_missing: bool = False) -> pd.DataFrame:
    """One group: ``n1`` cohort and ``n0`` reference units with a score and a major.

    ``dup``: the cohort units repeat two rows (the cohort design has rank 2 < its rows);
    ``collinear``: a second score that is an exact linear function of the first within that arm
    (``"order_class"`` or ``"regular"``) only; ``ref_missing``: the cohort arm lacks the cell's reference major (its dummies then sum to the
    intercept)."""
    rng = np.random.default_rng(seed)
    s1, s0 = np.round(rng.normal(410, 40, n1)), np.round(rng.normal(400, 40, n0))
    if dup:
        s1 = np.resize(s1[:2], n1)
    m1 = rng.choice(["B", "C", "D"] if ref_missing else ["A", "B", "C"], n1)
    m0 = rng.choice(["A", "B", "C", "D"], n0)
    if dup:
        m1 = np.resize(m1[:2], n1)
    v = pd.DataFrame({"g": "g", "program": ["order_class"] * n1 + ["regular"] * n0,
                      "entry_score": np.r_[s1, s0], "major": np.r_[m1, m0],
                      "value": np.exp(8 + rng.normal(0, 0.4, n1 + n0)), "weight": 1.0})
    v["score2"] = np.where(v["program"] == collinear, 2 * v["entry_score"] + 1, np.round(rng.normal(800, 80, n1 + n0)))
    return v


@pytest.mark.parametrize(("n1", "n0", "kw", "estimand", "fast"), [
    (3, 60, {}, "att", True),                      # saturated cohort arm: exact fit, no SE
    (4, 80, {"dup": True}, "att", True),           # rank 2 < rows: pinv's fit, df = n - rank
    (15, 80, {"ref_missing": True}, "att", True),  # dummies sum to the intercept in the cohort arm
    (15, 80, {"ref_missing": True}, "ate", False),  # ... predicted for reference units: pinv's choice
    (3, 60, {}, "ate", False),                     # saturated arm predicting the other arm
])
def test_small_and_rank_deficient_cohort_arms(n1, n0, kw, estimand, fast):
    """RA of a mean, ATT: a small cohort arm that is saturated or rank-deficient is its own target
    population, so its fitted values and HC1 variance are those of statsmodels' pseudo-inverse in any
    basis (answered here, certified by singular values); under ATE its predictions of the reference
    units depend on the pseudo-inverse: left to the per-cell route."""
    v = _cohort_cell(n1, n0, **kw)
    new, old, seen = _both(v, ["entry_score", "major"], "ra", estimand)
    _assert_same(new, old)
    assert (seen["fast"] == [0]) == fast and (seen["slow"] == [0]) == (not fast)
    row = new[0].iloc[0]
    assert np.isfinite(row["difference"])
    if n1 == 3 and fast:  # saturated: the per-cell route's flag and no standard error
        assert "no more units than model parameters" in row["flags"] and np.isnan(row["ci_low"])


@pytest.mark.parametrize("arm", ["order_class", "regular"])
@pytest.mark.parametrize("estimand", ["att", "ate"])
@pytest.mark.parametrize("method", ["ra", "aipw"])
def test_rank_deficient_arm_is_not_answered_silently(method, estimand, arm):
    """An arm whose two scores are exactly collinear (the cell's design is of full rank): the per-cell
    route fits it by a pseudo-inverse (RA) or drops a column by its QR (AIPW). The fast path may
    answer such a cell only where that is certain: RA, ATT, a small cohort arm (by singular values),
    or AIPW, ATT, where the cohort arm has no outcome model; otherwise it must leave the cell to the
    per-cell route."""
    for n1, small in ((250, False), (30, True)):  # over 200 cohort units: no singular-value route
        v = _cohort_cell(n1, 300, collinear=arm)
        new, old, seen = _both(v, ["entry_score", "score2", "major"], method, estimand)
        _assert_same(new, old)
        certain = arm == "order_class" and estimand == "att" and (method == "aipw" or small)
        assert seen["fast"] == ([0] if certain else []) and seen["slow"] == ([] if certain else [0])


def test_non_integer_constant_column_in_an_arm_goes_to_the_per_cell_route():
    """RA drops columns whose standard deviation over the arm is exactly 0: for a non-integer constant
    (21.3) rounding decides, so the cell is left to the per-cell route; an integer constant is dropped."""
    rng = np.random.default_rng(2)
    n1, n0 = 40, 90
    base = pd.DataFrame({"g": "g", "program": ["order_class"] * n1 + ["regular"] * n0,
                         "entry_score": np.round(rng.normal(400, 40, n1 + n0)),
                         "value": np.exp(8 + rng.normal(0, 0.4, n1 + n0)), "weight": 1.0})
    for const, fast in ((21.3, False), (21.0, True)):
        v = base.assign(age=np.r_[np.full(n1, const), np.round(rng.normal(21, 1, n0), 1)])
        new, old, seen = _both(v, ["entry_score", "age"], "ra", "att")
        _assert_same(new, old)
        assert (seen["fast"] == [0]) == fast


@pytest.mark.parametrize("estimand", ["att", "ate"])
def test_one_arm_empty_and_single_value_cells(estimand):
    """Degenerate cells (no reference units, one cohort unit, a single salary) get the per-cell
    route's NaN rows and flags from the fast path."""
    v = pd.concat([_cohort_cell(20, 0, seed=1).assign(g="a"), _cohort_cell(1, 30, seed=2).assign(g="b"),
                   _cohort_cell(10, 30, seed=3).assign(g="c", value=4000.0), _cohort_cell(25, 70, seed=4).assign(g="d")],
                  ignore_index=True)
    new, old, seen = _both(v, ["entry_score", "major"], "ra", estimand)
    _assert_same(new, old)
    assert sorted(seen["fast"]) == [0, 1, 2, 3]
    assert new[0]["difference"].notna().tolist() == [False, False, False, True]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(8, 60), weighted=st.booleans())
def test_wls_and_ra_means_against_statsmodels(seed, n, weighted):
    """One cell by hand: :func:`wls` equals statsmodels' WLS fitted values, and :func:`ra_means` (ATE)
    equals Lin's estimator with HC1 variances computed from statsmodels directly."""
    rng = np.random.default_rng(seed)
    t = np.r_[np.ones(n // 2), np.zeros(n - n // 2)]
    x = np.round(rng.normal(400, 40, n))
    y = np.exp(8 + 0.002 * (x - 400) + 0.2 * t + rng.normal(0, 0.5, n))
    w = rng.uniform(0.5, 2, n) if weighted else np.ones(n)
    cov = covariates(pd.DataFrame({"x": x}), ["x"])
    lay = adjust_batch.layout(cov)
    ch = Chunk.build(np.zeros(n, dtype=int), 1, x[:, None], [], lay)
    shift = np.array([[x.mean()]])
    chs = ch.shifted(shift)
    act = np.ones((1, 2), dtype=bool)
    mu1, mu0, vc, sat, ok = adjust_batch_ols.ra_means(ch, chs, shift, t, y, w, act, np.zeros((1, 0), bool), "ate")
    xf = np.column_stack([np.ones(n), x])
    wp = w / w.sum()
    preds, var = [], []
    for arm in (1, 0):
        m = t == arm
        res = sm.WLS(y[m], xf[m], weights=w[m]).fit(cov_type="HC1")
        fit = adjust_batch_ols.wls(chs, shift, y, w, m, act)
        np.testing.assert_allclose(fit.pred[m], res.fittedvalues, rtol=1e-9)
        preds.append(xf @ res.params)
        xbar = wp @ xf
        var.append(xbar @ res.cov_params() @ xbar)
    assert ok[0] and not sat[0]
    ref = np.cov(np.vstack(preds), aweights=wp) * np.sum(wp**2) + np.diag(var)
    np.testing.assert_allclose([mu1[0], mu0[0]], [wp @ preds[0], wp @ preds[1]], rtol=1e-10)
    np.testing.assert_allclose(vc[0], ref, rtol=1e-8)
