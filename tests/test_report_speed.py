"""The report's shortcuts compute what the long way computes (issue 16, item 6).

Each speed-up of the yearly report replaces a slower route by a cheaper one; these tests run
both routes on the shipped sample (or a small hand-made dataset) and assert that they agree,
so a change of a definition that breaks a shortcut's premise fails here, not in a user's report.
"""

from __future__ import annotations

import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import coopmetrics as cm
from coopmetrics.registry import Options
from coopmetrics.report import bundle

NUMERIC = ["numerator", "denominator", "n", "estimate", "se", "ci_low", "ci_high", "n_eff", "deff",
           "response_rate"]


@pytest.fixture(scope="module")
def sample() -> cm.Dataset:
    return cm.sample.load_sample()


@pytest.fixture(scope="module")
def ids() -> list[str]:
    return [str(i) for i in cm.indicators()["id"]]


# --- survey items: one compute for every item ---------------------------------------------------------

@pytest.mark.parametrize(("ind", "option", "expected"), [
    ("school_satisfaction", "survey_items", False),      # the overall item: valid_answer ignores survey_items
    ("school_satisfaction_items", "survey_items", True),  # the pool: valid_response restricts to the items
    ("school_satisfaction", "overall_items", True),
    ("placement_rate", "survey_items", False),
])
def test_reads_option(ind, option, expected):
    assert bundle.reads_option(ind, option) is expected


@pytest.mark.parametrize("options", [None, Options(survey_weights=None), Options(survey_se="weighted")])
def test_survey_items_from_the_trend_equal_one_compute_per_item(sample, options):
    """The per-item rows taken from the trend call equal ``compute()`` with ``survey_items=(item,)``."""
    ids = ["placement_rate", "school_satisfaction", "employer_satisfaction"]
    kw = {} if options is None else {"options": options}
    trend = cm.compute(sample, ids, by=("grad_year",), **kw)
    fast = bundle._survey_items(sample, ids, options, "school", (), trend=trend, indicator="school_satisfaction")
    slow = _items_one_call_per_item(sample, "school_satisfaction", "school", options)
    items = bundle.survey_items_of(sample, "school")
    assert len(items) >= 3 and list(pd.unique(fast["survey_item"])) == items
    assert len(fast) == len(slow) > 0
    for c in ("survey_item", "grad_year", "status", "edition"):
        assert fast[c].astype(str).tolist() == slow[c].astype(str).tolist()
    for c in NUMERIC:
        np.testing.assert_array_equal(fast[c].to_numpy(float), slow[c].to_numpy(float), err_msg=c)


def _items_one_call_per_item(data, ind, kind, options, lead=()):
    """The long route: ``compute()`` once per questionnaire item with ``survey_items=(item,)``."""
    opts0 = Options() if options is None else options
    frames = []
    for item in bundle.survey_items_of(data, kind):
        opts = replace(opts0, survey_items={**dict(opts0.survey_items), kind: (str(item),)})
        frames.append(cm.compute(data, [ind], by=(*lead, "grad_year"), options=opts).assign(survey_item=str(item)))
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("options", [None, Options(survey_weights=None), Options(survey_se="weighted"),
                                     Options(survey_items={"school": ("教学满意度",)})])
def test_survey_items_of_a_definition_that_reads_them_in_one_call(sample, monkeypatch, options):
    """A definition that reads ``survey_items`` (the item pool) is computed for every item in one
    ``compute()`` call whose rows equal one call per item (raked per item, the other items unseen)."""
    ind = "school_satisfaction_items"
    slow = _items_one_call_per_item(sample, ind, "school", options)
    calls = []
    real = cm.compute

    def spy(*a, **k):
        calls.append(a[1])
        return real(*a, **k)

    monkeypatch.setattr(sys.modules["coopmetrics.compute"], "compute", spy)
    fast = bundle._survey_items(sample, [ind], options, "school", (), trend=None, indicator=ind)
    assert len(calls) == 1
    items = bundle.survey_items_of(sample, "school")
    assert len(items) >= 3 and fast["survey_item"].unique().tolist() == items
    assert (fast["indicator"] == ind).all()
    assert len(fast) == len(slow)
    for c in ("survey_item", "grad_year", "status", "note"):
        assert fast[c].astype(str).tolist() == slow[c].astype(str).tolist(), c
    for c in NUMERIC:
        np.testing.assert_allclose(fast[c].to_numpy(float), slow[c].to_numpy(float), rtol=1e-12, atol=0,
                                   err_msg=c)
    # the items differ from each other (each item's own share, not the pool's)
    est = fast[fast["grad_year"] == 2024].set_index("survey_item")["estimate"]
    assert est.nunique() == len(items)


