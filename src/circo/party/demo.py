"""The demo organisation (`circo demo --organisation`): a national level, two federations and
four local campaigns — the demo campaign of Paris (`circo demo`, every module seeded) and three
smaller ones with synthetic contacts, doors knocked, donations and meetings, so the national
dashboard rolls up real rows. Every name is invented (synthétique)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from circo.core.audit import SYSTEM
from circo.core.bootstrap import Credentials
from circo.core.models import Campaign, Role
from circo.core.service import create_campaign, get_user_by_email, set_role
from circo.core.tenancy import CampaignContext, system_context
from circo.crm.contacts import create_contact
from circo.crm.models import Event
from circo.crm.schemas import ContactCreate
from circo.db import utcnow
from circo.demo import DEMO_SLUG, build_demo
from circo.field.models import Visit
from circo.finance.models import Donation
from circo.party.models import PartyGroup
from circo.party.sharing import record_share
from circo.party.tree import create_group, find_group, grant_role, publish
from circo.runtime import Runtime

NATIONAL = "mouvement-demo"
# The campaign the national level runs: its programme points, knowledge base and questionnaire
# are read by every campaign below as "national" (`circo.party.sharing.shared_campaign_ids`).
NATIONAL_CAMPAIGN = ("demo-national", "Mouvement démo — national (synthétique)")
NATIONAL_POINTS = (
    ("Santé de proximité", "Une maison de santé par bassin de vie (texte national)."),
    ("Transports du quotidien", "Le train de banlieue à l'heure (texte national)."),
)
NATIONAL_QUESTIONS = [
    {"key": "priorite", "label": "Quelle est votre priorité pour le quartier ?", "kind": "text"},
    {"key": "sante", "label": "Avez-vous un médecin traitant près de chez vous ?", "kind": "text"},
]
FEDERATIONS = (("fede-75", "Fédération de Paris"), ("fede-69", "Fédération du Rhône"))
# (slug, name, federation, territory name, contacts, doors knocked)
LOCAL_CAMPAIGNS = (
    ("demo-paris-15", "Paris 15e — législatives (synthétique)", "fede-75", "Paris", 24, 60),
    ("demo-lyon-1", "Lyon 1re circonscription (synthétique)", "fede-69", "Lyon", 30, 80),
    ("demo-villeurbanne", "Villeurbanne (synthétique)", "fede-69", "Villeurbanne", 18, 40),
)
FIRST_NAMES = ("Alice", "Bruno", "Chloé", "David", "Emma", "Farid", "Gaëlle", "Hervé", "Inès")
LAST_NAMES = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand")
SHARED = (
    (NATIONAL, "programme", "Point de programme : la santé de proximité", "Texte national."),
    (NATIONAL, "message_template", "Modèle : invitation à une réunion publique", "Bonjour…"),
    (NATIONAL, "questionnaire", "Questionnaire national du porte-à-porte", "Trois questions."),
    ("fede-75", "training", "Formation : premier porte-à-porte à Paris", "Rendez-vous…"),
)


def _drop_previous(session: Session) -> None:
    slugs = [NATIONAL_CAMPAIGN[0], *(slug for slug, *_ in LOCAL_CAMPAIGNS)]
    session.execute(delete(Campaign).where(Campaign.slug.in_(slugs)))
    session.execute(
        delete(PartyGroup).where(
            PartyGroup.slug.in_([NATIONAL, *(slug for slug, _ in FEDERATIONS)])
        )
    )


def _seed_campaign(
    session: Session, ctx: CampaignContext, *, city: str, contacts: int, doors: int
) -> list[int]:
    ids = []
    for index in range(contacts):
        first = FIRST_NAMES[index % len(FIRST_NAMES)]
        last = LAST_NAMES[(index * 3 + len(city)) % len(LAST_NAMES)]
        contact = create_contact(
            session,
            ctx,
            data=ContactCreate(
                first_name=first,
                last_name=f"{last} (synthétique)",
                email=f"{first.lower()}.{index}@{ctx.campaign.slug}.example.org",
                city=city,
            ),
            source="démo",
        )
        ids.append(contact.id)
    now = utcnow()
    for index in range(doors):
        session.add(
            Visit(
                campaign_id=ctx.campaign_id,
                idempotency_key=uuid.uuid4().hex,
                bureau=f"{index % 5 + 1:04d}",
                outcome=("talked", "absent", "talked", "refused")[index % 4],
                visited_at=now - timedelta(days=index % 20),
            )
        )
    for index in range(contacts // 6):
        session.add(
            Donation(
                campaign_id=ctx.campaign_id,
                election_key="leg-2027",
                donor_key=f"donateur|{ctx.campaign.slug}|{index}",
                first_name=FIRST_NAMES[index % len(FIRST_NAMES)],
                last_name="Donateur (synthétique)",
                amount_cents=(index + 1) * 2_500,
                method="cheque",
                nationality="FR",
                resident=True,
                received_on=date.today() - timedelta(days=index),
            )
        )
    session.add(
        Event(
            campaign_id=ctx.campaign_id,
            kind="meeting",
            title=f"Réunion publique à {city} (synthétique)",
            starts_at=now + timedelta(days=10),
            place=city,
        )
    )
    session.flush()
    return ids


def _seed_national(session: Session, ctx: CampaignContext) -> None:
    """What the national level's campaign shares down: programme points, a knowledge-base
    document and its door questionnaire."""
    from circo.assistant.segment import TextBuilder
    from circo.assistant.service import DocumentMeta, add_text
    from circo.field.service import save_questionnaire
    from circo.messaging.service import add_point

    for title, summary in NATIONAL_POINTS:
        add_point(session, ctx, title=title, summary=summary)
    builder = TextBuilder()
    builder.add("Programme national : santé de proximité", kind="heading", level=1)
    builder.add(
        "Le mouvement propose une maison de santé pluriprofessionnelle dans chaque bassin de "
        "vie et des consultations sans avance de frais (texte synthétique)."
    )
    add_text(
        session,
        ctx,
        extracted=builder.build(title="Programme national : santé de proximité"),
        source="demo/national/programme-sante",
        meta=DocumentMeta(title="Programme national : santé de proximité", doc_type="programme"),
    )
    save_questionnaire(
        session, ctx, name="Questionnaire national du porte-à-porte", questions=NATIONAL_QUESTIONS
    )


def build_organisation_demo(runtime: Runtime) -> Credentials:
    """The demo campaign (rebuilt), then the organisation around it; the demo's administrator
    holds the national level (and its subtree)."""
    credentials = build_demo(runtime)
    with runtime.session() as session:
        _drop_previous(session)
    with runtime.session() as session:
        national_campaign = create_campaign(
            session,
            slug=NATIONAL_CAMPAIGN[0],
            name=NATIONAL_CAMPAIGN[1],
            election_type="legislatives",
            election_date=date(2027, 6, 13),
        )
        national = create_group(
            session,
            name="Mouvement démo (synthétique)",
            slug=NATIONAL,
            campaign=NATIONAL_CAMPAIGN[0],
        )
        for slug, name in FEDERATIONS:
            create_group(session, name=name, slug=slug, parent=NATIONAL)
        create_group(
            session, name="Paris — démo", slug="demo", parent="fede-75", campaign=DEMO_SLUG
        )
        admin = get_user_by_email(session, credentials.email)
        assert admin is not None
        grant_role(session, group=national, user=admin, role=Role.admin, subtree=True)
        set_role(session, actor=SYSTEM, campaign=national_campaign, user=admin, role=Role.admin)
        _seed_national(session, system_context(national_campaign))
        for slug, name, federation, city, contacts, doors in LOCAL_CAMPAIGNS:
            campaign = create_campaign(
                session,
                slug=slug,
                name=name,
                election_type="legislatives",
                territory_name=city,
                election_date=date(2027, 6, 13),
            )
            set_role(session, actor=SYSTEM, campaign=campaign, user=admin, role=Role.admin)
            create_group(session, name=name, slug=slug, parent=federation, campaign=slug)
            ctx = system_context(campaign)
            ids = _seed_campaign(session, ctx, city=city, contacts=contacts, doors=doors)
            if slug == "demo-lyon-1":  # two people agreed to be known by the national level
                for contact_id in ids[:2]:
                    record_share(
                        session,
                        ctx,
                        contact_id=contact_id,
                        group=NATIONAL,
                        status="granted",
                        source="formulaire d'adhésion (synthétique)",
                        proof={"form": "adhesion", "checkbox": "partage avec le national"},
                    )
        for group_slug, kind, title, body in SHARED:
            publish(
                session, group=find_group(session, group_slug), kind=kind, title=title, body=body
            )
        demo_campaign = session.scalar(select(Campaign).where(Campaign.slug == DEMO_SLUG))
        assert demo_campaign is not None
    return credentials
