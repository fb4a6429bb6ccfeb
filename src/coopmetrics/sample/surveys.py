"""The four satisfaction surveys (问卷): items, answer scales, response model and population truth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .model import _likert, _Outcomes, _respond

_SURVEY_ITEMS: dict[str, tuple[tuple[str, float], ...]] = {
    # item -> latent shift. The first item of each questionnaire is its single overall question.
    # Shifts put the respondents' overall top-2-box share near the 90 %+ colleges publish (issue 10
    # item 11; internship satisfaction is highest: seed 002 reports 99 %); the specific items stay
    # lower, as in published reports. Shifts were set once from these levels, not fitted per year.
    "internship": (("实习总体满意度", 2.2), ("实习岗位与专业相关程度", 1.6), ("企业指导教师指导", 1.9),
                   ("学校指导教师指导", 1.8), ("实习条件与安全保障", 2.0)),
    "employment": (("就业总体满意度", 1.5), ("工作内容", 1.2), ("薪酬福利", 0.6), ("职业发展前景", 0.9)),
    "school": (("母校总体满意度", 1.6), ("教学满意度", 1.4), ("实践教学", 1.3), ("就业指导服务", 1.2),
               ("学生工作与管理", 1.3)),
    "employer": (("对毕业生总体满意度", 1.0), ("职业素养", 1.0), ("专业知识与技能", 0.7),
                 ("学习与创新能力", 0.5)),
}


_RESPONSE_BASE = {"internship": 0.30, "employment": 0.16, "school": 0.21}


#: Major-specific response shift; satisfaction (latent) shifts by 2.5 x this, so
#: majors that like the school answer more often and raking on major helps.
_MAJOR_RESP = np.array([0.08, 0.05, -0.02, -0.06, 0.02, -0.08, 0.0, 0.04, 0.10, -0.04, -0.07, 0.06])


_LEVELS_STUDENT = ("很不满意", "不满意", "一般", "满意", "很满意")


_LEVELS_EMPLOYER = ("非常不满意", "不太满意", "一般", "比较满意", "非常满意")


UNRATED = "无法评估"


_P_UNRATED = 0.03


def _survey(rng: np.random.Generator, grads: pd.DataFrame, out: _Outcomes, program: np.ndarray,
            major: np.ndarray, female: np.ndarray,
            has_intern: np.ndarray, emp_idx: np.ndarray, all_names: np.ndarray, firms: pd.DataFrame,
            student_id: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long survey + the full-population truth (answers drawn for everyone, then masked)."""
    year = grads["grad_year"].to_numpy()
    person = rng.standard_normal(year.size) * 0.6  # shared person component: items correlate
    frames, truths = [], []
    prefix = {"internship": "SX", "employment": "JY", "school": "MX", "employer": "GZ"}
    for kind in ("internship", "employment", "school"):
        pop = has_intern if kind == "internship" else (out.employed if kind == "employment" else np.ones_like(
            has_intern))
        idx = np.flatnonzero(pop)
        mi, fem = major[idx], female[idx]
        responded, _ = _respond(rng, program[idx], out.placed[idx], base=_RESPONSE_BASE[kind],
                                extra=_MAJOR_RESP[mi] + 0.06 * fem)
        seq = pd.Series(np.ones(idx.size, int)).groupby(year[idx]).cumsum().to_numpy()
        rid = np.char.add(np.char.add(f"{prefix[kind]}", year[idx].astype(str)), np.char.zfill(seq.astype(str), 5))
        for item, shift in _SURVEY_ITEMS[kind]:
            sc = _likert(rng, program[idx], out.placed[idx], out.relevant[idx], shift=shift - 0.9 + person[idx] + 2.5 * _MAJOR_RESP[mi] + 0.15 * fem)
            unrated = rng.random(idx.size) < _P_UNRATED
            text = np.where(unrated, UNRATED, np.array(_LEVELS_STUDENT, dtype=object)[sc - 1])
            truths.append(_truth_rows(kind, item, year[idx], sc, unrated, responded))
            r = responded
            frames.append(pd.DataFrame({
                "respondent_id": rid[r], "student_id": student_id[idx][r], "employer": None,
                "year": year[idx][r], "survey_kind": kind, "item": item, "response": text[r],
                "score": pd.arrays.IntegerArray(sc[r].astype(np.int64), unrated[r]),
            }))
    # employer survey: one questionnaire per employer that hired graduates this year
    e = pd.DataFrame({"e": emp_idx, "year": year})
    e = e[e["e"] >= 0].drop_duplicates().sort_values(["year", "e"], ignore_index=True)
    is_partner = e["e"].to_numpy() < len(firms)
    resp = rng.random(len(e)) < 0.40 + 0.2 * is_partner
    seq = e.groupby("year").cumcount().to_numpy() + 1
    rid = np.char.add(np.char.add("GZ", e["year"].to_numpy().astype(str)), np.char.zfill(seq.astype(str), 5))
    eperson = rng.standard_normal(len(e)) * 0.5 + 0.3 * is_partner
    for item, shift in _SURVEY_ITEMS["employer"]:
        lat = 1.2 + shift + eperson + rng.standard_normal(len(e))
        sc = (np.digitize(lat, [-0.6, 0.1, 0.8, 1.9]) + 1).astype(np.int8)
        unrated = rng.random(len(e)) < _P_UNRATED
        text = np.where(unrated, UNRATED, np.array(_LEVELS_EMPLOYER, dtype=object)[sc - 1])
        truths.append(_truth_rows("employer", item, e["year"].to_numpy(), sc, unrated, resp))
        frames.append(pd.DataFrame({
            "respondent_id": rid[resp], "student_id": None, "employer": all_names[e["e"].to_numpy()[resp]],
            "year": e["year"].to_numpy()[resp], "survey_kind": "employer", "item": item, "response": text[resp],
            "score": pd.arrays.IntegerArray(sc[resp].astype(np.int64), unrated[resp]),
        }))
    survey = pd.concat(frames, ignore_index=True)
    for c in ("respondent_id", "student_id", "employer", "survey_kind", "item", "response"):
        survey[c] = survey[c].astype("str")
    survey["year"] = survey["year"].astype("int64")
    order = {k: i for i, k in enumerate(SURVEY_KIND_ORDER)}
    survey = survey.sort_values(["year", "survey_kind", "respondent_id"], key=lambda s: s.map(order)
                                if s.name == "survey_kind" else s, kind="stable", ignore_index=True)
    return survey, pd.concat(truths, ignore_index=True)


SURVEY_KIND_ORDER = ("internship", "employment", "school", "employer")


def _truth_rows(kind: str, item: str, year: np.ndarray, score: np.ndarray, unrated: np.ndarray,
                responded: np.ndarray) -> pd.DataFrame:
    """Population vs respondent satisfied share (top two boxes among rated answers) by year."""
    yrs, inv = np.unique(year, return_inverse=True)
    rated, sat = ~unrated, (score >= 4) & ~unrated

    def cnt(w: np.ndarray) -> np.ndarray:
        return np.bincount(inv, weights=w.astype(float), minlength=yrs.size).astype(np.int64)

    a = pd.DataFrame({
        "year": yrs, "survey_kind": kind, "item": item, "population": cnt(np.ones(year.size)),
        "rated": cnt(rated), "satisfied": cnt(sat), "respondents": cnt(responded),
        "rated_resp": cnt(rated & responded), "satisfied_resp": cnt(sat & responded),
    })
    a["response_rate"] = a["respondents"] / a["population"]
    a["share_population"] = a["satisfied"] / a["rated"]
    a["share_respondents"] = a["satisfied_resp"] / a["rated_resp"]
    return a
