"""Design matrices and numerically stable logistic fits for adjusted comparisons.

:class:`Covariates` codes the ``adjust`` columns of every row once; :meth:`Covariates.cell`
gives one cell's dummy-coded design and :func:`reduce_design` the columns its models
can estimate. :func:`logit_fit` is a Newton/IRLS logistic regression that never
overflows (capped linear predictor, ``logaddexp`` likelihood, step halving);
:func:`logit_limit` takes a separated fit to its limit and :func:`propensity` uses it
for the propensity score. Used by :mod:`coopmetrics.adjust`.

Examples
--------
>>> import numpy as np
>>> x = np.column_stack([np.ones(6), [0, 1, 2, 3, 4, 5.]])
>>> fit = logit_fit(np.array([0, 0, 1, 0, 1, 1.]), x, np.ones(6))
>>> fit.converged, round(float(fit.beta[1]), 4)
(True, 1.214)
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

#: A fit generator: yields logistic problems ``(y, x, w)``, receives :class:`LogitFit`, returns a result.
FitGen = Generator[tuple[np.ndarray, np.ndarray, np.ndarray], "LogitFit", Any]

__all__ = ["Covariates", "covariates", "reduce_design", "LogitFit", "logit_fit", "LimitFit", "logit_limit",
           "Propensity", "propensity", "dummy_blocks"]

_ETA_MAX = 30.0  # |linear predictor| cap: P = 1e-13 already; beyond it only overflow and underflow remain

_R_CONST = "constant 常数"
_R_COHORT = "collinear with cohort 与队列共线"
_R_COLLIN = "collinear 共线"
_R_SEP = "perfect prediction 完全预测"
_RANK_TOL = 1e-9  # relative to the largest pivot of the standardised design


# ----------------------------------------------------------------------------------------
# Design matrices
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Covariates:
    """The covariates of every row, coded once for all cells (:func:`covariates`).

    ``numeric`` columns enter as they are; ``codes`` hold each text/category column as
    integer codes of its levels (sorted as strings, −1 missing), dummy-coded per cell by
    :meth:`cell` with the first level *present in the cell* as the reference level, so
    that a level absent from a cell gets no column at all.
    """

    names: list[str]
    numeric: dict[str, np.ndarray]
    codes: dict[str, np.ndarray]
    levels: dict[str, np.ndarray]
    ok: np.ndarray

    def cell(self, rows: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Design of the complete-case ``rows`` (indices) of one cell and its column names."""
        names: list[str] = []
        parts = []  # (first column, numeric values or (dummy column per row, -1 none), width)
        k = 0
        for c in self.names:  # a loop over covariates, not rows or cells
            if c in self.numeric:
                parts.append((k, self.numeric[c][rows], None))
                names.append(c)
                k += 1
                continue
            code = self.codes[c][rows]  # complete cases: codes >= 0
            # levels present, in code order; the first is the cell's reference level (no column)
            present = np.flatnonzero(np.bincount(code, minlength=len(self.levels[c])))[1:]
            if len(present):
                col = np.full(len(self.levels[c]), -1)
                col[present] = np.arange(len(present))
                parts.append((k, col[code], len(present)))
                names.extend(f"{c}={lv}" for lv in self.levels[c][present])
                k += len(present)
        # one zeroed design written in place (no per-covariate blocks stacked by a copy)
        x = np.zeros((len(rows), k))
        for k0, v, width in parts:
            if width is None:
                x[:, k0] = v
            else:
                hit = np.flatnonzero(v >= 0)
                x[hit, k0 + v[hit]] = 1.0  # one pass over the rows, not one comparison per level
        return x, names


