"""Events (public meetings, canvassing sessions, trainings): invitations to a segment by
email, RSVP links without login (signed tokens), reminders through the job runner, check-in on
a phone, attendance written to each contact's timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core import jobs
from circo.core.email import OutgoingEmail
from circo.core.models import Campaign, Job
from circo.core.outbox import queue_mail
from circo.core.security import sign, unsign
from circo.core.tenancy import CampaignContext, campaign_filter, system_context
from circo.crm.contacts import get_contact
from circo.crm.errors import CrmError, NotFound, PermissionDenied
from circo.crm.models import Contact, Event, EventAttendee
from circo.crm.schemas import EventCreate, SegmentFilter
from circo.crm.segments import segment_contact_ids
from circo.crm.timeline import add_interaction
from circo.db import utcnow
from circo.formatting import format_datetime, format_timestamp

EVENT_KINDS = {
    "meeting": "Réunion publique",
    "canvassing": "Porte-à-porte",
    "training": "Formation",
}
RSVP_SALT = "circo.rsvp"
RSVP_MAX_AGE = 120 * 86400
RSVP_ANSWERS = ("yes", "no", "maybe")


def create_event(session: Session, ctx: CampaignContext, *, data: EventCreate) -> Event:
    if data.kind not in EVENT_KINDS:
        raise CrmError(
            f"type d'événement inconnu « {data.kind} » (attendu : {', '.join(EVENT_KINDS)})",
            loc="kind",
        )
    if data.capacity is not None and data.capacity < 1:
        raise CrmError(f"capacité invalide {data.capacity} (au moins 1)", loc="capacity")
    event = Event(campaign_id=ctx.campaign_id, **data.model_dump())
    session.add(event)
    session.flush()
    schedule_reminder(session, event)
    return event


def schedule_reminder(session: Session, event: Event, *, now: datetime | None = None) -> Job | None:
    moment = now or utcnow()
    remind_at = event.starts_at - timedelta(hours=event.reminder_hours)
    if event.starts_at <= moment:
        return None
    return jobs.enqueue(
        session,
        kind="crm.event_reminder",
        payload={"event_id": event.id},
        campaign_id=event.campaign_id,
        idempotency_key=f"crm.event_reminder:{event.id}:{event.starts_at.isoformat()}",
        delay_seconds=max(0.0, (remind_at - moment).total_seconds()),
    )


def list_events(session: Session, ctx: CampaignContext) -> list[Event]:
    return list(session.scalars(ctx.scoped(select(Event), Event).order_by(Event.starts_at)))


def get_event(session: Session, ctx: CampaignContext, event_id: int) -> Event:
    event = session.scalar(ctx.scoped(select(Event), Event).where(Event.id == event_id))
    if event is None:
        raise NotFound(f"événement {event_id} introuvable", loc="event")
    return event


def attendees(
    session: Session, ctx: CampaignContext, *, event_id: int
) -> list[tuple[EventAttendee, Contact]]:
    get_event(session, ctx, event_id)
    rows = session.execute(
        select(EventAttendee, Contact)
        .join(Contact, Contact.id == EventAttendee.contact_id)
        .where(campaign_filter(EventAttendee, ctx), EventAttendee.event_id == event_id)
        .order_by(Contact.search_name)
    )
    return list(rows)


def counts(session: Session, ctx: CampaignContext, *, event_id: int) -> dict[str, int]:
    rows = session.execute(
        select(EventAttendee.status, func.count())
        .where(campaign_filter(EventAttendee, ctx), EventAttendee.event_id == event_id)
        .group_by(EventAttendee.status)
    )
    result: dict[str, int] = {str(status): int(count) for status, count in rows.all()}
    result["checked_in"] = (
        session.scalar(
            select(func.count()).where(
                EventAttendee.event_id == event_id, EventAttendee.checked_in_at.is_not(None)
            )
        )
        or 0
    )
    return result


ATTENDEE_STATUS_LABELS = {
    "invited": "invité·e",
    "yes": "vient",
    "no": "ne vient pas",
    "maybe": "peut-être",
}


def export_attendees(
    session: Session, ctx: CampaignContext, *, event_id: int
) -> tuple[list[str], list[list[str]]]:
    """Headers and rows of the invitee list; every time in the campaign's zone."""
    event = get_event(session, ctx, event_id)
    tz = ctx.campaign.timezone
    headers = [
        "Événement",
        "Date et heure",
        "Nom",
        "Prénom",
        "Email",
        "Réponse",
        "Invité·e le",
        "Répondu le",
        "Présent·e à",
    ]
    start = format_timestamp(event.starts_at, tz)
    rows = [
        [
            event.title,
            start,
            contact.last_name or "",
            contact.first_name or "",
            contact.email or "",
            ATTENDEE_STATUS_LABELS.get(attendee.status, attendee.status),
            format_timestamp(attendee.invited_at, tz),
            format_timestamp(attendee.responded_at, tz),
            format_timestamp(attendee.checked_in_at, tz),
        ]
        for attendee, contact in attendees(session, ctx, event_id=event.id)
    ]
    return headers, rows


