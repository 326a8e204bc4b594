"""Consent per channel, opposition, suppression list and the `can_contact` decision."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext, campaign_filter
from circo.crm.models import Contact
from circo.crm.timeline import add_interaction
from circo.labels import label
from circo.privacy.errors import NotFound, PrivacyError
from circo.privacy.models import (
    Channel,
    ConsentChannel,
    ConsentRecord,
    ConsentStatus,
    Opposition,
    Suppression,
)

# Explicit consent to keep political opinions on the person (GDPR art. 9).
POLITICAL_OPINIONS = ConsentChannel.political_opinions.value
CONSENT_CHANNELS = (*[channel.value for channel in Channel], POLITICAL_OPINIONS)
# Prior opt-in required, no other legal basis (CPCE L34-5; CNIL on political communication).
OPT_IN_ONLY = {Channel.sms, Channel.automated_call}
# People in regular contact with the campaign (CNIL: members, supporters, volunteers, donors)
# may be emailed or called on legitimate interest, unless they object.
REGULAR_RELATIONSHIPS = {"member", "supporter", "volunteer", "donor"}


@dataclass(frozen=True)
class Decision:
    """Whether a person may be contacted on a channel, on which legal basis, and why."""

    allowed: bool
    basis: str | None
    reason: str  # French, for people
    consent_id: int | None = None
    # For code (never parse ``reason``): opposition, suppressed, consent_<status>, no_address,
    # opt_in_required, no_consent, unknown_contact, legitimate_interest, regular_contact,
    # explicit_consent, no_explicit_consent.
    code: str = ""

    @property
    def opposed(self) -> bool:
        """Refused because the person objected (opposition, suppression list)."""
        return self.code in ("opposition", "suppressed")


def parse_channel(value: str, *, allow_opinions: bool = False) -> str:
    allowed = CONSENT_CHANNELS if allow_opinions else tuple(channel.value for channel in Channel)
    text = value.strip().lower()
    if text not in allowed:
        raise PrivacyError(
            f"canal inconnu « {value} » (attendu l'un de : {', '.join(allowed)})", loc="channel"
        )
    return text


def parse_status(value: str) -> ConsentStatus:
    try:
        return ConsentStatus(value.strip().lower())
    except ValueError:
        raise PrivacyError(
            f"statut de consentement inconnu « {value} » (attendu granted, refused ou withdrawn)",
            loc="status",
        ) from None


def _contact(session: Session, ctx: CampaignContext, contact_id: int) -> Contact:
    contact = session.scalar(ctx.scoped(select(Contact), Contact).where(Contact.id == contact_id))
    if contact is None:
        raise NotFound(f"contact {contact_id} introuvable dans cette campagne", loc="contact")
    return contact


def record_consent(
    session: Session,
    ctx: CampaignContext,
    *,
    contact_id: int,
    channel: str,
    status: str,
    source: str,
    proof: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> ConsentRecord:
    """Append a consent record (the newest per channel wins) and write it on the timeline.

    ``proof`` is what lets the campaign prove it later: the form, file and row, the wording
    shown, the provider's message id… ``channel`` may also be ``"political_opinions"``."""
    parsed_channel = parse_channel(channel, allow_opinions=True)
    parsed_status = parse_status(status)
    _contact(session, ctx, contact_id)
    record = ConsentRecord(
        campaign_id=ctx.campaign_id,
        contact_id=contact_id,
        channel=parsed_channel,
        status=parsed_status.value,
        source=source[:200],
        proof=proof or {},
        actor=ctx.actor.email,
    )
    if at is not None:
        record.recorded_at = at
    session.add(record)
    session.flush()
    add_interaction(
        session,
        ctx,
        contact_id=contact_id,
        kind="consent",
        summary=(
            f"consentement {label(parsed_channel, 'channel')} : "
            f"{label(parsed_status, 'consent_status')} ({source[:80]})"
        ),
        data={"consent_id": record.id},
    )
    return record


