"""Validation rules as data: one declared record per rule, compiled to a narwhals expression.

The eager loader (CSV/XLSX, :mod:`coopmetrics.normalise` and :mod:`coopmetrics.validation`)
parses text cell by cell (each distinct value once). A Parquet panel is already typed, so its
rows can be validated by the engine itself: every rule here is a :class:`Rule` record whose
:meth:`Rule.offends` is a boolean narwhals expression. The same records run on pandas,
Polars and DuckDB (:func:`validate_frame`), drive the rules table in ``docs/loading.md``
(:func:`rules_markdown`) and the row accounting.

Rules run in stages, as in the eager path: *cell* rules (range, negative money, category
list, personal-data pattern, a text the eager parser reports — ``parse``) test every row; *row*
rules exclude rows in order (impossible required year, then each blank required value, then a
duplicate key among the rows still alive); *kept* rules (unknown destination code) test only the
rows that survive; *link* rules (:mod:`coopmetrics.links`) compare two loaded tables.

Examples
--------
>>> import pandas as pd
>>> from coopmetrics.rules_validation import rules_for
>>> [(r.column, r.problem) for r in rules_for("graduates") if r.stage == "row"][:2]
[('grad_year', 'impossible_year'), ('student_id', 'missing_required_value')]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import narwhals as nw

from . import rules_passes as passes
from .codes import _FAMILIES, DESTINATION_CODES
from .privacy import _PII_STRICT
from .rules_passes import (  # noqa: F401  (re-exported: links and lazy_normalise use them)
    _ROW_SHIFT,
    _candidates,
    _collect,
    _na_int,
    _one_pass,
    _resolve_duplicates,
    _rows_by_idx,
    _small,
    _Unclean,
    key_hash,
)
from .schema import LINKS, PARTITION, TABLES

__all__ = ["Rule", "RULES", "COUNT_COLUMNS", "rules_for", "rules_markdown", "flag_name", "add_flags",
           "validate_frame"]

Check = Literal["required", "year_range", "range", "not_negative", "in_list", "duplicate", "code_list",
                "pii_pattern", "link", "parse"]

#: Tables whose duplicate keys exclude the later rows (same list as ``validation.DUPLICATES_EXCLUDED``).
_DUP_EXCLUDED = ("graduates", "survey", "teachers")
#: Code columns screened for pasted personal data (``normalise._SHORT_CODES``).
_SHORT_CODES = ("destination_code",)


@dataclass(frozen=True, slots=True)
class Rule:
    """One validation rule of one column of one table.

    Attributes
    ----------
    table, column : str
        Canonical table and column (for ``duplicate``: the first key column).
    check : str
        ``required`` (blank cell), ``year_range`` / ``range`` (outside ``lo``..``hi``),
        ``not_negative`` (money below 0), ``in_list`` (category value not in ``values``),
        ``duplicate`` (same ``key`` as an earlier live row), ``code_list`` (destination
        code not in the Ministry list), ``pii_pattern`` (phone / ID-card / e-mail in the cell),
        ``link`` (value absent from ``ref`` among the kept rows of that table; :mod:`coopmetrics.links`),
        ``parse`` (a text cell the eager parser of the column's kind reports; tested on the distinct
        values of a Parquet text column, :mod:`coopmetrics.lazy_normalise`).
    problem, action : str
        Report codes (see :mod:`coopmetrics.validation`); ``action`` ``excluded`` removes the row,
        ``fixed`` clears the cell, ``flagged`` keeps it (and ``clears`` says whether the cell is cleared).
    stage : {"cell", "row", "kept", "link"}
        Cell rules test every row, row rules exclude in order, kept rules test surviving rows,
        link rules compare the kept rows of two tables once both are loaded.
    lo, hi : float, optional
    values : tuple of str
        Accepted values for ``in_list``.
    key : tuple of str
        Key columns for ``duplicate``.
    fallback : str, optional
        ``in_list`` with a catch-all: the unknown label is kept as this value.
    clears : bool
        The offending cell is set to null in the loaded table.
    ref : tuple of str
        For ``link``: ``(table, column)`` the value must exist in.
    """

    table: str
    column: str
    check: Check
    problem: str
    action: str
    stage: Literal["cell", "row", "kept", "link"]
    lo: float | None = None
    hi: float | None = None
    values: tuple[str, ...] = ()
    key: tuple[str, ...] = ()
    fallback: str | None = None
    clears: bool = False
    detail: str = field(default="")
    ref: tuple[str, ...] = ()

    @property
    def flag(self) -> str:
        """Name of the boolean column this rule's flag is stored under."""
        return flag_name(self)

    def offends(self, alive: nw.Expr | None = None) -> nw.Expr:
        """Boolean expression: does the row break this rule? (never null)

        ``alive`` restricts a row or kept rule to the rows no earlier rule excluded.
        ``duplicate`` is evaluated by :func:`validate_frame` (it needs a window).
        """
        c = nw.col(self.column)
        if self.check == "required":
            e = c.is_null()
        elif self.check in ("year_range", "range"):
            lo = self.lo if self.lo is not None else float("-inf")
            hi = self.hi if self.hi is not None else float("inf")
            e = ~c.is_null() & ((c < lo) | (c > hi))
            if self.check == "range" and any(r.check == "not_negative" and r.column == self.column
                                             for r in rules_for(self.table)):
                e = e & (c >= 0)  # a negative amount is reported (and cleared) as negative_money only
        elif self.check == "not_negative":
            e = ~c.is_null() & (c < 0)
        elif self.check == "in_list":
            e = ~c.is_null() & ~c.is_in(list(self.values))
        elif self.check == "code_list":
            family = (c.str.len_chars() == 3) & c.str.slice(0, 2).is_in(list(_FAMILIES))
            e = ~c.is_null() & ~(c.is_in(list(DESTINATION_CODES)) | family)
        elif self.check == "pii_pattern":
            e = ~c.is_null() & c.cast(nw.String).str.contains(_PII_STRICT)
        else:
            raise ValueError(f"rule {self.problem} on {self.column} needs validate_frame")
        e = e.fill_null(False)
        return e & alive if alive is not None else e

    def describe(self) -> tuple[str, str]:
        """(Chinese, English) one-line description for the docs table."""
        col = TABLES[self.table].column(self.column)
        name = f"{col.zh} `{self.column}`"
        if self.check == "required":
            return f"{name} 为空", f"{self.column} blank"
        if self.check in ("year_range", "range"):
            lo = "−∞" if self.lo is None else f"{self.lo:g}"
            hi = "∞" if self.hi is None else f"{self.hi:g}"
            return f"{name} 不在 {lo}–{hi}", f"{self.column} outside {lo}–{hi}"
        if self.check == "not_negative":
            return f"{name} < 0", f"{self.column} below 0"
        if self.check == "in_list":
            return f"{name} 不在可选值中", f"{self.column} not one of {len(self.values)} accepted labels"
        if self.check == "code_list":
            return f"{name} 不在教育部代码表", f"{self.column} not a Ministry destination code"
        if self.check == "pii_pattern":
            return f"{name} 含手机号/身份证号/邮箱", f"{self.column} holds a phone, ID-card number or e-mail"
        if self.check == "parse":
            return _PARSE_TEXT[self.problem](name, self.column)
        if self.check == "link":
            t, c = self.ref
            return (f"{name} 在{TABLES[t].zh}表的 `{c}` 中找不到",
                    f"{self.column} not among the kept rows' `{c}` of `{t}`")
        keys = " + ".join(k for k in self.key if k not in PARTITION)
        within = [k for k in self.key if k in PARTITION]
        zh = f"（同一{'、'.join(TABLES[self.table].column(k).zh for k in within)}内）" if within else ""
        en = f" (within one {' and '.join(within)}, where the column is present)" if within else ""
        return f"关键字段 {keys} 与前面的行相同{zh}", f"key {keys} repeats an earlier row{en}"