# --- RSVP tokens ------------------------------------------------------------------------------


def rsvp_token(settings: Settings, *, campaign_id: int, event_id: int, contact_id: int) -> str:
    return sign(
        settings.effective_secret_key(),
        RSVP_SALT,
        {"k": campaign_id, "e": event_id, "c": contact_id},
    )


def rsvp_link(settings: Settings, token: str) -> str:
    return f"{settings.base_url.rstrip('/')}/rsvp/{token}"


def read_rsvp_token(settings: Settings, token: str) -> tuple[int, int, int]:
    """(campaign_id, event_id, contact_id); a forged or expired token is refused (403)."""
    try:
        payload = unsign(
            settings.effective_secret_key(), RSVP_SALT, token, max_age_seconds=RSVP_MAX_AGE
        )
    except ValueError as exc:
        raise PermissionDenied(f"lien de réponse refusé : {exc}", loc="rsvp") from None
    if not isinstance(payload, dict) or not {"k", "e", "c"} <= set(payload):
        raise PermissionDenied("lien de réponse refusé : lien invalide", loc="rsvp")
    return int(payload["k"]), int(payload["e"]), int(payload["c"])


def rsvp_context(
    session: Session, settings: Settings, token: str
) -> tuple[CampaignContext, Event, EventAttendee, Contact]:
    campaign_id, event_id, contact_id = read_rsvp_token(settings, token)
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("événement introuvable", loc="rsvp")
    ctx = system_context(campaign)
    event = get_event(session, ctx, event_id)
    attendee = session.scalar(
        select(EventAttendee).where(
            campaign_filter(EventAttendee, campaign_id),
            EventAttendee.event_id == event_id,
            EventAttendee.contact_id == contact_id,
        )
    )
    contact = session.get(Contact, contact_id)
    if attendee is None or contact is None:
        raise NotFound("invitation introuvable (annulée ou effacée)", loc="rsvp")
    return ctx, event, attendee, contact


def respond(session: Session, settings: Settings, *, token: str, answer: str) -> EventAttendee:
    """The invitee's answer through the signed link (no login)."""
    if answer not in RSVP_ANSWERS:
        raise CrmError(f"réponse inconnue « {answer} » (yes, no ou maybe)", loc="answer")
    ctx, event, attendee, contact = rsvp_context(session, settings, token)
    return _answer(session, ctx, event, attendee, contact.id, answer)


def record_rsvp(
    session: Session, ctx: CampaignContext, *, event_id: int, contact_id: int, answer: str
) -> EventAttendee:
    """An answer given elsewhere than the invitation link (a public event form): the same
    capacity rule, timeline line, webhook and automation trigger as `respond`."""
    if answer not in RSVP_ANSWERS:
        raise CrmError(f"réponse inconnue « {answer} » (yes, no ou maybe)", loc="answer")
    event = get_event(session, ctx, event_id)
    attendee = invite_contact(
        session, ctx, event_id=event.id, contact_id=contact_id, status="invited"
    )
    return _answer(session, ctx, event, attendee, contact_id, answer)


