"""状态数据 collection layouts (A7-4 岗位实习, A7-5 校企合作 style), one row per major.

Optional (``build_report(..., platform=True)``, CLI ``--platform``): the same data as the
report, grouped by major the way the state data platform collects it. Counts are exact.
"""

from __future__ import annotations

import pandas as pd

from ..dataset import Dataset

__all__ = ["platform_tables"]

# A7-5 style columns: ledger column -> the same id in the report's header vocabulary.
_A75 = ("interns_received", "internship_positions", "order_students", "graduates_hired", "part_time_teachers",
        "part_time_hours", "equipment_value", "donated_equipment", "tech_service_income", "training_person_days")


def _a74(data: Dataset, year: int) -> pd.DataFrame | None:
    from .build import _frame

    intern = _frame(data, "internships")
    if intern is None:
        return None
    part = intern[intern["year"] == year]
    if "major" not in part.columns or part["major"].isna().all():
        grads = _frame(data, "graduates")
        if grads is None or "major" not in grads.columns:
            return None
        majors = grads.drop_duplicates("student_id").set_index("student_id")["major"]
        part = part.assign(major=part["student_id"].map(majors))
    part = part.assign(major=part["major"].fillna("（专业未知）"))
    flags = {c: part[c].fillna(False).astype(bool) for c in ("insured", "relevant", "hired") if c in part.columns}
    frame = part.assign(**{f"_{c}": v for c, v in flags.items()})
    agg: dict[str, tuple[str, str]] = {"interns": ("student_id", "nunique"), "practice_firms": ("enterprise", "nunique")}
    for c, out in (("insured", "interns_insured"), ("relevant", "interns_relevant"), ("hired", "interns_hired")):
        if c in flags:
            agg[out] = (f"_{c}", "sum")
    table = frame.groupby("major", sort=True).agg(**agg).reset_index()
    return table.astype({c: "int64" for c in table.columns if c != "major"})


def _a75(data: Dataset, year: int) -> pd.DataFrame | None:
    from .build import _frame

    ent = _frame(data, "enterprises")
    if ent is None or "major" not in ent.columns:
        return None
    part = ent[ent["year"] == year].assign(major=lambda d: d["major"].fillna("（专业未知）"))
    cols = [c for c in _A75 if c in part.columns]
    table = part.groupby("major", sort=True).agg(partners=("enterprise", "nunique"),
                                                 **{c: (c, "sum") for c in cols}).reset_index()
    return table


def platform_tables(data: Dataset, year: int, lang: str) -> dict[str, pd.DataFrame]:
    """The 状态数据 layouts the data allow: ``platform_internship`` (A7-4), ``platform_partners`` (A7-5).

    Examples
    --------
    >>> import coopmetrics as cm
    >>> t = platform_tables(cm.sample.load_sample(), 2024, "zh")     # doctest: +SKIP
    >>> list(t["platform_internship"].columns)                        # doctest: +SKIP
    ['major', 'interns', 'practice_firms', 'interns_insured', 'interns_relevant', 'interns_hired']
    """
    del lang  # headers are localised by the renderers
    out = {}
    a74, a75 = _a74(data, year), _a75(data, year)
    if a74 is not None:
        out["platform_internship"] = a74
    if a75 is not None:
        out["platform_partners"] = a75
    return out
