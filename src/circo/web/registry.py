"""The web app's building blocks for domains: navigation entries and dashboard cards.

Each domain's routes module (``Domain.routes`` in the manifest, `circo.domains`) defines
``router`` (an APIRouter) and may define ``NAV_ITEMS`` (list of NavItem) and
``dashboard_cards(session, ctx) -> list[Card]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from circo.core.models import Role


@dataclass(frozen=True)
class NavItem:
    label: str  # French; translated through the catalogues
    path: str  # relative to the campaign, e.g. "elections" → /c/{slug}/elections
    roles: tuple[Role, ...] = ()  # empty: every member; admin always sees everything
    order: int = 50

    def visible_to(self, role: Role) -> bool:
        return not self.roles or role is Role.admin or role in self.roles


@dataclass(frozen=True)
class Card:
    title: str
    value: str
    detail: str = ""
    href: str | None = None
    tags: list[str] = field(default_factory=list)


CORE_NAV = [
    NavItem("Tableau de bord", "", order=0),
    NavItem("Équipe et rôles", "users", roles=(Role.admin,), order=90),
    NavItem("Travaux", "jobs", order=93),
    NavItem("Journal d'audit", "audit", roles=(Role.admin,), order=95),
]


def route_paths(routes: list[Any]) -> set[str]:
    """Every route path of an app, looking inside included routers (FastAPI may nest them)."""
    paths: set[str] = set()
    for route in routes:
        if hasattr(route, "original_router"):
            paths |= route_paths(route.original_router.routes)
        elif hasattr(route, "path"):
            paths.add(route.path)
    return paths
