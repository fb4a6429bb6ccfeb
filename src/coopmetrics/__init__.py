"""coopmetrics: evaluate school–enterprise cooperation (校企合作) in vocational education.

Load exported rosters and surveys, compute indicators with exact cited
definitions and honest uncertainty, compare partnership cohorts, and write the
yearly report.

Examples
--------
>>> import coopmetrics as cm
>>> ds = cm.load(cm.sample.SAMPLE_DIR)            # doctest: +SKIP
>>> cm.compute(ds, ["placement_rate"], by=["grad_year"])  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any

# compute() and compare() share their names with their modules. Binding the
# functions here, after the submodules are imported, keeps `cm.compute(...)` and
# `cm.compare(...)` the functions whatever is imported later.
from .compare import balance, compare, funnel, trend_test
from .compute import compute, explain, partner_profile, unit_values
from .dataset import Dataset
from .errors import (
    CoopmetricsError,
    InputError,
    InvalidOptionError,
    MissingColumnError,
    UnknownIndicatorError,
)

try:
    __version__ = version("coopmetrics")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

# Public name -> module that defines it. Imported lazily so that `import
# coopmetrics` stays fast and heavy dependencies (matplotlib, statsmodels,
# duckdb) load only when used.
_LAZY = {
    "load": "io",
    "indicators": "registry",
    "get_indicator": "registry",
    "apply_disclosure": "disclosure",
    "compare_targets": "targets",
    "year_over_year": "targets",
    "compare": "compare",
    "partnership_effect": "did",
    "Comparison": "compare_result",
    "funnel": "compare",
    "trend_test": "compare",
    "build_report": "report",
    "Options": "registry",
}
_SUBMODULES = {"sample", "plots", "schema", "registry", "estimators", "weighting", "codes", "io", "engines"}

__all__ = [
    "Dataset",
    "CoopmetricsError",
    "InputError",
    "InvalidOptionError",
    "MissingColumnError",
    "UnknownIndicatorError",
    "compute",
    "explain",
    "unit_values",
    "partner_profile",
    "compare",
    "balance",
    "funnel",
    "trend_test",
    *_LAZY,
    *sorted(_SUBMODULES),
    "__version__",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'coopmetrics' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
