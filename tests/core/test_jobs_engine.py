"""The job engine through real processes: huey over the real Redis with two ``circo worker``
processes, and the embedded queue of ``circo serve`` with nothing else running.

Each test uses its own queue name (Redis keys ``huey.*.<name>``), so parallel runs never share a
queue. Without Redis the Redis tests are skipped with the reason — except with ``CI=true``, where
they fail (the same rule as PostgreSQL in tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from circo.config import Settings
from circo.core import jobs
from circo.core.jobs.engine import JobEngine
from circo.core.models import Job
from circo.runtime import Runtime
from circo.web.app import create_app
from tests.core import job_handlers_for_tests as handlers
from tests.factories import DEFAULT_PASSWORD, login, make_campaign, make_two_campaigns, make_user
from tests.server import LiveServer, server_env

REDIS_URL = os.environ.get("CIRCO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ROOT = Path(__file__).resolve().parents[2]
DEADLINE_SECONDS = 90.0

handlers.register()


def _redis_problem() -> str | None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        return str(exc).splitlines()[0]
    return None


@pytest.fixture(scope="module")
def redis_url() -> str:
    problem = _redis_problem()
    if problem and IN_CI:
        pytest.fail(f"CI=true but Redis is unreachable at {REDIS_URL}: {problem}")
    if problem:
        pytest.skip(f"Redis unavailable at {REDIS_URL} ({problem}): Redis job tests SKIPPED")
    return REDIS_URL


@pytest.fixture
def redis_settings(settings: Settings, redis_url: str) -> Iterator[Settings]:
    """The test's settings on Redis, with a queue of its own and a short lease."""
    import redis

    queue = f"test-{uuid.uuid4().hex[:12]}"
    yield settings.model_copy(
        update={
            "redis_url": redis_url,
            "jobs_queue": queue,
            "jobs_lease_seconds": 2.0,
            "jobs_sweep_seconds": 0.3,
        }
    )
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"huey.*{queue}*"))
    if keys:
        client.delete(*keys)


def engine_env(settings: Settings) -> dict[str, str]:
    extra = {
        "CIRCO_JOBS_QUEUE": settings.jobs_queue,
        "CIRCO_JOBS_LEASE_SECONDS": str(settings.jobs_lease_seconds),
        "CIRCO_JOBS_SWEEP_SECONDS": str(settings.jobs_sweep_seconds),
    }
    if settings.redis_url:
        extra["CIRCO_REDIS_URL"] = settings.redis_url
    return extra


