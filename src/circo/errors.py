"""The one error base of circo.

A `CircoError` renders as JSON for the API, as a French message on a page, and as one clear line
with exit code 2 in the CLI (traceback only with ``--debug``).
"""

from __future__ import annotations


class CircoError(Exception):
    """An error the user can fix: says what was received, what was expected, and where."""

    status: int = 400

    def __init__(self, message: str, *, status: int | None = None, loc: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.loc = loc

    def __str__(self) -> str:
        return f"{self.loc} : {self.message}" if self.loc else self.message

    def to_dict(self) -> dict[str, object]:
        return {"error": type(self).__name__, "message": self.message, "loc": self.loc}


class FieldValueError(CircoError):
    """One named field holds an invalid value: ``field`` says where (it is also ``loc``),
    ``reason`` what was received and what was expected. Code that needs the field catches this
    type and reads the attributes — never a ``"field: reason"`` string parsed back."""

    def __init__(self, field: str, reason: str, *, status: int | None = None) -> None:
        super().__init__(reason, status=status, loc=field)
        self.field = field
        self.reason = reason


class NotFound(CircoError):
    status = 404


class PermissionDenied(CircoError):
    status = 403


class ConfigError(CircoError):
    """A setting is wrong (database URL, data dir, port…)."""

    status = 500


class TooManyRequests(CircoError):
    status = 429
