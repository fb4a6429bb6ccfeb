"""Indicator kinds: one registered object per kind, holding everything a kind means.

A :class:`Kind` says, in one place:

* ``collect(pass_, ind)`` — which statistics a group-by pass gathers for the indicator
  (``pass_`` is the :class:`Collector` :func:`coopmetrics.compute` hands in: counts, sums,
  cross-products, or one of the special passes ``"survey"``, ``"median"``, ``"distinct"``);
* ``estimate(stats, ind)`` — the estimator: from those statistics (``stats[role]`` arrays, one
  value per group, plus ``stats.level`` and ``stats.method``) to ``numerator``, ``denominator``,
  ``n``, ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``ci_method``, ``n_eff``, ``deff``,
  ``estimate_unweighted`` (and, for surveys, ``response_rate``, ``weighting_effect``);
* ``check(ind)`` (optional) — problems of a record's shape for this kind (``validate_registry``);
* ``units`` — the units an indicator of this kind may carry (checked by ``validate_registry``);
* ``comparison`` — the kind :func:`coopmetrics.compare` compares unit by unit (None: not comparable);
* ``always_reported`` — a group is reported even with no unit (counts and sums: 0 is a number);
* ``population`` — which filters define the units :func:`coopmetrics.explain` lists
  (``"denominator"`` or ``"numerator"``), and ``unit_value`` — whether unit values carry ``value``.

Add a kind with :func:`register_kind` (also a context manager that removes it again).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ..errors import InvalidOptionError
from .ops import _Registration

if TYPE_CHECKING:  # pragma: no cover
    from ..registry import Filter, Indicator, Measure

__all__ = ["Kind", "KIND_TABLE", "Collector", "Stats", "register_kind", "comparison_kind", "COMPARISON_KINDS"]

#: Comparison kinds :func:`coopmetrics.compare.compare_values` knows.
COMPARISON_KINDS: tuple[str, ...] = ("proportion", "likert", "mean", "median")


class Collector(Protocol):
    """What a kind may ask a group-by pass for (implemented by :mod:`coopmetrics.compute`)."""

    def count(self, role: str, where: tuple[Filter, ...], table: str | None = None) -> None:
        """Units meeting ``where``."""

    def total(self, role: str, m: Measure, power: int = 1, table: str | None = None) -> None:
        """Σ column (or Σ column²) over units meeting ``m.where``."""

    def measure(self, role: str, m: Measure, table: str | None = None) -> None:
        """Total of one side of a ratio: a sum, a count, or a weighted count."""

    def moments(self, num: Measure, den: Measure, table: str | None = None) -> None:
        """Σx², Σy², Σxy and units in either measure (roles sxx, syy, sxy, n): the delta method's inputs."""

    def special(self, name: str) -> None:
        """Statistics from a dedicated pass: ``survey``, ``median`` or ``distinct``."""


class Stats(Protocol):
    """Per-group statistics handed to :attr:`Kind.estimate`."""

    level: float
    method: str

    def __getitem__(self, role: str) -> np.ndarray: ...

    def __contains__(self, role: object) -> bool: ...


@dataclass(frozen=True)
class Kind:
    """One indicator kind (see the module notes for what each field means)."""

    name: str
    doc: str
    units: frozenset[str]
    collect: Callable[[Collector, Indicator], None]
    estimate: Callable[[Stats, Indicator], dict[str, Any]]
    comparison: str | None = None
    always_reported: bool = False
    population: str = "denominator"
    unit_value: bool = False
    check: Callable[[Indicator], list[str]] | None = None


#: Every indicator kind by name (the one home of a kind).
KIND_TABLE: dict[str, Kind] = {}


def register_kind(kind: Kind, *, replace: bool = False) -> _Registration:
    """Register ``kind`` in :data:`KIND_TABLE`; use as a context manager to undo it."""
    if kind.name in KIND_TABLE and not replace:
        raise InvalidOptionError(f"指标类型 {kind.name!r} 已注册", f"indicator kind {kind.name!r} is already registered")
    old = KIND_TABLE.get(kind.name)
    KIND_TABLE[kind.name] = kind

    def undo() -> None:
        if old is None:
            KIND_TABLE.pop(kind.name, None)
        else:
            KIND_TABLE[kind.name] = old

    return _Registration(undo)


class KindDocs(Mapping[str, str]):
    """Live read-only view ``kind -> doc`` (``coopmetrics.registry.KINDS``)."""

    def __getitem__(self, key: str) -> str:
        return KIND_TABLE[key].doc

    def __iter__(self) -> Iterator[str]:
        return iter(KIND_TABLE)

    def __len__(self) -> int:
        return len(KIND_TABLE)

    def __repr__(self) -> str:
        return repr(dict(self))