def covariates(frame: pd.DataFrame, adjust: list[str]) -> Covariates:
    """Code the ``adjust`` columns of all rows once: numbers linear, text/category by level codes."""
    numeric, codes, levels = {}, {}, {}
    ok = np.ones(len(frame), dtype=bool)
    for c in adjust:  # column by column: no frame of masks (10M rows)
        ok &= frame[c].notna().to_numpy()
    for c in adjust:
        col = frame[c]
        if pd.api.types.is_bool_dtype(col) or str(col.dtype) == "boolean" or pd.api.types.is_numeric_dtype(col):
            numeric[c] = col.astype(float).to_numpy(dtype=float, na_value=np.nan)
        else:  # hash-factorise, then renumber the levels in string order (as get_dummies sorts them)
            cats = col.cat.categories.astype(str) if isinstance(col.dtype, pd.CategoricalDtype) else None
            if cats is not None and cats.is_unique:  # the codes are there: only the categories become text
                code, uniq, at = col.cat.codes.to_numpy(), cats, None  # every row (-1: missing)
            else:
                code, uniq = pd.factorize(col.loc[ok].astype(str), sort=False)
                at = ok
            lv = np.asarray(uniq, dtype=object)
            order = np.argsort(lv.astype(str), kind="stable")
            rank = np.empty(len(lv), dtype=np.int32)
            rank[order] = np.arange(len(lv))
            if at is None and len(lv):  # rank of every row's code, in place of a gather of the complete rows
                full = rank[code]
                full[~ok] = -1
            else:
                full = np.full(len(col), -1, dtype=np.int32)  # int32: half the memory per row and covariate
                if at is not None:
                    full[at] = rank[code]
            codes[c], levels[c] = full, lv[order]
    return Covariates(names=list(adjust), numeric=numeric, codes=codes, levels=levels, ok=ok)


def reduce_design(x: np.ndarray, t: np.ndarray, y: np.ndarray, binary: bool, names: Sequence[str]
                  ) -> tuple[np.ndarray, list[str]]:
    """Columns of ``x`` that the cell's models can estimate, and the dropped ones with reasons.

    In this order (as pyfixest drops and reports collinear variables): columns constant
    in the cell; for 0/1 outcomes (``binary``), dummies whose units all have the same
    outcome (perfect prediction: the logit coefficient diverges), which merges that
    level into the reference level; then columns linearly dependent on the intercept,
    the cohort indicator ``t`` and earlier columns (QR with column pivoting of the
    standardised design after projecting out the intercept and ``t``; rank tolerance
    ``1e-9`` of the largest pivot). Pass ``t`` all zero for a design with an intercept
    only. Returns the boolean keep mask and ``"name (reason)"`` entries.
    """
    k = x.shape[1]
    keep = np.ones(k, dtype=bool)
    dropped: list[str] = []
    if not k or not len(x):
        return keep & (len(x) > 0), [f"{n} ({_R_CONST})" for n in names] if not len(x) else []
    const = _constant(x)
    keep &= ~const
    if binary:
        dummy = np.all((x == 0) | (x == 1), axis=0) & keep
        s1 = x.T @ y
        keep &= ~(dummy & ((s1 == 0) | (s1 == x.sum(axis=0))))
    sep = ~keep & ~const
    idx = np.flatnonzero(keep)
    coll = np.zeros(k, dtype=bool)
    cohort_coll = np.zeros(k, dtype=bool)
    if len(idx) and not _clearly_full_rank(x[:, idx], t):
        from scipy.linalg import qr

        sd = x.std(axis=0)[idx]
        z = (x[:, idx] - x[:, idx].mean(axis=0)) / sd  # orthogonal to the intercept
        tc = t - t.mean()
        if tc @ tc > 0:
            z = z - np.outer(tc, (tc @ z) / (tc @ tc))
        norms = np.sqrt((z**2).sum(axis=0) / len(t))
        on_cohort = norms < np.sqrt(_RANK_TOL)
        cohort_coll[idx[on_cohort]] = True
        rest = idx[~on_cohort]
        if len(rest) > 1:
            _q, r, piv = qr(z[:, ~on_cohort], mode="economic", pivoting=True)
            d = np.abs(np.diag(r))
            rank = int((d > _RANK_TOL * d[0]).sum())
            coll[rest[piv[rank:]]] = True
        keep &= ~(coll | cohort_coll)
    for j in np.flatnonzero(~keep):  # a loop over dropped columns, for the message only
        reason = _R_CONST if const[j] else _R_SEP if sep[j] else _R_COHORT if cohort_coll[j] else _R_COLLIN
        dropped.append(f"{names[j]} ({reason})")
    return keep, dropped


