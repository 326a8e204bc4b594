"""JSON API of targeting: ranking, transfers, groups, diagnostics, fit jobs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from circo.bounds import ShortText
from circo.core.models import Job
from circo.core.tenancy import CampaignContext
from circo.targeting import jobs
from circo.targeting.diagnostics import transfer_diagnostics
from circo.targeting.groups import estimate_group_vote
from circo.targeting.routes.common import (
    ChoiceDep,
    FitterDep,
    ReaderDep,
    audited_export,
    ranking_report,
    required_choice,
    start_fit_job,
)
from circo.targeting.schemas import (
    DiagnosticsRead,
    FitJobIn,
    FitJobRead,
    GroupVoteRead,
    RankingRead,
    TransfersRead,
)
from circo.targeting.service import TargetingError, estimate_transfers, parse_election_round
from circo.web.deps import SessionDep
from circo.web.types import IdPath

RefQ = Annotated[ShortText, Query(max_length=100)]

router = APIRouter()


API = "/api/campaigns/{slug}/targeting"


@router.get(f"{API}/stations", response_model=RankingRead)
def api_stations(
    session: SessionDep,
    ctx: ReaderDep,
    query: ChoiceDep,
) -> dict[str, Any]:
    """Bureaux ranked for door-to-door work (the campaign's saved choice when none is given)."""
    choice = required_choice(ctx, query)
    report = ranking_report(session, choice)
    audited_export(session, ctx, report, kind="json")
    return report.as_dict()


def _inline_method(method: str) -> None:
    if not jobs.runs_inline(method):
        raise TargetingError(
            f"la méthode « {method} » passe par la file de travaux : POST {API}/jobs "
            "(méthodes immédiates : em, goodman, lp)",
            loc="method",
        )


@router.get(f"{API}/transfers", response_model=TransfersRead)
def api_transfers(
    session: SessionDep,
    ctx: FitterDep,
    source: Annotated[ShortText, Query(alias="from", max_length=100)],
    target: Annotated[ShortText, Query(alias="to", max_length=100)],
    territory: RefQ,
    method: RefQ = "em",
) -> dict[str, Any]:
    """Vote transfers between two rounds (point estimates; ``md`` through ``POST …/jobs``)."""
    _inline_method(method)
    return estimate_transfers(
        session,
        source=parse_election_round(source, option="from"),
        target=parse_election_round(target, option="to"),
        territory=territory,
        method=method,
    ).as_dict()


@router.get(f"{API}/groups", response_model=GroupVoteRead)
def api_groups(
    session: SessionDep,
    ctx: FitterDep,
    election: RefQ,
    territory: RefQ,
    variables: RefQ = "cs",
    method: RefQ = "em",
) -> dict[str, Any]:
    """Estimated vote of each group (the ``circo ei groups --json`` shape)."""
    _inline_method(method)
    return estimate_group_vote(
        session,
        election=parse_election_round(election, option="election"),
        territory=territory,
        variables=variables,
        method=method,
    ).as_dict()


@router.get(f"{API}/diagnostics", response_model=DiagnosticsRead)
def api_diagnostics(
    session: SessionDep,
    ctx: FitterDep,
    source: Annotated[ShortText, Query(alias="from", max_length=100)],
    target: Annotated[ShortText, Query(alias="to", max_length=100)],
    territory: RefQ,
    row: RefQ = "",
    column: RefQ = "",
) -> dict[str, Any]:
    """Tomography lines of one cell and the largest residuals per bureau."""
    return transfer_diagnostics(
        session,
        source=parse_election_round(source, option="from"),
        target=parse_election_round(target, option="to"),
        territory=territory,
        row=row or None,
        column=column or None,
    ).as_dict()


def _job_json(ctx: CampaignContext, job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "payload": job.payload,
        "result": job.result if job.status == "done" else None,
        "error": job.error,
        "href": f"/c/{ctx.campaign.slug}/targeting/jobs/{job.id}",
    }


@router.post(f"{API}/jobs", status_code=202, response_model=FitJobRead)
def api_start_job(session: SessionDep, ctx: FitterDep, body: FitJobIn) -> dict[str, Any]:
    """Queue a long fit: ``{"kind": "targeting.transfers", "from", "to", "territory", "method"}``
    or ``{"kind": "targeting.groups", "election", "territory", "variables", "method"}``."""
    job = start_fit_job(session, ctx, kind=body.kind, payload=body.payload())
    return _job_json(ctx, job)


@router.get(f"{API}/jobs/{{job_id}}", response_model=FitJobRead)
def api_job(session: SessionDep, ctx: FitterDep, job_id: IdPath) -> dict[str, Any]:
    return _job_json(ctx, jobs.get_fit_job(session, ctx, job_id=job_id))
