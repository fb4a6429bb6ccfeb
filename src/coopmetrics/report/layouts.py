"""The official hand-in table layouts (质量年报) as data: one list of items per table.

A school whose provincial template differs edits these lists (add, drop, re-word or
re-order items) or passes its own :class:`Layout` to :func:`coopmetrics.build_report`
(``layouts=``); nothing else changes. An item names where its value comes from:

* ``indicator`` (+ ``field``): a registry indicator's estimate, numerator or denominator;
  a renamed indicator id is a one-line change here;
* ``table`` + ``column``: the sum of one data column over the report year;
* neither: the data model has no input for it, and the row says 未提供数据.

Item lists reconstruct the 2017–2020 school-level templates (高等职业教育质量年度报告:
计分卡, 资源表, 服务贡献表, 落实政策表, 国际影响表; 学生反馈表 from 2019); the wording
of the templates is not verified, so keep them adjustable.

Examples
--------
>>> [i.zh for i in LAYOUTS["scorecard"].items][:3]
['毕业去向落实率（原“就业率”）', '毕业生人数', '其中：毕业去向落实人数（原“就业人数”）']
>>> LAYOUTS["service"].items[3].indicator, LAYOUTS["service"].items[3].field
('local_employment_share', 'numerator')
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Item", "Layout", "LAYOUTS", "HEADLINE", "COHORT_INDICATORS", "TREND_FIGURES",
           "UNIT_SCALE"]

#: Units of the official tables and the factor from the library's value (yuan -> 万元, shares stay
#: fractions and are formatted as %).
UNIT_SCALE: dict[str, float] = {"万元": 1e-4}


@dataclass(frozen=True)
class Item:
    """One row of an official table.

    Attributes
    ----------
    zh, en : str
        Row label (the unit is appended in the rendered table).
    unit : str
        Unit shown in the label: 人, %, 万元, 元/月, 元/生, 学时, 人日, 项, 个, or "" (a ratio).
    indicator : str, optional
        Registry id the value comes from.
    field : {"estimate", "numerator", "denominator"}
        Which figure of the indicator.
    table, column : str, optional
        Data table and column summed over the report year (when no indicator holds it).
    basis_zh, basis_en : str
        The 数据来源/口径 column: where the number comes from, how it is defined.
    optional : bool
        Leave the row out when the indicator is not in the registry (instead of 未提供数据).
    """

    zh: str
    en: str
    unit: str
    indicator: str | None = None
    field: str = "estimate"
    table: str | None = None
    column: str | None = None
    basis_zh: str = "本数据未包含此项，需学校另行填报"
    basis_en: str = "not in the data; to be filled in by the college"
    optional: bool = False


@dataclass(frozen=True)
class Layout:
    """An official table: title and items; ``survey_kind`` makes one row per survey item."""

    zh: str
    en: str
    items: tuple[Item, ...] = ()
    survey_kind: str | None = None


_ROSTER = ("毕业生名册（毕业去向登记）", "graduate roster (destination records)")
_TEACH = ("教师名册", "teacher roster")
_FIRMS = ("合作企业年度台账", "partner-firm ledger")


def _i(zh: str, en: str, unit: str, indicator: str | None = None, field: str = "estimate",
       basis: tuple[str, str] | None = None, **kw: object) -> Item:
    b = basis or ("本数据未包含此项，需学校另行填报", "not in the data; to be filled in by the college")
    return Item(zh, en, unit, indicator, field, basis_zh=b[0], basis_en=b[1], **kw)  # type: ignore[arg-type]


LAYOUTS: dict[str, Layout] = {
    "scorecard": Layout("计分卡", "Scorecard", (
        _i("毕业去向落实率（原“就业率”）", "Placement rate (formerly employment rate)", "%", "placement_rate",
           basis=(f"{_ROSTER[0]}；落实人数÷毕业生人数，教育部毕业去向代码口径",
                  f"{_ROSTER[1]}; placed ÷ graduates, MoE destination codes")),
        _i("毕业生人数", "Graduates", "人", "graduates_total", basis=_ROSTER),
        _i("其中：毕业去向落实人数（原“就业人数”）", "of whom placed (formerly 'employed')", "人", "placement_rate",
           "numerator", basis=(f"{_ROSTER[0]}；毕业去向落实率的分子", f"{_ROSTER[1]}; numerator of the placement rate")),
        _i("月收入", "Monthly income", "元/月", "salary_mean",
           basis=(f"{_ROSTER[0]}；已就业且填报月收入者的平均数", f"{_ROSTER[1]}; mean over employed graduates reporting it")),
        _i("理工农医类专业相关度", "Job relevance, STEM/agriculture/medicine majors", "%", "stem_job_relevance_rate",
           optional=True, basis=(_ROSTER[0], _ROSTER[1])),
        _i("专业相关度（全部专业）", "Job relevance (all majors)", "%", "job_relevance_rate",
           basis=(f"{_ROSTER[0]}；工作与专业相关的已就业毕业生÷已就业毕业生（全部专业，非仅理工农医类）",
                  f"{_ROSTER[1]}; employed in a related job ÷ employed (all majors, not only STEM)")),
        _i("母校满意度", "Satisfaction with the school", "%", "school_satisfaction",
           basis=("母校满意度调查；满意档答卷÷有效答卷（加权方式见说明）", "school survey; satisfied ÷ valid answers (weighting: see About)")),
        _i("自主创业比例", "Self-employment rate", "%", "self_employment_rate",
           basis=(f"{_ROSTER[0]}；毕业去向为自主创业的人数÷毕业生人数", f"{_ROSTER[1]}; self-employed ÷ graduates")),
        _i("雇主满意度", "Employer satisfaction", "%", "employer_satisfaction",
           basis=("雇主满意度调查；满意档答卷÷有效答卷", "employer survey; satisfied ÷ valid answers")),
        _i("毕业三年职位晋升比例", "Promoted within three years", "%"),
    )),
    "resources": Layout("教学资源表", "Teaching resources", (
        _i("生师比", "Student–teacher ratio", "", "student_teacher_ratio",
           basis=("在校生名册与教师名册；全日制在校生数÷专任教师数", "enrolment and teacher rosters; students ÷ full-time teachers")),
        _i("双师素质专任教师比例", "Dual-qualified share of full-time teachers", "%", "dual_teacher_ratio_fulltime",
           basis=(f"{_TEACH[0]}；双师素质专任教师÷专任教师", f"{_TEACH[1]}; dual-qualified ÷ full-time teachers")),
        _i("双师型教师占专业课教师比例", "Dual-qualified share of professional-course teachers", "%",
           "dual_teacher_ratio_professional",
           basis=(f"{_TEACH[0]}；双师型专业课专任教师÷专业课专任教师", f"{_TEACH[1]}; dual ÷ professional-course teachers")),
        _i("高级职务专任教师比例", "Senior-title share of full-time teachers", "%", "senior_title_share", basis=_TEACH),
        _i("教学计划内课程总学时", "Course hours in the teaching plan", "学时"),
        _i("企业兼职教师专业课学时占比", "Share of professional-course hours taught by firm teachers", "%",
           "enterprise_teaching_share", basis=(f"{_TEACH[0]}；企业兼职教师专业课学时÷专业课总学时",
                                               f"{_TEACH[1]}; firm teachers' professional hours ÷ all")),
        _i("专业课教师企业实践达标率", "Professional teachers meeting the enterprise-practice rule", "%",
           "practice_compliance_rate", basis=(f"{_TEACH[0]}；近五年企业实践达标者÷专业课专任教师",
                                              f"{_TEACH[1]}; meeting the five-year rule ÷ professional teachers")),
        _i("生均校内实践教学工位数", "Practice workstations per student", "个/生"),
        _i("生均教学科研仪器设备值", "Teaching and research equipment per student", "元/生"),
        _i("生均企业提供的校内实践教学设备值", "Firm-provided practice equipment per student", "元/生",
           "equipment_per_student", basis=(f"{_FIRMS[0]}与在校生名册；企业提供设备值÷在校生数",
                                           f"{_FIRMS[1]} and enrolment; equipment ÷ students")),
        _i("企业提供的校内实践教学设备值", "Firm-provided practice equipment", "万元", "equipment_value", basis=_FIRMS),
    )),
    "service": Layout("服务贡献表", "Service contribution", (
        _i("全日制在校生人数", "Full-time students", "人", table="enrollment", column="students",
           basis=("在校生名册", "enrolment table")),
        _i("毕业生人数", "Graduates", "人", "graduates_total", basis=_ROSTER),
        _i("其中：毕业去向落实人数（原“就业人数”）", "of whom placed", "人", "placement_rate", "numerator", basis=_ROSTER),
        _i("其中：A类（留在当地就业）人数", "A: working locally", "人", "local_employment_share", "numerator",
           basis=(f"{_ROSTER[0]}；已就业者中“本地就业”为是的人数", f"{_ROSTER[1]}; employed and working locally")),
        _i("其中：B类（到西部地区和东北地区就业）人数", "B: working in the west or north-east", "人",
           "west_northeast_share", "numerator", basis=_ROSTER),
        _i("其中：C类（到中小微企业等基层服务）人数", "C: SMEs and grassroots", "人", "sme_share", "numerator",
           basis=_ROSTER),
        _i("其中：D类（到500强企业就业）人数", "D: top-500 firms", "人", "top500_share", "numerator", basis=_ROSTER),
        _i("横向技术服务到款额", "Technical-service income", "万元", "tech_service_income", basis=_FIRMS),
        _i("横向技术服务产生的经济效益", "Economic benefit of technical services", "万元"),
        _i("纵向科研经费到款额", "Government research funding received", "万元"),
        _i("技术交易到款额", "Technology transaction income", "万元"),
        _i("知识产权项目数", "Intellectual-property items", "项"),
        _i("专利成果转化到款额", "Patent commercialisation income", "万元"),
        _i("非学历培训项目数", "Non-degree training programmes", "项"),
        _i("非学历培训到款额", "Non-degree training income", "万元", "training_income", basis=_FIRMS),
        _i("为合作企业培训员工", "Employee training for partner firms", "人日", "training_person_days", basis=_FIRMS),
        _i("非学历培训学时", "Non-degree training hours", "学时"),
        _i("公益性培训服务", "Public-benefit training", "学时"),
        _i("政府购买服务到款额", "Government-purchased services income", "万元"),
    )),
    "policy": Layout("落实政策表", "Policy implementation", (
        _i("年生均财政拨款水平", "Public funding per student", "元"),
        _i("其中：年生均财政专项经费", "of which earmarked funding per student", "元"),
        _i("教职员工额定编制数", "Authorised staff posts", "人"),
        _i("在岗教职员工总数", "Staff in post", "人"),
        _i("其中：专任教师总数", "of whom full-time teachers", "人", "fulltime_teachers", basis=_TEACH),
        _i("年度教师培训进修专项经费", "Teacher training budget", "万元"),
        _i("企业兼职教师年课时总量", "Teaching hours of firm part-time teachers", "课时", "part_time_hours",
           basis=_FIRMS),
        _i("年支付企业兼职教师课酬", "Pay to firm part-time teachers", "万元"),
        _i("岗位实习学生实习责任保险覆盖率", "Interns covered by liability insurance", "%", "internship_insurance_rate",
           basis=("岗位实习名册；参加实习责任保险人数÷岗位实习学生数", "internship roster; insured ÷ interns")),
    )),
    "international": Layout("国际影响表", "International influence", (
        _i("全日制国（境）外留学生人数（一年以上）", "Full-time international students (one year or more)", "人"),
        _i("非全日制国（境）外人员培训量", "Part-time training of international participants", "人日"),
        _i("在校生服务“走出去”企业国（境）外实习时间", "Students' internships abroad with Chinese firms", "人日"),
        _i("专任教师赴国（境）外指导和开展培训时间", "Teachers' training work abroad", "人日"),
        _i("在国（境）外组织担任职务的专任教师人数", "Teachers holding posts in international organisations", "人"),
        _i("开发并被国（境）外采用的专业教学标准数", "Programme standards adopted abroad", "个"),
        _i("开发并被国（境）外采用的课程标准数", "Course standards adopted abroad", "个"),
        _i("国（境）外技能大赛获奖数量", "Awards at international skills competitions", "项"),
    )),
    "feedback": Layout("学生反馈表", "Student feedback", survey_kind="school"),
}

#: Headline indicators of the 摘要 sheet and the HTML key figures, in order.
HEADLINE: tuple[str, ...] = (
    "graduates_total", "placement_rate", "job_relevance_rate", "salary_mean", "school_satisfaction",
    "employer_satisfaction", "dual_teacher_ratio_professional", "partner_count",
)

#: Indicators compared across training modes (order class, apprenticeship ...) in 队列比较.
COHORT_INDICATORS: tuple[str, ...] = ("placement_rate", "job_relevance_rate", "salary_mean", "turnover_rate")

#: Trend figures of the HTML report.
TREND_FIGURES: tuple[str, ...] = ("placement_rate", "job_relevance_rate", "salary_mean", "school_satisfaction",
                                  "employer_satisfaction", "dual_teacher_ratio_professional")
