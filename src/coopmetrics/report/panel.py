"""The provincial report: one yearly report per college of a panel, every indicator computed once.

A provincial department holds a panel of colleges (a ``college`` column in every table).
:func:`build_college_reports` computes the report's engine results ONCE for all colleges
(:func:`coopmetrics.report.bundle.compute_indicators` with ``college`` as a group column,
pushed to the engine; the cohort comparisons in one ``compare(by=["college"])`` call per
indicator), slices them per college (:meth:`Bundle.slice`) and builds each college's
:class:`~coopmetrics.report.model.Report` from its slice with the single-college code.

Survey satisfaction raked to the graduate roster is computed once too: with ``college`` as a
group column, :func:`coopmetrics.compute` rakes each college's respondents to its own roster
(cells indicator × college × year), bit for bit what the college's own report computes; and
the bootstrap of the mean-salary comparison draws counter-based random numbers, the same for
a college in one ``compare(by=["college"])`` call as in its own call
(:func:`coopmetrics.compare_base.same_draws_per_group`). Per college, only the small tables
(enterprises, teachers, survey …) a report lists row by row are cut out (pandas tables are
split once with ``groupby``, lazy ones one query each), and the workbooks can be written by a
pool of processes (:func:`write_workbooks`). A college without rows in a table the others
have gets the missing-input rows of its own report (:func:`_missing_rows`).

Panel layouts read by :func:`load_panel`: a folder written by :func:`coopmetrics.convert`
(typed Parquet, opened lazily without re-validation), a folder of per-college export folders
(the folder name is the college when its graduates name none), or a folder :func:`coopmetrics.load`
reads whole, whose graduates have a ``college`` column.

Examples
--------
>>> import coopmetrics as cm
>>> panel = load_panel("省级面板/")                                   # doctest: +SKIP
>>> for rep in build_college_reports(panel, 2024):                   # doctest: +SKIP
...     rep.to_excel(f"{safe_filename(rep.college)}.xlsx")
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..dataset import Dataset
from ..errors import InputError, check_option
from . import layouts as _layouts
from .bundle import Bundle, compute_cohorts, compute_indicators
from .bundle import distinct as _distinct
from .model import Report

__all__ = ["load_panel", "colleges_of", "build_college_reports", "safe_filename", "combined_tables",
           "write_workbooks", "SPLITS"]

#: Columns a panel can be split by (one report per value).
SPLITS = ("college",)

#: Tables a college's own computations read through the engine (not collected per college).
_ENGINE_TABLES = ("graduates", "survey")

_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                     *(f"LPT{i}" for i in range(1, 10))}


def safe_filename(name: str, *, max_len: int = 120) -> str:
    """A file name Windows accepts for ``name`` (a college name): forbidden characters become ``_``.

    Examples
    --------
    >>> safe_filename('江南/示例:学院 ')
    '江南_示例_学院'
    >>> safe_filename("CON")
    '_CON'
    """
    out = re.sub(r'[<>:"/\\|?*\x00-\x1f]', "_", str(name)).strip().rstrip(". ")
    out = out[:max_len] or "_"
    return f"_{out}" if out.split(".")[0].upper() in _WINDOWS_RESERVED else out


# --- loading -------------------------------------------------------------------------------------------

def load_panel(path: str | Path, *, split: str = "college", lazy: bool | str = "auto",
               salt: str | None = None) -> Dataset:
    """Read a provincial panel: converted Parquet, per-college export folders, or one loadable folder.

    Parameters
    ----------
    path : str or Path
    split : {"college"}
        Column naming the college in every table.
    lazy : bool or str
        Passed to :func:`coopmetrics.load` (a converted folder is always scanned lazily).
    salt : str, optional
        Salt for hashing personal data (:func:`coopmetrics.load`).

    Returns
    -------
    Dataset
        Every table with the ``split`` column. Tables that have no such column (the lazy
        Parquet route of ``cm.load`` keeps only schema columns, and only ``graduates`` has
        ``college`` in the schema) are left out, with a warning naming them.

    Raises
    ------
    InputError
        Path missing, or graduates without a college column.
    """
    from ..convert import is_converted, open_converted

    check_option("split", split, SPLITS, "load_panel")
    p = Path(path)
    if not p.exists():
        raise InputError(f"找不到文件或文件夹：{p}", f"file or folder not found: {p}", file=str(p))
    if is_converted(p):
        data = open_converted(p)
    elif p.is_dir() and _college_folders(p):
        data = _load_folders(_college_folders(p), split, lazy, salt)
    else:
        from ..io import load

        data = load(p, lazy=lazy, **({"salt": salt} if salt is not None else {}))
    return _check_split(data, split, p)


def _college_folders(path: Path) -> list[Path]:
    return sorted(d for d in path.iterdir() if d.is_dir() and not d.name.startswith((".", "_")))


def _load_folders(folders: list[Path], split: str, lazy: bool | str, salt: str | None) -> Dataset:
    """Load every college's export folder and stack the tables with the college column filled in."""
    from ..io import load

    parts: dict[str, list[Any]] = {}
    vals, accs = [], []
    for folder in folders:
        ds = load(folder, lazy=lazy, **({"salt": salt} if salt is not None else {}))
        name = _college_name(ds, split) or folder.name
        for t in ds.tables:
            parts.setdefault(t, []).append(_with_column(ds[t], split, name))
        vals.append(ds.validation.assign(**{split: name}))
        accs.append(ds.accounting.assign(**{split: name}))
    tables = {t: _stack(frames) for t, frames in parts.items()}
    return Dataset(validation=pd.concat(vals, ignore_index=True), accounting=pd.concat(accs, ignore_index=True),
                   **tables)


