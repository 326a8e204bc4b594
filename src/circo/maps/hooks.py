"""Sections of the territory sheet provided by other domains, declared in the manifest
(`circo.domains`, ``Domain.sheet_sections``).

* ``priority_stations`` — targeting: the bureaux where door-to-door pays off (`SheetSection`
  rows: bureau, score, reason).
* ``local_news`` — assistant: recent local news items of the knowledge base.

A provider is ``(session, ctx, territory_key) -> SheetSection | None``; ``ctx`` is the campaign
context (None when the sheet is built outside a campaign).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext

SECTIONS = ("priority_stations", "local_news")
PLACEHOLDERS = {
    "priority_stations": (
        "Bureaux prioritaires",
        "Aucun classement des bureaux pour ce territoire : il se calcule dans Ciblage.",
    ),
    "local_news": ("Actualités locales", "Aucune actualité locale dans la base documentaire."),
}


@dataclass
class SheetSection:
    """A block of the sheet: a title, optional columns + rows, optional paragraphs."""

    title: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)


Provider = Callable[[Session, CampaignContext | None, str], SheetSection | None]


def sections_for(
    session: Session, ctx: CampaignContext | None, territory_key: str
) -> list[SheetSection]:
    """Every registered section, or a placeholder saying which module will fill it."""
    from circo.domains import registry

    providers = registry().sheet_sections
    found: list[SheetSection] = []
    for name in SECTIONS:
        produced = [
            section
            for provider in providers.get(name, ())
            if (section := provider(session, ctx, territory_key)) is not None
        ]
        if produced:
            found.extend(produced)
        else:
            title, text = PLACEHOLDERS[name]
            found.append(SheetSection(title=title, paragraphs=[text]))
    return found
