"""企业年报 data appendices (one workbook per partner) and the report's 合作企业评估 section.

:func:`appendix_table` builds, vectorised, one long table of every partner's figures
with the college's value beside each; :func:`write_appendices` writes it as one small
workbook per partner (sheets 投入 inputs, 学生 students, 成效 outcomes, 服务 services,
说明 notes); :func:`report_section` returns the tables and figures of the yearly
report's partner section for the report builder.

Examples
--------
>>> import tempfile, coopmetrics as cm
>>> sc = cm.partner_scorecard(cm.sample.generate(), 2024)
>>> paths = write_appendices(sc, tempfile.mkdtemp(), year=2024, partners=sc.table["enterprise"][:2])
>>> [p.suffix for p in paths]
['.xlsx', '.xlsx']
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .measures import COUNTS, INPUTS, SERVICES

__all__ = ["appendix_table", "write_appendices", "report_section", "PartnerSection", "APPENDIX_COLUMNS"]

#: Columns of :func:`appendix_table` (canonical) with Chinese and English headers.
APPENDIX_COLUMNS: dict[str, tuple[str, str]] = {
    "section": ("部分", "section"),
    "measure": ("指标代码", "measure"),
    "label": ("指标", "item"),
    "value": ("本企业", "this partner"),
    "numerator": ("分子", "numerator"),
    "denominator": ("分母", "denominator"),
    "ci_low": ("95%置信区间下限", "95% CI low"),
    "ci_high": ("95%置信区间上限", "95% CI high"),
    "college": ("全校水平", "college"),
    "comparison": ("与全校比较", "vs the college"),
}
_SECTIONS = {"inputs": ("投入", "inputs"), "students": ("学生", "students"), "outcomes": ("成效", "outcomes"),
             "services": ("服务", "services")}


def _scorecard(data: Any, year: int | None, options: Any, draws: int = 0) -> Any:
    from .scorecard import PartnerScorecard, partner_scorecard

    if isinstance(data, PartnerScorecard):
        return data
    if year is None:
        from .measures import _pandas

        year = int(_pandas(data["enterprises"])["year"].max())
    return partner_scorecard(data, year, options=options, draws=draws)


def appendix_table(sc: Any, *, lang: str = "zh") -> pd.DataFrame:
    """Every partner's appendix rows: unit columns + :data:`APPENDIX_COLUMNS` (canonical names).

    Inputs and services carry the partner's ledger sum and the college's mean per partner;
    counts the partner's students; rates and means the estimate, numerator, denominator,
    CI, the college's value and the funnel flag.
    """
    zh = lang == "zh"
    t = sc.table[sc.table["in_ledger"]] if "in_ledger" in sc.table else sc.table
    parts = []
    for section, labels in (("inputs", INPUTS), ("services", SERVICES), ("students", COUNTS)):
        cols = [c for c in labels if c in t]
        long = t.melt(id_vars=["enterprise"], value_vars=cols, var_name="measure", value_name="value")
        long["section"] = section
        long["label"] = long["measure"].map({k: v[0 if zh else 1] for k, v in labels.items()})
        long["college"] = long["measure"].map(t[cols].mean())  # the college's mean per partner
        parts.append(long)
    fair = sc.fair.merge(t[["enterprise"]], on="enterprise")
    out = fair.assign(section="outcomes", label=fair["name_zh" if zh else "name_en"], value=fair["estimate"],
                      college=fair["college_rate"], comparison=fair["flag_zh" if zh else "flag_en"])
    parts.append(out)
    res = pd.concat(parts, ignore_index=True)
    res["comparison"] = res["comparison"] if "comparison" in res else np.nan
    order = {s: i for i, s in enumerate(_SECTIONS)}
    res = res.sort_values(["enterprise", "section"], key=lambda s: s.map(order) if s.name == "section" else s,
                          kind="stable", ignore_index=True)
    return res[["enterprise", *APPENDIX_COLUMNS]]


def _safe(name: str) -> str:
    return re.sub(r'[\\/:*?"<>|\s]+', "_", str(name)).strip("_")[:80] or "partner"


def write_appendices(data: Any, out_dir: str | Path, *, year: int | None = None, lang: str = "zh",
                     options: Any = None, partners: Sequence[str] | None = None) -> list[Path]:
    """Write one 企业年报 data appendix workbook per partner active in ``year``.

    Parameters
    ----------
    data : Dataset or PartnerScorecard
        The data (a one-year scorecard is computed) or a scorecard already computed.
    out_dir : path
        Folder (created).
    year : int, optional
        Default: the ledger's latest year.
    lang : {"zh", "en"}
        Sheet names, headers and labels.
    partners : sequence of str, optional
        Only these partners (ledger spellings); default every partner in the ledger that year.

    Returns
    -------
    list of Path
        One workbook per partner: ``<year>_<partner>_企业年报数据附录.xlsx`` (``…_appendix.xlsx`` in English).
    """
    sc = _scorecard(data, year, options)
    zh = lang == "zh"
    year = year if year is not None else (sc.years[-1] if sc.years else None)
    long = appendix_table(sc, lang=lang)
    if partners is not None:
        long = long[long["enterprise"].isin(list(partners))]
    headers = {k: v[0 if zh else 1] for k, v in APPENDIX_COLUMNS.items()}
    per_partner = "全校平均（每家合作企业）" if zh else "college mean per partner"
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    suffix = "企业年报数据附录" if zh else "annual_report_appendix"
    note = pd.DataFrame({("说明" if zh else "note"): [
        (f"{year} 年合作企业数据附录（企业参与高等职业教育人才培养年度报告）。金额单位：元。"
         "比率附 95% Wilson 置信区间；“全校水平”对投入为每家合作企业的平均值，对成效为全校学生的比率；"
         "“与全校比较”按精确二项分布漏斗图 99.8% 界限判定。") if zh else
        (f"Partner data appendix for {year} (enterprise annual report). Money in yuan. Rates with 95% Wilson "
         "intervals; 'college' is the mean per partner for inputs and the rate over all the college's students "
         "for outcomes; 'vs the college' uses exact binomial funnel limits at 99.8%."),
        *(f"注 / note: {n}" for n in sc.notes)]})
    paths = []
    for name, grp in long.groupby("enterprise", sort=True):  # I/O: one file per partner
        p = out / f"{year}_{_safe(name)}_{suffix}.xlsx"
        with pd.ExcelWriter(p, engine="openpyxl") as xw:
            for section, (szh, sen) in _SECTIONS.items():
                part = grp[grp["section"] == section].drop(columns=["enterprise", "section", "measure"])
                if section != "outcomes":  # sums and counts: no numerator, denominator, CI or flag
                    part = part[["label", "value", "college"]].rename(columns={"college": per_partner})
                part.rename(columns=headers).to_excel(xw, sheet_name=szh if zh else sen, index=False)
            note.to_excel(xw, sheet_name="说明" if zh else "notes", index=False)
        paths.append(p)
    return paths


@dataclass
class PartnerSection:
    """Tables and figures of the report's 合作企业评估 section (no I/O)."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    text: str = ""


