"""Tests of coopmetrics.dataset.Dataset."""

from __future__ import annotations

import pandas as pd
import polars as pl
import pytest

import coopmetrics as cm
from coopmetrics.dataset import ACCOUNTING_COLUMNS, VALIDATION_COLUMNS
from coopmetrics.errors import InputError


def _g(n=3):
    return pd.DataFrame({"student_id": [str(i) for i in range(n)], "grad_year": [2024] * n,
                         "major": ["会计"] * n, "destination_code": ["10"] * n})


def test_tables_in_schema_order_and_mapping_access():
    e = pd.DataFrame({"year": [2024], "students": [10]})
    ds = cm.Dataset(enrollment=e, graduates=_g())
    assert ds.tables == ["graduates", "enrollment"]
    assert "graduates" in ds and "survey" not in ds
    assert ds.get("survey") is None and ds.get("enrollment") is e
    with pytest.raises(KeyError, match="survey"):
        ds["survey"]


def test_unknown_table_name_raises_bilingual_input_error():
    with pytest.raises(InputError) as err:
        cm.Dataset(graduate=_g())
    assert "未知的表名" in str(err.value) and "unknown table name" in str(err.value)


def test_empty_validation_and_accounting_have_the_documented_columns():
    ds = cm.Dataset(graduates=_g())
    assert ds.validation.columns.tolist() == VALIDATION_COLUMNS and ds.validation.empty
    assert ds.accounting.columns.tolist() == ACCOUNTING_COLUMNS and ds.accounting.empty


def test_replace_returns_a_new_dataset():
    ds = cm.Dataset(graduates=_g(3))
    new = ds.replace(graduates=_g(5))
    assert len(ds["graduates"]) == 3 and len(new["graduates"]) == 5


def test_row_counts_and_repr_count_rows_of_lazy_frames():
    lazy = pl.DataFrame({"year": [2023, 2024], "students": [1, 2]}).lazy()
    ds = cm.Dataset(graduates=_g(4), enrollment=lazy)
    rc = ds.row_counts()
    assert rc["rows"].tolist() == [4, 2]
    assert rc["name_zh"].tolist() == ["毕业生", "在校生"]
    text = repr(ds)
    assert "graduates" in text and "4 rows" in text and "2 rows" in text
    assert "(no tables)" in repr(cm.Dataset())


def test_validation_report_wraps_the_loaded_report(tmp_path):
    f = tmp_path / "毕业生.csv"
    f.write_text("学号,届别,专业,毕业去向代码,月收入\n1,2024,会计,10,=1+1\n2,2024,会计,10,3000\n", encoding="utf-8")
    ds = cm.load(f)
    rep = ds.validation_report()
    assert len(rep) == len(ds.validation) and "unparseable_number" in rep.safe()["problem"].tolist()
    text = rep.to_csv(tmp_path / "v.csv").read_text(encoding="utf-8-sig")
    assert "'=1+1" in text and '"=1+1' not in text


def test_tables_is_a_read_only_mapping_in_schema_order():
    g = pd.DataFrame({"student_id": ["1"], "grad_year": [2024], "major": ["会计"], "destination_code": ["10"]})
    t = pd.DataFrame({"teacher_id": ["t"], "year": [2024], "category": ["full_time"]})
    ds = cm.Dataset(teachers=t, graduates=g)
    assert list(ds.tables) == ["graduates", "teachers"]  # schema order, whatever the call order
    assert ds.tables["teachers"] is t and dict(ds.tables.items())["graduates"] is g
    assert ds.tables == ["graduates", "teachers"] and len(ds.tables) == 2
    with pytest.raises(TypeError):
        ds.tables["graduates"] = g  # read-only


def test_dataset_shows_its_tables_in_jupyter():
    g = pd.DataFrame({"student_id": ["1", "2"], "grad_year": [2024, 2024], "major": ["会计"] * 2,
                      "destination_code": ["10", "70"]})
    html = cm.Dataset(graduates=g)._repr_html_()
    assert "毕业生" in html and "<table" in html and ">2<" in html