def _constant(x: np.ndarray) -> np.ndarray:
    """Columns whose standard deviation is at most ``1e-12 (1 + max|x|)`` (numerically constant).

    The standard deviation is computed only for columns whose range leaves the answer open:
    ``sd ≥ range / sqrt(2n)``, so a column with a clearly wider range is not constant.
    """
    hi, lo = x.max(axis=0), x.min(axis=0)
    tol = 1e-12 * (1 + np.maximum(np.abs(hi), np.abs(lo)))
    const = hi - lo <= tol
    unsure = ~const & ((hi - lo) / np.sqrt(2 * len(x)) <= 10 * tol)
    if unsure.any():
        const[unsure] = ~(x[:, unsure].std(axis=0) > tol[unsure])
    return const


_FAST_COND = 1e-8  # eigenvalue ratio of the correlation matrix above which no column can be dropped


def _clearly_full_rank(x: np.ndarray, t: np.ndarray) -> bool:
    """True when the standardised ``x``, after projecting out the intercept and ``t``, is
    so well conditioned that :func:`reduce_design`'s pivoted QR would keep every column.

    From the ``(k + 1)²`` centred cross-products only (one BLAS product over the rows): with ``G`` the
    Gram matrix of the projected, standardised columns (``z`` of :func:`reduce_design`, divided by
    ``n``), every column norm² is ``diag(G)`` and every ratio of QR pivots is at least
    ``sqrt(λ_min / λ_max)`` of ``G``. Requiring ``diag(G) > 10 · _RANK_TOL`` and
    ``λ_min / λ_max > 1e-8`` (pivot ratio > 1e-4, against the rank tolerance 1e-9) leaves a wide
    margin over the rounding of forming ``G``; anything less certain goes to the QR.
    """
    n, k = x.shape
    if n < k + 2:  # more columns than the centred, projected rows can hold: the QR decides
        return False
    # centred first: raw moments of a column far from 0 (scores near 400) would lose the digits
    a = np.empty((n, k + 1))  # [t, x] centred, written once (no column_stack of centred copies)
    np.subtract(t, t.mean(), out=a[:, 0])
    np.subtract(x, x.mean(axis=0), out=a[:, 1:])
    cov = a.T @ a / n  # covariances (population) of t and the columns
    sd = np.sqrt(np.diag(cov)[1:])
    if not (sd > 0).all():
        return False
    g = cov[1:, 1:] / np.outer(sd, sd)
    vt = cov[0, 0]
    if vt > 0:  # project out the cohort indicator
        c = cov[0, 1:] / sd
        g = g - np.outer(c, c) / vt
    if not (np.diag(g) > 10 * _RANK_TOL).all():
        return False
    ev = np.linalg.eigvalsh(g)
    return bool(ev[0] > _FAST_COND * ev[-1])


def col_reasons(cols: Any, dropped: list[str]) -> list[str]:
    """For each column name, its ``"name (reason)"`` entry of ``dropped`` or ``""``."""
    by_name = {d.rsplit(" (", 1)[0]: d for d in dropped}
    return [by_name.get(str(c), "") for c in cols]


# ----------------------------------------------------------------------------------------
# Numerically stable logistic regression
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogitFit:
    """A weighted logistic fit: coefficients, fitted probabilities, convergence.

    ``converged`` is False when Newton's steps did not settle (separation drives a
    coefficient to ±∞; the likelihood then keeps rising towards its supremum).
    """

    beta: np.ndarray
    p: np.ndarray
    converged: bool


_LL_TOL = 1e-13  # relative log-likelihood gain below which a Newton step has nothing left to gain
_COND_MAX = 1e10  # condition number of the equilibrated Hessian beyond which a fit is not identified


