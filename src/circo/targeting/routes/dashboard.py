"""Navigation entries and the dashboard card of targeting."""

from __future__ import annotations

from sqlalchemy.orm import Session

from circo.core.models import Role
from circo.core.tenancy import CampaignContext
from circo.elections.service import list_elections
from circo.errors import CircoError
from circo.targeting.preferences import load_choice
from circo.targeting.routes.common import FITTERS, READERS, ranking_report
from circo.web.registry import Card, NavItem

NAV_ITEMS = [
    NavItem("Ciblage", "targeting", roles=READERS, order=22, group="Territoire"),
    NavItem("Reports de voix", "targeting/transfers", roles=FITTERS, order=23, group="Territoire"),
]


def dashboard_cards(session: Session, ctx: CampaignContext) -> list[Card]:
    if ctx.role is not Role.admin and ctx.role not in READERS:
        return []
    href = f"/c/{ctx.campaign.slug}/targeting"
    choice = load_choice(ctx)
    if choice is None:
        if not list_elections(session):
            return []
        return [Card("Ciblage", "—", "choisissez une élection et un candidat", href)]
    try:
        rows = ranking_report(session, choice).rows()[:3]
    except CircoError as exc:
        return [Card("Ciblage", "—", str(exc), href)]
    top = ", ".join(row["station"] for row in rows)
    return [
        Card("Ciblage", rows[0]["station"] if rows else "—", f"{choice.candidate} : {top}", href)
    ]
