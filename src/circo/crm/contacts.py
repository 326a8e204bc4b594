"""Contacts: create, update, read, search, tags, custom fields, answers, households.

Every read goes through `visible_contacts`, which scopes to the campaign and applies the
privacy rule "a volunteer sees only the people on the turfs assigned to them".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Select, and_, delete, func, or_, select
from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext, campaign_filter
from circo.crm import normalise
from circo.crm.errors import ContactFieldError, ContactNotFound, CrmError
from circo.crm.models import (
    Contact,
    ContactAnswer,
    ContactTag,
    CustomField,
    Household,
    RelationshipKind,
    Tag,
)
from circo.crm.schemas import ContactCreate, ContactUpdate
from circo.crm.timeline import add_interaction
from circo.db import utcnow
from circo.privacy.scope import contact_visibility

SEARCH_LIMIT = 50
RELATIONSHIP_KINDS = tuple(kind.value for kind in RelationshipKind)


def visible_contacts(session: Session, ctx: CampaignContext) -> Select[Contact]:
    """The campaign's contacts the caller may see (volunteers: only their turfs)."""
    query = ctx.scoped(select(Contact), Contact)
    return query.where(contact_visibility(session, ctx, Contact.id))


def get_contact(session: Session, ctx: CampaignContext, contact_id: int) -> Contact:
    """The contact, or 404 (another campaign's, or outside a volunteer's turfs)."""
    contact = session.scalar(visible_contacts(session, ctx).where(Contact.id == contact_id))
    if contact is None:
        raise ContactNotFound(f"contact {contact_id} introuvable", loc="contact")
    return contact


def normalise_fields(values: dict[str, Any]) -> dict[str, Any]:
    """Normalised copy of contact fields; `ContactFieldError` (field, reason) when one is
    invalid."""
    result = dict(values)
    checks: dict[str, Callable[[Any], str | None]] = {
        "email": normalise.normalise_email,
        "phone": normalise.normalise_phone,
        "postal_code": normalise.normalise_postal_code,
        "commune_code": normalise.normalise_commune_code,
        "address_line": normalise.normalise_address_line,
    }
    for field, function in checks.items():
        if field in result:
            try:
                result[field] = function(result[field])
            except ValueError as exc:
                raise ContactFieldError(field, str(exc)) from None
    if "first_name" in result or "last_name" in result:
        first, last = normalise.person_name(result.get("first_name"), result.get("last_name"))
        result["first_name"], result["last_name"] = first, last
    for field in ("city", "polling_station", "source"):
        if field in result and result[field] is not None:
            result[field] = normalise.clean_text(str(result[field])) or None
    kind = result.get("relationship_kind")
    if kind is not None and kind not in RELATIONSHIP_KINDS:
        raise ContactFieldError(
            "relationship_kind",
            f"« {kind} » inconnu (attendu : {', '.join(RELATIONSHIP_KINDS)})",
        )
    return result


def derived_fields(contact_fields: dict[str, Any]) -> dict[str, Any]:
    """Search columns computed from the names."""
    first = contact_fields.get("first_name") or ""
    last = contact_fields.get("last_name") or ""
    search_name, search_name_rev = normalise.search_forms(first, last)
    return {
        "search_name": search_name,
        "search_name_rev": search_name_rev,
        "name_key": normalise.name_key(first, last),
    }


def _refresh_derived(contact: Contact) -> None:
    for key, value in derived_fields(
        {"first_name": contact.first_name, "last_name": contact.last_name}
    ).items():
        setattr(contact, key, value)


def create_contact(
    session: Session, ctx: CampaignContext, *, data: ContactCreate, source: str = "saisie"
) -> Contact:
    values = data.model_dump(exclude={"tags"})
    values = normalise_fields(values)
    if not (values["last_name"] or values["email"] or values["phone"]):
        raise CrmError("un contact a au moins un nom, un e-mail ou un téléphone", loc="last_name")
    values["source"] = values.get("source") or source
    contact = Contact(campaign_id=ctx.campaign_id, **values, **derived_fields(values))
    session.add(contact)
    session.flush()
    assign_household(session, ctx, contact)
    if data.tags:
        add_tags(session, ctx, contact_ids=[contact.id], names=data.tags)
    add_interaction(
        session, ctx, contact_id=contact.id, kind="edit", summary=f"création ({values['source']})"
    )
    from circo.party.models import WebhookEvent
    from circo.party.webhooks import emit

    emit(
        session,
        ctx,
        event=WebhookEvent.contact_created,
        contact_id=contact.id,
        data={
            "contact": {
                key: getattr(contact, key)
                for key in ("id", "first_name", "last_name", "email", "phone", "postal_code")
            }
        },
    )
    return contact


