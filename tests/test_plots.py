"""Tests for coopmetrics.plots: CJK rendering, and that each figure draws what its data say."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from coopmetrics import plots
from coopmetrics.errors import InputError, InvalidOptionError

ZH_TEXT = "毕业去向落实率与双师型教师比例"


def _render(fig: Figure) -> list[str]:
    """Render a figure to a PNG buffer and return the text of every warning raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()
        fig.savefig(io.BytesIO(), format="png")
    return [str(w.message) for w in caught]


def _glyph_warnings(messages: list[str]) -> list[str]:
    return [m for m in messages if "missing from font" in m or "Glyph" in m]


def _trend_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "indicator": "placement_rate", "name_zh": "毕业去向落实率", "name_en": "Placement rate",
        "grad_year": [2020, 2021, 2022, 2023, 2024],
        "estimate": [0.90, 0.91, np.nan, 0.93, 0.94],
        "ci_low": [0.88, 0.89, np.nan, 0.91, 0.92], "ci_high": [0.92, 0.93, np.nan, 0.95, 0.96],
        "n": [900, 950, 12, 990, 1000], "unit": "share",
        "status": ["reported", "reported", "suppressed", "reported", "reported"],
        "target": np.nan,
    })


# --- fonts --------------------------------------------------------------------------------------

def test_font_file_ships_inside_mplfonts_package():
    import importlib.resources

    path = Path(plots._font_path())
    assert path.name == "NotoSansCJKsc-Regular.otf"
    assert path.is_file() and path.stat().st_size > 1_000_000
    assert str(importlib.resources.files("mplfonts")) in str(path)


def test_use_cjk_font_sets_rcparams_and_registers_font():
    name = plots.use_cjk_font()
    assert name == "Noto Sans CJK SC"
    assert matplotlib.rcParams["font.sans-serif"][0] == name
    assert matplotlib.rcParams["font.family"] == ["sans-serif"]
    assert matplotlib.rcParams["axes.unicode_minus"] is False
    found = matplotlib.font_manager.findfont(matplotlib.font_manager.FontProperties(family=["sans-serif"]))
    assert Path(found).name == "NotoSansCJKsc-Regular.otf"
    # idempotent: a second call does not register the font twice
    before = sum(f.fname == found for f in matplotlib.font_manager.fontManager.ttflist)
    plots.use_cjk_font()
    assert sum(f.fname == found for f in matplotlib.font_manager.fontManager.ttflist) == before


def test_bundled_font_wins_over_an_installed_copy_of_the_same_family():
    # A system copy of Noto Sans CJK SC (fonts-noto-cjk: a .ttc of another version) listed before
    # the bundled file used to win findfont's tie, so figures depended on the machine.
    import dataclasses

    fm = matplotlib.font_manager.fontManager
    plots.use_cjk_font()
    saved = list(fm.ttflist)
    ours = next(f for f in fm.ttflist if f.fname == plots._font_path())
    decoy = dataclasses.replace(ours, fname=matplotlib.font_manager.findfont("DejaVu Sans"))
    try:
        fm.ttflist.insert(0, decoy)
        fm._findfont_cached.cache_clear()
        prop = matplotlib.font_manager.FontProperties(family=["sans-serif"])
        assert matplotlib.font_manager.findfont(prop) == decoy.fname  # the decoy wins the tie ...
        plots.use_cjk_font()
        assert matplotlib.font_manager.findfont(prop) == plots._font_path()  # ... until the font is pinned
        assert fm.ttflist[0].fname == plots._font_path() and decoy in fm.ttflist
    finally:
        fm.ttflist[:] = saved
        fm._findfont_cached.cache_clear()


def test_chinese_labels_render_without_missing_glyph_warning():
    fig = plots.plot_trend(_trend_frame(), "placement_rate", target=0.9, lang="zh", title=ZH_TEXT)
    ax = fig.axes[0]
    ax.set_xlabel("年份（届别）—— 负数 -1")
    assert _glyph_warnings(_render(fig)) == []


