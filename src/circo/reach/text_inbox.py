"""The shared inbox of person-to-person texting: replies received through the provider's
webhook (a signed address), assigned to the volunteer who sent the text; STOP and its French
variants record an opposition to SMS at once and one acknowledgement is sent (once per number);
answers checked against the calendar and the person's rights; suggested answers from the
assistant's knowledge base (`circo.assistant.retrieval`), each with its citation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.security import sign, unsign
from circo.core.tenancy import CampaignContext, campaign_filter
from circo.crm.models import Contact
from circo.crm.timeline import add_interaction
from circo.db import utcnow
from circo.messaging.directory import contact_ids_by_phone
from circo.messaging.errors import ProviderError
from circo.messaging.providers import SmsProvider, make_sms_provider
from circo.messaging.service import handle_inbound_sms, is_stop
from circo.privacy.consent import decide_many
from circo.reach.errors import NotFound, PermissionDenied, ReachError
from circo.reach.models import TextDirection, TextEntry, TextMessage, TextStatus
from circo.reach.texting import MANAGERS, MAX_TEXT, require_sms_calendar

INBOUND_SALT = "reach-texts-inbound"
STOP_ACK = "Vous ne recevrez plus de SMS de notre part. Bonne journée."


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
    require_sms_calendar(ctx, moment)
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
