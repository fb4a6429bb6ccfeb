"""The provincial report: one report per college from a panel, equal to each college's own report."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest

import coopmetrics as cm
from coopmetrics.report import build_report
from coopmetrics.report.panel import (
    build_college_reports,
    combined_tables,
    load_panel,
    safe_filename,
    write_workbooks,
)

#: Sheets that differ by construction: the generation time (about) and the validation report of
#: the input as loaded (a panel's file names); every other table must be equal cell by cell.
_NOT_COMPARED = {"about", "technical", "validation", "accounting"}
COLLEGES = ("甲职业技术学院", "乙职业学院", "丙/职业:学院")


def _college(seed: int, name: str, *, drop: tuple[str, ...] = ()) -> dict[str, pd.DataFrame]:
    ds = cm.sample.generate(seed=seed)
    out = {}
    for t in ds.tables:
        df = ds[t].copy()
        for c in ("student_id",):  # 学号 are unique only within a college
            if c in df.columns:
                df[c] = f"{seed}-" + df[c].astype(str)
        out[t] = df.drop(columns=[c for c in drop if c in df.columns]).assign(college=name)
    return out


@pytest.fixture(scope="module")
def colleges() -> dict[str, dict[str, pd.DataFrame]]:
    # the third college has no entry scores: its adjusted comparisons use fewer covariates
    return {name: _college(seed, name, drop=("entry_score",) if k == 2 else ())
            for k, (seed, name) in enumerate(zip((11, 12, 13), COLLEGES, strict=True))}


@pytest.fixture(scope="module")
def panel(colleges) -> cm.Dataset:
    tables = {t: pd.concat([c[t] for c in colleges.values()], ignore_index=True) for t in colleges[COLLEGES[0]]}
    return cm.Dataset(**tables)


@pytest.fixture(scope="module")
def panel_reports(panel):
    return {r.college: r for r in build_college_reports(panel, 2024)}


def _assert_same_report(a, b) -> None:
    assert set(a.tables) == set(b.tables)
    for key in sorted(set(a.tables) - _NOT_COMPARED):
        x, y = a.tables[key], b.tables[key]
        assert list(x.columns) == list(y.columns), key
        pd.testing.assert_frame_equal(x.reset_index(drop=True), y.reset_index(drop=True), check_dtype=False,
                                      check_exact=False, rtol=1e-10, atol=1e-12, obj=key)
    assert a.college == b.college and a.year == b.year
    assert a.notes == b.notes
    assert [k["indicator"] for k in a.key_figures] == [k["indicator"] for k in b.key_figures]
    assert [k["estimate"] for k in a.key_figures] == pytest.approx([k["estimate"] for k in b.key_figures],
                                                                   rel=1e-12, nan_ok=True)


@pytest.mark.parametrize("name", COLLEGES)
def test_each_college_report_equals_its_own_report(colleges, panel_reports, name):
    own = build_report(cm.Dataset(**colleges[name]), 2024, partners=False, figures=False)
    _assert_same_report(panel_reports[name], own)


def test_one_report_per_college_in_sorted_order(panel_reports):
    assert list(panel_reports) == sorted(COLLEGES)


def test_cohort_covariates_follow_each_college(panel_reports):
    adj = {n: r.settings.get("cohort_adjust", "") for n, r in panel_reports.items()}
    assert "entry_score" in adj[COLLEGES[0]]
    assert "entry_score" not in adj[COLLEGES[2]] and "gender" in adj[COLLEGES[2]]


def test_workbooks_equal_cell_by_cell(tmp_path, colleges, panel_reports):
    name = COLLEGES[1]
    own = build_report(cm.Dataset(**colleges[name]), 2024, partners=False, figures=False)
    a = panel_reports[name].to_excel(tmp_path / "panel.xlsx")
    b = own.to_excel(tmp_path / "own.xlsx")
    wa, wb = openpyxl.load_workbook(a), openpyxl.load_workbook(b)
    assert wa.sheetnames == wb.sheetnames
    skip = {panel_reports[name].sheet_name(k) for k in _NOT_COMPARED}
    compared = 0
    for sheet in wa.sheetnames:
        if sheet in skip:
            continue
        va = [c.value for row in wa[sheet].iter_rows() for c in row]
        vb = [c.value for row in wb[sheet].iter_rows() for c in row]
        assert len(va) == len(vb), sheet
        for x, y in zip(va, vb, strict=True):
            if isinstance(x, float) and isinstance(y, float) and not (x.is_integer() and y.is_integer()):
                # shares and means: the grouped sum may differ in the last binary digit
                assert x == pytest.approx(y, rel=1e-12, abs=1e-15), sheet
            else:  # words, counts and money: identical
                assert x == y, sheet
        compared += len(va)
    assert compared > 1000


def test_converted_lazy_panel_gives_the_same_reports(tmp_path, colleges, panel_reports):
    """Per-college export folders -> convert -> lazy DuckDB panel -> the same reports."""
    src = tmp_path / "exports"
    for k, tables in enumerate(colleges.values()):
        folder = src / f"college{k}"
        folder.mkdir(parents=True)
        for t, df in tables.items():
            df.to_parquet(folder / f"{t}.parquet", index=False)
    res = cm.convert(src, tmp_path / "parquet")
    assert res.rows["graduates"] == sum(len(c["graduates"]) for c in colleges.values())
    lazy = load_panel(tmp_path / "parquet")
    assert not isinstance(lazy["graduates"], pd.DataFrame)  # stays a DuckDB relation
    reps = {r.college: r for r in build_college_reports(lazy, 2024, colleges=[COLLEGES[0], COLLEGES[2]])}
    assert list(reps) == sorted([COLLEGES[0], COLLEGES[2]])
    for name, rep in reps.items():
        _assert_same_report(rep, panel_reports[name])


def test_combined_tables_stack_every_college(panel_reports):
    reps = list(panel_reports.values())
    comb = combined_tables(reps)
    assert comb["scorecard"].columns[0] == "college"
    assert len(comb["indicators"]) == sum(len(r.tables["indicators"]) for r in reps)
    one = comb["indicators"][comb["indicators"]["college"] == COLLEGES[0]].drop(columns="college")
    pd.testing.assert_frame_equal(one.reset_index(drop=True), panel_reports[COLLEGES[0]].tables["indicators"])


@pytest.mark.parametrize(("name", "expected"), [
    ("江南/示例:学院 ", "江南_示例_学院"), ('a<b>c"d|e?f*g', "a_b_c_d_e_f_g"), ("CON", "_CON"), ("lpt1.txt", "_lpt1.txt"),
    ("学院.", "学院"), ("", "_"),
])
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


def test_year_missing_for_every_college_is_an_error(panel):
    with pytest.raises(cm.InputError, match="1999"):
        next(build_college_reports(panel, 1999))


def test_panel_without_college_column_is_an_error(tmp_path):
    ds = cm.sample.generate(seed=1)
    ds["graduates"].drop(columns="college").to_parquet(tmp_path / "graduates.parquet")
    with pytest.raises(cm.InputError, match="college"):
        load_panel(tmp_path)


def test_adjusted_comparisons_in_chunks_of_colleges_give_the_same_rows(panel, panel_reports, monkeypatch):
    """Adjusted fits run a few colleges per call (memory); each college's rows do not depend on the chunk."""
    monkeypatch.setattr("coopmetrics.report.bundle.ADJUSTED_CHUNK", 2)
    for rep in build_college_reports(panel, 2024):
        pd.testing.assert_frame_equal(rep.tables["cohorts"], panel_reports[rep.college].tables["cohorts"],
                                      check_exact=False, rtol=1e-12, atol=1e-14)
        assert rep.tables["cohorts"]["adjusted"].astype(bool).any()


