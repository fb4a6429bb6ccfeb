"""Fair comparison of partners: empirical-Bayes shrinkage, funnel flags, rank intervals.

Small partners must not top or bottom a ranking by chance. Three tools, all
vectorised over partners:

* :func:`shrink_proportions` — beta-binomial empirical Bayes. The prior
  ``Beta(a, b)`` is estimated across partners by the method of moments
  (Kleinman 1973: intra-class correlation ``rho`` from the ``n``-weighted
  between-partner sum of squares) or by marginal maximum likelihood
  (``scipy.stats.betabinom``); each partner's posterior is
  ``Beta(a + x, b + n - x)`` with an equal-tailed interval.
* :func:`shrink_means` — normal–normal empirical Bayes for means (salary):
  DerSimonian–Laird between-partner variance ``tau2``, posterior mean
  ``mu + B (y - mu)`` with ``B = tau2 / (tau2 + se²)`` and variance ``B se²``.
* :func:`funnel_flags` — exact binomial funnel limits around the college rate
  (:func:`coopmetrics.compare.funnel_limits`, Spiegelhalter 2005) at 95 % and
  99.8 %; the flag uses the 99.8 % limits by default.
* :func:`rank_intervals` — ranks of posterior draws: the 95 % interval of each
  partner's rank (1 = best).

Scale: the exact binomial and beta quantiles are iterative scipy special functions
(microseconds each; ~12 µs for a pooled prior with ``a + b = 1e7``). They are evaluated
once per distinct ``(x, n)`` pair (:func:`on_distinct`) — the same numbers, a few thousand
calls instead of one per partner — and :func:`binomial_funnel` / :func:`normal_funnel`
return plain arrays for the scorecard's hot path.

Examples
--------
>>> import numpy as np
>>> post = shrink_proportions(np.array([0, 5, 30]), np.array([2, 10, 100]))
>>> bool(post["shrunk"][0] > 0)   # 0/2 is not a 0 % partner
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..compare import funnel_limits
from ..errors import InvalidOptionError

__all__ = ["shrink_proportions", "shrink_means", "funnel_flags", "binomial_funnel", "normal_funnel", "flag_labels",
           "rank_intervals", "posterior_draws", "FLAGS", "on_distinct"]

#: Flag code -> (Chinese, English) labels.
FLAGS: dict[str, tuple[str, str]] = {
    "above": ("优于全校水平", "above the college"),
    "below": ("低于全校水平", "below the college"),
    "within": ("与全校持平", "in line with the college"),
    "no_data": ("无数据", "no data"),
}

#: Prior concentration used when no between-partner variation is found (a = p·M, b = (1-p)·M).
_POOLED_M = 1e7


def on_distinct(fn: Any, *cols: Any) -> Any:
    """``fn(*cols)`` evaluated once per distinct row of ``cols`` and broadcast back.

    Exact: the same function on the same inputs, only fewer of them. Partners share
    sizes and counts (many have ``n = 12``), so the exact binomial and beta quantiles —
    iterative scipy special functions, microseconds each — run on a few thousand
    distinct ``(x, n)`` pairs instead of every partner.

    Parameters
    ----------
    fn : callable
        Takes one 1-D array per column; returns an array or a tuple of arrays of that length.
    *cols : array_like
        Equal-length 1-D columns (scalars are broadcast).

    Returns
    -------
    ndarray or tuple of ndarray
        What ``fn(*cols)`` returns.

    Examples
    --------
    >>> on_distinct(lambda x, n: x / n, [1, 2, 1], [4, 4, 4]).tolist()
    [0.25, 0.5, 0.25]
    """
    arrs = np.broadcast_arrays(*(np.asarray(c, dtype=float) for c in cols))
    m = np.column_stack([a.ravel() for a in arrs]) if arrs[0].size else np.empty((0, len(arrs)))
    if m.shape[0] < 2:
        return fn(*arrs)
    # lexsort + run starts (np.unique(axis=0) sorts a void view, ~50x slower); NaN rows stay apart
    order = np.lexsort(m.T[::-1])
    srt = m[order]
    start = np.concatenate([[True], np.any(srt[1:] != srt[:-1], axis=1)])
    inv = np.empty(m.shape[0], dtype=np.intp)
    inv[order] = np.cumsum(start) - 1
    uniq = srt[start]
    res = fn(*(uniq[:, j] for j in range(uniq.shape[1])))
    if isinstance(res, tuple):
        return tuple(np.asarray(r)[inv] for r in res)
    return np.asarray(res)[inv]


def _moments(x: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    """Kleinman's moment estimates ``(p, rho)`` of a beta-binomial; ``rho`` clipped to [0, 1)."""
    ok = n > 0
    x, n = x[ok], n[ok]
    k, big_n = x.size, n.sum()
    p = x.sum() / big_n
    if k < 2 or p <= 0 or p >= 1:
        return float(p), 0.0
    s = np.sum(n * (x / n - p) ** 2)
    rho = (s / (p * (1 - p)) - (k - 1)) / (big_n - np.sum(n**2) / big_n)
    return float(p), float(np.clip(rho, 0.0, 1 - 1e-9))


