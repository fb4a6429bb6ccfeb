"""compute(), unit_values(), explain(): indicators by group in one pass per table.

How it works (and why it scales)
--------------------------------
Every indicator in :mod:`coopmetrics.registry` reduces to group-wise
*sufficient statistics*: counts of units meeting filters, sums and sums of
squares of a column, cross products for ratios, weighted sums and sums of
squared weights for surveys. For each table, :func:`compute` translates the
declared filters of all requested indicators into `narwhals
<https://narwhals-dev.github.io/narwhals/>`_ expressions, evaluates every
distinct filter once per row and builds all derived 0/1 and masked-value
columns in one lazy ``select`` chain, and aggregates them in ONE
``group_by(by).agg(sum ...)``. The same code therefore runs on pandas, Polars
(Lazy)Frames, DuckDB relations and Dask DataFrames; only the small aggregated
frame comes back to pandas, where :mod:`coopmetrics.estimators` computes
estimates and intervals for all groups at once. There is no Python loop per
group or per row.

Extra passes, each also one engine ``group_by``:

* medians: a filtered pass per median indicator; ranks within each group
  (``rank().over(by)``, a window function) pick the middle order statistics
  (an exact median on every engine) and the bounds of the distribution-free
  interval. On Arrow tables narwhals has no grouped rank (and its grouped
  median is approximate), so the filtered key and value columns are ranked in
  pandas; on Dask the engine's exact median is reported without an interval
  (``ci_method`` says ``none``);
* distinct counts (partner enterprises): ``unique`` then ``group_by().agg(len)``;
* surveys: answers are summed per respondent in the engine (respondent = cluster
  of item answers; each respondent counts once, with their share of top-box
  answers), the respondent-level frame (one row per respondent) comes back to
  pandas, every questionnaire is raked to the graduate roster's margins within
  each year (counted in the engine; a year's weights sum to its graduates) in one
  :func:`coopmetrics.weighting.rake` call, and the respondents are aggregated once
  more; the calibration-aware variance (:func:`calibrated_variance`) needs one
  small solve per year. The scorecard satisfaction figures use the overall
  question only, found by its header (:func:`_match_overall`).

Group columns
-------------
``by`` names columns of the indicator's table. ``"year"`` and
``"grad_year"`` both mean the table's year column (``grad_year`` in
``graduates``, ``year`` elsewhere), so ``by=("grad_year", "major")`` works
for teachers too; the output column keeps the name you asked for. Survey and
internship records are linked to ``graduates`` by ``student_id`` for group
columns they lack (``program``, ``department``, ``gender``...). A group column
the table cannot provide gives one row with status ``not_applicable`` (column
not in that table's schema) or ``missing_input`` (in the schema but not in the
data).

Examples
--------
>>> import pandas as pd
>>> import coopmetrics as cm
>>> g = pd.DataFrame({"student_id": list("abcde"), "grad_year": [2024] * 5,
...                   "major": ["数控"] * 5, "destination_code": ["10", "11", "76", "70", "99"]})
>>> res = cm.compute(cm.Dataset(graduates=g), ["placement_rate", "unknown_destination_count"])
>>> res[["indicator", "grad_year", "numerator", "denominator", "estimate"]]
                   indicator  grad_year  numerator  denominator  estimate
0             placement_rate       2024        3.0          5.0       0.6
1  unknown_destination_count       2024        1.0          NaN       1.0
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from . import estimators as est
from . import registry as _registry
from .codes import MAJOR_CATEGORIES, PROFILES
from .dataset import Dataset
from .definitions.ops import FILTER_OPS, code_key_expr, codes_expr, filter_expr
from .errors import InvalidOptionError, check_option, closest
from .registry import (
    YEAR_COLUMN,
    Filter,
    Indicator,
    Measure,
    Options,
    get_indicator,
    kind_of,
)
from .schema import SURVEY_KINDS, TABLES

__all__ = ["compute", "unit_values", "explain", "partner_profile", "calibrated_variance", "OUTPUT_COLUMNS"]

#: Output columns around the group columns (the contract in docs/DESIGN.md).
OUTPUT_HEAD = ["indicator", "name_zh", "name_en"]
OUTPUT_TAIL = ["numerator", "denominator", "n", "estimate", "se", "ci_low", "ci_high", "ci_level", "ci_method",
               "n_eff", "deff", "estimate_unweighted", "response_rate", "unit", "edition", "target", "status",
               "weighting_effect", "note"]
OUTPUT_COLUMNS = (*OUTPUT_HEAD, "<by>", *OUTPUT_TAIL)

_LINKED_TABLES = ("survey", "internships")  # linked to graduates by student_id
_ID_COLUMN = {"graduates": "student_id", "survey": "respondent_id", "teachers": "teacher_id",
              "internships": "student_id", "enterprises": "enterprise", "enrollment": None, "recruitment": None}


# --- data access -------------------------------------------------------------------------------


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


def _resolve_indicators(indicators: Any) -> list[Indicator]:
    if indicators is None:
        return list(_registry.REGISTRY)  # read at call time: register_indicator() may have added some
    if isinstance(indicators, (str, Indicator)):
        indicators = [indicators]
    return [get_indicator(i) for i in indicators]


# --- filters -> narwhals expressions ---------------------------------------------------------------


# the op table is the one home of every filter op; these names are kept for existing callers
_codes_expr = codes_expr
_code_key_expr = code_key_expr
_filter_expr = filter_expr


def _mask(filters: Sequence[Filter], o: Options, names: Sequence[str]) -> Any:
    expr = None
    for f in filters:
        e = _filter_expr(f, o, names)
        expr = e if expr is None else (expr & e)
    return nw.lit(True) if expr is None else expr


# --- planning ------------------------------------------------------------------------------------


@dataclass
class _Pass:
    """One group-by pass over one table.

    Stage A evaluates every distinct filter once as a boolean column (``f0, f1``...) and every
    value column once as a float with missing as 0 (``v0``...); stage B builds the summed
    statistics (``s0, s1``...) from those columns only, so a filter shared by many indicators
    (e.g. "employed") is evaluated once per row.
    """

    table: str
    o: Options
    names: Sequence[str]
    exprs: dict[tuple, tuple[str, Any]] = field(default_factory=dict)  # key -> (name, stage-B expr)
    filters: dict[str, tuple[str, Any]] = field(default_factory=dict)  # repr(filter) -> (name, stage-A expr)
    values: dict[str, tuple[str, Any]] = field(default_factory=dict)  # column -> (name, stage-A expr)
    pre: dict[str, Any] = field(default_factory=dict)  # derived column -> builder (read by stage A)

    def add(self, key: tuple, expr: Any) -> str:
        if key not in self.exprs:
            self.exprs[key] = (f"s{len(self.exprs)}", expr)
        return self.exprs[key][0]

    def mask(self, filters: Sequence[Filter]) -> Any:
        expr = None
        for f in filters:
            k = repr(f)
            if k not in self.filters:
                self.filters[k] = (f"f{len(self.filters)}", self._filter(f))
            e = nw.col(self.filters[k][0])
            expr = e if expr is None else (expr & e)
        return nw.lit(True) if expr is None else expr

    def _filter(self, f: Filter) -> Any:
        """Stage-A expression of ``f``: the op's keyed variant when its input columns are present
        (destination-code filters then test the derived code key), else its plain expression."""
        op = FILTER_OPS.get(f.op)
        if op is not None and op.keyed is not None and all(c in self.names for c in op.columns(f, self.o)[0]):
            e = op.keyed(f, self.o)
            if e is not None:
                if op.pre is not None:
                    self.pre.setdefault(*op.pre)
                return e
        return filter_expr(f, self.o, self.names)

    def stage_pre(self) -> list[Any]:
        """Per-row derived columns the stage-A filters read (e.g. the destination code key)."""
        return [build() for build in self.pre.values()]

    def val(self, column: str | None) -> Any:
        if column is None:
            return nw.lit(1.0)
        if column not in self.values:
            self.values[column] = (f"v{len(self.values)}", nw.col(column).cast(nw.Float64).fill_null(0.0))
        return nw.col(self.values[column][0])

    def stage_a(self) -> list[Any]:
        return [e.alias(n) for n, e in (*self.filters.values(), *self.values.values())]

    def stage_b(self) -> tuple[list[Any], list[str]]:
        return [e.alias(n) for n, e in self.exprs.values()], [n for n, _ in self.exprs.values()]


def _fkey(filters: Sequence[Filter]) -> tuple:
    return tuple(sorted(repr(f) for f in filters))


def _add_count(p: _Pass, filters: Sequence[Filter]) -> str:
    return p.add(("count", _fkey(filters)), p.mask(filters).cast(nw.Int64))


def _value(p: _Pass, column: str | None, filters: Sequence[Filter]) -> Any:
    return nw.when(p.mask(filters)).then(p.val(column)).otherwise(0.0)


def _add_sum(p: _Pass, m: Measure, power: int = 1) -> str:
    v = _value(p, m.column, m.where)
    return p.add(("sum", m.column, _fkey(m.where), power), v * v if power == 2 else v)


def _add_measure(p: _Pass, m: Measure) -> str:
    """Total of one side of a ratio: a sum, a count, or a weighted count (Σ c_k · count_k)."""
    if m.agg == "sum":
        return _add_sum(p, m)
    if m.agg == "weighted_count":
        e = None
        for c, fs in m.terms:
            term = p.mask((*m.where, *fs)).cast(nw.Float64) * float(c)
            e = term if e is None else e + term
        key = ("wcount", _fkey(m.where), tuple((c, _fkey(fs)) for c, fs in m.terms))
        return p.add(key, e)
    return _add_count(p, m.where)


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
        g = (src.lf("graduates").select("student_id", *grad_cols)
             .unique(subset=["student_id"], keep="any")
             .rename({c: f"__j_{c}" for c in grad_cols}))
        lf = lf.join(g, on="student_id", how="left")
    exprs, knames = [], []
    for i, (_, kind, actual) in enumerate(keys):
        col = actual if kind in ("col", "col_cat") else f"__j_{actual}"
        e = _major_category_expr(col) if kind.endswith("_cat") else nw.col(col)
        exprs.append(e.alias(f"__k{i}"))
        knames.append(f"__k{i}")
    return lf, exprs, knames


def _aggregate(lf: Any, key_exprs: list[Any], knames: list[str], stat_exprs: list[Any], stat_names: list[str],
               extra_aggs: Sequence[Any] = ()) -> pd.DataFrame:
    aggs = [nw.col(s).sum() for s in stat_names] + [nw.len().alias("__rows"), *extra_aggs]
    sel = lf.select(*key_exprs, *stat_exprs) if (key_exprs or stat_exprs) else lf
    if knames:
        out = sel.group_by(*knames).agg(*aggs)
    else:
        out = sel.select(*aggs)
    # engines.collect (H6, scale): DuckDB's HUGEINT sums arrive as int64 instead of one Python
    # Decimal per cell, and Polars runs its streaming engine (bounded memory on large scans)
    from .engines import collect

    df = collect(out)
    for s in stat_names + ["__rows"]:
        df[s] = pd.to_numeric(df[s]).astype(float)  # DuckDB returns Decimal sums
    return df


# --- the main entry point ------------------------------------------------------------------------


def compute(
    data: Any,
    indicators: str | Sequence[str | Indicator] | None = None,
    by: str | Sequence[str] | None = ("grad_year",),
    *,
    ci_method: str = "wilson",
    ci_level: float = 0.95,
    options: Options | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Compute indicators by group with numerator, denominator and interval.

    Parameters
    ----------
    data : Dataset, dict of frames, or one frame
        A :class:`~coopmetrics.Dataset` (tables as pandas, Polars, DuckDB or Dask
        frames), or a single frame taken as the table every indicator needs.
    indicators : str or list, optional
        Indicator ids (see :func:`coopmetrics.indicators`); all by default.
    by : str or sequence of str
        Group columns (see the module notes for ``year``/``grad_year``).
    ci_method : {"wilson", "beta", "jeffreys", "agresti_coull", "normal"}
        Interval for proportions (``clopper-pearson`` and ``agresti-coull`` accepted).
        Means use t intervals, medians order statistics, ratios of sums the delta method.
    ci_level : float
        Confidence level in (0, 1).
    options : Options, optional
        Definition choices; echoed in ``edition``.
    progress : bool
        Show a tqdm bar over the passes.

    Returns
    -------
    pandas.DataFrame
        Columns ``indicator, name_zh, name_en, <by...>, numerator, denominator, n, estimate,
        se, ci_low, ci_high, ci_level, ci_method, n_eff, deff, estimate_unweighted,
        response_rate, unit, edition, target, status, weighting_effect, note``. For survey shares
        ``numerator``/``denominator``/``n`` count respondents (people), ``deff`` is the design
        effect of the estimate (variance over the SRS variance), ``n_eff = n / deff`` and
        ``weighting_effect`` Kish's ``1 + CV²`` of the weights; ``response_rate`` =
        respondents who returned the questionnaire / graduates of the group.
        ``note`` (last column, same on every row of an indicator) is a bilingual
        "中文 / English" note when the indicator could not be computed as asked (missing
        table or column, weighting not possible) or left respondents out; ``""`` otherwise.
        Nothing is kept in ``DataFrame.attrs``.

    Examples
    --------
    >>> import pandas as pd, coopmetrics as cm
    >>> t = pd.DataFrame({"student_id": ["1", "2", "3", "4"], "year": [2024] * 4,
    ...                   "enterprise": ["甲", "甲", "乙", "乙"],
    ...                   "hired": pd.array([True, False, True, None], dtype="boolean")})
    >>> r = cm.compute(cm.Dataset(internships=t), "intern_hire_rate", by="year")
    >>> r[["year", "numerator", "denominator", "estimate", "status"]]
       year  numerator  denominator  estimate    status
    0  2024        2.0          3.0  0.666667  reported
    """
    opts = _options(options)
    method = est.canonical_method(ci_method)
    if not isinstance(ci_level, (int, float)) or not 0 < float(ci_level) < 1:
        raise InvalidOptionError(f"ci_level 必须在 0 和 1 之间，收到 {ci_level!r}",
                                 f"ci_level must be between 0 and 1, got {ci_level!r}")
    check_option("progress", progress, [True, False], "compute")
    by_t = _by_tuple(by)
    inds = _resolve_indicators(indicators)
    src = _Source(data)
    _check_by_names(by_t, src)
    opts, overall_problems = _resolve_overall(src, opts, inds)
    ctx = _Context(src, opts, by_t, float(ci_level), method)
    ctx.overall_problems = overall_problems
    for ind in inds:
        ctx.plan(ind)
    ctx.run(progress)
    return _assemble([ctx.finish(ind) for ind in inds], by_t)


