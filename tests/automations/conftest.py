"""A campaign with an organiser and contacts with and without email consent."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from circo.core.models import Campaign, Role, User
from circo.core.tenancy import CampaignContext, system_context
from circo.crm.contacts import create_contact
from circo.crm.models import Contact
from circo.crm.schemas import ContactCreate
from circo.privacy.consent import record_consent
from tests.factories import make_campaign, make_user


@dataclass
class AutoWorld:
    campaign: Campaign
    ctx: CampaignContext
    organiser: User
    consented: Contact  # email consent granted
    plain: Contact  # no consent, no regular relationship: no basis for email


def make_auto_world(session: Session) -> AutoWorld:
    campaign = make_campaign(session, slug="camp-a")
    other = make_campaign(session, slug="camp-b")
    make_user(session, campaign=other, email="admin-b@example.org")
    make_user(session, campaign=campaign, email="admin-a@example.org")
    organiser = make_user(
        session, campaign=campaign, email="orga-a@example.org", role=Role.organiser
    )
    make_user(session, campaign=campaign, email="volunteer-a@example.org", role=Role.volunteer)
    ctx = system_context(campaign)
    consented = create_contact(
        session,
        ctx,
        data=ContactCreate(first_name="Alice", last_name="Test", email="alice@example.org"),
    )
    record_consent(
        session, ctx, contact_id=consented.id, channel="email", status="granted", source="test"
    )
    plain = create_contact(
        session,
        ctx,
        data=ContactCreate(first_name="Bruno", last_name="Test", email="bruno@example.org"),
    )
    session.flush()
    return AutoWorld(campaign, ctx, organiser, consented, plain)
