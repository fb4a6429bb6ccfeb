"""Funnel plots and trend tests (漏斗图与趋势检验): units against the whole, rates across years.

funnel, funnel_values, funnel_limits
    Each unit's rate against the overall rate with exact binomial control limits
    (Spiegelhalter 2005), optionally overdispersion-adjusted.
trend_test, trend_test_values
    Cochran–Armitage test for a trend in a rate across graduation years.

Both are re-exported by :mod:`coopmetrics.compare` (and the package: ``cm.funnel``, ``cm.trend_test``). Formulas: ``docs/comparisons.md`` §2–3.

Examples
--------
>>> lo, hi = funnel_limits(0.5, 10, 0.95)
>>> round(float(lo), 4), round(float(hi), 4)
(0.1324, 0.7676)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .compare_base import KINDS, _as_list, _kind_of, _need, _unit_values
from .contrasts import bh_qvalues
from .errors import InvalidOptionError, check_option

__all__ = ["FUNNEL_COLUMNS", "TREND_COLUMNS", "funnel", "funnel_limits", "funnel_values", "trend_test",
           "trend_test_values"]

FUNNEL_COLUMNS = [
    "unit", "numerator", "denominator", "estimate", "overall", "z", "lower_95", "upper_95",
    "lower_998", "upper_998", "limits", "phi", "tau2", "overdispersion_p", "position", "flag",
]
#: Columns of :func:`trend_test` after ``indicator`` and the ``by`` columns.
TREND_COLUMNS = [
    "n_years", "first_year", "last_year", "numerator", "denominator", "estimate_first",
    "estimate_last", "slope", "statistic", "p_value", "q_value", "method",
]


def funnel_limits(target: Any, n: Any, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact binomial control limits of a proportion around ``target`` for size ``n``.

    Spiegelhalter (2005, appendix A.1.1): with ``r_p`` the ``p``-quantile of
    Binomial(n, target) (smallest r with P(R ≤ r) ≥ p) and
    ``α = (P(R ≤ r_p) − p) / (P(R ≤ r_p) − P(R ≤ r_p − 1))``, the limit is
    ``(r_p − α) / n``: the discrete quantile interpolated so that the limits are
    smooth in ``n``. Lower limit at ``p = (1 − level)/2``, upper at ``(1 + level)/2``.

    Examples
    --------
    >>> lo, hi = funnel_limits(0.5, 10, 0.95)   # worked out by hand in the tests
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.1324, 0.7676)
    """
    target = np.asarray(target, dtype=float)
    n = np.asarray(n, dtype=float)

    def lim(p: float) -> np.ndarray:
        r = stats.binom.ppf(p, n, target)
        c_r = stats.binom.cdf(r, n, target)
        c_rm1 = stats.binom.cdf(r - 1, n, target)
        with np.errstate(invalid="ignore", divide="ignore"):
            alpha = (c_r - p) / (c_r - c_rm1)
            return np.clip((r - alpha) / n, 0, 1)

    return lim((1 - level) / 2), lim((1 + level) / 2)


