"""Preparing a send: recipients decided, delivery rows written, the send job queued."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core import jobs
from circo.core.audit import record as audit_record
from circo.core.tenancy import CampaignContext
from circo.db import utcnow
from circo.messaging import directory
from circo.messaging.errors import MessageNotFound, MessagingError
from circo.messaging.models import Delivery, MessageCampaign
from circo.messaging.personalise import CompiledMessage
from circo.messaging.service.calendar_rules import require_sending_allowed
from circo.messaging.service.constants import AB_JOB, ACTIVE, SEND_JOB
from circo.messaging.service.drafts import Draft, content_key, point_of, uses_point, validate_draft


@dataclass
class Audience:
    """Who a draft reaches: the segment's members sorted by the privacy decision."""

    member_ids: list[int]
    allowed: dict[int, directory.Verdict]
    no_consent: dict[int, directory.Verdict]
    opposed: dict[int, directory.Verdict]


def audience(session: Session, ctx: CampaignContext, *, segment: str, channel: str) -> Audience:
    ids = directory.segment_member_ids(session, ctx, segment)
    verdicts = directory.verdicts(session, ctx, contact_ids=ids, channel=channel)
    result = Audience(ids, {}, {}, {})
    for contact_id in ids:
        verdict = verdicts[contact_id]
        bucket = {"ok": result.allowed, "opposed": result.opposed}.get(
            verdict.category, result.no_consent
        )
        bucket[contact_id] = verdict
    return result


def find_message(session: Session, ctx: CampaignContext, draft: Draft) -> MessageCampaign | None:
    return session.scalar(
        ctx.scoped(select(MessageCampaign), MessageCampaign).where(
            MessageCampaign.content_key == content_key(draft)
        )
    )


def get_message(session: Session, ctx: CampaignContext, message_id: int) -> MessageCampaign:
    message = session.scalar(
        ctx.scoped(select(MessageCampaign), MessageCampaign).where(MessageCampaign.id == message_id)
    )
    if message is None:
        raise MessageNotFound(f"message {message_id} introuvable", loc="message")
    return message


def list_messages(session: Session, ctx: CampaignContext) -> list[MessageCampaign]:
    query = ctx.scoped(select(MessageCampaign), MessageCampaign)
    return list(session.scalars(query.order_by(MessageCampaign.id.desc())))


def start_send(
    session: Session,
    ctx: CampaignContext,
    settings: Settings,
    *,
    draft: Draft,
    now: datetime | None = None,
) -> MessageCampaign:
    """Create the message, decide every recipient (delivery rows with the basis used) and queue
    the send job. The same draft sent again resumes the same message: nobody gets it twice."""
    validate_draft(draft)
    moment = now or utcnow()
    require_sending_allowed(ctx, draft.channel, moment)
    existing = find_message(session, ctx, draft)
    if existing is not None:
        resume(session, ctx, message=existing)
        return existing
    point = point_of(session, ctx, draft)
    if point is None and uses_point(draft):
        raise MessagingError(
            f"le message utilise {{{{ point }}}} mais aucun point du programme n'est donné au "
            f"segment « {draft.segment} » dans la matrice",
            loc="point",
        )
    CompiledMessage(subject=draft.subject, body=draft.body)
    message = _create_message(session, ctx, settings, draft, point)
    who = audience(session, ctx, segment=draft.segment, channel=draft.channel)
    _insert_deliveries(session, ctx, message, who, moment)
    message.summary = {"recipients": len(who.member_ids), "rounds": 0}
    message.status = "testing" if message.subject_variants else "queued"
    message.started_at = moment
    session.flush()
    audit_record(
        session,
        actor=ctx.actor,
        action="messaging.send",
        campaign_id=ctx.campaign_id,
        target_type="message",
        target_id=message.id,
        details={
            "channel": message.channel,
            "segment": message.segment_name,
            "recipients": len(who.allowed),
        },
    )
    enqueue_send(session, ctx, message)
    if message.subject_variants:
        jobs.enqueue(
            session,
            kind=AB_JOB,
            payload={"message_id": message.id},
            campaign_id=ctx.campaign_id,
            idempotency_key=f"{AB_JOB}:{message.id}",
            delay_seconds=draft.ab_wait_minutes * 60,
        )
    return message


