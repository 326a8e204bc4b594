"""A small movement for the party tests: national → two federations → three local campaigns,
a person of each level, and people planted in one local campaign (one consented to be shared
with the national level)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from circo.core.models import Campaign, Role, User
from circo.core.tenancy import system_context
from circo.crm.contacts import create_contact
from circo.crm.schemas import ContactCreate
from circo.party.models import PartyGroup
from circo.party.sharing import record_share
from circo.party.tree import create_group, grant_role
from tests.factories import make_campaign, make_user

SECRET_NAME = "Zorglubesque"  # a person of camp-b who consented to nothing
SHARED_NAME = "Partageonsdonc"  # a person of camp-b who consented to be known by the national


@dataclass
class Movement:
    national: PartyGroup
    fede_a: PartyGroup
    fede_b: PartyGroup
    a: Campaign  # under fede_a
    b: Campaign  # under fede_a (sibling of a)
    c: Campaign  # under fede_b
    national_admin: User  # group admin of the national level (and subtree), member of c only
    fede_a_admin: User  # group admin of fede-a, member of no campaign
    fede_b_admin: User
    admin_a: User  # admin of campaign a only
    secret_id: int
    shared_id: int


def make_movement(session: Session) -> Movement:
    a = make_campaign(session, slug="camp-a")
    b = make_campaign(session, slug="camp-b")
    c = make_campaign(session, slug="camp-c")
    national = create_group(session, name="Mouvement national", slug="national")
    fede_a = create_group(session, name="Fédération A", slug="fede-a", parent="national")
    fede_b = create_group(session, name="Fédération B", slug="fede-b", parent="national")
    for campaign, parent in ((a, "fede-a"), (b, "fede-a"), (c, "fede-b")):
        create_group(
            session,
            name=f"Groupe {campaign.slug}",
            slug=f"g-{campaign.slug}",
            parent=parent,
            campaign=campaign.slug,
        )
    national_admin = make_user(session, campaign=c, email="national@example.org")
    admin_b = make_user(session, campaign=b, email="admin-b@example.org")
    assert admin_b is not None
    fede_a_admin = make_user(session, campaign=c, email="fede-a@example.org", role=Role.volunteer)
    fede_b_admin = make_user(session, campaign=c, email="fede-b@example.org", role=Role.volunteer)
    admin_a = make_user(session, campaign=a, email="admin-a@example.org")
    grant_role(session, group=national, user=national_admin, role=Role.admin, subtree=True)
    grant_role(session, group=fede_a, user=fede_a_admin, role=Role.admin, subtree=True)
    grant_role(session, group=fede_b, user=fede_b_admin, role=Role.admin, subtree=True)
    ctx_b = system_context(b)
    secret = create_contact(
        session,
        ctx_b,
        data=ContactCreate(first_name="Secret", last_name=SECRET_NAME, email="zorg@example.org"),
    )
    shared = create_contact(
        session,
        ctx_b,
        data=ContactCreate(first_name="Accord", last_name=SHARED_NAME, email="part@example.org"),
    )
    record_share(
        session,
        ctx_b,
        contact_id=shared.id,
        group="national",
        status="granted",
        source="formulaire d'adhésion",
        proof={"form": "adhesion"},
    )
    session.commit()
    return Movement(
        national=national,
        fede_a=fede_a,
        fede_b=fede_b,
        a=a,
        b=b,
        c=c,
        national_admin=national_admin,
        fede_a_admin=fede_a_admin,
        fede_b_admin=fede_b_admin,
        admin_a=admin_a,
        secret_id=secret.id,
        shared_id=shared.id,
    )
