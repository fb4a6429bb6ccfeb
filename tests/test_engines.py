"""Tests for coopmetrics.engines: detection, lazy Parquet scans, collect, progress, errors."""

from __future__ import annotations

import sys

import duckdb
import narwhals as nw
import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopmetrics import engines
from coopmetrics.engines import (
    EngineNotInstalledError,
    UnsupportedFrameError,
    collect,
    engine_of,
    is_lazy,
    scan,
    to_narwhals,
)
from coopmetrics.errors import InputError, InvalidOptionError


def _small_frame(n: int = 2_000, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "student_id": np.arange(1, n + 1).astype(str),
        "grad_year": rng.choice([2022, 2023, 2024], n),
        "major": rng.choice(["数控技术", "电子商务", "护理"], n),
        "program": rng.choice(["regular", "order_class"], n),
        "destination_code": rng.choice(["10", "11", "70", "80"], n),
        "monthly_salary": rng.normal(4500, 800, n).round(1),
    })


# --- detection -----------------------------------------------------------------------


def test_engine_of_every_supported_native_frame():
    import dask.dataframe as dd
    import pyarrow as pa

    df = _small_frame(10)
    assert engine_of(df) == "pandas"
    assert engine_of(pl.from_pandas(df)) == "polars"
    assert engine_of(pl.from_pandas(df).lazy()) == "polars"
    assert engine_of(duckdb.from_df(df)) == "duckdb"
    assert engine_of(dd.from_pandas(df, npartitions=2)) == "dask"
    assert engine_of(pa.Table.from_pandas(df)) == "pyarrow"
    # a narwhals wrapper reports the engine underneath
    assert engine_of(nw.from_native(pl.from_pandas(df).lazy())) == "polars"


def test_is_lazy_separates_queries_from_materialised_frames():
    import dask.dataframe as dd

    df = _small_frame(10)
    assert not is_lazy(df)
    assert not is_lazy(pl.from_pandas(df))
    assert is_lazy(pl.from_pandas(df).lazy())
    assert is_lazy(duckdb.from_df(df))
    assert is_lazy(dd.from_pandas(df, npartitions=1))


@pytest.mark.parametrize("obj", [[1, 2, 3], {"a": [1]}, np.zeros((2, 2)), pd.Series([1, 2]), "graduates.csv"])
def test_unsupported_object_gives_bilingual_error(obj):
    with pytest.raises(UnsupportedFrameError) as info:
        to_narwhals(obj)
    msg = str(info.value)
    assert "不支持的数据类型" in msg and "Unsupported object" in msg
    assert type(obj).__name__ in msg
    # still catchable as the builtin users expect
    assert isinstance(info.value, TypeError)


def test_engine_not_installed_names_the_package(monkeypatch, tmp_path):
    _small_frame(10).to_parquet(tmp_path / "a.parquet")
    monkeypatch.setitem(sys.modules, "polars", None)  # makes `import polars` fail
    with pytest.raises(EngineNotInstalledError) as info:
        scan(tmp_path, "polars")
    msg = str(info.value)
    assert "未安装计算引擎 'polars'" in msg and "pip install \"polars\"" in msg
    assert "The 'polars' engine is not installed" in msg
    assert isinstance(info.value, ImportError)


def test_unknown_scan_engine_is_an_option_error(tmp_path):
    _small_frame(10).to_parquet(tmp_path / "a.parquet")
    with pytest.raises(InvalidOptionError, match="did you mean 'duckdb'"):
        scan(tmp_path, "duckbd")


# --- lazy Parquet scans ---------------------------------------------------------------


def _write_hive(df: pd.DataFrame, root) -> None:
    """Write ``df`` hive-partitioned by grad_year, two files per year, Chinese headers."""
    zh = {"student_id": "学号", "major": "专业名称", "program": "培养模式", "destination_code": "毕业去向代码",
          "monthly_salary": "月收入"}
    for year, part in df.groupby("grad_year"):
        folder = root / f"grad_year={year}"
        folder.mkdir(parents=True)
        part = part.drop(columns="grad_year").rename(columns=zh)
        half = len(part) // 2
        part.iloc[:half].to_parquet(folder / "part-0.parquet", index=False)
        part.iloc[half:].to_parquet(folder / "part-1.parquet", index=False)


