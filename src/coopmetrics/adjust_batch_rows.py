"""Comparison rows, flags and balance rows of the vectorised adjusted path (:mod:`.adjust_batch`).

The per-cell texts and statistics of :func:`coopmetrics.adjust.fit_cell_g` (effects from the two
means and their covariance, overlap and extrapolation flags, balance rows), every cell of a chunk
at once: sums per cell and vectorised string building, no loop over cells.

Examples
--------
>>> import numpy as np
>>> join_flags([np.array(["a", ""], dtype=object), np.array(["b", "c"], dtype=object)], 2).tolist()
['a; b', 'c']
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import erfc

from .adjust_segments import Chunk, seg_sum, vec
from .contrasts import cohens_h, hedges_correction

__all__ = ["balance", "effects", "first_names", "join_flags", "num_text", "overlap_flags"]


def effects(mu1: np.ndarray, mu0: np.ndarray, v: np.ndarray, z: float, sd: np.ndarray | None = None,
            n: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """:func:`coopmetrics.adjust._effects`, every cell at once: yes/no outcomes, or mean outcomes when
    ``sd`` (the pooled standard deviation of the outcome) and ``n`` (units of both arms) are given
    (standardised difference and Hedges' g; no odds ratio)."""
    with np.errstate(all="ignore"):
        diff = mu1 - mu0
        se = np.sqrt(np.maximum(v[:, 0, 0] + v[:, 1, 1] - 2 * v[:, 0, 1], 0.0))
        stat = np.where(se > 0, diff / np.where(se > 0, se, 1.0), np.nan)
        has_ratio = ~((mu0 == 0) | ~np.isfinite(mu0) | (mu1 / mu0 <= 0))
        se_lr = np.sqrt(v[:, 0, 0] / mu1**2 + v[:, 1, 1] / mu0**2 - 2 * v[:, 0, 1] / (mu1 * mu0))
        lr = np.log(np.where(has_ratio, mu1 / mu0, 1.0))
        has_or = (0 < mu1) & (mu1 < 1) & (0 < mu0) & (mu0 < 1)
        g1, g0 = 1 / (mu1 * (1 - mu1)), -1 / (mu0 * (1 - mu0))
        # gr @ v @ gr in the per-cell order (its terms cancel when a mean is near 0 or 1)
        se_or = np.sqrt(np.maximum((g1 * v[:, 0, 0] + g0 * v[:, 1, 0]) * g1 + (g1 * v[:, 0, 1] + g0 * v[:, 1, 1]) * g0,
                                   0.0))
        lor = np.log(np.where(has_or, mu1 / (1 - mu1), 1.0)) - np.log(np.where(has_or, mu0 / (1 - mu0), 1.0))

        def pick(m: np.ndarray, a: np.ndarray) -> np.ndarray:
            return np.where(m, a, np.nan)

        if sd is not None:  # a mean outcome: standardised difference, Hedges' g; no odds ratio
            has_or = np.zeros(len(mu1), dtype=bool)
            es = pick(sd > 0, diff / np.where(sd > 0, sd, 1.0))
            size = dict(effect_size=es, hedges_g=es * hedges_correction(np.asarray(n, dtype=float) - 2))
        else:
            size = dict(effect_size=np.asarray(cohens_h(np.clip(mu1, 0, 1), np.clip(mu0, 0, 1)), dtype=float),
                        hedges_g=np.full(len(mu1), np.nan))

        return dict(
            estimate_cohort=mu1, estimate_reference=mu0, difference=diff, ci_low=diff - z * se, ci_high=diff + z * se,
            statistic=stat, p_value=pick(np.isfinite(stat), erfc(np.abs(stat) / np.sqrt(2))),
            ratio=pick(has_ratio, mu1 / mu0), ratio_ci_low=pick(has_ratio, np.exp(lr - z * se_lr)),
            ratio_ci_high=pick(has_ratio, np.exp(lr + z * se_lr)), odds_ratio=pick(has_or, np.exp(lor)),
            odds_ratio_ci_low=pick(has_or, np.exp(lor - z * se_or)), odds_ratio_ci_high=pick(has_or, np.exp(lor + z * se_or)),
            **size)


def num_text(a: np.ndarray) -> np.ndarray:
    """Integers as an object array of strings (for vectorised flag texts)."""
    return np.asarray(a).astype(np.int64).astype(str).astype(object)


def join_flags(parts: list[np.ndarray], n: int) -> np.ndarray:
    """Per cell, the non-empty texts of ``parts`` joined by ``"; "`` (object arrays)."""
    out = np.full(n, "", dtype=object)
    for p in parts:  # a loop over kinds of flags
        p = np.asarray(p, dtype=object)
        out = np.where(p == "", out, np.where(out == "", p, out + "; " + p))
    return out


def first_names(mask: np.ndarray, names: np.ndarray, k: int, sep: str) -> np.ndarray:
    """Per cell, the names of its first ``k`` True slots joined by ``sep``."""
    cell, slot = np.nonzero(mask)
    out = np.full(len(mask), "", dtype=object)
    if len(cell):
        s = pd.Series(names[slot], index=cell)
        joined = s.groupby(level=0).head(k).groupby(level=0).agg(sep.join)
        out[joined.index.to_numpy()] = joined.to_numpy()
    return out


def overlap_flags(ch: Chunk, t: np.ndarray, e: np.ndarray, act: np.ndarray, estimand: str) -> list[np.ndarray]:
    """:func:`coopmetrics.adjust._overlap_flags` of every cell (poor overlap, extrapolation)."""
    from .adjust import _OVERLAP

    lo, hi = _OVERLAP
    n = ch.nc
    n1 = num_text(seg_sum(ch, t))
    if estimand == "att":
        out = seg_sum(ch, ((e > hi) & (t == 1)).astype(float))
        so = num_text(out)
        f1 = np.where(out > 0, "重叠差：" + so + "/" + n1 + f" 个队列单位倾向得分 > {hi} / poor overlap: " + so + " of "
                      + n1 + f" cohort units have a propensity above {hi}", "")
    else:
        out = seg_sum(ch, ((e < lo) | (e > hi)).astype(float))
        so, nn = num_text(out), num_text(np.bincount(ch.cid, minlength=n))
        f1 = np.where(out > 0, "重叠差：" + so + "/" + nn + f" 个单位倾向得分在 [{lo}, {hi}] 之外 / poor overlap: " + so
                      + " of " + nn + f" units have a propensity outside [{lo}, {hi}]", "")
    # dummy columns (text levels, numeric columns taking only 0 and 1) that an arm never has
    dummy = act.copy()
    dummy[:, 0] = False
    for j, s in enumerate(ch.lay.dense):
        x = ch.dense[:, j]
        dummy[:, s] &= seg_sum(ch, ((x != 0) & (x != 1)).astype(float)) == 0
    pop = np.ones(len(t)) if estimand == "ate" else t.astype(float)
    need, in_ref, in_coh = vec(ch, pop) > 0, vec(ch, 1.0 - t) > 0, vec(ch, t.astype(float)) > 0
    lacking = dummy & need & (~in_ref | (~in_coh & (estimand == "ate")))
    k = lacking.sum(axis=1)
    names = first_names(lacking, ch.lay.names, 5, ", ")
    f2 = np.where(k > 0, "外推：" + num_text(k) + " 个协变量水平在某组中没有单位（" + names + "）/ extrapolation: " + num_text(k)
                  + " covariate level(s) absent from one arm (" + names + ")"
                  + ("; try estimand='att'" if estimand == "ate" else ""), "")
    return [f1, f2]


def balance(ch: Chunk, t: np.ndarray, w: np.ndarray, e: np.ndarray, act: np.ndarray, estimand: str,
            cells: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`coopmetrics.adjust.balance_rows` of the cells ``cells`` (bool), one row per non-constant column."""
    from .adjust import ipw_weights

    h1, h0 = ipw_weights(t, e, estimand)
    tf = t.astype(float)
    n1, n0 = seg_sum(ch, tf), seg_sum(ch, 1.0 - tf)
    cnt = seg_sum(ch, np.ones(len(t)))
    shift = np.column_stack([seg_sum(ch, ch.dense[:, j]) / cnt for j in range(ch.dense.shape[1])]) \
        if ch.dense.shape[1] else np.zeros((ch.nc, 0))
    chs = ch.shifted(shift)
    with np.errstate(all="ignore"):
        def wmean(v: np.ndarray) -> np.ndarray:
            return vec(ch, v) / seg_sum(ch, v)[:, None]

        def var(arm: np.ndarray, n: np.ndarray) -> np.ndarray:
            s1 = vec(chs, arm)
            s2 = s1.copy()  # indicators: x² = x
            for j, s in enumerate(ch.lay.dense):
                s2[:, s] = seg_sum(chs, arm * chs.dense[:, j] ** 2)
            return np.where(n[:, None] > 1, (s2 - s1**2 / n[:, None]) / (n[:, None] - 1), np.nan)

        m1, m0 = wmean(w * tf), wmean(w * (1 - tf))
        sd = np.sqrt((var(tf, n1) + var(1.0 - tf, n0)) / 2)
        a1, a0 = wmean(w * h1 * tf), wmean(w * h0 * (1 - tf))
        keep = act.copy()
        keep[:, 0] = False
        keep &= cells[:, None]
        c, s = np.nonzero(keep)
        return {"cell": c, "covariate": ch.lay.names[s], "n_cohort": n1[c].astype(np.int64),
                "n_reference": n0[c].astype(np.int64), "mean_cohort": m1[c, s], "mean_reference": m0[c, s],
                "smd_before": (m1[c, s] - m0[c, s]) / sd[c, s], "mean_cohort_weighted": a1[c, s],
                "mean_reference_weighted": a0[c, s], "smd_after": (a1[c, s] - a0[c, s]) / sd[c, s]}


