"""Background jobs: a table-backed queue run in-process (embedded default) or by workers.

A job has a kind, a JSON payload, an optional idempotency key (enqueueing twice is a no-op), a
number of attempts with back-off, and a result or an error. Handlers register with `handler()`.
`run_pending()` claims due jobs one by one; `JobWorker` runs it in a thread for ``circo serve``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from circo.config import Settings
from circo.core.models import Job
from circo.db import session_scope, utcnow

logger = logging.getLogger(__name__)

JobHandler = Callable[[Session, Settings, Job], dict[str, Any] | None]
_HANDLERS: dict[str, JobHandler] = {}
_STARTUP: list[Callable[[Session], object]] = []


def install_handlers(
    handlers: Mapping[str, JobHandler], startup: Iterable[Callable[[Session], object]]
) -> None:
    """Install the domains' handlers and startup functions (called by
    `circo.domains.load_domains`; the manifest is the one list of them)."""
    _HANDLERS.update(handlers)
    for function in startup:
        if function not in _STARTUP:
            _STARTUP.append(function)


def register_handler(kind: str, function: JobHandler) -> None:
    """One more handler outside the manifest (tests)."""
    _HANDLERS[kind] = function


def run_startup(factory: sessionmaker[Session]) -> None:
    for function in _STARTUP:
        with session_scope(factory) as session:
            function(session)


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
    """Queue a job; with an idempotency key already used, return the existing job instead."""
    if idempotency_key:
        existing = session.scalar(select(Job).where(Job.idempotency_key == idempotency_key))
        if existing is not None:
            return existing
    job = Job(
        kind=kind,
        payload=payload or {},
        campaign_id=campaign_id,
        idempotency_key=idempotency_key,
        run_after=utcnow() + timedelta(seconds=delay_seconds),
        max_attempts=max_attempts,
    )
    session.add(job)
    session.flush()
    return job


def _claim(factory: sessionmaker[Session], kinds: set[str] | None) -> int | None:
    with session_scope(factory) as session:
        query = (
            select(Job.id)
            .where(Job.status == "queued", Job.run_after <= utcnow())
            .order_by(Job.run_after, Job.id)
            .limit(1)
        )
        if kinds:
            query = query.where(Job.kind.in_(kinds))
        job_id = session.scalar(query)
        if job_id is None:
            return None
        claimed = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "queued")
            .values(status="running", attempts=Job.attempts + 1, updated_at=utcnow())
        )
        return job_id if claimed.rowcount == 1 else None  # type: ignore[attr-defined]


def run_one(factory: sessionmaker[Session], settings: Settings, job_id: int) -> None:
    """Run a claimed job in its own transaction; on error, retry with back-off or fail."""
    try:
        with session_scope(factory) as session:
            job = session.get(Job, job_id)
            if job is None:
                return
            function = _HANDLERS.get(job.kind)
            if function is None:
                raise LookupError(f"aucun gestionnaire pour le travail « {job.kind} »")
            job.result = function(session, settings, job)
            job.status = "done"
            job.error = None
    except Exception as exc:
        logger.exception("job %s failed", job_id)
        with session_scope(factory) as session:
            job = session.get(Job, job_id)
            if job is None:
                return
            job.error = f"{type(exc).__name__}: {exc}"
            if job.attempts >= job.max_attempts:
                job.status = "failed"
            else:
                job.status = "queued"
                job.run_after = utcnow() + timedelta(seconds=2**job.attempts)


STALE_AFTER_MINUTES = 30


def recover_stale(
    factory: sessionmaker[Session], *, older_than_minutes: int = STALE_AFTER_MINUTES
) -> int:
    """Requeue jobs left "running" by a process that died (no update for a while).

    Handlers must be idempotent (they use idempotency keys per item), so running such a job
    again is safe; one that has used all its attempts is marked failed instead.
    """
    cutoff = utcnow() - timedelta(minutes=older_than_minutes)
    recovered = 0
    with session_scope(factory) as session:
        stale = session.scalars(
            select(Job).where(Job.status == "running", Job.updated_at < cutoff)
        ).all()
        for job in stale:
            job.error = "interrompu (processus arrêté) ; relancé"
            job.status = "queued" if job.attempts < job.max_attempts else "failed"
            recovered += 1
    return recovered


def run_pending(
    factory: sessionmaker[Session],
    settings: Settings,
    *,
    kinds: set[str] | None = None,
    limit: int | None = None,
) -> int:
    """Run due jobs until none is left (or ``limit`` ran); returns how many ran."""
    ran = 0
    while limit is None or ran < limit:
        job_id = _claim(factory, kinds)
        if job_id is None:
            break
        run_one(factory, settings, job_id)
        ran += 1
    return ran


class JobWorker:
    """Runs `run_pending` in a daemon thread, waking every ``interval`` seconds or on `notify`."""

    def __init__(
        self, factory: sessionmaker[Session], settings: Settings, interval: float = 5.0
    ) -> None:
        self.factory = factory
        self.settings = settings
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="circo-jobs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def notify(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        try:
            recover_stale(self.factory)
            run_startup(self.factory)
        except Exception:
            logger.exception("could not recover stale jobs or schedule startup jobs")
        while not self._stop.is_set():
            try:
                run_pending(self.factory, self.settings)
            except Exception:
                logger.exception("job runner error")
            self._wake.wait(self.interval)
            self._wake.clear()
