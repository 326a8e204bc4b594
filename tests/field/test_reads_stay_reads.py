"""Page reads never write inside their read transaction (issue 22, "GETs that write on SQLite").

On SQLite a GET's transaction is a deferred read: turning it into a write fails at once
(SQLITE_BUSY) when another writer committed in between, which answered 503. The default door
questionnaire (once made by the first ``/field/me``) is now made with the turf plan, and when
still missing it is made in a short write transaction of its own; the audit line of an export
is written in its own transaction after the read. At most one questionnaire is active per
campaign, by a unique index: concurrent first uses create one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, delete, event, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from circo.core.models import AuditEvent
from circo.db import alembic_config, make_engine
from circo.field import service
from circo.field.models import Questionnaire
from circo.runtime import Runtime
from tests.factories import login
from tests.field.conftest import FieldWorld

WRITES = ("INSERT", "UPDATE", "DELETE")


class WritesInReads:
    """Statements that write, run on a SQLite connection not holding the write lock (that is,
    inside a read transaction)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.found: list[str] = []

    def __call__(self, connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(WRITES) and not connection.info.get(
            "circo_sqlite_writer"
        ):
            self.found.append(statement.split("\n")[0][:120])


@pytest.fixture
def writes_in_reads(runtime: Runtime) -> Iterator[WritesInReads]:
    watcher = WritesInReads(runtime.engine)
    event.listen(runtime.engine, "before_cursor_execute", watcher)
    yield watcher
    event.remove(runtime.engine, "before_cursor_execute", watcher)


def _active(session: Session, campaign_id: int) -> list[int]:
    ids = list(
        session.scalars(
            select(Questionnaire.id).where(
                Questionnaire.campaign_id == campaign_id, Questionnaire.active.is_(True)
            )
        )
    )
    session.commit()
    return ids


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_field_pages_and_exports_write_nothing_inside_their_read(
    client: Any, session: Session, field_world: FieldWorld, writes_in_reads: WritesInReads
) -> None:
    world = field_world.campaigns
    # A campaign whose plan predates this: no questionnaire yet.
    session.execute(delete(Questionnaire).where(Questionnaire.campaign_id == world.a.id))
    session.commit()
    login(client, world.volunteer_a.email)
    me = client.get("/api/campaigns/camp-a/field/me")
    assert me.status_code == 200, me.text
    assert me.json()["questionnaire"]["id"] in _active(session, world.a.id)
    login(client, world.admin_a.email)
    pdf = client.get(f"/c/camp-a/field/turfs/{field_world.assigned.id}/walklist.pdf")
    assert pdf.status_code == 200
    exported = client.get("/c/camp-a/field/export.csv")
    assert exported.status_code == 200
    listed = client.get("/api/campaigns/camp-a/contacts")  # a bulk read of people: audited
    assert listed.status_code == 200, listed.text
    assert writes_in_reads.found == []
    actions = set(
        session.scalars(select(AuditEvent.action).where(AuditEvent.campaign_id == world.a.id))
    )
    session.commit()
    assert {"field.walklist"} <= actions  # the audit lines were written, in their own step
    assert len(_active(session, world.a.id)) == 1


def test_plan_makes_the_questionnaire_and_one_is_active_per_campaign(
    runtime: Runtime, session: Session, field_world: FieldWorld
) -> None:
    world = field_world.campaigns
    (made,) = _active(session, world.a.id)  # made with the turf plan, before any read
    with pytest.raises(IntegrityError):  # the database refuses a second active one
        session.execute(
            insert(Questionnaire).values(
                campaign_id=world.a.id, name="doublon", questions=[], active=True
            )
        )
    session.rollback()

    # Concurrent first uses on a campaign without one: one is created, all get it.
    session.execute(delete(Questionnaire).where(Questionnaire.campaign_id == world.b.id))
    session.commit()
    start = threading.Barrier(4)
    got: list[int] = []
    errors: list[BaseException] = []

    def first_use() -> None:
        try:
            with runtime.factory() as own:
                start.wait(timeout=30)
                got.append(service.ensure_questionnaire(own, world.b.id).id)
                own.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=first_use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(set(got)) == 1
    assert _active(session, world.b.id) == got[:1]
    assert made not in got


def test_migration_keeps_one_active_questionnaire_per_campaign(
    runtime: Runtime, session: Session, field_world: FieldWorld
) -> None:
    world = field_world.campaigns
    session.execute(delete(Questionnaire))
    session.commit()
    engine = make_engine(runtime.settings.effective_database_url)
    config = alembic_config(engine)
    try:
        command.downgrade(config, "field_0002")
        with engine.begin() as connection:  # what concurrent first syncs left behind
            for name in ("premier", "doublon", "triplon"):
                connection.execute(
                    insert(Questionnaire.__table__).values(
                        campaign_id=world.a.id, name=name, questions=[], active=True
                    )
                )
        command.upgrade(config, "heads")
        with engine.connect() as connection:
            kept = connection.execute(
                select(Questionnaire.name, func.count())
                .where(Questionnaire.active.is_(True))
                .group_by(Questionnaire.name)
            ).all()
            total = connection.scalar(select(func.count()).select_from(Questionnaire))
    finally:
        engine.dispose()
    assert kept == [("triplon", 1)]  # the newest stays active
    assert total == 3  # the others are kept (visits may point at them), inactive