def _check_by_names(by: tuple[str, ...], src: _Source) -> None:
    known = {"year", "grad_year", MAJOR_CATEGORY} | {c for t in TABLES.values() for c in t.names}
    if src.single is not None:
        known |= set(src.names("graduates"))
    else:
        for t in src.native:
            known |= set(src.names(t))
    for b in by:
        if b not in known:
            guess = closest(b, known)
            hint = f" (did you mean {guess[0]!r}?)" if guess else ""
            raise InvalidOptionError(
                f"分组列 {b!r} 不在任何表中{('（是否想用 ' + repr(guess[0]) + '？）') if guess else ''}",
                f"group column {b!r} is not a column of any table{hint}",
            )


@dataclass
class _Plan:
    ind: Indicator
    status: str = "ok"
    message: tuple[str, str] | None = None
    stats: dict[str, tuple[str, str]] = field(default_factory=dict)  # role -> (table, stat name)
    special: str | None = None  # statistics from a dedicated pass: "survey", "median" or "distinct"
    keys: dict[str, list] = field(default_factory=dict)


class _Collector:
    """What a kind's ``collect`` may ask for (see :class:`coopmetrics.definitions.kinds.Collector`)."""

    def __init__(self, ctx: _Context, plan: _Plan, ind: Indicator) -> None:
        self.ctx, self.plan, self.ind = ctx, plan, ind

    def _at(self, table: str | None) -> tuple[str, _Pass]:
        t = table or self.ind.table
        return t, self.ctx._pass(t)

    def count(self, role: str, where: Sequence[Filter], table: str | None = None) -> None:
        t, p = self._at(table)
        self.plan.stats[role] = (t, _add_count(p, where))

    def total(self, role: str, m: Measure, power: int = 1, table: str | None = None) -> None:
        t, p = self._at(table)
        self.plan.stats[role] = (t, _add_sum(p, m, power=power))

    def measure(self, role: str, m: Measure, table: str | None = None) -> None:
        t, p = self._at(table)
        self.plan.stats[role] = (t, _add_measure(p, m))

    def moments(self, num: Measure, den: Measure, table: str | None = None) -> None:
        t, p = self._at(table)
        vx = _value(p, num.column, num.where)
        vy = _value(p, den.column, den.where)
        k = (_fkey(num.where), num.column, _fkey(den.where), den.column)
        self.plan.stats["sxx"] = (t, p.add(("xx", *k), vx * vx))
        self.plan.stats["syy"] = (t, p.add(("yy", *k), vy * vy))
        self.plan.stats["sxy"] = (t, p.add(("xy", *k), vx * vy))
        either = (p.mask(num.where) | p.mask(den.where)).cast(nw.Int64)
        self.plan.stats["n"] = (t, p.add(("either", *k), either))

    def special(self, name: str) -> None:
        check_option("special pass", name, ["survey", "median", "distinct"], "Collector")
        self.plan.special = name
        if name == "survey":
            self.ctx.surveys.append(self.ind)
        else:
            self.ctx.extra.append((self.ind.id, self.ind, name))


