"""Electoral rolls."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from circo.crm import rolls
from circo.crm.models import RollEntry
from circo.crm.routes.common import DataDep, csv_list
from circo.web.deps import SessionDep
from circo.web.templating import render

pages = APIRouter(include_in_schema=False)


@pages.get("/c/{slug}/rolls", response_class=HTMLResponse)
def rolls_page(
    request: Request,
    session: SessionDep,
    ctx: DataDep,
    roll: int | None = None,
    sort: str = "polling_station",
    sex: str = "",
    station: str = "",
    min_age: int | None = None,
    max_age: int | None = None,
) -> HTMLResponse:
    entries: list[RollEntry] = []
    total = 0
    if roll is not None:
        entries, total = rolls.query_roll(
            session,
            ctx,
            roll_id=roll,
            sort_by=sort,
            filters=rolls.RollFilter(
                min_age=min_age,
                max_age=max_age,
                sex=sex or None,
                polling_stations=tuple(csv_list(station)),
            ),
        )
    return render(
        request,
        "crm/rolls.html",
        {
            "rolls": rolls.list_rolls(session, ctx),
            "roll": roll,
            "entries": entries,
            "total": total,
            "sort": sort,
        },
    )
