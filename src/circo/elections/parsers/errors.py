"""Errors and warnings raised by the file parsers.

`ParseError` stays a plain `ValueError` here so the parsers depend on nothing in circo; the
service layer maps it onto the project's `CircoError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from pathlib import Path


def display_name(file: str | PathLike[str] | None) -> str:
    """The file name shown in messages (base name only: no local directory leaks)."""
    if file is None:
        return "<flux>"
    return Path(file).name or str(file)


class ParseError(ValueError):
    """A malformed input file: says where (file, line, column), what was received and expected.

    ``str(error)`` is a complete French sentence, e.g.
    ``fichier resultats.csv, ligne 12, colonne « Votants » : nombre invalide « 12a »
    (attendu un entier, ex. 1234)``.
    """

    def __init__(
        self,
        file: str | PathLike[str] | None,
        line: int | None,
        column: str | None,
        message: str,
    ) -> None:
        self.file = display_name(file)
        self.line = line
        self.column = column
        self.message = message
        super().__init__(self._render())

    def _render(self) -> str:
        where = [f"fichier {self.file}"]
        if self.line is not None:
            where.append(f"ligne {self.line}")
        if self.column is not None:
            where.append(f"colonne « {self.column} »")
        return f"{', '.join(where)} : {self.message}"

    @property
    def loc(self) -> str:
        """``file:line:column`` location, for the CLI / API error shape."""
        parts = [self.file]
        if self.line is not None:
            parts.append(str(self.line))
        if self.column is not None:
            parts.append(self.column)
        return ":".join(parts)


@dataclass(frozen=True, slots=True)
class ParseWarning:
    """A consistency problem that does not stop the import (reported with its line)."""

    line: int | None
    message: str

    def __str__(self) -> str:
        return f"ligne {self.line} : {self.message}" if self.line is not None else self.message


class WarningLog:
    """Collects `ParseWarning`s, keeping at most ``limit`` of them but counting all."""

    def __init__(self, limit: int = 10_000) -> None:
        self.items: list[ParseWarning] = []
        self.count = 0
        self.limit = limit
        self.lines = 0  # distinct lines with at least one warning (warnings of a line follow)
        self._last_line: int | None = None

    def add(self, line: int | None, message: str) -> None:
        self.count += 1
        if line is None or line != self._last_line:
            self.lines += 1
            self._last_line = line
        if len(self.items) < self.limit:
            self.items.append(ParseWarning(line, message))
