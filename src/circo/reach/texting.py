"""Person-to-person texting: each text is sent by a person, one action per message.

Rules:
- a texting campaign is a snapshot of a segment kept to the people the campaign may text
  (`circo.privacy.decide_many` on the ``sms`` channel: prior consent, a number, no opposition);
  the others are counted as ``no_basis`` or ``opposed``;
- "send next" sends exactly one text, through the SMS provider (`circo.messaging.providers`):
  the calendar (L49 silence, contact hours) and the person's rights are checked at that moment;
  the entry is claimed and committed before the provider is called, so a text is never sent
  twice (a lost answer leaves it ``failed`` with the reason, never re-sent);
- replies arrive through the provider's webhook (a signed address) into a shared inbox, assigned
  to the volunteer who sent the text; STOP and its French variants record an opposition to SMS at
  once and one acknowledgement is sent (once per number);
- suggested answers come from the assistant's knowledge base (`circo.assistant.retrieval`), each
  with its citation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, or_, select, update
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.models import Role
from circo.core.security import sign, unsign
from circo.core.tenancy import CampaignContext, campaign_filter
from circo.crm.models import Contact
from circo.crm.segments import resolve_segment, segment_contact_ids, segment_query
from circo.crm.timeline import add_interaction
from circo.db import utcnow
from circo.messaging.directory import contact_ids_by_phone
from circo.messaging.errors import ProviderError, TemplateError
from circo.messaging.personalise import CompiledMessage, Recipient, values_for
from circo.messaging.providers import SmsProvider, make_sms_provider
from circo.messaging.service import handle_inbound_sms, is_stop
from circo.privacy.calendar import check_calendar
from circo.privacy.consent import decide_many
from circo.reach.calls import segment_title
from circo.reach.errors import CalendarBlocked, NotFound, PermissionDenied, ReachError
from circo.reach.models import TextCampaign, TextDirection, TextEntry, TextMessage, TextStatus

MANAGERS = (Role.admin, Role.data, Role.organiser)
INBOUND_SALT = "reach-texts-inbound"
STOP_MENTION = "\nSTOP : répondez STOP"
STOP_ACK = "Vous ne recevrez plus de SMS de notre part. Bonne journée."
MAX_TEXT = 640  # four SMS segments
INSERT_CHUNK = 5000


@dataclass(frozen=True)
class BuiltTexts:
    text_campaign: TextCampaign
    contacts: int
    no_basis: int
    opposed: int

    def as_json(self) -> dict[str, Any]:
        """The CLI and API contract:
        ``{"campaign", "contacts", "excluded": {"no_basis", "opposed"}}``."""
        return {
            "campaign": self.text_campaign.id,
            "contacts": self.contacts,
            "excluded": {"no_basis": self.no_basis, "opposed": self.opposed},
        }


def _compile(template: str) -> CompiledMessage:
    text = template.strip()
    if not text:
        raise ReachError(
            "le modèle du SMS est vide (ex. « Bonjour {{ prenom }}, … »)", loc="template"
        )
    if len(text) > MAX_TEXT:
        raise ReachError(f"modèle trop long ({len(text)} > {MAX_TEXT} caractères)", loc="template")
    try:
        return CompiledMessage(subject="", body=text)
    except TemplateError as exc:
        raise ReachError(exc.message, loc="template") from exc


def create_text_campaign(
    session: Session, ctx: CampaignContext, *, segment: str, template: str, name: str = ""
) -> BuiltTexts:
    """Build a texting campaign from the segment called ``segment`` (``all``: every contact)."""
    ctx.require(*MANAGERS)
    _compile(template)
    filters = resolve_segment(session, ctx, segment)
    ids_query = segment_query(session, ctx, filters).with_only_columns(Contact.id)
    decisions = decide_many(session, ctx, contact_ids=ids_query, channel="sms")
    if filters.consent_channel and filters.consent_channel != "sms":
        reachable = set(segment_contact_ids(session, ctx, filters))
        decisions = {cid: decision for cid, decision in decisions.items() if cid in reachable}
    text_campaign = TextCampaign(
        campaign_id=ctx.campaign_id,
        name=(" ".join(name.split()) or f"SMS — {segment_title(segment.strip())}")[:200],
        segment_name=segment.strip()[:200],
        template=template.strip(),
        created_by=ctx.actor.email,
    )
    session.add(text_campaign)
    session.flush()
    rows: list[dict[str, Any]] = []
    no_basis = opposed = 0
    for contact_id in sorted(decisions):
        decision = decisions[contact_id]
        if decision.allowed:
            rows.append(
                {
                    "campaign_id": ctx.campaign_id,
                    "text_campaign_id": text_campaign.id,
                    "contact_id": contact_id,
                    "basis": decision.basis or "consent",
                    "status": TextStatus.pending.value,
                    "text": "",
                    "provider_id": "",
                    "note": "",
                }
            )
        elif decision.opposed:
            opposed += 1
        else:
            no_basis += 1
    entries = cast(Table, TextEntry.__table__)
    for start in range(0, len(rows), INSERT_CHUNK):
        session.execute(insert(entries), rows[start : start + INSERT_CHUNK])
    text_campaign.excluded_no_basis = no_basis
    text_campaign.excluded_opposed = opposed
    session.flush()
    return BuiltTexts(text_campaign, len(rows), no_basis, opposed)


def list_text_campaigns(session: Session, ctx: CampaignContext) -> list[TextCampaign]:
    query = ctx.scoped(select(TextCampaign), TextCampaign).order_by(TextCampaign.id.desc())
    return list(session.scalars(query))


def get_text_campaign(
    session: Session, ctx: CampaignContext, text_campaign_id: int
) -> TextCampaign:
    found = session.scalar(
        ctx.scoped(select(TextCampaign), TextCampaign).where(TextCampaign.id == text_campaign_id)
    )
    if found is None:
        raise NotFound(
            f"campagne SMS {text_campaign_id} introuvable dans cette campagne", loc="campaign"
        )
    return found


def _require_sms_calendar(ctx: CampaignContext, now: datetime) -> None:
    decision = check_calendar(ctx.campaign, now, "sms")
    if not decision.allowed:
        rule = "Code électoral L49" if decision.rule == "L49" else "heures d'envoi des SMS"
        raise CalendarBlocked(f"aucun SMS ne peut partir maintenant : {decision.reason}", loc=rule)


@dataclass(frozen=True)
class SendResult:
    """What "send next" did: the text sent (None when nobody is left) and what remains."""

    entry: TextEntry | None
    contact_name: str
    remaining: int
    skipped: int  # entries taken out because the person's rights changed since

    def as_json(self, text_campaign: TextCampaign) -> dict[str, Any]:
        entry = self.entry
        return {
            "campaign": text_campaign.id,
            "sent": None
            if entry is None
            else {
                "entry": entry.id,
                "contact": entry.contact_id,
                "status": entry.status,
                "text": entry.text,
            },
            "skipped": self.skipped,
            "remaining": self.remaining,
        }


def remaining(session: Session, ctx: CampaignContext, text_campaign_id: int) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                campaign_filter(TextEntry, ctx),
                TextEntry.text_campaign_id == text_campaign_id,
                TextEntry.status == TextStatus.pending,
            )
        )
        or 0
    )


def send_next(
    session: Session,
    ctx: CampaignContext,
    settings: Settings,
    *,
    text_campaign_id: int,
    now: datetime | None = None,
    provider: SmsProvider | None = None,
) -> SendResult:
    """Send one text: the next pending person of the campaign, by the current person.

    Commits: the claim of the entry before the provider is called, its outcome after."""
    moment = now or utcnow()
    text_campaign = get_text_campaign(session, ctx, text_campaign_id)
    _require_sms_calendar(ctx, moment)
    compiled = _compile(text_campaign.template)
    skipped = 0
    while True:
        entry_id = session.scalar(
            select(TextEntry.id)
            .where(
                campaign_filter(TextEntry, ctx),
                TextEntry.text_campaign_id == text_campaign_id,
                TextEntry.status == TextStatus.pending,
            )
            .order_by(TextEntry.id)
            .limit(1)
        )
        if entry_id is None:
            session.commit()
            return SendResult(None, "", 0, skipped)
        claimed = session.execute(
            update(TextEntry)
            .where(
                campaign_filter(TextEntry, ctx),
                TextEntry.id == entry_id,
                TextEntry.status == TextStatus.pending,
            )
            .values(
                status=TextStatus.sending,
                sent_by=ctx.actor.email,
                sent_by_user_id=ctx.actor.user_id,
                sent_at=moment,
            )
        )
        if not claimed.rowcount:  # type: ignore[attr-defined]
            continue  # another volunteer took it a moment ago
        entry = session.get(TextEntry, entry_id)
        assert entry is not None
        session.refresh(entry)
        decision = decide_many(session, ctx, contact_ids=[entry.contact_id], channel="sms")[
            entry.contact_id
        ]
        contact = session.scalar(
            ctx.scoped(select(Contact), Contact).where(Contact.id == entry.contact_id)
        )
        if not decision.allowed or contact is None or not contact.phone:
            entry.status = TextStatus.excluded.value
            entry.note = (decision.reason if not decision.allowed else "plus de numéro")[:500]
            session.commit()
            skipped += 1
            continue
        recipient = Recipient(
            contact_id=contact.id, first_name=contact.first_name or "", last_name=""
        )
        _subject, body = compiled.render(values_for(recipient, campaign_name=ctx.campaign.name))
        entry.phone = contact.phone
        entry.text = body.strip() + STOP_MENTION
        name = " ".join(part for part in (contact.first_name, contact.last_name) if part)
        session.commit()  # the claim is durable before anything leaves
        _deliver(session, ctx, settings, entry, provider, moment)
        return SendResult(entry, name, remaining(session, ctx, text_campaign_id), skipped)


def _deliver(
    session: Session,
    ctx: CampaignContext,
    settings: Settings,
    entry: TextEntry,
    provider: SmsProvider | None,
    moment: datetime,
) -> None:
    own = provider is None
    sms = provider or make_sms_provider(settings)
    try:
        entry.provider_id = sms.send(
            to=entry.phone or "", text=entry.text, reference=f"texto-{entry.id}"
        )
        entry.status = TextStatus.sent.value
    except ProviderError as exc:
        if exc.transient and not exc.maybe_sent:
            entry.status = TextStatus.pending.value  # nothing left: "send next" tries again
            entry.sent_by = entry.sent_by_user_id = entry.sent_at = None
            entry.text = ""
            session.commit()
            raise ReachError(
                f"{exc.message} ; le SMS n'est pas parti, réessayez",
                loc="fournisseur SMS",
                status=502,
            ) from exc
        entry.status = TextStatus.failed.value
        entry.note = exc.message[:500]
    finally:
        if own:
            sms.close()
    if entry.status == TextStatus.sent:
        add_interaction(
            session,
            ctx,
            contact_id=entry.contact_id,
            kind="sms",
            summary=f"SMS envoyé par {entry.sent_by}",
            data={"text_campaign_id": entry.text_campaign_id},
            at=moment,
        )
    session.commit()


# --- the shared inbox -------------------------------------------------------------------


def inbound_token(settings: Settings, campaign_id: int) -> str:
    return sign(settings.effective_secret_key(), INBOUND_SALT, campaign_id)


def inbound_url(settings: Settings, campaign_id: int) -> str:
    """The address to give the SMS provider for replies (signed: only the provider knows it)."""
    token = inbound_token(settings, campaign_id)
    return f"{settings.base_url.rstrip('/')}/api/reach/texts-inbound/{token}"


def read_inbound_token(settings: Settings, token: str) -> int:
    payload = unsign(settings.effective_secret_key(), INBOUND_SALT, token, max_age_seconds=None)
    if not isinstance(payload, int):
        raise ValueError("lien invalide")
    return payload


@dataclass(frozen=True)
class Received:
    message: TextMessage
    stop: bool
    opposed_contacts: int
    acknowledged: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "message": self.message.id,
            "stop": self.stop,
            "contacts": self.opposed_contacts,
            "acknowledged": self.acknowledged,
        }


def receive_reply(
    session: Session,
    ctx: CampaignContext,
    settings: Settings,
    *,
    phone: str,
    text: str,
    now: datetime | None = None,
    provider: SmsProvider | None = None,
) -> Received:
    """A text received: kept in the inbox, assigned to whoever texted the person. STOP records
    the opposition (every contact with the number) and sends one acknowledgement per number."""
    moment = now or utcnow()
    contact_ids = contact_ids_by_phone(session, ctx, phone)
    last_sent = None
    if contact_ids:
        last_sent = session.scalar(
            select(TextEntry)
            .where(
                campaign_filter(TextEntry, ctx),
                TextEntry.contact_id.in_(contact_ids),
                TextEntry.status == TextStatus.sent,
            )
            .order_by(TextEntry.sent_at.desc(), TextEntry.id.desc())
            .limit(1)
        )
    stop = is_stop(text)
    message = TextMessage(
        campaign_id=ctx.campaign_id,
        direction=TextDirection.inbound.value,
        phone=phone[:32],
        contact_id=last_sent.contact_id if last_sent else (contact_ids[0] if contact_ids else None),
        text_campaign_id=last_sent.text_campaign_id if last_sent else None,
        text=text[:2000],
        stop=stop,
        assigned_user_id=last_sent.sent_by_user_id if last_sent else None,
        handled=stop,
        at=moment,
    )
    session.add(message)
    opposed = 0
    acknowledged = False
    if stop:
        opposed = handle_inbound_sms(
            session, ctx, phone=phone, text=text, source="SMS reçu (texto de personne à personne)"
        )
        if contact_ids:
            session.execute(
                update(TextEntry)
                .where(
                    campaign_filter(TextEntry, ctx),
                    TextEntry.contact_id.in_(contact_ids),
                    TextEntry.status == TextStatus.pending,
                )
                .values(status=TextStatus.excluded, note="STOP reçu")
            )
        already = session.scalar(
            select(func.count()).where(
                campaign_filter(TextMessage, ctx),
                TextMessage.phone == phone[:32],
                TextMessage.direction == TextDirection.outbound,
                TextMessage.stop.is_(True),
            )
        )
        if not already:
            ack = TextMessage(
                campaign_id=ctx.campaign_id,
                direction=TextDirection.outbound.value,
                phone=phone[:32],
                contact_id=message.contact_id,
                text_campaign_id=message.text_campaign_id,
                text=STOP_ACK,
                stop=True,
                handled=True,
                sent_by="system",
                at=moment,
            )
            session.add(ack)
            session.commit()  # opposition and acknowledgement recorded before sending
            acknowledged = _send_inbox_message(session, settings, ack, provider)
    session.commit()
    return Received(message, stop, opposed, acknowledged)


def _send_inbox_message(
    session: Session, settings: Settings, message: TextMessage, provider: SmsProvider | None
) -> bool:
    own = provider is None
    sms = provider or make_sms_provider(settings)
    try:
        message.provider_id = sms.send(
            to=message.phone, text=message.text, reference=f"texto-reponse-{message.id}"
        )
        return True
    except ProviderError as exc:
        message.provider_id = f"échec : {exc.message}"[:200]
        return False
    finally:
        session.commit()
        if own:
            sms.close()


def inbox(
    session: Session, ctx: CampaignContext, *, mine: bool = False, limit: int = 200
) -> list[tuple[TextMessage, Contact | None]]:
    """Replies received, those still to handle first; ``mine``: assigned to the current person
    or to nobody."""
    query = ctx.scoped(select(TextMessage), TextMessage).where(
        TextMessage.direction == TextDirection.inbound
    )
    if mine:  # assigned to the current person, or to nobody yet (anyone may take it)
        query = query.where(
            or_(
                TextMessage.assigned_user_id == ctx.actor.user_id,
                TextMessage.assigned_user_id.is_(None),
            )
        )
    messages = list(
        session.scalars(query.order_by(TextMessage.handled, TextMessage.at.desc()).limit(limit))
    )
    ids = {message.contact_id for message in messages if message.contact_id}
    contacts = {
        contact.id: contact
        for contact in session.scalars(
            ctx.scoped(select(Contact), Contact).where(Contact.id.in_(ids))
        )
    }
    return [
        (message, contacts.get(message.contact_id) if message.contact_id else None)
        for message in messages
    ]


def get_message(session: Session, ctx: CampaignContext, message_id: int) -> TextMessage:
    message = session.scalar(
        ctx.scoped(select(TextMessage), TextMessage).where(TextMessage.id == message_id)
    )
    if message is None or message.direction != TextDirection.inbound:
        raise NotFound(f"réponse {message_id} introuvable dans la boîte partagée", loc="message")
    return message


def assign_message(
    session: Session, ctx: CampaignContext, *, message_id: int, user_id: int | None
) -> TextMessage:
    """Give a reply to a volunteer (organisers, data leads, admins), or take an unassigned one."""
    message = get_message(session, ctx, message_id)
    if ctx.role not in MANAGERS and not (
        message.assigned_user_id is None and user_id == ctx.actor.user_id
    ):
        raise PermissionDenied("seuls les organisateurs attribuent les réponses", status=403)
    message.assigned_user_id = user_id
    session.flush()
    return message


def answer_message(
    session: Session,
    ctx: CampaignContext,
    settings: Settings,
    *,
    message_id: int,
    text: str,
    now: datetime | None = None,
    provider: SmsProvider | None = None,
) -> TextMessage:
    """Answer a reply, by its volunteer (or a manager): calendar and rights checked now."""
    moment = now or utcnow()
    message = get_message(session, ctx, message_id)
    if ctx.role not in MANAGERS and message.assigned_user_id not in (None, ctx.actor.user_id):
        raise PermissionDenied("cette réponse est attribuée à une autre personne", status=403)
    body = " ".join(text.split()) if "\n" not in text else text.strip()
    if not body:
        raise ReachError("la réponse est vide", loc="text")
    if len(body) > MAX_TEXT:
        raise ReachError(f"réponse trop longue ({len(body)} > {MAX_TEXT} caractères)", loc="text")
    _require_sms_calendar(ctx, moment)
    if message.contact_id is None:
        raise ReachError(
            "numéro inconnu de la campagne : ajoutez la personne aux contacts avant de répondre",
            loc="message",
        )
    decision = decide_many(session, ctx, contact_ids=[message.contact_id], channel="sms")[
        message.contact_id
    ]
    if not decision.allowed:
        raise ReachError(f"pas d'envoi de SMS à cette personne : {decision.reason}", loc="message")
    outbound = TextMessage(
        campaign_id=ctx.campaign_id,
        direction=TextDirection.outbound.value,
        phone=message.phone,
        contact_id=message.contact_id,
        text_campaign_id=message.text_campaign_id,
        text=body,
        handled=True,
        sent_by=ctx.actor.email,
        assigned_user_id=ctx.actor.user_id,
        at=moment,
    )
    session.add(outbound)
    message.handled = True
    if message.assigned_user_id is None:
        message.assigned_user_id = ctx.actor.user_id
    session.commit()
    if _send_inbox_message(session, settings, outbound, provider):
        add_interaction(
            session,
            ctx,
            contact_id=message.contact_id,
            kind="sms",
            summary=f"réponse SMS par {ctx.actor.email}",
            data={"text_message_id": outbound.id},
            at=moment,
        )
        session.commit()
    return outbound


def thread(session: Session, ctx: CampaignContext, message: TextMessage) -> list[TextMessage]:
    """Every inbox message exchanged with the reply's number, oldest first."""
    query = ctx.scoped(select(TextMessage), TextMessage).where(TextMessage.phone == message.phone)
    return list(session.scalars(query.order_by(TextMessage.at, TextMessage.id)))


