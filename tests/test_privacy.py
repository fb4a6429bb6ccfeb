"""Tests of coopmetrics.privacy: no personal data survives loading, hashes are salted."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import coopmetrics as cm
from coopmetrics import privacy
from coopmetrics.errors import InvalidOptionError

NAMES = ["张三丰", "李四海", "王五洲"]
ID_CARDS = ["110101199003071234", "44030419851212002X", "320102200001010011"]
PHONES = ["13800138000", "13912345678", "15000001111"]
PARENT_PHONES = ["18611112222", "18633334444", "18655556666"]
EMAILS = ["zs@example.cn", "ls@example.cn", "ww@example.cn"]


def _roster(tmp_path, encoding="gbk"):
    lines = ["学号,姓名,身份证号,手机号码,电子邮箱,届别,专业名称,毕业去向代码,家长联系方式,证件,备注"]
    for i in range(3):
        # 证件: an unnamed ID-card column as Excel shows it (precision destroyed)
        lines.append(f"{i + 1},{NAMES[i]},{ID_CARDS[i]},{PHONES[i]},{EMAILS[i]},2024,会计,10,"
                     f"{PARENT_PHONES[i]},4.10102E+17,ok")
    f = tmp_path / "毕业生.csv"
    f.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return f


def _all_text(ds: cm.Dataset) -> str:
    parts = [ds.validation.to_csv(), ds.accounting.to_csv(), repr(ds), str(ds.sources)]
    for t in ds.tables:
        parts.append(ds[t].to_csv())
        parts.append(" ".join(map(str, ds[t].columns)))
    return "\n".join(parts)


@pytest.mark.parametrize("mode", ["drop", "hash"])
def test_no_personal_data_survives_load(tmp_path, mode):
    ds = cm.load(_roster(tmp_path), pii=mode, salt="secret")
    text = _all_text(ds)
    for value in [*NAMES, *ID_CARDS, *PHONES, *EMAILS, *PARENT_PHONES, "4.10102E+17", "410102"]:
        assert value not in text, value
    g = ds["graduates"]
    for header in ["姓名", "身份证号", "手机号码", "电子邮箱", "家长联系方式", "证件", "name", "id_card", "phone", "email"]:
        assert header not in g.columns
    assert "备注" in g.columns  # harmless extras stay
    if mode == "hash":
        assert sorted(c for c in g.columns if c.endswith("_hash")) == ["email_hash", "name_hash", "phone_hash"]
        expected = hashlib.sha256(b"secret\x1f" + NAMES[0].encode()).hexdigest()[:16]
        assert g["name_hash"].iloc[0] == expected
    else:
        assert not any(c.endswith("_hash") for c in g.columns)


def test_each_pii_column_reported_once(tmp_path):
    ds = cm.load(_roster(tmp_path))
    pii = ds.validation[ds.validation["problem"] == "pii_dropped"]
    assert sorted(pii["column"]) == sorted(["姓名", "身份证号", "手机号码", "电子邮箱", "家长联系方式", "证件"])
    assert pii["row"].isna().all()


def test_id_cards_are_dropped_even_in_hash_mode(tmp_path):
    ds = cm.load(_roster(tmp_path), pii="hash", salt="x")
    assert "id_card_hash" not in ds["graduates"].columns


def test_pii_in_xlsx_and_wide_survey(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "母校满意度"
    ws.append(["序号", "年份", "您的姓名", "联系电话", "总体满意度"])
    for i in range(3):
        ws.append([i + 1, 2024, NAMES[i], int(PHONES[i]), "满意"])
    f = tmp_path / "问卷.xlsx"
    wb.save(f)
    ds = cm.load(f)
    text = _all_text(ds)
    for value in [*NAMES, *PHONES]:
        assert value not in text
    assert ds["survey"]["survey_kind"].unique().tolist() == ["school"]


def test_pseudonymise_is_salted_and_consistent():
    a = privacy.pseudonymise(NAMES, salt="k1")
    b = privacy.pseudonymise(NAMES, salt="k2")
    assert a == privacy.pseudonymise(NAMES, salt="k1")
    assert all(x != y for x, y in zip(a, b, strict=True))
    assert a[0] == hashlib.sha256(b"k1\x1f" + NAMES[0].encode()).hexdigest()[:16]
    assert privacy.pseudonymise([None, float("nan"), ""], salt="k1") == [None, None, None]


def test_default_salt_is_random_per_process_not_a_constant():
    code = "from coopmetrics.privacy import pseudonymise; print(pseudonymise(['张三'])[0])"
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
            for _ in range(2)}
    assert len(runs) == 2
    assert privacy.pseudonymise(["张三"]) == privacy.pseudonymise(["张三"])  # stable within a process


@pytest.mark.parametrize(("values", "header", "expected"), [
    (["110101199003071234", "11010119900307123X"], "x", True),
    (["4.10102E+17", "4.20102E+17"], "x", True),
    (["13800138000", "+86 139 1234 5678"], "x", True),
    (["138-0013-8000", "139-1234-5678"], "x", True),
    (["2024010101", "2024010102"], "x", False),          # 10-digit student numbers are not phones
    (["12345678901", "12345678902"], "x", False),        # 11 digits but not a mobile prefix
    (["数控技术"], "微信号", True),
    (["数控技术"], "QQ", True),
])
def test_looks_like_pii(values, header, expected):
    assert privacy.looks_like_pii(pd.Series(values), header) is expected


def test_invalid_mode_raises():
    with pytest.raises(InvalidOptionError):
        privacy.protect(pd.DataFrame({"name": ["a"]}), "graduates", pii="mask")
    with pytest.raises(InvalidOptionError):
        cm.load(".", pii="mask")


# --- masking what is echoed, clearing what is misplaced --------------------------------------------------

@pytest.mark.parametrize(("value", "names", "masked"), [
    ("13912345678", False, True), ("+86 139 1234 5678", False, True), ("电话 139-1234-5678 转", False, True),
    ("010-62345678", False, True), ("11010519491231002X", False, True), ("110105491231002", False, True),
    ("4.10102E+17", False, True), ("wang@example.cn", False, True),
    ("2024010101", False, False), ("-1", False, False), ("3,500元", False, False),
    ("12345678901234567890", False, False),            # 20 digits: not an ID number
    ("欧阳娜娜", True, True), ("张三", True, True), ("明年", True, False), ("待定", True, False),
    ("张三", False, False), ("99", True, False),
])
def test_mask_values(value, names, masked):
    assert (privacy.mask_values([value], names=names)[0] == privacy.MASK) is masked


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["13912345678", "11010519491231002X", "a.b@example.com"]),
       st.text(alphabet="年度收入值为:， ab", max_size=6), st.text(alphabet="年度收入值为:， ab", max_size=6))
def test_pii_embedded_in_any_text_is_masked_in_values_and_messages(token, before, after):
    text = before + token + after
    assert token not in privacy.mask_values([text])[0]
    assert token not in privacy.mask_text([text])[0]


def test_header_cells_never_return_data():
    g = pd.DataFrame([["某校家长通讯录", None, None], [None, None, None], ["学生姓名", "家长电话", "家庭住址"],
                      ["欧阳娜娜", "13912345678", "幸福路88号"]], dtype=object)
    assert privacy.header_cells(g) == ["学生姓名", "家长电话", "家庭住址"]
    assert privacy.header_cells(g.iloc[3:]) == []                 # data only: nothing
    numbers = pd.DataFrame([[1, 2, 3], [4, 5, 6]], dtype=object)
    assert privacy.header_cells(numbers) == []


def test_contains_pii_is_strict_about_ids_but_not_student_numbers():
    s = pd.Series(["110105194912310021", "202401010100000000", "13912345678", "2024010101", "a@b.cn", None])
    assert privacy.contains_pii(s).tolist() == [True, False, True, False, True, False]
