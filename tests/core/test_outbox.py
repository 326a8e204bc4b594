"""Transactional mail through the outbox (`circo.core.outbox`), against a real local SMTP
server (aiosmtpd) on both backends: sent after the commit only, once even when its job runs
again, never resent after an interrupted handover, kept and retried when the server is down."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from circo.core.email import OutgoingEmail
from circo.core.jobs import run_pending
from circo.core.models import Job, MailStatus, OutgoingMail
from circo.core.outbox import KIND, queue_mail
from circo.db import utcnow
from circo.runtime import Runtime
from tests.factories import make_campaign
from tests.messaging.conftest import SmtpCollector, free_port


@pytest.fixture
def smtp() -> Iterator[tuple[SmtpCollector, int]]:
    collector = SmtpCollector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    yield collector, port
    controller.stop()


def _mail(index: int) -> OutgoingEmail:
    return OutgoingEmail(
        to=f"person{index}@example.org",
        subject=f"Invitation n° {index}",
        text=f"Choisissez votre mot de passe : https://exemple.fr/reset?token=secret{index}",
    )


def _rows(session: Session) -> list[OutgoingMail]:
    session.expire_all()
    rows = list(session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)))
    session.commit()  # a test holding SQLite's write lock would block the job it runs
    return rows


def _requeue_jobs(session: Session) -> None:
    """What a worker killed after the handover, or a second delivery of the job, amounts to."""
    session.execute(update(Job).where(Job.kind == KIND).values(status="queued", run_after=utcnow()))
    session.commit()


def test_sent_after_commit_once_even_when_the_job_runs_again(
    runtime: Runtime, session: Session, smtp: tuple[SmtpCollector, int]
) -> None:
    collector, port = smtp
    settings = runtime.settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
    campaign = make_campaign(session)
    session.commit()

    queue_mail(session, _mail(0), campaign_id=campaign.id, key="k0")
    session.rollback()  # the write that queued it did not commit: no mail, no job
    assert _rows(session) == []
    assert session.scalar(select(Job).where(Job.kind == KIND)) is None
    session.commit()

    for index in range(3):
        assert queue_mail(session, _mail(index), campaign_id=campaign.id, key=f"k{index}")
    assert queue_mail(session, _mail(0), campaign_id=campaign.id, key="k0") is None  # same key
    session.commit()
    assert collector.messages == []  # nothing leaves inside the transaction
    assert len(session.scalars(select(Job).where(Job.kind == KIND)).all()) == 1  # one per write
    session.commit()

    assert run_pending(runtime.factory, settings, kinds={KIND}) == 1
    assert sorted(collector.per_recipient()) == [f"person{i}@example.org" for i in range(3)]
    rows = _rows(session)
    assert [row.status for row in rows] == [MailStatus.sent] * 3
    assert all(row.text == "" and row.sent_at and row.message_id for row in rows)  # body gone

    _requeue_jobs(session)
    assert run_pending(runtime.factory, settings, kinds={KIND}) == 1
    assert len(collector.messages) == 3  # a second run sends nothing again


def test_an_interrupted_handover_is_not_sent_again(
    runtime: Runtime, session: Session, smtp: tuple[SmtpCollector, int]
) -> None:
    collector, port = smtp
    settings = runtime.settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
    campaign = make_campaign(session)
    session.commit()
    queue_mail(session, _mail(1), campaign_id=campaign.id)
    queue_mail(session, _mail(2), campaign_id=campaign.id)
    session.commit()
    job = session.scalar(select(Job).where(Job.kind == KIND))
    assert job is not None
    first = _rows(session)[0]
    # A run (attempt 1 of the job) marked the first mail "sending", then its worker died.
    session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.id == first.id)
        .values(status=MailStatus.sending, claimed_job=job.id, claimed_attempt=1, attempts=1)
    )
    session.execute(update(Job).where(Job.id == job.id).values(attempts=1))
    session.commit()

    assert run_pending(runtime.factory, settings, kinds={KIND}) == 1
    assert list(collector.per_recipient()) == ["person2@example.org"]
    statuses = [row.status for row in _rows(session)]
    assert statuses == [MailStatus.uncertain, MailStatus.sent]
    session.expire_all()
    assert session.get(Job, job.id).result == {"uncertain": 1, "sent": 1}
    session.commit()


def test_mail_server_down_keeps_the_mail_and_the_job_retries(
    runtime: Runtime, session: Session, smtp: tuple[SmtpCollector, int]
) -> None:
    collector, port = smtp
    down = runtime.settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": free_port()}  # nobody listens there
    )
    campaign = make_campaign(session)
    session.commit()
    queue_mail(session, _mail(3), campaign_id=campaign.id)
    session.commit()

    assert run_pending(runtime.factory, down, kinds={KIND}) == 1
    session.expire_all()
    job = session.scalar(select(Job).where(Job.kind == KIND))
    assert job is not None
    assert job.status == "queued"  # retried with back-off
    assert "injoignable" in (job.error or "")
    session.commit()
    (row,) = _rows(session)
    assert row.status == MailStatus.queued
    assert row.attempts == 0  # an unreachable server does not use up the mail's attempts

    session.execute(update(Job).where(Job.id == job.id).values(run_after=utcnow()))
    session.commit()
    up = runtime.settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
    assert run_pending(runtime.factory, up, kinds={KIND}) == 1
    assert list(collector.per_recipient()) == ["person3@example.org"]
    assert _rows(session)[0].status == MailStatus.sent


def test_temporary_refusal_is_retried_and_permanent_refusal_fails(
    runtime: Runtime, session: Session, smtp: tuple[SmtpCollector, int]
) -> None:
    collector, port = smtp
    settings = runtime.settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
    campaign = make_campaign(session)
    session.commit()
    queue_mail(session, _mail(4), campaign_id=campaign.id)
    session.commit()

    collector.fail_after = 0  # 451: try again later
    assert run_pending(runtime.factory, settings, kinds={KIND}) == 1
    (row,) = _rows(session)
    assert row.status == MailStatus.queued
    assert "451" in (row.error or "")
    assert row.text  # kept to be sent later

    collector.fail_code = "550 5.1.1 boîte inconnue"
    session.execute(
        update(Job).where(Job.kind == KIND).values(run_after=utcnow() - timedelta(seconds=1))
    )
    session.commit()
    assert run_pending(runtime.factory, settings, kinds={KIND}) == 1
    (row,) = _rows(session)
    assert row.status == MailStatus.failed
    assert "550" in (row.error or "")
    assert collector.messages == []
