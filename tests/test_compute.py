"""compute(), unit_values(), explain() against hand calculations, naive pandas, peers and invariants."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

import coopmetrics as cm
from coopmetrics.codes import _FAMILIES, DESTINATION_CODES
from coopmetrics.compute import OUTPUT_HEAD, OUTPUT_TAIL, compute, explain, partner_profile, unit_values
from coopmetrics.errors import InvalidOptionError, UnknownIndicatorError
from coopmetrics.registry import _MECHANISMS, REGISTRY, Options

NA = None
B = "boolean"


# --- a small college written out by hand ------------------------------------------------------------


def _note(res: pd.DataFrame, ind: str) -> str:
    """The ``note`` column of one indicator (the same on each of its rows)."""
    if "indicator" not in res.columns:
        res = res.reset_index()
    notes = set(res.loc[res["indicator"] == ind, "note"].astype(str))
    assert len(notes) == 1, notes
    return notes.pop()


def _bool(values):
    return pd.array(values, dtype=B)


def hand_dataset() -> cm.Dataset:
    """Ten graduates, a few survey answers, six teachers, four internships, a small ledger.

    Students 1-6 are employed (codes 10, 11, 271, 12, 76, 75), 7 studies further (803), 8 is
    not placed (70), 9 has an unknown code (99), 10 has none. Values of non-employed students
    are set so that wrongly including them would change the employed-only indicators.
    """
    g = pd.DataFrame({
        "student_id": [str(i) for i in range(1, 11)],
        "grad_year": [2024] * 10,
        "major": ["A"] * 5 + ["B"] * 5,
        "program": ["order_class", "regular", "regular", "apprenticeship", "named_class", "regular", "regular",
                    "order_class", "regular", NA],
        "partner": ["甲", NA, NA, "丁", "戊", NA, NA, "甲", NA, NA],
        "gender": ["male", "female", "female", "male", "female", "male", "female", "male", "female", "male"],
        "destination_code": ["10", "11", "271", "12", "76", "75", "803", "70", "99", NA],
        # 专业代码: 理工农医 (大类 41-52) for students 1, 3, 5, 6 and 7-10; 2 is 财经 (53), 4 旅游 (54)
        "major_code": ["460103", "530302", "520201", "540106", "410101", "460301", "460103", "460103",
                       "460103", NA],
        "employer": ["甲", "乙", "丙", "丁", "己", NA, NA, NA, NA, NA],
        "employer_is_partner": _bool([True, False, False, True, False, NA, True, True, True, True]),
        "local_job": _bool([True, True, False, True, False, NA, True, True, True, True]),
        "west_northeast_job": _bool([False, False, True, False, False, False, True, True, True, True]),
        "sme_job": _bool([True, True, False, True, True, True, False, False, False, False]),
        "top500_job": _bool([False, False, True, False, False, False, True, True, True, True]),
        "monthly_salary": [5000, 4000, 6000, 3000, np.nan, 7000, 9999, 9999, 9999, 9999],
        "job_relevant": _bool([True, False, True, True, NA, False, True, True, True, True]),
        "left_within_6m": _bool([False, True, False, NA, False, True, True, True, True, True]),
    })
    s = pd.DataFrame({
        "respondent_id": ["s1", "s2", "s3", "s4", "s5", "e1", "e2", "i1", "i1", "i2", "m1"],
        "student_id": ["1", "2", "3", "4", "6", NA, NA, "1", "1", "2", "1"],
        "year": [2024] * 11,
        "survey_kind": ["school"] * 5 + ["employer"] * 2 + ["internship"] * 3 + ["employment"],
        "item": ["母校总体满意度"] * 5 + ["总体"] * 2 + ["总体", "指导", "总体", "总体"],
        "response": ["很满意", "满意", "不满意", "无法评估", "一般", "很满意", "很不满意", "满意", "不满意", "很满意", "满意"],
        "score": pd.array([5, 4, 2, NA, 3, 5, 1, 4, 2, 5, 4], dtype="Int64"),
    })
    t = pd.DataFrame({
        "teacher_id": [f"t{i}" for i in range(1, 7)],
        "year": [2024] * 6,
        "major": ["A", "A", "B", "B", "A", "B"],
        "category": ["full_time"] * 4 + ["enterprise_part_time", "internal_part_time"],
        "is_professional": _bool([True, True, False, True, True, False]),
        "title_level": ["senior", "intermediate", "junior", "senior", "intermediate", "junior"],
        "industry_qualification": _bool([True, False, False, False, True, False]),
        "industry_years": [0.0, 0.0, 5.0, 0.0, 10.0, 0.0],
        "enterprise_practice_days_5y": [200, 100, np.nan, 800, np.nan, 50],
        "applied_projects_5y": [0, 2, 0, 0, 0, 0],
        "dual_flag": _bool([True, False, True, False, True, False]),
        "dual_level": ["intermediate", NA, "junior", NA, "senior", NA],
        "professional_hours": [100.0, 200.0, 0.0, 100.0, 150.0, 50.0],
    })
    i = pd.DataFrame({
        "student_id": ["1", "2", "3", "4"],
        "year": [2024] * 4,
        "major": ["A"] * 4,
        "enterprise": ["甲", "乙", "丙", "丁"],
        "months": [6.0, 3.0, 8.0, np.nan],
        "monthly_pay": [3000.0, 2000.0, 1500.0, np.nan],
        "post_wage": [3500.0, 3000.0, 2000.0, np.nan],
        "probation_wage": [4000.0, 2400.0, 2000.0, np.nan],
        "lowest_grade_wage": [2500.0, 2200.0, 1500.0, np.nan],
        "insured": _bool([True, False, True, NA]),
        "relevant": _bool([True, False, True, True]),
        "hired": _bool([True, False, NA, True]),
    })
    e = pd.DataFrame({
        "enterprise": ["甲", "甲", "乙", "丙"],
        "year": [2024] * 4,
        "major": ["A", "B", "A", "B"],
        "equipment_value": [100000.0, 0.0, np.nan, 50000.0],
        "funds": [20000.0, 0.0, np.nan, 0.0],
        "interns_received": [10, 5, 0, 0],
        "internship_positions": [30, 10, 0, 5],
        "graduates_hired": [4, 1, 0, 0],
        "order_students": [20, 0, 0, 0],
        "part_time_teachers": [2, 0, 0, 0],
        "part_time_hours": [100.0, 0.0, 0.0, 0.0],
        "tech_service_income": [50000.0, 0.0, 0.0, 0.0],
        "training_income": [10000.0, 0.0, 0.0, 0.0],
        "training_person_days": [40.0, 0.0, 0.0, 0.0],
    })
    n = pd.DataFrame({"year": [2024, 2024], "major": ["A", "B"], "students": [300, 200],
                      "fte_students": [310.5, 204.0]})
    r = pd.DataFrame({"year": [2024] * 3, "employer": ["甲", "乙", "丙"], "post_type": ["技术员", "销售", "技术员"],
                      "posts": [12, 8, 5]})
    return cm.Dataset(graduates=g, survey=s, teachers=t, internships=i, enterprises=e, enrollment=n, recruitment=r)


nan = np.nan
#: (numerator, denominator, estimate) worked out by hand for hand_dataset(), all groups together.
HAND: dict[str, tuple[float, float, float]] = {
    # graduates: 10 rows; placed = students 1-7 (10, 11, 271, 12, 76, 75, 803)
    "graduates_total": (10, nan, 10),
    "placement_rate": (7, 10, 0.7),
    "contract_employment_rate": (3, 10, 0.3),  # 10, 11, 271
    "flexible_employment_rate": (2, 10, 0.2),  # 12, 76
    "self_employment_rate": (1, 10, 0.1),  # 75
    "further_study_rate": (1, 10, 0.1),  # 803
    "unit_employment_rate": (4, 10, 0.4),  # 2024 mapping: 10, 11, 271, 12
    "freelance_rate": (1, 10, 0.1),  # 76
    "not_placed_rate": (1, 10, 0.1),  # 70
    "unknown_destination_count": (2, nan, 2),  # 99 and missing
    "unknown_destination_share": (2, 10, 0.2),
    # employed = students 1-6
    "job_relevance_rate": (3, 5, 0.6),  # recorded for 1,2,3,4,6; yes for 1,3,4
    "stem_job_relevance_rate": (2, 3, 2 / 3),  # of those, 理工农医 majors: 1, 3, 6; yes for 1, 3
    "salary_mean": (25000, 5, 5000.0),  # 5000+4000+6000+3000+7000 (student 5 missing)
    "salary_median": (nan, 5, 5000.0),  # median of 3000,4000,5000,6000,7000
    "turnover_rate": (2, 5, 0.4),  # recorded for 1,2,3,5,6; left: 2, 6
    "partner_employment_rate": (2, 5, 0.4),  # recorded 1-5; partner employer: 1, 4
    "partner_retention_rate": (2, 4, 0.5),  # program students with partner: 1,4,5,8; employer == partner: 1, 4
    "local_employment_share": (3, 5, 0.6),  # recorded 1-5; local 1,2,4
    "west_northeast_share": (1, 6, 1 / 6),  # student 3
    "sme_share": (5, 6, 5 / 6),  # all but 3
    "top500_share": (1, 6, 1 / 6),  # student 3
    "order_class_share": (2, 9, 2 / 9),  # program recorded for 9; order classes 1, 8
    "apprenticeship_share": (1, 9, 1 / 9),
    "partnership_program_share": (4, 9, 4 / 9),  # 1, 4, 5, 8
    # survey, unweighted; scores 5 and 4 are top-box; 无法评估 excluded
    # counts are respondents (people), never item answers; the scorecard figure is the overall item
    "school_satisfaction": (2, 4, 0.5),  # s1 5, s2 4, s3 2, s5 3 valid; s4 excluded
    "employer_satisfaction": (1, 2, 0.5),  # item "总体" is the overall question
    "internship_satisfaction": (2, 2, 1.0),  # overall item "总体": i1 answers 4, i2 answers 5 (i1's 指导 not used)
    "employment_satisfaction": (1, 1, 1.0),
    # item pools: each respondent's share of top-box answers, averaged over respondents
    "school_satisfaction_items": (2, 4, 0.5),  # one item each
    "employer_satisfaction_items": (1, 2, 0.5),
    "internship_satisfaction_items": (1.5, 2, 0.75),  # i1: 1 of 2 items = 0.5; i2: 1 of 1 = 1 -> 1.5 / 2
    "employment_satisfaction_items": (1, 1, 1.0),
    # teachers: full-time t1-t4; professional full-time t1, t2, t4
    "dual_teacher_ratio_fulltime": (2, 4, 0.5),  # flag: t1, t3
    "dual_teacher_ratio_professional": (1, 3, 1 / 3),  # t1
    "fulltime_teachers": (4, nan, 4),
    # 教发〔2004〕2号: 折合在校生 (310.5 + 204) / (4 专任 + 0.5 x 1 聘请校外 t5; 校内兼课 t6 not counted)
    "student_teacher_ratio": (514.5, 4.5, 514.5 / 4.5),
    "student_teacher_ratio_simple": (500, 4, 125.0),  # (300 + 200) / 4 full-time teachers
    "senior_title_share": (2, 4, 0.5),  # t1, t4
    "enterprise_teaching_share": (150, 600, 0.25),  # t5's 150 of 100+200+0+100+150+50
    "practice_compliance_rate": (2, 3, 2 / 3),  # 200 and 800 days >= 180; 100 not
    # internships
    "intern_hire_rate": (2, 3, 2 / 3),  # recorded i1, i2, i4; hired i1, i4
    "internship_relevance_rate": (3, 4, 0.75),
    "internship_insurance_rate": (2, 3, 2 / 3),
    "internship_pay_compliance_rate": (2, 3, 2 / 3),  # 2021: 3000>=2800 yes; 2000<2400 & <2200 no; 1500>=1500 yes
    "internship_duration_rate": (2, 3, 2 / 3),  # 6 and 8 of 6, 3, 8
    "internship_months_mean": (17, 3, 17 / 3),
    "internship_pay_mean": (6500, 3, 6500 / 3),
    # enterprises
    "partner_count": (3, nan, 3),  # 甲, 乙, 丙
    "active_partner_count": (2, nan, 2),  # 甲 (interns ...), 丙 (equipment); 乙 has nothing
    "equipment_per_student": (150000, 500, 300.0),
    "funds_per_student": (20000, 500, 40.0),
    "order_students_per_student": (20, 500, 0.04),
    "interns_received": (15, nan, 15),
    "internship_positions": (45, nan, 45),
    "partner_posts_per_graduate": (45, 10, 4.5),
    # 求人倍率: posts 12 + 8 + 5 = 25 over job seekers: 10 graduates minus 803 (further study) = 9
    "job_demand_ratio": (25, 9, 25 / 9),
    "enterprise_hires_per_intern": (5, 15, 1 / 3),
    "graduates_hired": (5, nan, 5),
    "part_time_teachers": (2, nan, 2),
    "part_time_hours": (100, nan, 100),
    "order_students": (20, nan, 20),
    "tech_service_income": (50000, nan, 50000),
    "training_income": (10000, nan, 10000),
    "training_person_days": (40, nan, 40),
    "equipment_value": (150000, nan, 150000),
    "enterprise_funds": (20000, nan, 20000),
}

UNWEIGHTED = Options(survey_weights=None)


@pytest.fixture(scope="module")
def hand() -> cm.Dataset:
    return hand_dataset()


@pytest.fixture(scope="module")
def hand_result(hand) -> pd.DataFrame:
    return compute(hand, by=(), options=UNWEIGHTED).set_index("indicator")


@pytest.mark.parametrize("ind", [i for i in REGISTRY if i not in _MECHANISMS], ids=lambda i: i.id)
def test_every_indicator_against_hand_calculation(ind, hand_result):  # issue 14's: tests/test_mechanisms.py
    assert ind.id in HAND, f"add a hand calculation for {ind.id} to HAND"
    num, den, estimate = HAND[ind.id]
    row = hand_result.loc[ind.id]
    assert row["status"] == "reported"
    np.testing.assert_allclose([row["numerator"], row["denominator"], row["estimate"]], [num, den, estimate],
                               rtol=1e-12, equal_nan=True)


def test_output_columns_are_the_contract(hand):
    for by in [(), ("grad_year",), ("year", "major")]:
        res = compute(hand, ["placement_rate", "salary_mean"], by=by)
        assert list(res.columns) == [*OUTPUT_HEAD, *by, *OUTPUT_TAIL]


def test_grouped_by_major(hand):
    res = compute(hand, ["placement_rate", "intern_hire_rate", "student_teacher_ratio"], by=("grad_year", "major"))
    cell = res.set_index(["indicator", "major"])
    # major A: students 1-5 all placed; major B: 6 (75) and 7 (803) of 6-10
    assert cell.loc[("placement_rate", "A"), ["numerator", "denominator"]].tolist() == [5, 5]
    assert cell.loc[("placement_rate", "B"), ["numerator", "denominator"]].tolist() == [2, 5]
    # teachers use "year" but the output column keeps the requested name grad_year
    # 折合在校生 310.5 over t1, t2 full-time + 0.5 x t5 (企业兼职) in A
    assert cell.loc[("student_teacher_ratio", "A"), "estimate"] == pytest.approx(310.5 / 2.5)
    assert cell.loc[("student_teacher_ratio", "B"), "estimate"] == 204 / 2  # t3, t4 (t6 校内兼课 not counted)
    assert (res.loc[res.indicator == "student_teacher_ratio", "grad_year"] == 2024).all()
    # internships of major A only
    assert cell.loc[("intern_hire_rate", "A"), "numerator"] == 2


def test_wilson_default_and_other_methods_match_statsmodels(hand):
    for method, sm in [("wilson", "wilson"), ("beta", "beta"), ("clopper-pearson", "beta"),
                       ("agresti_coull", "agresti_coull"), ("jeffreys", "jeffreys")]:
        r = compute(hand, "placement_rate", by=(), ci_method=method, ci_level=0.9).iloc[0]
        lo, hi = proportion_confint(7, 10, alpha=0.1, method=sm)
        assert (r["ci_low"], r["ci_high"]) == pytest.approx((lo, hi))
        assert r["ci_level"] == 0.9


def test_mean_t_interval_and_median_order_statistics(hand):
    from scipy import stats

    r = compute(hand, ["salary_mean", "salary_median"], by=()).set_index("indicator")
    x = np.array([5000, 4000, 6000, 3000, 7000.0])
    lo, hi = stats.t.interval(0.95, 4, loc=x.mean(), scale=stats.sem(x))
    assert (r.loc["salary_mean", "ci_low"], r.loc["salary_mean", "ci_high"]) == pytest.approx((lo, hi))
    assert r.loc["salary_mean", "ci_method"] == "t"
    # n = 5 is too small for a distribution-free 95 % interval
    assert np.isnan(r.loc["salary_median", "ci_low"])


def test_median_interval_uses_the_right_order_statistics():
    rng = np.random.default_rng(3)
    sal = np.round(rng.lognormal(8.5, 0.3, size=400))
    g = pd.DataFrame({"student_id": [str(i) for i in range(400)], "grad_year": [2024] * 400,
                      "major": np.repeat(["A", "B"], 200), "destination_code": ["10"] * 400, "monthly_salary": sal})
    res = compute(cm.Dataset(graduates=g), "salary_median", by="major").set_index("major")
    for major, vals in (("A", sal[:200]), ("B", sal[200:])):
        v = np.sort(vals)
        # n = 200, z = 1.96: l = floor((200 - 27.72)/2) = 86, u = ceil(1 + (200 + 27.72)/2) = 115
        assert res.loc[major, "estimate"] == np.median(vals)
        assert res.loc[major, ["ci_low", "ci_high"]].tolist() == [v[85], v[114]]


OVERALL = {"school": "母校总体满意度", "internship": "实习总体满意度", "employment": "就业总体满意度"}


@pytest.mark.parametrize("kind", ["school", "internship", "employment"])
def test_weighted_survey_matches_raking_by_hand(kind, sample_ds):
    """Weighted satisfaction = Σw·x/Σw over respondents of the overall item, weights from weighting.rake on
    the roster per year (compute rakes all questionnaires in one call; here each is raked on its own).
    Counts are people; response rate = respondents who returned the questionnaire / graduates."""
    from coopmetrics.weighting import rake

    ds = sample_ds
    res = compute(ds, ["school_satisfaction", "internship_satisfaction", "employment_satisfaction"],
                  by=("grad_year",), options=Options(survey_se="weighted"))
    res = res[res["indicator"] == f"{kind}_satisfaction"].set_index("grad_year")
    g = ds["graduates"][["student_id", "grad_year", "major", "program", "gender"]]
    s = ds["survey"]
    s = s[s["survey_kind"] == kind]
    returned = s.groupby("year")["respondent_id"].nunique()
    s = s[s["item"] == OVERALL[kind]]
    s = s.assign(valid=s["score"].notna() & ~s["response"].isin(["无法评估", "不适用", "无法回答", "不清楚"]))
    s = s.assign(top=s["valid"] & s["score"].isin([4, 5]).fillna(False).astype(bool))
    per = s[s["valid"]].merge(g, on="student_id", how="left")
    per["x"] = per["top"].astype(float)
    roster = g.rename(columns={"grad_year": "year"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = rake(per[["year", "major", "program", "gender"]], roster, ["major", "program", "gender"], by=("year",))
    per["w"] = np.asarray(w)
    for year, d in per.groupby("year"):
        n, sw = len(d), d["w"].sum()
        est = (d["w"] * d["x"]).sum() / sw
        kish_n = sw ** 2 / (d["w"] ** 2).sum()
        v = ((d["w"] * (d["x"] - est)) ** 2).sum() / sw ** 2  # ratio linearisation, weights fixed
        row = res.loc[year]
        # raking stops at a relative margin error of 1e-6; raking all questionnaires jointly runs more
        # sweeps for some cells, so weights agree to that tolerance, not to machine precision
        assert row["estimate"] == pytest.approx(est, rel=1e-6)
        assert row["numerator"] == d["x"].sum() and row["denominator"] == n == row["n"]  # people
        assert row["estimate_unweighted"] == pytest.approx(d["x"].mean(), rel=1e-12)
        assert row["weighting_effect"] == pytest.approx(n / kish_n, rel=1e-6)  # Kish 1 + CV²
        assert row["se"] == pytest.approx(np.sqrt(n / (n - 1) * v), rel=1e-5)
        assert row["deff"] == pytest.approx(v / (est * (1 - est) / n), rel=1e-5)  # variance ratio vs SRS
        assert row["n_eff"] == pytest.approx(n / row["deff"], rel=1e-9)
        assert row["response_rate"] == pytest.approx(returned[year] / (g["grad_year"] == year).sum())
        assert row["ci_low"] <= row["estimate"] <= row["ci_high"]


@pytest.mark.filterwarnings("ignore::UserWarning")  # raking ten graduates does not converge; not the point here
def test_unweighted_when_asked_and_employer_never_raked(hand):
    r = compute(hand, ["school_satisfaction", "employer_satisfaction"], by=()).set_index("indicator")
    assert np.isnan(r.loc["employer_satisfaction", "response_rate"])
    assert r.loc["employer_satisfaction", "deff"] == 1.0
    # school: 5 respondents returned the questionnaire (s4 answered 无法评估) of 10 graduates
    assert r.loc["school_satisfaction", "response_rate"] == pytest.approx(0.5)


# --- naive pandas re-implementation on the sample data --------------------------------------------------

_CONTRACT = {"10", "11", "27", "271", "46", "50", "501", "502", "503", "504", "51", "511", "512", "519"}
_FLEX = {"12", "76", "77"}
_FURTHER = {"80", "801", "802", "803", "81", "82", "85"}
_EMPLOYED = _CONTRACT | _FLEX | {"75"}
_KNOWN = _EMPLOYED | _FURTHER | {"70", "71", "72"}
KEYS = ["year", "major"]


def _grp(df: pd.DataFrame, **cols) -> pd.DataFrame:
    return df.assign(**cols).groupby(KEYS, dropna=False)[list(cols)].sum()


def _prop(df, den, num):
    out = _grp(df, x=(den & num).astype(int), d=den.astype(int))
    return pd.DataFrame({"numerator": out["x"], "denominator": out["d"], "estimate": out["x"] / out["d"]})


def _b(s):
    return s.fillna(False).astype(bool)


def naive_all(ds: cm.Dataset) -> dict[str, pd.DataFrame]:
    g = ds["graduates"].rename(columns={"grad_year": "year"})
    code = g["destination_code"]
    emp = code.isin(_EMPLOYED)
    allg = pd.Series(True, index=g.index)
    out = {}
    out["graduates_total"] = _grp(g, numerator=allg.astype(int)).assign(denominator=nan)
    out["placement_rate"] = _prop(g, allg, code.isin(_EMPLOYED | _FURTHER))
    out["contract_employment_rate"] = _prop(g, allg, code.isin(_CONTRACT))
    out["flexible_employment_rate"] = _prop(g, allg, code.isin(_FLEX))
    out["self_employment_rate"] = _prop(g, allg, code == "75")
    out["further_study_rate"] = _prop(g, allg, code.isin(_FURTHER))
    out["unit_employment_rate"] = _prop(g, allg, code.isin(_CONTRACT | {"12"}))
    out["freelance_rate"] = _prop(g, allg, code.isin({"76", "77"}))
    out["not_placed_rate"] = _prop(g, allg, code.isin({"70", "71", "72"}))
    out["unknown_destination_share"] = _prop(g, allg, ~code.isin(_KNOWN))
    out["unknown_destination_count"] = _grp(g, numerator=(~code.isin(_KNOWN)).astype(int)).assign(denominator=nan)
    for ind, col in [("job_relevance_rate", "job_relevant"), ("turnover_rate", "left_within_6m"),
                     ("partner_employment_rate", "employer_is_partner"), ("local_employment_share", "local_job"),
                     ("west_northeast_share", "west_northeast_job"), ("sme_share", "sme_job"),
                     ("top500_share", "top500_job")]:
        out[ind] = _prop(g, emp & g[col].notna(), _b(g[col]))
    mc = g["major_code"].astype("string").str.strip() if "major_code" in g else pd.Series(pd.NA, index=g.index)
    stem = ((mc.str.len() == 6) & mc.str[:2].isin([str(k) for k in range(41, 53)])).fillna(False).astype(bool)
    out["stem_job_relevance_rate"] = _prop(g, emp & g["job_relevant"].notna() & stem, _b(g["job_relevant"]))
    sal = g[emp & g["monthly_salary"].notna()]
    agg = sal.groupby(KEYS)["monthly_salary"].agg(["sum", "count", "mean", "median"])
    out["salary_mean"] = pd.DataFrame({"numerator": agg["sum"], "denominator": agg["count"], "estimate": agg["mean"]})
    out["salary_median"] = pd.DataFrame({"numerator": nan, "denominator": agg["count"], "estimate": agg["median"]})
    prog = g["program"]
    out["partner_retention_rate"] = _prop(
        g, prog.isin(["order_class", "named_class", "apprenticeship"]) & g["partner"].notna(),
        _b(g["employer"] == g["partner"]))
    out["order_class_share"] = _prop(g, prog.notna(), prog == "order_class")
    out["apprenticeship_share"] = _prop(g, prog.notna(), prog == "apprenticeship")
    out["partnership_program_share"] = _prop(g, prog.notna(), prog.isin(["order_class", "named_class",
                                                                         "apprenticeship"]))
    # survey: answers linked to the roster's major by student_id
    s = ds["survey"].merge(g[["student_id", "major"]].drop_duplicates("student_id"), on="student_id", how="left")
    overall = {**OVERALL, "employer": "对毕业生总体满意度"}
    for kind in ("internship", "employment", "school", "employer"):
        k = s[s["survey_kind"] == kind]
        valid = k["score"].notna() & ~k["response"].isin(["无法评估", "不适用", "无法回答", "不清楚"])
        top = valid & _b(k["score"].isin([4, 5]))
        a = k.assign(x=top.astype(int), y=valid.astype(int))
        a = a[a["y"] > 0]
        # the overall item: one answer per respondent, so counts are people
        o1 = a[a["item"] == overall[kind]]
        agg = o1.groupby(KEYS, dropna=False).agg(numerator=("x", "sum"), denominator=("y", "sum"),
                                                 n=("respondent_id", "nunique"))
        out[f"{kind}_satisfaction"] = agg.assign(estimate=agg["numerator"] / agg["denominator"])
        # the pool: each respondent's share of top-box answers; numerator = sum of shares, denominator people
        per = a.groupby([*KEYS, "respondent_id"], dropna=False).agg(x=("x", "sum"), y=("y", "sum")).reset_index()
        per["share"] = per["x"] / per["y"]
        agg = per.groupby(KEYS, dropna=False).agg(numerator=("share", "sum"), denominator=("respondent_id", "size"))
        out[f"{kind}_satisfaction_items"] = agg.assign(estimate=agg["numerator"] / agg["denominator"],
                                                       n=agg["denominator"])
    # teachers
    t = ds["teachers"]
    ft = t["category"] == "full_time"
    prof = _b(t["is_professional"])
    out["dual_teacher_ratio_fulltime"] = _prop(t, ft, _b(t["dual_flag"]))
    out["dual_teacher_ratio_professional"] = _prop(t, ft & prof, _b(t["dual_flag"]))
    out["fulltime_teachers"] = _grp(t, numerator=ft.astype(int)).assign(denominator=nan)
    out["senior_title_share"] = _prop(t, ft & t["title_level"].notna(), t["title_level"] == "senior")
    out["practice_compliance_rate"] = _prop(t, ft & prof & t["enterprise_practice_days_5y"].notna(),
                                            _b(t["enterprise_practice_days_5y"] >= 180))
    h = t["professional_hours"].fillna(0)
    hs = _grp(t, x=h.where(t["category"] == "enterprise_part_time", 0), y=h)
    out["enterprise_teaching_share"] = pd.DataFrame({"numerator": hs["x"], "denominator": hs["y"],
                                                     "estimate": hs["x"] / hs["y"]})
    stud = ds["enrollment"].groupby(KEYS)["students"].sum()
    nft = t[ft].groupby(KEYS, dropna=False).size()
    r = pd.concat({"numerator": stud, "denominator": nft}, axis=1)
    out["student_teacher_ratio_simple"] = r.assign(estimate=r["numerator"] / r["denominator"])
    # 教发〔2004〕2号: 折合在校生数 / (专任教师 + 0.5 × 聘请校外教师 (企业兼职, 校外兼课))
    fte = ds["enrollment"].groupby(KEYS)["fte_students"].sum()
    teach = _grp(t, d=ft.astype(float) + 0.5 * t["category"].isin(["enterprise_part_time", "external_part_time"]))
    r = pd.concat({"numerator": fte, "denominator": teach["d"]}, axis=1)
    out["student_teacher_ratio"] = r.assign(estimate=r["numerator"] / r["denominator"])
    # internships
    i = ds["internships"]
    if "major" not in i:  # internships carry the roster's major through student_id
        i = i.merge(g[["student_id", "major"]].drop_duplicates("student_id"), on="student_id", how="left")
    for ind, col in [("intern_hire_rate", "hired"), ("internship_relevance_rate", "relevant"),
                     ("internship_insurance_rate", "insured")]:
        out[ind] = _prop(i, i[col].notna(), _b(i[col]))
    pay_ok = _b(i["monthly_pay"] >= 0.8 * i["post_wage"]) | _b(i["monthly_pay"] >= i["lowest_grade_wage"])
    out["internship_pay_compliance_rate"] = _prop(i, i["monthly_pay"].notna(), pay_ok)
    out["internship_duration_rate"] = _prop(i, i["months"].notna(), _b(i["months"] >= 6))
    for ind, col in [("internship_months_mean", "months"), ("internship_pay_mean", "monthly_pay")]:
        a = i[i[col].notna()].groupby(KEYS)[col].agg(["sum", "count", "mean"])
        out[ind] = pd.DataFrame({"numerator": a["sum"], "denominator": a["count"], "estimate": a["mean"]})
    # enterprises
    e = ds["enterprises"]
    out["partner_count"] = e.groupby(KEYS)["enterprise"].nunique().to_frame("numerator").assign(denominator=nan)
    act_cols = ["interns_received", "graduates_hired", "order_students", "part_time_teachers", "part_time_hours",
                "equipment_value", "funds", "donated_equipment", "co_courses", "co_textbooks", "co_bases",
                "tech_service_income", "training_person_days"]
    active = (e[[c for c in act_cols if c in e]].fillna(0) > 0).any(axis=1)
    out["active_partner_count"] = (e[active].groupby(KEYS)["enterprise"].nunique().to_frame("numerator")
                                   .assign(denominator=nan))
    sums = e.groupby(KEYS)[["equipment_value", "funds", "order_students", "internship_positions", "interns_received",
                            "graduates_hired", "part_time_teachers", "part_time_hours", "tech_service_income",
                            "training_income", "training_person_days"]].sum()
    for ind, col in [("interns_received", "interns_received"), ("internship_positions", "internship_positions"),
                     ("graduates_hired", "graduates_hired"), ("part_time_teachers", "part_time_teachers"),
                     ("part_time_hours", "part_time_hours"), ("order_students", "order_students"),
                     ("tech_service_income", "tech_service_income"), ("training_income", "training_income"),
                     ("training_person_days", "training_person_days"), ("equipment_value", "equipment_value"),
                     ("enterprise_funds", "funds")]:
        out[ind] = sums[[col]].rename(columns={col: "numerator"}).assign(denominator=nan)
    for ind, col in [("equipment_per_student", "equipment_value"), ("funds_per_student", "funds"),
                     ("order_students_per_student", "order_students")]:
        r = pd.concat({"numerator": sums[col], "denominator": stud}, axis=1)
        out[ind] = r.assign(estimate=r["numerator"] / r["denominator"])
    r = pd.concat({"numerator": sums["internship_positions"], "denominator": g.groupby(KEYS).size()}, axis=1)
    out["partner_posts_per_graduate"] = r.assign(estimate=r["numerator"] / r["denominator"])
    # 求人倍率: posts (recruitment table) / graduates not in further study (80x, 81, 82, 85) or the army (46)
    rec = ds["recruitment"]
    if "major" not in rec:
        rec = rec.assign(major=np.nan)
    seeking = ~code.isin(_FURTHER | {"46"})
    r = pd.concat({"numerator": rec.groupby(KEYS, dropna=False)["posts"].sum(),
                   "denominator": _grp(g, d=seeking.astype(int))["d"]}, axis=1)
    out["job_demand_ratio"] = r.assign(estimate=r["numerator"] / r["denominator"])
    out["enterprise_hires_per_intern"] = pd.DataFrame({
        "numerator": sums["graduates_hired"], "denominator": sums["interns_received"],
        "estimate": sums["graduates_hired"] / sums["interns_received"]})
    for ind, df in out.items():
        if "estimate" not in df:
            out[ind] = df.assign(estimate=df["numerator"])
    return out


@pytest.fixture(scope="module")
def sample_ds() -> cm.Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cm.sample.generate()


@pytest.fixture(scope="module")
def naive(sample_ds) -> dict[str, pd.DataFrame]:
    return naive_all(sample_ds)


@pytest.fixture(scope="module")
def sample_result(sample_ds) -> pd.DataFrame:
    return compute(sample_ds, by=("year", "major"), options=UNWEIGHTED)


@pytest.mark.parametrize("ind", [i for i in REGISTRY if i not in _MECHANISMS], ids=lambda i: i.id)
def test_every_indicator_against_naive_pandas_on_sample(ind, naive, sample_result):  # issue 14's: test_mechanisms
    assert ind.id in naive, f"add a naive re-implementation of {ind.id}"
    ref = naive[ind.id].reset_index()
    got = sample_result[sample_result["indicator"] == ind.id]
    assert (got["status"] == "reported").any()
    m = got.merge(ref, on=KEYS, how="outer", suffixes=("", "_ref"), indicator=True)
    assert (m["_merge"] == "both").all(), m[m["_merge"] != "both"][KEYS]
    for col in ("numerator", "denominator", "estimate"):
        np.testing.assert_allclose(m[col].astype(float), m[f"{col}_ref"].astype(float), rtol=1e-9, equal_nan=True,
                                   err_msg=f"{ind.id}: {col}")
    if ind.survey_kind is not None:
        np.testing.assert_array_equal(m["n"].astype(float), m["n_ref"].astype(float))


# --- invariants ------------------------------------------------------------------------------------------

CODES = ["10", "11", "12", "271", "46", "502", "70", "71", "72", "75", "76", "80", "803", "85", "99", None]


@st.composite
def graduates_frames(draw):
    n = draw(st.integers(1, 60))
    codes = draw(st.lists(st.sampled_from(CODES), min_size=n, max_size=n))
    majors = draw(st.lists(st.sampled_from(["A", "B", "C"]), min_size=n, max_size=n))
    years = draw(st.lists(st.sampled_from([2023, 2024]), min_size=n, max_size=n))
    rel = draw(st.lists(st.sampled_from([True, False, None]), min_size=n, max_size=n))
    sal = draw(st.lists(st.one_of(st.none(), st.floats(1000, 20000)), min_size=n, max_size=n))
    return pd.DataFrame({"student_id": [str(i) for i in range(n)], "grad_year": years, "major": majors,
                         "destination_code": codes, "job_relevant": pd.array(rel, dtype=B),
                         "monthly_salary": pd.array(sal, dtype="Float64").astype(float)})


PROPS = ["placement_rate", "contract_employment_rate", "unknown_destination_share", "job_relevance_rate",
         "not_placed_rate"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(g=graduates_frames(), method=st.sampled_from(["wilson", "beta", "jeffreys", "agresti_coull"]),
       level=st.sampled_from([0.8, 0.95, 0.99]))
def test_invariants(g, method, level):
    ds = cm.Dataset(graduates=g)
    res = compute(ds, [*PROPS, "graduates_total", "salary_mean"], by=("grad_year", "major"), ci_method=method,
                  ci_level=level)
    p = res[res["indicator"].isin(PROPS) & (res["status"] == "reported")]
    assert (p["numerator"] <= p["denominator"]).all()
    assert ((0 <= p["ci_low"]) & (p["ci_low"] <= p["estimate"]) & (p["estimate"] <= p["ci_high"])
            & (p["ci_high"] <= 1)).all()
    total = compute(ds, [*PROPS, "graduates_total"], by=())
    for ind in [*PROPS, "graduates_total"]:
        grouped = res[res["indicator"] == ind]
        whole = total[total["indicator"] == ind].iloc[0]
        assert grouped["numerator"].sum() == whole["numerator"]
        if ind != "graduates_total":
            assert grouped["denominator"].sum() == whole["denominator"]
    # the placement components add up to the placement rate (moe_2021: same denominator)
    parts = compute(ds, ["contract_employment_rate", "flexible_employment_rate", "self_employment_rate",
                         "further_study_rate"], by=())["numerator"].sum()
    assert parts == total.set_index("indicator").loc["placement_rate", "numerator"]
    m = res[(res["indicator"] == "salary_mean") & (res["n"] > 1)]
    assert (m["ci_low"] <= m["estimate"]).all() and (m["estimate"] <= m["ci_high"]).all()


# --- engines --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["polars", "duckdb", "pyarrow"])
def test_same_numbers_from_other_engines(engine, sample_ds, sample_result):
    if engine == "polars":
        import polars as pl

        conv = lambda df: pl.from_pandas(df).lazy()  # noqa: E731
    elif engine == "duckdb":
        import duckdb

        conv = duckdb.from_df
    else:
        import pyarrow as pa

        conv = lambda df: pa.Table.from_pandas(df, preserve_index=False)  # noqa: E731
    other = cm.Dataset(**{t: conv(sample_ds[t]) for t in sample_ds.tables})
    res = compute(other, by=("year", "major"), options=UNWEIGHTED)
    m = sample_result.merge(res, on=["indicator", *KEYS], how="outer", suffixes=("", "_o"), indicator=True)
    assert (m["_merge"] == "both").all()
    for col in ("numerator", "denominator", "n", "estimate", "se", "ci_low", "ci_high"):
        np.testing.assert_allclose(m[col].astype(float), m[f"{col}_o"].astype(float), rtol=1e-9, equal_nan=True,
                                   err_msg=col)
    assert (m["status"] == m["status_o"]).all()


def test_dask_gives_the_same_numbers_median_without_interval(sample_ds):
    import dask.dataframe as dd

    ids = ["placement_rate", "salary_mean", "salary_median"]
    ref = compute(sample_ds["graduates"], ids, by=("grad_year", "major"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # narwhals announces that Dask support moves to narwhals-dask
        got = compute(dd.from_pandas(sample_ds["graduates"], npartitions=3), ids, by=("grad_year", "major"))
    m = ref.merge(got, on=["indicator", "grad_year", "major"], suffixes=("", "_d"))
    assert len(m) == len(ref) == len(got)
    for col in ("numerator", "denominator", "estimate"):
        np.testing.assert_allclose(m[col].astype(float), m[f"{col}_d"].astype(float), rtol=1e-9, equal_nan=True)
    med = m[m["indicator"] == "salary_median"]
    assert med["ci_low_d"].isna().all() and (med["ci_method_d"] == "none").all()


# --- missing input, bad arguments, options --------------------------------------------------------------------


def test_missing_table_and_column_give_missing_input_rows(hand):
    g = hand["graduates"].drop(columns=["job_relevant"])
    res = compute(cm.Dataset(graduates=g), ["placement_rate", "job_relevance_rate", "intern_hire_rate"],
                  by=("grad_year",)).set_index("indicator")
    assert res.loc["placement_rate", "status"] == "reported"
    assert res.loc["job_relevance_rate", "status"] == "missing_input"
    assert res.loc["intern_hire_rate", "status"] == "missing_input"
    assert np.isnan(res.loc["intern_hire_rate", "estimate"])
    assert "job_relevant" in _note(res, "job_relevance_rate")
    assert "列" in _note(res, "job_relevance_rate")  # bilingual: Chinese / English
    assert "intern" in _note(res, "intern_hire_rate") or "internships" in _note(res, "intern_hire_rate")
    assert _note(res, "placement_rate") == ""  # nothing to say: empty, never NaN


def test_notes_are_a_column_not_attrs(hand):
    """Side data never lives in DataFrame.attrs (pandas drops it on concat/merge); the note column survives."""
    g = hand["graduates"].drop(columns=["job_relevant"])
    res = compute(cm.Dataset(graduates=g), ["placement_rate", "job_relevance_rate"], by=("grad_year",))
    assert res.attrs == {}
    assert list(res.columns)[-1] == "note"
    both = pd.concat([res, res], ignore_index=True)
    assert (both.loc[both["indicator"] == "job_relevance_rate", "note"] != "").all()
    assert (both.loc[both["indicator"] == "placement_rate", "note"] == "").all()


def test_group_column_the_table_lacks(hand):
    # teachers have no "program" (not in their schema); graduates do
    res = compute(hand, ["dual_teacher_ratio_fulltime", "placement_rate"], by=("program",))
    st_ = res.groupby("indicator")["status"].first()
    assert st_["dual_teacher_ratio_fulltime"] == "not_applicable"
    assert st_["placement_rate"] == "reported"
    # internships get program from the roster through student_id
    r = compute(hand, "intern_hire_rate", by=("program",)).set_index("program")
    assert r.loc["order_class", "numerator"] == 1 and r.loc["apprenticeship", "numerator"] == 1


@pytest.mark.parametrize("kwargs,fragment", [
    (dict(ci_method="wilsn"), "wilson"),
    (dict(ci_level=1.5), "ci_level"),
    (dict(by=("majr",)), "major"),
    (dict(by=("major", "major")), "duplicate"),
    (dict(options="moe_2021"), "Options"),
])
def test_invalid_arguments_raise(hand, kwargs, fragment):
    with pytest.raises(InvalidOptionError, match=fragment):
        compute(hand, "placement_rate", **kwargs)


def test_unknown_indicator_raises(hand):
    with pytest.raises(UnknownIndicatorError):
        compute(hand, ["placement_rat"])


def test_options_change_the_definitions(hand):
    o = Options(dual_definition="2004_evaluation", pay_rule="2016", practice_days=90)
    r = compute(hand, ["dual_teacher_ratio_fulltime", "dual_teacher_ratio_professional",
                       "internship_pay_compliance_rate", "practice_compliance_rate"], by=(), options=o)
    r = r.set_index("indicator")
    # 2004: intermediate+ title and one condition: t1 (qualification), t2 (2 projects), t4 (800 days)
    assert r.loc["dual_teacher_ratio_fulltime", ["numerator", "denominator"]].tolist() == [3, 4]
    assert r.loc["dual_teacher_ratio_professional", ["numerator", "denominator"]].tolist() == [3, 3]
    # 2016: >= 80 % of the probation wage: 3000 < 3200 no, 2000 >= 1920 yes, 1500 < 1600 no
    assert r.loc["internship_pay_compliance_rate", "numerator"] == 1
    # 90 days: 200, 100 and 800 all comply
    assert r.loc["practice_compliance_rate", "numerator"] == 3
    assert "dual_definition=2004_evaluation" in r.loc["dual_teacher_ratio_fulltime", "edition"]
    r = compute(hand, "dual_teacher_ratio_fulltime", by=(), options=Options(dual_definition="2022_standard"))
    assert r["numerator"].item() == 2  # levels recorded for t1 and t3
    # a stricter top box: only score 5
    r = compute(hand, "school_satisfaction", by=(), options=Options(survey_weights=None,
                                                                    satisfied_levels={"school": (5,)}))
    assert r[["numerator", "denominator"]].values.tolist() == [[1, 4]]
    # dropping 一般 from the denominator by its text
    r = compute(hand, "school_satisfaction", by=(), options=Options(survey_weights=None,
                                                                    exclude_levels={"school": ("无法评估", "一般")}))
    assert r[["numerator", "denominator"]].values.tolist() == [[2, 3]]
    # choosing one item
    r = compute(hand, "internship_satisfaction", by=(), options=Options(survey_weights=None,
                                                                        survey_items={"internship": ("总体",)}))
    assert r[["numerator", "denominator"]].values.tolist() == [[2, 2]]


def test_profiles_for_the_placement_rate():
    g = pd.DataFrame({"student_id": list("abcdef"), "grad_year": [2024] * 6, "major": ["A"] * 6,
                      "destination_code": ["10", "76", "75", "801", "70", "77"]})
    ds = cm.Dataset(graduates=g)
    for profile in ("moe_2021", "moe_2024", "legacy"):
        r = compute(ds, ["placement_rate", "flexible_employment_rate", "unit_employment_rate"], by=(),
                    options=Options(profile=profile)).set_index("indicator")
        assert r.loc["placement_rate", "numerator"] == 5  # all but 70
        assert f"profile={profile}" in r.loc["placement_rate", "edition"]
        # components keep their own edition's grouping whatever the profile
        assert r.loc["flexible_employment_rate", "numerator"] == 2  # 76, 77
        assert r.loc["unit_employment_rate", "numerator"] == 1  # 10


# --- unit values, explain, partner profile -------------------------------------------------------------------


def test_unit_values_reproduce_compute(sample_ds):
    res = compute(sample_ds, ["placement_rate", "salary_mean"], by=("grad_year", "program"))
    for ind in ("placement_rate", "salary_mean"):
        uv = unit_values(sample_ds, ind, ["grad_year", "program"])
        assert list(uv.columns) == ["grad_year", "program", "value", "weight"]
        agg = uv.groupby(["grad_year", "program"])["value"].agg(["mean", "size"])
        r = res[res["indicator"] == ind].set_index(["grad_year", "program"])
        np.testing.assert_allclose(agg["mean"], r.loc[agg.index, "estimate"], rtol=1e-12)
        np.testing.assert_allclose(agg["size"], r.loc[agg.index, "n"])


def test_unit_values_survey_weights_reproduce_weighted_estimate(sample_ds):
    uv = unit_values(sample_ds, "school_satisfaction", ["grad_year", "major"])
    assert {"value", "score", "weight"} <= set(uv.columns)
    assert set(uv["value"].unique()) <= {0.0, 1.0}
    res = compute(sample_ds, "school_satisfaction", by=("grad_year",)).set_index("grad_year")
    for year, d in uv.groupby("grad_year"):
        est = (d["weight"] * d["value"]).sum() / d["weight"].sum()
        assert est == pytest.approx(res.loc[year, "estimate"], rel=1e-9)


def test_unit_values_refuses_table_totals(hand):
    for ind in ("student_teacher_ratio", "partner_count", "tech_service_income"):
        with pytest.raises(InvalidOptionError, match="no unit values"):
            unit_values(hand, ind)


def test_explain_accounts_for_the_cell(hand):
    e = explain(hand, "job_relevance_rate", grad_year=2024, major="A")
    r = compute(hand, "job_relevance_rate", by=("grad_year", "major")).set_index("major").loc["A"]
    assert len(e) == 5  # every record of the cell is listed
    assert e["in_numerator"].sum() == r["numerator"] and e["in_denominator"].sum() == r["denominator"]
    assert not e["id"].isin([str(i) for i in range(1, 11)]).any()  # ids are hashed
    assert e["id"].nunique() == 5
    why = e.set_index("destination_code")["reason"]
    assert "job relevant recorded" in why["76"]  # student 5: relevance missing
    assert "denominator only" in why["11"]  # student 2: not relevant
    assert why["10"].startswith("计入分子和分母")
    e = explain(hand, "placement_rate", year=2024, major="B")
    assert e["in_numerator"].sum() == 2 and e["in_denominator"].sum() == 5
    assert "not in denominator" not in " ".join(e["reason"])


def test_explain_rejects_cross_table_ratio(hand):
    with pytest.raises(InvalidOptionError):
        explain(hand, "student_teacher_ratio", year=2024)


def test_partner_profile(hand):
    p = partner_profile(hand).set_index("enterprise")
    assert p.loc["甲", "interns_received"] == 15 and p.loc["甲", "majors"] == 2
    assert p.loc["甲", "hires_per_intern"] == pytest.approx(5 / 15)
    assert np.isnan(p.loc["乙", "hires_per_intern"])


def test_callable_module_keeps_cm_compute_working(hand):
    import coopmetrics.compute as mod

    assert mod(hand, "placement_rate", by=())["numerator"].item() == 7


def test_explain_survey_cell_lists_only_that_questionnaire(hand):
    e = explain(hand, "internship_satisfaction", options=UNWEIGHTED, year=2024)
    assert (e["survey_kind"] == "internship").all() and len(e) == 3
    # the overall item 总体 of i1 and i2; i1's 指导 answer is not part of the scorecard figure
    assert e["in_numerator"].sum() == 2 and e["in_denominator"].sum() == 2
    assert "overall" in e.loc[e["item"] == "指导", "reason"].item()
    e = explain(hand, "school_satisfaction", year=2024)
    excluded = e[~e["in_denominator"]]
    assert excluded["response"].tolist() == ["无法评估"] and "exclude_levels" in excluded["reason"].item()


def test_survey_by_item_and_progress_bar(hand, capsys):
    # per-item shares: the item pool grouped by item (one answer per respondent per item: people)
    r = compute(hand, "internship_satisfaction_items", by=("year", "item"), options=UNWEIGHTED, progress=True)
    cell = r.set_index("item")
    assert cell.loc["总体", ["numerator", "denominator"]].tolist() == [2, 2]
    assert cell.loc["指导", ["numerator", "denominator"]].tolist() == [0, 1]
    assert r["response_rate"].isna().all()  # no roster counterpart for an item
    assert "coopmetrics.compute" in capsys.readouterr().err


def test_survey_without_roster_is_reported_unweighted_and_says_so(hand):
    ds = cm.Dataset(survey=hand["survey"])
    r = compute(ds, "school_satisfaction", by=()).iloc[0]
    assert r["status"] == "reported" and r["estimate"] == 0.5  # unweighted 2 of 4
    assert np.isnan(r["response_rate"]) and r["deff"] == 1.0
    assert "not weighted" in r["edition"]
    assert "not weighted" in _note(compute(ds, "school_satisfaction", by=()), "school_satisfaction")


def test_grouped_totals_add_up_for_every_additive_indicator(sample_ds, sample_result):
    """Numerators and denominators of every additive indicator summed over year x major equal the
    ungrouped totals (distinct counts are not additive: an enterprise serving two majors counts in both)."""
    whole = compute(sample_ds, by=(), options=UNWEIGHTED).set_index("indicator")
    for ind in REGISTRY:
        if ind.numerator.agg in ("count_distinct", "median"):
            continue
        got = sample_result[sample_result["indicator"] == ind.id]
        for col in ("numerator", "denominator"):
            if np.isnan(whole.loc[ind.id, col]):
                continue
            assert got[col].sum() == pytest.approx(whole.loc[ind.id, col], rel=1e-12), (ind.id, col)


# --- the destination-code key (one derived column instead of per-filter string slicing) --------------

_ODD_CODES = ["509", "279", "804", "99", "5", "2710", "", "10 "]  # unlisted children and junk


def _as_engine(frame: pd.DataFrame, engine: str):
    """``frame`` as a narwhals LazyFrame on ``engine``."""
    import narwhals as nw

    if engine == "pandas":
        return nw.from_native(frame).lazy()
    if engine == "polars":
        import polars as pl

        return nw.from_native(pl.from_pandas(frame).lazy())
    if engine == "pyarrow":
        import pyarrow as pa

        return nw.from_native(pa.Table.from_pandas(frame, preserve_index=False)).lazy()
    import duckdb

    con = duckdb.connect()
    return nw.from_native(con.from_arrow(pa_table(frame)))


def pa_table(frame: pd.DataFrame):
    import pyarrow as pa

    return pa.Table.from_pandas(frame, preserve_index=False)


@pytest.mark.parametrize("engine", ["pandas", "polars", "duckdb", "pyarrow"])
@settings(max_examples=30, deadline=None)
@given(rows=st.lists(st.one_of(st.none(), st.sampled_from(sorted(DESTINATION_CODES) + _ODD_CODES)),
                     min_size=1, max_size=40),
       wanted=st.lists(st.sampled_from(sorted(DESTINATION_CODES)),
                       max_size=8))
def test_code_key_filter_matches_the_code_rule(engine, rows, wanted):
    import importlib

    import narwhals as nw

    mod = importlib.import_module("coopmetrics.definitions.ops")  # the one home of the code ops

    # the rule of codes.py written out: a listed code matches itself; a 2-digit family also
    # matches every 3-digit code starting with it (listed or not); missing never matches
    def matches(code):
        if code is None:
            return False
        return code in wanted or (len(code) == 3 and code[:2] in wanted and code[:2] in _FAMILIES)

    def unknown(code):
        return code is None or not (code in DESTINATION_CODES or (len(code) == 3 and code[:2] in _FAMILIES))

    df = _as_engine(pd.DataFrame({"row": np.arange(len(rows)), "destination_code": pd.array(rows, dtype="str")}),
                    engine)
    keyed = df.with_columns(mod.code_key_expr())

    def values(lf, expr):  # collected in row order (engines need not keep it)
        out = lf.select(nw.col("row"), expr.alias("m")).collect().to_pandas().sort_values("row")
        return [bool(v) for v in out["m"]]

    got = values(keyed, mod.codes_key_filter(wanted).fill_null(False))
    got_unknown = values(keyed, (~mod.codes_key_filter(DESTINATION_CODES)).fill_null(True))
    direct = values(df, mod.codes_expr(wanted).fill_null(False))
    assert got == [matches(c) for c in rows] == direct
    assert got_unknown == [unknown(c) for c in rows]
    # explicitly listed unlisted codes cannot be keyed (the key folds "509" into "50")
    assert mod.codes_key_filter(["509"]) is None


def test_text_columns_are_categoricals_with_the_plain_values(hand):
    res = compute(hand, ["placement_rate", "salary_mean", "graduates_total"], by="major")
    text = ["indicator", "name_zh", "name_en", "ci_method", "unit", "edition", "status"]
    for c in text:
        assert isinstance(res[c].dtype, pd.CategoricalDtype), c
        assert list(res[c].cat.categories) == sorted(res[c].cat.categories)  # sorts like plain strings
    # every row carries its indicator's own registry texts
    for ind_id, grp in res.groupby("indicator", observed=True):
        ind = cm.get_indicator(ind_id)
        assert set(grp["name_zh"].astype(str)) == {ind.name_zh} and set(grp["unit"].astype(str)) == {ind.unit}
    assert res["indicator"].astype(str).tolist() == ["placement_rate"] * 2 + ["salary_mean"] * 2 + [
        "graduates_total"] * 2
    # a status can be set to any status value (disclosure suppresses cells after compute)
    assert set(res["status"].cat.categories) == {"reported", "suppressed", "not_applicable", "missing_input"}
    res.loc[0, "status"] = "suppressed"
    assert res.loc[0, "status"] == "suppressed"
    assert (res.sort_values("indicator")["indicator"].astype(str).tolist()
            == sorted(res["indicator"].astype(str).tolist()))


# --- supplied survey weights: both stages inside the engine -------------------------------------------


def _weighted_survey(seed: int = 3, n_resp: int = 80):
    """Respondents with 1-3 items each, a weight per respondent, two years, and a roster."""
    rng = np.random.default_rng(seed)
    rows = []
    for r in range(n_resp):
        year = 2023 + r % 2
        w = float(rng.uniform(0.4, 3.0))
        for item in range(int(rng.integers(1, 4))):
            rows.append({"respondent_id": f"r{r}", "student_id": f"s{r}", "year": year, "survey_kind": "school",
                         "item": f"q{item}", "score": int(rng.integers(1, 6)), "weight": w})
    survey = pd.DataFrame(rows)
    grads = pd.DataFrame({"student_id": [f"s{i}" for i in range(200)], "grad_year": [2023 + i % 2 for i in range(200)],
                          "major": "A", "destination_code": "10"})
    return survey, grads


def _samplics_ratio(x, y, w):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # samplics is archived and says so on import
        from samplics.estimation import TaylorEstimator
        from samplics.utils.types import PopParam

        ref = TaylorEstimator(PopParam.ratio)
        ref.estimate(y=x, x=y, samp_weight=w)
    return ref.point_est, ref.stderror


@pytest.mark.parametrize("engine", ["pandas", "polars", "duckdb", "dask"])
def test_supplied_survey_weights_match_samplics_per_year(engine):
    survey, grads = _weighted_survey()
    if engine == "dask":
        dd = pytest.importorskip("dask.dataframe")
        ds = cm.Dataset(survey=dd.from_pandas(survey, npartitions=3), graduates=dd.from_pandas(grads, npartitions=2))
    elif engine == "polars":
        import polars as pl

        ds = cm.Dataset(survey=pl.from_pandas(survey).lazy(), graduates=pl.from_pandas(grads))
    elif engine == "duckdb":
        import duckdb

        con = duckdb.connect()
        ds = cm.Dataset(survey=con.from_arrow(pa_table(survey)), graduates=con.from_arrow(pa_table(grads)))
    else:
        ds = cm.Dataset(survey=survey, graduates=grads)
    # items q0-q2 and no overall question: the item pool (each respondent's share of top-box answers)
    r = compute(ds, "school_satisfaction_items", by="year", options=Options(survey_weights="column"))
    r = r.set_index("year")
    # the reference, by hand per respondent (one unit each): top box = scores 5 and 4 (default)
    per = survey.assign(x=survey["score"].isin([5, 4]).astype(float), y=1.0).groupby(
        ["year", "respondent_id"]).agg(x=("x", "sum"), y=("y", "sum"), w=("weight", "first")).reset_index()
    for year, g in per.groupby("year"):
        x, w = (g["x"] / g["y"]).to_numpy(), g["w"].to_numpy()
        est_, se_ = _samplics_ratio(x, np.ones(len(g)), w)
        assert r.loc[year, "estimate"] == pytest.approx(est_, rel=1e-12)
        assert r.loc[year, "se"] == pytest.approx(se_, rel=1e-9)
        assert r.loc[year, "weighting_effect"] == pytest.approx(len(g) * (w * w).sum() / w.sum() ** 2)  # Kish
        # design effect of the estimate: its variance over the SRS variance S²/n of the respondents' values
        v = ((w * (x - est_)) ** 2).sum() / w.sum() ** 2
        s2 = (w * x * x).sum() / w.sum() - est_ ** 2
        assert r.loc[year, "deff"] == pytest.approx(v / (s2 / len(g)), rel=1e-9)
        assert r.loc[year, "n_eff"] == pytest.approx(len(g) / r.loc[year, "deff"], rel=1e-12)
        assert r.loc[year, "n"] == len(g) == r.loc[year, "denominator"]  # people
        assert r.loc[year, "numerator"] == pytest.approx(x.sum())
        assert r.loc[year, "estimate_unweighted"] == pytest.approx(x.mean())
        assert r.loc[year, "response_rate"] == pytest.approx(len(g) / 100)  # 100 graduates a year
        assert r.loc[year, "ci_low"] < est_ < r.loc[year, "ci_high"]
    assert (r["ci_method"] == "wilson_design").all()
    assert "survey_weights=column" in r["edition"].iloc[0]


def test_supplied_weights_missing_or_inconsistent_are_reported():
    survey, grads = _weighted_survey(n_resp=20)
    first = survey["respondent_id"] == "r0"
    survey.loc[first, "weight"] = np.nan  # r0: no weight -> left out
    survey.loc[survey.index[survey["respondent_id"] == "r1"][0], "weight"] = 99.0  # r1's rows disagree
    r = compute(cm.Dataset(survey=survey, graduates=grads), "school_satisfaction_items", by=(),
                options=Options(survey_weights="column"))
    assert r["n"].item() == 19
    msg = _note(r, "school_satisfaction_items")
    assert "1 respondent(s) without a weight" in msg and "differing weights" in msg
    # without the weight column the indicator says what is missing
    r = compute(cm.Dataset(survey=survey.drop(columns="weight"), graduates=grads), "school_satisfaction_items",
                by=(), options=Options(survey_weights="column"))
    assert r["status"].item() == "missing_input"
    assert "weight" in _note(r, "school_satisfaction_items")
    # the scorecard figure needs the overall question, and says which items it saw
    r = compute(cm.Dataset(survey=survey, graduates=grads), "school_satisfaction", by=())
    assert r["status"].item() == "missing_input"
    msg = _note(r, "school_satisfaction")
    assert "未找到总体满意度题目" in msg and "no overall-satisfaction item" in msg and "q0" in msg


def test_unweighted_survey_in_engine_equals_plain_counts(sample_ds):
    """Options(survey_weights=None): the engine path gives the plain top-box share and Kish n = n."""
    r = compute(sample_ds, "employment_satisfaction", by="year", options=Options(survey_weights=None))
    s = sample_ds["survey"]
    s = s[(s["survey_kind"] == "employment") & (s["item"] == "就业总体满意度")]
    excluded = ("无法评估", "不适用", "无法回答", "不清楚")  # Options' default for every survey kind
    valid = s["score"].notna() & ~s["response"].isin(excluded)
    for year, g in s[valid].groupby("year"):
        row = r[r["year"] == year].iloc[0]
        top = g["score"].isin([5, 4]).sum()
        assert row["numerator"] == top and row["denominator"] == len(g)
        assert row["estimate"] == pytest.approx(top / len(g))
        assert row["n"] == g["respondent_id"].nunique() == pytest.approx(row["n_eff"])
        assert row["deff"] == pytest.approx(1.0) and row["weighting_effect"] == 1.0


# --- issue 10: survey figures are people, the scorecard figure is the overall item, years pool by graduates ---


def _two_year_survey(sat=(0.5, 0.8), resp=(200, 600), grads=1000):
    """Two cohorts of ``grads`` graduates (half women); ``resp`` respondents with shares ``sat`` satisfied.

    Respondents are half women in each year, as the roster, so raking within a year gives every
    respondent of the year the same weight grads / resp.
    """
    g_rows, s_rows = [], []
    for k, year in enumerate((2023, 2024)):
        for i in range(grads):
            g_rows.append({"student_id": f"{year}-{i}", "grad_year": year, "major": "A", "gender":
                           "female" if i % 2 else "male", "destination_code": "10"})
        n_sat = int(round(sat[k] * resp[k]))
        for i in range(resp[k]):
            # satisfied respondents alternate between men and women, so both sexes have the same share
            top = (i // 2) < n_sat // 2 if i % 2 else (i // 2) < n_sat - n_sat // 2
            for item, score in (("母校总体满意度", 5 if top else 2), ("教学满意度", 4), ("就业指导服务", 1)):
                s_rows.append({"respondent_id": f"R{i}", "student_id": f"{year}-{i}", "year": year,
                               "survey_kind": "school", "item": item, "response": "x", "score": score})
    return cm.Dataset(graduates=pd.DataFrame(g_rows), survey=pd.DataFrame(s_rows))


def test_pooled_raked_share_weights_years_by_graduates():
    """Issue 10 item 7: 1,000 graduates a year, 50 % of 200 and 80 % of 600 respondents satisfied.

    By hand: raked weights sum to each year's 1,000 graduates, so the pooled share is
    (1000·0.5 + 1000·0.8) / 2000 = 0.65; weighting years by respondents would give
    (100 + 480) / 800 = 0.725.
    """
    ds = _two_year_survey()
    opts = Options(raking_variables=("gender",))
    pooled = compute(ds, "school_satisfaction", by=(), options=opts).iloc[0]
    assert pooled["estimate"] == pytest.approx(0.65, abs=1e-9)
    assert pooled["estimate_unweighted"] == pytest.approx(0.725)
    assert (pooled["numerator"], pooled["denominator"], pooled["n"]) == (580, 800, 800)  # people
    by_year = compute(ds, "school_satisfaction", by="grad_year", options=opts).set_index("grad_year")
    assert by_year["estimate"].tolist() == pytest.approx([0.5, 0.8])
    assert by_year["response_rate"].tolist() == pytest.approx([0.2, 0.6])  # respondents / graduates
    uv = unit_values(ds, "school_satisfaction", ["year"], options=opts)
    assert uv.groupby("year")["weight"].sum().tolist() == pytest.approx([1000, 1000])


def test_survey_numerator_and_denominator_are_respondents_not_item_answers():
    """825 respondents answering 3 items each never show as 2,475 answers."""
    rng = np.random.default_rng(10)
    n = 825
    scores = rng.integers(1, 6, size=(n, 3))
    rows = [{"respondent_id": f"R{i}", "year": 2024, "survey_kind": "school", "item": item, "score": int(scores[i, j]),
             "response": "x"} for i in range(n) for j, item in enumerate(("母校总体满意度", "教学", "服务"))]
    ds = cm.Dataset(survey=pd.DataFrame(rows))
    r = compute(ds, ["school_satisfaction", "school_satisfaction_items"], by=(), options=UNWEIGHTED)
    r = r.set_index("indicator")
    top = scores >= 4
    assert r.loc["school_satisfaction", ["numerator", "denominator", "n"]].tolist() == [top[:, 0].sum(), n, n]
    # the pool: the mean over respondents of each one's share of top-box answers
    share = top.mean(axis=1)
    assert r.loc["school_satisfaction_items", "denominator"] == n
    assert r.loc["school_satisfaction_items", "numerator"] == pytest.approx(share.sum())
    assert r.loc["school_satisfaction_items", "estimate"] == pytest.approx(share.mean())


@pytest.mark.parametrize("header,found", [
    ("母校总体满意度", True), ("5. 您对母校的总体满意度？", True), ("对母校的总体满意度", True),
    ("Q3 母校 总体满意度", True), ("总体而言，您对学校满意吗？", True), ("教学满意度", False),
])
def test_overall_item_found_by_header(header, found):
    s = pd.DataFrame({"respondent_id": ["a", "a", "b", "b"], "year": 2024, "survey_kind": "school",
                      "item": [header, "教学质量", header, "教学质量"], "score": [5, 1, 2, 5],
                      "response": "x"})
    r = compute(cm.Dataset(survey=s), "school_satisfaction", by=(), options=UNWEIGHTED).iloc[0]
    if found:
        # a's overall answer 5 (satisfied), b's 2; the other item is not used
        assert (r["status"], r["numerator"], r["denominator"]) == ("reported", 1, 2)
        assert f"overall_item={header}" in r["edition"]
    else:
        assert r["status"] == "missing_input"
        # a school's own wording can be named
        named = compute(cm.Dataset(survey=s), "school_satisfaction", by=(),
                        options=Options(survey_weights=None, overall_items={"school": (header,)})).iloc[0]
        assert (named["numerator"], named["denominator"]) == (1, 2)


def test_ambiguous_overall_item_is_not_guessed():
    s = pd.DataFrame({"respondent_id": ["a", "a"], "year": 2024, "survey_kind": "school",
                      "item": ["您对母校总体满意度（教学）", "您对母校总体满意度（服务）"], "score": [5, 1],
                      "response": "x"})
    r = compute(cm.Dataset(survey=s), "school_satisfaction", by=(), options=UNWEIGHTED)
    assert r["status"].item() == "missing_input"
    msg = _note(r, "school_satisfaction")
    assert "多个题目" in msg and "several items" in msg


def _raking_population(rng, n_pop=3000, n_years=1):
    """Graduates whose satisfaction depends strongly on programme and gender; response depends on them too."""
    rows = []
    for year in range(2024, 2024 + n_years):
        prog = rng.choice(["regular", "order_class", "apprenticeship"], n_pop, p=[0.6, 0.25, 0.15])
        gender = rng.choice(["male", "female"], n_pop)
        p_sat = 0.45 + 0.35 * (prog == "order_class") + 0.2 * (prog == "apprenticeship") + 0.1 * (gender == "female")
        sat = rng.random(n_pop) < p_sat
        p_resp = 0.15 + 0.25 * (prog != "regular") + 0.1 * (gender == "female")
        rows.append(pd.DataFrame({"student_id": [f"{year}-{i}" for i in range(n_pop)], "grad_year": year,
                                  "major": "A", "program": prog, "gender": gender, "destination_code": "10",
                                  "_sat": sat, "_resp": rng.random(n_pop) < p_resp}))
    g = pd.concat(rows, ignore_index=True)
    r = g[g["_resp"]]
    s = pd.DataFrame({"respondent_id": r["student_id"], "student_id": r["student_id"], "year": r["grad_year"],
                      "survey_kind": "school", "item": "母校总体满意度", "response": "x",
                      "score": np.where(r["_sat"], 5, 2)})
    return cm.Dataset(graduates=g.drop(columns=["_sat", "_resp"]), survey=s), g


def test_calibrated_se_is_the_residual_linearisation_on_the_raking_margins():
    """Options(survey_se="calibrated") (default): the se R survey gives for a raked mean,
    ``svymean(~x, calibrate(svydesign(ids=~1, data=resp), ~program + gender, pop, calfun="raking"))``.

    By hand, following survey:::svyrecvar for a calibrated design: z_i = (x_i − R)/Σw; e = residuals of
    the least-squares regression of z on the one-hot margins with the base (pre-raking) weights, here 1;
    u = w·e; se² = n/(n−1)·(Σu² − (Σu)²/n). statsmodels OLS computes the residuals.
    """
    import statsmodels.api as sm

    ds, _ = _raking_population(np.random.default_rng(5))
    opts = Options(raking_variables=("program", "gender"))
    r = compute(ds, "school_satisfaction", by=(), options=opts).iloc[0]
    fixed = compute(ds, "school_satisfaction", by=(), options=opts.with_(survey_se="weighted")).iloc[0]
    uv = unit_values(ds, "school_satisfaction", ["program", "gender"], options=opts)
    w, x = uv["weight"].to_numpy(), uv["value"].to_numpy()
    est_ = (w * x).sum() / w.sum()
    z = (x - est_) / w.sum()
    # the margins' span: programme levels (they sum to the intercept) and one gender indicator
    X = np.column_stack([pd.get_dummies(uv["program"]).to_numpy(float), (uv["gender"] == "female").to_numpy(float)])
    u = w * sm.OLS(z, X).fit().resid
    n = len(x)
    v = n / (n - 1) * ((u * u).sum() - u.sum() ** 2 / n)
    assert r["estimate"] == pytest.approx(est_, rel=1e-9)
    # raking stops at a relative margin error of 1e-6, so the two agree to about that, not to machine precision
    assert r["se"] == pytest.approx(np.sqrt(v), rel=1e-5)
    assert r["ci_method"] == "wilson_design_calibrated"
    # calibration on margins that predict satisfaction removes their variance: smaller than weights-fixed
    assert r["se"] < fixed["se"]
    assert fixed["se"] == pytest.approx(np.sqrt(n / (n - 1) * ((w * (x - est_)) ** 2).sum()) / w.sum(), rel=1e-6)
    assert r["deff"] == pytest.approx(r["se"] ** 2 / (est_ * (1 - est_) / n), rel=1e-6)


def test_calibrated_se_agrees_with_a_jackknife_that_rerakes():
    """Independent check: the delete-one jackknife, raking again without each respondent (weighting.rake),
    estimates the variance of the raked share; linearisation and jackknife agree asymptotically (here
    within 10 %), while the weights-fixed SE does not account for calibration."""
    from coopmetrics.weighting import rake

    ds, g = _raking_population(np.random.default_rng(8), n_pop=1500)
    opts = Options(raking_variables=("program", "gender"))
    r = compute(ds, "school_satisfaction", by=(), options=opts).iloc[0]
    s = ds["survey"].merge(g[["student_id", "program", "gender"]], on="student_id")
    x = (s["score"] >= 4).to_numpy(float)
    roster = g[["program", "gender"]]
    n = len(s)
    reps = np.empty(n)
    keep = np.ones(n, dtype=bool)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(n):
            keep[i] = False
            w = np.asarray(rake(s.loc[keep, ["program", "gender"]], roster, ["program", "gender"]))
            reps[i] = (w * x[keep]).sum() / w.sum()
            keep[i] = True
    v_jk = (n - 1) / n * ((reps - reps.mean()) ** 2).sum()
    assert r["se"] == pytest.approx(np.sqrt(v_jk), rel=0.10)


@pytest.mark.slow
def test_calibrated_interval_covers_the_population_share():
    """Simulation: 200 surveys of a known population; the raked 95 % interval covers the truth about 95 %.

    Monte Carlo error of a coverage near 0.95 with 200 replications is sqrt(.95·.05/200) ≈ 0.015, so
    0.90-0.99 is a generous 3-sigma band.
    """
    rng = np.random.default_rng(11)
    ds, g = _raking_population(rng, n_pop=2000)
    opts = Options(raking_variables=("program", "gender"))
    truth_sat = None
    covered, reps = 0, 200
    base = g.drop(columns=["_resp"])
    for _ in range(reps):
        # a new response draw each replication; the population (and its satisfaction) stays fixed
        p_resp = 0.15 + 0.25 * (base["program"] != "regular") + 0.1 * (base["gender"] == "female")
        r = base[rng.random(len(base)) < p_resp]
        s = pd.DataFrame({"respondent_id": r["student_id"], "student_id": r["student_id"], "year": r["grad_year"],
                          "survey_kind": "school", "item": "母校总体满意度", "response": "x",
                          "score": np.where(r["_sat"], 5, 2)})
        res = compute(cm.Dataset(graduates=base.drop(columns=["_sat"]), survey=s), "school_satisfaction", by=(),
                      options=opts).iloc[0]
        truth_sat = base["_sat"].mean()
        covered += res["ci_low"] <= truth_sat <= res["ci_high"]
    assert 0.90 <= covered / reps <= 0.99, covered / reps


def test_relevance_scope_restricts_to_stem_agri_med_majors():
    """理工农医类专业相关度: 专业代码 prefixes 41-52 (2021 目录) only; 53+ (财经商贸...) left out."""
    g = pd.DataFrame({"student_id": list("abcdef"), "grad_year": 2024, "major": list("abcdef"),
                      "major_code": ["460103", "520201", "530302", "540106", "410101", None],
                      "destination_code": "10",
                      "job_relevant": pd.array([True, False, True, True, True, True], dtype=B)})
    ds = cm.Dataset(graduates=g)
    allm = compute(ds, "job_relevance_rate", by=()).iloc[0]
    stem = compute(ds, "job_relevance_rate", by=(), options=Options(relevance_scope="stem_agri_med")).iloc[0]
    assert (allm["numerator"], allm["denominator"]) == (5, 6)
    # 460103 (装备制造) yes, 520201 (医药卫生) no, 410101 (农林牧渔) yes; 530302, 540106 and no code are out
    assert (stem["numerator"], stem["denominator"]) == (2, 3)
    assert "relevance_scope=stem_agri_med" in stem["edition"]
    with pytest.raises(InvalidOptionError):
        Options(relevance_scope="science")


def test_job_demand_ratio_needs_the_recruitment_table(hand):
    ds = cm.Dataset(**{t: hand[t] for t in hand.tables if t != "recruitment"})
    r = compute(ds, ["job_demand_ratio", "partner_posts_per_graduate"], by=()).set_index("indicator")
    assert r.loc["job_demand_ratio", "status"] == "missing_input"
    assert "recruitment" in _note(r, "job_demand_ratio")
    assert r.loc["partner_posts_per_graduate", "status"] == "reported"  # the renamed supply ratio is unaffected


def test_survey_items_selects_pool_items_and_leaves_the_overall_item_alone():
    s = pd.DataFrame({"respondent_id": ["a"] * 3 + ["b"] * 3, "year": 2024, "survey_kind": "school",
                      "item": ["母校总体满意度", "教学", "服务"] * 2, "score": [5, 1, 4, 2, 5, 5], "response": "x"})
    opts = Options(survey_weights=None, survey_items={"school": ("教学",)})
    r = compute(cm.Dataset(survey=s), ["school_satisfaction", "school_satisfaction_items"], by=(), options=opts)
    r = r.set_index("indicator")
    assert r.loc["school_satisfaction", ["numerator", "denominator"]].tolist() == [1, 2]  # a 5, b 2
    assert r.loc["school_satisfaction_items", ["numerator", "denominator"]].tolist() == [1, 2]  # 教学: a 1, b 5


@pytest.mark.parametrize("engine", ["pandas", "polars", "duckdb"])
def test_group_by_major_category_from_the_major_code(engine):
    """by="major_category": 专业大类 = first two digits of the 6-digit 专业代码 (2021 目录)."""
    g = pd.DataFrame({"student_id": list("abcde"), "grad_year": 2024, "major": list("abcde"),
                      "major_code": ["460103", "460301", "530302", "5303", None],
                      "destination_code": ["10", "70", "10", "10", "10"]})
    if engine == "polars":
        import polars as pl

        g = pl.from_pandas(g)
    elif engine == "duckdb":
        import duckdb

        g = duckdb.connect().from_arrow(pa_table(g))
    r = compute(cm.Dataset(graduates=g), "placement_rate", by="major_category")
    cell = r.set_index("major_category")
    assert cell.loc["46 装备制造大类", ["numerator", "denominator"]].tolist() == [1, 2]
    assert cell.loc["53 财经商贸大类", ["numerator", "denominator"]].tolist() == [1, 1]
    assert r["major_category"].isna().sum() == 1  # "5303" and the missing code: no category
    assert r.loc[r["major_category"].isna(), "denominator"].item() == 2
    uv = unit_values(cm.Dataset(graduates=g), "placement_rate", ["major_category"])
    assert uv["major_category"].tolist()[:3] == ["46 装备制造大类", "46 装备制造大类", "53 财经商贸大类"]


def test_unit_values_carry_supplied_survey_weights():
    """Options(survey_weights="column"): unit_values gives compute's weights, so compare() uses them too."""
    survey, grads = _weighted_survey(n_resp=40)
    ds = cm.Dataset(survey=survey, graduates=grads)
    opts = Options(survey_weights="column")
    uv = unit_values(ds, "school_satisfaction_items", ["year", "respondent_id"], options=opts)
    w = survey.groupby("respondent_id")["weight"].max()
    np.testing.assert_allclose(uv["weight"].to_numpy(), uv["respondent_id"].map(w).to_numpy())


