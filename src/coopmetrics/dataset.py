"""The :class:`Dataset` container: the canonical tables that are present.

A ``Dataset`` holds one frame per canonical table (see :mod:`coopmetrics.schema`)
plus the validation report that accounts for every input row. Tables are
usually pandas DataFrames; for large data they may be lazy frames (Polars
LazyFrame, DuckDB relation, Dask DataFrame) that :func:`coopmetrics.compute`
aggregates without materialising.

Examples
--------
>>> import pandas as pd
>>> import coopmetrics as cm
>>> g = pd.DataFrame({"student_id": ["1", "2"], "grad_year": [2024, 2024],
...                   "major": ["数控技术", "数控技术"], "destination_code": ["10", "70"]})
>>> ds = cm.Dataset(graduates=g)
>>> ds.tables
['graduates']
>>> len(ds["graduates"])
2
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pandas as pd

from .errors import InputError
from .schema import TABLES

__all__ = ["Dataset", "VALIDATION_COLUMNS", "ACCOUNTING_COLUMNS"]

#: Columns of the row-accounting table (one row per table x input file/sheet).
ACCOUNTING_COLUMNS = ["table", "file", "sheet", "rows_read", "kept", "fixed", "excluded"]

#: Columns of the validation report, in order. ``row`` is the row number as the
#: user sees it in Excel or a text editor (header and title rows counted, 1-based).
#: One row per problem found (a cell fixed, a row excluded, a value flagged);
#: ``action`` is one of ``fixed``, ``excluded``, ``flagged`` (kept but reported).
VALIDATION_COLUMNS = [
    "table", "file", "sheet", "row", "column", "value", "problem", "action", "message_zh", "message_en",
]


class Dataset:
    """Canonical tables of one college or panel.

    Parameters
    ----------
    validation : pandas.DataFrame, optional
        The validation report produced by :func:`coopmetrics.load`; columns as
        in :data:`VALIDATION_COLUMNS`. Built by hand it starts empty.
    accounting : pandas.DataFrame, optional
        Row accounting per table and input file: ``table``, ``file``, ``sheet``,
        ``rows_read``, ``kept``, ``fixed``, ``excluded`` with
        ``rows_read == kept + excluded`` (fixed rows are kept rows that were
        repaired). Built by :func:`coopmetrics.load`.
    sources : dict, optional
        Table name -> description of where it came from (file and sheet).
    counts : pandas.DataFrame, optional
        Exact problem counts (:attr:`validation_counts`) when the report lists only
        the first rows of each problem (lazy Parquet route); derived from
        ``validation`` otherwise.
    **tables
        Frames keyed by canonical table name (``graduates``, ``survey``,
        ``teachers``, ``enterprises``, ``internships``, ``enrollment``).
        DataFrames given directly must already use canonical column names;
        use :func:`coopmetrics.load` or :func:`coopmetrics.io.standardise` for
        Chinese headers.
    """

    def __init__(
        self,
        validation: pd.DataFrame | None = None,
        accounting: pd.DataFrame | None = None,
        sources: dict[str, str] | None = None,
        counts: pd.DataFrame | None = None,
        **tables: Any,
    ) -> None:
        unknown = sorted(set(tables) - set(TABLES))
        if unknown:
            raise InputError(
                f"未知的表名 {unknown}；可用的表：{sorted(TABLES)}",
                f"unknown table name(s) {unknown}; known tables: {sorted(TABLES)}",
            )
        self._tables: dict[str, Any] = {k: v for k, v in tables.items() if v is not None}
        self.validation = (
            validation if validation is not None else pd.DataFrame(columns=VALIDATION_COLUMNS)
        )
        self.accounting = (
            accounting if accounting is not None else pd.DataFrame(columns=ACCOUNTING_COLUMNS)
        )
        self.sources = dict(sources or {})
        self._counts = counts

    @property
    def validation_counts(self) -> pd.DataFrame:
        """Exact problem counts per table, file, sheet, column, problem and action.

        ``rows`` counts every offending row, ``listed`` how many of them
        ``.validation`` lists: equal on the eager route, at most ``first_k`` per
        rule on the lazy Parquet route (``cm.load(..., lazy="duckdb", first_k=20)``).

        Examples
        --------
        >>> Dataset().validation_counts.columns.tolist()
        ['table', 'file', 'sheet', 'column', 'problem', 'action', 'rows', 'listed']
        """
        if self._counts is not None:
            return self._counts
        from .validation import counts_of  # validation imports this module

        return counts_of(self.validation)

    # mapping-like access ---------------------------------------------------------
    @property
    def tables(self) -> Tables:
        """The tables present, name -> frame, in schema order (a read-only mapping).

        Iterating gives the names, so ``list(ds.tables)`` is the list of names; it also
        compares equal to that list, as ``tables`` was a list of names before.
        """
        return Tables({t: self._tables[t] for t in TABLES if t in self._tables})

    def __contains__(self, name: object) -> bool:
        return name in self._tables

    def __getitem__(self, name: str) -> Any:
        if name not in self._tables:
            raise KeyError(
                f"数据集中没有表 {name!r}（现有：{self.tables}） / "
                f"the dataset has no table {name!r} (present: {self.tables})"
            )
        return self._tables[name]

    def get(self, name: str, default: Any = None) -> Any:
        """Return table ``name`` or ``default``."""
        return self._tables.get(name, default)

    def replace(self, **tables: Any) -> Dataset:
        """Return a new Dataset with some tables replaced (the original is unchanged)."""
        new = dict(self._tables)
        new.update(tables)
        return Dataset(
            validation=self.validation, accounting=self.accounting, sources=self.sources,
            counts=self._counts, **new
        )

    def validation_report(self) -> Any:
        """The validation report as it may leave the program (:class:`~coopmetrics.validation.ValidationReport`).

        ``.safe()`` masks personal data, ``.to_csv(path)`` writes it atomically
        with formulas escaped, ``.for_excel(path)`` splits a report longer than
        an Excel sheet.

        Examples
        --------
        >>> len(Dataset().validation_report())
        0
        """
        from .validation import ValidationReport  # validation imports this module

        return ValidationReport(self.validation)

    # display -----------------------------------------------------------------------
    def row_counts(self) -> pd.DataFrame:
        """Rows and columns per table as a DataFrame (``table``, ``name_zh``, ``rows``, ``columns``)."""
        recs = []
        for name in self.tables:
            frame = self._tables[name]
            recs.append(
                {"table": name, "name_zh": TABLES[name].zh, "rows": _nrows(frame),
                 "columns": _ncols(frame)}
            )
        return pd.DataFrame(recs, columns=["table", "name_zh", "rows", "columns"])

    def _repr_html_(self) -> str:
        """The row counts and the validation summary, for Jupyter."""
        head = (f"<p><b>coopmetrics.Dataset</b> · {len(self.tables)} table(s) · "
                f"validation: {len(self.validation)} problem(s) (<code>.validation</code>)</p>")
        return head + self.row_counts()._repr_html_()

    def __repr__(self) -> str:
        lines = ["coopmetrics.Dataset"]
        for rec in self.row_counts().itertuples(index=False):
            lines.append(f"  {rec.table:<12} {rec.name_zh:<8} {rec.rows:>10,} rows  {rec.columns:>3} columns")
        if not self.tables:
            lines.append("  (no tables)")
        lines.append(f"  validation: {len(self.validation)} problem(s) reported (see .validation)")
        return "\n".join(lines)


class Tables(Mapping[str, Any]):
    """Read-only mapping of a Dataset's tables (name -> frame) in schema order.

    Examples
    --------
    >>> t = Tables({"graduates": pd.DataFrame({"a": [1]})})
    >>> list(t), len(t["graduates"]), t == ["graduates"]
    (['graduates'], 1, True)
    """

    def __init__(self, frames: dict[str, Any]) -> None:
        self._frames = frames

    def __getitem__(self, name: str) -> Any:
        return self._frames[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._frames)

    def __len__(self) -> int:
        return len(self._frames)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, list | tuple):  # the list of names ``tables`` used to be
            return list(self._frames) == list(other)
        if isinstance(other, Mapping):  # same names holding the very same frames
            return list(self._frames) == list(other) and all(self._frames[k] is other[k] for k in other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable-looking containers are unhashable

    def __repr__(self) -> str:
        return repr(list(self._frames))


def _ncols(frame: Any) -> int:
    """Column count; lazy frames report their schema without resolving data (and without warnings)."""
    schema = getattr(frame, "collect_schema", None)
    if callable(schema):  # polars LazyFrame / DataFrame
        return len(schema())
    return len(getattr(frame, "columns", []))


def _nrows(frame: Any) -> int | str:
    """Row count of an eager or lazy frame without materialising it where possible."""
    if isinstance(frame, pd.DataFrame):
        return len(frame)
    try:  # narwhals covers polars (lazy), duckdb, dask
        import narwhals as nw

        from .engines import to_narwhals

        lf = to_narwhals(frame).lazy()
        return int(lf.select(nw.len()).collect().item())
    except Exception:  # pragma: no cover - unknown engine
        return "?"
