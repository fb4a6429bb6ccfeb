"""Two-sample interval math on arrays of group totals (vectorised).

Every function takes array-likes of *group totals* (counts, sizes, means,
variances) that broadcast against each other, and computes all groups at once
with numpy: no Python loop over groups. Fisher's exact test, which scipy only
offers one table at a time, is vectorised here too (:func:`fisher_two_sided`).

Return type: each function returns a plain ``dict`` of numpy arrays with the
broadcast shape of its inputs (0-d arrays for scalar inputs), so that
``pandas.DataFrame(result)`` gives one row per group and ``float(result["x"])``
gives a number for a single comparison. Invalid groups (``n <= 0``, counts
outside ``[0, n]``) give ``NaN`` rather than an error, so one bad group does
not block a whole table.

Functions
---------
newcombe_diff       p1 - p2 with Newcombe's hybrid score interval (method 10).
ratio_ci            p1 / p2 with the log (Katz) interval, plain or adjusted.
cohens_h            Cohen's h effect size for two proportions.
odds_ratio_ci       odds ratio with Woolf's logit interval (zero cells + 1/2).
hedges_correction   small-sample factor J turning Cohen's d into Hedges' g.
two_proportion_test pooled z / chi-square test (no continuity correction),
                    Fisher's exact test where counts are small.
fisher_two_sided    two-sided Fisher exact test of many 2×2 tables at once.
welch_diff          difference of means with Welch's t interval and test.
normal_diff         difference of two independent estimates from their SEs.
bh_qvalues          Benjamini-Hochberg adjusted p-values (q-values), NaN-aware.

References
----------
Newcombe RG (1998). Interval estimation for the difference between independent
proportions: comparison of eleven methods. Statistics in Medicine 17:873-890.
Katz D, Baptista J, Azen SP, Pike MC (1978). Obtaining confidence intervals for
the risk ratio in cohort studies. Biometrics 34:469-474.
Cohen J (1988). Statistical Power Analysis for the Behavioral Sciences, 2nd ed.
Welch BL (1947). The generalization of "Student's" problem when several
different population variances are involved. Biometrika 34:28-35.
Benjamini Y, Hochberg Y (1995). Controlling the false discovery rate. JRSS B
57:289-300.

Examples
--------
>>> from coopmetrics.contrasts import newcombe_diff
>>> r = newcombe_diff([56, 9], [70, 10], [48, 3], [80, 10])
>>> r["diff"].round(4).tolist(), r["ci_low"].round(4).tolist(), r["ci_high"].round(4).tolist()
([0.2, 0.6], [0.0524, 0.1705], [0.3339, 0.809])
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import special, stats

from .errors import InvalidOptionError, check_option
from .estimators import proportion_interval

__all__ = [
    "wilson_interval",
    "newcombe_diff",
    "ratio_ci",
    "cohens_h",
    "odds_ratio_ci",
    "hedges_correction",
    "two_proportion_test",
    "fisher_two_sided",
    "welch_diff",
    "normal_diff",
    "bh_qvalues",
]


def _z(level: float, func: str) -> float:
    if not (isinstance(level, int | float) and 0 < level < 1):
        raise InvalidOptionError(
            f"{func}() 的 level 必须在 0 和 1 之间（例如 0.95），收到 {level!r}",
            f"The 'level' of {func}() must be between 0 and 1 (e.g. 0.95). Got {level!r} instead.",
        )
    return float(stats.norm.isf((1 - level) / 2))


def _counts(x: ArrayLike, n: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Float arrays with invalid (count, size) pairs set to NaN."""
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    bad = ~((n > 0) & (x >= 0) & (x <= n))
    if np.any(bad):
        x, n = np.where(bad, np.nan, x), np.where(bad, np.nan, n)
    return x, n


