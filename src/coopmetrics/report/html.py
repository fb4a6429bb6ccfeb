"""HTML renderer: one self-contained page from Jinja2 templates (``templates/report.html.j2``).

The page template has one block per section; every table goes through one macro, so a new
section is a new block and a new table id. Cells use the same words and number kinds as the
workbook. The print stylesheet sets A4 landscape, repeats table headers, lets wide tables
wrap (no column is cut off) and keeps figures whole.
"""

from __future__ import annotations

import base64
import datetime as _dt
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .excel import _ESTIMATE_COLS, _number_kind, _row_meta, cell_text, visible_columns
from .labels import MISSING, NA, NOT_SUPPLIED, SUPPRESSED, isnan, t

if TYPE_CHECKING:
    from .model import Report

__all__ = ["render_html", "font_face"]

_TEMPLATES = Path(__file__).with_name("templates")

#: Rows shown per table in HTML (the workbook has them all).
_LIMITS = {"validation": 100, "enterprise": 30, "by_group": 400, "technical": 200}

_INTROS: dict[str, tuple[str, str]] = {
    "partners": ("按每家合作企业的学生成效与全校水平比较：只列出超出漏斗图 99.8% 界限（精确二项分布）的企业，"
                 "并给出经验贝叶斯估计，小企业不会因偶然而排在前后。",
                 "Each partner's students' outcomes against the college: only partners outside the 99.8% funnel "
                 "limits (exact binomial) are listed, with empirical-Bayes estimates, so small partners are not "
                 "ranked by chance."),
    "summary": ("关键数字、与上一年相比的变化，以及变化是否超出随机波动（按95%置信区间和多重比较校正后的 q 值判断）。",
                "Key figures, the change from last year and whether it is beyond chance (95% CI and BH q-value)."),
    "scorecard": ("按质量年报计分卡格式：每项一行，两个届别并列。标“未提供数据”的项目需学校另行填报。",
                  "In the 质量年报 scorecard layout: one row per item, two cohorts side by side."),
    "resources": ("教学资源表：师资与教学条件。", "Teaching resources: staff and facilities."),
    "service": ("服务贡献表：毕业生去向（A–D 类为人数）、技术服务与培训。",
                "Service contribution: where graduates went (A–D as counts), technical services and training."),
    "policy": ("落实政策表：数据可提供的项目已填写。", "Policy implementation: items the data allow are filled in."),
    "international": ("国际影响表：数据可提供的项目已填写。", "International influence: items the data allow."),
    "feedback": ("学生反馈表：母校满意度调查各题的满意比例。", "Student feedback: satisfied share per survey item."),
    "indicators": ("全部指标的估计值、95%置信区间、分子与分母。", "Every indicator with estimate, 95% CI, numerator "
                   "and denominator."),
    "by_group": ("报告年份全部指标按分组列出。", "Every indicator of the report year by group."),
    "enterprise": ("报告年份每家合作企业的投入与产出（金额单位：元）。",
                   "What each partner firm put in and took out in the report year (money in yuan)."),
    "cohorts": ("订单班、现代学徒制、冠名班与普通班的比较。“未调整”是原始差异，可能含选择偏差；“调整后”控制了入学成绩、"
                "性别和招生类型。q 值为全部比较一起校正后的多重比较 q 值。",
                "Order class, apprenticeship and named class against regular classes. 'Raw' rows are plain gaps "
                "and may reflect selection; 'adjusted' rows control for entry score, gender and admission type."),
    "yoy": ("与上一年相比的变化及其 95% 置信区间。", "Change from the previous year with its 95% CI."),
    "definitions": ("本报告用到的每个指标的定义、口径版本与出处。",
                    "Definition, edition and source of every indicator used in this report."),
    "validation": ("读入数据时发现的问题（含 Excel 行号）；个人信息已隐去。",
                   "Problems found when reading the data (with Excel rows); personal data masked."),
    "accounting": ("每个输入文件读入、保留、修正、排除的行数。", "Rows read, kept, fixed and excluded per input file."),
    "technical": ("技术信息：指标编号、选项字段名与原始取值（供技术人员核对，其他表中不出现）。",
                  "Technical: indicator ids, option keys and raw values (not shown elsewhere)."),
    "about": ("如何阅读本报告，以及所用的口径选项。", "How to read this report and the definition options used."),
}


