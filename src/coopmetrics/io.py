"""Loading exports from school systems into canonical tables.

:func:`load` reads a folder, a workbook or a single file; :func:`standardise`
turns one DataFrame with raw (often Chinese) headers into a canonical table and
its validation rows; :func:`save` writes a :class:`~coopmetrics.dataset.Dataset`
back to CSV, XLSX or Parquet.

What loading does, in order, for every file or sheet:

1. **Read.** CSV encodings are detected without being told: UTF-8 with BOM,
   UTF-8, GBK, GB18030 (strict decodes in that order; the one used is recorded
   in ``Dataset.sources``). XLSX through python-calamine when installed, else
   openpyxl; Parquet through pyarrow.
2. **Find the table and the header row.** The table comes from the file or
   sheet name (any :data:`~coopmetrics.schema.TABLE_ALIASES` entry contained in
   it, the longest wins, e.g. ``2024届毕业生去向_导出.csv``), otherwise from the
   best header match. The header row is the row among the first 15 with the most
   recognised headers, so title rows and blank lines above it are skipped.
3. **Protect personal data** (:mod:`coopmetrics.privacy`) before anything else
   looks at the values.
4. **Normalise cells**: full-width to half-width (NFKC) and stray spaces; codes
   repaired (``10.0``, ``1.0E+1``, ``2024010101.0``); booleans (是/否, Y/N, 1/0,
   √/×, 有/无, true/false); category value maps; money in 万元 converted to yuan;
   dates; years such as ``2024届``. Wide survey exports (one column per item)
   are melted to the long canonical table.
5. **Validate** (:mod:`coopmetrics.validation`) and account for every row.

Examples
--------
>>> import pandas as pd
>>> from coopmetrics.io import standardise
>>> raw = pd.DataFrame({"学号": ["2024010101.0", "2024010102"], "届别": ["2024届", "2024届"],
...                     "专业名称": ["数控技术 ", "会计"], "毕业去向代码": ["1.0E+1", "99"],
...                     "月收入（万元）": ["0.45", "-1"], "姓名": ["张三", "李四"]})
>>> frame, report = standardise(raw, "graduates", file="g.csv")
>>> frame[["student_id", "grad_year", "destination_code", "monthly_salary"]].values.tolist()
[['2024010101', 2024, '10', 4500.0], ['2024010102', 2024, '99', nan]]
>>> report[["row", "column", "problem"]].values.tolist()
[[<NA>, '姓名', 'pii_dropped'], [3, '月收入（万元）', 'negative_money'], [3, '毕业去向代码', 'unknown_code']]
"""

from __future__ import annotations

import csv
import io as _stdio
import math
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import privacy
from .dataset import ACCOUNTING_COLUMNS, Dataset
from .errors import InputError, check_option
from .schema import LIKERT_TEXT, TABLE_ALIASES, TABLES, Column, resolve_header
from .validation import META, account, check_rows, empty_report, missing_column_error, problem_rows

__all__ = [
    "load",
    "standardise",
    "save",
    "read_csv_text",
    "detect_table",
    "find_header_row",
    "LIKERT_NA_LEVELS",
    "ENCODINGS",
]

#: Encodings tried, in order, for CSV files (strict decodes; the first that works wins).
ENCODINGS = ("utf-8-sig", "utf-8", "gbk", "gb18030")

#: Survey answers that carry no score (kept as ``response`` text, ``score`` NA).
LIKERT_NA_LEVELS = frozenset({"无法评估", "不了解", "不适用", "说不清", "不清楚", "无法回答", "未接触", "不知道"})

