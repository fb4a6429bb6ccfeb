"""The report's vocabulary: sheet names, headers, status words and the Chinese words for codes.

Everything a reader sees that is not a number comes from here, so a Chinese report says
Chinese words and an English one English words. Words for codes are derived from the
data already in the library where possible (registry option choices, schema category
values, program labels), so a new choice needs no edit here.

Examples
--------
>>> zh_words("教师类别 = full_time且双师（按 dual_definition）")
'教师类别 = 专任教师且双师（按 双师认定口径）'
>>> cite("教职成〔2016〕3号 第十条 [V]; definitions-cn.md §4.1")
'教职成〔2016〕3号 第十条 [V]'
"""

from __future__ import annotations

import math
import re
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from ..validation import PROBLEM_WORDS

LANGS = ("zh", "en")

#: How a suppressed cell is shown in every output, per language.
SUPPRESSED = {"zh": "<抑制>", "en": "suppressed"}
MISSING = {"zh": "<缺少数据>", "en": "missing input"}
#: An official-table row whose input was not supplied (never 0, never invented).
NOT_SUPPLIED = {"zh": "未提供数据", "en": "no data supplied"}
NA = {"zh": "不适用", "en": "n/a"}
MASK = "<已隐去/masked>"

#: Table id -> (Chinese sheet name, English sheet name), in workbook order.
SHEETS: dict[str, tuple[str, str]] = {
    "summary": ("摘要", "Summary"),
    "scorecard": ("计分卡", "Scorecard"),
    "resources": ("教学资源表", "Teaching resources"),
    "service": ("服务贡献表", "Service contribution"),
    "policy": ("落实政策表", "Policy implementation"),
    "international": ("国际影响表", "International influence"),
    "feedback": ("学生反馈表", "Student feedback"),
    "indicators": ("指标明细", "Indicator details"),
    "by_group": ("分组指标", "By group"),
    "enterprise": ("合作企业贡献", "Partner firms"),
    "partners": ("合作企业评估", "Partner evaluation"),
    "cohorts": ("队列比较", "Cohort comparisons"),
    "yoy": ("年度变化", "Year-over-year"),
    "platform_internship": ("状态数据A7-4岗位实习", "Platform A7-4 internships"),
    "platform_partners": ("状态数据A7-5校企合作", "Platform A7-5 partnerships"),
    "definitions": ("指标定义", "Definitions"),
    "validation": ("数据校验", "Validation"),
    "accounting": ("行数核对", "Row accounting"),
    "technical": ("技术信息", "Technical"),
    "about": ("说明", "About"),
}

#: The official hand-in tables (one row per item, 届别 columns).
OFFICIAL = ("scorecard", "resources", "service", "policy", "international", "feedback")

#: Columns that hold ids or raw option values: shown only on the technical sheet.
TECHNICAL_COLUMNS = frozenset({"indicator", "key", "value", "switch", "problem_code"})

