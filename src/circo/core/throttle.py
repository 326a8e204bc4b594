"""Throttle of emails sent on anonymous requests (password reset, privacy self-service).

Each request is an audit event (``action``, the client address, and a hash of the email
address — not the address itself, which may belong to nobody), so the limit holds across
processes and restarts: at most ``per_address`` emails to one address and ``per_ip`` requests
from one client address per hour. The check does not depend on whether the address is known.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.core import audit
from circo.core.models import AuditEvent
from circo.db import utcnow
from circo.errors import TooManyRequests

WINDOW = timedelta(hours=1)


def address_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:40]


def limit_email_request(
    session: Session,
    *,
    action: str,
    email: str,
    ip: str | None,
    per_address: int,
    per_ip: int,
    campaign_id: int | None = None,
) -> None:
    """Record one email request, or TooManyRequests when the address or client had enough."""
    key = address_key(email)
    recent = (
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == action, AuditEvent.at >= utcnow() - WINDOW)
    )
    to_address = session.scalar(recent.where(AuditEvent.target_id == key)) or 0
    from_ip = (session.scalar(recent.where(AuditEvent.ip == ip)) or 0) if ip else 0
    if to_address >= per_address or from_ip >= per_ip:
        raise TooManyRequests(
            "trop de demandes d'e-mail pour cette adresse ou depuis votre connexion : "
            "réessayez dans une heure"
        )
    audit.record(
        session,
        actor=audit.Actor(email="anonyme", ip=ip),
        action=action,
        campaign_id=campaign_id,
        target_type="email",
        target_id=key,
    )
