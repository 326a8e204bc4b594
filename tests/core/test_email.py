"""The email service against a real local SMTP server (aiosmtpd), and the .eml outbox."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from circo.config import Settings
from circo.core.email import EmailError, EmailSender, OutgoingEmail, send_email


class Collector:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))  # type: ignore[attr-defined]
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[Collector, int]]:
    collector = Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    yield collector, port
    controller.stop()


def test_real_smtp_multipart(smtp_server: tuple[Collector, int], tmp_path: Path) -> None:
    collector, port = smtp_server
    settings = Settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=port)
    with EmailSender(settings) as sender:
        for index in range(3):
            sender.send(
                OutgoingEmail(
                    to=f"person{index}@example.org",
                    subject="Réunion publique",
                    text="Bonjour, rendez-vous samedi.",
                    html="<p>Bonjour, rendez-vous <b>samedi</b>.</p>",
                    headers={"List-Unsubscribe": "<https://example.org/u/1>"},
                )
            )
    assert [message["To"] for message in collector.messages] == [
        "person0@example.org",
        "person1@example.org",
        "person2@example.org",
    ]
    first = collector.messages[0]
    assert first.get_content_type() == "multipart/alternative"
    assert first["List-Unsubscribe"] == "<https://example.org/u/1>"
    parts = [part.get_content_type() for part in first.walk()]
    assert "text/plain" in parts
    assert "text/html" in parts
    assert not (tmp_path / "outbox").exists()


def test_default_writes_eml_files(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    send_email(settings, OutgoingEmail(to="a@example.org", subject="Test", text="Corps"))
    files = list((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 1
    parsed = email.message_from_bytes(files[0].read_bytes())
    assert parsed["To"] == "a@example.org"
    assert parsed["Subject"] == "Test"


def test_unreachable_smtp_is_a_clear_error(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=free_port())
    with pytest.raises(EmailError, match="injoignable"):
        send_email(settings, OutgoingEmail(to="a@example.org", subject="x", text="y"))