def _canonical_sorted(frame: pd.DataFrame, columns) -> pd.DataFrame:
    out = frame[list(columns)].copy()
    out["grad_year"] = out["grad_year"].astype("int64")
    for c in ("student_id", "major", "program", "destination_code"):
        out[c] = out[c].astype(str)
    return out.sort_values("student_id").reset_index(drop=True)


@pytest.mark.parametrize("engine", ["duckdb", "polars", "dask"])
def test_scan_of_hive_partitioned_folder_equals_eager_frame(tmp_path, engine):
    df = _small_frame()
    _write_hive(df, tmp_path / "panel")
    lazy = scan(tmp_path / "panel", engine)
    assert is_lazy(lazy)
    got = collect(to_narwhals(lazy))
    assert set(got.columns) == set(df.columns)  # Chinese headers renamed, year from folder names
    cols = list(df.columns)
    pd.testing.assert_frame_equal(_canonical_sorted(got, cols), _canonical_sorted(df, cols))


def test_scan_converts_wanyuan_to_yuan_and_keeps_unknown_columns(tmp_path):
    pd.DataFrame({
        "企业名称": ["甲", "乙"], "年份": [2024, 2024], "设备值（万元）": [1.5, 2.0], "备注": ["x", "y"],
    }).to_parquet(tmp_path / "ent.parquet")
    for engine in ("duckdb", "polars"):
        got = collect(to_narwhals(scan(tmp_path / "ent.parquet", engine, table="enterprises")))
        assert list(got.columns) == ["enterprise", "year", "equipment_value", "备注"]
        # 1.5 万元 = 15,000 yuan
        assert got["equipment_value"].tolist() == [15_000.0, 20_000.0]


def test_scan_errors_name_the_path(tmp_path):
    with pytest.raises(InputError, match="找不到文件或文件夹") as info:
        scan(tmp_path / "missing", "duckdb")
    assert "path not found" in str(info.value) and "missing" in str(info.value)
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("x")
    with pytest.raises(InputError, match="no Parquet file in the folder"):
        scan(tmp_path / "empty", "polars")


def test_scan_rejects_two_headers_for_one_column(tmp_path):
    pd.DataFrame({"学号": ["1"], "学生学号": ["1"], "届别": [2024]}).to_parquet(tmp_path / "dup.parquet")
    with pytest.raises(InputError) as info:
        scan(tmp_path / "dup.parquet", "duckdb")
    msg = str(info.value)
    assert "student_id" in msg and "学生学号" in msg and "two columns map" in msg


def test_scan_reads_only_footers_until_queried(tmp_path):
    """A scan is a lazy plan: deleting nothing, but the DuckDB relation is not executed.

    DuckDB relations are executed on demand; we check that the relation we get is
    a plan over read_parquet (the SQL mentions the files) rather than a
    materialised table.
    """
    _small_frame(100).to_parquet(tmp_path / "a.parquet")
    rel = scan(tmp_path / "a.parquet", "duckdb")
    assert "read_parquet" in rel.sql_query().lower() or "parquet" in rel.explain().lower()
    lf = scan(tmp_path / "a.parquet", "polars")
    assert "Parquet SCAN" in lf.explain() or "PARQUET SCAN" in lf.explain().upper()


# --- collect --------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(-(10**12), 10**12)), min_size=1, max_size=40))
def test_duckdb_integer_sums_come_back_as_int64_equal_to_python_sums(rows):
    df = pd.DataFrame(rows, columns=["g", "x"])
    rel = duckdb.from_df(df)
    agg = to_narwhals(rel).group_by("g").agg(nw.col("x").sum().alias("s"), nw.len().alias("n"))
    got = collect(agg).sort_values("g").reset_index(drop=True)
    assert str(got["s"].dtype) == "int64"  # DuckDB's HUGEINT would otherwise give Decimal objects
    expected = {g: sum(x for gg, x in rows if gg == g) for g in {g for g, _ in rows}}
    assert dict(zip(got["g"], got["s"], strict=True)) == expected


def test_collect_returns_pandas_unchanged_and_lazy_results_as_pandas():
    df = _small_frame(50)
    assert collect(df) is df
    lf = pl.from_pandas(df).lazy().group_by("program").agg(pl.len().alias("n"))
    got = collect(lf)
    assert isinstance(got, pd.DataFrame)
    assert dict(zip(got["program"], got["n"], strict=True)) == df["program"].value_counts().to_dict()


