"""Non-response weighting: raking (iterative proportional fitting) and Kish's effective n.

Survey respondents are rarely a random half of the graduates: some majors and
programs answer more often than others. :func:`rake` gives every respondent a
weight so that, within each cell of ``by`` (e.g. graduation year), the weighted
respondents reproduce the roster's counts by major, by program and by gender at
the same time (Deming & Stephan 1940). :func:`kish` measures what the weighting
costs in precision: the effective sample size ``n_eff = (Σw)² / Σw²`` and the
design effect due to unequal weights ``deff = n·Σw² / (Σw)²`` (Kish 1965).

Everything is vectorised across all ``by`` cells at once: each raking step is one
``numpy.bincount`` over the respondents; only the loop over iterations and
raking variables is in Python.

References
----------
Deming WE, Stephan FF (1940). On a least squares adjustment of a sampled
frequency table when the expected marginal totals are known. Ann. Math. Stat.
11:427-444.
Kish L (1965). Survey Sampling. Wiley. (Design effect of unequal weights.)
Valliant R, Dever JA (2018). Survey Weights: A Step-by-Step Guide to Calculation.
Stata Press, p. 71.

Examples
--------
>>> import pandas as pd
>>> from coopmetrics.weighting import rake, kish
>>> roster = pd.DataFrame({"gender": list("FFFFFFMMMM"), "major": list("AAAABBAABB")})
>>> resp = pd.DataFrame({"gender": list("FFFMM"), "major": list("ABBAB")})
>>> w = rake(resp, roster, ["gender", "major"])
>>> w.round(4).tolist()
[3.2111, 1.3944, 1.3944, 2.7889, 1.2111]
>>> w.groupby(resp["gender"]).sum().round(6).to_dict(), w.groupby(resp["major"]).sum().round(6).to_dict()
({'F': 6.0, 'M': 4.0}, {'A': 6.0, 'B': 4.0})
>>> n_eff, deff = kish(w)
>>> round(n_eff, 3), round(deff, 3)
(4.265, 1.172)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .errors import CoopmetricsError, InputError, MissingColumnError

__all__ = [
    "RakingWarning",
    "RakingConvergenceError",
    "RakingReport",
    "rake",
    "kish",
    "kish_from_sums",
    "distinct_cells",
    "row_codes",
]


class RakingWarning(UserWarning):
    """Raking could not do everything asked (unmatched levels, no convergence)."""


class RakingConvergenceError(CoopmetricsError, RuntimeError):
    """Raking did not reach the tolerance within ``max_iter`` iterations (``strict=True``)."""


@dataclass
class RakingReport:
    """What :func:`rake` did.

    Attributes
    ----------
    converged : bool
    iterations : int
        Full sweeps over the raking variables.
    max_error : float
        Largest relative difference between a weighted margin and its target after
        the last sweep.
    unmatched : DataFrame
        Population levels with no respondent in their cell (columns: the ``by``
        columns, ``variable``, ``level``, ``population_count``). Their count is spread
        proportionally over the other levels of that variable in the cell.
    unplaced : DataFrame
        Respondent levels (or ``by`` cells) absent from the population of their cell
        (columns: the ``by`` columns, ``variable``, ``level``, ``n_respondents``). These
        respondents get weight NaN.
    cell_error : ndarray
        One value per sample row: the largest relative margin error of the row's ``by`` cell
        after its last sweep (each cell stops on its own), NaN for an unplaced respondent.
        ``cell_error > tol`` marks the respondents of the cells that did not converge.
    """

    converged: bool
    iterations: int
    max_error: float
    unmatched: pd.DataFrame = field(repr=False)
    unplaced: pd.DataFrame = field(repr=False)
    cell_error: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)


def _as_list(cols: str | Sequence[str] | None) -> list[str]:
    if cols is None:
        return []
    if isinstance(cols, str):
        return [cols]
    return list(cols)


def _check_columns(frame: pd.DataFrame, cols: list[str], what_zh: str, what_en: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise MissingColumnError(
            f"加权所需的列不在{what_zh}中：{missing}；现有列：{list(frame.columns)}",
            f"column(s) needed for raking are missing from the {what_en}: {missing}; "
            f"found: {list(frame.columns)}",
            column=", ".join(missing),
        )


def _codes(sample: pd.DataFrame, population: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Joint integer codes of ``keys`` over sample and population (NA is a level), first-seen order.

    Each column is factorized on its own and the codes are combined pairwise (a groupby over
    several object columns of millions of rows is what this avoids).
    """
    ns = len(sample)
    if not keys:
        return np.zeros(ns, dtype=np.int64), np.zeros(len(population), dtype=np.int64), pd.DataFrame(index=[0])
    code = np.zeros(ns + len(population), dtype=np.int64)
    for k in keys:
        c, n_uniq = _joint_factorize(sample[k], population[k])
        code = pd.factorize(code * max(n_uniq, 1) + c)[0]  # first-seen order of the tuples so far
    first = np.unique(code, return_index=True)[1]  # first row of codes 0..k-1 (increasing)
    left, right = first[first < ns], first[first >= ns] - ns
    labels = {}
    for k in keys:
        a, b = sample[k].iloc[left], population[k].iloc[right]
        if a.dtype != b.dtype or isinstance(a.dtype, pd.CategoricalDtype):
            a, b = a.astype(object), b.astype(object)  # as the values of a concat of mixed dtypes
        labels[k] = pd.concat([a, b], ignore_index=True).to_numpy()
    return code[:ns], code[ns:], pd.DataFrame(labels)


