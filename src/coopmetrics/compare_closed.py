"""Unadjusted comparisons of a chunk of comparison pairs: closed forms and the bootstrap.

:func:`coopmetrics.compare.compare` builds the long table of unit values per comparison pair and
arm (``compare._expand_pairs``); this module turns it into the statistics of each pair without
covariates: two-proportion tests with Newcombe intervals (Fisher's exact test for small expected
counts), Welch differences of means, percentile bootstraps of medians and of skewed means, and the
plain-language flags each row carries (one home for their wording).

Examples
--------
>>> import pandas as pd
>>> from coopmetrics.compare import compare_values
>>> v = pd.DataFrame({"program": ["order_class"] * 40 + ["regular"] * 60,
...                   "value": [1] * 30 + [0] * 10 + [1] * 30 + [0] * 30})
>>> r = compare_values(v, "proportion").table
>>> float(r["difference"].iloc[0])
0.25
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .compare_base import (
    _percentile_ci,
    _poisson_percentiles,
    canonical_rank,
    group_units,
    resolve_exact_max_groups,
    value_counts,
)
from .contrasts import (
    cohens_h,
    hedges_correction,
    newcombe_diff,
    odds_ratio_ci,
    ratio_ci,
    two_proportion_test,
    welch_diff,
)
from .ordinal import _cluster_neff, _ordinal_tests

_SMALL_N = 30

# Plain-language flags (Chinese / English); see docs/comparisons.md.
_F_SMALL = "小样本（任一组 n<30）/ small n (<30 in a group)"
_F_FISHER = "期望频数小，用 Fisher 精确检验 / small expected counts: Fisher's exact test used"
_F_SMALL_COUNTS_W = "期望频数小，加权数据无法用 Fisher 检验，p 值近似 / small expected counts: weighted data, chi-square p approximate"
_F_WEIGHTED = "按调查权重估计（Kish 有效样本量）/ survey-weighted (Kish effective n)"
_F_NOREF = "该组没有对照单位 / no reference units in this group"
_F_NOCOH = "该组比较对象不足 2 人 / fewer than 2 units in a group"
_F_MEDIAN_W = "中位数未加权 / median not weighted"
_F_CLUSTER = "同一答卷的多个题目按整群处理（有效样本量）/ answers clustered within respondents (effective n)"


def _grid(long: pd.DataFrame, n_pairs: int) -> pd.DataFrame:
    """Sufficient statistics per (pair, arm) on a complete grid (empty arms give n = 0)."""
    g = long.groupby(["pair_id", "arm"], sort=True)
    s = g.agg(n=("value", "size"), sy=("value", "sum"), sw=("weight", "sum"), swy=("w_y", "sum"),
              swy2=("w_y2", "sum"), sw2=("w2", "sum"), mean=("value", "mean"), var=("value", "var"))
    idx = pd.MultiIndex.from_product([range(n_pairs), [0, 1]], names=["pair_id", "arm"])
    s = s.reindex(idx)
    s["n"] = s["n"].fillna(0)
    return s


def _arm(s: pd.DataFrame, col: str, arm: int) -> np.ndarray:
    return s[col].xs(arm, level="arm").to_numpy(dtype=float)


def _join_flags(*parts: Any) -> np.ndarray:
    """Join per-row flag strings with "; " (vectorised; empty parts are skipped)."""
    n = max(np.size(p) for p in parts)
    acc = pd.Series([""] * n, dtype=object)
    for part in parts:
        p = pd.Series(np.broadcast_to(np.asarray(part, dtype=object), (n,)), dtype=object).fillna("")
        both = ((acc != "") & (p != "")).to_numpy()
        acc = acc + np.where(both, "; ", "") + p
    return acc.to_numpy(dtype=object)


def _unadjusted(
    long: pd.DataFrame, pairs: pd.DataFrame, kind: str, method: str, level: float, z: float,
    n_boot: int, seed: int, exact_max: int | str | None = None,
) -> pd.DataFrame:
    n_pairs = len(pairs)
    s = _grid(long, n_pairs)
    weighted = bool((long["weight"] != 1).any())
    n1, n0 = _arm(s, "n", 1), _arm(s, "n", 0)
    out: dict[str, Any] = {"n_cohort": n1.astype(int), "n_reference": n0.astype(int)}
    if "_cluster" in long.columns:  # n counts clusters (respondents), not rows (answers)
        m = long.groupby(["pair_id", "arm"])["_cluster"].nunique().reindex(
            pd.MultiIndex.from_product([range(n_pairs), [0, 1]]), fill_value=0)
        out["n_cohort"] = m.xs(1, level=1).to_numpy(dtype=int)
        out["n_reference"] = m.xs(0, level=1).to_numpy(dtype=int)
    no_ref = np.where(n0 == 0, _F_NOREF, "")
    w_flag = np.full(n_pairs, _F_WEIGHTED if weighted else "", dtype=object)
    if "_cluster" in long.columns:
        w_flag = np.full(n_pairs, _F_CLUSTER + ("; " + _F_WEIGHTED if weighted else ""), dtype=object)
    if kind in ("proportion", "likert"):
        sw1, sw0 = _arm(s, "sw", 1), _arm(s, "sw", 0)
        p1, p0 = _arm(s, "swy", 1) / sw1, _arm(s, "swy", 0) / sw0
        if "_cluster" in long.columns:
            ne1, ne0 = _cluster_neff(long, n_pairs, p1, p0)
        elif weighted:  # Kish effective n; effective successes keep the weighted share
            ne1, ne0 = sw1**2 / _arm(s, "sw2", 1), sw0**2 / _arm(s, "sw2", 0)
        else:
            ne1, ne0 = n1, n0
        if not weighted and "_cluster" not in long.columns:
            # unweighted: the integer counts themselves, not p x n (round-off in p x n can move
            # an expected count of exactly 5 across the chi-square / Fisher threshold)
            x1, x0 = _arm(s, "sy", 1), _arm(s, "sy", 0)
        else:
            x1, x0 = p1 * ne1, p0 * ne0
        if kind == "proportion" or method in ("chi2", "fisher"):
            out.update(_proportion_stats(p1, p0, x1, ne1, x0, ne0, weighted, method, level))
            small_flag = out.pop("_small_flag")
        else:
            nc = newcombe_diff(x1, ne1, x0, ne0, level)
            rc = ratio_ci(x1, ne1, x0, ne0, level)
            out.update(estimate_cohort=p1, estimate_reference=p0, difference=p1 - p0,
                       ci_low=nc["ci_low"], ci_high=nc["ci_high"], ratio=rc["ratio"],
                       ratio_ci_low=rc["ci_low"], ratio_ci_high=rc["ci_high"], **_odds(x1, ne1, x0, ne0, level))
            scale = None
            if "_cluster" in long.columns:  # counts scaled by 1/deff of the top-box share
                with np.errstate(invalid="ignore", divide="ignore"):
                    scale = np.column_stack([ne0 / _arm(s, "sw", 0), ne1 / _arm(s, "sw", 1)])
            ordinal = _ordinal_tests(long, n_pairs, weighted, method, scale)
            out.update(statistic=ordinal["statistic"], p_value=ordinal["p_value"],
                       effect_size=ordinal["cliffs_delta"], effect_size_type="cliffs_delta")
            out["method"] = np.full(n_pairs, f"top-box newcombe; {ordinal['test']}", dtype=object)
            small_flag = np.full(n_pairs, "", dtype=object)
        out["flags"] = _join_flags(no_ref, small_flag, w_flag)
    else:
        # comparisons of one by-group share its reference block: resample it once
        by_cols = [c for c in pairs.columns if c != "_cohort"]
        if by_cols:
            bg = pairs.groupby(by_cols, sort=False, dropna=False).ngroup().to_numpy()
            first = pd.Series(np.arange(n_pairs)).groupby(bg).transform("min").to_numpy()
        else:
            first = np.zeros(n_pairs, dtype=np.int64)
        out.update(_continuous(long, s, n_pairs, kind, level, n_boot, seed, weighted, first,
                               canonical_rank(pairs[[*by_cols, "_cohort"]]), exact_max))
        few = np.where((n1 < 2) | (n0 < 2), _F_NOCOH, "")
        med_w = np.full(n_pairs, _F_MEDIAN_W if (weighted and kind == "median") else "", dtype=object)
        out["flags"] = _join_flags(no_ref, few, w_flag if kind == "mean" else med_w, out.pop("_boot_flag", ""))
    out["adjusted"] = False
    frame = pd.DataFrame({k: (np.broadcast_to(v, (n_pairs,)) if np.ndim(v) == 0 else v)
                          for k, v in out.items()})
    return frame


def _odds(x1: np.ndarray, n1: np.ndarray, x0: np.ndarray, n0: np.ndarray, level: float) -> dict[str, Any]:
    """Odds ratio columns (Woolf interval; zero cells 1/2, as statsmodels ``Table2x2``)."""
    o = odds_ratio_ci(x1, n1, x0, n0, level)
    return {"odds_ratio": o["odds_ratio"], "odds_ratio_ci_low": o["ci_low"], "odds_ratio_ci_high": o["ci_high"]}


def _proportion_stats(p1: np.ndarray, p0: np.ndarray, x1: np.ndarray, n1: np.ndarray, x0: np.ndarray,
                      n0: np.ndarray, weighted: bool, method: str, level: float) -> dict[str, Any]:
    """Newcombe difference, log ratio, two-proportion test and Cohen's h of every pair at once.

    Shared by the unit-level and the group-totals paths of :func:`compare`, so both give
    the same numbers; ``x``/``n`` are counts (effective counts when weighted).
    """
    nc = newcombe_diff(x1, n1, x0, n0, level)
    rc = ratio_ci(x1, n1, x0, n0, level)
    # Fisher only for unweighted counts; method forces or forbids it
    min_exp = np.inf if method == "fisher" else (0.0 if method == "chi2" else 5.0)
    tp = two_proportion_test(x1, n1, x0, n0, fisher=not weighted, min_expected=min_exp)
    fisher_used = np.asarray(tp["test"]) == "fisher"
    test_name = np.where(fisher_used, "fisher's exact", "chi-square")
    return dict(
        estimate_cohort=p1, estimate_reference=p0, difference=p1 - p0,
        ci_low=nc["ci_low"], ci_high=nc["ci_high"], ratio=rc["ratio"],
        ratio_ci_low=rc["ci_low"], ratio_ci_high=rc["ci_high"],
        statistic=tp["statistic"], p_value=tp["p_value"],
        effect_size=cohens_h(p1, p0), effect_size_type="cohens_h",
        **_odds(x1, n1, x0, n0, level),
        method=np.char.add("newcombe; ", test_name.astype(str)),
        _small_flag=np.where(fisher_used, _F_FISHER,
                             np.where(np.asarray(tp["small_counts"]) & weighted, _F_SMALL_COUNTS_W, "")),
    )


# --- means and medians ------------------------------------------------------------------


def _bootstrap(long: pd.DataFrame, n_pairs: int, kind: str, n_boot: int, seed: int,
               ref_of: np.ndarray | None = None) -> np.ndarray:
    """Bootstrap replicates of the per-arm statistic, shape (n_boot, n_pairs, 2).

    All groups are resampled at once: the frame is sorted by (pair, arm, value),
    each position draws an index uniformly inside its own block, and block sums
    (means) or sorted block positions (medians) give every group's statistic in one
    array operation per chunk of replicates. ``ref_of[p]`` names the comparison whose
    reference block pair ``p`` shares (same ``by`` group): each reference group is
    resampled once, not once per cohort level.
    """
    if ref_of is not None:
        pid, arm = long["pair_id"].to_numpy(), long["arm"].to_numpy()
        long = long.loc[(arm == 1) | (ref_of[pid] == pid)]
    sub = long.sort_values(["pair_id", "arm", "value"], kind="stable")
    gid = (sub["pair_id"].to_numpy() * 2 + sub["arm"].to_numpy()).astype(np.int64)
    y = sub["value"].to_numpy(dtype=float)
    w = sub["weight"].to_numpy(dtype=float)
    groups, starts, sizes = np.unique(gid, return_index=True, return_counts=True)
    block_start = np.repeat(starts, sizes)
    block_size = np.repeat(sizes, sizes)
    out = np.full((n_boot, n_pairs * 2), np.nan)
    rng = np.random.default_rng(seed)
    n = len(y)
    chunk = max(1, int(4_000_000 // max(n, 1)))
    for lo in range(0, n_boot, chunk):  # chunks of replicates bound the memory, not a loop per group
        r = min(chunk, n_boot - lo)
        idx = block_start + (rng.random((r, n)) * block_size).astype(np.int64)
        if kind == "mean":
            num = np.add.reduceat(w[idx] * y[idx], starts, axis=1)
            den = np.add.reduceat(w[idx], starts, axis=1)
            out[lo:lo + r, groups] = num / den
        else:
            idx.sort(axis=1)  # blocks are disjoint and ordered, so each block stays in place
            lo_pos = starts + (sizes - 1) // 2
            hi_pos = starts + sizes // 2
            out[lo:lo + r, groups] = (y[idx[:, lo_pos]] + y[idx[:, hi_pos]]) / 2
    out = out.reshape(n_boot, n_pairs, 2)
    if ref_of is not None:
        out[:, :, 0] = out[:, ref_of, 0]
    return out


def _continuous(
    long: pd.DataFrame, s: pd.DataFrame, n_pairs: int, kind: str, level: float, n_boot: int, seed: int,
    weighted: bool, ref_of: np.ndarray | None = None, rank: np.ndarray | None = None,
    exact_max: int | str | None = None,
) -> dict[str, Any]:
    n1, n0 = _arm(s, "n", 1), _arm(s, "n", 0)
    ok = (n1 >= 2) & (n0 >= 2)
    boot_flag: Any = ""
    if n_boot > 0 and kind == "mean":  # means: from distinct-value counts, never replicates x rows
        # "auto" judged per by-group: a group's interval is the one of a call on its rows alone
        exact_max = resolve_exact_max_groups(exact_max, group_units(
            n1, n0, np.arange(n_pairs) if ref_of is None else ref_of))
        dq, rq, boot_flag = _poisson_percentiles(value_counts(long, ref_of), n_pairs, n_boot, seed, ref_of, ok,
                                                 level, rank, exact_max)
    else:
        boot = (_bootstrap(long, n_pairs, kind, n_boot, seed, ref_of) if n_boot > 0
                else np.full((1, n_pairs, 2), np.nan))
        with np.errstate(invalid="ignore"):
            bdiff = boot[:, :, 1] - boot[:, :, 0]
        dq, rq = _percentile_ci(boot, ok, level)
    if kind == "mean":
        sw1, sw0 = _arm(s, "sw", 1), _arm(s, "sw", 0)
        m1, m0 = _arm(s, "swy", 1) / sw1, _arm(s, "swy", 0) / sw0
        if weighted:
            # weighted variance and Kish effective n for the Welch statistic
            v1 = (_arm(s, "swy2", 1) / sw1 - m1**2) * n1 / (n1 - 1)
            v0 = (_arm(s, "swy2", 0) / sw0 - m0**2) * n0 / (n0 - 1)
            k1, k0 = sw1**2 / _arm(s, "sw2", 1), sw0**2 / _arm(s, "sw2", 0)
        else:
            v1, v0, k1, k0 = _arm(s, "var", 1), _arm(s, "var", 0), n1, n0
        wd = welch_diff(m1, v1, k1, m0, v0, k0, level)
        with np.errstate(invalid="ignore", divide="ignore"):
            sd_pooled = np.sqrt(((n1 - 1) * v1 + (n0 - 1) * v0) / (n1 + n0 - 2))
            d = (m1 - m0) / sd_pooled
        return dict(estimate_cohort=m1, estimate_reference=m0, difference=m1 - m0,
                    ci_low=dq[0], ci_high=dq[1], ratio=m1 / m0, ratio_ci_low=rq[0], ratio_ci_high=rq[1],
                    statistic=wd["statistic"], p_value=wd["p_value"], effect_size=d,
                    effect_size_type="cohens_d", method="welch t; bootstrap percentile ci",
                    hedges_g=d * hedges_correction(n1 + n0 - 2), _boot_flag=boot_flag)
    # medians: bootstrap CI, bootstrap p-value (CI inversion), Cliff's delta by pooled ranks
    sub = long.sort_values(["pair_id", "arm"], kind="stable")
    med = sub.groupby(["pair_id", "arm"])["value"].median().reindex(
        pd.MultiIndex.from_product([range(n_pairs), [0, 1]]))
    md1 = med.xs(1, level=1).to_numpy(dtype=float)
    md0 = med.xs(0, level=1).to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        # (k + 1) / (B + 1): a bootstrap p-value is never exactly 0
        nb = bdiff.shape[0]
        k_le, k_ge = (bdiff <= 0).sum(axis=0), (bdiff >= 0).sum(axis=0)
        p_boot = np.minimum(1.0, 2 * (np.minimum(k_le, k_ge) + 1) / (nb + 1))
    ranks = long.groupby("pair_id")["value"].rank(method="average")
    rank_sum1 = ranks.where(long["arm"] == 1, 0.0).groupby(long["pair_id"]).sum().reindex(
        range(n_pairs), fill_value=0.0).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        u1 = rank_sum1 - n1 * (n1 + 1) / 2
        delta = 2 * u1 / (n1 * n0) - 1
    return dict(estimate_cohort=md1, estimate_reference=md0, difference=md1 - md0,
                ci_low=dq[0], ci_high=dq[1], ratio=md1 / md0, ratio_ci_low=rq[0], ratio_ci_high=rq[1],
                statistic=np.full(n_pairs, np.nan), p_value=np.where(ok, p_boot, np.nan),
                effect_size=delta, effect_size_type="cliffs_delta",
                method="median; bootstrap percentile ci and p")
