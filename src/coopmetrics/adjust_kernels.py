"""Compiled row passes of the vectorised adjusted path (numba): one pass where numpy takes many.

The segment sums of :mod:`coopmetrics.adjust_segments` and the Newton iterations of
:mod:`coopmetrics.adjust_newton` are, per row, a handful of products: a row of a cell's design
has ``1 + d + C`` non-zero entries (the intercept, the ``d`` numeric covariates and one
indicator per text covariate), so ``XᵀSX`` adds ``(1 + d + C)²`` products per row and ``Xβ``
gathers ``1 + d + C`` coefficients. In numpy each of those is a pass over all rows with its
temporaries (η → p → w → several bincounts, per iteration and model); here it is one loop over
the rows of each cell (rows are sorted by cell), skipping the cells that have stopped.

**Optional and off by default** (:data:`coopmetrics.adjust_segments.KERNEL_ROWS` is None; set it
to a row count, e.g. 20,000, to use these passes for chunks of at least that many rows; numba
must then be installed). Measured on the shared 2-core machine (docs/scale.md, "Adjusted
comparisons at scale", fifth round) the compiled passes did not beat the numpy ones end to
end: a Newton fit of a 300,000-row chunk ran about a third faster, but the per-row work left
is mostly ``exp``/``log1p`` (numpy runs them vectorised, a compiled loop calls the scalar
libm functions, 4-8x slower each, so they stay in numpy here), numpy's joint-level bincounts
are already one pass, the Newton iterations are a minority of a chunk's time, and numba's
import and cache load cost about 0.5 s and 0.1 GiB. The module is kept, tested equal to the
numpy path, to re-measure on a quiet or larger machine.

It is imported only when enabled and for large chunks, so ``import coopmetrics``, the shipped
sample and small calls never load numba. The compiled code is cached on disk (``cache=True``:
next to this file, or numba's per-user cache directory when the installation is read-only;
without either it is compiled once per process, silently). Without numba the module still
imports and its functions run as plain (slow) Python.

Sums run in another order than numpy's bincounts: results agree to rounding (the tests hold
the kernels to the numpy path and both to the per-cell route at 1e-8), not bit for bit.

Examples
--------
>>> import numpy as np
>>> from coopmetrics.adjust_segments import Chunk, Layout
>>> lay = Layout(names=np.array(["", "x", "g=a", "g=b"], dtype=object), dense=[1], blocks=[(2, 2)])
>>> ch = Chunk.build(np.array([0, 0, 1, 1]), 2, np.array([[1.], [2.], [3.], [4.]]),
...                  [np.array([0, 1, 1, 0])], lay)
>>> vec(ch, np.ones(4)).tolist()
[[2.0, 3.0, 1.0, 1.0], [2.0, 7.0, 1.0, 1.0]]
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from . import adjust_segments as seg

__all__ = ["args", "dot", "gram", "newton_commit", "newton_step", "newton_sums", "vec"]


try:
    import numba
except ImportError:  # optional dependency: the module stays importable, its kernels plain Python
    numba = None


def _jit(fn: Any) -> Any:
    """``numba.njit(cache=True, nogil=True)``; without a writable cache location (a read-only
    installation and no usable user cache directory) compiled per process instead."""
    if numba is None:
        return fn
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # numba's NumbaWarning about an unusable cache location
            return numba.njit(cache=True, nogil=True)(fn)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return numba.njit(cache=False, nogil=True)(fn)


# ----------------------------------------------------------------------------------------
# Compiled kernels (rows sorted by cell; cell c has rows starts[c] .. starts[c+1]-1)
# ----------------------------------------------------------------------------------------


@_jit
def _mirror(g, cells):
    """Each pair of distinct slots got its products at (a, b) or (b, a): sum both, symmetric."""
    size = g.shape[1]
    for c in range(g.shape[0]):
        if not cells[c]:
            continue
        for a in range(size):
            for b in range(a + 1, size):
                t = g[c, a, b] + g[c, b, a]
                g[c, a, b] = t
                g[c, b, a] = t


@_jit
def _logaddexp0(x):
    """log(1 + e^x) as numpy's ``logaddexp(0, x)``."""
    if x > 0:
        return x + np.log1p(np.exp(-x))
    return np.log1p(np.exp(x))


