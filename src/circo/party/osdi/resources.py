"""The OSDI representations of circo's rows, and their paginated collections.

Field names follow the OSDI 1.1 documents (people, tags, taggings, events, attendances,
donations, forms, submissions). Every query goes through the campaign's context: a token reads
its campaign's rows only. Identifiers are ``circo:<id>``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext, campaign_filter
from circo.crm.models import Contact, ContactTag, Event, EventAttendee, Tag
from circo.errors import NotFound
from circo.finance.models import Donation, PaymentMethod
from circo.privacy.consent import latest_consents
from circo.reach.models import FormSubmission, PublicForm

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 25
SYSTEM = "circo"

# crm attendee status → OSDI attendance status
ATTENDANCE_STATUS = {
    "invited": "needs action",
    "yes": "accepted",
    "no": "declined",
    "maybe": "tentative",
}
# consent status of the email channel → OSDI email status
EMAIL_STATUS = {"granted": "subscribed", "withdrawn": "unsubscribed", "refused": "unsubscribed"}
PAYMENT_METHOD = {
    PaymentMethod.cheque: "Check",
    PaymentMethod.transfer: "EFT",
    PaymentMethod.card: "Credit Card",
    PaymentMethod.cash: "Cash",
    PaymentMethod.direct_debit: "EFT",
}


def identifier(row_id: int | str) -> list[str]:
    return [f"{SYSTEM}:{row_id}"]


def timestamp(moment: datetime | date | None) -> str | None:
    """ISO 8601 in UTC (``2026-12-03T10:00:00Z``); a date as midnight UTC."""
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        return f"{moment.isoformat()}T00:00:00Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def link(base: str, path: str) -> dict[str, str]:
    return {"href": f"{base}/{path}"}


@dataclass(frozen=True)
class Paging:
    page: int
    per_page: int

    @classmethod
    def of(cls, page: int, per_page: int) -> Paging:
        return cls(page=max(page, 1), per_page=min(max(per_page, 1), MAX_PAGE_SIZE))


def collection(
    session: Session,
    *,
    base: str,
    path: str,
    rel: str,
    query: Select[Any],
    paging: Paging,
    represent: Callable[[Sequence[Any]], list[dict[str, Any]]],
) -> dict[str, Any]:
    """One page of ``query`` (ordered by the caller) as an OSDI collection."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    total_pages = max(1, math.ceil(total / paging.per_page))
    rows = session.execute(
        query.limit(paging.per_page).offset((paging.page - 1) * paging.per_page)
    ).all()
    items = represent(rows)

    def page_link(number: int) -> dict[str, str]:
        return link(base, f"{path}?page={number}&per_page={paging.per_page}")

    links: dict[str, Any] = {
        "self": page_link(paging.page),
        rel: [{"href": item["_links"]["self"]["href"]} for item in items],
    }
    if paging.page < total_pages:
        links["next"] = page_link(paging.page + 1)
    if paging.page > 1:
        links["prev"] = page_link(min(paging.page - 1, total_pages))
    return {
        "total_pages": total_pages,
        "per_page": paging.per_page,
        "page": paging.page,
        "total_records": total,
        "_links": links,
        "_embedded": {rel: items},
    }


# --- people ------------------------------------------------------------------------------------


def people_query(ctx: CampaignContext) -> Select[Any]:
    return ctx.scoped(select(Contact), Contact).order_by(Contact.id)


def get_person(session: Session, ctx: CampaignContext, person_id: int) -> Contact:
    contact = session.scalar(people_query(ctx).where(Contact.id == person_id))
    if contact is None:
        raise NotFound(f"personne {person_id} introuvable", loc="personne")
    return contact


def represent_people(
    session: Session, ctx: CampaignContext, base: str, contacts: Sequence[Contact]
) -> list[dict[str, Any]]:
    consents = latest_consents(session, ctx, contact_ids=[contact.id for contact in contacts])
    return [
        person(base, contact, consents.get((contact.id, "email"), None)) for contact in contacts
    ]


