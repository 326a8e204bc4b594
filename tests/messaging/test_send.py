"""Sending by email against a real local SMTP server: consent, opposition, idempotency, crash."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.email import EmailSender, OutgoingEmail
from circo.core.jobs import run_pending
from circo.messaging import delivery, service
from circo.messaging.models import Delivery
from circo.runtime import Runtime
from tests.messaging.conftest import SmtpCollector, World, build_world

BODY = "Bonjour {{ prenom }},\n\nÀ {{ commune }} (bureau {{ bureau }}), votons !\nhttps://example.org/programme"


def draft(**changes: object) -> service.Draft:
    values: dict[str, object] = {
        "channel": "email",
        "segment": "all",
        "subject": "Pour {{ prenom }}",
        "body": BODY,
        "rate_per_second": 0.0,
    }
    values.update(changes)
    return service.Draft(**values)  # type: ignore[arg-type]


def test_send_multipart_with_unsubscribe_and_skips(
    runtime: Runtime,
    session: Session,
    world: World,
    smtp: tuple[SmtpCollector, int],
    smtp_settings: Settings,
) -> None:
    collector, _port = smtp
    message = service.start_send(session, world.ctx, smtp_settings, draft=draft())
    session.commit()
    run_pending(runtime.factory, smtp_settings)
    counts = collector.per_recipient()
    assert sorted(counts) == [f"person{index}@example.org" for index in range(5)]
    assert set(counts.values()) == {1}
    first = next(m for m in collector.messages if m["To"] == "person0@example.org")
    assert first["Subject"] == "Pour Prénom0"
    assert first.get_content_type() == "multipart/alternative"
    assert str(first["List-Unsubscribe"]).strip().startswith("<http://testserver/u/")
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = first.get_body(preferencelist=("plain",)).get_content()  # type: ignore[attr-defined]
    assert "Bonjour Prénom0," in text
    assert "À Lyon (bureau 0001)" in text
    html = first.get_body(preferencelist=("html",)).get_content()  # type: ignore[attr-defined]
    assert "<p>Bonjour Prénom0,</p>" in html
    assert "/u/" in html
    session.expire_all()
    outcome = service.outcome(session, service.get_message(session, world.ctx, message.id))
    assert outcome == {
        "campaign": message.id,
        "recipients": 8,
        "sent": 5,
        "skipped_no_consent": 2,
        "skipped_opposed": 1,
        "failed": 0,
    }
    rows = session.scalars(select(Delivery).where(Delivery.status == "sent")).all()
    assert all(row.basis == "consent" and row.proof["consent_id"] for row in rows)


def test_same_send_again_sends_nobody_twice(
    runtime: Runtime,
    session: Session,
    world: World,
    smtp: tuple[SmtpCollector, int],
    smtp_settings: Settings,
) -> None:
    collector, _port = smtp
    first = service.start_send(session, world.ctx, smtp_settings, draft=draft())
    session.commit()
    run_pending(runtime.factory, smtp_settings)
    again = service.start_send(session, world.ctx, smtp_settings, draft=draft())
    session.commit()
    run_pending(runtime.factory, smtp_settings)
    assert again.id == first.id
    assert set(collector.per_recipient().values()) == {1}


class Crash(BaseException):
    """Stands for the process being killed (not an Exception: nothing catches it)."""


class CrashingTransport:
    """Real SMTP; the process 'dies' right after the server accepted message number N."""

    def __init__(self, settings: Settings, crash_after: int) -> None:
        self.sender = EmailSender(settings)
        self.crash_after = crash_after
        self.accepted = 0

    def send(self, email: OutgoingEmail) -> str:
        result = self.sender.send(email)
        self.accepted += 1
        if self.accepted == self.crash_after:
            raise Crash()
        return result

    def close(self) -> None:
        self.sender.close()


def test_crash_after_acceptance_then_resume_sends_nobody_twice(
    runtime: Runtime, session: Session, smtp: tuple[SmtpCollector, int], smtp_settings: Settings
) -> None:
    collector, _port = smtp
    world = build_world(session, granted=12, refused=0, opposed=0)
    message = service.start_send(session, world.ctx, smtp_settings, draft=draft())
    session.commit()
    transport = CrashingTransport(smtp_settings, crash_after=5)
    with runtime.factory() as crashed, pytest.raises(Crash):
        delivery.run_send(
            crashed,
            smtp_settings,
            message_id=message.id,
            channels=delivery.Channels(email=transport),
        )
    transport.close()
    assert len(collector.messages) == 5
    with runtime.factory() as resumed:
        result = delivery.run_send(resumed, smtp_settings, message_id=message.id)
    counts = collector.per_recipient()
    assert max(counts.values()) == 1, "nobody twice"
    # the crashed group was committed as 'sending' and its outcomes were lost with the
    # process: its rows are 'uncertain', never re-sent (at most once); the rest goes out
    uncertain = result["failed"]
    assert 1 <= uncertain <= delivery.CLAIM_GROUP
    assert result["sent"] + uncertain == 12
    assert len(counts) == result["sent"] + transport.accepted
    with runtime.factory() as check:
        rows = check.scalars(select(Delivery).where(Delivery.status == "uncertain")).all()
        assert len(rows) == uncertain
        assert all("au plus une fois" in (row.reason or "") for row in rows)


def test_crash_with_one_by_one_claims_loses_only_the_interrupted_one(
    runtime: Runtime, session: Session, smtp: tuple[SmtpCollector, int], smtp_settings: Settings
) -> None:
    collector, _port = smtp
    world = build_world(session, granted=6, refused=0, opposed=0)
    message = service.start_send(session, world.ctx, smtp_settings, draft=draft())
    session.commit()
    transport = CrashingTransport(smtp_settings, crash_after=3)
    with runtime.factory() as crashed, pytest.raises(Crash):
        delivery.run_send(
            crashed,
            smtp_settings,
            message_id=message.id,
            channels=delivery.Channels(email=transport),
            group=1,
        )
    transport.close()
    with runtime.factory() as resumed:
        result = delivery.run_send(resumed, smtp_settings, message_id=message.id, group=1)
    counts = collector.per_recipient()
    assert len(counts) == 6
    assert set(counts.values()) == {1}
    assert result["sent"] == 5
    assert result["failed"] == 1


def test_failing_smtp_server_then_resume(
    runtime: Runtime, session: Session, smtp: tuple[SmtpCollector, int], smtp_settings: Settings
) -> None:
    collector, _port = smtp
    world = build_world(session, granted=10, refused=0, opposed=0)
    collector.fail_after = 4
    message = service.start_send(session, world.ctx, smtp_settings, draft=draft())
    session.commit()
    run_pending(runtime.factory, smtp_settings)
    assert len(collector.messages) == 4
    with runtime.factory() as check:
        counts = service.status_counts(check, message.id)
        assert counts["sent"] == 4
        assert counts["queued"] == 6
        row = check.scalar(select(Delivery).where(Delivery.status == "queued").limit(1))
        assert row is not None
        assert "panne simulée" in (row.reason or "")
    collector.fail_after = None
    later = delivery.utcnow() + timedelta(minutes=5)
    with runtime.factory() as resumed:
        result = delivery.run_send(
            resumed, smtp_settings, message_id=message.id, clock=lambda: later
        )
    assert result["sent"] == 10
    assert set(collector.per_recipient().values()) == {1}
    assert len(collector.per_recipient()) == 10


def test_a_send_shows_its_job_progress_on_its_page(
    runtime: Runtime,
    session: Session,
    world: World,
    smtp: tuple[SmtpCollector, int],
    smtp_settings: Settings,
) -> None:
    from fastapi.testclient import TestClient

    from circo.core.jobs import recover_stale, store
    from circo.core.models import Role
    from circo.web.app import create_app
    from tests.factories import login, make_user

    make_user(session, campaign=world.campaign, email="comms@example.org", role=Role.comms)
    message = service.start_send(session, world.ctx, smtp_settings, draft=draft())
    session.commit()
    message_id = message.id
    job = delivery.latest_send_job(session, message_id)
    assert job is not None
    job_id, page_url = job.id, f"/c/camp-a/messages/{message.id}"
    session.rollback()  # SQLite: the test holds no lock while the app and the job write
    with TestClient(create_app(smtp_settings, runtime=runtime)) as client:
        login(client, "comms@example.org")
        queued = client.get(page_url).text
        assert 'data-testid="send-progress"' not in queued  # not started: no figure yet
        assert '<meta http-equiv="refresh" content="5">' in queued

        attempt = store.claim(runtime.factory, job_id)  # a worker half-way through the send
        assert attempt is not None
        store.set_progress(runtime.factory, job_id, attempt, 3, 5)
        sending = client.get(page_url).text
        assert 'data-testid="send-progress"' in sending
        assert '<progress id="job-bar-' in sending
        assert 'value="3" max="5"' in sending
        assert "(60 %)" in sending

        assert recover_stale(runtime.factory, lease_seconds=0) == 1  # …that died
        assert run_pending(runtime.factory, smtp_settings) == 1
        done = client.get(page_url).text
        assert 'data-testid="send-progress"' not in done
        assert "http-equiv" not in done
    finished = delivery.latest_send_job(session, message_id)
    assert finished is not None
    # The 5 recipients with consent were the ones to send; the 3 others were skipped at once.
    assert (finished.status, finished.progress_done, finished.progress_total) == ("done", 5, 5)
    assert sorted(collector for collector in smtp[0].per_recipient().values()) == [1] * 5
