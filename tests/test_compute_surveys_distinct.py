"""Each distinct raking problem solved once (issue 16 items 5–6).

Survey shares are raked per cell indicator × (college ×) year. Cells whose respondents carry the
same levels in the same order (the 学生反馈表's copies of the item pool, one per item, when the same
people rate every item; several shares of one questionnaire) are one problem:
``compute_surveys._rake_distinct`` rakes the first and copies its weights to the others
(``weighting.distinct_cells``). These tests check that this changes no number (bit for bit
against each copy computed in a call of its own) and that ``rake`` sees each distinct problem
once.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import coopmetrics as cm
from coopmetrics import weighting
from coopmetrics.definitions.records import Filter
from coopmetrics.registry import Options, get_indicator
from coopmetrics.weighting import distinct_cells, row_codes

EXACT = ["estimate", "se", "ci_low", "ci_high", "n", "numerator", "denominator", "n_eff", "weighting_effect"]
ITEMS = ["q0", "q1", "q2", "q3"]
OPTS = Options(raking_variables=("program", "gender"), survey_items={"school": None})


# --- the grouping itself ----------------------------------------------------------------------------


def _reference_groups(cell: np.ndarray, content: np.ndarray) -> dict[int, tuple[int, ...]]:
    """Each cell's sequence of content codes, in row order (the slow, obvious way)."""
    return {int(c): tuple(content[cell == c].tolist()) for c in np.unique(cell)}


@settings(max_examples=60, deadline=None)
@given(data=st.data(), n_cells=st.integers(1, 12), n_levels=st.integers(1, 4))
def test_distinct_cells_finds_exactly_the_repeated_sequences(data, n_cells, n_levels):
    # a few base sequences; each cell is a copy of one of them (or a fresh one); rows of the cells interleaved
    bases = data.draw(st.lists(st.lists(st.integers(0, n_levels), min_size=1, max_size=6), min_size=1, max_size=4))
    seqs = [data.draw(st.sampled_from(bases)) if data.draw(st.booleans())
            else data.draw(st.lists(st.integers(0, n_levels), min_size=1, max_size=6)) for _ in range(n_cells)]
    cell = np.concatenate([np.full(len(s), 10 * c) for c, s in enumerate(seqs)])  # any integers as cell codes
    content = np.concatenate(seqs)
    shuffle = np.random.default_rng(data.draw(st.integers(0, 1000))).permutation(len(cell))
    order = np.argsort(cell[shuffle], kind="stable")  # interleave cells, keep each cell's row order
    inter = shuffle[order]
    perm = np.empty_like(inter)
    perm[np.argsort(inter, kind="stable")] = np.arange(len(inter))
    cell, content = cell[perm], content[perm]  # rows of a cell still in sequence order
    ref = _reference_groups(cell, content)
    keep, source = distinct_cells(cell, content)
    kept_cells = set(np.unique(cell[keep]).tolist())
    assert len(kept_cells) == len(set(ref.values()))  # one solved cell per distinct sequence
    assert len({ref[c] for c in kept_cells}) == len(kept_cells)
    assert keep[source].all() and (source[keep] == np.flatnonzero(keep)).all()
    for c, seq in ref.items():  # every row copies the row at the same position of an equal cell
        rows = np.flatnonzero(cell == c)
        src = source[rows]
        assert len(set(cell[src].tolist())) == 1 and ref[int(cell[src[0]])] == seq
        assert (np.flatnonzero(cell == cell[src[0]]) == src).all()


def test_distinct_cells_survives_a_hash_collision(monkeypatch):
    """A collision of the sequence hashes is caught by the row-by-row check: the cells are solved apart."""
    monkeypatch.setattr(pd.util, "hash_array", lambda a, *args, **kw: np.zeros(len(a), dtype=np.uint64))
    keep, source = distinct_cells([0, 0, 1, 1, 2, 2], [1, 2, 2, 1, 1, 2])  # every hash equal
    assert keep.tolist() == [True, True, True, True, False, False]
    assert source.tolist() == [0, 1, 2, 3, 0, 1]


def test_row_codes_equal_rows_equal_codes():
    f = pd.DataFrame({"a": pd.Categorical(["x", "y", "x", None, None]), "b": [1.0, 1.0, 1.0, np.nan, np.nan]})
    codes = row_codes(f, ["a", "b"])
    assert codes[0] == codes[2] and codes[3] == codes[4] and len(set(codes.tolist())) == 3


# --- in compute(): the item copies of the 学生反馈表 ------------------------------------------------


