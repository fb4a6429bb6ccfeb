"""Indicator figures over the years: :func:`plot_trend` and :func:`plot_dual_ratio`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..errors import InputError, check_option
from .common import (
    _BAD,
    _GOOD,
    _LANGS,
    _PALETTE,
    _TARGET,
    _finish,
    _name,
    _need,
    _new_axes,
    _pct_axis,
    _reported,
    _tr,
    _year_col,
    is_share,
    unit_label,
)


def plot_trend(
    result: pd.DataFrame,
    indicator: str,
    *,
    group: str | None = None,
    target: float | None = None,
    lang: str = "zh",
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure | Axes:
    """Indicator over years with confidence bands and a target line.

    Parameters
    ----------
    result : pandas.DataFrame
        A :func:`~coopmetrics.compute` result with a year column (``grad_year``
        or ``year``); rows of other indicators are ignored.
    indicator : str
        Indicator id to draw.
    group : str, optional
        Column with one line per value (e.g. ``"department"``); default one line.
    target : float, optional
        Horizontal target line; default the ``target`` column of the result if set.
    lang : {"zh", "en"}
        Language of labels.
    title : str, optional
        Figure title; default the indicator's name.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes and return them.

    Returns
    -------
    matplotlib.figure.Figure or matplotlib.axes.Axes
        One line (with markers, one per year) and one CI band per group;
        suppressed cells are left out of the line, not drawn as zero.

    Examples
    --------
    >>> import pandas as pd
    >>> res = pd.DataFrame({"indicator": "x", "year": [2023, 2024], "estimate": [0.5, 0.6],
    ...                     "ci_low": [0.4, 0.5], "ci_high": [0.6, 0.7], "unit": "%"})
    >>> fig = plot_trend(res, "x", lang="en")
    >>> fig.axes[0].get_xlabel()
    'Year'
    """
    check_option("lang", lang, _LANGS, "plot_trend")
    _need(result, ["indicator", "estimate"], "plot_trend")
    frame = result[result["indicator"] == indicator]
    if frame.empty:
        raise InputError(
            f"结果表中没有指标 {indicator!r}",
            f"indicator {indicator!r} is not in the result",
        )
    ycol = _year_col(frame)
    share = "unit" in frame.columns and is_share(frame["unit"].iloc[0])
    if target is None and "target" in frame.columns and frame["target"].notna().any():
        target = float(frame["target"].dropna().iloc[0])
    given = ax
    fig, ax = _new_axes(ax, (7, 4))
    data = _reported(frame)
    groups = [(None, data)] if group is None else list(data.groupby(group, sort=True))
    for i, (key, g) in enumerate(groups):
        g = g.sort_values(ycol)
        colour = _PALETTE[i % len(_PALETTE)]
        ax.plot(g[ycol], g["estimate"], marker="o", color=colour, label=None if key is None else str(key))
        if {"ci_low", "ci_high"} <= set(g.columns) and g["ci_low"].notna().any():
            ax.fill_between(g[ycol], g["ci_low"], g["ci_high"], color=colour, alpha=0.18, linewidth=0)
    if target is not None and np.isfinite(target):
        ax.axhline(target, color=_TARGET, linestyle="--", linewidth=1.2,
                   label=_tr(lang, f"目标 {target:.0%}" if share else f"目标 {target:g}",
                             f"target {target:.0%}" if share else f"target {target:g}"))
    years = sorted(frame[ycol].dropna().unique())
    ax.set_xticks(years)
    ax.set_xticklabels([str(int(y)) for y in years])
    ax.set_xlabel(_tr(lang, "年份", "Year"))
    unit = unit_label(frame["unit"].iloc[0], lang) if "unit" in frame.columns else ""
    ax.set_ylabel(_name(frame, indicator, lang) + ("" if share or not unit else
                                                   _tr(lang, f"（{unit}）", f" ({unit})")))
    if share:
        _pct_axis(ax)
    ax.set_title(title or _tr(lang, f"{_name(frame, indicator, lang)}（阴影为95%置信区间）",
                              f"{_name(frame, indicator, lang)} (band: 95% CI)"))
    if group is not None or target is not None:
        ax.legend(frameon=False, fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return _finish(fig, ax, given)


def plot_dual_ratio(
    result: pd.DataFrame,
    *,
    indicator: str | None = None,
    by: str = "department",
    target: float = 0.5,
    lang: str = "zh",
    ax: Axes | None = None,
) -> Figure | Axes:
    """双师 teacher ratio by department (or major) against the 50 % target.

    Parameters
    ----------
    result : pandas.DataFrame
        :func:`~coopmetrics.compute` rows for one year with a ``by`` column.
    indicator : str, optional
        Which 双师 indicator to draw; default the only indicator in ``result``.
    by : str
        Group column drawn as bars.
    target : float
        Target share; bars meeting it are green, others orange. The national
        target is more than half of professional-course teachers (国发〔2019〕4号).
    lang : {"zh", "en"}
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure or matplotlib.axes.Axes
        One horizontal bar per group with its 95 % CI as an error bar and
        ``n`` (the denominator) written beside it.

    Examples
    --------
    >>> import pandas as pd
    >>> res = pd.DataFrame({"indicator": "dual", "department": ["A", "B"],
    ...                     "estimate": [0.6, 0.4], "ci_low": [0.5, 0.3], "ci_high": [0.7, 0.5],
    ...                     "numerator": [30, 20], "denominator": [50, 50], "unit": "%"})
    >>> len(plot_dual_ratio(res).axes[0].patches)
    2
    """
    check_option("lang", lang, _LANGS, "plot_dual_ratio")
    _need(result, ["indicator", "estimate", by], "plot_dual_ratio")
    if indicator is None:
        ids = result["indicator"].unique()
        if len(ids) != 1:
            raise InputError(
                f"结果表含多个指标 {list(ids)}，请用 indicator= 指定一个",
                f"the result holds several indicators {list(ids)}; choose one with indicator=",
            )
        indicator = str(ids[0])
    frame = _reported(result[result["indicator"] == indicator]).sort_values("estimate")
    given = ax
    fig, ax = _new_axes(ax, (7, 0.45 * max(len(frame), 3) + 1.5))
    pos = np.arange(len(frame))
    colours = [_GOOD if v > target else _BAD for v in frame["estimate"]]
    xerr = None
    if {"ci_low", "ci_high"} <= set(frame.columns):
        xerr = np.vstack([frame["estimate"] - frame["ci_low"], frame["ci_high"] - frame["estimate"]])
        xerr = np.clip(np.nan_to_num(xerr), 0, None)
    ax.barh(pos, frame["estimate"], color=colours, xerr=xerr, ecolor="#333333", capsize=3, height=0.6)
    ax.set_yticks(pos)
    ax.set_yticklabels(frame[by].astype(str))
    ax.axvline(target, color=_TARGET, linestyle="--", linewidth=1.2)
    ax.text(target, 1.0, _tr(lang, f" 目标 >{target:.0%}", f" target >{target:.0%}"),
            color=_TARGET, va="top", ha="left", fontsize=8, transform=ax.get_xaxis_transform())
    if "denominator" in frame.columns:
        nums = frame["numerator"].tolist() if "numerator" in frame.columns else None
        dens = frame["denominator"].tolist()
        to_bar = ax.get_yaxis_transform()
        for k, p in enumerate(pos.tolist()):  # one text artist per bar (matplotlib has no text collection)
            num = "" if nums is None else f"{nums[k]:.0f}/"
            ax.text(0.01, p, f"{num}{dens[k]:.0f}", va="center", ha="left", fontsize=7, color="white",
                    transform=to_bar)
    ax.set_xlim(0, 1)
    _pct_axis(ax, "x")
    ax.set_xlabel(_tr(lang, "比例（误差线为95%置信区间；条内为 双师人数/教师数）",
                      "Share (error bars: 95% CI; inside bars: dual-qualified / teachers)"))
    ax.set_title(_name(frame if not frame.empty else result, indicator, lang))
    ax.grid(axis="x", alpha=0.3)
    return _finish(fig, ax, given)