_DATA_SUFFIXES = {".csv", ".tsv", ".xlsx", ".xlsm", ".parquet", ".pq", ".xls"}  # in folders; .txt only when named
_HEADER_SCAN = 15
_BLANK_TEXT = {"", "nan", "null", "<na>", "n/a", "#n/a", "na", "nat"}  # not "none": a title_level value
_DASHES = {"-", "--", "—", "——", "/", "无", "暂无", "—/—"}  # "nothing" in a number cell
_CJK = r"\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
_SPACE_NEAR_CJK = re.compile(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")
_QUESTION_PREFIX = re.compile(r"^(q?\d+[、.．:：_\-)）]\s*|[(（]\d+[)）]\s*)", re.IGNORECASE)
_OPTION_PREFIX = re.compile(r"^[A-Ea-e][.、．:：)）]\s*")
_SCI = re.compile(r"^[+-]?(\d+)(?:\.(\d*))?[eE]([+-]?\d+)$")

_TRUE = {"是", "y", "yes", "1", "1.0", "√", "✓", "✔", "有", "true", "t", "对", "已", "已参保", "已购买",
         "相关", "对口", "很相关", "比较相关", "非常相关", "录用", "已录用", "离职", "已离职"}
_FALSE = {"否", "n", "no", "0", "0.0", "×", "✗", "✘", "x", "无", "false", "f", "没有", "未", "未参保", "未购买",
          "不相关", "不对口", "不太相关", "很不相关", "未录用", "未离职", "在职"}


# ----------------------------------------------------------------------------------
# cell parsers: each takes one raw value and returns (value, problem or None).
# They run once per *distinct* value (see _map_unique), never once per row.
# ----------------------------------------------------------------------------------

def _is_blank(x: object) -> bool:
    if x is None:
        return True
    if isinstance(x, float) and math.isnan(x):
        return True
    if x is pd.NA or x is pd.NaT:
        return True
    return isinstance(x, str) and x.strip().lower() in _BLANK_TEXT


def _blank_mask(df: pd.DataFrame) -> np.ndarray:
    """Boolean (rows x columns) array: is each cell blank? Evaluated once per distinct value."""
    out = np.zeros(df.shape, dtype=bool)
    for j in range(df.shape[1]):
        codes, uniq = pd.factorize(df.iloc[:, j].to_numpy(dtype=object), use_na_sentinel=True)
        blank_u = np.fromiter((_is_blank(u) for u in uniq), dtype=bool, count=len(uniq))
        out[:, j] = np.append(blank_u, True)[codes]  # -1 (NA) picks the appended True
    return out


def _clean_text(x: object) -> str | None:
    """NFKC (full-width -> half-width), trim, drop spaces next to Chinese characters."""
    if _is_blank(x):
        return None
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        x = int(x)  # Excel numeric cells in text columns: 2024.0 -> "2024"
    elif isinstance(x, datetime) and x.time() == datetime.min.time():
        x = x.date()
    s = unicodedata.normalize("NFKC", str(x)).strip()
    s = _SPACE_NEAR_CJK.sub("", s)
    s = re.sub(r"\s+", " ", s)
    return None if s.lower() in _BLANK_TEXT else s


def _parse_code(x: object) -> tuple[str | None, str | None]:
    """Identifiers and codes kept as text; Excel's float and scientific forms repaired."""
    if _is_blank(x):
        return None, None
    if isinstance(x, bool):
        return str(int(x)), None
    if isinstance(x, (int, np.integer)):
        return str(int(x)), None
    if isinstance(x, (float, np.floating)):
        if float(x).is_integer():
            # Excel keeps 15 significant digits: a longer number stored as a number lost digits
            return str(int(x)), ("precision_lost" if abs(x) >= 1e15 else None)
        return repr(float(x)), None
    s = _clean_text(x)
    if s is None:
        return None, None
    if re.fullmatch(r"[+-]?\d+\.0+", s):
        return s.split(".")[0], None
    m = _SCI.match(s)
    if m:
        try:
            d = Decimal(s)
        except InvalidOperation:  # pragma: no cover - the regex admits only valid numbers
            return s, None
        if d == d.to_integral_value():
            exponent = int(m.group(3))
            # Excel shows numbers of 12+ digits as 4.10102E+17: the hidden digits are gone
            return str(int(d)), ("precision_lost" if exponent >= 11 else None)
    if s.startswith("'"):  # Excel's "treat as text" apostrophe
        s = s[1:]
    return s, None


def _parse_number(x: object) -> tuple[float | None, str | None]:
    if _is_blank(x):
        return None, None
    if isinstance(x, bool):
        return float(x), None
    if isinstance(x, (int, float, np.integer, np.floating)):
        return float(x), None
    s = unicodedata.normalize("NFKC", str(x)).strip()
    s = re.sub(r"\s+", "", s)
    if s in _DASHES:
        return None, None
    mult = 1.0
    s = s.replace(",", "").replace("¥", "").replace("￥", "")
    for unit, m in (("万元", 1e4), ("万", 1e4), ("元/月", 1.0), ("元", 1.0), ("人日", 1.0), ("人天", 1.0),
                    ("人", 1.0), ("天", 1.0), ("个", 1.0), ("学时", 1.0), ("课时", 1.0), ("月", 1.0),
                    ("年", 1.0), ("次", 1.0), ("门", 1.0), ("种", 1.0), ("项", 1.0), ("分", 1.0)):
        if s.endswith(unit) and len(s) > len(unit):
            s, mult = s[: -len(unit)], m
            break
    try:
        v = float(s)
    except ValueError:
        return None, "unparseable_number"
    if not math.isfinite(v):
        return None, "unparseable_number"
    return v * mult, None


def _parse_bool(x: object) -> tuple[bool | None, str | None]:
    if _is_blank(x):
        return None, None
    if isinstance(x, (bool, np.bool_)):
        return bool(x), None
    if isinstance(x, (int, float, np.integer, np.floating)) and float(x) in (0.0, 1.0):
        return bool(x), None
    s = unicodedata.normalize("NFKC", str(x)).strip().lower()
    s = re.sub(r"\s+", "", s)
    if s in _TRUE:
        return True, None
    if s in _FALSE:
        return False, None
    return None, "unknown_category"


def _parse_year(x: object) -> tuple[int | None, str | None]:
    if _is_blank(x):
        return None, None
    if isinstance(x, (datetime, date, pd.Timestamp)):
        return x.year, None
    if isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool):
        return (int(x), None) if float(x).is_integer() else (None, "impossible_year")
    s = unicodedata.normalize("NFKC", str(x)).strip()
    s = re.sub(r"\s+", "", s)
    m = re.fullmatch(r"(\d{4})[-—–~至/](\d{4})(学年|年度)?", s)
    if m:  # academic year 2023-2024学年 -> 2024 (the year it ends, as the 状态数据 report year)
        return int(m.group(2)), None
    m = re.fullmatch(r"(\d{4})(\.0+)?(届|年|年度|届毕业生)?", s)
    if m:
        return int(m.group(1)), None
    m = re.fullmatch(r"(\d{4})[-/.年]\d{1,2}([-/.月]\d{1,2}日?)?(\s.*)?", s)
    if m:
        return int(m.group(1)), None
    return None, "impossible_year"


_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def _parse_date(x: object) -> tuple[pd.Timestamp | None, str | None]:
    if _is_blank(x):
        return None, None
    if isinstance(x, (datetime, date, pd.Timestamp)):
        return pd.Timestamp(x), None
    if isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool):
        if 1 <= float(x) <= 2_958_465:  # an Excel serial day number
            return _EXCEL_EPOCH + pd.Timedelta(days=float(x)), None
        return None, "unparseable_date"
    s = unicodedata.normalize("NFKC", str(x)).strip()
    if re.fullmatch(r"\d{5}(\.\d+)?", s):
        return _EXCEL_EPOCH + pd.Timedelta(days=float(s)), None
    s = re.sub(r"[年月/.]", "-", s).replace("日", "").strip("-")
    if re.fullmatch(r"\d{8}", s):
        s = f"{s[:4]}-{s[4:6]}-{s[6:]}"
    try:
        ts = pd.Timestamp(s)
    except (ValueError, TypeError):
        return None, "unparseable_date"
    if pd.isna(ts):
        return None, "unparseable_date"
    return ts, None


def _category_parser(values: dict[str, str]) -> Callable[[object], tuple[str | None, str | None]]:
    lookup = {re.sub(r"\s+", "", unicodedata.normalize("NFKC", k)).lower(): v for k, v in values.items()}

    def parse(x: object) -> tuple[str | None, str | None]:
        if _is_blank(x):
            return None, None
        key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(x))).lower()
        if key.endswith(".0") and key[:-2].isdigit():
            key = key[:-2]
        if key in lookup:
            return lookup[key], None
        return None, "unknown_category"

    return parse


def _likert(x: object) -> tuple[str | None, int | None, str | None]:
    """Survey answer -> (response text, score, problem)."""
    if _is_blank(x):
        return None, None, None
    if isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool):
        v = float(x)
        text = str(int(v)) if v.is_integer() else str(v)
    else:
        text = _clean_text(x)
        if text is None:
            return None, None, None
    t = _OPTION_PREFIX.sub("", text) if not re.fullmatch(r"\d+(\.\d+)?", text) else text
    t = re.sub(r"\s+", "", t)
    if t in LIKERT_TEXT:
        return t, LIKERT_TEXT[t], None
    if t in LIKERT_NA_LEVELS:
        return t, None, None
    m = re.fullmatch(r"(\d+(?:\.\d+)?)分?", t)
    if m:
        v = float(m.group(1))
        text = str(int(v)) if v.is_integer() else m.group(1)
        if v.is_integer() and 1 <= v <= 5:
            return text, int(v), None
        return text, None, "bad_likert"
    return text, None, "bad_likert"


