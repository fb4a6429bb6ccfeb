"""Safety net for refactors: every indicator on the shipped sample, frozen numerically.

``tests/data/behaviour_snapshot.parquet`` holds the numeric columns (plus status and edition) of
:func:`coopmetrics.compute` for every registered indicator on the shipped sample, by three groupings
(overall, ``grad_year``, ``grad_year`` x ``major``) under four :class:`Options` combinations. It was
written from the tree *before* the "one home per definition" refactor (issue 11) by running this
file as a script::

    PYTHONPATH=src python tests/test_behaviour_preserved.py tests/data/behaviour_snapshot.parquet

A change that moves any number by more than 1e-12 (or flips a status) fails here; a deliberate change
of a definition regenerates the file in the same commit and says so in the message.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import coopmetrics as cm
from coopmetrics.registry import Options

SNAPSHOT = Path(__file__).parent / "data" / "behaviour_snapshot.parquet"

OPTIONS = {
    "default": Options(),
    "dual2004_pay2016": Options(dual_definition="2004_evaluation", pay_rule="2016", practice_days=90),
    "dual2022_unweighted_stem": Options(dual_definition="2022_standard", survey_weights=None,
                                        relevance_scope="stem_agri_med"),
    "moe2024_weighted_se": Options(profile="moe_2024", survey_se="weighted"),
}
GROUPINGS = {"all": (), "grad_year": ("grad_year",), "year_major": ("grad_year", "major")}
KEYS = ["opt", "by", "indicator", "g_grad_year", "g_major"]


def snapshot() -> pd.DataFrame:
    """Compute every indicator under every (options, grouping) pair; one long frame."""
    ds = cm.load(cm.sample.SAMPLE_DIR)
    parts = []
    for oname, o in OPTIONS.items():
        for bname, by in GROUPINGS.items():
            r = cm.compute(ds, by=list(by), options=o)
            key = pd.DataFrame({"opt": oname, "by": bname, "indicator": r["indicator"].astype(str)})
            for c in ("grad_year", "major"):
                key["g_" + c] = r[c].astype(str).fillna("<NA>") if c in by else ""
            key["status"] = r["status"].astype(str)
            key["edition"] = r["edition"].astype(str)
            num = r.select_dtypes(include=[np.number]).drop(columns=list(by), errors="ignore").astype("float64")
            parts.append(pd.concat([key.reset_index(drop=True), num.reset_index(drop=True)], axis=1))
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def now() -> pd.DataFrame:
    return snapshot()


@pytest.fixture(scope="module")
def frozen() -> pd.DataFrame:
    return pd.read_parquet(SNAPSHOT)


def test_same_rows(now, frozen):
    """Every (options, grouping, indicator, group) row of the frozen run is still produced, and no other."""
    a = now[KEYS].apply(tuple, axis=1)
    b = frozen[KEYS].apply(tuple, axis=1)
    assert sorted(a) == sorted(b)
    assert not a.duplicated().any()


def test_same_status_and_edition(now, frozen):
    m = frozen.merge(now, on=KEYS, suffixes=("_was", "_now"))
    assert len(m) == len(frozen)
    for c in ("status", "edition"):
        bad = m[m[f"{c}_was"] != m[f"{c}_now"]]
        assert bad.empty, bad[[*KEYS, f"{c}_was", f"{c}_now"]].head(10).to_string()


def test_every_numeric_cell_within_1e12(now, frozen):
    numeric = [c for c in frozen.columns if c not in KEYS and c not in ("status", "edition")]
    assert set(numeric) <= set(now.columns)
    m = frozen.merge(now, on=KEYS, suffixes=("_was", "_now"))
    for c in numeric:
        was, got = m[f"{c}_was"].to_numpy(float), m[f"{c}_now"].to_numpy(float)
        same_nan = np.isnan(was) == np.isnan(got)
        assert same_nan.all(), (c, m.loc[~same_nan, KEYS].head().to_string())
        ok = np.isnan(was) | np.isclose(got, was, rtol=1e-12, atol=1e-12)
        assert ok.all(), (c, m.loc[~ok, [*KEYS, f"{c}_was", f"{c}_now"]].head().to_string())


def test_snapshot_covers_every_indicator(frozen):
    from coopmetrics.registry import REGISTRY

    assert {i.id for i in REGISTRY} <= set(frozen["indicator"])


if __name__ == "__main__":  # regenerate the frozen copy (see module docstring)
    snapshot().to_parquet(sys.argv[1], index=False, compression="zstd")
