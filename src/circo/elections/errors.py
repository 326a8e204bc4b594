"""Errors of the elections domain (French messages: received, expected with an example, where)."""

from __future__ import annotations

from circo.errors import CircoError, NotFound


class ElectionsError(CircoError):
    """Base of the elections domain's user errors."""


class InvalidTerritory(ElectionsError):
    """A territory key the user typed cannot be understood."""


class InvalidElection(ElectionsError):
    """An election identifier or round that cannot be understood."""


class ElectionNotFound(NotFound):
    """The election round has not been imported."""


class TerritoryNotFound(NotFound):
    """No result or contour for that territory."""


class ImportFailed(ElectionsError):
    """A file could not be imported; nothing was changed."""
