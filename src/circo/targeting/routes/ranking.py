"""The ranking page: bureaux to canvass, the saved choice, the audited CSV export."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from circo import labels
from circo.core.models import Role
from circo.errors import CircoError
from circo.targeting.export import rows_to_csv
from circo.targeting.maplayer import score_map_svg
from circo.targeting.preferences import TargetingChoice, load_choice, save_choice
from circo.targeting.routes.common import (
    ChoiceDep,
    FitterDep,
    ReaderDep,
    audited_export,
    choice_from,
    choice_query,
    default_territory,
    election_options,
    field_handoff_available,
    ranking_report,
    required_choice,
)
from circo.web.deps import SessionDep
from circo.web.templating import render

router = APIRouter()


@router.get("/c/{slug}/targeting", response_class=HTMLResponse, include_in_schema=False)
def targeting_page(
    request: Request,
    session: SessionDep,
    ctx: ReaderDep,
    query: ChoiceDep,
    top: Annotated[int, Query(ge=1, le=200)] = 10,
) -> Response:
    values: dict[str, Any] = {
        "elections": election_options(session),
        "default_territory": default_territory(ctx),
        "saved": load_choice(ctx),
        "top": top,
        "can_save": ctx.role in (Role.admin, Role.data),
        "field_handoff": field_handoff_available(),
    }
    status = 200
    try:
        choice = choice_from(ctx, query)
        values["choice"] = choice
        if choice is not None:
            report = ranking_report(session, choice)
            values["report"] = report
            values["rows"] = report.rows()
            values["query"] = choice_query(choice)
            svg = score_map_svg(session, report)  # no tiles: offline, and CSP img-src 'self'
            values["map_svg"] = Markup(svg) if svg else None
    except CircoError as exc:
        values["error"] = labels.person_message(exc.message, exc.loc)
        status = exc.status
    return render(request, "targeting/index.html", values, status=status)


@router.post("/c/{slug}/targeting/choice", include_in_schema=False)
def targeting_save_choice(
    session: SessionDep,
    ctx: FitterDep,
    election: Annotated[str, Form()],
    territory: Annotated[str, Form()],
    candidate: Annotated[str, Form()],
    mobilisation: Annotated[float, Form(ge=0)] = 0.5,
    persuasion: Annotated[float, Form(ge=0)] = 0.3,
    doors: Annotated[float, Form(ge=0)] = 0.2,
    transfers_from: Annotated[str, Form()] = "",
) -> Response:
    choice = TargetingChoice(
        election=election,
        territory=territory,
        candidate=candidate,
        mobilisation=mobilisation,
        persuasion=persuasion,
        doors=doors,
        transfers_from=transfers_from or None,
    )
    ranking_report(session, choice)  # refuse a choice that does not compute
    save_choice(session, ctx, choice)
    return RedirectResponse(
        f"/c/{ctx.campaign.slug}/targeting?{choice_query(choice)}&msg=saved", status_code=303
    )


@router.get("/c/{slug}/targeting/export.csv", include_in_schema=False)
def targeting_export(
    session: SessionDep,
    ctx: ReaderDep,
    query: ChoiceDep,
) -> Response:
    choice = required_choice(ctx, query)
    report = ranking_report(session, choice)
    audited_export(session, ctx, report, kind="csv")
    name = f"ciblage-{report.election.replace(':', '-t')}-{report.territory.replace(':', '-')}.csv"
    return Response(
        rows_to_csv(report.rows()),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
