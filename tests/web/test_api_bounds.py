"""The inputs of issue #22 that crashed the server: each is now a 422 naming the field in French."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import login, make_two_campaigns

API = "/api/campaigns/camp-a"
HUGE = 2**63 + 1


@pytest.fixture
def admin(app: FastAPI, session: Session) -> Any:
    make_two_campaigns(session)
    with TestClient(app) as client:
        client.headers["X-CSRF-Token"] = login(client, "admin-a@example.org")
        yield client


def _problem(response: Any, field: str) -> str:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "ValidationError"
    locs = [item["loc"] for item in body["details"]]
    assert any(loc.endswith(field) for loc in locs), locs
    assert field in body["message"]
    return str(body["message"])


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("GET", f"{API}/contacts/{HUGE}", "contact_id"),
        ("GET", f"{API}/contacts?offset={HUGE}", "offset"),
        ("GET", f"{API}/contacts?limit={HUGE}", "limit"),
        ("GET", f"{API}/audit?offset=-1", "offset"),
        ("GET", f"{API}/messages/{HUGE}/deliveries", "message_id"),
        ("GET", f"{API}/messages/1/deliveries?limit=-5", "limit"),
        ("GET", f"{API}/field/turfs/{HUGE}", "turf_id"),
        ("GET", f"{API}/targeting/jobs/0", "job_id"),
        ("GET", f"{API}/contacts?q=a%00b", "q"),
    ],
)
def test_out_of_range_ids_limits_and_offsets(
    admin: TestClient, method: str, path: str, field: str
) -> None:
    _problem(admin.request(method, path), field)


def test_bodies_out_of_bounds(admin: TestClient) -> None:
    created = admin.post(f"{API}/contacts", json={"first_name": "Ana", "last_name": "Bo"})
    assert created.status_code == 201, created.text
    contact = created.json()["id"]
    patched = admin.patch(f"{API}/contacts/{contact}", json={"last_name": None})
    assert "null" in _problem(patched, "last_name")
    assert admin.patch(f"{API}/contacts/{contact}", json={"city": None}).status_code == 200
    huge_year = admin.post(f"{API}/contacts", json={"birth_year": 10**30})
    assert "inférieur ou égal à 2100" in _problem(huge_year, "birth_year")
    event = {"title": "Réunion", "starts_at": "2026-05-01T18:00:00+00:00"}
    negative = admin.post(f"{API}/events", json={**event, "reminder_hours": -1e15})
    assert "supérieur ou égal à 0" in _problem(negative, "reminder_hours")
    ancient = admin.post(f"{API}/events", json={**event, "starts_at": "0103-05-01T18:00:00"})
    assert "année 103" in _problem(ancient, "starts_at")
    day = admin.post(f"{API}/field/assignments", json={"day": "0103-01-01", "turf_id": 1})
    _problem(day, "day")
    far = admin.post(f"{API}/volunteers", json={"email": "v@example.org", "lat": 1e308})
    _problem(far, "lat")


def test_a_slug_with_a_nul_character_is_an_unknown_campaign(admin: TestClient) -> None:
    assert admin.get("/api/campaigns/camp%00a/contacts").status_code == 404
    assert admin.get("/api/campaigns/" + "x" * 5000).status_code == 404
