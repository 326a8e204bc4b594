"""The OSDI API (`circo.party.osdi`) on SQLite and PostgreSQL: every response validated against
the OSDI 1.1 schemas of `tests/party/osdi/` (see its PROVENANCE.md), pagination, the person
signup helper and its consent rules, token scopes, and tenancy (a token of campaign A reads
nothing of campaign B)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.tenancy import system_context
from circo.crm.contacts import add_tags, find_by_identity, tags_of
from circo.crm.models import Event, EventAttendee
from circo.db import utcnow
from circo.errors import NotFound
from circo.finance.models import Donation, DonorKind, PaymentMethod
from circo.party.models import ApiToken, WebhookDelivery
from circo.party.osdi.tokens import create_token, revoke_token
from circo.party.tree import find_group
from circo.party.webhooks import add_webhook
from circo.privacy.consent import latest_consents, suppress
from circo.privacy.models import ConsentRecord
from circo.reach.models import FormKind, FormSubmission, PublicForm
from tests.party.world import SECRET_NAME, Movement, make_movement

SCHEMA = json.loads((Path(__file__).parent / "osdi" / "osdi-1.1.schema.json").read_text())
API = "/api/osdi/v1"
EMBEDDED = {
    "osdi:people": "person",
    "osdi:tags": "tag",
    "osdi:taggings": "tagging",
    "osdi:events": "event",
    "osdi:attendances": "attendance",
    "osdi:donations": "donation",
    "osdi:forms": "form",
    "osdi:submissions": "submission",
}


def valid(kind: str, body: Any) -> None:
    """Fails with the schema's message when ``body`` is not an OSDI ``kind``."""
    validator = jsonschema_rs.Draft7Validator({**SCHEMA, "$ref": f"#/definitions/{kind}"})
    errors = [f"{error.instance_path}: {error.message}" for error in validator.iter_errors(body)]
    assert errors == [], (kind, errors)


def get(client: TestClient, token: str, path: str, status: int = 200) -> Any:
    response = client.get(
        path if path.startswith(("http", API)) else API + path, headers={"OSDI-API-Token": token}
    )
    assert response.status_code == status, response.text
    if status == 200:
        assert response.headers["content-type"].startswith("application/hal+json")
    return response.json()


def read_collection(client: TestClient, token: str, path: str, rel: str) -> list[dict[str, Any]]:
    """Every item of a collection, following ``next`` one item per page."""
    items: list[dict[str, Any]] = []
    url: str | None = f"{API}{path}?per_page=1"
    while url is not None:
        page = get(client, token, url)
        valid("collection", page)
        for item in page["_embedded"][rel]:
            valid(EMBEDDED[rel], item)
        items += page["_embedded"][rel]
        assert page["total_pages"] == max(1, page["total_records"])
        url = page["_links"].get("next", {}).get("href")
    assert len(items) == page["total_records"]
    return items


def plant_b(session: Session, world: Movement) -> dict[str, int]:
    """A tag, an event with an RSVP, a donation and a confirmed form submission in camp-b."""
    ctx = system_context(world.b)
    add_tags(session, ctx, contact_ids=[world.secret_id, world.shared_id], names=["militant"])
    event = Event(
        campaign_id=world.b.id,
        title="Réunion publique",
        starts_at=utcnow() + timedelta(days=3),
        place="Salle des fêtes",
        capacity=80,
    )
    session.add(event)
    session.flush()
    session.add(
        EventAttendee(
            campaign_id=world.b.id,
            event_id=event.id,
            contact_id=world.secret_id,
            status="yes",
            responded_at=utcnow(),
        )
    )
    donation = Donation(
        campaign_id=world.b.id,
        election_key="legislatives-2027",
        contact_id=world.shared_id,
        donor_kind=DonorKind.person,
        donor_key="accord partageonsdonc",
        first_name="Accord",
        last_name="Partageonsdonc",
        amount_cents=5000,
        method=PaymentMethod.cheque,
        received_on=date(2026, 11, 2),
    )
    form = PublicForm(
        campaign_id=world.b.id,
        public_id="osdi-form-b",
        kind=FormKind.signup,
        name="Rejoindre",
        wording="J'accepte de recevoir les nouvelles.",
    )
    session.add_all([donation, form])
    session.flush()
    session.add_all(
        [
            FormSubmission(
                campaign_id=world.b.id,
                form_id=form.id,
                email="part@example.org",
                token_hash="a" * 64,
                confirmed_at=utcnow(),
                contact_id=world.shared_id,
            ),
            FormSubmission(  # pending: nobody confirmed the address, not exposed
                campaign_id=world.b.id,
                form_id=form.id,
                email="pending@example.org",
                token_hash="b" * 64,
            ),
        ]
    )
    session.flush()
    return {"event": event.id, "donation": donation.id, "form": form.id}


