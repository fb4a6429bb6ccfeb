"""Helpers shared by the comparison modules (:mod:`coopmetrics.compare`, :mod:`coopmetrics.funnel`).

Getting an indicator's comparison kind and unit values from the registry, and the
argument checks every comparison function makes, and the bootstrap of means on
distinct-value counts (:func:`value_counts`, :func:`_poisson_blocks`,
:func:`_poisson_percentiles`; on group totals :func:`_bootstrap_from_counts`).

Examples
--------
>>> from coopmetrics.compare_base import _as_list
>>> _as_list("major"), _as_list(None)
(['major'], [])
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .compare_draws import _poisson_ppf
from .errors import InvalidOptionError, MissingColumnError

KINDS = ("proportion", "likert", "mean", "median")


def _flag_count(k: int, zh: str, en: str) -> str:
    return f"{k} {zh} / {k} {en}"


# ----------------------------------------------------------------------------------------
# Getting unit values from the registry
# ----------------------------------------------------------------------------------------


def _kind_of(indicator: str) -> tuple[str, Any]:
    """Comparison kind of a registry indicator (proportion, likert, mean, median), declared by its kind."""
    from .registry import comparison_kind, get_indicator

    ind = get_indicator(indicator)
    return comparison_kind(ind), ind


def _unit_values(data: Any, indicator: str, columns: Sequence[str], options: Any,
                 categories: Sequence[str] = ()) -> pd.DataFrame:
    from .compute import unit_values

    v = unit_values(data, indicator, columns=tuple(dict.fromkeys(columns)), options=options, categories=categories)
    if not isinstance(v, pd.DataFrame):  # lazy frames are collected: comparisons need rows
        v = v.to_pandas() if hasattr(v, "to_pandas") else pd.DataFrame(v)
    return v


def _as_list(x: str | Sequence[str] | None) -> list[str]:
    if x is None:
        return []
    if isinstance(x, str):
        return [x]
    return list(x)


def _need(frame: pd.DataFrame, cols: Sequence[str], func: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise MissingColumnError(
            f"{func}() 需要的列不存在：{missing}（现有：{list(frame.columns)}）",
            f"{func}() needs column(s) {missing}, not found (present: {list(frame.columns)})",
            column=", ".join(missing),
        )


def _check_level(ci_level: float, func: str) -> float:
    if not (isinstance(ci_level, int | float) and 0 < ci_level < 1):
        raise InvalidOptionError(
            f"{func}() 的 ci_level 必须在 0 和 1 之间，收到 {ci_level!r}",
            f"The 'ci_level' of {func}() must be between 0 and 1. Got {ci_level!r} instead.",
        )
    return float(stats.norm.isf((1 - ci_level) / 2))


def value_counts(long: pd.DataFrame, ref_of: np.ndarray | None = None) -> pd.DataFrame:
    """Distinct ``(pair_id, arm, value, weight)`` cells with their row counts ``n``.

    The sufficient table of a bootstrap of means: a resample of rows only changes how
    often each distinct (value, weight) appears, so the bootstrap never needs the rows,
    only these counts (a few thousand cells even for millions of rows of salaries
    rounded to the yuan). Reference blocks shared by the comparisons of one ``by``
    group are kept once (``ref_of``), as in :func:`_bootstrap`.
    """
    if ref_of is not None:
        pid, arm = long["pair_id"].to_numpy(), long["arm"].to_numpy()
        long = long.loc[(arm == 1) | (ref_of[pid] == pid)]
    c = long.groupby(["pair_id", "arm", "value", "weight"], sort=True, observed=True).size()
    return c.rename("n").reset_index()


#: cells counting at most this many rows draw their Poisson weight from a 16-bit lookup table
_LUT_MAX = 16
_LUT: np.ndarray | None = None


def _poisson_lut() -> np.ndarray:
    """``lut[c, u]``: the Poisson(c) quantile at ``(u + 0.5) / 65536`` (c = 1.._LUT_MAX).

    One 16-bit uniform and one table look-up per cell and replicate, several times faster
    than a Poisson draw. The 2^-16 grid moves each probability by < 1.6e-5 and cuts tails
    of probability < 7.7e-6: far inside the Monte Carlo error of any bootstrap.
    """
    global _LUT
    if _LUT is None:
        u = (np.arange(65536) + 0.5) / 65536
        ks = np.arange(4 * _LUT_MAX + 40)
        lut = np.zeros((_LUT_MAX + 1, 65536), dtype=np.uint8)
        for c in range(1, _LUT_MAX + 1):  # quantile = first k with cdf(k) >= u
            cdf = stats.poisson.cdf(ks, c)
            lut[c] = np.minimum(np.searchsorted(cdf, u, side="left"), 255)
        _LUT = lut
    return _LUT


#: default of ``bootstrap_exact_max``: "auto" = every arm exact unless its by-group has more
#: than :data:`AUTO_EXACT_UNITS` units (a provincial panel), then :data:`AUTO_ARM_MAX`
#: (:func:`resolve_exact_max_groups`).
BOOTSTRAP_EXACT_MAX = "auto"
#: "auto": up to this many units in a call, the exact Poisson bootstrap costs seconds (1M rows:
#: 20 s all exact vs 18 s hybrid, docs/scale.md), so nobody gets an approximation they did not need
AUTO_EXACT_UNITS = 1_000_000
#: "auto" above AUTO_EXACT_UNITS: arms of more units draw their replicate means from the
#: Cornish–Fisher-corrected normal law (see :func:`_arm_plan`); the "small n" line of compare()
AUTO_ARM_MAX = 30
#: Berry–Esseen constant for sums of i.i.d. terms (Shevtsova 2011: C <= 0.4748)
_BE_C = 0.4748
#: sup over a > 0 of sup_x |Phi(x) - P(Z + a (Z^2 - 1) <= x)| / a (0.4299 at a = 0.28; tested)
_CF_C = 0.431
#: approximation only where the relative spread keeps the power sums' cancellation small
#: (sd > 1e-3 |mean|) and the Cornish–Fisher transform is monotone beyond |z| = 6 (gamma^2 <= n / 4)
_REL_VAR_MIN = 1e-6
_SKEW2_PER_N = 0.25
#: cost of one approximated arm, in cells, when cutting blocks (a Poisson and a normal draw)
_APPROX_COST = 4
_F_APPROX = ("自助法区间对{zh}用 Cornish–Fisher 偏度校正的正态近似（n>{t}），与精确泊松自助分布的 Kolmogorov 距离≤{d}"
             " / bootstrap CI: Cornish–Fisher-corrected normal draws for the {en} (n>{t}), "
             "Kolmogorov distance to the exact Poisson bootstrap <= {d}")


def _check_exact_max(exact_max: Any, func: str = "compare") -> int | str | None:
    """``bootstrap_exact_max`` must be ``None``, ``"auto"`` or a whole number >= 0 (bilingual error otherwise)."""
    if exact_max is None or (isinstance(exact_max, str) and exact_max == "auto"):
        return exact_max
    if isinstance(exact_max, bool) or not isinstance(exact_max, int | np.integer) or exact_max < 0:
        raise InvalidOptionError(
            f"{func}() 的 bootstrap_exact_max 必须是 \"auto\"、不小于 0 的整数或 None，收到 {exact_max!r}",
            f"The 'bootstrap_exact_max' of {func}() must be \"auto\", a whole number >= 0 or None. "
            f"Got {exact_max!r} instead.",
        )
    return int(exact_max)


def resolve_exact_max(exact_max: Any, n_units: float) -> int | None:
    """The arm size above which the bootstrap of means is approximated, for a call of ``n_units`` units.

    ``"auto"``: ``None`` (every arm exact) up to :data:`AUTO_EXACT_UNITS` units, else
    :data:`AUTO_ARM_MAX`; a number or ``None`` is returned as given (after checking).

    Examples
    --------
    >>> resolve_exact_max("auto", 5_000), resolve_exact_max("auto", 2e6), resolve_exact_max(None, 2e6)
    (None, 30, None)
    """
    exact_max = _check_exact_max(exact_max)
    if exact_max == "auto":
        return None if n_units <= AUTO_EXACT_UNITS else AUTO_ARM_MAX
    return exact_max  # type: ignore[return-value]


def resolve_exact_max_groups(exact_max: Any, group_units: np.ndarray) -> int | np.ndarray | None:
    """:func:`resolve_exact_max` for each comparison, ``"auto"`` judged on its own by-group's units.

    ``group_units``: per comparison, the units of its by-group (every cohort level and the
    reference), i.e. what a call on that group's rows alone counts, so that a group's
    interval in a ``compare(by=...)`` call is the one its own call gives. Returns ``None``
    (every arm exact), one threshold, or per comparison a threshold (``inf``: exact).

    Examples
    --------
    >>> import coopmetrics.compare_base as cb
    >>> cb.resolve_exact_max_groups("auto", np.array([5e5, 2e6])).tolist()
    [inf, 30.0]
    >>> cb.resolve_exact_max_groups("auto", np.array([5e5, 9e5])), cb.resolve_exact_max_groups(40, np.array([5.]))
    (None, 40)
    """
    exact_max = _check_exact_max(exact_max)
    if exact_max != "auto":
        return exact_max  # type: ignore[return-value]
    small = np.asarray(group_units, dtype=float) <= AUTO_EXACT_UNITS
    if small.all():
        return None
    if not small.any():
        return AUTO_ARM_MAX
    return np.where(small, np.inf, float(AUTO_ARM_MAX))


def group_units(n1: np.ndarray, n0: np.ndarray, ref_of: np.ndarray) -> np.ndarray:
    """Per comparison, the units of its by-group: the cohort arms of the group's comparisons plus
    the reference arm they share (``ref_of``: each comparison's first comparison of its group)."""
    n1 = np.nan_to_num(np.asarray(n1, dtype=float))
    ref_of = np.asarray(ref_of, dtype=np.int64)
    return np.bincount(ref_of, weights=n1, minlength=len(n1))[ref_of] + np.nan_to_num(
        np.asarray(n0, dtype=float))[ref_of]


def engine_exact_max(exact_max: int | np.ndarray | None, units: np.ndarray) -> int | None:
    """One threshold for the engine's count filter (:func:`_exact_candidates`) that keeps the counts
    of every arm per-comparison thresholds may leave exact: an exact group's arms have at most its
    ``units``."""
    if not isinstance(exact_max, np.ndarray):
        return exact_max
    exact = ~np.isfinite(exact_max)
    return int(max(exact_max[~exact].max(initial=0), np.asarray(units, dtype=float)[exact].max(initial=0)))


def _threshold_text(exact_max: int | np.ndarray) -> str:
    """The threshold named in the flag of approximated arms."""
    if isinstance(exact_max, np.ndarray):
        finite = exact_max[np.isfinite(exact_max)]
        return str(int(finite.min())) if len(finite) else str(AUTO_ARM_MAX)
    return str(exact_max)


def _exact_candidates(exact_max: int) -> Any:
    """Engine expression on power sums ``n, s1..s4``: groups that may take the exact route.

    A superset (10 % slack on each guard) of :func:`_arm_plan`'s choice, so that float
    differences between engines never leave an exact arm without its counts.
    """
    import narwhals as nw

    n, mu = nw.col("n"), nw.col("s1") / nw.col("n")
    m2 = nw.col("s2") / n - mu * mu
    m3 = nw.col("s3") / n - 3 * mu * nw.col("s2") / n + 2 * mu * mu * mu
    return ((n <= exact_max) | (m2 <= 1.1 * _REL_VAR_MIN * mu * mu)
            | (m3 * m3 > 0.9 * _SKEW2_PER_N * n * m2 * m2 * m2))


def _arm_plan(mom: pd.DataFrame, n_arms: int, exact_max: int | np.ndarray | None) -> dict[str, np.ndarray]:
    """Which arms draw approximate replicate means, with what law, and the error bound.

    ``mom`` has ``gid`` (``pair * 2 + arm``), ``n``, the power sums ``s1..s4`` and
    ``weighted``. A Poisson bootstrap replicate of an arm is, given its resample size
    ``m ~ Poisson(n)``, the mean of ``m`` i.i.d. draws from the arm's values. Arms with
    ``n > exact_max`` (unweighted, enough spread, moderate skew) draw ``m`` exactly and
    the mean as ``x̄ + σ/√m · (Z + γ/(6√m) (Z² − 1))`` (Cornish–Fisher; σ, γ the arm's
    population SD and skewness). Bound on the Kolmogorov distance to the exact law:
    Berry–Esseen given ``m`` (0.4748 ρ / (σ³ √m), ρ = E|x − x̄|³ <= σ² √kurtosis) plus the
    Cornish–Fisher term (<= 0.431 |γ| / (6 √m)); averaged over ``m`` with
    E[m^-1/2; m >= 1] <= √((1 + 3/n) / n). Returns arrays over gid (length ``n_arms``).
    ``exact_max`` may be one threshold per comparison (``gid // 2``; ``inf``: exact).
    """
    out = {k: np.zeros(n_arms) for k in ("n", "mean", "sd", "gamma", "bound")}
    out["approx"] = np.zeros(n_arms, dtype=bool)
    if exact_max is None or not len(mom):
        return out
    g = mom["gid"].to_numpy(dtype=np.int64)
    n = mom["n"].to_numpy(dtype=float)
    limit = exact_max[g // 2] if isinstance(exact_max, np.ndarray) else exact_max
    with np.errstate(invalid="ignore", divide="ignore"):
        e1, e2, e3, e4 = (mom[f"s{k}"].to_numpy(dtype=float) / n for k in range(1, 5))
        m2 = e2 - e1**2
        m3 = e3 - 3 * e1 * e2 + 2 * e1**3
        m4 = e4 - 4 * e1 * e3 + 6 * e1**2 * e2 - 3 * e1**4
        gamma = m3 / m2**1.5
        kurt = np.maximum(m4 / m2**2, 1.0)  # >= 1 for any distribution (round-off aside)
        ok = ((n > limit) & (m2 > _REL_VAR_MIN * e1**2) & (m3**2 <= _SKEW2_PER_N * n * m2**3)
              & ~mom["weighted"].to_numpy(dtype=bool) & np.isfinite(gamma) & np.isfinite(kurt))
        root = np.sqrt((1 + 3 / n) / n)  # E[m^-1/2; m >= 1] for m ~ Poisson(n)
        bound = np.minimum(1.0, (_BE_C * np.sqrt(kurt) + _CF_C * np.abs(gamma) / 6) * root)
    out["approx"][g] = ok
    for k, v in (("n", n), ("mean", e1), ("sd", np.sqrt(np.maximum(m2, 0))), ("gamma", gamma), ("bound", bound)):
        out[k][g] = np.where(ok, v, 0.0)
    return out


def _moments_from_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """Power sums ``n, s1..s4`` per arm (``gid``) from distinct-value counts (the unit route)."""
    v = counts["value"].to_numpy(dtype=float)
    c = counts["n"].to_numpy(dtype=float)
    gid = counts["pair_id"].to_numpy(dtype=np.int64) * 2 + counts["arm"].to_numpy(dtype=np.int64)
    f = pd.DataFrame({"gid": gid, "n": c, "s1": c * v, "s2": c * v**2, "s3": c * v**3, "s4": c * v**4,
                      "weighted": counts["weight"].to_numpy(dtype=float) != 1})
    return f.groupby("gid", sort=True).agg(
        n=("n", "sum"), s1=("s1", "sum"), s2=("s2", "sum"), s3=("s3", "sum"), s4=("s4", "sum"),
        weighted=("weighted", "any")).reset_index()


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)

#: True inside :func:`same_draws_per_group`: every by-group draws the replicates of a call without ``by``.
_SAME_DRAWS = contextvars.ContextVar("coopmetrics_same_draws_per_group", default=False)


@contextlib.contextmanager
def same_draws_per_group() -> Iterator[None]:
    """Within this block, each by-group of a mean comparison draws what a call on its rows alone draws.

    The bootstrap's random numbers are counter-based (:func:`_counter_bits`): a cell's draws
    are a hash of (seed, by-group, comparison, arm, value, weight, replicate). By default the
    by-group's position is part of the key, so groups get independent Monte Carlo noise; inside
    this block it is left out, so that ``compare(by=["college"])`` gives every college the
    interval of its own ``compare()`` call (the provincial report computes the comparisons once
    for all colleges this way). The colleges' Monte Carlo errors are then alike, as they are
    when each college runs its own report with the same seed.

    Examples
    --------
    >>> with same_draws_per_group():
    ...     _SAME_DRAWS.get()
    True
    """
    token = _SAME_DRAWS.set(True)
    try:
        yield
    finally:
        _SAME_DRAWS.reset(token)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser (Steele, Lea & Flood 2014), vectorised over uint64 (wrapping)."""
    x = x.astype(np.uint64, copy=True)
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


def _cell_keys(seed: int, *parts: np.ndarray) -> np.ndarray:
    """One 64-bit key per cell from the seed and the cell's own identity (hashed in turn)."""
    key = _splitmix64(np.array([seed], dtype=np.int64).view(np.uint64) + _GOLDEN)
    for p in parts:
        key = _splitmix64(key ^ (np.ascontiguousarray(p).view(np.uint64) if p.dtype == np.float64
                                 else p.astype(np.int64).view(np.uint64)))
    return key


def _counter_bits(keys: np.ndarray, n_boot: int) -> np.ndarray:
    """``(n_boot, len(keys))`` random 64-bit words: splitmix64 of (cell key, replicate).

    A counter-based stream: a cell's words depend only on its key and the replicate number,
    never on which other cells are drawn in the same call or in which order, so a college's
    bootstrap in a ``compare(by=["college"])`` call is the one its own call draws.
    """
    reps = np.arange(1, n_boot + 1, dtype=np.uint64) * _GOLDEN
    with np.errstate(over="ignore"):
        return _splitmix64(reps[:, None] + keys[None, :])


def _uniform(bits: np.ndarray) -> np.ndarray:
    """Uniforms in (0, 1) from the top 53 bits of each word."""
    return ((bits >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53


def _approx_draws(plan: dict[str, np.ndarray], cols: np.ndarray, n_boot: int,
                  keys: np.ndarray) -> np.ndarray:
    """Replicate means of approximated arms ``cols`` (see :func:`_arm_plan`), NaN when m = 0.

    ``keys``: one counter key per arm (:func:`_counter_bits`): the resample size by the
    Poisson inverse CDF, the normal deviate by the normal inverse CDF of two independent words.
    The deviation from the mean is computed in place in float32 (relative error ~1e-7 of a
    deviation of a few standard errors), the mean added in float64.
    """
    from scipy.special import ndtri

    m = _poisson_ppf(_uniform(_counter_bits(keys, n_boot)), plan["n"][cols]).astype(np.float32)
    z = ndtri(_uniform(_counter_bits(_splitmix64(keys ^ _GOLDEN), n_boot))).astype(np.float32)
    rt = np.sqrt(m)
    dev = z * z
    dev -= 1
    dev *= (plan["gamma"][cols] / 6).astype(np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        dev /= rt
        dev += z
        dev *= plan["sd"][cols].astype(np.float32)
        dev /= rt
    out = dev + plan["mean"][cols]
    out[m == 0] = np.nan
    return out


def _poisson_blocks(counts: pd.DataFrame, n_pairs: int, n_boot: int, seed: int,
                    ref_of: np.ndarray | None = None, budget: int = 4_000_000,
                    plan: dict[str, np.ndarray] | None = None,
                    ) -> Iterator[tuple[int, int, np.ndarray]]:
    """Poisson bootstrap of the arm means, one block of comparisons at a time.

    Yields ``(lo, hi, boot)`` with ``boot`` of shape ``(n_boot, hi - lo, 2)``: the replicate
    (weighted) means of comparisons ``lo..hi-1``. Each row gets an independent Poisson(1)
    weight (the Poisson bootstrap: Hanley & MacGibbon 2006; Chamandy et al. 2012); the
    rows sharing a distinct ``(value, weight)`` cell then carry a total weight
    ``Poisson(n_cell)``, so one draw per cell and replicate is exactly the Poisson
    bootstrap of the rows. Its replicate means have the distribution of the multinomial
    (row) bootstrap up to terms of order ``1/n`` (the resample size is ``Poisson(n)``).
    Blocks hold at most ``budget`` cells x replicates and never split a ``by`` group (its
    comparisons share a reference block, ``ref_of``): memory is bounded whatever the
    number of rows or comparisons. A replicate with no row drawn in an arm (probability
    ``exp(-n)``) has no mean (NaN; percentile intervals skip it). Arms marked ``approx`` in
    ``plan`` (:func:`_arm_plan`) have no cells in ``counts``: their replicate means are
    drawn from their moments (:func:`_approx_draws`), after the block's exact cells.

    The random numbers are counter-based (:func:`_counter_bits`): a cell's Poisson weights are
    the inverse CDF of a hash of (seed, by-group, comparison within it, arm, value, weight,
    replicate), never positions in one stream, so they do not depend on the other cells of
    the call, the block edges or the engine's row order (see :func:`same_draws_per_group`).
    """
    pid = counts["pair_id"].to_numpy(dtype=np.int64)
    gid = pid * 2 + counts["arm"].to_numpy(dtype=np.int64)
    c = counts["n"].to_numpy(dtype=float)
    w = counts["weight"].to_numpy(dtype=float)
    wy = w * counts["value"].to_numpy(dtype=float)
    ref = np.arange(n_pairs) if ref_of is None else np.asarray(ref_of)
    # block edges: first comparisons of by-groups, cut where the cells so far exceed the budget
    cells_upto = np.searchsorted(pid, np.arange(n_pairs + 1))  # cells of pairs < p
    approx = np.zeros(2 * n_pairs, dtype=bool) if plan is None else plan["approx"]
    cost_upto = cells_upto + _APPROX_COST * np.r_[0, np.cumsum(approx.reshape(n_pairs, 2).sum(axis=1))]
    heads = np.flatnonzero(ref == np.arange(n_pairs))  # first comparison of each by-group
    per = max(1, budget // max(n_boot, 1))
    heads = np.append(heads, n_pairs)
    edges, start = [0], 0
    while start < n_pairs:  # a loop over blocks of many comparisons, not per comparison
        nxt = heads[np.searchsorted(cost_upto[heads], cost_upto[start] + per, side="right") - 1]
        if nxt <= start:  # one by-group larger than the budget: a block of its own
            nxt = heads[np.searchsorted(heads, start, side="right")]
        edges.append(int(nxt))
        start = int(nxt)
    lut = _poisson_lut().astype(np.float32)  # float32 weights: exact small integers, one gather
    # counter-based draws: a cell's key is (seed, its comparison's position within its by-group,
    # arm, value, weight), so a by-group (college) draws the same replicates in any call
    group = np.zeros(n_pairs, dtype=np.int64) if _SAME_DRAWS.get() else ref.astype(np.int64)
    within = np.arange(n_pairs, dtype=np.int64) - ref  # the comparison's position in its by-group
    keys = _cell_keys(seed, group[pid], within[pid], counts["arm"].to_numpy(dtype=np.int64),
                      counts["value"].to_numpy(dtype=np.float64), w.astype(np.float64))
    pair_of_arm = np.arange(2 * n_pairs) // 2
    arm_keys = _cell_keys(seed ^ 0x5DEECE66D, group[pair_of_arm], within[pair_of_arm],
                          np.arange(2 * n_pairs, dtype=np.int64) % 2)
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        a, b = cells_upto[lo], cells_upto[hi]
        cc, k = c[a:b], b - a
        out = np.full((n_boot, (hi - lo) * 2), np.nan)
        if k:
            small = cc <= _LUT_MAX
            bits = _counter_bits(keys[a:b], n_boot)
            u = (bits >> np.uint64(48)).astype(np.uint16)
            m = lut[1][u]  # most cells hold one row; the others get their own table
            for cv in np.unique(cc[small & (cc != 1)]).astype(np.int64):  # at most _LUT_MAX values
                cols = np.flatnonzero(cc == cv)
                m[:, cols] = lut[cv][u[:, cols]]
            if not small.all():  # large cells: the Poisson inverse CDF of a 53-bit uniform
                m[:, ~small] = _poisson_ppf(_uniform(bits[:, ~small]), cc[~small])
            del bits, u
            groups, starts = np.unique(gid[a:b] - 2 * lo, return_index=True)
            num = np.add.reduceat(m * wy[a:b], starts, axis=1)
            ww = w[a:b]
            if (ww == 1).all():  # counts: float32 sums are exact below 2^24 (the block holds far fewer)
                den = np.add.reduceat(m, starts, axis=1, dtype=np.float32 if cc.sum() < 2**21 else float)
            else:
                den = np.add.reduceat(m * ww, starts, axis=1)
            den = den.astype(float, copy=False)
            del m
            with np.errstate(invalid="ignore", divide="ignore"):
                out[:, groups] = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
        cols = np.flatnonzero(approx[2 * lo:2 * hi])
        if len(cols):
            out[:, cols] = _approx_draws(plan, cols + 2 * lo, n_boot, arm_keys[cols + 2 * lo])
        boot = out.reshape(n_boot, hi - lo, 2)
        boot[:, :, 0] = boot[:, ref[lo:hi] - lo, 0]
        yield lo, hi, boot


def _poisson_bootstrap_means(counts: pd.DataFrame, n_pairs: int, n_boot: int, seed: int,
                             ref_of: np.ndarray | None = None, budget: int = 4_000_000,
                             exact_max: int | np.ndarray | None = None) -> np.ndarray:
    """All replicate arm means at once, shape ``(n_boot, n_pairs, 2)`` (see :func:`_poisson_blocks`).

    ``exact_max``: arms with more units are approximated (:func:`_arm_plan`); default: all exact.
    """
    counts, plan = _split_exact(counts, None, n_pairs, exact_max)
    out = np.full((n_boot, n_pairs, 2), np.nan)
    for lo, hi, boot in _poisson_blocks(counts, n_pairs, n_boot, seed, ref_of, budget, plan):
        out[:, lo:hi] = boot
    return out


def _split_exact(counts: pd.DataFrame, moments: pd.DataFrame | None, n_pairs: int,
                 exact_max: int | np.ndarray | None) -> tuple[pd.DataFrame, dict[str, np.ndarray] | None]:
    """The plan of approximated arms and the counts of the exact ones (cells of the others dropped).

    ``moments`` (``pair_id, arm, n, s1..s4``, from the engine) or, when ``None``, power
    sums from ``counts`` themselves.
    """
    if not isinstance(exact_max, np.ndarray):
        exact_max = resolve_exact_max(exact_max, float(counts["n"].sum()) if "n" in counts.columns else len(counts))
    if exact_max is None:
        return counts, None
    if moments is None:
        mom = _moments_from_counts(counts)
    else:
        mom = moments.assign(gid=moments["pair_id"].to_numpy(dtype=np.int64) * 2
                             + moments["arm"].to_numpy(dtype=np.int64), weighted=False)
    plan = _arm_plan(mom, 2 * n_pairs, exact_max)
    gid = counts["pair_id"].to_numpy(dtype=np.int64) * 2 + counts["arm"].to_numpy(dtype=np.int64)
    keep = ~plan["approx"][gid]
    return (counts if keep.all() else counts.loc[keep]), plan


def _percentile_ci(boot: np.ndarray, ok: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile intervals of the difference and the ratio of replicate arms, NaN where not ``ok``."""
    alpha = 1 - level
    with np.errstate(invalid="ignore", divide="ignore"):
        bdiff = boot[:, :, 1] - boot[:, :, 0]
        bratio = boot[:, :, 1] / boot[:, :, 0]
    q = np.array([alpha / 2, 1 - alpha / 2])
    dq = np.where(ok[None, :], _nanquantile0(bdiff, q), np.nan)
    rq = np.where(ok[None, :], _nanquantile0(bratio, q), np.nan)
    return dq, rq


def _nanquantile0(a: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``numpy.nanquantile(a, q, axis=0)`` (linear method) for every column at once.

    numpy falls back to a Python loop over columns as soon as one holds a NaN; here
    NaNs sort last and each column interpolates between its own valid order
    statistics. An all-NaN column gives NaN (no warning).
    """
    s = np.sort(a, axis=0)  # numpy's SIMD sort beats np.partition here (measured)
    k = np.sum(~np.isnan(a), axis=0)
    pos = q[:, None] * np.maximum(k - 1, 0)[None, :]
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, np.maximum(k - 1, 0)[None, :])
    frac = pos - lo
    v_lo = np.take_along_axis(s, lo, axis=0)
    v_hi = np.take_along_axis(s, hi, axis=0)
    with np.errstate(invalid="ignore"):
        out = v_lo + (v_hi - v_lo) * frac
    return np.where(k[None, :] > 0, out, np.nan)


def canonical_rank(keys: pd.DataFrame) -> np.ndarray:
    """Position of each comparison when sorted by the text of its key columns (``by`` first).

    Engines return groups in their own order and with their own dtypes (category, string,
    integer); ranking by text gives every route and engine the same order, hence the same
    bootstrap random numbers for the same comparison.
    """
    cols = [keys[c].astype(str).fillna("").to_numpy() for c in keys.columns]
    order = np.lexsort(cols[::-1]) if cols else np.arange(len(keys))
    rank = np.empty(len(keys), dtype=np.int64)
    rank[order] = np.arange(len(keys))
    return rank


def _poisson_percentiles(counts: pd.DataFrame, n_pairs: int, n_boot: int, seed: int, ref_of: np.ndarray | None,
                         ok: np.ndarray, level: float, rank: np.ndarray | None = None,
                         exact_max: int | np.ndarray | None = None, moments: pd.DataFrame | None = None,
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Percentile intervals (difference, ratio) of mean comparisons, block by block (bounded memory).

    ``rank`` (from :func:`canonical_rank`) renumbers the comparisons before resampling, so
    the replicates do not depend on the order an engine returned the groups in. Arms with
    more than ``exact_max`` units are approximated (:func:`_arm_plan`; ``moments`` from the
    engine, else from ``counts``). Returns ``(dq, rq, flags)``: ``flags`` names, per
    comparison, the approximated arms and the bound on the Kolmogorov distance between the
    approximate and the exact bootstrap law of the difference (sum of the arms' bounds,
    the arms being independent); "" where both arms are exact.
    """
    ref = np.arange(n_pairs) if ref_of is None else np.asarray(ref_of)
    if rank is not None:
        head = np.full(n_pairs, n_pairs, dtype=np.int64)
        np.minimum.at(head, ref, rank)  # a by-group's first comparison in the new order
        new_ref = np.empty(n_pairs, dtype=np.int64)
        new_ref[rank] = head[ref]
        counts = counts.assign(pair_id=rank[counts["pair_id"].to_numpy(dtype=np.int64)])
        counts = counts.sort_values(["pair_id", "arm", "value", "weight"], kind="stable")
        if moments is not None:
            moments = moments.assign(pair_id=rank[moments["pair_id"].to_numpy(dtype=np.int64)])
        if isinstance(exact_max, np.ndarray):  # per-comparison thresholds follow their comparison
            exact_max = exact_max[np.argsort(rank)]
        dq, rq, fl = _poisson_percentiles(counts, n_pairs, n_boot, seed, new_ref, ok[np.argsort(rank)], level,
                                          exact_max=exact_max, moments=moments)
        return dq[:, rank], rq[:, rank], fl[rank]
    counts, plan = _split_exact(counts, moments, n_pairs, exact_max)
    dq, rq = np.full((2, n_pairs), np.nan), np.full((2, n_pairs), np.nan)
    for lo, hi, boot in _poisson_blocks(counts, n_pairs, n_boot, seed, ref_of, plan=plan):
        dq[:, lo:hi], rq[:, lo:hi] = _percentile_ci(boot, ok[lo:hi], level)
    return dq, rq, _approx_flags(plan, ref, ok, exact_max)


def _approx_flags(plan: dict[str, np.ndarray] | None, ref: np.ndarray, ok: np.ndarray,
                  exact_max: int | np.ndarray | None) -> np.ndarray:
    """Per comparison: which arms were approximated and the bound (see :func:`_poisson_percentiles`)."""
    n_pairs = len(ref)
    if plan is None or not plan["approx"].any():
        return np.full(n_pairs, "", dtype=object)
    a1, a0 = plan["approx"][2 * np.arange(n_pairs) + 1], plan["approx"][2 * ref]
    bound = plan["bound"][2 * np.arange(n_pairs) + 1] + plan["bound"][2 * ref]
    d = pd.Series(np.minimum(1.0, np.ceil(bound * 1000) / 1000)).map("{:.3f}".format).to_numpy(dtype=object)
    out = np.full(n_pairs, "", dtype=object)
    for mask, zh, en in ((a1 & a0, "两组", "cohort and reference arms"), (a1 & ~a0, "比较组", "cohort arm"),
                         (~a1 & a0, "对照组", "reference arm")):  # three fixed cases, not a loop over rows
        head, mid, tail = _F_APPROX.replace("{t}", _threshold_text(exact_max)).replace("{zh}", zh).replace(
            "{en}", en).split("{d}")
        sel = mask & ok
        out[sel] = head + d[sel] + mid + d[sel] + tail
    return out


def _mean_column(ind: Any) -> str | None:
    """The column a mean indicator averages (``None`` when it is not a plain column mean)."""
    num = getattr(ind, "numerator", None)
    if getattr(num, "agg", None) != "mean" or getattr(num, "table", None) not in (None, ind.table):
        return None
    return getattr(num, "column", None)


def _bootstrap_from_counts(
    data: Any, table: pd.DataFrame, ind: Any, *, cohort: str, by: list[str], ci_level: float, n_boot: int,
    seed: int, options: Any, exact_max: int | str | None = BOOTSTRAP_EXACT_MAX,
) -> pd.DataFrame:
    """Fill the bootstrap intervals of mean comparisons from engine counts of distinct values.

    :func:`coopmetrics.compute_units.mean_value_counts` counts the units at each distinct
    value of the averaged column per ``by + [cohort]`` group inside the engine (DuckDB,
    Polars, Dask push it down), so only the counts reach pandas (``compute()`` by value
    where a key is derived); :func:`_poisson_percentiles` resamples them. The cells and
    their order are those the unit route builds, so both routes give the same replicates.
    With ``exact_max``, groups of more units send only their power sums (the hybrid of
    :func:`_arm_plan`); the comparisons using them get a flag.
    """
    from .compute import compute
    from .compute_units import mean_value_counts

    keys = table[[*by, "cohort"]].rename(columns={"cohort": "_cohort"}).reset_index(drop=True)
    n_pairs = len(keys)
    pid = np.arange(n_pairs)
    if by and n_pairs:  # each comparison's by-group shares the reference of its first comparison
        ng = keys.groupby(by, sort=False, dropna=False, observed=True).ngroup().to_numpy()
        ref_of = pd.Series(pid).groupby(ng).transform("min").to_numpy()
    else:
        ref_of = np.zeros(n_pairs, dtype=np.int64)
    # "auto" judged per by-group: a group's interval is the one of a call on its rows alone
    units = group_units(table["n_cohort"].to_numpy(dtype=float), table["n_reference"].to_numpy(dtype=float), ref_of)
    exact_max = resolve_exact_max_groups(exact_max, units)
    col = _mean_column(ind)
    got = mean_value_counts(data, ind.id, [*by, cohort], options=options, exact_max=engine_exact_max(exact_max, units))
    res, mom = got if isinstance(got, tuple) else (got, None)
    if res is None:  # a derived key (e.g. major category): compute() by value, same counts
        res = compute(data, [ind.id], by=[*by, cohort, col], ci_level=ci_level, options=options)
        res = res.rename(columns={col: "value"}) if col != "value" else res
        res["n"] = res["denominator"]
    res = res.loc[(res["n"].to_numpy(dtype=float) > 0) & res[cohort].notna() & res["value"].notna()]
    reference = str(table["reference"].iloc[0]) if len(table) else ""
    cols = {"value": "value", "n": "n"}
    counts = _to_arms(res, keys, ref_of, by, cohort, reference, cols).assign(weight=1.0)
    counts = counts[["pair_id", "arm", "value", "weight", "n"]].sort_values(["pair_id", "arm", "value"], kind="stable")
    if mom is not None:
        mom = mom.loc[mom[cohort].notna()]
        mom = _to_arms(mom, keys, ref_of, by, cohort, reference, {c: c for c in ("n", "s1", "s2", "s3", "s4")})
    ok = (table["n_cohort"].to_numpy() >= 2) & (table["n_reference"].to_numpy() >= 2)
    rank = canonical_rank(keys[[*by, "_cohort"]])
    dq, rq, fl = _poisson_percentiles(counts, n_pairs, n_boot, seed, ref_of, ok, ci_level, rank,
                                      exact_max=exact_max, moments=mom)
    out = table.copy()
    out["ci_low"], out["ci_high"], out["ratio_ci_low"], out["ratio_ci_high"] = dq[0], dq[1], rq[0], rq[1]
    flags = out["flags"].fillna("").astype(str).to_numpy(dtype=object)
    out["flags"] = np.where(fl == "", flags, np.where(flags == "", fl, flags + "; " + fl))
    return out


def _to_arms(res: pd.DataFrame, keys: pd.DataFrame, ref_of: np.ndarray, by: list[str], cohort: str,
             reference: str, cols: dict[str, str]) -> pd.DataFrame:
    """Rows keyed by ``by + [cohort]`` -> ``pair_id``, ``arm`` (1 cohort, 0 the shared reference) + ``cols``.

    Integer codes of the rows' keys in the (small) comparison table: no string merge of
    millions of rows (engines give the keys as category, string or int16 alike).
    """
    pid = np.arange(len(keys))
    by_code = _codes_in(res, keys, by)
    full = _codes_in(res.assign(_cohort=res[cohort]), keys, [*by, "_cohort"])
    pair_of_full = _lookup(_codes_in(keys, keys, [*by, "_cohort"]), full, pid)
    head = pid[ref_of == pid]
    pair_of_by = _lookup(_codes_in(keys.iloc[head], keys, by), by_code, head) if by else np.zeros(len(res), int)
    is_ref = (res[cohort].astype(str) == reference).to_numpy()
    arm1 = ~is_ref & (pair_of_full >= 0)
    arm0 = is_ref & (pair_of_by >= 0)
    out = {"pair_id": np.concatenate([pair_of_full[arm1], pair_of_by[arm0]]),
           "arm": np.repeat([1, 0], [int(arm1.sum()), int(arm0.sum())])}
    for src, dst in cols.items():
        v = res[src].to_numpy(dtype=float)
        out[dst] = np.concatenate([v[arm1], v[arm0]])
    return pd.DataFrame(out)


def _key_text(s: pd.Series) -> pd.Index:
    """Text of key values, numbers in one spelling (2024, 2024.0 and int16 2024 alike)."""
    idx = pd.Index(s)
    if pd.api.types.is_numeric_dtype(idx.dtype) and not pd.api.types.is_bool_dtype(idx.dtype):
        return idx.astype("float64").astype(str)
    return idx.astype(str)


def _codes_in(frame: pd.DataFrame, keys: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """Per row of ``frame`` and column of ``cols``: the position of its value among ``keys``' values.

    Shape ``(len(frame), len(cols))``, -1 where absent. Each column is factorized (cheap on
    dictionary-encoded columns) and only its distinct values are matched as text.
    """
    out = np.full((len(frame), len(cols)), -1, dtype=np.int64)
    for j, c in enumerate(cols):
        levels = pd.Index(_key_text(keys[c]).unique())
        f, uniq = pd.factorize(frame[c], use_na_sentinel=True)
        pos = levels.get_indexer(_key_text(pd.Series(uniq))) if len(uniq) else np.empty(0, dtype=np.int64)
        out[:, j] = np.where(f >= 0, pos[np.maximum(f, 0)] if len(pos) else -1, -1)
    return out


def _lookup(key_codes: np.ndarray, codes: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """``ids`` of the key rows whose codes each row of ``codes`` equals (-1 where none)."""
    if not len(ids) or not len(codes):
        return np.full(len(codes), -1, dtype=np.int64)
    index = pd.MultiIndex.from_arrays(list(key_codes.T))
    pos = index.get_indexer(pd.MultiIndex.from_arrays(list(codes.T)))
    return np.where((pos >= 0) & (codes >= 0).all(axis=1), ids[np.maximum(pos, 0)], -1)
