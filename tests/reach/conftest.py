"""A campaign with contacts covering every phone rule, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from circo.core.models import Campaign, Role, User
from circo.core.tenancy import CampaignContext, system_context
from circo.crm.contacts import create_contact
from circo.crm.models import Contact
from circo.crm.schemas import ContactCreate, SegmentFilter
from circo.crm.segments import create_segment
from circo.privacy.consent import record_consent, record_opposition
from circo.runtime import Runtime
from circo.web.app import create_app
from tests.factories import make_campaign, make_user

ALWAYS_OPEN = {"contact_hours": [0, 24], "contact_days": [0, 1, 2, 3, 4, 5, 6]}


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime.settings, runtime=runtime)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@dataclass
class CallWorld:
    campaign: Campaign
    ctx: CampaignContext
    organiser: User
    volunteer: User
    other_volunteer: User
    consented: Contact  # consent to phone contact
    supporter: Contact  # legitimate interest (regular contact)
    no_consent: Contact  # plain contact, no consent: no basis
    no_phone: Contact  # supporter without a number: no basis
    opposed_all: Contact  # opposition to every channel
    opposed_phone: Contact  # opposition to phone contact only
    refused: Contact  # consent refused


def _contact(session: Session, ctx: CampaignContext, first: str, **fields: object) -> Contact:
    return create_contact(
        session, ctx, data=ContactCreate(first_name=first, last_name="Test", **fields)
    )


def make_call_world(session: Session, *, settings: dict[str, object] | None = None) -> CallWorld:
    campaign = make_campaign(session, slug="camp-a")
    campaign.settings = {
        **(campaign.settings or {}),
        **(ALWAYS_OPEN if settings is None else settings),
    }
    other = make_campaign(session, slug="camp-b")
    make_user(session, campaign=other, email="admin-b@example.org")
    make_user(session, campaign=campaign, email="admin-a@example.org")
    organiser = make_user(
        session, campaign=campaign, email="orga-a@example.org", role=Role.organiser
    )
    volunteer = make_user(
        session, campaign=campaign, email="volunteer-a@example.org", role=Role.volunteer
    )
    other_volunteer = make_user(
        session, campaign=campaign, email="volunteer-b@example.org", role=Role.volunteer
    )
    ctx = system_context(campaign)
    consented = _contact(session, ctx, "Alice", phone="0612345601", tags=["appel"])
    supporter = _contact(
        session, ctx, "Bruno", phone="0612345602", relationship_kind="supporter", tags=["appel"]
    )
    no_consent = _contact(session, ctx, "Chloé", phone="0612345603", tags=["appel"])
    no_phone = _contact(
        session,
        ctx,
        "Denis",
        email="denis@example.org",
        relationship_kind="supporter",
        tags=["appel"],
    )
    opposed_all = _contact(
        session, ctx, "Emma", phone="0612345605", relationship_kind="member", tags=["appel"]
    )
    opposed_phone = _contact(session, ctx, "Farid", phone="0612345606", tags=["appel"])
    refused = _contact(session, ctx, "Gaëlle", phone="0612345607", tags=["appel"])
    _contact(session, ctx, "Hors", phone="0612345608", relationship_kind="supporter")
    for contact in (consented, opposed_phone):
        record_consent(
            session, ctx, contact_id=contact.id, channel="phone", status="granted", source="test"
        )
    record_consent(
        session, ctx, contact_id=refused.id, channel="phone", status="refused", source="test"
    )
    record_opposition(session, ctx, contact_id=opposed_all.id, channel="all", source="test")
    record_opposition(session, ctx, contact_id=opposed_phone.id, channel="phone", source="test")
    create_segment(session, ctx, name="À appeler", filters=SegmentFilter(tags=["appel"]))
    session.commit()
    return CallWorld(
        campaign=campaign,
        ctx=ctx,
        organiser=organiser,
        volunteer=volunteer,
        other_volunteer=other_volunteer,
        consented=consented,
        supporter=supporter,
        no_consent=no_consent,
        no_phone=no_phone,
        opposed_all=opposed_all,
        opposed_phone=opposed_phone,
        refused=refused,
    )


def pow_fields(html: str) -> dict[str, str]:
    """What the page's script adds to a public form: the challenge and its proof of work."""
    import html as html_lib
    import re

    from circo.reach.pow import solve

    match = re.search(r'data-pow-challenge="([^"]+)"', html)
    assert match, "no proof-of-work challenge on the page"
    token = html_lib.unescape(match.group(1))
    return {"pow_challenge": token, "pow": str(solve(token))}
