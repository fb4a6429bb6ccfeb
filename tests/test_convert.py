"""`cm.convert`: exports read once, written as typed Parquet; reopening gives the same tables and report."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

import coopmetrics as cm
from coopmetrics.engines import collect
from coopmetrics.errors import InputError


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    """The shipped messy CSV roster (PII columns, bad rows) and its direct load."""
    path, _bad = cm.sample.write_messy_export(tmp_path_factory.mktemp("messy"))
    return path, cm.load(path.parent)


def _plain(frame) -> pd.DataFrame:
    """Values as the user reads them: categories as strings, missing as None, a fresh index."""
    df = frame if isinstance(frame, pd.DataFrame) else collect(frame)
    out = pd.DataFrame({c: df[c].astype(object).where(df[c].notna(), None) for c in df.columns})
    for c in out.columns:  # numbers compare as floats (Parquet keeps int, CSV load may give float)
        num = pd.to_numeric(out[c], errors="coerce")
        if num.notna().sum() == out[c].notna().sum():
            out[c] = num.astype(float)
        else:
            out[c] = out[c].map(lambda v: None if v is None else str(v))
    return out.reset_index(drop=True)


def test_converted_tables_equal_the_direct_load(messy, tmp_path):
    path, direct = messy
    res = cm.convert(path.parent, tmp_path / "pq")
    back = cm.open_converted(res.folder)
    assert list(back.tables) == list(direct.tables)
    for t in direct.tables:
        assert not isinstance(back[t], pd.DataFrame)  # a lazy scan, not read yet
        pd.testing.assert_frame_equal(_plain(back[t]), _plain(direct[t]), obj=t)
        assert res.rows[t] == len(direct[t])


def test_validation_counts_and_accounting_are_kept(messy, tmp_path):
    path, direct = messy
    back = cm.open_converted(cm.convert(path.parent, tmp_path / "pq").folder)
    key = ["table", "file", "sheet", "column", "problem", "action"]
    a = direct.validation_counts.sort_values(key).reset_index(drop=True)
    b = back.validation_counts.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(_plain(a), _plain(b))
    acc = back.accounting
    assert (acc["rows_read"] == acc["kept"] + acc["excluded"]).all()
    assert int(acc["kept"].sum()) == sum(len(direct[t]) for t in direct.tables)


def test_personal_data_never_reaches_the_parquet(messy, tmp_path):
    path, _ = messy
    text = path.read_bytes().decode("gb18030")  # the export is GBK, as Excel writes it
    assert "姓名" in text and "身份证号" in text  # the export does carry them
    out = cm.convert(path.parent, tmp_path / "pq").folder
    for f in out.glob("*.parquet"):
        if f.name.startswith("_"):
            continue
        names = set(pq.ParquetFile(f).schema_arrow.names)
        assert not names & {"name", "id_card", "phone", "姓名", "身份证号", "手机号码"}, f.name


def test_report_from_converted_equals_report_from_csv(messy, tmp_path):
    path, direct = messy
    back = cm.open_converted(cm.convert(path.parent, tmp_path / "pq").folder)
    a = cm.build_report(direct, figures=False)
    b = cm.build_report(back, figures=False)
    for key in ("summary", "scorecard", "indicators", "by_group", "cohorts", "yoy"):
        if key in a.tables:
            pd.testing.assert_frame_equal(a.tables[key], b.tables[key], check_dtype=False, rtol=1e-12, obj=key)


def test_per_college_folders_get_a_college_column(tmp_path):
    src = tmp_path / "src"
    for seed in (1, 2):
        d = cm.sample.generate(seed=seed)
        (src / f"学院{seed}").mkdir(parents=True)
        d["graduates"].drop(columns="college").to_csv(src / f"学院{seed}" / "毕业生.csv", index=False)
        d["teachers"].to_csv(src / f"学院{seed}" / "教师.csv", index=False)
    res = cm.convert(src, tmp_path / "pq")
    meta = json.loads((res.folder / "_coopmetrics.json").read_text(encoding="utf-8"))
    assert meta["per_college"] is True
    back = cm.open_converted(res.folder)
    for t in ("graduates", "teachers"):
        counts = collect(back[t])["college"].value_counts()
        assert set(counts.index) == {"学院1", "学院2"}
        assert int(counts.sum()) == res.rows[t]


def test_out_must_be_empty_or_an_earlier_conversion(messy, tmp_path):
    path, _ = messy
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("x")
    with pytest.raises(InputError, match="not empty"):
        cm.convert(path.parent, other)
    with pytest.raises(InputError, match="not written by convert"):
        cm.convert(path.parent, other, overwrite=True)
    assert (other / "keep.txt").exists()
    first = cm.convert(path.parent, tmp_path / "pq")
    again = cm.convert(path.parent, tmp_path / "pq", overwrite=True)
    assert again.rows == first.rows


def test_not_converted_folder_is_refused(tmp_path):
    with pytest.raises(InputError, match="convert"):
        cm.open_converted(tmp_path)


def test_summary_counts_problems_not_notes(messy, tmp_path):
    """The printed count is the problems `validate` lists (notes such as a dropped PII column are not),
    and it points staff to `validate`, never to a Parquet file they cannot open."""
    from coopmetrics.validation import NOTE_PROBLEMS

    path, direct = messy
    res = cm.convert(path.parent, tmp_path / "pq")
    cnt = direct.validation_counts
    expected = int(cnt.loc[~cnt["problem"].isin(NOTE_PROBLEMS), "rows"].sum())
    assert expected > 0 and (cnt["problem"].isin(NOTE_PROBLEMS)).any()  # the messy roster has both
    assert res.problems == expected
    text = res.summary()
    assert f"{expected} 个数据问题" in text and "coopmetrics validate" in text and ".parquet" not in text
