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

from sqlalchemy.orm import Session

from circo.crm import normalise
from circo.crm.contacts import add_tags, create_contact, find_by_identity
from circo.crm.models import Contact
from circo.crm.schemas import ContactCreate
from circo.db import utcnow
from circo.errors import CircoError
from circo.party.osdi.schemas import PersonSignup
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
    ctx = access.ctx
    person = body.person
    email_in = next((item for item in person.email_addresses if item.primary), None) or (
        person.email_addresses[0] if person.email_addresses else None
    )
    phone_in = person.phone_numbers[0] if person.phone_numbers else None
    email = _normalised("email", email_in.address) if email_in else None
    phone = _normalised("phone", phone_in.number) if phone_in else None
    if not (email or phone or person.family_name):
        raise CircoError(
            "une personne a au moins un nom, une adresse e-mail ou un téléphone",
            status=422,
            loc="person",
        )
    for kind, value in (("email", email), ("phone", phone)):
        if value and is_suppressed(session, ctx, kind=kind, value=value):
            raise CircoError(
                "cette personne s'est opposée à être contactée : elle n'est pas enregistrée",
                status=409,
                loc="email_addresses" if kind == "email" else "phone_numbers",
            )
    matches = find_by_identity(session, ctx, email=email, phone=phone)
    source = f"API OSDI (jeton « {access.token.name} »)"
    if matches:
        contact = min(matches, key=lambda found: found.id)
        created = False
        if person.given_name and not contact.first_name:
            contact.first_name = person.given_name
        if phone and not contact.phone:
            contact.phone = phone
        if body.add_tags:
            add_tags(session, ctx, contact_ids=[contact.id], names=body.add_tags)
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
                tags=body.add_tags,
            ),
            source=source[:200],
        )
        created = True
    status = email_in.status if email_in else None
    if email and status in CONSENT_OF_STATUS:
        record_consent(
            session,
            ctx,
            contact_id=contact.id,
            channel="email",
            status=CONSENT_OF_STATUS[status],
            source=source,
            proof={
                "via": "osdi person_signup_helper",
                "token": access.token.prefix,
                "token_name": access.token.name,
                "osdi_status": status,
                "received_at": utcnow().isoformat(),
            },
        )
    session.flush()
    return SignedUp(contact=contact, created=created)
