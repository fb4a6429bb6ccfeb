"""Adjusted comparisons at scale (issue 16 item 1): cell layout, chunks, fast design checks.

The adjusted path lays cells out as row positions (:func:`coopmetrics.adjust.expand_cells`:
reference rows stored once per group), fits them in chunks of bounded size with the logistic
fits of a chunk batched, and skips the pivoted QR of :func:`coopmetrics.fits.reduce_design`
when the cross-products prove full rank. The reference for all of it is the former route
written out here: the long table of ``compare._expand_pairs`` (reference rows repeated per
cohort level), one :func:`coopmetrics.adjust.fit_cell` per cell, each logistic problem fitted
alone (:func:`coopmetrics.fits.logit_fit`). Every number must agree to 1e-8 and every flag
exactly, on random layouts with degenerate cells (hypothesis).
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.linalg import qr

from coopmetrics import adjust, adjust_segments, fits
from coopmetrics.adjust import Cell, covariates, expand_cells, fit_cell
from coopmetrics.compare import COMPARE_COLUMNS, _expand_pairs, compare_values

Z = float(stats.norm.isf(0.025))
_STATS = ["n_cohort", "n_reference", "estimate_cohort", "estimate_reference", "difference", "ci_low", "ci_high",
          "ratio", "ratio_ci_low", "ratio_ci_high", "statistic", "p_value", "effect_size", "odds_ratio",
          "odds_ratio_ci_low", "odds_ratio_ci_high", "hedges_g"]


def _reference(values: pd.DataFrame, kind: str, by: list[str], adjust_cols: list[str], method: str,
               estimand: str, cluster: str | None = None) -> pd.DataFrame:
    """The former route: long table with repeated reference rows, one unbatched fit per cell."""
    long, pairs, _ = _expand_pairs(values, kind, "program", "regular", by, adjust_cols, cluster)
    long = long.sort_values("pair_id", kind="stable")
    cov = covariates(long, adjust_cols)
    pid = long["pair_id"].to_numpy()
    t, y, w = (long[c].to_numpy(dtype=float) for c in ("arm", "value", "weight"))
    g = long["_cluster"].to_numpy() if "_cluster" in long.columns else None
    rows = []
    with np.errstate(all="ignore"):
        for p in range(len(pairs)):  # one cell at a time: this is the slow reference
            idx = np.flatnonzero(pid == p)
            ok = idx[cov.ok[idx]]
            x, names = cov.cell(ok)
            cell = Cell(t=t[ok], y=y[ok], w=w[ok], groups=None if g is None else g[ok], x=x, names=names,
                        n_missing=len(idx) - len(ok))
            rows.append(fit_cell(cell, kind, method, estimand, Z)[0])
    return pd.DataFrame(rows)


def _layout(seed: int, n_groups: int, binary: bool, weighted: bool) -> pd.DataFrame:
    """Random groups with 0-3 cohort levels of 0-30 units, 0-60 reference units, a numeric and a
    text covariate (levels that only one arm has, missing values) and cells that separate."""
    rng = np.random.default_rng(seed)
    parts = []
    for gi in range(n_groups):
        sizes = {"regular": int(rng.choice([0, 1, 2, 5, 40, 60]))}
        for lv in rng.choice(["order_class", "named_class", "apprenticeship"], rng.integers(0, 4), replace=False):
            sizes[str(lv)] = int(rng.choice([0, 1, 2, 4, 15, 30]))
        for prog, n in sizes.items():
            t = prog != "regular"
            score = np.round(rng.normal(400 + 20 * t, 50, n))
            major = rng.choice(["A", "B", "C", "D"] if t else ["A", "B", "C", "E"], n)
            eta = -0.5 + 0.6 * t + 0.01 * (score - 400)
            if rng.random() < 0.2:  # a separating level: every unit of major B has the same outcome
                eta = np.where(major == "B", 30.0, eta)
            y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float) if binary else 3000 + 5 * (score - 400) \
                + 300 * t + rng.normal(0, 200, n)
            parts.append(pd.DataFrame({"g": f"g{gi}", "program": prog, "entry_score": score, "major": major,
                                       "value": y, "weight": rng.uniform(0.5, 2, n) if weighted else 1.0}))
    v = pd.concat(parts, ignore_index=True)
    v.loc[rng.random(len(v)) < 0.03, "entry_score"] = np.nan  # missing covariates: counted in flags
    return v.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # rows interleaved across groups


def _assert_same(new: pd.DataFrame, ref: pd.DataFrame) -> None:
    assert len(new) == len(ref)
    if not len(ref):  # no cohort units at all: no comparison rows either way
        return
    for c in _STATS:
        a, b = new[c].to_numpy(dtype=float), (ref[c] if c in ref else pd.Series(np.nan, ref.index)).to_numpy(float)
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10, err_msg=c)
    assert (new["dropped_covariates"].to_numpy() == ref["dropped_covariates"].fillna("").to_numpy()).all()
    # the comparison adds call-level flags (small n, missing rows) in front of / after the cell's own
    assert all(r in n for n, r in zip(new["flags"], ref["flags"], strict=True))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_groups=st.integers(1, 6), binary=st.booleans(), weighted=st.booleans(),
       method=st.sampled_from(["auto", "aipw", "ra", "ipw"]), estimand=st.sampled_from(["att", "ate"]),
       chunk=st.sampled_from([1, 60, 50_000]))
def test_cells_in_chunks_equal_the_former_cell_by_cell_route(seed, n_groups, binary, weighted, method, estimand,
                                                              chunk):
    v = _layout(seed, n_groups, binary, weighted)
    # a group of reference units only (no comparison row), so the reference level always exists
    v = pd.concat([v, pd.DataFrame({"g": "z", "program": "regular", "entry_score": [390.0, 400, 410],
                                    "major": "A", "value": [0.0, 1, 1], "weight": 1.0})], ignore_index=True)
    if method == "ipw" and not binary:
        method = "aipw"
    kind = "proportion" if binary else "mean"
    kw = dict(by=["g"], adjust=["entry_score", "major"], method=method, estimand=estimand)
    with mock.patch.object(adjust, "_CHUNK_ROWS", chunk):  # chunks of 1 row: every cell alone
        new = compare_values(v, kind, **kw).table
    ref = _reference(v, kind, ["g"], ["entry_score", "major"], method, estimand)
    assert list(new.columns) == ["indicator", "g", *COMPARE_COLUMNS]
    _assert_same(new, ref)


@pytest.mark.parametrize("by", [[], ["g"], ["g", "h"], ["u1", "u2", "g", "u3"]])
def test_expand_cells_gives_the_rows_of_the_long_table(by):
    # u1-u3: 300^3 combinations of by values, more than a table of group codes holds (pd.factorize)
    rng = np.random.default_rng(3)
    n = 400
    v = pd.DataFrame({"g": rng.choice(["a", "b", "c", None], n), "h": rng.integers(0, 3, n).astype(float),
                      "program": rng.choice(["regular", "order_class", "named_class", None], n, p=[.6, .2, .15, .05]),
                      "value": np.where(rng.random(n) < 0.05, np.nan, rng.random(n)), "x": rng.normal(size=n),
                      **{f"u{i}": rng.integers(0, 300, n) for i in (1, 2, 3)}})
    frame, pairs, notes, cells = expand_cells(v, "program", "regular", by, ["x"])
    long, pairs_l, notes_l = _expand_pairs(v, "mean", "program", "regular", by, ["x"])
    pd.testing.assert_frame_equal(pairs.reset_index(drop=True), pairs_l.reset_index(drop=True))
    assert notes == notes_l
    long = long.sort_values("pair_id", kind="stable")
    for p in range(len(pairs)):  # the same units, arms and order in every cell
        lp = long[long["pair_id"] == p]
        fp = frame.iloc[cells.rows(p)]
        np.testing.assert_array_equal(fp["value"].to_numpy(), lp["value"].to_numpy())
        np.testing.assert_array_equal(fp["arm"].to_numpy(), lp["arm"].to_numpy())
        np.testing.assert_array_equal(fp["x"].to_numpy(), lp["x"].to_numpy())
    assert cells.sizes().sum() == len(long)


def _design(rng: np.random.Generator, n: int, k: int, collinear: str) -> tuple[np.ndarray, np.ndarray]:
    x = rng.normal(size=(n, k)) * rng.choice([1e-3, 1, 50, 1e4], k) + rng.choice([0, 400], k)
    t = (rng.random(n) < 0.3).astype(float)
    if collinear == "sum" and k >= 3:
        x[:, 2] = x[:, 0] - 2 * x[:, 1]
    elif collinear == "cohort" and k >= 1:
        x[:, 0] = 5 + 3 * t
    elif collinear == "near" and k >= 2:
        x[:, 1] = x[:, 0] + 1e-7 * rng.normal(size=n) * x[:, 0].std()
    elif collinear == "dummies" and k >= 3:  # level dummies that sum to one with the intercept
        lv = rng.integers(0, 3, n)
        x[:, :3] = (lv[:, None] == np.arange(3)).astype(float)
    return x, t


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 100_000), n=st.integers(3, 60), k=st.integers(1, 6),
       collinear=st.sampled_from(["none", "sum", "cohort", "near", "dummies"]))
def test_fast_full_rank_check_only_answers_when_the_qr_keeps_every_column(seed, n, k, collinear):
    x, t = _design(np.random.default_rng(seed), n, k, collinear)
    x = x[:, x.std(axis=0) > 1e-9 * (1 + np.abs(x).max(axis=0))]  # reduce_design drops constants first
    if not x.shape[1]:
        return
    intact = x.shape[1] == k  # the planted dependence survived (no column of it was constant)
    if fits._clearly_full_rank(x, t):
        # the QR of reduce_design, written out: projected, standardised design, pivots > 1e-9 of the first
        z = (x - x.mean(axis=0)) / x.std(axis=0)
        tc = t - t.mean()
        if tc @ tc > 0:
            z = z - np.outer(tc, tc @ z / (tc @ tc))
        assert (np.sqrt((z**2).mean(axis=0)) >= np.sqrt(1e-9)).all()
        d = np.abs(np.diag(qr(z, mode="economic", pivoting=True)[1]))
        assert (d > 1e-9 * d[0]).all()
    if collinear in ("sum", "cohort", "dummies") and k >= 3 and intact:
        assert not fits._clearly_full_rank(x, t)  # an exact dependence is never waved through


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 100_000), n=st.integers(1, 50), level=st.sampled_from([0.0, 0.1, 400.0, -3e5, 1e-300]),
       spread=st.sampled_from([0.0, 1e-20, 1e-14, 1e-11, 1e-6, 1.0]))
def test_constant_columns_as_the_standard_deviation_rule(seed, n, level, spread):
    rng = np.random.default_rng(seed)
    x = level + spread * rng.normal(size=(n, 3)) * np.array([0.0, 1.0, 1e3])
    expected = ~(x.std(axis=0) > 1e-12 * (1 + np.abs(x).max(axis=0)))
    np.testing.assert_array_equal(fits._constant(x), expected)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("method", ["aipw", "ra"])
def test_clustered_cells_equal_the_former_route(seed, method):
    """Answers clustered within respondents (cluster-robust SEs, n counts respondents)."""
    rng = np.random.default_rng(seed)
    n = 600
    prog = rng.choice(["regular", "order_class", "named_class"], n, p=[0.6, 0.25, 0.15])
    score = np.round(rng.normal(400, 50, n))
    t = prog != "regular"
    y = (rng.random(n) < 1 / (1 + np.exp(-(-0.3 + 0.5 * t + 0.01 * (score - 400))))).astype(float)
    v = pd.DataFrame({"g": rng.choice(["a", "b", "c"], n), "program": prog, "entry_score": score,
                      "major": rng.choice(["A", "B", "C"], n), "value": y})
    # about two answers per respondent; a respondent stays in one group and arm
    v["rid"] = v["g"] + "-" + v["program"] + "-" + (np.arange(n) // 2).astype(str)
    with mock.patch.object(adjust, "_CHUNK_ROWS", 50):
        new = compare_values(v, "proportion", by=["g"], adjust=["entry_score", "major"], method=method,
                             cluster="rid").table
    ref = _reference(v, "proportion", ["g"], ["entry_score", "major"], method, "att", cluster="rid")
    assert new["difference"].notna().any()
    _assert_same(new, ref)


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 100_000), n=st.integers(0, 300), nkeys=st.sampled_from([1, 7, 1 << 16, (1 << 16) + 1,
                                                                                    1 << 32, (1 << 32) + 5]))
def test_stable_order_is_numpys_stable_argsort(seed, n, nkeys):
    """The radix order of integer keys (one or two 16-bit passes, or numpy's merge sort beyond
    2³²) is exactly ``np.argsort(kind="stable")``: equal keys keep their order."""
    rng = np.random.default_rng(seed)
    key = rng.integers(0, nkeys, n) if seed % 2 else rng.integers(0, min(nkeys, 5), n) * (nkeys // 5 or 1)
    key = np.minimum(key, nkeys - 1)
    np.testing.assert_array_equal(adjust.stable_order(key, nkeys), np.argsort(key, kind="stable"))


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 100_000), n=st.integers(0, 200), levels=st.lists(st.integers(1, 400), max_size=4))
def test_group_codes_number_the_by_combinations(seed, n, levels):
    """Codes 0 … G−1, one per combination of by values present (a missing value is a level of its
    own): the same partition as pandas' ``groupby(dropna=False).ngroup()``, with few and with more
    combinations than a table of codes holds."""
    rng = np.random.default_rng(seed)
    v = pd.DataFrame({f"b{i}": np.where(rng.random(n) < 0.1, None, rng.integers(0, nl, n).astype(str))
                      for i, nl in enumerate(levels)}, index=range(n))
    by = list(v.columns)
    code = adjust_segments.group_codes(v, by)
    ref = v.groupby(by, dropna=False, sort=False).ngroup().to_numpy() if by else np.zeros(n, dtype=int)
    assert len(code) == n
    groups = len(np.unique(ref))
    assert len(np.unique(code)) == groups and code.max(initial=-1) == groups - 1
    assert len(np.unique(np.c_[code, ref], axis=0)) == groups  # one code per combination and back