def _mle(x: np.ndarray, n: np.ndarray, start: tuple[float, float]) -> tuple[float, float]:
    """Marginal ML of ``(a, b)`` over ``log a, log b`` (Nelder–Mead from the moment estimate)."""
    ok = n > 0
    x, n = x[ok].astype(int), n[ok].astype(int)

    def nll(theta: np.ndarray) -> float:
        a, b = np.exp(theta)
        return -float(stats.betabinom.logpmf(x, n, a, b).sum())

    res = optimize.minimize(nll, np.log(start), method="Nelder-Mead",
                            options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 4000})
    a, b = np.exp(res.x)
    return float(a), float(b)


def shrink_proportions(x: Any, n: Any, *, method: str = "moments", level: float = 0.95) -> dict[str, Any]:
    """Beta-binomial empirical-Bayes estimates of each partner's rate.

    Parameters
    ----------
    x, n : array_like
        Successes and trials per partner (partners with ``n == 0`` get the prior).
    method : {"moments", "mle"}
        Prior fitted by Kleinman's method of moments or by marginal maximum likelihood.
    level : float
        Level of the equal-tailed posterior interval.

    Returns
    -------
    dict
        ``shrunk``, ``low``, ``high`` (arrays), ``a``, ``b`` (prior), ``p``
        (pooled rate), ``rho`` (intra-class correlation ``1/(a+b+1)``; 0 means
        no between-partner variation was found and every estimate is the pooled rate).

    Examples
    --------
    >>> r = shrink_proportions([2, 5, 8], [10, 10, 10])   # S = 1.8, rho = (1.8/0.25 - 2)/(30 - 10)
    >>> round(r["p"], 2), round(r["rho"], 3)
    (0.5, 0.26)
    """
    x, n = np.asarray(x, dtype=float), np.asarray(n, dtype=float)
    if method not in ("moments", "mle"):
        raise InvalidOptionError(f"未知的收缩方法 {method!r}（可选 moments、mle）",
                                 f"unknown shrinkage method {method!r}; use 'moments' or 'mle'")
    if not np.any(n > 0):
        nan = np.full(x.shape, np.nan)
        return {"shrunk": nan, "low": nan, "high": nan, "a": np.nan, "b": np.nan, "p": np.nan, "rho": np.nan,
                "post_a": nan, "post_b": nan}
    p, rho = _moments(x, n)
    m = _POOLED_M if rho <= 0 else 1 / rho - 1
    a, b = max(p * m, 1e-9), max((1 - p) * m, 1e-9)
    if method == "mle" and 0 < p < 1:
        a, b = _mle(x, n, (a if rho > 0 else p * 100, b if rho > 0 else (1 - p) * 100))
        rho = 1 / (a + b + 1)
    pa, pb = a + x, b + np.maximum(n - x, 0)
    alpha = (1 - level) / 2
    # beta quantiles are iterative (slow with a pooled prior, a + b ~ 1e7): once per distinct (x, n)
    low, high = on_distinct(lambda xx, nn: (stats.beta.ppf(alpha, a + xx, b + np.maximum(nn - xx, 0)),
                                            stats.beta.isf(alpha, a + xx, b + np.maximum(nn - xx, 0))), x, n)
    return {"shrunk": pa / (pa + pb), "low": low, "high": high,
            "a": a, "b": b, "p": p, "rho": float(rho), "post_a": pa, "post_b": pb}


