"""Least-squares outcome models of the vectorised adjusted path: mean outcomes (:mod:`.adjust_batch`).

For a mean (continuous) outcome, :func:`coopmetrics.adjust.fit_cell_g` fits per cell and arm a
weighted least-squares outcome model: Lin's regression adjustment (``ra``, statsmodels ``WLS``
with HC1 covariance, :func:`coopmetrics.adjust._ra_linear`) or the outcome models of AIPW
(``lstsq`` on the columns :func:`coopmetrics.fits.reduce_design` keeps within the arm,
:func:`coopmetrics.adjust._outcome_model_g`). Here the same fits run for every cell of a chunk
at once, from segment sums (:mod:`coopmetrics.adjust_segments`): each arm's ``XᵀWX`` and
``XᵀWy`` (no Newton, one solve per cell on the stack), the predictions by gathers, HC1 from
the residuals.

A cell is answered only when its models are certain to be the per-cell route's: every column
the arm keeps is clearly estimable (the full-rank criterion of
:func:`coopmetrics.fits._clearly_full_rank` on the arm's rows), no column is exactly constant
in a way whose standard deviation the per-cell route might round to non-zero, no reference
level of a text covariate is missing from an arm while two of its levels remain (a QR or a
pseudo-inverse would choose the columns), and the raw weighted design is well enough
conditioned that statsmodels' pseudo-inverse and rank and ``lstsq``'s cut-off keep every
column (:func:`raw_conditioned`). Anything else goes back to the per-cell route.

Examples
--------
>>> import numpy as np
>>> from coopmetrics.adjust_segments import Chunk, Layout
>>> lay = Layout(names=np.array(["", "x"], dtype=object), dense=[1], blocks=[])
>>> x = np.array([[0.], [1.], [2.], [3.], [4.], [5.]])
>>> ch = Chunk.build(np.zeros(6, dtype=int), 1, x, [], lay)
>>> y = np.array([1., 3., 2., 5., 4., 6.])
>>> fit = wls(ch, np.zeros((1, 1)), y, np.ones(6), np.ones(6, bool), np.ones((1, 2), bool))
>>> np.round(fit.beta[0], 4).tolist(), bool(np.allclose(fit.pred, np.polyval(np.polyfit(x[:, 0], y, 1), x[:, 0])))
([1.2857, 0.8857], True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .adjust_batch import _dense_constant
from .adjust_newton import solve_stack
from .adjust_segments import (
    Chunk,
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
from .fits import _FAST_COND, _RANK_TOL

__all__ = ["OLSFit", "arm_chunk", "arm_design", "clear_rank", "ols_model", "pooled_sd", "ra_means", "raw_conditioned", "small_arm",
           "wls"]

# cond(√W X) · max(n, k) · eps below this: numpy's lstsq (cut-off eps · max(n, k)), statsmodels' pinv
# (1e-15) and its rank (eps · k) keep every column, with three orders of magnitude to spare
_RAW_MARGIN = 1e-3
_EPS = float(np.finfo(float).eps)


@dataclass(frozen=True)
class OLSFit:
    """Weighted least squares of every cell on its active slots (:func:`wls`).

    ``beta``: coefficients in slots in the basis of the *shifted* numeric columns (cells × slots),
    ``pred``: ``Xβ`` of every row of the chunk (both arms), ``h``: the compact ``XᵀWX`` (shifted),
    ``order``/``valid``: its slots, ``ok``: the cells whose solve is finite and whose raw design is
    conditioned well enough (:func:`raw_conditioned`)."""

    beta: np.ndarray
    pred: np.ndarray
    h: np.ndarray
    order: np.ndarray
    valid: np.ndarray
    ok: np.ndarray


def _eq_solve(h: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``h⁻¹ b`` of a stack after equilibration (``D^{-1/2} h D^{-1/2}``: the columns' scales,
    a score near 400 beside a dummy, do not enter the rounding); ``b`` (cells × k) or (cells × k × q)."""
    d = np.sqrt(np.abs(np.diagonal(h, axis1=1, axis2=2)))
    d = np.where(d > 0, d, 1.0)
    e = h / d[:, :, None] / d[:, None, :]
    if b.ndim == 2:
        return solve_stack(e, (b / d)[:, :, None])[:, :, 0] / d
    return solve_stack(e, b / d[:, :, None]) / d[:, :, None]


