"""Web pages of the organising domain: contacts, import wizard, duplicates, segments,
volunteers and teams, events (with public RSVP pages and phone check-in), electoral rolls.
One module per role; the JSON API is in `circo.crm.routes_api` (included here)."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter

from circo.crm.errors import ImportFileError
from circo.crm.routes import (
    contacts,
    duplicates,
    events,
    imports,
    rolls,
    rsvp,
    segments,
    volunteers,
)
from circo.crm.routes.dashboard import NAV_ITEMS, dashboard_cards
from circo.crm.routes_api import router as api_router
from circo.web.templating import add_template_dir

add_template_dir(str(resources.files("circo") / "crm" / "templates"))

__all__ = ["NAV_ITEMS", "ImportFileError", "dashboard_cards", "router"]

router = APIRouter()
router.include_router(api_router)
for _module in (contacts, imports, duplicates, segments, volunteers, events, rsvp, rolls):
    router.include_router(_module.pages)
