"""Exception hierarchy and bilingual messages.

Every error a user can trigger is a :class:`CoopmetricsError`. Subclasses also
inherit from the matching builtin (``ValueError``, ``KeyError``) so that
``except ValueError`` keeps working. Messages carry a Chinese and an English
line; input errors carry the location (file, sheet, Excel row, column) so staff
can find the cell.

Examples
--------
>>> from coopmetrics.errors import InputError
>>> err = InputError("缺少必需列", "missing required column", file="毕业生.csv",
...                  column="学号", hint_zh="请检查表头", hint_en="check the header row")
>>> print(err)  # doctest: +NORMALIZE_WHITESPACE
缺少必需列 [文件 毕业生.csv, 列 学号] 请检查表头
missing required column [file 毕业生.csv, column 学号] check the header row
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "CoopmetricsError",
    "InputError",
    "MissingColumnError",
    "UnknownIndicatorError",
    "InvalidOptionError",
    "RegistryError",
    "OutputError",
    "OutputLockedError",
    "check_option",
    "closest",
]


def closest(word: str, candidates: Iterable[str], n: int = 1, cutoff: float = 0.5) -> list[str]:
    """Return the candidates closest to ``word`` (for "did you mean" hints)."""
    return difflib.get_close_matches(str(word), [str(c) for c in candidates], n=n, cutoff=cutoff)


class CoopmetricsError(Exception):
    """Base class of every error raised by coopmetrics on purpose.

    Parameters
    ----------
    message_zh, message_en : str
        The same message in Chinese and in English.
    """

    def __init__(self, message_zh: str, message_en: str | None = None) -> None:
        self.message_zh = message_zh
        self.message_en = message_en if message_en is not None else message_zh
        super().__init__(self._render())

    def _render(self) -> str:
        if self.message_zh == self.message_en:
            return self.message_zh
        return f"{self.message_zh}\n{self.message_en}"

    def __str__(self) -> str:  # keep str() stable even if args are altered
        return self._render()


class InputError(CoopmetricsError, ValueError):
    """A problem with an input file or table that the user must fix.

    Carries the location as the user sees it: file, sheet, Excel row number
    (1-based, header rows included) and column header.
    """

    def __init__(
        self,
        message_zh: str,
        message_en: str | None = None,
        *,
        file: str | None = None,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
        hint_zh: str = "",
        hint_en: str = "",
    ) -> None:
        self.file, self.sheet, self.row, self.column, self.value = file, sheet, row, column, value
        self.hint_zh, self.hint_en = hint_zh, hint_en
        super().__init__(message_zh, message_en)

    def _where(self, zh: bool) -> str:
        parts = []
        labels = ("文件", "工作表", "行", "列", "值") if zh else ("file", "sheet", "row", "column", "value")
        for label, val in zip(labels, (self.file, self.sheet, self.row, self.column, self.value), strict=True):
            if val is not None:
                parts.append(f"{label} {val}")
        return f" [{', '.join(parts)}]" if parts else ""

    def _render(self) -> str:
        zh = f"{self.message_zh}{self._where(True)} {self.hint_zh}".rstrip()
        en = f"{self.message_en}{self._where(False)} {self.hint_en}".rstrip()
        return f"{zh}\n{en}"


class MissingColumnError(InputError):
    """A required column is absent; names what was found and the closest alias."""


class UnknownIndicatorError(CoopmetricsError, KeyError):
    """An indicator id that is not in the registry; suggests close ids."""

    def __init__(self, indicator_id: str, known: Iterable[str]) -> None:
        guess = closest(indicator_id, known)
        hint = f" (did you mean {guess[0]!r}?)" if guess else ""
        hint_zh = f"（是否想用 {guess[0]!r}？）" if guess else ""
        super().__init__(
            f"未知指标 {indicator_id!r}{hint_zh}；用 coopmetrics.indicators() 查看全部指标。",
            f"unknown indicator {indicator_id!r}{hint}; see coopmetrics.indicators() for all ids.",
        )


class InvalidOptionError(CoopmetricsError, ValueError):
    """An argument outside its allowed set of values."""


class RegistryError(CoopmetricsError):
    """The indicator registry is inconsistent (raised by registry validation)."""


class OutputError(CoopmetricsError, OSError):
    """An output file cannot be written; the previous file, if any, is left as it was."""


class OutputLockedError(OutputError, PermissionError):
    """The output file is open in another program (usually Excel)."""


def check_option(name: str, value: object, allowed: Iterable[object], func: str) -> None:
    """Raise :class:`InvalidOptionError` unless ``value`` is one of ``allowed``.

    Examples
    --------
    >>> check_option("ci_method", "wilson", ["wilson", "jeffreys"], "compute")
    >>> check_option("ci_method", "wilsn", ["wilson", "jeffreys"], "compute")
    Traceback (most recent call last):
    ...
    coopmetrics.errors.InvalidOptionError: compute() 的参数 'ci_method' 只能取 'wilson', 'jeffreys'，收到 'wilsn'（是否想用 'wilson'？）
    The 'ci_method' parameter of compute() must be one of 'wilson', 'jeffreys'. Got 'wilsn' instead (did you mean 'wilson'?).
    """
    allowed = list(allowed)
    if value in allowed:
        return
    listing = ", ".join(repr(a) for a in allowed)
    guess = closest(str(value), [str(a) for a in allowed])
    hint_en = f" (did you mean {guess[0]!r}?)" if guess else ""
    hint_zh = f"（是否想用 {guess[0]!r}？）" if guess else ""
    raise InvalidOptionError(
        f"{func}() 的参数 {name!r} 只能取 {listing}，收到 {value!r}{hint_zh}",
        f"The {name!r} parameter of {func}() must be one of {listing}. Got {value!r} instead{hint_en}.",
    )
