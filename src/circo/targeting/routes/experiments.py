"""The field-experiment page: design over the bureaux (frozen in the audit log), assignments
(CSV), power, the analysis after the vote from two imported elections, and the PDF report."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from circo import labels
from circo.errors import CircoError
from circo.targeting.experiment_page import (
    BLOCK_CHOICES,
    TREATMENTS,
    ExperimentAnalysis,
    analyse_design,
    assignments_csv,
    design_experiment,
    list_designs,
    load_design,
    report_pdf,
)
from circo.targeting.routes.common import ElectionQ, FitterDep, default_territory, election_options
from circo.web.deps import SessionDep
from circo.web.templating import render

router = APIRouter()
PAGE = "/c/{slug}/targeting/experiment"


def _latest_round(elections: list[dict[str, str]]) -> str:
    return elections[0]["value"] if elections else ""


@router.get(PAGE, response_class=HTMLResponse, include_in_schema=False)
def experiment_page(
    request: Request,
    session: SessionDep,
    ctx: FitterDep,
    design: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    before: ElectionQ = "",
    after: ElectionQ = "",
    output: ElectionQ = "",
) -> Response:
    elections = election_options(session)
    values: dict[str, Any] = {
        "elections": elections,
        "election": _latest_round(elections),
        "territory": default_territory(ctx),
        "treatments": TREATMENTS,
        "block_choices": BLOCK_CHOICES,
        "designs": list_designs(session, ctx),
        "before": before,
        "after": after,
        "form": {},
    }
    status = 200
    if design is not None:
        try:
            frozen = load_design(session, ctx, design_id=design)
            values["design"] = frozen
            if output == "csv":
                return Response(
                    assignments_csv(frozen),
                    media_type="text/csv; charset=utf-8",
                    headers={
                        "Content-Disposition": (
                            f'attachment; filename="experience-{frozen.id}-affectation.csv"'
                        )
                    },
                )
            analysis: ExperimentAnalysis | None = None
            if before and after:
                analysis = analyse_design(session, frozen, before=before, after=after)
                values["analysis"] = analysis
            if output == "pdf":
                names = {item["value"]: item["label"] for item in elections}
                return Response(
                    report_pdf(
                        frozen,
                        analysis,
                        campaign_name=ctx.campaign.name,
                        timezone=ctx.campaign.timezone,
                        election_names=names,
                    ),
                    media_type="application/pdf",
                    headers={
                        "Content-Disposition": f'attachment; filename="experience-{frozen.id}.pdf"'
                    },
                )
        except CircoError as exc:
            values["error"] = labels.person_message(exc.message, exc.loc)
            status = exc.status
    return render(request, "targeting/experiment.html", values, status=status)


@router.post(PAGE, response_class=HTMLResponse, include_in_schema=False)
def experiment_design(
    request: Request,
    session: SessionDep,
    ctx: FitterDep,
    hypothesis: Annotated[str, Form(max_length=2000)],
    election: Annotated[str, Form(max_length=100)],
    territory: Annotated[str, Form(max_length=100)],
    treatment: Annotated[str, Form(max_length=40)] = "door_to_door",
    treated_share: Annotated[float, Form(ge=0, le=1, allow_inf_nan=False)] = 0.5,
    block_on: Annotated[str, Form(max_length=40)] = "turnout",
    seed: Annotated[int, Form(ge=0, le=2**31 - 1)] = 0,
    name: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    form = {
        "name": name,
        "hypothesis": hypothesis,
        "treatment": treatment,
        "treated_share": treated_share,
        "block_on": block_on,
        "seed": seed,
    }
    try:
        event = design_experiment(
            session,
            ctx,
            name=name,
            hypothesis=hypothesis,
            treatment=treatment,
            election=election,
            territory=territory,
            treated_share=treated_share,
            block_on=block_on,
            seed=seed,
        )
    except CircoError as exc:
        return render(
            request,
            "targeting/experiment.html",
            {
                "elections": election_options(session),
                "election": election,
                "territory": territory,
                "treatments": TREATMENTS,
                "block_choices": BLOCK_CHOICES,
                "designs": list_designs(session, ctx),
                "before": "",
                "after": "",
                "form": form,
                "error": labels.person_message(exc.message, exc.loc),
            },
            status=exc.status,
        )
    # SessionDep commits before the redirect is sent: frozen before it is confirmed
    return RedirectResponse(
        f"/c/{ctx.campaign.slug}/targeting/experiment?design={event.id}", status_code=303
    )
