"""Alerts to volunteers: « votre secteur pour samedi est prêt », then a reminder the day before.

Queued by the job runner (``field.alert`` and ``field.reminder`` handlers) in the outbox of
`circo.core.outbox`, which sends after the commit with no transaction open, so a slow SMTP
server never slows the organiser's page nor holds the database, and a failed send is retried.
Each job and each mail has an idempotency key: assigning once sends once.
Web Push is not implemented: it needs VAPID keys and a push service run by the browser vendor
(an external service), so the app shows the assignments when opened instead.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core import jobs
from circo.core.email import OutgoingEmail
from circo.core.models import Campaign, Job, User
from circo.core.outbox import queue_mail
from circo.core.tenancy import CampaignContext, system_context
from circo.core.timezone import campaign_zone, local_today
from circo.db import utcnow
from circo.field.models import Assignment, Turf
from circo.formatting import format_date, format_number, plural

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
REMINDER_HOUR = 18  # the evening before, in the campaign's zone


def day_label(day: date, today: date | None = None, *, tz: str | None = None) -> str:
    """« aujourd'hui », « demain », « samedi » (this week) or « samedi 14/06 », seen from
    today in the campaign's zone ``tz`` (default Paris)."""
    today = today or local_today(tz)
    if day == today:
        return "aujourd'hui"
    if day == today + timedelta(days=1):
        return "demain"
    name = WEEKDAYS[day.weekday()]
    return name if 0 < (day - today).days < 7 else f"{name} {day:%d/%m}"


def queue_alert(session: Session, ctx: CampaignContext, *, assignment: Assignment) -> None:
    """Queue the alert now and the reminder for the evening before the day (if still ahead)."""
    payload = {"assignment_id": assignment.id}
    jobs.enqueue(
        session,
        kind="field.alert",
        payload=payload,
        campaign_id=ctx.campaign_id,
        idempotency_key=f"field.alert:{assignment.id}",
    )
    evening = datetime.combine(
        assignment.day - timedelta(days=1), time(REMINDER_HOUR), tzinfo=campaign_zone(ctx.campaign)
    ).astimezone(UTC)
    delay = (evening - utcnow()).total_seconds()
    if delay > 0:
        jobs.enqueue(
            session,
            kind="field.reminder",
            payload=payload,
            campaign_id=ctx.campaign_id,
            idempotency_key=f"field.reminder:{assignment.id}",
            delay_seconds=delay,
        )


def _recipients(session: Session, assignment: Assignment, campaign: Campaign) -> list[User]:
    """The assigned volunteer, or every member of the assigned team (crm teams)."""
    if assignment.user_id is not None:
        user_ids = [assignment.user_id]
    elif assignment.team_id is not None:
        from circo.crm.volunteers import team_member_user_ids

        user_ids = team_member_user_ids(
            session, system_context(campaign), team_id=assignment.team_id
        )
    else:
        user_ids = []
    users = [session.get(User, user_id) for user_id in user_ids]
    return [user for user in users if user is not None and user.is_active]


def _message(
    settings: Settings,
    campaign: Campaign,
    assignment: Assignment,
    turf: Turf | None,
    *,
    reminder: bool,
) -> tuple[str, str]:
    when = day_label(assignment.day, tz=campaign.timezone)
    what = turf.name if turf is not None else f"bureau {assignment.bureau}"
    link = f"{settings.base_url.rstrip('/')}/c/{campaign.slug}/field/app/"
    if turf is not None:
        link += f"#turf-{turf.id}"
    subject = (
        f"Rappel : porte-à-porte {when}" if reminder else f"Votre secteur pour {when} est prêt"
    )
    doors = (
        f" ({plural(turf.doors, 'porte', 'portes')}, {format_number(turf.walk_m / 1000, 1)} km)"
        if turf is not None
        else ""
    )
    text = (
        f"Bonjour,\n\nVotre secteur pour {when} ({format_date(assignment.day)}) est prêt : "
        f"{what}{doors}.\n\nOuvrez la liste sur votre téléphone (elle fonctionne aussi hors "
        f"connexion une fois ouverte) :\n{link}\n\n"
        + (f"Note de l'organisateur : {assignment.note}\n\n" if assignment.note else "")
        + f"Merci pour votre engagement !\n— {campaign.name}\n"
    )
    return subject, text


def _send(session: Session, settings: Settings, job: Job, *, reminder: bool) -> dict[str, Any]:
    assignment = session.get(Assignment, int(job.payload.get("assignment_id", 0)))
    if assignment is None or assignment.status == "cancelled":
        return {"sent": 0, "reason": "affectation supprimée ou annulée"}
    if reminder and assignment.reminded_at is not None:
        return {"sent": 0, "reason": "déjà envoyé"}
    campaign = session.scalar(select(Campaign).where(Campaign.id == assignment.campaign_id))
    assert campaign is not None
    turf = session.get(Turf, assignment.turf_id) if assignment.turf_id is not None else None
    subject, text = _message(settings, campaign, assignment, turf, reminder=reminder)
    sent = 0
    kind = "field.reminder" if reminder else "field.alert"
    for user in _recipients(session, assignment, campaign):
        # Queued with the mark below, sent after their commit (see circo.core.outbox).
        queue_mail(
            session,
            OutgoingEmail(to=user.email, subject=subject, text=text),
            campaign_id=campaign.id,
            key=f"{kind}:{assignment.id}:{user.id}",
        )
        sent += 1
    if reminder:
        assignment.reminded_at = utcnow()
    else:
        assignment.alerted_at = utcnow()
    session.flush()
    return {"sent": sent}


def send_alert(session: Session, settings: Settings, job: Job) -> dict[str, Any]:
    return _send(session, settings, job, reminder=False)


def send_reminder(session: Session, settings: Settings, job: Job) -> dict[str, Any]:
    return _send(session, settings, job, reminder=True)
