"""Helpers shared by the comparison modules (:mod:`coopmetrics.compare`, :mod:`coopmetrics.funnel`).

Getting an indicator's comparison kind and unit values from the registry, and the
argument checks every comparison function makes.

Examples
--------
>>> from coopmetrics.compare_base import _as_list
>>> _as_list("major"), _as_list(None)
(['major'], [])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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
