"""Outbound webhooks of a node against a local receiver that checks every signature, on SQLite
and PostgreSQL: the events of the node's campaign only, HMAC-SHA256 over timestamp and body,
a failed delivery retried with back-off through the job engine, the delivery log page."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from alembic import command
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core import jobs
from circo.core.models import Job
from circo.core.tenancy import system_context
from circo.crm.contacts import create_contact
from circo.crm.schemas import ContactCreate
from circo.db import alembic_config, upgrade, utcnow
from circo.party.crypto import unseal
from circo.party.models import DeliveryStatus, WebhookDelivery
from circo.party.tree import find_group
from circo.party.webhooks import JOB_KIND, add_webhook, sign
from circo.privacy.consent import record_opposition
from circo.runtime import Runtime
from tests.factories import login
from tests.party.world import make_movement

FRESHNESS_SECONDS = 300


@dataclass
class Receiver:
    """A webhook receiver as a partner would write one: it recomputes the signature."""

    secret: str = ""
    fail_first: int = 1
    seen: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def verify(self, headers: Any, body: bytes) -> bool:
        timestamp = headers.get("X-Circo-Timestamp", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > FRESHNESS_SECONDS:
            return False
        expected = sign(self.secret, int(timestamp), body)
        return hmac.compare_digest(expected, headers.get("X-Circo-Signature", ""))


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            valid = state.verify(self.headers, body)
            with state.lock:
                failing = state.fail_first > 0
                state.fail_first -= 1
                state.seen.append(
                    {
                        "valid": valid,
                        "delivery": self.headers.get("X-Circo-Delivery"),
                        "event": self.headers.get("X-Circo-Event"),
                        "body": json.loads(body),
                        "answered": 503 if failing else (200 if valid else 401),
                    }
                )
            self.send_response(503 if failing else (200 if valid else 401))
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_signature_covers_timestamp_and_body() -> None:
    state = Receiver(secret="s3cret")
    body = b'{"event": "contact.created"}'
    now = int(time.time())
    good = {"X-Circo-Timestamp": str(now), "X-Circo-Signature": sign("s3cret", now, body)}
    assert state.verify(good, body)
    assert not state.verify(good, body.replace(b"created", b"deleted"))  # tampered body
    old = now - 3600
    replay = {"X-Circo-Timestamp": str(old), "X-Circo-Signature": sign("s3cret", old, body)}
    assert not state.verify(replay, body)
    assert (
        sign("s3cret", now, body)
        == "sha256=" + hmac.new(b"s3cret", f"{now}.".encode() + body, hashlib.sha256).hexdigest()
    )


def test_events_reach_the_node_receiver_signed_and_retried(
    app: FastAPI,
    session: Session,
    runtime: Runtime,
    settings: Settings,
    receiver: tuple[Receiver, str],
) -> None:
    state, url = receiver
    allowed = settings.model_copy(update={"url_fetch_allow_hosts": [url.removeprefix("http://")]})
    world = make_movement(session)  # creates two contacts in camp-b before any receiver
    node = find_group(session, "g-camp-b")
    hook, secret = add_webhook(
        session, settings, group=node, url=url, events=["contact.created", "opposition.recorded"]
    )
    assert hook.secret.startswith("fernet:")
    assert secret not in hook.secret
    state.secret = secret
    ctx_b = system_context(world.b)
    person = create_contact(
        session, ctx_b, data=ContactCreate(first_name="Ada", last_name="Webhook")
    )
    record_opposition(session, ctx_b, contact_id=person.id, channel="all", source="courriel")
    create_contact(  # camp-a is a sibling: nothing goes to camp-b's receiver
        session, system_context(world.a), data=ContactCreate(last_name="Voisine")
    )
    session.commit()

    assert jobs.run_pending(runtime.factory, allowed, kinds={JOB_KIND}) == 2
    session.expire_all()
    log = {d.event.value: d for d in session.scalars(select(WebhookDelivery))}
    assert set(log) == {"contact.created", "opposition.recorded"}
    failed = next(d for d in log.values() if d.status is DeliveryStatus.pending)
    delivered = next(d for d in log.values() if d.status is DeliveryStatus.delivered)
    assert (failed.attempts, failed.error) == (1, "le récepteur a répondu 503")
    assert (delivered.attempts, delivered.response_status) == (1, 200)
    retry = session.scalar(select(Job).where(Job.kind == JOB_KIND, Job.status == "queued"))
    assert retry is not None
    assert retry.run_after > utcnow()  # back-off: not before its delay
    session.rollback()  # SQLite: the test's session holds no lock while the jobs write
    assert jobs.run_pending(runtime.factory, allowed, kinds={JOB_KIND}) == 0
    session.execute(update(Job).where(Job.id == retry.id).values(run_after=utcnow() - timedelta(1)))
    session.commit()
    assert jobs.run_pending(runtime.factory, allowed, kinds={JOB_KIND}) == 1
    session.expire_all()
    again = session.get(WebhookDelivery, failed.id)
    assert again is not None
    assert (again.status, again.attempts) == (DeliveryStatus.delivered, 2)
    session.rollback()

    assert all(item["valid"] for item in state.seen)
    assert len(state.seen) == 3  # one failed, then each event once
    assert state.seen[0]["delivery"] == state.seen[2]["delivery"]  # the retry is the same id
    created = next(item for item in state.seen if item["event"] == "contact.created")
    assert created["body"]["data"]["contact"]["last_name"] == "Webhook"
    assert created["body"]["group"] == "g-camp-b"
    assert all(item["body"]["campaign"] == "camp-b" for item in state.seen)

    with TestClient(app) as client:
        login(client, "national@example.org")
        page = client.get("/g/g-camp-b/webhooks")
        assert page.status_code == 200
        assert "contact créé" in page.text
        assert "opposition enregistrée" in page.text
        assert "reçu" in page.text
        assert client.get("/g/g-camp-a/webhooks").text.count("reçu") == 0
    with TestClient(app) as client:
        login(client, "fede-b@example.org")  # a sibling federation: the node is closed
        assert client.get("/g/g-camp-b/webhooks").status_code == 404


def _stored_secret(runtime: Runtime, hook_id: int) -> str:
    with runtime.engine.connect() as connection:
        return str(
            connection.execute(
                text("SELECT secret FROM party_webhooks WHERE id = :id"), {"id": hook_id}
            ).scalar_one()
        )


def test_party_0004_encrypts_the_secrets_stored_in_clear(
    session: Session, runtime: Runtime, settings: Settings
) -> None:
    make_movement(session)
    hook, secret = add_webhook(
        session, settings, group=find_group(session, "g-camp-b"), url="https://r.example.org/h"
    )
    session.commit()
    hook_id = hook.id
    session.close()
    config = alembic_config(runtime.engine, settings)
    try:
        command.downgrade(config, "party_0003")  # back to secrets in clear
        assert _stored_secret(runtime, hook_id) == secret
    finally:
        upgrade(runtime.engine, settings)
    stored = _stored_secret(runtime, hook_id)
    assert stored.startswith("fernet:")
    assert secret not in stored
    assert unseal(settings, stored) == secret
    other_key = settings.model_copy(update={"secret_key": "x" * 64})
    assert unseal(other_key, stored) is None  # the installation's key, not a constant


def test_a_secret_sealed_under_another_key_fails_in_the_log(
    session: Session, runtime: Runtime, settings: Settings
) -> None:
    world = make_movement(session)
    add_webhook(
        session, settings, group=find_group(session, "g-camp-b"), url="https://r.example.org/h"
    )
    create_contact(session, system_context(world.b), data=ContactCreate(last_name="Clef"))
    session.commit()
    other_key = settings.model_copy(update={"secret_key": "y" * 64})
    assert jobs.run_pending(runtime.factory, other_key, kinds={JOB_KIND}) == 1
    session.expire_all()
    delivery = session.scalars(select(WebhookDelivery)).one()
    assert delivery.status is DeliveryStatus.failed
    assert delivery.error is not None
    assert delivery.error.startswith("secret de signature illisible")
    job = session.scalars(select(Job).where(Job.kind == JOB_KIND)).one()
    assert job.status == "failed"  # refused at once: no retry can fix a changed key