class _Context:
    def __init__(self, src: _Source, o: Options, by: tuple[str, ...], level: float, method: str) -> None:
        self.src, self.o, self.by, self.level, self.method = src, o, by, level, method
        self.passes: dict[str, _Pass] = {}
        self.keys: dict[str, list[tuple[str, str, str]]] = {}
        self.results: dict[str, pd.DataFrame] = {}
        self.plans: dict[str, _Plan] = {}
        self.extra: list[tuple[str, Indicator, str]] = []  # median / distinct passes
        self.surveys: list[Indicator] = []
        self.extra_results: dict[str, pd.DataFrame] = {}
        self.messages: dict[str, str] = {}
        self.overall_problems: dict[str, tuple[str, str]] = {}

    # planning ---------------------------------------------------------------------------------
    def _table_ok(self, plan: _Plan, table: str, req: Sequence[str]) -> bool:
        if not self.src.has(table):
            plan.status = "missing_input"
            plan.message = (f"未提供数据：缺少表 {table}（{TABLES[table].zh}）",
                            f"not provided: table {table!r} is missing")
            return False
        names = self.src.names(table)
        missing = [c for c in req if c not in names]
        if missing:
            plan.status = "missing_input"
            zh = "、".join(f"{c}（{TABLES[table].column(c).zh}）" if c in TABLES[table].names else c for c in missing)
            plan.message = (f"未提供数据：表 {table} 缺少列 {zh}", f"not provided: table {table!r} lacks column(s) "
                            f"{missing}")
            return False
        keys, status = _key_sources(table, self.by, self.src)
        if keys is None:
            plan.status = status
            plan.message = (f"表 {table} 无法按 {list(self.by)} 分组", f"table {table!r} cannot be grouped by "
                            f"{list(self.by)}")
            return False
        self.keys[table] = keys
        return True

    def _pass(self, table: str) -> _Pass:
        if table not in self.passes:
            self.passes[table] = _Pass(table, self.o, self.src.names(table))
        return self.passes[table]

    def plan(self, ind: Indicator) -> None:
        plan = _Plan(ind)
        self.plans[ind.id] = plan
        req, _ = ind.columns(self.o)
        for table in ind.tables():
            if not self._table_ok(plan, table, req.get(table, ())):
                return
        # profile-bound components: category must exist in the profile
        for m in ind.measures():
            for f in m.where:
                if f.op == "in_profile" and f.value[1] != "placed":
                    prof = f.value[0] or self.o.profile
                    if f.value[1] not in PROFILES[prof].groups:
                        plan.status = "not_applicable"
                        return
        if ind.survey_kind in self.overall_problems and any(f.op == "overall_item" for f in ind.numerator.where):
            plan.status = "missing_input"
            plan.message = self.overall_problems[ind.survey_kind]
            return
        kind_of(ind).collect(_Collector(self, plan, ind), ind)

    # running ----------------------------------------------------------------------------------
    def run(self, progress: bool) -> None:
        jobs: list[tuple[str, Any]] = [("table", t) for t in self.passes] + [("extra", x) for x in self.extra]
        if self.surveys:
            jobs.append(("survey", None))
        it: Iterable = jobs
        if progress:
            from tqdm.auto import tqdm

            it = tqdm(jobs, desc="coopmetrics.compute", unit="pass")
        for kind, job in it:
            if kind == "table":
                self._run_table(job)
            elif kind == "survey":
                self._run_surveys()
            else:
                self._run_extra(*job)

    def _run_table(self, table: str) -> None:
        p = self.passes[table]
        keys = self.keys[table]
        lf, kexprs, knames = _prepare(self.src, table, keys)
        stage_a = p.stage_a()  # builds the filters first, so the derived columns (p.pre) are known
        pre = p.stage_pre()
        if pre:
            lf = lf.with_columns(*pre)
        # a plain row count with no group needs no column; narwhals' select needs at least one
        lf = lf.select(*kexprs, *stage_a) if (kexprs or stage_a) else lf.select(nw.lit(1).alias("__one"))
        exprs, names = p.stage_b()
        df = _aggregate(lf, [nw.col(k) for k in knames], knames, exprs, names)
        self.results[table] = _sort_keys(df.rename(columns={f"__k{i}": b for i, (b, _, _) in enumerate(keys)}),
                                         self.by)

    def _run_extra(self, ind_id: str, ind: Indicator, name: str) -> None:
        if name == "median":
            res, with_ci = self._run_median(ind)
            res["ci"] = float(with_ci)  # read by the median kind's estimator
        else:
            res = self._run_distinct(ind)
        self.extra_results[ind_id] = _sort_keys(res, self.by)

    def _run_median(self, ind: Indicator) -> tuple[pd.DataFrame, bool]:
        """Grouped median with its order-statistic interval; the flag says whether it has one."""
        t = ind.table
        keys = self.keys[t]
        names = self.src.names(t)
        lf, kexprs, knames = _prepare(self.src, t, keys)
        m = ind.numerator
        v = nw.col(m.column).cast(nw.Float64)
        f = lf.filter(_mask((*m.where, Filter(m.column, "notnull")), self.o, names)).select(*kexprs, v.alias("__v"))
        z2 = est.z_value(self.level) ** 2
        with_ci = True
        try:
            out = _ranked_median(f, knames, z2)
        except NotImplementedError:
            if f.implementation is nw.Implementation.PYARROW:
                # narwhals has no grouped rank on pyarrow and maps its grouped median to an approximate
                # one; an in-memory Arrow table's filtered (keys, value) columns are small: rank in pandas
                out = _ranked_median(nw.from_native(f.collect().to_pandas()).lazy(), knames, z2)
            else:
                # Dask: no grouped rank in narwhals; the engine's exact median, without an interval
                with_ci = False
                aggs = [nw.col("__v").median().alias("median"), nw.col("__v").count().alias("n")]
                out = (f.group_by(*knames).agg(*aggs) if knames else f.select(*aggs)).collect().to_pandas()
                out["lo"] = np.nan
                out["hi"] = np.nan
        for c in ("median", "n", "lo", "hi"):
            out[c] = pd.to_numeric(out[c]).astype(float)
        return out.rename(columns={f"__k{i}": b for i, (b, _, _) in enumerate(keys)}), with_ci

    def _run_distinct(self, ind: Indicator) -> pd.DataFrame:
        t = ind.table
        keys = self.keys[t]
        names = self.src.names(t)
        lf, kexprs, knames = _prepare(self.src, t, keys)
        m = ind.numerator
        f = lf.filter(_mask((*m.where, Filter(m.column, "notnull")), self.o, names)).select(
            *kexprs, nw.col(m.column).alias("__u")).unique()
        out = (f.group_by(*knames).agg(nw.len().alias("c")) if knames else f.select(nw.len().alias("c")))
        df = out.collect().to_pandas()
        if knames:  # a group with rows but no match counts 0 (as row counts do), it does not vanish
            df = lf.select(*kexprs).unique().collect().to_pandas().merge(df, on=knames, how="left")
        df["c"] = pd.to_numeric(df["c"]).fillna(0).astype(float)
        return df.rename(columns={f"__k{i}": b for i, (b, _, _) in enumerate(keys)})

    def _survey_roster(self) -> pd.DataFrame | None:
        """Graduates per group (the response rate's denominator), or None without a roster."""
        src = self.src
        if src.single is None and src.has("graduates") and "item" not in self.by:
            if "graduates" in self.results:  # the graduates pass of this call already counted them
                return self.results["graduates"][[*self.by, "__rows"]].rename(columns={"__rows": "roster"})
            gkeys, _ = _key_sources("graduates", self.by, src)
            if gkeys is not None:
                lf, kexprs, knames = _prepare(src, "graduates", gkeys)
                roster = _aggregate(lf, kexprs, knames, [], [])
                roster = roster.rename(columns={f"__k{i}": b for i, (b, _, _) in enumerate(gkeys)})
                return roster.rename(columns={"__rows": "roster"})
        return None

    def _add_roster(self, ind: Indicator, agg: pd.DataFrame, roster: pd.DataFrame | None) -> pd.DataFrame:
        by = list(self.by)
        if roster is not None and ind.survey_kind != "employer":
            return _merge(agg, roster, by, how="left") if by else agg.assign(roster=float(roster["roster"].iloc[0]))
        return agg.assign(roster=np.nan)

    def _run_surveys(self) -> None:
        """All survey indicators: one engine pass to respondent level, then raking and stage 2 in pandas.

        Without raking (supplied ``weight`` column, or unweighted) both stages run inside the
        engine: see :meth:`_run_surveys_in_engine`.
        """
        o, src, by = self.o, self.src, list(self.by)
        if o.survey_weights != "raking":
            self._run_surveys_in_engine()
            return
        resp, rvars = _survey_respondents(src, self.surveys, o, self.keys["survey"])
        roster_units = _roster_units(src, rvars) if rvars else None
        roster = self._survey_roster()
        weights = _respondent_weights(self.surveys, o, resp, rvars, roster_units)
        for ind in self.surveys:
            w, note = weights[ind.id]
            if note:
                self.messages[ind.id] = note
            mine = (resp["__kind"] == ind.survey_kind).to_numpy()
            frame = _respondent_frame(resp.loc[mine, by].reset_index(drop=True), resp[f"x_{ind.id}"].to_numpy(float)[mine],
                                      resp[f"y_{ind.id}"].to_numpy(float)[mine], w[mine])
            if by:
                gb = frame.groupby(by, dropna=False, sort=True, observed=True)
                agg, gid = gb.sum().reset_index(), gb.ngroup().to_numpy()
            else:
                agg, gid = frame.sum().to_frame().T, np.zeros(len(frame), dtype=np.int64)
            sub = resp.loc[mine]
            failed = note.startswith(("加权失败", "无法加权"))
            if (o.survey_se == "calibrated" and rvars and ind.survey_kind != "employer" and len(frame)
                    and not failed and not sub.duplicated(["__rid", "__year"]).any()):
                agg["v_cal"] = calibrated_variance(
                    gid, len(agg), frame["x"].to_numpy(float), frame["sw"].to_numpy(float),
                    frame["n"].to_numpy(float) > 0, sub["__year"].to_numpy(),
                    sub[[f"__r_{v}" for v in rvars]], sub["__on"].fillna(False).to_numpy(dtype=bool))
            agg = agg[agg["n"] > 0].reset_index(drop=True)
            self.extra_results[ind.id] = self._add_roster(ind, agg, roster)

    def _run_surveys_in_engine(self) -> None:
        """Survey shares with supplied weights (or none) as two chained group-bys in the engine.

        Stage 1 sums each respondent's top-box (x) and valid (y) answers per indicator and
        takes the respondent's weight; stage 2 sums, per group, the respondents with a valid
        answer: n, x, y, w, w², wx, wy, w²x², w²y², w²xy, the sufficient statistics of the
        ratio estimator with the respondent as cluster and of Kish's n_eff. Only one row per
        group returns to pandas, so a national survey never materialises respondent rows.
        """
        o, src, by = self.o, self.src, list(self.by)
        inds = self.surveys
        names = src.names("survey")
        supplied = o.survey_weights == "column"
        lf, kexprs, knames = _prepare(src, "survey", self.keys["survey"])
        w = nw.col("weight").cast(nw.Float64) if supplied else nw.lit(1.0)
        stats = []
        for ind in inds:
            stats.append(_mask(ind.numerator.where, o, names).cast(nw.Int64).alias(f"x_{ind.id}"))
            stats.append(_mask(ind.denominator.where, o, names).cast(nw.Int64).alias(f"y_{ind.id}"))
        rows = lf.select(*kexprs, nw.col("survey_kind").cast(nw.String).alias("__kind"),
                         nw.col("respondent_id").alias("__rid"), nw.col("year").alias("__year"), w.alias("__w"), *stats)
        scols = [f"{p}_{ind.id}" for ind in inds for p in ("x", "y")]
        resp = rows.group_by(*knames, "__kind", "__rid", "__year").agg(
            *[nw.col(c).sum() for c in scols], nw.col("__w").max().alias("__w"),
            nw.col("__w").min().alias("__wmin"))
        exprs, snames = [], []

        def stat(name: str, e: Any) -> None:
            exprs.append(e.alias(name))
            snames.append(name)

        wt = nw.col("__w")
        # a respondent whose rows carry different weights is flagged (the largest is used)
        stat("__wdiff", ((wt - nw.col("__wmin")).abs() > 1e-9 * wt.abs()).fill_null(False).cast(nw.Int64))
        for ind in inds:
            y0 = nw.col(f"y_{ind.id}").cast(nw.Float64)
            answered = y0 > 0
            # one value per respondent: their share of top-box answers (0/1 for a single item)
            x = nw.when(answered).then(nw.col(f"x_{ind.id}").cast(nw.Float64) / y0).otherwise(0.0)
            y = answered.cast(nw.Float64)
            ok = answered & ~wt.is_null()

            def when_ok(e: Any, ok: Any = ok) -> Any:
                return nw.when(ok).then(e).otherwise(0.0)

            i = ind.id
            stat(f"ret_{i}", (nw.col("__kind") == ind.survey_kind).cast(nw.Int64))
            stat(f"n_{i}", ok.cast(nw.Int64))
            stat(f"nowt_{i}", (answered & wt.is_null()).cast(nw.Int64))
            stat(f"x_{i}", when_ok(x))
            stat(f"y_{i}", when_ok(y))
            stat(f"sw_{i}", when_ok(wt))
            stat(f"sw2_{i}", when_ok(wt * wt))
            stat(f"swx_{i}", when_ok(wt * x))
            stat(f"swxx_{i}", when_ok(wt * x * x))
            stat(f"swy_{i}", when_ok(wt * y))
            stat(f"sw2xx_{i}", when_ok(wt * wt * x * x))
            stat(f"sw2yy_{i}", when_ok(wt * wt * y * y))
            stat(f"sw2xy_{i}", when_ok(wt * wt * x * y))
        agg = _aggregate(resp, [nw.col(k) for k in knames], knames, exprs, snames)
        agg = agg.rename(columns={f"__k{i}": b for i, (b, _, _) in enumerate(self.keys["survey"])})
        agg = _sort_keys(agg, by)
        roster = self._survey_roster()
        parts = ("ret", "n", "x", "y", "sw", "sw2", "swx", "swxx", "swy", "sw2xx", "sw2yy", "sw2xy")
        wdiff = int(agg["__wdiff"].sum())
        for ind in inds:
            i = ind.id
            one = agg.loc[agg[f"n_{i}"] > 0, [*by, *[f"{p}_{i}" for p in parts]]]
            one = one.rename(columns={f"{p}_{i}": p for p in parts}).reset_index(drop=True)
            notes = []
            nowt = int(agg[f"nowt_{i}"].sum())
            if supplied and nowt:
                notes.append(f"{nowt} 名答卷人没有权重，未计入 / {nowt} respondent(s) without a weight left out")
            if supplied and wdiff:
                notes.append(f"{wdiff} 名答卷人各行权重不一致，取最大值 / {wdiff} respondent(s) with differing "
                             "weights across rows; the largest was used")
            if notes:
                self.messages[i] = "; ".join(notes)
            self.extra_results[i] = self._add_roster(ind, one, roster)


