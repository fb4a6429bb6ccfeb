"""Partner firms (合作企业): the firm table, the yearly ledger and the job-fair posts (招聘岗位).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .college import _DEPARTMENTS, _DEPT_SUFFIXES, _GENERIC_SUFFIXES, _HOME_REGION, MAJORS
from .effects import _APP, _NAM, _ORD
from .vocab import _EMPLOYER_TYPES, _REGIONS, _choice, _firm_names


def _firm_table(rng: np.random.Generator, years: np.ndarray) -> pd.DataFrame:
    """Partner firms: cohort firms (order/named/apprenticeship), lead firms, others entering over time."""
    rows = []
    for mi, m in enumerate(MAJORS):
        if m.p_order > 0:
            n_order = 2 if m.name in {"机电一体化技术", "汽车检测与维修技术"} else 1
            rows += [(mi, "订单培养", _ORD, int(rng.integers(2012, 2019))) for _ in range(n_order)]
        if m.p_named > 0:
            rows.append((mi, "冠名班", _NAM, int(rng.integers(2014, 2019))))
        if m.p_app > 0:
            rows.append((mi, "现代学徒制", _APP, int(rng.integers(2015, 2019))))
        if m.start:
            rows.append((mi, "产业学院", -1, m.start))
    fixed = len(rows)
    # other partners: a stock before the first year and entrants so the ledger grows ~70 -> ~125
    y0 = int(years[0])
    target = np.round(np.linspace(70, 125, years.size)).astype(int)
    lead_active = np.array([sum(1 for m in MAJORS if m.start and m.start <= y) for y in years])
    others_needed = target - (fixed - sum(1 for m in MAJORS if m.start)) - lead_active
    others_needed = np.maximum.accumulate(others_needed)
    entry = np.concatenate([[y0 - 1] * int(others_needed[0])] +
                           [[int(y)] * int(d) for y, d in zip(years[1:], np.diff(others_needed), strict=True)])
    sizes = np.array([m.size for m in MAJORS], dtype=float)
    other_major = _choice(rng, sizes, entry.size)
    forms = np.array(["实习基地", "共建实训基地", "技术服务", "捐赠设备", "兼职教师"])
    other_form = forms[_choice(rng, np.array([0.40, 0.25, 0.15, 0.08, 0.12]), entry.size)]
    start = np.where(entry < y0, rng.integers(2008, y0, entry.size), entry)
    df = pd.DataFrame(rows, columns=["major_idx", "form", "cohort_program", "partnership_start"])
    df = pd.concat([df, pd.DataFrame({"major_idx": other_major, "form": other_form, "cohort_program": -1,
                                      "partnership_start": start})], ignore_index=True)
    # names: industry-specific suffix by department, distinct by construction
    dept = np.array([MAJORS[i].department for i in df["major_idx"]])
    names = np.empty(len(df), dtype=object)
    for d in _DEPARTMENTS:
        idx = np.flatnonzero(dept == d)
        names[idx] = np.array(_firm_names(idx.size + 40, _DEPT_SUFFIXES[d]))[
            rng.permutation(idx.size + 40)[: idx.size]]
    df["enterprise"] = names
    df["first_year"] = np.maximum(df["partnership_start"], y0)
    df["employer_type"] = np.array(_EMPLOYER_TYPES[:3])[_choice(rng, np.array([0.6, 0.25, 0.15]), len(df))]
    df["region"] = np.where(rng.random(len(df)) < 0.75, _HOME_REGION,
                            np.array(_REGIONS)[rng.integers(0, len(_REGIONS), len(df))])
    df["sme"] = rng.random(len(df)) < 0.45
    df["top500"] = rng.random(len(df)) < 0.12
    return df


def _group_pick(rng: np.random.Generator, keys: np.ndarray, pool_keys: np.ndarray, pool_vals: np.ndarray
                ) -> np.ndarray:
    """For each row key pick a random pool value with the same key (-1 if none). Vectorised."""
    order = np.argsort(pool_keys, kind="stable")
    sk, sv = pool_keys[order], pool_vals[order]
    lo = np.searchsorted(sk, keys, side="left")
    hi = np.searchsorted(sk, keys, side="right")
    cnt = hi - lo
    pick = lo + np.floor(rng.random(keys.size) * np.maximum(cnt, 1)).astype(int)
    return np.where(cnt > 0, sv[np.minimum(pick, sv.size - 1)], -1)


_POST_TYPES = ("技术岗", "生产操作岗", "销售岗", "管理岗", "服务岗")


def _recruitment(rng: np.random.Generator, yrs: np.ndarray, firms: pd.DataFrame) -> pd.DataFrame:
    """Posts offered at the college's job fairs (招聘会): one row per employer × post type × year.

    Assumptions (not tuned to any published figure): about 160 employers a year (growing 3 %
    a year), 60 % of them partner firms of some major; each offers 1-3 post types for one major
    of its department (generic employers: a major drawn by size), and 1 + Poisson(8) posts per
    type. The ratio to job-seeking graduates (求人倍率) is whatever this gives.
    """
    rows = []
    sizes = np.array([m.size for m in MAJORS], dtype=float)
    generic = _firm_names(600, _GENERIC_SUFFIXES)
    for k, y in enumerate(yrs):
        n_emp = int(rng.poisson(160 * 1.03 ** k))
        partner = rng.random(n_emp) < 0.6
        f_idx = rng.integers(0, len(firms), n_emp)
        g_idx = rng.integers(0, len(generic), n_emp)
        major = np.where(partner, firms["major_idx"].to_numpy()[f_idx], _choice(rng, sizes, n_emp))
        name = np.where(partner, firms["enterprise"].to_numpy(dtype=object)[f_idx],
                        np.array(generic, dtype=object)[g_idx])
        n_types = rng.integers(1, 4, n_emp)
        emp = np.repeat(np.arange(n_emp), n_types)
        ptype = np.concatenate([rng.choice(len(_POST_TYPES), t, replace=False) for t in n_types])
        rows.append(pd.DataFrame({
            "year": int(y), "employer": name[emp], "event": f"{int(y)}届毕业生双选会",
            "post_type": np.array(_POST_TYPES, dtype=object)[ptype],
            "department": np.array([m.department for m in MAJORS], dtype=object)[major[emp]],
            "major": np.array([m.name for m in MAJORS], dtype=object)[major[emp]],
            "posts": 1 + rng.poisson(8, emp.size),
        }))
    rec = pd.concat(rows, ignore_index=True)
    # an employer listed twice for the same post type and major in a year is one row with the posts summed
    rec = rec.groupby(["year", "employer", "event", "post_type", "department", "major"], as_index=False)["posts"].sum()
    for c in ("employer", "event", "post_type", "department", "major"):
        rec[c] = rec[c].astype("str")
    return rec.sort_values(["year", "employer", "post_type"], ignore_index=True)


def _ledger(rng: np.random.Generator, yrs: np.ndarray, firms: pd.DataFrame, fid: np.ndarray, act_f: np.ndarray,
            act_y: np.ndarray, host: np.ndarray, host_year: np.ndarray, emp_idx: np.ndarray, year: np.ndarray,
            cpart: np.ndarray, program: np.ndarray, teachers: pd.DataFrame, pt_firm: np.ndarray) -> pd.DataFrame:
    """Yearly enterprise ledger; counts consistent with the graduate, internship and teacher tables."""
    nf = len(firms)
    key = act_f * 10000 + act_y

    def count(f: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
        ok = (f >= 0) & (f < nf)
        s = pd.Series(w[ok] if w is not None else np.ones(ok.sum()), index=f[ok] * 10000 + y[ok])
        return s.groupby(level=0).sum().reindex(key, fill_value=0).to_numpy()

    interns = count(host, host_year).astype(int)
    hired = count(emp_idx, year).astype(int)
    order_grads = count(np.where(program == _ORD, cpart, -1), year)
    pt_count = count(pt_firm, teachers["year"].to_numpy()).astype(int)
    pt_hours = count(pt_firm, teachers["year"].to_numpy(), teachers["teaching_hours"].to_numpy())
    m = key.size
    # positions: the interns a firm took plus extra posts it offered, Poisson(25 × LN(0, 0.8)) per active
    # firm-major-year; drawn from this model only (no figure is padded to a published number)
    positions = interns + rng.poisson(25.0 * rng.lognormal(0.0, 0.8, interns.size))
    form = firms["form"].to_numpy()[act_f]
    big = np.isin(form, ["产业学院", "共建实训基地", "捐赠设备"])

    def money(p_pos: float, median: float, sigma: float = 0.9) -> np.ndarray:
        return np.where(rng.random(m) < p_pos, np.round(median * rng.lognormal(0, sigma, m), -2), 0.0)

    tech = money(0.3, 80_000)
    train_inc = money(0.25, 50_000)
    led = pd.DataFrame({
        "enterprise": pd.array(firms["enterprise"].to_numpy()[act_f], dtype="str"),
        "year": act_y,
        "department": pd.array([MAJORS[i].department for i in firms["major_idx"].to_numpy()[act_f]], dtype="str"),
        "major": pd.array([MAJORS[i].name for i in firms["major_idx"].to_numpy()[act_f]], dtype="str"),
        "partnership_start": firms["partnership_start"].to_numpy()[act_f],
        "form": pd.array(form, dtype="str"),
        "equipment_value": np.where(big, np.round(rng.lognormal(np.log(600_000), 0.8, m), -3),
                                    money(0.35, 120_000)),
        "funds": money(0.5, 60_000),
        "donated_equipment": np.where(form == "捐赠设备", np.round(rng.lognormal(np.log(300_000), 0.7, m), -3),
                                      money(0.05, 100_000)),
        "part_time_teachers": pt_count,
        "part_time_hours": pt_hours,
        "internship_positions": positions,
        "interns_received": interns,
        "order_students": np.round(order_grads * 3 * rng.uniform(0.95, 1.1, m)).astype(int),
        "graduates_hired": hired,
        "co_bases": (np.isin(form, ["共建实训基地", "产业学院"]) | (rng.random(m) < 0.45)).astype(int),
        "co_courses": rng.poisson(np.where(np.isin(form, ["订单培养", "现代学徒制", "产业学院"]), 1.5, 0.4)),
        "co_textbooks": rng.poisson(np.where(form == "产业学院", 0.8, 0.15)),
        "tech_service_income": tech,
        "training_income": train_inc,
        "training_person_days": np.round(train_inc / rng.uniform(200, 400, m)),
    })
    return led.sort_values(["year", "department", "major", "enterprise"], ignore_index=True)
