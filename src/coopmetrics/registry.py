"""The indicator registry: every indicator declared as data, in one place.

An :class:`Indicator` is a frozen record: id, Chinese and English name, unit,
kind, the table it is computed from, a numerator and a denominator
(:class:`Measure`), direction, official target, definition edition, source
citation with its evidence grade. Filters are small data records
(:class:`Filter`), never lambdas, so the registry can be listed, validated,
described in words and translated to any dataframe engine by
:mod:`coopmetrics.compute`.

Definition choices that differ between Ministry editions, survey vendors and
schools are collected in :class:`Options` and echoed in the ``edition`` column
of every result, so the choice is visible. What each option means is data too:
:data:`OPTION_INFO` holds one :class:`OptionInfo` per field (names, evidence
grade, source, listed choices with their grades, CLI switch), which the report's
说明 sheet reads and :func:`validate_registry` checks.

Evidence grades follow ``shared/reference/definitions-cn.md``: ``V`` verified
in a primary source, ``V-2`` verified in a secondary source, ``U``
unverified. Indicators resting on a ``U`` definition carry
``provisional=True`` and say "provisional"/"convention" in their edition.

Examples
--------
>>> from coopmetrics.registry import get_indicator, indicators, validate_registry
>>> ind = get_indicator("placement_rate")
>>> ind.kind, ind.table, ind.unit
('proportion', 'graduates', 'share')
>>> validate_registry()
[]
>>> "placement_rate" in set(indicators()["id"])
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace  # noqa: F401 - used by validate_registry's example

import pandas as pd

from .codes import PROFILES
from .definitions.catalog import CORE, EMPLOYED_CODES, FURTHER_STUDY_CODES  # noqa: F401 - re-exported
from .definitions.catalog_mechanisms import MECHANISMS
from .definitions.kinds import KIND_TABLE, Kind, KindDocs
from .definitions.kinds import comparison_kind as _comparison_kind
from .definitions.labels import UNIT_TABLE
from .definitions.ops import OpDocs, column_zh
from .definitions.options import (  # noqa: F401 - re-exported: coopmetrics.registry is the public home
    _OPTION_VALUES,
    _OVERALL_EN,
    DEFAULT_EXCLUDED,
    DEFAULT_SATISFIED,
    DUAL_DEFINITIONS,
    OPTION_GRADES,
    OPTION_INFO,
    OVERALL_ITEMS,
    PARTNER_PROGRAMS,
    PAY_RULES,
    RELEVANCE_SCOPES,
    SURVEY_SES,
    SURVEY_WEIGHTS,
    Choice,
    OptionInfo,
    Options,
    _option_issues,
)
from .definitions.records import (  # noqa: F401 - re-exported
    Filter,
    Indicator,
    Measure,
    _describe_filter,
    describe_filters,
    filter_columns,
)
from .errors import InvalidOptionError, UnknownIndicatorError, check_option
from .schema import TABLES

__all__ = [
    "Filter",
    "Measure",
    "Indicator",
    "Options",
    "OptionInfo",
    "Choice",
    "OPTION_INFO",
    "OPTION_GRADES",
    "REGISTRY",
    "KINDS",
    "OPS",
    "UNITS",
    "YEAR_COLUMN",
    "EMPLOYED_CODES",
    "indicators",
    "get_indicator",
    "validate_registry",
    "describe_filters",
    "indicators_markdown",
    "update_indicators_doc",
    "kind_of",
    "comparison_kind",
    "register_indicator",
]

#: Indicator kinds: live view ``kind -> what the estimate is`` of
#: :data:`coopmetrics.definitions.kinds.KIND_TABLE`, the one home of a kind (statistics collected,
#: estimator, units allowed, comparison kind).
KINDS: Mapping[str, str] = KindDocs()

#: Year column of each table. ``by=("year",)`` and ``by=("grad_year",)`` both
#: mean "the year column of the indicator's table".
YEAR_COLUMN: dict[str, str] = {t: ("grad_year" if t == "graduates" else "year") for t in TABLES}

#: Unit code -> (Chinese, English): a view of :data:`coopmetrics.definitions.labels.UNIT_TABLE`, the one
#: home of unit labels (which also holds the short axis forms figures use).
UNITS: dict[str, tuple[str, str]] = {k: (u.zh, u.en) for k, u in UNIT_TABLE.items()}

#: Filter operators: live view ``op -> doc`` of :data:`coopmetrics.definitions.ops.FILTER_OPS`, the one
#: home of an op (columns, engine expression, words, options used); see :class:`Filter`.
OPS: Mapping[str, str] = OpDocs()
#: Every indicator: the declarations of definitions/catalog.py and definitions/catalog_mechanisms.py
#: (plus any added at run time with :func:`register_indicator`).
REGISTRY: tuple[Indicator, ...] = CORE + MECHANISMS
_MECHANISMS = MECHANISMS  # kept for existing callers
_col_zh = column_zh  # kept for existing callers

_BY_ID: dict[str, Indicator] = {ind.id: ind for ind in REGISTRY}


def get_indicator(indicator_id: str | Indicator) -> Indicator:
    """Return the registered indicator ``indicator_id``.

    Raises
    ------
    coopmetrics.errors.UnknownIndicatorError
        With a "did you mean" hint for close ids.

    Examples
    --------
    >>> get_indicator("salary_mean").unit
    'yuan_per_month'
    >>> get_indicator("placment_rate")
    Traceback (most recent call last):
    ...
    coopmetrics.errors.UnknownIndicatorError: 未知指标 'placment_rate'（是否想用 'placement_rate'？）；用 coopmetrics.indicators() 查看全部指标。
    unknown indicator 'placment_rate' (did you mean 'placement_rate'?); see coopmetrics.indicators() for all ids.
    """
    if isinstance(indicator_id, Indicator):
        return indicator_id
    try:
        return _BY_ID[indicator_id]
    except (KeyError, TypeError):
        raise UnknownIndicatorError(str(indicator_id), _BY_ID) from None


def kind_of(indicator: str | Indicator) -> Kind:
    """The registered :class:`~coopmetrics.definitions.kinds.Kind` of an indicator (id or record).

    Examples
    --------
    >>> kind_of("placement_rate").comparison, kind_of("partner_count").always_reported
    ('proportion', True)
    """
    ind = get_indicator(indicator)
    try:
        return KIND_TABLE[ind.kind]
    except KeyError:
        raise InvalidOptionError(f"指标 {ind.id!r} 的类型 {ind.kind!r} 未注册",
                                 f"indicator {ind.id!r} has unregistered kind {ind.kind!r}") from None


def comparison_kind(indicator: str | Indicator) -> str:
    """How :func:`coopmetrics.compare` compares an indicator: ``proportion``, ``likert``, ``mean`` or ``median``.

    Raises a bilingual :class:`~coopmetrics.errors.InvalidOptionError` for counts, sums and ratios.

    Examples
    --------
    >>> comparison_kind("employment_satisfaction")
    'likert'
    """
    return _comparison_kind(get_indicator(indicator))


class _IndicatorRegistration:
    def __init__(self, ind: Indicator) -> None:
        self.ind = ind

    def __enter__(self) -> Indicator:
        return self.ind

    def __exit__(self, *exc: object) -> None:
        global REGISTRY
        _BY_ID.pop(self.ind.id, None)
        REGISTRY = tuple(i for i in REGISTRY if i.id != self.ind.id)


def register_indicator(ind: Indicator) -> _IndicatorRegistration:
    """Add an indicator to :data:`REGISTRY` (checked by :func:`validate_registry` first).

    Use as a context manager to remove it again on exit.

    Raises
    ------
    coopmetrics.errors.InvalidOptionError
        If the id is taken or the record has problems (listed, in English).
    """
    global REGISTRY
    problems = [p for p in validate_registry([ind], OPTION_INFO) if not p.startswith("option ")]
    if ind.id in _BY_ID:
        problems.insert(0, f"{ind.id}: id already registered")
    if problems:
        raise InvalidOptionError(f"指标 {ind.id!r} 无法注册：" + "；".join(problems),
                                 f"indicator {ind.id!r} cannot be registered: " + "; ".join(problems))
    REGISTRY = (*REGISTRY, ind)
    _BY_ID[ind.id] = ind
    return _IndicatorRegistration(ind)


def _measure_words(m: Measure | None, ind: Indicator, lang: str) -> str:
    if m is None:
        return ""
    zh = lang == "zh"
    table = m.table or ind.table
    tname = TABLES[table].zh if zh else table
    col = (_col_zh(m.column) if zh else m.column) if m.column else ""
    agg = {
        "count": ("计数", "count of rows"),
        "count_distinct": ("不重复计数", "number of distinct"),
        "sum": ("合计", "sum of"),
        "mean": ("平均", "mean of"),
        "median": ("中位数", "median of"),
        "weighted_count": ("加权计数", "weighted count of rows"),
    }[m.agg][0 if zh else 1]
    if ind.survey_kind is not None and m.agg == "count":  # survey shares count people, never answers
        pool = not any(f.op == "overall_item" for f in ind.numerator.where)
        if m is ind.numerator and pool:
            agg = "答卷人满意题目占比之和" if zh else "sum over respondents of their share of answers"
        else:
            agg = "答卷人数" if zh else "respondents with an answer"
    cond = describe_filters(m.where, lang)
    if m.terms:
        sep = "＋" if zh else " + "
        cond = sep.join(f"{c:g}×（{describe_filters(fs, lang)}）" if zh else f"{c:g} × ({describe_filters(fs, lang)})"
                        for c, fs in m.terms)
    if zh:
        return f"{tname}：{col}{agg}（{cond}）"
    where = (": " + cond if m.terms else f" where {cond}") if (m.where or m.terms) else " (all rows)"
    return f"{table}: {agg} {col}{where}".replace("  ", " ")


def indicators(lang: str | None = None) -> pd.DataFrame:
    """List the registry as a DataFrame.

    Parameters
    ----------
    lang : {None, "zh", "en"}
        ``None`` keeps both languages; ``"zh"`` or ``"en"`` keeps one (columns
        ``name``, ``numerator``, ``denominator``).

    Returns
    -------
    pandas.DataFrame
        ``id, name_zh, name_en, unit, kind, table, numerator_zh, numerator_en,
        denominator_zh, denominator_en, required_columns, direction, target,
        edition, grade, provisional, options, source, notes``.

    Examples
    --------
    >>> df = indicators(lang="en")
    >>> df.loc[df["id"] == "intern_hire_rate", "denominator"].item()
    'internships: count of rows where hired recorded'
    """
    check_option("lang", lang, [None, "zh", "en"], "indicators")
    rows = []
    for ind in REGISTRY:
        req = ind.required_columns
        rows.append({
            "id": ind.id, "name_zh": ind.name_zh, "name_en": ind.name_en, "unit": ind.unit, "kind": ind.kind,
            "table": ind.table,
            "numerator_zh": _measure_words(ind.numerator, ind, "zh"),
            "numerator_en": _measure_words(ind.numerator, ind, "en"),
            "denominator_zh": _measure_words(ind.denominator, ind, "zh"),
            "denominator_en": _measure_words(ind.denominator, ind, "en"),
            "required_columns": "; ".join(f"{t}: {', '.join(c)}" for t, c in req.items()),
            "direction": ind.direction, "target": ind.target, "edition": ind.edition_text(Options()),
            "grade": ind.grade, "provisional": ind.provisional, "options": ", ".join(ind.options_used),
            "source": ind.source, "notes": ind.notes,
        })
    df = pd.DataFrame(rows)
    if lang is not None:
        other = "en" if lang == "zh" else "zh"
        df = df.drop(columns=[f"name_{other}", f"numerator_{other}", f"denominator_{other}"]).rename(
            columns={f"name_{lang}": "name", f"numerator_{lang}": "numerator",
                     f"denominator_{lang}": "denominator"})
    return df


def _record_issues(ind: Indicator) -> list[str]:
    """Problems of an indicator's own fields (id, kind, unit, texts, grade, direction, options)."""
    out = []
    if not ind.id.isidentifier() or ind.id.lower() != ind.id:
        out.append("id must be snake_case")
    kind = KIND_TABLE.get(ind.kind)
    if kind is None:
        out.append(f"unknown kind {ind.kind!r}")
    if ind.unit not in UNIT_TABLE:
        out.append(f"unknown unit {ind.unit!r}")
    elif kind is not None and ind.unit not in kind.units:
        out.append(f"unit {ind.unit!r} does not fit kind {ind.kind!r}")
    out += [f"{attr} is empty" for attr in ("name_zh", "name_en", "edition", "source")
            if not str(getattr(ind, attr)).strip()]
    if ind.grade not in ("V", "V-2", "U"):
        out.append("grade must be V, V-2 or U")
    if ind.grade == "U" and not ind.provisional:
        out.append("grade U but not marked provisional")
    if ind.direction not in ("higher", "lower", "none"):
        out.append("direction must be higher, lower or none")
    out += [f"options_used names unknown option {name!r}" for name in ind.options_used
            if name not in Options.__dataclass_fields__]
    return out


