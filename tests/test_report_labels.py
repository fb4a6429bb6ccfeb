"""The Chinese wording of the registry as data: source_zh / edition_zh, Chinese filter words.

The Chinese report prints each indicator's own Chinese citation and edition (no phrase-by-phrase
translation of English registry text), so these tests check the records themselves: every
indicator has them, they cite exactly the documents and evidence grades of the English source,
and no English or snake_case id reaches the Chinese 指标定义 table.
"""

from __future__ import annotations

import re

import pytest

from coopmetrics.definitions.options import OPTION_INFO
from coopmetrics.definitions.records import describe_options_zh
from coopmetrics.registry import REGISTRY, Filter, Options, get_indicator
from coopmetrics.report.labels import cite, snake_ids, zh_words
from coopmetrics.report.settings import definitions_table

CJK = re.compile(r"[\u4e00-\u9fff]")
#: An English word in a Chinese text: three or more lowercase letters (document codes such as
#: ODS_CXHZSJ, A7-5 or V2.16 are upper case or digits and are part of the citation).
ENGLISH_WORD = re.compile(r"(?<![A-Za-z])[a-z]{3,}")
GRADE = re.compile(r"\[(V-2|V|U)\b")
DOC_NUMBER = re.compile(r"〔\d{4}〕\d+号")
IDS = [ind.id for ind in REGISTRY]


@pytest.mark.parametrize("iid", IDS)
def test_every_indicator_has_chinese_source_and_edition(iid):
    ind = get_indicator(iid)
    for field in ("source_zh", "edition_zh"):
        text = getattr(ind, field)
        assert CJK.search(text), (iid, field, text)
        assert not ENGLISH_WORD.findall(text), (iid, field, text)
        assert not snake_ids(text), (iid, field, text)
        for ref in ("definitions-cn.md", "DOMAIN.md", "seed 0"):  # library files never reach a report
            assert ref not in text, (iid, field, text)


@pytest.mark.parametrize("iid", IDS)
def test_chinese_source_cites_the_same_documents_and_grades(iid):
    """No citation invented or dropped: the same 〔year〕N号 numbers and the same [V]/[V-2]/[U] marks."""
    ind = get_indicator(iid)
    assert sorted(GRADE.findall(ind.source_zh)) == sorted(GRADE.findall(ind.source)), iid
    assert set(DOC_NUMBER.findall(ind.source_zh)) == set(DOC_NUMBER.findall(ind.source)), iid
    # the Chinese edition names the same documents as the English one
    assert set(DOC_NUMBER.findall(ind.edition_zh)) == set(DOC_NUMBER.findall(ind.edition)), iid


def test_chinese_definitions_table_reads_the_records():
    zh = definitions_table(lang="zh")
    en = definitions_table(lang="en")
    assert list(zh["indicator"]) == list(en["indicator"]) == IDS
    for row_zh, row_en, ind in zip(zh.itertuples(), en.itertuples(), REGISTRY, strict=True):
        assert row_zh.source == ind.source_zh
        assert row_zh.edition == ind.edition_text(Options(), "zh")
        assert row_en.source == ind.source and row_en.edition == ind.edition_text(Options())


def test_no_english_word_in_the_chinese_definitions_table():
    """What the Chinese 指标定义 sheet shows (codes turned into words as the report does) is Chinese."""
    zh = definitions_table(lang="zh")
    leaks = {}
    for col in ("name_zh", "numerator", "denominator", "edition", "source"):
        for iid, value in zip(zh["indicator"], zh[col], strict=True):
            shown = zh_words(cite(value, "zh")) if col in ("edition", "source") else zh_words(value)
            english = set(ENGLISH_WORD.findall(shown))
            if english or snake_ids(shown):
                leaks.setdefault(col, []).append((iid, shown[:90]))
    assert leaks == {}


def test_cite_strips_library_references_and_translates_nothing():
    # English text stays English: the Chinese words come from the records, not from here
    assert cite("library convention [U]; definitions-cn.md §2.2, §4.2", "zh") == "library convention [U]"
    assert cite("seed 002 “共建校生产性实训基地11个” [U]", "zh") == "（院校年报案例） “共建校生产性实训基地11个” [U]"
    assert cite("seed 002 “共建” [U]", "en") == "(a college's yearly report) “共建” [U]"


@pytest.mark.parametrize("profile", list(OPTION_INFO["profile"].choices))
def test_chinese_edition_names_the_chosen_profile(profile):
    o = Options(profile=profile)
    choice = OPTION_INFO["profile"].choices[profile]
    text = get_indicator("placement_rate").edition_text(o, "zh")
    assert text.startswith(get_indicator("placement_rate").edition_zh + "；")
    assert f"{OPTION_INFO['profile'].name_zh}：{choice.zh}" in text
    assert ("（暂定）" in text.split("：", 1)[1]) == (choice.grade == "U" and "待核实" not in choice.zh)
    assert not ENGLISH_WORD.search(text)


@pytest.mark.parametrize(("kind", "item"), [("school", "母校总体满意度"), ("employer", "对毕业生总体满意度")])
def test_chinese_options_of_a_questionnaire_use_its_own_values(kind, item):
    o = Options()
    text = describe_options_zh(o, ["overall_items", "satisfied_levels", "survey_weights"], kind)
    parts = text.split("；")
    assert parts[0] == f"{OPTION_INFO['overall_items'].name_zh}：{item}"
    assert parts[1] == f"{OPTION_INFO['satisfied_levels'].name_zh}：{OPTION_INFO['satisfied_levels'].choices[(5, 4)].zh}"
    assert parts[2] == f"{OPTION_INFO['survey_weights'].name_zh}：{OPTION_INFO['survey_weights'].choices['raking'].zh}"
    # per-questionnaire options say nothing for an indicator of no questionnaire
    assert describe_options_zh(o, ["overall_items"], None) == ""
    assert describe_options_zh(o.with_(as_of="2024-08-31"), [], None) == "去向数据截止日期：2024-08-31"


@pytest.mark.parametrize(("f", "zh"), [
    (Filter("title_level", "eq", "senior"), "职称级别 = 高级"),
    (Filter("program", "eq", "apprenticeship"), "培养模式 = 现代学徒制"),
    (Filter("program", "in", ("order_class", "named_class")), "培养模式属于 {订单班, 冠名班}"),
    (Filter("status", "in", ("active", "renewed")), "协议状态属于 {有效, 续签}"),
    (Filter("destination_code", "in_codes", ("75",)), None),  # codes stay codes
    (Filter("category", "eq", "full_time"), "教师类别 = 专任"),
])
def test_filter_words_in_chinese_use_the_data_words(f, zh):
    text = f.describe("zh")
    if zh is None:
        assert "75" in text
    else:
        assert text == zh
    assert f.describe("en") == Filter(f.column, f.op, f.value).describe("en")  # English unchanged


def test_survey_filters_name_the_questionnaire_in_chinese():
    ind = get_indicator("employer_satisfaction")
    words = [f.describe("zh") for f in ind.numerator.where]
    assert words[0] == "问卷类型 = 雇主"
    assert all("employer" not in w for w in words)
    assert all(w.startswith("雇主问卷") for w in words[1:])


def test_several_columns_are_named_in_chinese():
    from coopmetrics.schema import TABLES

    cols = ("interns_received", "graduates_hired")
    text = Filter(cols, "any_positive").describe("zh")
    zh = {c.name: c.zh for c in TABLES["enterprises"].columns}
    assert text.startswith(f"{zh['interns_received']}/{zh['graduates_hired']}")
    assert not ENGLISH_WORD.search(text)
