"""Carrying out a send, through the job runner: at most once per (message, recipient).

The delivery row is the idempotency key (unique ``(message_id, contact_id)``) and follows
``queued → sending → sent``. Before a message is handed to the SMTP server or the SMS
provider its row is committed as ``sending``; once the provider has accepted it the row is
committed as ``sent`` (in the same transaction that claims the next row). A crash between the
two leaves the row in ``sending``: the next run marks it ``uncertain`` and never sends it
again. We choose **at-most-once**: an interrupted recipient may miss one message (visible in
the log, re-sendable by hand), nobody ever gets the same message twice.

Other rules checked here, batch by batch, so that a long send honours them too:
- the election calendar (L49 blackout; SMS contacting hours) — the job is postponed;
- paid-advertising providers in the L52-1 window — the send is refused;
- the privacy decision of each recipient is taken again just before sending: an unsubscribe
  or opposition recorded after queueing cancels the pending delivery;
- throttling (``rate_per_second``) and retries of transient failures (SMTP 4xx, provider
  5xx), with the reason of every failure on the row.
"""

from __future__ import annotations

import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core import jobs
from circo.core.email import EmailError, OutgoingEmail, list_unsubscribe
from circo.core.models import Campaign, Job
from circo.core.tenancy import CampaignContext, system_context
from circo.db import utcnow
from circo.messaging import directory, service
from circo.messaging.errors import ProviderError
from circo.messaging.links import Links, UnsubscribeToken
from circo.messaging.mime import BulkEmailSender
from circo.messaging.models import Delivery, MessageCampaign
from circo.messaging.personalise import (
    CompiledMessage,
    Recipient,
    rewrite_links,
    text_to_html,
    values_for,
)
from circo.messaging.providers import SmsProvider, make_sms_provider
from circo.privacy import check_calendar

BATCH = 200
CLAIM_GROUP = 10  # at most this many recipients are left 'uncertain' by a crash
PROGRESS_SECONDS = 1.0  # at most one progress write per second while sending
TO_SEND = ("queued", "sending")
HANDED = ("sent", "failed", "uncertain", "cancelled")


class SendProgress:
    """Recipients handled of those to send (``report(done, total)``: the job's progress bar),
    counted in memory and written at most every `PROGRESS_SECONDS`, after a commit."""

    def __init__(self, report: Callable[[int, int], None] | None = None) -> None:
        self.report = report
        self.done = 0
        self.total = 0
        self.last = 0.0

    def start(self, counts: dict[str, int]) -> None:
        self.done = sum(counts.get(status, 0) for status in HANDED)
        self.total = self.done + sum(counts.get(status, 0) for status in TO_SEND)
        self.flush()

    def add(self, count: int) -> None:
        self.done = min(self.done + count, self.total)
        if time.monotonic() - self.last >= PROGRESS_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.report is not None:
            self.report(self.done, self.total)
            self.last = time.monotonic()


MAX_ATTEMPTS = 3
RETRY_SECONDS = (10, 60, 300)
HOURS_RETRY_SECONDS = 900


class EmailTransport(Protocol):
    def send(self, email: OutgoingEmail) -> str: ...

    def close(self) -> None: ...


class TransportDown(Exception):
    """The SMTP server or SMS provider cannot be reached: nothing was handed over."""


@dataclass
class Outcome:
    status: str  # sent, failed, retry, requeue, uncertain
    reason: str | None = None
    provider_id: str | None = None


@dataclass
class Prepared:
    delivery_id: int
    contact_id: int
    to: str
    subject: str
    text: str
    html: str | None
    headers: dict[str, str]


class Throttle:
    def __init__(self, rate_per_second: float) -> None:
        self.interval = 1.0 / rate_per_second if rate_per_second > 0 else 0.0
        self._next = time.monotonic()

    def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if self._next > now:
            time.sleep(self._next - now)
        self._next = max(now, self._next) + self.interval


# --- rendering --------------------------------------------------------------------------------


