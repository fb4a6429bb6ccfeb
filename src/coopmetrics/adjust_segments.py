"""Segment sums over the cells of a chunk: designs without a design matrix (see :mod:`.adjust_batch`).

A chunk holds the complete-case rows of many comparison cells, sorted by cell. Every
cell's design is an intercept, the numeric covariates and one indicator per level of
each text covariate; the rows keep one integer level code per text covariate instead of
the indicator columns. All cells share one *slot* layout (intercept, numeric columns,
every level of every text covariate, in the order of ``adjust``); a cell uses the slots
of its own design (:func:`compact` gathers them, in slot order, which is the column
order of :meth:`coopmetrics.fits.Covariates.cell`). Cross-products ``XᵀSX`` of all cells
are a few ``np.bincount`` over (cell, level) and (cell, level, level) keys
(:func:`gram`), ``Xᵀv`` one per covariate (:func:`vec`), ``Xβ`` gathers (:func:`dot`):
O(rows × covariates), never O(rows × columns). The cells' rows are laid out with
:func:`group_codes` (one code per ``by`` combination) and :func:`stable_order` (radix orders
of integer keys).

Examples
--------
>>> import numpy as np
>>> lay = Layout(names=np.array(["", "x", "g=a", "g=b"], dtype=object), dense=[1], blocks=[(2, 2)])
>>> ch = Chunk.build(np.array([0, 0, 1, 1]), 2, np.array([[1.], [2.], [3.], [4.]]),
...                  [np.array([0, 1, 1, 0])], lay)
>>> vec(ch, np.ones(4)).tolist()
[[2.0, 3.0, 1.0, 1.0], [2.0, 7.0, 1.0, 1.0]]
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Chunk", "Layout", "compact", "dot", "gather_mat", "gather_vec", "gram", "group_codes", "scatter_vec",
           "seg_max", "seg_min", "seg_sum", "stable_order", "vec"]

@dataclass(frozen=True)
class Layout:
    """The slots shared by every cell's design: ``names`` (``""`` for the intercept, slot 0),
    the slot of each numeric covariate (``dense``) and ``(offset, levels)`` of each text one."""

    names: np.ndarray
    dense: list[int]
    blocks: list[tuple[int, int]]

    @property
    def size(self) -> int:
        """Number of slots."""
        return len(self.names)


@dataclass(frozen=True)
class Chunk:
    """Rows of the cells of a chunk, sorted by cell (:meth:`build`)."""

    cid: np.ndarray          # cell of each row (0 .. nc-1, sorted)
    nc: int
    dense: np.ndarray        # (rows, numeric covariates)
    codes: list[np.ndarray]  # level code of each text covariate
    lay: Layout
    keys: list[np.ndarray]   # cid * levels + code, per text covariate
    starts: np.ndarray       # first row of each cell
    combo: np.ndarray | None = None  # cid * Π levels + (level of every text covariate), when small
    nonempty: bool = False   # every cell has a row (segment sums by add.reduceat)
    pairs: list[np.ndarray] | None = None  # (cid * L_a + code_a) * L_b + code_b per pair a < b (no combo)

    @classmethod
    def build(cls, cid: np.ndarray, nc: int, dense: np.ndarray, codes: list[np.ndarray], lay: Layout) -> Chunk:
        """Keys of a chunk; ``cid`` sorted, every cell with at least one row."""
        cid = cid.astype(np.int64)
        keys = [cid * nl + c for c, (_o, nl) in zip(codes, lay.blocks, strict=True)]
        starts = np.searchsorted(cid, np.arange(nc))
        combo = None
        nlev = [nl for _o, nl in lay.blocks]
        cells_combo = int(np.prod(nlev)) if nlev else 0
        # the joint table pays off while it is not much larger than the rows (measured: beyond about
        # 1.5 x the rows one bincount per pair of covariates is faster; small tables cost nothing)
        pairs = None
        bins = min(_COMBO_BINS, max(1.5 * len(cid), _COMBO_SMALL))
        if 1 < len(nlev) and cells_combo <= _COMBO_MAX and nc * cells_combo <= bins:
            combo = cid.copy()
            for c, nl in zip(codes, nlev, strict=True):  # one key for the joint level of all text covariates
                combo *= nl
                combo += c
        elif 1 < len(nlev):  # the pair keys, once per chunk (gram needs them in every Newton iteration)
            pairs = [keys[a] * nlev[b] + codes[b] for a in range(len(nlev)) for b in range(a + 1, len(nlev))]
        nonempty = bool(nc and len(cid) and (np.diff(np.r_[starts, len(cid)]) > 0).all())
        return cls(cid, nc, dense, [c.astype(np.int64) for c in codes], lay, keys, starts, combo, nonempty, pairs)

    @property
    def flat(self) -> list[np.ndarray]:
        """``cid * slots + slot`` per text covariate: the gathers of :func:`dot` without a joint key
        (built on first use; most chunks never need them)."""
        got = self.__dict__.get("_flat")
        if got is None:
            got = [self.cid * self.lay.size + o + c for c, (o, _nl) in zip(self.codes, self.lay.blocks, strict=True)]
            self.__dict__["_flat"] = got  # a frozen dataclass: cached beside its fields
        return got

    def shifted(self, shift: np.ndarray) -> Chunk:
        """The same chunk with each cell's numeric columns shifted by ``shift`` (cells × numeric):
        centred sums without cancellation (scores near 400)."""
        return replace(self, dense=self.dense - shift[self.cid])


_COMBO_MAX = 4096      # joint levels of the text covariates up to which one joint key replaces the pairs
_COMBO_BINS = 4_000_000  # cells × joint levels of one chunk (memory of one joint bincount)
_COMBO_SMALL = 4096  # joint tables this small are used whatever the number of rows


def _joint(ch: Chunk, v: np.ndarray) -> np.ndarray:
    """Sums of ``v`` per cell and joint level: cells × L₁ × … × L_C."""
    shape = (ch.nc, *(nl for _o, nl in ch.lay.blocks))
    return np.bincount(ch.combo, weights=v, minlength=int(np.prod(shape))).reshape(shape)


def _margin(t: np.ndarray, keep: tuple[int, ...]) -> np.ndarray:
    """Sum of a joint table over every text covariate axis not in ``keep`` (axis 0, cells, stays)."""
    if len(keep) == t.ndim - 1:
        return t
    letters = "bcdefghijklmnopqrstuvwxyz"[:t.ndim - 1]
    # einsum: 3-5x faster than ndarray.sum over short inner axes (measured on cells x 32 x 2 x 5)
    return np.einsum(f"a{letters}->a{''.join(letters[k - 1] for k in keep)}", t)


def _margins(t: np.ndarray) -> tuple[list[np.ndarray], dict[tuple[int, int], np.ndarray]]:
    """Every one- and two-covariate margin of a joint table: the pairs from the table, each single
    margin from a pair that holds it (small tables), so the large table is summed once per pair."""
    c = t.ndim - 1
    pairs = {(a, b): _margin(t, (a + 1, b + 1)) for a in range(c) for b in range(a + 1, c)}
    singles = []
    for a in range(c):  # a loop over covariates
        (i, j), m = next((k, v) for k, v in pairs.items() if a in k)
        singles.append(np.einsum("abc->ab", m) if a == i else np.einsum("abc->ac", m))
    return singles, pairs


def seg_sum(ch: Chunk, v: np.ndarray) -> np.ndarray:
    """Sum of ``v`` over each cell's rows (contiguous: ``add.reduceat``, ~9x faster than a bincount
    whose rows all hit the same bin in turn)."""
    if ch.nonempty:
        return np.add.reduceat(v, ch.starts)
    return np.bincount(ch.cid, weights=v, minlength=ch.nc)


def seg_max(ch: Chunk, v: np.ndarray) -> np.ndarray:
    """Maximum of ``v`` over each cell's rows."""
    return np.maximum.reduceat(v, ch.starts)


