"""Tests of coopmetrics.io: readers, table/header detection, normalisation, survey melt, save/load."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import coopmetrics as cm
from coopmetrics import cells, normalise, readers
from coopmetrics import io as cio
from coopmetrics.errors import InputError, MissingColumnError
from coopmetrics.schema import LIKERT_TEXT, TABLES


def write_csv(path, lines: list[str], encoding: str = "utf-8"):
    """Write CSV lines as bytes in ``encoding`` (``utf-8-sig`` adds a BOM)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


GRAD_HEADER = "学号,姓名,届别,专业名称,培养模式,毕业去向代码,月收入（元）"


def _grad_lines(n: int = 5, start: int = 2024010001) -> list[str]:
    return [f"{start + i},学生{i},2024届,数控技术,订单班,10,{4000 + i}" for i in range(n)]


# --- encodings -------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("encoding", "recorded"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-bom"), ("gbk", "gbk")],
)
def test_csv_encodings_detected_without_being_told(tmp_path, encoding, recorded):
    f = write_csv(tmp_path / "毕业生.csv", [GRAD_HEADER, *_grad_lines(3)], encoding)
    ds = cm.load(f)
    g = ds["graduates"]
    assert g["major"].tolist() == ["数控技术"] * 3
    assert g["program"].tolist() == ["order_class"] * 3
    assert f"encoding {recorded}" in ds.sources["graduates"]
    # the BOM must not leak into the first header: 学号 was recognised as student_id
    assert g["student_id"].tolist() == ["2024010001", "2024010002", "2024010003"]


def test_gb18030_only_characters(tmp_path):
    # '㐀' (U+3400, CJK extension A) exists in GB18030 but not in GBK
    lines = [GRAD_HEADER, "2024010001,㐀三,2024届,数控技术㐀,订单班,10,4000"]
    f = write_csv(tmp_path / "毕业生.csv", lines, "gb18030")
    with pytest.raises(UnicodeEncodeError):
        "㐀".encode("gbk")
    ds = cm.load(f)
    assert "encoding gb18030" in ds.sources["graduates"]
    assert ds["graduates"]["major"].tolist() == ["数控技术㐀"]


def test_undecodable_csv_raises_input_error_naming_file(tmp_path):
    f = tmp_path / "毕业生.csv"
    f.write_bytes(b"\xff\xfe\x00\x81\x30\xff" * 20)
    with pytest.raises(InputError) as err:
        cm.load(f)
    assert "毕业生.csv" in str(err.value) and "GB18030" in str(err.value)


def test_broken_xlsx_and_xls_raise_input_error(tmp_path, xlsx_engine):
    bad = tmp_path / "毕业生.xlsx"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(InputError, match="毕业生.xlsx"):
        cm.load(bad)
    old = tmp_path / "教师.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")  # a truncated OLE header: read by calamine, reported as broken
    with pytest.raises(InputError, match=r"教师\.xls.*\n.*cannot read the Excel file"):
        cm.load(old)


def test_empty_folder_and_missing_path(tmp_path):
    with pytest.raises(InputError):
        cm.load(tmp_path)
    with pytest.raises(InputError):
        cm.load(tmp_path / "nope")


# --- the "Done when" criterion: GBK, Chinese headers, title row, 3 bad rows ----------------

def test_gbk_csv_with_title_row_and_three_bad_rows(tmp_path):
    lines = [
        "XX职业技术学院2024届毕业生毕业去向登记表,,,,,,",   # Excel row 1: merged title
        ",,,,,,",                                           # row 2: blank
        GRAD_HEADER,                                        # row 3: header
        "2024010001,张三,2024届,数控技术,订单班,10,4500",       # row 4
        "2024010002,李四,2024届,数控技术,普通班,11,3800",       # row 5
        "2024010001,张三,2024届,数控技术,订单班,10,4500",       # row 6: duplicate of row 4
        ",王五,2024届,会计,普通班,10,3000",                     # row 7: blank 学号
        "2024010005,赵六,20240,会计,普通班,70,",               # row 8: impossible year
        "2024010006,钱七,2024届,会计,冠名班,80,",               # row 9
    ]
    f = write_csv(tmp_path / "2024届毕业生去向_导出.csv", lines, "gbk")
    ds = cm.load(f)
    excluded = ds.validation[ds.validation["action"] == "excluded"]
    assert excluded[["row", "problem"]].values.tolist() == [
        [6, "duplicate_id"], [7, "missing_required_value"], [8, "impossible_year"],
    ]
    dup = excluded[excluded["problem"] == "duplicate_id"].iloc[0]
    assert "第 4 行" in dup["message_zh"] and "row 4" in dup["message_en"]
    acc = ds.accounting.iloc[0]
    # 6 data rows read (rows 4-9), 3 kept + 3 excluded
    assert (acc["rows_read"], acc["kept"], acc["excluded"]) == (6, 3, 3)
    assert acc["rows_read"] == acc["kept"] + acc["excluded"]
    assert ds["graduates"]["student_id"].tolist() == ["2024010001", "2024010002", "2024010006"]
    assert "header row 3" in ds.sources["graduates"]


# --- XLSX -------------------------------------------------------------------------------

@pytest.fixture(params=["calamine", "openpyxl"])
def xlsx_engine(request, monkeypatch):
    """Run a test with python-calamine (when installed) and with the openpyxl fallback."""
    if request.param == "openpyxl":
        monkeypatch.setattr(readers, "_calamine", lambda: None)
    elif readers._calamine() is None:
        pytest.skip("python-calamine not installed")
    return request.param


