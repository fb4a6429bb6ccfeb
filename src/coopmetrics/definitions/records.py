"""Indicator records: :class:`Filter`, :class:`Measure` and :class:`Indicator` (frozen data).

Filters name an op of :data:`coopmetrics.definitions.ops.FILTER_OPS`; indicators name a kind of
:data:`coopmetrics.definitions.kinds.KIND_TABLE` and a unit of
:data:`coopmetrics.definitions.labels.UNIT_TABLE`. Re-exported by :mod:`coopmetrics.registry`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from .ops import FILTER_OPS, column_zh
from .ops import describe as describe_filter
from .options import Options

# --- records ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filter:
    """One condition on a unit, as data.

    Parameters
    ----------
    column : str or tuple of str
        Canonical column (a tuple for ``any_positive``).
    op : str
        One of :data:`OPS`.
    value : object
        Operand; its meaning depends on ``op``.

    Examples
    --------
    >>> Filter("destination_code", "in_profile", (None, "placed")).describe("en")
    'destination code placed under the selected profile'
    """

    column: str | tuple[str, ...]
    op: str
    value: Any = None

    def describe(self, lang: str = "en") -> str:
        """The condition in words (``lang`` = ``"zh"`` or ``"en"``)."""
        return _describe_filter(self, lang)


@dataclass(frozen=True, slots=True)
class Measure:
    """What is counted or summed on one side of an indicator.

    Parameters
    ----------
    agg : {"count", "count_distinct", "sum", "mean", "median", "weighted_count"}
        Aggregation. ``count`` counts rows (units), ``count_distinct`` distinct values of
        ``column``, ``sum``/``mean``/``median`` aggregate ``column``; ``weighted_count`` is
        ``Σ_k c_k × count(terms_k)`` (e.g. 教师总数 = 专任 + 0.5 × 聘请校外教师).
    column : str, optional
        Column aggregated.
    where : tuple of Filter
        All must hold for a unit to contribute.
    table : str, optional
        Table of the measure when it differs from the indicator's table (cross-table ratios).
    terms : tuple of (float, tuple of Filter)
        For ``weighted_count``: coefficient and filters of each counted group (all ``where``
        filters also apply).
    """

    agg: str
    column: str | None = None
    where: tuple[Filter, ...] = ()
    table: str | None = None
    terms: tuple[tuple[float, tuple[Filter, ...]], ...] = ()


@dataclass(frozen=True, slots=True)
class Indicator:
    """One indicator, declared as data.

    Attributes
    ----------
    id, name_zh, name_en : str
        Stable id and display names.
    unit : str
        A key of :data:`UNITS`.
    kind : str
        A key of :data:`KINDS`.
    table : str
        Main table (a key of :data:`coopmetrics.schema.TABLES`).
    numerator, denominator : Measure
        For proportions the numerator's filters include the denominator's (numerator
        ⊆ denominator); for means/medians the numerator holds the column and the
        denominator is None; for counts and sums the numerator alone.
    direction : {"higher", "lower", "none"}
        Is a higher value better?
    target : float, optional
        Official (or widely used) target, in the indicator's unit.
    edition : str
        Definition edition, e.g. ``"教学厅函〔2021〕19号"``.
    source, grade : str
        Citation and evidence grade (``V``, ``V-2``, ``U``).
    source_zh, edition_zh : str
        The same citation and edition in Chinese, as the Chinese report prints them: the same
        documents, article numbers and evidence grades, no library file references and no
        English (the English ``source`` may cite ``definitions-cn.md`` sections). Written from
        the official Chinese wording (``shared/reference/definitions-cn.md``, the seeds).
    options_used : tuple of str
        Fields of :class:`Options` that change this indicator.
    provisional : bool
        True where the definition rests on an unverified ([U]) source or a convention.
    notes : str
        Anything a reader of the number must know.
    """

    id: str
    name_zh: str
    name_en: str
    unit: str
    kind: str
    table: str
    numerator: Measure
    denominator: Measure | None
    direction: str
    target: float | None
    edition: str
    source: str
    grade: str
    options_used: tuple[str, ...] = ()
    provisional: bool = False
    notes: str = ""
    survey_kind: str | None = None
    source_zh: str = ""
    edition_zh: str = ""

    @property
    def required_columns(self) -> dict[str, tuple[str, ...]]:
        """Columns needed per table under the default :class:`Options`."""
        return self.columns(Options())[0]

    def measures(self) -> list[Measure]:
        """Numerator and (if any) denominator."""
        return [m for m in (self.numerator, self.denominator) if m is not None]

    def tables(self) -> list[str]:
        """Tables this indicator reads, main table first."""
        out = [self.table]
        for m in self.measures():
            t = m.table or self.table
            if t not in out:
                out.append(t)
        return out

    def columns(self, options: Options) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
        """(required, optional) columns per table under ``options``."""
        req: dict[str, list[str]] = {}
        opt: dict[str, list[str]] = {}
        for m in self.measures():
            t = m.table or self.table
            r = req.setdefault(t, [])
            o = opt.setdefault(t, [])
            if m.column:
                r.append(m.column)
            for f in (*m.where, *(f for _, fs in m.terms for f in fs)):
                fr, fo = filter_columns(f, options)
                r.extend(fr)
                o.extend(fo)
        if self.survey_kind is not None:
            req.setdefault("survey", []).append("respondent_id")
            if options.survey_weights == "column":
                req["survey"].append("weight")
        clean_r = {t: tuple(dict.fromkeys(v)) for t, v in req.items()}
        clean_o = {t: tuple(c for c in dict.fromkeys(v) if c not in clean_r.get(t, ())) for t, v in opt.items()}
        return clean_r, clean_o

    def edition_text(self, options: Options, lang: str = "en") -> str:
        """Edition plus the option values this indicator depends on.

        ``lang="zh"`` gives the Chinese edition (:attr:`edition_zh`) and the option values in
        Chinese words (falling back to :attr:`edition` when a record has no Chinese edition).

        Examples
        --------
        >>> from coopmetrics.registry import get_indicator
        >>> get_indicator("intern_hire_rate").edition_text(Options(), "zh")
        'A7-4 企业录用顶岗实习毕业生数 / 顶岗实习毕业生总数'
        """
        if lang == "zh":
            text = self.edition_zh or self.edition
            if self.provisional and not any(w in text for w in ("暂定", "约定", "建议")):
                text += "（暂定）"
            extra = describe_options_zh(options, self.options_used, self.survey_kind)
            return f"{text}；{extra}" if extra else text
        text = self.edition
        if self.provisional and "provisional" not in text and "convention" not in text:
            text += " (provisional)"
        extra = options.describe(self.options_used, kind=self.survey_kind)
        return f"{text}; {extra}" if extra else text


def _value_zh(name: str, value: Any) -> str:
    """One option value in Chinese words: its listed choice, Likert levels, items, or the value."""
    from .labels import LIKERT_LEVELS
    from .options import OPTION_INFO

    info = OPTION_INFO[name]
    try:
        choice = info.choices.get(value)
    except TypeError:  # unhashable values (lists) are never listed choices
        choice = None
    if choice is not None:
        grade_u = choice.grade == "U" and not any(w in choice.zh for w in ("暂定", "待核实"))
        return choice.zh + ("（暂定）" if grade_u else "")
    if value is None:
        return "全部" if name == "survey_items" else "无"
    if isinstance(value, list | tuple):
        if name in ("satisfied_levels", "exclude_levels"):
            return "、".join(LIKERT_LEVELS[v][0] if v in LIKERT_LEVELS else str(v) for v in value) or "无"
        return "、".join(str(v) for v in value) or "无"
    return str(value)


def describe_options_zh(options: Options, names: Iterable[str], kind: str | None = None) -> str:
    """The option values an indicator depends on, in Chinese (the ``edition`` column of a Chinese report).

    Per-questionnaire options (``overall_items``, ``satisfied_levels`` ...) show the value for
    ``kind``; the words come from :data:`~coopmetrics.definitions.options.OPTION_INFO`.

    Examples
    --------
    >>> describe_options_zh(Options(), ["relevance_scope", "overall_items"], "school")
    '专业相关度的专业范围：全部专业（暂定）；总体满意度题目：母校总体满意度'
    """
    from .options import OPTION_INFO

    parts = []
    for name in names:
        value = getattr(options, name)
        if isinstance(value, dict):  # per questionnaire
            if kind is None:
                continue
            value = value.get(kind)
            if name == "overall_items":
                value = value[0] if value else None
        parts.append(f"{OPTION_INFO[name].name_zh}：{_value_zh(name, value)}")
    if options.as_of:
        parts.append(f"{OPTION_INFO['as_of'].name_zh}：{options.as_of}")
    return "；".join(parts)


def filter_columns(f: Filter, options: Options) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(required, optional) columns a filter reads under ``options`` (from its registered op)."""
    op = FILTER_OPS.get(f.op)
    return op.columns(f, options) if op is not None else ((f.column,), ())


