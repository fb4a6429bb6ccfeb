"""Per-partner sufficient statistics: ledger inputs and linked student outcomes.

Every outcome is taken from the indicator registry through :func:`coopmetrics.compute`
(grouped by the enterprise name as written) or :func:`coopmetrics.unit_values`, so
definition options flow in; the raw-name groups are then re-aggregated onto the
normalised partner key (:mod:`.names`). Sums of numerators and denominators are
exact, so a partner's rate is the same as a hand count over its students.

Survey outcomes use the **overall item** only (:data:`OVERALL_ITEMS`, the clearly
marked item selector): one answer per respondent, unweighted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from .names import match_names, normalise_names

__all__ = ["RATES", "MEANS", "INPUTS", "SERVICES", "COUNTS", "OVERALL_ITEMS", "Measure", "collect_measures"]

COHORT_PROGRAMS = ("order_class", "named_class", "apprenticeship")

#: Item selector for survey outcomes: the overall-satisfaction item of each instrument. A row is the
#: overall item when its ``item`` is listed here or contains 总体满意 / "overall".
OVERALL_ITEMS: dict[str, tuple[str, ...]] = {
    "internship": ("实习总体满意度",),
    "employer": ("对毕业生总体满意度", "总体满意度"),
}


@dataclass(frozen=True)
class Measure:
    """One scorecard measure: id, labels, where it comes from."""

    id: str
    zh: str
    en: str
    source: str  # internships | survey_internship | cohort | employer_survey
    indicator: str | None = None  # registry indicator it is computed with


#: Rates (numerator, denominator, Wilson CI, shrinkage, funnel flag). Higher is better for all.
RATES: tuple[Measure, ...] = (
    Measure("intern_hire_rate", "实习生录用率", "intern hire rate", "internships", "intern_hire_rate"),
    Measure("internship_pay_compliance_rate", "实习报酬达标率", "internship pay compliance",
            "internships", "internship_pay_compliance_rate"),
    Measure("internship_insurance_rate", "实习责任保险参保率", "internship insurance rate",
            "internships", "internship_insurance_rate"),
    Measure("internship_duration_rate", "实习时长达标率", "internship duration compliance",
            "internships", "internship_duration_rate"),
    Measure("internship_relevance_rate", "实习专业对口率", "internship relevance rate",
            "internships", "internship_relevance_rate"),
    Measure("internship_satisfaction", "实习满意度（总体）", "internship satisfaction (overall item)",
            "survey_internship", "internship_satisfaction"),
    Measure("cohort_placement_rate", "订单/学徒学生毕业去向落实率", "order-class/apprentice placement rate",
            "cohort", "placement_rate"),
    Measure("cohort_job_relevance_rate", "订单/学徒学生专业相关度", "order-class/apprentice job relevance",
            "cohort", "job_relevance_rate"),
    Measure("cohort_retention_rate", "订单/学徒学生留用率", "order-class/apprentice retention at the partner",
            "cohort", "partner_retention_rate"),
    Measure("employer_satisfaction", "雇主满意度（总体）", "employer satisfaction (overall item)",
            "employer_survey", "employer_satisfaction"),
)
#: Means (n, Σx, Σx²; t interval; normal–normal shrinkage).
MEANS: tuple[Measure, ...] = (
    Measure("cohort_salary_mean", "订单/学徒学生平均月收入（元）", "order-class/apprentice mean monthly salary (yuan)",
            "cohort", "salary_mean"),
)
#: Ledger inputs (sums; money in yuan as in the canonical schema).
INPUTS: dict[str, tuple[str, str]] = {
    "equipment_value": ("企业提供设备值（元）", "equipment value (yuan)"),
    "funds": ("企业资金投入（元）", "funds (yuan)"),
    "donated_equipment": ("捐赠设备值（元）", "donated equipment (yuan)"),
    "part_time_teachers": ("兼职教师数", "part-time teachers"),
    "part_time_hours": ("兼职教师课时", "part-time teaching hours"),
    "internship_positions": ("实习岗位数", "internship posts"),
    "co_bases": ("共建实训基地数", "co-built bases"),
    "co_courses": ("共同开发课程数", "co-developed courses"),
    "co_textbooks": ("共同开发教材数", "co-developed textbooks"),
    "order_students": ("订单培养人数", "order-class students (ledger)"),
    "interns_received": ("接收实习学生数（台账）", "interns received (ledger)"),
    "graduates_hired": ("录用毕业生数（台账）", "graduates hired (ledger)"),
}
#: What the college gave back (ledger sums).
SERVICES: dict[str, tuple[str, str]] = {
    "tech_service_income": ("横向技术服务到款额（元）", "technical services income (yuan)"),
    "training_person_days": ("培训人日", "training person-days"),
    "training_income": ("非学历培训到款额（元）", "training income (yuan)"),
}
#: Counts of linked students.
COUNTS: dict[str, tuple[str, str]] = {
    "interns": ("实习学生数（名册）", "interns (internship roster)"),
    "cohort_students": ("订单/学徒毕业生数", "order-class/apprentice graduates"),
    "graduates_employed": ("在该企业就业的毕业生数（名册）", "graduates employed there (roster)"),
}


@dataclass
class Collected:
    """Sufficient statistics per (partner key, group columns) and per scope (college)."""

    stats: pd.DataFrame  # keys + <m>_numerator/<m>_denominator, <m>_n/_sum/_sumsq, counts
    college: pd.DataFrame  # scope columns + the same statistics over every unit of the college
    matching: pd.DataFrame  # source, match, rows, names
    unmatched: pd.DataFrame  # source, name, rows
    notes: list[str] = field(default_factory=list)


def _pandas(frame: Any) -> pd.DataFrame:
    if isinstance(frame, pd.DataFrame):
        return frame
    nf = nw.from_native(frame)
    if hasattr(nf, "collect"):
        nf = nf.collect()
    return nf.to_pandas()


def _link(df: pd.DataFrame, name_col: str, ledger_names: pd.DataFrame, source: str,
          log: list[pd.DataFrame], weight: str | None = None) -> pd.DataFrame:
    """Add ``__key`` (partner key or NA) and log match counts (rows, or ``weight`` units).

    ``ledger_names`` holds the ledger's distinct names (``enterprise``) and their keys (``__key``).
    Names are matched once per distinct spelling and mapped back by factorised code (no merge).
    """
    codes, uniq = pd.factorize(df[name_col], use_na_sentinel=False)  # a missing name is a group too
    names = pd.Series(np.asarray(uniq, dtype=object), dtype="object")
    m = match_names(names, ledger_names["enterprise"], ledger_keys=ledger_names["__key"])
    w = df[weight].fillna(0).to_numpy(float) if weight else np.ones(len(df))
    log.append(pd.DataFrame({"source": source, "name": names, "match": m["match"].to_numpy(),
                             "rows": np.bincount(codes, weights=w, minlength=len(names))}))
    return df.assign(__key=m["key"].to_numpy(dtype=object)[codes])


def _unweighted(options: Any) -> Any:
    """The options with survey weighting off: partner survey shares are unweighted (weights unused)."""
    from ..registry import Options

    return (options if options is not None else Options()).with_(survey_weights=None)


def _overall(u: pd.DataFrame, kind: str, notes: list[str]) -> pd.DataFrame:
    """Keep one answer per respondent: the overall item (see :data:`OVERALL_ITEMS`)."""
    if "item" in u and u["item"].nunique(dropna=True) > 1:
        item = u["item"].astype(str)
        mask = item.isin(OVERALL_ITEMS[kind]) | item.str.contains("总体满意|overall", case=False, regex=True)
        if not mask.any():
            notes.append(f"{kind} 问卷没有总体满意度题，未计算 / the {kind} survey has no overall item; not computed")
            return u.iloc[0:0]
        u = u[mask]
    return u


def _regroup(df: pd.DataFrame, keys: list[str], cols: list[str]) -> pd.DataFrame:
    return df.groupby(keys, dropna=False, observed=True, sort=False)[cols].sum().reset_index()


def collect_measures(ds: Any, extra: Sequence[str], options: Any, dept_of_key: pd.Series,
                     ledger_names: pd.DataFrame | None = None) -> Collected:
    """Aggregate every measure by ``(__key, *extra)`` and over the college (by ``extra`` minus department).

    ``ds`` is a Dataset already restricted to the years in scope. ``extra`` holds
    ``year`` and/or ``department``. ``dept_of_key`` maps a partner key to its main
    ledger department (used for employer-survey rows in a department view).
    ``ledger_names`` (``enterprise``, ``__key``: the ledger's distinct spellings and their
    keys) is computed from ``ds`` when not given.
    """
    from ..compute import compute, unit_values

    extra = list(extra)
    scope = [c for c in extra if c != "department"]
    if ledger_names is None:  # the ledger's distinct spellings, normalised once for every roster below
        led = pd.Series(pd.unique(_pandas(ds["enterprises"])["enterprise"].dropna().astype(str)), dtype="object")
        ledger_names = pd.DataFrame({"enterprise": led, "__key": normalise_names(led)})
    log: list[pd.DataFrame] = []
    notes: list[str] = []
    parts: list[pd.DataFrame] = []
    colleges: list[pd.DataFrame] = []

    def add(frame: pd.DataFrame, cols: list[str]) -> None:
        if "year" in frame:  # compute() may return float years (null-able group keys)
            frame = frame[frame["year"].notna()].astype({"year": "int64"})
        keyed = frame[frame["__key"].notna()]
        parts.append(_regroup(keyed, ["__key", *extra], cols))
        colleges.append(_regroup(frame, scope, cols) if scope else frame[cols].sum().to_frame().T)

    def computed(ids: list[Any], name_col: str, by: list[str]) -> pd.DataFrame:
        r = compute(ds, ids, by=(name_col, *by), options=options)
        # only the columns used below: the labels and editions of every row are not copied
        use = [name_col, *by, "indicator", "status", "numerator", "denominator", "n", "estimate", "se"]
        r = r[[c for c in use if c in r.columns]]
        return r[r["status"] != "missing_input"]

    for t, zh in (("internships", "岗位实习名册"), ("graduates", "毕业生名册"), ("survey", "问卷")):
        if t not in ds.tables:
            notes.append(f"没有{zh}（{t}），相关指标为空 / no {t} table: its measures are empty")
    # --- internships: registry proportions by enterprise name, plus intern counts -----------------
    if "internships" in ds.tables:
        ids = {m.indicator: m.id for m in RATES if m.source == "internships"}
        # the intern count rides in the same compute() pass: no second grouping of the roster
        r = computed([*ids, _interns_indicator()], "enterprise", extra)
        if len(r):
            w = _wide(r, ["enterprise", *extra], ids, counts={"partner_interns": "interns"})
            w = _link(w, "enterprise", ledger_names, "internships", log, weight="interns")
            add(w, [c for c in w.columns if c not in ("enterprise", "__key", *extra)])
    # --- internship survey: overall item, linked to the internship host by student_id + year ----
    if "survey" in ds.tables and "internships" in ds.tables:
        if "student_id" in _pandas(ds["survey"]).columns:
            _survey_internship(ds, extra, options, ledger_names, log, notes, add, unit_values)
        else:
            notes.append("问卷没有学号列，实习满意度无法关联到实习单位 / the survey has no student_id column: "
                         "internship satisfaction cannot be linked to the host enterprise")
    # --- cohort (order class / apprenticeship) graduates of each partner ---------------------------
    if "graduates" in ds.tables:
        _cohort(ds, extra, options, ledger_names, log, add, computed, unit_values)
    # --- employer survey: overall item by employer name ---------------------------------------------
    if "survey" in ds.tables:
        _employer_survey(ds, extra, options, ledger_names, log, notes, add, unit_values, dept_of_key)
    stats = _combine(parts, ["__key", *extra])
    if scope:
        college = _combine(colleges, scope)
    else:  # one row: the sources hold distinct columns
        college = pd.concat([f.reset_index(drop=True) for f in colleges], axis=1) if colleges \
            else pd.DataFrame(index=[0])
    matchlog = pd.concat(log, ignore_index=True) if log else pd.DataFrame(columns=["source", "name", "match", "rows"])
    matching = matchlog.groupby(["source", "match"], observed=True).agg(
        rows=("rows", "sum"), names=("name", "nunique")).reset_index()
    unmatched = (matchlog[matchlog["match"] == "unmatched"].groupby(["source", "name"])["rows"].sum()
                 .reset_index().sort_values(["source", "rows"], ascending=[True, False], ignore_index=True))
    return Collected(stats, college, matching, unmatched, notes)


def _wide(r: pd.DataFrame, keys: list[str], rename: dict[str, str], counts: dict[str, str] | None = None
          ) -> pd.DataFrame:
    """Long compute() rows -> one row per ``keys`` combination present, ``<measure>_numerator``/``_denominator``.

    ``rename`` maps indicator ids to measure ids (other indicators are ignored); ``counts``
    maps count indicators to a column holding their numerator, placed last. Sums per
    group (NaN counts as 0); NaN where an indicator has no row for the group. Groups are
    factorised once and every column filled by ``bincount`` (no unstack, no merge).

    Examples
    --------
    >>> r = pd.DataFrame({"name": ["a", "a", "b"], "indicator": ["x", "y", "x"],
    ...                   "numerator": [1.0, 2.0, 3.0], "denominator": [4.0, 5.0, 6.0]})
    >>> _wide(r, ["name"], {"x": "mx", "y": "my"})["my_numerator"].tolist()
    [2.0, nan]
    """
    gid = r.groupby(keys, dropna=False, observed=True, sort=False).ngroup().to_numpy()
    groups, first = np.unique(gid, return_index=True)
    out = r[keys].iloc[first].reset_index(drop=True)
    indicator = r["indicator"].to_numpy(dtype=object)
    present_ids = set(pd.unique(indicator))
    order = sorted((mid, ind) for ind, mid in rename.items() if ind in present_ids)  # columns as unstack made them
    cols = [(f"{mid}_{stat}", ind, stat) for stat in ("numerator", "denominator") for mid, ind in order]
    cols += [(col, ind, "numerator") for ind, col in (counts or {}).items()]
    values = {stat: np.nan_to_num(r[stat].to_numpy(float)) for stat in ("numerator", "denominator")}
    for col, ind, stat in cols:
        m = indicator == ind
        present = np.bincount(gid[m], minlength=groups.size) > 0
        total = np.bincount(gid[m], weights=values[stat][m], minlength=groups.size)
        out[col] = np.where(present, total, np.nan)
    return out


def _combine(parts: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame(columns=keys)
    out = parts[0]
    for p in parts[1:]:
        out = out.merge(p, on=keys, how="outer")
    return out


def _interns_indicator() -> Any:
    """Internship-roster rows (interns received) as a count indicator, computed with the rates."""
    from ..registry import Indicator
    from ..registry import Measure as RegistryMeasure

    return Indicator("partner_interns", "实习学生数（名册）", "interns (internship roster)", "persons", "count",
                     "internships", numerator=RegistryMeasure("count"), denominator=None, direction="none",
                     target=None, edition="library convention (partner scorecard)",
                     source="coopmetrics.partners: rows of the internship roster", grade="U")


def _survey_internship(ds: Any, extra: list[str], options: Any, ledger_names: pd.DataFrame, log: list,
                       notes: list[str], add: Any, unit_values: Any) -> None:
    u = unit_values(ds, "internship_satisfaction", ["student_id", "year", "item"], options=_unweighted(options))
    u = _overall(u, "internship", notes).drop_duplicates(["student_id", "year"])
    i = _pandas(ds["internships"])
    host = i.sort_values("months", ascending=False, na_position="last") if "months" in i else i
    host = host.drop_duplicates(["student_id", "year"])[["student_id", "year", "enterprise"]]
    u = u.merge(host, on=["student_id", "year"], how="left")
    if "department" in extra:
        g = _pandas(ds["graduates"])[["student_id", "department"]].drop_duplicates("student_id")
        u = u.merge(g, on="student_id", how="left")
    u = u.assign(internship_satisfaction_numerator=u["value"], internship_satisfaction_denominator=1.0,
                 enterprise=u["enterprise"].astype("object"))
    cols = ["internship_satisfaction_numerator", "internship_satisfaction_denominator"]
    agg = _regroup(u, ["enterprise", *extra], cols)
    agg = _link(agg, "enterprise", ledger_names, "internship_survey", log,
                weight="internship_satisfaction_denominator")
    add(agg, cols)


def _cohort(ds: Any, extra: list[str], options: Any, ledger_names: pd.DataFrame, log: list, add: Any,
            computed: Any, unit_values: Any) -> None:
    g = _pandas(ds["graduates"])
    if "partner" in g and "program" in g:
        ids = {m.indicator: m.id for m in RATES if m.source == "cohort" and m.id != "cohort_retention_rate"}
        r = computed([*ids, "salary_mean", "graduates_total"], "partner", ["program", *extra])
        r = r[r["program"].isin(COHORT_PROGRAMS) & r["partner"].notna()]
        w = _wide(r, ["partner", *extra], ids)
        sal = r[r["indicator"] == "salary_mean"]
        est, n, se = (sal[c].to_numpy(float) for c in ("estimate", "n", "se"))
        ss = np.where(n > 1, np.nan_to_num(se) ** 2 * n * (n - 1), 0.0) + n * np.nan_to_num(est) ** 2
        sal = sal.assign(cohort_salary_mean_n=n, cohort_salary_mean_sum=np.nan_to_num(est) * n,
                         cohort_salary_mean_sumsq=ss)
        mcols = ["cohort_salary_mean_n", "cohort_salary_mean_sum", "cohort_salary_mean_sumsq"]
        tot = r[r["indicator"] == "graduates_total"].assign(cohort_students=lambda d: d["numerator"])
        w = w.merge(_regroup(sal, ["partner", *extra], mcols), on=["partner", *extra], how="outer")
        w = w.merge(_regroup(tot, ["partner", *extra], ["cohort_students"]), on=["partner", *extra], how="outer")
        # retention: the registry population, with employer and partner compared after normalisation
        u = unit_values(ds, "partner_retention_rate", ["partner", "employer", *extra], options=options)
        same = (np.asarray(normalise_names(u["employer"]), dtype=object)
                == np.asarray(normalise_names(u["partner"]), dtype=object))
        u = u.assign(cohort_retention_rate_numerator=same.astype(float), cohort_retention_rate_denominator=1.0)
        rc = ["cohort_retention_rate_numerator", "cohort_retention_rate_denominator"]
        w = w.merge(_regroup(u, ["partner", *extra], rc), on=["partner", *extra], how="outer")
        w = _link(w, "partner", ledger_names, "graduates_partner", log, weight="cohort_students")
        add(w, [c for c in w.columns if c not in ("partner", "__key", *extra)])
    if "employer" in g:
        r = computed(["graduates_total"], "employer", extra)
        r = r[r["employer"].notna()].assign(graduates_employed=lambda d: d["numerator"])
        r = _regroup(r, ["employer", *extra], ["graduates_employed"])
        r = _link(r, "employer", ledger_names, "graduates_employer", log, weight="graduates_employed")
        add(r, ["graduates_employed"])


def _employer_survey(ds: Any, extra: list[str], options: Any, ledger_names: pd.DataFrame, log: list,
                     notes: list[str], add: Any, unit_values: Any, dept_of_key: pd.Series) -> None:
    s = _pandas(ds["survey"])
    if "employer" not in s or not (s["survey_kind"] == "employer").any():
        return
    u = unit_values(ds, "employer_satisfaction", ["employer", "year", "item"], options=_unweighted(options))
    u = _overall(u, "employer", notes)
    u = u.assign(employer_satisfaction_numerator=u["value"], employer_satisfaction_denominator=1.0,
                 employer=u["employer"].astype("object"))
    cols = ["employer_satisfaction_numerator", "employer_satisfaction_denominator"]
    keys = ["employer", *(c for c in extra if c == "year")]
    agg = _regroup(u, keys, cols)
    agg = _link(agg, "employer", ledger_names, "employer_survey", log, weight="employer_satisfaction_denominator")
    if "department" in extra:  # an employer answers about the college: credit the partner's main department
        agg["department"] = agg["__key"].map(dept_of_key)
    add(agg, cols)