def flag_name(rule: Rule) -> str:
    """Column name of a rule's flag (``_f_<problem>_<column>``)."""
    return f"_f_{rule.problem}_{rule.column}"


#: Problems the eager parsers report per column kind that no other record covers: ``(problem, action,
#: clears, detail)``. (An unknown category label and an unreadable required year are the ``in_list`` and
#: ``year_range`` records; on a Parquet text column their distinct raw values join those flags.)
_PARSED: dict[str, tuple[tuple[str, str, bool, str], ...]] = {
    "code": (("spaces_removed", "fixed", False, ""), ("precision_lost", "flagged", False, "")),
    "int": (("unparseable_number", "flagged", True, ""), ("not_integer", "flagged", True, "")),
    "float": (("unparseable_number", "flagged", True, ""),),
    "bool": (("unknown_category", "flagged", True, "是/否"),),
    "year": (("year_as_date", "fixed", False, ""),),
}
_PARSE_TEXT = {
    "spaces_removed": lambda n, c: (f"{n} 编号中有空格（已删除）", f"{c} code with spaces (removed)"),
    "precision_lost": lambda n, c: (f"{n} 被 Excel 变成科学计数法、丢了位数", f"{c} digits lost to Excel's 4.1E+17 form"),
    "unparseable_number": lambda n, c: (f"{n} 不是数字", f"{c} text that is not a number"),
    "not_integer": lambda n, c: (f"{n} 应为整数", f"{c} not a whole number"),
    "unknown_category": lambda n, c: (f"{n} 不是 是/否", f"{c} not a yes/no answer"),
    "year_as_date": lambda n, c: (f"{n} 是被当作日期的年份", f"{c} a year Excel stored as a date"),
}


