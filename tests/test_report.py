"""Tests for coopmetrics.report: the hand-in workbook equals plain pandas counts from the sample
CSVs and compute(); the Chinese workbook says everything in Chinese (ids only on 技术信息);
figures are exact unless published; every sheet is set up for A4 printing; personal data from
the messy export never reaches an output."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import coopmetrics as cm
from coopmetrics.compute import compute
from coopmetrics.errors import InputError, InvalidOptionError
from coopmetrics.report import (
    NOT_SUPPLIED,
    SHEETS,
    SUPPRESSED,
    build_report,
    scrub_validation,
    validation_summary,
)
from coopmetrics.report.layouts import LAYOUTS

YEAR = 2024
SAMPLE = cm.sample.SAMPLE_DIR
MESSY = SAMPLE / "messy" / "毕业生.csv"
OFFICIAL_ZH = ["计分卡", "教学资源表", "服务贡献表", "落实政策表", "国际影响表", "学生反馈表"]
SNAKE = re.compile(r"(?<![A-Za-z0-9_])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![A-Za-z0-9_])")

# moe_2021 placed codes written out by hand from 教学厅函〔2021〕19号 附件1:
# 协议和合同 10, 11, 27/271, 46, 50x/51x; 灵活 12, 76, 77; 创业 75; 升学 80x, 81, 82, 85.
PLACED_EXACT = {"10", "11", "12", "27", "46", "50", "51", "75", "76", "77", "80", "81", "82", "85"}
PLACED_PREFIX = ("27", "50", "51", "80")
# employed (the A–D rows' base): placed minus further study (80x, 81, 82, 85)
STUDY_EXACT, STUDY_PREFIX = {"80", "81", "82", "85"}, ("80",)


def _placed(code: str) -> bool:
    code = str(code).strip()
    return code in PLACED_EXACT or (len(code) == 3 and code[:2] in PLACED_PREFIX)


def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(SAMPLE / name, dtype={"毕业去向代码": str})


# --- fixtures ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample():
    return cm.sample.load_sample()


@pytest.fixture(scope="module")
def sample_out(sample, tmp_path_factory):
    """The sample report with the defaults (exact figures) and the platform layouts, written once."""
    rep = build_report(sample, YEAR, platform=True)
    out = tmp_path_factory.mktemp("sample_report")
    xlsx = rep.to_excel(out / "report.xlsx")
    html = rep.to_html(out / "report.html", embed_font=False)
    return rep, xlsx, html


@pytest.fixture(scope="module")
def messy_out(tmp_path_factory):
    """The report built from the messy GBK export alone (personal data, title row, bad rows)."""
    ds = cm.load(MESSY)
    rep = build_report(ds, YEAR, disclosure="hesa")
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


def _sheet(path: Path, name: str, **kw) -> pd.DataFrame:
    return pd.read_excel(path, sheet_name=name, engine="openpyxl", **kw)


def _official(path: Path, name: str) -> pd.DataFrame:
    """An official sheet indexed by the item label without its unit suffix."""
    frame = _sheet(path, name)
    frame.index = frame["项目"].str.replace(r"（[^（）]*）$", "", regex=True)
    return frame


# --- structure -------------------------------------------------------------------------------------

def test_summary_first_official_tables_then_about_last(sample_out):
    rep, xlsx, _ = sample_out
    names = openpyxl.load_workbook(xlsx).sheetnames
    assert names[0] == "摘要" and names[-1] == "说明" and names[-2] == "技术信息"
    assert names[1:7] == OFFICIAL_ZH
    assert list(rep.tables) == [k for k in SHEETS if k in rep.tables]
    for name in OFFICIAL_ZH:  # one row per item, 届别 columns, a 数据来源/口径 column
        head = [c.value for c in openpyxl.load_workbook(xlsx)[name][1]]
        assert head == ["项目", f"{YEAR - 1}届", f"{YEAR}届", "变化", "数据来源/口径"], name


def test_english_workbook_is_english(sample_out, tmp_path):
    rep, _, _ = sample_out
    en = build_report(cm.sample.load_sample(), YEAR, lang="en")
    wb = openpyxl.load_workbook(en.to_excel(tmp_path / "en.xlsx"))
    assert wb.sheetnames[:3] == ["Summary", "Scorecard", "Teaching resources"]
    assert [c.value for c in wb["Scorecard"][1]] == ["Item", str(YEAR - 1), str(YEAR), "Change",
                                                      "Source / definition"]
    cjk = re.compile(r"[\u4e00-\u9fff]")
    # the summary's words are English (names of the college and of files are data, not words)
    summary = [str(c.value) for row in wb["Summary"].iter_rows() for c in row if isinstance(c.value, str)]
    assert not [s for s in summary if cjk.search(s)]


def test_report_is_immutable(sample_out):
    rep, _, _ = sample_out
    with pytest.raises(dataclasses.FrozenInstanceError):
        rep.year = 2020  # type: ignore[misc]
    with pytest.raises(TypeError):
        rep.tables["scorecard"] = pd.DataFrame()  # type: ignore[index]


# --- numbers: plain pandas counts from the CSVs, and compute() ---------------------------------------

def test_counts_in_the_workbook_equal_pandas_counts_from_the_csvs(sample_out):
    _, xlsx, _ = sample_out
    svc = _official(xlsx, "服务贡献表")
    card = _official(xlsx, "计分卡")
    raw = _csv("毕业生.csv")
    for y in (YEAR - 1, YEAR):
        col = f"{y}届"
        cohort = raw[raw["毕业年份"] == y]
        placed = cohort["毕业去向代码"].map(_placed)
        assert svc.loc["毕业生人数", col] == len(cohort) == card.loc["毕业生人数", col]
        assert svc.loc["其中：毕业去向落实人数（原“就业人数”）", col] == placed.sum()
        # A–D rows count employed graduates (placed, not in further study) with the flag
        code = cohort["毕业去向代码"].astype(str)
        study = code.isin(STUDY_EXACT) | ((code.str.len() == 3) & code.str[:2].isin(STUDY_PREFIX))
        employed = cohort[placed & ~study]
        for row, flag in (("其中：A类（留在当地就业）人数", "本地就业"),
                          ("其中：B类（到西部地区和东北地区就业）人数", "西部和东北地区就业"),
                          ("其中：C类（到中小微企业等基层服务）人数", "中小微企业等基层就业"),
                          ("其中：D类（到500强企业就业）人数", "500强企业就业")):
            want = employed[flag].astype(str).isin(["是", "True", "1", "true"]).sum()
            assert svc.loc[row, col] == want, (row, y)
        enrol = _csv("在校生.csv")
        assert svc.loc["全日制在校生人数", col] == enrol.loc[enrol["年份"] == y, "全日制在校生数"].sum()
        teachers = _csv("教师.csv")
        ft = teachers[(teachers["年份"] == y) & (teachers["教师类别"].isin(["专任", "专任教师"]))]
        assert _official(xlsx, "落实政策表").loc["其中：专任教师总数", col] == len(ft)
        firms = _csv("合作企业.csv")
        assert _official(xlsx, "落实政策表").loc["企业兼职教师年课时总量", col] == \
            firms.loc[firms["年份"] == y, "兼职教师课时"].sum()
        # 万元 = yuan / 10,000, exactly
        assert svc.loc["横向技术服务到款额", col] == pytest.approx(
            firms.loc[firms["年份"] == y, "横向技术服务到款额"].sum() / 1e4, rel=1e-12)


def test_counts_are_written_as_integers(sample_out):
    _, xlsx, _ = sample_out
    ws = openpyxl.load_workbook(xlsx)["服务贡献表"]
    for row in ws.iter_rows(min_row=2):
        if str(row[0].value).endswith("（人）") and isinstance(row[2].value, int | float):
            assert float(row[2].value).is_integer()
            assert row[2].number_format == "#,##0", row[0].value
            assert row[3].number_format.startswith("+#,##0;-#,##0"), row[0].value  # signed change
    pct = openpyxl.load_workbook(xlsx)["计分卡"]["B2"]
    assert pct.number_format == "0.00%" and isinstance(pct.value, float)


def test_scorecard_values_match_compute(sample, sample_out):
    rep, xlsx, _ = sample_out
    card = rep.tables["scorecard"]
    ids = [i for i in card["_indicator"] if i]
    lib = compute(sample, ids, by=["grad_year"]).set_index(["indicator", "grad_year"])
    sheet = _sheet(xlsx, "计分卡")
    assert len(sheet) == len(card)
    for (_, rec), (_, cell) in zip(card.iterrows(), sheet.iterrows(), strict=True):
        for y in (YEAR - 1, YEAR):
            if rec["_indicator"]:
                want = lib.loc[(rec["_indicator"], y), rec["_field"]]
                # raked shares come from an iterative fit: equal to 1e-9, every count exactly
                assert cell[f"{y}届"] == pytest.approx(want, rel=1e-9), rec["item"]
            else:
                assert cell[f"{y}届"] == NOT_SUPPLIED["zh"]


def test_rows_without_input_say_not_supplied_never_zero(sample_out):
    rep, xlsx, _ = sample_out
    intl = _sheet(xlsx, "国际影响表")
    assert len(intl) == len(LAYOUTS["international"].items)
    assert (intl[f"{YEAR}届"] == NOT_SUPPLIED["zh"]).all()
    tiny = build_report(_tiny(), YEAR)
    card = tiny.tables["scorecard"]
    sat = card[card["_indicator"] == "school_satisfaction"].iloc[0]
    assert sat[f"value_{YEAR}"] == NOT_SUPPLIED["zh"]  # no survey given
    svc = tiny.tables["service"]
    enrol = svc[svc["item"].str.startswith("全日制在校生人数")]
    assert (enrol[[f"value_{YEAR - 1}", f"value_{YEAR}"]] == NOT_SUPPLIED["zh"]).all(axis=None)
    assert "feedback" not in tiny.tables  # 学生反馈表 only where survey items exist


def test_feedback_rows_are_the_school_survey_items(sample, sample_out):
    rep, _, _ = sample_out
    fb = rep.tables["feedback"]
    survey = sample["survey"]
    items = survey.loc[survey["survey_kind"] == "school", "item"].unique()
    assert len(fb) == len(items)
    # by hand: the overall item's top-2-box share, unweighted, equals compute() with the item alone
    opts = cm.registry.Options(survey_weights=None, survey_items={"school": ("母校总体满意度",)})
    lib = compute(sample, ["school_satisfaction"], by=["grad_year"], options=opts).set_index("grad_year")
    s = survey[(survey["survey_kind"] == "school") & (survey["item"] == "母校总体满意度") & (survey["year"] == YEAR)]
    assert lib.loc[YEAR, "estimate"] == pytest.approx((s["score"] >= 4).sum() / s["score"].notna().sum())


@pytest.mark.parametrize("year", [YEAR - 1, YEAR])
def test_each_feedback_row_is_that_items_own_share(sample, year):
    """Every 学生反馈表 row is its own item's share of satisfied answers (by hand from the survey
    table: score 4 or 5 among answers with a score; 无法评估 has none), not the overall question's
    figure repeated. Unweighted, so the hand count is exact."""
    rep = build_report(sample, YEAR, options=cm.registry.Options(survey_weights=None))
    fb = rep.tables["feedback"]
    survey = sample["survey"]
    s = survey[(survey["survey_kind"] == "school") & (survey["year"] == year) & survey["score"].notna()]
    by_hand = (s["score"] >= 4).groupby(s["item"], sort=False).mean()
    assert len(fb) == len(by_hand) and by_hand.nunique() > 1
    for item, share in by_hand.items():
        row = fb[fb["item"].str.startswith(str(item))]
        assert len(row) == 1, item
        assert row[f"value_{year}"].iloc[0] == pytest.approx(share, rel=1e-12)


def test_exact_by_default_public_release_rounds(sample):
    exact = build_report(_tiny(), YEAR)
    by = exact.tables["by_group"]
    small = by[(by["indicator"] == "placement_rate") & (by["department"] == "小学院")].iloc[0]
    assert small["status"] == "reported" and small["numerator"] == 5 and small["denominator"] == 6
    public = build_report(_tiny(), YEAR, disclosure="hesa")
    pub = public.tables["by_group"]
    assert pub[(pub["indicator"] == "placement_rate") & (pub["department"] == "小学院")].iloc[0]["status"] == \
        "suppressed"
    about = exact.tables["about"].set_index("item")
    assert about.loc["数字是否精确", "content"].startswith("是")
    assert public.tables["about"].set_index("item").loc["数字是否精确", "content"].startswith("否")


def test_summary_change_and_beyond_chance_statement(sample, sample_out):
    rep, xlsx, _ = sample_out
    summ = rep.tables["summary"].set_index("_indicator")
    lib = compute(sample, ["placement_rate", "graduates_total"], by=["grad_year"]).set_index(
        ["indicator", "grad_year"])["estimate"]
    pr = summ.loc["placement_rate"]
    assert pr["previous"] == pytest.approx(lib[("placement_rate", YEAR - 1)])
    assert pr["change"] == pytest.approx(100 * (lib[("placement_rate", YEAR)] - lib[("placement_rate", YEAR - 1)]))
    for ind, rec in summ.iterrows():
        text = rec["summary_text"]
        assert str(YEAR) in text, ind
        if rec["significance"] == "是":
            assert "超出随机波动" in text and rec["q_value"] < 0.05
        elif rec["significance"] == "否":
            assert "不能据此认为确有变化" in text
            if rec["q_value"] >= 0.05 and "不含0" not in text:
                assert "随机波动范围之内" in text
    g = summ.loc["graduates_total"]
    assert g["change"] == lib[("graduates_total", YEAR)] - lib[("graduates_total", YEAR - 1)]
    assert "不涉及抽样误差" in g["summary_text"]
    first = _sheet(xlsx, "摘要")
    assert list(first.columns[:4]) == ["指标", f"{YEAR - 1}届", f"{YEAR}届", "变化"] or \
        list(first.columns[:4]) == ["项目", f"{YEAR - 1}届", f"{YEAR}届", "变化"]


# --- language: Chinese only, ids only on the technical sheet ---------------------------------------------

def test_no_english_id_outside_the_technical_sheet(sample_out, messy_out):
    for _, xlsx, _ in (sample_out, messy_out):
        wb = openpyxl.load_workbook(xlsx)
        leaks = {}
        for ws in wb.worksheets:
            if ws.title == "技术信息":
                continue
            for row in ws.iter_rows():
                for c in row:
                    if isinstance(c.value, str) and SNAKE.search(c.value):
                        leaks.setdefault(ws.title, []).append(c.value[:80])
        assert leaks == {}
        tech = _sheet(xlsx, "技术信息")
        assert "placement_rate" in set(tech["键（选项字段名）"])


def test_no_reference_to_files_outside_the_package_and_one_internship_term(sample_out):
    _, xlsx, html_path = sample_out
    wb = openpyxl.load_workbook(xlsx)
    cells = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    page = html_path.read_text(encoding="utf-8")
    for bad in ("definitions-cn.md", "DOMAIN.md", "seed 00", "methods-intl.md"):
        assert not [c for c in cells if bad in c] and bad not in page, bad
    for name in OFFICIAL_ZH + ["摘要", "指标明细", "分院系指标", "年度变化"]:
        assert not [c.value for row in wb[name].iter_rows() for c in row if "顶岗实习" in str(c.value)]
    defs = _sheet(xlsx, "指标定义")
    assert not defs["中文名称"].str.contains("顶岗实习").any()  # names; cited documents keep their titles
    methods = set(_sheet(xlsx, "队列比较")["方法"])
    assert all(re.search(r"[\u4e00-\u9fff]", m) for m in methods)
    assert set(_sheet(xlsx, "队列比较")["效应量类型"]) <= {"比例差效应量 h（Cohen）", "均值差效应量 d（Cohen）", "标准化差值"}


# --- printing ---------------------------------------------------------------------------------------------

def test_every_sheet_prints_a4_landscape_fit_to_width(sample_out):
    _, xlsx, _ = sample_out
    wb = openpyxl.load_workbook(xlsx)
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert int(ws.page_setup.paperSize) == 9, ws.title  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (1, None), ws.title
        assert ws.page_setup.fitToHeight == 0, ws.title
        assert ws.print_title_rows == "$1:$1", ws.title
        assert ws.freeze_panes == "A2", ws.title
        widths = [d.width for d in ws.column_dimensions.values() if d.width]
        assert widths and max(widths) <= 50, ws.title


def test_html_is_self_contained_with_a_print_stylesheet(sample_out):
    rep, _, html_path = sample_out
    page = html_path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "<script" not in page and "<link" not in page
    assert page.count("data:image/png;base64,") == len(rep.figures) >= 8
    assert "@page { size: A4 landscape" in page and "thead { display: table-header-group; }" in page
    for key in rep.tables:
        assert f'<section id="{key}"' in page, key
    assert f">{rep.sheet_name('scorecard')}</h2>" in page
    card = rep.tables["scorecard"]
    pr = card[(card["_indicator"] == "placement_rate") & (card["_field"] == "estimate")].iloc[0]
    assert f"{pr[f'value_{YEAR}']:.2%}" in page
    assert not SNAKE.search(re.sub(r'<section id="technical".*?</section>|id="[^"]*"|href="#[^"]*"|alt="[^"]*"'
                                   r'|class="[^"]*"', "", page, flags=re.S))


def test_font_subset_is_cached_by_glyph_set(tmp_path, monkeypatch):
    from coopmetrics import plots
    from coopmetrics.report.html import font_face

    monkeypatch.setenv("COOPMETRICS_CACHE_DIR", str(tmp_path))
    plots.font_subset_woff.cache_clear()
    first = font_face("计分卡 摘要 2024")
    assert len(list((tmp_path / "fonts").glob("*.woff"))) == 1
    plots.font_subset_woff.cache_clear()

    def boom(*a, **k):
        raise AssertionError("subset made again despite the cache")

    monkeypatch.setattr("fontTools.subset.Subsetter", boom)
    assert font_face("摘要 计分卡 1999") == first  # same glyphs (ASCII always included): cache hit
    plots.font_subset_woff.cache_clear()


def test_html_embeds_cjk_font_subset(tmp_path):
    html_path = build_report(_tiny(), YEAR).to_html(tmp_path / "t.html")  # embed_font=True by default
    page = html_path.read_text(encoding="utf-8")
    m = re.search(r"data:font/woff;base64,([A-Za-z0-9+/=]+)", page)
    assert m, "the CJK font subset is embedded"
    assert 20_000 < len(m.group(1)) * 3 / 4 < 1_500_000  # a subset, not the 16 MB font


# --- other sheets ------------------------------------------------------------------------------------------

def test_platform_layouts_count_like_pandas(sample_out):
    """A7-4 per major from 岗位实习.csv joined to the roster's major; A7-5 per major from 合作企业.csv."""
    _, xlsx, _ = sample_out
    a74 = _sheet(xlsx, "状态数据A7-4岗位实习").set_index("专业")
    raw = _csv("岗位实习.csv").astype({"学号": str})
    raw = raw[raw["年份"] == YEAR]
    roster = _csv("毕业生.csv").astype({"学号": str}).drop_duplicates("学号").set_index("学号")["专业名称"]
    raw = raw.assign(专业=raw["学号"].map(roster))
    by = raw.groupby("专业")
    assert a74["岗位实习学生数"].to_dict() == by["学号"].nunique().to_dict()
    assert a74["实习单位数"].to_dict() == by["实习单位"].nunique().to_dict()
    for col, flag in (("参加实习责任保险人数", "参加实习责任保险"), ("对口实习人数", "是否对口"),
                      ("被实习单位录用人数", "企业录用")):
        assert a74[col].to_dict() == (raw[flag] == "是").groupby(raw["专业"]).sum().to_dict(), col
    a75 = _sheet(xlsx, "状态数据A7-5校企合作").set_index("专业")
    firms = _csv("合作企业.csv")
    firms = firms[firms["年份"] == YEAR].groupby("专业名称")
    assert a75["合作企业数"].to_dict() == firms["企业名称"].nunique().to_dict()
    assert a75["接收实习学生数"].to_dict() == firms["接收实习学生数"].sum().to_dict()
    assert a75["录用毕业生数"].to_dict() == firms["录用毕业生数"].sum().to_dict()


