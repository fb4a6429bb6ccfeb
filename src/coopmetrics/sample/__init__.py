"""Seeded synthetic data with known true effects (合成样例数据，已知真实效应).

No public microdata of Chinese graduates exist, so coopmetrics ships a synthetic
college generated from documented assumptions (see
``data/sample/README.md``) and calibrated to the figures in the project's
domain notes. Every causal effect is **additive on the probability or yuan
scale** and the probabilities stay inside (0.02, 0.99) by construction (no
clipping), so the truth written in :data:`TRUE_EFFECTS` is exact and
estimators can be checked against it.

Public functions
----------------
generate
    The sample college (江南示例职业技术学院, 2019–2024) as a ``Dataset`` of the six
    canonical tables; :data:`TRUE_EFFECTS` and :data:`PARTNERSHIP_START` hold its truth.
simulate_graduates
    A cheap graduates-only draw from the same model for coverage simulations.
population_truth
    Full-population vs respondent satisfaction shares of the sample's surveys.
write_sample, write_messy_export, load_sample, SAMPLE_DIR
    The committed files (``data/sample``): clean UTF-8 CSVs with Chinese headers,
    one messy GBK export with three bad rows, and their README.
generate_panel, generate_panel_chunks
    Large multi-college graduate panels in compact dtypes for benchmarks.

Examples
--------
>>> from coopmetrics.sample import generate_panel, TRUE_EFFECTS
>>> panel = generate_panel(10_000, seed=1)
>>> len(panel), str(panel["grad_year"].dtype)
(10000, 'int16')
>>> TRUE_EFFECTS["placed_order_class"].value
0.03
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

if TYPE_CHECKING:
    from ..dataset import Dataset

__all__ = [
    "BadRow",
    "COLLEGE",
    "MAJORS",
    "PARTNERSHIP_START",
    "SAMPLE_DIR",
    "TRUE_EFFECTS",
    "TrueEffect",
    "generate",
    "generate_panel",
    "generate_panel_chunks",
    "further_study_share",
    "load_sample",
    "population_truth",
    "planted_partners",
    "simulate_graduates",
    "write_messy_export",
    "write_sample",
]

# ----------------------------------------------------------------------------------------
# The truth (真实效应)
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrueEffect:
    """One known causal effect built into the generator.

    Attributes
    ----------
    outcome : str
        Outcome column or derived outcome (``placed`` = destination placed under
        ``moe_2021``; every placed code also counts as placed in ``moe_2024`` and
        ``legacy``, so the truth does not depend on the profile).
    treatment : str
        ``order_class``, ``named_class``, ``apprenticeship`` (each versus
        ``regular``), ``partnership`` (major-level, from its start year on) or
        ``entry_score_sd`` (per standard deviation of entry score: 50 points).
    value : float
        The effect, additive on ``scale``.
    scale : str
        ``probability`` (difference in probability) or ``yuan`` (difference in
        mean monthly salary).
    population : str
        Units for which the effect holds (and therefore the ATT, ATE and CATE
        of every subgroup, since effects are constant).
    """

    outcome: str
    treatment: str
    value: float
    scale: str
    population: str


_ALL = "all graduates, every year, every major (constant effect: ATE = ATT = every CATE)"
_EMP = "employed graduates (codes other than not placed, further study, 46), every year and major"

#: Every effect built into the generators, keyed ``<outcome>_<treatment>``.
TRUE_EFFECTS: dict[str, TrueEffect] = {
    # placement effects are a few points: with placement near the national ~92 % (issue 10 item 11) an
    # additive effect must leave the best-placed graduate below the 0.99 bound
    "placed_order_class": TrueEffect("placed", "order_class", 0.03, "probability", _ALL),
    "placed_named_class": TrueEffect("placed", "named_class", 0.015, "probability", _ALL),
    "placed_apprenticeship": TrueEffect("placed", "apprenticeship", 0.03, "probability", _ALL),
    "placed_partnership": TrueEffect(
        "placed", "partnership", 0.02, "probability",
        "graduates of a major from its partnership start year on (constant in event time; "
        "no anticipation; parallel trends otherwise)"),
    "placed_entry_score_sd": TrueEffect("placed", "entry_score_sd", 0.01, "probability", _ALL),
    "job_relevant_order_class": TrueEffect("job_relevant", "order_class", 0.15, "probability", _EMP),
    "job_relevant_named_class": TrueEffect("job_relevant", "named_class", 0.05, "probability", _EMP),
    "job_relevant_apprenticeship": TrueEffect("job_relevant", "apprenticeship", 0.10, "probability", _EMP),
    "job_relevant_partnership": TrueEffect(
        "job_relevant", "partnership", 0.08, "probability",
        "employed graduates of a major from its partnership start year on (constant in event time)"),
    "job_relevant_entry_score_sd": TrueEffect("job_relevant", "entry_score_sd", 0.02, "probability", _EMP),
    "monthly_salary_order_class": TrueEffect("monthly_salary", "order_class", 300.0, "yuan", _EMP),
    "monthly_salary_named_class": TrueEffect("monthly_salary", "named_class", 150.0, "yuan", _EMP),
    "monthly_salary_apprenticeship": TrueEffect("monthly_salary", "apprenticeship", 400.0, "yuan", _EMP),
    "monthly_salary_partnership": TrueEffect(
        "monthly_salary", "partnership", 200.0, "yuan",
        "employed graduates of a major from its partnership start year on (constant in event time)"),
    "monthly_salary_entry_score_sd": TrueEffect("monthly_salary", "entry_score_sd", 120.0, "yuan", _EMP),
    "left_within_6m_order_class": TrueEffect("left_within_6m", "order_class", -0.10, "probability", _EMP),
    "left_within_6m_named_class": TrueEffect("left_within_6m", "named_class", -0.03, "probability", _EMP),
    "left_within_6m_apprenticeship": TrueEffect("left_within_6m", "apprenticeship", -0.08, "probability", _EMP),
    "left_within_6m_partnership": TrueEffect("left_within_6m", "partnership", 0.0, "probability", _EMP),
    "left_within_6m_entry_score_sd": TrueEffect("left_within_6m", "entry_score_sd", -0.02, "probability", _EMP),
}

# program codes used internally (order fixed: matches schema.PROGRAMS)
_PROGRAMS = ("regular", "order_class", "named_class", "apprenticeship")
_REG, _ORD, _NAM, _APP = range(4)

#: Entry score: 380 + 50 z with z standard normal truncated to [-2, 2] and the score rounded to
#: an integer; z is then recomputed from the recorded score, so outcomes are
#: exactly linear in the recorded ``entry_score``.
ENTRY_MEAN, ENTRY_SD, Z_MAX = 380.0, 50.0, 2.0

#: Every modelled probability stays strictly inside (P_MIN, P_MAX); the generator raises otherwise.
P_MIN, P_MAX = 0.02, 0.99


def _effect_vectors(effects: dict[str, TrueEffect]) -> dict[str, np.ndarray]:
    """Per-outcome arrays: [program effects by code..., partnership, per-SD score]."""
    out = {}
    for outcome in ("placed", "job_relevant", "monthly_salary", "left_within_6m"):
        prog = np.zeros(4)
        for code, name in enumerate(_PROGRAMS[1:], start=1):
            prog[code] = effects[f"{outcome}_{name}"].value
        out[outcome] = np.concatenate(
            [prog, [effects[f"{outcome}_partnership"].value, effects[f"{outcome}_entry_score_sd"].value]]
        )
    return out


# ----------------------------------------------------------------------------------------
# Vocabularies
# ----------------------------------------------------------------------------------------

#: Majors (高职专科专业目录 2021 style codes) -> department (二级学院).
MAJOR_POOL: tuple[tuple[str, str, str], ...] = (
    ("460103", "数控技术", "智能制造学院"),
    ("460104", "机械设计与制造", "智能制造学院"),
    ("460301", "机电一体化技术", "智能制造学院"),
    ("460305", "工业机器人技术", "智能制造学院"),
    ("460701", "汽车制造与试验技术", "汽车工程学院"),
    ("500211", "汽车检测与维修技术", "汽车工程学院"),
    ("460702", "新能源汽车技术", "汽车工程学院"),
    ("510201", "计算机应用技术", "信息工程学院"),
    ("510203", "软件技术", "信息工程学院"),
    ("510205", "大数据技术", "信息工程学院"),
    ("510101", "电子信息工程技术", "信息工程学院"),
    ("510301", "现代通信技术", "信息工程学院"),
    ("530302", "大数据与会计", "经济管理学院"),
    ("530701", "电子商务", "经济管理学院"),
    ("530802", "现代物流管理", "经济管理学院"),
    ("530605", "市场营销", "经济管理学院"),
    ("540101", "旅游管理", "文旅学院"),
    ("540106", "酒店管理与数字化运营", "文旅学院"),
    ("550102", "视觉传达设计", "艺术设计学院"),
    ("550106", "环境艺术设计", "艺术设计学院"),
    ("440301", "建筑工程技术", "建筑工程学院"),
    ("440501", "工程造价", "建筑工程学院"),
    ("520201", "护理", "医药卫生学院"),
    ("520802", "药学", "医药卫生学院"),
    ("480201", "化工技术", "化工学院"),
    ("470103", "现代纺织技术", "纺织服装学院"),
    ("470302", "服装设计与工艺", "纺织服装学院"),
    ("490109", "食品检验检测技术", "食品学院"),
    ("500301", "城市轨道交通运营管理", "交通运输学院"),
    ("500605", "民航运输服务", "交通运输学院"),
    ("410101", "现代农业技术", "农林学院"),
    ("570102", "学前教育", "教育学院"),
)

_ADMISSIONS = ("普通高考", "单招", "中职对口", "3+2", "五年一贯制")
_ADMISSION_P = np.array([0.45, 0.30, 0.12, 0.08, 0.05])
_EMPLOYER_TYPES = ("民营企业", "国有企业", "三资企业", "机关事业单位", "其他")
_EMPLOYER_TYPE_P = np.array([0.66, 0.16, 0.10, 0.05, 0.03])
_REGIONS = (
    "江苏", "浙江", "上海", "广东", "安徽", "山东", "北京", "福建", "湖北", "四川", "河南", "陕西",
    "重庆", "新疆", "辽宁", "黑龙江",
)
_WEST_NE = {"四川", "陕西", "重庆", "新疆", "辽宁", "黑龙江"}
_FIRM_PREFIX = ("华", "中", "新", "苏", "恒", "瑞", "博", "天", "宏", "鼎", "精", "力", "远", "盛", "海", "金")
_FIRM_MID = ("信", "达", "通", "科", "创", "源", "泰", "航", "腾", "锐", "凯", "诚", "合", "晟", "智", "联")
_FIRM_SUFFIX = (
    "智能装备有限公司", "科技有限公司", "汽车零部件有限公司", "信息技术有限公司", "电子股份有限公司",
    "物流有限公司", "酒店管理有限公司", "建设集团有限公司", "医疗器械有限公司", "新材料有限公司",
    "精密机械有限公司", "数字科技有限公司", "食品有限公司", "服饰有限公司", "教育科技有限公司",
    "轨道交通设备有限公司",
)

# Destination codes (MoE). Placed codes by category; 2-digit before 2022, 3-digit
# children of families 27/50/80 from the 2022 cohorts on (both generations occur).
_PLACED_CODES_OLD = ("10", "11", "12", "46", "27", "50", "75", "76", "80", "80", "85")
_PLACED_CODES_NEW = ("10", "11", "12", "46", "271", "502", "75", "76", "803", "801", "85")
_PLACED_P = np.array([0.38, 0.31, 0.09, 0.012, 0.008, 0.01, 0.015, 0.09, 0.07, 0.005, 0.01])
_PLACED_P = _PLACED_P / _PLACED_P.sum()
#: positions of further study (80x, 85) in the placed-code lists, and the mix within each part
_FS_POS = np.array([8, 9, 10])
_WORK_POS = np.arange(8)
_FS_P = _PLACED_P[_FS_POS] / _PLACED_P[_FS_POS].sum()
_WORK_P = _PLACED_P[_WORK_POS] / _PLACED_P[_WORK_POS].sum()


def further_study_share(year: np.ndarray) -> np.ndarray:
    """Share of placed graduates who go on to study (升学: 专升本 80x, abroad 85), by graduation year.

    Rises 2.2 points a year from 9 % (2019) to 20 % (2024), clipped to [5 %, 22 %]: the trend of
    高职 graduates continuing to a bachelor's degree (MyCOS: 6 % of the 2018届, about 20 % of the
    2022届; DOMAIN.md). With placement near 90 % that is about 8 % → 18 % of all graduates.

    Examples
    --------
    >>> further_study_share(np.array([2019, 2024])).round(3).tolist()
    [0.09, 0.2]
    """
    return np.clip(0.09 + 0.022 * (np.asarray(year, dtype=float) - 2019), 0.05, 0.22)
_NOT_PLACED_CODES = ("70", "71", "72")
_NOT_PLACED_P = np.array([0.78, 0.12, 0.10])
#: placed codes whose holders are "employed" (salary, relevance, turnover recorded)
_EMPLOYED = {"10", "11", "12", "75", "76", "27", "271", "50", "502"}
#: placed codes that come with an employer (就业单位)
_WITH_EMPLOYER = {"10", "11", "12", "27", "271", "50", "502"}

_DEST_CATEGORIES = ("10", "11", "12", "27", "271", "46", "50", "502", "70", "71", "72", "75", "76",
                    "80", "801", "803", "85")


def _firm_names(n: int, suffixes: Sequence[str] = _FIRM_SUFFIX) -> list[str]:
    """Deterministic distinct synthetic firm names (the prefix 示例 marks them as invented).

    The suffix varies fastest, then a two-character stem; a number is added once
    the 256 stems are used up.
    """
    k1, k2, k3 = len(_FIRM_PREFIX), len(_FIRM_MID), len(suffixes)
    names = []
    for i in range(n):
        stem = i // k3
        a, b, rep = stem % k1, (stem // k1) % k2, stem // (k1 * k2)
        tag = "" if rep == 0 else str(rep + 1)
        names.append(f"示例{_FIRM_PREFIX[a]}{_FIRM_MID[b]}{tag}{suffixes[i % k3]}")
    return names


def _choice(rng: np.random.Generator, p: np.ndarray, n: int) -> np.ndarray:
    """Fast categorical draw (``rng.choice(len(p), n, p=p)`` without its per-call overhead)."""
    cdf = np.cumsum(p) / np.sum(p)
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(p) - 1)


def _cat(codes: np.ndarray, categories: Sequence[str]) -> pd.Categorical:
    """Categorical from integer codes (-1 = missing) with a fixed category list."""
    return pd.Categorical.from_codes(codes, categories=pd.Index(list(categories)))


def _nullable_bool(values: np.ndarray, mask: np.ndarray) -> pd.arrays.BooleanArray:
    """Nullable boolean; ``mask`` True means missing."""
    return pd.arrays.BooleanArray(values.astype(bool), mask.astype(bool))


# ----------------------------------------------------------------------------------------
# Shared outcome model (used by the panel, the college sample and simulate_graduates)
# ----------------------------------------------------------------------------------------


def _entry_z(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw entry scores; return (score, z) with z exactly linear in the recorded score."""
    lo = ndtr(-Z_MAX)
    z = ndtri(lo + (1 - 2 * lo) * rng.random(n))  # truncated normal by inversion
    score = np.rint(ENTRY_MEAN + ENTRY_SD * z)
    return score, (score - ENTRY_MEAN) / ENTRY_SD


