"""Field JSON API: sync idempotency, volunteer scope, campaign isolation, the consent rule."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.core.tenancy import system_context
from circo.field.dashboard import observed_support
from circo.field.models import AnswerTally, BureauNote, Recontact, TurfStop, Visit
from tests.factories import login
from tests.field.conftest import FieldWorld

SYNC_A = "/api/campaigns/camp-a/field/visits/sync"


def _visit(turf_id: int, stop_id: int | None = None, **values: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "key": str(uuid.uuid4()),
        "turf_id": turf_id,
        "stop_id": stop_id,
        "outcome": "not_home",
        "visited_at": "2025-05-01T10:00:00+02:00",
    }
    body.update(values)
    return body


def _volunteer(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": login(client, "volunteer-a@example.org")}


def _count(session: Session, campaign_id: int) -> int:
    """Visits stored for the campaign; ends the read transaction (SQLite has one writer)."""
    session.expire_all()
    count = session.scalar(
        select(func.count()).select_from(Visit).where(Visit.campaign_id == campaign_id)
    )
    session.rollback()
    return int(count or 0)


def test_sync_is_idempotent(client: TestClient, session: Session, field_world: FieldWorld) -> None:
    headers = _volunteer(client)
    turf = field_world.assigned
    stop = client.get(f"/api/campaigns/camp-a/field/turfs/{turf.id}").json()["stops"][0]
    visit = _visit(turf.id, stop["id"], outcome="talked", answers={"support": "soutien"})
    first = client.post(SYNC_A, json={"visits": [visit, visit]}, headers=headers)
    assert first.status_code == 200, first.text
    assert [r["status"] for r in first.json()["results"]] == ["duplicate", "created"] or [
        r["status"] for r in first.json()["results"]
    ] == ["created", "duplicate"]
    again = client.post(SYNC_A, json={"visits": [visit]}, headers=headers)
    assert again.json()["results"][0]["status"] == "duplicate"
    assert _count(session, field_world.campaigns.a.id) == 1
    tally = session.scalar(select(AnswerTally.count).where(AnswerTally.question == "support"))
    assert tally == 1  # the retry did not count the answer twice
    session.rollback()
    walk = client.get(f"/api/campaigns/camp-a/field/turfs/{turf.id}").json()
    assert walk["stops"][0]["visits"] == 1


def test_sync_needs_the_csrf_header_with_a_cookie(
    client: TestClient, field_world: FieldWorld
) -> None:
    _volunteer(client)
    response = client.post(SYNC_A, json={"visits": [_visit(field_world.assigned.id)]})
    assert response.status_code == 403


def test_sync_with_an_api_token(
    client: TestClient, session: Session, field_world: FieldWorld
) -> None:
    from circo.core.service import create_api_token

    token, _ = create_api_token(session, user=field_world.campaigns.volunteer_a, name="phone")
    session.commit()
    response = client.post(
        SYNC_A,
        json={"visits": [_visit(field_world.assigned.id)]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.json()["created"] == 1


def test_volunteer_sees_only_assigned_turfs(
    client: TestClient, session: Session, field_world: FieldWorld
) -> None:
    headers = _volunteer(client)
    listed = client.get("/api/campaigns/camp-a/field/turfs").json()
    assert [t["id"] for t in listed] == [field_world.assigned.id]
    hidden = client.get(f"/api/campaigns/camp-a/field/turfs/{field_world.unassigned.id}")
    assert hidden.status_code == 404
    pdf = client.get(f"/c/camp-a/field/turfs/{field_world.unassigned.id}/walklist.pdf")
    assert pdf.status_code == 404
    result = client.post(
        SYNC_A, json={"visits": [_visit(field_world.unassigned.id)]}, headers=headers
    ).json()
    assert result["results"][0]["status"] == "rejected"
    assert _count(session, field_world.campaigns.a.id) == 0
    assert client.get("/api/campaigns/camp-a/field/dashboard").status_code == 403
    me = client.get("/api/campaigns/camp-a/field/me").json()
    assert [t["id"] for t in me["turfs"]] == [field_world.assigned.id]
    assert "contacts" not in me
    # the phone app offers the assistant's keyword search, which volunteers may use
    assert me["assistant_search"] == "/api/campaigns/camp-a/assistant/search"
    assert client.get(me["assistant_search"], params={"q": "retraites"}).status_code == 200


def test_campaigns_are_isolated(
    client: TestClient, session: Session, field_world: FieldWorld
) -> None:
    headers = {"X-CSRF-Token": login(client, "admin-b@example.org")}
    turf_a = field_world.assigned
    assert client.get(f"/api/campaigns/camp-b/field/turfs/{turf_a.id}").status_code == 404
    assert client.get(f"/api/campaigns/camp-a/field/turfs/{turf_a.id}").status_code == 404
    listed = {t["id"] for t in client.get("/api/campaigns/camp-b/field/turfs").json()}
    assert listed == {t.id for t in field_world.turfs_b}
    result = client.post(
        "/api/campaigns/camp-b/field/visits/sync",
        json={"visits": [_visit(turf_a.id)]},
        headers=headers,
    ).json()
    assert result["results"][0]["status"] == "rejected"
    shared_key = str(uuid.uuid4())
    created = client.post(
        "/api/campaigns/camp-b/field/visits/sync",
        json={"visits": [_visit(field_world.turfs_b[0].id, key=shared_key)]},
        headers=headers,
    ).json()
    assert created["created"] == 1
    assert _count(session, field_world.campaigns.a.id) == 0
    assert client.get("/api/campaigns/camp-b/field/dashboard").json()["doors_knocked"] == 1


def test_opinions_without_consent_stay_at_bureau_level(
    client: TestClient, session: Session, field_world: FieldWorld
) -> None:
    headers = _volunteer(client)
    visit = _visit(
        field_world.assigned.id,
        outcome="talked",
        answers={"support": "plutot_soutien", "priorities": ["logement"], "remarque": "bruit"},
        recontact={"email": "voisin@example.org", "consent_contact": True},
    )
    assert client.post(SYNC_A, json={"visits": [visit]}, headers=headers).json()["created"] == 1
    session.expire_all()
    row = session.scalar(select(Visit))
    assert row is not None
    assert row.answered is True
    assert row.answers == {}
    assert row.contact_id is None
    recontact = session.scalar(select(Recontact))
    assert recontact is not None
    assert recontact.visit_id is None
    assert not recontact.opinion_consent
    assert session.scalar(select(BureauNote.text)) == "bruit"
    support = observed_support(session, system_context(field_world.campaigns.a))
    assert support["29039_6"]["support"] == 1
    assert support["29039_6"]["support_share"] == 1.0
    from circo.crm.contacts import answers_of

    assert recontact.contact_id is not None
    ctx = system_context(field_world.campaigns.a)
    assert answers_of(session, ctx, contact_id=recontact.contact_id) == []


def test_opinions_with_explicit_consent_attach_to_the_person(
    client: TestClient, session: Session, field_world: FieldWorld
) -> None:
    headers = _volunteer(client)
    visit = _visit(
        field_world.assigned.id,
        outcome="talked",
        answers={"support": "soutien"},
        recontact={
            "email": "militante@example.org",
            "first_name": "Anne",
            "consent_contact": True,
            "consent_opinions": True,
        },
    )
    assert client.post(SYNC_A, json={"visits": [visit]}, headers=headers).json()["created"] == 1
    session.expire_all()
    row = session.scalar(select(Visit))
    assert row is not None
    assert row.answers == {"support": "soutien"}
    assert row.contact_id is not None
    from circo.crm.contacts import answers_of
    from circo.privacy.consent import can_contact, can_store_opinion

    ctx = system_context(field_world.campaigns.a)
    assert [a.answer for a in answers_of(session, ctx, contact_id=row.contact_id)] == ["soutien"]
    assert can_store_opinion(session, ctx, row.contact_id).allowed
    assert can_contact(session, ctx, row.contact_id, "email").allowed


def test_bad_visits_are_rejected_alone(
    client: TestClient, session: Session, field_world: FieldWorld
) -> None:
    headers = _volunteer(client)
    turf_id = field_world.assigned.id
    batch = [
        _visit(turf_id, outcome="absent"),
        _visit(turf_id, outcome="not_home", answers={"support": "soutien"}),
        _visit(turf_id, outcome="talked", answers={"support": "peut-être"}),
        _visit(turf_id),
    ]
    result = client.post(SYNC_A, json={"visits": batch}, headers=headers).json()
    assert [r["status"] for r in result["results"]][:3] == ["rejected"] * 3
    assert result["created"] == 1
    assert "absent" in result["results"][0]["message"]


def test_questionnaire_is_configurable(client: TestClient, field_world: FieldWorld) -> None:
    headers = {"X-CSRF-Token": login(client, "admin-a@example.org")}
    questions = [
        {"key": "support", "label": "Soutien", "kind": "single", "choices": [{"value": "oui"}]},
        {"key": "note", "label": "Note", "kind": "scale", "min": 0, "max": 10},
    ]
    saved = client.put(
        "/api/campaigns/camp-a/field/questionnaire",
        json={"name": "V2", "questions": questions},
        headers=headers,
    )
    assert saved.status_code == 200, saved.text
    assert client.get("/api/campaigns/camp-a/field/questionnaire").json()["name"] == "V2"
    bad = client.put(
        "/api/campaigns/camp-a/field/questionnaire",
        json={"questions": [{"key": "x", "kind": "slider"}]},
        headers=headers,
    )
    assert bad.status_code == 400
    assert bad.json()["loc"] == "questions[1].kind"
    result = client.post(
        SYNC_A,
        json={"visits": [_visit(field_world.assigned.id, outcome="talked", answers={"note": 9})]},
        headers=headers,
    ).json()
    assert result["created"] == 1


def test_dashboard_page_and_export(client: TestClient, field_world: FieldWorld) -> None:
    headers = {"X-CSRF-Token": login(client, "admin-a@example.org")}
    turf_id = field_world.assigned.id
    batch = [
        _visit(turf_id, outcome="talked", answers={"support": "contre"}),
        _visit(turf_id, outcome="not_home"),
    ]
    client.post(SYNC_A, json={"visits": batch}, headers=headers)
    stats = client.get("/api/campaigns/camp-a/field/dashboard").json()
    assert stats["doors_knocked"] == 2
    assert stats["contact_rate"] == 0.5
    assert stats["answers_by_bureau"]["support"]["29039_6"] == {"contre": 1}
    assert stats["volunteers"][0]["doors_knocked"] == 2
    assert stats["out_now"] == []  # the visits were made in 2025
    page = client.get("/c/camp-a/field")
    assert page.status_code == 200
    assert "<svg" in page.text
    assert "Terrain" in page.text
    assert "Terrain" in client.get("/c/camp-a/").text
    export = client.get("/c/camp-a/field/export.csv")
    lines = export.text.strip().splitlines()
    assert lines[0].startswith("n° de visite,visitée le,")
    assert len(lines) == 3
    audit = client.get("/api/campaigns/camp-a/audit?action=field.export").json()
    assert len(audit) == 1


def test_doors_knocked_counts_doors_not_visits(
    client: TestClient, field_world: FieldWorld, session: Session
) -> None:
    """ "Portes frappées": a door knocked twice (nobody home, then a talk) counts once."""
    headers = {"X-CSRF-Token": login(client, "admin-a@example.org")}
    turf_id = field_world.assigned.id
    stop_id = session.scalar(select(TurfStop.id).where(TurfStop.turf_id == turf_id).limit(1))
    session.rollback()
    assert stop_id is not None
    batch = [
        _visit(turf_id, stop_id, door="2e gauche", outcome="not_home"),
        _visit(turf_id, stop_id, door="2e gauche", outcome="talked"),
        _visit(turf_id, stop_id, door="3e droite", outcome="talked"),
    ]
    assert client.post(SYNC_A, json={"visits": batch}, headers=headers).status_code == 200
    stats = client.get("/api/campaigns/camp-a/field/dashboard").json()
    assert (stats["doors_knocked"], stats["visits"], stats["talked"]) == (2, 3, 2)
    page = client.get("/c/camp-a/field").text
    assert "3 passages" in page
    # the progress map draws each turf's outline and a legend, not bare lines on a blank canvas
    assert 'class="turf-outline"' in page
    assert "pas commencé" in page
