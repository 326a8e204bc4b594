"""A contact's timeline: one `Interaction` per visit, message, event, import, edit, merge…

Other domains (field, messaging) call `add_interaction` to write to it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext, campaign_filter
from circo.crm.models import Contact, Interaction
from circo.db import utcnow

INTERACTION_KINDS = (
    "import",
    "edit",
    "visit",
    "message",
    "event",
    "note",
    "merge",
    "consent",
    "opposition",
    "rights",
)


def add_interaction(
    session: Session,
    ctx: CampaignContext,
    *,
    contact_id: int,
    kind: str,
    summary: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Interaction:
    """Append a line to the contact's timeline and bump its last activity."""
    moment = at or utcnow()
    interaction = Interaction(
        campaign_id=ctx.campaign_id,
        contact_id=contact_id,
        kind=kind,
        summary=summary,
        data=data or {},
        actor=ctx.actor.email,
        at=moment,
    )
    session.add(interaction)
    session.execute(
        update(Contact)
        .where(Contact.id == contact_id, campaign_filter(Contact, ctx))
        .values(last_activity_at=moment)
    )
    session.flush()
    return interaction


def timeline(session: Session, ctx: CampaignContext, *, contact_id: int) -> list[Interaction]:
    """The contact's interactions, newest first."""
    query = ctx.scoped(select(Interaction), Interaction).where(Interaction.contact_id == contact_id)
    return list(session.scalars(query.order_by(Interaction.at.desc(), Interaction.id.desc())))
