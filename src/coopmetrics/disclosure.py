"""Statistical disclosure control for published tables: named presets that mark cells.

:func:`apply_disclosure` takes a :func:`coopmetrics.compute` result and returns a
copy with the same rows in the same order (nothing is deleted) and:

* ``status`` set to ``"suppressed"`` for cells a rule suppresses (only cells that
  were ``"reported"``; ``missing_input`` / ``not_applicable`` stay as they are);
* ``disclosure_preset`` and ``disclosure_rule`` (a code of :data:`RULES`, ``""``
  when no rule applies) saying why;
* publication columns ``numerator_rounded``, ``denominator_rounded``,
  ``n_rounded``, ``estimate_public``, ``ci_low_public``, ``ci_high_public``: rounded
  counts and the estimate/CI with suppressed cells blanked (NaN).

Design: the frame returned is the *analyst* frame: the original ``numerator``,
``estimate``, ``ci_low`` ... are kept unchanged so staff can still check them. A
published table must be built from the ``*_rounded`` / ``*_public`` columns;
:func:`public_table` does exactly that (same column names as ``compute()``, raw
values replaced by the public ones, ``se``/``n_eff``/``deff`` and the unweighted
estimate blanked where suppressed). Only primary suppression is done: a suppressed
cell that can be recovered from a total and its other cells (secondary/complementary
suppression) is not protected.

Presets
-------
``"hesa"``
    HESA Standard Rounding Methodology (https://www.hesa.ac.uk/support/data-intelligence;
    see ``shared/reference/methods-intl.md`` §2.1): (1) all numbers rounded to the
    nearest multiple of 5; (2) numbers below 2.5 rounded to 0; (3) halves rounded up
    (2.5 → 5); (4) percentages based on fewer than 22.5 individuals suppressed;
    (5) averages based on 7 or fewer individuals suppressed; (6) applies to headcounts
    (FPE, FTE); (7) financial data not rounded. Here: rule 4 applies to shares
    (``unit == "share"``: proportions, weighted survey shares, share-valued ratios),
    using the unrounded, unweighted ``denominator`` (respondents for survey shares);
    rule 5 to means, medians and per-unit ratios (students per teacher, yuan per
    student, ...), using ``n`` (or the denominator for ratios); rounding (1-3) to
    headcounts: ``n``, denominators, numerators that count people or positions, and
    count-valued estimates (counts, sums of persons/positions). Money (yuan) is not
    rounded (rule 7), nor are hours or person-days (not headcounts, rule 6).
    Estimates and CIs are computed from unrounded values (as Ofqual states for its
    own rounding policy; HESA's tables are consistent with this).
``"min_n"``
    Suppress every estimate whose base is smaller than ``min_n`` (default 10): the
    ``denominator`` for shares and ratios, ``n`` for means and medians. A simple
    minimum cell size as used for accountability n-sizes (US ESSA states chose 5-30;
    methods-intl.md §2.2). In suppressed cells the counts are blanked too; counts are
    not rounded.
``"none"``
    No rule; public columns equal the raw ones (internal use).

Examples
--------
>>> import pandas as pd
>>> from coopmetrics.disclosure import apply_disclosure, hesa_round
>>> hesa_round([0, 1, 2, 2.5, 3, 7, 7.5, 12, 22, 23]).tolist()
[0.0, 0.0, 0.0, 5.0, 5.0, 5.0, 10.0, 10.0, 20.0, 25.0]
>>> res = pd.DataFrame({"indicator": ["placement_rate"] * 2, "major": ["A", "B"],
...     "numerator": [19, 180], "denominator": [21, 200], "n": [21, 200],
...     "estimate": [19 / 21, 0.9], "unit": "share", "status": "reported"})
>>> out = apply_disclosure(res, "hesa")
>>> cols = ["status", "disclosure_rule", "numerator_rounded", "denominator_rounded", "estimate_public"]
>>> print(out[cols].to_string())  # doctest: +NORMALIZE_WHITESPACE
       status   disclosure_rule  numerator_rounded  denominator_rounded  estimate_public
0  suppressed  hesa_pct_lt_22.5               20.0                 20.0              NaN
1    reported                                180.0                200.0              0.9
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .errors import InputError, check_option

__all__ = ["PRESETS", "RULES", "hesa_round", "row_kinds", "apply_disclosure", "public_table"]

#: Preset names accepted by :func:`apply_disclosure`.
PRESETS = ("hesa", "min_n", "none")

#: Rule codes written to ``disclosure_rule`` -> (Chinese, English).
RULES: dict[str, tuple[str, str]] = {
    "hesa_pct_lt_22.5": ("百分比的基数少于 22.5 人，不公布", "percentage based on fewer than 22.5 individuals"),
    "hesa_avg_le_7": ("平均值的基数不超过 7 人，不公布", "average based on 7 or fewer individuals"),
    "min_n": ("基数小于最小样本量，不公布", "base smaller than the minimum n"),
}

_MONEY_UNITS = {"yuan", "yuan_per_month", "yuan_per_student"}
_HEADCOUNT_SUM_UNITS = {"persons", "positions", "enterprises"}


def hesa_round(x: ArrayLike) -> np.ndarray:
    """Round to the nearest multiple of 5, halves up, below 2.5 to 0 (HESA rules 1-3).

    ``5·floor((x + 2.5) / 5)`` for ``x ≥ 0`` (negative numbers symmetrically); NaN
    stays NaN.

    Examples
    --------
    >>> hesa_round([0, 1, 2.4, 2.5, 4.9, 7.5, 12.5, 22.5, 1001]).tolist()
    [0.0, 0.0, 0.0, 5.0, 5.0, 10.0, 15.0, 25.0, 1000.0]
    """
    a = np.asarray(x, dtype=float)
    return np.sign(a) * 5.0 * np.floor((np.abs(a) + 2.5) / 5.0)


@functools.cache
def _registry_kinds() -> pd.Series:
    from .registry import indicators  # local import: registry is heavier and optional here

    return indicators().set_index("id")["kind"]


def row_kinds(result: pd.DataFrame) -> pd.Series:
    """Indicator kind of each row of a ``compute()`` result.

    Taken from a ``kind`` column if present, else from the registry by indicator id;
    rows whose indicator is unknown fall back on the unit (``share`` → proportion,
    money → sum, otherwise count).

    Examples
    --------
    >>> import pandas as pd
    >>> row_kinds(pd.DataFrame({"indicator": ["salary_mean", "mystery"], "unit": ["yuan_per_month", "share"]})).tolist()
    ['mean', 'proportion']
    """
    if "kind" in result.columns:
        return result["kind"].astype(object)
    known = _registry_kinds()
    kinds = result["indicator"].map(known) if "indicator" in result.columns else pd.Series(np.nan, index=result.index)
    unit = result["unit"] if "unit" in result.columns else pd.Series("", index=result.index)
    fallback = np.where(unit == "share", "proportion", np.where(unit.isin(list(_MONEY_UNITS)), "sum", "count"))
    return kinds.fillna(pd.Series(fallback, index=result.index)).astype(object)


def _col(result: pd.DataFrame, name: str) -> pd.Series:
    if name in result.columns:
        return pd.to_numeric(result[name], errors="coerce").astype(float)
    return pd.Series(np.nan, index=result.index)


def apply_disclosure(result: pd.DataFrame, preset: str = "hesa", *, min_n: float = 10) -> pd.DataFrame:
    """Mark cells of a ``compute()`` result for publication under a named preset.

    Parameters
    ----------
    result : DataFrame
        Output of :func:`coopmetrics.compute` (needs at least ``estimate``, ``unit``
        and ``status``; uses ``indicator``, ``numerator``, ``denominator``, ``n``,
        ``ci_low``, ``ci_high`` when present).
    preset : {"hesa", "min_n", "none"}
        See the module docstring for the exact rules and their sources.
    min_n : float
        Minimum base for ``preset="min_n"``.

    Returns
    -------
    DataFrame
        A copy with the same rows and order, ``status`` updated and the columns
        ``disclosure_preset, disclosure_rule, numerator_rounded, denominator_rounded,
        n_rounded, estimate_public, ci_low_public, ci_high_public`` added (replaced if
        already present).

    Examples
    --------
    >>> import pandas as pd
    >>> res = pd.DataFrame({"indicator": ["salary_mean"] * 2, "numerator": [7 * 4000.0, 8 * 4200.0],
    ...     "denominator": [7, 8], "n": [7, 8], "estimate": [4000.0, 4200.0], "unit": "yuan_per_month",
    ...     "status": "reported"})
    >>> print(apply_disclosure(res, "hesa")[["status", "disclosure_rule", "n_rounded", "estimate_public"]].to_string())
           status disclosure_rule  n_rounded  estimate_public
    0  suppressed   hesa_avg_le_7        5.0              NaN
    1    reported                       10.0           4200.0
    >>> apply_disclosure(res, "min_n", min_n=8)["status"].tolist()
    ['suppressed', 'reported']
    """
    check_option("preset", preset, PRESETS, "apply_disclosure")
    need = [c for c in ("estimate", "unit", "status") if c not in result.columns]
    if need:
        raise InputError(
            f"apply_disclosure() 需要 compute() 的结果表，缺少列 {need}",
            f"apply_disclosure() needs a compute() result; missing column(s) {need}",
            column=", ".join(need),
        )
    if preset == "min_n" and not (np.isfinite(min_n) and min_n >= 0):
        raise InputError("min_n 必须是非负数", f"min_n must be a non-negative number, got {min_n!r}")

    out = result.copy()
    kind = row_kinds(out)
    unit = out["unit"].astype(object)
    num, den, n = _col(out, "numerator"), _col(out, "denominator"), _col(out, "n")
    est, lo, hi = _col(out, "estimate"), _col(out, "ci_low"), _col(out, "ci_high")

    is_share = unit == "share"
    is_avg = ~is_share & (kind.isin(["mean", "median", "ratio_of_sums"]))
    is_count_est = kind.eq("count") | (kind.eq("sum") & unit.isin(list(_HEADCOUNT_SUM_UNITS)))
    # base of an estimate: respondents/units behind it
    base = pd.Series(np.where(kind.isin(["mean", "median"]), n.fillna(den), den.fillna(n)), index=out.index)
    reported = out["status"].astype(object).eq("reported")

    rule = pd.Series("", index=out.index, dtype=object)
    if preset == "hesa":
        rule[reported & is_share & ~(base >= 22.5)] = "hesa_pct_lt_22.5"
        rule[reported & is_avg & ~(base > 7)] = "hesa_avg_le_7"
    elif preset == "min_n":
        has_base = is_share | is_avg
        rule[reported & has_base & ~(base >= min_n)] = "min_n"
    suppressed = rule.ne("")

    if preset == "hesa":
        num_is_headcount = ~kind.isin(["mean", "median"]) & ~unit.isin(
            [*_MONEY_UNITS, "hours", "person_days"]
        )
        num_r = pd.Series(np.where(num_is_headcount, hesa_round(num), num), index=out.index)
        den_r = pd.Series(hesa_round(den), index=out.index)
        n_r = pd.Series(hesa_round(n), index=out.index)
        est_pub = pd.Series(np.where(is_count_est, hesa_round(est), est), index=out.index)
        lo_pub = pd.Series(np.where(is_count_est, np.nan, lo), index=out.index)
        hi_pub = pd.Series(np.where(is_count_est, np.nan, hi), index=out.index)
    else:
        num_r, den_r, n_r, est_pub, lo_pub, hi_pub = num, den, n, est, lo, hi
        if preset == "min_n":  # the whole cell goes, counts included
            num_r, den_r, n_r = (s.mask(suppressed) for s in (num_r, den_r, n_r))

    out["status"] = out["status"].astype(object).mask(suppressed, "suppressed")
    out["disclosure_preset"] = preset
    out["disclosure_rule"] = rule
    out["numerator_rounded"] = num_r
    out["denominator_rounded"] = den_r
    out["n_rounded"] = n_r
    out["estimate_public"] = est_pub.mask(suppressed)
    out["ci_low_public"] = lo_pub.mask(suppressed)
    out["ci_high_public"] = hi_pub.mask(suppressed)
    return out


def public_table(disclosed: pd.DataFrame) -> pd.DataFrame:
    """The publication-safe view of an :func:`apply_disclosure` result.

    Same columns as the ``compute()`` result (plus ``disclosure_rule``), with
    ``numerator``, ``denominator``, ``n``, ``estimate``, ``ci_low``, ``ci_high`` taken
    from the rounded/public columns, and ``se``, ``n_eff``, ``deff``,
    ``estimate_unweighted`` blanked in suppressed cells; under ``hesa`` ``n_eff`` is
    rounded like a count (for unweighted rows it equals ``n``). The analyst
    columns (``*_rounded``, ``*_public``, ``disclosure_preset``) are dropped.

    Examples
    --------
    >>> import pandas as pd
    >>> res = pd.DataFrame({"indicator": ["placement_rate"], "numerator": [19], "denominator": [21],
    ...     "n": [21], "estimate": [19 / 21], "se": [0.06], "unit": "share", "status": "reported"})
    >>> print(public_table(apply_disclosure(res)).to_string())
            indicator  numerator  denominator     n  estimate  se   unit      status   disclosure_rule
    0  placement_rate       20.0         20.0  20.0       NaN NaN  share  suppressed  hesa_pct_lt_22.5
    """
    need = ["disclosure_rule", "estimate_public", "numerator_rounded"]
    if any(c not in disclosed.columns for c in need):
        raise InputError(
            "public_table() 需要 apply_disclosure() 的结果",
            "public_table() needs the output of apply_disclosure()",
        )
    out = disclosed.copy()
    suppressed = out["disclosure_rule"].ne("")
    pairs = {
        "numerator": "numerator_rounded",
        "denominator": "denominator_rounded",
        "n": "n_rounded",
        "estimate": "estimate_public",
        "ci_low": "ci_low_public",
        "ci_high": "ci_high_public",
    }
    for raw, public in pairs.items():
        if raw in out.columns:
            out[raw] = out[public]
    for c in ("se", "n_eff", "deff", "estimate_unweighted"):
        if c in out.columns:
            out[c] = pd.to_numeric(out[c], errors="coerce").mask(suppressed)
    if "n_eff" in out.columns and "disclosure_preset" in out.columns:
        # unweighted rows have n_eff == n: publishing it unrounded would undo the rounding of n
        hesa = out["disclosure_preset"].eq("hesa")
        out["n_eff"] = out["n_eff"].where(~hesa, pd.Series(hesa_round(out["n_eff"]), index=out.index))
    drop = [*pairs.values(), "disclosure_preset"]
    return out.drop(columns=[c for c in drop if c in out.columns])
