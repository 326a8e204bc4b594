"""Rights requests (access, rectification, erasure, opposition) tracked with their legal deadline
(one month, GDPR art. 12.3)."""

from __future__ import annotations

import calendar
import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.core import audit
from circo.core.tenancy import CampaignContext
from circo.db import utcnow
from circo.privacy.errors import PrivacyError, RightsRequestNotFound
from circo.privacy.models import RightsRequest

REQUEST_KINDS = ("access", "rectification", "erasure", "opposition")


def add_one_month(moment: datetime) -> datetime:
    month_index = moment.month  # next month, same day (clamped: 31 Jan → 28/29 Feb)
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def requester_hash(email: str) -> str:
    return hashlib.sha256(("circo-requester:" + email.strip().lower()).encode()).hexdigest()


def create_request(
    session: Session,
    ctx: CampaignContext,
    *,
    kind: str,
    requester: str | None = None,
    contact_id: int | None = None,
    channel: str = "staff",
    details: str = "",
    status: str = "open",
) -> RightsRequest:
    if kind not in REQUEST_KINDS:
        raise PrivacyError(
            f"type de demande inconnu « {kind} » (attendu : {', '.join(REQUEST_KINDS)})",
            loc="kind",
        )
    now = utcnow()
    request = RightsRequest(
        campaign_id=ctx.campaign_id,
        kind=kind,
        status=status,
        channel=channel,
        requester=requester,
        requester_hash=requester_hash(requester) if requester else None,
        contact_id=contact_id,
        details=details,
        received_at=now,
        due_at=add_one_month(now),
    )
    session.add(request)
    session.flush()
    audit.record(
        session,
        actor=ctx.actor,
        action="privacy.request",
        campaign_id=ctx.campaign_id,
        target_type="rights_request",
        target_id=request.id,
        details={"kind": kind, "channel": channel},
    )
    return request


def get_request(session: Session, ctx: CampaignContext, request_id: int) -> RightsRequest:
    request = session.scalar(
        ctx.scoped(select(RightsRequest), RightsRequest).where(RightsRequest.id == request_id)
    )
    if request is None:
        raise RightsRequestNotFound(f"demande {request_id} introuvable", loc="request")
    return request


def list_requests(
    session: Session, ctx: CampaignContext, *, open_only: bool = False
) -> list[RightsRequest]:
    query = ctx.scoped(select(RightsRequest), RightsRequest)
    if open_only:
        query = query.where(RightsRequest.status.in_(["open", "unverified"]))
    return list(session.scalars(query.order_by(RightsRequest.due_at)))


def complete_request(
    session: Session,
    ctx: CampaignContext,
    request: RightsRequest,
    *,
    outcome: dict[str, Any],
    status: str = "done",
) -> None:
    """Close a request; its requester's address is replaced by a hash."""
    request.status = status
    request.outcome = outcome
    request.completed_at = utcnow()
    request.requester = None
    session.flush()


def is_overdue(request: RightsRequest, now: datetime | None = None) -> bool:
    return request.status in ("open", "unverified") and (now or utcnow()) > request.due_at