@_jit
def _add_gram(gc, i, si, dense, dslots, slots):
    """Add ``si · x_i x_iᵀ`` of row ``i`` to the cell's slot matrix ``gc`` (one triangle of each
    pair of distinct slots; :func:`_mirror` completes it). Written out per kind of entry: no
    per-row index arrays, which kept the compiler reloading them after every store."""
    d = dense.shape[1]
    nb = slots.shape[1]
    gc[0, 0] += si
    for j in range(d):
        sj = si * dense[i, j]
        aj = dslots[j]
        gc[0, aj] += sj
        for k in range(j + 1):
            gc[dslots[k], aj] += sj * dense[i, k]
        for b in range(nb):
            gc[aj, slots[i, b]] += sj
    for b in range(nb):
        sb = slots[i, b]
        gc[0, sb] += si
        for b2 in range(b, nb):
            gc[sb, slots[i, b2]] += si


@_jit
def _add_vec(vc, i, vi, dense, dslots, slots):
    """Add ``vi · x_i`` of row ``i`` to the cell's slot vector ``vc``."""
    vc[0] += vi
    for j in range(dense.shape[1]):
        vc[dslots[j]] += vi * dense[i, j]
    for b in range(slots.shape[1]):
        vc[slots[i, b]] += vi


@_jit
def _row_dot(bc, i, dense, dslots, slots):
    """``x_iᵀ β_c`` of row ``i`` (``bc``: its cell's coefficients in slots)."""
    t = bc[0]
    for j in range(dense.shape[1]):
        t += bc[dslots[j]] * dense[i, j]
    for b in range(slots.shape[1]):
        t += bc[slots[i, b]]
    return t


@_jit
def _gram_k(starts, dense, dslots, slots, s, cells, size):
    nc = len(starts) - 1
    g = np.zeros((nc, size, size))
    for c in range(nc):
        if not cells[c]:
            continue
        gc = g[c]
        for i in range(starts[c], starts[c + 1]):
            si = s[i]
            if si != 0.0:
                _add_gram(gc, i, si, dense, dslots, slots)
    _mirror(g, cells)
    return g


@_jit
def _vec_k(starts, dense, dslots, slots, v, size):
    nc = len(starts) - 1
    out = np.zeros((nc, size))
    for c in range(nc):
        vc = out[c]
        for i in range(starts[c], starts[c + 1]):
            _add_vec(vc, i, v[i], dense, dslots, slots)
    return out


@_jit
def _dot_k(starts, dense, dslots, slots, b, cells, out):
    nc = len(starts) - 1
    for c in range(nc):
        if not cells[c]:
            continue
        bc = b[c]
        for i in range(starts[c], starts[c + 1]):
            out[i] = _row_dot(bc, i, dense, dslots, slots)


@_jit
def _sums_k(starts, dense, dslots, slots, y, w, p, fit, cells, size):
    """Gradient ``Xᵀw(y − p)`` and Hessian ``XᵀSX`` (S = w p(1−p)) of the running cells."""
    nc = len(starts) - 1
    g = np.zeros((nc, size, size))
    gv = np.zeros((nc, size))
    for c in range(nc):
        if not cells[c]:
            continue
        gc = g[c]
        vc = gv[c]
        for i in range(starts[c], starts[c + 1]):
            if not fit[i]:
                continue
            pi = p[i]
            _add_vec(vc, i, (y[i] - pi) * w[i], dense, dslots, slots)
            _add_gram(gc, i, pi * (1.0 - pi) * w[i], dense, dslots, slots)
    _mirror(g, cells)
    return g, gv


