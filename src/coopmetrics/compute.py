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
* distinct counts (partner enterprises): ``unique`` then ``group_by().agg(len)``; on an
  in-memory pandas table all counts of the table share one ``select`` and are counted from
  integer group ids (:meth:`_Context._batch_distinct`);
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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from . import estimators as est
from . import registry as _registry
from .codes import MAJOR_CATEGORIES, PROFILES
from .compute_base import (  # noqa: F401 - names kept importable from coopmetrics.compute
    _STATUS,
    _STRING_COLUMNS,
    MAJOR_CATEGORY,
    OUTPUT_COLUMNS,
    OUTPUT_HEAD,
    OUTPUT_TAIL,
    _aggregate,
    _by_tuple,
    _from_native,
    _key_sources,
    _mask,
    _merge,
    _options,
    _prepare,
    _repeat_categorical,
    _resolve_overall,
    _sort_keys,
    _Source,
    _status_column,
)
from .compute_surveys import calibrated_variance, run_surveys
from .compute_units import explain, partner_profile, unit_values
from .definitions.ops import FILTER_OPS, code_key_expr, codes_expr, filter_expr
from .errors import InvalidOptionError, check_option, closest
from .registry import (
    Filter,
    Indicator,
    Measure,
    Options,
    get_indicator,
    kind_of,
)
from .schema import TABLES

__all__ = ["compute", "unit_values", "explain", "partner_profile", "calibrated_variance", "OUTPUT_COLUMNS"]




# --- data access -------------------------------------------------------------------------------


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
    counts: dict[str, Any] = field(default_factory=dict)  # stat name -> mask, for stats that count rows

    def add(self, key: tuple, expr: Any, *, mask: Any = None) -> str:
        """Name of the summed statistic ``expr`` (added once per ``key``); ``mask``: it counts rows."""
        if key not in self.exprs:
            self.exprs[key] = (f"s{len(self.exprs)}", expr)
            if mask is not None:
                self.counts[self.exprs[key][0]] = mask
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

    def stage_b(self, count_nulls: bool = False) -> tuple[list[Any], list[str], list[str]]:
        """Stage-B expressions, their names, and the names aggregated by ``count`` (not ``sum``).

        With ``count_nulls`` a row count is ``when(mask).then(1)`` counted (non-null values)
        rather than ``mask.cast(Int64)`` summed: DuckDB sums BIGINT into HUGEINT (128-bit,
        returned as Arrow decimals), while ``count(CASE WHEN ... THEN 1 END)`` is a plain
        64-bit counter, as fast as a hand-written ``COUNT(*) FILTER (WHERE ...)`` (at 10M rows
        by 4 keys the suite's query went from ≈ 5 s to ≈ 3 s). Same integers either way.
        """
        out, names, counted = [], [], []
        for n, e in self.exprs.values():
            if count_nulls and n in self.counts:
                e = nw.when(self.counts[n]).then(nw.lit(1, nw.Int8))
                counted.append(n)
            out.append(e.alias(n))
            names.append(n)
        return out, names, counted


def _fkey(filters: Sequence[Filter]) -> tuple:
    return tuple(sorted(repr(f) for f in filters))


