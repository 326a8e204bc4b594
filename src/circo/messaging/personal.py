"""What messaging holds about a person: the delivery log, the per-send proof of the legal basis
(access, erasure, merge; see `circo.core.personal`). The SMS file adapter's outbox lies under
the data dir, which the erasure searches itself."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.core.personal import Identity, PersonalData, TableRule, delete_rows, move_rows
from circo.core.tenancy import CampaignContext, campaign_filter
from circo.messaging.models import Delivery, MessageCampaign


def access(
    session: Session, ctx: CampaignContext, identity: Identity, export: dict[str, Any]
) -> None:
    if not identity.contact_ids:
        export["messaging_deliveries"] = []
        return
    rows = session.execute(
        select(Delivery, MessageCampaign.subject)
        .join(MessageCampaign, MessageCampaign.id == Delivery.message_id)
        .where(
            campaign_filter(Delivery, ctx),
            Delivery.contact_id.in_(identity.contact_ids),
        )
        .order_by(Delivery.id)
    ).all()
    export["messaging_deliveries"] = [
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


def erase(session: Session, ctx: CampaignContext, identity: Identity) -> dict[str, int]:
    deleted = delete_rows(session, ctx, Delivery, identity.contact_ids)
    session.flush()
    return {"msg_deliveries": deleted}


def merge(session: Session, ctx: CampaignContext, kept_id: int, merged_id: int) -> None:
    """Every delivery of both contacts — the proof of each send — follows the kept contact."""
    move_rows(session, ctx, Delivery, kept_id, merged_id)
    session.flush()


PERSONAL_DATA = PersonalData(
    tables={
        "msg_deliveries": TableRule(
            access="messaging_deliveries of the export: each send with its legal basis and proof",
            erase="deleted; the suppression hashes keep the person out of later sends",
            merge="moved to the kept contact: every proof of a send is kept",
        ),
        "msg_campaigns": TableRule(
            access="no data about contacts: the staff member who created the message",
            erase="kept: the staff member's action (accountability, GDPR art. 5.2)",
            merge="not linked to a contact",
        ),
    },
    access=access,
    erase=erase,
    merge=merge,
)