def _college_name(ds: Dataset, split: str) -> str | None:
    g = ds.get("graduates")
    if g is None or split not in _columns(g):
        return None
    from ..engines import collect

    if isinstance(g, pd.DataFrame):
        vals = g[split].dropna()
    else:
        import narwhals.stable.v1 as nw

        vals = collect(_distinct(nw.from_native(g), split))[split]
    return str(vals.mode().iloc[0]) if len(vals) else None


def _columns(frame: Any) -> list[str]:
    if isinstance(frame, pd.DataFrame):
        return list(frame.columns)
    import narwhals.stable.v1 as nw

    return list(nw.from_native(frame).columns)


def _with_column(frame: Any, col: str, value: str) -> Any:
    """``frame`` with ``col`` filled with ``value`` where missing (a college's own export)."""
    if isinstance(frame, pd.DataFrame):
        out = frame.copy()
        out[col] = out[col].astype("string").fillna(value) if col in out.columns else value
        return out
    import narwhals.stable.v1 as nw

    nf = nw.from_native(frame)
    expr = (nw.col(col).cast(nw.String).fill_null(nw.lit(value)) if col in nf.columns else nw.lit(value))
    return nf.with_columns(expr.alias(col)).to_native()


def _stack(frames: list[Any]) -> Any:
    """One table from the colleges' frames: pandas concat, or a lazy union on the engine."""
    if all(isinstance(f, pd.DataFrame) for f in frames):
        return pd.concat(frames, ignore_index=True)
    import narwhals.stable.v1 as nw

    from ..engines import collect

    lazies = [nw.from_native(f) if not isinstance(f, pd.DataFrame) else None for f in frames]
    if all(lf is not None for lf in lazies):
        cols = [c for c in lazies[0].columns if all(c in lf.columns for lf in lazies)]
        return nw.concat([lf.select(cols) for lf in lazies], how="vertical").to_native()
    return pd.concat([f if isinstance(f, pd.DataFrame) else collect(f) for f in frames], ignore_index=True)


