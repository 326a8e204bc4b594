"""The link from a door to a person, through the crm and privacy services only.

A recontact request is first kept in `Recontact` (the proof: wording shown, who, when). It is then
recorded in the contact base (`circo.crm.contacts`) with the consent per channel and, if given,
the explicit consent to keep opinions (`circo.privacy.consent.record_consent`, channel
``political_opinions``); only then are the opinion answers written on the contact
(`circo.crm.contacts.record_answer`, which checks that consent again).

The field domain also registers its privacy hooks: an access request lists the visits and
recontact requests of the person; an erasure removes them.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from circo.core.models import Role
from circo.core.tenancy import CampaignContext
from circo.field.models import Recontact, Visit

if TYPE_CHECKING:
    from circo.field.visits import RecontactIn

SOURCE = "porte-à-porte"


def record_recontact(
    session: Session,
    ctx: CampaignContext,
    *,
    recontact: RecontactIn,
    bureau: str | None,
    visit_id: int | None,
    answers: dict[str, Any],
    questions: list[dict[str, Any]],
    recontact_wording: str,
    opinion_wording: str,
    at: datetime,
) -> int | None:
    """Keep the request, record contact + consents in crm/privacy; returns the contact id."""
    row = Recontact(
        campaign_id=ctx.campaign_id,
        visit_id=visit_id,
        bureau=bureau,
        email=(recontact.email or "").strip() or None,
        phone=(recontact.phone or "").strip() or None,
        first_name=recontact.first_name.strip(),
        consent_wording=recontact_wording
        + (f"\n{opinion_wording}" if recontact.consent_opinions else ""),
        opinion_consent=bool(recontact.consent_opinions and visit_id is not None),
        collected_by=ctx.actor.email,
        collected_at=at,
    )
    session.add(row)
    session.flush()
    contact_id = _to_crm(
        session, ctx, row, recontact, answers, questions, recontact_wording, opinion_wording
    )
    if contact_id is not None:
        row.contact_id = contact_id
        row.status = "recorded"
    session.flush()
    return contact_id


def _to_crm(
    session: Session,
    ctx: CampaignContext,
    row: Recontact,
    recontact: RecontactIn,
    answers: dict[str, Any],
    questions: list[dict[str, Any]],
    recontact_wording: str,
    opinion_wording: str,
) -> int | None:
    try:
        from circo.crm import contacts
        from circo.crm.schemas import ContactCreate
        from circo.privacy.consent import record_consent
    except ImportError:  # the crm/privacy services are not installed: keep the request pending
        return None
    # A volunteer may not read the contact base: the write is made on behalf of the campaign,
    # still in the volunteer's name (the actor), and nothing read here goes back to the phone.
    ctx = CampaignContext(campaign=ctx.campaign, role=Role.organiser, actor=ctx.actor)
    found = contacts.find_by_identity(session, ctx, email=row.email, phone=row.phone)
    if found:
        contact_id = found[0].id
    else:
        contact = contacts.create_contact(
            session,
            ctx,
            data=ContactCreate(
                first_name=row.first_name,
                email=row.email,
                phone=row.phone,
                polling_station=row.bureau,
                relationship_kind="contact",
            ),
            source=SOURCE,
        )
        contact_id = contact.id
    proof = {"wording": recontact_wording, "collected_by": row.collected_by, "recontact": row.id}
    if recontact.consent_contact:
        for channel, value in (("email", row.email), ("phone", row.phone)):
            if value:
                record_consent(
                    session,
                    ctx,
                    contact_id=contact_id,
                    channel=channel,
                    status="granted",
                    source=SOURCE,
                    proof=proof,
                    at=row.collected_at,
                )
    if row.opinion_consent and answers:
        record_consent(
            session,
            ctx,
            contact_id=contact_id,
            channel="political_opinions",
            status="granted",
            source=SOURCE,
            proof={**proof, "wording": opinion_wording},
            at=row.collected_at,
        )
        labels = {question["key"]: question["label"] for question in questions}
        for key, value in answers.items():
            text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            contacts.record_answer(
                session,
                ctx,
                contact_id=contact_id,
                question=labels.get(key, key),
                answer=text,
                sensitive=True,
                source="field",
            )
    return contact_id


# --- rights of the person (privacy hooks) ----------------------------------------------------


def _identity_clause(identity: Any) -> Any:
    clauses = []
    if identity.contact_ids:
        clauses.append(Recontact.contact_id.in_(list(identity.contact_ids)))
    if identity.emails:
        clauses.append(Recontact.email.in_(sorted(identity.emails)))
    if identity.phones:
        clauses.append(Recontact.phone.in_(sorted(identity.phones)))
    return or_(*clauses) if clauses else None


def erase_person(session: Session, ctx: CampaignContext, identity: Any) -> int:
    """Erasure: drop the person's recontact requests and the opinions kept on their visits."""
    erased = 0
    if identity.contact_ids:
        result = session.execute(
            update(Visit)
            .where(Visit.campaign_id == ctx.campaign_id, Visit.contact_id.in_(identity.contact_ids))
            .values(contact_id=None, answers={})
        )
        erased += int(result.rowcount or 0)  # type: ignore[attr-defined]
    clause = _identity_clause(identity)
    if clause is not None:
        result = session.execute(
            delete(Recontact).where(Recontact.campaign_id == ctx.campaign_id, clause)
        )
        erased += int(result.rowcount or 0)  # type: ignore[attr-defined]
    session.flush()
    return erased


def person_data(
    session: Session, ctx: CampaignContext, identity: Any
) -> dict[str, list[dict[str, Any]]]:
    """Access request: the person's recontact requests and the visits linked to them."""
    clause = _identity_clause(identity)
    recontacts = (
        list(session.scalars(ctx.scoped(select(Recontact), Recontact).where(clause)))
        if clause is not None
        else []
    )
    visits = (
        list(
            session.scalars(
                ctx.scoped(select(Visit), Visit).where(Visit.contact_id.in_(identity.contact_ids))
            )
        )
        if identity.contact_ids
        else []
    )
    return {
        "field_recontacts": [
            {
                "email": r.email,
                "phone": r.phone,
                "first_name": r.first_name,
                "bureau": r.bureau,
                "consent_wording": r.consent_wording,
                "collected_at": r.collected_at.isoformat(),
            }
            for r in recontacts
        ],
        "field_visits": [
            {"visited_at": v.visited_at.isoformat(), "outcome": v.outcome, "answers": v.answers}
            for v in visits
        ],
    }


def register_privacy_hooks() -> None:
    try:
        from circo.privacy.hooks import register_access_hook, register_erasure_hook
    except ImportError:
        return
    register_erasure_hook(erase_person)
    register_access_hook(person_data)


register_privacy_hooks()