def funnel(
    data: Any,
    indicator: str,
    unit: str = "major",
    by: str | Sequence[str] | None = None,
    options: Any = None,
    *,
    overdispersion: str | None = None,
    winsor: float = 0.1,
) -> pd.DataFrame:
    """Each unit's rate against the overall rate, with funnel-plot control limits.

    Parameters
    ----------
    data : Dataset or DataFrame
    indicator : str
        Registry id of a proportion (or Likert top-box) indicator; mean indicators
        get normal limits ``overall ± z·sd/√n``.
    unit : str
        Column of the units compared (``major``, ``department``, ``college``).
    by : str or sequence of str, optional
        Separate funnels per group (e.g. ``grad_year``); the overall rate is the
        pooled rate of each group.
    options : registry.Options, optional
    overdispersion : {None, "multiplicative", "additive"}
        ``None``: exact binomial limits. ``"multiplicative"``: limits widened by
        √φ where φ is the mean squared winsorised z-score (used only when φ > 1).
        ``"additive"``: random-effects limits ``overall ± z·sqrt(s²_i + τ²)`` with
        the DerSimonian–Laird τ² from φ (Spiegelhalter 2005b).
    winsor : float
        Share winsorised in each tail when estimating φ (0.1 as Spiegelhalter).

    Returns
    -------
    pandas.DataFrame
        ``indicator``, the ``by`` columns, then :data:`FUNNEL_COLUMNS`:
        ``unit`` (the unit's label), ``numerator``, ``denominator``, ``estimate``,
        ``overall``, ``z`` (standardised difference), ``lower_95``, ``upper_95``,
        ``lower_998``, ``upper_998``, ``limits`` (which limits), ``phi``, ``tau2``,
        ``overdispersion_p`` (χ² test of φ = 1 on units − 1 df), ``position``
        (``below_998``, ``below_95``, ``within``, ``above_95``, ``above_998``) and
        ``flag`` (plain language, empty inside the 99.8 % limits). Units are not
        ranked.

    Examples
    --------
    >>> import coopmetrics as cm                             # doctest: +SKIP
    >>> cm.funnel(ds, "placement_rate", unit="major")        # doctest: +SKIP
    """
    check_option("overdispersion", overdispersion, [None, "multiplicative", "additive"], "funnel")
    kind, _ind = _kind_of(indicator)
    by_l = _as_list(by)
    v = _unit_values(data, indicator, [unit, *by_l], options)
    return funnel_values(v, kind, indicator=indicator, unit=unit, by=by_l, overdispersion=overdispersion,
                         winsor=winsor)