def test_indicator_details_counts_match_pandas(sample_out):
    """指标明细: numerator and denominator of the roster rates equal counts from 毕业生.csv."""
    _, xlsx, _ = sample_out
    det = _sheet(xlsx, "指标明细")
    raw = _csv("毕业生.csv")
    for y in (YEAR - 1, YEAR):
        cohort = raw[raw["毕业年份"] == y]
        row = det[(det["指标"] == "毕业去向落实率") & (det["年份"] == y)].iloc[0]
        assert (row["分子"], row["分母"]) == (cohort["毕业去向代码"].map(_placed).sum(), len(cohort))
        row = det[(det["指标"] == "自主创业比例") & (det["年份"] == y)].iloc[0]
        assert (row["分子"], row["分母"]) == ((cohort["毕业去向代码"] == "75").sum(), len(cohort))
        row = det[(det["指标"] == "毕业生总数") & (det["年份"] == y)].iloc[0]
        assert row["估计值"] == len(cohort)


def test_enterprise_sheet_sums_each_firm(sample, sample_out):
    _, xlsx, _ = sample_out
    ent = _sheet(xlsx, "合作企业贡献").set_index("企业名称")
    e = sample["enterprises"]
    want = e[e["year"] == YEAR].groupby("enterprise")[["equipment_value", "interns_received"]].sum()
    assert len(ent) == len(want)
    np.testing.assert_allclose(ent.loc[want.index, "设备值（元）"], want["equipment_value"])
    np.testing.assert_allclose(ent.loc[want.index, "接收实习学生数"], want["interns_received"])


