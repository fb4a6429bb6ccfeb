"""Helpers shared by the comparison modules (:mod:`coopmetrics.compare`, :mod:`coopmetrics.funnel`).

Getting an indicator's comparison kind and unit values from the registry, and the
argument checks every comparison function makes, and the bootstrap of means on
distinct-value counts (:func:`value_counts`, :func:`_poisson_bootstrap_means`).

Examples
--------
>>> from coopmetrics.compare_base import _as_list
>>> _as_list("major"), _as_list(None)
(['major'], [])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .errors import InvalidOptionError, MissingColumnError

KINDS = ("proportion", "likert", "mean", "median")


def _flag_count(k: int, zh: str, en: str) -> str:
    return f"{k} {zh} / {k} {en}"


# ----------------------------------------------------------------------------------------
# Getting unit values from the registry
# ----------------------------------------------------------------------------------------


def _kind_of(indicator: str) -> tuple[str, Any]:
    """Comparison kind of a registry indicator (proportion, likert, mean, median), declared by its kind."""
    from .registry import comparison_kind, get_indicator

    ind = get_indicator(indicator)
    return comparison_kind(ind), ind


def _unit_values(data: Any, indicator: str, columns: Sequence[str], options: Any) -> pd.DataFrame:
    from .compute import unit_values

    v = unit_values(data, indicator, columns=tuple(dict.fromkeys(columns)), options=options)
    if not isinstance(v, pd.DataFrame):  # lazy frames are collected: comparisons need rows
        v = v.to_pandas() if hasattr(v, "to_pandas") else pd.DataFrame(v)
    return v


def _as_list(x: str | Sequence[str] | None) -> list[str]:
    if x is None:
        return []
    if isinstance(x, str):
        return [x]
    return list(x)


def _need(frame: pd.DataFrame, cols: Sequence[str], func: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise MissingColumnError(
            f"{func}() 需要的列不存在：{missing}（现有：{list(frame.columns)}）",
            f"{func}() needs column(s) {missing}, not found (present: {list(frame.columns)})",
            column=", ".join(missing),
        )


def _check_level(ci_level: float, func: str) -> float:
    if not (isinstance(ci_level, int | float) and 0 < ci_level < 1):
        raise InvalidOptionError(
            f"{func}() 的 ci_level 必须在 0 和 1 之间，收到 {ci_level!r}",
            f"The 'ci_level' of {func}() must be between 0 and 1. Got {ci_level!r} instead.",
        )
    return float(stats.norm.isf((1 - ci_level) / 2))


def value_counts(long: pd.DataFrame, ref_of: np.ndarray | None = None) -> pd.DataFrame:
    """Distinct ``(pair_id, arm, value, weight)`` cells with their row counts ``n``.

    The sufficient table of a bootstrap of means: a resample of rows only changes how
    often each distinct (value, weight) appears, so the bootstrap never needs the rows,
    only these counts (a few thousand cells even for millions of rows of salaries
    rounded to the yuan). Reference blocks shared by the comparisons of one ``by``
    group are kept once (``ref_of``), as in :func:`_bootstrap`.
    """
    if ref_of is not None:
        pid, arm = long["pair_id"].to_numpy(), long["arm"].to_numpy()
        long = long.loc[(arm == 1) | (ref_of[pid] == pid)]
    c = long.groupby(["pair_id", "arm", "value", "weight"], sort=True, observed=True).size()
    return c.rename("n").reset_index()


def _poisson_bootstrap_means(counts: pd.DataFrame, n_pairs: int, n_boot: int, seed: int,
                             ref_of: np.ndarray | None = None, budget: int = 4_000_000) -> np.ndarray:
    """Poisson bootstrap of every arm's (weighted) mean from distinct-value counts, (n_boot, n_pairs, 2).

    Each row of a block gets an independent Poisson(1) weight (the Poisson bootstrap:
    Hanley & MacGibbon 2006; Chamandy et al. 2012); the rows sharing a distinct
    ``(value, weight)`` cell then carry a total weight ``Poisson(n_cell)``, so one
    Poisson draw per cell and replicate gives exactly the Poisson bootstrap of the rows.
    Its replicate means have the distribution of the multinomial (row) bootstrap up to
    terms of order ``1/n`` (the resample size ``Poisson(n)`` instead of ``n``). Cost and
    memory are replicates × cells, in chunks of at most ``budget`` numbers, never
    replicates × rows. A replicate with no row drawn in a block (probability
    ``exp(-n)``) has no mean (NaN; the percentile interval skips it).
    """
    gid = (counts["pair_id"].to_numpy(dtype=np.int64) * 2 + counts["arm"].to_numpy(dtype=np.int64))
    c = counts["n"].to_numpy(dtype=float)
    wy = counts["weight"].to_numpy(dtype=float) * counts["value"].to_numpy(dtype=float)
    w = counts["weight"].to_numpy(dtype=float)
    groups, starts = np.unique(gid, return_index=True)
    out = np.full((n_boot, n_pairs * 2), np.nan)
    rng = np.random.default_rng(seed)
    k = len(c)
    chunk = max(1, budget // max(k, 1))
    for lo in range(0, n_boot, chunk):  # chunks of replicates bound the memory, not a loop per group
        r = min(chunk, n_boot - lo)
        m = rng.poisson(c, size=(r, k)).astype(float)
        num = np.add.reduceat(m * wy, starts, axis=1) if k else np.empty((r, 0))
        den = np.add.reduceat(m * w, starts, axis=1) if k else np.empty((r, 0))
        with np.errstate(invalid="ignore", divide="ignore"):
            out[lo:lo + r, groups] = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    out = out.reshape(n_boot, n_pairs, 2)
    if ref_of is not None:
        out[:, :, 0] = out[:, ref_of, 0]
    return out