def _college(seed: int, answers: list[int]) -> cm.Dataset:
    """Two years of graduates; a random half respond; item k is rated (validly) by the respondents of
    subset ``answers[k]`` (equal numbers: the same people), the others answer 无法评估 (not valid)."""
    rng = np.random.default_rng(seed)
    n = 160
    g = pd.DataFrame({"student_id": [f"s{i}" for i in range(2 * n)], "grad_year": np.repeat([2023, 2024], n),
                      "major": "A", "program": rng.choice(["regular", "order_class", "apprenticeship"], 2 * n),
                      "gender": rng.choice(["male", "female"], 2 * n), "destination_code": "10"})
    resp = g[rng.random(2 * n) < 0.5]
    subsets = {k: rng.random(len(resp)) < 0.8 for k in set(answers)}
    rows = []
    for item, k in zip(ITEMS, answers, strict=True):
        valid = subsets[k]
        rows.append(pd.DataFrame({"respondent_id": resp["student_id"].to_numpy(), "student_id": resp["student_id"].to_numpy(),
                                  "year": resp["grad_year"].to_numpy(), "survey_kind": "school", "item": item,
                                  "score": np.where(valid, rng.integers(1, 6, len(resp)), np.nan),
                                  "response": np.where(valid, "x", "无法评估")}))
    return cm.Dataset(graduates=g, survey=pd.concat(rows, ignore_index=True))


def _copies() -> list:
    """One copy of the item pool per item (its filters plus item == k), as the report builds them."""
    base = get_indicator("school_satisfaction_items")
    out = []
    for k, item in enumerate(ITEMS):
        only = Filter("item", "eq", item)
        out.append(replace(base, id=f"{base.id}__item{k}",
                           numerator=replace(base.numerator, where=(*base.numerator.where, only)),
                           denominator=replace(base.denominator, where=(*base.denominator.where, only))))
    return out


