"""The whole sample college as canonical tables: :func:`generate` and :func:`population_truth`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .college import (
    _GENERIC_SUFFIXES,
    _HOME_REGION,
    _YEAR_GROWTH,
    COLLEGE,
    MAJORS,
    _graduate_core,
    _major_arrays,
)
from .effects import _PROGRAMS, _REG, TRUE_EFFECTS
from .enterprises import _firm_table, _group_pick, _ledger, _recruitment
from .mechanisms import _mechanism_tables
from .partners import _plant_partner_quality
from .surveys import _survey
from .teachers import _teachers
from .vocab import (
    _ADMISSION_P,
    _ADMISSIONS,
    _DEST_CATEGORIES,
    _EMPLOYER_TYPE_P,
    _EMPLOYER_TYPES,
    _REGIONS,
    _WEST_NE,
    _choice,
    _firm_names,
    _nullable_bool,
)

if TYPE_CHECKING:
    from ..dataset import Dataset


@dataclass
class _Build:
    tables: dict[str, pd.DataFrame]
    truth: pd.DataFrame


# The stages below share one random stream and run in a fixed order (cohorts, firms, employers,
# graduates, internships, teachers, ledger, enrollment, survey): changing the order or the draws inside a
# stage changes every later table, and tests/test_sample.py checks the files byte for byte.


def _cohorts(rng: np.random.Generator, yrs: np.ndarray, ma: dict[str, np.ndarray]) -> dict[str, Any]:
    """Graduates per major and year, their outcomes (``g``) and student IDs (year-3 + major + sequence)."""
    growth = np.array([_YEAR_GROWTH.get(int(y), 1.0) for y in yrs])
    counts = rng.poisson(np.outer(growth, ma["size"]))  # (years, majors)
    year = np.repeat(np.repeat(yrs, len(MAJORS)), counts.ravel())
    major = np.repeat(np.tile(np.arange(len(MAJORS)), yrs.size), counts.ravel())
    n = year.size
    g = _graduate_core(rng, major, year, TRUE_EFFECTS)
    seq = pd.Series(np.ones(n, dtype=int)).groupby([year, major]).cumsum().to_numpy()
    student_id = pd.Series(year - 3).astype(str) + pd.Series(major + 1).map("{:02d}".format) + \
        pd.Series(seq).map("{:04d}".format)
    return {"year": year, "major": major, "n": n, "g": g, "out": g["out"], "program": g["program"],
            "student_id": student_id.to_numpy(dtype=object)}


def _employers(rng: np.random.Generator, yrs: np.ndarray, firms: pd.DataFrame, c: dict[str, Any]
               ) -> dict[str, Any]:
    """Cohort partners, active partners of each (major, year), 420 other employers, and who works where."""
    year, major, n, out, program = c["year"], c["major"], c["n"], c["out"], c["program"]
    fid = np.arange(len(firms))
    cohort = firms[firms["cohort_program"] >= 0]
    cohort_key = cohort["major_idx"].to_numpy() * 4 + cohort["cohort_program"].to_numpy()
    cpart = _group_pick(rng, major * 4 + program, cohort_key, cohort.index.to_numpy())
    cpart = np.where(program == _REG, -1, cpart)
    # active partner firms of each (major, year): pool of (major*10000+year) keys
    fy = [(fi, y) for fi, fy0 in zip(fid, firms["first_year"], strict=True) for y in yrs if y >= fy0]
    act_f = np.array([a for a, _ in fy])
    act_y = np.array([b for _, b in fy])
    act_key = firms["major_idx"].to_numpy()[act_f] * 10000 + act_y
    any_partner = _group_pick(rng, major * 10000 + year, act_key, act_f)
    n_generic = 420
    generic = _firm_names(n_generic, _GENERIC_SUFFIXES)
    gen_w = 1.0 / np.arange(1, n_generic + 1) ** 0.7  # a few employers hire many graduates
    gen_pick = _choice(rng, gen_w, n)
    gen_type = _choice(rng, _EMPLOYER_TYPE_P, n_generic)
    gen_region = np.where(rng.random(n_generic) < 0.6, _REGIONS.index(_HOME_REGION),
                          rng.integers(0, len(_REGIONS), n_generic))
    gen_sme = rng.random(n_generic) < 0.7
    gen_top = rng.random(n_generic) < 0.04
    partner_emp = np.where(program == _REG, any_partner, cpart)
    pj = out.partner_job & (partner_emp >= 0)
    all_names = np.array(list(firms["enterprise"]) + generic, dtype=object)
    emp_idx = np.where(pj, partner_emp, len(firms) + gen_pick)
    emp_idx = np.where(out.has_employer, emp_idx, -1)
    return {
        "fid": fid, "cpart": cpart, "act_f": act_f, "act_y": act_y, "any_partner": any_partner, "gen_w": gen_w,
        "pj": pj, "all_names": all_names, "emp_idx": emp_idx,
        "type_all": np.concatenate([firms["employer_type"].to_numpy(dtype=object),
                                    np.array(_EMPLOYER_TYPES, dtype=object)[gen_type]]),
        "reg_all": np.concatenate([firms["region"].to_numpy(dtype=object),
                                   np.array(_REGIONS, dtype=object)[gen_region]]),
        "sme_all": np.concatenate([firms["sme"].to_numpy(), gen_sme]),
        "top_all": np.concatenate([firms["top500"].to_numpy(), gen_top]),
    }


def _graduates(rng: np.random.Generator, c: dict[str, Any], e: dict[str, Any]) -> pd.DataFrame:
    """The canonical graduates table (one row per graduate)."""
    from ..codes import DESTINATION_CODES

    year, major, n, out, program, g = c["year"], c["major"], c["n"], c["out"], c["program"], c["g"]
    emp_idx, all_names, cpart, pj = e["emp_idx"], e["all_names"], e["cpart"], e["pj"]
    has = emp_idx >= 0
    safe = np.maximum(emp_idx, 0)
    # self-employed / freelance graduates work locally in 80 % of cases
    own_region = np.where(rng.random(n) < 0.8, _HOME_REGION, np.array(_REGIONS, dtype=object)[
        rng.integers(0, len(_REGIONS), n)])
    region = np.where(has, e["reg_all"][safe], np.where(out.employed, own_region, None))
    emp_mask = ~out.employed
    west = np.isin(region.astype(str), list(_WEST_NE))
    codes = np.asarray(_DEST_CATEGORIES, dtype=object)[out.dest]
    dept_of = np.array([m.department for m in MAJORS], dtype=object)
    graduates = pd.DataFrame({
        "student_id": pd.array(c["student_id"], dtype="str"),
        "grad_year": year.astype("int64"),
        "college": COLLEGE,
        "department": dept_of[major],
        "major": np.array([m.name for m in MAJORS], dtype=object)[major],
        "major_code": np.array([m.code for m in MAJORS], dtype=object)[major],
        "program": np.array(_PROGRAMS, dtype=object)[program],
        "partner": np.where(cpart >= 0, all_names[np.maximum(cpart, 0)], None),
        "gender": np.where(g["female"], "female", "male"),
        "admission": np.array(_ADMISSIONS, dtype=object)[_choice(rng, _ADMISSION_P, n)],
        "entry_score": g["score"],
        "destination_code": codes,
        "destination": pd.Series(codes).map(DESTINATION_CODES).to_numpy(dtype=object),
        "employer": np.where(has, all_names[safe], None),
        "employer_type": np.where(has, e["type_all"][safe], None),
        "employer_region": region,
        "employer_is_partner": _nullable_bool(pj & has, ~has),
        "local_job": _nullable_bool(region == _HOME_REGION, emp_mask),
        "west_northeast_job": _nullable_bool(west, emp_mask),
        "sme_job": _nullable_bool(np.where(has, e["sme_all"][safe], rng.random(n) < 0.9), emp_mask),
        "top500_job": _nullable_bool(has & e["top_all"][safe], emp_mask),
        "monthly_salary": out.salary,
        "job_relevant": _nullable_bool(out.relevant, emp_mask),
        "left_within_6m": _nullable_bool(out.left, emp_mask),
    })
    for col in ("college", "department", "major", "major_code", "program", "partner", "gender", "admission",
                "destination_code", "destination", "employer", "employer_type", "employer_region"):
        graduates[col] = graduates[col].astype("str")
    return graduates


def _internships(rng: np.random.Generator, c: dict[str, Any], e: dict[str, Any], ma: dict[str, np.ndarray],
                 n_firms: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """One 岗位实习 record per graduate who did one; returns (table, has_intern, intern rows, host firm)."""
    year, major, n, program, student_id = c["year"], c["major"], c["n"], c["program"], c["student_id"]
    has_intern = rng.random(n) < 0.95
    to_partner = np.where(program != _REG, rng.random(n) < 0.9, rng.random(n) < 0.65)
    host_partner = np.where(program != _REG, e["cpart"], e["any_partner"])
    host = np.where(to_partner & (host_partner >= 0), host_partner, n_firms + _choice(rng, e["gen_w"], n))
    ii = np.flatnonzero(has_intern)
    m_i = rng.choice(np.array([4, 5, 6, 6, 6, 6, 7, 8]), size=ii.size)
    start_month = (year[ii] - 1970) * 12 + rng.integers(-3, 2, ii.size)  # Oct of y-1 .. Feb of y
    start_date = (start_month.astype("datetime64[M]")).astype("datetime64[D]") + rng.integers(0, 14, ii.size)
    end_date = ((start_month + m_i).astype("datetime64[M]")).astype("datetime64[D]") + rng.integers(0, 14, ii.size)
    post_wage = np.round(ma["a_sal"][major[ii]] + 1400 + 300 * rng.standard_normal(ii.size), -1)
    ratio = np.where(rng.random(ii.size) < 0.12, rng.uniform(0.6, 0.8, ii.size), rng.uniform(0.8, 1.0, ii.size))
    rel_p = np.array([0.78, 0.95, 0.9, 0.95])[program[ii]]
    hired_p = np.array([0.22, 0.70, 0.45, 0.65])[program[ii]]
    h = host[ii]
    internships = pd.DataFrame({
        "student_id": pd.array(student_id[ii], dtype="str"),
        "year": year[ii],
        "enterprise": pd.array(e["all_names"][h], dtype="str"),
        "months": m_i.astype(float),
        "start_date": pd.to_datetime(start_date),
        "end_date": pd.to_datetime(end_date),
        "monthly_pay": np.round(post_wage * ratio, -1),
        "post_wage": post_wage,
        "probation_wage": np.round(post_wage * 0.9, -1),
        "lowest_grade_wage": np.round(post_wage * 0.85, -1),
        "insured": _nullable_bool(rng.random(ii.size) < 0.97, np.zeros(ii.size, bool)),
        "relevant": _nullable_bool(rng.random(ii.size) < rel_p, np.zeros(ii.size, bool)),
        "hired": _nullable_bool(rng.random(ii.size) < hired_p, np.zeros(ii.size, bool)),
    })
    return internships, has_intern, ii, h


def _enrollment(rng: np.random.Generator, seed: int, yrs: np.ndarray, ma: dict[str, np.ndarray],
                firms: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Enrollment (全日制在校生数, 折合在校生数) and the job-fair posts; returns (enrollment, recruitment)."""
    ey = np.repeat(yrs, len(MAJORS))
    em = np.tile(np.arange(len(MAJORS)), yrs.size)
    dept_of = np.array([m.department for m in MAJORS], dtype=object)
    enrollment = pd.DataFrame({
        "year": ey,
        "department": pd.array(dept_of[em], dtype="str"),
        "major": pd.array([MAJORS[i].name for i in em], dtype="str"),
        "students": rng.poisson(3.05 * ma["size"][em] * np.array([_YEAR_GROWTH.get(int(y), 1.0) for y in ey])
                                * 1.02),
    })
    # 折合在校生数 (教发〔2004〕2号): full-time students plus part-time adult students (夜大 × 0.3, 函授 × 0.1),
    # drawn from a separate stream so the other tables do not change with it
    rng_x = np.random.default_rng([seed, 11])
    night = rng_x.poisson(0.15 * ma["size"][em])
    corr = rng_x.poisson(0.60 * ma["size"][em])
    enrollment["fte_students"] = enrollment["students"] + 0.3 * night + 0.1 * corr
    return enrollment, _recruitment(rng_x, yrs, firms)


