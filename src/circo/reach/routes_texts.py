"""Person-to-person texting pages (the "send next" screen, the shared inbox), the JSON API and
the SMS provider's webhook for replies."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.models import Campaign, Role
from circo.core.tenancy import CampaignContext, system_context
from circo.errors import CircoError
from circo.reach import text_inbox, text_retry, texting
from circo.reach.calls import segment_title
from circo.reach.errors import ReachError
from circo.reach.schemas import (
    AnswerIn,
    InboundRead,
    SendNextRead,
    TextCampaignCreated,
    TextCampaignIn,
)
from circo.web.deps import (
    CampaignDep,
    FormDep,
    SessionDep,
    SettingsDep,
    WebhookBodyDep,
    require_role,
)
from circo.web.templating import render
from circo.web.types import IdPath

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/campaigns/{slug}/texts", tags=["texts"])
webhook = APIRouter(tags=["texts"])
router = APIRouter()
ManagerDep = Annotated[CampaignContext, Depends(require_role(Role.data, Role.organiser))]


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _base(ctx: CampaignContext) -> str:
    return f"/c/{ctx.campaign.slug}/texts"


# --- pages ------------------------------------------------------------------------------------


def _index(
    request: Request,
    session: Session,
    ctx: CampaignContext,
    settings: Settings,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    from circo.crm.segments import list_segments

    manager = ctx.role in texting.MANAGERS
    rows = [
        (item, texting.counts(session, ctx, item.id))
        for item in texting.list_text_campaigns(session, ctx)
    ]
    values = {
        "rows": rows,
        "segments": list_segments(session, ctx) if manager else [],
        "manager": manager,
        "calendar": texting.calendar_now(ctx),
        "webhook_url": text_inbox.inbound_url(settings, ctx.campaign_id) if manager else "",
        "error": error,
        "form": form or {},
        "segment_title": segment_title,
    }
    return render(request, "reach/texts.html", values, status=status)


@pages.get("/c/{slug}/texts", response_class=HTMLResponse)
def texts_page(
    request: Request, session: SessionDep, ctx: CampaignDep, settings: SettingsDep
) -> HTMLResponse:
    return _index(request, session, ctx, settings)


@pages.post("/c/{slug}/texts")
def texts_create_page(
    request: Request, session: SessionDep, ctx: ManagerDep, settings: SettingsDep, form: FormDep
) -> Response:
    try:
        built = texting.create_text_campaign(
            session,
            ctx,
            segment=_text(form, "segment") or "all",
            template=_text(form, "template"),
            name=_text(form, "name"),
        )
    except CircoError as error:
        session.rollback()
        values = {key: _text(form, key) for key in ("segment", "name", "template")}
        return _index(
            request, session, ctx, settings, error=error.message, form=values, status=error.status
        )
    return RedirectResponse(f"{_base(ctx)}/{built.text_campaign.id}", status_code=303)


def _inbox_page(
    request: Request,
    session: Session,
    ctx: CampaignContext,
    *,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    from circo.core.service import list_members

    mine = request.query_params.get("tous") is None and ctx.role not in texting.MANAGERS
    rows = text_inbox.inbox(session, ctx, mine=mine)
    suggestions = {
        message.id: text_inbox.suggestions(session, ctx, message.text)
        for message, _contact in rows[:20]
        if not message.handled
    }
    threads = {
        message.id: text_inbox.thread(session, ctx, message) for message, _contact in rows[:50]
    }
    members = list_members(session, ctx=ctx) if ctx.role in texting.MANAGERS else []
    values = {
        "rows": rows,
        "suggestions": suggestions,
        "threads": threads,
        "members": members,
        "names": {row.user.id: row.user.email for row in members},
        "manager": ctx.role in texting.MANAGERS,
        "mine": mine,
        "error": error,
    }
    return render(request, "reach/inbox.html", values, status=status)


@pages.get("/c/{slug}/texts/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, session: SessionDep, ctx: CampaignDep) -> HTMLResponse:
    return _inbox_page(request, session, ctx)


@pages.post("/c/{slug}/texts/inbox/{message_id}/answer")
def answer_page(
    request: Request,
    session: SessionDep,
    ctx: CampaignDep,
    settings: SettingsDep,
    form: FormDep,
    message_id: IdPath,
) -> Response:
    try:
        text_inbox.answer_message(
            session, ctx, settings, message_id=message_id, text=_text(form, "text")
        )
    except CircoError as error:
        session.rollback()
        return _inbox_page(request, session, ctx, error=error.message, status=error.status)
    return RedirectResponse(f"{_base(ctx)}/inbox", status_code=303)


@pages.post("/c/{slug}/texts/inbox/{message_id}/assign")
def assign_page(
    request: Request, session: SessionDep, ctx: CampaignDep, form: FormDep, message_id: IdPath
) -> Response:
    raw = _text(form, "user")
    try:
        user_id = int(raw) if raw else None
        text_inbox.assign_message(session, ctx, message_id=message_id, user_id=user_id)
    except ValueError:
        session.rollback()
        return _inbox_page(request, session, ctx, error=f"personne « {raw} » inconnue", status=400)
    except CircoError as error:
        session.rollback()
        return _inbox_page(request, session, ctx, error=error.message, status=error.status)
    return RedirectResponse(f"{_base(ctx)}/inbox", status_code=303)


def _send_page(
    request: Request,
    session: Session,
    ctx: CampaignContext,
    text_campaign_id: int,
    *,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    text_campaign = texting.get_text_campaign(session, ctx, text_campaign_id)
    sent = None
    sent_id = request.query_params.get("envoye", "")
    if sent_id.isdigit():
        sent = next(
            (
                entry
                for entry in texting.my_recent(session, ctx, text_campaign_id)
                if entry.id == int(sent_id)
            ),
            None,
        )
    values = {
        "text_campaign": text_campaign,
        "counts": texting.counts(session, ctx, text_campaign_id),
        "calendar": texting.calendar_now(ctx),
        "sent": sent,
        "recent": texting.my_recent(session, ctx, text_campaign_id),
        "stuck": text_retry.stuck_texts(session, ctx, text_campaign_id),
        "error": error,
        "segment_title": segment_title,
    }
    return render(request, "reach/text_send.html", values, status=status)


@pages.get("/c/{slug}/texts/{text_campaign_id}", response_class=HTMLResponse)
def send_page(
    request: Request, session: SessionDep, ctx: CampaignDep, text_campaign_id: IdPath
) -> HTMLResponse:
    return _send_page(request, session, ctx, text_campaign_id)


@pages.post("/c/{slug}/texts/{text_campaign_id}/send-next")
def send_next_page(
    request: Request,
    session: SessionDep,
    ctx: CampaignDep,
    settings: SettingsDep,
    text_campaign_id: IdPath,
) -> Response:
    try:
        result = texting.send_next(session, ctx, settings, text_campaign_id=text_campaign_id)
    except CircoError as error:
        session.rollback()
        return _send_page(
            request, session, ctx, text_campaign_id, error=error.message, status=error.status
        )
    suffix = f"?envoye={result.entry.id}" if result.entry is not None else ""
    return RedirectResponse(f"{_base(ctx)}/{text_campaign_id}{suffix}", status_code=303)


@pages.post("/c/{slug}/texts/{text_campaign_id}/retry/{entry_id}")
def retry_page(
    request: Request,
    session: SessionDep,
    ctx: CampaignDep,
    settings: SettingsDep,
    text_campaign_id: IdPath,
    entry_id: IdPath,
) -> Response:
    """Send a text stuck in "sending" again (same text, same provider reference)."""
    texting.get_text_campaign(session, ctx, text_campaign_id)
    try:
        entry = text_retry.retry_stuck(session, ctx, settings, entry_id=entry_id)
    except CircoError as error:
        session.rollback()
        return _send_page(
            request, session, ctx, text_campaign_id, error=error.message, status=error.status
        )
    return RedirectResponse(f"{_base(ctx)}/{text_campaign_id}?envoye={entry.id}", status_code=303)


# --- API --------------------------------------------------------------------------------------


@api.post("", status_code=201, response_model=TextCampaignCreated)
def api_create(session: SessionDep, ctx: ManagerDep, body: TextCampaignIn) -> dict[str, Any]:
    """Build a texting campaign from a segment (`circo texts create --json`)."""
    built = texting.create_text_campaign(
        session, ctx, segment=body.segment, template=body.template, name=body.name
    )
    return built.as_json()


@api.post("/{text_campaign_id}/send-next", response_model=SendNextRead)
def api_send_next(
    session: SessionDep, ctx: CampaignDep, settings: SettingsDep, text_campaign_id: IdPath
) -> dict[str, Any]:
    """Send one text, the next pending one (423 during L49 and outside contact hours)."""
    result = texting.send_next(session, ctx, settings, text_campaign_id=text_campaign_id)
    return result.as_json(texting.get_text_campaign(session, ctx, text_campaign_id))


@api.post("/inbox/{message_id}/answer", status_code=201)
def api_answer(
    session: SessionDep,
    ctx: CampaignDep,
    settings: SettingsDep,
    message_id: IdPath,
    body: AnswerIn,
) -> dict[str, Any]:
    """Answer a reply of the shared inbox (calendar and consent checked now)."""
    sent = text_inbox.answer_message(session, ctx, settings, message_id=message_id, text=body.text)
    return {"message": sent.id, "sent": not sent.provider_id.startswith("échec")}


@webhook.post(
    "/api/reach/texts-inbound/{token}",
    response_model=InboundRead,
    responses={404: {"description": "lien invalide ou campagne inconnue"}},
)
def texts_inbound(
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str, Path(max_length=500)],
    body: WebhookBodyDep,
) -> JSONResponse:
    """Webhook of the SMS provider for replies (the address is signed: `circo texts webhook`).
    JSON or a form with ``from``/``msisdn``/``sender`` and ``text``/``content``."""
    try:
        campaign_id = text_inbox.read_inbound_token(settings, token)
    except ValueError:
        return JSONResponse({"error": "NotFound", "message": "lien invalide"}, status_code=404)
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        return JSONResponse({"error": "NotFound", "message": "campagne inconnue"}, status_code=404)
    try:
        data: Any = json.loads(body) if isinstance(body, bytes) else body
    except ValueError:
        raise ReachError("corps JSON illisible (attendu un objet)", loc="body") from None
    if not hasattr(data, "get"):
        raise ReachError('corps JSON : un objet attendu, ex. {"from": …}', loc="body")
    phone = str(data.get("from") or data.get("msisdn") or data.get("sender") or "").strip()
    text = str(data.get("text") or data.get("content") or data.get("body") or "")
    if not phone:
        raise ReachError("numéro de l'expéditeur manquant (champ « from »)", loc="from")
    if phone.isdigit() and not phone.startswith("0"):
        phone = "+" + phone  # international number without "+", as some providers send it
    received = text_inbox.receive_reply(
        session, system_context(campaign), settings, phone=phone, text=text
    )
    return JSONResponse(received.as_json())


router.include_router(pages)
router.include_router(api)
router.include_router(webhook)
