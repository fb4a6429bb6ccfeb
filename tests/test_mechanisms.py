"""Issue 14: the mechanism tables, their indicators, loading and the sample's calibration.

Every new indicator is checked against a count written out in pandas here (independent of the
registry's Filter records and of compute()'s narwhals translation), on a random data set with
missing values in every column a filter reads.
"""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest

import coopmetrics as cm
from coopmetrics import sample
from coopmetrics.registry import _MECHANISMS, get_indicator

YEARS = (2023, 2024)
MAJORS = ("数控技术", "会计", "软件技术")


def _pick(rng: np.random.Generator, values: list, n: int, p_na: float = 0.15) -> list:
    out = list(np.array(values, dtype=object)[rng.integers(0, len(values), n)])
    return [None if rng.random() < p_na else v for v in out]


def _bools(rng: np.random.Generator, n: int, p: float = 0.5) -> pd.arrays.BooleanArray:
    v = rng.random(n) < p
    na = rng.random(n) < 0.15
    return pd.array([None if m else bool(x) for x, m in zip(v, na, strict=True)], dtype="boolean")


def _nums(rng: np.random.Generator, n: int, lo: float, hi: float) -> np.ndarray:
    x = np.round(rng.uniform(lo, hi, n))
    x[rng.random(n) < 0.15] = np.nan
    return x


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    """Random canonical tables with every issue-14 column, nulls included."""
    rng = np.random.default_rng(14)
    n = 240
    common = lambda k: {"year": rng.choice(YEARS, k), "major": rng.choice(MAJORS, k)}  # noqa: E731
    teachers = pd.DataFrame({
        "teacher_id": [f"T{i:03d}" for i in range(n)], **common(n),
        "category": rng.choice(["full_time", "enterprise_part_time", "internal_part_time"], n),
        "is_professional": _bools(rng, n, 0.7),
        "practice_days_year": _nums(rng, n, 0, 120),
        "birth_year": pd.array(_pick(rng, list(range(1970, 1995)), n), dtype="Int64"),
        "practice_days_2y": _nums(rng, n, 0, 150),
        "is_program_leader": _bools(rng, n, 0.2), "is_backbone": _bools(rng, n, 0.3),
        "enterprise_adviser": _bools(rng, n, 0.2), "skill_master": _bools(rng, n, 0.1),
    })
    internships = pd.DataFrame({
        "student_id": [f"S{i % 150:03d}" for i in range(n)], **common(n),
        "enterprise": rng.choice(["甲公司", "乙公司", "丙公司"], n),
        "internship_type": _pick(rng, ["cognitive", "shadowing", "placement", "work_study"], n),
    })
    enterprises = pd.DataFrame({
        "enterprise": [f"企业{i % 60:02d}" for i in range(n)], **common(n),
        "school_investment": _nums(rng, n, 0, 1e5), "co_courses": _nums(rng, n, 0, 3),
        "co_textbooks": _nums(rng, n, 0, 2), "co_bases": _nums(rng, n, 0, 2),
    })
    graduates = pd.DataFrame({
        "student_id": [f"G{i:04d}" for i in range(n)], "grad_year": rng.choice(YEARS, n),
        "major": rng.choice(MAJORS, n), "destination_code": "10",
        "certificate": _bools(rng, n, 0.7), "cert_1x": _bools(rng, n, 0.3),
    })
    enrollment = pd.DataFrame({
        "year": np.repeat(YEARS, len(MAJORS)), "major": np.tile(MAJORS, len(YEARS)),
        "students": [300, 200, 250, 310, 190, 260],
        "advanced_students": pd.array([120, None, 100, 130, 80, None], dtype="Int64"),
    })
    bases = pd.DataFrame({
        "base": [f"基地{i % 80:02d}" for i in range(n)], **common(n),
        "enterprise": _pick(rng, [f"企业{i:02d}" for i in range(30)], n),
        "location": _pick(rng, ["on_campus", "off_campus"], n),
        "model": _pick(rng, ["factory_in_school", "school_in_factory", "production_center", "master_studio",
                             "training_base", "internship_base"], n),
        "productive": _bools(rng, n), "substantive": _bools(rng, n), "demonstration": _bools(rng, n, 0.2),
        "student_visits": _nums(rng, n, 0, 900), "annual_output": _nums(rng, n, 0, 1e6),
        "school_investment": _nums(rng, n, 0, 1e5), "enterprise_investment": _nums(rng, n, 0, 4e5),
    })
    agreements = pd.DataFrame({
        "agreement_id": [f"A{i:03d}" for i in range(n)], **common(n),
        "enterprise": [f"企业{i % 70:02d}" for i in range(n)],
        "agreement_type": _pick(rng, ["framework", "intent", "order", "internship"], n),
        "plaque": _bools(rng, n, 0.3), "status": _pick(rng, ["active", "expired", "renewed", "terminated"], n),
        "fulfilment": _pick(rng, ["honoured", "partly", "not_honoured"], n, 0.3),
    })
    events = pd.DataFrame({
        "event_id": [f"E{i:03d}" for i in range(n)], **common(n),
        "event_type": rng.choice(["committee_meeting", "coop_committee_meeting", "regular_meeting", "visit",
                                  "followup", "forum", "lecture", "job_fair"], n),
        "enterprise": _pick(rng, [f"企业{i:02d}" for i in range(40)], n),
        "enterprises": _nums(rng, n, 0, 20),
    })
    committees = pd.DataFrame({
        "committee": rng.choice(["数控专指委", "合作委员会", "职教集团"], n), **common(n),
        "committee_type": _pick(rng, ["steering", "coop", "group"], n),
        "member_id": [f"M{i:03d}" for i in range(n)],
        "member_type": _pick(rng, ["enterprise", "school", "industry"], n),
        "organisation": _pick(rng, [f"单位{i:02d}" for i in range(50)], n),
    })
    services = pd.DataFrame({
        "project_id": [f"P{i:03d}" for i in range(n)], **common(n),
        "service_type": rng.choice(["tech_improvement", "tech_tackling", "tech_service", "patent", "transfer",
                                    "training", "appraisal"], n),
        "income": _nums(rng, n, 0, 5e4), "economic_benefit": _nums(rng, n, 0, 5e5),
        "patents": _nums(rng, n, 0, 3), "trainees": _nums(rng, n, 0, 200), "person_times": _nums(rng, n, 0, 300),
        "person_days": _nums(rng, n, 0, 900), "training_kind": _pick(rng, ["skill", "high_skill", "special"], n),
    })
    return {"teachers": teachers, "internships": internships, "enterprises": enterprises, "graduates": graduates,
            "enrollment": enrollment, "bases": bases, "agreements": agreements, "events": events,
            "committees": committees, "services": services}


