"""Cooperation mechanisms (校企合作机制; issue 14): bases, agreements, events, committees, services.

Calibrated to the seeds (DOMAIN.md): in the last year 66 co-built bases (11 on-campus productive, 55
off-campus; seed 002) co-built with 39 distinct firms (seed 002: 148 firms "其中可作为校外教学实验教学基地的
39家"); school 307万 vs firms 1326万 put into the on-campus bases (seed 000); 28 service projects of which 8
training/appraisal projects trained 874 people for 25.7万元 and 3 patents (seed 002); a vocational group of
37 member units, 17 schools and 20 firms (seed 002); 10 forums attended by 118 firms (seed 003). Earlier years
scale down. A separate random stream keeps every earlier table's draws unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .college import COLLEGE, MAJORS
from .vocab import _choice, _firm_names

_ZH_MECH = {
    "location": {"on_campus": "校内", "off_campus": "校外"},
    "model": {"factory_in_school": "校中厂", "school_in_factory": "厂中校", "production_center": "生产实训中心",
              "master_studio": "技能大师工作室", "training_base": "实训基地", "internship_base": "实习基地"},
    "agreement_type": {"framework": "合作协议", "intent": "意向书", "order": "订单培养协议", "internship": "实习协议",
                       "base": "共建基地协议"},
    "status": {"active": "有效", "expired": "已到期", "renewed": "已续签"},
    "fulfilment": {"honoured": "已履约", "partly": "部分履约", "not_honoured": "未履约"},
    "event_type": {"committee_meeting": "专业建设指导委员会会议", "coop_committee_meeting": "校企合作委员会会议",
                   "regular_meeting": "例会", "visit": "走访企业", "followup": "毕业生回访", "forum": "校企座谈会",
                   "lecture": "企业家进校园", "job_fair": "双选会"},
    "committee_type": {"steering": "专业建设指导委员会", "coop": "校企合作委员会", "group": "职教集团"},
    "member_type": {"enterprise": "企业", "school": "学校", "industry": "行业协会"},
    "service_type": {"tech_improvement": "技改", "tech_tackling": "技术攻关", "tech_service": "技术服务",
                     "consulting": "技术咨询", "patent": "专利", "transfer": "成果转化", "training": "培训",
                     "appraisal": "技能鉴定"},
    "training_kind": {"skill": "技能培训", "high_skill": "高技能人才培训", "special": "特殊工种",
                      "professional": "专技人员培训"},
    "internship_type": {"placement": "岗位实习"},
}


_MECH_DESC = {
    "bases": "co-built practice bases × year (校内/校外, 校中厂, 厂中校, 大师工作室; money in yuan)",
    "agreements": "agreements and letters of intent × year, with term, 挂牌 and 履约情况",
    "events": "governance and exchange events (meetings, visits to firms, forums, lectures)",
    "committees": "members of the steering committees, the 校企合作委员会 and the 职教集团 (last year)",
    "services": "service projects for firms (技改, 专利, 成果转化, 培训 with 人数/人次/人日/到款额)",
}


#: 2024 (last-year) figures the mechanism tables are calibrated to (checked by tests/test_mechanisms.py).
MECHANISM_TARGETS: dict[str, float] = {
    "on_campus_bases": 11, "off_campus_bases": 55, "base_firms": 39, "school_investment": 3_070_000,
    "enterprise_investment": 13_260_000, "service_projects": 28, "trainees": 874, "training_income": 257_000,
    "patents": 3, "group_units": 37, "forums": 10, "forum_firms": 118,
}


def _split_total(rng: np.random.Generator, total: float, n: int) -> np.ndarray:
    """``n`` positive whole amounts summing exactly to ``total`` (Dirichlet shares, remainder on the last)."""
    w = rng.dirichlet(np.full(n, 2.0))
    out = np.floor(w * total)
    out[-1] += total - out.sum()
    return out


def _mechanism_tables(seed: int, yrs: np.ndarray, tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Issue-14 tables (bases, agreements, events, committees, services) and columns on existing tables."""
    rng = np.random.default_rng([seed, 14])
    last = int(yrs[-1])
    led = tables["enterprises"]
    names = [m.name for m in MAJORS]
    dept_of = {m.name: m.department for m in MAJORS}
    out: dict[str, pd.DataFrame] = {}
    # --- bases: 66 bases alive in the last year, each from its established year on ---------------------
    cur = led[led["year"] == last].drop_duplicates("enterprise")
    firms = cur["enterprise"].to_numpy(dtype=object)[rng.permutation(len(cur))[: int(MECHANISM_TARGETS["base_firms"])]]
    firm_major = cur.set_index("enterprise")["major"].reindex(firms).to_numpy(dtype=object)
    n_on, n_off = int(MECHANISM_TARGETS["on_campus_bases"]), int(MECHANISM_TARGETS["off_campus_bases"])
    n = n_on + n_off
    owner = np.concatenate([np.arange(firms.size), rng.integers(0, firms.size, n - firms.size)])[rng.permutation(n)]
    on = np.arange(n) < n_on
    model = np.where(on, np.array(["factory_in_school", "factory_in_school", "production_center", "master_studio"]
                                  + ["training_base"] * (n_on - 4), dtype=object)[np.minimum(np.arange(n), n_on - 1)],
                     np.where(rng.random(n) < 0.06, "school_in_factory", "internship_base"))
    established = np.where(rng.random(n) < 0.6, rng.integers(2010, yrs[0], n), rng.integers(yrs[0], last + 1, n))
    base_name = np.array([f"{firms[o][:4]}{'校内实训中心' if o_on else '校外实习基地'}{i + 1:02d}"
                          for i, (o, o_on) in enumerate(zip(owner, on, strict=True))], dtype=object)
    school_inv = np.where(on, 0.0, np.nan)
    ent_inv = np.where(on, 0.0, rng.integers(5, 60, n) * 10_000.0)
    school_inv[on] = _split_total(rng, MECHANISM_TARGETS["school_investment"], n_on)
    ent_inv[on] = _split_total(rng, MECHANISM_TARGETS["enterprise_investment"], n_on)
    alive = np.concatenate([np.flatnonzero(established <= y) for y in yrs])
    ys = np.concatenate([np.full((established <= y).sum(), y) for y in yrs])
    scale = np.where(ys == last, 1.0, 0.8)  # money of earlier years: the running budgets were smaller
    out["bases"] = pd.DataFrame({
        "base": pd.array(base_name[alive], dtype="str"), "year": ys.astype("int64"),
        "department": pd.array([dept_of[m] for m in firm_major[owner[alive]]], dtype="str"),
        "major": pd.array(firm_major[owner[alive]], dtype="str"),
        "enterprise": pd.array(firms[owner[alive]], dtype="str"),
        "location": pd.array(np.where(on, "on_campus", "off_campus")[alive], dtype="str"),
        "model": pd.array(model[alive], dtype="str"),
        "productive": pd.array(on[alive], dtype="boolean"),
        "substantive": pd.array((on | (rng.random(n) < 0.7))[alive], dtype="boolean"),
        "demonstration": pd.array((np.arange(n) % 11 == 0)[alive], dtype="boolean"),
        "established": established[alive].astype("int64"),
        "stations": rng.integers(20, 120, n)[alive].astype("int64"),
        "student_visits": rng.integers(150, 2500, n)[alive].astype("int64"),
        "school_investment": school_inv[alive] * scale, "enterprise_investment": ent_inv[alive] * scale,
        "annual_output": np.where(model == "factory_in_school", rng.integers(300, 1100, n) * 10_000.0, np.nan)[alive],
    })
    # --- agreements: one per partner firm and year, plus letters of intent ------------------------------
    pairs = led.drop_duplicates(["enterprise", "year"])
    k = len(pairs)
    kind = np.where(pairs["form"].isin(["订单培养", "冠名班", "现代学徒制"]), "order",
                    np.where(pairs["form"].eq("实习基地"), "internship",
                             np.where(pairs["form"].eq("共建实训基地"), "base", "framework")))
    n_int = np.round(np.linspace(18, 31, yrs.size)).astype(int)
    int_year = np.repeat(yrs, n_int)
    int_major = np.array(names, dtype=object)[_choice(rng, np.array([m.size for m in MAJORS], float), int_year.size)]
    fate = _choice(rng, np.array([0.83, 0.10, 0.04, 0.03]), k)  # honoured, partly, not, not assessed
    out["agreements"] = pd.DataFrame({
        "agreement_id": pd.array([f"XQ{y}{i:04d}" for i, y in enumerate(
            np.concatenate([pairs["year"].to_numpy(), int_year]))], dtype="str"),
        "enterprise": pd.array(np.concatenate([pairs["enterprise"].to_numpy(dtype=object),
                                               np.array(_firm_names(int_year.size, ("有限公司",)), dtype=object)]),
                               dtype="str"),
        "year": np.concatenate([pairs["year"].to_numpy(), int_year]).astype("int64"),
        "department": pd.array([dept_of[m] for m in np.concatenate([pairs["major"].to_numpy(dtype=object),
                                                                    int_major])], dtype="str"),
        "major": pd.array(np.concatenate([pairs["major"].to_numpy(dtype=object), int_major]), dtype="str"),
        "agreement_type": pd.array(np.concatenate([kind, np.full(int_year.size, "intent")]), dtype="str"),
        "term_years": np.concatenate([rng.choice([3.0, 5.0], k), np.full(int_year.size, np.nan)]),
        "plaque": pd.array(np.concatenate([pairs["enterprise"].isin(firms).to_numpy(),
                                           np.zeros(int_year.size, bool)]), dtype="boolean"),
        "status": pd.array(np.concatenate([np.where(pairs["partnership_start"].to_numpy() < pairs["year"].to_numpy()
                                                    - 4, "renewed", "active"), np.full(int_year.size, "active")]),
                           dtype="str"),
        "fulfilment": pd.array(np.concatenate([np.array(["honoured", "partly", "not_honoured", None],
                                                        dtype=object)[fate], np.full(int_year.size, None)]),
                               dtype="str"),
    })
    out.update(_mechanism_events(rng, yrs, led, names, dept_of))
    out.update(_mechanism_services(rng, yrs, led, names, dept_of))
    out.update(_mechanism_columns(rng, tables))
    return out


