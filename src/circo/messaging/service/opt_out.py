"""Opt-out: unsubscribe links and commands, SMS STOP, pending deliveries cancelled."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext, campaign_filter
from circo.db import utcnow
from circo.messaging import directory
from circo.messaging.errors import MessageNotFound
from circo.messaging.models import Delivery
from circo.messaging.service.constants import ACTIVE


def cancel_pending_for(
    session: Session, ctx: CampaignContext, *, contact_ids: list[int], channel: str, reason: str
) -> int:
    """Stop every queued or held delivery of these contacts on ``channel`` at once."""
    if not contact_ids:
        return 0
    result = session.execute(
        update(Delivery)
        .where(
            campaign_filter(Delivery, ctx),
            Delivery.contact_id.in_(contact_ids),
            Delivery.channel == channel,
            Delivery.status.in_(ACTIVE),
        )
        .values(status="cancelled", reason=reason)
    )
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def unsubscribe_contact(
    session: Session,
    ctx: CampaignContext,
    *,
    contact_id: int,
    channel: str,
    source: str,
    message_id: int | None = None,
) -> int:
    """Withdraw the consent of ``channel`` (privacy) and stop the pending deliveries."""
    directory.withdraw_consent(
        session,
        ctx,
        contact_id=contact_id,
        channel=channel,
        source=source,
        proof={"message_id": message_id, "via": source, "at": utcnow().isoformat()},
    )
    return cancel_pending_for(
        session, ctx, contact_ids=[contact_id], channel=channel, reason=f"désinscription ({source})"
    )


def unsubscribe_email(session: Session, ctx: CampaignContext, *, email: str, source: str) -> int:
    """`circo messages unsubscribe --email E`: the same effect as the link, for every contact
    with this address. Returns how many contacts were unsubscribed."""
    ids = directory.contact_ids_by_email(session, ctx, email)
    if not ids:
        raise MessageNotFound(f"aucun contact avec l'adresse « {email} »", loc="--email")
    for contact_id in ids:
        unsubscribe_contact(session, ctx, contact_id=contact_id, channel="email", source=source)
    return len(ids)


STOP_WORDS = ("stop", "arret", "arrêt", "stop sms", "desabonner", "désabonner", "unsubscribe")


def is_stop(text: str) -> bool:
    words = " ".join(text.strip().lower().split())
    return any(words == word or words.startswith(word + " ") for word in STOP_WORDS)


def handle_inbound_sms(
    session: Session, ctx: CampaignContext, *, phone: str, text: str, source: str
) -> int:
    """An SMS received: "STOP" records an opposition to SMS for every contact with this number
    and cancels their pending SMS. Returns how many contacts were opposed."""
    if not is_stop(text):
        return 0
    ids = directory.contact_ids_by_phone(session, ctx, phone)
    for contact_id in ids:
        directory.oppose(session, ctx, contact_id=contact_id, channel="sms", source=source)
    cancel_pending_for(session, ctx, contact_ids=ids, channel="sms", reason=f"STOP ({source})")
    return len(ids)
