"""Tests for coopmetrics.report.gcfreeze: the objects alive before a report are frozen while it is
built and its figures rendered, thawed afterwards, and a caller's own freeze is left alone."""

from __future__ import annotations

import contextlib
import gc

import pandas as pd
import pytest

import coopmetrics as cm
from coopmetrics.report import build_report, gcfreeze

YEAR = 2024


def _tiny() -> cm.Dataset:
    g = pd.DataFrame({"student_id": [f"S{i}" for i in range(60)], "grad_year": [YEAR] * 30 + [YEAR - 1] * 30,
                      "department": ["甲学院", "乙学院"] * 30, "major": "会计",
                      "destination_code": (["10"] * 20 + ["70"] * 10) * 2})
    return cm.Dataset(graduates=g)


def test_data_is_frozen_during_every_phase_and_thawed_after():
    seen = []
    rep = build_report(_tiny(), YEAR, progress=lambda phase: seen.append((phase, gc.get_freeze_count())))
    assert [p for p, _ in seen] == ["compute", "compare", "tables", "plots"]
    assert all(n > 0 for _, n in seen)  # the objects alive before the report: frozen
    assert gc.get_freeze_count() == 0
    counts = []
    real = gcfreeze.gc.freeze

    def spy() -> None:
        real()
        counts.append(gc.get_freeze_count())

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(gcfreeze.gc, "freeze", spy)
        rep.render_figures()
    assert counts and counts[0] > 0 and gc.get_freeze_count() == 0


def test_a_callers_freeze_is_left_alone_and_nothing_is_frozen_with_the_collector_off():
    gc.freeze()
    try:
        assert gc.get_freeze_count() > 0
        build_report(_tiny(), YEAR, figures=False)
        assert gc.get_freeze_count() > 0  # not thawed by the report (objects freed meanwhile leave it)
    finally:
        gc.unfreeze()
    gc.disable()
    try:
        with gcfreeze.frozen_heap():
            assert gc.get_freeze_count() == 0
    finally:
        gc.enable()


def test_thawed_after_an_error():
    with pytest.raises(ValueError), gcfreeze.frozen_heap():
        assert gc.get_freeze_count() > 0
        raise ValueError("boom")
    assert gc.get_freeze_count() == 0


def test_tables_are_the_same_without_the_freeze(monkeypatch):
    ds = _tiny()
    frozen = build_report(ds, YEAR, figures=False)
    import coopmetrics.report.build as build

    monkeypatch.setattr(build, "frozen_heap", contextlib.nullcontext)
    plain = build_report(ds, YEAR, figures=False)
    assert list(frozen.tables) == list(plain.tables)
    for k in frozen.tables:
        if k != "about":  # its 生成时间 row is the clock
            pd.testing.assert_frame_equal(frozen.tables[k], plain.tables[k])