def _add_count(p: _Pass, filters: Sequence[Filter]) -> str:
    if not filters:  # every row: the pass's own row count (``__rows``), not a second counter
        return "__rows"
    m = p.mask(filters)
    return p.add(("count", _fkey(filters)), m.cast(nw.Int64), mask=m)


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
    # the long result's size is known before any indicator is finished: each part is written into
    # the full-length columns as it is made and its arrays freed, so the next reuses their memory
    lengths = [ctx.part_length(ind) for ind in inds]
    return _assemble((ctx.finish(ind) for ind in inds), by_t, lengths)


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
        either = p.mask(num.where) | p.mask(den.where)
        self.plan.stats["n"] = (t, p.add(("either", *k), either.cast(nw.Int64), mask=either))

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
        self.key_frames: dict[str, pd.DataFrame] = {}  # table -> its distinct group keys (distinct counts)
        # id(stats frame) -> (frame, its key columns): the indicators of one pass share one key frame
        self.out_keys: dict[int, tuple[pd.DataFrame, pd.DataFrame]] = {}
        self.gathered: dict[str, _Stats] = {}  # indicator id -> its statistics, between part_length and finish

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
        self._batch_distinct()
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
                run_surveys(self)
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
        exprs, names, counted = p.stage_b(count_nulls=lf.implementation is nw.Implementation.DUCKDB)
        df = _aggregate(lf, [nw.col(k) for k in knames], knames, exprs, names, counts=counted, sort=True)
        self.results[table] = df.rename(columns={f"__k{i}": b for i, (b, _, _) in enumerate(keys)})

    def _batch_distinct(self) -> None:
        """Distinct counts of one in-memory pandas table in one select (filled into ``extra_results``).

        On pandas every narwhals step is eager, so a ``unique`` + ``group_by`` per distinct count
        costs a pass each; here the table's key columns, each count's filter mask and counted
        column are selected once and each count is a pandas ``nunique`` per group of its masked
        rows. Same rows as :meth:`_run_distinct` (a group with rows but no match counts 0; its
        groups are the table's distinct keys); lazy engines keep the per-count query.
        """
        by_table: dict[str, list[Indicator]] = {}
        for _, ind, name in self.extra:
            if name == "distinct" and self.keys.get(ind.table):
                by_table.setdefault(ind.table, []).append(ind)
        for t, inds in by_table.items():
            if self.src.lf(t).implementation is not nw.Implementation.PANDAS:
                continue
            lf, kexprs, knames = _prepare(self.src, t, self.keys[t])
            names = self.src.names(t)
            cols = [e for i, ind in enumerate(inds) for e in (
                _mask((*ind.numerator.where, Filter(ind.numerator.column, "notnull")), self.o, names).alias(f"__m{i}"),
                nw.col(ind.numerator.column).alias(f"__u{i}"))]
            df = lf.select(*kexprs, *cols).collect().to_pandas()
            # group ids in order of first appearance (the order of the table's distinct keys)
            gid = df.groupby(knames, dropna=False, observed=True, sort=False).ngroup().to_numpy(np.int64)
            _, first = np.unique(gid, return_index=True)
            groups = df[knames].iloc[first].reset_index(drop=True)
            groups = groups.rename(columns={f"__k{i}": b for i, (b, _, _) in enumerate(self.keys[t])})
            for i, ind in enumerate(inds):
                hit = df[f"__m{i}"].fillna(False).to_numpy(bool)
                codes, uniq = pd.factorize(df[f"__u{i}"])
                # distinct (group, value) pairs, then pairs per group: the distinct count of each group
                pairs = np.unique(gid[hit] * (len(uniq) + 1) + codes[hit])
                c = np.bincount(pairs // (len(uniq) + 1), minlength=len(first)).astype(float)
                self.extra_results[ind.id] = _sort_keys(groups.assign(c=c), self.by)
        self.extra = [x for x in self.extra if x[0] not in self.extra_results]

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
            groups = self.key_frames.get(t)
            if groups is None:  # the table's groups: one query per call, not one per distinct count
                groups = self.key_frames[t] = lf.select(*kexprs).unique().collect().to_pandas()
            df = groups.merge(df, on=knames, how="left")
        df["c"] = pd.to_numeric(df["c"]).fillna(0).astype(float)
        return df.rename(columns={f"__k{i}": b for i, (b, _, _) in enumerate(keys)})


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


# --- survey respondents and weights -----------------------------------------------------------------


# --- finishing: estimates per indicator ---------------------------------------------------------------




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
    stats = self.gathered.pop(ind.id, None)
    if stats is None:
        stats = _gather(self, plan, ind)
    base = stats.frame
    res = kind.estimate(stats, ind)
    res.setdefault("weighting_effect", res.get("deff", nan))  # unweighted figures: weighting effect = 1
    k = len(base)
    # constants stay scalars: _assemble writes every column once, into the full-length output
    num: dict[str, np.ndarray | float] = {}
    for c in OUTPUT_TAIL:
        if c in (*_STRING_COLUMNS, "status"):
            continue
        v = res.get(c, nan)
        num[c] = float(v) if np.isscalar(v) else np.asarray(v, dtype=float)
    edition = ind.edition_text(self.o)
    if ind.id in self.messages and ind.survey_kind is not None:
        edition += " [" + self.messages[ind.id] + "]"
    num["ci_level"] = float(level)
    num["target"] = float(ind.target) if ind.target is not None else nan
    if kind.always_reported:  # counts and sums: 0 is a number
        empty = np.zeros(k, dtype=bool)
    else:
        empty = np.broadcast_to((np.nan_to_num(num["n"], nan=0.0) <= 0) | ~np.isfinite(num["estimate"]), (k,))
    status = np.where(empty, _STATUS.index("not_applicable"), _STATUS.index("reported")).astype(np.int8)
    if id(base) not in self.out_keys:  # the frame is kept with its keys, so its id is not reused
        self.out_keys[id(base)] = (base, base[by].reset_index(drop=True))
    return {"keys": self.out_keys[id(base)][1], "num": num, "n": k, "status": status,
            "const": {"indicator": ind.id, "name_zh": ind.name_zh, "name_en": ind.name_en,
                      "ci_method": res["ci_method"], "unit": ind.unit, "edition": edition,
                      # survey shares: each row's own raking note (compute_surveys._group_notes)
                      "note": base["__note"].to_numpy(object) if "__note" in base else self.messages.get(ind.id, "")}}


def _part_length(self: _Context, ind: Indicator) -> int:
    """Rows ``ind`` will have in the long result (its statistics are kept for :func:`_finish`)."""
    plan = self.plans[ind.id]
    if plan.status != "ok":
        return 1  # one blank row
    stats = self.gathered[ind.id] = _gather(self, plan, ind)
    return len(stats.frame)


_NUMERIC_COLUMNS = [c for c in OUTPUT_TAIL if c not in (*_STRING_COLUMNS, "status")]


def _assemble(parts: Iterable[dict[str, Any]], by: tuple[str, ...], lengths: Sequence[int] | None = None
              ) -> pd.DataFrame:
    """One DataFrame from the per-indicator parts, column by column (no per-row Python objects).

    Text columns are Categoricals (:func:`_repeat_categorical`); numeric columns stay separate
    float64 arrays (``copy=False`` keeps pandas from stacking them into one block, a copy of
    the whole numeric result).
    """
    names = [*OUTPUT_HEAD, *by, *OUTPUT_TAIL]
    if lengths is None:
        parts = list(parts)
        lengths = [p["n"] for p in parts]
    if not len(lengths):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in names})
    # each numeric column is allocated once at its full length and every part is written into its
    # slice as it arrives (a constant of a part is broadcast), then the part's arrays are dropped:
    # no per-part arrays kept alive, no concatenation copy. Freshly allocated memory is costly to
    # touch (page faults), and at 10M rows the result is ~2M rows × 16 float columns (265 MB).
    bounds = np.concatenate([[0], np.cumsum(np.asarray(lengths, dtype=np.int64))])
    num = {c: np.empty(int(bounds[-1]), dtype=float) for c in _NUMERIC_COLUMNS}
    slim = []
    for p, a, b in zip(parts, bounds[:-1], bounds[1:], strict=True):
        if p["n"] != b - a:  # pragma: no cover - guarded by _part_length
            raise AssertionError(f"part of {p['const']['indicator']} has {p['n']} rows, expected {b - a}")
        for c in _NUMERIC_COLUMNS:
            num[c][a:b] = p["num"][c]
        slim.append({k: p[k] for k in ("keys", "const", "status")})
    parts = slim
    lengths = np.asarray(lengths, dtype=np.int64)
    cols: dict[str, Any] = {}
    for c in _STRING_COLUMNS:
        vals = [p["const"][c] for p in parts]
        if any(not isinstance(v, str) for v in vals):  # per-row texts (survey notes)
            rows = np.concatenate([np.full(n, v, dtype=object) if isinstance(v, str) else v for v, n in zip(vals, lengths, strict=True)])
            cols[c] = pd.Categorical(rows, categories=pd.Index(sorted(set(rows)), dtype="str"))
        else:
            cols[c] = _repeat_categorical(vals, lengths)
    if by:
        keys = pd.concat([p["keys"] for p in parts], ignore_index=True)
        for b in by:
            cols[b] = keys[b].infer_objects() if keys[b].dtype == object else keys[b]
        if MAJOR_CATEGORY in by:  # "46" -> "46 装备制造大类" on the small result
            labels = {k: f"{k} {v}" for k, v in MAJOR_CATEGORIES.items()}
            cols[MAJOR_CATEGORY] = keys[MAJOR_CATEGORY].astype(object).map(labels)
    cols.update(num)
    status = np.concatenate([p["status"] for p in parts])
    cols["status"] = _status_column(status)
    return pd.DataFrame({c: (cols[c].reset_index(drop=True) if isinstance(cols[c], pd.Series) else cols[c])
                         for c in names}, copy=False)


_Context.finish = _finish  # type: ignore[attr-defined]
_Context.part_length = _part_length  # type: ignore[attr-defined]


# --- unit values and the audit trail ------------------------------------------------------------------


# --- per-partner profile ----------------------------------------------------------------------------