def _t(col: pd.Series) -> pd.Series:
    """True where a nullable boolean is true (NA is not true)."""
    return col.fillna(False).astype(bool)


def _eq(col: pd.Series, value: str) -> pd.Series:
    return col.astype(object).eq(value)


def _in(col: pd.Series, values: tuple) -> pd.Series:
    return col.astype(object).isin(values)


# hand definitions, one per indicator: ("rows", table, mask) | ("nunique", table, column, mask) |
# ("sum", table, column, mask) | ("share", table, population, success) | ("ratio", table, (col, mask), (col, mask))
FTP = lambda d: _eq(d["category"], "full_time") & _t(d["is_professional"])  # noqa: E731
EPT = lambda d: _eq(d["category"], "enterprise_part_time")  # noqa: E731
ALL = lambda d: pd.Series(True, index=d.index)  # noqa: E731
HAND = {
    "teacher_practice_2m_share": ("share", "teachers", lambda d: FTP(d) & d["practice_days_year"].notna(),
                                  lambda d: d["practice_days_year"] >= 60),
    "young_teacher_practice_rate": ("share", "teachers",
                                    lambda d: FTP(d) & ((d["year"] - d["birth_year"]) < 40).fillna(False)
                                    & d["practice_days_2y"].notna(),
                                    lambda d: d["practice_days_2y"] >= 60),
    "enterprise_practitioner_count": ("rows", "teachers", EPT),
    "enterprise_program_leader_count": ("rows", "teachers", lambda d: EPT(d) & _t(d["is_program_leader"])),
    "enterprise_backbone_teacher_count": ("rows", "teachers", lambda d: EPT(d) & _t(d["is_backbone"])),
    "teacher_enterprise_adviser_count": ("rows", "teachers",
                                         lambda d: _eq(d["category"], "full_time") & _t(d["enterprise_adviser"])),
    "skill_master_count": ("rows", "teachers", lambda d: _t(d["skill_master"])),
    "cognitive_internship_students": ("nunique", "internships", "student_id",
                                      lambda d: _eq(d["internship_type"], "cognitive")),
    "shadowing_internship_students": ("nunique", "internships", "student_id",
                                      lambda d: _eq(d["internship_type"], "shadowing")),
    "work_study_students": ("nunique", "internships", "student_id",
                            lambda d: _eq(d["internship_type"], "work_study")),
    "school_coinvestment": ("sum", "enterprises", "school_investment", ALL),
    "co_courses_total": ("sum", "enterprises", "co_courses", ALL),
    "co_textbooks_total": ("sum", "enterprises", "co_textbooks", ALL),
    "co_bases_total": ("sum", "enterprises", "co_bases", ALL),
    "certificate_rate": ("share", "graduates", lambda d: d["certificate"].notna(), lambda d: _t(d["certificate"])),
    "cert_1x_rate": ("share", "graduates", lambda d: d["cert_1x"].notna(), lambda d: _t(d["cert_1x"])),
    "advanced_level_student_share": ("ratio", "enrollment", ("advanced_students", ALL),
                                     ("students", lambda d: d["advanced_students"].notna())),
    "base_count": ("nunique", "bases", "base", ALL),
    "on_campus_base_count": ("nunique", "bases", "base", lambda d: _eq(d["location"], "on_campus")),
    "off_campus_base_count": ("nunique", "bases", "base", lambda d: _eq(d["location"], "off_campus")),
    "productive_base_count": ("nunique", "bases", "base", lambda d: _t(d["productive"])),
    "factory_in_school_count": ("nunique", "bases", "base", lambda d: _eq(d["model"], "factory_in_school")),
    "school_in_factory_count": ("nunique", "bases", "base", lambda d: _eq(d["model"], "school_in_factory")),
    "production_center_count": ("nunique", "bases", "base", lambda d: _eq(d["model"], "production_center")),
    "master_studio_count": ("nunique", "bases", "base", lambda d: _eq(d["model"], "master_studio")),
    "substantive_base_count": ("nunique", "bases", "base", lambda d: _t(d["substantive"])),
    "demonstration_base_count": ("nunique", "bases", "base", lambda d: _t(d["demonstration"])),
    "base_partner_count": ("nunique", "bases", "enterprise", ALL),
    "base_student_visits": ("sum", "bases", "student_visits", ALL),
    "base_annual_output": ("sum", "bases", "annual_output", ALL),
    "base_school_investment": ("sum", "bases", "school_investment", ALL),
    "base_enterprise_investment": ("sum", "bases", "enterprise_investment", ALL),
    "base_investment_leverage": ("ratio", "bases",
                                 ("enterprise_investment", lambda d: d["school_investment"].notna()),
                                 ("school_investment", lambda d: d["enterprise_investment"].notna())),
    "agreement_count": ("rows", "agreements", ALL),
    "intent_count": ("rows", "agreements", lambda d: _eq(d["agreement_type"], "intent")),
    "agreement_partner_count": ("nunique", "agreements", "enterprise", ALL),
    "plaque_partner_count": ("nunique", "agreements", "enterprise", lambda d: _t(d["plaque"])),
    "active_agreement_count": ("rows", "agreements", lambda d: _in(d["status"], ("active", "renewed"))),
    "agreement_fulfilment_rate": ("share", "agreements", lambda d: d["fulfilment"].notna(),
                                  lambda d: _eq(d["fulfilment"], "honoured")),
    "governance_meeting_count": ("rows", "events", lambda d: _in(
        d["event_type"], ("committee_meeting", "coop_committee_meeting", "regular_meeting"))),
    "enterprise_visit_count": ("rows", "events", lambda d: _eq(d["event_type"], "visit")),
    "enterprises_visited": ("nunique", "events", "enterprise", lambda d: _eq(d["event_type"], "visit")),
    "forum_count": ("rows", "events", lambda d: _eq(d["event_type"], "forum")),
    "forum_enterprises": ("sum", "events", "enterprises", lambda d: _eq(d["event_type"], "forum")),
    "lecture_count": ("rows", "events", lambda d: _eq(d["event_type"], "lecture")),
    "graduate_followup_count": ("rows", "events", lambda d: _eq(d["event_type"], "followup")),
    "committee_enterprise_member_share": ("share", "committees", lambda d: d["member_type"].notna(),
                                          lambda d: _eq(d["member_type"], "enterprise")),
    "steering_enterprise_member_count": ("rows", "committees", lambda d: _eq(d["committee_type"], "steering")
                                         & _eq(d["member_type"], "enterprise")),
    "group_member_units": ("nunique", "committees", "organisation", lambda d: _eq(d["committee_type"], "group")),
    "service_project_count": ("rows", "services", ALL),
    "tech_project_count": ("rows", "services", lambda d: _in(d["service_type"], ("tech_improvement",
                                                                                 "tech_tackling"))),
    "patent_count": ("sum", "services", "patents", ALL),
    "transfer_count": ("rows", "services", lambda d: _eq(d["service_type"], "transfer")),
    "transfer_income": ("sum", "services", "income", lambda d: _eq(d["service_type"], "transfer")),
    "service_income": ("sum", "services", "income", ALL),
    "service_economic_benefit": ("sum", "services", "economic_benefit", ALL),
    "trainees_total": ("sum", "services", "trainees", ALL),
    "training_person_times": ("sum", "services", "person_times", ALL),
    "service_training_person_days": ("sum", "services", "person_days", ALL),
    "high_skill_training_person_times": ("sum", "services", "person_times",
                                         lambda d: _eq(d["training_kind"], "high_skill")),
    "training_income_per_trainee": ("ratio", "services",
                                    ("income", lambda d: _in(d["service_type"], ("training", "appraisal"))),
                                    ("trainees", lambda d: _in(d["service_type"], ("training", "appraisal")))),
}


