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
from dataclasses import dataclass, field, fields, replace
from typing import Any, NamedTuple

import pandas as pd

from .codes import PROFILES
from .definitions.kinds import KIND_TABLE, Kind, KindDocs
from .definitions.kinds import comparison_kind as _comparison_kind
from .definitions.labels import UNIT_TABLE
from .definitions.ops import FILTER_OPS, OpDocs, column_zh
from .definitions.ops import describe as describe_filter
from .errors import InvalidOptionError, UnknownIndicatorError, check_option
from .schema import PROGRAMS, TABLES

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

#: Destination codes (and 2-digit families) that count as *employed* (placed but
#: not in further study): used as the population for salary, relevance,
#: turnover and where-they-work shares. Library convention [U]: MyCOS restricts
#: relevance and salary to 受雇全职, which the MoE codes cannot identify.
EMPLOYED_CODES: tuple[str, ...] = ("10", "11", "12", "27", "46", "50", "51", "75", "76", "77")
FURTHER_STUDY_CODES: tuple[str, ...] = ("80", "81", "82", "85")

# --- definition options ---------------------------------------------------------------------

DUAL_DEFINITIONS = ("school_flag", "2004_evaluation", "2022_standard")
PAY_RULES = ("2021", "2016")
SURVEY_WEIGHTS = ("raking", "column", None)

#: Default top-box levels per survey instrument: scores 5 and 4 (很满意, 满意) — the
#: "top-2-box" convention of MyCOS 2014 [V]; many school surveys also count 基本满意 (3) [U].
DEFAULT_SATISFIED: dict[str, tuple[Any, ...]] = {
    "internship": (5, 4), "employment": (5, 4), "school": (5, 4), "employer": (5, 4),
}
#: Levels removed from the denominator (MyCOS excludes 无法评估 [V]).
DEFAULT_EXCLUDED: dict[str, tuple[str, ...]] = {
    k: ("无法评估", "不适用", "无法回答", "不清楚") for k in DEFAULT_SATISFIED
}

#: Headers (item names) of each instrument's single overall question, the item the 计分卡's
#: 母校满意度 / 实习满意度 / 就业满意度 / 雇主满意度 report (质量年报 计分卡 "母校总体满意度" [V];
#: the others by analogy [U]). Matched after normalisation (full-width to half-width, spaces and
#: punctuation removed); a header containing one of these names (e.g. "5. 您对母校的总体满意度")
#: matches when no header equals one. Add a school's own wording with ``Options(overall_items=...)``.
_OVERALL_EN = ("overall satisfaction", "overall")
OVERALL_ITEMS: dict[str, tuple[str, ...]] = {
    "school": ("母校总体满意度", "对母校的总体满意度", "对母校总体满意度", "母校满意度", "校友总体满意度",
               "总体满意度", "总体评价", "总体", *_OVERALL_EN),
    "internship": ("实习总体满意度", "对实习的总体满意度", "对实习总体满意度", "岗位实习总体满意度",
                   "顶岗实习总体满意度", "实习满意度", "总体满意度", "总体评价", "总体", *_OVERALL_EN),
    "employment": ("就业总体满意度", "对就业的总体满意度", "就业现状满意度", "对目前工作的总体满意度",
                   "工作总体满意度", "就业满意度", "总体满意度", "总体评价", "总体", *_OVERALL_EN),
    "employer": ("对毕业生总体满意度", "对毕业生的总体满意度", "对我校毕业生的总体满意度", "雇主总体满意度",
                 "用人单位总体满意度", "雇主满意度", "总体满意度", "总体评价", "总体", *_OVERALL_EN),
}

#: Programmes counted as a school-enterprise partnership by default (library convention [U]):
#: the class types of 《职业学校校企合作促进办法》(2018) forms. 企业新型学徒制 (an employee
#: scheme, 人社部发〔2018〕66号) is a separate category and not counted: its trainees are employees.
PARTNER_PROGRAMS: tuple[str, ...] = ("order_class", "named_class", "apprenticeship", "dual_system_class",
                                     "sponsored_class")
RELEVANCE_SCOPES = ("all", "stem_agri_med")
SURVEY_SES = ("calibrated", "weighted")


@dataclass(frozen=True)
class Options:
    """Definition choices, echoed in the ``edition`` column of every result.

    Parameters
    ----------
    profile : {"moe_2021", "moe_2024", "legacy"}
        Destination-code grouping for the placement rate (see :mod:`coopmetrics.codes`).
        ``moe_2024`` is provisional (its code mapping is unverified).
    dual_definition : {"school_flag", "2004_evaluation", "2022_standard"}
        How a teacher counts as 双师: the export's 是否双师素质教师 flag; the 2004
        evaluation conditions computed from teacher attributes (lecturer or above
        and one industry condition; approximated from the columns present,
        provisional); or a certified level under the 2022 standard.
    practice_days : float, default 180
        Days of enterprise practice in five years that satisfy the six-month rule.
    pay_rule : {"2021", "2016"}
        Internship pay rule: 2021 (>= 80 % of the post wage, or the lowest-grade
        wage) or 2016 (>= 80 % of the probation wage).
    satisfied_levels, exclude_levels : mapping
        Per survey kind: top-box levels (scores 1-5 and/or answer texts) and answer
        texts removed from the denominator.
    survey_items : mapping
        Per survey kind: tuple of item names to use, or None for all items of the
        kind (a respondent's items then form one cluster).
    survey_weights : {"raking", "column", None}
        Rake respondents to the graduate roster's margins; use the survey table's own
        ``weight`` column (weights shipped with a national or vendor survey; the whole
        computation then runs inside the engine, see docs/scale.md); or leave unweighted.
    raking_variables : tuple of str
        Roster columns raked to (those present are used).
    partner_programs : tuple of str
        ``program`` values that count as a partnership program.
    as_of : str, optional
        Reporting date of the destination data (e.g. ``"2024-08-31"``), echoed in ``edition``.
    overall_items : mapping
        Per survey kind: headers of the single overall question (see :data:`OVERALL_ITEMS`);
        ``<kind>_satisfaction`` uses this item only. Names given replace the defaults of that kind.
    relevance_scope : {"all", "stem_agri_med"}
        Majors in 专业相关度: all majors, or only 理工农医类 majors as on the 质量年报 计分卡 [V]
        (major category from the first two digits of the 6-digit 专业代码, 2021 目录; which
        大类 count as 理工农医 is a convention [U], see :data:`coopmetrics.codes.STEM_AGRI_MED`).
    survey_se : {"calibrated", "weighted"}
        Standard error of raked survey shares: linearised with the raking (calibration)
        margins as R ``survey::calibrate`` gives (residuals of the linearised share on the
        margins), or the plain weighted-ratio linearisation that treats weights as fixed.

    Examples
    --------
    >>> Options(profile="moe_2024").profile
    'moe_2024'
    >>> Options(pay_rule="2019")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    coopmetrics.errors.InvalidOptionError: Options() 的参数 'pay_rule' 只能取 '2021', '2016'，收到 '2019'...
    """

    profile: str = "moe_2021"
    dual_definition: str = "school_flag"
    practice_days: float = 180
    pay_rule: str = "2021"
    satisfied_levels: Mapping[str, tuple[Any, ...]] = field(default_factory=lambda: dict(DEFAULT_SATISFIED))
    exclude_levels: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_EXCLUDED))
    survey_items: Mapping[str, tuple[str, ...] | None] = field(default_factory=dict)
    survey_weights: str | None = "raking"
    raking_variables: tuple[str, ...] = ("major", "program", "gender")
    partner_programs: tuple[str, ...] = PARTNER_PROGRAMS
    as_of: str | None = None
    overall_items: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(OVERALL_ITEMS))
    relevance_scope: str = "all"
    survey_se: str = "calibrated"

    def __post_init__(self) -> None:
        check_option("profile", self.profile, list(PROFILES), "Options")
        check_option("dual_definition", self.dual_definition, DUAL_DEFINITIONS, "Options")
        check_option("pay_rule", str(self.pay_rule), PAY_RULES, "Options")
        check_option("survey_weights", self.survey_weights, SURVEY_WEIGHTS, "Options")
        check_option("relevance_scope", self.relevance_scope, RELEVANCE_SCOPES, "Options")
        check_option("survey_se", self.survey_se, SURVEY_SES, "Options")
        if not isinstance(self.practice_days, (int, float)) or self.practice_days <= 0:
            raise InvalidOptionError(
                f"practice_days 必须是正数，收到 {self.practice_days!r}",
                f"practice_days must be a positive number, got {self.practice_days!r}",
            )
        # fill kinds the user did not mention with the defaults
        sat = dict(DEFAULT_SATISFIED)
        sat.update(self.satisfied_levels)
        exc = dict(DEFAULT_EXCLUDED)
        exc.update(self.exclude_levels)
        ovr = dict(OVERALL_ITEMS)
        ovr.update({k: tuple(v) for k, v in self.overall_items.items()})
        object.__setattr__(self, "overall_items", ovr)
        object.__setattr__(self, "satisfied_levels", sat)
        object.__setattr__(self, "exclude_levels", exc)
        object.__setattr__(self, "pay_rule", str(self.pay_rule))

    def __hash__(self) -> int:  # dict fields: hash a canonical form so Options can key caches
        def freeze(v: Any) -> Any:
            return tuple(sorted((str(k), repr(x)) for k, x in v.items())) if isinstance(v, Mapping) else v

        return hash(tuple(freeze(getattr(self, f)) for f in self.__dataclass_fields__))

    def describe(self, names: Iterable[str], kind: str | None = None) -> str:
        """Short text of the option values named (for the ``edition`` column)."""
        parts = []
        for name in names:
            if name == "profile":
                prof = PROFILES[self.profile]
                parts.append(f"profile={self.profile}" + (" (provisional)" if prof.provisional else ""))
            elif name == "dual_definition":
                parts.append(f"dual_definition={self.dual_definition}" + (
                    " (provisional)" if OPTION_INFO["dual_definition"].grade_of(self.dual_definition) == "U" else ""))
            elif name == "overall_items" and kind:
                names_ = self.overall_items.get(kind, ())
                parts.append(f"overall_item={names_[0] if names_ else 'none'}")
            elif name in ("satisfied_levels", "exclude_levels", "survey_items") and kind:
                val = getattr(self, name).get(kind)
                parts.append(f"{name}={list(val) if val is not None else 'all'}")
            elif name == "survey_items" and kind:
                parts.append(f"survey_items={self.survey_items.get(kind)}")
            else:
                parts.append(f"{name}={getattr(self, name)}")
        if self.as_of:
            parts.append(f"as_of={self.as_of}")
        return "; ".join(parts)

    def with_(self, **changes: Any) -> Options:
        """Return a copy with some fields changed (validated again)."""
        return replace(self, **changes)


