"""Seeded synthetic data with known true effects (合成样例数据，已知真实效应).

No public microdata of Chinese graduates exist, so coopmetrics ships a synthetic
college generated from documented assumptions (see
``data/sample/README.md``) and calibrated to the figures in the project's
domain notes. Every causal effect is **additive on the probability or yuan
scale** and the probabilities stay inside (0.05, 0.97) by construction (no
clipping), so the truth written in :data:`TRUE_EFFECTS` is exact and
estimators can be checked against it.

Public functions
----------------
generate_panel, generate_panel_chunks
    Large multi-college graduate panels in compact dtypes for benchmarks.
simulate_graduates
    A cheap graduates-only draw for coverage simulations.

Examples
--------
>>> from coopmetrics.sample import generate_panel, TRUE_EFFECTS
>>> panel = generate_panel(10_000, seed=1)
>>> len(panel), str(panel["grad_year"].dtype)
(10000, 'int16')
>>> TRUE_EFFECTS["placed_order_class"].value
0.06
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "TrueEffect",
    "TRUE_EFFECTS",
    "generate_panel",
    "generate_panel_chunks",
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
    "placed_order_class": TrueEffect("placed", "order_class", 0.06, "probability", _ALL),
    "placed_named_class": TrueEffect("placed", "named_class", 0.03, "probability", _ALL),
    "placed_apprenticeship": TrueEffect("placed", "apprenticeship", 0.06, "probability", _ALL),
    "placed_partnership": TrueEffect(
        "placed", "partnership", 0.05, "probability",
        "graduates of a major from its partnership start year on (constant in event time; "
        "no anticipation; parallel trends otherwise)"),
    "placed_entry_score_sd": TrueEffect("placed", "entry_score_sd", 0.015, "probability", _ALL),
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

#: Entry score: 380 + 50 z with z clipped to [-2.5, 2.5] and the score rounded to
#: an integer; z is then recomputed from the recorded score, so outcomes are
#: exactly linear in the recorded ``entry_score``.
ENTRY_MEAN, ENTRY_SD, Z_MAX = 380.0, 50.0, 2.5


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
_NOT_PLACED_CODES = ("70", "71", "72")
_NOT_PLACED_P = np.array([0.78, 0.12, 0.10])
#: placed codes whose holders are "employed" (salary, relevance, turnover recorded)
_EMPLOYED = {"10", "11", "12", "75", "76", "27", "271", "50", "502"}
_FURTHER = {"80", "801", "803", "85"}

_DEST_CATEGORIES = ("10", "11", "12", "27", "271", "46", "50", "502", "70", "71", "72", "75", "76",
                    "80", "801", "803", "85")


def _firm_names(n: int) -> list[str]:
    """Deterministic distinct synthetic firm names (示例 marks them as invented)."""
    k1, k2, k3 = len(_FIRM_PREFIX), len(_FIRM_MID), len(_FIRM_SUFFIX)
    names = []
    for i in range(n):
        a, b, c = i % k1, (i // k1) % k2, (i // (k1 * k2)) % k3
        rep = i // (k1 * k2 * k3)
        tag = "" if rep == 0 else str(rep + 1)
        names.append(f"示例{_FIRM_PREFIX[a]}{_FIRM_MID[b]}{tag}{_FIRM_SUFFIX[c]}")
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
    z = np.clip(rng.standard_normal(n), -Z_MAX, Z_MAX)
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
    salary: np.ndarray  # NaN unless employed
    relevant: np.ndarray
    left: np.ndarray
    partner_job: np.ndarray


_DEST_INDEX = {c: i for i, c in enumerate(_DEST_CATEGORIES)}
_OLD_IDX = np.array([_DEST_INDEX[c] for c in _PLACED_CODES_OLD])
_NEW_IDX = np.array([_DEST_INDEX[c] for c in _PLACED_CODES_NEW])
_NOTP_IDX = np.array([_DEST_INDEX[c] for c in _NOT_PLACED_CODES])
_EMP_MASK = np.array([c in _EMPLOYED for c in _DEST_CATEGORIES])


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
    every probability inside (0.05, 0.97) (asserted here, never clipped).
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
        if n and (p.min() <= 0.05 or p.max() >= 0.97):
            raise ValueError(f"{name} probability outside (0.05, 0.97): [{p.min():.3f}, {p.max():.3f}]; "
                             "choose smaller effects / 请减小效应值")
    placed = rng.random(n) < p_place
    new_codes = year >= 2022
    pick = _choice(rng, _PLACED_P, n)
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
    partner_job = employed & (rng.random(n) < p_pj)
    return _Outcomes(placed, dest, employed, sal, relevant & employed, left & employed, partner_job)


def _respond(rng: np.random.Generator, program: np.ndarray, placed: np.ndarray, base: float = 0.30
             ) -> tuple[np.ndarray, np.ndarray]:
    """Survey response: depends on program and outcome. Returns (responded, propensity)."""
    prop = base + np.array([0.0, 0.18, 0.10, 0.15])[program] + 0.15 * placed
    return rng.random(program.size) < prop, prop


def _likert(rng: np.random.Generator, program: np.ndarray, placed: np.ndarray, relevant: np.ndarray,
            shift: float = 0.0) -> np.ndarray:
    """Latent satisfaction -> score 1..5 (higher for placed, relevant jobs, cooperative programs)."""
    lat = (0.9 + shift + 0.45 * placed + 0.35 * relevant + np.array([0.0, 0.35, 0.2, 0.3])[program]
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
        # bases chosen so that every probability stays in (0.05, 0.97): see _check_bounds
        a_place=rng.uniform(0.77, 0.80, (n_colleges, k)),
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
    "monthly_salary", "job_relevant", "left_within_6m", "survey_score", "survey_weight",
]


def _panel_chunk(fr: _PanelFrame, eff: dict[str, np.ndarray], rng: np.random.Generator, n: int,
                 first_id: int) -> pd.DataFrame:
    from .codes import DESTINATION_CODES

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
    emp_firm = np.where(out.employed, emp_firm, -1)
    # 60 % work in the college's home province, the rest anywhere else
    n_reg = len(_REGIONS)
    region = np.where(rng.random(n) < 0.6, fr.home[col],
                      (fr.home[col] + 1 + rng.integers(0, n_reg - 1, n)) % n_reg)
    emp_type = _choice(rng, _EMPLOYER_TYPE_P, n)
    responded, prop = _respond(rng, program, out.placed)
    score5 = _likert(rng, program, out.placed, out.relevant)
    miss = ~out.employed
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
        "employer_type": _cat(np.where(miss, -1, emp_type), _EMPLOYER_TYPES),
        "employer_region": _cat(np.where(miss, -1, region), _REGIONS),
        "employer_is_partner": _nullable_bool(out.partner_job, miss),
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
    return df[_PANEL_ORDER]
