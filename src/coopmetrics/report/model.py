"""The :class:`Report` object: tidy tables and figures; renderers are imported on use."""

from __future__ import annotations

import html as _html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .labels import HEADERS, SHEETS

__all__ = ["Report"]

_VALUE_COL = re.compile(r"^value_(\d{4})$")


@dataclass(frozen=True)
class Report:
    """Yearly report: tidy tables and figures; render with :meth:`to_excel` / :meth:`to_html`.

    Attributes
    ----------
    year : int
        Report year (graduation cohort; teacher/enterprise tables use the same year).
    college : str
        College name from the data (or "" when absent).
    lang : {"zh", "en"}
        Language of names, sheet names and headers.
    by : str
        Breakdown column of the ``by_group`` table.
    tables : Mapping[str, pandas.DataFrame]
        Table id -> tidy frame (English column ids; columns starting with ``_`` are for the
        renderers). Official tables: ``scorecard, resources, service, policy,
        international, feedback``; ``summary`` (摘要) first, ``technical`` and ``about`` last.
    figures : Mapping[str, matplotlib.figure.Figure]
        Figure id -> figure.
    key_figures : tuple of dict
        Headline numbers for the top of the HTML report.
    notes : tuple of str
        Sections that could not be built and why (shown in both outputs).
    settings : Mapping[str, str]
        Options used (destination profile, 双师 definition, disclosure preset ...).
    kinds : Mapping[str, str]
        Indicator id -> kind (proportion, mean, count ...), for rendering.

    Examples
    --------
    >>> import coopmetrics as cm
    >>> rep = cm.build_report(cm.sample.load_sample(), 2024)   # doctest: +SKIP
    >>> rep.to_excel("报告.xlsx"); rep.to_html("报告.html")      # doctest: +SKIP
    """

    year: int
    college: str
    lang: str
    by: str
    tables: Mapping[str, pd.DataFrame]
    figures: Mapping[str, Any] = field(default_factory=dict)
    key_figures: tuple[dict[str, Any], ...] = ()
    notes: tuple[str, ...] = ()
    settings: Mapping[str, str] = field(default_factory=dict)
    kinds: Mapping[str, str] = field(default_factory=dict)
    _png_cache: dict[int, str] = field(default_factory=dict, repr=False, compare=False)

    def __repr__(self) -> str:
        lines = [f"coopmetrics.Report {self.college or ''} {self.year} (lang={self.lang}, by={self.by})"]
        for name, frame in self.tables.items():
            lines.append(f"  {name:<20} {self.sheet_name(name):<14} {len(frame):>6} rows")
        lines.append(f"  figures: {', '.join(self.figures) or '(none)'}")
        for note in self.notes:
            lines.append(f"  note: {note}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{_html.escape(self.sheet_name(k))}: {len(v)}</li>" for k, v in self.tables.items())
        return (f"<b>coopmetrics.Report</b> {_html.escape(self.college)} {self.year} "
                f"({_html.escape(self.lang)})<ul>{items}</ul>")

    def sheet_name(self, table: str) -> str:
        """Localised sheet name of a table id."""
        zh, en = SHEETS.get(table, (table, table))
        if table == "by_group":
            zh, en = ("分院系指标", "By department") if self.by == "department" else ("分专业指标", "By major")
        return zh if self.lang == "zh" else en

    def header(self, column: str, table: str | None = None) -> str:
        """Localised header of a column id (``value_2024`` reads ``2024届``)."""
        m = _VALUE_COL.match(column)
        if m:
            return f"{m.group(1)}届" if self.lang == "zh" else m.group(1)
        if table == "summary" and column in ("previous", "estimate"):
            y = self.year - 1 if column == "previous" else self.year
            return f"{y}届" if self.lang == "zh" else str(y)
        if table == "summary" and column == "change_ci":
            return "变化的95%置信区间" if self.lang == "zh" else "95% CI of the change"
        zh, en = HEADERS.get(column, (column, column))
        return zh if self.lang == "zh" else en

    def render_figures(self) -> Report:
        """Draw every figure to PNG now (the HTML embeds them; otherwise :meth:`html` draws them).

        The CLI calls this in its figure phase so that writing the page is quick. Returns self.
        """
        from .gcfreeze import frozen_heap
        from .html import _img

        with frozen_heap():  # full collections skip the report and its data (report/gcfreeze.py)
            for fig in self.figures.values():
                _img(fig, self._png_cache)
        return self

    def view(self, table: str) -> pd.DataFrame:
        """One table as the reader sees it: localised headers, words for codes, numbers formatted
        as in the workbook (integers without decimals, shares as %, signed changes).

        Examples
        --------
        >>> import coopmetrics as cm
        >>> rep = cm.build_report(cm.sample.load_sample(), 2024)     # doctest: +SKIP
        >>> rep.view("scorecard").columns.tolist()                    # doctest: +SKIP
        ['项目', '2023届', '2024届', '变化', '数据来源/口径']
        """
        from .html import _cells

        cells = _cells(self, table, self.tables[table], None)
        return pd.DataFrame([[text for text, _ in row] for row in cells["rows"]], columns=cells["head"])

    def to_excel(self, path: str | Path) -> Path:
        """Write the workbook (see :func:`coopmetrics.report.excel.write_excel`), atomically.

        An existing file is replaced only once the new one is complete (the command line
        also keeps a backup of it); a file open in Excel raises ``OutputLockedError``.
        """
        import io

        from ..output import atomic_write
        from .excel import write_excel

        buf = io.BytesIO()  # built in memory, then moved into place whole: a failed write keeps the old file
        write_excel(self, buf)
        return atomic_write(path, lambda tmp: tmp.write_bytes(buf.getvalue()), overwrite="force")

    def to_html(self, path: str | Path, *, embed_font: bool = True) -> Path:
        """Write one self-contained HTML file (inline CSS, figures as base64 PNG).

        Parameters
        ----------
        path : str or Path
        embed_font : bool
            Embed a subset of the bundled Noto Sans CJK SC font (only the characters the
            page uses) so that Chinese renders on machines without a CJK font. The subset
            is cached by glyph set, so repeated runs are fast.
        """
        from ..output import atomic_write

        page = self.html(embed_font=embed_font)
        return atomic_write(path, lambda tmp: tmp.write_text(page, encoding="utf-8"), overwrite="force")

    def html(self, *, embed_font: bool = False) -> str:
        """The HTML report as a string (what :meth:`to_html` writes)."""
        from .html import render_html

        return render_html(self, embed_font=embed_font)
