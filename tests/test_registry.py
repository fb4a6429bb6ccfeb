"""The registry is data: listed, validated, described, with options visible."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopmetrics.codes import PROFILES
from coopmetrics.errors import InvalidOptionError, UnknownIndicatorError
from coopmetrics.registry import (
    KINDS,
    OPS,
    OPTION_INFO,
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
        # issue 10: positions/graduates is not 求人倍率 and was renamed partner_posts_per_graduate
        "apprenticeship_share", "interns_received", "partner_posts_per_graduate", "enterprise_hires_per_intern",
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


# --- definition options as data (OPTION_INFO) --------------------------------------------------------

def test_every_options_field_has_option_info():
    from dataclasses import fields

    from coopmetrics.registry import OPTION_GRADES, OPTION_INFO

    names = [f.name for f in fields(Options)]  # the field list, independent of the registry table
    assert set(OPTION_INFO) == set(names)
    for name in names:
        info = OPTION_INFO[name]
        assert info.field == name
        assert info.name_zh.strip() and info.name_en.strip() and info.source.strip(), name
        assert info.grade in OPTION_GRADES
        assert all(c.grade in OPTION_GRADES and c.zh and c.en for c in info.choices.values()), name


# Grades checked by hand against shared/reference/definitions-cn.md (line numbers of that file):
_REFERENCE_GRADES = [
    # [U]
    ("profile", "moe_2024", "U"),             # §1.2 l.96: "Code mapping for 单位就业 in 2024 is [U]"
    ("dual_definition", "2004_evaluation", "U"),  # §3.1 l.231: 高职高专 2004 text "[U on exact wording]"
    ("dual_definition", "2022_standard", "U"),    # §3.2 l.242: levels exist, "per-level conditions [U]"
    ("satisfied_levels", (5, 4, 3), "U"),     # §2.3 l.218: "+ 基本满意. This is [U]"
    # [V] / [V-2], so that a U everywhere could not pass either
    ("profile", "moe_2021", "V-2"),           # §1.2 l.80: 2021 grouping "[V-2: secondary fact-check ...]"
    ("profile", "legacy", "V-2"),             # §1.2 l.76: legacy 就业率 "[V-2]"
    ("dual_definition", "school_flag", "V-2"),  # §3.1 l.233: flag 是否双师素质教师 "[V-2]"
    ("pay_rule", "2016", "V"),                # §4.1 l.275: 2016 第十七条 "[V]"
    ("pay_rule", "2021", "V"),                # §4.1 l.275: 2021 第十八条 "[V]"
    ("satisfied_levels", (5, 4), "V"),        # §2.3 l.217: MyCOS 2014 "Satisfied = 很满意 + 满意" "[V]"
]
# options whose free values rest on a [U] rule
_REFERENCE_OPTION_GRADES = [
    ("practice_days", "U"),     # §3.3 l.254: "The conversion of 6个月 into days is [U]"
    ("satisfied_levels", "U"),  # §4.2 l.295: "No national formula ... 实习满意度 or 雇主满意度 [U]"
    ("exclude_levels", "U"),    # §4.3 l.314: "Whether 不确定 stays in the denominator is [U]"
    ("partner_programs", "U"),  # §5.3 l.377: "Suggested composite (library convention, not official)"
]


@pytest.mark.parametrize("key, value, grade", _REFERENCE_GRADES)
def test_option_choice_grades_follow_the_reference(key, value, grade):
    from coopmetrics.registry import OPTION_INFO

    assert OPTION_INFO[key].choices[value].grade == grade
    assert OPTION_INFO[key].grade_of(value) == grade


@pytest.mark.parametrize("key, grade", _REFERENCE_OPTION_GRADES)
def test_free_valued_options_follow_the_reference(key, grade):
    from coopmetrics.registry import OPTION_INFO

    assert OPTION_INFO[key].grade == grade
    # a value not listed (a per-survey mapping, a number of days) takes the option's grade
    assert OPTION_INFO[key].grade_of({"school": (5,)}) == grade


def test_profile_grades_come_from_the_profiles_flag():
    from coopmetrics.registry import OPTION_INFO

    assert set(OPTION_INFO["profile"].choices) == set(PROFILES)
    for pid, prof in PROFILES.items():
        assert (OPTION_INFO["profile"].grade_of(pid) == "U") == prof.provisional
        assert OPTION_INFO["profile"].choices[pid].zh == prof.label_zh


def _add(value, zh, en, grade):
    """A planted change: the option's choices plus one more."""
    from coopmetrics.registry import Choice

    return lambda info: {"choices": {**info.choices, value: Choice(zh, en, grade)}}


