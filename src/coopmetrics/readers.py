"""Reading files into raw grids: CSV (encoding and delimiter sniffing), XLSX/XLS, Parquet.

A raw grid is a ``header=None`` object DataFrame whose row ``i`` is Excel row
``i + 1``. Workbook sheets carry what the grid cannot show: whether the sheet
is hidden, its merged-cell ranges, and formula cells that have no cached value.

Examples
--------
>>> from coopmetrics.readers import read_csv_text
>>> read_csv_text("学号,备注\\n1,a;b;c;d;e;f\\n2,x\\n").values.tolist()
[['学号', '备注'], ['1', 'a;b;c;d;e;f'], ['2', 'x']]
"""

from __future__ import annotations

import csv
import io as _stdio
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError

#: Encodings tried, in order, for CSV files (strict decodes; the first that works wins).
ENCODINGS = ("utf-8-sig", "utf-8", "gbk", "gb18030")
_HEADER_SCAN = 15

# ----------------------------------------------------------------------------------
# reading files into raw grids (header=None, row i <-> Excel row i + 1)
# ----------------------------------------------------------------------------------

@dataclass
class _Sheet:
    """One raw input: a file or a sheet of a workbook."""

    file: str
    sheet: str
    name: str  # text used to recognise the table (sheet name, else file stem)
    fallback_name: str  # file stem, for survey kind / year when the sheet name says nothing
    grid: pd.DataFrame | None = None  # header=None strings/objects
    frame: pd.DataFrame | None = None  # already has a header (Parquet)
    encoding: str = ""
    notes: list[str] = field(default_factory=list)
    state: str = "visible"  # visible / hidden / veryHidden (workbook sheets)
    formulas: list[tuple[int, int]] = field(default_factory=list)  # (grid row, col) of formulas without a value
    merged_numbers: list[tuple[int, int]] = field(default_factory=list)  # (grid row, col) filled from a number


def _decode(raw: bytes, file: str) -> tuple[str, str]:
    if not raw.strip():
        raise InputError("文件为空", "the file is empty", file=file)
    for enc in ENCODINGS:
        if enc == "utf-8-sig" and not raw.startswith(b"\xef\xbb\xbf"):
            continue
        try:
            return raw.decode(enc), ("utf-8-bom" if enc == "utf-8-sig" else enc)
        except UnicodeDecodeError:
            continue
    raise InputError(
        "无法识别文件编码（已尝试 UTF-8、UTF-8 BOM、GBK、GB18030）",
        "cannot decode the file (tried UTF-8, UTF-8 with BOM, GBK, GB18030)",
        file=file, hint_zh="请在 Excel 中另存为“CSV UTF-8”或 .xlsx。", hint_en="save it as 'CSV UTF-8' or .xlsx in Excel.",
    )


def sniff_delimiter(text: str, candidates: str = ",\t;|", lines: int = 60) -> str:
    """The delimiter that splits the first lines into the same number of fields most consistently.

    Counting the most frequent character in the longest line is fooled by one
    free-text cell full of ``;``; here every candidate parses the sample (quotes
    respected) and scores the number of lines that have its most common field
    count (which must be 2 or more). Ties go to the earlier candidate.

    Examples
    --------
    >>> sniff_delimiter("学号,备注\\n1,a;b;c;d;e;f;g\\n2,x\\n3,y\\n")
    ','
    >>> sniff_delimiter("学号;届别\\n1;2024\\n2;2024\\n")
    ';'
    """
    sample = [ln for ln in text[:65536].splitlines()[:lines] if ln.strip()]
    best, best_score = ",", 0
    for d in candidates:
        counts = [len(r) for r in csv.reader(sample, delimiter=d)]
        multi = [c for c in counts if c > 1]
        if not multi:
            continue
        mode = max(set(multi), key=lambda c: (multi.count(c), c))
        score = counts.count(mode)
        if score > best_score:
            best, best_score = d, score
    return best