def test_missing_glyph_detection_can_fail_without_the_font():
    # The same Chinese label drawn in DejaVu Sans (no CJK glyphs) must warn; this proves the
    # check above would catch a figure that falls back to a Latin font.
    plots.use_cjk_font()
    fig = Figure(figsize=(3, 1))
    plots.FigureCanvasAgg(fig)
    fig.text(0.1, 0.5, ZH_TEXT, fontproperties=matplotlib.font_manager.FontProperties(family="DejaVu Sans"))
    assert _glyph_warnings(_render(fig)), "DejaVu Sans should lack CJK glyphs"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_figure_renders_without_glyph_warnings(lang):
    figs = [
        plots.plot_trend(_trend_frame(), "placement_rate", lang=lang),
        plots.plot_dual_ratio(_dual_frame(), lang=lang),
        plots.plot_likert(_survey_frame(), survey_kind="school", lang=lang),
        plots.plot_enterprise(_enterprise_frame(), lang=lang),
        plots.plot_forest(_compare_frame(), lang=lang),
        plots.plot_funnel(_funnel_frame(), lang=lang),
        plots.plot_event_study(_event_frame(), lang=lang),
    ]
    for fig in figs:
        assert isinstance(fig, Figure)
        assert _glyph_warnings(_render(fig)) == []


# --- trend ----------------------------------------------------------------------------------------

def test_trend_draws_one_point_per_reported_year_and_skips_suppressed():
    fig = plots.plot_trend(_trend_frame(), "placement_rate", target=0.92)
    ax = fig.axes[0]
    line = ax.lines[0]
    assert list(line.get_xdata()) == [2020, 2021, 2023, 2024]  # 2022 is suppressed: not drawn as 0
    np.testing.assert_allclose(line.get_ydata(), [0.90, 0.91, 0.93, 0.94])
    # one CI band whose vertices span the CI bounds
    assert len(ax.collections) == 1
    verts = ax.collections[0].get_paths()[0].vertices
    assert verts[:, 1].min() == pytest.approx(0.88) and verts[:, 1].max() == pytest.approx(0.96)
    target = [ln for ln in ax.lines if ln.get_linestyle() == "--"]
    assert len(target) == 1 and target[0].get_ydata()[0] == pytest.approx(0.92)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2020", "2021", "2022", "2023", "2024"]


def test_trend_one_line_per_group_and_target_from_result():
    base = _trend_frame().assign(status="reported", estimate=[0.9, 0.91, 0.92, 0.93, 0.94],
                                 ci_low=0.85, ci_high=0.97, target=0.95)
    two = pd.concat([base.assign(department="机电学院"), base.assign(department="信息学院")])
    fig = plots.plot_trend(two, "placement_rate", group="department", lang="en")
    ax = fig.axes[0]
    data_lines = [ln for ln in ax.lines if ln.get_linestyle() != "--"]
    assert len(data_lines) == 2 and all(len(ln.get_xdata()) == 5 for ln in data_lines)
    assert [ln for ln in ax.lines if ln.get_linestyle() == "--"][0].get_ydata()[0] == pytest.approx(0.95)
    assert ax.get_xlabel() == "Year"


def test_trend_rejects_unknown_indicator_and_language():
    with pytest.raises(InputError):
        plots.plot_trend(_trend_frame(), "nope")
    with pytest.raises(InvalidOptionError):
        plots.plot_trend(_trend_frame(), "placement_rate", lang="fr")


def test_given_axes_are_returned():
    fig = Figure()
    plots.FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    out = plots.plot_event_study(_event_frame(), ax=ax)
    assert out is ax


# --- 双师 ----------------------------------------------------------------------------------------------

def _dual_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "indicator": "dual_teacher_ratio_professional", "name_zh": "双师型教师占专业课教师比例",
        "name_en": "Dual-qualified share", "department": ["机电学院", "信息学院", "商学院"],
        "numerator": [30, 12, 20], "denominator": [50, 40, 40],
        "estimate": [0.6, 0.3, 0.5], "ci_low": [0.46, 0.18, 0.35], "ci_high": [0.72, 0.46, 0.65],
        "unit": "share", "status": "reported",
    })


