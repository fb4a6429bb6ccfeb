"""The unit layout of adjusted comparisons: each comparison cell's rows as positions in one frame.

:func:`expand_cells` turns the unit values of ``compare(adjust=...)`` into the unit frame in
cell order (cohort rows pair by pair, reference rows group by group), the comparison pairs and
the :class:`CellRows` of each pair, from one integer key per row and one radix sort;
:func:`compact_text` turns text columns into categories. The fits are in
:mod:`coopmetrics.adjust` (re-exported there).

Examples
--------
>>> import pandas as pd
>>> from coopmetrics.adjust_cells import expand_cells
>>> v = pd.DataFrame({"program": ["regular", "order_class", "regular", "order_class"],
...                   "g": ["a", "a", "b", "b"], "value": [1.0, 0, 1, 1], "x": [1.0, 2, 3, 4]})
>>> frame, pairs, notes, cells = expand_cells(v, "program", "regular", ["g"], ["x"])
>>> pairs.to_dict("list"), frame["x"].iloc[cells.rows(1)].tolist()
({'g': ['a', 'b'], '_cohort': ['order_class', 'order_class']}, [4.0, 3.0])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .adjust_segments import stable_order
from .compare_base import _flag_count

__all__ = ["CellRows", "compact_text", "expand_cells"]


def compact_text(values: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    """Text columns among ``cols`` as categories, column by column in place (returns ``values``).

    The covariates and the cohort column of an adjusted comparison are only ever coded, so
    10M rows of short strings (about 1 GiB) shrink to their codes; converting one column at a
    time keeps a single extra column alive. Only ``string`` columns are converted.
    """
    converted = False
    for c in dict.fromkeys(cols):
        if c in values.columns and isinstance(values[c].dtype, pd.StringDtype):
            values[c] = values[c].astype("category")
            converted = True
    if converted:  # hand the freed Arrow string buffers back to the system (mimalloc keeps them otherwise)
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    return values


@dataclass(frozen=True)
class CellRows:
    """Rows of every comparison cell as positions in the unit frame (:func:`expand_cells`).

    A cell (pair ``p``) is its cohort rows ``cohort[cb[p]:cb[p+1]]`` followed by the reference
    rows of its group ``ref[rlo[p]:rhi[p]]``; reference rows are stored once per group, not
    once per cohort level, so the layout costs a few integer arrays over the units.
    """

    cohort: np.ndarray
    cb: np.ndarray
    ref: np.ndarray
    rlo: np.ndarray
    rhi: np.ndarray

    def rows(self, p: int) -> np.ndarray:
        """Positions of pair ``p``'s rows: cohort rows first, then reference rows (each in frame order)."""
        return np.concatenate([self.cohort[self.cb[p]:self.cb[p + 1]], self.ref[self.rlo[p]:self.rhi[p]]])

    def sizes(self) -> np.ndarray:
        """Rows per cell."""
        return np.diff(self.cb) + (self.rhi - self.rlo)


