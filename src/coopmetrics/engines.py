"""Engines for large panels: lazy Parquet scans, engine detection, pushdown helpers.

A provincial or national graduate panel (tens of millions of rows) does not fit
comfortably in pandas. coopmetrics therefore lets an *engine* do the one
group-by pass that every indicator reduces to, and only the aggregated rows
(one per group) come back to pandas, where intervals, targets and disclosure
are computed. The engines are:

========  ==========================================  =====================
engine    native object                               lazy?
========  ==========================================  =====================
pandas    ``pandas.DataFrame``                        no (in memory)
polars    ``polars.DataFrame`` / ``polars.LazyFrame``  LazyFrame: yes
duckdb    ``duckdb.DuckDBPyRelation``                 yes
dask      ``dask.dataframe.DataFrame``                yes (local or cluster)
pyarrow   ``pyarrow.Table``                           no
========  ==========================================  =====================

The aggregation code is written once against `narwhals
<https://narwhals-dev.github.io/narwhals/>`_; :func:`to_narwhals` wraps any of
the objects above and :func:`collect` brings a (small) aggregated result back
as pandas. :func:`scan` opens a Parquet file or a folder of Parquet files
(hive-partitioned or not) lazily with DuckDB, Polars or Dask and renames
Chinese or alias headers to the canonical names of :mod:`coopmetrics.schema`.

Progress bars (tqdm) are off by default in the API; switch them on for one call
with ``progress=True`` or for the session with :func:`set_progress` (the CLI
does), or with the environment variable ``COOPMETRICS_PROGRESS=1``.

Examples
--------
>>> import pandas as pd
>>> from coopmetrics.engines import engine_of, is_lazy
>>> df = pd.DataFrame({"grad_year": [2023, 2023, 2024], "placed": [1, 0, 1]})
>>> engine_of(df), is_lazy(df)
('pandas', False)
>>> import duckdb
>>> rel = duckdb.sql("SELECT 2024 AS grad_year, 1 AS placed")
>>> engine_of(rel), is_lazy(rel)
('duckdb', True)
"""

from __future__ import annotations

import contextlib
import importlib
import os
import time
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import narwhals as nw
import narwhals.dependencies as nwdep
import numpy as np
import pandas as pd

from .errors import CoopmetricsError, InputError, check_option
from .schema import TABLES, resolve_header

__all__ = [
    "ENGINES",
    "SCAN_ENGINES",
    "EngineNotInstalledError",
    "UnsupportedFrameError",
    "engine_of",
    "is_lazy",
    "require",
    "to_narwhals",
    "collect",
    "long_frame",
    "scan",
    "parquet_files",
    "set_progress",
    "progress_enabled",
    "progress_bar",
    "track",
]

#: Engines whose native frames compute() accepts (all through narwhals). The
#: first five are tested; the others are accepted because narwhals supports them.
ENGINES: tuple[str, ...] = (
    "pandas", "polars", "duckdb", "dask", "pyarrow", "modin", "cudf", "pyspark", "ibis", "sqlframe",
)
#: Engines :func:`scan` can open a Parquet file or folder with.
SCAN_ENGINES: tuple[str, ...] = ("duckdb", "polars", "dask")

# Python package that provides each engine (for "not installed" messages).
_PACKAGES = {
    "pandas": "pandas", "polars": "polars", "duckdb": "duckdb", "dask": "dask[dataframe]",
    "pyarrow": "pyarrow", "distributed": "distributed",
}
_MODULES = {"dask": "dask.dataframe"}


class EngineNotInstalledError(CoopmetricsError, ImportError):
    """The engine asked for is not installed (names the package to install)."""


class UnsupportedFrameError(CoopmetricsError, TypeError):
    """An object that is not a data frame of a supported engine."""


# --- engine detection ----------------------------------------------------------------

_LAZY_ENGINES = {"duckdb", "dask", "pyspark", "ibis", "sqlframe"}


