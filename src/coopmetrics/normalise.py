"""From a raw grid to a canonical frame: table and header detection, then cell normalisation.

:func:`detect_table` and :func:`find_header_row` find the table and header row
of one raw grid; :func:`prepare` maps headers to canonical columns, protects
personal data, normalises every cell (each distinct value once, see
:mod:`coopmetrics.cells`), excludes totals rows and melts wide surveys.

Examples
--------
>>> from coopmetrics.normalise import detect_table
>>> detect_table("2024届毕业生去向_导出", [["学号", "届别"]])
('graduates', 0)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import privacy
from .cells import (
    _blank_mask,
    _category_parser,
    _clean_text,
    _is_blank,
    _likert,
    _map_unique,
    _parse_bool,
    _parse_code,
    _parse_date,
    _parse_number,
    _parse_year,
    _unique_results,
    as_categories,
    factorize,
    str_hits,
)
from .schema import TABLE_ALIASES, TABLES, Column, resolve_header
from .validation import META, empty_report, missing_column_error, problem_rows

__all__ = ["detect_table", "find_header_row"]

_HEADER_SCAN = 15

#: Headers of the state data platform's cooperation tables (A7-5 产学合作表, ODS_CXHZSJ) that the
#: schema's aliases do not cover; compared after removing spaces and a trailing (…) such as (年月).
STATE_PLATFORM_ALIASES: dict[str, dict[str, str]] = {
    "enterprises": {"合作开始日期": "partnership_start", "合作开始年月": "partnership_start",
                    "合作企业统一社会信用代码": "enterprise_code"},
}
_QUESTION_PREFIX = re.compile(r"^(q?\d+[、.．:：_\-)）]\s*|[(（]\d+[)）]\s*)", re.IGNORECASE)

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
        if name is None:  # state-platform headers the schema does not list (合作开始日期(年月) ...)
            key = re.sub(r"[(（][^)）]*[)）]$", "", re.sub(r"\s+", "", h2 or h))
            name = STATE_PLATFORM_ALIASES.get(table, {}).get(key)
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
    formulas: list[tuple[int, int]] = (),  # type: ignore[assignment]
    merged_numbers: list[tuple[int, int]] = (),  # type: ignore[assignment]
) -> _Part:
    spec = TABLES[table]
    # every later step works on distinct values; declared personal-data columns are dropped unread
    pii_cols = {j for j, h in enumerate(raw.columns) if _resolve(table, h)[0] in spec.pii}
    raw = as_categories(raw.reset_index(drop=True), skip=pii_cols)
    rows = np.arange(len(raw), dtype="int64") + int(first_row)
    # drop fully blank rows (not records) and fully blank unnamed columns
    cell_blank = _blank_mask(raw)
    keep_rows = ~cell_blank.all(axis=1) if len(raw.columns) else np.zeros(len(raw), bool)
    raw, rows, cell_blank = raw.loc[keep_rows].reset_index(drop=True), rows[keep_rows], cell_blank[keep_rows]
    # totals rows are recognised on the raw cells: the label may sit in a column dropped as personal data
    totals_label = totals_by_label(raw)

    columns, headers, mults, extras, slots, reports = _map_headers(raw, table, cell_blank, rows, merged_numbers,
                                                                   file=file, sheet=sheet)
    frame = pd.DataFrame(columns, index=raw.index) if columns else pd.DataFrame(index=raw.index)
    if slots:
        frame, idx = _melt_partner_slots(frame, slots, table)
        rows, totals_label = rows[idx], totals_label[idx]
        reports.append(problem_rows(None, table=table, column=headers.get("enterprise", "企业名称"), values=None,
                                    problem="partners_melted", action="fixed", detail=str(len(slots) + 1),
                                    file=file, sheet=sheet))
    if formulas:
        reports.append(_formula_report(formulas, raw.columns, table, file, sheet))

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
    frame["_exclude"] = totals_label
    frame["_lossy"] = False
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
    totals_sum = totals_by_sum(frame, table) & ~totals_label
    if totals_label.any() or totals_sum.any():
        frame["_exclude"] = frame["_exclude"].to_numpy(dtype=bool) | totals_sum
        reports = _drop_totals_reports(reports, set(rows[totals_label | totals_sum].tolist()))
        for mask, why in ((totals_label, "合计标签"), (totals_sum, "等于各列之和")):
            if mask.any():
                reports.append(problem_rows(frame.loc[mask, list(META)], table=table, column="", values=None,
                                            problem="totals_row", action="excluded", detail=why))
    if items:
        frame, more = _melt(frame, items, headers)
        reports.extend(more)
    if table == "survey":
        frame, more = _normalise_likert(frame, headers)
        reports.extend(more)
    ordered = [c for c in spec.names if c in frame.columns]
    hashed = [c for c in frame.columns if c.endswith("_hash") and c not in ordered]
    rest = [c for c in frame.columns if c not in ordered and c not in hashed and c not in META
            and c not in ("_exclude", "_lossy")]
    frame = frame[ordered + hashed + rest + [*META, "_exclude", "_lossy"]]
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

    spec = TABLES[table]

    def report(mask: np.ndarray, col: str, raw_vals: np.ndarray, problem: str, action: str, detail: object = "",
               column: object = None) -> None:
        if mask.any():
            sub = out.loc[mask, list(META)]
            # a Chinese word in a code/number/date column can only be a pasted name: masked
            names = col in spec.names and spec.column(col).kind not in ("str", "category")
            reports.append(problem_rows(sub, table=table, column=headers.get(col, col) if column is None
                                        else column, values=raw_vals[mask], problem=problem, action=action,
                                        detail=detail, names=names))

    return report


def _normalise(
    frame: pd.DataFrame, table: str, headers: dict[str, str], mults: dict[str, float], extras: list[str],
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    spec = TABLES[table]
    reports: list[pd.DataFrame] = []
    out = frame.copy()

    report = _reporter(out, table, headers, reports)
    for col in [c for c in spec.names if c in out.columns]:
        if table == "survey" and col in ("response", "score"):
            continue  # handled together below
        out[col] = _normalise_column(out, col, spec.column(col), report, mults.get(col, 1.0))
    for col in extras:
        idx, (vu,) = _unique_results(out[col], _clean_one)
        out[col] = pd.array(vu, dtype="string").take(idx)
    _clear_pii_cells(out, table, headers, extras, reports)
    return out, reports


def _clean_one(x: object) -> tuple[str | None]:
    return (_clean_text(x),)


def _normalise_column(out: pd.DataFrame, col: str, spec_col: Column, report: Any, mult: float) -> Any:
    """One canonical column parsed per distinct value; typed column built by one ``take``; problems reported."""
    raw = out[col]
    raw_vals = raw.reset_index(drop=True)  # indexed by a row mask only when a problem is reported
    kind = spec_col.kind
    if kind == "str":
        idx, (vu,) = _unique_results(raw, _clean_one)
        return pd.array(vu, dtype="string").take(idx)
    if kind == "code":
        idx, (vu, pu) = _unique_results(raw, _parse_code, fast="digits")
        lossy = (pu == "precision_lost")[idx]
        report(lossy, col, raw_vals, "precision_lost", "flagged")
        report((pu == "spaces_removed")[idx], col, raw_vals, "spaces_removed", "fixed")
        # digits Excel destroyed make distinct people look alike: never a duplicate of each other
        out["_lossy"] = out["_lossy"].to_numpy(dtype=bool) | lossy
        return pd.array(vu, dtype="string").take(idx)
    if kind in ("category", "bool"):
        parser = _category_parser(spec_col.values, spec_col.fallback) if kind == "category" else _parse_bool
        idx, (vu, pu) = _unique_results(raw, parser)
        allowed = "/".join(sorted(set(spec_col.values.values()))) if kind == "category" else "是/否"
        report((pu == "unknown_category")[idx], col, raw_vals, "unknown_category", "flagged", allowed)
        report((pu == "unknown_category_kept")[idx], col, raw_vals, "unknown_category_kept", "flagged",
               spec_col.fallback)
        return pd.array(vu, dtype="string" if kind == "category" else "boolean").take(idx)
    if kind == "date":
        idx, (vu, pu) = _unique_results(raw, _parse_date)
        report((pu == "unparseable_date")[idx], col, raw_vals, "unparseable_date", "flagged")
        y = (pu == "year_as_date")[idx]
        report(y, col, raw_vals, "year_as_date", "fixed", [v.year for v in vu[idx[y]]])
        dates = pd.to_datetime(pd.Series(vu, dtype=object), errors="coerce").astype("datetime64[ns]").to_numpy()
        return dates[idx]
    if kind == "year":
        return _normalise_year(out, col, spec_col, report, raw_vals)
    return _normalise_number(col, spec_col, report, raw, raw_vals, mult)


def _normalise_year(out: pd.DataFrame, col: str, spec_col: Column, report: Any, raw_vals: pd.Series) -> Any:
    idx, (vu, pu) = _unique_results(out[col], _parse_year)
    y = (pu == "year_as_date")[idx]
    report(y, col, raw_vals, "year_as_date", "fixed", vu[idx[y]])
    v = pd.array(vu, dtype="Int64").take(idx)
    lo, hi = spec_col.lo or 1900, spec_col.hi or 2100
    bad = (pu == "impossible_year")[idx] | ((v < lo) | (v > hi)).fillna(False).to_numpy(dtype=bool)
    bad &= ~out["_exclude"].to_numpy(dtype=bool)
    if spec_col.required:
        report(bad, col, raw_vals, "impossible_year", "excluded", f"{lo:g}–{hi:g}")
        out["_exclude"] = out["_exclude"].to_numpy(dtype=bool) | bad
    else:
        report(bad, col, raw_vals, "out_of_range", "flagged", f"{lo:g}–{hi:g}")
    v[bad] = pd.NA
    return v


def _normalise_number(col: str, spec_col: Column, report: Any, raw: pd.Series, raw_vals: pd.Series,
                      mult: float) -> Any:
    idx, (vu, pu) = _unique_results(raw, _parse_number, fast="number")
    report((pu == "unparseable_number")[idx], col, raw_vals, "unparseable_number", "flagged")
    nu = np.array([np.nan if v is None else float(v) for v in vu], dtype=float)  # per distinct value
    arr = nu[idx] * mult
    if spec_col.money:
        neg = arr < 0
        report(neg, col, raw_vals, "negative_money", "fixed")
        arr[neg] = np.nan
    lo = spec_col.lo if spec_col.lo is not None else -np.inf
    hi = spec_col.hi if spec_col.hi is not None else np.inf
    oor = (arr < lo) | (arr > hi)
    report(oor, col, raw_vals, "out_of_range", "flagged", f"{spec_col.lo}–{spec_col.hi}")
    arr[oor] = np.nan
    if spec_col.kind != "int":
        return arr
    frac = np.isfinite(arr) & (arr != np.round(arr))
    report(frac, col, raw_vals, "not_integer", "flagged")
    arr[frac] = np.nan
    return pd.arrays.IntegerArray(np.nan_to_num(arr).astype("int64"), np.isnan(arr))


#: Code columns whose valid values are short official codes (毕业去向代码: 2-3 digits).
_SHORT_CODES = ("destination_code",)


def _clear_pii_cells(out: pd.DataFrame, table: str, headers: dict[str, str], extras: list[str],
                     reports: list[pd.DataFrame]) -> None:
    """A phone, ID-card number or e-mail typed into a non-personal text column is cleared, never kept.

    Key columns are left alone (a cleared key would turn one record into another); the
    report row carries the masked value only.
    """
    spec = TABLES[table]
    # free identifiers (enterprise_code ...) may legitimately be 11 or 18 digits: only official short code
    # lists, where a phone or ID number can never be a valid value, are screened among the code columns
    cols = [c for c in spec.names if c in out.columns and c not in spec.key
            and (spec.column(c).kind in ("str", "category") or c in _SHORT_CODES)] + list(extras)
    for col in cols:
        hit = privacy.contains_pii(out[col]) & out[col].notna().to_numpy()
        if col in _SHORT_CODES:  # a name pasted where a code belongs (each distinct code tested once)
            codes, uniq = factorize(out[col])
            named = np.array([bool(re.fullmatch(privacy.NAME_LIKE, str(u).strip())) for u in uniq] + [False],
                             dtype=bool)
            hit |= named[codes]
        if hit.any():
            sub = out.loc[hit, list(META)]
            reports.append(problem_rows(sub, table=table, column=headers.get(col, col), values=None,
                                        problem="pii_cleared", action="fixed"))
            out.loc[hit, col] = pd.NA


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
# totals rows and formula cells
# ----------------------------------------------------------------------------------

#: A cell that labels a totals row (after NFKC and removing all spaces, so 合 计 matches).
TOTAL_LABEL = re.compile(
    r"^(?:全校|全院|全系|本页|本表|总)?(?:合计|总计|小计|共计|总合计|汇总)(?:[:：(（].*)?$"
    r"|^(?:sub|grand)?totals?(?:[:：(（].*)?$|^sum$",
    re.IGNORECASE,
)
_TOTAL_SCAN_COLUMNS = 4  # the label sits in the first columns (序号/学号/姓名/专业), often merged across them


def totals_by_label(raw: pd.DataFrame) -> np.ndarray:
    """Rows whose first columns hold a totals label (合计, 总计, 小计, 合 计, Total ...).

    Each distinct value is tested once.

    Examples
    --------
    >>> raw = pd.DataFrame({"学号": ["1", "合 计", "小计：", "合计人数多"], "月收入": ["3000", "3000", "1", "2"]})
    >>> totals_by_label(raw).tolist()
    [False, True, True, False]
    """
    out = np.zeros(len(raw), dtype=bool)
    for j in range(min(_TOTAL_SCAN_COLUMNS, raw.shape[1])):
        codes, uniq = factorize(raw.iloc[:, j])
        # a C++ pre-screen of the distinct values; only the few candidates reach Python
        cand = np.flatnonzero(str_hits(uniq, r"(?i).*(计|汇总|total|sum).*"))
        hit = np.zeros(len(uniq) + 1, dtype=bool)
        hit[cand] = [bool(TOTAL_LABEL.match(re.sub(r"\s+", "", unicodedata.normalize("NFKC", uniq[i]))))
                     for i in cand]
        out |= hit[codes]
    return out


def totals_by_sum(frame: pd.DataFrame, table: str) -> np.ndarray:
    """The last live row when it equals the sum of the rows above in every numeric column.

    A totals row without a label. To avoid taking a real record for one, the
    row must match in every numeric (count or money) column that has a non-zero
    sum, and its identifying key (学号, 工号, 企业名称 ...) must be blank. At
    least two rows must stand above it.
    """
    out = np.zeros(len(frame), dtype=bool)
    if table == "survey" or len(frame) < 3:
        return out
    spec = TABLES[table]
    num = [c for c in spec.names if c in frame.columns and spec.column(c).kind in ("int", "float")]
    live = np.flatnonzero(~frame["_exclude"].to_numpy(dtype=bool))
    if not num or len(live) < 3:
        return out
    last, above = live[-1], live[:-1]
    values = frame[num].astype("float64").to_numpy(dtype=float, na_value=np.nan)
    sums = np.nansum(values[above], axis=0)
    row = values[last]
    tested = (sums != 0) & ~np.isnan(row)
    if not tested.any() or not np.allclose(row[tested], sums[tested], rtol=1e-9, atol=1e-9):
        return out
    # the identifying key (not the year) must be blank: a real record that happens to add up keeps its id
    ident = [k for k in spec.key if k in frame.columns and spec.column(k).kind != "year"]
    if any(pd.isna(frame[k].iloc[last]) for k in ident):
        out[last] = True
    return out


def _drop_totals_reports(reports: list[pd.DataFrame], rows: set[int]) -> list[pd.DataFrame]:
    """Cell problems found in a totals row are not problems of a record: only ``totals_row`` stays."""
    out = []
    for r in reports:
        if len(r) and r["row"].notna().any():
            r = r[~r["row"].isin(list(rows)).fillna(False).to_numpy(dtype=bool)]
        out.append(r)
    return out


def _formula_report(formulas: list[tuple[int, int]], header: pd.Index, table: str, file: str,
                    sheet: str) -> pd.DataFrame:
    """One ``formula_without_value`` row per formula cell whose result was never computed."""
    cells = [(r, c) for r, c in formulas if c < len(header)]
    if not cells:
        return empty_report()
    meta = pd.DataFrame({"_file": file, "_sheet": sheet, "_row": [r for r, _ in cells]})
    cols = ["" if _is_blank(header[c]) else str(header[c]).strip() for _, c in cells]
    return problem_rows(meta, table=table, column=cols, values=None, problem="formula_without_value",
                        action="flagged")


def _map_headers(
    raw: pd.DataFrame, table: str, cell_blank: np.ndarray, rows: np.ndarray,
    merged_numbers: list[tuple[int, int]], *, file: str, sheet: str,
) -> tuple[dict[str, pd.Series], dict[str, str], dict[str, float], list[str], list[list], list[pd.DataFrame]]:
    """Each raw column to a canonical column or an extra one: ``(columns, headers, mults, extras, slots, reports)``.

    ``headers`` keeps the header as written (for messages); ``mults`` the unit
    multiplier (万元 -> 10,000); ``slots`` the repeated (企业名称, 合作开始日期) pairs of
    an A7-5 style row; a second header mapping to a taken column is kept as an extra.
    """
    spec = TABLES[table]
    columns: dict[str, pd.Series] = {}
    slots: list[list] = []  # repeated (企业名称, 合作开始日期) pairs of an A7-5 style row
    headers: dict[str, str] = {}
    mults: dict[str, float] = {}
    extras: list[str] = []
    reports: list[pd.DataFrame] = []
    for pos, h in enumerate(raw.columns):
        header_text = "" if _is_blank(h) else str(h).strip()  # as in the file, for the report
        if not header_text and bool(cell_blank[:, pos].all()):
            continue
        name, mult = _resolve(table, h) if header_text else (None, 1.0)
        if table == "enterprises" and name in ("enterprise", "partnership_start") and name in columns:
            # A7-5 style: up to five (企业名称(全称), 合作开始日期(年月)) pairs in one row per major
            if name == "enterprise":
                slots.append([raw.iloc[:, pos], None])
                continue
            if slots and slots[-1][1] is None:
                slots[-1][1] = raw.iloc[:, pos]
                continue
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
        if merged_numbers and name in spec.names and spec.column(name).kind in ("int", "float"):
            columns[name] = _first_of_merge(columns[name], rows, [r for r, c in merged_numbers if c == pos])
        headers[name] = header_text or name
        mults[name] = mult
    return columns, headers, mults, extras, slots, reports


def _first_of_merge(col: pd.Series, rows: np.ndarray, copies: list[int]) -> pd.Series:
    """Clear the copies of a number merged over several rows (``copies``: Excel rows), keeping its first row."""
    at = np.searchsorted(rows, copies)
    at = at[(at < len(rows)) & (rows[np.minimum(at, len(rows) - 1)] == np.asarray(copies, dtype=rows.dtype))] \
        if len(copies) else at
    if not len(at):
        return col
    col = col.copy()
    col.iloc[at] = None
    return col


def _melt_partner_slots(frame: pd.DataFrame, slots: list[list], table: str) -> tuple[pd.DataFrame, np.ndarray]:
    """One row per (row, named partner) from a row per major with several 企业名称 columns.

    The per-major figures (订单培养数, 接受顶岗实习学生数 ...) are about the major, not one
    partner: they stay on the row of the major's first named partner and are blank on the
    others, so that sums per major are unchanged. A row naming no partner is kept once
    (and excluded for its blank 企业名称, as before). Returns the long frame and, per long
    row, the index of its source row.

    Examples
    --------
    >>> f = pd.DataFrame({"major": ["数控", "会计"], "enterprise": ["甲", None], "order_students": [10, 4]})
    >>> long, idx = _melt_partner_slots(f, [[pd.Series(["乙", "丙"]), None]], "enterprises")
    >>> long[["major", "enterprise", "order_students"]].values.tolist(), idx.tolist()
    ([['数控', '甲', 10], ['数控', '乙', None], ['会计', '丙', 4]], [0, 0, 1])
    """
    spec = TABLES[table]
    n = len(frame)
    names = [frame["enterprise"].to_numpy(dtype=object)] + [s[0].to_numpy(dtype=object) for s in slots]
    starts = [frame["partnership_start"].to_numpy(dtype=object) if "partnership_start" in frame.columns
              else np.full(n, None, dtype=object)]
    starts += [s[1].to_numpy(dtype=object) if s[1] is not None else np.full(n, None, dtype=object) for s in slots]
    named = ~np.column_stack([_blank_mask(pd.DataFrame({"v": v}))[:, 0] for v in names])  # rows x slots
    keep = named.copy()
    keep[~named.any(axis=1), 0] = True  # a row naming nobody stays once
    r_idx, s_idx = np.nonzero(keep)  # row-major: each major's partners in column order
    long = frame.iloc[r_idx].reset_index(drop=True)
    long["enterprise"] = np.column_stack(names)[r_idx, s_idx]
    long["partnership_start"] = np.column_stack(starts)[r_idx, s_idx]
    first = np.r_[True, r_idx[1:] != r_idx[:-1]]
    for c in [c for c in spec.names if c in long.columns and spec.column(c).kind in ("int", "float")]:
        long[c] = long[c].astype(object).where(first, None)
    return long, r_idx
