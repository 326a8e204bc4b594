"""Person-to-person texting: each text is sent by a person, one action per message.

Rules:
- a texting campaign is a snapshot of a segment kept to the people the campaign may text
  (`circo.privacy.decide_many` on the ``sms`` channel: prior consent, a number, no opposition);
  the others are counted as ``no_basis`` or ``opposed``;
- "send next" sends exactly one text, through the SMS provider (`circo.messaging.providers`):
  the calendar (L49 silence, contact hours) and the person's rights are checked at that moment;
  the entry is claimed and committed before the provider is called, so a text is never sent
  twice (a lost answer leaves it ``failed`` with the reason, never re-sent);
- replies, STOP and the shared inbox: `circo.reach.text_inbox`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.models import Role
from circo.core.tenancy import CampaignContext, campaign_filter
from circo.crm.models import Contact
from circo.crm.segments import resolve_segment, segment_contact_ids, segment_query
from circo.crm.timeline import add_interaction
from circo.db import utcnow
from circo.messaging.errors import ProviderError, TemplateError
from circo.messaging.personalise import CompiledMessage, Recipient, values_for
from circo.messaging.providers import SmsProvider, make_sms_provider
from circo.privacy.calendar import check_calendar
from circo.privacy.consent import decide_many
from circo.reach.calls import segment_title
from circo.reach.errors import CalendarBlocked, NotFound, ReachError
from circo.reach.models import TextCampaign, TextEntry, TextStatus

MANAGERS = (Role.admin, Role.data, Role.organiser)
STOP_MENTION = "\nSTOP : répondez STOP"
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


def require_sms_calendar(ctx: CampaignContext, now: datetime) -> None:
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
    require_sms_calendar(ctx, moment)
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
        if exc.maybe_sent:  # no answer: it may have left; kept "sending", retried by hand
            entry.note = exc.message[:500]
            session.commit()
            raise ReachError(
                f"{exc.message} ; le SMS est peut-être parti : relancez-le depuis « SMS sans "
                "réponse du fournisseur » (même référence, personne ne le reçoit deux fois)",
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
