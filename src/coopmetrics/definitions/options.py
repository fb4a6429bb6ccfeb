"""Definition options: the :class:`Options` record and its metadata (:data:`OPTION_INFO`).

Definition choices that differ between Ministry editions, survey vendors and schools are
fields of :class:`Options`, echoed in the ``edition`` column of every result. What each option
means is data: one :class:`OptionInfo` per field (names, evidence grade, source, listed choices
with their grades, CLI switch), which the report's 说明 sheet and the CLI read and
:func:`coopmetrics.registry.validate_registry` checks. Re-exported by :mod:`coopmetrics.registry`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, NamedTuple

from ..codes import PROFILES
from ..errors import InvalidOptionError, check_option
from ..schema import PROGRAMS, TABLES

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
        choices={(5, 4): Choice("很满意、满意（前两项，麦可思2014口径）",
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
        choices={"raking": Choice("按毕业生名册边际加权（迭代比例拟合）", "raked to the graduate roster's margins", "setting"),
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

