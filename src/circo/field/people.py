"""The link from a door to a person, through the crm and privacy services only.

A recontact request is first kept in `Recontact` (the proof: wording shown, who, when). It is then
recorded in the contact base (`circo.crm.contacts`) with the consent per channel and, if given,
the explicit consent to keep opinions (`circo.privacy.consent.record_consent`, channel
``political_opinions``); only then are the opinion answers written on the contact
(`circo.crm.contacts.record_answer`, which checks that consent again).

`PERSONAL_DATA` declares what the field domain holds about people (see `circo.core.personal`):
an access request lists the visits and recontact requests of the person; an erasure removes them;
a merge of two contacts moves them.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from circo.core.models import Role
from circo.core.personal import Identity, PersonalData, TableRule, delete_rows, move_rows
from circo.core.tenancy import CampaignContext, campaign_filter
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


# --- rights of the person (see PERSONAL_DATA) -----------------------------------------------


def _identity_clause(identity: Any) -> Any:
    clauses = []
    if identity.contact_ids:
        clauses.append(Recontact.contact_id.in_(list(identity.contact_ids)))
    if identity.emails:
        clauses.append(Recontact.email.in_(sorted(identity.emails)))
    if identity.phones:
        clauses.append(Recontact.phone.in_(sorted(identity.phones)))
    return or_(*clauses) if clauses else None


def erase(session: Session, ctx: CampaignContext, identity: Identity) -> dict[str, int]:
    """Erasure: drop the person's recontact requests, and the link and the opinions of the
    visits that were theirs (the visit itself stays as a door knocked, without answers)."""
    clause = _identity_clause(identity)
    recontacts = (
        list(session.scalars(ctx.scoped(select(Recontact), Recontact).where(clause)))
        if clause is not None
        else []
    )
    visit_ids = {r.visit_id for r in recontacts if r.visit_id is not None}
    visit_clauses = []
    if identity.contact_ids:
        visit_clauses.append(Visit.contact_id.in_(identity.contact_ids))
    if visit_ids:
        visit_clauses.append(Visit.id.in_(sorted(visit_ids)))
    visits = 0
    if visit_clauses:
        result = session.execute(
            update(Visit)
            .where(campaign_filter(Visit, ctx), or_(*visit_clauses))
            .values(contact_id=None, answers={})
        )
        visits = int(result.rowcount or 0)  # type: ignore[attr-defined]
    deleted = delete_rows(session, ctx, Recontact, [r.id for r in recontacts], column="id")
    session.flush()
    return {"field_visits": visits, "field_recontacts": deleted}


def access(
    session: Session, ctx: CampaignContext, identity: Identity, export: dict[str, Any]
) -> None:
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
    export["field_recontacts"] = [
        {
            "email": r.email,
            "phone": r.phone,
            "first_name": r.first_name,
            "bureau": r.bureau,
            "consent_wording": r.consent_wording,
            "collected_at": r.collected_at.isoformat(),
        }
        for r in recontacts
    ]
    export["field_visits"] = [
        {"visited_at": v.visited_at.isoformat(), "outcome": v.outcome, "answers": v.answers}
        for v in visits
    ]


def merge(session: Session, ctx: CampaignContext, kept_id: int, merged_id: int) -> None:
    """Visits and recontact requests of the merged contact now name the kept one."""
    move_rows(session, ctx, Visit, kept_id, merged_id)
    move_rows(session, ctx, Recontact, kept_id, merged_id)
    session.flush()


PERSONAL_DATA = PersonalData(
    tables={
        "field_visits": TableRule(
            access="field_visits of the export: visits linked to the person, with answers",
            erase="the link to the person and the answers are removed; the door knocked stays",
            merge="moved to the kept contact",
        ),
        "field_recontacts": TableRule(
            access="field_recontacts of the export (by contact, email or phone)",
            erase="deleted, and the answers of their visit with them",
            merge="moved to the kept contact",
        ),
        "field_assignments": TableRule(
            access="no data about contacts: which team member walks which turf",
            erase="not about contacts: removed with the team member's account",
            merge="not linked to a contact",
        ),
        "field_turf_plans": TableRule(
            access="no data about contacts: the staff member who cut the turfs",
            erase="kept: the staff member's action (accountability, GDPR art. 5.2)",
            merge="not linked to a contact",
        ),
    },
    access=access,
    erase=erase,
    merge=merge,
)