class Renderer:
    """Everything that does not change from one recipient to the next, computed once."""

    def __init__(
        self, session: Session, ctx: CampaignContext, settings: Settings, message: MessageCampaign
    ) -> None:
        self.message = message
        self.links = Links.of(settings)
        self.sender = settings.smtp_from
        self.campaign_name = ctx.campaign.name
        self.campaign_id = ctx.campaign_id
        subjects = message.subject_variants or [message.subject]
        self.compiled = [
            CompiledMessage(subject=subject, body=message.body) for subject in subjects
        ]
        point = (
            service.get_point(session, ctx, message.point_id)
            if message.point_id is not None
            else None
        )
        self.point_title = point.title if point else ""
        self.point_summary = point.summary if point else ""

    def prepare(self, row: Any, recipient: Recipient) -> Prepared:
        message = self.message
        unsubscribe = self.links.unsubscribe_url(
            UnsubscribeToken(self.campaign_id, recipient.contact_id, message.channel, message.id)
        )
        values = values_for(
            recipient,
            campaign_name=self.campaign_name,
            point_title=self.point_title,
            point_summary=self.point_summary,
            unsubscribe_url=unsubscribe,
        )
        variant = row.variant if row.variant is not None else (message.ab_winner or 0)
        subject, text = self.compiled[min(variant, len(self.compiled) - 1)].render(values)
        if message.channel == "sms":
            if "stop" not in text.lower():
                text = text.rstrip() + "\nSTOP : répondez STOP"
            return Prepared(row.id, row.contact_id, recipient.phone or "", "", text, None, {})
        return self._email(row, recipient, subject, text, unsubscribe)

    def _email(
        self, row: Any, recipient: Recipient, subject: str, text: str, unsubscribe: str
    ) -> Prepared:
        html_body = text
        pixel = None
        if row.tracked:
            html_body = rewrite_links(text, lambda url: self.links.click_url(row.id, url))
            pixel = self.links.open_pixel_url(row.id)
        footer_text = (
            f"Vous recevez ce message de {self.campaign_name}. "
            f"Pour ne plus recevoir nos e-mails : {unsubscribe}"
        )
        footer_html = (
            f"Vous recevez ce message de {_escape(self.campaign_name)}. "
            f'<a href="{_escape(unsubscribe)}">Se désinscrire en un clic</a>'
        )
        return Prepared(
            row.id,
            row.contact_id,
            recipient.email or "",
            subject,
            f"{text.rstrip()}\n\n-- \n{footer_text}\n",
            text_to_html(html_body, footer=footer_html, pixel_url=pixel),
            {
                **list_unsubscribe(unsubscribe, self.sender, token=unsubscribe.rsplit("/", 1)[-1]),
                "X-Circo-Message": str(self.message.id),
            },
        )


def _escape(text: str) -> str:
    import html

    return html.escape(text, quote=True)


# --- handing over -----------------------------------------------------------------------------


def _smtp_code(exc: BaseException | None) -> int | None:
    if isinstance(exc, smtplib.SMTPResponseException):
        return int(exc.smtp_code)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return int(codes[0]) if codes else None
    return None


def _smtp_reason(exc: EmailError) -> str:
    cause = exc.__cause__
    if isinstance(cause, smtplib.SMTPResponseException):
        text = cause.smtp_error
        decoded = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        return f"refusé par le serveur SMTP ({cause.smtp_code}) : {decoded}"
    if isinstance(cause, smtplib.SMTPRecipientsRefused):
        parts = [
            f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"
            for code, text in cause.recipients.values()
        ]
        return "destinataire refusé par le serveur SMTP : " + "; ".join(parts)
    return exc.message


def hand_over_email(transport: EmailTransport, prepared: Prepared) -> Outcome:
    try:
        provider_id = transport.send(
            OutgoingEmail(
                to=prepared.to,
                subject=prepared.subject,
                text=prepared.text,
                html=prepared.html,
                headers=prepared.headers,
            )
        )
    except EmailError as exc:
        if "injoignable" in exc.message:
            raise TransportDown(exc.message) from exc
        code = _smtp_code(exc.__cause__)
        reason = _smtp_reason(exc)
        if code is not None and 400 <= code < 500:
            return Outcome("retry", reason)
        return Outcome("failed", reason)
    except (OSError, smtplib.SMTPException) as exc:
        # The connection broke while the message was being handed over: it may have gone.
        return Outcome("uncertain", f"connexion interrompue pendant l'envoi : {exc}")
    return Outcome("sent", provider_id=provider_id)


