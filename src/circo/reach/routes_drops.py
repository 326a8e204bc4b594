"""Leaflet drop pages (rounds, coverage map, route sheets), the volunteer's offline phone screen
(``/c/{slug}/drops/app/``: buildings marked done are queued on the phone and synced) and the
JSON API under ``/api/campaigns/{slug}/drops``."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from circo.core.models import Role
from circo.core.tenancy import CampaignContext
from circo.errors import CircoError
from circo.reach import drops
from circo.reach.pointmap import points_svg
from circo.reach.schemas_drops import (
    CoverageRead,
    DropDoneIn,
    DropDoneRead,
    DropRoundDetail,
    DropRoundRead,
)
from circo.web.deps import CampaignDep, FormDep, SessionDep, require_role
from circo.web.templating import render
from circo.web.types import IdPath

router = APIRouter()
pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/campaigns/{slug}/drops", tags=["drops"])
ManagerDep = Annotated[CampaignContext, Depends(require_role(Role.data, Role.organiser))]
STATIC = Path(str(resources.files("circo") / "reach" / "static"))
_ASSETS = {
    "drops.js": "text/javascript; charset=utf-8",
    "sw.js": "text/javascript; charset=utf-8",
}


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _manager(ctx: CampaignContext) -> bool:
    return ctx.role is Role.admin or ctx.role in drops.MANAGERS


def _index(
    request: Request,
    session: Session,
    ctx: CampaignContext,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    rows = [
        (item, drops.coverage(session, ctx, item.id)) for item in drops.list_rounds(session, ctx)
    ]
    values = {
        "rows": rows,
        "manager": _manager(ctx),
        "leaflets": drops.leaflet_choices(session, ctx) if _manager(ctx) else [],
        "error": error,
        "form": form or {},
    }
    return render(request, "reach/drops.html", values, status=status)


@pages.get("/c/{slug}/drops", response_class=HTMLResponse)
def drops_page(request: Request, session: SessionDep, ctx: CampaignDep) -> HTMLResponse:
    return _index(request, session, ctx)


@pages.post("/c/{slug}/drops")
def drops_create_page(
    request: Request, session: SessionDep, ctx: ManagerDep, form: FormDep
) -> Response:
    values = {key: _text(form, key) for key in ("leaflet", "bureaux", "per_turf", "name")}
    try:
        try:
            per_turf = int(values["per_turf"] or drops.LETTERBOXES_PER_TURF)
        except ValueError:
            raise CircoError(
                f"boîtes aux lettres par secteur : nombre entier attendu (ex. 250), reçu "
                f"« {values['per_turf']} »",
                loc="per_turf",
            ) from None
        chosen = drops.parse_bureaux(session, ctx, values["bureaux"])
        drop = drops.create_round(
            session,
            ctx,
            leaflet=values["leaflet"],
            bureaux=chosen,
            letterboxes_per_turf=per_turf,
            name=values["name"],
        )
    except CircoError as error:
        session.rollback()
        message = f"{error.loc} : {error.message}" if error.loc else error.message
        return _index(request, session, ctx, error=message, form=values, status=error.status)
    return RedirectResponse(f"/c/{ctx.campaign.slug}/drops/{drop.id}", status_code=303)


@pages.get("/c/{slug}/drops/app/", response_class=HTMLResponse)
def drops_app(request: Request, ctx: CampaignDep) -> HTMLResponse:
    response = render(request, "reach/drops_app.html", {"slug": ctx.campaign.slug})
    response.headers["Cache-Control"] = "no-cache"
    return response


@pages.get("/c/{slug}/drops/app/{asset}")
def drops_app_asset(slug: str, asset: str) -> Response:
    """Scripts of the phone screen, under its path so the service worker's scope covers it
    (no login needed: they hold no data)."""
    if asset not in _ASSETS:
        return Response("introuvable", status_code=404)
    return FileResponse(
        STATIC / asset, media_type=_ASSETS[asset], headers={"Cache-Control": "no-cache"}
    )


@pages.get("/c/{slug}/drops/{round_id}", response_class=HTMLResponse)
def drop_page(
    request: Request, session: SessionDep, ctx: CampaignDep, round_id: IdPath
) -> HTMLResponse:
    drop = drops.get_round(session, ctx, round_id)
    result = drops.coverage(session, ctx, round_id)
    values = {
        "drop": drop,
        "coverage": result,
        "turfs": drops.round_turfs(session, ctx, drop),
        "map": points_svg(
            drops.coverage_points(session, ctx, round_id),
            caption=f"Couverture de la tournée {drop.name}",
        ),
    }
    return render(request, "reach/drop.html", values)


@pages.get("/c/{slug}/drops/{round_id}/turfs/{turf_id}/sheet.pdf")
def drop_sheet(
    session: SessionDep, ctx: CampaignDep, round_id: IdPath, turf_id: IdPath
) -> Response:
    from circo.reach.drop_sheet import drop_sheet_pdf

    pdf = drop_sheet_pdf(session, ctx, round_id=round_id, turf_id=turf_id)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="tractage-{round_id}-{turf_id}.pdf"'},
    )


# --- JSON API ---------------------------------------------------------------------------------


@api.get("", response_model=list[DropRoundRead])
def api_rounds(session: SessionDep, ctx: CampaignDep) -> list[dict[str, Any]]:
    return [
        {
            "id": item.id,
            "name": item.name,
            "leaflet": item.leaflet,
            "bureaux": list(item.bureaux or []),
            "letterboxes": item.letterboxes,
        }
        for item in drops.list_rounds(session, ctx)
    ]


@api.get("/{round_id}", response_model=DropRoundDetail)
def api_round(session: SessionDep, ctx: CampaignDep, round_id: IdPath) -> dict[str, Any]:
    """The round for the phone: turfs, buildings in walking order, done or not."""
    return drops.round_json(session, ctx, round_id)


@api.post("/{round_id}/done", response_model=DropDoneRead)
def api_done(
    session: SessionDep, ctx: CampaignDep, round_id: IdPath, body: DropDoneIn
) -> dict[str, Any]:
    """Buildings marked done (offline, in a batch): idempotent per building."""
    drops.get_round(session, ctx, round_id)
    items = [item.model_dump() for item in body.items]
    return {"results": drops.sync_done(session, ctx, round_id=round_id, items=items)}


@api.get("/{round_id}/coverage", response_model=CoverageRead)
def api_coverage(session: SessionDep, ctx: CampaignDep, round_id: IdPath) -> dict[str, Any]:
    return drops.coverage(session, ctx, round_id)


router.include_router(pages)
router.include_router(api)