_AGGREGATIONS = ("count", "count_distinct", "sum", "mean", "median", "weighted_count")


def _measure_issues(ind: Indicator) -> list[str]:
    """Problems of the numerator and denominator: aggregations, ops, profile categories."""
    out = []
    for m in ind.measures():
        if m.agg not in _AGGREGATIONS:
            out.append(f"unknown aggregation {m.agg!r}")
        if m.agg == "weighted_count" and not m.terms:
            out.append("weighted_count needs terms")
        if m.agg not in ("count", "weighted_count") and not m.column:
            out.append(f"aggregation {m.agg!r} needs a column")
        for f in (*m.where, *(f for _, fs in m.terms for f in fs)):
            if f.op not in OPS:
                out.append(f"unknown filter op {f.op!r}")
            if f.op == "in_profile":
                prof, cat = f.value
                out += [f"category {cat!r} not in profile {pr!r}" for pr in ([prof] if prof else list(PROFILES))
                        if cat not in (*PROFILES[pr].groups, "placed")]
    return out


def _column_issues(ind: Indicator) -> list[str]:
    """Tables and columns read under every option value that changes columns."""
    out = []
    variants = [Options()] + [Options(dual_definition=d) for d in DUAL_DEFINITIONS[1:]] + [Options(pay_rule="2016")]
    for opts in variants:
        req, opt = ind.columns(opts)
        for t, cols in req.items():
            if t not in TABLES:
                out.append(f"unknown table {t!r}")
                continue
            out += [f"column {c!r} not in table {t!r}" for c in (*cols, *opt.get(t, ())) if c not in TABLES[t].names]
    return list(dict.fromkeys(out))  # a problem found under several option variants is listed once


