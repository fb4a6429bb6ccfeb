"""Planted partner quality (合作企业质量真值; issue 13): a few good, bad and average partners.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .effects import PARTNER_QUALITY

if TYPE_CHECKING:
    from ..dataset import Dataset


#: Ledger forms of cohort partners (order / named class, apprenticeship, 产业学院): not planted, their
#: hire rates differ from the college's by design.
_COHORT_FORMS = ("订单培养", "冠名班", "现代学徒制", "产业学院")


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
    >>> from coopmetrics.sample import generate
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
