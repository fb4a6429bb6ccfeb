"""Figures of the partner evaluation (rendering only; the numbers come from the scorecard).

Figures are pyplot-free :class:`matplotlib.figure.Figure` objects (as :mod:`coopmetrics.plots`).

Examples
--------
>>> import coopmetrics as cm
>>> sc = cm.partner_scorecard(cm.sample.generate(), 2024)
>>> fig = funnel_figure(sc, "intern_hire_rate")
>>> len(fig.axes)
1
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..compare import funnel_limits
from ..plots import _finish, _new_axes, _tr

__all__ = ["funnel_figure", "shrinkage_figure", "survival_figure", "churn_figure"]

_COLOURS = {"above": "#1b7837", "below": "#c51b7d", "within": "#7f7f7f", "no_data": "#cccccc"}


def _measure(sc: Any, measure: str) -> pd.DataFrame:
    f = sc.fair[sc.fair["measure"] == measure]
    if f.empty:
        from ..errors import InvalidOptionError

        raise InvalidOptionError(f"评估表没有指标 {measure!r}", f"the scorecard has no measure {measure!r}")
    if "year" in f and f["year"].nunique() > 1:
        f = f[f["year"] == f["year"].max()]
    return f


def funnel_figure(sc: Any, measure: str = "intern_hire_rate", *, lang: str = "zh", ax: Any = None) -> Any:
    """Funnel plot: each unit's rate against its denominator, with 95 % and 99.8 % exact limits."""
    f = _measure(sc, measure)
    f = f[f["denominator"] > 0]
    fig, a = _new_axes(ax, (7, 4.5))
    target = float(f["college_rate"].iloc[0]) if len(f) else np.nan
    if len(f) and f["kind"].iloc[0] == "rate":
        n = np.linspace(max(1, f["denominator"].min()), f["denominator"].max() * 1.05, 200)
        for lv, style in ((0.95, "--"), (0.998, ":")):
            lo, hi = funnel_limits(target, n, lv)
            a.plot(n, lo, style, color="#555555", lw=1)
            a.plot(n, hi, style, color="#555555", lw=1, label=f"{lv:.1%}")
    a.axhline(target, color="#333333", lw=1, label=_tr(lang, "全校水平", "college"))
    for flag, grp in f.groupby("flag"):
        label = grp["flag_zh" if lang == "zh" else "flag_en"].iloc[0]
        a.scatter(grp["denominator"], grp["estimate"], s=18, color=_COLOURS.get(flag, "#000000"), label=label)
    a.set_xlabel(_tr(lang, "分母（人数）", "denominator (students)"))
    a.set_ylabel(f["name_zh" if lang == "zh" else "name_en"].iloc[0] if len(f) else measure)
    a.legend(fontsize=8, frameon=False)
    return _finish(fig, a, ax)


def shrinkage_figure(sc: Any, measure: str = "intern_hire_rate", *, lang: str = "zh", ax: Any = None) -> Any:
    """Raw rate vs empirical-Bayes estimate of each unit (arrows show the pull towards the college)."""
    f = _measure(sc, measure)
    f = f[f["denominator"] > 0].sort_values("shrunk", ignore_index=True)
    fig, a = _new_axes(ax, (7, max(3.0, 0.12 * len(f) + 1)))
    y = np.arange(len(f))
    a.hlines(y, f["shrunk_low"], f["shrunk_high"], color="#9ecae1", lw=2)
    a.scatter(f["estimate"], y, s=10, color="#999999", label=_tr(lang, "原始比率", "raw rate"))
    a.scatter(f["shrunk"], y, s=14, color="#08519c", label=_tr(lang, "收缩估计", "shrunk estimate"))
    if len(f):
        a.axvline(float(f["college_rate"].iloc[0]), color="#333333", lw=1)
    a.set_yticks([])
    a.set_xlabel(f["name_zh" if lang == "zh" else "name_en"].iloc[0] if len(f) else measure)
    a.legend(fontsize=8, frameon=False)
    return _finish(fig, a, ax)


def survival_figure(km: pd.DataFrame, *, lang: str = "zh", ax: Any = None) -> Any:
    """Kaplan–Meier step curve of partnership duration with its pointwise interval."""
    fig, a = _new_axes(ax, (6, 4))
    t = np.concatenate([[0], km["time"].to_numpy(float)])
    s = np.concatenate([[1.0], km["survival"].to_numpy(float)])
    a.step(t, s, where="post", color="#08519c")
    lo = np.concatenate([[1.0], km["ci_low"].fillna(km["survival"]).to_numpy(float)])
    hi = np.concatenate([[1.0], km["ci_high"].fillna(km["survival"]).to_numpy(float)])
    a.fill_between(t, lo, hi, step="post", alpha=0.2, color="#08519c")
    a.set_ylim(0, 1.02)
    a.set_xlabel(_tr(lang, "合作年数", "years of partnership"))
    a.set_ylabel(_tr(lang, "仍在合作的比例", "share still partnering"))
    return _finish(fig, a, ax)


def churn_figure(churn: pd.DataFrame, *, lang: str = "zh", ax: Any = None) -> Any:
    """Stacked bars of continuing / returning / new partners per year, ended ones below zero."""
    fig, a = _new_axes(ax, (6, 4))
    x = churn["year"].to_numpy()
    bottom = np.zeros(len(x))
    for col, zh, en, c in (("continuing", "持续合作", "continuing", "#6baed6"),
                           ("returning", "恢复合作", "returning", "#9e9ac8"), ("new", "新增", "new", "#74c476")):
        a.bar(x, churn[col], bottom=bottom, color=c, label=_tr(lang, zh, en))
        bottom += churn[col].to_numpy()
    a.bar(x, -churn["ended"], color="#fb6a4a", label=_tr(lang, "终止", "ended"))
    a.axhline(0, color="#333333", lw=0.8)
    a.set_ylabel(_tr(lang, "合作企业数", "partners"))
    a.legend(fontsize=8, frameon=False)
    return _finish(fig, a, ax)