def _indicator_issues(ind: Indicator) -> list[str]:
    """Every problem of one record (without the ``id:`` prefix)."""
    out = _record_issues(ind)
    if ind.table not in TABLES:
        return [*out, f"unknown table {ind.table!r}"]
    out += _measure_issues(ind)
    kind = KIND_TABLE.get(ind.kind)
    if kind is not None and kind.check is not None:
        out += kind.check(ind)
    return out + _column_issues(ind)


def validate_registry(registry: Iterable[Indicator] | None = None,
                      option_info: Mapping[str, OptionInfo] | None = None) -> list[str]:
    """Check the registry; return a list of problems (empty when consistent).

    Checks: ids unique and snake_case; kinds, units, ops and aggregations known;
    unit consistent with kind; every table and required column in
    :data:`coopmetrics.schema.TABLES` under every option value that changes
    columns; every source, edition and grade filled; proportions have numerator
    filters that include the denominator's; provisional flagged for grade ``U``.

    The option table (``option_info``, default :data:`OPTION_INFO`) is checked too:
    every :class:`Options` field has an :class:`OptionInfo` and no other key does;
    names, source and grades filled and known; every listed choice is an allowed
    value of its option (:data:`DUAL_DEFINITIONS`, :data:`PAY_RULES`,
    :data:`SURVEY_WEIGHTS`, :data:`coopmetrics.codes.PROFILES`,
    :data:`coopmetrics.schema.PROGRAMS`, the graduates' columns, scores 1-5), and
    every allowed value of an enumerated option is listed; profile grades agree with
    the profiles' ``provisional`` flag; CLI spellings name listed choices.

    Examples
    --------
    >>> bad = Indicator("x", "x", "x", "share", "mean", "graduates", Measure("mean", "nope"), None,
    ...                 "higher", None, "e", "", "V")
    >>> validate_registry([bad])  # doctest: +NORMALIZE_WHITESPACE
    ["x: unit 'share' does not fit kind 'mean'", 'x: source is empty',
     "x: column 'nope' not in table 'graduates'"]
    >>> odd = replace(OPTION_INFO["pay_rule"], choices={"2019": Choice("2019", "2019", "U")})
    >>> validate_registry([], {**OPTION_INFO, "pay_rule": odd})  # doctest: +NORMALIZE_WHITESPACE
    ["option pay_rule: choice '2019' is not an allowed value ('2021', '2016')",
     "option pay_rule: allowed value '2021' has no choice", "option pay_rule: allowed value '2016' has no choice",
     "option pay_rule: default '2021' is not a choice"]
    """
    issues: list[str] = []
    seen: set[str] = set()
    for ind in REGISTRY if registry is None else registry:
        if ind.id in seen:
            issues.append(f"{ind.id}: duplicate id")
        seen.add(ind.id)
        issues += [f"{ind.id}: {msg}" for msg in _indicator_issues(ind)]
    issues += _option_issues(OPTION_INFO if option_info is None else option_info)
    return issues


