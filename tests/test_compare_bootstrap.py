"""The hybrid bootstrap of means (issue 16, item 2): exact Poisson resample of small arms,
Cornish–Fisher-corrected normal draws for large ones, with a flag and a Berry–Esseen bound.

Every tolerance below is written out: Monte Carlo standard errors of a coverage share or of
a bootstrap percentile, and the bound the library states (docs/statistics.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from coopmetrics.compare import compare, compare_values
from coopmetrics.compare_base import (
    _BE_C,
    _CF_C,
    _arm_plan,
    _moments_from_counts,
    _poisson_bootstrap_means,
    value_counts,
)

LEVEL = 0.95


def _draw(kind: str, n: int, rng: np.random.Generator, shift: float) -> tuple[np.ndarray, float]:
    """Salaries from a known law and its true mean: normal, or 3000 + log-normal (sigma 0.5)."""
    if kind == "normal":
        return rng.normal(5000 + shift, 900, n), 5000 + shift
    s = 0.5  # skewness of the log-normal part: (e^s2 + 2) sqrt(e^s2 - 1) = 1.75
    return 3000 + shift + 2000 * np.exp(s * rng.standard_normal(n)), 3000 + shift + 2000 * np.exp(s * s / 2)


def _replications(kind: str, r: int, n1: int, n0: int, seed: int) -> tuple[pd.DataFrame, float]:
    """``r`` independent data sets, one ``rep`` group each, and the true difference of means."""
    rng = np.random.default_rng(seed)
    a, mu1 = _draw(kind, r * n1, rng, 300.0)
    b, mu0 = _draw(kind, r * n0, rng, 0.0)
    df = pd.DataFrame({
        "rep": np.r_[np.repeat(np.arange(r), n1), np.repeat(np.arange(r), n0)],
        "program": ["order_class"] * (r * n1) + ["regular"] * (r * n0),
        "value": np.round(np.r_[a, b], 0),  # salaries to the yuan, as handed in
    })
    return df, mu1 - mu0


@pytest.mark.parametrize("kind", ["normal", "lognormal"])
def test_hybrid_interval_covers_the_true_difference(kind):
    """Coverage of the hybrid (both arms approximated) percentile interval against a known truth.

    R = 1500 data sets of 150 + 250 salaries. The Monte Carlo SE of a coverage share is
    sqrt(.95 * .05 / 1500) = 0.0056; we allow 3.5 SE = 0.020. The percentile bootstrap's own
    coverage error at these sizes is O(1/n) (~0.005 for the log-normal's skewness 1.75),
    inside that allowance.
    """
    r = 1500
    df, truth = _replications(kind, r, 150, 250, seed=101 if kind == "normal" else 202)
    res = compare_values(df, "mean", by="rep", n_boot=1000, seed=5, bootstrap_exact_max=30).table
    assert res["flags"].str.contains("for the cohort and reference arms (n>30)", regex=False).all()  # every arm took the approximation
    cover = ((res["ci_low"] <= truth) & (truth <= res["ci_high"])).mean()
    se = np.sqrt(LEVEL * (1 - LEVEL) / r)
    assert abs(cover - LEVEL) < 3.5 * se, (kind, cover)
    # and the intervals are not trivially wide: their mean width is that of the Welch interval +- 5 %
    welch = 2 * stats.t.isf(0.025, 300) * np.sqrt(df.groupby(["rep", "program"])["value"].var().unstack()
                                                   .div([150, 250]).sum(axis=1)).mean()
    assert (res["ci_high"] - res["ci_low"]).mean() == pytest.approx(welch, rel=0.05)


def test_mixed_arms_cover_like_the_exact_bootstrap():
    """A small exact arm (25) against a large approximated one (300): coverage as the all-exact bootstrap.

    With 25 log-normal salaries the percentile bootstrap itself under-covers (≈ 0.93), so the
    reference is the exact route on the same 1,500 data sets. Paired comparison (McNemar):
    with d the share of data sets covered by exactly one of the two intervals, the SE of the
    coverage difference is <= sqrt(d / R); we allow 3 SE + 1/R.
    """
    r = 1500
    df, truth = _replications("lognormal", r, 25, 300, seed=7)
    kw = dict(by="rep", n_boot=1000, seed=5)
    hyb = compare_values(df, "mean", bootstrap_exact_max=30, **kw).table
    exa = compare_values(df, "mean", bootstrap_exact_max=None, **kw).table
    assert hyb["flags"].str.contains("for the reference arm (n>30)", regex=False).all()
    assert not exa["flags"].str.contains("Cornish", regex=False).any()
    c_h = ((hyb["ci_low"] <= truth) & (truth <= hyb["ci_high"])).to_numpy()
    c_e = ((exa["ci_low"] <= truth) & (truth <= exa["ci_high"])).to_numpy()
    d = (c_h != c_e).mean()
    assert abs(c_h.mean() - c_e.mean()) <= 3 * np.sqrt(d / r) + 1 / r
    assert 0.88 < c_h.mean() < 0.97  # and near nominal (the small arm's percentile bootstrap under-covers a little)


@pytest.mark.parametrize(("kind", "n1", "n0"), [("normal", 120, 200), ("lognormal", 200, 300), ("lognormal", 60, 90)])
def test_approximate_route_agrees_with_exact_poisson_route(kind, n1, n0):
    """On one comparison, the approximate interval vs the exact Poisson bootstrap of the same data.

    Stated bound: the Kolmogorov distance between the two laws of the replicate difference is
    at most D = D1 + D0 (the arms' bounds). So the approximate route's 2.5 % / 97.5 %
    percentiles sit at exact-law probabilities within D of 2.5 % / 97.5 %, up to Monte Carlo
    error: with B = 20,000 replicates per route the empirical CDF has SE sqrt(p(1-p)/B) = 0.0011
    at p = .025; two of them: 4 * sqrt(2) * 0.0011 = 0.0063.
    An empirical check much tighter than the bound: the Cornish–Fisher error is O(1/n), so the
    percentiles agree within Monte Carlo error (SE of a 2.5 % percentile 0.042 s sqrt(4000/B),
    s the bootstrap SD; two runs: 0.027 s) -> 0.12 s.
    """
    from coopmetrics.compare import _expand_pairs

    df, _ = _replications(kind, 1, n1, n0, seed=n1)
    long, pairs, _ = _expand_pairs(df, "mean", "program", "regular", [], [])
    counts = value_counts(long)
    b = 20_000
    exact = _poisson_bootstrap_means(counts, 1, b, seed=1)
    approx = _poisson_bootstrap_means(counts, 1, b, seed=2, exact_max=30)
    d_exact = np.sort(exact[:, 0, 1] - exact[:, 0, 0])
    d_approx = approx[:, 0, 1] - approx[:, 0, 0]
    plan = _arm_plan(_moments_from_counts(counts), 2, 30)
    assert plan["approx"].all()
    bound = plan["bound"].sum()
    mc = 4 * np.sqrt(2 * 0.025 * 0.975 / b)
    s = d_exact.std()
    for p in (0.025, 0.975):
        q = np.quantile(d_approx, p)
        f_exact = np.searchsorted(d_exact, q) / b
        assert abs(f_exact - p) <= bound + mc
        assert abs(q - np.quantile(d_exact, p)) < 0.12 * s, (p, (q - np.quantile(d_exact, p)) / s)
    # the stated bound is what the documented formula gives from the arm's moments (by hand)
    for arm, x in ((1, df["value"].to_numpy()[:n1]), (0, df["value"].to_numpy()[n1:])):
        n, g, k = len(x), stats.skew(x), stats.kurtosis(x, fisher=False)
        by_hand = (0.4748 * np.sqrt(k) + 0.431 * abs(g) / 6) * np.sqrt((1 + 3 / n) / n)
        assert plan["bound"][arm] == pytest.approx(by_hand, rel=1e-9)


def test_flag_names_the_arms_and_the_bound():
    """Small arms stay exact and unflagged; a large arm is named, in Chinese and English."""
    rng = np.random.default_rng(3)
    df = pd.DataFrame({
        "major": ["A"] * 80 + ["B"] * 20,
        "program": ["order_class"] * 10 + ["regular"] * 70 + ["order_class"] * 10 + ["regular"] * 10,
        "value": np.round(4000 + 1500 * np.exp(0.4 * rng.standard_normal(100))),
    })
    t = compare_values(df, "mean", by="major", n_boot=500, seed=1, bootstrap_exact_max=30).table.set_index("major")
    assert "对照组" in t.loc["A", "flags"] and "for the reference arm (n>30)" in t.loc["A", "flags"]
    assert "Cornish" not in t.loc["B", "flags"]  # both arms of 10: the exact Poisson bootstrap
    x = df.loc[(df["major"] == "A") & (df["program"] == "regular"), "value"].to_numpy()
    by_hand = (0.4748 * np.sqrt(stats.kurtosis(x, fisher=False)) + 0.431 * abs(stats.skew(x)) / 6) * np.sqrt(
        (1 + 3 / 70) / 70)
    assert f"<= {np.ceil(by_hand * 1000) / 1000:.3f}" in t.loc["A", "flags"]
    exact = compare_values(df, "mean", by="major", n_boot=500, seed=1, bootstrap_exact_max=None).table
    assert not exact["flags"].str.contains("Cornish").any()
    # the B row (no approximated arm) has the same replicates either way
    b_exact = exact.set_index("major").loc["B", ["ci_low", "ci_high"]].to_numpy(dtype=float)
    assert np.isfinite(b_exact).all()


def test_weighted_arms_stay_exact():
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"program": ["order_class"] * 100 + ["regular"] * 100,
                       "value": np.round(rng.normal(5000, 800, 200)), "weight": rng.choice([0.5, 2.0], 200)})
    t = compare_values(df, "mean", n_boot=300, seed=1, bootstrap_exact_max=30).table
    assert not t["flags"].str.contains("Cornish").any()


def _h(a: float, x: np.ndarray) -> float:
    """sup_x |Phi(x) - P(Z + a (Z^2 - 1) <= x)|, from the roots of a z^2 + z - (a + x) = 0."""
    disc = 1 + 4 * a * (a + x)
    root = np.sqrt(np.maximum(disc, 0))
    f = np.where(disc >= 0, stats.norm.cdf((-1 + root) / (2 * a)) - stats.norm.cdf((-1 - root) / (2 * a)), 0.0)
    return float(np.abs(f - stats.norm.cdf(x)).max())


def test_cornish_fisher_constant():
    """The constant of the Cornish–Fisher term: h(a) <= 0.431 a for all a > 0 (h(a)/a -> phi(0) = 0.399 as a -> 0)."""
    x = np.linspace(-15, 15, 60_001)
    for a in np.r_[np.geomspace(1e-4, 1, 60), np.linspace(1.5, 30, 20)]:
        assert _h(a, x) <= _CF_C * a
    assert _h(1e-4, x) / 1e-4 == pytest.approx(stats.norm.pdf(0), rel=1e-3)
    assert _BE_C == 0.4748  # Shevtsova (2011), i.i.d. summands


@given(st.floats(2.0, 5000.0))
@settings(max_examples=40, deadline=None)
def test_expected_inverse_root_of_poisson_resample_size(n):
    """E[m^-1/2; m >= 1] for m ~ Poisson(n) is at most sqrt((1 + 3/n) / n) (the bound's averaging step)."""
    k = np.arange(1, int(n + 40 * np.sqrt(n) + 60))
    exact = float(np.sum(stats.poisson.pmf(k, n) / np.sqrt(k)))
    assert exact <= np.sqrt((1 + 3 / n) / n) * (1 + 1e-12)


def test_approximate_draws_have_the_poisson_bootstrap_moments():
    """Mean, variance and skewness of the drawn replicate means vs the exact Poisson bootstrap's.

    Given m ~ Poisson(n), the replicate mean has variance s2/m and third central moment
    m3/m^2; E[1/m] ~ (1 + 1/n)/n. Tolerances: 5 Monte Carlo SE with B = 200,000.
    """
    rng = np.random.default_rng(9)
    x = np.round(3000 + 2000 * np.exp(0.5 * rng.standard_normal(400)))
    counts = pd.DataFrame({"pair_id": 0, "arm": np.r_[np.ones(200, int), np.zeros(200, int)], "value": x,
                           "weight": 1.0, "n": 1.0}).groupby(["pair_id", "arm", "value", "weight"],
                                                              as_index=False)["n"].sum()
    b = 200_000
    rep = _poisson_bootstrap_means(counts, 1, b, seed=3, exact_max=30)[:, 0, 1]
    y = x[:200]
    n, m2 = 200, y.var()
    assert abs(rep.mean() - y.mean()) < 5 * np.sqrt(m2 / n / b)
    assert rep.var() == pytest.approx(m2 / n * (1 + 1 / n), rel=5 * np.sqrt(2 / b) + 1 / n**2 * 10)
    skew_boot = stats.skew(y) / np.sqrt(n)  # skewness of the mean of n draws
    assert stats.skew(rep) == pytest.approx(skew_boot, abs=5 * np.sqrt(6 / b))


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    from coopmetrics.sample import generate_panel

    return generate_panel(20_000, seed=11, n_colleges=5)


@pytest.mark.parametrize("engine", ["duckdb", "polars_lazy", "dask_cluster"])
def test_hybrid_same_numbers_on_every_engine(panel, engine, tmp_path):
    """The engine route (power sums + counts of small arms only) gives pandas' numbers and flags."""
    by = ["college", "grad_year"]
    ref = compare(panel, "salary_mean", by=by, n_boot=300, seed=1, bootstrap_exact_max=40).table
    assert ref["flags"].str.contains("Cornish").any() and not ref["flags"].str.contains("Cornish").all()
    unit = compare(panel, "salary_mean", by=by, n_boot=300, seed=1, bootstrap_exact_max=40, _unit_level=True).table
    if engine == "duckdb":
        from coopmetrics import engines

        panel.to_parquet(tmp_path / "g.parquet")
        got = compare(engines.scan(tmp_path / "g.parquet", "duckdb"), "salary_mean", by=by, n_boot=300, seed=1,
                      bootstrap_exact_max=40).table
    elif engine == "polars_lazy":
        pl = pytest.importorskip("polars")
        got = compare(pl.from_pandas(panel).lazy(), "salary_mean", by=by, n_boot=300, seed=1,
                      bootstrap_exact_max=40).table
    else:
        dd = pytest.importorskip("dask.dataframe")
        distributed = pytest.importorskip("distributed")
        with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                      dashboard_address=None) as cluster, distributed.Client(cluster):
            got = compare(dd.from_pandas(panel, npartitions=4), "salary_mean", by=by, n_boot=300, seed=1,
                          bootstrap_exact_max=40).table

    def norm(t):
        return t.astype({"college": str, "grad_year": int}).sort_values([*by, "cohort"]).reset_index(drop=True)

    for other in (got, unit):
        pd.testing.assert_frame_equal(norm(other), norm(ref), check_exact=False, rtol=1e-9, atol=1e-9)


@given(st.lists(st.tuples(st.integers(1, 400), st.floats(0.05, 1.5), st.booleans()), min_size=1, max_size=12),
       st.integers(2, 100))
@settings(max_examples=60, deadline=None)
def test_plan_invariants(arms, exact_max):
    """Small or weighted arms are never approximated; bounds are in (0, 1] and match the formula."""
    rng = np.random.default_rng(len(arms))
    rows = []
    for i, (n, s, w) in enumerate(arms):
        x = np.round(3000 + 2000 * np.exp(s * rng.standard_normal(n)))
        rows.append(pd.DataFrame({"pair_id": i, "arm": 1, "value": x, "weight": 2.0 if w else 1.0, "n": 1.0}))
    counts = pd.concat(rows).groupby(["pair_id", "arm", "value", "weight"], as_index=False)["n"].sum()
    plan = _arm_plan(_moments_from_counts(counts), 2 * len(arms), exact_max)
    for i, (n, _s, w) in enumerate(arms):
        g = 2 * i + 1
        if n <= exact_max or w:
            assert not plan["approx"][g]
        if plan["approx"][g]:
            c = counts.loc[counts["pair_id"] == i]
            x = np.repeat(c["value"].to_numpy(), c["n"].to_numpy().astype(int))
            gam, kurt = stats.skew(x), stats.kurtosis(x, fisher=False)
            assert gam**2 <= n / 4 * (1 + 1e-9)
            assert 0 < plan["bound"][g] <= 1
            by_hand = min(1.0, (0.4748 * np.sqrt(kurt) + 0.431 * abs(gam) / 6) * np.sqrt((1 + 3 / n) / n))
            assert plan["bound"][g] == pytest.approx(by_hand, rel=1e-8)
            assert plan["sd"][g] == pytest.approx(x.std(), rel=1e-8)


def test_engine_power_sums_and_small_group_counts(panel):
    """mean_value_counts(exact_max=...): power sums of every group; counts only of groups that may be exact."""
    from coopmetrics.compute_units import mean_value_counts

    by = ["college", "grad_year", "program"]
    cells, mom = mean_value_counts(panel, "salary_mean", by, exact_max=40)
    full = mean_value_counts(panel, "salary_mean", by)
    ref = full.assign(s1=full["value"] * full["n"], s2=full["value"] ** 2 * full["n"], s3=full["value"] ** 3 * full["n"],
                      s4=full["value"] ** 4 * full["n"]).groupby(by, observed=True)[["n", "s1", "s2", "s3", "s4"]].sum()
    got = mom.astype({"college": str}).set_index(by).sort_index()
    ref = ref.reset_index().astype({"college": str}).set_index(by).sort_index()
    np.testing.assert_allclose(got[["n", "s1", "s2", "s3", "s4"]].to_numpy(), ref.to_numpy(), rtol=1e-10)
    small = set(map(tuple, ref.index[ref["n"] <= 40].tolist()))
    kept = set(map(tuple, cells.astype({"college": str})[by].drop_duplicates().to_numpy().tolist()))
    assert small <= kept  # every small group keeps its counts...
    assert len(kept) < len(ref)  # ...and large ordinary groups do not reach pandas


@pytest.mark.parametrize("bad", [-1, 2.5, "30", True])
def test_bad_exact_max_is_a_bilingual_error(bad, panel):
    from coopmetrics.errors import InvalidOptionError

    df = pd.DataFrame({"program": ["order_class"] * 3 + ["regular"] * 3, "value": [1.0, 2, 3, 4, 5, 6]})
    for call in (lambda: compare_values(df, "mean", n_boot=10, bootstrap_exact_max=bad),
                 lambda: compare(panel, "salary_mean", n_boot=10, bootstrap_exact_max=bad)):
        with pytest.raises(InvalidOptionError, match="bootstrap_exact_max") as e:
            call()
        assert "必须" in str(e.value)


def test_auto_keeps_every_arm_exact_below_a_million_units(monkeypatch):
    """Default "auto": a college-sized call is the exact bootstrap (no flag, same replicates as
    ``None``); the same call counted as a panel above AUTO_EXACT_UNITS approximates arms > 30."""
    import coopmetrics.compare_base as cb
    from coopmetrics.compare_base import resolve_exact_max

    df, _ = _replications("lognormal", 3, 120, 200, seed=11)
    kw = dict(by="rep", n_boot=400, seed=4)
    auto = compare_values(df, "mean", **kw).table
    exact = compare_values(df, "mean", bootstrap_exact_max=None, **kw).table
    pd.testing.assert_frame_equal(auto, exact)
    assert not auto["flags"].fillna("").str.contains("Cornish").any()
    # "auto" is judged per by-group (320 units each here), not on the call's 960 units
    monkeypatch.setattr(cb, "AUTO_EXACT_UNITS", 500)
    pd.testing.assert_frame_equal(compare_values(df, "mean", **kw).table, exact)
    # above the threshold "auto" means 30: patch the threshold below each group's 320 units
    monkeypatch.setattr(cb, "AUTO_EXACT_UNITS", 300)
    big = compare_values(df, "mean", **kw).table
    thirty = compare_values(df, "mean", bootstrap_exact_max=30, **kw).table
    pd.testing.assert_frame_equal(big, thirty)
    assert big["flags"].str.contains("Cornish").all()
    assert resolve_exact_max("auto", 300) is None and resolve_exact_max("auto", 301) == 30


@pytest.mark.parametrize("unit_level", [False, True])
def test_auto_gives_each_college_its_own_calls_interval(panel, unit_level, monkeypatch):
    """Default "auto" in a stacked ``compare(by=["college"])``: each college's rows are those of the
    college's own call, exact or approximated as its own size decides (before: the whole call's
    units decided, so a small college in a big call was approximated). Colleges here have
    764-6,817 units; with the threshold at 3,000 two are exact and three approximated."""
    import coopmetrics.compare_base as cb
    from coopmetrics.compare_base import same_draws_per_group

    monkeypatch.setattr(cb, "AUTO_EXACT_UNITS", 3_000)
    kw = dict(by=["college"], n_boot=300, seed=5, _unit_level=unit_level)
    with same_draws_per_group():
        stacked = compare(panel, "salary_mean", **kw).table
        alone = pd.concat([compare(rows, "salary_mean", **kw).table for _, rows in panel.groupby("college")],
                          ignore_index=True)
    size = (stacked.groupby("college")["n_cohort"].transform("sum") + stacked["n_reference"]).to_numpy()
    approx = stacked["flags"].str.contains("Cornish").to_numpy()
    assert approx.any() and not approx.all()
    np.testing.assert_array_equal(approx, size > 3_000)  # the college's own size decides
    pd.testing.assert_frame_equal(stacked.drop(columns="q_value"), alone.drop(columns="q_value"))


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), limit=st.integers(20, 200),
       sizes=st.lists(st.tuples(st.integers(3, 80), st.integers(3, 80)), min_size=2, max_size=4))
