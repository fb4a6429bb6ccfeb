"""Targets and change: "meets the target", "meets 90 % of the target", year-over-year change.

:func:`compare_targets` adds to a :func:`coopmetrics.compute` result the target
(official, from the registry's ``target`` column, or user-given), the direction
(is higher better?), the gap and two checks: ``meets_target`` and ``meets_rule``,
the latter being the Perkins V accountability rule "meets at least 90 percent of
the State determined level of performance" (20 U.S.C. 2323; methods-intl.md §1.1:
met iff ``actual >= 0.90 × target``) with the factor selectable (``rule``).

:func:`year_over_year` gives, for each indicator × group, the change from the
previous year with a confidence interval and a p-value: Newcombe's hybrid score
interval and the two-proportion test (Fisher's exact test for small counts) for
unweighted proportions, computed from the numerators and denominators; for every
other estimate with a standard error (means, medians, weighted survey shares,
ratios) a normal approximation from the two estimates and their SEs, ``diff ±
z·sqrt(se₁² + se₂²)`` (with large groups this equals Welch's interval; with small
groups it is narrower than a Welch t interval, which needs the raw variances).
Benjamini–Hochberg q-values are added across all rows. Both functions are
vectorised: one merge on the shifted year, no loop over groups.

Examples
--------
>>> import pandas as pd
>>> from coopmetrics.targets import compare_targets, year_over_year
>>> res = pd.DataFrame({"indicator": "dual_teacher_ratio_professional", "grad_year": [2023, 2024],
...     "numerator": [40, 52], "denominator": [100, 100], "n": [100, 100], "estimate": [0.40, 0.52],
...     "se": [0.049, 0.05], "unit": "share", "target": 0.5, "status": "reported"})
>>> compare_targets(res)[["estimate", "target", "meets_target", "meets_rule"]].to_dict("list")
{'estimate': [0.4, 0.52], 'target': [0.5, 0.5], 'meets_target': [False, True], 'meets_rule': [False, True]}
>>> yoy = year_over_year(res)
>>> yoy[["grad_year", "change", "ci_method"]].round(2).to_dict("list")
{'grad_year': [2024], 'change': [0.12], 'ci_method': ['newcombe']}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .contrasts import bh_qvalues, cohens_h, newcombe_diff, normal_diff, two_proportion_test
from .disclosure import row_kinds
from .errors import InputError, InvalidOptionError, check_option

__all__ = ["compare_targets", "year_over_year", "YOY_COLUMNS"]

# Columns of a compute() result (docs/DESIGN.md) and of the steps after it; every other
# column is a group column.
_RESULT_COLUMNS = {
    "indicator", "name_zh", "name_en", "numerator", "denominator", "n", "estimate", "se", "ci_low",
    "ci_high", "ci_level", "ci_method", "n_eff", "deff", "estimate_unweighted", "response_rate", "unit",
    "edition", "target", "status", "weighting_effect", "note", "kind", "direction",
    # disclosure.py
    "disclosure_preset", "disclosure_rule", "numerator_rounded", "denominator_rounded", "n_rounded",
    "estimate_public", "ci_low_public", "ci_high_public",
    # compare_targets()
    "target_source", "target_rule", "gap", "attainment", "meets_target", "meets_rule",
}  # fmt: skip

#: Columns of :func:`year_over_year` after the group columns and the year column.
YOY_COLUMNS = [
    "year_prev", "estimate", "estimate_prev", "numerator", "denominator", "numerator_prev",
    "denominator_prev", "change", "change_relative", "ci_low", "ci_high", "ci_level", "ci_method",
    "test", "statistic", "p_value", "q_value", "effect_size", "effect_size_type", "unit", "status",
]  # fmt: skip

_DIRECTIONS = ("higher", "lower", "none")


def _need(result: pd.DataFrame, cols: Sequence[str], func: str) -> None:
    missing = [c for c in cols if c not in result.columns]
    if missing:
        raise InputError(
            f"{func}() 需要 compute() 的结果表，缺少列 {missing}",
            f"{func}() needs a compute() result; missing column(s) {missing}",
            column=", ".join(missing),
        )


def _registry_column(result: pd.DataFrame, column: str) -> pd.Series:
    from .registry import indicators  # local import: only needed when the result lacks it

    known = indicators().set_index("id")[column]
    return result["indicator"].map(known)


def _user_targets(out: pd.DataFrame, targets: Mapping[str, float] | pd.DataFrame | None) -> pd.Series:
    """User targets aligned with ``out``'s rows (NaN where none): by indicator, or by indicator and groups."""
    user = pd.Series(np.nan, index=out.index)
    if isinstance(targets, pd.DataFrame):
        _need(targets, ["indicator", "target"], "compare_targets(targets=...)")
        keys = [c for c in targets.columns if c != "target"]
        unknown = [c for c in keys if c not in out.columns]
        if unknown:
            raise InputError(
                f"目标表的列 {unknown} 不在结果表中",
                f"the targets table has column(s) {unknown} that are not in the result",
                column=", ".join(unknown),
            )
        merged = out[keys].merge(targets.drop_duplicates(keys), on=keys, how="left")
        user = pd.Series(pd.to_numeric(merged["target"], errors="coerce").to_numpy(), index=out.index)
    elif targets is not None:
        user = pd.to_numeric(out["indicator"].map(dict(targets)), errors="coerce")
    return user


