"""SMS: prior opt-in only, the file adapter, the HTTP adapter against a real local HTTP server,
and "STOP" by webhook and by CLI."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from circo.cli import app as cli_app
from circo.config import Settings
from circo.messaging import delivery, service
from circo.messaging.links import Links
from circo.messaging.providers import HttpSmsProvider, sms_outbox_dir
from circo.privacy import can_contact
from circo.runtime import Runtime
from circo.web.app import create_app
from tests.messaging.conftest import World, add_person, build_world
from tests.messaging.test_send import draft

NOON = datetime(2030, 3, 5, 11, 0, tzinfo=UTC)  # a Tuesday, 12:00 in Paris


def sms_world(session: Session) -> tuple[World, list[int]]:
    world = build_world(session, granted=0, refused=0, opposed=0)
    opted_in = [
        add_person(session, world.ctx, index=index, consent="granted", channel="sms")
        for index in range(3)
    ]
    add_person(session, world.ctx, index=3, consent="granted", channel="email")  # no SMS opt-in
    session.commit()
    return world, opted_in


def sms_draft() -> service.Draft:
    return draft(channel="sms", subject="", body="{{ prenom }}, réunion à {{ commune }} jeudi.")


def test_sms_file_adapter_opt_in_only(
    runtime: Runtime, session: Session, settings: Settings
) -> None:
    world, _opted_in = sms_world(session)
    message = service.start_send(session, world.ctx, settings, draft=sms_draft(), now=NOON)
    session.commit()
    with runtime.factory() as job_session:
        result = delivery.run_send(job_session, settings, message_id=message.id, clock=lambda: NOON)
    assert result["sent"] == 3
    assert result["skipped_no_consent"] == 1
    lines = [
        json.loads(line)
        for path in sms_outbox_dir(settings).glob("*.jsonl")
        for line in path.read_text().splitlines()
    ]
    assert sorted(line["to"] for line in lines) == ["+33612340000", "+33612340001", "+33612340002"]
    assert all("STOP" in line["text"] for line in lines)
    assert any(line["text"].startswith("Prénom0, réunion à Lyon") for line in lines)


class SmsApi(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        body["api-key"] = self.headers.get("api-key")
        SmsApi.received.append(body)
        status, answer = (
            (400, {"message": "numéro invalide"})
            if body["recipient"].endswith("2")
            else (201, {"messageId": len(SmsApi.received)})
        )
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def sms_api() -> Iterator[str]:
    SmsApi.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), SmsApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v3/transactionalSMS/sms"
    server.shutdown()
    server.server_close()


def test_http_sms_adapter_against_a_real_server(
    runtime: Runtime, session: Session, settings: Settings, sms_api: str
) -> None:
    http_settings = settings.model_copy(
        update={"sms_provider": "http", "sms_api_url": sms_api, "sms_api_key": "k-123"}
    )
    world, _opted_in = sms_world(session)
    message = service.start_send(session, world.ctx, http_settings, draft=sms_draft(), now=NOON)
    session.commit()
    with runtime.factory() as job_session:
        result = delivery.run_send(
            job_session, http_settings, message_id=message.id, clock=lambda: NOON
        )
    assert result["sent"] == 2
    assert result["failed"] == 1
    assert {item["recipient"] for item in SmsApi.received} == {
        "33612340000",
        "33612340001",
        "33612340002",
    }
    assert {item["api-key"] for item in SmsApi.received} == {"k-123"}
    assert not sms_outbox_dir(settings).exists()


def test_unreachable_sms_api_is_transient(tmp_path: Path) -> None:
    from circo.messaging.errors import ProviderError

    provider = HttpSmsProvider(Settings(data_dir=tmp_path, sms_api_url="http://127.0.0.1:9/x"))
    with pytest.raises(ProviderError) as caught:
        provider.send(to="+33612345678", text="x", reference="r")
    assert caught.value.transient


def test_stop_by_webhook_and_cli(
    runtime: Runtime, session: Session, settings: Settings, cli_env: dict[str, str]
) -> None:
    world, opted_in = sms_world(session)
    message = service.start_send(session, world.ctx, settings, draft=sms_draft(), now=NOON)
    session.commit()
    url = Links.of(settings).inbound_url(world.campaign.id).replace("http://testserver", "")
    with TestClient(create_app(settings, runtime=runtime)) as client:
        answer = client.post(url, json={"from": "33612340000", "text": "Stop"})
        assert answer.json() == {"stop": True, "contacts": 1}
        assert client.post(url + "x", json={"from": "1", "text": "STOP"}).status_code == 404
        assert (
            client.post(url, json={"from": "33612340001", "text": "merci"}).json()["contacts"] == 0
        )
    result = CliRunner().invoke(
        cli_app, ["messages", "sms-inbound", "--from", "+33612340001", "--text", "STOP", "--json"]
    )
    assert result.exit_code == 0, result.output
    with runtime.factory() as check:
        assert not can_contact(check, world.ctx, opted_in[0], "sms").allowed
        assert not can_contact(check, world.ctx, opted_in[1], "sms").allowed
        counts = service.status_counts(check, message.id)
    assert counts["cancelled"] == 2
    assert counts["queued"] == 1