def shrink_means(mean: Any, se: Any, *, level: float = 0.95) -> dict[str, Any]:
    """Normal–normal empirical-Bayes estimates of partner means.

    ``mu`` is the precision-weighted mean under ``tau2``; ``tau2`` is the
    DerSimonian–Laird moment estimate (truncated at 0). Partners without a
    standard error (``n < 2``) get the prior ``N(mu, tau2)``.

    Examples
    --------
    >>> r = shrink_means([3000.0, 4000.0, 5000.0], [100.0, 100.0, 100.0])
    >>> round(r["tau2"]), round(float(r["shrunk"][0]))
    (990000, 3010)
    """
    y, s = np.asarray(mean, dtype=float), np.asarray(se, dtype=float)
    ok = np.isfinite(y) & np.isfinite(s) & (s > 0)
    if ok.sum() < 2:
        nan = np.full(y.shape, np.nan)
        return {"shrunk": nan, "low": nan, "high": nan, "mu": np.nan, "tau2": np.nan, "post_sd": nan}
    w = 1 / s[ok] ** 2
    mu_fe = np.sum(w * y[ok]) / w.sum()
    q = np.sum(w * (y[ok] - mu_fe) ** 2)
    tau2 = max(0.0, (q - (ok.sum() - 1)) / (w.sum() - np.sum(w**2) / w.sum()))
    wr = 1 / (s[ok] ** 2 + tau2)
    mu = float(np.sum(wr * y[ok]) / wr.sum())
    s2 = np.where(ok, s**2, 1.0)  # placeholder for partners without an SE (they get the prior)
    b = np.where(ok, tau2 / (tau2 + s2), 0.0) if tau2 > 0 else np.zeros(y.shape)
    yy = np.where(ok, y, mu)
    shrunk = mu + b * (yy - mu)
    post_var = np.where(ok, b * s2, tau2)
    sd = np.sqrt(post_var)
    z = stats.norm.isf((1 - level) / 2)
    return {"shrunk": shrunk, "low": shrunk - z * sd, "high": shrunk + z * sd, "mu": mu, "tau2": float(tau2),
            "post_sd": sd}


def funnel_flags(x: Any, n: Any, target: Any, *, flag_level: float = 0.998) -> pd.DataFrame:
    """Exact binomial funnel limits (95 % and 99.8 %) and the flag of each partner.

    A partner is ``above`` (优于全校水平) when the exact binomial upper-tail
    probability ``P(X >= x | n, target)`` is below ``(1 - flag_level)/2``,
    ``below`` (低于全校水平) when ``P(X <= x)`` is, ``within`` (与全校持平)
    otherwise and ``no_data`` when ``n == 0``. The limits are Spiegelhalter's
    interpolated exact limits (:func:`coopmetrics.compare.funnel_limits`, what a
    funnel plot draws); the flag uses the tail probability itself because the
    interpolated upper limit can fall below 100 % where ``x = n`` is not unusual
    (0.97 with n = 60: ``P(X = 60) = 0.16``).

    Returns
    -------
    DataFrame
        ``college_rate``, ``limit95_low``, ``limit95_high``, ``limit998_low``,
        ``limit998_high``, ``flag``, ``flag_zh``, ``flag_en``.

    Examples
    --------
    >>> funnel_flags([10, 5], [10, 10], 0.5)["flag"].tolist()   # P(X = 10) = 1/1024 < 0.001
    ['above', 'within']
    """
    return _labelled(binomial_funnel(x, n, target, flag_level=flag_level))


def binomial_funnel(x: Any, n: Any, target: Any, *, flag_level: float = 0.998) -> dict[str, np.ndarray]:
    """The arrays of :func:`funnel_flags` (without the labels), for the scorecard's hot path.

    The exact binomial quantiles and tails are evaluated once per distinct ``(target, n)``
    and ``(x, n, target)`` (:func:`on_distinct`): the same numbers, far fewer scipy calls.

    Examples
    --------
    >>> binomial_funnel([10, 5, 0], [10, 10, 0], 0.5)["flag"].tolist()
    ['above', 'within', 'no_data']
    """
    x, n = np.asarray(x, dtype=float), np.asarray(n, dtype=float)
    target = np.broadcast_to(np.asarray(target, dtype=float), n.shape)
    nn = np.where(n > 0, n, 1.0)
    lims = on_distinct(lambda t, m: (*funnel_limits(t, m, 0.95), *funnel_limits(t, m, 0.998)), target, nn)
    half_alpha = (1 - flag_level) / 2
    p_hi, p_lo = on_distinct(lambda xx, m, t: (stats.binom.sf(xx - 1, m, t),  # P(X >= x)
                                               stats.binom.cdf(xx, m, t)), x, nn, target)  # P(X <= x)
    flag = np.select([n <= 0, p_hi < half_alpha, p_lo < half_alpha], ["no_data", "above", "below"],
                     default="within").astype(object)
    out = {"college_rate": np.array(target, dtype=float)}
    for name, lim in zip(("limit95_low", "limit95_high", "limit998_low", "limit998_high"), lims, strict=True):
        out[name] = np.where(n <= 0, np.nan, lim)
    out["flag"] = flag
    return out