def _shown(kind: str, v: float, lang: str) -> str:
    """A number as the workbook's format shows it (a change of zero has no sign)."""
    pp = t(lang, " 个百分点", " pp")
    if kind.startswith("d_") and v == 0:
        kind, v = kind[2:], 0.0
        return ("0.00" + pp) if kind in ("pct", "share") else _shown(kind, v, lang)
    fmt = _SHOWN.get(kind)
    return fmt(v, pp) if fmt is not None else f"{v:,.2f}"


#: Number kind -> text (``pp``: the language's "percentage points" suffix); one table, not one per cell.
_SHOWN: dict[str, Any] = {
    "pct": lambda v, pp: f"{v:.2%}", "count": lambda v, pp: f"{v:,.0f}" if v.is_integer() else f"{v:,.2f}",
    "int": lambda v, pp: f"{v:,.0f}", "year": lambda v, pp: f"{v:.0f}", "money": lambda v, pp: f"{v:,.2f}",
    "wan": lambda v, pp: _wan(v),
    "ratio": lambda v, pp: f"{v:.2f}", "num": lambda v, pp: f"{v:,.2f}", "p": lambda v, pp: f"{v:.3f}",
    "d_pct": lambda v, pp: f"{v:+.2f}{pp}", "d_share": lambda v, pp: f"{v * 100:+.2f}{pp}",
    "d_count": lambda v, pp: f"{v:+,.0f}", "d_money": lambda v, pp: f"{v:+,.2f}",
    "d_wan": lambda v, pp: ("+" if v > 0 else "") + _wan(v), "d_ratio": lambda v, pp: f"{v:+.2f}",
}


def _wan(v: float) -> str:
    """万元 with two to four decimals (the exact yuan amount, as ``#,##0.00##`` shows it)."""
    text = f"{v:,.4f}"
    while text.endswith("0") and len(text.split(".")[1]) > 2:
        text = text[:-1]
    return text


def _cells(rep: Report, table: str, frame: pd.DataFrame, limit: int | None) -> dict[str, Any]:
    """Header and rows (text, css class) of one table for the template macro."""
    shown = frame if limit is None else frame.head(limit)
    cols = visible_columns(rep, table, shown)
    share, row_fmt = _row_meta(shown)
    status = shown["status"].astype(str).to_numpy() if "status" in shown.columns else None
    marks = {SUPPRESSED[rep.lang], NOT_SUPPLIED[rep.lang], MISSING[rep.lang], NA[rep.lang]}
    values = shown[cols].to_numpy(dtype=object)
    rows = []
    for i in range(len(shown)):
        st = None if status is None else status[i]
        row = []
        for j, c in enumerate(cols):
            v = values[i, j]
            if c in _ESTIMATE_COLS and st == "suppressed":
                row.append((SUPPRESSED[rep.lang], "num sup"))
            elif isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool | np.bool_):
                row.append(("" if isnan(v) else _shown(_number_kind(c, float(v), bool(share[i]), row_fmt[i]),
                                                       float(v), rep.lang), "num"))
            else:
                text = cell_text(rep, c, v, table) or ""
                row.append((text, "sup" if text == SUPPRESSED[rep.lang] else "miss" if text in marks else
                            "long" if len(text) > 40 else ""))
        rows.append(row)
    return {"head": [rep.header(c, table) for c in cols], "rows": rows, "total": len(frame),
            "cut": limit is not None and len(frame) > limit}


def _img(fig: Any, cache: dict[int, str]) -> str:
    from ..plots import figure_to_png

    key = id(fig)
    if key not in cache:
        cache[key] = base64.b64encode(figure_to_png(fig)).decode("ascii")
    return cache[key]