@_jit
def _joint_k(starts, key, dense, v, nj, cross):
    """Sums of ``v`` and ``v · x_j`` per joint key (nj × (1 + d)) and, if ``cross``, of
    ``v x_j x_i`` per cell (cells × d × d, lower triangle): one pass for what numpy does in
    1 + d bincounts and d(d+1)/2 segment sums."""
    nc = len(starts) - 1
    d = dense.shape[1]
    t = np.zeros((nj, 1 + d))
    dd = np.zeros((nc, d, d))
    for c in range(nc):
        for i in range(starts[c], starts[c + 1]):
            vi = v[i]
            k = key[i]
            t[k, 0] += vi
            for j in range(d):
                vj = vi * dense[i, j]
                t[k, 1 + j] += vj
                if cross:
                    for q in range(j + 1):
                        dd[c, j, q] += vj * dense[i, q]
    return t, dd


@_jit
def _sums_joint_k(starts, key, dense, y, w, p, fit, cells, nj):
    """The Newton sums of :func:`_sums_k` as joint tables: per joint key the sums of ``s``,
    ``s x_j``, ``r`` and ``r x_j`` (nj × (2 + 2d)); per cell those of ``s x_j x_i``."""
    nc = len(starts) - 1
    d = dense.shape[1]
    t = np.zeros((nj, 2 + 2 * d))
    dd = np.zeros((nc, d, d))
    for c in range(nc):
        if not cells[c]:
            continue
        for i in range(starts[c], starts[c + 1]):
            if not fit[i]:
                continue
            pi = p[i]
            r = (y[i] - pi) * w[i]
            s = pi * (1.0 - pi) * w[i]
            k = key[i]
            t[k, 0] += s
            t[k, 1 + d] += r
            for j in range(d):
                x = dense[i, j]
                sj = s * x
                t[k, 1 + j] += sj
                t[k, 2 + d + j] += r * x
                for q in range(j + 1):
                    dd[c, j, q] += sj * dense[i, q]
    return t, dd


@_jit
def _xs_joint_k(starts, key, tab, dense, dstep, raw, fit, cells, eta_max, xs, e):
    """``xs = X step`` as ``tab[key] + Σ_j dstep[c, j] x_j`` (:func:`coopmetrics.adjust_segments.joint_table`)
    and ``e = clip(raw + xs)`` on the fitted rows of ``cells``."""
    nc = len(starts) - 1
    d = dense.shape[1]
    for c in range(nc):
        if not cells[c]:
            continue
        for i in range(starts[c], starts[c + 1]):
            if not fit[i]:
                continue
            x = tab[key[i]]
            for j in range(d):
                x += dstep[c, j] * dense[i, j]
            xs[i] = x
            e[i] = min(max(raw[i] + x, -eta_max), eta_max)


@_jit
def _dot_joint_k(starts, key, tab, dense, db, out):
    nc = len(starts) - 1
    for c in range(nc):
        for i in range(starts[c], starts[c + 1]):
            x = tab[key[i]]
            for j in range(dense.shape[1]):
                x += db[c, j] * dense[i, j]
            out[i] = x


@_jit
def _xs_k(starts, dense, dslots, slots, step, raw, fit, cells, eta_max, xs, e):
    """:func:`_xs_joint_k` by per-row gathers (no joint table)."""
    nc = len(starts) - 1
    for c in range(nc):
        if not cells[c]:
            continue
        bc = step[c]
        for i in range(starts[c], starts[c + 1]):
            if not fit[i]:
                continue
            x = _row_dot(bc, i, dense, dslots, slots)
            xs[i] = x
            e[i] = min(max(raw[i] + x, -eta_max), eta_max)


@_jit
def _ll_k(starts, e, ex, lg, y, w, fit, cells, binary, p):
    """Each cell's log-likelihood at ``e`` (``ex = exp(−|e|)``, ``lg = log1p(ex)``, from numpy's
    vectorised exp and log1p): ``w (y e − log(1 + eᵉ))``, for 0/1 outcomes ``−w log(1 + e^{(1−2y)e})``
    (as ``adjust_newton._loglik_terms``: numpy's ``logaddexp(0, z) = max(z, 0) + log1p(e^{−|z|})``);
    and ``p = expit(e)`` of every row, for the next Hessian."""
    nc = len(starts) - 1
    ll = np.zeros(nc)
    for c in range(nc):
        if not cells[c]:
            continue
        t = 0.0
        for i in range(starts[c], starts[c + 1]):
            if not fit[i]:
                continue
            ei = e[i]
            if binary:
                z = ei * (1.0 - 2.0 * y[i])
                t -= w[i] * (max(z, 0.0) + lg[i])
            else:
                t += w[i] * (y[i] * ei - (max(ei, 0.0) + lg[i]))
            q = 1.0 / (1.0 + ex[i])
            p[i] = q if ei >= 0 else ex[i] * q
        ll[c] = t
    return ll


