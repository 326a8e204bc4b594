"""`circo serve` with several worker processes (``CIRCO_WEB_WORKERS`` > 1).

Python runs one thread at a time per process: past one busy core, more throughput needs more
processes. Uvicorn's supervisor starts ``web_workers`` processes sharing the listening socket;
each builds the app with `worker_app` from the same environment (settings come from
``CIRCO_*`` variables; the data dir given on the command line is passed on). The schema is
checked once, by the supervisor, before the workers start. Background jobs run in the
supervisor (one job worker for the instance, not one per process); each web worker hands the
jobs it queued to the queue after their commit — Redis, or the embedded SQLite queue file the
supervisor's consumer polls (at most one second) — so nothing waits for the sweeper.
"""

from __future__ import annotations

import os
from typing import Any

import uvicorn
from fastapi import FastAPI

from circo.config import load_settings
from circo.core.jobs import JobWorker
from circo.runtime import Runtime, open_runtime


def worker_app() -> FastAPI:
    """The app of one worker process (uvicorn factory)."""
    from circo.web.app import create_app

    settings = load_settings()
    return create_app(settings, runtime=open_runtime(settings), dispatch_jobs=True)


def serve_workers(runtime: Runtime, **options: Any) -> None:
    """Serve with ``runtime.settings.web_workers`` processes; jobs run in this process.
    ``options`` are uvicorn's (host, port, proxy headers…), as for one process."""
    settings = runtime.settings
    os.environ["CIRCO_DATA_DIR"] = str(settings.data_dir)
    worker = JobWorker(runtime.factory, settings)
    worker.start()
    try:
        uvicorn.run(
            "circo.web.serving:worker_app",
            factory=True,
            workers=settings.web_workers,
            **options,
        )
    finally:
        worker.stop()
        runtime.close()