def font_face(page: str) -> str:
    """@font-face rule embedding the bundled CJK font, subset to the characters of ``page``.

    ASCII is always included so that new numbers never change the glyph set: the subset
    is then reused from the cache (:func:`coopmetrics.plots.font_subset_woff`).
    """
    from ..plots import font_subset_woff

    glyphs = "".join(sorted(set(page) | {chr(c) for c in range(32, 127)}))
    data = base64.b64encode(font_subset_woff(glyphs)).decode("ascii")
    return ('@font-face { font-family: "coopmetrics CJK"; font-weight: 100 900; '
            f'src: url(data:font/woff;base64,{data}) format("woff"); }}')


@cache
def _environment() -> Any:
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
                              autoescape=jinja2.select_autoescape(["html", "j2"]),
                              trim_blocks=True, lstrip_blocks=True)


_FIGURES_OF = {"scorecard": ("trend_placement_rate", "trend_job_relevance_rate", "trend_salary_mean",
                             "trend_school_satisfaction", "trend_employer_satisfaction"),
               "resources": ("trend_dual_teacher_ratio_professional", "dual_ratio"),
               "feedback": ("likert_school", "likert_employer"), "enterprise": ("enterprise",),
               "partners": ("partner_funnel", "partner_survival"),
               "cohorts": ("forest",)}


def _sections(rep: Report) -> dict[str, dict[str, Any]]:
    lang = rep.lang
    out = {}
    for key, frame in rep.tables.items():
        figs = [(fk, _img(rep.figures[fk], rep._png_cache)) for fk in _FIGURES_OF.get(key, ()) if fk in rep.figures]
        intro = _INTROS.get(key)
        out[key] = {"id": key, "title": rep.sheet_name(key), "intro": intro[0 if lang == "zh" else 1] if intro else "",
                    "table": _cells(rep, key, frame, _LIMITS.get(key)), "figures": figs,
                    "wide": len(visible_columns(rep, key, frame)) > 8}
    return out


def _cards(rep: Report) -> list[dict[str, str]]:
    summary = rep.tables.get("summary")
    if summary is None:
        return []
    cards = []
    for rec in summary.to_dict("records"):
        v = rec["estimate"]
        value = _shown(rec["_fmt"], float(v), rep.lang) if isinstance(v, float) else str(v)
        ch = rec["change"]
        change = "" if not isinstance(ch, float) else _shown("d_pct" if rec["_fmt"] == "pct" else
                                                             "d_count" if rec["_fmt"] == "count" else "d_money",
                                                             ch, rep.lang)
        cards.append({"label": rec["item"], "value": value, "change": change, "sig": rec["significance"]})
    return cards


def render_html(rep: Report, *, embed_font: bool = False) -> str:
    """The report as one HTML page (see the module docstring)."""
    lang = rep.lang
    title = t(lang, f"{rep.college}{rep.year}年校企合作质量年度报告",
              f"School–enterprise cooperation report {rep.year}" + (f": {rep.college}" if rep.college else ""))
    exact = rep.settings.get("disclosure", "none") == "none"
    sub = t(lang, f"毕业届别 {rep.year}（对照 {rep.year - 1}）· " + ("精确数字" if exact else "对外公开版（人数取整、小单元格不公布）"),
            f"Cohort {rep.year} (against {rep.year - 1}) · " + ("exact figures" if exact else
                                                               "public release (rounded, small cells withheld)"))
    page = _environment().get_template("report.html.j2").render(
        lang=lang, html_lang="zh-CN" if lang == "zh" else "en", title=title, sub=sub,
        cards=_cards(rep), notes=list(rep.notes), sections=_sections(rep), font_face="",
        shown_of=t(lang, "仅显示前 {n} 行，共 {total} 行，完整表见 Excel。", "First {n} of {total} rows; the workbook has all."),
        generated=f"coopmetrics {_version()} · {_dt.datetime.now().strftime('%Y-%m-%d %H:%M')}",
        words={"contents": t(lang, "目录", "Contents"), "beyond": t(lang, "超出随机波动", "beyond chance")},
    )
    if embed_font:
        page = page.replace("<style>", f"<style>{font_face(page)}", 1)
    return page


def _version() -> str:
    from .. import __version__

    return __version__
