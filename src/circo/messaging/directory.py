"""The people side of messaging, through the crm and privacy services (never their tables).

- who is in a segment: `circo.crm.segments`;
- what a message may say about them: `circo.crm.contacts.visible_contacts`;
- whether they may be contacted on a channel, on which basis: `circo.privacy.decide_many`;
- unsubscribe (consent withdrawn) and STOP (opposition): `circo.privacy`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext
from circo.crm import segments as crm_segments
from circo.crm.contacts import find_by_identity, visible_contacts
from circo.crm.models import Contact
from circo.messaging.personalise import Recipient
from circo.privacy import Decision, decide_many, record_consent, record_opposition

CHUNK = 900
ALL = "all"


@dataclass(frozen=True)
class Verdict:
    """A privacy decision sorted for the delivery log."""

    allowed: bool
    category: str  # ok, no_consent, opposed
    basis: str | None
    reason: str
    consent_id: int | None


# The person said no (objection, suppression list, consent withdrawn): `circo.privacy`'s codes.
OPPOSED_CODES = frozenset({"opposition", "suppressed", "consent_withdrawn"})


def classify(decision: Decision) -> Verdict:
    if decision.allowed:
        return Verdict(True, "ok", decision.basis, decision.reason, decision.consent_id)
    opposed = decision.code in OPPOSED_CODES
    return Verdict(
        False,
        "opposed" if opposed else "no_consent",
        None,
        decision.reason,
        decision.consent_id,
    )


def segment_names(session: Session, ctx: CampaignContext) -> list[str]:
    return [segment.name for segment in crm_segments.list_segments(session, ctx)]


def segment_member_ids(session: Session, ctx: CampaignContext, name: str) -> list[int]:
    """Contact ids of the segment ``name`` ("all": every contact), consent not applied."""
    filters = crm_segments.resolve_segment(session, ctx, name)
    filters = filters.model_copy(update={"consent_channel": None})
    return crm_segments.segment_contact_ids(session, ctx, filters)


def verdicts(
    session: Session, ctx: CampaignContext, *, contact_ids: Iterable[int], channel: str
) -> dict[int, Verdict]:
    decisions = decide_many(session, ctx, contact_ids=list(contact_ids), channel=channel)
    return {contact_id: classify(decision) for contact_id, decision in decisions.items()}


def recipients(
    session: Session, ctx: CampaignContext, contact_ids: Iterable[int]
) -> dict[int, Recipient]:
    """What the message may use about each contact (name, address, commune, bureau)."""
    ids = list(contact_ids)
    found: dict[int, Recipient] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        query = visible_contacts(session, ctx).where(Contact.id.in_(chunk))
        for contact in cast(Iterable[Contact], session.scalars(query)):
            found[contact.id] = Recipient(
                contact_id=contact.id,
                first_name=contact.first_name or "",
                last_name=contact.last_name or "",
                email=contact.email,
                phone=contact.phone,
                commune=contact.city or contact.commune_code or "",
                bureau=contact.polling_station or "",
            )
    return found


def contact_ids_by_email(session: Session, ctx: CampaignContext, email: str) -> list[int]:
    return [contact.id for contact in find_by_identity(session, ctx, email=email)]


def contact_ids_by_phone(session: Session, ctx: CampaignContext, phone: str) -> list[int]:
    return [contact.id for contact in find_by_identity(session, ctx, phone=phone)]


def withdraw_consent(
    session: Session,
    ctx: CampaignContext,
    *,
    contact_id: int,
    channel: str,
    source: str,
    proof: dict[str, object],
) -> None:
    """An unsubscribe: the consent of the channel is withdrawn (privacy's rule)."""
    record_consent(
        session,
        ctx,
        contact_id=contact_id,
        channel=channel,
        status="withdrawn",
        source=source,
        proof=dict(proof),
    )


def oppose(
    session: Session, ctx: CampaignContext, *, contact_id: int, channel: str, source: str
) -> None:
    record_opposition(session, ctx, contact_id=contact_id, channel=channel, source=source)
