"""Who a rights request is about: the matching contacts, every form of their identity, and their
entries in the electoral roll (`circo.crm.personal.roll_matches`)."""

from __future__ import annotations

from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import Session

from circo.core.personal import Identity
from circo.core.tenancy import CampaignContext
from circo.crm import normalise
from circo.crm.models import Contact
from circo.privacy.errors import PrivacyError


def resolve_identity(
    session: Session, ctx: CampaignContext, *, email: str | None = None, phone: str | None = None
) -> tuple[Identity, list[Contact]]:
    """The contacts with this email or phone and every form of their identity."""
    if not email and not phone:
        raise PrivacyError("indiquez --email ou --phone", loc="--email")
    wanted_email = normalise.normalise_email(email) if email else None
    wanted_phone = normalise.normalise_phone(phone) if phone else None
    clauses = []
    if wanted_email:
        clauses.append(Contact.email == wanted_email)
        clauses.append(cast(Contact.other_emails, String).like(f"%{wanted_email}%"))
    if wanted_phone:
        clauses.append(Contact.phone == wanted_phone)
        clauses.append(cast(Contact.other_phones, String).like(f"%{wanted_phone}%"))
    contacts = list(
        session.scalars(
            ctx.scoped(select(Contact), Contact).where(or_(*clauses)).order_by(Contact.id)
        )
    )
    identity = Identity(contact_ids=[contact.id for contact in contacts])
    if wanted_email:
        identity.emails.add(wanted_email)
    if wanted_phone:
        identity.phones.add(wanted_phone)
    for contact in contacts:
        identity.emails.update(
            value for value in [contact.email, *(contact.other_emails or [])] if value
        )
        identity.phones.update(
            value for value in [contact.phone, *(contact.other_phones or [])] if value
        )
        if contact.last_name:
            identity.names.add((contact.first_name, contact.last_name))
    return identity, contacts