def _identified(hess: np.ndarray) -> np.ndarray:
    """Which Hessians (stack of k × k) are numerically non-singular after equilibration.

    ``D^{-1/2} H D^{-1/2}`` (``D = diag H``) removes the columns' scales (a year column
    next to the intercept), so a large condition number means what it should: a fit
    whose optimum is flat in some direction (quasi-separation leaves the weights
    ``p(1 − p)`` of the separated units at ~1e-9). Such a fit is treated as not
    converged, whatever noise its last Newton step had, so that a cell's outcome does
    not depend on rounding (e.g. batched or one-by-one fits).
    """
    with np.errstate(all="ignore"):
        d = np.sqrt(np.abs(np.diagonal(hess, axis1=1, axis2=2)))
        d = np.where(d > 0, d, 1.0)
        eq = hess / d[:, :, None] / d[:, None, :]
        return np.asarray(np.linalg.cond(eq) < _COND_MAX)


def _loglik(y: np.ndarray, eta: np.ndarray, w: np.ndarray) -> float:
    # log L = Σ w (y·η − log(1 + e^η)); logaddexp never overflows
    return float(w @ (y * eta - np.logaddexp(0.0, eta)))


def logit_fit(y: np.ndarray, x: np.ndarray, w: np.ndarray, max_iter: int = 100, tol: float = 1e-9
              ) -> LogitFit:
    """Weighted maximum-likelihood logistic regression by Newton/IRLS, numerically stable.

    The linear predictor is capped at ±30 (a probability of 1e-13), the likelihood is
    computed with ``logaddexp`` and a Newton step that lowers it is halved, so no
    overflow occurs and the result equals ``statsmodels`` ``GLM(y, x, Binomial(),
    var_weights=w)`` wherever the maximum exists (tested). Under separation the
    coefficients diverge and ``converged`` is False; a singular Hessian also ends
    the fit with ``converged`` False.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.column_stack([np.ones(4), [0, 1, 2, 3.]])
    >>> logit_fit(np.array([0, 0, 1, 1.]), x, np.ones(4)).converged   # separated by x
    False
    """
    beta = np.zeros(x.shape[1])
    raw = np.zeros(len(y))  # x @ beta, uncapped (kept up to date without another product)
    ll = _loglik(y, raw, w)
    converged = False
    with np.errstate(all="ignore"):
        for _ in range(max_iter):
            p = expit(np.clip(raw, -_ETA_MAX, _ETA_MAX))
            grad = x.T @ (w * (y - p))
            hess = (x * (w * p * (1 - p))[:, None]).T @ x
            try:
                step = np.linalg.solve(hess, grad)
            except np.linalg.LinAlgError:
                break
            if not np.all(np.isfinite(step)):
                break
            xs = x @ step
            for _half in range(30):  # step halving keeps every iteration an ascent
                ll_new = _loglik(y, np.clip(raw + xs, -_ETA_MAX, _ETA_MAX), w)
                if ll_new >= ll - 1e-12 * (1 + abs(ll)):
                    break
                step, xs = step / 2, xs / 2
            flat = ll_new - ll <= _LL_TOL * (1 + abs(ll))
            beta, raw, ll = beta + step, raw + xs, ll_new
            big = np.max(np.abs(raw))
            if big > _ETA_MAX - 5:  # diverging (separation): stop early
                break
            # converged when the linear predictor stops moving (scale-free in the columns) or the
            # likelihood stops rising (a flat optimum, where rounding keeps the steps from vanishing);
            # under separation the predictor grows by about one per step and the stop above comes first
            if np.max(np.abs(xs)) < tol or flat:
                converged = bool(big < _ETA_MAX and _identified(hess[None])[0])
                break
    eta = np.clip(x @ beta, -_ETA_MAX, _ETA_MAX)
    return LogitFit(beta=beta, p=expit(eta), converged=converged)


# ----------------------------------------------------------------------------------------
# Propensity model
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LimitFit:
    """A logistic fit taken to its limit under separation (see :func:`logit_limit`).

    ``p`` holds fitted probabilities of every row (separated rows exactly 0 or 1),
    ``xd`` the design (with intercept) of the final fit for every row and ``in_model``
    the rows that fit used (separated rows excluded).
    """

    p: np.ndarray
    xd: np.ndarray
    in_model: np.ndarray
    converged: bool


