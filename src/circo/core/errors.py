"""Errors of the core domain."""

from circo.errors import CircoError, NotFound, PermissionDenied, TooManyRequests


class CampaignNotFound(NotFound):
    pass


class AuthError(CircoError):
    status = 401


class RoleError(CircoError):
    pass


__all__ = [
    "AuthError",
    "CampaignNotFound",
    "CircoError",
    "NotFound",
    "PermissionDenied",
    "RoleError",
    "TooManyRequests",
]
