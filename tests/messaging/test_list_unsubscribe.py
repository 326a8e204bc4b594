"""List-Unsubscribe as mail clients read it: plain ASCII ``<https://…>, <mailto:…>`` (RFC 2369)
with ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058), never RFC 2047-encoded —
checked in the raw bytes a real loopback SMTP server received, and in the .eml outbox."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.email import OutgoingEmail, list_unsubscribe, send_email
from circo.core.jobs import run_pending
from circo.messaging import service
from circo.runtime import Runtime
from tests.messaging.conftest import World, free_port
from tests.messaging.test_send import draft
from tests.web.test_campaign_time import RawCollector

HEADER = re.compile(rb"^List-Unsubscribe: (.*?)\r?\n(?![ \t])", re.MULTILINE | re.DOTALL)


@pytest.fixture
def raw_smtp() -> Iterator[tuple[RawCollector, int]]:
    collector = RawCollector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    yield collector, port
    controller.stop()


def _check_header(raw: bytes, base_url: str) -> None:
    found = HEADER.search(raw)
    assert found, raw[:800]
    value = found.group(1)
    assert value.isascii()
    assert b"=?" not in value  # no RFC 2047 encoded word
    text = value.decode("ascii")
    assert re.fullmatch(
        re.escape(base_url) + r"/u/[A-Za-z0-9_.\-]+>, <mailto:no-reply@circo\.local\?subject="
        r"Desinscription%20[A-Za-z0-9_.\-]+>",
        text.removeprefix("<"),
    ), text
    assert b"\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in raw


def test_campaign_mail_has_plain_ascii_list_unsubscribe(
    runtime: Runtime,
    session: Session,
    world: World,
    settings: Settings,
    raw_smtp: tuple[RawCollector, int],
) -> None:
    collector, port = raw_smtp
    # a long public URL: the signed link alone passes 78 columns
    long_base = "https://circo.une-campagne-municipale-au-nom-tres-long.example.org"
    smtp_settings = settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port, "base_url": long_base}
    )
    service.start_send(session, world.ctx, smtp_settings, draft=draft())
    session.commit()
    run_pending(runtime.factory, smtp_settings)
    assert len(collector.messages) == len(world.granted)
    for raw in collector.messages:
        _check_header(raw, long_base)


def test_outbox_and_transactional_path_keep_it_ascii(settings: Settings, tmp_path: Path) -> None:
    """The EmailMessage path (outbox files and `send_email`) used to fold the long link into
    ``=?utf-8?q?…?=`` words."""
    url = "https://example.org/u/" + "A" * 160 + ".sig"
    headers = list_unsubscribe(url, "circo <no-reply@circo.local>", token="A" * 160 + ".sig")
    outbox_settings = settings.model_copy(update={"data_dir": tmp_path})
    send_email(
        outbox_settings,
        OutgoingEmail(to="a@example.org", subject="Réunion à Lyon", text="x", headers=headers),
    )
    (written,) = (tmp_path / "outbox").glob("*.eml")
    raw = written.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    _check_header(raw, "https://example.org")
