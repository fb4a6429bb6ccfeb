"""Partner appendices (企业年报), the report section, figures, the CLI, and the planted partners."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import coopmetrics as cm
from coopmetrics.cli import EXIT_OK, main
from coopmetrics.partners import partner_scorecard
from coopmetrics.partners.appendix import appendix_table, report_section, write_appendices


@pytest.fixture(scope="module")
def ds():
    return cm.sample.generate()


@pytest.fixture(scope="module")
def sc24(ds):
    return partner_scorecard(ds, 2024)


def _read(path):
    return pd.read_excel(path, sheet_name=None, engine="openpyxl")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_appendix_workbook_has_the_four_parts_and_college_values(ds, sc24, tmp_path, lang):
    name = sc24.table.sort_values("interns", ascending=False)["enterprise"].iloc[0]
    (path,) = write_appendices(sc24, tmp_path, year=2024, lang=lang, partners=[name])
    assert path.name == (f"2024_{name}_企业年报数据附录.xlsx" if lang == "zh" else f"2024_{name}_annual_report_appendix.xlsx")
    book = _read(path)
    sheets = ["投入", "学生", "成效", "服务", "说明"] if lang == "zh" else ["inputs", "students", "outcomes",
                                                                       "services", "notes"]
    assert list(book) == sheets
    inputs = book[sheets[0]].set_index(book[sheets[0]].columns[0])
    e = ds["enterprises"]
    e24 = e[e["year"] == 2024]
    label = "企业资金投入（元）" if lang == "zh" else "funds (yuan)"
    assert inputs.loc[label].iloc[0] == e24.loc[e24["enterprise"] == name, "funds"].sum()
    # the college column: mean per partner active that year
    assert inputs.loc[label].iloc[1] == pytest.approx(e24.groupby("enterprise")["funds"].sum().mean())
    out = book[sheets[2]]
    hire = out[out.iloc[:, 0] == ("实习生录用率" if lang == "zh" else "intern hire rate")].iloc[0]
    i = ds["internships"]
    mine = i[(i["year"] == 2024) & (i["enterprise"] == name) & i["hired"].notna()]
    assert hire.iloc[2] == mine["hired"].sum() and hire.iloc[3] == len(mine)
    all24 = i[(i["year"] == 2024) & i["hired"].notna()]
    assert hire.iloc[6] == pytest.approx(all24["hired"].mean())
    # no personal data: no student ids anywhere in the workbook
    text = " ".join(str(v) for df in book.values() for v in df.to_numpy().ravel())
    assert not any(sid in text for sid in mine["student_id"])


def test_appendix_table_covers_every_ledger_partner(ds, sc24):
    long = appendix_table(sc24)
    e = ds["enterprises"]
    assert set(long["enterprise"]) == set(e.loc[e["year"] == 2024, "enterprise"])
    per = long.groupby("enterprise")["section"].value_counts().unstack()
    assert (per[["inputs", "services", "students", "outcomes"]] > 0).all().all()


def test_report_section_tables_and_figures(ds):
    s = report_section(ds, 2024)
    assert {"flags", "top", "bottom", "departments", "churn", "survival", "tenure"} <= set(s.tables)
    assert {"funnel", "shrinkage", "survival", "churn"} <= set(s.figures)
    top = s.tables["top"]
    assert top["shrunk"].is_monotonic_decreasing
    assert (s.tables["bottom"]["shrunk"].max() <= top["shrunk"].min())
    assert "合作企业评估" in s.text


@pytest.mark.parametrize("kind", ["funnel", "shrinkage"])
def test_scorecard_plot(sc24, kind):
    fig = sc24.plot("intern_hire_rate", kind=kind, lang="en")
    ax = fig.axes[0]
    n_points = sum(len(c.get_offsets()) for c in ax.collections if hasattr(c, "get_offsets"))
    assert n_points >= int((sc24.table["intern_hire_rate_denominator"] > 0).sum())


def test_cli_partners_writes_one_appendix_per_partner(tmp_path, capsys):
    out = tmp_path / "p"
    assert main(["partners", "--year", "2024", "--out", str(out), "--lang", "en", "-q"]) == EXIT_OK
    books = sorted(out.glob("*.xlsx"))
    ledger = cm.sample.load_sample()["enterprises"]
    assert len(books) == ledger.loc[ledger["year"] == 2024, "enterprise"].nunique()
    table = pd.read_csv(out / "2024_partner_scorecard.csv")
    assert {"enterprise", "intern_hire_rate", "intern_hire_rate_ci_low", "intern_hire_rate_flag"} <= set(table)
    assert "Partner scorecard" in capsys.readouterr().out


def test_cli_partners_bad_input_is_a_bilingual_error(tmp_path, capsys):
    assert main(["partners", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) != EXIT_OK
    err = capsys.readouterr().err
    assert "找不到" in err and "not found" in err


# ----------------------------------------------------------------------------------------
# planted partners: found, and the average ones not flagged
# ----------------------------------------------------------------------------------------

_WANT = {"good": "above", "bad": "below", "average": "within"}


def _flags(seed: int) -> pd.DataFrame:
    ds = cm.sample.generate(seed)
    planted = cm.sample.planted_partners(ds)
    # only the tables the intern hire rate needs: fast replications
    sc = partner_scorecard(cm.Dataset(enterprises=ds["enterprises"], internships=ds["internships"]))
    f = sc.fair[sc.fair["measure"] == "intern_hire_rate"].merge(planted, on="enterprise")
    return f.assign(want=f["quality"].map(_WANT), seed=seed)


def test_planted_partners_documented_in_true_effects_and_readme():
    readme = (cm.sample.SAMPLE_DIR / "README.md").read_text(encoding="utf-8")
    for q, v in cm.sample.PARTNER_QUALITY.items():
        assert cm.sample.TRUE_EFFECTS[f"hired_partner_{q}"].value == v
        assert f"`hired_partner_{q}`" in readme


def test_planted_partners_found_in_the_sample(ds):
    f = _flags(2024)
    assert len(f) == 9
    assert (f["flag"] == f["want"]).all(), f[["enterprise", "quality", "estimate", "college_rate", "flag"]]
    # shrinkage keeps the order: good above average above bad
    m = f.groupby("quality")["shrunk"].mean()
    assert m["good"] > m["average"] > m["bad"]


@pytest.mark.slow
def test_planted_partners_found_in_90_percent_of_replications():
    res = pd.concat([_flags(seed) for seed in range(20)], ignore_index=True)
    per_rep = res.groupby("seed").apply(lambda d: bool((d["flag"] == d["want"]).all()), include_groups=False)
    assert per_rep.mean() >= 0.9, per_rep
    # and separately: each quality's detection (or non-flagging) rate
    rate = (res["flag"] == res["want"]).groupby(res["quality"]).mean()
    assert (rate >= 0.9).all(), rate
    assert np.isfinite(res["shrunk"]).all()
