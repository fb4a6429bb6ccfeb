"""The indicator declarations (data only): outcomes, teachers, internships, partners, surveys, totals.

Each record is an :class:`~coopmetrics.definitions.records.Indicator`; the cooperation
mechanisms of issue 14 are in :mod:`.catalog_mechanisms`. :data:`coopmetrics.registry.REGISTRY`
is the two joined. To add an indicator, append a record here (or call
:func:`coopmetrics.registry.register_indicator` at run time).
"""

from __future__ import annotations

from typing import Any

from .options import PARTNER_PROGRAMS
from .records import Filter, Indicator, Measure

#: Destination codes (and 2-digit families) that count as *employed* (placed but
#: not in further study): used as the population for salary, relevance,
#: turnover and where-they-work shares. Library convention [U]: MyCOS restricts
#: relevance and salary to 受雇全职, which the MoE codes cannot identify.
EMPLOYED_CODES: tuple[str, ...] = ("10", "11", "12", "27", "46", "50", "51", "75", "76", "77")
FURTHER_STUDY_CODES: tuple[str, ...] = ("80", "81", "82", "85")

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
#: The same citations in Chinese (``Indicator.source_zh``): what the Chinese report prints.
_SRC_2021_ZH = "教学厅函〔2021〕19号 附件1（据二手来源）[V-2]"
_SRC_2024_ZH = "教就业厅函〔2024〕11号；单位就业的代码归类未核实 [U]"
_SRC_MYCOS_ZH = "麦可思约定口径 [U]"
_SRC_A76_ZH = "状态数据 A7-6-2 / ODS_BYQXJYSJ 字段 [V-2]；比值为本库约定 [U]"
_SRC_SERVICE_ZH = "质量年报 服务贡献表 A–D 类各行 [U]（A、C 类见于年报正文 [V]）"
_SRC_A74_ZH = "状态数据 A7-4 顶岗实习表（派生比值，非官方）[V-2]"
_SRC_A75_ZH = "状态数据 A7-5 产学合作表 / ODS_CXHZSJ [V-2]"


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


def _survey(kind: str, zh: str, en: str, source: str, grade: str, notes: str, source_zh: str) -> Indicator:
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
        edition_zh="总体满意度题，满意档比例（暂定）", source_zh=source_zh,
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
        edition_zh="每位答卷人各题合并，本库约定（暂定）", source_zh="本库约定 [U]；非计分卡指标",
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
           notes: str = "", *, source_zh: str) -> Indicator:
    return Indicator(id, zh, en, unit, "sum", "enterprises", numerator=Measure("sum", column),
                     denominator=None, direction="higher", target=None, edition="状态数据 A7-5 (2016 V2.16)",
                     source=source, grade=grade, provisional=grade == "U",
                     edition_zh="状态数据 A7-5（2016 V2.16）", source_zh=source_zh,
                     notes=notes or "Missing values count as 0 in the total.")