def engine_of(frame: object) -> str:
    """Name the engine that holds ``frame``.

    Parameters
    ----------
    frame : object
        A pandas, Polars (Lazy)Frame, DuckDB relation, Dask, pyarrow, Modin,
        cuDF, PySpark, Ibis or SQLFrame data frame, or a narwhals wrapper of one.

    Returns
    -------
    str
        One of :data:`ENGINES`.

    Raises
    ------
    UnsupportedFrameError
        ``frame`` is not a data frame of a supported engine (e.g. a list, a
        dict, a NumPy array or a pandas Series).

    Examples
    --------
    >>> import polars as pl
    >>> engine_of(pl.LazyFrame({"a": [1]}))
    'polars'
    >>> engine_of([1, 2])
    Traceback (most recent call last):
    ...
    coopmetrics.engines.UnsupportedFrameError: 不支持的数据类型 list：请传入 pandas / Polars / DuckDB / Dask 数据框或 Dataset。
    Unsupported object of type list: pass a pandas, Polars, DuckDB or Dask data frame, or a Dataset.
    """
    if nwdep.is_narwhals_dataframe(frame) or nwdep.is_narwhals_lazyframe(frame):
        frame = nw.to_native(frame)
    checks = (
        ("pandas", nwdep.is_pandas_dataframe),
        ("polars", lambda f: nwdep.is_polars_dataframe(f) or nwdep.is_polars_lazyframe(f)),
        ("duckdb", nwdep.is_duckdb_relation),
        ("dask", nwdep.is_dask_dataframe),
        ("pyarrow", nwdep.is_pyarrow_table),
        ("modin", nwdep.is_modin_dataframe),
        ("cudf", nwdep.is_cudf_dataframe),
        ("pyspark", lambda f: nwdep.is_pyspark_dataframe(f) or nwdep.is_pyspark_connect_dataframe(f)),
        ("ibis", nwdep.is_ibis_table),
        ("sqlframe", nwdep.is_sqlframe_dataframe),
    )
    for name, check in checks:
        if check(frame):
            return name
    kind = type(frame).__name__
    raise UnsupportedFrameError(
        f"不支持的数据类型 {kind}：请传入 pandas / Polars / DuckDB / Dask 数据框或 Dataset。",
        f"Unsupported object of type {kind}: pass a pandas, Polars, DuckDB or Dask data frame, or a Dataset.",
    )


def is_lazy(frame: object) -> bool:
    """True when ``frame`` is a lazy query (nothing computed until collected).

    Examples
    --------
    >>> import polars as pl
    >>> is_lazy(pl.DataFrame({"a": [1]})), is_lazy(pl.LazyFrame({"a": [1]}))
    (False, True)
    """
    if nwdep.is_narwhals_lazyframe(frame):
        return True
    if nwdep.is_narwhals_dataframe(frame):
        return False
    engine = engine_of(frame)
    if engine == "polars":
        return nwdep.is_polars_lazyframe(frame)
    return engine in _LAZY_ENGINES


def require(engine: str) -> Any:
    """Import and return the module of ``engine``, or raise a bilingual error.

    Parameters
    ----------
    engine : str
        ``"duckdb"``, ``"polars"``, ``"dask"`` (returns ``dask.dataframe``),
        ``"distributed"``, ``"pyarrow"`` or ``"pandas"``.

    Raises
    ------
    EngineNotInstalledError
        The package is not installed; the message names the ``pip install``.

    Examples
    --------
    >>> require("duckdb").__name__
    'duckdb'
    """
    module = _MODULES.get(engine, engine)
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        package = _PACKAGES.get(engine, engine)
        raise EngineNotInstalledError(
            f"未安装计算引擎 {engine!r}：请先运行 pip install \"{package}\"（或 pip install \"coopmetrics[dask]\"）。",
            f"The {engine!r} engine is not installed: run pip install \"{package}\" "
            f"(or pip install \"coopmetrics[dask]\") first. ({exc})",
        ) from exc


