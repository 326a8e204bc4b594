"""Database: engine, sessions, the declarative base and migrations.

SQLite (one file under the data dir) is the embedded default; PostgreSQL is selected by URL.
No engine is built at import time. Services ``flush()``; the request or CLI command commits once.
"""

from __future__ import annotations

import enum
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    Enum,
    ForeignKey,
    MetaData,
    String,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from circo.errors import ConfigError

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every table; the naming convention lets Alembic migrate SQLite too."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on both backends (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def campaign_id_column() -> Mapped[int]:
    """The ``campaign_id`` of a table holding campaign data (deleted with its campaign)."""
    return mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)


def utcnow() -> datetime:
    return datetime.now(UTC)


# --- SQLite transaction modes -----------------------------------------------------------------
#
# A transaction that only reads starts DEFERRED: it takes no lock and reads a snapshot while one
# writer works (WAL). A transaction that may write starts IMMEDIATE: it takes the write lock
# before its first read, so it never has to upgrade a read snapshot into a write (an upgrade
# fails at once with SQLITE_BUSY when another writer committed in between; busy_timeout does
# not help then). Which one a transaction is must be known when it begins: it comes from the
# connection's execution option ``circo_write``, else from the context variable set by
# `write_intent` (the web app marks GET/HEAD/OPTIONS requests as reads), else "write" — the safe
# default for the CLI and the job worker. Writers of one process queue on a lock in Python
# (first come, first served, no polling); other processes are waited for by busy_timeout.

WRITE_OPTION = "circo_write"
_WRITE_INTENT: ContextVar[bool] = ContextVar("circo_write_intent", default=True)
_WRITER_FLAG = "circo_sqlite_writer"
SQLITE_BUSY_SECONDS = 30.0


@contextmanager
def write_intent(write: bool) -> Iterator[None]:
    """Within this block (and the threads it hands work to), SQLite transactions begin as
    writes (``BEGIN IMMEDIATE``) when ``write``, else as reads (``BEGIN``, deferred)."""
    token = _WRITE_INTENT.set(write)
    try:
        yield
    finally:
        _WRITE_INTENT.reset(token)


def reading_only() -> bool:
    """True where SQLite transactions of this context begin as reads (a GET request)."""
    return not _WRITE_INTENT.get()


def set_write_intent(write: bool) -> None:
    """Like `write_intent` for the rest of the current context (an ASGI request's task)."""
    _WRITE_INTENT.set(write)


class SqliteWriters:
    """The write lock of one SQLite engine inside this process, taken before BEGIN IMMEDIATE.

    Threads waiting to write queue here instead of sleeping and retrying inside SQLite's busy
    handler; the wait is bounded (``SQLITE_BUSY_SECONDS``) and a timeout is reported as
    SQLite's own "database is locked" (the web app answers it with 503 + Retry-After)."""

    def __init__(self, timeout: float = SQLITE_BUSY_SECONDS) -> None:
        self.timeout = timeout
        self._lock = threading.Lock()

    def acquire(self, info: dict[Any, Any]) -> None:
        if not self._lock.acquire(timeout=self.timeout):
            raise DBAPIError.instance(
                "BEGIN IMMEDIATE",
                None,
                sqlite3.OperationalError("database is locked"),
                sqlite3.Error,
            )
        info[_WRITER_FLAG] = True

    def release(self, info: dict[Any, Any]) -> None:
        if info.pop(_WRITER_FLAG, False):
            self._lock.release()


def _install_sqlite_pragmas(engine: Engine) -> None:
    writers = SqliteWriters()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # Let SQLAlchemy drive transactions (needed for SAVEPOINT and BEGIN IMMEDIATE).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_SECONDS * 1000)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Erased personal data must not survive in free pages of the file (GDPR erasure).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get(WRITE_OPTION, _WRITE_INTENT.get())
        if not write:
            connection.exec_driver_sql("BEGIN")
            return
        writers.acquire(connection.info)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            writers.release(connection.info)
            raise

    # The lock is handed on when the transaction ends (the next writer's BEGIN IMMEDIATE waits
    # in busy_timeout for the few microseconds the COMMIT still takes), and in any case when
    # the connection goes back to the pool.
    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection: Connection) -> None:
        writers.release(connection.info)

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_connection: object, record: Any) -> None:
        writers.release(record.info)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Build an engine for ``url``; raise a clear ConfigError for a malformed or unknown URL."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(
            f"CIRCO_DATABASE_URL invalide : « {url} ». Exemple : "
            "postgresql+psycopg://postgres@127.0.0.1:5432/circo ou sqlite:///circo-data/circo.db"
        ) from exc
    try:
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                _check_writable(Path(parsed.database).parent)
            engine = create_engine(
                url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
            )
            _install_sqlite_pragmas(engine)
            return engine
        if parsed.get_backend_name() == "postgresql":
            return create_engine(url, pool_pre_ping=True, **kwargs)
    except (NoSuchModuleError, ImportError) as exc:
        raise ConfigError(
            f"pilote de base de données inconnu dans CIRCO_DATABASE_URL : « {parsed.drivername} »"
            " (attendu sqlite ou postgresql+psycopg)"
        ) from exc
    raise ConfigError(
        f"CIRCO_DATABASE_URL : base de données non prise en charge « {parsed.get_backend_name()} »"
        " (attendu sqlite:///… ou postgresql+psycopg://…)"
    )


