"""Adjusted comparisons of all cells of a chunk at once: the vectorised fast path of ``fit_cells``.

:func:`coopmetrics.adjust.fit_cell_g` fits one comparison cell (its design, the
propensity and outcome logits taken to their limits, the stacked sandwich, balance).
This module computes the same for every cell of a chunk together, from segment sums
over the rows sorted by cell (:mod:`coopmetrics.adjust_segments`): the designs are
never built as matrices; the logistic fits are one batched Newton iteration for all
cells (gradients and Hessians from bincounts, one ``np.linalg.solve`` on the stack);
constant columns, separated levels (:func:`coopmetrics.fits._pin_levels`) and the
estimates, sandwich and balance rows are the per-cell formulas written as sums per cell.

A cell is answered here only when its result is certain to be the per-cell route's: its
designs are clearly of full rank (the criterion of
:func:`coopmetrics.fits._clearly_full_rank`, from the stacked cross-products), every
logit converges at its first round well inside the per-cell identification limit, and
no estimate hits a special case. Every other cell (columns to drop by the pivoted QR, a
diverging logit to be taken to its limit, no overlap, ...) is sent back to the per-cell
route (:func:`cells_fast` returns it as *slow*). Fast-path cases: yes/no outcomes with
``aipw`` or ``ipw``, and mean outcomes with ``ra``, ``aipw`` or ``ipw`` (least-squares outcome
models, :mod:`coopmetrics.adjust_batch_ols`), ATT or ATE, without clusters; other calls use the
per-cell route.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from coopmetrics.compare import compare_values
>>> rng = np.random.default_rng(0)
>>> v = pd.DataFrame({"program": rng.choice(["regular", "order_class"], 400), "x": rng.normal(size=400)})
>>> v["value"] = (rng.random(400) < 0.4).astype(float)
>>> r = compare_values(v, "proportion", adjust=["x"]).table
>>> round(float(r["difference"].iloc[0]), 4)
0.0319
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from .adjust_batch_rows import balance, effects, first_names, join_flags, num_text, overlap_flags
from .adjust_newton import newton as _newton
from .adjust_newton import solve_stack
from .adjust_segments import (
    Chunk,
    Layout,
    compact,
    dot,
    gather_mat,
    gather_vec,
    gram,
    scatter_vec,
    seg_max,
    seg_min,
    seg_sum,
    vec,
)
from .fits import _COND_MAX, _ETA_MAX, _FAST_COND, _PIN, _R_CONST, _RANK_TOL, Covariates

__all__ = ["FastCells", "cells_fast", "layout"]

_COND_SAFE = _COND_MAX / 100  # a fit this well identified is identified for the per-cell route too


def layout(cov: Covariates) -> Layout:
    """The slot layout of the covariates (see :mod:`coopmetrics.adjust_segments`)."""
    names: list[str] = [""]
    dense: list[int] = []
    blocks: list[tuple[int, int]] = []
    for c in cov.names:  # a loop over covariates
        if c in cov.numeric:
            dense.append(len(names))
            names.append(c)
        else:
            lv = cov.levels[c]
            blocks.append((len(names), len(lv)))
            names.extend(f"{c}={v}" for v in lv)
    return Layout(np.asarray(names, dtype=object), dense, blocks)


@dataclass(frozen=True)
class FastCells:
    """What :func:`cells_fast` answered: comparison rows (``cell`` = position in the chunk),
    balance rows (``cell`` column) and the cells left to the per-cell route (``slow``)."""

    rows: pd.DataFrame
    balance: dict[str, np.ndarray]
    slow: np.ndarray


# ----------------------------------------------------------------------------------------
# Per-cell reductions with possibly empty cells
# ----------------------------------------------------------------------------------------


def _minmax(cid: np.ndarray, v: np.ndarray, nc: int, mask: np.ndarray | None = None
            ) -> tuple[np.ndarray, np.ndarray]:
    """Minimum and maximum of ``v`` over each cell's rows (``mask``: those rows only); NaN if none."""
    if mask is not None:
        lo_v, hi_v = np.where(mask, v, np.inf), np.where(mask, v, -np.inf)
    else:
        lo_v = hi_v = v
    cnt = np.bincount(cid, minlength=nc) if mask is None else np.bincount(cid, weights=mask, minlength=nc)
    starts = np.searchsorted(cid, np.arange(nc))
    ne = np.bincount(cid, minlength=nc) > 0
    lo, hi = np.full(nc, np.nan), np.full(nc, np.nan)
    if ne.any():
        lo[ne] = np.minimum.reduceat(lo_v, starts[ne])
        hi[ne] = np.maximum.reduceat(hi_v, starts[ne])
    lo[cnt == 0] = hi[cnt == 0] = np.nan
    return lo, hi


