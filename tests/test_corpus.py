"""The messy-export corpus (tests/corpus/make_corpus.py): nothing lost, invented or leaked.

For every case: the tables have the expected rows, the expected problems are
reported (exact counts), every accounting row satisfies read = kept + excluded
and the rows read per table equal the data rows written, and no planted
personal-data token reaches any output: ``coopmetrics validate`` (printout and
``--csv``), the validation report's CSV, and the report workbook (every XML
part of the .xlsx) and HTML built from the loaded dataset's validation report.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import coopmetrics as cm
from coopmetrics import cli
from coopmetrics.validation import ValidationReport

_spec = importlib.util.spec_from_file_location("make_corpus", Path(__file__).parent / "corpus" / "make_corpus.py")
corpus = importlib.util.module_from_spec(_spec)
sys.modules["make_corpus"] = corpus  # dataclasses look their module up while the class is built
_spec.loader.exec_module(corpus)

with tempfile.TemporaryDirectory() as _tmp:  # the case list only (ids, classes); files are rebuilt per module
    CASES = corpus.build(Path(_tmp))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    return {c.id: c for c in corpus.build(root)}


class _Loaded(dict):
    """cm.load of each case on first use (a failing case fails its own tests only)."""

    def __init__(self, built):
        super().__init__()
        self.built = built

    def __missing__(self, cid):
        self[cid] = cm.load(self.built[cid].path)
        return self[cid]


@pytest.fixture(scope="module")
def loaded(built):
    return _Loaded(built)


def test_every_class_has_at_least_two_variants():
    per_class = Counter(c.cls for c in CASES)
    assert sorted(per_class) == list(range(1, 10))
    assert min(per_class.values()) >= 2, per_class


@pytest.mark.parametrize("cid", [c.id for c in CASES])
def test_rows_kept_problems_and_accounting(cid, built, loaded):
    case, ds = built[cid], loaded[cid]
    for table, n in case.kept.items():
        assert table in ds.accounting["table"].tolist()
        assert (len(ds[table]) if table in ds else 0) == n, table
    counts = ds.validation["problem"].value_counts()
    for problem, n in case.problems.items():
        assert int(counts.get(problem, 0)) == n, (problem, ds.validation[["row", "problem", "value"]])
    acc = ds.accounting
    assert (acc["rows_read"] == acc["kept"] + acc["excluded"]).all()
    read = acc.groupby("table")["rows_read"].sum()
    assert {t: int(read.get(t, 0)) for t in case.read} == case.read
    kept = acc.groupby("table")["kept"].sum()
    for t in case.kept:  # the accounting agrees with the table itself
        assert int(kept[t]) == (len(ds[t]) if t in ds else 0)


def test_unrecognised_sheet_reports_its_header_cells_only(built, loaded):
    v = loaded["1c_hidden_contacts_and_unrecognised_sheet"].validation
    row = v[v["problem"] == "unrecognised_sheet"].iloc[0]
    assert (row["sheet"], row["value"]) == ("家长信息", "姓名, 电话, 住址")
    assert v.loc[v["problem"] == "hidden_sheet", "sheet"].tolist() == ["通讯录"]


def test_delimiter_sniffing_keeps_columns_intact(loaded):
    for cid in ("6a_comma_file_with_semicolon_cell", "6b_tab_file_with_pipes_and_semicolons",
                "6c_semicolon_file_with_commas"):
        g = loaded[cid]["graduates"]
        assert g["major"].tolist() == ["数控技术", "会计", "数控技术"], cid
        assert g["destination_code"].tolist() == ["10", "10", "10"], cid
    # "3,500" in a ';' file is 3500 yuan, not a split cell
    assert loaded["6c_semicolon_file_with_commas"]["graduates"]["monthly_salary"].tolist() == [3500.0, 3200.0, 3300.0]


def test_years_stored_as_date_serials_are_recovered(loaded):
    assert loaded["8a_year_stored_as_date_serial"]["graduates"]["grad_year"].tolist() == [2024, 2024, 2024]
    starts = loaded["8b_bare_year_in_date_column"]["internships"]["start_date"].tolist()
    assert starts == [pd.Timestamp(2024, 1, 1), pd.Timestamp(2024, 3, 1)]


def test_spaces_removed_and_destroyed_ids_kept_distinct(loaded):
    g = loaded["8c_spaces_inside_ids_and_codes"]["graduates"]
    assert g["student_id"].tolist()[:2] == ["2024010101", "2024010102"]
    assert g["destination_code"].tolist()[0] == "10"
    g4 = loaded["4a_scientific_notation_ids"]["graduates"]
    assert g4["student_id"].tolist().count("202401000000") == 3  # three people, one destroyed id, all counted


def test_state_platform_layout_with_merged_major(loaded):
    e = loaded["9b_legacy_xls_state_platform_merged"]["enterprises"]
    assert e["major"].tolist() == ["数控技术", "数控技术", "会计"]
    assert e["funds"].tolist() == [15_000.0, 5_000.0, 2_000.0]  # 万元 -> yuan


def test_totals_rows_do_not_double_totals(loaded):
    g = loaded["2a_totals_and_subtotal_labels_csv"]["graduates"]
    assert g["monthly_salary"].sum() == 3100 + 3200 + 3300 + 3400
    e = loaded["2c_unlabelled_sum_row_enterprises"]["enterprises"]
    assert e["interns_received"].sum() == 20 and e["funds"].sum() == 40_000.0


# --- personal data never reaches an output --------------------------------------------------------------

@pytest.fixture(scope="module")
def clean_tables(tmp_path_factory):
    d = tmp_path_factory.mktemp("clean")
    corpus.write_csv(d / "毕业生.csv", [corpus.GRAD[:6]] + [
        [f"20249999{i:02d}", f"学生{i}", "2024", "会计" if i % 2 else "数控技术", "10", 3000 + i]
        for i in range(1, 31)])
    ds = cm.load(d)
    return {t: ds[t] for t in ds.tables}


def _assert_clean(text: str, where: str) -> None:
    for token in corpus.PII_TOKENS:
        assert token not in text, f"{token!r} leaked into {where}"


@pytest.mark.parametrize("cid", [c.id for c in CASES])
def test_no_planted_pii_in_any_output(cid, built, loaded, clean_tables, tmp_path, capsys):
    case, ds = built[cid], loaded[cid]
    _assert_clean(ds.validation.to_csv(), "Dataset.validation")
    for t in ds.tables:
        _assert_clean(ds[t].to_csv(), f"table {t}")
    # coopmetrics validate DATA --csv OUT
    out_csv = tmp_path / "v.csv"
    cli.main(["validate", str(case.path), "--csv", str(out_csv), "--all"])
    printed = capsys.readouterr()
    _assert_clean(printed.out + printed.err, "validate printout")
    _assert_clean(out_csv.read_text(encoding="utf-8-sig"), "validate --csv")
    _assert_clean(ValidationReport(ds.validation).to_csv(tmp_path / "r.csv").read_text(encoding="utf-8-sig"),
                  "ValidationReport.to_csv")
    # the report built on clean tables with this case's validation report and accounting
    rep = cm.build_report(cm.Dataset(validation=ds.validation, accounting=ds.accounting, **clean_tables), 2024)
    xlsx = rep.to_excel(tmp_path / "r.xlsx")
    with zipfile.ZipFile(xlsx) as z:
        _assert_clean("".join(z.read(n).decode("utf-8", "replace") for n in z.namelist()), "report xlsx")
    _assert_clean(rep.to_html(tmp_path / "r.html").read_text(encoding="utf-8"), "report html")


@pytest.mark.parametrize("cid", ["7a_formula_text_in_salary", "7b_formula_text_in_teacher_years"])
def test_validate_csv_never_starts_a_cell_with_a_formula(cid, built, tmp_path, capsys):
    out_csv = tmp_path / "v.csv"
    cli.main(["validate", str(built[cid].path), "--csv", str(out_csv)])
    capsys.readouterr()
    frame = pd.read_csv(out_csv, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    cells = frame.to_numpy().ravel().tolist()
    assert any(c.startswith("'") for c in cells)  # something was escaped
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)


@pytest.mark.parametrize("cid", ["5a_400_unknown_codes", "5b_300_negative_salaries"])
def test_long_problem_lists_are_split_and_said_so(cid, loaded, tmp_path):
    v = loaded[cid].validation
    n = len(v)
    split = ValidationReport(v).for_excel(tmp_path / "r.xlsx", max_rows=100, max_sheets=8)
    assert sum(len(p) for p in split.parts) == n and split.csv_path is None
    assert f"{n:,}" in split.note_en and f"{len(split.parts)} sheets" in split.note_en
    small = ValidationReport(v).for_excel(tmp_path / "r.xlsx", max_rows=100, max_sheets=2)
    assert [len(p) for p in small.parts] == [100, 100]
    full = pd.read_csv(small.csv_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert len(full) == n and small.csv_path.name in small.note_zh and small.csv_path.name in small.note_en


# --- every row accounted for, whatever the mess -----------------------------------------------------------

_CELLS = {
    "学号": ["2024010101", "2024010102", "2.02401E+11", "2024 0101 03", "", "合计", "小 计", "１２３"],
    "届别": ["2024", "2024届", "2023-2024学年", "", "明年", corpus.IDCARD, "1905-07-16"],
    "专业名称": ["会计", "数控技术", "", "Total"],
    "毕业去向代码": ["10", "1.0E+1", "99", corpus.NAME, corpus.PHONE, ""],
    "月收入（元）": ["3000", "0.45万", "-1", "=1+1", corpus.PHONE, ""],
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.fixed_dictionaries({k: st.sampled_from(v) for k, v in _CELLS.items()}), max_size=25),
       blank_lines=st.lists(st.integers(0, 30), max_size=3))
def test_read_equals_kept_plus_excluded_and_nothing_leaks(tmp_path_factory, rows, blank_lines):
    header = list(_CELLS)
    lines = [header] + [[r[h] for h in header] for r in rows]
    for i in sorted(blank_lines, reverse=True):  # blank lines are not rows
        lines.insert(min(i, len(lines) - 1) + 1, [""] * len(header))
    d = tmp_path_factory.mktemp("acc")
    corpus.write_csv(d / "毕业生.csv", lines)
    ds = cm.load(d / "毕业生.csv")
    acc = ds.accounting
    nonblank = sum(any(v.strip() for v in r.values()) for r in rows)
    assert acc[["rows_read", "kept"]].sum().tolist() == [nonblank, len(ds["graduates"])]
    assert (acc["rows_read"] == acc["kept"] + acc["excluded"]).all()
    excluded_rows = set(ds.validation.loc[ds.validation["action"] == "excluded", "row"].dropna().astype(int))
    assert len(excluded_rows) == int(acc["excluded"].sum())  # every excluded row has its reason
    _assert_clean(ds.validation.to_csv() + ds["graduates"].to_csv(), "validation/table")