def test_raw_comparisons_in_one_stacked_call_equal_one_call_per_indicator(panel, monkeypatch):
    """The panel's unadjusted comparisons of every cohort indicator come from one compare(by=[college])
    call; its rows (bootstrap intervals of the mean salary included) and the q-values per call and
    college equal those of one call per indicator."""
    from coopmetrics.report import bundle
    from coopmetrics.report.layouts import COHORT_INDICATORS

    calls = []
    real = bundle._raw_comparisons
    monkeypatch.setattr(bundle, "_raw_comparisons", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    fast = bundle.compute_cohorts(panel, 2024, list(COHORT_INDICATORS), split="college")
    assert [list(c) for c in calls] == [list(COHORT_INDICATORS)] * len(calls) and calls
    monkeypatch.setattr(bundle, "_raw_comparisons", lambda *a, **k: None)  # one call per indicator
    slow = bundle.compute_cohorts(panel, 2024, list(COHORT_INDICATORS), split="college")
    raw = ~fast["cohorts"]["adjusted"].astype(bool)
    assert raw.sum() > 0 and (~raw).sum() > 0 and set(fast["cohorts"]["college"]) == set(COLLEGES)
    assert fast["cohorts"].loc[raw & (fast["cohorts"]["indicator"] == "salary_mean"), "ci_low"].notna().all()
    pd.testing.assert_frame_equal(fast["cohorts"], slow["cohorts"], check_exact=True)
    assert fast["errors"] == slow["errors"] and fast["adjust"] == slow["adjust"]


def test_bundle_slices_equal_slice_for_every_college():
    """The grouped-once slices equal ``Bundle.slice``: own rows in order, the rows of an absent input
    (no college, ``missing_input``) in every college, other rows without a college in none."""
    from dataclasses import fields

    from coopmetrics.report.bundle import Bundle

    college = pd.Series(["甲", "乙", None, "甲", None, "乙", "甲"], dtype="category")
    trend = pd.DataFrame({"college": college, "indicator": list("abcdefg"), "estimate": np.arange(7.0),
                          "status": ["reported", "reported", "missing_input", "suppressed", "reported",
                                     "reported", "reported"]})
    cohorts = pd.DataFrame({"college": ["乙", "甲", "乙"], "indicator": ["x", "y", "z"], "_call": [0, 1, 2]})
    full = Bundle(trend=trend, groups=trend.iloc[::-1], item_trend=pd.DataFrame(), cohorts=cohorts,
                  cohort_adjust={"甲": ("gender",), "乙": ()}, cohort_errors=(("x", "z", "e", frozenset({"乙"})),),
                  cohort_skipped=frozenset({"甲", "乙"}), split="college")
    one = full.slices()
    for name in ("甲", "乙", "丙"):
        a, b = full.slice(name), one(name)
        for f in fields(Bundle):
            x, y = getattr(a, f.name), getattr(b, f.name)
            if isinstance(x, pd.DataFrame):
                pd.testing.assert_frame_equal(x, y, check_exact=True)
            else:
                assert x == y, f.name
    assert one("甲").trend["indicator"].tolist() == ["a", "c", "d", "g"]  # own rows and the absent input
    assert one("丙").trend["indicator"].tolist() == ["c"] and one("丙").cohorts is None


@pytest.mark.parametrize("table", ["teachers", "survey", "enterprises"])
def test_college_lacking_a_table_gets_the_missing_rows_of_its_own_report(colleges, table):
    """乙 sends no rows of ``table`` while the others do: its report has the 缺少数据 rows its own
    report (an export without that table) has, not blanks or the province's figures."""
    gap = COLLEGES[1]
    tables = {name: dict(c) for name, c in colleges.items()}
    del tables[gap][table]
    stacked = {t: pd.concat([c[t] for c in tables.values() if t in c], ignore_index=True) for t in tables[COLLEGES[0]]}
    reps = {r.college: r for r in build_college_reports(cm.Dataset(**stacked), 2024, colleges=[gap, COLLEGES[0]])}
    own = build_report(cm.Dataset(**tables[gap]), 2024, partners=False, figures=False)
    _assert_same_report(reps[gap], own)
    ind = own.tables["indicators"]
    assert (ind["status"].astype(str) == "missing_input").sum() >= 3  # the rows the test is about
    # the other college keeps its figures of that table
    other = build_report(cm.Dataset(**tables[COLLEGES[0]]), 2024, partners=False, figures=False)
    _assert_same_report(reps[COLLEGES[0]], other)


@pytest.mark.parametrize("workers", [1, 2])
def test_write_workbooks_writes_each_college_as_to_excel_does(tmp_path, panel_reports, workers):
    reps = list(panel_reports.values())
    paths = write_workbooks(iter(reps), tmp_path / "out", workers=workers)
    assert [p.name for p in paths] == [f"{safe_filename(r.college)}.xlsx" for r in reps]
    ref = openpyxl.load_workbook(reps[0].to_excel(tmp_path / "ref.xlsx"))
    got = openpyxl.load_workbook(paths[0])
    assert got.sheetnames == ref.sheetnames
    sheet = reps[0].sheet_name("indicators")
    assert [[c.value for c in r] for r in got[sheet].iter_rows()] == [[c.value for c in r] for r in ref[sheet].iter_rows()]
