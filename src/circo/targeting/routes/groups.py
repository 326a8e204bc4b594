"""Estimated vote of each population group."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from circo import labels
from circo.errors import CircoError
from circo.targeting import charts, jobs
from circo.targeting.groups import GROUP_SETS, estimate_group_vote
from circo.targeting.routes.common import (
    METHOD_CHOICES,
    UNDER_COVERAGE,
    ElectionQ,
    FitterDep,
    default_territory,
    election_options,
)
from circo.targeting.service import parse_election_round
from circo.web.deps import SessionDep
from circo.web.templating import render

router = APIRouter()


def group_view(payload: dict[str, Any]) -> dict[str, Any]:
    groups = list(payload["global"])
    options = list(next(iter(payload["global"].values()), {}))
    shares = np.array([[payload["global"][g][o] for o in options] for g in groups])
    return {
        "groups_result": payload,
        "group_names": groups,
        "option_names": options,
        "bars_svg": Markup(
            charts.stacked_bars_svg(
                groups,
                options,
                shares,
                title=f"Vote estimé par groupe — {payload['election']} ({payload['territory']})",
            )
        ),
    }


@router.get("/c/{slug}/targeting/groups", response_class=HTMLResponse, include_in_schema=False)
def groups_page(
    request: Request,
    session: SessionDep,
    ctx: FitterDep,
    election: ElectionQ = "",
    territory: ElectionQ = "",
    variables: ElectionQ = "cs",
    method: ElectionQ = "em",
) -> Response:
    values: dict[str, Any] = {
        "elections": election_options(session),
        "election": election,
        "territory": territory or default_territory(ctx),
        "variables": variables,
        "group_sets": {name: title for name, (title, _) in GROUP_SETS.items()},
        "method": method,
        "methods": METHOD_CHOICES,
        "warning": UNDER_COVERAGE,
    }
    status = 200
    if election and values["territory"]:
        try:
            if jobs.runs_inline(method):
                result = estimate_group_vote(
                    session,
                    election=parse_election_round(election, option="election"),
                    territory=values["territory"],
                    variables=variables,
                    method=method,
                )
                values.update(group_view(result.as_dict(units=False)))
            else:
                values["needs_job"] = {
                    "election": election,
                    "territory": values["territory"],
                    "variables": variables,
                    "method": method,
                }
        except CircoError as exc:
            values["error"] = labels.person_message(exc.message, exc.loc)
            status = exc.status
    return render(request, "targeting/groups.html", values, status=status)