def hand_over_sms(provider: SmsProvider, prepared: Prepared) -> Outcome:
    try:
        provider_id = provider.send(
            to=prepared.to, text=prepared.text, reference=f"d{prepared.delivery_id}"
        )
    except ProviderError as exc:
        if exc.maybe_sent:
            return Outcome("uncertain", exc.message)
        return Outcome("retry" if exc.transient else "failed", exc.message)
    return Outcome("sent", provider_id=provider_id)


# --- the job ----------------------------------------------------------------------------------


@dataclass
class Channels:
    email: EmailTransport | None = None
    sms: SmsProvider | None = None


# Built once: a send runs it for every recipient (executemany per group).
_RECORD = (
    update(Delivery)
    .where(Delivery.id == bindparam("delivery_id"))
    .values(
        status=bindparam("status"),
        reason=bindparam("reason"),
        sent_at=bindparam("sent_at"),
        provider_id=bindparam("provider_id"),
        next_attempt_at=bindparam("next_attempt_at"),
        attempts=bindparam("attempts"),
    )
)


def _record(session: Session, outcomes: list[tuple[Prepared, Outcome, int]], now: datetime) -> None:
    """Write what happened to each message handed over (final state, or back to queued)."""
    if not outcomes:
        return
    params = []
    for row, outcome, attempts in outcomes:
        values: dict[str, Any] = {
            "delivery_id": row.delivery_id,
            "status": outcome.status,
            "reason": outcome.reason,
            "sent_at": None,
            "provider_id": outcome.provider_id,
            "next_attempt_at": None,
            "attempts": attempts,
        }
        if outcome.status == "sent":
            values["sent_at"] = now
        elif outcome.status == "retry" and attempts < MAX_ATTEMPTS:
            delay = RETRY_SECONDS[min(attempts, len(RETRY_SECONDS)) - 1]
            values.update(status="queued", next_attempt_at=now + timedelta(seconds=delay))
        elif outcome.status == "requeue":
            values.update(status="queued", attempts=max(attempts - 1, 0))
        elif outcome.status != "uncertain":
            values["status"] = "failed"
        params.append(values)
    session.connection().execute(_RECORD, params)


def _claim_many(session: Session, delivery_ids: list[int], now: datetime) -> dict[int, int]:
    """Mark the rows ``sending``: delivery id → attempt number (rows another run took are
    left out)."""
    claimed = session.execute(
        update(Delivery)
        .where(Delivery.id.in_(delivery_ids), Delivery.status == "queued")
        .values(status="sending", sending_at=now, attempts=Delivery.attempts + 1)
        .returning(Delivery.id, Delivery.attempts)
        .execution_options(synchronize_session=False)
    ).all()
    return {int(delivery_id): int(attempts) for delivery_id, attempts in claimed}


def _due_rows(session: Session, message_id: int, now: datetime) -> list[Any]:
    query = (
        select(Delivery.id, Delivery.contact_id, Delivery.variant, Delivery.tracked)
        .where(
            Delivery.message_id == message_id,
            Delivery.status == "queued",
            or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
        )
        .order_by(Delivery.id)
        .limit(BATCH)
    )
    return list(session.execute(query).all())


