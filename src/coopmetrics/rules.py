"""Quantitative rules the source documents set, checked per major, department or school.

The seeds set numbers: "10 % of teachers a year two months in firms", "every major backed by at
least three partner firms", "200+ partners" (see ``docs/rules.md``). They are not national
targets, so they are kept out of the registry's ``target`` and live in a **rules file** a school
can edit or replace: ``coopmetrics/data/rules.csv`` (UTF-8 CSV with Chinese headers; an ``.xlsx``
with the same headers works too). One row per rule:

======== ====================================================================================
规则编号 rule id (free text, unique)
规则     the rule in words
指标     indicator id of :mod:`coopmetrics.registry` (``coopmetrics indicators`` lists them)
层级     ``专业`` (checked per major), ``院系`` (per department) or ``全校`` (whole school)
比较     ``>=`` (at least; also ``≥``) or ``<=`` (at most; also ``≤``)
阈值     a number in the indicator's unit; shares may be written ``10%`` or ``0.1``
来源     citation
说明     note (optional)
======== ====================================================================================

:func:`check_rules` computes each rule's indicator with :func:`coopmetrics.compute` (one call
per level) and compares it with :func:`coopmetrics.targets.compare_targets`, so "met" means the
same everywhere in the library (unrounded, ``value >= threshold`` up to 1e-12 round-off).

Examples
--------
>>> import pandas as pd
>>> import coopmetrics as cm
>>> from coopmetrics.rules import check_rules
>>> t = pd.DataFrame({"teacher_id": ["a", "b", "c"], "year": 2024, "major": ["数控", "数控", "会计"],
...                   "category": ["enterprise_part_time"] * 3})
>>> res = check_rules(cm.Dataset(teachers=t), 2024, rules="R001-2")
>>> res[["group", "value", "threshold", "result", "gap"]].to_dict("list")
{'group': ['会计', '数控'], 'value': [1.0, 2.0], 'threshold': [3.0, 3.0], 'result': ['未达标', '未达标'], 'gap': [-2.0, -1.0]}
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from .dataset import Dataset
from .errors import InputError, check_option, closest
from .registry import _BY_ID, YEAR_COLUMN, Options, get_indicator

__all__ = ["RULE_HEADERS", "RESULT_COLUMNS", "LEVELS", "default_rules_path", "read_rules", "check_rules"]

#: Chinese header of the rules file -> canonical column (English headers are accepted too).
RULE_HEADERS: dict[str, str] = {
    "规则编号": "rule_id", "规则": "rule", "指标": "indicator", "层级": "level", "比较": "op",
    "阈值": "threshold", "来源": "source", "说明": "note",
}
#: 层级 -> group column (None: the whole school).
LEVELS: dict[str, str | None] = {"专业": "major", "院系": "department", "全校": None,
                                 "major": "major", "department": "department", "school": None}
_LEVEL_ZH = {"major": "专业", "department": "院系", None: "全校"}
_OPS = {">=": "higher", "≥": "higher", "=>": "higher", "不少于": "higher", "<=": "lower", "≤": "lower",
        "=<": "lower", "不多于": "lower"}

#: Columns of :func:`check_rules`, in order.
RESULT_COLUMNS = [
    "rule_id", "rule", "indicator", "level", "group", "year", "value", "op", "threshold", "gap", "met", "result",
    "numerator", "denominator", "ci_low", "ci_high", "unit", "status", "source", "note",
]


def default_rules_path() -> Path:
    """Path of the shipped rules file (``coopmetrics/data/rules.csv``).

    Examples
    --------
    >>> default_rules_path().name
    'rules.csv'
    """
    return Path(str(resources.files("coopmetrics") / "data" / "rules.csv"))


def _threshold(raw: object) -> tuple[float | None, bool]:
    """(value, written as a percentage) of a 阈值 cell; (None, False) when unreadable."""
    s = unicodedata.normalize("NFKC", str(raw)).strip().replace(",", "")
    pct = s.endswith("%")
    m = re.fullmatch(r"[-+]?\d+(\.\d+)?", s.rstrip("%").strip())
    if not m:
        return None, False
    v = float(m.group(0))
    return (v / 100 if pct else v), pct


def read_rules(rules: str | Path | pd.DataFrame | None = None) -> pd.DataFrame:
    """Read and check a rules file (or frame) into canonical columns.

    Parameters
    ----------
    rules : path, DataFrame or None
        ``None`` reads :func:`default_rules_path`. A ``.csv`` (UTF-8, UTF-8 with BOM or GBK) or
        ``.xlsx`` file, or a DataFrame, with the Chinese headers of :data:`RULE_HEADERS` (or their
        English names).

    Returns
    -------
    DataFrame
        ``rule_id, rule, indicator, level, op, threshold, source, note`` with ``level`` in
        {``major``, ``department``, ``school``} and ``op`` in {``>=``, ``<=``}.

    Raises
    ------
    coopmetrics.errors.InputError
        Missing column, unknown indicator, level or comparison, unreadable threshold, a share
        above 1 written without ``%``; the message names the file, the row as shown in Excel
        and the column.

    Examples
    --------
    >>> r = read_rules()
    >>> r.loc[r["rule_id"] == "R002-1", ["indicator", "level", "threshold"]].to_dict("records")
    [{'indicator': 'partner_count', 'level': 'major', 'threshold': 3.0}]
    """
    file = "rules (DataFrame)"
    if rules is None:
        rules = default_rules_path()
    if isinstance(rules, pd.DataFrame):
        raw = rules.copy()
    else:
        path = Path(rules)
        file = path.name
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            raw = pd.read_excel(path, dtype=str, engine="calamine")
        else:
            data = path.read_bytes()
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = data.decode("gbk")
            from io import StringIO

            raw = pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)
    names = {**RULE_HEADERS, **{v: v for v in RULE_HEADERS.values()}}
    raw = raw.rename(columns=lambda c: names.get(unicodedata.normalize("NFKC", str(c)).strip(), c))
    need = ["rule_id", "indicator", "level", "op", "threshold"]
    missing = [c for c in need if c not in raw.columns]
    if missing:
        zh = [k for k, v in RULE_HEADERS.items() if v in missing]
        raise InputError(f"规则文件缺少列 {zh}", f"the rules file lacks column(s) {missing}", file=file,
                         column=", ".join(zh), hint_zh=f"需要的列：{list(RULE_HEADERS)}",
                         hint_en=f"expected headers: {list(RULE_HEADERS)}")
    for c in ("rule", "source", "note"):
        if c not in raw.columns:
            raw[c] = ""
    raw = raw.fillna("")
    out = []
    for i, r in enumerate(raw.to_dict("records")):  # a few dozen rules: validated one by one for the message
        out.append(_check_row(r, file, row=i + 2))
    frame = pd.DataFrame(out, columns=["rule_id", "rule", "indicator", "level", "op", "threshold", "source", "note"])
    dup = frame["rule_id"].duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0]) + 2
        raise InputError("规则编号重复", "duplicate rule id", file=file, row=row, column="规则编号",
                         value=str(frame["rule_id"][dup].iloc[0]))
    return frame


def _check_row(r: dict[str, Any], file: str, row: int) -> dict[str, Any]:
    rid = str(r["rule_id"]).strip()
    ind_id = str(r["indicator"]).strip()
    try:
        ind = get_indicator(ind_id)
    except KeyError:
        near = closest(ind_id, _BY_ID)
        maybe_zh = f"是否想用 {near[0]!r}？" if near else ""
        maybe_en = f"did you mean {near[0]!r}? " if near else ""
        raise InputError(f"未知指标 {ind_id!r}", f"unknown indicator {ind_id!r}", file=file, row=row, column="指标",
                         hint_zh=f"{maybe_zh}用 coopmetrics.indicators() 查看全部指标。",
                         hint_en=f"{maybe_en}See coopmetrics.indicators() for all ids.") from None
    level_raw = str(r["level"]).strip()
    if level_raw not in LEVELS:
        raise InputError(f"层级只能是 专业/院系/全校，收到 {level_raw!r}",
                         f"level must be 专业/院系/全校 (major/department/school), got {level_raw!r}",
                         file=file, row=row, column="层级")
    op_raw = unicodedata.normalize("NFKC", str(r["op"])).strip()
    op_raw = {"≥": ">=", "≤": "<="}.get(op_raw, op_raw)
    if op_raw not in _OPS:
        raise InputError(f"比较只能是 >= 或 <=，收到 {op_raw!r}", f"comparison must be >= or <=, got {op_raw!r}",
                         file=file, row=row, column="比较")
    thr, pct = _threshold(r["threshold"])
    if thr is None:
        raise InputError(f"阈值 {r['threshold']!r} 不是数字", f"threshold {r['threshold']!r} is not a number",
                         file=file, row=row, column="阈值")
    if ind.unit == "share" and thr > 1 and not pct:
        raise InputError(f"指标 {ind_id} 是比例，阈值 {thr:g} 大于 1；请写成 {thr:g}% 或 {thr / 100:g}",
                         f"indicator {ind_id} is a share and the threshold {thr:g} exceeds 1; write {thr:g}% "
                         f"or {thr / 100:g}", file=file, row=row, column="阈值")
    level = LEVELS[level_raw]
    return {"rule_id": rid, "rule": str(r["rule"]).strip(), "indicator": ind_id,
            "level": level or "school", "op": ">=" if _OPS[op_raw] == "higher" else "<=",
            "threshold": thr, "source": str(r["source"]).strip(), "note": str(r["note"]).strip()}


def _groups(data: Dataset, column: str, year: int) -> pd.Series:
    """Every value of ``column`` any table of ``data`` has in ``year`` (the majors a rule applies to)."""
    vals: list[pd.Series] = []
    for t in data.tables:  # one small query per table, not per group
        frame = nw.from_native(data[t]).lazy()
        names = frame.collect_schema().names()
        ycol = YEAR_COLUMN.get(t, "year")
        if column not in names or ycol not in names:
            continue
        got = frame.filter(nw.col(ycol) == year).select(nw.col(column)).unique().collect().to_pandas()[column]
        vals.append(got.dropna().astype(str))
    if not vals:
        return pd.Series([], dtype=object, name="group")
    return pd.Series(sorted(set(pd.concat(vals))), dtype=object, name="group")


def check_rules(
    data: Dataset,
    year: int,
    rules: str | Path | pd.DataFrame | Sequence[str] | None = None,
    by: str = "major",
    *,
    options: Options | None = None,
) -> pd.DataFrame:
    """Check the rules for one year: value, threshold, 达标/未达标, gap, numerator and denominator.

    Parameters
    ----------
    data : Dataset
        The college's tables (optional tables may be absent: their rules say 未提供数据).
    year : int
        Reporting year (the tables' year column; ``grad_year`` for graduates).
    rules : path, DataFrame, list of rule ids or None
        A rules file or frame (see :func:`read_rules`); a list of rule ids picks rows of the
        shipped file; ``None`` uses the whole shipped file.
    by : {"major", "department"}
        Group column for the rules whose 层级 is 专业. ``"department"`` applies their
        thresholds per department instead (for schools whose unit is the department); rules
        at 院系 or 全校 level keep their level.
    options : Options, optional
        Definition options passed to :func:`coopmetrics.compute`.

    Returns
    -------
    DataFrame
        One row per rule and group (:data:`RESULT_COLUMNS`): ``group`` is the major or department
        (``全校`` for school rules); ``value`` the indicator estimate; ``gap`` = value − threshold
        (negative: short of an "at least" rule); ``met`` a nullable boolean; ``result`` 达标
        (met), 未达标 (not met) or 未提供数据 (table or column not provided, or no units in the
        group, e.g. no teachers to take a share of); ``numerator``/``denominator``, ``ci_low``/``ci_high``
        (the indicator's interval; none for counts and totals) from compute;
        ``status`` the compute status, or ``no_rows`` for a group with no row in the
        indicator's table, whose count or total is then 0.

    Notes
    -----
    Groups are every major (department) that appears in any table for ``year``, so a major with
    no partner firm in the ledger gets 0 partner firms and 未达标 rather than no row.

    Examples
    --------
    >>> import pandas as pd, coopmetrics as cm
    >>> e = pd.DataFrame({"enterprise": ["甲", "乙", "丙", "甲"], "year": 2024, "major": ["数控"] * 3 + ["会计"]})
    >>> check_rules(cm.Dataset(enterprises=e), 2024, ["R002-1"])[["group", "value", "result"]].to_dict("list")
    {'group': ['会计', '数控'], 'value': [1.0, 3.0], 'result': ['未达标', '达标']}
    """
    from .compute import compute
    from .targets import compare_targets

    if rules is not None and not isinstance(rules, (str, Path, pd.DataFrame)):
        wanted = list(rules)
        allr = read_rules()
        unknown = sorted(set(wanted) - set(allr["rule_id"]))
        if unknown:
            raise InputError(f"默认规则文件中没有规则 {unknown}", f"no rule(s) {unknown} in the default rules file",
                             file=default_rules_path().name, column="规则编号")
        table = allr[allr["rule_id"].isin(wanted)]
    elif isinstance(rules, str) and not Path(rules).suffix:  # a single rule id
        return check_rules(data, year, [rules], by, options=options)
    else:
        table = read_rules(rules)
    if not isinstance(data, Dataset):
        raise InputError("check_rules() 需要 Dataset", "check_rules() needs a Dataset")
    check_option("by", by, ["major", "department"], "check_rules")
    if by == "department":
        table = table.assign(level=table["level"].replace({"major": "department"}))
    parts = []
    for level, rs in table.groupby("level", sort=False):  # at most three levels: one compute() each
        col = LEVELS[level]
        by = ("year",) if col is None else ("year", col)
        res = compute(data, indicators=list(dict.fromkeys(rs["indicator"])), by=by, options=options)
        parts.append(_level_frame(data, year, rs, res, col))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=RESULT_COLUMNS)
    out["direction"] = np.where(out["op"] == ">=", "higher", "lower")
    out["target"] = out["threshold"]
    status = out["status"]
    out = compare_targets(out.assign(status=out.pop("cmp_status")))
    out["status"] = status
    out["value"] = out["estimate"]
    out["met"] = out["meets_target"]
    out["result"] = np.where(out["met"].isna(), "未提供数据", np.where(out["met"].fillna(False), "达标", "未达标"))
    out["year"] = int(year)
    order = {r: i for i, r in enumerate(table["rule_id"])}
    out = out.sort_values(["rule_id", "group"], key=lambda s: s.map(order) if s.name == "rule_id" else s,
                          kind="stable", ignore_index=True)
    return out[RESULT_COLUMNS]


def _level_frame(data: Dataset, year: int, rs: pd.DataFrame, res: pd.DataFrame, col: str | None) -> pd.DataFrame:
    """Rules of one level x groups, joined to the compute() rows of ``year`` (vectorised merges)."""
    keep = ["indicator", "numerator", "denominator", "estimate", "ci_low", "ci_high", "unit", "status"]
    res = res.astype({c: object for c in ("indicator", "unit", "status")})  # compute() gives categoricals
    yr = pd.to_numeric(res["year"], errors="coerce")
    found = res[yr.eq(year)]
    missing = res[res["status"].astype(str).isin(["missing_input", "not_applicable"])]
    if col is None:
        rows = rs.assign(group="全校").merge(found[keep], on="indicator", how="left")
    else:
        groups = _groups(data, col, year).to_frame()
        found = found.rename(columns={col: "group"})
        rows = rs.merge(groups, how="cross").merge(found[[*keep, "group"]].assign(group=lambda d: d["group"].astype(
            object).astype(str)), on=["indicator", "group"], how="left")
    # an indicator whose table is absent (or cannot be grouped) says so for every group
    miss = rows["indicator"].isin(missing["indicator"]) & rows["status"].isna()
    rows.loc[miss, "status"] = rows.loc[miss, "indicator"].map(
        missing.drop_duplicates("indicator").set_index("indicator")["status"].astype(str))
    # a group with no row in a present table: counts and totals are 0, shares undefined
    meta = {i: get_indicator(i) for i in rows["indicator"].unique()}  # one lookup per rule, not per group
    kinds = rows["indicator"].map({i: m.kind for i, m in meta.items()})
    absent = rows["status"].isna()
    zero = absent & kinds.isin(["count", "sum"])
    rows.loc[zero, ["numerator", "estimate"]] = 0.0
    rows.loc[absent, "status"] = "no_rows"
    rows["unit"] = rows["unit"].fillna(rows["indicator"].map({i: m.unit for i, m in meta.items()}))
    # compare_targets compares reported cells only
    rows["status"] = rows["status"].astype(str)
    rows["cmp_status"] = np.where(zero | rows["status"].eq("reported"), "reported", rows["status"])
    rows["level"] = _LEVEL_ZH[col]
    return rows

