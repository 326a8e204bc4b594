from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core import jobs
from circo.core.models import Job
from circo.runtime import Runtime

CALLS: list[int] = []


def _echo(session: Session, settings: Settings, job: Job) -> dict[str, Any]:
    CALLS.append(job.payload["n"])
    if job.payload.get("fail_until", 0) >= job.attempts:
        raise RuntimeError("not yet")
    return {"echo": job.payload["n"]}


jobs.register_handler("test.echo", _echo)


def test_jobs_run_once_idempotent_and_retry(runtime: Runtime) -> None:
    CALLS.clear()
    with runtime.session() as session:
        first = jobs.enqueue(session, kind="test.echo", payload={"n": 1}, idempotency_key="k1")
        again = jobs.enqueue(session, kind="test.echo", payload={"n": 1}, idempotency_key="k1")
        assert first.id == again.id
        flaky = jobs.enqueue(session, kind="test.echo", payload={"n": 2, "fail_until": 1})
        flaky_id = flaky.id
    assert jobs.run_pending(runtime.factory, runtime.settings) == 2
    assert jobs.run_pending(runtime.factory, runtime.settings) == 0  # flaky waits for back-off
    with runtime.session() as session:
        done = session.get(Job, first.id)
        retrying = session.get(Job, flaky_id)
        assert done is not None
        assert done.status == "done"
        assert done.result == {"echo": 1}
        assert retrying is not None
        assert retrying.status == "queued"
        assert retrying.attempts == 1
        assert "not yet" in (retrying.error or "")
    assert CALLS == [1, 2]


def test_stale_running_jobs_are_recovered(runtime: Runtime) -> None:
    from datetime import timedelta

    from circo.db import utcnow

    CALLS.clear()
    with runtime.session() as session:
        job = jobs.enqueue(session, kind="test.echo", payload={"n": 7})
        job.status = "running"
        job.attempts = 1
        job.updated_at = utcnow() - timedelta(hours=2)
        fresh = jobs.enqueue(session, kind="test.echo", payload={"n": 8})
        fresh.status = "running"
        job_id, fresh_id = job.id, fresh.id
    assert jobs.recover_stale(runtime.factory) == 1
    assert jobs.run_pending(runtime.factory, runtime.settings) == 1
    with runtime.session() as session:
        recovered = session.get(Job, job_id)
        untouched = session.get(Job, fresh_id)
        assert recovered is not None
        assert recovered.status == "done"
        assert untouched is not None
        assert untouched.status == "running"  # a live worker may still own it
    assert CALLS == [7]


def test_worker_start_runs_startup_hooks(runtime: Runtime) -> None:
    import circo.privacy.retention  # noqa: F401  (registers the daily retention job)

    jobs.run_startup(runtime.factory)
    jobs.run_startup(runtime.factory)  # idempotent: one job per day
    with runtime.session() as session:
        from sqlalchemy import func, select

        queued = session.scalar(
            select(func.count()).select_from(Job).where(Job.kind == "privacy.retention")
        )
    assert queued == 1
