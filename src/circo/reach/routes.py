"""Phone banking pages (organisers build lists and follow them; volunteers take a batch and
call from their phone) and the JSON API."""

from __future__ import annotations

from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from circo.core.models import Role
from circo.core.tenancy import CampaignContext
from circo.errors import CircoError
from circo.reach import calls, routes_drops, routes_forms, routes_posters, routes_texts
from circo.reach.schemas import (
    BatchRead,
    CallListCreated,
    CallListIn,
    OutcomeIn,
    OutcomeRead,
    ProgressRead,
)
from circo.web.deps import CampaignDep, FormDep, SessionDep, require_role
from circo.web.registry import NavItem
from circo.web.templating import add_template_dir, render
from circo.web.types import IdPath

add_template_dir(str(resources.files("circo") / "reach" / "templates"))

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/campaigns/{slug}/calls", tags=["calls"])
router = APIRouter()
ManagerDep = Annotated[CampaignContext, Depends(require_role(Role.data, Role.organiser))]

NAV_ITEMS = [
    NavItem("Phoning", "calls", order=24, group="Terrain"),
    NavItem("SMS un à un", "texts", order=25, group="Terrain"),
    NavItem("Tractage", "drops", order=42, group="Terrain"),
    NavItem("Panneaux électoraux", "posters", order=43, group="Terrain"),
    NavItem(
        "Formulaires publics",
        "forms",
        roles=(Role.data, Role.comms, Role.organiser),
        order=45,
        group="Contacts",
    ),
]


def dashboard_cards(session: Any, ctx: CampaignContext) -> list[Any]:
    from circo.formatting import format_percent
    from circo.web.registry import Card

    if ctx.role not in calls.MANAGERS:
        return []
    cards = []
    for call_list in calls.list_call_lists(session, ctx)[:3]:
        result = calls.progress(session, ctx, list_id=call_list.id)
        cards.append(
            Card(
                f"Phoning — {call_list.name}",
                f"{result.called} / {result.total}",
                detail=f"appels passés ; joints {format_percent(result.reach_rate)}",
                href=f"/c/{ctx.campaign.slug}/calls/{call_list.id}",
            )
        )
    return cards


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _base(ctx: CampaignContext) -> str:
    return f"/c/{ctx.campaign.slug}/calls"


def _tel(phone: str | None) -> str | None:
    return f"tel:{phone}" if phone else None


# --- pages ------------------------------------------------------------------------------------


