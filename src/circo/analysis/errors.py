"""Errors raised by :mod:`circo.analysis`.

`circo.analysis` is a pure library (numpy/scipy only), so its errors do not subclass
``circo.errors.CircoError``; they mirror its shape instead (``message``, ``loc``, ``status``,
``to_dict()``) so the CLI and the web layer can render them the same way.
"""

from __future__ import annotations


class AnalysisError(ValueError):
    """Base class of the errors of :mod:`circo.analysis` (a ``ValueError``)."""

    status: int = 400

    def __init__(self, message: str, *, loc: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc

    def __str__(self) -> str:
        return f"{self.loc}: {self.message}" if self.loc else self.message

    def to_dict(self) -> dict[str, object]:
        return {"error": type(self).__name__, "message": self.message, "loc": self.loc}


class EIInputError(AnalysisError):
    """Input counts given to an ecological-inference estimator are unusable.

    The message says what was received, what was expected (with an example) and where: the
    offending unit (index and name) and column (name), also kept in ``unit`` and ``column``.
    """

    def __init__(
        self,
        message: str,
        *,
        unit: int | None = None,
        unit_name: str | None = None,
        column: str | None = None,
    ) -> None:
        parts = []
        if unit is not None:
            parts.append(f"unit {unit}" + (f" ({unit_name!r})" if unit_name is not None else ""))
        if column is not None:
            parts.append(f"column {column!r}")
        super().__init__(message, loc=", ".join(parts) or None)
        self.unit = unit
        self.unit_name = unit_name
        self.column = column


class NotFittedError(AnalysisError):
    """A fitted attribute or method was used before ``fit``."""
