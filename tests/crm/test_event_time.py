"""Events in the campaign's zone outside a web request: `circo events create/list` (a Nouméa
campaign, the CLI process in UTC) and the reminder mail sent by a background job."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.jobs import run_pending
from circo.crm.models import Event
from circo.runtime import Runtime
from tests.server import run_cli


def test_cli_events_in_the_campaign_zone(settings: Settings, session: Session) -> None:
    created = run_cli(settings, "init", "--campaign", "noumea", "--timezone", "Pacific/Noumea")
    assert created.returncode == 0, created.stderr
    made = run_cli(
        settings, "events", "create", "--title", "Réunion", "--starts-at", "2027-07-08T19:00"
    )
    assert made.returncode == 0, made.stderr
    listed = run_cli(settings, "events", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    (row,) = json.loads(listed.stdout)
    assert row["starts_at"] == "2027-07-08T19:00:00+11:00"
    text = run_cli(settings, "events", "list")
    assert "08/07/2027 19:00\tRéunion" in text.stdout
    stored = session.scalar(select(Event.starts_at))
    assert stored == datetime(2027, 7, 8, 8, 0, tzinfo=UTC)


def test_reminder_mail_in_the_campaign_zone(
    session: Session, settings: Settings, runtime: Runtime
) -> None:
    """The reminder (a background job, no request) says 19 h for a Guadeloupe event typed at
    19:00, and links to the recorded public address."""
    import email
    from email import policy

    from circo.core import instance
    from circo.core.tenancy import system_context
    from circo.core.timezone import parse_local
    from circo.crm.events import create_event, invite_contact, send_reminders
    from circo.crm.schemas import EventCreate
    from tests.factories import make_campaign
    from tests.messaging.conftest import add_person

    campaign = make_campaign(session, slug="pointe")
    campaign.timezone = "America/Guadeloupe"
    ctx = system_context(campaign)
    person = add_person(session, ctx, index=3)
    starts = parse_local("2027-12-09T19:00", campaign.timezone)
    event = create_event(
        session, ctx, data=EventCreate(kind="meeting", title="Meeting", starts_at=starts)
    )
    invite_contact(session, ctx, event_id=event.id, contact_id=person, status="yes")
    bare = Settings(
        env="test",
        data_dir=settings.data_dir,
        database_url=settings.database_url,
        secret_key=settings.secret_key,
    )
    instance.remember_base_url(session, bare, "http://10.1.2.3:8800")
    session.commit()
    job_settings = instance.effective(session, bare)
    moment = datetime(2027, 12, 9, 12, 0, tzinfo=UTC)
    assert send_reminders(session, job_settings, event_id=event.id, now=moment) == {"reminded": 1}
    session.commit()  # the reminder is queued in the outbox, sent by the mail job after commit
    assert run_pending(runtime.factory, bare, kinds={"core.send_mail"}) == 1
    (written,) = (settings.data_dir / "outbox").glob("*.eml")
    message = email.message_from_bytes(written.read_bytes(), policy=policy.default)
    text = str(message.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]
    assert "jeudi 9 décembre 2027 à 19\u00a0h" in text
    assert "http://10.1.2.3:8800/rsvp/" in text
