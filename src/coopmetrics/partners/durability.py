"""长效机制 (durability): how long partnerships last, yearly churn, outcomes by tenure.

* :func:`partner_durations` — one row per partner: origin year, first and last ledger
  year, duration in years, whether it ended (right-censored when still in the ledger
  in its last year) and its delayed-entry time.
* :func:`partnership_survival` — Kaplan–Meier curve of partnership duration with
  Greenwood standard errors and log–log intervals; left truncation (partnerships
  that began before the ledger) handled by delayed entry, as
  ``statsmodels.duration.survfunc.SurvfuncRight(time, status, entry=entry)``.
  A partnership still in the ledger's last year is censored at ``duration - 1``
  (it is known to last *more than* ``duration - 1`` years; whether it ends after
  ``duration`` years is not yet observable).
* :func:`partner_churn` — per year: active, new, continuing, returning, ended
  partners; churn rate and share of partners active ≥ 3 years, with Wilson CIs.
* :func:`tenure_outcomes` — scorecard rates pooled by tenure band, with a
  chi-square test of equal rates.

A partnership's years are its ledger years: it lasts from its origin (the earlier
of ``partnership_start`` and the first ledger year; ``origin="ledger"`` uses the
first ledger year) to its last ledger year; gaps inside are ignored. It *ended*
when it is absent from the ledger's last year.

Examples
--------
>>> import pandas as pd
>>> e = pd.DataFrame({"enterprise": ["甲", "甲", "乙", "丙", "丙"], "year": [2022, 2023, 2022, 2023, 2024]})
>>> partner_durations(e)[["enterprise", "duration", "ended"]].to_dict("list")
{'enterprise': ['丙', '乙', '甲'], 'duration': [2, 1, 2], 'ended': [False, True, True]}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import InvalidOptionError
from ..estimators import proportion_interval
from .names import normalise_names

__all__ = ["partner_durations", "partnership_survival", "partner_churn", "tenure_outcomes", "TENURE_BANDS"]

#: Tenure bands (years, inclusive lower bounds) -> label.
TENURE_BANDS: dict[int, str] = {1: "1年", 2: "2年", 3: "3-4年", 5: "5年及以上"}


def _ledger(data: Any) -> pd.DataFrame:
    from .measures import _pandas

    e = _pandas(data["enterprises"]) if hasattr(data, "tables") else data
    miss = [c for c in ("enterprise", "year") if c not in e]
    if miss:
        raise InvalidOptionError(f"合作企业台账缺少列 {miss}", f"the enterprise ledger lacks column(s) {miss}")
    e = e.assign(__key=normalise_names(e["enterprise"]))
    return e[e["__key"].notna() & e["year"].notna()]


def partner_durations(data: Any, *, origin: str = "start") -> pd.DataFrame:
    """One row per partner (normalised name): how long the partnership has lasted.

    Parameters
    ----------
    data : Dataset or DataFrame
        The ledger (``enterprise``, ``year``; ``partnership_start`` used when present).
    origin : {"start", "ledger"}
        Count years from the earlier of ``partnership_start`` and the first ledger year, or
        from the first ledger year only.

    Returns
    -------
    DataFrame
        ``enterprise`` (most frequent spelling), ``partner_key``, ``origin_year``,
        ``first_ledger_year``, ``last_year``, ``ledger_years``, ``duration`` (last − origin + 1),
        ``ended`` (absent from the ledger's last year), ``entry`` (years completed before the
        ledger first saw it: delayed entry).
    """
    if origin not in ("start", "ledger"):
        raise InvalidOptionError(f"origin 只能是 start 或 ledger：{origin!r}", f"origin must be 'start' or 'ledger': {origin!r}")
    e = _ledger(data)
    g = e.groupby("__key")
    out = pd.DataFrame({"first_ledger_year": g["year"].min(), "last_year": g["year"].max(),
                        "ledger_years": g["year"].nunique()})
    o = out["first_ledger_year"]
    if origin == "start" and "partnership_start" in e:
        o = np.fmin(o, g["partnership_start"].min())
    out["origin_year"] = o.astype("int64")
    y0, y1 = int(e["year"].min()), int(e["year"].max())
    out["duration"] = (out["last_year"] - out["origin_year"] + 1).astype("int64")
    out["ended"] = out["last_year"] < y1
    # delayed entry: years already completed when first observed (only before the ledger began)
    out["entry"] = (np.maximum(out["first_ledger_year"], y0) - out["origin_year"]).clip(lower=0).astype("int64")
    names = (e.groupby(["__key", "enterprise"]).size().reset_index(name="n")
             .sort_values(["n", "enterprise"], ascending=[False, True]).drop_duplicates("__key")
             .set_index("__key")["enterprise"])
    out.insert(0, "enterprise", names.reindex(out.index))
    out = out.rename_axis("partner_key").reset_index()
    cols = ["enterprise", "partner_key", "origin_year", "first_ledger_year", "last_year", "ledger_years",
            "duration", "ended", "entry"]
    return out[cols].sort_values("partner_key", ignore_index=True)


def kaplan_meier(time: Any, event: Any, entry: Any = None, level: float = 0.95) -> pd.DataFrame:
    """Kaplan–Meier estimate with delayed entry, Greenwood SE and log–log intervals.

    A subject is at risk at ``t`` when ``entry < t <= time``. Vectorised over event times.

    Examples
    --------
    >>> kaplan_meier([1, 2, 2, 3], [1, 1, 0, 0])[["time", "at_risk", "events", "survival"]].to_dict("list")
    {'time': [1, 2, 3], 'at_risk': [4, 3, 1], 'events': [1, 1, 0], 'survival': [0.75, 0.5, 0.5]}
    """
    t = np.asarray(time, dtype=float)
    d = np.asarray(event, dtype=bool)
    en = np.zeros_like(t) if entry is None else np.asarray(entry, dtype=float)
    times = np.unique(t)
    at_risk = ((en[None, :] < times[:, None]) & (t[None, :] >= times[:, None])).sum(axis=1)
    events = ((t[None, :] == times[:, None]) & d[None, :]).sum(axis=1)
    censored = ((t[None, :] == times[:, None]) & ~d[None, :]).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(at_risk > 0, 1 - events / at_risk, 1.0)
        surv = np.cumprod(factor)
        # Greenwood; undefined once every subject at risk has ended (S = 0): NaN, as statsmodels
        term = np.where(at_risk > events, events / (at_risk * (at_risk - events)), np.where(events > 0, np.inf, 0.0))
        gw = np.cumsum(term)
        se = np.where(np.isfinite(gw), surv * np.sqrt(gw), np.nan)
        z = stats.norm.isf((1 - level) / 2)
        # log(-log S) interval (Kalbfleisch–Prentice), inside (0, 1) by construction
        lls = np.log(-np.log(surv))
        half = z * np.sqrt(gw) / np.abs(np.log(surv))
        lo = np.exp(-np.exp(lls + half))
        hi = np.exp(-np.exp(lls - half))
    ok = (surv > 0) & (surv < 1)
    return pd.DataFrame({"time": times.astype("int64") if np.all(times == np.round(times)) else times,
                         "at_risk": at_risk, "events": events, "censored": censored, "survival": surv,
                         "se": se, "ci_low": np.where(ok, lo, np.nan), "ci_high": np.where(ok, hi, np.nan)})


def partnership_survival(data: Any, *, origin: str = "start", level: float = 0.95) -> pd.DataFrame:
    """Kaplan–Meier curve of partnership duration (years) from the ledger.

    Returns
    -------
    DataFrame
        ``time`` (years), ``at_risk``, ``events`` (partnerships that lasted exactly ``time`` years),
        ``censored``, ``survival`` (share lasting more than ``time`` years), ``se`` (Greenwood),
        ``ci_low``, ``ci_high`` (log–log).

    Examples
    --------
    >>> import coopmetrics as cm
    >>> km = partnership_survival(cm.sample.generate())
    >>> bool(km["survival"].is_monotonic_decreasing)
    True
    """
    dur = partner_durations(data, origin=origin)
    # discrete years: an ended partnership lasted T = duration years; one still active in the ledger's
    # last year is known to last T >= duration, i.e. T > duration - 1, so it is censored at duration - 1
    # (censoring at `duration` would count it at risk of an ending that cannot be observed yet and bias
    # the curve upwards)
    time = np.where(dur["ended"], dur["duration"], dur["duration"] - 1)
    return kaplan_meier(time, dur["ended"], dur["entry"], level)


def partner_churn(data: Any, *, level: float = 0.95) -> pd.DataFrame:
    """Yearly churn of partners in the ledger.

    Returns
    -------
    DataFrame
        One row per ledger year: ``active``, ``new`` (first ledger year; in the ledger's first
        year only partners whose ``partnership_start`` is that year), ``continuing`` (also active
        the year before), ``returning`` (active, absent the year before, seen earlier), ``ended``
        (active the year before, absent now), ``churn_rate`` = ended / active the year before with
        ``churn_ci_low``/``churn_ci_high`` (Wilson), and ``active_3y``/``share_active_3y`` = partners
        whose partnership is in at least its third year / active, with Wilson CI.
    """
    e = _ledger(data)
    pres = e[["__key", "year"]].drop_duplicates()
    years = np.sort(pres["year"].unique())
    mat = pd.crosstab(pres["__key"], pres["year"]).reindex(columns=years, fill_value=0).to_numpy() > 0
    prev = np.zeros_like(mat)
    prev[:, 1:] = mat[:, :-1]
    seen_before = np.zeros_like(mat)
    seen_before[:, 1:] = np.cumsum(mat, axis=1)[:, :-1] > 0
    dur = partner_durations(e).set_index("partner_key").reindex(pd.crosstab(pres["__key"], pres["year"]).index)
    origin = dur["origin_year"].to_numpy()
    new = mat & ~seen_before
    new[:, 0] = mat[:, 0] & (origin == years[0])
    tenure = years[None, :] - origin[:, None] + 1
    out = pd.DataFrame({
        "year": years.astype("int64"),
        "active": mat.sum(0), "new": new.sum(0), "continuing": (mat & prev).sum(0),
        "returning": (mat & ~prev & seen_before).sum(0), "ended": (~mat & prev).sum(0),
        "active_3y": (mat & (tenure >= 3)).sum(0),
    })
    prev_active = np.concatenate([[0], out["active"].to_numpy()[:-1]])
    out["active_previous"] = prev_active
    with np.errstate(divide="ignore", invalid="ignore"):
        out["churn_rate"] = np.where(prev_active > 0, out["ended"] / np.where(prev_active > 0, prev_active, 1), np.nan)
        out["share_active_3y"] = out["active_3y"] / out["active"]
    out["churn_ci_low"], out["churn_ci_high"] = proportion_interval(out["ended"], prev_active, level)
    out["share_3y_ci_low"], out["share_3y_ci_high"] = proportion_interval(out["active_3y"], out["active"], level)
    return out


def tenure_outcomes(scorecard: Any, measures: Sequence[str] = ("intern_hire_rate", "internship_satisfaction"),
                    *, bands: dict[int, str] | None = None, level: float = 0.95) -> pd.DataFrame:
    """Do outcomes differ by partnership tenure? Rates pooled over the partners of each band.

    Returns
    -------
    DataFrame
        ``measure``, ``tenure_band``, ``partners``, ``numerator``, ``denominator``, ``estimate``,
        ``ci_low``, ``ci_high`` (Wilson), ``p_value`` (chi-square test of equal rates across bands).
    """
    bands = bands or TENURE_BANDS
    t = scorecard.table if hasattr(scorecard, "table") else scorecard
    if "tenure_years" not in t:
        raise InvalidOptionError("评估表没有任期列 tenure_years（按院系汇总时不适用）",
                                 "the scorecard has no tenure_years column (not available in a department view)")
    edges = sorted(bands)
    idx = np.searchsorted(np.array(edges), t["tenure_years"].to_numpy(float), side="right") - 1
    label = np.where((idx >= 0) & t["tenure_years"].notna().to_numpy(),
                     np.array([bands[k] for k in edges], dtype=object)[np.clip(idx, 0, None)], None)
    rows = []
    for m in measures:
        f = pd.DataFrame({"tenure_band": label, "x": t[f"{m}_numerator"].to_numpy(float),
                          "n": t[f"{m}_denominator"].to_numpy(float)})
        f = f[f["tenure_band"].notna() & (f["n"] > 0)]
        g = f.groupby("tenure_band").agg(partners=("n", "size"), numerator=("x", "sum"), denominator=("n", "sum"))
        g = g.reindex([bands[k] for k in edges]).dropna(how="all").reset_index()
        lo, hi = proportion_interval(g["numerator"], g["denominator"], level)
        tab = np.column_stack([g["numerator"], g["denominator"] - g["numerator"]])
        p = stats.chi2_contingency(tab)[1] if len(g) > 1 and tab.sum(0).min() > 0 else np.nan
        rows.append(g.assign(measure=m, estimate=g["numerator"] / g["denominator"], ci_low=lo, ci_high=hi,
                             p_value=p))
    out = pd.concat(rows, ignore_index=True)
    return out[["measure", "tenure_band", "partners", "numerator", "denominator", "estimate", "ci_low", "ci_high",
                "p_value"]]
