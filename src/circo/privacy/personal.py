"""The privacy domain's own personal data — consents, oppositions, rights requests — for access,
erasure and merge (see `circo.core.personal`). The orchestration of the rights of the person is
in `circo.privacy.rights`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from circo.core.personal import (
    Identity,
    PersonalData,
    TableRule,
    delete_rows,
    move_rows,
    plain_row,
)
from circo.core.tenancy import CampaignContext, campaign_filter
from circo.privacy.models import ConsentRecord, Opposition, RightsRequest
from circo.privacy.rights.requests import requester_hash


def access(
    session: Session, ctx: CampaignContext, identity: Identity, export: dict[str, Any]
) -> None:
    """Consents and oppositions go into each contact's section; the requests at the top."""
    for section in export.get("contacts", []):
        cid = section["id"]
        section["consents"] = [
            plain_row(item)
            for item in session.scalars(
                select(ConsentRecord)
                .where(ConsentRecord.contact_id == cid)
                .order_by(ConsentRecord.id)
            )
        ]
        section["oppositions"] = [
            plain_row(item)
            for item in session.scalars(select(Opposition).where(Opposition.contact_id == cid))
        ]
    hashes = [requester_hash(value) for value in identity.emails]
    query = ctx.scoped(select(RightsRequest), RightsRequest).where(
        or_(
            RightsRequest.contact_id.in_(identity.contact_ids or [-1]),
            RightsRequest.requester_hash.in_(hashes or ["-"]),
        )
    )
    export["rights_requests"] = [plain_row(item) for item in session.scalars(query)]


def erase(session: Session, ctx: CampaignContext, identity: Identity) -> dict[str, int]:
    ids = identity.contact_ids
    records = {
        "privacy_consents": delete_rows(session, ctx, ConsentRecord, ids),
        "privacy_oppositions": delete_rows(session, ctx, Opposition, ids),
    }
    if ids:
        session.execute(
            update(RightsRequest)
            .where(campaign_filter(RightsRequest, ctx), RightsRequest.contact_id.in_(ids))
            .values(contact_id=None, requester=None)
        )
    hashes = [requester_hash(value) for value in identity.emails]
    if hashes:
        session.execute(
            update(RightsRequest)
            .where(
                campaign_filter(RightsRequest, ctx),
                RightsRequest.requester_hash.in_(hashes),
            )
            .values(requester=None, details="")
        )
    session.flush()
    return records


def merge(session: Session, ctx: CampaignContext, kept_id: int, merged_id: int) -> None:
    """The consent and opposition history and the requests follow the person."""
    for model in (ConsentRecord, Opposition, RightsRequest):
        move_rows(session, ctx, model, kept_id, merged_id)
    session.flush()


PERSONAL_DATA = PersonalData(
    tables={
        "privacy_consents": TableRule(
            access="in the contact's section (consents), with their proof",
            erase="deleted; the email/phone hashes kept in privacy_suppressions stop any contact",
            merge="moved to the kept contact: every proof is kept",
        ),
        "privacy_oppositions": TableRule(
            access="in the contact's section (oppositions)",
            erase="deleted; the suppression hashes keep the opposition effective",
            merge="moved to the kept contact",
        ),
        "privacy_rights_requests": TableRule(
            access="rights_requests of the export (by contact or by the requester's hash)",
            erase="the request stays as the proof it was handled, without name, email or link",
            merge="moved to the kept contact",
        ),
    },
    access=access,
    erase=erase,
    merge=merge,
)
