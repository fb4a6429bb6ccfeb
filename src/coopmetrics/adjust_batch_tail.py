"""The tail of the batched Newton of :mod:`coopmetrics.adjust_batch`: the last few cells, dense.

The batched Newton of :func:`coopmetrics.adjust_batch._newton` works from segment sums
(:mod:`coopmetrics.adjust_segments`), a few dozen numpy calls per iteration whatever the
number of rows. Most cells converge in about six iterations; a few (separated levels,
fits that diverge until |η| > 25) run 15–25. Those last iterations ran on a handful of
cells and a few hundred rows, yet each cost the same ~2 ms of calls: at 1M rows 1,292 of
1,640 iterations ran on 20 cells or fewer. Here the remaining cells continue from where
the segment iterations stand, on their padded design matrices (cells × rows × active
columns, built once): about ten numpy calls per iteration. The rules are those of
``_newton_rows`` step for step (Newton step, halving, divergence and convergence stops,
condition number), so the iterates are the same up to rounding.

Examples
--------
>>> import numpy as np
>>> from coopmetrics.adjust_segments import Chunk, Layout
>>> lay = Layout(names=np.array(["", "x"], dtype=object), dense=[1], blocks=[])
>>> x = np.array([[0.], [1.], [2.], [3.], [4.], [5.]])
>>> ch = Chunk.build(np.zeros(6, dtype=int), 1, x, [], lay)
>>> y = np.array([0, 0, 1, 0, 1, 1.])
>>> b, raw, state, n_it = newton_dense(ch, y, np.ones(6), np.ones((1, 2), dtype=bool), np.array([1e8]),
...                                    np.zeros((1, 2)), np.zeros(6), 100, 1e-9)
>>> from coopmetrics.fits import logit_fit
>>> ref = logit_fit(y, np.column_stack([np.ones(6), x]), np.ones(6)).beta
>>> state.tolist(), bool(np.allclose(b[0], ref, rtol=1e-10))
([1], True)
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from .adjust_segments import Chunk, compact
from .fits import _ETA_MAX, _LL_TOL

__all__ = ["DENSE_MAX", "design_dense", "newton_dense"]

DENSE_MAX = 400_000  # padded elements (cells × rows × columns) up to which the dense iterations are used


def design_dense(ch: Chunk, act: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each cell's design on its active slots, padded: ``(x, pos, valid)`` with ``x`` cells × rows ×
    columns (padding rows and columns 0), ``pos`` the row of every chunk row in its cell's block."""
    lay, n = ch.lay, len(ch.cid)
    xs = np.zeros((n, lay.size))
    xs[:, 0] = 1.0
    if lay.dense:
        xs[:, lay.dense] = ch.dense
    r = np.arange(n)
    for code, (o, _nl) in zip(ch.codes, lay.blocks, strict=True):  # a loop over covariates
        xs[r, o + code] = 1.0
    order, valid = compact(act)
    xc = np.take_along_axis(xs, order[ch.cid], axis=1) * valid[ch.cid]
    pos = r - ch.starts[ch.cid]
    nmax = int(pos.max(initial=-1)) + 1
    x = np.zeros((ch.nc, max(nmax, 1), order.shape[1]))
    x[ch.cid, pos] = xc
    return x, pos, valid


def _terms(y: np.ndarray, sgn: np.ndarray | None, eta: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Per-cell log-likelihoods of padded rows (as ``adjust_batch._loglik_terms``, summed)."""
    e = np.clip(eta, -_ETA_MAX, _ETA_MAX)
    if sgn is None:
        return (w * (y * e - np.logaddexp(0.0, e))).sum(axis=1)
    return -(w * np.logaddexp(0.0, e * sgn)).sum(axis=1)


def newton_dense(ch: Chunk, yv: np.ndarray, w: np.ndarray, act: np.ndarray, cond_max: np.ndarray,
                 beta: np.ndarray, raw: np.ndarray, max_iter: int, tol: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """``adjust_batch._newton_rows`` on padded dense designs, run until every cell has stopped.

    Same arguments and returns (``beta`` in slots, ``raw`` per chunk row, ``state``, iterations).
    """
    from .adjust_batch import _cond, _solve

    nc = ch.nc
    x, pos, valid = design_dense(ch, act)
    order = compact(act)[0]
    k = x.shape[2]
    pad = np.zeros((nc, k, k))
    pad[:, np.arange(k), np.arange(k)] = ~valid  # identity on padded columns
    y, ww, r0 = (np.zeros(x.shape[:2]) for _ in range(3))
    y[ch.cid, pos], ww[ch.cid, pos], r0[ch.cid, pos] = yv, w, raw
    sgn = 1.0 - 2.0 * y if np.all((yv == 0) | (yv == 1)) else None
    bc = np.take_along_axis(beta, order, axis=1) * valid
    ll = _terms(y, sgn, r0, ww)
    state = np.full(nc, -1)
    ids = np.arange(nc)  # the running cells; the arrays below hold those only
    n_it = 0
    with np.errstate(all="ignore"):
        while len(ids) and n_it < max_iter:  # Newton iterations, the running cells at once
            n_it += 1
            xi, yi, wi, ri = x[ids], y[ids], ww[ids], r0[ids]
            si = None if sgn is None else sgn[ids]
            p = expit(np.clip(ri, -_ETA_MAX, _ETA_MAX))
            z = xi * np.sqrt(wi * p * (1 - p))[:, :, None]
            h = np.matmul(z.transpose(0, 2, 1), z) + pad[ids]
            g = np.matmul(xi.transpose(0, 2, 1), (wi * (yi - p))[:, :, None])[:, :, 0]
            step = _solve(h, g)
            bad = ~np.isfinite(step).all(axis=1)
            step[bad] = 0.0
            xs = np.matmul(xi, step[:, :, None])[:, :, 0]
            lli = ll[ids]
            ll_new = _terms(yi, si, ri + xs, wi)
            need = ~bad & ~(ll_new >= lli - 1e-12 * (1 + np.abs(lli)))
            for _half in range(29):  # rarely more than one or two
                if not need.any():
                    break
                step[need] /= 2
                xs[need] /= 2
                ll_new = np.where(need, _terms(yi, si, ri + xs, wi), ll_new)
                need &= ~(ll_new >= lli - 1e-12 * (1 + np.abs(lli)))
            flat = ll_new - lli <= _LL_TOL * (1 + np.abs(lli))
            bc[ids] += step
            ri = ri + xs
            r0[ids] = ri
            ll[ids] = ll_new
            big = np.abs(ri).max(axis=1)  # padding rows hold 0
            small = (np.abs(xs).max(axis=1) < tol) | flat
            div = big > _ETA_MAX - 5
            done = ~bad & ~div & small & ~need
            st = np.full(len(ids), -1)
            st[bad | need] = 0
            st[div & ~bad & ~need] = 2
            if done.any():
                st[done] = ((big[done] < _ETA_MAX) & (_cond(h[done]) < cond_max[ids[done]])).astype(int)
            state[ids] = st
            ids = ids[st < 0]
    out = beta.copy()
    np.put_along_axis(out, order, np.where(valid, bc, 0.0), axis=1)  # inactive slots stay 0
    return out, r0[ch.cid, pos], state, n_it