_PIN = 20.0  # |η| beyond which a unit of a diverging fit is taken as separated (P within 2e-9 of 0/1)


def dummy_blocks(names: Sequence[str]) -> list[np.ndarray]:
    """Column indices of each dummy-coded covariate (names ``"var=level"``), one array per variable."""
    out: dict[str, list[int]] = {}
    for j, nm in enumerate(names):
        if "=" in nm:
            out.setdefault(nm.split("=", 1)[0], []).append(j)
    return [np.asarray(v) for v in out.values()]


def _pin_levels(y: np.ndarray, x: np.ndarray, rows: np.ndarray, blocks: Sequence[np.ndarray]
                ) -> tuple[np.ndarray, np.ndarray]:
    """Units of a covariate level (the reference level included) whose fitted rows all share ``y``.

    Such a level separates the outcome: its indicator (the dummy, or one minus the
    variable's dummies for the reference level) sends the MLE to ±∞, so its units are
    fixed at that outcome without iterating. Levels with no fitted row are left alone.
    """
    n = len(y)
    pinned, value = np.zeros(n, dtype=bool), np.full(n, np.nan)
    for b in blocks:  # a loop over covariates, not rows
        lvl = (x[:, b] @ np.arange(1, len(b) + 1)).astype(np.int64)  # 0: the reference level
        k = len(b) + 1
        cnt = np.bincount(lvl[rows], minlength=k)
        s1 = np.bincount(lvl[rows], weights=y[rows], minlength=k)
        sep = (cnt > 0) & ((s1 == 0) | (s1 == cnt))
        hit = sep[lvl] & ~pinned
        value[hit] = (s1[lvl[hit]] > 0).astype(float)
        pinned |= hit
    return pinned, value


def logit_limit(y: np.ndarray, x: np.ndarray, w: np.ndarray, rows: np.ndarray, rounds: int = 4,
                blocks: Sequence[np.ndarray] = ()) -> LimitFit:
    """:func:`logit_limit_g` run with one :func:`logit_fit` per request (see there)."""
    return drive(logit_limit_g(y, x, w, rows, rounds, blocks))


def logit_limit_g(y: np.ndarray, x: np.ndarray, w: np.ndarray, rows: np.ndarray, rounds: int = 4,
                  blocks: Sequence[np.ndarray] = ()) -> FitGen:
    """Logit of ``y`` on ``x`` over ``rows``, predicted for every row, at the limit of the MLE.

    Under (quasi-)separation, e.g. a major without any order-class student, the
    maximum-likelihood coefficients diverge and the fitted probabilities of the
    separated units go to 0 or 1 while the rest converge. This takes that limit: units
    whose linear predictor diverges (|η| > 20) are pinned at 0/1 and the model is
    refitted on the others, with columns that became constant or collinear left out,
    until the fit converges (at most ``rounds`` times). Rows outside ``rows`` (the
    other arm, for an outcome model) are predicted by the same rule. Levels of the
    dummy-coded covariates ``blocks`` that separate are fixed first, without iterating
    (:func:`_pin_levels`).

    A generator: it yields each logistic problem ``(y, x, w)`` it needs solved and
    receives the :class:`LogitFit`, so that :func:`run_batched` can solve the problems
    of many cells at once (:func:`logit_fit_batch`); :func:`drive` runs it alone.
    """
    n = len(y)
    pinned, p = _pin_levels(y, x, rows, blocks)
    xd = np.ones((n, 1))
    fit_rows = rows.copy()
    for _ in range(rounds):
        fit_rows = rows & ~pinned
        yr = y[fit_rows]
        if not fit_rows.any() or yr.min() == yr.max():  # what is left is one outcome: all separated
            p[~pinned] = yr[0] if fit_rows.any() else np.nan
            return LimitFit(p=p, xd=np.ones((n, 1)), in_model=np.zeros(n, bool), converged=fit_rows.any())
        keep, _ = reduce_design(x[fit_rows], np.zeros(int(fit_rows.sum())), yr, False, [""] * x.shape[1])
        xd = np.column_stack([np.ones(n), x[:, keep]])
        fit = yield (yr, xd[fit_rows], w[fit_rows])
        eta = xd @ fit.beta
        if fit.converged:
            p[~pinned] = expit(np.clip(eta[~pinned], -_ETA_MAX, _ETA_MAX))
            return LimitFit(p=p, xd=xd, in_model=fit_rows, converged=True)
        new = ~pinned & (np.abs(eta) > _PIN)
        if not new.any():
            break
        p[new] = (eta[new] > 0).astype(float)
        pinned |= new
    return LimitFit(p=p, xd=xd, in_model=fit_rows, converged=False)


