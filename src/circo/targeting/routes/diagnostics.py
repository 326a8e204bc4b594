"""Diagnostics of a transfer fit: tomography lines and residuals."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from circo import labels
from circo.errors import CircoError
from circo.targeting import charts
from circo.targeting.diagnostics import transfer_diagnostics
from circo.targeting.routes.common import ElectionQ, FitterDep, transfer_form
from circo.targeting.service import parse_election_round
from circo.web.deps import SessionDep
from circo.web.templating import render

router = APIRouter()


@router.get("/c/{slug}/targeting/diagnostics", response_class=HTMLResponse, include_in_schema=False)
def diagnostics_page(
    request: Request,
    session: SessionDep,
    ctx: FitterDep,
    source: Annotated[str, Query(alias="from")] = "",
    target: Annotated[str, Query(alias="to")] = "",
    territory: ElectionQ = "",
    row: ElectionQ = "",
    column: ElectionQ = "",
) -> Response:
    values = transfer_form(session, ctx, source=source, target=target, territory=territory)
    status = 200
    if source and target and values["territory"]:
        try:
            report = transfer_diagnostics(
                session,
                source=parse_election_round(source, option="from"),
                target=parse_election_round(target, option="to"),
                territory=values["territory"],
                row=row or None,
                column=column or None,
            )
            values["report"] = report
            values["tomography_svg"] = Markup(
                charts.tomography_svg(
                    report.lines,
                    title=f"Tomographie : {report.row} → {report.column}",
                    x_label=f"part de « {report.row} » vers « {report.column} »",
                    y_label=f"part des autres vers « {report.column} »",
                    estimate=report.estimate,
                )
            )
            values["residuals_svg"] = Markup(
                charts.residuals_svg(
                    [(item.station, item.standardised) for item in report.residuals[:25]],
                    title=f"Résidus standardisés de « {report.column} » (25 plus grands)",
                )
            )
        except CircoError as exc:
            values["error"] = labels.person_message(exc.message, exc.loc)
            status = exc.status
    return render(request, "targeting/diagnostics.html", values, status=status)
