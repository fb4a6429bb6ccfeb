"""The partner scorecard: one row per partner enterprise (or department), inputs and outcomes.

See :func:`partner_scorecard` for the columns and :class:`PartnerScorecard` for the
result object (``.table``, ``.fair``, ``.college``, ``.matching``, ``.unmatched``,
``.tidy()``, ``.summary()``, ``.plot()``, ``.composite()``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InvalidOptionError
from ..estimators import mean_interval, proportion_interval
from .fairness import (
    FLAGS,
    binomial_funnel,
    normal_funnel,
    posterior_draws,
    rank_intervals,
    shrink_means,
    shrink_proportions,
)
from .measures import COUNTS, INPUTS, MEANS, RATES, SERVICES, _pandas, collect_measures
from .names import normalise_names

__all__ = ["partner_scorecard", "PartnerScorecard", "FAIR_COLUMNS"]

#: Columns of :attr:`PartnerScorecard.fair` (one row per unit x measure).
FAIR_COLUMNS = [
    "measure", "name_zh", "name_en", "kind", "numerator", "denominator", "estimate", "ci_low", "ci_high",
    "college_rate", "limit95_low", "limit95_high", "limit998_low", "limit998_high", "flag", "flag_zh",
    "flag_en", "shrunk", "shrunk_low", "shrunk_high", "rank", "rank_low", "rank_high", "n_ranked",
]
_LEDGER_COLS = (*INPUTS, *SERVICES)


@dataclass
class PartnerScorecard:
    """Result of :func:`partner_scorecard`.

    Attributes
    ----------
    table : DataFrame
        One row per unit (partner or department, and year if asked); columns in
        :func:`partner_scorecard`.
    fair : DataFrame
        One row per unit x rate/mean measure: :data:`FAIR_COLUMNS` after the unit columns.
    college : DataFrame
        The college's value of every measure (all its students, partners or not) and
        the mean per partner of every ledger input, per year if ``year`` is in ``by``.
    matching : DataFrame
        ``source, match, rows, names``: how roster names were linked to ledger partners.
    unmatched : DataFrame
        ``source, name, rows``: names not linked to any ledger partner, largest first.
    """

    table: pd.DataFrame
    fair: pd.DataFrame
    college: pd.DataFrame
    matching: pd.DataFrame
    unmatched: pd.DataFrame
    by: tuple[str, ...]
    years: tuple[int, ...]
    posterior: dict[str, Any] = field(default_factory=dict, repr=False)
    notes: list[str] = field(default_factory=list)
    ci_level: float = 0.95

    @property
    def units(self) -> list[str]:
        """The unit columns of ``table`` and ``fair``."""
        return [c for c in ("enterprise", "partner_key", "department", "year") if c in self.table]

    def tidy(self) -> pd.DataFrame:
        """Long form: one row per unit x measure (inputs, services, counts, rates, means).

        Columns: unit columns, ``measure``, ``name_zh``, ``name_en``, ``kind`` (``input``,
        ``service``, ``count``, ``rate``, ``mean``), ``value`` (sum, count or estimate) and, for
        rates and means, the :data:`FAIR_COLUMNS` statistics.
        """
        u = self.units
        labels = {**{k: (*v, "input") for k, v in INPUTS.items()}, **{k: (*v, "service") for k, v in SERVICES.items()},
                  **{k: (*v, "count") for k, v in COUNTS.items()}}
        cols = [c for c in labels if c in self.table]
        long = self.table.melt(id_vars=u, value_vars=cols, var_name="measure", value_name="value")
        for i, c in enumerate(("name_zh", "name_en", "kind")):
            long[c] = long["measure"].map({k: v[i] for k, v in labels.items()})
        fair = self.fair.assign(value=self.fair["estimate"])
        return pd.concat([long, fair], ignore_index=True)[[*u, "measure", "name_zh", "name_en", "kind", "value",
                                                           *FAIR_COLUMNS[4:]]]

    def flagged(self, measure: str = "intern_hire_rate") -> pd.DataFrame:
        """Units flagged above or below the college on ``measure``, best first."""
        f = self.fair[(self.fair["measure"] == measure) & self.fair["flag"].isin(["above", "below"])]
        return f.sort_values("estimate", ascending=False, ignore_index=True)

    def summary(self, lang: str = "zh") -> str:
        """A short text: units, linking, and the flagged units per measure."""
        zh = lang == "zh"
        n = len(self.table)
        lines = [f"合作企业评估：{n} 个单位" if zh else f"Partner scorecard: {n} units"]
        if len(self.matching):
            m = self.matching.groupby("match")["rows"].sum()
            lines.append(("名称匹配（行）: " if zh else "name linking (rows): ")
                         + ", ".join(f"{k} {int(v)}" for k, v in m.items()))
        fl = self.fair[self.fair["flag"].isin(["above", "below"])]
        for (_meas, flag), grp in fl.groupby(["measure", "flag_zh" if zh else "flag_en"], sort=False):
            lab = grp["name_zh" if zh else "name_en"].iloc[0]
            who = grp[self.units[0]].astype(str).tolist()
            lines.append(f"  {lab} / {flag}: {len(who)} — " + "，".join(who[:8]) + ("…" if len(who) > 8 else ""))
        lines += [f"注 / note: {t}" for t in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary("en")

    def _repr_html_(self) -> str:
        head = self.summary("zh").replace("\n", "<br>")
        return f"<div><p>{head}</p>{self.table.head(20).to_html(index=False)}</div>"

    def plot(self, measure: str = "intern_hire_rate", kind: str = "funnel", lang: str = "zh", ax: Any = None) -> Any:
        """Funnel plot (``kind="funnel"``) or shrinkage plot (``"shrinkage"``) of one measure."""
        from .figures import funnel_figure, shrinkage_figure

        f = funnel_figure if kind == "funnel" else shrinkage_figure
        return f(self, measure, lang=lang, ax=ax)

    def composite(self, weights: Mapping[str, float], *, draws: int = 2000, seed: int = 0,
                  level: float = 0.95) -> pd.DataFrame:
        """User-weighted composite score with rank intervals (explicit option, not a default).

        Each measure's posterior draws are standardised by the college value and the
        between-unit standard deviation of the shrunk estimates, weighted and summed; the
        rank (1 = best) is computed in every draw. Units missing any weighted measure get NaN.

        Returns
        -------
        DataFrame
            unit columns, ``score`` (posterior mean), ``score_low``, ``score_high``, ``rank``,
            ``rank_low``, ``rank_high``, and the weights used.
        """
        from .composite import composite_draws

        return composite_draws(self, weights, draws=draws, seed=seed, level=level)


def _years(df: pd.DataFrame, col: str, year: Any) -> tuple[int, ...]:
    ys = sorted(int(y) for y in pd.unique(df[col].dropna()))
    if year is None:
        return tuple(ys)
    want = [int(year)] if np.isscalar(year) else [int(y) for y in year]
    return tuple(want)


def _scope(ds: Any, years: tuple[int, ...]) -> Any:
    from ..registry import YEAR_COLUMN

    new = {}
    for t in ("internships", "graduates", "survey"):  # the ledger stays whole: names link across years
        if t in ds.tables:
            df = _pandas(ds[t])
            col = df[YEAR_COLUMN[t]]
            whole = isinstance(col.dtype, np.dtype) and col.dtype.kind in "iu" and len(col) > 0  # no NA possible
            if whole and set(range(col.min(), col.max() + 1)) <= set(years):
                continue  # a large roster wholly in scope: no isin pass, no copy
            new[t] = df[col.isin(years)]
    return ds.replace(**new)


def _modal(df: pd.DataFrame, key: str, col: str) -> pd.Series:
    """Most frequent ``col`` per ``key`` (ties: first in sort order). Vectorised."""
    c = df.groupby([key, col], observed=True).size().reset_index(name="__n")
    c = c.sort_values(["__n", col], ascending=[False, True]).drop_duplicates(key)
    return c.set_index(key)[col]


def _ledger(full: pd.DataFrame, years: tuple[int, ...], extra: list[str]
            ) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Ledger sums per (key, extra) in scope with tenure (whole ledger); each key's main department and name."""
    full = full[full["__key"].notna()]
    kid, kuniq = pd.factorize(full["__key"])
    kuniq = np.asarray(kuniq, dtype=object)
    full = full.assign(__key=kid)  # integer partner ids inside: the groupbys hash int64, not strings

    def by_key(s: pd.Series) -> pd.Series:
        return pd.Series(s.to_numpy(), index=pd.Index(kuniq[s.index.to_numpy(int)], dtype=object), name=s.name)

    dept = by_key(_modal(full, "__key", "department")) if "department" in full else pd.Series(dtype=object)
    names = by_key(_modal(full, "__key", "enterprise"))
    led = full[full["year"].isin(years)]
    sums = [c for c in _LEDGER_COLS if c in led]
    agg = led.groupby(["__key", *extra], observed=True, sort=False)[sums].sum(min_count=1)
    if "major" in led:
        agg["majors"] = led.groupby(["__key", *extra], observed=True, sort=False)["major"].nunique()
    agg = agg.reset_index()
    # tenure: first year = earliest of partnership_start and the first ledger year (whole ledger)
    fy = full.groupby("__key")["year"].min()
    if "partnership_start" in full:
        fy = np.fmin(fy, full.groupby("__key")["partnership_start"].min())
    yrs = full[["__key", "year"]].drop_duplicates().sort_values(["__key", "year"])
    yrs["years_active"] = yrs.groupby("__key").cumcount() + 1
    if "year" in extra:
        ten = yrs.rename(columns={})
        agg = agg.merge(ten, on=["__key", "year"], how="left")
        agg["tenure_years"] = agg["year"] - agg["__key"].map(fy) + 1
    else:
        ref = max(years)
        upto = yrs[yrs["year"] <= ref].drop_duplicates("__key", keep="last").set_index("__key")
        agg["years_active"] = agg["__key"].map(upto["years_active"])
        agg["last_year"] = agg["__key"].map(upto["year"])
        agg["tenure_years"] = ref - agg["__key"].map(fy) + 1
    agg["first_year"] = agg["__key"].map(fy)
    agg["__key"] = kuniq[agg["__key"].to_numpy(int)]
    return agg, dept, names