# --- definition options as data: names, grades, sources, choices --------------------------------

#: Grades an option or one of its choices may carry: the evidence grades of definitions-cn.md,
#: plus ``setting`` for analysis settings that are no official definition at all.
OPTION_GRADES: tuple[str, ...] = ("V", "V-2", "U", "setting")


class Choice(NamedTuple):
    """One listed value of a definition option: its words and evidence grade.

    Examples
    --------
    >>> OPTION_INFO["pay_rule"].choices["2016"].grade
    'V'
    """

    zh: str
    en: str
    grade: str


@dataclass(frozen=True)
class OptionInfo:
    """What one :class:`Options` field means, how sure we are of it, and its listed values.

    Attributes
    ----------
    field : str
        The :class:`Options` field.
    name_zh, name_en : str
        Display names.
    grade : {"V", "V-2", "U", "setting"}
        Evidence grade of the option as a whole; it applies to any value not listed in
        ``choices`` (free values such as a number of days, or per-survey mappings).
        ``setting`` marks an analysis setting, not an official definition.
    source : str
        Short citation (section of ``shared/reference/definitions-cn.md``).
    choices : mapping
        Listed values -> :class:`Choice` (words and grade). For tuple-valued options
        (``raking_variables``, ``partner_programs``) the known elements of the tuple.
    cli_switch : str, optional
        ``coopmetrics report`` switch that sets the option, or None.
    cli_values : mapping
        Value -> its spelling on the command line, where it differs from ``str(value)``
        (``None`` is ``none``; ``--top-box 2`` stands for the scores ``(5, 4)``).
    alternatives : (str, str)
        Chinese and English words for the values one may choose instead, for options whose
        values are not (only) the listed choices.
    example : str
        A Python spelling of a non-default value, for options without a CLI switch.
    note : (str, str)
        What the default value rests on, where a grade alone says too little.

    Examples
    --------
    >>> info = OPTION_INFO["dual_definition"]
    >>> info.grade_of("school_flag"), info.grade_of("2004_evaluation")
    ('V-2', 'U')
    >>> info.cli_value("2004_evaluation"), OPTION_INFO["survey_weights"].cli_value(None)
    ('2004_evaluation', 'none')
    """

    field: str
    name_zh: str
    name_en: str
    grade: str
    source: str
    choices: Mapping[Any, Choice] = field(default_factory=dict)
    cli_switch: str | None = None
    cli_values: Mapping[Any, str] = field(default_factory=dict)
    alternatives: tuple[str, str] = ("", "")
    example: str = ""
    note: tuple[str, str] = ("", "")

    def choice(self, value: Any) -> Choice | None:
        """The listed :class:`Choice` for ``value``, or None (unlisted or unhashable values)."""
        try:
            return self.choices.get(value)
        except TypeError:  # a mapping value (per-survey levels) is never a listed choice
            return None

    def grade_of(self, value: Any) -> str:
        """Evidence grade of ``value``: its choice's grade, else the option's grade."""
        c = self.choice(value)
        return c.grade if c is not None else self.grade

    def cli_value(self, value: Any) -> str:
        """Spelling of ``value`` after :attr:`cli_switch`."""
        try:
            return self.cli_values.get(value, str(value))
        except TypeError:
            return str(value)


#: Every :class:`Options` field described as data (checked by :func:`validate_registry`).
OPTION_INFO: dict[str, OptionInfo] = {info.field: info for info in (
    OptionInfo(
        "profile", "毕业去向归类口径", "Destination-code profile", "V-2",
        "codes.PROFILES; 2021 grouping and legacy 就业率 [V-2], 2024 mapping of 单位就业 [U]; definitions-cn.md §1.2",
        # grades derive from codes.PROFILES' provisional flag, never restated here
        choices={pid: Choice(p.label_zh, p.label_en, "U" if p.provisional else "V-2") for pid, p in PROFILES.items()},
        cli_switch="--profile",
    ),
    OptionInfo(
        "dual_definition", "双师认定口径", "双师 (dual-qualified) definition", "U",
        "状态数据 flag 是否双师素质教师 [V-2]; 2004 高职高专 conditions [U on exact wording]; 2022 standard "
        "per-level conditions [U]; definitions-cn.md §3.1-3.2",
        choices={
            "school_flag": Choice("按导出数据的“是否双师素质教师”标记", "the export's 是否双师素质教师 flag", "V-2"),
            "2004_evaluation": Choice("按2004评估方案条件计算（讲师及以上且满足一项行业条件，按现有列近似）",
                                      "2004 evaluation conditions computed from teacher columns (approximate)", "U"),
            "2022_standard": Choice("按2022《职业教育“双师型”教师基本标准（试行）》认定等级",
                                    "certified level under the 2022 national standard", "U"),
        },
        cli_switch="--dual",
    ),
    OptionInfo(
        "practice_days", "企业实践达标天数（5年累计）", "Enterprise-practice days needed (5 years)", "U",
        "《职业学校教师企业实践规定》(2016) 第四条: 每5年累计不少于6个月 [V]; 6个月 in days [U]; definitions-cn.md §3.3",
        cli_switch="--practice-days",
        alternatives=("任意正数天数，如 180（日历日）或按工作日折算的天数",
                      "any positive number of days, e.g. 180 calendar days or a working-day count"),
    ),
    OptionInfo(
        "pay_rule", "实习报酬合规规则", "Internship pay rule", "V",
        "2021《职业学校学生实习管理规定》第十八条 [V]; 2016 教职成〔2016〕3号 第十七条 [V]; definitions-cn.md §4.1",
        choices={
            "2021": Choice("2021规定：不低于相同岗位工资的80%或最低档工资",
                           "2021 rule: >= 80 % of the post wage or the lowest-grade wage", "V"),
            "2016": Choice("2016规定：不低于相同岗位试用期工资的80%", "2016 rule: >= 80 % of the probation wage", "V"),
        },
        cli_switch="--pay-rule",
    ),
    OptionInfo(
        "satisfied_levels", "满意口径（计为“满意”的选项）", "Satisfied levels (answers counted as satisfied)", "U",
        "MyCOS 2014 校友满意度 top-2-box [V]; 基本满意 as satisfied [U]; no national formula for 实习/雇主满意度 "
        "[U]; definitions-cn.md §2.3, §4.2",
        # the scores a --top-box choice sets for every survey kind
        choices={(5, 4): Choice("很满意、满意（top-2-box，麦可思2014口径）",
                                "very satisfied, satisfied (top-2-box, MyCOS 2014)", "V"),
                 (5, 4, 3): Choice("很满意、满意、基本满意（许多学校报告的口径）",
                                   "very satisfied, satisfied, fairly satisfied (many school reports)", "U")},
        cli_switch="--top-box", cli_values={(5, 4): "2", (5, 4, 3): "3"},
        alternatives=("很满意、满意、基本满意（许多学校报告的口径 [U]）；或任意分值/选项文字组合",
                      "very satisfied, satisfied, fairly satisfied (used by many school reports [U]); or any "
                      "set of scores/answer texts"),
        example='Options(satisfied_levels={"school": (5, 4, 3)})',
        note=("母校满意度“很满意+满意”为麦可思2014口径[V]；实习、就业、雇主满意度无全国口径[U]",
              "top-2-box is the MyCOS 2014 convention for school satisfaction [V]; "
              "internship, employment and employer satisfaction have no national formula [U]"),
    ),
    OptionInfo(
        "exclude_levels", "不计入分母的选项", "Answers removed from the denominator", "U",
        "MyCOS 2014 excludes 无法评估 [V]; 不适用/无法回答/不清楚 library convention [U]; definitions-cn.md §2.3, §4.3",
        alternatives=("任意选项文字组合，如只剔除“无法评估”", "any set of answer texts, e.g. only 无法评估"),
        example='Options(exclude_levels={"school": ("无法评估",)})',
        note=("剔除“无法评估”为麦可思口径[V]；其余为库约定[U]",
              "removing 无法评估 is the MyCOS convention [V]; the others are a library convention [U]"),
    ),
    OptionInfo(
        "survey_items", "问卷题目范围", "Survey items used", "setting",
        "analysis setting (which questionnaire items form the indicator)",
        alternatives=("每类问卷指定题目名称", "named items per survey"),
        example='Options(survey_items={"school": ("题目名",)})',
    ),
    OptionInfo(
        "survey_weights", "问卷加权", "Survey weighting", "setting",
        "analysis setting; non-response raking per methods-intl.md §3.2; MyCOS re-weights [V-2] "
        "definitions-cn.md §4.3",
        choices={"raking": Choice("按毕业生名册边际加权（raking）", "raked to the graduate roster's margins", "setting"),
                 "column": Choice("使用问卷数据自带的权重列", "the survey's own weight column", "setting"),
                 None: Choice("不加权", "unweighted", "setting")},
        cli_switch="--weights", cli_values={None: "none"},
    ),
    OptionInfo(
        "raking_variables", "加权所用名册变量", "Roster variables raked to", "setting",
        "analysis setting (roster margins for raking); methods-intl.md §3.2",
        choices={"major": Choice("专业", "major", "setting"), "program": Choice("培养模式", "programme", "setting"),
                 "gender": Choice("性别", "gender", "setting"), "department": Choice("院系", "department", "setting"),
                 "admission": Choice("招生类型", "admission type", "setting")},
        alternatives=("毕业生名册中的任意列组合", "any roster columns"),
        example='Options(raking_variables=("major", "gender"))',
    ),
    OptionInfo(
        "partner_programs", "计为校企合作培养的班级类型", "Programmes counted as partnership", "U",
        "library convention [U]; 学徒制 and 订单培养 as cooperation forms: 校企合作促进办法 2018 [V], "
        "状态数据 A7-5 订单培养人数 [V-2]; definitions-cn.md §5.1-5.3",
        choices={"order_class": Choice(PROGRAMS["order_class"], "order class", "U"),
                 "named_class": Choice(PROGRAMS["named_class"], "named class", "U"),
                 "apprenticeship": Choice(PROGRAMS["apprenticeship"], "modern apprenticeship (students)", "U"),
                 "dual_system_class": Choice(PROGRAMS["dual_system_class"], "school-enterprise dual-system class",
                                             "U"),
                 "sponsored_class": Choice(PROGRAMS["sponsored_class"], "commissioned (定向委培) class", "U"),
                 "new_apprenticeship": Choice(PROGRAMS["new_apprenticeship"],
                                              "enterprise new apprenticeship (employees; not in the default)", "U"),
                 "other": Choice(PROGRAMS["other"], "other class type (unknown labels land here, flagged)", "U"),
                 "regular": Choice(PROGRAMS["regular"], "regular class", "U")},
        alternatives=("program 列中任意取值的组合（库约定 [U]）",
                      "any set of values of the program column (library convention [U])"),
        example='Options(partner_programs=("order_class", "apprenticeship"))',
    ),
    OptionInfo(
        "overall_items", "总体满意度题目", "Overall-satisfaction item", "U",
        "质量年报 计分卡 母校满意度 = 母校总体满意度 [V]; 实习/就业/雇主 overall item by analogy [U]; "
        "definitions-cn.md §2.1-2.2, §4.2-4.3",
        alternatives=("每类问卷指定总体满意度题目的表头（替换默认别名）",
                      "per survey, the header of its overall question (replaces the default aliases)"),
        example='Options(overall_items={"school": ("您对母校的总体评价",)})',
        note=("计分卡的满意度是单一总体题目，不是各题合并；各题合并见 *_satisfaction_items",
              "scorecard satisfaction is the single overall question, not the pool of items; "
              "the pool is *_satisfaction_items"),
    ),
    OptionInfo(
        "relevance_scope", "专业相关度的专业范围", "Majors in job-major relevance", "U",
        "质量年报 计分卡 理工农医类专业相关度 [V]; 专业大类 = first two digits of the 2021 高职专科专业目录 code "
        "[V]; which 大类 are 理工农医 is a convention [U]; definitions-cn.md §2.1, §4.3; codes.MAJOR_CATEGORIES",
        choices={"all": Choice("全部专业", "all majors", "U"),
                 "stem_agri_med": Choice("仅理工农医类专业（专业代码前两位41-52，计分卡口径）",
                                         "理工农医 majors only (code prefix 41-52, scorecard item)", "U")},
        # CLI switch proposed to the CLI's owner: --relevance-majors {all,stem_agri_med}
        example='Options(relevance_scope="stem_agri_med")',
    ),
    OptionInfo(
        "survey_se", "问卷加权比例的标准误", "Standard error of weighted survey shares", "setting",
        "analysis setting; calibration (raking) linearisation as R survey::calibrate (Deville & Särndal 1992); "
        "docs/statistics.md",
        choices={"calibrated": Choice("考虑加权校准（对加权边际回归残差线性化）",
                                      "calibration-aware linearisation (residuals on the raking margins)", "setting"),
                 "weighted": Choice("权重视为固定的比估计线性化", "ratio linearisation with weights taken as fixed",
                                    "setting")},
        example='Options(survey_se="weighted")',
    ),
    OptionInfo(
        "as_of", "去向数据截止日期", "Destination data as of", "setting",
        "reporting date; initial (9月1日) and year-end rates differ, so every rate carries it [V-2]; "
        "definitions-cn.md §1.2",
        alternatives=("任意日期，如初次（9月1日）或年终（12月31日）统计日",
                      "any date, e.g. the initial (1 Sept) or year-end (31 Dec) reporting date"),
        example='Options(as_of="2024-08-31")',
    ),
)}