def funnel_values(
    values: pd.DataFrame,
    kind: str = "proportion",
    *,
    indicator: str = "value",
    unit: str = "major",
    by: str | Sequence[str] | None = None,
    overdispersion: str | None = None,
    winsor: float = 0.1,
) -> pd.DataFrame:
    """:func:`funnel` on a frame of unit values (``value`` column plus ``unit``/``by`` columns).

    Examples
    --------
    >>> import pandas as pd
    >>> v = pd.DataFrame({"major": ["a"] * 100 + ["b"] * 100 + ["c"] * 20,
    ...                   "value": [1] * 90 + [0] * 10 + [1] * 30 + [0] * 70 + [1] * 12 + [0] * 8})
    >>> funnel_values(v)[["unit", "estimate", "overall", "position"]]
      unit  estimate  overall   position
    0    a       0.9      0.6  above_998
    1    b       0.3      0.6  below_998
    2    c       0.6      0.6     within
    """
    check_option("kind", kind, KINDS, "funnel")
    check_option("overdispersion", overdispersion, [None, "multiplicative", "additive"], "funnel")
    by_l = _as_list(by)
    _need(values, ["value", unit, *by_l], "funnel")
    v = values.loc[values["value"].notna(), [unit, *by_l, "value"]]
    keys = [*by_l, unit]
    g = v.groupby(keys, sort=True, observed=True)["value"]
    t = g.agg(numerator="sum", denominator="size", ss=lambda s: float((s**2).sum())).reset_index() \
        if kind in ("mean", "median") else g.agg(numerator="sum", denominator="size").reset_index()
    grp = t.groupby(by_l, sort=False) if by_l else None

    def gsum(col: str) -> pd.Series:
        return grp[col].transform("sum") if grp is not None else pd.Series(t[col].sum(), index=t.index)

    num_tot, den_tot = gsum("numerator"), gsum("denominator")
    overall = (num_tot / den_tot).to_numpy()
    n = t["denominator"].to_numpy(dtype=float)
    est = t["numerator"].to_numpy(dtype=float) / n
    binomial = kind in ("proportion", "likert")
    if binomial:
        var1 = overall * (1 - overall)  # variance of one unit under the null
    else:
        ss_tot = gsum("ss").to_numpy()
        var1 = (ss_tot - den_tot.to_numpy() * overall**2) / (den_tot.to_numpy() - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        zs = (est - overall) / np.sqrt(var1 / n)
    gid = t.groupby(by_l, sort=False, observed=True, dropna=False).ngroup().to_numpy() if by_l else 0
    phi, tau2, od_p = _overdispersion(zs, np.broadcast_to(gid, zs.shape), n, var1, winsor)
    out = t[keys].rename(columns={unit: "unit"}).copy()
    out["numerator"] = t["numerator"].to_numpy()
    out["denominator"] = t["denominator"].to_numpy()
    out["estimate"] = est
    out["overall"] = overall
    out["z"] = zs
    for lev, tag in ((0.95, "95"), (0.998, "998")):
        zq = stats.norm.isf((1 - lev) / 2)
        if overdispersion == "multiplicative":
            half = zq * np.sqrt(np.maximum(phi, 1.0) * var1 / n)
            lo, hi = overall - half, overall + half
        elif overdispersion == "additive":
            half = zq * np.sqrt(var1 / n + tau2)
            lo, hi = overall - half, overall + half
        elif binomial:
            lo, hi = funnel_limits(overall, n, lev)
        else:
            half = zq * np.sqrt(var1 / n)
            lo, hi = overall - half, overall + half
        if binomial:
            lo, hi = np.clip(lo, 0, 1), np.clip(hi, 0, 1)
        out[f"lower_{tag}"], out[f"upper_{tag}"] = lo, hi
    out["limits"] = {None: "exact binomial (Spiegelhalter 2005)" if binomial else "normal",
                     "multiplicative": "multiplicative overdispersion (phi, winsorised z)",
                     "additive": "additive random effects (tau2)"}[overdispersion]
    out["phi"] = phi
    out["tau2"] = tau2
    out["overdispersion_p"] = od_p
    e = out["estimate"]
    pos = np.select(
        [e < out["lower_998"], e < out["lower_95"], e > out["upper_998"], e > out["upper_95"]],
        ["below_998", "below_95", "above_998", "above_95"], default="within")
    out["position"] = pos
    out["flag"] = np.select(
        [pos == "below_998", pos == "above_998"],
        ["低于99.8%控制限 / below the 99.8% limit", "高于99.8%控制限 / above the 99.8% limit"], default="")
    out.insert(0, "indicator", indicator)
    return out[["indicator", *by_l, *FUNNEL_COLUMNS]].reset_index(drop=True)


def _overdispersion(zs: np.ndarray, gid: np.ndarray, n: np.ndarray, var1: np.ndarray, winsor: float
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per group: φ from winsorised z-scores, the DerSimonian–Laird τ² and the χ² p-value of φ = 1."""
    zf = pd.DataFrame({"z": zs, "g": gid})
    qs = zf.groupby("g")["z"].quantile([winsor, 1 - winsor]).unstack()
    qlo = qs[winsor].reindex(zf["g"]).to_numpy()
    qhi = qs[1 - winsor].reindex(zf["g"]).to_numpy()
    zw = zf["z"].clip(qlo, qhi)
    k = zf.groupby("g")["z"].transform("count").to_numpy(dtype=float)
    phi = (zw**2).groupby(zf["g"]).transform("mean").to_numpy()
    od_p = stats.chi2.sf(k * phi, k - 1)
    with np.errstate(invalid="ignore", divide="ignore"):  # overall rate 0 or 1: no variance
        wi = n / var1
    sw = pd.Series(wi).groupby(zf["g"]).transform("sum").to_numpy()
    sw2 = pd.Series(wi**2).groupby(zf["g"]).transform("sum").to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        tau2 = np.maximum(0.0, (k * phi - (k - 1)) / (sw - sw2 / sw))
    return phi, tau2, od_p


def trend_test(
    data: Any,
    indicator: str,
    by: str | Sequence[str] | None = None,
    *,
    time: str = "grad_year",
    options: Any = None,
) -> pd.DataFrame:
    """Cochran–Armitage test for a linear trend in a rate across years.

    With yearly counts ``x_t`` of ``n_t`` units, pooled rate ``p̄ = Σx/Σn`` and
    ``t̄ = Σ n_t t / Σ n_t``:
    ``T = Σ x_t (t − t̄)``, ``Var T = p̄(1 − p̄) Σ n_t (t − t̄)²``, ``z = T/√Var T``
    (two-sided normal p-value). ``z²`` equals the score test of the slope in a
    logistic regression on year (statsmodels ``GLMResults.score_test``). ``slope``
    is the least-squares change in the rate per year, ``T / Σ n_t (t − t̄)²``.

    Returns
    -------
    pandas.DataFrame
        ``indicator``, the ``by`` columns, then :data:`TREND_COLUMNS`.

    Examples
    --------
    >>> import coopmetrics as cm                                 # doctest: +SKIP
    >>> cm.trend_test(ds, "placement_rate", by="department")     # doctest: +SKIP
    """
    kind, _ind = _kind_of(indicator)
    if kind not in ("proportion", "likert"):
        raise InvalidOptionError(
            "趋势检验只适用于比例指标", "trend_test() applies to proportion indicators only.")
    by_l = _as_list(by)
    v = _unit_values(data, indicator, [time, *by_l], options)
    return trend_test_values(v, indicator=indicator, by=by_l, time=time)


def trend_test_values(
    values: pd.DataFrame, *, indicator: str = "value", by: str | Sequence[str] | None = None,
    time: str = "grad_year",
) -> pd.DataFrame:
    """:func:`trend_test` on a frame of 0/1 unit values with a ``time`` column.

    Examples
    --------
    >>> import pandas as pd
    >>> v = pd.DataFrame({"grad_year": [2021] * 4 + [2022] * 4 + [2023] * 4,
    ...                   "value": [1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0]})
    >>> r = trend_test_values(v)
    >>> round(float(r["statistic"][0]), 4), round(float(r["slope"][0]), 3)
    (1.4142, 0.25)
    """
    by_l = _as_list(by)
    _need(values, ["value", time, *by_l], "trend_test")
    v = values.loc[values["value"].notna() & values[time].notna(), [*by_l, time, "value"]].copy()
    v[time] = v[time].astype(float)
    yr = v.groupby([*by_l, time], sort=True, observed=True)["value"].agg(x="sum", n="size").reset_index()
    yr["nt"] = yr["n"] * yr[time]
    yr["nt2"] = yr["nt"] * yr[time]
    yr["xt"] = yr["x"] * yr[time]
    if by_l:
        g = yr.groupby(by_l, sort=True, observed=True)
        agg = g.agg(n_years=(time, "size"), first_year=(time, "min"), last_year=(time, "max"), x=("x", "sum"),
                    n=("n", "sum"), nt=("nt", "sum"), nt2=("nt2", "sum"), xt=("xt", "sum")).reset_index()
        first = g.first().reset_index()
        last = g.last().reset_index()
    else:
        agg = pd.DataFrame({"n_years": [len(yr)], "first_year": [yr[time].min()], "last_year": [yr[time].max()],
                            "x": [yr["x"].sum()], "n": [yr["n"].sum()], "nt": [yr["nt"].sum()],
                            "nt2": [yr["nt2"].sum()], "xt": [yr["xt"].sum()]})
        first, last = yr.iloc[[0]].reset_index(drop=True), yr.iloc[[-1]].reset_index(drop=True)
    pbar = agg["x"] / agg["n"]
    tbar = agg["nt"] / agg["n"]
    sxx = agg["nt2"] - agg["n"] * tbar**2
    tstat = agg["xt"] - agg["x"] * tbar
    with np.errstate(invalid="ignore", divide="ignore"):
        zval = (tstat / np.sqrt(pbar * (1 - pbar) * sxx)).to_numpy(dtype=float)
        slope = (tstat / sxx).to_numpy(dtype=float)
    zval = np.where(agg["n_years"].to_numpy() >= 2, zval, np.nan)
    p = 2 * stats.norm.sf(np.abs(zval))
    out = agg[by_l].copy() if by_l else pd.DataFrame(index=range(1))
    out.insert(0, "indicator", indicator)
    out["n_years"] = agg["n_years"].to_numpy()
    out["first_year"] = agg["first_year"].astype(int).to_numpy()
    out["last_year"] = agg["last_year"].astype(int).to_numpy()
    out["numerator"] = agg["x"].to_numpy()
    out["denominator"] = agg["n"].to_numpy()
    out["estimate_first"] = (first["x"] / first["n"]).to_numpy()
    out["estimate_last"] = (last["x"] / last["n"]).to_numpy()
    out["slope"] = slope
    out["statistic"] = zval
    out["p_value"] = p
    out["q_value"] = bh_qvalues(p)
    out["method"] = "cochran-armitage"
    return out[["indicator", *by_l, *TREND_COLUMNS]].reset_index(drop=True)