def test_collect_on_a_dask_distributed_cluster():
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    df = _small_frame(500)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        ddf = dd.from_pandas(df, npartitions=4)
        agg = to_narwhals(ddf).group_by("major").agg(nw.col("monthly_salary").sum().alias("s"))
        got = collect(agg, progress=True)
    expected = df.groupby("major")["monthly_salary"].sum()
    assert np.allclose(got.set_index("major")["s"].sort_index(), expected.sort_index())


# --- progress ---------------------------------------------------------------------------


def test_progress_is_quiet_by_default_and_switchable(capsys, monkeypatch):
    monkeypatch.setattr(engines, "_PROGRESS", [False])
    assert list(engines.track(range(3), "files")) == [0, 1, 2]
    assert capsys.readouterr().err == ""
    previous = engines.set_progress(True)
    assert previous is False
    assert list(engines.track(range(3), "files")) == [0, 1, 2]
    err = capsys.readouterr().err
    assert "files" in err and "/3" in err
    # per-call argument wins over the session default
    list(engines.track(range(3), "quiet", enabled=False))
    assert capsys.readouterr().err == ""


def test_progress_on_a_lazy_collect_reports_the_query(capsys):
    rel = duckdb.sql("SELECT range % 2 AS g FROM range(100)")
    collect(to_narwhals(rel).group_by("g").agg(nw.len()), progress=True, desc="汇总 graduates")
    assert "汇总 graduates" in capsys.readouterr().err


def test_environment_variable_switches_progress_on(monkeypatch):
    monkeypatch.setenv("COOPMETRICS_PROGRESS", "1")
    assert engines._env_progress() is True
    monkeypatch.setenv("COOPMETRICS_PROGRESS", "0")
    assert engines._env_progress() is False


# --- compute() on every engine ------------------------------------------------------------

BY = ["grad_year", "major", "program"]
NUMBERS = ["numerator", "denominator", "n", "estimate", "se", "ci_low", "ci_high", "n_eff"]


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    from coopmetrics.sample import generate_panel

    return generate_panel(20_000, seed=11, n_colleges=5)


@pytest.fixture(scope="module")
def graduate_indicators() -> list[str]:
    from coopmetrics.registry import REGISTRY

    return [i.id for i in REGISTRY if i.table == "graduates"]


def _keyed(result: pd.DataFrame) -> pd.DataFrame:
    out = result[["indicator", *BY, *NUMBERS, "status"]].copy()
    out["grad_year"] = out["grad_year"].astype("int64")
    for c in ("indicator", "major", "program", "status"):
        out[c] = out[c].astype(str)
    return out.set_index(["indicator", *BY]).sort_index()


def _assert_same_numbers(got: pd.DataFrame, ref: pd.DataFrame, skip_ci_of: tuple[str, ...] = ()) -> None:
    assert got.index.equals(ref.index)
    assert (got["status"] == ref["status"]).all()
    for c in NUMBERS:
        a, b = got[c].to_numpy(float), ref[c].to_numpy(float)
        if c in ("se", "ci_low", "ci_high") and skip_ci_of:
            keep = ~got.index.get_level_values("indicator").isin(skip_ci_of)
            a, b = a[keep], b[keep]
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True, err_msg=c)


@pytest.fixture(scope="module")
def reference(panel, graduate_indicators) -> pd.DataFrame:
    import coopmetrics as cm

    return _keyed(cm.compute(panel, graduate_indicators, by=BY))


def test_reference_is_not_trivial(reference):
    # many groups, most indicators reported, and it matches a direct pandas count
    assert len(reference) > 5_000
    assert (reference["status"] == "reported").mean() > 0.9


def test_reference_placement_matches_a_direct_pandas_calculation(panel, reference):
    from coopmetrics.codes import PROFILES

    prof = PROFILES["moe_2021"]
    placed_codes = {c for cat in prof.placed for c in prof.codes(cat)}
    placed = panel["destination_code"].astype(str).isin(placed_codes)
    direct = placed.groupby([panel[b] for b in BY], observed=True).agg(["sum", "size"])
    got = reference.xs("placement_rate", level="indicator")
    direct.index = direct.index.set_levels(direct.index.levels[0].astype("int64"), level=0)
    direct.index = direct.index.set_levels([lvl.astype(str) for lvl in direct.index.levels[1:]], level=[1, 2])
    joined = got.join(direct, how="inner")
    assert len(joined) == len(direct) == len(got)
    np.testing.assert_array_equal(joined["numerator"], joined["sum"])
    np.testing.assert_array_equal(joined["denominator"], joined["size"])