#: Allowed values per option, as the option's own check knows them: every listed choice
#: must be one of these (checked by :func:`validate_registry`). ``complete`` options must
#: list every allowed value, so each one can be described.
_OPTION_VALUES: dict[str, tuple[Iterable[Any], bool]] = {
    "profile": (tuple(PROFILES), True),
    "dual_definition": (DUAL_DEFINITIONS, True),
    "pay_rule": (PAY_RULES, True),
    "survey_weights": (SURVEY_WEIGHTS, True),
    "relevance_scope": (RELEVANCE_SCOPES, True),
    "survey_se": (SURVEY_SES, True),
    "partner_programs": (tuple(PROGRAMS), False),
    "raking_variables": (tuple(TABLES["graduates"].names), False),
}


def _option_issues(option_info: Mapping[str, OptionInfo]) -> list[str]:
    """Problems of the option table: coverage of Options, grades, choices within the allowed values."""
    issues: list[str] = []
    names = [f.name for f in fields(Options)]
    defaults = Options()
    for name in names:
        if name not in option_info:
            issues.append(f"option {name}: no OptionInfo")
    for key, info in option_info.items():
        p = f"option {key}:"
        if key not in names:
            issues.append(f"{p} not an Options field")
        if info.field != key:
            issues.append(f"{p} OptionInfo.field is {info.field!r}")
        for attr in ("name_zh", "name_en", "source"):
            if not str(getattr(info, attr)).strip():
                issues.append(f"{p} {attr} is empty")
        if info.grade not in OPTION_GRADES:
            issues.append(f"{p} grade {info.grade!r} not one of {OPTION_GRADES}")
        for value, c in info.choices.items():
            if c.grade not in OPTION_GRADES:
                issues.append(f"{p} choice {value!r} grade {c.grade!r} not one of {OPTION_GRADES}")
            if not (c.zh.strip() and c.en.strip()):
                issues.append(f"{p} choice {value!r} needs Chinese and English words")
        if key in _OPTION_VALUES:
            allowed, complete = _OPTION_VALUES[key]
            allowed = tuple(allowed)
            for value in info.choices:
                if value not in allowed:
                    issues.append(f"{p} choice {value!r} is not an allowed value {allowed}")
            if complete:
                for value in allowed:
                    if value not in info.choices:
                        issues.append(f"{p} allowed value {value!r} has no choice")
        if key == "profile":
            for pid, c in info.choices.items():
                if pid in PROFILES and (c.grade == "U") != PROFILES[pid].provisional:
                    issues.append(f"{p} choice {pid!r} grade {c.grade!r} disagrees with codes.PROFILES provisional")
        if key == "satisfied_levels":
            for value in info.choices:
                if not all(isinstance(s, int) and 1 <= s <= 5 for s in value):
                    issues.append(f"{p} choice {value!r} is not a tuple of scores 1-5")
        if info.cli_values and info.cli_switch is None:
            issues.append(f"{p} cli_values without a cli_switch")
        for value in info.cli_values:
            if info.choice(value) is None:
                issues.append(f"{p} cli value for {value!r}, which is not a choice")
        if info.cli_switch is None and not info.example:
            issues.append(f"{p} no CLI switch and no Python example")
        if key in _OPTION_VALUES and _OPTION_VALUES[key][1] and info.choice(getattr(defaults, key)) is None:
            issues.append(f"{p} default {getattr(defaults, key)!r} is not a choice")
    return issues


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

    def edition_text(self, options: Options) -> str:
        """Edition plus the option values this indicator depends on."""
        text = self.edition
        if self.provisional and "provisional" not in text and "convention" not in text:
            text += " (provisional)"
        extra = options.describe(self.options_used, kind=self.survey_kind)
        return f"{text}; {extra}" if extra else text


def filter_columns(f: Filter, options: Options) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(required, optional) columns a filter reads under ``options`` (from its registered op)."""
    op = FILTER_OPS.get(f.op)
    return op.columns(f, options) if op is not None else ((f.column,), ())


_col_zh = column_zh  # kept for callers of the old private name


def _describe_filter(f: Filter, lang: str) -> str:
    return describe_filter(f, lang)


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


# --- declarations ------------------------------------------------------------------------------

_EMPLOYED = Filter("destination_code", "in_codes", EMPLOYED_CODES)
_SEEKING = Filter("destination_code", "not_in_codes", (*FURTHER_STUDY_CODES, "46"))
_FT = Filter("category", "eq", "full_time")
_PROF = Filter("is_professional", "is_true")
#: 聘请校外教师 of 教发〔2004〕2号: teachers engaged from outside the college (firms, other schools)
_OUTSIDE = Filter("category", "in", ("enterprise_part_time", "external_part_time"))

_SRC_2021 = "教学厅函〔2021〕19号 附件1 (via secondary sources) [V-2]; definitions-cn.md §1.2"
_SRC_2024 = "教就业厅函〔2024〕11号; code mapping of 单位就业 unverified [U]; definitions-cn.md §1.2"
_SRC_MYCOS = "MyCOS (麦可思) convention [U]; definitions-cn.md §4.3"
_SRC_A76 = "状态数据 A7-6-2 / ODS_BYQXJYSJ fields [V-2]; ratio is a library convention [U]; definitions-cn.md §1.3, §6.2"
_SRC_SERVICE = "质量年报 服务贡献表 A–D 类 rows [U] (A and C rows [V] as narrative figures); definitions-cn.md §2.2"
_SRC_A74 = "状态数据 A7-4 顶岗实习表 (derived ratio, not official) [V-2]; definitions-cn.md §6.2"
_SRC_A75 = "状态数据 A7-5 产学合作表 / ODS_CXHZSJ [V-2]; definitions-cn.md §5.1"


def _prop(id: str, zh: str, en: str, table: str, population: tuple[Filter, ...], success: tuple[Filter, ...],
          **kw: Any) -> Indicator:
    """A proportion: numerator = population ∧ success (so numerator ⊆ denominator)."""
    return Indicator(
        id, zh, en, "share", "proportion", table,
        numerator=Measure("count", where=population + success),
        denominator=Measure("count", where=population),
        **kw,
    )


_SURVEY_PEOPLE = ("Numerator and denominator count respondents (people), never item answers; response_rate = "
                  "respondents of the questionnaire / graduates of the group.")


def _survey(kind: str, zh: str, en: str, source: str, grade: str, notes: str) -> Indicator:
    """The scorecard figure: top-box share of the single overall question (found by header)."""
    # valid_answer: survey_items (which items the pool uses) does not touch the overall question
    pop = (Filter("survey_kind", "eq", kind), Filter("item", "overall_item", kind),
           Filter("response", "valid_answer", kind))
    return Indicator(
        f"{kind}_satisfaction", zh, en, "share", "weighted_proportion", "survey",
        numerator=Measure("count", where=pop + (Filter("response", "satisfied", kind),)),
        denominator=Measure("count", where=pop),
        direction="higher", target=None,
        edition="overall item, top-box share (provisional)", source=source, grade=grade,
        options_used=("overall_items", "satisfied_levels", "exclude_levels", "survey_weights"),
        provisional=True, notes=f"{notes} {_SURVEY_PEOPLE}", survey_kind=kind,
    )


def _survey_pool(kind: str, zh: str, en: str) -> Indicator:
    """Every item of a questionnaire pooled: each respondent's share of top-box answers, averaged."""
    pop = (Filter("survey_kind", "eq", kind), Filter("response", "valid_response", kind))
    return Indicator(
        f"{kind}_satisfaction_items", zh, en, "share", "weighted_proportion", "survey",
        numerator=Measure("count", where=pop + (Filter("response", "satisfied", kind),)),
        denominator=Measure("count", where=pop),
        direction="higher", target=None,
        edition="all items pooled per respondent, library convention (provisional)",
        source="library convention [U]; not a 计分卡 figure; definitions-cn.md §2.2, §4.2", grade="U",
        options_used=("satisfied_levels", "exclude_levels", "survey_items", "survey_weights"),
        provisional=True, survey_kind=kind,
        notes="Each respondent counts once: their share of top-box answers among the items they rated "
              "(survey_items selects items); the estimate is the (weighted) mean of these shares, the "
              "numerator the sum of the shares (respondent-equivalents), the denominator respondents. "
              "Per-item shares: group by item (by=(..., 'item')), one answer per respondent.",
    )