# Column id -> (zh, en) header.
HEADERS: dict[str, tuple[str, str]] = {
    "indicator": ("指标编号", "Indicator id"),
    "indicator_name": ("指标", "Indicator"),
    "item": ("项目", "Item"),
    "basis": ("数据来源/口径", "Source / definition"),
    "change": ("变化", "Change"),
    "change_text": ("变化", "Change"),
    "significance": ("是否超出随机波动", "Beyond chance?"),
    "year": ("年份", "Year"),
    "grad_year": ("毕业届别", "Cohort"),
    "department": ("院系", "Department"),
    "major": ("专业", "Major"),
    "numerator": ("分子", "Numerator"),
    "denominator": ("分母", "Denominator"),
    "n": ("样本量 n", "n"),
    "estimate": ("估计值", "Estimate"),
    "ci_low": ("95%置信区间下限", "95% CI low"),
    "ci_high": ("95%置信区间上限", "95% CI high"),
    "n_eff": ("有效样本量", "Effective n"),
    "deff": ("估计量设计效应", "Design effect of the estimate"),
    "weighting_effect": ("权重效应（Kish）", "Weighting effect (Kish)"),
    "note": ("备注", "Note"),
    "response_rate": ("回收率", "Response rate"),
    "unit": ("单位", "Unit"),
    "target": ("目标值", "Target"),
    "meets_target": ("是否达标", "Meets target"),
    "status": ("状态", "Status"),
    "edition": ("口径版本", "Definition edition"),
    "previous": ("上年估计值", "Previous year"),
    "change_ci_low": ("变化95%下限", "Change 95% CI low"),
    "change_ci_high": ("变化95%上限", "Change 95% CI high"),
    "p_value": ("p 值", "p-value"),
    "cohort": ("培养模式", "Cohort"),
    "reference": ("参照组", "Reference"),
    "n_cohort": ("队列人数", "n cohort"),
    "n_reference": ("参照组人数", "n reference"),
    "estimate_cohort": ("队列估计值", "Cohort estimate"),
    "estimate_reference": ("参照组估计值", "Reference estimate"),
    "difference": ("差值", "Difference"),
    "q_value": ("q 值（BH）", "q-value (BH)"),
    "ratio": ("比值", "Ratio"),
    "ratio_ci_low": ("比值95%下限", "Ratio 95% CI low"),
    "ratio_ci_high": ("比值95%上限", "Ratio 95% CI high"),
    "statistic": ("检验统计量", "Test statistic"),
    "effect_size": ("效应量", "Effect size"),
    "odds_ratio": ("比值比（OR）", "Odds ratio"),
    "odds_ratio_ci_low": ("比值比95%下限", "Odds ratio 95% CI low"),
    "odds_ratio_ci_high": ("比值比95%上限", "Odds ratio 95% CI high"),
    "hedges_g": ("标准化均值差 g（Hedges）", "Hedges' g"),
    "effect_size_type": ("效应量类型", "Effect size type"),
    "method": ("方法", "Method"),
    "adjusted": ("是否调整", "Adjusted"),
    "flags": ("提示", "Flags"),
    "dropped_covariates": ("剔除的协变量", "Dropped covariates"),
    "enterprise": ("企业名称", "Firm"),
    "measure_name": ("指标", "Measure"),
    "college_rate": ("全校水平", "College level"),
    "shrunk": ("经验贝叶斯估计", "Empirical-Bayes estimate"),
    "shrunk_low": ("经验贝叶斯95%下限", "Empirical-Bayes 95% low"),
    "shrunk_high": ("经验贝叶斯95%上限", "Empirical-Bayes 95% high"),
    "partner_flag": ("与全校比较（漏斗图 99.8% 界限）", "Against the college (funnel 99.8% limits)"),
    "name_zh": ("中文名称", "Chinese name"),
    "name_en": ("英文名称", "English name"),
    "kind": ("类型", "Kind"),
    "source": ("出处", "Source"),
    "table": ("数据表", "Table"),
    "file": ("文件", "File"),
    "sheet": ("工作表", "Sheet"),
    "row": ("Excel 行号", "Excel row"),
    "column": ("列", "Column"),
    "value": ("值", "Value"),
    "problem": ("问题", "Problem"),
    "problem_code": ("问题代码", "Problem code"),
    "action": ("处理", "Action"),
    "message_zh": ("说明（中文）", "Message (Chinese)"),
    "message_en": ("说明（英文）", "Message (English)"),
    "rows_read": ("读入行数", "Rows read"),
    "kept": ("保留", "Kept"),
    "fixed": ("已修正", "Fixed"),
    "excluded": ("已排除", "Excluded"),
    "content": ("内容", "Content"),
    "grade": ("证据等级", "Evidence grade"),
    "provisional": ("暂定口径", "Provisional"),
    "notes": ("备注", "Notes"),
    "majors": ("合作专业数", "Majors"),
    "partnership_start": ("合作开始年份", "Partnership start"),
    "equipment_value": ("设备值（元）", "Equipment value (yuan)"),
    "funds": ("资金投入（元）", "Funds (yuan)"),
    "donated_equipment": ("捐赠设备值（元）", "Donated equipment (yuan)"),
    "part_time_teachers": ("兼职教师数", "Part-time teachers"),
    "part_time_hours": ("兼职教师课时", "Part-time teaching hours"),
    "internship_positions": ("实习岗位数", "Internship positions"),
    "interns_received": ("接收实习学生数", "Interns received"),
    "order_students": ("订单培养人数", "Order-class students"),
    "graduates_hired": ("录用毕业生数", "Graduates hired"),
    "co_bases": ("共建实训基地数", "Co-built bases"),
    "co_courses": ("共同开发课程数", "Co-developed courses"),
    "co_textbooks": ("共同开发教材数", "Co-developed textbooks"),
    "tech_service_income": ("横向技术服务到款额（元）", "Technical-service income (yuan)"),
    "training_income": ("非学历培训到款额（元）", "Training income (yuan)"),
    "training_person_days": ("培训人日", "Training person-days"),
    "status_text": ("口径状态", "Status"),
    "alternatives": ("可选项", "Alternatives"),
    "switch": ("如何更改（命令行 / Python）", "How to change (CLI / Python)"),
    "key": ("键（选项字段名）", "Key (option field)"),
    "what": ("类别", "What"),
    "label": ("报告中的名称", "Name in the report"),
    "code": ("代码", "Code"),
    "interns": ("岗位实习学生数", "Interns"),
    "interns_insured": ("参加实习责任保险人数", "Interns insured"),
    "interns_relevant": ("对口实习人数", "Interns in a relevant post"),
    "interns_hired": ("被实习单位录用人数", "Interns hired"),
    "paid_compliant": ("报酬达标人数", "Pay compliant"),
    "practice_firms": ("实习单位数", "Internship firms"),
    "partners": ("合作企业数", "Partner firms"),
    "summary_text": ("说明", "Statement"),
}

