"""Convert CSV/XLSX exports once to typed Parquet, so that reruns of ``report``/``validate`` are fast.

:func:`convert` reads the exports with :func:`coopmetrics.load` (header recognition,
normalisation, validation, personal data dropped or hashed exactly as ``load`` does) and
writes each canonical table as typed Parquet, with the validation report, its exact counts
and the row accounting beside them. :func:`open_converted` opens such a folder lazily
(DuckDB scans, nothing validated twice: the saved report is returned).

Layout of the output folder::

    graduates.parquet  survey.parquet  …          one file per table (one college's exports), or
    graduates/part-0000.parquet …                 one part per college (a folder of college folders)
    _validation.parquet  _validation_counts.parquet  _accounting.parquet
    _coopmetrics.json                              marker: version, tables, row counts

Examples
--------
>>> import coopmetrics as cm, tempfile
>>> res = cm.convert(cm.sample.SAMPLE_DIR, tempfile.mkdtemp())     # doctest: +SKIP
>>> cm.open_converted(res.folder)["graduates"]                       # doctest: +SKIP
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .dataset import Dataset
from .errors import InputError
from .validation import NOTE_PROBLEMS

__all__ = ["convert", "open_converted", "is_converted", "ConvertResult", "MARKER"]

#: Marker file of a converted folder.
MARKER = "_coopmetrics.json"
_FORMAT = 1


@dataclass(frozen=True)
class ConvertResult:
    """What :func:`convert` wrote: the folder, rows per table and the row accounting.

    Attributes
    ----------
    folder : Path
    rows : dict
        Table -> rows written (the kept rows of :attr:`accounting`).
    accounting : DataFrame
        ``rows_read == kept + excluded`` per table, file and sheet (from ``load``).
    problems : int
        Problems in the validation report (exact count).
    """

    folder: Path
    rows: dict[str, int] = field(default_factory=dict)
    accounting: pd.DataFrame = field(default_factory=pd.DataFrame)
    problems: int = 0

    def summary(self, lang: str = "zh") -> str:
        """Row accounting as text (the CLI prints it)."""
        acc = self.accounting
        head = ("表 / table", "读入 read", "保留 kept", "修正 fixed", "排除 excluded")
        lines = ["  ".join(f"{h:<14}" for h in head)]
        if len(acc):
            tot = acc.groupby("table", sort=False)[["rows_read", "kept", "fixed", "excluded"]].sum()
            for t, r in tot.iterrows():
                lines.append("  ".join(f"{v!s:<14}" for v in (t, *(int(x) for x in r))))
        # staff read problems with `validate` (Excel rows, CSV export), not the Parquet file itself
        where = f"coopmetrics validate {self.folder} --csv 问题清单.csv"
        lines.append(f"{self.problems} 个数据问题 / problem(s) found；查看 / list them: {where}"
                     if self.problems else "没有发现数据问题 / no problems found")
        return "\n".join(lines)


def is_converted(path: str | Path) -> bool:
    """True when ``path`` is a folder written by :func:`convert`."""
    return (Path(path) / MARKER).is_file()


def convert(src: str | Path, out: str | Path, *, split: str = "college", lazy: bool | str = "auto",
            salt: str | bytes | None = None, pii: str = "drop", overwrite: bool = False) -> ConvertResult:
    """Load exports once (validated, personal data dropped/hashed) and write typed Parquet.

    Parameters
    ----------
    src : str or Path
        A file, a folder of one college's exports, or a folder of per-college folders
        (each loaded on its own; ``split`` is filled with the folder name where the
        graduates name no college, and added to every table).
    out : str or Path
        Output folder (created).
    split : str
        Column naming the college in a per-college conversion.
    lazy, salt, pii
        As in :func:`coopmetrics.load`.
    overwrite : bool
        Replace an existing converted folder; otherwise a non-empty ``out`` is an error.

    Returns
    -------
    ConvertResult

    Raises
    ------
    InputError
        ``src`` missing, or ``out`` not empty (without ``overwrite``).

    Examples
    --------
    >>> res = convert("导出数据/毕业生.csv", "parquet/")     # doctest: +SKIP
    >>> print(res.summary())                                # doctest: +SKIP
    """
    from .io import load

    src, out = Path(src), Path(out)
    if not src.exists():
        raise InputError(f"找不到文件或文件夹：{src}", f"file or folder not found: {src}", file=str(src))
    _prepare(out, overwrite)
    kw: dict[str, Any] = {"lazy": lazy, "pii": pii, **({"salt": salt} if salt is not None else {})}
    folders = sorted(d for d in src.iterdir() if d.is_dir() and not d.name.startswith((".", "_"))) \
        if src.is_dir() else []
    rows: dict[str, int] = {}
    vals, counts, accs = [], [], []
    if folders:  # one college at a time: memory is one college's exports
        from .report.panel import _college_name, _with_column

        for i, folder in enumerate(folders):
            ds = load(folder, **kw)
            name = _college_name(ds, split) or folder.name
            for t in ds.tables:
                rows[t] = rows.get(t, 0) + _write(_with_column(ds[t], split, name), out / t / f"part-{i:04d}.parquet")
            vals.append(ds.validation.assign(**{split: name}))
            counts.append(ds.validation_counts.assign(**{split: name}))
            accs.append(ds.accounting.assign(**{split: name}))
    else:
        ds = load(src, **kw)
        for t in ds.tables:
            rows[t] = _write(ds[t], out / f"{t}.parquet")
        vals, counts, accs = [ds.validation], [ds.validation_counts], [ds.accounting]
    val, cnt, acc = (pd.concat(x, ignore_index=True) for x in (vals, counts, accs))
    _write(val, out / "_validation.parquet")
    _write(cnt, out / "_validation_counts.parquet")
    _write(acc, out / "_accounting.parquet")
    from . import __version__

    (out / MARKER).write_text(json.dumps({"format": _FORMAT, "coopmetrics": __version__, "source": str(src),
                                          "tables": rows, "per_college": bool(folders)}, ensure_ascii=False,
                                         indent=1), encoding="utf-8")
    # notes about what loading did (values taken from a file name, PII columns dropped) are not problems
    if "rows" in cnt.columns and len(cnt):
        problems = int(cnt.loc[~cnt["problem"].isin(NOTE_PROBLEMS), "rows"].sum()) if "problem" in cnt.columns \
            else int(cnt["rows"].sum())
    else:
        problems = int((~val["problem"].isin(NOTE_PROBLEMS)).sum()) if "problem" in val.columns else len(val)
    return ConvertResult(folder=out, rows=rows, accounting=acc, problems=problems)


def _prepare(out: Path, overwrite: bool) -> None:
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise InputError(f"输出文件夹不是空的：{out}（加 --force 覆盖）",
                             f"the output folder is not empty: {out} (use --force to replace it)", file=str(out))
        if not is_converted(out):
            raise InputError(f"输出文件夹不是 convert 写出的，不覆盖：{out}",
                             f"the output folder was not written by convert; not replacing it: {out}", file=str(out))
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def _write(frame: Any, path: Path) -> int:
    """Write one table as Parquet (lazy tables by their engine, without collecting); rows written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(frame, pd.DataFrame):
        df = frame.copy()
        for c in df.columns:  # categories become plain strings: parts of one table then share a schema
            if isinstance(df[c].dtype, pd.CategoricalDtype):
                df[c] = df[c].astype("string")
            elif df[c].dtype == object:
                df[c] = df[c].astype("string")
        df.to_parquet(path, index=False)
        return len(df)
    import narwhals.stable.v1 as nw

    nf = nw.from_native(frame)
    native = nf.to_native()
    if hasattr(native, "write_parquet") and type(native).__module__.startswith("duckdb"):
        native.write_parquet(str(path))
    elif hasattr(native, "sink_parquet"):
        native.sink_parquet(path)
    else:
        from .engines import collect

        return _write(collect(native), path)
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).metadata.num_rows)


