"""Writing output files safely: atomic, never destroying the previous report, never running formulas.

Every file coopmetrics writes for people (the report workbook and HTML, the
validation CSV) goes through :func:`atomic_write`:

* the content is written to a temporary file in the target folder and moved
  into place with :func:`os.replace`, so a run that fails half-way leaves the
  previous file untouched and no truncated file behind;
* an existing file is kept as a timestamped backup (``报告.备份-20250101-120000.xlsx``)
  unless ``overwrite="force"``; ``overwrite="refuse"`` stops instead;
* a file that is open in Excel (Excel's ``~$`` owner file beside it, or a
  permission error on replace) raises :class:`~coopmetrics.errors.OutputLockedError`
  with "请先在 Excel 中关闭 … / close … in Excel".

:func:`escape_formulas` makes text cells safe for spreadsheets: a cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed
with an apostrophe, so Excel shows it as text instead of running it
(CSV/formula injection); numbers are left alone.

Examples
--------
>>> import pandas as pd, tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> frame = pd.DataFrame({"value": ["=HYPERLINK(\\"http://x\\")", "-1", "ok"], "row": [2, 3, 4]})
>>> p = write_csv(frame, d / "v.csv")
>>> p.read_text(encoding="utf-8-sig").splitlines()[1:3]
['"\\'=HYPERLINK(""http://x"")",2', '"\\'-1",3']
>>> p2 = write_csv(frame, d / "v.csv")          # the first file is kept as a backup
>>> len(list(d.glob("v.备份-*.csv")))
1
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InvalidOptionError, OutputError, OutputLockedError

__all__ = ["OVERWRITE_MODES", "atomic_write", "backup_path", "escape_formulas", "is_locked", "locked_error",
           "write_csv"]

#: Accepted values of ``overwrite``.
OVERWRITE_MODES = ("backup", "force", "refuse")

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula with an apostrophe.

    Only text (object/string) columns are touched, each distinct value once;
    numeric columns are numbers, never formulas.

    Examples
    --------
    >>> escape_formulas(pd.DataFrame({"a": ["=1+1", "+86 138", "@SUM(A1)", "x"], "n": [-1, 2, 3, 4]})).values.tolist()
    [["'=1+1", -1], ["'+86 138", 2], ["'@SUM(A1)", 3], ['x', 4]]
    """
    out = frame.copy()
    for c in out.columns:
        col = out[c]
        if pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
            continue
        codes, uniq = pd.factorize(col.to_numpy(dtype=object), use_na_sentinel=True)
        if not len(uniq):
            continue
        fixed = np.array([("'" + u) if isinstance(u, str) and u.startswith(_FORMULA_START) else u
                          for u in uniq] + [None], dtype=object)
        out[c] = pd.Series(fixed[codes], index=out.index, dtype=object)
    return out


def backup_path(path: Path, stamp: str | None = None) -> Path:
    """Where the previous version of ``path`` is kept: ``<stem>.备份-<time><suffix>``, never an existing file."""
    stamp = stamp or datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.stem}.备份-{stamp}{path.suffix}")
    k = 2
    while candidate.exists():  # two runs in one second get -2, -3 ...
        candidate = path.with_name(f"{path.stem}.备份-{stamp}-{k}{path.suffix}")
        k += 1
    return candidate


def _owner_files(path: Path) -> list[Path]:
    """Owner files a spreadsheet program keeps beside an open file.

    Excel and WPS write ``~$`` + the name (dropping the first one or two characters of long
    names); LibreOffice writes ``.~lock.<name>#``.
    """
    names = {f"~${path.name}", f"~${path.name[2:]}", f"~${path.name[1:]}", f".~lock.{path.name}#"}
    return [path.parent / n for n in names]


