"""Running one job: claim it, run its handler, write its result in one quick step.

`run_one` is what every runner calls — a huey worker (`circo.core.jobs.engine`), ``circo jobs
run`` and the CLI commands that wait for their own jobs (`run_pending`). While a run is in
flight a heartbeat thread of the process refreshes its lease; `report_progress` lets a handler
show how far it got.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, object_session, sessionmaker

from circo.config import Settings
from circo.core import instance
from circo.core.jobs import registry, store
from circo.core.models import Job
from circo.db import session_scope, write_intent

logger = logging.getLogger(__name__)


class JobRefused(Exception):
    """Raised by a handler for a failure no retry can fix (an invalid file, a missing input):
    the job is marked failed at once, its message — French, naming the line or field — kept
    as the job's error for the page."""


@dataclass(frozen=True)
class Outcome:
    """What became of a run: ``ran`` (we owned it), ``done``, and the retry delay if requeued."""

    ran: bool
    done: bool = False
    retry_in: float | None = None


@dataclass
class _Flight:
    factory: sessionmaker[Session]
    attempt: int
    interval: float


class _Heartbeat:
    """One thread per process refreshing the lease of the runs in flight."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.flights: dict[int, _Flight] = {}
        self.pid = 0
        self.wake = threading.Event()

    def add(self, job_id: int, flight: _Flight) -> None:
        with self.lock:
            self.flights[job_id] = flight
            if self.pid != os.getpid():  # first run in this (possibly forked) process
                self.pid = os.getpid()
                threading.Thread(target=self._loop, name="circo-heartbeat", daemon=True).start()

    def remove(self, job_id: int) -> None:
        with self.lock:
            self.flights.pop(job_id, None)

    def get(self, job_id: int) -> _Flight | None:
        with self.lock:
            return self.flights.get(job_id)

    def _loop(self) -> None:
        while True:
            with self.lock:
                flights = dict(self.flights)
            interval = min((flight.interval for flight in flights.values()), default=5.0)
            self.wake.wait(interval)
            by_factory: dict[int, tuple[sessionmaker[Session], dict[int, int]]] = {}
            for job_id, flight in flights.items():
                entry = by_factory.setdefault(id(flight.factory), (flight.factory, {}))
                entry[1][job_id] = flight.attempt
            for factory, claims in by_factory.values():
                try:
                    store.heartbeat(factory, claims)
                except Exception:
                    logger.exception("job heartbeat failed")


_HEARTBEAT = _Heartbeat()
ProgressWatcher = Callable[[int, int | None], None]
_WATCHERS: dict[int, ProgressWatcher] = {}
_RERAISE: set[int] = set()  # jobs run by `run_here(reraise=True)`: errors go to the caller too


def report_progress(job: Job, done: int, total: int | None = None) -> None:
    """Record that ``done`` of ``total`` steps of ``job`` are done (a short write of its own,
    outside the handler's transaction); pages and the API show it while the job runs."""
    watcher = _WATCHERS.get(job.id)
    if watcher is not None:  # a process waiting for its own job (the CLI's progress bar)
        watcher(done, total)
    flight = _HEARTBEAT.get(job.id)
    if flight is None:  # not run by a runner (a handler called directly): nothing to show
        return
    session = object_session(job)
    if (
        session is not None
        and session.in_transaction()
        and session.get_bind().dialect.name == "sqlite"
    ):
        # SQLite has one writer and the handler's open transaction holds it: write there
        # (shown at its commit) rather than wait for ourselves.
        store.set_progress_in(session, job.id, flight.attempt, done, total)
        return
    store.set_progress(flight.factory, job.id, flight.attempt, done, total)


def run_one(factory: sessionmaker[Session], settings: Settings, job_id: int) -> Outcome:
    """Claim ``job_id`` and run it; a job not queued or not due is left alone (``ran`` False).

    The handler gets a session whose transaction starts at its first query: it reads, may
    commit to end a read (SQLite holds its write lock for a whole transaction), computes, then
    writes; its writes and the "done" mark are committed together, and only if this run still
    holds the job's lease.
    """
    attempt = store.claim(factory, job_id)
    if attempt is None:
        logger.debug("job %s not claimed (not queued or not due)", job_id)
        return Outcome(ran=False)
    interval = max(0.2, settings.jobs_lease_seconds / 4)
    _HEARTBEAT.add(job_id, _Flight(factory, attempt, interval))
    try:
        return _run_claimed(factory, settings, job_id, attempt)
    finally:
        _HEARTBEAT.remove(job_id)


def _run_claimed(
    factory: sessionmaker[Session], settings: Settings, job_id: int, attempt: int
) -> Outcome:
    try:
        with session_scope(factory) as session:
            with write_intent(False):  # a read: on SQLite it takes no write lock
                job = session.get(Job, job_id)
                if job is None:
                    return Outcome(ran=True)
                # settings saved on the settings page (public URL, SMTP…) apply to jobs too
                job_settings = instance.effective(session, settings)
                session.commit()  # end the read: no transaction open while the handler computes
            function = registry.handler_for(job.kind)
            if function is None:
                raise LookupError(f"aucun gestionnaire pour le travail « {job.kind} »")
            result = function(session, job_settings, job)
            if not store.finish(session, job_id, attempt, result):
                logger.warning("job %s: lease lost, result of attempt %s dropped", job_id, attempt)
                session.rollback()
                return Outcome(ran=True)
        return Outcome(ran=True, done=True)
    except JobRefused as exc:
        logger.info("job %s refused: %s", job_id, exc)
        store.fail(factory, job_id, attempt, str(exc), permanent=True)
        if job_id in _RERAISE:  # the caller reports the handler's own error (its location)
            raise exc.__cause__ if isinstance(exc.__cause__, Exception) else exc from None
        return Outcome(ran=True)
    except Exception as exc:
        if job_id in _RERAISE:
            store.fail(factory, job_id, attempt, f"{type(exc).__name__}: {exc}")
            raise
        logger.exception("job %s failed", job_id)
        delay = store.fail(factory, job_id, attempt, f"{type(exc).__name__}: {exc}")
        return Outcome(ran=True, retry_in=delay)


def run_here(
    factory: sessionmaker[Session],
    settings: Settings,
    job_id: int,
    *,
    on_progress: ProgressWatcher | None = None,
    reraise: bool = False,
) -> Job:
    """Run the committed job ``job_id`` in this process now and return its row (detached).

    For the command line, which wants the answer: the job goes through the same handler,
    claim and "done" mark as on a worker. ``on_progress(done, total)`` sees its progress. With
    ``reraise`` a failure is recorded on the job and the handler's exception raised here (the
    command prints its usual one-line error). If another worker took the job first, the row is
    returned as it is (queued or running)."""
    if on_progress is not None:
        _WATCHERS[job_id] = on_progress
    if reraise:
        _RERAISE.add(job_id)
    try:
        run_one(factory, settings, job_id)
    finally:
        _WATCHERS.pop(job_id, None)
        _RERAISE.discard(job_id)
    with session_scope(factory) as session:
        job = session.get(Job, job_id)
        if job is None:
            raise LookupError(f"travail n° {job_id} introuvable")
        session.expunge(job)
    return job


def run_pending(
    factory: sessionmaker[Session],
    settings: Settings,
    *,
    kinds: set[str] | None = None,
    limit: int | None = None,
) -> int:
    """Run due jobs in this process until none is left (or ``limit`` ran); how many ran."""
    ran = 0
    while limit is None or ran < limit:
        candidates = store.next_due(factory, kinds)
        if not candidates:
            break
        progressed = False
        for job_id in candidates:
            if limit is not None and ran >= limit:
                break
            if run_one(factory, settings, job_id).ran:
                ran += 1
                progressed = True
        if not progressed:
            break
    return ran


def run_startup(factory: sessionmaker[Session]) -> None:
    """Run the registered startup functions, each in its own transaction."""
    for function in registry.startup_functions():
        with session_scope(factory) as session:
            function(session)