def _check_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".circo-write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            f"dossier de données non accessible en écriture : {folder} ({exc.strerror}). "
            "Choisissez-en un autre avec --data-dir ou CIRCO_DATA_DIR."
        ) from exc


def check_connection(engine: Engine) -> None:
    """Connect once; turn an unreachable database into one clear line."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        url = engine.url.render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise ConfigError(
            f"base de données injoignable ({url}) : {reason}. Vérifiez CIRCO_DATABASE_URL "
            "et que le serveur est démarré."
        ) from exc


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    event.listen(factory, "before_flush", _refuse_overlong_text)
    return factory


def _refuse_overlong_text(session: Session, _context: object, _instances: object) -> None:
    """A text longer than its column is refused before it reaches the database, naming the
    field, on every path (form, API, import, job) and on both backends alike (SQLite would
    store it, PostgreSQL would fail the whole request)."""
    from circo.errors import FieldValueError

    for obj in (*session.new, *session.dirty):
        mapper = inspect(obj).mapper
        for prop in mapper.column_attrs:
            column = prop.columns[0]
            length = getattr(column.type, "length", None)
            if not length or not isinstance(column.type, String):
                continue
            value = getattr(obj, prop.key, None)
            if isinstance(value, str) and len(value) > length:
                raise FieldValueError(
                    prop.key,
                    f"champ « {prop.key} » trop long : {len(value)} caractères, au plus {length}",
                    status=422,
                )


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit once at the end, roll everything back on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def after_commit(session: Session, callback: Callable[[], object]) -> None:
    """Run ``callback()`` once the session's transaction has committed — never on rollback.

    For effects outside the database that must follow the commit, e.g. deleting an uploaded
    file only once the rows read from it are committed."""
    pending: list[Callable[[], object]] = session.info.setdefault("after_commit", [])
    if not pending:

        def run(committed: Session) -> None:
            callbacks = committed.info.pop("after_commit", [])
            for function in callbacks:
                function()

        event.listen(session, "after_commit", run, once=True)
        event.listen(
            session, "after_rollback", lambda rolled: rolled.info.pop("after_commit", None)
        )
    pending.append(callback)


def remove_files(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


# --- migrations -------------------------------------------------------------------------------


def alembic_config(engine: Engine, settings: Any = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("circo") / "migrations"))
    config.attributes["engine"] = engine
    # The installation's settings, for a migration that re-encrypts a secret with its key
    # (None: such a migration reads them from the environment).
    config.attributes["settings"] = settings
    return config


def upgrade(engine: Engine, settings: Any = None) -> None:
    """Apply every pending migration (all domain branches)."""
    from alembic import command

    command.upgrade(alembic_config(engine, settings), "heads")


def install_schema(engine: Engine, settings: Any = None) -> None:
    """Bring the database to the current schema: a database without any table gets it in one
    step (`create_schema`), any other runs the pending migrations (`upgrade`, with the
    installation's ``settings`` for a migration that re-encrypts a secret)."""
    if inspect(engine).get_table_names():
        upgrade(engine, settings)
    else:
        create_schema(engine)


def create_schema(engine: Engine) -> None:
    """Create the current schema in a database without any table: the tables of the models,
    then the migration heads recorded in ``alembic_version`` — what running every migration
    gives (``tests/test_schema.py`` compares both on SQLite and PostgreSQL), in one transaction
    and a tenth of the time (a new data dir's first command: ≈ 0.1 s instead of ≈ 1 s). The
    domains' models must be loaded (`circo.domains.load_domains`)."""
    from circo.domains import registry
    from circo.schema_revisions import known_revisions

    registry()  # refuses when the process never loaded the domains (tables would be missing)
    heads = sorted(known_revisions()[1])
    with engine.begin() as connection:
        Base.metadata.create_all(connection)
        # Alembic's own version table, as `alembic upgrade` creates it
        connection.exec_driver_sql(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
            "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
        )
        for head in heads:
            connection.execute(
                text("INSERT INTO alembic_version (version_num) VALUES (:head)"), {"head": head}
            )


def is_empty(engine: Engine) -> bool:
    return "alembic_version" not in inspect(engine).get_table_names()


def current_revisions(engine: Engine) -> set[str]:
    """The revisions recorded in the database's ``alembic_version`` table."""
    with engine.connect() as connection:
        return {
            row[0] for row in connection.exec_driver_sql("SELECT version_num FROM alembic_version")
        }


def needs_upgrade(engine: Engine) -> bool:
    from circo.schema_revisions import known_revisions, schema_state

    current = current_revisions(engine)
    state = schema_state(current)
    if state == "unknown":
        unknown = sorted(current - known_revisions()[0])
        raise ConfigError(
            "la base a été créée par une version de circo plus récente ou inconnue "
            f"(révision {', '.join(unknown)}) : mettez circo à jour"
        )
    return state == "outdated"


# --- closed sets of values (status, kind, channel…) ---------------------------------------------


def str_enum(values: type[enum.StrEnum], *, name: str, length: int) -> Enum:
    """A string column restricted to the values of ``values`` by a CHECK constraint named
    ``ck_<table>_<name>`` (by the naming convention) — the same on SQLite and PostgreSQL (no
    native enum type, so adding a value is a constraint change, not a type migration). Strings
    and members are both accepted on write (StrEnum members are strings); reads give members."""
    return Enum(
        values,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