# --- documentation ---------------------------------------------------------------------------------

_DOC_BEGIN = "<!-- BEGIN GENERATED: coopmetrics.registry.indicators_markdown() -->"
_DOC_END = "<!-- END GENERATED -->"


def _md(text: object) -> str:
    if text is None or (isinstance(text, float) and text != text):
        return ""
    return str(text).replace("|", "\\|").replace("\n", " ")


def indicators_markdown() -> str:
    """The registry as Markdown tables, one per table, from :func:`indicators` (for docs/indicators.md).

    Examples
    --------
    >>> md = indicators_markdown()
    >>> "| placement_rate | 毕业去向落实率 |" in md
    True
    """
    df = indicators()
    out = []
    for table, part in df.groupby("table", sort=False):
        out.append(f"### {table} ({TABLES[table].zh})\n")
        out.append("| id | 名称 | name | kind | unit | numerator / 分子 | denominator / 分母 | target | edition | "
                   "grade | source |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|")
        for r in part.itertuples(index=False):
            target = "" if r.target is None or r.target != r.target else f"{r.target:g}"
            cells = [r.id, r.name_zh, r.name_en, r.kind, r.unit, f"{r.numerator_zh}<br>{r.numerator_en}",
                     f"{r.denominator_zh}<br>{r.denominator_en}" if r.denominator_en else "", target, r.edition,
                     r.grade + (" (provisional)" if r.provisional else ""), r.source]
            out.append("| " + " | ".join(_md(c) for c in cells) + " |")
        out.append("")
    return "\n".join(out)


def update_indicators_doc(path: str) -> bool:
    """Replace the generated block of ``path`` (docs/indicators.md) with :func:`indicators_markdown`.

    Returns True when the file changed. Run
    ``python -c "from coopmetrics.registry import update_indicators_doc as u; u('docs/indicators.md')"``
    after editing the registry.
    """
    from pathlib import Path

    p = Path(path)
    text = p.read_text(encoding="utf-8")
    head, rest = text.split(_DOC_BEGIN, 1)
    _, tail = rest.split(_DOC_END, 1)
    new = f"{head}{_DOC_BEGIN}\n\n{indicators_markdown()}\n{_DOC_END}{tail}"
    if new != text:
        p.write_text(new, encoding="utf-8")
        return True
    return False
