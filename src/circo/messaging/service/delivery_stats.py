"""Figures of a message: status counts, outcome, engagement, the delivery log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.core.audit import record as audit_record
from circo.core.tenancy import CampaignContext
from circo.messaging.models import Delivery, MessageCampaign
from circo.messaging.service.constants import STATUSES


def status_counts(session: Session, message_id: int) -> dict[str, int]:
    rows = session.execute(
        select(Delivery.status, func.count(Delivery.id))
        .where(Delivery.message_id == message_id)
        .group_by(Delivery.status)
    ).all()
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: int(count) for status, count in rows})
    return counts


def outcome(session: Session, message: MessageCampaign) -> dict[str, Any]:
    """The CLI contract's figures for a message."""
    counts = status_counts(session, message.id)
    return {
        "campaign": message.id,
        "recipients": sum(counts.values()),
        "sent": counts["sent"],
        "skipped_no_consent": counts["skipped_no_consent"],
        "skipped_opposed": counts["skipped_opposed"] + counts["cancelled"],
        "failed": counts["failed"] + counts["uncertain"],
    }


def engagement(session: Session, message_id: int) -> dict[str, int]:
    row = session.execute(
        select(
            func.count(Delivery.id).filter(Delivery.tracked.is_(True), Delivery.status == "sent"),
            func.count(Delivery.opened_at),
            func.count(Delivery.clicked_at),
        ).where(Delivery.message_id == message_id)
    ).one()
    return {"tracked": int(row[0]), "opened": int(row[1]), "clicked": int(row[2])}


def list_deliveries(
    session: Session,
    ctx: CampaignContext,
    *,
    message: MessageCampaign,
    status: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[Delivery]:
    """The delivery log (a bulk read of personal data: audited)."""
    query = ctx.scoped(select(Delivery), Delivery).where(Delivery.message_id == message.id)
    if status:
        query = query.where(Delivery.status == status)
    rows = list(session.scalars(query.order_by(Delivery.id).limit(limit).offset(offset)))
    audit_record(
        session,
        actor=ctx.actor,
        action="messaging.deliveries.read",
        campaign_id=ctx.campaign_id,
        target_type="message",
        target_id=message.id,
        details={"rows": len(rows), "status": status},
    )
    return rows