def _check_split(data: Dataset, split: str, path: Path) -> Dataset:
    if "graduates" not in data or split not in _columns(data["graduates"]):
        raise InputError(
            f"毕业生表没有“{split}”（学校名称）列，无法按学校分别生成报告",
            f"the graduates table has no '{split}' (college) column: cannot write one report per college",
            file=str(path), column=split)
    missing = [t for t in data.tables if split not in _columns(data[t])]
    if missing:
        warnings.warn(
            f"这些表没有学校名称列，未用于分校报告 / tables without a '{split}' column left out of the "
            f"per-college reports: {missing}（请先用 coopmetrics convert 转换，或按学校分文件夹 / convert the "
            "exports with `coopmetrics convert`, or give one folder per college）", UserWarning, stacklevel=3)
        data = data.replace(**{t: None for t in missing})
    return data


def colleges_of(data: Dataset, split: str = "college") -> list[str]:
    """The colleges of a panel (graduates' ``split`` values, sorted), from one engine group-by."""
    import narwhals.stable.v1 as nw

    from ..engines import collect

    g = data["graduates"]
    if isinstance(g, pd.DataFrame):
        vals = g[split].dropna().astype(str).unique()
    else:
        vals = collect(_distinct(nw.from_native(g), split))[split].astype(str)
    return sorted(vals)


def _report_colleges(data: Dataset, year: int | None, split: str) -> tuple[int, list[str], list[str]]:
    """The report year, the colleges with graduates of that year, and those without (skipped)."""
    import narwhals.stable.v1 as nw

    from ..engines import collect

    g = data["graduates"]
    nf = nw.from_native(g, eager_only=True).lazy() if isinstance(g, pd.DataFrame) else nw.from_native(g)
    pairs = collect(_distinct(nf, split, "grad_year"))
    if not len(pairs):
        raise InputError("毕业生表为空", "the graduates table is empty", column="grad_year")
    years = sorted(int(y) for y in pd.unique(pairs["grad_year"]))
    year = years[-1] if year is None else int(year)
    if year not in years:
        raise InputError(f"数据中没有 {year} 届毕业生；现有年份：{years}",
                         f"the data has no graduates of {year}; years present: {years}",
                         column="毕业年份 grad_year", value=year)
    every = sorted(set(pairs[split].astype(str)))
    have = sorted(set(pairs.loc[pairs["grad_year"].astype(int) == year, split].astype(str)))
    return year, have, [c for c in every if c not in set(have)]


class _CollegeTables:
    """Each college's own rows of every table: small tables read once and split, the roster and the
    survey (lazy) filtered per college on the engine."""

    def __init__(self, data: Dataset, split: str, need_graduates: bool) -> None:
        self.data, self.split = data, split
        self.parts: dict[str, dict[str, pd.DataFrame]] = {}
        self.lazy: dict[str, Any] = {}
        self.empty: dict[str, pd.DataFrame] = {}
        from ..engines import collect

        for name in data.tables:
            frame = data[name]
            if name == "graduates" and not need_graduates:
                continue
            if not isinstance(frame, pd.DataFrame) and name not in _ENGINE_TABLES:
                # a small table (enterprises, teachers …): read once and split, not one query per college
                frame = collect(frame)
            if isinstance(frame, pd.DataFrame):
                key = frame[split].astype("string")
                self.parts[name] = {str(k): part for k, part in frame.groupby(key, sort=False, observed=True)}
                self.empty[name] = frame.iloc[0:0]
            else:
                self.lazy[name] = frame
        self.have = self._colleges_with_rows(need_graduates)

    def _colleges_with_rows(self, need_graduates: bool) -> dict[str, set[str]]:
        """Per table, the colleges with at least one row (one small engine group-by per lazy table)."""
        import narwhals.stable.v1 as nw

        from ..engines import collect

        have = {name: set(parts) for name, parts in self.parts.items()}
        for name, frame in self.lazy.items():
            have[name] = set(collect(_distinct(nw.from_native(frame), self.split))[self.split].astype(str))
        return have

    def missing(self, college: str) -> tuple[str, ...]:
        """Tables of the panel in which ``college`` has no row: absent from its own export."""
        return tuple(t for t, who in self.have.items() if t != "graduates" and college not in who)

    def dataset(self, college: str) -> Dataset:
        import narwhals.stable.v1 as nw

        from ..engines import collect

        tables: dict[str, Any] = {}
        gone = set(self.missing(college))  # as in the college's own export: the table is absent
        for name, parts in self.parts.items():
            if name not in gone:
                tables[name] = parts.get(college, self.empty[name]).reset_index(drop=True)
        for name, frame in self.lazy.items():
            if name in gone:
                continue
            part = nw.from_native(frame).filter(nw.col(self.split).cast(nw.String) == college).to_native()
            # the roster and the survey stay lazy (the engine computes the college's raked shares on
            # them); the small tables are read once per college, one query each
            tables[name] = part if name in _ENGINE_TABLES else collect(part)
        return Dataset(validation=_rows_of(self.data.validation, self.split, college),
                       accounting=_rows_of(self.data.accounting, self.split, college), **tables)


