"""Unit-level views of an indicator: :func:`unit_values`, :func:`explain`, :func:`partner_profile`.

Re-exported by :mod:`coopmetrics.compute` (their public home). Split out of ``compute.py`` (issue 11).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from .codes import MAJOR_CATEGORIES
from .compute_base import (
    MAJOR_CATEGORY,
    _by_tuple,
    _key_sources,
    _mask,
    _options,
    _prepare,
    _resolve_overall,
    _Source,
)
from .compute_surveys import _respondent_weights, _roster_units, _survey_respondents
from .definitions.ops import filter_expr
from .errors import InvalidOptionError
from .registry import Indicator, Options, get_indicator, kind_of
from .schema import TABLES

__all__ = ["unit_values", "explain", "partner_profile"]


_ID_COLUMN = {"graduates": "student_id", "survey": "respondent_id", "teachers": "teacher_id",
              "internships": "student_id", "enterprises": "enterprise", "enrollment": None, "recruitment": None}


def _unit_frame(data: Any, ind: Indicator, columns: Sequence[str], o: Options,
                group: dict[str, Any] | None = None, all_rows: bool = False,
                categories: Sequence[str] = ()) -> tuple[pd.DataFrame, _Source]:
    """Materialise the rows of ``ind``'s table with masks and the requested columns (pandas);
    text columns among ``categories`` arrive as pandas categories (:func:`_collect_pandas`)."""
    src = _Source(data)
    t = ind.table
    if not src.has(t):
        raise InvalidOptionError(f"缺少表 {t}（{TABLES[t].zh}），无法计算 {ind.id}",
                                 f"table {t!r} is missing; cannot evaluate {ind.id!r}")
    req, _ = ind.columns(o)
    names = src.names(t)
    missing = [c for c in req.get(t, ()) if c not in names]
    if missing:
        raise InvalidOptionError(f"表 {t} 缺少列 {missing}，无法计算 {ind.id}",
                                 f"table {t!r} lacks column(s) {missing} needed by {ind.id!r}")
    wanted = tuple(columns) + tuple((group or {}).keys())
    keys, _status = _key_sources(t, tuple(dict.fromkeys(wanted)), src)
    if keys is None:
        raise InvalidOptionError(f"表 {t} 没有列 {list(wanted)}", f"table {t!r} cannot provide columns {list(wanted)}")
    lf, kexprs, knames = _prepare(src, t, keys)
    den = _mask(ind.denominator.where if ind.denominator is not None else ind.numerator.where, o, names)
    num = _mask(ind.numerator.where, o, names)
    sel = [*kexprs, den.alias("in_denominator"), num.alias("in_numerator")]
    if kind_of(ind).unit_value:
        sel.append(nw.col(ind.numerator.column).cast(nw.Float64).alias("value"))
    if ind.survey_kind is not None:
        sel += [nw.col("survey_kind").cast(nw.String).alias("__kind"), nw.col("respondent_id").alias("__rid"),
                nw.col("year").alias("__year"), nw.col("score").cast(nw.Float64).alias("score")]
        if o.survey_weights == "column" and "weight" in names:  # the survey's own weights, as compute uses them
            sel.append(nw.col("weight").cast(nw.Float64).alias("__w"))
    taken = {a for _, k, a in keys if k == "col"} | {"score", "value", "in_numerator", "in_denominator"}
    pass_cols = [c for c in names if c not in taken] if all_rows else []
    sel += [nw.col(c) for c in pass_cols]
    frame = lf.select(*sel)
    if not all_rows:
        frame = frame.filter(nw.col("in_denominator"))
    cats = [f"__k{i}" for i, (b, _, _) in enumerate(keys) if b in set(categories)]
    df = _collect_pandas(frame, cats)
    df = df.rename(columns={f"__k{i}": b for i, (b, _, _) in enumerate(keys)})
    return df, src


_BATCH_ROWS = 1 << 20  # rows per Arrow batch of a dictionary-encoded fetch


def _collect_pandas(frame: Any, categories: Sequence[str]) -> pd.DataFrame:
    """Collect a narwhals LazyFrame to pandas, the text columns among ``categories`` as categories.

    Why: 10M rows of short strings cost ~1 GiB as Arrow strings (and as much again in a
    pandas copy), their codes 40 MB. DuckDB casts them to ENUMs in the query
    (:func:`_duckdb_enums`) and streams Arrow batches of codes (a column of too many values
    is dictionary-encoded batch by batch, so only one batch of strings is alive at a time);
    Polars casts to ``Categorical`` in the lazy plan; other engines convert after
    collecting. Columns not listed (or not text) arrive exactly as ``collect().to_pandas()``.

    Examples
    --------
    >>> import narwhals as nw, polars as pl
    >>> lf = nw.from_native(pl.LazyFrame({"a": ["x", "y", "x"], "b": [1, 2, 3]}))
    >>> _collect_pandas(lf, ["a"]).dtypes.astype(str).tolist()
    ['category', 'int64']
    """
    if not categories:
        return frame.collect().to_pandas()
    native = nw.to_native(frame)
    if hasattr(native, "to_arrow_reader"):  # DuckDB: stream batches, encode each
        import pyarrow as pa
        import pyarrow.compute as pc

        reader = _duckdb_enums(native, categories).to_arrow_reader(_BATCH_ROWS)
        schema = reader.schema
        text = (pa.types.is_string, pa.types.is_large_string, getattr(pa.types, "is_string_view", None))
        enc = [i for i, f in enumerate(schema) if f.name in set(categories)
               and any(is_text(f.type) for is_text in text if is_text is not None)]
        for i in enc:
            schema = schema.set(i, pa.field(schema[i].name, pa.dictionary(pa.int32(), schema[i].type)))
        batches = []
        for b in reader:  # a loop over batches of ~1M rows, not rows
            # every column copied out of the batch (the numeric ones too): an imported Arrow batch
            # is freed as a whole, so one zero-copy column would keep its strings alive (10M rows:
            # 1.7 GiB peak instead of 0.6)
            cols = [pc.dictionary_encode(b.column(i)) if i in enc else pa.concat_arrays([b.column(i)])
                    for i in range(b.num_columns)]
            batches.append(pa.RecordBatch.from_arrays(cols, schema=schema))
            del b
        table = pa.Table.from_batches(batches, schema=schema).unify_dictionaries()
        del batches
        df = table.to_pandas()
        del table
        pa.default_memory_pool().release_unused()  # the freed string batches back to the system
        return df
    schema = frame.collect_schema()
    str_cols = [c for c in categories if c in schema and schema[c] == nw.String]
    if str_cols and native.__class__.__module__.startswith("polars"):
        return frame.with_columns(*[nw.col(c).cast(nw.Categorical) for c in str_cols]).collect().to_pandas()
    df = frame.collect().to_pandas()
    for c in str_cols:
        df[c] = df[c].astype("category")
    return df


_ENUM_MAX = 1 << 16  # distinct values up to which DuckDB codes a text column itself (an ENUM)


def _duckdb_enums(rel: Any, categories: Sequence[str]) -> Any:
    """``rel`` with its text columns among ``categories`` cast to ENUMs of their sorted distinct values.

    DuckDB then hands over Arrow dictionary arrays (codes) itself: no string buffers and no
    encoding batch by batch (10M rows, five text columns: ~3 s less); one aggregate over
    ``rel`` lists the values first. A column of more than ``_ENUM_MAX`` values stays text
    (the caller encodes it). Sorted levels: the same categories whatever DuckDB's thread order.
    """
    def q(c: str) -> str:
        return '"' + c.replace('"', '""') + '"'

    cols = [c for c, t in zip(rel.columns, rel.types, strict=True) if c in set(categories) and str(t) == "VARCHAR"]
    if not cols:
        return rel
    got = rel.aggregate(", ".join(f"list(DISTINCT {q(c)}) FILTER (WHERE {q(c)} IS NOT NULL)" for c in cols)).fetchall()[0]
    levels = {c: sorted(v) for c, v in zip(cols, got, strict=True) if v and len(v) <= _ENUM_MAX}
    if not levels:
        return rel
    sel = [f"CAST({q(c)} AS ENUM({', '.join(chr(39) + x.replace(chr(39), chr(39) * 2) + chr(39) for x in levels[c])}))"
           f" AS {q(c)}" if c in levels else q(c) for c in rel.columns]
    return rel.project(", ".join(sel))


def unit_values(data: Any, indicator: str | Indicator, columns: Sequence[str] = (), *,
                options: Options | None = None, categories: Sequence[str] = ()) -> pd.DataFrame:
    """One row per unit in the indicator's denominator population.

    Parameters
    ----------
    data : Dataset or frame
        As for :func:`compute`.
    indicator : str
        A proportion, weighted proportion, mean or median indicator.
    columns : sequence of str
        Columns to carry (``year``/``grad_year`` map to the table's year column;
        survey and internship rows can carry graduate columns via ``student_id``).
    options : Options, optional
    categories : sequence of str, optional
        Text columns among ``columns`` to return as pandas categories, fetched
        dictionary-encoded from the engine (memory of the codes, not of the strings;
        the adjusted comparisons use it for their covariates). Default: none.

    Returns
    -------
    pandas.DataFrame
        ``columns`` + ``value`` (0/1 for proportions; the value for means and
        medians; for survey indicators the top-box 0/1 of each valid answer, with
        ``score``) + ``weight`` (1.0 unless raked).

    Raises
    ------
    InvalidOptionError
        For ratios of table totals, counts and sums, which have no unit values.

    Examples
    --------
    >>> import pandas as pd, coopmetrics as cm
    >>> g = pd.DataFrame({"student_id": ["1", "2", "3"], "grad_year": [2024] * 3, "major": ["A", "A", "B"],
    ...                   "program": ["order_class", "regular", "regular"],
    ...                   "destination_code": ["10", "70", "801"]})
    >>> cm.unit_values(cm.Dataset(graduates=g), "placement_rate", ["program"])
           program  value  weight
    0  order_class    1.0     1.0
    1      regular    0.0     1.0
    2      regular    1.0     1.0
    """
    o = _options(options)
    ind = get_indicator(indicator)
    o, _ = _resolve_overall(_Source(data), o, [ind])
    if ind.kind not in ("proportion", "weighted_proportion", "mean", "median"):
        raise InvalidOptionError(
            f"指标 {ind.id}（{ind.name_zh}）是{'表合计之比' if ind.kind == 'ratio_of_sums' else '总量'}，没有个体值",
            f"indicator {ind.id!r} is a {ind.kind.replace('_', ' ')} of table totals and has no unit values",
        )
    columns, categories = tuple(columns), frozenset(categories)
    df, src = _unit_frame(data, ind, columns, o, categories=categories)
    if kind_of(ind).unit_value:
        value = df["value"].astype(float)
    else:
        value = df["in_numerator"].astype(bool).astype(float)
    # text columns keep their (Arrow) string arrays: a round trip through Python str objects costs
    # ~1 GiB and seconds per 3M rows and gives the same string dtype back
    # (``categories`` columns stay categories; any other column arrives as before, e.g. a Polars
    # Categorical as plain values, so that sorting and output dtypes do not depend on the engine)
    out = pd.DataFrame({c: df[c].array if isinstance(df[c].dtype, pd.StringDtype)
                        or (c in categories and isinstance(df[c].dtype, pd.CategoricalDtype)) else df[c].to_numpy()
                        for c in columns}, index=range(len(df)))
    if MAJOR_CATEGORY in out:  # "46" -> "46 装备制造大类", as compute() shows it
        out[MAJOR_CATEGORY] = out[MAJOR_CATEGORY].map({k: f"{k} {v}" for k, v in MAJOR_CATEGORIES.items()})
    out["value"] = value.to_numpy()
    if ind.survey_kind is not None:
        out["score"] = df["score"].to_numpy()
        if "__w" in df:
            # supplied weights: a respondent's largest weight, as in compute (rows may disagree)
            out["weight"] = df.groupby(["__kind", "__rid", "__year"], dropna=False)["__w"].transform("max").to_numpy()
        else:
            out["weight"] = _survey_weights_for(src, ind, o, df)
    else:
        out["weight"] = 1.0
    return out


def _survey_weights_for(src: _Source, ind: Indicator, o: Options, df: pd.DataFrame) -> np.ndarray:
    """Respondent weights for answer rows ``df`` (with __rid, __year)."""
    resp, rvars = _survey_respondents(src, [ind], o, [])
    w, _ = _respondent_weights([ind], o, resp, rvars, _roster_units(src, rvars) if rvars else None)[ind.id]
    keys = ["__kind", "__rid", "__year"]
    wmap = pd.Series(w, index=pd.MultiIndex.from_frame(resp[keys]))
    wmap = wmap[~wmap.index.duplicated()]
    out = wmap.reindex(pd.MultiIndex.from_frame(df[keys])).to_numpy(float)
    return np.where(np.isfinite(out), out, 1.0)


def _pseudonymise(values: pd.Series) -> list:
    from .privacy import pseudonymise  # lazy: privacy is only needed by explain()

    return pseudonymise(values)


def explain(data: Any, indicator: str | Indicator, *, options: Options | None = None, **group: Any) -> pd.DataFrame:
    """The records behind one cell: who is counted in the numerator and the denominator.

    Parameters
    ----------
    data : Dataset or frame
    indicator : str
    options : Options, optional
    **group
        The cell, e.g. ``grad_year=2024, major="数控技术"`` (``year`` maps to the
        table's year column).

    Returns
    -------
    pandas.DataFrame
        ``id`` (salted hash of the unit id; enterprise names kept), the group
        columns, the columns the indicator reads, ``in_numerator``,
        ``in_denominator`` and ``reason`` (the first condition a record fails,
        in Chinese / English). Every record of the cell is listed, counted or not.

    Examples
    --------
    >>> import pandas as pd, coopmetrics as cm
    >>> g = pd.DataFrame({"student_id": ["1", "2", "3"], "grad_year": [2024] * 3,
    ...                   "major": ["A"] * 3, "destination_code": ["10", "70", "99"]})
    >>> e = cm.explain(cm.Dataset(graduates=g), "placement_rate", grad_year=2024)
    >>> e[["destination_code", "in_numerator", "in_denominator"]]
      destination_code  in_numerator  in_denominator
    0               10          True            True
    1               70         False            True
    2               99         False            True
    """
    o = _options(options)
    ind = get_indicator(indicator)
    o, _ = _resolve_overall(_Source(data), o, [ind])
    if ind.survey_kind is None and len(ind.tables()) > 1:
        raise InvalidOptionError(
            f"指标 {ind.id} 来自两张表的合计，请分别查看分子表和分母表",
            f"indicator {ind.id!r} combines totals of two tables; inspect each table directly",
        )
    src = _Source(data)
    t = ind.table
    req, opt = ind.columns(o)
    read_cols = [c for c in (*req.get(t, ()), *opt.get(t, ())) if c in src.names(t)] if src.has(t) else []
    df, src = _unit_frame(data, ind, (), o, group=group, all_rows=True)
    for k, v in group.items():
        df = df[df[k] == v]
    if ind.survey_kind is not None and "survey_kind" in df:  # answers to other questionnaires are not part of it
        df = df[df["survey_kind"] == ind.survey_kind]
    df = df.reset_index(drop=True)
    idc = _ID_COLUMN.get(t)
    out = pd.DataFrame(index=df.index)
    if idc and idc in df.columns:
        out["id"] = df[idc].to_numpy() if t == "enterprises" else _pseudonymise(df[idc])
    for k in group:
        out[k] = df[k].to_numpy()
    for c in read_cols:
        if c not in out.columns and c in df.columns:
            out[c] = df[c].to_numpy()
    den = df["in_denominator"].astype(bool).to_numpy()
    num = df["in_numerator"].astype(bool).to_numpy() & den
    out["in_numerator"] = num
    out["in_denominator"] = den
    out["reason"] = _reasons(df, ind, o, src.names(t), num, den)
    return out


def _reasons(df: pd.DataFrame, ind: Indicator, o: Options, names: Sequence[str], num: np.ndarray,
             den: np.ndarray) -> np.ndarray:
    """First failing condition per record, vectorised with np.select over the filters."""
    nwdf = nw.from_native(df, eager_only=True)
    den_f = list(ind.denominator.where) if ind.denominator is not None else []
    extra = [f for f in ind.numerator.where if f not in den_f]
    if kind_of(ind).population == "numerator" or ind.denominator is None:
        den_f, extra = list(ind.numerator.where), []
    conds, texts = [], []
    for f in den_f:
        ok = nwdf.select(filter_expr(f, o, names).alias("m"))["m"].to_numpy().astype(bool)
        conds.append(~ok)
        texts.append(f"不计入分母：不满足「{f.describe('zh')}」 / not in denominator: fails '{f.describe('en')}'")
    for f in extra:
        ok = nwdf.select(filter_expr(f, o, names).alias("m"))["m"].to_numpy().astype(bool)
        conds.append(~ok)
        texts.append(f"计入分母但不计入分子：不满足「{f.describe('zh')}」 / denominator only: fails "
                     f"'{f.describe('en')}'")
    counted = "计入分子和分母 / counted in numerator and denominator" if ind.denominator is not None \
        else "计入 / counted"
    if not conds:
        return np.full(len(df), counted, dtype=object)
    return np.select(conds, texts, default=counted).astype(object)


_PROFILE_SUMS = ("equipment_value", "funds", "donated_equipment", "part_time_teachers", "part_time_hours",
                 "internship_positions", "interns_received", "order_students", "graduates_hired", "co_bases",
                 "co_courses", "co_textbooks", "tech_service_income", "training_income", "training_person_days")


def partner_profile(data: Any, by: str | Sequence[str] = ("enterprise", "year")) -> pd.DataFrame:
    """One row per partner (and year): totals of every ledger column present.

    Also ``majors`` (distinct majors cooperating), ``first_year`` (earliest
    ``partnership_start``) and ``hires_per_intern``. No composite score: rank
    partners on the columns you choose.

    Examples
    --------
    >>> import pandas as pd, coopmetrics as cm
    >>> e = pd.DataFrame({"enterprise": ["甲", "甲", "乙"], "year": [2024] * 3, "major": ["A", "B", "A"],
    ...                   "interns_received": [10, 5, 2], "graduates_hired": [3, 1, 0]})
    >>> partner_profile(cm.Dataset(enterprises=e))[["enterprise", "majors", "interns_received", "graduates_hired"]]
      enterprise  majors  interns_received  graduates_hired
    0          乙       1               2.0              0.0
    1          甲       2              15.0              4.0
    """
    src = _Source(data)
    if not src.has("enterprises"):
        raise InvalidOptionError("缺少表 enterprises（合作企业年度台账）", "table 'enterprises' is missing")
    by_t = _by_tuple(by)
    names = src.names("enterprises")
    miss = [b for b in by_t if b not in names]
    if miss:
        raise InvalidOptionError(f"合作企业台账缺少列 {miss}", f"the enterprise ledger lacks column(s) {miss}")
    lf = src.lf("enterprises")
    sums = [c for c in _PROFILE_SUMS if c in names]
    keep = [c for c in ("major", "partnership_start") if c in names and c not in by_t]
    lf = lf.select(*by_t, *keep, *[nw.col(c).cast(nw.Float64) for c in sums])
    aggs = [nw.col(c).sum() for c in sums]
    if "major" in names:
        aggs.append(nw.col("major").n_unique().alias("majors"))
    if "partnership_start" in names:
        aggs.append(nw.col("partnership_start").min().alias("first_year"))
    df = lf.group_by(*by_t).agg(*aggs).collect().to_pandas()
    if "graduates_hired" in df and "interns_received" in df:
        with np.errstate(divide="ignore", invalid="ignore"):
            df["hires_per_intern"] = np.where(df["interns_received"] > 0,
                                              df["graduates_hired"] / df["interns_received"], np.nan)
    return df.sort_values(list(by_t)).reset_index(drop=True)


def mean_value_counts(data: Any, indicator: str | Indicator, by: Sequence[str], *,
                      options: Options | None = None, exact_max: int | None = None,
                      ) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame] | None:
    """Units per group and distinct value of a column-mean indicator, counted by the engine.

    One filtered ``group_by(by + [value]).agg(len)`` on the indicator's table (DuckDB,
    Polars, Dask push it down): the sufficient table of a bootstrap of the mean, a few
    columns wide, without the unit rows or the result columns of :func:`compute`.

    With ``exact_max`` (the hybrid bootstrap of :mod:`coopmetrics.compare_base`) a second
    engine group-by gives every group's power sums ``n, s1..s4`` (``s_k = Σ x^k``), and
    the counts are kept (by an engine join) only for the groups that may need the exact
    resample: ``n <= exact_max``, or too skewed / too little spread for the approximation
    (:func:`coopmetrics.compare_base._exact_candidates`, a superset of the final choice).
    Large groups, whose distinct values are nearly as many as their rows, never reach
    pandas.

    Parameters
    ----------
    data : Dataset or frame
    indicator : str
        An unweighted ``mean`` indicator averaging one column.
    by : sequence of str
        Group columns (plain columns or graduate columns joined by ``student_id``).
    options : Options, optional
    exact_max : int, optional
        Keep the counts only of groups that may need the exact bootstrap, and return the
        power sums of all groups too.

    Returns
    -------
    pandas.DataFrame, (DataFrame, DataFrame) or None
        ``by`` columns + ``value`` + ``n`` (units); with ``exact_max`` also the moments
        ``by`` + ``n, s1, s2, s3, s4``. ``None`` when the indicator is not a plain column
        mean or a ``by`` column is derived (e.g. major category), so that the caller takes
        another route.

    Examples
    --------
    >>> import pandas as pd, coopmetrics as cm
    >>> g = pd.DataFrame({"student_id": list("1234"), "grad_year": [2024] * 4, "major": list("AABB"),
    ...                   "destination_code": ["10"] * 4, "monthly_salary": [4000.0, 4000.0, 5000.0, None]})
    >>> mean_value_counts(cm.Dataset(graduates=g), "salary_mean", ["major"]).sort_values("major").values.tolist()
    [['A', 4000.0, 2.0], ['B', 5000.0, 1.0]]
    """
    from .compare_base import _exact_candidates
    from .definitions.records import Filter
    from .engines import collect

    o = _options(options)
    ind = get_indicator(indicator)
    m = ind.numerator
    if ind.kind != "mean" or ind.survey_kind is not None or getattr(m, "agg", None) != "mean" or not m.column:
        return None
    src = _Source(data)
    o, _ = _resolve_overall(src, o, [ind])
    t = ind.table
    if not src.has(t) or m.column not in src.names(t):
        return None
    keys, _status = _key_sources(t, _by_tuple(list(by)), src)
    if keys is None or any(kind.endswith("_cat") for _, kind, _ in keys):
        return None
    lf, kexprs, knames = _prepare(src, t, keys)
    f = lf.filter(_mask((*m.where, Filter(m.column, "notnull")), o, src.names(t))).select(
        *kexprs, nw.col(m.column).cast(nw.Float64).alias("value"))
    names = {f"__k{i}": b for i, (b, _, _) in enumerate(keys)}
    mom = None
    if exact_max is not None:  # power sums of every group; counts only where the exact route may be needed
        v = nw.col("value")  # powers first: simple sums are what every engine's group-by does well
        p = f.with_columns((v * v).alias("s2"), (v * v * v).alias("s3"), (v * v * v * v).alias("s4"))
        arms = p.group_by(*knames).agg(nw.len().alias("n"), v.sum().alias("s1"),
                                       *[nw.col(c).sum() for c in ("s2", "s3", "s4")])
        need = arms.filter(_exact_candidates(exact_max)).select(*knames)
        f = f.join(need, on=list(knames), how="inner")  # rows of those groups only, before counting
        mom = collect(arms).rename(columns=names)
        mom["n"] = pd.to_numeric(mom["n"]).astype(float)
    df = collect(f.group_by(*knames, "value").agg(nw.len().alias("n")))
    df["n"] = pd.to_numeric(df["n"]).astype(float)
    df["value"] = pd.to_numeric(df["value"]).astype(float)
    df = df.rename(columns=names)
    return df if mom is None else (df, mom)