def _xlsx(path, sheets: dict[str, list[list[object]]]):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def test_xlsx_with_title_row_numbers_and_floats(tmp_path, xlsx_engine):
    rows = [
        ["XX职业技术学院教师基本信息表"],
        [],
        ["教工号", "学年", "教师类别", "是否双师", "企业工作年限", "近五年企业实践天数", "双师型等级"],
        [1001.0, "2023-2024学年", "专任教师", "是", 3, 200, "中级"],
        [1002, 2024, "企业兼职教师", "否", "5年", "", ""],
        [1003, 2024, "专任", "√", 60, 10, "特级"],
    ]
    f = _xlsx(tmp_path / "教师.xlsx", {"Sheet1": rows})
    ds = cm.load(f)
    t = ds["teachers"]
    assert t["teacher_id"].tolist() == ["1001", "1002", "1003"]
    assert t["year"].tolist() == [2024, 2024, 2024]
    assert t["category"].tolist() == ["full_time", "enterprise_part_time", "full_time"]
    assert t["dual_flag"].tolist() == [True, False, True]
    assert t["industry_years"].iloc[1] == 5.0
    # 60 years of industry work is outside 0-50: cleared and flagged at Excel row 6
    assert pd.isna(t["industry_years"].iloc[2])
    v = ds.validation.set_index("problem")
    assert v.loc["out_of_range", "row"] == 6 and v.loc["out_of_range", "column"] == "企业工作年限"
    assert v.loc["unknown_category", "value"] == "特级"


def test_workbook_with_a_sheet_per_table_and_a_notes_sheet(tmp_path, xlsx_engine):
    f = _xlsx(tmp_path / "2024年数据.xlsx", {
        "说明": [["本工作簿由教务处导出"], ["请勿修改表头"]],
        "Sheet3": [],
        "毕业生": [["学号", "届别", "专业", "毕业去向代码"], ["1", 2024, "会计", 10], ["2", 2024, "会计", 80]],
        "在校生": [["年份", "专业名称", "全日制在校生数"], [2024, "会计", 300], [2024, "数控技术", 250]],
        "合作企业": [["企业名称", "年度", "设备值（万元）", "资金投入（元）"], ["甲公司", 2024, 12.5, 30000]],
    })
    ds = cm.load(f)
    assert ds.tables == ["graduates", "enterprises", "enrollment"]
    assert ds["enrollment"]["students"].sum() == 550
    assert ds["enterprises"]["equipment_value"].iloc[0] == 125_000.0   # 12.5 万元
    assert ds["enterprises"]["funds"].iloc[0] == 30_000.0
    skipped = ds.validation[ds.validation["problem"] == "helper_sheet"]  # 说明 names a helper sheet
    assert skipped["sheet"].tolist() == ["说明"]
    assert set(ds.accounting["sheet"]) == {"毕业生", "在校生", "合作企业"}


# --- folders -----------------------------------------------------------------------------

def test_folder_concatenates_files_of_one_table_and_ignores_subfolders(tmp_path):
    write_csv(tmp_path / "2023届毕业生.csv", [GRAD_HEADER, *_grad_lines(2, 2023000001)], "gbk")
    write_csv(tmp_path / "2024届毕业生.csv", [GRAD_HEADER, *_grad_lines(3)], "utf-8")
    write_csv(tmp_path / "notes.md", ["not data"])
    write_csv(tmp_path / "messy" / "毕业生.csv", [GRAD_HEADER, *_grad_lines(7)])  # sub-folder: not read
    ds = cm.load(tmp_path)
    assert len(ds["graduates"]) == 5
    assert ds.accounting["rows_read"].tolist() == [2, 3]
    assert ds.accounting["file"].tolist() == ["2023届毕业生.csv", "2024届毕业生.csv"]


def test_duplicates_across_files_name_the_first_file(tmp_path):
    write_csv(tmp_path / "毕业生_a.csv", [GRAD_HEADER, *_grad_lines(2)])
    write_csv(tmp_path / "毕业生_b.csv", [GRAD_HEADER, *_grad_lines(1)])
    ds = cm.load(tmp_path)
    dup = ds.validation[ds.validation["problem"] == "duplicate_id"]
    assert dup[["file", "row"]].values.tolist() == [["毕业生_b.csv", 2]]
    assert "毕业生_a.csv" in dup["message_zh"].iloc[0] and "row 2 of file '毕业生_a.csv'" in dup["message_en"].iloc[0]


def test_table_detected_from_headers_when_name_says_nothing(tmp_path):
    f = write_csv(tmp_path / "export_001.csv", ["学号,实习年份,实习单位,实习报酬,是否参保", "1,2024,甲公司,2500,是"])
    ds = cm.load(f)
    assert ds.tables == ["internships"]
    assert ds["internships"]["insured"].tolist() == [True]


def test_unrecognisable_single_file_raises(tmp_path):
    f = write_csv(tmp_path / "data.csv", ["a,b,c", "1,2,3"])
    with pytest.raises(InputError, match="data.csv"):
        cm.load(f)


def test_table_argument_forces_the_table(tmp_path):
    f = write_csv(tmp_path / "data.csv", ["year,students", "2024,300"])
    assert cm.load(f, table="enrollment")["enrollment"]["students"].tolist() == [300]


# --- Parquet -----------------------------------------------------------------------------

def _grad_frame(n: int = 4) -> pd.DataFrame:
    return pd.DataFrame({
        "学号": [str(2024010001 + i) for i in range(n)],
        "届别": [2024] * n,
        "专业名称": ["会计"] * n,
        "毕业去向代码": ["10", "70", "80", "11"][:n],
        "月收入（万元）": [0.5, np.nan, np.nan, 0.42][:n],
        "手机号码": ["13800138000"] * n,
    })


def test_parquet_eager(tmp_path):
    _grad_frame().to_parquet(tmp_path / "graduates.parquet")
    ds = cm.load(tmp_path)
    g = ds["graduates"]
    assert isinstance(g, pd.DataFrame)
    assert g["monthly_salary"].tolist()[0] == 5000.0 and g["monthly_salary"].tolist()[3] == 4200.0
    assert "phone" not in g.columns and "手机号码" not in g.columns
    assert ds.accounting["rows_read"].tolist() == [4]