def _table_rules(table: str) -> tuple[Rule, ...]:
    """The declared records of one table, in evaluation order."""
    spec = TABLES[table]
    out: list[Rule] = []
    year = next((c for c in spec.columns if c.kind == "year" and c.required), None)
    if year is not None:
        out.append(Rule(table, year.name, "year_range", "impossible_year", "excluded", "row",
                        lo=year.lo or 1900, hi=year.hi or 2100, clears=True))
    out += [Rule(table, c, "required", "missing_required_value", "excluded", "row") for c in spec.required]
    if spec.key:
        excluded = table in _DUP_EXCLUDED
        out.append(Rule(table, spec.key[0], "duplicate", "duplicate_id" if excluded else "duplicate_key",
                        "excluded" if excluded else "flagged", "row", key=(*spec.key, *PARTITION)))
    for c in spec.columns:
        if c.pii:
            continue
        out += [Rule(table, c.name, "parse", p, a, "cell", clears=cl, detail=d) for p, a, cl, d in _PARSED.get(c.kind, ())]
        if c.money:
            out.append(Rule(table, c.name, "not_negative", "negative_money", "fixed", "cell", clears=True))
        if c.kind in ("int", "float") and (c.lo is not None or c.hi is not None):
            out.append(Rule(table, c.name, "range", "out_of_range", "flagged", "cell", lo=c.lo, hi=c.hi,
                            clears=True))
        if c.kind == "year" and not c.required and (c.lo is not None or c.hi is not None):
            out.append(Rule(table, c.name, "year_range", "out_of_range", "flagged", "cell", lo=c.lo or 1900,
                            hi=c.hi or 2100, clears=True))
        if c.kind == "category" and c.values:
            accepted = tuple(sorted(set(c.values) | set(c.values.values())))
            if c.fallback:
                out.append(Rule(table, c.name, "in_list", "unknown_category_kept", "flagged", "cell",
                                values=accepted, fallback=c.fallback))
            else:
                out.append(Rule(table, c.name, "in_list", "unknown_category", "flagged", "cell",
                                values=accepted, clears=True,
                                detail="/".join(sorted(set(c.values.values())))))
        if c.name not in spec.key and (c.kind in ("str", "category") or c.name in _SHORT_CODES):
            out.append(Rule(table, c.name, "pii_pattern", "pii_cleared", "fixed", "cell", clears=True))
    if table == "graduates":
        out.append(Rule(table, "destination_code", "code_list", "unknown_code", "flagged", "kept"))
    out += [Rule(table, col, "link", "unlinked_id", "flagged", "link", ref=(rt, rc),
                 detail=f"{TABLES[rt].zh}表的{TABLES[rt].column(rc).zh}")
            for t, col, rt, rc in LINKS if t == table]
    return tuple(out)


#: Every declared rule, table by table (the docs table is generated from this tuple).
RULES: tuple[Rule, ...] = tuple(r for t in TABLES for r in _table_rules(t))


def rules_for(table: str, columns: Sequence[str] | None = None) -> tuple[Rule, ...]:
    """The rules of ``table`` whose columns are present (all when ``columns`` is None).

    Examples
    --------
    >>> [r.problem for r in rules_for("graduates", ["student_id", "grad_year", "major"])][4:]
    ['duplicate_id', 'spaces_removed', 'precision_lost', 'year_as_date', 'pii_cleared']
    """
    if columns is None:
        return tuple(r for r in RULES if r.table == table)
    have = set(columns)
    # a partition column (college) joins a duplicate key only where the table has it
    return tuple(r if all(k in have for k in r.key) else replace(r, key=tuple(k for k in r.key if k in have))
                 for r in RULES if r.table == table and r.column in have
                 and all(k in have for k in r.key if k not in PARTITION))


def rules_markdown() -> str:
    """The rules table of ``docs/loading.md`` (generated from :data:`RULES`; a test keeps it current).

    Examples
    --------
    >>> rules_markdown().splitlines()[0]
    '| table | column | rule | 规则 | problem | action | stage |'
    """
    lines = ["| table | column | rule | 规则 | problem | action | stage |", "|---|---|---|---|---|---|---|"]
    for r in RULES:
        zh, en = r.describe()
        lines.append(f"| `{r.table}` | `{r.column}` | {en} | {zh} | `{r.problem}` | {r.action} | {r.stage} |")
    return "\n".join(lines)


