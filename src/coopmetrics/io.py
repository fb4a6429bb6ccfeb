"""Loading exports from school systems into canonical tables.

:func:`load` reads a folder, a workbook or a single file; :func:`standardise`
turns one DataFrame with raw (often Chinese) headers into a canonical table and
its validation rows; :func:`save` writes a :class:`~coopmetrics.dataset.Dataset`
back to CSV, XLSX or Parquet.

What loading does, in order, for every file or sheet (modules in brackets):

1. **Read** (:mod:`~coopmetrics.readers`). CSV encodings are detected without
   being told (UTF-8 with BOM, UTF-8, GBK, GB18030; strict decodes in that
   order) and the separator by consistent field counts; XLSX and old XLS through
   python-calamine (openpyxl as fallback for XLSX), with sheet visibility,
   merged ranges and uncomputed formulas taken from the workbook; Parquet
   through pyarrow. In a folder, a file that cannot be read or recognised is
   skipped and reported; hidden and helper sheets (字典, 代码表, 填表说明 ...)
   are skipped and reported.
2. **Find the table and the header row** (:mod:`~coopmetrics.normalise`). The
   table comes from the file or sheet name (any
   :data:`~coopmetrics.schema.TABLE_ALIASES` entry contained in it, the longest
   wins, e.g. ``2024届毕业生去向_导出.csv``), otherwise from the best header
   match. The header row is the row among the first 15 with the most recognised
   headers, so title rows and blank lines above it are skipped.
3. **Protect personal data** (:mod:`coopmetrics.privacy`) before anything else
   looks at the values.
4. **Normalise cells** (:mod:`~coopmetrics.cells`, each distinct value once):
   full-width to half-width (NFKC) and stray spaces; codes repaired (``10.0``,
   ``1.0E+1``, ``2024010101.0``, spaces inside ids); booleans; category value
   maps; money in 万元 converted to yuan; dates; years such as ``2024届`` or a
   year Excel stored as a date. Totals rows are excluded; wide survey exports and
   A7-5 rows with several partners are melted to one row per record.
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

from pathlib import Path
from typing import Any

import pandas as pd

from . import privacy
from .cells import LIKERT_NA_LEVELS, _blank_mask, _is_blank, _parse_number  # noqa: F401  (re-exported)
from .dataset import ACCOUNTING_COLUMNS, Dataset
from .errors import InputError, MissingColumnError, check_option
from .lazy_normalise import TEXT_KINDS
from .normalise import (
    _HEADER_SCAN,
    _dtype_for,
    _Part,
    _resolve,
    _score_row,
    detect_table,
    find_header_row,
)
from .normalise import _prepare as _prepare
from .readers import ENCODINGS, _calamine, _read_path, _Sheet, read_csv_text  # noqa: F401
from .schema import TABLES
from .validation import META, account, check_rows, counts_of, empty_report, missing_column_error, problem_rows

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

_DATA_SUFFIXES = {".csv", ".tsv", ".xlsx", ".xlsm", ".parquet", ".pq", ".xls"}  # in folders; .txt only when named

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


def _meta_from_idx(kept: Any, files: list[str]) -> pd.DataFrame:
    """A lazy table collected into pandas, ``_idx`` turned into the eager ``_file``/``_sheet``/``_row``."""
    from .rules_validation import _ROW_SHIFT

    out = kept.collect().to_pandas()
    idx = out.pop("_idx").to_numpy(dtype="int64")
    out["_file"] = [files[int(i)] for i in idx // _ROW_SHIFT]
    out["_sheet"] = ""
    out["_row"] = idx % _ROW_SHIFT
    return out


def _strip_helpers(frame: Any) -> Any:
    """The table as returned to the user: no ``_file``/``_sheet``/``_row``/``_idx``; lazy ones native."""
    if isinstance(frame, pd.DataFrame):
        return frame.drop(columns=[*META, "_idx"], errors="ignore").reset_index(drop=True)
    native = frame.drop("_idx").to_native()
    return native.reset_index(drop=True) if isinstance(native, pd.DataFrame) else native


def _finish(table: str, parts: list[_Part], *, meta: bool = False) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    frames = [p.frame for p in parts]
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)
    headers = {(p.file, p.sheet): p.headers for p in parts}
    kept, row_report = check_rows(frame, table, headers)
    # a table with a header and nothing under it is reported, not "no problems found"
    empty = [problem_rows(None, table=table, column="", values=None, problem="no_data_rows", action="flagged",
                          file=p.file, sheet=p.sheet) for p in parts if len(p.inputs) == 0]
    report = pd.concat([*(p.report for p in parts), *empty, row_report], ignore_index=True)
    report = report.sort_values(["file", "sheet", "row"], kind="stable", na_position="first").reset_index(drop=True)
    inputs = pd.concat([p.inputs for p in parts], ignore_index=True)
    accounting = account(inputs, kept, report, table, sources=[(p.file, p.sheet) for p in parts])
    spec = TABLES[table]
    out = kept.drop(columns=[*([] if meta else META), "_exclude", "_lossy"], errors="ignore").reset_index(drop=True)
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
    lazy: bool | str = "auto",
    table: str | None = None,
    first_k: int | None = 20,
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
    lazy : bool or {"auto", "duckdb", "polars", "pandas"}, default "auto"
        How Parquet files load (CSV and Excel always load eagerly). ``False``: read
        into pandas and validated by the eager loader. ``"duckdb"`` / ``"polars"`` /
        ``True`` (= ``"polars"``): the table stays a lazy scan (DuckDB relation or
        Polars LazyFrame, which :func:`coopmetrics.compute` aggregates) and its rows
        are validated by the engine through the declared rules of
        :mod:`coopmetrics.rules_validation` (exact counts, first ``first_k`` rows per
        rule); ``"pandas"`` runs the same rules on a pandas frame. ``"auto"`` (default):
        DuckDB for Parquet files of at least :data:`LAZY_AUTO_ROWS` (200,000) rows, eager
        otherwise. On the lazy route ``row`` in the report is the record number in the
        Parquet file (file row index + 1, as on the eager route); text columns are normalised
        by the eager parsers once per distinct value (:mod:`coopmetrics.lazy_normalise`), but
        totals rows, wide surveys, Likert text and text dates are not (``docs/loading.md``
        §8a); ``pii="hash"`` runs on Polars. After all tables are loaded, the cross-table
        links of :data:`coopmetrics.schema.LINKS` are checked (``unlinked_id``).
    table : str, optional
        Force the table of a single file whose name and headers are ambiguous.
    first_k : int or None, default 20
        Lazy route: offending rows listed in ``.validation`` per rule (and column) and
        file, the first by row; every offence is still counted in
        ``.validation_counts`` and in ``.accounting``. None lists them all.

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
    if first_k is not None and (isinstance(first_k, bool) or not isinstance(first_k, int) or first_k < 0):
        raise InputError(f"first_k 应为非负整数或 None，收到 {first_k!r}",
                         f"first_k must be a non-negative integer or None, got {first_k!r}")
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

    lazy_files: list[tuple[Path, str, str]] = []
    parts: dict[str, list[_Part]] = {}
    sources: dict[str, list[str]] = {}
    skipped: list[pd.DataFrame] = []
    skipped_errors: list[Exception] = []
    for f in files:
        name = display[f]
        engine = _lazy_engine(lazy, f, pii)
        if engine is not None:
            lazy_files.append((f, name, engine))
            continue
        try:
            sheets = _read_path(f, name)
        except InputError as exc:
            if len(files) == 1:
                raise
            # one broken or foreign file in an export folder is skipped and reported, not fatal
            skipped.append(_skip_row("unreadable_file", name, "", [exc.message_en.split("\n")[0][:120]]))
            continue
        for sh in sheets:
            _load_sheet(sh, len(sheets), len(files), table, pii=pii, salt=salt, parts=parts, sources=sources,
                        skipped=skipped, skipped_errors=skipped_errors)

    lazy_tables, lazy_names = _load_lazy(lazy_files, table, pii=pii, salt=salt, first_k=first_k) \
        if lazy_files else ({}, [])
    tables: dict[str, Any] = {}
    link_headers: dict[tuple[str, str], dict[str, str]] = {}
    reports: list[pd.DataFrame] = [*skipped]
    accountings: list[pd.DataFrame] = []
    counts: list[pd.DataFrame] = []
    for t in TABLES:
        if t in parts:
            frame, report, acc = _finish(t, parts[t], meta=True)
            tables[t] = frame
            link_headers.update({(p.file, p.sheet): p.headers for p in parts[t]})
            reports.append(report)
            accountings.append(acc)
            counts.append(counts_of(report))
        if t in lazy_tables:
            kept, report, acc, cnt, notes, hdrs = lazy_tables[t]
            link_headers.update(hdrs)
            if t in tables:  # eager files of the same table: one pandas table (the lazy part collected)
                kept = pd.concat([tables[t], _meta_from_idx(kept, lazy_names)], ignore_index=True)
            tables[t] = kept
            reports.append(report)
            accountings.append(acc)
            counts.append(pd.concat([counts_of(report[report["row"].isna()]), cnt], ignore_index=True))
            sources.setdefault(t, []).extend(notes)
    from .links import check_links

    link_report, link_counts = check_links(tables, files=lazy_names, headers=link_headers, first_k=first_k)
    reports.append(link_report)
    counts.append(link_counts)
    tables = {t: _strip_helpers(f) for t, f in tables.items()}
    if not tables and skipped_errors:
        raise skipped_errors[0]
    if not tables:
        raise InputError("没有找到可识别的数据表", "no recognisable table was found", file=str(path),
                         hint_zh="请检查文件名或工作表名与表头。", hint_en="check the file/sheet names and headers.")
    validation = pd.concat(reports, ignore_index=True) if reports else empty_report()
    accounting = pd.concat(accountings, ignore_index=True) if accountings else pd.DataFrame(columns=ACCOUNTING_COLUMNS)
    return Dataset(validation=validation, accounting=accounting,
                   sources={t: "; ".join(v) for t, v in sources.items()},
                   counts=pd.concat([counts_of(pd.concat(skipped, ignore_index=True)) if skipped else None, *counts],
                                    ignore_index=True).astype({"rows": "int64", "listed": "int64"})
                   if counts else None, **tables)


#: Sheet names of helper sheets (code lists behind drop-downs, instructions): skipped, reported.
HELPER_SHEET_WORDS = ("字典", "代码表", "码表", "填表说明", "说明", "下拉", "选项", "参数", "对照表", "枚举",
                      "填报要求", "填写要求", "指标解释", "readme", "lookup", "instructions", "dict")


def _skip_row(problem: str, file: str, sheet: str, values: list[str] | None = None) -> pd.DataFrame:
    return problem_rows(None, table="", column="", values=values, problem=problem, action="flagged",
                        file=file, sheet=sheet)


def _load_sheet(sh: _Sheet, n_sheets: int, n_files: int, table: str | None, *, pii: str,
                salt: str | bytes | None, parts: dict[str, list[_Part]], sources: dict[str, list[str]],
                skipped: list[pd.DataFrame], skipped_errors: list[Exception]) -> None:
    """Locate and prepare one sheet (or file), or skip it with a report row saying why."""
    name = sh.file
    if sh.grid is not None and n_sheets > 1 and (sh.grid.empty or _blank_mask(sh.grid).all()):
        return  # an empty sheet holds no rows: nothing to read or report
    if sh.sheet and n_sheets > 1 and sh.state != "visible":
        # lookup lists behind drop-downs are hidden; a hidden sheet is never a data table here
        skipped.append(_skip_row("hidden_sheet", name, sh.sheet, [sh.state]))
        return
    key = sh.sheet.lower().replace(" ", "")
    if sh.sheet and n_sheets > 1 and any(w in key for w in HELPER_SHEET_WORDS):
        skipped.append(_skip_row("helper_sheet", name, sh.sheet, [", ".join(privacy.header_cells(sh.grid))
                                                                  if sh.grid is not None else ""]))
        return
    # among several sheets or files, an input whose only recognised headers are personal data (a 教师通讯录
    # named after a table) is not that table
    located = _locate(sh, table, strict=(bool(sh.sheet) and n_sheets > 1) or n_files > 1)
    if located is None:
        # header cells only, never data rows (a hidden 通讯录 sheet must not reach the report)
        headers = [] if sh.grid is None or sh.grid.empty else privacy.header_cells(sh.grid)
        if sh.sheet and n_sheets > 1:
            skipped.append(_skip_row("unrecognised_sheet", name, sh.sheet, [", ".join(headers[:12])]))
            return
        if n_files > 1:
            skipped.append(_skip_row("unrecognised_file", name, sh.sheet, [", ".join(headers[:12])]))
            return
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
    formulas = [(r + 1, c) for r, c in sh.formulas if r + 1 >= first_row]  # Excel row, column position
    merged_numbers = [(r + 1, c) for r, c in sh.merged_numbers if r + 1 >= first_row]
    try:
        part = _prepare(raw, t, file=name, sheet=sh.sheet, first_row=first_row, pii=pii, salt=salt,
                        names=tuple(n for n in (sh.name, title, sh.fallback_name) if n), formulas=formulas,
                        merged_numbers=merged_numbers)
    except MissingColumnError as exc:
        if not (sh.sheet and n_sheets > 1):
            raise
        # one sheet of a many-sheet export (the state platform's A1-A12) that a table name matches but
        # whose columns do not fit: reported in full, the other sheets still load (load() re-raises the
        # first such error when no table at all could be read)
        skipped.append(_skip_row("sheet_missing_columns", name, sh.sheet, [exc.message_en[:300]]))
        skipped_errors.append(exc)
        return
    parts.setdefault(t, []).append(part)
    where = f"{name}" + (f" / {sh.sheet}" if sh.sheet else "")
    sources.setdefault(t, []).append(f"{where} [{note}]")


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
    if strict and not _names_data_columns(head, t):
        return None
    header, first, note = _two_row_header(grid, t, i)
    raw = grid.iloc[first:]  # not copied: _prepare builds new columns from it
    raw.columns = header
    note += f", encoding {sh.encoding}" if sh.encoding else ""
    title = " ".join(str(v) for v in grid.iloc[:min(i, first - 1)].to_numpy(dtype=object).ravel()
                     if not _is_blank(v))
    return t, raw, first + 1, note, title


def _names_data_columns(head: pd.DataFrame, table: str) -> bool:
    """Does some header row name a column of ``table`` other than personal data (姓名, 电话 ...)?

    A contact list (姓名/电话/住址) matches every table through 姓名 alone; it is not a data table.
    """
    pii = set(TABLES[table].pii)
    for i in range(min(_HEADER_SCAN, len(head))):
        names = {_resolve(table, v)[0] for v in head.iloc[i].tolist()} - {None}
        if names - pii:
            return True
    return False


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


#: ``lazy`` engines of :func:`load` for Parquet (``True`` means Polars; ``"auto"`` picks DuckDB for big files).
LAZY_ENGINES = ("duckdb", "polars", "pandas")
#: With ``lazy="auto"`` a Parquet file of at least this many rows (from its footer) loads lazily via DuckDB.
LAZY_AUTO_ROWS = 200_000


def _lazy_engine(lazy: bool | str, f: Path, pii: str) -> str | None:
    """Engine for one file, or None for the eager route."""
    if lazy is False or f.suffix.lower() not in {".parquet", ".pq"}:
        return None
    if lazy == "auto":
        import pyarrow.parquet as pq

        try:
            if pq.ParquetFile(f).metadata.num_rows < LAZY_AUTO_ROWS:
                return None
        except Exception:  # an unreadable file: the eager reader reports it
            return None
        lazy = "duckdb"
    engine = "polars" if lazy is True else str(lazy)
    check_option("lazy", engine, LAZY_ENGINES, "load")
    # salted hashes are computed by a Python function over each batch: Polars' map_batches runs it
    return "polars" if pii == "hash" and engine == "duckdb" else engine


def _scan_one(f: Path, engine: str) -> Any:
    """One Parquet file as a narwhals LazyFrame with ``_r0`` = file row index; only footers read.

    The report numbers records from 1 (``_r0 + 1``), as the eager Parquet reader does, so a file
    reports the same rows whichever route ``lazy="auto"`` picks. ``_r0`` is DuckDB's own
    ``file_row_number`` (not an expression of it), so a filter on it reaches the Parquet reader.
    """
    import narwhals as nw

    if engine == "duckdb":
        import duckdb

        rel = duckdb.default_connection().read_parquet(str(f), file_row_number=True)
        return nw.from_native(rel).rename({"file_row_number": "_r0"})
    if engine == "polars":
        import polars as pl

        return nw.from_native(pl.scan_parquet(f).with_row_index("_r0"))
    frame = pd.read_parquet(f)
    frame["_r0"] = range(len(frame))
    return nw.from_native(frame).lazy()


def _canonical_scan(f: Path, name: str, forced: str | None, fno: int, engine: str, *, pii: str,
                    salt: str | bytes | None, force_text: frozenset[str] = frozenset(),
                    ) -> tuple[str, Any, dict[str, str], list[pd.DataFrame], dict[str, float]]:
    """Scan one Parquet file with canonical names, money in yuan, personal data removed or hashed, typed ids.

    Also returns the text columns to normalise per distinct value (column -> unit of its header).
    """
    import narwhals as nw

    lf = _scan_one(f, engine)
    schema = lf.collect_schema()
    cols = [c for c in schema.names() if c != "_r0"]
    canonical = _saved_by_us(f)  # written by save(): values are canonical already, text is not re-parsed
    t = forced or detect_table(f.stem, pd.DataFrame([cols], dtype=object))[0]
    if t is None:
        raise InputError("无法识别这是哪张表", "cannot tell which table this is", file=name,
                         hint_zh=f"列：{cols[:12]}", hint_en=f"columns: {cols[:12]}")
    spec = TABLES[t]
    probs: list[pd.DataFrame] = []

    def dropped(header: str, detail: str) -> None:
        probs.append(problem_rows(None, table=t, column=header, values=None, problem="pii_dropped",
                                  action="fixed", detail=detail, file=name, sheet=""))

    exprs: list[Any] = [nw.col("_r0"), nw.lit(fno).alias("_fno")]
    headers: dict[str, str] = {}
    text: dict[str, float] = {}  # canonical column -> header unit, for lazy_normalise
    for c in cols:
        canon, mult = _resolve(t, c)
        if canon is None or canon in headers:
            if canon is None and privacy.looks_like_pii(pd.Series(dtype=object), c):  # header only: not read
                dropped(c, "删除")
            continue  # unknown columns are not carried into the lazy table
        headers[canon] = c
        kind = spec.column(canon).kind
        e = nw.col(c)
        if canon in spec.pii:
            if pii == "hash" and canon not in privacy.ALWAYS_DROP:
                exprs.append(e.cast(nw.String).alias(f"_hashsrc_{canon}"))
                dropped(c, "替换为加盐哈希")
            else:
                dropped(c, "删除")
            continue
        dtype = schema[c]
        if dtype == nw.String or canon in force_text or (kind in ("str", "category", "bool") and dtype != nw.Boolean) \
                or (kind == "code" and dtype.is_float()):
            # text (or numbers where labels belong, or 10.0-mangled codes): normalised per distinct value
            e = e.cast(nw.String)
            if kind in TEXT_KINDS and (not canonical or canon in force_text):
                text[canon] = mult
        elif kind == "code":
            e = e.cast(nw.String)  # integer ids and codes: their digits are the text
        elif kind == "year" and dtype.is_numeric():
            e = e.cast(nw.Int64)
        elif kind == "float":  # one type across the files of a folder (Int64 in one, Float64 in another)
            e = e.cast(nw.Float64) * mult if mult != 1.0 else e.cast(nw.Float64)
        elif mult != 1.0:
            e = e * mult
        exprs.append(e.alias(canon))
    missing = [c for c in spec.required if c not in headers]
    if missing:
        raise missing_column_error(t, missing, cols, file=name)
    out = lf.select(exprs)
    sources = [c for c in out.collect_schema().names() if c.startswith("_hashsrc_")]
    if sources:  # salted SHA-256 is Python code: Polars runs it per batch (lazy route with pii="hash")
        import polars as pl

        native = out.to_native().with_columns([
            pl.col(c).map_batches(lambda s: pl.Series(privacy.pseudonymise(s.to_list(), salt), dtype=pl.String),
                                  return_dtype=pl.String).alias(c.removeprefix("_hashsrc_") + "_hash")
            for c in sources]).drop(sources)
        out = nw.from_native(native)
    return t, out, headers, probs, text


def _load_lazy(files: list[tuple[Path, str, str]], forced: str | None, *, pii: str, salt: str | bytes | None,
               first_k: int | None) -> tuple[dict[str, tuple[Any, ...]], list[str]]:
    """Parquet inputs ``(path, display name, engine)`` validated by the engine, table by table.

    Returns ``table -> (kept narwhals frame with _idx, report, accounting, counts, source notes,
    {(file, ""): headers})`` and the display names indexed by input number (``_idx // 2**40``).
    """
    import narwhals as nw

    from .rules_validation import validate_frame

    by_table: dict[tuple[str, str], list[tuple[Any, str, dict[str, str], list[pd.DataFrame], dict[str, float]]]] = {}
    for fno, (f, name, engine) in enumerate(files):
        t, frame, headers, probs, text = _canonical_scan(f, name, forced, fno, engine, pii=pii, salt=salt)
        by_table.setdefault((t, engine), []).append((frame, name, headers, probs, text))
    # a column stored as text in one file of a table and as numbers in another is read as text in all
    # of them (the numbers' unit applied once, by the text parser), so the files concatenate
    where = {name: (fno, f) for fno, (f, name, _) in enumerate(files)}
    for (_t, engine), items in by_table.items():
        union = frozenset(k for it in items for k in it[4])
        for i, it in enumerate(items):
            if not union <= set(it[4]):
                fno, f = where[it[1]]
                _, frame, headers, probs, text = _canonical_scan(f, it[1], forced, fno, engine, pii=pii, salt=salt,
                                                                 force_text=union)
                items[i] = (frame, it[1], headers, probs, text)
    out: dict[str, tuple[Any, ...]] = {}
    names = [name for _, name, _ in files]
    for (t, engine), items in by_table.items():
        frames = [it[0] for it in items]
        same = all(fr.collect_schema() == frames[0].collect_schema() for fr in frames)
        frame = frames[0] if len(frames) == 1 else nw.concat(frames, how="vertical" if same else "diagonal")
        headers = {k: v for it in items for k, v in it[2].items()}
        text = {k: v for it in items for k, v in it[4].items()}
        kept, report, acc, counts = validate_frame(frame, t, names, headers, first_k=first_k, text=text)
        report = pd.concat([*(p for it in items for p in it[3]), report], ignore_index=True)
        out[t] = (kept, report, acc, counts, [f"{it[1]} [parquet, validated lazily by {engine}]" for it in items],
                  {(it[1], ""): it[2] for it in items})
    return out, names


#: Key of the Parquet footer metadata :func:`save` writes: the file holds canonical values.
SAVED_MARK = b"coopmetrics.canonical"


def _write_parquet(frame: pd.DataFrame, target: Path, *, canonical: bool) -> None:
    """Write a table as Parquet; canonical headers get :data:`SAVED_MARK` in the footer.

    A file :func:`save` wrote holds values the loader already normalised, so the lazy route takes
    its text as it is (no per-distinct-value parsing, no 学号 screen); any other writer's file is
    normalised as usual.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    if canonical:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), SAVED_MARK: b"1"})
    pq.write_table(table, target)


def _saved_by_us(f: Path) -> bool:
    """Does the Parquet footer carry :data:`SAVED_MARK` (written by :func:`save`)?"""
    import pyarrow.parquet as pq

    try:
        return SAVED_MARK in (pq.read_schema(f).metadata or {})
    except Exception:  # an unreadable footer: the scan reports it
        return False


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
            _write_parquet(f, target, canonical=headers == "canonical")
        else:
            with pd.ExcelWriter(target, engine="openpyxl") as xw:
                excel_ready(f).to_excel(xw, sheet_name=t, index=False)
    return path
