"""Tests of coopmetrics.validation: every rule, the report's shape, and row accounting."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import coopmetrics as cm
from coopmetrics import validation
from coopmetrics.dataset import ACCOUNTING_COLUMNS, VALIDATION_COLUMNS
from coopmetrics.io import standardise


def grads(**cols) -> pd.DataFrame:
    base = {"学号": ["1", "2", "3"], "届别": ["2024"] * 3, "专业名称": ["会计"] * 3, "毕业去向代码": ["10"] * 3}
    base.update(cols)
    return pd.DataFrame(base)


def one(report: pd.DataFrame, problem: str) -> pd.Series:
    sub = report[report["problem"] == problem]
    assert len(sub) == 1, report
    return sub.iloc[0]


def test_report_has_the_documented_columns_and_bilingual_messages():
    frame, report = standardise(grads(毕业去向代码=["10", "99", "70"]), "graduates", file="g.csv")
    assert report.columns.tolist() == VALIDATION_COLUMNS
    assert report["message_zh"].str.len().gt(0).all() and report["message_en"].str.len().gt(0).all()


def test_unknown_destination_code_is_flagged_and_kept():
    frame, report = standardise(grads(毕业去向代码=["10", "99", "7O"]), "graduates", file="g.csv")
    assert frame["destination_code"].tolist() == ["10", "99", "7O"]  # nothing dropped
    rows = report[report["problem"] == "unknown_code"]
    assert rows[["row", "value", "action"]].values.tolist() == [[3, "99", "flagged"], [4, "7O", "flagged"]]
    assert "未知" in rows["message_zh"].iloc[0] and "unknown" in rows["message_en"].iloc[0]


@pytest.mark.parametrize("column", ["学号", "专业名称", "毕业去向代码"])
def test_blank_required_value_excludes_the_row(column):
    raw = grads()
    raw.loc[1, column] = "  "
    frame, report = standardise(raw, "graduates")
    assert len(frame) == 2
    r = one(report, "missing_required_value")
    assert (r["row"], r["column"], r["action"]) == (3, column, "excluded")


def test_duplicate_student_id_within_a_year_excludes_later_rows_naming_the_first():
    raw = grads(学号=["7", "8", "7"])
    raw = pd.concat([raw, pd.DataFrame({"学号": ["7"], "届别": ["2023"], "专业名称": ["会计"], "毕业去向代码": ["10"]})])
    frame, report = standardise(raw, "graduates", file="g.csv")
    # the 2023 row with the same id is another cohort: kept
    assert frame[["student_id", "grad_year"]].values.tolist() == [["7", 2024], ["8", 2024], ["7", 2023]]
    r = one(report, "duplicate_id")
    assert (r["row"], r["action"]) == (4, "excluded")
    assert "第 2 行" in r["message_zh"] and "row 2" in r["message_en"]


def test_duplicate_key_in_enterprise_ledger_is_only_flagged():
    raw = pd.DataFrame({"企业名称": ["甲", "甲"], "年度": [2024, 2024], "合作专业": ["会计", "会计"]})
    frame, report = standardise(raw, "enterprises")
    assert len(frame) == 2
    assert one(report, "duplicate_key")["action"] == "flagged"


def test_likert_outside_1_to_5_clears_score_and_keeps_the_answer():
    raw = pd.DataFrame({"答卷编号": ["a", "b", "c", "d"], "年份": [2024] * 4, "问卷类型": ["就业"] * 4,
                        "题目": ["总体"] * 4, "回答": ["满意", "0", "5", "还行吧"]})
    frame, report = standardise(raw, "survey")
    assert frame["response"].tolist() == ["满意", "0", "5", "还行吧"]
    assert frame["score"].astype(object).where(frame["score"].notna(), None).tolist() == [4, None, 5, None]
    bad = report[report["problem"] == "bad_likert"]
    assert bad[["row", "value", "action"]].values.tolist() == [[3, "0", "flagged"], [5, "还行吧", "flagged"]]


def test_negative_money_is_cleared_and_counted_as_fixed():
    frame, report = standardise(grads(月收入=["4000", "-3500", "5000"]), "graduates")
    assert frame["monthly_salary"].tolist()[0] == 4000.0 and np.isnan(frame["monthly_salary"].iloc[1])
    r = one(report, "negative_money")
    assert (r["row"], r["value"], r["action"]) == (3, "-3500", "fixed")


def test_out_of_range_value_is_cleared_and_flagged():
    frame, report = standardise(grads(入学成绩=["450", "1200", "-1"]), "graduates")  # schema range 0-1000
    assert frame["entry_score"].iloc[0] == 450.0 and frame["entry_score"].iloc[1:].isna().all()
    rows = report[report["problem"] == "out_of_range"]
    assert rows[["row", "value", "action"]].values.tolist() == [[3, "1200", "flagged"], [4, "-1", "flagged"]]


@pytest.mark.parametrize("bad", ["1899", "20240", "2024级", "明年", "2036"])
def test_impossible_year_excludes_the_row(bad):
    frame, report = standardise(grads(届别=["2024", bad, "2024届"]), "graduates")
    assert frame["student_id"].tolist() == ["1", "3"]
    r = one(report, "impossible_year")
    assert (r["row"], r["value"], r["action"]) == (3, bad, "excluded")


def test_impossible_optional_year_is_only_flagged():
    raw = pd.DataFrame({"企业名称": ["甲", "乙"], "年度": [2024, 2024], "合作开始年份": ["1970", "2019年"]})
    frame, report = standardise(raw, "enterprises")
    assert frame["partnership_start"].astype(object).where(frame["partnership_start"].notna(), None).tolist() \
        == [None, 2019]
    assert one(report, "out_of_range")["action"] == "flagged"


def test_unparseable_number_and_not_integer():
    raw = pd.DataFrame({"企业名称": ["甲", "乙"], "年度": [2024, 2024], "实习岗位数": ["十个", "3.5"]})
    frame, report = standardise(raw, "enterprises")
    assert frame["internship_positions"].isna().all()
    assert one(report, "unparseable_number")["row"] == 2
    assert one(report, "not_integer")["row"] == 3


def test_unknown_programme_label_is_kept_as_other_and_flagged():
    # 培养模式 has a catch-all: a class type the list does not know is a partnership graduate all the same
    frame, report = standardise(grads(培养模式=["订单班", "校企双元", "企业新型学徒制"]), "graduates")
    assert frame["program"].astype(object).tolist() == ["order_class", "other", "new_apprenticeship"]
    r = one(report, "unknown_category_kept")
    assert (r["row"], r["value"], r["action"]) == (3, "校企双元", "flagged")
    assert "other" in r["message_en"] and "不在可选值中" in r["message_zh"]


def test_unknown_category_without_a_catch_all_is_cleared_and_flagged():
    raw = pd.DataFrame({"工号": ["t1", "t2"], "年份": [2024, 2024], "教师类别": ["专任教师", "外星教师"]})
    frame, report = standardise(raw, "teachers")
    assert frame["category"].astype(object).tolist() == ["full_time"]  # cleared, and 教师类别 is required:
    assert one(report, "missing_required_value")["row"] == 3          # the row is excluded, with its reason
    r = one(report, "unknown_category")
    assert (r["row"], r["value"], r["action"]) == (3, "外星教师", "flagged")


def test_unparseable_date_is_flagged():
    raw = pd.DataFrame({"学号": ["1"], "实习年份": [2024], "实习单位": ["甲"], "实习开始日期": ["下学期"]})
    frame, report = standardise(raw, "internships")
    assert frame["start_date"].isna().all()
    assert one(report, "unparseable_date")["action"] == "flagged"


def test_pii_is_reported_once_per_column_not_per_row():
    raw = grads(姓名=["甲", "乙", "丙"], 身份证号=["110101199003071234"] * 3)
    _, report = standardise(raw, "graduates")
    pii = report[report["problem"] == "pii_dropped"]
    assert pii["column"].tolist() == ["姓名", "身份证号"]
    assert pii["row"].isna().all() and (pii["value"] == "").all()


def test_accounting_adds_up_and_counts_fixed_rows():
    raw = grads(月收入=["-1", "-2", "3000"], 学号=["1", "", "3"])
    inputs = pd.DataFrame({"_file": "g.csv", "_sheet": "", "_row": [2, 3, 4]})
    frame, report = standardise(raw, "graduates", file="g.csv")
    kept = inputs[inputs["_row"].isin([2, 4])]
    acc = validation.account(inputs, kept, report, "graduates")
    assert acc.columns.tolist() == ACCOUNTING_COLUMNS
    # rows 2 (fixed: -1 cleared) and 4 kept; row 3 excluded (its negative money is not a kept fix)
    assert acc[["rows_read", "kept", "fixed", "excluded"]].values.tolist() == [[3, 2, 1, 1]]


def test_summary_counts_problems():
    _, report = standardise(grads(毕业去向代码=["99", "98", "10"]), "graduates")
    s = validation.summary(report)
    assert s.to_dict("records") == [{"table": "graduates", "problem": "unknown_code", "action": "flagged", "rows": 2}]


# --- invariant: every input row is kept or excluded, and every exclusion is reported ---------

_cell = st.one_of(st.none(), st.sampled_from(["", " ", "1", "2", "x", "2024", "2024届", "1899", "10", "99", "-5",
                                             "是", "订单班", "1.0E+1"]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(_cell, _cell, _cell, _cell, _cell), min_size=1, max_size=30))
def test_accounting_invariant_holds_for_messy_input(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("inv") / "毕业生.csv"
    with path.open("w", newline="", encoding="gbk") as fh:
        w = csv.writer(fh)
        w.writerow(["学号", "届别", "专业名称", "毕业去向代码", "月收入"])
        w.writerows([["" if v is None else v for v in r] for r in rows])
    ds = cm.load(path)
    acc, report = ds.accounting, ds.validation
    non_blank = sum(any(v is not None and v.strip() for v in r) for r in rows)
    assert acc["rows_read"].sum() == non_blank
    assert (acc["rows_read"] == acc["kept"] + acc["excluded"]).all()
    assert acc["kept"].sum() == (len(ds["graduates"]) if "graduates" in ds else 0)
    excluded_rows = report.loc[report["action"] == "excluded", "row"]
    assert excluded_rows.nunique() == acc["excluded"].sum()
    assert excluded_rows.is_unique  # a row is excluded by exactly one rule


def test_duplicate_key_with_blank_parts_is_reported():
    raw = pd.DataFrame({"企业名称": ["甲", "甲", "乙"], "年度": [2024, 2024, 2024], "合作专业": [None, None, "会计"]})
    frame, report = standardise(raw, "enterprises")
    assert len(frame) == 3
    r = one(report, "duplicate_key")
    assert (r["row"], r["value"], r["column"]) == (3, "甲 / 2024 / ", "企业名称 / 年度 / 合作专业")


def test_every_reason_code_is_documented_in_loading_md_and_the_module_table():
    from pathlib import Path

    import coopmetrics.validation as v

    doc = (Path(__file__).parents[1] / "docs" / "loading.md").read_text(encoding="utf-8")
    missing = [k for k in v.PROBLEMS if f"`{k}`" not in doc]
    assert missing == []
    table = v.__doc__.split("=========================  ==========", 1)[1]
    assert [k for k in v.PROBLEMS if f"\n{k} " not in table] == []


def test_every_problem_code_has_words_for_the_report():
    """One entry of short words per problem code: the report never falls back to "other problem"."""
    from coopmetrics.report.labels import OTHER_PROBLEM, problem_words
    from coopmetrics.validation import PROBLEM_WORDS, PROBLEMS

    assert set(PROBLEM_WORDS) == set(PROBLEMS)
    for code in PROBLEMS:
        zh, en = problem_words(code, "zh"), problem_words(code, "en")
        assert (zh, en) != OTHER_PROBLEM and zh and en
        assert not any("a" <= ch.lower() <= "z" for ch in zh.replace("Excel", "")), (code, zh)
