"""Overload through a real server (both backends): bounded concurrency, a short FIFO queue, a
fast 503 with Retry-After — JSON for the API, a French page otherwise — and never a 500; the
refused work is done once when the client comes back.

To make "the server is busy" deterministic, the test itself holds the database's write lock
(SQLite: ``BEGIN IMMEDIATE`` on the file; PostgreSQL: ``LOCK TABLE field_visits``, reads
pass), so an admitted
sync request stays in the server until the test lets it go; no timing is involved.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.service import create_api_token
from circo.field.models import AnswerTally, Visit
from circo.runtime import Runtime
from tests.field.conftest import FieldWorld, make_field_world
from tests.server import LiveServer

SYNC = "/api/campaigns/camp-a/field/visits/sync"
WAIT_SECONDS = 120  # a bound for a broken server, never reached by a working one


@contextmanager
def database_write_lock(settings: Settings) -> Iterator[None]:
    """Hold the write lock the server's sync needs, until the block ends."""
    url = make_url(settings.effective_database_url)
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(str(url.database), isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    engine = create_engine(settings.effective_database_url)
    with engine.connect() as connection:
        connection.execute(text(f"LOCK TABLE {Visit.__tablename__} IN EXCLUSIVE MODE"))
        try:
            yield
        finally:
            connection.rollback()
    engine.dispose()


@contextmanager
def overloaded_server(settings: Settings, tmp_path: Path, **env: str) -> Iterator[LiveServer]:
    server = LiveServer(settings, tmp_path / "server.log", **env)
    server.start()
    try:
        yield server
    finally:
        server.kill()
    assert "Traceback" not in server.log(), server.log()


def _batch(turf_id: int, size: int = 5) -> list[dict[str, Any]]:
    return [
        {
            "key": str(uuid.uuid4()),
            "turf_id": turf_id,
            "outcome": "talked",
            "answers": {"support": "soutien"},
        }
        for _ in range(size)
    ]


def _volunteer_token(session: Session) -> tuple[FieldWorld, str]:
    world = make_field_world(session)
    token, _ = create_api_token(session, user=world.campaigns.volunteer_a, name="phone")
    session.commit()
    return world, token


def _post(server: LiveServer, token: str, batch: list[dict[str, Any]]) -> httpx.Response:
    with server.client(headers={"Authorization": f"Bearer {token}"}) as client:
        return client.post(SYNC, json={"visits": batch})


def _first_done(futures: list[Future[httpx.Response]], count: int) -> list[httpx.Response]:
    done: list[httpx.Response] = []
    for future in as_completed(futures, timeout=WAIT_SECONDS):
        done.append(future.result())
        if len(done) == count:
            break
    return done


def _stored(session: Session, campaign_id: int) -> tuple[int, int, int]:
    """(visits, distinct keys, tallied answers) of the campaign."""
    session.expire_all()
    visits, keys = session.execute(
        select(func.count(), func.count(func.distinct(Visit.idempotency_key))).where(
            Visit.campaign_id == campaign_id
        )
    ).one()
    tallied = session.scalar(
        select(func.coalesce(func.sum(AnswerTally.count), 0)).where(
            AnswerTally.campaign_id == campaign_id
        )
    )
    session.rollback()
    return int(visits), int(keys), int(tallied or 0)


def test_beyond_the_limit_requests_get_503_with_retry_after_never_500(
    settings: Settings, session: Session, tmp_path: Path
) -> None:
    world, token = _volunteer_token(session)
    turf_id = world.assigned.id
    batches = [_batch(turf_id) for _ in range(8)]
    env = {
        "CIRCO_WEB_CONCURRENCY": "1",
        "CIRCO_WEB_QUEUE_LENGTH": "0",
        "CIRCO_WEB_RETRY_AFTER": "7",
    }
    with (
        overloaded_server(settings, tmp_path, **env) as server,
        ThreadPoolExecutor(max_workers=10) as pool,
    ):
        with database_write_lock(settings):
            futures = [pool.submit(_post, server, token, batch) for batch in batches]
            # One request is admitted and waits for the lock; the seven others are refused.
            refused = _first_done(futures, 7)
            with server.client(headers={"Accept": "text/html"}) as browser:
                page = browser.get("/login")
            with server.client(headers={"Authorization": f"Bearer {token}"}) as client:
                api_read = client.get("/api/campaigns/camp-a/field/me")
        responses = [future.result(timeout=WAIT_SECONDS) for future in futures]

        assert [r.status_code for r in refused] == [503] * 7
        for response in [*refused, api_read]:
            assert response.status_code == 503
            assert response.headers["retry-after"] == "7"
            body = response.json()
            assert body["error"] == "Overloaded"
            assert "surchargé" in body["message"]
        assert page.status_code == 503
        assert page.headers["retry-after"] == "7"
        assert page.headers["content-type"].startswith("text/html")
        assert "Serveur surchargé" in page.text
        assert sorted(r.status_code for r in responses) == [200] + [503] * 7

        # The phones come back after Retry-After: everything is recorded, once.
        for batch, response in zip(batches, responses, strict=True):
            if response.status_code == 503:
                again = _post(server, token, batch)
                assert again.status_code == 200, again.text
                assert again.json()["created"] == len(batch)
            else:
                assert response.json()["created"] == len(batch)
    total = sum(len(batch) for batch in batches)
    assert _stored(session, world.campaigns.a.id) == (total, total, total)


def test_a_short_queue_serves_waiting_requests_in_turn(
    settings: Settings, session: Session, tmp_path: Path
) -> None:
    world, token = _volunteer_token(session)
    batches = [_batch(world.assigned.id) for _ in range(7)]
    env = {
        "CIRCO_WEB_CONCURRENCY": "1",
        "CIRCO_WEB_QUEUE_LENGTH": "3",
        "CIRCO_WEB_QUEUE_SECONDS": "60",
    }
    with (
        overloaded_server(settings, tmp_path, **env) as server,
        ThreadPoolExecutor(max_workers=7) as pool,
    ):
        with database_write_lock(settings):
            futures = [pool.submit(_post, server, token, batch) for batch in batches]
            # One admitted (waiting for the lock) + three queued; the three others are refused.
            refused = _first_done(futures, 3)
        responses = [future.result(timeout=WAIT_SECONDS) for future in futures]
    assert [r.status_code for r in refused] == [503] * 3
    assert sorted(r.status_code for r in responses) == [200] * 4 + [503] * 3
    created = sum(r.json()["created"] for r in responses if r.status_code == 200)
    assert created == 4 * 5
    assert _stored(session, world.campaigns.a.id) == (created, created, created)


def test_concurrent_retries_of_one_batch_record_it_once(
    settings: Settings, session: Session, live_server: LiveServer
) -> None:
    """A phone that did not hear the answer sends the same batch again, possibly while the
    first attempt is still running: one row per key, tallies counted once."""
    world, token = _volunteer_token(session)
    batch = _batch(world.assigned.id, size=40)
    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(lambda _: _post(live_server, token, batch), range(6)))
    assert [r.status_code for r in responses] == [200] * 6
    assert sum(r.json()["created"] for r in responses) == 40
    assert sum(r.json()["duplicates"] for r in responses) == 5 * 40
    for response in responses:
        assert {item["key"] for item in response.json()["results"]} == {
            visit["key"] for visit in batch
        }
    assert _stored(session, world.campaigns.a.id) == (40, 40, 40)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sqlite_reads_are_served_while_a_writer_holds_the_lock(
    settings: Settings, session: Session, live_server: LiveServer
) -> None:
    """GET requests read in a deferred transaction: a long write elsewhere does not stop them
    (with every transaction BEGIN IMMEDIATE, each of these waited for the writer)."""
    world, token = _volunteer_token(session)
    with live_server.client(headers={"Authorization": f"Bearer {token}"}) as client:
        assert client.get("/api/campaigns/camp-a/field/me").status_code == 200
        with database_write_lock(settings):
            health = client.get("/health")
            me = client.get("/api/campaigns/camp-a/field/me")
            walk_list = client.get(f"/api/campaigns/camp-a/field/turfs/{world.assigned.id}")
    assert health.status_code == 200
    assert me.status_code == 200
    assert me.json()["turfs"][0]["id"] == world.assigned.id
    assert walk_list.status_code == 200


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_serve_with_several_worker_processes(
    settings: Settings, session: Session, tmp_path: Path
) -> None:
    """CIRCO_WEB_WORKERS=2: two server processes answer, syncs are recorded once, and
    stopping the supervisor stops its workers."""
    world, token = _volunteer_token(session)
    server = LiveServer(settings, tmp_path / "server.log", CIRCO_WEB_WORKERS="2")
    server.start()
    try:
        assert server.process is not None
        supervisor = server.process.pid
        batches = [_batch(world.assigned.id) for _ in range(6)]
        with ThreadPoolExecutor(max_workers=6) as pool:
            responses = list(pool.map(lambda batch: _post(server, token, batch), batches))
        assert [r.status_code for r in responses] == [200] * 6
        workers = [
            pid
            for pid in _children(supervisor)  # the web workers, not multiprocessing's tracker
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        assert len(workers) == 2, server.log()
    finally:
        server.stop()  # SIGTERM: the supervisor shuts its workers down before exiting
    assert [pid for pid in workers if Path(f"/proc/{pid}").exists()] == []
    assert _stored(session, world.campaigns.a.id) == (30, 30, 30)


def test_busy_database_errors_answer_503_and_others_stay_500(runtime: Runtime) -> None:
    """A lock timeout escaping an endpoint is a 503 with Retry-After (page or JSON); any
    other database error is still a server error."""
    from circo.web.app import create_app

    app = create_app(runtime.settings, runtime=runtime)

    def locked() -> None:
        raise OperationalError("INSERT …", {}, sqlite3.OperationalError("database is locked"))

    def broken() -> None:
        raise IntegrityError("INSERT …", {}, sqlite3.IntegrityError("UNIQUE constraint failed"))

    app.add_api_route("/api/test-locked", locked)
    app.add_api_route("/test-locked", locked)
    app.add_api_route("/api/test-broken", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        api = client.get("/api/test-locked")
        page = client.get("/test-locked", headers={"Accept": "text/html"})
        other = client.get("/api/test-broken")
    assert api.status_code == 503
    assert api.headers["retry-after"] == str(runtime.settings.web_retry_after)
    assert api.json()["error"] == "Overloaded"
    assert page.status_code == 503
    assert "Serveur surchargé" in page.text
    assert other.status_code == 500
