"""Tests of coopmetrics.weighting: raking vs samplics and a hand-worked 2×2 example; Kish n_eff/deff."""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from coopmetrics.errors import InputError, MissingColumnError
from coopmetrics.weighting import RakingConvergenceError, RakingWarning, kish, kish_from_sums, rake

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)  # samplics announces it is archived
    from samplics.weighting import SampleWeight


def _fixture(seed: int = 7, n_pop: int = 3000) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    pop = pd.DataFrame(
        {
            "year": rng.choice([2022, 2023, 2024], n_pop),
            "major": rng.choice(["机电", "护理", "会计", "软件"], n_pop, p=[0.4, 0.3, 0.2, 0.1]),
            "program": rng.choice(["regular", "order_class", "apprenticeship"], n_pop, p=[0.6, 0.25, 0.15]),
            "gender": rng.choice(["男", "女"], n_pop),
        }
    )
    # response propensity depends on major and program: non-random response
    prop = 0.2 + 0.3 * (pop["major"] == "护理") + 0.2 * (pop["program"] == "order_class")
    resp = pop[rng.uniform(size=n_pop) < prop].copy()
    resp.index = pd.RangeIndex(100, 100 + len(resp))  # an index unlike the roster's
    return resp, pop


def test_matches_samplics_per_year():
    resp, pop = _fixture()
    variables = ["major", "program", "gender"]
    w = rake(resp, pop, variables, by=["year"], max_iter=1000, tol=1e-12)
    assert w.index.equals(resp.index)
    for year in [2022, 2023, 2024]:
        s = resp[resp["year"] == year]
        p = pop[pop["year"] == year]
        margins = {v: s[v].to_numpy() for v in variables}
        control = {v: p[v].value_counts().to_dict() for v in variables}
        ref = SampleWeight().rake(
            samp_weight=np.ones(len(s)), margins=margins, control=control, tol=1e-12, ctrl_tol=1e-12, max_iter=1000
        )
        np.testing.assert_allclose(w[s.index].to_numpy(), ref, rtol=1e-6)
        assert w[s.index].sum() == pytest.approx(len(p), rel=1e-9)


def test_matches_samplics_with_base_weights():
    resp, pop = _fixture(seed=11)
    resp = resp[resp["year"] == 2023]
    pop = pop[pop["year"] == 2023]
    base = np.random.default_rng(1).uniform(0.5, 2.0, len(resp))
    resp = resp.assign(bw=base)
    w = rake(resp, pop, ["major", "gender"], weight="bw", max_iter=1000, tol=1e-12)
    ref = SampleWeight().rake(
        samp_weight=base,
        margins={v: resp[v].to_numpy() for v in ["major", "gender"]},
        control={v: pop[v].value_counts().to_dict() for v in ["major", "gender"]},
        tol=1e-12,
        ctrl_tol=1e-12,
        max_iter=1000,
    )
    np.testing.assert_allclose(w.to_numpy(), ref, rtol=1e-6)


def _two_by_two() -> tuple[pd.DataFrame, pd.DataFrame]:
    # respondents: F-A 2, F-B 1, M-A 1, M-B 2; roster: F 60, M 40; A 50, B 50
    resp = pd.DataFrame({"g": ["F", "F", "F", "M", "M", "M"], "m": ["A", "A", "B", "A", "B", "B"]})
    pop = pd.DataFrame({"g": ["F"] * 60 + ["M"] * 40, "m": ["A"] * 30 + ["B"] * 30 + ["A"] * 20 + ["B"] * 20})
    return resp, pop


