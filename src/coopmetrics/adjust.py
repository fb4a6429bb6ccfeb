"""Covariate-adjusted cohort comparisons (协变量调整): the model fits behind ``compare(adjust=...)``.

Each comparison row (a group's cohort level against the reference) is its own cell
and its own fit. Three estimators of the mean potential outcomes ``(μ₁, μ₀)``:

* ``aipw`` — augmented inverse-probability weighting (doubly robust; the default for
  yes/no outcomes): an outcome model per arm (logit for 0/1 outcomes, least squares
  otherwise) plus a logit propensity; consistent if either model is right.
* ``ra`` — regression adjustment (logit average marginal effect for 0/1 outcomes,
  Lin's per-arm OLS for means; the default for means).
* ``ipw`` — inverse-probability weighting (Hajek).

Every standard error is a sandwich over the stacked estimating equations (nuisance
models included), clustered when answers share a respondent. Logistic fits are the
numerically stable Newton/IRLS of :mod:`coopmetrics.fits` (capped linear predictor,
log-sum-exp likelihood, separation taken to its limit), so no overflow or statsmodels
separation warning reaches the user.

A cell where the comparison is not defined (an arm with fewer than two units, an
outcome with a single value, an arm whose 0/1 outcomes are all equal, a model that
separates or cannot be fitted) gives a row of NaN estimates with a bilingual flag
saying why; the call never raises for such a data condition. The formulas are in
``docs/comparisons.md`` §1.5.

Examples
--------
>>> import numpy as np
>>> from coopmetrics.adjust import logit_fit
>>> x = np.column_stack([np.ones(6), [0, 1, 2, 3, 4, 5.]])
>>> fit = logit_fit(np.array([0, 0, 1, 0, 1, 1.]), x, np.ones(6))
>>> fit.converged, round(float(fit.beta[1]), 4)
(True, 1.214)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from .adjust_cells import CellRows, compact_text, expand_cells
from .adjust_segments import stable_order  # noqa: F401 (re-exported: tests and callers use adjust.stable_order)
from .contrasts import cohens_h, hedges_correction
from .fits import (
    _R_CONST,
    FitGen,
    LogitFit,
    Propensity,
    col_reasons,
    covariates,
    drive,
    dummy_blocks,
    logit_fit,
    logit_limit,
    logit_limit_g,
    propensity,
    propensity_g,
    reduce_design,
    run_batched,
)

__all__ = ["ADJUST_METHODS", "Cell", "CellRows", "LogitFit", "Propensity", "aipw", "compact_text", "expand_cells", "fit_cell",
           "fit_cells", "ipw", "logit_fit", "logit_limit", "propensity", "ra"]

ADJUST_METHODS = ("aipw", "ra", "ipw")
_OVERLAP = (0.05, 0.95)

# why a cell has no adjusted estimate (Chinese / English); see docs/comparisons.md §4
_F_NOREF = "该组没有对照单位 / no reference units in this group"
_F_NOCOH = "该组比较对象不足 2 人 / fewer than 2 units in a group"
_F_ONE_LEVEL = "结果在该组只有一个取值，无法比较 / the outcome takes a single value in this cell: nothing to compare"
_F_ARM_LEVEL = ("某组结果全为 0 或全为 1（完全分离），无法做调整估计 / every unit of one arm has the same yes/no "
                "outcome (separation): no adjusted estimate; read the unadjusted row")
_F_SEP = "结果模型完全分离，无法估计 / the outcome model separates (perfect prediction): no adjusted estimate"
_F_PSEP = ("倾向得分模型完全分离，无法加权 / the propensity model separates the arms: no weighted estimate "
           "(use method='ra')")
_F_NOOVERLAP = "没有可比的对照单位（倾向得分全为 0）/ no comparable reference units (all propensities 0)"
_F_ZERO_REF = "对照组均值为 0，比值无定义 / reference mean is 0: the ratio is undefined"
_F_PFAIL = ("倾向得分模型无法拟合（两组协变量几乎无重叠），回归调整全靠外推 / propensity model could not be fitted "
            "(the covariates all but separate the arms): the regression adjustment extrapolates")
_F_SATURATED = ("某组人数不多于模型参数，无法估计标准误 / an arm has no more units than model parameters: no "
                "standard error (shorten adjust or pool cells)")
_F_CLUSTER_SE = "同一答卷的题目按整群计算稳健标准误 / cluster-robust SE (answers within respondents)"
_F_WEIGHTED = "按调查权重估计（Kish 有效样本量）/ survey-weighted (Kish effective n)"

_NAN_STATS = ("estimate_cohort", "estimate_reference", "difference", "ci_low", "ci_high", "ratio",
              "ratio_ci_low", "ratio_ci_high", "statistic", "p_value", "effect_size", "odds_ratio",
              "odds_ratio_ci_low", "odds_ratio_ci_high", "hedges_g")


class _NotEstimable(Exception):
    """A data condition that leaves the cell without an estimate (carries the flag text)."""


def _flag_count(k: int, zh: str, en: str) -> str:
    return f"{k} {zh} / {k} {en}"


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b with 0 where a is 0 (t/e for a reference unit whose propensity is 0)."""
    with np.errstate(all="ignore"):
        return np.where(a == 0, 0.0, a / np.where(a == 0, 1.0, b))