def _ranked_median(f: Any, knames: list[str], z2: float) -> pd.DataFrame:
    """Exact median and order-statistic bounds per group from ranks (window functions)."""
    n_ = nw.col("__v").count().over(*knames) if knames else nw.col("__v").count()
    r_ = (nw.col("__v").rank(method="ordinal").over(*knames) if knames
          else nw.col("__v").rank(method="ordinal"))
    f2 = f.with_columns(n_.cast(nw.Float64).alias("__n"), r_.cast(nw.Float64).alias("__r"))
    n, r = nw.col("__n"), nw.col("__r")
    a = n - 2 * r  # a >= z*sqrt(n): rank at or below the lower bound
    b = 2 * r - 2 - n  # b >= z*sqrt(n): rank at or above the upper bound
    f2 = f2.with_columns(
        nw.when((a >= 0) & (a * a >= z2 * n)).then(nw.col("__v")).alias("__lo"),
        nw.when((b >= 0) & (b * b >= z2 * n)).then(nw.col("__v")).alias("__hi"),
        # the middle order statistics (one for odd n, two for even n): an exact median on every
        # engine (narwhals maps a grouped median on pyarrow to an approximate one)
        nw.when((2 * r == n) | (2 * r == n + 1)).then(nw.col("__v")).alias("__m1"),
        nw.when((2 * r == n + 2) | (2 * r == n + 1)).then(nw.col("__v")).alias("__m2"),
    )
    aggs = [nw.col("__v").count().alias("n"), nw.col("__lo").max().alias("lo"), nw.col("__hi").min().alias("hi"),
            nw.col("__m1").max().alias("__m1"), nw.col("__m2").max().alias("__m2")]
    out = (f2.group_by(*knames).agg(*aggs) if knames else f2.select(*aggs)).collect().to_pandas()
    out["median"] = (pd.to_numeric(out.pop("__m1")).astype(float) + pd.to_numeric(out.pop("__m2")).astype(float)) / 2
    return out


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