def _index(
    request: Request,
    session: Session,
    ctx: CampaignContext,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    from circo.crm.segments import list_segments

    lists = calls.list_call_lists(session, ctx)
    rows = [(item, calls.progress(session, ctx, list_id=item.id)) for item in lists]
    values = {
        "rows": rows,
        "segments": list_segments(session, ctx) if ctx.role in calls.MANAGERS else [],
        "manager": ctx.role in calls.MANAGERS,
        "calendar": calls.calling_allowed(ctx),
        "error": error,
        "form": form or {},
        "segment_title": calls.segment_title,
    }
    return render(request, "reach/calls.html", values, status=status)


@pages.get("/c/{slug}/calls", response_class=HTMLResponse)
def calls_page(request: Request, session: SessionDep, ctx: CampaignDep) -> HTMLResponse:
    return _index(request, session, ctx)


@pages.post("/c/{slug}/calls")
def calls_create_page(
    request: Request, session: SessionDep, ctx: ManagerDep, form: FormDep
) -> Response:
    questions = [line for line in _text(form, "questions").splitlines() if line.strip()]
    try:
        batch_size = int(_text(form, "batch_size") or "20")
    except ValueError:
        batch_size = 0
    try:
        built = calls.create_call_list(
            session,
            ctx,
            segment=_text(form, "segment") or "all",
            name=_text(form, "name"),
            script=_text(form, "script"),
            questions=questions,
            batch_size=batch_size,
        )
    except CircoError as error:
        session.rollback()
        values = {key: _text(form, key) for key in ("segment", "name", "script", "questions")}
        return _index(request, session, ctx, error=error.message, form=values, status=error.status)
    return RedirectResponse(f"{_base(ctx)}/{built.call_list.id}", status_code=303)


def _list_page(
    request: Request,
    session: Session,
    ctx: CampaignContext,
    list_id: int,
    *,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    call_list = calls.get_call_list(session, ctx, list_id)
    batch = (
        calls.batch_rows(session, ctx, calls.my_batch(session, ctx, list_id=list_id))
        if ctx.actor.user_id is not None
        else []
    )
    values = {
        "call_list": call_list,
        "progress": calls.progress(session, ctx, list_id=list_id),
        "batch": batch,
        "calendar": calls.calling_allowed(ctx),
        "manager": ctx.role in calls.MANAGERS,
        "outcomes": [outcome.value for outcome in calls.CallOutcome],
        "error": error,
        "tel": _tel,
        "segment_title": calls.segment_title,
    }
    return render(request, "reach/list.html", values, status=status)


@pages.get("/c/{slug}/calls/{list_id}", response_class=HTMLResponse)
def call_list_page(
    request: Request, session: SessionDep, ctx: CampaignDep, list_id: IdPath
) -> HTMLResponse:
    return _list_page(request, session, ctx, list_id)


@pages.post("/c/{slug}/calls/{list_id}/batch")
def take_batch_page(
    request: Request, session: SessionDep, ctx: CampaignDep, list_id: IdPath
) -> Response:
    try:
        calls.take_batch(session, ctx, list_id=list_id)
    except calls.CalendarBlocked as error:
        session.rollback()
        return _list_page(request, session, ctx, list_id, error=error.message, status=423)
    return RedirectResponse(f"{_base(ctx)}/{list_id}#batch", status_code=303)


@pages.post("/c/{slug}/calls/{list_id}/contacts/{contact_id}")
def record_page(
    request: Request,
    session: SessionDep,
    ctx: CampaignDep,
    form: FormDep,
    list_id: IdPath,
    contact_id: IdPath,
) -> Response:
    from circo.core.timezone import parse_local

    call_list = calls.get_call_list(session, ctx, list_id)
    answers = {
        question: _text(form, f"answer-{index}")
        for index, question in enumerate(call_list.questions)
    }
    try:
        callback_text = _text(form, "callback_at")
        callback_at = (
            parse_local(callback_text, ctx.campaign.timezone, field="rappel")
            if callback_text
            else None
        )
        calls.record_outcome(
            session,
            ctx,
            list_id=list_id,
            contact_id=contact_id,
            outcome=_text(form, "outcome"),
            answers=answers,
            callback_at=callback_at,
            note=_text(form, "note"),
        )
    except CircoError as error:
        session.rollback()
        return _list_page(request, session, ctx, list_id, error=error.message, status=error.status)
    return RedirectResponse(f"{_base(ctx)}/{list_id}#batch", status_code=303)


# --- API --------------------------------------------------------------------------------------


@api.post("", status_code=201, response_model=CallListCreated)
def api_create(session: SessionDep, ctx: ManagerDep, body: CallListIn) -> dict[str, Any]:
    """Build a call list from a segment (`circo calls create --json`)."""
    built = calls.create_call_list(
        session,
        ctx,
        segment=body.segment,
        name=body.name,
        script=body.script,
        questions=list(body.questions),
        batch_size=body.batch_size,
    )
    return built.as_json()


@api.post("/{list_id}/batch", response_model=BatchRead)
def api_take_batch(session: SessionDep, ctx: CampaignDep, list_id: IdPath) -> dict[str, Any]:
    """Take (or get back) a batch of calls; 423 outside calling hours and during L49."""
    entries = calls.take_batch(session, ctx, list_id=list_id)
    return {
        "list": list_id,
        "entries": [
            {
                "contact": contact.id,
                "name": f"{contact.first_name} {contact.last_name}".strip(),
                "phone": contact.phone,
                "tel": _tel(contact.phone),
                "callback_at": entry.callback_at.isoformat() if entry.callback_at else None,
            }
            for entry, contact in calls.batch_rows(session, ctx, entries)
        ],
    }


@api.post("/{list_id}/contacts/{contact_id}", response_model=OutcomeRead)
def api_record(
    session: SessionDep, ctx: CampaignDep, list_id: IdPath, contact_id: IdPath, body: OutcomeIn
) -> dict[str, Any]:
    """Record what came of a call (`circo calls record`)."""
    entry = calls.record_outcome(
        session,
        ctx,
        list_id=list_id,
        contact_id=contact_id,
        outcome=body.outcome,
        answers=dict(body.answers),
        callback_at=body.callback_at,
        note=body.note,
    )
    return {
        "list": entry.list_id,
        "contact": entry.contact_id,
        "outcome": str(entry.outcome),
        "status": str(entry.status),
    }


@api.get("/{list_id}/progress", response_model=ProgressRead)
def api_progress(session: SessionDep, ctx: ManagerDep, list_id: IdPath) -> dict[str, Any]:
    call_list = calls.get_call_list(session, ctx, list_id)
    return calls.progress(session, ctx, list_id=list_id).as_json(call_list)


router.include_router(pages)
router.include_router(api)
router.include_router(routes_forms.router)
router.include_router(routes_texts.router)
router.include_router(routes_drops.router)
router.include_router(routes_posters.router)