def partner_scorecard(data: Any, year: int | Sequence[int] | None = None, *, by: str | Sequence[str] = ("enterprise",),
                      options: Any = None, ci_level: float = 0.95, shrinkage: str = "moments",
                      flag_level: float = 0.998, draws: int = 0, seed: int = 0) -> PartnerScorecard:
    """Scorecard of every partner enterprise: what it put in, what its students got, fairly compared.

    Parameters
    ----------
    data : Dataset
        Must hold ``enterprises`` (the ledger); ``internships``, ``graduates`` and ``survey``
        are used when present (their measures are NaN otherwise, with a note).
    year : int or sequence of int, optional
        Years in scope (ledger ``year``, internship ``year``, graduates' ``grad_year``, survey
        ``year``); default every year, pooled (add ``"year"`` to ``by`` for one row per year).
    by : sequence of str
        ``("enterprise",)`` (default), ``("enterprise", "year")``, ``("department",)`` (the
        school side: what each 院系 achieved with its partners) or ``("department", "year")``.
    options : registry.Options, optional
        Definition options, passed to :func:`coopmetrics.compute` / ``unit_values``.
    ci_level : float
        Level of the Wilson (rates) and t (means) intervals and of the posterior intervals.
    shrinkage : {"moments", "mle"}
        Beta-binomial prior fit (see :func:`.fairness.shrink_proportions`).
    flag_level : float
        Funnel limit used for the flag (0.998 default; 0.95 limits are reported too).
    draws, seed : int
        Posterior draws for the rank intervals of every measure: opt-in (``draws=1000`` is a good
        value), because they cost ``draws x partners`` per measure. The default ``draws=0`` leaves
        ``rank``, ``rank_low``, ``rank_high`` NaN; :meth:`PartnerScorecard.composite` still draws.

    Returns
    -------
    PartnerScorecard
        ``.table`` columns: ``enterprise`` (the most frequent ledger spelling), ``partner_key``
        (normalised name), ``department`` (main ledger department; or the unit in a department
        view, with ``partners``), ``year`` (if in ``by``), ``in_ledger``; ledger inputs
        (:data:`~.measures.INPUTS`, money in yuan) and services (:data:`~.measures.SERVICES`);
        ``majors``; tenure ``first_year`` (earliest ``partnership_start`` or ledger year),
        ``years_active`` (ledger years up to the last year in scope), ``last_year``,
        ``tenure_years``; counts (:data:`~.measures.COUNTS`); for every rate ``<m>_numerator``,
        ``<m>_denominator``, ``<m>``, ``<m>_ci_low``, ``<m>_ci_high`` and for every mean
        ``<m>_n``, ``<m>``, ``<m>_ci_low``, ``<m>_ci_high``; then ``<m>_shrunk`` and ``<m>_flag``.

    Examples
    --------
    >>> import coopmetrics as cm
    >>> sc = cm.partner_scorecard(cm.sample.generate(), year=2024)
    >>> bool((sc.table["intern_hire_rate_denominator"] >= sc.table["intern_hire_rate_numerator"]).all())
    True
    """
    by_t, full = _check_inputs(data, by)
    full, ledger_names = _keyed_ledger(full)
    years = _years(full, "year", year)
    extra = [b for b in by_t if b != "enterprise"]
    led, dept, names = _ledger(full, years, extra)
    col = collect_measures(_scope(data, years), extra, options, dept, ledger_names)
    base = led.assign(__led=True).merge(col.stats, on=["__key", *extra], how="outer")
    base["in_ledger"] = base["__led"].fillna(False).astype(bool)  # a ledger row in this (partner, year) scope
    base, keys = _units(base, by_t, extra, dept, names)
    # sorted before the fair comparison: the posterior keeps row positions of this table
    table = _derive(base, col.college, ci_level).sort_values(keys, ignore_index=True)
    fair, post, wide = _fair(table, col.college, keys, [c for c in extra if c != "department"], ci_level,
                             shrinkage, flag_level, draws, seed)
    table = _order(pd.concat([table, pd.DataFrame(wide, index=table.index)], axis=1), keys)
    college = _college(col.college, led, extra, ci_level)
    return PartnerScorecard(table, fair, college, col.matching, col.unmatched, by_t, years, post, col.notes,
                            ci_level)


