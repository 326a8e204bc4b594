"""Transactional mail sent after the commit, by the job engine: no mail server call ever runs
inside a database transaction, and a retried run never sends a mail twice.

A feature that mails someone (an event invitation or reminder, a team invitation, a field
alert) calls `queue_mail` in the transaction of the write that causes it: the mail becomes a
row of ``mail_outbox`` and a ``core.send_mail`` job is queued with it. Both commit with that
write — a rolled-back request mails nobody — and the job reaches a worker after the commit.

The job (`send_mail_job`) works like messaging's sending: it marks a few rows ``sending`` and
commits, hands them to the mail server with no transaction open, then records each outcome in
one short transaction. A run that died after the handover leaves rows ``sending``; the next run
marks them ``uncertain`` instead of sending them again (at most once: the person may already
have the mail). A mail server that cannot be reached puts the rows back and the job is retried
with back-off; a temporary refusal (4xx) is retried up to `MAX_ATTEMPTS`, a permanent one
(5xx) is ``failed``. The body of a mail that left is emptied (an invitation holds a link to
choose a password); the row stays `KEEP_DAYS` days as the record of what was sent to whom.
"""

from __future__ import annotations

import logging
import smtplib
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.email import EmailError, EmailSender, OutgoingEmail
from circo.core.models import Job, MailStatus, OutgoingMail
from circo.db import utcnow

logger = logging.getLogger(__name__)

KIND = "core.send_mail"
MAX_ATTEMPTS = 5  # per mail, for temporary refusals (4xx)
JOB_ATTEMPTS = 8  # per job, for an unreachable mail server: back-off 2, 4, … 128 s
GROUP = 20  # mails marked ``sending`` per transaction
KEEP_DAYS = 90
_QUEUED_IN = "circo.outbox.transaction"


class MailServerDown(EmailError):
    """The mail server could not be reached: the job is retried later."""


class MailsToRetry(EmailError):
    """Some mails were refused for now (4xx): the job is retried later."""