def test_dual_ratio_bars_match_estimates_and_target_colours():
    fig = plots.plot_dual_ratio(_dual_frame())
    ax = fig.axes[0]
    bars = ax.patches
    assert len(bars) == 3
    # sorted ascending: 0.3, 0.5, 0.6; the target is "more than half" so 0.5 does not meet it
    widths = [b.get_width() for b in bars]
    assert widths == pytest.approx([0.3, 0.5, 0.6])
    colours = [to_hex(b.get_facecolor()) for b in bars]
    assert colours == [plots._BAD, plots._BAD, plots._GOOD]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["信息学院", "商学院", "机电学院"]
    # the denominator is printed on each bar
    texts = {t.get_text() for t in ax.texts}
    assert {"12/40", "20/40", "30/50"} <= texts


def test_dual_ratio_needs_one_indicator():
    two = pd.concat([_dual_frame(), _dual_frame().assign(indicator="other")])
    with pytest.raises(InputError):
        plots.plot_dual_ratio(two)
    assert len(plots.plot_dual_ratio(two, indicator="other").axes[0].patches) == 3


# --- Likert -------------------------------------------------------------------------------------------

def _survey_frame() -> pd.DataFrame:
    # item A: scores 5,5,4,3,1 and one 无法评估 (no score); item B: 4,4,2,2
    rows = [("A", 5), ("A", 5), ("A", 4), ("A", 3), ("A", 1), ("A", None), ("B", 4), ("B", 4), ("B", 2), ("B", 2)]
    return pd.DataFrame({"item": [r[0] for r in rows], "score": [r[1] for r in rows],
                         "survey_kind": "school", "response": "x"})


def test_likert_segments_equal_hand_shares_and_neutral_straddles_zero():
    fig = plots.plot_likert(_survey_frame(), survey_kind="school")
    ax = fig.axes[0]
    assert len(ax.patches) == 2 * 5
    # bars are drawn score by score (5 containers), each with one bar per item (B first, A on top)
    containers = ax.containers
    assert len(containers) == 5
    a_widths = [c.patches[1].get_width() for c in containers]  # item A is the second row
    assert a_widths == pytest.approx([1 / 5, 0, 1 / 5, 1 / 5, 2 / 5])  # n = 5 scored answers
    neutral_a = containers[2].patches[1]
    assert neutral_a.get_x() == pytest.approx(-0.1) and neutral_a.get_x() + neutral_a.get_width() == pytest.approx(0.1)
    b_widths = [c.patches[0].get_width() for c in containers]
    assert b_widths == pytest.approx([0, 0.5, 0, 0.5, 0])
    # disagreeing answers of B end at zero on the left, agreeing start at zero on the right
    assert containers[1].patches[0].get_x() == pytest.approx(-0.5)
    assert containers[3].patches[0].get_x() == pytest.approx(0.0)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["B（n=4）", "A（n=5）"]


def test_likert_filters_kind():
    s = pd.concat([_survey_frame(), _survey_frame().assign(survey_kind="employer", item="C")])
    assert len(plots.plot_likert(s, survey_kind="employer").axes[0].patches) == 5
    assert len(plots.plot_likert(s).axes[0].patches) == 15


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(1, 5)), min_size=1, max_size=60))
def test_likert_shares_sum_to_one(answers):
    s = pd.DataFrame(answers, columns=["item", "score"])
    shares = plots.likert_shares(s)
    np.testing.assert_allclose(shares[[1, 2, 3, 4, 5]].sum(axis=1), 1.0)
    assert shares["n"].sum() == len(s)


# --- enterprise --------------------------------------------------------------------------------------

def _enterprise_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "enterprise": ["甲公司", "甲公司", "乙公司", "丙公司", "丁公司", "戊公司"],
        "year": [2024, 2024, 2024, 2024, 2024, 2023],
        "equipment_value": [100_000.0, 50_000.0, 400_000.0, 20_000.0, 10_000.0, 9e6],
    })


def test_enterprise_sums_firms_and_groups_the_rest():
    fig = plots.plot_enterprise(_enterprise_frame(), year=2024, top=2)
    bars = fig.axes[0].patches
    assert len(bars) == 3  # 乙, 甲 and "其他 2 家企业"
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["其他 2 家企业", "甲公司", "乙公司"]
    assert [b.get_width() for b in bars] == pytest.approx([30_000.0, 150_000.0, 400_000.0])


