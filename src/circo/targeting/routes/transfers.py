"""Vote transfers between two rounds."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from circo import labels
from circo.errors import CircoError
from circo.targeting import charts, jobs
from circo.targeting.routes.common import METHOD_CHOICES, ElectionQ, FitterDep, transfer_form
from circo.targeting.service import TargetingError, estimate_transfers, parse_election_round
from circo.web.deps import SessionDep
from circo.web.templating import render

router = APIRouter()


def transfer_view(payload: dict[str, Any]) -> dict[str, Any]:
    """Chart and table of a `TransferResult.as_dict()` (inline or from a job)."""
    rows, columns = payload["rows"], payload["columns"]
    flows = np.array([[payload["flows"][r][c] for c in columns] for r in rows])
    return {
        "result": payload,
        "sankey_svg": Markup(
            charts.sankey_svg(
                rows,
                columns,
                flows,
                title=(
                    f"Reports de voix {payload['from']} → {payload['to']} ({payload['territory']})"
                ),
                left_title=payload["from"],
                right_title=payload["to"],
            )
        ),
    }


@router.get("/c/{slug}/targeting/transfers", response_class=HTMLResponse, include_in_schema=False)
def transfers_page(
    request: Request,
    session: SessionDep,
    ctx: FitterDep,
    source: Annotated[str, Query(alias="from")] = "",
    target: Annotated[str, Query(alias="to")] = "",
    territory: ElectionQ = "",
    method: ElectionQ = "em",
) -> Response:
    values = transfer_form(session, ctx, source=source, target=target, territory=territory)
    values.update(method=method, methods=METHOD_CHOICES)
    status = 200
    if source and target and values["territory"]:
        try:
            if method not in METHOD_CHOICES:
                raise TargetingError(
                    f"méthode « {method} » inconnue (attendu {', '.join(METHOD_CHOICES)})",
                    loc="method",
                )
            if jobs.runs_inline(method):
                result = estimate_transfers(
                    session,
                    source=parse_election_round(source, option="from"),
                    target=parse_election_round(target, option="to"),
                    territory=values["territory"],
                    method=method,
                )
                values.update(transfer_view(result.as_dict()))
            else:
                values["needs_job"] = {
                    "from": source,
                    "to": target,
                    "territory": values["territory"],
                    "method": method,
                }
        except CircoError as exc:
            values["error"] = labels.person_message(exc.message, exc.loc)
            status = exc.status
    return render(request, "targeting/transfers.html", values, status=status)
