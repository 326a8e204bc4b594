"""Interface language: French first, English available.

Messages are written in French in the code and templates (the source language); English
translations live in gettext catalogues ``circo/locales/en/*.po`` (one file per domain, merged at
load time). A message without a translation shows in French.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"


@cache
def catalogue(language: str) -> dict[str, str]:
    """msgid → translation for ``language`` (empty for French, the source language)."""
    if language == DEFAULT_LANGUAGE:
        return {}
    # imported here: babel's catalogue reader costs ≈ 65 ms at import, and most command-line
    # calls never translate a message
    from babel.messages.pofile import read_po

    folder = resources.files("circo") / "locales" / language
    messages: dict[str, str] = {}
    if not folder.is_dir():
        return messages
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if not entry.name.endswith(".po"):
            continue
        with entry.open("rb") as handle:
            for message in read_po(handle, locale=language):
                if message.id and message.string and isinstance(message.id, str):
                    messages[message.id] = str(message.string)
    return messages


def translate(language: str, message: str, **values: object) -> str:
    text = catalogue(language).get(message, message) if language in LANGUAGES else message
    return text.format(**values) if values else text


def pick_language(*candidates: str | None) -> str:
    for candidate in candidates:
        if candidate:
            code = candidate.split(",")[0].split("-")[0].strip().lower()
            if code in LANGUAGES:
                return code
    return DEFAULT_LANGUAGE
