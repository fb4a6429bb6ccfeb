"""A corpus of messy and hostile exports, generated at test time (never by coopmetrics' own writer).

Each :class:`Case` is one export as staff or a web system produce it, written with
the ``csv`` module, openpyxl or by hand, into a temporary folder. It names the
failure class of issue 15 it exercises (1-9), and what loading must give: rows
kept per table, problem counts, and the rows read per table (read = kept +
excluded is asserted on every accounting row by the tests).

Personal-data tokens (:data:`PII_TOKENS`) are planted in every case: in 姓名 and
联系电话 columns, and where the class puts them (a phone in a salary cell, an ID
number in a year cell, a name in the destination-code column, a hidden 通讯录
sheet). The tests assert that none of them reaches any output.

The two legacy ``.xls`` files are checked in (``data/``, made once by
``make_xls.py`` with xlwt, which is not a dependency).

Examples
--------
>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as d:
...     cases = build(pathlib.Path(d))
>>> sorted({c.cls for c in cases}) == list(range(1, 10))
True
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

PHONE = "13912345678"
IDCARD = "11010519491231002X"
EMAIL = "wang.parent@example.com"
NAME = "欧阳娜娜"
ADDRESS = "幸福路88号3单元"
#: Every token must be absent from every output.
PII_TOKENS = (PHONE, IDCARD, EMAIL, NAME, ADDRESS, "1391234", "110105194912")

GRAD = ["学号", "姓名", "届别", "专业名称", "毕业去向代码", "月收入（元）", "联系电话", "备注"]
DATA = Path(__file__).parent / "data"


@dataclass
class Case:
    """One messy export and what loading it must give."""

    id: str
    cls: int
    path: Path
    kept: dict[str, int]
    read: dict[str, int]
    problems: dict[str, int] = field(default_factory=dict)
    check: str = ""  # extra assertion the test runs (a key of CHECKS in the test module)


def grad_row(i: int, **over: object) -> list[object]:
    """One clean graduate (student 2024010100 + i) with the PII columns filled."""
    base = {"学号": f"20240101{i:02d}", "姓名": NAME if i == 1 else f"学生{i}", "届别": "2024",
            "专业名称": "数控技术" if i % 2 else "会计", "毕业去向代码": "10", "月收入（元）": 3000 + 100 * i,
            "联系电话": PHONE if i == 1 else f"1380000{i:04d}", "备注": ""}
    base.update(over)
    return [base[h] for h in GRAD]


def write_csv(path: Path, rows: list[list[object]], *, delimiter: str = ",", encoding: str = "utf-8-sig",
              raw: bool = False) -> Path:
    """CSV as Excel or a web system writes it; ``raw`` joins cells without any quoting."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if raw:
        text = "\n".join(delimiter.join("" if v is None else str(v) for v in r) for r in rows) + "\n"
        path.write_bytes(text.encode(encoding))
        return path
    with path.open("w", newline="", encoding=encoding) as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