def _joint_factorize(left: pd.Series, right: pd.Series) -> tuple[np.ndarray, int]:
    """Codes of ``left`` then ``right`` in first-seen order (NA a level), as ``pd.factorize`` of their concat.

    Each side is factorized on its own (a categorical from its codes, without turning millions of
    respondents' values into Python objects); the right side's (the roster's few) distinct values
    are then looked up among the left's as objects, so that values of different dtypes or
    categories match as in an object concat, and values new on the right are numbered after the
    left's in their first-seen order: the codes of ``pd.factorize(concat)`` exactly.
    """
    cl, ul = pd.factorize(left, use_na_sentinel=False)
    cr, ur = pd.factorize(right, use_na_sentinel=False)
    ul_o, ur_o = np.asarray(ul, dtype=object), np.asarray(ur, dtype=object)
    at = pd.Index(ul_o, dtype=object).get_indexer(ur_o) if len(ul_o) else np.full(len(ur_o), -1)
    new = at < 0
    at[new] = len(ul_o) + np.arange(int(new.sum()))
    return np.concatenate([cl.astype(np.int64), at[cr].astype(np.int64)]), len(ul_o) + int(new.sum())


def rake(
    sample: pd.DataFrame,
    population: pd.DataFrame,
    variables: Sequence[str],
    by: str | Sequence[str] = (),
    weight: str | ArrayLike | None = None,
    max_iter: int = 100,
    tol: float = 1e-6,
    *,
    strict: bool = False,
    return_report: bool = False,
    population_weight: str | None = None,
) -> pd.Series | tuple[pd.Series, RakingReport]:
    """Rake respondents to the population's margins, separately within each ``by`` cell.

    Iterative proportional fitting: starting from the base weights, for each raking
    variable in turn multiply every respondent's weight by ``target(level) /
    weighted count(level)`` of its level within its ``by`` cell; repeat until every
    weighted margin is within ``tol`` (relative) of its target.

    Parameters
    ----------
    sample : DataFrame
        Respondents, one row per unit, with the ``variables`` and ``by`` columns.
    population : DataFrame
        The roster (e.g. graduates), one row per unit; margins are its counts.
    variables : sequence of str
        Raking variables, e.g. ``["major", "program", "gender"]``.
    by : str or sequence of str
        Cells raked separately, e.g. ``["year"]``. Weights sum to the population
        count of each cell.
    weight : str or array_like, optional
        Base weights (column name of ``sample`` or values); default 1. Must be > 0.
    max_iter : int
        Maximum number of sweeps over the variables.
    tol : float
        Convergence tolerance on the largest relative margin error.
    strict : bool
        Raise :class:`RakingConvergenceError` instead of warning when not converged.
    return_report : bool
        Also return a :class:`RakingReport`.
    population_weight : str, optional
        Column of ``population`` counting the units each row stands for (frequency
        weights, e.g. one row per combination of levels with its roster count). Raking
        uses only the margins, so a roster of millions can be passed as a few hundred
        count rows; the weights are the same as with the unit rows.

    Returns
    -------
    Series (and RakingReport)
        Weights named ``"weight"``, indexed like ``sample``.

    Notes
    -----
    Missing values (NA) of a raking variable are a level of their own on both sides:
    if the roster also has NA for that variable, respondents with NA are raked to the
    roster's NA count.

    *Population levels without respondents* (a major nobody from answered) cannot be
    matched. They are reported (``report.unmatched``) with a :class:`RakingWarning`,
    and their count is spread proportionally over the other levels of that variable in
    the same cell, so that all margins of the cell still add to the cell's population
    (required for IPF to converge) and the weights still sum to it.

    *Respondents whose level does not occur in their cell's population* (a misspelt
    major, NA gender while the roster has none, a year absent from the roster) cannot
    be placed in a margin: they get weight NaN, are listed in ``report.unplaced`` and
    warned about. Nothing is dropped silently; fix or recode the data.

    Raking to margins converges whenever a solution exists (no zero cells that make
    the margins incompatible); otherwise a :class:`RakingWarning` gives the largest
    remaining relative margin error.

    Examples
    --------
    >>> import pandas as pd
    >>> roster = pd.DataFrame({"year": [2023] * 4 + [2024] * 4, "g": list("FFMMFFFM")})
    >>> resp = pd.DataFrame({"year": [2023, 2023, 2023, 2024, 2024], "g": list("FFMFM")})
    >>> rake(resp, roster, ["g"], by="year").tolist()
    [1.0, 1.0, 2.0, 3.0, 1.0]
    """
    variables = _as_list(variables)
    by = _as_list(by)
    if not variables:
        raise InputError("rake() 至少需要一个加权变量", "rake() needs at least one raking variable")
    _check_columns(sample, by + variables, "样本（受访者）表", "sample (respondents) table")
    _check_columns(population, by + variables, "总体（名册）表", "population (roster) table")

    w0 = _base_weights(sample, weight)
    pw = _population_counts(population, population_weight)
    cell_s, cell_p, cell_labels = _codes(sample, population, by)
    n_cells = len(cell_labels)
    cell_pop = np.bincount(cell_p, weights=pw, minlength=n_cells).astype(float)
    spec, placed, unplaced_rows = _margins(sample, population, by, variables, cell_s, cell_p, cell_labels, cell_pop,
                                           pw)
    targets, unmatched_rows = _targets(spec, placed, cell_pop, n_cells, by)
    unmatched, unplaced = _problem_tables(by, unmatched_rows, unplaced_rows)
    _warn_problems(unmatched, unplaced, int((~placed).sum()))

    idx = np.flatnonzero(placed)
    w_p, it, max_err, cell_err = _ipf(w0[idx], [cs[idx] for _, cs, *_ in spec], targets, max_iter, tol,
                                      [cell_of for *_, cell_of, _ in spec], n_cells)
    converged = max_err <= tol
    if not converged:
        msg_zh = f"迭代比例加权在 {max_iter} 次迭代后未收敛，最大相对边际误差 {max_err:.3g}（容差 {tol:g}）"
        msg_en = (
            f"raking did not converge in {max_iter} iterations; largest relative margin error "
            f"{max_err:.3g} (tolerance {tol:g})"
        )
        if strict:
            raise RakingConvergenceError(msg_zh, msg_en)
        warnings.warn(f"{msg_zh}\n{msg_en}", RakingWarning, stacklevel=2)

    out = np.full(len(sample), np.nan)
    out[idx] = w_p
    weights = pd.Series(out, index=sample.index, name="weight")
    if return_report:
        row_err = np.where(placed, cell_err[cell_s] if n_cells else np.nan, np.nan)
        return weights, RakingReport(converged, it, max_err, unmatched, unplaced, row_err)
    return weights


