"""A running circo: settings, engine and session factory, built once per process or command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from circo.config import Settings
from circo.db import (
    check_connection,
    install_schema,
    is_empty,
    make_engine,
    make_session_factory,
    needs_upgrade,
    session_scope,
)
from circo.errors import ConfigError


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.factory) as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()


# Connections beyond the web requests' own: the in-process job worker and a streamed response.
POOL_RESERVE = 2
POOL_TIMEOUT_SECONDS = 10.0


def pool_options(settings: Settings) -> dict[str, int | float]:
    """The connection pool matched to the admission limit (`circo.web.overload`): one
    connection per admitted request plus a small reserve, so that no admitted request waits
    for a connection; the pool timeout is only a backstop (its error becomes a 503)."""
    url = settings.effective_database_url
    if url in ("sqlite://", "sqlite:///:memory:") or "mode=memory" in url:
        return {}  # one in-memory database: SQLAlchemy's single-connection pool
    return {
        "pool_size": settings.web_concurrency + POOL_RESERVE,
        "max_overflow": 0,
        "pool_timeout": POOL_TIMEOUT_SECONDS,
    }


def open_runtime(
    settings: Settings, *, migrate: bool = False, require_schema: bool = True
) -> Runtime:
    """Connect to the database; apply migrations when ``migrate``; else insist it is up to date."""
    if settings.is_sqlite:
        try:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"impossible de créer le dossier de données {settings.data_dir} "
                f"({exc.strerror}) : choisissez-en un autre avec --data-dir ou CIRCO_DATA_DIR"
            ) from exc
    engine = make_engine(settings.effective_database_url, **pool_options(settings))
    check_connection(engine)
    if migrate:
        install_schema(engine, settings)
    elif require_schema:
        if is_empty(engine):
            raise ConfigError(
                "base de données vide : lancez `circo init` (ou `circo db upgrade`) d'abord"
            )
        if needs_upgrade(engine):
            raise ConfigError("base de données à mettre à jour : lancez `circo db upgrade`")
    return Runtime(settings=settings, engine=engine, factory=make_session_factory(engine))


def open_runtime_for_serving(settings: Settings) -> Runtime:
    """For ``serve``/``demo``: an empty database gets the schema; an outdated one is refused."""
    runtime = open_runtime(settings, require_schema=False)
    if is_empty(runtime.engine):
        install_schema(runtime.engine, settings)
    elif needs_upgrade(runtime.engine):
        runtime.close()
        raise ConfigError("base de données à mettre à jour : lancez `circo db upgrade`")
    return runtime
