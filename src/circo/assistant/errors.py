"""Errors of the assistant domain (French messages naming the document or endpoint)."""

from __future__ import annotations

from circo.errors import CircoError, NotFound


class AssistantError(CircoError):
    """Base of the assistant's user-fixable errors."""


class DocumentError(AssistantError):
    """A document cannot be read: unsupported type, encrypted or unreadable file, empty text."""

    status = 422


class FetchError(AssistantError):
    """A URL or a feed cannot be fetched."""

    status = 502


class LLMError(AssistantError):
    """The language-model endpoint is down, slow or answers something unusable."""

    status = 502


class LLMUnusable(LLMError):
    """The model answered, but not the JSON asked for (prose, truncated or malformed JSON).

    The tasks catch it and fall back to the offline assembly of cited passages, with a warning:
    a small model's prose is never an error page."""


class LLMRequired(AssistantError):
    """The task needs a language model and none is configured."""

    status = 409


class DocumentNotFound(NotFound):
    pass


class DraftNotFound(NotFound):
    """No studio draft with this id in the campaign."""


class RiposteNotFound(NotFound):
    """No riposte with this id in the campaign (or not approved, for a volunteer)."""


__all__ = [
    "AssistantError",
    "DocumentError",
    "DocumentNotFound",
    "DraftNotFound",
    "FetchError",
    "LLMError",
    "LLMRequired",
    "LLMUnusable",
    "RiposteNotFound",
]