def person(base: str, contact: Contact, email_consent: Any = None) -> dict[str, Any]:
    emails: list[dict[str, Any]] = []
    if contact.email:
        primary: dict[str, Any] = {"address": contact.email, "primary": True}
        if email_consent is not None:
            primary["status"] = EMAIL_STATUS[email_consent.status]
        emails.append(primary)
    emails += [{"address": other, "primary": False} for other in contact.other_emails or []]
    phones = [{"number": contact.phone, "primary": True}] if contact.phone else []
    phones += [{"number": other, "primary": False} for other in contact.other_phones or []]
    addresses = []
    if contact.address_line or contact.postal_code or contact.city:
        addresses.append(
            {
                "primary": True,
                "address_lines": [contact.address_line] if contact.address_line else [],
                "locality": contact.city or "",
                "postal_code": contact.postal_code or "",
                "country": "FR",
            }
        )
    own = f"people/{contact.id}"
    return {
        "identifiers": identifier(contact.id),
        "created_date": timestamp(contact.created_at),
        "modified_date": timestamp(contact.updated_at),
        "given_name": contact.first_name,
        "family_name": contact.last_name,
        "email_addresses": emails,
        "phone_numbers": phones,
        "postal_addresses": addresses,
        "custom_fields": {key: str(value) for key, value in (contact.custom or {}).items()},
        "_links": {
            "self": link(base, own),
            "osdi:taggings": link(base, f"{own}/taggings"),
            "osdi:attendances": link(base, f"{own}/attendances"),
            "osdi:donations": link(base, f"{own}/donations"),
            "osdi:submissions": link(base, f"{own}/submissions"),
        },
    }


# --- tags and taggings -------------------------------------------------------------------------


def tags_query(ctx: CampaignContext) -> Select[Any]:
    return ctx.scoped(select(Tag), Tag).order_by(Tag.id)


def get_tag(session: Session, ctx: CampaignContext, tag_id: int) -> Tag:
    tag = session.scalar(tags_query(ctx).where(Tag.id == tag_id))
    if tag is None:
        raise NotFound(f"étiquette {tag_id} introuvable", loc="étiquette")
    return tag


def tag(base: str, row: Tag) -> dict[str, Any]:
    return {
        "identifiers": identifier(row.id),
        "name": row.name,
        "_links": {
            "self": link(base, f"tags/{row.id}"),
            "osdi:taggings": link(base, f"tags/{row.id}/taggings"),
        },
    }


def taggings_query(
    ctx: CampaignContext, *, tag_id: int | None = None, contact_id: int | None = None
) -> Select[Any]:
    query = (
        select(ContactTag)
        .where(campaign_filter(ContactTag, ctx))
        .order_by(ContactTag.tag_id, ContactTag.contact_id)
    )
    if tag_id is not None:
        query = query.where(ContactTag.tag_id == tag_id)
    if contact_id is not None:
        query = query.where(ContactTag.contact_id == contact_id)
    return query


def tagging(base: str, row: ContactTag) -> dict[str, Any]:
    return {
        "identifiers": identifier(f"{row.tag_id}-{row.contact_id}"),
        "_links": {
            "self": link(base, f"tags/{row.tag_id}/taggings/{row.contact_id}"),
            "osdi:tag": link(base, f"tags/{row.tag_id}"),
            "osdi:person": link(base, f"people/{row.contact_id}"),
        },
    }


# --- events and attendances --------------------------------------------------------------------


def events_query(ctx: CampaignContext) -> Select[Any]:
    return ctx.scoped(select(Event), Event).order_by(Event.id)


def get_event(session: Session, ctx: CampaignContext, event_id: int) -> Event:
    row = session.scalar(events_query(ctx).where(Event.id == event_id))
    if row is None:
        raise NotFound(f"événement {event_id} introuvable", loc="événement")
    return row


def represent_events(
    session: Session, ctx: CampaignContext, base: str, rows: Sequence[Event]
) -> list[dict[str, Any]]:
    accepted = dict(
        session.execute(
            select(EventAttendee.event_id, func.count())
            .where(
                campaign_filter(EventAttendee, ctx),
                EventAttendee.event_id.in_([row.id for row in rows]),
                EventAttendee.status == "yes",
            )
            .group_by(EventAttendee.event_id)
        ).all()
    )
    return [event(base, row, int(accepted.get(row.id, 0))) for row in rows]


def event(base: str, row: Event, total_accepted: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "identifiers": identifier(row.id),
        "created_date": timestamp(row.created_at),
        "modified_date": timestamp(row.created_at),
        "name": row.title,
        "title": row.title,
        "description": row.description,
        "start_date": timestamp(row.starts_at),
        "status": "confirmed",
        "type": "open",
        "total_accepted": total_accepted,
        "location": {"venue": row.place},
        "_links": {
            "self": link(base, f"events/{row.id}"),
            "osdi:attendances": link(base, f"events/{row.id}/attendances"),
        },
    }
    if row.ends_at is not None:
        body["end_date"] = timestamp(row.ends_at)
    if row.capacity is not None:
        body["capacity"] = row.capacity
    return body


def attendances_query(
    ctx: CampaignContext, *, event_id: int | None = None, contact_id: int | None = None
) -> Select[Any]:
    query = ctx.scoped(select(EventAttendee), EventAttendee).order_by(EventAttendee.id)
    if event_id is not None:
        query = query.where(EventAttendee.event_id == event_id)
    if contact_id is not None:
        query = query.where(EventAttendee.contact_id == contact_id)
    return query