#: A personal-data pattern is tested on the distinct values of a column with at most this many of them.
DISTINCT_LIMIT = 200_000


def distinct_matches(frame: Any, rules: Sequence[Rule], known: dict[str, list[Any]] | None = None
                     ) -> dict[str, list[str]]:
    """Values matching the personal-data pattern, tested once per distinct value (not per row).

    Text columns of a panel (专业, 院系, 合作企业 ...) hold few distinct values; the engine
    lists them (one aggregation per column, at most :data:`DISTINCT_LIMIT` + 1 returned),
    pyarrow's regex engine tests them, and the rule becomes ``is_in`` of the matches.
    A column with more distinct values keeps the per-row pattern.
    """
    from .privacy import contains_pii

    out: dict[str, list[str]] = {}
    for r in rules:
        if r.check != "pii_pattern":
            continue
        if known and r.column in known and len(known[r.column]) <= DISTINCT_LIMIT:  # listed while normalising
            vals = [str(v) for v in known[r.column]]
        else:
            # group_by, not unique(): narwhals' lazy unique() is a window over every row in DuckDB
            values = _collect(frame.group_by(r.column).agg(nw.len().alias("_n")).head(DISTINCT_LIMIT + 1))
            vals = [None if v is None else str(v) for v in values.get_column(r.column).to_list()]
        if len(vals) > DISTINCT_LIMIT:
            continue
        import pandas as pd

        s = pd.Series([v for v in vals if v is not None], dtype=object)
        out[r.column] = s[contains_pii(s)].tolist() if len(s) else []
    return out


