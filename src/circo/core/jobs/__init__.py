"""Background jobs: huey carries them, the ``jobs`` table records them.

A job has a kind, a JSON payload, an optional idempotency key (queueing twice returns the same
job), attempts with back-off, progress, and a result or an error — all in the ``jobs`` table,
which pages and the API read. `enqueue` writes the row; once the session commits, the job id is
handed to huey (Redis with ``CIRCO_REDIS_URL``, else a SQLite file in the data dir), whose
workers (``circo worker``, or threads of ``circo serve``) run it through `run_one`.

Handlers are installed by the domains manifest (`circo.domains`); tests may add their own with
``register_handler(kind, function)`` and ``register_startup(function)``.
"""

from typing import TYPE_CHECKING

from circo.core.jobs.registry import _STARTUP as _STARTUP
from circo.core.jobs.registry import (
    JobHandler,
    install_handlers,
    register_handler,
    register_startup,
    registered_kinds,
)
from circo.core.jobs.runner import (
    JobRefused,
    Outcome,
    report_progress,
    run_here,
    run_one,
    run_pending,
    run_startup,
)
from circo.core.jobs.store import enqueue, recover_stale, status_of

if TYPE_CHECKING:
    from circo.core.jobs.engine import JobWorker

__all__ = [
    "JobHandler",
    "JobRefused",
    "JobWorker",
    "Outcome",
    "enqueue",
    "install_handlers",
    "recover_stale",
    "register_handler",
    "register_startup",
    "registered_kinds",
    "report_progress",
    "run_here",
    "run_one",
    "run_pending",
    "run_startup",
    "status_of",
]


def __getattr__(name: str) -> object:
    # The engine imports huey and redis: only processes that run a queue pay for it.
    if name == "JobWorker":
        from circo.core.jobs.engine import JobWorker

        return JobWorker
    raise AttributeError(name)