@pytest.mark.parametrize("kind", ["polars", "polars_lazy", "duckdb", "pyarrow"])
def test_compute_gives_the_same_numbers_on_every_engine(kind, panel, graduate_indicators, reference):
    import pyarrow as pa

    import coopmetrics as cm

    frame = {
        "polars": lambda: pl.from_pandas(panel),
        "polars_lazy": lambda: pl.from_pandas(panel).lazy(),
        "duckdb": lambda: duckdb.from_arrow(pa.Table.from_pandas(panel, preserve_index=False)),
        "pyarrow": lambda: pa.Table.from_pandas(panel, preserve_index=False),
    }[kind]()
    got = _keyed(cm.compute(frame, graduate_indicators, by=BY))
    _assert_same_numbers(got, reference)  # medians included: exact on every engine


def test_compute_on_dask_with_a_local_distributed_cluster(panel, graduate_indicators, reference):
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    import coopmetrics as cm

    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        ddf = dd.from_pandas(panel, npartitions=4)
        got = _keyed(cm.compute(ddf, graduate_indicators, by=BY))
        assert client.status == "running"
    # narwhals has no grouped rank on Dask: the median is exact but comes without an interval
    _assert_same_numbers(got, reference, skip_ci_of=("salary_median",))
    med = got.xs("salary_median", level="indicator")
    assert med["ci_low"].isna().all()


def test_scan_of_a_parquet_folder_gives_the_same_as_the_eager_frame(panel, graduate_indicators, reference,
                                                                    tmp_path):
    import coopmetrics as cm

    for year, part in panel.groupby("grad_year"):
        folder = tmp_path / f"grad_year={year}"
        folder.mkdir()
        part.drop(columns="grad_year").to_parquet(folder / "part-0.parquet", index=False)
    for engine in ("duckdb", "polars"):
        got = _keyed(cm.compute(scan(tmp_path, engine), graduate_indicators, by=BY))
        _assert_same_numbers(got, reference)


def _n_groups(panel: pd.DataFrame) -> int:
    return panel.groupby(BY, observed=True).ngroups


def test_compute_on_a_polars_lazyframe_only_collects_aggregated_rows(panel, graduate_indicators, monkeypatch):
    import coopmetrics as cm

    heights: list[int] = []
    original = pl.LazyFrame.collect

    def recording_collect(self, *args, **kwargs):
        out = original(self, *args, **kwargs)
        heights.append(out.height)
        return out

    monkeypatch.setattr(pl.LazyFrame, "collect", recording_collect)
    result = cm.compute(pl.from_pandas(panel).lazy(), graduate_indicators, by=BY)
    assert heights, "compute must run through LazyFrame.collect"
    assert max(heights) <= _n_groups(panel) < len(panel) / 10
    assert len(result) <= len(graduate_indicators) * _n_groups(panel)


def test_compute_on_a_duckdb_relation_fetches_only_aggregated_rows(panel, graduate_indicators, monkeypatch):
    import coopmetrics as cm

    rel = duckdb.from_df(panel)
    fetched: list[int] = []
    cls = type(rel)
    for name in ("to_arrow_table", "fetch_arrow_table", "arrow", "df", "fetchdf", "pl", "fetchall"):
        original = getattr(cls, name, None)
        if original is None:
            continue

        def recording(self, *args, _original=original, **kwargs):
            out = _original(self, *args, **kwargs)
            fetched.append(len(out) if not hasattr(out, "num_rows") else out.num_rows)
            return out

        monkeypatch.setattr(cls, name, recording)
    cm.compute(rel, graduate_indicators, by=BY)
    assert fetched, "compute must fetch results from DuckDB"
    assert max(fetched) <= _n_groups(panel) < len(panel) / 10
    # the relation is still a lazy query over the data, usable again
    assert is_lazy(rel) and rel.aggregate("count(*)").fetchall()[0][0] == len(panel)


