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
    err = capsys.readouterr().err  # one bar on stderr, in Chinese, over every phase of the run
    from coopmetrics.report import PHASES

    assert err.count("生成报告") >= len(PHASES)
    for _, zh, _ in PHASES:
        assert zh in err, zh
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["coopmetrics_2024_报告.html",
                                                                  "coopmetrics_2024_报告.xlsx"]
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert _progress_enabled(argparse.Namespace(quiet=False)) is False


# --- definition switches of `coopmetrics report` (Options fields) --------------------------------

LIKERT = ["很满意", "满意", "一般", "不满意", "很不满意", "无法评估"]
SCORE = {"很满意": 5, "满意": 4, "一般": 3, "不满意": 2, "很不满意": 1}  # 无法评估 leaves the denominator
SURVEY_KINDS = ("internship", "employment", "school", "employer")
SWITCHES = ("--profile", "--dual", "--practice-days", "--pay-rule", "--weights", "--top-box")


def _teachers(n: int = 30) -> pd.DataFrame:
    """Teachers whose school flag, 2004 conditions and practice days disagree in known ways."""
    i = pd.RangeIndex(n)
    return pd.DataFrame({
        "工号": [f"T{k:03d}" for k in i], "年份": 2024, "院系": ["机电学院", "信息学院"] * (n // 2),
        "教师类别": ["企业兼职" if k % 5 == 4 else "专任" for k in i],
        "专业课教师": ["否" if k % 4 == 3 else "是" for k in i],
        "职称级别": [["初级", "中级", "高级", "无"][k % 4] for k in i],
        "行业职称或职业资格证书": ["是" if k % 3 == 0 else "否" for k in i],
        "企业工作年限": [[0, 1, 3, 0.5, 2][k % 5] for k in i],
        "近五年企业实践天数": [[100, 200, 400, 800, 190, None][k % 6] for k in i],
        "近五年应用技术项目数": [[0, 1, 2][k % 3] for k in i],
        "是否双师素质教师": ["是" if k % 2 == 0 else "否" for k in i],
    })


def _internships(graduates: pd.DataFrame) -> pd.DataFrame:
    """Internship pay against the three reference wages of the 2021 and 2016 rules."""
    i = pd.RangeIndex(len(graduates))
    return pd.DataFrame({
        "学号": graduates["student_id"], "年份": 2024, "实习单位": [f"示例企业{k % 7}" for k in i],
        "实习报酬": 2600 + 60 * i, "相同岗位工资": 3600 + (i % 4) * 300,
        "相同岗位试用期工资": 3800 + (i % 3) * 500, "最低档工资标准": 2900 + (i % 5) * 200,
    })


def _school_survey(graduates: pd.DataFrame, n: int = 30) -> pd.DataFrame:
    """Wide 母校满意度 export: two items per respondent and the survey's own weight column 权重."""
    i = pd.RangeIndex(n)
    return pd.DataFrame({
        "答卷编号": [f"MX{k:04d}" for k in i], "学号": graduates["student_id"][:n].to_numpy(), "年份": 2024,
        "母校总体满意度": [LIKERT[k % 6] for k in i], "教学满意度": [LIKERT[(2 * k + 1) % 6] for k in i],
        "权重": 1 + (i % 3) * 0.5,
    })


@pytest.fixture(scope="module")
def options_data(tmp_path_factory) -> Path:
    """A tiny export folder (graduates, teachers, internships, school survey) as real CSV files."""
    folder = tmp_path_factory.mktemp("exports")
    g = _graduates(40)
    g.to_csv(folder / "毕业生.csv", index=False, encoding="utf-8-sig")
    _teachers().to_csv(folder / "教师.csv", index=False, encoding="utf-8-sig")
    _internships(g).to_csv(folder / "岗位实习.csv", index=False, encoding="utf-8-sig")
    _school_survey(g).to_csv(folder / "母校满意度调查.csv", index=False, encoding="utf-8-sig")
    return folder


def _report_sheets(data: Path, out: Path, *switches: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run `coopmetrics report` in-process; return (indicator rows of the year by id, option rows by key).

    Indicator ids and raw option values are only on the 技术信息 sheet: it maps the Chinese names of
    指标明细 and 说明 back to ids, and carries each option's raw value and switch.
    """
    code = main(["report", str(data), "--year", "2024", "--out", str(out), "--quiet", *switches])
    assert code == EXIT_OK
    (xlsx,) = out.glob("*.xlsx")
    tech = pd.read_excel(xlsx, sheet_name="技术信息", engine="openpyxl", dtype=str, keep_default_na=False)
    ids = tech[tech["类别"] == "指标"].set_index("报告中的名称")["键（选项字段名）"]
    rows = pd.read_excel(xlsx, sheet_name="指标明细", engine="openpyxl")
    rows = rows.assign(指标编号=rows["指标"].map(ids))
    assert rows["指标编号"].notna().all()
    opts = tech[tech["类别"] == "口径选项"].rename(columns={"如何更改（命令行 / Python）": "如何更改"})
    about = pd.read_excel(xlsx, sheet_name="说明", engine="openpyxl", dtype=str, keep_default_na=False)
    words = about.drop_duplicates("项目").set_index("项目")
    opts = opts.assign(内容=opts["报告中的名称"].map(words["内容"]), 状态=opts["报告中的名称"].map(words["口径状态"]))
    return rows[rows["年份"] == 2024].drop_duplicates("指标编号").set_index("指标编号"), \
        opts.set_index("键（选项字段名）")


@pytest.fixture(scope="module")
def switched_report(options_data, tmp_path_factory):
    """Every definition switch away from its default (unweighted, so shares are plain ratios)."""
    pytest.importorskip("coopmetrics.compute")
    return _report_sheets(options_data, tmp_path_factory.mktemp("switched"), "--dual", "2004_evaluation",
                          "--top-box", "3", "--weights", "none", "--practice-days", "365", "--pay-rule", "2016")


@pytest.fixture(scope="module")
def column_weight_report(options_data, tmp_path_factory):
    """Defaults except --weights column (the survey's own 权重 column)."""
    pytest.importorskip("coopmetrics.compute")
    return _report_sheets(options_data, tmp_path_factory.mktemp("weighted"), "--weights", "column")


def _hand_dual(t: pd.DataFrame, definition: str) -> tuple[int, int]:
    """双师 among 专任 teachers (definitions-cn.md §3.1): the school flag, or the 2004 conditions =
    讲师 (中级) or above AND one of: industry certificate, >= 2 years in enterprise, >= 2 years
    (730 days) of practice in five years, >= 2 applied projects."""
    ft = t[t["教师类别"] == "专任"]
    if definition == "school_flag":
        dual = ft["是否双师素质教师"] == "是"
    else:
        industry = ((ft["行业职称或职业资格证书"] == "是") | (ft["企业工作年限"] >= 2)
                    | (ft["近五年企业实践天数"] >= 730) | (ft["近五年应用技术项目数"] >= 2))
        dual = ft["职称级别"].isin(["中级", "高级"]) & industry
    return int(dual.sum()), len(ft)


def _hand_practice(t: pd.DataFrame, days: float) -> tuple[int, int]:
    """Professional-course 专任 teachers with practice days recorded; compliant when days >= the rule."""
    base = t[(t["教师类别"] == "专任") & (t["专业课教师"] == "是") & t["近五年企业实践天数"].notna()]
    return int((base["近五年企业实践天数"] >= days).sum()), len(base)


def _hand_pay(i: pd.DataFrame, rule: str) -> int:
    """2021: pay >= 80 % of the post wage or >= the lowest-grade wage; 2016: >= 80 % of the probation wage."""
    if rule == "2016":
        return int((i["实习报酬"] >= 0.8 * i["相同岗位试用期工资"]).sum())
    return int(((i["实习报酬"] >= 0.8 * i["相同岗位工资"]) | (i["实习报酬"] >= i["最低档工资标准"])).sum())


def _hand_top_box(s: pd.DataFrame, levels: tuple[int, ...], weighted: bool) -> tuple[float, float]:
    """Answers to the overall question of the school survey: (top-box total, valid total), 无法评估 removed."""
    long = s.melt(id_vars=["答卷编号", "权重"], value_vars=["母校总体满意度"], value_name="answer")
    long = long[long["answer"] != "无法评估"]
    w = long["权重"] if weighted else pd.Series(1.0, index=long.index)
    return float(w[long["answer"].map(SCORE).isin(levels)].sum()), float(w.sum())


def test_report_switches_reach_the_indicators(options_data, switched_report, column_weight_report):
    switched, _ = switched_report
    default, _ = column_weight_report  # every switch but --weights at its default
    t = _teachers()
    g = _graduates(40)
    # 双师 ratio (专任 denominator): school flag by default, the 2004 conditions with --dual 2004_evaluation
    flag, ft = _hand_dual(t, "school_flag")
    cond2004, _ = _hand_dual(t, "2004_evaluation")
    assert flag != cond2004  # the data tell the two definitions apart
    assert default.loc["dual_teacher_ratio_fulltime", ["分子", "分母"]].tolist() == [flag, ft]
    assert switched.loc["dual_teacher_ratio_fulltime", ["分子", "分母"]].tolist() == [cond2004, ft]
    # enterprise practice: 180 days by default, 365 with --practice-days 365
    assert _hand_practice(t, 180) != _hand_practice(t, 365)
    assert default.loc["practice_compliance_rate", ["分子", "分母"]].tolist() == list(_hand_practice(t, 180))
    assert switched.loc["practice_compliance_rate", ["分子", "分母"]].tolist() == list(_hand_practice(t, 365))
    # internship pay: 2021 rule by default, 2016 with --pay-rule 2016
    i = _internships(g)
    assert _hand_pay(i, "2021") != _hand_pay(i, "2016")
    assert default.loc["internship_pay_compliance_rate", "分子"] == _hand_pay(i, "2021")
    assert switched.loc["internship_pay_compliance_rate", "分子"] == _hand_pay(i, "2016")
    # 母校满意度, unweighted (--weights none) with 很满意/满意/一般 counted (--top-box 3): a plain ratio
    s = _school_survey(g)
    top3, valid = _hand_top_box(s, (5, 4, 3), weighted=False)
    row = switched.loc["school_satisfaction"]
    assert [row["分子"], row["分母"]] == [top3, valid]
    assert row["估计值"] == pytest.approx(top3 / valid, abs=1e-9)
    # --weights column: the share is weighted by the survey's 权重 column, top-2-box by default
    top2_w, valid_w = _hand_top_box(s, (5, 4), weighted=True)
    top2_u, valid_u = _hand_top_box(s, (5, 4), weighted=False)
    assert top2_w / valid_w != pytest.approx(top2_u / valid_u, abs=1e-3)
    assert default.loc["school_satisfaction", "估计值"] == pytest.approx(top2_w / valid_w, abs=1e-9)


def test_report_switches_are_echoed_in_the_about_sheet(switched_report, column_weight_report):
    from coopmetrics.registry import DEFAULT_SATISFIED

    _, about = switched_report
    # 值 is str() of the Options field: written out here from the switch values, not taken from the code
    assert about.loc["dual_definition", "值"] == "2004_evaluation"
    assert about.loc["satisfied_levels", "值"] == str({k: (5, 4, 3) for k in DEFAULT_SATISFIED})
    assert set(DEFAULT_SATISFIED) == set(SURVEY_KINDS)
    assert about.loc["survey_weights", "值"] == "None"
    assert about.loc["practice_days", "值"] == "365"
    assert about.loc["pay_rule", "值"] == "2016"
    assert about.loc["disclosure", "值"] == "none"
    # the 2004 conditions are unverified: the row says so, and 如何更改 names the switch used
    assert "[U]" in about.loc["dual_definition", "状态"]
    assert "--dual 2004_evaluation" in about.loc["dual_definition", "如何更改"]
    assert "--top-box 3" in about.loc["satisfied_levels", "如何更改"]
    assert "--weights none" in about.loc["survey_weights", "如何更改"]
    assert "--practice-days 365" in about.loc["practice_days", "如何更改"]
    assert "--pay-rule 2016" in about.loc["pay_rule", "如何更改"]
    assert "很满意、满意、基本满意" in about.loc["satisfied_levels", "内容"]
    _, about = column_weight_report
    assert about.loc["survey_weights", "值"] == "column"
    assert "--weights column" in about.loc["survey_weights", "如何更改"]
    assert about.loc["dual_definition", "值"] == "school_flag"
    assert "--dual school_flag" in about.loc["dual_definition", "如何更改"]
    assert "--top-box 2" in about.loc["satisfied_levels", "如何更改"]


def test_switch_defaults_are_the_options_defaults():
    from coopmetrics.cli import _options, build_parser
    from coopmetrics.registry import Options

    assert _options(build_parser().parse_args(["report"])) == Options()
    opts = _options(build_parser().parse_args(
        ["report", "--dual", "2022_standard", "--practice-days", "182.5", "--pay-rule", "2016",
         "--weights", "column", "--top-box", "2", "--profile", "legacy"]))
    assert (opts.dual_definition, opts.practice_days, opts.pay_rule, opts.survey_weights, opts.profile) == (
        "2022_standard", 182.5, "2016", "column", "legacy")
    assert opts.satisfied_levels == {k: (5, 4) for k in SURVEY_KINDS}


def test_report_help_lists_the_definition_switches(capsys):
    assert main(["report", "--help"]) == EXIT_OK
    out = capsys.readouterr().out
    for switch in SWITCHES:
        assert switch in out
    for choice in ("school_flag", "2004_evaluation", "2022_standard", "raking", "column", "none",
                   "{2021,2016}", "{2,3}"):
        assert choice in out
    assert "口径选项 / definition options" in out and "双师认定口径" in out and "satisfied levels" in out


@pytest.mark.parametrize("argv, bad", [
    (["--dual", "2019_flag"], "2019_flag"),
    (["--practice-days", "0"], "'0'"),
    (["--practice-days", "-30"], "'-30'"),
    (["--practice-days", "六个月"], "六个月"),
    (["--practice-days", "inf"], "'inf'"),
    (["--pay-rule", "2019"], "2019"),
    (["--weights", "design"], "design"),
    (["--top-box", "4"], "4"),
    (["--top-box", "three"], "three"),
])
def test_bad_switch_value_is_a_bilingual_usage_error(argv, bad, capsys):
    assert main(["report", *argv]) == EXIT_UNUSABLE
    err = capsys.readouterr().err
    switch = argv[0]
    assert "Traceback" not in err
    zh, en = [line for line in err.splitlines() if "错误" in line or "error:" in line]
    assert f"参数 {switch}" in zh and bad in zh       # Chinese line names the switch and the value
    assert f"argument {switch}" in en and bad in en   # English line too


# --- safe runs: lock, failure, Ctrl-C, backups (issue 12 item 6) -----------------------------------

REPORT_FILES = ["coopmetrics_2024_报告.html", "coopmetrics_2024_报告.xlsx"]


def _run(clean_csv: Path, out: Path, *extra: str) -> int:
    return main(["report", str(clean_csv), "--year", "2024", "--out", str(out), "--quiet", *extra])


def _snapshot(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_open_workbook_stops_before_any_work_exit_2(clean_csv, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    assert _run(clean_csv, out) == EXIT_OK
    before = _snapshot(out)
    (out / "~$coopmetrics_2024_报告.xlsx").write_bytes(b"owner")  # what Excel/WPS leave beside an open file
    computed = []
    monkeypatch.setattr("coopmetrics.report.build._Builder._compute", lambda self: computed.append(1))
    capsys.readouterr()
    assert _run(clean_csv, out) == EXIT_UNUSABLE
    err = capsys.readouterr().err
    assert "请先在 Excel 中关闭“coopmetrics_2024_报告.xlsx”" in err and "close" in err and "in Excel" in err
    assert "Traceback" not in err and "内部错误" not in err
    assert computed == []  # failed fast: nothing was computed
    (out / "~$coopmetrics_2024_报告.xlsx").unlink()
    assert _snapshot(out) == before


def test_locked_file_found_at_write_time_is_exit_2(clean_csv, tmp_path, monkeypatch, capsys):
    """A file opened for writing fails with PermissionError (Excel's share lock on Windows): patched."""
    out = tmp_path / "out"
    assert _run(clean_csv, out) == EXIT_OK
    before = _snapshot(out)
    import builtins

    real_open = builtins.open
    calls = {"n": 0}

    def locked_open(file, mode="r", *a, **k):
        if str(file).endswith("报告.xlsx") and "+" in mode:
            calls["n"] += 1
            if calls["n"] > 1:  # the first check passes; the workbook is "opened in Excel" during the run
                raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, mode, *a, **k)

    monkeypatch.setattr(builtins, "open", locked_open)
    capsys.readouterr()
    assert _run(clean_csv, out) == EXIT_UNUSABLE
    err = capsys.readouterr().err
    assert "请先在 Excel" in err and "Traceback" not in err
    monkeypatch.setattr(builtins, "open", real_open)
    assert _snapshot(out) == before  # previous report intact, no temporary file left


def test_failed_run_leaves_the_previous_report_intact(clean_csv, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    assert _run(clean_csv, out) == EXIT_OK
    before = _snapshot(out)

    def broken(self, path, **kw):
        Path(path).write_text("<html>half")  # a partial file is written, then the renderer fails
        raise RuntimeError("renderer failed")

    monkeypatch.setattr("coopmetrics.report.model.Report.to_html", broken)
    assert _run(clean_csv, out) == EXIT_INTERNAL
    assert _snapshot(out) == before  # both old files unchanged, no temp or half-written file beside them


def test_ctrl_c_exits_130_in_one_line_and_writes_nothing(clean_csv, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"

    def interrupt(self):
        raise KeyboardInterrupt

    monkeypatch.setattr("coopmetrics.report.build._Builder._cohorts", interrupt)
    assert _run(clean_csv, out) == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and "已中断" in err
    assert not out.exists() or list(out.iterdir()) == []
    # interrupted while writing: no partial file either
    monkeypatch.undo()
    assert _run(clean_csv, out) == EXIT_OK
    before = _snapshot(out)

    def interrupted_write(self, path):
        Path(path).write_bytes(b"PK partial")
        raise KeyboardInterrupt

    monkeypatch.setattr("coopmetrics.report.model.Report.to_excel", interrupted_write)
    assert _run(clean_csv, out) == 130
    assert _snapshot(out) == before


def test_existing_report_is_kept_as_backup_or_overwritten_with_force(clean_csv, tmp_path, capsys):
    out = tmp_path / "out"
    assert _run(clean_csv, out) == EXIT_OK
    first = _snapshot(out)
    capsys.readouterr()
    assert _run(clean_csv, out) == EXIT_OK
    said = capsys.readouterr().out
    names = sorted(p.name for p in out.iterdir())
    backups = [n for n in names if ".备份-" in n]
    assert len(backups) == 2 and "备份" in said and "backup" in said
    for b in backups:  # the backup holds the previous run's bytes
        original = b.split(".备份-")[0] + Path(b).suffix
        assert (out / b).read_bytes() == first[original]
    assert _run(clean_csv, out, "--force") == EXIT_OK
    said = capsys.readouterr().out
    assert "--force" in said and "覆盖" in said
    assert sorted(p.name for p in out.iterdir()) == names  # no new backup


def test_publish_public_rounds_and_help_explains_it_in_chinese(clean_csv, tmp_path, capsys):
    assert main(["report", "--help"]) == EXIT_OK
    text = capsys.readouterr().out
    assert "--publish" in text and "公开" in text and "精确" in text and "取整" in text
    out = tmp_path / "pub"
    assert _run(clean_csv, out, "--publish", "公开") == EXIT_OK
    assert "对外公开版" in capsys.readouterr().out
    tech = pd.read_excel(out / REPORT_FILES[1], sheet_name="技术信息", engine="openpyxl", dtype=str,
                         keep_default_na=False)
    assert tech.set_index("键（选项字段名）").loc["disclosure", "值"] == "hesa"
    about = pd.read_excel(out / REPORT_FILES[1], sheet_name="说明", engine="openpyxl", dtype=str,
                          keep_default_na=False)
    assert about.set_index("项目").loc["数字是否精确", "内容"].startswith("否")


def test_open_workbook_without_year_also_stops_before_work(clean_csv, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    assert main(["report", str(clean_csv), "--out", str(out), "--quiet"]) == EXIT_OK
    (out / ".~lock.coopmetrics_2024_报告.xlsx#").write_text("LibreOffice owner file")
    computed = []
    monkeypatch.setattr("coopmetrics.report.build._Builder._compute", lambda self: computed.append(1))
    assert main(["report", str(clean_csv), "--out", str(out), "--quiet"]) == EXIT_UNUSABLE
    assert "请先在 Excel" in capsys.readouterr().err and computed == []


# --- provincial report and convert -----------------------------------------------------------------

def _panel_exports(root: Path) -> Path:
    """Two colleges' CSV export folders (the folder name names the college; 学号 unique per college)."""
    src = root / "各校导出"
    for k, seed in enumerate((1, 2)):
        folder = src / f"学院{k}"
        folder.mkdir(parents=True)
        ds = cm.sample.generate(seed=seed)
        for t in ("graduates", "teachers", "enterprises"):
            df = ds[t].drop(columns=["college"], errors="ignore")
            if "student_id" in df.columns:
                df["student_id"] = f"{seed}-" + df["student_id"].astype(str)
            df.to_csv(folder / f"{t}.csv", index=False, encoding="utf-8-sig")
    return src


def test_convert_then_report_per_college(tmp_path, capsys):
    src = _panel_exports(tmp_path)
    assert main(["convert", str(src), "--out", str(tmp_path / "pq"), "-q"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "graduates" in out and "排除 excluded" in out
    assert main(["report", str(tmp_path / "pq"), "--per", "college", "--year", "2024", "--out",
                 str(tmp_path / "rep"), "-q"]) == EXIT_OK
    assert sorted(p.name for p in (tmp_path / "rep").iterdir()) == ["学院0.xlsx", "学院1.xlsx"]
    # the workbook of a college holds that college's own graduates count
    g = pd.read_csv(src / "学院1" / "graduates.csv", encoding="utf-8-sig")
    n = int((g["grad_year"] == 2024).sum())
    ind = pd.read_excel(tmp_path / "rep" / "学院1.xlsx", sheet_name="指标明细", engine="openpyxl")
    row = ind[(ind.iloc[:, 0] == "毕业生总数") & (ind.iloc[:, 1] == 2024)]
    assert len(row) == 1 and n in set(row.iloc[0].to_numpy().tolist())


def test_report_per_college_rerun_keeps_a_backup_unless_force(tmp_path, capsys):
    """Workbooks written by the worker processes follow the CLI's rule: an existing report is kept
    as a backup (备份), or overwritten with --force; no temporary file is left behind."""
    src = _panel_exports(tmp_path)
    args = ["report", str(src), "--per", "college", "--year", "2024", "--out", str(tmp_path / "rep"), "-q"]
    assert main(args) == EXIT_OK
    assert main(args) == EXIT_OK
    names = sorted(p.name for p in (tmp_path / "rep").iterdir())
    assert [n for n in names if "备份" not in n] == ["学院0.xlsx", "学院1.xlsx"]
    assert len([n for n in names if "备份" in n]) == 2 and not [n for n in names if n.startswith(".")]
    assert main([*args, "--force"]) == EXIT_OK
    assert len(list((tmp_path / "rep").iterdir())) == 4


def test_report_per_college_combined_workbook(tmp_path, capsys):
    src = _panel_exports(tmp_path)
    assert main(["report", str(src), "--per", "college", "--combined", "--lang", "en", "--out",
                 str(tmp_path / "rep"), "-q"]) == EXIT_OK
    files = list((tmp_path / "rep").iterdir())
    assert [p.name for p in files] == ["combined_2024.xlsx"]
    ind = pd.read_excel(files[0], sheet_name="Indicator details", engine="openpyxl")
    assert ind.columns[0] == "College" and set(ind["College"]) == {"学院0", "学院1"}


def test_provincial_switches_need_per(clean_csv, tmp_path, capsys):
    assert main(["report", str(clean_csv), "--combined", "--out", str(tmp_path)]) == EXIT_UNUSABLE
    err = capsys.readouterr().err
    assert "--per college" in err and "只能" in err


def test_report_help_documents_the_provincial_route(capsys):
    assert main(["report", "--help"]) == EXIT_OK
    text = capsys.readouterr().out
    assert "--per" in text and "省级报告" in text and "one workbook per college" in text


def test_validate_reads_a_converted_folder_without_validating_again(messy_csv, tmp_path, capsys, monkeypatch):
    assert main(["convert", str(messy_csv), "--out", str(tmp_path / "pq"), "-q"]) == EXIT_OK
    direct = cm.load(messy_csv)
    capsys.readouterr()

    def no_load(*args, **kwargs):  # a converted folder is opened, never loaded again
        raise AssertionError("load() called on a converted folder")

    monkeypatch.setattr("coopmetrics.io.load", no_load)
    code = main(["validate", str(tmp_path / "pq"), "--all"])
    out = capsys.readouterr().out
    assert code == (EXIT_PROBLEMS if len(direct.validation) else EXIT_OK)
    for name in NAMES + ID_CARDS + PHONES:  # personal data never printed
        assert name not in out
    assert "毕业生_导出.csv" in out  # problems still name the original file
