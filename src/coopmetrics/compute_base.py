"""Shared machinery of :mod:`coopmetrics.compute`: data access, options, group keys, masks.

Split out of ``compute.py`` (issue 11) so that the survey stage (:mod:`.compute_surveys`) and
the unit-level functions (:mod:`.compute_units`) use the same helpers without importing the
main entry point. Nothing here is public.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Collection, Iterable, Sequence
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from .codes import MAJOR_CATEGORIES
from .dataset import Dataset
from .definitions.ops import filter_expr
from .errors import InvalidOptionError
from .registry import YEAR_COLUMN, Filter, Indicator, Options
from .schema import PARTITION, SURVEY_KINDS, TABLES

#: Output columns around the group columns (the contract in docs/DESIGN.md).
OUTPUT_HEAD = ["indicator", "name_zh", "name_en"]
OUTPUT_TAIL = ["numerator", "denominator", "n", "estimate", "se", "ci_low", "ci_high", "ci_level", "ci_method",
               "n_eff", "deff", "estimate_unweighted", "response_rate", "unit", "edition", "target", "status",
               "weighting_effect", "note"]
OUTPUT_COLUMNS = (*OUTPUT_HEAD, "<by>", *OUTPUT_TAIL)
_STRING_COLUMNS = ("indicator", "name_zh", "name_en", "ci_method", "unit", "edition", "note")
_STATUS = ("reported", "suppressed", "not_applicable", "missing_input")

_LINKED_TABLES = ("survey", "internships")  # linked to graduates by student_id


def _from_native(frame: Any) -> Any:
    """``nw.from_native`` without narwhals' notice that Dask support moves to ``narwhals-dask``.

    The built-in Dask support still works; the notice means nothing to users (see
    :func:`coopmetrics.engines.to_narwhals`).
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*narwhals-dask.*", category=FutureWarning)
        return nw.from_native(frame)


class _Source:
    """Tables as narwhals LazyFrames with cached column names."""

    def __init__(self, data: Any) -> None:
        if isinstance(data, Dataset):
            self.native = {t: data[t] for t in data.tables}
            self.single = None
        elif isinstance(data, dict):
            self.native = dict(data)
            self.single = None
        else:
            try:
                _from_native(data)
            except TypeError:
                raise InvalidOptionError(
                    f"data 必须是 Dataset 或数据框，收到 {type(data).__name__}",
                    f"data must be a Dataset or a data frame, got {type(data).__name__}",
                ) from None
            self.native = {}
            self.single = data
        self._lf: dict[str, Any] = {}
        self._names: dict[str, list[str]] = {}

    def has(self, table: str) -> bool:
        return self.single is not None or table in self.native

    def lf(self, table: str) -> Any:
        if table not in self._lf:
            native = self.single if self.single is not None else self.native[table]
            self._lf[table] = _from_native(native).lazy()
        return self._lf[table]

    def names(self, table: str) -> list[str]:
        if table not in self._names:
            self._names[table] = list(self.lf(table).collect_schema().names()) if self.has(table) else []
        return self._names[table]


def _options(options: Options | None) -> Options:
    if options is None:
        return Options()
    if not isinstance(options, Options):
        raise InvalidOptionError(
            "options 必须是 coopmetrics.registry.Options 对象",
            f"options must be a coopmetrics.registry.Options instance, got {type(options).__name__}",
        )
    return options


_ITEM_NOISE = re.compile(r"[\s:：?？。.,，、;；!！\"'“”‘’()（）\[\]【】<>《》_/\\-]+")


_ITEM_PREFIX = re.compile(r"^(第?\d+题?|q\d+)")


def _norm_item(text: object) -> str:
    """An item header for matching: NFKC, lower case, punctuation and a question number removed."""
    s = _ITEM_NOISE.sub("", unicodedata.normalize("NFKC", str(text)).lower())
    return _ITEM_PREFIX.sub("", s)


