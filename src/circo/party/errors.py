"""Errors of the party domain."""

from circo.errors import CircoError, NotFound


class PartyError(CircoError):
    pass


class GroupNotFound(NotFound):
    pass


__all__ = ["GroupNotFound", "NotFound", "PartyError"]
