"""Build the yearly report: every table and figure, no I/O.

:func:`build_report` runs the phases (compute, compare, official tables, figures) and
returns a :class:`~coopmetrics.report.model.Report`. The engine results (indicators, breakdown,
survey items, cohort comparisons) come from :mod:`coopmetrics.report.bundle`, computed here for
one college or passed in precomputed (one college's slice of a panel, :mod:`.panel`).
Comparison output is read through ``bundle._comparison_table`` only, so a change of
``compare()``'s return type is one line there.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ..dataset import Dataset
from ..errors import CoopmetricsError, InputError, check_option
from . import layouts as _layouts
from .bundle import Bundle, _comparison_table, compute_cohorts, compute_indicators  # noqa: F401
from .gcfreeze import frozen_heap
from .labels import LANGS, SHEETS, SUPPRESSED, t
from .model import Report
from .official import official_tables, summary_table
from .settings import DISCLOSURE_WORDS, definitions_table, settings_table
from .validation import drop_pii, scrub_validation

__all__ = ["build_report", "PHASES"]

_DISCLOSURES = ("none", "hesa", "min_n")

#: Progress phases (id, Chinese, English) in the order a CLI run goes through them; build_report
#: reports compute / compare / tables / plots, the CLI adds load and write.
PHASES: tuple[tuple[str, str, str], ...] = (
    ("load", "读取数据", "loading data"),
    ("compute", "计算指标", "computing indicators"),
    ("compare", "队列比较", "comparing cohorts"),
    ("tables", "生成报表", "building tables"),
    ("plots", "绘制图表", "drawing figures"),
    ("write", "写出文件", "writing files"),
)

_ENTERPRISE_SUMS = (
    "equipment_value", "funds", "donated_equipment", "part_time_teachers", "part_time_hours",
    "internship_positions", "interns_received", "order_students", "graduates_hired", "co_bases",
    "co_courses", "co_textbooks", "tech_service_income", "training_income", "training_person_days",
)

#: Smallest arm of a published cohort comparison (HESA: percentages on fewer than 22.5
#: people are suppressed; the same floor is applied to each arm). Only with disclosure.
_MIN_COHORT = 22.5


def build_report(
    data: Dataset,
    year: int | None = None,
    *,
    by: str = "department",
    lang: str = "zh",
    options: Any = None,
    disclosure: str = "none",
    progress: bool | Callable[[str], None] = False,
    platform: bool = False,
    layouts: dict[str, _layouts.Layout] | None = None,
    figures: bool = True,
    partners: bool = True,
) -> Report:
    """Compute every table and figure of the yearly report (no I/O).

    Parameters
    ----------
    data : Dataset
        Loaded data (:func:`coopmetrics.load` or :func:`coopmetrics.sample.load_sample`).
    year : int, optional
        Report year (graduation cohort); default the latest year of ``graduates``.
        The official tables also show the year before.
    by : {"department", "major"}
        Breakdown of the ``by_group`` table and the 双师 figure.
    lang : {"zh", "en"}
        Language of every word in the report (ids only on the technical sheet).
    options : coopmetrics.registry.Options, optional
        Definition choices; echoed in the 说明 and 技术信息 sheets.
    disclosure : {"none", "hesa", "min_n"}
        ``"none"`` (default): exact figures, as the college reports them to the state data
        platform. ``"hesa"`` / ``"min_n"``: rounding and small-cell suppression for tables
        published outside the college (CLI ``--publish 公开``); suppressed cells are marked.
    progress : bool or callable
        ``True``: a tqdm bar on stderr; a callable is called with each phase id of
        :data:`PHASES` as it starts (the CLI's one progress display).
    platform : bool
        Add the 状态数据 collection layouts (A7-4 岗位实习, A7-5 校企合作, per major).
    layouts : mapping, optional
        Official table layouts (default :data:`coopmetrics.report.layouts.LAYOUTS`).
    figures : bool, default True
        Draw the figures (the HTML report embeds them; the workbook has none).
    partners : bool, default True
        Add the partner evaluation (合作企业评估) when there is an enterprises ledger.

    Returns
    -------
    Report

    Raises
    ------
    InputError
        If ``data`` has no graduates table or ``year`` is not in it.

    Examples
    --------
    >>> import coopmetrics as cm
    >>> rep = build_report(cm.sample.load_sample(), 2024)    # doctest: +SKIP
    >>> rep.tables["scorecard"].iloc[0]["item"]              # doctest: +SKIP
    '毕业去向落实率（原“就业率”）（%）'
    """
    check_option("lang", lang, LANGS, "build_report")
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
    builder = _Builder(data, int(year), by, lang, options, disclosure, progress, platform,
                       layouts or _layouts.LAYOUTS, figures=figures, partners=partners)
    with frozen_heap():  # full collections skip the objects that existed before (report/gcfreeze.py)
        return builder.build()


def _collect(frame: Any) -> pd.DataFrame:
    from ..engines import collect

    return collect(frame)


def _frame(data: Dataset, name: str) -> pd.DataFrame | None:
    frame = data.get(name)
    if frame is None:
        return None
    return frame if isinstance(frame, pd.DataFrame) else _collect(frame)


class _Builder:
    """Builds a Report phase by phase (each phase is one progress tick)."""

    def __init__(self, data: Dataset, year: int, by: str, lang: str, options: Any, disclosure: str,
                 progress: bool | Callable[[str], None], platform: bool,
                 layouts: dict[str, _layouts.Layout], *, bundle: Bundle | None = None,
                 figures: bool = True, partners: bool = True) -> None:
        # bundle: precomputed engine results (one college's slice of a panel); None computes them here
        self.data, self.year, self.by, self.lang = data, year, by, lang
        self.options, self.disclosure, self.progress = options, disclosure, progress
        self.platform, self.layouts = platform, layouts
        self.bundle, self.draw, self.with_partners = bundle, figures, partners
        self.tables: dict[str, pd.DataFrame] = {}
        self.figures: dict[str, Any] = {}
        self.notes: list[str] = []
        self.cohort_adjust: list[str] = []
        self._yoy_cache: pd.DataFrame | None = None

    def note(self, zh: str, en: str) -> None:
        self.notes.append(t(self.lang, zh, en))

    def _phases(self) -> list[tuple[str, Callable[[], None]]]:
        phases = [("compute", self._compute), ("compare", self._cohorts), ("tables", self._tables)]
        return [*phases, ("plots", self._figures)] if self.draw else phases

    def build(self) -> Report:
        phases = self._phases()
        bar = None
        if self.progress is True:
            from tqdm import tqdm  # plain bar on stderr (tqdm.auto warns in Jupyter without ipywidgets)

            bar = tqdm(total=len(phases), desc="coopmetrics", unit="步", leave=False)
        for label, step in phases:
            if callable(self.progress):
                self.progress(label)
            elif bar is not None:
                bar.set_postfix_str(next(zh for k, zh, _ in PHASES if k == label))
            step()
            if bar is not None:
                bar.update()
        if bar is not None:
            bar.close()
        tables = {k: drop_pii(self.tables[k]) for k in SHEETS if k in self.tables}
        return Report(
            year=self.year, college=self._college(), lang=self.lang, by=self.by,
            tables=MappingProxyType(tables), figures=MappingProxyType(dict(self.figures)),
            key_figures=tuple(self._key_figures()), notes=tuple(self.notes),
            settings=MappingProxyType(self._settings()),
            kinds=MappingProxyType(dict(zip(self.registry["id"], self.registry["kind"], strict=True))),
        )

    # --- metadata ---------------------------------------------------------------------------
    def _college(self) -> str:
        if self.bundle is not None and self.bundle.college is not None:
            return self.bundle.college
        g = self.data["graduates"]
        if "college" in g.columns and g["college"].notna().any():
            return str(g["college"].dropna().mode().iloc[0])
        return ""

    def _opts(self) -> Any:
        from ..registry import Options

        return Options() if self.options is None else self.options

    def _settings(self) -> dict[str, str]:
        opts = self._opts()
        out = {name: str(getattr(opts, name)) for name in opts.__dataclass_fields__}
        out["disclosure"] = self.disclosure
        out["by"] = self.by
        if self.cohort_adjust:
            out["cohort_adjust"] = ",".join(self.cohort_adjust)
        return out

    def _option_rows(self) -> pd.DataFrame:
        return settings_table(self.options, disclosure=self.disclosure, by=self.by,
                              cohort_adjust=self.cohort_adjust)

    def _about(self) -> pd.DataFrame:
        """说明: what the report is, how to read it, every option in words (report language only)."""
        lang = self.lang
        i = 0 if lang == "zh" else 1
        exact = self.disclosure == "none"
        rows: list[tuple[str, str, str, str]] = [
            (t(lang, "报告", "Report"), t(lang, "校企合作年度质量报告", "School–enterprise cooperation yearly report"),
             "", ""),
            (t(lang, "学校", "College"), self._college() or "—", "", ""),
            (t(lang, "报告年份（毕业届别）", "Report year (cohort)"), str(self.year), "", ""),
            (t(lang, "生成时间", "Generated"), _dt.datetime.now().strftime("%Y-%m-%d %H:%M"), "", ""),
            (t(lang, "生成工具", "Tool"), f"coopmetrics {_version()}", "", ""),
            (t(lang, "数字是否精确", "Exact figures"), t(
                lang,
                "是：人数、金额与比例均为精确值，未取整、未抑制，可与状态数据平台上报数一致。对外公开发布时可用"
                "“--publish 公开”（人数取整到5、人数太少的单元格不公布）。" if exact else
                "否：本报告为对外公开版，人数取整到5，人数太少的单元格标为“<抑制>”。学校自用与上报请用默认的精确版。",
                "Yes: counts, money and rates are exact (no rounding, no suppression) and equal the figures "
                "submitted to the state data platform. For a public release use --publish public (counts rounded "
                "to 5, small cells withheld)." if exact else
                "No: this is the public-release version: counts rounded to 5, small cells marked 'suppressed'. "
                "Use the default exact version for the college's own report."), "", ""),
            (t(lang, "未提供数据", "No data supplied"), t(
                lang, "官方表格中标“未提供数据”的项目，其输入数据未提供（不是 0，也不是估算值），需学校另行填报。",
                "Rows marked 'no data supplied' had no input (not zero, not estimated); fill them in by hand."),
             "", ""),
            (t(lang, "置信区间", "Confidence intervals"),
             t(lang, "比例为 Wilson 95% 区间（除非另行选择）；均值为 t 区间。变化是否“超出随机波动”按 95% 区间"
                     "和多重比较校正后的 q 值（<0.05）判断。",
               "Wilson 95% for proportions unless chosen otherwise; t interval for means. A change is "
               "'beyond chance' when its 95% CI excludes zero and its BH q-value is below 0.05."), "", ""),
            (t(lang, "岗位实习", "Placement internships"),
             t(lang, "2021年起“顶岗实习”改称“岗位实习”，本报告统一使用“岗位实习”。",
               "Called 顶岗实习 before 2021 and 岗位实习 since; this report uses the current term."), "", ""),
            (t(lang, "个人信息", "Personal data"),
             t(lang, "姓名、身份证号、手机号等在读入时已删除或哈希，不出现在任何输出中",
               "names, ID-card numbers and phones are dropped or hashed at load and never output"), "", ""),
            (t(lang, "抑制标记", "Suppression mark"),
             t(lang, f"{SUPPRESSED['zh']}：仅在对外公开版中出现，表示人数太少、按披露规则不公布的单元格",
               f"{SUPPRESSED['en']}: only in a public release: a cell withheld because too few people"), "", ""),
        ]
        for r in self._option_rows().to_dict("records"):
            name = (r["name_zh"], r["name_en"])[i]
            value = (r["value_zh"], r["value_en"])[i]
            status = (r["status_zh"], r["status_en"])[i]
            alts = (r["alternatives_zh"], r["alternatives_en"])[i]
            note = (r["note_zh"], r["note_en"])[i]
            rows.append((name, value, status, "；".join(x for x in (alts if alts != "—" else "", note) if x)
                         if lang == "zh" else "; ".join(x for x in (alts if alts != "—" else "", note) if x)))
        for note in self.notes:
            rows.append((t(lang, "说明", "Note"), note, "", ""))
        frame = pd.DataFrame(rows, columns=["item", "content", "status_text", "alternatives"])
        frame["alternatives"] = frame["alternatives"].map(lambda text: _alternatives_in_words(text, lang))
        if lang == "zh":  # an English method name in brackets after the Chinese words: dropped
            for col in ("content", "alternatives"):
                frame[col] = frame[col].str.replace(r"（[A-Za-z][A-Za-z \-]*）", "", regex=True)
        return frame

    def _technical(self) -> pd.DataFrame:
        """技术信息: ids and raw option values (the only sheet with them)."""
        lang = self.lang
        opts = self._option_rows()
        rows = [{"what": t(lang, "口径选项", "option"), "label": r[f"name_{lang}"], "key": r["key"],
                 "value": r["value"], "switch": r["switch"]} for r in opts.to_dict("records")]
        reg = self.registry
        used = set(self.trend["indicator"])
        rows += [{"what": t(lang, "指标", "indicator"), "label": name, "key": ind, "value": "", "switch": ""}
                 for ind, name in zip(reg["id"], reg[f"name_{lang}"], strict=True) if ind in used]
        val = self.data.validation
        if val is not None and len(val) and "problem" in val.columns:
            from .labels import problem_words

            for code, n in val.groupby("problem", dropna=False).size().items():
                rows.append({"what": t(lang, "校验问题代码", "validation code"), "label": problem_words(code, lang),
                             "key": str(code), "value": str(n), "switch": ""})
        return pd.DataFrame(rows, columns=["what", "label", "key", "value", "switch"])

    # --- indicators ---------------------------------------------------------------------------
    def _compute(self) -> None:
        from ..targets import compare_targets
        from .labels import registry_frame

        reg = registry_frame()
        if self.year >= 2021:  # 顶岗实习 was renamed 岗位实习 in the 2021 rules: one term in the report
            reg = reg.assign(name_zh=reg["name_zh"].str.replace("顶岗实习", "岗位实习", regex=False))
        self.registry = reg
        self.order = {str(i): k for k, i in enumerate(reg["id"])}
        if self.bundle is None:
            kind = self.layouts["feedback"].survey_kind if "feedback" in self.layouts else None
            part = compute_indicators(self.data, self.year, self.by, [str(i) for i in reg["id"]],
                                      options=self.options, survey_kind=kind)
            trend, groups, self.item_trend = part["trend"], part["groups"], part["item_trend"]
        else:
            trend, groups, self.item_trend = self.bundle.trend, self.bundle.groups, self.bundle.item_trend
        # Targets are judged on the exact estimates (direction-aware), then blanked wherever
        # disclosure withholds the estimate.
        names = dict(zip(reg["id"], reg["name_zh"], strict=True))
        directions = dict(zip(reg["id"], reg["direction"], strict=True))
        trend = _judged(trend, compare_targets, directions).assign(name_zh=lambda d: d["indicator"].map(names))
        groups = _judged(groups, compare_targets, directions).assign(name_zh=lambda d: d["indicator"].map(names))
        self.raw_trend = trend
        if self.disclosure != "none":
            from ..disclosure import apply_disclosure, public_table

            trend = public_table(apply_disclosure(trend, preset=self.disclosure))
            groups = public_table(apply_disclosure(groups, preset=self.disclosure))
            for frame in (trend, groups):
                frame.loc[frame["status"] != "reported", "meets_target"] = pd.NA
        self.trend = trend
        self.groups = groups

    def _name_col(self) -> str:
        return "name_zh" if self.lang == "zh" else "name_en"

    def _tidy(self, frame: pd.DataFrame, group: str | None = None) -> pd.DataFrame:
        """Compute rows -> report table columns (language-specific name, no internals)."""
        out = pd.DataFrame({
            "indicator": frame["indicator"].to_numpy(),
            "indicator_name": frame[self._name_col()].to_numpy(),
            "year": frame["grad_year"].to_numpy(),
        })
        if group is not None:
            out[group] = frame[group].to_numpy()
        for c in ("numerator", "denominator", "n", "estimate", "ci_low", "ci_high", "n_eff",
                  "response_rate", "unit", "target", "meets_target", "status"):
            if c in frame.columns:
                out[c] = frame[c].to_numpy()
        if "target" in out.columns and not out["target"].notna().any():
            out = out.drop(columns=[c for c in ("target", "meets_target") if c in out.columns])
        if "n_eff" in out.columns and "response_rate" in out.columns:
            # n_eff is only informative for weighted survey shares; elsewhere it equals n
            out["n_eff"] = pd.to_numeric(out["n_eff"], errors="coerce").where(out["response_rate"].notna())
        out["_order"] = out["indicator"].map(self.order).fillna(len(self.order))
        return out

    def _tables(self) -> None:
        self._official()
        self._details()
        self._enterprise()
        self._partners()
        self._yoy()
        defs = definitions_table(sorted(set(self.trend["indicator"])), lang=self.lang)
        names = dict(zip(self.registry["id"], self.registry["name_zh"], strict=True))  # 岗位实习 since 2021
        self.tables["definitions"] = defs.assign(name_zh=defs["indicator"].map(names).fillna(defs["name_zh"]))
        self._validation()
        if self.platform:
            from .platform import platform_tables

            self.tables.update(platform_tables(self.data, self.year, self.lang))
        self.tables["technical"] = self._technical()
        self.tables["about"] = self._about()

    def _official(self) -> None:
        years = (self.year - 1, self.year)
        data_sums = {(tb, col): _year_sum(self.data, tb, col, years)
                     for lay in self.layouts.values() for it in lay.items if it.table and it.column
                     for tb, col in [(it.table, it.column)]}
        self.tables.update(official_tables(self.trend, self.item_trend, self.layouts, years, self.lang,
                                           set(self.order), data_sums))
        self.tables["summary"] = summary_table(self.raw_trend, self.trend, _layouts.HEADLINE, self.year,
                                               self.lang, self.disclosure != "none", yoy=self._raw_yoy())

    def _details(self) -> None:
        """指标明细: every indicator of both years with CI, n and target (the analyst's view)."""
        trend = self.trend
        this = trend[trend["grad_year"].isin([self.year - 1, self.year])]
        # indicators whose input table is missing come once without a year: show them in the report
        # year, marked <缺少数据>, so the reader sees what could not be computed
        missing = trend[trend["grad_year"].isna() & (trend["status"] == "missing_input")].assign(
            grad_year=self.year)
        this = pd.concat([this, missing], ignore_index=True)
        tidy = self._tidy(this).sort_values(["_order", "year"], kind="stable")
        self.tables["indicators"] = tidy.drop(columns="_order").reset_index(drop=True)
        if len(self.groups):
            g = self._tidy(self.groups, group=self.by)
            self.tables["by_group"] = g.drop(columns=["year"]).sort_values(
                ["_order", self.by], kind="stable").drop(columns="_order").reset_index(drop=True)

    # --- enterprise ------------------------------------------------------------------------------
    def _enterprise(self) -> None:
        ent = _frame(self.data, "enterprises")
        if ent is None:
            self.note("没有合作企业台账，未生成合作企业贡献表", "no enterprises table: partner-firm sheet skipped")
            return
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

    # --- partner evaluation (合作企业评估) ------------------------------------------------------------
    def _partners(self) -> None:
        """Partners significantly above or below the college (exact funnel limits), with shrunk estimates."""
        if not self.with_partners or _frame(self.data, "enterprises") is None:
            return
        try:
            flags, figures = _partner_section(self.data, self.year, self.lang, self.options)
        except CoopmetricsError as exc:
            self.note(f"合作企业评估未完成：{exc.message_zh}", f"partner evaluation skipped: {exc.message_en}")
            return
        name = "name_zh" if self.lang == "zh" else "name_en"
        label = "flag_zh" if self.lang == "zh" else "flag_en"
        cols = ["enterprise", "department", name, "numerator", "denominator", "estimate", "ci_low", "ci_high",
                "college_rate", "shrunk", "shrunk_low", "shrunk_high", label]
        table = flags[[c for c in cols if c in flags.columns]].rename(
            columns={name: "measure_name", label: "partner_flag"})
        # rates print as percentages; a flagged mean (salary) keeps its unit
        table.insert(3, "unit", np.where(flags["kind"].astype(str) == "rate", "share", "yuan_per_month"))
        self.tables["partners"] = table.sort_values(["measure_name", "partner_flag", "enterprise"],
                                                    kind="stable").reset_index(drop=True)
        for key, fig in figures.items():
            self.figures[f"partner_{key}"] = fig
        if table.empty:
            self.note("没有合作企业显著高于或低于全校水平（漏斗图 99.8% 界限）",
                      "no partner is significantly above or below the college (funnel 99.8% limits)")

    # --- cohorts -----------------------------------------------------------------------------------
    def _cohorts(self) -> None:
        ids = [i for i in _layouts.COHORT_INDICATORS if i in self.order]
        b = self.bundle
        if b is None:
            part = compute_cohorts(self.data, self.year, ids, options=self.options)
            b = Bundle(trend=self.trend, groups=self.groups, item_trend=self.item_trend, cohorts=part["cohorts"],
                       cohort_adjust=part["adjust"], cohort_errors=part["errors"], cohort_skipped=part["skipped"])
        if b.cohort_skipped:
            self.note("毕业生表没有培养模式列或没有普通班，未做队列比较",
                      "graduates have no program column or no regular class: cohort comparisons skipped")
            return
        # pre-treatment covariates of program choice: entry score, gender and admission type. compare()
        # drops a covariate column that is constant or collinear in a cell and says so.
        self.cohort_adjust = list(b.cohort_adjust)
        names = self._names()
        for ind, zh, en, _colleges in b.cohort_errors:
            self.note(f"队列比较“{names.get(ind, ind)}”未完成：{zh}", f"cohort comparison {names.get(ind, ind)} skipped: {en}")
        if b.cohorts is None or not len(b.cohorts):
            return
        res = b.cohorts.drop(columns="_call")
        res = res.drop(columns=[c for c in ("grad_year",) if c in res.columns])
        res.insert(1, "indicator_name", res["indicator"].map(names).fillna(res["indicator"]))
        res["unit"] = res["indicator"].map(dict(zip(self.registry["id"], self.registry["unit"], strict=True)))
        if self.disclosure != "none":
            # A comparison is withheld when either arm is smaller than the preset's minimum.
            small = (res["n_cohort"] < _MIN_COHORT) | (res["n_reference"] < _MIN_COHORT)
            res["status"] = np.where(small, "suppressed", "reported")
            est_cols = ["estimate_cohort", "estimate_reference", "difference", "ci_low", "ci_high", "ratio",
                        "ratio_ci_low", "ratio_ci_high", "statistic", "p_value", "q_value", "effect_size",
                        "odds_ratio", "odds_ratio_ci_low", "odds_ratio_ci_high", "hedges_g"]
            res.loc[small, [c for c in est_cols if c in res.columns]] = np.nan
        self.tables["cohorts"] = res

    def _names(self) -> dict[str, str]:
        reg = self.registry
        return dict(zip(reg["id"], reg[self._name_col()], strict=True))

    # --- year over year ------------------------------------------------------------------------------
    def _raw_yoy(self) -> pd.DataFrame:
        """``year_over_year`` of the exact figures of the report year and the year before (every
        indicator: the BH family of the 年度变化 sheet); computed once for the 摘要 and 年度变化 sheets."""
        from ..targets import year_over_year

        if self._yoy_cache is None:
            raw = self.raw_trend[self.raw_trend["grad_year"].isin([self.year - 1, self.year])]
            raw = raw.drop(columns=["meets_target"], errors="ignore")
            kinds = raw["indicator"].map(dict(zip(self.registry["id"], self.registry["kind"], strict=True)))
            if kinds.notna().all():  # the registry's kinds as a column: year_over_year does not rebuild its frame
                raw = raw.assign(kind=kinds)
            self._yoy_cache = year_over_year(raw) if len(raw) else pd.DataFrame()
        return self._yoy_cache

    def _yoy(self) -> None:
        if self.year - 1 not in set(self.raw_trend["grad_year"]):
            self.note("没有上一年数据，未计算年度变化", "no previous year in the data: year-over-year skipped")
            return
        yoy = self._raw_yoy()
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
        from .. import plots

        lang = self.lang
        ids = set(self.trend.loc[self.trend["status"] == "reported", "indicator"])
        for ind in _layouts.TREND_FIGURES:
            if ind in ids:
                self.figures[f"trend_{ind}"] = plots.plot_trend(self.trend, ind, lang=lang)
        dual = "dual_teacher_ratio_professional"
        if len(self.groups) and dual in set(self.groups["indicator"]):
            self.figures["dual_ratio"] = plots.plot_dual_ratio(self.groups, indicator=dual, by=self.by, lang=lang)
        survey = _frame(self.data, "survey")
        if survey is not None and len(survey):
            s = survey[survey["year"] == self.year]
            for kind in ("school", "employer"):
                if (s["survey_kind"] == kind).any():
                    self.figures[f"likert_{kind}"] = plots.plot_likert(s, survey_kind=kind, lang=lang)
        ent = _frame(self.data, "enterprises")
        if ent is not None and "equipment_value" in ent.columns and (ent["year"] == self.year).any():
            self.figures["enterprise"] = plots.plot_enterprise(ent, value="equipment_value", year=self.year,
                                                               lang=lang)
        self._forest()

    def _forest(self) -> None:
        from .. import plots

        lang = self.lang
        coh = self.tables.get("cohorts")
        if coh is None or not len(coh):
            return
        pl = coh[(coh["indicator"] == "placement_rate") & (coh.get("status", "reported") == "reported")]
        if not len(pl):
            return
        pl = pl.assign(model=np.where(pl["adjusted"].astype(bool), t(lang, "调整后", "adjusted"),
                                      t(lang, "未调整", "raw")))
        cols = ["indicator", "model", *[c for c in pl.columns if c not in ("indicator", "model", "indicator_name",
                                                                           "unit")]]
        self.figures["forest"] = plots.plot_forest(
            pl[cols], lang=lang, label_cols=["model"],
            title=t(lang, f"{self.year}届 毕业去向落实率：各培养模式与普通班之差",
                    f"Placement rate {self.year}: each program minus regular classes"))

    def _validation(self) -> None:
        val = scrub_validation(self.data.validation)
        self.tables["validation"] = val.reset_index(drop=True)
        acc = self.data.accounting
        if acc is not None:
            self.tables["accounting"] = acc.reset_index(drop=True)

    def _key_figures(self) -> list[dict[str, Any]]:
        this = self.trend[self.trend["grad_year"] == self.year]
        out = []
        for ind in _layouts.HEADLINE:
            row = this[this["indicator"] == ind]
            if len(row):
                out.append(row.iloc[0].to_dict())
        return out


def _alternatives_in_words(text: str, lang: str) -> str:
    """Alternatives without their raw option values ("2004_evaluation [U]：words" -> "words [U]").

    The raw values and the switches that select them are on the technical sheet.
    """
    import re

    from ..schema import TABLES
    from .labels import zh_words

    sep, colon = ("；", "：") if lang == "zh" else ("; ", ": ")
    out = re.sub(rf"(^|{sep})([\x21-\x7e]+?)( \[U\])?{colon}",
                 lambda m: m.group(1) + ("[U] " if m.group(3) else ""), str(text))
    if lang == "zh":  # column names the registry's words mention ("program 列") in Chinese
        columns = {c.name: c.zh for t in TABLES.values() for c in t.columns}
        out = re.sub(r"(?<![A-Za-z_])([a-z]+)(?![A-Za-z_])", lambda m: columns.get(m.group(1), m.group(1)), out)
        out = zh_words(out)
    return out


def _partner_section(data: Dataset, year: int, lang: str, options: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    """What the report shows of the 合作企业评估 (:func:`coopmetrics.partners.appendix.report_section`).

    The flagged partners and the funnel and survival figures, built as ``report_section``
    builds them, without the parts the report does not show (rank intervals from 1,000
    posterior draws, the department scorecard, tenure, churn and shrinkage figures).
    """
    from ..partners.durability import partnership_survival
    from ..partners.figures import funnel_figure, survival_figure
    from ..partners.scorecard import partner_scorecard

    sc = partner_scorecard(data, year, options=options)  # draws only set the rank columns, not shown
    f = sc.fair
    flags = f[f["flag"].isin(["above", "below"])].reset_index(drop=True)
    figures = {"funnel": funnel_figure(sc, "intern_hire_rate", lang=lang)}
    survival = partnership_survival(data)
    if len(survival):
        figures["survival"] = survival_figure(survival, lang=lang)
    return flags, figures


def _year_sum(data: Dataset, table: str, column: str, years: tuple[int, ...]) -> dict[int, float]:
    """Sum of one data column per report year (empty when the table or column is absent)."""
    frame = _frame(data, table)
    if frame is None or column not in frame.columns:
        return {}
    ycol = "grad_year" if table == "graduates" else "year"
    part = frame[frame[ycol].isin(years)]
    sums = part.groupby(ycol)[column].sum(min_count=1)
    return {int(y): float(v) for y, v in sums.items() if pd.notna(v)}


def _judged(frame: pd.DataFrame, compare_targets: Callable[..., pd.DataFrame],
            directions: dict[str, Any]) -> pd.DataFrame:
    """``frame`` with ``meets_target``: as given when a provincial run judged the whole panel once
    (:func:`coopmetrics.report.panel.build_college_reports`; the judgement is row by row, so a
    college's rows are judged as its own report judges them), else :func:`_with_target_judgement`.
    """
    if "meets_target" in frame.columns and "target" in frame.columns and frame["target"].notna().any():
        return frame
    return _with_target_judgement(frame.drop(columns="meets_target", errors="ignore"), compare_targets, directions)


def _with_target_judgement(result: pd.DataFrame, compare_targets: Callable[..., pd.DataFrame],
                           directions: dict[str, Any]) -> pd.DataFrame:
    """Add ``meets_target`` (True/False/NA) from :func:`coopmetrics.compare_targets`.

    ``directions`` (indicator id -> the registry's direction) is passed as the result's
    ``direction`` column, which ``compare_targets`` reads instead of rebuilding the
    registry frame (the same values: it maps the registry's column by id too).
    """
    out = result.copy()
    if "target" not in out.columns or not out["target"].notna().any():
        out["meets_target"] = pd.NA
        return out
    judged = compare_targets(result.assign(direction=result["indicator"].map(directions)))
    out["meets_target"] = judged["meets_target"].to_numpy()
    return out


def _version() -> str:
    from .. import __version__

    return __version__


__all__ += ["DISCLOSURE_WORDS"]