def _match_overall(labels: Sequence[str], aliases: Sequence[str]) -> tuple[list[str], list[str]]:
    """(labels of the overall item, ambiguous candidates) among one questionnaire's item headers.

    An alias equal to a header (after :func:`_norm_item`) wins, in the aliases' order; else
    headers containing an alias of four or more characters (e.g. "5. 您对母校的总体满意度");
    else the one header mentioning both 总体 and 满意 ("总体而言，您对学校满意吗"). Several
    different headers matching the same way are ambiguous (nothing is picked).
    """
    norm = {lab: _norm_item(lab) for lab in labels}
    for a in aliases:
        hit = [lab for lab, n in norm.items() if n == _norm_item(a)]
        if hit:
            return hit, []
    for a in aliases:
        na = _norm_item(a)
        if len(na) < 4:
            continue
        hit = [lab for lab, n in norm.items() if na in n]
        if len({norm[h] for h in hit}) == 1:
            return hit, []
        if hit:
            return [], hit
    hit = [lab for lab, n in norm.items() if "总体" in n and "满意" in n]
    if len({norm[h] for h in hit}) == 1:
        return hit, []
    return ([], hit) if hit else ([], [])


def _resolve_overall(src: _Source, o: Options, inds: Sequence[Indicator]
                     ) -> tuple[Options, dict[str, tuple[str, str]]]:
    """Options with each questionnaire's overall item resolved to its header in the data.

    One small engine pass lists the distinct (survey_kind, item) pairs; see
    :func:`_match_overall`. Returns the options (``overall_items[kind]`` = the headers found,
    echoed in ``edition``) and, per kind without a unique overall item, a bilingual message.
    """
    kinds = sorted({i.survey_kind for i in inds if i.survey_kind is not None and any(
        f.op == "overall_item" for f in i.numerator.where)})
    if not kinds or not src.has("survey") or not {"item", "survey_kind"} <= set(src.names("survey")):
        return o, {}
    pairs = (src.lf("survey").select(nw.col("survey_kind").cast(nw.String), nw.col("item").cast(nw.String))
             .unique().collect().to_pandas())
    found: dict[str, tuple[str, ...]] = {}
    problems: dict[str, tuple[str, str]] = {}
    for kind in kinds:  # one per questionnaire (at most four)
        labels = sorted(str(x) for x in pairs.loc[pairs["survey_kind"] == kind, "item"].dropna().unique())
        hit, ambiguous = _match_overall(labels, o.overall_items.get(kind, ()))
        if hit:
            found[kind] = tuple(hit)
        elif labels:
            names = ambiguous or labels[:8]
            what = ("多个题目可能是总体满意度" if ambiguous else "未找到总体满意度题目",
                    "several items could be the overall question" if ambiguous else "no overall-satisfaction item")
            problems[kind] = (
                f"{SURVEY_KINDS.get(kind, kind)}：{what[0]}（题目：{'、'.join(names)}）；"
                f"请用 Options(overall_items={{'{kind}': ('题目名',)}}) 指定",
                f"{kind} survey: {what[1]} (items: {', '.join(names)}); name it with "
                f"Options(overall_items={{'{kind}': ('item header',)}})")
    return (o.with_(overall_items={**o.overall_items, **found}) if found else o), problems


def _by_tuple(by: str | Sequence[str] | None) -> tuple[str, ...]:
    if by is None:
        return ()
    if isinstance(by, str):
        return (by,)
    out = tuple(by)
    for b in out:
        if not isinstance(b, str):
            raise InvalidOptionError(f"by 中的列名必须是字符串：{b!r}", f"group columns must be strings: {b!r}")
    if len(set(out)) != len(out):
        raise InvalidOptionError(f"by 中有重复列：{out}", f"duplicate group columns in by: {out}")
    clash = set(out) & set(OUTPUT_HEAD + OUTPUT_TAIL)
    if clash:
        raise InvalidOptionError(f"分组列名与输出列冲突：{sorted(clash)}",
                                 f"group column names clash with output columns: {sorted(clash)}")
    return out


def _mask(filters: Sequence[Filter], o: Options, names: Sequence[str]) -> Any:
    expr = None
    for f in filters:
        e = filter_expr(f, o, names)
        expr = e if expr is None else (expr & e)
    return nw.lit(True) if expr is None else expr


#: Group column derived from 专业代码: the 专业大类 (2021 目录), shown as e.g. "46 装备制造大类".
MAJOR_CATEGORY = "major_category"


def _major_category_expr(col: str) -> Any:
    """The 2-digit 专业大类 prefix of a 6-digit 专业代码 (missing for other codes); named in _assemble."""
    code = nw.col(col).cast(nw.String).str.strip_chars()
    pre = code.str.slice(0, 2)
    return nw.when((code.str.len_chars() == 6) & pre.is_in(list(MAJOR_CATEGORIES))).then(pre)