def test_survey_items_by_college_from_the_trend(sample):
    """With a leading split column the reused rows keep it, item by item, as the per-item calls do."""
    g = sample["graduates"]
    two = sample.replace(graduates=g.assign(college=np.where(np.arange(len(g)) % 2 == 0, "甲", "乙")))
    ids = ["school_satisfaction"]
    trend = cm.compute(two, ids, by=("college", "grad_year"))
    fast = bundle._survey_items(two, ids, None, "school", ("college",), trend=trend, indicator="school_satisfaction")
    slow = _items_one_call_per_item(two, "school_satisfaction", "school", None, lead=("college",))
    assert fast[["survey_item", "college", "grad_year"]].astype(str).values.tolist() == \
        slow[["survey_item", "college", "grad_year"]].astype(str).values.tolist()
    np.testing.assert_array_equal(fast["estimate"].to_numpy(float), slow["estimate"].to_numpy(float))


# --- partner section: only what the report shows -----------------------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_partner_section_equals_report_section(sample, lang):
    """The report's partner flags and figures equal those of ``report_section`` (which also draws ranks)."""
    import matplotlib.pyplot as plt

    from coopmetrics.partners.appendix import report_section
    from coopmetrics.report.build import _partner_section

    flags, figs = _partner_section(sample, 2024, lang, None)
    sec = report_section(sample, 2024, lang=lang)
    full = sec.tables["flags"]
    assert len(flags) == len(full) > 0
    shown = [c for c in flags.columns if not c.startswith("rank") and c != "n_ranked"]
    pd.testing.assert_frame_equal(flags[shown], full[shown])
    assert set(figs) == {k for k in ("funnel", "survival") if k in sec.figures}
    for key, fig in figs.items():
        other = sec.figures[key]
        assert [t.get_text() for ax in fig.axes for t in ax.texts] == \
            [t.get_text() for ax in other.axes for t in ax.texts]
        for a, b in zip(fig.axes, other.axes, strict=True):
            assert a.get_title() == b.get_title()
            for la, lb in zip(a.get_lines(), b.get_lines(), strict=True):
                np.testing.assert_array_equal(la.get_xydata(), lb.get_xydata())
    plt.close("all")


# --- figures: fast PNG encoding, same pixels ----------------------------------------------------------

def test_figure_png_has_the_pixels_of_the_default_encoding():
    """``figure_to_png`` (zlib level 1) decodes to exactly the pixels of matplotlib's default PNG."""
    import io

    from matplotlib.figure import Figure
    from PIL import Image

    from coopmetrics import plots

    frame = pd.DataFrame({"indicator": "placement_rate", "name_zh": "毕业去向落实率", "grad_year": [2022, 2023, 2024],
                          "estimate": [0.91, 0.93, 0.92], "ci_low": [0.89, 0.91, 0.9], "ci_high": [0.93, 0.95, 0.94],
                          "unit": "share", "status": "reported"})
    fig = plots.plot_trend(frame, "placement_rate")
    assert isinstance(fig, Figure)
    fast = plots.figure_to_png(fig)
    ref = io.BytesIO()
    fig.savefig(ref, format="png", dpi=110)  # Pillow's default compression
    a = np.asarray(Image.open(io.BytesIO(fast)))
    b = np.asarray(Image.open(io.BytesIO(ref.getvalue())))
    assert a.shape == b.shape and a.shape[0] > 100
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_figures_png_have_the_pixels_of_savefig(sample, lang):
    """Every report figure drawn once by ``figure_to_png`` equals matplotlib's ``savefig`` pixel for pixel."""
    import io

    import matplotlib.pyplot as plt
    from PIL import Image

    from coopmetrics import plots
    from coopmetrics.report import build_report

    def pixels(png: bytes) -> np.ndarray:
        return np.asarray(Image.open(io.BytesIO(png)))

    fast = build_report(sample, 2024, lang=lang).figures
    ref = build_report(sample, 2024, lang=lang).figures  # fresh figures: nothing drawn before
    assert len(fast) >= 10
    for key, fig in fast.items():
        buf = io.BytesIO()
        ref[key].savefig(buf, format="png", dpi=110)
        a, b = pixels(plots.figure_to_png(fig)), pixels(buf.getvalue())
        assert a.shape == b.shape, key
        assert (a == b).all(), key
        assert fig.dpi == ref[key].dpi  # the figure's own dpi is restored
    plt.close("all")


# --- cohort comparisons: one compare() call for the raw rows ----------------------------------------

COHORT = ["placement_rate", "job_relevance_rate", "salary_mean", "turnover_rate"]


