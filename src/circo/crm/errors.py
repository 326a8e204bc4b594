"""Errors of the organising domain."""

from circo.errors import CircoError, FieldValueError, NotFound, PermissionDenied


class CrmError(CircoError):
    pass


class ContactFieldError(FieldValueError, CrmError):
    """A contact field with an invalid value (``field``, ``reason``)."""


class ContactNotFound(NotFound):
    pass


class ImportFileError(CircoError):
    """The file cannot be read or its columns cannot be mapped: nothing was imported."""


class RollUseRefused(PermissionDenied):
    """A use of the electoral roll the law forbids (selection by name, export, other purpose)."""


__all__ = [
    "ContactFieldError",
    "ContactNotFound",
    "CrmError",
    "FieldValueError",
    "ImportFileError",
    "NotFound",
    "PermissionDenied",
    "RollUseRefused",
]
