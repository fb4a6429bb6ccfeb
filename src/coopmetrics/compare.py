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

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .adjust import compact_text, expand_cells, fit_cells
from .compare_base import (
    BOOTSTRAP_EXACT_MAX,
    KINDS,
    _as_list,
    _bootstrap_from_counts,
    _check_level,
    _flag_count,
    _kind_of,
    _mean_column,
    _need,
    _unit_values,
)
from .compare_closed import (
    _F_NOCOH,
    _F_NOREF,
    _F_SMALL,
    _SMALL_N,
    _join_flags,
    _proportion_stats,
    _unadjusted,
)
from .compare_result import Comparison
from .contrasts import (
    bh_qvalues,
    hedges_correction,
    welch_diff,
)
from .errors import InvalidOptionError, check_option
from .funnel_trend import (
    FUNNEL_COLUMNS,
    TREND_COLUMNS,
    funnel,
    funnel_limits,
    funnel_values,
    trend_test,
    trend_test_values,
)
from .ordinal import (
    brunner_munzel_counts,
    mann_whitney_counts,
)

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
    "funnel_values",
    "trend_test",
    "trend_test_values",
    "brunner_munzel_counts",
    "mann_whitney_counts",
    "KINDS",
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
_METHODS = ("auto", "chi2", "fisher", "brunner-munzel", "mann-whitney", "welch", "aipw", "ra", "ipw")


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
    bootstrap_exact_max: int | str | None = BOOTSTRAP_EXACT_MAX,
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
    bootstrap_exact_max : "auto", int or None
        Means only. Arms (cohort or reference group of a comparison) of at most this
        many units get the exact Poisson bootstrap; larger unweighted arms draw their
        replicate means from a Cornish–Fisher-corrected normal law built from their
        moments (one engine group-by), with a flag naming the arms and a Berry–Esseen
        bound on the error (docs/statistics.md). ``None``: exact everywhere (slow at
        millions of rows). Default ``"auto"``: judged per ``by`` group, exact for the
        arms of a group of at most 1,000,000 units, else 30 (a provincial panel compared
        as one group), so that a group's rows are those of a call on its rows alone.

    Notes
    -----
    Two routes give the same rows and numbers. Unadjusted comparisons of unweighted
    proportion and mean indicators run on group totals: one :func:`coopmetrics.compute`
    pass by ``by + [cohort]``, which the DuckDB/Polars/Dask engines push down so only
    aggregated rows reach pandas, then the closed-form contrasts of
    :mod:`coopmetrics.contrasts` on the integer counts (Welch t for means). A mean's
    bootstrap interval resamples the engine's counts of each distinct value per group
    (Poisson weights per cell; :func:`coopmetrics.compute_units.mean_value_counts`),
    never replicates × rows; arms larger than ``bootstrap_exact_max`` send only their
    power sums and draw from their Cornish–Fisher normal law (flagged). Everything else (adjustment, ordinal tests, survey weights,
    clustered answers, medians) needs unit values (:func:`coopmetrics.unit_values`).

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
    for ind_id, tab in totals.items():  # means: bootstrap CI from engine-side distinct-value counts
        if tab is not None and on_totals[ind_id] == "mean" and n_boot > 0:
            totals[ind_id] = _bootstrap_from_counts(
                data, tab, kinds[ind_id][1], cohort=cohort, by=by_l, ci_level=ci_level, n_boot=n_boot,
                seed=seed, options=options, exact_max=bootstrap_exact_max)
    parts: list[Comparison] = []
    for ind_id in ids:  # one vectorised call per indicator (each has its own unit values)
        kind, _ind = kinds[ind_id]
        if totals.get(ind_id) is not None:  # None: compute() could not group so; the unit route says why
            parts.append(Comparison(totals[ind_id]))
            continue
        # survey indicators have one row per answer: answers of a respondent form a cluster
        cluster = "respondent_id" if kind == "likert" else None
        extra = [cluster] if cluster else []
        shown: dict[str, Any] = {}
        if adj_l:  # text fetched as categories (10M rows: ~1 GiB less; the by columns coded, not hashed)
            coded = [cohort, *by_l, *adj_l]
            values = compact_text(_unit_values(data, ind_id, [cohort, *by_l, *adj_l, *extra], options,
                                               categories=coded), coded)
            shown = _sorted_categories(values, by_l)
        else:
            values = _unit_values(data, ind_id, [cohort, *by_l, *adj_l, *extra], options)
        part = compare_values(
            values, kind, indicator=ind_id, cohort=cohort, reference=reference, by=by_l,
            adjust=adj_l or None, method=method, ci_level=ci_level, estimand=estimand,
            n_boot=n_boot, seed=seed, cluster=cluster, bootstrap_exact_max=bootstrap_exact_max,
        )
        parts.append(Comparison(*(_as_text(f, shown) for f in (part.table, part.balance)), part.settings)
                     if shown else part)
    settings = dict(cohort=cohort, reference=reference, by=by_l, adjust=adj_l, method=method,
                    estimand=estimand, ci_level=ci_level)
    if len(parts) == 1:
        return Comparison(parts[0].table, parts[0].balance, settings)
    out = pd.concat([p.table for p in parts], ignore_index=True)
    out["q_value"] = bh_qvalues(out["p_value"].to_numpy(dtype=float))  # BH over every row of the call
    bals = [p.balance for p in parts if p.balance is not None]
    return Comparison(out, pd.concat(bals, ignore_index=True) if bals else None, settings)


