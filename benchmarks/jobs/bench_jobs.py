"""Throughput of the job engine: 1 000 mixed jobs through 1, 2 and 4 workers.

    .venv/bin/python benchmarks/jobs/bench_jobs.py [--jobs 1000] [--workers 1,2,4]
        [--backends redis,sqlite] [--redis-url redis://127.0.0.1:6379/0] [--database-url URL]

For each queue backend (huey over Redis; the embedded SQLite queue file) and each worker count,
a real ``circo worker --workers N`` process (N worker processes over Redis, N threads on the
embedded queue) is started on a fresh database, warmed up, then the jobs are queued in one
transaction (handed to the queue at its commit) and the clock runs until the last one is done
in the jobs table. The mix, a third each:

- ``bench.cpu``   — small CPU work (≈ 2 ms of arithmetic);
- ``bench.write`` — a small database write (one audit row, in the job's own transaction);
- ``bench.io``    — sleep-free I/O: write, fsync and read back 64 KiB in a temporary file.

A reference without any queue: the same jobs run one after the other by `run_pending` in this
process. Prints one JSON line per run and a Markdown table at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
KINDS = ("bench.cpu", "bench.write", "bench.io")


# --- the jobs -------------------------------------------------------------------------------


def cpu_job(session: Any, settings: Any, job: Any) -> dict[str, Any]:
    total = sum(index * index % 7 for index in range(40_000))
    return {"total": total}


def write_job(session: Any, settings: Any, job: Any) -> dict[str, Any]:
    from circo.core.models import AuditEvent

    session.add(AuditEvent(actor="bench", action="bench.write", target_id=str(job.id)))
    session.flush()
    return {"written": 1}


def io_job(session: Any, settings: Any, job: Any) -> dict[str, Any]:
    block = os.urandom(64 * 1024)
    with tempfile.NamedTemporaryFile(dir=settings.data_dir) as handle:
        handle.write(block)
        handle.flush()
        os.fsync(handle.fileno())
        handle.seek(0)
        digest = hashlib.sha256(handle.read()).hexdigest()
    return {"sha256": digest[:16]}


def register() -> None:
    from circo.core import jobs

    jobs.register_handler("bench.cpu", cpu_job)
    jobs.register_handler("bench.write", write_job)
    jobs.register_handler("bench.io", io_job)


# --- the runs -------------------------------------------------------------------------------


def fresh_settings(folder: Path, database_url: str | None, **update: Any) -> Any:
    from circo.config import Settings
    from circo.db import make_engine, upgrade

    data_dir = folder / f"data-{uuid.uuid4().hex[:8]}"
    data_dir.mkdir()
    url = database_url or f"sqlite:///{data_dir / 'circo.db'}"
    if database_url:  # a fresh PostgreSQL database per run
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        name = f"circo_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return Settings(
        env="test",
        data_dir=data_dir,
        database_url=url,
        secret_key="bench-secret-key-0123456789abcdef",
        jobs_queue=f"bench-{uuid.uuid4().hex[:8]}",
        **update,
    )


def queue_jobs(runtime: Any, count: int) -> list[int]:
    from circo.core import jobs

    with runtime.session() as session:
        return [jobs.enqueue(session, kind=KINDS[index % 3]).id for index in range(count)]


def wait_done(settings: Any, ids: list[int], deadline_seconds: float = 900) -> None:
    """Poll the jobs table until ``ids`` are finished. On SQLite through a plain autocommit
    connection: a read there takes no lock, where circo's sessions begin with BEGIN IMMEDIATE
    and polling with them would compete with the workers for the write lock."""
    first, last = min(ids), max(ids)
    query = (
        "SELECT count(*) FROM jobs WHERE id BETWEEN :first AND :last "
        "AND status IN ('done', 'failed')"
    )
    deadline = time.monotonic() + deadline_seconds
    if settings.is_sqlite:
        import sqlite3

        path = settings.effective_database_url.removeprefix("sqlite:///")
        connection = sqlite3.connect(path, isolation_level=None)

        def finished() -> int:
            return int(connection.execute(query, {"first": first, "last": last}).fetchone()[0])

    else:
        from sqlalchemy import create_engine, text

        engine = create_engine(settings.effective_database_url, isolation_level="AUTOCOMMIT")
        connection = engine.connect()

        def finished() -> int:
            return int(connection.execute(text(query), {"first": first, "last": last}).scalar())

    try:
        while (count := finished()) < len(ids):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{count}/{len(ids)} jobs done before the deadline")
            time.sleep(0.05)
    finally:
        connection.close()


def failed_count(runtime: Any) -> int:
    from sqlalchemy import func, select

    from circo.core.models import Job

    with runtime.session() as session:
        return int(
            session.scalar(select(func.count()).select_from(Job).where(Job.status == "failed")) or 0
        )


def worker_env(settings: Any) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CIRCO_")}
    env.update(
        CIRCO_ENV="test",
        CIRCO_DATA_DIR=str(settings.data_dir),
        CIRCO_DATABASE_URL=settings.effective_database_url,
        CIRCO_SECRET_KEY=settings.secret_key,
        CIRCO_JOBS_QUEUE=settings.jobs_queue,
    )
    if settings.redis_url:
        env["CIRCO_REDIS_URL"] = settings.redis_url
    return env


def through_workers(settings: Any, *, workers: int, count: int) -> dict[str, Any]:
    from circo.core.jobs.engine import JobEngine
    from circo.runtime import open_runtime

    runtime = open_runtime(settings)
    engine = JobEngine(settings, runtime.factory)
    engine.activate()
    log = (settings.data_dir / "worker.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, __file__, "worker", "--workers", str(workers)],
        cwd=ROOT,
        env=worker_env(settings),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_done(settings, queue_jobs(runtime, 4 * workers))  # warm-up: workers started
        started = time.perf_counter()
        ids = queue_jobs(runtime, count)
        wait_done(settings, ids)
        seconds = time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()
        engine.deactivate()
    failed = failed_count(runtime)
    runtime.close()
    drop_database(settings)
    return {"seconds": round(seconds, 2), "jobs_per_s": round(count / seconds, 1), "failed": failed}


def drop_database(settings: Any) -> None:
    if settings.is_sqlite:
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(settings.effective_database_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


def inline(settings: Any, *, count: int) -> dict[str, Any]:
    from circo.core.jobs import run_pending
    from circo.runtime import open_runtime

    runtime = open_runtime(settings)
    started = time.perf_counter()
    queue_jobs(runtime, count)
    ran = run_pending(runtime.factory, settings)
    seconds = time.perf_counter() - started
    failed = failed_count(runtime)
    runtime.close()
    drop_database(settings)
    assert ran == count
    return {"seconds": round(seconds, 2), "jobs_per_s": round(count / seconds, 1), "failed": failed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--backends", default="redis,sqlite")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--database-url", default=None, help="PostgreSQL admin URL (else SQLite)")
    args = parser.parse_args()
    os.environ["CIRCO_ENV"] = "test"
    register()
    database = "postgresql" if args.database_url else "sqlite"
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        settings = fresh_settings(Path(folder), args.database_url)
        rows.append(
            {"database": database, "queue": "none (run_pending)", "workers": 1}
            | inline(settings, count=args.jobs)
        )
        print(json.dumps(rows[-1]), flush=True)
        for backend in args.backends.split(","):
            for workers in [int(value) for value in args.workers.split(",")]:
                redis_url = args.redis_url if backend == "redis" else None
                settings = fresh_settings(Path(folder), args.database_url, redis_url=redis_url)
                figures = through_workers(settings, workers=workers, count=args.jobs)
                kind = "processes" if backend == "redis" else "threads"
                rows.append(
                    {"database": database, "queue": backend, "workers": f"{workers} {kind}"}
                    | figures
                )
                print(json.dumps(rows[-1]), flush=True)
    print("\n| database | queue | workers | seconds | jobs/s | failed |\n|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['database']} | {row['queue']} | {row['workers']} | {row['seconds']} "
            f"| {row['jobs_per_s']} | {row['failed']} |"
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["worker"]:  # a `circo worker` that also knows the benchmark's jobs
        register()
        from circo.cli import main as circo_main

        circo_main()
    else:
        main()
