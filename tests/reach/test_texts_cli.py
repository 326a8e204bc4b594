"""`circo texts …` as separate processes on a fresh database (SQLite and PostgreSQL): the JSON
contract of `texts create`, one text per `texts send-next` through the SMS provider (the file
adapter), a clear refusal of a bad template, and the signed replies address."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from circo.config import Settings
from circo.core.models import Campaign
from circo.messaging.providers import sms_outbox_dir
from circo.runtime import open_runtime
from tests.reach.conftest import ALWAYS_OPEN
from tests.server import init_campaign, run_cli

pytestmark = pytest.mark.timeout(600)

CONTACTS = """Prénom,Nom,Email,Téléphone,Relation
Alice,Martin,alice@example.org,0612345678,supporter
Bruno,Durand,bruno@example.org,0612345679,contact
Chloé,Petit,chloe@example.org,,supporter
"""


def cli_json(settings: Settings, *args: str) -> Any:
    done = run_cli(settings, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_texts_contract_through_the_command_line(settings: Settings, tmp_path: Path) -> None:
    init_campaign(settings, "textos")
    runtime = open_runtime(settings)
    try:  # contact hours open all week, so the test does not depend on the time it runs
        with runtime.factory() as session:
            campaign = session.scalar(select(Campaign).where(Campaign.slug == "textos"))
            assert campaign is not None
            campaign.settings = {**(campaign.settings or {}), **ALWAYS_OPEN}
            session.commit()
    finally:
        runtime.close()
    csv_file = tmp_path / "contacts.csv"
    csv_file.write_text(CONTACTS, encoding="utf-8")
    assert cli_json(settings, "contacts", "import", str(csv_file))["created"] == 3
    for email in ("alice@example.org", "chloe@example.org"):
        cli_json(
            settings,
            "consent", "set", "--email", email, "--channel", "sms",
            "--status", "granted", "--source", "formulaire papier",
        )  # fmt: skip
    segment = run_cli(settings, "contacts", "segment-create", "Relances", "--filters", "{}")
    assert segment.returncode == 0, segment.stderr

    bad = run_cli(settings, "texts", "create", "--segment", "Relances", "--template", "{{ age }}")
    assert bad.returncode == 2
    assert "variable inconnue « {{ age }} »" in bad.stderr

    created = cli_json(
        settings, "texts", "create", "--segment", "Relances",
        "--template", "Bonjour {{ prenom }}, on se voit samedi au marché ?",
    )  # fmt: skip
    # Alice may be texted; Bruno has no SMS consent and Chloé no number.
    assert created == {
        "campaign": created["campaign"],
        "contacts": 1,
        "excluded": {"no_basis": 2, "opposed": 0},
    }
    assert isinstance(created["campaign"], int)

    sent = cli_json(settings, "texts", "send-next", "--campaign", str(created["campaign"]))
    assert sent["sent"]["status"] == "sent"
    assert sent["remaining"] == 0
    assert sent["sent"]["text"].startswith("Bonjour Alice, on se voit samedi")
    lines = [
        json.loads(line)
        for path in sms_outbox_dir(settings).glob("*.jsonl")
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    assert [(line["to"], line["text"]) for line in lines] == [
        ("+33612345678", sent["sent"]["text"])
    ]

    webhook = run_cli(settings, "texts", "webhook")
    assert webhook.returncode == 0, webhook.stderr
    assert "/api/reach/texts-inbound/" in webhook.stdout