def _base_weights(sample: pd.DataFrame, weight: str | ArrayLike | None) -> np.ndarray:
    """Base weights (default 1), checked to be positive numbers, one per sample row."""
    ns = len(sample)
    if weight is None:
        return np.ones(ns)
    if isinstance(weight, str):
        _check_columns(sample, [weight], "样本（受访者）表", "sample (respondents) table")
        w0 = pd.to_numeric(sample[weight], errors="coerce").to_numpy(dtype=float)
    else:
        w0 = np.asarray(weight, dtype=float).ravel()
        if len(w0) != ns:
            raise InputError(
                f"基础权重的长度 {len(w0)} 与受访者行数 {ns} 不一致",
                f"base weights have length {len(w0)} but the sample has {ns} rows",
            )
    bad = ~(np.isfinite(w0) & (w0 > 0))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"基础权重必须为正数：{int(bad.sum())} 行不是（第一处为第 {first + 1} 行）",
            f"base weights must be positive numbers: {int(bad.sum())} row(s) are not "
            f"(first at data row {first + 1})",
            column=weight if isinstance(weight, str) else None,
            row=first + 1,
        )
    return w0


def _population_counts(population: pd.DataFrame, column: str | None) -> np.ndarray | None:
    """Units each population row stands for (None: one each), checked to be counts >= 0."""
    if column is None:
        return None
    _check_columns(population, [column], "总体（名册）表", "population (roster) table")
    pw = pd.to_numeric(population[column], errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(pw) & (pw >= 0))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise InputError(f"总体人数列必须为非负数：第 {first + 1} 行不是",
                         f"population counts must be numbers >= 0: data row {first + 1} is not",
                         column=column, row=first + 1)
    return pw