class _Counter:
    """Wraps ``weighting.rake``: the raking cells (indicator × year) handed to the solver, over all calls."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.cells: list[tuple] = []
        self.calls = 0
        real = weighting.rake

        def counting(sample, population, variables, by=(), **kw):
            self.calls += 1
            self.cells += list(sample[list(by)].drop_duplicates().itertuples(index=False, name=None))
            return real(sample, population, variables, by=by, **kw)

        monkeypatch.setattr(weighting, "rake", counting)


def _distinct_problems(ds: cm.Dataset) -> int:
    """Distinct (year, raking levels of the respondents with a valid answer, in 学号 order) over the
    items: the problems to solve (the weights depend on the levels only)."""
    s = ds["survey"]
    valid = s[s["score"].notna()].merge(ds["graduates"], on="student_id").sort_values("respondent_id")
    seqs = {(int(y), tuple(zip(g["program"], g["gender"], strict=True)))
            for (_, y), g in valid.groupby(["item", "year"])}
    return len(seqs)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), answers=st.lists(st.integers(0, 2), min_size=4, max_size=4))
def test_item_copies_in_one_call_equal_each_copy_alone(monkeypatch, seed, answers):
    ds = _college(seed, answers)
    copies = _copies()
    counter = _Counter(monkeypatch)
    one = cm.compute(ds, copies, by=("grad_year",), options=OPTS)
    # the solver saw each distinct (respondents, year) once, in one call
    assert counter.calls == 1
    assert len(counter.cells) == _distinct_problems(ds) <= 2 * len(set(answers))
    for c in copies:
        alone = cm.compute(ds, [c], by=("grad_year",), options=OPTS)
        mine = one[one["indicator"] == c.id].reset_index(drop=True)
        assert len(mine) == len(alone) == 2 and (alone["status"] == "reported").all()
        for col in EXACT:  # bit for bit: no tolerance
            np.testing.assert_array_equal(mine[col].to_numpy(float), alone[col].to_numpy(float), err_msg=col)


def test_copies_sharing_respondents_are_raked_once(monkeypatch):
    ds = _college(3, [0, 0, 0, 1])  # items q0-q2: the same people; q3 others
    counter = _Counter(monkeypatch)
    res = cm.compute(ds, _copies(), by=("grad_year",), options=OPTS)
    assert sorted(counter.cells) == sorted({(f"school_satisfaction_items__item{k}", y)
                                            for k in (0, 3) for y in (2023, 2024)})
    # the shared weights are those of the first copy: same n, same effective n; estimates differ by the answers
    a, b = (res[res["indicator"] == f"school_satisfaction_items__item{k}"] for k in (0, 1))
    assert (a["n"].to_numpy() == b["n"].to_numpy()).all()


def test_different_shares_of_one_questionnaire_share_the_raking(monkeypatch):
    """Overall question and item pool, every respondent answering everything: one problem per year."""
    ds = _college(4, [0, 0, 0, 0])
    s = ds["survey"]
    s = s.assign(score=s["score"].fillna(3), response="x", item=s["item"].replace({"q0": "母校总体满意度"}))
    ds = ds.replace(survey=s)
    counter = _Counter(monkeypatch)
    both = cm.compute(ds, ["school_satisfaction", "school_satisfaction_items"], by=("grad_year",), options=OPTS)
    assert len(counter.cells) == 2  # two years, not four cells
    for ind in ("school_satisfaction", "school_satisfaction_items"):
        alone = cm.compute(ds, ind, by=("grad_year",), options=OPTS)
        mine = both[both["indicator"] == ind].reset_index(drop=True)
        for col in EXACT:
            np.testing.assert_array_equal(mine[col].to_numpy(float), alone[col].to_numpy(float), err_msg=col)


# --- each row's note describes its own raking cell (item 3) ----------------------------------------


def _two_years(off_roster_2023: int, stuck_2023: bool = False) -> cm.Dataset:
    """100 graduates a year (60 regular, 40 order_class; 50 male, 50 female) and their respondents.

    2023: ``off_roster_2023`` extra respondents whose 学号 is not on the roster; with ``stuck_2023``
    the respondents are only regular men and order_class women, so the margins (60 regular but 50
    men) cannot both be met: raking that cell cannot converge. 2024: a plain cell.
    """
    g, s = [], []
    for year in (2023, 2024):
        prog = ["regular"] * 60 + ["order_class"] * 40
        gender = ["male"] * 30 + ["female"] * 30 + ["male"] * 20 + ["female"] * 20
        ids = [f"{year}-{i}" for i in range(100)]
        g.append(pd.DataFrame({"student_id": ids, "grad_year": year, "major": "A", "program": prog,
                               "gender": gender, "destination_code": "10"}))
        take = [i for i in range(100) if i % 3 == 0]
        if stuck_2023 and year == 2023:
            take = [i for i in take if (prog[i], gender[i]) in {("regular", "male"), ("order_class", "female")}]
        rid = [ids[i] for i in take] + ([f"x{j}" for j in range(off_roster_2023)] if year == 2023 else [])
        s.append(pd.DataFrame({"respondent_id": rid, "student_id": rid, "year": year, "survey_kind": "school",
                               "item": "母校总体满意度", "response": "x", "score": (np.arange(len(rid)) % 5) + 1}))
    return cm.Dataset(graduates=pd.concat(g, ignore_index=True), survey=pd.concat(s, ignore_index=True))


def test_each_rows_note_counts_its_own_respondents_kept_with_the_mean_weight():
    ds = _two_years(off_roster_2023=3)
    r = cm.compute(ds, "school_satisfaction", by=("grad_year",), options=OPTS).set_index("grad_year")
    n23 = 34 + 3  # every third graduate of 100 (0, 3, ..., 99) and the three not on the roster
    assert r.loc[2023, "n"] == n23
    assert r.loc[2023, "note"].startswith(f"3 名答卷人（共 {n23} 名）不在名单")
    assert f"3 of {n23} respondent(s) not on the roster" in r.loc[2023, "note"]
    assert r.loc[2024, "note"] == ""  # nothing to say about 2024's respondents
    # pooled over the years: the group's respondents are both years'
    pooled = cm.compute(ds, "school_satisfaction", by=(), options=OPTS).iloc[0]
    assert f"3 of {n23 + 34} respondent(s)" in pooled["note"]


def test_a_row_says_its_own_cell_did_not_converge():
    ds = _two_years(off_roster_2023=0, stuck_2023=True)
    r = cm.compute(ds, "school_satisfaction", by=("grad_year",), options=OPTS).set_index("grad_year")
    assert "raking did not converge" in r.loc[2023, "note"] and "未收敛" in r.loc[2023, "note"]
    assert r.loc[2024, "note"] == ""


def test_a_colleges_notes_on_a_panel_are_those_of_the_college_alone():
    a, b = _two_years(off_roster_2023=5), _two_years(off_roster_2023=0, stuck_2023=True)
    panel = cm.Dataset(**{t: pd.concat([a[t].assign(college="甲"), b[t].assign(college="乙")], ignore_index=True)
                          for t in ("graduates", "survey")})
    both = cm.compute(panel, "school_satisfaction", by=("college", "grad_year"), options=OPTS)
    for name, alone_ds in (("甲", a), ("乙", b)):
        alone = cm.compute(alone_ds, "school_satisfaction", by=("grad_year",), options=OPTS)
        mine = both[both["college"] == name]
        assert mine["note"].astype(str).tolist() == alone["note"].astype(str).tolist()
        assert (alone["note"].astype(str) != "").sum() == 1  # one year of each college has something to say
