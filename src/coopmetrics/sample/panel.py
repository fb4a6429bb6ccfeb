"""Large multi-college graduate panels in compact dtypes (for benchmarks).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .effects import _PROGRAMS, _REG, TRUE_EFFECTS, _effect_vectors
from .model import _draw_outcomes, _draw_program, _entry_z, _likert, _respond, _year_shifts
from .vocab import (
    _ADMISSION_P,
    _ADMISSIONS,
    _DEST_CATEGORIES,
    _EMPLOYER_TYPE_P,
    _EMPLOYER_TYPES,
    _REGIONS,
    _WEST_NE,
    MAJOR_POOL,
    _cat,
    _choice,
    _firm_names,
    _nullable_bool,
)

_PANEL_MAJORS_PER_COLLEGE = 16


@dataclass(frozen=True)
class _PanelFrame:
    """Fixed structure of a panel (colleges, majors offered, partnerships, bases)."""

    colleges: list[str]
    college_w: np.ndarray
    offer: np.ndarray  # (n_colleges, k) indices into MAJOR_POOL
    start: np.ndarray  # (n_colleges, k) partnership start year, 0 = never
    p_order: np.ndarray  # (n_colleges, k)
    p_named: np.ndarray
    p_app: np.ndarray
    a_place: np.ndarray  # (n_colleges, k)
    a_rel: np.ndarray
    a_left: np.ndarray
    a_sal: np.ndarray
    partner_idx: np.ndarray  # (n_colleges, k, 4) firm index per program cohort
    firms: list[str]
    home: np.ndarray  # college home region index
    years: np.ndarray


def _panel_frame(seed: int, n_colleges: int, years: Sequence[int]) -> _PanelFrame:
    rng = np.random.default_rng([seed, 0xC0])
    k = min(_PANEL_MAJORS_PER_COLLEGE, len(MAJOR_POOL))
    offer = np.argsort(rng.random((n_colleges, len(MAJOR_POOL))), axis=1)[:, :k]
    yrs = np.asarray(list(years), dtype=int)
    cand = np.concatenate([[0, 0, 0], yrs[1:]])  # ~ some never; staggered otherwise
    start = rng.choice(cand, size=(n_colleges, k))
    has_order = rng.random((n_colleges, k)) < 0.45
    p_order = np.where(has_order, rng.uniform(0.12, 0.30, (n_colleges, k)), 0.0)
    p_named = np.where(rng.random((n_colleges, k)) < 0.25, 0.08, 0.0)
    p_app = np.where(rng.random((n_colleges, k)) < 0.20, 0.10, 0.0)
    n_firms = 4 * n_colleges * k
    firms = _firm_names(n_firms)
    partner_idx = rng.permutation(n_firms).reshape(n_colleges, k, 4)
    home = rng.integers(0, len(_REGIONS), n_colleges)
    colleges = [f"示例职业技术学院{i + 1:04d}" for i in range(n_colleges)]
    return _PanelFrame(
        colleges=colleges,
        college_w=(w := rng.lognormal(0, 0.5, n_colleges)) / w.sum(),
        offer=offer,
        start=start,
        p_order=p_order,
        p_named=p_named,
        p_app=p_app,
        # bases chosen so that every probability stays in (P_MIN, P_MAX) (asserted in _draw_outcomes)
        a_place=rng.uniform(0.885, 0.91, (n_colleges, k)),
        a_rel=rng.uniform(0.55, 0.65, (n_colleges, k)),
        a_left=rng.uniform(0.25, 0.33, (n_colleges, k)),
        a_sal=rng.uniform(1500, 2500, (n_colleges, k)),
        partner_idx=partner_idx,
        firms=firms,
        home=home,
        years=yrs,
    )


def generate_panel_chunks(
    n_rows: int,
    *,
    chunk_rows: int = 2_000_000,
    seed: int = 0,
    n_colleges: int = 300,
    years: Sequence[int] = range(2015, 2025),
) -> Iterator[pd.DataFrame]:
    """Yield a large synthetic graduate panel in chunks (for Parquet benchmarks).

    Each chunk is an independent draw seeded by ``(seed, chunk number)`` with
    the same categories, colleges, majors and partnership years, so chunks
    concatenate into one panel and can be written to Parquet one by one without
    holding the whole panel in memory. The data depend on ``(n_rows, seed,
    chunk_rows, n_colleges, years)``.

    Parameters
    ----------
    n_rows : int
        Total rows over all chunks.
    chunk_rows : int
        Rows per chunk (the last chunk may be shorter).
    seed : int
        Seed of the numpy Generator.
    n_colleges : int
        Number of colleges; each offers 16 of the 32 majors in :data:`MAJOR_POOL`.
    years : sequence of int
        Graduation years (uniform).

    Yields
    ------
    pandas.DataFrame
        Columns as :func:`generate_panel`; ``student_id`` is unique over the panel.

    Examples
    --------
    >>> chunks = list(generate_panel_chunks(25_000, chunk_rows=10_000, seed=3))
    >>> [len(c) for c in chunks]
    [10000, 10000, 5000]
    >>> chunks[0]["student_id"].iloc[0], chunks[1]["student_id"].iloc[0]
    (np.int64(1), np.int64(10001))
    """
    if n_rows < 0 or chunk_rows <= 0:
        raise ValueError("n_rows 须非负、chunk_rows 须为正 / n_rows must be >= 0 and chunk_rows > 0")
    frame = _panel_frame(seed, n_colleges, years)
    eff = _effect_vectors(TRUE_EFFECTS)
    done, i = 0, 0
    while done < n_rows:
        n = min(chunk_rows, n_rows - done)
        yield _panel_chunk(frame, eff, np.random.default_rng([seed, 1, i]), n, first_id=done + 1)
        done += n
        i += 1


def generate_panel(
    n_rows: int,
    *,
    seed: int = 0,
    n_colleges: int = 300,
    years: Sequence[int] = range(2015, 2025),
    chunk_rows: int = 2_000_000,
) -> pd.DataFrame:
    """A large synthetic multi-college graduate panel in compact dtypes.

    Columns are the canonical ``graduates`` columns (:data:`coopmetrics.schema.TABLES`,
    personal-data columns excluded) plus ``survey_score`` (``Int8`` 1–5, NA for
    non-respondents; about 40–45 % respond, more often when placed and in
    cooperative programs) and ``survey_weight`` (``float32`` inverse response
    propensity, NA for non-respondents). Dtypes: ``category`` for text columns,
    ``int16`` grad_year, ``float32`` entry_score/monthly_salary, nullable
    ``boolean`` flags, ``int64`` student_id. Outcomes follow the same model and
    :data:`TRUE_EFFECTS` as the college sample; each (college, major) has its
    own partnership start year (some never).

    Equivalent to concatenating :func:`generate_panel_chunks`. 10 million rows
    take a few seconds and about 0.5 GB.

    Examples
    --------
    >>> df = generate_panel(1_000, seed=0, n_colleges=5)
    >>> df["college"].nunique() <= 5, df["program"].dtype.name
    (True, 'category')
    >>> sorted(df.columns[:4])
    ['college', 'department', 'grad_year', 'student_id']
    """
    chunks = list(generate_panel_chunks(n_rows, chunk_rows=chunk_rows, seed=seed, n_colleges=n_colleges,
                                        years=years))
    if not chunks:
        return _panel_chunk(_panel_frame(seed, n_colleges, years), _effect_vectors(TRUE_EFFECTS),
                            np.random.default_rng([seed, 1, 0]), 0, first_id=1)
    if len(chunks) == 1:
        return chunks[0]
    return pd.concat(chunks, ignore_index=True)


_PANEL_ORDER = [
    "student_id", "grad_year", "college", "department", "major", "major_code", "program", "partner",
    "gender", "admission", "entry_score", "destination_code", "destination", "employer", "employer_type",
    "employer_region", "employer_is_partner", "local_job", "west_northeast_job", "sme_job", "top500_job",
    "monthly_salary", "job_relevant", "left_within_6m", "certificate", "cert_1x", "survey_score", "survey_weight",
]


def _panel_chunk(fr: _PanelFrame, eff: dict[str, np.ndarray], rng: np.random.Generator, n: int,
                 first_id: int) -> pd.DataFrame:
    from ..codes import DESTINATION_CODES

    nc, k = fr.offer.shape
    col = _choice(rng, fr.college_w, n).astype(np.int32)
    slot = rng.integers(0, k, n)
    year = fr.years[rng.integers(0, fr.years.size, n)]
    major = fr.offer[col, slot]
    score, z = _entry_z(rng, n)
    program = _draw_program(rng, z, fr.p_order[col, slot], fr.p_named[col, slot], fr.p_app[col, slot])
    start = fr.start[col, slot]
    post = (start > 0) & (year >= start)
    yplace, ysal = _year_shifts(year)
    out = _draw_outcomes(
        rng, year=year, z=z, program=program, post=post,
        base_placed=fr.a_place[col, slot] + yplace,
        base_relevant=fr.a_rel[col, slot],
        base_left=fr.a_left[col, slot],
        base_salary=fr.a_sal[col, slot] + ysal,
        eff=eff,
    )
    # partner firm of the cohort (NA for regular classes)
    partner = np.where(program == _REG, -1, fr.partner_idx[col, slot, program])
    n_firms = len(fr.firms)
    other_firm = rng.integers(0, n_firms, n)
    emp_firm = np.where(out.partner_job, fr.partner_idx[col, slot, np.maximum(program, 1)], other_firm)
    emp_firm = np.where(out.has_employer, emp_firm, -1)
    # 60 % work in the college's home province, the rest anywhere else
    n_reg = len(_REGIONS)
    region = np.where(rng.random(n) < 0.6, fr.home[col],
                      (fr.home[col] + 1 + rng.integers(0, n_reg - 1, n)) % n_reg)
    emp_type = _choice(rng, _EMPLOYER_TYPE_P, n)
    responded, prop = _respond(rng, program, out.placed)
    score5 = _likert(rng, program, out.placed, out.relevant)
    miss = ~out.employed
    no_emp = ~out.has_employer
    west = np.isin(np.asarray(_REGIONS)[region], list(_WEST_NE))
    departments = sorted({d for _, _, d in MAJOR_POOL})
    dep_idx = np.array([departments.index(d) for _, _, d in MAJOR_POOL])
    df = pd.DataFrame({
        "student_id": np.arange(first_id, first_id + n, dtype=np.int64),
        "grad_year": year.astype(np.int16),
        "college": _cat(col, fr.colleges),
        "department": _cat(dep_idx[major], departments),
        "major": _cat(major, [m for _, m, _ in MAJOR_POOL]),
        "major_code": _cat(major, [c for c, _, _ in MAJOR_POOL]),
        "program": _cat(program, _PROGRAMS),
        "partner": _cat(partner, fr.firms),
        "gender": _cat((rng.random(n) < 0.42).astype(np.int8), ("male", "female")),
        "admission": _cat(_choice(rng, _ADMISSION_P, n), _ADMISSIONS),
        "entry_score": score.astype(np.float32),
        "destination_code": _cat(out.dest, _DEST_CATEGORIES),
        "destination": _cat(out.dest, [DESTINATION_CODES[c] for c in _DEST_CATEGORIES]),
        "employer": _cat(emp_firm, fr.firms),
        "employer_type": _cat(np.where(no_emp, -1, emp_type), _EMPLOYER_TYPES),
        "employer_region": _cat(np.where(miss, -1, region), _REGIONS),
        "employer_is_partner": _nullable_bool(out.partner_job, no_emp),
        "local_job": _nullable_bool(region == fr.home[col], miss),
        "west_northeast_job": _nullable_bool(west, miss),
        "sme_job": _nullable_bool(rng.random(n) < 0.62, miss),
        "top500_job": _nullable_bool(rng.random(n) < 0.08, miss),
        "monthly_salary": out.salary.astype(np.float32),
        "job_relevant": _nullable_bool(out.relevant, miss),
        "left_within_6m": _nullable_bool(out.left, miss),
        "survey_score": pd.arrays.IntegerArray(score5, ~responded),
        "survey_weight": np.where(responded, 1.0 / prop, np.nan).astype(np.float32),
    })
    # issue 14 certificates: drawn last so every other column keeps its draws
    df["certificate"] = _nullable_bool(rng.random(n) < 0.78, np.zeros(n, bool))
    df["cert_1x"] = _nullable_bool(rng.random(n) < 0.31, np.zeros(n, bool))
    return df[_PANEL_ORDER]