def _create_message(
    session: Session,
    ctx: CampaignContext,
    settings: Settings,
    draft: Draft,
    point: Any,
) -> MessageCampaign:
    message = MessageCampaign(
        campaign_id=ctx.campaign_id,
        channel=draft.channel,
        segment_name=" ".join(draft.segment.split()),
        point_id=point.id if point is not None else None,
        subject=draft.subject,
        body=draft.body,
        content_key=content_key(draft),
        status="draft",
        track=draft.track and draft.channel == "email",
        rate_per_second=(
            settings.messaging_rate_per_second
            if draft.rate_per_second is None
            else draft.rate_per_second
        ),
        subject_variants=list(draft.subject_variants or []),
        ab_sample_fraction=draft.ab_sample_fraction if draft.subject_variants else 0.0,
        ab_metric=draft.ab_metric,
        ab_fallback_variant=draft.ab_fallback_variant,
        created_by=ctx.actor.email,
    )
    session.add(message)
    session.flush()
    return message


def _insert_deliveries(
    session: Session,
    ctx: CampaignContext,
    message: MessageCampaign,
    who: Audience,
    moment: datetime,
) -> None:
    variants = _ab_assignments(message, sorted(who.allowed))
    rows: list[dict[str, Any]] = []
    for contact_id in who.member_ids:
        verdict = (
            who.allowed.get(contact_id) or who.opposed.get(contact_id) or who.no_consent[contact_id]
        )
        if verdict.allowed:
            variant = variants.get(contact_id)
            status = "held" if message.subject_variants and variant is None else "queued"
        else:
            variant = None
            status = "skipped_opposed" if verdict.category == "opposed" else "skipped_no_consent"
        rows.append(
            {
                "campaign_id": ctx.campaign_id,
                "message_id": message.id,
                "contact_id": contact_id,
                "channel": message.channel,
                "status": status,
                "variant": variant,
                "reason": None if verdict.allowed else verdict.reason,
                "basis": verdict.basis,
                "proof": {
                    "consent_id": verdict.consent_id,
                    "reason": verdict.reason,
                    "decided_at": moment.isoformat(),
                },
                "tracked": bool(message.track and verdict.basis == "consent"),
                "attempts": 0,
                "queued_at": moment,
            }
        )
    for start in range(0, len(rows), 2000):
        session.execute(insert(Delivery), rows[start : start + 2000])
    session.flush()


def _ab_assignments(message: MessageCampaign, allowed_ids: list[int]) -> dict[int, int]:
    """The A/B sample (seeded by the message id): contact id → subject variant."""
    variants = message.subject_variants
    if not variants or not allowed_ids:
        return {}
    size = max(len(variants), round(len(allowed_ids) * message.ab_sample_fraction))
    size = min(size, len(allowed_ids))
    sample = random.Random(message.id).sample(allowed_ids, size)
    return {contact_id: index % len(variants) for index, contact_id in enumerate(sample)}


def enqueue_send(session: Session, ctx: CampaignContext, message: MessageCampaign) -> None:
    summary = dict(message.summary or {})
    rounds = int(summary.get("rounds", 0)) + 1
    summary["rounds"] = rounds
    message.summary = summary
    jobs.enqueue(
        session,
        kind=SEND_JOB,
        payload={"message_id": message.id, "requested_by": ctx.actor.user_id},
        campaign_id=ctx.campaign_id,
        idempotency_key=f"{SEND_JOB}:{message.id}:{rounds}",
    )


def resume(session: Session, ctx: CampaignContext, *, message: MessageCampaign) -> None:
    """Queue the send job again (after a crash or a failed job): queued rows go out, rows
    interrupted in ``sending`` are marked uncertain and never sent again."""
    if message.status in ("done", "cancelled"):
        return
    enqueue_send(session, ctx, message)
    session.flush()


def cancel(session: Session, ctx: CampaignContext, *, message: MessageCampaign) -> int:
    result = session.execute(
        update(Delivery)
        .where(Delivery.message_id == message.id, Delivery.status.in_(ACTIVE))
        .values(status="cancelled", reason="envoi annulé")
    )
    message.status = "cancelled"
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
