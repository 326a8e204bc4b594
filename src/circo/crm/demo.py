"""Demo content: a few contacts with consent, a segment, a volunteer team and an event."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.tenancy import CampaignContext
from circo.core.timezone import local_today, parse_local
from circo.crm.contacts import add_tags, create_contact
from circo.crm.events import create_event
from circo.crm.schemas import ContactCreate, EventCreate, SegmentFilter
from circo.crm.segments import create_segment
from circo.crm.volunteers import create_team
from circo.privacy.consent import record_consent

PEOPLE = [
    (
        "Camille",
        "Bernard",
        "camille.bernard@example.org",
        "06 11 00 00 01",
        "12 rue Oberkampf",
        "75011",
    ),
    ("Hugo", "Moreau", "hugo.moreau@example.org", None, "4 boulevard Voltaire", "75011"),
    ("Inès", "Petit", None, "06 11 00 00 03", "30 rue de la Roquette", "75011"),
    (
        "Louis",
        "Garnier",
        "louis.garnier@example.org",
        "06 11 00 00 04",
        "8 rue de Belleville",
        "75020",
    ),
]


def seed_demo(session: Session, ctx: CampaignContext, settings: Settings) -> None:
    ids = []
    for first, last, email, phone, address, postal_code in PEOPLE:
        contact = create_contact(
            session,
            ctx,
            source="démo",
            data=ContactCreate(
                first_name=first,
                last_name=last,
                email=email,
                phone=phone,
                address_line=address,
                postal_code=postal_code,
                city="Paris",
                commune_code="75056",
            ),
        )
        ids.append(contact.id)
        if email:
            record_consent(
                session,
                ctx,
                contact_id=contact.id,
                channel="email",
                status="granted",
                source="démo : formulaire de contact",
                proof={"demo": True},
            )
    add_tags(session, ctx, contact_ids=ids[:2], names=["parents"])
    create_segment(
        session,
        ctx,
        name="Parents joignables par e-mail",
        filters=SegmentFilter(tags=["parents"], consent_channel="email"),
    )
    create_team(session, ctx, name="Paris 11e", commune_code="75056")
    create_event(
        session,
        ctx,
        data=EventCreate(
            title="Réunion publique — petite enfance",
            kind="meeting",
            place="Mairie du 11e",
            # 19:00 on the campaign's clock, two weeks ahead
            starts_at=parse_local(
                f"{local_today(ctx.campaign.timezone) + timedelta(days=14)}T19:00",
                ctx.campaign.timezone,
            ),
            capacity=120,
        ),
    )
