"""The ``jobs`` table: the durable record of every job, which pages and the API read.

Every write here is one short transaction. "Done once" is enforced by the database: a run first
*claims* its job (``queued`` → ``running``, ``attempts`` + 1, in one conditional UPDATE), and the
run's result is written by an UPDATE guarded by that attempt number, in the handler's own
transaction — a run whose lease was taken over (worker presumed dead) cannot write a second time.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from circo.core.jobs import dispatch
from circo.core.models import Job
from circo.db import session_scope, utcnow

DEFAULT_LEASE_SECONDS = 60.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def _rowcount(result: Any) -> int:
    return int(result.rowcount) if isinstance(result, CursorResult) else 0


def enqueue(
    session: Session,
    *,
    kind: str,
    payload: dict[str, Any] | None = None,
    campaign_id: int | None = None,
    idempotency_key: str | None = None,
    delay_seconds: float = 0,
    max_attempts: int = 3,
) -> Job:
    """Queue a job; with an idempotency key already used, return the existing job instead.

    The job reaches the queue when ``session`` commits (see `circo.core.jobs.dispatch`).
    """
    if idempotency_key:
        existing = session.scalar(select(Job).where(Job.idempotency_key == idempotency_key))
        if existing is not None:
            return existing
    dispatcher = dispatch.dispatcher_for(session)
    now = utcnow()
    job = Job(
        kind=kind,
        payload=payload or {},
        campaign_id=campaign_id,
        idempotency_key=idempotency_key,
        run_after=now + timedelta(seconds=delay_seconds),
        max_attempts=max_attempts,
        dispatched_at=now if dispatcher is not None else None,
    )
    try:
        with session.begin_nested():
            session.add(job)
            session.flush()
    except IntegrityError:
        # Another transaction queued the same key at the same moment: the database kept one.
        existing = session.scalar(select(Job).where(Job.idempotency_key == idempotency_key))
        if idempotency_key and existing is not None:
            return existing
        raise
    if dispatcher is not None:
        dispatch.after_commit(session, job.id, job.run_after)
    return job


def claim(factory: sessionmaker[Session], job_id: int) -> int | None:
    """Take a queued, due job for this process; its attempt number, or None if not ours."""
    now = utcnow()
    with session_scope(factory) as session:
        claimed = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "queued", Job.run_after <= now)
            .values(
                status="running",
                attempts=Job.attempts + 1,
                heartbeat_at=now,
                worker=worker_name(),
                progress_done=None,
                progress_total=None,
                updated_at=now,
            )
            .returning(Job.attempts)
        ).scalar()
    return int(claimed) if claimed is not None else None


def next_due(factory: sessionmaker[Session], kinds: set[str] | None) -> list[int]:
    """Ids of due queued jobs, oldest first (a few, for `run_pending`)."""
    with session_scope(factory) as session:
        query = (
            select(Job.id)
            .where(Job.status == "queued", Job.run_after <= utcnow())
            .order_by(Job.run_after, Job.id)
            .limit(20)
        )
        if kinds:
            query = query.where(Job.kind.in_(kinds))
        return list(session.scalars(query))


def finish(session: Session, job_id: int, attempt: int, result: dict[str, Any] | None) -> bool:
    """Mark the run done with its result, in the handler's transaction; False if the lease was
    lost (another run owns the job now: the caller rolls back)."""
    done = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == "running", Job.attempts == attempt)
        .values(status="done", result=result, error=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return _rowcount(done) == 1


def fail(
    factory: sessionmaker[Session],
    job_id: int,
    attempt: int,
    error: str,
    *,
    permanent: bool = False,
) -> float | None:
    """Record a failed run: requeue with back-off (returns the delay in seconds) while attempts
    remain and the failure is not ``permanent``, else mark it failed (returns None)."""
    with session_scope(factory) as session:
        job = session.get(Job, job_id)
        if job is None or job.status != "running" or job.attempts != attempt:
            return None
        job.error = error[:4000]
        if permanent or job.attempts >= job.max_attempts:
            job.status = "failed"
            return None
        delay = float(2**job.attempts)
        job.status = "queued"
        job.run_after = utcnow() + timedelta(seconds=delay)
        job.dispatched_at = utcnow()  # the queue retries it itself (scheduled with the delay)
        return delay


def heartbeat(factory: sessionmaker[Session], claims: dict[int, int]) -> None:
    """Refresh the lease of the runs ``{job_id: attempt}`` this process is running."""
    if not claims:
        return
    now = utcnow()
    with session_scope(factory) as session:
        for job_id, attempt in claims.items():
            session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == "running", Job.attempts == attempt)
                .values(heartbeat_at=now)
                .execution_options(synchronize_session=False)
            )


def set_progress(
    factory: sessionmaker[Session], job_id: int, attempt: int, done: int, total: int | None
) -> None:
    with session_scope(factory) as session:
        set_progress_in(session, job_id, attempt, done, total)


def set_progress_in(
    session: Session, job_id: int, attempt: int, done: int, total: int | None
) -> None:
    session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == "running", Job.attempts == attempt)
        .values(progress_done=done, progress_total=total, heartbeat_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def recover_stale(
    factory: sessionmaker[Session], *, lease_seconds: float = DEFAULT_LEASE_SECONDS
) -> int:
    """Requeue jobs left "running" by a worker that stopped sending heartbeats (killed).

    The run that died wrote nothing (its result is written with the "done" mark, in one
    transaction), so running the job again is safe; handlers with outside effects (mail, SMS)
    keep their own per-item guards. A job that has used all its attempts is marked failed.
    """
    cutoff = utcnow() - timedelta(seconds=lease_seconds)
    recovered = 0
    with session_scope(factory) as session:
        stale = session.scalars(
            select(Job).where(
                Job.status == "running",
                or_(
                    Job.heartbeat_at < cutoff,
                    Job.heartbeat_at.is_(None) & (Job.updated_at < cutoff),
                ),
            )
        ).all()
        for job in stale:
            job.error = f"interrompu (travailleur {job.worker or '?'} arrêté) ; relancé"
            job.status = "queued" if job.attempts < job.max_attempts else "failed"
            job.dispatched_at = None  # for the sweeper to hand it over again
            recovered += 1
    return recovered


def take_undispatched(
    factory: sessionmaker[Session], *, redispatch_after: float, limit: int = 500
) -> list[tuple[int, datetime]]:
    """Queued jobs to hand to the queue: never handed over (queued by a process without a queue,
    or recovered), or due for a while and still queued (their message was lost)."""
    now = utcnow()
    long_ago = now - timedelta(seconds=redispatch_after)
    condition = or_(
        Job.dispatched_at.is_(None),
        (Job.run_after < long_ago) & (Job.dispatched_at < long_ago),
    )
    with session_scope(factory) as session:
        ids = list(
            session.scalars(
                select(Job.id)
                .where(Job.status == "queued", condition)
                .order_by(Job.id)
                .limit(limit)
            )
        )
        if not ids:
            return []
        rows = session.execute(
            update(Job)
            .where(Job.id.in_(ids), Job.status == "queued", condition)
            .values(dispatched_at=now)
            .returning(Job.id, Job.run_after)
            .execution_options(synchronize_session=False)
        ).all()
    return [(int(job_id), run_after) for job_id, run_after in rows]


def status_of(job: Job) -> dict[str, Any]:
    """What a page or the API shows of a job: status, attempts, progress, error."""
    progress = None
    if job.progress_done is not None:
        total = job.progress_total
        percent = round(100 * job.progress_done / total) if total else None
        progress = {"done": job.progress_done, "total": total, "percent": percent}
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "progress": progress,
        "error": job.error,
        "worker": job.worker,
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "updated_at": job.updated_at.isoformat() if job.updated_at else None,
    }


def get_campaign_job(session: Session, *, campaign_id: int, job_id: int) -> Job:
    """A job of this campaign; another campaign's job (or an instance-wide one) is 404."""
    from circo.errors import NotFound

    job = session.get(Job, job_id)
    if job is None or job.campaign_id != campaign_id:
        raise NotFound(f"travail n° {job_id} introuvable dans cette campagne", loc="job_id")
    return job