# --- survey respondents and weights -----------------------------------------------------------------


def _survey_respondents(src: _Source, inds: Sequence[Indicator], o: Options,
                        keys: list[tuple[str, str, str]]) -> tuple[pd.DataFrame, list[str]]:
    """Respondent-level frame from one engine pass over the survey table.

    Columns: the group keys, ``__kind`` (questionnaire), ``__rid``, ``__year``, raking variables
    ``__r_<var>`` (joined from the roster by ``student_id``), and per indicator ``x_<id>``
    (top-box answers) and ``y_<id>`` (valid answers) of each respondent.
    """
    names = src.names("survey")
    linked = src.single is None and src.has("graduates") and "student_id" in names
    needs = o.survey_weights == "raking" and any(i.survey_kind != "employer" for i in inds)
    rvars = [v for v in o.raking_variables if v in src.names("graduates")] if (needs and linked) else []
    lf, kexprs, knames = _prepare(src, "survey", keys, extra_grad=[*rvars, "grad_year"] if rvars else [])
    stats = []
    for ind in inds:
        stats.append(_mask(ind.numerator.where, o, names).cast(nw.Int64).alias(f"x_{ind.id}"))
        stats.append(_mask(ind.denominator.where, o, names).cast(nw.Int64).alias(f"y_{ind.id}"))
    # a respondent is (questionnaire, respondent id, year): 问卷星 numbers restart per questionnaire
    sel = lf.select(*kexprs, nw.col("survey_kind").cast(nw.String).alias("__kind"),
                    nw.col("respondent_id").alias("__rid"), nw.col("year").alias("__year"),
                    *[nw.col(f"__j_{v}").alias(f"__r_{v}") for v in rvars],
                    *([(~nw.col("__j_grad_year").is_null()).alias("__on")] if rvars else []), *stats)
    gcols = [*knames, "__kind", "__rid", "__year", *[f"__r_{v}" for v in rvars], *(["__on"] if rvars else [])]
    scols = [f"{p}_{ind.id}" for ind in inds for p in ("x", "y")]
    resp = sel.group_by(*gcols).agg(*[nw.col(c).sum() for c in scols]).collect().to_pandas()
    for c in scols:
        resp[c] = pd.to_numeric(resp[c]).astype(float)
    resp = resp.rename(columns={f"__k{i}": b for i, (b, _, _) in enumerate(keys)})
    return resp, rvars


