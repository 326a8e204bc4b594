"""The party domain's personal data: the ledger of consents to be shared with a parent node
(see `circo.core.personal`). Group roles are team members' accounts, like memberships."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.core.personal import (
    Identity,
    PersonalData,
    TableRule,
    delete_rows,
    move_rows,
    plain_row,
)
from circo.core.tenancy import CampaignContext
from circo.party.models import ShareConsent, WebhookDelivery


def access(
    session: Session, ctx: CampaignContext, identity: Identity, export: dict[str, Any]
) -> None:
    """Sharing decisions go into each contact's section, with their proof."""
    for section in export.get("contacts", []):
        section["sharing_with_parent_groups"] = [
            plain_row(item)
            for item in session.scalars(
                ctx.scoped(select(ShareConsent), ShareConsent)
                .where(ShareConsent.contact_id == section["id"])
                .order_by(ShareConsent.id)
            )
        ]
        section["webhook_deliveries"] = [
            plain_row(item)
            for item in session.scalars(
                ctx.scoped(select(WebhookDelivery), WebhookDelivery)
                .where(WebhookDelivery.contact_id == section["id"])
                .order_by(WebhookDelivery.id)
            )
        ]


def erase(session: Session, ctx: CampaignContext, identity: Identity) -> dict[str, int]:
    return {"party_share_consents": delete_rows(session, ctx, ShareConsent, identity.contact_ids)}


def merge(session: Session, ctx: CampaignContext, kept_id: int, merged_id: int) -> None:
    move_rows(session, ctx, ShareConsent, kept_id, merged_id)
    move_rows(session, ctx, WebhookDelivery, kept_id, merged_id)
    session.flush()


_ACCOUNT = TableRule(
    access="a team member's role on a node of the movement: with the account",
    erase="removed with the account, which an administrator closes",
    merge="not linked to a contact",
)

PERSONAL_DATA = PersonalData(
    tables={
        "party_share_consents": TableRule(
            access="in the contact's section (sharing_with_parent_groups), with their proof",
            erase="deleted: once erased, the person is seen by no parent node",
            merge="moved to the kept contact: every proof is kept",
        ),
        "party_group_roles": _ACCOUNT,
        "party_webhook_deliveries": TableRule(
            access="in the contact's section (webhook_deliveries): what was sent about the "
            "person to the node's receivers, when, with which outcome",
            erase="deleted (what the receiver already got is the receiver's to erase)",
            merge="moved to the kept contact",
        ),
    },
    access=access,
    erase=erase,
    merge=merge,
)