def queue_mail(
    session: Session,
    email: OutgoingEmail,
    *,
    campaign_id: int | None,
    key: str | None = None,
) -> OutgoingMail | None:
    """Queue ``email``, sent once ``session`` commits. A ``key`` already queued (the same
    invitation twice) queues nothing and returns None."""
    if key is not None and session.scalar(select(OutgoingMail.id).where(OutgoingMail.key == key)):
        return None
    row = OutgoingMail(
        campaign_id=campaign_id,
        key=key,
        email=email.to,
        subject=email.subject[:500],
        text=email.text,
        html=email.html,
        headers=dict(email.headers),
        reply_to=email.reply_to,
        status=MailStatus.queued,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        if key is not None:  # queued by a concurrent transaction: the database kept one
            return None
        raise
    _queue_job(session, campaign_id)
    return row


def _queue_job(session: Session, campaign_id: int | None) -> None:
    """One ``core.send_mail`` job per transaction that queued mail."""
    from circo.core import jobs

    transaction = session.get_transaction()
    if transaction is not None and session.info.get(_QUEUED_IN) is transaction:
        return
    jobs.enqueue(session, kind=KIND, campaign_id=campaign_id, max_attempts=JOB_ATTEMPTS)
    session.info[_QUEUED_IN] = transaction


# --- the job ----------------------------------------------------------------------------------


def send_mail_job(session: Session, settings: Settings, job: Job) -> dict[str, Any]:
    """Send every queued mail (see the module doc); the counts of this run."""
    return drain(
        session,
        settings,
        job_id=job.id,
        attempt=job.attempts,
        final=job.attempts >= job.max_attempts,
    )


def drain(
    session: Session, settings: Settings, *, job_id: int, attempt: int, final: bool = False
) -> dict[str, Any]:
    """Send the queued mails as run ``attempt`` of job ``job_id``. Raises `MailServerDown` or
    `MailsToRetry` (after committing what was done) for the job engine to retry later."""
    counts: Counter[str] = Counter(uncertain=_settle_interrupted(session))
    session.commit()
    after = 0
    with EmailSender(settings) as sender:
        while True:
            rows = _claim(session, after=after, job_id=job_id, attempt=attempt)
            if not rows:
                break
            after = rows[-1].id
            _send_group(session, sender, rows, counts, final=final)
    _purge(session)
    session.commit()
    if counts["retry"]:
        raise MailsToRetry(f"{counts['retry']} message(s) refusé(s) pour l'instant : réessai")
    return {key: value for key, value in counts.items() if value}


def _settle_interrupted(session: Session) -> int:
    """Rows left ``sending`` by a run that is no longer running: ``uncertain``, not resent."""
    claimed = session.execute(
        select(OutgoingMail.id, OutgoingMail.claimed_job, OutgoingMail.claimed_attempt).where(
            OutgoingMail.status == MailStatus.sending
        )
    ).all()
    if not claimed:
        return 0
    running = {
        (job_id, attempts)
        for job_id, attempts in session.execute(
            select(Job.id, Job.attempts).where(Job.status == "running")
        )
    }
    orphans = [row_id for row_id, job, attempt in claimed if (job, attempt) not in running]
    if orphans:
        session.execute(
            update(OutgoingMail)
            .where(OutgoingMail.id.in_(orphans), OutgoingMail.status == MailStatus.sending)
            .values(
                status=MailStatus.uncertain,
                error="envoi interrompu pendant la remise au serveur de messagerie : non "
                "renvoyé (le message est peut-être parti)",
            )
            .execution_options(synchronize_session=False)
        )
    return len(orphans)


def _claim(session: Session, *, after: int, job_id: int, attempt: int) -> list[OutgoingMail]:
    """Mark the next queued rows ``sending`` for this run and commit; the rows, loaded."""
    ids = list(
        session.scalars(
            select(OutgoingMail.id)
            .where(OutgoingMail.status == MailStatus.queued, OutgoingMail.id > after)
            .order_by(OutgoingMail.id)
            .limit(GROUP)
        )
    )
    if not ids:
        session.commit()
        return []
    claimed = set(
        session.scalars(
            update(OutgoingMail)
            .where(OutgoingMail.id.in_(ids), OutgoingMail.status == MailStatus.queued)
            .values(
                status=MailStatus.sending,
                attempts=OutgoingMail.attempts + 1,
                claimed_job=job_id,
                claimed_attempt=attempt,
            )
            .returning(OutgoingMail.id)
            .execution_options(synchronize_session=False)
        )
    )
    rows = list(
        session.scalars(
            select(OutgoingMail)
            .where(OutgoingMail.id.in_(claimed))
            .order_by(OutgoingMail.id)
            .execution_options(populate_existing=True)
        )
    )
    session.commit()  # the marks are durable before anything is handed over
    if not rows:  # another run took them all: look further
        return _claim(session, after=ids[-1], job_id=job_id, attempt=attempt)
    return rows


def _send_group(
    session: Session,
    sender: EmailSender,
    rows: list[OutgoingMail],
    counts: Counter[str],
    *,
    final: bool,
) -> None:
    outcomes: list[tuple[OutgoingMail, str, str | None, str | None]] = []
    down: MailServerDown | None = None
    for row in rows:  # no transaction is open while the mail server works
        if down is not None:
            outcomes.append((row, "back", None, None))
            continue
        try:
            outcomes.append((row, *_hand_over(sender, row)))
        except MailServerDown as exc:
            down = exc
            outcomes.append((row, "back", None, None))
    now = utcnow()
    for row, outcome, message_id, error in outcomes:
        values: dict[str, Any] = {"error": error, "claimed_job": None, "claimed_attempt": None}
        if outcome == "back":
            values.update(status=MailStatus.queued, attempts=OutgoingMail.attempts - 1)
        elif outcome == "sent":
            values.update(status=MailStatus.sent, message_id=message_id, sent_at=now, text="")
            values.update(html=None)
        elif outcome == "retry" and (final or row.attempts >= MAX_ATTEMPTS):
            values.update(status=MailStatus.failed)
            outcome = "failed"
        elif outcome == "retry":
            values.update(status=MailStatus.queued)
        else:
            values.update(status=MailStatus(outcome), text="", html=None)
        if outcome != "back":
            counts[outcome] += 1
        session.execute(
            update(OutgoingMail)
            .where(OutgoingMail.id == row.id, OutgoingMail.status == MailStatus.sending)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    session.commit()
    if down is not None:
        raise down


def _hand_over(sender: EmailSender, row: OutgoingMail) -> tuple[str, str | None, str | None]:
    """(outcome, Message-ID, error) of handing ``row`` to the mail server."""
    email = OutgoingEmail(
        to=row.email,
        subject=row.subject,
        text=row.text,
        html=row.html,
        headers=dict(row.headers or {}),
        reply_to=row.reply_to,
    )
    try:
        return "sent", sender.send(email), None
    except EmailError as exc:
        if "injoignable" in exc.message:
            raise MailServerDown(exc.message) from exc
        code = _smtp_code(exc.__cause__)
        if code is not None and 400 <= code < 500:
            return "retry", None, exc.message
        return "failed", None, exc.message
    except (OSError, smtplib.SMTPException) as exc:
        # The connection broke while the mail was being handed over: it may have gone.
        return "uncertain", None, f"connexion interrompue pendant l'envoi : {exc}"


def _smtp_code(exc: BaseException | None) -> int | None:
    if isinstance(exc, smtplib.SMTPResponseException):
        return int(exc.smtp_code)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in exc.recipients.values()]
        return int(codes[0]) if codes else None
    return None


def _purge(session: Session) -> None:
    """Forget mails that left (or failed) more than `KEEP_DAYS` days ago."""
    cutoff = utcnow() - timedelta(days=KEEP_DAYS)
    session.execute(
        delete(OutgoingMail).where(
            OutgoingMail.status != MailStatus.queued,
            OutgoingMail.status != MailStatus.sending,
            OutgoingMail.created_at < cutoff,
        )
    )