def _margins(sample: pd.DataFrame, population: pd.DataFrame, by: list[str], variables: list[str],
             cell_s: np.ndarray, cell_p: np.ndarray, cell_labels: pd.DataFrame,
             cell_pop: np.ndarray, pw: np.ndarray | None = None) -> tuple[list[tuple], np.ndarray, list[pd.DataFrame]]:
    """Per variable: codes of (by..., variable) on both sides and population counts.

    Also which respondents can be placed (their cell and every level occur in the
    population), and the labels of those that cannot.
    """
    spec = []
    placed = cell_pop[cell_s] > 0
    unplaced_rows = []
    if (~placed).any():
        lab = cell_labels.iloc[cell_s[~placed]].reset_index(drop=True)
        lab["variable"], lab["level"] = "|".join(by) or "(all)", "(cell not in population)"
        unplaced_rows.append(lab)
    for v in variables:
        cs, cp, labels = _codes(sample, population, [*by, v])
        k = len(labels)
        pop = np.bincount(cp, weights=pw, minlength=k).astype(float)
        cell_of = np.zeros(k, dtype=np.int64)
        cell_of[cp] = cell_p
        cell_of[cs] = cell_s
        no_pop = pop[cs] == 0
        if no_pop.any():
            lab = labels.iloc[cs[no_pop & placed]].reset_index(drop=True)
            lab = lab.rename(columns={v: "level"})
            lab.insert(len(by), "variable", v)
            unplaced_rows.append(lab)
        placed &= ~no_pop
        spec.append((v, cs, pop, cell_of, labels))
    return spec, placed, unplaced_rows


def _targets(spec: list[tuple], placed: np.ndarray, cell_pop: np.ndarray, n_cells: int,
             by: list[str]) -> tuple[list[np.ndarray], list[pd.DataFrame]]:
    """Margin targets per variable; a level without respondents has its count spread over the others."""
    unmatched_rows = []
    targets = []
    for v, cs, pop, cell_of, labels in spec:
        k = len(pop)
        has_resp = np.bincount(cs[placed], minlength=k) > 0
        lost = (pop > 0) & ~has_resp
        lost_cell = np.bincount(cell_of, weights=np.where(lost, pop, 0.0), minlength=n_cells)
        matched_cell = cell_pop - lost_cell
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where(matched_cell > 0, cell_pop / matched_cell, 0.0)
        target = np.where(has_resp, pop * scale[cell_of], 0.0)
        targets.append(target)
        # a whole cell without respondents is reported once per variable level too
        if lost.any():
            lab = labels.iloc[np.flatnonzero(lost)].reset_index(drop=True).rename(columns={v: "level"})
            lab.insert(len(by), "variable", v)
            lab["population_count"] = pop[lost].astype(np.int64)
            unmatched_rows.append(lab)
    return targets, unmatched_rows