def suggestions(session: Session, ctx: CampaignContext, text: str) -> list[dict[str, Any]]:
    """Suggested answers from the assistant's knowledge base, each with its citation
    (``{"text", "citations": [{"document", "source", "quote"}]}``); none for a STOP."""
    from circo.assistant.compose import extractive_points
    from circo.assistant.retrieval import search

    if is_stop(text) or len(text.split()) < 2:
        return []
    hits = [hit for hit in search(session, ctx, query=text, limit=3) if hit.coverage > 0]
    return [point.contract() for point in extractive_points(hits, text, limit=2)]


def counts(session: Session, ctx: CampaignContext, text_campaign_id: int) -> dict[str, int]:
    """Entries per status (every status present, zeros included)."""
    found = dict(
        session.execute(
            select(TextEntry.status, func.count())
            .where(campaign_filter(TextEntry, ctx), TextEntry.text_campaign_id == text_campaign_id)
            .group_by(TextEntry.status)
        ).all()
    )
    return {status.value: int(found.get(status.value, 0)) for status in TextStatus}


def calendar_now(ctx: CampaignContext) -> Any:
    """May texts leave now (L49 silence, contact hours)? For the pages."""
    return check_calendar(ctx.campaign, utcnow(), "sms")


def my_recent(
    session: Session, ctx: CampaignContext, text_campaign_id: int, *, limit: int = 10
) -> list[TextEntry]:
    """The latest texts the current person sent on the campaign, newest first."""
    query = ctx.scoped(select(TextEntry), TextEntry).where(
        TextEntry.text_campaign_id == text_campaign_id,
        TextEntry.sent_by == ctx.actor.email,
        TextEntry.status.in_([TextStatus.sent, TextStatus.failed]),
    )
    return list(
        session.scalars(query.order_by(TextEntry.sent_at.desc(), TextEntry.id.desc()).limit(limit))
    )