def _rows_of(frame: pd.DataFrame | None, split: str, college: str) -> pd.DataFrame | None:
    """A college's validation/accounting rows (all rows when they do not name the college)."""
    if frame is None or split not in frame.columns:
        return frame
    return frame[frame[split].astype(str) == college].drop(columns=split).reset_index(drop=True)


def build_college_reports(
    data: Dataset,
    year: int | None = None,
    *,
    split: str = "college",
    by: str = "department",
    lang: str = "zh",
    options: Any = None,
    disclosure: str = "none",
    platform: bool = False,
    partners: bool = False,
    figures: bool = False,
    layouts: dict[str, _layouts.Layout] | None = None,
    colleges: Sequence[str] | None = None,
    progress: Callable[[str, str | None], None] | None = None,
) -> Iterator[Report]:
    """One yearly report per college, every indicator computed once for the whole panel.

    Parameters
    ----------
    data : Dataset
        The panel (:func:`load_panel`); every table has the ``split`` column.
    year : int, optional
        Report year; default the latest year of the graduates.
    split : {"college"}
        Column naming the college (one report per value).
    by, lang, options, disclosure, platform, layouts
        As in :func:`coopmetrics.build_report` (``by`` is the breakdown inside each report).
    partners : bool, default False
        Add the partner evaluation (合作企业评估, with its rank intervals) to each report; it
        runs per college on the college's rows (costly: off by default).
    figures : bool, default False
        Draw each report's figures (needed for HTML only).
    colleges : sequence of str, optional
        Only these colleges (default: every college with graduates in ``year``).
    progress : callable, optional
        Called with ``("compute", None)``, ``("compare", None)`` and ``("college", name)``
        as each step starts.

    Yields
    ------
    Report
        One per college, in sorted order, equal to ``build_report`` on that college's rows.

    Examples
    --------
    >>> reps = build_college_reports(load_panel("panel/"), 2024)   # doctest: +SKIP
    >>> [r.college for r in reps][:2]                              # doctest: +SKIP
    ['A职业技术学院', 'B职业学院']
    """
    from .build import _Builder
    from .labels import LANGS, registry_frame

    check_option("lang", lang, LANGS, "build_college_reports")
    check_option("by", by, ("department", "major"), "build_college_reports")
    check_option("disclosure", disclosure, ("none", "hesa", "min_n"), "build_college_reports")
    check_option("split", split, SPLITS, "build_college_reports")
    layouts = layouts or _layouts.LAYOUTS
    tick = progress or (lambda phase, college: None)
    year, names, skipped = _report_colleges(data, year, split)
    if skipped:
        warnings.warn(f"这些学校没有 {year} 届毕业生，未生成报告 / colleges without graduates of {year}, no report: "
                      f"{skipped}", UserWarning, stacklevel=2)
    if colleges is not None:
        unknown = sorted(set(map(str, colleges)) - set(names))
        if unknown:
            raise InputError(f"面板中没有这些学校的 {year} 届毕业生：{unknown}",
                             f"the panel has no graduates of {year} in: {unknown}", column=split)
        names = [c for c in names if c in set(map(str, colleges))]
    ids = [str(i) for i in registry_frame()["id"]]
    order = {i: k for k, i in enumerate(ids)}
    kind = layouts["feedback"].survey_kind if "feedback" in layouts else None
    tick("compute", None)
    # raked survey shares too: with the college as a group column every college is raked to its
    # own roster (compute_surveys.partition_of), so one call serves every college
    part = compute_indicators(data, year, by, ids, options=options, survey_kind=kind, split=split)
    tick("compare", None)
    coh = compute_cohorts(data, year, [i for i in _layouts.COHORT_INDICATORS if i in order], options=options,
                          split=split)
    # targets judged once for every college (row by row: each college's rows as its own report judges them)
    reg = registry_frame()
    directions = dict(zip(reg["id"], reg["direction"], strict=True))
    judge = _judgement(directions)
    full = Bundle(trend=judge(part["trend"]), groups=judge(part["groups"]), item_trend=part["item_trend"],
                  cohorts=coh["cohorts"], cohort_adjust=coh["adjust"], cohort_errors=coh["errors"],
                  cohort_skipped=coh["skipped"], split=split)
    tables = _CollegeTables(data, split, need_graduates=partners or platform)
    gaps: dict[tuple[str, ...], pd.DataFrame] = {}
    slice_of = full.slices()  # every frame grouped by college once
    for name in names:
        tick("college", name)
        cds = tables.dataset(name)
        bundle = slice_of(name)
        missing = tables.missing(name)
        if missing:  # a table the others have: the 缺少数据 rows of the college's own report
            if missing not in gaps:
                gaps[missing] = judge(_missing_rows(data, missing, ids, options))
            bundle = _with_gaps(bundle, gaps[missing], "survey" in missing, order)
        yield _Builder(cds, year, by, lang, options, disclosure, False, platform, layouts, bundle=bundle,
                       figures=figures, partners=partners).build()


