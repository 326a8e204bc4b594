"""Contacts import: mapping suggestion, CLI import with consent columns, atomicity."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from circo.cli import app
from circo.config import Settings
from circo.core.models import Job
from circo.crm.errors import ImportFileError
from circo.crm.importer.mapping import resolve_mapping, suggest_mapping
from circo.crm.importer.reading import read_bytes
from circo.crm.models import Contact, Interaction
from circo.privacy.consent import can_contact
from circo.privacy.models import ConsentRecord
from tests.crm.helpers import contact_count, ctx_of, table_counts, write_csv
from tests.factories import make_campaign
from tests.server import run_cli

runner = CliRunner()


def test_suggested_mapping_recognises_french_and_english_headers() -> None:
    headers = [
        "Prénom",
        "NOM",
        "E-mail",
        "Tél.",
        "Adresse",
        "Code Postal",
        "Ville",
        "Consentement email : oui/non",
        "Consentement SMS",
        "Last name",
        "Zip",
    ]
    mapping = suggest_mapping(headers)
    assert mapping["Prénom"] == "first_name"
    assert mapping["NOM"] == "last_name"
    assert mapping["E-mail"] == "email"
    assert mapping["Tél."] == "phone"
    assert mapping["Adresse"] == "address_line"
    assert mapping["Code Postal"] == "postal_code"
    assert mapping["Ville"] == "city"
    assert mapping["Consentement email : oui/non"] == "consent_email"
    assert mapping["Consentement SMS"] == "consent_sms"
    assert "Last name" not in mapping  # last_name already taken by NOM
    english = suggest_mapping(
        ["First name", "Surname", "Email address", "Phone number", "Zip code"]
    )
    assert set(english.values()) == {"first_name", "last_name", "email", "phone", "postal_code"}


def test_unmapped_required_column_is_a_clear_error() -> None:
    parsed = read_bytes(b"Prenom;Courriel\nJean;j@example.org\n", filename="f.csv")
    with pytest.raises(ImportFileError) as caught:
        resolve_mapping(parsed.headers, None, filename="f.csv")
    assert "Nom" in caught.value.message
    assert "--mapping" in caught.value.message
    mapping = resolve_mapping(parsed.headers, {"Courriel": "email", "Prenom": "last_name"})
    assert mapping == {"Prenom": "last_name", "Courriel": "email"}


def test_cli_import_creates_contacts_timeline_and_consent(
    session: Session, cli_env: dict[str, str], tmp_path: Path
) -> None:
    campaign = make_campaign(session)
    session.commit()
    csv_file = write_csv(
        tmp_path / "contacts.csv",
        [
            "jean;Dupont;Jean.Dupont@Example.org;06 12 34 56 78;12 bd Voltaire;75011;Paris;oui;"
            "parents, quartier",
            "Marie;Curie;marie@example.org;+33 7 81 22 33 44;3 rue de la Paix;75002;Paris;non;",
            "Paul;Curie;;;3 rue de la Paix;75002;Paris;;",
        ],
    )
    result = runner.invoke(
        app, ["contacts", "import", str(csv_file), "--campaign", "camp-a", "--json"]
    )
    assert result.exit_code == 0, result.output
    session.expire_all()
    contacts = {c.last_name + c.first_name: c for c in session.scalars(select(Contact))}
    jean = contacts["DupontJean"]
    assert jean.email == "jean.dupont@example.org"
    assert jean.phone == "+33612345678"
    assert jean.address_line == "12 boulevard Voltaire"
    assert contacts["CurieMarie"].household_id == contacts["CuriePaul"].household_id is not None
    assert (
        session.scalar(select(Interaction).where(Interaction.contact_id == jean.id)).kind
        == "import"
    )
    consent = session.scalar(select(ConsentRecord).where(ConsentRecord.contact_id == jean.id))
    assert consent.status == "granted"
    assert consent.proof["row"] == 2
    assert consent.proof["sha256"]
    ctx = ctx_of(campaign)
    assert can_contact(session, ctx, jean.id, "email").allowed
    assert not can_contact(session, ctx, contacts["CurieMarie"].id, "email").allowed
    session.rollback()  # SQLite: release the write lock before the CLI's own connection
    again = runner.invoke(app, ["contacts", "import", str(csv_file), "--json"])
    assert again.exit_code == 0, again.output
    assert contact_count(session, campaign.id) == 3  # same emails/phones: updated, not duplicated


def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_cli_import_xlsx_with_explicit_mapping(
    session: Session, cli_env: dict[str, str], tmp_path: Path
) -> None:
    make_campaign(session)
    session.commit()
    path = _xlsx(
        tmp_path / "c.xlsx",
        [
            ["Nom de famille", "Mél", "Portable", "CP"],
            ["Durand", "d@example.org", 612345678, 69003],
        ],
    )
    mapping = '{"Nom de famille": "last_name", "Mél": "email"}'
    result = runner.invoke(app, ["contacts", "import", str(path), "--mapping", mapping])
    assert result.exit_code == 0, result.output
    contact = session.scalar(select(Contact))
    assert (contact.last_name, contact.email, contact.phone, contact.postal_code) == (
        "Durand",
        "d@example.org",
        "+33612345678",
        "69003",
    )


@pytest.mark.parametrize(
    "content",
    [
        b"Prenom;Nom;Email\nJean;Dupont;jean@example.org\nMarie;Curie;pas-un-email\n",
        b'Prenom;Nom;Email\nJean;Dupont;jean@example.org;en;trop;"\n',
        b"PK\x03\x04 not really a workbook",
        b"",
    ],
    ids=["invalid-email", "ragged-row", "corrupt-xlsx", "empty"],
)
def test_malformed_file_changes_nothing(
    session: Session, cli_env: dict[str, str], tmp_path: Path, content: bytes
) -> None:
    make_campaign(session)
    session.commit()
    before = table_counts(session)
    session.rollback()
    path = tmp_path / ("bad.xlsx" if content.startswith(b"PK") else "bad.csv")
    path.write_bytes(content)
    result = runner.invoke(app, ["contacts", "import", str(path)])
    assert result.exit_code == 2, result.output
    assert "Erreur" in result.output
    session.expire_all()
    after = table_counts(session)
    # A file that can be read goes through the import job: its failed job is the only trace.
    failed = session.scalars(select(Job)).all()
    assert [(job.kind, job.status) for job in failed] == [("crm.import", "failed")] * len(failed)
    if failed:
        assert "ligne 3, colonne Email" in str(failed[0].error)
    assert {**after, "jobs": 0} == before


def test_cli_import_accepts_overseas_mobiles_in_national_format(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    make_campaign(session)
    session.commit()
    csv_file = write_csv(
        tmp_path / "outre-mer.csv",
        [
            "Line;Guadeloupe;gp@example.org;0690 12 34 56;;;;oui;",
            "Yann;Guyane;gf@example.org;06 94 20 12 34;;;;oui;",
            "Maëlle;Martinique;mq@example.org;0696.12.34.56;;;;oui;",
            "Réa;Réunion;re@example.org;0692 12 34 56;;;;oui;",
            "Maoulida;Mayotte;yt@example.org;06 39 69 12 34;;;;oui;",
            "Jean;Metropole;fr@example.org;06 12 34 56 78;;;;oui;",
        ],
    )
    result = run_cli(settings, "contacts", "import", str(csv_file), "--json")
    assert result.returncode == 0, result.stderr
    session.expire_all()
    phones = {c.last_name: c.phone for c in session.scalars(select(Contact))}
    assert phones == {
        "Guadeloupe": "+590690123456",
        "Guyane": "+594694201234",
        "Martinique": "+596696123456",
        "Réunion": "+262692123456",
        "Mayotte": "+262639691234",
        "Metropole": "+33612345678",
    }
    session.rollback()


def test_cli_import_names_the_row_and_column_of_a_number_no_french_territory_uses(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    make_campaign(session)
    session.commit()
    csv_file = write_csv(
        tmp_path / "faux.csv",
        ["Line;Guadeloupe;gp@example.org;0690 12 34 56;;;;oui;", "Faux;Numero;;0612;;;;;"],
    )
    result = run_cli(settings, "contacts", "import", str(csv_file))
    assert result.returncode == 2
    assert "ligne 3" in result.stderr
    assert "Téléphone" in result.stderr
    assert "0612" in result.stderr
    assert contact_count(session, 1) == 0  # atomic: nothing imported


def test_reimport_stores_the_new_emails_its_consent_is_about(
    session: Session, cli_env: dict[str, str], tmp_path: Path
) -> None:
    """Same people (name + address), new e-mails with consent: the contacts now carry the new
    addresses, so the new consent is about the address circo would write to."""
    campaign = make_campaign(session)
    session.commit()
    first = write_csv(
        tmp_path / "avant.csv",
        [
            "Léa;Martin;lea.ancien@example.org;;4 rue Garibaldi;69003;Lyon;non;",
            "Hugo;Petit;hugo.ancien@example.org;;6 rue Garibaldi;69003;Lyon;non;",
            "Inès;Roux;ines.ancien@example.org;;8 rue Garibaldi;69003;Lyon;non;",
        ],
    )
    result = runner.invoke(app, ["contacts", "import", str(first), "--campaign", "camp-a"])
    assert result.exit_code == 0, result.output
    second = write_csv(
        tmp_path / "apres.csv",
        [
            "Léa;Martin;lea.nouveau@example.org;;4 rue Garibaldi;69003;Lyon;oui;",
            "Hugo;Petit;hugo.nouveau@example.org;;6 rue Garibaldi;69003;Lyon;oui;",
            "Inès;Roux;ines.nouveau@example.org;;8 rue Garibaldi;69003;Lyon;oui;",
        ],
    )
    again = runner.invoke(
        app, ["contacts", "import", str(second), "--campaign", "camp-a", "--json"]
    )
    assert again.exit_code == 0, again.output
    assert '"updated": 3' in again.output
    session.expire_all()
    emails = sorted(session.scalars(select(Contact.email)))
    assert emails == [
        "hugo.nouveau@example.org",
        "ines.nouveau@example.org",
        "lea.nouveau@example.org",
    ]
    ctx = ctx_of(campaign)
    lea = session.scalar(select(Contact).where(Contact.first_name == "Léa"))
    assert can_contact(session, ctx, lea.id, "email").allowed
    summaries = list(
        session.scalars(select(Interaction.summary).where(Interaction.contact_id == lea.id))
    )
    assert any("lea.ancien@example.org → lea.nouveau@example.org" in s for s in summaries)
    session.rollback()
