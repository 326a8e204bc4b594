"""What messaging holds about a person, for the rights requests of `circo.privacy`: the
delivery log (access, erasure). The SMS file adapter's outbox lies under the data dir, which
the erasure searches itself."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext, campaign_filter
from circo.messaging.models import Delivery, MessageCampaign
from circo.privacy.hooks import Identity, register_access_hook, register_erasure_hook


@register_access_hook
def deliveries_of(
    session: Session, ctx: CampaignContext, identity: Identity
) -> dict[str, list[dict[str, Any]]]:
    if not identity.contact_ids:
        return {"messaging_deliveries": []}
    rows = session.execute(
        select(Delivery, MessageCampaign.subject)
        .join(MessageCampaign, MessageCampaign.id == Delivery.message_id)
        .where(
            campaign_filter(Delivery, ctx),
            Delivery.contact_id.in_(identity.contact_ids),
        )
        .order_by(Delivery.id)
    ).all()
    return {
        "messaging_deliveries": [
            {
                "message_id": row.message_id,
                "subject": subject,
                "channel": row.channel,
                "status": row.status,
                "basis": row.basis,
                "proof": row.proof,
                "sent_at": row.sent_at.isoformat() if row.sent_at else None,
                "opened_at": row.opened_at.isoformat() if row.opened_at else None,
                "clicked_at": row.clicked_at.isoformat() if row.clicked_at else None,
            }
            for row, subject in rows
        ]
    }


@register_erasure_hook
def erase_deliveries(session: Session, ctx: CampaignContext, identity: Identity) -> int:
    if not identity.contact_ids:
        return 0
    result = session.execute(
        delete(Delivery).where(
            campaign_filter(Delivery, ctx),
            Delivery.contact_id.in_(identity.contact_ids),
        )
    )
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