def _ratio(id: str, zh: str, en: str, unit: str, num: Measure, den: Measure, **kw: Any) -> Indicator:
    return Indicator(id, zh, en, unit, "ratio_of_sums", num.table or "enterprises", numerator=num,
                     denominator=den, **kw)


def _total(id: str, zh: str, en: str, unit: str, column: str, source: str, grade: str = "V-2",
           notes: str = "") -> Indicator:
    return Indicator(id, zh, en, unit, "sum", "enterprises", numerator=Measure("sum", column),
                     denominator=None, direction="higher", target=None, edition="状态数据 A7-5 (2016 V2.16)",
                     source=source, grade=grade, provisional=grade == "U",
                     notes=notes or "Missing values count as 0 in the total.")


REGISTRY: tuple[Indicator, ...] = (
    # --- graduates: destinations -----------------------------------------------------------------
    Indicator(
        "graduates_total", "毕业生总数", "Number of graduates", "persons", "count", "graduates",
        numerator=Measure("count"), denominator=None, direction="none", target=None,
        edition="毕业生总数", source=_SRC_2021, grade="V-2",
        notes="Every graduate row, whatever the destination code (the denominator of all MoE rates).",
    ),
    _prop("placement_rate", "毕业去向落实率", "Placement rate", "graduates", (),
          (Filter("destination_code", "in_profile", (None, "placed")),),
          direction="higher", target=None, edition="毕业去向落实率 (profile-dependent)",
          source="codes.PROFILES: moe_2021 " + _SRC_2021 + "; moe_2024 " + _SRC_2024 + "; legacy 就业率 [V-2]",
          grade="V-2", options_used=("profile",),
          notes="Denominator: all graduates (毕业生总数). Missing or unknown codes stay in the denominator and "
                "never count as placed; see unknown_destination_share."),
    _prop("contract_employment_rate", "协议和合同就业率", "Contract and agreement employment rate", "graduates", (),
          (Filter("destination_code", "in_profile", ("moe_2021", "contract")),),
          direction="higher", target=None, edition="教学厅函〔2021〕19号 (moe_2021 grouping)", source=_SRC_2021,
          grade="V-2", notes="Codes 10, 11, 27/271, 46, 50x, 51x over all graduates; fixed to the 2021 grouping."),
    _prop("flexible_employment_rate", "灵活就业率", "Flexible employment rate", "graduates", (),
          (Filter("destination_code", "in_profile", ("moe_2021", "flexible")),),
          direction="none", target=None, edition="教学厅函〔2021〕19号 (moe_2021 grouping)", source=_SRC_2021,
          grade="V-2", notes="Codes 12, 76, 77 over all graduates; school groupings differ (some add 11)."),
    _prop("self_employment_rate", "自主创业比例", "Self-employment rate", "graduates", (),
          (Filter("destination_code", "in_codes", ("75",)),),
          direction="higher", target=None, edition="教学厅函〔2021〕19号 / 〔2024〕11号 (code 75)",
          source=_SRC_2021 + "; 质量年报 计分卡 自主创业比例 [V]", grade="V-2"),
    _prop("further_study_rate", "升学率", "Further-study rate", "graduates", (),
          (Filter("destination_code", "in_codes", FURTHER_STUDY_CODES),),
          direction="none", target=None, edition="教学厅函〔2021〕19号 (80x, 81, 82, 85)", source=_SRC_2021,
          grade="V-2", notes="80x (incl. 专升本, whose 3-digit code is unverified) and 85 (abroad)."),
    _prop("unit_employment_rate", "单位就业率", "Unit employment rate (2024 edition)", "graduates", (),
          (Filter("destination_code", "in_profile", ("moe_2024", "employed_unit")),),
          direction="higher", target=None, edition="教就业厅函〔2024〕11号 (provisional code mapping)",
          source=_SRC_2024, grade="U", provisional=True,
          notes="Assumed codes 10, 11, 12, 27x, 46, 50x, 51x."),
    _prop("freelance_rate", "自由职业率", "Freelance rate (2024 edition)", "graduates", (),
          (Filter("destination_code", "in_profile", ("moe_2024", "freelance")),),
          direction="none", target=None, edition="教就业厅函〔2024〕11号 (provisional code mapping)",
          source=_SRC_2024, grade="U", provisional=True, notes="Assumed codes 76, 77."),
    _prop("not_placed_rate", "未落实去向比例", "Share not placed (70/71/72)", "graduates", (),
          (Filter("destination_code", "in_codes", ("70", "71", "72")),),
          direction="lower", target=None, edition="codes 70/71/72", source=_SRC_2021, grade="V-2"),
    Indicator(
        "unknown_destination_count", "去向代码缺失或无法识别人数", "Graduates with missing or unknown code",
        "persons", "count", "graduates",
        numerator=Measure("count", where=(Filter("destination_code", "unknown_code"),)), denominator=None,
        direction="lower", target=0.0, edition="codes.DESTINATION_CODES", source=_SRC_2021, grade="V-2",
        notes="Never counted as placed; fix them in the export (see the validation report).",
    ),
    _prop("unknown_destination_share", "去向代码缺失或无法识别比例", "Share with missing or unknown code",
          "graduates", (), (Filter("destination_code", "unknown_code"),),
          direction="lower", target=0.0, edition="codes.DESTINATION_CODES", source=_SRC_2021, grade="V-2"),
    # --- graduates: jobs -------------------------------------------------------------------------
    _prop("job_relevance_rate", "专业相关度（专业对口率）", "Job-major relevance", "graduates",
          (_EMPLOYED, Filter("job_relevant", "notnull"), Filter("major_code", "relevance_scope")),
          (Filter("job_relevant", "is_true"),),
          direction="higher", target=None, edition="是否对口 / employed (library convention)",
          source=_SRC_A76 + "; MyCOS 工作与专业相关度 [V-2]; 计分卡 理工农医类专业相关度 [V] with "
                 "relevance_scope='stem_agri_med'", grade="U", provisional=True, options_used=("relevance_scope",),
          notes="Among employed graduates (codes in EMPLOYED_CODES) with the relevance recorded; "
                "MyCOS restricts to 受雇全职, which destination codes cannot identify. The 计分卡 item "
                "理工农医类专业相关度 is Options(relevance_scope='stem_agri_med'): majors whose 专业代码 starts "
                "41-52 (2021 目录 大类; grouping a convention [U])."),
    Indicator(
        "salary_mean", "月收入（平均）", "Mean monthly salary", "yuan_per_month", "mean", "graduates",
        numerator=Measure("mean", "monthly_salary", where=(_EMPLOYED, Filter("monthly_salary", "notnull"))),
        denominator=None, direction="higher", target=None, edition="月收入 among employed (convention)",
        source=_SRC_MYCOS + "; 状态数据 起薪线 [V-2]", grade="U", provisional=True,
        notes="Mean over employed graduates with a salary recorded; t interval.",
    ),
    Indicator(
        "salary_median", "月收入（中位数）", "Median monthly salary", "yuan_per_month", "median", "graduates",
        numerator=Measure("median", "monthly_salary", where=(_EMPLOYED, Filter("monthly_salary", "notnull"))),
        denominator=None, direction="higher", target=None, edition="月收入 among employed (convention)",
        source=_SRC_MYCOS + "; 状态数据 起薪线 [V-2]", grade="U", provisional=True,
        notes="Exact median by the engine; distribution-free order-statistic interval.",
    ),
    _prop("turnover_rate", "半年内离职率", "Six-month turnover", "graduates",
          (_EMPLOYED, Filter("left_within_6m", "notnull")), (Filter("left_within_6m", "is_true"),),
          direction="lower", target=None, edition="MyCOS 离职率 (convention)", source=_SRC_MYCOS, grade="U",
          provisional=True, notes="有过离职行为的人数 / employed with the item recorded."),
    _prop("partner_employment_rate", "合作企业就业率", "Employment in a partner firm", "graduates",
          (_EMPLOYED, Filter("employer_is_partner", "notnull")), (Filter("employer_is_partner", "is_true"),),
          direction="higher", target=None, edition="就业单位是否校企合作单位 / employed (convention)",
          source=_SRC_A76, grade="U", provisional=True),
    _prop("partner_retention_rate", "合作培养学生被合作企业录用率", "Retention by the partner firm", "graduates",
          (Filter("program", "in", PARTNER_PROGRAMS), Filter("partner", "notnull")),
          (Filter("employer", "eq_column", "partner"),),
          direction="higher", target=None, edition="Übernahmequote-style convention",
          source="library convention (BIBB Übernahmequote analogue) [U]; definitions-cn.md §1.3", grade="U",
          provisional=True,
          notes="Graduates of partnership class types (order, named, modern apprenticeship, dual-system, "
                "commissioned) with a partner recorded whose employer equals that partner (exact name match "
                "after loading)."),
    _prop("local_employment_share", "本地就业比例（A类）", "Local employment share (A)", "graduates",
          (_EMPLOYED, Filter("local_job", "notnull")), (Filter("local_job", "is_true"),),
          direction="none", target=None, edition="质量年报 服务贡献表 A类 / 就业人数", source=_SRC_SERVICE,
          grade="U", provisional=True),
    _prop("west_northeast_share", "西部和东北地区就业比例（B类）", "Western/north-eastern employment share (B)",
          "graduates", (_EMPLOYED, Filter("west_northeast_job", "notnull")),
          (Filter("west_northeast_job", "is_true"),),
          direction="none", target=None, edition="质量年报 服务贡献表 B类 / 就业人数", source=_SRC_SERVICE,
          grade="U", provisional=True),
    _prop("sme_share", "中小微企业等基层就业比例（C类）", "SME and grassroots employment share (C)", "graduates",
          (_EMPLOYED, Filter("sme_job", "notnull")), (Filter("sme_job", "is_true"),),
          direction="none", target=None, edition="质量年报 服务贡献表 C类 / 就业人数", source=_SRC_SERVICE,
          grade="U", provisional=True),
    _prop("top500_share", "500强企业就业比例（D类）", "Top-500 employer share (D)", "graduates",
          (_EMPLOYED, Filter("top500_job", "notnull")), (Filter("top500_job", "is_true"),),
          direction="none", target=None, edition="质量年报 服务贡献表 D类 / 就业人数", source=_SRC_SERVICE,
          grade="U", provisional=True),
    _prop("order_class_share", "订单班毕业生比例", "Share of graduates from order classes", "graduates",
          (Filter("program", "notnull"),), (Filter("program", "eq", "order_class"),),
          direction="none", target=None, edition="培养模式 (convention)",
          source="《职业学校校企合作促进办法》 forms [V]; share is a library convention [U]", grade="U",
          provisional=True),
    _prop("apprenticeship_share", "现代学徒制毕业生比例", "Share of graduates from apprenticeships", "graduates",
          (Filter("program", "notnull"),), (Filter("program", "eq", "apprenticeship"),),
          direction="none", target=None, edition="培养模式 (convention)",
          source="《职业学校校企合作促进办法》 学徒制合作 [V]; share is a library convention [U]", grade="U",
          provisional=True),
    _prop("partnership_program_share", "合作培养（订单/冠名/现代学徒制/校企双制/定向委培）毕业生比例",
          "Share of graduates from partnership programs", "graduates",
          (Filter("program", "notnull"),), (Filter("program", "in", PARTNER_PROGRAMS),),
          direction="none", target=None, edition="培养模式 (convention)",
          source="《职业学校校企合作促进办法》 [V]; share is a library convention [U]", grade="U", provisional=True,
          notes="企业新型学徒制 (employees) and 其他 are not counted; 其他 holds unknown labels (flagged at load)."),
    # --- surveys ----------------------------------------------------------------------------------
    _survey("internship", "实习满意度", "Internship satisfaction",
            "no national formula [U]; definitions-cn.md §4.2", "U",
            "Top-box share of valid answers; respondents raked to the roster when survey_weights='raking'."),
    _survey("employment", "就业满意度", "Employment satisfaction",
            "MyCOS 就业现状满意度 [U]; definitions-cn.md §4.3", "U",
            "Whether 不确定 stays in the denominator is unverified: add it to exclude_levels to drop it."),
    _survey("school", "母校满意度", "Satisfaction with the school",
            "MyCOS 2014 校友满意度 (很满意+满意, 无法评估 excluded) [V]; 质量年报 计分卡 [V]; definitions-cn.md §2.3",
            "V", "Default top-2-box follows MyCOS 2014; later MyCOS counts 基本满意 too [U]."),
    _survey("employer", "雇主满意度", "Employer satisfaction",
            "no national formula [U]; 状态数据 A9-4 implies a survey [V-2]; definitions-cn.md §4.2", "U",
            "Employer respondents are not on the graduate roster: no raking, response rate not available."),
    _survey_pool("internship", "实习满意度（各题合并）", "Internship satisfaction, all items pooled"),
    _survey_pool("employment", "就业满意度（各题合并）", "Employment satisfaction, all items pooled"),
    _survey_pool("school", "母校满意度（各题合并）", "School satisfaction, all items pooled"),
    _survey_pool("employer", "雇主满意度（各题合并）", "Employer satisfaction, all items pooled"),
    # --- teachers ---------------------------------------------------------------------------------
    _prop("dual_teacher_ratio_fulltime", "双师素质专任教师比例", "Double-qualified share of full-time teachers",
          "teachers", (_FT,), (Filter("dual", "dual_qualified"),),
          direction="higher", target=None, edition="2004 评估方案 denominator 专任教师",
          source="质量年报 资源表 双师素质专任教师比例 [V as indicator]; definitions-cn.md §3.1", grade="V",
          options_used=("dual_definition",)),
    _prop("dual_teacher_ratio_professional", "双师型教师占专业课教师比例",
          "Double-qualified share of professional-course teachers", "teachers", (_FT, _PROF),
          (Filter("dual", "dual_qualified"),),
          direction="higher", target=0.5, edition="国发〔2019〕4号 target > 50 % (wording [U])",
          source="国发〔2019〕4号 (wording not retrieved [U]); 教师厅〔2022〕2号 [V]; definitions-cn.md §3.2, §3.4",
          grade="U", provisional=True, options_used=("dual_definition",),
          notes="Denominator: full-time teachers flagged 专业课教师 (convention; whether enterprise part-time "
                "teachers enter the 2019+ denominator is unverified)."),
    Indicator(
        "fulltime_teachers", "专任教师数", "Full-time teachers", "persons", "count", "teachers",
        numerator=Measure("count", where=(_FT,)), denominator=None, direction="none", target=None,
        edition="专任教师", source="状态数据 A6-1-1 [V-2]", grade="V-2",
    ),
    _ratio("student_teacher_ratio", "生师比", "Student-teacher ratio", "students_per_teacher",
           Measure("sum", "fte_students", table="enrollment"),
           Measure("weighted_count", table="teachers", terms=((1.0, (_FT,)), (0.5, (_OUTSIDE,)))),
           direction="lower", target=None,
           edition="教发〔2004〕2号: 折合在校生数 / (专任教师数 + 聘请校外教师数 × 0.5)",
           source="教育部《普通高等学校基本办学条件指标（试行）》教发〔2004〕2号 注 (生师比 = 折合在校生数 / "
                  "教师总数; 教师总数 = 专任教师数 + 聘请校外教师数 × 0.5) [V-2]; 质量年报 资源表 生师比",
           grade="V-2",
           notes="Ratio of administrative totals from two tables (no sampling interval). 折合在校生数 is the "
                 "college's own figure (enrollment column fte_students, 状态数据平台); 聘请校外教师 = teacher "
                 "categories enterprise_part_time (企业兼职) and external_part_time (校外兼课); 校内兼课 not "
                 "counted. 教发〔2004〕2号 sets 18 as the 合格 level for most 高职 colleges (医学 16, 体育 13, "
                 "艺术 11); see student_teacher_ratio_simple for the old variant."),
    _ratio("student_teacher_ratio_simple", "在校生与专任教师之比（简化口径）",
           "Full-time students per full-time teacher (simplified, not 生师比)", "students_per_teacher",
           Measure("sum", "students", table="enrollment"),
           Measure("count", where=(_FT,), table="teachers"),
           direction="lower", target=None, edition="全日制在校生 / 专任教师 (library convention)",
           source="library convention [U]; the official 生师比 is student_teacher_ratio (教发〔2004〕2号)", grade="U",
           provisional=True,
           notes="Full-time enrolment over full-time teachers only: no 折合 weighting of students and no "
                 "external teachers. Kept for continuity with earlier coopmetrics output."),
    _prop("senior_title_share", "高级职务专任教师比例", "Senior-title share of full-time teachers", "teachers",
          (_FT, Filter("title_level", "notnull")), (Filter("title_level", "eq", "senior"),),
          direction="higher", target=None, edition="质量年报 资源表 (convention)",
          source="质量年报 资源表 高级职务专任教师比例 [U]; definitions-cn.md §2.2", grade="U", provisional=True),
    Indicator(
        "enterprise_teaching_share", "企业兼职教师专业课学时占比",
        "Share of professional-course hours taught by enterprise teachers", "share", "ratio_of_sums",
        "teachers",
        numerator=Measure("sum", "professional_hours", where=(Filter("category", "eq", "enterprise_part_time"),)),
        denominator=Measure("sum", "professional_hours"), direction="higher", target=None,
        edition="质量年报 资源表 (convention)",
        source="质量年报 资源表 企业兼职教师专业课学时占比 [U]; definitions-cn.md §2.2, §5.3", grade="U",
        provisional=True, notes="Sum of hours over all teachers; delta-method interval over teacher rows.",
    ),
    _prop("practice_compliance_rate", "专业课教师企业实践达标率", "Enterprise-practice compliance", "teachers",
          (_FT, _PROF, Filter("enterprise_practice_days_5y", "notnull")),
          (Filter("enterprise_practice_days_5y", "ge", "practice_days"),),
          direction="higher", target=1.0, edition="《职业学校教师企业实践规定》(2016) 第四条: 每5年累计不少于6个月",
          source="《职业学校教师企业实践规定》 第四条 [V]; definitions-cn.md §3.3", grade="V",
          options_used=("practice_days",),
          notes="Days in the rolling five years >= practice_days (default 180 ≈ six months)."),
    # --- internships ------------------------------------------------------------------------------
    _prop("intern_hire_rate", "顶岗实习学生企业录用率", "Host hire rate of interns", "internships",
          (Filter("hired", "notnull"),), (Filter("hired", "is_true"),),
          direction="higher", target=None, edition="A7-4 企业录用顶岗实习毕业生数 / 顶岗实习毕业生总数",
          source=_SRC_A74, grade="V-2", notes="Unit: internship record (student × host)."),
    _prop("internship_relevance_rate", "顶岗实习对口率", "Internship relevance", "internships",
          (Filter("relevant", "notnull"),), (Filter("relevant", "is_true"),),
          direction="higher", target=None, edition="A7-4 顶岗实习对口毕业生数 / 总数", source=_SRC_A74, grade="V-2"),
    _prop("internship_insurance_rate", "实习责任保险参保率", "Internship insurance coverage", "internships",
          (Filter("insured", "notnull"),), (Filter("insured", "is_true"),),
          direction="higher", target=1.0, edition="A7-4 参加保险学生数 / 总数; 实习责任保险 compulsory",
          source=_SRC_A74 + "; 2021 实习规定 (provincial 细则) [V-2]", grade="V-2"),
    _prop("internship_pay_compliance_rate", "实习报酬达标率", "Internship pay compliance", "internships",
          (Filter("monthly_pay", "notnull"),), (Filter("monthly_pay", "pay_compliant"),),
          direction="higher", target=1.0, edition="《职业学校学生实习管理规定》 (pay_rule)",
          source="2021 实习规定 第十八条 [V]; 2016 教职成〔2016〕3号 第十七条 [V]; definitions-cn.md §4.1",
          grade="V", options_used=("pay_rule",),
          notes="2021: pay >= 0.8 × post wage or >= lowest-grade wage; 2016: pay >= 0.8 × probation wage. "
                "Records without the reference wage count as not shown compliant."),
    _prop("internship_duration_rate", "实习时长达6个月比例", "Internships of six months or more", "internships",
          (Filter("months", "notnull"),), (Filter("months", "ge", 6),),
          direction="none", target=None, edition="岗位实习一般为6个月 (2016 第十条 [V]; 2021 [V-2])",
          source="教职成〔2016〕3号 第十条 [V]; definitions-cn.md §4.1", grade="V"),
    Indicator(
        "internship_months_mean", "平均实习时长", "Mean internship duration", "months", "mean", "internships",
        numerator=Measure("mean", "months", where=(Filter("months", "notnull"),)), denominator=None,
        direction="none", target=6.0, edition="岗位实习一般为6个月", source="教职成〔2016〕3号 第十条 [V]", grade="V",
    ),
    Indicator(
        "internship_pay_mean", "平均实习报酬", "Mean monthly internship pay", "yuan_per_month", "mean",
        "internships",
        numerator=Measure("mean", "monthly_pay", where=(Filter("monthly_pay", "notnull"),)), denominator=None,
        direction="higher", target=None, edition="实习报酬 (convention)", source="definitions-cn.md §4.1 [V]",
        grade="V",
    ),
    # --- enterprises ------------------------------------------------------------------------------
    Indicator(
        "partner_count", "合作企业数", "Partner enterprises", "enterprises", "count", "enterprises",
        numerator=Measure("count_distinct", "enterprise"), denominator=None, direction="higher", target=None,
        edition="A7-5 产学合作企业总数", source=_SRC_A75, grade="V-2",
        notes="Distinct enterprise names in the ledger (an enterprise with several majors counts once per group).",
    ),
    Indicator(
        "active_partner_count", "活跃合作企业数", "Active partner enterprises", "enterprises", "count",
        "enterprises",
        numerator=Measure("count_distinct", "enterprise", where=(Filter(
            ("interns_received", "graduates_hired", "order_students", "part_time_teachers", "part_time_hours",
             "equipment_value", "funds", "donated_equipment", "co_courses", "co_textbooks", "co_bases",
             "tech_service_income", "training_person_days"), "any_positive"),)),
        denominator=None, direction="higher", target=None, edition="library convention",
        source="library convention on A7-5 fields [U]", grade="U", provisional=True,
        notes="Distinct enterprises with any recorded activity > 0 in the year (columns present are used).",
    ),
    _ratio("equipment_per_student", "生均企业提供设备值", "Enterprise equipment per student", "yuan_per_student",
           Measure("sum", "equipment_value", table="enterprises"), Measure("sum", "students", table="enrollment"),
           direction="higher", target=None, edition="质量年报 资源表 生均企业提供的校内实践教学设备值",
           source="质量年报 资源表 [V as indicator]; denominator 在校生 [U]; definitions-cn.md §5.1", grade="U",
           provisional=True, notes="Ratio of table totals; 折合在校生 may be the official denominator [U]."),
    _ratio("funds_per_student", "生均企业资金投入", "Enterprise funds per student", "yuan_per_student",
           Measure("sum", "funds", table="enterprises"), Measure("sum", "students", table="enrollment"),
           direction="higher", target=None, edition="library convention", source="企业年报 企业资源投入 [U]",
           grade="U", provisional=True),
    _ratio("order_students_per_student", "订单培养人数占在校生比例", "Order-class students per enrolled student",
           "share", Measure("sum", "order_students", table="enterprises"),
           Measure("sum", "students", table="enrollment"),
           direction="none", target=None, edition="definitions-cn.md §5.3 suggestion (convention)",
           source="A7-5 订单培养数 [V-2] / 在校生; ratio is a library convention [U]", grade="U", provisional=True),
    _total("interns_received", "接收实习学生数", "Interns received", "persons", "interns_received", _SRC_A75),
    _total("internship_positions", "提供实习岗位数", "Internship positions offered", "positions",
           "internship_positions", "企业年报 企业资源投入 [U]", "U"),
    _ratio("partner_posts_per_graduate", "合作企业实习岗位供给比", "Partner internship posts per graduate",
           "positions_per_graduate", Measure("sum", "internship_positions", table="enterprises"),
           Measure("count", table="graduates"),
           direction="higher", target=None, edition="合作企业实习岗位数 / 毕业生数 (library convention)",
           source="企业年报 企业资源投入 实习岗位 [U]; ratio a library convention [U]", grade="U", provisional=True,
           notes="Internship posts offered by partner firms (enterprise ledger) over all graduates. NOT 求人倍率 "
                 "(posts offered to job seekers): see job_demand_ratio."),
    _ratio("job_demand_ratio", "求人倍率", "Job-vacancy ratio (posts per job-seeking graduate)",
           "posts_per_job_seeker", Measure("sum", "posts", table="recruitment"),
           Measure("count", where=(_SEEKING,), table="graduates"),
           direction="higher", target=None, edition="岗位需求数 / 求职毕业生数",
           source="人社部 求人倍率 = 岗位需求人数 / 求职人数 [V-2]; college usage (seed 002: 5,900 / 1,934 = 3.01); "
                  "job seekers = graduates not in further study or military service (convention [U])",
           grade="U", provisional=True,
           notes="Numerator: posts in the recruitment table (招聘会/岗位信息; optional - without it the status is "
                 "missing_input, 未提供数据). Denominator: graduates whose destination is not further study "
                 "(80x/81/82/85) or military service (46); missing codes count as seeking."),
    _ratio("enterprise_hires_per_intern", "合作企业录用比（录用毕业生/接收实习生）", "Graduates hired per intern received",
           "hires_per_intern", Measure("sum", "graduates_hired", table="enterprises"),
           Measure("sum", "interns_received", table="enterprises"),
           direction="higher", target=None, edition="library convention (Übernahmequote analogue)",
           source="A7-5 接受毕业生就业数 / 接受顶岗实习学生数 [V-2 fields]; ratio a convention [U]", grade="U",
           provisional=True,
           notes="Both from the enterprise ledger; hires need not be former interns, so this can exceed 1."),
    _total("graduates_hired", "合作企业录用毕业生数", "Graduates hired by partners", "persons", "graduates_hired", _SRC_A75),
    _total("part_time_teachers", "企业兼职教师数", "Part-time teachers from firms", "persons", "part_time_teachers",
           _SRC_A75),
    _total("part_time_hours", "企业兼职教师课时", "Part-time teaching hours from firms", "hours", "part_time_hours",
           "质量年报 落实政策表 企业兼职教师年课时总量 [U]", "U"),
    _total("order_students", "订单培养人数", "Order-class students", "persons", "order_students", _SRC_A75),
    _total("tech_service_income", "横向技术服务到款额", "Technical-service income", "yuan", "tech_service_income",
           "质量年报 服务贡献表; 双高 headline metric [V]; A7-5 学校为企业技术服务年收入 [V-2]", "V"),
    _total("training_income", "非学历培训到款额", "Non-degree training income", "yuan", "training_income",
           "质量年报 服务贡献表 [U]", "U"),
    _total("training_person_days", "为企业培训员工人日", "Staff training for firms", "person_days",
           "training_person_days", _SRC_A75),
    _total("equipment_value", "企业提供设备值", "Equipment value from firms", "yuan", "equipment_value",
           "质量年报 资源表 [V as indicator]"),
    _total("enterprise_funds", "企业资金投入", "Funds from firms", "yuan", "funds", "企业年报 企业资源投入 [U]", "U"),
)

