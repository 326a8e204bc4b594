"""A slow mail server or a slow embeddings endpoint never holds the database (issue 22).

Through a real ``circo serve``: while a real loopback SMTP server (aiosmtpd) holds an
invitation mail, and while an OpenAI-compatible endpoint holds the embeddings of a new
document, the request that caused them has already answered, and another campaign's pages
and writes answer. Before, the mail was sent and the vectors computed inside the request's
write transaction: on SQLite every other writer waited for the stalled server."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from circo.assistant.models import Passage
from circo.config import Settings
from circo.runtime import open_runtime
from tests.server import LiveServer, free_port, init_campaign, run_cli
from tests.web.security_support import page_csrf

SLUG_A, SLUG_B = "camp-mail", "camp-autre"
PROGRAMME = (
    "# Programme\n\n## Santé\n\nNous rouvrirons la maternité de Concarneau et créerons un "
    "centre de santé municipal avec quatre médecins salariés.\n"
).encode()


@dataclass
class Stall:
    """A server that holds each request until ``release`` is set (``stalled`` once held)."""

    port: int = 0
    stalled: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    answered: threading.Event = field(default_factory=threading.Event)
    received: list[bytes] = field(default_factory=list)


class _StallingSmtp:
    def __init__(self, state: Stall) -> None:
        self.state = state

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.state.stalled.set()
        await asyncio.get_running_loop().run_in_executor(None, self.state.release.wait, 120)
        self.state.received.append(envelope.content)
        self.state.answered.set()
        return "250 OK"


@contextmanager
def stalling_smtp() -> Iterator[Stall]:
    state = Stall(port=free_port())
    controller = Controller(_StallingSmtp(state), hostname="127.0.0.1", port=state.port)
    controller.start()
    try:
        yield state
    finally:
        state.release.set()
        controller.stop()


@contextmanager
def stalling_embeddings() -> Iterator[Stall]:
    state = Stall()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            state.stalled.set()
            state.release.wait(timeout=120)
            data = [
                {"index": index, "embedding": [1.0, float(index), 0.5]}
                for index, _text in enumerate(body["input"])
            ]
            raw = json.dumps({"data": data, "model": body["model"]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)
            state.answered.set()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = int(server.server_address[1])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()


def _in_thread(call: Any) -> tuple[threading.Thread, dict[str, httpx.Response]]:
    outcome: dict[str, httpx.Response] = {}
    thread = threading.Thread(target=lambda: outcome.update(response=call()))
    thread.start()
    return thread, outcome


def _other_campaign_answers(server: LiveServer, email: str, password: str) -> None:
    """A page and a write of campaign B answer while A's mail or vectors are stalled."""
    with httpx.Client(base_url=server.base_url, timeout=20) as other:
        token = server.login(other, email, password)
        assert other.get(f"/c/{SLUG_B}/").status_code == 200
        created = other.post(
            f"/api/campaigns/{SLUG_B}/contacts",
            json={"first_name": "Paul", "last_name": "Martin"},
            headers={"X-CSRF-Token": token},
        )
        assert created.status_code == 201, created.text


def _init_other(settings: Settings) -> tuple[str, str]:
    """Campaign B with its own administrator."""
    created = run_cli(
        settings, "init", "--campaign", SLUG_B, "--admin-email", "admin-b@example.org"
    )
    assert created.returncode == 0, created.stderr
    match = re.search(r"administrateur : (\S+) / mot de passe : (\S+)", created.stderr)
    assert match, created.stderr
    return match.group(1), match.group(2)


def _embedded_passages(settings: Settings) -> int:
    runtime = open_runtime(settings)
    try:
        with runtime.session() as session:
            count = session.scalar(select(func.count(Passage.embedding)))
            session.rollback()
            return int(count or 0)
    finally:
        runtime.close()


def test_slow_mail_and_embeddings_servers_do_not_hold_the_database(
    settings: Settings, tmp_path: Path
) -> None:
    email_a, password_a = init_campaign(settings, SLUG_A)
    email_b, password_b = _init_other(settings)
    with stalling_smtp() as smtp, stalling_embeddings() as embedder:
        server = LiveServer(
            settings,
            tmp_path / "server.log",
            CIRCO_SMTP_HOST="127.0.0.1",
            CIRCO_SMTP_PORT=str(smtp.port),
            CIRCO_LLM_BASE_URL=f"http://127.0.0.1:{embedder.port}/v1",
            CIRCO_EMBEDDINGS_MODEL="vecteurs-local",
            CIRCO_LLM_TIMEOUT="120",
        )
        server.start()
        try:
            with server.client() as client:
                server.login(client, email_a, password_a)
                token = page_csrf(client, f"/c/{SLUG_A}/users")

                # An invitation whose mail the SMTP server holds.
                adding, added = _in_thread(
                    lambda: client.post(
                        f"/c/{SLUG_A}/users",
                        data={"email": "nouvelle@example.org", "role": "volunteer"},
                        headers={"X-CSRF-Token": token},
                        follow_redirects=False,
                    )
                )
                assert smtp.stalled.wait(timeout=60), server.log()
                adding.join(timeout=30)
                assert not adding.is_alive()  # answered while the mail is still held
                assert added["response"].status_code == 303, added["response"].text
                _other_campaign_answers(server, email_b, password_b)
                assert not smtp.answered.is_set()  # the mail server was holding all along
                smtp.release.set()
                assert smtp.answered.wait(timeout=60)
                assert b"nouvelle@example.org" in smtp.received[0]
                assert b"/password/reset?token=" in smtp.received[0]

                # A document whose vectors the embeddings endpoint holds.
                uploading, uploaded = _in_thread(
                    lambda: client.post(
                        f"/api/campaigns/{SLUG_A}/assistant/documents",
                        files={"file": ("programme.md", PROGRAMME, "text/markdown")},
                        headers={"X-CSRF-Token": token},
                    )
                )
                assert embedder.stalled.wait(timeout=60), server.log()
                uploading.join(timeout=30)
                assert not uploading.is_alive()
                assert uploaded["response"].status_code == 200, uploaded["response"].text
                assert uploaded["response"].json()["status"] == "added"
                _other_campaign_answers(server, email_b, password_b)
                assert _embedded_passages(settings) == 0
                embedder.release.set()
                assert embedder.answered.wait(timeout=60)
                # The job writes the vectors just after the endpoint answered.
                deadline = time.monotonic() + 60
                while _embedded_passages(settings) == 0:
                    assert time.monotonic() < deadline, server.log()
                    time.sleep(0.1)  # polling a condition, not waiting a guessed delay
        finally:
            server.kill()