def _build(seed: int, years: Sequence[int]) -> _Build:
    """Every table of the sample college and the survey truth, deterministic in ``seed``."""
    rng = np.random.default_rng(seed)
    yrs = np.asarray(list(years), dtype=int)
    ma = _major_arrays()
    c = _cohorts(rng, yrs, ma)
    firms = _firm_table(rng, yrs)
    e = _employers(rng, yrs, firms, c)
    graduates = _graduates(rng, c, e)
    internships, has_intern, ii, host = _internships(rng, c, e, ma, len(firms))
    teachers, pt_firm = _teachers(rng, yrs, firms)
    enterprises = _ledger(rng, yrs, firms, e["fid"], e["act_f"], e["act_y"], host, c["year"][ii], e["emp_idx"],
                          c["year"], e["cpart"], c["program"], teachers, pt_firm)
    enrollment, recruitment = _enrollment(rng, seed, yrs, ma, firms)
    survey, truth = _survey(rng, graduates, c["out"], c["program"], c["major"], c["g"]["female"], has_intern,
                            e["emp_idx"], e["all_names"], firms, c["student_id"])
    tables = {"graduates": graduates, "survey": survey, "teachers": teachers, "enterprises": enterprises,
              "internships": internships, "enrollment": enrollment, "recruitment": recruitment}
    tables["internships"] = _plant_partner_quality(tables, seed)  # issue 13: planted partner quality
    tables.update(_mechanism_tables(seed, yrs, tables))  # issue 14: mechanism tables and columns
    return _Build(tables, truth)


