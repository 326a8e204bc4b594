"""Test fixtures: every database test runs on a real SQLite file and on the real PostgreSQL.

Each test gets an empty migrated database — a copy of a migrated file for SQLite, one database
per run emptied after each test for PostgreSQL — so the app, the CLI and background threads use
real connections and real commits. Without PostgreSQL the PostgreSQL runs are skipped with a
visible notice — except with ``CI=true``, where the run fails instead.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["CIRCO_ENV"] = "test"  # before circo is imported: cheap password hashing in tests

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.db import make_engine, upgrade
from circo.domains import load_domains
from circo.runtime import Runtime, open_runtime
from tests.data_files import TEST_DATA

pytest_plugins = ["tests.server"]  # the live_server fixture (a real `circo serve` subprocess)

PG_ADMIN_URL = os.environ.get(
    "CIRCO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

_pg_state: dict[str, object] = {}


def _probe_postgres() -> str | None:
    """None when PostgreSQL answers, else the reason."""
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return str(exc).splitlines()[0]
    return None


def pytest_configure(config: pytest.Config) -> None:
    load_domains()  # as the CLI and the web app do: every domain's tables, hooks and handlers
    reason = _probe_postgres()
    _pg_state["reason"] = reason
    if reason and IN_CI:
        raise pytest.UsageError(
            f"CI=true but PostgreSQL is unreachable at {PG_ADMIN_URL}: {reason}. "
            "The PostgreSQL run must not be skipped in CI."
        )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The browser and live-server tests (``tests/web``, the longest files) first: with two
    processes and ``--dist loadfile``, a long file handed out last leaves the other process
    idle until it ends (it did for minutes when ``tests/web`` came last). A stable sort: the
    order within each group is the collection's, the same in every process."""
    web = Path(__file__).resolve().parent / "web"
    items.sort(key=lambda item: 0 if web in item.path.parents else 1)


def pytest_report_header(config: pytest.Config) -> str:
    reason = _pg_state.get("reason")
    if reason:
        return f"PostgreSQL: NOT AVAILABLE — PostgreSQL runs SKIPPED ({reason})"
    return f"PostgreSQL: {make_url(PG_ADMIN_URL).render_as_string(hide_password=True)}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    reason = _pg_state.get("reason")
    if reason:
        terminalreporter.write_sep(
            "!", f"NOTICE: PostgreSQL unavailable, its test runs were skipped ({reason})", red=True
        )


# --- databases --------------------------------------------------------------------------------


def _admin_execute(statement: str) -> None:
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(statement))
    engine.dispose()


def _pg_url(database: str) -> str:
    return make_url(PG_ADMIN_URL).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "circo.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # closing the last connection checkpoints the WAL into the file
    assert not path.with_name("circo.db-wal").exists()
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """One migrated PostgreSQL database for the whole run (emptied after each test)."""
    if _pg_state.get("reason"):
        pytest.skip(f"PostgreSQL unavailable: {_pg_state['reason']}")
    name = f"circo_test_{uuid.uuid4().hex[:12]}"
    _admin_execute(f'CREATE DATABASE "{name}"')
    engine = make_engine(_pg_url(name))
    upgrade(engine)
    engine.dispose()
    yield name
    _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _empty_postgres(name: str) -> None:
    """Empty every table but Alembic's (DELETE: near-instant on the small tables of a test,
    where TRUNCATE or a new database per test cost seconds)."""
    engine = create_engine(_pg_url(name), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
        tables = connection.scalars(
            text(
                "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        ).all()
        if tables:
            statements = "; ".join(f"DELETE FROM {table}" for table in tables)
            connection.execute(
                text(f"BEGIN; SET LOCAL session_replication_role = replica; {statements}; COMMIT")
            )
    engine.dispose()


def fresh_database_url(backend: str, request: pytest.FixtureRequest, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = folder / "circo.db"
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
        return
    name: str = request.getfixturevalue("postgres_database")
    try:
        yield _pg_url(name)
    finally:
        _empty_postgres(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    folder = tmp_path / "db"
    folder.mkdir()
    yield from fresh_database_url(backend, request, folder)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


@pytest.fixture
def settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(
        env="test",
        data_dir=data_dir,
        database_url=database_url,
        secret_key="test-secret-key-0123456789abcdef",
        base_url="http://testserver",
    )


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    runtime = open_runtime(settings)
    yield runtime
    runtime.close()


@pytest.fixture
def session(runtime: Runtime) -> Iterator[Session]:
    """A plain session on the test database; the test commits when it needs to."""
    with runtime.factory() as session:
        yield session


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for CliRunner: the CLI builds its own runtime from these variables."""
    env = {
        "CIRCO_DATABASE_URL": settings.effective_database_url,
        "CIRCO_DATA_DIR": str(settings.data_dir),
        "CIRCO_SECRET_KEY": settings.secret_key,
        "CIRCO_ENV": "test",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def shared_data() -> Path:
    """The small real files copied into ``tests/data/shared`` (see its PROVENANCE.md); bigger
    ones: ``tests.data_files.demo_file`` / ``shared_file`` (fails under CI=true when missing)."""
    return TEST_DATA
