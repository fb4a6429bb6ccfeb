"""The truth built into the generators (真实效应): :data:`TRUE_EFFECTS` and the programme codes.

Every causal effect is additive on the probability or yuan scale and constant across units, so the
values here are exact ATE = ATT = every CATE. The planted partner-quality effects (issue 13) are part of
the same dictionary (see :mod:`coopmetrics.sample.partners`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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


#: Effect of each planted quality on the intern hire rate (probability scale).
PARTNER_QUALITY: dict[str, float] = {"good": 0.30, "bad": -0.22, "average": 0.0}


_PLANT_RULE = ("the nine ledger partners that are not cohort partners (form not 订单培养/冠名班/现代学徒制/产业学院) "
               "with the most internship rows over all years, ranked (ties by name): ranks 1, 4, 7 good, "
               "2, 5, 8 bad, 3, 6, 9 average (`coopmetrics.sample.planted_partners(ds)` lists them). Their "
               "interns are hired with probability = the college's intern hire rate of that year (before "
               "planting) + the effect")


TRUE_EFFECTS.update({
    f"hired_partner_{q}": TrueEffect("hired", f"partner_{q}", v, "probability", _PLANT_RULE)
    for q, v in PARTNER_QUALITY.items()
})
