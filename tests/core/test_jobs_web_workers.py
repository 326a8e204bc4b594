"""With ``CIRCO_WEB_WORKERS`` > 1, a job queued by any web process reaches the job engine of
the supervisor at once: each web process hands it to the queue after its commit (before, the
web processes had no queue and the job waited for the supervisor's sweeper)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from circo.config import Settings
from tests.factories import DEFAULT_PASSWORD, make_two_campaigns
from tests.server import LiveServer
from tests.web.security_support import page_csrf


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_job_queued_by_a_web_process_runs_without_the_sweeper(
    settings: Settings, session: Session, tmp_path: Path
) -> None:
    world = make_two_campaigns(session)
    session.commit()
    admin = world.admin_a.email
    session.close()
    server = LiveServer(
        settings,
        tmp_path / "server.log",
        CIRCO_WEB_WORKERS="2",
        CIRCO_JOBS_SWEEP_SECONDS="3600",  # the sweeper runs once, at start: not what helps
    )
    server.start()
    outbox = settings.data_dir / "outbox"
    try:
        with server.client() as client:
            server.login(client, admin, DEFAULT_PASSWORD)
            csrf = page_csrf(client, "/c/camp-a/users")
            added = client.post(
                "/c/camp-a/users",
                data={"email": "nouveau@example.org", "role": "comms", "csrf_token": csrf},
                follow_redirects=False,
            )
            assert added.status_code == 303, added.text
            # The invitation (a core.send_mail job) is sent by the supervisor's job engine.
            deadline = time.monotonic() + 60
            while not (outbox.exists() and list(outbox.glob("*.eml"))):
                assert time.monotonic() < deadline, server.log()
                time.sleep(0.1)  # polling for the mail file, not waiting a guessed delay
            (mail,) = outbox.glob("*.eml")
            assert b"nouveau@example.org" in mail.read_bytes()
    finally:
        server.stop()
