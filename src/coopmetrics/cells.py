"""Cell parsers for loading: one raw cell in, ``(value, problem)`` out.

Every parser here runs once per *distinct* value of a column (:func:`map_unique`
factorises the column and broadcasts the results back), never once per row:
a 1,000,000-row roster with 40 distinct salary texts reaches
:func:`parse_number` 40 times.

Examples
--------
>>> from coopmetrics.cells import _parse_code, _parse_year
>>> _parse_code("1.0E+1"), _parse_code("2024 0101 01")
(('10', None), ('2024010101', 'spaces_removed'))
>>> _parse_year("2023-2024学年")
(2024, None)
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Collection
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd

from .schema import LIKERT_TEXT

#: Survey answers that carry no score (kept as ``response`` text, ``score`` NA).
LIKERT_NA_LEVELS = frozenset({"无法评估", "不了解", "不适用", "说不清", "不清楚", "无法回答", "未接触", "不知道"})

_HEADER_SCAN = 15
_BLANK_TEXT = {"", "nan", "null", "<na>", "n/a", "#n/a", "na", "nat"}  # not "none": a title_level value
_DASHES = {"-", "--", "—", "——", "/", "无", "暂无", "—/—"}  # "nothing" in a number cell
_CJK = r"\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
_SPACE_NEAR_CJK = re.compile(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")
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


def str_hits(values: np.ndarray, pattern: str, *, full: bool = True) -> np.ndarray:
    """Which values are strings matching the RE2 ``pattern`` (whole string with ``full``)?

    Runs in pyarrow's C++ regex engine over the array: this is how distinct
    values of a million-row column are screened without a Python call each.
    Non-strings never match.

    Examples
    --------
    >>> str_hits(np.array(["10", "1.0E+1", None, 7], dtype=object), r"[0-9]+").tolist()
    [True, False, False, False]
    """
    import pyarrow.compute as pc

    out = np.zeros(len(values), dtype=bool)
    if not len(values):
        return out
    arr, is_str = _arrow_text(values)
    if arr is not None:
        hit = pc.match_substring_regex(arr, f"^(?:{pattern})$" if full else pattern)
        out[is_str] = pc.fill_null(hit, False).to_numpy(zero_copy_only=False)
    return out


def _arrow_text(values: np.ndarray) -> tuple[Any, np.ndarray]:
    """The string values as a pyarrow array, and where they sit (the all-text case without a Python loop)."""
    import pyarrow as pa

    try:
        arr = pa.array(values, type=pa.large_string(), from_pandas=True)
        return arr, np.ones(len(values), dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # numbers or dates among the text: pick the strings
        is_str = np.fromiter((type(v) is str for v in values), dtype=bool, count=len(values))
        if not is_str.any():
            return None, is_str
        return pa.array(values[is_str], type=pa.large_string()), is_str


def as_categories(frame: pd.DataFrame, skip: Collection[int] = ()) -> pd.DataFrame:
    """Each column as a pandas Categorical: its distinct values hashed once, here, for every later step.

    Blank detection, totals labels, personal-data screens and every cell parser
    work on the distinct values (:func:`factorize`); with categorical columns
    each of them costs an integer pass instead of re-hashing a million strings.
    A column whose values cannot be categorised (unhashable cells) stays as it
    is, and so do the positions in ``skip`` (personal-data columns about to be
    dropped: hashing a million names or phones would be wasted).
    """
    out = {}
    for j in range(frame.shape[1]):  # by position: a merged header can repeat a label
        col = frame.iloc[:, j]
        if j in skip:
            out[j] = col
            continue
        try:  # in order of appearance: sorting a million distinct ids would cost more than the hashing
            codes, uniq = pd.factorize(col.to_numpy(dtype=object), use_na_sentinel=True)
            out[j] = pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(uniq, dtype=object)),
                               index=frame.index)
        except (TypeError, ValueError):  # exotic cell types (unhashable, duplicate reprs): left as they are
            out[j] = col
    result = pd.DataFrame(out, index=frame.index)
    result.columns = frame.columns
    return result


def factorize(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, distinct values)`` with -1 for missing; free for categorical columns.

    Examples
    --------
    >>> codes, uniq = factorize(pd.Series(["a", None, "a", "b"], dtype="category"))
    >>> codes.tolist(), uniq.tolist()
    ([0, -1, 0, 1], ['a', 'b'])
    """
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(dtype=np.intp), np.asarray(values.cat.categories, dtype=object)
    if isinstance(values, pd.Series) and values.dtype != object:  # typed (Arrow strings ...): hashed natively
        codes, uniq = pd.factorize(values, use_na_sentinel=True)
        return np.asarray(codes, dtype=np.intp), np.asarray(uniq, dtype=object)
    arr = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else np.asarray(values, dtype=object)
    return pd.factorize(arr, use_na_sentinel=True)