def test_hand_worked_two_by_two_two_iterations():
    resp, pop = _two_by_two()
    F = Fraction
    # Iteration 1, gender: F has 3 respondents -> factor 60/3 = 20; M: 40/3
    fa, fb, ma, mb = F(20), F(20), F(40, 3), F(40, 3)
    # major: A sum = 2*20 + 40/3 = 160/3 -> factor 50/(160/3) = 15/16; B sum = 20 + 80/3 = 140/3 -> 15/14
    a_sum, b_sum = 2 * fa + ma, fb + 2 * mb
    assert (a_sum, b_sum) == (F(160, 3), F(140, 3))
    fa, ma = fa * 50 / a_sum, ma * 50 / a_sum  # 18.75, 12.5
    fb, mb = fb * 50 / b_sum, mb * 50 / b_sum  # 21.428571, 14.285714
    assert (fa, ma) == (F(75, 4), F(25, 2))
    it1 = [fa, fa, fb, ma, mb, mb]
    # Iteration 2, gender: F sum = 2*18.75 + 21.428571 = 58.928571 -> 60/58.928571 = 1.018182
    f_sum, m_sum = 2 * fa + fb, ma + 2 * mb
    fa, fb = fa * 60 / f_sum, fb * 60 / f_sum
    ma, mb = ma * 40 / m_sum, mb * 40 / m_sum
    # major: A sum = 2*19.090909 + 12.173913 = 50.355731 -> 0.992936; B sum = 49.644269 -> 1.007166
    a_sum, b_sum = 2 * fa + ma, fb + 2 * mb
    fa, ma = fa * 50 / a_sum, ma * 50 / a_sum
    fb, mb = fb * 50 / b_sum, mb * 50 / b_sum
    it2 = [fa, fa, fb, ma, mb, mb]
    assert float(fa) == pytest.approx(18.956, abs=1e-3)

    with pytest.warns(RakingWarning, match="did not converge"):
        w1 = rake(resp, pop, ["g", "m"], max_iter=1)
    np.testing.assert_allclose(w1.to_numpy(), [float(x) for x in it1], rtol=1e-12)
    with pytest.warns(RakingWarning, match="did not converge"):
        w2 = rake(resp, pop, ["g", "m"], max_iter=2)
    np.testing.assert_allclose(w2.to_numpy(), [float(x) for x in it2], rtol=1e-12)

    # converged: both margins reproduced exactly
    w, rep = rake(resp, pop, ["g", "m"], tol=1e-12, max_iter=500, return_report=True)
    assert rep.converged and rep.max_error <= 1e-12
    assert w.groupby(resp["g"]).sum().to_dict() == pytest.approx({"F": 60, "M": 40}, rel=1e-12)
    assert w.groupby(resp["m"]).sum().to_dict() == pytest.approx({"A": 50, "B": 50}, rel=1e-12)


def test_unmatched_population_level_warns_reports_and_keeps_cell_total():
    resp, pop = _two_by_two()
    pop = pd.concat([pop, pd.DataFrame({"g": ["F"] * 10 + ["M"] * 10, "m": ["C"] * 20})], ignore_index=True)
    with pytest.warns(RakingWarning, match=r"cannot be matched.*m=C \(20\)"):
        w, rep = rake(resp, pop, ["g", "m"], tol=1e-12, max_iter=500, return_report=True)
    assert rep.unmatched[["variable", "level", "population_count"]].values.tolist() == [["m", "C", 20]]
    # 120 graduates: weights still sum to 120; gender 70/50; majors A, B share C's 20 in proportion 50:50
    assert w.sum() == pytest.approx(120)
    assert w.groupby(resp["g"]).sum().to_dict() == pytest.approx({"F": 70, "M": 50})
    assert w.groupby(resp["m"]).sum().to_dict() == pytest.approx({"A": 60, "B": 60})


def test_unplaced_respondents_get_nan_and_are_reported():
    resp, pop = _two_by_two()
    resp.loc[6] = ["F", "Z"]  # major not in the roster (typo)
    resp.loc[7] = [None, "A"]  # gender missing, roster has no missing gender
    with pytest.warns(RakingWarning, match="2 respondent"):
        w, rep = rake(resp, pop, ["g", "m"], tol=1e-10, return_report=True)
    assert np.isnan(w.loc[[6, 7]]).all()
    assert w.loc[:5].notna().all() and w.sum() == pytest.approx(100)
    got = {(r.variable, r.level if isinstance(r.level, str) else "NA"): r.n_respondents for r in rep.unplaced.itertuples()}
    assert got == {("m", "Z"): 1, ("g", "NA"): 1}


def test_missing_values_are_a_level_when_the_roster_has_them_too():
    resp, pop = _two_by_two()
    resp.loc[6] = [None, "A"]
    pop = pd.concat([pop, pd.DataFrame({"g": [None] * 10, "m": ["A"] * 10})], ignore_index=True)
    w = rake(resp, pop, ["g", "m"], tol=1e-12, max_iter=500)
    assert w.notna().all()
    assert w[resp["g"].isna()].sum() == pytest.approx(10)
    assert w.groupby(resp["m"]).sum().to_dict() == pytest.approx({"A": 60, "B": 50})


