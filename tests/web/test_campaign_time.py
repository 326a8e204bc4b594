"""Issue 23, "time" and "links in mail": a real `circo serve` process, in UTC and in Tokyo, with
a real loopback SMTP server. An event typed at 19:00 (in July, summer time, and in December) is
19:00 on the page, in the invitation mail and in the export, stored as UTC; the links of the
mail point at the port the server was reached on; List-Unsubscribe is plain ASCII."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from circo.config import Settings
from circo.core.models import Campaign
from circo.core.tenancy import system_context
from circo.crm.models import Event
from circo.runtime import Runtime
from tests.messaging.conftest import add_person, free_port
from tests.server import LiveServer, init_campaign

SLUG = "heure"
MAIL_DEADLINE_SECONDS = 60.0


@dataclass
class RawCollector:
    """Keeps the raw bytes of each message, as the SMTP server received them."""

    messages: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(envelope.content)  # type: ignore[attr-defined]
        return "250 OK"

    def wait_for(self, count: int) -> list[bytes]:
        deadline = time.monotonic() + MAIL_DEADLINE_SECONDS
        while len(self.messages) < count:
            assert time.monotonic() < deadline, f"{len(self.messages)} of {count} mails arrived"
            time.sleep(0.05)  # polling a condition, with a deadline
        return self.messages


@pytest.fixture
def raw_smtp() -> Iterator[tuple[RawCollector, int]]:
    collector = RawCollector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    yield collector, port
    controller.stop()


def _body(raw: bytes) -> str:
    import email
    from email import policy

    message = email.message_from_bytes(raw, policy=policy.default)
    return str(message.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]


@pytest.mark.parametrize("process_zone", ["UTC", "Asia/Tokyo"])
def test_event_at_19h_is_19h_on_page_mail_and_export(
    settings: Settings,
    runtime: Runtime,
    tmp_path: Path,
    raw_smtp: tuple[RawCollector, int],
    process_zone: str,
) -> None:
    collector, smtp_port = raw_smtp
    email_address, password = init_campaign(settings, SLUG)
    with runtime.factory() as session:
        campaign = session.scalar(select(Campaign).where(Campaign.slug == SLUG))
        assert campaign is not None
        assert campaign.timezone == "Europe/Paris"  # the default
        add_person(session, system_context(campaign), index=1)
        session.commit()
    server = LiveServer(
        settings,
        tmp_path / "server.log",
        TZ=process_zone,
        CIRCO_SMTP_HOST="127.0.0.1",
        CIRCO_SMTP_PORT=str(smtp_port),
    )
    server.start()
    try:
        # `circo serve` says where links in mail point
        announced = f"Adresse publique des liens dans les e-mails : http://127.0.0.1:{server.port}"
        assert announced in server.log()
        client = server.client()
        csrf = server.login(client, email_address, password)
        ids = []
        for typed in ("2027-07-08T19:00", "2027-12-09T19:00"):
            created = client.post(
                f"/c/{SLUG}/events",
                data={"csrf_token": csrf, "title": f"Réunion {typed[:7]}", "starts_at": typed},
            )
            assert created.status_code == 303, created.text[:300]
            location = created.headers["location"].split("?")[0]
            ids.append(int(location.rstrip("/").rsplit("/", 1)[-1]))
        summer, winter = ids

        events_page = client.get(f"/c/{SLUG}/events").text
        assert "8 juil. 2027 à 19\u00a0h" in events_page
        assert "9 déc. 2027 à 19\u00a0h" in events_page
        assert "18\u00a0h" not in events_page
        assert "17\u00a0h" not in events_page
        assert "jeudi 8 juillet 2027 à 19\u00a0h" in client.get(f"/c/{SLUG}/events/{summer}").text
        assert "jeudi 9 décembre 2027 à 19\u00a0h" in client.get(f"/c/{SLUG}/events/{winter}").text

        for event_id in ids:
            invited = client.post(
                f"/c/{SLUG}/events/{event_id}/invite", data={"csrf_token": csrf, "segment": "all"}
            )
            assert invited.status_code == 303, invited.text[:300]
        first, second = collector.wait_for(2)[:2]
        texts = sorted([_body(first), _body(second)])
        assert "jeudi 9 décembre 2027 à 19\u00a0h" in texts[0] + texts[1]
        assert "jeudi 8 juillet 2027 à 19\u00a0h" in texts[0] + texts[1]
        for text in texts:
            links = re.findall(r"https?://[^\s]+", text)
            assert links, text
            assert all(link.startswith(f"http://127.0.0.1:{server.port}/") for link in links)
            rsvp = next(link for link in links if "/rsvp/" in link)
            page = client.get(rsvp.removeprefix(server.base_url))
            assert page.status_code == 200
            assert "à 19\u00a0h" in page.text

        export = client.get(f"/c/{SLUG}/events/{summer}/export.csv")
        assert export.status_code == 200
        rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
        assert rows[0][:2] == ["Événement", "Date et heure"]
        assert rows[1][1] == "2027-07-08 19:00"
        assert rows[1][4] == "person1@example.org"
    finally:
        server.kill()
    with runtime.factory() as session:
        stored = {
            event.id: event.starts_at
            for event in session.scalars(select(Event).where(Event.id.in_(ids)))
        }
    assert stored[summer] == datetime(2027, 7, 8, 17, 0, tzinfo=UTC)
    assert stored[winter] == datetime(2027, 12, 9, 18, 0, tzinfo=UTC)