def test_parquet_lazy_renames_and_validates(tmp_path):
    _grad_frame().to_parquet(tmp_path / "毕业生.parquet")
    ds = cm.load(tmp_path, lazy=True)
    lf = ds["graduates"]
    assert isinstance(lf, pl.LazyFrame)
    got = lf.collect()
    assert set(got.columns) == {"student_id", "grad_year", "major", "destination_code", "monthly_salary"}
    assert got["monthly_salary"].to_list()[0] == 5000.0
    # validated by the engine now (issue 17): every row accounted for, no "not validated" note
    acc = ds.accounting.iloc[0]
    assert acc["rows_read"] == 4 == acc["kept"] + acc["excluded"]
    assert "not_validated" not in set(ds.validation["problem"])
    assert "pii_dropped" in set(ds.validation["problem"])


def test_parquet_lazy_hash_mode(tmp_path):
    _grad_frame(2).to_parquet(tmp_path / "毕业生.parquet")
    got = cm.load(tmp_path, lazy=True, pii="hash", salt="s")["graduates"].collect()
    assert "phone_hash" in got.columns and "phone" not in got.columns
    assert got["phone_hash"].to_list()[0] == cm.privacy.pseudonymise(["13800138000"], "s")[0]


# --- normalisation --------------------------------------------------------------------------

def test_full_width_stray_spaces_and_excel_codes():
    raw = pd.DataFrame({
        "学号 ": ["２０２４０１０１０１", "2024010102.0", " 2024010103 "],
        "届别": ["２０２４届", "2024", "2024.0"],
        "专业名称": ["数控 技术", "　会计　", "Computer  Science"],
        "毕业去向代码": ["1.0E+1", "８０", "271.0"],
        "培养模式": [" 订单班", "现代学徒制", "普通"],
    })
    g, report = cio.standardise(raw, "graduates")
    assert g["student_id"].tolist() == ["2024010101", "2024010102", "2024010103"]
    assert g["grad_year"].tolist() == [2024, 2024, 2024]
    assert g["major"].tolist() == ["数控技术", "会计", "Computer Science"]
    assert g["destination_code"].tolist() == ["10", "80", "271"]
    assert g["program"].tolist() == ["order_class", "apprenticeship", "regular"]
    assert report.empty


def test_excel_destroyed_id_precision_is_flagged():
    raw = pd.DataFrame({"学号": ["2.02401E+11", "2024010102"], "届别": [2024, 2024], "专业": ["会计", "会计"],
                        "毕业去向代码": ["10", "10"]})
    g, report = cio.standardise(raw, "graduates", file="g.csv")
    assert g["student_id"].tolist() == ["202401000000", "2024010102"]
    assert report[["row", "problem", "action"]].values.tolist() == [[2, "precision_lost", "flagged"]]


@pytest.mark.parametrize(("text", "expected"), [
    ("是", True), ("否", False), ("Y", True), ("n", False), ("1", True), ("0", False), ("√", True),
    ("×", False), ("有", True), ("无", False), ("TRUE", True), ("false", False), (" 是 ", True),
])
def test_booleans(text, expected):
    raw = pd.DataFrame({"学号": ["1"], "实习年份": [2024], "实习单位": ["甲"], "是否参保": [text]})
    frame, report = cio.standardise(raw, "internships")
    assert frame["insured"].tolist() == [expected]
    assert report.empty


def test_dates_and_money():
    raw = pd.DataFrame({
        "学号": ["1", "2", "3"], "实习年份": [2024] * 3, "实习单位": ["甲"] * 3,
        "实习开始日期": ["2024年3月1日", 45474, "2024/07/01"],
        "实习报酬": ["2,500元", "3000", "—"],
    })
    frame, report = cio.standardise(raw, "internships")
    # Excel serial 45474 = 2024-07-01 (days since 1899-12-30)
    assert frame["start_date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-03-01", "2024-07-01", "2024-07-01"]
    assert frame["monthly_pay"].tolist()[:2] == [2500.0, 3000.0] and np.isnan(frame["monthly_pay"].iloc[2])
    assert report.empty


@pytest.mark.parametrize(("text", "year"), [("2024届", 2024), ("2024年", 2024), ("2024-06-30", 2024),
                                            ("2023-2024学年", 2024), (2024.0, 2024), ("２０２４", 2024)])
def test_years(text, year):
    raw = pd.DataFrame({"年份": [text], "全日制在校生数": [10]})
    frame, _ = cio.standardise(raw, "enrollment")
    assert frame["year"].tolist() == [year]


def test_question_numbers_in_headers_are_ignored():
    raw = pd.DataFrame({"1、您的学号": ["1"], "2、届别": [2024], "3、专业": ["会计"], "4、毕业去向代码": ["10"]})
    frame, _ = cio.standardise(raw, "graduates")
    assert frame["student_id"].tolist() == ["1"]


def test_unknown_extra_columns_are_kept_cleaned():
    raw = pd.DataFrame({"学号": ["1"], "届别": [2024], "专业": ["会计"], "毕业去向代码": ["10"], "备注 ": ["  已核对 "]})
    frame, _ = cio.standardise(raw, "graduates")
    assert frame["备注"].tolist() == ["已核对"]


def test_dataset_given_dataframes_directly_still_works():
    g = pd.DataFrame({"student_id": ["1"], "grad_year": [2024], "major": ["会计"], "destination_code": ["10"]})
    ds = cm.Dataset(graduates=g)
    assert ds["graduates"] is g and ds.validation.empty


# --- survey --------------------------------------------------------------------------------

