"""One home per definition (issue 11): a toy filter op, a toy kind and a toy indicator, each added with
ONE registration in this file, computed on pandas and DuckDB against a hand calculation.

Also: the op and kind tables are the only place ops/kinds are defined (every op the registry uses has
columns, an expression and words; every kind an estimator), and the unit labels have one home.
"""

from __future__ import annotations

import narwhals as nw
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

import coopmetrics as cm
from coopmetrics import registry
from coopmetrics.definitions.kinds import KIND_TABLE, Kind, comparison_kind, register_kind
from coopmetrics.definitions.labels import UNIT_TABLE, unit_label
from coopmetrics.definitions.ops import FILTER_OPS, FilterOp, column_zh, describe, register_op
from coopmetrics.errors import InvalidOptionError
from coopmetrics.registry import Filter, Indicator, Measure, Options, register_indicator

# --- the three registrations ------------------------------------------------------------------------------

#: toy op: the column's value is even (missing never matches)
EVEN = FilterOp(
    "is_even", "column value is even",
    expr=lambda f, o, names: (nw.col(f.column) % 2 == 0).fill_null(False),
    words=lambda f, lang, name: f"{name}为偶数" if lang == "zh" else f"{name} is even",
)


def _odds_estimate(s, ind):
    """Odds x / (d - x), interval from the Wilson interval of p mapped through p / (1 - p) (monotone)."""
    x, d = s["x"], s["d"]
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = np.where(d - x > 0, x / (d - x), np.nan)
        lo, hi = cm.estimators.proportion_interval(x, d, s.level, "wilson")
        return dict(numerator=x, denominator=d - x, n=d, estimate=odds, se=np.nan, ci_low=lo / (1 - lo),
                    ci_high=np.where(hi < 1, hi / (1 - hi), np.inf), ci_method="wilson_odds", n_eff=d, deff=1.0,
                    estimate_unweighted=odds)


#: toy kind: odds of the numerator within the denominator population
ODDS = Kind(
    "odds", "odds of meeting the numerator filters within the denominator population", frozenset({"times"}),
    collect=lambda p, ind: (p.count("d", ind.denominator.where), p.count("x", ind.numerator.where)),
    estimate=_odds_estimate,
)

_EVEN_YEAR = Filter("grad_year", "is_even")
#: toy indicator using both: placement odds among graduates of even years
TOY = Indicator(
    "toy_even_year_placement_odds", "偶数年毕业生落实去向比值", "Placement odds, even graduation years", "times",
    "odds", "graduates",
    numerator=Measure("count", where=(_EVEN_YEAR, Filter("destination_code", "in_profile", (None, "placed")))),
    denominator=Measure("count", where=(_EVEN_YEAR,)),
    direction="higher", target=None, edition="toy (test only)", source="tests/test_definitions.py", grade="U",
    provisional=True, options_used=("profile",),
)


@pytest.fixture
def toy():
    with register_op(EVEN), register_kind(ODDS), register_indicator(TOY):
        yield TOY
    assert "is_even" not in FILTER_OPS and "odds" not in KIND_TABLE
    assert TOY.id not in {i.id for i in registry.REGISTRY}


def _graduates() -> pd.DataFrame:
    return pd.DataFrame({
        "student_id": [str(i) for i in range(12)],
        "grad_year": [2023] * 4 + [2024] * 8,
        "major": ["A", "B"] * 6,
        # 2024: A rows 4,6,8,10 -> codes 10, 70, 11, 12 (3 placed of 4); B rows 5,7,9,11 -> 70, 70, 10, None
        "destination_code": ["10", "10", "70", "10", "10", "70", "70", "70", "11", "10", "12", None],
    })


def _engine(df: pd.DataFrame, engine: str):
    if engine == "duckdb":
        import duckdb

        return duckdb.from_df(df)
    return df


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_toy_indicator_op_and_kind_compute(toy, engine):
    res = cm.compute(cm.Dataset(graduates=_engine(_graduates(), engine)), toy.id, by="major")
    res = res.set_index("major")
    # hand calculation: even year 2024 only. A: 3 placed of 4 -> odds 3/1 = 3. B: 1 placed of 4 -> 1/3.
    # (2023 rows are odd-year and never counted, though A/B 2023 have placed codes.)
    assert res.loc["A", "numerator"] == 3 and res.loc["A", "n"] == 4 and res.loc["A", "estimate"] == 3.0
    assert res.loc["B", "numerator"] == 1 and res.loc["B", "n"] == 4
    assert res.loc["B", "estimate"] == pytest.approx(1 / 3, rel=1e-12)
    lo, hi = proportion_confint(1, 4, alpha=0.05, method="wilson")
    assert res.loc["B", "ci_low"] == pytest.approx(lo / (1 - lo), rel=1e-9)
    assert res.loc["B", "ci_high"] == pytest.approx(hi / (1 - hi), rel=1e-9)
    assert (res["ci_method"] == "wilson_odds").all() and (res["status"] == "reported").all()
    assert (res["unit"] == "times").all() and (res["note"] == "").all()


def test_toy_registrations_reach_every_reader(toy):
    """Words, columns, listing and explain() come from the same single registrations."""
    f = _EVEN_YEAR
    assert f.describe("zh") == column_zh("grad_year") + "为偶数" and column_zh("grad_year") != "grad_year"
    assert f.describe("en") == "grad year is even"
    assert registry.filter_columns(f, Options()) == (("grad_year",), ())
    assert "is_even" in registry.OPS and "odds" in registry.KINDS
    listed = cm.indicators()
    assert toy.id in set(listed["id"])
    assert "is even" in listed.set_index("id").loc[toy.id, "denominator_en"]
    ex = cm.explain(cm.Dataset(graduates=_graduates()), toy.id, grad_year=2023)
    assert not ex["in_denominator"].any()  # odd year: nobody in the population
    assert all("is even" in r for r in ex["reason"])
    with pytest.raises(InvalidOptionError, match="cannot be compared"):
        comparison_kind(toy)  # the toy kind declares no comparison kind


