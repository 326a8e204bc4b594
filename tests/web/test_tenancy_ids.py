"""Tenancy of ids inside bodies and query strings: another campaign's id is a 404 (or 422).

Every id-like field (``…_id`` / ``…_ids``) of every API request body and query string is listed
in `CASES`; a test checks the OpenAPI document has no other, so a new id field cannot skip the
sweep. Each case is sent twice by campaign A's admin: with A's own id (accepted) and with
campaign B's id (refused, never a 2xx) — same body otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from circo.assistant.service import DocumentMeta, add_bytes
from circo.config import Settings
from circo.core.tenancy import system_context
from circo.crm import contacts, dedup, events, segments, volunteers
from circo.crm.schemas import ContactCreate, EventCreate, SegmentFilter
from circo.field import service as field_service
from circo.messaging.service import Draft, add_point, start_send
from tests.factories import login, make_two_campaigns
from tests.field.conftest import make_field_world

ID_SUFFIXES = ("_id", "_ids")


@dataclass
class Ids:
    """The same kinds of rows in campaign A (``own``) and B (``other``)."""

    own: dict[str, int]
    other: dict[str, int]


def _rows(session: Session, settings: Settings, campaign: Any, tag: str) -> dict[str, int]:
    ctx = system_context(campaign)
    contact = contacts.create_contact(
        session, ctx, data=ContactCreate(first_name=f"Ida{tag}", last_name="Test")
    )
    starts = datetime.now(UTC) + timedelta(days=5)
    event = events.create_event(
        session, ctx, data=EventCreate(title=f"Réunion {tag}", starts_at=starts)
    )
    team = volunteers.create_team(session, ctx, name=f"Équipe {tag}")
    point = add_point(session, ctx, title=f"Écoles {tag}")
    document = add_bytes(
        session,
        ctx,
        data=f"Programme {tag}.\n\nLes écoles rouvriront en septembre.".encode(),
        name=f"programme-{tag}.txt",
        source=f"programme-{tag}.txt",
        meta=DocumentMeta(),
        settings=settings,
    )
    assert document.document_id is not None, document.error
    from circo.assistant.repository import document_passages

    passage = document_passages(session, ctx, document.document_id)[0]
    turf = field_service.visible_turfs(session, ctx)[0]
    stop = field_service.turf_stops(session, ctx, turf_id=turf.id)[0]
    questionnaire = field_service.active_questionnaire(session, ctx)
    segment = segments.create_segment(session, ctx, name=f"Segment {tag}", filters=SegmentFilter())
    message = start_send(
        session,
        ctx,
        settings,
        draft=Draft(channel="email", segment="all", subject=f"Objet {tag}", body="x"),
    )
    from circo.reach.forms import create_form

    form = create_form(session, ctx, kind="signup", name=f"Rejoindre {tag}")
    return {
        "form": form.id,
        "segment": segment.id,
        "message": message.id,
        "document": document.document_id,
        "contact": contact.id,
        "event": event.id,
        "team": team.id,
        "point": point.id,
        "passage": passage.id,
        "turf": turf.id,
        "stop": stop.id,
        "questionnaire": questionnaire.id,
    }


@pytest.fixture
def ids(session: Session, settings: Settings) -> Ids:
    world = make_field_world(session)
    from circo.core.models import Campaign, User

    a = session.get(Campaign, world.campaigns.a.id)
    b = session.get(Campaign, world.campaigns.b.id)
    own = _rows(session, settings, a, "A")
    other = _rows(session, settings, b, "B")
    own["user"] = world.campaigns.volunteer_a.id
    other["user"] = world.campaigns.admin_b.id
    assert session.get(User, other["user"]) is not None
    session.commit()
    return Ids(own, other)


def _visit(key: str, **fields: Any) -> dict[str, Any]:
    return {"visits": [{"key": key, "outcome": "not_home", **fields}]}


@dataclass(frozen=True)
class Case:
    """One id field: where it is, and how to build a request carrying a given row's ids."""

    method: str
    path: str
    field: str  # as found in the OpenAPI document: "body.visits[].turf_id", "query.contact_id"
    build: Callable[[dict[str, int], dict[str, int]], dict[str, Any]]  # (ids, own) → request
    refused_in_body: bool = False  # batch sync: 200, the visit itself is rejected


M = "/api/campaigns/camp-a/messages"


def _automation(trigger: str, **target: int) -> dict[str, Any]:
    name = f"Auto {trigger} {sorted(target.items())}"
    steps = [{"action": "add_tag", "tag": "suivi"}]
    return {"json": {"name": name, "trigger": trigger, "steps": steps, **target}}


