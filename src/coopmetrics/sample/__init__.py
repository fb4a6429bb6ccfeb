"""Seeded synthetic data with known true effects (合成样例数据，已知真实效应).

No public microdata of Chinese graduates exist, so coopmetrics ships a synthetic
college generated from documented assumptions (see
``data/sample/README.md``) and calibrated to the figures in the project's
domain notes. Every causal effect is **additive on the probability or yuan
scale** and the probabilities stay inside (0.02, 0.99) by construction (no
clipping), so the truth written in :data:`TRUE_EFFECTS` is exact and
estimators can be checked against it.

Public functions
----------------
generate
    The sample college (江南示例职业技术学院, 2019–2024) as a ``Dataset`` of the six
    canonical tables; :data:`TRUE_EFFECTS` and :data:`PARTNERSHIP_START` hold its truth.
simulate_graduates
    A cheap graduates-only draw from the same model for coverage simulations.
population_truth
    Full-population vs respondent satisfaction shares of the sample's surveys.
write_sample, write_messy_export, load_sample, SAMPLE_DIR
    The committed files (``data/sample``): clean UTF-8 CSVs with Chinese headers,
    one messy GBK export with three bad rows, and their README.
generate_panel, generate_panel_chunks
    Large multi-college graduate panels in compact dtypes for benchmarks.

Package layout
--------------
effects
    :data:`TRUE_EFFECTS` (the truth), programme codes, entry-score constants.
vocab, model
    Shared vocabularies (majors, regions, MoE codes, firm names) and the outcome model.
panel
    :func:`generate_panel`, :func:`generate_panel_chunks`.
college, enterprises, teachers, surveys, mechanisms, partners
    The sample college, one module per table family; :mod:`.build` assembles them.
export, messy, readme, writing
    The committed files: Chinese exports, the messy GBK export, the README, write/load.

Examples
--------
>>> from coopmetrics.sample import generate_panel, TRUE_EFFECTS
>>> panel = generate_panel(10_000, seed=1)
>>> len(panel), str(panel["grad_year"].dtype)
(10000, 'int16')
>>> TRUE_EFFECTS["placed_order_class"].value
0.03
"""

# Besides ``__all__``, the package keeps every module-level name the single-module ``sample.py`` had
# (constants such as ENTRY_MEAN, UNRATED, MESSY_FILE; tests and docs use ``sample.<name>``).
from .build import generate, population_truth
from .college import COLLEGE, MAJORS, PARTNERSHIP_START, simulate_graduates
from .effects import ENTRY_MEAN, ENTRY_SD, P_MAX, P_MIN, PARTNER_QUALITY, TRUE_EFFECTS, Z_MAX, TrueEffect  # noqa: F401
from .export import SAMPLE_DIR, SAMPLE_FILES  # noqa: F401
from .mechanisms import MECHANISM_TARGETS, _mechanism_tables  # noqa: F401
from .messy import MESSY_FILE, MESSY_TITLE, BadRow, write_messy_export  # noqa: F401
from .panel import generate_panel, generate_panel_chunks
from .partners import _plant_partner_quality, planted_partners  # noqa: F401
from .surveys import SURVEY_KIND_ORDER, UNRATED  # noqa: F401
from .vocab import MAJOR_POOL, further_study_share  # noqa: F401
from .writing import load_sample, write_sample

__all__ = [
    "BadRow",
    "COLLEGE",
    "MAJORS",
    "PARTNERSHIP_START",
    "SAMPLE_DIR",
    "TRUE_EFFECTS",
    "TrueEffect",
    "generate",
    "generate_panel",
    "generate_panel_chunks",
    "further_study_share",
    "load_sample",
    "population_truth",
    "planted_partners",
    "simulate_graduates",
    "write_messy_export",
    "write_sample",
]