def test_osdi_resources_validate_paginate_and_stay_in_their_campaign(
    session: Session, client: TestClient
) -> None:
    world = make_movement(session)
    planted = plant_b(session, world)
    token_b, _ = create_token(session, campaign=world.b, name="site b", scopes=["read"])
    token_a, _ = create_token(session, campaign=world.a, name="site a", scopes=["read", "write"])
    session.commit()

    entry = get(client, token_b, "/")
    valid("aep", entry)
    assert entry["_links"]["osdi:people"]["href"].endswith("/api/osdi/v1/people")

    people = read_collection(client, token_b, "/people", "osdi:people")
    assert {p["identifiers"][0] for p in people} == {
        f"circo:{world.secret_id}",
        f"circo:{world.shared_id}",
    }
    secret = next(p for p in people if p["family_name"] == SECRET_NAME)
    assert secret["email_addresses"] == [{"address": "zorg@example.org", "primary": True}]
    assert get(client, token_b, f"/people/{world.secret_id}") == secret

    tags = read_collection(client, token_b, "/tags", "osdi:tags")
    assert [t["name"] for t in tags] == ["militant"]
    taggings = read_collection(
        client, token_b, tags[0]["_links"]["osdi:taggings"]["href"].split(API)[1], "osdi:taggings"
    )
    assert sorted(t["_links"]["osdi:person"]["href"].rsplit("/", 1)[1] for t in taggings) == sorted(
        [str(world.secret_id), str(world.shared_id)]
    )
    valid(
        "tagging",
        get(client, token_b, f"/tags/{tags[0]['identifiers'][0][6:]}/taggings/{world.secret_id}"),
    )

    events = read_collection(client, token_b, "/events", "osdi:events")
    assert [(e["title"], e["total_accepted"], e["capacity"]) for e in events] == [
        ("Réunion publique", 1, 80)
    ]
    attendances = read_collection(
        client, token_b, f"/events/{planted['event']}/attendances", "osdi:attendances"
    )
    assert [(a["status"], a["attended"]) for a in attendances] == [("accepted", False)]
    assert (
        read_collection(
            client, token_b, f"/people/{world.secret_id}/attendances", "osdi:attendances"
        )
        == attendances
    )

    donations = read_collection(client, token_b, "/donations", "osdi:donations")
    assert [(d["amount"], d["currency"], d["voided"]) for d in donations] == [(50.0, "EUR", False)]
    assert donations[0]["_links"]["osdi:donor"]["href"].endswith(f"/people/{world.shared_id}")
    valid("donation", get(client, token_b, f"/donations/{planted['donation']}"))

    forms = read_collection(client, token_b, "/forms", "osdi:forms")
    assert [(f["name"], f["total_submissions"]) for f in forms] == [("Rejoindre", 1)]
    submissions = read_collection(
        client, token_b, f"/forms/{planted['form']}/submissions", "osdi:submissions"
    )
    assert len(submissions) == 1  # the pending one is not exposed
    assert submissions == read_collection(
        client, token_b, f"/people/{world.shared_id}/submissions", "osdi:submissions"
    )

    # Tenancy: campaign a's token reads nothing of campaign b.
    assert read_collection(client, token_a, "/people", "osdi:people") == []
    for rel, path in (
        ("osdi:tags", "/tags"),
        ("osdi:events", "/events"),
        ("osdi:donations", "/donations"),
        ("osdi:forms", "/forms"),
    ):
        assert read_collection(client, token_a, path, rel) == []
    for path in (
        f"/people/{world.secret_id}",
        f"/people/{world.secret_id}/taggings",
        f"/events/{planted['event']}",
        f"/events/{planted['event']}/attendances",
        f"/donations/{planted['donation']}",
        f"/forms/{planted['form']}/submissions",
    ):
        assert get(client, token_a, path, status=404)["error"] == "NotFound"
    body = client.get(f"{API}/people", headers={"OSDI-API-Token": token_a}).text
    assert SECRET_NAME not in body
    assert "zorg@example.org" not in body

    # No token, a wrong one, a revoked one: 401.
    assert client.get(f"{API}/people").status_code == 401
    assert get(client, "osdi_nope", "/people", status=401)["loc"] == "OSDI-API-Token"
    row = session.scalar(select(ApiToken).where(ApiToken.name == "site b"))
    assert row is not None
    with pytest.raises(NotFound):  # campaign a cannot revoke campaign b's token
        revoke_token(session, campaign=world.a, token_id=row.id)
    assert revoke_token(session, campaign=world.b, token_id=row.id).revoked_at is not None
    session.commit()
    assert get(client, token_b, "/people", status=401)["message"].startswith("jeton OSDI")


