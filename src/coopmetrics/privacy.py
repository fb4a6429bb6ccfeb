"""Personal data: drop or pseudonymise identifying columns at load time.

Rosters exported by school systems carry names, ID-card numbers (身份证号),
phone numbers, e-mail addresses and exam numbers. coopmetrics removes them
*before* validation, so they can reach neither a table, nor the validation
report, nor any output file:

* columns declared ``pii=True`` in :mod:`coopmetrics.schema` are dropped
  (default) or replaced by a salted SHA-256 hash in a column ``<name>_hash``;
  ID-card numbers are always dropped, even with ``pii="hash"``;
* extra (non-schema) columns whose header names personal data (家长电话, QQ,
  微信, 家庭住址 ...) or whose values look like 18-digit ID-card numbers or
  11-digit mainland mobile numbers are dropped too.

Each dropped or hashed column is reported once (``problem == "pii_dropped"``),
never its values.

The salt comes from the caller or from a random per-process salt
(:func:`process_salt`), never from a constant, so hashes cannot be reversed
with a dictionary of likely names or phone numbers and cannot be linked across
sessions unless the caller passes the same salt on purpose.

Examples
--------
>>> from coopmetrics.privacy import pseudonymise
>>> a = pseudonymise(["张三", None, "张三"], salt="s1")
>>> a[0] == a[2], a[1] is None, len(a[0])
(True, True, 16)
>>> pseudonymise(["张三"], salt="s2")[0] == a[0]
False
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Iterable

import numpy as np
import pandas as pd

from .schema import TABLES, normalise_header

__all__ = [
    "PII_MODES",
    "pseudonymise",
    "process_salt",
    "looks_like_pii",
    "protect",
    "MASK",
    "mask_values",
    "mask_text",
    "contains_pii",
    "header_cells",
]

#: What replaces a value that must not be shown (the same token as the report's).
MASK = "<已隐去/masked>"

#: Accepted values of the ``pii`` argument of :func:`coopmetrics.load`.
PII_MODES = ("drop", "hash")

#: Canonical columns that are dropped whatever the mode (a hash of an ID-card
#: number is still linkable: the number space is small and structured).
ALWAYS_DROP = ("id_card",)

_PROCESS_SALT: str | None = None

# Header fragments of personal data in extra columns (after normalise_header).
_PII_HEADER_PARTS = (
    "姓名", "身份证", "证件号", "电话", "手机", "邮箱", "email", "e-mail", "qq", "微信",
    "家庭住址", "住址", "家庭地址", "户籍地址", "联系人", "家长", "监护人", "银行卡", "护照",
)
_ID_CARD_RE = r"^\d{17}[\dXx]$"
_ID_CARD_SCI_RE = r"^\d(\.\d+)?[eE]\+?17$"  # an ID card number Excel showed as 4.10102E+17
_MOBILE_RE = r"^(\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}$"

# Personal data *inside* any text (search, not full match): a value echoed in a problem is masked
# when it merely contains one of these. Digit runs are bounded so a 20-digit code is not a phone.
_PII_SEARCH = (
    r"(?<!\d)\d{17}[\dXx](?!\d)"                      # 18-digit ID-card number
    r"|(?<!\d)\d{15}(?!\d)"                          # old 15-digit ID-card number
    r"|(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"  # mainland mobile
    r"|(?<!\d)0\d{2,3}[- ]?\d{7,8}(?!\d)"            # landline with area code
    r"|[\w.+-]+@[\w-]+\.[\w.-]+"                     # e-mail
    r"|^\d(?:\.\d+)?[eE]\+?1[4-7]$"                     # an ID or phone Excel showed as 4.10102E+17
)
#: A personal name pasted into a column of codes, numbers or dates: 2-6 Chinese characters (with the middle
#: dot of minority and foreign names), nothing else.
#: Words of time, money, counts and "none" (明年, 待定, 面议, 暂无) are kept: they are what staff type there.
NAME_LIKE = r"^(?!.*[年月日届元万千百分天无未待暂不是否个人次号码定议月周])[\u4e00-\u9fff][\u4e00-\u9fff·•]{1,5}$"
# Fragments that make a cell a header rather than data (for sheets that match no table).
_HEADER_WORDS = (
    "名称", "代码", "编号", "序号", "日期", "时间", "类别", "类型", "专业", "学院", "院系", "系部", "班级",
    "性别", "年龄", "单位", "企业", "岗位", "职务", "职称", "金额", "人数", "备注", "说明", "项目", "地址",
    "电话", "手机", "姓名", "身份证", "邮箱", "住址", "籍贯", "民族", "微信", "QQ", "联系", "家长", "学号", "工号", "届", "学年", "年份", "状态",
    "情况", "合计", "等级", "分数", "成绩", "去向", "行业", "地区", "省", "市", "县", "区域",
)
_HEADER_SUFFIXES = ("号", "码", "数", "率", "额", "值", "期", "名", "量", "费", "资", "度", "别")


def process_salt() -> str:
    """Random salt drawn once per Python process (``secrets.token_hex``).

    Examples
    --------
    >>> process_salt() == process_salt()
    True
    >>> len(process_salt())
    32
    """
    global _PROCESS_SALT
    if _PROCESS_SALT is None:
        _PROCESS_SALT = secrets.token_hex(16)
    return _PROCESS_SALT


def pseudonymise(values: Iterable[object], salt: str | bytes | None = None, *, length: int = 16) -> list:
    """Replace each value by a salted SHA-256 hash (hex, ``length`` characters).

    Blank values (None, NaN, empty strings) stay None. Equal values give equal
    hashes within one salt, so linking within a dataset keeps working.

    Parameters
    ----------
    values : iterable
        Values to pseudonymise (converted to text first).
    salt : str or bytes, optional
        Secret salt. Defaults to :func:`process_salt` (random per process).
    length : int, default 16
        Number of hex characters kept (16 = 64 bits).

    Returns
    -------
    list of str or None

    Examples
    --------
    >>> h = pseudonymise(["13800138000", ""], salt="k")
    >>> h[1] is None and h[0] != "13800138000"
    True
    """
    key = salt if salt is not None else process_salt()
    if isinstance(key, str):
        key = key.encode("utf-8")
    s = pd.Series(list(values), dtype=object)
    blank = s.isna() | (s.astype(str).str.strip() == "")
    uniq = pd.unique(s[~blank].astype(str))
    # hash each distinct value once (a column of a few thousand rows has few distinct names)
    table = {u: hashlib.sha256(key + b"\x1f" + u.encode("utf-8")).hexdigest()[:length] for u in uniq}
    out = s.astype(object).where(blank, s.astype(str).map(table))
    return [None if b else v for v, b in zip(out.tolist(), blank.tolist(), strict=True)]


def looks_like_pii(values: pd.Series, header: object = "", *, threshold: float = 0.5) -> bool:
    """Does an extra column hold personal data?

    True when the header names personal data (姓名, 电话, 身份证, QQ, 微信, 住址 ...)
    or when at least ``threshold`` of the non-blank values look like 18-digit
    ID-card numbers (also as Excel's ``4.10102E+17``) or 11-digit mobile numbers.

    Examples
    --------
    >>> looks_like_pii(pd.Series(["110101199003071234", "11010119900307123X"]))
    True
    >>> looks_like_pii(pd.Series(["138 0013 8000", "13900139000", None]))
    True
    >>> looks_like_pii(pd.Series(["数控技术", "会计"]), header="备注")
    False
    >>> looks_like_pii(pd.Series(["a"]), header="家长电话")
    True
    """
    key, _ = normalise_header(header)
    if key and any(part in key for part in _PII_HEADER_PARTS):
        return True
    import pyarrow as pa
    import pyarrow.compute as pc

    # each distinct value once, in pyarrow's C++ regex engine; the share is weighted by row counts
    from .cells import factorize

    codes, uniq = factorize(values)
    if not len(uniq):
        return False
    counts = np.bincount(codes[codes >= 0], minlength=len(uniq))
    text = pc.utf8_trim_whitespace(pa.array([str(u) for u in uniq], type=pa.large_string()))
    nonblank = pc.not_equal(text, "").to_numpy(zero_copy_only=False)
    text = pc.replace_substring_regex(text, r"\.0$", "")
    hit = np.zeros(len(uniq), dtype=bool)
    for pattern in (_ID_CARD_RE, _ID_CARD_SCI_RE, _MOBILE_RE):
        hit |= pc.match_substring_regex(text, pattern).to_numpy(zero_copy_only=False)
    total = counts[nonblank].sum()
    return bool(total and counts[hit & nonblank].sum() / total >= threshold)


def protect(
    frame: pd.DataFrame,
    table: str,
    *,
    pii: str = "drop",
    salt: str | bytes | None = None,
    headers: dict[str, str] | None = None,
    extra: Iterable[str] = (),
) -> tuple[pd.DataFrame, list[dict]]:
    """Drop or hash the personal-data columns of one canonical frame.

    Parameters
    ----------
    frame : pandas.DataFrame
        Frame with canonical column names (plus any extra columns).
    table : str
        Canonical table name.
    pii : {"drop", "hash"}
        ``drop`` removes PII columns; ``hash`` replaces names, phones, e-mails
        and exam numbers by ``<name>_hash`` columns of salted hashes. ID-card
        numbers are always dropped.
    salt : str or bytes, optional
        Salt for ``hash``; defaults to the random per-process salt.
    headers : dict, optional
        Canonical or extra column -> header as in the file (for the report).
    extra : iterable of str
        Extra (non-schema) columns to screen with :func:`looks_like_pii`.

    Returns
    -------
    (frame, problems) : tuple
        The protected frame and one dict per dropped/hashed column with keys
        ``column`` (header as in the file), ``problem`` (``pii_dropped``) and
        ``detail`` (``dropped`` or ``hashed``).

    Examples
    --------
    >>> df = pd.DataFrame({"student_id": ["1"], "name": ["张三"], "id_card": ["110101199003071234"]})
    >>> out, probs = protect(df, "graduates", pii="hash", salt="x")
    >>> sorted(out.columns), [p["detail"] for p in probs]
    (['name_hash', 'student_id'], ['hashed', 'dropped'])
    """
    if pii not in PII_MODES:
        from .errors import check_option

        check_option("pii", pii, PII_MODES, "load")
    headers = headers or {}
    declared = set(TABLES[table].pii) if table in TABLES else set()
    out = frame.copy()
    problems: list[dict] = []
    for col in list(out.columns):
        if col in declared:
            if pii == "hash" and col not in ALWAYS_DROP:
                out[f"{col}_hash"] = pd.Series(
                    pseudonymise(out[col].tolist(), salt), index=out.index, dtype="string"
                )
                problems.append({"column": headers.get(col, col), "problem": "pii_dropped", "detail": "hashed"})
            else:
                problems.append({"column": headers.get(col, col), "problem": "pii_dropped", "detail": "dropped"})
            out = out.drop(columns=col)
    for col in extra:
        if col in out.columns and looks_like_pii(out[col], headers.get(col, col)):
            out = out.drop(columns=col)
            problems.append({"column": headers.get(col, col), "problem": "pii_dropped", "detail": "dropped"})
    return out, problems



def mask_values(values: Iterable[object], *, names: bool = False) -> list[str]:
    """Echo-safe text of values: personal data replaced by :data:`MASK`.

    A value is masked when it *contains* an 18- or 15-digit ID-card number, a
    mobile or landline number, an e-mail address, or an ID Excel showed as
    ``4.10102E+17``; with ``names=True`` (columns that hold codes, numbers or
    dates, where a Chinese word can only be a pasted name) also when it is 2-6
    Chinese characters. Evaluated once per distinct value.

    Parameters
    ----------
    values : iterable
        Cell values as read; None and NaN become ``""``.
    names : bool, default False
        Also mask name-shaped values.

    Returns
    -------
    list of str

    Examples
    --------
    >>> mask_values(["13800138000", "月薪 3000", "zs@example.cn", "张三", None])
    ['<已隐去/masked>', '月薪 3000', '<已隐去/masked>', '张三', '']
    >>> mask_values(["张三", "99", "2024010101"], names=True)
    ['<已隐去/masked>', '99', '2024010101']
    """
    s = pd.Series(list(values), dtype=object)
    blank = s.isna()
    text = s.astype(str).where(~blank, "")
    uniq = pd.Series(pd.unique(text), dtype=object)
    hit = uniq.str.contains(_PII_SEARCH, regex=True, na=False)
    if names:
        hit |= uniq.str.strip().str.fullmatch(NAME_LIKE, na=False)
    lookup = dict(zip(uniq.tolist(), np.where(hit.to_numpy(dtype=bool), MASK, uniq.to_numpy(dtype=object)),
                      strict=True))
    return [lookup[t] for t in text.tolist()]


# Unmistakable personal data in a cell of a non-personal column (a 15-digit number may be a student id,
# so only the 18-digit ID with a birth date, mobiles and e-mail count here).
# (RE2 syntax, no look-arounds: it runs in pyarrow's regex engine.)
_PII_STRICT = (
    r"(?:^|[^0-9])[0-9]{6}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]"
    r"(?:$|[^0-9A-Za-z])"
    r"|(?:^|[^0-9])(?:\+?86[- ]?)?1[3-9][0-9][- ]?[0-9]{4}[- ]?[0-9]{4}(?:$|[^0-9])"
    r"|[A-Za-z0-9_.+-]+@[A-Za-z0-9_-]+\.[A-Za-z0-9_.-]+"
)


def contains_pii(values: pd.Series) -> np.ndarray:
    """Which cells contain an ID-card number (with a birth date), a mobile number or an e-mail.

    Each distinct value is tested once.

    Examples
    --------
    >>> contains_pii(pd.Series(["10", "13912345678", None, "见 a@b.cn", "2024010101"])).tolist()
    [False, True, False, True, False]
    """
    from .cells import factorize

    codes, uniq = factorize(values)
    if not len(uniq):
        return np.zeros(len(values), dtype=bool)
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.array([u if type(u) is str else str(u) for u in uniq], type=pa.large_string())
    hit = pc.match_substring_regex(text, _PII_STRICT).to_numpy(zero_copy_only=False)
    return np.append(hit, False)[codes]


def mask_text(values: Iterable[object]) -> list[str]:
    """Replace the personal data *inside* free text (messages) by :data:`MASK`, keeping the rest.

    Examples
    --------
    >>> mask_text(["值 13800138000 超出范围", "ok"])
    ['值 <已隐去/masked> 超出范围', 'ok']
    """
    s = pd.Series(list(values), dtype=object)
    text = s.astype(str).where(s.notna(), "")
    uniq = pd.unique(text)
    lookup = {u: re.sub(_PII_SEARCH.replace("^", "(?<![^\\s'“(（])").replace("$", "(?![^\\s'”)）])"), MASK, u)
              for u in uniq}
    return [lookup[t] for t in text.tolist()]


def _header_like(cell: object) -> bool:
    if not isinstance(cell, str):
        return False
    c = unicodedata.normalize("NFKC", cell).strip()
    if not c or len(c) > 30 or re.search(_PII_SEARCH, c) or re.fullmatch(r"[\d\s.,:/-]+", c):
        return False
    from .schema import resolve_header  # a known alias of any table is a header

    if any(resolve_header(t, c)[0] is not None for t in TABLES):
        return True
    key = re.sub(r"[\s（）()【】\[\]：:]", "", c)
    return any(w in key for w in _HEADER_WORDS) or key.endswith(_HEADER_SUFFIXES) or \
        bool(re.fullmatch(r"[A-Za-z][A-Za-z _]{1,29}", c))


def header_cells(grid: pd.DataFrame, scan: int = 15, limit: int = 12) -> list[str]:
    """The header cells of a grid that matches no table, never its data.

    The header is the first of the first ``scan`` rows in which at least half
    of the non-blank cells look like headers (a known alias, or a word such as
    名称/代码/日期/电话, or a short Latin label); only those header-like cells
    are returned. A sheet whose rows are all data (a bare 通讯录 of names and
    phones) returns nothing.

    Examples
    --------
    >>> g = pd.DataFrame([["通讯录", None, None], ["姓名", "电话", "住址"], ["张三", "13800138000", "某路1号"]])
    >>> header_cells(g)
    ['姓名', '电话', '住址']
    >>> header_cells(g.iloc[2:])
    []
    """
    for i in range(min(scan, len(grid))):
        cells = [v for v in grid.iloc[i].tolist() if isinstance(v, str) and v.strip()]
        others = [v for v in grid.iloc[i].tolist() if v is not None and not isinstance(v, str)
                  and not (isinstance(v, float) and np.isnan(v))]
        if not cells and not others:
            continue
        ok = [c.strip() for c in cells if _header_like(c)]
        if len(ok) >= 2 and 2 * len(ok) >= len(cells) + len(others):
            return ok[:limit]
    return []