def test_wide_survey_is_melted_with_kind_and_year_from_the_file_name(tmp_path):
    lines = [
        "序号,提交答卷时间,学号,姓名,1、您对实习单位的总体满意度,2、实习指导,3、实习报酬",
        "1,2024/6/1 10:00,2024010001,张三,很满意,满意,无法评估",
        "2,2024/6/1 10:05,2024010002,李四,非常满意,基本满意,",
        "3,2024/6/1 10:09,2024010003,王五,6,,",
        "4,2024/6/1 10:11,2024010004,赵六,,,",
    ]
    f = write_csv(tmp_path / "2024届实习满意度调查.csv", lines, "gbk")
    ds = cm.load(f)
    s = ds["survey"]
    assert set(s["survey_kind"]) == {"internship"} and set(s["year"]) == {2024}
    assert s.columns.tolist() == ["respondent_id", "student_id", "year", "survey_kind", "item", "response",
                                  "score", "提交答卷时间"]
    got = s[["respondent_id", "item", "response", "score"]].astype(object).where(s.notna(), None).values.tolist()
    assert got == [
        ["1", "1、您对实习单位的总体满意度", "很满意", 5],
        ["1", "2、实习指导", "满意", 4],
        ["1", "3、实习报酬", "无法评估", None],
        ["2", "1、您对实习单位的总体满意度", "非常满意", 5],
        ["2", "2、实习指导", "基本满意", 3],
        ["3", "1、您对实习单位的总体满意度", "6", None],
    ]
    v = ds.validation.set_index("problem")
    assert v.loc["bad_likert", "row"] == 4 and v.loc["bad_likert", "column"] == "1、您对实习单位的总体满意度"
    assert v.loc["no_answers", "row"] == 5 and v.loc["no_answers", "action"] == "excluded"
    acc = ds.accounting.iloc[0]
    assert (acc["rows_read"], acc["kept"], acc["excluded"]) == (4, 3, 1)
    assert "姓名" not in s.columns and "name" not in s.columns


def test_long_survey_with_score_column():
    raw = pd.DataFrame({"答卷编号": ["a", "a", "b"], "调查年份": [2024] * 3, "问卷类型": ["雇主"] * 3,
                        "题项": ["总体", "技能", "总体"], "得分": [5, 7, "4"]})
    frame, report = cio.standardise(raw, "survey")
    assert frame["survey_kind"].tolist() == ["employer"] * 3
    assert frame["score"].astype(object).where(frame["score"].notna(), None).tolist() == [5, None, 4]
    assert report[["row", "problem"]].values.tolist() == [[3, "bad_likert"]]


def test_survey_without_kind_raises_missing_column(tmp_path):
    f = write_csv(tmp_path / "满意度调查.csv", ["序号,届别,总体满意度", "1,2024,满意"])
    with pytest.raises(MissingColumnError, match="survey_kind"):
        cm.load(f)


# --- missing columns -----------------------------------------------------------------------

def test_missing_column_error_names_file_found_columns_and_closest_alias(tmp_path):
    f = write_csv(tmp_path / "毕业生.csv", ["学号,届别,专业名称,毕业去向代吗", "1,2024,会计,10"], "gbk")
    with pytest.raises(MissingColumnError) as err:
        cm.load(f)
    msg = str(err.value)
    assert "毕业生.csv" in msg                             # file
    assert "学号、届别、专业名称、毕业去向代吗" in msg         # columns found (Chinese line)
    assert "destination_code" in msg and "毕业去向代码" in msg  # what was expected
    assert "“毕业去向代吗”≈ 可接受的表头“毕业去向代码”" in msg   # closest alias, Chinese
    assert "Closest match: header '毕业去向代吗'" in msg      # and English
    assert err.value.file == "毕业生.csv"


def test_missing_column_error_names_the_sheet(tmp_path, xlsx_engine):
    # one bad sheet among several is skipped and reported in full; the others load
    f = _xlsx(tmp_path / "数据.xlsx", {"教师": [["工号", "年份"], ["1", 2024]], "在校生": [["年份", "人数"], [2024, 3]]})
    ds = cm.load(f)
    assert ds.tables == ["enrollment"]
    row = ds.validation[ds.validation["problem"] == "sheet_missing_columns"].iloc[0]
    assert row["sheet"] == "教师" and "category" in row["value"] and "教师" in row["message_zh"]
    # when no sheet can be read, the error itself is raised, naming the sheet
    g = _xlsx(tmp_path / "数据2.xlsx", {"教师": [["工号", "年份"], ["1", 2024]], "说明": [["x"]]})
    with pytest.raises(MissingColumnError) as err:
        cm.load(g)
    assert err.value.sheet == "教师" and "工作表 教师" in str(err.value) and "sheet 教师" in str(err.value)


# --- round trips (hypothesis) --------------------------------------------------------------

_TEXT = st.text(alphabet="数控技术会计电子商务护理甲乙丙公司ABCxyz0123", min_size=1, max_size=8)


@st.composite
def graduates_frames(draw):
    n = draw(st.integers(min_value=1, max_value=25))
    ids = draw(st.lists(st.from_regex(r"0?[0-9]{3,10}", fullmatch=True), min_size=n, max_size=n, unique=True))
    return pd.DataFrame({
        "student_id": pd.array(ids, dtype="string"),
        "grad_year": pd.array(draw(st.lists(st.integers(2015, 2030), min_size=n, max_size=n)), dtype="Int64"),
        "major": pd.array(draw(st.lists(_TEXT, min_size=n, max_size=n)), dtype="string"),
        "program": pd.array(draw(st.lists(st.sampled_from(["regular", "order_class", "named_class",
                                                          "apprenticeship", None]), min_size=n, max_size=n)),
                            dtype="string"),
        "destination_code": pd.array(draw(st.lists(st.sampled_from(["10", "11", "271", "70", "803", "85"]),
                                                   min_size=n, max_size=n)), dtype="string"),
        "monthly_salary": draw(st.lists(st.one_of(st.none(), st.floats(0, 200_000, allow_nan=False)),
                                        min_size=n, max_size=n)),
        "job_relevant": pd.array(draw(st.lists(st.sampled_from([True, False, None]), min_size=n, max_size=n)),
                                 dtype="boolean"),
    }).astype({"monthly_salary": "float64"})


# no E: "1E5" reads as Excel's scientific notation; no mobile-number shape: a phone typed into 毕业去向代码
# is cleared as personal data (pii_cleared), by design
_CODE = st.from_regex(r"0?[0-9A-D]{1,10}", fullmatch=True).filter(lambda s: not re.fullmatch(r"1[3-9][0-9]{9}", s))
_DTYPES = {"code": "string", "str": "string", "category": "string", "int": "Int64", "year": "Int64",
           "float": "float64", "bool": "boolean", "date": "datetime64[ns]"}