def record_opposition(
    session: Session,
    ctx: CampaignContext,
    *,
    contact_id: int,
    channel: str = "all",
    source: str,
) -> Opposition:
    """The person objects: honoured at once by `can_contact` (every channel with ``"all"``)."""
    parsed = "all" if channel == "all" else parse_channel(channel)
    _contact(session, ctx, contact_id)
    opposition = Opposition(
        campaign_id=ctx.campaign_id,
        contact_id=contact_id,
        channel=parsed,
        source=source[:200],
        actor=ctx.actor.email,
    )
    session.add(opposition)
    session.flush()
    add_interaction(
        session,
        ctx,
        contact_id=contact_id,
        kind="opposition",
        summary=f"opposition ({parsed}) : {source[:80]}",
    )
    from circo.party.models import WebhookEvent
    from circo.party.webhooks import emit

    emit(
        session,
        ctx,
        event=WebhookEvent.opposition,
        contact_id=contact_id,
        data={"contact_id": contact_id, "channel": parsed, "source": source[:200]},
    )
    if parsed == "all":  # an objection to the movement: every campaign of its tree honours it
        from circo.party.sharing import propagate_opposition

        propagate_opposition(session, ctx, contact_id=contact_id)
    return opposition


def latest_consents(
    session: Session, ctx: CampaignContext, *, contact_ids: Iterable[int] | None = None
) -> dict[tuple[int, str], ConsentRecord]:
    """The newest consent record per (contact, channel)."""
    query = ctx.scoped(select(ConsentRecord), ConsentRecord).order_by(ConsentRecord.id)
    ids = None if contact_ids is None else list(contact_ids)
    latest: dict[tuple[int, str], ConsentRecord] = {}
    for chunk in _chunks(ids):
        chunk_query = query if chunk is None else query.where(ConsentRecord.contact_id.in_(chunk))
        for record in session.scalars(chunk_query):
            latest[(record.contact_id, record.channel)] = record
    return latest


def consent_history(
    session: Session, ctx: CampaignContext, *, contact_id: int
) -> list[ConsentRecord]:
    query = ctx.scoped(select(ConsentRecord), ConsentRecord).where(
        ConsentRecord.contact_id == contact_id
    )
    return list(session.scalars(query.order_by(ConsentRecord.id.desc())))


def oppositions_of(session: Session, ctx: CampaignContext, *, contact_id: int) -> list[Opposition]:
    query = ctx.scoped(select(Opposition), Opposition).where(Opposition.contact_id == contact_id)
    return list(session.scalars(query.order_by(Opposition.id)))


def _chunks(ids: list[int] | None, size: int = 900) -> Iterable[list[int] | None]:
    if ids is None:
        yield None
        return
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


# --- suppression list -------------------------------------------------------------------------


def _salt(ctx: CampaignContext) -> bytes:
    """Per-campaign random key of the suppression hashes, kept in the campaign's settings."""
    settings = dict(ctx.campaign.settings or {})
    salt = settings.get("privacy_salt")
    if not salt:
        salt = secrets.token_hex(16)
        settings["privacy_salt"] = salt
        ctx.campaign.settings = settings
    return str(salt).encode()