def _dense_constant(ch: Chunk, fit: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`coopmetrics.fits._constant` of each cell's numeric columns over its (``fit``) rows:
    ``(constant, unsure)``; an unsure column (the range leaves the standard deviation rule open)
    sends the cell to the per-cell route."""
    d = ch.dense.shape[1]
    const = np.zeros((ch.nc, d), dtype=bool)
    unsure = np.zeros((ch.nc, d), dtype=bool)
    n = seg_sum(ch, np.ones(len(ch.cid)) if fit is None else fit.astype(float))
    for j in range(d):  # a loop over numeric covariates
        x = ch.dense[:, j]
        hi = seg_max(ch, x if fit is None else np.where(fit, x, -np.inf))
        lo = seg_min(ch, x if fit is None else np.where(fit, x, np.inf))
        with np.errstate(all="ignore"):
            tol = 1e-12 * (1 + np.maximum(np.abs(hi), np.abs(lo)))
            const[:, j] = hi - lo <= tol
            unsure[:, j] = ~const[:, j] & ((hi - lo) / np.sqrt(2 * np.maximum(n, 1)) <= 10 * tol)
    return const, unsure


def _full_rank(chs: Chunk, fit: np.ndarray, t: np.ndarray | None, act: np.ndarray) -> np.ndarray:
    """:func:`coopmetrics.fits._clearly_full_rank` of every cell's active columns over its ``fit`` rows
    (``t``: the cohort indicator projected out, or None), from the stacked centred cross-products.

    ``chs`` has its numeric columns shifted by cell means (no cancellation). Where this says
    True the pivoted QR keeps every column (it passes the same criterion up to rounding, with a
    margin of 10⁴ in the pivot ratio); where False the cell goes to the per-cell route.
    """
    f = fit.astype(float)
    g = gram(chs, f)
    nf = g[:, 0, 0]
    with np.errstate(all="ignore"):
        m = g[:, 0, :] / nf[:, None]
        cov = g / nf[:, None, None] - m[:, :, None] * m[:, None, :]
        a = act.copy()
        a[:, 0] = False
        k = a.sum(axis=1)
        order, valid = compact(a)
        c = gather_mat(cov, order, valid)
        sd = np.sqrt(np.diagonal(c, axis1=1, axis2=2))
        ok = (nf >= k + 2) & (k > 0) & ((sd > 0) | ~valid).all(axis=1)
        sd = np.where(valid & (sd > 0), sd, 1.0)
        gg = c / sd[:, :, None] / sd[:, None, :]
        if t is not None:
            mt = seg_sum(chs, t * f) / nf
            vt = mt - mt**2
            ct = gather_vec(vec(chs, t * f) / nf[:, None] - mt[:, None] * m, order, valid) / sd
            proj = np.where(vt > 0, 1 / np.where(vt > 0, vt, 1.0), 0.0)
            gg = gg - ct[:, :, None] * ct[:, None, :] * proj[:, None, None]
        diag = np.diagonal(gg, axis1=1, axis2=2)
        ok &= ((diag > 10 * _RANK_TOL) | ~valid).all(axis=1)
        gg = np.where(np.isfinite(gg), gg, 0.0)
        ev = np.linalg.eigvalsh(gg)
        ok &= ev[:, 0] > _FAST_COND * ev[:, -1]
    return ok


# ----------------------------------------------------------------------------------------
# One logit at its limit (logit_limit_g's first round), for all cells
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Limit:
    p: np.ndarray      # fitted probability of every row (separated rows exactly 0/1)
    act: np.ndarray    # slots of the final design (cells × slots)
    fit: np.ndarray    # rows in the model
    ok: np.ndarray     # cells answered here
    beta: np.ndarray | None = None   # coefficients in slots of the final fit (cells × slots)
    first: np.ndarray | None = None  # cells whose first round converged (no separation refits)


def _limit(ch: Chunk, chs: Chunk, yv: np.ndarray, w: np.ndarray, rows: np.ndarray, act: np.ndarray,
           has_block: np.ndarray, live: np.ndarray, rounds: int = 4) -> _Limit:
    """:func:`coopmetrics.fits.logit_limit_g` on ``rows`` for every cell: separated levels pinned
    (:func:`coopmetrics.fits._pin_levels`, the same block order), then rounds of: columns constant
    on the remaining rows dropped, a Newton fit, and if it diverges the rows with |η| > 20 pinned
    at 0/1. Anything the per-cell route would settle otherwise (a full-rank check that is not
    clear, one outcome left, no convergence) leaves the cell to the per-cell route."""
    nc, n = ch.nc, len(yv)
    pinned, value = np.zeros(n, dtype=bool), np.full(n, np.nan)
    for b, (key, (_o, nl)) in enumerate(zip(ch.keys, ch.lay.blocks, strict=True)):  # loop over covariates
        kr = key[rows]
        cnt = np.bincount(kr, minlength=nc * nl)
        s1 = np.bincount(kr, weights=yv[rows], minlength=nc * nl)
        sep = (cnt > 0) & ((s1 == 0) | (s1 == cnt)) & np.repeat(has_block[:, b], nl)
        hit = sep[key] & ~pinned
        value[hit] = (s1[key[hit]] > 0).astype(float)
        pinned |= hit
    ok = np.zeros(nc, dtype=bool)
    a_out, fit_out, p_out = act.copy(), np.zeros(n, dtype=bool), np.full(n, np.nan)
    beta_out, first = np.zeros((nc, ch.lay.size)), np.zeros(nc, dtype=bool)
    going = live.copy()
    for rnd in range(rounds):  # a loop over refits after separation (as logit_limit_g), not cells
        fit = rows & ~pinned
        a, good, rebased = _fit_design_of(ch, chs, yv, fit, pinned, act, has_block, going)
        going &= good
        if not going.any():
            break
        # another reference level changes the Hessian's conditioning (not the fit): a wider margin there
        # refits follow a divergence and mostly diverge again: they start at 0 (no warm start to redo)
        beta, state, eta = _newton(ch, yv, w, fit, a, going, np.where(rebased, _COND_MAX / 1e4, _COND_SAFE),
                                   warm=rnd == 0)
        conv = going & (state == 1)
        rc = conv[ch.cid]
        ok |= conv
        beta_out[conv] = beta[conv]
        first |= conv & (rnd == 0)
        a_out[conv] = a[conv]
        fit_out[rc] = fit[rc]
        p_out[rc] = np.where(pinned, value, expit(np.clip(eta, -_ETA_MAX, _ETA_MAX)))[rc]
        going &= state == 2
        new = going[ch.cid] & ~pinned & (np.abs(eta) > _PIN)
        going &= np.bincount(ch.cid[new], minlength=nc) > 0  # nothing to pin: not converged (per-cell route)
        new &= going[ch.cid]
        value[new] = (eta[new] > 0).astype(float)
        pinned |= new
    return _Limit(p_out, a_out, fit_out, ok, beta_out, first)


def _pin_tables(ch: Chunk, yv: np.ndarray, rows: np.ndarray, has_block: np.ndarray
                ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per text covariate, which (cell, level) separate ``yv`` on ``rows`` and at which value
    (the tables of :func:`coopmetrics.fits._pin_levels`)."""
    out = []
    for b, (key, (_o, nl)) in enumerate(zip(ch.keys, ch.lay.blocks, strict=True)):  # loop over covariates
        kr = key[rows]
        cnt = np.bincount(kr, minlength=ch.nc * nl)
        s1 = np.bincount(kr, weights=yv[rows], minlength=ch.nc * nl)
        out.append(((cnt > 0) & ((s1 == 0) | (s1 == cnt)) & np.repeat(has_block[:, b], nl), (s1 > 0).astype(float)))
    return out


def _outcome_ref(ch: Chunk, chs: Chunk, t: np.ndarray, y: np.ndarray, w: np.ndarray, act: np.ndarray,
                 has_block: np.ndarray, live: np.ndarray, group: np.ndarray | None) -> _Limit:
    """The reference arm's outcome logit of every cell (``_limit`` on ``t == 0``), fitted once per
    group where the cells of a group share it.

    The cells of one group (``group``: the same code for cells with the same reference rows) fit
    the same rows. Where a cell's reference level of every text covariate has fitted rows, its
    fit design is the group's in the same basis (the group's first level with fitted rows is that
    level; levels without fitted rows have no column, so their rows are predicted at it), the
    pinned levels are the group's, and the Newton steps, condition number and coefficients are
    the group's: the group fit (if its first round converges) answers the cell. Other cells are
    fitted one by one as before.
    """
    nc = ch.nc
    if group is None or not live.any():
        return _limit(ch, chs, y, w, t == 0, act, has_block, live)
    gid = np.unique(group, return_inverse=True)[1].reshape(-1)
    ng = int(gid.max()) + 1
    lead = np.zeros(nc, dtype=bool)
    lead[np.unique(gid, return_index=True)[1]] = True  # the first cell of each group
    rows = np.flatnonzero((t == 0) & lead[ch.cid])
    rows = rows[np.argsort(gid[ch.cid[rows]], kind="stable")]  # by group (codes need not follow the cells)
    gch = Chunk.build(gid[ch.cid[rows]], ng, ch.dense[rows], [c[rows] for c in ch.codes], ch.lay)
    cnt = seg_sum(gch, np.ones(len(rows)))
    shift = np.column_stack([seg_sum(gch, gch.dense[:, j]) / cnt for j in range(gch.dense.shape[1])]) \
        if gch.dense.shape[1] else np.zeros((ng, 0))
    gact = np.zeros((ng, ch.lay.size), dtype=bool)
    gact[:, 0] = True
    gact[:, ch.lay.dense] = True  # constant numeric columns are dropped by _fit_design
    ghas = np.zeros((ng, len(ch.lay.blocks)), dtype=bool)
    for b, (key, (o, nl)) in enumerate(zip(gch.keys, ch.lay.blocks, strict=True)):  # a loop over covariates
        present = np.bincount(key, minlength=ng * nl).reshape(ng, nl) > 0
        a = present.copy()
        a[np.arange(ng), present.argmax(axis=1)] = False
        gact[:, o:o + nl] = a
        ghas[:, b] = present.sum(axis=1) >= 2
    glive = np.bincount(gid, weights=live, minlength=ng) > 0
    og = _limit(gch, gch.shifted(shift), y[rows], w[rows], np.ones(len(rows), dtype=bool), gact, ghas, glive)
    # a cell shares the group fit when each text covariate's reference level has fitted rows
    share = live & og.ok[gid] & og.first[gid]
    for bi, (key, (_o, nl)) in enumerate(zip(gch.keys, ch.lay.blocks, strict=True)):  # loop over covariates
        cf = np.bincount(key[og.fit], minlength=ng * nl).reshape(ng, nl)[gid]
        present = np.bincount(ch.keys[bi], minlength=nc * nl).reshape(nc, nl) > 0
        l0 = present.argmax(axis=1)  # the cell's reference level
        share &= ~has_block[:, bi] | (cf[np.arange(nc), l0] > 0)
    pinned, value = np.zeros(len(t), dtype=bool), np.full(len(t), np.nan)
    for code, (sep, val) in zip(ch.codes, _pin_tables(gch, y[rows], np.ones(len(rows), dtype=bool), ghas),
                                strict=True):
        k2 = gid[ch.cid] * (sep.size // ng) + code  # (group, level) of every row
        hit = sep[k2] & ~pinned
        value[hit] = val[k2[hit]]
        pinned |= hit
    eta = dot(ch, og.beta[gid])
    p = np.where(pinned, value, expit(np.clip(eta, -_ETA_MAX, _ETA_MAX)))
    rs = share[ch.cid]
    out = _Limit(np.where(rs, p, np.nan), np.where(share[:, None], og.act[gid], act), (t == 0) & ~pinned & rs,
                 share.copy())
    rest = np.flatnonzero(live & ~share)
    if len(rest):  # the other cells one by one, on their own rows
        r = np.flatnonzero(np.isin(ch.cid, rest))
        rank = np.full(nc, -1)
        rank[rest] = np.arange(len(rest))
        sub = Chunk.build(rank[ch.cid[r]], len(rest), ch.dense[r], [c[r] for c in ch.codes], ch.lay)
        subs = replace(sub, dense=chs.dense[r])
        oc = _limit(sub, subs, y[r], w[r], t[r] == 0, act[rest], has_block[rest], np.ones(len(rest), dtype=bool))
        out.p[r], out.fit[r] = oc.p, oc.fit
        out.act[rest], out.ok[rest] = oc.act, oc.ok
    return out


def _fit_design(ch: Chunk, chs: Chunk, yv: np.ndarray, fit: np.ndarray, pinned: np.ndarray, act: np.ndarray,
                has_block: np.ndarray, live: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The design of one round of :func:`_limit` (``reduce_design`` on the ``fit`` rows): the active
    slots, the cells where it is certain (two outcomes left, clearly of full rank; checked on the
    ``live`` cells only, False elsewhere) and the cells whose text covariate lost its reference
    level (another level dropped instead)."""
    nc = ch.nc
    ff = fit.astype(float)
    nf = seg_sum(ch, ff)
    if np.all((yv == 0) | (yv == 1)):  # two outcomes left: a count, not a min and max
        s1 = seg_sum(ch, yv * ff)
        ok = (s1 > 0) & (s1 < nf)
    else:
        ylo, yhi = _minmax(ch.cid, yv, nc, fit)
        ok = np.isfinite(ylo) & (ylo < yhi)
    const, unsure = _dense_constant(ch, fit)
    ok &= ~unsure.any(axis=1)
    a = act.copy()
    for j, s in enumerate(ch.lay.dense):
        a[:, s] &= ~const[:, j]
    rebased = np.zeros(nc, dtype=bool)
    for b, (key, (o, nl)) in enumerate(zip(ch.keys, ch.lay.blocks, strict=True)):  # a loop over covariates
        cf = np.bincount(key[fit], minlength=nc * nl).reshape(nc, nl)
        # the cell's reference level (its level without a column) has no fitted row
        ref_gone = has_block[:, b] & ((cf * ~act[:, o:o + nl]).sum(axis=1) == 0)
        a[:, o:o + nl] &= (cf > 0) & (cf < nf[:, None])
        # its dummies then sum to the intercept: the QR of reduce_design drops one of them (which one
        # does not change the fit's span, so not p, e or the sandwich); here the first level is dropped
        two = ref_gone & (a[:, o:o + nl].sum(axis=1) >= 2)
        # ... but the rows of levels without a fitted row are then predicted at the dropped level:
        # a cell with such rows (not pinned) has the QR's choice in its numbers: per-cell route
        if two.any():
            unfit = ~pinned & (cf.ravel()[key] == 0)
            ok &= ~(two & (np.bincount(ch.cid[unfit], minlength=nc) > 0))
        first = a[:, o:o + nl].argmax(axis=1)
        a[np.flatnonzero(two), o + first[two]] = False
        rebased |= two
    keep = ok & live
    if keep.all():
        ok &= _full_rank(chs, fit, None, a)
    else:  # refits after separation concern a few cells: their rows only (not a gram of the chunk)
        sub, r, cells = _sub(chs, keep)
        ok &= False
        if len(cells):
            ok[cells] = _full_rank(sub, fit[r], None, a[cells])
    return a, ok, rebased


def _fit_design_of(ch: Chunk, chs: Chunk, yv: np.ndarray, fit: np.ndarray, pinned: np.ndarray, act: np.ndarray,
                   has_block: np.ndarray, live: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_fit_design` of the ``live`` cells; on their rows only when they are a few (the
    refits after separation), not on every row of the chunk. Other cells keep ``act``, not ok."""
    if live.sum() * 2 > ch.nc:
        return _fit_design(ch, chs, yv, fit, pinned, act, has_block, live)
    sub, r, cells = _sub(ch, live)
    a, ok, rebased = act.copy(), np.zeros(ch.nc, dtype=bool), np.zeros(ch.nc, dtype=bool)
    if len(cells):
        a[cells], ok[cells], rebased[cells] = _fit_design(sub, replace(sub, dense=chs.dense[r]), yv[r], fit[r],
                                                          pinned[r], act[cells], has_block[cells],
                                                          np.ones(len(cells), dtype=bool))
    return a, ok, rebased


def _sub(ch: Chunk, keep: np.ndarray) -> tuple[Chunk, np.ndarray, np.ndarray]:
    """The chunk of the ``keep`` cells (numbered in order), its rows in ``ch`` and the cells."""
    cells = np.flatnonzero(keep)
    rows = np.flatnonzero(keep[ch.cid])
    rank = np.full(ch.nc, -1)
    rank[cells] = np.arange(len(cells))
    return Chunk.build(rank[ch.cid[rows]], len(cells), ch.dense[rows], [c[rows] for c in ch.codes], ch.lay), rows, cells


# ----------------------------------------------------------------------------------------
# Stacked sandwich: models with block-diagonal Jacobians, then scalar equations
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Model:
    """One nuisance model in the stacked equations: ``ψ = a(row) · x(row)`` on slots ``act``,
    Jacobian ``A = −XᵀSX`` (``jac_w``: the row weights S) and ``c``: ∂(scalar eq.)/∂θ per scalar
    equation (cells × slots each)."""

    act: np.ndarray
    a: np.ndarray
    jac_w: np.ndarray
    c: list[np.ndarray]


def _sandwich(ch: Chunk, models: list[_Model], b: list[np.ndarray], d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 2 × 2 covariance of the last two scalar parameters (the means), every cell.

    The stacked Jacobian is ``[[diag(A_i), 0], [C, D]]``, so the last rows of its inverse are
    ``L = D⁻¹[-2:] · [−C_i A_i⁻¹ …, I]`` and the sandwich block is ``Σ_rows u uᵀ`` with
    ``u = ψ Lᵀ``: per row, gathers of ``L`` (no p × p product over the rows). Returns the
    covariances (cells × 2 × 2) and which cells had finite, invertible blocks.
    """
    size = ch.lay.size
    with np.errstate(all="ignore"):
        good = np.isfinite(d).all(axis=(1, 2))
        good[good] &= np.abs(np.linalg.det(d[good])) > 0
        d = np.where(good[:, None, None], d, np.eye(d.shape[1]))  # cells without an answer: any invertible D
        ls = np.linalg.inv(d)[:, -2:, :]  # (cells, 2, q)
        ok = good & np.isfinite(ls).all(axis=(1, 2))
        u = [np.zeros(len(ch.cid)), np.zeros(len(ch.cid))]
        for mdl in models:  # two or three models: a loop over equations, not cells
            order, valid = compact(mdl.act)
            ac = -gather_mat(gram(ch, mdl.jac_w), order, valid)
            cc = gather_vec(np.stack(mdl.c, axis=2), order, valid)  # (cells, k, q)
            x = solve_stack(ac.transpose(0, 2, 1), cc)  # A⁻ᵀ Cᵀ: (cells, k, q)
            li = -np.einsum("crq,ckq->crk", ls, x)  # (cells, 2, k)
            ok &= np.isfinite(li).all(axis=(1, 2))
            for r in range(2):
                lr = scatter_vec(np.where(np.isfinite(li[:, r]), li[:, r], 0.0), order, valid, size)
                u[r] += mdl.a * dot(ch, lr)
        for j, bj in enumerate(b):
            for r in range(2):
                u[r] += bj * ls[ch.cid, r, j]
        cov = np.empty((ch.nc, 2, 2))
        cov[:, 0, 0] = seg_sum(ch, u[0] * u[0])
        cov[:, 1, 1] = seg_sum(ch, u[1] * u[1])
        cov[:, 0, 1] = cov[:, 1, 0] = seg_sum(ch, u[0] * u[1])
    return cov, ok & np.isfinite(cov).all(axis=(1, 2))


# ----------------------------------------------------------------------------------------
# Estimates of every cell (fit_cell_g's models, as sums per cell)
# ----------------------------------------------------------------------------------------


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b with 0 where a is 0 (as :func:`coopmetrics.adjust._div`)."""
    with np.errstate(all="ignore"):
        return np.where(a == 0, 0.0, a / np.where(a == 0, 1.0, b))


@dataclass(frozen=True)
class _Est:
    ok: np.ndarray
    mu1: np.ndarray
    mu0: np.ndarray
    cov: np.ndarray
    e: np.ndarray
    act: np.ndarray
    const: np.ndarray
    saturated: np.ndarray | None = None  # RA of means: cells whose cohort arm fits exactly (no SE)


def _main_design(ch: Chunk, chs: Chunk, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each cell's design after :func:`coopmetrics.fits.reduce_design` (constant numeric columns
    out, the first level present of each text covariate as reference): ``(act, has_block, const,
    ok)``; ``ok`` False where the constant rule is unsure or full rank is not clear."""
    nc, lay = ch.nc, ch.lay
    const, unsure = _dense_constant(ch, None)
    act = np.zeros((nc, lay.size), dtype=bool)
    act[:, 0] = True
    for j, s in enumerate(lay.dense):
        act[:, s] = ~const[:, j]
    has_block = np.zeros((nc, len(lay.blocks)), dtype=bool)
    for b, (key, (o, nl)) in enumerate(zip(ch.keys, lay.blocks, strict=True)):  # a loop over covariates
        present = np.bincount(key, minlength=nc * nl).reshape(nc, nl) > 0
        a = present.copy()
        a[np.arange(nc), present.argmax(axis=1)] = False
        act[:, o:o + nl] = a
        has_block[:, b] = present.sum(axis=1) >= 2
    ok = ~unsure.any(axis=1) & _full_rank(chs, np.ones(len(t), dtype=bool), t, act)
    return act, has_block, const, ok


def _estimate(ch: Chunk, t: np.ndarray, y: np.ndarray, w: np.ndarray, use: str, estimand: str,
              group: np.ndarray | None = None, binary: bool = True) -> _Est:
    """Mean potential outcomes and their covariance for every cell: ``ipw`` or ``aipw`` (logit outcome
    models for yes/no outcomes, least squares for means, ``binary`` False), ``ra`` for means."""
    nc, size, cid = ch.nc, ch.lay.size, ch.cid
    cnt = seg_sum(ch, np.ones(len(t)))
    shift = np.column_stack([seg_sum(ch, ch.dense[:, j]) / cnt for j in range(ch.dense.shape[1])]) \
        if ch.dense.shape[1] else np.zeros((nc, 0))
    chs = ch.shifted(shift)
    act, has_block, const, ok = _main_design(ch, chs, t)
    ps = _limit(ch, chs, t, w, np.ones(len(t), dtype=bool), act, has_block, ok)
    ok &= ps.ok
    e, inm = ps.p, ps.fit.astype(float)
    de = inm * e * (1 - e)  # ∂e/∂γ = de · x_p
    zero = np.zeros((nc, size))
    if use == "ra":  # means only (Lin's OLS per arm; the propensity gives the flags and balance)
        from .adjust_batch_ols import ra_means

        mu1, mu0, cov, sat, okr = ra_means(ch, chs, shift, t, y, w, act, has_block, estimand)
        return _Est(ok & okr, mu1, mu0, cov, e, act, const, sat)

    def outcome(arm: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One arm's outcome model: its slots, predictions of every row and ``∂m/∂η``."""
        nonlocal ok
        if not binary:
            from .adjust_batch_ols import ols_model

            a, m, oka = ols_model(ch, chs, shift, y, w, t == arm, act, has_block)
            ok &= oka
            return a, m, np.ones(len(t))
        o = (_outcome_ref(ch, chs, t, y, w, act, has_block, ok, group) if arm == 0 and estimand == "att" else
             _limit(ch, chs, y, w, t == arm, act, has_block, ok))
        ok &= o.ok
        return o.act, o.p, o.p * (1 - o.p)

    with np.errstate(all="ignore"):
        if use == "ipw":
            h1 = t.astype(float) if estimand == "att" else _div(t.astype(float), e)
            h0 = _div((1 - t) * e, 1.0 - e) if estimand == "att" else _div(1.0 - t, 1.0 - e)
            s1, s0 = seg_sum(ch, w * h1), seg_sum(ch, w * h0)
            ok &= (s1 > 0) & (s0 > 0)
            mu1, mu0 = seg_sum(ch, w * h1 * y) / s1, seg_sum(ch, w * h0 * y) / s0
            r1, r0 = y - mu1[cid], y - mu0[cid]
            dh1 = -_div(t.astype(float), e**2) if estimand == "ate" else np.zeros(len(t))
            dh0 = _div(1.0 - t, (1 - e) ** 2)
            models = [_Model(ps.act, w * inm * (t - e), w * de, [vec(ch, w * dh1 * r1 * de), vec(ch, w * dh0 * r0 * de)])]
            b = [w * h1 * r1, w * h0 * r0]
            d = np.zeros((nc, 2, 2))
            d[:, 0, 0], d[:, 1, 1] = -s1, -s0
        else:
            a0, m0, g0 = outcome(0)
            if estimand == "att":
                wr, wt = w * _div((1 - t) * e, 1.0 - e), w * t
                swr, swt = seg_sum(ch, wr), seg_sum(ch, wt)
                ok &= swr > 0
                delta = seg_sum(ch, wr * (y - m0)) / swr
                mu1 = seg_sum(ch, wt * y) / swt
                mu0 = seg_sum(ch, wt * m0) / swt + delta
                dl = delta[cid]
                models = [_Model(ps.act, w * inm * (t - e), w * de,
                                 [vec(ch, w * _div(1.0 - t, (1 - e) ** 2) * (y - m0 - dl) * de), zero, zero]),
                          _Model(a0, w * (1 - t) * (y - m0), w * (1 - t) * g0,
                                 [vec(ch, -wr * g0), zero, vec(ch, wt * g0)])]
                b = [wr * (y - m0 - dl), wt * (y - mu1[cid]), wt * (m0 + dl - mu0[cid])]
                d = np.zeros((nc, 3, 3))
                d[:, 0, 0], d[:, 1, 1], d[:, 2, 0], d[:, 2, 2] = -swr, -swt, swt, -swt
            else:
                a1, m1, g1 = outcome(1)
                h1, h0 = _div(t.astype(float), e), _div(1.0 - t, 1.0 - e)
                sw = seg_sum(ch, w)
                mu1 = seg_sum(ch, w * (m1 + h1 * (y - m1))) / sw
                mu0 = seg_sum(ch, w * (m0 + h0 * (y - m0))) / sw
                models = [_Model(ps.act, w * inm * (t - e), w * de,
                                 [vec(ch, -w * _div(t.astype(float), e**2) * (y - m1) * de),
                                  vec(ch, w * _div(1.0 - t, (1 - e) ** 2) * (y - m0) * de)]),
                          _Model(a1, w * t * (y - m1), w * t * g1, [vec(ch, w * (1 - h1) * g1), zero]),
                          _Model(a0, w * (1 - t) * (y - m0), w * (1 - t) * g0, [zero, vec(ch, w * (1 - h0) * g0)])]
                b = [w * (m1 + h1 * (y - m1) - mu1[cid]), w * (m0 + h0 * (y - m0) - mu0[cid])]
                d = np.zeros((nc, 2, 2))
                d[:, 0, 0], d[:, 1, 1] = -sw, -sw
    cov, okc = _sandwich(ch, models, b, d)
    ok &= okc & np.isfinite(mu1) & np.isfinite(mu0)
    return _Est(ok, mu1, mu0, cov, e, act, const)


def cells_fast(cov: Covariates, lay: Layout, idx: np.ndarray, cid: np.ndarray, nc: int, t_all: np.ndarray,
               y_all: np.ndarray, w_all: np.ndarray, use: str, estimand: str, z: float, method_label: str,
               group: np.ndarray | None = None, binary: bool = True) -> FastCells:
    """Every cell of a chunk at once (no clusters): yes/no outcomes (``binary``) with ``use`` ``aipw``
    or ``ipw``, mean outcomes with ``ra``, ``aipw`` or ``ipw``.

    ``idx`` are the frame rows of the chunk's cells, ``cid`` their cell (0 … nc−1, sorted). Returns
    the rows of the cells answered here (degenerate ones included) and the ``slow`` cells for
    :func:`coopmetrics.adjust.fit_cell_g`. ``group``: per cell, a code shared by the cells with the
    same reference rows (their reference-arm outcome model is fitted once, ATT).
    """
    from .adjust import _F_ARM_LEVEL, _F_NOCOH, _F_NOREF, _F_ONE_LEVEL, _F_SATURATED, _F_WEIGHTED, _F_ZERO_REF

    ok_rows = cov.ok[idx]
    nmiss = np.bincount(cid[~ok_rows], minlength=nc)
    idx, cid = idx[ok_rows], cid[ok_rows]
    t, y, w = t_all[idx].astype(float), y_all[idx], w_all[idx]  # (t_all: the arm, any numeric dtype)
    n = np.bincount(cid, minlength=nc)
    n1 = np.bincount(cid, weights=t, minlength=nc).round().astype(np.int64)
    n0 = n - n1
    if np.all((y == 0) | (y == 1)):  # 0/1 outcomes: one value per arm is a count, not a min and max
        s1, s11 = np.bincount(cid, weights=y, minlength=nc), np.bincount(cid, weights=y * t, minlength=nc)
        one = (s1 == 0) | (s1 == n)
        arm = (s11 == 0) | (s11 == n1) | (s1 - s11 == 0) | (s1 - s11 == n0)
    else:
        ylo, yhi = _minmax(cid, y, nc)
        one, arm = ylo == yhi, np.zeros(nc, dtype=bool)
        if binary:  # one value per arm (of a Likert 0/1 coding): yes/no outcomes only
            y1lo, y1hi = _minmax(cid, y, nc, t == 1)
            y0lo, y0hi = _minmax(cid, y, nc, t == 0)
            arm = (y1lo == y1hi) | (y0lo == y0hi)
    why = np.where(arm & binary, _F_ARM_LEVEL, "").astype(object)  # one value per arm: yes/no outcomes only
    why = np.where(one, _F_ONE_LEVEL, why)
    why = np.where((n1 < 2) | (n0 < 2), np.where(n0 == 0, _F_NOREF, _F_NOCOH), why)
    miss = np.where(nmiss > 0, num_text(nmiss) + " 行协变量缺失，未纳入调整 / " + num_text(nmiss)
                    + " rows with missing covariates left out of the adjusted fit", "")
    live = why == ""
    cells = np.flatnonzero(live)
    rmap = np.full(nc, -1)
    rmap[cells] = np.arange(len(cells))
    rm = live[cid]
    sub = idx[rm]
    dense = np.column_stack([cov.numeric[c][sub] for c in cov.names if c in cov.numeric]) \
        if lay.dense else np.zeros((len(sub), 0))
    codes = [cov.codes[c][sub] for c in cov.names if c not in cov.numeric]
    ch = Chunk.build(rmap[cid[rm]], len(cells), dense, codes, lay)
    ts, ys, ws = t[rm], y[rm], w[rm]
    est = (_estimate(ch, ts, ys, ws, use, estimand, None if group is None else group[cells], binary)
           if len(cells) else None)
    good = np.zeros(nc, dtype=bool)
    stats: dict[str, np.ndarray] = {}
    flags_live = dropped_live = None
    bal: dict[str, np.ndarray] = {}
    if est is not None:
        good[cells] = est.ok
        if binary:
            stats = effects(est.mu1, est.mu0, est.cov, z)
        else:
            from .adjust_batch_ols import pooled_sd

            stats = effects(est.mu1, est.mu0, est.cov, z, pooled_sd(ch, ts, ys), n1[cells] + n0[cells])
        const = est.const
        dnames = np.asarray([f"{lay.names[s]} ({_R_CONST})" for s in lay.dense], dtype=object)
        dropped_live = first_names(const, dnames, len(dnames) or 1, "; ") if len(dnames) else \
            np.full(len(cells), "", dtype=object)
        kd = num_text(const.sum(axis=1))
        fdrop = np.where(dropped_live != "", "剔除 " + kd + " 个协变量列（常数、共线或完全预测）/ " + kd
                         + " covariate column(s) dropped (constant, collinear or perfect prediction): " + dropped_live, "")
        fw = np.where(seg_sum(ch, (ws != 1).astype(float)) > 0, _F_WEIGHTED, "")
        fz = np.where(est.mu0 == 0, _F_ZERO_REF, "")
        fsat = np.where(est.saturated if est.saturated is not None else False, _F_SATURATED, "")
        flags_live = join_flags([miss[cells], *overlap_flags(ch, ts, est.e, est.act, estimand), fdrop, fsat, fw, fz],
                                len(cells))
        bal = balance(ch, ts, ws, est.e, est.act, estimand, est.ok)
        bal["cell"] = cells[bal["cell"]]
    done = ~live | good
    rows: dict[str, Any] = {"cell": np.flatnonzero(done), "n_cohort": n1[done], "n_reference": n0[done]}
    dropped = np.full(nc, "", dtype=object)
    flags = join_flags([miss, why], nc)
    if est is not None:
        dropped[cells] = dropped_live
        flags[cells] = flags_live
    rows["dropped_covariates"] = dropped[done]
    rows["method"] = np.full(int(done.sum()), method_label, dtype=object)
    for k, v in stats.items():
        full = np.full(nc, np.nan)
        full[cells] = v
        rows[k] = np.where(good, full, np.nan)[done]
    rows["flags"] = flags[done]
    if stats:
        kind = np.full(nc, np.nan, dtype=object)
        kind[good] = "cohens_h" if binary else "standardised_difference"
        rows["effect_size_type"] = kind[done]
    return FastCells(pd.DataFrame(rows), bal, np.flatnonzero(live & ~good))


def _ranges(starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, s + l)`` for each start and length."""
    return np.arange(int(lens.sum())) + np.repeat(starts - np.cumsum(lens) + lens, lens)


def chunk_rows(cells: Any, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Frame rows of pairs ``lo … hi−1`` of a :class:`coopmetrics.adjust.CellRows` and their cell
    (0 … hi−lo−1), sorted by cell; within a cell cohort rows first (as ``CellRows.rows``)."""
    p = np.arange(lo, hi)
    lc, lr = cells.cb[p + 1] - cells.cb[p], cells.rhi[p] - cells.rlo[p]
    # each cell's block starts at the cumulated sizes: its cohort rows, then its reference rows
    # (placed directly, no sort of the chunk's rows)
    start = np.cumsum(lc + lr) - lc - lr
    idx = np.empty(int(lc.sum() + lr.sum()), dtype=cells.cohort.dtype)
    idx[_ranges(start, lc)] = cells.cohort[_ranges(cells.cb[p], lc)]
    idx[_ranges(start + lc, lr)] = cells.ref[_ranges(cells.rlo[p], lr)]
    return idx, np.repeat(np.arange(hi - lo), lc + lr)