def normal_funnel(y: Any, n: Any, target: float, sd: float, *, flag_level: float = 0.998) -> dict[str, np.ndarray]:
    """Normal funnel limits ``target ± z·sd/√n`` and flags for means (``sd``: the college's unit SD).

    Examples
    --------
    >>> normal_funnel([3500.0, 3010.0], [100, 100], 3000.0, 500.0)["flag"].tolist()  # z = 10 and 0.2
    ['above', 'within']
    """
    y, n = np.asarray(y, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = sd / np.sqrt(np.where(n > 0, n, np.nan))
    z95, z998, zf = (stats.norm.isf((1 - lv) / 2) for lv in (0.95, 0.998, flag_level))
    flag = np.select([~(n > 0) | ~np.isfinite(y), y > target + zf * half, y < target - zf * half],
                     ["no_data", "above", "below"], default="within").astype(object)
    return {"college_rate": np.full(n.shape, target, dtype=float), "limit95_low": target - z95 * half,
            "limit95_high": target + z95 * half, "limit998_low": target - z998 * half,
            "limit998_high": target + z998 * half, "flag": flag}


def flag_labels(flag: Any) -> tuple[np.ndarray, np.ndarray]:
    """Chinese and English labels of flag codes (:data:`FLAGS`).

    Examples
    --------
    >>> [v.tolist() for v in flag_labels(["above"])]
    [['优于全校水平'], ['above the college']]
    """
    codes = pd.Series(np.asarray(flag, dtype=object), dtype="object")
    return (codes.map({k: v[0] for k, v in FLAGS.items()}).to_numpy(dtype=object),
            codes.map({k: v[1] for k, v in FLAGS.items()}).to_numpy(dtype=object))


def _labelled(arrays: dict[str, np.ndarray]) -> pd.DataFrame:
    out = pd.DataFrame(arrays)
    out["flag_zh"], out["flag_en"] = flag_labels(arrays["flag"])
    return out


def rank_intervals(draws: np.ndarray, *, level: float = 0.95, higher_is_better: bool = True
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rank (1 = best) of each partner in every posterior draw, summarised.

    Parameters
    ----------
    draws : ndarray, shape (n_draws, n_partners)
        Posterior draws; NaN columns (no data) get NaN ranks.

    Returns
    -------
    (median_rank, low, high) : arrays of shape (n_partners,)

    Examples
    --------
    >>> d = np.array([[0.9, 0.1], [0.8, 0.2]])
    >>> rank_intervals(d)[0].tolist()
    [1.0, 2.0]
    """
    d = np.asarray(draws, dtype=float)
    ok = np.all(np.isfinite(d), axis=0)
    sub = d[:, ok] if higher_is_better else -d[:, ok]
    # rank = 1 + number of partners better in that draw (argsort of argsort, descending)
    ranks = np.empty_like(sub)
    order = np.argsort(-sub, axis=1, kind="stable")
    np.put_along_axis(ranks, order, np.arange(1, sub.shape[1] + 1, dtype=float)[None, :], axis=1)
    alpha = (1 - level) / 2
    med, lo, hi = (np.full(d.shape[1], np.nan) for _ in range(3))
    if sub.shape[1]:
        # one sort along the draws gives the median and both quantiles ("lower"/"higher" order statistics)
        srt = np.sort(ranks, axis=0)
        k = srt.shape[0] - 1
        med[ok] = (srt[k // 2] + srt[(k + 1) // 2]) / 2
        lo[ok] = srt[int(np.floor(alpha * k))]
        hi[ok] = srt[int(np.ceil((1 - alpha) * k))]
    return med, lo, hi


def posterior_draws(post: dict[str, Any], draws: int, rng: np.random.Generator) -> np.ndarray:
    """Draws (``draws`` x units) from each unit's posterior; NaN columns for units without data.

    ``post`` is ``{"kind": "beta", "a", "b", "ok"}`` or ``{"kind": "normal", "mean", "sd", "ok"}``.

    Examples
    --------
    >>> d = posterior_draws({"kind": "beta", "a": np.array([2.0, 1.0]), "b": np.array([8.0, 1.0]),
    ...                      "ok": np.array([True, False])}, 5, np.random.default_rng(0))
    >>> d.shape, bool(np.isnan(d[:, 1]).all())
    ((5, 2), True)
    """
    ok = np.asarray(post["ok"], dtype=bool)
    out = np.full((draws, ok.size), np.nan)
    if ok.any():
        if post["kind"] == "beta":
            out[:, ok] = rng.beta(post["a"][ok], post["b"][ok], size=(draws, int(ok.sum())))
        else:
            out[:, ok] = post["mean"][ok] + post["sd"][ok] * rng.standard_normal((draws, int(ok.sum())))
    return out