def test_raw_comparisons_equal_one_call_per_indicator(sample):
    """Rows, numbers and q-values of the stacked raw call equal ``compare()`` per indicator."""
    from coopmetrics.compare import compare

    g = sample["graduates"]
    data = sample.replace(graduates=g[g["grad_year"] == 2024])
    stacked = bundle._raw_comparisons(data, COHORT, None)
    assert stacked is not None and list(stacked) == COHORT
    for ind in COHORT:
        alone = bundle._comparison_table(compare(data, ind, cohort="program", reference="regular"))
        assert len(alone) >= 3  # order, apprenticeship and named classes against regular
        pd.testing.assert_frame_equal(stacked[ind], alone, check_exact=True)


def test_cohorts_fall_back_per_indicator_when_one_fails(sample):
    """An indicator that cannot be compared is reported as an error; the others are still compared."""
    g = sample["graduates"].drop(columns=["monthly_salary"])
    data = sample.replace(graduates=g)
    assert bundle._raw_comparisons(data.replace(graduates=g[g["grad_year"] == 2024]), COHORT, None) is None
    out = bundle.compute_cohorts(data, 2024, COHORT)
    failed = {e[0] for e in out["errors"]}
    assert "salary_mean" in failed
    compared = set(out["cohorts"]["indicator"].astype(str))
    assert {"placement_rate", "job_relevance_rate", "turnover_rate"} <= compared
    assert "salary_mean" not in compared
    # calls are numbered in loop order (raw, adjusted) per indicator, with no gaps for the raw rows
    calls = out["cohorts"].groupby(out["cohorts"]["indicator"].astype(str), sort=False)["_call"].unique()
    assert calls["placement_rate"].tolist() == [0, 1]


def test_cohorts_equal_the_per_indicator_route(sample, monkeypatch):
    """``compute_cohorts`` gives the frame of one compare() call per indicator and covariate set."""
    fast = bundle.compute_cohorts(sample, 2024, COHORT)
    monkeypatch.setattr(bundle, "_raw_comparisons", lambda *a, **k: None)  # the per-indicator route
    slow = bundle.compute_cohorts(sample, 2024, COHORT)
    assert fast["errors"] == slow["errors"] and fast["adjust"] == slow["adjust"]
    assert fast["cohorts"]["adjusted"].astype(bool).any()  # raw and adjusted rows both present
    pd.testing.assert_frame_equal(fast["cohorts"], slow["cohorts"], check_exact=True)


# --- the whole report: shortcuts off and on give the same tables -------------------------------------

def _slow_partner_section(data, year, lang, options):
    """The report's partner section taken from ``report_section`` (the route before the shortcut)."""
    from coopmetrics.partners.appendix import report_section

    sec = report_section(data, year, lang=lang, options=options)
    return sec.tables["flags"], {k: sec.figures[k] for k in ("funnel", "survival") if k in sec.figures}


@pytest.mark.parametrize(("lang", "disclosure"), [("zh", "none"), ("en", "hesa")])
def test_report_tables_equal_without_the_shortcuts(sample, monkeypatch, lang, disclosure):
    """Every table, note and key figure of the report is the same with each shortcut replaced by
    the long route (per-item survey calls, per-indicator comparisons, the full partner section)."""
    import matplotlib.pyplot as plt

    from coopmetrics.report import build as build_mod
    from coopmetrics.report import build_report

    fast = build_report(sample, 2024, lang=lang, disclosure=disclosure, platform=True)
    monkeypatch.setattr(bundle, "reads_option", lambda ind, option: True)
    monkeypatch.setattr(bundle, "_raw_comparisons", lambda *a, **k: None)
    monkeypatch.setattr(build_mod, "_partner_section", _slow_partner_section)
    slow = build_report(sample, 2024, lang=lang, disclosure=disclosure, platform=True)
    assert list(fast.tables) == list(slow.tables)
    assert {"feedback", "cohorts", "partners"} <= set(fast.tables)
    for name in fast.tables:
        a, b = fast.tables[name], slow.tables[name]
        if name == "about":  # the generation time may tick over between the two builds
            a, b = a.iloc[[i for i in range(len(a)) if i != 3]], b.iloc[[i for i in range(len(b)) if i != 3]]
        pd.testing.assert_frame_equal(a, b, check_exact=True, obj=name)
    assert fast.notes == slow.notes and list(fast.figures) == list(slow.figures)
    assert repr(fast.key_figures) == repr(slow.key_figures)
    plt.close("all")


def test_workbook_in_memory_has_the_bytes_of_temporary_files(sample, tmp_path, monkeypatch):
    """Building the sheets in memory writes the workbook xlsxwriter writes through temporary files."""
    import zipfile

    import xlsxwriter

    from coopmetrics.report import build_report

    rep = build_report(sample, 2024, figures=False, partners=False)
    rep.to_excel(tmp_path / "memory.xlsx")
    real = xlsxwriter.Workbook

    def on_disk(path, options=None):
        return real(path, {**(options or {}), "in_memory": False})

    monkeypatch.setattr(xlsxwriter, "Workbook", on_disk)
    rep.to_excel(tmp_path / "disk.xlsx")
    a, b = zipfile.ZipFile(tmp_path / "memory.xlsx"), zipfile.ZipFile(tmp_path / "disk.xlsx")
    assert a.namelist() == b.namelist() and len(a.namelist()) > 20
    differ = [n for n in a.namelist() if a.read(n) != b.read(n)]
    assert differ in ([], ["docProps/core.xml"])  # only the creation time may tick over