def recover_interrupted(session: Session, message_id: int) -> int:
    """Rows left in ``sending`` by a crash: possibly sent, so never sent again."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.message_id == message_id, Delivery.status == "sending")
        .values(
            status="uncertain",
            reason="envoi interrompu après remise possible au serveur : non renvoyé "
            "(au plus une fois)",
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _postpone(
    session: Session, ctx: CampaignContext, message: MessageCampaign, seconds: float, why: str
) -> dict[str, Any]:
    summary = dict(message.summary or {})
    rounds = int(summary.get("rounds", 0)) + 1
    summary.update(rounds=rounds, postponed=why)
    message.summary = summary
    jobs.enqueue(
        session,
        kind=service.SEND_JOB,
        payload={"message_id": message.id},
        campaign_id=ctx.campaign_id,
        idempotency_key=f"{service.SEND_JOB}:{message.id}:{rounds}",
        delay_seconds=max(seconds, 1.0),
    )
    session.commit()
    return {"postponed": why, **service.outcome(session, message)}


def _calendar_gate(
    session: Session, ctx: CampaignContext, message: MessageCampaign, now: datetime
) -> dict[str, Any] | None:
    decision = check_calendar(ctx.campaign, now, "sms" if message.channel == "sms" else "message")
    if decision.allowed:
        return None
    seconds = (decision.until - now).total_seconds() if decision.until else HOURS_RETRY_SECONDS
    return _postpone(session, ctx, message, seconds, decision.reason)


def run_send(
    session: Session,
    settings: Settings,
    *,
    message_id: int,
    channels: Channels | None = None,
    clock: Callable[[], datetime] = utcnow,
    group: int = CLAIM_GROUP,
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Send the due deliveries of a message, committing ``group`` recipients at a time as
    ``sending`` before handing them over (see module doc); ``on_progress(done, total)`` is
    told how many of the recipients to send are handled, after a commit."""
    message = session.get(MessageCampaign, message_id)
    if message is None or message.status in ("done", "cancelled", "draft", "failed"):
        return {"skipped": True}
    campaign = session.get(Campaign, message.campaign_id)
    assert campaign is not None
    ctx = system_context(campaign)
    recover_interrupted(session, message.id)
    if message.status == "queued" and message.started_at is not None:
        message.status = "sending"
    counts = service.status_counts(session, message.id)
    session.commit()
    progress = SendProgress(on_progress)
    progress.start(counts)
    owned = channels is None
    channels = channels or Channels()
    try:
        result = _send_all(session, ctx, settings, message, channels, clock, group, progress)
        progress.flush()
    finally:
        if owned:
            for transport in (channels.email, channels.sms):
                if transport is not None:
                    transport.close()
    return result


def _transport(settings: Settings, message: MessageCampaign, channels: Channels) -> Any:
    if message.channel == "sms":
        if channels.sms is None:
            channels.sms = make_sms_provider(settings)
        return channels.sms
    if channels.email is None:
        channels.email = BulkEmailSender(settings)
    return channels.email


def _send_all(
    session: Session,
    ctx: CampaignContext,
    settings: Settings,
    message: MessageCampaign,
    channels: Channels,
    clock: Callable[[], datetime],
    group: int,
    progress: SendProgress,
) -> dict[str, Any]:
    transport = _transport(settings, message, channels)
    if getattr(transport, "paid_advertising", False):
        decision = check_calendar(ctx.campaign, clock(), "paid_ads")
        if not decision.allowed:
            message.status = "failed"
            message.summary = {**(message.summary or {}), "error": decision.reason}
            session.commit()
            return {"refused": decision.reason, **service.outcome(session, message)}
    renderer = Renderer(session, ctx, settings, message)
    throttle = Throttle(message.rate_per_second)
    while True:
        now = clock()
        blocked = _calendar_gate(session, ctx, message, now)
        if blocked is not None:
            return blocked
        rows = _due_rows(session, message.id, now)
        if not rows:
            break
        _send_batch(
            session, ctx, renderer, message, transport, rows, throttle, clock, group, progress
        )
    return _finish(session, ctx, message, clock())