def update_contact(
    session: Session, ctx: CampaignContext, *, contact_id: int, data: ContactUpdate
) -> Contact:
    """Rectification: change the given fields and keep the list of changed fields (not the old
    values) on the timeline."""
    contact = get_contact(session, ctx, contact_id)
    changes = data.model_dump(exclude_unset=True)
    changes = normalise_fields(changes)
    changed = [key for key, value in changes.items() if getattr(contact, key) != value]
    for key in changed:
        setattr(contact, key, changes[key])
    if {"first_name", "last_name"} & set(changed):
        _refresh_derived(contact)
    if {"address_line", "postal_code"} & set(changed):
        assign_household(session, ctx, contact)
    contact.updated_at = utcnow()
    session.flush()
    if changed:
        add_interaction(
            session,
            ctx,
            contact_id=contact.id,
            kind="edit",
            summary="modification : " + ", ".join(sorted(changed)),
        )
    return contact


def assign_household(session: Session, ctx: CampaignContext, contact: Contact) -> None:
    key = normalise.household_key(contact.address_line, contact.postal_code)
    if key is None:
        contact.household_id = None
        return
    household = session.scalar(
        ctx.scoped(select(Household), Household).where(Household.address_key == key)
    )
    if household is None:
        household = Household(campaign_id=ctx.campaign_id, address_key=key)
        session.add(household)
        session.flush()
    contact.household_id = household.id
    session.flush()


def household_members(session: Session, ctx: CampaignContext, *, contact: Contact) -> list[Contact]:
    if contact.household_id is None:
        return []
    query = visible_contacts(session, ctx).where(
        Contact.household_id == contact.household_id, Contact.id != contact.id
    )
    return list(session.scalars(query))


# --- search -----------------------------------------------------------------------------------


