"""Phone banking through the JSON API and the pages (in-process, both backends): the create
contract, a volunteer's batch with `tel:` links, outcomes, and the list refusing to open during
the L49 silence with the article named."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.privacy.models import Opposition
from tests.factories import login
from tests.reach.conftest import make_call_world

API = "/api/campaigns/camp-a/calls"


def test_api_create_batch_record_progress(client: TestClient, session: Session) -> None:
    world = make_call_world(session)
    csrf = login(client, "orga-a@example.org")
    created = client.post(
        API,
        json={"segment": "À appeler", "questions": ["Vote"], "batch_size": 5},
        headers={"X-CSRF-Token": csrf},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body == {"list": body["list"], "contacts": 2, "excluded": {"no_basis": 3, "opposed": 2}}
    list_id = body["list"]

    client.post("/logout", headers={"X-CSRF-Token": csrf})
    client.cookies.clear()
    csrf = login(client, "volunteer-a@example.org")
    refused = client.post(API, json={"segment": "all"}, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 403
    batch = client.post(f"{API}/{list_id}/batch", headers={"X-CSRF-Token": csrf})
    assert batch.status_code == 200, batch.text
    entries = batch.json()["entries"]
    assert [(entry["contact"], entry["tel"]) for entry in entries] == [
        (world.consented.id, "tel:+33612345601"),
        (world.supporter.id, "tel:+33612345602"),
    ]
    recorded = client.post(
        f"{API}/{list_id}/contacts/{world.supporter.id}",
        json={"outcome": "opposed", "answers": {"Vote": "non"}},
        headers={"X-CSRF-Token": csrf},
    )
    assert recorded.status_code == 200, recorded.text
    assert recorded.json() == {
        "list": list_id,
        "contact": world.supporter.id,
        "outcome": "opposed",
        "status": "done",
    }
    bad = client.post(
        f"{API}/{list_id}/contacts/{world.consented.id}",
        json={"outcome": "occupé"},
        headers={"X-CSRF-Token": csrf},
    )
    assert bad.status_code == 422, bad.text
    assert bad.json()["error"] == "ValidationError"

    page = client.get(f"/c/camp-a/calls/{list_id}")
    assert page.status_code == 200
    assert 'href="tel:+33612345601"' in page.text
    assert "Ma série d&#39;appels" in page.text

    client.post("/logout", headers={"X-CSRF-Token": csrf})
    client.cookies.clear()
    login(client, "orga-a@example.org")
    progress = client.get(f"{API}/{list_id}/progress")
    assert progress.status_code == 200
    assert progress.json()["by_outcome"] == {"opposed": 1}
    assert progress.json()["answers"] == {"Vote": {"non": 1}}
    dashboard = client.get("/c/camp-a")
    assert "Phoning — Appels — À appeler" in dashboard.text
    session.expire_all()
    assert session.scalars(
        select(Opposition.channel).where(Opposition.contact_id == world.supporter.id)
    ).all() == ["phone"]


def test_list_refuses_to_open_during_the_l49_silence(client: TestClient, session: Session) -> None:
    world = make_call_world(session)
    paris_today = datetime.now(ZoneInfo("Europe/Paris")).date()
    world.campaign.election_date = paris_today + timedelta(days=1)
    session.commit()
    csrf = login(client, "orga-a@example.org")
    created = client.post(API, json={"segment": "all"}, headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201  # preparing a list contacts nobody
    list_id = created.json()["list"]
    client.post("/logout", headers={"X-CSRF-Token": csrf})
    client.cookies.clear()
    csrf = login(client, "volunteer-a@example.org")
    batch = client.post(f"{API}/{list_id}/batch", headers={"X-CSRF-Token": csrf})
    assert batch.status_code == 423
    assert "Code électoral L49" in batch.json()["message"]
    page = client.get(f"/c/camp-a/calls/{list_id}")
    assert "La liste ne peut pas être ouverte maintenant" in page.text
    assert "Code électoral L49" in page.text
    assert "Prendre une série" not in page.text
    form = client.post(
        f"/c/camp-a/calls/{list_id}/batch", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert form.status_code == 423
    assert "Code électoral L49" in form.text