def _blank_mask(df: pd.DataFrame) -> np.ndarray:
    """Boolean (rows x columns) array: is each cell blank? Evaluated once per distinct value."""
    import pyarrow as pa
    import pyarrow.compute as pc

    out = np.zeros(df.shape, dtype=bool)
    blank_words = pa.array(sorted(_BLANK_TEXT), type=pa.large_string())
    for j in range(df.shape[1]):
        col = df.iloc[:, j]
        if col.dtype == object and len(col) > 10_000:  # a column of (mostly) distinct texts: no hashing
            out[:, j] = _blank_direct(col.to_numpy(dtype=object), blank_words)
            continue
        codes, uniq = factorize(col)
        arr, is_str = _arrow_text(uniq)
        blank_u = np.zeros(len(uniq), dtype=bool)
        if arr is not None:  # text: trimmed and lower-cased in C++, then looked up
            text = pc.utf8_lower(pc.utf8_trim_whitespace(arr))
            blank_u[is_str] = pc.fill_null(pc.is_in(text, value_set=blank_words), True).to_numpy(
                zero_copy_only=False)
        others = np.flatnonzero(~is_str)
        blank_u[others] = [_is_blank(uniq[i]) for i in others]
        out[:, j] = np.append(blank_u, True)[codes]  # -1 (NA) picks the appended True
    return out


def _blank_direct(values: np.ndarray, blank_words: Any) -> np.ndarray:
    """Blank test of every cell of a column without factorising it (for columns of distinct texts)."""
    import pyarrow.compute as pc

    arr, is_str = _arrow_text(values)
    out = np.zeros(len(values), dtype=bool)
    if arr is not None:
        text = pc.utf8_lower(pc.utf8_trim_whitespace(arr))
        out[is_str] = pc.fill_null(pc.is_in(text, value_set=blank_words), True).to_numpy(zero_copy_only=False)
    others = np.flatnonzero(~is_str)
    out[others] = [_is_blank(values[i]) for i in others]
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
    if len(s) >= 16 and s.isdigit() and s[15:].strip("0") == "":
        # a long number Excel stored as a number and exported with its 15 significant digits + zeros
        return s, "precision_lost"
    if " " in s:
        packed = s.replace(" ", "")
        if re.fullmatch(r"[0-9A-Za-z_-]+", packed):  # 2024 0101 01 -> 2024010101 (typed for readability)
            return packed, "spaces_removed"
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
        return _year_of_date(x)
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
    m = re.fullmatch(r"(\d{4})[-/.年]\d{1,2}(月|[-/.月]\d{1,2}日?)?(\s.*)?", s)  # 2021-03, 2021年3月, 2021/3/1
    if m:
        return int(m.group(1)), None
    return None, "impossible_year"


