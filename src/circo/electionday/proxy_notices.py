"""Telling both sides of a procuration: when they are matched, and again before the vote.

At the match (`procurations.match`), each person gets an e-mail through the outbox (sent after
the commit) and an SMS through a job (`electionday.proxy_notice`, sent by the job engine with
the campaign's SMS provider), each only where `circo.privacy.can_contact` allows that channel
(consent, opposition, suppression list) — SMS needs prior opt-in. A reminder job is scheduled
for 18 h (campaign time) two days before each vote the match covers (round 1: the campaign's
election date; the last round: the request's ``delete_after``); it sends nothing if the match
was undone meanwhile (a withdrawal). Every job and mail has an idempotency key: a second run of
the matching never schedules or mails twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core import jobs
from circo.core.models import Campaign, Job
from circo.core.tenancy import CampaignContext, system_context
from circo.db import utcnow
from circo.electionday.models import ProxyMatch, ProxyOffer, ProxyRequest, ProxyRounds
from circo.electionday.proxy_rules import STEPS

NOTICE_KIND = "electionday.proxy_notice"
REMINDER_DAYS = 2  # the reminder goes two days before the vote …
REMINDER_HOUR = 18  # … at 18 h, campaign time
SHORT_STEPS = (
    "Démarches : demande sur maprocuration.gouv.fr puis validation au commissariat ou à la "
    "gendarmerie (pièce d'identité), avec le numéro national d'électeur du mandataire."
)


def vote_dates(ctx: CampaignContext, request: ProxyRequest) -> list[date]:
    """The votes the request covers, as far as the campaign knows their dates."""
    dates: set[date] = set()
    first = ctx.campaign.election_date
    if first is not None and request.rounds in (ProxyRounds.first, ProxyRounds.both):
        dates.add(first)
    if request.rounds in (ProxyRounds.second, ProxyRounds.both) or first is None:
        dates.add(request.delete_after)
    return sorted(dates)


def reminder_at(ctx: CampaignContext, vote: date) -> datetime:
    from circo.core.timezone import campaign_zone

    moment = datetime.combine(
        vote - timedelta(days=REMINDER_DAYS), time(REMINDER_HOUR),
        tzinfo=campaign_zone(ctx.campaign),
    )  # fmt: skip
    return moment.astimezone(UTC)


def schedule(session: Session, ctx: CampaignContext, match: ProxyMatch) -> list[Job]:
    """The SMS of the match now, and a reminder before each vote still ahead."""
    request = session.get(ProxyRequest, match.request_id)
    if request is None:
        return []
    queued = [
        jobs.enqueue(
            session, kind=NOTICE_KIND, campaign_id=ctx.campaign_id,
            payload={"match_id": match.id, "kind": "match"},
            idempotency_key=f"{NOTICE_KIND}:match:{match.id}",
        )
    ]  # fmt: skip
    now = utcnow()
    for vote in vote_dates(ctx, request):
        when = reminder_at(ctx, vote)
        if when <= now:
            continue
        queued.append(
            jobs.enqueue(
                session, kind=NOTICE_KIND, campaign_id=ctx.campaign_id,
                payload={"match_id": match.id, "kind": "reminder", "vote": vote.isoformat()},
                idempotency_key=f"{NOTICE_KIND}:reminder:{match.id}:{vote.isoformat()}",
                delay_seconds=(when - now).total_seconds(),
            )
        )  # fmt: skip
    return queued


def _texts(kind: str, vote: str, me: Any, other: Any, station: str, mandant: bool) -> tuple[
    str, str, str
]:  # fmt: skip
    """(subject, e-mail text, SMS text)."""
    who = f"{other.first_name} {other.last_name}".strip()
    role = "votera pour vous" if mandant else "vous confie sa procuration"
    if kind == "reminder":
        day = date.fromisoformat(vote).strftime("%d/%m/%Y")
        subject = f"Rappel : procuration pour le vote du {day}"
        lead = f"Rappel : le {day}, {who} {role} au bureau {station}."
        todo = (
            "Si la procuration n'est pas encore faite, faites-la dès aujourd'hui."
            if mandant
            else "Pensez à votre pièce d'identité ; vous votez dans le bureau de votre mandant."
        )
    else:
        subject = "Procuration : votre binôme pour le vote"
        lead = f"{who} {role} au bureau {station}."
        todo = ""
    steps = "\n".join(f"- {step}" for step in STEPS)
    mail = f"Bonjour {me.first_name},\n\n{lead}\n{todo}\n\nLes étapes :\n{steps}\n"
    sms = f"{lead} {todo} {SHORT_STEPS}".replace("  ", " ")
    return subject, mail, sms


def send_notice(session: Session, settings: Settings, job: Job) -> dict[str, Any]:
    """Job `electionday.proxy_notice`: the SMS of a match, or the reminder (e-mail and SMS)
    before a vote; nothing when the match was undone or the person may not be contacted."""
    from circo.core.email import OutgoingEmail
    from circo.core.outbox import queue_mail
    from circo.crm.models import Contact
    from circo.messaging.providers import make_sms_provider
    from circo.privacy import can_contact

    kind = str(job.payload.get("kind", "match"))
    vote = str(job.payload.get("vote", ""))
    match = session.get(ProxyMatch, int(job.payload["match_id"]))
    if match is None or not match.active:
        return {"sms": 0, "emails": 0, "skipped": "procuration retirée"}
    campaign = session.get(Campaign, match.campaign_id)
    request = session.get(ProxyRequest, match.request_id)
    offer = session.get(ProxyOffer, match.offer_id)
    if campaign is None or request is None or offer is None:
        return {"sms": 0, "emails": 0, "skipped": "procuration supprimée"}
    ctx = system_context(campaign)
    mandant = session.scalar(select(Contact).where(Contact.id == request.contact_id))
    mandataire = session.scalar(select(Contact).where(Contact.id == offer.contact_id))
    if mandant is None or mandataire is None:
        return {"sms": 0, "emails": 0, "skipped": "contact supprimé"}
    sms: list[tuple[str, str, str]] = []
    emails = 0
    for me, other, is_mandant in ((mandant, mandataire, True), (mandataire, mandant, False)):
        subject, mail, text = _texts(kind, vote, me, other, request.station_key, is_mandant)
        if kind == "reminder" and me.email and can_contact(session, ctx, me.id, "email").allowed:
            queue_mail(
                session, OutgoingEmail(to=me.email, subject=subject, text=mail),
                campaign_id=campaign.id, key=f"proxy-reminder:{match.id}:{vote}:{me.id}",
            )  # fmt: skip
            emails += 1
        if me.phone and can_contact(session, ctx, me.id, "sms").allowed:
            sms.append((me.phone, text, f"proxy-{kind}-{match.id}-{vote}-{me.id}"))
    session.commit()  # the reminder mails are in the outbox before any SMS leaves
    provider = make_sms_provider(settings)
    try:
        for phone, text, reference in sms:
            provider.send(to=phone, text=text, reference=reference)
    finally:
        provider.close()
    return {"sms": len(sms), "emails": emails}
