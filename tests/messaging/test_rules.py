"""The rules: calendar (L49, L52-1, SMS hours), opposition at once, A/B winner, templates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.email import OutgoingEmail
from circo.core.jobs import run_pending
from circo.messaging import delivery, service
from circo.messaging.errors import SendRefused, TemplateError
from circo.messaging.links import Links
from circo.messaging.models import Delivery
from circo.messaging.personalise import CompiledMessage, check_template
from circo.runtime import Runtime
from tests.messaging.conftest import SmtpCollector, World, build_world
from tests.messaging.test_send import draft


def test_unknown_variable_is_a_clear_error() -> None:
    with pytest.raises(TemplateError, match=r"prenon"):
        check_template("Bonjour {{ prenon }}")
    with pytest.raises(TemplateError, match="syntaxe"):
        check_template("Bonjour {{ prenom ")
    sandboxed = CompiledMessage(subject="x", body="{{ prenom.__class__.__mro__ }}")
    with pytest.raises(TemplateError):
        sandboxed.render({"prenom": "a"})


def test_calendar_blocks_the_day_before_the_vote(session: Session, world: World) -> None:
    world.campaign.election_date = (datetime.now(UTC) + timedelta(days=1)).date()
    session.commit()
    with pytest.raises(SendRefused, match="L49"):
        service.start_send(session, world.ctx, Settings(), draft=draft())
    assert service.list_messages(session, world.ctx) == []


def test_queued_send_is_postponed_when_the_blackout_starts(
    runtime: Runtime,
    session: Session,
    world: World,
    smtp_settings: Settings,
    smtp: tuple[SmtpCollector, int],
) -> None:
    message = service.start_send(session, world.ctx, smtp_settings, draft=draft())
    world.campaign.election_date = (datetime.now(UTC) + timedelta(days=1)).date()
    session.commit()
    with runtime.factory() as job_session:
        result = delivery.run_send(job_session, smtp_settings, message_id=message.id)
    assert "L49" in result["postponed"]
    assert smtp[0].messages == []


class PaidTransport:
    """A paid-advertising integration (sponsored reach): refused in the L52-1 window."""

    paid_advertising = True

    def send(self, email: OutgoingEmail) -> str:
        raise AssertionError("must not be called")

    def close(self) -> None:
        return None


def test_paid_advertising_refused_in_the_six_months(
    runtime: Runtime, session: Session, world: World, smtp_settings: Settings
) -> None:
    today = date.today()
    world.campaign.election_date = date(
        today.year + (today.month + 3 > 12), (today.month + 2) % 12 + 1, 10
    )
    message = service.start_send(session, world.ctx, smtp_settings, draft=draft())
    session.commit()
    with runtime.factory() as job_session:
        result = delivery.run_send(
            job_session,
            smtp_settings,
            message_id=message.id,
            channels=delivery.Channels(email=PaidTransport()),
        )
    assert "L52-1" in result["refused"]
    with pytest.raises(SendRefused, match="L52-1"):
        service.require_paid_ads_allowed(world.ctx, datetime.now(UTC))


def test_sms_outside_hours_is_postponed(
    runtime: Runtime, session: Session, settings: Settings
) -> None:
    world = build_world(session, granted=0, refused=0, opposed=0)
    from tests.messaging.conftest import add_person

    add_person(session, world.ctx, index=1, consent="granted", channel="sms")
    session.commit()
    noon = datetime(2030, 3, 5, 11, 0, tzinfo=UTC)  # a Tuesday, 12:00 in Paris
    message = service.start_send(
        session, world.ctx, settings, draft=draft(channel="sms", subject=""), now=noon
    )
    session.commit()
    night = datetime(2030, 3, 5, 22, 30, tzinfo=UTC)
    with runtime.factory() as job_session:
        result = delivery.run_send(
            job_session, settings, message_id=message.id, clock=lambda: night
        )
    assert "heures" in result["postponed"]
    assert result["sent"] == 0


def test_opposition_after_queueing_stops_the_pending_delivery(
    runtime: Runtime,
    session: Session,
    world: World,
    smtp_settings: Settings,
    smtp: tuple[SmtpCollector, int],
) -> None:
    message = service.start_send(session, world.ctx, smtp_settings, draft=draft())
    first, second = world.granted[0], world.granted[1]
    service.unsubscribe_contact(
        session, world.ctx, contact_id=first, channel="email", source="test"
    )
    from circo.privacy import record_opposition

    record_opposition(session, world.ctx, contact_id=second, channel="email", source="test")
    session.commit()
    run_pending(runtime.factory, smtp_settings)
    received = smtp[0].per_recipient()
    assert "person0@example.org" not in received
    assert "person1@example.org" not in received
    assert len(received) == 3
    with runtime.factory() as check:
        counts = service.status_counts(check, message.id)
    assert counts["cancelled"] == 2


def test_ab_subjects_then_winner_to_the_rest(
    runtime: Runtime, session: Session, smtp_settings: Settings, smtp: tuple[SmtpCollector, int]
) -> None:
    world = build_world(session, granted=10, refused=0, opposed=0)
    message = service.start_send(
        session,
        world.ctx,
        smtp_settings,
        draft=draft(
            subject="A {{ prenom }}",
            subject_variants=["A {{ prenom }}", "B {{ prenom }}"],
            ab_sample_fraction=0.4,
            track=True,
        ),
    )
    session.commit()
    run_pending(runtime.factory, smtp_settings, kinds={service.SEND_JOB})
    assert len(smtp[0].messages) == 4
    with runtime.factory() as check:
        assert service.status_counts(check, message.id)["held"] == 6
        opened = check.scalars(
            select(Delivery).where(Delivery.message_id == message.id, Delivery.variant == 1)
        ).all()
        for row in opened:  # what the open pixel does
            row.opened_at = datetime.now(UTC)
        check.commit()
    with runtime.factory() as deciding:
        current = service.get_message(deciding, world.ctx, message.id)
        assert service.decide_winner(deciding, world.ctx, message=current) == 1
        deciding.commit()
    run_pending(runtime.factory, smtp_settings, kinds={service.SEND_JOB})
    counts = smtp[0].per_recipient()
    assert len(counts) == 10
    assert set(counts.values()) == {1}
    subjects = [str(m["Subject"])[0] for m in smtp[0].messages[4:]]
    assert subjects == ["B"] * 6


def test_open_pixel_and_click_are_signed(settings: Settings) -> None:
    links = Links.of(settings)
    delivery_id, target = links.read_track(
        links.click_url(7, "https://example.org/a?b=1").split("/m/c/")[1].split("?")[0]
    )
    assert (delivery_id, target) == (7, "https://example.org/a?b=1")
    with pytest.raises(ValueError, match="invalide"):
        links.read_track("forged")