@dataclass(frozen=True)
class Propensity:
    """Propensity ``e = P(cohort | x)`` of every unit of a cell (:func:`logit_limit` of the arm).

    Units separated from the other arm (e.g. of a major without any order-class
    student) have a propensity of exactly 0 or 1 and are outside the logit
    (``in_model``), which is fitted on the other units with the columns ``xp``.
    """

    e: np.ndarray
    xp: np.ndarray
    in_model: np.ndarray
    converged: bool


def propensity(t: np.ndarray, x: np.ndarray, w: np.ndarray, blocks: Sequence[np.ndarray] = ()) -> Propensity:
    """Logit propensity at the limit of the MLE (see :class:`Propensity`).

    Examples
    --------
    >>> import numpy as np
    >>> lvl = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2.])   # level 0: no cohort units
    >>> x = np.column_stack([lvl == 1, lvl == 2]).astype(float)
    >>> t = np.array([0, 0, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0.])
    >>> ps = propensity(t, x, np.ones(12), dummy_blocks(["l=1", "l=2"]))
    >>> ps.e[:3].tolist(), round(float(ps.e[3]), 3), ps.converged
    ([0.0, 0.0, 0.0], 0.5, True)
    """
    return drive(propensity_g(t, x, w, blocks))


def propensity_g(t: np.ndarray, x: np.ndarray, w: np.ndarray, blocks: Sequence[np.ndarray] = ()) -> FitGen:
    """Generator form of :func:`propensity` (see :func:`logit_limit_g`)."""
    fit = yield from logit_limit_g(t, x, w, np.ones(len(t), dtype=bool), blocks=blocks)
    return Propensity(e=fit.p, xp=fit.xd, in_model=fit.in_model, converged=fit.converged)


# ----------------------------------------------------------------------------------------
# Many cells at once: batched Newton
# ----------------------------------------------------------------------------------------

_BATCH_CELLS = 4_000_000  # padded elements (problems x rows x columns) per batched Newton block


def drive(gen: FitGen) -> Any:
    """Run a fit generator alone, answering each request with :func:`logit_fit`."""
    try:
        req = next(gen)
        while True:
            req = gen.send(logit_fit(*req))
    except StopIteration as stop:
        return stop.value


def run_batched(gens: Sequence[FitGen]) -> list[Any]:
    """Run many fit generators in lockstep: every round's requests are solved together.

    Each generator (one cell) yields the logistic problems it needs; all the problems
    pending in a round go to :func:`logit_fit_batch` at once. The result of each
    generator equals :func:`drive` on it (the same Newton steps, batched).
    """
    out: list[Any] = [None] * len(gens)
    pending: dict[int, tuple] = {}
    for i, g in enumerate(gens):
        try:
            pending[i] = next(g)
        except StopIteration as stop:
            out[i] = stop.value
    while pending:  # a few rounds: propensity, outcome models, refits after separation
        ids = list(pending)
        fits = logit_fit_batch([pending[i] for i in ids])
        nxt: dict[int, tuple] = {}
        for i, fit in zip(ids, fits, strict=True):
            try:
                nxt[i] = gens[i].send(fit)
            except StopIteration as stop:
                out[i] = stop.value
        pending = nxt
    return out


