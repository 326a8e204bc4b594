"""Errors of the finance domain."""

from circo.errors import CircoError, NotFound


class FinanceError(CircoError):
    pass


class RuleRefused(CircoError):
    """A donation or an entry that would break a rule of the Code électoral: the message names
    the article, the running total and what is allowed; nothing is written."""

    status = 422


class AccountMissing(CircoError):
    status = 409


__all__ = ["AccountMissing", "FinanceError", "NotFound", "RuleRefused"]