def _problem_tables(by: list[str], unmatched_rows: list[pd.DataFrame],
                    unplaced_rows: list[pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``report.unmatched`` and ``report.unplaced`` as tidy tables."""
    by_cols = [*by, "variable", "level"]
    unmatched = (
        pd.concat(unmatched_rows, ignore_index=True)
        if unmatched_rows
        else pd.DataFrame(columns=[*by_cols, "population_count"])
    )
    if unplaced_rows:
        unplaced = (
            pd.concat(unplaced_rows, ignore_index=True)
            .groupby(by_cols, dropna=False, sort=False)
            .size()
            .rename("n_respondents")
            .reset_index()
        )
    else:
        unplaced = pd.DataFrame(columns=[*by_cols, "n_respondents"])
    return unmatched, unplaced


def _warn_problems(unmatched: pd.DataFrame, unplaced: pd.DataFrame, n_bad: int) -> None:
    """Bilingual warnings for unmatched population levels and unplaced respondents (at rake's caller)."""
    if len(unmatched):
        shown = "; ".join(
            f"{r['variable']}={r['level']!s} ({int(r['population_count'])})" for _, r in unmatched.head(5).iterrows()
        )
        more = f" …(+{len(unmatched) - 5})" if len(unmatched) > 5 else ""
        warnings.warn(
            f"名册中有 {len(unmatched)} 个类别在其单元内没有受访者，无法匹配，其人数按比例分摊到同一变量的其他类别："
            f"{shown}{more}\n"
            f"{len(unmatched)} population level(s) have no respondents in their cell and cannot be matched; "
            f"their count is spread proportionally over the other levels: {shown}{more}",
            RakingWarning,
            stacklevel=3,
        )
    if len(unplaced):
        shown = "; ".join(
            f"{r['variable']}={r['level']!s} ({int(r['n_respondents'])})" for _, r in unplaced.head(5).iterrows()
        )
        warnings.warn(
            f"{n_bad} 名受访者的类别不在其单元的名册中（如专业名称拼写不同或性别缺失），无法加权，权重记为 NaN：{shown}\n"
            f"{n_bad} respondent(s) have a level that does not occur in their cell's population "
            f"(e.g. a misspelt major or missing gender); they cannot be weighted and get weight NaN: {shown}",
            RakingWarning,
            stacklevel=3,
        )


def _ipf(w_p: np.ndarray, cs_p: list[np.ndarray], targets: list[np.ndarray], max_iter: int,
         tol: float, cells_of: list[np.ndarray] | None = None,
         n_cells: int = 1) -> tuple[np.ndarray, int, float, np.ndarray]:
    """Iterative proportional fitting of the placed respondents' weights: (weights, sweeps, max error,
    each cell's largest relative margin error after its last sweep).

    Each ``by`` cell (``cells_of[j]`` maps margin ``j``'s codes to their cell) stops on its own once its
    largest relative margin error is within ``tol``: a cell's weights are then exactly those of raking
    it alone, whatever other cells (years, indicators, colleges) are raked in the same call.
    """
    if cells_of is None:
        cells_of = [np.zeros(len(t), dtype=np.int64) for t in targets]
    active = np.ones(n_cells, dtype=bool)
    max_err = np.inf
    err = np.full(n_cells, np.inf)
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - `it` is reported after the loop
        for codes, target, cell_of in zip(cs_p, targets, cells_of, strict=True):
            sums = np.bincount(codes, weights=w_p, minlength=len(target))
            with np.errstate(invalid="ignore", divide="ignore"):
                factor = np.where((sums > 0) & active[cell_of], target / sums, 1.0)
            w_p = w_p * factor[codes]
        err = np.zeros(n_cells)
        for codes, target, cell_of in zip(cs_p, targets, cells_of, strict=True):
            sums = np.bincount(codes, weights=w_p, minlength=len(target))
            m = target > 0
            np.maximum.at(err, cell_of[m], np.abs(sums[m] - target[m]) / target[m])
        active &= err > tol  # converged cells keep their weights from here on
        max_err = float(err.max()) if len(err) else 0.0
        if not active.any():
            break
    return w_p, it, max_err, err


def row_codes(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """Dense integer codes of the rows of ``frame[columns]`` (equal rows, equal codes; NA is a level).

    Each column is factorized on its own and the codes combined pairwise (first-seen order),
    as :func:`_codes` does: no group-by over several object columns of millions of rows.

    Examples
    --------
    >>> row_codes(pd.DataFrame({"a": ["x", "y", "x", None], "b": [1, 1, 1, 2]}), ["a", "b"]).tolist()
    [0, 1, 0, 2]
    """
    code = np.zeros(len(frame), dtype=np.int64)
    for i, c in enumerate(columns):
        k, uniq = pd.factorize(frame[c], use_na_sentinel=False)  # a categorical: from its codes, fast
        code = k.astype(np.int64) if i == 0 else pd.factorize(code * max(len(uniq), 1) + k)[0]
    return code.astype(np.int64, copy=False)


def distinct_cells(cell: ArrayLike, content: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Cells holding the same rows in the same order, found once: which rows to solve, where the rest copy from.

    Raking a cell (:func:`rake` with ``by``) depends only on its rows' levels, in their order
    (every margin sum is a ``bincount`` over the cell's rows in row order), and on its targets.
    Given each row's cell code and a ``content`` code (equal codes: equal levels of the cell
    columns that fix the targets and of the raking variables), two cells with the same sequence
    of content codes are the same problem, and their weights are equal bit for bit. Cells are
    grouped by (size, a 64-bit hash of the sequence of (position, content)) and every member is
    then checked row by row against its group's first cell: a hash collision only costs sharing
    (the colliding cell is solved on its own), never a wrong answer. Vectorised over cells.

    Parameters
    ----------
    cell : array_like of int
        Cell code of each row (any integers).
    content : array_like of int
        Content code of each row.

    Returns
    -------
    keep : ndarray of bool
        Rows of the cells to solve (the first cell of each distinct problem).
    source : ndarray of int
        For every row, the row (of a kept cell) whose answer it takes: itself when kept.

    Examples
    --------
    >>> keep, source = distinct_cells([0, 0, 1, 1, 2, 2], [5, 6, 5, 6, 6, 5])
    >>> keep.tolist(), source.tolist()  # cell 1 repeats cell 0; cell 2 holds the rows in another order
    ([True, True, False, False, True, True], [0, 1, 0, 1, 4, 5])
    """
    cell = np.unique(np.asarray(cell, dtype=np.int64), return_inverse=True)[1].ravel()
    content = np.asarray(content, dtype=np.int64).ravel()
    n = len(cell)
    if n == 0:
        return np.ones(0, dtype=bool), np.zeros(0, dtype=np.int64)
    order = np.argsort(cell, kind="stable")  # each cell's rows together, in their order
    size = np.bincount(cell)
    start = np.concatenate([[0], np.cumsum(size)[:-1]])
    cs, xs = cell[order], content[order]
    offset = np.arange(n) - start[cs]
    with np.errstate(over="ignore"):  # uint64 arithmetic wraps: that is the hash
        h = pd.util.hash_array(xs) * np.uint64(0x9E3779B97F4A7C15) + pd.util.hash_array(offset)
        cell_hash = np.add.reduceat(pd.util.hash_array(h), start)
    group = pd.DataFrame({"s": size, "h": cell_hash}).groupby(["s", "h"], sort=False).ngroup().to_numpy()
    first = np.unique(group, return_index=True)[1]  # the lowest cell of each group
    rep = first[group]
    src = start[rep[cs]] + offset
    wrong = np.bincount(cs[xs != xs[src]], minlength=len(size)) > 0  # a collision: solve it alone
    rep[wrong] = np.flatnonzero(wrong)
    src = order[start[rep[cs]] + offset]
    source = np.empty(n, dtype=np.int64)
    source[order] = src
    return (rep == np.arange(len(size)))[cell], source


def kish_from_sums(
    sum_w: ArrayLike, sum_w2: ArrayLike, n: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Kish's effective n and weighting effect from per-group sums (vectorised).

    ``n_eff = (Σw)² / Σw²`` and ``deff = n·Σw² / (Σw)² = n / n_eff``: Kish's *weighting
    effect* (the loss from unequal weights alone, whatever the outcome; ``compute``'s
    ``weighting_effect`` column), not the design effect of an estimate
    (:func:`coopmetrics.estimators.design_effect`, ``compute``'s ``deff``). Use this after a
    single group-by pass that collected ``Σw``, ``Σw²`` and ``n``.

    Examples
    --------
    >>> n_eff, deff = kish_from_sums([4.0, 10.0], [4.0, 30.0], [4, 5])
    >>> n_eff.round(4).tolist(), deff.round(4).tolist()
    ([4.0, 3.3333], [1.0, 1.5])
    """
    sw = np.asarray(sum_w, dtype=float)
    sw2 = np.asarray(sum_w2, dtype=float)
    nn = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = np.where(sw2 > 0, sw**2 / sw2, np.nan)
        deff = np.where(sw > 0, nn * sw2 / sw**2, np.nan)
    return n_eff, deff


def kish(weights: ArrayLike, by: ArrayLike | Sequence[ArrayLike] | None = None) -> tuple[float, float] | pd.DataFrame:
    """Kish's effective sample size and weighting effect (design effect due to unequal weights only).

    ``n_eff = (Σw)² / Σw²``; ``deff = n·Σw² / (Σw)² = 1 + relvar(w)`` (Kish 1965;
    Valliant & Dever 2018 p. 71): the *weighting effect*, reported by ``compute`` as
    ``weighting_effect``. The design effect of an estimate (its variance over the SRS
    variance) also depends on the outcome: see :func:`coopmetrics.estimators.design_effect`.
    NaN weights (unplaced respondents) are ignored.

    Parameters
    ----------
    weights : array_like
    by : array_like or list of array_like, optional
        Group labels of the same length as ``weights``.

    Returns
    -------
    (n_eff, deff) as floats without ``by``; with ``by`` a DataFrame with one row per
    group and columns ``n, sum_w, n_eff, deff``.

    Examples
    --------
    >>> kish([1, 1, 1, 1])
    (4.0, 1.0)
    >>> kish([1.0, 1.0, 2.0, 2.0, 4.0], by=["a", "a", "b", "b", "b"])  # doctest: +NORMALIZE_WHITESPACE
       n  sum_w     n_eff   deff
    a  2    2.0  2.000000  1.000
    b  3    8.0  2.666667  1.125
    """
    w = pd.Series(np.asarray(weights, dtype=float).ravel())
    ok = w.notna()
    if by is None:
        x = w[ok].to_numpy()
        n_eff, deff = kish_from_sums(x.sum(), (x**2).sum(), len(x))
        return float(n_eff), float(deff)
    keys = by if isinstance(by, list) and by and np.ndim(by[0]) > 0 else [by]
    keys = [pd.Series(np.asarray(k).ravel())[ok] for k in keys]
    frame = pd.DataFrame({"w": w[ok], "w2": w[ok] ** 2})
    agg = frame.groupby(keys if len(keys) > 1 else keys[0], dropna=False).agg(
        n=("w", "size"), sum_w=("w", "sum"), sum_w2=("w2", "sum")
    )
    agg.index.names = [None] * agg.index.nlevels
    n_eff, deff = kish_from_sums(agg["sum_w"], agg["sum_w2"], agg["n"])
    return pd.DataFrame({"n": agg["n"], "sum_w": agg["sum_w"], "n_eff": n_eff, "deff": deff}, index=agg.index)