def test_person_signup_helper_matches_records_consent_and_respects_oppositions(
    session: Session, client: TestClient, settings: Settings
) -> None:
    world = make_movement(session)
    ctx_b = system_context(world.b)
    reader, _ = create_token(session, campaign=world.b, name="lecture", scopes=["read"])
    writer, _ = create_token(session, campaign=world.b, name="site", scopes=["write", "read"])
    suppress(session, ctx_b, kind="email", value="oppose@example.org", reason="opposition")
    add_webhook(
        session,
        settings,
        group=find_group(session, "g-camp-b"),
        url="https://recepteur.example.org/circo",
        events=["contact.created"],
    )
    session.commit()
    helper = f"{API}/people/person_signup_helper"
    signup = {
        "person": {
            "given_name": "Léa",
            "family_name": "Signup",
            "email_addresses": [{"address": "Lea.Signup@Example.org", "status": "subscribed"}],
            "postal_addresses": [{"postal_code": "75015", "locality": "Paris"}],
        },
        "add_tags": ["site web"],
    }

    refused = client.post(helper, json=signup, headers={"OSDI-API-Token": reader})
    assert refused.status_code == 403
    assert refused.json()["message"].startswith("ce jeton n'a pas la portée « write »")

    created = client.post(helper, json=signup, headers={"OSDI-API-Token": writer})
    assert created.status_code == 201, created.text
    assert created.headers["content-type"].startswith("application/hal+json")
    person = created.json()
    valid("person", person)
    assert person["email_addresses"] == [
        {"address": "lea.signup@example.org", "primary": True, "status": "subscribed"}
    ]
    contact_id = int(person["identifiers"][0].removeprefix("circo:"))
    consent = latest_consents(session, ctx_b, contact_ids=[contact_id])[(contact_id, "email")]
    assert (consent.status, consent.proof["via"], consent.proof["token_name"]) == (
        "granted",
        "osdi person_signup_helper",
        "site",
    )
    session.commit()  # end the test's read: the app writes next (one SQLite writer)

    again = dict(signup, add_tags=["adhérent"])
    again["person"] = {
        **signup["person"],
        "email_addresses": [{"address": "lea.signup@example.org"}],
    }
    matched = client.post(helper, json=again, headers={"OSDI-API-Token": writer})
    assert matched.status_code == 200, matched.text
    assert matched.json()["identifiers"] == person["identifiers"]
    session.expire_all()
    assert tags_of(session, ctx_b, contact_ids=[contact_id])[contact_id] == ["adhérent", "site web"]
    assert len(find_by_identity(session, ctx_b, email="lea.signup@example.org")) == 1
    # The node's receiver was told once, about the created contact (not about the match).
    deliveries = session.execute(select(WebhookDelivery.event, WebhookDelivery.contact_id)).all()
    assert [(str(event), contact) for event, contact in deliveries] == [
        ("contact.created", contact_id)
    ]
    session.commit()

    unsubscribe = {
        "person": {
            "email_addresses": [{"address": "lea.signup@example.org", "status": "unsubscribed"}]
        }
    }
    assert (
        client.post(helper, json=unsubscribe, headers={"OSDI-API-Token": writer}).json()[
            "email_addresses"
        ][0]["status"]
        == "unsubscribed"
    )

    opposed = {
        "person": {"family_name": "Oppose", "email_addresses": [{"address": "oppose@example.org"}]}
    }
    answer = client.post(helper, json=opposed, headers={"OSDI-API-Token": writer})
    assert answer.status_code == 409
    assert answer.json()["loc"] == "email_addresses"
    session.expire_all()
    assert find_by_identity(session, ctx_b, email="oppose@example.org") == []
    session.commit()

    empty = client.post(helper, json={"person": {}}, headers={"OSDI-API-Token": writer})
    assert empty.status_code == 422
    # The writer of campaign b created nothing in campaign a.
    ctx_a = system_context(world.a)
    assert find_by_identity(session, ctx_a, email="lea.signup@example.org") == []
    assert (
        session.scalar(select(ConsentRecord.id).where(ConsentRecord.campaign_id == world.a.id))
        is None
    )


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_token_scopes_are_checked(session: Session) -> None:
    world = make_movement(session)
    _, row = create_token(session, campaign=world.a, name=" x ", scopes=["write", "read", "read"])
    assert (row.name, row.scopes, row.prefix.startswith("osdi_")) == ("x", ["read", "write"], True)
    with pytest.raises(Exception, match="portée inconnue « admin »"):
        create_token(session, campaign=world.a, name="y", scopes=["admin"])