_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def _year_of_date(x: datetime | date | pd.Timestamp) -> tuple[int, str | None]:
    """Year of a date cell; a year typed into a date-formatted cell (2024 -> 1905-07-16) is recovered.

    Excel stores 2024 as day 2024 after 1899-12-30, i.e. 1905-07-16: a date in
    1900-1910 whose serial number is a plausible year is that year.
    """
    serial = (pd.Timestamp(x).normalize() - _EXCEL_EPOCH).days
    if pd.Timestamp(x).year <= 1910 and 1950 <= serial <= 2100:
        return int(serial), "year_as_date"
    return pd.Timestamp(x).year, None


def _parse_date(x: object) -> tuple[pd.Timestamp | None, str | None]:
    if _is_blank(x):
        return None, None
    if isinstance(x, (datetime, date, pd.Timestamp)):
        year, prob = _year_of_date(x)
        return (pd.Timestamp(year, 1, 1), prob) if prob else (pd.Timestamp(x), None)
    if isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool):
        if float(x).is_integer() and 1950 <= float(x) <= 2100:  # a bare year, not serial 1905-07-16
            return pd.Timestamp(int(x), 1, 1), "year_as_date"
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


def _category_parser(values: dict[str, str], fallback: str | None = None
                     ) -> Callable[[object], tuple[str | None, str | None]]:
    """Parser of a category column: known labels map to their canonical value; an unknown label is
    kept as ``fallback`` (e.g. 培养模式 → ``other``) where the schema declares one, else cleared."""
    lookup = {re.sub(r"\s+", "", unicodedata.normalize("NFKC", k)).lower(): v for k, v in values.items()}

    def parse(x: object) -> tuple[str | None, str | None]:
        if _is_blank(x):
            return None, None
        key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(x))).lower()
        if key.endswith(".0") and key[:-2].isdigit():
            key = key[:-2]
        if key in lookup:
            return lookup[key], None
        return (fallback, "unknown_category_kept") if fallback else (None, "unknown_category")

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


def _unique_results(
    values: pd.Series, func: Callable[[object], tuple], fast: str | None = None,
) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """Apply ``func`` to each distinct value: ``(idx, results per distinct value)``.

    ``results[k][idx]`` is the k-th result for every row (missing cells point at
    a last slot holding None), so callers build typed columns from the few
    distinct results and one ``take`` instead of converting a million objects.

    ``fast`` names a shortcut for the common clean case so that only unusual
    values reach the Python parser: ``"digits"`` (codes made of ASCII letters and
    digits are kept as they are) or ``"number"`` (plain decimal numbers).
    """
    codes, uniq = factorize(values)
    idx = np.where(codes < 0, len(uniq), codes)
    ok = np.zeros(len(uniq), dtype=bool)
    if fast is not None and len(uniq) > 64:
        # ASCII only: full-width characters need NFKC; "2E5"-like codes need the scientific-notation check,
        # and 16+ digit numbers may be Excel's 15 significant digits padded with zeros
        if fast == "digits":
            ok = str_hits(uniq, r"[0-9A-Za-z_-]+") & ~str_hits(uniq, r"[0-9]+[eE][0-9]+") \
                & ~str_hits(uniq, r"[0-9]{16,}")
        else:
            ok = str_hits(uniq, r"-?[0-9]+(?:\.[0-9]+)?")
    rest = np.flatnonzero(~ok)
    results = [func(uniq[i]) for i in rest]
    width = len(results[0]) if results else len(func(None))
    outs = []
    for k in range(width):
        col = np.full(len(uniq) + 1, None, dtype=object)
        if k == 0 and ok.any():
            col[:-1][ok] = uniq[ok] if fast == "digits" else uniq[ok].astype(float)
        col[rest] = [r[k] for r in results]
        outs.append(col)
    return idx, tuple(outs)


def _map_unique(
    values: pd.Series, func: Callable[[object], tuple], fast: str | None = None,
) -> tuple[np.ndarray, ...]:
    """Apply ``func`` to each distinct value and broadcast the results back (one object array per result)."""
    idx, outs = _unique_results(values, func, fast)
    return tuple(o[idx] for o in outs)
