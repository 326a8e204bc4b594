"""Errors of the election-day domain."""

from circo.errors import CircoError


class NightError(CircoError):
    """A results-night request that cannot be served (bad option, nothing to project…)."""


class PvRefused(CircoError):
    """A procès-verbal whose arithmetic does not hold: the message names the bureau, the line
    and the figures at fault; nothing of the batch is written."""

    status = 422


class PvConflict(CircoError):
    """A bureau entered again with different figures: both versions are named."""

    status = 409


__all__ = ["NightError", "PvConflict", "PvRefused"]