#: Indicators of outcomes, teachers, internships, partners, surveys and totals.
CORE: tuple[Indicator, ...] = (
    # --- graduates: destinations -----------------------------------------------------------------
    Indicator(
        "graduates_total", "毕业生总数", "Number of graduates", "persons", "count", "graduates",
        numerator=Measure("count"), denominator=None, direction="none", target=None,
        edition="毕业生总数", source=_SRC_2021, grade="V-2",
        notes="Every graduate row, whatever the destination code (the denominator of all MoE rates).",
        edition_zh="毕业生总数",
        source_zh=_SRC_2021_ZH,
    ),
    _prop("placement_rate", "毕业去向落实率", "Placement rate", "graduates", (),
          (Filter("destination_code", "in_profile", (None, "placed")),),
          direction="higher", target=None, edition="毕业去向落实率 (profile-dependent)",
          source="codes.PROFILES: moe_2021 " + _SRC_2021 + "; moe_2024 " + _SRC_2024 + "; legacy 就业率 [V-2]",
          grade="V-2", options_used=("profile",),
          notes="Denominator: all graduates (毕业生总数). Missing or unknown codes stay in the denominator and "
                "never count as placed; see unknown_destination_share.",
          edition_zh="毕业去向落实率（随毕业去向归类口径而定）",
          source_zh="2021版：教学厅函〔2021〕19号 附件1（据二手来源）[V-2]；2024版：教就业厅函〔2024〕11号，单位就业的代码归类未核实 [U]；2022年前口径：就业率 [V-2]"),
    _prop("contract_employment_rate", "协议和合同就业率", "Contract and agreement employment rate", "graduates", (),
          (Filter("destination_code", "in_profile", ("moe_2021", "contract")),),
          direction="higher", target=None, edition="教学厅函〔2021〕19号 (moe_2021 grouping)", source=_SRC_2021,
          grade="V-2", notes="Codes 10, 11, 27/271, 46, 50x, 51x over all graduates; fixed to the 2021 grouping.",
          edition_zh="教学厅函〔2021〕19号（2021版归类）",
          source_zh=_SRC_2021_ZH),
    _prop("flexible_employment_rate", "灵活就业率", "Flexible employment rate", "graduates", (),
          (Filter("destination_code", "in_profile", ("moe_2021", "flexible")),),
          direction="none", target=None, edition="教学厅函〔2021〕19号 (moe_2021 grouping)", source=_SRC_2021,
          grade="V-2", notes="Codes 12, 76, 77 over all graduates; school groupings differ (some add 11).",
          edition_zh="教学厅函〔2021〕19号（2021版归类）",
          source_zh=_SRC_2021_ZH),
    _prop("self_employment_rate", "自主创业比例", "Self-employment rate", "graduates", (),
          (Filter("destination_code", "in_codes", ("75",)),),
          direction="higher", target=None, edition="教学厅函〔2021〕19号 / 〔2024〕11号 (code 75)",
          source=_SRC_2021 + "; 质量年报 计分卡 自主创业比例 [V]", grade="V-2",
          edition_zh="教学厅函〔2021〕19号 / 〔2024〕11号（代码75）",
          source_zh="教学厅函〔2021〕19号 附件1（据二手来源）[V-2]；质量年报 计分卡 自主创业比例 [V]"),
    _prop("further_study_rate", "升学率", "Further-study rate", "graduates", (),
          (Filter("destination_code", "in_codes", FURTHER_STUDY_CODES),),
          direction="none", target=None, edition="教学厅函〔2021〕19号 (80x, 81, 82, 85)", source=_SRC_2021,
          grade="V-2", notes="80x (incl. 专升本, whose 3-digit code is unverified) and 85 (abroad).",
          edition_zh="教学厅函〔2021〕19号（80x, 81, 82, 85）",
          source_zh=_SRC_2021_ZH),
    _prop("unit_employment_rate", "单位就业率", "Unit employment rate (2024 edition)", "graduates", (),
          (Filter("destination_code", "in_profile", ("moe_2024", "employed_unit")),),
          direction="higher", target=None, edition="教就业厅函〔2024〕11号 (provisional code mapping)",
          source=_SRC_2024, grade="U", provisional=True,
          notes="Assumed codes 10, 11, 12, 27x, 46, 50x, 51x.",
          edition_zh="教就业厅函〔2024〕11号（暂定代码归类）",
          source_zh=_SRC_2024_ZH),
    _prop("freelance_rate", "自由职业率", "Freelance rate (2024 edition)", "graduates", (),
          (Filter("destination_code", "in_profile", ("moe_2024", "freelance")),),
          direction="none", target=None, edition="教就业厅函〔2024〕11号 (provisional code mapping)",
          source=_SRC_2024, grade="U", provisional=True, notes="Assumed codes 76, 77.",
          edition_zh="教就业厅函〔2024〕11号（暂定代码归类）",
          source_zh=_SRC_2024_ZH),
    _prop("not_placed_rate", "未落实去向比例", "Share not placed (70/71/72)", "graduates", (),
          (Filter("destination_code", "in_codes", ("70", "71", "72")),),
          direction="lower", target=None, edition="codes 70/71/72", source=_SRC_2021, grade="V-2",
          edition_zh="代码 70/71/72",
          source_zh=_SRC_2021_ZH),
    Indicator(
        "unknown_destination_count", "去向代码缺失或无法识别人数", "Graduates with missing or unknown code",
        "persons", "count", "graduates",
        numerator=Measure("count", where=(Filter("destination_code", "unknown_code"),)), denominator=None,
        direction="lower", target=0.0, edition="codes.DESTINATION_CODES", source=_SRC_2021, grade="V-2",
        notes="Never counted as placed; fix them in the export (see the validation report).",
        edition_zh="毕业去向代码表",
        source_zh=_SRC_2021_ZH,
    ),
    _prop("unknown_destination_share", "去向代码缺失或无法识别比例", "Share with missing or unknown code",
          "graduates", (), (Filter("destination_code", "unknown_code"),),
          direction="lower", target=0.0, edition="codes.DESTINATION_CODES", source=_SRC_2021, grade="V-2",
          edition_zh="毕业去向代码表",
          source_zh=_SRC_2021_ZH),
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
                "41-52 (2021 目录 大类; grouping a convention [U]).",
          edition_zh="是否对口 / 已就业（本库约定）",
          source_zh="状态数据 A7-6-2 / ODS_BYQXJYSJ 字段 [V-2]；比值为本库约定 [U]；麦可思 工作与专业相关度 [V-2]；计分卡 理工农医类专业相关度 [V]，专业范围取“仅理工农医类专业”"),
    _prop("stem_job_relevance_rate", "理工农医类专业相关度", "Job-major relevance, STEM/agriculture/medicine majors",
          "graduates",
          (_EMPLOYED, Filter("job_relevant", "notnull"), Filter("major_code", "relevance_scope", "stem_agri_med")),
          (Filter("job_relevant", "is_true"),),
          direction="higher", target=None,
          edition="是否对口 / employed, majors whose 专业代码 starts 41-52 (library convention)",
          source="质量年报 计分卡 理工农医类专业相关度 [V]; 理工农医 = 2021 目录 专业大类 41-52 (grouping a "
                 "convention [U]); " + _SRC_A76, grade="U", provisional=True,
          notes="job_relevance_rate restricted to 理工农医类 majors whatever Options.relevance_scope says: "
                "the 计分卡 item. Graduates without a six-digit 专业代码 are outside it.",
          edition_zh="是否对口 / 已就业，专业代码前两位为41-52的专业（本库约定）",
          source_zh="质量年报 计分卡 理工农医类专业相关度 [V]；理工农医 = 2021版专业目录 专业大类 41-52（归类为本库约定 [U]）；状态数据 A7-6-2 / ODS_BYQXJYSJ 字段 [V-2]；比值为本库约定 [U]"),
    Indicator(
        "salary_mean", "月收入（平均）", "Mean monthly salary", "yuan_per_month", "mean", "graduates",
        numerator=Measure("mean", "monthly_salary", where=(_EMPLOYED, Filter("monthly_salary", "notnull"))),
        denominator=None, direction="higher", target=None, edition="月收入 among employed (convention)",
        source=_SRC_MYCOS + "; 状态数据 起薪线 [V-2]", grade="U", provisional=True,
        notes="Mean over employed graduates with a salary recorded; t interval.",
        edition_zh="已就业者的月收入（约定口径）",
        source_zh="麦可思约定口径 [U]；状态数据 起薪线 [V-2]",
    ),
    Indicator(
        "salary_median", "月收入（中位数）", "Median monthly salary", "yuan_per_month", "median", "graduates",
        numerator=Measure("median", "monthly_salary", where=(_EMPLOYED, Filter("monthly_salary", "notnull"))),
        denominator=None, direction="higher", target=None, edition="月收入 among employed (convention)",
        source=_SRC_MYCOS + "; 状态数据 起薪线 [V-2]", grade="U", provisional=True,
        notes="Exact median by the engine; distribution-free order-statistic interval.",
        edition_zh="已就业者的月收入（约定口径）",
        source_zh="麦可思约定口径 [U]；状态数据 起薪线 [V-2]",
    ),
    _prop("turnover_rate", "半年内离职率", "Six-month turnover", "graduates",
          (_EMPLOYED, Filter("left_within_6m", "notnull")), (Filter("left_within_6m", "is_true"),),
          direction="lower", target=None, edition="MyCOS 离职率 (convention)", source=_SRC_MYCOS, grade="U",
          provisional=True, notes="有过离职行为的人数 / employed with the item recorded.",
          edition_zh="麦可思 离职率（约定口径）",
          source_zh=_SRC_MYCOS_ZH),
    _prop("partner_employment_rate", "合作企业就业率", "Employment in a partner firm", "graduates",
          (_EMPLOYED, Filter("employer_is_partner", "notnull")), (Filter("employer_is_partner", "is_true"),),
          direction="higher", target=None, edition="就业单位是否校企合作单位 / employed (convention)",
          source=_SRC_A76, grade="U", provisional=True,
          edition_zh="就业单位是否校企合作单位 / 已就业（约定口径）",
          source_zh=_SRC_A76_ZH),
    _prop("partner_retention_rate", "合作培养学生被合作企业录用率", "Retention by the partner firm", "graduates",
          (Filter("program", "in", PARTNER_PROGRAMS), Filter("partner", "notnull")),
          (Filter("employer", "eq_column", "partner"),),
          direction="higher", target=None, edition="Übernahmequote-style convention",
          source="library convention (BIBB Übernahmequote analogue) [U]; definitions-cn.md §1.3", grade="U",
          provisional=True,
          notes="Graduates of partnership class types (order, named, modern apprenticeship, dual-system, "
                "commissioned) with a partner recorded whose employer equals that partner (exact name match "
                "after loading).",
          edition_zh="参照德国企业留用率的本库约定",
          source_zh="本库约定，参照德国联邦职业教育研究所（BIBB）企业留用率 [U]"),
    _prop("local_employment_share", "本地就业比例（A类）", "Local employment share (A)", "graduates",
          (_EMPLOYED, Filter("local_job", "notnull")), (Filter("local_job", "is_true"),),
          direction="none", target=None, edition="质量年报 服务贡献表 A类 / 就业人数", source=_SRC_SERVICE,
          grade="U", provisional=True,
          edition_zh="质量年报 服务贡献表 A类 / 就业人数",
          source_zh=_SRC_SERVICE_ZH),
    _prop("west_northeast_share", "西部和东北地区就业比例（B类）", "Western/north-eastern employment share (B)",
          "graduates", (_EMPLOYED, Filter("west_northeast_job", "notnull")),
          (Filter("west_northeast_job", "is_true"),),
          direction="none", target=None, edition="质量年报 服务贡献表 B类 / 就业人数", source=_SRC_SERVICE,
          grade="U", provisional=True,
          edition_zh="质量年报 服务贡献表 B类 / 就业人数",
          source_zh=_SRC_SERVICE_ZH),
    _prop("sme_share", "中小微企业等基层就业比例（C类）", "SME and grassroots employment share (C)", "graduates",
          (_EMPLOYED, Filter("sme_job", "notnull")), (Filter("sme_job", "is_true"),),
          direction="none", target=None, edition="质量年报 服务贡献表 C类 / 就业人数", source=_SRC_SERVICE,
          grade="U", provisional=True,
          edition_zh="质量年报 服务贡献表 C类 / 就业人数",
          source_zh=_SRC_SERVICE_ZH),
    _prop("top500_share", "500强企业就业比例（D类）", "Top-500 employer share (D)", "graduates",
          (_EMPLOYED, Filter("top500_job", "notnull")), (Filter("top500_job", "is_true"),),
          direction="none", target=None, edition="质量年报 服务贡献表 D类 / 就业人数", source=_SRC_SERVICE,
          grade="U", provisional=True,
          edition_zh="质量年报 服务贡献表 D类 / 就业人数",
          source_zh=_SRC_SERVICE_ZH),
    _prop("order_class_share", "订单班毕业生比例", "Share of graduates from order classes", "graduates",
          (Filter("program", "notnull"),), (Filter("program", "eq", "order_class"),),
          direction="none", target=None, edition="培养模式 (convention)",
          source="《职业学校校企合作促进办法》 forms [V]; share is a library convention [U]", grade="U",
          provisional=True,
          edition_zh="培养模式（约定口径）",
          source_zh="《职业学校校企合作促进办法》合作形式 [V]；比例为本库约定 [U]"),
    _prop("apprenticeship_share", "现代学徒制毕业生比例", "Share of graduates from apprenticeships", "graduates",
          (Filter("program", "notnull"),), (Filter("program", "eq", "apprenticeship"),),
          direction="none", target=None, edition="培养模式 (convention)",
          source="《职业学校校企合作促进办法》 学徒制合作 [V]; share is a library convention [U]", grade="U",
          provisional=True,
          edition_zh="培养模式（约定口径）",
          source_zh="《职业学校校企合作促进办法》学徒制合作 [V]；比例为本库约定 [U]"),
    _prop("partnership_program_share", "合作培养（订单/冠名/现代学徒制/校企双制/定向委培）毕业生比例",
          "Share of graduates from partnership programs", "graduates",
          (Filter("program", "notnull"),), (Filter("program", "in", PARTNER_PROGRAMS),),
          direction="none", target=None, edition="培养模式 (convention)",
          source="《职业学校校企合作促进办法》 [V]; share is a library convention [U]", grade="U", provisional=True,
          notes="企业新型学徒制 (employees) and 其他 are not counted; 其他 holds unknown labels (flagged at load).",
          edition_zh="培养模式（约定口径）",
          source_zh="《职业学校校企合作促进办法》[V]；比例为本库约定 [U]"),
    # --- surveys ----------------------------------------------------------------------------------
    _survey("internship", "实习满意度", "Internship satisfaction",
            "no national formula [U]; definitions-cn.md §4.2", "U",
            "Top-box share of valid answers; respondents raked to the roster when survey_weights='raking'.",
            source_zh="无全国统一公式 [U]"),
    _survey("employment", "就业满意度", "Employment satisfaction",
            "MyCOS 就业现状满意度 [U]; definitions-cn.md §4.3", "U",
            "Whether 不确定 stays in the denominator is unverified: add it to exclude_levels to drop it.",
            source_zh="麦可思 就业现状满意度 [U]"),
    _survey("school", "母校满意度", "Satisfaction with the school",
            "MyCOS 2014 校友满意度 (很满意+满意, 无法评估 excluded) [V]; 质量年报 计分卡 [V]; definitions-cn.md §2.3",
            "V", "Default top-2-box follows MyCOS 2014; later MyCOS counts 基本满意 too [U].",
            source_zh="麦可思2014年校友满意度（很满意+满意，“无法评估”不计入）[V]；质量年报 计分卡 [V]"),
    _survey("employer", "雇主满意度", "Employer satisfaction",
            "no national formula [U]; 状态数据 A9-4 implies a survey [V-2]; definitions-cn.md §4.2", "U",
            "Employer respondents are not on the graduate roster: no raking, response rate not available.",
            source_zh="无全国统一公式 [U]；状态数据 A9-4 意味着需问卷调查 [V-2]"),
    _survey_pool("internship", "实习满意度（各题合并）", "Internship satisfaction, all items pooled"),
    _survey_pool("employment", "就业满意度（各题合并）", "Employment satisfaction, all items pooled"),
    _survey_pool("school", "母校满意度（各题合并）", "School satisfaction, all items pooled"),
    _survey_pool("employer", "雇主满意度（各题合并）", "Employer satisfaction, all items pooled"),
    # --- teachers ---------------------------------------------------------------------------------
    _prop("dual_teacher_ratio_fulltime", "双师素质专任教师比例", "Double-qualified share of full-time teachers",
          "teachers", (_FT,), (Filter("dual", "dual_qualified"),),
          direction="higher", target=None, edition="2004 评估方案 denominator 专任教师",
          source="质量年报 资源表 双师素质专任教师比例 [V as indicator]; definitions-cn.md §3.1", grade="V",
          options_used=("dual_definition",),
          edition_zh="2004年评估方案，分母为专任教师",
          source_zh="质量年报 资源表 双师素质专任教师比例（指标名称 [V]）"),
    _prop("dual_teacher_ratio_professional", "双师型教师占专业课教师比例",
          "Double-qualified share of professional-course teachers", "teachers", (_FT, _PROF),
          (Filter("dual", "dual_qualified"),),
          direction="higher", target=0.5, edition="国发〔2019〕4号 target > 50 % (wording [U])",
          source="国发〔2019〕4号 (wording not retrieved [U]); 教师厅〔2022〕2号 [V]; definitions-cn.md §3.2, §3.4",
          grade="U", provisional=True, options_used=("dual_definition",),
          notes="Denominator: full-time teachers flagged 专业课教师 (convention; whether enterprise part-time "
                "teachers enter the 2019+ denominator is unverified).",
          edition_zh="国发〔2019〕4号 目标 > 50%（原文措辞未核实 [U]）",
          source_zh="国发〔2019〕4号（原文未取得 [U]）；教师厅〔2022〕2号 [V]"),
    Indicator(
        "fulltime_teachers", "专任教师数", "Full-time teachers", "persons", "count", "teachers",
        numerator=Measure("count", where=(_FT,)), denominator=None, direction="none", target=None,
        edition="专任教师", source="状态数据 A6-1-1 [V-2]", grade="V-2",
        edition_zh="专任教师",
        source_zh="状态数据 A6-1-1 [V-2]",
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
                 "艺术 11); see student_teacher_ratio_simple for the old variant.",
           edition_zh="教发〔2004〕2号：折合在校生数 /（专任教师数 + 聘请校外教师数 × 0.5）",
           source_zh="教育部《普通高等学校基本办学条件指标（试行）》教发〔2004〕2号 注（生师比 = 折合在校生数 / 教师总数；教师总数 = 专任教师数 + 聘请校外教师数 × 0.5）[V-2]；质量年报 资源表 生师比"),
    _ratio("student_teacher_ratio_simple", "在校生与专任教师之比（简化口径）",
           "Full-time students per full-time teacher (simplified, not 生师比)", "students_per_teacher",
           Measure("sum", "students", table="enrollment"),
           Measure("count", where=(_FT,), table="teachers"),
           direction="lower", target=None, edition="全日制在校生 / 专任教师 (library convention)",
           source="library convention [U]; the official 生师比 is student_teacher_ratio (教发〔2004〕2号)", grade="U",
           provisional=True,
           notes="Full-time enrolment over full-time teachers only: no 折合 weighting of students and no "
                 "external teachers. Kept for continuity with earlier coopmetrics output.",
           edition_zh="全日制在校生 / 专任教师（本库约定）",
           source_zh="本库约定 [U]；官方生师比见“生师比”指标（教发〔2004〕2号）"),
    _prop("senior_title_share", "高级职务专任教师比例", "Senior-title share of full-time teachers", "teachers",
          (_FT, Filter("title_level", "notnull")), (Filter("title_level", "eq", "senior"),),
          direction="higher", target=None, edition="质量年报 资源表 (convention)",
          source="质量年报 资源表 高级职务专任教师比例 [U]; definitions-cn.md §2.2", grade="U", provisional=True,
          edition_zh="质量年报 资源表（约定口径）",
          source_zh="质量年报 资源表 高级职务专任教师比例 [U]"),
    Indicator(
        "enterprise_teaching_share", "企业兼职教师专业课学时占比",
        "Share of professional-course hours taught by enterprise teachers", "share", "ratio_of_sums",
        "teachers",
        numerator=Measure("sum", "professional_hours", where=(Filter("category", "eq", "enterprise_part_time"),)),
        denominator=Measure("sum", "professional_hours"), direction="higher", target=None,
        edition="质量年报 资源表 (convention)",
        source="质量年报 资源表 企业兼职教师专业课学时占比 [U]; definitions-cn.md §2.2, §5.3", grade="U",
        provisional=True, notes="Sum of hours over all teachers; delta-method interval over teacher rows.",
        edition_zh="质量年报 资源表（约定口径）",
        source_zh="质量年报 资源表 企业兼职教师专业课学时占比 [U]",
    ),
    _prop("practice_compliance_rate", "专业课教师企业实践达标率", "Enterprise-practice compliance", "teachers",
          (_FT, _PROF, Filter("enterprise_practice_days_5y", "notnull")),
          (Filter("enterprise_practice_days_5y", "ge", "practice_days"),),
          direction="higher", target=1.0, edition="《职业学校教师企业实践规定》(2016) 第四条: 每5年累计不少于6个月",
          source="《职业学校教师企业实践规定》 第四条 [V]; definitions-cn.md §3.3", grade="V",
          options_used=("practice_days",),
          notes="Days in the rolling five years >= practice_days (default 180 ≈ six months).",
          edition_zh="《职业学校教师企业实践规定》（2016）第四条：每5年累计不少于6个月",
          source_zh="《职业学校教师企业实践规定》第四条 [V]"),
    # --- internships ------------------------------------------------------------------------------
    _prop("intern_hire_rate", "顶岗实习学生企业录用率", "Host hire rate of interns", "internships",
          (Filter("hired", "notnull"),), (Filter("hired", "is_true"),),
          direction="higher", target=None, edition="A7-4 企业录用顶岗实习毕业生数 / 顶岗实习毕业生总数",
          source=_SRC_A74, grade="V-2", notes="Unit: internship record (student × host).",
          edition_zh="A7-4 企业录用顶岗实习毕业生数 / 顶岗实习毕业生总数",
          source_zh=_SRC_A74_ZH),
    _prop("internship_relevance_rate", "顶岗实习对口率", "Internship relevance", "internships",
          (Filter("relevant", "notnull"),), (Filter("relevant", "is_true"),),
          direction="higher", target=None, edition="A7-4 顶岗实习对口毕业生数 / 总数", source=_SRC_A74, grade="V-2",
          edition_zh="A7-4 顶岗实习对口毕业生数 / 总数",
          source_zh=_SRC_A74_ZH),
    _prop("internship_insurance_rate", "实习责任保险参保率", "Internship insurance coverage", "internships",
          (Filter("insured", "notnull"),), (Filter("insured", "is_true"),),
          direction="higher", target=1.0, edition="A7-4 参加保险学生数 / 总数; 实习责任保险 compulsory",
          source=_SRC_A74 + "; 2021 实习规定 (provincial 细则) [V-2]", grade="V-2",
          edition_zh="A7-4 参加保险学生数 / 总数；实习责任保险为强制要求",
          source_zh="状态数据 A7-4 顶岗实习表（派生比值，非官方）[V-2]；2021年《职业学校学生实习管理规定》（省级细则）[V-2]"),
    _prop("internship_pay_compliance_rate", "实习报酬达标率", "Internship pay compliance", "internships",
          (Filter("monthly_pay", "notnull"),), (Filter("monthly_pay", "pay_compliant"),),
          direction="higher", target=1.0, edition="《职业学校学生实习管理规定》 (pay_rule)",
          source="2021 实习规定 第十八条 [V]; 2016 教职成〔2016〕3号 第十七条 [V]; definitions-cn.md §4.1",
          grade="V", options_used=("pay_rule",),
          notes="2021: pay >= 0.8 × post wage or >= lowest-grade wage; 2016: pay >= 0.8 × probation wage. "
                "Records without the reference wage count as not shown compliant.",
          edition_zh="《职业学校学生实习管理规定》（实习报酬合规规则）",
          source_zh="2021年《职业学校学生实习管理规定》第十八条 [V]；2016年《职业学校学生实习管理规定》（教职成〔2016〕3号）第十七条 [V]"),
    _prop("internship_duration_rate", "实习时长达6个月比例", "Internships of six months or more", "internships",
          (Filter("months", "notnull"),), (Filter("months", "ge", 6),),
          direction="none", target=None, edition="岗位实习一般为6个月 (2016 第十条 [V]; 2021 [V-2])",
          source="教职成〔2016〕3号 第十条 [V]; definitions-cn.md §4.1", grade="V",
          edition_zh="岗位实习一般为6个月（2016 第十条 [V]；2021 [V-2]）",
          source_zh="教职成〔2016〕3号 第十条 [V]"),
    Indicator(
        "internship_months_mean", "平均实习时长", "Mean internship duration", "months", "mean", "internships",
        numerator=Measure("mean", "months", where=(Filter("months", "notnull"),)), denominator=None,
        direction="none", target=6.0, edition="岗位实习一般为6个月", source="教职成〔2016〕3号 第十条 [V]", grade="V",
        edition_zh="岗位实习一般为6个月",
        source_zh="教职成〔2016〕3号 第十条 [V]",
    ),
    Indicator(
        "internship_pay_mean", "平均实习报酬", "Mean monthly internship pay", "yuan_per_month", "mean",
        "internships",
        numerator=Measure("mean", "monthly_pay", where=(Filter("monthly_pay", "notnull"),)), denominator=None,
        direction="higher", target=None, edition="实习报酬 (convention)", source="《职业学校学生实习管理规定》 pay articles (2016 第十七条, 2021 第十八条) [V]; definitions-cn.md §4.1",
        grade="V",
        edition_zh="实习报酬（约定口径）",
        source_zh="《职业学校学生实习管理规定》实习报酬条款（2016年第十七条、2021年第十八条）[V]",
    ),
    # --- enterprises ------------------------------------------------------------------------------
    Indicator(
        "partner_count", "合作企业数", "Partner enterprises", "enterprises", "count", "enterprises",
        numerator=Measure("count_distinct", "enterprise"), denominator=None, direction="higher", target=None,
        edition="A7-5 产学合作企业总数", source=_SRC_A75, grade="V-2",
        notes="Distinct enterprise names in the ledger (an enterprise with several majors counts once per group).",
        edition_zh="A7-5 产学合作企业总数",
        source_zh=_SRC_A75_ZH,
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
        edition_zh="本库约定",
        source_zh="基于 A7-5 字段的本库约定 [U]",
    ),
    _ratio("equipment_per_student", "生均企业提供设备值", "Enterprise equipment per student", "yuan_per_student",
           Measure("sum", "equipment_value", table="enterprises"), Measure("sum", "students", table="enrollment"),
           direction="higher", target=None, edition="质量年报 资源表 生均企业提供的校内实践教学设备值",
           source="质量年报 资源表 [V as indicator]; denominator 在校生 [U]; definitions-cn.md §5.1", grade="U",
           provisional=True, notes="Ratio of table totals; 折合在校生 may be the official denominator [U].",
           edition_zh="质量年报 资源表 生均企业提供的校内实践教学设备值",
           source_zh="质量年报 资源表（指标名称 [V]）；分母为在校生 [U]"),
    _ratio("funds_per_student", "生均企业资金投入", "Enterprise funds per student", "yuan_per_student",
           Measure("sum", "funds", table="enterprises"), Measure("sum", "students", table="enrollment"),
           direction="higher", target=None, edition="library convention", source="企业年报 企业资源投入 [U]",
           grade="U", provisional=True,
           edition_zh="本库约定",
           source_zh="企业年报 企业资源投入 [U]"),
    _ratio("order_students_per_student", "订单培养人数占在校生比例", "Order-class students per enrolled student",
           "share", Measure("sum", "order_students", table="enterprises"),
           Measure("sum", "students", table="enrollment"),
           direction="none", target=None, edition="definitions-cn.md §5.3 suggestion (convention)",
           source="A7-5 订单培养数 [V-2] / 在校生; ratio is a library convention [U]", grade="U", provisional=True,
           edition_zh="本库建议（约定口径）",
           source_zh="A7-5 订单培养数 [V-2] / 在校生；比值为本库约定 [U]"),
    _total("interns_received", "接收实习学生数", "Interns received", "persons", "interns_received", _SRC_A75,
           source_zh=_SRC_A75_ZH),
    _total("internship_positions", "提供实习岗位数", "Internship positions offered", "positions",
           "internship_positions", "企业年报 企业资源投入 [U]", "U",
           source_zh="企业年报 企业资源投入 [U]"),
    _ratio("partner_posts_per_graduate", "合作企业实习岗位供给比", "Partner internship posts per graduate",
           "positions_per_graduate", Measure("sum", "internship_positions", table="enterprises"),
           Measure("count", table="graduates"),
           direction="higher", target=None, edition="合作企业实习岗位数 / 毕业生数 (library convention)",
           source="企业年报 企业资源投入 实习岗位 [U]; ratio a library convention [U]", grade="U", provisional=True,
           notes="Internship posts offered by partner firms (enterprise ledger) over all graduates. NOT 求人倍率 "
                 "(posts offered to job seekers): see job_demand_ratio.",
           edition_zh="合作企业实习岗位数 / 毕业生数（本库约定）",
           source_zh="企业年报 企业资源投入 实习岗位 [U]；比值为本库约定 [U]"),
    _ratio("job_demand_ratio", "求人倍率", "Job-vacancy ratio (posts per job-seeking graduate)",
           "posts_per_job_seeker", Measure("sum", "posts", table="recruitment"),
           Measure("count", where=(_SEEKING,), table="graduates"),
           direction="higher", target=None, edition="岗位需求数 / 求职毕业生数",
           source="人社部 求人倍率 = 岗位需求人数 / 求职人数 [V-2]; college usage (seed 002: 5,900 / 1,934 = 3.01); "
                  "job seekers = graduates not in further study or military service (convention [U])",
           grade="U", provisional=True,
           notes="Numerator: posts in the recruitment table (招聘会/岗位信息; optional - without it the status is "
                 "missing_input, 未提供数据). Denominator: graduates whose destination is not further study "
                 "(80x/81/82/85) or military service (46); missing codes count as seeking.",
           edition_zh="岗位需求数 / 求职毕业生数",
           source_zh="人社部 求人倍率 = 岗位需求人数 / 求职人数 [V-2]；院校惯用（院校年报案例：5,900 / 1,934 = 3.01）；求职毕业生 = 未升学、未参军的毕业生（约定口径 [U]）"),
    _ratio("enterprise_hires_per_intern", "合作企业录用比（录用毕业生/接收实习生）", "Graduates hired per intern received",
           "hires_per_intern", Measure("sum", "graduates_hired", table="enterprises"),
           Measure("sum", "interns_received", table="enterprises"),
           direction="higher", target=None, edition="library convention (Übernahmequote analogue)",
           source="A7-5 接受毕业生就业数 / 接受顶岗实习学生数 [V-2 fields]; ratio a convention [U]", grade="U",
           provisional=True,
           notes="Both from the enterprise ledger; hires need not be former interns, so this can exceed 1.",
           edition_zh="本库约定（参照德国企业留用率）",
           source_zh="A7-5 接受毕业生就业数 / 接受顶岗实习学生数（字段 [V-2]）；比值为约定 [U]"),
    _total("graduates_hired", "合作企业录用毕业生数", "Graduates hired by partners", "persons", "graduates_hired", _SRC_A75,
           source_zh=_SRC_A75_ZH),
    _total("part_time_teachers", "企业兼职教师数", "Part-time teachers from firms", "persons", "part_time_teachers",
           _SRC_A75,
           source_zh=_SRC_A75_ZH),
    _total("part_time_hours", "企业兼职教师课时", "Part-time teaching hours from firms", "hours", "part_time_hours",
           "质量年报 落实政策表 企业兼职教师年课时总量 [U]", "U",
           source_zh="质量年报 落实政策表 企业兼职教师年课时总量 [U]"),
    _total("order_students", "订单培养人数", "Order-class students", "persons", "order_students", _SRC_A75,
           source_zh=_SRC_A75_ZH),
    _total("tech_service_income", "横向技术服务到款额", "Technical-service income", "yuan", "tech_service_income",
           "质量年报 服务贡献表; 双高 headline metric [V]; A7-5 学校为企业技术服务年收入 [V-2]", "V",
           source_zh="质量年报 服务贡献表；“双高”核心指标 [V]；A7-5 学校为企业技术服务年收入 [V-2]"),
    _total("training_income", "非学历培训到款额", "Non-degree training income", "yuan", "training_income",
           "质量年报 服务贡献表 [U]", "U",
           source_zh="质量年报 服务贡献表 [U]"),
    _total("training_person_days", "为企业培训员工人日", "Staff training for firms", "person_days",
           "training_person_days", _SRC_A75,
           source_zh=_SRC_A75_ZH),
    _total("equipment_value", "企业提供设备值", "Equipment value from firms", "yuan", "equipment_value",
           "质量年报 资源表 [V as indicator]",
           source_zh="质量年报 资源表（指标名称 [V]）"),
    _total("enterprise_funds", "企业资金投入", "Funds from firms", "yuan", "funds", "企业年报 企业资源投入 [U]", "U",
           source_zh="企业年报 企业资源投入 [U]"),
)
