"""The person signup helper: create or match a contact of the token's campaign.

Matching is by email, then phone (`circo.crm.contacts.find_by_identity`). Consent rules:
- an email or phone on the campaign's suppression list (the person objected, here or anywhere
  in the movement) is refused: nothing is created, updated or tagged;
- an email ``status`` of ``subscribed`` records an email consent ``granted``, with the token
  and the time as proof; ``unsubscribed`` records it ``withdrawn``; without a status no consent
  is recorded (the contact has no basis for email until one is).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy.orm import Session

from circo.crm import normalise
from circo.crm.contacts import add_tags, create_contact, find_by_identity, update_contact
from circo.crm.models import Contact
from circo.crm.schemas import ContactCreate, ContactUpdate
from circo.db import utcnow
from circo.errors import CircoError
from circo.party.osdi.schemas import EmailAddressIn, PersonIn, PersonPost, PersonSignup
from circo.party.osdi.tokens import OsdiAccess
from circo.privacy.consent import is_suppressed, record_consent

CONSENT_OF_STATUS = {"subscribed": "granted", "unsubscribed": "withdrawn"}


@dataclass(frozen=True)
class SignedUp:
    contact: Contact
    created: bool


def _normalised(kind: str, value: str) -> str:
    try:
        result = (
            normalise.normalise_email(value)
            if kind == "email"
            else normalise.normalise_phone(value)
        )
    except ValueError as exc:
        field = "email_addresses" if kind == "email" else "phone_numbers"
        raise CircoError(f"valeur invalide « {value} » : {exc}", status=422, loc=field) from None
    if not result:
        raise CircoError(f"valeur vide pour {kind}", status=422, loc=kind)
    return result


def person_signup(session: Session, access: OsdiAccess, body: PersonSignup) -> SignedUp:
    """The signup helper (and ``POST /people``): match by email then phone, else create."""
    return upsert_person(session, access, body.person, add=body.add_tags)


Identity = tuple[EmailAddressIn | None, str | None, str | None]


def _identity(person: PersonIn | PersonPost) -> Identity:
    email_in = next((item for item in person.email_addresses if item.primary), None) or (
        person.email_addresses[0] if person.email_addresses else None
    )
    phone_in = person.phone_numbers[0] if person.phone_numbers else None
    email = _normalised("email", email_in.address) if email_in else None
    phone = _normalised("phone", phone_in.number) if phone_in else None
    return email_in, email, phone


def _refuse_opposed(
    session: Session, access: OsdiAccess, email: str | None, phone: str | None
) -> None:
    for kind, value in (("email", email), ("phone", phone)):
        if value and is_suppressed(session, access.ctx, kind=kind, value=value):
            raise CircoError(
                "cette personne s'est opposée à être contactée : elle n'est pas enregistrée",
                status=409,
                loc="email_addresses" if kind == "email" else "phone_numbers",
            )


def _source(access: OsdiAccess) -> str:
    return f"API OSDI (jeton « {access.token.name} »)"[:200]


def _record_email_status(
    session: Session,
    access: OsdiAccess,
    contact: Contact,
    email_in: EmailAddressIn | None,
    email: str | None,
    *,
    via: str,
) -> None:
    status = email_in.status if email_in else None
    if email and status in CONSENT_OF_STATUS:
        record_consent(
            session,
            access.ctx,
            contact_id=contact.id,
            channel="email",
            status=CONSENT_OF_STATUS[status],
            source=_source(access),
            proof={
                "via": via,
                "token": access.token.prefix,
                "token_name": access.token.name,
                "osdi_status": status,
                "received_at": utcnow().isoformat(),
            },
        )


def upsert_person(
    session: Session, access: OsdiAccess, person: PersonIn, *, add: list[str]
) -> SignedUp:
    ctx = access.ctx
    email_in, email, phone = _identity(person)
    if not (email or phone or person.family_name):
        raise CircoError(
            "une personne a au moins un nom, une adresse e-mail ou un téléphone",
            status=422,
            loc="person",
        )
    _refuse_opposed(session, access, email, phone)
    matches = find_by_identity(session, ctx, email=email, phone=phone)
    if matches:
        contact = min(matches, key=lambda found: found.id)
        created = False
        if person.given_name and not contact.first_name:
            contact.first_name = person.given_name
        if phone and not contact.phone:
            contact.phone = phone
        if add:
            add_tags(session, ctx, contact_ids=[contact.id], names=add)
    else:
        address = person.postal_addresses[0] if person.postal_addresses else None
        contact = create_contact(
            session,
            ctx,
            data=ContactCreate(
                first_name=person.given_name,
                last_name=person.family_name,
                email=email,
                phone=phone,
                address_line=" ".join(address.address_lines)[:300] or None if address else None,
                postal_code=address.postal_code if address else None,
                city=address.locality if address else None,
                tags=add,
            ),
            source=_source(access),
        )
        created = True
    _record_email_status(session, access, contact, email_in, email, via="osdi person_signup_helper")
    session.flush()
    return SignedUp(contact=contact, created=created)


def update_person(
    session: Session, access: OsdiAccess, contact: Contact, body: PersonPost
) -> Contact:
    """``PUT /people/{id}``: the fields given change; an email or phone of another person of
    the campaign is refused (409: merge them in circo), an opposed one too."""
    ctx = access.ctx
    email_in, email, phone = _identity(body)
    _refuse_opposed(session, access, email, phone)
    for other in find_by_identity(session, ctx, email=email, phone=phone):
        if other.id != contact.id:
            raise CircoError(
                f"cette adresse ou ce numéro est déjà celui de la personne circo:{other.id} "
                "(fusionnez-les dans circo)",
                status=409,
                loc="email_addresses" if email else "phone_numbers",
            )
    changes: dict[str, object] = {}
    if body.given_name is not None:
        changes["first_name"] = body.given_name
    if body.family_name is not None:
        changes["last_name"] = body.family_name
    if email:
        changes["email"] = email
    if phone:
        changes["phone"] = phone
    if body.postal_addresses:
        address = body.postal_addresses[0]
        changes["address_line"] = " ".join(address.address_lines)[:300] or None
        changes["postal_code"] = address.postal_code
        changes["city"] = address.locality or ""
    if changes:
        try:
            data = ContactUpdate.model_validate(changes)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise CircoError(
                f"valeur invalide : {first['msg']}", status=422, loc=str(first["loc"][0])
            ) from None
        update_contact(session, ctx, contact_id=contact.id, data=data)
    if body.add_tags:
        add_tags(session, ctx, contact_ids=[contact.id], names=body.add_tags)
    _record_email_status(session, access, contact, email_in, email, via="osdi PUT people")
    session.flush()
    return contact
