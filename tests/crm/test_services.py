"""Contacts services: search, duplicates and merge, segments, export audit, electoral roll
rules and purge, volunteers and teams, event reminders, offline geocoding."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from circo.cli import app
from circo.config import Settings
from circo.core.jobs import run_pending
from circo.core.models import AuditEvent, Job
from circo.crm import geocode
from circo.crm.contacts import add_tags, record_answer, search_contacts
from circo.crm.dedup import merge_contacts, refresh_duplicates
from circo.crm.errors import RollUseRefused
from circo.crm.events import EventCreate, check_in, create_event, invite_contact
from circo.crm.importer.reading import read_bytes
from circo.crm.models import DuplicatePair, Interaction, RollEntry
from circo.crm.rolls import RollFilter, import_roll, query_roll, refuse_use
from circo.crm.schemas import SegmentFilter, VolunteerCreate
from circo.crm.segments import create_segment, resolve_segment, segment_contact_ids
from circo.crm.volunteers import (
    add_team_member,
    create_team,
    invite_volunteer,
    list_teams,
    set_onboarding_step,
)
from circo.db import utcnow
from circo.privacy.consent import latest_consents, record_consent
from circo.privacy.retention import run_retention
from circo.runtime import Runtime
from tests.crm.helpers import ctx_of, make_contact
from tests.factories import make_campaign


def test_search_by_name_prefix_email_and_phone(session: Session) -> None:
    ctx = ctx_of(make_campaign(session))
    dupont = make_contact(
        session,
        ctx,
        first_name="Jean",
        last_name="Dupont",
        email="j@example.org",
        phone="06 12 34 56 78",
    )
    make_contact(session, ctx, first_name="Éloïse", last_name="Durand")
    make_contact(session, ctx, first_name="Jeanne", last_name="Martin")
    assert [c.id for c in search_contacts(session, ctx, query="dup")] == [dupont.id]
    assert [c.last_name for c in search_contacts(session, ctx, query="eloise")] == ["Durand"]
    assert [c.last_name for c in search_contacts(session, ctx, query="jean dup")] == ["Dupont"]
    assert {c.last_name for c in search_contacts(session, ctx, query="jean")} == {
        "Dupont",
        "Martin",
    }
    assert [c.id for c in search_contacts(session, ctx, query="J@EXAMPLE.org")] == [dupont.id]
    assert [c.id for c in search_contacts(session, ctx, query="+33 6 12 34 56 78")] == [dupont.id]


def test_duplicates_found_and_merge_keeps_both_histories(session: Session) -> None:
    ctx = ctx_of(make_campaign(session))
    a = make_contact(
        session,
        ctx,
        first_name="Jean",
        last_name="Dupont",
        email="j@example.org",
        address_line="12 rue de la Paix",
        postal_code="75002",
    )
    b = make_contact(
        session,
        ctx,
        first_name="Jean",
        last_name="Dupond",
        phone="0612345678",
        address_line="12 r. de la Paix",
        postal_code="75002",
    )
    c = make_contact(session, ctx, first_name="Other", last_name="Person", email="j@example.org")
    make_contact(
        session,
        ctx,
        first_name="Jean",
        last_name="Dupont",
        postal_code="13001",
        address_line="1 La Canebière",
    )
    assert refresh_duplicates(session, ctx) == 2
    pairs = {(p.contact_a, p.contact_b): p.reason for p in session.scalars(select(DuplicatePair))}
    assert pairs == {(a.id, b.id): "name_address", (a.id, c.id): "email"}
    record_consent(session, ctx, contact_id=b.id, channel="sms", status="granted", source="salon")
    add_tags(session, ctx, contact_ids=[b.id], names=["parents"])
    record_answer(session, ctx, contact_id=b.id, question="sujet", answer="écoles")
    event = create_event(
        session, ctx, data=EventCreate(title="R", starts_at=utcnow() + timedelta(days=3))
    )
    check_in(session, ctx, event_id=event.id, contact_id=b.id)
    before = session.scalar(select(func.count()).select_from(Interaction)) or 0
    kept = merge_contacts(session, ctx, keep_id=a.id, merge_id=b.id)
    assert kept.phone == "+33612345678"
    assert kept.email == "j@example.org"
    kinds = list(session.scalars(select(Interaction.kind).where(Interaction.contact_id == a.id)))
    assert {"edit", "consent", "event", "note", "merge"} <= set(kinds)
    assert session.scalar(select(func.count()).select_from(Interaction)) == before + 1
    assert latest_consents(session, ctx, contact_ids=[a.id])[(a.id, "sms")].status == "granted"
    assert segment_contact_ids(session, ctx, SegmentFilter(tags=["parents"])) == [a.id]
    assert segment_contact_ids(session, ctx, SegmentFilter(attended_event_ids=[event.id])) == [a.id]


def test_segments_filters_and_audited_export(
    session: Session, cli_env: dict[str, str], tmp_path: Path
) -> None:
    campaign = make_campaign(session)
    ctx = ctx_of(campaign)
    reachable = make_contact(
        session, ctx, last_name="Oui", email="oui@example.org", commune_code="69123"
    )
    silent = make_contact(
        session, ctx, last_name="Non", email="non@example.org", commune_code="69123"
    )
    make_contact(session, ctx, last_name="Loin", email="loin@example.org", commune_code="75056")
    add_tags(session, ctx, contact_ids=[reachable.id, silent.id], names=["parents"])
    record_consent(
        session, ctx, contact_id=reachable.id, channel="email", status="granted", source="t"
    )
    record_answer(session, ctx, contact_id=silent.id, question="priorité", answer="transports")
    create_segment(
        session,
        ctx,
        name="Parents Lyon",
        filters=SegmentFilter(tags=["parents"], commune_codes=["69123"], consent_channel="email"),
    )
    assert segment_contact_ids(session, ctx, resolve_segment(session, ctx, "Parents Lyon")) == [
        reachable.id
    ]
    assert segment_contact_ids(
        session, ctx, SegmentFilter(answers={"priorité": ["transports"]})
    ) == [silent.id]
    assert len(segment_contact_ids(session, ctx, resolve_segment(session, ctx, "all"))) == 3
    session.commit()
    out = tmp_path / "parents.csv"
    result = CliRunner().invoke(
        app, ["contacts", "export", "--segment", "Parents Lyon", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 2
    assert "oui@example.org" in lines[1]
    assert lines[1].endswith(";oui;;;")
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "contacts.export"))
    assert event is not None
    assert event.details["rows"] == 1
    assert event.target_id == "Parents Lyon"
    session.rollback()
    missing = CliRunner().invoke(
        app, ["contacts", "export", "--segment", "Inconnu", "--out", str(out)]
    )
    assert missing.exit_code == 2
    assert "Parents Lyon" in missing.output


def test_electoral_roll_rules_and_purge(session: Session, settings: Settings) -> None:
    ctx = ctx_of(make_campaign(session))
    parsed = read_bytes(
        "Nom;Prénoms;Sexe;Date de naissance;Lieu de naissance;Bureau\n"
        "A;Anne;F;01/01/2000;Brest;0001\nB;Bruno;M;01/01/1950;Lyon;0002\n"
        "C;Carla;F;01/01/1980;Paris;0001\n".encode(),
        filename="liste.csv",
    )
    roll = import_roll(
        session,
        ctx,
        parsed,
        kind="roll",
        election_label="Municipales",
        election_date=date(2026, 3, 15),
        second_round_date=date(2026, 3, 22),
    )
    assert roll.purge_after == date(2026, 3, 22) + timedelta(days=183)
    entries, total = query_roll(
        session, ctx, roll_id=roll.id, sort_by="age", today=date(2026, 1, 1)
    )
    assert total == 3
    assert [e.first_names for e in entries] == ["Anne", "Carla", "Bruno"]
    women, _ = query_roll(
        session,
        ctx,
        roll_id=roll.id,
        filters=RollFilter(sex="F", min_age=30),
        today=date(2026, 1, 1),
    )
    assert [e.first_names for e in women] == ["Carla"]
    for forbidden in ({"name": "A"}, {"birth_place": "Brest"}, {"last_name": "B"}):
        with pytest.raises(RollUseRefused):
            query_roll(session, ctx, roll_id=roll.id, **forbidden)
    with pytest.raises(RollUseRefused):
        query_roll(session, ctx, roll_id=roll.id, sort_by="last_name")
    with pytest.raises(RollUseRefused):
        refuse_use("export")
    emargement = import_roll(
        session,
        ctx,
        read_bytes(
            b"Nom;Prenoms;Bureau;A vote\nA;Anne;0001;oui\nB;Bruno;0002;\n", filename="em.csv"
        ),
        kind="emargement",
        election_label="Municipales T1",
        election_date=date(2026, 3, 15),
        second_round_date=date(2026, 3, 22),
    )
    abstainers, _ = query_roll(session, ctx, roll_id=emargement.id, filters=RollFilter(voted=False))
    assert [e.first_names for e in abstainers] == ["Bruno"]
    between_rounds = run_retention(
        session, ctx, settings, apply=False, now=utcnow().replace(year=2026, month=3, day=18)
    )
    assert {i.policy: i.count for i in between_rounds.items}["emargement"] == 0
    dry = run_retention(
        session, ctx, settings, apply=False, now=utcnow().replace(year=2026, month=3, day=24)
    )
    counts = {i.policy: i.count for i in dry.items}
    assert counts["emargement"] == 2
    assert counts["electoral_roll"] == 0
    assert (
        session.scalar(select(func.count()).select_from(RollEntry)) == 5
    )  # dry run deletes nothing
    later = utcnow().replace(year=2026, month=10, day=1)
    applied = run_retention(session, ctx, settings, apply=True, now=later)
    assert {i.policy: i.count for i in applied.items}["electoral_roll"] == 3
    assert session.scalar(select(func.count()).select_from(RollEntry)) == 0


def test_inactive_contacts_retention(
    session: Session, settings: Settings, cli_env: dict[str, str]
) -> None:
    ctx = ctx_of(make_campaign(session))
    old = make_contact(session, ctx, last_name="Ancien")
    old.last_activity_at = utcnow() - timedelta(days=365 * 3 + 5)
    make_contact(session, ctx, last_name="Récent")
    session.commit()
    runner = CliRunner()
    session.rollback()
    dry = runner.invoke(app, ["privacy", "retention", "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    assert '"inactive_contacts"' in dry.stdout
    assert '"count": 1' in dry.stdout
    applied = runner.invoke(app, ["privacy", "retention", "--apply"])
    assert applied.exit_code == 0, applied.output
    session.expire_all()
    assert [c.last_name for c in search_contacts(session, ctx)] == ["Récent"]


def test_volunteers_teams_and_event_reminder_job(session: Session, runtime: Runtime) -> None:
    settings = runtime.settings
    campaign = make_campaign(session)
    ctx = ctx_of(campaign)
    volunteer = invite_volunteer(
        session,
        ctx,
        settings,
        data=VolunteerCreate(
            email="benevole@example.org",
            display_name="Bénévole",
            skills=["tractage"],
            home_commune="69123",
        ),
    )
    team = create_team(session, ctx, name="Lyon 3e")
    add_team_member(session, ctx, team_id=team.id, volunteer_id=volunteer.id, leader=True)
    assert list_teams(session, ctx)[0]["members"][0]["leader"] is True
    for step in ("charter", "account", "training", "app", "first_outing"):
        set_onboarding_step(session, ctx, volunteer_id=volunteer.id, step=step)
    assert volunteer.status == "active"
    guest = make_contact(session, ctx, email="g@example.org")
    record_consent(session, ctx, contact_id=guest.id, channel="email", status="granted", source="t")
    event = create_event(
        session,
        ctx,
        data=EventCreate(
            title="Formation", kind="training", starts_at=utcnow() + timedelta(hours=2)
        ),
    )
    invite_contact(session, ctx, event_id=event.id, contact_id=guest.id, status="yes")
    session.commit()
    job = session.scalar(select(Job).where(Job.kind == "crm.event_reminder"))
    assert job is not None
    assert job.payload == {"event_id": event.id}
    session.rollback()
    import circo.crm.events  # noqa: F401  (registers the handler)

    assert run_pending(runtime.factory, settings, kinds={"crm.event_reminder"}) == 1
    session.expire_all()
    assert session.get(Job, job.id).result == {"reminded": 1}
    session.rollback()
    # The reminder (and the volunteer's invitation) left after their commit, by the mail job.
    assert run_pending(runtime.factory, settings, kinds={"core.send_mail"}) == 2
    mails = [p.read_text() for p in (settings.data_dir / "outbox").glob("*.eml")]
    assert any("Rappel" in m or "=?utf-8?" in m for m in mails)
    assert len(mails) == 2


def test_offline_geocoding_finds_the_bureau(
    session: Session, settings: Settings, shared_data: Path, tmp_path: Path
) -> None:
    ctx = ctx_of(make_campaign(session))
    ban = tmp_path / "adresses-29.csv"
    ban.write_text(
        "id;numero;rep;nom_voie;code_postal;code_insee;nom_commune;lon;lat\n"
        "29039_a;12;;Rue de Brest;29900;29039;Concarneau;-3.913795;47.872888\n"
        "29039_b;3;bis;Avenue de la Gare;29900;29039;Concarneau;-3.917988;47.86938\n",
        encoding="utf-8",
    )
    assert geocode.import_ban(session, ban) == 2
    points = geocode.import_station_points(
        session, shared_data / "fr-reu-adresses-sample-29" / "addresses_sample.csv"
    )
    assert points == 12335
    contact = make_contact(session, ctx, address_line="12 r. de Brest", postal_code="29900")
    other = make_contact(
        session, ctx, last_name="Gare", address_line="3 bis av de la gare", postal_code="29900"
    )
    report = geocode.geocode_contacts(session, ctx, settings)
    assert report.geocoded == 2
    assert report.stations == 2
    assert report.online == 0
    assert contact.commune_code == "29039"
    assert contact.polling_station == "29039_0001"
    assert other.lat == pytest.approx(47.86938)
