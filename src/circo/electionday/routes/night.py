"""Results-night pages (live aggregation, HQ screen, export, phone entry of a PV) and the JSON
API alongside.

The phone page lives under ``/c/{slug}/night/pv/`` with its script and service worker (scope:
that folder), like the volunteer app of `circo.field`: the page keeps working offline, the PVs
typed meanwhile wait in the phone's storage and are sent when the network is back, each with
its own id so that a retry never enters a PV twice."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import AfterValidator

from circo.bounds import no_nul
from circo.core.spreadsheet import csv_text
from circo.electionday import live, service
from circo.electionday.routes.common import (
    STATIC,
    ElectionQuery,
    LevelQuery,
    ReferenceQuery,
    StaffDep,
    night_choice,
)
from circo.electionday.schemas import (
    AggregateRead,
    PhotoAck,
    ProjectionRead,
    PvAck,
    PvIn,
)
from circo.errors import CircoError
from circo.web.deps import CampaignDep, SessionDep, SettingsDep, UploadBodyDep
from circo.web.templating import render

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/campaigns/{slug}/night", tags=["electionday"])


# --- pages ------------------------------------------------------------------------------------


@pages.get("/c/{slug}/night", response_class=HTMLResponse)
def night_page(
    request: Request,
    session: SessionDep,
    ctx: StaffDep,
    election: ElectionQuery = "",
    round_number: Annotated[int | None, Query(alias="round", ge=1, le=2)] = None,
    reference: ReferenceQuery = "",
    level: LevelQuery = "dep",
    territory: ReferenceQuery = "",
    screen: bool = False,
) -> HTMLResponse:
    """The live aggregation (``screen=1``: the HQ display, large, refreshed every 30 s)."""
    values: dict[str, Any] = {
        "nights": live.nights(session, ctx),
        "reference": reference,
        "level": level,
        "screen": screen,
        "error": "",
        "result": None,
        "projection": None,
        "night_title": live.night_title,
        "territory": territory or ctx.campaign.territory_code or "fr",
        "entries": [],
    }
    try:
        chosen = night_choice(session, ctx, election, round_number)
        if chosen is not None:
            key, round_value = chosen
            values["election"], values["round"] = key, round_value
            if not reference:
                reference = live.default_reference(session, key, round_value)
                values["reference"] = reference
            if not screen:
                values["entries"] = live.entries(
                    session, ctx, election=key, round_number=round_value
                )
            values["result"] = live.aggregate(
                session, ctx, election=key, round_number=round_value, level=level,
                reference=reference or None,
            )  # fmt: skip
            if reference and values["result"]["areas"]:
                values["projection"] = service.project(
                    session, ctx, election=key, round_number=round_value, reference=reference,
                    territory=values["territory"], n_boot=100,
                )  # fmt: skip
    except CircoError as exc:
        values["error"] = str(exc)
    template = "electionday/screen.html" if screen else "electionday/night.html"
    response = render(request, template, values)
    if screen:
        response.headers["Refresh"] = "30"
    return response


@pages.get("/c/{slug}/night/export.csv")
def night_export(
    session: SessionDep,
    ctx: StaffDep,
    election: ElectionQuery,
    round_number: Annotated[int, Query(alias="round", ge=1, le=2)],
) -> Response:
    """The entered PVs as a results file (`circo night enter` and `circo import results` read
    it back). Public figures, no personal data: no audit line."""
    headers, rows = live.export_rows(session, ctx, election=election, round_number=round_number)
    name = f"pv-{service.election_key(election, round_number)}-t{round_number}.csv"
    return Response(
        csv_text(headers, rows, delimiter=","),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@pages.get("/c/{slug}/night/log.csv")
def night_log_export(
    session: SessionDep,
    ctx: StaffDep,
    election: ElectionQuery,
    round_number: Annotated[int, Query(alias="round", ge=1, le=2)],
) -> Response:
    """Who entered and confirmed each PV (names of the team's users: an audit line)."""
    from circo.core import audit

    headers, rows = live.log_rows(session, ctx, election=election, round_number=round_number)
    key = service.election_key(election, round_number)
    audit.record(
        session, actor=ctx.actor, action="night.log_export", campaign_id=ctx.campaign_id,
        target_type="night", target_id=f"{key}:{round_number}", details={"rows": len(rows)},
    )  # fmt: skip
    return Response(
        csv_text(headers, rows, delimiter=","),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="saisies-{key}-t{round_number}.csv"'
        },
    )