def seg_min(ch: Chunk, v: np.ndarray) -> np.ndarray:
    """Minimum of ``v`` over each cell's rows."""
    return np.minimum.reduceat(v, ch.starts)


def vec(ch: Chunk, v: np.ndarray) -> np.ndarray:
    """``X_cᵀ v`` of every cell in slots (cells × slots)."""
    lay, nc = ch.lay, ch.nc
    out = np.zeros((nc, lay.size))
    for j, s in enumerate(lay.dense):  # a loop over covariates
        out[:, s] = seg_sum(ch, v * ch.dense[:, j])
    if ch.combo is not None:  # a joint table no larger than ~1.5x the rows: one pass over the rows
        singles = _margins(_joint(ch, v))[0]
        out[:, 0] = singles[0].sum(axis=1)
        for m, (o, nl) in zip(singles, lay.blocks, strict=True):
            out[:, o:o + nl] = m
        return out
    out[:, 0] = seg_sum(ch, v)
    for key, (o, nl) in zip(ch.keys, lay.blocks, strict=True):
        out[:, o:o + nl] = np.bincount(key, weights=v, minlength=nc * nl).reshape(nc, nl)
    return out


def gram(ch: Chunk, s: np.ndarray) -> np.ndarray:
    """``X_cᵀ diag(s) X_c`` of every cell in slots (cells × slots × slots), from segment sums.

    Indicator × indicator blocks are counts over (cell, level, level); an indicator block's
    diagonal and its row of the intercept are the counts over (cell, level).
    """
    lay, nc = ch.lay, ch.nc
    sd = [s * ch.dense[:, j] for j in range(len(lay.dense))]
    dd = np.zeros((nc, len(lay.dense), len(lay.dense)))
    for j in range(len(lay.dense)):  # loops over pairs of numeric covariates
        for i in range(j + 1):
            dd[:, j, i] = seg_sum(ch, sd[j] * ch.dense[:, i])
    if ch.combo is not None:  # one joint bincount per weight: every block and pair is a margin of it
        return gram_joint(lay, _joint(ch, s), [_joint(ch, v) for v in sd], dd)
    g = np.zeros((nc, lay.size, lay.size))
    for j, a in enumerate(lay.dense):
        for i in range(j + 1):
            b = lay.dense[i]
            g[:, a, b] = g[:, b, a] = dd[:, j, i]
    g[:, 0, 0] = seg_sum(ch, s)
    for j, a in enumerate(lay.dense):
        g[:, 0, a] = g[:, a, 0] = seg_sum(ch, sd[j])
    pair = 0
    for bi, (key, (o, nl)) in enumerate(zip(ch.keys, lay.blocks, strict=True)):
        cnt = np.bincount(key, weights=s, minlength=nc * nl).reshape(nc, nl)
        _put_block(g, o, nl, cnt, [np.bincount(key, weights=v, minlength=nc * nl).reshape(nc, nl) for v in sd],
                   lay.dense)
        for bj, (o2, nl2) in enumerate(lay.blocks[bi + 1:], start=bi + 1):
            pk = ch.pairs[pair] if ch.pairs is not None else key * nl2 + ch.codes[bj]
            pair += 1
            m = np.bincount(pk, weights=s, minlength=nc * nl * nl2).reshape(nc, nl, nl2)
            g[:, o:o + nl, o2:o2 + nl2] = m
            g[:, o2:o2 + nl2, o:o + nl] = m.transpose(0, 2, 1)
    return g