def _map_unique(
    values: pd.Series, func: Callable[[object], tuple], fast: str | None = None,
) -> tuple[np.ndarray, ...]:
    """Apply ``func`` to each distinct value and broadcast the results back (vectorised).

    ``fast`` names a shortcut for the common clean case so that only unusual
    cells reach the Python parser: ``"digits"`` (codes made of ASCII letters and
    digits are kept as they are) or ``"number"`` (plain decimal numbers).
    """
    arr = values.to_numpy(dtype=object)
    if fast is not None and len(arr) > 64:
        is_str = np.fromiter((type(v) is str for v in arr), dtype=bool, count=len(arr))
        if is_str.any():
            s = pd.Series(arr[is_str], dtype=object)
            # ASCII only: full-width characters need NFKC; "2E5"-like codes need the scientific-notation check
            if fast == "digits":
                hit = s.str.fullmatch(r"[0-9A-Za-z_-]+") & ~s.str.fullmatch(r"[0-9]+[eE][0-9]+")
            else:
                hit = s.str.fullmatch(r"-?[0-9]+(?:\.[0-9]+)?")
            ok = np.zeros(len(arr), dtype=bool)
            ok[is_str] = hit.fillna(False).to_numpy(dtype=bool)
            if ok.any():
                width = len(func(None))
                rest = _map_unique(pd.Series(arr[~ok], dtype=object), func) if (~ok).any() else None
                outs = []
                for k in range(width):
                    col = np.empty(len(arr), dtype=object)
                    if k == 0:
                        col[ok] = arr[ok] if fast == "digits" else arr[ok].astype(float)
                    else:
                        col[ok] = None
                    if rest is not None:
                        col[~ok] = rest[k]
                    outs.append(col)
                return tuple(outs)
    codes, uniq = pd.factorize(arr, use_na_sentinel=True)
    results = [func(u) for u in uniq]
    width = len(results[0]) if results else len(func(None))
    outs = []
    for k in range(width):
        col = np.empty(len(uniq) + 1, dtype=object)
        col[:-1] = [r[k] for r in results]
        col[-1] = None  # the NA sentinel (-1) picks the last slot
        outs.append(col[codes])
    return tuple(outs)


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


# ----------------------------------------------------------------------------------
# table and header detection
# ----------------------------------------------------------------------------------

def _norm_name(name: str) -> str:
    return re.sub(r"[\s_\-.]+", "", unicodedata.normalize("NFKC", name)).lower()


def _name_tables(name: str) -> list[str]:
    """Tables whose alias is contained in ``name``; only those with the longest alias."""
    key = _norm_name(name)
    best, hits = 0, []
    for alias, table in TABLE_ALIASES.items():
        a = _norm_name(alias)
        if a and a in key:
            if len(a) > best:
                best, hits = len(a), [table]
            elif len(a) == best and table not in hits:
                hits.append(table)
    return hits


def _resolve(table: str, header: object) -> tuple[str | None, float]:
    """resolve_header, also trying without a question number (1、您的学号) and 您的/请问."""
    if _is_blank(header):
        return None, 1.0
    name, mult = resolve_header(table, header)
    if name is None:
        h = unicodedata.normalize("NFKC", str(header)).strip()
        h2 = _QUESTION_PREFIX.sub("", h)
        h2 = re.sub(r"^(请问)?(您的|你的)", "", h2)
        h2 = re.sub(r"[:：?？]$", "", h2)
        if h2 and h2 != h:
            name, mult = resolve_header(table, h2)
    return name, mult


def _score_row(row: Iterable[object], table: str) -> tuple[int, int]:
    """(distinct canonical columns recognised, of which required) in one candidate header row."""
    names = {n for n in (_resolve(table, v)[0] for v in row) if n is not None}
    req = set(TABLES[table].required)
    return len(names), len(names & req)


def find_header_row(grid: pd.DataFrame, table: str, scan: int = _HEADER_SCAN) -> tuple[int, int]:
    """Index of the header row among the first ``scan`` rows of a raw grid and its score.

    The header is the row with the most recognised headers (ties: the earlier row),
    so merged title rows and blank lines above it are skipped.

    Examples
    --------
    >>> g = pd.DataFrame([["XX职业技术学院2024届毕业生毕业去向登记表", None, None],
    ...                   [None, None, None], ["学号", "届别", "毕业去向代码"], ["1", "2024", "10"]])
    >>> find_header_row(g, "graduates")
    (2, 3)
    """
    best, best_i = -1, 0
    for i in range(min(scan, len(grid))):
        row = grid.iloc[i].tolist()
        if all(_is_blank(v) for v in row):
            continue
        score = _score_row(row, table)[0]
        if score > best:
            best, best_i = score, i
    return best_i, max(best, 0)


def detect_table(name: str, headers_rows: pd.DataFrame | list[list[object]]) -> tuple[str | None, int]:
    """Guess the table from a file/sheet name and candidate header rows.

    Returns ``(table, header_row_index)``; ``table`` is None when neither the
    name nor any header matches.

    Examples
    --------
    >>> detect_table("2024届毕业生去向_导出", [["学号", "届别"]])
    ('graduates', 0)
    >>> detect_table("data", [["工号", "年份", "教师类别"]])
    ('teachers', 0)
    """
    grid = headers_rows if isinstance(headers_rows, pd.DataFrame) else pd.DataFrame(headers_rows, dtype=object)
    candidates = _name_tables(name)
    if len(candidates) == 1:
        return candidates[0], find_header_row(grid, candidates[0])[0]
    pool = candidates or list(TABLES)
    scored = []
    for t in pool:
        i, _ = find_header_row(grid, t)
        n, req = _score_row(grid.iloc[i].tolist(), t) if len(grid) else (0, 0)
        share = req / max(len(TABLES[t].required), 1)
        scored.append((n + share, -pool.index(t), t, i, n))
    scored.sort(reverse=True)
    if not scored or (scored[0][4] == 0 and not candidates):
        return None, 0
    return scored[0][2], scored[0][3]


def _survey_kind_from_name(*names: str) -> str | None:
    vals = {"雇主": "employer", "用人单位": "employer", "企业": "employer", "母校": "school",
            "实习": "internship", "就业": "employment"}
    for name in names:
        key = _norm_name(name)
        for word, kind in vals.items():  # priority order: a 母校 survey of 就业 graduates is "school"
            if word in key:
                return kind
        for k in ("employer", "school", "internship", "employment"):
            if k in key:
                return k
    return None


def _year_from_name(*names: str) -> int | None:
    """The one year (20xx) a name or title mentions; None if none or several."""
    for name in names:
        years = set(re.findall(r"(?<!\d)(20\d{2})(?!\d)", unicodedata.normalize("NFKC", name)))
        if len(years) == 1:
            return int(years.pop())
        if len(years) > 1:
            return None
    return None


