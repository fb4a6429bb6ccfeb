"""Enterprise-name normalisation and matching (企业名称规范化与匹配).

The ledger (合作企业年度台账), the internship roster (岗位实习), the graduate
roster (就业单位, 合作企业) and the employer survey (单位名称) spell the same firm
differently: full-width letters, stray spaces, with or without the legal form
(有限公司), a branch (苏州分公司), a bracketed city or group. Outcomes are linked
to partners by a **normalised key**, by these rules applied in order:

1. Unicode NFKC (full-width → half-width: ``（`` → ``(``, ``Ａ`` → ``A``, the
   ideographic space → space); letters lower-cased (Unicode simple case mapping, as
   pyarrow does it: ``İ`` → ``i``).
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

# The patterns are written so that pandas runs them in pyarrow (RE2, vectorised over the distinct
# names) with exactly Python's semantics: no lookbehind, no compiled patterns, and Python's ``\s``
# spelled out as the characters it matches (RE2's ``\s`` is ASCII only) — see ``_WHITESPACE``.
#: Exactly the characters Python's ``re`` matches with ``\s`` (tested against ``re`` over all of Unicode).
_WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
               "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_PUNCT = "[" + _WHITESPACE + "·•.,，、\\-—_'\"“”‘’&]+"
_BRACKETS = r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕|<[^<>]*>|《[^《》]*》"
_LEGAL_RE = "|".join(re.escape(f) for f in ("股份有限公司", "有限责任公司", "有限公司"))
_BRANCH_RE = "|".join(BRANCH_WORDS)
# step 4: "<firm><legal form><place>分公司" -> "<firm><legal form>" (greedy: after the last legal form)
_BRANCH_AFTER_LEGAL = rf"^(.*(?:{_LEGAL_RE}))[^()]*?(?:{_BRANCH_RE})$"
# step 5: the longest trailing legal form (lazy prefix); "公司" alone only when not the end of "分公司"
# (a branch without a legal form is matched by _branch_keys instead)
_TRAILING_LEGAL = ("^(?:(.*?)(?:" + "|".join(re.escape(f) for f in LEGAL_FORMS if f != "公司")
                   + ")|(|.*[^分])公司)$")


def normalise_names(names: Iterable[object] | pd.Series) -> list[str] | pd.Series:
    """Normalised matching keys of enterprise names (rules in the module docstring).

    Each distinct name is normalised once (vectorised pyarrow string kernels over the
    distinct values) and mapped back through its factorised code, so a roster of
    millions of rows costs one factorisation; missing or blank names give ``None``.

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
    s = names if is_series else pd.Series(list(names), dtype="object")
    codes, uniq = pd.factorize(s)  # missing names get code -1
    keys = np.append(_normalise_distinct(pd.Series(np.asarray(uniq, dtype=object), dtype="object")), None)
    out = keys[codes]  # code -1 -> the trailing None
    return pd.Series(out, index=s.index, dtype="object") if is_series else out.tolist()


def _normalise_distinct(u: pd.Series) -> np.ndarray:
    """Rules 1-5 of the module docstring on distinct names (object array, ``None`` for blanks)."""
    t = u.astype("string").str.normalize("NFKC").str.lower()
    t = t.str.replace(_PUNCT, "", regex=True)
    for _ in range(2):  # nested brackets: "(a(b))"
        t = t.str.replace(_BRACKETS, "", regex=True)
    t = t.str.replace(r"[()\[\]【】〔〕]", "", regex=True)
    t = t.str.replace(_BRANCH_AFTER_LEGAL, r"\1", regex=True)
    t = t.str.replace(_TRAILING_LEGAL, r"\1\2", regex=True)
    return t.mask(t.fillna("") == "").to_numpy(dtype=object, na_value=None)


def _branch_keys(keys: pd.Series, ledger_keys: np.ndarray) -> pd.Series:
    """For keys ending in a branch word, the longest ledger key they start with (else NA).

    One vectorised pass per distinct ledger-key length (longest first), not a regex with one
    alternative per partner: a prefix of that length must be a ledger key and the rest must
    end with a whole branch word (keys hold no brackets after rule 3).
    """
    found = np.full(len(keys), None, dtype=object)
    ends = keys.astype("string").str.contains(f"(?:{_BRANCH_RE})$", regex=True)  # pyarrow, NA for missing
    pos = np.flatnonzero(ends.fillna(False).to_numpy(bool))
    known = {k for k in ledger_keys if k}
    todo = pd.Series(keys.to_numpy(dtype=object)[pos], index=pos, dtype="string")  # positions as index
    for size in sorted({len(k) for k in known}, reverse=True):
        if todo.empty:
            break
        head, rest = todo.str.slice(0, size), todo.str.slice(size)
        hit = (head.isin(known) & rest.str.contains(f"(?:{_BRANCH_RE})$", regex=True)).to_numpy(bool)
        found[todo.index[hit]] = head[hit].to_numpy(dtype=object)
        todo = todo[~hit]
    return pd.Series(found, index=keys.index, dtype="object")


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
    if ledger_keys is None:
        ledger_keys = normalise_names(ledger.astype("object"))
    lk = pd.Series(list(ledger_keys), dtype="object")
    # a name spelled exactly as in the ledger has that spelling's key: only the others are normalised
    given = ledger.notna().to_numpy()
    spelled = pd.Series(lk.to_numpy(dtype=object)[given], index=ledger[given].astype(str).to_numpy(dtype=object))
    spelled = spelled[~spelled.index.duplicated()]
    raw_values = raw.to_numpy(dtype=object)
    pos = spelled.index.get_indexer(raw_values)
    key_values = spelled.to_numpy(dtype=object)[pos]
    key_values[pos < 0] = np.asarray(normalise_names(list(raw_values[pos < 0])), dtype=object)
    exact = pd.Series(pos >= 0, index=raw.index)  # positional arrays: a duplicated index is fine
    keys = pd.Series(key_values, index=raw.index, dtype="object")
    ledger_keys = pd.unique(lk[lk.notna()].to_numpy(dtype=object))
    in_ledger = keys.isin(set(ledger_keys))
    branch = _branch_keys(keys.where(~in_ledger), ledger_keys)
    key = keys.where(in_ledger, branch)
    match = np.select([raw.isna() | keys.isna(), exact & in_ledger, in_ledger, branch.notna()],
                      ["missing", "exact", "normalised", "branch"], default="unmatched")
    return pd.DataFrame({"key": key.where(key.notna(), None), "match": match}, index=names.index)
