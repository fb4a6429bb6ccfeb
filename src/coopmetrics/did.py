"""Before and after a partnership starts (合作开始前后): staggered difference-in-differences.

:func:`partnership_effect` estimates the effect of a partnership on a major's
outcomes when majors start partnerships in different years (staggered
adoption), in the spirit of Callaway & Sant'Anna (2021): group-time average
treatment effects ATT(g, t) on the major-by-year rates, with majors whose
partnership has not started yet (or never starts) as controls, aggregated to an
overall effect and an event-study series. Inference is a cluster bootstrap over
majors (all group-time effects and aggregations re-computed per replicate with
one matrix product; no loop per cell or per major).

This is the *unconditional* estimator (no covariates): with no covariates the
outcome-regression, IPW and doubly-robust estimators of Callaway & Sant'Anna all
reduce to it. The tests cross-check every ATT(g, t) and the aggregations against
the ``csdid`` package (a port of R ``did``).

Examples
--------
>>> import pandas as pd
>>> from coopmetrics.did import partnership_effect_values
>>> cells = pd.DataFrame({
...     "major": ["a"] * 3 + ["b"] * 3 + ["c"] * 3,
...     "grad_year": [2020, 2021, 2022] * 3,
...     "value": [0.60, 0.62, 0.75, 0.50, 0.52, 0.55, 0.70, 0.71, 0.74]})
>>> res = partnership_effect_values(cells, start={"a": 2022}, n_boot=200)
>>> res.group_time.loc[res.group_time["time"] == 2022, "att"].round(3).tolist()
[0.1]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .errors import InputError, InvalidOptionError, MissingColumnError, check_option

__all__ = [
    "PartnershipEffect",
    "EVENT_STUDY_COLUMNS",
    "GROUP_TIME_COLUMNS",
    "OVERALL_COLUMNS",
    "partnership_effect",
    "partnership_effect_values",
    "partnership_starts",
]

#: Columns of ``PartnershipEffect.event_study``.
EVENT_STUDY_COLUMNS = ["event_time", "att", "se", "ci_low", "ci_high", "n_groups", "n_units"]
#: Columns of ``PartnershipEffect.group_time``.
GROUP_TIME_COLUMNS = ["group", "time", "event_time", "base_period", "att", "se", "ci_low", "ci_high",
                      "n_treated", "n_control"]
#: Columns of ``PartnershipEffect.overall``.
OVERALL_COLUMNS = ["indicator", "aggregation", "att", "se", "ci_low", "ci_high", "p_value", "n_groups",
                   "n_treated_units", "n_never_treated", "control"]


@dataclass(frozen=True)
class PartnershipEffect:
    """Result of :func:`partnership_effect` (immutable).

    Attributes
    ----------
    indicator : str
    overall : pandas.DataFrame
        One row per aggregation: ``simple`` (average of all post-start ATT(g, t)
        weighted by group size), ``group`` (average of each cohort's post-start
        effects, weighted by cohort size; Callaway & Sant'Anna's recommended
        summary) and ``dynamic`` (average of the event-study effects at event
        times ≥ 0). Columns :data:`OVERALL_COLUMNS`.
    event_study : pandas.DataFrame
        ATT by years since the start (``event_time`` 0 = first year), columns
        :data:`EVENT_STUDY_COLUMNS`; negative event times are placebo
        (pre-trend) estimates.
    group_time : pandas.DataFrame
        ATT(g, t) per start-year cohort ``group`` and year ``time``, columns
        :data:`GROUP_TIME_COLUMNS`.
    starts : pandas.DataFrame
        The start year used for each unit (``unit``, ``start``, ``status`` in
        ``treated``, ``never_treated``, ``always_treated`` (excluded: no
        pre-period), ``treated_after_panel`` (used as never treated)).
    pre_trend_p : float
        p-value of the joint Wald test that all pre-start event-study effects are
        zero (bootstrap covariance); small values cast doubt on parallel trends.
    settings : dict
        Control group, base period, bootstrap replicates, seed, level.
    """

    indicator: str
    overall: pd.DataFrame
    event_study: pd.DataFrame
    group_time: pd.DataFrame
    starts: pd.DataFrame
    pre_trend_p: float
    settings: dict = field(default_factory=dict)

    @property
    def table(self) -> pd.DataFrame:
        """The headline table: :attr:`overall` (one row per aggregation)."""
        return self.overall

    def tidy(self, part: str = "overall") -> pd.DataFrame:
        """A copy of one result table as a plain DataFrame (safe to concat, merge and save).

        Parameters
        ----------
        part : {"overall", "event_study", "group_time", "starts"}

        Examples
        --------
        >>> import pandas as pd
        >>> cells = pd.DataFrame({"major": list("aabbcc"), "grad_year": [2021, 2022] * 3,
        ...                       "value": [0.5, 0.7, 0.5, 0.5, 0.6, 0.61]})
        >>> res = partnership_effect_values(cells, start={"a": 2022}, n_boot=50)
        >>> res.tidy()["aggregation"].tolist(), list(res.tidy("event_study")["event_time"])
        (['simple', 'group', 'dynamic'], [-1, 0])
        """
        check_option("part", part, ("overall", "event_study", "group_time", "starts"), "PartnershipEffect.tidy")
        out = getattr(self, part).copy()
        out.attrs = {}
        return out

    def plot(self, **kwargs: Any) -> Any:
        """Event-study plot (:func:`coopmetrics.plots.plot_event_study`; keyword arguments pass on)."""
        from .plots import plot_event_study  # rendering is imported only when a plot is asked for

        return plot_event_study(self.event_study, **kwargs)

    def _repr_html_(self) -> str:
        import html

        head = html.escape(f"Partnership effect on {self.indicator} (staggered DiD); "
                           f"pre-trend p = {self.pre_trend_p:.3g}")
        return (f"<div><p><b>{head}</b></p>{self.overall._repr_html_()}"
                f"<p>event study (<code>.event_study</code>)</p>{self.event_study._repr_html_()}</div>")

    def summary(self, lang: str = "en") -> str:
        """Readable summary (``lang="zh"`` for Chinese).

        Examples
        --------
        >>> import pandas as pd
        >>> cells = pd.DataFrame({"major": list("aabbcc"), "grad_year": [2021, 2022] * 3,
        ...                       "value": [0.5, 0.7, 0.5, 0.5, 0.6, 0.61]})
        >>> print(partnership_effect_values(cells, start={"a": 2022}, n_boot=50).summary()
        ...       .splitlines()[0])
        Partnership effect on value (staggered DiD, Callaway & Sant'Anna 2021)
        """
        check_option("lang", lang, ("en", "zh"), "PartnershipEffect.summary")
        s = self.settings
        lvl = int(round(100 * s.get("ci_level", 0.95)))
        lines = []
        if lang == "zh":
            lines.append(f"合作开始对“{_indicator_zh(self.indicator)}”的影响（交错双重差分，Callaway & Sant'Anna 2021）")
            lines.append(f"对照组：{'尚未开始合作的专业' if s['control'] == 'not_yet_treated' else '从未合作的专业'}；"
                         f"基期：{_BASE_ZH.get(s['base_period'], s['base_period'])}；"
                         f"按专业聚类自助法 {s['n_boot']} 次")
        else:
            lines.append(f"Partnership effect on {self.indicator} (staggered DiD, Callaway & Sant'Anna 2021)")
            lines.append(f"controls: {s['control'].replace('_', '-')} units; base period: {s['base_period']}; "
                         f"cluster bootstrap over units, {s['n_boot']} replicates")
        for r in self.overall.itertuples():
            if lang == "zh":
                lines.append(f"  {_AGG_ZH.get(r.aggregation, r.aggregation)}：平均处理效应 {r.att:+.4f}"
                             f"（{lvl}% 置信区间 {r.ci_low:+.4f} 至 {r.ci_high:+.4f}，p = {r.p_value:.3g}）")
            else:
                lines.append(f"  {r.aggregation:<8} ATT = {r.att:+.4f}  ({lvl}% CI {r.ci_low:+.4f} to "
                             f"{r.ci_high:+.4f}, p = {r.p_value:.3g})")
        st = self.starts["status"].value_counts()
        if lang == "zh":
            lines.append(f"  处理专业 {int(st.get('treated', 0))} 个，从未合作 "
                         f"{int(st.get('never_treated', 0) + st.get('treated_after_panel', 0))} 个，"
                         f"样本期前已合作（剔除）{int(st.get('always_treated', 0))} 个")
            lines.append(f"  合作前各期效应联合为零的检验 p = {self.pre_trend_p:.3g}（检验平行趋势）")
        else:
            lines.append(f"  treated units {int(st.get('treated', 0))}, never treated "
                         f"{int(st.get('never_treated', 0) + st.get('treated_after_panel', 0))}, treated before "
                         f"the panel (excluded) {int(st.get('always_treated', 0))}")
            lines.append(f"  joint test of zero pre-start effects (parallel trends): p = {self.pre_trend_p:.3g}")
        return "\n".join(lines)


def _indicator_zh(indicator: str) -> str:
    """The Chinese name of a registry indicator (a column name that is not one is shown as given)."""
    from .errors import UnknownIndicatorError
    from .registry import get_indicator

    try:
        return get_indicator(indicator).name_zh
    except UnknownIndicatorError:
        return indicator


#: Words of the summary in Chinese: aggregations of ATT(g, t) and base periods.
_AGG_ZH = {"simple": "总体（全部合作后各期平均）", "group": "按开始年份加权", "dynamic": "按合作年数（事件研究）平均"}
_BASE_ZH = {"universal": "统一基期（合作前一年）", "varying": "逐期基期（前一期）"}


def partnership_starts(
    data: Any, unit: str = "major", forms: str | Sequence[str] | None = None
) -> dict[Any, int]:
    """First partnership start year per unit from the enterprises table.

    Parameters
    ----------
    data : Dataset
        Must hold the ``enterprises`` table (``partnership_start`` per firm × major).
    unit : str
        Unit column (default ``major``).
    forms : str or sequence of str, optional
        Only partnerships of these forms (column ``form``, e.g. ``"产业学院"``) count;
        default: every form. Most majors have had *some* partner firm for years, so
        the partnership whose effect you study is usually one specific form.

    Examples
    --------
    >>> import pandas as pd
    >>> import coopmetrics as cm
    >>> e = pd.DataFrame({"enterprise": ["x", "y", "z"], "year": 2023, "major": ["a", "a", "b"],
    ...                   "partnership_start": [2019, 2017, 2021]})
    >>> partnership_starts(cm.Dataset(enterprises=e))
    {'a': 2017, 'b': 2021}
    """
    ent = data.get("enterprises") if hasattr(data, "get") and not isinstance(data, pd.DataFrame) else None
    if ent is None:
        raise InvalidOptionError(
            "没有合作企业表，无法得到合作开始年份；请用 start={专业: 年份} 指定",
            "no enterprises table to read partnership start years from; pass start={unit: year}.",
        )
    if not isinstance(ent, pd.DataFrame):
        ent = ent.to_pandas() if hasattr(ent, "to_pandas") else pd.DataFrame(ent)
    for c in (unit, "partnership_start"):
        if c not in ent.columns:
            raise MissingColumnError(
                f"合作企业表缺少列 {c!r}", f"the enterprises table has no column {c!r}", column=c)
    keep = ent["partnership_start"].notna() & ent[unit].notna()
    if forms is not None:
        if "form" not in ent.columns:
            raise MissingColumnError("合作企业表缺少列 'form'（合作形式）", "the enterprises table has no column 'form'",
                                     column="form")
        wanted = [forms] if isinstance(forms, str) else list(forms)
        keep &= ent["form"].isin(wanted)
    s = ent.loc[keep].groupby(unit, observed=True)["partnership_start"].min()
    return {k: int(v) for k, v in s.items()}


def partnership_effect(
    data: Any,
    indicator: str,
    start: Mapping[Any, int] | None = None,
    unit: str = "major",
    time: str = "grad_year",
    control: str = "not_yet_treated",
    *,
    start_forms: str | Sequence[str] | None = None,
    base_period: str = "universal",
    options: Any = None,
    ci_level: float = 0.95,
    n_boot: int = 999,
    seed: int = 2024,
) -> PartnershipEffect:
    """Effect of a partnership's start on a unit's (major's) outcomes: staggered DiD.

    Parameters
    ----------
    data : Dataset or DataFrame
        Input data; unit values of ``indicator`` are averaged per ``unit`` × ``time``.
    indicator : str
        Registry id (proportion, mean or survey share).
    start : mapping, optional
        Unit → first year treated (graduates of that year are the first exposed).
        Default: the first ``partnership_start`` per unit in the enterprises table.
        Units not in the mapping are never treated. Units already treated in the
        first year observed have no pre-period and are left out (``starts``
        says so), as in Callaway & Sant'Anna.
    unit : str
        Panel unit (default ``major``); also the bootstrap cluster.
    time : str
        Year column (default ``grad_year``).
    control : {"not_yet_treated", "never_treated"}
        Control units for each ATT(g, t).
    start_forms : str or sequence of str, optional
        With ``start=None``: only partnerships of these forms count (see
        :func:`partnership_starts`), e.g. ``"产业学院"``.
    base_period : {"universal", "varying"}
        ``universal``: every ATT(g, t) compares year t with g − 1 (event time −1
        is the reference and is 0 by construction); ``varying``: pre-start
        periods compare t with t − 1, as R ``did``'s default.
    options : registry.Options, optional
    ci_level : float
    n_boot : int
        Cluster bootstrap replicates.
    seed : int

    Returns
    -------
    PartnershipEffect
        ``.overall``, ``.event_study``, ``.group_time`` DataFrames and ``.summary()``.

    Examples
    --------
    >>> import coopmetrics as cm                                              # doctest: +SKIP
    >>> res = cm.partnership_effect(cm.sample.generate(), "placement_rate")  # doctest: +SKIP
    >>> res.event_study                                                       # doctest: +SKIP
    """
    if start is None:
        start = partnership_starts(data, unit, start_forms)
    v = _unit_time_cells(data, indicator, unit, time, options)
    return partnership_effect_values(
        v, start=start, indicator=indicator, unit=unit, time=time, control=control,
        base_period=base_period, ci_level=ci_level, n_boot=n_boot, seed=seed,
    )


def _unit_time_cells(data: Any, indicator: str, unit: str, time: str, options: Any) -> pd.DataFrame:
    """Unit × time outcome means, built by the engine where the indicator allows.

    Unweighted proportions and means are a ratio of totals per cell: one
    ``compute(by=[unit, time])`` pass (pushed down to DuckDB/Polars/Dask, so only the
    cells reach pandas) gives numerator and denominator, and their ratio is the cell's
    mean of the unit values. Survey shares (per-answer rows with respondent weights)
    still average :func:`coopmetrics.unit_values`, as before.
    """
    from .compute import compute, unit_values
    from .registry import get_indicator

    ind = get_indicator(indicator)
    if ind.kind in ("proportion", "mean") and ind.survey_kind is None and unit != time:
        res = compute(data, [ind.id], by=[unit, time], options=options)
        if {unit, time, "numerator", "denominator"} <= set(res.columns) and not (res["note"].astype(str) != "").any():
            den = res["denominator"].to_numpy(dtype=float)
            keep = (den > 0) & res[unit].notna().to_numpy() & res[time].notna().to_numpy()
            return pd.DataFrame({unit: res.loc[keep, unit].to_numpy(), time: res.loc[keep, time].to_numpy(),
                                 "value": res.loc[keep, "numerator"].to_numpy(dtype=float) / den[keep]})
    v = unit_values(data, indicator, columns=(unit, time), options=options)
    if not isinstance(v, pd.DataFrame):
        v = v.to_pandas() if hasattr(v, "to_pandas") else pd.DataFrame(v)
    return v


def _cells(values: pd.DataFrame, unit: str, time: str) -> pd.DataFrame:
    """Weighted mean of ``value`` per unit × time (one group-by)."""
    v = values.loc[values["value"].notna(), [unit, time, "value"] + (["weight"] if "weight" in values else [])]
    v = v.assign(weight=v["weight"].astype(float) if "weight" in v else 1.0)
    v = v.assign(wy=v["weight"] * v["value"].astype(float))
    g = v.groupby([unit, time], sort=True, observed=True).agg(sw=("weight", "sum"), swy=("wy", "sum"),
                                                              n=("value", "size")).reset_index()
    g["y"] = g["swy"] / g["sw"]
    return g


def _validate(values: pd.DataFrame, unit: str, time: str, control: str, base_period: str, ci_level: float,
              n_boot: int) -> None:
    check_option("control", control, ("not_yet_treated", "never_treated"), "partnership_effect")
    check_option("base_period", base_period, ("universal", "varying"), "partnership_effect")
    if not (isinstance(ci_level, int | float) and 0 < ci_level < 1):
        raise InvalidOptionError(
            f"ci_level 必须在 0 和 1 之间，收到 {ci_level!r}",
            f"The 'ci_level' of partnership_effect() must be between 0 and 1. Got {ci_level!r} instead.",
        )
    if not isinstance(n_boot, int | np.integer) or n_boot < 2:
        raise InvalidOptionError("n_boot 至少为 2", f"'n_boot' must be an integer >= 2. Got {n_boot!r}.")
    missing = [c for c in (unit, time, "value") if c not in values.columns]
    if missing:
        raise MissingColumnError(
            f"partnership_effect() 需要的列不存在：{missing}",
            f"partnership_effect() needs column(s) {missing}", column=", ".join(missing))


def _start_status(units: np.ndarray, start: Mapping[Any, int], first: int, last: int
                  ) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Start year and status of every unit; ``g_eff`` is the start year of treated units, 0 for
    never treated (and treated after the panel), −1 for units treated before it (left out)."""
    g_of = np.array([int(start[u]) if u in start and pd.notna(start[u]) else 0 for u in units])
    status = np.where(g_of == 0, "never_treated",
                      np.where(g_of <= first, "always_treated",
                               np.where(g_of > last, "treated_after_panel", "treated")))
    g_eff = np.where(status == "treated", g_of, np.where(status == "always_treated", -1, 0))
    starts_df = pd.DataFrame({"unit": units, "start": np.where(g_of == 0, pd.NA, g_of), "status": status})
    return g_eff, status, starts_df


def _gt_cells(groups: np.ndarray, years: np.ndarray, base_period: str) -> tuple[np.ndarray, ...]:
    """Cohort, period index and base-period index of every ATT(g, t) cell."""
    cg, ct, cb = [], [], []
    for g in groups:  # a handful of cohorts; the matrices built from these carry all the work
        gi = int(np.searchsorted(years, g))
        universal_base = gi - 1
        for ti in range(len(years)):
            if base_period == "universal":
                if ti == universal_base:
                    continue
                bi = universal_base
            else:
                bi = ti - 1 if ti < gi else universal_base
                if bi < 0 or ti == bi:
                    continue
            cg.append(int(g))
            ct.append(ti)
            cb.append(bi)
    return np.array(cg), np.array(ct), np.array(cb)


@dataclass(frozen=True)
class _Plan:
    """Treated/control indicator matrices (units × cells) and the aggregation structure."""

    td: np.ndarray
    cd: np.ndarray
    tf: np.ndarray
    cf: np.ndarray
    treated: np.ndarray
    ctrl: np.ndarray
    event: np.ndarray
    events: np.ndarray
    gmat: np.ndarray
    cell_group: np.ndarray
    n_groups: int

    def estimate(self, w: np.ndarray) -> dict[str, np.ndarray]:
        """All estimates for unit weights ``w`` (replicates × units), by matrix products."""
        event, events, cell_group = self.event, self.events, self.cell_group
        with np.errstate(invalid="ignore", divide="ignore"):
            att = (w @ self.td) / (w @ self.tf) - (w @ self.cd) / (w @ self.cf)
            size = w @ self.gmat  # replicates x groups
            cw = size[:, cell_group]  # weight of each cell = its cohort's size
            ok = np.isfinite(att)
            cwv = np.where(ok, cw, 0.0)
            attv = np.where(ok, att, 0.0)
            post = (event >= 0)[None, :]
            simple = (cwv * attv * post).sum(1) / (cwv * post).sum(1)
            # group aggregation: mean over each cohort's post cells, then cohort-size weights
            pm = (post & ok).astype(float)
            gsum = np.zeros((w.shape[0], self.n_groups))
            gcnt = np.zeros_like(gsum)
            np.add.at(gsum.T, cell_group, (attv * pm).T)
            np.add.at(gcnt.T, cell_group, pm.T)
            theta_g = gsum / gcnt
            gw = np.where(np.isfinite(theta_g), size, 0.0)
            group_agg = np.nansum(theta_g * gw, axis=1) / gw.sum(1)
            es = np.empty((w.shape[0], events.size))
            for k, e in enumerate(events):  # a few event times
                m = (event == e)[None, :]
                es[:, k] = (cwv * attv * m).sum(1) / (cwv * m).sum(1)
            post_es = np.where(events[None, :] >= 0, es, np.nan)
            n_ok = np.isfinite(post_es).sum(axis=1)
            dyn = np.where(n_ok > 0, np.nansum(post_es, axis=1) / np.maximum(n_ok, 1), np.nan)
        return {"att": att, "simple": simple, "group": group_agg, "dynamic": dyn, "es": es}


def _plan(y: np.ndarray, g_eff: np.ndarray, groups: np.ndarray, years: np.ndarray, cells: tuple[np.ndarray, ...],
          control: str) -> _Plan:
    cg_a, ct_a, cb_a = cells
    d = y[:, ct_a] - y[:, cb_a]  # units x cells
    obs = ~np.isnan(d)
    d0 = np.where(obs, d, 0.0)
    treated = (g_eff[:, None] == cg_a[None, :]) & obs
    t_year, b_year = years[ct_a], years[cb_a]
    if control == "never_treated":
        ctrl = (g_eff[:, None] == 0) & np.ones_like(obs)
    else:
        horizon = np.maximum(t_year, b_year)
        ctrl = (g_eff[:, None] == 0) | ((g_eff[:, None] > horizon[None, :]) & (g_eff[:, None] != cg_a[None, :]))
    ctrl = ctrl & obs
    event = t_year - cg_a
    return _Plan(td=treated * d0, cd=ctrl * d0, tf=treated.astype(float), cf=ctrl.astype(float), treated=treated,
                 ctrl=ctrl, event=event, events=np.unique(event),
                 gmat=(g_eff[:, None] == groups[None, :]).astype(float), cell_group=np.searchsorted(groups, cg_a),
                 n_groups=int(groups.size))


def _pre_trend_p(es_att: np.ndarray, boot_es: np.ndarray, events: np.ndarray, base_period: str) -> float:
    """Joint Wald test of the pre-start event-study effects (bootstrap covariance)."""
    pre = (events < 0) & ~((events == -1) & (base_period == "universal"))
    if not pre.any():
        return np.nan
    th = es_att[pre]
    bs = boot_es[:, pre]
    bs = bs[np.isfinite(bs).all(axis=1)]
    if len(bs) > pre.sum() + 1 and np.isfinite(th).all():
        cov = np.atleast_2d(np.cov(bs, rowvar=False))
        wald = float(th @ np.linalg.pinv(cov) @ th)
        return float(stats.chi2.sf(wald, int(pre.sum())))
    return np.nan


def _result_tables(plan: _Plan, point: dict, boot: dict, cells: tuple[np.ndarray, ...], years: np.ndarray,
                   g_eff: np.ndarray, groups: np.ndarray, z: float, indicator: str, control: str,
                   base_period: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Group-time, event-study and overall tables from the point estimates and the bootstrap."""
    cg_a, ct_a, cb_a = cells
    event, events, treated = plan.event, plan.events, plan.treated
    att = point["att"][0]
    se = np.nanstd(boot["att"], axis=0, ddof=1)
    gt = pd.DataFrame({
        "group": cg_a, "time": years[ct_a], "event_time": event, "base_period": years[cb_a], "att": att, "se": se,
        "ci_low": att - z * se, "ci_high": att + z * se,
        "n_treated": treated.sum(0), "n_control": plan.ctrl.sum(0),
    })
    es_att = point["es"][0]
    es_se = np.nanstd(boot["es"], axis=0, ddof=1)
    n_groups_e = np.array([len(np.unique(cg_a[(event == e) & np.isfinite(att)])) for e in events])
    n_units_e = np.array([int(treated[:, event == e].any(axis=1).sum()) for e in events])
    es = pd.DataFrame({"event_time": events, "att": es_att, "se": es_se, "ci_low": es_att - z * es_se,
                       "ci_high": es_att + z * es_se, "n_groups": n_groups_e, "n_units": n_units_e})
    if base_period == "universal":  # the reference period: zero by construction, shown for plots
        ref = pd.DataFrame({"event_time": [-1], "att": [0.0], "se": [0.0], "ci_low": [0.0], "ci_high": [0.0],
                            "n_groups": [int(groups.size)], "n_units": [int((g_eff > 0).sum())]})
        es = pd.concat([es, ref], ignore_index=True).sort_values("event_time").reset_index(drop=True)
    rows = []
    for name in ("simple", "group", "dynamic"):
        a = float(point[name][0])
        s = float(np.nanstd(boot[name], ddof=1))
        rows.append({"indicator": indicator, "aggregation": name, "att": a, "se": s, "ci_low": a - z * s,
                     "ci_high": a + z * s, "p_value": float(2 * stats.norm.sf(abs(a / s))) if s > 0 else np.nan,
                     "n_groups": int(groups.size), "n_treated_units": int((g_eff > 0).sum()),
                     "n_never_treated": int((g_eff == 0).sum()), "control": control})
    return gt, es, pd.DataFrame(rows, columns=OVERALL_COLUMNS)


def partnership_effect_values(
    values: pd.DataFrame,
    start: Mapping[Any, int],
    *,
    indicator: str = "value",
    unit: str = "major",
    time: str = "grad_year",
    control: str = "not_yet_treated",
    base_period: str = "universal",
    ci_level: float = 0.95,
    n_boot: int = 999,
    seed: int = 2024,
) -> PartnershipEffect:
    """:func:`partnership_effect` on a frame of unit values or unit × year rates.

    Parameters
    ----------
    values : pandas.DataFrame
        ``unit``, ``time``, ``value`` and optional ``weight``; rows are averaged per
        unit × time, so a frame with one rate per unit and year works as is.
    start : mapping
        Unit → first treated year; other units are never treated.
    indicator, unit, time, control, base_period, ci_level, n_boot, seed
        As in :func:`partnership_effect`.

    Returns
    -------
    PartnershipEffect
    """
    _validate(values, unit, time, control, base_period, ci_level, n_boot)
    cells = _cells(values, unit, time)
    if cells.empty:
        raise InputError("没有可用的数据", "no usable rows (all values missing)")
    wide = cells.pivot(index=unit, columns=time, values="y")
    units = wide.index.to_numpy()
    years = np.asarray(wide.columns, dtype=int)
    y = wide.to_numpy(dtype=float)  # units x periods, NaN where a unit has no graduates that year
    first, last = years.min(), years.max()
    g_eff, status, starts_df = _start_status(units, start, first, last)
    groups = np.unique(g_eff[g_eff > 0])
    if groups.size == 0:
        n_always = int((status == "always_treated").sum())
        raise InputError(
            f"没有在样本期（{first}–{last}）内开始合作的单位，无法估计；{n_always} 个单位在 {first} 年前已合作。"
            "请用 start_forms=（如 '产业学院'）选定研究的合作形式，或用 start={单位: 年份} 指定",
            f"no unit starts a partnership inside the years observed ({first}-{last}): nothing to estimate; "
            f"{n_always} unit(s) were already in a partnership in {first}. Choose the partnership form studied "
            "with start_forms= (e.g. '产业学院') or pass start={unit: year}.",
        )
    gt_cells = _gt_cells(groups, years, base_period)
    plan = _plan(y, g_eff, groups, years, gt_cells, control)
    point = plan.estimate(np.ones((1, len(units))))
    rng = np.random.default_rng(seed)
    # cluster (unit) bootstrap with multinomial resampling weights; a replicate that
    # draws no unit of some cohort gives NaN for its cells, which nan-aware SDs skip
    wb = rng.multinomial(len(units), np.full(len(units), 1 / len(units)), size=n_boot).astype(float)
    boot = plan.estimate(wb)
    z = stats.norm.isf((1 - ci_level) / 2)
    gt, es, overall = _result_tables(plan, point, boot, gt_cells, years, g_eff, groups, z, indicator, control,
                                     base_period)
    pre_p = _pre_trend_p(point["es"][0], boot["es"], plan.events, base_period)
    settings = {"control": control, "base_period": base_period, "n_boot": int(n_boot), "seed": seed,
                "ci_level": ci_level, "unit": unit, "time": time}
    return PartnershipEffect(indicator=indicator, overall=overall, event_study=es[EVENT_STUDY_COLUMNS],
                             group_time=gt[GROUP_TIME_COLUMNS], starts=starts_df, pre_trend_p=pre_p,
                             settings=settings)
