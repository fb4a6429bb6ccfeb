"""Durability (长效机制): Kaplan–Meier against statsmodels and a hand computation, churn, tenure bands."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.duration.survfunc import SurvfuncRight

import coopmetrics as cm
from coopmetrics.errors import InvalidOptionError
from coopmetrics.partners import partner_churn, partner_scorecard, partnership_survival, tenure_outcomes
from coopmetrics.partners.durability import kaplan_meier, partner_durations


def _ledger() -> pd.DataFrame:
    """Five partners over 2020-2024 (the ledger's last year is 2024).

    A: 2020-2024 (start 2018)  -> duration 7, censored, entry 2 (seen from 2020 only)
    B: 2020-2021               -> duration 2, ended
    C: 2021-2024 with a gap in 2022 -> duration 4, censored; returns in 2023
    D: 2022-2022               -> duration 1, ended
    E: 2023-2024               -> duration 2, censored
    """
    rows = [("甲有限公司", y, 2018) for y in range(2020, 2025)] + [("乙有限公司", 2020, 2020), ("乙有限公司", 2021, 2020)]
    rows += [("丙有限公司", y, 2021) for y in (2021, 2023, 2024)] + [("丁有限公司", 2022, 2022)]
    rows += [("戊有限公司", 2023, 2023), ("戊股份有限公司", 2024, 2023)]  # spelling changes: still one partner
    return pd.DataFrame(rows, columns=["enterprise", "year", "partnership_start"])


def test_durations_by_hand():
    d = partner_durations(_ledger()).set_index("partner_key")
    assert d["duration"].to_dict() == {"甲": 7, "乙": 2, "丙": 4, "丁": 1, "戊": 2}
    assert d["ended"].to_dict() == {"甲": False, "乙": True, "丙": False, "丁": True, "戊": False}
    assert d["entry"].to_dict() == {"甲": 2, "乙": 0, "丙": 0, "丁": 0, "戊": 0}
    assert d.loc["戊", "enterprise"] in {"戊有限公司", "戊股份有限公司"}
    led = partner_durations(_ledger(), origin="ledger").set_index("partner_key")
    assert led.loc["甲", "duration"] == 5 and led.loc["甲", "entry"] == 0


def test_kaplan_meier_by_hand():
    km = partnership_survival(cm.Dataset(enterprises=_ledger())).set_index("time")
    # (entry, time, event): 甲 (2, 6, censored: active in 2024 after 7 years -> lasts > 6), 乙 (0, 2, ended),
    # 丙 (0, 3, censored), 丁 (0, 1, ended), 戊 (0, 1, censored). At risk when entry < t <= time.
    # t=1: 乙丙丁戊 = 4, 丁 ends -> S = 3/4; t=2: 乙丙 = 2, 乙 ends -> S = 3/8; t=3: 丙甲 = 2; t=6: 甲 = 1
    assert km.index.tolist() == [1, 2, 3, 6]
    assert km["at_risk"].tolist() == [4, 2, 2, 1] and km["events"].tolist() == [1, 1, 0, 0]
    np.testing.assert_allclose(km["survival"], [0.75, 0.375, 0.375, 0.375])
    # Greenwood by hand at t = 2: S² (1/(4·3) + 1/(2·1))
    assert km.loc[2, "se"] == pytest.approx(0.375 * np.sqrt(1 / 12 + 1 / 2))


def test_kaplan_meier_recovers_a_known_hazard():
    """Simulated ledger: every partnership ends each year with probability 0.15 -> S(t) = 0.85^t."""
    rng = np.random.default_rng(7)
    n = 20_000
    start, length = rng.integers(2012, 2024, n), rng.geometric(0.15, n)
    k, s = np.repeat(np.arange(n), length), np.repeat(start, length)
    y = s + np.arange(k.size) - np.repeat(np.cumsum(length) - length, length)
    seen = (y >= 2015) & (y <= 2024)
    led = pd.DataFrame({"enterprise": pd.Series(k[seen]).map("模拟{:05d}有限公司".format), "year": y[seen],
                        "partnership_start": s[seen]})
    km = partnership_survival(led).set_index("time")
    t = np.arange(1, 9)
    truth = 0.85**t
    assert (np.abs(km.loc[t, "survival"] - truth) < 3 * km.loc[t, "se"] + 1e-3).all()
    # the naive censoring at `duration` would be biased upwards by several SEs at t = 8
    assert km.loc[8, "ci_low"] < truth[-1] < km.loc[8, "ci_high"]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000))
def test_kaplan_meier_equals_statsmodels_with_delayed_entry(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 80))
    time = rng.integers(1, 12, n)
    event = rng.random(n) < 0.6
    entry = np.minimum(rng.integers(0, 4, n), time - 1)
    km = kaplan_meier(time, event, entry)
    sf = SurvfuncRight(time, event.astype(int), entry=entry)
    ev = km[km["events"] > 0]
    np.testing.assert_allclose(ev["time"], sf.surv_times)
    np.testing.assert_allclose(ev["survival"], sf.surv_prob, rtol=1e-12, atol=1e-12)  # statsmodels: 8e-17 for 0
    np.testing.assert_allclose(ev["at_risk"], sf.n_risk)
    np.testing.assert_allclose(ev["se"], sf.surv_prob_se, rtol=1e-9, atol=1e-12)


def test_kaplan_meier_interval_contains_estimate():
    rng = np.random.default_rng(0)
    km = kaplan_meier(rng.integers(1, 10, 200), rng.random(200) < 0.5)
    ok = km["ci_low"].notna()
    assert ((km.loc[ok, "ci_low"] <= km.loc[ok, "survival"]) & (km.loc[ok, "survival"] <= km.loc[ok, "ci_high"])).all()
    assert km["survival"].is_monotonic_decreasing


def test_churn_by_hand():
    c = partner_churn(_ledger()).set_index("year")
    assert c["active"].to_dict() == {2020: 2, 2021: 3, 2022: 2, 2023: 3, 2024: 3}
    assert c["new"].to_dict() == {2020: 1, 2021: 1, 2022: 1, 2023: 1, 2024: 0}  # 2020: only B started in 2020
    assert c["ended"].to_dict() == {2020: 0, 2021: 0, 2022: 2, 2023: 1, 2024: 0}  # 2022: B, C; 2023: D
    assert c["returning"].to_dict() == {2020: 0, 2021: 0, 2022: 0, 2023: 1, 2024: 0}  # C
    assert c["continuing"].to_dict() == {2020: 0, 2021: 2, 2022: 1, 2023: 1, 2024: 3}
    assert c.loc[2022, "churn_rate"] == pytest.approx(2 / 3)
    # tenure >= 3 years: 2020: A (3rd year); 2023: A, C (3rd year: 2021-2023)
    assert c.loc[2020, "active_3y"] == 1 and c.loc[2023, "active_3y"] == 2
    assert c.loc[2023, "share_active_3y"] == pytest.approx(2 / 3)
    assert np.isnan(c.loc[2020, "churn_rate"])


def test_sample_ledger_never_loses_a_partner():
    """The synthetic college keeps every partner (documented): KM is flat at 1, churn is zero."""
    ds = cm.sample.generate()
    km = partnership_survival(ds)
    assert (km["survival"] == 1).all() and km["events"].sum() == 0
    c = partner_churn(ds)
    assert (c["ended"] == 0).all()
    assert (c["active"] == ds["enterprises"].groupby("year")["enterprise"].nunique().to_numpy()).all()


def test_tenure_outcomes_pool_partners_by_band():
    ds = cm.sample.generate()
    sc = partner_scorecard(ds)
    out = tenure_outcomes(sc, ["intern_hire_rate"])
    t = sc.table
    band = pd.cut(t["tenure_years"], [0, 1, 2, 4, np.inf], labels=["1年", "2年", "3-4年", "5年及以上"])
    has = t["intern_hire_rate_denominator"] > 0
    hand = t[has].groupby(band[has], observed=True)[["intern_hire_rate_numerator",
                                                     "intern_hire_rate_denominator"]].sum()
    got = out.set_index("tenure_band")
    np.testing.assert_array_equal(got["numerator"], hand["intern_hire_rate_numerator"].reindex(got.index))
    np.testing.assert_array_equal(got["denominator"], hand["intern_hire_rate_denominator"].reindex(got.index))
    from scipy.stats import chi2_contingency

    tab = np.column_stack([hand.iloc[:, 0], hand.iloc[:, 1] - hand.iloc[:, 0]])
    assert got["p_value"].iloc[0] == pytest.approx(chi2_contingency(tab)[1])
    with pytest.raises(InvalidOptionError):
        tenure_outcomes(partner_scorecard(ds, 2024, by="department"))
