"""Validation that loses nothing: report every problem, account for every row.

:func:`coopmetrics.load` normalises cells (see :mod:`coopmetrics.io`) and then
applies the row rules here. Every input row ends up *kept* or *excluded*; every
cell that was repaired, cleared or is suspicious and every excluded row gets one
line in the validation report (columns :data:`~coopmetrics.dataset.VALIDATION_COLUMNS`):
``table, file, sheet, row, column, value, problem, action, message_zh, message_en``.
``row`` is the row number as the user sees it in Excel (1-based, title and
header rows counted), ``column`` the header as written in the file.

Problems (``problem``) and what happens (``action``):

=========================  ==========  ==================================================
problem                    action      meaning
=========================  ==========  ==================================================
missing_required_value     excluded    a required cell (学号, 毕业去向代码 ...) is blank
impossible_year            excluded    a required year is unreadable or outside lo..hi
duplicate_id               excluded    same key (学号 + 届别 ...) as an earlier row
duplicate_key              flagged     same key in a table where repeats may be legitimate
unlinked_id                flagged     a 学号 of 岗位实习/问卷 not among the kept graduates (schema
                                       ``LINKS``); kept
no_answers                 excluded    a wide survey row without any answer
unknown_code               flagged     destination code not in the Ministry list (kept,
                                       counted as "unknown" by indicators)
bad_likert                 flagged     Likert answer outside 1-5 or not a known level;
                                       score cleared, answer text kept
out_of_range               flagged     number outside the schema's plausible range; cleared
negative_money             fixed       negative amount of money; cleared
unparseable_number         flagged     text where a number was expected; cleared
not_integer                flagged     a count with decimals; cleared
unparseable_date           flagged     text where a date was expected; cleared
unknown_category           flagged     value outside the allowed set; cleared
unknown_category_kept      flagged     a label outside the list of a column with a catch-all value
                                       (培养模式 → other/其他); kept as that value, never dropped
precision_lost             flagged     an ID Excel turned into 4.10102E+17: digits lost
pii_dropped                fixed       a personal-data column dropped or hashed (once per column)
pii_cleared                fixed       a phone/ID/e-mail typed into a non-personal column: cell cleared
partners_melted            fixed       A7-5 layout: several 企业名称 columns per row melted to a row each
duplicate_column           flagged     two headers map to the same column; the second kept as extra
derived_from_name          fixed       year or survey kind taken from the sheet/file name or title row
generated_id               fixed       respondent ids generated from file and row
unrecognised_sheet         flagged     a workbook sheet that matches no table (skipped; header
                                       cells shown, never data)
hidden_sheet               flagged     a hidden or very hidden sheet (drop-down lookups): skipped
helper_sheet               flagged     字典/代码表/填表说明 ... sheet: skipped
unrecognised_file          flagged     a file in a folder that matches no table: skipped
unreadable_file            flagged     a file in a folder that cannot be read: skipped
sheet_missing_columns      flagged     one sheet of a many-sheet workbook lacks required columns: skipped
formula_without_value      flagged     a formula cell with no computed value (treated as blank)
no_data_rows               flagged     a table with a header and no data rows (accounted as 0)
totals_row                 excluded    合计/总计/小计 row, or a row equal to the column sums
spaces_removed             fixed       spaces inside an identifier or code removed
year_as_date               fixed       a year Excel stored as a date serial (2024 -> 1905-07-16)
not_validated              flagged     (no longer produced: lazy Parquet is validated by the engine)
=========================  ==========  ==================================================

Examples
--------
>>> import pandas as pd
>>> from coopmetrics.validation import check_rows
>>> g = pd.DataFrame({"student_id": ["1", "1", None], "grad_year": [2024, 2024, 2024],
...                   "major": ["会计", "会计", "会计"], "destination_code": ["10", "10", "99"],
...                   "_file": "g.csv", "_sheet": "", "_row": [2, 3, 4]})
>>> kept, report = check_rows(g, "graduates")
>>> kept["_row"].tolist()
[2]
>>> report[["row", "problem", "action"]].values.tolist()
[[3, 'duplicate_id', 'excluded'], [4, 'missing_required_value', 'excluded']]
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import privacy
from .codes import is_known
from .dataset import ACCOUNTING_COLUMNS, VALIDATION_COLUMNS
from .errors import MissingColumnError
from .schema import LINKS, PARTITION, TABLES, normalise_header

__all__ = [
    "PROBLEMS",
    "META",
    "DUPLICATES_EXCLUDED",
    "problem_rows",
    "check_rows",
    "account",
    "empty_report",
    "missing_column_error",
    "summary",
    "counts_of",
    "ValidationReport",
    "ExcelSplit",
    "NOTE_PROBLEMS",
    "PROBLEM_WORDS",
    "EXCEL_MAX_ROWS",
]

#: Data rows that fit under the header row of one Excel sheet (1,048,576 rows in all).
EXCEL_MAX_ROWS = 1_048_575

#: Meta columns carried by frames during loading: file, sheet, Excel row.
META = ("_file", "_sheet", "_row")

#: Tables whose duplicate keys exclude the later rows (elsewhere they are only flagged).
DUPLICATES_EXCLUDED = ("graduates", "survey", "teachers")

#: problem code -> (Chinese message template, English message template).
#: Placeholders: {column} header as in the file, {value} the cell, {detail} a
#: language-neutral detail (range, row number, allowed values).
PROBLEMS: dict[str, tuple[str, str]] = {
    "missing_required_value": ("必填列“{column}”为空，该行已排除",
                               "required column '{column}' is blank; row excluded"),
    "impossible_year": ("“{column}”的年份“{value}”无法识别或不在 {detail} 之间，该行已排除",
                        "year '{value}' in '{column}' is unreadable or outside {detail}; row excluded"),
    "duplicate_id": ("与{detail}重复（{column} = {value}），后出现的行已排除",
                     "duplicate of {detail_en} ({column} = {value}); the later row is excluded"),
    "duplicate_key": ("与{detail}的关键字段相同（{column} = {value}），已保留，请核对",
                      "same key as {detail_en} ({column} = {value}); kept, please check"),
    "unlinked_id": ("“{column}”的值“{value}”在{detail}中找不到，已保留，请核对",
                    "'{value}' in '{column}' has no match in {detail_en}; kept, please check"),
    "no_answers": ("该答卷没有任何作答，已排除", "this survey response has no answers; row excluded"),
    "unknown_code": ("毕业去向代码“{value}”不在教育部代码表中，已保留并在指标中计为“未知”",
                     "destination code '{value}' is not a Ministry code; kept and counted as unknown"),
    "bad_likert": ("“{column}”的回答“{value}”不是 1–5 分或可识别的等级，得分已清空（原文保留）",
                   "answer '{value}' to '{column}' is not a 1-5 score or a known level; score cleared "
                   "(text kept)"),
    "out_of_range": ("“{column}”的值 {value} 超出合理范围 {detail}，已清空",
                     "value {value} of '{column}' is outside the plausible range {detail}; cell cleared"),
    "negative_money": ("“{column}”的金额 {value} 为负数，已清空",
                       "negative amount {value} in '{column}'; cell cleared"),
    "unparseable_number": ("“{column}”的值“{value}”不是数字，已清空",
                           "'{value}' in '{column}' is not a number; cell cleared"),
    "not_integer": ("“{column}”应为整数，收到 {value}，已清空",
                    "'{column}' must be a whole number, got {value}; cell cleared"),
    "unparseable_date": ("“{column}”的值“{value}”不是日期，已清空",
                         "'{value}' in '{column}' is not a date; cell cleared"),
    "unknown_category_kept": ("“{column}”的值“{value}”不在可选值中，按“{detail}”保留（未删除）",
                              "'{value}' in '{column}' is not a listed value; kept as '{detail}' (not dropped)"),
    "unknown_category": ("“{column}”的值“{value}”不在可选值中（{detail}），已清空",
                         "'{value}' in '{column}' is not one of the allowed values ({detail}); cell cleared"),
    "precision_lost": ("编号“{value}”被 Excel 显示为科学计数法，末尾数字已丢失，请把该列设为文本后重新导出",
                       "identifier '{value}' was turned into scientific notation by Excel and lost digits; "
                       "set the column to text and export again"),
    "pii_dropped": ("个人信息列“{column}”已{detail}，不会进入任何输出",
                    "personal-data column '{column}' was {detail_en}; it never reaches an output"),
    "duplicate_column": ("表头“{column}”与前面的列对应同一字段 {detail}，作为附加列保留",
                         "header '{column}' maps to the same field {detail} as an earlier column; kept as extra"),
    "derived_from_name": ("文件中没有“{column}”列，已从工作表名、标题行或文件名取值 {value}（适用于全部行）",
                          "no '{column}' column in the file; value {value} taken from the sheet name, title row "
                          "or file name (applies to every row)"),
    "generated_id": ("文件中没有答卷编号，已按文件名和行号生成",
                     "no respondent id column; ids generated from the file name and row"),
    "unrecognised_sheet": ("工作表无法识别为任何数据表，已跳过（表头：{value}）",
                           "sheet matches no table and was skipped (headers: {value})"),
    "pii_cleared": ("“{column}”中的这个单元格含有手机号、身份证号或邮箱，已清空（不会进入任何输出）",
                    "a cell of '{column}' held a phone, ID-card number or e-mail; cleared (it never reaches an "
                    "output)"),
    "partners_melted": ("每行有多组“{column}”（状态数据 A7-5 格式，共 {detail} 组），已拆成每个合作企业一行；"
                        "按专业统计的数字只记在该专业第一个企业的行上",
                        "several '{column}' columns per row (state-platform A7-5 layout, {detail} slots): one row "
                        "per partner; the per-major figures stay on the major's first partner row"),
    "sheet_missing_columns": ("工作表名称对应一张数据表，但缺少必需列，已跳过（其他工作表照常读取）：{value}",
                              "the sheet name matches a table but required columns are missing; skipped (the other "
                              "sheets are read): {value}"),
    "hidden_sheet": ("工作表是隐藏的（{value}），通常是下拉列表的代码表，已跳过；如是数据表请先取消隐藏",
                     "the sheet is hidden ({value}), usually a drop-down lookup list; skipped (unhide it if it "
                     "holds data)"),
    "helper_sheet": ("工作表名称表明这是字典、代码表或填表说明，已跳过（表头：{value}）",
                     "the sheet name says it is a dictionary, code list or instructions; skipped (headers: {value})"),
    "unrecognised_file": ("文件夹中的这个文件无法识别为任何数据表，已跳过（表头：{value}）",
                          "this file in the folder matches no table and was skipped (headers: {value})"),
    "unreadable_file": ("文件夹中的这个文件无法读取，已跳过（{value}）",
                        "this file in the folder cannot be read and was skipped ({value})"),
    "formula_without_value": ("“{column}”是公式，但文件中没有计算结果（未在 Excel 中保存过），按空值处理；"
                              "请在 Excel 中打开并保存后重新导出",
                              "'{column}' is a formula without a computed value in the file (never saved by "
                              "Excel); treated as blank. Open and save it in Excel, then export again"),
    "no_data_rows": ("表中只有表头，没有数据行", "the table has a header but no data rows"),
    "totals_row": ("这是合计/小计行（{detail}），不是一条记录，已排除",
                   "this is a totals/subtotal row ({detail_en}), not a record; excluded"),
    "spaces_removed": ("编号“{value}”中的空格已删除", "spaces removed from identifier '{value}'"),
    "year_as_date": ("“{column}”中的 {value} 是被 Excel 当作日期序号的年份，已按年份 {detail} 读取",
                     "{value} in '{column}' is a year that Excel stored as a date serial; read as the year "
                     "{detail}"),
    "not_validated": ("延迟加载（lazy=True）的 Parquet 未逐行校验，行数未知",
                      "lazily scanned Parquet (lazy=True): rows were not validated, row count unknown"),
}

#: problem code -> (Chinese, English) short words for a summary or a report column (the messages are
#: :data:`PROBLEMS`); one entry per code (a test keeps the two tables' keys equal).
PROBLEM_WORDS: dict[str, tuple[str, str]] = {
    "missing_required_value": ("必填值为空", "required value blank"),
    "impossible_year": ("年份无法识别或超出范围", "year unreadable or out of range"),
    "duplicate_id": ("编号重复", "duplicate id"),
    "duplicate_key": ("关键字段重复", "duplicate key"),
    "unlinked_id": ("学号在毕业生表中找不到", "id not among the graduates"),
    "no_answers": ("答卷无作答", "response without answers"),
    "unknown_code": ("毕业去向代码无法识别", "unknown destination code"),
    "bad_likert": ("满意度回答无法识别", "unreadable satisfaction answer"),
    "out_of_range": ("超出合理范围", "out of range"),
    "negative_money": ("金额为负数", "negative amount"),
    "unparseable_number": ("不是数字", "not a number"),
    "not_integer": ("不是整数", "not a whole number"),
    "unparseable_date": ("日期无法识别", "unreadable date"),
    "unknown_category_kept": ("类别不在可选值中（已保留）", "unlisted category (kept)"),
    "unknown_category": ("类别无法识别", "unknown category"),
    "precision_lost": ("编号被 Excel 截断", "id digits lost in Excel"),
    "pii_dropped": ("个人信息列已删除", "personal-data column dropped"),
    "duplicate_column": ("重复的列", "duplicate column"),
    "derived_from_name": ("取值来自文件名或工作表名", "value taken from the file or sheet name"),
    "generated_id": ("已生成编号", "id generated"),
    "unrecognised_sheet": ("无法识别的工作表", "unrecognised sheet"),
    "pii_cleared": ("个人信息已清空", "personal data cleared"),
    "partners_melted": ("多个合作企业已拆为多行", "partner columns split into rows"),
    "sheet_missing_columns": ("工作表缺少必需列", "sheet missing required columns"),
    "hidden_sheet": ("隐藏工作表已跳过", "hidden sheet skipped"),
    "helper_sheet": ("字典或说明工作表已跳过", "helper sheet skipped"),
    "unrecognised_file": ("无法识别的文件", "unrecognised file"),
    "unreadable_file": ("无法读取的文件", "unreadable file"),
    "formula_without_value": ("公式没有计算结果", "formula without a value"),
    "no_data_rows": ("没有数据行", "no data rows"),
    "totals_row": ("合计行已排除", "totals row excluded"),
    "spaces_removed": ("编号中的空格已删除", "spaces removed from id"),
    "year_as_date": ("年份被存为日期", "year stored as a date"),
    "not_validated": ("未校验", "not validated"),
}

#: Report rows that are notes about what loading did, not problems in the data (a printout may list
#: them apart and not count them): skipped helper inputs, melted layouts, values derived or generated.
NOTE_PROBLEMS = frozenset({"pii_dropped", "derived_from_name", "generated_id", "not_validated", "hidden_sheet",
                           "helper_sheet", "partners_melted"})

_DETAIL_EN = {**{f"{TABLES[t].zh}表的{TABLES[t].column(c).zh}": f"the {c} of the {t} table"
                 for _, _, t, c in LINKS},
              "删除": "dropped", "替换为加盐哈希": "replaced by a salted hash",
              "合计标签": "labelled 合计/总计/小计", "等于各列之和": "equal to the sums of the columns above"}


def empty_report() -> pd.DataFrame:
    """An empty validation report with the right columns and dtypes."""
    return _typed(pd.DataFrame({c: [] for c in VALIDATION_COLUMNS}))


def _typed(report: pd.DataFrame) -> pd.DataFrame:
    report = report[VALIDATION_COLUMNS].copy()
    report["row"] = pd.array(report["row"], dtype="Int64")
    for c in VALIDATION_COLUMNS:
        if c != "row":
            report[c] = report[c].astype("string")
    return report


def _row_label(file: object, row: object, same_file: bool, zh: bool) -> str:
    if zh:
        return f"第 {row} 行" if same_file else f"文件“{file}”第 {row} 行"
    return f"row {row}" if same_file else f"row {row} of file '{file}'"


def problem_rows(
    meta: pd.DataFrame | None,
    *,
    table: str,
    column: object,
    values: Sequence[object] | pd.Series | None,
    problem: str,
    action: str,
    detail: Sequence[object] | object = "",
    file: str | None = None,
    sheet: str | None = None,
    names: bool = False,
) -> pd.DataFrame:
    """Build validation-report rows for one problem in one column.

    Values are made echo-safe here, where every report row is born, so no
    writer downstream can leak them: anything that contains an ID-card number,
    a phone number or an e-mail address is replaced by
    :data:`~coopmetrics.privacy.MASK` in ``value`` and in both messages
    (:func:`~coopmetrics.privacy.mask_values`).

    Parameters
    ----------
    meta : pandas.DataFrame or None
        The ``_file``, ``_sheet``, ``_row`` columns of the affected rows; None for
        a column-level problem (one report row, ``row`` NA, ``file``/``sheet``
        from the arguments).
    table, problem, action : str
        Canonical table, problem code (a key of :data:`PROBLEMS`), action.
    column : str or sequence
        Header as written in the file (one, or one per row).
    values : sequence, optional
        The offending cell values (as read), one per row.
    detail : object or sequence
        Language-neutral detail for the message (range, allowed values, or for
        duplicates the ``(file, row)`` of the first occurrence).
    names : bool, default False
        The column holds codes, numbers or dates: a value made of 2-6 Chinese
        characters can only be a pasted personal name and is masked too.

    Returns
    -------
    pandas.DataFrame
        Rows with :data:`~coopmetrics.dataset.VALIDATION_COLUMNS`.

    Examples
    --------
    >>> r = problem_rows(None, table="graduates", column="身份证号", values=None,
    ...                  problem="pii_dropped", action="fixed", detail="删除", file="a.csv", sheet="")
    >>> r.loc[0, "message_en"]
    "personal-data column '身份证号' was dropped; it never reaches an output"
    """
    if meta is None:
        n = 1
        files, sheets, rows = [file or ""], [sheet or ""], [pd.NA]
    else:
        n = len(meta)
        files = meta["_file"].astype(str).tolist()
        sheets = meta["_sheet"].astype(str).tolist()
        rows = meta["_row"].tolist()
    if n == 0:
        return empty_report()
    cols = list(column) if isinstance(column, (list, tuple, pd.Series, np.ndarray)) else [column] * n
    vals = ["" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)
            for v in (values if values is not None else [None] * n)]
    if values is not None:
        vals = privacy.mask_values(vals, names=names)
    details = list(detail) if isinstance(detail, (list, tuple, pd.Series, np.ndarray)) else [detail] * n
    zh_t, en_t = PROBLEMS[problem]
    msg_zh, msg_en = [], []
    for f, c, v, d in zip(files, cols, vals, details, strict=True):  # loop over reported rows only
        if isinstance(d, tuple):  # (file, row) of a first occurrence
            same = d[0] == f
            dz, de = _row_label(d[0], d[1], same, True), _row_label(d[0], d[1], same, False)
        else:
            dz, de = str(d), _DETAIL_EN.get(str(d), str(d))
        msg_zh.append(zh_t.format(column=c, value=v, detail=dz, detail_en=de))
        msg_en.append(en_t.format(column=c, value=v, detail=de, detail_en=de))
    out = pd.DataFrame({
        "table": table, "file": files, "sheet": sheets, "row": rows, "column": [str(c) for c in cols],
        "value": vals, "problem": problem, "action": action, "message_zh": msg_zh, "message_en": msg_en,
    })
    return _typed(out)


def _header_lookup(frame: pd.DataFrame, column: str, headers: dict | None) -> list[str]:
    """Header as written in each row's file for canonical ``column``."""
    if not headers:
        return [column] * len(frame)
    return [headers.get((f, s), {}).get(column, column) for f, s in zip(frame["_file"], frame["_sheet"], strict=True)]