# --- cooperation mechanisms (issue 14): bases, agreements, events, committees, services, teacher roles ------
# Each record cites the seed document that asks for the figure (shared/seeds/, file number and a literal
# quote) and, where one exists, the state-platform table. Counting conventions are the library's [U].
# their units and the kinds they fit: definitions/labels.py and definitions/kinds.py

_SEED001 = "seed 001 (traditional characters) "
_CONV = "count is a library convention [U]"


def _mcount(id: str, zh: str, en: str, unit: str, table: str, where: tuple[Filter, ...], source: str,
            distinct: str | None = None, notes: str = "") -> Indicator:
    """A count of rows (or of distinct ``distinct`` values) meeting ``where`` in a mechanism table."""
    num = Measure("count_distinct", distinct, where) if distinct else Measure("count", where=where)
    return Indicator(id, zh, en, unit, "count", table, numerator=num, denominator=None, direction="higher",
                     target=None, edition="library convention (issue 14)", source=source, grade="U",
                     provisional=True, notes=notes or "Rows for groups without the table are missing_input.")


def _msum(id: str, zh: str, en: str, unit: str, table: str, column: str, source: str,
          where: tuple[Filter, ...] = (), notes: str = "") -> Indicator:
    """A total of ``column`` over the rows meeting ``where`` (missing values count as 0)."""
    return Indicator(id, zh, en, unit, "sum", table, numerator=Measure("sum", column, where), denominator=None,
                     direction="higher", target=None, edition="library convention (issue 14)", source=source,
                     grade="U", provisional=True, notes=notes or "Missing values count as 0 in the total.")