CASES = [
    Case(
        "POST",
        "/api/campaigns/{slug}/forms",
        "body.event_id",
        lambda ids, own: {
            "json": {"kind": "event", "name": f"Réunion {ids['event']}", "event_id": ids["event"]}
        },
    ),
    Case(
        "POST",
        "/api/campaigns/{slug}/automations",
        "body.form_id",
        lambda ids, own: _automation("form", form_id=ids["form"]),
    ),
    Case(
        "POST",
        "/api/campaigns/{slug}/automations",
        "body.event_id",
        lambda ids, own: _automation("event", event_id=ids["event"]),
    ),
    Case(
        "POST",
        "/api/campaigns/{slug}/field/assignments",
        "body.turf_id",
        lambda ids, own: {
            "json": {"day": str(date.today()), "turf_id": ids["turf"], "user_id": own["user"]}
        },
    ),
    Case(
        "POST",
        "/api/campaigns/{slug}/field/assignments",
        "body.user_id",
        lambda ids, own: {
            "json": {"day": str(date.today()), "turf_id": own["turf"], "user_id": ids["user"]}
        },
    ),
    Case(
        "POST",
        "/api/campaigns/{slug}/field/assignments",
        "body.team_id",
        lambda ids, own: {
            "json": {"day": str(date.today()), "turf_id": own["turf"], "team_id": ids["team"]}
        },
    ),
    Case(
        "POST",
        "/api/campaigns/{slug}/field/visits/sync",
        "body.visits[].turf_id",
        lambda ids, own: {"json": _visit(f"visit-turf-{ids['turf']}", turf_id=ids["turf"])},
        refused_in_body=True,
    ),
    Case(
        "POST",
        "/api/campaigns/{slug}/field/visits/sync",
        "body.visits[].stop_id",
        lambda ids, own: {
            "json": _visit(f"visit-stop-{ids['stop']}", turf_id=own["turf"], stop_id=ids["stop"])
        },
        refused_in_body=True,
    ),
    Case(
        "POST",
        "/api/campaigns/{slug}/field/visits/sync",
        "body.visits[].questionnaire_id",
        lambda ids, own: {
            "json": _visit(
                f"visit-qn-{ids['questionnaire']}",
                turf_id=own["turf"],
                questionnaire_id=ids["questionnaire"],
            )
        },
        refused_in_body=True,
    ),
    Case(
        "POST",
        "/api/campaigns/{slug}/segments",
        "body.filters.attended_event_ids",
        lambda ids, own: {
            "json": {
                "name": f"Venus {ids['event']}",
                "filters": {"attended_event_ids": [ids["event"]]},
            }
        },
    ),
    Case(
        "POST",
        "/api/campaigns/{slug}/messages/points",
        "body.passage_ids",
        lambda ids, own: {
            "json": {"title": f"Point {ids['passage']}", "passage_ids": [ids["passage"]]}
        },
    ),
    Case(
        "POST",
        "/api/campaigns/{slug}/messages/matrix",
        "body.point_id",
        lambda ids, own: {"json": {"segment": "all", "point_id": ids["point"]}},
    ),
    Case(
        "POST",
        "/api/campaigns/{slug}/messages/preview",
        "body.point_id",
        lambda ids, own: {"json": {"body": "Bonjour", "subject": "Test", "point_id": ids["point"]}},
    ),
    Case(
        "POST",
        "/api/campaigns/{slug}/messages/preview",
        "query.contact_id",
        lambda ids, own: {
            "json": {"body": "Bonjour", "subject": "Test"},
            "params": {"contact_id": ids["contact"]},
        },
    ),
    Case(
        "POST",
        "/api/campaigns/{slug}/messages",
        "body.point_id",
        lambda ids, own: {"json": {"body": "Bonjour", "subject": "Test", "point_id": ids["point"]}},
    ),
    Case(
        "POST",
        "/api/campaigns/{slug}/privacy/consents",
        "body.contact_id",
        lambda ids, own: {
            "json": {"contact_id": ids["contact"], "channel": "email", "status": "granted"}
        },
    ),
]


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def _id_fields(spec: dict[str, Any], schema: dict[str, Any], prefix: str) -> Iterator[str]:
    schema = _resolve(spec, schema)
    for option in schema.get("anyOf", []):
        yield from _id_fields(spec, option, prefix)
    if schema.get("type") == "array" and "items" in schema:
        items = _resolve(spec, schema["items"])
        if items.get("type") == "object" or "properties" in items:
            yield from _id_fields(spec, items, prefix + "[]")
    for name, sub in schema.get("properties", {}).items():
        if name.endswith(ID_SUFFIXES):
            yield f"{prefix}.{name}"
        else:
            yield from _id_fields(spec, sub, f"{prefix}.{name}")


