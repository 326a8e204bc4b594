"""Extension points of the territory sheet, filled by later domains.

* ``priority_stations`` — the targeting module registers a provider returning the bureaux where
  door-to-door pays off (`SheetSection` rows: bureau, score, reason).
* ``local_news`` — the assistant registers a provider returning recent local news items.

A provider is ``(session, ctx, territory_key) -> SheetSection | None``; ``ctx`` is the campaign
context (None when the sheet is built outside a campaign). Register at import time of the domain
module: ``register_sheet_section("priority_stations", my_provider)``.
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
        "Disponible quand le module de ciblage est installé.",
    ),
    "local_news": ("Actualités locales", "Disponible quand l'assistant est configuré."),
}


@dataclass
class SheetSection:
    """A block of the sheet: a title, optional columns + rows, optional paragraphs."""

    title: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)


Provider = Callable[[Session, CampaignContext | None, str], SheetSection | None]
_providers: dict[str, list[Provider]] = {name: [] for name in SECTIONS}


def register_sheet_section(name: str, provider: Provider) -> None:
    if name not in _providers:
        raise ValueError(f"section inconnue « {name} » ; attendu " + ", ".join(SECTIONS))
    if provider not in _providers[name]:
        _providers[name].append(provider)


def sections_for(
    session: Session, ctx: CampaignContext | None, territory_key: str
) -> list[SheetSection]:
    """Every registered section, or a placeholder saying which module will fill it."""
    found: list[SheetSection] = []
    for name in SECTIONS:
        produced = [
            section
            for provider in _providers[name]
            if (section := provider(session, ctx, territory_key)) is not None
        ]
        if produced:
            found.extend(produced)
        else:
            title, text = PLACEHOLDERS[name]
            found.append(SheetSection(title=title, paragraphs=[text]))
    return found