def _roster_units(src: _Source, rvars: list[str]) -> pd.DataFrame:
    """A population frame with the roster's one-way margins of ``rvars`` within each year.

    Raking uses only these margins, so instead of collecting the whole roster the engine
    counts each variable's levels per year (one small group-by per variable) and the rows
    are rebuilt with ``np.repeat`` as categoricals: same margins, a fraction of the memory
    on national rosters. The joint distribution of the rebuilt rows is meaningless.
    """
    lf = src.lf("graduates")
    counts = {v: lf.group_by("grad_year", v).agg(nw.len().alias("__n")).collect().to_pandas()
              .sort_values(["grad_year", v], na_position="last") for v in rvars}
    first = counts[rvars[0]]
    years = first.groupby("grad_year", sort=True)["__n"].sum()
    out = {"year": np.repeat(years.index.to_numpy(), years.to_numpy())}
    for v, c in counts.items():
        c = c.sort_values("grad_year", kind="stable")
        out[v] = pd.Categorical(np.repeat(c[v].to_numpy(dtype=object), c["__n"].to_numpy(dtype=np.int64)))
    return pd.DataFrame(out)


def _respondent_weights(inds: Sequence[Indicator], o: Options, resp: pd.DataFrame, rvars: list[str],
                        roster: pd.DataFrame | None) -> dict[str, tuple[np.ndarray, str]]:
    """Raking weights of each survey indicator's valid respondents, aligned with ``resp`` rows.

    Every questionnaire's respondents are raked to the roster margins within each year in
    ONE call of :func:`coopmetrics.weighting.rake` (cells = indicator × year, the roster
    repeated per indicator). A year's weights then sum to that year's roster count (see
    :func:`_scale_to_roster`), so an estimate pooled over years (by major, by department,
    all years, compare()) weights each year by its graduates, not by its respondents.
    Rows outside an indicator's respondents get weight 1.
    """
    ones = np.ones(len(resp))
    out: dict[str, tuple[np.ndarray, str]] = {ind.id: (ones, "") for ind in inds}
    raked = [ind for ind in inds if o.survey_weights == "raking" and ind.survey_kind != "employer"]
    if not raked:
        return out
    if not rvars or roster is None:
        msg = ("无法加权：问卷未能按学号关联毕业生名单；结果未加权 / not weighted: the survey could not be "
               "linked to the graduate roster by student_id")
        return {**out, **{ind.id: (ones, msg) for ind in raked}}
    from .weighting import rake  # local: weighting is only needed when a survey is raked

    cols = ["__kind", "__rid", "__year", "__on", *[f"__r_{v}" for v in rvars]]
    samples, valids, uniques = [], {}, {}
    for ind in raked:
        valid = resp[f"y_{ind.id}"].to_numpy(float) > 0
        one = resp.loc[valid, cols]
        unique_rows = not one.duplicated(["__kind", "__rid", "__year"]).any()
        if not unique_rows:  # several rows per respondent (e.g. grouped by item): rake each respondent once
            one = one.drop_duplicates(["__kind", "__rid", "__year"])
        valids[ind.id], uniques[ind.id] = valid, unique_rows
        samples.append(one.assign(__ind=ind.id))
    sample = pd.concat(samples, ignore_index=True).rename(
        columns={"__year": "year", **{f"__r_{v}": v for v in rvars}})
    # respondents found on the roster are raked (a missing value is a level of its own);
    # respondents not on the roster keep weight 1
    complete = sample["__on"].fillna(False).to_numpy(dtype=bool)
    pop = roster[roster["year"].isin(pd.unique(sample["year"]))]
    pop = pd.concat([pop.assign(__ind=ind.id) for ind in raked], ignore_index=True)
    weights = np.ones(len(sample))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            w = rake(sample.loc[complete, ["__ind", "year", *rvars]].reset_index(drop=True), pop, list(rvars),
                     by=("__ind", "year"))
    except Exception as exc:  # keep a multi-indicator call alive; say why in messages and edition
        msg = f"加权失败，结果未加权 / raking failed, results unweighted: {exc}"
        return {**out, **{ind.id: (ones, msg) for ind in raked}}
    w = np.array(w, dtype=float)  # a writable copy
    unplaced_c = ~np.isfinite(w)
    weights[complete] = np.where(unplaced_c, 0.0, w)
    unplaced = np.zeros(len(sample), dtype=bool)
    unplaced[np.flatnonzero(complete)[unplaced_c]] = True
    cell = sample["__ind"].astype(str) + "|" + sample["year"].astype(str)
    _, cidx = np.unique(cell.to_numpy(dtype=object).astype(str), return_inverse=True)
    weights = _scale_to_roster(weights, cidx, ~complete | unplaced, sample["year"].to_numpy(), roster)
    warn = [str(c.message).replace("\n", " / ") for c in caught
            if "converge" in str(c.message) or "收敛" in str(c.message)]
    ind_col = sample["__ind"].to_numpy()
    for ind in raked:
        mine = ind_col == ind.id
        wi, one = weights[mine], sample.loc[mine, ["__kind", "__rid", "year"]]
        if uniques[ind.id]:
            full = np.full(len(resp), np.nan)
            full[valids[ind.id]] = wi
        else:
            wmap = pd.Series(wi, index=pd.MultiIndex.from_frame(one))
            full = wmap.reindex(pd.MultiIndex.from_frame(resp[["__kind", "__rid", "__year"]])).to_numpy(float)
        notes = []
        k = int((~complete[mine]).sum()) + int(unplaced[mine].sum())
        if k:
            notes.append(f"{k} 名答卷人不在名单或其类别不在名单中，取当年平均权重 / {k} respondent(s) not on the "
                         "roster or with a level absent from it kept with the year's mean weight")
        notes.extend(warn)
        out[ind.id] = (np.where(np.isfinite(full), full, 1.0), "; ".join(notes))
    return out


