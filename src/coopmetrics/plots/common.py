"""Shared style and helpers of every figure: palette, unit labels, axes, formatters, input checks.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..definitions.labels import UNIT_TABLE
from ..definitions.labels import unit_label as _unit_label
from ..errors import InputError
from .fonts import use_cjk_font

_LANGS = ("zh", "en")


# Colours: a colour-blind-safe seaborn palette, fixed here so every figure agrees.
_PALETTE = ["#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc", "#ca9161", "#fbafe4",
            "#949494", "#ece133", "#56b4e9"]


_GOOD, _BAD, _NEUTRAL, _TARGET = "#029e73", "#d55e00", "#0173b2", "#7f7f7f"


#: Units whose estimates are shares in [0, 1] and are drawn as percentages.
_SHARE_UNITS = {"%", "percent", "share", "proportion", "ratio_pct"}


#: Registry unit -> (zh, en) axis label, read from the one unit table (definitions/labels.py).
UNIT_LABELS: dict[str, tuple[str, str]] = {k: (u.label("zh", True), u.label("en", True)) for k, u in UNIT_TABLE.items()}


def unit_label(unit: object, lang: str = "zh") -> str:
    """Readable (axis) label of a registry unit.

    Examples
    --------
    >>> unit_label("yuan_per_month"), unit_label("yuan_per_month", "en")
    ('元/月', 'yuan/month')
    """
    return _unit_label(unit, lang, short=True)


def is_share(unit: object) -> bool:
    """Whether an indicator unit denotes a share in [0, 1] shown as a percentage.

    Examples
    --------
    >>> is_share("%"), is_share("元")
    (True, False)
    """
    return str(unit).strip().lower() in _SHARE_UNITS


def _tr(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """Return (figure, axes): the given axes' figure, or a new pyplot-free figure."""
    use_cjk_font()
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    return fig, ax


def _finish(fig: Figure, ax: Axes, given: Axes | None) -> Figure | Axes:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return given if given is not None else fig


def _need(frame: pd.DataFrame, columns: Sequence[str], func: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"{func}() 的输入缺少列 {missing}；现有列：{list(frame.columns)}",
            f"the input of {func}() lacks column(s) {missing}; columns present: {list(frame.columns)}",
        )


def _year_col(frame: pd.DataFrame) -> str:
    for c in ("grad_year", "year"):
        if c in frame.columns:
            return c
    raise InputError(
        f"结果表中没有年份列（grad_year 或 year）；现有列：{list(frame.columns)}",
        f"the result has no year column (grad_year or year); columns present: {list(frame.columns)}",
    )


def _name(frame: pd.DataFrame, indicator: str, lang: str) -> str:
    col = "name_zh" if lang == "zh" else "name_en"
    if col in frame.columns and frame[col].notna().any():
        return str(frame[col].dropna().iloc[0])
    return indicator


def _reported(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows with a drawable estimate (suppressed or missing cells are not drawn)."""
    out = frame
    if "status" in out.columns:
        out = out[out["status"].isin(["reported"]) | out["status"].isna()]
    return out[out["estimate"].notna()]


def points_formatter(scale: float = 100.0, sign: bool = True) -> object:
    """Tick formatter of differences in percentage points with as many decimals as the ticks need.

    Matplotlib places ticks of a difference axis at steps such as 0.025; formatting them
    with ``:.0f`` after × 100 printed "+2, +5, +8" for 2.5, 5, 7.5. Here the number of
    decimals comes from the tick values themselves (the fewest, up to 3, that show every
    tick exactly), so 0.025 steps print "+2.5, +5.0, +7.5" and whole-point steps "+2, +4".

    Examples
    --------
    >>> f = points_formatter()
    >>> f.format_ticks([0.0, 0.025, 0.05, 0.075])
    ['0.0', '+2.5', '+5.0', '+7.5']
    >>> f.format_ticks([-0.02, 0.0, 0.02])
    ['−2', '0', '+2']
    """
    from matplotlib.ticker import Formatter

    class _Points(Formatter):
        decimals = 0

        def set_locs(self, locs: Sequence[float]) -> None:
            super().set_locs(locs)
            v = np.asarray(locs, dtype=float) * scale
            v = v[np.isfinite(v)]
            for d in range(4):  # fewest decimals that print every tick exactly (to 1e-9)
                if np.all(np.abs(np.round(v, d) - v) < 1e-9 * np.maximum(1, np.abs(v))):
                    break
            self.decimals = d

        def __call__(self, x: float, pos: int | None = None) -> str:
            v = x * scale
            if abs(v) < 0.5 * 10 ** -(self.decimals + 1):
                return f"{0:.{self.decimals}f}"
            text = f"{v:+.{self.decimals}f}" if sign else f"{v:.{self.decimals}f}"
            return text.replace("-", "−")

    return _Points()


def _pct_axis(ax: Axes, axis: str = "y") -> None:
    from matplotlib.ticker import PercentFormatter

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(PercentFormatter(1.0, decimals=0))