def _mechanism_events(rng: np.random.Generator, yrs: np.ndarray, led: pd.DataFrame, names: list[str],
                      dept_of: dict[str, str]) -> dict[str, pd.DataFrame]:
    """校企活动 (meetings, visits, forums...) and 委员会成员 (steering committees and the 职教集团)."""
    last = int(yrs[-1])
    per_year = {"committee_meeting": 24, "coop_committee_meeting": 2, "regular_meeting": 12, "visit": 120,
                "followup": 30, "forum": 10, "lecture": 8, "job_fair": 2}
    f = np.where(yrs == last, 1.0, 0.75 + 0.04 * (yrs - yrs[0]))
    counts = np.array([[round(v * s) for v in per_year.values()] for s in f])
    etype = np.concatenate([np.repeat(list(per_year), row) for row in counts])
    eyear = np.repeat(yrs, counts.sum(axis=1))
    m = eyear.size
    major = np.array(names, dtype=object)[rng.integers(0, len(names), m)]
    pool = led.drop_duplicates(["enterprise", "year"])
    firm = np.empty(m, dtype=object)
    for y in yrs:  # a firm of that year's ledger (or a prospect) for each visit and follow-up
        idx = np.flatnonzero((eyear == y) & np.isin(etype, ["visit", "followup"]))
        cand = pool.loc[pool["year"] == y, "enterprise"].to_numpy(dtype=object)
        cand = np.concatenate([cand, np.array(_firm_names(40, ("有限公司",)), dtype=object)])
        firm[idx] = cand[rng.integers(0, cand.size, idx.size)]
    firms_at = np.full(m, -1)
    for y in yrs:  # forums: firms attending, 118 in total in the last year
        idx = np.flatnonzero((eyear == y) & (etype == "forum"))
        total = 118 if y == last else int(round(118 * 0.8))
        firms_at[idx] = _split_total(rng, total, idx.size).astype(int)
    day = rng.integers(0, 330, m).astype("timedelta64[D]")
    events = pd.DataFrame({
        "event_id": pd.array([f"HD{y}{i + 1:04d}" for i, y in enumerate(eyear)], dtype="str"),
        "year": eyear.astype("int64"),
        "date": pd.to_datetime((eyear - 1970).astype("datetime64[Y]").astype("datetime64[D]") + day),
        "event_type": pd.array(etype, dtype="str"),
        "department": pd.array([dept_of[x] for x in major], dtype="str"),
        "major": pd.array(major, dtype="str"),
        "enterprise": pd.array(firm, dtype="str"),
        "enterprises": pd.array(np.where(firms_at >= 0, firms_at, None), dtype="Int64"),
        "participants": rng.integers(6, 80, m).astype("int64"),
    })
    # committees: a steering committee per major (7-9 members), the 校企合作委员会, the 职教集团 (37 units)
    size = rng.integers(7, 10, len(names))
    st_major = np.repeat(np.array(names, dtype=object), size)
    st_type = _choice(rng, np.array([0.6, 0.3, 0.1]), st_major.size)
    group_type = np.array([0] * 20 + [1] * 17)
    cm_name = np.concatenate([np.array([f"{x}专业建设指导委员会" for x in st_major], dtype=object),
                              np.full(15, "校企合作委员会", dtype=object), np.full(37, "示例职业教育集团", dtype=object)])
    ctype = np.concatenate([np.full(st_major.size, "steering"), np.full(15, "coop"), np.full(37, "group")])
    mtype = np.concatenate([st_type, _choice(rng, np.array([0.5, 0.4, 0.1]), 15), group_type])
    cur = led.loc[led["year"] == last, "enterprise"].unique()
    org = np.concatenate([cur[rng.integers(0, cur.size, st_major.size + 15)],
                          cur[rng.permutation(cur.size)[:20]],
                          np.array([f"示例职业学校{i + 1:02d}" for i in range(17)], dtype=object)])
    org = np.where(mtype == 0, org, np.where(mtype == 1, COLLEGE, "示例行业协会"))
    org[-17:] = [f"示例职业学校{i + 1:02d}" for i in range(17)]
    committees = pd.DataFrame({
        "committee": pd.array(cm_name, dtype="str"),
        "committee_type": pd.array(ctype, dtype="str"),
        "year": np.full(cm_name.size, last, dtype="int64"),
        "member_id": pd.array([f"M{i + 1:03d}" for i in range(cm_name.size)], dtype="str"),
        "member_type": pd.array(np.array(["enterprise", "school", "industry"], dtype=object)[mtype], dtype="str"),
        "organisation": pd.array(org, dtype="str"),
        "major": pd.array(np.concatenate([st_major, np.full(52, None)]), dtype="str"),
    })
    return {"events": events, "committees": committees}


