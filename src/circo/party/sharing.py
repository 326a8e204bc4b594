"""A person's consent to be seen by a parent node, and what that parent then sees.

Personal data stay in the campaign that collected them. A contact appears at a parent node
(a federation, the national level) only while the latest `ShareConsent` of that contact with
that node is ``granted``; the ledger keeps every grant and withdrawal with its proof.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.core.models import Campaign
from circo.core.tenancy import CampaignContext
from circo.crm.models import Contact
from circo.party.errors import PartyError
from circo.party.models import PartyGroup, ShareConsent, SharedItem, ShareStatus
from circo.party.tree import ancestor_ids, find_group, group_of_campaign, subtree


def record_share(
    session: Session,
    ctx: CampaignContext,
    *,
    contact_id: int,
    group: str,
    status: str,
    source: str,
    proof: dict[str, Any] | None = None,
) -> ShareConsent:
    """Append a grant or a withdrawal of sharing ``contact_id`` with the ancestor ``group``."""
    try:
        share_status = ShareStatus(status)
    except ValueError:
        raise PartyError(
            f"statut inconnu « {status} » (attendu : granted, withdrawn)", loc="statut"
        ) from None
    contact = session.scalar(ctx.scoped(select(Contact), Contact).where(Contact.id == contact_id))
    if contact is None:
        raise PartyError(f"contact {contact_id} inconnu", loc="contact", status=404)
    node = group_of_campaign(session, ctx.campaign_id)
    target = find_group(session, group)
    if node is None or target.id == node.id or target.id not in ancestor_ids(node):
        raise PartyError(
            f"le groupe « {group} » n'est pas au-dessus de cette campagne dans le mouvement",
            loc="groupe",
        )
    record = ShareConsent(
        campaign_id=ctx.campaign_id,
        contact_id=contact.id,
        group_id=target.id,
        status=share_status,
        source=source.strip()[:200] or "non précisée",
        proof=proof or {},
        actor=ctx.actor.email,
    )
    session.add(record)
    session.flush()
    return record


@dataclass(frozen=True)
class SharedPerson:
    contact_id: int
    first_name: str
    last_name: str
    email: str | None
    campaign_name: str
    consented_at: datetime


def shared_people(session: Session, group: PartyGroup) -> list[SharedPerson]:
    """The people of ``group``'s subtree whose latest sharing decision with ``group`` is a
    grant. Nobody else of the subtree is ever read here."""
    campaign_ids = [n.campaign_id for n in subtree(session, group) if n.campaign_id is not None]
    if not campaign_ids:
        return []
    latest = (
        select(func.max(ShareConsent.id))
        .where(ShareConsent.group_id == group.id, ShareConsent.campaign_id.in_(campaign_ids))
        .group_by(ShareConsent.contact_id)
        .scalar_subquery()
    )
    rows = session.execute(
        select(ShareConsent, Contact, Campaign.name)
        .join(Contact, Contact.id == ShareConsent.contact_id)
        .join(Campaign, Campaign.id == ShareConsent.campaign_id)
        .where(ShareConsent.id.in_(latest), ShareConsent.status == ShareStatus.granted)
        .order_by(Contact.last_name, Contact.first_name, Contact.id)
    )
    return [
        SharedPerson(
            contact_id=contact.id,
            first_name=contact.first_name,
            last_name=contact.last_name,
            email=contact.email,
            campaign_name=campaign_name,
            consented_at=record.recorded_at,
        )
        for record, contact, campaign_name in rows
    ]


def propagate_opposition(session: Session, ctx: CampaignContext, *, contact_id: int) -> int:
    """A person who objects to the movement is honoured by every campaign of its tree: their
    email and phone join each other campaign's suppression list (keyed hashes, never the
    values: no personal data leaves the campaign), so no campaign of the tree writes to them or
    imports them again. Returns how many campaigns were told."""
    from circo.core.models import Campaign
    from circo.core.tenancy import system_context
    from circo.privacy.consent import suppress

    node = group_of_campaign(session, ctx.campaign_id)
    contact = session.scalar(ctx.scoped(select(Contact), Contact).where(Contact.id == contact_id))
    if node is None or contact is None or not (contact.email or contact.phone):
        return 0
    root = ancestor_ids(node)[0]
    others = session.scalars(
        select(Campaign)
        .join(PartyGroup, PartyGroup.campaign_id == Campaign.id)
        .where(PartyGroup.path.startswith(f"/{root}/"), Campaign.id != ctx.campaign_id)
    )
    told = 0
    for campaign in others:
        other = system_context(campaign)
        for kind, value in (("email", contact.email), ("phone", contact.phone)):
            if value:
                suppress(session, other, kind=kind, value=value, reason="opposition")
        told += 1
    return told


def _nodes_above(session: Session, campaign_id: int) -> list[int]:
    """Ids of the nodes above the node that runs ``campaign_id`` (empty outside a tree or at
    its top): where what is shared down to the campaign comes from."""
    node = group_of_campaign(session, campaign_id)
    if node is None:
        return []
    return [group_id for group_id in ancestor_ids(node) if group_id != node.id]


def shared_campaign_ids(session: Session, campaign_id: int) -> list[int]:
    """The campaigns whose shared content ``campaign_id`` reads, nearest first: those run by
    the nodes above its node (a federation's, the national level's). Their knowledge base,
    programme points and questionnaire are shown to the campaign as "national", read-only —
    shared down, never up: a parent's list never holds a child, a sibling never another
    sibling. Empty for a campaign outside any tree."""
    above = _nodes_above(session, campaign_id)
    if not above:
        return []
    rows = session.execute(
        select(PartyGroup.depth, PartyGroup.campaign_id).where(
            PartyGroup.id.in_(above), PartyGroup.campaign_id.is_not(None)
        )
    ).all()
    return [int(cid) for _depth, cid in sorted(rows, key=lambda row: -row[0]) if cid is not None]


def shared_texts(
    session: Session, campaign_id: int, kinds: tuple[str, ...]
) -> list[tuple[str, SharedItem]]:
    """The texts the nodes above the node of ``campaign_id`` published down (message
    templates, studio templates, training courses: ``kinds``), with the publishing node's name,
    nearest first. Read-only where they are read: only the publishing node edits them (the
    movement page). Empty for a campaign outside any tree or at its top."""
    above = _nodes_above(session, campaign_id)
    if not above:
        return []
    rows = session.execute(
        select(PartyGroup.name, SharedItem)
        .join(PartyGroup, PartyGroup.id == SharedItem.group_id)
        .where(SharedItem.group_id.in_(above), SharedItem.kind.in_(kinds))
        .order_by(PartyGroup.depth.desc(), SharedItem.title, SharedItem.id)
    )
    return [(name, item) for name, item in rows]