def logit_fit_batch(problems: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]], max_iter: int = 100,
                    tol: float = 1e-9) -> list[LogitFit]:
    """:func:`logit_fit` of many problems at once: Newton on stacked, zero-padded designs.

    Problems are sorted by size and stacked in blocks of at most ``_BATCH_CELLS`` padded
    elements; padded rows have weight 0 and padded columns an identity Hessian, so they
    change nothing. Every problem takes exactly the steps of :func:`logit_fit` (step
    halving, divergence stop and convergence rule per problem); results agree with
    per-problem fits to rounding (tested to 1e-8).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.column_stack([np.ones(6), [0, 1, 2, 3, 4, 5.]])
    >>> y = np.array([0, 0, 1, 0, 1, 1.])
    >>> a, b = logit_fit_batch([(y, x, np.ones(6)), (y[:5], x[:5], np.ones(5))])
    >>> bool(np.allclose(a.beta, logit_fit(y, x, np.ones(6)).beta)), b.converged
    (True, True)
    """
    out: list[LogitFit | None] = [None] * len(problems)
    # blocks of one width and similar lengths: sorted by (columns, rows), a block closes when its
    # padded size would pass the budget or its longest problem would be over twice its shortest
    order = sorted(range(len(problems)), key=lambda i: (problems[i][1].shape[1], problems[i][1].shape[0]))
    block: list[int] = []
    k0 = n0 = 0
    for i in order + [-1]:  # a loop over blocks, not problems
        if i >= 0:
            n, k = problems[i][1].shape
            if not block or (k == k0 and n <= 2 * n0 + 8 and (len(block) + 1) * n * k <= _BATCH_CELLS):
                if not block:
                    k0, n0 = k, n
                block.append(i)
                continue
        if block:
            for j, fit in zip(block, _newton_block([problems[j] for j in block], max_iter, tol), strict=True):
                out[j] = fit
        block = [i] if i >= 0 else []
        if i >= 0:
            k0, n0 = problems[i][1].shape[1], problems[i][1].shape[0]
    return out  # type: ignore[return-value]


def _newton_block(problems: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]], max_iter: int, tol: float
                  ) -> list[LogitFit]:
    """Batched :func:`logit_fit` of one block (see :func:`logit_fit_batch`)."""
    c = len(problems)
    nmax = max(p[1].shape[0] for p in problems)
    kmax = max(p[1].shape[1] for p in problems)
    x = np.zeros((c, nmax, kmax))
    y = np.zeros((c, nmax))
    w = np.zeros((c, nmax))
    colpad = np.ones((c, kmax), dtype=bool)
    for j, (yy, xx, ww) in enumerate(problems):  # filling the stack, one copy per problem
        n, k = xx.shape
        x[j, :n, :k], y[j, :n], w[j, :n] = xx, yy, ww
        colpad[j, :k] = False
    eye = np.einsum("ck,kl->ckl", colpad.astype(float), np.eye(kmax))  # identity on padded columns
    beta_out = np.zeros((c, kmax))
    converged = np.zeros(c, dtype=bool)
    # the arrays hold the active problems only (``ids``): they are compacted, one copy, in the
    # iterations where some problem stops, instead of being gathered anew in every iteration
    ids = np.arange(c)
    beta = np.zeros((c, kmax))
    raw = np.zeros((c, nmax))
    ll = _loglik_rows(y, raw, w)
    with np.errstate(all="ignore"):
        for _ in range(max_iter):
            if not len(ids):
                break
            p = expit(np.clip(raw, -_ETA_MAX, _ETA_MAX))
            xt = x.transpose(0, 2, 1)
            grad = np.matmul(xt, (w * (y - p))[:, :, None])[:, :, 0]
            hess = _hessians(x, w * p * (1 - p)) + eye
            step = _solve_each(hess, grad)
            bad = ~np.all(np.isfinite(step), axis=1)  # as logit_fit: stop, not converged
            step[bad] = 0.0
            xs = np.matmul(x, step[:, :, None])[:, :, 0]
            ll_new = _halve(y, raw, w, ll, step, xs)
            beta += step
            raw += xs
            flat = ll_new - ll <= _LL_TOL * (1 + np.abs(ll))
            ll = ll_new
            big = np.max(np.abs(raw), axis=1)
            small = (np.max(np.abs(xs), axis=1) < tol) | flat
            div = big > _ETA_MAX - 5
            done = ~bad & ~div & small
            if done.any():
                converged[ids[done]] = (big[done] < _ETA_MAX) & _identified(hess[done])
            stop = bad | div | done
            if stop.any():
                beta_out[ids[stop]] = beta[stop]
                go = ~stop
                ids, x, y, w, eye, beta, raw, ll = (ids[go], x[go], y[go], w[go], eye[go], beta[go], raw[go],
                                                    ll[go])
    beta_out[ids] = beta  # problems still running after max_iter: not converged
    beta = beta_out
    out = []
    for j, (_yy, xx, _ww) in enumerate(problems):
        k = xx.shape[1]
        b = beta[j, :k].copy()
        out.append(LogitFit(beta=b, p=expit(np.clip(xx @ b, -_ETA_MAX, _ETA_MAX)), converged=bool(converged[j])))
    return out