# --- long_frame ------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["placement_rate", "salary_mean", "毕业去向落实率"]),
                          st.lists(st.tuples(st.sampled_from(["甲", "乙", "丙"]), st.floats(-1e6, 1e6)),
                                   min_size=1, max_size=6)),
                min_size=1, max_size=5))
def test_long_frame_equals_concatenating_block_frames(blocks):
    parts, frames = [], []
    for ind, rows in blocks:
        keys = pd.Series([k for k, _ in rows], dtype="str")
        est = np.array([v for _, v in rows])
        status = np.array(["reported" if v >= 0 else "not_applicable" for v in est], dtype=object)
        parts.append({"indicator": ind, "college": keys, "estimate": est, "ci_level": 0.95, "status": status})
        frames.append(pd.DataFrame({"indicator": ind, "college": keys, "estimate": est, "ci_level": 0.95,
                                    "status": status}))
    cols = ["indicator", "college", "estimate", "ci_level", "status"]
    got = engines.long_frame(parts, cols)
    expected = pd.concat(frames, ignore_index=True)[cols]
    assert got.values.tolist() == expected.values.tolist()
    assert str(got["indicator"].dtype) == "str" and str(got["status"].dtype) == "str"
    assert got["estimate"].dtype == np.float64


@pytest.mark.parametrize("engine", ["duckdb", "polars", "dask"])
def test_scan_leaves_personal_data_out_unless_asked(tmp_path, engine):
    pd.DataFrame({"学号": ["1", "2"], "姓名": ["张三", "李四"], "身份证号": ["1101", "1102"], "届别": [2024, 2024]}
                 ).to_parquet(tmp_path / "g.parquet")
    got = collect(to_narwhals(scan(tmp_path, engine)))
    assert list(got.columns) == ["student_id", "grad_year"]
    assert "张三" not in got.to_string()
    kept = collect(to_narwhals(scan(tmp_path, engine, pii="keep")))
    assert list(kept.columns) == ["student_id", "name", "id_card", "grad_year"]


def test_scan_default_engine_is_a_lazy_duckdb_relation(tmp_path):
    _small_frame(10).to_parquet(tmp_path / "a.parquet")
    lazy = scan(tmp_path)
    assert isinstance(lazy, duckdb.DuckDBPyRelation) and engine_of(lazy) == "duckdb"


def _did_start(panel: pd.DataFrame) -> dict[str, int]:
    colleges = sorted(panel["college"].astype(str).unique())
    return dict(zip(colleges[:3], [2018, 2020, 2022], strict=False))  # the rest never start