def _is(column: str, value: str) -> Filter:
    return Filter(column, "eq", value)


_EPT = _is("category", "enterprise_part_time")
_SVC = "质量年报 服务贡献表 [U]; "
_BASE_SRC = "状态数据 A4-1 校内实践基地表 / A4-2 校外实习实训基地表 [V-2 tables]; "

_MECHANISMS: tuple[Indicator, ...] = (
    # --- teachers: placements, the under-40 rule, roles (职务互兼) ---------------------------------
    _prop("teacher_practice_2m_share", "年度企业实践两个月以上专业课教师比例",
          "Professional teachers with two months or more in firms this year", "teachers",
          (_FT, _PROF, Filter("practice_days_year", "notnull")), (Filter("practice_days_year", "ge", 60),),
          direction="higher", target=None, edition="seed 001 rule (convention: 2 months = 60 days)",
          source=_SEED001 + "“每學年要選派10﹪的教師到企業一線參加2個月以上的實踐鍛煉” [U]; 状态数据 本学年企业工作(天) [V-2]",
          grade="U", provisional=True,
          notes="Denominator: full-time professional teachers with 本学年企业工作天数 recorded; the seed's 10 % "
                "target lives in the rules file (coopmetrics.rules)."),
    _prop("young_teacher_practice_rate", "40岁以下专业课教师两年企业实践两个月达标率",
          "Under-40 professional teachers with two months in firms in two years", "teachers",
          (_FT, _PROF, Filter("birth_year", "age_lt", 40), Filter("practice_days_2y", "notnull")),
          (Filter("practice_days_2y", "ge", 60),),
          direction="higher", target=None, edition="seed 004 rule (convention: age = year − birth year)",
          source="seed 004 “学校四十周岁以下的专业课教师和实习指导教师每两年深入企业实践两个月” [U]",
          grade="U", provisional=True,
          notes="Under 40 means year − birth year < 40 (the age reached in the year); 60 days in the two "
                "years ending with the record's year. Internship supervisors count when flagged 专业课教师."),
    _mcount("enterprise_practitioner_count", "企业一线兼职教师人数", "Practitioners from firms teaching",
            "persons", "teachers", (_EPT,),
            _SEED001 + "“每個專業至少聘請或調進3個以上生產和服務第一線的高技術人員和能工巧匠” [U]; "
            "状态数据 A6-3 校外兼职教师 [V-2]",
            notes="Teacher rows of category 企业兼职 (one per teacher and year)."),
    _mcount("enterprise_program_leader_count", "企业人员任专业带头人人数", "Firm staff as programme leaders",
            "persons", "teachers", (_EPT, Filter("is_program_leader", "is_true")),
            "seed 000 “专业带头人、骨干教师”, “人员互派、职务互兼” [U]; 状态数据 A7-1-2 专业带头人表 [V-2]"),
    _mcount("enterprise_backbone_teacher_count", "企业人员任骨干教师人数", "Firm staff as backbone teachers",
            "persons", "teachers", (_EPT, Filter("is_backbone", "is_true")),
            "seed 000 “专业带头人、骨干教师” [U]; 状态数据 是否骨干教师 [V-2]"),
    _mcount("teacher_enterprise_adviser_count", "专任教师任企业技术顾问人数", "Teachers serving as firms' advisers",
            "persons", "teachers", (_FT, Filter("enterprise_adviser", "is_true")),
            "seed 000 “人员互派、职务互兼” [U]; 状态数据 A6-1-3 社会兼职 [V-2]"),
    _mcount("skill_master_count", "技能大师（能工巧匠）人数", "Skill masters", "persons", "teachers",
            (Filter("skill_master", "is_true"),), "seed 002 “校企共建技能大师工作室” [U]"),
    # --- internships by type ---------------------------------------------------------------------
    _mcount("cognitive_internship_students", "认识实习（见习）学生数", "Students in observation internships",
            "persons", "internships", (_is("internship_type", "cognitive"),),
            _SEED001 + "“每學期安排學生到企業行業參觀和見習兩周以上” [U]", distinct="student_id"),
    _mcount("shadowing_internship_students", "跟岗实习学生数", "Students in shadowing internships", "persons",
            "internships", (_is("internship_type", "shadowing"),),
            "《职业学校学生实习管理规定》(2021) 认识实习/岗位实习 [V-2]; 跟岗实习 (2016 规定) [V]",
            distinct="student_id"),
    _mcount("work_study_students", "工学交替学生数", "Students in work-study alternation", "persons",
            "internships", (_is("internship_type", "work_study"),),
            _SEED001 + "“開展為期3個月的工學交替活動” [U]; seed 000 “工学交替” [U]", distinct="student_id"),
    # --- enterprises ledger: co-investment and co-development -------------------------------------
    _msum("school_coinvestment", "学校共建投入", "School co-investment", "yuan", "enterprises",
          "school_investment", "seed 000 “学院投入307万元” beside “企业投入1326万元” [U]"),
    _msum("co_courses_total", "校企共同开发课程数", "Courses co-developed with firms", "courses", "enterprises",
          "co_courses", _SEED001 + "“每個專業必須實施1-2門校企合作開發課程建設工作” [U]; " + _SRC_A75),
    _msum("co_textbooks_total", "校企共同开发教材数", "Textbooks co-developed with firms", "textbooks",
          "enterprises", "co_textbooks",
          _SEED001 + "“每個專業必須實施1-2門校企合作開發校本教材建設工作” [U]; " + _SRC_A75),
    _msum("co_bases_total", "共建实训基地数（台账）", "Co-built bases (ledger)", "bases", "enterprises", "co_bases",
          "seed 002 “共建校生产性实训基地11个” [U]; ledger column (no state field) [U]",
          notes="Sum over ledger rows: a base shared by two firms counts twice; see base_count for distinct bases."),
    # --- graduates and enrolment: certificates and skill levels ----------------------------------
    _prop("certificate_rate", "毕业生获职业资格（技能等级）证书比例", "Graduates with a vocational certificate",
          "graduates", (Filter("certificate", "notnull"),), (Filter("certificate", "is_true"),),
          direction="higher", target=None, edition="双证书 share (convention)",
          source=_SEED001 + "“職業資格證書制度” [U]; 状态数据 A7-3-2 应届毕业生获证 [V-2]", grade="U", provisional=True),
    _prop("cert_1x_rate", "毕业生获1+X证书比例", "Graduates with a 1+X certificate", "graduates",
          (Filter("cert_1x", "notnull"),), (Filter("cert_1x", "is_true"),),
          direction="higher", target=None, edition="1+X share (convention)",
          source="ODS_GZXZSSJ 1+X证书 [V]; share is a library convention [U]", grade="U", provisional=True),
    _ratio("advanced_level_student_share", "高级工及预备技师在校生比例", "Share of students at 高级工 level or above",
           "share", Measure("sum", "advanced_students", table="enrollment"),
           Measure("sum", "students", (Filter("advanced_students", "notnull"),), table="enrollment"),
           direction="higher", target=None, edition="seed 004 rule (technician colleges)",
           source="seed 004 “高级技工和预备技师在校生的比例到达40以上” [U]", grade="U", provisional=True,
           notes="Rows without 高级工及以上在校生数 leave the denominator too."),
    # --- bases ---------------------------------------------------------------------------------------
    _mcount("base_count", "共建实训基地数", "Co-built practice bases", "bases", "bases", (),
            _BASE_SRC + "seed 001 “共同建立校內外實訓基地” [U]", distinct="base",
            notes="Distinct base names."),
    _mcount("on_campus_base_count", "校内实训基地数", "On-campus bases", "bases", "bases",
            (_is("location", "on_campus"),), _BASE_SRC + "seed 002 “共建校生产性实训基地11个” [U]", distinct="base"),
    _mcount("off_campus_base_count", "校外实习实训基地数", "Off-campus bases", "bases", "bases",
            (_is("location", "off_campus"),), _BASE_SRC + "seed 002 “共建校外顶岗实习实训基地55个” [U]",
            distinct="base"),
    _mcount("productive_base_count", "生产性实训基地数", "Productive bases", "bases", "bases",
            (Filter("productive", "is_true"),), "seed 002 “共建校生产性实训基地11个” [U]", distinct="base"),
    _mcount("factory_in_school_count", "校中厂数", "Factories in school (校中厂)", "bases", "bases",
            (_is("model", "factory_in_school"),), "seed 002 “开展了共建“校中厂”和“厂中校”等合作模式” [U]",
            distinct="base"),
    _mcount("school_in_factory_count", "厂中校数", "Schools in factories (厂中校)", "bases", "bases",
            (_is("model", "school_in_factory"),), "seed 002 “如校中厂、厂中校、生产实训中心” [U]", distinct="base"),
    _mcount("production_center_count", "生产实训中心（教学工厂）数", "Production training centres", "bases",
            "bases", (_is("model", "production_center"),),
            "seed 002 “如校中厂、厂中校、生产实训中心” [U]; seed 000 “生产性教学工厂” [U]", distinct="base"),
    _mcount("master_studio_count", "技能大师工作室数", "Skill-master studios", "bases", "bases",
            (_is("model", "master_studio"),), "seed 002 “校企共建技能大师工作室” [U]", distinct="base"),
    _mcount("substantive_base_count", "实质性合作基地数", "Bases with substantive cooperation", "bases", "bases",
            (Filter("substantive", "is_true"),), _SEED001 + "“每一專業方向要至少建立兩至三家有實質性合作” [U]",
            distinct="base", notes="Substantive as flagged by the school (是否实质性合作)."),
    _mcount("demonstration_base_count", "校企合作示范基地数", "Demonstration bases", "bases", "bases",
            (Filter("demonstration", "is_true"),), _SEED001 + "“力爭年內建成校企合作示范基地10家” [U]",
            distinct="base"),
    _mcount("base_partner_count", "共建基地的合作企业数", "Partner firms with a co-built base", "enterprises",
            "bases", (), "seed 002 “先后与148家企业开展合作,其中可作为校外教学实验教学基地的39家” [U]",
            distinct="enterprise"),
    _msum("base_student_visits", "基地年接待学生人次", "Student visits to bases", "person_times", "bases",
          "student_visits", _BASE_SRC + _CONV),
    _msum("base_annual_output", "基地年产值", "Annual output of bases", "yuan", "bases", "annual_output",
          "seed 002 “年产值 2 0 0 0余 万” [U]"),
    _msum("base_school_investment", "基地学校投入", "School investment in bases", "yuan", "bases",
          "school_investment", "seed 000 “学院投入307万元” [U]"),
    _msum("base_enterprise_investment", "基地企业投入", "Enterprise investment in bases", "yuan", "bases",
          "enterprise_investment", "seed 000 “企业投入1326万元” [U]"),
    _ratio("base_investment_leverage", "企业投入与学校投入之比", "Enterprise per school yuan invested in bases",
           "times", Measure("sum", "enterprise_investment", (Filter("school_investment", "notnull"),
                                                             Filter("enterprise_investment", "notnull")), "bases"),
           Measure("sum", "school_investment", (Filter("school_investment", "notnull"),
                                                 Filter("enterprise_investment", "notnull")), "bases"),
           direction="higher", target=None, edition="library convention (issue 14)",
           source="seed 000 “学院投入307万元” / “企业投入1326万元” (= 4.32) [U]", grade="U", provisional=True,
           notes="Bases with both amounts recorded; delta-method interval over bases."),
    # --- agreements ------------------------------------------------------------------------------
    _mcount("agreement_count", "校企合作协议（含意向书）份数", "Agreements incl. letters of intent", "agreements",
            "agreements", (), "seed 001 “合作企業實行掛牌,簽訂協議” [U]"),
    _mcount("intent_count", "校企合作意向书份数", "Letters of intent", "agreements", "agreements",
            (_is("agreement_type", "intent"),), "seed 003 “签订了131份校企合作意向书” [U]"),
    _mcount("agreement_partner_count", "签订协议（含意向书）的企业数", "Firms with an agreement or letter of intent",
            "enterprises",
            "agreements", (), "seed 001 “合作企業實行掛牌,簽訂協議” [U]", distinct="enterprise"),
    _mcount("plaque_partner_count", "挂牌合作企业数", "Partner firms with a plaque (挂牌)", "enterprises",
            "agreements", (Filter("plaque", "is_true"),), "seed 001 “合作企業實行掛牌,簽訂協議” [U]",
            distinct="enterprise"),
    _mcount("active_agreement_count", "有效（在期或续签）协议份数", "Agreements in force", "agreements",
            "agreements", (Filter("status", "in", ("active", "renewed")),),
            "seed 000 “校企合作的长效机制” [U]"),
    _prop("agreement_fulfilment_rate", "合作协议履约率", "Agreements honoured", "agreements",
          (Filter("fulfilment", "notnull"),), (_is("fulfilment", "honoured"),),
          direction="higher", target=None, edition="履约 / 已评价协议 (convention)",
          source="seed 004 “了解校企双方合作协议的履约情况” [U]", grade="U", provisional=True,
          notes="Among agreements whose fulfilment was assessed; 部分履约 counts as not honoured."),
    # --- events and committees ---------------------------------------------------------------------
    _mcount("governance_meeting_count", "校企合作治理会议次数", "Governance meetings", "events", "events",
            (Filter("event_type", "in", ("committee_meeting", "coop_committee_meeting", "regular_meeting")),),
            "seed 001 “成立專業教學指導委員會” [U]; seed 004 “实行例会制度” [U]"),
    _mcount("enterprise_visit_count", "走访企业次数", "Visits to firms", "events", "events",
            (_is("event_type", "visit"),), "seed 003 “全市职业学校走访企业1077家” [U]; ODS_FQTGSJ 访企拓岗 [V]"),
    _mcount("enterprises_visited", "走访企业家数", "Firms visited", "enterprises", "events",
            (_is("event_type", "visit"),), "seed 003 “全市职业学校走访企业1077家” [U]", distinct="enterprise"),
    _mcount("forum_count", "校企座谈会（联谊会）场次", "Forums with firms", "events", "events",
            (_is("event_type", "forum"),), "seed 003 “10场校企座谈会” [U]; seed 001 “舉辦校企聯誼會及企業家報告會” [U]"),
    _msum("forum_enterprises", "参加座谈会企业数（家次）", "Firms attending forums", "enterprises", "events",
          "enterprises", "seed 003 “全市118家企业参加了校企座谈会” [U]", where=(_is("event_type", "forum"),),
          notes="Sum of 参与企业数 over forums (a firm at two forums counts twice)."),
    _mcount("lecture_count", "企业家进校园（讲座）场次", "Lectures by entrepreneurs", "events", "events",
            (_is("event_type", "lecture"),), _SEED001 + "“百名企業家進校園、百名教師進企業” [U]"),
    _mcount("graduate_followup_count", "实习生与毕业生回访次数", "Follow-up visits to graduates' employers",
            "events", "events", (_is("event_type", "followup"),),
            _SEED001 + "“定期組織人員到企業進行實習生、畢業生用工回訪” [U]"),
    _prop("committee_enterprise_member_share", "委员会中企业成员比例", "Firm members' share of committee members",
          "committees", (Filter("member_type", "notnull"),), (_is("member_type", "enterprise"),),
          direction="higher", target=None, edition="library convention (issue 14)",
          source="seed 001 “成立專業教學指導委員會” [U]; seed 002 “专家咨询委员会” [U]", grade="U", provisional=True),
    _mcount("steering_enterprise_member_count", "专业建设指导委员会企业委员人数",
            "Firm members of programme steering committees", "persons", "committees",
            (_is("committee_type", "steering"), _is("member_type", "enterprise")),
            "seed 003 “成立了专业教学指导委员会” [U]"),
    _mcount("group_member_units", "职教集团（联盟）成员单位数", "Member organisations of vocational groups",
            "enterprises", "committees", (_is("committee_type", "group"),),
            "seed 002 “总共达到了37家成员单位” [U]", distinct="organisation"),
    # --- services to firms ---------------------------------------------------------------------------
    _mcount("service_project_count", "社会服务项目数", "Service projects for firms", "projects", "services", (),
            "seed 002 “开展技术咨询、技术培训和技能鉴定等服务项目共28项” [U]"),
    _mcount("tech_project_count", "技改与技术攻关项目数", "Technical improvement and problem-solving projects",
            "projects", "services", (Filter("service_type", "in", ("tech_improvement", "tech_tackling")),),
            "seed 002 “类似的技改项目有5个” [U]; seed 004 “课题攻关” [U]"),
    _msum("patent_count", "校企联合专利数", "Patents with firms", "patents", "services", "patents",
          _SVC + "知识产权项目数; seed 002 “校企共同申报获得国家专利3项” [U]"),
    _mcount("transfer_count", "成果转化项目数", "Technology transfers", "projects", "services",
            (_is("service_type", "transfer"),), "seed 000 “2项专利技术实现了产业化” [U]"),
    _msum("transfer_income", "专利成果转化到款额", "Income from technology transfer", "yuan", "services", "income",
          _SVC + "专利成果转化到款额 [U]", where=(_is("service_type", "transfer"),)),
    _msum("service_income", "社会服务项目到款额", "Income from service projects", "yuan", "services", "income",
          _SVC + "横向技术服务到款额 / 技术交易到款额 [U]"),
    _msum("service_economic_benefit", "社会服务产生的经济效益", "Economic benefit of services", "yuan", "services",
          "economic_benefit", _SVC + "横向技术服务产生的经济效益; seed 000 “产值突破9000万元” [U]"),
    _msum("trainees_total", "培训人数", "People trained", "persons", "services", "trainees",
          "seed 002 “为874人提供了职业技能培训与鉴定服务” [U]"),
    _msum("training_person_times", "培训人次", "Training person-times", "person_times", "services", "person_times",
          "seed 004 “年组织企业高级工以上高技能人才培训500人次以上” [U]"),
    _msum("service_training_person_days", "培训人日（项目表）", "Training person-days (projects)", "person_days",
          "services", "person_days", _SRC_A75 + " (学校为企业年培训员工数, 人天)"),
    _msum("high_skill_training_person_times", "高技能人才培训人次", "High-skill training person-times",
          "person_times", "services", "person_times",
          "seed 004 “年组织企业高级工以上高技能人才培训500人次以上” [U]", where=(_is("training_kind", "high_skill"),)),
    _ratio("training_income_per_trainee", "人均培训到款额", "Training income per person trained",
           "yuan_per_person",
           Measure("sum", "income", (Filter("service_type", "in", ("training", "appraisal")),), "services"),
           Measure("sum", "trainees", (Filter("service_type", "in", ("training", "appraisal")),), "services"),
           direction="none", target=None, edition="library convention (issue 14)",
           source="seed 002 “为874人提供了职业技能培训与鉴定服务,为学校带来经济效益 25.7万元” (= 294 元/人) [U]",
           grade="U", provisional=True, notes="Training and appraisal projects; delta-method interval over projects."),
)
REGISTRY = REGISTRY + _MECHANISMS

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


