"""One-sample interval math on arrays of group totals, vectorised over groups.

Every function takes numpy arrays of sufficient statistics (one element per
group: counts, sums, sums of squares, weighted sums) and returns arrays; there
is no loop over groups. :func:`coopmetrics.compute` aggregates the totals in
one group-by pass per table and then calls these functions once per indicator.

Methods
-------
Proportions (``x`` successes of ``n``)
    ``wilson`` (default; Wilson 1927), ``beta`` (Clopper–Pearson, exact),
    ``jeffreys`` (equal-tailed Beta(x+½, n−x+½); lower bound 0 at x = 0 and
    upper bound 1 at x = n, as recommended by Brown, Cai & DasGupta 2001),
    ``agresti_coull`` and ``normal`` (Wald; bounds clipped to [0, 1]). They
    agree with :func:`statsmodels.stats.proportion.proportion_confint`
    (Jeffreys except at the boundaries, where statsmodels does not apply the
    Brown et al. adjustment). ``se`` is the binomial ``sqrt(p(1-p)/n)``.
Means
    t interval from ``n``, ``sum`` and ``sum of squares``:
    ``s² = (Σx² − (Σx)²/n)/(n−1)``, ``se = s/√n``, ``mean ± t_{n−1} se``.
Ratios of sums (same table)
    Delta method (Taylor linearisation) with units as independent draws:
    ``R = Σx/Σy``, ``se² = n/(n−1) · Σ(x_i − R y_i)² / (Σy)²``, normal interval.
    The squared residual sum is expanded into ``Σx² − 2RΣxy + R²Σy²`` so only
    totals are needed.
Weighted survey shares (respondent = cluster of item answers)
    ``R = Σw x / Σw y`` with ``x`` top-box answers and ``y`` valid answers of a
    respondent, ``v = Σw²(x − R y)² / (Σw y)²``. ``se = sqrt(n/(n−1) · v)`` is
    the with-replacement Taylor-linearisation standard error of a ratio
    estimator (as in R ``survey`` and samplics' ``TaylorEstimator``). The
    design-based effective number of answers is ``n* = R(1−R)/v`` (without the
    small-sample factor) and the interval is the chosen proportion interval at
    ``(R n*, n*)``: for an unweighted single-item survey ``n*`` equals the
    number of answers, so the result is exactly the plain Wilson interval. ``n_eff`` reported is Kish's ``(Σw)²/Σw²`` over respondents and
    ``deff = n / n_eff``.
Medians
    Distribution-free order-statistic interval (Conover 1999, §3.2):
    the ranks ``l = ⌊(n − z√n)/2⌋`` and ``u = ⌈1 + (n + z√n)/2⌉`` of the sorted
    values bound the median with coverage ≈ the nominal level (normal
    approximation to the binomial). ``compute`` looks the values up with the
    engine's window functions; ``se`` is reported as ``(hi − lo)/(2z)``.

Examples
--------
>>> import numpy as np
>>> lo, hi = proportion_interval(np.array([8]), np.array([10]))
>>> [round(float(v), 4) for v in (lo[0], hi[0])]
[0.4902, 0.9433]
>>> m, se, lo, hi = mean_interval(np.array([3.0]), np.array([6.0]), np.array([14.0]))
>>> float(m[0]), float(se[0])
(2.0, 0.5773502691896257)
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .errors import check_option

__all__ = [
    "PROPORTION_METHODS",
    "z_value",
    "proportion_interval",
    "proportion_se",
    "mean_interval",
    "ratio_interval",
    "weighted_share",
    "kish",
    "median_rank_bounds",
]

#: Accepted proportion methods; aliases map to the canonical name.
PROPORTION_METHODS = ("wilson", "beta", "jeffreys", "agresti_coull", "normal")
_ALIASES = {"clopper_pearson": "beta", "clopper-pearson": "beta", "exact": "beta", "agresti-coull": "agresti_coull",
            "wald": "normal"}


def canonical_method(method: str, func: str = "compute") -> str:
    """Map aliases (``clopper-pearson``, ``agresti-coull``, ``wald``) and validate."""
    method = _ALIASES.get(method, method)
    check_option("ci_method", method, PROPORTION_METHODS, func)
    return method


def z_value(level: float) -> float:
    """Two-sided standard-normal quantile for confidence ``level``.

    Examples
    --------
    >>> round(z_value(0.95), 4)
    1.96
    """
    return float(stats.norm.ppf(0.5 + level / 2))


def _arr(a: object) -> np.ndarray:
    return np.asarray(a, dtype=float)


def proportion_se(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Binomial standard error ``sqrt(p(1-p)/n)``; NaN where ``n == 0``."""
    x, n = _arr(x), _arr(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        return np.where(n > 0, np.sqrt(p * (1 - p) / n), np.nan)


def proportion_interval(x: np.ndarray, n: np.ndarray, level: float = 0.95,
                        method: str = "wilson") -> tuple[np.ndarray, np.ndarray]:
    """Two-sided interval for ``x/n`` for every group at once.

    Parameters
    ----------
    x, n : array_like
        Successes and trials per group (``n`` may be non-integer effective sizes).
    level : float
        Confidence level.
    method : str
        See :data:`PROPORTION_METHODS`.

    Returns
    -------
    (low, high) : arrays, NaN where ``n == 0``.

    Examples
    --------
    >>> lo, hi = proportion_interval([0, 5], [10, 5], method="beta")
    >>> [round(float(v), 4) for v in lo], [round(float(v), 4) for v in hi]
    ([0.0, 0.4782], [0.3085, 1.0])
    """
    method = canonical_method(method, "proportion_interval")
    x, n = _arr(x), _arr(n)
    alpha = 1 - level
    z = z_value(level)
    ok = n > 0
    nn = np.where(ok, n, 1.0)
    xx = np.clip(np.where(ok, x, 0.0), 0, nn)
    p = xx / nn
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "wilson":
            denom = nn + z**2
            centre = (xx + z**2 / 2) / denom
            half = z / denom * np.sqrt(xx * (nn - xx) / nn + z**2 / 4)
            lo, hi = centre - half, centre + half
        elif method == "normal":
            half = z * np.sqrt(p * (1 - p) / nn)
            lo, hi = p - half, p + half
        elif method == "agresti_coull":
            nc = nn + z**2
            pc = (xx + z**2 / 2) / nc
            half = z * np.sqrt(pc * (1 - pc) / nc)
            lo, hi = pc - half, pc + half
        elif method == "beta":
            lo = np.where(xx > 0, stats.beta.ppf(alpha / 2, np.maximum(xx, 1e-300), nn - xx + 1), 0.0)
            hi = np.where(xx < nn, stats.beta.isf(alpha / 2, xx + 1, np.maximum(nn - xx, 1e-300)), 1.0)
        else:  # jeffreys
            lo = stats.beta.ppf(alpha / 2, xx + 0.5, nn - xx + 0.5)
            hi = stats.beta.isf(alpha / 2, xx + 0.5, nn - xx + 0.5)
            lo = np.where(xx <= 0, 0.0, lo)
            hi = np.where(xx >= nn, 1.0, hi)
    lo = np.clip(lo, 0.0, 1.0)
    hi = np.clip(hi, 0.0, 1.0)
    # floating-point guard so that low <= p <= high holds exactly
    lo = np.minimum(lo, p)
    hi = np.maximum(hi, p)
    return np.where(ok, lo, np.nan), np.where(ok, hi, np.nan)


def mean_interval(n: np.ndarray, s: np.ndarray, ss: np.ndarray,
                  level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean, standard error and t interval from ``n``, ``Σx`` and ``Σx²``.

    NaN for the interval where ``n < 2``; NaN everything where ``n == 0``.

    Examples
    --------
    >>> m, se, lo, hi = mean_interval([4], [10.0], [30.0])
    >>> round(float(lo[0]), 4), round(float(hi[0]), 4)
    (0.4457, 4.5543)
    """
    n, s, ss = _arr(n), _arr(s), _arr(ss)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, s / n, np.nan)
        var = np.where(n > 1, (ss - s * s / np.where(n > 0, n, 1)) / (n - 1), np.nan)
        var = np.maximum(var, 0.0)  # cancellation can give -1e-12
        se = np.sqrt(var / n)
        t = stats.t.ppf(0.5 + level / 2, np.where(n > 1, n - 1, 1))
    half = np.where(n > 1, t * se, np.nan)
    return mean, np.where(n > 1, se, np.nan), mean - half, mean + half


def ratio_interval(n: np.ndarray, sx: np.ndarray, sy: np.ndarray, sxx: np.ndarray, syy: np.ndarray,
                   sxy: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Ratio of sums ``Σx/Σy`` with a delta-method (linearisation) interval.

    Examples
    --------
    >>> # units (x, y): (1, 2), (2, 2), (3, 4): R = 6/8
    >>> r, se, lo, hi = ratio_interval([3], [6.], [8.], [14.], [24.], [18.])
    >>> float(r[0]), round(float(se[0]), 6)
    (0.75, 0.108253)
    """
    n, sx, sy, sxx, syy, sxy = map(_arr, (n, sx, sy, sxx, syy, sxy))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(sy != 0, sx / sy, np.nan)
        resid = np.maximum(sxx - 2 * r * sxy + r * r * syy, 0.0)
        se = np.where(n > 1, np.sqrt(n / (n - 1) * resid) / np.abs(sy), np.nan)
    z = z_value(level)
    return r, se, r - z * se, r + z * se


def kish(sw: np.ndarray, sw2: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kish effective sample size ``(Σw)²/Σw²`` and design effect ``n/n_eff``.

    Examples
    --------
    >>> ne, d = kish([4.0], [6.0], [3])
    >>> round(float(ne[0]), 4), round(float(d[0]), 4)
    (2.6667, 1.125)
    """
    sw, sw2, n = _arr(sw), _arr(sw2), _arr(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        ne = np.where(sw2 > 0, sw * sw / sw2, np.nan)
        return ne, n / ne


def weighted_share(n: np.ndarray, swx: np.ndarray, swy: np.ndarray, sw2xx: np.ndarray, sw2yy: np.ndarray,
                   sw2xy: np.ndarray, m: np.ndarray, kish_deff: np.ndarray, level: float = 0.95,
                   method: str = "wilson", variance: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Weighted top-box share with a design-based interval (see module notes).

    Parameters
    ----------
    n : array
        Respondents per group.
    swx, swy : array
        ``Σ w x`` (weighted top-box answers) and ``Σ w y`` (weighted valid answers).
    sw2xx, sw2yy, sw2xy : array
        ``Σ w² x²``, ``Σ w² y²``, ``Σ w² x y``.
    m : array
        Unweighted number of valid answers (used when the variance is 0).
    kish_deff : array
        Kish weighting effect, for the fallback effective size.
    variance : array, optional
        The variance of the share (``se²``) to use instead of the weighted-ratio linearisation,
        e.g. the calibration-aware variance of a raked share
        (:func:`coopmetrics.compute.calibrated_variance`); used as is for ``se`` and ``n*``.

    Returns
    -------
    dict with ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``n_star`` (the design-based
    effective sample size ``R(1-R)/v``; the design effect of the estimate is ``n / n_star``).

    Examples
    --------
    >>> r = weighted_share([4], [2.0], [4.0], [2.0], [4.0], [2.0], [4], [1.0])
    >>> float(r["estimate"][0]), float(r["n_star"][0])  # unweighted: n* = n, design effect 1
    (0.5, 4.0)
    """
    n, swx, swy, sw2xx, sw2yy, sw2xy, m, kish_deff = map(
        _arr, (n, swx, swy, sw2xx, sw2yy, sw2xy, m, kish_deff))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(swy > 0, swx / swy, np.nan)
        v = np.maximum(sw2xx - 2 * r * sw2xy + r * r * sw2yy, 0.0) / (swy * swy)
        given = np.zeros(v.shape, dtype=bool)
        if variance is not None:
            given = np.isfinite(_arr(variance))
            v = np.where(given, np.maximum(_arr(variance), 0.0), v)
        n_star = np.where(v > 0, r * (1 - r) / v, m / np.where(kish_deff > 0, kish_deff, 1.0))
    n_star = np.where(np.isfinite(n_star), n_star, np.nan)
    lo, hi = proportion_interval(np.where(np.isfinite(r), r, 0) * np.nan_to_num(n_star),
                                 np.nan_to_num(n_star), level, method)
    fin = np.isfinite(r)
    lo = np.where(fin, np.fmin(lo, r), lo)  # guard against rounding in r·n*/n*
    hi = np.where(fin, np.fmax(hi, r), hi)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.where(given, np.sqrt(v), np.where(n > 1, np.sqrt(v * n / (n - 1)), np.nan))
    return {"estimate": r, "se": se, "ci_low": lo, "ci_high": hi, "n_star": n_star, "variance": v}


def design_effect(variance: np.ndarray, estimate: np.ndarray, swxx: np.ndarray, sw: np.ndarray,
                  n: np.ndarray) -> np.ndarray:
    """Design effect of a survey estimate: its variance over the variance under simple random sampling.

    ``deff = v / (S² / n)`` with ``v`` the design (linearised) variance of the mean of the
    respondents' values ``x`` (each respondent one unit: a cluster of item answers), ``S² =
    Σw x²/Σw − R²`` the (weighted) element variance and ``n`` respondents (Kish 1965). For a
    yes/no value ``S² = R(1 − R)``, so ``deff = n / n*`` with ``n* = R(1−R)/v``. This is NOT
    Kish's weighting effect ``1 + CV²(w)`` (:func:`kish`), which ignores the outcome.

    Examples
    --------
    >>> float(design_effect([0.0625], [0.5], [2.0], [4.0], [4])[0])  # unweighted 0/1: v = R(1-R)/n
    1.0
    """
    v, r, swxx, sw, n = map(_arr, (variance, estimate, swxx, sw, n))
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = np.maximum(swxx / sw - r * r, 0.0)
        d = np.where((s2 > 0) & (n > 0), v / (s2 / n), np.nan)
    # every respondent gave the same value: both variances are 0 and the design changes nothing
    return np.where((s2 == 0) & (v == 0) & (n > 0), 1.0, d)


def median_rank_bounds(n: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """1-based ranks of the order statistics bounding the median (Conover).

    Ranks outside ``1..n`` (very small groups) are returned as 0 (no bound).

    Examples
    --------
    >>> lo, hi = median_rank_bounds([100, 3])
    >>> lo.tolist(), hi.tolist()
    ([40, 0], [61, 0])
    """
    n = _arr(n)
    z = z_value(level)
    lo = np.floor((n - z * np.sqrt(n)) / 2)
    hi = np.ceil(1 + (n + z * np.sqrt(n)) / 2)
    valid = (lo >= 1) & (hi <= n)
    return np.where(valid, lo, 0).astype(np.int64), np.where(valid, hi, 0).astype(np.int64)