def report_section(data: Any, year: int | None = None, *, lang: str = "zh", options: Any = None,
                   measure: str = "intern_hire_rate", top: int = 10) -> PartnerSection:
    """The 合作企业评估 section: flagged partners, top/bottom by shrunk estimate, departments, durability.

    Tables: ``flags`` (every partner flagged above/below the college on any rate), ``top`` and
    ``bottom`` (by the shrunk ``measure``, with rank intervals), ``departments`` (the school
    side), ``churn``, ``survival``, ``tenure``. Figures: ``funnel``, ``shrinkage``, ``survival``,
    ``churn``.
    """
    from .durability import partner_churn, partnership_survival, tenure_outcomes
    from .figures import churn_figure, funnel_figure, shrinkage_figure, survival_figure
    from .scorecard import partner_scorecard

    sc = _scorecard(data, year, options, draws=1000)  # the top/bottom tables show rank intervals
    f = sc.fair
    m = f[(f["measure"] == measure) & (f["denominator"] > 0)].sort_values("shrunk", ascending=False)
    keep = ["enterprise", "numerator", "denominator", "estimate", "shrunk", "shrunk_low", "shrunk_high", "rank",
            "rank_low", "rank_high", "flag_zh" if lang == "zh" else "flag_en"]
    tables = {
        "flags": f[f["flag"].isin(["above", "below"])].reset_index(drop=True),
        "top": m.head(top)[keep].reset_index(drop=True),
        "bottom": m.tail(top)[keep].iloc[::-1].reset_index(drop=True),
        "churn": partner_churn(data) if not hasattr(data, "fair") else pd.DataFrame(),
        "survival": partnership_survival(data) if not hasattr(data, "fair") else pd.DataFrame(),
        "tenure": tenure_outcomes(sc),
    }
    if not hasattr(data, "fair"):
        tables["departments"] = partner_scorecard(data, sc.years, by=("department",), options=options).table
    figures = {"funnel": funnel_figure(sc, measure, lang=lang), "shrinkage": shrinkage_figure(sc, measure, lang=lang)}
    if len(tables["survival"]):
        figures["survival"] = survival_figure(tables["survival"], lang=lang)
        figures["churn"] = churn_figure(tables["churn"], lang=lang)
    return PartnerSection(tables, figures, sc.summary(lang))