def test_auto_stacked_rows_equal_the_per_group_calls(seed, limit, sizes):
    """Property: with "auto" (threshold ``limit`` units), a by-call's rows are the per-group calls' rows."""
    from unittest import mock

    import coopmetrics.compare_base as cb
    from coopmetrics.compare_base import same_draws_per_group

    df = _salaries(seed, {f"学院{k}": s for k, s in enumerate(sizes)})
    with mock.patch.object(cb, "AUTO_EXACT_UNITS", limit), same_draws_per_group():
        pooled = compare_values(df, "mean", by="g", n_boot=300, seed=7).table
        alone = pd.concat([compare_values(rows, "mean", by="g", n_boot=300, seed=7).table
                           for _, rows in df.groupby("g")], ignore_index=True)
    pd.testing.assert_frame_equal(pooled.drop(columns="q_value"), alone.drop(columns="q_value"))


def _salaries(seed: int, sizes: dict[str, tuple[int, int]]) -> pd.DataFrame:
    """Per group ``g``: n1 order-class and n0 regular salaries (to the yuan, many ties)."""
    rng = np.random.default_rng(seed)
    parts = []
    for g, (n1, n0) in sizes.items():
        parts.append(pd.DataFrame({"g": g, "program": ["order_class"] * n1 + ["regular"] * n0,
                                   "value": np.round(rng.lognormal(8.5, 0.4, n1 + n0), -1)}))
    return pd.concat(parts, ignore_index=True)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), exact_max=st.sampled_from([30, 10**9]),
       sizes=st.lists(st.tuples(st.integers(3, 80), st.integers(3, 80)), min_size=2, max_size=4))