def write_xlsx(path: Path, sheets: list[dict]) -> Path:
    """Workbook with openpyxl; each sheet: ``name``, ``rows``, optional ``state``, ``merges``, ``formats``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for spec in sheets:
        ws = wb.create_sheet(spec["name"])
        for r in spec["rows"]:
            ws.append(r)
        for rng in spec.get("merges", []):
            ws.merge_cells(rng)
        for cell, fmt in spec.get("formats", {}).items():
            ws[cell].number_format = fmt
        ws.sheet_state = spec.get("state", "visible")
    wb.save(path)
    return path


def _grads(n: int) -> list[list[object]]:
    return [GRAD] + [grad_row(i) for i in range(1, n + 1)]


# --- class 1: personal data echoed through the validation report -------------------------------------

def c1(root: Path) -> list[Case]:
    a = write_csv(root / "1a" / "毕业生.csv", [GRAD, grad_row(1), grad_row(2, 备注=f"家长邮箱 {EMAIL}"),
                                               grad_row(3, **{"月收入（元）": PHONE}), grad_row(4, 届别=IDCARD)])
    b = write_xlsx(root / "1b" / "毕业生.xlsx", [{"name": "毕业生", "rows": [
        GRAD, grad_row(1), grad_row(2, 毕业去向代码=NAME), grad_row(3, **{"月收入（元）": IDCARD}), grad_row(4)]}])
    c = write_xlsx(root / "1c" / "2024届毕业生.xlsx", [
        {"name": "毕业生", "rows": _grads(3)},
        {"name": "通讯录", "rows": [[NAME, PHONE, ADDRESS], ["李四", "13800001111", "某路1号"]], "state": "hidden"},
        {"name": "家长信息", "rows": [["姓名", "电话", "住址"], [NAME, PHONE, ADDRESS]]},
    ])
    d = write_csv(root / "1d" / "教师.csv", [
        ["工号", "姓名", "年份", "教师类别", "是否双师", "近五年企业实践天数"],
        ["T01", NAME, "2024", "专任教师", "是", IDCARD], ["T02", "李老师", "2024", "专任教师", "否", PHONE],
        ["T03", "王老师", "2024", "专任教师", "是", "60"]])
    return [Case("1a_phone_in_salary_id_in_year", 1, a, {"graduates": 3}, {"graduates": 4},
                 {"out_of_range": 1, "impossible_year": 1, "pii_cleared": 1}),
            Case("1b_name_in_code_id_in_salary", 1, b, {"graduates": 3}, {"graduates": 4},
                 {"pii_cleared": 1, "unparseable_number": 1, "missing_required_value": 1}),
            Case("1c_hidden_contacts_and_unrecognised_sheet", 1, c, {"graduates": 3}, {"graduates": 3},
                 {"hidden_sheet": 1, "unrecognised_sheet": 1}, check="unrecognised_headers_only"),
            Case("1d_id_and_phone_in_teacher_numbers", 1, d, {"teachers": 3}, {"teachers": 3},
                 {"unparseable_number": 1, "out_of_range": 1})]


# --- class 2: totals rows -------------------------------------------------------------------------------

def c2(root: Path) -> list[Case]:
    rows = _grads(4)
    rows.insert(3, ["小 计", None, None, None, None, 3300 + 3400, None, None])  # after students 1-2
    rows.append(["合计", None, None, None, None, sum(3000 + 100 * i for i in range(1, 5)), None, None])
    a = write_csv(root / "2a" / "毕业生.csv", rows)
    total = sum(3000 + 100 * i for i in range(1, 4))
    b = write_xlsx(root / "2b" / "毕业生.xlsx", [{"name": "毕业生", "rows": [
        ["某学院2024届毕业生名单"], GRAD, *[grad_row(i) for i in range(1, 4)],
        ["合 计", None, None, None, None, total, None, None]], "merges": ["A1:H1", "A6:E6"]}])
    ent = ["企业名称", "年份", "联系人", "联系电话", "接收实习学生数", "资金投入（万元）"]
    c = write_csv(root / "2c" / "合作企业.csv", [
        ent, ["甲公司", "2024", NAME, PHONE, "10", "1.5"], ["乙公司", "2024", "李四", "13800002222", "6", "0.5"],
        ["丙公司", "2024", "王五", "13800003333", "4", "2"], ["", "", "", "", "20", "4"]])
    d = write_csv(root / "2d" / "教师.csv", [
        ["工号", "姓名", "年份", "教师类别", "企业工作年限"], ["T01", NAME, "2024", "专任教师", "3"],
        ["T02", "李老师", "2024", "专任教师", "2"], ["总计：3人", None, None, None, "5"]])
    return [Case("2a_totals_and_subtotal_labels_csv", 2, a, {"graduates": 4}, {"graduates": 6}, {"totals_row": 2}),
            Case("2b_merged_spaced_label_xlsx", 2, b, {"graduates": 3}, {"graduates": 4}, {"totals_row": 1}),
            Case("2c_unlabelled_sum_row_enterprises", 2, c, {"enterprises": 3}, {"enterprises": 4},
                 {"totals_row": 1, "missing_required_value": 0}),
            Case("2d_label_with_text_teachers", 2, d, {"teachers": 2}, {"teachers": 3}, {"totals_row": 1})]


# --- class 3: helper sheets -------------------------------------------------------------------------------

def c3(root: Path) -> list[Case]:
    a = write_xlsx(root / "3a" / "毕业生去向.xlsx", [
        {"name": "Sheet1", "rows": _grads(3)},
        {"name": "Sheet2", "rows": [["毕业去向代码", "毕业去向"], ["10", "签就业协议形式就业"]], "state": "hidden"},
        {"name": "lists", "rows": [["专业名称"], ["数控技术"], ["会计"]], "state": "veryHidden"},
    ])
    b = write_xlsx(root / "3b" / "2024届毕业生.xlsx", [
        {"name": "填表说明", "rows": [["学号", "请填写10位学号"], ["届别", "如2024"]]},
        {"name": "毕业生", "rows": _grads(2)},
        {"name": "代码表", "rows": [["毕业去向代码", "说明"], ["10", "协议就业"]]},
        {"name": "数据字典", "rows": [["字段", "含义"], ["学号", "学生编号"]]},
    ])
    return [Case("3a_hidden_and_very_hidden_lookups", 3, a, {"graduates": 3}, {"graduates": 3},
                 {"hidden_sheet": 2}),
            Case("3b_instructions_code_list_dictionary", 3, b, {"graduates": 2}, {"graduates": 2},
                 {"helper_sheet": 3})]


# --- class 4: identifiers Excel destroyed -------------------------------------------------------------

def c4(root: Path) -> list[Case]:
    a = write_csv(root / "4a" / "毕业生.csv", [GRAD, grad_row(1, 学号="2.02401E+11"), grad_row(2, 学号="2.02401E+11"),
                                               grad_row(3, 学号="2.02401E+11"), grad_row(4)])
    b = write_xlsx(root / "4b" / "毕业生.xlsx", [{"name": "毕业生", "rows": [
        GRAD, grad_row(1, 学号=float(202401010100000001)), grad_row(2, 学号=float(202401010100000002)), grad_row(3)]}])
    c = write_csv(root / "4c" / "毕业生.csv", [GRAD, grad_row(1, 学号="202401010100000000"),
                                               grad_row(2, 学号="202401010100000000"), grad_row(3)])
    return [Case("4a_scientific_notation_ids", 4, a, {"graduates": 4}, {"graduates": 4},
                 {"precision_lost": 3, "duplicate_id": 0}),
            Case("4b_18_digit_numbers_in_xlsx", 4, b, {"graduates": 3}, {"graduates": 3},
                 {"precision_lost": 2, "duplicate_id": 0}),
            Case("4c_15_digits_then_zeros", 4, c, {"graduates": 3}, {"graduates": 3},
                 {"precision_lost": 2, "duplicate_id": 0})]


# --- class 5: more problems than an Excel sheet holds (the split itself is tested with small limits) ----

def c5(root: Path) -> list[Case]:
    rows = [GRAD] + [grad_row(i % 90 + 1, 学号=f"2024{i:06d}", 毕业去向代码="99") for i in range(1, 401)]
    a = write_csv(root / "5a" / "毕业生.csv", rows)
    b = write_csv(root / "5b" / "毕业生.csv", [GRAD] + [grad_row(1, 学号=f"2024{i:06d}", **{"月收入（元）": "-5"})
                                                         for i in range(1, 301)])
    return [Case("5a_400_unknown_codes", 5, a, {"graduates": 400}, {"graduates": 400}, {"unknown_code": 400},
                 check="split"),
            Case("5b_300_negative_salaries", 5, b, {"graduates": 300}, {"graduates": 300}, {"negative_money": 300},
                 check="split")]


# --- class 6: delimiter sniffing --------------------------------------------------------------------------

def c6(root: Path) -> list[Case]:
    rows = _grads(3)
    rows[1][-1] = "a;b;c;d;e;f;g;h;i;j;k;l"
    a = write_csv(root / "6a" / "毕业生.csv", rows, raw=True)
    rows = _grads(3)
    rows[2][-1] = "x|y|z|w;;;;;;;;"
    b = write_csv(root / "6b" / "毕业生.csv", rows, delimiter="\t", raw=True)
    rows = _grads(3)
    rows[1][5] = "3,500"
    rows[3][-1] = "有逗号, 还有, 很多, 逗号"
    c = write_csv(root / "6c" / "毕业生.csv", rows, delimiter=";")
    return [Case("6a_comma_file_with_semicolon_cell", 6, a, {"graduates": 3}, {"graduates": 3}, check="majors"),
            Case("6b_tab_file_with_pipes_and_semicolons", 6, b, {"graduates": 3}, {"graduates": 3}, check="majors"),
            Case("6c_semicolon_file_with_commas", 6, c, {"graduates": 3}, {"graduates": 3}, check="majors")]


# --- class 7: outputs (formula injection through echoed values) ----------------------------------------

def c7(root: Path) -> list[Case]:
    a = write_csv(root / "7a" / "毕业生.csv", [GRAD, grad_row(1, **{"月收入（元）": '=HYPERLINK("http://x","点我")'}),
                                               grad_row(2, **{"月收入（元）": "@SUM(A1:A9)"}), grad_row(3)])
    b = write_csv(root / "7b" / "教师.csv", [["工号", "年份", "教师类别", "企业工作年限"],
                                             ["T1", "2024", "专任教师", "+cmd|' /C calc'!A0"],
                                             ["T2", "2024", "专任教师", "-2+3"]])
    return [Case("7a_formula_text_in_salary", 7, a, {"graduates": 3}, {"graduates": 3}, {"unparseable_number": 2},
                 check="escaped"),
            Case("7b_formula_text_in_teacher_years", 7, b, {"teachers": 2}, {"teachers": 2},
                 {"unparseable_number": 2}, check="escaped")]


# --- class 8: dates and codes --------------------------------------------------------------------------

def c8(root: Path) -> list[Case]:
    a = write_xlsx(root / "8a" / "毕业生.xlsx", [{"name": "毕业生", "rows": [
        GRAD, grad_row(1, 届别=2024), grad_row(2, 届别=2024), grad_row(3, 届别=dt.datetime(1905, 7, 16))],
        "formats": {"C2": "yyyy/m/d", "C3": "yyyy-mm-dd"}}])
    b = write_xlsx(root / "8b" / "岗位实习.xlsx", [{"name": "岗位实习", "rows": [
        ["学号", "姓名", "年份", "实习单位", "实习开始日期"], ["2024010101", NAME, 2024, "甲公司", 2024],
        ["2024010102", "李四", 2024, "乙公司", dt.datetime(2024, 3, 1)]]}])
    c = write_csv(root / "8c" / "毕业生.csv", [GRAD, grad_row(1, 学号="2024 0101 01", 毕业去向代码="1 0"),
                                               grad_row(2, 学号="2024 0101 02"), grad_row(3)])
    d = write_csv(root / "8d" / "毕业生.csv", [GRAD])
    e = write_xlsx(root / "8e" / "数据.xlsx", [{"name": "毕业生", "rows": [GRAD]},
                                              {"name": "教师", "rows": [["工号", "年份", "教师类别"],
                                                                       ["T1", "2024", "专任教师"]]}])
    f = write_xlsx(root / "8f" / "毕业生.xlsx", [{"name": "毕业生", "rows": [
        GRAD, grad_row(1, **{"月收入（元）": "=3000+500"}), grad_row(2, **{"月收入（元）": "=F2*2"}), grad_row(3)]}])
    return [Case("8a_year_stored_as_date_serial", 8, a, {"graduates": 3}, {"graduates": 3}, {"year_as_date": 3},
                 check="years_2024"),
            Case("8b_bare_year_in_date_column", 8, b, {"internships": 2}, {"internships": 2}, {"year_as_date": 1}),
            Case("8c_spaces_inside_ids_and_codes", 8, c, {"graduates": 3}, {"graduates": 3}, {"spaces_removed": 3}),
            Case("8d_header_only_csv", 8, d, {"graduates": 0}, {"graduates": 0}, {"no_data_rows": 1}),
            Case("8e_header_only_sheet_beside_data", 8, e, {"graduates": 0, "teachers": 1},
                 {"graduates": 0, "teachers": 1}, {"no_data_rows": 1}),
            Case("8f_formulas_without_cached_values", 8, f, {"graduates": 3}, {"graduates": 3},
                 {"formula_without_value": 2})]


# --- class 9: common exports that used to be refused ---------------------------------------------------

def c9(root: Path) -> list[Case]:
    a = root / "9a" / "毕业生_旧版.xls"
    a.parent.mkdir(parents=True)
    shutil.copy(DATA / a.name, a)
    b = root / "9b" / "合作企业_A7-4.xls"
    b.parent.mkdir(parents=True)
    shutil.copy(DATA / b.name, b)
    folder = root / "9c"
    write_csv(folder / "毕业生.csv", _grads(3))
    write_csv(folder / "readme.csv", [["hello", "world"], [NAME, PHONE]])
    write_csv(folder / "教师通讯录.csv", [["姓名", "手机", "家庭住址"], [NAME, PHONE, ADDRESS]])  # named after a table
    (folder / "导出说明.xlsx").write_bytes(b"this is not a workbook " + PHONE.encode())
    folder2 = root / "9d"
    write_csv(folder2 / "教师.csv", [["工号", "年份", "教师类别"], ["T1", "2024", "专任教师"]])
    (folder2 / "截图.parquet").write_bytes(b"PAR1 broken")
    return [Case("9a_legacy_xls_roster", 9, a, {"graduates": 2}, {"graduates": 4},
                 {"totals_row": 1, "pii_cleared": 1, "missing_required_value": 1}),
            Case("9b_legacy_xls_state_platform_merged", 9, b, {"enterprises": 3}, {"enterprises": 3},
                 {"helper_sheet": 1}, check="a7_4"),
            Case("9c_folder_with_stray_files", 9, folder, {"graduates": 3}, {"graduates": 3},
                 {"unrecognised_file": 2, "unreadable_file": 1}),
            Case("9d_folder_with_broken_parquet", 9, folder2, {"teachers": 1}, {"teachers": 1},
                 {"unreadable_file": 1})]


def build(root: Path) -> list[Case]:
    """Write every case under ``root`` and return them."""
    return [case for make in (c1, c2, c3, c4, c5, c6, c7, c8, c9) for case in make(root)]
