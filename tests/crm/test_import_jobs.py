"""The contacts import through the job engine with real processes: a ``circo serve`` that only
queues (Redis) and two ``circo worker`` processes that run the import, including a worker
SIGKILLed in the middle of it (both database backends)."""

from __future__ import annotations

import signal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.models import Job
from circo.crm.models import Contact, ImportBatch
from circo.runtime import Runtime
from tests.core import test_jobs_engine as engine_tests
from tests.core.test_jobs_engine import Workers, engine_env, wait_for
from tests.factories import DEFAULT_PASSWORD, make_two_campaigns
from tests.server import LiveServer

# The Redis fixtures of the engine tests (a queue per test, `circo worker` subprocesses).
redis_url = engine_tests.redis_url
redis_settings = engine_tests.redis_settings
workers = engine_tests.workers

MAPPING = '{"Prénom": "first_name", "Nom": "last_name", "Email": "email", "Tél": "phone"}'


def _csv(count: int) -> bytes:
    rows = "\n".join(
        f"Prénom{i};Nom{i};p{i}@example.org;"
        f"06 12 {i // 10000:02d} {i // 100 % 100:02d} {i % 100:02d}"
        for i in range(count)
    )
    return f"Prénom;Nom;Email;Tél\n{rows}\n".encode()


def _queue_import(server: LiveServer, content: bytes) -> tuple[int, str]:
    """Upload and confirm through the real server; the job's id and the upload's token."""
    with server.client() as client:
        csrf = server.login(client, "admin-a@example.org", DEFAULT_PASSWORD)
        upload = client.post(
            "/c/camp-a/contacts/import",
            data={"csrf_token": csrf},
            files={"file": ("adherents.csv", content, "text/csv")},
        )
        assert upload.status_code == 303, upload.text[:300]
        token = upload.headers["location"].rsplit("/", 1)[1]
        queued = client.post(
            f"/c/camp-a/contacts/import/{token}/commit",
            data={"csrf_token": csrf, "mapping_json": MAPPING},
        )
        assert queued.status_code == 303, queued.text[:300]
        again = client.post(  # the form sent twice: still one job
            f"/c/camp-a/contacts/import/{token}/commit",
            data={"csrf_token": csrf, "mapping_json": MAPPING},
        )
        assert again.headers["location"] == queued.headers["location"]
    return int(queued.headers["location"].rsplit("/", 1)[1]), token


def _job(runtime: Runtime, job_id: int) -> Job:
    with runtime.session() as session:
        job = session.get(Job, job_id)
        assert job is not None
        session.expunge(job)
        return job


def _removed(settings: Settings, token: str) -> bool:
    return not list(settings.data_dir.rglob(f"{token}.*"))


def _ended(runtime: Runtime, job_id: int) -> bool:
    job = _job(runtime, job_id)
    assert job.status != "failed", job.error
    return job.status == "done"


def _contacts(runtime: Runtime, campaign_id: int) -> tuple[int, int]:
    """(contacts, distinct emails) of the campaign."""
    with runtime.session() as session:
        total = session.scalar(
            select(func.count()).select_from(Contact).where(Contact.campaign_id == campaign_id)
        )
        distinct = session.scalar(
            select(func.count(func.distinct(Contact.email))).where(
                Contact.campaign_id == campaign_id
            )
        )
    return int(total or 0), int(distinct or 0)


def _batches(runtime: Runtime) -> int:
    with runtime.session() as session:
        return int(session.scalar(select(func.count()).select_from(ImportBatch)) or 0)


def test_a_web_import_runs_once_on_two_redis_workers(
    redis_settings: Settings, runtime: Runtime, workers: Workers, tmp_path: Path
) -> None:
    with runtime.session() as session:
        owner = make_two_campaigns(session).a.id
    server = LiveServer(redis_settings, tmp_path / "server.log", **engine_env(redis_settings))
    server.start()
    try:
        job_id, token = _queue_import(server, _csv(3000))
        queued = _job(runtime, job_id)
        assert (queued.status, queued.attempts) == ("queued", 0)  # the server only queues
        assert len(list(redis_settings.data_dir.rglob(f"{token}.*"))) == 2
        workers.start(2)
        wait_for(lambda: _ended(runtime, job_id), "the import", workers.logs)
    finally:
        server.kill()
    job = _job(runtime, job_id)
    assert job.attempts == 1
    assert job.result is not None
    assert (job.result["created"], job.result["updated"]) == (3000, 0)
    assert job.progress_done == job.progress_total == 3000
    assert _contacts(runtime, owner) == (3000, 3000)
    assert _batches(runtime) == 1
    # removed just after the commit of the rows (the job is "done" a moment before)
    wait_for(lambda: _removed(redis_settings, token), "the file removed", workers.logs)