def comparison_kind(ind: Indicator) -> str:
    """The kind :func:`coopmetrics.compare` compares ``ind`` as (``proportion``, ``likert``, ``mean``, ``median``).

    Raises
    ------
    coopmetrics.errors.InvalidOptionError
        For kinds that cannot be compared unit by unit (counts, sums, ratios of sums).

    Examples
    --------
    >>> from coopmetrics.registry import get_indicator
    >>> comparison_kind(get_indicator("school_satisfaction")), comparison_kind(get_indicator("salary_mean"))
    ('likert', 'mean')
    """
    kind = KIND_TABLE.get(ind.kind)
    comp = kind.comparison if kind is not None else None
    if comp == "likert" and not ind.survey_kind:
        comp = "proportion"  # a weighted share without survey answers has no 1-5 score to compare
    if comp is None:
        raise InvalidOptionError(
            f"指标 {ind.id!r} 的类型 {ind.kind!r} 不能按个体比较（只支持比例、满意度、均值、中位数）",
            f"indicator {ind.id!r} has kind {ind.kind!r}, which cannot be compared unit by unit "
            "(supported: proportions, survey satisfaction, means, medians).",
        )
    return comp


# --- the built-in kinds ----------------------------------------------------------------------------------

NAN = np.nan


def _no_interval(numerator: Any, denominator: Any, n: Any, estimate: Any) -> dict[str, Any]:
    return dict(numerator=numerator, denominator=denominator, n=n, estimate=estimate, se=NAN, ci_low=NAN,
                ci_high=NAN, ci_method="none", n_eff=NAN, deff=NAN, estimate_unweighted=estimate)


def _proportion_collect(p: Collector, ind: Indicator) -> None:
    p.count("d", ind.denominator.where)
    p.count("x", ind.numerator.where)


def _proportion(s: Stats, ind: Indicator) -> dict[str, Any]:
    from .. import estimators as est  # local: scipy loads only when something is computed

    x, d = s["x"], s["d"]
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(d > 0, x / d, NAN)
    lo, hi = est.proportion_interval(x, d, s.level, s.method)
    return dict(numerator=x, denominator=d, n=d, estimate=p, se=est.proportion_se(x, d), ci_low=lo,
                ci_high=hi, ci_method=s.method, n_eff=d, deff=1.0, estimate_unweighted=p)


def _weighted_share(s: Stats, ind: Indicator) -> dict[str, Any]:
    """Raked or supplied-weight survey share, respondent as cluster (see docs/statistics.md §9)."""
    from .. import estimators as est  # local: scipy loads only when something is computed

    n = s["n"]
    _, weff = est.kish(s["sw"], s["sw2"], n)
    v_cal = s["v_cal"] if "v_cal" in s else None
    ws = est.weighted_share(n, s["swx"], s["swy"], s["sw2xx"], s["sw2yy"], s["sw2xy"], n, weff, s.level,
                            s.method, variance=v_cal)
    deff = est.design_effect(ws["variance"], ws["estimate"], s["swxx"], s["sw"], n)
    with np.errstate(divide="ignore", invalid="ignore"):
        unw = s["x"] / n
        rr = s["ret"] / s["roster"]
        n_eff = n / deff
    return dict(numerator=s["x"], denominator=n, n=n, estimate=ws["estimate"], se=ws["se"],
                ci_low=ws["ci_low"], ci_high=ws["ci_high"],
                ci_method=f"{s.method}_design" + ("_calibrated" if v_cal is not None else ""), n_eff=n_eff,
                deff=deff, estimate_unweighted=unw, response_rate=rr, weighting_effect=weff)


def _mean_collect(p: Collector, ind: Indicator) -> None:
    from ..registry import Filter, Measure

    m = ind.numerator
    where = (*m.where, Filter(m.column, "notnull"))
    p.count("n", where)
    mm = Measure("sum", m.column, where)
    p.total("s", mm)
    p.total("ss", mm, power=2)


def _mean(s: Stats, ind: Indicator) -> dict[str, Any]:
    from .. import estimators as est  # local: scipy loads only when something is computed

    n = s["n"]
    mean, se, lo, hi = est.mean_interval(n, s["s"], s["ss"], s.level)
    return dict(numerator=s["s"], denominator=n, n=n, estimate=mean, se=se, ci_low=lo, ci_high=hi, ci_method="t",
                n_eff=n, deff=1.0, estimate_unweighted=mean)


def _median(s: Stats, ind: Indicator) -> dict[str, Any]:
    """Order-statistic interval; Dask's engine median has none (``ci`` = 0)."""
    from .. import estimators as est  # local: scipy loads only when something is computed

    z = est.z_value(s.level)
    lo, hi, n = s["lo"], s["hi"], s["n"]
    with_ci = not (len(s["ci"]) and s["ci"][0] == 0)
    return dict(numerator=NAN, denominator=n, n=n, estimate=s["median"], se=(hi - lo) / (2 * z), ci_low=lo,
                ci_high=hi, ci_method="order_statistic" if with_ci else "none", n_eff=n, deff=1.0,
                estimate_unweighted=s["median"])


