"""Reading files into raw grids: CSV (encoding and delimiter sniffing), XLSX/XLS, Parquet.

A raw grid is a ``header=None`` object DataFrame whose row ``i`` is Excel row
``i + 1``. Workbook sheets carry what the grid cannot show: whether the sheet
is hidden, its merged-cell ranges, and formula cells that have no cached value.

Examples
--------
>>> from coopmetrics.readers import read_csv_text
>>> read_csv_text("学号,备注\n1,a;b;c;d;e;f\n2,x\n").values.tolist()
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


def read_csv_text(text: str, *, delimiter: str | None = None) -> pd.DataFrame:
    """Parse CSV text into a raw grid (no header; ragged rows padded).

    Row ``i`` of the result is line ``i + 1`` as Excel shows it.

    Examples
    --------
    >>> read_csv_text("标题\\n学号,届别\\n1,2024\\n").values.tolist()
    [['标题', None], ['学号', '届别'], ['1', '2024']]
    """
    if delimiter is None:
        head = text[:20000].splitlines()[:_HEADER_SCAN + 5]
        counts = {d: max((line.count(d) for line in head), default=0) for d in (",", "\t", ";", "|")}
        delimiter = max(counts, key=lambda d: counts[d]) if max(counts.values()) > 0 else ","
    rows = list(csv.reader(_stdio.StringIO(text), delimiter=delimiter))
    if not rows:
        return pd.DataFrame()
    width = max(len(r) for r in rows)
    grid = pd.DataFrame([r + [None] * (width - len(r)) for r in rows], dtype=object)
    return grid


def _calamine() -> Any:
    """python-calamine's workbook class when installed (a Rust reader, about 10x faster than openpyxl)."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        return None
    return CalamineWorkbook


def _read_xlsx(path: Path, file: str) -> list[tuple[str, pd.DataFrame]]:
    """Every sheet as a raw grid; row i is Excel row i + 1 (leading blank rows kept)."""
    reader = _calamine()
    if reader is not None:
        try:
            wb = reader.from_path(str(path))
            return [(name, pd.DataFrame(wb.get_sheet_by_name(name).to_python(skip_empty_area=False), dtype=object))
                    for name in wb.sheet_names]
        except Exception as exc:  # calamine raises its own error types for broken files
            raise InputError(f"无法读取 Excel 文件：{exc}", f"cannot read the Excel file: {exc}", file=file) from exc
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InputError(f"无法读取 Excel 文件：{exc}", f"cannot read the Excel file: {exc}", file=file) from exc
    out = []
    try:
        for ws in wb.worksheets:
            rows = list(ws.iter_rows(values_only=True))
            grid = pd.DataFrame(rows, dtype=object) if rows else pd.DataFrame()
            out.append((ws.title, grid))
    finally:
        wb.close()
    return out


def _read_path(path: Path, file: str) -> list[_Sheet]:
    suffix = path.suffix.lower()
    stem = path.stem
    if suffix == ".xls":
        raise InputError(
            "不支持旧版 .xls 文件", "old .xls workbooks are not supported", file=file,
            hint_zh="请在 Excel 中另存为 .xlsx 或 CSV。", hint_en="save it as .xlsx or CSV in Excel.",
        )
    if suffix in {".xlsx", ".xlsm"}:
        sheets = _read_xlsx(path, file)
        single = len(sheets) == 1
        return [_Sheet(file, sname, stem if single and _is_default_sheet(sname) else sname, stem, grid=g)
                for sname, g in sheets]
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
            grid = read_csv_text(text, delimiter="\t" if suffix == ".tsv" else None)
        except csv.Error as exc:
            raise InputError(f"CSV 格式错误：{exc}", f"malformed CSV: {exc}", file=file) from exc
        return [_Sheet(file, "", stem, stem, grid=grid, encoding=enc)]
    raise InputError(
        f"不支持的文件类型 {suffix!r}（可用：CSV、XLSX、Parquet）",
        f"unsupported file type {suffix!r} (use CSV, XLSX or Parquet)", file=file,
    )


def _is_default_sheet(name: str) -> bool:
    return bool(re.fullmatch(r"(sheet|工作表)\s*\d*", name.strip(), flags=re.IGNORECASE))
