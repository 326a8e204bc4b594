"""Which jobs a member of a campaign may see, and how pages name them.

An administrator sees every job of the campaign; any other member sees only the jobs they
queued themselves (``payload["requested_by"]``, their user id) — a volunteer never sees another
person's import or its summary.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.core.models import Job, Role
from circo.core.tenancy import CampaignContext
from circo.errors import NotFound

# French names of the job kinds (msgid of the catalogue; English in locales/en/core.po).
KIND_LABELS = {
    "crm.import": "Import de contacts",
    "crm.event_reminder": "Rappel d'événement",
    "messaging.send": "Envoi de message",
    "messaging.ab_decide": "Choix du gagnant d'un test A/B",
    "targeting.transfers": "Calcul des reports de voix",
    "targeting.groups": "Calcul du vote par groupe",
    "field.alert": "Alerte terrain",
    "field.reminder": "Rappel terrain",
    "assistant.refresh_feed": "Actualisation d'un flux d'actualités",
    "privacy.retention": "Purge des données arrivées à échéance",
    "elections.import_results": "Import de résultats électoraux",
    "electionday.proxy_notice": "Message de procuration (appariement ou rappel)",
}
STATUS_LABELS = {
    "queued": "en attente",
    "running": "en cours",
    "done": "terminé",
    "failed": "échec",
}
RECENT = 100


def requested_by(job: Job) -> int | None:
    value = (job.payload or {}).get("requested_by")
    return int(value) if isinstance(value, int) else None


def can_see(ctx: CampaignContext, job: Job) -> bool:
    if job.campaign_id != ctx.campaign_id:
        return False
    return ctx.role is Role.admin or (
        ctx.actor.user_id is not None and requested_by(job) == ctx.actor.user_id
    )


def visible_job(session: Session, ctx: CampaignContext, job_id: int) -> Job:
    """The job ``job_id`` if this member may see it; 404 otherwise (another campaign's job, or
    someone else's for a member who is not an administrator)."""
    job = session.get(Job, job_id)
    if job is None or not can_see(ctx, job):
        raise NotFound(f"travail n° {job_id} introuvable dans cette campagne", loc="job_id")
    return job


def recent_jobs(session: Session, ctx: CampaignContext, *, limit: int = RECENT) -> list[Job]:
    """The campaign's most recent jobs this member may see, newest first."""
    query = ctx.scoped(select(Job), Job).order_by(Job.id.desc())
    if ctx.role is Role.admin:
        return list(session.scalars(query.limit(limit)))
    # A member's own jobs: the requester is in the JSON payload, filtered here (a few hundred
    # recent rows at most) rather than with dialect-specific JSON operators.
    own = [job for job in session.scalars(query.limit(limit * 10)) if can_see(ctx, job)]
    return own[:limit]


def link_of(job: Job, slug: str) -> str | None:
    """The page of what the job worked on, when there is one."""
    payload = job.payload or {}
    if job.kind in ("targeting.transfers", "targeting.groups"):
        return f"/c/{slug}/targeting/jobs/{job.id}"
    if job.kind.startswith("messaging.") and isinstance(payload.get("message_id"), int):
        return f"/c/{slug}/messages/{payload['message_id']}"
    if job.kind == "crm.import" and job.status == "done":
        return f"/c/{slug}/contacts"
    return None


def simple_result(job: Job) -> list[tuple[str, Any]]:
    """The scalar values of a job's result (for kinds without a summary of their own)."""
    return [
        (str(key), value)
        for key, value in (job.result or {}).items()
        if isinstance(value, str | int | float | bool)
    ][:12]
