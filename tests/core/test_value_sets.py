"""Status, kind and channel columns hold closed sets of values, enforced by the database (a CHECK
constraint per column, created by the domain's migration) on SQLite and PostgreSQL alike."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Enum, func, inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from circo.db import Base, alembic_config, make_engine, upgrade
from circo.messaging.models import Delivery, MessageCampaign
from tests.crm.helpers import ctx_of, make_contact
from tests.factories import make_campaign


def enum_columns() -> list[tuple[str, str, Enum]]:
    return [
        (table.name, column.name, column.type)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, Enum)
    ]


def test_value_set_columns_are_portable_check_constraints() -> None:
    columns = enum_columns()
    assert ("msg_deliveries", "status") in {(table, column) for table, column, _ in columns}
    for table, column, kind in columns:
        assert not kind.native_enum, f"{table}.{column}: native enum types differ by backend"
        assert kind.create_constraint, f"{table}.{column}: no CHECK constraint"
        assert kind.name == column, f"{table}.{column}: constraint named {kind.name}"


def test_migrated_database_has_every_constraint(session: Session) -> None:
    inspector = inspect(session.get_bind())
    missing = []
    for table, column, _kind in enum_columns():
        names = {check["name"] for check in inspector.get_check_constraints(table)}
        if f"ck_{table}_{column}" not in names:
            missing.append(f"{table}.{column}")
    assert missing == []


def _delivery(session: Session) -> Delivery:
    ctx = ctx_of(make_campaign(session))
    contact = make_contact(session, ctx, email="marie@exemple.fr")
    message = MessageCampaign(
        campaign_id=ctx.campaign_id, channel="email", body="Bonjour", content_key="k"
    )
    session.add(message)
    session.flush()
    delivery = Delivery(
        campaign_id=ctx.campaign_id, message_id=message.id, contact_id=contact.id, channel="email"
    )
    session.add(delivery)
    session.flush()
    return delivery


def test_database_refuses_a_value_outside_the_set(session: Session) -> None:
    delivery = _delivery(session)
    assert delivery.status == "queued"
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(
            text("UPDATE msg_deliveries SET status = 'envoyé' WHERE id = :id"), {"id": delivery.id}
        )
    nested = session.begin_nested()
    delivery.status = "envoye"
    with pytest.raises(StatementError, match="envoye"):
        session.flush()
    nested.rollback()


def test_sqlite_rebuild_of_a_parent_table_keeps_its_children(tmp_path: Path) -> None:
    """Adding a constraint on SQLite rebuilds the table; the children of a rebuilt parent
    (deliveries of msg_campaigns) must survive it (foreign keys are off during migrations)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'upgrade.db'}")
    upgrade(engine)
    with Session(engine) as other:
        _delivery(other)
        other.commit()
    command.downgrade(alembic_config(engine), "messaging_0001")
    upgrade(engine)
    with Session(engine) as other:
        assert other.scalar(select(func.count(Delivery.id))) == 1
        assert other.scalar(select(func.count(MessageCampaign.id))) == 1
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_code_constants_agree_with_the_enums() -> None:
    from circo.crm.events import EVENT_KINDS, RSVP_ANSWERS
    from circo.crm.models import AttendeeStatus, EventKind

    assert set(EVENT_KINDS) == set(EventKind)
    assert set(RSVP_ANSWERS) == set(AttendeeStatus) - {AttendeeStatus.invited}


def test_privacy_constants_agree_with_the_enums() -> None:
    from circo.privacy.consent import CONSENT_CHANNELS
    from circo.privacy.models import Channel, ConsentChannel, OppositionChannel, RequestKind
    from circo.privacy.rights.requests import REQUEST_KINDS

    assert set(CONSENT_CHANNELS) == set(ConsentChannel)
    assert set(OppositionChannel) == {"all", *Channel}
    assert set(REQUEST_KINDS) == set(RequestKind)