def read_csv_text(text: str, *, delimiter: str | None = None, utf8: bytes | None = None) -> pd.DataFrame:
    """Parse CSV text into a raw grid (no header; every cell text, short rows padded with "").

    Row ``i`` of the result is line ``i + 1`` as Excel shows it (blank lines
    kept). The delimiter is sniffed with :func:`sniff_delimiter` unless given.
    Parsing uses pandas' C tokenizer (every cell read as text) and falls back
    to the :mod:`csv` module for rows wider than the sampled header. ``utf8``
    may carry the same content as UTF-8 bytes (the file as read) to skip
    re-encoding it.

    Examples
    --------
    >>> read_csv_text("标题\\n学号,届别\\n1,2024\\n").values.tolist()
    [['标题', ''], ['学号', '届别'], ['1', '2024']]
    """
    if delimiter is None:
        delimiter = sniff_delimiter(text)
    if not text.strip():
        return pd.DataFrame()
    sample = [len(r) for r in csv.reader(text[:65536].splitlines()[:200], delimiter=delimiter)]
    width = max(sample, default=1)
    try:
        # UTF-8 bytes straight to the C tokenizer: a StringIO is re-encoded chunk by chunk (3x slower)
        grid = pd.read_csv(_stdio.BytesIO(utf8 if utf8 is not None else text.encode("utf-8")), sep=delimiter, header=None, names=range(width),
                           dtype=object, na_filter=False, skip_blank_lines=False, engine="c", quotechar='"',
                           encoding="utf-8")
    except (pd.errors.ParserError, ValueError):  # a row wider than the sample: the slow exact route
        rows = list(csv.reader(_stdio.StringIO(text), delimiter=delimiter))
        width = max(len(r) for r in rows)
        grid = pd.DataFrame([r + [None] * (width - len(r)) for r in rows], dtype=object)
    if text.endswith(("\n", "\r")) and len(grid) and (grid.iloc[-1].isna() | (grid.iloc[-1] == "")).all():
        grid = grid.iloc[:-1]  # the C parser keeps the empty "line" after the final newline
    grid.columns = range(grid.shape[1])
    return grid


