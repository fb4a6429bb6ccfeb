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

from ..errors import OutputLockedError
from ..output import backup_path, is_locked, locked_error

__all__ = ["OutputLockedError", "WriteResult", "check_targets", "is_locked", "write_all"]


@dataclass
class WriteResult:
    """Files written and the backups made of the reports they replaced."""

    written: list[Path] = field(default_factory=list)
    backups: dict[Path, Path] = field(default_factory=dict)
    overwritten: list[Path] = field(default_factory=list)


def check_targets(paths: list[Path]) -> None:
    """Fail fast, before any work, when an output is locked or its folder is not writable.

    Raises
    ------
    OutputLockedError
    """
    for path in paths:
        if is_locked(path):
            raise locked_error(path)
        folder = path.parent
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK):
            raise OutputLockedError(f"输出文件夹不可写：{folder}", f"the output folder is not writable: {folder}")


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
                    backup = backup_path(target, stamp)
                    os.replace(target, backup)
                    result.backups[target] = backup
        for target, tmp in temps.items():
            try:
                os.replace(tmp, target)
            except PermissionError as exc:  # Windows: opened in Excel between the check and now
                raise locked_error(target) from exc
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