@st.composite
def _surveyed_cohorts(draw):
    """2-3 cohorts: roster sizes, respondents per gender (at least one each) and satisfied respondents."""
    years = draw(st.integers(2, 3))
    rows_g, rows_s = [], []
    for y in range(years):
        year = 2022 + y
        n_m, n_f = draw(st.integers(5, 40)), draw(st.integers(5, 40))
        r_m, r_f = draw(st.integers(1, n_m)), draw(st.integers(1, n_f))
        for sex, n, r in (("male", n_m, r_m), ("female", n_f, r_f)):
            sat = draw(st.lists(st.booleans(), min_size=r, max_size=r))
            for i in range(n):
                sid = f"{year}-{sex}-{i}"
                rows_g.append({"student_id": sid, "grad_year": year, "major": "A", "gender": sex,
                               "destination_code": "10"})
                if i < r:
                    rows_s.append({"respondent_id": sid, "student_id": sid, "year": year, "survey_kind": "school",
                                   "item": "母校总体满意度", "response": "x", "score": 5 if sat[i] else 2})
    return cm.Dataset(graduates=pd.DataFrame(rows_g), survey=pd.DataFrame(rows_s))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_surveyed_cohorts())
def test_pooled_raked_share_is_the_graduate_weighted_mean_of_the_years(ds):
    """Invariant (issue 10 item 7): pooled over years, a raked share is Σ_year N_year · share_year / Σ N_year."""
    opts = Options(raking_variables=("gender",))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pooled = compute(ds, "school_satisfaction", by=(), options=opts)["estimate"].item()
        per_year = compute(ds, "school_satisfaction", by="grad_year", options=opts).set_index("grad_year")
    n_year = ds["graduates"].groupby("grad_year").size()
    expected = (per_year["estimate"] * n_year).sum() / n_year.sum()
    assert pooled == pytest.approx(expected, abs=1e-9)


