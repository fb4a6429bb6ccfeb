"""Excel renderer: one sheet per table, in the report's language, ready to print.

Numbers stay numbers with Excel number formats (integers as ``#,##0``, years as ``0``,
shares as ``0.00%``, signed changes with a sign); ids and raw option values appear only
on the technical sheet. Every sheet prints A4 landscape, fitted to the page width, with
the header row repeated on every page and frozen on screen.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .labels import (
    ACTIONS,
    KINDS,
    MISSING,
    NA,
    NOT_SUPPLIED,
    OFFICIAL,
    STATUS,
    SUPPRESSED,
    TECHNICAL_COLUMNS,
    cite,
    effect_words,
    isnan,
    method_words,
    pick_lang,
    problem_words,
    t,
    table_words,
    text_width,
    zh_words,
)

if TYPE_CHECKING:
    from .model import Report

__all__ = ["write_excel", "visible_columns", "cell_text"]

_ESTIMATE_COLS = {"estimate", "ci_low", "ci_high", "previous", "change", "change_ci_low", "change_ci_high",
                  "estimate_cohort", "estimate_reference", "difference", "target", "estimate_unweighted",
                  "college_rate", "shrunk", "shrunk_low", "shrunk_high"}
_PCT_ALWAYS = {"response_rate"}
_YEAR_COLS = {"year", "grad_year", "partnership_start", "row"}
_INT_COLS = {"numerator", "denominator", "n", "n_cohort", "n_reference", "rows_read", "kept", "fixed",
             "excluded", "majors"}
#: Long-text columns: wrapped, width capped.
_WRAP = {"basis", "summary_text", "content", "alternatives", "message_zh", "message_en", "source", "notes",
         "numerator", "denominator", "flags", "method", "switch", "edition", "item", "status_text", "label",
         "effect_size_type", "indicator_name"}
_FORMATS = {
    "pct": "0.00%", "count": "#,##0", "int": "#,##0", "year": "0", "money": "#,##0.00", "wan": "#,##0.00##",
    "ratio": "0.00", "num": "#,##0.00", "p": "0.000",
    "d_pct": '+0.00" 个百分点";-0.00" 个百分点";0.00" 个百分点"', "d_pct_en": '+0.00" pp";-0.00" pp";0.00" pp"',
    "d_share": "+0.00%;-0.00%;0.00%", "d_count": "+#,##0;-#,##0;0", "d_money": "+#,##0.00;-#,##0.00;0.00", "d_wan": "+#,##0.00##;-#,##0.00##;0",
    "d_ratio": "+0.00;-0.00;0.00",
}


#: Columns of a table left out of the printed sheets (they stay in ``Report.tables``): the cohort
#: comparisons' reference group is always 普通班, and the ratio and test statistic repeat what the
#: difference, its CI and the q-value say; left in, 24 columns do not fit a readable A4 page.
_NOT_PRINTED = {"cohorts": frozenset({"reference", "ratio", "ratio_ci_low", "ratio_ci_high", "statistic",
                                       "p_value", "odds_ratio_ci_low", "odds_ratio_ci_high", "hedges_g"})}


#: Sheets whose columns are a fixed layout (an empty column is still printed).
_FIXED_LAYOUT = frozenset({*OFFICIAL, "summary", "about", "technical"})


def visible_columns(rep: Report, table: str, frame: pd.DataFrame) -> list[str]:
    """Columns shown for a table: no hidden ``_`` columns, ids only on the technical sheet,
    only the report language's name / message column, no column that is empty throughout."""
    drop_lang = {"name_en", "message_en"} if rep.lang == "zh" else {"name_zh", "message_zh"}
    if rep.lang == "zh":
        drop_lang.add("notes")  # the registry's notes are English
    drop_lang |= _NOT_PRINTED.get(table, frozenset())
    cols = []
    for c in frame.columns:
        if c.startswith("_") or c in drop_lang:
            continue
        # empty throughout: stops at the first value that is not (usually the first row)
        if len(frame) and table not in _FIXED_LAYOUT and not pd.api.types.is_numeric_dtype(frame[c]) \
                and all(isnan(v) or v == "" for v in frame[c]):
            continue
        if table != "technical" and c in TECHNICAL_COLUMNS:
            continue
        cols.append(c)
    return cols