def _prefix_clause(column: Any, prefix: str) -> Any:
    """Index-friendly prefix match: a range on the normalised column, plus LIKE for safety."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(column >= prefix, column < upper, column.like(prefix.replace("%", "") + "%"))


def search_contacts(
    session: Session,
    ctx: CampaignContext,
    *,
    query: str = "",
    limit: int = SEARCH_LIMIT,
    offset: int = 0,
) -> list[Contact]:
    """Contacts by name prefix ("dup", "jean dup", "dupont j"), exact email or phone, ordered
    by name. A name prefix runs as two index range scans (last-first and first-last forms)."""
    statement = visible_contacts(session, ctx)
    text = query.strip()
    folded = normalise.fold(text)
    if text and "@" not in text and not _looks_like_phone(text) and folded:
        wanted = limit + offset
        found: dict[int, Contact] = {}
        for column in (Contact.search_name, Contact.search_name_rev):
            part = statement.where(_prefix_clause(column, folded))
            ordered = part.order_by(Contact.search_name, Contact.id).limit(wanted)
            found.update((contact.id, contact) for contact in session.scalars(ordered))
        merged = sorted(found.values(), key=lambda contact: (contact.search_name, contact.id))
        return merged[offset : offset + limit]
    if text:
        statement = statement.where(_search_clause(text))
    ordered = statement.order_by(Contact.search_name, Contact.id)
    return list(session.scalars(ordered.limit(limit).offset(offset)))


def _looks_like_phone(text: str) -> bool:
    digits = "".join(char for char in text if char.isdigit())
    return len(digits) >= 6 and len(digits) >= len(text.replace(" ", "")) - 1


def _search_clause(text: str) -> Any:
    if "@" in text:
        return Contact.email == text.lower()
    digits = "".join(char for char in text if char.isdigit())
    if _looks_like_phone(text):
        try:
            return Contact.phone == normalise.normalise_phone(text)
        except ValueError:
            return Contact.phone.like(f"%{digits[-8:]}")
    folded = normalise.fold(text)
    if not folded:
        return Contact.id.is_(None)
    return or_(
        _prefix_clause(Contact.search_name, folded),
        _prefix_clause(Contact.search_name_rev, folded),
    )


def count_contacts(session: Session, ctx: CampaignContext) -> int:
    subquery = visible_contacts(session, ctx).subquery()
    return session.scalar(select(func.count()).select_from(subquery)) or 0


def find_by_identity(
    session: Session, ctx: CampaignContext, *, email: str | None = None, phone: str | None = None
) -> list[Contact]:
    """Contacts of the campaign with this email and/or phone (normalised before matching)."""
    clauses = []
    if email:
        normalised = normalise.normalise_email(email)
        clauses.append(Contact.email == normalised)
        clauses.append(Contact.other_emails.is_not(None))
    if phone:
        clauses.append(Contact.phone == normalise.normalise_phone(phone))
    if not clauses:
        return []
    rows = session.scalars(ctx.scoped(select(Contact), Contact).where(or_(*clauses)))
    wanted_email = normalise.normalise_email(email) if email else None
    wanted_phone = normalise.normalise_phone(phone) if phone else None
    return [
        contact
        for contact in rows
        if (
            wanted_email
            and (contact.email == wanted_email or wanted_email in (contact.other_emails or []))
        )
        or (
            wanted_phone
            and (contact.phone == wanted_phone or wanted_phone in (contact.other_phones or []))
        )
    ]


# --- tags, custom fields, answers -------------------------------------------------------------


def tag_ids(session: Session, ctx: CampaignContext, names: Iterable[str]) -> dict[str, int]:
    """Ids of the tags with these names, creating the missing ones."""
    wanted = {normalise.clean_text(name) for name in names if normalise.clean_text(name)}
    existing = {
        tag.name: tag.id
        for tag in session.scalars(ctx.scoped(select(Tag), Tag).where(Tag.name.in_(wanted)))
    }
    for name in sorted(wanted - set(existing)):
        tag = Tag(campaign_id=ctx.campaign_id, name=name[:100])
        session.add(tag)
        session.flush()
        existing[name] = tag.id
    return existing


def add_tags(
    session: Session, ctx: CampaignContext, *, contact_ids: Iterable[int], names: Iterable[str]
) -> None:
    ids = tag_ids(session, ctx, names)
    contact_list = list(contact_ids)
    present = set(
        session.execute(
            select(ContactTag.contact_id, ContactTag.tag_id).where(
                ContactTag.contact_id.in_(contact_list), ContactTag.tag_id.in_(ids.values())
            )
        )
    )
    for contact_id in contact_list:
        for tag_id in ids.values():
            if (contact_id, tag_id) not in present:
                session.add(
                    ContactTag(contact_id=contact_id, tag_id=tag_id, campaign_id=ctx.campaign_id)
                )
    session.flush()


def remove_tag(session: Session, ctx: CampaignContext, *, contact_id: int, name: str) -> None:
    get_contact(session, ctx, contact_id)
    tag_id = session.scalar(ctx.scoped(select(Tag.id), Tag).where(Tag.name == name))
    if tag_id is not None:
        session.execute(
            delete(ContactTag).where(
                ContactTag.contact_id == contact_id, ContactTag.tag_id == tag_id
            )
        )


def tags_of(
    session: Session, ctx: CampaignContext, *, contact_ids: Iterable[int]
) -> dict[int, list[str]]:
    rows = session.execute(
        select(ContactTag.contact_id, Tag.name)
        .join(Tag, Tag.id == ContactTag.tag_id)
        .where(campaign_filter(ContactTag, ctx), ContactTag.contact_id.in_(list(contact_ids)))
        .order_by(Tag.name)
    )
    result: dict[int, list[str]] = {}
    for contact_id, name in rows:
        result.setdefault(contact_id, []).append(name)
    return result


def list_tags(session: Session, ctx: CampaignContext) -> list[Tag]:
    return list(session.scalars(ctx.scoped(select(Tag), Tag).order_by(Tag.name)))


def define_custom_field(
    session: Session,
    ctx: CampaignContext,
    *,
    key: str,
    label: str,
    kind: str = "text",
    choices: list[str] | None = None,
) -> CustomField:
    clean_key = normalise.fold(key).replace(" ", "_")
    if not clean_key:
        raise CrmError(f"clé de champ invalide « {key} » (ex. quartier)", loc="key")
    if kind not in ("text", "number", "date", "choice"):
        raise CrmError(f"type de champ inconnu « {kind} » (text, number, date, choice)", loc="kind")
    field = session.scalar(
        ctx.scoped(select(CustomField), CustomField).where(CustomField.key == clean_key)
    )
    if field is None:
        field = CustomField(campaign_id=ctx.campaign_id, key=clean_key)
        session.add(field)
    field.label, field.kind, field.choices = label, kind, choices or []
    session.flush()
    return field


def custom_fields(session: Session, ctx: CampaignContext) -> list[CustomField]:
    return list(
        session.scalars(ctx.scoped(select(CustomField), CustomField).order_by(CustomField.key))
    )


def record_answer(
    session: Session,
    ctx: CampaignContext,
    *,
    contact_id: int,
    question: str,
    answer: str,
    sensitive: bool = False,
    source: str | None = None,
) -> ContactAnswer:
    """Attach an answer to a person. A sensitive one (political opinion) is refused unless the
    person gave explicit consent: the caller then keeps it at bureau level."""
    from circo.privacy.consent import can_store_opinion
    from circo.privacy.errors import ConsentRequired

    contact = get_contact(session, ctx, contact_id)
    if sensitive:
        decision = can_store_opinion(session, ctx, contact.id)
        if not decision.allowed:
            raise ConsentRequired(
                "opinion politique non enregistrée sur la personne : pas de consentement "
                "explicite (art. 9 RGPD) — gardez la réponse au niveau du bureau de vote",
                loc="answer",
            )
    row = ContactAnswer(
        campaign_id=ctx.campaign_id,
        contact_id=contact.id,
        question=question[:200],
        answer=answer[:500],
        sensitive=sensitive,
        source=source,
    )
    session.add(row)
    session.flush()
    add_interaction(
        session,
        ctx,
        contact_id=contact.id,
        kind="visit" if source == "field" else "note",
        summary=f"réponse « {question[:60]} »",
    )
    return row


def answers_of(session: Session, ctx: CampaignContext, *, contact_id: int) -> list[ContactAnswer]:
    query = ctx.scoped(select(ContactAnswer), ContactAnswer).where(
        ContactAnswer.contact_id == contact_id
    )
    return list(session.scalars(query.order_by(ContactAnswer.recorded_at)))


def add_note(session: Session, ctx: CampaignContext, *, contact_id: int, text: str) -> None:
    get_contact(session, ctx, contact_id)
    add_interaction(session, ctx, contact_id=contact_id, kind="note", summary=text[:2000])