def _values(col, n: int, required: bool):
    """A hypothesis strategy for n valid values of one schema column."""
    lo = col.lo if col.lo is not None else 0
    hi = col.hi if col.hi is not None else 1_000_000
    base = {
        "code": _CODE,
        "str": _TEXT,
        "category": st.sampled_from(sorted(set(col.values.values()))),
        "int": st.integers(int(lo), int(hi)),
        "year": st.integers(int(lo), int(hi)),
        "float": st.floats(lo, hi, allow_nan=False, allow_infinity=False),
        "bool": st.booleans(),
        "date": st.dates(date(2000, 1, 1), date(2035, 12, 31)).map(pd.Timestamp),
    }[col.kind]
    if col.name == "score":
        base = st.integers(1, 5)
    if col.name == "response":
        base = st.sampled_from(["很满意", "满意", "一般", "不满意", "很不满意", "无法评估"])
    return st.lists(base if required else st.one_of(st.none(), base), min_size=n, max_size=n)


@st.composite
def canonical_frames(draw, table: str):
    """Any valid canonical frame of ``table`` (personal-data columns aside): the schema drives the values."""
    spec = TABLES[table]
    n = draw(st.integers(min_value=1, max_value=12))
    cols = [c for c in spec.columns if not c.pii and c.name not in ("response", "score")
            and (c.required or draw(st.booleans()))]
    data = {}
    for c in cols:
        if spec.key and c.name == spec.key[0] and c.kind == "code":  # unique first key column: no duplicates
            vals = draw(st.lists(_CODE, min_size=n, max_size=n, unique=True))
        else:
            vals = draw(_values(c, n, c.required))
        data[c.name] = pd.array(vals, dtype=_DTYPES[c.kind]) if c.kind != "date" else \
            pd.to_datetime(pd.Series(vals, dtype=object)).astype("datetime64[ns]")
    if table == "survey":  # a canonical survey row has its score implied by its answer text
        resp = draw(_values(spec.column("response"), n, False))
        data["response"] = pd.array(resp, dtype="string")
        data["score"] = pd.array([LIKERT_TEXT.get(r) if r else None for r in resp], dtype="Int64")
        return pd.DataFrame(data)[[c for c in spec.names if c in data]]
    return pd.DataFrame(data)


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          phases=(Phase.explicit, Phase.reuse, Phase.generate))  # each example loads six files: no slow shrinking
@given(data=st.data())
def test_any_canonical_table_round_trips_without_loss(tmp_path_factory, fmt, data):
    frames = {t: data.draw(canonical_frames(t), label=t) for t in TABLES}
    folder = tmp_path_factory.mktemp(fmt)
    cio.save(cm.Dataset(**frames), folder, format=fmt)
    ds = cm.load(folder)
    assert ds.tables == list(TABLES)
    assert (ds.accounting["excluded"] == 0).all(), ds.validation.query("action == 'excluded'").to_string()
    for t, frame in frames.items():
        assert int(ds.accounting.loc[ds.accounting["table"] == t, "rows_read"].sum()) == len(frame)
        _same(frame, ds[t])


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(b.columns) == list(a.columns)
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=True)


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frame=graduates_frames())
def test_round_trip_save_load_loses_no_rows(tmp_path_factory, fmt, frame):
    folder = tmp_path_factory.mktemp(fmt)
    cio.save(cm.Dataset(graduates=frame), folder, format=fmt)
    ds = cm.load(folder)
    assert ds.accounting["rows_read"].tolist() == [len(frame)]
    assert ds.accounting["excluded"].tolist() == [0]
    _same(frame, ds["graduates"])


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frame=graduates_frames())
def test_round_trip_through_workbook_with_chinese_headers(tmp_path_factory, frame):
    path = tmp_path_factory.mktemp("wb") / "数据.xlsx"
    cio.save(cm.Dataset(graduates=frame), path, headers="zh")
    _same(frame, cm.load(path)["graduates"])


def test_gbk_save_round_trip(tmp_path):
    g = pd.DataFrame({"student_id": ["001"], "grad_year": [2024], "major": ["数控技术"], "destination_code": ["10"]})
    cio.save(cm.Dataset(graduates=g), tmp_path, encoding="gbk", headers="zh")
    assert (tmp_path / "graduates.csv").read_bytes().decode("gbk").startswith("学号,毕业年份")
    ds = cm.load(tmp_path)
    assert ds["graduates"]["student_id"].tolist() == ["001"] and "encoding gbk" in ds.sources["graduates"]


# --- speed ---------------------------------------------------------------------------------

def test_cells_are_parsed_once_per_distinct_value_not_per_row(tmp_path, monkeypatch):
    # speed by construction (timings live in benchmarks/): 5,000 rows with 7 distinct salary texts
    # must reach the Python number parser at most 7 times (+1 probe), not 5,000 times
    n = 5000
    lines = [GRAD_HEADER] + [f"{2024000000 + i},学生,2024届,专业{i % 12},普通班,{['10', '70', '80'][i % 3]},"
                             f"{3000 + i % 7}元" for i in range(n)]
    f = write_csv(tmp_path / "毕业生.csv", lines, "gbk")
    calls = []
    real = normalise._parse_number
    monkeypatch.setattr(normalise, "_parse_number", lambda x: calls.append(x) or real(x))
    g = cm.load(f)["graduates"]
    assert len(g) == n and g["monthly_salary"].iloc[:7].tolist() == [3000.0 + k for k in range(7)]
    assert 1 <= len(calls) <= 8


# --- the shipped sample (written by coopmetrics.sample) ------------------------------------

SAMPLE = Path(cm.__file__).parent / "data" / "sample"


