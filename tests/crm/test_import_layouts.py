"""Imports of the exports other tools leave behind (NationBuilder, Action Network, Qomon,
Action Populaire-style), from fixture files written to their column layouts
(`tests/crm/exports/`, see `docs/imports.md`): recognition, translation, the dry run's plan,
the import through `circo contacts import --from` (a subprocess, both backends) and through
the web wizard, with tags, consents (proof carried, marked imported) and custom fields."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core import jobs
from circo.crm.errors import ImportFileError
from circo.crm.importer import layouts
from circo.crm.importer.reading import read_bytes, read_file
from circo.crm.models import Contact, CustomField
from circo.privacy.models import ConsentRecord
from circo.runtime import Runtime
from circo.web.app import create_app
from tests.factories import login, make_two_campaigns
from tests.server import init_campaign, run_cli

EXPORTS = Path(__file__).parent / "exports"
FILES = {
    "nationbuilder": "nationbuilder-people.csv",
    "actionnetwork": "actionnetwork-activists.csv",
    "qomon": "qomon-contacts.csv",
    "actionpopulaire": "actionpopulaire-groupe.csv",
}


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime.settings, runtime=runtime)) as test_client:
        yield test_client


@pytest.mark.parametrize("key", sorted(FILES))
def test_each_export_is_recognised_by_its_columns(key: str) -> None:
    parsed = read_file(EXPORTS / FILES[key])
    layout = layouts.detect(parsed.headers)
    assert layout is not None
    assert layout.key == key
    assert layouts.detect(["Prénom", "Nom", "Email"]) is None  # circo's own file


def test_nationbuilder_translation_tags_consents_years_and_custom_fields() -> None:
    parsed = read_file(EXPORTS / FILES["nationbuilder"])
    translation = layouts.translate(parsed, layouts.LAYOUTS["nationbuilder"])
    rows = [
        dict(zip(translation.parsed.headers, row, strict=True)) for row in translation.parsed.rows
    ]
    camille, louis, ines = rows
    assert camille["Téléphone"] == "06 12 34 56 78"  # the mobile before the landline
    assert camille["Étiquettes"] == "porte-à-porte, adhérent"
    assert camille["Consentement email"] == "oui"
    assert camille["Consentement SMS"] == "oui"
    assert camille["Consentement téléphone"] == ""  # do_not_call=false says nothing
    assert camille["Année de naissance"] == "1984"
    assert louis["Année de naissance"] == "1971"  # 04/23/1971
    assert louis["Consentement email"] == "non"
    assert louis["Consentement téléphone"] == "non"  # do_not_call=true: refused
    assert ines["Étiquettes"] == "sympathisant, tractage"
    assert camille["support_level (NationBuilder)"] == "1"
    assert translation.custom_fields["nationbuilder_support_level"] == (
        "support_level (NationBuilder)"
    )
    assert translation.mapping["support_level (NationBuilder)"] == (
        "custom:nationbuilder_support_level"
    )
    assert translation.provenance["consent_columns"] == {
        "email_opt_in": "consent_email",
        "mobile_opt_in": "consent_sms",
        "do_not_call": "consent_phone",
    }
    assert translation.provenance["original_sha256"] == parsed.sha256


def test_refusals_name_the_line_and_the_column() -> None:
    bad = read_bytes(
        b"nationbuilder_id,first_name,last_name,email,email_opt_in\n1,A,B,a@example.org,peut-etre\n",
        filename="nb.csv",
    )
    with pytest.raises(
        ImportFileError, match="ligne 2, colonne email_opt_in : valeur « peut-etre »"
    ):
        layouts.translate(bad, layouts.LAYOUTS["nationbuilder"])
    circo_file = read_bytes(b"Nom,Email\nDupont,d@example.org\n", filename="c.csv")
    with pytest.raises(ImportFileError, match="n'a pas les colonnes d'un export Qomon"):
        layouts.translate(circo_file, layouts.LAYOUTS["qomon"])
    with pytest.raises(ImportFileError, match="format inconnu « hubspot »"):
        layouts.layout_named("hubspot")


def _cli_json(settings: Settings, *args: str) -> Any:
    done = run_cli(settings, "contacts", "import", *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.timeout(600)
def test_imports_from_the_command_line(settings: Settings) -> None:
    init_campaign(settings, "imports")
    nb = str(EXPORTS / FILES["nationbuilder"])
    plan = _cli_json(settings, nb, "--from", "nationbuilder", "--dry-run")
    assert (plan["rows"], plan["valid_rows"], plan["problems"]) == (3, 3, [])
    assert set(plan["layout"]) == {
        "layout",
        "layout_name",
        "mapping",
        "custom_fields",
        "consent_columns",
        "tag_columns",
    }
    assert plan["layout"]["mapping"]["primary_zip"] == "postal_code"
    assert plan["layout"]["tag_columns"] == ["tag_list"]
    for key, name in FILES.items():
        result = _cli_json(settings, str(EXPORTS / name), "--from", key)
        assert (result["created"], result["problem_count"]) == (3, 0), (key, result)
    wrong = run_cli(settings, "contacts", "import", nb, "--from", "qomon", "--json")
    assert wrong.returncode == 2
    assert "n'a pas les colonnes d'un export Qomon" in wrong.stderr
    engine = create_engine(settings.effective_database_url)
    try:
        with engine.connect() as connection:
            contacts = connection.execute(text("SELECT count(*) FROM crm_contacts")).scalar()
            assert contacts == 12
            tags = set(connection.execute(text("SELECT name FROM crm_tags")).scalars())
            assert {"adhérent", "pétition transports", "quartier nord", "Animateur"} <= tags
            keys = set(connection.execute(text("SELECT key FROM crm_custom_fields")).scalars())
            assert {"nationbuilder_support_level", "actionnetwork_quartier"} <= keys
            rows = connection.execute(
                text(
                    "SELECT c.email, p.channel, p.status, p.source, p.proof "
                    "FROM privacy_consents p JOIN crm_contacts c ON c.id = p.contact_id"
                )
            ).all()
            custom = connection.execute(
                text("SELECT custom FROM crm_contacts WHERE email = 'hugo.lefevre@example.org'")
            ).scalar()
    finally:
        engine.dispose()
    consents = {
        (email, channel): (status, source, proof) for email, channel, status, source, proof in rows
    }
    status, source, proof = consents[("louis.martin@example.org", "phone")]
    proof = proof if isinstance(proof, dict) else json.loads(proof)
    assert status == "refused"
    assert source == "import nationbuilder : nationbuilder-people.csv"
    assert proof["imported"] is True
    assert proof["original_columns"] == ["do_not_call"]
    assert proof["original_file"] == "nationbuilder-people.csv"
    assert proof["row"] == 3
    assert consents[("lea.garnier@example.org", "email")][0] == "refused"  # unsubscribed
    assert consents[("arthur.roux@example.org", "phone")][0] == "refused"  # Call unsubscribe
    assert consents[("sami.ouali@example.org", "sms")][0] == "granted"
    custom = custom if isinstance(custom, dict) else json.loads(custom)
    assert custom["actionnetwork_quartier"] == "Wazemmes"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_wizard_recognises_the_layout(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    make_two_campaigns(session)
    csrf = login(client, "admin-a@example.org")
    content = (EXPORTS / FILES["qomon"]).read_bytes()
    uploaded = client.post(
        "/c/camp-a/contacts/import",
        data={"csrf_token": csrf},
        files={"file": ("qomon-contacts.csv", content, "text/csv")},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303
    mapping_url = uploaded.headers["location"]
    page = client.get(mapping_url)
    assert "Format reconnu : Qomon (export des contacts)" in page.text
    assert 'value="consent_email" selected' in page.text
    selects = re.findall(r'<select id="map_(\d+)".*?</select>', page.text, re.S)
    chosen = re.findall(
        r'<select id="map_(\d+)"(?:(?!</select>).)*?value="([^"]*)" selected', page.text, re.S
    )
    assert len(selects) == len(chosen)  # every translated column is recognised
    form = {"csrf_token": csrf, **{f"map_{index}": value for index, value in chosen}}
    preview = client.post(mapping_url + "/preview", data=form)
    assert preview.status_code == 200
    mapping_json = re.search(r'name="mapping_json" value="([^"]*)"', preview.text)
    assert mapping_json
    mapping = json.loads(html.unescape(mapping_json.group(1)))
    assert mapping["Porte-à-porte résultat (Qomon)"] == "custom:qomon_porte_a_porte_resultat"
    session.commit()
    queued = client.post(
        mapping_url + "/commit",
        data={"csrf_token": csrf, "mapping_json": html.unescape(mapping_json.group(1))},
        follow_redirects=False,
    )
    assert queued.status_code == 303
    assert jobs.run_pending(runtime.factory, runtime.settings) == 1
    zoe = session.scalar(select(Contact).where(Contact.email == "zoe.moreau@example.org"))
    assert zoe is not None
    assert zoe.birth_year == 1990
    assert zoe.custom["qomon_porte_a_porte_resultat"] == "favorable"
    proofs = [
        record.proof
        for record in session.scalars(
            select(ConsentRecord).where(ConsentRecord.contact_id == zoe.id)
        )
    ]
    assert {p["imported_from"] for p in proofs} == {"qomon"}
    assert all(p["imported"] and p["original_file"] == "qomon-contacts.csv" for p in proofs)
    assert session.scalar(select(CustomField).where(CustomField.key == "qomon_birthdate")) is None