def _check_inputs(data: Any, by: str | Sequence[str]) -> tuple[tuple[str, ...], pd.DataFrame]:
    """``by`` as a tuple and the ledger as pandas, or a bilingual error."""
    by_t = (by,) if isinstance(by, str) else tuple(by)
    unit = [b for b in by_t if b in ("enterprise", "department")]
    bad = [b for b in by_t if b not in ("enterprise", "department", "year")] or ([] if unit else ["<none>"])
    if bad:
        raise InvalidOptionError(f"by 只能取 enterprise、department、year，且须含 enterprise 或 department：{bad}",
                                 f"by takes enterprise, department and year, with enterprise or department: {bad}")
    if "enterprises" not in getattr(data, "tables", []):
        raise InvalidOptionError("缺少表 enterprises（合作企业年度台账），无法评估合作企业",
                                 "table 'enterprises' (the partner ledger) is missing; cannot score partners")
    full = _pandas(data["enterprises"])
    miss = [c for c in ("enterprise", "year") if c not in full.columns]
    if miss:
        raise InvalidOptionError(f"合作企业台账（enterprises）缺少列 {miss}",
                                 f"the enterprise ledger (table 'enterprises') lacks column(s) {miss}")
    return by_t, full


def _keyed_ledger(full: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ledger with ``__key``, and its distinct spellings with their keys (reused to link every roster).

    Each distinct spelling is normalised once and mapped back by factorised code.
    """
    codes, spellings = pd.factorize(full["enterprise"])
    spellings = pd.Series(np.asarray(spellings, dtype=object), dtype="object")
    ledger_names = pd.DataFrame({"enterprise": spellings.astype(str), "__key": normalise_names(spellings)})
    keyed = full.assign(__key=np.append(ledger_names["__key"].to_numpy(dtype=object), None)[codes])
    return keyed, ledger_names


def _units(base: pd.DataFrame, by_t: tuple[str, ...], extra: list[str], dept: pd.Series, names: pd.Series
           ) -> tuple[pd.DataFrame, list[str]]:
    """Unit columns: partner (name, key, main department) or, in a department view, sums over its partners."""
    if "enterprise" in by_t:
        base = base.drop(columns="__led")
        base.insert(0, "enterprise", base["__key"].map(names))
        if "department" not in extra and len(dept):
            base["department"] = base["__key"].map(dept)
        base = base.rename(columns={"__key": "partner_key"})
        units = ["enterprise", "partner_key", *(["department"] if "department" in base else [])]
    else:  # department view: sum over the department's partners
        skip = ("__key", "__led", *extra, "in_ledger", "first_year", "last_year", "years_active", "tenure_years",
                "majors")
        num = [c for c in base.columns if c not in skip]
        agg = base.groupby(extra, observed=True, dropna=False)[num].sum(min_count=1)
        # partners of a department = partners with a ledger row for it (students may intern anywhere)
        agg.insert(0, "partners", base[base["__led"].fillna(False).astype(bool)].groupby(extra, observed=True)
                   ["__key"].nunique().reindex(agg.index).fillna(0).astype("int64"))
        base = agg.reset_index()
        units = []
    keys = [*units, *(["year"] if "year" in extra else []),
            *(["department"] if "department" in extra and "department" not in units else [])]
    return base, keys


def _order(t: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Documented column order: units, ledger, tenure, counts, then each measure's block."""
    cols = [*keys, "department", "in_ledger", "partners", *INPUTS, *SERVICES, "majors", "first_year",
            "years_active", "last_year", "tenure_years", *COUNTS]
    for m in RATES:
        cols += [f"{m.id}_numerator", f"{m.id}_denominator", m.id, f"{m.id}_ci_low", f"{m.id}_ci_high",
                 f"{m.id}_shrunk", f"{m.id}_flag"]
    for m in MEANS:
        cols += [f"{m.id}_n", m.id, f"{m.id}_se", f"{m.id}_ci_low", f"{m.id}_ci_high", f"{m.id}_shrunk",
                 f"{m.id}_flag"]
    cols = [c for c in dict.fromkeys(cols) if c in t]
    return t[cols + [c for c in t.columns if c not in cols and not c.startswith("__")]]


def _derive(base: pd.DataFrame, college: pd.DataFrame, level: float) -> pd.DataFrame:
    """Estimates and intervals of every rate and mean (columns in :func:`partner_scorecard`)."""
    t = base.copy()
    for m in RATES:
        x = t.get(f"{m.id}_numerator", pd.Series(np.nan, index=t.index)).fillna(0).to_numpy(float)
        n = t.get(f"{m.id}_denominator", pd.Series(np.nan, index=t.index)).fillna(0).to_numpy(float)
        lo, hi = proportion_interval(x, n, level, "wilson")
        with np.errstate(divide="ignore", invalid="ignore"):
            est = np.where(n > 0, x / np.where(n > 0, n, 1), np.nan)
        t[f"{m.id}_numerator"], t[f"{m.id}_denominator"] = x, n
        t[m.id], t[f"{m.id}_ci_low"], t[f"{m.id}_ci_high"] = est, lo, hi
    for m in MEANS:
        n, s, ss = (t.get(f"{m.id}_{k}", pd.Series(np.nan, index=t.index)).fillna(0).to_numpy(float)
                    for k in ("n", "sum", "sumsq"))
        mean, se, lo, hi = mean_interval(n, s, ss, level)
        t[f"{m.id}_n"], t[m.id], t[f"{m.id}_se"], t[f"{m.id}_ci_low"], t[f"{m.id}_ci_high"] = n, mean, se, lo, hi
        t = t.drop(columns=[f"{m.id}_sum", f"{m.id}_sumsq"], errors="ignore")
    for c in COUNTS:
        t[c] = t[c].fillna(0).astype("int64") if c in t else 0
    return t


def _college(college: pd.DataFrame, led: pd.DataFrame, extra: list[str], level: float) -> pd.DataFrame:
    """College values of every rate/mean and the mean per partner of every ledger column."""
    scope = [c for c in extra if c != "department"]
    c = _derive(college.reset_index(drop=True), college, level)
    sums = [k for k in _LEDGER_COLS if k in led]
    if scope:
        per = led.groupby(scope)[sums].mean().add_suffix("_per_partner").reset_index()
        c = c.merge(per, on=scope, how="left")
    else:
        for k in sums:
            c[f"{k}_per_partner"] = led[k].mean()
    return c


def _fair(table: pd.DataFrame, college: pd.DataFrame, keys: list[str], scope: list[str], level: float,
          shrinkage: str, flag_level: float, draws: int, seed: int
          ) -> tuple[pd.DataFrame, dict[Any, Any], dict[str, np.ndarray]]:
    """Long table of rates/means with funnel flags, shrunk estimates and rank intervals.

    One pass per year in scope and measure, each vectorised over the partners. Returns the
    long table, the posterior parameters (for :meth:`PartnerScorecard.composite`) and the
    ``<m>_shrunk`` / ``<m>_flag`` columns aligned with ``table``.
    """
    rng = np.random.default_rng(seed)
    groups = [((), np.arange(len(table)))]
    if scope:  # row positions per year, in year order
        found = table.groupby(scope).indices.items()
        groups = sorted(((g if isinstance(g, tuple) else (g,), idx) for g, idx in found), key=lambda t: t[0])
    cidx = college.set_index(scope) if scope else college
    blocks, post, wide = [], {}, {}
    for m in (*RATES, *MEANS):
        wide[f"{m.id}_shrunk"] = np.full(len(table), np.nan)
        wide[f"{m.id}_flag"] = np.full(len(table), None, dtype=object)
    for gkey, idx in groups:  # one pass per year in scope, not per partner
        crow = cidx.loc[gkey[0] if len(scope) == 1 else gkey] if scope else cidx.iloc[0]
        if isinstance(crow, pd.DataFrame):  # pragma: no cover - defensive: one row per scope
            crow = crow.iloc[0]
        for m in (*RATES, *MEANS):
            cols, sh, pst = (_rate_block if m in RATES else _mean_block)(table, idx, m, crow, level, shrinkage,
                                                                          flag_level)
            if draws > 0 and pst["ok"].any():
                rk = rank_intervals(posterior_draws(pst, draws, rng), level=level)
            else:  # ranks not asked for (draws=0) or no data
                rk = (np.full(idx.size, np.nan),) * 3
            cols.update(shrunk=sh["shrunk"], shrunk_low=sh["low"], shrunk_high=sh["high"], rank=rk[0],
                        rank_low=rk[1], rank_high=rk[2], n_ranked=np.full(idx.size, int(np.isfinite(rk[0]).sum())))
            blocks.append((idx, m, cols))
            wide[f"{m.id}_shrunk"][idx], wide[f"{m.id}_flag"][idx] = sh["shrunk"], cols["flag"]
            # posterior parameters (not draws: memory stays O(units)); composite() redraws from them
            post[(m.id, gkey)] = {**pst, "index": idx, "prior": {k: v for k, v in sh.items() if np.isscalar(v)}}
    return _assemble_fair(table, keys, blocks), post, wide


def _rate_block(table: pd.DataFrame, idx: np.ndarray, m: Any, crow: pd.Series, level: float, shrinkage: str,
                flag_level: float) -> tuple[dict[str, np.ndarray], dict[str, Any], dict[str, Any]]:
    """Funnel flag, shrinkage and posterior of one rate for the rows ``idx`` of ``table``."""
    x = table[f"{m.id}_numerator"].to_numpy(float)[idx]
    n = table[f"{m.id}_denominator"].to_numpy(float)[idx]
    cx, cn = crow.get(f"{m.id}_numerator", 0.0), crow.get(f"{m.id}_denominator", 0.0)
    target = cx / cn if cn and cn > 0 else np.nan
    if (n > 0).any():
        fl = binomial_funnel(x, n, target, flag_level=flag_level)
        sh = shrink_proportions(x, n, method=shrinkage, level=level)
    else:  # no data for this measure (e.g. no survey): skip the scipy work
        fl = {c: np.full(n.size, np.nan) for c in ("college_rate", "limit95_low", "limit95_high", "limit998_low",
                                                  "limit998_high")}
        fl["flag"] = np.full(n.size, "no_data", dtype=object)
        sh = shrink_proportions(x, n)
    ok = (n > 0) & np.isfinite(sh["post_a"]) if np.isfinite(sh["a"]) else np.zeros(n.size, bool)
    cols = {"kind": "rate", "numerator": x, "denominator": n, **_estimates(table, idx, m.id), **fl}
    return cols, sh, {"kind": "beta", "a": sh["post_a"], "b": sh["post_b"], "ok": ok}


def _mean_block(table: pd.DataFrame, idx: np.ndarray, m: Any, crow: pd.Series, level: float, shrinkage: str,
                flag_level: float) -> tuple[dict[str, np.ndarray], dict[str, Any], dict[str, Any]]:
    """Normal funnel flag, shrinkage and posterior of one mean for the rows ``idx`` of ``table``."""
    n = table[f"{m.id}_n"].to_numpy(float)[idx]
    y, se = table[m.id].to_numpy(float)[idx], table[f"{m.id}_se"].to_numpy(float)[idx]
    cs, cn, css = (crow.get(f"{m.id}_{k}", np.nan) for k in ("sum", "n", "sumsq"))
    target = cs / cn if cn and cn > 0 else np.nan
    sd = np.sqrt(max((css - cs * cs / cn) / (cn - 1), 0.0)) if cn and cn > 1 else np.nan
    fl = normal_funnel(y, n, target, sd, flag_level=flag_level)
    sh = shrink_means(y, se, level=level)
    cols = {"kind": "mean", "numerator": np.full(n.size, np.nan), "denominator": n,
            **_estimates(table, idx, m.id), **fl}
    return cols, sh, {"kind": "normal", "mean": sh["shrunk"], "sd": sh["post_sd"], "ok": np.isfinite(se)}


def _estimates(table: pd.DataFrame, idx: np.ndarray, mid: str) -> dict[str, np.ndarray]:
    return {"estimate": table[mid].to_numpy(float)[idx], "ci_low": table[f"{mid}_ci_low"].to_numpy(float)[idx],
            "ci_high": table[f"{mid}_ci_high"].to_numpy(float)[idx]}


def _assemble_fair(table: pd.DataFrame, keys: list[str], blocks: list[tuple[np.ndarray, Any, dict]]) -> pd.DataFrame:
    """One long frame from the per-(year, measure) blocks.

    Built column by column without object round trips: one take of the unit columns and
    label columns taken from a few distinct strings by integer code (building ~10 label
    columns of 50,000 partners x 11 measures from Python strings cost a second).
    """
    rows = np.concatenate([idx for idx, _, _ in blocks]) if blocks else np.zeros(0, dtype=np.intp)
    block = np.repeat(np.arange(len(blocks)), [idx.size for idx, _, _ in blocks])
    unit = table[keys].take(rows)
    cols: dict[str, Any] = {k: unit[k].array for k in keys}
    for c, get in (("measure", lambda m, b: m.id), ("name_zh", lambda m, b: m.zh), ("name_en", lambda m, b: m.en),
                   ("kind", lambda m, b: b["kind"])):
        cols[c] = _labels([get(m, b) for _, m, b in blocks], block)
    flag = np.concatenate([b["flag"] for _, _, b in blocks]) if blocks else np.zeros(0, dtype=object)
    codes, uniq = pd.factorize(flag)
    for c, label in (("flag", lambda f: f), ("flag_zh", lambda f: FLAGS[f][0]), ("flag_en", lambda f: FLAGS[f][1])):
        cols[c] = _labels([label(f) for f in uniq], codes)
    for c in FAIR_COLUMNS:
        if c not in cols:
            cols[c] = np.concatenate([b[c] for _, _, b in blocks]) if blocks else np.zeros(0)
    return pd.DataFrame({c: cols[c] for c in (*keys, *FAIR_COLUMNS)})


def _labels(labels: list[str], codes: np.ndarray) -> Any:
    """String column ``labels[codes]`` (pandas' default string dtype) without Python objects per row."""
    return pd.Index(labels, dtype="str").take(codes).array
