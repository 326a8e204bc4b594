"""``circo automations create|list|run-due --json`` as a separate process on a fresh data dir."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from circo.config import Settings
from tests.server import init_campaign, run_cli

pytestmark = pytest.mark.timeout(600)

FIRST = "Prénom,Nom,Email,Relation\nAlice,Martin,alice@example.org,supporter\n"
LATER = "Prénom,Nom,Email,Relation\nBruno,Durand,bruno@example.org,contact\n"
LATER += "Chloé,Petit,chloe@example.org,contact\n"


def cli_json(settings: Settings, *args: str) -> Any:
    done = run_cli(settings, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_automations_through_the_command_line(settings: Settings, tmp_path: Path) -> None:
    init_campaign(settings, "auto")
    (tmp_path / "first.csv").write_text(FIRST, encoding="utf-8")
    (tmp_path / "later.csv").write_text(LATER, encoding="utf-8")
    cli_json(settings, "contacts", "import", str(tmp_path / "first.csv"))

    refused = run_cli(
        settings, "automations", "create", "--name", "X", "--on-segment", "all",
        "--step", "courrier:0:bonjour", "--json",
    )  # fmt: skip
    assert refused.returncode == 2
    assert refused.stdout.strip() == ""
    assert "--step 1" in refused.stderr
    assert "ACTION:JOURS:VALEUR" in refused.stderr

    created = cli_json(
        settings, "automations", "create", "--name", "Bienvenue", "--on-segment", "all",
        "--step", "email:0:Bienvenue {{ prenom }}|Merci de nous avoir rejoints.",
        "--step", "tag:2:bienvenue",
    )  # fmt: skip
    assert set(created) == {"id", "name", "steps", "baseline"}
    assert (created["steps"], created["baseline"]) == (2, 1)  # Alice was already there

    cli_json(settings, "contacts", "import", str(tmp_path / "later.csv"))
    cli_json(
        settings,
        "consent", "set", "--email", "bruno@example.org", "--channel", "email",
        "--status", "granted", "--source", "formulaire papier",
    )  # fmt: skip
    first = cli_json(settings, "automations", "run-due")
    # Bruno and Chloé joined; Bruno consented to email, Chloé has no basis: skipped, with why
    assert first == {"enrolled": 2, "done": 1, "skipped": 1, "paused": 0}
    assert cli_json(settings, "automations", "run-due") == {
        "enrolled": 0, "done": 0, "skipped": 0, "paused": 0,
    }  # fmt: skip
    later = cli_json(settings, "automations", "run-due", "--at", "2099-01-01 10:00")
    assert later["done"] == 2  # the tag, two days later, for both

    listed = cli_json(settings, "automations", "list")
    assert len(listed) == 1
    assert listed[0]["id"] == created["id"]
    assert (listed[0]["enrolled"], listed[0]["done"], listed[0]["skipped"]) == (2, 3, 1)
    assert listed[0]["trigger"] == "segment"
