"""Personal data and the validation report: masking, and the ``coopmetrics validate`` summary."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..dataset import Dataset
from ..schema import TABLES, resolve_header
from ..validation import NOTE_PROBLEMS
from .labels import MASK as _MASK
from .labels import isnan as _isnan

__all__ = ["INFO_PROBLEMS", "scrub_validation", "validation_summary", "drop_pii"]

#: Validation rows that inform rather than report a problem (``coopmetrics validate`` exits 0 on them).
INFO_PROBLEMS = NOTE_PROBLEMS  # notes, not data problems: one list, in validation.py


def _pii_headers() -> tuple[set[str], set[str]]:
    """Canonical PII column names and every accepted header of them."""
    names: set[str] = set()
    for t in TABLES.values():
        names.update(t.pii)
    return names, names


def _is_pii_column(table: Any, column: Any) -> bool:
    if column is None or (isinstance(column, float) and math.isnan(column)):
        return False
    names, _ = _pii_headers()
    col = str(column)
    if col in names:
        return True
    tables = [str(table)] if str(table) in TABLES else list(TABLES)
    for t in tables:
        canon, _mult = resolve_header(t, col)
        if canon in names:
            return True
    return False


def scrub_validation(validation: pd.DataFrame) -> pd.DataFrame:
    """Return the validation report with values of personal-data columns masked.

    The loader drops or hashes names, ID-card numbers and phones, but a
    problem found in such a column (say a malformed phone number) would carry
    the value in ``value`` and in the messages. Those are replaced by
    ``<已隐去/masked>``.

    Examples
    --------
    >>> import pandas as pd
    >>> v = pd.DataFrame({"table": ["graduates"], "column": ["手机号"], "value": ["13800138000"],
    ...                   "message_zh": ["手机号 13800138000 格式错误"], "message_en": ["bad 13800138000"]})
    >>> scrub_validation(v).loc[0, ["value", "message_en"]].tolist()
    ['<已隐去/masked>', 'bad <已隐去/masked>']
    """
    out = validation.copy()
    if out.empty or "column" not in out.columns:
        return out
    table = out["table"] if "table" in out.columns else pd.Series([None] * len(out), index=out.index)
    pii = np.array([_is_pii_column(t, c) for t, c in zip(table, out["column"], strict=True)], dtype=bool)
    if not pii.any():
        return out
    if "value" in out.columns:
        raw = out.loc[pii, "value"].astype(str)
        for col in ("message_zh", "message_en", "problem"):
            if col in out.columns:
                out[col] = out[col].astype(object)
                out.loc[pii, col] = [
                    str(m).replace(v, _MASK) if v and v not in ("nan", "None") else m
                    for m, v in zip(out.loc[pii, col], raw, strict=True)
                ]
        out["value"] = out["value"].astype(object)
        out.loc[pii, "value"] = _MASK
    return out


def validation_summary(data: Dataset, *, limit: int | None = 30) -> tuple[str, int]:
    """Bilingual text summary of a dataset's validation report and row accounting.

    Parameters
    ----------
    data : Dataset
        A loaded dataset (``data.validation``, ``data.accounting``).
    limit : int, optional
        Show at most this many problems (all with ``None``).

    Returns
    -------
    (text, problems) : tuple of str and int
        The printable summary and the number of problems found (rows whose
        ``problem`` is in :data:`INFO_PROBLEMS`, such as a personal-data column
        dropped at load, are listed as notes and not counted).

    Examples
    --------
    >>> import coopmetrics as cm
    >>> text, k = validation_summary(cm.Dataset())
    >>> k
    0
    """
    val = scrub_validation(data.validation)
    lines: list[str] = []
    acc = data.accounting
    if acc is not None and len(acc):
        lines.append("行数核对 / row accounting:")
        lines.append(f"  {'table':<12} {'rows_read':>9} {'kept':>7} {'fixed':>7} {'excluded':>8}  file")
        for rec in acc.itertuples(index=False):
            sheet = f" [{rec.sheet}]" if isinstance(rec.sheet, str) and rec.sheet else ""
            lines.append(f"  {rec.table!s:<12} {rec.rows_read:>9} {rec.kept:>7} {rec.fixed:>7} "
                         f"{rec.excluded:>8}  {rec.file}{sheet}")
    elif data.tables:
        lines.append("数据表 / tables: " + ", ".join(f"{t} ({len(data[t])} rows)" for t in data.tables
                                                   if isinstance(data[t], pd.DataFrame)))
    info_mask = val["problem"].isin(INFO_PROBLEMS).to_numpy() if "problem" in val.columns else np.zeros(
        len(val), dtype=bool)
    info, val = val[info_mask], val[~info_mask]
    if len(info):
        lines.append("信息（不算问题） / notes (not problems):")
        for rec in info.to_dict("records"):
            lines.append(f"  {_where(rec)} {rec.get('message_zh', '')} / {rec.get('message_en', '')}")
    k = len(val)
    if k == 0:
        lines.append("未发现问题。 / No problems found.")
        return "\n".join(lines), 0
    counts = val.groupby(["action"], dropna=False).size() if "action" in val.columns else pd.Series(dtype=int)
    lines.append(f"发现 {k} 个问题 / {k} problem(s) found"
                 + (" (" + ", ".join(f"{a}: {n}" for a, n in counts.items()) + ")" if len(counts) else ""))
    if "problem" in val.columns:
        lines.append("按问题类型 / by problem:")
        for prob, n in val.groupby("problem", dropna=False).size().sort_values(ascending=False).items():
            lines.append(f"  {n:>6}  {prob}")
    shown = val if limit is None else val.head(limit)
    lines.append("明细 / details (文件 file, 工作表 sheet, 行 Excel row, 列 column):")
    for rec in shown.to_dict("records"):
        zh = rec.get("message_zh", "") or rec.get("problem", "")
        en = rec.get("message_en", "")
        action = rec.get("action", "")
        lines.append(f"  {_where(rec)} ({action}) {zh}" + (f" / {en}" if en and en != zh else ""))
    if limit is not None and k > limit:
        lines.append(f"  … 另有 {k - limit} 条，用 --all 查看全部 / {k - limit} more, use --all to list all")
    return "\n".join(lines), k


def _where(rec: Mapping[str, Any]) -> str:
    where = ", ".join(
        f"{lab} {rec[c]}" for c, lab in (("file", "文件/file"), ("sheet", "工作表/sheet"),
                                         ("row", "行/row"), ("column", "列/column"))
        if c in rec and not _isnan(rec[c]) and str(rec[c]) != ""
    )
    return f"[{where}]"



def drop_pii(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame without personal-data columns (names, ID-card numbers, phones ...)."""
    names, _ = _pii_headers()
    bad = [c for c in frame.columns if c in names]
    return frame.drop(columns=bad) if bad else frame