def to_narwhals(frame: object) -> nw.DataFrame[Any] | nw.LazyFrame[Any]:
    """Wrap a native frame of any supported engine for narwhals.

    Eager frames (pandas, Polars DataFrame, pyarrow) give a
    ``narwhals.DataFrame``; lazy ones (Polars LazyFrame, DuckDB relation, Dask)
    a ``narwhals.LazyFrame``. Narwhals frames are returned unchanged.

    Raises
    ------
    UnsupportedFrameError
        For objects that are not frames of a supported engine.

    Examples
    --------
    >>> import pandas as pd
    >>> type(to_narwhals(pd.DataFrame({"a": [1]}))).__name__
    'DataFrame'
    """
    if nwdep.is_narwhals_dataframe(frame) or nwdep.is_narwhals_lazyframe(frame):
        return frame
    engine_of(frame)  # raises a clear error for anything unsupported
    with warnings.catch_warnings():
        # narwhals announces that Dask support moves to a separate package;
        # the built-in support still works and the warning means nothing to users.
        warnings.filterwarnings("ignore", message=".*narwhals-dask.*", category=FutureWarning)
        return nw.from_native(frame)


def collect(frame: object, *, progress: bool | None = None, desc: str = "aggregating", arrow: bool = False) -> Any:
    """Run a (lazy) query and return its result as a pandas DataFrame.

    Meant for *aggregated* results: the engine executes the whole query (scan,
    derived columns, group-by) and only the result rows are converted. A pandas
    frame is returned as is (no copy). Polars queries run on Polars' streaming
    engine (bounded memory); DuckDB's integer sums (HUGEINT, i.e. Arrow decimals)
    come back as int64 rather than Python ``Decimal`` objects.

    Parameters
    ----------
    frame : narwhals or native frame
        Typically ``frame.group_by(...).agg(...)`` on a lazy scan.
    progress : bool, optional
        Show a progress bar while the engine works (Dask: one tick per task on
        the local scheduler; other engines: elapsed time of the query). ``None``
        uses the session default (:func:`set_progress`).
    desc : str
        Label of the progress bar.
    arrow : bool
        Return an engine's Arrow result (DuckDB, pyarrow) as a ``pyarrow.Table`` (its
        HUGEINT/DECIMAL sums already numbers) instead of converting it to pandas; other
        engines still give pandas. For callers that convert column by column.

    Examples
    --------
    >>> import duckdb, narwhals as nw
    >>> rel = duckdb.sql("SELECT range % 3 AS g, 1 AS one FROM range(10)")
    >>> agg = nw.from_native(rel).group_by("g").agg(nw.col("one").sum())
    >>> out = collect(agg).sort_values("g")
    >>> out["one"].tolist(), str(out["one"].dtype)
    ([4, 3, 3], 'int64')
    """
    nwf = to_narwhals(frame)
    engine = engine_of(nwf)
    show = progress_enabled(progress)
    if isinstance(nwf, nw.LazyFrame):
        with _engine_progress(engine, show, desc):
            if engine == "polars":
                # Polars' streaming engine keeps memory bounded on panels larger than RAM
                # (and is faster for a group-by of a wide scan); a plan it cannot stream
                # falls back to the in-memory engine inside Polars.
                nwf = nwf.collect(engine="streaming")
            else:
                nwf = nwf.collect()
    native = nw.to_native(nwf)
    if isinstance(native, pd.DataFrame):
        return native
    if nwdep.is_pyarrow_table(native):
        return _arrow_numbers(native) if arrow else _arrow_to_pandas(native)
    return nwf.to_pandas()


def _arrow_to_pandas(table: Any) -> pd.DataFrame:
    """Arrow -> pandas, with DuckDB's HUGEINT/DECIMAL sums turned into numbers (:func:`_arrow_numbers`)."""
    return _arrow_numbers(table).to_pandas()


