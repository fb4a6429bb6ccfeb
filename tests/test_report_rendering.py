"""Tests of what the report prints (report/html.py, report/excel.py, the report's figures).

- Every text of every report figure (Chinese and English) lies inside the figure: nothing clipped.
- The workbook (cell values and number formats) and the HTML page (its text) of the sample report
  are those of ``tests/data/report_output_snapshot.json.gz``, written from the tree before the
  figure/rendering speed-ups (issue 16) by running this file as a script::

      PYTHONPATH=src python tests/test_report_rendering.py tests/data/report_output_snapshot.json.gz

  The generation time and the package version are masked. A deliberate change of a wording or
  a format regenerates the file in the same commit and says so in the message.
"""

from __future__ import annotations

import gzip
import html
import io
import json
import re
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import openpyxl
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

import coopmetrics as cm
from coopmetrics import plots
from coopmetrics.report import build_report

YEAR = 2024
SNAPSHOT = Path(__file__).parent / "data" / "report_output_snapshot.json.gz"
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _mask(text: str) -> str:
    return _STAMP.sub("<time>", text.replace(cm.__version__, "<version>"))


def workbook_cells(data: bytes) -> dict[str, list[list[Any]]]:
    """Every sheet's cells as ``[value, number format]`` rows (empty cells as None)."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    out = {}
    for ws in wb.worksheets:
        rows = []
        for row in ws.iter_rows():
            rows.append([None if c.value is None else
                         [_mask(c.value) if isinstance(c.value, str) else c.value, c.number_format] for c in row])
        out[ws.title] = rows
    return out


def page_text(page: str) -> list[str]:
    """The visible text of the HTML page, one entry per text run between tags, and each figure's id."""
    body = re.sub(r"<(style|script)\b.*?</\1>", "", page, flags=re.S)
    figures = re.findall(r"<img[^>]*alt=\"([^\"]*)\"", body)
    runs = [html.unescape(r).strip() for r in re.split(r"<[^>]+>", body)]
    return [_mask(r) for r in runs if r] + [f"<img {a}>" for a in figures]


def outputs(rep: Any) -> dict[str, Any]:
    """A report's workbook cells and page text."""
    buf = io.BytesIO()
    from coopmetrics.report.excel import write_excel

    write_excel(rep, buf)
    return {"workbook": workbook_cells(buf.getvalue()), "html": page_text(rep.html(embed_font=False))}


# --- figures: nothing clipped ------------------------------------------------------------------------

@pytest.fixture(scope="module", params=["zh", "en"])
def report(request):
    return build_report(cm.sample.load_sample(), YEAR, platform=True, lang=request.param)


def _drawn_texts(fig: Figure) -> list[Text]:
    """Render the figure as the report does (PNG at 110 dpi) and return the texts actually drawn."""
    drawn: list[Text] = []
    real = Text.draw

    def spy(self: Text, renderer: Any) -> None:
        if self.get_visible() and self.get_text().strip():
            drawn.append(self)
        real(self, renderer)

    with mock.patch.object(Text, "draw", spy):
        plots.figure_to_png(fig)
    return drawn


def _outside(fig: Figure, dpi: int = 110) -> list[tuple[str, tuple[float, ...]]]:
    """Drawn texts whose window extent at ``dpi`` is not inside the figure (0.5 px tolerance)."""
    texts = _drawn_texts(fig)
    old = fig.dpi
    fig.dpi = dpi
    try:
        renderer = fig.canvas.get_renderer()
        w, h = fig.bbox.width, fig.bbox.height
        bad = []
        for t in texts:
            e = t.get_window_extent(renderer)
            if e.x0 < -0.5 or e.y0 < -0.5 or e.x1 > w + 0.5 or e.y1 > h + 0.5:
                bad.append((t.get_text(), tuple(np.round(e.extents, 1))))
    finally:
        fig.dpi = old
    return bad


def test_every_text_of_every_report_figure_lies_inside_the_figure(report):
    assert len(report.figures) >= 10
    for key, fig in report.figures.items():
        texts = _drawn_texts(fig)
        if report.lang == "zh":  # the Chinese report's figures do carry Chinese labels
            assert any(_CJK.search(t.get_text()) for t in texts), key
        assert _outside(fig) == [], key


def test_the_clipping_check_can_fail():
    # the same check flags a label pushed past the edge and a figure drawn without its layout
    fig = Figure(figsize=(4, 3))
    FigureCanvasAgg(fig)
    fig.text(0.98, 0.5, "超出右边的标签")
    assert [t for t, _ in _outside(fig)] == ["超出右边的标签"]
    survey = cm.sample.load_sample()["survey"]
    fig = plots.plot_likert(survey[survey["year"] == YEAR], survey_kind="school")
    fig.set_layout_engine("none")  # the long item names then run off the left edge
    assert _outside(fig)


# --- workbook and page: the same as before ------------------------------------------------------------

@pytest.fixture(scope="module")
def snapshot() -> dict[str, Any]:
    return json.loads(gzip.decompress(SNAPSHOT.read_bytes()))


def test_workbook_and_page_equal_the_snapshot(snapshot, report):
    now = json.loads(json.dumps(outputs(report)))  # JSON round trip: tuples -> lists, as stored
    ref = snapshot[report.lang]
    assert list(now["workbook"]) == list(ref["workbook"])
    for sheet, rows in ref["workbook"].items():
        got = now["workbook"][sheet]
        assert len(got) == len(rows), sheet
        for i, (a, b) in enumerate(zip(got, rows, strict=True)):
            assert _same_cells(a, b), (sheet, i + 1, a, b)
    assert now["html"] == ref["html"]


def _same_cells(a: Any, b: Any) -> bool:
    """Cells equal; a float research statistic (e.g. an adjusted mean) may move in its last bits.

    The vectorised adjusted path sums in another order than the per-cell fits it replaced
    (≤ 1e-12 relative, tested in tests/test_adjust_batch_ols.py); what is printed (the number
    format) and every count are unchanged, and 1e-12 is far below a 0.01 % change.
    """
    if isinstance(a, list) and isinstance(b, list):  # a row of cells, or a cell's [value, number format]
        return len(a) == len(b) and all(_same_cells(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return a == pytest.approx(b, rel=1e-12, nan_ok=True)
    return a == b


def test_snapshot_comparison_can_fail(snapshot, report):
    # one estimate of the scorecard moved by 0.01 %: a cell of the workbook and a text of the page differ
    import dataclasses
    from types import MappingProxyType

    tables = dict(report.tables)
    card = tables["scorecard"].copy()
    col = next(c for c in card.columns if c.startswith("value_"))
    row = card[col].first_valid_index()
    card.loc[row, col] = card.loc[row, col] + 1e-4
    tables["scorecard"] = card
    now = json.loads(json.dumps(outputs(dataclasses.replace(report, tables=MappingProxyType(tables)))))
    ref = snapshot[report.lang]
    assert now["workbook"] != ref["workbook"] and now["html"] != ref["html"]


if __name__ == "__main__":  # write the snapshot (see the module docstring)
    target = Path(sys.argv[1])
    sample = cm.sample.load_sample()
    target.write_bytes(gzip.compress(json.dumps({lang: outputs(build_report(sample, YEAR, platform=True, lang=lang))
                                                 for lang in ("zh", "en")},
                                                ensure_ascii=False).encode("utf-8"), mtime=0))
    print(f"wrote {target} ({target.stat().st_size:,} bytes)")
