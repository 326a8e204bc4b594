"""Errors of the automations domain."""

from circo.errors import CircoError, NotFound


class AutomationError(CircoError):
    pass


__all__ = ["AutomationError", "NotFound"]
