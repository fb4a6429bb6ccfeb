"""The registry is data: listed, validated, described, with options visible."""

from __future__ import annotations

from dataclasses import replace

import pytest

from coopmetrics.codes import PROFILES
from coopmetrics.errors import InvalidOptionError, UnknownIndicatorError
from coopmetrics.registry import (
    KINDS,
    OPS,
    REGISTRY,
    UNITS,
    Filter,
    Indicator,
    Measure,
    Options,
    get_indicator,
    indicators,
    validate_registry,
)
from coopmetrics.schema import TABLES


def test_shipped_registry_is_valid():
    assert validate_registry() == []


def test_registry_covers_the_floor_of_issue_3():
    ids = {i.id for i in REGISTRY}
    floor = {
        "placement_rate", "contract_employment_rate", "flexible_employment_rate", "self_employment_rate",
        "further_study_rate", "unknown_destination_count", "job_relevance_rate", "salary_mean", "salary_median",
        "turnover_rate", "partner_employment_rate", "partner_retention_rate", "local_employment_share",
        "west_northeast_share", "sme_share", "top500_share", "internship_satisfaction", "employment_satisfaction",
        "school_satisfaction", "employer_satisfaction", "dual_teacher_ratio_fulltime",
        "dual_teacher_ratio_professional", "student_teacher_ratio", "senior_title_share",
        "enterprise_teaching_share", "practice_compliance_rate", "intern_hire_rate", "internship_relevance_rate",
        "internship_insurance_rate", "internship_pay_compliance_rate", "internship_duration_rate", "partner_count",
        "active_partner_count", "equipment_per_student", "funds_per_student", "order_class_share",
        "apprenticeship_share", "interns_received", "positions_per_graduate", "enterprise_hires_per_intern",
        "part_time_hours", "tech_service_income", "training_income", "training_person_days",
    }
    assert floor <= ids


def _good() -> Indicator:
    return get_indicator("intern_hire_rate")


@pytest.mark.parametrize("change,fragment", [
    (dict(unit="yuan"), "does not fit kind"),
    (dict(source=""), "source is empty"),
    (dict(grade="X"), "grade must be"),
    (dict(kind="weird"), "unknown kind"),
    (dict(numerator=Measure("count", where=(Filter("nonexistent", "is_true"),))), "column 'nonexistent'"),
    (dict(numerator=Measure("count", where=(Filter("hired", "frobnicate"),))), "unknown filter op"),
    (dict(numerator=Measure("count", where=(Filter("hired", "is_true"),))), "must include the denominator"),
    (dict(table="nowhere"), "unknown table"),
    (dict(options_used=("no_such_option",)), "unknown option"),
    (dict(grade="U", provisional=False), "not marked provisional"),
])
def test_validate_registry_catches_problems(change, fragment):
    bad = replace(_good(), **change)
    issues = validate_registry([bad])
    assert any(fragment in msg for msg in issues), issues


def test_validate_registry_catches_duplicates_and_profile_categories():
    dup = validate_registry([_good(), _good()])
    assert any("duplicate id" in m for m in dup)
    bad = replace(get_indicator("contract_employment_rate"), numerator=Measure("count", where=(
        Filter("destination_code", "in_profile", ("moe_2024", "contract")),)))
    assert any("not in profile" in m for m in validate_registry([bad]))


def test_every_required_column_is_in_the_schema_under_every_option():
    variants = [Options(), Options(dual_definition="2004_evaluation"), Options(dual_definition="2022_standard"),
                Options(pay_rule="2016")]
    for ind in REGISTRY:
        for o in variants:
            req, opt = ind.columns(o)
            for table, cols in req.items():
                assert set(cols) <= set(TABLES[table].names), (ind.id, table, cols)
            for table, cols in opt.items():
                assert set(cols) <= set(TABLES[table].names), (ind.id, table, cols)


def test_declarations_use_known_vocabulary():
    for ind in REGISTRY:
        assert ind.kind in KINDS and ind.unit in UNITS
        for m in ind.measures():
            assert all(f.op in OPS for f in m.where)


def test_proportions_numerator_within_denominator():
    for ind in REGISTRY:
        if ind.kind in ("proportion", "weighted_proportion"):
            assert set(ind.denominator.where) <= set(ind.numerator.where), ind.id