@pytest.mark.parametrize("kind", ["duckdb", "polars_lazy", "dask_cluster"])
def test_bootstrap_compare_and_did_on_every_engine(panel, kind):
    """Issue 16: the bootstrap of means and the DiD run on engine group-bys and give pandas' numbers."""
    from coopmetrics.compare import compare
    from coopmetrics.did import partnership_effect

    start = _did_start(panel)
    ref_cmp = compare(panel, "salary_mean", by=["college"], n_boot=200, seed=1).table
    ref_did = partnership_effect(panel, "placement_rate", start=start, unit="college", n_boot=99, seed=2)

    def run(frame):
        c = compare(frame, "salary_mean", by=["college"], n_boot=200, seed=1).table
        d = partnership_effect(frame, "placement_rate", start=start, unit="college", n_boot=99, seed=2)
        return c, d

    if kind == "duckdb":
        import pyarrow as pa

        got = run(duckdb.from_arrow(pa.Table.from_pandas(panel, preserve_index=False)))
    elif kind == "polars_lazy":
        pl = pytest.importorskip("polars")
        got = run(pl.from_pandas(panel).lazy())
    else:
        dd = pytest.importorskip("dask.dataframe")
        distributed = pytest.importorskip("distributed")
        with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                      dashboard_address=None) as cluster, distributed.Client(cluster):
            got = run(dd.from_pandas(panel, npartitions=4))
    # the by column's dtype follows the engine (category on pandas, string elsewhere): compare values
    # and its row order (category order on Polars): compare rows sorted by their keys
    def norm(t):
        return t.astype({"college": str}).sort_values(["college", "cohort"]).reset_index(drop=True)

    pd.testing.assert_frame_equal(norm(got[0]), norm(ref_cmp), check_exact=False, rtol=1e-9, atol=1e-9)
    assert got[0]["ci_low"].notna().all()
    for part in ("overall", "event_study", "group_time"):
        pd.testing.assert_frame_equal(getattr(got[1], part), getattr(ref_did, part), check_exact=False,
                                      rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("kind", ["duckdb", "polars_lazy", "dask_cluster"])
def test_adjusted_compare_on_every_engine(panel, kind):
    """Issue 16: the chunked, dictionary-encoded adjusted compare (AIPW) gives pandas' numbers on every
    engine, a Dask LocalCluster included."""
    from coopmetrics.compare import compare

    adjust = [c for c in ("entry_score", "gender") if c in panel.columns]
    assert adjust, "the panel fixture carries covariates"
    kw = dict(cohort="program", reference="regular", by=["college"], adjust=adjust)
    ref = compare(panel, "placement_rate", **kw).table
    if kind == "duckdb":
        import pyarrow as pa

        got = compare(duckdb.from_arrow(pa.Table.from_pandas(panel, preserve_index=False)), "placement_rate",
                      **kw).table
    elif kind == "polars_lazy":
        pl = pytest.importorskip("polars")
        got = compare(pl.from_pandas(panel).lazy(), "placement_rate", **kw).table
    else:
        dd = pytest.importorskip("dask.dataframe")
        distributed = pytest.importorskip("distributed")
        with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                      dashboard_address=None) as cluster, distributed.Client(cluster):
            got = compare(dd.from_pandas(panel, npartitions=4), "placement_rate", **kw).table

    def norm(t):
        return t.astype({"college": str}).sort_values(["college", "cohort"]).reset_index(drop=True)

    assert ref["difference"].notna().sum() > 0 and ref["adjusted"].astype(bool).all()
    pd.testing.assert_frame_equal(norm(got), norm(ref), check_exact=False, rtol=1e-8, atol=1e-10)


# --- DuckDB counts and Arrow ordering (issue 16: suite at hand-written-SQL speed) ---------------------


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([2023, 2024, None]), st.sampled_from(["甲", "乙", "b", "B", None]),
                          st.sampled_from(["10", "70", "80", "99", None]),
                          st.one_of(st.none(), st.floats(1000, 9000, allow_nan=False))),
                min_size=1, max_size=40))
def test_duckdb_counts_and_arrow_order_equal_the_pandas_route(rows):
    # counts on DuckDB are count(CASE WHEN ...), its group rows are ordered in Arrow; the pandas
    # input sums 0/1 columns and sorts in pandas. Same rows in the same order, same numbers,
    # null keys (integer and text) last, a group with no match counting 0.
    import coopmetrics as cm

    frame = pd.DataFrame(rows, columns=["grad_year", "major", "destination_code", "monthly_salary"])
    frame.insert(0, "student_id", [str(i) for i in range(len(frame))])
    frame["grad_year"] = frame["grad_year"].astype("Int64")
    frame["major"] = frame["major"].astype("str")
    frame["destination_code"] = frame["destination_code"].astype("str")
    inds = ["graduates_total", "placement_rate", "unknown_destination_count", "salary_mean"]
    by = ["grad_year", "major"]
    want = cm.compute(frame, inds, by=by)
    got = cm.compute(duckdb.from_df(frame), inds, by=by)
    assert len(got) == len(want)
    # same group order (nulls last); an integer key with nulls is float on one route, Int64 on the other
    np.testing.assert_array_equal(pd.to_numeric(got["grad_year"]).to_numpy(float),
                                  pd.to_numeric(want["grad_year"]).to_numpy(float))
    assert got["major"].astype(object).where(got["major"].notna(), None).tolist() == \
        want["major"].astype(object).where(want["major"].notna(), None).tolist()
    assert got["indicator"].astype(str).tolist() == want["indicator"].astype(str).tolist()
    assert got["status"].astype(str).tolist() == want["status"].astype(str).tolist()
    for c in ("numerator", "denominator", "n", "estimate", "se", "ci_low", "ci_high"):
        np.testing.assert_allclose(got[c].to_numpy(float), want[c].to_numpy(float), rtol=1e-12, atol=0,
                                   equal_nan=True, err_msg=c)
    # the row counts are exact integers, and the total per group is the number of its rows
    tot = got[got["indicator"] == "graduates_total"]
    assert tot["estimate"].sum() == len(frame)
