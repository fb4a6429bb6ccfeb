"""The sample college (江南示例职业技术学院): its majors, partnership start years and graduates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .effects import _PROGRAMS, TrueEffect, _effect_vectors, _resolve_effects
from .model import _draw_outcomes, _draw_program, _entry_z, _year_shifts
from .vocab import _DEST_CATEGORIES, _cat, _choice, _nullable_bool

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