def test_cohort_sheet_counts_programs(sample, sample_out):
    _, xlsx, _ = sample_out
    coh = _sheet(xlsx, "队列比较")
    g = sample["graduates"]
    g = g[g["grad_year"] == YEAR]
    raw = coh[(coh["指标"] == "毕业去向落实率") & (coh["是否调整"] == "否")].set_index("培养模式")
    assert raw.loc["订单班", "队列人数"] == (g["program"] == "order_class").sum()
    assert raw.loc["订单班", "参照组人数"] == (g["program"] == "regular").sum()
    placed = g["destination_code"].map(_placed)
    assert raw.loc["订单班", "队列估计值"] == pytest.approx(placed[g["program"] == "order_class"].mean())
    assert set(coh["是否调整"]) == {"是", "否"}


def test_by_department_placement_matches_pandas_groupby(sample_out):
    rep, xlsx, _ = sample_out
    by = _sheet(xlsx, "分院系指标")
    got = by[by["指标"] == "毕业去向落实率"].set_index("院系")
    raw = _csv("毕业生.csv")
    cohort = raw[raw["毕业年份"] == YEAR].assign(placed=lambda d: d["毕业去向代码"].map(_placed))
    want = cohort.groupby("院系")["placed"].agg(["sum", "size"])
    for dept, rec in want.iterrows():
        assert got.loc[dept, "分子"] == rec["sum"] and got.loc[dept, "分母"] == rec["size"]