def _scan_parts(files: list[Path], engine: str) -> Any:
    """A lazy scan of the per-college parts of one table, columns matched by name."""
    if engine == "polars":
        import polars as pl

        return pl.concat([pl.scan_parquet(f) for f in files], how="diagonal_relaxed")
    import duckdb

    return duckdb.read_parquet([str(f) for f in files], union_by_name=True)


def open_converted(path: str | Path, engine: str = "duckdb") -> Dataset:
    """Open a folder written by :func:`convert`: lazy scans of the tables, the saved validation report.

    Parameters
    ----------
    path : str or Path
    engine : {"duckdb", "polars"}

    Returns
    -------
    Dataset

    Raises
    ------
    InputError
        The folder was not written by :func:`convert`.

    Examples
    --------
    >>> ds = open_converted("parquet/")      # doctest: +SKIP
    """
    from .engines import scan

    p = Path(path)
    if not is_converted(p):
        raise InputError(f"不是 coopmetrics convert 写出的文件夹：{p}",
                         f"not a folder written by coopmetrics convert: {p}", file=str(p))
    meta = json.loads((p / MARKER).read_text(encoding="utf-8"))
    tables = {}
    for t in meta["tables"]:
        if (p / t).is_dir():  # one part per college; a column one college lacks reads as missing
            tables[t] = _scan_parts(sorted((p / t).glob("*.parquet")), engine)
        else:
            tables[t] = scan(p / f"{t}.parquet", engine, table=t)
    side = {k: pd.read_parquet(p / f"_{k}.parquet") for k in ("validation", "validation_counts", "accounting")}
    return Dataset(validation=side["validation"], accounting=side["accounting"], counts=side["validation_counts"],
                   sources={t: f"{p.name}/{t} (converted)" for t in tables}, **tables)