def calibrated_variance(gid: np.ndarray, n_groups: int, x: np.ndarray, w: np.ndarray, valid: np.ndarray,
                        cell: np.ndarray, margins: pd.DataFrame, placed: np.ndarray) -> np.ndarray:
    """Calibration-aware linearised variance of raked (weighted mean) shares, one per group (se²).

    What R ``survey`` gives for ``svyby(~x, ~group, calibrate(svydesign(ids = ~1, data = resp),
    ~margins, population, calfun = "raking"), svymean)`` (Deville & Särndal 1992; Lumley 2010
    §7): the share of group ``d`` is ``R_d = Σ_d w x / Σ_d w`` with ``w`` the raked weights; its
    influence variable ``z_i = (x_i − R_d) / Σ_d w`` for respondents of ``d`` (0 elsewhere) is
    replaced by its residual ``e = z − X B`` from the least-squares regression on the one-hot
    margin indicators ``X`` (every raking variable's levels, a missing value a level of its own),
    fitted with the base weights (1: raking starts from equal weights) within each raking cell
    (year). Then ``u_i = w_i e_i`` over every respondent of the design (outside ``d`` ``u`` is
    not 0) and ``v = n/(n−1) · (Σu² − (Σu)²/n)`` with ``n`` all respondents. Respondents raking
    could not place (``placed`` False) are not calibrated (``X`` row 0). Computed from
    per-(group, cell) totals — ``Σ w²z²``, ``G = Σ X z``, ``Q = Σ w² X z``, ``H = Σ w² X X'``,
    ``a = Σ w X`` — with one k × k solve per cell: a loop over years, vectorised over groups
    and respondents.

    Returns the variance of each group's estimate (the square of its standard error).

    Examples
    --------
    >>> import pandas as pd
    >>> x = np.array([1., 0., 1., 1.]); w = np.ones(4)
    >>> m = pd.DataFrame({"g": ["a", "a", "b", "b"]})  # the share within each raking level is fixed
    >>> v = calibrated_variance(np.zeros(4, int), 1, x, w, np.ones(4, bool), np.zeros(4), m, np.ones(4, bool))
    >>> round(float(v[0]), 6)  # residuals 0.5, -0.5, 0, 0 over Σw = 4: 4/3 · (0.25 + 0.25) / 16
    0.041667
    """
    w = np.where(valid, w, 0.0)
    sw = np.bincount(gid, w, n_groups)
    swx = np.bincount(gid, w * x, n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = swx / sw
        z = np.where(valid, (x - r[gid]) / sw[gid], 0.0)
    z = np.nan_to_num(z)
    blocks = []
    for col in margins.columns:  # one-hot margins: a level per value of each variable (missing is a level)
        codes, uniq = pd.factorize(margins[col].astype(object), use_na_sentinel=False)
        blocks.append(np.eye(len(uniq))[codes])
    X = np.hstack(blocks) if blocks else np.zeros((len(x), 0))
    X = X * (placed & valid)[:, None]
    s1 = np.bincount(gid, w * w * z * z, n_groups)  # Σ u² before calibration
    s2 = np.zeros(n_groups)  # Σ u: Σ_d w z = 0, so only the calibration terms remain
    cells, cidx = np.unique(np.asarray(cell), return_inverse=True)
    for c in range(len(cells)):  # one small k x k solve per raking cell (year)
        rows = np.flatnonzero((cidx == c) & valid)
        if not rows.size:
            continue
        Xc, wc, zc, gc = X[rows], w[rows], z[rows], gid[rows]
        M = np.linalg.pinv(Xc.T @ Xc)  # base weights 1
        H = Xc.T @ (Xc * (wc * wc)[:, None])
        a = Xc.T @ wc
        groups, pidx = np.unique(gc, return_inverse=True)
        G = np.zeros((groups.size, X.shape[1]))
        Q = np.zeros_like(G)
        np.add.at(G, pidx, Xc * zc[:, None])
        np.add.at(Q, pidx, Xc * (wc * wc * zc)[:, None])
        B = G @ M  # M is symmetric
        s1[groups] += -2 * np.einsum("pk,pk->p", Q, B) + np.einsum("pk,kl,pl->p", B, H, B)
        s2[groups] -= B @ a
    n = int(valid.sum())
    if n < 2:
        return np.full(n_groups, np.nan)
    return np.maximum(n / (n - 1) * (s1 - s2 * s2 / n), 0.0)


def _respondent_frame(keys: pd.DataFrame, x: np.ndarray, y: np.ndarray, w: np.ndarray) -> pd.DataFrame:
    """Per-respondent sufficient statistics of a survey share, one row per returned questionnaire.

    A respondent counts once: their value is the share of top-box answers among their valid
    answers (``x / y``; 0 or 1 for a single item), so the group sums ``n`` (respondents with a
    valid answer), ``x`` (sum of the shares: satisfied respondents for one item) and ``ret``
    (respondents who returned the questionnaire) are people, never item answers. ``sw...``
    are the weighted sums of the ratio estimator ``Σw·x / Σw·y`` with ``y`` = 1 per respondent.
    """
    valid = y > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        xs = np.where(valid, x / np.where(valid, y, 1.0), 0.0)
    ys = valid.astype(float)
    wv = np.where(valid, w, 0.0)
    frame = keys.copy()
    for name, v in (("ret", np.ones(len(ys))), ("n", ys), ("x", xs), ("y", ys), ("sw", wv), ("sw2", wv * wv),
                    ("swx", wv * xs), ("swxx", wv * xs * xs), ("swy", wv * ys), ("sw2xx", (wv * xs) ** 2), ("sw2yy", (wv * ys) ** 2),
                    ("sw2xy", wv * wv * xs * ys)):
        frame[name] = v
    return frame


def _scale_to_roster(w: np.ndarray, cidx: np.ndarray, fill: np.ndarray, year: np.ndarray,
                     roster: pd.DataFrame) -> np.ndarray:
    """Weights of each raking cell (indicator × year) scaled to sum to the year's roster count.

    Respondents raking could not place (``fill``: not on the roster, or a level the roster
    lacks) first get the mean weight of the placed respondents of their cell. Then every
    cell is scaled by ``N_year / Σw``: raked weights already sum to ``N_year`` when everyone
    was placed, and pooling years then weights each year by its graduates (issue 10 item 7:
    1,000 + 1,000 graduates, 50 % of 200 and 80 % of 600 respondents pool to 0.65, not 0.725).

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"year": [2023] * 4 + [2024] * 2})
    >>> _scale_to_roster(np.array([1., 1., 0., 1.]), np.array([0, 0, 1, 1]), np.array([False, False, True, False]),
    ...                  np.array([2023, 2023, 2024, 2024]), r).tolist()
    [2.0, 2.0, 1.0, 1.0]
    """
    w = np.asarray(w, dtype=float).copy()
    k = int(cidx.max()) + 1 if cidx.size else 0
    placed = ~fill
    mean_placed = np.bincount(cidx, np.where(placed, w, 0.0), k) / np.maximum(np.bincount(cidx, placed, k), 1)
    w[fill] = np.where(mean_placed[cidx[fill]] > 0, mean_placed[cidx[fill]], 1.0)
    n_year = roster["year"].value_counts()
    target = pd.Series(year).map(n_year).to_numpy(dtype=float)
    sums = np.bincount(cidx, w, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = w * target / sums[cidx]
    return np.where(np.isfinite(scaled) & (scaled > 0), scaled, w)


# --- finishing: estimates per indicator ---------------------------------------------------------------


_STRING_COLUMNS = ("indicator", "name_zh", "name_en", "ci_method", "unit", "edition", "note")
_STATUS = ("reported", "suppressed", "not_applicable", "missing_input")


def _blank(ind: Indicator, by: tuple[str, ...], o: Options, status: str, level: float,
           note: str = "") -> dict[str, Any]:
    """One row with no numbers (missing input / not applicable)."""
    num = {c: np.array([np.nan]) for c in OUTPUT_TAIL if c not in (*_STRING_COLUMNS, "status")}
    num["ci_level"] = np.array([level])
    num["target"] = np.array([ind.target if ind.target is not None else np.nan])
    return {"keys": pd.DataFrame({b: [np.nan] for b in by}), "num": num, "n": 1,
            "const": {"indicator": ind.id, "name_zh": ind.name_zh, "name_en": ind.name_en, "ci_method": "none",
                      "unit": ind.unit, "edition": ind.edition_text(o), "note": note},
            "status": np.array([_STATUS.index(status)], dtype=np.int8)}


class _Stats:
    """Per-group statistics of one indicator, by role (what a kind's ``estimate`` reads)."""

    def __init__(self, frame: pd.DataFrame, columns: Mapping[str, str], level: float, method: str) -> None:
        self.frame, self.columns, self.level, self.method = frame, columns, level, method

    def __getitem__(self, role: str) -> np.ndarray:
        return self.frame[self.columns[role]].to_numpy(float)

    def __contains__(self, role: object) -> bool:
        return role in self.columns


def _gather(self: _Context, plan: _Plan, ind: Indicator) -> _Stats:
    """The statistics ``plan`` collected, aligned on one frame of groups.

    A dedicated pass (survey, median, distinct) left one frame; roles from one group-by pass
    read that table's frame; roles from several tables (a ratio of two tables' totals) are
    joined on the group keys (outer: a group present in one table only keeps its row).
    """
    if plan.special is not None:
        g = self.extra_results[ind.id]
        return _Stats(g, {c: c for c in g.columns}, self.level, self.method)
    tables = list(dict.fromkeys(t for t, _ in plan.stats.values()))
    if len(tables) == 1:
        return _Stats(self.results[tables[0]], {r: n for r, (_, n) in plan.stats.items()}, self.level, self.method)
    by = list(self.by)
    base: pd.DataFrame | None = None
    for t in tables:
        rd = self.results[t]
        part = rd[by].copy()
        for role, (tt, name) in plan.stats.items():
            if tt == t:
                part[f"__{role}"] = rd[name].to_numpy(float)
        base = part if base is None else (_merge(base, part, by, how="outer") if by
                                          else pd.concat([base, part], axis=1))
    base = _sort_keys(base, by)
    return _Stats(base, {r: f"__{r}" for r in plan.stats}, self.level, self.method)


def _finish(self: _Context, ind: Indicator) -> dict[str, np.ndarray]:
    plan = self.plans[ind.id]
    if plan.status != "ok":
        if plan.message:
            self.messages[ind.id] = f"{plan.message[0]} / {plan.message[1]}"
        return _blank(ind, self.by, self.o, plan.status, self.level, self.messages.get(ind.id, ""))
    by = list(self.by)
    level = self.level
    nan = np.nan
    kind = kind_of(ind)
    stats = _gather(self, plan, ind)
    base = stats.frame
    res = kind.estimate(stats, ind)
    res.setdefault("weighting_effect", res.get("deff", nan))  # unweighted figures: weighting effect = 1
    k = len(base)
    num: dict[str, np.ndarray] = {}
    for c in OUTPUT_TAIL:
        if c in (*_STRING_COLUMNS, "status"):
            continue
        v = res.get(c, nan)
        num[c] = np.full(k, v, dtype=float) if np.isscalar(v) else np.asarray(v, dtype=float)
    edition = ind.edition_text(self.o)
    if ind.id in self.messages and ind.survey_kind is not None:
        edition += " [" + self.messages[ind.id] + "]"
    num["ci_level"] = np.full(k, level)
    num["target"] = np.full(k, ind.target if ind.target is not None else nan, dtype=float)
    if kind.always_reported:  # counts and sums: 0 is a number
        empty = np.zeros(k, dtype=bool)
    else:
        empty = (np.nan_to_num(num["n"], nan=0.0) <= 0) | ~np.isfinite(num["estimate"])
    status = np.where(empty, _STATUS.index("not_applicable"), _STATUS.index("reported")).astype(np.int8)
    return {"keys": base[by].reset_index(drop=True), "num": num, "n": k, "status": status,
            "const": {"indicator": ind.id, "name_zh": ind.name_zh, "name_en": ind.name_en,
                      "ci_method": res["ci_method"], "unit": ind.unit, "edition": edition,
                      "note": self.messages.get(ind.id, "")}}


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
    return pd.Categorical.from_codes(codes, categories=pd.Index(cats, dtype="str"))


def _assemble(parts: list[dict[str, Any]], by: tuple[str, ...]) -> pd.DataFrame:
    """One DataFrame from the per-indicator parts, column by column (no per-row Python objects).

    Text columns are Categoricals (:func:`_repeat_categorical`); numeric columns stay separate
    float64 arrays (``copy=False`` keeps pandas from stacking them into one block, a copy of
    the whole numeric result).
    """
    names = [*OUTPUT_HEAD, *by, *OUTPUT_TAIL]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in names})
    lengths = np.array([p["n"] for p in parts], dtype=np.int64)
    cols: dict[str, Any] = {}
    for c in _STRING_COLUMNS:
        cols[c] = _repeat_categorical([p["const"][c] for p in parts], lengths)
    if by:
        keys = pd.concat([p["keys"] for p in parts], ignore_index=True)
        for b in by:
            cols[b] = keys[b].infer_objects() if keys[b].dtype == object else keys[b]
        if MAJOR_CATEGORY in by:  # "46" -> "46 装备制造大类" on the small result
            labels = {k: f"{k} {v}" for k, v in MAJOR_CATEGORIES.items()}
            cols[MAJOR_CATEGORY] = keys[MAJOR_CATEGORY].astype(object).map(labels)
    for c in parts[0]["num"]:
        cols[c] = np.concatenate([p["num"][c] for p in parts])
    status = np.concatenate([p["status"] for p in parts])
    cols["status"] = _status_column(status)
    return pd.DataFrame({c: (cols[c].reset_index(drop=True) if isinstance(cols[c], pd.Series) else cols[c])
                         for c in names}, copy=False)


