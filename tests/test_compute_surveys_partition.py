"""Raking within colleges: grouped by college, each college's survey shares equal computing it alone.

``compute(by=("college", "grad_year"))`` rakes every college's respondents to ITS OWN roster
(cells indicator × college × year, ``schema.PARTITION``), so the rows of college X must equal
``compute(by=("grad_year",))`` on X's rows alone, bit for bit: estimate, interval, n, effective n.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import coopmetrics as cm
from coopmetrics import compute_surveys
from coopmetrics.weighting import rake

RAKED = [i for i in cm.indicators().query("table == 'survey'")["id"] if not str(i).startswith("employer")]
EXACT = ["estimate", "se", "ci_low", "ci_high", "n", "numerator", "denominator", "n_eff", "weighting_effect"]


@pytest.fixture(scope="module")
def base() -> cm.Dataset:
    return cm.sample.generate(seed=5)


def _college(base: cm.Dataset, seed: int, frac: float, name: str) -> dict[str, pd.DataFrame]:
    """A college from the sample: a random share of its graduates, their survey rows, raking
    variables shuffled (the same 学号 then means another graduate in each college)."""
    rng = np.random.default_rng(seed)
    g = base["graduates"]
    g = g.iloc[np.sort(rng.choice(len(g), max(int(frac * len(g)), 50), replace=False))].copy()
    for c in ("gender", "program"):
        g[c] = rng.permutation(g[c].to_numpy())
    s = base["survey"]
    keep = rng.uniform(size=len(s)) < 0.2 + 0.8 * frac  # non-linked respondents too (not on this roster)
    return {"graduates": g.assign(college=name).reset_index(drop=True),
            "survey": s[keep].assign(college=name).reset_index(drop=True)}


def _panel(colleges: dict[str, dict[str, pd.DataFrame]]) -> cm.Dataset:
    return cm.Dataset(**{t: pd.concat([c[t] for c in colleges.values()], ignore_index=True)
                         for t in ("graduates", "survey")})


def _rows(res: pd.DataFrame) -> pd.DataFrame:
    return res.sort_values(["indicator", "grad_year"], kind="stable").reset_index(drop=True)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seeds=st.lists(st.integers(0, 10_000), min_size=2, max_size=3, unique=True),
       fracs=st.lists(st.floats(0.05, 0.5), min_size=3, max_size=3), chunk=st.sampled_from([50, 10**9]),
       rows=st.sampled_from([1000, 10**9]))
def test_each_college_raked_jointly_equals_raking_it_alone(base, monkeypatch, seeds, fracs, chunk, rows):
    # chunk 50: every college raked in its own rake() call; 10**9: all colleges in one call;
    # rows 1000: one engine pass per college (survey chunks), 10**9: one pass for the panel
    monkeypatch.setattr(compute_surveys, "RAKE_CHUNK", chunk)
    monkeypatch.setattr(compute_surveys, "SURVEY_CHUNK_ROWS", rows)
    colleges = {f"学院{k}": _college(base, s, f, f"学院{k}") for k, (s, f) in enumerate(zip(seeds, fracs[:len(seeds)], strict=True))}
    pooled = cm.compute(_panel(colleges), RAKED, by=("college", "grad_year"))
    for name, tables in colleges.items():
        alone = _rows(cm.compute(cm.Dataset(**tables), RAKED, by=("grad_year",)))
        mine = _rows(pooled[pooled["college"] == name].drop(columns="college"))
        assert len(mine) == len(alone) and (alone["status"] == "reported").any()
        for c in EXACT:  # bit for bit: no tolerance
            np.testing.assert_array_equal(mine[c].to_numpy(float), alone[c].to_numpy(float), err_msg=c)
        assert mine["status"].astype(str).tolist() == alone["status"].astype(str).tolist()


def test_a_college_is_weighted_to_its_own_roster_not_the_province(base):
    """Two colleges with opposite gender mixes: pooled raking (old behaviour) would differ."""
    a = _college(base, 1, 0.3, "甲")
    b = _college(base, 2, 0.3, "乙")
    b["graduates"]["gender"] = "女"  # all-female roster: 乙's respondents are all placed on one level
    pooled = cm.compute(_panel({"甲": a, "乙": b}), ["school_satisfaction"], by=("college", "grad_year"))
    alone = cm.compute(cm.Dataset(**a), ["school_satisfaction"], by=("grad_year",))
    got = pooled[pooled["college"] == "甲"]["estimate"].to_numpy(float)
    np.testing.assert_array_equal(got, alone["estimate"].to_numpy(float))


def test_roster_count_rows_give_the_margins_of_the_unit_rows():
    """_roster_units: a handful of count rows with exactly the roster's one-way margins per cell."""
    rng = np.random.default_rng(3)
    n = 5000
    g = pd.DataFrame({"college": rng.choice(["A", "B", "C"], n), "grad_year": rng.choice([2023, 2024], n),
                      "gender": rng.choice(["F", "M", None], n), "program": rng.choice(list("xyz"), n),
                      "student_id": np.arange(n).astype(str)})
    from coopmetrics.compute_base import _Source

    units = compute_surveys._roster_units(_Source(cm.Dataset(graduates=g)), ["gender", "program"], ["college"])
    assert len(units) <= 3 * 2 * (3 + 3)
    for v in ("gender", "program"):
        want = g.astype({v: object}).groupby(["college", "grad_year", v], dropna=False).size().to_dict()
        got = (units.astype({v: object}).groupby(["college", "year", v], dropna=False)["__n"].sum()
               .astype(int).to_dict())
        assert {k: c for k, c in got.items() if c} == want


def test_rake_with_population_counts_equals_unit_rows():
    rng = np.random.default_rng(9)
    pop = pd.DataFrame({"year": rng.choice([1, 2], 3000), "g": rng.choice(list("FM"), 3000),
                        "m": rng.choice(list("abcd"), 3000)})
    resp = pop.sample(400, random_state=1).reset_index(drop=True)
    counts = pop.groupby(["year", "g", "m"]).size().rename("k").reset_index()
    w_units = rake(resp, pop, ["g", "m"], by="year")
    w_counts = rake(resp, counts, ["g", "m"], by="year", population_weight="k")
    np.testing.assert_array_equal(w_units.to_numpy(), w_counts.to_numpy())
    assert w_counts.groupby(resp["year"]).sum().round(9).to_dict() == pop["year"].value_counts().astype(float).to_dict()


def test_negative_population_counts_are_an_error():
    pop = pd.DataFrame({"g": list("FM"), "k": [3.0, -1.0]})
    with pytest.raises(cm.InputError, match="population counts"):
        rake(pd.DataFrame({"g": list("FM")}), pop, ["g"], population_weight="k")