def _mechanism_services(rng: np.random.Generator, yrs: np.ndarray, led: pd.DataFrame, names: list[str],
                        dept_of: dict[str, str]) -> dict[str, pd.DataFrame]:
    """社会服务项目: 28 in the last year (8 training/appraisal: 874 trained for 25.7万元; 3 patents)."""
    last = int(yrs[-1])
    mix = {"tech_improvement": 5, "tech_tackling": 3, "tech_service": 4, "consulting": 3, "patent": 3,
           "transfer": 2, "training": 6, "appraisal": 2}
    frames = []
    for y in yrs:  # six years: a handful of small frames
        s = 1.0 if y == last else 0.6 + 0.06 * (y - yrs[0])
        cnt = {k: max(1, round(v * s)) for k, v in mix.items()}
        typ = np.repeat(list(cnt), list(cnt.values()))
        n = typ.size
        train = np.isin(typ, ["training", "appraisal"])
        trainees = np.zeros(n)
        income = rng.integers(2, 40, n) * 10_000.0
        total_tr, total_inc = (874, 257_000) if y == last else (round(874 * s), round(257_000 * s, -3))
        trainees[train] = _split_total(rng, total_tr, train.sum())
        income[train] = _split_total(rng, total_inc, train.sum())
        income[typ == "patent"] = np.nan
        major = np.array(names, dtype=object)[rng.integers(0, len(names), n)]
        cur = led.loc[led["year"] == y, "enterprise"].unique()
        kind = np.where(train, np.where(rng.random(n) < 0.3, "high_skill", "skill"), None)
        frames.append(pd.DataFrame({
            "project_id": [f"FW{y}{i + 1:03d}" for i in range(n)], "year": np.full(n, y, dtype="int64"),
            "service_type": typ, "department": [dept_of[x] for x in major], "major": major,
            "enterprise": cur[rng.integers(0, cur.size, n)], "income": income,
            "economic_benefit": np.where(np.isin(typ, ["tech_improvement", "tech_tackling", "transfer"]),
                                         rng.integers(20, 400, n) * 10_000.0, np.nan),
            "patents": np.where(typ == "patent", 1, 0),
            "trainees": np.where(train, trainees, np.nan),
            "person_times": np.where(train, np.round(trainees * rng.uniform(1.0, 1.6, n)), np.nan),
            "person_days": np.where(train, np.round(trainees * rng.uniform(2, 6, n)), np.nan),
            "training_kind": kind,
            "teachers": rng.integers(1, 8, n),
        }))
    sv = pd.concat(frames, ignore_index=True)
    for c in ("project_id", "service_type", "department", "major", "enterprise", "training_kind"):
        sv[c] = pd.array(sv[c].to_numpy(dtype=object), dtype="str")
    for c in ("patents", "teachers"):
        sv[c] = sv[c].astype("int64")
    for c in ("trainees", "person_times"):
        sv[c] = pd.array(np.where(np.isnan(sv[c]), None, sv[c]), dtype="Int64")
    return {"services": sv}


