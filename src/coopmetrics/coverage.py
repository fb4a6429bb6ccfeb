"""Where each item the source documents ask to evaluate is measured (issue 14's coverage table).

The 74 items of ``shared/reference/seed-coverage.md`` are mapped, as data, in
``coopmetrics/data/seed_coverage.csv`` to indicators of :mod:`coopmetrics.registry`, tables of
:mod:`coopmetrics.schema`, rules of :mod:`coopmetrics.rules` or public functions, or marked
out of scope with a reason. :func:`validate_coverage` checks every reference;
:func:`coverage_markdown` renders the table that ``docs/indicators.md`` carries between its
``coverage`` markers (regenerate with :func:`update_coverage_doc`).

Examples
--------
>>> cov = seed_coverage()
>>> len(cov), sorted(cov["coverage"].unique())
(74, ['indicator', 'out_of_scope', 'rule', 'table'])
>>> validate_coverage()
[]
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

__all__ = ["seed_coverage", "validate_coverage", "coverage_markdown", "update_coverage_doc", "COVERAGE_KINDS"]

#: coverage value -> (Chinese, English) words used in the rendered table.
COVERAGE_KINDS: dict[str, tuple[str, str]] = {
    "indicator": ("指标", "indicator"),
    "rule": ("指标+规则", "indicator and rule"),
    "table": ("数据表", "table (no indicator)"),
    "out_of_scope": ("不在范围", "out of scope"),
}
_API = {"compare", "partnership_effect", "partner_profile", "check_rules", "compute", "build_report"}
_BEGIN = "<!-- BEGIN GENERATED: coopmetrics.coverage.coverage_markdown() -->"
_END = "<!-- END GENERATED: coverage -->"


def seed_coverage() -> pd.DataFrame:
    """The coverage table: ``item, theme, text, coverage, refs, note`` (one row per seed item).

    ``refs`` is a list of references: indicator ids, ``table:<name>``, ``rule:<规则编号>`` or
    ``api:<function>``.

    Examples
    --------
    >>> seed_coverage().set_index("item").loc["C3", "refs"]
    ['teacher_practice_2m_share', 'rule:R001-1']
    """
    path = Path(str(resources.files("coopmetrics") / "data" / "seed_coverage.csv"))
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    df.columns = ["item", "theme", "text", "coverage", "refs", "note"]
    df["refs"] = [[r.strip() for r in s.split(";") if r.strip()] for s in df["refs"]]
    return df


def validate_coverage(cov: pd.DataFrame | None = None) -> list[str]:
    """Problems of the coverage table (empty when every reference resolves).

    Checks: 74 distinct items; a known coverage kind; indicator ids registered, tables in
    the schema, rules in the shipped rules file, functions public; an indicator or rule for
    ``indicator``/``rule`` rows, a rule for ``rule`` rows, a reason for ``out_of_scope`` rows.

    Examples
    --------
    >>> bad = seed_coverage().head(1).assign(refs=[["no_such_indicator"]])
    >>> validate_coverage(bad)[-1]
    "A1: unknown indicator 'no_such_indicator'"
    """
    from .registry import _BY_ID
    from .rules import read_rules
    from .schema import TABLES

    shipped = cov is None
    cov = seed_coverage() if cov is None else cov
    rules = set(read_rules()["rule_id"])
    issues: list[str] = []
    if cov["item"].duplicated().any():
        issues.append("duplicate items")
    if shipped and len(cov) != 74:  # the 74 items of shared/reference/seed-coverage.md
        issues.append(f"{len(cov)} items, expected 74")
    for rec in cov.itertuples(index=False):  # 74 rows of documentation, checked once in a test
        p = f"{rec.item}:"
        if rec.coverage not in COVERAGE_KINDS:
            issues.append(f"{p} unknown coverage {rec.coverage!r}")
        kinds = set()
        for ref in rec.refs:
            kind, _, name = ref.partition(":") if ":" in ref else ("indicator", "", ref)
            kinds.add(kind)
            ok = {"indicator": name in _BY_ID, "table": name in TABLES, "rule": name in rules,
                  "api": name in _API}.get(kind, False)
            if not ok:
                issues.append(f"{p} unknown {kind} {name!r}")
        if rec.coverage in ("indicator", "rule") and not kinds & {"indicator", "api"}:
            issues.append(f"{p} coverage {rec.coverage} without an indicator")
        if rec.coverage == "rule" and "rule" not in kinds and "api" not in kinds:
            issues.append(f"{p} coverage rule without a rule")
        if rec.coverage in ("out_of_scope", "table") and not rec.note.strip():
            issues.append(f"{p} {rec.coverage} needs a reason in the note")
    return issues


def _ref_md(ref: str) -> str:
    kind, _, name = ref.partition(":") if ":" in ref else ("indicator", "", ref)
    return {"indicator": f"`{name}`", "table": f"table `{name}`", "rule": f"rule {name}",
            "api": f"`{name}()`"}[kind]


def coverage_markdown() -> str:
    """The coverage table as Markdown, with a count per coverage kind.

    Examples
    --------
    >>> "| C3 | 师资 |" in coverage_markdown()
    True
    """
    cov = seed_coverage()
    counts = cov["coverage"].value_counts()
    lines = ["| coverage | items |", "|---|---:|"]
    lines += [f"| {zh} / {en} | {int(counts.get(k, 0))} |" for k, (zh, en) in COVERAGE_KINDS.items()]
    lines += ["", "| # | 主题 | 事项 item | coverage | indicators, tables, rules | note |",
              "|---|---|---|---|---|---|"]
    for rec in cov.itertuples(index=False):
        zh, en = COVERAGE_KINDS.get(rec.coverage, (rec.coverage, rec.coverage))
        refs = ", ".join(_ref_md(r) for r in rec.refs)
        note = rec.note.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {rec.item} | {rec.theme} | {rec.text} | {zh} / {en} | {refs} | {note} |")
    return "\n".join(lines) + "\n"


def update_coverage_doc(path: str | Path) -> bool:
    """Replace (or append) the generated coverage block of ``path``; True when the file changed.

    Run ``python -c "from coopmetrics.coverage import update_coverage_doc as u; u('docs/indicators.md')"``
    after editing ``data/seed_coverage.csv``, the registry's ids or the rules file.
    """
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    block = f"{_BEGIN}\n\n{coverage_markdown()}\n{_END}"
    if _BEGIN in text:
        head, rest = text.split(_BEGIN, 1)
        _, tail = rest.split(_END, 1)
        new = f"{head}{block}{tail}"
    else:
        new = text.rstrip("\n") + "\n\n" + block + "\n"
    if new != text:
        p.write_text(new, encoding="utf-8")
        return True
    return False
