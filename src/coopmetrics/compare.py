"""Cohort comparisons (队列比较): order classes, apprenticeships and units against the whole.

Public functions
----------------
compare
    One tidy row per (group, cohort level vs reference): estimates, difference with
    CI, ratio, test, Benjamini–Hochberg q-value, effect size, method and flags.
    Unadjusted comparisons run on group-wise sufficient statistics (one group-by,
    vectorised interval math from :mod:`coopmetrics.contrasts`); covariate-adjusted
    comparisons fit one model per comparison row (:mod:`coopmetrics.adjust`: doubly
    robust AIPW by default for yes/no outcomes, regression adjustment for means).
    Returns a :class:`~coopmetrics.compare_result.Comparison` (``.table``,
    ``.balance``, ``.tidy()``, ``.summary()``, ``.plot()``).
compare_values
    The same on a frame of unit values you built yourself (``value`` column).
balance
    Covariate balance table (standardised mean differences before and after
    inverse-probability weighting) for an adjusted comparison.
funnel, funnel_limits
    Each unit's rate against the overall rate with exact binomial control limits
    (Spiegelhalter 2005), optionally overdispersion-adjusted.
trend_test
    Cochran–Armitage test for a trend in a rate across graduation years.

The formulas, flags and references are written out in ``docs/comparisons.md``.

Examples
--------
>>> import pandas as pd
>>> from coopmetrics.compare import compare_values
>>> v = pd.DataFrame({"program": ["order_class"] * 40 + ["regular"] * 60,
...                   "value": [1] * 34 + [0] * 6 + [1] * 42 + [0] * 18})
>>> r = compare_values(v, "proportion", indicator="placement_rate")
>>> r.table[["cohort", "estimate_cohort", "estimate_reference", "difference"]].round(3)
        cohort  estimate_cohort  estimate_reference  difference
0  order_class             0.85                 0.7        0.15
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .adjust import fit_cells
from .compare_result import Comparison
from .contrasts import (
    bh_qvalues,
    cohens_h,
    hedges_correction,
    newcombe_diff,
    odds_ratio_ci,
    ratio_ci,
    two_proportion_test,
    welch_diff,
)
from .errors import InvalidOptionError, MissingColumnError, check_option

__all__ = [
    "COMPARE_COLUMNS",
    "FUNNEL_COLUMNS",
    "TREND_COLUMNS",
    "BALANCE_COLUMNS",
    "Comparison",
    "compare",
    "compare_values",
    "balance",
    "funnel",
    "funnel_limits",
    "trend_test",
]

#: Columns of :func:`compare` after ``indicator`` and the ``by`` columns.
COMPARE_COLUMNS = [
    "cohort", "reference", "n_cohort", "n_reference", "estimate_cohort", "estimate_reference",
    "difference", "ci_low", "ci_high", "ratio", "ratio_ci_low", "ratio_ci_high", "statistic",
    "p_value", "q_value", "effect_size", "effect_size_type", "method", "adjusted", "flags",
    "dropped_covariates", "odds_ratio", "odds_ratio_ci_low", "odds_ratio_ci_high", "hedges_g",
]
#: Columns of :func:`balance` after ``indicator`` and the ``by`` columns.
BALANCE_COLUMNS = [
    "cohort", "reference", "covariate", "n_cohort", "n_reference", "mean_cohort", "mean_reference",
    "smd_before", "mean_cohort_weighted", "mean_reference_weighted", "smd_after",
]
#: Columns of :func:`funnel` after ``indicator`` and the ``by`` columns.
FUNNEL_COLUMNS = [
    "unit", "numerator", "denominator", "estimate", "overall", "z", "lower_95", "upper_95",
    "lower_998", "upper_998", "limits", "phi", "tau2", "overdispersion_p", "position", "flag",
]
#: Columns of :func:`trend_test` after ``indicator`` and the ``by`` columns.
TREND_COLUMNS = [
    "n_years", "first_year", "last_year", "numerator", "denominator", "estimate_first",
    "estimate_last", "slope", "statistic", "p_value", "q_value", "method",
]

KINDS = ("proportion", "likert", "mean", "median")
_METHODS = ("auto", "chi2", "fisher", "brunner-munzel", "mann-whitney", "welch", "aipw", "ra", "ipw")
_SMALL_N = 30

# Plain-language flags (Chinese / English); see docs/comparisons.md.
_F_SMALL = "小样本（任一组 n<30）/ small n (<30 in a group)"
_F_FISHER = "期望频数小，用 Fisher 精确检验 / small expected counts: Fisher's exact test used"
_F_SMALL_COUNTS_W = "期望频数小，加权数据无法用 Fisher 检验，p 值近似 / small expected counts: weighted data, chi-square p approximate"
_F_WEIGHTED = "按调查权重估计（Kish 有效样本量）/ survey-weighted (Kish effective n)"
_F_NOREF = "该组没有对照单位 / no reference units in this group"
_F_NOCOH = "该组比较对象不足 2 人 / fewer than 2 units in a group"
_F_MEDIAN_W = "中位数未加权 / median not weighted"
_F_CLUSTER = "同一答卷的多个题目按整群处理（有效样本量）/ answers clustered within respondents (effective n)"


def _flag_count(k: int, zh: str, en: str) -> str:
    return f"{k} {zh} / {k} {en}"


# ----------------------------------------------------------------------------------------
# Getting unit values from the registry
# ----------------------------------------------------------------------------------------


def _kind_of(indicator: str) -> tuple[str, Any]:
    """Comparison kind of a registry indicator (proportion, likert, mean, median)."""
    from .registry import get_indicator

    ind = get_indicator(indicator)
    raw = str(getattr(ind, "kind", "")).lower()
    if raw == "weighted_proportion" and getattr(ind, "survey_kind", None):
        kind = "likert"  # survey top-box share: unit values carry the 1-5 score too
    elif raw in ("proportion", "weighted_proportion"):
        kind = "proportion"
    elif raw in ("mean", "median"):
        kind = raw
    else:
        raise InvalidOptionError(
            f"指标 {indicator!r} 的类型 {raw!r} 不能按个体比较（只支持比例、满意度、均值、中位数）",
            f"indicator {indicator!r} has kind {raw!r}, which cannot be compared unit by unit "
            "(supported: proportions, survey satisfaction, means, medians).",
        )
    return kind, ind


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


# ----------------------------------------------------------------------------------------
# compare()
# ----------------------------------------------------------------------------------------


def compare(
    data: Any,
    indicator: str | Sequence[str],
    cohort: str = "program",
    reference: str = "regular",
    by: str | Sequence[str] | None = None,
    adjust: str | Sequence[str] | None = None,
    method: str = "auto",
    ci_level: float = 0.95,
    options: Any = None,
    *,
    estimand: str = "att",
    n_boot: int = 2000,
    seed: int = 2024,
    _unit_level: bool = False,
) -> Comparison:
    """Compare an indicator between cohorts (e.g. order class vs regular class).

    Parameters
    ----------
    data : Dataset or DataFrame
        Input data; the indicator's unit values come from
        :func:`coopmetrics.unit_values`, so the definition is exactly the registry's.
    indicator : str or sequence of str
        Registry id of a proportion, survey-satisfaction, mean or median indicator,
        or several ids: their rows are stacked and the q-values adjust over all.
    cohort : str
        Column naming the cohort of each unit (default ``program``).
    reference : str
        Cohort level every other level is compared with (default ``regular``).
    by : str or sequence of str, optional
        Grouping columns (e.g. ``["major", "grad_year"]``): one comparison per group.
    adjust : str or sequence of str, optional
        Covariates for an adjusted comparison (e.g. ``["entry_score", "gender",
        "admission"]``). Text/category columns are dummy-coded.
    method : str
        ``"auto"`` picks per kind: proportions → Newcombe CI with chi-square, or
        Fisher's exact test when an expected count is < 5; Likert → top-box
        difference with Brunner–Munzel; means → Welch t with a bootstrap CI; medians
        → bootstrap; adjusted → doubly robust AIPW for yes/no outcomes (proportions,
        Likert top-box) and regression adjustment for means. Explicit: ``"chi2"``,
        ``"fisher"``, ``"brunner-munzel"``, ``"mann-whitney"``, ``"welch"``,
        ``"aipw"`` (augmented IPW, doubly robust), ``"ra"`` (regression
        adjustment), ``"ipw"`` (inverse-probability weighting).
    ci_level : float
        Confidence level of all intervals.
    options : registry.Options, optional
        Definition options passed to :func:`coopmetrics.unit_values`.
    estimand : {"att", "ate"}
        Adjusted comparisons only. ``"att"`` (default): the effect for the cohort's
        own students ("do order-class students do better than similar regular
        students?"); it only needs regular students who resemble the cohort.
        ``"ate"``: the average effect over everyone compared; it extrapolates the
        cohort's outcome model to regular students unlike any cohort student
        (e.g. majors without an order class), so it leans on the model more.
    n_boot : int
        Bootstrap replicates for means and medians.
    seed : int
        Seed of the bootstrap.

    Notes
    -----
    Two routes give the same rows and numbers. Unadjusted comparisons of unweighted
    proportion indicators (and of mean indicators with ``n_boot=0``, Welch t only) run
    on group totals: one :func:`coopmetrics.compute` pass by ``by + [cohort]``, which
    the DuckDB/Polars/Dask engines push down so only aggregated rows reach pandas, then
    the closed-form contrasts of :mod:`coopmetrics.contrasts` on the integer counts.
    Everything else (adjustment, bootstrap, ordinal tests, survey weights, clustered
    answers, medians) needs unit values (:func:`coopmetrics.unit_values`).

    Returns
    -------
    Comparison
        ``.table``: ``indicator``, the ``by`` columns, then :data:`COMPARE_COLUMNS`:
        ``cohort, reference, n_cohort, n_reference, estimate_cohort,
        estimate_reference, difference, ci_low, ci_high, ratio, ratio_ci_low,
        ratio_ci_high, statistic, p_value, q_value, effect_size, effect_size_type,
        method, adjusted, flags, dropped_covariates, odds_ratio, odds_ratio_ci_low,
        odds_ratio_ci_high, hedges_g``. ``q_value`` is the Benjamini–Hochberg
        adjusted p-value over all rows of the call. ``.balance``: the
        :func:`balance` table of adjusted calls (else ``None``). DataFrame access
        (``res["difference"]``, ``res.loc``, ``res.to_parquet``…) passes through to
        ``.table``. A cell where a comparison is not defined (empty arm, a single
        outcome value, separation, singular design) gives a row of NaN estimates
        with a flag saying why; no data condition raises.

    See Also
    --------
    compare_values : the same on a frame of unit values.
    balance : covariate balance of an adjusted comparison.

    Examples
    --------
    >>> import coopmetrics as cm                                   # doctest: +SKIP
    >>> ds = cm.sample.generate()                                  # doctest: +SKIP
    >>> cm.compare(ds, "placement_rate", adjust=["entry_score"])   # doctest: +SKIP
    """
    by_l, adj_l = _as_list(by), _as_list(adjust)
    ids = [indicator] if isinstance(indicator, str) else list(indicator)
    kinds = {i: _kind_of(i) for i in ids}
    on_totals = {i: k for i, (k, ind) in kinds.items()
                 if not _unit_level and _totals_apply(ind, k, adj_l, method, n_boot, cohort, by_l)}
    # one compute() pass (one scan of the data) for every indicator that runs on group totals
    totals = _compare_totals(data, on_totals, cohort=cohort, reference=reference, by=by_l, method=method,
                             ci_level=ci_level, options=options) if on_totals else {}
    parts: list[Comparison] = []
    for ind_id in ids:  # one vectorised call per indicator (each has its own unit values)
        kind, _ind = kinds[ind_id]
        if totals.get(ind_id) is not None:  # None: compute() could not group so; the unit route says why
            parts.append(Comparison(totals[ind_id]))
            continue
        # survey indicators have one row per answer: answers of a respondent form a cluster
        cluster = "respondent_id" if kind == "likert" else None
        extra = [cluster] if cluster else []
        values = _unit_values(data, ind_id, [cohort, *by_l, *adj_l, *extra], options)
        parts.append(compare_values(
            values, kind, indicator=ind_id, cohort=cohort, reference=reference, by=by_l,
            adjust=adj_l or None, method=method, ci_level=ci_level, estimand=estimand,
            n_boot=n_boot, seed=seed, cluster=cluster,
        ))
    settings = dict(cohort=cohort, reference=reference, by=by_l, adjust=adj_l, method=method,
                    estimand=estimand, ci_level=ci_level)
    if len(parts) == 1:
        return Comparison(parts[0].table, parts[0].balance, settings)
    out = pd.concat([p.table for p in parts], ignore_index=True)
    out["q_value"] = bh_qvalues(out["p_value"].to_numpy(dtype=float))  # BH over every row of the call
    bals = [p.balance for p in parts if p.balance is not None]
    return Comparison(out, pd.concat(bals, ignore_index=True) if bals else None, settings)


def _totals_apply(ind: Any, kind: str, adj_l: list[str], method: str, n_boot: int, cohort: str,
                  by_l: list[str]) -> bool:
    """Can this comparison run on group totals (no unit-level method needed)?"""
    if adj_l or cohort in by_l or len(set(by_l)) != len(by_l):
        return False
    raw = str(getattr(ind, "kind", "")).lower()
    if raw == "proportion":  # registry proportions are unweighted (weights only on survey shares)
        return method in ("auto", "chi2", "fisher")
    if raw == "mean":  # Welch t from n, mean and variance; the bootstrap CI needs the values
        return method in ("auto", "welch") and n_boot <= 0
    return False


def _compare_totals(
    data: Any, kinds: dict[str, str], *, cohort: str, reference: str, by: list[str], method: str,
    ci_level: float, options: Any,
) -> dict[str, pd.DataFrame | None]:
    """:func:`compare` from group totals: one ``compute()`` pass, then vectorised contrasts.

    Gives the rows and numbers of the unit-level route (pairs in the same order, the same
    flags) without building one row per unit: the engine aggregates every indicator of
    ``kinds`` (id -> comparison kind) by ``by + [cohort]`` in one pass, and each cohort row
    is paired with its group's reference row by a merge. An indicator maps to ``None``
    when ``compute()`` cannot give its totals (e.g. its table has no cohort column), so
    that the caller takes the unit route and its error message.
    """
    from .compute import compute

    check_option("method", method, _METHODS, "compare")
    _check_level(ci_level, "compare")
    res = compute(data, list(kinds), by=[*by, cohort], ci_level=ci_level, options=options)
    messages = res.attrs.get("messages") or {}
    out: dict[str, pd.DataFrame | None] = {}
    for ind_id, kind in kinds.items():  # a loop over indicators, not groups
        need = ["indicator", *by, cohort, "numerator", "denominator"] + (["se"] if kind == "mean" else [])
        if ind_id in messages or any(c not in res.columns for c in need):
            out[ind_id] = None
            continue
        out[ind_id] = _pairs_from_totals(res.loc[res["indicator"] == ind_id], ind_id, kind, cohort=cohort,
                                         reference=reference, by=by, method=method, ci_level=ci_level)
    return out


def _pairs_from_totals(
    res: pd.DataFrame, indicator: str, kind: str, *, cohort: str, reference: str, by: list[str], method: str,
    ci_level: float,
) -> pd.DataFrame:
    """Comparison rows of one indicator from its ``compute()`` rows by ``by + [cohort]``."""
    res = res.loc[res["denominator"].to_numpy(dtype=float) > 0]
    notes: list[str] = []
    miss_c = res[cohort].isna().to_numpy()
    if miss_c.any():  # unit values are never missing here; the denominator counts the units
        k = int(res.loc[miss_c, "denominator"].sum())
        notes.append(_flag_count(k, "行队列缺失，未纳入", "rows with missing cohort left out"))
    cols = [*by, "numerator", "denominator"] + (["se"] if kind == "mean" else [])
    t = res.loc[~miss_c, cols].copy()
    t["_cohort"] = res.loc[~miss_c, cohort].astype(str).to_numpy()
    is_ref = (t["_cohort"] == reference).to_numpy()
    if not is_ref.any():
        levels = sorted(t["_cohort"].unique().tolist())
        raise InvalidOptionError(
            f"对照组 {reference!r} 不在列 {cohort!r} 中（现有：{levels}）",
            f"reference level {reference!r} not found in column {cohort!r} (levels present: {levels})",
        )
    stat_cols = ["numerator", "denominator"] + (["se"] if kind == "mean" else [])
    pairs = t.loc[~is_ref].sort_values([*by, "_cohort"]).reset_index(drop=True)
    ref = t.loc[is_ref, [*by, *stat_cols]].rename(columns={c: c + "_0" for c in stat_cols})
    m = pairs.merge(ref, on=by, how="left") if by else pairs.merge(ref, how="cross")
    n_pairs = len(m)
    n1 = m["denominator"].to_numpy(dtype=float)
    n0 = m["denominator_0"].fillna(0).to_numpy(dtype=float)
    s1 = m["numerator"].to_numpy(dtype=float)
    s0 = m["numerator_0"].to_numpy(dtype=float)
    out: dict[str, Any] = {"n_cohort": n1.astype(int), "n_reference": n0.astype(int)}
    no_ref = np.where(n0 == 0, _F_NOREF, "")
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p0 = s1 / n1, s0 / n0
        if kind == "proportion":
            x0 = np.where(n0 > 0, s0, np.nan)
            out.update(_proportion_stats(p1, p0, s1, n1, x0, n0, False, method, ci_level))
            out["flags"] = _join_flags(no_ref, out.pop("_small_flag"))
        else:  # mean: sample variance (ddof 1) back from the t standard error, se² · n
            v1 = m["se"].to_numpy(dtype=float) ** 2 * n1
            v0 = m["se_0"].to_numpy(dtype=float) ** 2 * n0
            v1, v0 = np.where(n1 >= 2, v1, np.nan), np.where(n0 >= 2, v0, np.nan)
            wd = welch_diff(p1, v1, n1, p0, v0, n0, ci_level)
            sd_pooled = np.sqrt(((n1 - 1) * v1 + (n0 - 1) * v0) / (n1 + n0 - 2))
            nan = np.full(n_pairs, np.nan)
            out.update(estimate_cohort=p1, estimate_reference=p0, difference=p1 - p0,
                       ci_low=nan, ci_high=nan, ratio=p1 / p0, ratio_ci_low=nan, ratio_ci_high=nan,
                       statistic=wd["statistic"], p_value=wd["p_value"], effect_size=(p1 - p0) / sd_pooled,
                       effect_size_type="cohens_d", method="welch t; bootstrap percentile ci",
                       hedges_g=(p1 - p0) / sd_pooled * hedges_correction(n1 + n0 - 2))
            out["flags"] = _join_flags(no_ref, np.where((n1 < 2) | (n0 < 2), _F_NOCOH, ""))
    out["adjusted"] = False
    stats_frame = pd.DataFrame({k: (np.broadcast_to(v, (n_pairs,)) if np.ndim(v) == 0 else v)
                                for k, v in out.items()})
    return _assemble(pairs[[*by, "_cohort"]], stats_frame, notes, None, indicator, by, reference)[0]


def compare_values(
    values: pd.DataFrame,
    kind: str,
    *,
    indicator: str = "value",
    cohort: str = "program",
    reference: str = "regular",
    by: str | Sequence[str] | None = None,
    adjust: str | Sequence[str] | None = None,
    method: str = "auto",
    ci_level: float = 0.95,
    estimand: str = "att",
    n_boot: int = 2000,
    seed: int = 2024,
    cluster: str | None = None,
) -> Comparison:
    """Compare cohorts on a frame of unit values (the engine behind :func:`compare`).

    Parameters
    ----------
    values : pandas.DataFrame
        One row per unit with ``value`` (0/1 for proportions and Likert top-box,
        numbers for means/medians), optional ``weight`` (survey weight, default 1),
        ``score`` (Likert 1-5) and the ``cohort``, ``by`` and ``adjust`` columns.
    kind : {"proportion", "likert", "mean", "median"}
    indicator : str
        Label written to the ``indicator`` column.
    cohort, reference, by, adjust, method, ci_level, estimand, n_boot, seed
        As in :func:`compare`.
    cluster : str, optional
        Column of clusters whose rows are not independent (a respondent's answers
        to several items). Proportions then use the design-based
        (linearisation) variance with clusters, expressed as an effective n, and
        adjusted fits use cluster-robust standard errors.

    Returns
    -------
    Comparison
        As :func:`compare`.

    Examples
    --------
    >>> import pandas as pd
    >>> v = pd.DataFrame({"program": ["order_class"] * 6 + ["regular"] * 6,
    ...                   "value": [1, 1, 1, 1, 1, 0, 1, 1, 0, 0, 0, 0]})
    >>> r = compare_values(v, "proportion")
    >>> r.table[["difference", "method"]].round(3).to_dict("records")
    [{'difference': 0.5, 'method': "newcombe; fisher's exact"}]
    """
    check_option("kind", kind, KINDS, "compare")
    check_option("method", method, _METHODS, "compare")
    check_option("estimand", estimand, ("ate", "att"), "compare")
    z = _check_level(ci_level, "compare")
    by_l, adj_l = _as_list(by), _as_list(adjust)
    if not isinstance(values, pd.DataFrame):
        values = pd.DataFrame(values)
    _need(values, ["value", cohort, *by_l, *adj_l] + (["score"] if kind == "likert" and not adj_l else [])
          + ([cluster] if cluster else []), "compare")
    if adj_l:
        if method not in ("auto", "aipw", "ra", "ipw"):
            raise InvalidOptionError(
                f"协变量调整只能用 method='aipw'、'ra' 或 'ipw'，收到 {method!r}",
                f"With 'adjust', method must be 'auto', 'aipw', 'ra' or 'ipw'. Got {method!r} instead.",
            )
        if kind == "median":
            raise InvalidOptionError(
                "中位数指标不支持协变量调整（请用均值指标）",
                "covariate adjustment is not available for median indicators (use the mean indicator).",
            )
    elif method in ("aipw", "ra", "ipw"):
        raise InvalidOptionError(
            f"method={method!r} 需要 adjust=[协变量]",
            f"method={method!r} needs covariates in 'adjust'.",
        )
    allowed = {
        "proportion": ("auto", "chi2", "fisher"),
        "likert": ("auto", "chi2", "fisher", "brunner-munzel", "mann-whitney"),
        "mean": ("auto", "welch"),
        "median": ("auto",),
    }[kind]
    if not adj_l:
        check_option("method", method, allowed, f"compare[{kind}]")

    long, pairs, notes = _expand_pairs(values, kind, cohort, reference, by_l, adj_l, cluster)
    if adj_l:
        res, bal = fit_cells(long, pairs, kind, adj_l, method, estimand, z, COMPARE_COLUMNS, BALANCE_COLUMNS)
    else:
        res = _unadjusted(long, pairs, kind, method, ci_level, z, n_boot, seed)
        bal = None
    table, bal = _assemble(pairs, res, notes, bal, indicator, by_l, reference)
    return Comparison(table, bal, dict(cohort=cohort, reference=reference, by=by_l, adjust=adj_l, method=method,
                                       estimand=estimand, ci_level=ci_level))


def _assemble(pairs: pd.DataFrame, res: pd.DataFrame, notes: list[str], bal: pd.DataFrame | None,
              indicator: str, by_l: list[str], reference: str) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Comparison rows (``pairs``) + statistics (``res``) -> the tidy :data:`COMPARE_COLUMNS` frame."""
    out = pairs.copy()
    for c in res.columns:
        out[c] = res[c].to_numpy()
    # flags: per-row notes from the engines plus call-level notes (missing values)
    flags = pd.Series(res["flags"].to_numpy(), index=out.index, dtype=object)
    for note in notes:
        flags = flags.where(flags == "", flags + "; ").fillna("") + note
    small = (out["n_cohort"] < _SMALL_N) | (out["n_reference"] < _SMALL_N)
    flags = np.where(small, np.where(flags == "", _F_SMALL, _F_SMALL + "; " + flags), flags)
    out["flags"] = flags
    out["q_value"] = bh_qvalues(out["p_value"].to_numpy(dtype=float))
    if "dropped_covariates" not in out.columns:  # unadjusted rows: nothing to drop
        out["dropped_covariates"] = ""
    out["dropped_covariates"] = out["dropped_covariates"].fillna("").astype(str)
    for c in ("odds_ratio", "odds_ratio_ci_low", "odds_ratio_ci_high", "hedges_g"):
        if c not in out.columns:  # effect sizes a kind does not have
            out[c] = np.nan
    out.insert(0, "indicator", indicator)
    out = out.rename(columns={"_cohort": "cohort"})
    out["reference"] = reference
    out = out[["indicator", *by_l, *COMPARE_COLUMNS]].reset_index(drop=True)
    if bal is not None:
        bal.insert(0, "indicator", indicator)
        bal["reference"] = reference
        bal = bal[["indicator", *by_l, *BALANCE_COLUMNS]].reset_index(drop=True)
    return out, bal


def _expand_pairs(
    values: pd.DataFrame, kind: str, cohort: str, reference: str, by: list[str], adjust: list[str],
    cluster: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Long frame with one block per comparison row (``pair_id``) and arm (1 cohort, 0 reference).

    Reference units are repeated once per cohort level of their group, so every
    later statistic is a single group-by on ``(pair_id, arm)``.
    """
    keep = ["value", cohort, *by, *adjust]
    if "weight" in values.columns:
        keep.append("weight")
    if "score" in values.columns and kind == "likert":
        keep.append("score")
    if cluster:
        keep.append(cluster)
    v = values[list(dict.fromkeys(keep))].copy()
    if cluster:
        v["_cluster"] = pd.factorize(v[cluster])[0]
    if "weight" not in v.columns:
        v["weight"] = 1.0
    notes: list[str] = []
    miss_c = v[cohort].isna()
    miss_v = v["value"].isna()
    if miss_c.any():
        notes.append(_flag_count(int(miss_c.sum()), "行队列缺失，未纳入", "rows with missing cohort left out"))
    if miss_v.any():
        notes.append(_flag_count(int((miss_v & ~miss_c).sum()), "行取值缺失，未纳入",
                                 "rows with missing value left out"))
    v = v.loc[~(miss_c | miss_v)]
    v["_cohort"] = v[cohort].astype(str)
    v["value"] = v["value"].astype(float)
    v["weight"] = v["weight"].astype(float)
    is_ref = (v["_cohort"] == reference).to_numpy()
    if not is_ref.any():
        levels = sorted(v["_cohort"].unique().tolist())
        raise InvalidOptionError(
            f"对照组 {reference!r} 不在列 {cohort!r} 中（现有：{levels}）",
            f"reference level {reference!r} not found in column {cohort!r} (levels present: {levels})",
        )
    if kind == "likert" and "score" in v.columns:
        v["score"] = v["score"].astype(float)
    if cohort != "_cohort":
        v = v.drop(columns=[cohort]) if cohort not in by and cohort not in adjust else v
    treated = v.loc[~is_ref]
    pairs = treated[[*by, "_cohort"]].drop_duplicates().sort_values([*by, "_cohort"]).reset_index(drop=True)
    pairs["pair_id"] = np.arange(len(pairs))
    t = treated.merge(pairs, on=[*by, "_cohort"], how="inner")
    t["arm"] = 1
    ref = v.loc[is_ref].drop(columns=["_cohort"])
    if by:
        r = ref.merge(pairs, on=by, how="inner")
    else:
        r = ref.merge(pairs, how="cross")
    r["arm"] = 0
    long = pd.concat([t, r], ignore_index=True)
    long["w_y"] = long["weight"] * long["value"]
    long["w_y2"] = long["w_y"] * long["value"]
    long["w2"] = long["weight"] ** 2
    return long, pairs[[*by, "_cohort"]], notes


def _grid(long: pd.DataFrame, n_pairs: int) -> pd.DataFrame:
    """Sufficient statistics per (pair, arm) on a complete grid (empty arms give n = 0)."""
    g = long.groupby(["pair_id", "arm"], sort=True)
    s = g.agg(n=("value", "size"), sy=("value", "sum"), sw=("weight", "sum"), swy=("w_y", "sum"),
              swy2=("w_y2", "sum"), sw2=("w2", "sum"), mean=("value", "mean"), var=("value", "var"))
    idx = pd.MultiIndex.from_product([range(n_pairs), [0, 1]], names=["pair_id", "arm"])
    s = s.reindex(idx)
    s["n"] = s["n"].fillna(0)
    return s


def _arm(s: pd.DataFrame, col: str, arm: int) -> np.ndarray:
    return s[col].xs(arm, level="arm").to_numpy(dtype=float)


def _join_flags(*parts: Any) -> np.ndarray:
    """Join per-row flag strings with "; " (vectorised; empty parts are skipped)."""
    n = max(np.size(p) for p in parts)
    acc = pd.Series([""] * n, dtype=object)
    for part in parts:
        p = pd.Series(np.broadcast_to(np.asarray(part, dtype=object), (n,)), dtype=object).fillna("")
        both = ((acc != "") & (p != "")).to_numpy()
        acc = acc + np.where(both, "; ", "") + p
    return acc.to_numpy(dtype=object)


def _unadjusted(
    long: pd.DataFrame, pairs: pd.DataFrame, kind: str, method: str, level: float, z: float,
    n_boot: int, seed: int,
) -> pd.DataFrame:
    n_pairs = len(pairs)
    s = _grid(long, n_pairs)
    weighted = bool((long["weight"] != 1).any())
    n1, n0 = _arm(s, "n", 1), _arm(s, "n", 0)
    out: dict[str, Any] = {"n_cohort": n1.astype(int), "n_reference": n0.astype(int)}
    if "_cluster" in long.columns:  # n counts clusters (respondents), not rows (answers)
        m = long.groupby(["pair_id", "arm"])["_cluster"].nunique().reindex(
            pd.MultiIndex.from_product([range(n_pairs), [0, 1]]), fill_value=0)
        out["n_cohort"] = m.xs(1, level=1).to_numpy(dtype=int)
        out["n_reference"] = m.xs(0, level=1).to_numpy(dtype=int)
    no_ref = np.where(n0 == 0, _F_NOREF, "")
    w_flag = np.full(n_pairs, _F_WEIGHTED if weighted else "", dtype=object)
    if "_cluster" in long.columns:
        w_flag = np.full(n_pairs, _F_CLUSTER + ("; " + _F_WEIGHTED if weighted else ""), dtype=object)
    if kind in ("proportion", "likert"):
        sw1, sw0 = _arm(s, "sw", 1), _arm(s, "sw", 0)
        p1, p0 = _arm(s, "swy", 1) / sw1, _arm(s, "swy", 0) / sw0
        if "_cluster" in long.columns:
            ne1, ne0 = _cluster_neff(long, n_pairs, p1, p0)
        elif weighted:  # Kish effective n; effective successes keep the weighted share
            ne1, ne0 = sw1**2 / _arm(s, "sw2", 1), sw0**2 / _arm(s, "sw2", 0)
        else:
            ne1, ne0 = n1, n0
        if not weighted and "_cluster" not in long.columns:
            # unweighted: the integer counts themselves, not p x n (round-off in p x n can move
            # an expected count of exactly 5 across the chi-square / Fisher threshold)
            x1, x0 = _arm(s, "sy", 1), _arm(s, "sy", 0)
        else:
            x1, x0 = p1 * ne1, p0 * ne0
        if kind == "proportion" or method in ("chi2", "fisher"):
            out.update(_proportion_stats(p1, p0, x1, ne1, x0, ne0, weighted, method, level))
            small_flag = out.pop("_small_flag")
        else:
            nc = newcombe_diff(x1, ne1, x0, ne0, level)
            rc = ratio_ci(x1, ne1, x0, ne0, level)
            out.update(estimate_cohort=p1, estimate_reference=p0, difference=p1 - p0,
                       ci_low=nc["ci_low"], ci_high=nc["ci_high"], ratio=rc["ratio"],
                       ratio_ci_low=rc["ci_low"], ratio_ci_high=rc["ci_high"], **_odds(x1, ne1, x0, ne0, level))
            scale = None
            if "_cluster" in long.columns:  # counts scaled by 1/deff of the top-box share
                with np.errstate(invalid="ignore", divide="ignore"):
                    scale = np.column_stack([ne0 / _arm(s, "sw", 0), ne1 / _arm(s, "sw", 1)])
            ordinal = _ordinal_tests(long, n_pairs, weighted, method, scale)
            out.update(statistic=ordinal["statistic"], p_value=ordinal["p_value"],
                       effect_size=ordinal["cliffs_delta"], effect_size_type="cliffs_delta")
            out["method"] = np.full(n_pairs, f"top-box newcombe; {ordinal['test']}", dtype=object)
            small_flag = np.full(n_pairs, "", dtype=object)
        out["flags"] = _join_flags(no_ref, small_flag, w_flag)
    else:
        # comparisons of one by-group share its reference block: resample it once
        by_cols = [c for c in pairs.columns if c != "_cohort"]
        if by_cols:
            bg = pairs.groupby(by_cols, sort=False, dropna=False).ngroup().to_numpy()
            first = pd.Series(np.arange(n_pairs)).groupby(bg).transform("min").to_numpy()
        else:
            first = np.zeros(n_pairs, dtype=np.int64)
        out.update(_continuous(long, s, n_pairs, kind, level, n_boot, seed, weighted, first))
        few = np.where((n1 < 2) | (n0 < 2), _F_NOCOH, "")
        med_w = np.full(n_pairs, _F_MEDIAN_W if (weighted and kind == "median") else "", dtype=object)
        out["flags"] = _join_flags(no_ref, few, w_flag if kind == "mean" else med_w)
    out["adjusted"] = False
    frame = pd.DataFrame({k: (np.broadcast_to(v, (n_pairs,)) if np.ndim(v) == 0 else v)
                          for k, v in out.items()})
    return frame


def _odds(x1: np.ndarray, n1: np.ndarray, x0: np.ndarray, n0: np.ndarray, level: float) -> dict[str, Any]:
    """Odds ratio columns (Woolf interval; zero cells 1/2, as statsmodels ``Table2x2``)."""
    o = odds_ratio_ci(x1, n1, x0, n0, level)
    return {"odds_ratio": o["odds_ratio"], "odds_ratio_ci_low": o["ci_low"], "odds_ratio_ci_high": o["ci_high"]}


def _proportion_stats(p1: np.ndarray, p0: np.ndarray, x1: np.ndarray, n1: np.ndarray, x0: np.ndarray,
                      n0: np.ndarray, weighted: bool, method: str, level: float) -> dict[str, Any]:
    """Newcombe difference, log ratio, two-proportion test and Cohen's h of every pair at once.

    Shared by the unit-level and the group-totals paths of :func:`compare`, so both give
    the same numbers; ``x``/``n`` are counts (effective counts when weighted).
    """
    nc = newcombe_diff(x1, n1, x0, n0, level)
    rc = ratio_ci(x1, n1, x0, n0, level)
    # Fisher only for unweighted counts; method forces or forbids it
    min_exp = np.inf if method == "fisher" else (0.0 if method == "chi2" else 5.0)
    tp = two_proportion_test(x1, n1, x0, n0, fisher=not weighted, min_expected=min_exp)
    fisher_used = np.asarray(tp["test"]) == "fisher"
    test_name = np.where(fisher_used, "fisher's exact", "chi-square")
    return dict(
        estimate_cohort=p1, estimate_reference=p0, difference=p1 - p0,
        ci_low=nc["ci_low"], ci_high=nc["ci_high"], ratio=rc["ratio"],
        ratio_ci_low=rc["ci_low"], ratio_ci_high=rc["ci_high"],
        statistic=tp["statistic"], p_value=tp["p_value"],
        effect_size=cohens_h(p1, p0), effect_size_type="cohens_h",
        **_odds(x1, n1, x0, n0, level),
        method=np.char.add("newcombe; ", test_name.astype(str)),
        _small_flag=np.where(fisher_used, _F_FISHER,
                             np.where(np.asarray(tp["small_counts"]) & weighted, _F_SMALL_COUNTS_W, "")),
    )


# --- ordinal (Likert) tests from level counts -----------------------------------------


def _cluster_neff(long: pd.DataFrame, n_pairs: int, p1: np.ndarray, p0: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Effective n of a (weighted) share whose rows are clustered.

    Linearisation (ratio-estimator) variance with clusters ``c``:
    ``v = m/(m−1) · Σ_c (Σ_{i∈c} w_i (y_i − p̂))² / (Σ w)²`` over the ``m`` clusters of
    each arm, and ``n_eff = p̂(1 − p̂)/v``, so that the Wilson/Newcombe formulas use
    the clustered precision. One group-by on (pair, arm, cluster).
    """
    p = np.column_stack([p0, p1])  # (pair, arm)
    pid = long["pair_id"].to_numpy()
    arm = long["arm"].to_numpy()
    resid = long["weight"].to_numpy() * (long["value"].to_numpy() - p[pid, arm])
    fr = pd.DataFrame({"pair_id": pid, "arm": arm, "c": long["_cluster"].to_numpy(), "u": resid,
                       "w": long["weight"].to_numpy()})
    tot = fr.groupby(["pair_id", "arm", "c"], sort=False)["u"].sum()
    g = (tot**2).groupby(level=[0, 1]).agg(["sum", "size"])
    sw = fr.groupby(["pair_id", "arm"])["w"].sum()
    idx = pd.MultiIndex.from_product([range(n_pairs), [0, 1]])
    g = g.reindex(idx)
    sw = sw.reindex(idx).to_numpy()
    m = g["size"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        v = m / (m - 1) * g["sum"].to_numpy() / sw**2
        pp = p.ravel()
        neff = np.where(v > 0, pp * (1 - pp) / v, m)
    neff = neff.reshape(n_pairs, 2)
    return neff[:, 1], neff[:, 0]


def _level_counts(long: pd.DataFrame, n_pairs: int, weighted: bool) -> tuple[np.ndarray, np.ndarray]:
    """(pairs × levels) counts of the score for the reference (a) and the cohort (b) arm.

    With survey weights the weighted counts are rescaled so that each arm sums to
    its Kish effective sample size.
    """
    sub = long.loc[long["score"].notna()]
    levels = np.sort(sub["score"].unique())
    key = pd.MultiIndex.from_frame(sub[["pair_id", "arm", "score"]])
    cnt = pd.Series(sub["weight"].to_numpy(), index=key).groupby(level=[0, 1, 2]).sum()
    full = pd.MultiIndex.from_product([range(n_pairs), [0, 1], levels])
    arr = cnt.reindex(full, fill_value=0.0).to_numpy().reshape(n_pairs, 2, len(levels))
    if weighted:
        w2 = pd.Series((sub["weight"] ** 2).to_numpy(), index=key).groupby(level=[0, 1]).sum()
        w2 = w2.reindex(pd.MultiIndex.from_product([range(n_pairs), [0, 1]]), fill_value=np.nan)
        sw = arr.sum(axis=2)
        neff = sw**2 / w2.to_numpy().reshape(n_pairs, 2)
        with np.errstate(invalid="ignore", divide="ignore"):
            arr = arr * (neff / sw)[:, :, None]
    return arr[:, 0, :], arr[:, 1, :]


def brunner_munzel_counts(a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    """Brunner–Munzel test and Cliff's delta from per-level counts (vectorised over rows).

    ``a`` and ``b`` are ``(rows, levels)`` counts of an ordinal score for the
    reference (x) and the cohort (y), levels in increasing order. Midranks give
    ties their average rank. The statistic is positive when the cohort tends to
    score higher; equal to ``scipy.stats.brunnermunzel(x, y)`` on the expanded data.

    Returns
    -------
    dict
        ``statistic, df, p_value, relative_effect`` (P(X<Y) + P(X=Y)/2) and
        ``cliffs_delta`` (P(Y>X) − P(Y<X) = 2·relative_effect − 1).

    Examples
    --------
    >>> import numpy as np
    >>> # reference {1,1,2,2,2,3}, cohort {2,2,3,3,3,3}: 24 wins, 2 losses in 36 pairs
    >>> r = brunner_munzel_counts(np.array([[2, 3, 1]]), np.array([[0, 2, 4]]))
    >>> round(float(r["cliffs_delta"][0]), 4), round(22 / 36, 4)
    (0.6111, 0.6111)
    """
    a = np.atleast_2d(np.asarray(a, dtype=float))
    b = np.atleast_2d(np.asarray(b, dtype=float))
    nx, ny = a.sum(axis=1), b.sum(axis=1)
    c = a + b
    pooled = np.cumsum(c, axis=1) - c + (c + 1) / 2  # pooled midrank of each level
    rx = np.cumsum(a, axis=1) - a + (a + 1) / 2  # midrank within the reference arm
    ry = np.cumsum(b, axis=1) - b + (b + 1) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        rcx = (a * pooled).sum(axis=1) / nx
        rcy = (b * pooled).sum(axis=1) / ny
        dx, dy = pooled - rx, pooled - ry
        mdx = (a * dx).sum(axis=1) / nx
        mdy = (b * dy).sum(axis=1) / ny
        sx = (a * (dx - mdx[:, None]) ** 2).sum(axis=1) / (nx - 1)
        sy = (b * (dy - mdy[:, None]) ** 2).sum(axis=1) / (ny - 1)
        stat = nx * ny * (rcy - rcx) / ((nx + ny) * np.sqrt(nx * sx + ny * sy))
        df = (nx * sx + ny * sy) ** 2 / ((nx * sx) ** 2 / (nx - 1) + (ny * sy) ** 2 / (ny - 1))
        p = 2 * np.minimum(stats.t.cdf(stat, df), stats.t.sf(stat, df))
        rel = (rcy - (ny + 1) / 2) / nx
    return {"statistic": stat, "df": df, "p_value": np.minimum(p, 1.0), "relative_effect": rel,
            "cliffs_delta": 2 * rel - 1}


def mann_whitney_counts(a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    """Mann–Whitney U test (normal approximation, tie and continuity corrected) from level counts.

    Same layout as :func:`brunner_munzel_counts`; the p-value equals
    ``scipy.stats.mannwhitneyu(y, x, method="asymptotic")``. ``statistic`` is the
    signed z (positive when the cohort scores higher), ``u`` the cohort's U.

    Examples
    --------
    >>> import numpy as np
    >>> r = mann_whitney_counts(np.array([[2, 3, 1]]), np.array([[0, 2, 4]]))
    >>> float(r["u"][0])  # 24 wins + 10 ties / 2
    29.0
    """
    a = np.atleast_2d(np.asarray(a, dtype=float))
    b = np.atleast_2d(np.asarray(b, dtype=float))
    nx, ny = a.sum(axis=1), b.sum(axis=1)
    n = nx + ny
    c = a + b
    pooled = np.cumsum(c, axis=1) - c + (c + 1) / 2
    u = (b * pooled).sum(axis=1) - ny * (ny + 1) / 2
    mu = nx * ny / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        tie = (c**3 - c).sum(axis=1) / (n * (n - 1))
        sd = np.sqrt(nx * ny / 12 * ((n + 1) - tie))
        zabs = (np.maximum(u, nx * ny - u) - mu - 0.5) / sd
        p = np.minimum(2 * stats.norm.sf(zabs), 1.0)
        stat = np.sign(u - mu) * zabs
    return {"u": u, "statistic": stat, "p_value": p, "cliffs_delta": 2 * u / (nx * ny) - 1}


def _arm_total(long: pd.DataFrame, n_pairs: int, arm: int) -> np.ndarray:
    sw = long.loc[long["arm"] == arm].groupby("pair_id")["weight"].sum().reindex(range(n_pairs))
    return sw.to_numpy(dtype=float)[:, None]


def _ordinal_tests(long: pd.DataFrame, n_pairs: int, weighted: bool, method: str,
                   scale: np.ndarray | None = None) -> dict[str, Any]:
    a, b = _level_counts(long, n_pairs, weighted and scale is None)
    if scale is not None:  # clustered rows: rescale each arm's counts to its effective n
        a = a / a.sum(axis=1, keepdims=True) * scale[:, [0]] * _arm_total(long, n_pairs, 0)
        b = b / b.sum(axis=1, keepdims=True) * scale[:, [1]] * _arm_total(long, n_pairs, 1)
    if method == "mann-whitney":
        r = mann_whitney_counts(a, b)
        return {**r, "test": "mann-whitney"}
    r = brunner_munzel_counts(a, b)
    return {**r, "test": "brunner-munzel"}


# --- means and medians ------------------------------------------------------------------


def _bootstrap(long: pd.DataFrame, n_pairs: int, kind: str, n_boot: int, seed: int,
               ref_of: np.ndarray | None = None) -> np.ndarray:
    """Bootstrap replicates of the per-arm statistic, shape (n_boot, n_pairs, 2).

    All groups are resampled at once: the frame is sorted by (pair, arm, value),
    each position draws an index uniformly inside its own block, and block sums
    (means) or sorted block positions (medians) give every group's statistic in one
    array operation per chunk of replicates. ``ref_of[p]`` names the comparison whose
    reference block pair ``p`` shares (same ``by`` group): each reference group is
    resampled once, not once per cohort level.
    """
    if ref_of is not None:
        pid, arm = long["pair_id"].to_numpy(), long["arm"].to_numpy()
        long = long.loc[(arm == 1) | (ref_of[pid] == pid)]
    sub = long.sort_values(["pair_id", "arm", "value"], kind="stable")
    gid = (sub["pair_id"].to_numpy() * 2 + sub["arm"].to_numpy()).astype(np.int64)
    y = sub["value"].to_numpy(dtype=float)
    w = sub["weight"].to_numpy(dtype=float)
    groups, starts, sizes = np.unique(gid, return_index=True, return_counts=True)
    block_start = np.repeat(starts, sizes)
    block_size = np.repeat(sizes, sizes)
    out = np.full((n_boot, n_pairs * 2), np.nan)
    rng = np.random.default_rng(seed)
    n = len(y)
    chunk = max(1, int(4_000_000 // max(n, 1)))
    for lo in range(0, n_boot, chunk):  # chunks of replicates bound the memory, not a loop per group
        r = min(chunk, n_boot - lo)
        idx = block_start + (rng.random((r, n)) * block_size).astype(np.int64)
        if kind == "mean":
            num = np.add.reduceat(w[idx] * y[idx], starts, axis=1)
            den = np.add.reduceat(w[idx], starts, axis=1)
            out[lo:lo + r, groups] = num / den
        else:
            idx.sort(axis=1)  # blocks are disjoint and ordered, so each block stays in place
            lo_pos = starts + (sizes - 1) // 2
            hi_pos = starts + sizes // 2
            out[lo:lo + r, groups] = (y[idx[:, lo_pos]] + y[idx[:, hi_pos]]) / 2
    out = out.reshape(n_boot, n_pairs, 2)
    if ref_of is not None:
        out[:, :, 0] = out[:, ref_of, 0]
    return out


def _continuous(
    long: pd.DataFrame, s: pd.DataFrame, n_pairs: int, kind: str, level: float, n_boot: int, seed: int,
    weighted: bool, ref_of: np.ndarray | None = None,
) -> dict[str, Any]:
    n1, n0 = _arm(s, "n", 1), _arm(s, "n", 0)
    alpha = 1 - level
    boot = _bootstrap(long, n_pairs, kind, n_boot, seed, ref_of) if n_boot > 0 else np.full((1, n_pairs, 2), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        bdiff = boot[:, :, 1] - boot[:, :, 0]
        bratio = boot[:, :, 1] / boot[:, :, 0]
    ok = (n1 >= 2) & (n0 >= 2)
    q = np.array([alpha / 2, 1 - alpha / 2])
    with warnings.catch_warnings():
        # a pair whose every bootstrap draw is undefined (e.g. a ratio to a zero reference mean)
        # has no percentile interval: NaN is the answer, numpy's "All-NaN slice" notice is noise
        warnings.filterwarnings("ignore", message="All-NaN slice", category=RuntimeWarning)
        dq = np.where(ok[None, :], np.nanquantile(np.where(ok[None, :], bdiff, 0.0), q, axis=0), np.nan)
        rq = np.where(ok[None, :], np.nanquantile(np.where(ok[None, :], bratio, 1.0), q, axis=0), np.nan)
    if kind == "mean":
        sw1, sw0 = _arm(s, "sw", 1), _arm(s, "sw", 0)
        m1, m0 = _arm(s, "swy", 1) / sw1, _arm(s, "swy", 0) / sw0
        if weighted:
            # weighted variance and Kish effective n for the Welch statistic
            v1 = (_arm(s, "swy2", 1) / sw1 - m1**2) * n1 / (n1 - 1)
            v0 = (_arm(s, "swy2", 0) / sw0 - m0**2) * n0 / (n0 - 1)
            k1, k0 = sw1**2 / _arm(s, "sw2", 1), sw0**2 / _arm(s, "sw2", 0)
        else:
            v1, v0, k1, k0 = _arm(s, "var", 1), _arm(s, "var", 0), n1, n0
        wd = welch_diff(m1, v1, k1, m0, v0, k0, level)
        with np.errstate(invalid="ignore", divide="ignore"):
            sd_pooled = np.sqrt(((n1 - 1) * v1 + (n0 - 1) * v0) / (n1 + n0 - 2))
            d = (m1 - m0) / sd_pooled
        return dict(estimate_cohort=m1, estimate_reference=m0, difference=m1 - m0,
                    ci_low=dq[0], ci_high=dq[1], ratio=m1 / m0, ratio_ci_low=rq[0], ratio_ci_high=rq[1],
                    statistic=wd["statistic"], p_value=wd["p_value"], effect_size=d,
                    effect_size_type="cohens_d", method="welch t; bootstrap percentile ci",
                    hedges_g=d * hedges_correction(n1 + n0 - 2))
    # medians: bootstrap CI, bootstrap p-value (CI inversion), Cliff's delta by pooled ranks
    sub = long.sort_values(["pair_id", "arm"], kind="stable")
    med = sub.groupby(["pair_id", "arm"])["value"].median().reindex(
        pd.MultiIndex.from_product([range(n_pairs), [0, 1]]))
    md1 = med.xs(1, level=1).to_numpy(dtype=float)
    md0 = med.xs(0, level=1).to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        # (k + 1) / (B + 1): a bootstrap p-value is never exactly 0
        nb = bdiff.shape[0]
        k_le, k_ge = (bdiff <= 0).sum(axis=0), (bdiff >= 0).sum(axis=0)
        p_boot = np.minimum(1.0, 2 * (np.minimum(k_le, k_ge) + 1) / (nb + 1))
    ranks = long.groupby("pair_id")["value"].rank(method="average")
    rank_sum1 = ranks.where(long["arm"] == 1, 0.0).groupby(long["pair_id"]).sum().reindex(
        range(n_pairs), fill_value=0.0).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        u1 = rank_sum1 - n1 * (n1 + 1) / 2
        delta = 2 * u1 / (n1 * n0) - 1
    return dict(estimate_cohort=md1, estimate_reference=md0, difference=md1 - md0,
                ci_low=dq[0], ci_high=dq[1], ratio=md1 / md0, ratio_ci_low=rq[0], ratio_ci_high=rq[1],
                statistic=np.full(n_pairs, np.nan), p_value=np.where(ok, p_boot, np.nan),
                effect_size=delta, effect_size_type="cliffs_delta",
                method="median; bootstrap percentile ci and p")


# ----------------------------------------------------------------------------------------
# Covariate adjustment: the fits live in coopmetrics.adjust
# ----------------------------------------------------------------------------------------


def balance(
    data: Any,
    indicator: str,
    cohort: str = "program",
    reference: str = "regular",
    adjust: str | Sequence[str] = ("entry_score",),
    by: str | Sequence[str] | None = None,
    *,
    estimand: str = "att",
    options: Any = None,
) -> pd.DataFrame:
    """Covariate balance table of an adjusted comparison (standardised mean differences).

    For each comparison row and covariate (dummy-coded levels for text columns):
    the means in the cohort and the reference before weighting, the standardised
    mean difference ``smd_before = (m_cohort − m_reference) / sqrt((s²_c + s²_r)/2)``,
    the means after inverse-probability weighting and ``smd_after`` with the same
    (unweighted) denominator. ``|smd| < 0.1`` is the usual sign of good balance
    (Austin 2009).

    Returns
    -------
    pandas.DataFrame
        ``indicator``, the ``by`` columns, then :data:`BALANCE_COLUMNS`.

    Examples
    --------
    >>> import coopmetrics as cm                                         # doctest: +SKIP
    >>> cm.balance(ds, "placement_rate", adjust=["entry_score"])  # doctest: +SKIP
    """
    res = compare(data, indicator, cohort=cohort, reference=reference, by=by, adjust=adjust,
                  method="ipw", options=options, estimand=estimand)
    out = res.balance.copy()
    out["reference"] = reference
    return out


# ----------------------------------------------------------------------------------------
# Funnel plots and trend tests
# ----------------------------------------------------------------------------------------


def funnel_limits(target: Any, n: Any, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact binomial control limits of a proportion around ``target`` for size ``n``.

    Spiegelhalter (2005, appendix A.1.1): with ``r_p`` the ``p``-quantile of
    Binomial(n, target) (smallest r with P(R ≤ r) ≥ p) and
    ``α = (P(R ≤ r_p) − p) / (P(R ≤ r_p) − P(R ≤ r_p − 1))``, the limit is
    ``(r_p − α) / n``: the discrete quantile interpolated so that the limits are
    smooth in ``n``. Lower limit at ``p = (1 − level)/2``, upper at ``(1 + level)/2``.

    Examples
    --------
    >>> lo, hi = funnel_limits(0.5, 10, 0.95)   # worked out by hand in the tests
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.1324, 0.7676)
    """
    target = np.asarray(target, dtype=float)
    n = np.asarray(n, dtype=float)

    def lim(p: float) -> np.ndarray:
        r = stats.binom.ppf(p, n, target)
        c_r = stats.binom.cdf(r, n, target)
        c_rm1 = stats.binom.cdf(r - 1, n, target)
        with np.errstate(invalid="ignore", divide="ignore"):
            alpha = (c_r - p) / (c_r - c_rm1)
            return np.clip((r - alpha) / n, 0, 1)

    return lim((1 - level) / 2), lim((1 + level) / 2)


def funnel(
    data: Any,
    indicator: str,
    unit: str = "major",
    by: str | Sequence[str] | None = None,
    options: Any = None,
    *,
    overdispersion: str | None = None,
    winsor: float = 0.1,
) -> pd.DataFrame:
    """Each unit's rate against the overall rate, with funnel-plot control limits.

    Parameters
    ----------
    data : Dataset or DataFrame
    indicator : str
        Registry id of a proportion (or Likert top-box) indicator; mean indicators
        get normal limits ``overall ± z·sd/√n``.
    unit : str
        Column of the units compared (``major``, ``department``, ``college``).
    by : str or sequence of str, optional
        Separate funnels per group (e.g. ``grad_year``); the overall rate is the
        pooled rate of each group.
    options : registry.Options, optional
    overdispersion : {None, "multiplicative", "additive"}
        ``None``: exact binomial limits. ``"multiplicative"``: limits widened by
        √φ where φ is the mean squared winsorised z-score (used only when φ > 1).
        ``"additive"``: random-effects limits ``overall ± z·sqrt(s²_i + τ²)`` with
        the DerSimonian–Laird τ² from φ (Spiegelhalter 2005b).
    winsor : float
        Share winsorised in each tail when estimating φ (0.1 as Spiegelhalter).

    Returns
    -------
    pandas.DataFrame
        ``indicator``, the ``by`` columns, then :data:`FUNNEL_COLUMNS`:
        ``unit`` (the unit's label), ``numerator``, ``denominator``, ``estimate``,
        ``overall``, ``z`` (standardised difference), ``lower_95``, ``upper_95``,
        ``lower_998``, ``upper_998``, ``limits`` (which limits), ``phi``, ``tau2``,
        ``overdispersion_p`` (χ² test of φ = 1 on units − 1 df), ``position``
        (``below_998``, ``below_95``, ``within``, ``above_95``, ``above_998``) and
        ``flag`` (plain language, empty inside the 99.8 % limits). Units are not
        ranked.

    Examples
    --------
    >>> import coopmetrics as cm                             # doctest: +SKIP
    >>> cm.funnel(ds, "placement_rate", unit="major")        # doctest: +SKIP
    """
    check_option("overdispersion", overdispersion, [None, "multiplicative", "additive"], "funnel")
    kind, _ind = _kind_of(indicator)
    by_l = _as_list(by)
    v = _unit_values(data, indicator, [unit, *by_l], options)
    return funnel_values(v, kind, indicator=indicator, unit=unit, by=by_l, overdispersion=overdispersion,
                         winsor=winsor)


def funnel_values(
    values: pd.DataFrame,
    kind: str = "proportion",
    *,
    indicator: str = "value",
    unit: str = "major",
    by: str | Sequence[str] | None = None,
    overdispersion: str | None = None,
    winsor: float = 0.1,
) -> pd.DataFrame:
    """:func:`funnel` on a frame of unit values (``value`` column plus ``unit``/``by`` columns).

    Examples
    --------
    >>> import pandas as pd
    >>> v = pd.DataFrame({"major": ["a"] * 100 + ["b"] * 100 + ["c"] * 20,
    ...                   "value": [1] * 90 + [0] * 10 + [1] * 30 + [0] * 70 + [1] * 12 + [0] * 8})
    >>> funnel_values(v)[["unit", "estimate", "overall", "position"]]
      unit  estimate  overall   position
    0    a       0.9      0.6  above_998
    1    b       0.3      0.6  below_998
    2    c       0.6      0.6     within
    """
    check_option("kind", kind, KINDS, "funnel")
    check_option("overdispersion", overdispersion, [None, "multiplicative", "additive"], "funnel")
    by_l = _as_list(by)
    _need(values, ["value", unit, *by_l], "funnel")
    v = values.loc[values["value"].notna(), [unit, *by_l, "value"]]
    keys = [*by_l, unit]
    g = v.groupby(keys, sort=True, observed=True)["value"]
    t = g.agg(numerator="sum", denominator="size", ss=lambda s: float((s**2).sum())).reset_index() \
        if kind in ("mean", "median") else g.agg(numerator="sum", denominator="size").reset_index()
    grp = t.groupby(by_l, sort=False) if by_l else None

    def gsum(col: str) -> pd.Series:
        return grp[col].transform("sum") if grp is not None else pd.Series(t[col].sum(), index=t.index)

    num_tot, den_tot = gsum("numerator"), gsum("denominator")
    overall = (num_tot / den_tot).to_numpy()
    n = t["denominator"].to_numpy(dtype=float)
    est = t["numerator"].to_numpy(dtype=float) / n
    binomial = kind in ("proportion", "likert")
    if binomial:
        var1 = overall * (1 - overall)  # variance of one unit under the null
    else:
        ss_tot = gsum("ss").to_numpy()
        var1 = (ss_tot - den_tot.to_numpy() * overall**2) / (den_tot.to_numpy() - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        zs = (est - overall) / np.sqrt(var1 / n)
    # overdispersion: phi from winsorised z-scores, per group
    gid = t.groupby(by_l, sort=False, observed=True, dropna=False).ngroup().to_numpy() if by_l else 0
    zf = pd.DataFrame({"z": zs, "g": gid})
    qs = zf.groupby("g")["z"].quantile([winsor, 1 - winsor]).unstack()
    qlo = qs[winsor].reindex(zf["g"]).to_numpy()
    qhi = qs[1 - winsor].reindex(zf["g"]).to_numpy()
    zw = zf["z"].clip(qlo, qhi)
    k = zf.groupby("g")["z"].transform("count").to_numpy(dtype=float)
    phi = (zw**2).groupby(zf["g"]).transform("mean").to_numpy()
    od_p = stats.chi2.sf(k * phi, k - 1)
    with np.errstate(invalid="ignore", divide="ignore"):  # overall rate 0 or 1: no variance
        wi = n / var1
    sw = pd.Series(wi).groupby(zf["g"]).transform("sum").to_numpy()
    sw2 = pd.Series(wi**2).groupby(zf["g"]).transform("sum").to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        tau2 = np.maximum(0.0, (k * phi - (k - 1)) / (sw - sw2 / sw))
    out = t[keys].rename(columns={unit: "unit"}).copy()
    out["numerator"] = t["numerator"].to_numpy()
    out["denominator"] = t["denominator"].to_numpy()
    out["estimate"] = est
    out["overall"] = overall
    out["z"] = zs
    for lev, tag in ((0.95, "95"), (0.998, "998")):
        zq = stats.norm.isf((1 - lev) / 2)
        if overdispersion == "multiplicative":
            half = zq * np.sqrt(np.maximum(phi, 1.0) * var1 / n)
            lo, hi = overall - half, overall + half
        elif overdispersion == "additive":
            half = zq * np.sqrt(var1 / n + tau2)
            lo, hi = overall - half, overall + half
        elif binomial:
            lo, hi = funnel_limits(overall, n, lev)
        else:
            half = zq * np.sqrt(var1 / n)
            lo, hi = overall - half, overall + half
        if binomial:
            lo, hi = np.clip(lo, 0, 1), np.clip(hi, 0, 1)
        out[f"lower_{tag}"], out[f"upper_{tag}"] = lo, hi
    out["limits"] = {None: "exact binomial (Spiegelhalter 2005)" if binomial else "normal",
                     "multiplicative": "multiplicative overdispersion (phi, winsorised z)",
                     "additive": "additive random effects (tau2)"}[overdispersion]
    out["phi"] = phi
    out["tau2"] = tau2
    out["overdispersion_p"] = od_p
    e = out["estimate"]
    pos = np.select(
        [e < out["lower_998"], e < out["lower_95"], e > out["upper_998"], e > out["upper_95"]],
        ["below_998", "below_95", "above_998", "above_95"], default="within")
    out["position"] = pos
    out["flag"] = np.select(
        [pos == "below_998", pos == "above_998"],
        ["低于99.8%控制限 / below the 99.8% limit", "高于99.8%控制限 / above the 99.8% limit"], default="")
    out.insert(0, "indicator", indicator)
    return out[["indicator", *by_l, *FUNNEL_COLUMNS]].reset_index(drop=True)


def trend_test(
    data: Any,
    indicator: str,
    by: str | Sequence[str] | None = None,
    *,
    time: str = "grad_year",
    options: Any = None,
) -> pd.DataFrame:
    """Cochran–Armitage test for a linear trend in a rate across years.

    With yearly counts ``x_t`` of ``n_t`` units, pooled rate ``p̄ = Σx/Σn`` and
    ``t̄ = Σ n_t t / Σ n_t``:
    ``T = Σ x_t (t − t̄)``, ``Var T = p̄(1 − p̄) Σ n_t (t − t̄)²``, ``z = T/√Var T``
    (two-sided normal p-value). ``z²`` equals the score test of the slope in a
    logistic regression on year (statsmodels ``GLMResults.score_test``). ``slope``
    is the least-squares change in the rate per year, ``T / Σ n_t (t − t̄)²``.

    Returns
    -------
    pandas.DataFrame
        ``indicator``, the ``by`` columns, then :data:`TREND_COLUMNS`.

    Examples
    --------
    >>> import coopmetrics as cm                                 # doctest: +SKIP
    >>> cm.trend_test(ds, "placement_rate", by="department")     # doctest: +SKIP
    """
    kind, _ind = _kind_of(indicator)
    if kind not in ("proportion", "likert"):
        raise InvalidOptionError(
            "趋势检验只适用于比例指标", "trend_test() applies to proportion indicators only.")
    by_l = _as_list(by)
    v = _unit_values(data, indicator, [time, *by_l], options)
    return trend_test_values(v, indicator=indicator, by=by_l, time=time)


def trend_test_values(
    values: pd.DataFrame, *, indicator: str = "value", by: str | Sequence[str] | None = None,
    time: str = "grad_year",
) -> pd.DataFrame:
    """:func:`trend_test` on a frame of 0/1 unit values with a ``time`` column.

    Examples
    --------
    >>> import pandas as pd
    >>> v = pd.DataFrame({"grad_year": [2021] * 4 + [2022] * 4 + [2023] * 4,
    ...                   "value": [1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0]})
    >>> r = trend_test_values(v)
    >>> round(float(r["statistic"][0]), 4), round(float(r["slope"][0]), 3)
    (1.4142, 0.25)
    """
    by_l = _as_list(by)
    _need(values, ["value", time, *by_l], "trend_test")
    v = values.loc[values["value"].notna() & values[time].notna(), [*by_l, time, "value"]].copy()
    v[time] = v[time].astype(float)
    yr = v.groupby([*by_l, time], sort=True, observed=True)["value"].agg(x="sum", n="size").reset_index()
    yr["nt"] = yr["n"] * yr[time]
    yr["nt2"] = yr["nt"] * yr[time]
    yr["xt"] = yr["x"] * yr[time]
    if by_l:
        g = yr.groupby(by_l, sort=True, observed=True)
        agg = g.agg(n_years=(time, "size"), first_year=(time, "min"), last_year=(time, "max"), x=("x", "sum"),
                    n=("n", "sum"), nt=("nt", "sum"), nt2=("nt2", "sum"), xt=("xt", "sum")).reset_index()
        first = g.first().reset_index()
        last = g.last().reset_index()
    else:
        agg = pd.DataFrame({"n_years": [len(yr)], "first_year": [yr[time].min()], "last_year": [yr[time].max()],
                            "x": [yr["x"].sum()], "n": [yr["n"].sum()], "nt": [yr["nt"].sum()],
                            "nt2": [yr["nt2"].sum()], "xt": [yr["xt"].sum()]})
        first, last = yr.iloc[[0]].reset_index(drop=True), yr.iloc[[-1]].reset_index(drop=True)
    pbar = agg["x"] / agg["n"]
    tbar = agg["nt"] / agg["n"]
    sxx = agg["nt2"] - agg["n"] * tbar**2
    tstat = agg["xt"] - agg["x"] * tbar
    with np.errstate(invalid="ignore", divide="ignore"):
        zval = (tstat / np.sqrt(pbar * (1 - pbar) * sxx)).to_numpy(dtype=float)
        slope = (tstat / sxx).to_numpy(dtype=float)
    zval = np.where(agg["n_years"].to_numpy() >= 2, zval, np.nan)
    p = 2 * stats.norm.sf(np.abs(zval))
    out = agg[by_l].copy() if by_l else pd.DataFrame(index=range(1))
    out.insert(0, "indicator", indicator)
    out["n_years"] = agg["n_years"].to_numpy()
    out["first_year"] = agg["first_year"].astype(int).to_numpy()
    out["last_year"] = agg["last_year"].astype(int).to_numpy()
    out["numerator"] = agg["x"].to_numpy()
    out["denominator"] = agg["n"].to_numpy()
    out["estimate_first"] = (first["x"] / first["n"]).to_numpy()
    out["estimate_last"] = (last["x"] / last["n"]).to_numpy()
    out["slope"] = slope
    out["statistic"] = zval
    out["p_value"] = p
    out["q_value"] = bh_qvalues(p)
    out["method"] = "cochran-armitage"
    return out[["indicator", *by_l, *TREND_COLUMNS]].reset_index(drop=True)
