"""Errors of the messaging domain."""

from circo.errors import CircoError, NotFound


class MessagingError(CircoError):
    pass


class TemplateError(MessagingError):
    """The message text cannot be personalised (unknown variable, syntax error)."""


class MessageNotFound(NotFound):
    pass


class SendRefused(MessagingError):
    """A send the rules refuse (calendar, hours, paid advertising, state of the message)."""

    status = 423


class ProviderError(MessagingError):
    """The SMS provider refused or could not be reached; ``transient`` errors are retried,
    ``maybe_sent`` ones (the answer was lost) are never retried."""

    status = 502

    def __init__(self, message: str, *, transient: bool = False, maybe_sent: bool = False) -> None:
        super().__init__(message)
        self.transient = transient
        self.maybe_sent = maybe_sent


__all__ = [
    "MessageNotFound",
    "MessagingError",
    "ProviderError",
    "SendRefused",
    "TemplateError",
]