def _documented_bad_rows() -> list[tuple[int, str, str, int | None]]:
    """(Excel row, problem, value, first-occurrence row) from the table the generator writes in README.md."""
    text = (SAMPLE / "README.md").read_text(encoding="utf-8").split("The messy export", 1)[1]
    problem = {"月收入（元）": "negative_money", "毕业去向代码": "unknown_code", "学号": "duplicate_id"}
    out = []
    for m in re.finditer(r"^\| (\d+) \| (\d+) \| (\S+) \| (\S+) \| (.+) \|$", text, flags=re.MULTILINE):
        first = re.search(r"与第(\d+)行相同", m.group(5))
        out.append((int(m.group(1)), problem[m.group(3)], m.group(4), int(first.group(1)) if first else None))
    return sorted(out)


@pytest.mark.skipif(not (SAMPLE / "messy").is_dir(), reason="messy sample export not generated")
def test_messy_sample_export_loads_with_its_three_bad_rows():
    documented = _documented_bad_rows()
    assert len(documented) == 3
    ds = cm.load(SAMPLE / "messy")
    v = ds.validation
    problems = v[~v["problem"].isin(["pii_dropped", "derived_from_name"])]
    assert problems[["row", "problem"]].values.tolist() == [[r, p] for r, p, _, _ in documented]
    for (_, problem, value, first), rec in zip(documented, problems.itertuples(), strict=True):
        if problem == "duplicate_id":
            assert f"第 {first} 行" in rec.message_zh and f"row {first}" in rec.message_en
            assert rec.value.startswith(value)
        else:
            assert rec.value == value
    with (SAMPLE / "messy" / "毕业生.csv").open(encoding="gbk", newline="") as fh:
        data_rows = sum(1 for r in csv.reader(fh) if any(c.strip() for c in r)) - 2  # minus title and header
    acc = ds.accounting.iloc[0]
    assert (acc["rows_read"], acc["kept"], acc["excluded"]) == (data_rows, data_rows - 1, 1)
    g = ds["graduates"]
    assert set(g["grad_year"]) == {2024}  # from the title row "...2024届毕业生..."
    assert g["destination_code"].str.fullmatch(r"[0-9]{2,3}").all()  # 10.0, 1.0E+1, 2.71E+2 repaired
    assert g["student_id"].str.fullmatch(r"[0-9]{10}").all()  # 2021010001.0 repaired
    assert g["major_code"].dropna().str.fullmatch(r"[0-9]+").all()  # full-width digits repaired
    assert not g["major"].str.contains(r"\s|\u3000").any()
    assert not {"name", "id_card", "phone", "姓名", "身份证号", "手机号码"} & set(g.columns)


@pytest.mark.skipif(not (SAMPLE / "毕业生.csv").is_file(), reason="sample not generated")
def test_clean_sample_folder_loads_every_row():
    ds = cm.load(SAMPLE)
    assert ds.tables == list(TABLES)  # the six core tables and the five issue-14 tables
    acc = ds.accounting
    assert (acc["rows_read"] == acc["kept"] + acc["excluded"]).all()
    for rec in acc.itertuples():
        with (SAMPLE / rec.file).open(encoding="utf-8", newline="") as fh:
            assert rec.rows_read == sum(1 for _ in csv.reader(fh)) - 1, rec.file
    assert set(ds["survey"]["survey_kind"]) == {"internship", "employment", "school", "employer"}
    assert int(acc.loc[acc["table"] == "graduates", "rows_read"].sum()) == len(ds["graduates"])


def test_two_row_header_with_merged_group_cells(tmp_path, xlsx_engine):
    rows = [
        ["XX学院合作企业年度台账（2024）"],
        ["企业名称", "年度", "企业投入", None, "实习岗位数"],
        [None, None, "设备值（万元）", "资金投入（万元）", None],
        ["甲公司", 2024, 1.5, 2, 30],
        ["乙公司", 2024, 0, 0.5, 12],
    ]
    ds = cm.load(_xlsx(tmp_path / "台账.xlsx", {"合作企业": rows}))
    e = ds["enterprises"]
    assert e["equipment_value"].tolist() == [15_000.0, 0.0]
    assert e["funds"].tolist() == [20_000.0, 5_000.0]
    assert e["internship_positions"].tolist() == [30, 12]
    assert ds.accounting["rows_read"].tolist() == [2]  # the second header row is not data
    assert "header rows 2-3" in ds.sources["enterprises"]


def test_crlf_line_endings_and_semicolon_delimiter(tmp_path):
    f = tmp_path / "在校生.csv"
    f.write_bytes("年份;专业名称;在校生人数\r\n2024;会计;300\r\n2024;护理;200\r\n".encode())
    e = cm.load(f)["enrollment"]
    assert e["students"].tolist() == [300, 200] and e["major"].tolist() == ["会计", "护理"]


def test_survey_respondent_numbers_restart_each_year_without_false_duplicates(tmp_path):
    for year in (2023, 2024):
        write_csv(tmp_path / f"{year}届就业满意度.csv", ["序号,总体满意度,工作内容", "1,满意,一般", "2,很满意,满意"])
    ds = cm.load(tmp_path)
    s = ds["survey"]
    assert len(s) == 8 and sorted(set(s["year"])) == [2023, 2024]
    assert ds.accounting["excluded"].tolist() == [0, 0]


def test_wide_survey_duplicate_respondent_is_reported_once_per_row(tmp_path):
    f = write_csv(tmp_path / "2024母校满意度.csv", ["序号,总体满意度,教学", "1,满意,一般", "1,满意,一般", "2,满意,满意"])
    ds = cm.load(f)
    dup = ds.validation[ds.validation["problem"] == "duplicate_id"]
    assert dup["row"].tolist() == [3]
    assert ds.accounting[["rows_read", "kept", "excluded"]].values.tolist() == [[3, 2, 1]]


def test_text_notes_in_a_folder_are_not_read(tmp_path):
    write_csv(tmp_path / "在校生.csv", ["年份,在校生人数", "2024,10"])
    (tmp_path / "说明.txt").write_text("这是导出说明，不是数据", encoding="utf-8")
    assert cm.load(tmp_path).tables == ["enrollment"]


