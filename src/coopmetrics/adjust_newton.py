"""The batched Newton of :mod:`coopmetrics.adjust_batch`: every cell's logit at once.

:func:`newton` is :func:`coopmetrics.fits.logit_fit` for every cell of a chunk, masked per cell
(the same step halving, divergence stop and convergence rule), from a warm start at each
cell's intercept-only fit. Its iterations (:func:`_newton_rows`) work from segment sums
(:mod:`coopmetrics.adjust_segments`), a few dozen numpy calls per iteration whatever the
number of rows. Most cells converge in about six iterations; a few (separated levels,
fits that diverge until |η| > 25) run 15–25. Those last iterations ran on a handful of
cells and a few hundred rows, yet each cost the same ~2 ms of calls: at 1M rows 1,292 of
1,640 iterations ran on 20 cells or fewer. So once the running cells are few
(:data:`DENSE_MAX`), they continue from where the segment iterations stand on their padded
design matrices (:func:`newton_dense`: cells × rows × active columns, built once), about ten
numpy calls per iteration. The rules are those of
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

from .adjust_segments import (
    Chunk,
    compact,
    dot,
    gather_mat,
    gather_vec,
    gram,
    scatter_vec,
    seg_max,
    seg_sum,
    vec,
)
from .fits import _ETA_MAX, _LL_TOL

__all__ = ["DENSE_MAX", "design_dense", "newton", "newton_dense"]

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
    """Per-cell log-likelihoods of padded rows (as ``_loglik_terms``, summed)."""
    e = np.clip(eta, -_ETA_MAX, _ETA_MAX)
    if sgn is None:
        return (w * (y * e - log1pexp(e))).sum(axis=1)
    return -(w * log1pexp(e * sgn)).sum(axis=1)


def newton_dense(ch: Chunk, yv: np.ndarray, w: np.ndarray, act: np.ndarray, cond_max: np.ndarray,
                 beta: np.ndarray, raw: np.ndarray, max_iter: int, tol: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """``_newton_rows`` on padded dense designs, run until every cell has stopped.

    Same arguments and returns (``beta`` in slots, ``raw`` per chunk row, ``state``, iterations).
    """
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


# ----------------------------------------------------------------------------------------
# Batched Newton for all cells (logit_fit's rules, cell by cell masked)
# ----------------------------------------------------------------------------------------


def newton(ch: Chunk, yv: np.ndarray, w: np.ndarray, fit: np.ndarray, act: np.ndarray, live: np.ndarray,
            cond_max: np.ndarray, max_iter: int = 100, tol: float = 1e-9, warm: bool = True
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`coopmetrics.fits.logit_fit` of every cell on its ``fit`` rows and ``act`` slots.

    Only the ``live`` cells are fitted; a fit counts as converged only with a condition number
    below ``cond_max`` (a margin under the per-cell limit). Returns ``(beta, state, eta)``:
    coefficients in slots, the state of each cell (1 converged, 2 diverging, 0 failed, −1 not
    fitted) and ``Xβ`` of every row. Newton steps are invariant to the columns'
    parametrisation, so each cell takes the per-cell steps: the same step halving, divergence
    stop (|η| > 25) and convergence rule. The iterations run on the fitted rows of the cells
    still running (re-gathered when a third of the rows has finished).
    """
    # warm start at the intercept-only fit: the same optimum in fewer steps where the fit converges
    # (Newton's last step lands within rounding of it from either start); a fit that diverges or
    # fails is redone from 0, the per-cell route's start, since its pinned rows depend on the path
    if not warm:
        beta, state = _newton_from(ch, yv, w, fit, act, live, cond_max, np.zeros(ch.nc), max_iter, tol)
        return beta, state, dot(ch, beta)
    ff = w * fit
    with np.errstate(all="ignore"):
        m = seg_sum(ch, ff * yv) / seg_sum(ch, ff)
        b0 = np.where((m > 0) & (m < 1), np.log(m / (1 - m)), 0.0)
    beta, state = _newton_from(ch, yv, w, fit, act, live, cond_max, b0, max_iter, tol)
    redo = live & (state != 1)
    if redo.any():
        bz, sz = _newton_from(ch, yv, w, fit, act, redo, cond_max, np.zeros(ch.nc), max_iter, tol)
        beta[redo], state[redo] = bz[redo], sz[redo]
    return beta, state, dot(ch, beta)


