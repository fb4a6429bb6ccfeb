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
import sys
import types
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("coopmetrics")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

# Public name -> module that defines it. Everything is imported on first use so
# that `import coopmetrics` costs no more than `import pandas, numpy` (scipy,
# statsmodels, matplotlib and the engines load only when a function needs them).
_LAZY = {
    "Dataset": "dataset",
    "CoopmetricsError": "errors",
    "InputError": "errors",
    "InvalidOptionError": "errors",
    "MissingColumnError": "errors",
    "UnknownIndicatorError": "errors",
    "load": "io",
    "indicators": "registry",
    "get_indicator": "registry",
    "Options": "registry",
    "compute": "compute",
    "explain": "compute",
    "unit_values": "compute",
    "partner_profile": "compute",
    "apply_disclosure": "disclosure",
    "compare_targets": "targets",
    "year_over_year": "targets",
    "compare": "compare",
    "balance": "compare",
    "Comparison": "compare_result",
    "funnel": "compare",
    "trend_test": "compare",
    "partnership_effect": "did",
    "build_report": "report",
    "convert": "convert",
    "open_converted": "convert",
    "check_rules": "rules",
    "read_rules": "rules",
    "partner_scorecard": "partners",
    "PartnerScorecard": "partners",
}
_SUBMODULES = {"sample", "plots", "schema", "registry", "estimators", "weighting", "codes", "io", "engines",
               "partners"}

__all__ = [*_LAZY, *sorted(_SUBMODULES), "__version__"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value  # cache: the next access is a plain attribute
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'coopmetrics' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


class _Package(types.ModuleType):
    """The package module: a submodule import never hides a public function.

    Importing ``coopmetrics.compute`` makes Python set the package attribute
    ``compute`` to the submodule; ``cm.compute`` must stay the function of that
    name, so such a binding is replaced by the function.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _LAZY.get(name) == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