def _arrow_numbers(table: Any) -> Any:
    """DuckDB's HUGEINT/DECIMAL sums in an Arrow table turned into numbers.

    DuckDB sums integers into HUGEINT, which Arrow carries as decimal128 and
    pandas would hold as ``Decimal`` objects; counts become int64 (float64 if
    they do not fit), other decimals float64.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    for i, field in enumerate(table.schema):
        if pa.types.is_decimal(field.type):
            col = table.column(i)
            target = pa.float64()
            if field.type.scale == 0:
                lo, hi = pc.min_max(col).values()
                if lo.as_py() is None or (-(2**63) <= lo.as_py() and hi.as_py() < 2**63):
                    target = pa.int64()
            table = table.set_column(i, field.name, col.cast(target, safe=False))
    return table


@contextlib.contextmanager
def _engine_progress(engine: str, show: bool, desc: str) -> Iterator[None]:
    if not show:
        yield
        return
    if engine == "dask" and not _distributed_client_active():
        from dask.diagnostics import ProgressBar

        with ProgressBar():
            yield
        return
    # DuckDB, Polars and a distributed cluster expose no per-task hook we can
    # read from Python here; show the elapsed time of the query instead.
    with progress_bar(total=1, desc=desc, enabled=True) as bar:
        yield
        bar.update(1)


def _distributed_client_active() -> bool:
    try:
        from distributed import get_client
    except ImportError:
        return False
    try:
        get_client()
    except ValueError:
        return False
    return True


# --- assembling long results -------------------------------------------------------------


def long_frame(parts: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    """Stack per-indicator blocks into one long DataFrame without per-row Python objects.

    A national panel gives ~10^5 groups × dozens of indicators, i.e. millions of
    result rows; building them from object arrays of repeated strings costs more
    than the engine's whole group-by. Here a block's constant columns are given
    as scalars and repeated in Arrow (dictionary take), group-key columns as
    pandas Series are concatenated as they are, and numbers as float arrays.

    Parameters
    ----------
    parts : sequence of mapping
        One mapping per block: column -> scalar (repeated over the block), NumPy
        array, pandas Series or ExtensionArray. Every block must give a value for
        every column; at least one array-like per block fixes its length.
    columns : sequence of str
        Output columns, in order.

    Returns
    -------
    pandas.DataFrame
        Text columns have pandas' ``str`` dtype, numbers ``float64`` (or the
        dtype of the arrays given), keys the dtype of the Series given.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> a = {"indicator": "placement_rate", "college": pd.Series(["甲", "乙"]), "estimate": np.array([.9, .8])}
    >>> b = {"indicator": "salary_mean", "college": pd.Series(["甲"]), "estimate": np.array([4500.0])}
    >>> out = long_frame([a, b], ["indicator", "college", "estimate"])
    >>> out.values.tolist()
    [['placement_rate', '甲', 0.9], ['placement_rate', '乙', 0.8], ['salary_mean', '甲', 4500.0]]
    >>> str(out["indicator"].dtype)
    'str'
    """
    import pyarrow as pa

    lengths = []
    for part in parts:
        sizes = {len(v) for v in part.values() if not _is_scalar(v)}
        if len(sizes) != 1:
            raise ValueError(f"every block needs array columns of one length, got lengths {sorted(sizes)}")
        lengths.append(sizes.pop())
    total = int(sum(lengths))
    block = np.repeat(np.arange(len(parts), dtype=np.int32), lengths)
    data: dict[str, Any] = {}
    for c in columns:
        values = [p[c] for p in parts]
        if all(_is_scalar(v) for v in values):
            if all(isinstance(v, str) for v in values):
                taken = pa.array(values, pa.string()).take(pa.array(block))
                data[c] = pd.array(taken, dtype="str")
            else:
                data[c] = np.asarray(values, dtype=float)[block] if total else np.empty(0)
        elif any(isinstance(v, pd.Series | pd.api.extensions.ExtensionArray) for v in values):
            series = [
                pd.Series([v] * n) if _is_scalar(v) else pd.Series(v, copy=False).reset_index(drop=True)
                for v, n in zip(values, lengths, strict=True)
            ]
            data[c] = pd.concat(series, ignore_index=True) if series else pd.Series(dtype=object)
        elif all(_is_scalar(v) and isinstance(v, str) or (not _is_scalar(v) and np.asarray(v).dtype == object)
                 for v in values):
            # text arrays (e.g. a status per row): convert block by block in Arrow
            chunks = [pa.array(np.full(n, v, dtype=object) if _is_scalar(v) else np.asarray(v), pa.string())
                      for v, n in zip(values, lengths, strict=True)]
            data[c] = pd.array(pa.chunked_array(chunks, pa.string()), dtype="str")
        else:
            data[c] = np.concatenate([
                np.full(n, v, dtype=float if not isinstance(v, str) else object) if _is_scalar(v)
                else np.asarray(v) for v, n in zip(values, lengths, strict=True)
            ]) if values else np.empty(0)
    return pd.DataFrame(data, columns=list(columns))


def _is_scalar(v: object) -> bool:
    return isinstance(v, str | bytes) or np.ndim(v) == 0


# --- lazy Parquet scans ---------------------------------------------------------------


def parquet_files(path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[Path]:
    """List the Parquet files of a file, a folder (searched recursively) or a list of them.

    Raises
    ------
    InputError
        A path that does not exist, or a folder without any ``*.parquet`` file.

    Examples
    --------
    >>> parquet_files("no/such/folder")
    Traceback (most recent call last):
    ...
    coopmetrics.errors.InputError: 找不到文件或文件夹 [文件 no/such/folder] 请检查路径
    path not found [file no/such/folder] check the path
    """
    paths = [path] if isinstance(path, str | os.PathLike) else list(path)
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(q for q in p.rglob("*.parquet") if q.is_file() and not q.name.startswith("."))
            if not found:
                raise InputError("文件夹中没有 Parquet 文件", "no Parquet file in the folder", file=str(p),
                                 hint_zh="请确认文件扩展名为 .parquet", hint_en="files must end in .parquet")
            files.extend(found)
        elif p.is_file():
            files.append(p)
        else:
            raise InputError("找不到文件或文件夹", "path not found", file=str(p),
                             hint_zh="请检查路径", hint_en="check the path")
    return files


def _canonical_columns(table: str, names: Iterable[str], source: str,
                       pii: str = "drop") -> list[tuple[str, str, float]]:
    """(raw name, output name, multiplier) per column kept; unknown names kept as they are."""
    check_option("table", table, list(TABLES), "scan")
    personal = set(TABLES[table].pii)
    out: list[tuple[str, str, float]] = []
    seen: dict[str, str] = {}
    for raw in names:
        canon, mult = resolve_header(table, raw)
        name = canon or raw
        if name in seen:
            raise InputError(
                f"两列都对应标准列 {name!r}：{seen[name]!r} 与 {raw!r}",
                f"two columns map to the canonical column {name!r}: {seen[name]!r} and {raw!r}",
                file=source, column=raw, hint_zh="请删除或重命名其中一列", hint_en="drop or rename one of them",
            )
        seen[name] = raw
        if pii == "drop" and name in personal:
            continue
        out.append((raw, name, mult))
    return out


def _looks_hive(path: Any, files: list[Path]) -> bool:
    """True when the files sit in ``key=value`` folders below ``path``."""
    if not (isinstance(path, str | os.PathLike) and Path(path).is_dir()):
        return False
    root = Path(path)
    return any("=" in part for f in files for part in f.relative_to(root).parts[:-1])


def _sql_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def scan(
    path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    engine: str = "duckdb",
    *,
    table: str = "graduates",
    hive_partitioning: bool | None = None,
    connection: Any = None,
    pii: str = "drop",
) -> Any:
    """Open Parquet data lazily with DuckDB, Polars or Dask, with canonical column names.

    Nothing is read except the Parquet footers (schemas); the rows are read by
    the engine when a query (e.g. :func:`coopmetrics.compute`) runs, and only
    the columns that query needs.

    Parameters
    ----------
    path : path, folder or list of paths
        One ``.parquet`` file, a folder of them (searched recursively; hive
        partitions such as ``grad_year=2024/`` become columns) or a list of files.
    engine : {"duckdb", "polars", "dask"}
        ``duckdb`` (default) gives a ``DuckDBPyRelation``, ``polars`` a
        ``LazyFrame``, ``dask`` a Dask DataFrame (runs on a ``distributed``
        cluster if a client is active). DuckDB is the default because it meets
        the speed and memory targets at every benchmark size (at 50M rows 0.95x
        the hand-written SQL with 0.94 GiB peak, where the Polars scan peaked at
        2.0 GiB; ``docs/scale.md``); all engines give the same numbers.
    table : str
        Canonical table the files hold (default ``graduates``): headers are
        resolved with :func:`coopmetrics.schema.resolve_header` (Chinese headers
        and aliases -> canonical names; money in 万元 -> yuan). Unknown columns
        are kept under their own names.
    hive_partitioning : bool, optional
        Read ``key=value`` folder names as columns; ``None`` lets the engine
        detect them.
    connection : duckdb.DuckDBPyConnection, optional
        DuckDB connection to use (default: DuckDB's default connection).
    pii : {"drop", "keep"}
        Personal-data columns of the table (姓名, 身份证号, 手机号, ... see
        :mod:`coopmetrics.schema`) are left out of the scan by default, so they
        are never read. :func:`coopmetrics.load` (``lazy=True``) is the full loader
        with validation and salted hashing; ``scan`` is the light reader for panels
        that are already clean.

    Returns
    -------
    DuckDBPyRelation, polars.LazyFrame or dask.dataframe.DataFrame

    Raises
    ------
    InputError
        Missing path, folder without Parquet files, two headers for one column.
    EngineNotInstalledError
        The engine's package is not installed.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"学号": ["1", "2"], "届别": [2024, 2024], "月收入": [4000.0, 5000.0]}).to_parquet(
    ...     folder / "part-0.parquet")
    >>> rel = scan(folder, "duckdb")
    >>> rel.columns
    ['student_id', 'grad_year', 'monthly_salary']
    >>> scan(folder, "polars").select("monthly_salary").sum().collect().item()
    9000.0
    """
    check_option("engine", engine, SCAN_ENGINES, "scan")
    check_option("pii", pii, ["drop", "keep"], "scan")
    files = parquet_files(path)
    source = str(path) if isinstance(path, str | os.PathLike) else f"{len(files)} files"
    if engine == "duckdb":
        duckdb = require("duckdb")
        con = connection if connection is not None else duckdb.default_connection()
        if hive_partitioning is None:
            hive_partitioning = _looks_hive(path, files)
        kwargs = {"hive_partitioning": hive_partitioning}
        if isinstance(path, str | os.PathLike) and Path(path).is_dir():
            # A glob (not a file list) lets DuckDB detect hive partitions.
            rel = con.read_parquet(str(Path(path) / "**" / "*.parquet"), **kwargs)
        else:
            rel = con.read_parquet([str(f) for f in files], **kwargs)
        cols = _canonical_columns(table, rel.columns, source, pii)
        if len(cols) == len(rel.columns) and all(raw == name and mult == 1.0 for raw, name, mult in cols):
            return rel
        exprs = [
            (f"{_sql_ident(raw)} * {mult!r}" if mult != 1.0 else _sql_ident(raw)) + f" AS {_sql_ident(name)}"
            for raw, name, mult in cols
        ]
        return rel.project(", ".join(exprs))
    if engine == "polars":
        pl = require("polars")
        if hive_partitioning is None:
            hive_partitioning = _looks_hive(path, files)
        if isinstance(path, str | os.PathLike) and Path(path).is_dir():
            # A glob (not the bare folder: other files may sit beside the Parquet
            # files) still lets Polars read hive partitions from the folder names.
            source_arg: Any = str(Path(path) / "**" / "*.parquet")
        else:
            source_arg = [str(f) for f in files]
        lf = pl.scan_parquet(source_arg, hive_partitioning=hive_partitioning)
        names = lf.collect_schema().names()
        cols = _canonical_columns(table, names, source, pii)
        if len(cols) < len(names):
            lf = lf.select([raw for raw, _, _ in cols])
        renames = {raw: name for raw, name, _ in cols if raw != name}
        if renames:
            lf = lf.rename(renames)
        scaled = [pl.col(name) * mult for _, name, mult in cols if mult != 1.0]
        return lf.with_columns(scaled) if scaled else lf
    dd = require("dask")
    is_dir = isinstance(path, str | os.PathLike) and Path(path).is_dir()
    source_arg = str(path) if is_dir else [str(f) for f in files]
    ddf = dd.read_parquet(source_arg)
    cols = _canonical_columns(table, list(ddf.columns), source, pii)
    if len(cols) < len(ddf.columns):
        ddf = ddf[[raw for raw, _, _ in cols]]
    renames = {raw: name for raw, name, _ in cols if raw != name}
    if renames:
        ddf = ddf.rename(columns=renames)
    for _, name, mult in cols:
        if mult != 1.0:
            ddf[name] = ddf[name] * mult
    return ddf


# --- progress -------------------------------------------------------------------------

def _env_progress() -> bool:
    """Session default from ``COOPMETRICS_PROGRESS`` (1/true/yes/on)."""
    return os.environ.get("COOPMETRICS_PROGRESS", "").strip().lower() in {"1", "true", "yes", "on"}


_PROGRESS: list[bool] = [_env_progress()]


def set_progress(enabled: bool) -> bool:
    """Switch progress bars on or off for the session; returns the previous setting.

    Examples
    --------
    >>> previous = set_progress(True)
    >>> progress_enabled(None)
    True
    >>> _ = set_progress(previous)
    """
    previous = _PROGRESS[0]
    _PROGRESS[0] = bool(enabled)
    return previous


def progress_enabled(progress: bool | None = None) -> bool:
    """Resolve a ``progress=`` argument: ``None`` means the session default.

    Examples
    --------
    >>> progress_enabled(False), progress_enabled(True)
    (False, True)
    """
    return _PROGRESS[0] if progress is None else bool(progress)


def progress_bar(total: float | None = None, desc: str = "", *, enabled: bool | None = None,
                 unit: str = "it") -> Any:
    """A tqdm progress bar that is silent unless progress is enabled.

    Use as a context manager; ``bar.update(n)`` advances it.

    Examples
    --------
    >>> with progress_bar(total=3, desc="chunks", enabled=False) as bar:
    ...     for _ in range(3):
    ...         _ = bar.update(1)
    >>> bar.disable
    True
    """
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=not progress_enabled(enabled), leave=False)


def track(iterable: Iterable[Any], desc: str = "", *, total: int | None = None,
          enabled: bool | None = None) -> Iterator[Any]:
    """Iterate with a progress bar (silent unless enabled), e.g. over tables or files.

    Examples
    --------
    >>> list(track(["graduates", "survey"], "tables", enabled=False))
    ['graduates', 'survey']
    """
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    with progress_bar(total=total, desc=desc, enabled=enabled) as bar:
        start = time.perf_counter()
        for item in iterable:
            yield item
            bar.update(1)
        bar.set_postfix_str(f"{time.perf_counter() - start:.1f}s", refresh=False)
