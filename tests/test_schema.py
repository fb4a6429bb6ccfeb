"""Tests of coopmetrics.schema: aliases resolve unambiguously, vocabularies are consistent."""

from __future__ import annotations

import pytest

from coopmetrics.schema import (
    LIKERT_TEXT,
    PROGRAMS,
    SURVEY_KINDS,
    TABLE_ALIASES,
    TABLES,
    normalise_header,
    resolve_header,
)

# canonical category values promised in docs/DESIGN.md
DESIGN_VALUES = {
    # issue 10 item 5: the class types colleges use; 企业新型学徒制 (employees) apart from 现代学徒制 (students)
    ("graduates", "program"): {"regular", "order_class", "named_class", "apprenticeship", "dual_system_class",
                               "sponsored_class", "new_apprenticeship", "other"},
    ("survey", "survey_kind"): {"internship", "employment", "school", "employer"},
    ("teachers", "category"): {"full_time", "internal_part_time", "enterprise_part_time", "external_part_time"},
    ("teachers", "dual_level"): {"junior", "intermediate", "senior"},
    ("teachers", "title_level"): {"junior", "intermediate", "senior", "none"},
    ("graduates", "gender"): {"male", "female"},
}


@pytest.mark.parametrize("table", list(TABLES))
def test_every_alias_resolves_to_exactly_one_column(table):
    spec = TABLES[table]
    owner: dict[str, str] = {}
    for col in spec.columns:
        for alias in (col.name, col.zh, *col.aliases):
            key, _ = normalise_header(alias)
            assert owner.setdefault(key, col.name) == col.name, f"{alias!r} claimed by {owner[key]} and {col.name}"
            assert resolve_header(table, alias)[0] == col.name


@pytest.mark.parametrize("table", list(TABLES))
def test_required_and_key_columns_exist(table):
    spec = TABLES[table]
    assert spec.required, "every table needs at least one required column"
    assert set(spec.key) <= set(spec.names)
    assert len(spec.names) == len(set(spec.names))


def test_category_values_match_the_design_contract():
    for (table, column), allowed in DESIGN_VALUES.items():
        col = TABLES[table].column(column)
        assert col.kind == "category"
        assert set(col.values.values()) == allowed, (table, column)
        # every canonical value also maps to itself, so canonical frames round-trip
        assert all(col.values.get(v) == v for v in allowed)
    assert set(PROGRAMS) == DESIGN_VALUES[("graduates", "program")]
    assert set(SURVEY_KINDS) == DESIGN_VALUES[("survey", "survey_kind")]


def test_likert_scores_are_1_to_5_with_the_usual_five_levels():
    assert set(LIKERT_TEXT.values()) <= {1, 2, 3, 4, 5}
    assert [LIKERT_TEXT[t] for t in ["很满意", "满意", "一般", "不满意", "很不满意"]] == [5, 4, 3, 2, 1]
    assert [LIKERT_TEXT[t] for t in ["非常满意", "比较满意", "基本满意", "不太满意", "非常不满意"]] == [5, 4, 3, 2, 1]


def test_table_aliases_point_to_tables():
    assert set(TABLE_ALIASES.values()) == set(TABLES)
    for name in TABLES:
        assert TABLE_ALIASES[name] == name


def test_money_headers_in_wan_yuan_are_multiplied():
    assert resolve_header("graduates", "月收入（元）") == ("monthly_salary", 1.0)
    assert resolve_header("enterprises", "资金投入(万元)") == ("funds", 10_000.0)
    # a non-money column with a 万元-looking unit is not scaled
    assert resolve_header("enterprises", "培训人日（万元）") == ("training_person_days", 1.0)


def test_normalise_header_full_width_and_units():
    assert normalise_header("ＡＢＣ　学号 ") == ("abc学号", "")
    assert normalise_header("实习时长（月）") == ("实习时长", "月")
    assert normalise_header("备注(其他)") == ("备注(其他)", "")


def test_personal_data_is_declared_in_every_person_table():
    for table in ("graduates", "survey", "teachers", "internships"):
        assert {"name", "id_card", "phone"} <= set(TABLES[table].pii)
    assert TABLES["enrollment"].pii == []


@pytest.mark.parametrize("label,canonical", [
    ("订单班", "order_class"), ("冠名班", "named_class"), ("现代学徒制", "apprenticeship"),
    ("校企双制班", "dual_system_class"), ("定向委培班", "sponsored_class"),
    ("企业新型学徒制", "new_apprenticeship"), ("其他", "other"),
])
def test_program_vocabulary_of_issue_10(label, canonical):
    col = TABLES["graduates"].column("program")
    assert col.values[label] == canonical
    assert PROGRAMS[canonical] == label  # the Chinese label round-trips


def test_new_apprenticeship_is_not_modern_apprenticeship():
    """企业新型学徒制 trains a firm's employees; 现代学徒制 students. They must never share a category."""
    values = TABLES["graduates"].column("program").values
    assert values["企业新型学徒制"] != values["现代学徒制"]
    assert TABLES["graduates"].column("program").fallback == "other"


def test_recruitment_table_reads_chinese_headers():
    for header, col in [("用人单位", "employer"), ("岗位类别", "post_type"), ("需求人数", "posts"),
                        ("招聘会名称", "event"), ("届别", "year")]:
        assert resolve_header("recruitment", header)[0] == col
    assert TABLES["recruitment"].required == ["year", "employer", "posts"]