# ----------------------------------------------------------------------------------
# standardise: raw headers -> canonical frame with meta columns and cell-level report
# ----------------------------------------------------------------------------------

@dataclass
class _Part:
    table: str
    frame: pd.DataFrame  # canonical columns + META (+ _exclude)
    inputs: pd.DataFrame  # META of every non-blank input row
    report: pd.DataFrame
    headers: dict[str, str]  # canonical/extra -> header in the file
    file: str
    sheet: str


def _dtype_for(col: Column) -> str:
    return {"code": "string", "str": "string", "category": "string", "int": "Int64", "year": "Int64",
            "float": "float64", "bool": "boolean", "date": "datetime64[ns]"}[col.kind]


def _is_likert_column(s: pd.Series) -> bool:
    vals = s.to_numpy(dtype=object)
    vals = vals[~_blank_mask(s.to_frame())[:, 0]]
    if len(vals) == 0:
        return False
    uniq = pd.unique(vals)
    ok = [_likert(u)[2] is None for u in uniq]
    return float(np.mean(ok)) >= 0.6


def _prepare(
    raw: pd.DataFrame,
    table: str,
    *,
    file: str,
    sheet: str,
    first_row: int,
    pii: str,
    salt: str | bytes | None,
    names: tuple[str, ...] = (),
) -> _Part:
    spec = TABLES[table]
    raw = raw.reset_index(drop=True)
    rows = np.arange(len(raw), dtype="int64") + int(first_row)
    # drop fully blank rows (not records) and fully blank unnamed columns
    cell_blank = _blank_mask(raw)
    keep_rows = ~cell_blank.all(axis=1) if len(raw.columns) else np.zeros(len(raw), bool)
    raw, rows, cell_blank = raw.loc[keep_rows].reset_index(drop=True), rows[keep_rows], cell_blank[keep_rows]

    columns: dict[str, pd.Series] = {}
    headers: dict[str, str] = {}
    mults: dict[str, float] = {}
    extras: list[str] = []
    reports: list[pd.DataFrame] = []
    for pos, h in enumerate(raw.columns):
        header_text = "" if _is_blank(h) else str(h).strip()  # as in the file, for the report
        if not header_text and bool(cell_blank[:, pos].all()):
            continue
        name, mult = _resolve(table, h) if header_text else (None, 1.0)
        if name is not None and name in columns:
            reports.append(problem_rows(None, table=table, column=header_text, values=None,
                                        problem="duplicate_column", action="flagged", detail=name,
                                        file=file, sheet=sheet))
            name = None
        if name is None:
            base = unicodedata.normalize("NFKC", header_text) if header_text else f"unnamed_{pos + 1}"
            name = base
            k = 2
            while name in columns or name in spec.names:
                name, k = f"{base}_{k}", k + 1
            extras.append(name)
        columns[name] = raw.iloc[:, pos]
        headers[name] = header_text or name
        mults[name] = mult
    frame = pd.DataFrame(columns, index=raw.index) if columns else pd.DataFrame(index=raw.index)

    # personal data first: nothing downstream (not even the report) sees it
    frame, pii_probs = privacy.protect(frame, table, pii=pii, salt=salt, headers=headers, extra=extras)
    for p in pii_probs:
        reports.append(problem_rows(None, table=table, column=p["column"], values=None, problem="pii_dropped",
                                    action="fixed", detail="删除" if p["detail"] == "dropped" else "替换为加盐哈希",
                                    file=file, sheet=sheet))
    extras = [e for e in extras if e in frame.columns]

    frame["_file"] = file
    frame["_sheet"] = sheet
    frame["_row"] = rows
    frame["_exclude"] = False
    inputs = frame[list(META)].copy()

    items: list[str] = []
    if table == "survey" and "item" not in frame.columns:
        frame, items, more = _wide_survey(frame, extras, headers, file=file, sheet=sheet, names=names)
        extras = [e for e in extras if e not in items]
        reports.extend(more)

    # values the file does not carry but its name or title row does (year, survey kind)
    derivable = [("grad_year" if table == "graduates" else "year", _year_from_name(*names))]
    if table == "survey":
        derivable.append(("survey_kind", _survey_kind_from_name(*names)))
    for col, value in derivable:
        if col in spec.names and col not in frame.columns and value is not None:
            frame[col] = value
            headers[col] = TABLES[table].column(col).zh
            reports.append(problem_rows(None, table=table, column=headers[col], values=[value],
                                        problem="derived_from_name", action="fixed", file=file, sheet=sheet))

    missing = [c for c in spec.required if c not in frame.columns and not (c == "item" and items)]
    if missing:
        raise missing_column_error(table, missing, [headers.get(c, c) for c in columns], file=file, sheet=sheet)

    # normalise the wide frame before melting: each respondent's cells are parsed once, not once per item
    frame, cell_reports = _normalise(frame, table, headers, mults, extras)
    reports.extend(cell_reports)
    if items:
        frame, more = _melt(frame, items, headers)
        reports.extend(more)
    if table == "survey":
        frame, more = _normalise_likert(frame, headers)
        reports.extend(more)
    ordered = [c for c in spec.names if c in frame.columns]
    hashed = [c for c in frame.columns if c.endswith("_hash") and c not in ordered]
    rest = [c for c in frame.columns if c not in ordered and c not in hashed and c not in META and c != "_exclude"]
    frame = frame[ordered + hashed + rest + [*META, "_exclude"]]
    report = pd.concat(reports, ignore_index=True) if reports else empty_report()
    return _Part(table, frame, inputs, report, headers, file, sheet)


def _wide_survey(
    frame: pd.DataFrame, extras: list[str], headers: dict[str, str], *, file: str, sheet: str,
    names: tuple[str, ...],
) -> tuple[pd.DataFrame, list[str], list[pd.DataFrame]]:
    """Find the item columns of a wide survey export; generate respondent ids if there are none."""
    reports: list[pd.DataFrame] = []
    items = [e for e in extras if _is_likert_column(frame[e])]
    if not items and extras and _blank_mask(frame[extras]).all():
        items = list(extras)  # a wide export nobody answered: every respondent is reported as no_answers
    if not items:
        return frame, items, reports  # the missing 'item' column is reported by the caller
    if "respondent_id" not in frame.columns:
        stem = names[-1] if names else file
        frame["respondent_id"] = [f"{stem}#{r}" for r in frame["_row"]]
        headers["respondent_id"] = "答卷编号"
        reports.append(problem_rows(None, table="survey", column="答卷编号", values=None,
                                    problem="generated_id", action="fixed", file=file, sheet=sheet))
    return frame, items, reports