def _per_rule(flagged: Any, rules: Sequence[Rule], eng: Sequence[str]) -> Any:
    """The offending rows as pandas (``_fno``, ``_idx``, ``_before``, one boolean per rule): a query per rule.

    Each query returns the ``_idx`` of one rule's offending rows and reads only that rule's columns;
    the engine's row-group statistics skip the groups where no row can break it (no null 学号, no
    salary below 0 ...). One query testing all rules at once must evaluate every rule on every row:
    at 10M rows 1.7 s against ~0.5 s for the fifteen graduates rules one by one.
    """
    import numpy as np
    import pandas as pd

    hits = {f: np.asarray(_collect(flagged.filter(nw.col(f)).select("_idx")).get_column("_idx").to_numpy(),
                          dtype="int64") for f in eng}
    idx = np.unique(np.concatenate(list(hits.values()))) if hits else np.zeros(0, "int64")
    off = pd.DataFrame({"_fno": idx // _ROW_SHIFT, "_idx": idx})
    for f in eng:
        off[f] = np.isin(idx, hits[f], assume_unique=True)
    # alive before the duplicate rule = excluded by no earlier row rule (each flags only rows alive before it)
    gone = [r.flag for r in rules if r.stage == "row" and r.check != "duplicate" and r.action == "excluded"]
    off["_before"] = ~off[gone].to_numpy(dtype=bool).any(axis=1) if gone else True
    return off


#: Longest list of values tested by ``is_in`` per row; longer lists become a join with a small table.
_IN_LIST_MAX = 256


def add_flags(frame: Any, table: str, rules: Sequence[Rule], matches: dict[str, list[str]] | None = None,
              parsed: dict[tuple[str, str], list[str]] | None = None,
              normalised: Sequence[str] = ()) -> tuple[Any, Rule | None]:
    """Add one boolean flag column per rule (but the duplicate rule) and ``_before`` to a frame with ``_idx``.

    Row rules are applied in order (a row excluded by one is not tested by the next); ``_before``
    says the row is alive before the duplicate rule, the last row rule, which needs the whole
    table and is resolved on the collected candidates (:mod:`coopmetrics.rules_passes`). Kept rules are the
    raw test here; :func:`validate_frame` restricts them to the surviving rows.
    Returns the frame and the duplicate rule (None when the table's key is not all present).
    ``parsed`` (``(column, problem) -> raw values``, from :mod:`coopmetrics.lazy_normalise`) are the
    distinct texts the parser of a column reported: the flag of the rule with that column and
    problem also holds for them (``parse`` rules, and ``in_list`` on a ``normalised`` column: only for them).
    """
    parsed = parsed or {}
    # an engine tests `x IN (list)` against every list entry: a long list of raw texts is joined instead
    marks: dict[tuple[str, str], str] = {}
    for (col, problem), raws in parsed.items():
        if len(raws) > _IN_LIST_MAX and f"_raw_{col}" in frame.collect_schema().names():
            mark = f"_pf_{problem}_{col}"
            frame = frame.join(_small(frame, {f"_raw_{col}": raws, mark: [True] * len(raws)},
                                      {f"_raw_{col}": nw.String(), mark: nw.Boolean()}), on=f"_raw_{col}", how="left")
            marks[(col, problem)] = mark

    def test(r: Rule) -> nw.Expr:
        raws = parsed.get((r.column, r.problem))
        if (r.column, r.problem) in marks:
            from_text = nw.col(marks[(r.column, r.problem)]).fill_null(False)
        else:
            from_text = nw.col(f"_raw_{r.column}").is_in(raws).fill_null(False) if raws else None
        if r.check == "parse" or (r.check == "in_list" and r.column in normalised):
            # a normalised category holds canonical values or null: only its unknown raw texts offend
            return from_text if from_text is not None else nw.lit(False)
        return r.offends() if from_text is None else (r.offends() | from_text)

    alive = nw.lit(True)
    cols: list[nw.Expr] = []
    matches = matches or {}
    cleared: dict[str, list[nw.Expr]] = {}  # column -> tests of the cell rules that clear it
    for r in rules:
        if r.stage == "cell" and r.check == "pii_pattern" and r.column in matches:
            hits = matches[r.column]
            if len(hits) > _IN_LIST_MAX:  # many cells with personal data: a join, not a long IN list
                mark = f"_pm_{r.column}"
                frame = frame.join(_small(frame, {r.column: hits, mark: [True] * len(hits)},
                                          {r.column: nw.String(), mark: nw.Boolean()}), on=r.column, how="left")
                e = nw.col(mark).fill_null(False)
            else:
                e = nw.col(r.column).cast(nw.String).is_in(hits).fill_null(False) if hits else nw.lit(False)
        elif r.stage in ("cell", "kept"):
            e = test(r)
        else:
            continue
        cols.append(e.alias(r.flag))
        if r.stage == "cell" and r.clears and not r.fallback:
            cleared.setdefault(r.column, []).append(e)
    dup = None
    for r in rules:
        if r.stage != "row":
            continue
        if r.check == "duplicate":
            dup = r
            continue
        if dup is not None:
            raise ValueError(f"{r.problem} on {r.column}: the duplicate rule must be the last row rule")
        raw = test(r)
        if r.check == "required":  # a required cell a cell rule clears is blank, as on the eager route
            raw = nw.any_horizontal(raw, *cleared.get(r.column, []), ignore_nulls=True)
        # each flag a whole expression (no reference to an earlier flag column): the engine gets one
        # flat projection, which DuckDB evaluates markedly faster than a chain of nested ones
        cols.append((raw & alive).alias(r.flag))
        if r.action == "excluded":
            alive = alive & ~raw
    return frame.with_columns(*cols, alive.alias("_before")), dup


#: Columns of :attr:`Dataset.validation_counts`: exact counts per rule, column and input.
COUNT_COLUMNS = ["table", "file", "sheet", "column", "problem", "action", "rows", "listed"]



def _text(v: object) -> str:
    """A typed Parquet value as the eager route would echo its CSV text (4500.0 -> '4500')."""
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def validate_frame(frame: Any, table: str, files: Sequence[str], headers: dict[str, str], *,
                   first_k: int | None = 20, text: dict[str, float] | None = None,
                   _defer: bool = True) -> tuple[Any, Any, Any, Any]:
    """Validate a canonical narwhals frame by its rules, the engine doing the row work.

    Passes over the data: text columns normalised per distinct value
    (:mod:`coopmetrics.lazy_normalise`); the key hashes of the live rows (sorted in numpy;
    the key text screened in the same pass); the offending rows only (``_fno``, ``_idx`` and one
    boolean per rule), from which exact counts, the accounting and the first K rows per rule and
    file are computed; the key values of the rows whose hash repeats and the values of those first
    K rows, read back by row number; a row count per input (:mod:`coopmetrics.rules_passes`).
    The returned kept frame stays lazy: excluded rows removed by an anti-join on the
    (small) table of excluded row numbers, cells cleared by the same expressions.

    Parameters
    ----------
    frame : narwhals LazyFrame
        Canonical columns plus ``_fno`` (input number) and ``_r0`` (file row index in that input; the report says ``_r0 + 1``).
    table : str
        Canonical table.
    files : sequence of str
        Display name of each input, indexed by ``_fno``.
    headers : dict
        Canonical column -> header as written in the file (for messages).
    first_k : int or None, default 20
        Offending rows listed per rule (and column) and input file, the first by row;
        the rest are counted in ``counts``. None lists them all.
    text : dict, optional
        Columns holding raw text to normalise per distinct value (column -> unit multiplier),
        :func:`coopmetrics.lazy_normalise.normalise_text`.

    Returns
    -------
    (kept, report, accounting, counts)
        ``kept``: the narwhals frame of kept rows with offending cells cleared (still lazy), with
        ``_idx`` (input number * 2**40 + record number) for the link rules;
        ``report``: validation rows (:data:`~coopmetrics.dataset.VALIDATION_COLUMNS`);
        ``accounting``: per input ``rows_read == kept + excluded``; ``counts``: :data:`COUNT_COLUMNS`.
    """
    import pandas as pd

    from .lazy_normalise import normalise_text
    from .validation import empty_report, problem_rows

    parsed: dict[tuple[str, str], list[str]] = {}
    known: dict[str, list[Any]] = {}
    names = frame.collect_schema().names()
    spec = TABLES[table]
    # a key code column of text (学号: ~one distinct value per row) is screened in the key-hash pass
    defer = [k for k in spec.key if k in (text or {}) and spec.column(k).kind == "code"] \
        if _defer and spec.key and all(k in names for k in spec.key) else []
    source = frame
    if text:
        frame, parsed, known = normalise_text(frame, table, text, defer=defer)
    rules = tuple(r for r in rules_for(table, frame.collect_schema().names())
                  if r.stage != "link" and (r.check != "parse" or (r.column, r.problem) in parsed))
    frame = frame.with_columns(_idx=nw.col("_fno").cast(nw.Int64) * _ROW_SHIFT + nw.col("_r0").cast(nw.Int64) + 1)
    try:
        off = _offending(frame, table, rules, parsed, known, defer, list(text or {}))
    except _Unclean:  # some key text needs parsing: normalise it like any column (a pass of its own)
        return validate_frame(source, table, files, headers, first_k=first_k, text=text, _defer=False)
    alive = "_alive"
    dup = any(r.check == "duplicate" for r in rules)
    n_read = _collect(frame.group_by("_fno").agg(nw.len().alias("_n"))).to_pandas().set_index("_fno")["_n"]
    acc, counts = _tally(off, rules, alive, n_read, files, table, headers)
    # the first K offending rows of each rule and file, then their values (one filtered scan)
    chosen: dict[str, Any] = {}
    for r in rules:
        sub = off.loc[off[r.flag].to_numpy(dtype=bool), ["_fno", "_idx", *(["_first"] if dup else [])]]
        sub = sub.sort_values("_idx", kind="stable")
        if first_k is not None:
            sub = sub[sub.groupby("_fno").cumcount().to_numpy() < first_k]
        chosen[r.flag] = sub
    wanted = sorted({int(i) for sub in chosen.values() for i in sub["_idx"]})
    have = set(frame.collect_schema().names())
    need = list(dict.fromkeys(c for r in rules for c in (r.column, *r.key, f"_raw_{r.column}") if c in have))
    vals = _rows_by_idx(frame, wanted, need).set_index("_idx")
    vals["_row"] = vals.index.to_numpy() % _ROW_SHIFT
    reports = []
    for r in rules:
        sub = chosen[r.flag]
        if sub.empty:
            continue
        part = vals.loc[sub["_idx"].to_numpy()].reset_index()
        part["_file"] = [files[int(i) // _ROW_SHIFT] for i in part["_idx"]]
        part["_sheet"] = ""
        if dup:
            part["_first"] = sub["_first"].to_numpy()
        reports.append(_report_rows(part, r, headers, files, problem_rows))
    report = pd.concat(reports, ignore_index=True) if reports else empty_report()
    report = report.sort_values(["file", "sheet", "row"], kind="stable").reset_index(drop=True)
    listed = report.groupby(["file", "problem", "column"], sort=False).size() if len(report) else None
    counts["listed"] = [int(listed.get((f, p, c), 0)) if listed is not None else 0
                        for f, p, c in counts[["file", "problem", "column"]].itertuples(index=False)]
    # a normalised category's unknown labels are null (or the catch-all) already: no clearing per row
    keep_rules = [r for r in rules if not (r.check == "in_list" and r.column in (text or {}))]
    return _kept_frame(frame, keep_rules, off, alive), report, acc, counts


def _offending(frame: Any, table: str, rules: Sequence[Rule], parsed: dict[tuple[str, str], list[str]],
               known: dict[str, list[Any]], deferred: Sequence[str] = (), normalised: Sequence[str] = ()) -> Any:
    """The offending rows as pandas: ``_fno``, ``_idx``, ``_alive`` and one boolean per rule.

    Engine passes: the distinct values of text columns (personal-data screen), the key hashes of
    the live rows (sorted in numpy: which rows' hashes repeat), one small query per rule returning
    the rows that break it (:func:`_per_rule`), and the key values of the few candidate rows (read
    by row number).
    Repeated keys are settled on the real key in pandas, over those rows only; ``_first`` is the
    ``_idx`` of a duplicate's first occurrence.
    """
    import numpy as np
    import pandas as pd

    flagged, dup = add_flags(frame, table, rules, distinct_matches(frame, rules, known), parsed, normalised)
    eng = [r.flag for r in rules if r.check != "duplicate"]
    if dup is not None and passes.ONE_PASS:  # one pass: key hashes and packed flags of every row
        off, cand = _one_pass(flagged, dup, eng, deferred)
    else:  # the live rows' key hashes (when a key is declared), then the offending rows only
        cand = _candidates(flagged, dup, nw.col("_before"), deferred) if dup is not None else np.zeros(0, "int64")
        off = _per_rule(flagged, rules, eng)
    before = off["_before"].to_numpy(dtype=bool)
    off["_alive"] = before
    if dup is not None:
        # a key whose digits Excel destroyed says nothing about identity: never a duplicate (as eagerly)
        lossy = [r.flag for r in rules if r.problem == "precision_lost" and r.column in dup.key]
        if lossy:
            gone = off.loc[off[lossy].to_numpy(dtype=bool).any(axis=1), "_idx"].to_numpy(dtype="int64")
            cand = np.setdiff1d(cand, gone)
        dups, firsts = _resolve_duplicates(_rows_by_idx(frame, cand, dup.key), dup)
        # rows flagged only as duplicates join the offending rows (all other flags False, alive before)
        new = np.setdiff1d(dups, off["_idx"].to_numpy(dtype="int64"))
        if len(new):
            add = pd.DataFrame({"_fno": new // _ROW_SHIFT, "_idx": new, "_before": True, "_alive": True,
                                **{f: False for f in eng}})
            off = pd.concat([off, add], ignore_index=True)
        where = pd.Series(firsts, index=dups)
        is_dup = off["_idx"].isin(dups).to_numpy()
        off[dup.flag] = is_dup
        off["_first"] = _na_int(len(off))
        off.loc[is_dup, "_first"] = where.loc[off.loc[is_dup, "_idx"].to_numpy()].to_numpy()
        if dup.action == "excluded":
            off["_alive"] = off["_before"].to_numpy(dtype=bool) & ~is_dup
    for r in rules:
        if r.stage == "kept":
            off[r.flag] = off[r.flag].to_numpy(dtype=bool) & off["_alive"].to_numpy(dtype=bool)
    flags = [r.flag for r in rules]
    return off.loc[off[flags].to_numpy(dtype=bool).any(axis=1)].reset_index(drop=True) if flags else off


def _tally(off: Any, rules: Sequence[Rule], alive: str, n_read: Any, files: Sequence[str],
           table: str, headers: dict[str, str]) -> tuple[Any, Any]:
    """Row accounting and exact counts per input from the offending rows (vectorised groupbys)."""
    import pandas as pd

    from .dataset import ACCOUNTING_COLUMNS

    fixed_flags = [r.flag for r in rules if r.action == "fixed"]
    live = off[alive].to_numpy(dtype=bool)
    fixed = live & (off[fixed_flags].to_numpy(dtype=bool).any(axis=1) if fixed_flags else False)
    g = pd.DataFrame({"_fno": off["_fno"].to_numpy(), "excluded": ~live, "fixed": fixed})
    per = g.groupby("_fno")[["excluded", "fixed"]].sum().reindex(n_read.index, fill_value=0)
    acc = pd.DataFrame({"table": table, "file": [files[int(i)] for i in n_read.index], "sheet": "",
                        "rows_read": n_read.to_numpy(dtype="int64"),
                        "excluded": per["excluded"].to_numpy(dtype="int64"),
                        "fixed": per["fixed"].to_numpy(dtype="int64")})
    acc["kept"] = acc["rows_read"] - acc["excluded"]
    for c in ("rows_read", "kept", "fixed", "excluded"):
        acc[c] = acc[c].astype("Int64")
    n = off.groupby("_fno")[[r.flag for r in rules]].sum() if rules else pd.DataFrame()
    rows = [(table, files[int(fno)], "", _header(r, headers), r.problem, r.action, int(n.loc[fno, r.flag]))
            for r in rules for fno in n.index if int(n.loc[fno, r.flag])]
    counts = pd.DataFrame(rows, columns=COUNT_COLUMNS[:-1])
    return acc[ACCOUNTING_COLUMNS].sort_values("file", kind="stable").reset_index(drop=True), counts


def _header(rule: Rule, headers: dict[str, str]) -> str:
    if rule.check == "duplicate":
        return " / ".join(headers.get(k, k) for k in rule.key)
    return headers.get(rule.column, rule.column)


def _report_rows(part: Any, r: Rule, headers: dict[str, str], files: Sequence[str], problem_rows: Any) -> Any:
    """Report rows of one rule from its (at most K) offending rows; values masked by problem_rows."""
    meta = part[["_file", "_sheet", "_row"]]
    header = _header(r, headers)
    values: list[str] | None = None
    detail: Any = r.detail
    if r.check == "duplicate":
        # the same label as the eager route: key values joined, first occurrence as (file, row)
        cols = [part[k].tolist() for k in r.key]
        values = [" / ".join(_text(v) for v in rec) for rec in zip(*cols, strict=True)] if len(r.key) > 1 \
            else [_text(v) for v in cols[0]]
        detail = [(files[int(f) // _ROW_SHIFT], int(f) % _ROW_SHIFT) for f in part["_first"]]
    elif r.check not in ("required", "pii_pattern"):
        # the text as written when the column was normalised from text (as the eager route echoes it)
        src = part[f"_raw_{r.column}"] if f"_raw_{r.column}" in part.columns else part[r.column]
        values = [_text(v) for v in src.tolist()]
    if r.check in ("year_range", "range"):
        detail = f"{r.lo:g}–{r.hi:g}" if r.check == "year_range" else f"{r.lo}–{r.hi}"
    if r.check == "in_list" and r.fallback:
        detail = r.fallback
    if r.problem == "year_as_date":
        detail = [_text(v) for v in part[r.column].tolist()]
    names = r.check in ("code_list", "range", "year_range", "not_negative") or (
        r.check == "parse" and TABLES[r.table].column(r.column).kind not in ("str", "category"))
    return problem_rows(meta, table=r.table, column=header, values=values, problem=r.problem, action=r.action,
                        detail=detail, names=names)


def _kept_frame(frame: Any, rules: Sequence[Rule], off: Any, alive: str) -> Any:
    """Kept rows, offending cells cleared (or set to the catch-all), helper columns dropped: still lazy.

    Excluded rows go by an anti-join on their row numbers (known from the offending rows), so the
    duplicate aggregation is not run again when the table is queried; cheap cell rules are the
    same expressions, a personal-data pattern clears exactly the cells found (a join, not a regex).
    """
    def small(data: dict[str, Any]) -> Any:
        return _small(frame, data)

    out = frame
    gone = off.loc[~off[alive].to_numpy(dtype=bool), "_idx"].to_numpy(dtype="int64")
    if len(gone):
        out = out.join(small({"_idx": gone}), on="_idx", how="anti")
    for r in rules:
        if r.stage != "cell" or not (r.clears or r.fallback) or r.check == "parse":
            continue  # a parse problem's cell is already null (the parser's value)
        if r.check == "pii_pattern":
            hits = off.loc[off[r.flag].to_numpy(dtype=bool), "_idx"].to_numpy(dtype="int64")
            if not len(hits):
                continue
            out = out.join(small({"_idx": hits, "_hit": [True] * len(hits)}), on="_idx", how="left")
            cond = nw.col("_hit").fill_null(False)
        else:
            cond = r.offends()
        value = nw.lit(r.fallback) if r.fallback else nw.lit(None)
        out = out.with_columns(nw.when(cond).then(value).otherwise(nw.col(r.column)).alias(r.column))
        if r.check == "pii_pattern":
            out = out.drop("_hit")
    helpers = [c for c in out.collect_schema().names() if c.startswith("_") and c != "_idx"]
    return out.drop(helpers)  # _idx stays for the link rules (coopmetrics.links); load() drops it


def _update_docs(path: str = "docs/loading.md") -> None:
    """Rewrite the rules table between ``<!-- rules:start -->`` and ``<!-- rules:end -->``."""
    import re
    from pathlib import Path

    p = Path(path)
    text = p.read_text(encoding="utf-8")
    new = re.sub(r"<!-- rules:start -->\n(?:.*?\n)?<!-- rules:end -->",
                 lambda _: f"<!-- rules:start -->\n{rules_markdown()}\n<!-- rules:end -->", text, flags=re.S)
    p.write_text(new, encoding="utf-8")


if __name__ == "__main__":  # python -m coopmetrics.rules_validation  (from the repository root)
    _update_docs()