def _draw_program(rng: np.random.Generator, z: np.ndarray, p_order: np.ndarray, p_named: np.ndarray,
                  p_app: np.ndarray) -> np.ndarray:
    """Program codes. Order classes select on entry score (logistic in z, slope 0.9).

    ``p_*`` are per-row shares at z = 0 (0 where the cohort has no such class).
    """
    u = rng.random(z.size)
    logit_base = np.log(np.maximum(p_order, 1e-12) / (1 - np.maximum(p_order, 1e-12)))
    po = np.where(p_order > 0, 1 / (1 + np.exp(-(logit_base + 0.9 * z))), 0.0)
    prog = np.full(z.size, _REG, dtype=np.int8)
    prog[u < po] = _ORD
    rest = (u >= po)
    u2 = (u - po) / np.maximum(1 - po, 1e-12)
    prog[rest & (u2 < p_named)] = _NAM
    prog[rest & (u2 >= p_named) & (u2 < p_named + p_app)] = _APP
    return prog


@dataclass
class _Outcomes:
    placed: np.ndarray
    dest: np.ndarray  # index into _DEST_CATEGORIES
    employed: np.ndarray
    has_employer: np.ndarray
    salary: np.ndarray  # NaN unless employed
    relevant: np.ndarray
    left: np.ndarray
    partner_job: np.ndarray


_DEST_INDEX = {c: i for i, c in enumerate(_DEST_CATEGORIES)}
_OLD_IDX = np.array([_DEST_INDEX[c] for c in _PLACED_CODES_OLD])
_NEW_IDX = np.array([_DEST_INDEX[c] for c in _PLACED_CODES_NEW])
_NOTP_IDX = np.array([_DEST_INDEX[c] for c in _NOT_PLACED_CODES])
_EMP_MASK = np.array([c in _EMPLOYED for c in _DEST_CATEGORIES])
_WITH_EMP_MASK = np.array([c in _WITH_EMPLOYER for c in _DEST_CATEGORIES])


def _draw_outcomes(
    rng: np.random.Generator,
    *,
    year: np.ndarray,
    z: np.ndarray,
    program: np.ndarray,
    post: np.ndarray,
    base_placed: np.ndarray,
    base_relevant: np.ndarray,
    base_left: np.ndarray,
    base_salary: np.ndarray,
    eff: dict[str, np.ndarray],
) -> _Outcomes:
    """Draw destination, salary, relevance and turnover for each graduate.

    All effects are additive; the caller guarantees that ``base`` ranges keep
    every probability inside (0.02, 0.99) (asserted here, never clipped).
    """
    n = z.size
    post = post.astype(float)

    def lin(outcome: str, base: np.ndarray) -> np.ndarray:
        e = eff[outcome]
        return base + e[program] + e[4] * post + e[5] * z

    p_place = lin("placed", base_placed)
    p_rel = lin("job_relevant", base_relevant)
    p_left = lin("left_within_6m", base_left)
    for name, p in (("placed", p_place), ("job_relevant", p_rel), ("left_within_6m", p_left)):
        if n and (p.min() <= P_MIN or p.max() >= P_MAX):
            raise ValueError(f"{name} probability outside ({P_MIN}, {P_MAX}): [{p.min():.3f}, {p.max():.3f}]; "
                             "choose smaller effects / 请减小效应值")
    placed = rng.random(n) < p_place
    new_codes = year >= 2022
    # destination among the placed: further study with a year-dependent share (independent of
    # programme, score and partnership, so no effect on who is employed), otherwise work codes
    further = rng.random(n) < further_study_share(year)
    pick = np.where(further, _FS_POS[_choice(rng, _FS_P, n)], _WORK_POS[_choice(rng, _WORK_P, n)])
    dest_placed = np.where(new_codes, _NEW_IDX[pick], _OLD_IDX[pick])
    dest_not = _NOTP_IDX[_choice(rng, _NOT_PLACED_P, n)]
    dest = np.where(placed, dest_placed, dest_not).astype(np.int8)
    employed = _EMP_MASK[dest]
    # salary: floor + base + effects + right-skewed lognormal noise (mean-constant,
    # so effects on the mean are exact). Median lands near 4,500 yuan.
    e = eff["monthly_salary"]
    noise = 2300.0 * np.exp(0.5 * rng.standard_normal(n))
    sal = base_salary + e[program] + e[4] * post + e[5] * z + noise
    sal = np.where(employed, np.round(sal, -1), np.nan)
    relevant = rng.random(n) < p_rel
    left = rng.random(n) < p_left
    # job at a partner firm: mostly for order classes/apprentices; descriptive, not a truth
    p_pj = np.array([0.12, 0.72, 0.45, 0.65])[program] + 0.08 * post
    has_employer = _WITH_EMP_MASK[dest]
    partner_job = has_employer & (rng.random(n) < p_pj)
    return _Outcomes(placed, dest, employed, has_employer, sal, relevant & employed, left & employed,
                     partner_job)