def clear_rank(g: np.ndarray, act: np.ndarray, nrows: np.ndarray) -> np.ndarray:
    """:func:`coopmetrics.fits._clearly_full_rank` (no cohort column) of every cell's active slots
    from its Gram matrix ``g`` in slots (intercept in slot 0; numeric columns shifted, so the
    centred moments lose no digits); ``nrows`` the rows of the fit. A design with the intercept
    alone is full rank."""
    nf = g[:, 0, 0]
    a = act.copy()
    a[:, 0] = False
    k = a.sum(axis=1)
    with np.errstate(all="ignore"):
        m = g[:, 0, :] / nf[:, None]
        cov = g / nf[:, None, None] - m[:, :, None] * m[:, None, :]
        order, valid = compact(a)
        c = gather_mat(cov, order, valid)
        sd = np.sqrt(np.diagonal(c, axis1=1, axis2=2))
        ok = (nrows >= k + 2) & (nf > 0) & ((sd > 0) | ~valid).all(axis=1)
        sd = np.where(valid & (sd > 0), sd, 1.0)
        gg = c / sd[:, :, None] / sd[:, None, :]
        ok &= ((np.diagonal(gg, axis1=1, axis2=2) > 10 * _RANK_TOL) | ~valid).all(axis=1)
        gg = np.where(np.isfinite(gg), gg, 0.0)
        ev = np.linalg.eigvalsh(gg)
        ok &= ev[:, 0] > _FAST_COND * ev[:, -1]
    return ok | (k == 0)


def raw_conditioned(g: np.ndarray, shift: np.ndarray, order: np.ndarray, valid: np.ndarray, nrows: np.ndarray
                    ) -> np.ndarray:
    """Whether the *raw* weighted design ``√W X`` of every cell (numeric columns unshifted, as the
    per-cell route fits it) has ``cond · max(n, k) · eps < 1e-3``.

    ``XᵀWX`` of the raw columns is ``g`` (shifted, slots) transformed by the shifts ``c`` (cells ×
    slots, 0 off the numeric slots): ``G + c gᵀ₀ + g₀ cᵀ + c cᵀ G₀₀``. With ``D`` its diagonal and
    ``E`` the equilibrated matrix, ``cond(G) ≤ cond(E) · max D / min D`` (an upper bound; ``E``'s
    eigenvalues are computed to ``k · eps``, so ``λmin(E) > 1e-10`` is required for the bound).
    """
    g0 = g[:, 0, :]
    raw = (g + shift[:, :, None] * g0[:, None, :] + g0[:, :, None] * shift[:, None, :]
           + shift[:, :, None] * shift[:, None, :] * g[:, 0, 0][:, None, None])
    h = gather_mat(raw, order, valid)
    with np.errstate(all="ignore"):
        d = np.diagonal(h, axis1=1, axis2=2).copy()
        good = ((d > 0) | ~valid).all(axis=1) & np.isfinite(h).all(axis=(1, 2))
        d = np.where(good[:, None] & (d > 0), d, 1.0)
        e = h / np.sqrt(d)[:, :, None] / np.sqrt(d)[:, None, :]
        e = np.where(good[:, None, None], e, np.eye(h.shape[1]))
        ev = np.linalg.eigvalsh(e)
        dmax = np.where(valid, d, 0.0).max(axis=1)
        dmin = np.where(valid, d, np.inf).min(axis=1)
        cond = np.sqrt(ev[:, -1] / ev[:, 0] * dmax / dmin)
        k = valid.sum(axis=1)
        return good & (ev[:, 0] > 1e-10 * ev[:, -1]) & (cond * np.maximum(nrows, k) * _EPS < _RAW_MARGIN)