def test_every_mechanism_indicator_has_a_hand_count():
    assert set(HAND) == {ind.id for ind in _MECHANISMS}


def _expected(spec: tuple, frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """numerator, denominator per (year, major) from the hand definition."""
    kind, table = spec[0], spec[1]
    d = frames[table].rename(columns={"grad_year": "year"})
    keys = [d["year"], d["major"]]
    if kind == "rows":
        num, den = spec[2](d).astype(int).groupby(keys).sum(), None
    elif kind == "nunique":
        m = spec[3](d).to_numpy(dtype=bool)
        num = d[m].groupby(["year", "major"])[spec[2]].nunique()
        num = num.reindex(pd.MultiIndex.from_frame(d[["year", "major"]].drop_duplicates()), fill_value=0)
        den = None
    elif kind == "sum":
        m = spec[3](d).to_numpy(dtype=bool)
        num, den = d[spec[2]].where(m, 0).fillna(0).groupby(keys).sum(), None
    elif kind == "share":
        pop = spec[2](d).to_numpy(dtype=bool)
        succ = pop & spec[3](d).fillna(False).to_numpy(dtype=bool)
        num, den = pd.Series(succ).groupby(keys).sum(), pd.Series(pop).groupby(keys).sum()
    else:  # ratio
        (cx, mx), (cy, my) = spec[2], spec[3]
        both = (mx(d) & my(d)).to_numpy(dtype=bool)
        num = d[cx].where(both, 0).fillna(0).astype(float).groupby(keys).sum()
        den = d[cy].where(both, 0).fillna(0).astype(float).groupby(keys).sum()
    out = pd.DataFrame({"numerator": num.astype(float)})
    out["denominator"] = den.astype(float) if den is not None else np.nan
    out.index.names = ["year", "major"]
    return out


@pytest.mark.parametrize("ind_id", sorted(HAND))
def test_indicator_equals_hand_count(frames, ind_id):
    ds = cm.Dataset(**frames)
    res = cm.compute(ds, [ind_id], by=("year", "major"))
    res = res.set_index(["year", "major"]).sort_index()
    exp = _expected(HAND[ind_id], frames).reindex(res.index)
    # a rate over an empty group is not_applicable, never a number
    undefined = exp["denominator"].eq(0).to_numpy()
    assert (res["status"].astype(str).to_numpy() == np.where(undefined, "not_applicable", "reported")).all()
    got = res.loc[~undefined, ["numerator", "denominator", "estimate"]].astype(float)
    exp = exp[~undefined]
    assert len(got) >= 4  # enrolment has 6 cells, two without 高级工 figures
    np.testing.assert_allclose(got["numerator"], exp["numerator"], rtol=1e-12)
    kind = get_indicator(ind_id).kind
    if kind in ("proportion", "ratio_of_sums"):
        np.testing.assert_allclose(got["denominator"], exp["denominator"], rtol=1e-12)
        with np.errstate(invalid="ignore", divide="ignore"):
            np.testing.assert_allclose(got["estimate"], exp["numerator"] / exp["denominator"], rtol=1e-12)
    else:
        np.testing.assert_allclose(got["estimate"], exp["numerator"], rtol=1e-12)


def test_proportions_carry_a_wilson_interval(frames):
    from statsmodels.stats.proportion import proportion_confint

    res = cm.compute(cm.Dataset(**frames), ["agreement_fulfilment_rate"], by=("year",))
    lo, hi = proportion_confint(res["numerator"], res["denominator"], method="wilson")
    np.testing.assert_allclose(res["ci_low"], lo, rtol=1e-9)
    np.testing.assert_allclose(res["ci_high"], hi, rtol=1e-9)


@pytest.mark.parametrize("born, counted", [(1985, True), (1984, False), (None, False)])
def test_under_40_means_year_minus_birth_year_below_40(born, counted):
    t = pd.DataFrame({"teacher_id": ["a"], "year": [2024], "category": ["full_time"],
                      "is_professional": pd.array([True], dtype="boolean"),
                      "birth_year": pd.array([born], dtype="Int64"), "practice_days_2y": [60.0]})
    res = cm.compute(cm.Dataset(teachers=t), ["young_teacher_practice_rate"], by=("year",))
    assert res["denominator"].fillna(0).tolist() == [1.0 if counted else 0.0]


@pytest.mark.parametrize("table, ind_id", [("bases", "base_count"), ("agreements", "agreement_count"),
                                           ("events", "forum_count"), ("committees", "group_member_units"),
                                           ("services", "service_project_count")])
def test_college_without_the_table_gets_missing_input(frames, table, ind_id):
    ds = cm.Dataset(**{k: v for k, v in frames.items() if k != table})
    res = cm.compute(ds, [ind_id], by=("year",))
    assert res["status"].astype(str).tolist() == ["missing_input"]
    assert res["estimate"].isna().all()


# --- loading: Chinese-header CSV and XLSX with a title row -------------------------------------------

# (file stem, headers, rows, canonical checks) written as a college would
FILES = {
    "bases": ("实训基地", ["基地名称", "年份", "专业名称", "合作企业", "校内外", "合作模式", "是否生产性", "学校投入（万元）",
                       "企业投入（万元）"],
              [["数控实训中心", "2024", "数控技术", "甲公司", "校内", "校中厂", "是", "307", "1326"],
               ["乙公司实习基地", "2024", "数控技术", "乙公司", "校外实习实训基地", "实习基地", "否", "", "12.5"],
               ["", "2024", "会计", "丙公司", "校外", "实习基地", "否", "", ""]]),
    "agreements": ("合作协议", ["协议编号", "合作企业", "年份", "协议类型", "签订日期", "协议期限", "是否挂牌", "履约情况"],
                   [["XY001", "甲公司", "2024", "订单培养协议", "2024-03-01", "3", "是", "已履约"],
                    ["XY002", "乙公司", "2024", "合作意向书", "2024-05-12", "", "否", "部分履行"],
                    ["XY003", "", "2024", "合作协议", "2024-06-01", "5", "否", ""]]),
    "events": ("校企活动", ["活动编号", "年份", "活动日期", "活动类型", "企业名称", "参与企业数"],
               [["H1", "2024", "2024-04-02", "走访企业", "甲公司", "1"],
                ["H2", "2024", "2024-05-20", "校企座谈会", "", "12"],
                ["H3", "2024", "2024-06-01", "", "乙公司", ""]]),
    "committees": ("委员会成员", ["委员会名称", "委员会类型", "年份", "成员编号", "成员类别", "成员单位", "姓名"],
                   [["数控专业建设指导委员会", "专业建设指导委员会", "2024", "M1", "企业", "甲公司", "张三"],
                    ["数控专业建设指导委员会", "专业建设指导委员会", "2024", "M2", "学校", "示例学院", "李四"],
                    ["", "职教集团", "2024", "M3", "企业", "乙公司", "王五"]]),
    "services": ("社会服务项目", ["项目编号", "项目名称", "年份", "服务类型", "到款额（万元）", "培训人数", "培训人次",
                            "培训类型"],
                 [["FW1", "员工技能培训", "2024", "培训", "25.7", "874", "1200", "高技能人才培训"],
                  ["FW2", "工艺改进", "2024", "技改", "8", "", "", ""],
                  ["FW3", "专利申报", "", "专利", "", "", "", ""]]),
}
CHECKS = {  # (column, values kept after loading) — the third row is excluded (blank required cell)
    "bases": [("location", ["on_campus", "off_campus"]), ("model", ["factory_in_school", "internship_base"]),
              ("school_investment", [3_070_000.0, np.nan]), ("enterprise_investment", [13_260_000.0, 125_000.0])],
    "agreements": [("agreement_type", ["order", "intent"]), ("fulfilment", ["honoured", "partly"]),
                   ("term_years", [3.0, np.nan])],
    "events": [("event_type", ["visit", "forum"]), ("enterprises", [1, 12])],
    "committees": [("committee_type", ["steering", "steering"]), ("member_type", ["enterprise", "school"])],
    "services": [("service_type", ["training", "tech_improvement"]), ("income", [257_000.0, 80_000.0]),
                 ("trainees", [874, pd.NA]), ("training_kind", ["high_skill", pd.NA])],
}


def _check_loaded(ds: cm.Dataset, table: str, first_data_row: int) -> None:
    assert ds.tables == [table]
    frame = ds[table]
    acc = ds.accounting
    assert acc[["rows_read", "kept", "excluded"]].iloc[0].tolist() == [3, 2, 1]
    bad = ds.validation[ds.validation["action"] == "excluded"]
    assert bad["row"].tolist() == [first_data_row + 2]  # the third data row, as numbered in Excel
    assert (bad["problem"] == "missing_required_value").all()
    for col, want in CHECKS[table]:
        got = frame[col].astype(object).tolist()
        for g, w in zip(got, want, strict=True):
            if w is pd.NA or (isinstance(w, float) and np.isnan(w)):
                assert pd.isna(g), (col, got)
            else:
                assert g == w, (col, got)
    assert "name" not in frame.columns and "姓名" not in frame.columns  # personal data dropped


@pytest.mark.parametrize("table", sorted(FILES))
@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_new_table_loads_from_chinese_header_csv(tmp_path, table, encoding):
    stem, headers, rows = FILES[table]
    path = tmp_path / f"{stem}.csv"
    pd.DataFrame(rows, columns=headers).to_csv(path, index=False, encoding=encoding)
    _check_loaded(cm.load(path), table, first_data_row=2)


@pytest.mark.parametrize("table", sorted(FILES))
def test_new_table_loads_from_xlsx_with_title_row(tmp_path, table):
    stem, headers, rows = FILES[table]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"  # a default sheet name: the file name identifies the table
    ws.append([f"江南示例职业技术学院2024年{stem}统计表"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    ws.append(headers)
    for r in rows:
        ws.append([None if v == "" else v for v in r])
    path = tmp_path / f"{stem}.xlsx"
    wb.save(path)
    _check_loaded(cm.load(path), table, first_data_row=3)


def test_headers_alone_identify_a_new_table(tmp_path):
    """A file called data.csv is recognised from its headers (no name alias needed)."""
    stem, headers, rows = FILES["services"]
    path = tmp_path / "data.csv"
    pd.DataFrame(rows, columns=headers).to_csv(path, index=False, encoding="utf-8")
    assert cm.load(path).tables == ["services"]


# --- the sample is calibrated to the seeds' figures ---------------------------------------------------


@pytest.fixture(scope="module")
def sample_ds() -> cm.Dataset:
    return sample.generate()


@pytest.mark.parametrize("ind_id, expected", [
    ("on_campus_base_count", 11), ("off_campus_base_count", 55), ("base_partner_count", 39),
    ("service_project_count", 28), ("trainees_total", 874), ("patent_count", 3),
    ("group_member_units", 37), ("forum_count", 10), ("forum_enterprises", 118),
])
def test_sample_last_year_matches_seed_figures(sample_ds, ind_id, expected):
    res = cm.compute(sample_ds, [ind_id], by=("year",))
    assert res.loc[res["year"] == 2024, "estimate"].item() == expected


def test_sample_bases_investment_and_training_income_match_seeds(sample_ds):
    b = sample_ds["bases"].query("year == 2024 and location == 'on_campus'")
    assert b["school_investment"].sum() == 3_070_000 and b["enterprise_investment"].sum() == 13_260_000
    res = cm.compute(sample_ds, ["training_income_per_trainee"], by=("year",))
    row = res[res["year"] == 2024]
    assert row["numerator"].item() == 257_000 and row["denominator"].item() == 874
    assert row["estimate"].item() == pytest.approx(257_000 / 874, rel=1e-12)


def test_sample_files_hold_the_new_tables():
    if not (sample.SAMPLE_DIR / "实训基地.csv").is_file():
        pytest.skip("sample not generated")
    ds = cm.load(sample.SAMPLE_DIR)
    gen = sample.generate()
    for t in ("bases", "agreements", "events", "committees", "services"):
        assert len(ds[t]) == len(gen[t]), t
        assert ds.validation[ds.validation["table"] == t].empty, t
    pd.testing.assert_series_equal(ds["bases"]["location"].astype(object), gen["bases"]["location"].astype(object),
                                   check_names=False)
    # the new columns of existing tables come back from their Chinese headers
    for t, col in [("teachers", "birth_year"), ("teachers", "practice_days_2y"), ("teachers", "is_backbone"),
                   ("internships", "internship_type"), ("enterprises", "school_investment"),
                   ("graduates", "certificate"), ("graduates", "cert_1x")]:
        got = ds[t][col].astype(object).where(ds[t][col].notna(), None).tolist()
        want = gen[t][col].astype(object).where(gen[t][col].notna(), None).tolist()
        assert got == want, (t, col)


# --- the coverage table of docs/indicators.md ----------------------------------------------------------


def test_coverage_table_resolves_every_reference():
    from coopmetrics.coverage import seed_coverage, validate_coverage

    assert validate_coverage() == []
    cov = seed_coverage()
    assert len(cov) == 74 and cov["item"].is_unique
    # every new indicator is named by at least one item
    named = {r for refs in cov["refs"] for r in refs}
    assert {ind.id for ind in _MECHANISMS} <= named, "a mechanism indicator no seed item names"


def test_coverage_items_are_the_reference_list():
    import re
    from pathlib import Path

    from coopmetrics.coverage import seed_coverage

    ref = Path("/work/shared/reference/seed-coverage.md")
    if not ref.is_file():
        pytest.skip("reference list not available")
    ids = re.findall(r"^\| ([A-H]\d+) \|", ref.read_text(encoding="utf-8"), flags=re.M)
    assert seed_coverage()["item"].tolist() == ids


def test_validate_coverage_catches_planted_errors():
    from coopmetrics.coverage import seed_coverage, validate_coverage

    cov = seed_coverage().head(3).copy()
    cov.loc[0, "refs"] = ["rule:R999"]
    cov.loc[1, "coverage"] = "partly"
    cov.loc[2, "coverage"], cov.loc[2, "note"] = "out_of_scope", ""
    issues = validate_coverage(cov)
    assert "A1: unknown rule 'R999'" in issues
    assert "A2: unknown coverage 'partly'" in issues
    assert "A3: out_of_scope needs a reason in the note" in issues


def test_docs_coverage_block_is_up_to_date(tmp_path):
    from pathlib import Path

    from coopmetrics.coverage import update_coverage_doc

    doc = Path(__file__).resolve().parents[1] / "docs" / "indicators.md"
    copy = tmp_path / "indicators.md"
    copy.write_text(doc.read_text(encoding="utf-8"), encoding="utf-8")
    assert update_coverage_doc(str(copy)) is False, "regenerate docs/indicators.md (coopmetrics.coverage)"


def test_distinct_count_is_zero_not_missing_for_a_group_without_matches():
    i = pd.DataFrame({"student_id": ["a", "b", "c", "a"], "year": [2023, 2024, 2024, 2024],
                      "enterprise": "甲", "major": ["数控", "数控", "会计", "会计"],
                      "internship_type": ["cognitive", "placement", "placement", "cognitive"]})
    res = cm.compute(cm.Dataset(internships=i), ["cognitive_internship_students"], by=("year", "major"))
    got = res.set_index(["year", "major"])["estimate"].to_dict()
    # hand count: 2023 数控 {a}; 2024 数控 none; 2024 会计 {a}
    assert got == {(2023, "数控"): 1.0, (2024, "会计"): 1.0, (2024, "数控"): 0.0}
    assert (res["status"] == "reported").all()


@pytest.mark.parametrize("table, header, column, mult", [
    ("bases", "年接待学生量（人次）", "student_visits", 1.0), ("bases", "学校投入（万元）", "school_investment", 10_000.0),
    ("bases", "A4-2 合作单位", None, 1.0), ("bases", "合作单位", "enterprise", 1.0),
    ("events", "参与企业数（家）", "enterprises", 1.0), ("services", "专利数（项）", "patents", 1.0),
    ("services", "技术交易到款额（万元）", "income", 10_000.0), ("services", "培训人日（人天）", "person_days", 1.0),
    ("agreements", "协议期限（年）", "term_years", 1.0), ("teachers", "出生年月", "birth_year", 1.0),
    ("internships", "实习形式", "internship_type", 1.0), ("enterprises", "学校投入（万元）", "school_investment", 10_000.0),
])
def test_unit_suffixed_headers_resolve(table, header, column, mult):
    from coopmetrics.schema import resolve_header

    assert resolve_header(table, header) == (column, mult)


def test_birth_month_keeps_only_the_year(tmp_path):
    path = tmp_path / "教师.csv"
    pd.DataFrame({"工号": ["1", "2"], "年份": [2024, 2024], "教师类别": ["专任", "专任"],
                  "出生年月": ["1985-03", "1984/11/05"]}).to_csv(path, index=False)
    assert cm.load(path)["teachers"]["birth_year"].tolist() == [1985, 1984]
