"""Navigation entries and dashboard cards of the organising domain."""

from __future__ import annotations

from sqlalchemy.orm import Session

from circo.core.models import Role
from circo.core.tenancy import CampaignContext
from circo.crm import contacts as contacts_service
from circo.crm import events as events_service
from circo.crm import volunteers as volunteers_service
from circo.crm.routes.common import STAFF, now
from circo.formatting import format_datetime
from circo.web.registry import Card, NavItem

NAV_ITEMS = [
    NavItem("Contacts", "contacts", roles=STAFF, order=30, group="Contacts"),
    NavItem("Segments", "segments", roles=(Role.data, Role.comms), order=31, group="Contacts"),
    NavItem("Événements", "events", roles=(Role.data, Role.organiser), order=32, group="Terrain"),
    NavItem(
        "Bénévoles", "volunteers", roles=(Role.data, Role.organiser), order=33, group="Terrain"
    ),
]


def dashboard_cards(session: Session, ctx: CampaignContext) -> list[Card]:
    from circo.privacy.scope import sees_contact_base

    if not sees_contact_base(ctx):
        return []
    slug = ctx.campaign.slug
    upcoming = [e for e in events_service.list_events(session, ctx) if e.starts_at >= now()]
    return [
        Card(
            "Contacts",
            str(contacts_service.count_contacts(session, ctx)),
            href=f"/c/{slug}/contacts",
        ),
        Card(
            "Événements à venir",
            str(len(upcoming)),
            detail=(
                f"{upcoming[0].title} — "
                + format_datetime(upcoming[0].starts_at, ctx.campaign.timezone, style="medium")
            )
            if upcoming
            else "",
            href=f"/c/{slug}/events",
        ),
        Card(
            "Bénévoles",
            str(len(volunteers_service.list_volunteers(session, ctx))),
            href=f"/c/{slug}/volunteers",
        ),
    ]