def test_by_cells_and_cells_missing_from_population():
    resp, pop = _two_by_two()
    resp = pd.concat([resp.assign(year=2023), resp.assign(year=2024), resp.head(1).assign(year=2099)], ignore_index=True)
    extra = pd.DataFrame({"g": ["F"] * 10, "m": ["C"] * 10, "year": 2024})
    pop = pd.concat([pop.assign(year=2023), pop.head(50).assign(year=2024), extra], ignore_index=True)
    # 2024 roster: F-A 30, F-B 20, F-C 10 (no men, nobody answered from C); 2099: no roster
    with pytest.warns(RakingWarning) as rec:
        w, rep = rake(resp, pop, ["g", "m"], by="year", tol=1e-10, max_iter=500, return_report=True)
    msgs = " ".join(str(r.message) for r in rec)
    assert "m=C (10)" in msgs and "cannot be matched" in msgs
    assert "g=M (3)" in msgs and "cannot be weighted" in msgs
    sums = w.groupby(resp["year"]).sum(min_count=1)
    assert sums[2023] == pytest.approx(100) and sums[2024] == pytest.approx(60)
    assert np.isnan(sums[2099])
    # 2024 women: majors A and B get 30 and 20 plus C's 10 in proportion -> 36 and 24
    f24 = (resp["year"] == 2024) & (resp["g"] == "F")
    assert w[f24].groupby(resp["m"]).sum().to_dict() == pytest.approx({"A": 36, "B": 24})
    assert w[(resp["year"] == 2024) & (resp["g"] == "M")].isna().all()
    assert rep.unmatched[["year", "variable", "level"]].values.tolist() == [[2024, "m", "C"]]
    assert (rep.unplaced["level"] == "(cell not in population)").any()


def test_non_convergence_warns_with_error_and_strict_raises():
    # only F respondents study A, and A is 60 % of the roster while F is 60 %: the solution
    # drives the F-B weight to 0, so IPF approaches it only slowly
    roster = pd.DataFrame({"g": list("FFFFFFMMMM"), "m": list("AAAABBAABB")})
    resp = pd.DataFrame({"g": list("FFFMM"), "m": list("AABBB")})
    with pytest.warns(RakingWarning, match=r"largest relative margin error \d"):
        _, rep = rake(resp, roster, ["g", "m"], max_iter=50, return_report=True)
    assert not rep.converged and rep.max_error > 1e-6 and rep.iterations == 50
    with pytest.raises(RakingConvergenceError, match="did not converge"):
        rake(resp, roster, ["g", "m"], max_iter=50, strict=True)


def test_bad_input():
    resp, pop = _two_by_two()
    with pytest.raises(MissingColumnError, match="major"):
        rake(resp, pop, ["g", "major"])
    with pytest.raises(InputError, match="positive"):
        rake(resp, pop, ["g"], weight=[1, 1, 0, 1, 1, 1])
    with pytest.raises(InputError, match="length"):
        rake(resp, pop, ["g"], weight=[1, 1])


def test_kish_by_hand_and_vs_samplics():
    # w = 1, 1, 2, 2, 4: Σw = 10, Σw² = 26 -> n_eff = 100/26 = 3.846; deff = 5*26/100 = 1.3
    n_eff, deff = kish([1, 1, 2, 2, 4])
    assert n_eff == pytest.approx(100 / 26) and deff == pytest.approx(1.3)
    rng = np.random.default_rng(3)
    w = rng.lognormal(0, 0.6, 300)
    g = rng.choice(["a", "b", "c"], 300)
    sw = SampleWeight()
    assert kish(w)[1] == pytest.approx(sw.calculate_deff_weight(w), rel=1e-12)
    by = kish(w, by=g)
    ref = sw.calculate_deff_weight(w, domain=g)
    for k in "abc":
        assert by.loc[k, "deff"] == pytest.approx(ref[k], rel=1e-12)
        assert by.loc[k, "n_eff"] == pytest.approx(by.loc[k, "n"] / ref[k], rel=1e-12)
    # NaN weights (unplaced respondents) are ignored
    assert kish([1.0, np.nan, 1.0]) == (2.0, 1.0)
    # two key arrays
    two = kish(w, by=[g, w > 1])
    assert two["n"].sum() == 300 and two.index.nlevels == 2


def test_kish_from_sums_vectorised():
    n_eff, deff = kish_from_sums([10.0, 0.0], [26.0, 0.0], [5, 0])
    assert n_eff[0] == pytest.approx(100 / 26) and deff[0] == pytest.approx(1.3)
    assert np.isnan(n_eff[1]) and np.isnan(deff[1])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(seed=st.integers(0, 10_000), n=st.integers(30, 300), base=st.booleans())