_ANSWER = st.one_of(st.just(""), st.sampled_from(["很满意", "满意", "一般", "不满意", "很不满意", "无法评估", "1", "5",
                                                  "非常满意", "基本满意"]))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answers=st.lists(st.lists(_ANSWER, min_size=3, max_size=3), min_size=1, max_size=15))
def test_wide_survey_melts_one_row_per_answered_cell(tmp_path_factory, answers):
    lines = ["序号,学号,总体满意度,教学,服务"]
    lines += [f"{i + 1},{100 + i},{','.join(a)}" for i, a in enumerate(answers)]
    f = write_csv(tmp_path_factory.mktemp("wide") / "2024届实习满意度.csv", lines, "gbk")
    ds = cm.load(f)
    answered = sum(1 for row in answers for a in row if a)
    empty_rows = sum(1 for row in answers if not any(row))
    assert len(ds["survey"]) == answered
    acc = ds.accounting.iloc[0]
    assert (acc["rows_read"], acc["kept"], acc["excluded"]) == (len(answers), len(answers) - empty_rows, empty_rows)
    expected_scores = [{"很满意": 5, "非常满意": 5, "满意": 4, "一般": 3, "基本满意": 3, "不满意": 2, "很不满意": 1,
                        "1": 1, "5": 5}.get(a) for row in answers for a in row if a]
    got = ds["survey"]["score"].astype(object).where(ds["survey"]["score"].notna(), None).tolist()
    assert got == expected_scores


def test_wide_survey_weight_column_stays_with_the_respondent(tmp_path):
    """A vendor export's 权重 column is the respondent's weight, not an item; compute can use it."""
    lines = [
        "序号,学号,权重,1、总体满意度,2、工作内容",
        "1,2024010001,2.5,很满意,不满意",
        "2,2024010002,0.5,不满意,一般",
        "3,2024010003,-1,满意,满意",
    ]
    f = write_csv(tmp_path / "2024届就业满意度调查.csv", lines, "utf-8")
    ds = cm.load(f)
    s = ds["survey"]
    assert "weight" in s.columns and set(s["item"]) == {"1、总体满意度", "2、工作内容"}
    w = s.groupby("respondent_id")["weight"].first()
    assert w.tolist()[:2] == [2.5, 0.5] and np.isnan(w.iloc[2])  # the impossible weight is cleared...
    v = ds.validation
    assert ((v["column"] == "权重") & (v["row"] == 4)).any()  # ...and reported with its Excel row
    r = cm.compute(ds, "employment_satisfaction", by=(), options=cm.Options(survey_weights="column"))
    # the overall question (1、总体满意度) only: respondent 1 top box with weight 2.5, respondent 2 not
    # (weight 0.5) -> 2.5 / (2.5 + 0.5); respondent 3 has no weight left and is left out, with a message
    assert r["estimate"].item() == pytest.approx(2.5 / 3.0)
    assert r["n"].item() == 2
    assert "1 respondent(s) without a weight" in r["note"].iloc[0]


# --- delimiter sniffing, totals rows, dates and codes (issue 15 mechanisms, unit level) --------------------

@settings(max_examples=60, deadline=None)
@given(delim=st.sampled_from([",", "\t", ";", "|"]),
       noise=st.text(alphabet=",;|\t", min_size=5, max_size=40),
       where=st.integers(min_value=0, max_value=3), n=st.integers(min_value=2, max_value=6))
def test_sniffed_delimiter_survives_one_noisy_free_text_cell(delim, noise, where, n):
    # the noisy cell is quoted as any CSV writer does, so the file itself is well-formed
    rows = [["学号", "届别", "专业名称", "备注"]] + [[f"{i}", "2024", "会计", "ok"] for i in range(n)]
    rows[1 + where % n][3] = noise
    buf = io.StringIO()
    csv.writer(buf, delimiter=delim, lineterminator="\n").writerows(rows)
    assert readers.sniff_delimiter(buf.getvalue()) == delim
    grid = readers.read_csv_text(buf.getvalue())
    assert grid.shape == (n + 1, 4) and grid.iloc[1 + where % n, 3] == noise


def test_unquoted_semicolons_in_one_cell_do_not_win():
    text = "学号,届别,专业名称,备注\n1,2024,会计,a;b;c;d;e;f;g;h\n2,2024,会计,\n3,2024,护理,x\n"
    assert readers.sniff_delimiter(text) == ","


@pytest.mark.parametrize(("label", "is_total"), [
    ("合计", True), ("合 计", True), ("合　计", True), ("总计：", True), ("小计(数控)", True), ("全校合计", True),
    ("Total", True), ("subtotal", True), ("共计", True), ("汇总", True),
    ("合计划", False), ("会计", False), ("统计学", False), ("2024010101", False), ("", False),
])
def test_totals_labels(label, is_total):
    raw = pd.DataFrame({"a": [label, "1"], "b": ["x", "y"]}, dtype=object)
    assert normalise.totals_by_label(raw).tolist() == [is_total, False]


def _frame(values, ids):
    return pd.DataFrame({"enterprise": ids, "year": [2024] * len(ids), "interns_received": [v[0] for v in values],
                         "funds": [v[1] for v in values], "_exclude": False})


@pytest.mark.parametrize(("rows", "ids", "expected"), [
    ([(1, 10.0), (2, 20.0), (3, 30.0)], ["a", "b", None], [False, False, True]),      # 3 = 1 + 2, 30 = 10 + 20
    ([(1, 10.0), (2, 20.0), (3, 31.0)], ["a", "b", None], [False, False, False]),     # one column differs
    ([(1, 10.0), (2, 20.0), (3, 30.0)], ["a", "b", "c"], [False, False, False]),      # adds up, but has an id
    ([(1, None), (2, None), (3, None)], ["a", "b", "c"], [False, False, False]),      # one column, key present
    ([(1, None), (2, None), (3, None)], ["a", "b", None], [False, False, True]),      # one column, key blank
    ([(1, 10.0), (3, 30.0)], ["a", None], [False, False]),                            # fewer than 3 rows
    ([(0, 0.0), (0, 0.0), (0, 0.0)], ["a", "b", None], [False, False, False]),       # all-zero sums prove nothing
])
def test_totals_by_sum(rows, ids, expected):
    assert normalise.totals_by_sum(_frame(rows, ids), "enterprises").tolist() == expected