def _answer(
    session: Session,
    ctx: CampaignContext,
    event: Event,
    attendee: EventAttendee,
    contact_id: int,
    answer: str,
) -> EventAttendee:
    if answer == "yes" and attendee.status != "yes" and event.capacity is not None:
        taken = counts(session, ctx, event_id=event.id).get("yes", 0)
        if taken >= event.capacity:
            raise CrmError("complet : plus de place pour cet événement", loc="capacity", status=409)
    already_yes = attendee.status == "yes"
    attendee.status = answer
    attendee.responded_at = utcnow()
    session.flush()
    labels = {"yes": "vient", "no": "ne vient pas", "maybe": "peut-être"}
    add_interaction(
        session,
        ctx,
        contact_id=contact_id,
        kind="event",
        summary=f"réponse à « {event.title} » : {labels[answer]}",
        data={"event_id": event.id},
    )
    from circo.party.models import WebhookEvent
    from circo.party.webhooks import emit

    emit(
        session,
        ctx,
        event=WebhookEvent.rsvp,
        contact_id=contact_id,
        data={"event_id": event.id, "contact_id": contact_id, "answer": answer},
    )
    if answer == "yes" and not already_yes:
        _attended(session, ctx, event, contact_id, f"a répondu oui à « {event.title} »")
    return attendee


def _attended(
    session: Session, ctx: CampaignContext, event: Event, contact_id: int, reason: str
) -> None:
    """The automation trigger "attends event E" (an RSVP yes or a check-in), fired here."""
    from circo.automations.engine import fire
    from circo.automations.models import TriggerKind

    fire(
        session, ctx, trigger=TriggerKind.event, target_id=event.id, contact_id=contact_id,
        reason=reason[:300],
    )  # fmt: skip


# --- invitations and reminders ----------------------------------------------------------------


@dataclass
class InviteReport:
    invited: int = 0
    already_invited: int = 0
    skipped_no_consent: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def event_when(event: Event, campaign: Campaign) -> str:
    """ "samedi 12 décembre 2026 à 19 h": the start in the campaign's zone (never the server's)."""
    return format_datetime(event.starts_at, campaign.timezone, "fr", style="full")


def _event_text(event: Event, campaign: Campaign) -> str:
    when = event_when(event, campaign)
    return f"{event.title}\n{EVENT_KINDS.get(event.kind, event.kind)} — le {when}\n{event.place}"


def invite_segment(
    session: Session,
    ctx: CampaignContext,
    settings: Settings,
    *,
    event_id: int,
    filters: SegmentFilter,
    now: datetime | None = None,
) -> InviteReport:
    """Invite by email every contact of the segment who may be emailed (privacy.can_contact),
    outside the L49 blackout; each gets a personal RSVP link."""
    from circo.privacy.calendar import require_calendar
    from circo.privacy.consent import decide_many

    require_calendar(ctx.campaign, now or utcnow(), "message")
    event = get_event(session, ctx, event_id)
    ids = segment_contact_ids(session, ctx, filters)
    decisions = decide_many(session, ctx, contact_ids=ids, channel="email")
    existing = set(
        session.scalars(select(EventAttendee.contact_id).where(EventAttendee.event_id == event.id))
    )
    report = InviteReport()
    for contact_id in ids:
        if contact_id in existing:
            report.already_invited += 1
            continue
        if not decisions[contact_id].allowed:
            report.skipped_no_consent += 1
            continue
        contact = session.get(Contact, contact_id)
        assert contact is not None
        assert contact.email
        attendee = EventAttendee(
            campaign_id=ctx.campaign_id,
            event_id=event.id,
            contact_id=contact_id,
            status="invited",
            invited_at=utcnow(),
        )
        session.add(attendee)
        token = rsvp_token(
            settings, campaign_id=ctx.campaign_id, event_id=event.id, contact_id=contact_id
        )
        # Sent after the commit by the job engine (no mail server call in this transaction).
        queue_mail(
            session,
            _invitation(settings, ctx, event, contact, token),
            campaign_id=ctx.campaign_id,
            key=f"crm.event_invitation:{event.id}:{contact_id}",
        )
        add_interaction(
            session,
            ctx,
            contact_id=contact_id,
            kind="event",
            summary=f"invitation à « {event.title} »",
            data={"event_id": event.id, "consent_id": decisions[contact_id].consent_id},
        )
        report.invited += 1
    session.flush()
    return report


def _unsubscribe_line(settings: Settings, ctx: CampaignContext) -> str:
    return (
        f"\n\nVous ne souhaitez plus recevoir nos messages ? "
        f"{settings.base_url.rstrip('/')}/p/{ctx.campaign.slug}/donnees"
    )


