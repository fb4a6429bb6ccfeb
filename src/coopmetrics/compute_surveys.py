"""The survey stage of :func:`coopmetrics.compute`: respondents, raking, calibrated variance.

All survey indicators of a call: one engine pass to respondent level, then raking to the
graduate roster and stage 2 in pandas (:func:`run_surveys`); with supplied weights or none,
both stages run inside the engine (:func:`run_surveys_in_engine`). ``ctx`` is the compute
call's context (its ``src``, ``o``, ``by``, ``keys``, ``surveys``, ``results``, ``messages``,
``extra_results``). Split out of ``compute.py`` (issue 11).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from .compute_base import _aggregate, _key_sources, _mask, _merge, _prepare, _sort_keys, _Source
from .registry import Indicator, Options
from .schema import PARTITION, SURVEY_KINDS

__all__ = ["calibrated_variance", "run_surveys"]


def survey_roster(ctx: Any) -> pd.DataFrame | None:
    """Graduates per group (the response rate's denominator), or None without a roster."""
    src = ctx.src
    if src.single is None and src.has("graduates") and "item" not in ctx.by:
        if "graduates" in ctx.results:  # the graduates pass of this call already counted them
            return ctx.results["graduates"][[*ctx.by, "__rows"]].rename(columns={"__rows": "roster"})
        gkeys, _ = _key_sources("graduates", ctx.by, src)
        if gkeys is not None:
            lf, kexprs, knames = _prepare(src, "graduates", gkeys)
            roster = _aggregate(lf, kexprs, knames, [], [])
            roster = roster.rename(columns={f"__k{i}": b for i, (b, _, _) in enumerate(gkeys)})
            return roster.rename(columns={"__rows": "roster"})
    return None


def partition_of(by: Sequence[str]) -> list[str]:
    """The partition columns (``schema.PARTITION``: ``college``) among the group columns ``by``.

    Each value of a partition column is a population of its own: survey respondents are
    raked to the roster of their college (cells indicator × college × year), never to the
    pooled roster of the call, so a college's shares equal those computed on its rows alone.

    Examples
    --------
    >>> partition_of(("college", "grad_year", "department"))
    ['college']
    """
    return [c for c in PARTITION if c in by]


def _codes_of(frame: pd.DataFrame) -> np.ndarray:
    """Integer codes of the rows of ``frame`` (a missing value is a level; sorted order)."""
    return frame.groupby(list(frame.columns), dropna=False, sort=True, observed=True).ngroup().to_numpy()


def add_roster(ctx: Any, ind: Indicator, agg: pd.DataFrame, roster: pd.DataFrame | None) -> pd.DataFrame:
    by = list(ctx.by)
    if roster is not None and ind.survey_kind != "employer":
        return _merge(agg, roster, by, how="left") if by else agg.assign(roster=float(roster["roster"].iloc[0]))
    return agg.assign(roster=np.nan)


#: Survey rows read per engine pass when grouped by college: a larger survey is computed in
#: chunks of whole colleges (bounded memory in the engine and in pandas; cells are independent).
SURVEY_CHUNK_ROWS = 2_000_000


def run_surveys(ctx: Any) -> None:
    """All survey indicators: one engine pass to respondent level, then raking and stage 2 in pandas.

    Grouped by college (``schema.PARTITION``) on a large survey, the colleges are processed in
    chunks of about :data:`SURVEY_CHUNK_ROWS` survey rows, each its own engine pass: every
    college is raked to its own roster anyway, so the numbers are those of one pass.
    Without raking (supplied ``weight`` column, or unweighted) both stages run inside the
    engine: see :func:`run_surveys_in_engine`.
    """
    o, src, by = ctx.o, ctx.src, list(ctx.by)
    if o.survey_weights != "raking":
        run_surveys_in_engine(ctx)
        return
    part = partition_of(by)
    roster = survey_roster(ctx)
    aggs: dict[str, list[pd.DataFrame]] = {ind.id: [] for ind in ctx.surveys}
    counts: dict[str, int] = dict.fromkeys(aggs, 0)
    extra: dict[str, list[str]] = {i: [] for i in aggs}
    chunks = list(_partition_chunks(src, part, ctx.keys["survey"]))
    for sub in chunks:
        for i, (agg, k, notes) in _survey_stage(sub, ctx.surveys, o, by, part, ctx.keys["survey"]).items():
            aggs[i].append(agg)
            counts[i] += k
            extra[i].extend(n for n in notes if n not in extra[i])
    for ind in ctx.surveys:
        note = _weight_note(counts[ind.id], extra[ind.id])
        if note:
            ctx.messages[ind.id] = note
        agg = aggs[ind.id][0] if len(chunks) == 1 else _sort_keys(pd.concat(aggs[ind.id], ignore_index=True), by)
        ctx.extra_results[ind.id] = add_roster(ctx, ind, agg, roster)


def _partition_chunks(src: _Source, part: list[str], keys: list[tuple[str, str, str]]) -> Any:
    """``src`` itself, or sources restricted to consecutive chunks of colleges (survey and roster).

    Chunks only when the survey and the roster both carry the partition column and the survey
    has more than :data:`SURVEY_CHUNK_ROWS` rows (one small engine group-by counts them).
    """
    col = part[0] if len(part) == 1 else None
    if (col is None or src.single is not None or not src.has("graduates") or col not in src.names("survey")
            or col not in src.names("graduates") or (col, "col", col) not in keys):
        yield src
        return
    from .engines import collect

    sizes = collect(src.lf("survey").group_by(col).agg(nw.len().alias("__n")))
    sizes = sizes.sort_values(col, na_position="last", kind="stable", ignore_index=True)
    chunk = np.cumsum(sizes["__n"].to_numpy(dtype=np.int64)) // SURVEY_CHUNK_ROWS
    if chunk[-1:].max(initial=0) == 0:
        yield src
        return
    for c in np.unique(chunk):
        vals = sizes.loc[chunk == c, col]
        keep = nw.col(col).is_in([v for v in vals if not pd.isna(v)])
        if vals.isna().any():
            keep = keep | nw.col(col).is_null()
        sub = _Source({t: src.native[t] for t in ("survey", "graduates")})
        sub._lf = {t: src.lf(t).filter(keep) for t in ("survey", "graduates")}
        yield sub


def _survey_stage(src: _Source, inds: Sequence[Indicator], o: Options, by: list[str], part: list[str],
                  keys: list[tuple[str, str, str]]) -> dict[str, tuple[pd.DataFrame, int, list[str]]]:
    """One engine pass to respondents, raking and stage 2: per indicator (group sums, unplaced, notes)."""
    resp, rvars = _survey_respondents(src, inds, o, keys)
    roster_units = _roster_units(src, rvars, part) if rvars else None
    weights = _weights_and_counts(inds, o, resp, rvars, roster_units, part)
    # the margins' sorted codes once for every indicator (calibrated_variance(codes=...))
    mcodes = _sorted_codes(resp[[f"__r_{v}" for v in rvars]]) if rvars and o.survey_se == "calibrated" else []
    out = {}
    for ind in inds:
        w, k, notes, kept, err = weights[ind.id]
        mine = (resp["__kind"] == ind.survey_kind).to_numpy()
        frame = _respondent_frame(resp.loc[mine, by].reset_index(drop=True), resp[f"x_{ind.id}"].to_numpy(float)[mine],
                                  resp[f"y_{ind.id}"].to_numpy(float)[mine], w[mine])
        if by:
            gb = frame.groupby(by, dropna=False, sort=True, observed=True)
            agg, gid = gb.sum().reset_index(), gb.ngroup().to_numpy()
        else:
            agg, gid = frame.sum().to_frame().T, np.zeros(len(frame), dtype=np.int64)
        sub = resp.loc[mine, [*part, "__rid", "__year", *([f"__r_{v}" for v in rvars] + ["__on"] if rvars else [])]]
        failed = any(n.startswith(("加权失败", "无法加权")) for n in notes)
        if (o.survey_se == "calibrated" and rvars and ind.survey_kind != "employer" and len(frame)
                and not failed and not sub.duplicated([*part, "__rid", "__year"]).any()):
            # raking cells are (college ×) year, each its own stratum (an independent sample)
            cell = _codes_of(sub[[*part, "__year"]])
            agg["v_cal"] = calibrated_variance(
                gid, len(agg), frame["x"].to_numpy(float), frame["sw"].to_numpy(float),
                frame["n"].to_numpy(float) > 0, cell,
                None, sub["__on"].fillna(False).to_numpy(dtype=bool), codes=[c[mine] for c in mcodes])
        agg["__note"] = _group_notes(gid, len(agg), frame["n"].to_numpy(float) > 0, kept[mine], err[mine], notes)
        out[ind.id] = (agg[agg["n"] > 0].reset_index(drop=True), k, notes)
    return out


def _group_notes(gid: np.ndarray, n_groups: int, valid: np.ndarray, kept: np.ndarray, err: np.ndarray,
                 notes: Sequence[str]) -> np.ndarray:
    """Each group's own raking note (the ``note`` column of its row): what happened to ITS respondents.

    ``kept``: respondents not on the roster (or with a level it lacks) kept with their cell's
    mean weight; ``err``: the largest relative margin error of each respondent's raking cell
    (NaN when not raked). A group's note counts its kept respondents and, when one of its
    cells did not converge, gives that cell's error; the call's other notes (not weighted,
    raking failed) apply to every row. Empty when there is nothing to say (callers such as
    ``compare()`` read a non-empty note as "not computed as asked").
    """
    k = np.bincount(gid, kept & valid, n_groups).astype(np.int64)
    n = pd.Series(np.bincount(gid, valid, n_groups).astype(np.int64)).astype(str)
    worst = np.full(n_groups, -np.inf)
    ok = valid & np.isfinite(err)
    np.maximum.at(worst, gid[ok], err[ok])
    parts = pd.DataFrame(index=range(n_groups))
    txt = pd.Series(k).astype(str)
    parts["kept"] = np.where(k > 0, txt + " 名答卷人（共 " + n + " 名）不在名单或其类别不在名单中，取当年平均权重 / " + txt
                             + " of " + n + " respondent(s) not on the roster or with a level absent from it kept "
                               "with the year's mean weight", "")
    bad = worst > RAKE_TOL
    e = pd.Series(worst[bad]).map("{:.3g}".format).to_numpy(dtype=object)
    conv = np.full(n_groups, "", dtype=object)
    conv[bad] = ("迭代比例加权未收敛，本组所在单元最大相对边际误差 " + e + " / raking did not converge: largest relative "
                 "margin error of this group's raking cell " + e)
    parts["conv"] = conv
    other = "; ".join(n for n in notes if "converge" not in n and "收敛" not in n)
    parts["other"] = other
    out = parts.apply(lambda c: c.where(c == "", c + "; "))  # vectorised per column: separators
    return (out["kept"] + out["conv"] + out["other"]).str.removesuffix("; ").to_numpy(dtype=object)


def run_surveys_in_engine(ctx: Any) -> None:
    """Survey shares with supplied weights (or none) as two chained group-bys in the engine.

    Stage 1 sums each respondent's top-box (x) and valid (y) answers per indicator and
    takes the respondent's weight; stage 2 sums, per group, the respondents with a valid
    answer: n, x, y, w, w², wx, wy, w²x², w²y², w²xy, the sufficient statistics of the
    ratio estimator with the respondent as cluster and of Kish's n_eff. Only one row per
    group returns to pandas, so a national survey never materialises respondent rows.
    """
    o, src, by = ctx.o, ctx.src, list(ctx.by)
    inds = ctx.surveys
    names = src.names("survey")
    supplied = o.survey_weights == "column"
    lf, kexprs, knames = _prepare(src, "survey", ctx.keys["survey"])
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
    agg = agg.rename(columns={f"__k{i}": b for i, (b, _, _) in enumerate(ctx.keys["survey"])})
    agg = _sort_keys(agg, by)
    roster = survey_roster(ctx)
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
            ctx.messages[i] = "; ".join(notes)
        ctx.extra_results[i] = add_roster(ctx, ind, one, roster)


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
    kinds = sorted({str(i.survey_kind) for i in inds})
    if len(kinds) < len(SURVEY_KINDS):  # other questionnaires' respondents would only be dropped later
        lf = lf.filter(nw.col("survey_kind").cast(nw.String).is_in(kinds))
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
    # engines.collect: DuckDB's integer sums arrive as int64, not one Python Decimal per cell
    from .engines import collect

    resp = collect(sel.group_by(*gcols).agg(*[nw.col(c).sum() for c in scols]))
    for c in scols:
        resp[c] = pd.to_numeric(resp[c]).astype(float)
    for c in ["__kind", "__rid", *[f"__r_{v}" for v in rvars]]:  # internal keys: numpy objects take fast
        if not isinstance(resp[c].dtype, pd.CategoricalDtype):
            resp[c] = resp[c].to_numpy(dtype=object)
    resp = resp.rename(columns={f"__k{i}": b for i, (b, _, _) in enumerate(keys)})
    # the engine returns groups in any order: sort, so that every sum over respondents (raking,
    # shares, variances) adds in the same order whichever rows (one college or a whole panel) were read
    order = [*dict.fromkeys(b for b, _, _ in keys), "__kind", "__rid", "__year"]
    resp = resp.sort_values(order, kind="stable", na_position="last", ignore_index=True)
    return resp, rvars


def _roster_units(src: _Source, rvars: list[str], part: Sequence[str] = ()) -> pd.DataFrame:
    """The roster's one-way margins of ``rvars`` within each (partition ×) year, as count rows.

    Raking uses only these margins, so instead of collecting the whole roster the engine
    counts each variable's levels per cell (one small group-by per variable). Laid end to
    end within a cell, each variable's levels form runs of the cell's N graduates; cutting
    the cell at every run boundary of every variable gives at most Σ levels rows, each
    with its count ``__n``: the same margins as the roster's unit rows (the joint
    distribution of the rows is meaningless), a few thousand rows for a national roster.
    Columns: ``part``, ``year``, ``rvars``, ``__n``.

    Examples
    --------
    >>> import pandas as pd
    >>> from coopmetrics.compute_base import _Source
    >>> g = pd.DataFrame({"grad_year": [2024] * 5, "gender": list("FFFMM"), "program": list("AABBB")})
    >>> _roster_units(_Source({"graduates": g}), ["gender", "program"])
       year gender program  __n
    0  2024      F       A  2.0
    1  2024      F       B  1.0
    2  2024      M       B  2.0
    """
    lf = src.lf("graduates")
    cell = [*part, "grad_year"]
    counts = {v: lf.group_by(*cell, v).agg(nw.len().alias("__n")).collect().to_pandas()
              .sort_values([*cell, v], na_position="last", kind="stable", ignore_index=True) for v in rvars}
    first = counts[rvars[0]]
    cells = first.groupby(cell, sort=True, dropna=False, observed=True)["__n"].sum().reset_index()
    ends = np.cumsum(cells["__n"].to_numpy(dtype=np.int64))  # cells laid end to end, in sorted order
    run_ends = {v: np.cumsum(c["__n"].to_numpy(dtype=np.int64)) for v, c in counts.items()}
    bounds = np.unique(np.concatenate([ends, *run_ends.values()]))
    bounds = bounds[bounds > 0]  # an empty roster has no pieces
    starts = np.concatenate([[0], bounds])[:-1].astype(np.int64)
    out = cells.iloc[np.searchsorted(ends, starts, side="right")][cell].reset_index(drop=True)
    out = out.rename(columns={"grad_year": "year"})
    for v, c in counts.items():  # the level whose run covers each piece
        out[v] = pd.Categorical(c[v].to_numpy(dtype=object)[np.searchsorted(run_ends[v], starts, side="right")])
    out["__n"] = (bounds - starts).astype(float)
    return out


#: Respondents raked per call of :func:`coopmetrics.weighting.rake` on a partitioned panel: colleges
#: are raked in chunks of about this many rows (cells are independent, so the weights do not change).
RAKE_CHUNK = 400_000

#: Convergence tolerance of raking (largest relative margin error; :func:`coopmetrics.weighting.rake`'s default).
RAKE_TOL = 1e-6


def _respondent_weights(inds: Sequence[Indicator], o: Options, resp: pd.DataFrame, rvars: list[str],
                        roster: pd.DataFrame | None, part: Sequence[str] = ()) -> dict[str, tuple[np.ndarray, str]]:
    """Raking weights of each survey indicator's valid respondents and the note saying what was not raked."""
    out = _weights_and_counts(inds, o, resp, rvars, roster, part)
    return {i: (r[0], _weight_note(r[1], r[2])) for i, r in out.items()}


def _weight_note(k: int, notes: Sequence[str]) -> str:
    """The message of a raked indicator: respondents kept with the mean weight, then other notes."""
    head = ([f"{k} 名答卷人不在名单或其类别不在名单中，取当年平均权重 / {k} respondent(s) not on the "
             "roster or with a level absent from it kept with the year's mean weight"] if k else [])
    return "; ".join([*head, *notes])


def _weights_and_counts(inds: Sequence[Indicator], o: Options, resp: pd.DataFrame, rvars: list[str],
                        roster: pd.DataFrame | None,
                        part: Sequence[str] = ()) -> dict[str, tuple[np.ndarray, int, list[str], np.ndarray,
                                                                      np.ndarray]]:
    """Raking weights of each survey indicator's valid respondents, aligned with ``resp`` rows.

    Per indicator: (weights, respondents kept with the mean weight, notes, per ``resp`` row:
    kept with the mean weight (bool), the largest relative margin error of its raking cell
    (NaN when not raked)).

    Every questionnaire's respondents are raked to the roster margins within each year
    (and each college, when a partition column is among the group columns: ``part``) by
    :func:`coopmetrics.weighting.rake`, cells = indicator × (college ×) year. A cell's
    weights then sum to its roster count (see :func:`_scale_to_roster`), so an estimate
    pooled over years (by major, by department, all years, compare()) weights each year by
    its graduates, not by its respondents. Colleges are raked in chunks of about
    :data:`RAKE_CHUNK` respondents (bounded memory; each cell stops on its own convergence,
    so a college's weights are bit for bit those of raking it alone). Rows outside an
    indicator's respondents get weight 1.
    """
    part = list(part)
    ones, no, nan = np.ones(len(resp)), np.zeros(len(resp), dtype=bool), np.full(len(resp), np.nan)
    out: dict[str, tuple[np.ndarray, int, list[str], np.ndarray, np.ndarray]] = {
        ind.id: (ones, 0, [], no, nan) for ind in inds}
    raked = [ind for ind in inds if o.survey_weights == "raking" and ind.survey_kind != "employer"]
    if not raked:
        return out
    if not rvars or roster is None:
        msg = ("无法加权：问卷未能按学号关联毕业生名单；结果未加权 / not weighted: the survey could not be "
               "linked to the graduate roster by student_id")
        return {**out, **{ind.id: (ones, 0, [msg], no, nan) for ind in raked}}
    rid = [*part, "__kind", "__rid", "__year"]
    cols = [*rid, "__on", *[f"__r_{v}" for v in rvars]]
    samples, valids, uniques = [], {}, {}
    for ind in raked:
        valid = resp[f"y_{ind.id}"].to_numpy(float) > 0
        one = resp.loc[valid, cols]
        unique_rows = not one.duplicated(rid).any()
        if not unique_rows:  # several rows per respondent (e.g. grouped by item): rake each respondent once
            one = one.drop_duplicates(rid)
        valids[ind.id], uniques[ind.id] = valid, unique_rows
        samples.append(one.assign(__ind=ind.id))
    sample = pd.concat(samples, ignore_index=True).rename(
        columns={"__year": "year", **{f"__r_{v}": v for v in rvars}})
    del samples
    # respondents found on the roster are raked (a missing value is a level of its own);
    # respondents not on the roster keep weight 1
    complete = sample["__on"].fillna(False).to_numpy(dtype=bool)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            w, err_c = _rake_chunks(sample, complete, roster, raked, rvars, part)
    except Exception as exc:  # keep a multi-indicator call alive; say why in messages and edition
        msg = f"加权失败，结果未加权 / raking failed, results unweighted: {exc}"
        return {**out, **{ind.id: (ones, 0, [msg], no, nan) for ind in raked}}
    weights = np.ones(len(sample))
    unplaced_c = ~np.isfinite(w)
    weights[complete] = np.where(unplaced_c, 0.0, w)
    unplaced = np.zeros(len(sample), dtype=bool)
    unplaced[np.flatnonzero(complete)[unplaced_c]] = True
    cidx = _codes_of(sample[["__ind", *part, "year"]])
    totals = roster.groupby([*part, "year"], sort=False, dropna=False, observed=True)["__n"].sum()
    target = totals.reindex(pd.MultiIndex.from_frame(sample[[*part, "year"]]) if part
                            else sample["year"]).to_numpy(dtype=float)
    weights = _scale_to_roster(weights, cidx, ~complete | unplaced, target)
    warn = list(dict.fromkeys(str(c.message).replace("\n", " / ") for c in caught
                              if "converge" in str(c.message) or "收敛" in str(c.message)))
    kept = ~complete | unplaced
    err = np.full(len(sample), np.nan)
    err[complete] = err_c
    ind_col = sample["__ind"].to_numpy()
    for ind in raked:
        mine = ind_col == ind.id
        if uniques[ind.id]:
            pos = np.full(len(resp), -1)
            pos[valids[ind.id]] = np.arange(int(mine.sum()))
        else:  # each resp row takes its respondent's row of the sample
            one = sample.loc[mine, [*part, "__kind", "__rid", "year"]]
            pmap = pd.Series(np.arange(len(one)), index=pd.MultiIndex.from_frame(one))
            pos = pmap.reindex(pd.MultiIndex.from_frame(resp[rid])).fillna(-1).to_numpy(np.int64)
        has = pos >= 0

        def on_resp(values: np.ndarray, fill: float, has: np.ndarray = has, pos: np.ndarray = pos) -> np.ndarray:
            return np.where(has, values[pos], fill)

        full = on_resp(weights[mine], np.nan)
        k = int(kept[mine].sum())
        out[ind.id] = (np.where(np.isfinite(full), full, 1.0), k, list(warn), on_resp(kept[mine], 0.0) > 0,
                       on_resp(err[mine], np.nan))
    return out


def _rake_chunks(sample: pd.DataFrame, complete: np.ndarray, roster: pd.DataFrame, raked: Sequence[Indicator],
                 rvars: list[str], part: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Raked weights of the ``complete`` rows of ``sample``: cells indicator × (partition ×) year.

    Also each row's cell's largest relative margin error (``RakingReport.cell_error``).

    Without a partition column, one call of :func:`coopmetrics.weighting.rake`; with one, the
    partition values (colleges) are raked in chunks of about :data:`RAKE_CHUNK` respondents,
    each against its own colleges' roster counts. The roster is the count rows of
    :func:`_roster_units`, repeated per indicator (a few rows per cell).
    """
    rows = sample.loc[complete, ["__ind", *part, "year", *rvars]].reset_index(drop=True)
    pop = roster[roster["year"].isin(pd.unique(rows["year"]))]
    pop = pd.concat([pop.assign(__ind=ind.id) for ind in raked], ignore_index=True)
    cells = ("__ind", *part, "year")
    if not part or len(rows) <= RAKE_CHUNK:
        return _rake_distinct(rows, pop, rvars, cells)
    key = _codes_of(rows[part])
    labels = rows[part].groupby(part, sort=True, dropna=False, observed=True).size().index  # code order
    pkey = pd.MultiIndex.from_frame(pop[part]) if len(part) > 1 else pd.Index(pop[part[0]])
    chunk = np.cumsum(np.bincount(key)) // RAKE_CHUNK  # consecutive colleges, ~RAKE_CHUNK respondents each
    w, err = np.empty(len(rows)), np.empty(len(rows))
    for c in np.unique(chunk):  # a few chunks per call, not one per college
        members = np.flatnonzero(chunk == c)
        sel = np.isin(key, members)
        w[sel], err[sel] = _rake_distinct(rows.loc[sel].reset_index(drop=True),
                                          pop[pkey.isin(labels[members])].reset_index(drop=True), rvars, cells)
    return w, err


def _rake_distinct(rows: pd.DataFrame, pop: pd.DataFrame, rvars: list[str],
                   cells: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`coopmetrics.weighting.rake` of ``rows`` by ``cells``, each distinct raking problem solved once.

    A cell's weights depend only on its respondents' levels, in order, and on its (partition ×)
    year's roster margins (the same for every indicator: ``pop`` repeats them per indicator).
    Cells (indicator × (college ×) year) whose respondents carry the same levels in the same
    order — the item copies of the 学生反馈表, several shares of one questionnaire answered by
    the same people — are one problem: only the first of each is raked, and the others take its
    weights row by row (:func:`coopmetrics.weighting.distinct_cells`). Each cell stops on its
    own convergence, so the weights are bit for bit those of raking every cell. Returns the
    weights and each row's cell's largest relative margin error.
    """
    from .weighting import distinct_cells, rake, row_codes  # local: only needed when a survey is raked

    content = [c for c in cells if c != "__ind"] + list(rvars)
    keep, source = distinct_cells(row_codes(rows, list(cells)), row_codes(rows, content))
    solve = rows if keep.all() else rows.loc[keep].reset_index(drop=True)
    w_k, report = rake(solve, pop, list(rvars), by=cells, tol=RAKE_TOL, population_weight="__n", return_report=True)
    if keep.all():  # nothing repeats
        return np.asarray(w_k, dtype=float), report.cell_error
    w, err = np.full(len(rows), np.nan), np.full(len(rows), np.nan)
    w[keep], err[keep] = np.asarray(w_k, dtype=float), report.cell_error
    return w[source], err[source]


def calibrated_variance(gid: np.ndarray, n_groups: int, x: np.ndarray, w: np.ndarray, valid: np.ndarray,
                        cell: np.ndarray, margins: pd.DataFrame | None, placed: np.ndarray,
                        *,
                        codes: Sequence[np.ndarray] | None = None) -> np.ndarray:
    """Calibration-aware linearised variance of raked (weighted mean) shares, one per group (se²).

    What R ``survey`` gives for ``svyby(~x, ~group, calibrate(svydesign(ids = ~1, strata = ~cell, data = resp),
    ~margins, population, calfun = "raking"), svymean)`` (Deville & Särndal 1992; Lumley 2010
    §7): the share of group ``d`` is ``R_d = Σ_d w x / Σ_d w`` with ``w`` the raked weights; its
    influence variable ``z_i = (x_i − R_d) / Σ_d w`` for respondents of ``d`` (0 elsewhere) is
    replaced by its residual ``e = z − X B`` from the least-squares regression on the one-hot
    margin indicators ``X`` (every raking variable's levels, a missing value a level of its own),
    fitted with the base weights (1: raking starts from equal weights) within each raking cell
    (year). Then ``u_i = w_i e_i``, and each raking cell is a stratum (an independent sample:
    each year's graduates, each college of a panel, raked to its own roster): the variance is
    ``Σ_h n_h/(n_h−1) · (Σ_h u² − (Σ_h u)²/n_h)`` over the cells ``h`` the group has respondents in,
    ``n_h`` every respondent of the cell (outside ``d`` ``u`` is not 0). This is R's
    ``svydesign(ids = ~1, strata = ~cell)``; a group's variance therefore depends only on the cells it
    lies in: a year's share has the same SE whether or not other years are in the call.
    Respondents raking could not place (``placed`` False) are not calibrated (``X`` row 0).
    Computed from per-(group, cell) totals — ``Σ w²z²``, ``Σ w z``, ``G = Σ X z``, ``Q = Σ w² X z``,
    ``H = Σ w² X X'``, ``a = Σ w X`` — with one k × k solve per cell: a loop over raking cells,
    vectorised over groups and respondents. ``X`` holds the levels present in the cell, in sorted
    order.

    ``codes`` (optional, instead of ``margins``): each margin column's integer codes in the
    sorted order of its values (``pd.factorize(..., sort=True)``), e.g. computed once on a
    larger frame and subset to these rows: a subset keeps the order of the levels, so the
    result is the same, bit for bit, without factorizing the columns again for every call.

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
    ok = placed & valid
    v = np.zeros(n_groups)
    n_min = np.full(n_groups, np.inf)  # the fewest respondents of a stratum the group lies in
    cells, cidx = np.unique(np.asarray(cell), return_inverse=True)
    order = np.argsort(cidx, kind="stable")  # each cell's respondents in their original order
    bounds = np.searchsorted(cidx[order], np.arange(len(cells) + 1))
    # sorted codes of every margin column, once; within a cell the levels present keep this order
    cols = list(codes) if codes is not None else _sorted_codes(margins)
    for c in range(len(cells)):  # one small k x k solve per raking cell ((college ×) year): a stratum
        rows = order[bounds[c]:bounds[c + 1]]
        rows = rows[valid[rows]]
        if not rows.size:
            continue
        Xc = _one_hot([v_[rows] for v_ in cols]) * ok[rows][:, None]
        wc, zc, gc = w[rows], z[rows], gid[rows]
        M = np.linalg.pinv(Xc.T @ Xc)  # base weights 1
        H = Xc.T @ (Xc * (wc * wc)[:, None])
        a = Xc.T @ wc
        groups, pidx = np.unique(gc, return_inverse=True)
        G = np.zeros((groups.size, Xc.shape[1]))
        Q = np.zeros_like(G)
        np.add.at(G, pidx, Xc * zc[:, None])
        np.add.at(Q, pidx, Xc * (wc * wc * zc)[:, None])
        B = G @ M  # M is symmetric
        # Σu² and Σu over the stratum's respondents (Σ w z is 0 over a whole group, not per stratum)
        s1 = np.bincount(pidx, (wc * zc) ** 2, groups.size) - 2 * np.einsum("pk,pk->p", Q, B) \
            + np.einsum("pk,kl,pl->p", B, H, B)
        s2 = np.bincount(pidx, wc * zc, groups.size) - B @ a
        n = float(rows.size)
        with np.errstate(divide="ignore", invalid="ignore"):
            v[groups] += np.maximum(n / (n - 1) * (s1 - s2 * s2 / n), 0.0)
        n_min[groups] = np.minimum(n_min[groups], n)
    return np.where(n_min >= 2, v, np.nan)


def _sorted_codes(margins: pd.DataFrame) -> list[np.ndarray]:
    """Integer codes of each column of ``margins`` in the sorted order of its values (NA a level, last)."""
    return [pd.factorize(margins[c].to_numpy(dtype=object), sort=True, use_na_sentinel=False)[0]
            for c in margins.columns]


def _one_hot(columns: list[np.ndarray]) -> np.ndarray:
    """One-hot indicators of the levels present in every column of integer codes, in code order."""
    blocks = []
    for v in columns:
        uniq, codes = np.unique(v, return_inverse=True)
        blocks.append(np.eye(len(uniq))[codes])
    return np.hstack(blocks) if blocks else np.zeros((len(columns[0]) if columns else 0, 0))


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


def _scale_to_roster(w: np.ndarray, cidx: np.ndarray, fill: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Weights of each raking cell (indicator × (college ×) year) scaled to sum to its roster count.

    Respondents raking could not place (``fill``: not on the roster, or a level the roster
    lacks) first get the mean weight of the placed respondents of their cell. Then every
    cell is scaled by ``N / Σw`` (``target``: each row's roster count N of its (college ×)
    year, NaN when the roster has none): raked weights already sum to ``N`` when everyone
    was placed, and pooling years then weights each year by its graduates (issue 10 item 7:
    1,000 + 1,000 graduates, 50 % of 200 and 80 % of 600 respondents pool to 0.65, not 0.725).

    Examples
    --------
    >>> _scale_to_roster(np.array([1., 1., 0., 1.]), np.array([0, 0, 1, 1]), np.array([False, False, True, False]),
    ...                  np.array([4., 4., 2., 2.])).tolist()
    [2.0, 2.0, 1.0, 1.0]
    """
    w = np.asarray(w, dtype=float).copy()
    k = int(cidx.max()) + 1 if cidx.size else 0
    placed = ~fill
    mean_placed = np.bincount(cidx, np.where(placed, w, 0.0), k) / np.maximum(np.bincount(cidx, placed, k), 1)
    w[fill] = np.where(mean_placed[cidx[fill]] > 0, mean_placed[cidx[fill]], 1.0)
    sums = np.bincount(cidx, w, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = w * target / sums[cidx]
    return np.where(np.isfinite(scaled) & (scaled > 0), scaled, w)