def is_locked(path: Path) -> bool:
    """Is ``path`` open in Excel, WPS or LibreOffice, or impossible to open for writing?

    Excel on Windows holds an open file with a share lock (opening it for writing raises
    ``PermissionError``); the programs also leave an owner file beside it.
    """
    path = Path(path)
    if any(p.exists() for p in _owner_files(path)):
        return True
    if not path.exists():
        return False
    try:
        with open(path, "r+b"):
            return False
    except PermissionError:
        return True


def locked_error(path: Path) -> OutputLockedError:
    """The bilingual error for a file that is open in a spreadsheet program."""
    return OutputLockedError(
        f"请先在 Excel 中关闭“{path.name}”（在 WPS 或 LibreOffice 中打开的也一样），然后重新运行。"
        f"文件被占用，无法写入：{path}",
        f"close '{path.name}' in Excel (or WPS, LibreOffice) and run again: the file is open and cannot "
        f"be written: {path}",
    )


def atomic_write(path: str | Path, write: Callable[[Path], object], *, overwrite: str = "backup") -> Path:
    """Write ``path`` through a temporary file and :func:`os.replace`.

    Parameters
    ----------
    path : str or Path
        The file to produce.
    write : callable
        ``write(tmp_path)`` writes the whole content to ``tmp_path`` (same folder,
        same suffix).
    overwrite : {"backup", "force", "refuse"}, default "backup"
        What to do with an existing file: keep it as ``<stem>.备份-<time><suffix>``,
        replace it, or raise :class:`~coopmetrics.errors.OutputError`.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OutputLockedError
        The file is open in Excel (nothing is changed).
    OutputError
        ``overwrite="refuse"`` and the file exists, or the folder is not writable.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> _ = atomic_write(p, lambda t: t.write_text("v1"))
    >>> def boom(t):
    ...     t.write_text("half")
    ...     raise RuntimeError("failed half-way")
    >>> try:
    ...     atomic_write(p, boom)
    ... except RuntimeError:
    ...     pass
    >>> p.read_text(), sorted(x.name for x in p.parent.iterdir())
    ('v1', ['a.txt'])
    """
    if overwrite not in OVERWRITE_MODES:
        raise InvalidOptionError(f"overwrite 只能取 {OVERWRITE_MODES}，收到 {overwrite!r}",
                                 f"overwrite must be one of {OVERWRITE_MODES}, got {overwrite!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    exists = path.exists()
    if exists and is_locked(path):
        raise locked_error(path)
    if exists and overwrite == "refuse":
        raise OutputError(f"文件“{path}”已存在；如要覆盖请使用 overwrite='force'（或 --force）",
                          f"'{path}' already exists; use overwrite='force' (or --force) to replace it")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"无法在文件夹“{path.parent}”中写文件：{exc}",
                          f"cannot write files in the folder '{path.parent}': {exc}") from exc
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a report gets the permissions any new file would
    backup: Path | None = None
    try:
        write(tmp)
        if exists and overwrite == "backup":
            backup = backup_path(path)
            os.replace(path, backup)  # the old report is renamed, not copied: nothing to lose
        os.replace(tmp, path)
    except PermissionError as exc:
        if backup is not None and not path.exists():
            os.replace(backup, path)
        raise locked_error(path) from exc
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _umask() -> int:
    """The process umask (read by setting and restoring it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_csv(frame: pd.DataFrame, path: str | Path, *, overwrite: str = "backup",
              encoding: str = "utf-8-sig") -> Path:
    """Write ``frame`` as CSV atomically, with formulas escaped (UTF-8 with BOM opens right in Excel).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = write_csv(pd.DataFrame({"a": ["@x"]}), pathlib.Path(tempfile.mkdtemp()) / "a.csv")
    >>> p.read_text(encoding="utf-8-sig")
    '"a"\\n"\\'@x"\\n'
    """
    safe = escape_formulas(frame)
    # every text cell quoted: pandas' minimal quoting leaves a bare \r unquoted, which splits the row
    return atomic_write(path, lambda t: safe.to_csv(t, index=False, encoding=encoding,
                                                    quoting=csv.QUOTE_NONNUMERIC), overwrite=overwrite)
