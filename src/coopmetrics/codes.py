"""Ministry of Education graduate-destination codes (毕业去向代码) and grouping profiles.

Two generations of codes are in use (2-digit until about 2021, 2–3-digit since
the 2022 cohorts); exports may mix them, so both are accepted. How codes group
into the placement rate (毕业去向落实率) changed between Ministry editions and
differs between schools, so the grouping is a *profile* the user selects.
Sources and confidence grades: ``shared/reference/definitions-cn.md`` §1.

Profiles
--------
``moe_2021`` (default)
    教学厅函〔2021〕19号 附件1: 协议和合同就业 (10, 11, 27/271, 46, 50x/51x) +
    灵活就业 (12, 76, 77) + 自主创业 (75) + 升学 (80x, 85); not placed 70, 71, 72.
    Denominator: all graduates. Grouping verified only in secondary sources [V-2].
``moe_2024`` (provisional)
    教就业厅函〔2024〕11号: 单位就业 + 自主创业 + 自由职业 + 升学. The mapping of
    codes to 单位就业 is unverified [U]; we assume 10, 11, 12, 27x, 46, 50x, 51x.
``legacy``
    Pre-2022 就业率: everything except 70/71/72 counts as placed [V-2].

Examples
--------
>>> from coopmetrics.codes import classify, PROFILES
>>> classify(["10", "271", "76", "803", "70", "99"], "moe_2021")
['contract', 'contract', 'flexible', 'further_study', 'not_placed', 'unknown']
>>> PROFILES["moe_2024"].provisional
True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import check_option

__all__ = [
    "DESTINATION_CODES",
    "MAJOR_CATEGORIES",
    "STEM_AGRI_MED",
    "major_category",
    "Profile",
    "PROFILES",
    "classify",
    "is_known",
    "normalise_code",
]

#: code -> Chinese label. 2-digit (c. 2014–2021) and 3-digit (2022+) generations.
DESTINATION_CODES: dict[str, str] = {
    "10": "签就业协议形式就业",
    "11": "签劳动合同形式就业",
    "12": "其他录用形式就业",
    "27": "科研助理",
    "271": "科研助理、管理助理",
    "46": "应征义务兵",
    "50": "国家基层项目",
    "501": "国家基层项目—特岗教师",
    "502": "国家基层项目—三支一扶",
    "503": "国家基层项目—西部计划",
    "504": "国家基层项目—其他",
    "51": "地方基层项目",
    "511": "地方基层项目—地方特岗",
    "512": "地方基层项目—地方选调生",
    "519": "地方基层项目—其他地方基层项目",
    "70": "待就业",
    "71": "不就业拟升学",
    "72": "其他暂不就业",
    "75": "自主创业",
    "76": "自由职业",
    "77": "其他灵活就业",
    "80": "升学",
    "801": "境内升学—研究生",
    "802": "境内升学—第二学士学位",
    "803": "境内升学—专升本",
    "81": "升学（非全日制）",
    "82": "升学（规培）",
    "85": "出国、出境 / 境外留学",
}

#: Prefix families: any 3-digit code starting with these is accepted as that family
#: even if it is not listed above (local extensions such as 80x, 50x, 51x).
_FAMILIES = ("27", "50", "51", "80")


@dataclass(frozen=True, slots=True)
class Profile:
    """A grouping of destination codes into placement categories.

    Attributes
    ----------
    name : str
        Profile id.
    groups : dict
        Category -> tuple of codes or code families (a 2-digit family such as
        ``"80"`` also matches its 3-digit children ``801``, ``802``...).
    placed : tuple of str
        Categories that count in the placement-rate numerator.
    label_zh, label_en, source : str
        Human-readable name and citation.
    provisional : bool
        True where the mapping is not verified against the primary document.
    """

    name: str
    groups: dict[str, tuple[str, ...]]
    placed: tuple[str, ...]
    label_zh: str
    label_en: str
    source: str
    provisional: bool = False

    def codes(self, category: str) -> list[str]:
        """All listed codes of a category (families expanded to known children)."""
        out: list[str] = []
        for code in self.groups[category]:
            out.extend(c for c in DESTINATION_CODES if c == code or (code in _FAMILIES and c.startswith(code)))
        return sorted(set(out))


_NOT_PLACED = ("70", "71", "72")

PROFILES: dict[str, Profile] = {
    "moe_2021": Profile(
        "moe_2021",
        groups={
            "contract": ("10", "11", "27", "46", "50", "51"),
            "flexible": ("12", "76", "77"),
            "self_employed": ("75",),
            "further_study": ("80", "81", "82", "85"),
            "not_placed": _NOT_PLACED,
        },
        placed=("contract", "flexible", "self_employed", "further_study"),
        label_zh="毕业去向落实率（2021版：协议和合同就业+灵活就业+自主创业+升学）",
        label_en="Placement rate, 2021 edition (contract + flexible + self-employed + further study)",
        source="教学厅函〔2021〕19号 附件1 (via secondary sources [V-2]); definitions-cn.md §1.2",
    ),
    "moe_2024": Profile(
        "moe_2024",
        groups={
            "employed_unit": ("10", "11", "12", "27", "46", "50", "51"),
            "self_employed": ("75",),
            "freelance": ("76", "77"),
            "further_study": ("80", "81", "82", "85"),
            "not_placed": _NOT_PLACED,
        },
        placed=("employed_unit", "self_employed", "freelance", "further_study"),
        label_zh="毕业去向落实率（2024版：单位就业+自主创业+自由职业+升学；代码归类待核实）",
        label_en="Placement rate, 2024 edition (unit employment + self-employed + freelance + further study; "
        "code mapping provisional)",
        source="教就业厅函〔2024〕11号 (mapping of codes to 单位就业 unverified [U]); definitions-cn.md §1.2",
        provisional=True,
    ),
    "legacy": Profile(
        "legacy",
        groups={
            "employed": ("10", "11", "12", "27", "46", "50", "51", "75", "76", "77", "80", "81", "82", "85"),
            "not_placed": _NOT_PLACED,
        },
        placed=("employed",),
        label_zh="就业率（2022年前口径：毕业生总数−待就业−暂不就业）",
        label_en="Employment rate, pre-2022 (all graduates minus codes 70/71/72)",
        source="MoE administrative statistic before 2022 (jeeweb statistics module [V-2]); definitions-cn.md §1.2",
    ),
}


def normalise_code(value: object) -> str | None:
    """Repair one destination code as exported by Excel.

    ``10.0`` -> ``"10"``, ``1.0E+1`` -> ``"10"``, full-width digits -> ASCII;
    blanks give None.

    Examples
    --------
    >>> [normalise_code(v) for v in ["10.0", "1.0E+1", 271, "８０", " ", None]]
    ['10', '10', '271', '80', None, None]
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    import unicodedata

    s = unicodedata.normalize("NFKC", str(value)).strip()
    if not s or s.lower() in {"nan", "none", "<na>"}:
        return None
    try:
        f = float(s)
        if f.is_integer():
            return str(int(f))
    except ValueError:
        pass
    return s


