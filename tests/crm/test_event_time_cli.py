"""`circo events create/list` read and show times in the campaign's zone (a Nouméa campaign,
the CLI process in UTC)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.crm.models import Event
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