@pages.get("/c/{slug}/night/photos/{photo_id}")
def night_photo(
    session: SessionDep, settings: SettingsDep, ctx: StaffDep, photo_id: int
) -> Response:
    """A PV's photo, shown next to its entry on the HQ page."""
    from circo.electionday.photos import photo_file

    path, media_type = photo_file(session, ctx, settings.data_dir, photo_id)
    return FileResponse(
        path, media_type=media_type, headers={"Cache-Control": "private, max-age=3600"}
    )


@pages.get("/c/{slug}/night/pv/", response_class=HTMLResponse)
def pv_page(request: Request, session: SessionDep, ctx: CampaignDep) -> HTMLResponse:
    """The phone page: type a bureau's PV, offline included."""
    chosen = night_choice(session, ctx, "", None)
    names: list[str] = []
    if chosen is not None:
        names = live.ballot(session, ctx, election=chosen[0], round_number=chosen[1])
    response = render(
        request,
        "electionday/pv.html",
        {
            "slug": ctx.campaign.slug,
            "election": chosen[0] if chosen else "",
            "round": chosen[1] if chosen else 1,
            "names": names,
        },
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


_ASSETS = {"pv.js": "text/javascript; charset=utf-8", "sw.js": "text/javascript; charset=utf-8"}


@pages.get("/c/{slug}/night/pv/{asset}")
def pv_asset(slug: str, asset: str) -> Response:
    """The phone page's script and service worker (no data in them: no login needed)."""
    if asset not in _ASSETS:
        return Response("introuvable", status_code=404)
    return FileResponse(
        STATIC / asset, media_type=_ASSETS[asset], headers={"Cache-Control": "no-cache"}
    )


# --- API --------------------------------------------------------------------------------------


@api.post("/pv", response_model=PvAck)
def api_enter_pv(session: SessionDep, ctx: CampaignDep, body: PvIn) -> dict[str, Any]:
    """Enter one PV (phone). Idempotent by ``entry_key``; the same figures as an earlier entry
    confirm it; different ones are refused (409) naming both versions; bad arithmetic 422."""
    return live.enter_phone_pv(
        session,
        ctx,
        live.PhonePv(
            client_id=body.entry_key,
            election=body.election,
            round=body.round,
            station=body.station,
            registered=body.registered,
            voters=body.voters,
            blank=body.blank,
            null_votes=body.null_votes,
            valid_votes=body.valid_votes,
            candidates=tuple((c.name, c.votes) for c in body.candidates),
        ),
    )


KeyQuery = Annotated[str, AfterValidator(no_nul), Query(max_length=64)]


@api.post("/pv/photo", response_model=PhotoAck)
def api_pv_photo(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ctx: CampaignDep,
    body: UploadBodyDep,
    result: Annotated[int, Query(ge=1)],
    photo: KeyQuery,
) -> dict[str, Any]:
    """The photo of an entered PV (the id answered for the PV), the image as the body
    (``Content-Type`` image/jpeg, image/png or image/webp, at most 8 Mo). Idempotent by
    ``photo`` (the phone's id of the photo)."""
    from circo.electionday.photos import store_photo

    return store_photo(
        session, ctx, settings.data_dir, result_id=result, photo_key=photo, data=body,
        declared_type=request.headers.get("content-type", ""),
    )  # fmt: skip


@api.get("/aggregate", response_model=AggregateRead)
def api_aggregate(
    session: SessionDep,
    ctx: StaffDep,
    election: ElectionQuery,
    round_number: Annotated[int, Query(alias="round", ge=1, le=2)],
    level: LevelQuery = "dep",
    reference: ReferenceQuery = "",
) -> dict[str, Any]:
    """Counted totals per territory, share of bureaux and registered counted, anomalies."""
    return live.aggregate(
        session, ctx, election=election, round_number=round_number, level=level,
        reference=reference or None,
    )  # fmt: skip


@api.get("/project", response_model=ProjectionRead)
def api_project(
    session: SessionDep,
    ctx: StaffDep,
    election: ElectionQuery,
    round_number: Annotated[int, Query(alias="round", ge=1, le=2)],
    reference: ReferenceQuery,
    territory: ReferenceQuery = "fr",
) -> dict[str, Any]:
    """`circo night project --json` (plus the naive total and the assumptions)."""
    return service.project(
        session, ctx, election=election, round_number=round_number, reference=reference,
        territory=territory,
    )  # fmt: skip


router = APIRouter()
router.include_router(pages)
router.include_router(api)
