"""Partner-firm ledger figures: :func:`plot_enterprise`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..errors import check_option
from .common import _LANGS, _NEUTRAL, _TARGET, _finish, _need, _new_axes, _tr

_ENTERPRISE_VALUES = {
    "equipment_value": ("设备值（元）", "Equipment value (yuan)"),
    "funds": ("资金投入（元）", "Funds (yuan)"),
    "donated_equipment": ("捐赠设备值（元）", "Donated equipment (yuan)"),
    "part_time_hours": ("兼职教师课时", "Part-time teaching hours"),
    "interns_received": ("接收实习学生数", "Interns received"),
    "graduates_hired": ("录用毕业生数", "Graduates hired"),
    "order_students": ("订单培养人数", "Order-class students"),
    "tech_service_income": ("横向技术服务到款额（元）", "Technical-service income (yuan)"),
    "training_income": ("非学历培训到款额（元）", "Training income (yuan)"),
}


def plot_enterprise(
    enterprises: pd.DataFrame,
    *,
    value: str = "equipment_value",
    label: str = "enterprise",
    year: int | None = None,
    top: int = 15,
    lang: str = "zh",
    ax: Axes | None = None,
) -> Figure | Axes:
    """Contribution per partner firm as horizontal bars (largest first).

    Parameters
    ----------
    enterprises : pandas.DataFrame
        The canonical ``enterprises`` table (one row per firm x year x major)
        or any per-firm table with ``label`` and ``value`` columns; rows of the
        same firm are summed.
    value : str
        Column to draw (e.g. ``equipment_value``, ``interns_received``).
    label : str
        Firm name column.
    year : int, optional
        Keep only this year (needs a ``year`` column).
    top : int
        Draw the ``top`` largest firms; the rest are summed into one "others" bar.
    lang : {"zh", "en"}
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure or matplotlib.axes.Axes
        ``min(top, firms)`` bars, plus one for the others when there are more firms.

    Examples
    --------
    >>> import pandas as pd
    >>> e = pd.DataFrame({"enterprise": ["A", "A", "B", "C"], "equipment_value": [1.0, 2.0, 5.0, 1.0]})
    >>> len(plot_enterprise(e, top=2).axes[0].patches)
    3
    """
    check_option("lang", lang, _LANGS, "plot_enterprise")
    _need(enterprises, [label, value], "plot_enterprise")
    frame = enterprises
    if year is not None:
        _need(frame, ["year"], "plot_enterprise")
        frame = frame[frame["year"] == year]
    totals = frame.groupby(label, sort=False)[value].sum(min_count=1).dropna().sort_values(ascending=False)
    shown = totals.iloc[:top]
    if len(totals) > top:
        others = _tr(lang, f"其他 {len(totals) - top} 家企业", f"{len(totals) - top} other firms")
        shown = pd.concat([shown, pd.Series({others: totals.iloc[top:].sum()})])
    shown = shown.iloc[::-1]
    given = ax
    fig, ax = _new_axes(ax, (8, 0.38 * max(len(shown), 3) + 1.4))
    pos = np.arange(len(shown))
    colours = [_NEUTRAL] * len(shown)
    if len(totals) > top:
        colours[0] = _TARGET
    ax.barh(pos, shown.to_numpy(dtype=float), color=colours, height=0.65)
    ax.set_yticks(pos)
    ax.set_yticklabels([str(s) for s in shown.index], fontsize=8)
    zh, en = _ENTERPRISE_VALUES.get(value, (value, value))
    money = "元" in zh
    if money and shown.max() >= 1e4:
        from matplotlib.ticker import FuncFormatter

        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v / 1e4:,.0f}"))
        zh, en = zh.replace("（元）", "（万元）"), en.replace("(yuan)", "(10k yuan)")
    ax.set_xlabel(_tr(lang, zh, en))
    year_txt = "" if year is None else str(year)
    ax.set_title(_tr(lang, f"{year_txt}合作企业贡献：{zh.split('（')[0]}",
                     f"Partner-firm contribution {year_txt}: {en.split(' (')[0]}".replace("  ", " ")))
    ax.grid(axis="x", alpha=0.3)
    return _finish(fig, ax, given)