def cell_text(rep: Report, column: str, value: Any, table: str = "") -> str | None:
    """Words for a coded cell in the report language; None when the cell is not a code.

    The technical sheet keeps its ids and raw values as they are.
    """
    if not isinstance(value, str | bool | np.bool_) or isnan(value):
        return None
    return _words(rep.lang, column, value, table == "technical")


def _action_words(v: str, lang: str) -> str:
    return ACTIONS.get(v, (v, v))[0 if lang == "zh" else 1]


#: Column -> words of a coded value (a column not listed: its codes replaced in Chinese text).
_SIMPLE = {"action": _action_words, "flags": pick_lang, "note": pick_lang, "method": method_words,
           "effect_size_type": effect_words, "problem": problem_words, "table": table_words,
           "kind": lambda v, lang: KINDS.get(v, (v, v))[lang != "zh"],
           "status": lambda v, lang: STATUS.get(v, (v, v))[lang != "zh"], "source": cite, "edition": cite}


@lru_cache(maxsize=1 << 16)
def _words(lang: str, column: str, value: str | bool, technical: bool) -> str:
    """:func:`cell_text` of a text or yes/no cell, memoised: a report repeats a few thousand texts
    (names, editions, sources) over its sheets, and the workbook and the page word them alike."""
    if technical and column in TECHNICAL_COLUMNS:
        return str(value)
    if isinstance(value, bool | np.bool_):
        return t(lang, "是" if value else "否", "yes" if value else "no")
    if column in ("cohort", "reference"):
        from ..plots import _cohort_label

        return _cohort_label(value, lang)
    if column in _SIMPLE:
        return _SIMPLE[column](value, lang)
    if column == "unit":
        from ..plots import unit_label

        return unit_label(value, lang)
    return zh_words(value) if lang == "zh" else value


def _number_kind(column: str, value: float, share: bool, row_fmt: str | None) -> str:
    if row_fmt is not None and (column.startswith("value_") or column in ("previous", "estimate")):
        return row_fmt
    if row_fmt is not None and column == "change":
        return "d_" + ("count" if row_fmt == "count" else row_fmt)
    if column in _PCT_ALWAYS or (share and column in _ESTIMATE_COLS and column not in ("change", "difference")):
        return "pct"
    if column in ("change", "difference", "change_ci_low", "change_ci_high"):
        # a difference of two shares stored as a fraction (the official tables store points instead)
        return "d_share" if share else ("d_count" if float(value).is_integer() else "d_money")
    if column in ("p_value", "q_value"):
        return "p"
    if column in _YEAR_COLS:
        return "year"
    if column in _INT_COLS or float(value).is_integer():
        return "int"
    return "num"


def _row_meta(frame: pd.DataFrame) -> tuple[np.ndarray, list[str | None]]:
    from ..plots import is_share

    share = frame["unit"].map(is_share).to_numpy(dtype=bool) if "unit" in frame.columns \
        else np.zeros(len(frame), dtype=bool)
    fmts = frame["_fmt"].tolist() if "_fmt" in frame.columns else [None] * len(frame)
    return share, fmts


def _formats(wb: Any, lang: str) -> dict[str, Any]:
    base = {"font_name": "Microsoft YaHei" if lang == "zh" else "Calibri", "font_size": 10, "valign": "top"}
    fmt = {k: wb.add_format({**base, "num_format": v}) for k, v in _FORMATS.items()}
    if lang != "zh":
        fmt["d_pct"] = fmt["d_pct_en"]
    fmt["head"] = wb.add_format({**base, "bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True,
                                 "valign": "vcenter"})
    fmt["text"] = wb.add_format(base)
    fmt["wrap"] = wb.add_format({**base, "text_wrap": True})
    fmt["mark"] = wb.add_format({**base, "font_color": "#7F7F7F", "italic": True})
    fmt["sup"] = wb.add_format({**base, "font_color": "#9C0006", "bg_color": "#FFC7CE"})
    return fmt