@_jit
def _commit_k(starts, raw, xs, fit, cells):
    """``raw += xs`` on the fitted rows of ``cells``; per cell max |raw| and max |xs| after it."""
    nc = len(starts) - 1
    big = np.zeros(nc)
    small = np.zeros(nc)
    for c in range(nc):
        if not cells[c]:
            continue
        hb = 0.0
        hs = 0.0
        for i in range(starts[c], starts[c + 1]):
            if not fit[i]:
                continue
            raw[i] += xs[i]
            hb = max(hb, abs(raw[i]))
            hs = max(hs, abs(xs[i]))
        big[c] = hb
        small[c] = hs
    return big, small


# ----------------------------------------------------------------------------------------
# Calls on a Chunk (the signatures of adjust_segments.gram / vec / dot)
# ----------------------------------------------------------------------------------------


def args(ch: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The kernels' view of a :class:`coopmetrics.adjust_segments.Chunk`, built once per chunk:
    ``(starts, dense, dslots, slots)`` with ``starts`` the first row of each cell and the end,
    ``slots`` the slot of every row's level of each text covariate (rows × text covariates; only
    for chunks without a joint key, :func:`coopmetrics.adjust_segments.joint_key`)."""
    got = ch.__dict__.get("_kernel_args")
    if got is None:
        n = len(ch.cid)
        starts = np.empty(ch.nc + 1, dtype=np.int64)
        starts[:-1] = ch.starts
        starts[-1] = n
        # the per-row slots only where the kernels gather per row (no joint key): 0 rows otherwise
        slots = np.empty((n if seg.joint_key(ch) is None else 0, len(ch.codes)), dtype=np.int64)
        for b, (code, (o, _nl)) in enumerate(zip(ch.codes, ch.lay.blocks, strict=True)):  # a loop over covariates
            if len(slots):
                np.add(code, o, out=slots[:, b])
        got = (starts, np.ascontiguousarray(ch.dense, dtype=np.float64), np.asarray(ch.lay.dense, dtype=np.int64),
               slots)
        ch.__dict__["_kernel_args"] = got  # a frozen dataclass: cached beside its fields
    return got


def _f(v: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(v, dtype=np.float64)


def _cols(t: np.ndarray, shape: tuple[int, ...], first: int, d: int) -> list[np.ndarray]:
    """Columns ``first … first+d−1`` of a joint table, each as a cells × L₁ × … table."""
    return [np.ascontiguousarray(t[:, first + j]).reshape(shape) for j in range(d)]


def _per_cell(t: np.ndarray, nc: int, first: int, d: int) -> np.ndarray:
    """Per-cell sums of columns ``first … first+d−1`` of a joint table (cells × d)."""
    return t[:, first:first + d].reshape(nc, -1, d).sum(axis=1)


def gram(ch: Any, s: np.ndarray) -> np.ndarray:
    """``X_cᵀ diag(s) X_c`` of every cell in slots (as :func:`coopmetrics.adjust_segments.gram`)."""
    starts, dense, dslots, slots = args(ch)
    jk = seg.joint_key(ch)
    if jk is None:
        return _gram_k(starts, dense, dslots, slots, _f(s), np.ones(ch.nc, dtype=np.bool_), ch.lay.size)
    key, shape = jk
    d = dense.shape[1]
    t, dd = _joint_k(starts, key, dense, _f(s), int(np.prod(shape)), True)
    return seg.gram_joint(ch.lay, _cols(t, shape, 0, 1)[0], _cols(t, shape, 1, d), dd)


def vec(ch: Any, v: np.ndarray) -> np.ndarray:
    """``X_cᵀ v`` of every cell in slots (as :func:`coopmetrics.adjust_segments.vec`)."""
    starts, dense, dslots, slots = args(ch)
    jk = seg.joint_key(ch)
    if jk is None:
        return _vec_k(starts, dense, dslots, slots, _f(v), ch.lay.size)
    key, shape = jk
    t = _joint_k(starts, key, dense, _f(v), int(np.prod(shape)), False)[0]
    return seg.vec_joint(ch.lay, _cols(t, shape, 0, 1)[0], _per_cell(t, ch.nc, 1, dense.shape[1]))


def dot(ch: Any, b: np.ndarray) -> np.ndarray:
    """``X_c β_c`` of every row (as :func:`coopmetrics.adjust_segments.dot`)."""
    starts, dense, dslots, slots = args(ch)
    out = np.zeros(len(ch.cid))
    jk = seg.joint_key(ch)
    if jk is None:
        _dot_k(starts, dense, dslots, slots, _f(b), np.ones(ch.nc, dtype=np.bool_), out)
    else:
        key, shape = jk
        _dot_joint_k(starts, key, seg.joint_table(ch.lay, b, shape), dense, _f(b[:, ch.lay.dense]), out)
    return out


def newton_sums(ch: Any, y: np.ndarray, w: np.ndarray, p: np.ndarray, fit: np.ndarray, cells: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Hessians (cells × slots × slots) and gradients (cells × slots) of the logits of ``cells`` at
    the fitted probabilities ``p``, on the ``fit`` rows: one pass (weights and sums together)."""
    starts, dense, dslots, slots = args(ch)
    jk = seg.joint_key(ch)
    if jk is None:
        return _sums_k(starts, dense, dslots, slots, y, w, p, fit, cells, ch.lay.size)
    key, shape = jk
    d = dense.shape[1]
    t, dd = _sums_joint_k(starts, key, dense, y, w, p, fit, cells, int(np.prod(shape)))
    g = seg.gram_joint(ch.lay, _cols(t, shape, 0, 1)[0], _cols(t, shape, 1, d), dd)
    return g, seg.vec_joint(ch.lay, _cols(t, shape, 1 + d, 1)[0], _per_cell(t, ch.nc, 2 + d, d))


