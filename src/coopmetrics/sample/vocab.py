"""Vocabularies and small helpers shared by every generator (majors, regions, firm names, MoE codes).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Majors (高职专科专业目录 2021 style codes) -> department (二级学院).
MAJOR_POOL: tuple[tuple[str, str, str], ...] = (
    ("460103", "数控技术", "智能制造学院"),
    ("460104", "机械设计与制造", "智能制造学院"),
    ("460301", "机电一体化技术", "智能制造学院"),
    ("460305", "工业机器人技术", "智能制造学院"),
    ("460701", "汽车制造与试验技术", "汽车工程学院"),
    ("500211", "汽车检测与维修技术", "汽车工程学院"),
    ("460702", "新能源汽车技术", "汽车工程学院"),
    ("510201", "计算机应用技术", "信息工程学院"),
    ("510203", "软件技术", "信息工程学院"),
    ("510205", "大数据技术", "信息工程学院"),
    ("510101", "电子信息工程技术", "信息工程学院"),
    ("510301", "现代通信技术", "信息工程学院"),
    ("530302", "大数据与会计", "经济管理学院"),
    ("530701", "电子商务", "经济管理学院"),
    ("530802", "现代物流管理", "经济管理学院"),
    ("530605", "市场营销", "经济管理学院"),
    ("540101", "旅游管理", "文旅学院"),
    ("540106", "酒店管理与数字化运营", "文旅学院"),
    ("550102", "视觉传达设计", "艺术设计学院"),
    ("550106", "环境艺术设计", "艺术设计学院"),
    ("440301", "建筑工程技术", "建筑工程学院"),
    ("440501", "工程造价", "建筑工程学院"),
    ("520201", "护理", "医药卫生学院"),
    ("520802", "药学", "医药卫生学院"),
    ("480201", "化工技术", "化工学院"),
    ("470103", "现代纺织技术", "纺织服装学院"),
    ("470302", "服装设计与工艺", "纺织服装学院"),
    ("490109", "食品检验检测技术", "食品学院"),
    ("500301", "城市轨道交通运营管理", "交通运输学院"),
    ("500605", "民航运输服务", "交通运输学院"),
    ("410101", "现代农业技术", "农林学院"),
    ("570102", "学前教育", "教育学院"),
)


_ADMISSIONS = ("普通高考", "单招", "中职对口", "3+2", "五年一贯制")


_ADMISSION_P = np.array([0.45, 0.30, 0.12, 0.08, 0.05])


_EMPLOYER_TYPES = ("民营企业", "国有企业", "三资企业", "机关事业单位", "其他")


_EMPLOYER_TYPE_P = np.array([0.66, 0.16, 0.10, 0.05, 0.03])


_REGIONS = (
    "江苏", "浙江", "上海", "广东", "安徽", "山东", "北京", "福建", "湖北", "四川", "河南", "陕西",
    "重庆", "新疆", "辽宁", "黑龙江",
)


_WEST_NE = {"四川", "陕西", "重庆", "新疆", "辽宁", "黑龙江"}


_FIRM_PREFIX = ("华", "中", "新", "苏", "恒", "瑞", "博", "天", "宏", "鼎", "精", "力", "远", "盛", "海", "金")


_FIRM_MID = ("信", "达", "通", "科", "创", "源", "泰", "航", "腾", "锐", "凯", "诚", "合", "晟", "智", "联")


_FIRM_SUFFIX = (
    "智能装备有限公司", "科技有限公司", "汽车零部件有限公司", "信息技术有限公司", "电子股份有限公司",
    "物流有限公司", "酒店管理有限公司", "建设集团有限公司", "医疗器械有限公司", "新材料有限公司",
    "精密机械有限公司", "数字科技有限公司", "食品有限公司", "服饰有限公司", "教育科技有限公司",
    "轨道交通设备有限公司",
)


# Destination codes (MoE). Placed codes by category; 2-digit before 2022, 3-digit
# children of families 27/50/80 from the 2022 cohorts on (both generations occur).
_PLACED_CODES_OLD = ("10", "11", "12", "46", "27", "50", "75", "76", "80", "80", "85")


_PLACED_CODES_NEW = ("10", "11", "12", "46", "271", "502", "75", "76", "803", "801", "85")


_PLACED_P = np.array([0.38, 0.31, 0.09, 0.012, 0.008, 0.01, 0.015, 0.09, 0.07, 0.005, 0.01])


_PLACED_P = _PLACED_P / _PLACED_P.sum()


#: positions of further study (80x, 85) in the placed-code lists, and the mix within each part
_FS_POS = np.array([8, 9, 10])


_WORK_POS = np.arange(8)


_FS_P = _PLACED_P[_FS_POS] / _PLACED_P[_FS_POS].sum()


_WORK_P = _PLACED_P[_WORK_POS] / _PLACED_P[_WORK_POS].sum()


def further_study_share(year: np.ndarray) -> np.ndarray:
    """Share of placed graduates who go on to study (升学: 专升本 80x, abroad 85), by graduation year.

    Rises 2.2 points a year from 9 % (2019) to 20 % (2024), clipped to [5 %, 22 %]: the trend of
    高职 graduates continuing to a bachelor's degree (MyCOS: 6 % of the 2018届, about 20 % of the
    2022届; DOMAIN.md). With placement near 90 % that is about 8 % → 18 % of all graduates.

    Examples
    --------
    >>> further_study_share(np.array([2019, 2024])).round(3).tolist()
    [0.09, 0.2]
    """
    return np.clip(0.09 + 0.022 * (np.asarray(year, dtype=float) - 2019), 0.05, 0.22)


_NOT_PLACED_CODES = ("70", "71", "72")


_NOT_PLACED_P = np.array([0.78, 0.12, 0.10])


#: placed codes whose holders are "employed" (salary, relevance, turnover recorded)
_EMPLOYED = {"10", "11", "12", "75", "76", "27", "271", "50", "502"}


#: placed codes that come with an employer (就业单位)
_WITH_EMPLOYER = {"10", "11", "12", "27", "271", "50", "502"}


_DEST_CATEGORIES = ("10", "11", "12", "27", "271", "46", "50", "502", "70", "71", "72", "75", "76",
                    "80", "801", "803", "85")


def _firm_names(n: int, suffixes: Sequence[str] = _FIRM_SUFFIX) -> list[str]:
    """Deterministic distinct synthetic firm names (the prefix 示例 marks them as invented).

    The suffix varies fastest, then a two-character stem; a number is added once
    the 256 stems are used up.
    """
    k1, k2, k3 = len(_FIRM_PREFIX), len(_FIRM_MID), len(suffixes)
    names = []
    for i in range(n):
        stem = i // k3
        a, b, rep = stem % k1, (stem // k1) % k2, stem // (k1 * k2)
        tag = "" if rep == 0 else str(rep + 1)
        names.append(f"示例{_FIRM_PREFIX[a]}{_FIRM_MID[b]}{tag}{suffixes[i % k3]}")
    return names


def _choice(rng: np.random.Generator, p: np.ndarray, n: int) -> np.ndarray:
    """Fast categorical draw (``rng.choice(len(p), n, p=p)`` without its per-call overhead)."""
    cdf = np.cumsum(p) / np.sum(p)
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(p) - 1)


def _cat(codes: np.ndarray, categories: Sequence[str]) -> pd.Categorical:
    """Categorical from integer codes (-1 = missing) with a fixed category list."""
    return pd.Categorical.from_codes(codes, categories=pd.Index(list(categories)))


def _nullable_bool(values: np.ndarray, mask: np.ndarray) -> pd.arrays.BooleanArray:
    """Nullable boolean; ``mask`` True means missing."""
    return pd.arrays.BooleanArray(values.astype(bool), mask.astype(bool))
