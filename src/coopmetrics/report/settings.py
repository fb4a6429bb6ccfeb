"""Definition options and indicator definitions as readable rows (说明, 技术信息, 指标定义).

:func:`settings_table` describes every :class:`~coopmetrics.registry.Options` field and the
report's own arguments in words, from ``registry.OPTION_INFO``; :func:`definitions_table`
lists the registry records used.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..definitions.labels import LIKERT_LEVELS
from ..errors import check_option
from ..registry import OPTION_INFO
from .labels import LANGS as _LANGS

__all__ = ["definitions_table", "settings_table", "DISCLOSURE_WORDS"]

_DEF_COLS = ("indicator", "name_zh", "name_en", "unit", "kind", "table", "numerator", "denominator",
             "edition", "target", "grade", "provisional", "source", "notes")


def definitions_table(indicators: Iterable[str] | None = None, *, lang: str = "zh") -> pd.DataFrame:
    """Registry definitions as a tidy frame (the report's 指标定义 sheet and ``coopmetrics indicators``).

    Parameters
    ----------
    indicators : iterable of str, optional
        Keep these ids (in registry order); default all.
    lang : {"zh", "en"}
        Language of the numerator and denominator descriptions, and of ``source`` and
        ``edition`` (``"zh"``: the records' ``source_zh`` and Chinese edition with the option
        values in Chinese words).

    Returns
    -------
    pandas.DataFrame
        ``indicator, name_zh, name_en, unit, kind, table, numerator, denominator,
        edition, target, grade, provisional, source, notes`` (those the registry
        provides). ``grade`` is the evidence grade of the definition
        ([V] verified, [V-2] secondary source, [U] unverified).

    Examples
    --------
    >>> d = definitions_table(["placement_rate"], lang="en")
    >>> d.loc[0, "name_zh"], d.loc[0, "name_en"]
    ('毕业去向落实率', 'Placement rate')
    >>> definitions_table(["intern_hire_rate"], lang="zh").loc[0, "source"]
    '状态数据 A7-4 顶岗实习表（派生比值，非官方）[V-2]'
    """
    check_option("lang", lang, _LANGS, "definitions_table")
    out = _all_definitions(lang)
    if indicators is not None:
        out = out[out["indicator"].isin(list(indicators))]
    return out.reset_index(drop=True)


_DEFINITIONS: dict[str, tuple[Any, pd.DataFrame]] = {}  # lang -> (registry tuple, table)


def _all_definitions(lang: str) -> pd.DataFrame:
    """Every registry definition in ``lang`` (a copy), built once per state of the registry.

    Each yearly report lists its definitions (a provincial run once per college); building the
    table describes every record in words.
    """
    from .. import registry
    from .labels import registry_frame

    hit = _DEFINITIONS.get(lang)
    if hit is not None and hit[0] is registry.REGISTRY:
        return hit[1].copy()
    reg = registry_frame()
    out = pd.DataFrame(index=reg.index)
    for col in _DEF_COLS:
        for cand in (f"{col}_{lang}", col, "id" if col == "indicator" else ""):
            if cand and cand in reg.columns:
                out[col] = reg[cand]
                break
    if lang == "zh":  # the records' own Chinese citation and edition (no phrase translation)
        zh = {ind.id: (ind.source_zh or ind.source, ind.edition_text(registry.Options(), "zh"))
              for ind in registry.REGISTRY}
        out["source"] = out["indicator"].map(lambda i: zh[i][0])
        out["edition"] = out["indicator"].map(lambda i: zh[i][1])
    out = out.map(_flatten)
    _DEFINITIONS[lang] = (registry.REGISTRY, out)
    return out.copy()


# --- definition options as readable rows (说明 sheet, HTML definitions section) ----------------------

#: Evidence status of a setting -> (Chinese, English) label.
_OPTION_STATUS: dict[str, tuple[str, str]] = {
    "V": ("正式口径（已核实）[V]", "official definition (verified) [V]"),
    "V-2": ("正式口径（二手来源核实）[V-2]", "official definition (secondary source) [V-2]"),
    "U": ("暂定口径 [U]：未核实，可改选", "provisional [U]: unverified, selectable"),
    "setting": ("分析设置（非官方口径）", "analysis setting (not an official definition)"),
}
_SCORES: dict[Any, tuple[str, str]] = dict(LIKERT_LEVELS)  # the one wording of the five levels
_SURVEY_KINDS: dict[str, tuple[str, str]] = {
    "internship": ("实习", "internship"), "employment": ("就业", "employment"),
    "school": ("母校", "school"), "employer": ("雇主", "employer"),
}
#: Words for column and programme ids: the registry's listed elements of the tuple-valued options
#: (roster columns raked to, programme types), plus the cohort covariate entry_score.
_WORDS: dict[str, tuple[str, str]] = {
    **{str(k): (c.zh, c.en) for key in ("raking_variables", "partner_programs")
       for k, c in OPTION_INFO[key].choices.items()},
    "entry_score": ("入学成绩", "entry score"),
}
#: Options whose alternatives are shown in words only: the value None is no word, and the
#: 如何更改 column already has the CLI and Python spelling of every choice.
_ALTERNATIVES_IN_WORDS = frozenset({"survey_weights"})
#: Options whose default value carries the registry's note (a changed value says so instead).
_CHANGED = ("已改为非默认口径", "changed from the default")

#: Disclosure preset -> words. The college's own report is exact ("none", the default); rounding
#: and suppression are for tables published outside the college (``--publish 公开``).
DISCLOSURE_WORDS: dict[str, tuple[str, str]] = {
    "none": ("精确数字（学校自用与上报，默认）：人数与比例不取整、不抑制",
             "exact figures (the college's own report, default): no rounding, no suppression"),
    "hesa": ("对外公开发布：人数取整到5，人数太少的单元格不公布",
             "public release: counts rounded to 5, cells with too few people withheld"),
    "min_n": ("对外公开发布（只抑制）：人数太少的单元格不公布，人数不取整",
              "public release (suppression only): cells with too few people withheld, counts exact"),
}
_DISCLOSURE_WORDS = DISCLOSURE_WORDS


def _top_box_switch(value: Mapping[str, Any]) -> str:
    """How to change the satisfied levels: ``--top-box`` when every survey uses the same 2 or 3 scores."""
    info = OPTION_INFO["satisfied_levels"]
    levels = {tuple(v) for v in value.values()}
    box = next((info.cli_value(v) for v in info.cli_values if levels == {v}), None)
    if box is not None:
        return (f"命令行 CLI: {info.cli_switch} {box}（所有问卷 / every survey）; "
                "Python: Options(satisfied_levels=…)")
    # a per-survey or text-level choice has no CLI spelling: say so instead of naming a switch
    return ("命令行 --top-box 2|3 只能为所有问卷统一设置；本报告的口径需 Python / CLI --top-box 2|3 sets every "
            f"survey alike; this choice needs Python: {info.example}")


def _words(values: Iterable[Any], lang: int) -> str:
    """Join values in words: scores and known ids translated, others as written."""
    out = []
    for v in values:
        pair = _SCORES.get(v) if isinstance(v, int | np.integer) and not isinstance(v, bool) else None
        pair = pair or _WORDS.get(str(v))
        out.append(pair[lang] if pair else str(v))
    if not out:
        return "（无）" if lang == 0 else "(none)"
    return ("、" if lang == 0 else ", ").join(out)


def _plain(value: Any, lang: int) -> str:
    """Any raw option value in words (fallback for fields without a dedicated describer)."""
    if value is None:
        return "未设置" if lang == 0 else "not set"
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == 0 else ("yes" if value else "no")
    if isinstance(value, Mapping):
        if not value:
            return "（默认）" if lang == 0 else "(default)"
        return ("；" if lang == 0 else "; ").join(
            f"{_SURVEY_KINDS.get(str(k), (str(k), str(k)))[lang]}: {_plain(v, lang)}" for k, v in value.items())
    if isinstance(value, tuple | list | set | frozenset):
        return _words(value, lang)
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return _WORDS.get(str(value), (str(value), str(value)))[lang]


def _by_kind(value: Mapping[str, Any], lang: int, empty: tuple[str, str] | None = None) -> str:
    sep = "；" if lang == 0 else "; "
    parts = []
    for k, v in value.items():
        text = empty[lang] if (v is None and empty) else _words(v, lang)
        parts.append(f"{_SURVEY_KINDS.get(str(k), (str(k), str(k)))[lang]}: {text}")
    return sep.join(parts)


def _value_words(key: str, value: Any) -> tuple[str, str]:
    """An option value in words (Chinese, English): a listed choice's words, else per-field phrasing."""
    choice = OPTION_INFO[key].choice(value)
    if choice is not None:
        return choice.zh, choice.en
    if key == "practice_days":
        days = _plain(value, 0)
        return (f"5年内累计不少于 {days} 天（“6个月”折算为天数）",
                f"at least {days} days in five years (the six-month rule in days)")
    if key in ("satisfied_levels", "exclude_levels"):
        return _by_kind(value, 0), _by_kind(value, 1)
    if key == "survey_items":
        empty = ("全部题目", "all items")
        return (_by_kind(value, 0, empty) if value else "每类问卷全部题目",
                _by_kind(value, 1, empty) if value else "all items of each survey")
    if key == "raking_variables":
        return _words(value, 0) + "（数据中有的）", _words(value, 1) + " (those present)"
    if key == "as_of":
        return (("未设置（结果中不注明日期）", "not set (no date echoed)") if value is None
                else (f"截至 {value}", f"as of {value}"))
    return _plain(value, 0), _plain(value, 1)


def _python_value(value: Any) -> str:
    """``value`` as written in a Python call (strings in double quotes, whole floats without .0)."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return str(value)


def _defined_option_row(key: str, value: Any) -> dict[str, Any]:
    """One :class:`~coopmetrics.registry.Options` field, described from ``registry.OPTION_INFO``."""
    from ..registry import Options

    info = OPTION_INFO[key]
    row: dict[str, Any] = {"key": key, "value": str(value), "name": (info.name_zh, info.name_en),
                           "val": _value_words(key, value), "grade": info.grade_of(value)}
    if key == "satisfied_levels":
        row["switch"] = _top_box_switch(value)
    elif info.cli_switch is not None:
        row["switch"] = (f"命令行 CLI: {info.cli_switch} {info.cli_value(value)}; "
                         f"Python: Options({key}={_python_value(value)})")
    else:
        row["switch"] = f"Python: {info.example}（命令行无此开关 / no CLI switch）"
    if info.note[0]:
        default = getattr(Options(), key)
        same = (all(tuple(v) == tuple(default.get(k, ())) for k, v in value.items())
                if isinstance(value, Mapping) else value == default)
        row["note"] = info.note if same else _CHANGED
    if info.alternatives[0]:  # free values: the registry's words for what else may be chosen
        row["alts"] = info.alternatives
    else:
        others = [(v, c) for v, c in info.choices.items() if info.choice(value) is not c]
        if key in _ALTERNATIVES_IN_WORDS:
            row["alts"] = ("；".join(c.zh for _, c in others), "; ".join(c.en for _, c in others))
        else:
            mark = {v: " [U]" if c.grade == "U" else "" for v, c in others}
            row["alts"] = ("；".join(f"{v}{mark[v]}：{c.zh}" for v, c in others),
                           "; ".join(f"{v}{mark[v]}: {c.en}" for v, c in others))
    return row


def _option_row(key: str, value: Any) -> dict[str, Any]:
    """Readable description of one option: names, value in words, grade, alternatives, switch.

    Options fields are described from ``registry.OPTION_INFO``; the report's own arguments
    (disclosure, breakdown, cohort covariates) here.
    """
    if key in OPTION_INFO:
        row = _defined_option_row(key, value)
    elif key == "disclosure":
        row = {"name": ("披露控制", "Disclosure control"),
               "val": _DISCLOSURE_WORDS.get(value, (str(value), str(value))), "grade": "setting",
               "switch": (f"命令行 CLI: {'--publish 公开' if value == 'hesa' else '--disclosure ' + value}; "
                          f"Python: build_report(..., disclosure=\"{value}\")"),
               "alts": ("；".join(f"{d}：{z}" for d, (z, _) in _DISCLOSURE_WORDS.items() if d != value),
                        "; ".join(f"{d}: {e}" for d, (_, e) in _DISCLOSURE_WORDS.items() if d != value))}
    elif key == "by":
        other = "major" if value == "department" else "department"
        row = {"name": ("分组", "Breakdown"), "val": _WORDS.get(value, (str(value), str(value))),
               "grade": "setting", "switch": f"命令行 CLI: --by {value}; Python: build_report(..., by=\"{value}\")",
               "alts": (f"{other}：{_WORDS[other][0]}", f"{other}: {_WORDS[other][1]}")}
    elif key == "cohort_adjust":
        cols = [c for c in str(value).split(",") if c]
        row = {"name": ("队列比较的调整变量", "Cohort-comparison covariates"),
               "val": (_words(cols, 0), _words(cols, 1)), "grade": "setting",
               "switch": "自动：数据中有的入学成绩、性别、招生类型 / automatic: entry score, gender and admission "
                         "type where present",
               "alts": ("无（自动选择）", "none (chosen automatically)")}
    else:  # an Options field without registry words: still readable, never a raw repr
        row = {"name": (key, key), "val": (_plain(value, 0), _plain(value, 1)), "grade": "setting",
               "switch": f"Python: Options({key}=…)"}
    row["key"], row["value"] = key, str(value)
    alts = row.get("alts", ("", ""))
    row["alts"] = alts if alts[0] else ("—", "—")
    return row


def settings_table(options: Any = None, *, disclosure: str = "none", by: str = "department",
                   cohort_adjust: Iterable[str] = ()) -> pd.DataFrame:
    """Every definition option as a readable bilingual row (the 说明 sheet and the HTML definitions).

    Parameters
    ----------
    options : coopmetrics.registry.Options, optional
        Definition choices; default ``Options()``.
    disclosure, by : str
        Report-level settings of :func:`build_report`.
    cohort_adjust : iterable of str
        Covariates the cohort comparisons adjusted for.

    Returns
    -------
    pandas.DataFrame
        ``key`` (Options field or report argument), ``value`` (raw value as text),
        ``name_zh, name_en, value_zh, value_en`` (the value in words), ``grade``
        (``V``, ``V-2``, ``U`` or ``setting``), ``status_zh, status_en``,
        ``alternatives_zh, alternatives_en``, ``switch`` (CLI switch or Python argument)
        and ``note_zh, note_en``.

    Examples
    --------
    >>> from coopmetrics.registry import Options
    >>> t = settings_table(Options(profile="moe_2024")).set_index("key")
    >>> t.loc["profile", "grade"], t.loc["profile", "switch"].split(";")[0]
    ('U', '命令行 CLI: --profile moe_2024')
    >>> t.loc["as_of", "value_en"]
    'not set (no date echoed)'
    >>> t = settings_table(Options(dual_definition="2004_evaluation", survey_weights=None)).set_index("key")
    >>> t.loc["dual_definition", "switch"].split(";")[0], t.loc["survey_weights", "switch"].split(";")[0]
    ('命令行 CLI: --dual 2004_evaluation', '命令行 CLI: --weights none')
    """
    from dataclasses import fields as _fields

    from ..registry import Options

    opts = Options() if options is None else options
    items: list[tuple[str, Any]] = [(f.name, getattr(opts, f.name)) for f in _fields(opts)]
    items += [("disclosure", disclosure), ("by", by)]
    adjust = list(cohort_adjust)
    if adjust:
        items.append(("cohort_adjust", ",".join(adjust)))
    rows = []
    for key, value in items:
        r = _option_row(key, value)
        status = _OPTION_STATUS[r["grade"]]
        note = r.get("note", ("", ""))
        rows.append({"key": key, "value": r["value"], "name_zh": r["name"][0], "name_en": r["name"][1],
                     "value_zh": r["val"][0], "value_en": r["val"][1], "grade": r["grade"],
                     "status_zh": status[0], "status_en": status[1], "alternatives_zh": r["alts"][0],
                     "alternatives_en": r["alts"][1], "switch": r["switch"], "note_zh": note[0],
                     "note_en": note[1]})
    return pd.DataFrame(rows)


def _flatten(value: Any) -> Any:
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(v) for v in value)
    return value
