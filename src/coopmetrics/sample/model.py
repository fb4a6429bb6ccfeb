"""The shared outcome model (used by the panel, the college sample and ``simulate_graduates``).

Entry scores, programme selection, destination codes, salary, relevance, turnover and survey
answers; every effect additive, every probability inside (P_MIN, P_MAX) without clipping.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from .effects import _APP, _NAM, _ORD, _REG, ENTRY_MEAN, ENTRY_SD, P_MAX, P_MIN, Z_MAX
from .vocab import (
    _DEST_CATEGORIES,
    _EMPLOYED,
    _FS_P,
    _FS_POS,
    _NOT_PLACED_CODES,
    _NOT_PLACED_P,
    _PLACED_CODES_NEW,
    _PLACED_CODES_OLD,
    _WITH_EMPLOYER,
    _WORK_P,
    _WORK_POS,
    _choice,
    further_study_share,
)


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


def _year_shifts(years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Common year effects (parallel trends): placement dip in 2020, salary growth ~3 %/yr."""
    place = np.where(years == 2020, -0.02, np.where(years == 2022, -0.01, 0.0)) + 0.002 * (years % 5)
    sal = 90.0 * (years - 2015)
    return place, sal