def test_same_draws_per_group_gives_each_group_its_own_calls_interval(seed, exact_max, sizes):
    """Counter-based draws: inside same_draws_per_group(), a group's interval in a by-call is
    bit for bit the interval of a call on its rows alone (small arms exact, large ones approximated)."""
    from coopmetrics.compare_base import same_draws_per_group

    df = _salaries(seed, {f"学院{k}": s for k, s in enumerate(sizes)})
    with same_draws_per_group():
        pooled = compare_values(df, "mean", by="g", n_boot=400, seed=7, bootstrap_exact_max=exact_max).table
        for g, rows in df.groupby("g"):
            alone = compare_values(rows.drop(columns="g"), "mean", n_boot=400, seed=7,
                                   bootstrap_exact_max=exact_max).table
            mine = pooled[pooled["g"] == g]
            for c in ("ci_low", "ci_high", "difference", "ratio_ci_low", "ratio_ci_high", "p_value"):
                np.testing.assert_array_equal(mine[c].to_numpy(float), alone[c].to_numpy(float), err_msg=c)


def test_by_groups_draw_independent_replicates_by_default():
    """Outside same_draws_per_group() two groups with identical data get different intervals
    (independent Monte Carlo noise), inside it the same ones."""
    from coopmetrics.compare_base import same_draws_per_group

    one = _salaries(3, {"a": (40, 60)})
    df = pd.concat([one, one.assign(g="b")], ignore_index=True)
    res = compare_values(df, "mean", by="g", n_boot=400, seed=7).table.set_index("g")
    assert res.loc["a", "ci_low"] != res.loc["b", "ci_low"]
    assert res.loc["a", "difference"] == res.loc["b", "difference"]
    with same_draws_per_group():
        same = compare_values(df, "mean", by="g", n_boot=400, seed=7).table.set_index("g")
    assert same.loc["a", "ci_low"] == same.loc["b", "ci_low"] and same.loc["a", "ci_high"] == same.loc["b", "ci_high"]


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), lam_max=st.sampled_from([40.0, 2_000.0, 1e6]))
def test_poisson_ppf_is_scipys(seed, lam_max):
    """The Poisson inverse CDF of the large cells (exact CDF tables or steps) gives
    ``scipy.stats.poisson.ppf``'s values: random 53-bit uniforms as the bootstrap draws them, the
    smallest and largest ones, and means from 17 (above the lookup tables) to ``lam_max``."""
    from scipy.stats import poisson

    from coopmetrics.compare_base import _poisson_ppf, _uniform

    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2**63, 6_000, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    bits[:8] = np.arange(8, dtype=np.uint64) << np.uint64(11)  # u = (k + 0.5) / 2**53
    bits[8:16] = np.uint64(2**64 - 1) - (np.arange(8, dtype=np.uint64) << np.uint64(11))  # u just below 1
    u = _uniform(bits)
    lam = np.round(np.exp(rng.uniform(np.log(17.0), np.log(lam_max), len(u))))  # (mostly) one draw per mean
    np.testing.assert_array_equal(_poisson_ppf(u, lam), poisson.ppf(u, lam))
    # replicates x cells, as the bootstrap draws them: many draws per mean (the tables)
    np.testing.assert_array_equal(_poisson_ppf(u.reshape(200, 30), lam[:30]), poisson.ppf(u.reshape(200, 30), lam[:30]))
