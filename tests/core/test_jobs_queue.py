"""The job engine in one process, on the embedded queue (huey's SQLite file in the data dir):
hand-over after commit, retries scheduled by huey, the sweeper, the lease guard, and no lock
held while a handler computes. Deterministic: huey messages are executed by the test itself."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core import jobs
from circo.core.jobs.engine import JobEngine
from circo.core.models import Job
from circo.db import utcnow
from circo.runtime import Runtime
from tests.core import job_handlers_for_tests as handlers

FLAKY_FAILURES: dict[int, int] = {}
GATE = threading.Event()
STARTED = threading.Event()


def _flaky(session: Session, settings: Settings, job: Job) -> dict[str, Any]:
    if job.attempts <= job.payload["failures"]:
        raise RuntimeError(f"panne n° {job.attempts}")
    return handlers.record_effect(session, job)


def _blocking(session: Session, settings: Settings, job: Job) -> dict[str, Any]:
    STARTED.set()
    assert GATE.wait(60), "the test never opened the gate"
    return handlers.record_effect(session, job)


def _taken_over(session: Session, settings: Settings, job: Job) -> dict[str, Any]:
    """Another worker takes the job over (its lease expired) while this run is computing."""
    with session.get_bind().connect() as other:
        other.execute(update(Job).where(Job.id == job.id).values(attempts=Job.attempts + 1))
        other.commit()
    return handlers.record_effect(session, job)


handlers.register()
jobs.register_handler("test.flaky", _flaky)
jobs.register_handler("test.blocking", _blocking)
jobs.register_handler("test.taken_over", _taken_over)


@pytest.fixture
def engine(settings: Settings, runtime: Runtime) -> Iterator[JobEngine]:
    started = JobEngine(settings, runtime.factory)
    started.activate()
    yield started
    started.deactivate()


def run_next(engine: JobEngine) -> None:
    """Execute the next queued huey message here, as a worker would."""
    message = engine.huey.dequeue()
    assert message is not None
    engine.huey.execute(message)


def test_a_job_reaches_the_queue_only_when_its_row_is_committed(
    engine: JobEngine, runtime: Runtime
) -> None:
    with runtime.factory() as session:
        jobs.enqueue(session, kind="test.effect")
        session.rollback()
    assert engine.huey.pending_count() == 0
    with runtime.session() as session:
        job_id = jobs.enqueue(session, kind="test.effect").id
        jobs.enqueue(session, kind="test.effect", idempotency_key="deux")
        jobs.enqueue(session, kind="test.effect", idempotency_key="deux")  # the same job
        assert engine.huey.pending_count() == 0  # not before the commit (savepoints released)
    assert engine.huey.pending_count() == 2
    run_next(engine)
    run_next(engine)
    with runtime.session() as session:
        job = session.get(Job, job_id)
        assert job is not None
        assert (job.status, job.attempts) == ("done", 1)
        assert job.dispatched_at is not None
        assert handlers.effects(session, job_id) == 1


def test_failures_are_retried_by_huey_with_back_off_then_fail(
    engine: JobEngine, runtime: Runtime
) -> None:
    with runtime.session() as session:
        job_id = jobs.enqueue(
            session, kind="test.flaky", payload={"failures": 5}, max_attempts=2
        ).id
    run_next(engine)
    with runtime.session() as session:
        job = session.get(Job, job_id)
        assert job is not None
        assert (job.status, job.attempts, job.error) == ("queued", 1, "RuntimeError: panne n° 1")
        retry_at = job.run_after
    [scheduled] = engine.huey.scheduled()
    assert scheduled.args == (job_id,)
    assert abs((scheduled.eta.replace(tzinfo=retry_at.tzinfo) - retry_at).total_seconds()) < 1
    assert retry_at - utcnow() > timedelta(seconds=1)  # back-off: 2 s after the first failure
    with runtime.session() as session:  # time passes
        session.execute(update(Job).where(Job.id == job_id).values(run_after=utcnow()))
    later = scheduled.eta + timedelta(seconds=1)
    [due] = engine.huey.read_schedule(later)
    engine.huey.execute(due, timestamp=later)
    with runtime.session() as session:
        job = session.get(Job, job_id)
        assert job is not None
        assert (job.status, job.attempts, job.error) == ("failed", 2, "RuntimeError: panne n° 2")
        assert handlers.effects(session, job_id) == 0
    assert engine.huey.scheduled() == []


def test_a_delayed_job_waits_in_the_schedule(engine: JobEngine, runtime: Runtime) -> None:
    with runtime.session() as session:
        job_id = jobs.enqueue(session, kind="test.effect", delay_seconds=3600).id
    run_next(engine)  # a worker receives it too early: huey puts it in its schedule
    [scheduled] = engine.huey.scheduled()
    assert scheduled.args == (job_id,)
    assert scheduled.eta - utcnow().replace(tzinfo=None) > timedelta(minutes=59)
    with runtime.session() as session:
        job = session.get(Job, job_id)
        assert job is not None
        assert (job.status, job.attempts) == ("queued", 0)


def test_the_sweeper_hands_over_orphans_and_reruns_dead_workers_jobs(
    settings: Settings, runtime: Runtime
) -> None:
    with runtime.session() as session:  # queued by a process without a queue (the CLI)
        orphan = jobs.enqueue(session, kind="test.effect").id
        dead = jobs.enqueue(session, kind="test.effect")
        dead.status, dead.attempts, dead.worker = "running", 1, "ailleurs:42"
        dead.heartbeat_at = utcnow() - timedelta(minutes=5)
        dead_id = dead.id
    engine = JobEngine(settings, runtime.factory)
    engine.activate()
    try:
        assert engine.sweep() == 2
        assert engine.sweep() == 0  # handed over once
        run_next(engine)
        run_next(engine)
    finally:
        engine.deactivate()
    with runtime.session() as session:
        for job_id, attempts in ((orphan, 1), (dead_id, 2)):
            job = session.get(Job, job_id)
            assert job is not None
            assert (job.status, job.attempts) == ("done", attempts)
            assert handlers.effects(session, job_id) == 1


def test_a_run_that_lost_its_lease_writes_nothing(engine: JobEngine, runtime: Runtime) -> None:
    with runtime.session() as session:
        job_id = jobs.enqueue(session, kind="test.taken_over").id
    run_next(engine)
    with runtime.session() as session:
        job = session.get(Job, job_id)
        assert job is not None
        assert (job.status, job.attempts, job.result) == ("running", 2, None)
        assert handlers.effects(session, job_id) == 0  # the new owner's run will write it


def test_no_database_lock_is_held_while_a_handler_computes(
    engine: JobEngine, runtime: Runtime, settings: Settings
) -> None:
    """A page writing while a job computes does not wait for the job (issue #23)."""
    GATE.clear()
    STARTED.clear()
    with runtime.session() as session:
        job_id = jobs.enqueue(session, kind="test.blocking").id
    runner = threading.Thread(target=run_next, args=(engine,))
    runner.start()
    try:
        assert STARTED.wait(60)
        with runtime.session() as session:  # "a page": SQLite would refuse if the job held it
            other = jobs.enqueue(session, kind="test.effect")
            other.payload = {"written": "while the job computes"}
        with runtime.session() as session:
            running = session.get(Job, job_id)
            assert running is not None
            assert running.status == "running"
    finally:
        GATE.set()
        runner.join(60)
    with runtime.session() as session:
        done = session.get(Job, job_id)
        assert done is not None
        assert done.status == "done"


def test_status_of_shows_progress(runtime: Runtime) -> None:
    with runtime.session() as session:
        job = jobs.enqueue(session, kind="test.effect")
        job.progress_done, job.progress_total = 3, 4
        shown = jobs.status_of(job)
    assert shown["progress"] == {"done": 3, "total": 4, "percent": 75}
    assert shown["status"] == "queued"


def test_the_job_page_shows_the_progress_of_a_running_fit(
    runtime: Runtime, settings: Settings
) -> None:
    from fastapi.testclient import TestClient

    from circo.web.app import create_app
    from tests.factories import login, make_campaign, make_user

    with runtime.session() as session:
        campaign = make_campaign(session, slug="progres")
        make_user(session, campaign=campaign, email="data@example.org")
        job = jobs.enqueue(
            session,
            kind="targeting.transfers",
            payload={"from": "pres-2022:1", "to": "pres-2022:2", "territory": "com:69123"},
            campaign_id=campaign.id,
        )
        job.status, job.attempts, job.progress_done, job.progress_total = "running", 1, 1, 2
        job_id = job.id
    with TestClient(create_app(settings, runtime=runtime)) as client:
        login(client, "data@example.org")
        page = client.get(f"/c/progres/targeting/jobs/{job_id}")
        shown = client.get(f"/api/campaigns/progres/jobs/{job_id}").json()
    assert page.status_code == 200
    assert 'data-testid="job-progress"' in page.text
    assert '<progress value="1" max="2">' in page.text
    assert shown["progress"] == {"done": 1, "total": 2, "percent": 50}
    assert shown["status"] == "running"


@pytest.mark.parametrize(
    ("redis_url", "expected"),
    [
        ("http://127.0.0.1:6379", "CIRCO_REDIS_URL invalide : « http://127.0.0.1:6379 »"),
        ("redis://127.0.0.1:1/0", "file de travaux injoignable (redis)"),
    ],
)
def test_circo_worker_refuses_a_bad_or_unreachable_redis(
    cli_env: dict[str, str],
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    redis_url: str,
    expected: str,
) -> None:
    from typer.testing import CliRunner

    from circo.cli import app

    monkeypatch.setenv("CIRCO_REDIS_URL", redis_url)
    result = CliRunner().invoke(app, ["worker", "--workers", "1"], terminal_width=200)
    assert result.exit_code == 2, result.output
    assert expected in " ".join(result.output.split())
