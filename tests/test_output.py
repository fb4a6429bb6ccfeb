"""Safe output writing (coopmetrics.output): atomic, never destroys the previous report, never runs formulas."""

from __future__ import annotations

import csv

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopmetrics import output
from coopmetrics.errors import OutputError, OutputLockedError
from coopmetrics.validation import ValidationReport, problem_rows


def test_failed_write_leaves_previous_file_and_no_temp(tmp_path):
    p = tmp_path / "报告.xlsx"
    output.atomic_write(p, lambda t: t.write_bytes(b"v1"))

    def boom(t):
        t.write_bytes(b"half a workbook")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        output.atomic_write(p, boom)
    assert p.read_bytes() == b"v1"
    assert [x.name for x in tmp_path.iterdir()] == ["报告.xlsx"]  # no temp file, no backup of a failed run


def test_rerun_keeps_a_backup_force_replaces_refuse_stops(tmp_path):
    p = tmp_path / "r.csv"
    output.atomic_write(p, lambda t: t.write_text("v1"))
    output.atomic_write(p, lambda t: t.write_text("v2"))
    backups = list(tmp_path.glob("r.备份-*.csv"))
    assert p.read_text() == "v2" and [b.read_text() for b in backups] == ["v1"]
    output.atomic_write(p, lambda t: t.write_text("v3"), overwrite="force")
    assert p.read_text() == "v3" and len(list(tmp_path.glob("r.备份-*.csv"))) == 1
    with pytest.raises(OutputError, match="already exists"):
        output.atomic_write(p, lambda t: t.write_text("v4"), overwrite="refuse")
    assert p.read_text() == "v3"
    # two reruns within one second get distinct backups
    output.atomic_write(p, lambda t: t.write_text("v5"))
    output.atomic_write(p, lambda t: t.write_text("v6"))
    assert sorted(b.read_text() for b in tmp_path.glob("r.备份-*.csv")) == ["v1", "v3", "v5"]


@pytest.mark.parametrize("owner", ["~$报告.xlsx", "~$告.xlsx"])  # Excel drops the first chars of long names
def test_file_open_in_excel_is_refused_with_a_bilingual_message(tmp_path, owner):
    p = tmp_path / "报告.xlsx"
    p.write_bytes(b"old")
    (tmp_path / owner).write_bytes(b"owner")
    with pytest.raises(OutputLockedError) as err:
        output.atomic_write(p, lambda t: t.write_bytes(b"new"))
    assert "请先在 Excel 中关闭“报告.xlsx”" in str(err.value) and "close '报告.xlsx' in Excel" in str(err.value)
    assert p.read_bytes() == b"old"


def test_permission_error_on_replace_restores_the_previous_file(tmp_path, monkeypatch):
    p = tmp_path / "r.xlsx"
    p.write_bytes(b"old")
    real = output.os.replace

    def replace(src, dst):
        if str(dst) == str(p) and str(src).endswith(".tmp.xlsx"):
            raise PermissionError("locked by another process")
        return real(src, dst)

    monkeypatch.setattr(output.os, "replace", replace)
    with pytest.raises(OutputLockedError):
        output.atomic_write(p, lambda t: t.write_bytes(b"new"))
    assert p.read_bytes() == b"old" and sorted(x.name for x in tmp_path.iterdir()) == ["r.xlsx"]


@pytest.mark.parametrize("cell", ["=1+1", "+86", "-2+3", "@SUM(A1)", "\t=cmd", "\r=cmd"])
def test_formula_cells_escaped(cell, tmp_path):
    p = output.write_csv(pd.DataFrame({"value": [cell, "ok"], "row": [-1, 2]}), tmp_path / "v.csv")
    with p.open(newline="", encoding="utf-8-sig") as fh:  # keep a \r inside a quoted cell
        rows = list(csv.reader(fh))
    assert rows[1] == ["'" + cell, "-1"]  # text escaped; the number -1 stays a number
    assert rows[2] == ["ok", "2"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=20))