def test_an_import_whose_worker_is_killed_midway_completes_once_on_the_other(
    redis_settings: Settings, runtime: Runtime, workers: Workers, tmp_path: Path
) -> None:
    with runtime.session() as session:
        owner = make_two_campaigns(session).a.id
    server = LiveServer(redis_settings, tmp_path / "server.log", **engine_env(redis_settings))
    server.start()
    try:
        job_id, token = _queue_import(server, _csv(20000))
    finally:
        server.kill()
    workers.start(2)

    def midway() -> Job | None:
        job = _job(runtime, job_id)
        return job if job.status == "running" and (job.progress_done or 0) >= 500 else None

    running = wait_for(midway, "the import in progress", workers.logs)
    assert running.progress_total == 20000
    victim_pid = int(str(running.worker).rsplit(":", 1)[1])
    victim = workers.kill_group_of(victim_pid)
    assert victim.returncode == -signal.SIGKILL
    assert _contacts(runtime, owner) == (0, 0)  # the killed run wrote nothing
    assert len(list(redis_settings.data_dir.rglob(f"{token}.*"))) == 2  # file kept

    wait_for(lambda: _ended(runtime, job_id), "the re-run", workers.logs)
    job = _job(runtime, job_id)
    assert job.attempts == 2
    assert job.result is not None
    assert job.result["created"] == 20000
    assert str(job.worker).rsplit(":", 1)[1] != str(victim_pid)
    assert _contacts(runtime, owner) == (20000, 20000)
    assert _batches(runtime) == 1
    # removed just after the commit of the rows (the job is "done" a moment before)
    wait_for(lambda: _removed(redis_settings, token), "the file removed", workers.logs)


def test_a_refused_import_fails_at_once_naming_the_line_and_column(
    session: Session, runtime: Runtime, tmp_path: Path
) -> None:
    """No retry can fix a wrong file: the job fails on its first run, with the French error."""
    from circo.core import jobs
    from circo.crm.importer.job import enqueue_import
    from tests.crm.helpers import ctx_of

    world = make_two_campaigns(session)
    path = tmp_path / "c.csv"
    path.write_bytes("Prénom;Nom;Email\nAda;Lovelace;ada@example.org\nX;Y;pas-un-email\n".encode())
    job = enqueue_import(
        session,
        ctx_of(world.a),
        file=path,
        filename="c.csv",
        mapping={"Prénom": "first_name", "Nom": "last_name", "Email": "email"},
        skip_invalid=False,
    )
    session.commit()
    done = jobs.run_here(runtime.factory, runtime.settings, job.id)
    assert (done.status, done.attempts) == ("failed", 1)
    assert str(done.error).startswith(
        "c.csv : 1 ligne(s) invalide(s), rien n'a été importé : ligne 3, colonne Email : "
        "adresse e-mail invalide « pas-un-email »"
    )
    assert path.exists()  # a file given by the command line is never removed


def test_cli_background_import_is_queued_then_run_by_a_worker(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    """``--background``: the file is copied into the data dir and the job only queued; a worker
    (here ``circo jobs run``) imports it and removes the copy, never the user's file."""
    import json

    from tests.server import run_cli

    make_two_campaigns(session)
    session.commit()
    path = tmp_path / "adherents.csv"
    path.write_bytes(_csv(50))
    queued = run_cli(
        settings, "contacts", "import", str(path), "--campaign", "camp-a", "--background", "--json"
    )
    assert queued.returncode == 0, queued.stderr
    job_id = json.loads(queued.stdout)["job_id"]
    copies = list((settings.data_dir / "imports" / "camp-a").glob("*"))
    assert sorted(copy.suffix for copy in copies) == [".csv", ".name"]
    assert session.scalar(select(func.count()).select_from(Contact)) == 0
    session.rollback()
    ran = run_cli(settings, "jobs", "run")
    assert ran.returncode == 0, ran.stderr
    session.expire_all()
    job = session.get(Job, job_id)
    assert job is not None
    assert (job.status, job.result and job.result["created"]) == ("done", 50)
    assert session.scalar(select(func.count()).select_from(Contact)) == 50
    session.rollback()
    assert list((settings.data_dir / "imports" / "camp-a").glob("*")) == []
    assert path.exists()
