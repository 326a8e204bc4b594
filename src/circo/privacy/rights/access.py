"""Right of access (GDPR art. 15): everything the campaign holds on the person, as JSON-able
data and as a readable PDF."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from circo.core import audit
from circo.core.models import AuditEvent
from circo.core.tenancy import CampaignContext
from circo.crm.models import (
    Contact,
    ContactAnswer,
    ContactTag,
    Event,
    EventAttendee,
    Household,
    Interaction,
    Tag,
    Volunteer,
)
from circo.db import utcnow
from circo.privacy.hooks import access_hooks
from circo.privacy.models import ConsentRecord, Opposition, RightsRequest
from circo.privacy.rights.identity import _roll_matches, resolve_identity
from circo.privacy.rights.requests import requester_hash
from circo.privacy.rights.traces import find_traces


def _row(obj: Any, exclude: Iterable[str] = ()) -> dict[str, Any]:
    data = {}
    for column in obj.__table__.columns:
        if column.key in exclude:
            continue
        value = getattr(obj, column.key)
        if isinstance(value, (datetime, date)):
            value = value.isoformat()
        data[column.key] = value
    return data


def access_export(
    session: Session, ctx: CampaignContext, *, email: str | None = None, phone: str | None = None
) -> dict[str, Any]:
    """Everything the campaign holds on the person, as JSON-able data (GDPR art. 15)."""
    identity, contacts = resolve_identity(session, ctx, email=email, phone=phone)
    ids = identity.contact_ids
    export: dict[str, Any] = {
        "campaign": {"slug": ctx.campaign.slug, "name": ctx.campaign.name},
        "generated_at": utcnow().isoformat(),
        "query": {"email": email, "phone": phone},
        "contacts": [],
    }
    for contact in contacts:
        export["contacts"].append(_contact_section(session, ctx, contact))
    export["electoral_roll_entries"] = [
        {**_row(entry), "note": "liste électorale obtenue en mairie (Code électoral L37)"}
        for entry in _roll_matches(session, ctx, identity)
    ]
    volunteers: Iterable[Volunteer] = (
        session.scalars(
            ctx.scoped(select(Volunteer), Volunteer).where(Volunteer.contact_id.in_(ids))
        )
        if ids
        else []
    )
    export["volunteer_profiles"] = [_row(volunteer) for volunteer in volunteers]
    hashes = [requester_hash(value) for value in identity.emails]
    requests_query = ctx.scoped(select(RightsRequest), RightsRequest).where(
        or_(
            RightsRequest.contact_id.in_(ids or [-1]),
            RightsRequest.requester_hash.in_(hashes or ["-"]),
        )
    )
    export["rights_requests"] = [_row(item) for item in session.scalars(requests_query)]
    export["audit_events"] = [
        _row(event)
        for event in session.scalars(
            select(AuditEvent).where(
                AuditEvent.campaign_id == ctx.campaign_id,
                AuditEvent.target_type == "contact",
                AuditEvent.target_id.in_([str(i) for i in ids] or ["-"]),
            )
        )
    ]
    for hook in access_hooks:
        export.update(hook(session, ctx, identity))
    covered = {
        "crm_contacts",
        "crm_interactions",
        "crm_contact_answers",
        "crm_contact_tags",
        "privacy_consents",
        "privacy_oppositions",
        "crm_event_attendees",
        "crm_roll_entries",
        "crm_volunteers",
        "privacy_rights_requests",
        "audit_events",
    }
    export["other_records"] = {
        table: rows
        for table, rows in find_traces(session, ctx, identity.needles(), rows=True).items()
        if table not in covered
    }
    audit.record(
        session,
        actor=ctx.actor,
        action="privacy.access",
        campaign_id=ctx.campaign_id,
        target_type="contacts",
        target_id=",".join(str(i) for i in ids)[:64] or None,
        details={"contacts": len(ids)},
    )
    return export


def _contact_section(session: Session, ctx: CampaignContext, contact: Contact) -> dict[str, Any]:
    cid = contact.id
    section = _row(contact, exclude=("search_name", "search_name_rev", "name_key"))
    section["tags"] = [
        {**_row(link), "name": name}
        for link, name in session.execute(
            select(ContactTag, Tag.name)
            .join(Tag, Tag.id == ContactTag.tag_id)
            .where(ContactTag.contact_id == cid)
        )
    ]
    if contact.household_id is not None:
        household = session.get(Household, contact.household_id)
        section["household"] = {
            "id": contact.household_id,
            "address_key": household.address_key if household else None,
        }
    section["interactions"] = [
        _row(item)
        for item in session.scalars(
            select(Interaction).where(Interaction.contact_id == cid).order_by(Interaction.at)
        )
    ]
    section["answers"] = [
        _row(item)
        for item in session.scalars(select(ContactAnswer).where(ContactAnswer.contact_id == cid))
    ]
    section["consents"] = [
        _row(item)
        for item in session.scalars(
            select(ConsentRecord).where(ConsentRecord.contact_id == cid).order_by(ConsentRecord.id)
        )
    ]
    section["oppositions"] = [
        _row(item)
        for item in session.scalars(select(Opposition).where(Opposition.contact_id == cid))
    ]
    section["events"] = [
        {
            **_row(attendee),
            "event": {
                "title": event.title,
                "starts_at": event.starts_at.isoformat(),
                "place": event.place,
            },
        }
        for attendee, event in session.execute(
            select(EventAttendee, Event)
            .join(Event, Event.id == EventAttendee.event_id)
            .where(EventAttendee.contact_id == cid)
        )
    ]
    return section


def access_pdf(export: dict[str, Any]) -> bytes:
    """A readable PDF of an access export (weasyprint)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape
    from weasyprint import HTML

    folder = Path(__file__).parent.parent / "templates" / "privacy"
    environment = Environment(loader=FileSystemLoader(folder), autoescape=select_autoescape())
    template = environment.get_template("access_pdf.html")
    html = template.render(
        export=export,
        dumps=lambda value: json.dumps(value, ensure_ascii=False, indent=1, default=str),
    )
    return HTML(string=html).write_pdf()
