"""Poisson draws by inverse CDF for the bootstrap of means (:mod:`coopmetrics.compare_base`).

:func:`_poisson_ppf` gives ``scipy.stats.poisson.ppf``'s values from the exact CDF
(``scipy.special.pdtr``) without scipy's iterative inversion per value.

Examples
--------
>>> import numpy as np
>>> from coopmetrics.compare_draws import _poisson_ppf
>>> _poisson_ppf(np.array([0.1, 0.5, 0.9]), np.array([100.0, 100.0, 100.0])).tolist()
[87.0, 100.0, 113.0]
"""

from __future__ import annotations

import numpy as np


def _poisson_ppf(u: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Poisson(lam) draws by inverse CDF of the uniforms ``u`` (large cells and arms).

    ``scipy.stats.poisson.ppf`` (the smallest ``k`` with ``P(X <= k) >= u``) without its
    iterative inversion per value (``pdtrik``; the exact bootstrap of a college's salaries
    spent 85 % of its time there), from the exact CDF (``scipy.special.pdtr``): a mean drawn
    often (a cell's count, across the replicates) gets its CDF over ``λ ± 10√λ + 10`` once and
    its draws bisect it (a dozen vectorised steps for all draws); the other draws step from a
    Cornish–Fisher start (one or two CDF values each). In the far tails (``u`` within 1e-9 of 0
    or 1, where the CDF's last bits decide) scipy's own answer. Equal to scipy's values (tested).
    """
    u, lam = np.broadcast_arrays(np.asarray(u, dtype=float), np.asarray(lam, dtype=float))
    shape = u.shape
    u, lam = u.ravel(), lam.ravel()
    out = np.empty(len(u))
    if not len(u):
        return out.reshape(shape)
    uniq, which = np.unique(lam, return_inverse=True)
    size = 2 * np.ceil(10 * np.sqrt(np.maximum(uniq, 0)) + 10) + 2  # table length of each mean
    table = np.bincount(which, minlength=len(uniq)) * 4 >= size  # a table pays for itself
    on_table = table[which]
    out[on_table] = _ppf_tables(u[on_table], uniq[table], np.cumsum(table)[which[on_table]] - 1)
    out[~on_table] = _ppf_steps(u[~on_table], lam[~on_table])
    tail = np.flatnonzero((u > 1 - 1e-9) | (u < 1e-9))
    if len(tail):
        from scipy.stats import poisson

        out[tail] = poisson.ppf(u[tail], lam[tail])
    return out.reshape(shape)


def _ppf_tables(u: np.ndarray, means: np.ndarray, which: np.ndarray) -> np.ndarray:
    """Smallest ``k`` with ``pdtr(k, means[which]) >= u``: each mean's CDF table, bisected by all draws."""
    from scipy.special import pdtr

    if not len(u):
        return np.empty(0)
    sd = np.sqrt(np.maximum(means, 0))
    lo = np.maximum(np.floor(means - 10 * sd - 10), 0).astype(np.int64)
    size = np.ceil(means + 10 * sd + 10).astype(np.int64) - lo + 1
    start = np.r_[0, np.cumsum(size)[:-1]]
    ks = np.repeat(lo - start, size) + np.arange(int(size.sum()))  # each mean's k range, concatenated
    cdf = pdtr(ks, np.repeat(means, size))
    a, b = start[which], start[which] + size[which] - 1
    while True:  # about log2(20 sqrt(λ)) vectorised steps over all draws
        open_ = a < b
        if not open_.any():
            break
        mid = (a + b) // 2
        hit = cdf[mid] >= u
        b = np.where(open_ & hit, mid, b)
        a = np.where(open_ & ~hit, mid + 1, a)
    k = ks[a].astype(float)
    # outside a table (probability < 1e-20) or a CDF not monotone in its last bit: step from there
    odd = np.flatnonzero((cdf[a] < u) | ((a > start[which]) & (cdf[np.maximum(a - 1, 0)] >= u)))
    if len(odd):
        k[odd] = _ppf_steps(u[odd], means[which[odd]])
    return k


def _ppf_steps(u: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Smallest ``k`` with ``pdtr(k, lam) >= u`` by steps from a Cornish–Fisher start."""
    from scipy.special import ndtri, pdtr

    z = ndtri(u)
    with np.errstate(invalid="ignore"):
        k = np.maximum(np.floor(lam + np.sqrt(lam) * z + (z * z - 1) / 6), 0.0)
    k[~np.isfinite(k)] = 0.0
    idx = np.flatnonzero(pdtr(k, lam) < u)  # too low: step up until the CDF reaches u
    while len(idx):  # a few steps for a few draws, not a loop over draws
        k[idx] += 1
        idx = idx[pdtr(k[idx], lam[idx]) < u[idx]]
    idx = np.flatnonzero(k > 0)  # too high: step down while the CDF one below still reaches u
    idx = idx[pdtr(k[idx] - 1, lam[idx]) >= u[idx]]
    while len(idx):
        k[idx] -= 1
        idx = idx[k[idx] > 0]
        idx = idx[pdtr(k[idx] - 1, lam[idx]) >= u[idx]]
    return k