def _melt(frame: pd.DataFrame, items: list[str], headers: dict[str, str]) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Wide survey (one column per item) -> long (one row per respondent x answered item)."""
    reports: list[pd.DataFrame] = []
    id_cols = [c for c in frame.columns if c not in items]
    answered = ~_blank_mask(frame[items])
    empty = ~answered.any(axis=1)
    report_empty = empty & ~frame["_exclude"].to_numpy(dtype=bool)  # one exclusion reason per row
    if report_empty.any():
        sub = frame.loc[report_empty]
        reports.append(problem_rows(sub[list(META)], table="survey", column="", values=None,
                                    problem="no_answers", action="excluded"))
    r_idx, c_idx = np.nonzero(answered)  # row-major: respondent by respondent, items in file order
    long = frame[id_cols].iloc[r_idx].reset_index(drop=True)
    item_names = np.array([_clean_text(headers[i]) or headers[i] for i in items], dtype=object)
    long["item"] = pd.array(item_names[c_idx], dtype="string")
    long["response"] = frame[items].to_numpy(dtype=object)[r_idx, c_idx]
    long["_item_header"] = np.array([headers[i] for i in items], dtype=object)[c_idx]
    headers["item"] = "题目"
    headers["response"] = "回答"
    if empty.any():  # keep the empty respondents as excluded rows so accounting sees them
        ghost = frame.loc[empty, id_cols].assign(item=pd.NA, response=None, _item_header="", _exclude=True)
        long = pd.concat([long, ghost], ignore_index=True)
    return long, reports


def _reporter(out: pd.DataFrame, table: str, headers: dict[str, str], reports: list[pd.DataFrame]):
    """A function that appends report rows for the cells where ``mask`` is True."""

    def report(mask: np.ndarray, col: str, raw_vals: np.ndarray, problem: str, action: str, detail: object = "",
               column: object = None) -> None:
        if mask.any():
            sub = out.loc[mask, list(META)]
            reports.append(problem_rows(sub, table=table, column=headers.get(col, col) if column is None
                                        else column, values=raw_vals[mask], problem=problem, action=action,
                                        detail=detail))

    return report


def _normalise(
    frame: pd.DataFrame, table: str, headers: dict[str, str], mults: dict[str, float], extras: list[str],
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    spec = TABLES[table]
    reports: list[pd.DataFrame] = []
    out = frame.copy()

    report = _reporter(out, table, headers, reports)
    for col in [c for c in spec.names if c in out.columns]:
        spec_col = spec.column(col)
        raw = out[col]
        raw_vals = raw.to_numpy(dtype=object)
        kind = spec_col.kind
        if table == "survey" and col in ("response", "score"):
            continue  # handled together below
        if kind in ("str",):
            vals = _map_unique(raw, lambda x: (_clean_text(x),))[0]
            out[col] = pd.array(vals, dtype="string")
        elif kind == "code":
            vals, probs = _map_unique(raw, _parse_code, fast="digits")
            report(probs == "precision_lost", col, raw_vals, "precision_lost", "flagged")
            out[col] = pd.array(vals, dtype="string")
        elif kind == "category":
            vals, probs = _map_unique(raw, _category_parser(spec_col.values))
            allowed = "/".join(sorted(set(spec_col.values.values())))
            report(probs == "unknown_category", col, raw_vals, "unknown_category", "flagged", allowed)
            out[col] = pd.array(vals, dtype="string")
        elif kind == "bool":
            vals, probs = _map_unique(raw, _parse_bool)
            report(probs == "unknown_category", col, raw_vals, "unknown_category", "flagged", "是/否")
            out[col] = pd.array(vals, dtype="boolean")
        elif kind == "date":
            vals, probs = _map_unique(raw, _parse_date)
            report(probs == "unparseable_date", col, raw_vals, "unparseable_date", "flagged")
            out[col] = pd.to_datetime(pd.Series(vals, index=out.index), errors="coerce").astype("datetime64[ns]")
        elif kind == "year":
            vals, probs = _map_unique(raw, _parse_year)
            v = pd.array(vals, dtype="Int64")
            lo, hi = spec_col.lo or 1900, spec_col.hi or 2100
            bad = (probs == "impossible_year") | ((v < lo) | (v > hi)).fillna(False).to_numpy(dtype=bool)
            bad &= ~out["_exclude"].to_numpy(dtype=bool)
            if spec_col.required:
                report(bad, col, raw_vals, "impossible_year", "excluded", f"{lo:g}–{hi:g}")
                out["_exclude"] = out["_exclude"].to_numpy(dtype=bool) | bad
            else:
                report(bad, col, raw_vals, "out_of_range", "flagged", f"{lo:g}–{hi:g}")
            v[bad] = pd.NA
            out[col] = v
        elif kind in ("int", "float"):
            vals, probs = _map_unique(raw, _parse_number, fast="number")
            report(probs == "unparseable_number", col, raw_vals, "unparseable_number", "flagged")
            num = pd.to_numeric(pd.Series(vals, index=out.index, dtype=object), errors="coerce").astype(float)
            num = num * mults.get(col, 1.0)
            arr = num.to_numpy(dtype=float, copy=True)
            if spec_col.money:
                neg = arr < 0
                report(neg, col, raw_vals, "negative_money", "fixed")
                arr[neg] = np.nan
            lo = spec_col.lo if spec_col.lo is not None else -np.inf
            hi = spec_col.hi if spec_col.hi is not None else np.inf
            oor = (arr < lo) | (arr > hi)
            report(oor, col, raw_vals, "out_of_range", "flagged", f"{spec_col.lo}–{spec_col.hi}")
            arr[oor] = np.nan
            if kind == "int":
                frac = np.isfinite(arr) & (arr != np.round(arr))
                report(frac, col, raw_vals, "not_integer", "flagged")
                arr[frac] = np.nan
                out[col] = pd.array(np.where(np.isnan(arr), None, arr), dtype="Int64") if len(arr) else \
                    pd.array([], dtype="Int64")
            else:
                out[col] = arr
        else:  # pragma: no cover - every kind is handled above
            raise AssertionError(kind)


    for col in extras:
        vals = _map_unique(out[col], lambda x: (_clean_text(x),))[0]
        out[col] = pd.array(vals, dtype="string")
    return out, reports


def _normalise_likert(out: pd.DataFrame, headers: dict[str, str]) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Derive ``score`` from ``response`` (or check a given score); flag answers outside 1-5."""
    reports: list[pd.DataFrame] = []
    report = _reporter(out, "survey", headers, reports)
    n = len(out)
    item_col = out["_item_header"].to_numpy(dtype=object) if "_item_header" in out.columns else None
    resp_raw = out["response"].to_numpy(dtype=object) if "response" in out.columns else np.full(n, None, object)
    text, score, prob = _map_unique(pd.Series(resp_raw, index=out.index), _likert)
    score = np.array([np.nan if s is None else float(s) for s in score]) if n else np.zeros(0)
    bad = prob == "bad_likert"
    if "score" in out.columns:
        s_raw = out["score"].to_numpy(dtype=object)
        given, gprob = _map_unique(out["score"], _parse_number)
        g = np.array([np.nan if v is None else float(v) for v in given]) if n else np.zeros(0)
        has = ~np.isnan(g) | (gprob == "unparseable_number")
        g_bad = has & ~(np.isin(g, [1.0, 2.0, 3.0, 4.0, 5.0]))
        column = headers.get("score", "score")
        report(g_bad, "score", s_raw, "bad_likert", "flagged", column=column)
        g[g_bad] = np.nan
        # a given numeric score wins; otherwise the score implied by the answer text
        score = np.where(has, g, score)
        bad = bad & ~has
        out["score"] = s_raw  # replaced below
    column = item_col if item_col is not None else headers.get("response", "response")
    if isinstance(column, np.ndarray):
        column = column[bad]
    report(bad, "response", resp_raw, "bad_likert", "flagged", column=column)
    out["response"] = pd.array(text, dtype="string")
    out["score"] = pd.array(np.where(np.isnan(score), None, score), dtype="Int64") if n else \
        pd.array([], dtype="Int64")
    if "_item_header" in out.columns:
        out = out.drop(columns="_item_header")
    return out, reports


