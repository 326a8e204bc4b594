"""Writes of the OSDI API on SQLite and PostgreSQL: POST/PUT people with the dedup and
opposition rules, tags, taggings (and their removal), attendances (capacity, RSVP webhook),
submissions; the ``write`` scope; every answer validated against the OSDI 1.1 schemas; a
token of campaign B writes nothing into campaign A."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.tenancy import system_context
from circo.crm.contacts import find_by_identity, tags_of
from circo.crm.models import Event, EventAttendee, Tag
from circo.party.models import WebhookDelivery
from circo.party.osdi.tokens import create_token
from circo.party.tree import find_group
from circo.party.webhooks import add_webhook
from circo.privacy.consent import suppress
from circo.reach.models import FormSubmission
from tests.party.test_osdi import API, plant_b, valid
from tests.party.world import make_movement


def call(
    client: TestClient, method: str, token: str, path: str, body: Any = None, status: int = 200
) -> Any:
    response = client.request(method, API + path, json=body, headers={"OSDI-API-Token": token})
    assert response.status_code == status, response.text
    if status in (200, 201):
        assert response.headers["content-type"].startswith("application/hal+json")
    return response.json() if response.content else None


def ident(document: dict[str, Any]) -> int:
    return int(document["identifiers"][0].removeprefix("circo:").split("-")[0])


def test_osdi_writes_follow_the_rules_and_stay_in_their_campaign(
    session: Session, client: TestClient, settings: Settings
) -> None:
    world = make_movement(session)
    planted = plant_b(session, world)
    ctx_b = system_context(world.b)
    reader, _ = create_token(session, campaign=world.b, name="lecture", scopes=["read"])
    writer, _ = create_token(session, campaign=world.b, name="crm", scopes=["read", "write"])
    writer_a, _ = create_token(session, campaign=world.a, name="a", scopes=["read", "write"])
    suppress(session, ctx_b, kind="email", value="oppose@example.org", reason="opposition")
    add_webhook(
        session,
        settings,
        group=find_group(session, "g-camp-b"),
        url="https://recepteur.example.org/circo",
        events=["event.rsvp"],
    )
    event = session.get(Event, planted["event"])
    assert event is not None
    event.capacity = 2  # one "yes" already
    session.commit()

    # People: POST creates then matches (dedup by email), read scope refused.
    new = {
        "given_name": "Noé",
        "family_name": "Api",
        "email_addresses": [{"address": "Noe.Api@example.org", "status": "subscribed"}],
        "add_tags": ["partenaire"],
    }
    assert call(client, "POST", reader, "/people", new, status=403)["loc"] == "jeton"
    person = call(client, "POST", writer, "/people", new, status=201)
    valid("person", person)
    noe = ident(person)
    again = call(
        client, "POST", writer, "/people", {"email_addresses": [{"address": "noe.api@example.org"}]}
    )
    assert ident(again) == noe
    assert (
        call(
            client,
            "POST",
            writer,
            "/people",
            {"family_name": "Oppose", "email_addresses": [{"address": "oppose@example.org"}]},
            status=409,
        )["loc"]
        == "email_addresses"
    )

    # PUT: the fields given change; another person's email is refused (merge in circo).
    updated = call(
        client,
        "PUT",
        writer,
        f"/people/{noe}",
        {"family_name": "Api-Modifié", "phone_numbers": [{"number": "06 12 34 56 78"}]},
    )
    valid("person", updated)
    assert updated["family_name"] == "Api-Modifié"
    assert updated["phone_numbers"][0]["number"] == "+33612345678"
    taken = call(
        client,
        "PUT",
        writer,
        f"/people/{noe}",
        {"email_addresses": [{"address": "zorg@example.org"}]},
        status=409,
    )
    assert f"circo:{world.secret_id}" in taken["message"]
    assert call(client, "PUT", writer_a, f"/people/{noe}", {"family_name": "X"}, status=404)
    assert call(client, "PUT", reader, f"/people/{noe}", {"family_name": "X"}, status=403)

    # Tags and taggings.
    tag = call(client, "POST", writer, "/tags", {"name": "bénévole site"}, status=201)
    valid("tag", tag)
    assert ident(call(client, "POST", writer, "/tags", {"name": "bénévole site"})) == ident(tag)
    link = {"_links": {"osdi:person": {"href": f"http://testserver{API}/people/{noe}"}}}
    tagging = call(client, "POST", writer, f"/tags/{ident(tag)}/taggings", link, status=201)
    valid("tagging", tagging)
    call(client, "POST", writer, f"/tags/{ident(tag)}/taggings", link)  # again: 200
    session.expire_all()
    assert "bénévole site" in tags_of(session, ctx_b, contact_ids=[noe])[noe]
    session.commit()
    assert (
        call(client, "POST", writer, f"/tags/{ident(tag)}/taggings", {}, status=422)["loc"]
        == "osdi:person"
    )
    call(client, "POST", writer_a, f"/tags/{ident(tag)}/taggings", link, status=404)
    call(client, "DELETE", writer, f"/tags/{ident(tag)}/taggings/{noe}", status=204)
    call(client, "DELETE", writer, f"/tags/{ident(tag)}/taggings/{noe}", status=404)

    # Attendances: one place left, an inline person is matched (no duplicate), RSVP webhook.
    attendances = f"/events/{planted['event']}/attendances"
    first = call(client, "POST", writer, attendances, {**link, "status": "accepted"}, status=201)
    valid("attendance", first)
    assert (first["status"], first["attended"]) == ("accepted", False)
    inline = {
        "person": {"email_addresses": [{"address": "part@example.org"}]},
        "status": "accepted",
    }
    full = call(client, "POST", writer, attendances, inline, status=409)
    assert full["message"].startswith("complet")
    tentative = call(
        client, "POST", writer, attendances, {**inline, "status": "tentative"}, status=201
    )
    assert ident(tentative) != ident(first)
    checked = call(
        client,
        "PUT",
        writer,
        f"{attendances}/{ident(first)}",
        {"attended": True},
    )
    valid("attendance", checked)
    assert checked["attended"] is True
    call(client, "POST", writer_a, attendances, link, status=404)

    # Submissions: recorded confirmed, readable back.
    forms = call(client, "GET", writer, "/forms")
    form_id = ident(forms["_embedded"]["osdi:forms"][0])
    submission = call(client, "POST", writer, f"/forms/{form_id}/submissions", link, status=201)
    valid("submission", submission)
    listed = call(client, "GET", writer, f"/people/{noe}/submissions")
    assert [ident(item) for item in listed["_embedded"]["osdi:submissions"]] == [ident(submission)]

    session.expire_all()
    assert len(find_by_identity(session, ctx_b, email="part@example.org")) == 1
    assert find_by_identity(session, system_context(world.a), email="noe.api@example.org") == []
    assert session.scalar(select(Tag.id).where(Tag.campaign_id == world.a.id)) is None
    rsvps = session.scalars(select(WebhookDelivery.contact_id)).all()
    assert sorted(rsvps) == sorted([noe, world.shared_id])  # accepted and tentative
    attendee = session.get(EventAttendee, ident(first))
    assert attendee is not None
    assert attendee.checked_in_at is not None
    stored = session.get(FormSubmission, ident(submission))
    assert stored is not None
    assert stored.confirmed_at is not None
    assert stored.origin.startswith("API OSDI")


def test_an_opposition_anywhere_in_the_tree_stops_every_osdi_write(
    session: Session, client: TestClient
) -> None:
    """The person of camp-b objects to everything: camp-a (a sibling) and camp-c (a cousin)
    then refuse that email on every OSDI write path, created, changed or given inline."""
    from circo.privacy.consent import record_opposition

    world = make_movement(session)
    plant_b(session, world)
    record_opposition(
        session, system_context(world.b), contact_id=world.secret_id, channel="all", source="STOP"
    )
    token_a, _ = create_token(session, campaign=world.a, name="a", scopes=["read", "write"])
    token_c, _ = create_token(session, campaign=world.c, name="c", scopes=["read", "write"])
    session.commit()
    zorg = {"email_addresses": [{"address": "zorg@example.org", "status": "subscribed"}]}
    for token in (token_a, token_c):
        assert call(client, "POST", token, "/people", zorg, status=409)["loc"] == "email_addresses"
        helper = {"person": {"family_name": "Zorg", **zorg}}
        call(client, "POST", token, "/people/person_signup_helper", helper, status=409)
        someone = call(client, "POST", token, "/people", {"family_name": "Autre"}, status=201)
        call(client, "PUT", token, f"/people/{ident(someone)}", zorg, status=409)
        tag = call(client, "POST", token, "/tags", {"name": "t"}, status=201)
        call(client, "POST", token, f"/tags/{ident(tag)}/taggings", {"person": zorg}, status=409)
    session.expire_all()
    for campaign in (world.a, world.c):
        assert find_by_identity(session, system_context(campaign), email="zorg@example.org") == []