def arm_design(ch: Chunk, fit: np.ndarray, act: np.ndarray, has_block: np.ndarray, exact: bool,
               pop: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The slots of each cell's outcome model on its ``fit`` rows (one arm) and where they are certain.

    ``exact`` (regression adjustment, :func:`coopmetrics.adjust._ra_linear`): columns whose
    standard deviation over the arm is 0 are left out. A numeric column with a single value there
    has a standard deviation of exactly 0 when that value is an integer (its sum is exact); any other
    single value is left to the per-cell route (rounding decides). Otherwise (AIPW,
    :func:`coopmetrics.adjust._outcome_model_g`): :func:`coopmetrics.fits.reduce_design`'s constant
    rule (tolerance; an unsure column goes to the per-cell route).

    A text covariate whose reference level has no row in the arm while two or more of its levels
    remain has dummies that sum to the intercept. AIPW (``pop`` None) leaves such a cell to the
    per-cell route (its QR chooses the column to drop). RA keeps every column and fits by a
    pseudo-inverse, whose fitted values and predictions of rows at the arm's levels do not depend on
    the basis: the reduced basis drops the first of those levels, and the cell stays here unless a
    row of the target population ``pop`` has a level without rows in the arm (its prediction would
    depend on the pseudo-inverse's choice). Returns ``(keep, basis, ok)``: the columns the per-cell
    route fits, a basis of their span and where both are certain.
    """
    nc, lay = ch.nc, ch.lay
    nf = seg_sum(ch, fit.astype(float))
    a = act.copy()
    ok = np.ones(nc, dtype=bool)
    if exact:
        for j, s in enumerate(lay.dense):  # a loop over numeric covariates
            x = ch.dense[:, j]
            hi, lo = seg_max(ch, np.where(fit, x, -np.inf)), seg_min(ch, np.where(fit, x, np.inf))
            const = hi == lo
            ok &= ~const | ((hi == np.round(hi)) & (np.abs(hi) * nf < 2.0**52))
            a[:, s] &= ~const
    else:
        const, unsure = _dense_constant(ch, fit)
        ok &= ~unsure.any(axis=1)
        for j, s in enumerate(lay.dense):
            a[:, s] &= ~const[:, j]
    red = a.copy()
    for b, (key, (o, nl)) in enumerate(zip(ch.keys, lay.blocks, strict=True)):  # a loop over covariates
        cf = np.bincount(key[fit], minlength=nc * nl).reshape(nc, nl)
        ref_gone = has_block[:, b] & ((cf * ~act[:, o:o + nl]).sum(axis=1) == 0)
        a[:, o:o + nl] &= (cf > 0) & (cf < nf[:, None])
        red[:, o:o + nl] = a[:, o:o + nl]
        two = ref_gone & (a[:, o:o + nl].sum(axis=1) >= 2)
        if pop is None:
            ok &= ~two
            continue
        unfit = pop & (cf.ravel()[key] == 0)
        ok &= ~(two & (np.bincount(ch.cid[unfit], minlength=nc) > 0))
        first = a[:, o:o + nl].argmax(axis=1)
        red[np.flatnonzero(two), o + first[two]] = False
    return a, red, ok


_SMALL_ARM = 200  # rows of a cohort arm up to which a design that is not clearly of full rank is decomposed
_ZERO_SV = 1e-16  # singular values below this (relative) are structural zeros: under pinv's cut-off 1e-15
_CLEAR_SV = 1e-11  # and above this clearly non-zero: over pinv's cut-off and the rank tolerances (n ≤ 200)


def small_arm(ch: Chunk, fit: np.ndarray, keep: np.ndarray, cand: np.ndarray, y: np.ndarray, w: np.ndarray,
              wp: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`coopmetrics.adjust._ra_linear`'s fit of a small arm that is its own target population
    (the cohort arm under ATT) by singular values, as statsmodels' pseudo-inverse computes it.

    For the ``cand`` cells, the raw design of the arm (``fit`` rows, ``keep`` columns) is
    decomposed twice, unweighted (``np.linalg.matrix_rank``: saturated when the rank reaches the
    rows) and weighted (``√W X = U S Vᵀ``, statsmodels' ``pinv_extended``): the fitted values
    ``U_r U_rᵀ √W y / √w`` and the HC1 variance ``n/(n − r) Σ c_i² w_i e_i²`` of the mean
    prediction, ``c = U_r S_r⁻¹ V_rᵀ x̄``, do not depend on how a rank-deficient design is
    parametrised. A cell is certain when every singular value is clearly non-zero (above
    ``1e-11 · σmax``) or a structural zero (below ``1e-16 · σmax``, e.g. dummies that sum to the
    intercept), in both decompositions. Returns ``(pred, var, saturated, ok)``: fitted values on
    the ``fit`` rows of those cells, the variance (NaN when saturated), per cell.
    """
    from .adjust_newton import design_dense

    nc = ch.nc
    pred, var = np.full(len(y), np.nan), np.full(nc, np.nan)
    sat, ok = np.zeros(nc, dtype=bool), np.zeros(nc, dtype=bool)
    cells = np.flatnonzero(cand)
    if not len(cells):
        return pred, var, sat, ok
    rows = np.flatnonzero(cand[ch.cid] & fit)
    rank = np.full(nc, -1)
    rank[cells] = np.arange(len(cells))
    sub = Chunk.build(rank[ch.cid[rows]], len(cells), ch.dense[rows], [c[rows] for c in ch.codes], ch.lay)
    x, pos, valid = design_dense(sub, keep[cells])
    order = compact(keep[cells])[0]
    c_, nr = sub.cid, len(cells)
    n = np.bincount(c_, minlength=nr).astype(float)
    k = valid.sum(axis=1)

    def certain(sv: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rank and certainty from singular values (cells × min(rows, cols)); ``m``: the cell's count."""
        rel = sv / np.where(sv[:, :1] > 0, sv[:, :1], 1.0)
        real = np.arange(sv.shape[1])[None, :] < m[:, None]
        clear = ((rel > _CLEAR_SV) | (rel < _ZERO_SV) | ~real).all(axis=1) & (sv[:, 0] > 0)
        return ((rel > _CLEAR_SV) & real).sum(axis=1), clear

    m = np.minimum(n, k).astype(int)
    r_u, clear_u = certain(np.linalg.svd(x, compute_uv=False), m)
    sw = np.zeros(x.shape[:2])
    sw[c_, pos] = np.sqrt(w[rows])
    yw = np.zeros(x.shape[:2])
    yw[c_, pos] = y[rows] * sw[c_, pos]
    u, sv, vt = np.linalg.svd(x * sw[:, :, None], full_matrices=False)
    r_w, clear_w = certain(sv, m)
    with np.errstate(all="ignore"):
        keep_sv = sv > _CLEAR_SV * sv[:, :1]  # the singular values pinv inverts
        uy = np.einsum("cnm,cn->cm", u, yw) * keep_sv
        fitted = np.einsum("cnm,cm->cn", u, uy)  # √W ŷ
        xb = np.take_along_axis(vec(ch, wp)[cells], order, axis=1) * valid  # x̄ over the arm (raw columns)
        a = np.einsum("cmk,ck->cm", vt, xb) / np.where(keep_sv, sv, 1.0) * keep_sv
        cw = np.einsum("cnm,cm->cn", u, a)  # x̄ᵀ pinv(√W X), per row
        e = (yw - fitted)  # √w e
        df = n - r_w
        v = n / df * (cw * cw * e * e).sum(axis=1)
        p = fitted[c_, pos] / sw[c_, pos]
    sat_c = n <= r_u
    pred[rows] = p
    var[cells] = np.where(sat_c, np.nan, v)
    sat[cells] = sat_c
    finite = np.bincount(c_, weights=~np.isfinite(p), minlength=nr) == 0
    ok[cells] = clear_u & clear_w & (r_u == r_w) & (sat_c | ((df > 0) & np.isfinite(v))) & finite
    return pred, var, sat, ok


def arm_chunk(chs: Chunk, fit: np.ndarray) -> tuple[Chunk, np.ndarray]:
    """The ``fit`` rows of the (shifted) chunk as a chunk of their own, every cell kept: an arm's sums
    cost its rows, not the chunk's (the cohort arm is a small part of a cell). Returns it and the rows."""
    r = np.flatnonzero(fit)
    return Chunk.build(chs.cid[r], chs.nc, chs.dense[r], [c[r] for c in chs.codes], chs.lay), r


def wls(chs: Chunk, shift: np.ndarray, y: np.ndarray, w: np.ndarray, fit: np.ndarray, act: np.ndarray,
        g: np.ndarray | None = None, arm: tuple[Chunk, np.ndarray] | None = None) -> OLSFit:
    """Weighted least squares of ``y`` on each cell's ``act`` slots over its ``fit`` rows, from the
    shifted chunk ``chs`` (``shift``: cells × numeric columns); ``g``: its ``XᵀWX`` if computed,
    ``arm``: :func:`arm_chunk` of the ``fit`` rows if built."""
    sub, r = arm_chunk(chs, fit) if arm is None else arm
    if g is None:
        g = gram(sub, w[r])
    order, valid = compact(act)
    h = gather_mat(g, order, valid)
    bc = _eq_solve(h, gather_vec(vec(sub, (w * y)[r]), order, valid))
    c = np.zeros((chs.nc, chs.lay.size))
    if chs.lay.dense:
        c[:, chs.lay.dense] = shift
    ok = np.isfinite(bc).all(axis=1) & raw_conditioned(g, c, order, valid, np.bincount(sub.cid, minlength=chs.nc))
    beta = scatter_vec(np.where(np.isfinite(bc), bc, 0.0), order, valid, chs.lay.size)
    return OLSFit(beta, dot(chs, beta), h, order, valid, ok)


def ols_model(ch: Chunk, chs: Chunk, shift: np.ndarray, y: np.ndarray, w: np.ndarray, fit: np.ndarray,
              act: np.ndarray, has_block: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One arm's AIPW outcome model (:func:`coopmetrics.adjust._outcome_model_g`, least squares) of
    every cell: ``(act, pred, ok)``, the predictions for every row."""
    a, _red, ok = arm_design(ch, fit, act, has_block, exact=False)
    sub, r = arm_chunk(chs, fit)
    gu = gram(sub, np.ones(len(r)))
    ok &= clear_rank(gu, a, np.bincount(sub.cid, minlength=ch.nc))  # reduce_design's QR is unweighted
    unit = bool(np.all(w[r] == 1))
    res = wls(chs, shift, y, w, fit, a, gu if unit else None, (sub, r))
    return a, res.pred, ok & res.ok


def pooled_sd(ch: Chunk, t: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``√((var₁ + var₀) / 2)`` of the outcome (unweighted, ``ddof=1``, two passes as ``np.var``)."""
    out = np.zeros(ch.nc)
    with np.errstate(all="ignore"):
        for arm in (1.0, 0.0):  # two arms
            f = (t == arm).astype(float)
            n = seg_sum(ch, f)
            m = seg_sum(ch, f * y) / n
            out += seg_sum(ch, f * (y - m[ch.cid]) ** 2) / (n - 1)
    return np.sqrt(out / 2)


def ra_means(ch: Chunk, chs: Chunk, shift: np.ndarray, t: np.ndarray, y: np.ndarray, w: np.ndarray,
             act: np.ndarray, has_block: np.ndarray, estimand: str
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`coopmetrics.adjust._ra_linear` of every cell: ``(mu1, mu0, cov, saturated, ok)``.

    Per arm a WLS fit; ``μ_a`` the weighted mean of its predictions over the target population
    (ATE: all units, ATT: the cohort), the HC1 variance of that mean ``x̄ᵀ V x̄`` as
    ``n/(n−k) Σ (w e xᵀq)²`` with ``q = (XᵀWX)⁻¹ x̄``, plus the population term
    ``np.cov(preds, aweights=wp) / n_eff``. ATT: a cohort arm with no more units than the rank of
    its design (:func:`saturated`) fits its units exactly, so its predictions are its outcomes and
    its variance is NaN (``saturated`` True: the per-cell route flags it, no standard error).
    """
    cid = ch.cid
    pop = np.ones(len(t)) if estimand == "ate" else t.astype(float)
    with np.errstate(all="ignore"):
        wp = w * pop
        wp /= seg_sum(ch, wp)[cid]
        xbar = vec(chs, wp)
        ok = np.ones(ch.nc, dtype=bool)
        sat = np.zeros(ch.nc, dtype=bool)
        preds, mus, covs = [], [], []
        for arm in (1.0, 0.0):  # two arms, not a loop over cells
            fit = t == arm
            keep, red, oka = arm_design(ch, fit, act, has_block, exact=True, pop=pop > 0)
            sub, r = arm_chunk(chs, fit)
            nobs = np.bincount(sub.cid, minlength=ch.nc).astype(float)
            g = gram(sub, w[r])
            res = wls(chs, shift, y, w, fit, red, g, (sub, r))
            full = oka & clear_rank(g, red, nobs) & res.ok
            pred = res.pred
            q = scatter_vec(_eq_solve(res.h, gather_vec(xbar, res.order, res.valid)), res.order, res.valid,
                            ch.lay.size)
            u = w[r] * (y[r] - pred[r]) * dot(sub, q)
            var = nobs / (nobs - red.sum(axis=1)) * np.bincount(sub.cid, weights=u * u, minlength=ch.nc)
            if arm == 1 and estimand == "att":  # the cohort arm is the population: a small one by its SVD
                small = oka & ~full & (nobs <= _SMALL_ARM)
                p2, v2, sat, ok2 = small_arm(ch, fit, keep, small, y, w, wp)
                pred = np.where(small[cid] & fit, p2, pred)
                var = np.where(small, v2, var)
                full |= ok2
            ok &= full
            covs.append(var)
            preds.append(pred)
            mus.append(seg_sum(ch, wp * pred))
        # np.cov(preds, aweights=wp): weighted means, ddof 1 with aweights (fact = Σw − Σw²/Σw)
        sw, sw2 = seg_sum(ch, wp), seg_sum(ch, wp * wp)
        dev = [p - (seg_sum(ch, wp * p) / sw)[cid] for p in preds]
        fact = sw - sw2 / sw
        cov = np.empty((ch.nc, 2, 2))
        cov[:, 0, 0] = seg_sum(ch, wp * dev[0] * dev[0]) / fact * sw2 + covs[0]
        cov[:, 1, 1] = seg_sum(ch, wp * dev[1] * dev[1]) / fact * sw2 + covs[1]
        cov[:, 0, 1] = cov[:, 1, 0] = seg_sum(ch, wp * dev[0] * dev[1]) / fact * sw2
        fin = np.isfinite(cov)
        ok &= (fin[:, 0, 0] | sat) & fin[:, 1, 1] & fin[:, 0, 1] & np.isfinite(mus[0]) & np.isfinite(mus[1])
    return mus[0], mus[1], cov, sat, ok
