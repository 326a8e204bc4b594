"""The queue and its workers: huey, over Redis (``CIRCO_REDIS_URL``) or a SQLite file.

huey carries job ids from the process that queued them to the workers, keeps delayed jobs and
retries in its schedule (`huey.RetryTask` with the back-off of the jobs table), and runs the
worker threads or processes (`huey.consumer.Consumer`). The ``jobs`` table stays the record of
each job (`circo.core.jobs.store`); a sweeper thread in each consumer requeues the runs of dead
workers and hands over jobs queued by processes that have no queue.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import threading
from datetime import datetime
from typing import Any

from huey import RedisHuey, RetryTask, SqliteHuey
from huey.api import Huey, TaskWrapper
from huey.consumer import Consumer
from sqlalchemy.orm import Session, sessionmaker

from circo.config import Settings
from circo.core.jobs import dispatch, runner, store
from circo.db import utcnow
from circo.errors import ConfigError

logger = logging.getLogger(__name__)

QUEUE_FILE = "jobs-queue.db"

# What the huey task runs with in this process (set by `JobEngine.activate`, inherited by the
# worker processes huey forks).
_ACTIVE: dict[str, Any] = {}


def _run_job(job_id: int) -> None:
    """The one huey task: run the job ``job_id`` of the jobs table."""
    factory: sessionmaker[Session] = _ACTIVE["factory"]
    settings: Settings = _ACTIVE["settings"]
    outcome = runner.run_one(factory, settings, job_id)
    if outcome.retry_in is not None:
        raise RetryTask(delay=outcome.retry_in)


def make_huey(settings: Settings) -> Huey:
    """RedisHuey when ``CIRCO_REDIS_URL`` is set, else SqliteHuey in the data dir."""
    name = settings.jobs_queue
    if settings.redis_url:
        try:
            return RedisHuey(name, url=settings.redis_url, results=False, utc=True)
        except ValueError as exc:
            raise ConfigError(
                f"CIRCO_REDIS_URL invalide : « {settings.redis_url} » ({exc}). "
                "Exemple : redis://127.0.0.1:6379/0",
                loc="CIRCO_REDIS_URL",
            ) from exc
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(
        name, filename=str(settings.data_dir / QUEUE_FILE), results=False, utc=True, timeout=30
    )


class JobEngine:
    """A queue for one database: dispatches committed jobs and runs consumers."""

    def __init__(self, settings: Settings, factory: sessionmaker[Session]) -> None:
        self.settings = settings
        self.factory = factory
        self.huey = make_huey(settings)
        self.task: TaskWrapper = self.huey.task(name="circo.run_job")(_run_job)
        self.backend = "redis" if settings.redis_url else "sqlite"

    def dispatch(self, job_id: int, run_after: datetime) -> None:
        """Send ``job_id`` to the queue, to run at ``run_after`` (huey's schedule if later)."""
        if run_after > utcnow():
            self.task.schedule(args=(job_id,), eta=run_after)
        else:
            self.task(job_id)

    def activate(self) -> None:
        """Make this process dispatch committed jobs and run them with this engine."""
        dispatch.install(self.settings.effective_database_url, self.dispatch)
        _ACTIVE.update(factory=self.factory, settings=self.settings)

    def deactivate(self) -> None:
        dispatch.uninstall(self.settings.effective_database_url)

    def check_queue(self) -> None:
        """Reach the queue once; a clear error if Redis does not answer."""
        try:
            self.huey.storage.queue_size()
        except Exception as exc:
            raise ConfigError(
                f"file de travaux injoignable ({self.backend}) : {exc}. Vérifiez CIRCO_REDIS_URL "
                "et que le serveur Redis est démarré.",
                loc="CIRCO_REDIS_URL",
            ) from exc

    def sweep(self) -> int:
        """Requeue dead workers' runs, hand over what was never handed over; how many sent."""
        store.recover_stale(self.factory, lease_seconds=self.settings.jobs_lease_seconds)
        sent = 0
        redispatch_after = max(
            self.settings.jobs_lease_seconds, 4 * self.settings.jobs_sweep_seconds
        )
        for job_id, run_after in store.take_undispatched(
            self.factory, redispatch_after=redispatch_after
        ):
            self.dispatch(job_id, run_after)
            sent += 1
        return sent


class Sweeper:
    """Runs `JobEngine.sweep` every ``CIRCO_JOBS_SWEEP_SECONDS`` in a thread."""

    def __init__(self, engine: JobEngine) -> None:
        self.engine = engine
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="circo-jobs-sweeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def notify(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.engine.sweep()
            except Exception:
                logger.exception("job sweeper error")
            self._wake.wait(self.engine.settings.jobs_sweep_seconds)
            self._wake.clear()


class EmbeddedConsumer(Consumer):
    """A huey consumer inside another program (``circo serve``): leaves its signals alone."""

    def _set_signal_handlers(self) -> None:
        return None


def _start_consumers(engine: JobEngine) -> Sweeper:
    try:
        runner.run_startup(engine.factory)
    except Exception:
        logger.exception("could not run the job startup functions")
    sweeper = Sweeper(engine)
    sweeper.start()
    return sweeper


class JobWorker:
    """The job engine of ``circo serve``.

    With the embedded queue (no ``CIRCO_REDIS_URL``) it runs ``CIRCO_JOBS_THREADS`` huey worker
    threads and a sweeper in the server process; with Redis it only dispatches, and
    ``circo worker`` processes run the jobs. With ``consume=False`` (the web processes of
    ``CIRCO_WEB_WORKERS`` > 1) it only dispatches, to Redis or to the embedded queue's file,
    whose consumer runs in the supervisor.
    """

    def __init__(
        self, factory: sessionmaker[Session], settings: Settings, *, consume: bool = True
    ) -> None:
        self.engine = JobEngine(settings, factory)
        self.consume = consume
        self.consumer: EmbeddedConsumer | None = None
        self.sweeper: Sweeper | None = None

    def start(self) -> None:
        self.engine.activate()
        if self.engine.backend == "redis" or not self.consume:
            # Dispatch only: committed jobs go to the queue (Redis, or the shared SQLite queue
            # file that the consumer of the supervisor polls at least every second).
            return
        self.sweeper = _start_consumers(self.engine)
        self.consumer = EmbeddedConsumer(
            self.engine.huey,
            workers=self.engine.settings.jobs_threads,
            worker_type="thread",
            periodic=False,
            max_delay=1.0,
        )
        self.consumer.start()

    def notify(self) -> None:
        """Hand over what was queued without a dispatcher, now rather than at the next sweep."""
        if self.sweeper is not None:
            self.sweeper.notify()

    def stop(self) -> None:
        self.engine.deactivate()
        if self.consumer is not None:
            self.consumer.stop(graceful=False)
        if self.sweeper is not None:
            self.sweeper.stop()


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Linux: a forked worker process is killed when its ``circo worker`` parent dies."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


_PROCESS_SWEEPER: dict[int, Sweeper] = {}


def _sweep_in_this_process(engine: JobEngine) -> None:
    """Start one sweeper per worker process (huey calls this in each worker at start)."""
    if os.getpid() not in _PROCESS_SWEEPER:
        _PROCESS_SWEEPER[os.getpid()] = sweeper = Sweeper(engine)
        sweeper.start()


def run_worker(engine: JobEngine, *, workers: int) -> None:
    """``circo worker``: ``workers`` huey workers and their sweepers, until SIGINT/SIGTERM.

    Over Redis the workers are processes (forked by huey; CPU-bound fits use every core), and
    no database connection is open in the parent when it forks: SQLite keeps its locks per
    process, and a child that inherits a connection caught mid-transaction would find the
    database locked forever. With the embedded SQLite queue they are threads, for the same
    reason (huey's scheduler thread holds the queue file while it forks).
    """
    engine.check_queue()
    engine.activate()
    runner.run_startup(engine.factory)
    sql_engine = engine.factory.kw.get("bind")
    if sql_engine is not None:
        sql_engine.dispose()
    forks = engine.backend == "redis"
    parent = os.getpid()

    @engine.huey.on_startup()
    def _worker_started() -> None:
        if os.getpid() != parent:
            _die_with_parent()
            if sql_engine is not None:
                sql_engine.dispose(close=False)  # never use the parent's connections
        _sweep_in_this_process(engine)

    consumer = engine.huey.create_consumer(
        workers=workers,
        worker_type="process" if forks else "thread",
        periodic=False,
        max_delay=1.0,
        health_check_interval=2,
        graceful_signal="TERM",
        shutdown_timeout=30,
    )
    try:
        consumer.run()
    finally:
        engine.deactivate()
