"""Canonical data model: tables, columns, dtypes, Chinese header aliases.

Everything downstream (validation, indicators, comparisons, reports) speaks the
canonical English snake_case column names declared here. Exports from school
systems use Chinese headers; each column lists the aliases it accepts. Personal
data columns are declared with ``pii=True`` so loading can drop or hash them
before anything can reach an output.

The schema is data, not code: a newcomer adds an alias by adding a string.

Examples
--------
>>> from coopmetrics.schema import TABLES, resolve_header
>>> TABLES["graduates"].column("destination_code").kind
'code'
>>> resolve_header("graduates", "毕业去向代码")
('destination_code', 1.0)
>>> resolve_header("enterprises", "设备值（万元）")
('equipment_value', 10000.0)
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Literal

__all__ = [
    "Column",
    "Table",
    "TABLES",
    "TABLE_ALIASES",
    "PROGRAMS",
    "PROGRAM_FALLBACK",
    "SURVEY_KINDS",
    "LIKERT_TEXT",
    "LINKS",
    "PARTITION",
    "normalise_header",
    "resolve_header",
]

Kind = Literal["str", "code", "int", "year", "float", "bool", "category", "date"]


@dataclass(frozen=True, slots=True)
class Column:
    """One canonical column.

    Attributes
    ----------
    name : str
        Canonical English snake_case name.
    kind : str
        ``str`` free text; ``code`` an identifier kept as text (leading zeros
        and Excel mangling such as ``10.0`` repaired); ``int``/``float``
        numbers; ``year`` a 4-digit year; ``bool`` yes/no (是/否, 1/0, Y/N);
        ``category`` one of ``values``; ``date`` a calendar date.
    zh : str
        Chinese label used in reports.
    aliases : tuple of str
        Accepted headers besides ``name`` and ``zh`` (compared after
        normalisation: full-width to half-width, spaces and unit suffixes
        removed, case folded).
    required : bool
        Loading fails with :class:`~coopmetrics.errors.MissingColumnError`
        when a required column is absent.
    pii : bool
        Personal data (names, ID-card numbers, phones). Dropped or replaced by
        a salted hash at load time; never written to an output.
    money : bool
        Amount in yuan. Headers carrying ``万元`` are multiplied by 10,000.
    values : dict
        For ``category``: accepted raw value (Chinese or English) -> canonical value.
    lo, hi : float, optional
        Plausible range; values outside are reported by validation.
    fallback : str, optional
        For ``category``: canonical value an unknown label is kept as (flagged, not cleared),
        e.g. ``program`` -> ``"other"``. Without it an unknown label is cleared and flagged.
    """

    name: str
    kind: Kind
    zh: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    pii: bool = False
    money: bool = False
    values: dict[str, str] = field(default_factory=dict)
    lo: float | None = None
    hi: float | None = None
    description: str = ""
    fallback: str | None = None


@dataclass(frozen=True, slots=True)
class Table:
    """One canonical table: its columns and the key that must be unique."""

    name: str
    zh: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    description: str = ""

    def column(self, name: str) -> Column:
        """Return the column called ``name`` (KeyError if absent)."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        """Canonical column names in declaration order."""
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        """Names of required columns."""
        return [c.name for c in self.columns if c.required]

    @property
    def pii(self) -> list[str]:
        """Names of personal-data columns."""
        return [c.name for c in self.columns if c.pii]


# --- shared vocabularies -------------------------------------------------------

PROGRAMS: dict[str, str] = {
    # canonical -> Chinese label. The class types colleges report (校企合作 forms of the 2018
    # 《职业学校校企合作促进办法》); 企业新型学徒制 (人社部发〔2018〕66号) trains a firm's EMPLOYEES and
    # is not 现代学徒制 (students, 教职成〔2015〕2号), so it is a category of its own.
    "regular": "普通班",
    "order_class": "订单班",
    "named_class": "冠名班",
    "apprenticeship": "现代学徒制",
    "dual_system_class": "校企双制班",
    "sponsored_class": "定向委培班",
    "new_apprenticeship": "企业新型学徒制",
    "other": "其他",
}
#: Value a ``program`` label outside the vocabulary is kept as (flagged by loading, never dropped).
PROGRAM_FALLBACK = "other"
_PROGRAM_VALUES = {
    "普通班": "regular", "普通": "regular", "regular": "regular", "常规": "regular", "统招班": "regular",
    "订单班": "order_class", "订单培养": "order_class", "订单": "order_class", "订单式培养": "order_class",
    "order_class": "order_class", "order class": "order_class",
    "冠名班": "named_class", "冠名": "named_class", "企业冠名班": "named_class", "named_class": "named_class",
    "named class": "named_class",
    "现代学徒制": "apprenticeship", "学徒制": "apprenticeship", "现代学徒制班": "apprenticeship",
    "现代学徒制试点班": "apprenticeship", "apprenticeship": "apprenticeship",
    "校企双制班": "dual_system_class", "双制班": "dual_system_class", "校企双制": "dual_system_class",
    "dual_system_class": "dual_system_class",
    "定向委培班": "sponsored_class", "定向委培": "sponsored_class", "委培班": "sponsored_class",
    "定向培养班": "sponsored_class", "定向班": "sponsored_class", "sponsored_class": "sponsored_class",
    "企业新型学徒制": "new_apprenticeship", "新型学徒制": "new_apprenticeship",
    "企业新型学徒制班": "new_apprenticeship", "new_apprenticeship": "new_apprenticeship",
    "其他": "other", "其它": "other", "other": "other",
}
SURVEY_KINDS: dict[str, str] = {
    "internship": "实习满意度调查",
    "employment": "就业满意度调查",
    "school": "母校满意度调查",
    "employer": "雇主满意度调查",
}
_SURVEY_KIND_VALUES = {
    "实习": "internship", "岗位实习": "internship", "顶岗实习": "internship", "internship": "internship",
    "就业": "employment", "employment": "employment",
    "母校": "school", "学校": "school", "school": "school",
    "雇主": "employer", "用人单位": "employer", "employer": "employer",
}
_GENDER_VALUES = {"男": "male", "女": "female", "m": "male", "f": "female", "male": "male",
                  "female": "female", "1": "male", "2": "female"}
_TEACHER_CATEGORY_VALUES = {
    "专任": "full_time", "专任教师": "full_time", "校内专任教师": "full_time", "full_time": "full_time",
    "校内兼课": "internal_part_time", "校内兼课人员": "internal_part_time", "兼课": "internal_part_time",
    "internal_part_time": "internal_part_time",
    "企业兼职": "enterprise_part_time", "企业兼职教师": "enterprise_part_time", "校外兼职": "enterprise_part_time",
    "校外兼职教师": "enterprise_part_time", "兼职": "enterprise_part_time",
    "enterprise_part_time": "enterprise_part_time",
    "校外兼课": "external_part_time", "校外兼课教师": "external_part_time", "external_part_time": "external_part_time",
}
_LEVEL_VALUES = {"初级": "junior", "中级": "intermediate", "高级": "senior", "junior": "junior",
                 "intermediate": "intermediate", "senior": "senior"}
_TITLE_LEVEL_VALUES = {
    "正高级": "senior", "副高级": "senior", "高级": "senior", "中级": "intermediate", "初级": "junior",
    "无": "none", "未评级": "none", "senior": "senior", "intermediate": "intermediate", "junior": "junior",
    "none": "none",
}

#: internship types (issue 14): 认识实习 / 跟岗实习 / 岗位实习 (顶岗) / 工学交替
_INTERNSHIP_TYPE_VALUES = {
    "认识实习": "cognitive", "见习": "cognitive", "参观见习": "cognitive", "认知实习": "cognitive",
    "cognitive": "cognitive",
    "跟岗实习": "shadowing", "跟岗": "shadowing", "shadowing": "shadowing",
    "岗位实习": "placement", "顶岗实习": "placement", "顶岗": "placement", "placement": "placement",
    "工学交替": "work_study", "半工半读": "work_study", "work_study": "work_study",
}

#: Likert answer text -> score (5 = most satisfied). Levels that carry no score
#: (无法评估, 不确定 when excluded) map to 0 and are handled by each instrument's
#: ``exclude_levels`` in the indicator registry.
LIKERT_TEXT: dict[str, int] = {
    "很满意": 5, "非常满意": 5, "满意": 4, "比较满意": 4, "基本满意": 3, "一般": 3, "不确定": 3,
    "不满意": 2, "不太满意": 2, "比较不满意": 2, "很不满意": 1, "非常不满意": 1,
}

_PII = (
    Column("name", "str", "姓名", ("学生姓名", "教师姓名", "name", "xm", "xsxm"), pii=True),
    Column("id_card", "str", "身份证号", ("身份证号码", "身份证件号", "证件号码", "身份证", "id_number"), pii=True),
    Column("phone", "str", "手机号", ("手机号码", "联系电话", "电话", "手机", "联系方式", "mobile"), pii=True),
    Column("email", "str", "电子邮箱", ("邮箱", "email", "e-mail"), pii=True),
    Column("exam_number", "str", "考生号", ("高考考生号",), pii=True),
)

# --- tables --------------------------------------------------------------------

GRADUATES = Table(
    "graduates", "毕业生",
    key=("student_id", "grad_year"),
    description="One row per graduate of a cohort, with the destination recorded under MoE codes.",
    columns=(
        Column("student_id", "code", "学号", ("学生学号", "学籍号", "xh"), required=True),
        Column("grad_year", "year", "毕业年份", ("届别", "毕业届别", "毕业年度", "毕业年", "届", "year"),
               required=True, lo=2000, hi=2035),
        Column("college", "str", "学校名称", ("院校名称", "学校", "院校")),
        Column("department", "str", "院系", ("二级学院", "系部", "所在院系", "院系名称", "学院")),
        Column("major", "str", "专业名称", ("专业", "所学专业"), required=True),
        Column("major_code", "code", "专业代码", ("专业号",)),
        Column("program", "category", "培养模式", ("培养方式", "班级类型", "培养类型", "合作培养模式"),
               values=_PROGRAM_VALUES, fallback=PROGRAM_FALLBACK),
        Column("partner", "str", "合作企业", ("订单企业", "合作企业名称", "委培单位", "冠名企业")),
        Column("gender", "category", "性别", ("sex",), values=_GENDER_VALUES),
        Column("admission", "str", "招生类型", ("生源类型", "招生方式", "入学方式")),
        Column("entry_score", "float", "入学成绩", ("录取成绩", "高考成绩", "入学分数"), lo=0, hi=1000),
        Column("destination_code", "code", "毕业去向代码",
               ("毕业去向类别代码", "去向代码", "毕业去向编码", "就业去向代码"), required=True),
        Column("destination", "str", "毕业去向", ("毕业去向名称", "去向")),
        Column("employer", "str", "就业单位", ("单位名称", "就业单位名称", "工作单位")),
        Column("employer_type", "str", "单位性质", ("就业单位性质", "单位类型")),
        Column("employer_region", "str", "就业地区", ("单位所在地", "就业区域", "就业省份", "就业地点")),
        Column("employer_is_partner", "bool", "就业单位是否校企合作单位", ("合作企业就业", "是否合作企业")),
        Column("local_job", "bool", "本地就业", ("留在当地就业", "是否本地就业")),
        Column("west_northeast_job", "bool", "西部和东北地区就业", ("到西部地区和东北地区就业",)),
        Column("sme_job", "bool", "中小微企业等基层就业", ("到中小微企业等基层服务", "基层就业")),
        Column("top500_job", "bool", "500强企业就业", ("到500强企业就业", "世界500强")),
        Column("monthly_salary", "float", "月收入", ("月薪", "起薪", "起薪线", "月工资", "税前月收入"),
               money=True, lo=0, hi=200_000),
        Column("job_relevant", "bool", "专业相关", ("是否对口", "专业对口", "工作与专业相关", "专业相关度")),
        Column("left_within_6m", "bool", "半年内离职", ("是否离职", "半年内是否离职", "离职")),
        Column("certificate", "bool", "获得职业资格或技能等级证书", ("是否获得职业资格证书", "双证书", "获证",
                                                                   "是否获得职业技能等级证书")),
        Column("cert_1x", "bool", "获得1+X证书", ("1+X证书", "是否获得1+X证书")),
        *_PII,
    ),
)

SURVEY = Table(
    "survey", "问卷",
    key=("respondent_id", "year", "survey_kind", "item"),  # 问卷星 序号 restart every year
    description="Long form: one row per respondent x item. Wide exports are melted at load time.",
    columns=(
        Column("respondent_id", "code", "答卷编号", ("问卷编号", "序号", "答卷序号", "respondent"), required=True),
        Column("student_id", "code", "学号", ("学生学号",)),
        Column("employer", "str", "单位名称", ("用人单位", "企业名称", "就业单位")),
        Column("year", "year", "年份", ("调查年份", "届别", "毕业年份", "毕业届别"), required=True, lo=2000, hi=2035),
        Column("survey_kind", "category", "问卷类型", ("调查类型", "问卷", "kind"), required=True,
               values=_SURVEY_KIND_VALUES),
        Column("item", "str", "题目", ("题项", "问题", "item"), required=True),
        Column("response", "str", "回答", ("答案", "选项", "answer")),
        Column("score", "int", "得分", ("分值", "分数", "score"), lo=1, hi=5),
        # a respondent's survey weight as shipped with the survey (Options(survey_weights="column"))
        Column("weight", "float", "权重", ("调查权重", "抽样权重", "权数", "survey_weight"), lo=0),
        *_PII,
    ),
)

TEACHERS = Table(
    "teachers", "教师",
    key=("teacher_id", "year"),
    columns=(
        Column("teacher_id", "code", "工号", ("教工号", "教师工号", "职工号"), required=True),
        Column("year", "year", "年份", ("学年", "统计年份", "年度"), required=True, lo=2000, hi=2035),
        Column("department", "str", "院系", ("所属部门", "二级学院", "系部", "所在院系", "部门")),
        Column("major", "str", "专业名称", ("所属专业", "专业")),
        Column("category", "category", "教师类别", ("教师类型", "类别", "任职类型"), required=True,
               values=_TEACHER_CATEGORY_VALUES),
        Column("is_professional", "bool", "专业课教师", ("是否专业教师", "是否专业课教师", "专业教师")),
        Column("title", "str", "职称", ("专业技术职务", "专业技术职务名称", "教师职称")),
        Column("title_level", "category", "职称级别", ("专业技术职务等级", "职称等级"), values=_TITLE_LEVEL_VALUES),
        Column("industry_qualification", "bool", "行业职称或职业资格证书",
               ("行业职称/职业资格证书", "是否具有行业职称", "职业资格证书", "行业职称")),
        Column("industry_years", "float", "企业工作年限", ("企业工作时间(年)", "企业工作时间", "行业工作年限"),
               lo=0, hi=50),
        Column("enterprise_practice_days_5y", "float", "近五年企业实践天数", ("近5年企业实践天数", "五年企业实践天数"),
               lo=0, hi=1826),
        Column("practice_days_year", "float", "本学年企业工作天数", ("本学年企业工作(天)", "本学年企业实践天数"),
               lo=0, hi=366),
        Column("applied_projects_5y", "int", "近五年应用技术项目数", ("近五年应用技术研究项目数", "应用技术项目"),
               lo=0, hi=100),
        Column("dual_flag", "bool", "是否双师素质教师", ("是否双师型教师", "双师素质", "是否双师", "双师型")),
        Column("dual_level", "category", "双师型等级", ("双师等级", "双师型教师等级"), values=_LEVEL_VALUES),
        Column("teaching_hours", "float", "授课学时", ("年授课学时", "教学工作量", "课时"), lo=0, hi=2000),
        Column("professional_hours", "float", "专业课学时", ("专业课授课学时", "专业课课时"), lo=0, hi=2000),
        # issue 14: age (seed 004's under-40 rule), a two-year practice window and roles (职务互兼)
        Column("birth_year", "year", "出生年份", ("出生年月", "出生日期", "出生年"), lo=1930, hi=2015),
        Column("practice_days_2y", "float", "近两年企业实践天数", ("近2年企业实践天数", "两年企业实践天数"),
               lo=0, hi=731),
        Column("is_program_leader", "bool", "是否专业带头人", ("专业带头人",)),
        Column("is_backbone", "bool", "是否骨干教师", ("骨干教师",)),
        Column("enterprise_adviser", "bool", "是否任企业技术顾问", ("企业技术顾问", "任企业技术顾问")),
        Column("skill_master", "bool", "是否技能大师", ("技能大师", "能工巧匠")),
        *_PII,
    ),
)

ENTERPRISES = Table(
    "enterprises", "合作企业年度台账",
    key=("enterprise", "year", "major"),
    columns=(
        Column("enterprise", "str", "企业名称", ("合作企业名称", "合作企业", "企业名称(全称)", "单位名称"), required=True),
        Column("enterprise_code", "code", "统一社会信用代码", ("合作企业统一社会信用代码", "信用代码")),
        Column("year", "year", "年份", ("年度", "统计年份"), required=True, lo=2000, hi=2035),
        Column("department", "str", "院系", ("二级学院", "系部")),
        Column("major", "str", "专业名称", ("合作专业", "专业")),
        Column("partnership_start", "year", "合作开始年份", ("合作开始日期", "合作开始年月", "合作起始年份"),
               lo=1980, hi=2035),
        Column("form", "str", "合作形式", ("合作方式", "合作类型")),
        Column("equipment_value", "float", "设备值", ("企业提供设备值", "企业提供的校内实践教学设备值", "设备投入"),
               money=True, lo=0),
        Column("funds", "float", "资金投入", ("企业资金投入", "投入资金", "资金"), money=True, lo=0),
        Column("donated_equipment", "float", "捐赠设备值", ("对学校捐赠设备总值", "捐赠设备总值"), money=True, lo=0),
        Column("part_time_teachers", "int", "兼职教师数", ("支持学校兼职教师数", "企业兼职教师数"), lo=0),
        Column("part_time_hours", "float", "兼职教师课时", ("兼职教师授课课时", "兼职教师学时"), lo=0),
        Column("internship_positions", "int", "实习岗位数", ("提供实习岗位数", "岗位数"), lo=0),
        Column("interns_received", "int", "接收实习学生数", ("接受顶岗实习学生数", "接收实习人数"), lo=0),
        Column("order_students", "int", "订单培养人数", ("订单培养数", "订单班人数"), lo=0),
        Column("graduates_hired", "int", "录用毕业生数", ("接受毕业生就业数", "录用人数"), lo=0),
        Column("co_bases", "int", "共建实训基地数", ("共建实训基地", "共建基地数"), lo=0),
        Column("co_courses", "int", "共同开发课程数", ("共同开发课程门数",), lo=0),
        Column("co_textbooks", "int", "共同开发教材数", ("共同开发教材种数",), lo=0),
        Column("tech_service_income", "float", "横向技术服务到款额", ("学校为企业技术服务年收入", "技术服务到款额"),
               money=True, lo=0),
        Column("training_income", "float", "非学历培训到款额", ("培训到款额", "培训收入"), money=True, lo=0),
        Column("training_person_days", "float", "培训人日", ("学校为企业年培训员工数", "培训人天", "非学历培训人日"), lo=0),
        Column("school_investment", "float", "学校投入", ("学校投入资金", "学院投入", "学校共建投入"), money=True, lo=0),
        *_PII,
    ),
)

INTERNSHIPS = Table(
    "internships", "岗位实习",
    key=("student_id", "year", "enterprise"),
    columns=(
        Column("student_id", "code", "学号", ("学生学号",), required=True),
        Column("year", "year", "年份", ("实习年份", "届别", "毕业年份"), required=True, lo=2000, hi=2035),
        Column("department", "str", "院系", ("二级学院", "系部")),
        Column("major", "str", "专业名称", ("专业",)),
        Column("enterprise", "str", "实习单位", ("实习企业名称", "实习企业", "实习单位名称"), required=True),
        Column("months", "float", "实习时长(月)", ("实习时间(月)", "实习时长", "实习月数"), lo=0, hi=24),
        Column("start_date", "date", "实习开始日期", ("开始日期",)),
        Column("end_date", "date", "实习结束日期", ("结束日期",)),
        Column("monthly_pay", "float", "实习报酬", ("月实习报酬", "实习工资", "实习月薪"), money=True, lo=0),
        Column("post_wage", "float", "相同岗位工资", ("同岗位工资", "相同岗位工资标准", "同岗工资"), money=True, lo=0),
        Column("probation_wage", "float", "相同岗位试用期工资", ("试用期工资",), money=True, lo=0),
        Column("lowest_grade_wage", "float", "最低档工资标准", ("最低档工资",), money=True, lo=0),
        Column("insured", "bool", "参加实习责任保险", ("是否参保", "实习责任保险", "是否购买保险", "参保")),
        Column("relevant", "bool", "是否对口", ("专业对口", "对口")),
        Column("hired", "bool", "企业录用", ("是否被录用", "实习单位录用", "是否录用")),
        Column("internship_type", "category", "实习类型", ("实习形式", "实习类别"), values=_INTERNSHIP_TYPE_VALUES),
        *_PII,
    ),
)

ENROLLMENT = Table(
    "enrollment", "在校生",
    key=("year", "department", "major"),
    columns=(
        Column("year", "year", "年份", ("学年", "统计年份"), required=True, lo=2000, hi=2035),
        Column("department", "str", "院系", ("二级学院", "系部")),
        Column("major", "str", "专业名称", ("专业",)),
        Column("students", "int", "全日制在校生数", ("在校生人数", "全日制在校生人数", "在校生数", "人数"),
               required=True, lo=0),
        # 教发〔2004〕2号: 折合在校生数 = 普通本专科生 + 硕士生×1.5 + 博士生×2 + 留学生×3 + 预科生 + 进修生
        # + 成人脱产班学生 + 夜大(业余)学生×0.3 + 函授生×0.1; the college computes it (状态数据平台)
        Column("fte_students", "float", "折合在校生数", ("折合在校生", "折合学生数", "折合在校生人数"), lo=0,
               description="全日制 students plus part-time students weighted per 教发〔2004〕2号"),
        Column("advanced_students", "int", "高级工及以上在校生数", ("高级工和预备技师在校生数", "高级工及预备技师在校生数"),
               lo=0),
    ),
)

RECRUITMENT = Table(
    "recruitment", "招聘岗位",
    key=(),
    description="Posts offered to the college's graduates (招聘会/岗位信息): one row per employer × post type "
                "(× event). The numerator of 求人倍率.",
    columns=(
        Column("year", "year", "年份", ("届别", "毕业年份", "招聘年度", "年度"), required=True, lo=2000, hi=2035),
        Column("employer", "str", "单位名称", ("用人单位", "招聘单位", "企业名称", "单位"), required=True),
        Column("event", "str", "招聘会", ("招聘会名称", "招聘活动", "活动名称", "来源")),
        Column("post_type", "str", "岗位类型", ("岗位类别", "招聘岗位", "岗位名称", "职位类别", "岗位")),
        Column("department", "str", "院系", ("面向院系", "二级学院")),
        Column("major", "str", "专业名称", ("面向专业", "需求专业", "专业")),
        Column("posts", "int", "岗位需求数", ("需求人数", "招聘人数", "岗位需求人数", "招聘岗位数", "需求岗位数"),
               required=True, lo=0),
    ),
)

TABLES: dict[str, Table] = {
    t.name: t for t in (GRADUATES, SURVEY, TEACHERS, ENTERPRISES, INTERNSHIPS, ENROLLMENT, RECRUITMENT)
}

#: Cross-table links checked at load time: ``(table, column, refers to table, refers to column)``.
#: A row whose non-blank value has no match among the kept rows of the referred table is flagged
#: (``unlinked_id``) and kept: indicators that group it by the graduates' fields cannot place it.
#: Enterprise names are not linked here: an internship host outside the partner ledger is legitimate
#: and names vary (有限公司, branches); :mod:`coopmetrics.partners` matches names with normalisation.
LINKS: tuple[tuple[str, str, str, str], ...] = (
    ("internships", "student_id", "graduates", "student_id"),
    ("survey", "student_id", "graduates", "student_id"),
)

#: File or sheet names (normalised) that identify a table.
TABLE_ALIASES: dict[str, str] = {
    "graduates": "graduates", "毕业生": "graduates", "毕业生名单": "graduates", "毕业去向": "graduates",
    "就业": "graduates", "毕业生就业": "graduates", "毕业生去向": "graduates",
    "survey": "survey", "问卷": "survey", "调查": "survey", "满意度调查": "survey", "满意度": "survey",
    "teachers": "teachers", "教师": "teachers", "师资": "teachers", "教师名单": "teachers",
    "enterprises": "enterprises", "合作企业": "enterprises", "企业": "enterprises", "合作企业年度台账": "enterprises",
    "产学合作": "enterprises",
    "internships": "internships", "实习": "internships", "岗位实习": "internships", "顶岗实习": "internships",
    "enrollment": "enrollment", "在校生": "enrollment", "在校生人数": "enrollment",
    "recruitment": "recruitment", "招聘岗位": "recruitment", "招聘会": "recruitment", "岗位信息": "recruitment",
    "招聘信息": "recruitment", "岗位需求": "recruitment", "招聘": "recruitment",
}

# --- cooperation mechanisms (issue 14): optional tables -------------------------------------------
# A college that does not hand in one of these tables gets its indicators as missing_input (未提供数据).
# Aliases include the state data platform's headers where they exist: A4-1 校内实践基地表, A4-2 校外实习实训
# 基地表, ODS_SXJDSJ 实训基地 (headers [U]: from the platform's field names as schools quote them), the
# 质量年报 服务贡献表 rows (技术交易到款额, 知识产权项目数, 专利成果转化到款额, 横向技术服务产生的经济效益).

_BASE_LOCATION_VALUES = {
    "校内": "on_campus", "校内实训基地": "on_campus", "校内实践基地": "on_campus", "校内基地": "on_campus",
    "on_campus": "on_campus",
    "校外": "off_campus", "校外实训基地": "off_campus", "校外实习实训基地": "off_campus",
    "校外实习基地": "off_campus", "校外基地": "off_campus", "off_campus": "off_campus",
}
_BASE_MODEL_VALUES = {
    "校中厂": "factory_in_school", "factory_in_school": "factory_in_school",
    "厂中校": "school_in_factory", "school_in_factory": "school_in_factory",
    "生产实训中心": "production_center", "生产性实训中心": "production_center", "教学工厂": "production_center",
    "生产性教学工厂": "production_center", "production_center": "production_center",
    "技能大师工作室": "master_studio", "大师工作室": "master_studio", "master_studio": "master_studio",
    "企业工作室": "enterprise_studio", "企业驻校工作室": "enterprise_studio", "前店后校": "enterprise_studio",
    "enterprise_studio": "enterprise_studio",
    "产业学院": "industry_college", "industry_college": "industry_college",
    "实训基地": "training_base", "实训室": "training_base", "一般实训基地": "training_base",
    "training_base": "training_base",
    "实习基地": "internship_base", "顶岗实习基地": "internship_base", "岗位实习基地": "internship_base",
    "就业基地": "internship_base", "实习就业基地": "internship_base", "internship_base": "internship_base",
}
_AGREEMENT_TYPE_VALUES = {
    "合作协议": "framework", "校企合作协议": "framework", "框架协议": "framework", "战略合作协议": "framework",
    "framework": "framework",
    "意向书": "intent", "合作意向书": "intent", "校企合作意向书": "intent", "intent": "intent",
    "订单培养协议": "order", "订单协议": "order", "委托培养协议": "order", "order": "order",
    "现代学徒制协议": "apprenticeship", "学徒制协议": "apprenticeship", "apprenticeship": "apprenticeship",
    "实习协议": "internship", "顶岗实习协议": "internship", "岗位实习协议": "internship", "internship": "internship",
    "共建基地协议": "base", "实训基地协议": "base", "基地协议": "base", "base": "base",
    "双师型教师培养协议": "teacher", "教师培养协议": "teacher", "师资培养协议": "teacher", "teacher": "teacher",
    "其他": "other", "other": "other",
}
_FULFILMENT_VALUES = {
    "已履约": "honoured", "履约": "honoured", "正常履行": "honoured", "全部履行": "honoured", "良好": "honoured",
    "honoured": "honoured",
    "部分履约": "partly", "部分履行": "partly", "partly": "partly",
    "未履约": "not_honoured", "未履行": "not_honoured", "违约": "not_honoured", "not_honoured": "not_honoured",
}
_AGREEMENT_STATUS_VALUES = {
    "有效": "active", "执行中": "active", "履行中": "active", "在期": "active", "active": "active",
    "到期": "expired", "已到期": "expired", "期满": "expired", "expired": "expired",
    "终止": "terminated", "已终止": "terminated", "解除": "terminated", "terminated": "terminated",
    "续签": "renewed", "已续签": "renewed", "renewed": "renewed",
}
_EVENT_TYPE_VALUES = {
    "专业建设指导委员会会议": "committee_meeting", "专业教学指导委员会会议": "committee_meeting",
    "专指委会议": "committee_meeting", "专家咨询委员会会议": "committee_meeting",
    "committee_meeting": "committee_meeting",
    "校企合作委员会会议": "coop_committee_meeting", "校企合作指导委员会会议": "coop_committee_meeting",
    "理事会": "coop_committee_meeting", "coop_committee_meeting": "coop_committee_meeting",
    "例会": "regular_meeting", "联席会议": "regular_meeting", "regular_meeting": "regular_meeting",
    "走访企业": "visit", "访企拓岗": "visit", "企业走访": "visit", "访企": "visit", "visit": "visit",
    "毕业生回访": "followup", "实习生回访": "followup", "回访": "followup", "followup": "followup",
    "校企座谈会": "forum", "座谈会": "forum", "联谊会": "forum", "洽谈会": "forum", "forum": "forum",
    "企业家进校园": "lecture", "企业家报告会": "lecture", "讲座": "lecture", "专家讲座": "lecture",
    "lecture": "lecture",
    "招聘会": "job_fair", "双选会": "job_fair", "供需见面会": "job_fair", "job_fair": "job_fair",
    "技能比武": "competition", "技能大赛": "competition", "competition": "competition",
    "其他": "other", "other": "other",
}
_COMMITTEE_TYPE_VALUES = {
    "专业建设指导委员会": "steering", "专业教学指导委员会": "steering", "专指委": "steering",
    "专家咨询委员会": "steering", "steering": "steering",
    "校企合作委员会": "coop", "校企合作指导委员会": "coop", "校企合作理事会": "coop", "coop": "coop",
    "职教集团": "group", "职业教育集团": "group", "校企合作联盟": "group", "产教联盟": "group",
    "产教融合共同体": "group", "group": "group",
    "产学合作委员会": "industry_council", "产业学院理事会": "industry_council",
    "industry_council": "industry_council",
}
_MEMBER_TYPE_VALUES = {
    "企业": "enterprise", "行业企业": "enterprise", "企业专家": "enterprise", "enterprise": "enterprise",
    "学校": "school", "校内": "school", "职业学校": "school", "院校": "school", "school": "school",
    "行业协会": "industry", "行业": "industry", "industry": "industry",
    "政府": "government", "政府部门": "government", "government": "government",
    "科研院所": "research", "高校": "research", "research": "research",
}
_SERVICE_TYPE_VALUES = {
    "技改": "tech_improvement", "技术改造": "tech_improvement", "技改项目": "tech_improvement",
    "工艺改进": "tech_improvement", "tech_improvement": "tech_improvement",
    "技术攻关": "tech_tackling", "攻关": "tech_tackling", "课题攻关": "tech_tackling",
    "tech_tackling": "tech_tackling",
    "技术服务": "tech_service", "横向技术服务": "tech_service", "技术开发": "tech_service",
    "tech_service": "tech_service",
    "技术咨询": "consulting", "咨询": "consulting", "consulting": "consulting",
    "专利": "patent", "知识产权": "patent", "专利申请": "patent", "patent": "patent",
    "成果转化": "transfer", "专利转化": "transfer", "技术转让": "transfer", "专利成果转化": "transfer",
    "技术交易": "transfer", "transfer": "transfer",
    "培训": "training", "职工培训": "training", "员工培训": "training", "非学历培训": "training",
    "社会培训": "training", "training": "training",
    "技能鉴定": "appraisal", "职业技能鉴定": "appraisal", "鉴定": "appraisal", "appraisal": "appraisal",
    "职业标准": "standard", "标准制定": "standard", "标准开发": "standard", "standard": "standard",
    "新产品开发": "product", "产品研发": "product", "新产品": "product", "product": "product",
}
_TRAINING_KIND_VALUES = {
    "学历教育": "degree", "学历提升": "degree", "学历教育培训": "degree", "学历教育培训班": "degree",
    "degree": "degree",
    "专技人员培训": "professional", "专业技术人员培训": "professional", "专技人员培训班": "professional",
    "professional": "professional",
    "特殊工种": "special", "特殊行业": "special", "特种作业": "special", "特殊行业或工种培训班": "special",
    "special": "special",
    "技能培训": "skill", "职业技能培训": "skill", "skill": "skill",
    "高技能人才培训": "high_skill", "高级工以上": "high_skill", "高技能": "high_skill", "high_skill": "high_skill",
    "其他": "other", "other": "other",
}

BASES = Table(
    "bases", "实训基地",
    key=("base", "year"),
    description="One row per co-built practice base per year (校内/校外, 校中厂, 厂中校, 生产实训中心, 大师工作室).",
    columns=(
        Column("base", "str", "基地名称", ("实训基地名称", "实习实训基地名称", "校内实践基地名称", "校外实习实训基地名称",
                                        "实训基地", "基地"), required=True),
        Column("year", "year", "年份", ("年度", "统计年份", "学年"), required=True, lo=2000, hi=2035),
        Column("department", "str", "院系", ("二级学院", "系部")),
        Column("major", "str", "专业名称", ("面向专业", "服务专业", "依托专业", "专业")),
        Column("enterprise", "str", "合作企业", ("合作企业名称", "合作单位", "共建企业", "依托单位")),
        Column("location", "category", "校内外", ("基地类别", "基地位置", "校内/校外"), values=_BASE_LOCATION_VALUES),
        Column("model", "category", "合作模式", ("基地形式", "建设模式", "基地类型"), values=_BASE_MODEL_VALUES),
        Column("productive", "bool", "是否生产性", ("生产性实训基地", "是否生产性实训基地", "生产性")),
        Column("substantive", "bool", "是否实质性合作", ("实质性合作", "有实质性合作")),
        Column("demonstration", "bool", "是否示范基地", ("校企合作示范基地", "示范基地")),
        Column("plaque", "bool", "是否挂牌", ("挂牌",)),
        Column("established", "year", "建立年份", ("建立时间", "共建时间", "建设年份", "设立年月"), lo=1950, hi=2035),
        Column("stations", "int", "工位数", ("实训工位数", "工位"), lo=0),
        Column("student_visits", "int", "年接待学生人次", ("接待学生量", "接待学生人次", "年接待学生量", "接待学生量(人次)", "年接待学生量(人次)"), lo=0),
        Column("usage_hours", "float", "年使用人时", ("实训人时", "使用人时", "年使用时数"), lo=0),
        Column("school_investment", "float", "学校投入", ("学校投入资金", "学院投入", "学校投入金额"), money=True, lo=0),
        Column("enterprise_investment", "float", "企业投入", ("企业投入资金", "企业投入金额", "企业投入设备值"),
               money=True, lo=0),
        Column("annual_output", "float", "年产值", ("年生产产值", "产值"), money=True, lo=0),
        Column("enterprise_staff", "int", "企业驻校人员数", ("企业人员数", "驻校企业人员"), lo=0),
    ),
)

AGREEMENTS = Table(
    "agreements", "合作协议",
    key=("enterprise", "year", "agreement_id"),
    description="One row per agreement (or letter of intent) per reporting year, with its term and fulfilment.",
    columns=(
        Column("agreement_id", "code", "协议编号", ("合同编号", "协议号")),
        Column("enterprise", "str", "合作企业", ("企业名称", "合作企业名称", "合作单位", "签约企业"), required=True),
        Column("year", "year", "年份", ("年度", "统计年份", "签订年份"), required=True, lo=2000, hi=2035),
        Column("department", "str", "院系", ("二级学院", "系部")),
        Column("major", "str", "专业名称", ("合作专业", "专业")),
        Column("agreement_type", "category", "协议类型", ("协议种类", "类型"), values=_AGREEMENT_TYPE_VALUES),
        Column("signed_date", "date", "签订日期", ("签订时间", "签约日期", "签署日期")),
        Column("start_date", "date", "协议开始日期", ("生效日期", "开始日期")),
        Column("end_date", "date", "协议到期日期", ("到期日期", "结束日期", "截止日期")),
        Column("term_years", "float", "协议期限", ("合作期限", "协议年限", "期限"), lo=0, hi=50),
        Column("plaque", "bool", "是否挂牌", ("挂牌",)),
        Column("status", "category", "协议状态", ("状态",), values=_AGREEMENT_STATUS_VALUES),
        Column("fulfilment", "category", "履约情况", ("履行情况", "履约状态", "是否履约"), values=_FULFILMENT_VALUES),
    ),
)

EVENTS = Table(
    "events", "校企活动",
    key=("event_id", "year", "event_type", "date", "enterprise"),
    description="Governance and exchange events: committee meetings, 例会, visits to firms, forums, lectures.",
    columns=(
        Column("event_id", "code", "活动编号", ("编号",)),
        Column("year", "year", "年份", ("年度", "统计年份"), required=True, lo=2000, hi=2035),
        Column("date", "date", "活动日期", ("日期", "活动时间", "走访日期")),
        Column("event_type", "category", "活动类型", ("类型", "活动类别"), required=True, values=_EVENT_TYPE_VALUES),
        Column("title", "str", "活动名称", ("活动主题", "主题")),
        Column("department", "str", "院系", ("二级学院", "系部")),
        Column("major", "str", "专业名称", ("专业",)),
        Column("enterprise", "str", "企业名称", ("走访企业", "合作企业", "单位名称")),
        Column("enterprises", "int", "参与企业数", ("参会企业数", "企业数", "参与企业数(家)", "参会企业数(家)"), lo=0),
        Column("participants", "int", "参与人数", ("参加人数", "人数"), lo=0),
    ),
)

COMMITTEES = Table(
    "committees", "委员会成员",
    key=("committee", "year", "member_id"),
    description="One row per member of a steering committee, 校企合作委员会 or 职教集团 per year.",
    columns=(
        Column("committee", "str", "委员会名称", ("委员会", "组织名称", "集团名称"), required=True),
        Column("committee_type", "category", "委员会类型", ("组织类型",), values=_COMMITTEE_TYPE_VALUES),
        Column("year", "year", "年份", ("年度", "统计年份"), required=True, lo=2000, hi=2035),
        Column("member_id", "code", "成员编号", ("委员编号",)),
        Column("member_type", "category", "成员类别", ("成员类型", "委员来源", "来源"), values=_MEMBER_TYPE_VALUES),
        Column("organisation", "str", "成员单位", ("所在单位", "工作单位", "单位名称")),
        Column("role", "str", "委员会职务", ("职务",)),
        Column("department", "str", "院系", ("二级学院", "系部")),
        Column("major", "str", "专业名称", ("专业",)),
        *_PII,
    ),
)

SERVICES = Table(
    "services", "社会服务项目",
    key=("project_id", "year"),
    description="One row per service project for firms: 技改/攻关, 专利, 成果转化, 培训 (人数/人次/人日/到款额).",
    columns=(
        Column("project_id", "code", "项目编号", ("编号",)),
        Column("project", "str", "项目名称", ("服务项目名称", "名称")),
        Column("year", "year", "年份", ("年度", "统计年份"), required=True, lo=2000, hi=2035),
        Column("service_type", "category", "服务类型", ("项目类型", "类型"), required=True,
               values=_SERVICE_TYPE_VALUES),
        Column("department", "str", "院系", ("二级学院", "系部")),
        Column("major", "str", "专业名称", ("专业",)),
        Column("enterprise", "str", "服务企业", ("合作企业", "企业名称", "委托单位")),
        Column("income", "float", "到款额", ("项目到款额", "到账金额", "到账经费", "技术交易到款额",
                                           "专利成果转化到款额"), money=True, lo=0),
        Column("economic_benefit", "float", "经济效益", ("产生的经济效益", "横向技术服务产生的经济效益", "新增产值"),
               money=True, lo=0),
        Column("patents", "int", "专利数", ("知识产权项目数", "授权专利数", "专利项数", "专利数(项)", "知识产权项目数(项)"), lo=0),
        Column("trainees", "int", "培训人数", ("受训人数",), lo=0),
        Column("person_times", "int", "培训人次", ("人次", "培训人次(人次)"), lo=0),
        Column("person_days", "float", "培训人日", ("人日", "培训人天", "人天"), lo=0),
        Column("training_kind", "category", "培训类型", ("培训类别",), values=_TRAINING_KIND_VALUES),
        Column("teachers", "int", "参与教师数", ("服务教师数", "教师人数"), lo=0),
    ),
)

TABLES.update({t.name: t for t in (BASES, AGREEMENTS, EVENTS, COMMITTEES, SERVICES)})
TABLE_ALIASES.update({
    "bases": "bases", "实训基地": "bases", "实习实训基地": "bases", "校内实践基地": "bases",
    "校外实习实训基地": "bases", "共建基地": "bases",
    "agreements": "agreements", "合作协议": "agreements", "校企合作协议": "agreements", "协议": "agreements",
    "events": "events", "校企活动": "events", "活动": "events", "访企拓岗": "events",
    "committees": "committees", "委员会成员": "committees", "委员会": "committees", "职教集团成员": "committees",
    "services": "services", "社会服务项目": "services", "社会服务": "services", "技术服务项目": "services",
})

#: Columns that partition a stacked provincial panel: every table may carry the college a row belongs
#: to, and keys are unique within a college (学号 and 工号 repeat across colleges). A single college's
#: export without the column behaves as before.
PARTITION: tuple[str, ...] = ("college",)
_COLLEGE = next(c for c in GRADUATES.columns if c.name == "college")
for _name, _t in list(TABLES.items()):
    if not any(c.name == "college" for c in _t.columns):
        TABLES[_name] = replace(_t, columns=(*_t.columns, _COLLEGE))
del _name, _t

# --- header matching -------------------------------------------------------------

_UNIT_RE = re.compile(r"[（(]\s*([^（）()]*)\s*[）)]\s*$")


def normalise_header(text: object) -> tuple[str, str]:
    """Normalise a header and split off a trailing unit in brackets.

    Full-width characters become half-width (NFKC), whitespace is removed and
    Latin letters are lower-cased.

    Returns
    -------
    (header, unit) : tuple of str
        ``unit`` is the bracketed suffix (``"万元"``, ``"元"``, ``"月"``) or ``""``.

    Examples
    --------
    >>> normalise_header(" 设备值（万元） ")
    ('设备值', '万元')
    >>> normalise_header("Student ID")
    ('studentid', '')
    """
    s = unicodedata.normalize("NFKC", str(text))
    s = re.sub(r"\s+", "", s).lower()
    m = _UNIT_RE.search(s)
    unit = ""
    if m and m.group(1) in {"万元", "元", "元/月", "月", "天", "人", "个", "年", "学时", "课时", "人日", "人天", "%", "分"}:
        unit = m.group(1)
        s = s[: m.start()]
    return s, unit


def _alias_index(table: Table) -> dict[str, str]:
    index: dict[str, str] = {}
    for col in table.columns:
        for alias in (col.name, col.zh, *col.aliases):
            key, _ = normalise_header(alias)
            index.setdefault(key, col.name)
    return index


_ALIAS_INDEX = {name: _alias_index(t) for name, t in TABLES.items()}


def resolve_header(table: str, header: object) -> tuple[str | None, float]:
    """Map a raw header to ``(canonical column, multiplier)``.

    ``multiplier`` converts money in 万元 to yuan (10,000) and is 1 otherwise.
    Unknown headers give ``(None, 1.0)``; the caller keeps them as extra columns.
    """
    key, unit = normalise_header(header)
    index = _ALIAS_INDEX[table]
    name = index.get(key)
    if name is None:
        return None, 1.0
    col = TABLES[table].column(name)
    mult = 10_000.0 if (col.money and unit == "万元") else 1.0
    return name, mult