def _judgement(directions: dict[str, Any]) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """``frame -> frame with meets_target`` (:func:`coopmetrics.report.build._with_target_judgement`)."""
    from ..targets import compare_targets
    from .build import _with_target_judgement

    return lambda frame: _with_target_judgement(frame, compare_targets, directions)


def _missing_rows(data: Dataset, missing: tuple[str, ...], ids: Sequence[str], options: Any) -> pd.DataFrame:
    """``compute()`` rows (status ``missing_input``) of the indicators a college lacking ``missing`` cannot compute.

    The planner decides from the tables present and their columns alone, so it runs on
    zero-row copies of the panel's other tables: the rows are those of the college's own
    report, whose export lacks these tables.
    """
    import narwhals.stable.v1 as nw

    from ..compute import compute
    from ..engines import collect

    empty = {}
    for name in data.tables:
        if name in missing:
            continue
        frame = data[name]
        empty[name] = frame.iloc[0:0] if isinstance(frame, pd.DataFrame) else collect(nw.from_native(frame).head(0))
    kw: dict[str, Any] = {"options": options} if options is not None else {}
    res = compute(Dataset(**empty), list(ids), by=("grad_year",), **kw)
    return res[res["status"] == "missing_input"].reset_index(drop=True)


def _with_gaps(bundle: Bundle, rows: pd.DataFrame, no_survey: bool, order: dict[str, int]) -> Bundle:
    """A college's slice with the indicators it cannot compute replaced by their 缺少数据 rows."""
    from dataclasses import replace

    ids = set(rows["indicator"].astype(str))

    def drop(frame: pd.DataFrame) -> pd.DataFrame:
        if frame is None or not len(frame):
            return frame
        return frame[~frame["indicator"].astype(str).isin(ids).to_numpy(bool)].reset_index(drop=True)

    trend = pd.concat([x for x in (drop(bundle.trend), rows) if len(x)], ignore_index=True)
    pos = trend["indicator"].astype(str).map(order).to_numpy()
    trend = trend.iloc[np.argsort(pos, kind="stable")].reset_index(drop=True)
    # the breakdown holds the report year only: an own report drops these rows (no year)
    return replace(bundle, trend=trend, groups=drop(bundle.groups),
                   item_trend=pd.DataFrame() if no_survey else bundle.item_trend)