def generate(seed: int = 2024, years: Sequence[int] = range(2019, 2025)) -> Dataset:
    """The synthetic sample college as a :class:`~coopmetrics.dataset.Dataset` of canonical tables.

    江南示例职业技术学院: 12 majors in 5 departments, about 1,900–2,000 graduates
    a year, with survey (long form), teachers, enterprises ledger, internships
    and enrollment. Outcomes follow :data:`TRUE_EFFECTS`; partnership start
    years per major are in :data:`PARTNERSHIP_START`. Deterministic in ``seed``.

    Examples
    --------
    >>> ds = generate()
    >>> ds.tables
    ['graduates', 'survey', 'teachers', 'enterprises', 'internships', 'enrollment', 'recruitment', 'bases', 'agreements', 'events', 'committees', 'services']
    >>> 1800 < int((ds["graduates"]["grad_year"] == 2024).sum()) < 2100
    True
    """
    from ..dataset import Dataset

    b = _build(seed, years)
    return Dataset(sources={k: f"coopmetrics.sample.generate(seed={seed})" for k in b.tables}, **b.tables)


def population_truth(seed: int = 2024, years: Sequence[int] = range(2019, 2025)) -> pd.DataFrame:
    """Survey truth of the sample: satisfied share in the whole target population vs respondents.

    Answers are drawn for every member of each survey's population (internship:
    graduates with an internship; employment: employed graduates; school: all
    graduates; employer: employers hiring graduates that year) and then masked by
    the response model, so the population share is known. "Satisfied" = top two
    boxes among rated answers (无法评估 excluded).

    Examples
    --------
    >>> t = population_truth().query("survey_kind == 'school'")
    >>> tot = t[["satisfied", "rated", "satisfied_resp", "rated_resp"]].sum()
    >>> bool(tot["satisfied_resp"] / tot["rated_resp"] > tot["satisfied"] / tot["rated"])  # respondents overstate
    True
    """
    return _build(seed, years).truth
