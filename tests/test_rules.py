"""The seeds' quantitative rules: the shipped file, editing it, and 达标 at the boundary."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import coopmetrics as cm
from coopmetrics.errors import InputError
from coopmetrics.registry import get_indicator
from coopmetrics.rules import RESULT_COLUMNS, check_rules, default_rules_path, read_rules


def _teachers(n: int, k: int, major: str = "数控技术") -> pd.DataFrame:
    """``n`` full-time professional teachers of which ``k`` spent >= 60 days in firms this year."""
    return pd.DataFrame({
        "teacher_id": [f"{major}{i}" for i in range(n)], "year": 2024, "major": major, "category": "full_time",
        "is_professional": pd.array([True] * n, dtype="boolean"),
        "practice_days_year": [60.0] * k + [59.0] * (n - k),
    })


def _ledger(counts: dict[str, int]) -> pd.DataFrame:
    rows = [(f"{m}企业{i}", 2024, m) for m, c in counts.items() for i in range(c)]
    return pd.DataFrame(rows, columns=["enterprise", "year", "major"])


# --- the shipped file ---------------------------------------------------------------------------------


def test_shipped_rules_name_registered_indicators_and_the_seed_numbers():
    r = read_rules().set_index("rule_id")
    for ind in r["indicator"]:
        get_indicator(ind)
    # the seeds' numbers, written out: 10 %, 3 practitioners, 1 course, 1 textbook, 2 substantive bases,
    # 3 bases, 200 partners, 10 demonstration bases, 100 % of under-40 teachers, 40 %, 3 partner firms
    want = {"R001-1": 0.10, "R001-2": 3, "R001-3": 1, "R001-4": 1, "R001-5": 2, "R001-6": 3, "R001-7": 200,
            "R001-8": 10, "R004-1": 1.0, "R004-2": 0.40, "R002-1": 3}
    assert r["threshold"].to_dict() == want
    assert set(r["op"]) == {">="}
    assert r.loc["R002-1", "level"] == "major" and r.loc["R001-7", "level"] == "school"
    text = default_rules_path().read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("规则编号,规则,指标,层级,比较,阈值")


# --- boundaries -------------------------------------------------------------------------------------


@pytest.mark.parametrize("n, k, result", [(10, 1, "达标"), (20, 2, "达标"), (30, 3, "达标"), (70, 7, "达标"),
                                          (20, 1, "未达标"), (31, 3, "未达标"), (9, 1, "达标")])
def test_ten_percent_rule_at_the_boundary(n, k, result):
    res = check_rules(cm.Dataset(teachers=_teachers(n, k)), 2024, ["R001-1"])
    row = res.iloc[0]
    assert row["result"] == result
    assert (row["numerator"], row["denominator"]) == (k, n)
    assert row["value"] == pytest.approx(k / n, rel=1e-12)
    assert row["gap"] == pytest.approx(k / n - 0.10, abs=1e-12)
    assert bool(row["met"]) is (result == "达标")
    assert row["ci_low"] <= row["value"] <= row["ci_high"]  # a rate carries its interval


def test_exactly_three_partner_firms_per_major_is_met():
    ds = cm.Dataset(enterprises=_ledger({"数控技术": 3, "会计": 2, "软件技术": 4}),
                    teachers=_teachers(5, 1, "物流管理"))  # a major with teachers but no partner firm
    res = check_rules(ds, 2024, ["R002-1"]).set_index("group")
    assert res["value"].to_dict() == {"会计": 2.0, "数控技术": 3.0, "物流管理": 0.0, "软件技术": 4.0}
    assert res["result"].to_dict() == {"会计": "未达标", "数控技术": "达标", "物流管理": "未达标", "软件技术": "达标"}
    assert res["gap"].to_dict() == {"会计": -1.0, "数控技术": 0.0, "物流管理": -3.0, "软件技术": 1.0}
    assert res.loc["物流管理", "status"] == "no_rows"  # counted as 0, and said so
    assert (res["level"] == "专业").all()


def test_forty_percent_share_at_the_boundary():
    e = pd.DataFrame({"year": [2024, 2024], "major": ["数控", "会计"], "students": [250, 300],
                      "advanced_students": pd.array([100, 100], dtype="Int64")})  # 200 / 550 overall
    res = check_rules(cm.Dataset(enrollment=e), 2024, ["R004-2"])
    assert res["value"].item() == pytest.approx(200 / 550) and res["result"].item() == "未达标"
    e.loc[1, "advanced_students"] = 120  # 220 / 550 = 0.4 exactly
    res = check_rules(cm.Dataset(enrollment=e), 2024, ["R004-2"])
    assert res["result"].item() == "达标" and res["gap"].item() == pytest.approx(0.0, abs=1e-12)


def test_rules_without_their_table_say_not_provided():
    res = check_rules(cm.Dataset(teachers=_teachers(10, 1)), 2024)
    assert list(res.columns) == RESULT_COLUMNS
    bases = res[res["indicator"].isin(["base_count", "substantive_base_count", "demonstration_base_count"])]
    assert len(bases) > 0 and (bases["result"] == "未提供数据").all()
    assert bases["met"].isna().all() and (bases["status"] == "missing_input").all()
    assert res.loc[res["rule_id"] == "R001-1", "result"].item() == "达标"
    # rules keep the file's order
    assert list(dict.fromkeys(res["rule_id"])) == list(read_rules()["rule_id"])


def test_share_over_an_empty_group_is_not_provided_not_zero():
    t = pd.concat([_teachers(10, 1, "数控技术"),
                   _teachers(3, 0, "会计").assign(category="enterprise_part_time")], ignore_index=True)
    rules = pd.DataFrame({"规则编号": ["X"], "规则": ["10 % per major"], "指标": ["teacher_practice_2m_share"],
                          "层级": ["专业"], "比较": [">="], "阈值": ["10%"]})
    res = check_rules(cm.Dataset(teachers=t), 2024, rules).set_index("group")
    assert res.loc["数控技术", "result"] == "达标"
    assert res.loc["会计", "result"] == "未提供数据" and np.isnan(res.loc["会计", "value"])


# --- editing the file ------------------------------------------------------------------------------


def test_school_edits_the_file_as_gbk_csv_and_xlsx(tmp_path):
    r = pd.read_csv(default_rules_path(), dtype=str, keep_default_na=False)
    r.loc[r["规则编号"] == "R002-1", "阈值"] = "5"
    r.loc[r["规则编号"] == "R002-1", "层级"] = "院系"
    csv = tmp_path / "我校规则.csv"
    r.to_csv(csv, index=False, encoding="gbk")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(r.columns))
    for row in r.itertuples(index=False):
        ws.append(list(row))
    xlsx = tmp_path / "我校规则.xlsx"
    wb.save(xlsx)
    ledger = _ledger({"数控技术": 3, "机电": 3, "会计": 2}).assign(
        department=lambda d: np.where(d["major"] == "会计", "经管学院", "智造学院"))
    for path in (csv, xlsx):
        assert read_rules(path).set_index("rule_id").loc["R002-1", "threshold"] == 5.0
        res = check_rules(cm.Dataset(enterprises=ledger), 2024, path)
        res = res[res["rule_id"] == "R002-1"].set_index("group")
        assert res["value"].to_dict() == {"智造学院": 6.0, "经管学院": 2.0}
        assert res["result"].to_dict() == {"智造学院": "达标", "经管学院": "未达标"}
        assert (res["level"] == "院系").all()


def test_at_most_rule_compares_the_other_way():
    rules = pd.DataFrame({"规则编号": ["L"], "指标": ["partner_count"], "层级": ["全校"], "比较": ["≤"], "阈值": ["5"]})
    for n, want in ((5, "达标"), (6, "未达标")):
        res = check_rules(cm.Dataset(enterprises=_ledger({"数控": n})), 2024, rules)
        assert res["result"].item() == want and res["op"].item() == "<="
        assert res["gap"].item() == n - 5


@pytest.mark.parametrize("column, value, word", [
    ("指标", "partner_cuont", "partner_cuont"),
    ("层级", "班级", "层级"),
    ("比较", ">", "比较"),
    ("阈值", "三", "阈值"),
    ("阈值", "40", "40%"),  # a share written as 40 without %
])
def test_bad_rules_file_names_file_row_and_column(tmp_path, column, value, word):
    r = pd.read_csv(default_rules_path(), dtype=str, keep_default_na=False)
    i = int(np.flatnonzero(r["规则编号"] == "R004-2")[0])
    r.loc[i, column] = value
    path = tmp_path / "rules.csv"
    r.to_csv(path, index=False, encoding="utf-8-sig")
    with pytest.raises(InputError) as err:
        read_rules(path)
    msg = str(err.value)
    assert "rules.csv" in msg and f"{i + 2}" in msg and column in msg and word in msg
    assert any("\u4e00" <= ch <= "\u9fff" for ch in msg.split("\n")[0])  # Chinese first
    assert err.value.row == i + 2


def test_missing_column_and_unknown_rule_id_are_clear():
    with pytest.raises(InputError, match="阈值"):
        read_rules(pd.DataFrame({"规则编号": ["a"], "指标": ["partner_count"], "层级": ["全校"], "比较": [">="]}))
    with pytest.raises(InputError, match="R999"):
        check_rules(cm.Dataset(enterprises=_ledger({"a": 1})), 2024, ["R999"])


@settings(max_examples=12, deadline=None)
@given(counts=st.dictionaries(st.sampled_from(["甲", "乙", "丙", "丁"]), st.integers(1, 8), min_size=1),
       threshold=st.integers(0, 9))
def test_met_iff_value_reaches_threshold(counts, threshold):
    rules = pd.DataFrame({"规则编号": ["P"], "指标": ["partner_count"], "层级": ["专业"], "比较": [">="],
                          "阈值": [str(threshold)]})
    res = check_rules(cm.Dataset(enterprises=_ledger(counts)), 2024, rules).set_index("group")
    exp = pd.Series(counts, dtype=float).sort_index()
    pd.testing.assert_series_equal(res["value"].sort_index(), exp, check_names=False, check_index_type=False)
    assert (res["met"].astype(bool) == (exp >= threshold)).all()
    assert (res["gap"] == exp - threshold).all()


def test_by_department_applies_major_rules_per_department():
    ledger = _ledger({"数控技术": 2, "机电": 2, "会计": 2}).assign(
        department=lambda d: np.where(d["major"] == "会计", "经管学院", "智造学院"))
    res = check_rules(cm.Dataset(enterprises=ledger), 2024, ["R002-1"], by="department").set_index("group")
    assert res["value"].to_dict() == {"智造学院": 4.0, "经管学院": 2.0}
    assert res["result"].to_dict() == {"智造学院": "达标", "经管学院": "未达标"}
    with pytest.raises(cm.errors.InvalidOptionError, match="by"):
        check_rules(cm.Dataset(enterprises=ledger), 2024, ["R002-1"], by="class")


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_same_result_on_lazy_engines(engine):
    ds = cm.sample.generate()
    if engine == "polars":
        import polars as pl

        conv = lambda df: pl.from_pandas(df).lazy()  # noqa: E731
    else:
        import duckdb

        conv = duckdb.from_df
    lazy = cm.Dataset(**{t: conv(ds[t]) for t in ds.tables})
    cols = ["rule_id", "group", "value", "numerator", "denominator", "result"]
    pd.testing.assert_frame_equal(check_rules(lazy, 2024)[cols], check_rules(ds, 2024)[cols])