def ipw_weights(t: np.ndarray, e: np.ndarray, estimand: str) -> tuple[np.ndarray, np.ndarray]:
    """Inverse-probability weights of the cohort (h1) and reference (h0) arms."""
    if estimand == "ate":
        return _div(t.astype(float), e), _div(1.0 - t, 1.0 - e)
    return t.astype(float), _div((1 - t) * e, 1.0 - e)


# ----------------------------------------------------------------------------------------
# Sandwich over stacked estimating equations
# ----------------------------------------------------------------------------------------


def _sandwich(psi: np.ndarray, jac: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
    """The last 2 × 2 block (the two means) of ``A⁻¹ B A⁻ᵀ``, ``A = Σ ∂ψ/∂θ``, ``B = Σ_c ψ_c ψ_cᵀ``
    (ψ summed within clusters).

    With ``L`` the last two rows of ``A⁻¹`` the block is ``(ψLᵀ)ᵀ(ψLᵀ)``: two columns over the
    rows instead of the p × p matrix ``ψᵀψ`` (p ≈ 45 with dummy-coded covariates).
    """
    if groups is not None:
        psi = pd.DataFrame(psi).groupby(groups).sum().to_numpy()
    u = psi @ np.linalg.inv(jac)[-2:].T
    return u.T @ u


def _prop_blocks(t: np.ndarray, w: np.ndarray, ps: Propensity) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Score ψ_γ, Jacobian A_γγ and ∂e/∂γ of the propensity model (0 for separated units)."""
    inm = ps.in_model.astype(float)
    de = (inm * ps.e * (1 - ps.e))[:, None] * ps.xp  # ∂e/∂γ
    psi = (w * inm * (t - ps.e))[:, None] * ps.xp
    return psi, -(ps.xp * w[:, None]).T @ de, de


def ra(y: np.ndarray, t: np.ndarray, x: np.ndarray, w: np.ndarray, pop: np.ndarray, binary: bool,
       groups: np.ndarray | None = None) -> dict[str, Any]:
    """Regression adjustment: mean potential outcomes over ``pop`` and their covariance."""
    return drive(ra_g(y, t, x, w, pop, binary, groups))


def ra_g(y: np.ndarray, t: np.ndarray, x: np.ndarray, w: np.ndarray, pop: np.ndarray, binary: bool,
         groups: np.ndarray | None = None) -> FitGen:
    """Generator form of :func:`ra` (yields its logistic problem, see :func:`coopmetrics.fits.run_batched`)."""
    n = len(y)
    if binary:
        xf = np.column_stack([np.ones(n), t, x])
        fit = yield (y, xf, w)
        if not fit.converged:
            raise _NotEstimable(_F_SEP)
        beta, mu = fit.beta, fit.p
        # sandwich (pseudo-likelihood, HC0 or clustered) covariance of the coefficients
        bread = np.linalg.inv((xf * (w * mu * (1 - mu))[:, None]).T @ xf)
        score = xf * (w * (y - mu))[:, None]
        if groups is not None:
            score = pd.DataFrame(score).groupby(groups).sum().to_numpy()
        x1, x0 = xf[pop].copy(), xf[pop].copy()
        x1[:, 1], x0[:, 1] = 1.0, 0.0
        wp = w[pop] / w[pop].sum()
        f1, f0 = expit(x1 @ beta), expit(x0 @ beta)
        g = np.vstack([(wp * f1 * (1 - f1)) @ x1, (wp * f0 * (1 - f0)) @ x0])  # d(mu1, mu0)/d beta
        u = score @ (bread @ g.T)  # g·bread·(scoreᵀscore)·bread·gᵀ with two columns over the rows
        return {"mu1": float(wp @ f1), "mu0": float(wp @ f0), "cov": u.T @ u}
    return _ra_linear(y, t, x, w, pop, groups)


def _ra_linear(y: np.ndarray, t: np.ndarray, x: np.ndarray, w: np.ndarray, pop: np.ndarray,
               groups: np.ndarray | None) -> dict[str, Any]:
    """Lin's per-arm OLS (= statsmodels ``TreatmentEffect.ra``), HC1/cluster covariance, delta method."""
    # the regression module alone: statsmodels.api imports every model (~0.5 s on first use)
    from statsmodels.regression.linear_model import WLS
    from statsmodels.tools.sm_exceptions import SingularMatrixWarning

    xf = np.column_stack([np.ones(len(y)), x])
    wp = w[pop] / w[pop].sum()
    xp = xf[pop]
    mus, preds, covs = [], [], []
    saturated = False
    for arm in (1, 0):  # two arms, not a loop over groups
        m = t == arm
        # a dummy level absent from this arm has no coefficient (flagged as extrapolation)
        keep = np.r_[True, xf[m, 1:].std(axis=0) > 0]
        # an arm with no more units than parameters fits exactly: no residual variance, so no SE
        sat = int(m.sum()) <= np.linalg.matrix_rank(xf[m][:, keep])
        saturated = saturated or sat
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", category=SingularMatrixWarning)
            cov = ({"cov_type": "nonrobust"} if sat else {"cov_type": "HC1"} if groups is None else
                   {"cov_type": "cluster", "cov_kwds": {"groups": groups[m]}})
            res = WLS(y[m], xf[m][:, keep], weights=w[m]).fit(**cov)
        xk = xp[:, keep]
        pred = xk @ res.params
        preds.append(pred)
        mus.append(float(wp @ pred))
        xbar = wp @ xk
        covs.append(np.nan if sat else float(xbar @ res.cov_params() @ xbar))
    # coefficient uncertainty (arms independent) + sampling of the target population's covariates
    neff = 1 / np.sum(wp**2)
    cov = np.cov(np.vstack(preds), aweights=wp) / neff + np.diag(covs)
    return {"mu1": mus[0], "mu0": mus[1], "cov": cov, "saturated": saturated}


def ipw(y: np.ndarray, t: np.ndarray, w: np.ndarray, ps: Propensity, estimand: str,
        groups: np.ndarray | None = None) -> dict[str, Any]:
    """Hajek IPW means with the stacked M-estimation sandwich (propensity uncertainty included)."""
    e = ps.e
    h1, h0 = ipw_weights(t, e, estimand)
    if (w * h1).sum() <= 0 or (w * h0).sum() <= 0:
        raise _NotEstimable(_F_NOOVERLAP)
    mu1 = float((w * h1 * y).sum() / (w * h1).sum())
    mu0 = float((w * h0 * y).sum() / (w * h0).sum())
    r1, r0 = y - mu1, y - mu0
    psi_g, a_gg, de = _prop_blocks(t, w, ps)
    k = psi_g.shape[1]
    psi = np.column_stack([psi_g, w * h1 * r1, w * h0 * r0])
    a = np.zeros((k + 2, k + 2))
    a[:k, :k] = a_gg
    # d h/d e: ATE d(t/e) = -t/e², d((1-t)/(1-e)) = (1-t)/(1-e)²; ATT d((1-t)e/(1-e)) = (1-t)/(1-e)²
    dh1 = -_div(t.astype(float), e**2) if estimand == "ate" else np.zeros(len(t))
    dh0 = _div(1.0 - t, (1 - e) ** 2)
    a[k, :k] = (w * dh1 * r1) @ de
    a[k + 1, :k] = (w * dh0 * r0) @ de
    a[k, k] = -(w * h1).sum()
    a[k + 1, k + 1] = -(w * h0).sum()
    return {"mu1": mu1, "mu0": mu0, "cov": _sandwich(psi, a, groups)}


def _outcome_model_g(y: np.ndarray, x: np.ndarray, w: np.ndarray, m: np.ndarray, binary: bool,
                     names: Sequence[str]) -> FitGen:
    """One arm's outcome model fitted on rows ``m``, predicted for every unit.

    Columns constant or collinear within the arm are left out (predictions stay
    unique); a logit outcome model is taken to its limit under separation
    (:func:`logit_limit`: units the arm's covariates classify perfectly are fitted
    exactly). Returns the design ``xa`` (with intercept) for all units, the
    predictions ``mu`` and ``g = ∂mu/∂η``.
    """
    if binary:
        fit = yield from logit_limit_g(y, x, w, m, blocks=dummy_blocks(names))
        if not fit.converged:
            raise _NotEstimable(_F_SEP)
        # separated units sit at exactly 0/1, so g = μ(1 − μ) = 0: they add nothing to the
        # model's score or Jacobian (the limit of the maximum-likelihood fit)
        return fit.xd, fit.p, fit.p * (1 - fit.p)
    keep, _ = reduce_design(x[m], np.zeros(int(m.sum())), y[m], False, names)
    xa = np.column_stack([np.ones(len(y)), x[:, keep]])
    sw = np.sqrt(w[m])
    beta = np.linalg.lstsq(xa[m] * sw[:, None], y[m] * sw, rcond=None)[0]
    return xa, xa @ beta, np.ones(len(y))


def aipw(y: np.ndarray, t: np.ndarray, x: np.ndarray, w: np.ndarray, ps: Propensity, estimand: str,
         binary: bool, names: Sequence[str], groups: np.ndarray | None = None) -> dict[str, Any]:
    """Augmented IPW (doubly robust) means and their covariance (:func:`aipw_g` run alone).

    Returns
    -------
    dict
        ``mu1``, ``mu0`` (mean potential outcomes) and ``cov`` (their 2 × 2 covariance).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((400, 1))
    >>> t = (rng.random(400) < 1 / (1 + np.exp(-x[:, 0]))).astype(float)
    >>> y = (rng.random(400) < 0.3 + 0.2 * t).astype(float)
    >>> w = np.ones(400)
    >>> r = aipw(y, t, x, w, propensity(t, x, w), "ate", True, ["x"])
    >>> round(r["mu1"] - r["mu0"], 3), r["cov"].shape
    (0.136, (2, 2))
    """
    return drive(aipw_g(y, t, x, w, ps, estimand, binary, names, groups))


def aipw_g(y: np.ndarray, t: np.ndarray, x: np.ndarray, w: np.ndarray, ps: Propensity, estimand: str,
           binary: bool, names: Sequence[str], groups: np.ndarray | None = None) -> FitGen:
    """Augmented IPW (doubly robust) means with the stacked sandwich (all nuisance models included).

    ATE (Robins, Rotnitzky & Zhao 1994; = statsmodels ``TreatmentEffect.aipw``)::

        μ₁ = mean(m₁ + t(y − m₁)/e),   μ₀ = mean(m₀ + (1 − t)(y − m₀)/(1 − e))

    ATT (normalised weights, Sant'Anna & Zhao 2020): with ``r = e/(1 − e)``::

        μ₁ = mean_{t=1}(y),   δ = Σ(1−t) r (y − m₀) / Σ(1−t) r,   μ₀ = mean_{t=1}(m₀) + δ

    ``m_a`` are per-arm outcome models (logit for 0/1 outcomes, least squares
    otherwise). The covariance of (μ₁, μ₀) is the sandwich ``A⁻¹BA⁻ᵀ`` of the stacked
    estimating equations of the propensity, the outcome models and the means, so it
    stays valid when one of the two models is wrong.
    """
    e = ps.e
    psi_g, a_gg, de = _prop_blocks(t, w, ps)
    kg = psi_g.shape[1]
    ref = t == 0
    x0, m0, g0 = yield from _outcome_model_g(y, x, w, ref, binary, names)
    k0 = x0.shape[1]
    psi_b0 = (w * (1 - t) * (y - m0))[:, None] * x0
    a_b0 = -(x0 * (w * (1 - t) * g0)[:, None]).T @ x0
    if estimand == "ate":
        x1, m1, g1 = yield from _outcome_model_g(y, x, w, t == 1, binary, names)
        k1 = x1.shape[1]
        h1, h0 = _div(t.astype(float), e), _div(1.0 - t, 1.0 - e)
        mu1 = float(w @ (m1 + h1 * (y - m1)) / w.sum())
        mu0 = float(w @ (m0 + h0 * (y - m0)) / w.sum())
        p = kg + k1 + k0 + 2
        psi = np.column_stack([psi_g, (w * t * (y - m1))[:, None] * x1, psi_b0,
                               w * (m1 + h1 * (y - m1) - mu1), w * (m0 + h0 * (y - m0) - mu0)])
        a = np.zeros((p, p))
        i1, i0, j1, j0 = kg, kg + k1, p - 2, p - 1
        a[:kg, :kg] = a_gg
        a[i1:i0, i1:i0] = -(x1 * (w * t * g1)[:, None]).T @ x1
        a[i0:j1, i0:j1] = a_b0
        a[j1, :kg] = (w * -_div(t.astype(float), e**2) * (y - m1)) @ de
        a[j1, i1:i0] = (w * (1 - h1) * g1) @ x1
        a[j0, :kg] = (w * _div(1.0 - t, (1 - e) ** 2) * (y - m0)) @ de
        a[j0, i0:j1] = (w * (1 - h0) * g0) @ x0
        a[j1, j1] = a[j0, j0] = -w.sum()
    else:
        r = _div((1 - t) * e, 1.0 - e)
        if (w * r).sum() <= 0:
            raise _NotEstimable(_F_NOOVERLAP)
        wt = w * t
        delta = float((w * r) @ (y - m0) / (w * r).sum())
        mu1 = float(wt @ y / wt.sum())
        mu0 = float(wt @ m0 / wt.sum()) + delta
        p = kg + k0 + 3
        psi = np.column_stack([psi_g, psi_b0, w * r * (y - m0 - delta), wt * (y - mu1),
                               wt * (m0 + delta - mu0)])
        a = np.zeros((p, p))
        jd, j1, j0 = p - 3, p - 2, p - 1
        a[:kg, :kg] = a_gg
        a[kg:jd, kg:jd] = a_b0
        # dr/de = 1/(1-e)², so dr/dγ = r/(e(1-e)) · ∂e/∂γ
        a[jd, :kg] = (w * _div(1.0 - t, (1 - e) ** 2) * (y - m0 - delta)) @ de
        a[jd, kg:jd] = -(w * r * g0) @ x0
        a[jd, jd] = -(w * r).sum()
        a[j1, j1] = -wt.sum()
        a[j0, kg:jd] = (wt * g0) @ x0
        a[j0, jd] = wt.sum()
        a[j0, j0] = -wt.sum()
    return {"mu1": mu1, "mu0": mu0, "cov": _sandwich(psi, a, groups)}


# ----------------------------------------------------------------------------------------
# One cell, all cells
# ----------------------------------------------------------------------------------------


def _overlap_flags(t: np.ndarray, x: np.ndarray, ps: Propensity, estimand: str, xnames: Any) -> list[str]:
    """Poor-overlap and extrapolation warnings of a cell."""
    flags = []
    e = ps.e
    lo, hi = _OVERLAP
    if estimand == "att":
        # ATT needs comparable reference units for every cohort unit: cohort units with a
        # propensity near 1 have none (reference units with propensity near 0 do no harm)
        outside = int(((e > hi) & (t == 1)).sum())
        if outside:
            flags.append(f"重叠差：{outside}/{int(t.sum())} 个队列单位倾向得分 > {hi} / poor overlap: "
                         f"{outside} of {int(t.sum())} cohort units have a propensity above {hi}")
    else:
        outside = int(((e < lo) | (e > hi)).sum())
        if outside:
            flags.append(f"重叠差：{outside}/{len(t)} 个单位倾向得分在 [{lo}, {hi}] 之外 / poor overlap: "
                         f"{outside} of {len(t)} units have a propensity outside [{lo}, {hi}]")
    pop = np.ones(len(t), dtype=bool) if estimand == "ate" else t == 1
    # dummy levels of the target population that an arm never has: the outcome model extrapolates
    dummy = np.all((x == 0) | (x == 1), axis=0) if x.shape[1] else np.zeros(0, bool)
    if dummy.any():
        xd = x[:, dummy] == 1
        need = xd[pop].any(axis=0)
        lacking = need & ((~xd[t == 0].any(axis=0)) | ((~xd[t == 1].any(axis=0)) & (estimand == "ate")))
        if lacking.any():
            names = ", ".join(map(str, xnames[dummy][lacking][:5]))
            flags.append(f"外推：{int(lacking.sum())} 个协变量水平在某组中没有单位（{names}）/ extrapolation: "
                         f"{int(lacking.sum())} covariate level(s) absent from one arm ({names})"
                         + ("; try estimand='att'" if estimand == "ate" else ""))
    return flags


def _effects(mu1: float, mu0: float, v: np.ndarray, z: float, binary: bool, sd: float, n1: int, n0: int
             ) -> tuple[dict[str, Any], list[str]]:
    """Difference, ratio, odds ratio, test and effect sizes from (μ₁, μ₀) and their covariance."""
    diff = mu1 - mu0
    se = float(np.sqrt(max(v[0, 0] + v[1, 1] - 2 * v[0, 1], 0.0)))
    stat = diff / se if se > 0 else np.nan
    out: dict[str, Any] = dict(estimate_cohort=mu1, estimate_reference=mu0, difference=diff,
                               ci_low=diff - z * se, ci_high=diff + z * se, statistic=stat,
                               # 2·Φ(−|z|) = erfc(|z|/√2) (what scipy's norm.sf computes, without its per-call overhead)
                               p_value=math.erfc(abs(stat) / math.sqrt(2)) if np.isfinite(stat) else np.nan)
    flags = []
    nan3 = (np.nan, np.nan, np.nan)
    with np.errstate(all="ignore"):
        if mu0 == 0 or not np.isfinite(mu0) or mu1 / mu0 <= 0:
            ratio = nan3
            if mu0 == 0:
                flags.append(_F_ZERO_REF)
        else:  # log ratio, delta method
            se_lr = np.sqrt(v[0, 0] / mu1**2 + v[1, 1] / mu0**2 - 2 * v[0, 1] / (mu1 * mu0))
            lr = np.log(mu1 / mu0)
            ratio = (mu1 / mu0, float(np.exp(lr - z * se_lr)), float(np.exp(lr + z * se_lr)))
        if binary and 0 < mu1 < 1 and 0 < mu0 < 1:  # marginal odds ratio, delta method on the log scale
            gr = np.array([1 / (mu1 * (1 - mu1)), -1 / (mu0 * (1 - mu0))])
            lor = np.log(mu1 / (1 - mu1)) - np.log(mu0 / (1 - mu0))
            se_or = float(np.sqrt(max(gr @ v @ gr, 0.0)))
            odds = (float(np.exp(lor)), float(np.exp(lor - z * se_or)), float(np.exp(lor + z * se_or)))
        else:
            odds = nan3
    out.update(ratio=ratio[0], ratio_ci_low=ratio[1], ratio_ci_high=ratio[2], odds_ratio=odds[0],
               odds_ratio_ci_low=odds[1], odds_ratio_ci_high=odds[2])
    if binary:
        out.update(effect_size=float(cohens_h(np.clip(mu1, 0, 1), np.clip(mu0, 0, 1))),
                   effect_size_type="cohens_h", hedges_g=np.nan)
    else:
        es = diff / sd if sd > 0 else np.nan
        out.update(effect_size=es, effect_size_type="standardised_difference",
                   hedges_g=float(es * hedges_correction(n1 + n0 - 2)))
    return out, flags


_METHOD_NAMES = {
    ("ra", True): "regression adjustment (logit, average marginal effect, delta-method HC0)",
    ("ra", False): "regression adjustment (OLS per cohort, HC1, delta method)",
    ("ipw", True): "inverse-probability weighting (logit propensity, Hajek, M-estimation sandwich)",
    ("aipw", True): "doubly robust AIPW (logit outcome per arm + logit propensity, stacked sandwich)",
    ("aipw", False): "doubly robust AIPW (OLS outcome per arm + logit propensity, stacked sandwich)",
}


def _degenerate(y: np.ndarray, t: np.ndarray, n1: int, n0: int, binary: bool) -> str:
    """The reason a cell has no adjusted estimate, or ``""``."""
    if n1 < 2 or n0 < 2:
        return _F_NOREF if n0 == 0 else _F_NOCOH
    if y.min() == y.max():
        return _F_ONE_LEVEL
    if binary:
        y1, y0 = y[t == 1], y[t == 0]
        if y1.min() == y1.max() or y0.min() == y0.max():
            return _F_ARM_LEVEL
    return ""


@dataclass(frozen=True)
class Cell:
    """One comparison cell: complete-case arrays and its covariate design."""

    t: np.ndarray
    y: np.ndarray
    w: np.ndarray
    groups: np.ndarray | None
    x: np.ndarray
    names: list[str]
    n_missing: int


def fit_cell(cell: Cell, kind: str, method: str, estimand: str, z: float
             ) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """One adjusted comparison row (a cell) and its balance rows; never raises for a data condition."""
    with np.errstate(all="ignore"):
        return drive(fit_cell_g(cell, kind, method, estimand, z))


def fit_cell_g(cell: Cell, kind: str, method: str, estimand: str, z: float) -> FitGen:
    """Generator form of :func:`fit_cell`: yields the cell's logistic problems (batched across cells by
    :func:`fit_cells`). No ``np.errstate`` inside: the caller holds one around all cells."""
    t, y, w, groups = cell.t, cell.y, cell.w, cell.groups
    binary = kind in ("proportion", "likert")
    use = ("aipw" if binary else "ra") if method == "auto" else method
    flags = []
    if cell.n_missing:
        flags.append(_flag_count(cell.n_missing, "行协变量缺失，未纳入调整",
                                 "rows with missing covariates left out of the adjusted fit"))
    if groups is not None:  # n counts clusters (respondents), not rows (answers)
        n1, n0 = len(np.unique(groups[t == 1])), len(np.unique(groups[t == 0]))
    else:
        n1, n0 = int(t.sum()), int((1 - t).sum())
    row: dict[str, Any] = {"n_cohort": n1, "n_reference": n0, "dropped_covariates": "",
                           "method": f"{_METHOD_NAMES.get((use, binary), use)}; {estimand.upper()}"}
    nan_row = dict.fromkeys(_NAN_STATS, np.nan)
    why = _degenerate(y, t, n1, n0, binary)
    if why:
        return {**row, **nan_row, "flags": "; ".join([*flags, why])}, None
    x_all, names = cell.x, cell.names
    # outcome separation matters to the pooled logit of RA; AIPW's per-arm models handle their own
    keep, dropped = reduce_design(x_all, t, y, binary and use == "ra", names)
    # balance keeps collinear columns (their balance still means something), not constant ones
    bal_cols = np.array([not d.endswith(f"({_R_CONST})") for d in col_reasons(names, dropped)], dtype=bool)
    xnames = np.asarray(names, dtype=object)[keep]
    x = x_all[:, keep]
    try:
        ps = yield from propensity_g(t, x, w, dummy_blocks(list(xnames)))
        if not ps.converged:
            if use != "ra":
                raise _NotEstimable(_F_PSEP)
            flags.append(_F_PFAIL)
        else:
            flags.extend(_overlap_flags(t, x, ps, estimand, xnames))
        pop = np.ones(len(t), dtype=bool) if estimand == "ate" else t == 1
        if use == "ra":
            est = yield from ra_g(y, t, x, w, pop, binary, groups)
        elif use == "ipw":
            est = ipw(y, t, w, ps, estimand, groups)
        else:
            est = yield from aipw_g(y, t, x, w, ps, estimand, binary, list(xnames), groups)
        if not (np.isfinite(est["mu1"]) and np.isfinite(est["mu0"])):
            raise _NotEstimable("模型无法拟合 / model could not be fitted (non-finite estimate)")
        sd = float(np.sqrt((np.var(y[t == 1], ddof=1) + np.var(y[t == 0], ddof=1)) / 2))
        eff, eflags = _effects(est["mu1"], est["mu0"], est["cov"], z, binary, sd, n1, n0)
    except _NotEstimable as exc:
        return {**row, **nan_row, "dropped_covariates": "; ".join(dropped),
                "flags": "; ".join([*flags, str(exc)])}, None
    except (np.linalg.LinAlgError, ValueError, ZeroDivisionError, FloatingPointError) as exc:
        why = f"模型无法拟合（设计矩阵奇异）/ model could not be fitted (singular design: {type(exc).__name__})"
        return {**row, **nan_row, "dropped_covariates": "; ".join(dropped),
                "flags": "; ".join([*flags, why])}, None
    row["dropped_covariates"] = "; ".join(dropped)
    if dropped:
        flags.append(f"剔除 {len(dropped)} 个协变量列（常数、共线或完全预测）/ {len(dropped)} covariate "
                     f"column(s) dropped (constant, collinear or perfect prediction): {'; '.join(dropped)}")
    if est.get("saturated"):
        flags.append(_F_SATURATED)
    if groups is not None:
        flags.append(_F_CLUSTER_SE)
    if (w != 1).any():
        flags.append(_F_WEIGHTED)
    row.update(eff)
    row["flags"] = "; ".join([*flags, *eflags])
    bal = (balance_rows(x_all[:, bal_cols], [n for n, k in zip(names, bal_cols, strict=True) if k], t, w,
                        ps.e, estimand) if ps.converged else None)
    return row, bal


def balance_rows(x: np.ndarray, names: list[str], t: np.ndarray, w: np.ndarray, e: np.ndarray, estimand: str
                 ) -> dict[str, Any]:
    """Standardised mean differences before and after IPW for each covariate column (columns as arrays;
    :func:`fit_cells` builds one balance DataFrame from all cells)."""
    h1, h0 = ipw_weights(t, e, estimand)
    c, r = t == 1, t == 0

    def wmean(mask: np.ndarray, ww: np.ndarray) -> np.ndarray:
        return (ww[mask] @ x[mask]) / ww[mask].sum()

    with np.errstate(invalid="ignore", divide="ignore"):
        m1, m0 = wmean(c, w), wmean(r, w)
        v1 = x[c].var(axis=0, ddof=1) if c.sum() > 1 else np.full(x.shape[1], np.nan)
        v0 = x[r].var(axis=0, ddof=1) if r.sum() > 1 else np.full(x.shape[1], np.nan)
        sd = np.sqrt((v1 + v0) / 2)  # the same (unweighted) denominator before and after
        a1, a0 = wmean(c, w * h1), wmean(r, w * h0)
        k = len(names)
        return {
            "covariate": np.asarray(names, dtype=object), "n_cohort": np.full(k, int(c.sum())),
            "n_reference": np.full(k, int(r.sum())), "mean_cohort": m1, "mean_reference": m0,
            "smd_before": (m1 - m0) / sd, "mean_cohort_weighted": a1, "mean_reference_weighted": a0,
            "smd_after": (a1 - a0) / sd,
        }


def _single_thread() -> Any:
    """Limit BLAS to one thread for the many small fits (multi-threaded BLAS on small designs only
    oversubscribes a busy machine)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)


_CHUNK_ROWS = 50_000  # rows of the cells fitted together: bounds memory, keeps the batches large
_FAST_ROWS = 300_000  # rows of the cells of one vectorised chunk (adjust_batch)


def _chunk_bounds(sizes: np.ndarray, rows: int) -> np.ndarray:
    """Boundaries of consecutive cells with about ``rows`` rows per chunk."""
    csum = np.cumsum(sizes)
    cuts = np.unique(np.searchsorted(csum, np.arange(1, (csum[-1] if len(csum) else 0) // rows + 1) * rows,
                                     side="right"))
    return np.unique(np.r_[0, np.minimum(cuts, len(sizes)), len(sizes)])


def fit_cells(frame: pd.DataFrame, cells: CellRows, pairs: pd.DataFrame, kind: str, adjust: list[str],
              method: str, estimand: str, z: float, columns: Sequence[str], balance_columns: Sequence[str],
              batched: bool = True, fast: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every adjusted comparison row, each cell its own model (``frame``, ``cells``: :func:`expand_cells`).

    AIPW and IPW, and RA of mean outcomes (no clusters) run vectorised over all cells of a chunk
    (:mod:`coopmetrics.adjust_batch`, chunks of ``_FAST_ROWS`` rows); cells it cannot certify
    and every other call take the per-cell route: logistic fits of the cells run together
    (:func:`coopmetrics.fits.run_batched`: Newton on stacked designs, round by round), in
    chunks of cells of at most ``_CHUNK_ROWS`` rows so that memory stays bounded;
    ``batched=False`` fits cell by cell, ``fast=False`` skips the vectorised path (the same
    numbers to rounding, tested).
    """
    rows, bals = [], []
    cov = covariates(frame, adjust)
    t_all = frame["arm"].to_numpy()  # int8 (10M rows: 70 MB less than floats); floats per cell or chunk
    y_all = frame["value"].to_numpy(dtype=float)
    w_all = frame["weight"].to_numpy(dtype=float)
    g_all = frame["_cluster"].to_numpy() if "_cluster" in frame.columns else None
    binary = kind in ("proportion", "likert")
    use = ("aipw" if binary else "ra") if method == "auto" else method
    fast = fast and g_all is None and (use in ("aipw", "ipw") or (use == "ra" and not binary))

    def cell_gen(p: int) -> FitGen:  # the cell is built when its generator starts
        idx = cells.rows(p)
        rows_ok = idx[cov.ok[idx]]
        x, names = cov.cell(rows_ok)
        cell = Cell(t=t_all[rows_ok].astype(float), y=y_all[rows_ok], w=w_all[rows_ok],
                    groups=None if g_all is None else g_all[rows_ok], x=x, names=names,
                    n_missing=int(len(idx) - len(rows_ok)))
        return (yield from fit_cell_g(cell, kind, method, estimand, z))

    def per_cell(pids: Sequence[int]) -> None:
        # every chunk's logistic fits are solved together, round by round (batched Newton)
        gens = [cell_gen(p) for p in pids]
        results = run_batched(gens) if batched else [drive(g) for g in gens]
        for p, (row, bal) in zip(pids, results, strict=True):
            rows.append({**row, "pair_id": p})
            if bal is not None and len(bal["covariate"]):
                bal["pair_id"] = np.full(len(bal["covariate"]), p)
                bals.append(bal)

    fast_rows = []
    with _single_thread(), np.errstate(all="ignore"):
        if fast:
            from .adjust_batch import cells_fast, chunk_rows, layout

            lay = layout(cov)
            label = f"{_METHOD_NAMES.get((use, binary), use)}; {estimand.upper()}"
            bounds = _chunk_bounds(cells.sizes(), _FAST_ROWS)
            for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):  # a loop over chunks, not cells
                idx, cid = chunk_rows(cells, lo, hi)
                got = cells_fast(cov, lay, idx, cid, hi - lo, t_all, y_all, w_all, use, estimand, z, label,
                                 cells.rlo[lo:hi], binary=binary)
                fast_rows.append(got.rows.assign(pair_id=got.rows.pop("cell") + lo))
                if len(got.balance.get("cell", ())):
                    got.balance["pair_id"] = got.balance.pop("cell") + lo
                    bals.append(got.balance)
                slow = (got.slow + lo).tolist()
                for a in range(0, len(slow), 64):  # the cells left to the per-cell route, a few at a time
                    per_cell(slow[a:a + 64])
        else:
            bounds = _chunk_bounds(cells.sizes(), _CHUNK_ROWS)
            for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
                per_cell(range(lo, hi))
    res = pd.concat([*fast_rows, pd.DataFrame(rows)], ignore_index=True) if fast_rows else pd.DataFrame(rows)
    if len(res):
        res = res.sort_values("pair_id", kind="stable").reset_index(drop=True)
    res = res.drop(columns="pair_id", errors="ignore")
    res["adjusted"] = True
    bal_cols = ["pair_id", *balance_columns[2:]]
    bal = (pd.DataFrame({c: np.concatenate([b[c] for b in bals]) for c in bal_cols}) if bals
           else pd.DataFrame(columns=bal_cols))
    bal = bal.sort_values("pair_id", kind="stable")
    p = pairs.copy()
    p["pair_id"] = np.arange(len(p))
    bal = p.merge(bal, on="pair_id", how="inner").drop(columns="pair_id").rename(columns={"_cohort": "cohort"})
    bal.insert(bal.columns.get_loc("cohort") + 1, "reference", "")
    for col in columns:  # statistics a fit did not produce (e.g. every cell degenerate)
        if col not in res.columns and col not in ("cohort", "reference", "q_value"):
            res[col] = np.nan
    return res[[c for c in columns if c in res.columns]], bal