def _singles(t: np.ndarray) -> list[np.ndarray]:
    """The one-covariate margins (cells × L_b) of a joint table."""
    return [] if t.ndim == 1 else [t] if t.ndim == 2 else _margins(t)[0]


def gram_joint(lay: Layout, js: np.ndarray, jd: list[np.ndarray], dd: np.ndarray) -> np.ndarray:
    """``X_cᵀ diag(s) X_c`` in slots from joint tables (cells × L₁ × … × L_C): ``js`` the sums of ``s``,
    ``jd`` those of ``s · x_j`` per numeric covariate, ``dd`` the per-cell sums of ``s x_j x_i``
    (cells × d × d, lower triangle)."""
    nc = js.shape[0]
    g = np.zeros((nc, lay.size, lay.size))
    for j, a in enumerate(lay.dense):  # loops over pairs of numeric covariates
        for i in range(j + 1):
            b = lay.dense[i]
            g[:, a, b] = g[:, b, a] = dd[:, j, i]
    singles, pairs = _margins(js) if js.ndim >= 3 else (_singles(js), {})
    g[:, 0, 0] = js.reshape(nc, -1).sum(axis=1)
    dense_singles = [_singles(v) for v in jd]
    for j, a in enumerate(lay.dense):
        g[:, 0, a] = g[:, a, 0] = jd[j].reshape(nc, -1).sum(axis=1)
    for bi, (o, nl) in enumerate(lay.blocks):
        _put_block(g, o, nl, singles[bi], [d[bi] for d in dense_singles], lay.dense)
        for bj in range(bi + 1, len(lay.blocks)):
            o2, nl2 = lay.blocks[bj]
            m = pairs[(bi, bj)]
            g[:, o:o + nl, o2:o2 + nl2] = m
            g[:, o2:o2 + nl2, o:o + nl] = m.transpose(0, 2, 1)
    return g


