"""Pages of the background jobs: one job's state, progress and summary; the recent jobs.

The job page polls the job's JSON (``GET /api/campaigns/{slug}/jobs/{id}``) with a small script
(``/static/jobs.js``) and reloads itself when the job ends; without JavaScript a
``<meta http-equiv="refresh">`` does the same. Role-aware through
`circo.core.jobs.listing`: an administrator sees every job of the campaign, another member only
the jobs they queued.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from circo.core.jobs import listing, status_of
from circo.web.deps import CampaignDep, SessionDep
from circo.web.templating import render
from circo.web.types import IdPath

router = APIRouter(include_in_schema=False)


@router.get("/c/{slug}/jobs", response_class=HTMLResponse)
def jobs_page(request: Request, session: SessionDep, ctx: CampaignDep) -> HTMLResponse:
    jobs = listing.recent_jobs(session, ctx)
    return render(
        request,
        "jobs/list.html",
        {
            "jobs": [(job, status_of(job)) for job in jobs],
            "kinds": listing.KIND_LABELS,
            "statuses": listing.STATUS_LABELS,
        },
    )


@router.get("/c/{slug}/jobs/{job_id}", response_class=HTMLResponse)
def job_page(
    request: Request, session: SessionDep, ctx: CampaignDep, job_id: IdPath
) -> HTMLResponse:
    job = listing.visible_job(session, ctx, job_id)
    return render(
        request,
        "jobs/job.html",
        {
            "job": job,
            "state": status_of(job),
            "active": job.status in ("queued", "running"),
            "kinds": listing.KIND_LABELS,
            "statuses": listing.STATUS_LABELS,
            "link": listing.link_of(job, ctx.campaign.slug),
            "simple_result": listing.simple_result(job),
        },
    )