def test_calibrated_se_of_a_domain_uses_the_whole_design():
    """A group that is not a raking cell (here department) is a domain, as R svyby on a calibrated design:
    z is 0 outside the domain but its residual is not, and the variance runs over every respondent."""
    import statsmodels.api as sm

    rng = np.random.default_rng(21)
    ds, g = _raking_population(rng)
    grads = ds["graduates"].assign(department=rng.choice(["机电", "信息"], len(ds["graduates"])))
    ds = cm.Dataset(graduates=grads, survey=ds["survey"])
    opts = Options(raking_variables=("program", "gender"))
    r = compute(ds, "school_satisfaction", by="department", options=opts).set_index("department")
    uv = unit_values(ds, "school_satisfaction", ["program", "gender", "department"], options=opts)
    w, x = uv["weight"].to_numpy(), uv["value"].to_numpy()
    X = np.column_stack([pd.get_dummies(uv["program"]).to_numpy(float), (uv["gender"] == "female").to_numpy(float)])
    n = len(x)
    for dept in ("机电", "信息"):
        d = (uv["department"] == dept).to_numpy()
        est_ = (w * x)[d].sum() / w[d].sum()
        z = np.where(d, (x - est_) / w[d].sum(), 0.0)
        u = w * sm.OLS(z, X).fit().resid
        v = n / (n - 1) * ((u * u).sum() - u.sum() ** 2 / n)
        assert r.loc[dept, "estimate"] == pytest.approx(est_, rel=1e-9)
        assert r.loc[dept, "se"] == pytest.approx(np.sqrt(v), rel=1e-5)


