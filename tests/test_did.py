"""Tests of coopmetrics.did: a hand-worked example, exact agreement with csdid (a port of R `did`)
on every ATT(g, t) and aggregation, recovery of a known effect, and the shipped sample's truth."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import warnings

import numpy as np
import pandas as pd
import pytest

from coopmetrics.did import (
    EVENT_STUDY_COLUMNS,
    GROUP_TIME_COLUMNS,
    OVERALL_COLUMNS,
    partnership_effect_values,
    partnership_starts,
)
from coopmetrics.errors import InputError, InvalidOptionError


def test_hand_worked_three_majors():
    # major a starts in 2022; b and c never do.
    cells = pd.DataFrame({
        "major": ["a"] * 3 + ["b"] * 3 + ["c"] * 3,
        "grad_year": [2020, 2021, 2022] * 3,
        "value": [0.60, 0.62, 0.75, 0.50, 0.52, 0.55, 0.70, 0.71, 0.74],
    })
    res = partnership_effect_values(cells, start={"a": 2022}, n_boot=200)
    gt = res.group_time.set_index("time")
    # ATT(2022, 2022) = (0.75 - 0.62) - mean(0.55 - 0.52, 0.74 - 0.71) = 0.13 - 0.03 = 0.10
    assert gt.loc[2022, "att"] == pytest.approx(0.10)
    # placebo ATT(2022, 2020) against the base year 2021:
    # (0.60 - 0.62) - mean(0.50 - 0.52, 0.70 - 0.71) = -0.02 + 0.015 = -0.005
    assert gt.loc[2020, "att"] == pytest.approx(-0.005)
    assert gt.loc[2022, "n_treated"] == 1 and gt.loc[2022, "n_control"] == 2
    assert list(res.group_time.columns) == GROUP_TIME_COLUMNS
    assert list(res.event_study.columns) == EVENT_STUDY_COLUMNS
    assert list(res.overall.columns) == OVERALL_COLUMNS
    es = res.event_study.set_index("event_time")
    assert es.loc[-1, "att"] == 0 and es.loc[0, "att"] == pytest.approx(0.10)
    assert res.overall.set_index("aggregation").loc["simple", "att"] == pytest.approx(0.10)


def _panel(seed=3, n_units=30, effect=0.05, pretrend=0.0):
    rng = np.random.default_rng(seed)
    years = np.arange(2016, 2025)
    starts = rng.choice([0, 2018, 2019, 2020, 2021, 2022, 2026], size=n_units)
    a = rng.normal(0.7, 0.05, n_units)
    ye = rng.normal(0, 0.02, len(years))
    rows = []
    for i in range(n_units):
        for j, t in enumerate(years):
            post = starts[i] > 0 and t >= starts[i]
            # optional violation of parallel trends: later-treated units drift upwards
            drift = pretrend * (t - 2016) * (starts[i] > 0)
            rows.append((f"m{i:02d}", t, a[i] + ye[j] + effect * post + drift + rng.normal(0, 0.02)))
    df = pd.DataFrame(rows, columns=["major", "grad_year", "value"])
    start = {f"m{i:02d}": int(s) for i, s in enumerate(starts) if s > 0}
    return df, start


def _csdid(df, start, control, base_period):
    from csdid.att_gt import ATTgt

    d = df.copy()
    d["id"] = d["major"].str[1:].astype(int)
    d["g"] = d["major"].map(start).fillna(0).astype(int)
    d.loc[d["g"] > d["grad_year"].max(), "g"] = 0  # treated after the panel = never treated (as R did)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        m = ATTgt(yname="value", tname="grad_year", idname="id", gname="g", data=d,
                  control_group=control).fit(est_method="reg", base_period=base_period)
        aggs = {}
        for typ in ("simple", "group", "dynamic"):
            m.aggte(typec=typ)
            aggs[typ] = dict(m.atte)
    gt = pd.DataFrame({"group": m.results["group"], "time": m.results["year"], "att": m.results["att"],
                       "se": m.results["se"]})
    return gt, aggs


@pytest.mark.parametrize("control,cs_control", [("not_yet_treated", "notyettreated"),
                                                ("never_treated", "nevertreated")])
@pytest.mark.parametrize("base_period", ["universal", "varying"])
def test_matches_csdid(control, cs_control, base_period):
    df, start = _panel()
    res = partnership_effect_values(df, start, control=control, base_period=base_period, n_boot=999, seed=1)
    gt_cs, aggs = _csdid(df, start, cs_control, base_period)
    m = res.group_time.merge(gt_cs, on=["group", "time"], suffixes=("", "_cs"))
    m = m[m["att_cs"] != 0]  # csdid lists the universal reference period with att 0
    assert len(m) >= 30
    assert m["att"].to_numpy() == pytest.approx(m["att_cs"].to_numpy(), abs=1e-12)
    # bootstrap over majors vs csdid's multiplier bootstrap: same scale, Monte Carlo noise only
    ratio = m["se"] / m["se_cs"]
    assert 0.75 < ratio.median() < 1.3
    ov = res.overall.set_index("aggregation")
    for typ in ("simple", "group", "dynamic"):
        assert ov.loc[typ, "att"] == pytest.approx(aggs[typ]["overall_att"], abs=1e-12)
        assert ov.loc[typ, "se"] == pytest.approx(float(np.ravel(aggs[typ]["overall_se"])[0]), rel=0.3)
    es = res.event_study.set_index("event_time")["att"]
    cs_es = pd.Series(np.asarray(aggs["dynamic"]["att_egt"], dtype=float), index=aggs["dynamic"]["egt"])
    common = es.index.intersection(cs_es.index)
    assert es.loc[common].to_numpy() == pytest.approx(cs_es.loc[common].to_numpy(), abs=1e-12)


def test_recovers_known_effect_and_detects_pretrends():
    df, start = _panel(seed=11, effect=0.05)
    res = partnership_effect_values(df, start, n_boot=999)
    grp = res.overall.set_index("aggregation").loc["group"]
    assert grp["ci_low"] < 0.05 < grp["ci_high"]
    assert grp["ci_low"] > 0  # and it is distinguishable from no effect
    assert res.pre_trend_p > 0.01
    post = res.event_study[res.event_study["event_time"] >= 0]
    assert ((post["ci_low"] < 0.05) & (0.05 < post["ci_high"])).mean() >= 0.8
    # treated units drifting upwards before their start: the joint pre-trend test rejects
    bad, start_b = _panel(seed=11, effect=0.05, pretrend=0.01)
    assert partnership_effect_values(bad, start_b, n_boot=999).pre_trend_p < 0.01


def test_unit_level_rows_are_averaged_into_cells():
    df, start = _panel(seed=5, n_units=12)
    rng = np.random.default_rng(0)
    # each cell becomes 4 graduates whose values average to the cell value
    noise = rng.normal(0, 0.1, (len(df), 4))
    noise -= noise.mean(axis=1, keepdims=True)
    units = df.loc[df.index.repeat(4)].reset_index(drop=True)
    units["value"] = units["value"] + noise.ravel()
    a = partnership_effect_values(df, start, n_boot=50, seed=3)
    b = partnership_effect_values(units, start, n_boot=50, seed=3)
    assert a.group_time["att"].to_numpy() == pytest.approx(b.group_time["att"].to_numpy(), abs=1e-12)
    assert a.overall["se"].to_numpy() == pytest.approx(b.overall["se"].to_numpy())


def test_starts_from_enterprises_and_statuses():
    import coopmetrics as cm

    ent = pd.DataFrame({
        "enterprise": ["x", "y", "z", "w", "v"], "year": 2023,
        "major": ["a", "a", "b", "c", "d"], "form": ["订单培养", "产业学院", "产业学院", "实习基地", "产业学院"],
        "partnership_start": [2010, 2021, 2022, 2012, 2030],
    })
    ds = cm.Dataset(enterprises=ent)
    assert partnership_starts(ds) == {"a": 2010, "b": 2022, "c": 2012, "d": 2030}
    assert partnership_starts(ds, forms="产业学院") == {"a": 2021, "b": 2022, "d": 2030}
    df, _ = _panel(seed=2, n_units=6)
    df["major"] = df["major"].map({"m00": "a", "m01": "b", "m02": "c", "m03": "d", "m04": "e", "m05": "f"})
    res = partnership_effect_values(df, {"a": 2010, "b": 2022, "d": 2030}, n_boot=50)
    st = res.starts.set_index("unit")["status"]
    assert st["a"] == "always_treated" and st["b"] == "treated"
    assert st["d"] == "treated_after_panel" and st["c"] == "never_treated"
    assert res.overall["n_treated_units"].iloc[0] == 1
    assert res.overall["n_never_treated"].iloc[0] == 4  # c, d, e, f; a is left out
    assert "excluded" in res.summary() and "排除" not in res.summary()
    assert "剔除" in res.summary(lang="zh")


def test_errors_and_immutability():
    df, start = _panel(seed=1, n_units=6)
    with pytest.raises(InputError, match="nothing to estimate") as e:
        partnership_effect_values(df, {"m00": 2010}, n_boot=50)
    assert "无法估计" in str(e.value)
    with pytest.raises(InvalidOptionError, match="must be one of"):
        partnership_effect_values(df, start, control="not_yet")
    res = partnership_effect_values(df, start, n_boot=50)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.indicator = "x"


@pytest.fixture(scope="module")
def sample_ds():
    pytest.importorskip("coopmetrics.compute")
    from coopmetrics import sample

    return sample.generate()


def test_sample_partnership_effect_recovered(sample_ds):
    from coopmetrics.did import partnership_effect
    from coopmetrics.sample import TRUE_EFFECTS

    res = partnership_effect(sample_ds, "placement_rate", start_forms="产业学院", n_boot=999)
    row = res.overall.set_index("aggregation").loc["group"]
    truth = TRUE_EFFECTS["placed_partnership"].value
    assert row["ci_low"] <= truth <= row["ci_high"]
    sal = partnership_effect(sample_ds, "salary_mean", start_forms="产业学院", n_boot=999)
    srow = sal.overall.set_index("aggregation").loc["group"]
    assert srow["ci_low"] <= TRUE_EFFECTS["monthly_salary_partnership"].value <= srow["ci_high"]


def test_result_object_tidy_plot_and_html():
    cells = pd.DataFrame({"major": list("aaabbbccc"), "grad_year": [2020, 2021, 2022] * 3,
                          "value": [0.5, 0.52, 0.7, 0.5, 0.5, 0.53, 0.6, 0.61, 0.62]})
    res = partnership_effect_values(cells, start={"a": 2022}, n_boot=50)
    both = pd.concat([res.tidy(), res.tidy()], ignore_index=True)
    assert len(both) == 2 * len(res.overall) and res.table is res.overall
    es = res.tidy("event_study")
    assert es.equals(res.event_study) and es is not res.event_study
    fig = res.plot(lang="en")
    assert len(fig.axes[0].collections[-1].get_offsets()) == len(res.event_study)
    html = res._repr_html_()
    assert "<table" in html and "pre-trend" in html


@pytest.mark.parametrize("indicator", ["placement_rate", "salary_mean", "job_relevance_rate", "turnover_rate"])
def test_engine_cells_give_the_unit_value_numbers(sample_ds, indicator, monkeypatch):
    """compute() by unit x year gives the same cells, hence the same ATTs, as averaging unit values."""
    import sys

    from coopmetrics.compute import unit_values
    from coopmetrics.did import partnership_effect, partnership_effect_values, partnership_starts

    start = partnership_starts(sample_ds, "major", "产业学院")
    v = unit_values(sample_ds, indicator, columns=("major", "grad_year"))
    old = partnership_effect_values(v, start=start, indicator=indicator, n_boot=199, seed=7)

    def _fail(*a, **k):
        raise AssertionError("unit_values called")

    monkeypatch.setattr(sys.modules["coopmetrics.compute"], "unit_values", _fail)  # the engine route only
    new = partnership_effect(sample_ds, indicator, start=start, n_boot=199, seed=7)
    for part in ("overall", "event_study", "group_time"):
        pd.testing.assert_frame_equal(getattr(new, part), getattr(old, part), check_exact=False, rtol=1e-10,
                                      atol=1e-12)
