"""Ordinal (Likert) tests from per-level counts, vectorised over comparison rows.

:func:`brunner_munzel_counts` and :func:`mann_whitney_counts` take ``(rows, levels)``
counts of the reference and the cohort arm and test every row at once; the helpers
build those counts from the long frame of :func:`coopmetrics.compare.compare_values`
(survey weights and respondent clusters included). Formulas: ``docs/comparisons.md`` §1.2–1.3.

Examples
--------
>>> import numpy as np
>>> r = mann_whitney_counts(np.array([[2, 3, 1]]), np.array([[0, 2, 4]]))
>>> float(r["u"][0])
29.0
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["brunner_munzel_counts", "mann_whitney_counts"]


def _cluster_neff(long: pd.DataFrame, n_pairs: int, p1: np.ndarray, p0: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Effective n of a (weighted) share whose rows are clustered.

    Linearisation (ratio-estimator) variance with clusters ``c``:
    ``v = m/(m−1) · Σ_c (Σ_{i∈c} w_i (y_i − p̂))² / (Σ w)²`` over the ``m`` clusters of
    each arm, and ``n_eff = p̂(1 − p̂)/v``, so that the Wilson/Newcombe formulas use
    the clustered precision. One group-by on (pair, arm, cluster).
    """
    p = np.column_stack([p0, p1])  # (pair, arm)
    pid = long["pair_id"].to_numpy()
    arm = long["arm"].to_numpy()
    resid = long["weight"].to_numpy() * (long["value"].to_numpy() - p[pid, arm])
    fr = pd.DataFrame({"pair_id": pid, "arm": arm, "c": long["_cluster"].to_numpy(), "u": resid,
                       "w": long["weight"].to_numpy()})
    tot = fr.groupby(["pair_id", "arm", "c"], sort=False)["u"].sum()
    g = (tot**2).groupby(level=[0, 1]).agg(["sum", "size"])
    sw = fr.groupby(["pair_id", "arm"])["w"].sum()
    idx = pd.MultiIndex.from_product([range(n_pairs), [0, 1]])
    g = g.reindex(idx)
    sw = sw.reindex(idx).to_numpy()
    m = g["size"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        v = m / (m - 1) * g["sum"].to_numpy() / sw**2
        pp = p.ravel()
        neff = np.where(v > 0, pp * (1 - pp) / v, m)
    neff = neff.reshape(n_pairs, 2)
    return neff[:, 1], neff[:, 0]


def _level_counts(long: pd.DataFrame, n_pairs: int, weighted: bool) -> tuple[np.ndarray, np.ndarray]:
    """(pairs × levels) counts of the score for the reference (a) and the cohort (b) arm.

    With survey weights the weighted counts are rescaled so that each arm sums to
    its Kish effective sample size.
    """
    sub = long.loc[long["score"].notna()]
    levels = np.sort(sub["score"].unique())
    key = pd.MultiIndex.from_frame(sub[["pair_id", "arm", "score"]])
    cnt = pd.Series(sub["weight"].to_numpy(), index=key).groupby(level=[0, 1, 2]).sum()
    full = pd.MultiIndex.from_product([range(n_pairs), [0, 1], levels])
    arr = cnt.reindex(full, fill_value=0.0).to_numpy().reshape(n_pairs, 2, len(levels))
    if weighted:
        w2 = pd.Series((sub["weight"] ** 2).to_numpy(), index=key).groupby(level=[0, 1]).sum()
        w2 = w2.reindex(pd.MultiIndex.from_product([range(n_pairs), [0, 1]]), fill_value=np.nan)
        sw = arr.sum(axis=2)
        neff = sw**2 / w2.to_numpy().reshape(n_pairs, 2)
        with np.errstate(invalid="ignore", divide="ignore"):
            arr = arr * (neff / sw)[:, :, None]
    return arr[:, 0, :], arr[:, 1, :]


def brunner_munzel_counts(a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    """Brunner–Munzel test and Cliff's delta from per-level counts (vectorised over rows).

    ``a`` and ``b`` are ``(rows, levels)`` counts of an ordinal score for the
    reference (x) and the cohort (y), levels in increasing order. Midranks give
    ties their average rank. The statistic is positive when the cohort tends to
    score higher; equal to ``scipy.stats.brunnermunzel(x, y)`` on the expanded data.

    Returns
    -------
    dict
        ``statistic, df, p_value, relative_effect`` (P(X<Y) + P(X=Y)/2) and
        ``cliffs_delta`` (P(Y>X) − P(Y<X) = 2·relative_effect − 1).

    Examples
    --------
    >>> import numpy as np
    >>> # reference {1,1,2,2,2,3}, cohort {2,2,3,3,3,3}: 24 wins, 2 losses in 36 pairs
    >>> r = brunner_munzel_counts(np.array([[2, 3, 1]]), np.array([[0, 2, 4]]))
    >>> round(float(r["cliffs_delta"][0]), 4), round(22 / 36, 4)
    (0.6111, 0.6111)
    """
    a = np.atleast_2d(np.asarray(a, dtype=float))
    b = np.atleast_2d(np.asarray(b, dtype=float))
    nx, ny = a.sum(axis=1), b.sum(axis=1)
    c = a + b
    pooled = np.cumsum(c, axis=1) - c + (c + 1) / 2  # pooled midrank of each level
    rx = np.cumsum(a, axis=1) - a + (a + 1) / 2  # midrank within the reference arm
    ry = np.cumsum(b, axis=1) - b + (b + 1) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        rcx = (a * pooled).sum(axis=1) / nx
        rcy = (b * pooled).sum(axis=1) / ny
        dx, dy = pooled - rx, pooled - ry
        mdx = (a * dx).sum(axis=1) / nx
        mdy = (b * dy).sum(axis=1) / ny
        sx = (a * (dx - mdx[:, None]) ** 2).sum(axis=1) / (nx - 1)
        sy = (b * (dy - mdy[:, None]) ** 2).sum(axis=1) / (ny - 1)
        stat = nx * ny * (rcy - rcx) / ((nx + ny) * np.sqrt(nx * sx + ny * sy))
        df = (nx * sx + ny * sy) ** 2 / ((nx * sx) ** 2 / (nx - 1) + (ny * sy) ** 2 / (ny - 1))
        p = 2 * np.minimum(stats.t.cdf(stat, df), stats.t.sf(stat, df))
        rel = (rcy - (ny + 1) / 2) / nx
    return {"statistic": stat, "df": df, "p_value": np.minimum(p, 1.0), "relative_effect": rel,
            "cliffs_delta": 2 * rel - 1}


def mann_whitney_counts(a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    """Mann–Whitney U test (normal approximation, tie and continuity corrected) from level counts.

    Same layout as :func:`brunner_munzel_counts`; the p-value equals
    ``scipy.stats.mannwhitneyu(y, x, method="asymptotic")``. ``statistic`` is the
    signed z (positive when the cohort scores higher), ``u`` the cohort's U.

    Examples
    --------
    >>> import numpy as np
    >>> r = mann_whitney_counts(np.array([[2, 3, 1]]), np.array([[0, 2, 4]]))
    >>> float(r["u"][0])  # 24 wins + 10 ties / 2
    29.0
    """
    a = np.atleast_2d(np.asarray(a, dtype=float))
    b = np.atleast_2d(np.asarray(b, dtype=float))
    nx, ny = a.sum(axis=1), b.sum(axis=1)
    n = nx + ny
    c = a + b
    pooled = np.cumsum(c, axis=1) - c + (c + 1) / 2
    u = (b * pooled).sum(axis=1) - ny * (ny + 1) / 2
    mu = nx * ny / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        tie = (c**3 - c).sum(axis=1) / (n * (n - 1))
        sd = np.sqrt(nx * ny / 12 * ((n + 1) - tie))
        zabs = (np.maximum(u, nx * ny - u) - mu - 0.5) / sd
        p = np.minimum(2 * stats.norm.sf(zabs), 1.0)
        stat = np.sign(u - mu) * zabs
    return {"u": u, "statistic": stat, "p_value": p, "cliffs_delta": 2 * u / (nx * ny) - 1}


def _arm_total(long: pd.DataFrame, n_pairs: int, arm: int) -> np.ndarray:
    sw = long.loc[long["arm"] == arm].groupby("pair_id")["weight"].sum().reindex(range(n_pairs))
    return sw.to_numpy(dtype=float)[:, None]


def _ordinal_tests(long: pd.DataFrame, n_pairs: int, weighted: bool, method: str,
                   scale: np.ndarray | None = None) -> dict[str, Any]:
    a, b = _level_counts(long, n_pairs, weighted and scale is None)
    if scale is not None:  # clustered rows: rescale each arm's counts to its effective n
        a = a / a.sum(axis=1, keepdims=True) * scale[:, [0]] * _arm_total(long, n_pairs, 0)
        b = b / b.sum(axis=1, keepdims=True) * scale[:, [1]] * _arm_total(long, n_pairs, 1)
    if method == "mann-whitney":
        r = mann_whitney_counts(a, b)
        return {**r, "test": "mann-whitney"}
    r = brunner_munzel_counts(a, b)
    return {**r, "test": "brunner-munzel"}