def test_enterprise_all_firms_when_few():
    fig = plots.plot_enterprise(_enterprise_frame(), top=10, lang="en")
    assert len(fig.axes[0].patches) == 5
    assert "10k yuan" in fig.axes[0].get_xlabel()


# --- forest / funnel / event study ---------------------------------------------------------------------

def _compare_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "indicator": "placement_rate", "cohort": ["order_class", "apprenticeship", "named_class"],
        "reference": "regular", "n_cohort": [120, 60, 40], "n_reference": [900, 900, 900],
        "difference": [0.05, 0.02, -0.01], "ci_low": [0.01, -0.03, -0.08], "ci_high": [0.09, 0.07, 0.06],
        "q_value": [0.01, 0.4, 0.8],
    })


def test_forest_points_and_intervals():
    fig = plots.plot_forest(_compare_frame())
    ax = fig.axes[0]
    pts = ax.collections[-1].get_offsets()
    np.testing.assert_allclose(pts[:, 0], [0.05, 0.02, -0.01])
    segs = ax.collections[0].get_segments()
    assert [(s[0][0], s[1][0]) for s in segs] == [(0.01, 0.09), (-0.03, 0.07), (-0.08, 0.06)]
    colours = [to_hex(c) for c in ax.collections[-1].get_facecolors()]
    assert colours == [plots._BAD, plots._NEUTRAL, plots._NEUTRAL]  # only q < 0.05 is highlighted
    assert "订单班 vs 普通班" in ax.get_yticklabels()[0].get_text()


def _funnel_frame() -> pd.DataFrame:
    n = np.array([40, 80, 160, 320])
    p0 = 0.9
    se = np.sqrt(p0 * (1 - p0) / n)
    return pd.DataFrame({
        "indicator": "placement_rate", "unit": ["数控", "会计", "护理", "电商"], "denominator": n,
        "estimate": [0.70, 0.9, 0.91, 0.89], "overall": p0,
        "lower_95": p0 - 1.96 * se, "upper_95": p0 + 1.96 * se,
        "lower_998": p0 - 3.09 * se, "upper_998": p0 + 3.09 * se,
        "flag": ["低于99.8%控制限", "", "", ""],
    })


def test_funnel_points_limits_and_flagged_unit():
    fig = plots.plot_funnel(_funnel_frame())
    ax = fig.axes[0]
    assert len(ax.collections[0].get_offsets()) == 4
    colours = [to_hex(c) for c in ax.collections[0].get_facecolors()]
    assert colours == [plots._BAD, plots._NEUTRAL, plots._NEUTRAL, plots._NEUTRAL]
    assert len([ln for ln in ax.lines if len(ln.get_xdata()) == 4]) == 4  # four limit lines
    assert [t.get_text() for t in ax.texts] == ["数控"]


def _event_frame() -> pd.DataFrame:
    return pd.DataFrame({"event_time": [-3, -2, -1, 0, 1, 2], "att": [0.0, -0.01, 0.01, 0.05, 0.05, 0.06],
                         "ci_low": [-0.04, -0.05, -0.03, 0.01, 0.0, 0.01],
                         "ci_high": [0.04, 0.03, 0.05, 0.09, 0.1, 0.11]})


def test_event_study_points_and_pre_post_colours():
    fig = plots.plot_event_study(_event_frame())
    ax = fig.axes[0]
    pts = ax.collections[-1].get_offsets()
    np.testing.assert_allclose(pts[:, 0], [-3, -2, -1, 0, 1, 2])
    np.testing.assert_allclose(pts[:, 1], [0.0, -0.01, 0.01, 0.05, 0.05, 0.06])
    colours = [to_hex(c) for c in ax.collections[-1].get_facecolors()]
    assert colours == [plots._TARGET] * 3 + [plots._NEUTRAL] * 3


def test_figure_to_png_is_png():
    png = plots.figure_to_png(plots.plot_event_study(_event_frame()))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000


def _tick_texts(fig, axis: str) -> list[str]:
    fig.canvas.draw()
    ax = fig.axes[0]
    ticks = ax.get_yticklabels() if axis == "y" else ax.get_xticklabels()
    return [t.get_text() for t in ticks]