def wilson_interval(x: ArrayLike, n: ArrayLike, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion (vectorised).

    ``(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)`` with ``p = x/n``
    (Wilson 1927). Used here as the building block of Newcombe's interval; the
    computation is :func:`coopmetrics.estimators.proportion_interval`.

    Examples
    --------
    >>> lo, hi = wilson_interval(56, 70)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.6918, 0.877)
    """
    _z(level, "wilson_interval")  # validates level with this function's name
    x, n = _counts(x, n)
    # one implementation of the formula: the one-sample estimators' (NaN for invalid pairs)
    lo, hi = proportion_interval(x, n, level, "wilson")
    return np.where(np.isnan(x), np.nan, lo), np.where(np.isnan(x), np.nan, hi)


def newcombe_diff(
    x1: ArrayLike, n1: ArrayLike, x2: ArrayLike, n2: ArrayLike, level: float = 0.95
) -> dict[str, np.ndarray]:
    """Difference of two proportions ``p1 - p2`` with Newcombe's hybrid score interval.

    Method 10 of Newcombe (1998): with Wilson intervals ``(l1, u1)`` for
    ``p1 = x1/n1`` and ``(l2, u2)`` for ``p2 = x2/n2``,

    ``lower = d - sqrt((p1 - l1)² + (u2 - p2)²)``,
    ``upper = d + sqrt((u1 - p1)² + (p2 - l2)²)``, ``d = p1 - p2``.

    It keeps good coverage for small n and proportions near 0 or 1, never leaves
    ``[-1, 1]`` and is the default of ``statsmodels`` ``confint_proportions_2indep``
    (``method="newcomb"``), which it matches.

    Parameters
    ----------
    x1, n1, x2, n2 : array_like
        Successes and group sizes of the two groups (broadcast together).
    level : float
        Confidence level.

    Returns
    -------
    dict
        ``p1, p2, diff, ci_low, ci_high`` (arrays; NaN where a group is invalid).

    Examples
    --------
    >>> r = newcombe_diff(56, 70, 48, 80)
    >>> round(float(r["diff"]), 4), round(float(r["ci_low"]), 4), round(float(r["ci_high"]), 4)
    (0.2, 0.0524, 0.3339)
    """
    x1, n1 = _counts(x1, n1)
    x2, n2 = _counts(x2, n2)
    l1, u1 = wilson_interval(x1, n1, level)
    l2, u2 = wilson_interval(x2, n2, level)
    p1, p2 = x1 / n1, x2 / n2
    d = p1 - p2
    # clip: round-off can give -1.0000000000000002 when p1 = 0 and p2 = 1
    low = np.clip(d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), -1, 1)
    upp = np.clip(d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2), -1, 1)
    return {"p1": p1, "p2": p2, "diff": d, "ci_low": low, "ci_high": upp}


def ratio_ci(
    x1: ArrayLike,
    n1: ArrayLike,
    x2: ArrayLike,
    n2: ArrayLike,
    level: float = 0.95,
    method: str = "log-adjusted",
) -> dict[str, np.ndarray]:
    """Ratio of two proportions ``p1 / p2`` with the log (Katz) interval.

    ``method="log"`` (Katz et al. 1978): ``exp(log(p1/p2) ± z·sqrt(1/x1 - 1/n1 +
    1/x2 - 1/n2))``; undefined when a count is 0.

    ``method="log-adjusted"`` (default): the same formula after adding 1/2 to each
    count *and* each size (``x + 0.5``, ``n + 0.5``), exactly as ``statsmodels``
    ``confint_proportions_2indep(compare="ratio", method="log-adjusted")`` (its
    default) does. It stays finite with zero counts; the interval is then centred on
    the adjusted ratio, while the reported ``ratio`` is always the plain
    ``p1 / p2`` (``inf``/NaN when ``p2 = 0``).

    Returns
    -------
    dict
        ``ratio, ci_low, ci_high``.

    Examples
    --------
    >>> r = ratio_ci(56, 70, 48, 80, method="log")
    >>> round(float(r["ratio"]), 4), round(float(r["ci_low"]), 4), round(float(r["ci_high"]), 4)
    (1.3333, 1.0766, 1.6512)
    """
    check_option("method", method, ["log", "log-adjusted"], "ratio_ci")
    z = _z(level, "ratio_ci")
    x1, n1 = _counts(x1, n1)
    x2, n2 = _counts(x2, n2)
    half = 0.5 if method == "log-adjusted" else 0.0
    a1, m1, a2, m2 = x1 + half, n1 + half, x2 + half, n2 + half
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (x1 / n1) / (x2 / n2)
        log_r = np.log((a1 / m1) / (a2 / m2))
        se = np.sqrt(1 / a1 - 1 / m1 + 1 / a2 - 1 / m2)
        low, upp = np.exp(log_r - z * se), np.exp(log_r + z * se)
    if method == "log":  # a zero count makes the plain log interval undefined
        zero = (x1 == 0) | (x2 == 0)
        low, upp = np.where(zero, np.nan, low), np.where(zero, np.nan, upp)
    return {"ratio": ratio, "ci_low": low, "ci_high": upp}


def cohens_h(p1: ArrayLike, p2: ArrayLike) -> np.ndarray:
    """Cohen's h = 2·asin(√p1) − 2·asin(√p2) for two proportions.

    Rough guide (Cohen 1988): 0.2 small, 0.5 medium, 0.8 large. Same as
    ``statsmodels.stats.proportion.proportion_effectsize``.

    Examples
    --------
    >>> round(float(cohens_h(0.5, 0.4)), 7)
    0.2013579
    """
    p1 = np.asarray(p1, dtype=float)
    p2 = np.asarray(p2, dtype=float)
    with np.errstate(invalid="ignore"):
        return 2 * np.arcsin(np.sqrt(p1)) - 2 * np.arcsin(np.sqrt(p2))


def odds_ratio_ci(
    x1: ArrayLike, n1: ArrayLike, x2: ArrayLike, n2: ArrayLike, level: float = 0.95
) -> dict[str, np.ndarray]:
    """Odds ratio ``(x1/(n1−x1)) / (x2/(n2−x2))`` with Woolf's logit interval.

    ``exp(log OR ± z·sqrt(1/a + 1/b + 1/c + 1/d))`` on the 2×2 table
    ``a = x1, b = n1 − x1, c = x2, d = n2 − x2``; when a table has a zero cell,
    the zero cells become 1/2 (as ``statsmodels`` ``Table2x2(shift_zeros=True)``,
    so OR and interval equal its ``oddsratio`` and ``oddsratio_confint()``).
    Counts may be effective (non-integer) counts.

    Returns
    -------
    dict
        ``odds_ratio, ci_low, ci_high``.

    Examples
    --------
    >>> r = odds_ratio_ci(5, 7, 3, 10)   # table [[5, 2], [3, 7]]: OR = 35/6
    >>> round(float(r["odds_ratio"]), 4), round(float(r["ci_low"]), 4)
    (5.8333, 0.6963)
    """
    z = _z(level, "odds_ratio_ci")
    x1, n1 = _counts(x1, n1)
    x2, n2 = _counts(x2, n2)
    cells = np.stack(np.broadcast_arrays(x1, n1 - x1, x2, n2 - x2))
    zero = (cells == 0).any(axis=0)
    cells = np.where(zero & (cells == 0), 0.5, cells)
    a, b, c, d = cells
    with np.errstate(divide="ignore", invalid="ignore"):
        lor = np.log(a) - np.log(b) - np.log(c) + np.log(d)
        se = np.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
        return {"odds_ratio": np.exp(lor), "ci_low": np.exp(lor - z * se), "ci_high": np.exp(lor + z * se)}


def hedges_correction(df: ArrayLike) -> np.ndarray:
    """Hedges' exact small-sample factor ``J(ν) = Γ(ν/2) / (√(ν/2) · Γ((ν−1)/2))``.

    Hedges' g = J(n₁ + n₂ − 2) · Cohen's d (pooled SD); J ≈ 1 − 3/(4ν − 1)
    (Hedges 1981; Hedges & Olkin 1985, eq. 5.10). NaN for ν ≤ 1.

    Examples
    --------
    >>> round(float(hedges_correction(10)), 5), round(1 - 3 / (4 * 10 - 1), 5)
    (0.92275, 0.92308)
    """
    nu = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        ok = nu > 1
        v = np.where(ok, nu, 2.0)
        j = np.exp(special.gammaln(v / 2) - special.gammaln((v - 1) / 2)) / np.sqrt(v / 2)
    return np.where(ok, j, np.nan)


def two_proportion_test(
    x1: ArrayLike, n1: ArrayLike, x2: ArrayLike, n2: ArrayLike, *, fisher: bool = True, min_expected: float = 5
) -> dict[str, np.ndarray]:
    """Test ``p1 = p2``: pooled z (= Pearson chi-square, no continuity correction).

    ``z = (p1 - p2) / sqrt(p̄(1 - p̄)(1/n1 + 1/n2))`` with ``p̄ = (x1 + x2)/(n1 + n2)``;
    ``chi2 = z²`` on 1 df, two-sided ``p``. This equals
    ``scipy.stats.chi2_contingency(table, correction=False)``.

    Where any *expected* cell of the 2×2 table is below ``min_expected`` (5,
    Cochran's rule) the chi-square approximation is poor and Fisher's exact test is
    preferred: those rows are flagged in ``small_counts`` and, if ``fisher`` is
    true, their ``p_value`` is the two-sided Fisher exact p-value from
    :func:`fisher_two_sided` (vectorised; equal to ``scipy.stats.fisher_exact``).

    Returns
    -------
    dict
        ``statistic`` (z), ``chi2``, ``p_value`` (the one to report),
        ``p_value_chi2``, ``p_value_fisher`` (NaN where not computed),
        ``small_counts`` (bool), ``test`` (``"chi2"`` / ``"fisher"`` per row).

    Examples
    --------
    >>> r = two_proportion_test([56, 3], [70, 10], [48, 9], [80, 10])
    >>> r["statistic"].round(3).tolist(), r["test"].tolist()
    ([2.65, -2.739], ['chi2', 'fisher'])
    """
    x1, n1 = _counts(x1, n1)
    x2, n2 = _counts(x2, n2)
    x1, n1, x2, n2 = np.broadcast_arrays(x1, n1, x2, n2)
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (x1 + x2) / (n1 + n2)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = (x1 / n1 - x2 / n2) / se
        # both groups all-success or all-failure: no evidence of a difference
        z = np.where(np.isfinite(z) | np.isnan(pooled), z, np.nan)
        z = np.where((se == 0) & ~np.isnan(pooled), 0.0, z)
        p_chi2 = 2 * stats.norm.sf(np.abs(z))
        tot = n1 + n2
        succ, fail = x1 + x2, tot - x1 - x2
        expected_min = np.minimum.reduce(
            [n1 * succ / tot, n1 * fail / tot, n2 * succ / tot, n2 * fail / tot]
        )
    small = np.asarray(np.nan_to_num(expected_min, nan=np.inf) < min_expected)
    p_fisher = np.full(small.shape, np.nan)
    if fisher and small.any():
        idx = np.flatnonzero(small)
        p_flat = p_fisher.ravel()
        p_flat[idx] = fisher_two_sided(*(a.ravel()[idx] for a in (x1, n1, x2, n2)))
        p_fisher = p_flat.reshape(small.shape)
    use_fisher = small & fisher
    return {
        "statistic": z,
        "chi2": z**2,
        "p_value": np.where(use_fisher, p_fisher, p_chi2),
        "p_value_chi2": p_chi2,
        "p_value_fisher": p_fisher,
        "small_counts": small,
        "test": np.where(use_fisher, "fisher", "chi2"),
    }


def fisher_two_sided(
    x1: ArrayLike, n1: ArrayLike, x2: ArrayLike, n2: ArrayLike, *, max_support: int = 100_000
) -> np.ndarray:
    """Two-sided Fisher exact p-values of many 2×2 tables ``[[x1, n1-x1], [x2, n2-x2]]``.

    Conditional on the margins, ``x1`` is hypergeometric; the p-value is the sum of
    the probabilities of all tables no more likely than the observed one (relative
    tolerance 1e-7, as R's ``fisher.test``). Vectorised: the hypergeometric
    log-probabilities of every table's support are laid out in padded 2-D arrays
    (rows × support), rows grouped by support width, blocks of at most ``max_support``
    cells.
    Equals ``scipy.stats.fisher_exact(table).pvalue`` (scipy: one table per call).

    Examples
    --------
    >>> fisher_two_sided([3, 1], [10, 9], [9, 11], [10, 12]).round(6).tolist()
    [0.019767, 0.000371]
    """
    x1, n1 = _counts(x1, n1)
    x2, n2 = _counts(x2, n2)
    x1, n1, x2, n2 = (a.ravel() for a in np.broadcast_arrays(x1, n1, x2, n2))
    out = np.full(x1.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(x1 + n1 + x2 + n2))
    if ok.size == 0:
        return out
    tot = n1[ok] + n2[ok]
    succ = x1[ok] + x2[ok]
    lo = np.maximum(0.0, succ - n2[ok])  # support of x1 given the margins
    hi = np.minimum(n1[ok], succ)
    width = (hi - lo + 1).astype(np.int64)

    def log_pmf(k: np.ndarray, rows: np.ndarray) -> np.ndarray:
        a, b, s, t = n1[ok][rows, None], n2[ok][rows, None], succ[rows, None], tot[rows, None]
        return (
            special.gammaln(s + 1) - special.gammaln(k + 1) - special.gammaln(s - k + 1)
            + special.gammaln(t - s + 1) - special.gammaln(a - k + 1) - special.gammaln(t - s - a + k + 1)
            - special.gammaln(t + 1) + special.gammaln(a + 1) + special.gammaln(b + 1)
        )  # fmt: skip

    # rows are grouped by the power of two of their support width (padding at most 2x) and
    # processed in blocks of at most `max_support` cells: a handful of numpy passes in all
    bucket = np.ceil(np.log2(width)).astype(np.int64)
    blocks = []
    for b in np.unique(bucket):
        rows_b = np.flatnonzero(bucket == b)
        step = max(1, max_support // int(width[rows_b].max()))
        blocks.extend(rows_b[i : i + step] for i in range(0, rows_b.size, step))
    for rows in blocks:
        w_max = int(width[rows].max())
        k = lo[rows, None] + np.arange(w_max)[None, :]
        valid = k <= hi[rows, None]
        lp = np.where(valid, log_pmf(np.where(valid, k, lo[rows, None]), rows), -np.inf)
        lp_obs = log_pmf(x1[ok][rows, None], rows)
        p = np.exp(lp)
        keep = valid & (lp <= lp_obs + np.log1p(1e-7))
        out[ok[rows]] = np.minimum(1.0, np.where(keep, p, 0.0).sum(axis=1))
    return out


def welch_diff(
    mean1: ArrayLike,
    var1: ArrayLike,
    n1: ArrayLike,
    mean2: ArrayLike,
    var2: ArrayLike,
    n2: ArrayLike,
    level: float = 0.95,
) -> dict[str, np.ndarray]:
    """Difference of means ``mean1 - mean2`` with Welch's t interval and test.

    ``se = sqrt(var1/n1 + var2/n2)`` with sample variances (ddof = 1); degrees of
    freedom by Welch–Satterthwaite ``se⁴ / ((var1/n1)²/(n1-1) + (var2/n2)²/(n2-1))``.
    Matches ``scipy.stats.ttest_ind(a, b, equal_var=False)``. Groups with ``n < 2``
    give NaN.

    Returns
    -------
    dict
        ``diff, se, df, ci_low, ci_high, statistic`` (t) and ``p_value`` (two-sided).

    Examples
    --------
    >>> r = welch_diff(5.0, 4.0, 20, 3.0, 9.0, 30)
    >>> round(float(r["diff"]), 3), round(float(r["se"]), 4), round(float(r["df"]), 2)
    (2.0, 0.7071, 48.0)
    """
    _z(level, "welch_diff")  # validates level
    m1, v1, k1 = (np.asarray(a, dtype=float) for a in (mean1, var1, n1))
    m2, v2, k2 = (np.asarray(a, dtype=float) for a in (mean2, var2, n2))
    k1 = np.where(k1 >= 2, k1, np.nan)
    k2 = np.where(k2 >= 2, k2, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        a1, a2 = v1 / k1, v2 / k2
        se = np.sqrt(a1 + a2)
        df = (a1 + a2) ** 2 / (a1**2 / (k1 - 1) + a2**2 / (k2 - 1))
        d = m1 - m2
        t = d / se
        q = stats.t.isf((1 - level) / 2, df)
        p = 2 * stats.t.sf(np.abs(t), df)
    return {"diff": d, "se": se, "df": df, "ci_low": d - q * se, "ci_high": d + q * se, "statistic": t, "p_value": p}


def normal_diff(
    est1: ArrayLike, se1: ArrayLike, est2: ArrayLike, se2: ArrayLike, level: float = 0.95
) -> dict[str, np.ndarray]:
    """Difference of two independent estimates from their standard errors (normal approx).

    ``diff = est1 - est2``, ``se = sqrt(se1² + se2²)``, ``diff ± z·se``, ``z = diff/se``.
    Used when only estimates and SEs are known (e.g. year-over-year change of a
    mean or a weighted share taken from a ``compute()`` result); with large groups it
    agrees with :func:`welch_diff`.

    Examples
    --------
    >>> r = normal_diff(5.0, 0.3, 4.0, 0.4)
    >>> round(float(r["se"]), 3), round(float(r["ci_low"]), 3), round(float(r["p_value"]), 4)
    (0.5, 0.02, 0.0455)
    """
    z = _z(level, "normal_diff")
    e1, s1, e2, s2 = (np.asarray(a, dtype=float) for a in (est1, se1, est2, se2))
    d = e1 - e2
    se = np.sqrt(s1**2 + s2**2)
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = d / se
    return {
        "diff": d,
        "se": se,
        "ci_low": d - z * se,
        "ci_high": d + z * se,
        "statistic": stat,
        "p_value": 2 * stats.norm.sf(np.abs(stat)),
    }


def bh_qvalues(p: ArrayLike, groups: ArrayLike | None = None) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values); NaN p-values stay NaN.

    For the ``m`` non-missing p-values sorted ascending, ``q_(i) = min_{j ≥ i}
    min(1, m·p_(j)/j)``. NaN entries are ignored (they do not count in ``m``).
    Equal to ``statsmodels.stats.multitest.multipletests(p, method="fdr_bh")[1]``
    on the non-missing values.

    Parameters
    ----------
    p : array_like
        1-D p-values.
    groups : array_like, optional
        Family labels of the same length: the adjustment is then done separately
        within each family (vectorised; no loop over families).

    Examples
    --------
    >>> bh_qvalues([0.01, 0.04, float("nan"), 0.03]).round(3).tolist()
    [0.03, 0.04, nan, 0.04]
    """
    p = np.asarray(p, dtype=float).ravel()
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if not ok.any():
        return out
    g = np.zeros(p.shape, dtype=np.int64)
    if groups is not None:
        g = pd.factorize(pd.Series(np.asarray(groups).ravel()), use_na_sentinel=False)[0]
        if len(g) != len(p):
            raise InvalidOptionError(
                "bh_qvalues() 的 groups 长度必须与 p 相同",
                "The 'groups' of bh_qvalues() must have the same length as 'p'.",
            )
    pv, gv = p[ok], g[ok]
    order = np.lexsort((pv, gv))  # by group, then p ascending
    ps, gs = pv[order], gv[order]
    frame = pd.DataFrame({"g": gs, "p": ps})
    rank = frame.groupby("g").cumcount().to_numpy() + 1
    m = frame.groupby("g")["p"].transform("size").to_numpy()
    raw = np.minimum(ps * m / rank, 1.0)
    # running minimum from the largest p downwards, within each group
    rev = pd.DataFrame({"g": gs[::-1], "q": raw[::-1]})
    q_sorted = rev.groupby("g")["q"].cummin().to_numpy()[::-1]
    q = np.empty_like(q_sorted)
    q[order] = q_sorted
    out[ok] = q
    return out
