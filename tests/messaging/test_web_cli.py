"""The unsubscribe link over the real HTTP server, the pages and API, tenancy, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from circo.cli import app as cli_app
from circo.config import Settings
from circo.core.jobs import run_pending
from circo.core.models import Role
from circo.messaging import service
from circo.privacy import can_contact
from circo.runtime import Runtime
from circo.web.app import create_app
from tests.browser import live_server
from tests.factories import login, make_user
from tests.messaging.conftest import SmtpCollector, World, build_world
from tests.messaging.test_send import draft


def test_one_click_unsubscribe_over_real_http(
    runtime: Runtime,
    session: Session,
    world: World,
    smtp: tuple[SmtpCollector, int],
    smtp_settings: Settings,
) -> None:
    collector, _port = smtp
    app = create_app(smtp_settings, runtime=runtime)
    with live_server(app) as base_url:
        live_settings = smtp_settings.model_copy(update={"base_url": base_url})
        service.start_send(session, world.ctx, live_settings, draft=draft())
        session.commit()
        run_pending(runtime.factory, live_settings)
        first = next(m for m in collector.messages if m["To"] == "person0@example.org")
        link = str(first["List-Unsubscribe"]).split(",")[0].strip().strip("<>")
        assert link.startswith(base_url + "/u/")
        page = httpx.get(link)
        assert page.status_code == 200
        assert "Confirmer la désinscription" in page.text
        # queue a second message before unsubscribing: its pending delivery must stop at once
        pending = service.start_send(session, world.ctx, live_settings, draft=draft(subject="Deux"))
        session.commit()
        done = httpx.post(link, data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200
        assert "désinscrit" in done.text
        assert httpx.get(base_url + "/u/forged-token").status_code == 404
    with runtime.factory() as check:
        assert not can_contact(check, world.ctx, world.granted[0], "email").allowed
        row = service.status_counts(check, pending.id)
        assert row["cancelled"] == 1
        third = service.start_send(check, world.ctx, live_settings, draft=draft(subject="Trois"))
        assert service.outcome(check, third)["skipped_opposed"] == 2


def test_pages_api_and_tenancy(runtime: Runtime, session: Session, settings: Settings) -> None:
    world = build_world(session, granted=3, refused=1, opposed=0)
    other = build_world(session, granted=1, refused=0, opposed=0, slug="camp-b")
    make_user(session, campaign=world.campaign, email="comms@example.org", role=Role.comms)
    make_user(session, campaign=other.campaign, email="b@example.org", role=Role.admin)
    make_user(session, campaign=world.campaign, email="vol@example.org", role=Role.volunteer)
    point = service.add_point(session, world.ctx, title="Petite enfance", summary="Crèches")
    service.set_cell(session, world.ctx, segment="all", point_id=point.id, on=True)
    session.commit()
    with TestClient(create_app(settings, runtime=runtime)) as client:
        csrf = login(client, "comms@example.org")
        base = "/c/camp-a/messages"
        assert "Messages" in client.get("/c/camp-a/").text
        matrix = client.get(base + "/matrix")
        assert matrix.status_code == 200
        assert "Petite enfance" in matrix.text
        api_matrix = client.get("/api/campaigns/camp-a/messages/matrix").json()
        assert api_matrix["segments"][0]["reachable"]["email"] == 3
        assert api_matrix["segments"][0]["points"] == [point.id]
        body = "Bonjour {{ prenom }}, notre engagement : {{ point }}."
        page = client.get(base + "/new", params={"body": body, "subject": "Sur {{ point }}"})
        assert "Bonjour Prénom0, notre engagement : Petite enfance." in page.text
        bad = client.get(base + "/new", params={"body": "{{ nom_inconnu }}"})
        assert bad.status_code == 422
        assert "nom_inconnu" in bad.text
        test_sent = client.post(
            base + "/new",
            data={"csrf_token": csrf, "action": "test", "body": body, "subject": "Sur {{ point }}"},
        )
        assert "test envoyé à comms@example.org" in test_sent.text
        assert list((settings.data_dir / "outbox").glob("*.eml"))
        created = client.post(
            "/api/campaigns/camp-a/messages",
            json={"channel": "email", "segment": "all", "subject": "Sur {{ point }}", "body": body},
            headers={"X-CSRF-Token": csrf},
        )
        assert created.status_code == 201, created.text
        message_id = created.json()["id"]
        assert created.json()["stats"]["queued"] == 3
        assert client.get(f"{base}/{message_id}").status_code == 200
        assert client.get(base).status_code == 200
        log = client.get(f"/api/campaigns/camp-a/messages/{message_id}/deliveries").json()
        assert {row["basis"] for row in log if row["status"] == "queued"} == {"consent"}
        client.post("/logout", data={"csrf_token": csrf})
        login(client, "b@example.org")
        assert client.get(f"/api/campaigns/camp-a/messages/{message_id}").status_code == 404
        assert client.get(f"/c/camp-b/messages/{message_id}").status_code == 404
        client.cookies.clear()
        login(client, "vol@example.org")
        assert client.get("/api/campaigns/camp-a/messages").status_code == 403


def test_cli_send_contract_and_unsubscribe(
    session: Session,
    smtp: tuple[SmtpCollector, int],
    cli_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    collector, port = smtp
    monkeypatch.setenv("CIRCO_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CIRCO_SMTP_PORT", str(port))
    build_world(session, granted=4, refused=2, opposed=1)
    body = tmp_path / "message.txt"
    body.write_text("Bonjour {{ prenom }} de {{ commune }} !", encoding="utf-8")
    runner = CliRunner()
    common = [
        "--channel",
        "email",
        "--segment",
        "all",
        "--subject",
        "Réunion",
        "--body-file",
        str(body),
        "--json",
    ]
    dry = runner.invoke(cli_app, ["messages", "send", *common, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout) == {
        "campaign": None,
        "recipients": 7,
        "sent": 0,
        "skipped_no_consent": 2,
        "skipped_opposed": 1,
        "failed": 0,
    }
    assert collector.messages == []
    sent = runner.invoke(cli_app, ["messages", "send", *common, "--campaign", "camp-a"])
    assert sent.exit_code == 0, sent.output
    result = json.loads(sent.stdout)
    assert isinstance(result["campaign"], int)
    assert {key: value for key, value in result.items() if key != "campaign"} == {
        "recipients": 7,
        "sent": 4,
        "skipped_no_consent": 2,
        "skipped_opposed": 1,
        "failed": 0,
    }
    assert len(collector.messages) == 4
    again = runner.invoke(cli_app, ["messages", "send", *common])
    assert json.loads(again.stdout)["campaign"] == result["campaign"]
    assert len(collector.messages) == 4, "the same send twice sends nobody twice"
    off = runner.invoke(
        cli_app, ["messages", "unsubscribe", "--email", "person0@example.org", "--json"]
    )
    assert off.exit_code == 0, off.output
    assert json.loads(off.stdout) == {"email": "person0@example.org", "contacts": 1}
    missing = runner.invoke(cli_app, ["messages", "unsubscribe", "--email", "nobody@example.org"])
    assert missing.exit_code == 2
    bad = runner.invoke(
        cli_app,
        [
            "messages",
            "send",
            "--channel",
            "fax",
            "--segment",
            "all",
            "--body-file",
            str(body),
            "--json",
        ],
    )
    assert bad.exit_code == 2
    assert "fax" in bad.output
    listed = runner.invoke(cli_app, ["messages", "list", "--json"])
    assert json.loads(listed.stdout)[0]["sent"] == 4