def expand_cells(values: pd.DataFrame, cohort: str, reference: str, by: list[str], adjust: list[str],
                 cluster: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame, list[str], CellRows]:
    """The adjusted comparison's units, its pairs (one per cohort level and group) and each pair's rows.

    The same pairs, notes and cell rows as ``compare._expand_pairs`` (which repeats every
    reference row once per cohort level of its group), without repeating rows: memory stays
    proportional to the units. Returns the unit frame (``value``, ``weight``, ``arm``, the
    ``adjust`` columns and ``_cluster``; rows with a missing cohort or value left out; its
    rows in cell order: the cohort rows pair by pair, then the reference rows group by
    group, each in the order of ``values``), the pairs (``by`` columns and ``_cohort``, in
    ``pair_id`` order), notes on rows left out, and the :class:`CellRows`.

    One integer key per row (its pair, its group's reference block, or "left out") and one
    radix sort of it give the whole layout: no merge, no string per row, no filtered copy
    of ``values`` (only the columns the fits read are gathered, once, in cell order).
    """
    keep = list(dict.fromkeys(["value", cohort, *by, *adjust, *(["weight"] if "weight" in values.columns else []),
                               *([cluster] if cluster else [])]))
    v = values[keep]
    notes: list[str] = []
    miss_c, miss_v = v[cohort].isna().to_numpy(), v["value"].isna().to_numpy()
    if miss_c.any():
        notes.append(_flag_count(int(miss_c.sum()), "行队列缺失，未纳入", "rows with missing cohort left out"))
    if miss_v.any():
        notes.append(_flag_count(int((miss_v & ~miss_c).sum()), "行取值缺失，未纳入", "rows with missing value left out"))
    ccode, clev = _codes(v[cohort])  # -1: missing
    clev = np.asarray(pd.Index(clev).astype(str), dtype=object)
    used = ~(miss_c | miss_v)
    ref_code = int(np.flatnonzero(clev == reference)[0]) if (clev == reference).any() else -1
    if ref_code < 0 or not (used & (ccode == ref_code)).any():
        from .errors import InvalidOptionError

        levels = sorted(set(clev[np.unique(ccode[used & (ccode >= 0)])].tolist()))
        raise InvalidOptionError(
            f"对照组 {reference!r} 不在列 {cohort!r} 中（现有：{levels}）",
            f"reference level {reference!r} not found in column {cohort!r} (levels present: {levels})",
        )
    gkey, n_groups = _group_key(v, by, used)
    ncoh, nkey = len(clev), n_groups * len(clev)
    itype = np.int32 if max(len(v), nkey + 1) < 2**31 else np.int64
    # (group, cohort level) of every row; rows left out get the extra key ``nkey``
    key0 = np.where(used, gkey * ncoh + ccode, nkey).astype(itype)
    del gkey, ccode, miss_c, miss_v, used
    # the pairs present and the first row of each (for its by values): a count per key, not a sort
    # (assigned back to front, so the first row of a key is written last)
    cnt = np.bincount(key0, minlength=nkey + 1)
    one = np.empty(nkey + 1, dtype=np.int64)
    one[key0[::-1]] = np.arange(len(key0) - 1, -1, -1)
    ukey = np.flatnonzero((cnt[:nkey] > 0) & (np.arange(nkey) % ncoh != ref_code))
    pairs = v[by].iloc[one[ukey]].reset_index(drop=True).assign(_cohort=clev[ukey % ncoh], _key=ukey)
    pairs = pairs.sort_values([*by, "_cohort"]).reset_index(drop=True)  # pair_id order, as compare's
    n_pairs = len(pairs)
    # final key: pair id (cohort rows), n_pairs + group (reference rows), the last key (rows left out)
    lut = np.full(nkey + 1, n_pairs + n_groups, dtype=itype)
    lut[pairs["_key"].to_numpy()] = np.arange(n_pairs)
    lut[np.arange(n_groups) * ncoh + ref_code] = n_pairs + np.arange(n_groups)
    key = lut[key0]
    del key0
    nk = n_pairs + n_groups + 1
    counts = np.bincount(key, minlength=nk)
    perm = stable_order(key, nk)[:len(key) - counts[-1]]
    del key
    cb = np.r_[0, np.cumsum(counts[:n_pairs])]
    gb = np.r_[0, np.cumsum(counts[n_pairs:-1])]  # every group, those without reference rows included
    gp = pairs["_key"].to_numpy() // ncoh  # each pair's group
    rlo, rhi = gb[gp], gb[gp + 1]
    nt = int(cb[-1])
    out = pd.DataFrame({"value": v["value"].to_numpy(dtype=float)[perm], "weight": _weights(v, perm),
                        "arm": np.r_[np.ones(nt, dtype=np.int8), np.zeros(len(perm) - nt, dtype=np.int8)]},
                       copy=False)
    for c in adjust:
        out[c] = _take(v[c], perm)
    if cluster:
        out["_cluster"] = pd.factorize(v[cluster])[0][perm]
    rows = np.arange(len(perm), dtype=itype)
    return out, pairs[[*by, "_cohort"]], notes, CellRows(rows[:nt], cb, rows[nt:], rlo, rhi)


