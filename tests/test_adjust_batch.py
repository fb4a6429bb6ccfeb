"""The vectorised fast path of adjusted comparisons (issue 16 item 1, :mod:`coopmetrics.adjust_batch`).

Reference: the per-cell route (``fit_cells(..., fast=False)``: one generator per cell, its
logits batched), itself tested against one unbatched fit per cell and statsmodels elsewhere.
The fast path must give every number to 1e-8, every flag, dropped-column note and balance row
exactly, on random layouts with absent levels, constant columns, separated levels, tiny cells,
weights, ATE/ATT and AIPW/IPW (hypothesis); the segment sums equal explicit design products.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from coopmetrics import adjust, adjust_batch, adjust_newton
from coopmetrics import adjust_segments as segments
from coopmetrics.adjust import expand_cells, fit_cells
from coopmetrics.adjust_segments import Chunk, compact, dot, gather_mat, gram, vec
from coopmetrics.compare import BALANCE_COLUMNS, COMPARE_COLUMNS
from coopmetrics.fits import covariates

Z = float(stats.norm.isf(0.025))
_NUM = ["n_cohort", "n_reference", "estimate_cohort", "estimate_reference", "difference", "ci_low", "ci_high",
        "ratio", "ratio_ci_low", "ratio_ci_high", "statistic", "p_value", "effect_size", "odds_ratio",
        "odds_ratio_ci_low", "odds_ratio_ci_high", "hedges_g"]
_TEXT = ["dropped_covariates", "method", "flags", "effect_size_type"]


def _panel(seed: int, n_groups: int, weighted: bool, binary: bool = True) -> pd.DataFrame:
    """Groups with 0–3 cohort levels of 0–40 units and 0–80 reference units; a score, a 0/1 number,
    two text covariates whose levels may be absent from an arm or a cell, constant columns within
    some groups, levels that separate the outcome or the arms, and missing covariates."""
    rng = np.random.default_rng(seed)
    parts = []
    for gi in range(n_groups):
        sizes = {"regular": int(rng.choice([0, 1, 3, 12, 50, 80]))}
        for lv in rng.choice(["order_class", "named_class", "apprenticeship"], rng.integers(0, 4), replace=False):
            sizes[str(lv)] = int(rng.choice([0, 1, 2, 5, 20, 40]))
        const_score = rng.random() < 0.15
        for prog, n in sizes.items():
            t = prog != "regular"
            score = np.full(n, 400.0) if const_score else np.round(rng.normal(400 + 15 * t, 40, n))
            major = rng.choice(["A", "B", "C", "D"] if t else ["A", "B", "C", "E", "F"], n)
            gender = rng.choice(["f", "m"], n, p=[0.5, 0.5] if rng.random() < 0.8 else [1.0, 0.0])
            flag01 = (rng.random(n) < 0.3).astype(float)
            eta = -0.4 + 0.5 * t + 0.012 * (score - 400) + 0.3 * (gender == "m")
            if rng.random() < 0.25:  # a level whose units all share the outcome
                eta = np.where(major == "C", -30.0, eta)
            y = ((rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float) if binary
                 else 3000 + 4 * (score - 400) + 200 * t + rng.normal(0, 150, n))
            parts.append(pd.DataFrame({"g": f"g{gi}", "program": prog, "entry_score": score, "major": major,
                                       "gender": gender, "flag01": flag01, "value": y,
                                       "weight": rng.uniform(0.5, 2, n) if weighted else 1.0}))
    parts.append(pd.DataFrame({"g": "z", "program": "regular", "entry_score": [390.0, 400, 410], "major": "A",
                               "gender": "f", "flag01": 0.0, "value": [0.0, 1, 1], "weight": 1.0}))
    v = pd.concat(parts, ignore_index=True)
    v.loc[rng.random(len(v)) < 0.02, "major"] = None
    return v.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def _both(v: pd.DataFrame, kind: str, adj: list[str], method: str, estimand: str
          ) -> tuple[tuple[pd.DataFrame, pd.DataFrame], tuple[pd.DataFrame, pd.DataFrame], dict[str, int]]:
    frame, pairs, _notes, cells = expand_cells(v, "program", "regular", ["g"], adj)
    count = {"fast": 0, "slow": 0}
    real = adjust_batch.cells_fast

    def spy(*a, **k):
        got = real(*a, **k)
        count["fast"] += len(got.rows)
        count["slow"] += len(got.slow)
        return got

    args = (frame, cells, pairs, kind, adj, method, estimand, Z, COMPARE_COLUMNS, BALANCE_COLUMNS)
    with mock.patch.object(adjust_batch, "cells_fast", spy):
        new = fit_cells(*args)
    old = fit_cells(*args, fast=False)
    return new, old, count


def _assert_same(new: tuple[pd.DataFrame, pd.DataFrame], old: tuple[pd.DataFrame, pd.DataFrame],
                 atol: float = 1e-11) -> None:
    """The fast path's rows and balance rows equal the per-cell route's (numbers to 1e-8 relative)."""
    (a, ba), (b, bb) = new, old
    assert list(a.columns) == list(b.columns) and len(a) == len(b)
    for c in _NUM:
        if c in b.columns:
            np.testing.assert_allclose(a[c].to_numpy(float), b[c].to_numpy(float), rtol=1e-8, atol=atol, err_msg=c)
    for c in _TEXT:
        if c in b.columns:
            assert [x if isinstance(x, str) else "" for x in a[c]] == [x if isinstance(x, str) else "" for x in b[c]], c
    assert list(ba.columns) == list(bb.columns) and len(ba) == len(bb)
    for c in ba.columns:
        if pd.api.types.is_float_dtype(bb[c]):
            np.testing.assert_allclose(ba[c].to_numpy(float), bb[c].to_numpy(float), rtol=1e-8, atol=1e-11, err_msg=c)
        else:
            assert ba[c].astype(str).tolist() == bb[c].astype(str).tolist(), c


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 100_000), n_groups=st.integers(1, 8), weighted=st.booleans(),
       method=st.sampled_from(["auto", "aipw", "ipw"]), estimand=st.sampled_from(["att", "ate"]),
       adj=st.sampled_from([["entry_score", "major"], ["entry_score", "major", "gender"],
                            ["major", "flag01", "gender"], ["entry_score"], ["gender", "entry_score", "major"]]),
       chunk=st.sampled_from([1, 200, 300_000]), dense=st.sampled_from([0, 2_000, None]))
def test_fast_path_equals_the_per_cell_route(seed, n_groups, weighted, method, estimand, adj, chunk, dense):
    # dense 0: every Newton iteration over the rows (no dense tail); 2,000: both kinds mixed; None: the default
    v = _panel(seed, n_groups, weighted)
    dense = adjust_newton.DENSE_MAX if dense is None else dense
    with mock.patch.object(adjust, "_FAST_ROWS", chunk), mock.patch.object(adjust_newton, "DENSE_MAX", dense):
        new, old, _count = _both(v, "proportion", adj, method, estimand)
    _assert_same(new, old)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 100_000), n_groups=st.integers(1, 8), weighted=st.booleans(),
       method=st.sampled_from(["aipw", "ipw"]), estimand=st.sampled_from(["att", "ate"]),
       adj=st.sampled_from([["entry_score", "major", "gender"], ["major", "flag01", "gender"], ["entry_score"]]),
       dense=st.sampled_from([0, 2_000, 10**12]))
def test_dense_tail_of_the_newton_iterations_equals_the_per_cell_route(seed, n_groups, weighted, method, estimand,
                                                                        adj, dense):
    # DENSE_MAX 0: every iteration from segment sums; 10**12: every one on dense designs; 2,000: mixed
    v = _panel(seed, n_groups, weighted)
    with mock.patch.object(adjust_newton, "DENSE_MAX", dense):
        new, old, _count = _both(v, "proportion", adj, method, estimand)
    _assert_same(new, old)


@pytest.mark.parametrize("estimand", ["att", "ate"])
@pytest.mark.parametrize("method", ["aipw", "ipw"])
def test_fast_path_answers_most_cells_of_a_benign_panel(method, estimand):
    rng = np.random.default_rng(7)
    n = 6000
    prog = rng.choice(["regular", "order_class", "named_class"], n, p=[0.7, 0.2, 0.1])
    t = prog != "regular"
    score = np.round(rng.normal(400, 40, n))
    major = rng.choice(list("ABCDEF"), n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(-0.3 + 0.4 * t + 0.01 * (score - 400))))).astype(float)
    v = pd.DataFrame({"g": rng.choice(list("abcdefgh"), n), "program": prog, "entry_score": score, "major": major,
                      "value": y, "weight": 1.0})
    new, old, count = _both(v, "proportion", ["entry_score", "major"], method, estimand)
    _assert_same(new, old)
    assert new[0]["difference"].notna().all()
    assert count["slow"] <= 0.2 * count["fast"]  # the fast path is used, not only the fallback


def test_other_calls_keep_the_per_cell_route():
    """Regression adjustment of yes/no outcomes (one pooled logit per cell) does not enter the fast
    path (means do: tests/test_adjust_batch_ols.py)."""
    v = _panel(3, 5, False, binary=True)
    new, old, count = _both(v, "proportion", ["entry_score", "major"], "ra", "att")
    assert count == {"fast": 0, "slow": 0}
    _assert_same(new, old)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), nc=st.integers(1, 5), joint=st.booleans())
def test_segment_sums_equal_the_explicit_designs(seed, nc, joint):
    """gram, vec and dot against Xᵀdiag(s)X, Xᵀv and Xβ built from one-hot matrices (with one joint
    key for all text covariates, and with one key per covariate and pair)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(max(nc, 3), 40))
    cid = np.sort(np.r_[np.arange(nc), rng.integers(0, nc, n - nc)])
    f = pd.DataFrame({"s": rng.normal(400, 30, n), "a": np.r_[list("xyz"), rng.choice(list("xyz"), n - 3)],
                      "u": rng.normal(size=n), "b": np.r_[["p", "q"], rng.choice(["p", "q"], n - 2)]})
    cov = covariates(f, ["s", "a", "u", "b"])
    lay = adjust_batch.layout(cov)
    dense = np.column_stack([cov.numeric["s"], cov.numeric["u"]])
    with mock.patch.object(segments, "_COMBO_MAX", 4096 if joint else 0):
        ch = Chunk.build(cid, nc, dense, [cov.codes["a"], cov.codes["b"]], lay)
    assert (ch.combo is not None) == joint
    # the full one-hot design in slot order: 1, s, a=x, a=y, a=z, u, b=p, b=q
    x = np.column_stack([np.ones(n), f["s"], *(f["a"] == lv for lv in "xyz"), f["u"], *(f["b"] == lv for lv in "pq")]
                        ).astype(float)
    assert list(lay.names) == ["", "s", "a=x", "a=y", "a=z", "u", "b=p", "b=q"]
    s, v = rng.random(n), rng.normal(size=n)
    beta = rng.normal(size=(nc, lay.size))
    g, gv, xb = gram(ch, s), vec(ch, v), dot(ch, beta)
    for c in range(nc):
        m = cid == c
        np.testing.assert_allclose(g[c], (x[m] * s[m, None]).T @ x[m], rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(gv[c], x[m].T @ v[m], rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(xb[m], x[m] @ beta[c], rtol=1e-12, atol=1e-9)
    # compaction keeps the active slots in slot order, identity on the padding
    act = rng.random((nc, lay.size)) < 0.5
    act[:, 0] = True
    order, valid = compact(act)
    h = gather_mat(g, order, valid)
    for c in range(nc):
        k = int(act[c].sum())
        np.testing.assert_array_equal(order[c, :k], np.flatnonzero(act[c]))
        np.testing.assert_allclose(h[c, :k, :k], g[c][np.ix_(act[c], act[c])])
        np.testing.assert_allclose(h[c, k:, k:], np.eye(h.shape[1] - k))


def test_reference_outcome_model_is_fitted_once_per_group():
    """ATT/AIPW: the cells of a group (one per cohort level) share the reference arm's outcome logit;
    the numbers stay those of one fit per cell."""
    rng = np.random.default_rng(11)
    n = 5000
    prog = rng.choice(["regular", "order_class", "named_class", "apprenticeship"], n, p=[0.7, 0.1, 0.1, 0.1])
    t = prog != "regular"
    score = np.round(rng.normal(400, 40, n))
    y = (rng.random(n) < 1 / (1 + np.exp(-(-0.3 + 0.4 * t + 0.01 * (score - 400))))).astype(float)
    v = pd.DataFrame({"g": rng.choice(list("abcde"), n), "program": prog, "entry_score": score,
                      "major": rng.choice(list("ABCD"), n), "value": y, "weight": 1.0})
    fits_seen = []
    real = adjust_batch._limit

    def spy(ch, *a, **k):
        got = real(ch, *a, **k)
        fits_seen.append((ch.nc, int(got.ok.sum())))
        return got

    with mock.patch.object(adjust_batch, "_limit", spy):
        new, old, count = _both(v, "proportion", ["entry_score", "major"], "aipw", "att")
    _assert_same(new, old)
    assert count["fast"] == 15 and count["slow"] == 0  # 5 groups x 3 cohort levels
    # propensity of the 15 cells, then one outcome fit per group (5), and no per-cell outcome fit
    assert fits_seen == [(15, 15), (5, 5)]


@settings(max_examples=50, deadline=None)
@given(z=st.lists(st.floats(-40, 40, allow_nan=False), min_size=1, max_size=50))
def test_log1pexp_is_logaddexp(z):
    """The Newton log-likelihoods' log(1 + e^z) from vectorised exp/log1p equals numpy's logaddexp(0, z)
    (the same formula, max(z, 0) + log1p(e^−|z|)) to rounding, across the capped range and beyond."""
    z = np.asarray(z)
    np.testing.assert_allclose(adjust_newton.log1pexp(z), np.logaddexp(0.0, z), rtol=1e-15, atol=1e-300)
    np.testing.assert_array_equal(adjust_newton.log1pexp(np.array([0.0, 745.0, -745.0])),
                                  [np.log(2.0), 745.0, np.log1p(np.exp(-745.0))])