def _status_column(codes: np.ndarray) -> pd.Categorical:
    """Status codes (indices into ``_STATUS``) as a Categorical holding every status."""
    cats = sorted(_STATUS)
    remap = np.array([cats.index(s) for s in _STATUS], dtype=np.int8)
    return pd.Categorical.from_codes(remap[codes.astype(np.intp)], categories=pd.Index(cats, dtype="str"))


_Context.finish = _finish  # type: ignore[attr-defined]


# --- unit values and the audit trail ------------------------------------------------------------------


def _unit_frame(data: Any, ind: Indicator, columns: Sequence[str], o: Options,
                group: dict[str, Any] | None = None, all_rows: bool = False) -> tuple[pd.DataFrame, _Source]:
    """Materialise the rows of ``ind``'s table with masks and the requested columns (pandas)."""
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
    df = frame.collect().to_pandas()
    df = df.rename(columns={f"__k{i}": b for i, (b, _, _) in enumerate(keys)})
    return df, src


def unit_values(data: Any, indicator: str | Indicator, columns: Sequence[str] = (), *,
                options: Options | None = None) -> pd.DataFrame:
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
    columns = tuple(columns)
    df, src = _unit_frame(data, ind, columns, o)
    if ind.kind in ("mean", "median"):
        value = df["value"].astype(float)
    else:
        value = df["in_numerator"].astype(bool).astype(float)
    out = pd.DataFrame({c: df[c].to_numpy() for c in columns}, index=range(len(df)))
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
        ok = nwdf.select(_filter_expr(f, o, names).alias("m"))["m"].to_numpy().astype(bool)
        conds.append(~ok)
        texts.append(f"不计入分母：不满足「{f.describe('zh')}」 / not in denominator: fails '{f.describe('en')}'")
    for f in extra:
        ok = nwdf.select(_filter_expr(f, o, names).alias("m"))["m"].to_numpy().astype(bool)
        conds.append(~ok)
        texts.append(f"计入分母但不计入分子：不满足「{f.describe('zh')}」 / denominator only: fails "
                     f"'{f.describe('en')}'")
    counted = "计入分子和分母 / counted in numerator and denominator" if ind.denominator is not None \
        else "计入 / counted"
    if not conds:
        return np.full(len(df), counted, dtype=object)
    return np.select(conds, texts, default=counted).astype(object)


# --- per-partner profile ----------------------------------------------------------------------------

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