def test_provisional_definitions_say_so_in_edition():
    for ind in REGISTRY:
        text = ind.edition_text(Options())
        if ind.provisional or ind.grade == "U":
            assert "provisional" in text or "convention" in text, ind.id
    # the moe_2024 profile is provisional and the placement rate says so when it is chosen
    assert "provisional" in get_indicator("placement_rate").edition_text(Options(profile="moe_2024"))
    assert PROFILES["moe_2024"].provisional


def test_edition_echoes_options():
    o = Options(profile="legacy", pay_rule="2016", practice_days=120, as_of="2024-08-31",
                satisfied_levels={"school": (5, 4, 3)})
    assert "profile=legacy" in get_indicator("placement_rate").edition_text(o)
    assert "pay_rule=2016" in get_indicator("internship_pay_compliance_rate").edition_text(o)
    assert "practice_days=120" in get_indicator("practice_compliance_rate").edition_text(o)
    assert "as_of=2024-08-31" in get_indicator("placement_rate").edition_text(o)
    assert "[5, 4, 3]" in get_indicator("school_satisfaction").edition_text(o)
    # a kind the user did not mention keeps its default
    assert o.satisfied_levels["employer"] == (5, 4)


def test_get_indicator_unknown_suggests_close_id():
    with pytest.raises(UnknownIndicatorError) as exc:
        get_indicator("placment_rate")
    assert "placement_rate" in str(exc.value) and "未知指标" in str(exc.value)
    assert isinstance(exc.value, KeyError)
    assert get_indicator(_good()) is _good()


@pytest.mark.parametrize("kwargs", [dict(profile="moe_2030"), dict(dual_definition="flag"), dict(pay_rule="2019"),
                                    dict(survey_weights="ipw"), dict(practice_days=-1)])
def test_options_reject_invalid_values(kwargs):
    with pytest.raises(InvalidOptionError):
        Options(**kwargs)


def test_indicators_listing_both_languages():
    df = indicators()
    assert list(df["id"]) == [i.id for i in REGISTRY]
    for col in ("id", "name_zh", "name_en", "unit", "kind", "table", "numerator_zh", "numerator_en",
                "denominator_zh", "denominator_en", "required_columns", "direction", "target", "edition",
                "grade", "source"):
        assert col in df.columns
    assert (df["source"].str.len() > 0).all()
    row = df.set_index("id").loc["job_relevance_rate"]
    assert "job_relevant" in row["required_columns"] and "destination_code" in row["required_columns"]
    assert "专业相关" in row["numerator_zh"] and "job relevant is yes" in row["numerator_en"]
    assert df.set_index("id").loc["dual_teacher_ratio_professional", "target"] == 0.5


def test_indicators_single_language():
    zh = indicators("zh")
    assert "name" in zh.columns and "name_en" not in zh.columns
    assert zh.set_index("id").loc["placement_rate", "name"] == "毕业去向落实率"
    en = indicators("en")
    assert en.set_index("id").loc["placement_rate", "name"] == "Placement rate"
    with pytest.raises(InvalidOptionError):
        indicators("fr")


def test_filter_descriptions_are_bilingual():
    f = Filter("insured", "is_true")
    assert f.describe("zh") == "参加实习责任保险=是"
    assert f.describe("en") == "insured is yes"
    assert "6" in Filter("months", "ge", 6).describe("en")


def test_docs_indicators_md_is_up_to_date(tmp_path):
    from pathlib import Path

    from coopmetrics.registry import update_indicators_doc

    doc = Path(__file__).resolve().parents[1] / "docs" / "indicators.md"
    copy = tmp_path / "indicators.md"
    copy.write_text(doc.read_text(encoding="utf-8"), encoding="utf-8")
    assert update_indicators_doc(str(copy)) is False, "regenerate docs/indicators.md (see the file for how)"
    for ind in REGISTRY:
        assert f"| {ind.id} |" in copy.read_text(encoding="utf-8")


def test_options_are_hashable_and_equal_by_content():
    a = Options(satisfied_levels={"school": (5,), "employer": (5, 4)})
    b = Options(satisfied_levels={"employer": (5, 4), "school": (5,)})
    assert a == b and hash(a) == hash(b)
    assert len({a, b, Options()}) == 2