def test_event_study_ticks_have_the_precision_of_their_steps():
    """Issue 10 item 10: ticks every 2.5 points print as 2.5 steps, not "+2, +5, +8"; event times
    (even as floats) sit at integer ticks labelled as integers."""
    frame = _event_frame().assign(event_time=lambda d: d["event_time"].astype(float))
    fig = plots.plot_event_study(frame)
    ax = fig.axes[0]
    ax.set_ylim(-0.05, 0.1)
    ax.set_yticks(np.arange(-0.05, 0.1001, 0.025))
    labels = _tick_texts(fig, "y")
    expected = [f"{v:+.1f}".replace("-", "−") if abs(v) > 1e-9 else "0.0" for v in np.arange(-5, 10.01, 2.5)]
    assert labels == expected
    assert "+8" not in labels and "+2" not in labels
    assert _tick_texts(fig, "x") == ["−3", "−2", "−1", "0", "+1", "+2"] or \
        _tick_texts(fig, "x") == ["-3", "-2", "-1", "0", "+1", "+2"]
    np.testing.assert_array_equal(ax.get_xticks(), [-3, -2, -1, 0, 1, 2])
    # whole-point steps keep integer labels
    ax.set_yticks([-0.04, -0.02, 0.0, 0.02, 0.04])
    assert _tick_texts(fig, "y") == ["−4", "−2", "0", "+2", "+4"]


def test_forest_difference_axis_uses_the_same_precision_rule():
    c = pd.DataFrame({"indicator": "p", "cohort": ["order_class", "apprenticeship"], "reference": "regular",
                      "difference": [0.05, 0.02], "ci_low": [0.01, -0.03], "ci_high": [0.09, 0.07]})
    fig = plots.plot_forest(c, lang="en")
    fig.axes[0].set_xticks([-0.025, 0.0, 0.025, 0.05, 0.075])
    assert _tick_texts(fig, "x") == ["−2.5", "0.0", "+2.5", "+5.0", "+7.5"]


def test_plots_package_modules_and_functions_are_small():
    import ast

    modules, functions = {}, {}
    for path in sorted(Path(plots.__file__).parent.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        modules[path.name] = len(text.splitlines())
        functions.update({f"{path.name}:{n.name}": n.end_lineno - n.lineno + 1 for n in ast.walk(ast.parse(text))
                          if isinstance(n, ast.FunctionDef)})
    assert len(modules) >= 5
    assert {m: n for m, n in modules.items() if n > 800} == {}
    assert {f: n for f, n in functions.items() if n > 100} == {}
    # the names other modules import from plots (partners/figures.py, report/excel.py) stay reachable
    for name in ("_finish", "_new_axes", "_tr", "_cohort_label", "unit_label", "is_share", "figure_to_png",
                 "font_subset_woff", "points_formatter", "_GOOD", "_BAD", "_NEUTRAL", "_TARGET"):
        assert hasattr(plots, name), name


def _likert_shares_by_crosstab(survey_long: pd.DataFrame, item_col: str = "item") -> pd.DataFrame:
    """The former likert_shares (pd.crosstab on the scored rows): the reference of the bincount."""
    scored = survey_long[survey_long["score"].notna()]
    counts = pd.crosstab(scored[item_col], scored["score"].astype(int)).reindex(columns=[1, 2, 3, 4, 5],
                                                                                fill_value=0)
    n = counts.sum(axis=1)
    shares = counts.div(n.where(n > 0), axis=0)
    shares["n"] = n.astype(float)
    return shares


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["甲", "乙", "丙", None]), st.sampled_from([1, 2, 3, 4, 5, 7, None])),
                min_size=1, max_size=40))
def test_likert_shares_equal_the_crosstab(rows):
    frame = pd.DataFrame({"item": [r[0] for r in rows], "score": pd.array([r[1] for r in rows], dtype="Int64")})
    got, ref = plots.likert_shares(frame), _likert_shares_by_crosstab(frame)
    pd.testing.assert_frame_equal(got, ref, check_index_type=False)


def test_likert_shares_of_the_sample_survey_equal_the_crosstab():
    import coopmetrics as cm

    survey = cm.sample.load_sample()["survey"]
    pd.testing.assert_frame_equal(plots.likert_shares(survey), _likert_shares_by_crosstab(survey),
                                  check_index_type=False)
