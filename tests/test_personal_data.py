"""Privacy and merges complete by construction: every table that identifies or describes a
person has an access, erase and merge rule; a merge (CLI, separate process) moves every
dependent row; an erasure (CLI, separate process, fresh data dir) leaves no byte of the person
under the data dir; access through the CLI and the API give the same data."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from circo.automations.models import (
    Automation,
    AutomationStep,
    Enrolment,
    OrganiserAssignment,
    StepRun,
)
from circo.config import Settings
from circo.core.models import User
from circo.core.service import create_api_token, create_user
from circo.core.tenancy import CampaignContext, system_context
from circo.crm.models import (
    Contact,
    ContactAnswer,
    ContactTag,
    Event,
    EventAttendee,
    Interaction,
    Tag,
    Volunteer,
)
from circo.db import Base, utcnow
from circo.domains import registry
from circo.electionday.models import AssessorPost, ProxyOffer, ProxyRequest
from circo.field.models import Recontact, Visit
from circo.finance.models import Donation
from circo.messaging.models import Delivery, MessageCampaign
from circo.party.models import PartyGroup, ShareConsent, Webhook, WebhookDelivery
from circo.privacy.models import ConsentRecord, Opposition, RightsRequest
from circo.reach.models import (
    CallEntry,
    CallList,
    FormSubmission,
    PublicForm,
    TextCampaign,
    TextEntry,
    TextMessage,
)
from circo.web.app import create_app
from tests.crm.helpers import make_contact
from tests.field.conftest import make_field_world
from tests.server import run_cli

# Columns that identify or describe a person (or point at one).
PERSON_COLUMNS = {
    "contact_id",
    "contact_a",
    "contact_b",
    "user_id",
    "volunteer_id",
    "email",
    "phone",
    "first_name",
    "last_name",
    "first_names",
    "display_name",
    "other_emails",
    "other_phones",
    "address",
    "address_line",
    "address_key",
    "birth_date",
    "birth_year",
    "answers",
    "requester",
    "actor",
    "created_by",
    "collected_by",
    "ip",
}
PERSON_TABLES = {"crm_contacts", "crm_contact_answers", "crm_roll_entries"}


def _declared() -> dict[str, object]:
    rules: dict[str, object] = {}
    for domain, personal in registry().personal_data.items():
        for table, rule in personal.tables.items():
            assert table not in rules, f"{table} declared twice ({domain})"
            rules[table] = rule
    return rules


def test_every_table_about_a_person_has_access_erase_and_merge_rules() -> None:
    declared = _declared()
    tables = Base.metadata.tables
    missing = sorted(
        name
        for name, table in tables.items()
        if (PERSON_COLUMNS & set(table.columns.keys()) or name in PERSON_TABLES)
        and name not in declared
    )
    assert missing == [], f"tables holding personal data without a rule: {missing}"
    assert set(declared) <= set(tables), "a rule names a table that does not exist"
    for table, rule in declared.items():
        for part in ("access", "erase", "merge"):
            assert getattr(rule, part).strip(), f"{table}: empty {part} rule"


# --- a person present in every table that links to a contact ---------------------------------


@dataclass
class Person:
    contact_id: int
    email: str
    phone: str
    last_name: str


def _contact_linked_tables() -> set[str]:
    return {
        name
        for name, table in Base.metadata.tables.items()
        if {"contact_id", "contact_a"} & set(table.columns.keys())
    }


def _give_rows(session: Session, ctx: CampaignContext, contact_id: int, turf_id: int) -> None:
    """One row in each table that links to a contact (the test below checks none is missed)."""
    campaign_id = ctx.campaign_id
    volunteer = create_user(
        session, email=f"benevole-{contact_id}@example.org", password="x" * 12, name="B"
    )
    tag = Tag(campaign_id=campaign_id, name=f"tag-{contact_id}")
    event = Event(
        campaign_id=campaign_id, title=f"Réunion {contact_id}", starts_at=utcnow() + timedelta(1)
    )
    message = MessageCampaign(
        campaign_id=campaign_id, channel="email", body="b", content_key=f"k{contact_id}"
    )
    call_list = CallList(campaign_id=campaign_id, name=f"Appels {contact_id}", segment_name="all")
    text_campaign = TextCampaign(
        campaign_id=campaign_id, name=f"SMS {contact_id}", segment_name="all", template="Bonjour"
    )
    public_form = PublicForm(
        campaign_id=campaign_id,
        public_id=f"form-{contact_id}",
        kind="signup",
        name="Rejoindre",
        wording="J'accepte",
    )

    group = PartyGroup(
        organisation_id=ctx.campaign.organisation_id,
        slug=f"national-{contact_id}",
        name="National",
        kind="national",
    )
    session.add_all([tag, event, message, call_list, text_campaign, public_form, group])
    session.flush()
    visit = Visit(
        campaign_id=campaign_id,
        idempotency_key=uuid.uuid4().hex,
        turf_id=turf_id,
        outcome="talked",
        answers={"vote": "soutien"},
        contact_id=contact_id,
        visited_at=utcnow(),
    )
    session.add(visit)
    hook = Webhook(group_id=group.id, url="https://example.org/hook", secret="s", events=[])
    session.add(hook)
    automation = Automation(
        campaign_id=campaign_id, name=f"Bienvenue {contact_id}", trigger="form",
        form_id=public_form.id,
    )  # fmt: skip
    session.add(automation)
    session.flush()
    step = AutomationStep(
        campaign_id=campaign_id, automation_id=automation.id, action="add_tag", tag="bienvenue"
    )
    session.add(step)
    session.flush()
    session.add_all(
        [
            Interaction(campaign_id=campaign_id, contact_id=contact_id, kind="note"),
            ContactAnswer(campaign_id=campaign_id, contact_id=contact_id, question="q", answer="a"),
            ContactTag(campaign_id=campaign_id, contact_id=contact_id, tag_id=tag.id),
            EventAttendee(campaign_id=campaign_id, event_id=event.id, contact_id=contact_id),
            Volunteer(campaign_id=campaign_id, user_id=volunteer.id, contact_id=contact_id),
            Delivery(
                campaign_id=campaign_id,
                message_id=message.id,
                contact_id=contact_id,
                channel="email",
                basis="consent",
                proof={"consent_id": 1},
            ),
            ConsentRecord(
                campaign_id=campaign_id,
                contact_id=contact_id,
                channel="email",
                status="granted",
                source="formulaire",
            ),
            Opposition(
                campaign_id=campaign_id, contact_id=contact_id, channel="sms", source="STOP"
            ),
            RightsRequest(
                campaign_id=campaign_id,
                kind="access",
                contact_id=contact_id,
                due_at=utcnow() + timedelta(30),
            ),
            Donation(
                campaign_id=campaign_id,
                election_key="leg-2027",
                contact_id=contact_id,
                donor_key=f"donateur|{contact_id}",
                last_name="Donateur",
                amount_cents=5_000,
                method="cheque",
                received_on=date(2026, 12, 1),
            ),
            ProxyRequest(
                campaign_id=campaign_id,
                contact_id=contact_id,
                station_key="69123_0101",
                rounds="both",
                established_abroad=False,
                status="open",
                delete_after=date(2027, 6, 20),
            ),
            ProxyOffer(
                campaign_id=campaign_id,
                contact_id=contact_id,
                x=842_000.0,
                y=6_519_000.0,
                max_km=10.0,
                rounds="both",
                status="open",
                delete_after=date(2027, 6, 20),
            ),
            AssessorPost(
                campaign_id=campaign_id,
                contact_id=contact_id,
                station_key="69123_0101",
                commune_code="69123",
                department_code="69",
                role="assessor",
                round=1,
                vote_date=date(2027, 6, 13),
                slot_start="08:00",
                slot_end="20:00",
                elector_commune="69123",
                delete_after=date(2027, 6, 13),
            ),
            FormSubmission(
                campaign_id=campaign_id,
                form_id=public_form.id,
                contact_id=contact_id,
                email=f"formulaire-{contact_id}@example.org",
                token_hash=f"{contact_id:064d}",
            ),
            Enrolment(
                campaign_id=campaign_id,
                automation_id=automation.id,
                contact_id=contact_id,
                reason="formulaire",
            ),
            StepRun(
                campaign_id=campaign_id,
                automation_id=automation.id,
                step_id=step.id,
                contact_id=contact_id,
                due_at=utcnow(),
                outcome="prévue",
            ),
            OrganiserAssignment(
                campaign_id=campaign_id,
                contact_id=contact_id,
                user_id=volunteer.id,
                automation_id=automation.id,
            ),
            CallEntry(
                campaign_id=campaign_id,
                list_id=call_list.id,
                contact_id=contact_id,
                basis="consent",
                outcome="reached",
                answers={"vote": "oui"},
            ),
            TextEntry(
                campaign_id=campaign_id,
                text_campaign_id=text_campaign.id,
                contact_id=contact_id,
                basis="consent",
                status="sent",
                text="Bonjour",
            ),
            TextMessage(
                campaign_id=campaign_id,
                direction="inbound",
                phone=f"+336{contact_id:08d}",
                contact_id=contact_id,
                text="Merci",
            ),
            WebhookDelivery(
                campaign_id=campaign_id,
                webhook_id=hook.id,
                event="contact.created",
                contact_id=contact_id,
                payload={"data": {"contact_id": contact_id}},
            ),
            ShareConsent(
                campaign_id=campaign_id,
                contact_id=contact_id,
                group_id=group.id,
                status="granted",
                source="formulaire d'adhésion",
                proof={"checkbox": "partage avec le national"},
            ),
            Recontact(
                campaign_id=campaign_id,
                visit_id=visit.id,
                contact_id=contact_id,
                first_name="Prénom",
                consent_wording="J'accepte d'être recontacté",
                collected_at=utcnow(),
            ),
        ]
    )
    session.flush()


def _linked_counts(settings: Settings, contact_id: int) -> dict[str, int]:
    """Rows naming the contact in each table that links to one (own short-lived connection:
    the CLI runs as another process)."""
    engine = create_engine(settings.effective_database_url)
    counts = {}
    with engine.connect() as connection:
        for name in sorted(_contact_linked_tables()):
            table = Base.metadata.tables[name]
            column = table.c.contact_id if "contact_id" in table.c else table.c.contact_a
            query = select(func.count()).select_from(table).where(column == contact_id)
            counts[name] = int(connection.execute(query).scalar_one())
    engine.dispose()
    return counts


def test_merge_from_the_cli_keeps_every_dependent_row(session: Session, settings: Settings) -> None:
    world = make_field_world(session)
    campaign = session.merge(world.campaigns.a)
    ctx = system_context(campaign)
    kept = make_contact(session, ctx, last_name="Garde", email="garde@example.org")
    merged = make_contact(session, ctx, last_name="Fusion", email="fusion@example.org")
    for contact in (kept, merged):
        _give_rows(session, ctx, contact.id, world.assigned.id)
    session.commit()
    kept_id, merged_id = kept.id, merged.id
    before_kept, before_merged = (
        _linked_counts(settings, kept_id),
        _linked_counts(settings, merged_id),
    )
    untouched = {t for t, n in before_merged.items() if n == 0} - {"crm_duplicate_pairs"}
    assert untouched == set(), f"the test gives no row to: {untouched}"

    result = run_cli(
        settings, "contacts", "merge", str(kept_id), str(merged_id), "--campaign", "camp-a"
    )
    assert result.returncode == 0, result.stderr

    session.expire_all()
    assert session.get(Contact, merged_id) is None
    after = _linked_counts(settings, kept_id)
    for table, count in before_merged.items():
        if table == "crm_duplicate_pairs":
            continue
        extra = 1 if table == "crm_interactions" else 0  # the merge itself is on the timeline
        assert after[table] == before_kept[table] + count + extra, table
    assert set(_linked_counts(settings, merged_id).values()) == {0}
    session.rollback()


def _seed_person(session: Session) -> tuple[Person, Person]:
    world = make_field_world(session)
    campaign = session.merge(world.campaigns.a)
    ctx = system_context(campaign)
    people = []
    for last_name, email, phone in (
        ("Zéphyrine", "zephyrine.erase@example.org", "0690 12 34 56"),
        ("Reste", "reste.keep@example.org", "0696 12 34 56"),
    ):
        contact = make_contact(
            session, ctx, first_name="Anaïs", last_name=last_name, email=email, phone=phone
        )
        _give_rows(session, ctx, contact.id, world.assigned.id)
        recontact = Recontact(
            campaign_id=ctx.campaign_id,
            email=email,
            phone=contact.phone,
            first_name="Anaïs",
            consent_wording="J'accepte d'être recontacté",
            collected_at=utcnow(),
        )
        session.add(recontact)
        people.append(Person(contact.id, email, str(contact.phone), last_name))
    session.commit()
    return people[0], people[1]


def _bytes_under(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file())


def test_erasure_from_the_cli_leaves_no_byte_of_the_person(
    session: Session, settings: Settings, backend: str
) -> None:
    erased, kept = _seed_person(session)
    # access from the CLI lists what every domain holds, field visits and recontacts included
    out = settings.data_dir / "exports" / "dossier.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    access = run_cli(
        settings,
        "privacy",
        "access",
        "--campaign",
        "camp-a",
        "--email",
        erased.email,
        "--out",
        str(out),
    )
    assert access.returncode == 0, access.stderr
    dossier = json.loads(out.read_text(encoding="utf-8"))
    assert [c["id"] for c in dossier["contacts"]] == [erased.contact_id]
    assert dossier["field_visits"][0]["answers"] == {"vote": "soutien"}
    assert sorted(str(r["email"]) for r in dossier["field_recontacts"]) == ["None", erased.email]
    assert len(dossier["messaging_deliveries"]) == 1
    assert dossier["contacts"][0]["consents"][0]["status"] == "granted"
    out.unlink()
    session.rollback()

    result = run_cli(
        settings, "privacy", "erase", "--campaign", "camp-a", "--email", erased.email, "--json"
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["records"]["field_recontacts"] == 2
    assert report["records"]["crm_contacts"] == 1

    session.expire_all()
    visits = session.execute(select(Visit.contact_id, Visit.answers)).all()
    assert (None, {}) in visits  # the door stays knocked, without the person or the answers
    assert (kept.contact_id, {"vote": "soutien"}) in visits
    assert session.get(Contact, kept.contact_id) is not None
    assert session.get(Contact, erased.contact_id) is None
    remaining = session.scalars(select(Recontact.email)).all()
    assert remaining == [None, kept.email] or sorted(remaining, key=str) == sorted(
        [None, kept.email], key=str
    )
    session.rollback()
    if backend == "sqlite":  # the whole database is in files: check every byte
        session.close()
        database = Path(settings.effective_database_url.removeprefix("sqlite:///"))
        data = _bytes_under(settings.data_dir) + _bytes_under(database.parent)
        for needle in (erased.email, erased.last_name, erased.phone, "+590690123456"):
            assert needle.encode() not in data, needle
        assert kept.email.encode() in data


def test_access_is_the_same_through_the_cli_and_the_api(
    session: Session, settings: Settings, runtime: object
) -> None:
    erased, _kept = _seed_person(session)
    admin = session.scalar(select(User).where(User.email == "admin-a@example.org"))
    assert admin is not None
    token, _ = create_api_token(session, user=admin, name="dpo")
    session.commit()
    out = settings.data_dir / "dossier.json"
    result = run_cli(
        settings,
        "privacy",
        "access",
        "--campaign",
        "camp-a",
        "--email",
        erased.email,
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    from_cli = json.loads(out.read_text(encoding="utf-8"))
    with TestClient(create_app(settings)) as client:
        response = client.post(
            "/api/campaigns/camp-a/privacy/access",
            json={"email": erased.email},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200, response.text
    from_api = response.json()
    for dossier in (from_cli, from_api):
        dossier.pop("generated_at")
        dossier.pop("audit_events")  # the CLI's own access is logged before the API's
    assert from_cli == from_api


@pytest.fixture(autouse=True)
def _shared_domains_loaded() -> None:
    assert registry().personal_data  # loaded by the test configuration, as by every entry point