def _write_workbook(rep: Report | dict[str, Any], path: Path, force: bool = False) -> Path:
    from .writing import write_all

    if isinstance(rep, dict):  # sent to a worker process: rebuilt with read-only mappings, as built
        from types import MappingProxyType

        rep = Report(**{k: MappingProxyType(v) if isinstance(v, dict) else v for k, v in rep.items()})
    # through a temporary file, an existing workbook kept as a backup unless force (as the CLI's writes)
    write_all({path: rep.to_excel}, force=force)
    return path


def _picklable(rep: Report) -> dict[str, Any]:
    """A report's fields with its read-only mappings as dicts (a mappingproxy does not pickle)."""
    from dataclasses import fields
    from types import MappingProxyType

    return {f.name: dict(v) if isinstance(v := getattr(rep, f.name), MappingProxyType) else v
            for f in fields(rep)}


def write_workbooks(reports: Iterable[Report], folder: str | Path, *, workers: int = 2,
                    done: Callable[[Path], None] | None = None, force: bool = False) -> list[Path]:
    """Write each report's workbook to ``folder/<college>.xlsx``, ``workers`` processes at a time.

    Formatting a 20-sheet workbook (~1 s with xlsxwriter) is pure Python, so the reports are
    written by a pool of worker processes while this one builds the next reports; at most
    ``2 × workers`` reports wait at a time (memory stays a few colleges). ``workers <= 1``
    writes them here, one by one.

    Parameters
    ----------
    reports : iterable of Report
        E.g. :func:`build_college_reports` (a generator: consumed as the pool frees up).
    folder : str or Path
    workers : int, default 2
    done : callable, optional
        Called with each written path, in the order of ``reports``.
    force : bool, default False
        Overwrite an existing workbook; by default it is kept as ``<name>.备份-<time>.xlsx``
        (each workbook is written through a temporary file, as ``coopmetrics report`` does).

    Returns
    -------
    list of Path

    Examples
    --------
    >>> write_workbooks([], "out", workers=1)
    []
    """
    out = Path(folder)
    tick = done or (lambda path: None)
    written: list[Path] = []
    if workers <= 1:
        for rep in reports:
            out.mkdir(parents=True, exist_ok=True)
            written.append(_write_workbook(rep, out / f"{safe_filename(rep.college)}.xlsx", force))
            tick(written[-1])
        return written
    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    # spawn: the parent holds engine connections and threads, which a fork would copy mid-state
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        pending: deque[Any] = deque()
        for rep in reports:
            out.mkdir(parents=True, exist_ok=True)
            pending.append(pool.submit(_write_workbook, _picklable(rep), out / f"{safe_filename(rep.college)}.xlsx",
                                        force))
            while len(pending) >= 2 * workers:
                written.append(pending.popleft().result())
                tick(written[-1])
        while pending:
            written.append(pending.popleft().result())
            tick(written[-1])
    return written


def combined_tables(reports: Sequence[Report], split: str = "college") -> dict[str, pd.DataFrame]:
    """Every report's tables stacked per table id, with a leading ``split`` column (combined workbook).

    Examples
    --------
    >>> combined_tables([])
    {}
    """
    out: dict[str, list[pd.DataFrame]] = {}
    for rep in reports:
        for key, frame in rep.tables.items():
            out.setdefault(key, []).append(frame.assign(**{split: rep.college})[[split, *frame.columns]])
    return {k: pd.concat(v, ignore_index=True) for k, v in out.items()}
