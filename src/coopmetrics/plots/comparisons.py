"""Comparisons and effects: forest plot of contrasts, funnel plot of units, event study.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..errors import check_option
from .common import (
    _BAD,
    _LANGS,
    _NEUTRAL,
    _TARGET,
    _finish,
    _need,
    _new_axes,
    _pct_axis,
    _tr,
    points_formatter,
)

_PROGRAM_EN = {"regular": "regular", "order_class": "order class", "named_class": "named class",
               "apprenticeship": "apprenticeship"}


def _cohort_label(value: object, lang: str) -> str:
    from ..schema import PROGRAMS

    v = str(value)
    return PROGRAMS.get(v, v) if lang == "zh" else _PROGRAM_EN.get(v, v)


def plot_forest(
    compare_result: pd.DataFrame,
    *,
    label_cols: Sequence[str] | None = None,
    lang: str = "zh",
    percent: bool | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure | Axes:
    """Forest plot of a :func:`~coopmetrics.compare` result: difference and 95 % CI per row.

    Parameters
    ----------
    compare_result : pandas.DataFrame
        ``compare()`` output (``cohort``, ``reference``, ``difference``,
        ``ci_low``, ``ci_high``, ``n_cohort``, ``n_reference``, optional
        ``q_value`` and group columns).
    label_cols : sequence of str, optional
        Columns naming each row besides the cohort; default the group columns
        between ``indicator`` and ``cohort``.
    lang : {"zh", "en"}
    percent : bool, optional
        Draw differences as percentage points; default when the indicator unit
        is a share or every CI lies within [-1, 1].
    title : str, optional
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure or matplotlib.axes.Axes
        One point and one CI segment per row; a dashed line marks no difference.

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"indicator": "p", "cohort": ["order_class", "apprenticeship"],
    ...                   "reference": "regular", "difference": [0.05, 0.02],
    ...                   "ci_low": [0.01, -0.03], "ci_high": [0.09, 0.07],
    ...                   "n_cohort": [120, 60], "n_reference": [900, 900]})
    >>> fig = plot_forest(c)
    >>> len(fig.axes[0].collections[-1].get_offsets())  # the scatter of point estimates
    2
    """
    check_option("lang", lang, _LANGS, "plot_forest")
    _need(compare_result, ["cohort", "difference", "ci_low", "ci_high"], "plot_forest")
    frame = compare_result.reset_index(drop=True)
    if label_cols is None:
        cols = list(frame.columns)
        start = cols.index("indicator") + 1 if "indicator" in cols else 0
        label_cols = cols[start:cols.index("cohort")]
    if percent is None:
        lims = frame[["ci_low", "ci_high"]].abs().max().max()
        percent = bool(np.isfinite(lims) and lims <= 1)
    given = ax
    fig, ax = _new_axes(ax, (8, 0.42 * max(len(frame), 3) + 1.5))
    pos = np.arange(len(frame))[::-1]
    # labels column by column (no iterrows: it builds a Series per row)
    parts = [[str(v) for v in frame[c].tolist()] for c in label_cols]
    refs = frame["reference"].tolist() if "reference" in frame.columns else [""] * len(frame)
    parts.append([f"{_cohort_label(c, lang)} vs {_cohort_label(r, lang)}"
                  for c, r in zip(frame["cohort"].tolist(), refs, strict=True)])
    if "n_cohort" in frame.columns:
        n_ref = frame["n_reference"].tolist() if "n_reference" in frame.columns else [np.nan] * len(frame)
        parts.append([f"n={a:.0f}/{b:.0f}" for a, b in zip(frame["n_cohort"].tolist(), n_ref, strict=True)])
    labels = [" · ".join(row) for row in zip(*parts, strict=True)] if len(frame) else []
    sig = np.zeros(len(frame), dtype=bool)
    if "q_value" in frame.columns:
        sig = frame["q_value"].to_numpy(dtype=float) < 0.05
    colours = np.where(sig, _BAD, _NEUTRAL)
    ax.hlines(pos, frame["ci_low"], frame["ci_high"], color=colours, linewidth=2)
    ax.scatter(frame["difference"], pos, color=colours, zorder=3, s=30)
    ax.axvline(0, color=_TARGET, linestyle="--", linewidth=1)
    ax.set_yticks(pos)
    ax.set_yticklabels(labels, fontsize=8)
    if percent:
        ax.xaxis.set_major_formatter(points_formatter())
    unit = _tr(lang, "（百分点）", " (percentage points)") if percent else ""
    ax.set_xlabel(_tr(lang, f"差值与95%置信区间{unit}；红色：BH 校正后 q<0.05",
                      f"Difference with 95% CI{unit}; red: BH q < 0.05"))
    ind = str(frame["indicator"].iloc[0]) if "indicator" in frame.columns and len(frame) else ""
    ax.set_title(title or _tr(lang, f"队列比较：{ind}", f"Cohort comparison: {ind}"))
    ax.grid(axis="x", alpha=0.3)
    return _finish(fig, ax, given)


def _pick(frame: pd.DataFrame, *names: str) -> str | None:
    for n in names:
        if n in frame.columns:
            return n
    return None


def plot_funnel(
    funnel_result: pd.DataFrame,
    *,
    label: str | None = None,
    lang: str = "zh",
    ax: Axes | None = None,
) -> Figure | Axes:
    """Funnel plot: each unit's rate against its size with control limits around the overall rate.

    Parameters
    ----------
    funnel_result : pandas.DataFrame
        :func:`~coopmetrics.funnel` output: per unit a size (``denominator``
        or ``n``), a rate (``estimate``), the overall rate (``overall``/
        ``target``/``centre``) and control limits (columns whose names contain
        ``95`` and ``998``, e.g. ``lower_95``/``upper_95``/``lower_998``/
        ``upper_998``), optionally ``flag``.
    label : str, optional
        Unit-name column used to annotate units outside the 99.8 % limits.
    lang : {"zh", "en"}
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure or matplotlib.axes.Axes
        One point per unit; the limits are drawn as lines sorted by size.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"unit": ["a", "b", "c"], "denominator": [50, 100, 200],
    ...                   "estimate": [0.8, 0.9, 0.85], "overall": 0.86,
    ...                   "lower_95": [0.76, 0.79, 0.81], "upper_95": [0.94, 0.92, 0.9],
    ...                   "lower_998": [0.7, 0.75, 0.78], "upper_998": [0.97, 0.95, 0.92]})
    >>> len(plot_funnel(f).axes[0].collections[0].get_offsets())
    3
    """
    check_option("lang", lang, _LANGS, "plot_funnel")
    size = _pick(funnel_result, "denominator", "n", "n_unit")
    rate = _pick(funnel_result, "estimate", "rate")
    if size is None or rate is None:
        _need(funnel_result, ["denominator", "estimate"], "plot_funnel")
    frame = funnel_result.sort_values(size)
    centre = _pick(frame, "overall", "centre", "center", "target", "overall_rate")
    lim_cols = [c for c in frame.columns if ("lower" in c or "upper" in c or "lo" in c.split("_")
                                              or "hi" in c.split("_")) and any(ch.isdigit() for ch in c)]
    given = ax
    fig, ax = _new_axes(ax, (7, 4.5))
    outside = np.zeros(len(frame), dtype=bool)
    if "flag" in frame.columns:
        outside = frame["flag"].fillna("").astype(str).str.len().to_numpy() > 0
    elif lim_cols:
        lo998 = [c for c in lim_cols if "998" in c and ("lower" in c or "lo" in c.split("_"))]
        hi998 = [c for c in lim_cols if "998" in c and ("upper" in c or "hi" in c.split("_"))]
        if lo998 and hi998:
            outside = ((frame[rate] < frame[lo998[0]]) | (frame[rate] > frame[hi998[0]])).to_numpy()
    ax.scatter(frame[size], frame[rate], c=np.where(outside, _BAD, _NEUTRAL), s=28, zorder=3)
    for c in sorted(lim_cols):
        style = ":" if "998" in c else "--"
        ax.plot(frame[size], frame[c], color=_TARGET, linestyle=style, linewidth=1)
    if centre is not None:
        ax.axhline(float(frame[centre].iloc[0]), color="#333333", linewidth=1)
    if label is None:
        label = _pick(frame, "unit", "major", "department", "college")
    if label is not None:
        for (_, row), out in zip(frame.iterrows(), outside, strict=True):
            if out:
                ax.annotate(str(row[label]), (row[size], row[rate]), fontsize=7,
                            xytext=(3, 3), textcoords="offset points")
    if frame[rate].between(0, 1).all():
        _pct_axis(ax)
    ax.set_xlabel(_tr(lang, "分母（人数）", "Denominator (persons)"))
    ax.set_ylabel(_tr(lang, "比率", "Rate"))
    ax.set_title(_tr(lang, "漏斗图：虚线95%、点线99.8%控制限；红点在99.8%控制限外",
                     "Funnel plot: dashed 95%, dotted 99.8% limits; red: outside 99.8%"))
    ax.grid(alpha=0.3)
    return _finish(fig, ax, given)


def plot_event_study(
    event_study: pd.DataFrame,
    *,
    lang: str = "zh",
    percent: bool | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure | Axes:
    """Event-study plot of a partnership effect: ATT by years since the partnership started.

    Parameters
    ----------
    event_study : pandas.DataFrame
        ``partnership_effect(...).event_study`` (``event_time``, ``att``,
        ``ci_low``, ``ci_high``).
    lang : {"zh", "en"}
    percent : bool, optional
        Label the axis in percentage points; default when all CIs lie in [-1, 1].
    title : str, optional
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure or matplotlib.axes.Axes
        One point with a CI segment per event time; pre-periods grey, post-periods blue.

    Examples
    --------
    >>> import pandas as pd
    >>> es = pd.DataFrame({"event_time": [-2, -1, 0, 1], "att": [0.0, 0.01, 0.05, 0.06],
    ...                    "ci_low": [-0.03, -0.02, 0.01, 0.02], "ci_high": [0.03, 0.04, 0.09, 0.1]})
    >>> len(plot_event_study(es).axes[0].collections[-1].get_offsets())
    4
    """
    check_option("lang", lang, _LANGS, "plot_event_study")
    _need(event_study, ["event_time", "att", "ci_low", "ci_high"], "plot_event_study")
    frame = event_study.sort_values("event_time")
    if percent is None:
        lims = frame[["ci_low", "ci_high"]].abs().max().max()
        percent = bool(np.isfinite(lims) and lims <= 1)
    given = ax
    fig, ax = _new_axes(ax, (7, 4))
    post = frame["event_time"].to_numpy() >= 0
    colours = np.where(post, _NEUTRAL, _TARGET)
    ax.vlines(frame["event_time"], frame["ci_low"], frame["ci_high"], color=colours, linewidth=2)
    ax.scatter(frame["event_time"], frame["att"], color=colours, zorder=3, s=30)
    ax.axhline(0, color="#333333", linewidth=0.8)
    ax.axvline(-0.5, color=_TARGET, linestyle="--", linewidth=1)
    # integer event times at integer ticks, labelled as integers ("-2", "0", "+3"), whatever the dtype
    times = np.unique(np.round(frame["event_time"].to_numpy(dtype=float)).astype(int))
    ax.set_xticks(times)
    ax.set_xticklabels([f"{v:+d}" if v else "0" for v in times])
    ax.set_xlabel(_tr(lang, "距合作开始的年数（0 = 开始当年）", "Years since the partnership started (0 = first year)"))
    if percent:
        ax.yaxis.set_major_formatter(points_formatter())
    ax.set_ylabel(_tr(lang, "平均处理效应 ATT" + ("（百分点）" if percent else ""),
                      "ATT" + (" (percentage points)" if percent else "")))
    ax.set_title(title or _tr(lang, "合作开始前后的效应（事件研究，95%置信区间）",
                              "Effect before and after the partnership started (event study, 95% CI)"))
    ax.grid(axis="y", alpha=0.3)
    return _finish(fig, ax, given)
