"""Errors of the field domain."""

from __future__ import annotations

from circo.errors import CircoError, NotFound, PermissionDenied


class FieldError(CircoError):
    pass


class TurfFileError(FieldError):
    """A bad addresses file for turf cutting (wraps `circo.field.turfs.plan.TurfInputError`)."""


class TurfNotFound(NotFound):
    pass


class AssignmentNotFound(NotFound):
    pass


class VisitRejected(FieldError):
    status = 422


class SourceUnavailable(FieldError):
    """The addresses of the bureaux cannot be read (no REU import, or no contacts with points)."""

    status = 409


__all__ = [
    "AssignmentNotFound",
    "FieldError",
    "NotFound",
    "PermissionDenied",
    "SourceUnavailable",
    "TurfFileError",
    "TurfNotFound",
    "VisitRejected",
]
