"""Background fits: the hierarchical model (minutes on large territories) runs as a job.

Choice (documented in the pages): the point estimates — EM, Goodman, LP — take well under a
second for a département and run inside the request; ``md`` (hierarchical, with R̂/ESS) and
``auto`` (which picks ``md`` on small problems) go through the job queue, and the page shows the
job's status until its stored result can be rendered. The result is the JSON of the service
(`TransferResult.as_dict`, `GroupVoteResult.as_dict`), kept in the job row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core import jobs
from circo.core.models import Job
from circo.core.tenancy import CampaignContext
from circo.db import write_intent
from circo.errors import CircoError
from circo.targeting.service import TargetingError, parse_election_round

TRANSFERS = "targeting.transfers"
GROUPS = "targeting.groups"
KINDS = (TRANSFERS, GROUPS)
INLINE_METHODS = ("auto", "em", "goodman", "lp")


class JobNotFound(CircoError):
    status = 404


def runs_inline(method: str) -> bool:
    return method in INLINE_METHODS


def enqueue_fit(
    session: Session, ctx: CampaignContext, *, kind: str, payload: dict[str, Any]
) -> Job:
    """Queue a fit for this campaign, or return the same request's queued, running or done job.

    A failed job is not reused: asking again queues a new one.
    """
    recent = session.scalars(
        ctx.scoped(select(Job), Job)
        .where(Job.kind == kind, Job.status.in_(("queued", "running", "done")))
        .order_by(Job.id.desc())
        .limit(50)
    )
    for job in recent:
        if job.payload == payload:
            return job
    return jobs.enqueue(session, kind=kind, payload=payload, campaign_id=ctx.campaign_id)


def get_fit_job(session: Session, ctx: CampaignContext, *, job_id: int) -> Job:
    """A targeting job of this campaign; another campaign's job is 404."""
    job = session.get(Job, job_id)
    if job is None or job.campaign_id != ctx.campaign_id or job.kind not in KINDS:
        raise JobNotFound(f"calcul {job_id} introuvable", loc="job")
    return job


def _round(payload: dict[str, Any], name: str) -> tuple[str, int]:
    value = payload.get(name)
    if not isinstance(value, str):
        raise TargetingError(f"paramètre « {name} » manquant dans le travail", loc=name)
    return parse_election_round(value, option=name)


def run_transfers(session: Session, settings: Settings, job: Job) -> dict[str, Any]:
    """Read the two rounds, end the read transaction, fit (minutes, no lock held), return."""
    from circo.targeting.service import transfer_inputs, transfers_from_inputs

    payload = job.payload
    territory = str(payload["territory"])
    jobs.report_progress(job, 0, 2)
    with write_intent(False):  # a read transaction: on SQLite no write lock while reading
        inputs = transfer_inputs(
            session,
            source=_round(payload, "from"),
            target=_round(payload, "to"),
            territory=territory,
        )
        session.commit()
    jobs.report_progress(job, 1, 2)
    result = transfers_from_inputs(
        inputs, territory=territory, method=str(payload.get("method", "auto"))
    )
    jobs.report_progress(job, 2, 2)
    return result.as_dict()


def run_groups(session: Session, settings: Settings, job: Job) -> dict[str, Any]:
    """Read results and demographics, end the read transaction, fit, return."""
    from circo.targeting.groups import group_vote_from_inputs, group_vote_inputs

    payload = job.payload
    territory = str(payload["territory"])
    jobs.report_progress(job, 0, 2)
    with write_intent(False):  # a read transaction: on SQLite no write lock while reading
        table, demographics = group_vote_inputs(
            session, election=_round(payload, "election"), territory=territory
        )
        session.commit()
    jobs.report_progress(job, 1, 2)
    result = group_vote_from_inputs(
        table,
        demographics,
        territory=territory,
        variables=str(payload.get("variables", "cs")),
        method=str(payload.get("method", "auto")),
    )
    jobs.report_progress(job, 2, 2)
    return result.as_dict(units=False)