def id_fields_of(app: FastAPI) -> set[tuple[str, str, str]]:
    """Every (method, path, field) of the API whose body or query carries a row id."""
    spec = app.openapi()
    found: set[tuple[str, str, str]] = set()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and parameter["name"].endswith(ID_SUFFIXES):
                    found.add((method.upper(), path, f"query.{parameter['name']}"))
            content = operation.get("requestBody", {}).get("content", {})
            for media in content.values():
                for field in _id_fields(spec, media.get("schema", {}), "body"):
                    found.add((method.upper(), path, field))
    return found


def test_every_id_in_a_body_or_query_is_in_the_sweep(app: FastAPI) -> None:
    declared = {(case.method, case.path, case.field) for case in CASES}
    assert id_fields_of(app) == declared


def _send(client: TestClient, case: Case, request: dict[str, Any]) -> Any:
    path = case.path.replace("{slug}", "camp-a")
    return client.request(case.method, path, **request)


def test_ids_of_another_campaign_in_bodies_and_queries_are_refused(app: FastAPI, ids: Ids) -> None:
    with TestClient(app) as client:
        csrf = login(client, "admin-a@example.org")
        client.headers["X-CSRF-Token"] = csrf
        for case in CASES:
            own = _send(client, case, case.build(ids.own, ids.own))
            assert own.status_code < 300, f"{case.path} {case.field}: own id refused: {own.text}"
            other = _send(client, case, case.build(ids.other, ids.own))
            if case.refused_in_body:
                assert other.status_code == 200, other.text
                result = other.json()["results"][0]
                assert result["status"] == "rejected", f"{case.path} {case.field}: {result}"
                continue
            assert other.status_code in (404, 422), (
                f"{case.path} {case.field}: campaign B's id answered {other.status_code}: "
                f"{other.text[:300]}"
            )
            assert "ValidationError" in other.text or other.json()["loc"], other.text


def test_dismissing_another_campaigns_duplicate_pair_is_404(app: FastAPI, session: Session) -> None:
    world = make_two_campaigns(session)
    ctx_b = system_context(world.b)
    for _ in range(2):
        contacts.create_contact(
            session,
            ctx_b,
            data=ContactCreate(first_name="Jeanne", last_name="Doublon", email="jd@example.org"),
        )
    dedup.refresh_duplicates(session, ctx_b)
    ((pair, _a, _b),) = dedup.open_pairs(session, ctx_b)
    pair_id = pair.id
    session.commit()  # and end the transaction: the app writes next
    with TestClient(app) as client:
        csrf = login(client, "admin-a@example.org")
        answer = client.post(
            f"/c/camp-a/contacts/duplicates/{pair_id}/dismiss",
            data={"csrf_token": csrf},
            follow_redirects=False,
        )
        assert answer.status_code == 404
        huge = client.post(
            f"/c/camp-a/contacts/duplicates/{2**63}/dismiss",
            data={"csrf_token": csrf},
            follow_redirects=False,
        )
        assert huge.status_code == 422
    still_open = [row[0].id for row in dedup.open_pairs(session, ctx_b)]
    assert still_open == [pair_id]


PATH_IDS = {
    "contact_id": "contact",
    "event_id": "event",
    "segment_id": "segment",
    "turf_id": "turf",
    "message_id": "message",
    "document_id": "document",
    "passage_id": "passage",
}


def test_ids_of_another_campaign_in_paths_are_404(app: FastAPI, ids: Ids) -> None:
    """Every API route reading a row by id (GET, DELETE) answers 404 for campaign B's row."""
    spec = app.openapi()
    checked = []
    with TestClient(app) as client:
        client.headers["X-CSRF-Token"] = login(client, "admin-a@example.org")
        for path, operations in spec["paths"].items():
            names = [p for p in re.findall(r"{(\w+)}", path) if p != "slug"]
            if not path.startswith("/api/campaigns/") or not names:
                continue
            for method in operations:
                if method not in ("get", "delete") or not set(names) <= set(PATH_IDS):
                    continue
                url = path.replace("{slug}", "camp-a")
                for name in names:
                    url = url.replace(f"{{{name}}}", str(ids.other[PATH_IDS[name]]))
                answer = client.request(method.upper(), url)
                assert answer.status_code == 404, f"{method} {path}: {answer.status_code}"
                checked.append(path)
    assert len(checked) >= 10
