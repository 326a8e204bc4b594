"""Core JSON API: health, current user, campaigns, members, audit log."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from circo import __version__
from circo.core import audit, service
from circo.web.deps import AdminDep, CampaignDep, SessionDep, UserDep
from circo.web.types import IdPath, Limit, Offset, QueryOptText

router = APIRouter(prefix="/api", tags=["core"])


class Health(BaseModel):
    status: str
    version: str
    database: str


class CampaignRead(BaseModel):
    slug: str
    name: str
    election_type: str
    territory_code: str | None
    territory_name: str | None
    election_date: date | None
    timezone: str = "Europe/Paris"  # IANA zone of the campaign's dates and times
    role: str


class MeRead(BaseModel):
    email: str
    name: str
    language: str
    campaigns: list[CampaignRead]


class MemberRead(BaseModel):
    id: int
    email: str
    name: str
    role: str


class JobProgressRead(BaseModel):
    done: int
    total: int | None
    percent: int | None


class JobRead(BaseModel):
    id: int
    kind: str
    status: str
    attempts: int
    max_attempts: int
    progress: JobProgressRead | None
    error: str | None
    worker: str | None
    created_at: datetime | None
    updated_at: datetime | None
    result: dict[str, object] | None


class AuditEventRead(BaseModel):
    at: datetime
    actor: str
    action: str
    target_type: str | None
    target_id: str | None
    details: dict[str, object]
    ip: str | None


health_router = APIRouter(tags=["core"])


@health_router.get("/health", response_model=Health)
def health(session: SessionDep) -> Health:
    session.execute(text("SELECT 1"))
    return Health(status="ok", version=__version__, database=session.bind.dialect.name)  # type: ignore[union-attr]


@router.get("/me", response_model=MeRead)
def me(session: SessionDep, user: UserDep) -> MeRead:
    campaigns = [
        CampaignRead(
            slug=campaign.slug,
            name=campaign.name,
            election_type=campaign.election_type,
            territory_code=campaign.territory_code,
            territory_name=campaign.territory_name,
            election_date=campaign.election_date,
            timezone=campaign.timezone,
            role=role.value,
        )
        for campaign, role in service.campaigns_of_user(session, user)
    ]
    return MeRead(email=user.email, name=user.name, language=user.language, campaigns=campaigns)


@router.get("/campaigns/{slug}", response_model=CampaignRead)
def campaign_read(ctx: CampaignDep) -> CampaignRead:
    campaign = ctx.campaign
    return CampaignRead(
        slug=campaign.slug,
        name=campaign.name,
        election_type=campaign.election_type,
        territory_code=campaign.territory_code,
        territory_name=campaign.territory_name,
        election_date=campaign.election_date,
        timezone=campaign.timezone,
        role=ctx.role.value,
    )


@router.get("/campaigns/{slug}/members", response_model=list[MemberRead])
def members(session: SessionDep, ctx: AdminDep) -> list[MemberRead]:
    return [
        MemberRead(id=row.user.id, email=row.user.email, name=row.user.name, role=row.role.value)
        for row in service.list_members(session, ctx=ctx)
    ]


@router.get("/campaigns/{slug}/audit", response_model=list[AuditEventRead])
def audit_events(
    session: SessionDep,
    ctx: AdminDep,
    action: QueryOptText = None,
    limit: Limit = 200,
    offset: Offset = 0,
) -> list[AuditEventRead]:
    events, _total = audit.list_events(
        session, campaign_id=ctx.campaign_id, action=action, limit=limit, offset=offset
    )
    return [
        AuditEventRead(
            at=event.at,
            actor=event.actor,
            action=event.action,
            target_type=event.target_type,
            target_id=event.target_id,
            details=event.details,
            ip=event.ip,
        )
        for event in events
    ]


@router.get("/campaigns/{slug}/jobs/{job_id}", response_model=JobRead)
def job_read(session: SessionDep, ctx: CampaignDep, job_id: IdPath) -> JobRead:
    """A background job of the campaign: status, attempts, progress, error and result. An
    administrator reads every job of the campaign, another member only the jobs they queued."""
    from circo.core.jobs.listing import visible_job
    from circo.core.jobs.store import status_of

    job = visible_job(session, ctx, job_id)
    return JobRead.model_validate({**status_of(job), "result": job.result})