def _calamine() -> Any:
    """python-calamine's workbook class when installed (a Rust reader, about 10x faster than openpyxl)."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        return None
    return CalamineWorkbook


_CELL = re.compile(rb"<(?:\w+:)?c\s[^>]*?r=\"([A-Z]+)(\d+)\"[^>]*>(.*?)</(?:\w+:)?c>", re.S)
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\s[^>]*?ref=\"([A-Z]+)(\d+):([A-Z]+)(\d+)\"")


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n - 1


def _xlsx_meta(path: Path) -> dict[str, dict[str, Any]]:
    """Per sheet name: visibility, merged ranges and formula cells without a cached value.

    Read from the workbook's XML, so that the calamine and openpyxl routes see
    the same things: a formula whose value was never computed (a file written
    by a program, not saved by Excel) is an *uncomputed formula*, not an empty cell.
    """
    import xml.etree.ElementTree as ET

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
          "p": "http://schemas.openxmlformats.org/package/2006/relationships"}
    out: dict[str, dict[str, Any]] = {}
    try:
        with zipfile.ZipFile(path) as z:
            book = ET.fromstring(z.read("xl/workbook.xml"))
            rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
            target = {r.get("Id"): r.get("Target", "") for r in rels.findall("p:Relationship", ns)}
            names = set(z.namelist())
            for sh in book.findall("m:sheets/m:sheet", ns):
                t = target.get(sh.get(f"{{{ns['r']}}}id"), "")
                member = t.lstrip("/") if t.startswith("/") else f"xl/{t}"
                meta: dict[str, Any] = {"state": sh.get("state", "visible"), "merges": [], "formulas": []}
                if member in names:
                    xml = z.read(member)
                    meta["merges"] = [(int(r0) - 1, _col_index(c0), int(r1) - 1, _col_index(c1))
                                      for c0, r0, c1, r1 in _MERGE.findall(xml)]
                    if b"<f" in xml or b":f" in xml:
                        for col, row, inner in _CELL.findall(xml):
                            if re.search(rb"<(?:\w+:)?f[\s>/]", inner) and not re.search(
                                    rb"<(?:\w+:)?v>[^<]+</(?:\w+:)?v>", inner):
                                meta["formulas"].append((int(row) - 1, _col_index(col)))
                out[sh.get("name", "")] = meta
    except (KeyError, ET.ParseError, zipfile.BadZipFile, OSError):
        return {}  # metadata is a bonus: the readers below report a broken file themselves
    return out


_NUMBER_TEXT = re.compile(r"[-+]?[\d,.\s]*\d[\d,.\s]*(万元|万|元|人|个|%)?")


def _fill_merges(grid: pd.DataFrame, merges: list[tuple[int, int, int, int]],
                 copies: list[tuple[int, int]] | None = None) -> pd.DataFrame:
    """Copy the text of each merged range's top-left cell into its blank cells (what the user sees).

    State-platform layouts (A7-4/A7-5: one row per partner, 专业 or 企业名称 merged over
    several rows) are only usable this way. Cells filled from a *number* are appended
    to ``copies`` as ``(grid row, column)``: a count merged over a major's partner
    rows belongs to the major once, and count/money columns clear those copies.
    """
    copies = [] if copies is None else copies
    if not merges or grid.empty:
        return grid
    arr = grid.to_numpy(dtype=object, copy=True)
    nr, nc = arr.shape
    for r0, c0, r1, c1 in merges:
        if r0 >= nr or c0 >= nc:
            continue
        anchor = arr[r0, c0]
        r1, c1 = min(r1, nr - 1), min(c1, nc - 1)
        block = arr[r0:r1 + 1, c0:c1 + 1]
        blank = pd.isna(block) | (block == "")
        block[blank] = anchor
        arr[r0:r1 + 1, c0:c1 + 1] = block
        if not isinstance(anchor, str) or _NUMBER_TEXT.fullmatch(anchor.strip()):
            # a number merged over several rows may be a per-major count beside its partners: the
            # copies are remembered so that count and money columns keep it on the first row only
            rr, cc = np.nonzero(blank)
            copies.extend(zip((rr + r0).tolist(), (cc + c0).tolist(), strict=True))
    return pd.DataFrame(arr, dtype=object)


def _read_book(path: Path, file: str) -> list[tuple[str, pd.DataFrame, str, list, list]]:
    """Every sheet as ``(name, raw grid, state, formula cells, merged number copies)``; row i is Excel row i + 1."""
    xls = path.suffix.lower() == ".xls"
    meta = {} if xls else _xlsx_meta(path)
    reader = _calamine()
    out: list[tuple[str, pd.DataFrame, str, list, list]] = []
    if reader is not None or xls:
        if reader is None:  # openpyxl cannot read .xls; python-calamine is a dependency
            from python_calamine import CalamineWorkbook as reader
        try:
            wb = reader.from_path(str(path))
            states = {m.name: str(m.visible).rsplit(".", 1)[-1] for m in wb.sheets_metadata}
            for name in wb.sheet_names:
                sh = wb.get_sheet_by_name(name)
                grid = pd.DataFrame(sh.to_python(skip_empty_area=False), dtype=object)
                m = meta.get(name, {})
                merges = m.get("merges") if not xls else [
                    (a[0], a[1], b[0], b[1]) for a, b in (sh.merged_cell_ranges or [])]
                state = {"Visible": "visible", "Hidden": "hidden", "VeryHidden": "veryHidden"}.get(
                    states.get(name, ""), m.get("state", "visible"))
                copies: list[tuple[int, int]] = []
                out.append((name, _fill_merges(grid, merges or [], copies), state, m.get("formulas", []), copies))
        except InputError:
            raise
        except Exception as exc:  # calamine raises its own error types for broken files
            raise InputError(f"无法读取 Excel 文件：{exc}", f"cannot read the Excel file: {exc}", file=file) from exc
        return out
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InputError(f"无法读取 Excel 文件：{exc}", f"cannot read the Excel file: {exc}", file=file) from exc
    try:
        for ws in wb.worksheets:
            rows = list(ws.iter_rows(values_only=True))
            grid = pd.DataFrame(rows, dtype=object) if rows else pd.DataFrame()
            m = meta.get(ws.title, {})
            copies = []
            out.append((ws.title, _fill_merges(grid, m.get("merges", []), copies), m.get("state", ws.sheet_state),
                        m.get("formulas", []), copies))
    finally:
        wb.close()
    return out


def _read_path(path: Path, file: str) -> list[_Sheet]:
    suffix = path.suffix.lower()
    stem = path.stem
    if suffix in {".xlsx", ".xlsm", ".xls"}:
        sheets = _read_book(path, file)
        single = len(sheets) == 1
        return [_Sheet(file, sname, stem if single and _is_default_sheet(sname) else sname, stem, grid=g,
                       state=state, formulas=formulas, merged_numbers=copies)
                for sname, g, state, formulas, copies in sheets]
    if suffix in {".parquet", ".pq"}:
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for a broken file
            raise InputError(f"无法读取 Parquet 文件：{exc}", f"cannot read the Parquet file: {exc}",
                             file=file) from exc
        return [_Sheet(file, "", stem, stem, frame=frame)]
    if suffix in {".csv", ".tsv", ".txt"}:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise InputError(f"无法读取文件：{exc}", f"cannot read the file: {exc}", file=file) from exc
        text, enc = _decode(raw, file)
        try:
            # the file's own bytes when they are UTF-8 already (no re-encoding of a large file)
            utf8 = raw[3:] if enc == "utf-8-bom" else raw if enc == "utf-8" else None
            grid = read_csv_text(text, delimiter="\t" if suffix == ".tsv" else None, utf8=utf8)
        except csv.Error as exc:
            raise InputError(f"CSV 格式错误：{exc}", f"malformed CSV: {exc}", file=file) from exc
        return [_Sheet(file, "", stem, stem, grid=grid, encoding=enc)]
    raise InputError(
        f"不支持的文件类型 {suffix!r}（可用：CSV、XLSX、XLS、Parquet）",
        f"unsupported file type {suffix!r} (use CSV, XLSX, XLS or Parquet)", file=file,
    )


def _is_default_sheet(name: str) -> bool:
    return bool(re.fullmatch(r"(sheet|工作表)\s*\d*", name.strip(), flags=re.IGNORECASE))
