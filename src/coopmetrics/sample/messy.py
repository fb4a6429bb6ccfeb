"""The messy GBK export of the 2024 graduates, with exactly three deliberately bad rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .build import _Build, _build
from .college import COLLEGE
from .export import _ZH_GENDER, _ZH_PROGRAM, SAMPLE_DIR


@dataclass(frozen=True, slots=True)
class BadRow:
    """A deliberately bad row of the messy export, as the user sees it in Excel."""

    excel_row: int
    student_id: str
    column: str
    value: str
    problem: str


MESSY_FILE = "毕业生.csv"


MESSY_TITLE = f"{COLLEGE}2024届毕业生毕业去向登记表"


def _excel_number(code: str, rng_u: float) -> str:
    """Render a code as Excel may have mangled it: ``10.0`` or ``1.0E+1`` (or unchanged)."""
    if rng_u < 0.45:
        return code
    if rng_u < 0.8:
        return f"{code}.0"
    digits = code.rstrip("0") or "0"
    mant = digits[0] + "." + (digits[1:] or "0")
    return f"{mant}E+{len(code) - 1}"


def _messy(tables: dict[str, pd.DataFrame], seed: int) -> tuple[pd.DataFrame, list[BadRow]]:
    rng = np.random.default_rng([seed, 7])
    g = tables["graduates"]
    g = g[g["grad_year"] == 2024].reset_index(drop=True)
    n = len(g)
    sid = g["student_id"].to_numpy(dtype=object)
    sid_shown = np.where(rng.random(n) < 0.3, np.char.add(sid.astype(str), ".0"), sid)
    u = rng.random(n)
    codes = np.array([_excel_number(c, x) for c, x in zip(g["destination_code"], u, strict=True)], dtype=object)
    fw = str.maketrans("0123456789", "０１２３４５６７８９")
    major_code = g["major_code"].to_numpy(dtype=object).copy()
    k = rng.random(n) < 0.05
    major_code[k] = [c.translate(fw) for c in major_code[k]]
    major = g["major"].to_numpy(dtype=object).copy()
    k = rng.random(n) < 0.06
    major[k] = [" " + m + " " for m in major[k]]
    gender = g["gender"].map(_ZH_GENDER).to_numpy(dtype=object)
    k = rng.random(n) < 0.04
    gender[k] = [x + "　" for x in gender[k]]  # trailing full-width space
    program = g["program"].map(_ZH_PROGRAM).to_numpy(dtype=object)
    # clearly synthetic personal data: 示例 names, region code 999999, phones starting 100
    birth = np.datetime64("2003-01-01") + rng.integers(0, 3 * 365, n)
    bstr = pd.to_datetime(birth).strftime("%Y%m%d").to_numpy(dtype=object)
    idcard = [f"999999{b}{i % 1000:03d}X" for i, b in enumerate(bstr)]
    phone = [f"100{i:08d}" for i in range(1, n + 1)]
    names = [f"示例学生{i:04d}" for i in range(1, n + 1)]

    def yn(s: pd.Series) -> np.ndarray:
        return s.map({True: "是", False: "否"}).astype(object).where(s.notna(), None).to_numpy(dtype=object)

    sal = g["monthly_salary"].to_numpy()
    df = pd.DataFrame({
        "学号": sid_shown,
        "姓名": names,
        "身份证号": idcard,
        "手机号码": phone,
        "性别": gender,
        "二级学院": g["department"].to_numpy(dtype=object),
        "专业名称": major,
        "专业代码": major_code,
        "培养模式": program,
        "合作企业": g["partner"].to_numpy(dtype=object),
        "招生类型": g["admission"].to_numpy(dtype=object),
        "入学成绩": g["entry_score"].map("{:.1f}".format).to_numpy(dtype=object),
        "毕业去向代码": codes,
        "毕业去向": g["destination"].to_numpy(dtype=object),
        "就业单位": g["employer"].to_numpy(dtype=object),
        "单位性质": g["employer_type"].to_numpy(dtype=object),
        "就业地区": g["employer_region"].to_numpy(dtype=object),
        "月收入（元）": np.where(np.isnan(sal), None, pd.Series(sal).map("{:.0f}".format).to_numpy(dtype=object)),
        "专业相关": yn(g["job_relevant"]),
        "半年内离职": yn(g["left_within_6m"]),
    })
    # three deliberately bad rows ---------------------------------------------------------------
    employed = np.flatnonzero(~np.isnan(sal))
    r_code, r_sal = (int(x) for x in rng.choice(employed, 2, replace=False))
    df.loc[r_code, "毕业去向代码"] = "99"
    df.loc[r_sal, "月收入（元）"] = "-" + str(df.loc[r_sal, "月收入（元）"])
    r_src = int(rng.integers(0, n // 2))
    r_dup = int(rng.integers(n // 2, n))  # inserted before this row: a second record for the same student
    dup = df.iloc[[r_src]].copy()
    dup["学号"] = sid[r_src]
    df = pd.concat([df.iloc[:r_dup], dup, df.iloc[r_dup:]], ignore_index=True)
    shift = lambda r: r + (1 if r >= r_dup else 0)  # noqa: E731 - positions after the insertion
    excel = lambda r: r + 4  # noqa: E731 - title row, blank row, header row, then data
    bad = [
        BadRow(excel(shift(r_code)), str(sid[r_code]), "毕业去向代码", "99",
               "未知毕业去向代码 / unknown destination code"),
        BadRow(excel(r_dup), str(sid[r_src]), "学号", str(sid[r_src]),
               f"学号重复（与第{excel(r_src)}行相同） / duplicate student ID (same as Excel row {excel(r_src)})"),
        BadRow(excel(shift(r_sal)), str(sid[r_sal]), "月收入（元）", str(df.loc[shift(r_sal), "月收入（元）"]),
               "月收入为负数 / negative monthly salary"),
    ]
    return df, sorted(bad, key=lambda b: b.excel_row)


def write_messy_export(directory: str | Path | None = None, *, seed: int = 2024) -> tuple[Path, list[BadRow]]:
    """Write the 2024 graduates in the messy form staff actually export.

    A GBK-encoded CSV (``毕业生.csv``) with a title row and a blank row above the
    Chinese header row, personal-data columns (clearly synthetic: 示例学生0001,
    ID numbers starting 999999, phones starting 100), destination codes and
    student IDs as Excel mangles them (``10.0``, ``1.0E+1``, ``2021010001.0``),
    full-width characters and stray spaces, a ``月收入（元）`` header, and exactly
    three bad rows (unknown code 99, a duplicate student ID, a negative salary).

    Parameters
    ----------
    directory : path, optional
        Target folder (created); default ``SAMPLE_DIR / "messy"``.
    seed : int
        Seed of the sample (the same as :func:`generate`).

    Returns
    -------
    (path, bad_rows)
        The file written and the three :class:`BadRow` records with Excel row numbers.

    Examples
    --------
    >>> import tempfile
    >>> path, bad = write_messy_export(tempfile.mkdtemp())
    >>> sorted(b.column for b in bad)
    ['学号', '月收入（元）', '毕业去向代码']
    >>> path.read_bytes().decode("gbk").splitlines()[0].rstrip(",")
    '江南示例职业技术学院2024届毕业生毕业去向登记表'
    """
    return _write_messy(_build(seed, range(2019, 2025)), directory, seed)


def _write_messy(b: _Build, directory: str | Path | None, seed: int) -> tuple[Path, list[BadRow]]:
    directory = Path(directory) if directory is not None else SAMPLE_DIR / "messy"
    directory.mkdir(parents=True, exist_ok=True)
    df, bad = _messy(b.tables, seed)
    body = df.to_csv(index=False, lineterminator="\n")
    text = MESSY_TITLE + "," * (df.shape[1] - 1) + "\n" + "," * (df.shape[1] - 1) + "\n" + body
    path = directory / MESSY_FILE
    path.write_bytes(text.encode("gbk"))
    return path, bad