def test_technical_sheet_has_every_option_once_with_raw_value(sample_out):
    _, xlsx, _ = sample_out
    tech = _sheet(xlsx, "技术信息", dtype=str, keep_default_na=False)
    opts = tech[tech["类别"] == "口径选项"].set_index("键（选项字段名）")
    default = cm.registry.Options()
    for f in dataclasses.fields(cm.registry.Options):
        assert opts.loc[f.name, "值"] == str(getattr(default, f.name)), f.name
    assert opts.loc["disclosure", "值"] == "none"
    about = _sheet(xlsx, "说明", dtype=str, keep_default_na=False)
    assert "双师认定口径" in set(about["项目"]) or any("双师" in i for i in about["项目"])


def test_suppressed_cells_are_marked_in_a_public_release(tmp_path):
    rep = build_report(_tiny(), YEAR, disclosure="hesa")
    xlsx = rep.to_excel(tmp_path / "t.xlsx")
    sheet = _sheet(xlsx, "分院系指标")
    cell = sheet[(sheet["指标"] == "毕业去向落实率") & (sheet["院系"] == "小学院")].iloc[0]
    assert cell["估计值"] == SUPPRESSED["zh"] and cell["95%置信区间下限"] == SUPPRESSED["zh"]
    big = sheet[(sheet["指标"] == "毕业去向落实率") & (sheet["院系"] == "大学院")].iloc[0]
    assert big["估计值"] == pytest.approx(30 / 40) and big["分母"] == 40


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
    assert {"编号重复", "毕业去向代码无法识别", "个人信息列已删除"} <= set(val["问题"])
    assert val.loc[val["问题"] == "毕业去向代码无法识别", "Excel 行号"].notna().all()
    tech = _sheet(xlsx, "技术信息")
    assert {"duplicate_id", "unknown_code", "pii_dropped"} <= set(tech["键（选项字段名）"])


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




