"""Poster board pages: the boards of a commune with their state and a map, rounds of checks
given to volunteers, a board's phone screen (state + photo from the camera) and the photo
itself; the JSON list under ``/api/campaigns/{slug}/posters``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from circo.core.models import Role
from circo.core.tenancy import CampaignContext
from circo.errors import CircoError, NotFound
from circo.labels import LABELS
from circo.reach import posters
from circo.reach.pointmap import points_svg
from circo.reach.schemas_drops import PosterBoardRead
from circo.web.deps import CampaignDep, FormDep, SessionDep, SettingsDep, require_role
from circo.web.templating import render
from circo.web.types import IdPath

router = APIRouter()
pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/campaigns/{slug}/posters", tags=["posters"])
ManagerDep = Annotated[CampaignContext, Depends(require_role(Role.data, Role.organiser))]


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _manager(ctx: CampaignContext) -> bool:
    return ctx.role is Role.admin or ctx.role in posters.MANAGERS


def _index(
    request: Request,
    session: Session,
    ctx: CampaignContext,
    *,
    commune: str = "",
    error: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    manager = _manager(ctx)
    boards = posters.list_boards(session, ctx, commune=commune or None) if manager else []
    values = {
        "manager": manager,
        "boards": boards,
        "counts": posters.status_counts(boards),
        "communes": sorted({board.commune_code for board in boards}),
        "commune": commune,
        "map": points_svg(posters.board_points(boards), caption="Carte des panneaux électoraux"),
        "rounds": posters.list_rounds(session, ctx),
        "error": error,
        "form": form or {},
    }
    return render(request, "reach/posters.html", values, status=status)


@pages.get("/c/{slug}/posters", response_class=HTMLResponse)
def posters_page(
    request: Request, session: SessionDep, ctx: CampaignDep, commune: str = ""
) -> HTMLResponse:
    return _index(request, session, ctx, commune=commune.strip())


def _form_error(error: CircoError) -> str:
    return f"{error.loc} : {error.message}" if error.loc else error.message


@pages.post("/c/{slug}/posters")
def posters_create_page(
    request: Request, session: SessionDep, ctx: ManagerDep, form: FormDep
) -> Response:
    values = {key: _text(form, key) for key in ("commune", "number")}
    try:
        if not values["number"].isdigit():
            raise CircoError(
                f"numéro de panneau : nombre entier attendu (ex. 3), reçu « {values['number']} »",
                loc="number",
            )
        created = posters.create_boards(
            session, ctx, commune=values["commune"], number=int(values["number"])
        )
    except CircoError as error:
        session.rollback()
        return _index(
            request, session, ctx, error=_form_error(error), form=values, status=error.status
        )
    return RedirectResponse(
        f"/c/{ctx.campaign.slug}/posters?commune={created.commune}", status_code=303
    )


@pages.post("/c/{slug}/posters/rounds")
def posters_round_page(
    request: Request, session: SessionDep, ctx: ManagerDep, form: FormDep
) -> Response:
    values = {f"round_{key}": _text(form, key) for key in ("email", "commune", "day")}
    try:
        try:
            day = date.fromisoformat(values["round_day"])
        except ValueError:
            raise CircoError(
                f"date invalide « {values['round_day']} » (attendu AAAA-MM-JJ)", loc="day"
            ) from None
        created = posters.create_round(
            session, ctx, volunteer=values["round_email"], day=day, commune=values["round_commune"]
        )
    except CircoError as error:
        session.rollback()
        return _index(
            request, session, ctx, error=_form_error(error), form=values, status=error.status
        )
    return RedirectResponse(f"/c/{ctx.campaign.slug}/posters/rounds/{created.id}", status_code=303)


@pages.get("/c/{slug}/posters/rounds/{round_id}", response_class=HTMLResponse)
def poster_round_page(
    request: Request, session: SessionDep, ctx: CampaignDep, round_id: IdPath
) -> HTMLResponse:
    item = posters.get_round(session, ctx, round_id)
    boards = posters.round_boards(session, ctx, item)
    values = {
        "round": item,
        "boards": boards,
        "map": points_svg(posters.board_points(boards), caption=item.name),
    }
    return render(request, "reach/poster_round.html", values)


def _board_page(
    request: Request,
    session: Session,
    ctx: CampaignContext,
    board_id: int,
    *,
    round_id: int | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    board = posters.get_board(session, ctx, board_id)
    values = {
        "board": board,
        "checks": posters.checks_of(session, ctx, board.id),
        "may_check": posters.may_check(session, ctx, board),
        "statuses": [key for key in LABELS["poster_status"] if key != "pending"],
        "round_id": round_id,
        "max_mb": posters.PHOTO_MAX_BYTES // (1024 * 1024),
        "error": error,
    }
    return render(request, "reach/poster_board.html", values, status=status)


@pages.get("/c/{slug}/posters/boards/{board_id}", response_class=HTMLResponse)
def poster_board_page(
    request: Request,
    session: SessionDep,
    ctx: CampaignDep,
    board_id: IdPath,
    round: int | None = None,
) -> HTMLResponse:
    return _board_page(request, session, ctx, board_id, round_id=round)


@pages.post("/c/{slug}/posters/boards/{board_id}/check")
def poster_check_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ctx: CampaignDep,
    board_id: IdPath,
    form: FormDep,
) -> Response:
    upload = form.get("photo")
    round_text = _text(form, "round")
    round_id = int(round_text) if round_text.isdigit() else None
    try:
        content = None
        if isinstance(upload, UploadFile) and upload.filename:
            content = upload.file.read(posters.PHOTO_MAX_BYTES + 1)
        posters.record_check(
            session,
            ctx,
            data_dir=settings.data_dir,
            board_id=board_id,
            status=_text(form, "status"),
            photo=content,
            round_id=round_id,
        )
    except CircoError as error:
        session.rollback()
        if isinstance(error, NotFound) and error.loc == "board":
            raise
        return _board_page(
            request,
            session,
            ctx,
            board_id,
            round_id=round_id,
            error=_form_error(error),
            status=error.status,
        )
    target = f"/c/{ctx.campaign.slug}/posters/boards/{board_id}?saved=1"
    if round_id is not None:
        target = f"/c/{ctx.campaign.slug}/posters/rounds/{round_id}?saved={board_id}"
    return RedirectResponse(target, status_code=303)


@pages.get("/c/{slug}/posters/boards/{board_id}/photo.jpg")
def poster_photo(
    session: SessionDep, settings: SettingsDep, ctx: CampaignDep, board_id: IdPath
) -> Response:
    board = posters.get_board(session, ctx, board_id)
    path = posters.photo_path(settings.data_dir, board)
    if path is None:
        raise NotFound(f"aucune photo du panneau {board_id}", loc="photo")
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "private"})


@api.get("", response_model=list[PosterBoardRead])
def api_boards(session: SessionDep, ctx: ManagerDep, commune: str = "") -> list[dict[str, Any]]:
    return [
        posters.board_json(board)
        for board in posters.list_boards(session, ctx, commune=commune or None)
    ]


router.include_router(pages)
router.include_router(api)
