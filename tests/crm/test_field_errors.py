"""A bad contact field is a typed error (field, reason) — in services, the import report and the
API — never a "field: reason" string parsed back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from circo.crm.contacts import normalise_fields, update_contact
from circo.crm.errors import ContactFieldError, CrmError
from circo.crm.importer.mapping import resolve_mapping
from circo.crm.importer.reading import read_bytes
from circo.crm.importer.validation import plan_import
from circo.crm.schemas import ContactUpdate
from circo.errors import FieldValueError
from circo.runtime import Runtime
from circo.web.app import create_app
from tests.crm.helpers import ctx_of, make_contact
from tests.factories import login, make_campaign, make_two_campaigns


def test_field_error_carries_field_and_reason() -> None:
    error = FieldValueError("postal_code", "code postal invalide « 6900 » (attendu 5 chiffres)")
    assert (error.field, error.reason) == ("postal_code", error.message)
    assert error.loc == "postal_code"
    assert error.status == 400
    assert error.to_dict() == {
        "error": "FieldValueError",
        "message": "code postal invalide « 6900 » (attendu 5 chiffres)",
        "loc": "postal_code",
    }


def test_normalise_fields_names_the_field_without_prefixing_the_reason() -> None:
    with pytest.raises(ContactFieldError) as caught:
        normalise_fields({"email": "marie-at-exemple.fr"})
    assert caught.value.field == "email"
    assert caught.value.reason.startswith("adresse e-mail invalide « marie-at-exemple.fr »")
    assert "email:" not in caught.value.reason
    with pytest.raises(ContactFieldError) as unknown:
        normalise_fields({"relationship_kind": "cousin"})
    assert unknown.value.field == "relationship_kind"
    assert unknown.value.reason.startswith("« cousin » inconnu")


def test_services_raise_a_crm_error_that_is_a_field_error(session: Session) -> None:
    ctx = ctx_of(make_campaign(session))
    with pytest.raises(ContactFieldError) as created:
        make_contact(session, ctx, email="pas-une-adresse")
    assert isinstance(created.value, CrmError)
    assert created.value.loc == "email"
    contact = make_contact(session, ctx)
    with pytest.raises(ContactFieldError) as updated:
        update_contact(session, ctx, contact_id=contact.id, data=ContactUpdate(postal_code="690"))
    assert updated.value.field == "postal_code"
    assert "« 690 »" in updated.value.reason


def test_import_report_names_the_file_column_of_the_bad_field() -> None:
    parsed = read_bytes(
        b"Nom;Courriel;CP\nMartin;marie@exemple.fr;69003\nDurand;durand-at-exemple;69003\n"
        b"Petit;p@exemple.fr;690\n",
        filename="contacts.csv",
    )
    mapping = resolve_mapping(
        parsed.headers, {"Nom": "last_name", "Courriel": "email", "CP": "postal_code"}
    )
    problems = [problem.as_dict() for problem in plan_import(parsed, mapping).problems]
    assert [(p["row"], p["column"]) for p in problems] == [(3, "Courriel"), (4, "CP")]
    assert str(problems[0]["reason"]).startswith("adresse e-mail invalide « durand-at-exemple »")
    assert str(problems[1]["reason"]).startswith("code postal invalide « 690 »")


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime.settings, runtime=runtime)) as test_client:
        yield test_client


def test_api_answers_with_the_field_as_loc(session: Session, client: TestClient) -> None:
    make_two_campaigns(session)
    session.commit()
    csrf = login(client, "admin-a@example.org")
    response = client.post(
        "/api/campaigns/camp-a/contacts",
        json={"first_name": "Marie", "last_name": "Martin", "email": "marie-at-exemple"},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 400
    body = response.json()
    assert (body["error"], body["loc"]) == ("ContactFieldError", "email")
    assert body["message"].startswith("adresse e-mail invalide « marie-at-exemple »")
