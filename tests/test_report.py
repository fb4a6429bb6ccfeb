"""Tests for coopmetrics.report: the workbook and HTML agree with compute() and with plain
pandas calculations on the shipped sample; suppressed cells are marked; personal data from
the messy export never reaches an output."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

import coopmetrics as cm
from coopmetrics.compute import compute
from coopmetrics.errors import InputError, InvalidOptionError
from coopmetrics.report import SHEETS, SUPPRESSED, build_report, scrub_validation, validation_summary

YEAR = 2024
SAMPLE = cm.sample.SAMPLE_DIR
MESSY = SAMPLE / "messy" / "毕业生.csv"
ZH_SHEETS = ["说明", "计分卡", "教学资源表", "服务贡献表", "实习合规", "分院系指标", "合作企业贡献", "队列比较",
             "年度变化", "指标定义", "数据校验", "行数核对"]

# moe_2021 placed codes written out by hand from 教学厅函〔2021〕19号 附件1 (definitions-cn.md §1.2):
# 协议和合同 10, 11, 27/271, 46, 50x/51x; 灵活 12, 76, 77; 创业 75; 升学 80x, 81, 82, 85.
PLACED_EXACT = {"10", "11", "12", "27", "46", "50", "51", "75", "76", "77", "80", "81", "82", "85"}
PLACED_PREFIX = ("27", "50", "51", "80")


def _placed(code: str) -> bool:
    code = str(code).strip()
    return code in PLACED_EXACT or (len(code) == 3 and code[:2] in PLACED_PREFIX)


# --- fixtures ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample():
    return cm.sample.load_sample()


@pytest.fixture(scope="module")
def sample_out(sample, tmp_path_factory):
    """The sample report without disclosure rounding (exact numbers), written once."""
    rep = build_report(sample, YEAR, disclosure="none")
    out = tmp_path_factory.mktemp("sample_report")
    xlsx = rep.to_excel(out / "report.xlsx")
    html = rep.to_html(out / "report.html", embed_font=False)
    return rep, xlsx, html


@pytest.fixture(scope="module")
def messy_out(tmp_path_factory):
    """The report built from the messy GBK export alone (personal data, title row, bad rows)."""
    ds = cm.load(MESSY)
    rep = build_report(ds, YEAR)  # default disclosure: hesa
    out = tmp_path_factory.mktemp("messy_report")
    return rep, rep.to_excel(out / "报告.xlsx"), rep.to_html(out / "报告.html", embed_font=False)


def _tiny() -> cm.Dataset:
    """40 graduates in a big department and 6 in a small one: the small cell is suppressed under hesa."""
    big = pd.DataFrame({"student_id": [f"B{i}" for i in range(40)], "grad_year": YEAR, "department": "大学院",
                        "major": "数控技术", "destination_code": ["10"] * 30 + ["70"] * 10})
    small = pd.DataFrame({"student_id": [f"S{i}" for i in range(6)], "grad_year": YEAR, "department": "小学院",
                          "major": "会计", "destination_code": ["11"] * 5 + ["71"]})
    prev = big.assign(grad_year=YEAR - 1, student_id=[f"P{i}" for i in range(40)])
    return cm.Dataset(graduates=pd.concat([big, small, prev], ignore_index=True))


def _sheet(path: Path, name: str) -> pd.DataFrame:
    return pd.read_excel(path, sheet_name=name, engine="openpyxl")


# --- structure -------------------------------------------------------------------------------------

def test_workbook_has_one_sheet_per_table_with_chinese_names(sample_out):
    rep, xlsx, _ = sample_out
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames == ZH_SHEETS
    assert list(rep.tables) == list(SHEETS)
    ws = wb["计分卡"]
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]][:3] == ["指标编号", "指标", "年份"]
    assert ws.column_dimensions["B"].width > 10  # widths fitted, not the default


def test_english_workbook_has_english_sheets_and_headers(sample_out, tmp_path):
    rep, _, _ = sample_out
    en = dataclasses.replace(rep, lang="en").to_excel(tmp_path / "en.xlsx")
    wb = openpyxl.load_workbook(en)
    assert wb.sheetnames[:3] == ["About", "Scorecard", "Teaching resources"]
    assert [c.value for c in wb["Scorecard"][1]][:3] == ["Indicator id", "Indicator", "Year"]


def test_report_is_immutable(sample_out):
    rep, _, _ = sample_out
    with pytest.raises(dataclasses.FrozenInstanceError):
        rep.year = 2020  # type: ignore[misc]
    with pytest.raises(TypeError):
        rep.tables["scorecard"] = pd.DataFrame()  # type: ignore[index]


# --- numbers against compute() and hand calculations -----------------------------------------------

def test_scorecard_placement_equals_compute_and_hand_count(sample, sample_out):
    rep, xlsx, _ = sample_out
    card = _sheet(xlsx, "计分卡")
    row = card[(card["指标编号"] == "placement_rate") & (card["年份"] == YEAR)].iloc[0]

    lib = compute(sample, ["placement_rate"], by=["grad_year"])
    lib = lib[lib["grad_year"] == YEAR].iloc[0]
    assert row["分子"] == lib["numerator"] and row["分母"] == lib["denominator"]
    assert row["估计值"] == pytest.approx(lib["estimate"], abs=1e-12)
    assert row["95%置信区间下限"] == pytest.approx(lib["ci_low"], abs=1e-12)

    # by hand from the CSV file with plain pandas
    raw = pd.read_csv(SAMPLE / "毕业生.csv", dtype={"毕业去向代码": str})
    cohort = raw[raw["毕业年份"] == YEAR]
    placed = int(cohort["毕业去向代码"].map(_placed).sum())
    assert (row["分子"], row["分母"]) == (placed, len(cohort))
    assert row["估计值"] == pytest.approx(placed / len(cohort), abs=1e-12)
    lo, hi = proportion_confint(placed, len(cohort), alpha=0.05, method="wilson")
    assert (row["95%置信区间下限"], row["95%置信区间上限"]) == (pytest.approx(lo), pytest.approx(hi))
    # the previous year is on the scorecard too
    prev = card[(card["指标编号"] == "placement_rate") & (card["年份"] == YEAR - 1)]
    assert len(prev) == 1
    assert prev.iloc[0]["分母"] == (raw["毕业年份"] == YEAR - 1).sum()


def test_by_department_placement_matches_pandas_groupby(sample_out):
    _, xlsx, _ = sample_out
    by = _sheet(xlsx, "分院系指标")
    got = by[by["指标编号"] == "placement_rate"].set_index("院系")
    raw = pd.read_csv(SAMPLE / "毕业生.csv", dtype={"毕业去向代码": str})
    cohort = raw[raw["毕业年份"] == YEAR].assign(placed=lambda d: d["毕业去向代码"].map(_placed))
    want = cohort.groupby("院系")["placed"].agg(["sum", "size"])
    assert set(got.index) == set(want.index)
    for dept, rec in want.iterrows():
        assert got.loc[dept, "分子"] == rec["sum"] and got.loc[dept, "分母"] == rec["size"]
        assert got.loc[dept, "估计值"] == pytest.approx(rec["sum"] / rec["size"])


def test_excel_number_formats(sample_out):
    _, xlsx, _ = sample_out
    ws = openpyxl.load_workbook(xlsx)["计分卡"]
    head = {c.value: i for i, c in enumerate(ws[1])}
    rows = {(r[head["指标编号"]].value, r[head["年份"]].value): r for r in ws.iter_rows(min_row=2)}
    pr = rows[("placement_rate", YEAR)]
    assert isinstance(pr[head["估计值"]].value, float)          # a number, not "83.2%"
    assert pr[head["估计值"]].number_format == "0.0%"
    assert pr[head["95%置信区间上限"]].number_format == "0.0%"
    assert pr[head["分母"]].number_format == "#,##0"
    assert pr[head["年份"]].number_format == "0"                # 2024, not 2,024
    sal = rows[("salary_mean", YEAR)]
    assert sal[head["估计值"]].number_format == "#,##0.00"      # yuan are not percentages


def test_year_over_year_change_is_difference_of_estimates(sample, sample_out):
    _, xlsx, _ = sample_out
    yoy = _sheet(xlsx, "年度变化").set_index("指标编号")
    lib = compute(sample, ["placement_rate"], by=["grad_year"]).set_index("grad_year")["estimate"]
    assert yoy.loc["placement_rate", "变化"] == pytest.approx(lib[YEAR] - lib[YEAR - 1])
    assert yoy.loc["placement_rate", "上年估计值"] == pytest.approx(lib[YEAR - 1])
    assert yoy.loc["placement_rate", "变化95%下限"] < yoy.loc["placement_rate", "变化"] < \
        yoy.loc["placement_rate", "变化95%上限"]


def test_enterprise_sheet_sums_each_firm(sample, sample_out):
    _, xlsx, _ = sample_out
    ent = _sheet(xlsx, "合作企业贡献").set_index("企业名称")
    e = sample["enterprises"]
    want = e[e["year"] == YEAR].groupby("enterprise")[["equipment_value", "interns_received"]].sum()
    assert len(ent) == len(want)
    np.testing.assert_allclose(ent.loc[want.index, "设备值（元）"], want["equipment_value"])
    np.testing.assert_allclose(ent.loc[want.index, "接收实习学生数"], want["interns_received"])
    assert ent["设备值（元）"].is_monotonic_decreasing


def test_cohort_sheet_counts_programs(sample, sample_out):
    _, xlsx, _ = sample_out
    coh = _sheet(xlsx, "队列比较")
    g = sample["graduates"]
    g = g[g["grad_year"] == YEAR]
    raw = coh[(coh["指标编号"] == "placement_rate") & (coh["是否调整"] == "否")].set_index("培养模式")
    assert raw.loc["订单班", "队列人数"] == (g["program"] == "order_class").sum()
    assert raw.loc["订单班", "参照组人数"] == (g["program"] == "regular").sum()
    placed = g["destination_code"].map(_placed)
    order = g["program"] == "order_class"
    assert raw.loc["订单班", "队列估计值"] == pytest.approx(placed[order].mean())
    assert set(coh["是否调整"]) == {"是", "否"}  # raw gaps and entry-score-adjusted effects


def test_definitions_cover_every_indicator_used(sample_out):
    rep, xlsx, _ = sample_out
    defs = _sheet(xlsx, "指标定义")
    used = set(rep.tables["scorecard"]["indicator"]) | set(rep.tables["resources"]["indicator"])
    assert used <= set(defs["指标编号"])
    assert defs["出处"].notna().all() and (defs["出处"].str.len() > 5).all()
    assert defs.loc[defs["指标编号"] == "placement_rate", "分母"].iloc[0]


def test_key_figures_and_targets(sample_out):
    rep, _, _ = sample_out
    keys = {k["indicator"]: k for k in rep.key_figures}
    assert "placement_rate" in keys and keys["placement_rate"]["grad_year"] == YEAR
    res = rep.tables["resources"]
    dual = res[(res["indicator"] == "dual_teacher_ratio_professional") & (res["year"] == YEAR)].iloc[0]
    assert dual["target"] == 0.5
    assert bool(dual["meets_target"]) == (dual["estimate"] > 0.5)


# --- HTML ----------------------------------------------------------------------------------------------

def test_html_is_self_contained_and_readable(sample_out):
    rep, _, html_path = sample_out
    page = html_path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)  # no external assets
    assert "<script" not in page and "<link" not in page
    assert page.count("data:image/png;base64,") == len(rep.figures) >= 8
    assert f"{rep.college}{YEAR}年校企合作质量年度报告" in page
    card = rep.tables["scorecard"]
    pr = card[(card["indicator"] == "placement_rate") & (card["year"] == YEAR)].iloc[0]
    # estimate, CI and numerator/denominator of the headline rate are printed
    assert f"{pr['estimate'] * 100:.1f}%" in page
    assert f"({pr['ci_low'] * 100:.1f}%–{pr['ci_high'] * 100:.1f}%)" in page
    assert f"{pr['numerator']:,.0f}/{pr['denominator']:,.0f}" in page
    for title in ("计分卡", "教学资源表", "服务贡献表", "队列比较", "指标定义", "数据校验"):
        assert f">{title}</h2>" in page


def test_html_embeds_cjk_font_subset(tmp_path):
    html_path = build_report(_tiny(), YEAR).to_html(tmp_path / "t.html")  # embed_font=True by default
    page = html_path.read_text(encoding="utf-8")
    m = re.search(r"data:font/woff;base64,([A-Za-z0-9+/=]+)", page)
    assert m, "the CJK font subset is embedded"
    size = len(m.group(1)) * 3 / 4
    assert 20_000 < size < 1_500_000  # a subset, not the 16 MB font


# --- disclosure and personal data -------------------------------------------------------------------

def test_suppressed_cells_are_marked_never_blank(tmp_path):
    rep = build_report(_tiny(), YEAR, disclosure="hesa")
    by = rep.tables["by_group"]
    small = by[(by["indicator"] == "placement_rate") & (by["department"] == "小学院")].iloc[0]
    assert small["status"] == "suppressed"  # 6 graduates < 22.5
    xlsx = rep.to_excel(tmp_path / "t.xlsx")
    sheet = _sheet(xlsx, "分院系指标")
    cell = sheet[(sheet["指标编号"] == "placement_rate") & (sheet["院系"] == "小学院")].iloc[0]
    assert cell["估计值"] == SUPPRESSED["zh"] and cell["95%置信区间下限"] == SUPPRESSED["zh"]
    big = sheet[(sheet["指标编号"] == "placement_rate") & (sheet["院系"] == "大学院")].iloc[0]
    assert big["估计值"] == pytest.approx(30 / 40) and big["分母"] == 40  # HESA rounds 40 to 40
    page = rep.html()
    assert SUPPRESSED["zh"].replace("<", "&lt;").replace(">", "&gt;") in page
    en = dataclasses.replace(rep, lang="en").to_excel(tmp_path / "en.xlsx")
    assert "suppressed" in set(_sheet(en, "By department")["Estimate"].astype(str))


def test_missing_tables_are_reported_not_invented():
    rep = build_report(_tiny(), YEAR, disclosure="none")
    card = rep.tables["scorecard"]
    sat = card[card["indicator"] == "school_satisfaction"]
    assert set(sat["status"]) == {"missing_input"}
    assert sat["estimate"].isna().all()
    assert "enterprise" not in rep.tables
    assert any("企业" in n for n in rep.notes)


def test_no_personal_data_in_any_output(messy_out):
    rep, xlsx, html_path = messy_out
    raw = pd.read_csv(MESSY, encoding="gbk", skiprows=2, dtype=str)
    secrets = set(raw["姓名"]) | set(raw["身份证号"]) | set(raw["手机号码"])
    assert len(secrets) > 3000
    wb = openpyxl.load_workbook(xlsx)
    cells = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    text = "\n".join(cells)
    page = html_path.read_text(encoding="utf-8")
    leaked = [s for s in secrets if s in text or s in page]
    assert leaked == []
    pii_headers = {"姓名", "身份证号", "手机号码", "name", "id_card", "phone", "Name"}
    for ws in wb.worksheets:
        assert not pii_headers & {c.value for c in ws[1]}, ws.title
    for frame in rep.tables.values():
        assert not {"name", "id_card", "phone", "email", "exam_number"} & set(frame.columns)
    # the validation sheet still tells staff which columns were dropped and where the problems are
    val = _sheet(xlsx, "数据校验")
    assert {"duplicate_id", "unknown_code", "pii_dropped"} <= set(val["问题"])
    assert val.loc[val["问题"] == "unknown_code", "Excel 行号"].notna().all()


def test_scrub_validation_masks_values_of_personal_columns():
    v = pd.DataFrame({
        "table": ["graduates", "graduates"], "file": "x.csv", "sheet": "", "row": [5, 6],
        "column": ["手机号码", "月收入"], "value": ["13800138000", "-5"], "problem": ["bad", "negative_money"],
        "action": "fixed", "message_zh": ["号码 13800138000 有误", "金额 -5 为负数"],
        "message_en": ["phone 13800138000 is bad", "amount -5 is negative"],
    })
    out = scrub_validation(v)
    assert "13800138000" not in out.to_string()
    assert out.loc[1, "value"] == "-5" and out.loc[1, "message_en"] == "amount -5 is negative"
    text, k = validation_summary(cm.Dataset(validation=v))
    assert k == 2 and "13800138000" not in text and "行/row 6" in text


@settings(max_examples=30, deadline=None)
@given(st.text(alphabet="0123456789X", min_size=6, max_size=18),
       st.sampled_from(["身份证号", "手机号", "姓名", "phone", "联系电话"]))
def test_scrub_never_leaks_a_pii_value(secret, column):
    v = pd.DataFrame({"table": ["graduates"], "column": [column], "value": [secret], "problem": ["x"],
                      "message_zh": [f"值 {secret}"], "message_en": [f"value {secret}!"]})
    assert secret not in scrub_validation(v).to_string()


# --- arguments ------------------------------------------------------------------------------------------

def test_bad_arguments_raise_clear_errors():
    ds = _tiny()
    with pytest.raises(InputError, match="1999"):
        build_report(ds, 1999)
    with pytest.raises(InvalidOptionError):
        build_report(ds, YEAR, by="college")
    with pytest.raises(InvalidOptionError):
        build_report(ds, YEAR, disclosure="strict")
    with pytest.raises(InputError):
        build_report(cm.Dataset(), YEAR)


def test_default_year_is_the_latest(tmp_path):
    rep = build_report(_tiny(), disclosure="none")
    assert rep.year == YEAR


# --- 说明 sheet: definition options as readable bilingual rows -------------------------------------

_DISPLAY = ["项目", "内容", "状态", "可选项", "备注"]  # what staff read; 键/值 keep the raw option
_REPR = re.compile(r"\('|\['|\{'|\(\d+,|\bTrue\b|\bFalse\b|\bNone\b")


def _about_options(path: Path) -> pd.DataFrame:
    about = pd.read_excel(path, sheet_name="说明", engine="openpyxl", dtype=str, keep_default_na=False)
    return about[about["键（选项字段名）"] != ""].set_index("键（选项字段名）")


@pytest.fixture(scope="module")
def tiny_options_out(tmp_path_factory):
    """The tiny dataset with non-default options: provisional profile, 2004 双师 definition, 基本满意."""
    opts = cm.registry.Options(profile="moe_2024", dual_definition="2004_evaluation",
                               satisfied_levels={"school": (5, 4, 3)}, as_of="2024-08-31")
    rep = build_report(_tiny(), YEAR, options=opts, disclosure="min_n")
    out = tmp_path_factory.mktemp("tiny_options")
    return rep, rep.to_excel(out / "r.xlsx"), rep.to_html(out / "r.html", embed_font=False)


def test_about_sheet_has_every_option_once_with_raw_value(sample_out):
    _, xlsx, _ = sample_out
    # keep_default_na=False: the raw values "None" and "none" are text, not missing
    about = pd.read_excel(xlsx, sheet_name="说明", engine="openpyxl", dtype=str, keep_default_na=False)
    keys = [k for k in about["键（选项字段名）"] if k]
    default = cm.registry.Options()
    for f in dataclasses.fields(cm.registry.Options):  # the field list, independent of the report code
        assert keys.count(f.name) == 1, f.name
        raw = about.loc[about["键（选项字段名）"] == f.name, "值"].item()
        assert raw == str(getattr(default, f.name)), f.name
    assert keys.count("disclosure") == 1 and keys.count("by") == 1


def test_about_sheet_display_columns_have_no_python_reprs(sample_out, tiny_options_out):
    for xlsx in (sample_out[1], tiny_options_out[1]):
        rows = _about_options(xlsx)
        assert len(rows) >= len(dataclasses.fields(cm.registry.Options))
        for col in _DISPLAY:
            for key, cell in rows[col].items():
                assert not _REPR.search(cell), (key, col, cell)
        # every option row names the setting in both languages and says how to change it
        assert rows["项目"].str.contains(" / ").all()
        assert rows["如何更改"].str.contains("Options\\(|--|自动").all()


def test_about_sheet_explains_values_in_words(sample_out, tiny_options_out):
    default = _about_options(sample_out[1])
    # default top-2-box: scores 5 and 4 are 很满意, 满意 (definitions-cn.md §2.3)
    assert "母校: 很满意、满意；" in default.loc["satisfied_levels", "内容"]
    assert "school: very satisfied, satisfied;" in default.loc["satisfied_levels", "内容"]
    assert default.loc["as_of", "内容"].startswith("未设置") and "not set" in default.loc["as_of", "内容"]
    assert "--profile" in default.loc["profile", "如何更改"]
    changed = _about_options(tiny_options_out[1])
    assert "母校: 很满意、满意、基本满意" in changed.loc["satisfied_levels", "内容"]
    assert "very satisfied, satisfied, fairly satisfied" in changed.loc["satisfied_levels", "内容"]
    assert "2024-08-31" in changed.loc["as_of", "内容"]


def test_changing_an_option_changes_its_row_and_flags_provisional(sample_out, tiny_options_out):
    default = _about_options(sample_out[1])
    changed = _about_options(tiny_options_out[1])
    assert default.loc["profile", "值"] == "moe_2021" and changed.loc["profile", "值"] == "moe_2024"
    assert default.loc["profile", "内容"] != changed.loc["profile", "内容"]
    assert "2024" in changed.loc["profile", "内容"] and "2021" in default.loc["profile", "内容"]
    # moe_2024 and the computed 2004 双师 conditions are [U] (codes.PROFILES / definitions-cn.md §1.2, §3.1)
    assert cm.codes.PROFILES["moe_2024"].provisional and not cm.codes.PROFILES["moe_2021"].provisional
    assert "[U]" not in default.loc["profile", "状态"] and "[U]" in changed.loc["profile", "状态"]
    assert "[U]" not in default.loc["dual_definition", "状态"] and "[U]" in changed.loc["dual_definition", "状态"]
    # the alternatives make the other choices visible, the [U] one marked
    assert "moe_2024 [U]" in default.loc["profile", "可选项"]
    assert "moe_2021" in changed.loc["profile", "可选项"] and "moe_2024" not in changed.loc["profile", "可选项"]
    assert default.loc["disclosure", "值"] == "none" and changed.loc["disclosure", "值"] == "min_n"


def test_html_definitions_section_lists_the_options(tiny_options_out):
    rep, xlsx, html_path = tiny_options_out
    page = html_path.read_text(encoding="utf-8")
    section = page[page.index('<h2 id="definitions">'):]
    rows = _about_options(xlsx)
    import html as _html

    for key, rec in rows.iterrows():
        assert _html.escape(rec["项目"]) in section, key
        assert _html.escape(rec["内容"]) in section, key
        assert _html.escape(rec["可选项"]) in section, key
    assert section.count("[U]") >= 2
