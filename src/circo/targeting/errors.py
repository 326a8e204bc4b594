"""Errors of the targeting domain."""

from circo.errors import CircoError


class EIFileError(CircoError):
    """A count file for ``circo ei fit`` is malformed (names the file, line and column)."""
