"""The official hand-in tables and the 摘要 (summary) sheet, built from compute() results.

Each official table has one row per layout item, one column per 届别 (the report year and
the year before), the change, and the 数据来源/口径. Cells are exact numbers (or, in a
public release, the disclosed numbers); a row whose input was not supplied says
未提供数据. Hidden columns (names starting with ``_``) carry the indicator id and the
number format for the renderers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .labels import NA, NOT_SUPPLIED, SUPPRESSED, isnan, t
from .layouts import UNIT_SCALE, Item, Layout

__all__ = ["official_tables", "summary_table", "value_column", "FORMAT_OF_UNIT"]

#: Unit of an official row -> number format kind of the renderers.
FORMAT_OF_UNIT: dict[str, str] = {
    "%": "pct", "人": "count", "项": "count", "个": "count", "人日": "count", "学时": "count", "课时": "count",
    "万元": "wan", "元": "money", "元/月": "money", "元/生": "money", "个/生": "ratio", "": "ratio",
}
_UNIT_EN = {"%": "%", "人": "persons", "项": "items", "个": "", "人日": "person-days", "学时": "hours",
            "课时": "hours", "万元": "10k yuan", "元": "yuan", "元/月": "yuan/month", "元/生": "yuan/student",
            "个/生": "per student", "": ""}


def value_column(year: int) -> str:
    """Column id of one 届别 in an official table (the header reads ``2024届``)."""
    return f"value_{year}"


def _label(item: Item, lang: str) -> str:
    unit = item.unit if lang == "zh" else _UNIT_EN.get(item.unit, item.unit)
    name = item.zh if lang == "zh" else item.en
    if not unit:
        return name
    return f"{name}（{unit}）" if lang == "zh" else f"{name} ({unit})"


def _lookup(trend: pd.DataFrame, years: tuple[int, ...], fields: set[str]
            ) -> tuple[dict[tuple[str, int], dict[str, Any]], set[str]]:
    """(indicator, year) -> result row (``status`` and ``fields``) for the table's ``years``; and the ids
    whose input table is missing."""
    dated = trend[trend["grad_year"].isin(years)]  # only these years are looked up: fewer records to build
    keys = zip(dated["indicator"].astype(str), dated["grad_year"].astype(int), strict=True)
    # only the columns a cell reads (_cell: status and an item's field): records of ~30 columns cost more
    used = [c for c in dated.columns if c == "status" or c in fields]
    rows = dict(zip(keys, dated[used].to_dict("records"), strict=True))
    missing = set(trend.loc[trend["status"] == "missing_input", "indicator"].astype(str))
    return rows, missing


def _cell(rec: Mapping[str, Any] | None, field: str, scale: float, lang: str) -> Any:
    """The number of one official cell, or the word saying why there is none."""
    if rec is None:
        return NOT_SUPPLIED[lang]
    status = str(rec.get("status", "reported"))
    if status == "suppressed":
        return SUPPRESSED[lang]
    value = rec.get(field)
    if status == "missing_input" or (isnan(value) and status != "not_applicable"):
        return NOT_SUPPLIED[lang]
    if isnan(value):
        return NA[lang]
    return float(value) * scale


def _change(prev: Any, cur: Any, fmt: str) -> Any:
    if not isinstance(prev, float) or not isinstance(cur, float):
        return ""
    diff = cur - prev
    return diff * 100 if fmt == "pct" else diff  # shares: change in percentage points


def _layout_rows(layout: Layout, rows: Mapping[tuple[str, int], dict[str, Any]], missing: set[str],
                 known: set[str], years: tuple[int, int], lang: str,
                 data_sums: Mapping[tuple[str, str], Mapping[int, float]]) -> list[dict[str, Any]]:
    out = []
    for item in layout.items:  # a dozen rows per table: a dict lookup each, no per-record work
        if item.indicator is not None and item.indicator not in known and item.optional:
            continue
        scale = UNIT_SCALE.get(item.unit, 1.0)
        fmt = FORMAT_OF_UNIT.get(item.unit, "ratio")
        cells: dict[str, Any] = {}
        for y in years:
            if item.indicator is not None and item.indicator in known and item.indicator not in missing:
                cells[value_column(y)] = _cell(rows.get((item.indicator, y)), item.field, scale, lang)
            elif item.table is not None and item.column is not None:
                v = data_sums.get((item.table, item.column), {}).get(y)
                cells[value_column(y)] = NOT_SUPPLIED[lang] if v is None else v * scale
            else:
                cells[value_column(y)] = NOT_SUPPLIED[lang]
        supplied = any(isinstance(v, float) for v in cells.values())
        basis = (item.basis_zh if lang == "zh" else item.basis_en) if supplied or item.indicator or item.table \
            else t(lang, "本数据未包含此项，需学校另行填报", "not in the data; to be filled in by the college")
        out.append({"item": _label(item, lang), **cells,
                    "change": _change(cells[value_column(years[0])], cells[value_column(years[1])], fmt),
                    "basis": basis, "_indicator": item.indicator or "", "_field": item.field, "_fmt": fmt})
    return out


def _feedback_rows(item_trend: pd.DataFrame, years: tuple[int, int], lang: str, kind_zh: str) -> list[dict[str, Any]]:
    if item_trend.empty:
        return []
    out = []
    # the columns a row reads (a panel's slice keeps every college's categories: records of them are slow)
    cols = [c for c in ("survey_item", "grad_year", "estimate", "status", "indicator") if c in item_trend.columns]
    for item, part in item_trend[cols].groupby("survey_item", sort=False):
        rows = {int(r["grad_year"]): r for r in part.to_dict("records") if not isnan(r.get("grad_year"))}
        cells = {value_column(y): _cell(rows.get(y), "estimate", 1.0, lang) for y in years}
        label = str(item) if str(item).endswith("满意度") else f"{item}满意度"
        out.append({"item": t(lang, f"{label}（%）", f"{item}: satisfied (%)"), **cells,
                    "change": _change(cells[value_column(years[0])], cells[value_column(years[1])], "pct"),
                    "basis": t(lang, f"{kind_zh}调查“{item}”题；满意档答卷÷有效答卷（加权方式见说明）",
                               f"survey item '{item}'; satisfied ÷ valid answers (weighting: see About)"),
                    "_indicator": str(part["indicator"].iloc[0]), "_field": "estimate", "_fmt": "pct"})
    return out


def official_tables(trend: pd.DataFrame, item_trend: pd.DataFrame, layouts: Mapping[str, Layout],
                    years: tuple[int, int], lang: str, known: set[str],
                    data_sums: Mapping[tuple[str, str], Mapping[int, float]]) -> dict[str, pd.DataFrame]:
    """Every official table of ``layouts`` as a frame (see the module docstring).

    Parameters
    ----------
    trend : DataFrame
        ``compute()`` by ``grad_year`` (published: exact, or disclosed for a public release).
    item_trend : DataFrame
        The survey satisfaction indicator per questionnaire item (``survey_item`` column).
    layouts : mapping
        Table id -> :class:`~coopmetrics.report.layouts.Layout`.
    years : (previous, report) years
    lang : {"zh", "en"}
    known : set of str
        Indicator ids in the registry.
    data_sums : mapping
        ``(table, column) -> {year: sum}`` for items read straight from a data column.

    Returns
    -------
    dict of str -> DataFrame
        Columns ``item, value_<prev>, value_<year>, change, basis`` and hidden
        ``_indicator, _field, _fmt``. A survey-item layout without items is left out.
    """
    rows, missing = _lookup(trend, years, {it.field for lay in layouts.values() for it in lay.items})
    out: dict[str, pd.DataFrame] = {}
    for key, layout in layouts.items():
        if layout.survey_kind is not None:
            recs = _feedback_rows(item_trend, years, lang, "母校满意度" if layout.survey_kind == "school" else "问卷")
            if not recs:
                continue
        else:
            recs = _layout_rows(layout, rows, missing, known, years, lang, data_sums)
        cols = ["item", *[value_column(y) for y in years], "change", "basis", "_indicator", "_field", "_fmt"]
        out[key] = pd.DataFrame(recs, columns=cols)
    return out


# --------------------------------------------------------------------------------------------------
# 摘要: key figures, last year, change, and a sentence on whether the change is beyond chance
# --------------------------------------------------------------------------------------------------

def _fmt(value: float, unit: str, lang: str) -> str:
    from ..plots import is_share, unit_label

    if is_share(unit):
        return f"{value:.2%}"
    word = unit_label(unit, lang)
    number = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return f"{number} {word}".strip()


def _change_words(change: float, unit: str, lang: str) -> str:
    from ..plots import is_share, unit_label

    if is_share(unit):
        amount = f"{abs(change) * 100:.2f} " + t(lang, "个百分点", "percentage points")
    else:
        amount = (f"{abs(change):,.0f}" if float(change).is_integer() else f"{abs(change):,.2f}") \
            + " " + unit_label(unit, lang)
    if change > 0:
        return t(lang, f"提高 {amount}", f"up {amount}")
    return t(lang, f"降低 {amount}", f"down {amount}")


def _ci_words(lo: float, hi: float, unit: str, lang: str) -> str:
    from ..plots import is_share

    if is_share(unit):
        return t(lang, f"{lo * 100:+.2f} 至 {hi * 100:+.2f} 个百分点", f"{lo * 100:+.2f} to {hi * 100:+.2f} pp")
    return t(lang, f"{lo:+,.2f} 至 {hi:+,.2f}", f"{lo:+,.2f} to {hi:+,.2f}")


def _sentence(rec: Mapping[str, Any], year: int, lang: str) -> tuple[str, str]:
    """(paragraph, beyond-chance word) for one headline indicator."""
    name, unit = str(rec["name"]), str(rec.get("unit", ""))
    cur, prev, change = rec.get("estimate"), rec.get("previous"), rec.get("change")
    if rec.get("status") == "suppressed":
        return t(lang, f"{name}：人数太少，按披露规则不公布。", f"{name}: withheld (too few people)."), "—"
    if isnan(cur):
        return t(lang, f"{name}：未提供数据。", f"{name}: no data supplied."), "—"
    head = t(lang, f"{year}届{name}为 {_fmt(cur, unit, lang)}", f"{name} {year}: {_fmt(cur, unit, lang)}")
    if isnan(prev) or isnan(change):
        return head + t(lang, "；上一年没有可比数据。", "; no figure for the year before."), "—"
    prev_txt = _fmt(prev, unit, lang)
    if change == 0:
        return head + t(lang, f"，与{year - 1}届（{prev_txt}）持平。", f", unchanged from {year - 1} ({prev_txt})."), "—"
    text = head + t(lang, f"，比{year - 1}届（{prev_txt}）{_change_words(change, unit, lang)}",
                    f", {_change_words(change, unit, lang)} on {year - 1} ({prev_txt})")
    lo, hi, q = rec.get("change_ci_low"), rec.get("change_ci_high"), rec.get("q_value")
    if isnan(lo) or isnan(hi):
        return text + t(lang, "。这是全部记录的计数或合计，不涉及抽样误差，变化即实际变化。",
                        ". This counts every record, so there is no sampling error: the change is real."), "—"
    beyond = (lo > 0 or hi < 0) and not isnan(q) and float(q) < 0.05
    q_txt = "" if isnan(q) else f"，q={float(q):.3f}" if lang == "zh" else f", q={float(q):.3f}"
    text += t(lang, f"（95%置信区间 {_ci_words(lo, hi, unit, lang)}{q_txt}）。",
              f" (95% CI {_ci_words(lo, hi, unit, lang)}{q_txt}).")
    if beyond:
        text += t(lang, f"这一变化超出随机波动范围，可以认为确有{'提高' if change > 0 else '下降'}。",
                  f" The change is beyond chance: a real {'rise' if change > 0 else 'fall'}.")
    elif lo > 0 or hi < 0:  # the interval alone excludes 0, but not after the multiple-comparison correction
        text += t(lang, "单看95%置信区间不含0，但同时比较多个指标、经多重比较校正后（q≥0.05）仍不能排除随机波动，"
                        "不能据此认为确有变化。",
                  " The 95% CI alone excludes zero, but with many indicators compared at once (q >= 0.05) "
                  "chance cannot be ruled out: no real change can be claimed.")
    else:
        text += t(lang, "这一变化在随机波动范围之内，不能据此认为确有变化。",
                  " The change is within chance variation: no real change can be claimed.")
    return text, t(lang, "是" if beyond else "否", "yes" if beyond else "no")


def summary_table(raw_trend: pd.DataFrame, trend: pd.DataFrame, headline: Iterable[str], year: int,
                  lang: str, disclosed: bool, yoy: pd.DataFrame | None = None) -> pd.DataFrame:
    """摘要: one row per headline indicator with last year's value, the change and a sentence.

    The change, its 95% CI and the BH q-value come from :func:`coopmetrics.targets.year_over_year`
    on the exact figures; a public release shows the disclosed values and withholds a change
    whose either year is withheld.

    ``yoy``, when given, is that ``year_over_year`` result already computed (the report's
    年度变化 sheet uses the same one).

    Returns
    -------
    DataFrame
        ``item, previous, estimate, change, change_ci, q_value, significance, summary_text``
        and hidden ``_indicator, _fmt``.
    """
    from ..plots import is_share
    from ..targets import year_over_year

    ids = [i for i in headline if i in set(trend["indicator"])]
    name_col = "name_zh" if lang == "zh" else "name_en"
    # every indicator, as on the 年度变化 sheet: the BH q-values correct over the same family of changes
    if yoy is None:
        two = raw_trend[raw_trend["grad_year"].isin([year - 1, year])]
        yoy = year_over_year(two.drop(columns=["meets_target"], errors="ignore")) if len(two) else pd.DataFrame()
    yoy = yoy[yoy["grad_year"] == year].set_index("indicator") if len(yoy) else pd.DataFrame()
    pub = trend[trend["indicator"].isin(ids) & trend["grad_year"].isin([year - 1, year])]
    pub = pub.set_index(["indicator", "grad_year"])
    rows = []
    for ind in ids:  # eight headline rows
        cur = pub.loc[(ind, year)] if (ind, year) in pub.index else None
        prev = pub.loc[(ind, year - 1)] if (ind, year - 1) in pub.index else None
        unit = str(trend.loc[trend["indicator"] == ind, "unit"].iloc[0])
        name = str(trend.loc[trend["indicator"] == ind, name_col].iloc[0])
        status = "reported" if cur is None else str(cur["status"])
        withheld = status == "suppressed" or (prev is not None and str(prev["status"]) == "suppressed")
        y = yoy.loc[ind] if ind in yoy.index and not withheld else None
        rec = {"name": name, "unit": unit, "status": "suppressed" if withheld else status,
               "estimate": np.nan if cur is None else cur["estimate"],
               "previous": np.nan if prev is None else prev["estimate"],
               "change": np.nan if y is None else y["change"],
               "change_ci_low": np.nan if y is None else y["ci_low"],
               "change_ci_high": np.nan if y is None else y["ci_high"],
               "q_value": np.nan if y is None else y["q_value"]}
        if disclosed and not withheld and not isnan(rec["change"]):
            # a public release shows rounded counts: the change is that of the published figures
            rec["change"] = float(rec["estimate"]) - float(rec["previous"])
        text, sig = _sentence(rec, year, lang)
        share = is_share(unit)
        ci = "" if isnan(rec["change_ci_low"]) else _ci_words(rec["change_ci_low"], rec["change_ci_high"], unit, lang)
        fmt = "pct" if share else ("count" if unit in ("persons", "enterprises") else "money")
        rows.append({"item": name + (f"（{_unit_zh(unit, lang)}）" if lang == "zh" else f" ({_unit_zh(unit, lang)})"),
                     "previous": _num(rec["previous"], withheld, lang),
                     "estimate": _num(rec["estimate"], withheld, lang),
                     "change": "" if isnan(rec["change"]) else float(rec["change"]) * (100 if share else 1),
                     "change_ci": ci, "q_value": rec["q_value"], "significance": sig, "summary_text": text,
                     "_indicator": ind, "_fmt": fmt})
    return pd.DataFrame(rows, columns=["item", "previous", "estimate", "change", "change_ci", "q_value",
                                       "significance", "summary_text", "_indicator", "_fmt"])


def _unit_zh(unit: str, lang: str) -> str:
    from ..plots import unit_label

    return unit_label(unit, lang)


def _num(value: Any, withheld: bool, lang: str) -> Any:
    if withheld:
        return SUPPRESSED[lang]
    if isnan(value):
        return NOT_SUPPLIED[lang]
    v = float(value)
    return v if math.isfinite(v) else NA[lang]
