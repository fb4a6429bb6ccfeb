"""Raked survey shares and their calibration-aware SE against R ``survey`` (Lumley).

R's ``calibrate(svydesign(ids = ~1, data = respondents), ~major + program + gender, population,
calfun = "raking")`` followed by ``svymean`` / ``svyby`` is the reference the issue names. The test
writes a roster and its respondents, runs R (Debian's r-base-core, r-cran-survey, r-cran-mass) and
compares estimates and standard errors with ``compute()``'s defaults (raking to the roster's
one-way margins, calibrated linearised SE). It is skipped where R or its survey package is absent.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

import coopmetrics as cm

R_SCRIPT = r"""
suppressMessages(library(survey))
g <- read.csv("roster.csv"); r <- read.csv("resp.csv")
r$major <- factor(r$major, levels = c("A", "B", "C"))
r$program <- factor(r$program, levels = c("order_class", "regular"))
r$gender <- factor(r$gender, levels = c("female", "male"))
pop <- c(`(Intercept)` = nrow(g), majorB = sum(g$major == "B"), majorC = sum(g$major == "C"),
         programregular = sum(g$program == "regular"), gendermale = sum(g$gender == "male"))
d <- suppressWarnings(svydesign(ids = ~1, data = r))
cal <- calibrate(d, ~major + program + gender, population = pop, calfun = "raking", epsilon = 1e-12, maxit = 500)
m <- svymean(~x, cal)
b <- svyby(~x, ~major, cal, svymean)
out <- data.frame(group = c("all", as.character(b$major)), estimate = c(coef(m), b$x), se = c(SE(m), b$se))
write.csv(out, "r_out.csv", row.names = FALSE)
"""


def _r_available() -> bool:
    if shutil.which("Rscript") is None:
        return False
    probe = subprocess.run(["Rscript", "-e", "library(survey); library(MASS)"], capture_output=True)
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(not _r_available(), reason="R with the survey package is not installed")


def _data(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = 600
    g = pd.DataFrame({"student_id": [f"s{i}" for i in range(n)], "grad_year": 2024,
                      "major": rng.choice(["A", "B", "C"], n, p=[0.5, 0.3, 0.2]),
                      "program": rng.choice(["regular", "order_class"], n, p=[0.8, 0.2]),
                      "gender": rng.choice(["male", "female"], n), "destination_code": "10"})
    # response depends on major and gender: raking has something to correct
    answered = rng.random(n) < 0.25 + 0.3 * (g["major"] == "A") + 0.2 * (g["gender"] == "female")
    r = g[answered].reset_index(drop=True)
    top = rng.random(len(r)) < 0.6 + 0.2 * (r["major"] == "B")
    score = np.where(top, rng.choice([4, 5], len(r)), rng.choice([1, 2, 3], len(r)))
    return g, r, score


@pytest.mark.parametrize("seed", [7, 11])
def test_raked_share_and_calibrated_se_equal_r_survey(tmp_path, seed):
    g, r, score = _data(seed)
    words = {5: "很满意", 4: "满意", 3: "一般", 2: "不满意", 1: "很不满意"}
    s = pd.DataFrame({"respondent_id": r["student_id"], "student_id": r["student_id"], "year": 2024,
                      "survey_kind": "school", "item": "母校总体满意度",
                      "response": [words[v] for v in score], "score": score})
    ds = cm.Dataset(graduates=g, survey=s)
    g.to_csv(tmp_path / "roster.csv", index=False)
    r.assign(x=(score >= 4).astype(int)).to_csv(tmp_path / "resp.csv", index=False)
    (tmp_path / "cal.R").write_text(R_SCRIPT, encoding="utf-8")
    subprocess.run(["Rscript", "cal.R"], cwd=tmp_path, check=True, capture_output=True)
    ref = pd.read_csv(tmp_path / "r_out.csv").set_index("group")

    overall = cm.compute(ds, "school_satisfaction", by=()).iloc[0]
    assert overall["numerator"] == (score >= 4).sum() and overall["denominator"] == len(r)  # people
    assert overall["estimate"] == pytest.approx(ref.loc["all", "estimate"], rel=1e-6)
    assert overall["se"] == pytest.approx(ref.loc["all", "se"], rel=1e-5)
    by_major = cm.compute(ds, "school_satisfaction", by=("major",)).set_index("major")
    for major in ("A", "B", "C"):
        assert by_major.loc[major, "estimate"] == pytest.approx(ref.loc[major, "estimate"], rel=1e-6)
        assert by_major.loc[major, "se"] == pytest.approx(ref.loc[major, "se"], rel=1e-5)
