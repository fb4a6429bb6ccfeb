"""Teachers (教师): persons followed over the years, with 双师素质 flags and practice days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .college import _DEPARTMENTS, MAJORS
from .enterprises import _group_pick
from .vocab import _choice, _nullable_bool


def _teachers(rng: np.random.Generator, yrs: np.ndarray, firms: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """About 400 teachers a year: full-time (专任), internal part-time, enterprise part-time, external."""
    cats = np.array(["full_time"] * 362 + ["internal_part_time"] * 25 + ["enterprise_part_time"] * 125
                    + ["external_part_time"] * 15)
    p = cats.size
    y0, y1 = int(yrs[0]), int(yrs[-1])
    first = np.where(rng.random(p) < 0.86, y0, rng.integers(y0 + 1, y1 + 1, p))
    last = np.where(rng.random(p) < 0.88, y1, rng.integers(y0, y1, p))
    last = np.maximum(last, first)
    active_p = np.select([cats == "full_time", cats == "internal_part_time", cats == "enterprise_part_time"],
                         [1.0, 0.8, 0.62], 0.67)
    basic = (cats == "full_time") & (rng.random(p) < 0.2)
    depts = np.array(list(_DEPARTMENTS) + ["公共基础部"], dtype=object)
    dep = np.where(basic, len(_DEPARTMENTS), _choice(rng, np.array([5, 3, 4, 4, 1.5]), p))
    is_prof = (dep < len(_DEPARTMENTS)) & ~((cats == "internal_part_time") & (rng.random(p) < 0.5))
    # major: random major of the department
    maj_of_dept = {d: [i for i, m in enumerate(MAJORS) if m.department == d] for d in _DEPARTMENTS}
    major = np.full(p, -1)
    for di, d in enumerate(_DEPARTMENTS):
        idx = np.flatnonzero((dep == di) & is_prof)
        major[idx] = np.array(maj_of_dept[d])[rng.integers(0, len(maj_of_dept[d]), idx.size)]
    ent = cats == "enterprise_part_time"
    title_ft = np.array(["教授", "副教授", "讲师", "助教", "无"])
    lvl_ft = np.array(["senior", "senior", "intermediate", "junior", "none"])
    title_en = np.array(["高级工程师", "工程师", "助理工程师", "高级技师", "无"])
    lvl_en = np.array(["senior", "intermediate", "junior", "senior", "none"])
    t_ft = _choice(rng, np.array([0.05, 0.25, 0.45, 0.20, 0.05]), p)
    t_en = _choice(rng, np.array([0.30, 0.35, 0.10, 0.15, 0.10]), p)
    title = np.where(ent | (cats == "external_part_time"), title_en[t_en], title_ft[t_ft])
    level = np.where(ent | (cats == "external_part_time"), lvl_en[t_en], lvl_ft[t_ft])
    qual = rng.random(p) < np.where(ent, 0.85, np.where(is_prof, 0.35, 0.05))
    ind_years = np.where(ent, rng.uniform(3, 25, p), np.where(is_prof, rng.gamma(0.8, 3.0, p), rng.gamma(0.3, 1.0, p)))
    base5 = np.where(is_prof, rng.gamma(5.0, 48.0, p), rng.gamma(1.0, 20.0, p))
    # enterprise part-time teachers: assign to partner firms of their department
    firm_dept = np.array([MAJORS[i].department for i in firms["major_idx"]])
    dept_key = np.array([_DEPARTMENTS.index(d) for d in firm_dept])
    pt_firm_person = _group_pick(rng, np.minimum(dep, len(_DEPARTMENTS) - 1), dept_key, np.arange(len(firms)))
    pt_firm_person = np.where(ent, pt_firm_person, -1)
    ids = np.array([f"T{i + 1:04d}" if c != "enterprise_part_time" else f"P{i + 1:04d}"
                    for i, c in enumerate(cats)])
    # person x year, active persons only
    P, Y = np.meshgrid(np.arange(p), yrs, indexing="ij")
    P, Y = P.ravel(), Y.ravel()
    act = (Y >= first[P]) & (Y <= last[P]) & (rng.random(P.size) < active_p[P])
    # a partner firm must be active that year for its part-time teacher
    ffirst = firms["first_year"].to_numpy()
    pf = pt_firm_person[P]
    act &= (pf < 0) | (ffirst[np.maximum(pf, 0)] <= Y)
    P, Y = P[act], Y[act]
    m = P.size
    ft = cats[P] == "full_time"
    prof = is_prof[P]
    ip = ind_years[P] + (Y - y0)
    ip = np.where(ind_years[P] > 0.5, ip, ind_years[P])  # people with industry jobs keep them only if enterprise staff
    ind_y = np.round(np.where(cats[P] == "enterprise_part_time", ip, ind_years[P]), 1)
    pr5 = np.where(ft | (cats[P] == "internal_part_time"),
                   np.round(np.clip(base5[P] + rng.normal(0, 25, m), 0, 1500)), np.nan)
    pday = np.where(ft | (cats[P] == "internal_part_time"),
                    np.round(np.clip(np.where(prof, rng.gamma(1.5, 25.0, m), rng.gamma(0.5, 8.0, m)), 0, 200)),
                    np.nan)
    projects = rng.poisson(np.where(prof, 0.9, 0.15))
    cond = qual[P] | (ind_y >= 2) | (np.nan_to_num(pr5) >= 180)
    in_school = ft | (cats[P] == "internal_part_time")
    dual = np.where(cond, rng.random(m) < 0.7, rng.random(m) < 0.03) & in_school
    lvl = level[P]
    dual_lv = np.where(lvl == "senior", "senior", np.where(lvl == "intermediate", "intermediate", "junior"))
    dual_lv = np.where((dual_lv == "senior") & (ind_y < 3) & (np.nan_to_num(pr5) < 360), "intermediate", dual_lv)
    certified = dual & (rng.random(m) < 0.7)
    hours = np.where(ft, rng.normal(380, 80, m), np.where(cats[P] == "internal_part_time", rng.normal(120, 40, m),
                                                          rng.normal(160, 50, m)))
    hours = np.round(np.clip(hours, 32, 700))
    phours = np.where(cats[P] == "enterprise_part_time", hours,
                      np.where(prof, np.round(hours * rng.uniform(0.75, 1.0, m)), 0.0))
    teachers = pd.DataFrame({
        "teacher_id": pd.array(ids[P], dtype="str"),
        "year": Y,
        "department": pd.array(depts[dep[P]], dtype="str"),
        "major": pd.array(np.where(major[P] >= 0, np.array([mm.name for mm in MAJORS] + [""], dtype=object)[
            major[P]], None), dtype="str"),
        "category": pd.array(cats[P], dtype="str"),
        "is_professional": _nullable_bool(prof, np.zeros(m, bool)),
        "title": pd.array(title[P], dtype="str"),
        "title_level": pd.array(lvl, dtype="str"),
        "industry_qualification": _nullable_bool(qual[P], np.zeros(m, bool)),
        "industry_years": ind_y,
        "enterprise_practice_days_5y": pr5,
        "practice_days_year": pday,
        "applied_projects_5y": projects,
        "dual_flag": _nullable_bool(dual, ~in_school),
        "dual_level": pd.array(np.where(certified, dual_lv, None), dtype="str"),
        "teaching_hours": hours,
        "professional_hours": phours,
    }).sort_values(["year", "teacher_id"], ignore_index=True)
    pt_firm = pd.Series(pt_firm_person[P], index=pd.MultiIndex.from_arrays([ids[P], Y]))
    pt_firm = pt_firm.reindex(pd.MultiIndex.from_arrays([teachers["teacher_id"].to_numpy(),
                                                         teachers["year"].to_numpy()])).to_numpy()
    return teachers, pt_firm
