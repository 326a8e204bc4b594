"""Errors of the reach domain."""

from circo.errors import CircoError, NotFound, PermissionDenied
from circo.privacy.errors import CalendarBlocked


class ReachError(CircoError):
    pass


__all__ = ["CalendarBlocked", "NotFound", "PermissionDenied", "ReachError"]