def _sorted_categories(values: pd.DataFrame, by: list[str]) -> dict[str, Any]:
    """The ``by`` columns fetched as categories, their categories put in text order (in place).

    The pairs of a comparison are sorted by their ``by`` values as text; with sorted
    categories the codes sort the same way. Returns each such column's text dtype (to
    show the values as text again, :func:`_as_text`).
    """
    shown = {}
    for c in dict.fromkeys(by):
        col = values[c]
        if isinstance(col.dtype, pd.CategoricalDtype):
            cats = col.cat.categories
            if not cats.is_monotonic_increasing:  # (DuckDB's are sorted already: no recoding)
                values[c] = col.cat.reorder_categories(cats.sort_values())
            shown[c] = cats.dtype
    return shown


def _as_text(frame: pd.DataFrame | None, shown: dict[str, Any]) -> pd.DataFrame | None:
    """The ``by`` columns of a result frame back in their text dtype (as a plain fetch gives them)."""
    if frame is None:
        return None
    for c, dtype in shown.items():
        if c in frame.columns and isinstance(frame[c].dtype, pd.CategoricalDtype):
            frame[c] = frame[c].astype(dtype)
    return frame


def _totals_apply(ind: Any, kind: str, adj_l: list[str], method: str, n_boot: int, cohort: str,
                  by_l: list[str]) -> bool:
    """Can this comparison run on group totals (no unit-level method needed)?"""
    if adj_l or cohort in by_l or len(set(by_l)) != len(by_l):
        return False
    raw = str(getattr(ind, "kind", "")).lower()
    if raw == "proportion":  # registry proportions are unweighted (weights only on survey shares)
        return method in ("auto", "chi2", "fisher")
    if raw == "mean":  # Welch t from n, mean and variance; the bootstrap from distinct-value counts
        col = _mean_column(ind)
        return method in ("auto", "welch") and (n_boot <= 0 or (col is not None and col not in (cohort, *by_l)))
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
    messages = set(res.loc[res["note"].astype(str) != "", "indicator"].astype(str))  # not computable as asked
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
    bootstrap_exact_max: int | str | None = BOOTSTRAP_EXACT_MAX,
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
    cohort, reference, by, adjust, method, ci_level, estimand, n_boot, seed, bootstrap_exact_max
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

    if adj_l:  # reference rows are not repeated per cohort level: memory stays ~ the units
        frame, pairs, notes, cells = expand_cells(values, cohort, reference, by_l, adj_l, cluster)
        res, bal = fit_cells(frame, cells, pairs, kind, adj_l, method, estimand, z, COMPARE_COLUMNS,
                             BALANCE_COLUMNS)
    else:
        long, pairs, notes = _expand_pairs(values, kind, cohort, reference, by_l, adj_l, cluster)
        res = _unadjusted(long, pairs, kind, method, ci_level, z, n_boot, seed, bootstrap_exact_max)
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