@pytest.mark.parametrize(("cell", "year", "problem"), [
    (datetime(1905, 7, 16), 2024, "year_as_date"),   # 2024 typed into a date-formatted cell
    (datetime(1905, 6, 24), 2002, "year_as_date"),
    (datetime(2024, 6, 30), 2024, None),
    (datetime(1900, 1, 5), 1900, None),              # serial 6 is no year
    (2024, 2024, None), ("2024届", 2024, None),
])
def test_year_cells(cell, year, problem):
    assert cells._parse_year(cell) == (year, problem)


@pytest.mark.parametrize(("cell", "out"), [
    ("2024 0101 01", ("2024010101", "spaces_removed")), ("1 0", ("10", "spaces_removed")),
    ("A 01", ("A01", "spaces_removed")), ("数控 技术", ("数控技术", None)),
    ("202401010100000000", ("202401010100000000", "precision_lost")),
    ("202401010100000001", ("202401010100000001", None)),
    # an 18-digit id Excel stored as a double: the nearest double is ...032, and the report says digits are lost
    (2.0240101010000002e17, ("202401010100000032", "precision_lost")),
])
def test_code_cells(cell, out):
    assert cells._parse_code(cell) == out


def test_date_column_with_a_bare_year():
    assert cells._parse_date(2024) == (pd.Timestamp(2024, 1, 1), "year_as_date")
    assert cells._parse_date(45474) == (pd.Timestamp(2024, 7, 1), None)  # a real serial is still a date


def test_destroyed_ids_are_never_duplicates_but_real_duplicates_still_are():
    raw = pd.DataFrame({"学号": ["2.02401E+11", "2.02401E+11", "2024010101", "2024010101"],
                        "届别": ["2024"] * 4, "专业": ["会计"] * 4, "毕业去向代码": ["10"] * 4})
    frame, report = cio.standardise(raw, "graduates")
    assert len(frame) == 3
    assert report["problem"].value_counts().to_dict() == {"precision_lost": 2, "duplicate_id": 1}
    assert report.loc[report["problem"] == "duplicate_id", "row"].tolist() == [5]


def test_formula_cells_without_values_are_reported_with_either_reader(tmp_path, xlsx_engine):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "毕业生"
    ws.append(["学号", "届别", "专业", "毕业去向代码", "月收入"])
    ws.append(["1", "2024", "会计", "10", "=2000+1000"])
    ws.append(["2", "2024", "会计", "10", 3000])
    wb.save(tmp_path / "毕业生.xlsx")
    ds = cm.load(tmp_path / "毕业生.xlsx")
    f = ds.validation[ds.validation["problem"] == "formula_without_value"]
    assert f[["row", "column"]].values.tolist() == [[2, "月收入"]]
    assert ds["graduates"]["monthly_salary"].isna().tolist() == [True, False]


def test_state_platform_a7_5_layout_one_row_per_partner(tmp_path):
    # A7-5 产学合作表: one row per major, (企业名称（全称）, 合作开始日期（年月）) repeated, two-row merged header,
    # the year only in the title row; per-major figures must not be multiplied by the number of partners
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "A7-5 产学合作表"
    ws.append(["某职业技术学院 2024年 产学合作情况"])
    ws.append(["专业名称", "订单培养数", "学校为企业技术服务年收入（万元）", "合作企业1", None, "合作企业2", None])
    ws.append([None, None, None] + ["企业名称（全称）", "合作开始日期（年月）"] * 2)
    ws.append(["数控技术", 30, 12.5, "甲机床有限公司", "2019-09", "乙精工有限公司", "2021年3月"])
    ws.append(["会计", 4, 0, "丙会计师事务所", "2020-01", None, None])
    for rng in ["A2:A3", "B2:B3", "C2:C3", "D2:E2", "F2:G2", "A1:G1"]:
        ws.merge_cells(rng)
    wb.save(tmp_path / "状态数据.xlsx")
    ds = cm.load(tmp_path / "状态数据.xlsx")
    e = ds["enterprises"]
    assert e[["enterprise", "major", "year", "partnership_start"]].values.tolist() == [
        ["甲机床有限公司", "数控技术", 2024, 2019], ["乙精工有限公司", "数控技术", 2024, 2021],
        ["丙会计师事务所", "会计", 2024, 2020]]
    assert e["order_students"].sum() == 34 and e["tech_service_income"].sum() == 125_000.0  # 12.5 万元, once
    assert ds.accounting[["rows_read", "kept", "excluded"]].values.tolist() == [[2, 2, 0]]
    assert "partners_melted" in ds.validation["problem"].tolist()


def test_merged_text_is_filled_but_a_merged_number_counts_once(tmp_path, xlsx_engine):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "合作企业"
    ws.append(["专业名称", "企业名称", "年份", "订单培养人数"])
    ws.append(["数控技术", "甲公司", 2024, 30])
    ws.append([None, "乙公司", None, None])
    ws.append(["会计", "丙公司", 2024, 5])
    ws.merge_cells("A2:A3")
    ws.merge_cells("C2:C3")  # a year merged over rows is every row's year
    ws.merge_cells("D2:D3")  # one number for the major, shown over both partner rows
    wb.save(tmp_path / "合作企业.xlsx")
    e = cm.load(tmp_path / "合作企业.xlsx")["enterprises"]
    assert e["major"].tolist() == ["数控技术", "数控技术", "会计"]
    assert e["year"].tolist() == [2024, 2024, 2024]
    assert e["order_students"].isna().tolist() == [False, True, False]
    assert e["order_students"].sum() == 35  # 30 + 5, not 30 + 30 + 5