_col_zh = column_zh  # kept for callers of the old private name


def _describe_filter(f: Filter, lang: str) -> str:
    if lang == "zh":  # category codes in the condition read as the Chinese words of the data
        value = f.value
        if isinstance(value, str):
            value = _category_zh(f.column, value)
        elif isinstance(value, tuple) and f.op in ("in", "not_in"):
            value = tuple(_category_zh(f.column, v) if isinstance(v, str) else v for v in value)
        if value != f.value:
            f = replace(f, value=value)
        op = FILTER_OPS.get(f.op)
        if op is not None and not isinstance(f.column, str):  # several columns: each by its Chinese name
            return op.words(f, lang, "/".join(column_zh(c) for c in f.column))
    return describe_filter(f, lang)


@cache
def _category_words() -> dict[str, dict[str, str]]:
    """Column -> {canonical category value: Chinese word}, from the schema's own value lists.

    The word is the shortest Chinese spelling the loader accepts for the value (高级, not 正高级,
    for ``senior``; 实习 for the survey kind ``internship``); programmes use ``schema.PROGRAMS``.
    """
    import re

    from ..schema import PROGRAMS, TABLES

    out: dict[str, dict[str, str]] = {}
    for table in TABLES.values():
        for col in table.columns:
            words = out.setdefault(col.name, {})
            for raw, canon in col.values.items():
                key = str(canon)
                if re.search(r"[\u4e00-\u9fff]", raw) and (key not in words or len(raw) < len(words[key])):
                    words[key] = raw
    out["program"] = {**out.get("program", {}), **PROGRAMS}
    return out


def _category_zh(column: str | tuple[str, ...], value: str) -> str:
    """Chinese word of a category value of ``column``; a survey kind (the value of the survey ops)
    reads as its questionnaire; anything else (codes, Options field names) stays as written."""
    words = _category_words()
    if isinstance(column, str) and value in words.get(column, {}):
        return words[column][value]
    return words.get("survey_kind", {}).get(value, value)


def describe_filters(filters: Iterable[Filter], lang: str = "en") -> str:
    """Join filter descriptions with "and" (``且`` in Chinese); empty means every unit.

    Examples
    --------
    >>> describe_filters([Filter("hired", "is_true")], "zh")
    '企业录用=是'
    """
    parts = [f.describe(lang) for f in filters]
    if not parts:
        return "全部" if lang == "zh" else "all"
    return ("且".join(parts)) if lang == "zh" else " and ".join(parts)