ACTIONS = {"fixed": ("已修正", "fixed"), "excluded": ("已排除", "excluded"), "flagged": ("已标记保留", "flagged")}

STATUS = {
    "reported": ("已报告", "reported"),
    "suppressed": (SUPPRESSED["zh"], SUPPRESSED["en"]),
    "not_applicable": ("不适用", "not applicable"),
    "missing_input": (MISSING["zh"], MISSING["en"]),
    "not_supplied": (NOT_SUPPLIED["zh"], NOT_SUPPLIED["en"]),
}

#: Words for the validation problem codes the loader writes (one home: validation.PROBLEM_WORDS); an
#: unknown code falls back to a generic word (the technical sheet keeps the code).
PROBLEMS: dict[str, tuple[str, str]] = PROBLEM_WORDS
OTHER_PROBLEM = ("其他问题（见说明列）", "other problem (see the message)")

#: Parts of a comparison method (compare() writes "part; part" in English) -> words.
METHOD_PARTS: dict[str, tuple[str, str]] = {
    "regression adjustment (logit, average marginal effect, delta-method HC0)":
        ("回归调整（logit 模型，平均边际效应，delta 法稳健标准误）", "regression adjustment (logit, average marginal effect)"),
    "regression adjustment (OLS per cohort, HC1, delta method)":
        ("回归调整（分组线性回归，稳健标准误 HC1，delta 法）", "regression adjustment (OLS per cohort, HC1)"),
    "inverse-probability weighting (logit propensity, Hajek, M-estimation sandwich)":
        ("逆概率加权（logit 倾向得分，Hajek 估计，M 估计夹心标准误）", "inverse-probability weighting (Hajek)"),
    "doubly robust AIPW (logit outcome per arm + logit propensity, stacked sandwich)":
        ("双重稳健估计 AIPW（各组 logit 结果模型 + logit 倾向得分，夹心标准误）", "doubly robust AIPW (logit outcome + propensity)"),
    "doubly robust AIPW (OLS outcome per arm + logit propensity, stacked sandwich)":
        ("双重稳健估计 AIPW（各组线性结果模型 + logit 倾向得分，夹心标准误）", "doubly robust AIPW (OLS outcome + propensity)"),
    "ATT": ("处理组平均效应", "ATT"),
    "ATE": ("总体平均效应", "ATE"),
    "newcombe": ("两比例之差 Newcombe 区间", "Newcombe interval"),
    "top-box newcombe": ("满意档比例之差 Newcombe 区间", "top-box Newcombe interval"),
    "chi-square": ("卡方检验", "chi-square test"),
    "fisher's exact": ("Fisher 精确检验", "Fisher's exact test"),
    "welch t": ("Welch t 检验", "Welch t test"),
    "bootstrap percentile ci": ("自助法百分位区间", "bootstrap percentile CI"),
    "bootstrap percentile ci and p": ("自助法百分位区间与 p 值", "bootstrap percentile CI and p"),
    "median": ("中位数之差", "difference of medians"),
    "brunner-munzel": ("Brunner–Munzel 检验", "Brunner–Munzel test"),
    "mann-whitney": ("Mann–Whitney 检验", "Mann–Whitney test"),
}
EFFECT_SIZES: dict[str, tuple[str, str]] = {
    "cohens_h": ("比例差效应量 h（Cohen）", "Cohen's h"),
    "cohens_d": ("均值差效应量 d（Cohen）", "Cohen's d"),
    "standardised_difference": ("标准化差值", "standardised difference"),
    "standardized_difference": ("标准化差值", "standardised difference"),
    "rank_biserial": ("秩二列相关", "rank-biserial correlation"),
    "cliffs_delta": ("Cliff δ", "Cliff's delta"),
}
KINDS: dict[str, tuple[str, str]] = {
    "count": ("计数", "count"), "proportion": ("比例", "proportion"), "mean": ("平均数", "mean"),
    "median": ("中位数", "median"), "weighted_proportion": ("加权比例（问卷）", "weighted proportion (survey)"),
    "ratio_of_sums": ("合计之比", "ratio of sums"), "sum": ("合计", "sum"),
}

