"""Writes of the OSDI API (scope ``write``): tags, taggings, attendances, submissions.

Each goes through the token's campaign context (an id of another campaign is 404) and through
the services of the owning domain where one exists (tags and taggings of `circo.crm.contacts`,
the RSVP webhook as `circo.crm.events.respond` emits it). A person is named by a link
(``_links.osdi:person.href`` ending in ``people/<id>``) or given inline, then matched or
created with the signup helper's rules (oppositions refused, dedup by email then phone).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from circo.core.security import token_hash
from circo.crm.contacts import add_tags, tag_ids
from circo.crm.events import counts
from circo.crm.models import Contact, ContactTag, EventAttendee, Tag
from circo.crm.timeline import add_interaction
from circo.db import utcnow
from circo.errors import CircoError
from circo.party.osdi import resources as osdi
from circo.party.osdi.schemas import (
    AttendanceIn,
    AttendanceUpdate,
    PersonRef,
    SubmissionIn,
    TaggingIn,
)
from circo.party.osdi.signup import upsert_person
from circo.party.osdi.tokens import OsdiAccess
from circo.reach.models import FormSubmission

# OSDI attendance status → crm attendee status (the inverse of resources.ATTENDANCE_STATUS)
ATTENDEE_STATUS = {osdi_value: crm for crm, osdi_value in osdi.ATTENDANCE_STATUS.items()}
PERSON_HREF = re.compile(r"/people/(\d{1,18})/?$")


@dataclass(frozen=True)
class Written:
    """A row written, and whether it is new (201) or was there already (200)."""

    row: Any
    created: bool


def person_of(session: Session, access: OsdiAccess, ref: PersonRef) -> Contact:
    """The person a write names: by link, or inline (signup rules)."""
    if ref.person is not None:
        return upsert_person(session, access, ref.person, add=[]).contact
    href = ref.links.person.href if ref.links and ref.links.person else ""
    found = PERSON_HREF.search(href.split("?")[0])
    if found is None:
        raise CircoError(
            "personne requise : _links.osdi:person.href (…/people/<id>) ou person",
            status=422,
            loc="osdi:person",
        )
    return osdi.get_person(session, access.ctx, int(found.group(1)))


def create_tag(session: Session, access: OsdiAccess, name: str) -> Written:
    ctx = access.ctx
    clean = " ".join(name.split())
    if not clean:
        raise CircoError("nom d'étiquette vide", status=422, loc="name")
    existing = session.scalar(ctx.scoped(select(Tag), Tag).where(Tag.name == clean))
    if existing is not None:
        return Written(existing, False)
    tag_id = tag_ids(session, ctx, [clean])[clean]
    return Written(osdi.get_tag(session, ctx, tag_id), True)


def add_tagging(session: Session, access: OsdiAccess, tag_id: int, body: TaggingIn) -> Written:
    ctx = access.ctx
    tag = osdi.get_tag(session, ctx, tag_id)
    contact = person_of(session, access, body)
    query = osdi.taggings_query(ctx, tag_id=tag.id, contact_id=contact.id)
    if session.scalar(query) is not None:
        return Written(session.scalar(query), False)
    add_tags(session, ctx, contact_ids=[contact.id], names=[tag.name])
    return Written(session.scalar(query), True)


def remove_tagging(session: Session, access: OsdiAccess, tag_id: int, person_id: int) -> None:
    ctx = access.ctx
    row = session.scalar(osdi.taggings_query(ctx, tag_id=tag_id, contact_id=person_id))
    if row is None:
        raise osdi.NotFound(f"étiquetage {tag_id}-{person_id} introuvable", loc="étiquetage")
    session.execute(
        delete(ContactTag).where(ContactTag.tag_id == tag_id, ContactTag.contact_id == person_id)
    )
    session.flush()


def _set_status(
    session: Session,
    access: OsdiAccess,
    attendee: EventAttendee,
    *,
    status: str | None,
    attended: bool | None,
) -> None:
    """Apply an OSDI status (capacity checked) and check-in, with the RSVP webhook."""
    ctx = access.ctx
    event = osdi.get_event(session, ctx, attendee.event_id)
    answer = ATTENDEE_STATUS[status] if status else None
    if answer is not None and answer != attendee.status:
        if answer == "yes" and event.capacity is not None:
            if counts(session, ctx, event_id=event.id).get("yes", 0) >= event.capacity:
                raise CircoError(
                    "complet : plus de place pour cet événement", status=409, loc="status"
                )
        attendee.status = answer
        attendee.responded_at = utcnow()
        session.flush()
        add_interaction(
            session,
            ctx,
            contact_id=attendee.contact_id,
            kind="event",
            summary=f"réponse à « {event.title} » : {status} (API OSDI)",
            data={"event_id": event.id},
        )
        if answer != "invited":
            from circo.party.models import WebhookEvent
            from circo.party.webhooks import emit

            emit(
                session,
                ctx,
                event=WebhookEvent.rsvp,
                contact_id=attendee.contact_id,
                data={"event_id": event.id, "contact_id": attendee.contact_id, "answer": answer},
            )
    if attended is not None:
        attendee.checked_in_at = (attendee.checked_in_at or utcnow()) if attended else None
    session.flush()


def record_attendance(
    session: Session, access: OsdiAccess, event_id: int, body: AttendanceIn
) -> Written:
    ctx = access.ctx
    osdi.get_event(session, ctx, event_id)
    contact = person_of(session, access, body)
    attendee = session.scalar(osdi.attendances_query(ctx, event_id=event_id, contact_id=contact.id))
    created = attendee is None
    if attendee is None:
        attendee = EventAttendee(
            campaign_id=ctx.campaign_id, event_id=event_id, contact_id=contact.id
        )
        session.add(attendee)
        session.flush()
    _set_status(session, access, attendee, status=body.status, attended=body.attended)
    return Written(attendee, created)


def update_attendance(
    session: Session, access: OsdiAccess, event_id: int, attendance_id: int, body: AttendanceUpdate
) -> EventAttendee:
    attendee = session.scalar(
        osdi.attendances_query(access.ctx, event_id=event_id).where(
            EventAttendee.id == attendance_id
        )
    )
    if attendee is None:
        raise osdi.NotFound(f"participation {attendance_id} introuvable", loc="participation")
    _set_status(session, access, attendee, status=body.status, attended=body.attended)
    return attendee


def record_submission(
    session: Session, access: OsdiAccess, form_id: int, body: SubmissionIn
) -> FormSubmission:
    """A submission the partner collected for ``form_id``: recorded as confirmed (the person is
    named or was matched/created with the signup rules), the token as its origin."""
    ctx = access.ctx
    form = osdi.get_form(session, ctx, form_id)
    contact = person_of(session, access, body)
    if not contact.email:
        raise CircoError(
            "cette personne n'a pas d'adresse e-mail : une réponse de formulaire en demande une",
            status=422,
            loc="email_addresses",
        )
    now = utcnow()
    row = FormSubmission(
        campaign_id=ctx.campaign_id,
        form_id=form.id,
        email=contact.email,
        first_name=contact.first_name,
        last_name=contact.last_name,
        phone=contact.phone,
        postal_code=contact.postal_code,
        origin=f"API OSDI (jeton « {access.token.name} »)"[:300],
        token_hash=token_hash(secrets.token_urlsafe(24)),
        submitted_at=now,
        confirmed_at=now,
        contact_id=contact.id,
    )
    session.add(row)
    session.flush()
    add_interaction(
        session,
        ctx,
        contact_id=contact.id,
        kind="import",
        summary=f"réponse au formulaire « {form.name} » reçue par l'API OSDI",
        data={"form_id": form.id},
    )
    return row
