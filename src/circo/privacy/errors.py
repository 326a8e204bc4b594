"""Errors of the privacy domain."""

from circo.errors import CircoError, NotFound, PermissionDenied


class PrivacyError(CircoError):
    pass


class CalendarBlocked(CircoError):
    """An outbound communication or a paid-advertising feature inside a legal blackout."""

    status = 423


class ConsentRequired(CircoError):
    status = 409


class RightsRequestNotFound(NotFound):
    pass


__all__ = [
    "CalendarBlocked",
    "ConsentRequired",
    "NotFound",
    "PermissionDenied",
    "PrivacyError",
    "RightsRequestNotFound",
]
