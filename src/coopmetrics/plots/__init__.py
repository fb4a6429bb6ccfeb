"""Figures for indicators, comparisons and partnership effects (matplotlib + seaborn).

Every function takes the tidy frame another coopmetrics function returns
(:func:`~coopmetrics.compute`, :func:`~coopmetrics.compare`,
:func:`~coopmetrics.funnel`, ``partnership_effect(...).event_study``) or a
canonical table, draws one figure and returns the matplotlib ``Figure`` (or the
``Axes`` when one is passed with ``ax=``). Labels are Chinese (``lang="zh"``,
default) or English (``lang="en"``).

Chinese text needs a CJK font. :func:`use_cjk_font` registers the Noto Sans CJK
SC font shipped inside the PyPI package ``mplfonts`` (a dependency), so
Chinese renders on a fresh machine without system fonts and without any
download. Every plotting function calls it.

Figures are built with :class:`matplotlib.figure.Figure` and an Agg canvas, not
``pyplot``, so that a report with many figures does not accumulate open pyplot
windows. In a notebook, run ``%matplotlib inline`` once (it registers how
figures are displayed), then leave a figure as the last expression of a cell or
call ``display(fig)``.

Package layout: :mod:`.fonts` (CJK font, PNG, WOFF subsets), :mod:`.common` (palette, unit labels,
axes helpers), :mod:`.trends`, :mod:`.surveys`, :mod:`.enterprises`, :mod:`.comparisons` (forest,
funnel, event study).

Examples
--------
>>> import pandas as pd
>>> from coopmetrics import plots
>>> res = pd.DataFrame({"indicator": "placement_rate", "grad_year": [2022, 2023, 2024],
...                     "estimate": [0.90, 0.92, 0.93], "ci_low": [0.88, 0.90, 0.91],
...                     "ci_high": [0.92, 0.94, 0.95], "n": [900, 950, 1000],
...                     "unit": "%", "name_zh": "毕业去向落实率", "name_en": "Placement rate"})
>>> fig = plots.plot_trend(res, "placement_rate", target=0.9)
>>> len(fig.axes[0].lines[0].get_xdata())
3
"""

# Besides ``__all__`` the package keeps the names other modules and tests import from ``plots``
# (the colours _GOOD/_BAD/_NEUTRAL/_TARGET, axes helpers used by partners/figures.py, _cohort_label).
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: F401

from .common import (  # noqa: F401
    _BAD,
    _GOOD,
    _NEUTRAL,
    _TARGET,
    UNIT_LABELS,
    _finish,
    _new_axes,
    _tr,
    is_share,
    points_formatter,
    unit_label,
)
from .comparisons import _cohort_label, plot_event_study, plot_forest, plot_funnel  # noqa: F401
from .enterprises import plot_enterprise
from .fonts import CJK_FONT, _font_path, figure_to_png, font_subset_woff, use_cjk_font  # noqa: F401
from .surveys import likert_shares, plot_likert
from .trends import plot_dual_ratio, plot_trend

__all__ = [
    "CJK_FONT",
    "use_cjk_font",
    "plot_trend",
    "plot_dual_ratio",
    "plot_likert",
    "plot_enterprise",
    "plot_forest",
    "plot_funnel",
    "plot_event_study",
    "is_share",
    "unit_label",
    "UNIT_LABELS",
    "likert_shares",
    "figure_to_png",
]
