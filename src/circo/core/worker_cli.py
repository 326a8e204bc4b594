"""``circo worker``: processes that run the background jobs (see `circo.core.jobs.engine`)."""

from __future__ import annotations

import logging
import os
from typing import Annotated

import typer

from circo.cli_common import DataDirOption, console, settings_for

WorkersOption = Annotated[
    int,
    typer.Option(
        "--workers",
        "-w",
        help="Nombre de processus de travail / number of worker processes.",
        min=1,
        max=64,
    ),
]


def worker(data_dir: DataDirOption = None, workers: WorkersOption = 2) -> None:
    """Exécuter les travaux en arrière-plan jusqu'à l'arrêt / run background jobs until stopped.

    Avec CIRCO_REDIS_URL : autant de `circo worker` que voulu, sur toute machine qui atteint Redis
    et la base. Sans : la file intégrée (fichier SQLite du dossier de données).
    """
    from circo.cli import register_job_handlers
    from circo.core.jobs.engine import JobEngine, run_worker
    from circo.runtime import open_runtime

    level = logging.DEBUG if os.environ.get("CIRCO_DEBUG") == "1" else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(message)s")
    register_job_handlers()
    settings = settings_for(data_dir)
    runtime = open_runtime(settings)
    try:
        engine = JobEngine(settings, runtime.factory)
        where = settings.redis_url or str(settings.data_dir / "jobs-queue.db")
        console.print(
            f"circo worker : {workers} processus, file « {settings.jobs_queue} » "
            f"({engine.backend} : {_hide_password(where)})  (Ctrl+C pour arrêter)",
            highlight=False,
        )
        run_worker(engine, workers=workers)
    finally:
        runtime.close()


def _hide_password(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
