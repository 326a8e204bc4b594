"""`circo calls …` and `circo forms create` as separate processes on a fresh database (SQLite
and PostgreSQL): the JSON contracts, an opposition recorded by `calls record` excluding the
person from the next list, a wrong number cleared, and a clear refusal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from circo.config import Settings
from tests.server import init_campaign, run_cli

pytestmark = pytest.mark.timeout(600)

CONTACTS = """Prénom,Nom,Email,Téléphone,Relation
Alice,Martin,alice@example.org,0612345678,supporter
Bruno,Durand,bruno@example.org,0612345679,contact
Chloé,Petit,chloe@example.org,,supporter
Denis,Roux,denis@example.org,0612345670,contact
"""


def cli_json(settings: Settings, *args: str) -> Any:
    done = run_cli(settings, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_calls_contract_through_the_command_line(settings: Settings, tmp_path: Path) -> None:
    init_campaign(settings, "appels")
    csv_file = tmp_path / "contacts.csv"
    csv_file.write_text(CONTACTS, encoding="utf-8")
    imported = cli_json(settings, "contacts", "import", str(csv_file))
    assert imported["created"] == 4
    cli_json(
        settings,
        "consent", "set", "--email", "bruno@example.org", "--channel", "phone",
        "--status", "granted", "--source", "formulaire papier",
    )  # fmt: skip
    segment = run_cli(
        settings, "contacts", "segment-create", "Relances", "--filters", '{"tags": []}'
    )
    assert segment.returncode == 0, segment.stderr

    created = cli_json(settings, "calls", "create", "--segment", "Relances")
    # Alice (supporter) and Bruno (consent) may be phoned; Chloé has no number and Denis no
    # basis for phone contact.
    assert created == {
        "list": created["list"],
        "contacts": 2,
        "excluded": {"no_basis": 2, "opposed": 0},
    }
    assert isinstance(created["list"], int)

    engine = create_engine(settings.effective_database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT email, id FROM crm_contacts"))
            ids = {str(email): int(contact_id) for email, contact_id in rows}
        recorded = cli_json(
            settings, "calls", "record", "--list", str(created["list"]),
            "--contact", str(ids["alice@example.org"]), "--outcome", "opposed",
        )  # fmt: skip
        assert recorded == {
            "list": created["list"],
            "contact": ids["alice@example.org"],
            "outcome": "opposed",
            "status": "done",
        }
        with engine.connect() as connection:
            ledger = (
                connection.execute(
                    text("SELECT channel FROM privacy_oppositions WHERE contact_id = :id"),
                    {"id": ids["alice@example.org"]},
                )
                .scalars()
                .all()
            )
        assert ledger == ["phone"]

        again = cli_json(settings, "calls", "create", "--segment", "Relances")
        assert again == {
            "list": again["list"],
            "contacts": 1,
            "excluded": {"no_basis": 2, "opposed": 1},
        }
        assert again["list"] != created["list"]

        cli_json(
            settings, "calls", "record", "--list", str(again["list"]),
            "--contact", str(ids["bruno@example.org"]), "--outcome", "wrong_number",
        )  # fmt: skip
        with engine.connect() as connection:
            phone = connection.execute(
                text("SELECT phone FROM crm_contacts WHERE id = :id"),
                {"id": ids["bruno@example.org"]},
            ).scalar_one()
        assert phone is None
    finally:
        engine.dispose()

    refused = run_cli(
        settings, "calls", "record", "--list", str(again["list"]),
        "--contact", str(ids["bruno@example.org"]), "--outcome", "occupé", "--json",
    )  # fmt: skip
    assert refused.returncode == 2
    assert refused.stdout.strip() == ""
    assert "--outcome : issue d'appel inconnue « occupé »" in refused.stderr

    form = cli_json(settings, "forms", "create", "--kind", "signup", "--name", "Rejoindre")
    assert set(form) == {"id", "url"}
    assert isinstance(form["id"], int)
    assert form["url"].startswith("http")
    assert "/f/" in form["url"]
