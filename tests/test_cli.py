"""Tests for the ``coopmetrics`` command line (in-process via main() and one real subprocess)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

import coopmetrics as cm
from coopmetrics.cli import EXIT_INTERNAL, EXIT_OK, EXIT_PROBLEMS, EXIT_UNUSABLE, main

NAMES = ["张三丰", "李四光", "王五一", "赵六二", "钱七三", "孙八四", "周九五", "吴十六", "郑一七", "冯二八"]
ID_CARDS = [f"11010519900307{i:04d}" for i in range(10)]
PHONES = [f"1380013{i:04d}" for i in range(10)]


def _graduates(n: int = 40) -> pd.DataFrame:
    """A small clean graduates table in canonical columns (destination codes as text)."""
    codes = ["10", "11", "12", "46", "75", "76", "80", "85", "70", "71"]
    return pd.DataFrame({
        "student_id": [f"S{i:04d}" for i in range(n)],
        "grad_year": 2024,
        "department": ["机电学院", "信息学院"] * (n // 2),
        "major": ["数控技术", "软件技术"] * (n // 2),
        "destination_code": [codes[i % 10] for i in range(n)],
    })


@pytest.fixture
def clean_csv(tmp_path: Path) -> Path:
    path = tmp_path / "毕业生.csv"
    _graduates().to_csv(path, index=False, encoding="utf-8-sig")
    return path


@pytest.fixture
def messy_csv(tmp_path: Path) -> Path:
    """GBK CSV with a title row, Chinese headers, personal data, an unknown code and a duplicate id."""
    g = _graduates(10).rename(columns={"student_id": "学号", "grad_year": "毕业年份", "department": "院系",
                                       "major": "专业名称", "destination_code": "毕业去向代码"})
    g["姓名"], g["身份证号"], g["手机号"] = NAMES, ID_CARDS, PHONES
    g.loc[3, "毕业去向代码"] = "99"          # data row 4 -> Excel row 6 (title row + header row)
    g.loc[6, "学号"] = g.loc[5, "学号"]      # duplicate of Excel row 8 at Excel row 9
    path = tmp_path / "毕业生_导出.csv"
    with open(path, "w", encoding="gbk", newline="") as f:
        f.write("2024届毕业生去向登记表\n")
        g.to_csv(f, index=False)
    return path


def test_version(capsys):
    assert main(["--version"]) == EXIT_OK
    assert capsys.readouterr().out.strip() == f"coopmetrics {cm.__version__}"


def test_help_is_bilingual_with_examples(capsys):
    assert main(["--help"]) == EXIT_OK
    out = capsys.readouterr().out
    for text in ("年度报告", "yearly report", "示例 / examples", "coopmetrics report --year 2024", "退出码"):
        assert text in out
    assert main(["report", "--help"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "--disclosure" in out and "内置样例" in out and "shipped sample" in out


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == EXIT_UNUSABLE
    assert "coopmetrics" in capsys.readouterr().out


def test_bad_option_is_a_usage_error(capsys):
    assert main(["report", "--lang", "fr"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_validate_clean_exits_0(clean_csv, capsys):
    assert main(["validate", str(clean_csv)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "No problems found" in out and "未发现问题" in out
    assert "40" in out  # rows read are accounted


def test_validate_messy_exits_1_with_excel_rows_and_no_personal_data(messy_csv, tmp_path, capsys):
    report_csv = tmp_path / "problems.csv"
    assert main(["validate", str(messy_csv), "--csv", str(report_csv)]) == EXIT_PROBLEMS
    out = capsys.readouterr().out
    # the unknown code is at Excel row 6 and the duplicate at Excel row 9 (title row + header row)
    assert "行/row 6" in out and "99" in out
    assert "行/row 9" in out and "duplicate" in out
    assert "2 problem(s) found" in out
    # personal data columns were dropped: their names are mentioned, never their values
    written = report_csv.read_text(encoding="utf-8-sig")
    for value in NAMES + ID_CARDS + PHONES:
        assert value not in out
        assert value not in written
    assert "姓名" in out  # the dropped column is reported as a note


def test_validate_missing_required_column_exits_2(tmp_path, capsys):
    path = tmp_path / "graduates.csv"
    _graduates().drop(columns=["student_id"]).to_csv(path, index=False)
    assert main(["validate", str(path)]) == EXIT_UNUSABLE
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert "student_id" in captured.err and "学号" in captured.err


def test_validate_unreadable_file_exits_2_without_traceback(tmp_path, capsys):
    path = tmp_path / "毕业生.xlsx"
    path.write_bytes(b"this is not a workbook")
    assert main(["validate", str(path)]) == EXIT_UNUSABLE
    err = capsys.readouterr().err
    assert "Traceback" not in err and "毕业生.xlsx" in err


def test_validate_missing_path_exits_2(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.csv")]) == EXIT_UNUSABLE
    assert "nope.csv" in capsys.readouterr().err


def test_debug_shows_traceback(tmp_path, capsys):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"junk")
    assert main(["validate", str(path), "--debug"]) == EXIT_UNUSABLE
    assert "Traceback" in capsys.readouterr().err


def test_internal_error_is_one_message(monkeypatch, clean_csv, capsys):
    import coopmetrics.report as report_mod

    def boom(*args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(report_mod, "validation_summary", boom)
    assert main(["validate", str(clean_csv)]) == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "simulated bug" in err and "Traceback" not in err and "--debug" in err


def test_indicators_lists_registry(tmp_path, capsys):
    out_csv = tmp_path / "ind.csv"
    assert main(["indicators", "--lang", "en", "--csv", str(out_csv)]) == EXIT_OK
    out = capsys.readouterr().out
    reg = cm.indicators()
    table = pd.read_csv(out_csv, encoding="utf-8-sig")
    assert set(table["indicator"]) == set(reg["id"])
    assert "placement_rate" in out and "Placement rate" in out
    assert table["source"].notna().all()
    assert main(["indicators"]) == EXIT_OK
    assert "毕业去向落实率" in capsys.readouterr().out


def test_installed_console_script_runs_as_a_real_process(messy_csv, clean_csv):
    exe = shutil.which("coopmetrics") or str(Path(sys.executable).with_name("coopmetrics"))
    assert Path(exe).exists(), "the coopmetrics console script is not installed"
    proc = subprocess.run([exe, "validate", str(messy_csv)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == EXIT_PROBLEMS, proc.stderr
    assert "行/row 6" in proc.stdout
    assert proc.stderr == ""  # no progress bar or warning when not a TTY
    proc = subprocess.run([exe, "validate", str(clean_csv)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == EXIT_OK


def test_report_on_sample_writes_both_files_without_warnings(tmp_path, capsys):
    pytest.importorskip("coopmetrics.compute")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code = main(["report", "--year", "2024", "--out", str(tmp_path / "out"), "--quiet"])
    captured = capsys.readouterr()
    assert code == EXIT_OK, captured.err
    files = sorted(p.suffix for p in (tmp_path / "out").iterdir())
    assert files == [".html", ".xlsx"]
    assert str(tmp_path / "out") in captured.out
    assert [str(w.message) for w in caught] == []
    assert captured.err == ""


def test_report_unknown_year_is_one_clear_error(clean_csv, tmp_path, capsys):
    pytest.importorskip("coopmetrics.compute")
    assert main(["report", str(clean_csv), "--year", "1999", "--out", str(tmp_path)]) == EXIT_UNUSABLE
    err = capsys.readouterr().err
    assert "1999" in err and "Traceback" not in err


def test_progress_bar_on_a_terminal_and_quiet_switch(tmp_path, monkeypatch, capsys):
    pytest.importorskip("coopmetrics.compute")
    import argparse

    from coopmetrics.cli import _progress_enabled

    data = tmp_path / "毕业生.csv"
    g = _graduates(60)
    pd.concat([g, g.assign(grad_year=2023, student_id=g["student_id"] + "p")]).to_csv(data, index=False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert _progress_enabled(argparse.Namespace(quiet=True)) is False
    assert _progress_enabled(argparse.Namespace(quiet=False)) is True
    assert main(["report", str(data), "--year", "2024", "--out", str(tmp_path / "a")]) == EXIT_OK
    assert "coopmetrics report" in capsys.readouterr().err  # the tqdm bar, on stderr
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["coopmetrics_2024_报告.html",
                                                                  "coopmetrics_2024_报告.xlsx"]
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert _progress_enabled(argparse.Namespace(quiet=False)) is False