def validate_registry(registry: Iterable[Indicator] = REGISTRY,
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
    variants = [Options()] + [Options(dual_definition=d) for d in DUAL_DEFINITIONS[1:]] + [Options(pay_rule="2016")]
    for ind in registry:
        p = f"{ind.id}:"
        if ind.id in seen:
            issues.append(f"{p} duplicate id")
        seen.add(ind.id)
        if not ind.id.isidentifier() or ind.id.lower() != ind.id:
            issues.append(f"{p} id must be snake_case")
        if ind.kind not in KINDS:
            issues.append(f"{p} unknown kind {ind.kind!r}")
        if ind.unit not in UNITS:
            issues.append(f"{p} unknown unit {ind.unit!r}")
        elif ind.kind in KIND_TABLE and ind.unit not in KIND_TABLE[ind.kind].units:
            issues.append(f"{p} unit {ind.unit!r} does not fit kind {ind.kind!r}")
        for attr in ("name_zh", "name_en", "edition", "source"):
            if not str(getattr(ind, attr)).strip():
                issues.append(f"{p} {attr} is empty")
        if ind.grade not in ("V", "V-2", "U"):
            issues.append(f"{p} grade must be V, V-2 or U")
        if ind.grade == "U" and not ind.provisional:
            issues.append(f"{p} grade U but not marked provisional")
        if ind.direction not in ("higher", "lower", "none"):
            issues.append(f"{p} direction must be higher, lower or none")
        for name in ind.options_used:
            if name not in Options.__dataclass_fields__:
                issues.append(f"{p} options_used names unknown option {name!r}")
        if ind.table not in TABLES:
            issues.append(f"{p} unknown table {ind.table!r}")
            continue
        for m in ind.measures():
            if m.agg not in ("count", "count_distinct", "sum", "mean", "median", "weighted_count"):
                issues.append(f"{p} unknown aggregation {m.agg!r}")
            if m.agg == "weighted_count" and not m.terms:
                issues.append(f"{p} weighted_count needs terms")
            if m.agg not in ("count", "weighted_count") and not m.column:
                issues.append(f"{p} aggregation {m.agg!r} needs a column")
            for f in (*m.where, *(f for _, fs in m.terms for f in fs)):
                if f.op not in OPS:
                    issues.append(f"{p} unknown filter op {f.op!r}")
                if f.op == "in_profile":
                    prof, cat = f.value
                    profs = [prof] if prof else list(PROFILES)
                    for pr in profs:
                        if cat not in (*PROFILES[pr].groups, "placed"):
                            issues.append(f"{p} category {cat!r} not in profile {pr!r}")
        if ind.kind in ("proportion", "weighted_proportion"):
            if ind.denominator is None or ind.numerator.agg != "count" or ind.denominator.agg != "count":
                issues.append(f"{p} proportions need count numerator and denominator")
            elif not set(ind.denominator.where) <= set(ind.numerator.where):
                issues.append(f"{p} numerator filters must include the denominator's")
            elif (ind.numerator.table or ind.table) != (ind.denominator.table or ind.table):
                issues.append(f"{p} proportion numerator and denominator must share a table")
        if ind.kind in ("mean", "median") and (ind.numerator.agg != ind.kind or ind.denominator is not None):
            issues.append(f"{p} {ind.kind} needs numerator agg {ind.kind!r} and no denominator")
        if ind.kind == "ratio_of_sums" and ind.denominator is None:
            issues.append(f"{p} ratio needs a denominator")
        if ind.kind in ("count", "sum") and ind.denominator is not None:
            issues.append(f"{p} {ind.kind} has no denominator")
        for opts in variants:
            req, opt = ind.columns(opts)
            for t, cols in {**req}.items():
                if t not in TABLES:
                    issues.append(f"{p} unknown table {t!r}")
                    continue
                for c in (*cols, *opt.get(t, ())):
                    if c not in TABLES[t].names:
                        msg = f"{p} column {c!r} not in table {t!r}"
                        if msg not in issues:
                            issues.append(msg)
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
