"""Messaging test helpers: a real local SMTP server (aiosmtpd) that can fail on demand, and
contacts with consent built through the crm and privacy services."""

from __future__ import annotations

import email
import socket
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.models import Campaign
from circo.core.tenancy import CampaignContext, system_context
from circo.crm.contacts import create_contact
from circo.crm.schemas import ContactCreate
from circo.privacy import record_consent, record_opposition
from tests.factories import make_campaign


@dataclass
class SmtpCollector:
    """Keeps every accepted message; answers ``fail_code`` once ``fail_after`` were accepted."""

    messages: list[Message] = field(default_factory=list)
    fail_after: int | None = None
    fail_code: str = "451 4.3.0 panne simulée"

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        if self.fail_after is not None and len(self.messages) >= self.fail_after:
            return self.fail_code
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=policy.default)  # type: ignore[attr-defined]
        )
        return "250 OK"

    def per_recipient(self) -> Counter[str]:
        return Counter(str(message["To"]) for message in self.messages)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[SmtpCollector, int]]:
    collector = SmtpCollector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    yield collector, port
    controller.stop()


@pytest.fixture
def smtp_settings(settings: Settings, smtp: tuple[SmtpCollector, int]) -> Settings:
    return settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp[1]})


@dataclass
class World:
    campaign: Campaign
    ctx: CampaignContext
    granted: list[int]  # email consent granted
    refused: list[int]  # no consent recorded (plain contacts)
    opposed: list[int]  # opposition recorded


def add_person(
    session: Session,
    ctx: CampaignContext,
    *,
    index: int,
    consent: str | None = "granted",
    channel: str = "email",
    tags: list[str] | None = None,
) -> int:
    contact = create_contact(
        session,
        ctx,
        data=ContactCreate(
            first_name=f"Prénom{index}",
            last_name=f"Nom{index}",
            email=f"person{index}@example.org",
            phone=f"+3361234{index:04d}",
            city="Lyon",
            commune_code="69123",
            polling_station=f"{index % 3 + 1:04d}",
            tags=tags or [],
        ),
    )
    if consent:
        record_consent(
            session,
            ctx,
            contact_id=contact.id,
            channel=channel,
            status=consent,
            source="formulaire test",
            proof={"form": "test"},
        )
    return contact.id


def build_world(
    session: Session, *, granted: int = 5, refused: int = 2, opposed: int = 1, slug: str = "camp-a"
) -> World:
    campaign = make_campaign(session, slug=slug)
    ctx = system_context(campaign)
    world = World(campaign, ctx, [], [], [])
    index = 0
    for _ in range(granted):
        world.granted.append(add_person(session, ctx, index=index))
        index += 1
    for _ in range(refused):
        world.refused.append(add_person(session, ctx, index=index, consent=None))
        index += 1
    for _ in range(opposed):
        contact_id = add_person(session, ctx, index=index)
        record_opposition(session, ctx, contact_id=contact_id, channel="all", source="test")
        world.opposed.append(contact_id)
        index += 1
    session.commit()
    return world


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)
