"""One bilingual label table for units: every output (results, docs, report, figures) reads it.

Each unit has a Chinese and an English name (``UNITS[unit].zh`` / ``.en``, shown in tables and
the generated docs), a short English form for axis labels (``.short_en``; the Chinese name is
already short), and whether values are shares drawn as percentages (``.percent``).

:func:`unit_label` is what a figure calls: ``unit_label("share", "zh", short=True)`` gives ``"%"``.

Examples
--------
>>> unit_label("yuan_per_month", "en"), unit_label("yuan_per_month", "en", short=True)
('yuan per month', 'yuan/month')
>>> unit_label("share", "zh"), unit_label("share", "zh", short=True)
('比例', '%')
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Unit", "UNIT_TABLE", "unit_label", "LIKERT_LEVELS", "likert_label", "CATEGORY_LABELS"]


class Unit(NamedTuple):
    """Labels of one unit."""

    zh: str
    en: str
    short_en: str = ""
    percent: bool = False

    def label(self, lang: str = "zh", short: bool = False) -> str:
        """Name in ``lang``; ``short`` gives the axis form (``%`` for shares)."""
        if short and self.percent:
            return "%"
        if lang == "zh":
            return self.zh
        return (self.short_en or self.en) if short else self.en


#: Unit code -> labels: the one home of unit names.
UNIT_TABLE: dict[str, Unit] = {
    "share": Unit("比例", "share (0-1)", "share", percent=True),
    "yuan_per_month": Unit("元/月", "yuan per month", "yuan/month"),
    "yuan": Unit("元", "yuan"),
    "months": Unit("月", "months"),
    "persons": Unit("人", "persons"),
    "enterprises": Unit("家", "enterprises"),
    "positions": Unit("个", "positions"),
    "hours": Unit("学时", "teaching hours", "hours"),
    "person_days": Unit("人日", "person-days"),
    "students_per_teacher": Unit("生/师", "students per teacher", "students/teacher"),
    "yuan_per_student": Unit("元/生", "yuan per student", "yuan/student"),
    "positions_per_graduate": Unit("岗位/毕业生", "positions per graduate", "positions/graduate"),
    "posts_per_job_seeker": Unit("岗位/求职毕业生", "posts per job-seeking graduate", "posts/job seeker"),
    "hires_per_intern": Unit("录用/实习生", "hires per intern received", "hires/intern"),
    # cooperation mechanisms (issue 14)
    "bases": Unit("个", "bases"),
    "agreements": Unit("份", "agreements"),
    "events": Unit("次", "events"),
    "projects": Unit("项", "projects"),
    "patents": Unit("项", "patents"),
    "person_times": Unit("人次", "person-times"),
    "courses": Unit("门", "courses"),
    "textbooks": Unit("种", "textbooks"),
    "times": Unit("倍", "times"),
    "yuan_per_person": Unit("元/人", "yuan per person", "yuan/person"),
}


#: Likert score -> (Chinese, English): the one wording of the five answer levels every output uses.
#: Score 3 is worded 基本满意 on MyCOS-style forms and 一般 on many school forms; both are read as 3
#: (:data:`coopmetrics.schema.LIKERT_TEXT`), so the label names both rather than pick one.
LIKERT_LEVELS: dict[int, tuple[str, str]] = {
    5: ("很满意", "very satisfied"),
    4: ("满意", "satisfied"),
    3: ("基本满意/一般", "fairly satisfied / neutral"),
    2: ("不满意", "dissatisfied"),
    1: ("很不满意", "very dissatisfied"),
}

#: Destination-code categories of :mod:`coopmetrics.codes` profiles -> Chinese name (filter words).
CATEGORY_LABELS: dict[str, str] = {
    "placed": "已落实去向", "employed": "就业（不含升学）", "contract": "协议和合同就业", "flexible": "灵活就业",
    "self_employed": "自主创业", "further_study": "升学", "not_placed": "未落实（70/71/72）",
    "employed_unit": "单位就业", "freelance": "自由职业",
}


def likert_label(score: object, lang: str = "zh") -> str:
    """Label of a Likert score 1-5 (``"3"`` and ``3.0`` work too); anything else is shown as given.

    Examples
    --------
    >>> likert_label(3), likert_label(5.0, "en")
    ('基本满意/一般', 'very satisfied')
    """
    try:
        key = int(float(str(score)))
    except ValueError:
        return str(score)
    pair = LIKERT_LEVELS.get(key) if float(str(score)) == key else None
    return (pair[0] if lang == "zh" else pair[1]) if pair else str(score)


def unit_label(unit: object, lang: str = "zh", short: bool = False) -> str:
    """Label of a registry unit in ``lang`` (``"zh"``/``"en"``); an unknown unit is shown as given."""
    u = UNIT_TABLE.get(str(unit))
    return u.label(lang, short) if u is not None else ("" if unit is None else str(unit))
