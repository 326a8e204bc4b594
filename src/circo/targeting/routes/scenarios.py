"""Second-round scenario page: qualification by the legal rules, withdrawals, turnout change
(sliders: plain ``<input type="range">``), Monte Carlo probabilities of winning, CSV export."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from circo import labels
from circo.errors import CircoError
from circo.targeting.routes.common import ElectionQ, FitterDep, transfer_form
from circo.targeting.scenarios import (
    Transfers,
    matching_warnings,
    rows_csv,
    scenario_rows,
    simulate_territory,
)
from circo.targeting.service import TargetingError, estimate_transfers, parse_election_round
from circo.web.deps import SessionDep
from circo.web.templating import render

router = APIRouter()


def _first_rounds(elections: list[dict[str, str]]) -> tuple[str, str, str]:
    """What the page proposes before anything is chosen: the latest imported first round, with
    the transfers between its two rounds (or nothing when no election has both)."""
    values = {item["value"] for item in elections}
    for item in elections:
        key, _, round_text = item["value"].rpartition(":")
        if round_text == "1" and f"{key}:2" in values:
            return item["value"], item["value"], f"{key}:2"
    return "", "", ""


@router.get("/c/{slug}/targeting/scenario", response_class=HTMLResponse, include_in_schema=False)
def scenario_page(
    request: Request,
    session: SessionDep,
    ctx: FitterDep,
    election: ElectionQ = "",
    source: Annotated[str, Query(alias="from")] = "",
    target: Annotated[str, Query(alias="to")] = "",
    territory: ElectionQ = "",
    withdraw: Annotated[list[str] | None, Query()] = None,
    turnout: Annotated[int, Query(ge=-20, le=20)] = 0,
    draws: Annotated[int, Query(ge=100, le=10_000)] = 1000,
    output: ElectionQ = "",
) -> Response:
    values: dict[str, Any] = transfer_form(
        session, ctx, source=source, target=target, territory=territory
    )
    submitted = bool(election or source or target)
    if not submitted:  # proposed, not computed: the fit runs when the person asks
        election, source, target = _first_rounds(values["elections"])
        values.update(source=source, target=target)
    values.update(election=election, turnout=turnout, draws=draws, withdrawn=withdraw or [])
    status = 200
    if submitted and election and source and target and values["territory"]:
        try:
            key, round_number = parse_election_round(election, option="election")
            if round_number != 1:
                raise TargetingError(
                    "choisissez le premier tour de l'élection à simuler", loc="election"
                )
            fitted = estimate_transfers(
                session,
                source=parse_election_round(source, option="from"),
                target=parse_election_round(target, option="to"),
                territory=values["territory"],
                method="auto",
            )
            transfers = Transfers(
                fitted.rows,
                fitted.columns,
                np.asarray(fitted.shares),
                fitted.intervals,
                row_labels=fitted.row_labels,
                column_labels=fitted.column_labels,
                row_totals=np.asarray(fitted.row_totals),
            )
            constituencies, seats = simulate_territory(
                session,
                election=key,
                territory=values["territory"],
                transfers=transfers,
                withdrawn=withdraw or [],
                turnout_change=turnout / 100,
                draws=draws,
                seed=0,
            )
            rows = scenario_rows(constituencies)
            if output == "csv":
                return Response(
                    rows_csv(rows),
                    media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="scenario.csv"'},
                )
            values.update(
                rows=rows,
                seats=seats,
                constituencies=constituencies,
                transfer_warnings=[*fitted.warnings, *matching_warnings(constituencies)],
            )
        except CircoError as exc:
            values["error"] = labels.person_message(exc.message, exc.loc)
            status = exc.status
    return render(request, "targeting/scenario.html", values, status=status)