@pytest.mark.parametrize("key, change, fragment", [
    ("dual_definition", _add("2019_flag", "某", "some", "U"), "choice '2019_flag' is not an allowed value"),
    ("pay_rule", lambda info: {"choices": {"2021": info.choices["2021"]}}, "allowed value '2016' has no choice"),
    ("survey_weights", lambda info: {"grade": "W"}, "grade 'W' not one of"),
    ("survey_weights", _add("raking", "按名册", "raked", "W"), "choice 'raking' grade 'W' not one of"),
    ("profile", lambda info: {"choices": {**info.choices, "moe_2024": info.choices["moe_2024"]._replace(
        grade="V-2")}}, "disagrees with codes.PROFILES provisional"),
    ("partner_programs", _add("night_class", "夜班", "night class", "U"),
     "choice 'night_class' is not an allowed value"),
    ("raking_variables", _add("shoe_size", "鞋码", "shoe size", "setting"),
     "choice 'shoe_size' is not an allowed value"),
    ("satisfied_levels", _add((6, 5), "六", "six", "U"), "not a tuple of scores 1-5"),
    ("as_of", lambda info: {"source": " "}, "source is empty"),
    ("exclude_levels", lambda info: {"cli_values": {("无法评估",): "1"}}, "cli_values without a cli_switch"),
])
def test_validate_registry_reports_a_planted_option_inconsistency(monkeypatch, key, change, fragment):
    from coopmetrics import registry

    info = registry.OPTION_INFO[key]
    monkeypatch.setitem(registry.OPTION_INFO, key, replace(info, **change(info)))
    issues = validate_registry()
    assert any(msg.startswith(f"option {key}:") and fragment in msg for msg in issues), issues
    monkeypatch.undo()
    assert validate_registry() == []


def test_validate_registry_reports_a_missing_or_stray_option(monkeypatch):
    from coopmetrics import registry

    monkeypatch.delitem(registry.OPTION_INFO, "as_of")
    assert "option as_of: no OptionInfo" in validate_registry()
    monkeypatch.undo()
    stray = replace(registry.OPTION_INFO["as_of"], field="valid_until")
    issues = validate_registry(REGISTRY, {**registry.OPTION_INFO, "valid_until": stray})
    assert "option valid_until: not an Options field" in issues
    assert validate_registry(REGISTRY, registry.OPTION_INFO) == []


def test_cli_switches_in_the_registry_are_the_parsers():
    """Each declared switch exists on `coopmetrics report` with exactly the registry's choices as spellings."""
    import argparse

    from coopmetrics.cli import build_parser
    from coopmetrics.registry import OPTION_INFO

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    actions = {s: a for a in sub.choices["report"]._actions for s in a.option_strings}
    declared = {info.cli_switch for info in OPTION_INFO.values() if info.cli_switch}
    assert declared == {"--profile", "--dual", "--practice-days", "--pay-rule", "--weights", "--top-box"}
    for info in OPTION_INFO.values():
        if info.cli_switch is None:
            continue
        action = actions[info.cli_switch]
        if info.choices:
            assert {str(c) for c in action.choices} == {info.cli_value(v) for v in info.choices}, info.field
        else:
            assert action.choices is None  # free value (a number of days)


def test_the_about_sheet_reads_the_registry(monkeypatch):
    """settings_table takes names, grades and value words from OPTION_INFO: one place to change them."""
    from coopmetrics import registry
    from coopmetrics.report import settings_table

    opts = Options(dual_definition="2022_standard", pay_rule="2016", survey_weights="column")
    rows = settings_table(opts).set_index("key")
    for key, info in registry.OPTION_INFO.items():
        value = getattr(opts, key)
        assert (rows.loc[key, "name_zh"], rows.loc[key, "name_en"]) == (info.name_zh, info.name_en)
        assert rows.loc[key, "grade"] == info.grade_of(value)
        if info.choice(value) is not None:
            assert (rows.loc[key, "value_zh"], rows.loc[key, "value_en"]) == tuple(info.choice(value)[:2])
    # the other listed choices are the alternatives, [U] ones marked
    assert "2004_evaluation [U]：" in rows.loc["dual_definition", "alternatives_zh"]
    assert "2021: 2021 rule" in rows.loc["pay_rule", "alternatives_en"]
    # a change in the registry reaches the sheet
    info = registry.OPTION_INFO["pay_rule"]
    monkeypatch.setitem(registry.OPTION_INFO, "pay_rule", replace(
        info, choices={**info.choices, "2016": info.choices["2016"]._replace(grade="U")}))
    assert settings_table(opts).set_index("key").loc["pay_rule", "grade"] == "U"


_ENUMERATED = ("profile", "dual_definition", "pay_rule", "survey_weights")


@settings(max_examples=25, deadline=None)
@given(st.fixed_dictionaries({k: st.sampled_from(sorted(OPTION_INFO[k].choices, key=str)) for k in _ENUMERATED}))
def test_about_sheet_status_marks_unverified_exactly_when_graded_u(choice):
    """Invariant over every combination of listed choices: [U] in the status iff the registry grades it U."""
    from coopmetrics.report import settings_table

    rows = settings_table(Options(**choice)).set_index("key")
    for key, value in choice.items():
        graded_u = OPTION_INFO[key].grade_of(value) == "U"
        assert ("[U]" in rows.loc[key, "status_zh"]) == graded_u
        assert ("[U]" in rows.loc[key, "status_en"]) == graded_u
        # the alternatives are the other listed choices, in words, and not the chosen one
        alts = rows.loc[key, "alternatives_en"]
        assert OPTION_INFO[key].choices[value].en not in alts
        assert all(c.en in alts for v, c in OPTION_INFO[key].choices.items() if v != value)
