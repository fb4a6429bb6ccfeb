"""The computed inputs of a yearly report (indicators, breakdown, survey items, cohorts), no tables.

A :class:`Bundle` holds every engine result a report needs. The single-college report
computes it for its one college; the provincial report (:mod:`coopmetrics.report.panel`)
computes it ONCE for every college with ``college`` as an extra group column and
:meth:`Bundle.slice` cuts out one college's rows, which then go through the same
table-building code. Both routes use the functions of this module, so a college's
numbers are the same whichever route built its workbook.

Examples
--------
>>> import coopmetrics as cm
>>> b = compute_indicators(cm.sample.load_sample(), 2024, "department")   # doctest: +SKIP
>>> sorted(b)                                                              # doctest: +SKIP
['groups', 'item_trend', 'trend']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from ..dataset import Dataset
from ..errors import CoopmetricsError

__all__ = ["Bundle", "compute_indicators", "compute_cohorts", "year_slice", "COHORT_COVARIATES"]

#: Colleges per adjusted ``compare()`` call on a panel (its unit rows are held in memory).
ADJUSTED_CHUNK = 25

#: Pre-treatment covariates of program choice used by the adjusted cohort comparisons.
COHORT_COVARIATES = ("entry_score", "gender", "admission")


@dataclass(frozen=True)
class Bundle:
    """Engine results of one report (or, with ``split``, of every college of a panel).

    Attributes
    ----------
    trend : DataFrame
        ``compute(ids, by=(split?, "grad_year"))``: every indicator, every year.
    groups : DataFrame
        ``compute(ids, by=(split?, "grad_year", by))`` on the report year's rows.
    item_trend : DataFrame
        The feedback questionnaire's satisfaction per item (column ``survey_item``).
    cohorts : DataFrame or None
        Raw ``compare()`` rows of every cohort indicator (``_call`` numbers the call;
        ``q_value`` is Benjamini–Hochberg within a call and college); None when skipped.
    cohort_adjust : tuple of str (dict college -> tuple with ``split``)
        Covariates of the adjusted comparisons.
    cohort_errors : tuple of (indicator, zh, en, colleges)
        Comparisons that failed and why (``colleges``: the call's colleges, None for all).
    cohort_skipped : bool (set of colleges compared, with ``split``)
        True when the graduates have no program column or no regular class.
    split : str or None
        Column naming the college when the bundle holds several.
    """

    trend: pd.DataFrame
    groups: pd.DataFrame
    item_trend: pd.DataFrame
    cohorts: pd.DataFrame | None = None
    cohort_adjust: Any = ()
    cohort_errors: tuple[tuple[str, str, str, Any], ...] = ()
    cohort_skipped: Any = False
    split: str | None = None
    college: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def slice(self, college: str) -> Bundle:
        """One college's rows, without the split column (what a single-college run computes).

        Rows with a missing college and status ``missing_input`` (an indicator whose input
        table is absent altogether) belong to every college.
        """
        if self.split is None:
            return self
        col = self.split

        def cut(frame: pd.DataFrame) -> pd.DataFrame:
            if frame is None or not len(frame) or col not in frame.columns:
                return frame
            key = frame[col]
            keep = (key.astype("string") == str(college)).fillna(False).to_numpy(bool)
            if "status" in frame.columns:
                keep |= (key.isna() & (frame["status"] == "missing_input")).to_numpy(bool)
            return frame.loc[keep].drop(columns=col).reset_index(drop=True)

        return self._cut(college, cut)

    def slices(self) -> Callable[[str], Bundle]:
        """``slice`` for many colleges: each frame is grouped by college once, not compared with
        every college's name (a panel's trend and breakdown have ~10⁵ rows; 100 colleges).

        Returns a function ``college -> Bundle`` whose bundles equal :meth:`slice`'s.
        """
        if self.split is None:
            return lambda college: self
        col = self.split
        rows: dict[int, tuple[dict[str, np.ndarray], np.ndarray]] = {}
        for frame in (self.trend, self.groups, self.item_trend, self.cohorts):
            if frame is None or not len(frame) or col not in frame.columns:
                continue
            key = frame[col]
            codes, names = pd.factorize(key.astype("string"))  # missing -> -1
            order = np.argsort(codes, kind="stable")
            bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
            own = {str(n): order[bounds[k]:bounds[k + 1]] for k, n in enumerate(names)}
            shared = np.zeros(len(frame), dtype=bool)
            if "status" in frame.columns:
                shared = (key.isna() & (frame["status"] == "missing_input")).to_numpy(bool)
            rows[id(frame)] = (own, np.flatnonzero(shared))

        def one(college: str) -> Bundle:
            def cut(frame: pd.DataFrame) -> pd.DataFrame:
                if frame is None or not len(frame) or col not in frame.columns:
                    return frame
                own, shared = rows[id(frame)]
                take = np.union1d(own.get(str(college), shared[:0]), shared)  # sorted: the frame's order
                return frame.take(take).drop(columns=col).reset_index(drop=True)

            return self._cut(college, cut)

        return one

    def _cut(self, college: str, cut: Callable[[pd.DataFrame], pd.DataFrame]) -> Bundle:
        """The bundle of ``college`` with every frame passed through ``cut``."""
        coh = self.cohorts
        if coh is not None:
            coh = cut(coh)
        key = str(college)
        skipped = key not in self.cohort_skipped
        if skipped or coh is None or not len(coh):
            coh = None
        return replace(self, trend=cut(self.trend), groups=cut(self.groups), item_trend=cut(self.item_trend),
                       cohorts=coh, cohort_adjust=tuple(self.cohort_adjust.get(key, ())),
                       cohort_errors=tuple(e for e in self.cohort_errors if e[3] is None or key in e[3]),
                       cohort_skipped=skipped, split=None, college=key)


def year_slice(data: Dataset, year: int) -> Dataset:
    """The dataset restricted to one year (each table by its own year column; lazy tables stay lazy)."""
    import narwhals.stable.v1 as nw

    tables = {}
    for name in data.tables:
        frame = data[name]
        col = "grad_year" if name == "graduates" else "year"
        if isinstance(frame, pd.DataFrame):
            if col in frame.columns:
                frame = frame[frame[col] == year]
        else:
            nf = nw.from_native(frame)
            if col in nf.columns:
                frame = nf.filter(nw.col(col) == year).to_native()
        tables[name] = frame
    return data.replace(**tables)


def compute_indicators(data: Dataset, year: int, by: str, ids: Sequence[str], *, options: Any = None,
                       survey_kind: str | None = None, split: str | None = None) -> dict[str, pd.DataFrame]:
    """Indicators by year, the report year's breakdown and the survey-item rows.

    Parameters
    ----------
    data : Dataset
    year : int
        Report year (the breakdown is computed on that year's rows alone).
    by : str
        Breakdown column (``department`` or ``major``).
    ids : sequence of str
        Indicator ids, in registry order.
    options : Options, optional
    survey_kind : str, optional
        Questionnaire of the 学生反馈表 (its satisfaction indicator is computed per item).
    split : str, optional
        Extra leading group column (``college`` on a panel).

    Returns
    -------
    dict with ``trend``, ``groups`` and ``item_trend`` frames (raw ``compute()`` rows).
    """
    from ..compute import compute

    kw: dict[str, Any] = {"options": options} if options is not None else {}
    lead = (split,) if split else ()
    trend = compute(data, list(ids), by=(*lead, "grad_year"), **kw)
    # the breakdown is only reported for the report year: compute it on that year's rows alone
    groups = compute(year_slice(data, year), list(ids), by=(*lead, "grad_year", by), **kw)
    groups = groups[groups["grad_year"] == year]
    items = _survey_items(data, ids, options, survey_kind, lead, trend=trend)
    return {"trend": trend, "groups": groups, "item_trend": items}


def survey_items_of(data: Dataset, kind: str | None) -> list[str]:
    """The questionnaire items of ``kind`` present in the survey table (first-seen order)."""
    import narwhals.stable.v1 as nw

    from ..engines import collect

    survey = data.get("survey")
    if kind is None or survey is None:
        return []
    if isinstance(survey, pd.DataFrame):
        return survey.loc[survey["survey_kind"] == kind, "item"].dropna().unique().tolist()
    # the items in the order the questionnaire lists them (first seen; DuckDB keeps a scan's order):
    # the 学生反馈表 rows follow it
    part = nw.from_native(survey).filter(nw.col("survey_kind") == kind).select("item").to_native()
    return collect(part)["item"].dropna().unique().tolist()


def reads_option(ind_id: str, option: str) -> bool:
    """Whether an indicator's definition reads ``option`` (its own list or any of its filters' ops).

    An indicator that does not read an option gives the same rows whatever its value, so a
    result computed once can stand for every value (used for the per-item survey rows).
    """
    from ..definitions.ops import FILTER_OPS
    from ..registry import get_indicator

    ind = get_indicator(ind_id)
    if option in ind.options_used:
        return True
    filters = [f for m in ind.measures() for f in (*m.where, *(g for _, fs in m.terms for g in fs))]
    # an op this module does not know is taken to read the option (the safe answer)
    return any(f.op not in FILTER_OPS or option in FILTER_OPS[f.op].options for f in filters)


def _survey_items(data: Dataset, ids: Sequence[str], options: Any, kind: str | None,
                  lead: tuple[str, ...], trend: pd.DataFrame | None = None,
                  indicator: str | None = None) -> pd.DataFrame:
    """学生反馈表 inputs: the satisfaction indicator computed on each survey item alone.

    What ``compute(data, [indicator], options=Options(survey_items={kind: (item,)}))`` gives
    for each item, with a ``survey_item`` column, in two cheaper ways:

    * ``trend`` (this call's ``compute(ids, by=(*lead, "grad_year"))``) stands for every item
      when the indicator's definition does not read ``Options.survey_items`` (the registry's
      ``<kind>_satisfaction`` reads the overall question only and ignores them);
    * a definition restricting its answers to ``survey_items`` through ``valid_response`` (the
      item pool ``<kind>_satisfaction_items``) is computed for every item in one ``compute()``
      call of one copy of the indicator per item (its filters plus ``item == <item>``; each copy
      is raked on its own respondents, as a call of its own would be). Numbers, status and
      notes are those of the per-item calls; ``edition`` names no item. Any other definition
      reading ``survey_items``: one call per item.

    ``indicator`` defaults to ``<kind>_satisfaction_items`` (the item pool: on one item alone, that
    item's share of satisfied answers; ``<kind>_satisfaction`` reads the overall question only and
    would give every item the same figure).
    """
    from ..compute import compute
    from ..registry import Options

    ind = indicator or f"{kind}_satisfaction_items"
    if kind is None or ind not in set(ids) or data.get("survey") is None:
        return pd.DataFrame()
    items = survey_items_of(data, kind)
    if not items:
        return pd.DataFrame()
    if not reads_option(ind, "survey_items"):  # the same rows whatever the items: computed once
        if trend is None:
            kw: dict[str, Any] = {"options": options} if options is not None else {}
            trend = compute(data, [ind], by=(*lead, "grad_year"), **kw)
        rows = trend[(trend["indicator"] == ind).to_numpy(bool)].reset_index(drop=True)
        return pd.concat([rows.assign(survey_item=str(item)) for item in items], ignore_index=True)
    if _items_by_filter(ind, kind):
        return _items_in_one_call(data, ind, kind, [str(i) for i in items], options, lead)
    opts0 = Options() if options is None else options
    frames = []
    for item in items:  # a definition reading survey_items some other way: one compute() per item
        opts = replace(opts0, survey_items={**dict(opts0.survey_items), kind: (str(item),)})
        res = compute(data, [ind], by=(*lead, "grad_year"), options=opts)
        frames.append(res.assign(survey_item=str(item)))
    return pd.concat(frames, ignore_index=True)


def _items_by_filter(ind_id: str, kind: str) -> bool:
    """Whether ``survey_items`` enters ``ind_id`` only as ``valid_response`` of ``kind`` (whose
    restriction is ``item in survey_items[kind]``), so that an ``item == x`` filter with every
    item allowed is the same as ``survey_items={kind: (x,)}``."""
    from ..definitions.ops import FILTER_OPS
    from ..registry import get_indicator

    ind = get_indicator(ind_id)
    readers = [f for m in ind.measures() for f in (*m.where, *(g for _, fs in m.terms for g in fs))
               if f.op not in FILTER_OPS or "survey_items" in FILTER_OPS[f.op].options]
    return bool(readers) and all(f.op == "valid_response" and f.value == kind for f in readers)


def _items_in_one_call(data: Dataset, ind: str, kind: str, items: list[str], options: Any,
                       lead: tuple[str, ...]) -> pd.DataFrame:
    """``ind`` on each questionnaire item alone, as one ``compute()`` call (see :func:`_survey_items`)."""
    from ..compute import compute
    from ..definitions.records import Filter
    from ..registry import Options, get_indicator

    base = get_indicator(ind)
    copies = []
    for k, item in enumerate(items):  # a handful of items: one Indicator record each, not one pass each
        only = Filter("item", "eq", item)
        copies.append(replace(base, id=f"{base.id}__item{k}",
                              numerator=replace(base.numerator, where=(*base.numerator.where, only)),
                              denominator=replace(base.denominator, where=(*base.denominator.where, only))))
    opts0 = Options() if options is None else options
    # every item of the questionnaire (a user's survey_items would otherwise hide the other items)
    opts = replace(opts0, survey_items={**dict(opts0.survey_items), kind: None})
    res = compute(data, copies, by=(*lead, "grad_year"), options=opts)
    which = {c.id: item for c, item in zip(copies, items, strict=True)}
    code = res["indicator"].astype(str)
    return res.assign(indicator=ind, survey_item=code.map(which).to_numpy())


def cohort_plan(data: Dataset, split: str | None = None) -> pd.DataFrame:
    """Per college (or for the one college): can cohorts be compared, and with which covariates.

    One small engine group-by over the graduates (programs per college, non-missing covariate
    counts). Columns: ``split`` (when given), ``ok`` (a regular class and another program)
    and ``adjust`` (tuple of covariates with any value).
    """
    import narwhals.stable.v1 as nw

    from ..engines import collect

    g = data["graduates"]
    nf = nw.from_native(g) if not isinstance(g, pd.DataFrame) else nw.from_native(g, eager_only=True).lazy()
    lead = [split] if split else []
    if "program" not in nf.columns:
        keys = collect(distinct(nf, *lead)) if lead else pd.DataFrame(index=[0])
        return keys.assign(ok=False, adjust=[()] * len(keys))
    covs = [c for c in COHORT_COVARIATES if c in nf.columns]
    aggs = [nw.col("program").count().alias("__n_prog"), *[nw.col(c).count().alias(c) for c in covs]]
    counts = collect(nf.group_by(*lead, "program").agg(*aggs).to_native())
    lead_cols = lead or ["__all"]
    if not lead:
        counts = counts.assign(__all=0)
    counts["__regular"] = (counts["program"].astype("string") == "regular").fillna(False)
    grp = counts.groupby(lead_cols, sort=True, dropna=False)
    plan = grp["program"].nunique().rename("__levels").to_frame()  # nunique ignores a missing program
    plan["__regular"] = grp["__regular"].any()
    for c in covs:  # a covariate is used when it has any value in the college (any program)
        plan[c] = grp[c].sum() > 0
    plan["ok"] = (plan["__levels"] >= 2) & plan["__regular"]
    flags = plan[covs].to_numpy(bool) if covs else np.zeros((len(plan), 0), bool)
    plan["adjust"] = [tuple(c for c, f in zip(covs, row, strict=True) if f) for row in flags]
    plan = plan.reset_index()[[*lead_cols, "ok", "adjust"]]
    return plan.drop(columns="__all") if not lead else plan


def _kind(ind: str) -> str:
    from ..registry import get_indicator

    return str(get_indicator(ind).kind)


def _rows_in(rows: Any, col: str, values: list[str]) -> Any:
    """Rows whose ``col`` is one of ``values`` (pandas, or a lazy filter pushed to the engine)."""
    import narwhals.stable.v1 as nw

    if isinstance(rows, pd.DataFrame):
        return rows[rows[col].astype("string").isin(values).fillna(False).to_numpy(bool)]
    return nw.from_native(rows).filter(nw.col(col).cast(nw.String).is_in(values)).to_native()


def _comparison_table(res: Any) -> pd.DataFrame:
    """The tidy table of a ``compare()`` result (``.table``, or the DataFrame itself in older versions)."""
    table = getattr(res, "table", None)
    return table if isinstance(table, pd.DataFrame) else res


def compute_cohorts(data: Dataset, year: int, ids: Sequence[str], *, options: Any = None,
                    split: str | None = None, plan: pd.DataFrame | None = None) -> dict[str, Any]:
    """Cohort comparisons of the report year: each cohort indicator raw and adjusted.

    One ``compare()`` call per indicator and covariate set (with ``by=[split]`` on a panel:
    every college in the same call); q-values are then recomputed within each call and
    college, as a single-college call computes them.

    Returns
    -------
    dict with ``cohorts`` (DataFrame or None), ``adjust`` (per-college tuples when split) and
    ``errors`` (tuple of (indicator, zh, en, colleges or None)) and ``skipped`` (True when the
    graduates have no program column or regular class; with ``split`` the set of colleges compared).
    """
    import narwhals.stable.v1 as nw

    from ..compare import compare
    from ..compare_base import same_draws_per_group
    from ..contrasts import bh_qvalues

    plan = cohort_plan(data, split) if plan is None else plan
    plan = plan[plan["ok"]]
    if not len(plan):
        return {"cohorts": None, "adjust": {} if split else (), "errors": (),
                "skipped": frozenset() if split else True}
    g = data["graduates"]
    if isinstance(g, pd.DataFrame):
        this_g = g[g["grad_year"] == year]
    else:
        this_g = nw.from_native(g).filter(nw.col("grad_year") == year).to_native()
    frames, errors = [], []
    call = 0
    boot = {i for i in ids if _kind(i) == "median"}  # row bootstrap: one stream per call
    for adjust, colleges in plan.groupby("adjust", sort=False):  # one set of covariates, usually
        rows = this_g
        if split:
            keep = [str(c) for c in colleges[split]]
            rows = (rows[rows[split].astype(str).isin(keep)] if isinstance(rows, pd.DataFrame) else
                    nw.from_native(rows).filter(nw.col(split).is_in(keep)).to_native())
        # every indicator's raw comparison from one compare() call (one compute() pass over the group
        # totals instead of one per indicator), split into the per-indicator calls; on a panel with
        # by=[split] (medians excepted: their row bootstrap runs per college, below)
        raw = _raw_comparisons(data.replace(graduates=rows), [i for i in ids if not (split and i in boot)],
                               options, split=split)
        for ind in ids:
            for adj in ([None, list(adjust)] if adjust else [None]):
                if raw is not None and adj is None and ind in raw:
                    frames.append(raw[ind].assign(_call=call))
                    call += 1
                    continue
                kw: dict[str, Any] = {"cohort": "program", "reference": "regular", "adjust": adj}
                if options is not None:
                    kw["options"] = options
                names = [str(c) for c in colleges[split]] if split else []
                if split and adj is None and ind in boot:
                    # a bootstrap CI draws one random stream for all cells of a call: run it per college
                    # so that a college's interval is the one its own report draws
                    calls = [(_rows_in(rows, split, [c]), [c], {split: c}) for c in names]
                elif split:
                    kw["by"] = [split]
                    # adjusted fits hold the cohort's unit rows: a few dozen colleges per call bound memory
                    size = ADJUSTED_CHUNK if adj else len(names)
                    calls = [(_rows_in(rows, split, names[i:i + size]) if size < len(names) else rows,
                              names[i:i + size], {}) for i in range(0, len(names), size)]
                else:
                    calls = [(rows, None, {})]
                for rows_c, who, extra in calls:
                    try:
                        with same_draws_per_group():  # a college's mean bootstrap = its own call's
                            res = compare(data.replace(graduates=rows_c), ind, **kw)
                    except CoopmetricsError as exc:
                        errors.append((ind, exc.message_zh, exc.message_en, None if who is None else frozenset(who)))
                        continue
                    frames.append(_comparison_table(res).assign(_call=call, **extra))
                call += 1
    adjust_of = (dict(zip(plan[split].astype(str), plan["adjust"], strict=True)) if split
                 else tuple(plan["adjust"].iloc[0]))
    compared = frozenset(adjust_of) if split else False
    if not frames:
        return {"cohorts": None, "adjust": adjust_of, "errors": tuple(errors), "skipped": compared}
    res = pd.concat(frames, ignore_index=True)
    if split and "p_value" in res.columns:  # BH within one call and one college, as a single-college call
        fam = res["_call"].astype(str) + "|" + res[split].astype(str)
        res["q_value"] = bh_qvalues(res["p_value"].to_numpy(float), groups=fam.to_numpy())
    return {"cohorts": res, "adjust": adjust_of, "errors": tuple(errors), "skipped": compared}


def _raw_comparisons(data: Dataset, ids: Sequence[str], options: Any,
                     split: str | None = None) -> dict[str, pd.DataFrame] | None:
    """Unadjusted cohort comparisons of every indicator of ``ids`` from one ``compare()`` call.

    Each indicator's rows are those of ``compare(data, ind)`` called alone: the stacked call
    computes every indicator's table separately (a mean's bootstrap with the same seed) and
    only its q-values span the call, so they are recomputed per indicator (Benjamini–Hochberg
    within one indicator's rows, as a single call computes them). With ``split`` (a panel) the
    call is ``by=[split]`` inside :func:`~coopmetrics.compare_base.same_draws_per_group`, as
    the per-indicator panel calls are (the caller recomputes q-values per call and college).
    None when the stacked call fails: the caller then calls per indicator and records which
    one failed and why.
    """
    from ..compare import compare
    from ..compare_base import same_draws_per_group
    from ..contrasts import bh_qvalues

    if not ids:
        return None
    kw: dict[str, Any] = {"cohort": "program", "reference": "regular"}
    if options is not None:
        kw["options"] = options
    try:
        if split:
            with same_draws_per_group():  # a college's mean bootstrap = its own call's
                table = _comparison_table(compare(data, list(ids), by=[split], **kw))
        else:
            table = _comparison_table(compare(data, list(ids), **kw))
    except CoopmetricsError:
        return None
    out = {}
    for ind in ids:  # a handful of indicators
        part = table[(table["indicator"].astype(str) == ind).to_numpy(bool)].reset_index(drop=True)
        if not len(part):
            return None
        out[ind] = part.assign(q_value=bh_qvalues(part["p_value"].to_numpy(dtype=float)))
    return out


def distinct(nf: Any, *cols: str) -> Any:
    """The distinct non-missing combinations of ``cols`` of a lazy narwhals frame (native, not collected).

    A group-by rather than ``unique()``, which not every lazy backend supports.
    """
    import narwhals.stable.v1 as nw

    return nf.drop_nulls(list(cols)).group_by(*cols).agg(nw.len().alias("__n")).select(*cols).to_native()