# ----------------------------------------------------------------------------------
# public API
# ----------------------------------------------------------------------------------

def standardise(
    df: pd.DataFrame,
    table: str,
    *,
    file: str | None = None,
    sheet: str | None = None,
    first_row: int = 2,
    pii: str = "drop",
    salt: str | bytes | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Turn one DataFrame with raw headers into a canonical table plus its validation rows.

    Parameters
    ----------
    df : pandas.DataFrame
        Data as exported, with its own headers (Chinese aliases, English
        canonical names, 万元 units ...). Values may be text or typed.
    table : str
        Canonical table name (``graduates``, ``survey``, ``teachers``,
        ``enterprises``, ``internships``, ``enrollment``).
    file, sheet : str, optional
        Where the data came from, for the report (``file`` defaults to ``"<DataFrame>"``).
    first_row : int, default 2
        Excel row number of the first data row (2 = header in row 1).
    pii : {"drop", "hash"}
        What to do with personal data (ID-card numbers are always dropped).
    salt : str or bytes, optional
        Salt for ``pii="hash"`` (default: random per process).

    Returns
    -------
    (frame, report) : tuple of DataFrames
        The canonical table (kept rows only) and the validation report rows
        (:data:`~coopmetrics.dataset.VALIDATION_COLUMNS`).

    Raises
    ------
    MissingColumnError
        A required column is absent.

    Examples
    --------
    >>> raw = pd.DataFrame({"教工号": ["T1", "T2"], "学年": ["2023-2024学年", "2024"],
    ...                     "教师类别": ["专任教师", "企业兼职教师"], "是否双师": ["是", "否"]})
    >>> frame, report = standardise(raw, "teachers")
    >>> frame[["teacher_id", "year", "category", "dual_flag"]].values.tolist()
    [['T1', 2024, 'full_time', True], ['T2', 2024, 'enterprise_part_time', False]]
    """
    check_option("table", table, TABLES, "standardise")
    check_option("pii", pii, privacy.PII_MODES, "standardise")
    file = file or "<DataFrame>"
    part = _prepare(df, table, file=file, sheet=sheet or "", first_row=first_row, pii=pii, salt=salt,
                    names=tuple(n for n in (sheet, Path(file).stem) if n))
    frame, report, _ = _finish(table, [part])
    return frame, report


def _finish(table: str, parts: list[_Part]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    frames = [p.frame for p in parts]
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)
    headers = {(p.file, p.sheet): p.headers for p in parts}
    kept, row_report = check_rows(frame, table, headers)
    report = pd.concat([*(p.report for p in parts), row_report], ignore_index=True)
    report = report.sort_values(["file", "sheet", "row"], kind="stable", na_position="first").reset_index(drop=True)
    inputs = pd.concat([p.inputs for p in parts], ignore_index=True)
    accounting = account(inputs, kept, report, table)
    spec = TABLES[table]
    out = kept.drop(columns=[*META, "_exclude"]).reset_index(drop=True)
    for col in spec.names:  # restore dtypes that concat of differently-typed parts may have widened
        if col in out.columns:
            out[col] = out[col].astype(_dtype_for(spec.column(col)))
    return out, report, accounting


def _data_files(path: Path) -> list[Path]:
    files = []
    for p in sorted(path.iterdir()):
        if p.is_file() and not p.name.startswith((".", "~$")) and p.suffix.lower() in _DATA_SUFFIXES:
            files.append(p)
    return files


def load(
    path: str | Path,
    *,
    salt: str | bytes | None = None,
    pii: str = "drop",
    lazy: bool = False,
    table: str | None = None,
) -> Dataset:
    """Load exported rosters and surveys into a :class:`~coopmetrics.dataset.Dataset`.

    Parameters
    ----------
    path : str or Path
        A folder (its data files, not sub-folders; one or more files per table,
        table recognised from the file name, e.g. ``毕业生.csv``,
        ``2024届毕业生去向_导出.xlsx``, ``teachers.parquet``, or else from the
        headers; several files of one table are concatenated), one Excel
        workbook with a sheet per table, or a single CSV/XLSX/Parquet file.
    salt : str or bytes, optional
        Salt for hashing personal data with ``pii="hash"``; defaults to a random
        salt drawn once per process (hashes are then not comparable across runs).
    pii : {"drop", "hash"}, default "drop"
        Names, phones, e-mails and exam numbers are dropped, or replaced by
        ``<column>_hash`` columns of salted SHA-256 hashes. ID-card numbers are
        always dropped.
    lazy : bool, default False
        Parquet files become Polars LazyFrames (``polars.scan_parquet``) with
        canonical column names, money in yuan and personal data removed, but
        *no row validation*: the accounting row says ``rows_read`` unknown and
        the report carries a ``not_validated`` row. Other files load eagerly.
    table : str, optional
        Force the table of a single file whose name and headers are ambiguous.

    Returns
    -------
    Dataset
        Tables, ``.validation`` (one row per problem) and ``.accounting``
        (``rows_read == kept + excluded`` per table, file and sheet).
        ``.sources`` names the files, sheets, encodings and header rows used.

    Raises
    ------
    InputError
        Unreadable file (encoding, broken workbook, unsupported type), empty
        folder, or a file whose table cannot be recognised.
    MissingColumnError
        A required column is absent; names the file, sheet, headers found,
        the expected headers and the closest alias.

    Examples
    --------
    >>> import coopmetrics as cm
    >>> ds = cm.load("data/sample")              # doctest: +SKIP
    >>> ds.validation.query("action == 'excluded'")  # doctest: +SKIP
    """
    check_option("pii", pii, privacy.PII_MODES, "load")
    if table is not None:
        check_option("table", table, TABLES, "load")
    path = Path(path)
    if not path.exists():
        raise InputError("路径不存在", "path does not exist", file=str(path))
    if path.is_dir():
        files = _data_files(path)
        if not files:
            raise InputError(
                "文件夹中没有数据文件（CSV、XLSX、Parquet）", "the folder holds no data files (CSV, XLSX, Parquet)",
                file=str(path),
            )
        display = {f: f.name for f in files}
    else:
        files = [path]
        display = {path: path.name}

    lazy_parts: dict[str, list[Any]] = {}
    lazy_report: list[pd.DataFrame] = []
    lazy_accounting: list[dict] = []
    parts: dict[str, list[_Part]] = {}
    sources: dict[str, list[str]] = {}
    skipped: list[pd.DataFrame] = []
    for f in files:
        name = display[f]
        if lazy and f.suffix.lower() in {".parquet", ".pq"}:
            t, lf, probs = _scan_lazy(f, name, table, pii=pii, salt=salt)
            lazy_parts.setdefault(t, []).append(lf)
            lazy_report.extend(probs)
            lazy_accounting.append({"table": t, "file": name, "sheet": "", "rows_read": pd.NA, "kept": pd.NA,
                                    "fixed": pd.NA, "excluded": pd.NA})
            sources.setdefault(t, []).append(f"{name} [lazy parquet, not validated]")
            continue
        sheets = _read_path(f, name)
        n_sheets = len(sheets)
        for sh in sheets:
            if sh.grid is not None and n_sheets > 1 and (sh.grid.empty or _blank_mask(sh.grid).all()):
                continue  # an empty sheet holds no rows: nothing to read or report
            located = _locate(sh, table, strict=bool(sh.sheet) and n_sheets > 1)
            if located is None:
                headers = [] if sh.grid is None or sh.grid.empty else \
                    [str(v) for v in sh.grid.iloc[:_HEADER_SCAN].stack().tolist() if not _is_blank(v)]
                if sh.sheet and n_sheets > 1:
                    skipped.append(problem_rows(None, table="", column="", values=[", ".join(headers[:12])],
                                                problem="unrecognised_sheet", action="flagged",
                                                file=name, sheet=sh.sheet))
                    continue
                raise InputError(
                    "无法识别这是哪张表（文件名和表头都不匹配）",
                    "cannot tell which table this is (neither the name nor the headers match)",
                    file=name, sheet=sh.sheet or None,
                    hint_zh=f"找到的表头：{headers[:12]}；请按表命名文件（毕业生、问卷、教师、合作企业、岗位实习、"
                            "在校生），或用 load(..., table=...) 指定。",
                    hint_en=f"headers found: {headers[:12]}; name the file after a table "
                            "(graduates.csv, 毕业生.xlsx, ...) or pass load(..., table=...).",
                )
            t, raw, first_row, note, title = located
            part = _prepare(raw, t, file=name, sheet=sh.sheet, first_row=first_row, pii=pii, salt=salt,
                            names=tuple(n for n in (sh.name, title, sh.fallback_name) if n))
            parts.setdefault(t, []).append(part)
            where = f"{name}" + (f" / {sh.sheet}" if sh.sheet else "")
            sources.setdefault(t, []).append(f"{where} [{note}]")

    tables: dict[str, Any] = {}
    reports: list[pd.DataFrame] = [*skipped]
    accountings: list[pd.DataFrame] = []
    for t in TABLES:
        if t in parts:
            frame, report, acc = _finish(t, parts[t])
            tables[t] = frame
            reports.append(report)
            accountings.append(acc)
        if t in lazy_parts:
            import polars as pl

            lfs = lazy_parts[t]
            if t in tables:  # eager files of the same table join the lazy scan
                lfs = [pl.from_pandas(tables[t]).lazy(), *lfs]
            tables[t] = lfs[0] if len(lfs) == 1 else pl.concat(lfs, how="diagonal_relaxed")
    reports.extend(lazy_report)
    if lazy_accounting:
        acc = pd.DataFrame(lazy_accounting, columns=ACCOUNTING_COLUMNS)
        for c in ("rows_read", "kept", "fixed", "excluded"):
            acc[c] = acc[c].astype("Int64")
        accountings.append(acc)
    if not tables:
        raise InputError("没有找到可识别的数据表", "no recognisable table was found", file=str(path),
                         hint_zh="请检查文件名或工作表名与表头。", hint_en="check the file/sheet names and headers.")
    validation = pd.concat(reports, ignore_index=True) if reports else empty_report()
    accounting = pd.concat(accountings, ignore_index=True) if accountings else pd.DataFrame(columns=ACCOUNTING_COLUMNS)
    return Dataset(validation=validation, accounting=accounting,
                   sources={t: "; ".join(v) for t, v in sources.items()}, **tables)


def _locate(sh: _Sheet, forced: str | None, *, strict: bool) -> tuple[str, pd.DataFrame, int, str, str] | None:
    """Find the table and header of one input.

    Returns ``(table, raw frame with headers, Excel row of the first data row, note, title text)``
    or None when nothing identifies the table. With ``strict`` (a sheet among
    several), a sheet none of whose headers match is skipped even if a name matches.
    """
    if sh.frame is not None:  # Parquet: headers are the column names
        hdr = pd.DataFrame([list(sh.frame.columns)], dtype=object)
        t = forced or detect_table(sh.name, hdr)[0] or detect_table(sh.fallback_name, hdr)[0]
        return None if t is None else (t, sh.frame, 1, "parquet", "")
    grid = sh.grid
    if grid is None or grid.empty:
        return None
    head = grid.iloc[:_HEADER_SCAN]
    if forced:
        t, i = forced, find_header_row(head, forced)[0]
    else:
        t, i = detect_table(sh.name, head)
        if t is None and sh.fallback_name != sh.name:
            t, i = detect_table(sh.fallback_name, head)
        if t is None:
            return None
    if strict and find_header_row(head, t)[1] == 0:
        return None
    header, first, note = _two_row_header(grid, t, i)
    raw = grid.iloc[first:].copy()
    raw.columns = header
    note += f", encoding {sh.encoding}" if sh.encoding else ""
    title = " ".join(str(v) for v in grid.iloc[:min(i, first - 1)].to_numpy(dtype=object).ravel()
                     if not _is_blank(v))
    return t, raw, first + 1, note, title


def _two_row_header(grid: pd.DataFrame, table: str, i: int) -> tuple[list[object], int, str]:
    """Header cells and the index of the first data row, merging a two-row header if that recognises more.

    Ledgers often group columns under a merged cell (企业投入 over 设备值(万元) | 资金(万元)), or
    merge 学号 vertically over two header rows; the header is then spread over rows ``i`` and
    ``i + 1`` (or ``i - 1`` and ``i``): a cell of the lower row wins, blanks take the upper row's cell.
    """
    def merged(upper: list[object], lower: list[object]) -> list[object]:
        return [lo if not _is_blank(lo) else up for up, lo in zip(upper, lower, strict=True)]

    row = grid.iloc[i].tolist()
    base = _score_row(row, table)[0]
    if i + 1 < len(grid):
        below = merged(row, grid.iloc[i + 1].tolist())
        if _score_row(below, table)[0] > base:
            return below, i + 2, f"header rows {i + 1}-{i + 2}"
    if i >= 1:
        above = merged(grid.iloc[i - 1].tolist(), row)
        if _score_row(above, table)[0] > base:
            return above, i + 1, f"header rows {i}-{i + 1}"
    return row, i + 1, f"header row {i + 1}"


def _scan_lazy(f: Path, name: str, forced: str | None, *, pii: str, salt: str | bytes | None):
    """polars.scan_parquet with canonical names, money in yuan and personal data removed; no row validation."""
    import polars as pl

    lf = pl.scan_parquet(f)
    cols = lf.collect_schema().names()
    t = forced or detect_table(f.stem, pd.DataFrame([cols], dtype=object))[0]
    if t is None:
        raise InputError("无法识别这是哪张表", "cannot tell which table this is", file=name,
                         hint_zh=f"列：{cols[:12]}", hint_en=f"columns: {cols[:12]}")
    spec = TABLES[t]
    rename: dict[str, str] = {}
    scale: list[pl.Expr] = []
    drop: list[str] = []
    probs: list[pd.DataFrame] = []

    def dropped(header: str, detail: str) -> None:
        probs.append(problem_rows(None, table=t, column=header, values=None, problem="pii_dropped",
                                  action="fixed", detail=detail, file=name, sheet=""))

    for c in cols:
        canon, mult = _resolve(t, c)
        if canon is None or canon in rename.values():
            if privacy.looks_like_pii(pd.Series(dtype=object), c):  # by header only: values are not read
                drop.append(c)
                dropped(c, "删除")
            continue
        rename[c] = canon
        if mult != 1.0:
            scale.append(pl.col(canon) * mult)
    missing = [c for c in spec.required if c not in rename.values()]
    if missing:
        raise missing_column_error(t, missing, cols, file=name)
    lf = lf.drop(drop).rename(rename)
    if scale:
        lf = lf.with_columns(scale)
    for header, col in list(rename.items()):
        if col not in spec.pii:
            continue
        if pii == "hash" and col not in privacy.ALWAYS_DROP:
            lf = lf.with_columns(
                pl.col(col).cast(pl.String).map_batches(
                    lambda s: pl.Series(privacy.pseudonymise(s.to_list(), salt), dtype=pl.String),
                    return_dtype=pl.String,
                ).alias(f"{col}_hash"))
            dropped(header, "替换为加盐哈希")
        else:
            dropped(header, "删除")
        lf = lf.drop(col)
    probs.append(problem_rows(None, table=t, column="", values=None, problem="not_validated", action="flagged",
                              file=name, sheet=""))
    return t, lf, probs


def save(
    data: Dataset,
    path: str | Path,
    *,
    format: str | None = None,
    headers: str = "canonical",
    encoding: str = "utf-8-sig",
) -> Path:
    """Write a Dataset as files :func:`load` reads back without loss of rows.

    Parameters
    ----------
    data : Dataset
        The tables to write (lazy tables are collected).
    path : str or Path
        ``*.xlsx``: one workbook with a sheet per table. Otherwise a folder with
        one file per table named ``<table>.<format>``.
    format : {"csv", "parquet", "xlsx"}, optional
        File format inside a folder (default ``csv``, or ``xlsx`` for an
        ``.xlsx`` path).
    headers : {"canonical", "zh"}
        Write English canonical headers or the Chinese labels of the schema.
    encoding : str, default "utf-8-sig"
        CSV encoding (UTF-8 with BOM opens correctly in Chinese Excel; ``gbk``
        for old systems).

    Returns
    -------
    Path
        The folder or workbook written.

    Examples
    --------
    >>> import tempfile, coopmetrics as cm
    >>> g = pd.DataFrame({"student_id": ["1"], "grad_year": [2024], "major": ["会计"], "destination_code": ["10"]})
    >>> out = save(cm.Dataset(graduates=g), tempfile.mkdtemp())
    >>> load(out)["graduates"]["student_id"].tolist()
    ['1']
    """
    check_option("headers", headers, ["canonical", "zh"], "save")
    path = Path(path)
    workbook = path.suffix.lower() == ".xlsx"
    fmt = format or ("xlsx" if workbook else "csv")
    check_option("format", fmt, ["csv", "parquet", "xlsx"], "save")

    def frame_of(t: str) -> pd.DataFrame:
        f = data[t]
        if not isinstance(f, pd.DataFrame):
            import narwhals as nw

            f = nw.from_native(f).lazy().collect().to_pandas()
        if headers == "zh":
            spec = TABLES[t]
            f = f.rename(columns={c.name: c.zh for c in spec.columns})
        return f

    def excel_ready(f: pd.DataFrame) -> pd.DataFrame:
        g = f.copy()
        for c in g.columns:
            if not (pd.api.types.is_float_dtype(g[c]) or pd.api.types.is_datetime64_any_dtype(g[c])):
                g[c] = g[c].astype(object).where(g[c].notna(), None)
        return g

    if workbook:
        path.parent.mkdir(parents=True, exist_ok=True)
        with pd.ExcelWriter(path, engine="openpyxl") as xw:
            for t in data.tables:
                excel_ready(frame_of(t)).to_excel(xw, sheet_name=t, index=False)
        return path
    path.mkdir(parents=True, exist_ok=True)
    for t in data.tables:
        f = frame_of(t)
        target = path / f"{t}.{fmt}"
        if fmt == "csv":
            f.to_csv(target, index=False, encoding=encoding)
        elif fmt == "parquet":
            f.to_parquet(target, index=False)
        else:
            with pd.ExcelWriter(target, engine="openpyxl") as xw:
                excel_ready(f).to_excel(xw, sheet_name=t, index=False)
    return path
