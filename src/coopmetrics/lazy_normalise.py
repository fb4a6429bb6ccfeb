"""Normalising text columns of a lazy Parquet table once per distinct value, never per row.

A Parquet panel exported from a school system often stores everything as text: 学号 as
``2.021E+9`` or ``2024 0101 01``, 月收入 as ``0.45万元``, 性别 as 男/女, 是否对口 as 是/否, names with
full-width characters. The eager loader parses such cells with the functions of
:mod:`coopmetrics.cells`, each distinct value once. The lazy route calls the **same** functions:

1. the engine screens every row with a regular expression for values that need no parsing
   (plain ASCII codes, plain decimal numbers, text without spaces or full-width characters),
2. lists the *distinct* values that do (one aggregation; at most :data:`DISTINCT_LIMIT`),
3. Python parses each of those once (the eager parser: same result, same problem code), and
4. the engine maps them back: a ``CASE`` chain for a few values, a join with the small table of
   parsed values otherwise. Clean values are only cast.

A problem found while parsing (``unparseable_number``, ``unknown_category``, ``spaces_removed``,
``precision_lost`` ...) becomes a ``parse`` rule of :mod:`coopmetrics.rules_validation`: its flag
is ``raw value in {the distinct values with that problem}``, counted and listed like every rule.

Examples
--------
>>> import narwhals as nw, pandas as pd
>>> from coopmetrics.lazy_normalise import normalise_text
>>> lf = nw.from_native(pd.DataFrame({"monthly_salary": ["4500", "0.45万元", "x"]})).lazy()
>>> out, bad, _ = normalise_text(lf, "graduates", {"monthly_salary": 1.0})
>>> out.collect().to_pandas()["monthly_salary"].tolist()
[4500.0, 4500.0, nan]
>>> bad
{('monthly_salary', 'unparseable_number'): ['x']}
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import Any

import narwhals as nw

from .cells import (
    _BLANK_TEXT,
    _category_parser,
    _clean_text,
    _parse_bool,
    _parse_code,
    _parse_number,
    _parse_year,
)
from .errors import InputError
from .schema import TABLES

__all__ = ["normalise_text", "clean_text_expr", "DISTINCT_LIMIT", "CASE_LIMIT", "TEXT_KINDS"]

#: Distinct values parsed in Python per column at most (beyond: a bilingual error, load eagerly).
DISTINCT_LIMIT = 200_000
#: Up to this many parsed values are mapped back by a CASE chain, more by a join.
CASE_LIMIT = 64
#: Column kinds normalised from text on the lazy route.
TEXT_KINDS = ("str", "code", "category", "bool", "year", "int", "float")

# values needing no parsing, per kind (whole-string matches; the literal CJK range 一-鿿 works in
# RE2, Rust and Python regex alike): such values keep their text (or are cast)
_CLEAN = {
    "code": r"^[0-9A-Za-z_-]+$",
    "str": r"^[!-~一-鿿]+$",
    "int": r"^-?[0-9]+$",
    "float": r"^-?[0-9]+(\.[0-9]+)?$",
    "year": r"^[0-9]{4}$",
}
#: A code needing the parser (the eager fast path's complement, one expression): a character outside
#: [0-9A-Za-z_-], Excel's 1E5 form, 16+ digits (Excel's 15 significant digits padded), a blank word.
_UNCLEAN_CODE = r"[^0-9A-Za-z_-]|^-?[0-9]+[eE]-?[0-9]+$|^[0-9]{16,}$|^(?i:nan|null|na|nat)$|^$"
_TARGET = {"str": nw.String, "code": nw.String, "category": nw.String, "bool": nw.Boolean, "year": nw.Int64,
           "int": nw.Int64, "float": nw.Float64}


def _parser(table: str, column: str, mult: float) -> Callable[[object], tuple[Any, str | None]]:
    """The eager parser of one column: raw text -> (value, problem or None)."""
    spec = TABLES[table].column(column)
    kind = spec.kind
    if kind == "str":
        return lambda x: (_clean_text(x), None)
    if kind == "code":
        return _parse_code
    if kind == "category":
        return _category_parser(spec.values, spec.fallback)
    if kind == "bool":
        return _parse_bool
    if kind == "year":
        return _parse_year

    def number(x: object) -> tuple[float | None, str | None]:
        v, p = _parse_number(x)
        return (None if v is None else float(v) * mult), p

    return number


def _clean(column: str, kind: str) -> nw.Expr | None:
    """Rows whose text needs no parsing, in the engine (None: no screen for this kind)."""
    pattern = _CLEAN.get(kind)
    if pattern is None:
        return None
    c = nw.col(column)
    if kind == "code":  # one regular expression: this screen runs over every 学号 of a panel
        return (~c.str.contains(_UNCLEAN_CODE)).fill_null(False)
    e = c.str.contains(pattern) & ~c.str.to_lowercase().is_in(sorted(_BLANK_TEXT))
    return e.fill_null(False)


def clean_text_expr(column: str, kind: str) -> nw.Expr:
    """True where a non-blank cell of ``column`` needs parsing (``kind`` must have a screen)."""
    if kind == "code":
        return nw.col(column).str.contains(_UNCLEAN_CODE).fill_null(False)
    return ~_clean(column, kind) & ~nw.col(column).is_null()


def _clean_py(values: list[str], kind: str) -> list[bool]:
    """The same screen as :func:`_clean` over a list of distinct values (Python)."""
    pattern = _CLEAN.get(kind)
    if pattern is None:
        return [False] * len(values)
    if kind == "code":
        bad = re.compile(_UNCLEAN_CODE)
        return [not bad.search(v) for v in values]
    rx = re.compile(pattern)
    return [bool(rx.search(v)) and v.lower() not in _BLANK_TEXT for v in values]


def _distinct(frame: Any, column: str, kind: str, screen: bool) -> tuple[list[str], list[str] | None]:
    """``(distinct raw texts needing parsing, every distinct text or None)``.

    Low-cardinality columns: one aggregation lists every distinct value (screened in Python; the
    list is also what the personal-data screen needs). ``screen`` (a key code column such as 学号,
    ~one value per row) or a column with more than :data:`DISTINCT_LIMIT` values: the engine
    screens the rows and lists only the values that need parsing.
    """
    from .rules_validation import _collect

    q = frame.filter(~nw.col(column).is_null())
    if not screen or _CLEAN.get(kind) is None:
        got = _collect(q.group_by(column).agg(nw.len().alias("_n")).head(DISTINCT_LIMIT + 1))
        vals = [str(v) for v in got.get_column(column).to_list()]
        if len(vals) <= DISTINCT_LIMIT or _CLEAN.get(kind) is None:
            return [v for v, ok in zip(vals, _clean_py(vals, kind), strict=True) if not ok], vals
    got = _collect(q.filter(~_clean(column, kind)).group_by(column).agg(nw.len().alias("_n"))
                   .head(DISTINCT_LIMIT + 1))
    return [str(v) for v in got.get_column(column).to_list()], None


def _mapped(frame: Any, column: str, kind: str, mult: float, raws: list[str], values: list[Any]) -> Any:
    """``frame`` with ``column`` replaced by its normalised value (raw text kept as ``_raw_<column>``).

    Texts needing no parsing keep their value (numbers and years are cast; numbers times the
    header's unit); the parsed ones take the parser's value: a CASE chain for a few of them, a
    join with the small table of parsed values otherwise. The raw text is nulled before any cast,
    so no engine ever casts a text like ``0.45万元``.
    """
    from .rules_validation import _small

    if not raws and kind in ("str", "code", "category"):
        return frame  # every value is clean text: nothing to map
    if frame.implementation.is_pandas():
        return _mapped_pandas(frame, column, kind, mult, raws, values)
    target = _TARGET[kind]
    c = nw.col(column)
    frame = frame.with_columns(c.alias(f"_raw_{column}"))
    if raws and len(raws) > CASE_LIMIT:
        small = _small(frame, {column: raws, "_v": values, "_m": [True] * len(raws)},
                       {column: nw.String(), "_v": target(), "_m": nw.Boolean()})
        frame = frame.join(small, on=column, how="left")
        is_parsed, parsed_value = nw.col("_m").fill_null(False), nw.col("_v")
    elif raws:
        is_parsed = c.is_in(raws).fill_null(False)
        parsed_value = nw.lit(None, dtype=target)
        for r, v in zip(raws, values, strict=True):
            parsed_value = nw.when(c == r).then(nw.lit(v, dtype=target)).otherwise(parsed_value)
    else:
        is_parsed, parsed_value = nw.lit(False), nw.lit(None, dtype=target)
    rest = nw.when(~is_parsed).then(c)  # text needing no parsing (null where parsed)
    if kind == "float":
        rest = rest.cast(nw.Float64) * mult
    elif kind in ("int", "year"):
        rest = rest.cast(nw.Int64)
    elif kind == "bool":
        rest = nw.lit(None, dtype=nw.Boolean)  # every yes/no text goes through the parser
    out = nw.when(is_parsed).then(parsed_value).otherwise(rest)
    frame = frame.with_columns(out.alias(column))
    return frame.drop("_m", "_v") if raws and len(raws) > CASE_LIMIT else frame


_PANDAS_DTYPE = {"str": "string", "code": "string", "category": "string", "bool": "boolean", "year": "Int64",
                 "int": "Int64", "float": "float64"}


def _mapped_pandas(frame: Any, column: str, kind: str, mult: float, raws: list[str], values: list[Any]) -> Any:
    """:func:`_mapped` on an in-memory pandas frame (``lazy="pandas"``): a dictionary look-up."""
    import pandas as pd

    df = frame.to_native().copy(deep=False)
    raw = df[column]
    df[f"_raw_{column}"] = raw
    lookup = dict(zip(raws, values, strict=True))
    parsed = raw.isin(list(lookup)).to_numpy(dtype=bool)
    rest = raw.where(~parsed)
    dtype = _PANDAS_DTYPE[kind]
    if kind == "float":
        out = pd.to_numeric(rest).astype("float64") * mult
    elif kind == "int":
        out = pd.to_numeric(rest).astype("Int64")
    elif kind == "bool":
        out = pd.Series(pd.NA, index=df.index, dtype="boolean")
    else:
        out = rest.astype(dtype)
    if parsed.any():
        out = out.astype(object)
        out[parsed] = raw[parsed].map(lookup).to_numpy(dtype=object)
        out = out.where(out.notna(), None).astype(dtype)
    df[column] = out
    return nw.from_native(df).lazy()


def normalise_text(frame: Any, table: str, columns: dict[str, float], defer: Collection[str] = ()
                   ) -> tuple[Any, dict[tuple[str, str], list[str]], dict[str, list[Any]]]:
    """Normalise text columns of a lazy canonical frame per distinct value.

    Parameters
    ----------
    frame : narwhals LazyFrame
        Canonical columns; those in ``columns`` hold the raw text of the file.
    table : str
        Canonical table.
    columns : dict
        Column -> multiplier of its header unit (万元 -> 10000; 1 otherwise).
    defer : collection of str
        Key code columns left as they are: the caller screens them in a pass it makes anyway
        (:func:`coopmetrics.rules_validation.validate_frame`, the key-hash pass) and comes back
        without ``defer`` only when some value needs parsing.

    Returns
    -------
    (frame, problems, distinct)
        The frame with the columns normalised (still lazy; each raw text kept as ``_raw_<column>``),
        ``(column, problem) -> the distinct raw values with that problem`` and, for text columns
        whose distinct values were all listed, their normalised distinct values (for the
        personal-data screen).

    Raises
    ------
    InputError
        A column holds more than :data:`DISTINCT_LIMIT` distinct values that need parsing.
    """
    problems: dict[tuple[str, str], list[str]] = {}
    distinct: dict[str, list[Any]] = {}
    spec = TABLES[table]
    for column, mult in columns.items():
        col = spec.column(column)
        if col.kind not in TEXT_KINDS or column in defer:
            continue
        raws, every = _distinct(frame, column, col.kind, screen=column in spec.key and col.kind == "code")
        if len(raws) > DISTINCT_LIMIT:
            raise InputError(
                f"列“{column}”有超过 {DISTINCT_LIMIT:,} 个需要清洗的不同文本值，无法延迟加载",
                f"column '{column}' holds more than {DISTINCT_LIMIT:,} distinct values that need cleaning; "
                "it cannot be loaded lazily", hint_zh="请用 cm.load(..., lazy=False) 加载，或先把该列存为规范类型。",
                hint_en="load it with cm.load(..., lazy=False), or store the column with its proper type.")
        parse = _parser(table, column, mult)
        parsed = [parse(r) for r in raws]  # once per distinct value
        values = [v for v, _ in parsed]
        if col.kind == "int":  # a count with decimals is cleared (eager: not_integer)
            parsed = [(v, "not_integer") if v is not None and float(v) != round(float(v)) else (v, p)
                      for v, p in parsed]
            values = [None if p == "not_integer" or v is None else int(v) for v, p in parsed]
        for r, (_, p) in zip(raws, parsed, strict=True):
            if p is not None:
                if p == "impossible_year" and not col.required:
                    p = "out_of_range"  # an unreadable optional year: flagged and cleared, as eagerly
                problems.setdefault((column, p), []).append(r)
        # a text the parser leaves as it is (a canonical label, clean text) needs no mapping per row
        same = [p is None and isinstance(v, str) and v == r for r, v, (_, p) in zip(raws, values, parsed, strict=True)]
        frame = _mapped(frame, column, col.kind, mult, [r for r, k in zip(raws, same, strict=True) if not k],
                        [v for v, k in zip(values, same, strict=True) if not k])
        if every is not None and col.kind in ("str", "code", "category"):
            fixed = dict(zip(raws, values, strict=True))
            distinct[column] = sorted({fixed.get(v, v) for v in every} - {None})
    return frame, problems, distinct
