"""Writing and loading the committed sample files (``data/sample``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .build import _build
from .export import SAMPLE_DIR, SAMPLE_FILES, _export_frame, _survey_wide, _to_csv
from .messy import _write_messy
from .readme import _readme
from .surveys import SURVEY_KIND_ORDER

if TYPE_CHECKING:
    from ..dataset import Dataset


def write_sample(directory: str | Path | None = None, *, seed: int = 2024) -> list[Path]:
    """Write the sample as a college exports it: one UTF-8 CSV per table with Chinese headers.

    Files: 毕业生.csv, 教师.csv, 合作企业.csv, 岗位实习.csv, 在校生.csv and one wide
    survey file per kind (实习满意度调查.csv, 就业满意度调查.csv, 母校满意度调查.csv,
    雇主满意度调查.csv; one column per item, text answers), plus ``messy/毕业生.csv``
    (:func:`write_messy_export`) and ``README.md`` documenting the truth.
    Deterministic in ``seed``.

    Parameters
    ----------
    directory : path, optional
        Target folder (created); default :data:`SAMPLE_DIR`.
    seed : int
        Seed passed to :func:`generate`.

    Returns
    -------
    list of Path
        The files written.

    Examples
    --------
    >>> import tempfile
    >>> paths = write_sample(tempfile.mkdtemp())
    >>> sorted(p.name for p in paths)[:4]
    ['README.md', '合作企业.csv', '合作协议.csv', '在校生.csv']
    """
    from ..schema import SURVEY_KINDS

    directory = Path(directory) if directory is not None else SAMPLE_DIR
    directory.mkdir(parents=True, exist_ok=True)
    b = _build(seed, range(2019, 2025))
    paths = []
    for table, stem in SAMPLE_FILES.items():
        p = directory / f"{stem}.csv"
        _to_csv(_export_frame(table, b.tables[table]), p)
        paths.append(p)
    for kind in SURVEY_KIND_ORDER:
        p = directory / f"{SURVEY_KINDS[kind]}.csv"
        _to_csv(_survey_wide(b.tables["survey"], kind), p)
        paths.append(p)
    messy_path, bad = _write_messy(b, directory / "messy", seed)
    paths.append(messy_path)
    readme = directory / "README.md"
    readme.write_text(_readme(b, bad, seed), encoding="utf-8")
    paths.append(readme)
    return paths


def load_sample(**kwargs: object) -> Dataset:
    """Load the committed sample files with :func:`coopmetrics.load` (as a user would).

    Examples
    --------
    >>> ds = load_sample()  # doctest: +SKIP
    >>> ds.tables  # doctest: +SKIP
    ['graduates', 'survey', 'teachers', 'enterprises', 'internships', 'enrollment']
    """
    from ..io import load  # written by the loading module; imported lazily

    return load(SAMPLE_DIR, **kwargs)
