"""Safe output for the report: lock detection, temporary files, all-or-nothing replacement, backups.

A run writes every output to a temporary file beside its target and moves them into place
only when all were written; a failure or Ctrl-C removes the temporary files and leaves the
previous report untouched. An existing report is renamed to a timestamped backup unless
``force`` is given (then it is overwritten); :func:`write_all` says which happened.

Examples
--------
>>> from pathlib import Path
>>> import tempfile
>>> d = Path(tempfile.mkdtemp())
>>> res = write_all({d / "a.txt": lambda p: p.write_text("1")})
>>> (d / "a.txt").read_text(), res.backups
('1', {})
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CoopmetricsError

__all__ = ["OutputLockedError", "WriteResult", "check_targets", "is_locked", "write_all"]


class OutputLockedError(CoopmetricsError, OSError):
    """An output file is open in Excel (or WPS / LibreOffice) or cannot be written."""


@dataclass
class WriteResult:
    """Files written and the backups made of the reports they replaced."""

    written: list[Path] = field(default_factory=list)
    backups: dict[Path, Path] = field(default_factory=dict)
    overwritten: list[Path] = field(default_factory=list)


def _lock_files(path: Path) -> list[Path]:
    """Owner files Excel/WPS (``~$name``) and LibreOffice (``.~lock.name#``) keep beside an open file."""
    return [path.with_name(f"~${path.name}"), path.with_name(f".~lock.{path.name}#")]


def is_locked(path: Path) -> bool:
    """Whether ``path`` is open in a spreadsheet program or cannot be opened for writing.

    Excel on Windows holds the file open with a share lock (opening it for writing raises
    ``PermissionError``); Excel, WPS and LibreOffice also leave an owner file beside it.
    """
    if any(p.exists() for p in _lock_files(path)):
        return True
    if not path.exists():
        return False
    try:
        with open(path, "r+b"):
            return False
    except PermissionError:
        return True


def _locked_error(path: Path) -> OutputLockedError:
    return OutputLockedError(
        f"请先在 Excel 中关闭 {path.name}（在 WPS 或 LibreOffice 中打开的也一样），然后重新运行。"
        f"文件被占用，无法写入：{path}",
        f"close {path.name} in Excel (or WPS, LibreOffice) and run again: the file is open and cannot be "
        f"written: {path}",
    )


def check_targets(paths: list[Path]) -> None:
    """Fail fast, before any work, when an output is locked or its folder is not writable.

    Raises
    ------
    OutputLockedError
    """
    for path in paths:
        if is_locked(path):
            raise _locked_error(path)
        folder = path.parent
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK):
            raise OutputLockedError(f"输出文件夹不可写：{folder}", f"the output folder is not writable: {folder}")


def _backup_name(path: Path, stamp: str) -> Path:
    """``name.备份-<time>.xlsx``; never an existing file (two runs in one second get -2, -3 ...)."""
    candidate = path.with_name(f"{path.stem}.备份-{stamp}{path.suffix}")
    k = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}.备份-{stamp}-{k}{path.suffix}")
        k += 1
    return candidate


def write_all(writers: Mapping[Path, Callable[[Path], object]], *, force: bool = False) -> WriteResult:
    """Write every target through a temporary file; replace the targets only when all succeeded.

    Parameters
    ----------
    writers : mapping of Path -> callable
        Target path -> function writing the content to the path it is given.
    force : bool
        Overwrite existing targets; default keep each as ``<name>.备份-<time><suffix>``.

    Returns
    -------
    WriteResult

    Raises
    ------
    OutputLockedError
        A target is open in a spreadsheet program (checked again just before replacing).
    Exception
        Whatever a writer raised; the targets are then unchanged and no temporary file is left.
    """
    temps: dict[Path, Path] = {}
    result = WriteResult()
    try:
        for target, write in writers.items():
            tmp = target.with_name(f".{target.stem}.{os.getpid()}.tmp{target.suffix}")
            temps[target] = tmp
            write(tmp)
        check_targets(list(writers))
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        for target in writers:
            if target.exists():
                if force:
                    result.overwritten.append(target)
                else:
                    backup = _backup_name(target, stamp)
                    os.replace(target, backup)
                    result.backups[target] = backup
        for target, tmp in temps.items():
            try:
                os.replace(tmp, target)
            except PermissionError as exc:  # Windows: opened in Excel between the check and now
                raise _locked_error(target) from exc
            result.written.append(target)
    except BaseException:  # includes KeyboardInterrupt: no partial file may stay behind
        _roll_back(result)
        raise
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
    return result


def _roll_back(result: WriteResult) -> None:
    """Put the previous reports back: a run either replaces every output or none."""
    for target in result.written:
        if target not in result.backups:
            target.unlink(missing_ok=True)
    for target, backup in result.backups.items():
        if backup.exists():
            os.replace(backup, target)
