"""Enterprise-name normalisation and matching (企业名称规范化与匹配).

The ledger (合作企业年度台账), the internship roster (岗位实习), the graduate
roster (就业单位, 合作企业) and the employer survey (单位名称) spell the same firm
differently: full-width letters, stray spaces, with or without the legal form
(有限公司), a branch (苏州分公司), a bracketed city or group. Outcomes are linked
to partners by a **normalised key**, by these rules applied in order:

1. Unicode NFKC (full-width → half-width: ``（`` → ``(``, ``Ａ`` → ``A``, the
   ideographic space → space); Latin letters lower-cased.
2. Whitespace removed; punctuation ``·•.,，、-—_'"“”‘’&`` removed.
3. Bracketed parts removed with their content (``(中国)``, ``(苏州)``, ``【集团】``).
4. A trailing branch removed: everything after the last legal form when the
   name then ends in 分公司/分厂/分店/分部/分院/办事处/营业部/分中心 (``…有限公司苏州分公司``).
5. The trailing legal form removed: 股份有限公司, 有限责任公司, 集团有限公司 → 集团,
   有限公司, 公司, and English ``co.,ltd`` / ``ltd`` / ``inc``.

A name whose key is not a ledger key but that starts with one and ends in a
branch word (``示例华信科技苏州分公司``) is matched to the longest such ledger key
(``match = "branch"``). Everything else is reported as unmatched with its row
count (:func:`match_names`); nothing is dropped silently.

Examples
--------
>>> normalise_names(["示例华信科技有限公司", "示例华信科技股份有限公司 ", "示例华信科技（苏州）有限公司苏州分公司"])
['示例华信科技', '示例华信科技', '示例华信科技']
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = ["normalise_names", "match_names", "BRANCH_WORDS", "LEGAL_FORMS", "MATCH_KINDS"]

#: Words that end a branch name (removed with the place name before them).
BRANCH_WORDS = ("分公司", "分厂", "分店", "分部", "分院", "办事处", "营业部", "分中心")
#: Legal forms removed from the end of a name, longest first.
LEGAL_FORMS = ("股份有限公司", "有限责任公司", "有限公司", "公司", "co.ltd", "coltd", "ltd", "inc", "corp")
#: Values of ``match`` in :func:`match_names`.
MATCH_KINDS = ("exact", "normalised", "branch", "unmatched", "missing")

_PUNCT = r"[\s·•.,，、\-—_'\"“”‘’&]+"
_BRACKETS = r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕|<[^<>]*>|《[^《》]*》"
_LEGAL_RE = "|".join(re.escape(f) for f in ("股份有限公司", "有限责任公司", "有限公司"))
_BRANCH_RE = "|".join(BRANCH_WORDS)
# step 4: "<firm><legal form><place>分公司" -> "<firm><legal form>"
_BRANCH_AFTER_LEGAL = re.compile(rf"^(.*(?:{_LEGAL_RE}))[^()]*?(?:{_BRANCH_RE})$")
# "公司" alone only when not the end of "分公司" (a branch without a legal form is matched in step 6)
_TRAILING_LEGAL = re.compile(r"(?:" + "|".join(re.escape(f) if f != "公司" else "(?<!分)公司"
                                            for f in LEGAL_FORMS) + r")$")


def normalise_names(names: Iterable[object] | pd.Series) -> list[str] | pd.Series:
    """Normalised matching keys of enterprise names (rules in the module docstring).

    Vectorised pandas string operations; missing or blank names give ``<NA>``.

    Parameters
    ----------
    names : Series or iterable of str

    Returns
    -------
    Series (if a Series was given, same index) or list of str

    Examples
    --------
    >>> normalise_names(["ＡＢＣ 科技有限责任公司", "abc科技", "示例集团有限公司"])
    ['abc科技', 'abc科技', '示例集团']
    """
    is_series = isinstance(names, pd.Series)
    s = pd.Series(names if is_series else list(names), dtype="object")
    idx = s.index
    u = pd.Series(pd.unique(s.to_numpy(dtype=object)), dtype="object")  # unique names only: cheap on big rosters
    t = u.astype("string").str.normalize("NFKC").str.lower()
    t = t.str.replace(_PUNCT, "", regex=True)
    for _ in range(2):  # nested brackets: "(a(b))"
        t = t.str.replace(_BRACKETS, "", regex=True)
    t = t.str.replace(r"[()\[\]【】〔〕]", "", regex=True)
    t = t.str.replace(_BRANCH_AFTER_LEGAL, r"\1", regex=True)
    t = t.str.replace(_TRAILING_LEGAL, "", regex=True)
    t = t.mask(t.fillna("") == "")
    key = pd.Series(t.to_numpy(dtype=object), index=pd.Index(u.to_numpy(dtype=object)))
    out = pd.Series(key.reindex(s.to_numpy(dtype=object)).to_numpy(dtype=object), index=idx, dtype="object")
    out = out.where(out.notna(), None)
    return out if is_series else out.tolist()


def _branch_keys(keys: pd.Series, ledger_keys: np.ndarray) -> pd.Series:
    """For keys ending in a branch word, the longest ledger key they start with (else NA)."""
    cand = keys[keys.fillna("").str.contains(f"(?:{_BRANCH_RE})$", regex=True)]
    if cand.empty or ledger_keys.size == 0:
        return pd.Series(np.nan, index=keys.index, dtype="object")
    alts = sorted((k for k in ledger_keys if k), key=len, reverse=True)  # longest first: regex alternation
    pat = "^(" + "|".join(re.escape(k) for k in alts) + f")[^()]*?(?:{_BRANCH_RE})$"
    found = cand.str.extract(pat, expand=False)
    return found.reindex(keys.index)


def match_names(names: pd.Series, ledger: pd.Series, *, ledger_keys: Iterable[object] | None = None) -> pd.DataFrame:
    """Link each name to a ledger partner through the normalised key.

    Parameters
    ----------
    names : Series of str
        Names as written in a roster (one per row).
    ledger : Series of str
        The enterprise names of the ledger.
    ledger_keys : iterable, optional
        Their normalised keys, if already computed (aligned with ``ledger``).

    Returns
    -------
    DataFrame
        Same index as ``names``: ``key`` (the ledger partner's key, or NA),
        ``match`` in :data:`MATCH_KINDS` (``exact`` the raw name is a ledger
        name; ``normalised`` equal after normalisation; ``branch`` a branch of a
        ledger partner; ``unmatched`` not a ledger partner; ``missing`` blank).

    Examples
    --------
    >>> m = match_names(pd.Series(["示例华信科技有限公司", "示例华信科技苏州分公司", "别家公司", None]),
    ...                 pd.Series(["示例华信科技有限公司"]))
    >>> m["match"].tolist()
    ['exact', 'branch', 'unmatched', 'missing']
    """
    raw = names.astype("object").where(names.notna(), None)
    keys = normalise_names(raw)
    if ledger_keys is None:
        ledger_keys = normalise_names(ledger.astype("object"))
    lk = pd.Series(list(ledger_keys), dtype="object")
    ledger_raw = pd.unique(ledger.dropna().astype(str).to_numpy(dtype=object))
    ledger_keys = pd.unique(lk[lk.notna()].to_numpy(dtype=object))
    in_ledger = keys.isin(set(ledger_keys))
    exact = raw.isin(set(ledger_raw))
    branch = _branch_keys(keys.where(~in_ledger), ledger_keys)
    key = keys.where(in_ledger, branch)
    match = np.select([raw.isna() | keys.isna(), exact & in_ledger, in_ledger, branch.notna()],
                      ["missing", "exact", "normalised", "branch"], default="unmatched")
    return pd.DataFrame({"key": key.where(key.notna(), None), "match": match}, index=names.index)
