"""Survey answers: :func:`likert_shares` and the diverging bar chart :func:`plot_likert`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..definitions.labels import LIKERT_LEVELS
from ..errors import check_option
from .common import _LANGS, _finish, _need, _new_axes, _tr

_LIKERT_ZH = {k: zh for k, (zh, _) in LIKERT_LEVELS.items()}  # one wording of the levels: definitions/labels.py


_LIKERT_EN = {k: en.capitalize() for k, (_, en) in LIKERT_LEVELS.items()}


_LIKERT_COLOURS = {1: "#b2182b", 2: "#ef8a62", 3: "#d9d9d9", 4: "#67a9cf", 5: "#2166ac"}


def likert_shares(survey_long: pd.DataFrame, *, item_col: str = "item") -> pd.DataFrame:
    """Share of each score 1-5 per item among answers with a score (vectorised crosstab).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"item": ["a", "a", "a", "a"], "score": [5, 4, 4, None]})
    >>> likert_shares(s).loc["a", [4, 5, "n"]].tolist()
    [0.6666666666666666, 0.3333333333333333, 3.0]
    """
    # counts per (item, score) with one bincount on two columns (pd.crosstab on the filtered table
    # took ~60 ms on the sample survey): the same frame, items sorted, scores outside 1-5 left out
    raw = survey_long["score"]
    has = raw.notna().to_numpy()
    codes, items = pd.factorize(survey_long[item_col][has], sort=True)
    score = raw[has].astype(int).to_numpy()
    keep = (codes >= 0) & (score >= 1) & (score <= 5)
    observed = np.unique(codes[codes >= 0])  # crosstab keeps an item whose scores are all outside 1-5
    flat = np.bincount(codes[keep] * 5 + (score[keep] - 1), minlength=len(items) * 5)
    counts = pd.DataFrame(flat.reshape(len(items), 5)[observed],
                          index=pd.Index(items[observed], name=item_col),
                          columns=pd.Index([1, 2, 3, 4, 5], name="score"))
    n = counts.sum(axis=1)
    shares = counts.div(n.where(n > 0), axis=0)
    shares["n"] = n.astype(float)
    return shares


def plot_likert(
    survey_long: pd.DataFrame,
    *,
    survey_kind: str | None = None,
    items: Sequence[str] | None = None,
    lang: str = "zh",
    ax: Axes | None = None,
) -> Figure | Axes:
    """Diverging stacked bars of Likert answers per item.

    Disagreeing answers (scores 1-2) extend to the left of zero, agreeing ones
    (4-5) to the right, and the neutral middle (3) straddles zero. Answers
    without a score (e.g. 无法评估) are left out of the shares; ``n`` per item is
    shown on the labels.

    Parameters
    ----------
    survey_long : pandas.DataFrame
        The canonical long survey table (``item``, ``score`` 1-5 or NA, and
        ``survey_kind``).
    survey_kind : str, optional
        Keep only this instrument (``internship``, ``employment``, ``school``,
        ``employer``).
    items : sequence of str, optional
        Items to draw, in order; default all.
    lang : {"zh", "en"}
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure or matplotlib.axes.Axes
        Five bar segments per item (one per score).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"item": ["a", "a", "b", "b"], "score": [5, 2, 4, 3]})
    >>> len(plot_likert(s).axes[0].patches)
    10
    """
    check_option("lang", lang, _LANGS, "plot_likert")
    _need(survey_long, ["item", "score"], "plot_likert")
    frame = survey_long[["item", "score"]]  # two columns: filtering the whole table is the slow part
    if survey_kind is not None:
        _need(survey_long, ["survey_kind"], "plot_likert")
        frame = frame[(survey_long["survey_kind"] == survey_kind).to_numpy(dtype=bool, na_value=False)]
    shares = likert_shares(frame)
    if items is not None:
        shares = shares.reindex(list(items))
    shares = shares.iloc[::-1]  # first item on top
    given = ax
    fig, ax = _new_axes(ax, (8, 0.5 * max(len(shares), 3) + 1.6))
    pos = np.arange(len(shares))
    s = shares[[1, 2, 3, 4, 5]].fillna(0.0).to_numpy()
    # Left edges: the neutral box is centred on zero.
    left = np.column_stack([
        -(s[:, 0] + s[:, 1] + s[:, 2] / 2),
        -(s[:, 1] + s[:, 2] / 2),
        -s[:, 2] / 2,
        s[:, 2] / 2,
        s[:, 2] / 2 + s[:, 3],
    ])
    labels = _LIKERT_ZH if lang == "zh" else _LIKERT_EN
    for k in range(5):
        ax.barh(pos, s[:, k], left=left[:, k], color=_LIKERT_COLOURS[k + 1], height=0.65,
                label=labels[k + 1], edgecolor="white", linewidth=0.5)
    ax.set_yticks(pos)
    ax.set_yticklabels([f"{item}（n={n:.0f}）" if lang == "zh" else f"{item} (n={n:.0f})"
                        for item, n in zip(shares.index, shares["n"].fillna(0), strict=True)])
    ax.axvline(0, color="#333333", linewidth=0.8)
    lim = max(1e-9, float(np.nanmax(np.abs(np.concatenate([left[:, 0], left[:, 4] + s[:, 4]])))))
    ax.set_xlim(-min(1.0, lim * 1.05), min(1.0, lim * 1.05))
    from matplotlib.ticker import FuncFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{abs(v):.0%}"))
    ax.set_xlabel(_tr(lang, "回答比例（左：不满意，右：满意）", "Share of answers (left: dissatisfied, right: satisfied)"))
    ax.legend(ncols=5, loc="upper center", bbox_to_anchor=(0.5, -0.18), frameon=False, fontsize=8)
    kind_title = ""
    if survey_kind is not None:
        from ..schema import SURVEY_KINDS

        kind_title = SURVEY_KINDS.get(survey_kind, survey_kind) if lang == "zh" else f"{survey_kind} survey"
    ax.set_title(kind_title or _tr(lang, "满意度题项回答分布", "Answers per satisfaction item"))
    return _finish(fig, ax, given)