def test_escaped_text_never_starts_a_formula_and_keeps_the_text(values):
    out = output.escape_formulas(pd.DataFrame({"v": values}))["v"].tolist()
    for before, after in zip(values, out, strict=True):
        assert not after.startswith(("=", "+", "-", "@", "\t", "\r"))
        assert after in (before, "'" + before)


def test_validation_report_csv_masks_pii_even_in_a_hand_made_report(tmp_path):
    v = problem_rows(None, table="graduates", column="备注", values=["x"], problem="unparseable_number",
                     action="flagged", file="g.csv", sheet="")
    v.loc[0, "value"] = "13912345678"  # a report built by hand, not by the loader
    v.loc[0, "message_zh"] = "值 13912345678 有误"
    text = ValidationReport(v).to_csv(tmp_path / "v.csv").read_text(encoding="utf-8-sig")
    assert "13912345678" not in text and "<已隐去/masked>" in text


@pytest.mark.parametrize(("n", "max_rows", "max_sheets", "sheets", "csv_written"),
                         [(5, 5, 3, [5], False), (6, 5, 3, [5, 1], False), (15, 5, 3, [5, 5, 5], False),
                          (16, 5, 3, [5, 5, 5], True), (0, 5, 3, [0], False)])
def test_for_excel_splits_at_the_sheet_limit(tmp_path, n, max_rows, max_sheets, sheets, csv_written):
    v = pd.concat([problem_rows(None, table="t", column="c", values=[str(i)], problem="out_of_range",
                                action="flagged", file="f", sheet="") for i in range(n)]) if n else None
    split = ValidationReport(v).for_excel(tmp_path / "r.xlsx", max_rows=max_rows, max_sheets=max_sheets)
    assert [len(p) for p in split.parts] == sheets and split.total == n
    assert (split.csv_path is not None) == csv_written
    assert bool(split.note_en) == (n > max_rows) and bool(split.note_zh) == (n > max_rows)
    if csv_written:
        assert len(pd.read_csv(split.csv_path)) == n


def test_excel_limit_constant_is_the_sheet_size_minus_the_header():
    from coopmetrics.validation import EXCEL_MAX_ROWS

    assert EXCEL_MAX_ROWS == 2**20 - 1


@pytest.fixture(scope="module")
def small_report(tmp_path_factory):
    import coopmetrics as cm

    d = tmp_path_factory.mktemp("rep")
    rows = ["学号,届别,专业名称,毕业去向代码,月收入"] + [f"{i},2024,{'会计' if i % 2 else '护理'},10,{3000 + i}"
                                                      for i in range(40)]
    (d / "毕业生.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return cm.build_report(cm.load(d), 2024)


@pytest.mark.parametrize("kind", ["xlsx", "html"])
def test_a_report_write_that_fails_half_way_leaves_the_previous_report(small_report, tmp_path, monkeypatch, kind):
    import pathlib

    target = tmp_path / f"报告.{kind}"
    write = small_report.to_excel if kind == "xlsx" else small_report.to_html
    write(target)
    before = target.read_bytes()

    def half_then_disk_full(self, data, *args, **kwargs):  # the disk fills up half-way through the file
        with open(self, "wb") as fh:
            fh.write((data if isinstance(data, bytes) else data.encode("utf-8"))[: len(data) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pathlib.Path, "write_bytes", half_then_disk_full)
    monkeypatch.setattr(pathlib.Path, "write_text", half_then_disk_full)
    with pytest.raises(OSError, match="No space"):
        write(target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]  # no temp or half-written file


def test_written_file_gets_the_permissions_of_any_new_file(tmp_path):
    import os
    import stat

    mask = os.umask(0o022)
    try:
        p = output.atomic_write(tmp_path / "报告.xlsx", lambda t: t.write_bytes(b"x"))
    finally:
        os.umask(mask)
    assert stat.S_IMODE(p.stat().st_mode) == 0o644  # not mkstemp's private 0600: colleagues can open it