def _key_sources(table: str, by: tuple[str, ...], src: _Source) -> tuple[list[tuple[str, str, str]] | None, str]:
    """Where each group column comes from: (output name, "col"|"grad", actual column).

    Returns (None, status) when a column cannot be provided.
    """
    names = src.names(table)
    out = []
    for b in by:
        if b == MAJOR_CATEGORY:  # 专业大类, derived from the first two digits of 专业代码
            if "major_code" in names:
                out.append((b, "col_cat", "major_code"))
                continue
            if (table in _LINKED_TABLES and src.single is None and src.has("graduates") and "student_id" in names
                    and "major_code" in src.names("graduates")):
                out.append((b, "grad_cat", "major_code"))
                continue
            in_schema = "major_code" in TABLES[table].names or table in _LINKED_TABLES
            return None, ("missing_input" if in_schema else "not_applicable")
        actual = YEAR_COLUMN[table] if b in ("year", "grad_year") else b
        if actual in names:
            out.append((b, "col", actual))
            continue
        g_actual = "grad_year" if b in ("year", "grad_year") else b
        if (table in _LINKED_TABLES and src.single is None and src.has("graduates") and "student_id" in names
                and g_actual in src.names("graduates")):
            out.append((b, "grad", g_actual))
            continue
        in_schema = actual in TABLES[table].names or (
            table in _LINKED_TABLES and g_actual in TABLES["graduates"].names)
        return None, ("missing_input" if in_schema else "not_applicable")
    return out, "ok"


def _prepare(src: _Source, table: str, keys: list[tuple[str, str, str]],
             extra_grad: Sequence[str] = ()) -> tuple[Any, list[Any], list[str]]:
    """LazyFrame of ``table`` (joined to graduates if needed) and the key expressions."""
    lf = src.lf(table)
    grad_cols = list(dict.fromkeys([a for _, k, a in keys if k in ("grad", "grad_cat")] + list(extra_grad)))
    if grad_cols:
        # 学号 are unique within a college: grouped by college (schema.PARTITION), link within it
        on = ["student_id", *[b for b, k, a in keys if k == "col" and b == a and b in PARTITION
                              and b in src.names("graduates") and b not in grad_cols]]
        g = (src.lf("graduates").select(*on, *grad_cols)
             .unique(subset=on, keep="any")
             .rename({c: f"__j_{c}" for c in grad_cols}))
        lf = lf.join(g, on=on, how="left")
    exprs, knames = [], []
    for i, (_, kind, actual) in enumerate(keys):
        col = actual if kind in ("col", "col_cat") else f"__j_{actual}"
        e = _major_category_expr(col) if kind.endswith("_cat") else nw.col(col)
        exprs.append(e.alias(f"__k{i}"))
        knames.append(f"__k{i}")
    return lf, exprs, knames


def _aggregate(lf: Any, key_exprs: list[Any], knames: list[str], stat_exprs: list[Any], stat_names: list[str],
               extra_aggs: Sequence[Any] = (), *, counts: Collection[str] = (), sort: bool = False) -> pd.DataFrame:
    """One group-by of ``lf``: every stat summed (``counts``: its non-null values counted), plus ``__rows``.

    Stats and ``__rows`` come back as float64 columns; with ``sort`` the rows are ordered by
    ``knames`` as :func:`_sort_keys` orders them.
    """
    counts = set(counts)
    aggs = [nw.col(s).count() if s in counts else nw.col(s).sum() for s in stat_names]
    aggs += [nw.len().alias("__rows"), *extra_aggs]
    sel = lf.select(*key_exprs, *stat_exprs) if (key_exprs or stat_exprs) else lf
    if knames:
        out = sel.group_by(*knames).agg(*aggs)
    else:
        out = sel.select(*aggs)
    # engines.collect (H6, scale): DuckDB's HUGEINT sums arrive as int64 instead of one Python
    # Decimal per cell, and Polars runs its streaming engine (bounded memory on large scans)
    from .engines import collect

    cols = [*stat_names, "__rows"]
    df = collect(out, arrow=True)
    if not isinstance(df, pd.DataFrame):  # an Arrow result (DuckDB): converted column by column
        return _arrow_frame(df, knames, cols, sort)
    if sort:
        df = _sort_keys(df, knames)
    typed = [s for s in cols if df[s].dtype != object]  # numeric sums: one cast of all columns
    if typed:
        df[typed] = df[typed].astype(float)
    for s in cols:
        if s not in typed:
            df[s] = pd.to_numeric(df[s]).astype(float)  # DuckDB returns Decimal sums
    return df


