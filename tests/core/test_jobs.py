from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core import jobs
from circo.core.models import Job
from circo.runtime import Runtime

CALLS: list[int] = []


@jobs.handler("test.echo")
def _echo(session: Session, settings: Settings, job: Job) -> dict[str, Any]:
    CALLS.append(job.payload["n"])
    if job.payload.get("fail_until", 0) >= job.attempts:
        raise RuntimeError("not yet")
    return {"echo": job.payload["n"]}


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