def joint_table(lay: Layout, b: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Intercept plus text-covariate coefficients of ``b`` (cells × slots) per cell and joint
    level, flattened: ``Xβ`` of a row is this at its joint key plus its numeric terms."""
    table = np.zeros(shape)
    nb = len(shape) - 1
    table += b[:, 0].reshape((-1,) + (1,) * nb)
    for bi, (o, nl) in enumerate(lay.blocks):
        idx: list[Any] = [slice(None)] + [None] * nb
        idx[bi + 1] = slice(None)
        table += b[:, o:o + nl][tuple(idx)]
    return table.ravel()


def _put_block(g: np.ndarray, o: int, nl: int, cnt: np.ndarray, dense_cross: list[np.ndarray], dense: list[int]
               ) -> None:
    """Write a text covariate's level sums (its row of the intercept and its diagonal) and its
    cross-products with the numeric columns into ``g``."""
    g[:, 0, o:o + nl] = cnt
    g[:, o:o + nl, 0] = cnt
    ar = np.arange(o, o + nl)
    g[:, ar, ar] = cnt
    for m, a in zip(dense_cross, dense, strict=True):
        g[:, a, o:o + nl] = m
        g[:, o:o + nl, a] = m


def dot(ch: Chunk, b: np.ndarray) -> np.ndarray:
    """``X_c β_c`` for every row (``b``: cells × slots): gathers, one per covariate."""
    lay = ch.lay
    if ch.combo is not None:  # intercept and text covariates per cell and joint level, then one gather
        out = joint_table(lay, b, (ch.nc, *(nl for _o, nl in lay.blocks)))[ch.combo]
        for j, s in enumerate(lay.dense):
            out += b[:, s][ch.cid] * ch.dense[:, j]
        return out
    out = b[ch.cid, 0].copy()
    for j, s in enumerate(lay.dense):
        out += b[ch.cid, s] * ch.dense[:, j]
    bf = b.ravel()
    for f in ch.flat:
        out += bf[f]
    return out


def compact(act: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's active slots in slot order, padded: ``(order, valid)``, both cells × max columns."""
    k = act.sum(axis=1)
    kmax = max(int(k.max(initial=0)), 1)
    order = np.argsort(~act, axis=1, kind="stable")[:, :kmax]
    return order, np.arange(kmax)[None, :] < k[:, None]


def gather_mat(g: np.ndarray, order: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """The active rows and columns of each cell's slot matrix; padding is the identity."""
    nc, size = g.shape[0], g.shape[1]
    k = order.shape[1]
    idx = (order[:, :, None] * size + order[:, None, :]).reshape(nc, k * k)  # one gather, not two
    h = np.take_along_axis(g.reshape(nc, size * size), idx, axis=1).reshape(nc, k, k)
    h *= valid[:, :, None] & valid[:, None, :]
    ar = np.arange(k)
    h[:, ar, ar] += ~valid
    return h


def gather_vec(v: np.ndarray, order: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """The active entries of each cell's slot vector (padding 0); ``v`` may carry trailing axes."""
    idx = order.reshape(order.shape + (1,) * (v.ndim - 2))
    out = np.take_along_axis(v, idx, axis=1)
    return out * valid.reshape(valid.shape + (1,) * (v.ndim - 2))


def scatter_vec(vc: np.ndarray, order: np.ndarray, valid: np.ndarray, size: int) -> np.ndarray:
    """Compact vectors (cells × columns) back into slots (cells × slots), 0 on inactive slots."""
    out = np.zeros((len(vc), size))
    np.put_along_axis(out, order, np.where(valid, vc, 0.0), axis=1)
    return out


def group_codes(v: pd.DataFrame, by: list[str]) -> np.ndarray:
    """One integer per row for its combination of ``by`` values (missing values a level of their own),
    the codes ``0 … groups−1``.

    The columns' codes are folded into one mixed-radix number; while the product of the levels is
    small (at most a few times the rows) the numbers present are renumbered through a count per
    number (O(rows), no hashing of 10M keys), otherwise by ``pd.factorize`` after each column.
    """
    key = np.zeros(len(v), dtype=np.int64)
    size = 1
    for c in by:  # a loop over the by columns: factorise each, fold into one code
        code, uniq = pd.factorize(v[c], use_na_sentinel=False)
        if size * len(uniq) > max(4 * len(v), 1 << 16):  # too many combinations for a table
            key, _ = pd.factorize(key * len(uniq) + code)
            size = int(key.max(initial=-1)) + 1
            continue
        key *= len(uniq)
        key += code
        size *= len(uniq)
    present = np.bincount(key, minlength=size) > 0
    return (np.cumsum(present) - 1)[key] if not present.all() else key


def stable_order(key: np.ndarray, nkeys: int) -> np.ndarray:
    """``np.argsort(key, kind="stable")`` for integer keys in ``0 … nkeys−1``.

    numpy sorts 16-bit integers stably by radix (O(n), about 5× faster than the merge sort of
    int64 at 10M rows), so keys below 2¹⁶ are sorted as ``uint16`` and keys below 2³² in two
    radix passes (low 16 bits, then the high 16 bits of that order: least significant digit first).

    Examples
    --------
    >>> stable_order(np.array([2, 0, 2, 1, 0]), 3).tolist()
    [1, 4, 3, 0, 2]
    """
    if nkeys <= 1 << 16:
        return np.argsort(key.astype(np.uint16), kind="stable")
    if nkeys <= 1 << 32:
        lo = np.argsort((key & 0xFFFF).astype(np.uint16), kind="stable")
        return lo[np.argsort((key[lo] >> 16).astype(np.uint16), kind="stable")]
    return np.argsort(key, kind="stable")