def _print_setup(ws: Any, rep: Report, table: str, ncols: int) -> None:
    """A4 landscape, fit to one page wide, header row repeated, page numbers in the footer."""
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    ws.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.6)
    title = f"{rep.college} {rep.year} {rep.sheet_name(table)}".strip().replace("&", "&&")
    ws.set_header(f"&C{title}")
    ws.set_footer(t(rep.lang, "&C第 &P 页，共 &N 页", "&CPage &P of &N"))
    ws.freeze_panes(1, 0)
    ws.hide_gridlines(0)


def _write_sheet(wb: Any, fmt: dict[str, Any], rep: Report, table: str, frame: pd.DataFrame,
                 part: int = 0) -> None:
    name = rep.sheet_name(table) + (f" ({part + 1})" if part else "")
    for ch in "[]:*?/\\":
        name = name.replace(ch, "_")
    ws = wb.add_worksheet(name[:31])
    cols = visible_columns(rep, table, frame)
    heads = [rep.header(c, table) for c in cols]
    for j, h in enumerate(heads):
        ws.write_string(0, j, h, fmt["head"])
    widths = [min(text_width(h), 24) for h in heads]
    _write_cells(ws, fmt, rep, table, frame, cols, widths)
    wide = len(cols) > 10  # many columns: narrower text columns keep the printed type readable
    final = [min(max(widths[j] + 2, 8), (26 if wide else 48) if c in _WRAP else 30) for j, c in enumerate(cols)]
    for j, w in enumerate(final):
        ws.set_column(j, j, w)
    _row_heights(ws, frame[cols], cols, final)
    _print_setup(ws, rep, table, len(cols))
    if len(frame) and cols and table not in ("about", "summary"):
        ws.autofilter(0, 0, len(frame), len(cols) - 1)


def _write_cells(ws: Any, fmt: dict[str, Any], rep: Report, table: str, frame: pd.DataFrame, cols: list[str],
                 widths: list[int]) -> None:
    """Write every data cell (row by row, as xlsxwriter numbers its shared strings) and widen ``widths``.

    A workbook has ~15,000 cells per college, so the per-cell work is kept small: column
    properties are looked up once, a plain float takes the number branch without the
    generic type tests, and the width of a number (ASCII) is its length.
    """
    share, row_fmt = _row_meta(frame)
    status = frame["status"].astype(str).to_numpy() if "status" in frame.columns else None
    lang = rep.lang
    sup, miss = SUPPRESSED[lang], MISSING[lang]
    marks = {SUPPRESSED[lang], NOT_SUPPLIED[lang], MISSING[lang], NA[lang]}
    pp = t(lang, " 个百分点", " pp")  # the d_pct format appends it
    pp_width = text_width(pp)
    est = [c in _ESTIMATE_COLS for c in cols]
    text_style = [fmt["wrap"] if c in _WRAP else fmt["text"] for c in cols]
    write_number, write_string = ws.write_number, ws.write_string
    values = frame[cols].to_numpy(dtype=object)
    for i in range(len(frame)):  # xlsxwriter writes cell by cell; this is output, not a computation
        st = None if status is None else status[i]
        flagged = st == "suppressed" or st == "missing_input"
        for j, c in enumerate(cols):
            v = values[i, j]
            if flagged and est[j] and (st == "suppressed" or isnan(v)):
                shown = sup if st == "suppressed" else miss
                write_string(i + 1, j, shown, fmt["sup"] if st == "suppressed" else fmt["mark"])
                width = text_width(shown)
            elif type(v) is float or (isinstance(v, int | float | np.integer | np.floating)
                                      and not isinstance(v, bool | np.bool_)):
                x = float(v)
                if x != x:  # NaN: an empty cell
                    continue
                kind = _number_kind(c, x, bool(share[i]), row_fmt[i])
                write_number(i + 1, j, x, fmt[kind])
                width = len(f"{x:+,.2f}" if kind not in ("year", "int", "count") else f"{x:,.0f}")
                if kind == "d_pct":
                    width += pp_width
            else:
                text = cell_text(rep, c, v, table)
                if text is None:
                    continue
                style = fmt["sup"] if text == sup else fmt["mark"] if text in marks else text_style[j]
                write_string(i + 1, j, text, style)
                width = _width(text)
            if width > widths[j]:
                widths[j] = width