def _hessians(x: np.ndarray, s: np.ndarray) -> np.ndarray:
    """``X_cᵀ diag(s_c) X_c`` for every problem ``c`` of a stack.

    One 2-D BLAS product per problem (a loop over the problems of a block, each product
    O(n k²)): numpy's stacked ``matmul`` of (c, k, n) by (c, n, k) runs at half that speed
    (measured, one thread). The weights ``s = w p (1 − p) ≥ 0`` go in as ``√s`` on both
    sides, so that the product is ``Zᵀ Z`` (BLAS ``syrk``: half the multiplications, exactly
    symmetric; 1100 × 45: 135 µs against 230 µs for ``(X s)ᵀ X``, equal to rounding).
    """
    out = np.empty((x.shape[0], x.shape[2], x.shape[2]))
    if not (s >= 0).all():  # negative weights (not from this library's callers): the plain product
        for r in range(x.shape[0]):
            out[r] = (x[r] * s[r][:, None]).T @ x[r]
        return out
    rs = np.sqrt(s)
    for r in range(x.shape[0]):
        z = x[r] * rs[r][:, None]
        out[r] = z.T @ z
    return out


def _solve_each(hess: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """Newton steps of a stack; a singular Hessian gives a NaN step (that problem stops)."""
    try:
        return np.linalg.solve(hess, grad[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:  # a singular Hessian in the block: solve one by one
        step = np.full_like(grad, np.nan)
        for r in range(len(grad)):
            try:
                step[r] = np.linalg.solve(hess[r], grad[r])
            except np.linalg.LinAlgError:
                pass
        return step


def _halve(y: np.ndarray, raw: np.ndarray, w: np.ndarray, ll: np.ndarray, step: np.ndarray, xs: np.ndarray
           ) -> np.ndarray:
    """Step halving per problem (in place on ``step`` and ``xs``) until the likelihood does not drop;
    returns the new log-likelihoods. Usually the full step is taken: one evaluation over the stack."""
    ll_new = _loglik_rows(y, np.clip(raw + xs, -_ETA_MAX, _ETA_MAX), w)
    idx = np.flatnonzero(~(ll_new >= ll - 1e-12 * (1 + np.abs(ll))))
    for _half in range(29):  # the remaining halvings, on the problems that need them
        if not len(idx):
            break
        step[idx] /= 2
        xs[idx] /= 2
        ll_try = _loglik_rows(y[idx], np.clip(raw[idx] + xs[idx], -_ETA_MAX, _ETA_MAX), w[idx])
        ll_new[idx] = ll_try
        idx = idx[~(ll_try >= ll[idx] - 1e-12 * (1 + np.abs(ll[idx])))]
    step[idx] /= 2  # after 30 failed tries: halved once more, as logit_fit does
    xs[idx] /= 2
    return ll_new


def _loglik_rows(y: np.ndarray, eta: np.ndarray, w: np.ndarray) -> np.ndarray:
    return np.einsum("cn,cn->c", w, y * eta - np.logaddexp(0.0, eta))