def _codes(col: pd.Series) -> tuple[np.ndarray, Any]:
    """``pd.factorize`` of a column (-1 for missing); a categorical column's own codes (no hashing)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.cat.codes.to_numpy().astype(np.int64), col.cat.categories
    return pd.factorize(col)


def _group_key(v: pd.DataFrame, by: list[str], used: np.ndarray) -> tuple[np.ndarray, int]:
    """One integer per row for its combination of ``by`` values (missing a level of its own), and the
    number of codes ``0 … groups−1`` (combinations present, possibly only on rows not ``used``).

    The groups are numbered as ``pd.factorize`` of each column over the ``used`` rows (order of
    first appearance) folded into one mixed-radix number: the reference blocks of the unit
    frame, hence the fits' summation order, stay exactly as they were. Categorical columns give
    their codes and integer columns of a small range their offset from the minimum, renumbered
    by first appearance, so that only other columns are hashed; the folded numbers are
    renumbered through a count per number while that table is small (at most a few times the
    rows), else by ``pd.factorize``.
    """
    key = np.zeros(len(v), dtype=np.int64)
    size = 1
    pos = None if used.all() else np.flatnonzero(used)
    for c in by:  # a loop over the by columns: code each, fold into one
        code, k = _column_code(v[c], pos)
        if size * k > max(4 * len(v), 1 << 16):  # too many combinations for a table
            key, _ = pd.factorize(key * k + code)
            size = int(key.max(initial=-1)) + 1
            continue
        key = key * k + code
        size *= k
    present = np.bincount(key, minlength=size) > 0
    if present.all():
        return key, size
    return (np.cumsum(present) - 1)[key], int(present.sum())


def _column_code(col: pd.Series, pos: np.ndarray | None) -> tuple[np.ndarray, int]:
    """Codes ``0 … k−1`` of a ``by`` column's values (missing values one code) in order of first
    appearance among rows ``pos`` (all rows when ``None``), and ``k``."""
    code = None
    if isinstance(col.dtype, pd.CategoricalDtype):
        raw, k = col.cat.codes.to_numpy(), len(col.cat.categories)
        code = np.where(raw < 0, k, raw).astype(np.int64)
        k += 1
    elif isinstance(col.dtype, np.dtype) and np.issubdtype(col.dtype, np.integer) and len(col):
        a = col.to_numpy()
        lo, hi = int(a.min()), int(a.max())
        if hi - lo < max(4 * len(a), 1 << 16):  # a year, a code: the offset is the code
            code, k = a.astype(np.int64) - lo, hi - lo + 1
    if code is None:
        if pos is None:
            code, uniq = pd.factorize(col, use_na_sentinel=False)
            return np.asarray(code, dtype=np.int64), max(len(uniq), 1)
        code = np.asarray(pd.factorize(col, use_na_sentinel=False)[0], dtype=np.int64)
        k = int(code.max(initial=-1)) + 1
    # renumber by first appearance (a scatter into a table of k, written back to front)
    sub = code if pos is None else code[pos]
    first = np.full(k, len(code), dtype=np.int64)
    first[sub[::-1]] = (np.arange(len(sub)) if pos is None else pos)[::-1]
    rank = np.empty(k, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(k)
    return rank[code], max(k, 1)


def _weights(v: pd.DataFrame, perm: np.ndarray) -> np.ndarray:
    """The weights of rows ``perm`` (ones without a gather when every weight is 1)."""
    if "weight" not in v.columns:
        return np.ones(len(perm))
    w = v["weight"].to_numpy(dtype=float)
    return np.ones(len(perm)) if (w == 1.0).all() else w[perm]


def _take(col: pd.Series, perm: np.ndarray) -> Any:
    """Rows ``perm`` of a column in its own dtype (categories: a gather of their codes)."""
    if _plain(col):
        return col.to_numpy()[perm]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return pd.Categorical.from_codes(col.cat.codes.to_numpy()[perm], dtype=col.dtype, validate=False)
    return col.iloc[perm].reset_index(drop=True)


def _plain(col: pd.Series) -> bool:
    """Whether ``col`` is a plain numpy column (taken as an array; other dtypes keep their type)."""
    return isinstance(col.dtype, np.dtype)
