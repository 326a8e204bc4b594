"""Background work does not block the site (issue 23): while a transfers fit runs in
``circo serve``'s job worker on a realistic table (the whole Rhône, 1 287 bureaux, both rounds of
2017), another campaign's page and a write request answer — before the fit ends.

The job reads its inputs in a read transaction and ends it, fits with no transaction open, and
writes its result in one quick step with its "done" mark (`circo.core.jobs.runner`)."""

from __future__ import annotations

import time
from typing import Any

import httpx
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.elections.importing import import_results
from tests.elections.sample_files import rhone_file
from tests.factories import DEFAULT_PASSWORD, make_two_campaigns
from tests.server import LiveServer
from tests.web.security_support import page_csrf

JOB = {
    "from": "pres-2017:1",
    "to": "pres-2017:2",
    "territory": "dep:69",
    "method": "em",
    "kind": "targeting.transfers",
}


def _status(client: httpx.Client, job_id: str) -> dict[str, Any]:
    response = client.get(f"/api/campaigns/camp-a/jobs/{job_id}")
    assert response.status_code == 200, response.text
    status: dict[str, Any] = response.json()
    return status


def _wait(client: httpx.Client, job_id: str, done: Any, server: LiveServer) -> dict[str, Any]:
    deadline = time.monotonic() + 300
    while True:
        status = _status(client, job_id)
        if done(status):
            return status
        assert status["status"] not in ("failed",), status
        assert time.monotonic() < deadline, server.log()
        time.sleep(0.05)  # polling the job's state, not waiting a guessed delay


def test_pages_and_writes_answer_while_a_transfers_fit_runs(
    settings: Settings, session: Session, tmp_path: Any
) -> None:
    world = make_two_campaigns(session)
    for round_number in (1, 2):
        import_results(
            session, path=rhone_file(round_number), key="pres-2017", round_number=round_number
        )
    session.commit()
    admin_a, admin_b = world.admin_a.email, world.admin_b.email
    session.close()
    server = LiveServer(settings, tmp_path / "server.log")
    server.start()
    try:
        with server.client() as client, server.client() as other:
            server.login(client, admin_a, DEFAULT_PASSWORD)
            csrf = page_csrf(client, "/c/camp-a/targeting")
            started = client.post(
                "/c/camp-a/targeting/jobs",
                data={**JOB, "csrf_token": csrf},
                follow_redirects=False,
            )
            assert started.status_code == 303, started.text
            job_id = started.headers["location"].rsplit("/", 1)[1]
            # The inputs are read and the fit has started.
            _wait(
                client,
                job_id,
                lambda s: s["status"] == "running" and (s["progress"] or {}).get("done", 0) >= 1,
                server,
            )
            token = server.login(other, admin_b, DEFAULT_PASSWORD)
            assert other.get("/c/camp-b/").status_code == 200
            created = other.post(
                "/api/campaigns/camp-b/contacts",
                json={"first_name": "Paul", "last_name": "Martin"},
                headers={"X-CSRF-Token": token},
            )
            assert created.status_code == 201, created.text
            page = client.get("/c/camp-a/targeting")
            assert page.status_code == 200
            assert _status(client, job_id)["status"] == "running"  # answered before its end
            finished = _wait(client, job_id, lambda s: s["status"] == "done", server)
            assert finished["error"] is None
    finally:
        server.kill()