def _year_column(table: str) -> str:
    return "grad_year" if table == "graduates" else "year"


def check_rows(
    frame: pd.DataFrame,
    table: str,
    headers: dict | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply the row rules to a normalised canonical frame.

    Rules, in order (a row excluded by one rule is not tested by later ones):
    rows already marked ``_exclude`` (impossible required years, empty survey
    answers) are dropped; blank required values exclude the row; duplicate keys
    exclude later rows in :data:`DUPLICATES_EXCLUDED` tables and are flagged
    elsewhere; unknown destination codes are flagged and kept.

    Parameters
    ----------
    frame : pandas.DataFrame
        Canonical columns plus the :data:`META` columns (and optionally a boolean
        ``_exclude``).
    table : str
        Canonical table name.
    headers : dict, optional
        ``(file, sheet) -> {canonical: header as in the file}`` for messages.

    Returns
    -------
    (kept, report) : tuple of DataFrames
        The kept rows (meta columns retained) and the report rows of this step.
    """
    spec = TABLES[table]
    reports: list[pd.DataFrame] = []
    alive = np.ones(len(frame), dtype=bool)
    if "_exclude" in frame.columns:
        alive &= ~frame["_exclude"].fillna(False).to_numpy(dtype=bool)

    for col in spec.required:
        if col not in frame.columns:
            continue
        blank = frame[col].isna().to_numpy() & alive
        if blank.any():
            sub = frame.loc[blank]
            reports.append(problem_rows(sub[list(META)], table=table, column=_header_lookup(sub, col, headers),
                                        values=None, problem="missing_required_value", action="excluded"))
            alive &= ~blank

    # keys are unique within a college of a stacked panel (schema.PARTITION), when the column is there
    key = [k for k in (*spec.key, *PARTITION) if k in frame.columns] if spec.key else []
    # a key whose digits Excel destroyed (precision_lost) says nothing about identity: such rows are
    # flagged where the damage is found and never excluded as duplicates of each other
    comparable = alive & ~frame["_lossy"].fillna(False).to_numpy(dtype=bool) if "_lossy" in frame.columns \
        else alive
    if key and comparable.any():
        live = frame.loc[comparable, [*key, *META]]  # the key and where it sits, not the whole table
        dup = live.duplicated(subset=key, keep="first").to_numpy()
        if dup.any():
            firsts = live.groupby(key, dropna=False, sort=False)[["_file", "_row"]].transform("first")
            sub = live.loc[dup]
            detail = list(zip(firsts.loc[dup, "_file"], firsts.loc[dup, "_row"], strict=True))
            first_key = key[0]
            excluded = table in DUPLICATES_EXCLUDED
            values = pd.Series([" / ".join("" if pd.isna(v) else str(v) for v in rec)  # reported rows only
                                for rec in sub[key].itertuples(index=False, name=None)], index=sub.index) \
                if len(key) > 1 else sub[first_key]
            per_key = [_header_lookup(sub, k, headers) for k in key]  # one pass per key column, not per row
            label = [" / ".join(parts) for parts in zip(*per_key, strict=True)]
            reports.append(problem_rows(sub[list(META)], table=table, column=label, values=values.tolist(),
                                        problem="duplicate_id" if excluded else "duplicate_key",
                                        action="excluded" if excluded else "flagged", detail=detail))
            if excluded:
                idx = np.flatnonzero(comparable)[dup]
                alive[idx] = False

    if table == "graduates" and "destination_code" in frame.columns:
        codes = frame["destination_code"]
        present = codes.notna().to_numpy() & alive
        unknown = np.zeros(len(frame), dtype=bool)
        if present.any():  # each distinct code looked up once
            c, u = pd.factorize(codes[present], use_na_sentinel=True)
            unknown[present] = ~np.asarray(is_known([str(x) for x in u]), dtype=bool)[c]
        if unknown.any():
            sub = frame.loc[unknown]
            reports.append(problem_rows(sub[list(META)], table=table,
                                        column=_header_lookup(sub, "destination_code", headers),
                                        values=sub["destination_code"].tolist(), problem="unknown_code", names=True,
                                        action="flagged"))

    kept = frame.loc[alive]
    report = pd.concat(reports, ignore_index=True) if reports else empty_report()
    if table == "survey":  # a wide row melts into one row per item: report its exclusion once
        report = report.drop_duplicates(subset=["file", "sheet", "row", "problem", "action"])
    report = report.sort_values(["file", "sheet", "row"], kind="stable").reset_index(drop=True)
    return kept, report


def account(
    inputs: pd.DataFrame,
    kept: pd.DataFrame,
    report: pd.DataFrame,
    table: str,
    *,
    sources: Iterable[tuple[str, str]] = (),
) -> pd.DataFrame:
    """Row accounting per table x file x sheet.

    Parameters
    ----------
    inputs : pandas.DataFrame
        ``_file``, ``_sheet``, ``_row`` of every non-blank input row.
    kept : pandas.DataFrame
        The kept rows (with meta columns; a wide survey row may appear once per item).
    report : pandas.DataFrame
        The validation report of this table.
    table : str
        Canonical table name.
    sources : iterable of (file, sheet)
        Every input of the table, so that one without data rows still gets
        its accounting row (all zeros).

    Returns
    -------
    pandas.DataFrame
        :data:`~coopmetrics.dataset.ACCOUNTING_COLUMNS`; ``rows_read == kept +
        excluded``; ``fixed`` counts kept rows with at least one ``fixed`` cell.

    Examples
    --------
    >>> inp = pd.DataFrame({"_file": "a.csv", "_sheet": "", "_row": [2, 3, 4]})
    >>> rep = problem_rows(inp.iloc[[0]], table="graduates", column="月收入", values=["-1"],
    ...                    problem="negative_money", action="fixed")
    >>> account(inp, inp.iloc[:2], rep, "graduates")[["rows_read", "kept", "fixed", "excluded"]].values.tolist()
    [[3, 2, 1, 1]]
    """
    # integer keys (input x row) instead of a three-column merge: a million rows in a few numpy passes
    groups = pd.MultiIndex.from_frame(inputs[["_file", "_sheet"]].astype(str)).unique()
    width = int(max(inputs["_row"].max() if len(inputs) else 0, kept["_row"].max() if len(kept) else 0)) + 1

    def keys_of(f: pd.Series, sh: pd.Series, r: pd.Series) -> np.ndarray:
        g = groups.get_indexer(pd.MultiIndex.from_arrays([f.astype(str), sh.astype(str)])).astype(np.int64)
        r = r.to_numpy(dtype=np.int64)
        return (g * width + r)[g >= 0]  # report rows of other inputs are not this table's

    read_keys = pd.unique(keys_of(inputs["_file"], inputs["_sheet"], inputs["_row"]))  # hash, not sort
    kept_keys = keys_of(kept["_file"], kept["_sheet"], kept["_row"]) if len(kept) else read_keys[:0]
    rep = report[report["action"] == "fixed"].dropna(subset=["row"])
    fixed_keys = keys_of(rep["file"], rep["sheet"], rep["row"].astype("int64")) if len(rep) else read_keys[:0]
    is_kept = pd.Index(kept_keys).unique().get_indexer(read_keys) >= 0
    is_fixed = is_kept & (pd.Index(fixed_keys).unique().get_indexer(read_keys) >= 0)
    gid = read_keys // width
    n = len(groups)
    out = pd.DataFrame({
        "file": [g[0] for g in groups], "sheet": [g[1] for g in groups],
        "rows_read": np.bincount(gid, minlength=n), "kept": np.bincount(gid, weights=is_kept, minlength=n),
        "fixed": np.bincount(gid, weights=is_fixed, minlength=n),
    })
    out[["kept", "fixed"]] = out[["kept", "fixed"]].astype("int64")
    seen = set(zip(out["file"].astype(str), out["sheet"].astype(str), strict=True))
    blank = [(f, sh) for f, sh in dict.fromkeys(sources) if (str(f), str(sh)) not in seen]
    if blank:
        zeros = pd.DataFrame({"file": [f for f, _ in blank], "sheet": [sh for _, sh in blank],
                              "rows_read": 0, "kept": 0, "fixed": 0})
        out = pd.concat([out, zeros], ignore_index=True) if len(out) else zeros
    out["excluded"] = out["rows_read"] - out["kept"]
    out.insert(0, "table", table)
    out = out[ACCOUNTING_COLUMNS]
    for c in ("rows_read", "kept", "fixed", "excluded"):
        out[c] = out[c].astype("Int64")
    return out


def missing_column_error(
    table: str,
    missing: Iterable[str],
    found: Iterable[object],
    *,
    file: str | None = None,
    sheet: str | None = None,
) -> MissingColumnError:
    """Build the :class:`~coopmetrics.errors.MissingColumnError` for absent required columns.

    The message names the file and sheet, the headers found, the headers each
    missing column accepts, and the closest pair (found header, accepted alias)
    by :mod:`difflib` over all aliases of the missing columns.

    Examples
    --------
    >>> err = missing_column_error("graduates", ["destination_code"], ["学号", "届别", "专业", "毕业去向代吗"],
    ...                            file="g.csv")
    >>> "毕业去向代吗" in str(err) and "毕业去向代码" in str(err) and "g.csv" in str(err)
    True
    """
    spec = TABLES[table]
    missing = list(missing)
    found = [str(f) for f in found if str(f).strip() and not str(f).startswith("unnamed_")]
    found = privacy.mask_values(found)  # a "header" row that is really data must not echo a phone
    found_norm = {normalise_header(f)[0]: f for f in found}
    expected_zh, expected_en = [], []
    best: tuple[float, str, str, str] = (0.0, "", "", "")
    for name in missing:
        col = spec.column(name)
        aliases = [col.zh, col.name, *col.aliases]
        expected_zh.append(f"{col.zh}（{name}；也接受：{'、'.join(aliases[2:]) or '无'}）")
        expected_en.append(f"{name} ({col.zh}; also accepted: {', '.join(aliases[2:]) or 'none'})")
        for alias in aliases:
            a_norm = normalise_header(alias)[0]
            for f_norm, f_raw in found_norm.items():
                ratio = difflib.SequenceMatcher(None, f_norm, a_norm).ratio()
                if ratio > best[0]:
                    best = (ratio, f_raw, alias, name)
    if best[0] >= 0.4:
        hint_zh = f"最接近的是文件中的表头“{best[1]}”≈ 可接受的表头“{best[2]}”（{best[3]}），请检查拼写。"
        hint_en = f"Closest match: header '{best[1]}' in the file ~ accepted alias '{best[2]}' ({best[3]}); check the spelling."
    else:
        all_aliases = [a for c in spec.columns for a in (c.zh, *c.aliases)]
        guess = difflib.get_close_matches(" ".join(found)[:50], all_aliases, n=1, cutoff=0.0)
        hint_zh = f"文件中没有相近的表头（最接近的别名：“{guess[0] if guess else ''}”）；表头行是否正确？"
        hint_en = (f"No header in the file resembles them (closest alias: '{guess[0] if guess else ''}'); "
                   "is the header row right?")
    listing = "、".join(found) if found else "（无）"
    return MissingColumnError(
        f"{spec.zh}表（{table}）缺少必需列：{'；'.join(expected_zh)}。文件中找到的列：{listing}。",
        f"the {table} table ({spec.zh}) lacks required column(s): {'; '.join(expected_en)}. "
        f"Columns found in the file: {', '.join(found) if found else '(none)'}.",
        file=file, sheet=sheet or None, hint_zh=hint_zh, hint_en=hint_en,
    )


def summary(report: pd.DataFrame) -> pd.DataFrame:
    """Count report rows per table, problem and action.

    Examples
    --------
    >>> summary(empty_report()).columns.tolist()
    ['table', 'problem', 'action', 'rows']
    """
    if report.empty:
        return pd.DataFrame(columns=["table", "problem", "action", "rows"])
    return (report.groupby(["table", "problem", "action"], sort=True).size()
            .rename("rows").reset_index())


def counts_of(report: pd.DataFrame) -> pd.DataFrame:
    """Exact counts per table, input, column, problem and action of a complete report.

    The eager loader lists every offending row, so ``rows == listed``; the lazy
    Parquet route lists the first K and counts the rest (same columns,
    :data:`~coopmetrics.rules_validation.COUNT_COLUMNS`).

    Examples
    --------
    >>> rep = pd.concat([problem_rows(None, table="graduates", column="学号", values=None,
    ...                               problem="missing_required_value", action="excluded", file="g.csv", sheet="")] * 2)
    >>> counts_of(rep)[["problem", "rows", "listed"]].values.tolist()
    [['missing_required_value', 2, 2]]
    """
    from .rules_validation import COUNT_COLUMNS

    if report is None or report.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("rows", "listed") else "string")
                             for c in COUNT_COLUMNS})
    keys = COUNT_COLUMNS[:6]
    out = report[keys].astype(str).groupby(keys, sort=False).size().rename("rows").reset_index()
    out["listed"] = out["rows"]
    return out[COUNT_COLUMNS]


@dataclass
class ExcelSplit:
    """How a validation report goes into a workbook (see :meth:`ValidationReport.for_excel`).

    Attributes
    ----------
    parts : list of pandas.DataFrame
        One frame per sheet, each at most ``max_rows`` rows, in order.
    csv_path : Path or None
        The complete report written beside the workbook when it did not fit.
    total : int
        Rows in the complete report.
    note_zh, note_en : str
        What the report must say about the split ("" when it fits one sheet).
    """

    parts: list[pd.DataFrame]
    csv_path: Path | None
    total: int
    note_zh: str
    note_en: str


class ValidationReport:
    """The validation report as it may leave the program: personal data masked, formulas escaped.

    Wraps ``Dataset.validation`` (columns :data:`~coopmetrics.dataset.VALIDATION_COLUMNS`).
    :meth:`safe` masks anything that looks like an ID-card number, a phone or an
    e-mail in values and messages (again: the loader already masks at the
    source, a hand-made report may not); :meth:`to_csv` writes atomically with
    formula escaping; :meth:`for_excel` splits a report that does not fit one
    sheet.

    Examples
    --------
    >>> v = problem_rows(None, table="graduates", column="备注", values=["=1+1"], problem="unparseable_number",
    ...                  action="flagged", file="g.csv", sheet="")
    >>> rep = ValidationReport(v)
    >>> len(rep), rep.for_excel("r.xlsx").note_en
    (1, '')
    """

    def __init__(self, frame: pd.DataFrame | None = None) -> None:
        self.frame = empty_report() if frame is None else frame

    def __len__(self) -> int:
        return len(self.frame)

    def __repr__(self) -> str:
        return f"ValidationReport({len(self)} rows)"

    def safe(self) -> pd.DataFrame:
        """The report with personal data masked in ``value`` and both messages."""
        out = self.frame.copy()
        if out.empty:
            return out
        if "value" in out.columns:
            out["value"] = pd.array(privacy.mask_values(out["value"].tolist()), dtype="string")
        for c in ("message_zh", "message_en", "column"):
            if c in out.columns:
                out[c] = pd.array(privacy.mask_text(out[c].tolist()), dtype="string")
        return out

    def to_csv(self, path: str | Path, *, overwrite: str = "backup", encoding: str = "utf-8-sig") -> Path:
        """Write the safe report as CSV: atomic, previous file kept, ``=+-@`` cells escaped.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> v = problem_rows(None, table="t", column="c", values=["=cmd|' /C calc'!A0"], problem="unparseable_number",
        ...                  action="flagged", file="f.csv", sheet="")
        >>> p = ValidationReport(v).to_csv(pathlib.Path(tempfile.mkdtemp()) / "v.csv")
        >>> "'=cmd" in p.read_text(encoding="utf-8-sig")
        True
        """
        from .output import write_csv

        return write_csv(self.safe(), path, overwrite=overwrite, encoding=encoding)

    def for_excel(self, workbook: str | Path, *, max_rows: int = EXCEL_MAX_ROWS, max_sheets: int = 4,
                  overwrite: str = "force") -> ExcelSplit:
        """Split the safe report for a workbook whose sheets hold ``max_rows`` data rows.

        Up to ``max_sheets`` sheets of ``max_rows`` rows are used (数据校验, 数据校验 (2), ...).
        A longer report is written complete as ``<workbook stem>_数据校验.csv`` beside
        the workbook and the sheets hold its first rows; ``note_zh``/``note_en``
        say so and must be shown in the workbook (the report writer puts them
        above the table). Nothing is ever cut silently.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> v = pd.concat([problem_rows(None, table="t", column="c", values=[str(i)], problem="out_of_range",
        ...                             action="flagged", file="f", sheet="") for i in range(5)])
        >>> book = pathlib.Path(tempfile.mkdtemp()) / "r.xlsx"
        >>> split = ValidationReport(v).for_excel(book, max_rows=2, max_sheets=2)
        >>> [len(p) for p in split.parts], split.csv_path.name, len(pd.read_csv(split.csv_path))
        ([2, 2], 'r_数据校验.csv', 5)
        >>> ValidationReport(v).for_excel(book, max_rows=2, max_sheets=3).note_en
        'The validation report has 5 rows, more than one sheet holds; it is split across 3 sheets.'

        """
        safe = self.safe().reset_index(drop=True)
        n = len(safe)
        parts = [safe.iloc[i:i + max_rows] for i in range(0, max(n, 1), max_rows)][:max_sheets] if n else [safe]
        if n <= max_rows:
            return ExcelSplit(parts, None, n, "", "")
        if n <= max_rows * max_sheets:
            k = len(parts)
            return ExcelSplit(parts, None, n, f"校验报告共 {n:,} 行，超过一个工作表的容量，已分成 {k} 个工作表。",
                              f"The validation report has {n:,} rows, more than one sheet holds; it is split "
                              f"across {k} sheets.")
        workbook = Path(workbook)
        csv_path = workbook.with_name(f"{workbook.stem}_数据校验.csv")
        from .output import write_csv

        write_csv(safe, csv_path, overwrite=overwrite)
        shown = sum(len(p) for p in parts)
        return ExcelSplit(parts, csv_path, n,
                          f"校验报告共 {n:,} 行，工作簿中只列出前 {shown:,} 行；完整报告见同一文件夹中的“{csv_path.name}”。",
                          f"The validation report has {n:,} rows, more than one sheet holds; it is split "
                          f"and the workbook lists the first {shown:,}; the complete report is '{csv_path.name}' "
                          "in the same folder.")
