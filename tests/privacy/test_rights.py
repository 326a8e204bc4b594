"""Rights of the person: erasure leaves no trace (database and data dir), access is complete,
the public self-service page works with a link sent by email."""

from __future__ import annotations

import json
import re
from datetime import date
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from circo.cli import app
from circo.config import Settings
from circo.crm.contacts import add_note, record_answer
from circo.crm.events import check_in, create_event, invite_segment
from circo.crm.importer.reading import read_bytes
from circo.crm.models import Contact
from circo.crm.rolls import import_roll
from circo.crm.schemas import EventCreate, SegmentFilter
from circo.db import utcnow
from circo.privacy.consent import can_contact
from circo.privacy.rights.requests import create_request
from circo.runtime import Runtime
from circo.web.app import create_app
from tests.crm.helpers import CSV_HEADER, ctx_of, make_contact, write_csv
from tests.factories import make_campaign

runner = CliRunner()
FIRST, LAST = "Zéphyrine", "Quillebœuf"
EMAIL, PHONE = "zephyrine.q@example.org", "+33611223344"
NEEDLES = [LAST, EMAIL, PHONE, "06 11 22 33 44", "0611223344"]


def _build_person(session: Session, settings: Settings, tmp_path: Path) -> int:
    """The person everywhere: import with consent, note by another contact, answer, event
    invitation (email in the outbox) and check-in, electoral roll, rights request, exports and
    access files under the data dir."""
    campaign = make_campaign(session)
    session.commit()
    ctx = ctx_of(campaign)
    csv_file = write_csv(
        tmp_path / "in.csv",
        [
            f"{FIRST};{LAST};{EMAIL};06 11 22 33 44;12 bd Voltaire;75011;Paris;oui;parents",
            "Jean;Témoin;jean@example.org;0612345678;3 rue Oberkampf;75011;Paris;oui;",
        ],
    )
    assert runner.invoke(app, ["contacts", "import", str(csv_file)]).exit_code == 0
    person = session.scalar(select(Contact).where(Contact.email == EMAIL))
    witness = session.scalar(select(Contact).where(Contact.email == "jean@example.org"))
    assert person is not None
    assert witness is not None
    add_note(session, ctx, contact_id=witness.id, text=f"venu avec {FIRST} {LAST}")
    record_answer(session, ctx, contact_id=person.id, question="sujet", answer="crèches")
    event = create_event(
        session, ctx, data=EventCreate(title="Réunion", starts_at=utcnow().replace(year=2099))
    )
    invite_segment(session, ctx, settings, event_id=event.id, filters=SegmentFilter())
    check_in(session, ctx, event_id=event.id, contact_id=person.id)
    roll = read_bytes(
        f"Nom;Prénoms;Sexe;Date de naissance;Lieu de naissance;Bureau\n{LAST.upper()};{FIRST};F;"
        "01/02/1980;Brest;0003\nAUTRE;Paul;M;02/03/1950;Lyon;0001\n".encode(),
        filename="liste.csv",
    )
    import_roll(
        session,
        ctx,
        roll,
        kind="roll",
        election_label="Législatives 2027",
        election_date=date(2027, 6, 13),
    )
    create_request(session, ctx, kind="access", requester=EMAIL, contact_id=person.id)
    session.commit()
    exports = settings.data_dir / "exports" / campaign.slug
    for name in ("tous.csv", "tous.xlsx"):
        result = runner.invoke(
            app, ["contacts", "export", "--segment", "all", "--out", str(exports / name)]
        )
        assert result.exit_code == 0, result.output
    access = settings.data_dir / "acces" / "demande.json"
    result = runner.invoke(
        app,
        [
            "privacy",
            "access",
            "--email",
            EMAIL,
            "--out",
            str(access),
            "--pdf",
            str(access.with_suffix(".pdf")),
        ],
    )
    assert result.exit_code == 0, result.output
    return person.id


def _db_traces(session: Session) -> list[str]:
    """Every table of the database, every column, scanned for the needles."""
    found = []
    for table in inspect(session.connection()).get_table_names():
        for row in session.execute(text(f'SELECT * FROM "{table}"')).mappings():
            for column, value in row.items():
                if value is None:
                    continue
                rendered = json.dumps(value, ensure_ascii=False, default=str).lower()
                rendered += " " + str(value).lower()
                for needle in NEEDLES:
                    if needle.lower() in rendered:
                        found.append(f"{table}.{column}: {needle}")
    return found


def _file_traces(folder: Path) -> list[str]:
    from openpyxl import load_workbook
    from pypdf import PdfReader

    found = []
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        content = path.read_bytes().decode("utf-8", errors="ignore")
        if path.suffix == ".xlsx":
            sheet = load_workbook(path).active
            content = " ".join(str(cell.value) for row in sheet.iter_rows() for cell in row)
        elif path.suffix == ".pdf":
            content = " ".join(page.extract_text() or "" for page in PdfReader(path).pages)
        lowered = re.sub(r"[;,\"]+", " ", content.lower())
        found += [f"{path}: {needle}" for needle in NEEDLES if needle.lower() in lowered]
    return found