def _count_collect(p: Collector, ind: Indicator) -> None:
    if ind.numerator.agg == "count_distinct":
        p.special("distinct")
    else:
        p.count("c", ind.numerator.where)


def _sum_collect(p: Collector, ind: Indicator) -> None:
    from ..registry import Filter

    m = ind.numerator
    p.total("s", m)
    p.count("n", (*m.where, Filter(m.column, "notnull")))


def _ratio_collect(p: Collector, ind: Indicator) -> None:
    num, den = ind.numerator, ind.denominator
    tn, td = num.table or ind.table, den.table or ind.table
    p.measure("sx", num, table=tn)
    p.measure("sy", den, table=td)
    if tn == td:
        p.moments(num, den, table=tn)
    else:  # totals of two tables: no unit-level covariance, so no interval
        p.count("n", den.where, table=td)


def _ratio(s: Stats, ind: Indicator) -> dict[str, Any]:
    from .. import estimators as est  # local: scipy loads only when something is computed

    if "sxx" not in s:
        sx, sy = s["sx"], s["sy"]
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(sy > 0, sx / sy, NAN)
        return {**_no_interval(sx, sy, s["n"], r)}
    n = s["n"]
    r, se, lo, hi = est.ratio_interval(n, s["sx"], s["sy"], s["sxx"], s["syy"], s["sxy"], s.level)
    return dict(numerator=s["sx"], denominator=s["sy"], n=n, estimate=r, se=se, ci_low=lo, ci_high=hi,
                ci_method="delta", n_eff=n, deff=1.0, estimate_unweighted=r)


def _count(s: Stats, ind: Indicator) -> dict[str, Any]:
    c = s["c"]
    return _no_interval(c, NAN, c, c)


def _sum(s: Stats, ind: Indicator) -> dict[str, Any]:
    return _no_interval(s["s"], NAN, s["n"], s["s"])


def _check_proportion(ind: Indicator) -> list[str]:
    if ind.denominator is None or ind.numerator.agg != "count" or ind.denominator.agg != "count":
        return ["proportions need count numerator and denominator"]
    if not set(ind.denominator.where) <= set(ind.numerator.where):
        return ["numerator filters must include the denominator's"]
    if (ind.numerator.table or ind.table) != (ind.denominator.table or ind.table):
        return ["proportion numerator and denominator must share a table"]
    return []


def _check_location(ind: Indicator) -> list[str]:
    if ind.numerator.agg != ind.kind or ind.denominator is not None:
        return [f"{ind.kind} needs numerator agg {ind.kind!r} and no denominator"]
    return []


def _check_ratio(ind: Indicator) -> list[str]:
    return ["ratio needs a denominator"] if ind.denominator is None else []


def _check_total(ind: Indicator) -> list[str]:
    return [f"{ind.kind} has no denominator"] if ind.denominator is not None else []


_BUILTIN = (
    Kind("proportion", "share of units in the denominator population that meet the numerator filters",
         frozenset({"share"}), _proportion_collect, _proportion, comparison="proportion",
         check=_check_proportion),
    Kind("weighted_proportion", "survey top-box share, (raking-)weighted, respondent as cluster",
         frozenset({"share"}), lambda p, ind: p.special("survey"), _weighted_share, comparison="likert",
         check=_check_proportion),
    Kind("mean", "arithmetic mean of a column over the population",
         frozenset({"yuan_per_month", "yuan", "months", "hours"}), _mean_collect, _mean, comparison="mean",
         population="numerator", unit_value=True, check=_check_location),
    Kind("median", "median of a column over the population",
         frozenset({"yuan_per_month", "yuan", "months", "hours"}), lambda p, ind: p.special("median"), _median,
         comparison="median", population="numerator", unit_value=True, check=_check_location),
    Kind("ratio_of_sums", "sum of the numerator measure / sum of the denominator measure (possibly two tables)",
         frozenset({"share", "students_per_teacher", "yuan_per_student", "positions_per_graduate",
                    "hires_per_intern", "posts_per_job_seeker", "times", "yuan_per_person"}), _ratio_collect, _ratio,
         check=_check_ratio),
    Kind("count", "number of units (or distinct units) meeting the filters", frozenset({"persons", "enterprises", "bases", "agreements", "events", "projects"}),
         _count_collect, _count, always_reported=True, population="numerator", check=_check_total),
    Kind("sum", "total of a column over the units meeting the filters",
         frozenset({"yuan", "persons", "positions", "hours", "person_days", "bases", "courses", "textbooks",
                    "patents", "person_times", "enterprises"}), _sum_collect, _sum,
         always_reported=True, population="numerator", check=_check_total),
)
for _k in _BUILTIN:
    register_kind(_k)
