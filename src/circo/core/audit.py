"""The audit log: logins, role changes, exports, bulk reads of personal data, deletions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.core.models import AuditEvent


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
    event = AuditEvent(
        campaign_id=campaign_id,
        user_id=actor.user_id,
        actor=actor.email,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        details=details or {},
        ip=actor.ip,
    )
    session.add(event)
    session.flush()
    return event


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