def is_known(codes: Iterable[str]) -> np.ndarray:
    """Boolean array: is each (normalised) code a known destination code or family member."""
    s = pd.Series(list(codes), dtype="string")
    listed = s.isin(list(DESTINATION_CODES))
    family = (s.str.len() == 3) & s.str[:2].isin(list(_FAMILIES))
    return (listed | family).fillna(False).to_numpy(dtype=bool)


def classify(codes: Iterable[str], profile: str = "moe_2021") -> list[str]:
    """Category of each code under ``profile``; ``"unknown"`` for unlisted codes.

    Vectorised: builds one lookup and maps the whole column.
    """
    check_option("profile", profile, PROFILES, "classify")
    prof = PROFILES[profile]
    s = pd.Series(list(codes), dtype="string")
    family = s.where(~((s.str.len() == 3) & s.str[:2].isin(list(_FAMILIES))), s.str[:2])
    lookup = {code: cat for cat, members in prof.groups.items() for code in members}
    out = s.map(lookup)
    out = out.fillna(family.map(lookup))  # 3-digit child of a listed family
    return out.fillna("unknown").astype(str).tolist()


# --- major categories (专业大类) ----------------------------------------------------------------

#: 2021 《职业教育专业目录》 高等职业教育专科 19 专业大类: the first two digits of the 6-digit
#: 专业代码 (教职成〔2021〕2号) [V]. 2-digit prefix -> Chinese name.
MAJOR_CATEGORIES: dict[str, str] = {
    "41": "农林牧渔大类", "42": "资源环境与安全大类", "43": "能源动力与材料大类", "44": "土木建筑大类",
    "45": "水利大类", "46": "装备制造大类", "47": "生物与化工大类", "48": "轻工纺织大类",
    "49": "食品药品与粮食大类", "50": "交通运输大类", "51": "电子与信息大类", "52": "医药卫生大类",
    "53": "财经商贸大类", "54": "旅游大类", "55": "文化艺术大类", "56": "新闻传播大类",
    "57": "教育与体育大类", "58": "公安与司法大类", "59": "公共管理与服务大类",
}

#: 大类 counted as 理工农医类 for the 计分卡 item 理工农医类专业相关度: 农 (41), 理工 (42-51), 医 (52).
#: The 计分卡 restriction itself is verified [V]; mapping 大类 to 理工农医 is a library convention [U]
#: (the report series took the grouping from MyCOS, which does not publish a 大类 list).
STEM_AGRI_MED: tuple[str, ...] = tuple(f"{i}" for i in range(41, 53))


def major_category(codes: Iterable[object]) -> pd.Series:
    """专业大类 of 6-digit 专业代码 (2021 高职专科目录): ``"46 装备制造大类"``; unknown codes -> missing.

    Vectorised over the codes (each distinct code normalised once, then a string slice). Codes are
    normalised first (``460103.0`` and full-width digits are read as ``460103``).

    Examples
    --------
    >>> major_category(["460103", "530302", "12345", None]).tolist()
    ['46 装备制造大类', '53 财经商贸大类', None, None]
    """
    s = pd.Series(list(codes), dtype=object)
    # normalise each distinct code once (a college has tens of 专业代码, not millions)
    idx, uniq = pd.factorize(s)
    fixed = np.array([normalise_code(u) for u in uniq] + [None], dtype=object)
    text = pd.Series(fixed[idx], dtype="string")  # factorize codes missing values as -1 -> None
    prefix = text.str.slice(0, 2).where(text.str.len() == 6)
    names = {k: f"{k} {v}" for k, v in MAJOR_CATEGORIES.items()}
    out = prefix.map(names)
    return out.astype(object).where(out.notna(), None)