def _send_batch(
    session: Session,
    ctx: CampaignContext,
    renderer: Renderer,
    message: MessageCampaign,
    transport: Any,
    rows: list[Any],
    throttle: Throttle,
    clock: Callable[[], datetime],
    group: int,
    progress: SendProgress,
) -> None:
    """Send ``rows``: ``group`` rows at a time are committed as ``sending`` (in the same
    transaction as the outcomes of the previous group), then handed over one by one."""
    ids = [row.contact_id for row in rows]
    verdicts = directory.verdicts(session, ctx, contact_ids=ids, channel=message.channel)
    people = directory.recipients(session, ctx, ids)
    ready: list[Prepared] = []
    cancelled = 0
    for row in rows:
        verdict = verdicts.get(row.contact_id)
        recipient = people.get(row.contact_id)
        if verdict is None or not verdict.allowed or recipient is None:
            reason = verdict.reason if verdict else "contact introuvable"
            session.execute(
                update(Delivery)
                .where(Delivery.id == row.id, Delivery.status == "queued")
                .values(status="cancelled", reason=f"plus joignable : {reason}")
            )
            cancelled += 1
            continue
        ready.append(renderer.prepare(row, recipient))
    pending: list[tuple[Prepared, Outcome, int]] = []
    for start in range(0, len(ready), group):
        chunk = ready[start : start + group]
        now = clock()
        claimed = _claim_many(session, [item.delivery_id for item in chunk], now)
        _record(session, pending, now)
        session.commit()
        progress.add(len(pending) + cancelled)
        pending, cancelled = [], 0
        todo = [item for item in chunk if item.delivery_id in claimed]
        for index, prepared in enumerate(todo):
            throttle.wait()
            try:
                if message.channel == "sms":
                    outcome = hand_over_sms(transport, prepared)
                else:
                    outcome = hand_over_email(transport, prepared)
            except TransportDown:
                untouched = [(item, Outcome("requeue")) for item in todo[index:]]
                pending.extend(
                    (item, result, claimed[item.delivery_id]) for item, result in untouched
                )
                _record(session, pending, clock())
                session.commit()
                raise
            pending.append((prepared, outcome, claimed[prepared.delivery_id]))
    _record(session, pending, clock())
    session.commit()
    progress.add(len(pending) + cancelled)


def _finish(
    session: Session, ctx: CampaignContext, message: MessageCampaign, now: datetime
) -> dict[str, Any]:
    waiting = session.scalar(
        select(Delivery.next_attempt_at)
        .where(Delivery.message_id == message.id, Delivery.status == "queued")
        .order_by(Delivery.next_attempt_at)
        .limit(1)
    )
    if waiting is not None:
        return _postpone(session, ctx, message, (waiting - now).total_seconds(), "nouvel essai")
    if message.status != "testing":
        message.status = "done"
        message.finished_at = now
    result = service.outcome(session, message)
    message.summary = {**(message.summary or {}), **result}
    session.commit()
    return result


def send_job(session: Session, settings: Settings, job: Job) -> dict[str, Any] | None:
    return run_send(
        session,
        settings,
        message_id=int(job.payload["message_id"]),
        on_progress=lambda done, total: jobs.report_progress(job, done, total),
    )


def latest_send_job(session: Session, message_id: int) -> Job | None:
    """The most recent send job of a message (its progress is the send's progress bar)."""
    prefix = f"{service.SEND_JOB}:{message_id}:"
    return session.scalar(
        select(Job).where(Job.idempotency_key.like(prefix + "%")).order_by(Job.id.desc()).limit(1)
    )


def ab_decide_job(session: Session, settings: Settings, job: Job) -> dict[str, Any] | None:
    """After the A/B waiting time, pick the winner by the metric and send it to the rest."""
    message = session.get(MessageCampaign, int(job.payload["message_id"]))
    if message is None or message.status != "testing":
        return {"skipped": True}
    campaign = session.get(Campaign, message.campaign_id)
    assert campaign is not None
    winner = service.decide_winner(session, system_context(campaign), message=message)
    return {"winner": winner}


def pending_send_jobs(session: Session, message_id: int) -> list[Job]:
    """The send jobs of a message still to run (the CLI waits for them)."""
    prefix = f"{service.SEND_JOB}:{message_id}:"
    return list(
        session.scalars(
            select(Job)
            .where(Job.idempotency_key.like(prefix + "%"), Job.status == "queued")
            .order_by(Job.run_after)
        )
    )


def failed_send_jobs(session: Session, message_id: int) -> list[Job]:
    prefix = f"{service.SEND_JOB}:{message_id}:"
    return list(
        session.scalars(
            select(Job).where(Job.idempotency_key.like(prefix + "%"), Job.status == "failed")
        )
    )
