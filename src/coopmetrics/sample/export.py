"""Canonical tables -> the frames a college exports (Chinese headers and values, 是/否, wide surveys).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from .mechanisms import _ZH_MECH
from .surveys import _SURVEY_ITEMS

#: The folder of the committed sample files (repo path ``data/sample`` links here).
SAMPLE_DIR: Path = Path(str(resources.files("coopmetrics") / "data" / "sample"))


#: Output file name (without .csv) of each table; the survey is one wide file per kind.
SAMPLE_FILES: dict[str, str] = {
    "graduates": "毕业生", "teachers": "教师", "enterprises": "合作企业", "internships": "岗位实习",
    "enrollment": "在校生", "recruitment": "招聘岗位",
    # issue 14 mechanism tables
    "bases": "实训基地", "agreements": "合作协议", "events": "校企活动", "committees": "委员会成员",
    "services": "社会服务项目",
}


_ZH_PROGRAM = {"regular": "普通班", "order_class": "订单班", "named_class": "冠名班", "apprenticeship": "现代学徒制"}


_ZH_GENDER = {"male": "男", "female": "女"}


_ZH_TEACHER = {"full_time": "专任", "internal_part_time": "校内兼课", "enterprise_part_time": "企业兼职",
               "external_part_time": "校外兼课"}


_ZH_LEVEL = {"senior": "高级", "intermediate": "中级", "junior": "初级", "none": "无"}


def _export_frame(table: str, df: pd.DataFrame) -> pd.DataFrame:
    """Canonical frame -> the frame a college exports: Chinese headers and values, 是/否."""
    from ..schema import TABLES

    t = TABLES[table]
    out = {}
    for col in t.columns:
        if col.pii or col.name not in df.columns:
            continue
        s = df[col.name]
        if col.kind == "bool":
            s = s.map({True: "是", False: "否"}).astype(object).where(s.notna(), None)
        elif col.name == "program":
            s = s.map(_ZH_PROGRAM)
        elif col.name == "gender":
            s = s.map(_ZH_GENDER)
        elif table == "teachers" and col.name == "category":
            s = s.map(_ZH_TEACHER)
        elif col.name in ("title_level", "dual_level"):
            s = s.map(_ZH_LEVEL)
        elif col.kind == "category" and col.name in _ZH_MECH:  # issue 14 vocabularies, as exported
            s = s.map(_ZH_MECH[col.name])
        elif col.kind == "date":
            s = pd.to_datetime(s).dt.strftime("%Y-%m-%d")
        out[col.zh] = s
    return pd.DataFrame(out)


def _to_csv(df: pd.DataFrame, path: Path, encoding: str = "utf-8") -> None:
    text = df.to_csv(index=False, lineterminator="\n", float_format="%.10g")
    path.write_bytes(text.encode(encoding))


def _survey_wide(survey: pd.DataFrame, kind: str) -> pd.DataFrame:
    """One survey kind as the wide export of a survey tool (one column per item, text answers)."""
    s = survey[survey["survey_kind"] == kind]
    items = [i for i, _ in _SURVEY_ITEMS[kind]]
    who = "employer" if kind == "employer" else "student_id"
    wide = s.pivot(index=["respondent_id", who, "year"], columns="item", values="response")
    wide = wide.reindex(columns=items).reset_index()
    wide = wide.sort_values(["year", "respondent_id"], ignore_index=True)
    zh = {"respondent_id": "答卷编号", "student_id": "学号", "employer": "单位名称", "year": "年份"}
    return wide.rename(columns=zh).rename_axis(columns=None)