def test_erase_leaves_no_trace_in_database_or_data_dir(
    session: Session, settings: Settings, cli_env: dict[str, str], tmp_path: Path
) -> None:
    _build_person(session, settings, tmp_path)
    assert _db_traces(session)
    assert _file_traces(settings.data_dir)
    session.rollback()
    result = runner.invoke(
        app, ["privacy", "erase", "--email", EMAIL, "--phone", "06 11 22 33 44", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["contacts"] == 1
    assert report["files_deleted"]
    session.expire_all()
    assert _db_traces(session) == []
    assert _file_traces(settings.data_dir) == []
    if settings.is_sqlite:  # the SQLite file itself keeps no deleted bytes
        database = Path(settings.effective_database_url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
        for needle in NEEDLES:
            assert needle.encode() not in raw
    # the other contact and the other elector are untouched
    assert session.scalar(select(Contact).where(Contact.email == "jean@example.org")) is not None
    session.rollback()
    # the erased person is never re-imported
    again = write_csv(tmp_path / "again.csv", [f"{FIRST};{LAST};{EMAIL};;;;;oui;"], CSV_HEADER)
    result = runner.invoke(app, ["contacts", "import", str(again), "--json"])
    assert json.loads(result.stdout)["created"] == 0


def _rows_in_export(export: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            rows.append(value)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(export)
    return rows


def test_access_export_contains_every_record_of_the_person(
    session: Session, settings: Settings, cli_env: dict[str, str], tmp_path: Path
) -> None:
    person_id = _build_person(session, settings, tmp_path)
    export = json.loads((settings.data_dir / "acces" / "demande.json").read_text())
    exported = _rows_in_export(export)
    assert (settings.data_dir / "acces" / "demande.pdf").read_bytes().startswith(b"%PDF")
    expected: list[tuple[str, dict[str, Any]]] = []
    for table in inspect(session.connection()).get_table_names():
        columns = {c["name"] for c in inspect(session.connection()).get_columns(table)}
        if "contact_id" in columns:
            query = text(f'SELECT * FROM "{table}" WHERE contact_id = :cid')
            expected += [
                (table, dict(row)) for row in session.execute(query, {"cid": person_id}).mappings()
            ]
    expected.append(("crm_contacts", {"id": person_id}))
    roll_rows = session.execute(
        text("SELECT * FROM crm_roll_entries WHERE first_names = :f"), {"f": FIRST}
    )
    expected += [("crm_roll_entries", dict(row)) for row in roll_rows.mappings()]
    tables = {table for table, _row in expected}
    assert {
        "crm_interactions",
        "privacy_consents",
        "crm_event_attendees",
        "crm_contact_answers",
        "crm_contact_tags",
        "crm_roll_entries",
        "privacy_rights_requests",
    } <= tables
    for table, row in expected:
        keys = {key for key in row if key not in ("search_name", "search_name_rev", "name_key")}
        matches = [
            item
            for item in exported
            if ("id" not in row or item.get("id") == row["id"]) and keys <= set(item)
        ]
        assert matches, f"{table} row {row} missing from the access export"


def test_self_service_access_opposition_and_erasure(runtime: Runtime, session: Session) -> None:
    campaign = make_campaign(session)
    contact = make_contact(session, ctx_of(campaign), email=EMAIL, relationship_kind="supporter")
    session.commit()
    contact_id = contact.id
    client = TestClient(create_app(runtime.settings, runtime=runtime))
    outbox = runtime.settings.data_dir / "outbox"

    def ask(kind: str) -> str:
        client.get("/p/camp-a/donnees")
        before = set(outbox.glob("*.eml")) if outbox.exists() else set()
        page = client.post(
            "/p/camp-a/donnees",
            data={"email": EMAIL, "kind": kind, "csrf_token": client.cookies.get("circo_csrf")},
        )
        assert page.status_code == 200
        assert "confirmation" in page.text
        (mail,) = set(outbox.glob("*.eml")) - before
        body = message_from_bytes(mail.read_bytes(), policy=default).get_body(("plain",))
        assert body is not None
        link = re.search(r"http://testserver(/p/camp-a/donnees/confirmer/\S+)", body.get_content())
        assert link
        return link.group(1)

    link = ask("access")
    assert client.get(link).status_code == 200
    forged = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
    assert (
        client.post(forged, data={"csrf_token": client.cookies.get("circo_csrf")}).status_code
        == 403
    )
    done = client.post(link, data={"csrf_token": client.cookies.get("circo_csrf")})
    assert done.status_code == 200
    assert EMAIL in done.text
    assert "Martin" in done.text
    again = client.post(link, data={"csrf_token": client.cookies.get("circo_csrf")})
    assert again.status_code == 410
    link = ask("opposition")
    client.post(link, data={"csrf_token": client.cookies.get("circo_csrf")})
    session.expire_all()
    assert not can_contact(session, ctx_of(campaign), contact_id, "email").allowed
    session.rollback()
    link = ask("erasure")
    assert (
        client.post(link, data={"csrf_token": client.cookies.get("circo_csrf")}).status_code == 200
    )
    session.expire_all()
    assert session.get(Contact, contact_id) is None
    session.rollback()
    # unknown addresses get the same answer (no enumeration)
    client.get("/p/camp-a/donnees")
    page = client.post(
        "/p/camp-a/donnees",
        data={
            "email": "inconnu@example.org",
            "kind": "access",
            "csrf_token": client.cookies.get("circo_csrf"),
        },
    )
    assert page.status_code == 200
    assert "confirmation" in page.text