# --- registry frame, definitions, targets and year-over-year: built once, same values -----------------

def test_registry_frame_equals_indicators_and_follows_registration():
    """The cached registry frame is ``cm.indicators()``; a newly registered indicator shows at once."""
    from coopmetrics.registry import get_indicator, register_indicator
    from coopmetrics.report.labels import registry_frame
    from coopmetrics.report.settings import definitions_table

    pd.testing.assert_frame_equal(registry_frame(), cm.indicators(), check_exact=True)
    mine = registry_frame()
    mine.loc[0, "kind"] = "changed by the caller"  # a copy: the caller cannot damage the cache
    assert registry_frame().loc[0, "kind"] == cm.indicators().loc[0, "kind"] != "changed by the caller"
    toy = replace(get_indicator("placement_rate"), id="toy_report_cache_placement")
    with register_indicator(toy):
        assert "toy_report_cache_placement" in set(registry_frame()["id"])
        assert definitions_table(["toy_report_cache_placement"], lang="en")["indicator"].tolist() == [toy.id]
        pd.testing.assert_frame_equal(registry_frame(), cm.indicators(), check_exact=True)
    assert "toy_report_cache_placement" not in set(registry_frame()["id"])
    assert definitions_table(["toy_report_cache_placement"], lang="en").empty


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_definitions_table_from_the_cache_equals_a_fresh_build(lang, monkeypatch):
    """The cached definitions equal a table built anew, for every id and a subset."""
    from coopmetrics.report import settings as report_settings

    first = report_settings.definitions_table(lang=lang)
    part = report_settings.definitions_table(["salary_mean", "placement_rate"], lang=lang)
    monkeypatch.setattr(report_settings, "_DEFINITIONS", {})  # an empty cache: built from the registry again
    pd.testing.assert_frame_equal(report_settings.definitions_table(lang=lang), first, check_exact=True)
    assert part["indicator"].tolist() == ["placement_rate", "salary_mean"]  # registry order
    pd.testing.assert_frame_equal(part, first[first["indicator"].isin(["salary_mean", "placement_rate"])]
                                  .reset_index(drop=True), check_exact=True)


def test_target_judgement_with_the_registry_directions_equals_compare_targets(sample, ids):
    """``meets_target`` with the directions passed as a column equals compare_targets' own registry lookup."""
    from coopmetrics.report.build import _with_target_judgement
    from coopmetrics.targets import compare_targets

    res = cm.compute(sample, ids, by=("grad_year",))
    reg = cm.indicators()
    fast = _with_target_judgement(res, compare_targets, dict(zip(reg["id"], reg["direction"], strict=True)))
    slow = res.assign(meets_target=compare_targets(res)["meets_target"].to_numpy())  # the registry lookup
    assert fast["meets_target"].notna().sum() > 20 and (reg["direction"] == "lower").any()
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)


def test_year_over_year_with_the_registry_kinds_equals_its_own_lookup(sample, ids):
    """year_over_year with a ``kind`` column (the report's) equals the registry lookup it does alone,
    and the 摘要 built from that result equals the one that computes it itself."""
    from coopmetrics.report.layouts import HEADLINE
    from coopmetrics.report.official import summary_table
    from coopmetrics.targets import year_over_year

    res = cm.compute(sample, ids, by=("grad_year",))
    two = res[res["grad_year"].isin([2023, 2024])]
    reg = cm.indicators()
    kinds = two["indicator"].map(dict(zip(reg["id"], reg["kind"], strict=True)))
    assert kinds.notna().all() and {"proportion", "mean", "count"} <= set(kinds)
    fast = year_over_year(two.assign(kind=kinds))
    pd.testing.assert_frame_equal(fast, year_over_year(two), check_exact=True)
    for lang in ("zh", "en"):
        pd.testing.assert_frame_equal(summary_table(res, res, HEADLINE, 2024, lang, False, yoy=fast),
                                      summary_table(res, res, HEADLINE, 2024, lang, False), check_exact=True)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_text_width_is_the_character_rule(text):
    """Two columns per character above U+2E80 (CJK), one otherwise, as the per-character loop counted."""
    from coopmetrics.report.labels import text_width

    assert text_width(text) == sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
    assert text_width(text + "中") == text_width(text) + 2 and text_width(text + "a") == text_width(text) + 1
