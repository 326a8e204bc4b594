"""The web app's building blocks for domains: navigation entries and dashboard cards.

Each domain's routes module (``Domain.routes`` in the manifest, `circo.domains`) defines
``router`` (an APIRouter) and may define ``NAV_ITEMS`` (list of NavItem) and
``dashboard_cards(session, ctx) -> list[Card]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from circo.core.models import Role

# The menus of the navigation bar, in this order (a NavItem names its group; "" stands alone).
NAV_GROUPS = (
    "Territoire",
    "Terrain",
    "Contacts",
    "Communication",
    "Assistant",
    "Administration",
)


@dataclass(frozen=True)
class NavItem:
    label: str  # French; translated through the catalogues
    path: str  # relative to the campaign, e.g. "elections" → /c/{slug}/elections
    roles: tuple[Role, ...] = ()  # empty: every member; admin always sees everything
    order: int = 50
    group: str = ""  # one of NAV_GROUPS (a menu of the bar); "" → a link of its own

    def visible_to(self, role: Role) -> bool:
        return not self.roles or role is Role.admin or role in self.roles


@dataclass(frozen=True)
class NavGroup:
    """One entry of the bar: a menu of links, or a single link (``label`` empty)."""

    label: str
    items: tuple[NavItem, ...]


def grouped(items: list[NavItem]) -> list[NavGroup]:
    """The visible items as the bar shows them: ungrouped links first, then the menus in
    `NAV_GROUPS` order; a menu with one visible link becomes that link."""
    entries: list[NavGroup] = [NavGroup("", (item,)) for item in items if not item.group]
    for name in (*NAV_GROUPS, *sorted({i.group for i in items} - {"", *NAV_GROUPS})):
        members = tuple(item for item in items if item.group == name)
        if len(members) == 1:
            entries.append(NavGroup("", members))
        elif members:
            entries.append(NavGroup(name, members))
    return entries


@dataclass(frozen=True)
class Card:
    title: str
    value: str
    detail: str = ""
    href: str | None = None
    tags: list[str] = field(default_factory=list)


CORE_NAV = [
    NavItem("Tableau de bord", "", order=0),
    NavItem("Équipe et rôles", "users", roles=(Role.admin,), order=90, group="Administration"),
    NavItem("Travaux", "jobs", order=93, group="Administration"),
    NavItem("Journal d'audit", "audit", roles=(Role.admin,), order=95, group="Administration"),
    NavItem("Réglages", "settings", roles=(Role.admin,), order=97, group="Administration"),
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