def attendance(base: str, row: EventAttendee) -> dict[str, Any]:
    created = row.invited_at or row.responded_at or row.checked_in_at
    modified = row.checked_in_at or row.responded_at or created
    body: dict[str, Any] = {
        "identifiers": identifier(row.id),
        "status": ATTENDANCE_STATUS[row.status],
        "attended": row.checked_in_at is not None,
        "_links": {
            "self": link(base, f"events/{row.event_id}/attendances/{row.id}"),
            "osdi:event": link(base, f"events/{row.event_id}"),
            "osdi:person": link(base, f"people/{row.contact_id}"),
        },
    }
    if created is not None:
        body["created_date"] = timestamp(created)
        body["modified_date"] = timestamp(modified)
    return body


# --- donations ---------------------------------------------------------------------------------


def donations_query(ctx: CampaignContext, *, contact_id: int | None = None) -> Select[Any]:
    query = ctx.scoped(select(Donation), Donation).order_by(Donation.id)
    if contact_id is not None:
        query = query.where(Donation.contact_id == contact_id)
    return query


def donation(base: str, row: Donation, recipient: str) -> dict[str, Any]:
    amount = round(row.amount_cents / 100, 2)
    links: dict[str, Any] = {"self": link(base, f"donations/{row.id}")}
    if row.contact_id is not None:
        links["osdi:donor"] = link(base, f"people/{row.contact_id}")
    return {
        "identifiers": identifier(row.id),
        "created_date": timestamp(row.created_at),
        "modified_date": timestamp(row.created_at),
        "currency": "EUR",
        "amount": amount,
        "action_date": timestamp(row.received_on),
        "voided": row.cancelled,
        "payment": {"method": PAYMENT_METHOD[PaymentMethod(row.method)]},
        "recipients": [{"display_name": recipient, "amount": amount}],
        "_links": links,
    }


# --- forms and submissions ---------------------------------------------------------------------


def forms_query(ctx: CampaignContext) -> Select[Any]:
    return ctx.scoped(select(PublicForm), PublicForm).order_by(PublicForm.id)


def get_form(session: Session, ctx: CampaignContext, form_id: int) -> PublicForm:
    row = session.scalar(forms_query(ctx).where(PublicForm.id == form_id))
    if row is None:
        raise NotFound(f"formulaire {form_id} introuvable", loc="formulaire")
    return row


def represent_forms(
    session: Session, ctx: CampaignContext, base: str, rows: Sequence[PublicForm]
) -> list[dict[str, Any]]:
    totals = dict(
        session.execute(
            submissions_query(ctx)
            .where(FormSubmission.form_id.in_([row.id for row in rows]))
            .with_only_columns(FormSubmission.form_id, func.count())
            .group_by(FormSubmission.form_id)
            .order_by(None)
        ).all()
    )
    return [form(base, row, int(totals.get(row.id, 0))) for row in rows]


def form(base: str, row: PublicForm, total_submissions: int) -> dict[str, Any]:
    return {
        "identifiers": identifier(row.id),
        "created_date": timestamp(row.created_at),
        "modified_date": timestamp(row.created_at),
        "name": row.name,
        "title": row.name,
        "description": row.wording,
        "total_submissions": total_submissions,
        "_links": {
            "self": link(base, f"forms/{row.id}"),
            "osdi:submissions": link(base, f"forms/{row.id}/submissions"),
        },
    }


def submissions_query(
    ctx: CampaignContext, *, form_id: int | None = None, contact_id: int | None = None
) -> Select[Any]:
    """Confirmed submissions only: a pending one is an address nobody has confirmed yet."""
    query = (
        ctx.scoped(select(FormSubmission), FormSubmission)
        .where(FormSubmission.confirmed_at.is_not(None))
        .order_by(FormSubmission.id)
    )
    if form_id is not None:
        query = query.where(FormSubmission.form_id == form_id)
    if contact_id is not None:
        query = query.where(FormSubmission.contact_id == contact_id)
    return query


def submission(base: str, row: FormSubmission) -> dict[str, Any]:
    links: dict[str, Any] = {
        "self": link(base, f"forms/{row.form_id}/submissions/{row.id}"),
        "osdi:form": link(base, f"forms/{row.form_id}"),
    }
    if row.contact_id is not None:
        links["osdi:person"] = link(base, f"people/{row.contact_id}")
    return {
        "identifiers": identifier(row.id),
        "created_date": timestamp(row.submitted_at),
        "modified_date": timestamp(row.confirmed_at or row.submitted_at),
        "_links": links,
    }
