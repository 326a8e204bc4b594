"""The volunteer scope in production: a real volunteer user sees the contacts on the turfs
assigned to them — and nobody else — on pages and through the API (`circo.field.scope`)."""

from __future__ import annotations

import math

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.core.tenancy import system_context
from circo.field.models import TurfStop
from tests.crm.helpers import make_contact
from tests.factories import login
from tests.field.conftest import FieldWorld


def _stops(session: Session, turf_id: int) -> list[tuple[float, float]]:
    rows = session.execute(select(TurfStop.lat, TurfStop.lon).where(TurfStop.turf_id == turf_id))
    return [(lat, lon) for lat, lon in rows]


def _distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    x = math.radians(b[1] - a[1]) * math.cos(math.radians((a[0] + b[0]) / 2))
    return 6_371_000.0 * math.hypot(x, math.radians(b[0] - a[0]))


def test_volunteer_sees_only_the_people_of_assigned_turfs(
    session: Session, client: TestClient, field_world: FieldWorld
) -> None:
    assigned = _stops(session, field_world.assigned.id)
    elsewhere_stops = _stops(session, field_world.unassigned.id)
    far = max(elsewhere_stops, key=lambda stop: min(_distance(stop, s) for s in assigned))
    assert min(_distance(far, s) for s in assigned) > 50  # beyond the 35 m of a door
    campaign = session.merge(field_world.campaigns.a)
    ctx = system_context(campaign)
    on_turf = make_contact(session, ctx, last_name="Surlesecteur", email="turf@example.org")
    on_turf.lat, on_turf.lon = assigned[0][0] + 0.00005, assigned[0][1]  # ≈ 5 m from a door
    away = make_contact(session, ctx, last_name="Ailleurs", email="away@example.org")
    away.lat, away.lon = far
    unplaced = make_contact(session, ctx, last_name="Sansadresse")
    session.commit()
    ids = {"on": on_turf.id, "away": away.id, "unplaced": unplaced.id}

    login(client, "volunteer-a@example.org")
    listed = client.get("/api/campaigns/camp-a/contacts").json()
    assert [row["id"] for row in listed] == [ids["on"]]
    assert client.get(f"/api/campaigns/camp-a/contacts/{ids['on']}").status_code == 200
    assert client.get(f"/api/campaigns/camp-a/contacts/{ids['away']}").status_code == 404
    assert client.get(f"/api/campaigns/camp-a/contacts/{ids['unplaced']}").status_code == 404
    page = client.get(f"/c/camp-a/contacts/{ids['on']}")
    assert page.status_code == 200
    assert "Surlesecteur" in page.text
    assert client.get(f"/c/camp-a/contacts/{ids['away']}").status_code == 404
    assert client.get("/api/campaigns/camp-a/segments").status_code == 403
    assert client.get("/c/camp-a/volunteers").status_code == 403

    # The admin sees the whole base.
    client.cookies.clear()
    login(client, "admin-a@example.org")
    assert len(client.get("/api/campaigns/camp-a/contacts").json()) == 3
