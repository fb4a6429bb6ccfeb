"""Cross-table link rules: a 学号 of 岗位实习 or 问卷 that no kept graduate has (flagged, kept).

The links are declared in :data:`coopmetrics.schema.LINKS` and become ``link`` records of
:data:`coopmetrics.rules_validation.RULES` (so they appear in the generated rules table). They
run once every table is loaded, against the *kept* rows of the referred table, on whatever
holds each table: an eager pandas frame (with its ``_file``/``_sheet``/``_row`` columns) or a
lazy narwhals frame (with ``_idx``, on DuckDB, Polars or pandas). A lazy table is tested by one
anti-join in its engine, the other side brought to that engine (an eager side is already in
memory; a lazy side of another engine contributes its distinct values only); an eager table by
``isin`` on its distinct values. The eager route lists every offending row, the lazy route the
first ``first_k`` per file, both count them all.

Examples
--------
>>> import pandas as pd
>>> from coopmetrics.links import check_links
>>> g = pd.DataFrame({"student_id": ["1", "2"], "_file": "g.csv", "_sheet": "", "_row": [2, 3]})
>>> i = pd.DataFrame({"student_id": ["2", "9", None], "_file": "i.csv", "_sheet": "", "_row": [2, 3, 4]})
>>> report, counts = check_links({"graduates": g, "internships": i}, files=[], headers={})
>>> report[["file", "row", "value", "problem"]].values.tolist()
[['i.csv', 3, '9', 'unlinked_id']]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import narwhals as nw
import pandas as pd

from .rules_validation import _ROW_SHIFT, COUNT_COLUMNS, RULES, Rule, _collect, _small
from .validation import META, _header_lookup, counts_of, empty_report, problem_rows

__all__ = ["check_links", "LINK_RULES"]

#: The declared link records (``check == "link"``), in schema order.
LINK_RULES: tuple[Rule, ...] = tuple(r for r in RULES if r.check == "link")


def _is_lazy(frame: Any) -> bool:
    return isinstance(frame, nw.LazyFrame)


def _keys_on(frame: Any, parent: Any, column: str, as_name: str) -> Any:
    """The values of ``parent[column]`` as a one-column lazy table on ``frame``'s backend."""
    if _is_lazy(parent) and parent.implementation == frame.implementation:
        return parent.select(nw.col(column).alias(as_name))
    if _is_lazy(parent):  # another engine: its distinct values only
        vals = _collect(parent.filter(~nw.col(column).is_null()).group_by(column).agg(nw.len())).get_column(column)
        vals = vals.to_list()
    else:
        vals = pd.unique(parent[column].dropna()).tolist()
    return _small(frame, {as_name: [str(v) for v in vals]}, {as_name: nw.String()})


def _found(values: list[str], parent: Any, column: str) -> set[str]:
    """Which of ``values`` occur in ``parent[column]`` (eager: isin; lazy: a semi-join in its engine)."""
    if not _is_lazy(parent):
        s = pd.Series(values, dtype=object)
        return set(s[s.isin(parent[column].dropna())])
    small = _small(parent, {column: values}, {column: nw.String()})
    hit = _collect(small.join(parent.select(column), on=column, how="semi")).get_column(column).to_list()
    return set(hit)


def _eager(rule: Rule, child: pd.DataFrame, parent: Any, headers: dict) -> pd.DataFrame:
    col = child[rule.column]
    present = col.notna().to_numpy()
    distinct = pd.unique(col[present]).tolist()
    ok = _found([str(v) for v in distinct], parent, rule.ref[1]) if distinct else set()
    bad = present & ~col.astype(object).isin(ok).to_numpy()
    sub = child.loc[bad]
    return problem_rows(sub[list(META)], table=rule.table, column=_header_lookup(sub, rule.column, headers),
                        values=sub[rule.column].tolist(), problem=rule.problem, action=rule.action,
                        detail=rule.detail)


def _lazy(rule: Rule, child: Any, parent: Any, files: Sequence[str], headers: dict,
          first_k: int | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    keys = _keys_on(child, parent, rule.ref[1], rule.column)
    off = _collect(child.filter(~nw.col(rule.column).is_null()).join(keys, on=rule.column, how="anti")
                   .select("_idx", rule.column)).to_pandas().sort_values("_idx", kind="stable")
    idx = off["_idx"].to_numpy(dtype="int64")
    off["_file"] = [files[int(i)] for i in idx // _ROW_SHIFT]
    off["_sheet"] = ""
    off["_row"] = idx % _ROW_SHIFT
    n = off.groupby("_file", sort=False).size()
    if first_k is not None:
        off = off[off.groupby("_file").cumcount().to_numpy() < first_k]
    report = problem_rows(off[list(META)], table=rule.table, column=_header_lookup(off, rule.column, headers),
                          values=off[rule.column].tolist(), problem=rule.problem, action=rule.action,
                          detail=rule.detail)
    listed = off.groupby("_file", sort=False).size()
    counts = pd.DataFrame({"table": rule.table, "file": n.index.astype(str), "sheet": "",
                           "column": [headers.get((f, ""), {}).get(rule.column, rule.column) for f in n.index],
                           "problem": rule.problem, "action": rule.action, "rows": n.to_numpy(dtype="int64"),
                           "listed": [int(listed.get(f, 0)) for f in n.index]})
    return report, counts[COUNT_COLUMNS]


def check_links(tables: dict[str, Any], *, files: Sequence[str], headers: dict,
                first_k: int | None = 20) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the link rules between loaded tables.

    Parameters
    ----------
    tables : dict
        Table name -> kept rows: a pandas frame with ``_file``, ``_sheet``, ``_row``, or a
        narwhals LazyFrame with ``_idx`` (lazy route).
    files : sequence of str
        Display names of the lazy inputs, indexed by ``_idx // 2**40``.
    headers : dict
        ``(file, sheet) -> {canonical: header as written}`` for messages.
    first_k : int or None, default 20
        Lazy tables: offending rows listed per file (all are counted).

    Returns
    -------
    (report, counts)
        Validation rows (:data:`~coopmetrics.dataset.VALIDATION_COLUMNS`) and exact counts
        (:data:`~coopmetrics.rules_validation.COUNT_COLUMNS`).
    """
    reports, counts = [], []
    for rule in LINK_RULES:
        child, parent = tables.get(rule.table), tables.get(rule.ref[0])
        if child is None or parent is None:
            continue
        names = child.collect_schema().names() if _is_lazy(child) else list(child.columns)
        pnames = parent.collect_schema().names() if _is_lazy(parent) else list(parent.columns)
        if rule.column not in names or rule.ref[1] not in pnames:
            continue
        if _is_lazy(child):
            rep, cnt = _lazy(rule, child, parent, files, headers, first_k)
        else:
            rep = _eager(rule, child, parent, headers)
            cnt = counts_of(rep)
        reports.append(rep)
        counts.append(cnt)
    report = pd.concat(reports, ignore_index=True) if reports else empty_report()
    return report, (pd.concat(counts, ignore_index=True) if counts else counts_of(None))
