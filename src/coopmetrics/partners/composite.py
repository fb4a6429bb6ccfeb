"""User-weighted composite partner score with rank intervals (an explicit option, never a default).

Each weighted measure's posterior (kept by :func:`partner_scorecard`) is drawn from,
standardised — ``(draw - college value) / SD of the shrunk estimates across units`` —
weighted, and summed; the rank (1 = best) is taken in every draw, so the rank
interval shows how stable the ranking is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InvalidOptionError
from .fairness import posterior_draws, rank_intervals

__all__ = ["composite_draws"]


def composite_draws(sc: Any, weights: Mapping[str, float], *, draws: int = 2000, seed: int = 0,
                    level: float = 0.95) -> pd.DataFrame:
    """See :meth:`PartnerScorecard.composite`.

    Examples
    --------
    >>> import coopmetrics as cm
    >>> sc = cm.partner_scorecard(cm.sample.generate(), 2024)
    >>> c = sc.composite({"intern_hire_rate": 1.0, "internship_satisfaction": 1.0})
    >>> ranked = c.dropna(subset=["rank"])      # partners without data on a weighted measure have no rank
    >>> bool((ranked["rank_low"] <= ranked["rank"]).all())
    True
    """
    if not weights:
        raise InvalidOptionError("请给出各指标的权重", "give a weight for each measure")
    known = set(sc.fair["measure"])
    bad = sorted(set(weights) - known)
    if bad:
        raise InvalidOptionError(f"未知的指标 {bad}；可用：{sorted(known)}", f"unknown measure(s) {bad}; known: {sorted(known)}")
    keys = [k for k in sc.units if k in sc.fair]
    scope = [c for c in sc.by if c == "year"]
    out = []
    rng = np.random.default_rng(seed)
    groups = sorted({g for (_, g) in sc.posterior})
    for g in groups:
        total, idx = None, None
        for m, w in weights.items():
            post = sc.posterior[(m, g)]
            d = posterior_draws(post, draws, rng)
            fair = sc.fair[(sc.fair["measure"] == m)]
            if scope:
                fair = fair[fair["year"] == g[0]]
            centre = float(fair["college_rate"].iloc[0])
            sh = fair["shrunk"].to_numpy(float)
            sh = sh[np.isfinite(sh)]
            spread = float(np.std(sh)) if sh.size > 1 else 0.0
            z = (d - centre) / (spread if spread > 0 else 1.0)
            total = w * z if total is None else total + w * z
            idx = post["index"]
        rk, lo, hi = rank_intervals(total, level=level)
        a = (1 - level) / 2
        with np.errstate(all="ignore"):
            part = sc.table.loc[idx, keys].reset_index(drop=True).assign(
                score=np.mean(total, axis=0),  # NaN for units missing a weighted measure
                score_low=np.quantile(total, a, axis=0), score_high=np.quantile(total, 1 - a, axis=0),
                rank=rk, rank_low=lo, rank_high=hi)
        out.append(part)
    res = pd.concat(out, ignore_index=True)
    res["weights"] = ", ".join(f"{k}={v:g}" for k, v in weights.items())
    return res.sort_values([*scope, "rank"], ignore_index=True)