def _directions(out: pd.DataFrame, direction: Mapping[str, str] | None) -> pd.Series:
    """Direction of each row: the user's, else the result's ``direction`` column or the registry's; default higher."""
    if "direction" in out.columns:
        dirn = out["direction"].astype(object)
    else:
        dirn = _registry_column(out, "direction").astype(object)
    if direction:
        bad = [d for d in direction.values() if d not in _DIRECTIONS]
        if bad:
            check_option("direction", bad[0], _DIRECTIONS, "compare_targets")
        dirn = out["indicator"].map(dict(direction)).fillna(dirn).astype(object)
    dirn = dirn.fillna("higher")

    return dirn


def compare_targets(
    result: pd.DataFrame,
    targets: Mapping[str, float] | pd.DataFrame | None = None,
    rule: float = 0.9,
    *,
    direction: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Compare estimates with targets: met, met at ``rule`` × target, gap.

    Parameters
    ----------
    result : DataFrame
        A ``compute()`` result (``indicator``, ``estimate``, ``status``; ``target``
        if present).
    targets : mapping or DataFrame, optional
        User targets overriding the official ones: ``{indicator: value}``, or a
        DataFrame with ``indicator``, ``target`` and any group columns of ``result``
        (e.g. a target per major). Values are in the indicator's unit (shares in
        [0, 1]). Without it, the ``target`` column of ``result`` (the registry's
        official target) is used.
    rule : float
        Fraction of the target that counts as "meets the rule" (0.9: Perkins V).
    direction : mapping, optional
        ``{indicator: "higher" | "lower" | "none"}`` overriding a ``direction``
        column of ``result`` or the registry (default ``"higher"`` for ids unknown
        to the registry).

    Returns
    -------
    DataFrame
        A copy with ``target``, ``target_source`` (``official`` / ``user`` / ``""``),
        ``direction``, ``target_rule``, ``gap`` (estimate − target, in the unit),
        ``attainment`` (estimate / target if higher is better, target / estimate if
        lower is better), ``meets_target`` and ``meets_rule`` (nullable booleans:
        NA where there is no target, no direction, or the cell is not reported).

    Notes
    -----
    Higher is better: ``meets_target`` iff ``estimate >= target`` and ``meets_rule``
    iff ``estimate >= rule × target``. Lower is better (e.g. turnover): ``estimate <=
    target`` and ``estimate <= target / rule`` (i.e. ``attainment = target / estimate
    >= rule``). Values are compared unrounded, up to floating-point round-off
    (1e-12 relative); the rounding before comparison in the Perkins practice is not
    documented.

    Examples
    --------
    >>> import pandas as pd
    >>> res = pd.DataFrame({"indicator": ["turnover_rate", "placement_rate"], "estimate": [0.21, 0.86],
    ...     "unit": "share", "status": "reported"})
    >>> out = compare_targets(res, {"turnover_rate": 0.2, "placement_rate": 0.95})
    >>> out[["direction", "meets_target", "meets_rule"]].to_dict("list")
    {'direction': ['lower', 'higher'], 'meets_target': [False, False], 'meets_rule': [True, True]}
    """
    _need(result, ["indicator", "estimate", "status"], "compare_targets")
    if not (isinstance(rule, int | float) and 0 < rule <= 1):
        raise InvalidOptionError(
            f"compare_targets() 的 rule 必须在 (0, 1] 之间（例如 0.9），收到 {rule!r}",
            f"The 'rule' of compare_targets() must be in (0, 1] (e.g. 0.9). Got {rule!r} instead.",
        )
    out = result.copy()
    official = (
        pd.to_numeric(out["target"], errors="coerce")
        if "target" in out.columns
        else pd.to_numeric(_registry_column(out, "target"), errors="coerce")
    )
    user = _user_targets(out, targets)
    target = user.fillna(official)
    source = np.where(user.notna(), "user", np.where(official.notna(), "official", ""))

    dirn = _directions(out, direction)

    est = pd.to_numeric(out["estimate"], errors="coerce")
    higher, lower = dirn.eq("higher"), dirn.eq("lower")
    ok = out["status"].astype(object).eq("reported") & est.notna() & target.notna() & (higher | lower)
    with np.errstate(divide="ignore", invalid="ignore"):
        attain = np.where(higher, est / target, np.where(lower, target / est, np.nan))
    # compare with a 1e-12 relative slack so that e.g. 0.72 vs 0.9 × 0.8 = 0.7200000000000001 counts as met
    slack = 1e-12 * np.maximum(1.0, np.abs(target))
    meets = np.where(higher, est - target >= -slack, target - est >= -slack)
    meets_rule = np.where(higher, est - rule * target >= -slack, target - rule * est >= -slack)

    out["target"] = target
    out["target_source"] = source
    out["direction"] = dirn
    out["target_rule"] = float(rule)
    out["gap"] = est - target
    out["attainment"] = pd.Series(attain, index=out.index).where(ok)
    out["meets_target"] = pd.array(np.where(ok, meets, False), dtype="boolean")
    out["meets_rule"] = pd.array(np.where(ok, meets_rule, False), dtype="boolean")
    out.loc[~ok, ["meets_target", "meets_rule"]] = pd.NA
    return out


def _year_column(result: pd.DataFrame, year_col: str | None) -> str:
    if year_col is not None:
        _need(result, [year_col], "year_over_year")
        return year_col
    found = [c for c in ("grad_year", "year") if c in result.columns]
    if len(found) != 1:
        raise InputError(
            f"无法确定年份列（找到 {found}）；请用 year_col= 指定，并在 compute(by=...) 中包含年份",
            f"cannot tell the year column (found {found}); pass year_col= and include the year in "
            "compute(by=...)",
        )
    return found[0]


def year_over_year(
    result: pd.DataFrame,
    year_col: str | None = None,
    *,
    by: Sequence[str] | None = None,
    level: float = 0.95,
    lag: int = 1,
) -> pd.DataFrame:
    """Change of each indicator × group from year ``t - lag`` to year ``t``, with a CI.

    Parameters
    ----------
    result : DataFrame
        A ``compute()`` result grouped by a year column (and possibly more).
    year_col : str, optional
        Year column; default ``grad_year`` or ``year``, whichever is present.
    by : sequence of str, optional
        Group columns; default every column that is not a ``compute()`` output column.
    level : float
        Confidence level of the intervals.
    lag : int
        Compare with the year ``lag`` years before (1: year over year).

    Returns
    -------
    DataFrame
        One row per indicator × group × year that has the year ``t - lag`` too:
        ``indicator, name_zh, name_en`` (if present), the group columns, the year
        column, then :data:`YOY_COLUMNS`. ``change`` = estimate − previous estimate;
        ``ci_method`` is ``"newcombe"`` (unweighted proportions), ``"normal"`` (any
        estimate with SEs) or ``"none"`` (no SE, e.g. counts and sums: change only);
        ``test`` is ``"chi2"``, ``"fisher"`` (small counts) or ``"z"``; ``effect_size``
        is Cohen's h for proportions; ``q_value`` is the BH-adjusted p-value over all
        rows. Where either year is not ``reported`` (e.g. suppressed), the change and
        its statistics are blank and ``status`` says why.

    Examples
    --------
    >>> import pandas as pd
    >>> res = pd.DataFrame({"indicator": "salary_mean", "year": [2023, 2024], "estimate": [4000.0, 4300.0],
    ...     "se": [90.0, 120.0], "unit": "yuan_per_month", "status": "reported"})
    >>> r = year_over_year(res).iloc[0]
    >>> float(r["change"]), r["ci_method"], round(float(r["ci_low"]), 1), round(float(r["p_value"]), 4)
    (300.0, 'normal', 6.0, 0.0455)
    """
    _need(result, ["indicator", "estimate", "status"], "year_over_year")
    if not (isinstance(lag, int | np.integer) and lag >= 1):
        raise InvalidOptionError(
            f"year_over_year() 的 lag 必须是正整数，收到 {lag!r}",
            f"The 'lag' of year_over_year() must be a positive integer. Got {lag!r} instead.",
        )
    ycol = _year_column(result, year_col)
    groups = list(by) if by is not None else [c for c in result.columns if c not in _RESULT_COLUMNS and c != ycol]
    _need(result, groups, "year_over_year")
    keys = ["indicator", *groups]
    if result.duplicated([*keys, ycol]).any():
        raise InputError(
            "结果表中同一指标、分组和年份出现多行；请指定 by= 分组列",
            "the result has several rows for the same indicator, group and year; pass the group "
            "columns as by=",
        )
    cur = _year_pairs(result, keys, ycol, lag)
    values = _changes(cur, level)
    out = cur[[c for c in ("indicator", "name_zh", "name_en") if c in cur.columns] + groups + [ycol]].copy()
    n_rows = len(out)
    values = {k: np.broadcast_to(np.asarray(values[k]), (n_rows,)) for k in YOY_COLUMNS}
    return pd.concat([out.reset_index(drop=True), pd.DataFrame(values)], axis=1)


def _year_pairs(result: pd.DataFrame, keys: list[str], ycol: str, lag: int) -> pd.DataFrame:
    """Each row of ``result`` joined with the same indicator and group ``lag`` years before (``*_prev``)."""
    frame = result.copy()
    for c in ("numerator", "denominator", "se"):
        if c not in frame.columns:
            frame[c] = np.nan
    if "unit" not in frame.columns:
        frame["unit"] = ""
    frame["__kind"] = row_kinds(frame).to_numpy()
    frame[ycol] = pd.to_numeric(frame[ycol], errors="coerce")

    prev = frame[[*keys, ycol, "estimate", "numerator", "denominator", "se", "status"]].copy()
    prev[ycol] = prev[ycol] + lag
    cur = frame.merge(prev, on=[*keys, ycol], how="inner", suffixes=("", "_prev"))
    cur["year_prev"] = cur[ycol] - lag
    return cur


def _changes(cur: pd.DataFrame, level: float) -> dict[str, object]:
    """Change, interval, test and effect size of each (year, previous year) pair: :data:`YOY_COLUMNS`."""
    num = lambda c: pd.to_numeric(cur[c], errors="coerce").to_numpy(dtype=float)  # noqa: E731
    est, est0 = num("estimate"), num("estimate_prev")
    x1, n1, x0, n0 = num("numerator"), num("denominator"), num("numerator_prev"), num("denominator_prev")
    se1, se0 = num("se"), num("se_prev")
    both = (cur["status"].astype(object).eq("reported") & cur["status_prev"].astype(object).eq("reported")).to_numpy()
    is_prop = (cur["__kind"].eq("proportion").to_numpy() & np.isfinite(x1) & np.isfinite(n1)
               & np.isfinite(x0) & np.isfinite(n0) & (n1 > 0) & (n0 > 0))  # fmt: skip
    has_se = ~is_prop & np.isfinite(se1) & np.isfinite(se0)

    nc = newcombe_diff(x1, n1, x0, n0, level)
    tp = two_proportion_test(
        np.where(is_prop & both, x1, 0), np.where(is_prop & both, n1, 1),
        np.where(is_prop & both, x0, 0), np.where(is_prop & both, n0, 1),
    )  # fmt: skip
    nd = normal_diff(est, se1, est0, se0, level)

    change = est - est0
    ci_low = np.where(is_prop, nc["ci_low"], np.where(has_se, nd["ci_low"], np.nan))
    ci_high = np.where(is_prop, nc["ci_high"], np.where(has_se, nd["ci_high"], np.nan))
    stat = np.where(is_prop, tp["statistic"], np.where(has_se, nd["statistic"], np.nan))
    p = np.where(is_prop, tp["p_value"], np.where(has_se, nd["p_value"], np.nan))
    test = np.where(is_prop, tp["test"], np.where(has_se, "z", ""))
    method = np.where(is_prop, "newcombe", np.where(has_se, "normal", "none"))
    h = np.where(is_prop, cohens_h(np.clip(est, 0, 1), np.clip(est0, 0, 1)), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(est0 != 0, est / est0 - 1, np.nan)

    blank = ~both
    for arr in (change, ci_low, ci_high, stat, p, h, rel):
        arr[blank] = np.nan
    test = np.where(blank, "", test)
    s1, s0 = cur["status"].astype(object).to_numpy(), cur["status_prev"].astype(object).to_numpy()
    status = np.where(
        both, "reported",
        np.where((s1 == "suppressed") | (s0 == "suppressed"), "suppressed", np.where(s1 != "reported", s1, s0)),
    )  # fmt: skip

    return {
        "year_prev": cur["year_prev"].to_numpy(),
        "estimate": est,
        "estimate_prev": est0,
        "numerator": x1,
        "denominator": n1,
        "numerator_prev": x0,
        "denominator_prev": n0,
        "change": change,
        "change_relative": rel,
        "ci_low": ci_low,
        "ci_high": ci_high,
        "ci_level": float(level),
        "ci_method": method,
        "test": test,
        "statistic": stat,
        "p_value": p,
        "q_value": bh_qvalues(p),
        "effect_size": h,
        "effect_size_type": np.where(is_prop & both, "cohens_h", ""),
        "unit": cur["unit"].to_numpy(),
        "status": status,
    }
