"""Nothing confirmed is lost: a real server is SIGKILLed right after each confirming response,
and every confirmed row is in the database afterwards (both backends).

The request's session commits before the response is sent (`circo.web.deps.SessionDep`). A web
import is a job: its confirmation is "queued", and its uploaded file is deleted only after the
commit of its rows (`circo.crm.importer.job`).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.models import Job
from circo.core.service import create_api_token
from circo.crm.models import Contact
from circo.field.models import Visit
from tests.core.test_jobs_engine import engine_env, wait_for
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


def _job(session: Session, job_id: int) -> Job:
    session.expire_all()
    job = session.get(Job, job_id)
    assert job is not None
    session.rollback()
    return job


def test_a_queued_web_import_survives_a_kill_and_completes_once_after_restart(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    """The import's confirmation is "job queued" (a redirect to its page): the job row and its
    file are committed before it. SIGKILL right after it — whether the server's worker had not
    started, was in the middle of, or had finished the import — then restart: the job
    completes, every row is there exactly once, and the file is gone."""
    world = make_field_world(session)
    session.commit()
    fast = settings.model_copy(update={"jobs_lease_seconds": 2.0, "jobs_sweep_seconds": 0.3})
    server = LiveServer(fast, tmp_path / "server.log", **engine_env(fast))
    server.start()
    try:
        rows = "\n".join(f"Prénom{i};Nom{i};p{i}@example.org" for i in range(2000))
        content = f"Prénom;Nom;Email\n{rows}\n".encode()
        with server.client() as client:
            csrf = server.login(client, "admin-a@example.org", DEFAULT_PASSWORD)
            upload = client.post(
                "/c/camp-a/contacts/import",
                data={"csrf_token": csrf},
                files={"file": ("contacts.csv", content, "text/csv")},
            )
            assert upload.status_code == 303, upload.text[:300]
            token = upload.headers["location"].rsplit("/", 1)[1]
            mapping = '{"Prénom": "first_name", "Nom": "last_name", "Email": "email"}'
            queued = client.post(
                f"/c/camp-a/contacts/import/{token}/commit",
                data={"csrf_token": csrf, "mapping_json": mapping},
            )
        server.kill()  # right after the confirmation "queued"
        assert queued.status_code == 303, queued.text[:300]
        job_id = int(queued.headers["location"].rsplit("/", 1)[1])
        uploads = list(fast.data_dir.rglob(f"{token}.*"))
        job = _job(session, job_id)
        assert job.kind == "crm.import"
        if job.status == "done":  # the worker finished before the kill: file removed after
            assert uploads == []
        else:  # queued or caught running: nothing written, the file kept for the next run
            assert job.status in ("queued", "running")
            assert len(uploads) == 2  # the data and its original name
            assert _count(session, Contact, world.campaigns.a.id) == 0

        server.start()  # the embedded worker threads and their sweeper take it over
        with server.client() as client:
            server.login(client, "admin-a@example.org", DEFAULT_PASSWORD)

            def finished() -> dict[str, Any] | None:
                shown: dict[str, Any] = client.get(f"/api/campaigns/camp-a/jobs/{job_id}").json()
                return shown if shown["status"] in ("done", "failed") else None

            shown = wait_for(finished, "the import job", server.log)
            page = client.get(f"/c/camp-a/jobs/{job_id}")
            # removed just after the commit of the rows (the job is "done" a moment before)
            wait_for(lambda: not list(fast.data_dir.rglob(f"{token}.*")), "removal", server.log)
    finally:
        server.kill()
    assert shown["status"] == "done", shown
    assert shown["result"]["created"] == 2000
    assert "2 000 contacts créés" in page.text.replace("\u202f", " ").replace("\xa0", " ")
    assert _count(session, Contact, world.campaigns.a.id) == 2000


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
    assert "prénom" in posted.text  # the field, named for a person (circo.labels)
    assert "trop long" in posted.text
    assert _count(session, Contact, world.campaigns.a.id) == 0