def _respond(rng: np.random.Generator, program: np.ndarray, placed: np.ndarray, base: float = 0.28,
             extra: float | np.ndarray = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Survey response: depends on program and outcome (+ ``extra``). Returns (responded, propensity)."""
    prop = base + np.array([0.0, 0.18, 0.10, 0.15])[program] + 0.20 * placed + extra
    return rng.random(program.size) < prop, prop


def _likert(rng: np.random.Generator, program: np.ndarray, placed: np.ndarray, relevant: np.ndarray,
            shift: float | np.ndarray = 0.0) -> np.ndarray:
    """Latent satisfaction -> score 1..5 (higher for placed, relevant jobs, cooperative programs)."""
    lat = (0.9 + shift + 0.6 * placed + 0.4 * relevant + np.array([0.0, 0.35, 0.2, 0.3])[program]
           + rng.standard_normal(program.size))
    return (np.digitize(lat, [-0.6, 0.1, 0.8, 1.9]) + 1).astype(np.int8)


# ----------------------------------------------------------------------------------------
# 0. Benchmark panel
# ----------------------------------------------------------------------------------------

_PANEL_MAJORS_PER_COLLEGE = 16


@dataclass(frozen=True)
class _PanelFrame:
    """Fixed structure of a panel (colleges, majors offered, partnerships, bases)."""

    colleges: list[str]
    college_w: np.ndarray
    offer: np.ndarray  # (n_colleges, k) indices into MAJOR_POOL
    start: np.ndarray  # (n_colleges, k) partnership start year, 0 = never
    p_order: np.ndarray  # (n_colleges, k)
    p_named: np.ndarray
    p_app: np.ndarray
    a_place: np.ndarray  # (n_colleges, k)
    a_rel: np.ndarray
    a_left: np.ndarray
    a_sal: np.ndarray
    partner_idx: np.ndarray  # (n_colleges, k, 4) firm index per program cohort
    firms: list[str]
    home: np.ndarray  # college home region index
    years: np.ndarray


def _panel_frame(seed: int, n_colleges: int, years: Sequence[int]) -> _PanelFrame:
    rng = np.random.default_rng([seed, 0xC0])
    k = min(_PANEL_MAJORS_PER_COLLEGE, len(MAJOR_POOL))
    offer = np.argsort(rng.random((n_colleges, len(MAJOR_POOL))), axis=1)[:, :k]
    yrs = np.asarray(list(years), dtype=int)
    cand = np.concatenate([[0, 0, 0], yrs[1:]])  # ~ some never; staggered otherwise
    start = rng.choice(cand, size=(n_colleges, k))
    has_order = rng.random((n_colleges, k)) < 0.45
    p_order = np.where(has_order, rng.uniform(0.12, 0.30, (n_colleges, k)), 0.0)
    p_named = np.where(rng.random((n_colleges, k)) < 0.25, 0.08, 0.0)
    p_app = np.where(rng.random((n_colleges, k)) < 0.20, 0.10, 0.0)
    n_firms = 4 * n_colleges * k
    firms = _firm_names(n_firms)
    partner_idx = rng.permutation(n_firms).reshape(n_colleges, k, 4)
    home = rng.integers(0, len(_REGIONS), n_colleges)
    colleges = [f"示例职业技术学院{i + 1:04d}" for i in range(n_colleges)]
    return _PanelFrame(
        colleges=colleges,
        college_w=(w := rng.lognormal(0, 0.5, n_colleges)) / w.sum(),
        offer=offer,
        start=start,
        p_order=p_order,
        p_named=p_named,
        p_app=p_app,
        # bases chosen so that every probability stays in (P_MIN, P_MAX) (asserted in _draw_outcomes)
        a_place=rng.uniform(0.885, 0.91, (n_colleges, k)),
        a_rel=rng.uniform(0.55, 0.65, (n_colleges, k)),
        a_left=rng.uniform(0.25, 0.33, (n_colleges, k)),
        a_sal=rng.uniform(1500, 2500, (n_colleges, k)),
        partner_idx=partner_idx,
        firms=firms,
        home=home,
        years=yrs,
    )


def _year_shifts(years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Common year effects (parallel trends): placement dip in 2020, salary growth ~3 %/yr."""
    place = np.where(years == 2020, -0.02, np.where(years == 2022, -0.01, 0.0)) + 0.002 * (years % 5)
    sal = 90.0 * (years - 2015)
    return place, sal


def generate_panel_chunks(
    n_rows: int,
    *,
    chunk_rows: int = 2_000_000,
    seed: int = 0,
    n_colleges: int = 300,
    years: Sequence[int] = range(2015, 2025),
) -> Iterator[pd.DataFrame]:
    """Yield a large synthetic graduate panel in chunks (for Parquet benchmarks).

    Each chunk is an independent draw seeded by ``(seed, chunk number)`` with
    the same categories, colleges, majors and partnership years, so chunks
    concatenate into one panel and can be written to Parquet one by one without
    holding the whole panel in memory. The data depend on ``(n_rows, seed,
    chunk_rows, n_colleges, years)``.

    Parameters
    ----------
    n_rows : int
        Total rows over all chunks.
    chunk_rows : int
        Rows per chunk (the last chunk may be shorter).
    seed : int
        Seed of the numpy Generator.
    n_colleges : int
        Number of colleges; each offers 16 of the 32 majors in :data:`MAJOR_POOL`.
    years : sequence of int
        Graduation years (uniform).

    Yields
    ------
    pandas.DataFrame
        Columns as :func:`generate_panel`; ``student_id`` is unique over the panel.

    Examples
    --------
    >>> chunks = list(generate_panel_chunks(25_000, chunk_rows=10_000, seed=3))
    >>> [len(c) for c in chunks]
    [10000, 10000, 5000]
    >>> chunks[0]["student_id"].iloc[0], chunks[1]["student_id"].iloc[0]
    (np.int64(1), np.int64(10001))
    """
    if n_rows < 0 or chunk_rows <= 0:
        raise ValueError("n_rows 须非负、chunk_rows 须为正 / n_rows must be >= 0 and chunk_rows > 0")
    frame = _panel_frame(seed, n_colleges, years)
    eff = _effect_vectors(TRUE_EFFECTS)
    done, i = 0, 0
    while done < n_rows:
        n = min(chunk_rows, n_rows - done)
        yield _panel_chunk(frame, eff, np.random.default_rng([seed, 1, i]), n, first_id=done + 1)
        done += n
        i += 1


def generate_panel(
    n_rows: int,
    *,
    seed: int = 0,
    n_colleges: int = 300,
    years: Sequence[int] = range(2015, 2025),
    chunk_rows: int = 2_000_000,
) -> pd.DataFrame:
    """A large synthetic multi-college graduate panel in compact dtypes.

    Columns are the canonical ``graduates`` columns (:data:`coopmetrics.schema.TABLES`,
    personal-data columns excluded) plus ``survey_score`` (``Int8`` 1–5, NA for
    non-respondents; about 40–45 % respond, more often when placed and in
    cooperative programs) and ``survey_weight`` (``float32`` inverse response
    propensity, NA for non-respondents). Dtypes: ``category`` for text columns,
    ``int16`` grad_year, ``float32`` entry_score/monthly_salary, nullable
    ``boolean`` flags, ``int64`` student_id. Outcomes follow the same model and
    :data:`TRUE_EFFECTS` as the college sample; each (college, major) has its
    own partnership start year (some never).

    Equivalent to concatenating :func:`generate_panel_chunks`. 10 million rows
    take a few seconds and about 0.5 GB.

    Examples
    --------
    >>> df = generate_panel(1_000, seed=0, n_colleges=5)
    >>> df["college"].nunique() <= 5, df["program"].dtype.name
    (True, 'category')
    >>> sorted(df.columns[:4])
    ['college', 'department', 'grad_year', 'student_id']
    """
    chunks = list(generate_panel_chunks(n_rows, chunk_rows=chunk_rows, seed=seed, n_colleges=n_colleges,
                                        years=years))
    if not chunks:
        return _panel_chunk(_panel_frame(seed, n_colleges, years), _effect_vectors(TRUE_EFFECTS),
                            np.random.default_rng([seed, 1, 0]), 0, first_id=1)
    if len(chunks) == 1:
        return chunks[0]
    return pd.concat(chunks, ignore_index=True)


_PANEL_ORDER = [
    "student_id", "grad_year", "college", "department", "major", "major_code", "program", "partner",
    "gender", "admission", "entry_score", "destination_code", "destination", "employer", "employer_type",
    "employer_region", "employer_is_partner", "local_job", "west_northeast_job", "sme_job", "top500_job",
    "monthly_salary", "job_relevant", "left_within_6m", "certificate", "cert_1x", "survey_score", "survey_weight",
]


def _panel_chunk(fr: _PanelFrame, eff: dict[str, np.ndarray], rng: np.random.Generator, n: int,
                 first_id: int) -> pd.DataFrame:
    from ..codes import DESTINATION_CODES

    nc, k = fr.offer.shape
    col = _choice(rng, fr.college_w, n).astype(np.int32)
    slot = rng.integers(0, k, n)
    year = fr.years[rng.integers(0, fr.years.size, n)]
    major = fr.offer[col, slot]
    score, z = _entry_z(rng, n)
    program = _draw_program(rng, z, fr.p_order[col, slot], fr.p_named[col, slot], fr.p_app[col, slot])
    start = fr.start[col, slot]
    post = (start > 0) & (year >= start)
    yplace, ysal = _year_shifts(year)
    out = _draw_outcomes(
        rng, year=year, z=z, program=program, post=post,
        base_placed=fr.a_place[col, slot] + yplace,
        base_relevant=fr.a_rel[col, slot],
        base_left=fr.a_left[col, slot],
        base_salary=fr.a_sal[col, slot] + ysal,
        eff=eff,
    )
    # partner firm of the cohort (NA for regular classes)
    partner = np.where(program == _REG, -1, fr.partner_idx[col, slot, program])
    n_firms = len(fr.firms)
    other_firm = rng.integers(0, n_firms, n)
    emp_firm = np.where(out.partner_job, fr.partner_idx[col, slot, np.maximum(program, 1)], other_firm)
    emp_firm = np.where(out.has_employer, emp_firm, -1)
    # 60 % work in the college's home province, the rest anywhere else
    n_reg = len(_REGIONS)
    region = np.where(rng.random(n) < 0.6, fr.home[col],
                      (fr.home[col] + 1 + rng.integers(0, n_reg - 1, n)) % n_reg)
    emp_type = _choice(rng, _EMPLOYER_TYPE_P, n)
    responded, prop = _respond(rng, program, out.placed)
    score5 = _likert(rng, program, out.placed, out.relevant)
    miss = ~out.employed
    no_emp = ~out.has_employer
    west = np.isin(np.asarray(_REGIONS)[region], list(_WEST_NE))
    departments = sorted({d for _, _, d in MAJOR_POOL})
    dep_idx = np.array([departments.index(d) for _, _, d in MAJOR_POOL])
    df = pd.DataFrame({
        "student_id": np.arange(first_id, first_id + n, dtype=np.int64),
        "grad_year": year.astype(np.int16),
        "college": _cat(col, fr.colleges),
        "department": _cat(dep_idx[major], departments),
        "major": _cat(major, [m for _, m, _ in MAJOR_POOL]),
        "major_code": _cat(major, [c for c, _, _ in MAJOR_POOL]),
        "program": _cat(program, _PROGRAMS),
        "partner": _cat(partner, fr.firms),
        "gender": _cat((rng.random(n) < 0.42).astype(np.int8), ("male", "female")),
        "admission": _cat(_choice(rng, _ADMISSION_P, n), _ADMISSIONS),
        "entry_score": score.astype(np.float32),
        "destination_code": _cat(out.dest, _DEST_CATEGORIES),
        "destination": _cat(out.dest, [DESTINATION_CODES[c] for c in _DEST_CATEGORIES]),
        "employer": _cat(emp_firm, fr.firms),
        "employer_type": _cat(np.where(no_emp, -1, emp_type), _EMPLOYER_TYPES),
        "employer_region": _cat(np.where(miss, -1, region), _REGIONS),
        "employer_is_partner": _nullable_bool(out.partner_job, no_emp),
        "local_job": _nullable_bool(region == fr.home[col], miss),
        "west_northeast_job": _nullable_bool(west, miss),
        "sme_job": _nullable_bool(rng.random(n) < 0.62, miss),
        "top500_job": _nullable_bool(rng.random(n) < 0.08, miss),
        "monthly_salary": out.salary.astype(np.float32),
        "job_relevant": _nullable_bool(out.relevant, miss),
        "left_within_6m": _nullable_bool(out.left, miss),
        "survey_score": pd.arrays.IntegerArray(score5, ~responded),
        "survey_weight": np.where(responded, 1.0 / prop, np.nan).astype(np.float32),
    })
    # issue 14 certificates: drawn last so every other column keeps its draws
    df["certificate"] = _nullable_bool(rng.random(n) < 0.78, np.zeros(n, bool))
    df["cert_1x"] = _nullable_bool(rng.random(n) < 0.31, np.zeros(n, bool))
    return df[_PANEL_ORDER]


# ----------------------------------------------------------------------------------------
# 1. One synthetic college (江南示例职业技术学院)
# ----------------------------------------------------------------------------------------

COLLEGE = "江南示例职业技术学院"
_HOME_REGION = "江苏"


@dataclass(frozen=True, slots=True)
class _Major:
    code: str
    name: str
    department: str
    size: int  # graduates a year (before year growth and Poisson noise)
    p_order: float  # order-class share at mean entry score (0 = no order class)
    p_named: float
    p_app: float
    start: int | None  # partnership (产业学院) start year; None = never
    female: float
    a_place: float  # major base of P(placed)
    a_rel: float
    a_left: float
    a_sal: float  # major base of salary (yuan, before noise)


#: The college's 12 majors in 5 departments. Programme shares are constant over
#: the years (so the partnership does not change programme composition).
MAJORS: tuple[_Major, ...] = (
    _Major("460103", "数控技术", "智能制造学院", 190, 0.10, 0.0, 0.0, 2021, 0.08, 0.905, 0.60, 0.28, 1600),
    _Major("460301", "机电一体化技术", "智能制造学院", 230, 0.12, 0.0, 0.08, 2022, 0.10, 0.910, 0.62, 0.27, 1650),
    _Major("460305", "工业机器人技术", "智能制造学院", 150, 0.10, 0.0, 0.0, None, 0.12, 0.900, 0.60, 0.28, 1750),
    _Major("500211", "汽车检测与维修技术", "汽车工程学院", 180, 0.12, 0.06, 0.0, 2021, 0.06, 0.895, 0.58, 0.30, 1500),
    _Major("460702", "新能源汽车技术", "汽车工程学院", 160, 0.0, 0.08, 0.07, 2022, 0.10, 0.905, 0.62, 0.27, 1800),
    _Major("510201", "计算机应用技术", "信息工程学院", 210, 0.08, 0.0, 0.0, None, 0.30, 0.890, 0.56, 0.31, 1900),
    _Major("510203", "软件技术", "信息工程学院", 170, 0.10, 0.0, 0.0, 2021, 0.28, 0.895, 0.58, 0.30, 2000),
    _Major("510205", "大数据技术", "信息工程学院", 120, 0.0, 0.08, 0.0, 2022, 0.35, 0.890, 0.57, 0.30, 1950),
    _Major("530302", "大数据与会计", "经济管理学院", 240, 0.0, 0.0, 0.0, None, 0.78, 0.900, 0.64, 0.26, 1300),
    _Major("530701", "电子商务", "经济管理学院", 150, 0.10, 0.0, 0.0, 2022, 0.60, 0.890, 0.55, 0.32, 1450),
    _Major("530802", "现代物流管理", "经济管理学院", 110, 0.0, 0.0, 0.08, None, 0.45, 0.895, 0.56, 0.31, 1350),
    _Major("540106", "酒店管理与数字化运营", "文旅学院", 80, 0.15, 0.0, 0.0, 2021, 0.65, 0.885, 0.55, 0.33, 1200),
)

#: Partnership (产业学院 co-built with a lead firm) start year per major; None = never.
#: From that year on, the major's graduates get the ``*_partnership`` effects.
PARTNERSHIP_START: dict[str, int | None] = {m.name: m.start for m in MAJORS}

_YEAR_GROWTH = {2019: 0.98, 2020: 0.99, 2021: 1.0, 2022: 1.0, 2023: 1.01, 2024: 1.02}
_MAJOR_IDX = {m.name: i for i, m in enumerate(MAJORS)}
_DEPARTMENTS = tuple(dict.fromkeys(m.department for m in MAJORS))
_DEPT_SUFFIXES = {
    "智能制造学院": ("智能装备有限公司", "精密机械有限公司", "自动化科技有限公司"),
    "汽车工程学院": ("汽车零部件有限公司", "汽车销售服务有限公司", "新能源汽车有限公司"),
    "信息工程学院": ("信息技术有限公司", "软件有限公司", "数字科技有限公司"),
    "经济管理学院": ("财务咨询有限公司", "电子商务有限公司", "供应链管理有限公司"),
    "文旅学院": ("酒店管理有限公司", "大酒店有限公司", "旅游发展有限公司"),
}
_GENERIC_SUFFIXES = ("科技有限公司", "实业有限公司", "贸易有限公司", "建设集团有限公司", "服务有限公司")


def _major_arrays() -> dict[str, np.ndarray]:
    return {f: np.array([getattr(m, f) for m in MAJORS]) for f in
            ("size", "p_order", "p_named", "p_app", "female", "a_place", "a_rel", "a_left", "a_sal")} | {
        "start": np.array([m.start or 0 for m in MAJORS])}


def _resolve_effects(effects: dict[str, float] | None) -> dict[str, TrueEffect]:
    if not effects:
        return TRUE_EFFECTS
    unknown = sorted(set(effects) - set(TRUE_EFFECTS))
    if unknown:
        raise KeyError(f"未知的效应 / unknown effect(s) {unknown}; known: {sorted(TRUE_EFFECTS)}")
    out = dict(TRUE_EFFECTS)
    for key, value in effects.items():
        e = TRUE_EFFECTS[key]
        out[key] = TrueEffect(e.outcome, e.treatment, float(value), e.scale, e.population)
    return out


def _graduate_core(rng: np.random.Generator, major: np.ndarray, year: np.ndarray,
                   effects: dict[str, TrueEffect]) -> dict[str, np.ndarray]:
    """Draw the graduates of the college (arrays; row i in ``major[i]``, ``year[i]``)."""
    ma = _major_arrays()
    n = major.size
    score, z = _entry_z(rng, n)
    program = _draw_program(rng, z, ma["p_order"][major], ma["p_named"][major], ma["p_app"][major])
    start = ma["start"][major]
    post = (start > 0) & (year >= start)
    yplace, ysal = _year_shifts(year)
    out = _draw_outcomes(
        rng, year=year, z=z, program=program, post=post,
        base_placed=ma["a_place"][major] + yplace, base_relevant=ma["a_rel"][major],
        base_left=ma["a_left"][major], base_salary=ma["a_sal"][major] + ysal,
        eff=_effect_vectors(effects),
    )
    female = rng.random(n) < ma["female"][major]
    return {"major": major, "year": year, "score": score, "z": z, "program": program, "start": start,
            "post": post, "female": female, "out": out}


def simulate_graduates(
    n: int = 2000,
    *,
    seed: int | np.random.Generator | None = 0,
    effects: dict[str, float] | None = None,
    years: Sequence[int] = range(2019, 2025),
) -> pd.DataFrame:
    """Fast graduates-only draw from the sample college's model (for coverage simulations).

    Rows are spread over the 12 majors (by size) and ``years`` (uniformly); the
    outcome model and truth are those of :func:`generate` and
    :data:`TRUE_EFFECTS`. A few thousand rows take a few milliseconds.

    Parameters
    ----------
    n : int
        Number of graduates.
    seed : int or numpy.random.Generator
        Seed (or a Generator to continue drawing from).
    effects : dict, optional
        Overrides of :data:`TRUE_EFFECTS` values by key, e.g.
        ``{"placed_order_class": 0.0}`` for a null effect. Effects that would
        push a probability outside (0.02, 0.99) raise ``ValueError``.
    years : sequence of int
        Graduation years.

    Returns
    -------
    pandas.DataFrame
        ``student_id, grad_year, department, major, program, gender, entry_score,
        partnership_start, post_partnership, placed, destination_code,
        employed, monthly_salary, job_relevant, left_within_6m``. ``placed`` is
        the placement indicator (same under ``moe_2021``, ``moe_2024`` and
        ``legacy``); ``employed`` marks graduates with salary/relevance/turnover.

    Examples
    --------
    >>> df = simulate_graduates(3000, seed=1)
    >>> len(df), df["placed"].dtype.name
    (3000, 'bool')
    >>> null = simulate_graduates(3000, seed=1, effects={"placed_order_class": 0.0})
    >>> bool((null["program"] == df["program"]).all())  # same draw, only the effect differs
    True
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    eff = _resolve_effects(effects)
    ma = _major_arrays()
    yrs = np.asarray(list(years), dtype=int)
    major = _choice(rng, ma["size"].astype(float), n)
    year = yrs[rng.integers(0, yrs.size, n)]
    g = _graduate_core(rng, major, year, eff)
    out = g["out"]
    names = [m.name for m in MAJORS]
    start = g["start"]
    return pd.DataFrame({
        "student_id": np.arange(1, n + 1).astype(str),
        "grad_year": year,
        "department": _cat(np.array([_DEPARTMENTS.index(m.department) for m in MAJORS])[major], _DEPARTMENTS),
        "major": _cat(major, names),
        "program": _cat(g["program"], _PROGRAMS),
        "gender": _cat(g["female"].astype(np.int8), ("male", "female")),
        "entry_score": g["score"],
        "partnership_start": pd.arrays.IntegerArray(start.astype(np.int64), start == 0),
        "post_partnership": g["post"],
        "placed": out.placed,
        "destination_code": np.asarray(_DEST_CATEGORIES, dtype=object)[out.dest],
        "employed": out.employed,
        "monthly_salary": out.salary,
        "job_relevant": _nullable_bool(out.relevant, ~out.employed),
        "left_within_6m": _nullable_bool(out.left, ~out.employed),
    })


# --- the full college ---------------------------------------------------------------

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


@dataclass
class _Build:
    tables: dict[str, pd.DataFrame]
    truth: pd.DataFrame


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


def _build(seed: int, years: Sequence[int]) -> _Build:
    rng = np.random.default_rng(seed)
    yrs = np.asarray(list(years), dtype=int)
    ma = _major_arrays()
    growth = np.array([_YEAR_GROWTH.get(int(y), 1.0) for y in yrs])
    counts = rng.poisson(np.outer(growth, ma["size"]))  # (years, majors)
    year = np.repeat(np.repeat(yrs, len(MAJORS)), counts.ravel())
    major = np.repeat(np.tile(np.arange(len(MAJORS)), yrs.size), counts.ravel())
    n = year.size
    g = _graduate_core(rng, major, year, TRUE_EFFECTS)
    out, program = g["out"], g["program"]
    seq = pd.Series(np.ones(n, dtype=int)).groupby([year, major]).cumsum().to_numpy()
    student_id = pd.Series(year - 3).astype(str) + pd.Series(major + 1).map("{:02d}".format) + \
        pd.Series(seq).map("{:04d}".format)
    student_id = student_id.to_numpy(dtype=object)

    # --- firms, cohort partners and employers ---------------------------------------------
    firms = _firm_table(rng, yrs)
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
    type_all = np.concatenate([firms["employer_type"].to_numpy(dtype=object),
                               np.array(_EMPLOYER_TYPES, dtype=object)[gen_type]])
    reg_all = np.concatenate([firms["region"].to_numpy(dtype=object),
                              np.array(_REGIONS, dtype=object)[gen_region]])
    sme_all = np.concatenate([firms["sme"].to_numpy(), gen_sme])
    top_all = np.concatenate([firms["top500"].to_numpy(), gen_top])
    has = emp_idx >= 0
    safe = np.maximum(emp_idx, 0)
    # self-employed / freelance graduates work locally in 80 % of cases
    own_region = np.where(rng.random(n) < 0.8, _HOME_REGION, np.array(_REGIONS, dtype=object)[
        rng.integers(0, len(_REGIONS), n)])
    region = np.where(has, reg_all[safe], np.where(out.employed, own_region, None))
    emp_mask = ~out.employed
    west = np.isin(region.astype(str), list(_WEST_NE))
    codes = np.asarray(_DEST_CATEGORIES, dtype=object)[out.dest]
    from ..codes import DESTINATION_CODES
    dept_of = np.array([m.department for m in MAJORS], dtype=object)
    graduates = pd.DataFrame({
        "student_id": pd.array(student_id, dtype="str"),
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
        "employer_type": np.where(has, type_all[safe], None),
        "employer_region": region,
        "employer_is_partner": _nullable_bool(pj & has, ~has),
        "local_job": _nullable_bool(region == _HOME_REGION, emp_mask),
        "west_northeast_job": _nullable_bool(west, emp_mask),
        "sme_job": _nullable_bool(np.where(has, sme_all[safe], rng.random(n) < 0.9), emp_mask),
        "top500_job": _nullable_bool(has & top_all[safe], emp_mask),
        "monthly_salary": out.salary,
        "job_relevant": _nullable_bool(out.relevant, emp_mask),
        "left_within_6m": _nullable_bool(out.left, emp_mask),
    })
    for c in ("college", "department", "major", "major_code", "program", "partner", "gender", "admission",
              "destination_code", "destination", "employer", "employer_type", "employer_region"):
        graduates[c] = graduates[c].astype("str")

    # --- internships ------------------------------------------------------------------------
    has_intern = rng.random(n) < 0.95
    to_partner = np.where(program != _REG, rng.random(n) < 0.9, rng.random(n) < 0.65)
    host_partner = np.where(program != _REG, cpart, any_partner)
    host = np.where(to_partner & (host_partner >= 0), host_partner, len(firms) + _choice(rng, gen_w, n))
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
        "enterprise": pd.array(all_names[h], dtype="str"),
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

    # --- teachers -----------------------------------------------------------------------------
    teachers, pt_firm = _teachers(rng, yrs, firms)

    # --- enterprises ledger --------------------------------------------------------------------
    enterprises = _ledger(rng, yrs, firms, fid, act_f, act_y, h, year[ii], emp_idx, year, cpart, program,
                          teachers, pt_firm)

    # --- enrollment ---------------------------------------------------------------------------------
    ey = np.repeat(yrs, len(MAJORS))
    em = np.tile(np.arange(len(MAJORS)), yrs.size)
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
    recruitment = _recruitment(rng_x, yrs, firms)

    # --- survey ---------------------------------------------------------------------------------------
    survey, truth = _survey(rng, graduates, out, program, major, g["female"], has_intern, emp_idx, all_names, firms, student_id)
    tables = {"graduates": graduates, "survey": survey, "teachers": teachers, "enterprises": enterprises,
              "internships": internships, "enrollment": enrollment, "recruitment": recruitment}
    tables["internships"] = _plant_partner_quality(tables, seed)  # issue 13: planted partner quality
    tables.update(_mechanism_tables(seed, yrs, tables))  # issue 14: mechanism tables and columns
    return _Build(tables, truth)


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


# ----------------------------------------------------------------------------------------
# 3. Files as a college exports them
# ----------------------------------------------------------------------------------------

#: The folder of the committed sample files (repo path ``data/sample`` links here).
SAMPLE_DIR: Path = Path(str(resources.files("coopmetrics") / "data" / "sample"))

#: Output file name (without .csv) of each table; the survey is one wide file per kind.
SAMPLE_FILES: dict[str, str] = {
    "graduates": "毕业生", "teachers": "教师", "enterprises": "合作企业", "internships": "岗位实习",
    "enrollment": "在校生", "recruitment": "招聘岗位",
}
_ZH_PROGRAM = {"regular": "普通班", "order_class": "订单班", "named_class": "冠名班", "apprenticeship": "现代学徒制"}
_ZH_GENDER = {"male": "男", "female": "女"}
_ZH_TEACHER = {"full_time": "专任", "internal_part_time": "校内兼课", "enterprise_part_time": "企业兼职",
               "external_part_time": "校外兼课"}
_ZH_LEVEL = {"senior": "高级", "intermediate": "中级", "junior": "初级", "none": "无"}


def _export_frame(table: str, df: pd.DataFrame) -> pd.DataFrame:
    """Canonical frame -> the frame a college exports: Chinese headers and values, 是/否."""
    from ..schema import TABLES

    t = TABLES[table]
    out = {}
    for col in t.columns:
        if col.pii or col.name not in df.columns:
            continue
        s = df[col.name]
        if col.kind == "bool":
            s = s.map({True: "是", False: "否"}).astype(object).where(s.notna(), None)
        elif col.name == "program":
            s = s.map(_ZH_PROGRAM)
        elif col.name == "gender":
            s = s.map(_ZH_GENDER)
        elif table == "teachers" and col.name == "category":
            s = s.map(_ZH_TEACHER)
        elif col.name in ("title_level", "dual_level"):
            s = s.map(_ZH_LEVEL)
        elif col.kind == "category" and col.name in _ZH_MECH:  # issue 14 vocabularies, as exported
            s = s.map(_ZH_MECH[col.name])
        elif col.kind == "date":
            s = pd.to_datetime(s).dt.strftime("%Y-%m-%d")
        out[col.zh] = s
    return pd.DataFrame(out)


def _to_csv(df: pd.DataFrame, path: Path, encoding: str = "utf-8") -> None:
    text = df.to_csv(index=False, lineterminator="\n", float_format="%.10g")
    path.write_bytes(text.encode(encoding))


def _survey_wide(survey: pd.DataFrame, kind: str) -> pd.DataFrame:
    """One survey kind as the wide export of a survey tool (one column per item, text answers)."""
    s = survey[survey["survey_kind"] == kind]
    items = [i for i, _ in _SURVEY_ITEMS[kind]]
    who = "employer" if kind == "employer" else "student_id"
    wide = s.pivot(index=["respondent_id", who, "year"], columns="item", values="response")
    wide = wide.reindex(columns=items).reset_index()
    wide = wide.sort_values(["year", "respondent_id"], ignore_index=True)
    zh = {"respondent_id": "答卷编号", "student_id": "学号", "employer": "单位名称", "year": "年份"}
    return wide.rename(columns=zh).rename_axis(columns=None)


@dataclass(frozen=True, slots=True)
class BadRow:
    """A deliberately bad row of the messy export, as the user sees it in Excel."""

    excel_row: int
    student_id: str
    column: str
    value: str
    problem: str


MESSY_FILE = "毕业生.csv"
MESSY_TITLE = f"{COLLEGE}2024届毕业生毕业去向登记表"


def _excel_number(code: str, rng_u: float) -> str:
    """Render a code as Excel may have mangled it: ``10.0`` or ``1.0E+1`` (or unchanged)."""
    if rng_u < 0.45:
        return code
    if rng_u < 0.8:
        return f"{code}.0"
    digits = code.rstrip("0") or "0"
    mant = digits[0] + "." + (digits[1:] or "0")
    return f"{mant}E+{len(code) - 1}"


def _messy(tables: dict[str, pd.DataFrame], seed: int) -> tuple[pd.DataFrame, list[BadRow]]:
    rng = np.random.default_rng([seed, 7])
    g = tables["graduates"]
    g = g[g["grad_year"] == 2024].reset_index(drop=True)
    n = len(g)
    sid = g["student_id"].to_numpy(dtype=object)
    sid_shown = np.where(rng.random(n) < 0.3, np.char.add(sid.astype(str), ".0"), sid)
    u = rng.random(n)
    codes = np.array([_excel_number(c, x) for c, x in zip(g["destination_code"], u, strict=True)], dtype=object)
    fw = str.maketrans("0123456789", "０１２３４５６７８９")
    major_code = g["major_code"].to_numpy(dtype=object).copy()
    k = rng.random(n) < 0.05
    major_code[k] = [c.translate(fw) for c in major_code[k]]
    major = g["major"].to_numpy(dtype=object).copy()
    k = rng.random(n) < 0.06
    major[k] = [" " + m + " " for m in major[k]]
    gender = g["gender"].map(_ZH_GENDER).to_numpy(dtype=object)
    k = rng.random(n) < 0.04
    gender[k] = [x + "　" for x in gender[k]]  # trailing full-width space
    program = g["program"].map(_ZH_PROGRAM).to_numpy(dtype=object)
    # clearly synthetic personal data: 示例 names, region code 999999, phones starting 100
    birth = np.datetime64("2003-01-01") + rng.integers(0, 3 * 365, n)
    bstr = pd.to_datetime(birth).strftime("%Y%m%d").to_numpy(dtype=object)
    idcard = [f"999999{b}{i % 1000:03d}X" for i, b in enumerate(bstr)]
    phone = [f"100{i:08d}" for i in range(1, n + 1)]
    names = [f"示例学生{i:04d}" for i in range(1, n + 1)]

    def yn(s: pd.Series) -> np.ndarray:
        return s.map({True: "是", False: "否"}).astype(object).where(s.notna(), None).to_numpy(dtype=object)

    sal = g["monthly_salary"].to_numpy()
    df = pd.DataFrame({
        "学号": sid_shown,
        "姓名": names,
        "身份证号": idcard,
        "手机号码": phone,
        "性别": gender,
        "二级学院": g["department"].to_numpy(dtype=object),
        "专业名称": major,
        "专业代码": major_code,
        "培养模式": program,
        "合作企业": g["partner"].to_numpy(dtype=object),
        "招生类型": g["admission"].to_numpy(dtype=object),
        "入学成绩": g["entry_score"].map("{:.1f}".format).to_numpy(dtype=object),
        "毕业去向代码": codes,
        "毕业去向": g["destination"].to_numpy(dtype=object),
        "就业单位": g["employer"].to_numpy(dtype=object),
        "单位性质": g["employer_type"].to_numpy(dtype=object),
        "就业地区": g["employer_region"].to_numpy(dtype=object),
        "月收入（元）": np.where(np.isnan(sal), None, pd.Series(sal).map("{:.0f}".format).to_numpy(dtype=object)),
        "专业相关": yn(g["job_relevant"]),
        "半年内离职": yn(g["left_within_6m"]),
    })
    # three deliberately bad rows ---------------------------------------------------------------
    employed = np.flatnonzero(~np.isnan(sal))
    r_code, r_sal = (int(x) for x in rng.choice(employed, 2, replace=False))
    df.loc[r_code, "毕业去向代码"] = "99"
    df.loc[r_sal, "月收入（元）"] = "-" + str(df.loc[r_sal, "月收入（元）"])
    r_src = int(rng.integers(0, n // 2))
    r_dup = int(rng.integers(n // 2, n))  # inserted before this row: a second record for the same student
    dup = df.iloc[[r_src]].copy()
    dup["学号"] = sid[r_src]
    df = pd.concat([df.iloc[:r_dup], dup, df.iloc[r_dup:]], ignore_index=True)
    shift = lambda r: r + (1 if r >= r_dup else 0)  # noqa: E731 - positions after the insertion
    excel = lambda r: r + 4  # noqa: E731 - title row, blank row, header row, then data
    bad = [
        BadRow(excel(shift(r_code)), str(sid[r_code]), "毕业去向代码", "99",
               "未知毕业去向代码 / unknown destination code"),
        BadRow(excel(r_dup), str(sid[r_src]), "学号", str(sid[r_src]),
               f"学号重复（与第{excel(r_src)}行相同） / duplicate student ID (same as Excel row {excel(r_src)})"),
        BadRow(excel(shift(r_sal)), str(sid[r_sal]), "月收入（元）", str(df.loc[shift(r_sal), "月收入（元）"]),
               "月收入为负数 / negative monthly salary"),
    ]
    return df, sorted(bad, key=lambda b: b.excel_row)


def write_messy_export(directory: str | Path | None = None, *, seed: int = 2024) -> tuple[Path, list[BadRow]]:
    """Write the 2024 graduates in the messy form staff actually export.

    A GBK-encoded CSV (``毕业生.csv``) with a title row and a blank row above the
    Chinese header row, personal-data columns (clearly synthetic: 示例学生0001,
    ID numbers starting 999999, phones starting 100), destination codes and
    student IDs as Excel mangles them (``10.0``, ``1.0E+1``, ``2021010001.0``),
    full-width characters and stray spaces, a ``月收入（元）`` header, and exactly
    three bad rows (unknown code 99, a duplicate student ID, a negative salary).

    Parameters
    ----------
    directory : path, optional
        Target folder (created); default ``SAMPLE_DIR / "messy"``.
    seed : int
        Seed of the sample (the same as :func:`generate`).

    Returns
    -------
    (path, bad_rows)
        The file written and the three :class:`BadRow` records with Excel row numbers.

    Examples
    --------
    >>> import tempfile
    >>> path, bad = write_messy_export(tempfile.mkdtemp())
    >>> sorted(b.column for b in bad)
    ['学号', '月收入（元）', '毕业去向代码']
    >>> path.read_bytes().decode("gbk").splitlines()[0].rstrip(",")
    '江南示例职业技术学院2024届毕业生毕业去向登记表'
    """
    return _write_messy(_build(seed, range(2019, 2025)), directory, seed)


def _write_messy(b: _Build, directory: str | Path | None, seed: int) -> tuple[Path, list[BadRow]]:
    directory = Path(directory) if directory is not None else SAMPLE_DIR / "messy"
    directory.mkdir(parents=True, exist_ok=True)
    df, bad = _messy(b.tables, seed)
    body = df.to_csv(index=False, lineterminator="\n")
    text = MESSY_TITLE + "," * (df.shape[1] - 1) + "\n" + "," * (df.shape[1] - 1) + "\n" + body
    path = directory / MESSY_FILE
    path.write_bytes(text.encode("gbk"))
    return path, bad


def write_sample(directory: str | Path | None = None, *, seed: int = 2024) -> list[Path]:
    """Write the sample as a college exports it: one UTF-8 CSV per table with Chinese headers.

    Files: 毕业生.csv, 教师.csv, 合作企业.csv, 岗位实习.csv, 在校生.csv and one wide
    survey file per kind (实习满意度调查.csv, 就业满意度调查.csv, 母校满意度调查.csv,
    雇主满意度调查.csv; one column per item, text answers), plus ``messy/毕业生.csv``
    (:func:`write_messy_export`) and ``README.md`` documenting the truth.
    Deterministic in ``seed``.

    Parameters
    ----------
    directory : path, optional
        Target folder (created); default :data:`SAMPLE_DIR`.
    seed : int
        Seed passed to :func:`generate`.

    Returns
    -------
    list of Path
        The files written.

    Examples
    --------
    >>> import tempfile
    >>> paths = write_sample(tempfile.mkdtemp())
    >>> sorted(p.name for p in paths)[:4]
    ['README.md', '合作企业.csv', '合作协议.csv', '在校生.csv']
    """
    from ..schema import SURVEY_KINDS

    directory = Path(directory) if directory is not None else SAMPLE_DIR
    directory.mkdir(parents=True, exist_ok=True)
    b = _build(seed, range(2019, 2025))
    paths = []
    for table, stem in SAMPLE_FILES.items():
        p = directory / f"{stem}.csv"
        _to_csv(_export_frame(table, b.tables[table]), p)
        paths.append(p)
    for kind in SURVEY_KIND_ORDER:
        p = directory / f"{SURVEY_KINDS[kind]}.csv"
        _to_csv(_survey_wide(b.tables["survey"], kind), p)
        paths.append(p)
    messy_path, bad = _write_messy(b, directory / "messy", seed)
    paths.append(messy_path)
    readme = directory / "README.md"
    readme.write_text(_readme(b, bad, seed), encoding="utf-8")
    paths.append(readme)
    return paths


def load_sample(**kwargs: object) -> Dataset:
    """Load the committed sample files with :func:`coopmetrics.load` (as a user would).

    Examples
    --------
    >>> ds = load_sample()  # doctest: +SKIP
    >>> ds.tables  # doctest: +SKIP
    ['graduates', 'survey', 'teachers', 'enterprises', 'internships', 'enrollment']
    """
    from ..io import load  # written by the loading module; imported lazily

    return load(SAMPLE_DIR, **kwargs)


def _overall_top2(survey: pd.DataFrame, kind: str) -> float:
    """Respondents' top-2-box share of a questionnaire's overall question (its first item), 无法评估 excluded."""
    item = _SURVEY_ITEMS[kind][0][0]
    sc = survey.loc[(survey["survey_kind"] == kind) & (survey["item"] == item), "score"].dropna()
    return float((sc >= 4).mean())


def _readme(b: _Build, bad: list[BadRow], seed: int) -> str:
    """README.md of the sample folder, with figures computed from the generated tables."""
    from ..codes import classify
    from ..schema import SURVEY_KINDS

    t = b.tables
    g = t["graduates"]
    placed = pd.Series(np.array(classify(g["destination_code"])) != "not_placed", index=g.index)
    per_year = g.groupby("grad_year").size()
    ent = t["enterprises"]
    ent_year = ent.groupby("year")["enterprise"].nunique()
    ratio = ent.groupby("year")["internship_positions"].sum() / per_year
    further = g["destination_code"].astype(str).str[:2].isin(["80", "81", "82", "85"])
    seekers = (~(further | (g["destination_code"].astype(str) == "46"))).groupby(g["grad_year"]).sum()
    demand = t["recruitment"].groupby("year")["posts"].sum() / seekers
    teach_year = t["teachers"].groupby("year").size()
    tr = b.truth.groupby("survey_kind")[["population", "respondents", "rated", "satisfied", "rated_resp",
                                          "satisfied_resp"]].sum()
    ft = t["teachers"].query("category == 'full_time'")
    prof = ft[ft["is_professional"].fillna(False).astype(bool)]
    ints = t["internships"]

    def rng_(s: pd.Series, fmt: str = "{:,.0f}") -> str:
        return f"{fmt.format(s.min())}–{fmt.format(s.max())}"

    lines = [
        "# 样例数据 Sample data (synthetic / 合成数据)",
        "",
        f"**Everything here is synthetic. No real person, student, teacher or firm is described.** "
        f"The college ({COLLEGE}), every firm name (prefixed 示例), every ID and every personal-data value "
        "in `messy/` are invented. 本目录全部为合成数据，不涉及任何真实个人、学校或企业。",
        "",
        "## 生成方式 How it is generated",
        "",
        f"Generated by `coopmetrics.sample.write_sample()` with seed **{seed}** (numpy `default_rng`). "
        "The files are deterministic: `tests/test_sample.py` regenerates them and checks they equal the "
        "committed files. Regenerate with",
        "",
        "```bash",
        "python -c \"from coopmetrics.sample import write_sample; write_sample()\"",
        "```",
        "",
        "In Python the same data are available as canonical tables: `coopmetrics.sample.generate(seed=2024)` "
        "returns a `Dataset`; `coopmetrics.sample.load_sample()` loads these files with `coopmetrics.load`.",
        "",
        "## 文件 Files",
        "",
        "| file | table | rows | what |",
        "|---|---|---:|---|",
    ]
    desc = {
        "graduates": "one row per graduate 2019–2024: major, programme, partner firm, entry score, "
                     "destination code (MoE), employer, salary, relevance, turnover",
        "teachers": "one row per teacher × year (专任/校内兼课/企业兼职/校外兼课)",
        "enterprises": "partner-firm ledger, one row per firm × year (money in yuan)",
        "internships": "one 岗位实习 record per graduate who did one (about 95 %)",
        "enrollment": "full-time students (全日制在校生数) and 折合在校生数 (adds 夜大 × 0.3 and 函授 × 0.1 "
                      "part-time students, 教发〔2004〕2号) per department × major × year",
        "recruitment": "posts offered at the job fairs (招聘会): one row per employer × post type × major × year",
    }
    for table, stem in SAMPLE_FILES.items():
        lines.append(f"| `{stem}.csv` | {table} | {len(t[table]):,} | {desc.get(table) or _MECH_DESC[table]} |")
    s = t["survey"]
    for kind in SURVEY_KIND_ORDER:
        n_resp = s.loc[s["survey_kind"] == kind, "respondent_id"].nunique()
        items = "、".join(i for i, _ in _SURVEY_ITEMS[kind])
        lines.append(f"| `{SURVEY_KINDS[kind]}.csv` | survey ({kind}) | {n_resp:,} | wide export, one column "
                     f"per item, text answers: {items} |")
    lines += [
        f"| `messy/{MESSY_FILE}` | graduates 2024 | {int(per_year.loc[2024]) + 1:,} | the messy GBK export "
        "(see below) |",
        "",
        "All clean files are UTF-8 CSV with the Chinese header of each canonical column (`Column.zh` in "
        "`coopmetrics.schema`); yes/no as 是/否; programme as 普通班/订单班/冠名班/现代学徒制; money in yuan. "
        "Survey files are wide (答卷编号, 学号 or 单位名称, 年份, one column per item); the loader melts them to "
        "the long `survey` table. Answers are 很满意/满意/一般/不满意/很不满意 (employer survey: "
        f"非常满意/比较满意/一般/不太满意/非常不满意) plus {UNRATED} (about 3 %; score missing, text kept).",
        "",
        "## 校准 Calibration (shared/DOMAIN.md figures)",
        "",
        "| figure | source | this sample |",
        "|---|---|---|",
        f"| ~1,934 graduates a year | seed 002 | {rng_(per_year)} a year |",
        f"| 求人倍率 3.01 (5,900+ positions for 1,934 graduates) | seed 002 | 求人倍率 = job-fair posts / "
        f"job-seeking graduates {rng_(demand, '{:.2f}')} (not tuned to 3.01); partner internship posts / graduates "
        f"{rng_(ratio, '{:.2f}')} |",
        f"| partner firms 20 → 65 in five years; 102–148 firms | seed 002 | {rng_(ent_year)} partner firms "
        f"({int(ent_year.iloc[0])} in {ent_year.index[0]} → {int(ent_year.iloc[-1])} in {ent_year.index[-1]}) |",
        f"| 10 order classes | seed 002 | {int((t['enterprises']['form'] == '订单培养').groupby(t['enterprises']['year']).sum().iloc[-1])} "
        f"order-class firms; order-class students {(g['program'] == 'order_class').mean():.1%} of graduates |",
        f"| 425 staff | seed 002 | {rng_(teach_year)} teachers a year |",
        "| response rates often 30–60 % | DOMAIN.md surveys | "
        + ", ".join(f"{k} {tr.loc[k, 'respondents'] / tr.loc[k, 'population']:.0%}" for k in SURVEY_KIND_ORDER)
        + " |",
        f"| internship satisfaction 99 % (seed 002, top three boxes) | seed 002 | top three boxes "
        f"{(s.loc[s['survey_kind'] == 'internship', 'score'] >= 3).sum() / s.loc[s['survey_kind'] == 'internship', 'score'].notna().sum():.1%} |",
        f"| 双师型 > half of professional-course teachers (national target) | DOMAIN.md teachers | school flag "
        f"{prof['dual_flag'].mean():.0%} of full-time professional teachers; "
        f"{(prof['enterprise_practice_days_5y'] < 180).mean():.0%} below 180 practice days in five years |",
        f"| monthly salary (realistic, right-skewed) | — | median {rng_(g.groupby('grad_year')['monthly_salary'].median())}"
        " yuan by year |",
        f"| 高职 placement (毕业去向落实率) ≈ 92 % (2022届) | DOMAIN.md national levels | "
        f"{rng_(placed.groupby(g['grad_year']).mean(), '{:.1%}')} by year |",
        f"| 升学 (mostly 专升本) ≈ 15–20 % of 高职 graduates (MyCOS: 6 % 2018届 → ~20 % 2022届) | DOMAIN.md "
        f"national levels | {rng_(further.groupby(g['grad_year']).mean(), '{:.1%}')} by year (80x/85; the share "
        "of placed graduates rises 2.2 points a year) |",
        "| overall satisfaction above 90 % (top-2 boxes), as colleges publish | DOMAIN.md | respondents' top-2 "
        "share of the overall question: "
        + ", ".join(f"{k} {_overall_top2(s, k):.1%}" for k in SURVEY_KIND_ORDER) + " |",
        f"| internships: months ~6, pay below 80 % of the post's wage for some, insured ~97 % | 2021 internship "
        f"rules | months mean {ints['months'].mean():.1f}; pay < 80 % of post wage {(ints['monthly_pay'] < 0.8 * ints['post_wage']).mean():.0%}; "
        f"insured {ints['insured'].mean():.0%} |",
        "",
        "## 重新校准 Recalibration (issue 10)",
        "",
        "The sample was recalibrated to current national levels. What changed and why (figures of the "
        "previous sample, seed 2024, computed with the definitions of that time):",
        "",
        "| figure | before | now | why |",
        "|---|---|---|---|",
        f"| placement rate by year | 76.5–82.3 % | {rng_(placed.groupby(g['grad_year']).mean(), '{:.1%}')} | national "
        "高职 level ≈ 92 %: major bases +0.125; placement effects smaller (order class 0.06 → 0.03, named class "
        "0.03 → 0.015, apprenticeship 0.06 → 0.03, partnership 0.05 → 0.02, entry score 0.03 → 0.01 per SD) so "
        f"that every probability stays inside ({P_MIN}, {P_MAX}) without clipping; the new values are exact "
        "(`TRUE_EFFECTS`) |",
        f"| 升学 share of graduates | 5.8–7.1 % | {rng_(further.groupby(g['grad_year']).mean(), '{:.1%}')} | 高职 "
        "专升本 grew from 6 % to ~20 % of graduates (2018届 → 2022届): the further-study share of placed graduates "
        "now rises by year, independent of programme, score and partnership (no effect changes) |",
        "| 母校满意度 (scorecard figure) | 60.9–64.8 % (pool of all items, answers counted) | "
        f"{_overall_top2(s, 'school'):.1%} of respondents (overall item, people counted) | colleges publish overall "
        "satisfaction above 90 %; the scorecard figure is the overall question; item shifts raised |",
        "| 实习/就业/雇主满意度 | 85.6–87.3 % / 57.5–61.2 % / 74.4–80.6 % (pools) | "
        f"{_overall_top2(s, 'internship'):.1%} / {_overall_top2(s, 'employment'):.1%} / "
        f"{_overall_top2(s, 'employer'):.1%} (overall items) | as above |",
        "| internship posts / graduates | 2.96–3.04 (padded to 3.01) | "
        f"{rng_(ratio, '{:.2f}')} | no figure is padded to a published number: extra posts are drawn per firm |",
        "| 求人倍率, 折合在校生数 | — | recruitment table, enrollment column `fte_students` | the official "
        "definitions need them (岗位需求数 / 求职毕业生数; 教发〔2004〕2号) |",
        "",
        "## 数据生成假设 Data-generating assumptions",
        "",
        f"- One college, 12 majors in {len(_DEPARTMENTS)} departments (二级学院), 2019–2024. Cohort sizes are "
        "Poisson around a fixed size per major times a mild year growth.",
        f"- Entry score = round({ENTRY_MEAN:.0f} + {ENTRY_SD:.0f}·z), z standard normal truncated to ±{Z_MAX:.0f}; "
        "the effects use z recomputed from the recorded score, so they are exactly linear in `entry_score`.",
        "- Programme: order classes (订单班) exist in 8 majors (10 partner firms); a student's chance of joining "
        "is logistic in z (slope 0.9), i.e. **order-class students are selected on entry score**. Named "
        "classes (冠名班) and apprenticeships (现代学徒制) exist in 3 majors each, independent of z. Programme "
        "shares do not change over the years or with the partnership. Every programme cohort is tied to a "
        "partner firm (`partner`).",
        "- Outcomes are additive on the probability or yuan scale: "
        "P(placed) = base(major) + year(t) + Σ effects; P(job_relevant | employed), P(left_within_6m | employed) "
        "and E(monthly_salary | employed) likewise. Bases are chosen so that every probability stays inside "
        f"({P_MIN}, {P_MAX}) **without clipping** (the generator raises if it would not). Year effects are common to "
        "all majors (parallel trends). Gender and admission type have no effect on outcomes.",
        "- Destination codes (MoE): placed graduates get 10/11/12/46/27(271)/50(502)/75/76/80(801, 803)/85, "
        "not placed 70/71/72; 3-digit codes from the 2022 cohort on. Every placed code counts as placed in "
        "the `moe_2021`, `moe_2024` and `legacy` profiles, so the placement truth does not depend on the profile. "
        "Salary, relevance and turnover are recorded for the employed (10, 11, 12, 27x, 50x, 75, 76). Among "
        "placed graduates the further-study share (80x, 85) is 9 % in 2019 rising 2.2 points a year "
        "(`further_study_share`), independent of programme, score and partnership, so it changes no effect.",
        "- Salary = base(major) + 90 yuan·(year − 2015) + effects + 2,300·exp(0.5·ε) (right-skewed noise with a "
        "constant mean, so effects on the mean are exact), rounded to 10 yuan.",
        "- Employers: graduates of cohort programmes work at their partner firm often (72 % order class, "
        "65 % apprenticeship, 45 % named class), regular graduates 12 % (+8 points after the major's "
        "partnership) at a partner firm of their major; the rest at one of 420 other firms.",
        "- Surveys: answers are drawn for everyone in the survey population and then masked by a response model "
        "that depends on programme (order class +18 points), outcome (placed +20 points), major (−8 to +10 "
        "points) and gender (female +6 points). Satisfaction rises with placement, relevance, programme, "
        "the same major shift and gender, so **naive respondent shares are biased upward**; raking to the "
        "roster margins (major, programme, gender) removes the part due to those margins, and adding "
        "placement status (from the destination codes) removes most of the rest. "
        "`coopmetrics.sample.population_truth()` gives the full-population shares.",
        "- Teachers: persons followed over the years (IDs T… for school staff, P… for enterprise part-time); "
        "the school's 双师素质 flag is mostly consistent with the 2004-style conditions (industry "
        "qualification, ≥2 years in industry or ≥180 practice days in five years) with some disagreement; "
        "about 70 % of flagged teachers hold a 2022-standard level (初级/中级/高级) tied to their title.",
        "- Enterprises: ledger counts are consistent with the other tables (interns received = internship "
        "records hosted; graduates hired = graduates employed there; part-time teachers and hours = enterprise "
        "teachers of that firm; order students ≈ 3 × the graduating order cohort). Internship positions = "
        "interns received + Poisson(25 × LN(0, 0.8)) extra posts per firm × major × year (not tuned to any "
        "published ratio).",
        "- Recruitment (招聘岗位, the numerator of 求人倍率): about 160 employers a year (+3 % a year), 60 % of "
        "them partner firms; 1–3 post types each for one major, 1 + Poisson(8) posts per type.",
        "- Enrollment: 折合在校生数 = 全日制在校生 + 0.3 × 夜大 + 0.1 × 函授 students (教发〔2004〕2号), the part-time "
        "counts Poisson around 15 % and 60 % of a major's yearly intake.",
        "",
        "## 真实效应 Known true effects",
        "",
        "Effects are constant across students, so ATE = ATT = every subgroup effect. `placed` means a "
        "placed destination code (any profile). Programme effects are relative to 普通班 (regular) at equal "
        "entry score, major and year. The raw order-class gap is larger than the truth because order-class "
        "students have higher entry scores.",
        "",
        "| key | outcome | treatment | effect | scale | population |",
        "|---|---|---|---:|---|---|",
    ]
    for key, e in TRUE_EFFECTS.items():
        val = f"{e.value:+,.0f}" if e.scale == "yuan" else f"{e.value:+.3f}"
        lines.append(f"| `{key}` | {e.outcome} | {e.treatment} | {val} | {e.scale} | {e.population} |")
    lines += [
        "",
        "`entry_score_sd` effects are per 50 points of entry score. In Python: `coopmetrics.sample.TRUE_EFFECTS`.",
        "",
        "### 合作起始年份 Partnership start years (staggered adoption)",
        "",
        "From the start year on, every graduate of the major gets the `*_partnership` effects (no "
        "anticipation, constant in event time). The partnership is the major's 产业学院 with a lead firm "
        "(ledger rows with `form` = 产业学院 and `partnership_start` = the start year); other partner firms "
        "exist in every major and are not the treatment. In Python: `coopmetrics.sample.PARTNERSHIP_START`.",
        "",
        "| department | major | code | partnership start |",
        "|---|---|---|---|",
    ]
    for m in MAJORS:
        lines.append(f"| {m.department} | {m.name} | {m.code} | {m.start if m.start else 'never / 无'} |")
    lines += [
        "",
        "### 问卷真值 Survey truth (all years, satisfied = top two boxes among rated answers)",
        "",
        "| survey | population | respondents | response rate | share, whole population | share, respondents |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for k in SURVEY_KIND_ORDER:
        r = tr.loc[k]
        lines.append(f"| {SURVEY_KINDS[k]} ({k}) | {int(r['population']):,} | {int(r['respondents']):,} | "
                     f"{r['respondents'] / r['population']:.1%} | {r['satisfied'] / r['rated']:.1%} | "
                     f"{r['satisfied_resp'] / r['rated_resp']:.1%} |")
    lines += [
        "",
            "(Counts are person × item answers summed over items and years.)",
        "",
        f"## 原始导出样例 The messy export (`messy/{MESSY_FILE}`)",
        "",
        "The 2024 graduates as staff actually export them: **GBK-encoded** CSV; row 1 is the title "
        f"“{MESSY_TITLE}”, row 2 is blank, row 3 holds the Chinese headers, data start in row 4. Personal-data "
        "columns 姓名, 身份证号, 手机号码 are present and clearly fake (示例学生0001; ID numbers start with the "
        "non-existent region code 999999; phones start with 100). Destination codes are Excel-mangled "
        "(`10.0`, `1.0E+1`, `2.71E+2`), about 30 % of student IDs are shown as floats (`2021010001.0`), some "
        "major codes use full-width digits, some cells carry stray spaces or a full-width space, and the salary "
        "header is `月收入（元）`.",
        "",
        "Exactly three rows are deliberately bad (Excel row numbers as the user sees them):",
        "",
        "| Excel row | student ID | column | value | problem |",
        "|---:|---|---|---|---|",
    ]
    for r in bad:
        lines.append(f"| {r.excel_row} | {r.student_id} | {r.column} | {r.value} | {r.problem} |")
    lines += [
        "",
        "Load it with `coopmetrics.load(\"data/sample/messy\")`; the validation report should list these three "
        "rows and the row accounting should add up.",
        "",
    ]
    lines += _mechanisms_readme(t)  # issue 14
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------
# Planted partner quality (合作企业质量真值; issue 13): a few good, bad and average partners
# ----------------------------------------------------------------------------------------

#: Effect of each planted quality on the intern hire rate (probability scale).
PARTNER_QUALITY: dict[str, float] = {"good": 0.30, "bad": -0.22, "average": 0.0}
#: Ledger forms of cohort partners (order / named class, apprenticeship, 产业学院): not planted, their
#: hire rates differ from the college's by design.
_COHORT_FORMS = ("订单培养", "冠名班", "现代学徒制", "产业学院")
_PLANT_RULE = ("the nine ledger partners that are not cohort partners (form not 订单培养/冠名班/现代学徒制/产业学院) "
               "with the most internship rows over all years, ranked (ties by name): ranks 1, 4, 7 good, "
               "2, 5, 8 bad, 3, 6, 9 average (`coopmetrics.sample.planted_partners(ds)` lists them). Their "
               "interns are hired with probability = the college's intern hire rate of that year (before "
               "planting) + the effect")
TRUE_EFFECTS.update({
    f"hired_partner_{q}": TrueEffect("hired", f"partner_{q}", v, "probability", _PLANT_RULE)
    for q, v in PARTNER_QUALITY.items()
})


def planted_partners(data: Dataset | dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The partners planted by :func:`_plant_partner_quality`, found again from the tables.

    Parameters
    ----------
    data : Dataset or dict of DataFrames
        Needs ``enterprises`` and ``internships``.

    Returns
    -------
    DataFrame
        ``enterprise``, ``quality`` (good / bad / average), ``hire_effect``, ``interns``.

    Examples
    --------
    >>> p = planted_partners(generate())
    >>> p["quality"].tolist()
    ['good', 'bad', 'average', 'good', 'bad', 'average', 'good', 'bad', 'average']
    """
    e, i = data["enterprises"], data["internships"]
    cohort = set(e.loc[e["form"].isin(_COHORT_FORMS), "enterprise"])
    counts = i["enterprise"].value_counts().rename_axis("enterprise").reset_index(name="interns")
    counts = counts[counts["enterprise"].isin(set(e["enterprise"]) - cohort)]
    top = counts.sort_values(["interns", "enterprise"], ascending=[False, True]).head(9).reset_index(drop=True)
    quality = np.array(["good", "bad", "average"] * 3)[: len(top)]
    return pd.DataFrame({"enterprise": top["enterprise"].astype(str), "quality": quality,
                         "hire_effect": [PARTNER_QUALITY[q] for q in quality], "interns": top["interns"]})


def _plant_partner_quality(tables: dict[str, pd.DataFrame], seed: int) -> pd.DataFrame:
    """Redraw ``hired`` for the interns of the planted partners (own random stream: nothing else moves).

    Returns the internships table with ``hired`` ~ Bernoulli(college rate of the year + effect)
    for the planted partners' rows; other rows are unchanged.
    """
    i = tables["internships"].copy()
    plant = planted_partners(tables)
    eff = i["enterprise"].map(plant.set_index("enterprise")["hire_effect"])
    rows = eff.notna().to_numpy()
    pbar = i["hired"].astype("Float64").groupby(i["year"]).transform("mean").astype(float)
    p = np.clip(pbar.to_numpy() + eff.fillna(0).to_numpy(float), 0, 1)
    draw = np.random.default_rng([seed, 13]).random(len(i)) < p
    hired = i["hired"].to_numpy(dtype=object)
    hired[rows] = draw[rows]
    i["hired"] = pd.array(hired, dtype="boolean")
    return i


# --- cooperation mechanisms (issue 14) -----------------------------------------------------------------
# Calibrated to the seeds (DOMAIN.md): in the last year 66 co-built bases (11 on-campus productive, 55
# off-campus; seed 002) co-built with 39 distinct firms (seed 002: 148 firms "其中可作为校外教学实验教学基地的
# 39家"); school 307万 vs firms 1326万 put into the on-campus bases (seed 000); 28 service projects of which 8
# training/appraisal projects trained 874 people for 25.7万元 and 3 patents (seed 002); a vocational group of
# 37 member units, 17 schools and 20 firms (seed 002); 10 forums attended by 118 firms (seed 003). Earlier years
# scale down. A separate random stream keeps every earlier table's draws unchanged.

SAMPLE_FILES.update({"bases": "实训基地", "agreements": "合作协议", "events": "校企活动", "committees": "委员会成员",
                     "services": "社会服务项目"})
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


def _mechanisms_readme(t: dict[str, pd.DataFrame]) -> list[str]:
    """README section on the issue-14 tables, with figures computed from them."""
    last = int(t["bases"]["year"].max())
    b = t["bases"][t["bases"]["year"] == last]
    s = t["services"][t["services"]["year"] == last]
    ev = t["events"][t["events"]["year"] == last]
    tr = s[s["service_type"].isin(["training", "appraisal"])]
    grp = t["committees"][t["committees"]["committee_type"] == "group"]
    return [
        "", "## 校企合作机制 Cooperation mechanisms (issue 14)", "",
        "Five optional tables written by `sample._mechanism_tables` from their own random stream (so the other "
        "tables' draws are unchanged): 实训基地.csv, 合作协议.csv, 校企活动.csv, 委员会成员.csv, 社会服务项目.csv; and new "
        "columns: teachers 出生年份, 近两年企业实践天数 (this + last year's days), 是否专业带头人/骨干教师/任企业技术顾问/技能大师; "
        "internships 实习类型 (every sample record is 岗位实习); ledger 学校投入; graduates 获得职业资格或技能等级证书, 获得1+X证书. "
        "The sample is a 高职 college, so 在校生 has no 高级工 column (seed 004's 40 % rule says 未提供数据).", "",
        f"Calibration in {last} (seed figures in brackets):", "",
        "| figure | sample | seed |", "|---|---:|---|",
        f"| on-campus / off-campus bases | {(b['location'] == 'on_campus').sum()} / "
        f"{(b['location'] == 'off_campus').sum()} | 11 / 55 (seed 002) |",
        f"| distinct firms co-building bases | {b['enterprise'].nunique()} | 39 (seed 002) |",
        f"| school / firm investment in on-campus bases (元) | {b['school_investment'].sum():,.0f} / "
        f"{b['enterprise_investment'][b['location'] == 'on_campus'].sum():,.0f} | 3,070,000 / 13,260,000 (seed 000) |",
        f"| service projects | {len(s)} | 28 (seed 002) |",
        f"| people trained / income of training and appraisal (元) | {tr['trainees'].sum():,} / "
        f"{tr['income'].sum():,.0f} | 874 / 257,000 (seed 002) |",
        f"| patents | {int(s['patents'].sum())} | 3 (seed 002) |",
        f"| vocational-group member units | {grp['organisation'].nunique()} | 37 (seed 002) |",
        f"| forums / firms attending | {(ev['event_type'] == 'forum').sum()} / "
        f"{int(ev.loc[ev['event_type'] == 'forum', 'enterprises'].sum())} | 10 / 118 (seed 003) |",
        f"| letters of intent | {(t['agreements'].query('year == @last')['agreement_type'] == 'intent').sum()} | "
        "131 in a whole city (seed 003) |",
        "", "Earlier years scale down (bases exist from their 建立年份 on). Check the seeds' rules with "
        "`coopmetrics.rules.check_rules(cm.load_sample(), 2024)` (see docs/rules.md).", "",
    ]
