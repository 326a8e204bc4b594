"""Nothing confirmed is lost: a real server is SIGKILLed right after each confirming response,
and every confirmed row is in the database afterwards (both backends).

The request's session commits before the response is sent (`circo.web.deps.SessionDep`); an
uploaded file is deleted only after the commit of its rows (`circo.db.after_commit`).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.core.service import create_api_token
from circo.crm.models import Contact
from circo.field.models import Visit
from tests.factories import DEFAULT_PASSWORD
from tests.field.conftest import make_field_world
from tests.server import LiveServer


def _count(session: Session, model: Any, campaign_id: int) -> int:
    session.expire_all()
    count = session.scalar(
        select(func.count()).select_from(model).where(model.campaign_id == campaign_id)
    )
    session.rollback()
    return int(count or 0)


def test_confirmed_sync_survives_a_kill(session: Session, live_server: LiveServer) -> None:
    world = make_field_world(session)
    token, _ = create_api_token(session, user=world.campaigns.volunteer_a, name="phone")
    session.commit()
    turf_id = world.assigned.id
    batch = [
        {
            "key": str(uuid.uuid4()),
            "turf_id": turf_id,
            "outcome": "not_home",
            "visited_at": "2026-05-01T10:00:00+02:00",
        }
        for _ in range(200)
    ]
    with live_server.client(headers={"Authorization": f"Bearer {token}"}) as client:
        response = client.post("/api/campaigns/camp-a/field/visits/sync", json={"visits": batch})
    live_server.kill()  # right after the confirmation: the phone now deletes its queue
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 200
    assert _count(session, Visit, world.campaigns.a.id) == 200


def test_confirmed_api_write_and_form_post_survive_a_kill(
    session: Session, live_server: LiveServer
) -> None:
    world = make_field_world(session)
    token, _ = create_api_token(session, user=world.campaigns.admin_a, name="script")
    session.commit()
    with live_server.client(headers={"Authorization": f"Bearer {token}"}) as client:
        created = client.post(
            "/api/campaigns/camp-a/contacts",
            json={"first_name": "Inès", "last_name": "Durable", "email": "ines@example.org"},
        )
    live_server.kill()
    assert created.status_code == 201, created.text
    assert _count(session, Contact, world.campaigns.a.id) == 1

    live_server.start()
    with live_server.client() as client:
        csrf = live_server.login(client, "admin-a@example.org", DEFAULT_PASSWORD)
        posted = client.post(
            "/c/camp-a/contacts",
            data={"csrf_token": csrf, "first_name": "Paul", "last_name": "Formulaire"},
        )
    live_server.kill()
    assert posted.status_code == 303, posted.text[:300]
    assert _count(session, Contact, world.campaigns.a.id) == 2


def test_confirmed_web_import_survives_a_kill(session: Session, live_server: LiveServer) -> None:
    world = make_field_world(session)
    session.commit()
    rows = "\n".join(f"Prénom{i};Nom{i};p{i}@example.org" for i in range(2000))
    content = f"Prénom;Nom;Email\n{rows}\n".encode()
    with live_server.client() as client:
        csrf = live_server.login(client, "admin-a@example.org", DEFAULT_PASSWORD)
        upload = client.post(
            "/c/camp-a/contacts/import",
            data={"csrf_token": csrf},
            files={"file": ("contacts.csv", content, "text/csv")},
        )
        assert upload.status_code == 303, upload.text[:300]
        token = upload.headers["location"].rsplit("/", 1)[1]
        mapping = '{"Prénom": "first_name", "Nom": "last_name", "Email": "email"}'
        done = client.post(
            f"/c/camp-a/contacts/import/{token}/commit",
            data={"csrf_token": csrf, "mapping_json": mapping},
        )
    live_server.kill()
    assert done.status_code == 200, done.text[:300]
    assert _count(session, Contact, world.campaigns.a.id) == 2000
    uploads = list(live_server.settings.data_dir.rglob(f"{token}.*"))
    assert uploads == []  # removed, and only after the commit


def test_an_overlong_form_value_is_a_clear_refusal_not_a_server_error(
    session: Session, live_server: LiveServer
) -> None:
    world = make_field_world(session)
    session.commit()
    with live_server.client() as client:
        csrf = live_server.login(client, "admin-a@example.org", DEFAULT_PASSWORD)
        posted = client.post(
            "/c/camp-a/contacts",
            data={"csrf_token": csrf, "first_name": "A" * 5000, "last_name": "Long"},
        )
    assert posted.status_code == 422, posted.text[:300]
    assert "first_name" in posted.text
    assert "trop long" in posted.text
    assert _count(session, Contact, world.campaigns.a.id) == 0
