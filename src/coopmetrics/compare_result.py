"""The :class:`Comparison` result object returned by :func:`coopmetrics.compare`.

A comparison has a main table (one tidy row per group and cohort level) and, when
covariates were adjusted for, a covariate balance table. Both are plain DataFrames
held as attributes, never in ``DataFrame.attrs`` (pandas drops or compares ``attrs``
in ``concat``/``merge`` and cannot write a DataFrame in them to Parquet).

For code written against the earlier DataFrame return value, a :class:`Comparison`
passes DataFrame access through to ``.table``: ``res["difference"]``,
``res.loc[...]``, ``res.iloc[0]``, ``len(res)``, ``res.to_parquet(path)``,
``res.query(...)``, iteration over the column names. ``pd.concat`` needs real
DataFrames: concatenate ``res.tidy()`` (or ``res.table``).

Examples
--------
>>> import pandas as pd
>>> from coopmetrics.compare import compare_values
>>> v = pd.DataFrame({"program": ["order_class"] * 40 + ["regular"] * 60,
...                   "value": [1] * 34 + [0] * 6 + [1] * 42 + [0] * 18})
>>> res = compare_values(v, "proportion", indicator="placement_rate")
>>> round(float(res["difference"].iloc[0]), 3), len(res), res.balance is None
(0.15, 1, True)
>>> print(res.summary().splitlines()[1])
  placement_rate: order_class vs regular  +0.1500  (95% CI -0.0232 to +0.2982, q = 0.0853)
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import check_option

__all__ = ["Comparison"]


@dataclass
class Comparison:
    """Result of :func:`coopmetrics.compare` / :func:`coopmetrics.compare.compare_values`.

    Attributes
    ----------
    table : pandas.DataFrame
        ``indicator``, the ``by`` columns, then :data:`coopmetrics.compare.COMPARE_COLUMNS`
        (documented in ``docs/comparisons.md``). No ``attrs``.
    balance : pandas.DataFrame or None
        Covariate balance of adjusted comparisons (``indicator``, the ``by`` columns,
        then :data:`coopmetrics.compare.BALANCE_COLUMNS`); ``None`` when nothing was
        adjusted.
    settings : dict
        The arguments that shaped the rows (cohort, reference, by, adjust, method,
        estimand, ci_level).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"indicator": ["p"], "cohort": ["order_class"], "difference": [0.1]})
    >>> c = Comparison(t)
    >>> c["difference"].tolist(), list(c), c.shape
    ([0.1], ['indicator', 'cohort', 'difference'], (1, 3))
    """

    table: pd.DataFrame
    balance: pd.DataFrame | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    # --- the documented result-object interface ------------------------------------------
    def tidy(self) -> pd.DataFrame:
        """The comparison rows as a plain DataFrame (a copy; safe to concat, merge, save).

        Examples
        --------
        >>> import pandas as pd
        >>> a = Comparison(pd.DataFrame({"indicator": ["p"], "difference": [0.1]}))
        >>> b = Comparison(pd.DataFrame({"indicator": ["q"], "difference": [0.2]}))
        >>> pd.concat([a.tidy(), b.tidy()], ignore_index=True)["indicator"].tolist()
        ['p', 'q']
        """
        out = self.table.copy()
        out.attrs = {}
        return out

    def summary(self, lang: str = "en", max_rows: int = 20) -> str:
        """Readable text: one line per comparison (difference, CI, q-value) and its flags.

        Parameters
        ----------
        lang : {"en", "zh"}
        max_rows : int
            Rows shown; the rest are counted.
        """
        check_option("lang", lang, ("en", "zh"), "Comparison.summary")
        t = self.table
        lvl = int(round(100 * float(self.settings.get("ci_level", 0.95))))
        adj = self.settings.get("adjust") or []
        if lang == "zh":
            head = f"队列比较：{len(t)} 行" + (f"（调整协变量：{', '.join(adj)}）" if adj else "（未调整）")
        else:
            head = f"Cohort comparison: {len(t)} row(s)" + (f" adjusted for {', '.join(adj)}" if adj else
                                                             " (unadjusted)")
        lines = [head]
        by = [c for c in t.columns[1:t.columns.get_loc("cohort")]] if "cohort" in t.columns else []
        for r in t.head(max_rows).to_dict("records"):
            where = " ".join(str(r[c]) for c in by)
            label = f"{r.get('indicator', '')}{(' ' + where) if where else ''}: {r.get('cohort')} vs {r.get('reference')}"
            d = r.get("difference", np.nan)
            if pd.notna(d):
                lo, hi, q = (float(r.get(k, np.nan)) for k in ("ci_low", "ci_high", "q_value"))
                lines.append(f"  {label}  {d:+.4f}  ({lvl}% CI {lo:+.4f} to {hi:+.4f}, q = {q:.3g})")
            else:
                lines.append(f"  {label}  {'无法估计' if lang == 'zh' else 'not estimable'}")
            flags = str(r.get("flags") or "")
            if flags:
                parts = [p.split(" / ")[0] if lang == "zh" else p.split(" / ", 1)[-1] for p in flags.split("; ")]
                lines.append("      " + "; ".join(parts))
        if len(t) > max_rows:
            lines.append(f"  … 另有 {len(t) - max_rows} 行" if lang == "zh" else f"  … {len(t) - max_rows} more row(s)")
        return "\n".join(lines)

    def plot(self, **kwargs: Any) -> Any:
        """Forest plot of the rows (:func:`coopmetrics.plots.plot_forest`; keyword arguments pass on)."""
        from .plots import plot_forest  # rendering is imported only when a plot is asked for

        return plot_forest(self.table, **kwargs)

    def _repr_html_(self) -> str:
        adj = self.settings.get("adjust") or []
        cap = html.escape(f"Comparison: {len(self.table)} row(s)" + (f", adjusted for {', '.join(adj)}" if adj
                                                                        else ""))
        bal = "" if self.balance is None else f"<p>balance table: {len(self.balance)} row(s) (<code>.balance</code>)</p>"
        return f"<div><p><b>{cap}</b></p>{self.table._repr_html_()}{bal}</div>"

    def equals(self, other: Any) -> bool:
        """Same rows and balance as ``other`` (a Comparison or, for the table only, a DataFrame)."""
        if isinstance(other, Comparison):
            same_bal = (self.balance is None and other.balance is None) or (
                self.balance is not None and other.balance is not None and self.balance.equals(other.balance))
            return bool(self.table.equals(other.table) and same_bal)
        return bool(self.table.equals(other))

    def __repr__(self) -> str:
        return repr(self.table)

    # --- DataFrame pass-through (compatibility with the earlier DataFrame result) --------
    def __getattr__(self, name: str) -> Any:
        # only called when normal lookup fails; never for the dataclass fields themselves
        if name.startswith("__") or name in ("table", "balance", "settings"):
            raise AttributeError(name)
        return getattr(self.table, name)

    def __getitem__(self, key: Any) -> Any:
        return self.table[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self.table[key] = value

    def __len__(self) -> int:
        return len(self.table)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.table)

    def __contains__(self, key: Any) -> bool:
        return key in self.table