_CITATION = re.compile(r"\s*;?\s*definitions-cn\.md\s*§[\d.]+(?:\s*,\s*§?[\d.]+)*")
_SEED = re.compile(r"\(?(?:DOMAIN\.md )?seed (\d+)(?::[^)]*)?\)?")
_SNAKE = re.compile(r"(?<![A-Za-z0-9_])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![A-Za-z0-9_])")


def t(lang: str, zh: str, en: str) -> str:
    """Pick the Chinese or English text."""
    return zh if lang == "zh" else en


def isnan(value: Any) -> bool:
    """True for None, NA and float NaN (never raises)."""
    if value is None or value is pd.NA:
        return True
    try:
        return bool(isinstance(value, float | np.floating) and math.isnan(value))
    except TypeError:  # pragma: no cover
        return False


def pick_lang(text: Any, lang: str) -> str:
    """Keep one language of a bilingual "中文 / English; 中文 / English" flag text.

    Examples
    --------
    >>> pick_lang("小样本（n<30）/ small n (<30); 重叠差 / poor overlap", "en")
    'small n (<30); poor overlap'
    """
    if isnan(text) or not str(text):
        return ""
    out = []
    for part in str(text).split("; "):
        halves = re.split(r"\s?/\s", part, maxsplit=1)  # "中文 / English" or "中文）/ English"
        out.append((halves[0] if lang == "zh" else halves[1]).strip() if len(halves) == 2 else part)
    return ("；" if lang == "zh" else "; ").join(out)


def method_words(method: Any, lang: str) -> str:
    """A comparison method in the report's language (each "; "-separated part translated).

    Examples
    --------
    >>> method_words("newcombe; chi-square", "zh")
    '两比例之差 Newcombe 区间；卡方检验'
    """
    if isnan(method):
        return ""
    parts = []
    for part in str(method).split("; "):
        pair = METHOD_PARTS.get(part)
        if pair is None and part.startswith("cluster bootstrap over units"):
            pair = ("按个体整群自助法" + re.sub(r"\D+", "", part) + " 次", part)
        parts.append((pair[0] if lang == "zh" else pair[1]) if pair else (zh_words(part) if lang == "zh" else part))
    return ("；" if lang == "zh" else "; ").join(parts)


def effect_words(kind: Any, lang: str) -> str:
    """An effect-size type in words."""
    if isnan(kind) or not str(kind):
        return ""
    pair = EFFECT_SIZES.get(str(kind))
    return (pair[0] if lang == "zh" else pair[1]) if pair else str(kind).replace("_", " ")


def problem_words(code: Any, lang: str) -> str:
    """A validation problem code in words."""
    pair = PROBLEMS.get(str(code), OTHER_PROBLEM)
    return pair[0] if lang == "zh" else pair[1]


def table_words(table: Any, lang: str) -> str:
    """A data-table id (graduates, survey ...) in words."""
    from ..schema import TABLES

    spec = TABLES.get(str(table))
    if spec is None:
        return "" if isnan(table) else str(table)
    return spec.zh if lang == "zh" else str(table)