def newton_step(ch: Any, step: np.ndarray, y: np.ndarray, w: np.ndarray, raw: np.ndarray, fit: np.ndarray,
                cells: np.ndarray, binary: bool, eta_max: float, xs: np.ndarray, e: np.ndarray, p: np.ndarray
                ) -> np.ndarray:
    """A trial step of ``cells``: ``xs = X step`` on their ``fit`` rows (in place), their
    log-likelihoods at ``raw + xs`` (returned) and ``p = expit(raw + xs)`` (in place). ``e``:
    work space for η. The transcendental functions run in numpy (vectorised, several times
    faster than scalar ones in a loop), the gathers and sums compiled."""
    starts, dense, dslots, slots = args(ch)
    jk = seg.joint_key(ch)
    if jk is None:
        _xs_k(starts, dense, dslots, slots, _f(step), raw, fit, cells, eta_max, xs, e)
    else:
        key, shape = jk
        _xs_joint_k(starts, key, seg.joint_table(ch.lay, step, shape), dense, _f(step[:, ch.lay.dense]), raw, fit,
                    cells, eta_max, xs, e)
    ex = np.abs(e)
    np.negative(ex, out=ex)
    np.exp(ex, out=ex)
    return _ll_k(starts, e, ex, np.log1p(ex), y, w, fit, cells, binary, p)


def newton_commit(ch: Any, raw: np.ndarray, xs: np.ndarray, fit: np.ndarray, cells: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """``raw += xs`` on the ``fit`` rows of ``cells``; per cell max |raw| and max |xs|."""
    return _commit_k(args(ch)[0], raw, xs, fit, cells)
