"""Transaction modes of SQLite (`circo.db`): reads begin deferred and take no lock, writes take
the write lock at BEGIN; and the errors meaning "busy, try again" are recognised on both
backends (`circo.web.overload.is_busy_error`, answered with 503 + Retry-After)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.db import make_engine, write_intent
from circo.runtime import Runtime
from circo.web.overload import is_busy_error


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'modes.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (body TEXT)"))
    return engine


def _other_writer_can_start(path: str) -> bool:
    """Whether another process could take the write lock right now (no waiting)."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc):
            raise
        return False
    finally:
        other.close()  # closing rolls back
    return True


def test_sqlite_reads_take_no_lock_and_writes_lock_at_begin(sqlite_engine: Engine) -> None:
    path = str(sqlite_engine.url.database)
    with write_intent(False), Session(sqlite_engine) as reader:
        assert reader.execute(text("SELECT count(*) FROM notes")).scalar_one() == 0
        assert _other_writer_can_start(path)
        # A writer of this process goes ahead too, and commits while the read is open.
        with Session(sqlite_engine) as writer:
            writer.execute(text("INSERT INTO notes VALUES ('a')"))
            writer.commit()
        # The reader keeps its snapshot.
        assert reader.execute(text("SELECT count(*) FROM notes")).scalar_one() == 0
    with Session(sqlite_engine) as writer:  # default: a write transaction
        assert writer.execute(text("SELECT count(*) FROM notes")).scalar_one() == 1
        assert not _other_writer_can_start(path)  # locked from BEGIN, before any write
        writer.rollback()
        assert _other_writer_can_start(path)


def test_sqlite_writers_of_one_process_take_turns(sqlite_engine: Engine) -> None:
    """The in-process writer lock is handed on at commit, at rollback, and when a session is
    closed without either — else the next writer would wait."""
    for ending in ("commit", "rollback", "close"):
        session = Session(sqlite_engine)
        session.execute(text("INSERT INTO notes VALUES (:body)"), {"body": ending})
        if ending != "close":
            getattr(session, ending)()
        session.close()
        with sqlite_engine.connect() as connection:
            connection.execute(text("INSERT INTO notes VALUES ('next')"))
            connection.commit()
    with sqlite_engine.connect() as connection:
        bodies = connection.execute(text("SELECT body FROM notes ORDER BY rowid")).scalars()
        assert list(bodies) == ["commit", "next", "next", "next"]


def test_busy_errors_are_recognised(settings: Settings, runtime: Runtime) -> None:
    """A real lock conflict on each backend is a busy error; a SQL mistake is not."""
    holder = create_engine(settings.effective_database_url)
    with holder.connect() as holding:
        if settings.is_sqlite:
            holding.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            holding.execute(text("LOCK TABLE campaigns IN ACCESS EXCLUSIVE MODE"))
        with runtime.engine.connect() as waiting:
            raw = waiting.connection.dbapi_connection  # before BEGIN: no waiting at all
            assert raw is not None
            if settings.is_sqlite:
                raw.execute("PRAGMA busy_timeout=0")
            else:
                waiting.execute(text("SET lock_timeout = '50ms'"))
            with pytest.raises(OperationalError) as busy:
                waiting.execute(text("SELECT count(*) FROM campaigns"))
            waiting.rollback()
            if settings.is_sqlite:
                raw.execute("PRAGMA busy_timeout=30000")
        holding.rollback()
    holder.dispose()
    assert is_busy_error(busy.value)
    with runtime.engine.connect() as connection, pytest.raises(DBAPIError) as mistake:
        connection.execute(text("SELECT no_such_column FROM campaigns"))
    assert not is_busy_error(mistake.value)