# --- print check: LibreOffice (workbook) and Chromium (HTML) to PDF -------------------------------------

_SOFFICE = next((p for p in ("soffice", "libreoffice") if shutil.which(p)), None)
_CHROMIUM = next((p for p in ("chromium", "chromium-browser", "google-chrome") if shutil.which(p)),
                 None)
_PDFTOTEXT = shutil.which("pdftotext")


def _pdf_text(pdf: Path) -> str:
    """Text of a PDF in content order, whitespace removed (wrapped headers join up again)."""
    import subprocess

    out = subprocess.run([_PDFTOTEXT, "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", "", out)


def _page_count(pdf: Path) -> int:
    import subprocess

    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


@pytest.mark.slow
@pytest.mark.skipif(_SOFFICE is None or _PDFTOTEXT is None, reason="LibreOffice or poppler-utils not installed")
def test_workbook_prints_official_tables_on_at_most_two_pages_with_every_column(sample_out, tmp_path):
    """Each official sheet alone -> PDF by LibreOffice headless: ≤ 2 A4 pages, every header on paper."""
    import subprocess
    from types import MappingProxyType

    from coopmetrics.report.excel import visible_columns

    rep, xlsx, _ = sample_out
    keys = ["summary", *[k for k in ("scorecard", "resources", "service", "policy", "international", "feedback")
                         if k in rep.tables]]
    books = [dataclasses.replace(rep, tables=MappingProxyType({k: rep.tables[k]})).to_excel(tmp_path / f"{k}.xlsx")
             for k in keys]
    subprocess.run([_SOFFICE, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"),
                    *map(str, books), str(xlsx)], capture_output=True, timeout=300, check=True,
                   env={**os.environ, "HOME": str(tmp_path)})
    for k in keys:
        pdf = tmp_path / "pdf" / f"{k}.pdf"
        assert _page_count(pdf) <= 2, k
        text = _pdf_text(pdf)
        for c in visible_columns(rep, k, rep.tables[k]):
            assert re.sub(r"\s+", "", rep.header(c, k)) in text, (k, c)
    text = _pdf_text(tmp_path / "pdf" / "report.pdf")  # the whole workbook: no column lost anywhere
    for k, frame in rep.tables.items():
        for c in visible_columns(rep, k, frame):
            assert re.sub(r"\s+", "", rep.header(c, k)) in text, (k, c)


@pytest.mark.slow
@pytest.mark.skipif(_CHROMIUM is None or _PDFTOTEXT is None, reason="Chromium or poppler-utils not installed")
def test_html_prints_every_column(sample_out, tmp_path):
    """The HTML printed by Chromium headless (A4 landscape print stylesheet): every table header on paper."""
    import subprocess

    from coopmetrics.report.excel import visible_columns

    rep, _, _ = sample_out
    page = rep.to_html(tmp_path / "r.html")  # with the embedded font, as a reader's browser prints it
    pdf = tmp_path / "r.pdf"
    subprocess.run([_CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--print-to-pdf={pdf}", page.as_uri()], capture_output=True, timeout=300, check=True)
    text = _pdf_text(pdf)
    for k, frame in rep.tables.items():
        for c in visible_columns(rep, k, frame):
            assert re.sub(r"\s+", "", rep.header(c, k)) in text, (k, c)
    assert rep.college + str(YEAR) in text


def test_public_release_summary_change_is_that_of_the_published_counts(sample):
    rep = build_report(sample, YEAR, disclosure="hesa")
    summ = rep.tables["summary"].set_index("_indicator")
    g = summ.loc["graduates_total"]
    assert g["previous"] % 5 == 0 and g["estimate"] % 5 == 0  # HESA: counts rounded to 5
    assert g["change"] == g["estimate"] - g["previous"]
    svc = rep.tables["service"]
    grads = svc[svc["_indicator"] == "graduates_total"].iloc[0]
    assert grads[f"value_{YEAR}"] == g["estimate"]  # one figure for one count in the whole workbook


def test_about_sheet_has_no_raw_option_values(sample_out, tmp_path):
    """Raw option values (moe_2024, school_flag, raking, hesa ...) are only on 技术信息, never on 说明."""
    opts = cm.registry.Options(profile="moe_2024", dual_definition="2004_evaluation", survey_weights="column")
    rep = build_report(_tiny(), YEAR, options=opts, disclosure="hesa")
    xlsx = rep.to_excel(tmp_path / "t.xlsx")
    cells = [str(c.value) for row in openpyxl.load_workbook(xlsx)["说明"].iter_rows() for c in row if c.value]
    raw = {str(v) for info in cm.registry.OPTION_INFO.values() for v in info.choices
           if isinstance(v, str) and re.search(r"[a-z]", v)} | {"hesa", "min_n", "department", "major"}
    tokens = {t for c in cells for t in re.findall(r"[A-Za-z0-9_]+", c)}
    assert raw & tokens == set()
    tech = _sheet(xlsx, "技术信息", dtype=str, keep_default_na=False).set_index("键（选项字段名）")
    assert tech.loc["profile", "值"] == "moe_2024" and tech.loc["disclosure", "值"] == "hesa"
    assert "--dual 2004_evaluation" in tech.loc["dual_definition", "如何更改（命令行 / Python）"]


# --- safe writing: all or nothing (property) -------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(existing=st.lists(st.booleans(), min_size=1, max_size=4), fail_at=st.integers(min_value=-1, max_value=3),
       force=st.booleans(), interrupt=st.booleans())
def test_write_all_replaces_every_target_or_none(tmp_path_factory, existing, fail_at, force, interrupt):
    """Whatever subset of targets exists and whichever writer fails (or is interrupted), the folder
    afterwards holds either every new file (with backups of the old ones unless force) or exactly
    the old files, and never a temporary file."""
    from coopmetrics.report.writing import write_all

    folder = tmp_path_factory.mktemp("w")
    targets = [folder / f"r{i}.txt" for i in range(len(existing))]
    for path, there in zip(targets, existing, strict=True):
        if there:
            path.write_text(f"old {path.name}")
    before = {p.name: p.read_text() for p in folder.iterdir()}

    def writer(i: int):
        def write(path: Path) -> None:
            path.write_text("half")
            if i == fail_at:
                raise KeyboardInterrupt if interrupt else OSError("disk full")
            path.write_text(f"new {i}")
        return write

    failing = 0 <= fail_at < len(targets)
    if failing:
        with pytest.raises(KeyboardInterrupt if interrupt else OSError):
            write_all({p: writer(i) for i, p in enumerate(targets)}, force=force)
        assert {p.name: p.read_text() for p in folder.iterdir()} == before
        return
    res = write_all({p: writer(i) for i, p in enumerate(targets)}, force=force)
    assert [p.read_text() for p in targets] == [f"new {i}" for i in range(len(targets))]
    assert len(res.backups) == (0 if force else sum(existing))
    for target, backup in res.backups.items():
        assert backup.read_text() == before[target.name]
    assert not [p for p in folder.iterdir() if ".tmp" in p.name]


def test_differences_of_shares_are_shown_in_points(sample_out):
    """A cohort difference of 0.036 is +3.60 points, never '+0.04 个百分点'."""
    rep, xlsx, _ = sample_out
    ws = openpyxl.load_workbook(xlsx)["队列比较"]
    head = {c.value: i for i, c in enumerate(ws[1])}
    cell = next(r[head["差值"]] for r in ws.iter_rows(min_row=2) if r[head["单位"]].value == "%")
    assert cell.number_format == "+0.00%;-0.00%;0.00%"
    view = rep.view("cohorts")
    coh = rep.tables["cohorts"]
    first = coh.index[coh["unit"] == "share"][0]
    assert view.loc[first, "差值"] == f"{coh.loc[first, 'difference'] * 100:+.2f} 个百分点"
    yoy = rep.view("yoy")
    pr = rep.tables["yoy"].index[rep.tables["yoy"]["indicator"] == "placement_rate"][0]
    assert yoy.loc[pr, "变化"] == f"{rep.tables['yoy'].loc[pr, 'change'] * 100:+.2f} 个百分点"


def test_summary_and_year_over_year_sheet_agree(sample_out):
    """One q-value per change: the summary corrects over the same family as 年度变化."""
    rep, _, _ = sample_out
    summ = rep.tables["summary"].set_index("_indicator")
    yoy = rep.tables["yoy"].set_index("indicator")
    for ind in summ.index:
        if not np.isnan(summ.loc[ind, "q_value"]):
            assert summ.loc[ind, "q_value"] == pytest.approx(yoy.loc[ind, "q_value"], rel=1e-12), ind
            points = 100 if summ.loc[ind, "_fmt"] == "pct" else 1  # shares in percentage points
            assert summ.loc[ind, "change"] == pytest.approx(yoy.loc[ind, "change"] * points, rel=1e-12), ind


def test_a_table_longer_than_a_sheet_is_split_and_never_cut_silently(sample, tmp_path, monkeypatch):
    """Excel holds 1,048,575 data rows a sheet: a longer validation list takes more sheets, then says what is left out."""
    from openpyxl import load_workbook

    from coopmetrics.report import excel

    rep = build_report(sample, YEAR)
    n = len(rep.tables["validation"])
    assert n >= 3, "the sample's validation list is long enough to split"
    monkeypatch.setattr(excel, "EXCEL_ROWS", 1)
    monkeypatch.setattr(excel, "MAX_PARTS", 2)
    path = excel.write_excel(rep, tmp_path / "r.xlsx")
    wb = load_workbook(path, read_only=True)
    name = rep.sheet_name("validation")
    parts = [wb[name], wb[f"{name} (2)"]]
    rows = [list(ws.iter_rows(min_row=2, values_only=True)) for ws in parts]
    assert [len(r) for r in rows] == [1, 1]  # two full sheets of one data row each
    note = rows[1][-1][0]
    assert f"共 {n:,} 行" in note and "前 1 行" in note and "validate --csv" in note


def test_partner_evaluation_sheet_lists_exactly_the_funnel_flagged_partners(sample_out):
    """合作企业评估: the partners outside the exact 99.8 % funnel limits, counts from the internships table."""
    from scipy.stats import binom

    rep, xlsx, _ = sample_out
    sheet = _sheet(xlsx, "合作企业评估")
    table = rep.tables["partners"]
    assert len(sheet) == len(table) and len(table) > 0
    hire = table[table["measure_name"] == "实习生录用率"]
    i = cm.sample.load_sample()["internships"]
    i = i[(i["year"] == YEAR) & i["hired"].notna()]
    college = i["hired"].astype(bool).mean()
    for _, row in hire.iterrows():
        mine = i[i["enterprise"] == row["enterprise"]]["hired"].astype(bool)
        assert (row["numerator"], row["denominator"]) == (mine.sum(), len(mine))  # a hand count
        x, n = int(mine.sum()), len(mine)
        # flagged above: P(X >= x) under the college rate below the one-sided 0.1 % of the 99.8 % limits
        above = binom.sf(x - 1, n, college) < 0.001
        below = binom.cdf(x, n, college) < 0.001
        assert row["partner_flag"] == ("优于全校水平" if above else "低于全校水平" if below else None)