def identity_hash(ctx: CampaignContext, kind: str, value: str) -> str:
    """Keyed hash of a normalised email or phone (the value itself is never stored)."""
    return hmac.new(_salt(ctx), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def suppress(session: Session, ctx: CampaignContext, *, kind: str, value: str, reason: str) -> None:
    digest = identity_hash(ctx, kind, value)
    exists = session.scalar(
        ctx.scoped(select(Suppression.id), Suppression).where(Suppression.value_hash == digest)
    )
    if exists is None:
        session.add(
            Suppression(campaign_id=ctx.campaign_id, kind=kind, value_hash=digest, reason=reason)
        )
        session.flush()


def suppressed_hashes(session: Session, ctx: CampaignContext) -> set[str]:
    return set(session.scalars(ctx.scoped(select(Suppression.value_hash), Suppression)))


def is_suppressed(session: Session, ctx: CampaignContext, *, kind: str, value: str) -> bool:
    digest = identity_hash(ctx, kind, value)
    return (
        session.scalar(
            ctx.scoped(select(Suppression.id), Suppression).where(Suppression.value_hash == digest)
        )
        is not None
    )


# --- decisions --------------------------------------------------------------------------------

_ADDRESS_NEEDED = {
    Channel.email: "aucune adresse e-mail",
    Channel.sms: "aucun numéro de téléphone",
    Channel.phone: "aucun numéro de téléphone",
    Channel.automated_call: "aucun numéro de téléphone",
    Channel.post: "aucune adresse postale",
}


def _has_address(contact: Any, channel: Channel) -> bool:
    # ``==`` on the string: a StrEnum member lookup per contact costs more than the decision.
    if channel == "email":
        return bool(contact.email)
    if channel == "post":
        return bool(contact.address_line and (contact.postal_code or contact.city))
    return bool(contact.phone)


# What a decision reads of a contact and of its newest consent: plain columns, not whole rows
# (a call list decides for 100 000 contacts; loading the objects and their JSON would dominate).
_CONTACT_FACTS = (
    Contact.id,
    Contact.email,
    Contact.phone,
    Contact.address_line,
    Contact.postal_code,
    Contact.city,
    Contact.relationship_kind,
)
# Ids per IN list of a decision query: under SQLite's 32 766 bound parameters and PostgreSQL's
# 65 535; 100 000 contacts are 10 queries per table, not 112.
_DECIDE_CHUNK = 10_000
_CONSENT_FACTS = (
    ConsentRecord.id,
    ConsentRecord.contact_id,
    ConsentRecord.status,
    ConsentRecord.source,
    ConsentRecord.recorded_at,
)


def decide_many(
    session: Session,
    ctx: CampaignContext,
    *,
    contact_ids: Iterable[int] | Select[Any] | None,
    channel: str,
) -> dict[int, Decision]:
    """`can_contact` for many contacts at once: a list of ids, a query selecting contact ids
    (a segment: read in one pass, no list of bound ids) or ``None`` (every contact)."""
    parsed = Channel(parse_channel(channel))
    selection = contact_ids if isinstance(contact_ids, Select) else None
    ids = None if contact_ids is None or isinstance(contact_ids, Select) else list(contact_ids)

    def restricted(query: Any, column: Any, chunk: list[int] | None) -> Any:
        if selection is not None:  # never correlated with the outer query's contacts
            return query.where(column.in_(selection.correlate(None).scalar_subquery()))
        return query if chunk is None else query.where(column.in_(chunk))

    contacts: list[Any] = []
    for chunk in _chunks(ids, _DECIDE_CHUNK):
        query = select(*_CONTACT_FACTS).where(campaign_filter(Contact, ctx))
        contacts.extend(session.execute(restricted(query, Contact.id, chunk)))
    found_ids = {contact.id for contact in contacts}
    # Oppositions and consents: by chunks of ids for a list; for a query (a segment, often most
    # of the campaign) the campaign's rows on the channel, kept for the contacts found — one
    # indexed read, whatever plan the database would pick for a large semi-join.
    found = None if ids is None else sorted(found_ids)
    opposed: dict[int, Opposition] = {}
    for chunk in _chunks(found, _DECIDE_CHUNK):
        opposition_query = ctx.scoped(select(Opposition), Opposition).where(
            Opposition.channel.in_(["all", parsed.value])
        )
        if chunk is not None:
            opposition_query = opposition_query.where(Opposition.contact_id.in_(chunk))
        for opposition in session.scalars(opposition_query.order_by(Opposition.id)):
            if opposition.contact_id in found_ids:
                opposed.setdefault(opposition.contact_id, opposition)
    consents: dict[int, Any] = {}
    for chunk in _chunks(found, _DECIDE_CHUNK):
        consent_query = (
            select(*_CONSENT_FACTS)
            .where(campaign_filter(ConsentRecord, ctx), ConsentRecord.channel == parsed.value)
            .order_by(ConsentRecord.id)
        )
        if chunk is not None:
            consent_query = consent_query.where(ConsentRecord.contact_id.in_(chunk))
        for record in session.execute(consent_query):
            if record.contact_id in found_ids:
                consents[record.contact_id] = record  # ordered by id: the newest wins
    suppressed = suppressed_hashes(session, ctx)
    decisions = {
        contact.id: _decide(ctx, contact, parsed, opposed, consents, suppressed)
        for contact in contacts
    }
    for missing in ids or []:
        if missing not in decisions:
            decisions[missing] = Decision(
                False, None, "contact inconnu dans cette campagne", code="unknown_contact"
            )
    return decisions


def _decide(
    ctx: CampaignContext,
    contact: Any,  # a row of _CONTACT_FACTS
    channel: Channel,
    opposed: dict[int, Opposition],
    consents: dict[int, Any],  # contact id → newest row of _CONSENT_FACTS on ``channel``
    suppressed: set[str],
) -> Decision:
    opposition = opposed.get(contact.id)
    if opposition is not None:
        day = opposition.recorded_at.date().isoformat()
        return Decision(
            False,
            None,
            f"opposition enregistrée le {day} ({label(opposition.channel, 'channel')})",
            code="opposition",
        )
    if not _has_address(contact, channel):
        return Decision(False, None, _ADDRESS_NEEDED[channel], code="no_address")
    if suppressed:
        kind, value = ("email", contact.email) if channel == "email" else ("phone", None)
        if channel != "email" and channel != "post":
            value = contact.phone
        if value and identity_hash(ctx, kind, value) in suppressed:
            return Decision(
                False, None, "adresse sur la liste d'opposition / effacement", code="suppressed"
            )
    consent = consents.get(contact.id)
    if consent is not None:
        if consent.status == ConsentStatus.granted:
            day = consent.recorded_at.date().isoformat()
            return Decision(
                True,
                "consent",
                f"consentement du {day} ({consent.source})",
                consent.id,
                code="consent_granted",
            )
        return Decision(
            False,
            None,
            f"consentement {label(consent.status, 'consent_status')} "
            f"le {consent.recorded_at.date()}",
            consent.id,
            code=f"consent_{consent.status}",
        )
    if channel in OPT_IN_ONLY:
        return Decision(
            False,
            None,
            f"{label(channel, 'channel')} : accord préalable requis",
            code="opt_in_required",
        )
    if channel == "post":
        return Decision(
            True,
            "legitimate_interest",
            "courrier postal, sans opposition",
            code="legitimate_interest",
        )
    if contact.relationship_kind in REGULAR_RELATIONSHIPS:
        return Decision(
            True,
            "legitimate_interest",
            _regular_reason(contact.relationship_kind),
            code="regular_contact",
        )
    return Decision(
        False,
        None,
        f"{label(channel, 'channel')} : consentement requis (aucun enregistré)",
        code="no_consent",
    )


@functools.lru_cache(maxsize=32)
def _regular_reason(relationship_kind: str) -> str:
    return f"contact régulier ({label(relationship_kind, 'relationship')}), sans opposition"


def can_contact(session: Session, ctx: CampaignContext, contact_id: int, channel: str) -> Decision:
    """May the campaign contact this person on ``channel``? See the package docstring."""
    return decide_many(session, ctx, contact_ids=[contact_id], channel=channel)[contact_id]


def can_store_opinion(session: Session, ctx: CampaignContext, contact_id: int) -> Decision:
    """Political opinions (GDPR art. 9) may be kept on the person only with explicit consent;
    otherwise the caller keeps the answer at bureau level."""
    consents = latest_consents(session, ctx, contact_ids=[contact_id])
    record = consents.get((contact_id, POLITICAL_OPINIONS))
    if record is not None and record.status == ConsentStatus.granted:
        return Decision(
            True,
            "explicit_consent",
            "consentement explicite (art. 9 RGPD)",
            record.id,
            code="explicit_consent",
        )
    return Decision(
        False,
        None,
        "pas de consentement explicite : garder au niveau du bureau",
        code="no_explicit_consent",
    )


def reassign_contact(
    session: Session, ctx: CampaignContext, *, from_contact_id: int, to_contact_id: int
) -> None:
    """After a merge of duplicates: the consent and opposition history follows the person."""
    from sqlalchemy import update

    for model in (ConsentRecord, Opposition):
        session.execute(
            update(model)
            .where(campaign_filter(model, ctx), model.contact_id == from_contact_id)
            .values(contact_id=to_contact_id)
        )
    from circo.privacy.models import RightsRequest

    session.execute(
        update(RightsRequest)
        .where(
            campaign_filter(RightsRequest, ctx),
            RightsRequest.contact_id == from_contact_id,
        )
        .values(contact_id=to_contact_id)
    )
    session.flush()