def _arrow_frame(table: Any, knames: list[str], stats: list[str], sort: bool) -> pd.DataFrame:
    """An aggregated Arrow table as pandas: ``stats`` straight to float64 arrays, the rest via pandas.

    Skips pandas' consolidation of the numeric columns into one block and the later cast
    and copy of that block (the suite's group-by returns ~90,000 rows × 35 sums at 10M rows).
    With ``sort``, key columns of integer and string types are ordered in Arrow (nulls last,
    the order :func:`_sort_keys` gives: keys are unique after a group-by, so ties cannot
    differ), other key types by :func:`_sort_keys` on the pandas frame.
    """
    import pyarrow as pa

    simple = all(pa.types.is_integer(t) or pa.types.is_string(t) or pa.types.is_large_string(t)
                 for t in (table.schema.field(k).type for k in knames))
    if sort and knames and len(table) > 1 and simple:
        table = table.take(_arrow_order(table, knames))
    stat_set = set(stats)
    other = [c for c in table.column_names if c not in stat_set]
    rest = table.select(other).to_pandas() if other else pd.DataFrame(index=pd.RangeIndex(len(table)))
    cols = {}
    for c in table.column_names:
        if c in stat_set:
            cols[c] = np.asarray(table.column(c).to_numpy(), dtype=float)
        else:
            cols[c] = rest[c]
    df = pd.DataFrame(cols, copy=False)
    return _sort_keys(df, knames) if sort and not simple else df


def _arrow_order(table: Any, keys: list[str]) -> Any:
    """Row order of ``table`` by ``keys``, ascending, nulls last (pyarrow >= 25: per key)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if int(pa.__version__.split(".")[0]) >= 25:
        return pc.sort_indices(table, sort_keys=[(k, "ascending", "at_end") for k in keys])
    return pc.sort_indices(table, sort_keys=[(k, "ascending") for k in keys], null_placement="at_end")


def _merge(left: pd.DataFrame, right: pd.DataFrame, on: list[str], how: str) -> pd.DataFrame:
    """Merge on group keys whose dtypes may differ between engines/tables."""
    left, right = left.copy(), right.copy()
    for c in on:
        if left[c].dtype != right[c].dtype:
            if pd.api.types.is_numeric_dtype(left[c]) and pd.api.types.is_numeric_dtype(right[c]):
                left[c] = left[c].astype("float64")
                right[c] = right[c].astype("float64")
            else:
                left[c] = left[c].astype(object)
                right[c] = right[c].astype(object)
    return left.merge(right, on=on, how=how)


def _sort_keys(df: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Sort aggregated rows by the group keys once per pass (not per indicator)."""
    if not by or not len(df):
        return df
    return df.sort_values(list(by), kind="stable", na_position="last").reset_index(drop=True)


def _repeat_categorical(values: list[str], lengths: np.ndarray, categories: Iterable[str] = ()) -> pd.Categorical:
    """A text column repeating ``values[i]`` ``lengths[i]`` times, as a pandas Categorical.

    The long output repeats a few constant texts (indicator, names, unit, edition...) on
    millions of rows; small integer codes (``np.repeat``) avoid building one string per
    row, which dominated the assembly time and memory on large group counts. Categories
    are sorted, so sorting by the column orders rows as it would for plain strings, and
    ``categories`` (e.g. every status) can be assigned later without widening the column.
    """
    cats = sorted({*values, *categories})
    index = {v: i for i, v in enumerate(cats)}
    dt = np.int8 if len(cats) < 128 else np.int32
    codes = np.repeat(np.array([index[v] for v in values], dtype=dt), lengths)
    # codes index ``cats`` by construction: pandas' check of 2 million codes is skipped
    return pd.Categorical.from_codes(codes, categories=pd.Index(cats, dtype="str"), validate=False)


def _status_column(codes: np.ndarray) -> pd.Categorical:
    """Status codes (indices into ``_STATUS``) as a Categorical holding every status."""
    cats = sorted(_STATUS)
    remap = np.array([cats.index(s) for s in _STATUS], dtype=np.int8)
    return pd.Categorical.from_codes(np.take(remap, codes), categories=pd.Index(cats, dtype="str"), validate=False)
