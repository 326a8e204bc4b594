"""Sending one message to one contact, outside a segment send: the steps of an automation.

The message is an ordinary `MessageCampaign` (shown with the others, same renderer, footer,
unsubscribe link and delivery log), created once per automation step (``status`` ``done``
between two contacts). `send_to_contact` decides the person's basis for the channel at that
moment (`circo.privacy` through `directory.verdicts`), writes one delivery row — unique per
(message, contact): a person never gets the same step twice — and queues the send job, which
checks the calendar and the person's consent again just before handing the message over.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.tenancy import CampaignContext
from circo.messaging import directory
from circo.messaging.models import Delivery, MessageCampaign
from circo.messaging.personalise import CompiledMessage
from circo.messaging.service.drafts import Draft, validate_draft
from circo.messaging.service.sending import enqueue_send

AUTOMATION_SEGMENT = "automatisation"


@dataclass(frozen=True)
class SingleSend:
    allowed: bool
    category: str  # ok, no_consent, opposed, already
    reason: str  # French
    basis: str | None = None
    delivery_id: int | None = None


def create_single_message(
    session: Session,
    ctx: CampaignContext,
    settings: Settings,
    *,
    channel: str,
    subject: str,
    body: str,
    key: str,
) -> MessageCampaign:
    """The message of an automation step (``key`` names the step: one message per step)."""
    draft = Draft(channel=channel, segment=AUTOMATION_SEGMENT, subject=subject, body=body)
    validate_draft(draft)
    CompiledMessage(subject=draft.subject, body=draft.body)
    message = MessageCampaign(
        campaign_id=ctx.campaign_id,
        channel=draft.channel,
        segment_name=AUTOMATION_SEGMENT,
        subject=draft.subject,
        body=draft.body,
        content_key=hashlib.sha256(f"single:{key}".encode()).hexdigest(),
        status="done",
        track=False,
        rate_per_second=settings.messaging_rate_per_second,
        created_by=ctx.actor.email,
    )
    session.add(message)
    session.flush()
    return message


def send_to_contact(
    session: Session,
    ctx: CampaignContext,
    *,
    message: MessageCampaign,
    contact_id: int,
    moment: datetime,
) -> SingleSend:
    """Queue ``message`` for one contact if the person may be contacted on its channel now."""
    existing = session.scalar(
        select(Delivery).where(Delivery.message_id == message.id, Delivery.contact_id == contact_id)
    )
    if existing is not None:
        return SingleSend(False, "already", "déjà envoyé à cette personne", None, existing.id)
    verdict = directory.verdicts(session, ctx, contact_ids=[contact_id], channel=message.channel)[
        contact_id
    ]
    if not verdict.allowed:
        return SingleSend(False, verdict.category, verdict.reason)
    delivery = Delivery(
        campaign_id=ctx.campaign_id,
        message_id=message.id,
        contact_id=contact_id,
        channel=message.channel,
        status="queued",
        basis=verdict.basis,
        proof={
            "consent_id": verdict.consent_id,
            "reason": verdict.reason,
            "decided_at": moment.isoformat(),
        },
        tracked=False,
        attempts=0,
        queued_at=moment,
    )
    session.add(delivery)
    if message.status in ("done", "draft"):
        message.status = "queued"
        message.started_at = message.started_at or moment
        message.finished_at = None
    session.flush()
    enqueue_send(session, ctx, message)
    return SingleSend(True, "ok", verdict.reason, verdict.basis, delivery.id)