def _newton_from(ch: Chunk, yv: np.ndarray, w: np.ndarray, fit: np.ndarray, act: np.ndarray, live: np.ndarray,
                 cond_max: np.ndarray, b0: np.ndarray, max_iter: int, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """The iterations of :func:`newton` from the intercept ``b0`` (per cell): ``(beta, state)``."""
    nc, size = ch.nc, ch.lay.size
    beta = np.zeros((nc, size))
    beta[:, 0] = b0
    raw = b0[ch.cid].copy()
    state = np.full(nc, -1)
    running = live.copy()  # cells already left to the per-cell route are not fitted
    it = 0
    while running.any() and it < max_iter:  # a loop over re-gatherings of the running cells
        cells = np.flatnonzero(running)
        rows = np.flatnonzero(running[ch.cid] & fit)
        rank = np.full(nc, -1)
        rank[cells] = np.arange(len(cells))
        sub = Chunk.build(rank[ch.cid[rows]], len(cells), ch.dense[rows], [c[rows] for c in ch.codes], ch.lay)
        nmax = int(np.bincount(sub.cid, minlength=1).max(initial=0))
        # the last few cells (the long tail of slow and diverging fits): dense designs, fewer calls
        run = newton_dense if len(cells) * nmax * act[cells].sum(axis=1).max() <= DENSE_MAX else _newton_rows
        b, r, o, n_it = run(sub, yv[rows], w[rows], act[cells], cond_max[cells], beta[cells], raw[rows],
                            max_iter - it, tol)
        beta[cells], raw[rows] = b, r
        state[cells] = o
        running[cells[o >= 0]] = False
        it += n_it
    return beta, state


def _newton_rows(ch: Chunk, yv: np.ndarray, w: np.ndarray, act: np.ndarray, cond_max: np.ndarray,
                 beta: np.ndarray, raw: np.ndarray, max_iter: int, tol: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Newton iterations of :func:`newton` on the fitted rows of cells that all run at the start;
    returns when a third of the rows belong to finished cells. ``state``: 1 converged, 0 stopped
    otherwise, 2 diverging (|η| > 25), −1 still running. ``beta``, ``raw``: where the
    iterations stand (updated in place)."""
    nc, size = ch.nc, ch.lay.size
    order, valid = compact(act)
    sgn = 1.0 - 2.0 * yv if np.all((yv == 0) | (yv == 1)) else None
    ll = _loglik(ch, yv, sgn, raw, w)
    state = np.full(nc, -1)
    rows_left = np.bincount(ch.cid, minlength=nc).astype(float)
    n_it = 0
    with np.errstate(all="ignore"):
        while n_it < max_iter:  # Newton iterations, every running cell at once
            n_it += 1
            running = state < 0
            p = expit(np.clip(raw, -_ETA_MAX, _ETA_MAX))
            r = yv - p
            r *= w
            p *= 1 - p
            p *= w
            hc = gather_mat(gram(ch, p), order, valid)
            gc = gather_vec(vec(ch, r), order, valid)
            stepc = np.zeros_like(gc)
            stepc[running] = _solve(hc[running], gc[running])
            bad = running & ~np.isfinite(stepc).all(axis=1)
            stepc[~running | bad] = 0.0
            step = scatter_vec(stepc, order, valid, size)
            xs = dot(ch, step)
            ll_new, halved_out = _halve(ch, yv, sgn, w, raw, xs, ll, step, running & ~bad)
            flat = ll_new - ll <= _LL_TOL * (1 + np.abs(ll))
            beta += step
            raw += xs
            ll = np.where(running, ll_new, ll)
            big = seg_max(ch, np.abs(raw))
            small = (seg_max(ch, np.abs(xs)) < tol) | flat
            div = big > _ETA_MAX - 5
            done = running & ~bad & ~div & small & ~halved_out
            state[running & (bad | halved_out)] = 0
            state[running & div & ~bad & ~halved_out] = 2  # diverging: the caller pins |η| > 20
            if done.any():
                state[done] = ((big[done] < _ETA_MAX) & (_cond(hc[done]) < cond_max[done])).astype(int)
            if rows_left[state >= 0].sum() > rows_left.sum() / 3:
                break
    return beta, raw, state, n_it


def solve_stack(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.linalg.solve`` on a stack; a system that is exactly singular gives NaN (its cell leaves
    the fast path) instead of failing the whole stack."""
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        out = np.full_like(b, np.nan)
        for r in range(len(a)):  # only when some matrix of the stack is exactly singular
            try:
                out[r] = np.linalg.solve(a[r], b[r])
            except np.linalg.LinAlgError:
                pass
        return out


def _solve(h: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Newton steps of a stack (a singular Hessian gives a NaN step)."""
    return solve_stack(h, g[:, :, None])[:, :, 0]


def _cond(h: np.ndarray) -> np.ndarray:
    """Condition number of each equilibrated Hessian (as :func:`coopmetrics.fits._identified`;
    identity padding has eigenvalue 1, inside [λmin, λmax] of a unit-diagonal matrix)."""
    d = np.sqrt(np.abs(np.diagonal(h, axis1=1, axis2=2)))
    d = np.where(d > 0, d, 1.0)
    ev = np.linalg.eigvalsh(h / d[:, :, None] / d[:, None, :])
    return np.where(ev[:, 0] > 0, ev[:, -1] / np.where(ev[:, 0] > 0, ev[:, 0], 1.0), np.inf)


def log1pexp(z: np.ndarray) -> np.ndarray:
    """``log(1 + e^z)``: numpy's ``logaddexp(0, z)`` formula, ``max(z, 0) + log1p(e^{−|z|})``, from
    numpy's vectorised ``exp`` and ``log1p`` (about twice as fast as ``logaddexp``'s scalar loop;
    equal to it within 1e-15)."""
    out = np.abs(z)
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    out += np.maximum(z, 0.0)
    return out


def _loglik_terms(yv: np.ndarray, sgn: np.ndarray | None, eta: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``w (y η − log(1 + e^η))`` with η capped; for 0/1 outcomes ``−w log(1 + e^{(1−2y)η})``."""
    e = np.clip(eta, -_ETA_MAX, _ETA_MAX)
    if sgn is None:
        return w * (yv * e - log1pexp(e))
    e *= sgn
    return -w * log1pexp(e)


def _loglik(ch: Chunk, yv: np.ndarray, sgn: np.ndarray | None, eta: np.ndarray, w: np.ndarray) -> np.ndarray:
    return seg_sum(ch, _loglik_terms(yv, sgn, eta, w))


def _halve(ch: Chunk, yv: np.ndarray, sgn: np.ndarray | None, w: np.ndarray, raw: np.ndarray, xs: np.ndarray,
           ll: np.ndarray, step: np.ndarray, live: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Step halving per cell, in place on ``step`` and ``xs``; returns the new log-likelihoods and
    the cells that still failed after 29 halvings (left to the per-cell route)."""
    ll_new = _loglik(ch, yv, sgn, raw + xs, w)
    need = live & ~(ll_new >= ll - 1e-12 * (1 + np.abs(ll)))
    for _half in range(29):  # rarely more than one or two
        if not need.any():
            break
        step[need] /= 2
        r = np.flatnonzero(need[ch.cid])  # the rows of the cells that halve
        xs[r] /= 2
        terms = _loglik_terms(yv[r], None if sgn is None else sgn[r], raw[r] + xs[r], w[r])
        ll_new = np.where(need, np.bincount(ch.cid[r], weights=terms, minlength=ch.nc), ll_new)
        need &= ~(ll_new >= ll - 1e-12 * (1 + np.abs(ll)))
    return ll_new, need
