"""Filter operators: one registered object per op, holding everything an op means.

A :class:`~coopmetrics.registry.Filter` names an op (``Filter("hired", "is_true")``); the op's
:class:`FilterOp` in :data:`FILTER_OPS` says, in one place:

* ``columns(f, options)`` — the (required, optional) columns it reads under ``options``;
* ``expr(f, options, names)`` — its boolean narwhals expression (missing values never match,
  unless the op says otherwise), so it runs on pandas, Polars, DuckDB, Dask...;
* ``words(f, lang, name)`` — the condition in Chinese or English (``name`` is the column's label);
* ``options`` — the :class:`~coopmetrics.registry.Options` fields it depends on;
* ``keyed`` (optional) — a faster variant reading a per-row derived column (``pre``), used by a
  group-by pass when the derived column is available (the destination-code key).

Add an op with :func:`register_op` (also a context manager that removes it again).

Examples
--------
>>> from coopmetrics.registry import Filter
>>> FILTER_OPS["is_true"].words(Filter("hired", "is_true"), "en", "hired")
'hired is yes'
>>> sorted(FILTER_OPS["dual_qualified"].options)
['dual_definition']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..codes import _FAMILIES, DESTINATION_CODES, PROFILES, STEM_AGRI_MED
from ..errors import InvalidOptionError
from .labels import CATEGORY_LABELS

if TYPE_CHECKING:  # pragma: no cover
    from ..registry import Filter, Options

__all__ = ["FilterOp", "FILTER_OPS", "register_op", "unregister_op", "filter_expr", "CODE_KEY"]

Columns = tuple[tuple[str, ...], tuple[str, ...]]


class _Narwhals:
    """``nw`` that imports narwhals on first use: the registry (which imports this table) stays as
    light to import as before; expressions are only built when something is computed."""

    def __getattr__(self, name: str) -> Any:
        import narwhals

        return getattr(narwhals, name)


nw: Any = _Narwhals()


def _own_column(f: Filter, o: Options) -> Columns:
    return (f.column,), ()


@dataclass(frozen=True)
class FilterOp:
    """One filter operator (see the module notes for what each field means)."""

    name: str
    doc: str
    expr: Callable[[Filter, Options, Sequence[str]], Any]
    words: Callable[[Filter, str, str], str]
    columns: Callable[[Filter, Options], Columns] = _own_column
    options: tuple[str, ...] = ()
    keyed: Callable[[Filter, Options], Any | None] | None = None
    pre: tuple[str, Callable[[], Any]] | None = None


#: Every filter operator by name (the one home of an op).
FILTER_OPS: dict[str, FilterOp] = {}


class _Registration:
    """Returned by :func:`register_op`; ``with`` removes the op again on exit."""

    def __init__(self, undo: Callable[[], None]) -> None:
        self._undo = undo

    def __enter__(self) -> _Registration:
        return self

    def __exit__(self, *exc: object) -> None:
        self._undo()


def register_op(op: FilterOp, *, replace: bool = False) -> _Registration:
    """Register ``op`` in :data:`FILTER_OPS`; use as a context manager to undo it.

    Examples
    --------
    >>> import narwhals as nw
    >>> toy = FilterOp("is_even", "column is even", lambda f, o, names: (nw.col(f.column) % 2 == 0).fill_null(False),
    ...                lambda f, lang, name: f"{name}为偶数" if lang == "zh" else f"{name} is even")
    >>> with register_op(toy):
    ...     "is_even" in FILTER_OPS
    True
    >>> "is_even" in FILTER_OPS
    False
    """
    if op.name in FILTER_OPS and not replace:
        raise InvalidOptionError(f"筛选运算 {op.name!r} 已注册", f"filter op {op.name!r} is already registered")
    old = FILTER_OPS.get(op.name)
    FILTER_OPS[op.name] = op

    def undo() -> None:
        if old is None:
            FILTER_OPS.pop(op.name, None)
        else:
            FILTER_OPS[op.name] = old

    return _Registration(undo)


def unregister_op(name: str) -> None:
    """Remove a registered op (no error if absent)."""
    FILTER_OPS.pop(name, None)


class OpDocs(Mapping[str, str]):
    """Live read-only view ``op name -> doc`` (``coopmetrics.registry.OPS``)."""

    def __getitem__(self, key: str) -> str:
        return FILTER_OPS[key].doc

    def __iter__(self) -> Iterator[str]:
        return iter(FILTER_OPS)

    def __len__(self) -> int:
        return len(FILTER_OPS)

    def __repr__(self) -> str:
        return repr(dict(self))


def filter_expr(f: Filter, o: Options, names: Sequence[str]) -> Any:
    """Boolean engine expression of one filter (see :class:`FilterOp`)."""
    try:
        op = FILTER_OPS[f.op]
    except KeyError:  # validate_registry rejects unknown ops; a hand-made Filter may still carry one
        raise InvalidOptionError(f"未知筛选运算 {f.op!r}", f"unknown filter op {f.op!r}") from None
    return op.expr(f, o, names)


# --- destination codes ----------------------------------------------------------------------------


def codes_expr(codes: Iterable[str]) -> Any:
    """Destination code in ``codes`` (a 2-digit family also matches its 3-digit children)."""
    codes = list(codes)
    exact = sorted({c for code in codes for c in DESTINATION_CODES if c == code or
                    (code in _FAMILIES and c.startswith(code))} | set(codes))
    fam = [c for c in codes if c in _FAMILIES]
    col = nw.col("destination_code").cast(nw.String)
    if not exact:  # no code asked for: an empty is_in list has no type on pyarrow
        return col.is_null() & nw.lit(False)
    expr = col.is_in(exact)
    if fam:
        expr = expr | ((col.str.len_chars() == 3) & col.str.slice(0, 2).is_in(fam))
    return expr


#: name of the per-row code key derived once per pass (see :func:`code_key_expr`)
CODE_KEY = "__dk"


def code_key_expr() -> Any:
    """The destination code as text, with an unlisted 3-digit child replaced by its family.

    Derived once per row so that the ~10 code filters of a suite become plain ``is_in``
    tests on one column instead of each casting and slicing the code again:
    ``codes_expr(codes)`` equals ``key.is_in(expanded codes + families)`` for every row
    (a listed code keeps itself; ``"509"`` becomes ``"50"``; missing stays missing).
    An integer key (``replace_strict`` to the code's position) was tried and measured
    slower at 50M rows (DuckDB 23-25 s vs 18-22 s; Polars 26 s and 5.2 GiB vs 17 s and
    1.2 GiB: its streaming engine does not stream that expression), so the key stays text.
    """
    col = nw.col("destination_code").cast(nw.String)
    child = ((col.str.len_chars() == 3) & col.str.slice(0, 2).is_in(list(_FAMILIES))
             & ~col.is_in(list(DESTINATION_CODES)))
    return nw.when(child).then(col.str.slice(0, 2)).otherwise(col).alias(CODE_KEY)


def codes_key_filter(codes: Iterable[str]) -> Any | None:
    """``codes_expr(codes)`` as a test on the derived key column; None if it cannot be.

    Explicitly requested codes that are not in the code list (e.g. ``"509"``) would be
    folded into their family by the key, so those keep the direct expression.
    """
    codes = list(codes)
    if any(c not in DESTINATION_CODES for c in codes):
        return None
    exact = sorted({c for code in codes for c in DESTINATION_CODES if c == code or
                    (code in _FAMILIES and c.startswith(code))})
    if not exact:  # an empty is_in list has no type on pyarrow
        return nw.col(CODE_KEY).is_null() & nw.lit(False)
    return nw.col(CODE_KEY).is_in(exact)


def profile_codes(profile: str, category: str) -> list[str]:
    """Codes of ``category`` (or every placed category) under destination profile ``profile``."""
    prof = PROFILES[profile]
    cats = prof.placed if category == "placed" else (category,)
    return [code for cat in cats for code in prof.groups.get(cat, ())]


def true_flag(col: str) -> Any:
    """A boolean column as a mask; fill before casting: Dask cannot cast a nullable boolean holding NA."""
    return nw.col(col).fill_null(False)


def _keyed_in(codes_of: Callable[[Filter, Options], Iterable[str]]) -> Callable[[Filter, Options], Any | None]:
    def keyed(f: Filter, o: Options) -> Any | None:
        e = codes_key_filter(codes_of(f, o))
        return None if e is None else e.fill_null(False)
    return keyed


def _keyed_not_in(codes_of: Callable[[Filter, Options], Iterable[str]]) -> Callable[[Filter, Options], Any | None]:
    def keyed(f: Filter, o: Options) -> Any | None:
        e = codes_key_filter(codes_of(f, o))
        return None if e is None else (~e).fill_null(True)
    return keyed


_CODE_PRE = (CODE_KEY, code_key_expr)


# --- words -------------------------------------------------------------------------------------------

_CAT_ZH = CATEGORY_LABELS  # the one home: definitions/labels.py


def column_zh(table_col: str) -> str:
    """Chinese label of a canonical column (the first table that has it), else the name."""
    from ..schema import TABLES

    for t in TABLES.values():
        for c in t.columns:
            if c.name == table_col:
                return c.zh
    return table_col


def describe(f: Filter, lang: str) -> str:
    """The condition ``f`` in words (``lang`` = ``"zh"`` or ``"en"``)."""
    zh = lang == "zh"
    col = f.column if isinstance(f.column, str) else "/".join(f.column)
    name = column_zh(col) if zh and isinstance(f.column, str) else col.replace("_", " ")
    op = FILTER_OPS.get(f.op)
    return op.words(f, lang, name) if op is not None else f"{col} {f.op} {f.value}"


def _zh_en(zh: str, en: str) -> Callable[[Filter, str, str], str]:
    """Words that do not depend on the filter (``{name}`` and ``{v}`` are filled in)."""
    return lambda f, lang, name: (zh if lang == "zh" else en).format(name=name, v=f.value)


# --- the built-in ops ---------------------------------------------------------------------------------


def _compare(sym: str, fn: Callable[[Any, Any], Any]) -> Callable[[Filter, Options, Sequence[str]], Any]:
    def expr(f: Filter, o: Options, names: Sequence[str]) -> Any:
        thr = getattr(o, f.value) if isinstance(f.value, str) else f.value  # a number or an Options field
        return fn(nw.col(f.column), thr).fill_null(False)
    return expr


_SYMBOLS = {"eq": ("=", lambda c, v: c == v), "ne": ("≠", lambda c, v: c != v), "ge": ("≥", lambda c, v: c >= v),
            "gt": (">", lambda c, v: c > v), "le": ("≤", lambda c, v: c <= v), "lt": ("<", lambda c, v: c < v)}
_CMP_DOCS = {"eq": "column == value", "ne": "column != value (nulls do not match)",
             "ge": "column >= value (a number or the name of a numeric Options field)",
             "gt": "column > value", "le": "column <= value", "lt": "column < value"}


def _eq_ne(op: str) -> Callable[[Filter, Options, Sequence[str]], Any]:
    fn = _SYMBOLS[op][1]
    return lambda f, o, names: fn(nw.col(f.column), f.value).fill_null(False)


def _in_words(f: Filter, lang: str, name: str) -> str:
    vals = ", ".join(map(str, f.value))
    inside = f.op == "in"
    if lang == "zh":
        return f"{name}{'属于' if inside else '不属于'} {{{vals}}}"
    return f"{name} {'in' if inside else 'not in'} {{{vals}}}"


def _any_positive(f: Filter, o: Options, names: Sequence[str]) -> Any:
    present = [col for col in f.column if col in names]
    if not present:
        return nw.lit(False)
    e = None
    for col in present:
        term = nw.col(col).fill_null(0) > 0
        e = term if e is None else (e | term)
    return e.fill_null(False)


def _profile_of(f: Filter, o: Options) -> list[str]:
    prof, cat = f.value
    return profile_codes(prof or o.profile, cat)


def _in_profile_words(f: Filter, lang: str, name: str) -> str:
    prof, cat = f.value
    if lang == "zh":
        where = f"按{prof}口径" if prof else "按所选口径"
        return f"毕业去向代码属于{_CAT_ZH.get(cat, cat)}（{where}）"
    where = f"under profile {prof}" if prof else "under the selected profile"
    return f"destination code {cat.replace('_', ' ')} {where}"


def _codes_words(zh: str, en: str) -> Callable[[Filter, str, str], str]:
    return lambda f, lang, name: (zh if lang == "zh" else en).format(codes=", ".join(f.value))


def _survey_texts(o: Options, kind: str) -> list[str]:
    return [str(x) for x in o.satisfied_levels.get(kind, ()) if isinstance(x, str)]


def _satisfied(f: Filter, o: Options, names: Sequence[str]) -> Any:
    levels = o.satisfied_levels.get(f.value, ())
    scores = [x for x in levels if isinstance(x, (int, float)) and not isinstance(x, bool)]
    texts = _survey_texts(o, f.value)
    e = nw.col("score").is_in(scores).fill_null(False)
    if texts and "response" in names:
        e = e | nw.col("response").is_in(texts).fill_null(False)
    return e.fill_null(False)


def _valid(restrict_items: bool) -> Callable[[Filter, Options, Sequence[str]], Any]:
    def expr(f: Filter, o: Options, names: Sequence[str]) -> Any:
        v = f.value
        texts = _survey_texts(o, v)
        e = ~nw.col("score").is_null()
        if texts and "response" in names:
            e = e | nw.col("response").is_in(texts).fill_null(False)
        excl = list(o.exclude_levels.get(v, ()))
        if excl and "response" in names:
            e = e & ~nw.col("response").is_in(excl).fill_null(False)
        items = o.survey_items.get(v) if restrict_items else None
        if items is not None and "item" in names:
            e = e & nw.col("item").is_in(list(items)).fill_null(False)
        return e.fill_null(False)
    return expr


def _overall_item(f: Filter, o: Options, names: Sequence[str]) -> Any:
    labels = list(o.overall_items.get(f.value, ()))
    return nw.col("item").is_in(labels).fill_null(False) if labels else nw.lit(False)


def _scope(f: Filter, o: Options) -> str:
    """The relevance scope a filter applies: its own value (a fixed-scope indicator) or the option."""
    return str(f.value) if f.value else o.relevance_scope


def _relevance_scope(f: Filter, o: Options, names: Sequence[str]) -> Any:
    if _scope(f, o) == "all":
        return nw.lit(True)
    code = nw.col("major_code").cast(nw.String).str.strip_chars()
    return ((code.str.len_chars() == 6) & code.str.slice(0, 2).is_in(list(STEM_AGRI_MED))).fill_null(False)


def _pay_columns(f: Filter, o: Options) -> Columns:
    if o.pay_rule == "2016":
        return ("monthly_pay", "probation_wage"), ()
    return ("monthly_pay", "post_wage"), ("lowest_grade_wage",)


def _pay_compliant(f: Filter, o: Options, names: Sequence[str]) -> Any:
    pay = nw.col("monthly_pay")
    if o.pay_rule == "2016":
        return (pay >= 0.8 * nw.col("probation_wage")).fill_null(False)
    e = (pay >= 0.8 * nw.col("post_wage")).fill_null(False)
    if "lowest_grade_wage" in names:
        e = e | (pay >= nw.col("lowest_grade_wage")).fill_null(False)
    return e


#: 2004 评估方案 双师素质 industry conditions (教高厅〔2004〕16号 as approximated from the teacher
#: table's columns, provisional [U]): any one of these, with lecturer (intermediate title) or above.
DUAL_2004_CONDITIONS: tuple[tuple[str, float | None], ...] = (
    ("industry_qualification", None),       # holds an industry qualification certificate (a flag)
    ("enterprise_practice_days_5y", 730),  # two years of enterprise practice in five years
    ("industry_years", 2),                 # two years of industry work experience
    ("applied_projects_5y", 2),            # two applied technology projects in five years
)
#: 2004 evaluation: lecturer (intermediate title) or above.
DUAL_2004_TITLES: tuple[str, ...] = ("intermediate", "senior")
#: 2022 认定标准: any certified level counts.
DUAL_2022_LEVELS: tuple[str, ...] = ("junior", "intermediate", "senior")


def _dual_columns(f: Filter, o: Options) -> Columns:
    if o.dual_definition == "school_flag":
        return ("dual_flag",), ()
    if o.dual_definition == "2022_standard":
        return ("dual_level",), ()
    return ("title_level",), tuple(c for c, _ in DUAL_2004_CONDITIONS)


def _dual_qualified(f: Filter, o: Options, names: Sequence[str]) -> Any:
    if o.dual_definition == "school_flag":
        return true_flag("dual_flag")
    if o.dual_definition == "2022_standard":
        return nw.col("dual_level").is_in(list(DUAL_2022_LEVELS)).fill_null(False)
    cond = nw.lit(False)
    for col, threshold in DUAL_2004_CONDITIONS:
        if col in names:
            cond = cond | (true_flag(col) if threshold is None else (nw.col(col) >= threshold).fill_null(False))
    return nw.col("title_level").is_in(list(DUAL_2004_TITLES)).fill_null(False) & cond


def _builtin() -> list[FilterOp]:
    ops = [FilterOp(k, _CMP_DOCS[k], _compare(s, fn) if k not in ("eq", "ne") else _eq_ne(k),
                    lambda f, lang, name, s=s: f"{name} {s} {f.value}")
           for k, (s, fn) in _SYMBOLS.items()]

    def survey_cols(f: Filter, o: Options) -> Columns:
        return ("survey_kind", "score"), ("response", "item")

    ops += [
        FilterOp("in", "column in value (tuple)", lambda f, o, n: nw.col(f.column).is_in(list(f.value)).fill_null(False),
                 _in_words),
        FilterOp("not_in", "column not in value (nulls do not match)",
                 lambda f, o, n: (~nw.col(f.column).is_in(list(f.value)) & ~nw.col(f.column).is_null()).fill_null(False),
                 _in_words),
        FilterOp("is_true", "boolean column is true", lambda f, o, n: true_flag(f.column), _zh_en("{name}=是", "{name} is yes")),
        FilterOp("is_false", "boolean column is false", lambda f, o, n: ~true_flag(f.column) & ~nw.col(f.column).is_null(),
                 _zh_en("{name}=否", "{name} is no")),
        FilterOp("notnull", "column is not missing", lambda f, o, n: ~nw.col(f.column).is_null(),
                 _zh_en("{name}不缺失", "{name} recorded")),
        FilterOp("isnull", "column is missing", lambda f, o, n: nw.col(f.column).is_null(),
                 _zh_en("{name}缺失", "{name} missing")),
        FilterOp("eq_column", "column == the column named in value (both present)",
                 lambda f, o, n: ((nw.col(f.column) == nw.col(f.value)) & ~nw.col(f.column).is_null()
                                  & ~nw.col(f.value).is_null()).fill_null(False),
                 lambda f, lang, name: f"{name}与{column_zh(f.value)}相同" if lang == "zh"
                 else f"{name} equals {f.value.replace('_', ' ')}",
                 columns=lambda f, o: ((f.column, f.value), ())),
        FilterOp("in_profile", "destination code in a category of a destination profile; value = (profile or "
                 "None, category)", lambda f, o, n: codes_expr(_profile_of(f, o)).fill_null(False), _in_profile_words,
                 options=("profile",), keyed=_keyed_in(_profile_of), pre=_CODE_PRE),
        FilterOp("in_codes", "destination code in value (2-digit families also match their 3-digit children)",
                 lambda f, o, n: codes_expr(f.value).fill_null(False),
                 _codes_words("毕业去向代码为 {codes}（含三位子代码）", "destination code in {codes} (incl. 3-digit children)"),
                 keyed=_keyed_in(lambda f, o: f.value), pre=_CODE_PRE),
        FilterOp("unknown_code", "destination code missing or not in the code list",
                 lambda f, o, n: (~codes_expr(DESTINATION_CODES)).fill_null(True),
                 _zh_en("毕业去向代码缺失或不在代码表中", "destination code missing or not in the code list"),
                 keyed=_keyed_not_in(lambda f, o: DESTINATION_CODES), pre=_CODE_PRE),
        FilterOp("not_in_codes", "destination code missing or not in value (2-digit families also exclude their "
                 "children)", lambda f, o, n: (~codes_expr(f.value)).fill_null(True),
                 _codes_words("毕业去向代码不为 {codes}（含三位子代码；缺失也计入）",
                              "destination code not {codes} (incl. 3-digit children; missing counts)"),
                 keyed=_keyed_not_in(lambda f, o: f.value), pre=_CODE_PRE),
        FilterOp("any_positive", "any of the columns (those present) is > 0", _any_positive,
                 _zh_en("{name} 中任一项 > 0", "any of {name} > 0"), columns=lambda f, o: ((), tuple(f.column))),
        FilterOp("satisfied", "survey answer in Options.satisfied_levels[value] (scores or text levels)", _satisfied,
                 _zh_en("{v}问卷回答属于满意档（见 satisfied_levels）", "{v} survey answer in the top box (satisfied_levels)"),
                 columns=survey_cols, options=("satisfied_levels",)),
        FilterOp("valid_response", "survey answer of kind value that is scored and not in "
                 "Options.exclude_levels[value]", _valid(True),
                 _zh_en("{v}问卷有效回答（不含 exclude_levels）", "valid {v} survey answer (exclude_levels removed)"),
                 columns=survey_cols, options=("satisfied_levels", "exclude_levels", "survey_items")),
        FilterOp("valid_answer", "valid_response without the Options.survey_items restriction (the overall item)",
                 _valid(False),
                 _zh_en("{v}问卷有效回答（不含 exclude_levels）", "valid {v} survey answer (exclude_levels removed)"),
                 columns=survey_cols, options=("satisfied_levels", "exclude_levels")),
        FilterOp("overall_item", "survey item is the overall question of kind value (Options.overall_items[value])",
                 _overall_item, _zh_en("{v}问卷的总体满意度题目（见 overall_items）",
                                       "the overall question of the {v} survey (overall_items)"),
                 columns=lambda f, o: (("item",), ()), options=("overall_items",)),
        FilterOp("relevance_scope", "major code within Options.relevance_scope (all majors, or 理工农医 by 专业大类)",
                 _relevance_scope, _zh_en("专业属于 relevance_scope 所定范围（全部或理工农医类）",
                                          "major within relevance_scope (all, or 理工农医 by 专业大类)"),
                 columns=lambda f, o: ((("major_code",) if _scope(f, o) != "all" else ()), ()),
                 options=("relevance_scope",)),
        FilterOp("pay_compliant", "intern pay meets the rule in Options.pay_rule (2021: >= 80 % of post wage or >= "
                 "lowest-grade wage; 2016: >= 80 % of probation wage)", _pay_compliant,
                 _zh_en("实习报酬达标（按 pay_rule：2021 版≥同岗位工资80%或最低档工资；2016 版≥试用期工资80%）",
                        "intern pay compliant under pay_rule (2021: >= 80 % of post wage or lowest-grade wage; "
                        "2016: >= 80 % of probation wage)"), columns=_pay_columns, options=("pay_rule",)),
        FilterOp("dual_qualified", "teacher is 双师 under Options.dual_definition", _dual_qualified,
                 _zh_en("双师（按 dual_definition）", "double-qualified (双师) under dual_definition"),
                 columns=_dual_columns, options=("dual_definition",)),
        FilterOp("age_lt", "age in the record's year (year - birth year in column) < value (issue 14: 四十周岁以下)",
                 lambda f, o, n: ((nw.col("year") - nw.col(f.column)) < f.value).fill_null(False),
                 _zh_en("年龄（年份−{name}）< {v}", "age (year - {name}) < {v}"),
                 columns=lambda f, o: ((f.column, "year"), ())),
    ]
    return ops


for _op in _builtin():
    register_op(_op)