def _mechanism_columns(rng: np.random.Generator, tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """New columns on existing tables: teacher birth year, two-year practice and roles; internship type;
    school co-investment in the ledger; certificates of graduates."""
    t = tables["teachers"].copy()
    ids, inv = np.unique(t["teacher_id"].to_numpy(dtype=object), return_inverse=True)
    age_2024 = np.clip(np.round(rng.normal(41, 8, ids.size)), 24, 62)
    t["birth_year"] = pd.array((2024 - age_2024)[inv].astype(int), dtype="Int64")
    prev = t[["teacher_id", "year", "practice_days_year"]].assign(year=lambda d: d["year"] + 1)
    both = t[["teacher_id", "year"]].merge(prev, on=["teacher_id", "year"], how="left")
    t["practice_days_2y"] = t["practice_days_year"] + both["practice_days_year"].fillna(0).to_numpy()
    ft = t["category"].eq("full_time").to_numpy()
    ept = t["category"].eq("enterprise_part_time").to_numpy()
    u = rng.random((4, ids.size))
    t["is_program_leader"] = pd.array((u[0][inv] < np.where(ft, 0.04, np.where(ept, 0.03, 0))), dtype="boolean")
    t["is_backbone"] = pd.array((u[1][inv] < np.where(ft, 0.15, np.where(ept, 0.10, 0))), dtype="boolean")
    t["enterprise_adviser"] = pd.array((u[2][inv] < np.where(ft, 0.08, 0)), dtype="boolean")
    t["skill_master"] = pd.array((u[3][inv] < np.where(ept, 0.05, 0.005)), dtype="boolean")
    i = tables["internships"].copy()
    i["internship_type"] = pd.array(np.full(len(i), "placement"), dtype="str")  # every sample record is 岗位实习
    e = tables["enterprises"].copy()
    e["school_investment"] = np.where(e["co_bases"].to_numpy() > 0,
                                      rng.integers(1, 30, len(e)) * 10_000.0, np.nan)
    g = tables["graduates"].copy()
    g["certificate"] = pd.array(rng.random(len(g)) < 0.78, dtype="boolean")
    g["cert_1x"] = pd.array(rng.random(len(g)) < 0.31, dtype="boolean")
    return {"teachers": t, "internships": i, "enterprises": e, "graduates": g}
