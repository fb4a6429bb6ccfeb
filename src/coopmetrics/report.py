"""The yearly report (年度质量报告): tables and figures, then Excel and HTML renderers.

:func:`build_report` computes everything and does no I/O; the returned
:class:`Report` holds tidy tables (name -> DataFrame with English column ids)
and matplotlib figures. :meth:`Report.to_excel` writes one sheet per table with
Chinese (or English) sheet names and headers, numbers as numbers with Excel
number formats; :meth:`Report.to_html` writes one self-contained HTML file
(inline CSS, plots embedded as base64 PNG).

Tables (``Report.tables`` keys)
-------------------------------
``about``        说明: college, year, options, legend
``scorecard``    计分卡: graduate outcomes and satisfaction, report year and the year before
``resources``    教学资源表: 生师比, 双师 ratios (both denominators), titles, enterprise teaching
``service``      服务贡献表: graduates, placed, regional/employer-type counts, income, training
``internship``   实习合规: internship hire, relevance, insurance, pay and duration compliance
``by_group``     分院系/分专业指标: every indicator of the report year by department or major
``enterprise``   合作企业贡献: one row per partner firm for the report year
``cohorts``      队列比较: order class / apprenticeship / named class vs regular (``compare()``)
``yoy``          年度变化: change from the previous year with a CI
``definitions``  指标定义: every indicator used, with numerator, denominator, edition, source
``validation``   数据校验: the validation report (personal data masked)
``accounting``   行数核对: rows read / kept / fixed / excluded per table and file

Examples
--------
>>> import coopmetrics as cm
>>> rep = cm.build_report(cm.sample.load_sample(), 2024)   # doctest: +SKIP
>>> rep.to_excel("报告.xlsx"); rep.to_html("报告.html")      # doctest: +SKIP
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from .dataset import Dataset
from .errors import CoopmetricsError, InputError, check_option
from .registry import OPTION_INFO
from .schema import TABLES, resolve_header

__all__ = [
    "Report",
    "build_report",
    "definitions_table",
    "settings_table",
    "validation_summary",
    "scrub_validation",
    "SHEETS",
    "SUPPRESSED",
    "INFO_PROBLEMS",
]

_LANGS = ("zh", "en")
_DISCLOSURES = ("hesa", "min_n", "none")

#: How a suppressed cell is shown in every output, per language.
SUPPRESSED = {"zh": "<抑制>", "en": "suppressed"}
_MISSING = {"zh": "<缺少数据>", "en": "missing input"}
_NA = {"zh": "不适用", "en": "n/a"}
_MASK = "<已隐去/masked>"

#: Validation rows that inform rather than report a problem (``coopmetrics validate`` exits 0 on them).
INFO_PROBLEMS = frozenset({"pii_dropped", "derived_from_name", "generated_id", "not_validated"})

#: Table id -> (Chinese sheet name, English sheet name), in workbook order.
SHEETS: dict[str, tuple[str, str]] = {
    "about": ("说明", "About"),
    "scorecard": ("计分卡", "Scorecard"),
    "resources": ("教学资源表", "Teaching resources"),
    "service": ("服务贡献表", "Service contribution"),
    "internship": ("实习合规", "Internship compliance"),
    "by_group": ("分组指标", "By group"),
    "enterprise": ("合作企业贡献", "Partner firms"),
    "cohorts": ("队列比较", "Cohort comparisons"),
    "yoy": ("年度变化", "Year-over-year"),
    "definitions": ("指标定义", "Definitions"),
    "validation": ("数据校验", "Validation"),
    "accounting": ("行数核对", "Row accounting"),
}

# Column id -> (zh, en) header.
_HEADERS: dict[str, tuple[str, str]] = {
    "indicator": ("指标编号", "Indicator id"),
    "indicator_name": ("指标", "Indicator"),
    "year": ("年份", "Year"),
    "grad_year": ("毕业届别", "Cohort"),
    "department": ("院系", "Department"),
    "major": ("专业", "Major"),
    "numerator": ("分子", "Numerator"),
    "denominator": ("分母", "Denominator"),
    "n": ("样本量 n", "n"),
    "estimate": ("估计值", "Estimate"),
    "ci_low": ("95%置信区间下限", "95% CI low"),
    "ci_high": ("95%置信区间上限", "95% CI high"),
    "ci_method": ("区间方法", "CI method"),
    "n_eff": ("有效样本量", "Effective n"),
    "deff": ("设计效应", "Design effect"),
    "estimate_unweighted": ("未加权估计", "Unweighted estimate"),
    "response_rate": ("回收率", "Response rate"),
    "unit": ("单位", "Unit"),
    "target": ("目标值", "Target"),
    "meets_target": ("是否达标", "Meets target"),
    "status": ("状态", "Status"),
    "edition": ("口径版本", "Definition edition"),
    "previous": ("上年估计值", "Previous year"),
    "change": ("变化", "Change"),
    "change_ci_low": ("变化95%下限", "Change 95% CI low"),
    "change_ci_high": ("变化95%上限", "Change 95% CI high"),
    "p_value": ("p 值", "p-value"),
    "cohort": ("培养模式", "Cohort"),
    "reference": ("参照组", "Reference"),
    "n_cohort": ("队列人数", "n cohort"),
    "n_reference": ("参照组人数", "n reference"),
    "estimate_cohort": ("队列估计值", "Cohort estimate"),
    "estimate_reference": ("参照组估计值", "Reference estimate"),
    "difference": ("差值", "Difference"),
    "q_value": ("q 值（BH）", "q-value (BH)"),
    "ratio": ("比值", "Ratio"),
    "ratio_ci_low": ("比值95%下限", "Ratio 95% CI low"),
    "ratio_ci_high": ("比值95%上限", "Ratio 95% CI high"),
    "statistic": ("检验统计量", "Test statistic"),
    "effect_size": ("效应量", "Effect size"),
    "effect_size_type": ("效应量类型", "Effect size type"),
    "method": ("方法", "Method"),
    "adjusted": ("是否调整", "Adjusted"),
    "flags": ("提示", "Flags"),
    "dropped_covariates": ("剔除的协变量", "Dropped covariates"),
    "enterprise": ("企业名称", "Firm"),
    "name_zh": ("中文名称", "Chinese name"),
    "name_en": ("英文名称", "English name"),
    "kind": ("类型", "Kind"),
    "source": ("出处", "Source"),
    "table": ("数据表", "Table"),
    "file": ("文件", "File"),
    "sheet": ("工作表", "Sheet"),
    "row": ("Excel 行号", "Excel row"),
    "column": ("列", "Column"),
    "value": ("值", "Value"),
    "problem": ("问题", "Problem"),
    "action": ("处理", "Action"),
    "message_zh": ("说明（中文）", "Message (Chinese)"),
    "message_en": ("说明（英文）", "Message (English)"),
    "rows_read": ("读入行数", "Rows read"),
    "kept": ("保留", "Kept"),
    "fixed": ("已修正", "Fixed"),
    "excluded": ("已排除", "Excluded"),
    "item": ("项目", "Item"),
    "grade": ("证据等级", "Evidence grade"),
    "provisional": ("暂定口径", "Provisional"),
    "notes": ("备注", "Notes"),
    "majors": ("合作专业数", "Majors"),
    "partnership_start": ("合作开始年份", "Partnership start"),
    "equipment_value": ("设备值（元）", "Equipment value (yuan)"),
    "funds": ("资金投入（元）", "Funds (yuan)"),
    "donated_equipment": ("捐赠设备值（元）", "Donated equipment (yuan)"),
    "part_time_teachers": ("兼职教师数", "Part-time teachers"),
    "part_time_hours": ("兼职教师课时", "Part-time teaching hours"),
    "internship_positions": ("实习岗位数", "Internship positions"),
    "interns_received": ("接收实习学生数", "Interns received"),
    "order_students": ("订单培养人数", "Order-class students"),
    "graduates_hired": ("录用毕业生数", "Graduates hired"),
    "co_bases": ("共建实训基地数", "Co-built bases"),
    "co_courses": ("共同开发课程数", "Co-developed courses"),
    "co_textbooks": ("共同开发教材数", "Co-developed textbooks"),
    "tech_service_income": ("横向技术服务到款额（元）", "Technical-service income (yuan)"),
    "training_income": ("非学历培训到款额（元）", "Training income (yuan)"),
    "training_person_days": ("培训人日", "Training person-days"),
    "content": ("内容", "Content"),
    "key": ("键（选项字段名）", "Key (option field)"),
    "alternatives": ("可选项", "Alternatives"),
    "switch": ("如何更改", "How to change"),
}

_ACTIONS = {"fixed": ("已修正", "fixed"), "excluded": ("已排除", "excluded"), "flagged": ("已标记保留", "flagged")}

_STATUS = {
    "reported": ("已报告", "reported"),
    "suppressed": (SUPPRESSED["zh"], SUPPRESSED["en"]),
    "not_applicable": ("不适用", "not applicable"),
    "missing_input": (_MISSING["zh"], _MISSING["en"]),
}

_ENTERPRISE_SUMS = (
    "equipment_value", "funds", "donated_equipment", "part_time_teachers", "part_time_hours",
    "internship_positions", "interns_received", "order_students", "graduates_hired", "co_bases",
    "co_courses", "co_textbooks", "tech_service_income", "training_income", "training_person_days",
)

# Which section an indicator belongs to. Ids listed here are placed explicitly; any other
# indicator goes by the table it is computed from (see _Builder._section_of).
_SERVICE_IDS = {
    "graduates_total", "local_employment_share", "west_northeast_share", "sme_share", "top500_share",
    "partner_count", "active_partner_count", "interns_received", "internship_positions",
    "positions_per_graduate", "enterprise_hires_per_intern", "graduates_hired", "order_students",
    "tech_service_income", "training_income", "training_person_days",
}
_RESOURCE_IDS = {
    "student_teacher_ratio", "equipment_per_student", "funds_per_student", "equipment_value",
    "enterprise_funds", "part_time_teachers", "part_time_hours", "order_students_per_student",
}
_RESOURCE_TABLES = {"teachers", "enrollment"}

#: Smallest arm of a published cohort comparison (HESA: percentages on fewer than 22.5
#: people are suppressed; the same floor is applied to each arm).
_MIN_COHORT = 22.5



# --------------------------------------------------------------------------------------------------
# The Report object
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Report:
    """Yearly report: tidy tables and figures; render with :meth:`to_excel` / :meth:`to_html`.

    Attributes
    ----------
    year : int
        Report year (graduation cohort; teacher/enterprise tables use the same year).
    college : str
        College name from the data (or "" when absent).
    lang : {"zh", "en"}
        Language of names, sheet names and headers.
    by : str
        Breakdown column of the ``by_group`` table.
    tables : Mapping[str, pandas.DataFrame]
        Table id -> tidy frame (English column ids). See the module docstring.
    figures : Mapping[str, matplotlib.figure.Figure]
        Figure id -> figure.
    key_figures : tuple of dict
        Headline numbers for the top of the HTML report.
    notes : tuple of str
        Sections that could not be built and why (shown in both outputs).
    settings : Mapping[str, str]
        Options used (destination profile, 双师 definition, disclosure preset ...).
    kinds : Mapping[str, str]
        Indicator id -> kind (proportion, mean, count ...), for rendering.
    """

    year: int
    college: str
    lang: str
    by: str
    tables: Mapping[str, pd.DataFrame]
    figures: Mapping[str, Any] = field(default_factory=dict)
    key_figures: tuple[dict[str, Any], ...] = ()
    notes: tuple[str, ...] = ()
    settings: Mapping[str, str] = field(default_factory=dict)
    kinds: Mapping[str, str] = field(default_factory=dict)
    _png_cache: dict[int, str] = field(default_factory=dict, repr=False, compare=False)

    def __repr__(self) -> str:
        lines = [f"coopmetrics.Report {self.college or ''} {self.year} (lang={self.lang}, by={self.by})"]
        for name, frame in self.tables.items():
            lines.append(f"  {name:<12} {self.sheet_name(name):<14} {len(frame):>6} rows")
        lines.append(f"  figures: {', '.join(self.figures) or '(none)'}")
        for note in self.notes:
            lines.append(f"  note: {note}")
        return "\n".join(lines)

    def sheet_name(self, table: str) -> str:
        """Localised sheet name of a table id."""
        zh, en = SHEETS.get(table, (table, table))
        if table == "by_group":
            zh, en = ("分院系指标", "By department") if self.by == "department" else ("分专业指标", "By major")
        return zh if self.lang == "zh" else en

    def header(self, column: str) -> str:
        """Localised header of a column id."""
        zh, en = _HEADERS.get(column, (column, column))
        return zh if self.lang == "zh" else en

    # --- Excel ----------------------------------------------------------------------------
    def to_excel(self, path: str | Path) -> Path:
        """Write the workbook: one sheet per table, numbers kept as numbers.

        Shares are written as numbers with the ``0.0%`` format, counts with
        ``#,##0``, money with ``#,##0``; suppressed cells carry the text
        ``<抑制>`` (``suppressed``) instead of a number; the header row is frozen
        and has a filter; column widths fit the content.

        Returns
        -------
        pathlib.Path
            The path written.
        """
        import xlsxwriter

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        from .output import atomic_write  # the workbook is built in memory, then moved into place atomically

        buf = BytesIO()
        wb = xlsxwriter.Workbook(buf, {"nan_inf_to_errors": False})
        base = {"font_name": "Microsoft YaHei" if self.lang == "zh" else "Calibri", "font_size": 10}
        fmt = {
            "head": wb.add_format({**base, "bold": True, "bg_color": "#DCE6F1", "border": 1,
                                   "text_wrap": True, "valign": "vcenter"}),
            "pct": wb.add_format({**base, "num_format": "0.0%"}),
            "int": wb.add_format({**base, "num_format": "#,##0"}),
            "year": wb.add_format({**base, "num_format": "0"}),
            "num": wb.add_format({**base, "num_format": "#,##0.00"}),
            "p": wb.add_format({**base, "num_format": "0.0000"}),
            "text": wb.add_format(base),
            "mark": wb.add_format({**base, "font_color": "#9C0006", "bg_color": "#FFC7CE"}),
            "title": wb.add_format({**base, "bold": True, "font_size": 14}),
        }
        for table_id, frame in self.tables.items():
            ws = wb.add_worksheet(_safe_sheet(self.sheet_name(table_id)))
            cols = list(frame.columns)
            for j, c in enumerate(cols):
                ws.write_string(0, j, self.header(c), fmt["head"])
            widths = [_text_width(self.header(c)) for c in cols]
            shares = _share_rows(frame)
            suppressed = _status_mask(frame, "suppressed")
            missing = _status_mask(frame, "missing_input")
            values = frame.to_numpy(dtype=object)
            for i in range(len(frame)):
                for j, c in enumerate(cols):
                    text, number, kind = self._cell(c, values[i, j], bool(shares[i]), bool(suppressed[i]),
                                                    bool(missing[i]))
                    if number is not None:
                        ws.write_number(i + 1, j, number, fmt[kind])
                        shown = _excel_shown(number, kind)
                    elif text:
                        ws.write_string(i + 1, j, text, fmt["mark"] if kind == "mark" else fmt["text"])
                        shown = text
                    else:
                        shown = ""
                    widths[j] = max(widths[j], _text_width(shown))
            for j, w in enumerate(widths):
                ws.set_column(j, j, min(max(w + 2, 8), 60))
            ws.freeze_panes(1, 0)
            if len(frame) and len(cols):
                ws.autofilter(0, 0, len(frame), len(cols) - 1)
        wb.close()
        atomic_write(path, lambda t: t.write_bytes(buf.getvalue()), overwrite="force")
        return path

    def _cell(self, column: str, value: Any, share: bool, suppressed: bool, missing: bool
              ) -> tuple[str, float | None, str]:
        """(text, number, format kind) of one cell for Excel."""
        lang = self.lang
        if column in _ESTIMATE_COLS:
            if suppressed:
                return SUPPRESSED[lang], None, "mark"
            if missing and _isnan(value):
                return _MISSING[lang], None, "mark"
        if column in ("cohort", "reference") and isinstance(value, str):
            from .plots import _cohort_label

            return _cohort_label(value, lang), None, "text"
        if column == "action" and isinstance(value, str):
            return _ACTIONS.get(value, (value, value))[0 if lang == "zh" else 1], None, "text"
        if column == "flags" and isinstance(value, str):
            return _pick_lang(value, lang), None, "text"
        if column == "unit" and isinstance(value, str):
            from .plots import unit_label

            return unit_label(value, lang), None, "text"
        if column == "status":
            return _STATUS.get(str(value), (str(value), str(value)))[0 if lang == "zh" else 1], None, (
                "mark" if value in ("suppressed", "missing_input") else "text")
        if column == "meets_target":
            if _isnan(value):
                return "", None, "text"
            return (("是" if value else "否") if lang == "zh" else ("yes" if value else "no")), None, "text"
        if isinstance(value, bool | np.bool_):
            return (("是" if value else "否") if lang == "zh" else ("yes" if value else "no")), None, "text"
        if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
            if _isnan(value):
                return "", None, "text"
            v = float(value)
            if column in _PCT_ALWAYS or (share and column in _ESTIMATE_COLS):
                return "", v, "pct"
            if column in ("p_value", "q_value"):
                return "", v, "p"
            if column in _YEAR_COLS:
                return "", v, "year"
            if column in _INT_COLS or (float(v).is_integer() and column not in _ESTIMATE_COLS):
                return "", v, "int"
            return "", v, "num"
        if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
            return "", None, "text"
        return str(value), None, "text"

    # --- HTML ------------------------------------------------------------------------------
    def to_html(self, path: str | Path, *, embed_font: bool = True) -> Path:
        """Write one self-contained HTML file (inline CSS, figures as base64 PNG).

        Parameters
        ----------
        path : str or Path
        embed_font : bool
            Embed a subset of the bundled Noto Sans CJK SC font (only the
            characters the page uses, about 150-250 KB) so that Chinese renders
            on machines without a CJK system font. Takes a few seconds.

        Returns
        -------
        pathlib.Path
            The path written.
        """
        from .output import atomic_write

        page = self.html(embed_font=embed_font)  # rendered first: a failure leaves the previous file as it was
        return atomic_write(Path(path), lambda t: t.write_text(page, encoding="utf-8"), overwrite="force")

    def html(self, *, embed_font: bool = False) -> str:
        """The HTML report as a string (what :meth:`to_html` writes)."""
        page = _render_html(self)
        if embed_font:
            face = _font_face(page)
            if face:
                page = page.replace("<style>", f"<style>{face}", 1)
        return page


# Estimate-like columns: formatted by the row's unit, marked when suppressed.
_ESTIMATE_COLS = {"estimate", "ci_low", "ci_high", "previous", "change", "change_ci_low", "change_ci_high",
                  "estimate_cohort", "estimate_reference", "difference", "target", "estimate_unweighted"}
_PCT_ALWAYS = {"response_rate"}
_YEAR_COLS = {"year", "grad_year", "partnership_start", "row"}
_INT_COLS = {"numerator", "denominator", "n", "n_cohort", "n_reference", "rows_read", "kept", "fixed",
             "excluded"}


def _isnan(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return bool(isinstance(value, float | np.floating) and math.isnan(value))
    except TypeError:  # pragma: no cover
        return False


def _share_rows(frame: pd.DataFrame) -> np.ndarray:
    from .plots import is_share

    if "unit" in frame.columns:
        return frame["unit"].map(is_share).to_numpy(dtype=bool)
    if "_share" in frame.attrs:
        return np.full(len(frame), bool(frame.attrs["_share"]))
    return np.zeros(len(frame), dtype=bool)


def _status_mask(frame: pd.DataFrame, status: str) -> np.ndarray:
    if "status" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return (frame["status"].astype(str) == status).to_numpy()


def _text_width(text: str) -> int:
    # CJK characters are about twice as wide as Latin ones in Excel's default fonts.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(text))


def _excel_shown(number: float, kind: str) -> str:
    if kind == "pct":
        return f"{number:.1%}"
    if kind == "int":
        return f"{number:,.0f}"
    return f"{number:,.2f}"


def _safe_sheet(name: str) -> str:
    for ch in "[]:*?/\\":
        name = name.replace(ch, "_")
    return name[:31]


# --------------------------------------------------------------------------------------------------
# Personal data and the validation report
# --------------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------------
# Definitions
# --------------------------------------------------------------------------------------------------

_DEF_COLS = ("indicator", "name_zh", "name_en", "unit", "kind", "table", "numerator", "denominator",
             "edition", "target", "grade", "provisional", "source", "notes")


def definitions_table(indicators: Iterable[str] | None = None, *, lang: str = "zh") -> pd.DataFrame:
    """Registry definitions as a tidy frame (the report's 指标定义 sheet and ``coopmetrics indicators``).

    Parameters
    ----------
    indicators : iterable of str, optional
        Keep these ids (in registry order); default all.
    lang : {"zh", "en"}
        Language of the numerator and denominator descriptions.

    Returns
    -------
    pandas.DataFrame
        ``indicator, name_zh, name_en, unit, kind, table, numerator, denominator,
        edition, target, grade, provisional, source, notes`` (those the registry
        provides). ``grade`` is the evidence grade of the definition
        ([V] verified, [V-2] secondary source, [U] unverified).

    Examples
    --------
    >>> d = definitions_table(["placement_rate"], lang="en")
    >>> d.loc[0, "name_zh"], d.loc[0, "name_en"]
    ('毕业去向落实率', 'Placement rate')
    """
    check_option("lang", lang, _LANGS, "definitions_table")
    from .registry import indicators as _indicators

    reg = _indicators()
    out = pd.DataFrame(index=reg.index)
    for col in _DEF_COLS:
        for cand in (f"{col}_{lang}", col, "id" if col == "indicator" else ""):
            if cand and cand in reg.columns:
                out[col] = reg[cand]
                break
    if indicators is not None:
        out = out[out["indicator"].isin(list(indicators))]
    return out.reset_index(drop=True).map(_flatten)


# --- definition options as readable rows (说明 sheet, HTML definitions section) ----------------------

#: Evidence status of a setting -> (Chinese, English) label.
_OPTION_STATUS: dict[str, tuple[str, str]] = {
    "V": ("正式口径（已核实）[V]", "official definition (verified) [V]"),
    "V-2": ("正式口径（二手来源核实）[V-2]", "official definition (secondary source) [V-2]"),
    "U": ("暂定口径 [U]：未核实，可改选", "provisional [U]: unverified, selectable"),
    "setting": ("分析设置（非官方口径）", "analysis setting (not an official definition)"),
}
_SCORES: dict[Any, tuple[str, str]] = {
    5: ("很满意", "very satisfied"), 4: ("满意", "satisfied"), 3: ("基本满意", "fairly satisfied"),
    2: ("不满意", "dissatisfied"), 1: ("很不满意", "very dissatisfied"),
}
_SURVEY_KINDS: dict[str, tuple[str, str]] = {
    "internship": ("实习", "internship"), "employment": ("就业", "employment"),
    "school": ("母校", "school"), "employer": ("雇主", "employer"),
}
#: Words for column and programme ids: the registry's listed elements of the tuple-valued options
#: (roster columns raked to, programme types), plus the cohort covariate entry_score.
_WORDS: dict[str, tuple[str, str]] = {
    **{str(k): (c.zh, c.en) for key in ("raking_variables", "partner_programs")
       for k, c in OPTION_INFO[key].choices.items()},
    "entry_score": ("入学成绩", "entry score"),
}
#: Options whose alternatives are shown in words only: the value None is no word, and the
#: 如何更改 column already has the CLI and Python spelling of every choice.
_ALTERNATIVES_IN_WORDS = frozenset({"survey_weights"})
#: Options whose default value carries the registry's note (a changed value says so instead).
_CHANGED = ("已改为非默认口径", "changed from the default")

_DISCLOSURE_WORDS: dict[str, tuple[str, str]] = {
    "hesa": ("HESA 规则：人数取整到5，小单元格不公布", "HESA rule: counts rounded to 5, small cells withheld"),
    "min_n": ("只抑制小单元格", "small cells withheld only"),
    "none": ("不做披露控制（仅限内部使用）", "no disclosure control (internal use only)"),
}


def _top_box_switch(value: Mapping[str, Any]) -> str:
    """How to change the satisfied levels: ``--top-box`` when every survey uses the same 2 or 3 scores."""
    info = OPTION_INFO["satisfied_levels"]
    levels = {tuple(v) for v in value.values()}
    box = next((info.cli_value(v) for v in info.cli_values if levels == {v}), None)
    if box is not None:
        return (f"命令行 CLI: {info.cli_switch} {box}（所有问卷 / every survey）; "
                "Python: Options(satisfied_levels=…)")
    # a per-survey or text-level choice has no CLI spelling: say so instead of naming a switch
    return ("命令行 --top-box 2|3 只能为所有问卷统一设置；本报告的口径需 Python / CLI --top-box 2|3 sets every "
            f"survey alike; this choice needs Python: {info.example}")


def _words(values: Iterable[Any], lang: int) -> str:
    """Join values in words: scores and known ids translated, others as written."""
    out = []
    for v in values:
        pair = _SCORES.get(v) if isinstance(v, int | np.integer) and not isinstance(v, bool) else None
        pair = pair or _WORDS.get(str(v))
        out.append(pair[lang] if pair else str(v))
    if not out:
        return "（无）" if lang == 0 else "(none)"
    return ("、" if lang == 0 else ", ").join(out)


def _plain(value: Any, lang: int) -> str:
    """Any raw option value in words (fallback for fields without a dedicated describer)."""
    if value is None:
        return "未设置" if lang == 0 else "not set"
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == 0 else ("yes" if value else "no")
    if isinstance(value, Mapping):
        if not value:
            return "（默认）" if lang == 0 else "(default)"
        return ("；" if lang == 0 else "; ").join(
            f"{_SURVEY_KINDS.get(str(k), (str(k), str(k)))[lang]}: {_plain(v, lang)}" for k, v in value.items())
    if isinstance(value, tuple | list | set | frozenset):
        return _words(value, lang)
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return _WORDS.get(str(value), (str(value), str(value)))[lang]


def _by_kind(value: Mapping[str, Any], lang: int, empty: tuple[str, str] | None = None) -> str:
    sep = "；" if lang == 0 else "; "
    parts = []
    for k, v in value.items():
        text = empty[lang] if (v is None and empty) else _words(v, lang)
        parts.append(f"{_SURVEY_KINDS.get(str(k), (str(k), str(k)))[lang]}: {text}")
    return sep.join(parts)


def _value_words(key: str, value: Any) -> tuple[str, str]:
    """An option value in words (Chinese, English): a listed choice's words, else per-field phrasing."""
    choice = OPTION_INFO[key].choice(value)
    if choice is not None:
        return choice.zh, choice.en
    if key == "practice_days":
        days = _plain(value, 0)
        return (f"5年内累计不少于 {days} 天（“6个月”折算为天数）",
                f"at least {days} days in five years (the six-month rule in days)")
    if key in ("satisfied_levels", "exclude_levels"):
        return _by_kind(value, 0), _by_kind(value, 1)
    if key == "survey_items":
        empty = ("全部题目", "all items")
        return (_by_kind(value, 0, empty) if value else "每类问卷全部题目",
                _by_kind(value, 1, empty) if value else "all items of each survey")
    if key == "raking_variables":
        return _words(value, 0) + "（数据中有的）", _words(value, 1) + " (those present)"
    if key == "as_of":
        return (("未设置（结果中不注明日期）", "not set (no date echoed)") if value is None
                else (f"截至 {value}", f"as of {value}"))
    return _plain(value, 0), _plain(value, 1)


def _python_value(value: Any) -> str:
    """``value`` as written in a Python call (strings in double quotes, whole floats without .0)."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return str(value)


def _defined_option_row(key: str, value: Any) -> dict[str, Any]:
    """One :class:`~coopmetrics.registry.Options` field, described from ``registry.OPTION_INFO``."""
    from .registry import Options

    info = OPTION_INFO[key]
    row: dict[str, Any] = {"key": key, "value": str(value), "name": (info.name_zh, info.name_en),
                           "val": _value_words(key, value), "grade": info.grade_of(value)}
    if key == "satisfied_levels":
        row["switch"] = _top_box_switch(value)
    elif info.cli_switch is not None:
        row["switch"] = (f"命令行 CLI: {info.cli_switch} {info.cli_value(value)}; "
                         f"Python: Options({key}={_python_value(value)})")
    else:
        row["switch"] = f"Python: {info.example}（命令行无此开关 / no CLI switch）"
    if info.note[0]:
        default = getattr(Options(), key)
        same = (all(tuple(v) == tuple(default.get(k, ())) for k, v in value.items())
                if isinstance(value, Mapping) else value == default)
        row["note"] = info.note if same else _CHANGED
    if info.alternatives[0]:  # free values: the registry's words for what else may be chosen
        row["alts"] = info.alternatives
    else:
        others = [(v, c) for v, c in info.choices.items() if info.choice(value) is not c]
        if key in _ALTERNATIVES_IN_WORDS:
            row["alts"] = ("；".join(c.zh for _, c in others), "; ".join(c.en for _, c in others))
        else:
            mark = {v: " [U]" if c.grade == "U" else "" for v, c in others}
            row["alts"] = ("；".join(f"{v}{mark[v]}：{c.zh}" for v, c in others),
                           "; ".join(f"{v}{mark[v]}: {c.en}" for v, c in others))
    return row


def _option_row(key: str, value: Any) -> dict[str, Any]:
    """Readable description of one option: names, value in words, grade, alternatives, switch.

    Options fields are described from ``registry.OPTION_INFO``; the report's own arguments
    (disclosure, breakdown, cohort covariates) here.
    """
    if key in OPTION_INFO:
        row = _defined_option_row(key, value)
    elif key == "disclosure":
        row = {"name": ("披露控制", "Disclosure control"),
               "val": _DISCLOSURE_WORDS.get(value, (str(value), str(value))), "grade": "setting",
               "switch": f"命令行 CLI: --disclosure {value}; Python: build_report(..., disclosure=\"{value}\")",
               "alts": ("；".join(f"{d}：{z}" for d, (z, _) in _DISCLOSURE_WORDS.items() if d != value),
                        "; ".join(f"{d}: {e}" for d, (_, e) in _DISCLOSURE_WORDS.items() if d != value))}
    elif key == "by":
        other = "major" if value == "department" else "department"
        row = {"name": ("分组", "Breakdown"), "val": _WORDS.get(value, (str(value), str(value))),
               "grade": "setting", "switch": f"命令行 CLI: --by {value}; Python: build_report(..., by=\"{value}\")",
               "alts": (f"{other}：{_WORDS[other][0]}", f"{other}: {_WORDS[other][1]}")}
    elif key == "cohort_adjust":
        cols = [c for c in str(value).split(",") if c]
        row = {"name": ("队列比较的调整变量", "Cohort-comparison covariates"),
               "val": (_words(cols, 0), _words(cols, 1)), "grade": "setting",
               "switch": "自动：数据中有的入学成绩、性别、招生类型 / automatic: entry score, gender and admission "
                         "type where present",
               "alts": ("无（自动选择）", "none (chosen automatically)")}
    else:  # an Options field without registry words: still readable, never a raw repr
        row = {"name": (key, key), "val": (_plain(value, 0), _plain(value, 1)), "grade": "setting",
               "switch": f"Python: Options({key}=…)"}
    row["key"], row["value"] = key, str(value)
    alts = row.get("alts", ("", ""))
    row["alts"] = alts if alts[0] else ("—", "—")
    return row


def settings_table(options: Any = None, *, disclosure: str = "hesa", by: str = "department",
                   cohort_adjust: Iterable[str] = ()) -> pd.DataFrame:
    """Every definition option as a readable bilingual row (the 说明 sheet and the HTML definitions).

    Parameters
    ----------
    options : coopmetrics.registry.Options, optional
        Definition choices; default ``Options()``.
    disclosure, by : str
        Report-level settings of :func:`build_report`.
    cohort_adjust : iterable of str
        Covariates the cohort comparisons adjusted for.

    Returns
    -------
    pandas.DataFrame
        ``key`` (Options field or report argument), ``value`` (raw value as text),
        ``name_zh, name_en, value_zh, value_en`` (the value in words), ``grade``
        (``V``, ``V-2``, ``U`` or ``setting``), ``status_zh, status_en``,
        ``alternatives_zh, alternatives_en``, ``switch`` (CLI switch or Python argument)
        and ``note_zh, note_en``.

    Examples
    --------
    >>> from coopmetrics.registry import Options
    >>> t = settings_table(Options(profile="moe_2024")).set_index("key")
    >>> t.loc["profile", "grade"], t.loc["profile", "switch"].split(";")[0]
    ('U', '命令行 CLI: --profile moe_2024')
    >>> t.loc["as_of", "value_en"]
    'not set (no date echoed)'
    >>> t = settings_table(Options(dual_definition="2004_evaluation", survey_weights=None)).set_index("key")
    >>> t.loc["dual_definition", "switch"].split(";")[0], t.loc["survey_weights", "switch"].split(";")[0]
    ('命令行 CLI: --dual 2004_evaluation', '命令行 CLI: --weights none')
    """
    from dataclasses import fields as _fields

    from .registry import Options

    opts = Options() if options is None else options
    items: list[tuple[str, Any]] = [(f.name, getattr(opts, f.name)) for f in _fields(opts)]
    items += [("disclosure", disclosure), ("by", by)]
    adjust = list(cohort_adjust)
    if adjust:
        items.append(("cohort_adjust", ",".join(adjust)))
    rows = []
    for key, value in items:
        r = _option_row(key, value)
        status = _OPTION_STATUS[r["grade"]]
        note = r.get("note", ("", ""))
        rows.append({"key": key, "value": r["value"], "name_zh": r["name"][0], "name_en": r["name"][1],
                     "value_zh": r["val"][0], "value_en": r["val"][1], "grade": r["grade"],
                     "status_zh": status[0], "status_en": status[1], "alternatives_zh": r["alts"][0],
                     "alternatives_en": r["alts"][1], "switch": r["switch"], "note_zh": note[0],
                     "note_en": note[1]})
    return pd.DataFrame(rows)


def _flatten(value: Any) -> Any:
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(v) for v in value)
    return value


def _accepts(func: Callable[..., Any], name: str) -> bool:
    import inspect

    try:
        return name in inspect.signature(func).parameters
    except (TypeError, ValueError):  # pragma: no cover
        return False


# --------------------------------------------------------------------------------------------------
# build_report
# --------------------------------------------------------------------------------------------------

def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _year_col(frame: pd.DataFrame) -> str | None:
    for c in ("grad_year", "year"):
        if c in frame.columns:
            return c
    return None


def build_report(
    data: Dataset,
    year: int | None = None,
    *,
    by: str = "department",
    lang: str = "zh",
    options: Any = None,
    disclosure: str = "hesa",
    progress: bool = False,
) -> Report:
    """Compute every table and figure of the yearly report (no I/O).

    Parameters
    ----------
    data : Dataset
        Loaded data (:func:`coopmetrics.load` or :func:`coopmetrics.sample.load_sample`).
    year : int, optional
        Report year (graduation cohort); default the latest year of ``graduates``.
        The scorecard also shows the year before.
    by : {"department", "major"}
        Breakdown of the ``by_group`` table and the 双师 figure.
    lang : {"zh", "en"}
        Language of names, sheets and headers.
    options : coopmetrics.registry.Options, optional
        Definition choices (destination profile, 双师 definition, ...); echoed in
        the ``about`` and ``definitions`` sheets.
    disclosure : {"hesa", "min_n", "none"}
        Disclosure preset applied to every published indicator table
        (:func:`coopmetrics.apply_disclosure`); suppressed cells are marked.
    progress : bool
        Show a tqdm progress bar on stderr.

    Returns
    -------
    Report

    Raises
    ------
    InputError
        If ``data`` has no graduates table or ``year`` is not in it.
    """
    check_option("lang", lang, _LANGS, "build_report")
    check_option("by", by, ("department", "major"), "build_report")
    check_option("disclosure", disclosure, _DISCLOSURES, "build_report")
    if not isinstance(data, Dataset):
        raise InputError("build_report() 需要一个 Dataset（用 coopmetrics.load 读取）",
                         "build_report() needs a Dataset (read it with coopmetrics.load)")
    if "graduates" not in data:
        raise InputError("数据中没有毕业生表，无法生成年度报告", "the data has no graduates table; "
                         "the yearly report needs one")
    grads = data["graduates"]
    if not isinstance(grads, pd.DataFrame):
        grads = _collect(grads)
        data = data.replace(graduates=grads)
    years = sorted(int(y) for y in pd.unique(grads["grad_year"].dropna()))
    if not years:
        raise InputError("毕业生表为空", "the graduates table is empty", column="grad_year")
    if year is None:
        year = years[-1]
    if int(year) not in years:
        raise InputError(
            f"数据中没有 {year} 届毕业生；现有年份：{years}",
            f"the data has no graduates of {year}; years present: {years}",
            column="毕业年份 grad_year", value=year,
        )
    year = int(year)
    builder = _Builder(data, year, by, lang, options, disclosure, progress)
    return builder.build()


def _year_slice(data: Dataset, year: int) -> Dataset:
    """The dataset restricted to one year (each table by its own year column)."""
    tables = {}
    for name in data.tables:
        frame = data[name]
        col = "grad_year" if name == "graduates" else "year"
        if isinstance(frame, pd.DataFrame) and col in frame.columns:
            frame = frame[frame[col] == year]
        tables[name] = frame
    return data.replace(**tables)


def _collect(frame: Any) -> pd.DataFrame:
    try:
        from .engines import collect

        return collect(frame)
    except ImportError:  # pragma: no cover
        import narwhals as nw

        return nw.from_native(frame).lazy().collect().to_pandas()


class _Builder:
    """Builds a Report step by step (each step is one progress tick)."""

    def __init__(self, data: Dataset, year: int, by: str, lang: str, options: Any, disclosure: str,
                 progress: bool) -> None:
        self.data, self.year, self.by, self.lang = data, year, by, lang
        self.options, self.disclosure, self.progress = options, disclosure, progress
        self.tables: dict[str, pd.DataFrame] = {}
        self.figures: dict[str, Any] = {}
        self.notes: list[str] = []
        self.registry = pd.DataFrame()
        self.trend = pd.DataFrame()
        self.groups = pd.DataFrame()

    def note(self, zh: str, en: str) -> None:
        self.notes.append(_t(self.lang, zh, en))

    def build(self) -> Report:
        steps: list[tuple[str, Callable[[], None]]] = [
            ("indicators", self._compute),
            ("scorecard", self._sections),
            ("enterprise", self._enterprise),
            ("cohorts", self._cohorts),
            ("yoy", self._yoy),
            ("figures", self._figures),
            ("definitions", self._definitions),
            ("validation", self._validation),
        ]
        from tqdm import tqdm  # plain bar on stderr (tqdm.auto warns in Jupyter without ipywidgets)

        bar = tqdm(steps, desc="coopmetrics report", unit="step", disable=not self.progress, leave=False)
        for label, step in bar:
            bar.set_postfix_str(label)
            step()
        bar.close()
        order = [k for k in SHEETS if k in self.tables]
        tables = {k: self.tables[k] for k in order}
        tables = {k: _drop_pii(v) for k, v in tables.items()}
        tables["about"] = self._about()
        tables = {k: tables[k] for k in ["about", *order]}
        return Report(
            year=self.year, college=self._college(), lang=self.lang, by=self.by,
            tables=MappingProxyType(tables), figures=MappingProxyType(dict(self.figures)),
            key_figures=tuple(self._key_figures()), notes=tuple(self.notes),
            settings=MappingProxyType(self._settings()),
            kinds=MappingProxyType(dict(zip(self.registry["id"], self.registry["kind"], strict=True))
                                   if len(self.registry) else {}),
        )

    # --- metadata ---------------------------------------------------------------------------
    def _college(self) -> str:
        g = self.data["graduates"]
        if "college" in g.columns and g["college"].notna().any():
            return str(g["college"].dropna().mode().iloc[0])
        return ""

    def _settings(self) -> dict[str, str]:
        out: dict[str, str] = {}
        opts = self.options
        if opts is None:
            try:
                from .registry import Options

                opts = Options()
            except ImportError:  # pragma: no cover
                opts = None
        if opts is not None and hasattr(opts, "__dataclass_fields__"):
            for name in opts.__dataclass_fields__:
                out[name] = str(getattr(opts, name))
        out["disclosure"] = self.disclosure
        out["by"] = self.by
        if getattr(self, "cohort_adjust", None):
            out["cohort_adjust"] = ",".join(self.cohort_adjust)
        return out

    def _about(self) -> pd.DataFrame:
        lang = self.lang
        rows = [
            (_t(lang, "报告", "Report"), _t(lang, "校企合作年度质量报告", "School–enterprise cooperation yearly report")),
            (_t(lang, "学校", "College"), self._college() or "—"),
            (_t(lang, "报告年份（毕业届别）", "Report year (cohort)"), str(self.year)),
            (_t(lang, "生成时间", "Generated"), _dt.datetime.now().strftime("%Y-%m-%d %H:%M")),
            (_t(lang, "生成工具", "Tool"), f"coopmetrics {_version()}"),
        ]
        # one readable bilingual row per definition option (the raw value kept in key/value)
        opts = settings_table(self.options, disclosure=self.disclosure, by=self.by,
                              cohort_adjust=getattr(self, "cohort_adjust", None) or ())
        for r in opts.to_dict("records"):
            rows.append((f"{r['name_zh']} / {r['name_en']}", f"{r['value_zh']} / {r['value_en']}", r["key"],
                         r["value"], f"{r['status_zh']} / {r['status_en']}",
                         f"{r['alternatives_zh']} / {r['alternatives_en']}", r["switch"],
                         f"{r['note_zh']} / {r['note_en']}" if r["note_zh"] else ""))
        rows.append((_t(lang, "抑制标记", "Suppression mark"),
                     _t(lang, f"{SUPPRESSED['zh']}：样本太小、按披露规则不公布的单元格",
                        f"{SUPPRESSED['en']}: cell withheld by the disclosure rule (too few people)")))
        rows.append((_t(lang, "置信区间", "Confidence intervals"),
                     _t(lang, "比例为 Wilson 95% 区间（除非另行选择）；均值为 t 区间",
                        "Wilson 95% for proportions unless chosen otherwise; t interval for means")))
        rows.append((_t(lang, "个人信息", "Personal data"),
                     _t(lang, "姓名、身份证号、手机号等在读入时已删除或哈希，不出现在任何输出中",
                        "names, ID-card numbers and phones are dropped or hashed at load and never output")))
        for note in self.notes:
            rows.append((_t(lang, "说明", "Note"), note))
        cols = ["item", "content", "key", "value", "status", "alternatives", "switch", "notes"]
        return pd.DataFrame([(*r, *[""] * (len(cols) - len(r))) for r in rows], columns=cols)

    # --- indicators ---------------------------------------------------------------------------
    def _compute(self) -> None:
        from .compute import compute
        from .registry import indicators as _indicators
        from .targets import compare_targets

        reg = _indicators()
        self.registry = reg
        self.order = {str(i): k for k, i in enumerate(reg["id"])}
        self.tables_of = dict(zip(reg["id"].astype(str), reg["table"].astype(str), strict=True))
        ids = [str(i) for i in reg["id"]]
        kw: dict[str, Any] = {}
        if self.options is not None:
            kw["options"] = self.options
        trend = compute(self.data, ids, by=("grad_year",), **kw)
        # the breakdown is only reported for the report year: compute it on that year's rows alone
        groups = compute(_year_slice(self.data, self.year), ids, by=("grad_year", self.by), **kw)
        groups = groups[groups["grad_year"] == self.year]
        # Targets are judged on the unrounded estimates (direction-aware: lower is better for some),
        # then blanked wherever disclosure withholds the estimate.
        trend = _with_target_judgement(trend, compare_targets)
        groups = _with_target_judgement(groups, compare_targets)
        self.raw_trend = trend
        if self.disclosure != "none":
            from .disclosure import apply_disclosure, public_table

            trend = public_table(apply_disclosure(trend, preset=self.disclosure))
            groups = public_table(apply_disclosure(groups, preset=self.disclosure))
            for frame in (trend, groups):
                frame.loc[frame["status"] != "reported", "meets_target"] = pd.NA
        self.ycol = "grad_year"
        self.trend = trend
        self.groups = groups

    def _name_col(self) -> str:
        return "name_zh" if self.lang == "zh" else "name_en"

    def _tidy(self, frame: pd.DataFrame, group: str | None = None) -> pd.DataFrame:
        """Compute rows -> report table columns (language-specific name, no internals)."""
        ycol = _year_col(frame) or "grad_year"
        out = pd.DataFrame({
            "indicator": frame["indicator"].to_numpy(),
            "indicator_name": frame[self._name_col()].to_numpy() if self._name_col() in frame.columns
            else frame["indicator"].to_numpy(),
            "year": frame[ycol].to_numpy(),
        })
        if group is not None:
            out[group] = frame[group].to_numpy()
        for c in ("numerator", "denominator", "n", "estimate", "ci_low", "ci_high", "n_eff",
                  "response_rate", "unit", "target", "meets_target", "status", "edition"):
            if c in frame.columns:
                out[c] = frame[c].to_numpy()
        if "target" in out.columns and not out["target"].notna().any():
            out = out.drop(columns=[c for c in ("target", "meets_target") if c in out.columns])
        if "n_eff" in out.columns and "response_rate" in out.columns:
            # n_eff is only informative for weighted survey shares; elsewhere it equals the exact
            # (unrounded) n and would undo the disclosure rounding.
            out["n_eff"] = pd.to_numeric(out["n_eff"], errors="coerce").where(out["response_rate"].notna())
        out["_order"] = out["indicator"].map(self.order).fillna(len(self.order))
        return out

    def _section_of(self, indicator: str) -> str:
        """Report table of an indicator: listed ids first, otherwise by the table it reads."""
        if indicator in _SERVICE_IDS:
            return "service"
        if indicator in _RESOURCE_IDS:
            return "resources"
        table = self.tables_of.get(indicator, "")
        if table in _RESOURCE_TABLES:
            return "resources"
        if table == "internships":
            return "internship"
        if table == "enterprises":
            return "service"
        return "scorecard"

    def _sections(self) -> None:
        trend = self.trend
        ycol = self.ycol
        this = trend[trend[ycol].isin([self.year - 1, self.year])]
        # indicators whose input table is missing come once without a year: show them in the report
        # year, marked <缺少数据>, so the reader sees what could not be computed
        missing = trend[trend[ycol].isna() & (trend["status"] == "missing_input")].assign(**{ycol: self.year})
        this = pd.concat([this, missing], ignore_index=True)
        sections = this["indicator"].map(self._section_of)
        for section in ("scorecard", "resources", "service", "internship"):
            part = this[sections == section]
            if len(part):
                tidy = self._tidy(part).sort_values(["_order", "year"], kind="stable")
                self.tables[section] = tidy.drop(columns="_order").reset_index(drop=True)
        if len(self.groups):
            g = self._tidy(self.groups, group=self.by)
            self.tables["by_group"] = g.drop(columns=["year"]).sort_values(
                ["_order", self.by], kind="stable").drop(columns="_order").reset_index(drop=True)

    # --- enterprise ------------------------------------------------------------------------------
    def _enterprise(self) -> None:
        ent = self.data.get("enterprises")
        if ent is None:
            self.note("没有合作企业台账，未生成合作企业贡献表", "no enterprises table: partner-firm sheet skipped")
            return
        if not isinstance(ent, pd.DataFrame):
            ent = _collect(ent)
        ent = ent[ent["year"] == self.year]
        cols = [c for c in _ENTERPRISE_SUMS if c in ent.columns]
        table = ent.groupby("enterprise", sort=True)[cols].sum(min_count=1).reset_index()
        if "partnership_start" in ent.columns:
            start = ent.groupby("enterprise")["partnership_start"].min()
            table.insert(1, "partnership_start", table["enterprise"].map(start).to_numpy())
        if "major" in ent.columns:
            majors = ent.groupby("enterprise")["major"].nunique()
            table.insert(1, "majors", table["enterprise"].map(majors).to_numpy())
        sort_col = "equipment_value" if "equipment_value" in table.columns else (cols[0] if cols else "enterprise")
        self.tables["enterprise"] = table.sort_values(sort_col, ascending=False, kind="stable").reset_index(
            drop=True)

    # --- cohorts -----------------------------------------------------------------------------------
    def _cohorts(self) -> None:
        from .compare import compare

        g = self.data["graduates"]
        if "program" not in g.columns or g["program"].dropna().nunique() < 2 or not (
                g["program"] == "regular").any():
            self.note("毕业生表没有培养模式（program）列或没有普通班，未做队列比较",
                      "graduates have no program column or no regular class: cohort comparisons skipped")
            return
        this = self.data.replace(graduates=g[g["grad_year"] == self.year])
        # pre-treatment covariates of program choice: entry score, gender and admission type. compare()
        # drops a covariate column that is constant, collinear or perfectly predicting in a cell and says
        # so in dropped_covariates (shown in the comparison sheet's flags).
        adjust = [c for c in ("entry_score", "gender", "admission") if c in g.columns and g[c].notna().any()]
        self.cohort_adjust = adjust
        frames = []
        for ind in self._cohort_indicators():
            for adj in ([None, adjust] if adjust else [None]):
                kw: dict[str, Any] = {"cohort": "program", "reference": "regular", "adjust": adj}
                if self.options is not None:
                    kw["options"] = self.options
                try:
                    frames.append(compare(this, ind, **kw))
                except CoopmetricsError as exc:
                    self.note(f"队列比较 {ind} 未完成：{exc.message_zh}",
                              f"cohort comparison {ind} skipped: {exc.message_en}")
        if not frames:
            return
        res = pd.concat(frames, ignore_index=True)
        res = res.drop(columns=[c for c in ("grad_year",) if c in res.columns])
        res.insert(1, "indicator_name", res["indicator"].map(self._names()).fillna(res["indicator"]))
        res["unit"] = res["indicator"].map(self._units())
        if self.disclosure != "none":
            # A comparison is withheld when either arm is smaller than the preset's minimum.
            small = (res["n_cohort"] < _MIN_COHORT) | (res["n_reference"] < _MIN_COHORT)
            res["status"] = np.where(small, "suppressed", "reported")
            est_cols = ["estimate_cohort", "estimate_reference", "difference", "ci_low", "ci_high", "ratio",
                        "ratio_ci_low", "ratio_ci_high", "statistic", "p_value", "q_value", "effect_size"]
            res.loc[small, [c for c in est_cols if c in res.columns]] = np.nan
        self.tables["cohorts"] = res

    def _cohort_indicators(self) -> list[str]:
        ids = set(self._ids())
        return [i for i in ("placement_rate", "job_relevance_rate", "salary_mean", "turnover_rate") if i in ids]

    def _ids(self) -> list[str]:
        reg = self.registry
        return [str(i) for i in reg["id"]]

    def _names(self) -> dict[str, str]:
        reg = self.registry
        return dict(zip(reg["id"], reg[self._name_col()], strict=True))

    def _units(self) -> dict[str, str]:
        reg = self.registry
        return dict(zip(reg["id"], reg["unit"], strict=True))

    # --- year over year ------------------------------------------------------------------------------
    def _yoy(self) -> None:
        from .targets import year_over_year

        if self.year - 1 not in set(self.raw_trend["grad_year"]):
            self.note("没有上一年数据，未计算年度变化", "no previous year in the data: year-over-year skipped")
            return
        raw = self.raw_trend[self.raw_trend["grad_year"].isin([self.year - 1, self.year])]
        yoy = year_over_year(raw.drop(columns=["meets_target"], errors="ignore"))
        yoy = yoy[yoy["grad_year"] == self.year].reset_index(drop=True)
        out = pd.DataFrame({"indicator": yoy["indicator"].to_numpy()})
        out["indicator_name"] = out["indicator"].map(self._names()).fillna(out["indicator"])
        out["year"] = yoy["grad_year"].to_numpy()
        for src, dst in (("estimate_prev", "previous"), ("estimate", "estimate"), ("change", "change"),
                         ("ci_low", "change_ci_low"), ("ci_high", "change_ci_high"), ("p_value", "p_value"),
                         ("q_value", "q_value"), ("unit", "unit"), ("status", "status")):
            if src in yoy.columns:
                out[dst] = yoy[src].to_numpy()
        if self.disclosure != "none":
            # withhold a change when either year's published cell is withheld
            pub = self.trend.set_index(["indicator", "grad_year"])["status"]
            prev = pd.MultiIndex.from_arrays([out["indicator"], out["year"] - 1])
            cur = pd.MultiIndex.from_arrays([out["indicator"], out["year"]])
            hidden = (pub.reindex(prev).to_numpy() == "suppressed") | (pub.reindex(cur).to_numpy() == "suppressed")
            cols = ["previous", "estimate", "change", "change_ci_low", "change_ci_high", "p_value", "q_value"]
            out.loc[hidden, cols] = np.nan
            out.loc[hidden, "status"] = "suppressed"
        out["_order"] = out["indicator"].map(self.order)
        self.tables["yoy"] = out.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)

    # --- figures ----------------------------------------------------------------------------------------
    def _figures(self) -> None:
        from . import plots

        lang = self.lang
        ids = set(self.trend.loc[self.trend["status"] == "reported", "indicator"])
        for ind in ("placement_rate", "job_relevance_rate", "salary_mean", "school_satisfaction",
                    "employer_satisfaction", "dual_teacher_ratio_professional"):
            if ind in ids:
                self.figures[f"trend_{ind}"] = plots.plot_trend(self.trend, ind, lang=lang)
        dual = "dual_teacher_ratio_professional"
        if len(self.groups) and dual in set(self.groups["indicator"]):
            self.figures["dual_ratio"] = plots.plot_dual_ratio(self.groups, indicator=dual, by=self.by,
                                                               lang=lang)
        survey = self.data.get("survey")
        if isinstance(survey, pd.DataFrame) and len(survey):
            ycol = _year_col(survey) or "year"
            s = survey[survey[ycol] == self.year]
            for kind in ("school", "employer"):
                if (s["survey_kind"] == kind).any():
                    self.figures[f"likert_{kind}"] = plots.plot_likert(s, survey_kind=kind, lang=lang)
        ent = self.data.get("enterprises")
        if isinstance(ent, pd.DataFrame) and "equipment_value" in ent.columns and (ent["year"] == self.year).any():
            self.figures["enterprise"] = plots.plot_enterprise(ent, value="equipment_value", year=self.year,
                                                               lang=lang)
        coh = self.tables.get("cohorts")
        if coh is not None and len(coh):
            pl = coh[(coh["indicator"] == "placement_rate") & (coh.get("status", "reported") == "reported")]
            if len(pl):
                pl = pl.assign(model=np.where(pl["adjusted"].astype(bool), _t(lang, "调整后", "adjusted"),
                                              _t(lang, "未调整", "raw")))
                cols = ["indicator", "model", *[c for c in pl.columns if c not in ("indicator", "model",
                                                                                   "indicator_name", "unit")]]
                self.figures["forest"] = plots.plot_forest(
                    pl[cols], lang=lang, label_cols=["model"],
                    title=_t(lang, f"{self.year}届 毕业去向落实率：各培养模式与普通班之差",
                             f"Placement rate {self.year}: each program minus regular classes"))

    # --- definitions and validation -----------------------------------------------------------------------
    def _definitions(self) -> None:
        used = sorted(set(self.trend["indicator"]))
        self.tables["definitions"] = definitions_table(used, lang=self.lang)

    def _validation(self) -> None:
        val = scrub_validation(self.data.validation)
        self.tables["validation"] = val.reset_index(drop=True)
        acc = self.data.accounting
        if acc is not None:
            self.tables["accounting"] = acc.reset_index(drop=True)

    # --- key figures -------------------------------------------------------------------------------------
    def _key_figures(self) -> list[dict[str, Any]]:
        out = []
        t = self.trend
        if t.empty:
            return out
        this = t[t[self.ycol] == self.year]
        for ind in ("graduates_total", "placement_rate", "job_relevance_rate", "salary_mean",
                    "school_satisfaction", "employer_satisfaction", "dual_teacher_ratio_professional",
                    "partner_count"):
            row = this[this["indicator"] == ind]
            if len(row):
                out.append(row.iloc[0].to_dict())
        return out


def _with_target_judgement(result: pd.DataFrame, compare_targets: Callable[..., pd.DataFrame]) -> pd.DataFrame:
    """Add ``meets_target`` (True/False/NA) from :func:`coopmetrics.compare_targets`."""
    out = result.copy()
    if "target" not in out.columns or not out["target"].notna().any():
        out["meets_target"] = pd.NA
        return out
    judged = compare_targets(result)
    out["meets_target"] = judged["meets_target"].to_numpy()
    return out


def _drop_pii(frame: pd.DataFrame) -> pd.DataFrame:
    names, _ = _pii_headers()
    bad = [c for c in frame.columns if c in names]
    return frame.drop(columns=bad) if bad else frame


def _version() -> str:
    from . import __version__

    return __version__


# --------------------------------------------------------------------------------------------------
# HTML rendering
# --------------------------------------------------------------------------------------------------

_CSS = """
:root { --ink:#1f2933; --muted:#616e7c; --line:#d9e2ec; --accent:#0173b2; --bad:#c0392b; --good:#1e8449; }
* { box-sizing: border-box; }
body { font-family: "coopmetrics CJK","Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",
       "Helvetica Neue",Arial,sans-serif; color: var(--ink); margin: 0; background: #f5f7fa; line-height: 1.5; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 32px 64px; background: #fff; }
header { border-bottom: 3px solid var(--accent); padding-bottom: 12px; margin-bottom: 20px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 8px; border-left: 5px solid var(--accent); padding-left: 10px; }
h3 { font-size: 16px; margin: 20px 0 6px; }
.sub { color: var(--muted); font-size: 13px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 12px; margin: 16px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; background: #fbfcfe; }
.card .label { font-size: 13px; color: var(--muted); }
.card .value { font-size: 26px; font-weight: 700; color: var(--accent); }
.card .detail { font-size: 12px; color: var(--muted); }
.tablewrap { overflow-x: auto; margin: 8px 0 4px; }
.tablewrap td:first-child { position: sticky; left: 0; background: #fff; z-index: 1; }
.tablewrap th:first-child { position: sticky; left: 0; z-index: 2; }
table { border-collapse: collapse; font-size: 13px; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: #eef3f8; font-weight: 600; white-space: nowrap; position: sticky; top: 0; }
td.name { white-space: nowrap; }
td.flags { font-size: 11px; color: var(--muted); min-width: 200px; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td .ci { color: var(--muted); font-size: 11px; display: block; }
.sup { color: var(--bad); font-weight: 600; }
.miss { color: var(--muted); font-style: italic; }
.yes { color: var(--good); font-weight: 600; } .no { color: var(--bad); font-weight: 600; }
.figs { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 12px; margin: 12px 0 20px; }
figure { margin: 0; text-align: center; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 4px; }
figcaption { font-size: 12px; color: var(--muted); }
.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: 8px 12px; font-size: 13px; margin: 8px 0; }
.muted { color: var(--muted); font-size: 12px; }
nav { font-size: 13px; margin: 8px 0 0; } nav a { margin-right: 12px; color: var(--accent); text-decoration: none; }
details summary { cursor: pointer; color: var(--accent); font-size: 13px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
"""


def _fmt_value(value: Any, share: bool, unit: str = "", digits: int = 1) -> str:
    if _isnan(value):
        return "—"
    v = float(value)
    if share:
        return f"{v * 100:.{digits}f}%"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if float(v).is_integer():
        return f"{v:,.0f}"
    return f"{v:,.2f}"


def _fmt_count(value: Any) -> str:
    if _isnan(value):
        return "—"
    v = float(value)
    return f"{v:,.0f}" if v.is_integer() else f"{v:,.1f}"


def _est_cell(rec: Mapping[str, Any], lang: str, share: bool, kind: str = "") -> str:
    """One estimate cell: value, then in grey the CI and what it rests on; suppressed/missing marked.

    What it rests on depends on the indicator kind: numerator/denominator for
    proportions and ratios of sums, respondents with response rate and effective
    n for survey shares, n for means and medians, nothing for counts and sums.
    """
    status = str(rec.get("status", "reported"))
    if status == "suppressed":
        return f'<td class="num"><span class="sup">{html.escape(SUPPRESSED[lang])}</span></td>'
    if status == "missing_input" and _isnan(rec.get("estimate")):
        return f'<td class="num"><span class="miss">{html.escape(_MISSING[lang])}</span></td>'
    if status == "not_applicable" and _isnan(rec.get("estimate")):
        return f'<td class="num"><span class="miss">{html.escape(_NA[lang])}</span></td>'
    est = _fmt_value(rec.get("estimate"), share)
    lo, hi = rec.get("ci_low"), rec.get("ci_high")
    detail = []
    if not _isnan(lo) and not _isnan(hi):
        detail.append(f"({_fmt_value(lo, share)}–{_fmt_value(hi, share)})")
    num, den, n = rec.get("numerator"), rec.get("denominator"), rec.get("n")
    if kind == "weighted_proportion" or not _isnan(rec.get("response_rate")):
        if not _isnan(n):
            detail.append(_t(lang, f"答卷 {_fmt_count(n)} 份", f"{_fmt_count(n)} respondents"))
        if not _isnan(rec.get("response_rate")):
            detail.append(_t(lang, f"回收率 {float(rec['response_rate']):.0%}",
                             f"response {float(rec['response_rate']):.0%}"))
        if not _isnan(rec.get("n_eff")):
            detail.append(_t(lang, f"有效样本 {float(rec['n_eff']):,.0f}", f"effective n {float(rec['n_eff']):,.0f}"))
    elif kind in ("count", "sum") or _isnan(den):
        pass
    elif kind in ("mean", "median"):
        if not _isnan(n):
            detail.append(f"n={_fmt_count(n)}")
    elif not _isnan(num) and not _isnan(den):
        detail.append(f"{_fmt_count(num)}/{_fmt_count(den)}")
    cell = est + "".join(f'<span class="ci">{html.escape(d)}</span>' for d in detail)
    return f'<td class="num">{cell}</td>'


def _unit_label(unit: Any, lang: str) -> str:
    from .plots import is_share, unit_label

    if _isnan(unit) or is_share(unit):
        return ""
    return unit_label(unit, lang)


def _indicator_year_table(rep: Report, frame: pd.DataFrame) -> str:
    """Rows = indicators, columns = previous year and report year (estimate, CI, n)."""
    from .plots import is_share

    lang = rep.lang
    years = sorted(int(y) for y in frame["year"].dropna().unique())
    head = [rep.header("indicator_name"), *[str(y) for y in years]]
    has_target = "target" in frame.columns and frame["target"].notna().any()
    if has_target:
        head.append(rep.header("target"))
    head.append(_t(lang, "单位", "Unit"))
    rows = []
    for ind, g in frame.groupby("indicator", sort=False):
        rec0 = g.iloc[0]
        share = is_share(rec0.get("unit", ""))
        cells = [f"<td>{html.escape(str(rec0['indicator_name']))}<span class='muted'> {html.escape(str(ind))}</span></td>"]
        by_year = {int(r["year"]): r for r in g.to_dict("records")}
        for y in years:
            cells.append(_est_cell(by_year[y], lang, share, rep.kinds.get(str(ind), ""))
                         if y in by_year else '<td class="num">—</td>')
        if has_target:
            tgt = rec0.get("target")
            cur = by_year.get(rep.year)
            mark = ""
            if cur is not None and not _isnan(tgt) and not _isnan(cur.get("estimate")) \
                    and cur.get("status") == "reported":
                ok = float(cur["estimate"]) >= float(tgt)
                mark = (f' <span class="{"yes" if ok else "no"}">'
                        f'{_t(lang, "达标" if ok else "未达标", "met" if ok else "not met")}</span>')
            cells.append(f'<td class="num">{"—" if _isnan(tgt) else _fmt_value(tgt, share, digits=0)}{mark}</td>')
        cells.append(f"<td>{html.escape(_unit_label(rec0.get('unit'), lang))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return _table_html(head, rows)


def _table_html(head: list[str], rows: list[str]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    return f'<div class="tablewrap"><table><thead><tr>{th}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


def _by_group_table(rep: Report, frame: pd.DataFrame) -> str:
    """Rows = indicators, columns = groups (estimate with CI and n)."""
    from .plots import is_share

    groups = sorted(frame[rep.by].dropna().astype(str).unique())
    head = [rep.header("indicator_name"), *groups]
    rows = []
    for _ind, g in frame.groupby("indicator", sort=False):
        rec0 = g.iloc[0]
        share = is_share(rec0.get("unit", ""))
        by_g = {str(r[rep.by]): r for r in g.to_dict("records")}
        cells = [f"<td>{html.escape(str(rec0['indicator_name']))}</td>"]
        for grp in groups:
            cells.append(_est_cell(by_g[grp], rep.lang, share, rep.kinds.get(str(_ind), ""))
                         if grp in by_g else '<td class="num">—</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return _table_html(head, rows)


def _plain_table(rep: Report, frame: pd.DataFrame, limit: int | None = None) -> str:
    from .plots import is_share

    shown = frame if limit is None else frame.head(limit)
    head = [rep.header(c) for c in shown.columns]
    rows = []
    share_rows = _share_rows(shown)
    for i, rec in enumerate(shown.to_dict("records")):
        cells = []
        for c in shown.columns:
            v = rec[c]
            if c == "unit":
                cells.append(f"<td>{html.escape(_unit_label(v, rep.lang))}</td>")
            elif c == "status":
                txt = _STATUS.get(str(v), (str(v), str(v)))[0 if rep.lang == "zh" else 1]
                cls = ' class="sup"' if v == "suppressed" else ""
                cells.append(f"<td><span{cls}>{html.escape(txt)}</span></td>")
            elif isinstance(v, bool | np.bool_):
                cells.append(f"<td>{_t(rep.lang, '是' if v else '否', 'yes' if v else 'no')}</td>")
            elif isinstance(v, int | float | np.integer | np.floating):
                share = bool(share_rows[i]) and c in _ESTIMATE_COLS or c in _PCT_ALWAYS
                if c in ("p_value", "q_value"):
                    txt = "—" if _isnan(v) else f"{float(v):.4f}"
                elif c in ("year", "grad_year", "row", "partnership_start"):
                    txt = "—" if _isnan(v) else f"{int(v)}"
                elif share and c in ("difference", "change", "change_ci_low", "change_ci_high"):
                    txt = "—" if _isnan(v) else f"{float(v) * 100:+.1f} pp"
                else:
                    txt = _fmt_value(v, share) if share else ("—" if _isnan(v) else _fmt_count(v)
                                                              if float(v).is_integer() else f"{float(v):,.2f}")
                cells.append(f'<td class="num">{html.escape(txt)}</td>')
            else:
                cls = ' class="name"' if c in ("enterprise", "indicator_name", "indicator") else ""
                cells.append(f"<td{cls}>{html.escape('' if _isnan(v) else str(v))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    del is_share
    return _table_html(head, rows)


def _img(fig: Any, alt: str, cache: dict[int, str] | None = None) -> str:
    from .plots import figure_to_png

    key = id(fig)
    if cache is not None and key in cache:
        data = cache[key]
    else:
        data = base64.b64encode(figure_to_png(fig)).decode("ascii")
        if cache is not None:
            cache[key] = data
    return f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"></figure>'


#: Options shown in the HTML header (all options are in the 说明 sheet of the workbook).
_SHOWN_OPTIONS = ("profile", "dual_definition", "practice_days", "pay_rule", "survey_weights", "as_of")


def _font_face(page: str) -> str:
    """@font-face rule embedding the bundled CJK font, subset to the characters of ``page``."""
    import io

    try:
        from fontTools import subset
        from fontTools.ttLib import TTFont
    except ImportError:  # pragma: no cover - fontTools ships with matplotlib
        return ""
    from .plots import _font_path

    opts = subset.Options()
    opts.flavor = "woff"
    opts.layout_features = ["*"]
    opts.notdef_outline = True
    buf = io.BytesIO()
    with TTFont(_font_path(), lazy=True) as font:
        sub = subset.Subsetter(opts)
        sub.populate(text="".join(sorted(set(page))))
        sub.subset(font)
        font.flavor = "woff"
        font.save(buf)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return ('@font-face { font-family: "coopmetrics CJK"; font-weight: 100 900; '
            f'src: url(data:font/woff;base64,{data}) format("woff"); }}')


def _render_html(rep: Report) -> str:
    from .plots import is_share

    lang = rep.lang
    title = _t(lang, f"{rep.college}{rep.year}年校企合作质量年度报告",
               f"School–enterprise cooperation report {rep.year}" + (f": {rep.college}" if rep.college else ""))
    parts = [f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
             f'<meta name="viewport" content="width=device-width, initial-scale=1">'
             f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body><main>"]
    settings = rep.settings
    sub = _t(lang, f"毕业届别 {rep.year}（对照 {rep.year - 1}）· 分组：{'院系' if rep.by == 'department' else '专业'}"
                   f" · 披露规则：{settings.get('disclosure', '')}",
             f"Cohort {rep.year} (compared with {rep.year - 1}) · breakdown: {rep.by}"
             f" · disclosure: {settings.get('disclosure', '')}")
    opts = " · ".join(_option_words(rep, _SHOWN_OPTIONS))
    # row accounting is shown inside the validation section
    sections = [(k, rep.sheet_name(k)) for k in rep.tables if k not in ("about", "accounting")]
    nav = "".join(f'<a href="#{k}">{html.escape(n)}</a>' for k, n in sections)
    parts.append(f"<header><h1>{html.escape(title)}</h1><div class='sub'>{html.escape(sub)}</div>"
                 f"<div class='sub'>{html.escape(_t(lang, '口径选项', 'Definition options'))}: {html.escape(opts)}</div>"
                 f"<nav>{nav}</nav></header>")
    # key figures
    if rep.key_figures:
        cards = []
        for rec in rep.key_figures:
            share = is_share(rec.get("unit", ""))
            name = rec.get("name_zh" if lang == "zh" else "name_en", rec.get("indicator"))
            if rec.get("status") == "suppressed":
                value = SUPPRESSED[lang]
            else:
                value = _fmt_value(rec.get("estimate"), share)
            detail = []
            if not _isnan(rec.get("ci_low")) and not _isnan(rec.get("ci_high")) and rec.get("status") != "suppressed":
                detail.append(f"95% CI {_fmt_value(rec['ci_low'], share)}–{_fmt_value(rec['ci_high'], share)}")
            if not _isnan(rec.get("denominator")):
                if share and not _isnan(rec.get("numerator")):
                    detail.append(f"{_fmt_count(rec['numerator'])} / {_fmt_count(rec['denominator'])}")
                else:
                    detail.append(f"n = {_fmt_count(rec.get('n', rec['denominator']))}")
            unit = _unit_label(rec.get("unit"), lang)
            cards.append(f"<div class='card'><div class='label'>{html.escape(str(name))}</div>"
                         f"<div class='value'>{html.escape(value)}<span class='detail'> {html.escape(unit)}</span></div>"
                         f"<div class='detail'>{html.escape(' · '.join(detail))}</div></div>")
        parts.append(f"<div class='cards'>{''.join(cards)}</div>")
    for note in rep.notes:
        parts.append(f"<div class='note'>{html.escape(note)}</div>")
    legend = _t(lang, f"表中每格：估计值，下方灰字为 95% 置信区间与 分子/分母（或 n）。“{SUPPRESSED['zh']}”表示人数太少、"
                      "按披露规则不公布。",
                f"Each cell: the estimate; below it in grey the 95% CI and numerator/denominator (or n). "
                f"'{SUPPRESSED['en']}' marks cells withheld by the disclosure rule (too few people).")
    if settings.get("disclosure") == "hesa":
        legend += _t(lang, " 按 HESA 规则，公布的人数四舍五入到 5 的倍数（小于 2.5 记为 0），百分比用未取整的人数计算，"
                           "所以分子/分母与百分比可能不完全吻合；分母不足 22.5 人的百分比、7 人及以下的平均数不公布。",
                     " Under the HESA rule published counts are rounded to multiples of 5 (below 2.5 to 0) and "
                     "percentages use the unrounded counts, so numerator/denominator may not match the percentage "
                     "exactly; percentages on fewer than 22.5 people and averages of 7 or fewer are withheld.")
    parts.append(f"<p class='muted'>{html.escape(legend)}</p>")
    figs = rep.figures
    dual_trend = "trend_dual_teacher_ratio_professional"
    fig_for = {"scorecard": [k for k in figs if (k.startswith("trend_") and k != dual_trend)
                             or k.startswith("likert_")],
               "resources": [dual_trend, "dual_ratio"], "enterprise": ["enterprise"], "cohorts": ["forest"]}
    for key, name in sections:
        frame = rep.tables[key]
        parts.append(f'<h2 id="{key}">{html.escape(name)}</h2>')
        intro = _INTROS.get(key)
        if intro:
            parts.append(f"<p class='muted'>{html.escape(intro[0 if lang == 'zh' else 1])}</p>")
        if frame.empty and key == "validation":
            acc = rep.tables.get("accounting")
            if acc is not None and len(acc):
                parts.append(_plain_table(rep, acc))
            parts.append(f"<p>{html.escape(_t(lang, '未发现问题。', 'No problems found.'))}</p>")
        elif frame.empty:
            parts.append(f"<p class='muted'>{html.escape(_t(lang, '（无记录）', '(no rows)'))}</p>")
        elif key in ("scorecard", "resources", "service", "internship"):
            parts.append(_indicator_year_table(rep, frame))
        elif key == "by_group":
            parts.append(_by_group_table(rep, frame))
        elif key == "validation":
            parts.append(_validation_html(rep, frame))
        elif key == "cohorts":
            parts.append(_cohort_table(rep, frame))
        elif key == "definitions":
            parts.append(_settings_html(rep))
            parts.append(_definitions_html(rep, frame))
        elif key == "yoy":
            parts.append(_yoy_html(rep, frame))
        elif key == "enterprise":
            cols = [c for c in _ENTERPRISE_HTML if c in frame.columns]
            parts.append(_plain_table(rep, frame[cols], limit=30))
            if len(frame) > 30:
                parts.append(f"<p class='muted'>{html.escape(_t(lang, f'按设备值排序，仅显示前 30 家，共 {len(frame)} 家；完整表（全部 {frame.shape[1]} 列）见 Excel。', f'Sorted by equipment value; first 30 of {len(frame)} firms. The workbook has every firm and all {frame.shape[1]} columns.'))}</p>")
        else:
            parts.append(_plain_table(rep, frame, limit=60))
            if len(frame) > 60:
                parts.append(f"<p class='muted'>{html.escape(_t(lang, f'仅显示前 60 行，共 {len(frame)} 行，完整表见 Excel。', f'First 60 of {len(frame)} rows; the workbook has all.'))}</p>")
        shown = [_img(figs[fk], fk, rep._png_cache) for fk in fig_for.get(key, []) if fk in figs]
        if shown:
            parts.append(f"<div class='figs'>{''.join(shown)}</div>")
    parts.append(f"<footer>coopmetrics {html.escape(_version())} · "
                 f"{html.escape(_dt.datetime.now().strftime('%Y-%m-%d %H:%M'))}</footer></main></body></html>")
    return "".join(parts)


def _fmt_num(value: Any, digits: int) -> str:
    return "—" if _isnan(value) else f"{float(value):.{digits}f}"


def _pick_lang(text: Any, lang: str) -> str:
    """Keep one language of a bilingual "中文 / English; 中文 / English" flag text.

    Examples
    --------
    >>> _pick_lang("小样本（n<30）/ small n (<30); 重叠差 / poor overlap", "en")
    'small n (<30); poor overlap'
    """
    if _isnan(text) or not str(text):
        return ""
    out = []
    for part in str(text).split("; "):
        halves = re.split(r"\s?/\s", part, maxsplit=1)  # "中文 / English" or "中文）/ English"
        out.append((halves[0] if lang == "zh" else halves[1]).strip() if len(halves) == 2 else part)
    return "; ".join(out)


def _cohort_table(rep: Report, frame: pd.DataFrame) -> str:
    """Cohort comparisons: one row per indicator x program x (raw | adjusted)."""
    from .plots import _cohort_label, is_share

    lang = rep.lang
    head = [rep.header("indicator_name"), _t(lang, "比较", "Comparison"), _t(lang, "模型", "Model"),
            _t(lang, "人数（队列/参照）", "n (cohort/reference)"), rep.header("estimate_cohort"),
            rep.header("estimate_reference"), _t(lang, "差值（95%置信区间）", "Difference (95% CI)"),
            rep.header("q_value"), rep.header("effect_size"), rep.header("flags")]
    rows = []
    for rec in frame.to_dict("records"):
        share = is_share(rec.get("unit", ""))
        comp = f"{_cohort_label(rec['cohort'], lang)} vs {_cohort_label(rec['reference'], lang)}"
        adjusted = bool(rec.get("adjusted"))
        model = _t(lang, "调整后", "adjusted") if adjusted else _t(lang, "未调整", "raw")
        covariates = html.escape(", ".join(rep.settings.get("cohort_adjust", "").split(","))) if adjusted else ""
        cells = [f"<td class='name'>{html.escape(str(rec['indicator_name']))}</td>",
                 f"<td class='name'>{html.escape(comp)}</td>",
                 f"<td class='name'>{model}<span class='ci'>{covariates}</span></td>",
                 f"<td class='num'>{_fmt_count(rec.get('n_cohort'))}/{_fmt_count(rec.get('n_reference'))}</td>"]
        if rec.get("status") == "suppressed":
            cells.append(f"<td class='num' colspan='5'><span class='sup'>{html.escape(SUPPRESSED[lang])}</span>"
                         f"<span class='ci'>{html.escape(_t(lang, '有一组人数太少', 'a group is too small'))}</span></td>")
        else:
            diff = rec.get("difference")
            def fmt_d(v: Any, share: bool = share) -> str:
                if _isnan(v):
                    return "—"
                return f"{float(v) * 100:+.1f}" if share else f"{float(v):+,.0f}"

            unit_d = _t(lang, " 个百分点", " pp") if share else ""
            sig = not _isnan(rec.get("q_value")) and float(rec["q_value"]) < 0.05
            cls = "yes" if sig else ""
            cells += [
                f"<td class='num'>{_fmt_value(rec.get('estimate_cohort'), share)}</td>",
                f"<td class='num'>{_fmt_value(rec.get('estimate_reference'), share)}</td>",
                f"<td class='num'><span class='{cls}'>{fmt_d(diff)}{unit_d}</span>"
                f"<span class='ci'>({fmt_d(rec.get('ci_low'))} – {fmt_d(rec.get('ci_high'))})</span></td>",
                f"<td class='num'>{_fmt_num(rec.get('q_value'), 3)}</td>",
                f"<td class='num'>{_fmt_num(rec.get('effect_size'), 2)}"
                f"<span class='ci'>{html.escape(str(rec.get('effect_size_type', '')))}</span></td>",
            ]
        cells.append(f"<td class='flags'>{html.escape(_pick_lang(rec.get('flags'), lang))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return _table_html(head, rows)


def _yoy_html(rep: Report, frame: pd.DataFrame) -> str:
    """Rows = indicators: previous year, report year, change with its CI and q-value."""
    from .plots import is_share

    lang = rep.lang
    head = [rep.header("indicator_name"), str(rep.year - 1), str(rep.year),
            _t(lang, "变化（95%置信区间）", "Change (95% CI)"), rep.header("q_value"), _t(lang, "单位", "Unit")]
    rows = []
    for rec in frame.to_dict("records"):
        share = is_share(rec.get("unit", ""))
        cells = [f"<td class='name'>{html.escape(str(rec['indicator_name']))}</td>"]
        if rec.get("status") == "suppressed":
            cells.append(f"<td class='num' colspan='4'><span class='sup'>{html.escape(SUPPRESSED[lang])}</span></td>")
        else:
            def fmt_c(v: Any, share: bool = share) -> str:
                if _isnan(v):
                    return "—"
                if share:
                    return f"{float(v) * 100:+.1f}"
                return f"{float(v):+,.0f}" if abs(float(v)) >= 100 else f"{float(v):+,.2f}"

            ch = rec.get("change")
            unit_c = _t(lang, " 个百分点", " pp") if share else ""
            sig = not _isnan(rec.get("q_value")) and float(rec["q_value"]) < 0.05
            ci = ""
            if not _isnan(rec.get("change_ci_low")):
                ci = f"<span class='ci'>({fmt_c(rec['change_ci_low'])} – {fmt_c(rec['change_ci_high'])})</span>"
            cells += [f"<td class='num'>{_fmt_value(rec.get('previous'), share)}</td>",
                      f"<td class='num'>{_fmt_value(rec.get('estimate'), share)}</td>",
                      f"<td class='num'><span class='{'yes' if sig else ''}'>{fmt_c(ch)}{unit_c}</span>{ci}</td>",
                      f"<td class='num'>{_fmt_num(rec.get('q_value'), 3)}</td>"]
        cells.append(f"<td>{html.escape(_unit_label(rec.get('unit'), lang))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return _table_html(head, rows)


def _option_rows(rep: Report) -> pd.DataFrame:
    about = rep.tables.get("about")
    if about is None or "key" not in about.columns:
        return pd.DataFrame(columns=["item", "content", "key", "value", "status", "alternatives", "switch", "notes"])
    return about[about["key"].fillna("").astype(str) != ""]


def _option_words(rep: Report, keys: Iterable[str]) -> list[str]:
    """'setting: value' in the report language for the header (bilingual cells are 'zh / en')."""
    i = 0 if rep.lang == "zh" else 1
    rows = _option_rows(rep)
    out = []
    for rec in rows[rows["key"].isin(list(keys))].to_dict("records"):
        name = str(rec["item"]).split(" / ", 1)[min(i, str(rec["item"]).count(" / "))]
        value = str(rec["content"]).split(" / ", 1)[min(i, str(rec["content"]).count(" / "))]
        out.append(f"{name}：{value}" + (" [U]" if "[U]" in str(rec["status"]) else ""))
    return out


def _settings_html(rep: Report) -> str:
    """The definition options, as in the 说明 sheet: setting, value in words, status, alternatives, switch."""
    lang = rep.lang
    rows_df = _option_rows(rep)
    if rows_df.empty:
        return ""
    head = [_t(lang, "口径选项", "Definition option"), _t(lang, "本报告所用取值", "Value used"),
            _t(lang, "口径状态", "Status"), _t(lang, "可选项", "Alternatives"), _t(lang, "如何更改", "How to change")]
    rows = []
    for rec in rows_df.to_dict("records"):
        prov = "[U]" in str(rec["status"])
        notes = "" if _isnan(rec.get("notes")) or not rec.get("notes") else str(rec["notes"])
        rows.append(
            "<tr>"
            f"<td><b>{html.escape(str(rec['item']))}</b><span class='ci'>{html.escape(str(rec['key']))}</span></td>"
            f"<td>{html.escape(str(rec['content']))}<span class='ci'>{html.escape(str(rec['value']))}</span></td>"
            f"<td>{'<b>' if prov else ''}{html.escape(str(rec['status']))}{'</b>' if prov else ''}"
            + (f"<span class='ci'>{html.escape(notes)}</span>" if notes else "") + "</td>"
            f"<td>{html.escape(str(rec['alternatives']))}</td>"
            f"<td>{html.escape(str(rec['switch']))}</td></tr>"
        )
    intro = _t(lang, "口径选项：标 [U] 的是未核实的暂定口径，可按“如何更改”一栏改选。",
               "Definition options: [U] marks a provisional (unverified) choice; change it as the last column says.")
    return f"<h3>{html.escape(_t(lang, '口径选项', 'Definition options'))}</h3><p class='muted'>{html.escape(intro)}</p>" \
        + _table_html(head, rows) + f"<h3>{html.escape(_t(lang, '指标定义', 'Indicator definitions'))}</h3>"


def _definitions_html(rep: Report, frame: pd.DataFrame) -> str:
    """One row per indicator: name and id; numerator ÷ denominator; edition, source, grade."""
    from .plots import unit_label

    lang = rep.lang
    head = [rep.header("indicator_name"), _t(lang, "分子 ÷ 分母", "Numerator ÷ denominator"),
            _t(lang, "口径与出处", "Edition and source")]
    rows = []
    for rec in frame.to_dict("records"):
        name = rec.get("name_zh") if lang == "zh" else rec.get("name_en")
        other = rec.get("name_en") if lang == "zh" else rec.get("name_zh")
        unit = unit_label(rec.get("unit"), lang)
        num = "" if _isnan(rec.get("numerator")) else str(rec.get("numerator"))
        den = "" if _isnan(rec.get("denominator")) else str(rec.get("denominator"))
        grade = "" if _isnan(rec.get("grade")) else f" [{rec['grade']}]"
        prov = _t(lang, "（暂定口径）", " (provisional)") if rec.get("provisional") is True else ""
        tgt = "" if _isnan(rec.get("target")) else _t(lang, f"目标 {rec['target']:g}", f"target {rec['target']:g}")
        notes = "" if _isnan(rec.get("notes")) else str(rec.get("notes"))
        rows.append(
            "<tr>"
            f"<td><b>{html.escape(str(name))}</b><span class='ci'>{html.escape(str(other))}</span>"
            f"<span class='ci'>{html.escape(str(rec['indicator']))} · {html.escape(unit)}</span></td>"
            f"<td>{html.escape(num)}" + (f"<br>÷ {html.escape(den)}" if den else "")
            + (f"<span class='ci'>{html.escape(notes)}</span>" if notes else "") + "</td>"
            f"<td>{html.escape(str(rec.get('edition', '')))}{html.escape(prov)}"
            f"<span class='ci'>{html.escape(str(rec.get('source', '')))}{html.escape(grade)}</span>"
            + (f"<span class='ci'>{html.escape(tgt)}</span>" if tgt else "") + "</td></tr>"
        )
    return _table_html(head, rows)


def _validation_html(rep: Report, frame: pd.DataFrame) -> str:
    lang = rep.lang
    out = []
    acc = rep.tables.get("accounting")
    if acc is not None and len(acc):
        out.append(_plain_table(rep, acc))
    if "problem" in frame.columns and len(frame):
        keys = [c for c in ("table", "problem", "action") if c in frame.columns]
        counts = frame.groupby(keys, dropna=False).size().rename("n").reset_index()
        head = [rep.header(c) for c in keys] + [_t(lang, "条数", "Count")]
        rows = []
        for rec in counts.to_dict("records"):
            cells = []
            for c in keys:
                v = str(rec[c])
                if c == "table" and v in TABLES:
                    v = f"{TABLES[v].zh} {v}" if lang == "zh" else v
                elif c == "action":
                    v = _ACTIONS.get(v, (v, v))[0 if lang == "zh" else 1]
                elif c == "problem" and v in INFO_PROBLEMS:
                    v += _t(lang, "（信息，不算问题）", " (note, not a problem)")
                cells.append(f"<td>{html.escape(v)}</td>")
            cells.append(f"<td class='num'>{rec['n']:,}</td>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        out.append(_table_html(head, rows))
    out.append(f"<details><summary>{html.escape(_t(lang, f'明细（前 100 条，共 {len(frame)} 条）', f'Details (first 100 of {len(frame)})'))}</summary>")
    cols = [c for c in ("file", "sheet", "row", "column", "value", "problem", "action",
                        "message_zh" if lang == "zh" else "message_en") if c in frame.columns]
    out.append(_plain_table(rep, frame[cols], limit=100))
    out.append("</details>")
    return "".join(out)


#: Columns of the partner-firm table shown in HTML (the workbook has them all).
_ENTERPRISE_HTML = ("enterprise", "partnership_start", "equipment_value", "funds", "interns_received",
                    "graduates_hired", "order_students", "part_time_hours", "tech_service_income",
                    "training_income")

_INTROS: dict[str, tuple[str, str]] = {
    "scorecard": ("毕业生去向、收入、专业相关度与满意度：报告年份与上一年对照。",
                  "Graduate destinations, salary, relevance and satisfaction: report year against the year before."),
    "resources": ("师资与教学资源：生师比、双师型教师比例（两种分母）、高级职称、企业兼职教师授课、企业设备。",
                  "Teaching resources: student–teacher ratio, dual-qualified shares (two denominators), senior "
                  "titles, enterprise teaching, firm equipment."),
    "service": ("服务贡献：毕业生人数与去向结构、技术服务与培训。",
                "Service contribution: graduates and where they went, technical services and training."),
    "internship": ("岗位实习：录用、对口、保险、报酬与时长合规。",
                   "Placement internships: hire, relevance, insurance, pay and duration compliance."),
    "by_group": ("报告年份全部指标按分组列出。", "Every indicator of the report year by group."),
    "enterprise": ("报告年份每家合作企业的投入与产出（金额单位：元）。",
                   "What each partner firm put in and took out in the report year (money in yuan)."),
    "cohorts": ("报告年份订单班、现代学徒制、冠名班与普通班的比较：差值、95%置信区间、BH 校正后的 q 值（全部比较一起校正）和效应量。"
                "“未调整”是原始差异，可能含选择偏差（例如订单班录取分数更高）；“调整后”控制了入学成绩、性别和招生类型（回归调整，平均边际效应；在某一比较中为常数或共线的协变量会被剔除并注明）。"
                "绿色表示 q<0.05。",
                "Order class, apprenticeship and named class against regular classes in the report year: difference, "
                "95% CI, Benjamini–Hochberg q-value and effect size. 'Raw' rows are plain gaps and may reflect "
                "selection (order classes admit higher entry scores); 'adjusted' rows control for entry score, "
                "gender and admission type (regression adjustment, average marginal effect; a covariate constant or "
                "collinear within a comparison is dropped and named). Green: q < 0.05."),
    "yoy": ("与上一年相比的变化及其 95% 置信区间。", "Change from the previous year with its 95% CI."),
    "definitions": ("本报告用到的每个指标的定义、口径版本与出处。",
                    "Definition, edition and source of every indicator used in this report."),
    "validation": ("读入数据时发现的问题（含 Excel 行号）与逐表行数核对；个人信息已隐去。",
                   "Problems found when reading the data (with Excel rows) and row accounting; personal data masked."),
    "accounting": ("每个输入文件读入、保留、修正、排除的行数。", "Rows read, kept, fixed and excluded per input file."),
}