@lru_cache(maxsize=1 << 16)
def _width(text: str) -> int:
    """:func:`text_width` of a cell text, memoised (names, editions and sources repeat over the sheets)."""
    return text_width(text)


def _row_heights(ws: Any, frame: pd.DataFrame, cols: list[str], widths: list[float]) -> None:
    """Set the height of rows whose wrapped text needs several lines.

    Excel fits row heights when it opens a file, LibreOffice (and so a PDF print) does not:
    the lines are estimated from the text width and the column width.
    """
    wrap = [j for j, c in enumerate(cols) if c in _WRAP]
    if not wrap or frame.empty:
        return
    lines = np.ones(len(frame), dtype=int)
    for j in wrap:
        text = frame.iloc[:, j].astype(str).where(frame.iloc[:, j].notna(), "")
        width = np.fromiter((_width(x) for x in text.tolist()), dtype=float, count=len(text))
        need = np.ceil(width / max(widths[j] - 1, 1)).astype(int)
        lines = np.maximum(lines, need)
    for i in np.flatnonzero(lines > 1):
        ws.set_row(int(i) + 1, 13.5 * int(min(lines[i], 12)))


def write_excel(rep: Report, path: str | Path | io.BytesIO) -> Path | io.BytesIO:
    """Write the report workbook to ``path`` (the tables in :attr:`Report.tables` order).

    Returns
    -------
    pathlib.Path or io.BytesIO
        The path (or in-memory buffer) written.
    """
    import xlsxwriter

    if isinstance(path, str | Path):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
    # in_memory: the sheets' XML is built in memory, not in one temporary file per sheet (creating and
    # removing ~30 files cost more than writing the small sheets); the workbook's bytes are the same
    wb = xlsxwriter.Workbook(path if isinstance(path, io.BytesIO) else str(path),
                             {"nan_inf_to_errors": False, "in_memory": True})
    fmt = _formats(wb, rep.lang)
    for table, frame in rep.tables.items():
        for part, piece in enumerate(_split_rows(rep, frame)):
            _write_sheet(wb, fmt, rep, table, piece, part)
    wb.close()
    return path


#: Data rows one sheet holds (Excel's 1,048,576 rows less the header row).
EXCEL_ROWS = 1_048_575
#: Sheets one long table (the validation report) may take before the rest is left to the CSV.
MAX_PARTS = 4


def _split_rows(rep: Report, frame: pd.DataFrame) -> list[pd.DataFrame]:
    """A table longer than a sheet, split across up to :data:`MAX_PARTS` sheets; never cut silently.

    Beyond that, the last sheet ends with a row saying how many rows are not shown and how to get
    them all (``coopmetrics validate --csv``), so no reader takes the sheet for the whole list.
    """
    if len(frame) <= EXCEL_ROWS:
        return [frame]
    parts = [frame.iloc[i:i + EXCEL_ROWS] for i in range(0, len(frame), EXCEL_ROWS)]
    if len(parts) <= MAX_PARTS:
        return parts
    parts = parts[:MAX_PARTS]
    shown = EXCEL_ROWS * MAX_PARTS - 1
    note = t(rep.lang, f"共 {len(frame):,} 行，工作簿只列出前 {shown:,} 行；完整清单请运行 coopmetrics validate --csv 导出。",
             f"{len(frame):,} rows in all; the workbook lists the first {shown:,}; run coopmetrics validate --csv "
             "for the complete list.")
    last = parts[-1].iloc[:-1]
    first = visible_columns(rep, "validation", frame)[:1] or list(frame.columns[:1])
    parts[-1] = pd.concat([last, pd.DataFrame({first[0]: [note]})], ignore_index=True)
    return parts
