"""Partnerships as the unit of evaluation (合作企业评估): a scorecard for every partner.

Modules: :mod:`.names` (enterprise-name normalisation and matching), :mod:`.measures`
(per-partner sufficient statistics), :mod:`.scorecard` (:func:`partner_scorecard`),
:mod:`.fairness` (empirical-Bayes shrinkage, funnel flags, rank intervals),
:mod:`.durability` (Kaplan–Meier of partnership duration, churn, tenure),
:mod:`.appendix` (企业年报 data appendices and the report section), :mod:`.figures` (plots).
"""

from __future__ import annotations

from .durability import partner_churn, partnership_survival, tenure_outcomes
from .fairness import funnel_flags, rank_intervals, shrink_means, shrink_proportions
from .names import match_names, normalise_names
from .scorecard import PartnerScorecard, partner_scorecard

__all__ = [
    "PartnerScorecard",
    "partner_scorecard",
    "match_names",
    "normalise_names",
    "shrink_proportions",
    "shrink_means",
    "funnel_flags",
    "rank_intervals",
    "partnership_survival",
    "partner_churn",
    "tenure_outcomes",
]