def _invitation(
    settings: Settings, ctx: CampaignContext, event: Event, contact: Contact, token: str
) -> OutgoingEmail:
    link = rsvp_link(settings, token)
    return OutgoingEmail(
        to=contact.email or "",
        subject=f"Invitation : {event.title}",
        text=(
            f"Bonjour {contact.first_name},\n\n{ctx.campaign.name} vous invite :\n"
            f"{_event_text(event, ctx.campaign)}\n\nRépondez en un clic : {link}"
            + _unsubscribe_line(settings, ctx)
        ),
    )


def invite_contact(
    session: Session, ctx: CampaignContext, *, event_id: int, contact_id: int, status: str = "yes"
) -> EventAttendee:
    """Add a person to the list (walk-in, phone registration) without sending anything."""
    event = get_event(session, ctx, event_id)
    contact = get_contact(session, ctx, contact_id)
    attendee = session.scalar(
        select(EventAttendee).where(
            EventAttendee.event_id == event.id, EventAttendee.contact_id == contact.id
        )
    )
    if attendee is None:
        attendee = EventAttendee(
            campaign_id=ctx.campaign_id,
            event_id=event.id,
            contact_id=contact.id,
            status=status,
            invited_at=utcnow(),
        )
        session.add(attendee)
        session.flush()
    return attendee


def check_in(
    session: Session, ctx: CampaignContext, *, event_id: int, contact_id: int
) -> EventAttendee:
    """Mark the person present (on a phone at the door) and write it on their timeline."""
    event = get_event(session, ctx, event_id)
    attendee = invite_contact(session, ctx, event_id=event_id, contact_id=contact_id)
    if attendee.checked_in_at is None:
        attendee.checked_in_at = utcnow()
        session.flush()
        add_interaction(
            session,
            ctx,
            contact_id=contact_id,
            kind="event",
            summary=f"présent·e à « {event.title} »",
            data={"event_id": event.id},
        )
        _attended(session, ctx, event, contact_id, f"présent·e à « {event.title} »")
    return attendee


def send_reminders(
    session: Session, settings: Settings, *, event_id: int, now: datetime | None = None
) -> dict[str, Any]:
    """Remind those who said yes (once), if they may still be emailed and the calendar allows."""
    from circo.privacy.calendar import check_calendar
    from circo.privacy.consent import decide_many

    event = session.get(Event, event_id)
    if event is None:
        return {"reminded": 0, "reason": "événement supprimé"}
    campaign = session.get(Campaign, event.campaign_id)
    assert campaign is not None
    ctx = system_context(campaign)
    calendar = check_calendar(campaign, now or utcnow(), "message")
    if not calendar.allowed:
        return {"reminded": 0, "reason": calendar.reason}
    rows = [
        attendee
        for attendee, _contact in attendees(session, ctx, event_id=event.id)
        if attendee.status == "yes" and attendee.reminded_at is None
    ]
    decisions = decide_many(session, ctx, contact_ids=[a.contact_id for a in rows], channel="email")
    reminded = 0
    for attendee in rows:
        if not decisions[attendee.contact_id].allowed:
            continue
        contact = session.get(Contact, attendee.contact_id)
        assert contact is not None
        token = rsvp_token(
            settings, campaign_id=campaign.id, event_id=event.id, contact_id=contact.id
        )
        # Queued with the reminded_at mark, sent after their commit (see circo.core.outbox).
        queue_mail(
            session,
            OutgoingEmail(
                to=contact.email or "",
                subject=f"Rappel : {event.title}",
                text=(
                    f"Bonjour {contact.first_name},\n\nPetit rappel :\n"
                    f"{_event_text(event, campaign)}\n\n"
                    f"Un empêchement ? {rsvp_link(settings, token)}"
                    + _unsubscribe_line(settings, ctx)
                ),
            ),
            campaign_id=campaign.id,
            key=f"crm.event_reminder:{event.id}:{contact.id}",
        )
        attendee.reminded_at = utcnow()
        reminded += 1
    session.flush()
    return {"reminded": reminded}


def reminder_job(session: Session, settings: Settings, job: Job) -> dict[str, Any]:
    return send_reminders(session, settings, event_id=int(job.payload["event_id"]))