def test_registration_is_checked_and_undone():
    bad = Indicator("toy_bad", "x", "x", "share", "odds", "graduates", Measure("count"), Measure("count"),
                    "higher", None, "e", "s", "V")
    with pytest.raises(InvalidOptionError, match="unknown kind 'odds'"):
        register_indicator(bad)  # the kind is not registered (outside the fixture)
    with pytest.raises(InvalidOptionError, match="already registered"):
        register_op(FILTER_OPS["eq"])
    with pytest.raises(InvalidOptionError, match="already registered"):
        register_indicator(registry.get_indicator("placement_rate"))


# --- the tables are complete --------------------------------------------------------------------------------


def test_every_registered_op_and_kind_is_used_or_complete():
    used_ops = {f.op for ind in registry.REGISTRY for m in ind.measures()
                for f in (*m.where, *(f for _, fs in m.terms for f in fs))}
    assert used_ops <= set(FILTER_OPS)
    assert {ind.kind for ind in registry.REGISTRY} <= set(KIND_TABLE)
    for op in FILTER_OPS.values():
        assert op.doc and callable(op.expr) and callable(op.words) and callable(op.columns)
        for opt in op.options:
            assert opt in Options.__dataclass_fields__, (op.name, opt)
    for kind in KIND_TABLE.values():
        assert kind.units <= set(UNIT_TABLE), (kind.name, kind.units - set(UNIT_TABLE))


def test_ops_reading_options_are_declared_by_their_indicators():
    """An indicator whose filters read an option lists it in options_used (so edition echoes it)."""
    missing = []
    for ind in registry.REGISTRY:
        for m in ind.measures():
            for f in m.where:
                if f.op == "in_profile" and f.value[0]:
                    continue  # a fixed profile (e.g. the 2021 grouping) does not read Options.profile
                if f.op == "relevance_scope" and f.value:
                    continue  # a fixed scope (理工农医类专业相关度) does not read Options.relevance_scope
                for opt in FILTER_OPS[f.op].options:
                    if opt not in ind.options_used and opt not in ("exclude_levels", "survey_items",
                                                                    "satisfied_levels", "overall_items"):
                        missing.append((ind.id, f.op, opt))
    assert not missing, missing


def test_comparison_kinds_match_compare():
    """The comparison kind comes from the kind table (compare keeps no list of its own)."""
    from coopmetrics.compare import KINDS as COMPARE_KINDS

    for ind in registry.REGISTRY:
        kind = KIND_TABLE[ind.kind]
        if kind.comparison is None:
            with pytest.raises(InvalidOptionError):
                registry.comparison_kind(ind.id)
        else:
            assert registry.comparison_kind(ind.id) in COMPARE_KINDS
    assert registry.comparison_kind("school_satisfaction") == "likert"
    assert registry.comparison_kind("placement_rate") == "proportion"
    assert registry.comparison_kind("salary_median") == "median"


def test_units_have_one_home():
    assert registry.UNITS == {k: (u.zh, u.en) for k, u in UNIT_TABLE.items()}
    assert {i.unit for i in registry.REGISTRY} <= set(UNIT_TABLE)
    assert unit_label("share", "en", short=True) == "%"
    assert unit_label("hires_per_intern", "zh") == "录用/实习生"
    assert unit_label("no_such_unit", "en") == "no_such_unit"
    # two units never share a label in one language (a reader could not tell them apart)
    for lang in ("zh", "en"):
        labels = [(u.zh if lang == "zh" else u.en) for k, u in UNIT_TABLE.items()
                  if k not in ("bases", "positions", "projects", "patents")]  # 个 / 项 are the official counters
        assert len(labels) == len(set(labels)), lang


@settings(max_examples=30, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-50, 50)), min_size=1, max_size=30))
def test_describe_and_engine_agree_for_comparison_ops(values):
    """Every comparison op's expression matches Python's operator on non-missing values; missing never matches."""
    import operator

    df = pd.DataFrame({"x": pd.array(values, dtype="Int64")})
    for name, fn in {"eq": operator.eq, "ne": operator.ne, "ge": operator.ge, "gt": operator.gt,
                     "le": operator.le, "lt": operator.lt}.items():
        f = Filter("x", name, 3)
        got = nw.from_native(df).select(FILTER_OPS[name].expr(f, Options(), ["x"]).alias("m"))["m"].to_list()
        assert got == [v is not None and fn(v, 3) for v in values], name
        assert describe(f, "en").startswith("x ")


def test_likert_labels_agree_with_the_answer_texts_read():
    """Every wording in a level's label is read back as that score by the loader (schema.LIKERT_TEXT)."""
    from coopmetrics.definitions.labels import LIKERT_LEVELS, likert_label
    from coopmetrics.schema import LIKERT_TEXT

    assert sorted(LIKERT_LEVELS) == [1, 2, 3, 4, 5]
    for score, (zh, en) in LIKERT_LEVELS.items():
        assert all(LIKERT_TEXT[word] == score for word in zh.split("/")), (score, zh)
        assert likert_label(score) == zh and likert_label(float(score), "en") == en
    assert likert_label(3.5) == "3.5" and likert_label("无法评估") == "无法评估"
