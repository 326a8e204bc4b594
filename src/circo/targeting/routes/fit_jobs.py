"""Long fits queued as jobs: start one, follow it until its result is stored."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from circo.targeting import jobs
from circo.targeting.routes.common import UNDER_COVERAGE, FitterDep, start_fit_job
from circo.targeting.routes.groups import group_view
from circo.targeting.routes.transfers import transfer_view
from circo.web.deps import SessionDep
from circo.web.templating import render
from circo.web.types import IdPath

router = APIRouter()


@router.post("/c/{slug}/targeting/jobs", include_in_schema=False)
def start_job_page(
    session: SessionDep,
    ctx: FitterDep,
    kind: Annotated[str, Form()],
    territory: Annotated[str, Form()],
    method: Annotated[str, Form()] = "md",
    source: Annotated[str, Form(alias="from")] = "",
    target: Annotated[str, Form(alias="to")] = "",
    election: Annotated[str, Form()] = "",
    variables: Annotated[str, Form()] = "cs",
) -> Response:
    job = start_fit_job(
        session,
        ctx,
        kind=kind,
        payload={
            "from": source,
            "to": target,
            "election": election,
            "variables": variables,
            "territory": territory,
            "method": method,
        },
    )
    return RedirectResponse(f"/c/{ctx.campaign.slug}/targeting/jobs/{job.id}", status_code=303)


@router.get(
    "/c/{slug}/targeting/jobs/{job_id}", response_class=HTMLResponse, include_in_schema=False
)
def job_page(request: Request, session: SessionDep, ctx: FitterDep, job_id: IdPath) -> Response:
    job = jobs.get_fit_job(session, ctx, job_id=job_id)
    values: dict[str, Any] = {"job": job, "warning": UNDER_COVERAGE}
    if job.status == "done" and job.result:
        if job.kind == jobs.TRANSFERS:
            values.update(transfer_view(job.result))
        else:
            values.update(group_view(job.result))
    return render(request, "targeting/job.html", values)
