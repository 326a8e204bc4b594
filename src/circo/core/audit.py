"""The audit log: logins, role changes, exports, bulk reads of personal data, deletions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.core.models import AuditEvent
from circo.db import after_commit, reading_only, utcnow, write_intent


@dataclass(frozen=True)
class Actor:
    """Who acts: a user (id + email) or the system, from which address."""

    user_id: int | None = None
    email: str = "system"
    ip: str | None = None


SYSTEM = Actor()


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    campaign_id: int | None = None,
    target_type: str | None = None,
    target_id: object = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit line to the session's transaction.

    In a page read on SQLite (a GET: its transaction is a deferred read), the line is written
    in its own short write transaction right after the read ends, before the response is sent
    (`circo.db.after_commit`): turning the read into a write could fail at once under another
    writer, while a transaction of its own waits for the write lock like any other. If that
    write fails, the request fails: no export leaves without its audit line."""
    event = AuditEvent(
        campaign_id=campaign_id,
        user_id=actor.user_id,
        actor=actor.email,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        details=details or {},
        ip=actor.ip,
        at=utcnow(),
    )
    bind = session.get_bind()
    if reading_only() and bind.dialect.name == "sqlite":
        after_commit(session, lambda: _write_alone(bind, event))
        return event
    session.add(event)
    session.flush()
    return event


def _write_alone(bind: Any, event: AuditEvent) -> None:
    with write_intent(True), Session(bind) as own, own.begin():
        own.add(event)


def list_events(
    session: Session,
    *,
    campaign_id: int,
    action: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
    offset: int = 0,
) -> tuple[list[AuditEvent], int]:
    """Events of one campaign, newest first, with the total count for paging."""
    query = select(AuditEvent).where(AuditEvent.campaign_id == campaign_id)
    if action:
        query = query.where(AuditEvent.action == action)
    if actor:
        query = query.where(AuditEvent.actor.contains(actor))
    if since:
        query = query.where(AuditEvent.at >= since)
    if until:
        query = query.where(AuditEvent.at <= until)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit).offset(offset)
    ).all()
    return list(rows), total


def distinct_actions(session: Session, *, campaign_id: int) -> list[str]:
    rows = session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.campaign_id == campaign_id)
        .distinct()
        .order_by(AuditEvent.action)
    )
    return list(rows)