def test_raking_invariants(seed, n, base):
    rng = np.random.default_rng(seed)
    pop = pd.DataFrame(
        {
            "y": rng.choice([1, 2], 4 * n),
            "a": rng.choice(list("xyz"), 4 * n),
            "b": rng.choice(list("pq"), 4 * n),
        }
    )
    resp = pop.sample(n, random_state=seed)
    # a solution exists when every joint (y, a, b) cell of the roster has a respondent
    # (with empty joint cells the margins may be unattainable - see the non-convergence test)
    assume(resp.groupby(["y", "a", "b"]).ngroups == pop.groupby(["y", "a", "b"]).ngroups)
    weight = rng.uniform(0.5, 2, n) if base else None
    w = rake(resp, pop, ["a", "b"], by="y", weight=weight, tol=1e-9, max_iter=2000)
    assert (w > 0).all()
    for v in ["a", "b"]:
        got = w.groupby([resp["y"], resp[v]]).sum()
        want = pop.groupby(["y", v]).size().astype(float)
        pd.testing.assert_series_equal(got, want, check_names=False, rtol=1e-7)
    n_eff, deff = kish(w)
    assert 1 <= n_eff <= n + 1e-9 and deff >= 1 - 1e-12


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_domains=st.integers(2, 4))
def test_each_domain_raked_jointly_equals_raking_it_alone(seed, n_domains):
    """Raking several ``by`` cells in one call gives each cell exactly the weights of raking it alone:
    a cell stops once its own margins are within tolerance, so a number never depends on which other
    years, indicators or colleges are computed in the same call. Domains differ in size and skew, so
    they converge after different numbers of sweeps."""
    rng = np.random.default_rng(seed)
    samples, rosters = [], []
    for d in range(n_domains):
        n_pop = int(rng.integers(80, 400))
        roster = pd.DataFrame({"d": d, "g": rng.choice(["m", "f"], n_pop, p=[0.3 + 0.1 * d, 0.7 - 0.1 * d]),
                               "a": rng.choice(["x", "y", "z"], n_pop)})
        take = rng.random(n_pop) < np.where(roster["g"] == "m", 0.7, 0.3)  # skewed response
        samples.append(roster.loc[take].reset_index(drop=True))
        rosters.append(roster)
    sample = pd.concat(samples, ignore_index=True)
    assume(all(len(s) > 5 and s["g"].nunique() == 2 and s["a"].nunique() == 3 for s in samples))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RakingWarning)
        joint = np.asarray(rake(sample, pd.concat(rosters, ignore_index=True), ["g", "a"], by="d"), dtype=float)
        alone = np.concatenate([np.asarray(rake(s, r, ["g", "a"]), dtype=float)
                                for s, r in zip(samples, rosters, strict=True)])
    np.testing.assert_array_equal(joint, alone)


def test_report_gives_each_rows_cell_error():
    """``RakingReport.cell_error``: the cell's own largest relative margin error, per respondent."""
    pop = pd.DataFrame({"year": [1] * 8 + [2] * 4, "p": list("AAAABBBB") + list("AABB"),
                        "g": list("MMMFFFFF") + list("MFMF")})
    # year 1: only A-M and B-F respond, so A (4) and M (3) cannot both be met; year 2 converges
    resp = pd.DataFrame({"year": [1, 1, 2, 2, 2, 2, 2], "p": list("ABABABZ"), "g": list("MFMFFMM")})
    with pytest.warns(RakingWarning):
        w, rep = rake(resp, pop, ["p", "g"], by="year", return_report=True)
    err = rep.cell_error
    assert err[0] == err[1] > 1e-6 and err[0] == pytest.approx(rep.max_error)
    assert (err[2:6] <= 1e-6).all() and np.isnan(err[6]) and np.isnan(w.iloc[6])  # level Z: unplaced


_VALUES = st.sampled_from(["a", "b", "c", None, np.nan])


@settings(max_examples=60, deadline=None)
@given(left=st.lists(_VALUES, max_size=12), right=st.lists(_VALUES, max_size=6),
       kinds=st.tuples(st.sampled_from(["object", "category"]), st.sampled_from(["object", "category"])))
def test_joint_codes_are_those_of_factorizing_the_concat(left, right, kinds):
    """weighting._joint_factorize (each side factorized alone) numbers values as pd.factorize of the concat."""
    from coopmetrics.weighting import _joint_factorize

    lo, ro = pd.Series(left, dtype=kinds[0]), pd.Series(right, dtype=kinds[1])
    codes, n = _joint_factorize(lo, ro)
    ref, uniq = pd.factorize(pd.concat([lo.astype(object), ro.astype(object)], ignore_index=True),
                             use_na_sentinel=False)
    assert codes.tolist() == ref.tolist() and n == len(uniq)