@cache
def code_words() -> dict[str, str]:
    """snake_case code -> Chinese word, from the registry, the option metadata and the schema.

    Built from data the library already holds (indicator names, Options field names and
    choice words, category values of every schema column), so no list is kept here.
    """
    from ..registry import OPTION_INFO
    from ..registry import indicators as _indicators
    from ..schema import PROGRAMS, TABLES

    words: dict[str, str] = {}
    for table in TABLES.values():
        for col in table.columns:
            words.setdefault(col.name, col.zh)
            for raw, canon in col.values.items():
                if re.search(r"[\u4e00-\u9fff]", raw):
                    words.setdefault(str(canon), raw)
    words.update(PROGRAMS)
    words.update({"full_time": "专任教师", "enterprise_part_time": "企业兼职教师",
                  "internal_part_time": "校内兼课人员", "external_part_time": "校外兼课教师"})
    for key, info in OPTION_INFO.items():
        words[key] = info.name_zh
        for value, choice in info.choices.items():
            if isinstance(value, str) and "_" in value:
                words.setdefault(value, choice.zh.split("（")[0])
    for code, word in {"min_n": "只抑制小单元格", "moe_2021": "教育部2021口径", "moe_2024": "教育部2024口径"}.items():
        words.setdefault(code, word)
    reg = _indicators()
    words.update(dict(zip(reg["id"].astype(str), reg["name_zh"].astype(str), strict=True)))
    return words


_REGISTRY_FRAME: list[Any] = [None, None]  # (registry tuple it was built from, frame)


def registry_frame() -> pd.DataFrame:
    """:func:`coopmetrics.indicators` (both languages), built once per state of the registry.

    A report reads the registry frame several times (names, units, kinds, directions,
    definitions) and a provincial run once per college; building it describes every
    measure in words (~15 ms). The cache is keyed on the registry tuple itself, so an
    indicator added with :func:`coopmetrics.registry.register_indicator` is seen at once. Returns a copy.

    Examples
    --------
    >>> registry_frame().loc[lambda d: d["id"] == "placement_rate", "kind"].item()
    'proportion'
    """
    from .. import registry

    if _REGISTRY_FRAME[0] is not registry.REGISTRY:
        _REGISTRY_FRAME[:] = [registry.REGISTRY, registry.indicators()]
    return _REGISTRY_FRAME[1].copy()


def zh_words(text: Any) -> str:
    """Replace snake_case codes in a Chinese text by their Chinese words (unknown codes stay)."""
    if isnan(text):
        return ""
    words = code_words()
    return _SNAKE.sub(lambda m: words.get(m.group(0), m.group(0)), str(text))


def cite(text: Any, lang: str = "zh") -> str:
    """A registry source or edition without references to files outside the package.

    ``definitions-cn.md §x`` citations are dropped (the primary document is named beside
    them) and ``DOMAIN.md seed 00N`` becomes a neutral phrase. Nothing is translated here: a
    Chinese report reads the records' own Chinese fields (``Indicator.source_zh``,
    ``Indicator.edition_text(options, "zh")``, see :func:`~coopmetrics.report.settings.definitions_table`);
    in Chinese, leftover snake_case codes become their Chinese words (:func:`zh_words`).
    """
    if isnan(text):
        return ""
    out = _CITATION.sub("", str(text))
    out = _SEED.sub(t(lang, "（院校年报案例）", "(a college's yearly report)"), out)
    out = out.replace("codes.DESTINATION_CODES", t(lang, "毕业去向代码表", "destination code list"))
    out = re.sub(r"codes\.PROFILES:\s*", "", out)
    if lang == "zh":
        out = zh_words(out)
    return out.strip(" ;")


#: Characters drawn about twice as wide as a Latin letter (CJK and beyond: code points above U+2E80).
_WIDE = re.compile("[\u2e81-\U0010ffff]")


def text_width(text: str) -> int:
    """Display width of a text in Excel columns: CJK characters are about twice as wide.

    Measured for every cell of a workbook, so without a Python loop over the characters:
    an ASCII text is its length, any other its length plus its wide characters.

    Examples
    --------
    >>> text_width("2024"), text_width("毕业去向落实率（%）"), text_width("±1.5 个百分点")
    (4, 19, 13)
    """
    s = str(text)
    if s.isascii():
        return len(s)
    return len(s) + len(_WIDE.findall(s))


def snake_ids(text: str) -> list[str]:
    """English snake_case ids in a text (what a Chinese sheet outside 技术信息 must not show)."""
    return _SNAKE.findall(str(text))