class Workers:
    """``circo worker`` subprocesses (with the test handlers), each in its own process group."""

    def __init__(self, settings: Settings, folder: Path) -> None:
        self.settings = settings
        self.folder = folder
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, count: int) -> None:
        code = "from tests.core.job_handlers_for_tests import main; main()"
        for index in range(count):
            log = (self.folder / f"worker-{index}.log").open("ab")
            self.processes.append(
                subprocess.Popen(
                    [sys.executable, "-c", code, "worker", "--workers", "1"],
                    cwd=ROOT,
                    env=server_env(self.settings, **engine_env(self.settings)),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            log.close()

    def kill_group_of(self, pid: int) -> subprocess.Popen[bytes]:
        """SIGKILL the ``circo worker`` whose process group holds ``pid`` (parent and child)."""
        group = os.getpgid(pid)
        victim = next(process for process in self.processes if process.pid == group)
        os.killpg(group, signal.SIGKILL)
        victim.wait(timeout=30)
        return victim

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)

    def logs(self) -> str:
        return "\n".join(path.read_text() for path in sorted(self.folder.glob("worker-*.log")))


@pytest.fixture
def workers(redis_settings: Settings, tmp_path: Path) -> Iterator[Workers]:
    started = Workers(redis_settings, tmp_path)
    yield started
    started.stop()


def wait_for(condition: Callable[[], Any], what: str, logs: Callable[[], str]) -> Any:
    """Poll ``condition`` until it returns something truthy (deadline: a failure, not a
    measurement)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n{logs()}")
        time.sleep(0.05)


def job_rows(runtime: Runtime, ids: list[int]) -> list[Job]:
    with runtime.session() as session:
        return list(session.scalars(select(Job).where(Job.id.in_(ids)).order_by(Job.id)))


def all_done(runtime: Runtime, ids: list[int]) -> bool:
    return all(job.status == "done" for job in job_rows(runtime, ids))


def test_two_redis_workers_run_each_job_once_and_the_web_sees_results(
    redis_settings: Settings, runtime: Runtime, workers: Workers
) -> None:
    with runtime.session() as session:
        two = make_two_campaigns(session)
        owner, admin_email, other_admin = two.a.id, two.admin_a.email, two.admin_b.email
        slug_a, slug_b = two.a.slug, two.b.slug
    engine = JobEngine(redis_settings, runtime.factory)
    engine.activate()
    try:
        with runtime.session() as session:
            queued = [
                jobs.enqueue(session, kind="test.effect", campaign_id=owner) for _ in range(12)
            ]
            ids = [job.id for job in queued]
        for job_id in ids:  # every message delivered twice: the claim keeps one run
            engine.dispatch(job_id, queued[0].run_after)
        assert engine.huey.pending_count() == 24
        workers.start(2)
        wait_for(lambda: all_done(runtime, ids), "12 jobs done", workers.logs)
    finally:
        engine.deactivate()
    rows = job_rows(runtime, ids)
    assert [job.attempts for job in rows] == [1] * 12
    with runtime.session() as session:
        assert [handlers.effects(session, job_id) for job_id in ids] == [1] * 12
    assert all(str(job.worker).endswith(f":{job.result['pid']}") for job in rows if job.result)

    with TestClient(create_app(redis_settings, runtime=runtime, run_jobs=True)) as client:
        login(client, admin_email)
        shown = client.get(f"/api/campaigns/{slug_a}/jobs/{ids[0]}").json()
        assert shown["status"] == "done"
        assert shown["result"] == rows[0].result
        assert shown["attempts"] == 1
        missing = client.get(f"/api/campaigns/{slug_a}/jobs/999999")
        assert missing.status_code == 404
        assert "travail n° 999999 introuvable" in missing.json()["message"]
    with TestClient(create_app(redis_settings, runtime=runtime)) as client:
        login(client, other_admin)
        assert client.get(f"/api/campaigns/{slug_b}/jobs/{ids[0]}").status_code == 404


def test_a_job_of_a_killed_redis_worker_completes_on_the_other_once(
    redis_settings: Settings, runtime: Runtime, workers: Workers, tmp_path: Path
) -> None:
    folder = tmp_path / "gated"
    folder.mkdir()
    engine = JobEngine(redis_settings, runtime.factory)
    engine.activate()
    try:
        with runtime.session() as session:
            job_id = jobs.enqueue(session, kind="test.gated", payload={"folder": str(folder)}).id
        workers.start(2)
        first = wait_for(lambda: list(folder.glob("started-1-*")), "the first run", workers.logs)
        killed_pid = int(first[0].name.split("-")[2])
        with runtime.session() as session:
            running = session.get(Job, job_id)
            assert running is not None
            assert running.status == "running"
            assert jobs.status_of(running)["progress"] == {"done": 1, "total": 2, "percent": 50}
        victim = workers.kill_group_of(killed_pid)
        assert victim.returncode == -signal.SIGKILL
        (folder / "gate").write_text("open")
        wait_for(lambda: all_done(runtime, [job_id]), "the job re-run", workers.logs)
    finally:
        engine.deactivate()
    [job] = job_rows(runtime, [job_id])
    assert job.attempts == 2
    assert job.result is not None
    assert job.result["attempt"] == 2
    assert job.result["pid"] != killed_pid
    assert [path.name.split("-")[1] for path in sorted(folder.glob("started-*"))] == ["1", "2"]
    with runtime.session() as session:
        assert handlers.effects(session, job_id) == 1


def test_embedded_queue_of_circo_serve_runs_jobs_with_nothing_else(
    settings: Settings, runtime: Runtime, tmp_path: Path
) -> None:
    """No Redis: ``circo serve`` runs the jobs in its threads; a job queued by another process
    (here the test, like the CLI) is picked up by the server's sweeper."""
    embedded = settings.model_copy(update={"jobs_sweep_seconds": 0.3})
    with runtime.session() as session:
        campaign = make_campaign(session, slug="embedded")
        email = make_user(session, campaign=campaign, email="admin@example.org").email
        owner = campaign.id
    server = LiveServer(embedded, tmp_path / "server.log", **engine_env(embedded))
    server.start()
    try:
        with runtime.session() as session:
            job_id = jobs.enqueue(
                session,
                kind="privacy.retention",
                payload={"campaign_id": owner, "repeat": False},
                campaign_id=owner,
            ).id
        client = server.client()
        server.login(client, email, DEFAULT_PASSWORD)

        def finished() -> dict[str, Any] | None:
            shown: dict[str, Any] = client.get(f"/api/campaigns/embedded/jobs/{job_id}").json()
            return shown if shown["status"] in ("done", "failed") else None

        shown = wait_for(finished, "the embedded job", server.log)
    finally:
        server.kill()
    assert shown["status"] == "done", shown
    assert shown["result"] == {"deleted": {"embedded": 0}}
    assert shown["progress"] == {"done": 0, "total": 1, "percent": 0}
    assert (embedded.data_dir / "jobs-queue.db").exists()
    with runtime.session() as session:
        daily = session.scalars(select(Job).where(Job.kind == "privacy.retention")).all()
    assert len(daily) == 2  # ours, and the daily run the server's startup scheduled
    assert sorted(job.status for job in daily) == ["done", "queued"]