def test_calibrated_se_treats_each_year_as_a_stratum():
    """Each year is raked to its own roster: an independent sample, a stratum of the design (R:
    ``svydesign(ids=~1, strata=~grad_year)`` calibrated within year). So a year's SE is the same
    whether or not other years are in the call, and a share pooled over years sums the strata:
    se² = Σ_h n_h/(n_h−1)·(Σ_h u² − (Σ_h u)²/n_h), u = w·(residual of z on the year's margins)."""
    import statsmodels.api as sm

    ds, _ = _raking_population(np.random.default_rng(8), n_pop=2000, n_years=2)
    opts = Options(raking_variables=("program", "gender"))
    both = compute(ds, "school_satisfaction", by="grad_year", options=opts).set_index("grad_year")
    for year in (2024, 2025):
        alone = cm.Dataset(graduates=ds["graduates"].query("grad_year == @year"),
                           survey=ds["survey"].query("year == @year"))
        one = compute(alone, "school_satisfaction", by="grad_year", options=opts).iloc[0]
        assert both.loc[year, "estimate"] == one["estimate"]
        assert both.loc[year, "se"] == pytest.approx(one["se"], rel=1e-12)
    # pooled over both years: the stratified formula by hand, residuals from statsmodels OLS per year
    pooled = compute(ds, "school_satisfaction", by=(), options=opts).iloc[0]
    uv = unit_values(ds, "school_satisfaction", ["program", "gender", "grad_year"], options=opts)
    w, x = uv["weight"].to_numpy(), uv["value"].to_numpy()
    est_ = (w * x).sum() / w.sum()
    z = (x - est_) / w.sum()
    v = 0.0
    for year in (2024, 2025):
        h = (uv["grad_year"] == year).to_numpy()
        X = np.column_stack([pd.get_dummies(uv.loc[h, "program"]).to_numpy(float),
                             (uv.loc[h, "gender"] == "female").to_numpy(float)])
        u = w[h] * sm.OLS(z[h], X).fit().resid
        n_h = h.sum()
        v += n_h / (n_h - 1) * ((u * u).sum() - u.sum() ** 2 / n_h)
    assert pooled["estimate"] == pytest.approx(est_, rel=1e-9)
    assert pooled["se"] == pytest.approx(np.sqrt(v), rel=1e-5)


def test_stem_job_relevance_rate_is_the_scorecard_item_by_hand():
    """理工农医类专业相关度 (计分卡): employed graduates of majors whose 专业代码 starts 41-52, whatever the option."""
    ds = cm.load(cm.sample.SAMPLE_DIR)
    g = ds["graduates"]
    code = g["destination_code"].astype(str)
    employed_codes = ["10", "11", "12", "27", "46", "50", "51", "75", "76", "77"]  # 3-digit codes are children
    employed = code.str[:2].isin(employed_codes)
    major = g["major_code"].astype("string").str.strip()
    stem = (major.str.len() == 6) & major.str[:2].isin([str(k) for k in range(41, 53)])
    base = g[employed & g["job_relevant"].notna() & stem.fillna(False)]
    want = base.groupby("grad_year")["job_relevant"].agg(["sum", "size"])
    for opts in (cm.Options(), cm.Options(relevance_scope="all")):
        got = cm.compute(ds, "stem_job_relevance_rate", by=["grad_year"], options=opts).set_index("grad_year")
        assert got["numerator"].astype(int).tolist() == want["sum"].astype(int).tolist()
        assert got["denominator"].astype(int).tolist() == want["size"].tolist()
