"""Messaging pages, JSON API and the public links (unsubscribe, tracking, SMS STOP webhook)."""

from __future__ import annotations

import base64
import json
from importlib import resources
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from circo import labels
from circo.assistant.service import check_passages
from circo.bounds import MAX_ID, FiniteFloat, Id, LongText, ShortText
from circo.core import jobs
from circo.core.models import Campaign, Role
from circo.core.tenancy import CampaignContext, system_context
from circo.db import utcnow
from circo.errors import CircoError
from circo.messaging import compose, delivery, directory, service
from circo.messaging.errors import MessagingError
from circo.messaging.links import Links
from circo.messaging.models import Delivery, MessageCampaign
from circo.messaging.schemas import (
    CellRead,
    DeliveryRead,
    InboundRead,
    MatrixRead,
    MessageRead,
    PointCreated,
    PreviewRead,
    WinnerRead,
)
from circo.web.deps import FormDep, SessionDep, SettingsDep, WebhookBodyDep, require_role
from circo.web.registry import Card, NavItem
from circo.web.templating import add_template_dir, render
from circo.web.types import IdPath, IdQuery, Limit, Offset, QueryOptText

add_template_dir(str(resources.files("circo") / "messaging" / "templates"))

router = APIRouter()
NAV_ITEMS = [
    NavItem("Messages", "messages", roles=(Role.comms, Role.data), order=50, group="Communication")
]
CommsDep = Annotated[CampaignContext, Depends(require_role(Role.comms, Role.data))]
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def dashboard_cards(session: Session, ctx: CampaignContext) -> list[Card]:
    if ctx.role not in (Role.admin, Role.comms, Role.data):
        return []  # campaign-wide figures and subjects: for the people who send messages
    sent = session.scalar(
        ctx.scoped(select(func.count(Delivery.id)), Delivery).where(Delivery.status == "sent")
    )
    messages = service.list_messages(session, ctx)
    detail = f"dernier : {messages[0].subject or messages[0].channel}" if messages else ""
    return [
        Card(
            "Messages envoyés",
            str(sent or 0),
            detail=detail,
            href=f"/c/{ctx.campaign.slug}/messages",
        )
    ]


# --- schemas ----------------------------------------------------------------------------------


Channel = Annotated[ShortText, StringConstraints(max_length=16)]
SegmentName = Annotated[ShortText, StringConstraints(max_length=200)]
Subject = Annotated[ShortText, StringConstraints(max_length=300)]
MAX_VARIANTS = 20


class DraftIn(BaseModel):
    channel: Channel = "email"
    segment: SegmentName = "all"
    subject: Subject = ""
    body: LongText
    point_id: Id | None = None
    subject_variants: list[Subject] = Field(default_factory=list, max_length=MAX_VARIANTS)
    ab_sample_fraction: Annotated[FiniteFloat, Field(ge=0, le=1)] = 0.2
    ab_metric: Channel = "opens"
    ab_fallback_variant: Annotated[int, Field(ge=0, le=MAX_VARIANTS)] = 0
    ab_wait_minutes: Annotated[int, Field(ge=0, le=60 * 24 * 30)] = 240  # up to 30 days
    track: bool = False

    def draft(self) -> service.Draft:
        return service.Draft(
            channel=self.channel,
            segment=self.segment,
            subject=self.subject or (self.subject_variants[0] if self.subject_variants else ""),
            body=self.body,
            point_id=self.point_id,
            subject_variants=self.subject_variants or None,
            ab_sample_fraction=self.ab_sample_fraction if self.subject_variants else 0.0,
            ab_metric=self.ab_metric,
            ab_fallback_variant=self.ab_fallback_variant,
            ab_wait_minutes=self.ab_wait_minutes,
            track=self.track,
        )


class PointIn(BaseModel):
    title: Annotated[ShortText, StringConstraints(max_length=200)]
    summary: LongText = ""
    passage_ids: list[Id] = Field(default_factory=list, max_length=100)
    segments: list[SegmentName] = Field(default_factory=list, max_length=100)


class CellIn(BaseModel):
    segment: SegmentName
    point_id: Id
    on: bool = True


class WinnerIn(BaseModel):
    variant: Annotated[int, Field(ge=0, le=MAX_VARIANTS)] | None = None


def message_json(session: Session, message: MessageCampaign) -> dict[str, Any]:
    return {
        "id": message.id,
        "channel": message.channel,
        "segment": message.segment_name,
        "subject": message.subject,
        "status": message.status,
        "point_id": message.point_id,
        "created_at": message.created_at,
        "stats": service.status_counts(session, message.id),
        "engagement": service.engagement(session, message.id),
        "outcome": service.outcome(session, message),
        "ab": [
            {
                "variant": stat.index,
                "subject": stat.subject,
                "sent": stat.sent,
                "tracked": stat.tracked,
                "opened": stat.opened,
                "clicked": stat.clicked,
            }
            for stat in service.variant_stats(session, message)
        ],
        "ab_winner": message.ab_winner,
    }


# --- JSON API ---------------------------------------------------------------------------------

API = "/api/campaigns/{slug}/messages"


@router.get(API, response_model=list[MessageRead])
def api_list(session: SessionDep, ctx: CommsDep) -> list[dict[str, Any]]:
    return [message_json(session, message) for message in service.list_messages(session, ctx)]


@router.post(API, status_code=201, response_model=MessageRead)
def api_send(
    session: SessionDep, settings: SettingsDep, ctx: CommsDep, payload: DraftIn
) -> dict[str, Any]:
    """Queue a send (the job runner carries it out)."""
    message = service.start_send(session, ctx, settings, draft=payload.draft())
    return message_json(session, message)


@router.get(API + "/matrix", response_model=MatrixRead)
def api_matrix(session: SessionDep, ctx: CommsDep) -> dict[str, Any]:
    points, rows = service.matrix(session, ctx)
    return {
        "points": [
            {"id": p.id, "title": p.title, "summary": p.summary, "passage_ids": p.passage_ids}
            for p in points
        ],
        "segments": [row.__dict__ for row in rows],
    }


@router.post(API + "/points", status_code=201, response_model=PointCreated)
def api_add_point(session: SessionDep, ctx: CommsDep, payload: PointIn) -> dict[str, Any]:
    check_passages(session, ctx, payload.passage_ids)  # no passage of another campaign
    point = service.add_point(
        session, ctx, title=payload.title, summary=payload.summary, passage_ids=payload.passage_ids
    )
    for segment in payload.segments:
        service.set_cell(session, ctx, segment=segment, point_id=point.id, on=True)
    return {"id": point.id, "title": point.title, "segments": payload.segments}


@router.post(API + "/matrix", response_model=CellRead)
def api_set_cell(session: SessionDep, ctx: CommsDep, payload: CellIn) -> dict[str, Any]:
    service.set_cell(
        session, ctx, segment=payload.segment, point_id=payload.point_id, on=payload.on
    )
    return {"segment": payload.segment, "point_id": payload.point_id, "on": payload.on}


@router.post(API + "/preview", response_model=PreviewRead)
def api_preview(
    session: SessionDep,
    settings: SettingsDep,
    ctx: CommsDep,
    payload: DraftIn,
    contact_id: IdQuery = None,
) -> dict[str, Any]:
    if contact_id is not None:
        from circo.crm.contacts import get_contact

        get_contact(session, ctx, contact_id)  # 404 for another campaign's contact
    shown = compose.preview(session, ctx, settings, draft=payload.draft(), contact_id=contact_id)
    return {
        "reachable": shown.reachable,
        "contact_id": shown.shown.contact_id,
        "subject": shown.rendered.subject,
        "text": shown.rendered.text,
        "html": shown.rendered.html,
    }


@router.get(API + "/{message_id:int}", response_model=MessageRead)
def api_get(session: SessionDep, ctx: CommsDep, message_id: IdPath) -> dict[str, Any]:
    return message_json(session, service.get_message(session, ctx, message_id))


@router.get(API + "/{message_id:int}/deliveries", response_model=list[DeliveryRead])
def api_deliveries(
    session: SessionDep,
    ctx: CommsDep,
    message_id: IdPath,
    status: QueryOptText = None,
    limit: Limit = 200,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    message = service.get_message(session, ctx, message_id)
    rows = service.list_deliveries(
        session, ctx, message=message, status=status, limit=limit, offset=offset
    )
    return [
        {
            "contact_id": row.contact_id,
            "status": row.status,
            "reason": row.reason,
            "variant": row.variant,
            "basis": row.basis,
            "proof": row.proof,
            "attempts": row.attempts,
            "sent_at": row.sent_at,
            "opened_at": row.opened_at,
            "clicked_at": row.clicked_at,
        }
        for row in rows
    ]


@router.post(API + "/{message_id:int}/winner", response_model=WinnerRead)
def api_winner(
    session: SessionDep, ctx: CommsDep, message_id: IdPath, payload: WinnerIn
) -> dict[str, Any]:
    message = service.get_message(session, ctx, message_id)
    winner = service.decide_winner(session, ctx, message=message, variant=payload.variant)
    return {"winner": winner, **message_json(session, message)}


# --- pages ------------------------------------------------------------------------------------


def _page(ctx: CampaignContext, path: str = "", **query: object) -> str:
    suffix = f"?{urlencode(query)}" if query else ""
    return f"/c/{ctx.campaign.slug}/messages{path}{suffix}"


@router.get("/c/{slug}/messages", response_class=HTMLResponse, include_in_schema=False)
def messages_page(request: Request, session: SessionDep, ctx: CommsDep) -> HTMLResponse:
    rows = [
        (message, service.outcome(session, message), service.engagement(session, message.id))
        for message in service.list_messages(session, ctx)
    ]
    return render(request, "messaging/index.html", {"rows": rows})


@router.get("/c/{slug}/messages/matrix", response_class=HTMLResponse, include_in_schema=False)
def matrix_page(request: Request, session: SessionDep, ctx: CommsDep) -> HTMLResponse:
    points, rows = service.matrix(session, ctx)
    national = service.national_points(session, ctx)
    return render(
        request,
        "messaging/matrix.html",
        {"points": points, "rows": rows, "national_points": national},
    )


@router.post("/c/{slug}/messages/points", include_in_schema=False)
def matrix_add_point(
    session: SessionDep,
    ctx: CommsDep,
    title: Annotated[str, Form()],
    summary: Annotated[str, Form()] = "",
) -> Response:
    service.add_point(session, ctx, title=title, summary=summary)
    return RedirectResponse(_page(ctx, "/matrix", msg="ok"), status_code=303)


@router.post("/c/{slug}/messages/matrix", include_in_schema=False)
def matrix_toggle(
    session: SessionDep,
    ctx: CommsDep,
    segment: Annotated[str, Form()],
    point_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    on: Annotated[str, Form()] = "1",
) -> Response:
    service.set_cell(session, ctx, segment=segment, point_id=point_id, on=on == "1")
    return RedirectResponse(_page(ctx, "/matrix", msg="ok"), status_code=303)


def _form_draft(form: Any) -> service.Draft:
    variants = [
        line.strip() for line in str(form.get("variants") or "").splitlines() if line.strip()
    ]
    point = str(form.get("point_id") or "")
    subject = str(form.get("subject") or "")
    return service.Draft(
        channel=str(form.get("channel") or "email"),
        segment=str(form.get("segment") or "all"),
        subject=subject or (variants[0] if variants else ""),
        body=str(form.get("body") or ""),
        point_id=int(point) if point.isdigit() else None,
        subject_variants=variants or None,
        ab_sample_fraction=_float(form.get("sample"), 0.2) if variants else 0.0,
        ab_metric=str(form.get("metric") or "opens"),
        ab_fallback_variant=int(str(form.get("fallback") or "0") or 0),
        track=form.get("track") == "1",
    )


def _float(value: object, default: float) -> float:
    try:
        return float(str(value).replace(",", "."))
    except ValueError:
        return default


def _composer(
    request: Request,
    session: Session,
    ctx: CampaignContext,
    settings: Any,
    form: Any,
    *,
    notice: str | None = None,
    notice_error: str | None = None,
) -> HTMLResponse:
    draft = _form_draft(form)
    shown = None
    error = notice_error
    if not draft.body.strip() and isinstance(form, FormData) and error is None:
        error = "message : le texte est vide ; écrivez-le, par exemple « Bonjour {{ prenom }}, »"
    if draft.body.strip():
        contact = str(form.get("contact_id") or "")
        try:
            shown = compose.preview(
                session,
                ctx,
                settings,
                draft=draft,
                contact_id=int(contact) if contact.isdigit() else None,
            )
        except MessagingError as exc:
            error = error or labels.person_message(exc.message, exc.loc)
    return render(
        request,
        "messaging/compose.html",
        {
            "form": form,
            "draft": draft,
            "preview": shown,
            "empty_fields": _empty_fields(draft, shown),
            "sample": shown is not None and shown.shown is compose.SAMPLE,
            "error": error,
            "notice": notice,
            "points": service.list_points(session, ctx),
            "segments": ["all", *directory.segment_names(session, ctx)],
            "variables": service_variables(),
            "movement_templates": _movement_templates(session, ctx),
        },
        status=422 if error else 200,
    )


_RECIPIENT_FIELDS = {
    "prenom": "first_name",
    "nom": "last_name",
    "commune": "commune",
    "bureau": "bureau",
}


def _empty_fields(draft: service.Draft, shown: compose.Preview | None) -> list[str]:
    """The merge fields the draft uses that are empty for the previewed recipient."""
    if shown is None:
        return []
    from circo.messaging.personalise import variables_used

    used = variables_used(draft.body) | variables_used(draft.subject or "")
    return sorted(
        name
        for name, attribute in _RECIPIENT_FIELDS.items()
        if name in used and not str(getattr(shown.shown, attribute, "") or "").strip()
    )


def service_variables() -> dict[str, str]:
    from circo.messaging.personalise import VARIABLES

    return VARIABLES


@router.get("/c/{slug}/messages/new", response_class=HTMLResponse, include_in_schema=False)
def compose_page(
    request: Request, session: SessionDep, settings: SettingsDep, ctx: CommsDep
) -> HTMLResponse:
    params: dict[str, Any] = dict(request.query_params)
    chosen = params.pop("template", "")
    if chosen and not params.get("body"):  # a message template the movement published down
        for _publisher, item in _movement_templates(session, ctx):
            if str(item.id) == chosen:
                params["body"] = item.body
                params.setdefault("subject", item.title)
    return _composer(request, session, ctx, settings, params)


def _movement_templates(session: Session, ctx: CampaignContext) -> list[tuple[str, Any]]:
    from circo.party.sharing import shared_texts

    return shared_texts(session, ctx.campaign_id, ("message_template",))


@router.post("/c/{slug}/messages/new", response_class=HTMLResponse, include_in_schema=False)
def compose_action(
    request: Request, session: SessionDep, settings: SettingsDep, ctx: CommsDep, form: FormDep
) -> Response:
    action = str(form.get("action") or "preview")
    try:
        if action == "send":
            message = service.start_send(session, ctx, settings, draft=_form_draft(form))
            job_worker = request.app.state.job_worker
            if job_worker is not None:
                session.commit()
                job_worker.notify()
            return RedirectResponse(_page(ctx, f"/{message.id}", msg="ok"), status_code=303)
        if action == "test":
            to = request.state.user.email
            compose.send_test(session, ctx, settings, draft=_form_draft(form), to=to)
            return _composer(request, session, ctx, settings, form, notice=f"test envoyé à {to}")
    except CircoError as exc:  # shown in the form, with what the person typed
        session.rollback()
        return _composer(
            request,
            session,
            ctx,
            settings,
            form,
            notice_error=labels.person_message(exc.message, exc.loc),
        )
    return _composer(request, session, ctx, settings, form)


@router.get(
    "/c/{slug}/messages/{message_id:int}", response_class=HTMLResponse, include_in_schema=False
)
def message_page(
    request: Request, session: SessionDep, ctx: CommsDep, message_id: IdPath
) -> HTMLResponse:
    message = service.get_message(session, ctx, message_id)
    send_job = delivery.latest_send_job(session, message.id)
    return render(
        request,
        "messaging/detail.html",
        {
            "message": message,
            "send_job": send_job,
            "send_progress": jobs.status_of(send_job)["progress"] if send_job else None,
            "counts": service.status_counts(session, message.id),
            "engagement": service.engagement(session, message.id),
            "variants": service.variant_stats(session, message),
            "deliveries": service.list_deliveries(session, ctx, message=message, limit=200),
        },
    )


@router.post("/c/{slug}/messages/{message_id:int}/winner", include_in_schema=False)
def message_winner(
    session: SessionDep,
    ctx: CommsDep,
    message_id: IdPath,
    variant: Annotated[str, Form()] = "",
) -> Response:
    message = service.get_message(session, ctx, message_id)
    chosen = int(variant) if variant.isdigit() else None
    service.decide_winner(session, ctx, message=message, variant=chosen)
    return RedirectResponse(_page(ctx, f"/{message_id}", msg="ok"), status_code=303)


@router.post("/c/{slug}/messages/{message_id:int}/cancel", include_in_schema=False)
def message_cancel(session: SessionDep, ctx: CommsDep, message_id: IdPath) -> Response:
    service.cancel(session, ctx, message=service.get_message(session, ctx, message_id))
    return RedirectResponse(_page(ctx, f"/{message_id}", msg="ok"), status_code=303)


# --- public links (no login) ------------------------------------------------------------------


def _unsubscribe_target(
    session: Session, settings: Any, token: str
) -> tuple[CampaignContext, Any] | None:
    try:
        data = Links.of(settings).read_unsubscribe(token)
    except ValueError:
        return None
    campaign = session.get(Campaign, data.campaign_id)
    if campaign is None:
        return None
    return system_context(campaign), data


@router.get("/u/{token}", response_class=HTMLResponse, include_in_schema=False)
def unsubscribe_page(
    request: Request, session: SessionDep, settings: SettingsDep, token: str
) -> HTMLResponse:
    target = _unsubscribe_target(session, settings, token)
    if target is None:
        return render(request, "messaging/unsubscribe.html", {"state": "invalid"}, status=404)
    ctx, data = target
    return render(
        request,
        "messaging/unsubscribe.html",
        {"state": "confirm", "campaign": ctx.campaign, "channel": data.channel, "token": token},
    )


@router.post("/u/{token}", response_class=HTMLResponse, include_in_schema=False)
def unsubscribe_one_click(
    request: Request, session: SessionDep, settings: SettingsDep, token: str
) -> HTMLResponse:
    """RFC 8058 one-click (``List-Unsubscribe=One-Click``) and the confirm button: the signed
    token is the authorisation, no login and no cookie needed."""
    target = _unsubscribe_target(session, settings, token)
    if target is None:
        return render(request, "messaging/unsubscribe.html", {"state": "invalid"}, status=404)
    ctx, data = target
    try:
        service.unsubscribe_contact(
            session,
            ctx,
            contact_id=data.contact_id,
            channel=data.channel,
            source="lien de désinscription",
            message_id=data.message_id,
        )
    except MessagingError:
        pass
    except Exception as exc:  # the contact was erased meanwhile: nothing left to stop
        if getattr(exc, "status", None) != 404:
            raise
    return render(
        request,
        "messaging/unsubscribe.html",
        {"state": "done", "campaign": ctx.campaign, "channel": data.channel},
    )


def _track(session: Session, settings: Any, token: str, *, click: bool) -> str | None:
    try:
        delivery_id, target = Links.of(settings).read_track(token)
    except ValueError:
        return None
    row = session.get(Delivery, delivery_id)
    if row is not None and row.tracked:
        now = utcnow()
        row.opened_at = row.opened_at or now
        if click:
            row.clicked_at = row.clicked_at or now
    return target


@router.get("/m/o/{token}", include_in_schema=False)
def track_open(session: SessionDep, settings: SettingsDep, token: str) -> Response:
    _track(session, settings, token, click=False)
    return Response(PIXEL, media_type="image/gif", headers={"Cache-Control": "no-store"})


@router.get("/m/c/{token}", include_in_schema=False)
def track_click(session: SessionDep, settings: SettingsDep, token: str) -> Response:
    target = _track(session, settings, token, click=True)
    if not target or not target.startswith(("http://", "https://")):
        return Response("lien invalide", status_code=404)
    return RedirectResponse(target, status_code=302)


@router.post(
    "/api/messaging/sms-inbound/{token}",
    response_model=InboundRead,
    responses={404: {"description": "lien invalide ou campagne inconnue"}},
)
def sms_inbound(
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str, Path(max_length=500)],
    body: WebhookBodyDep,
) -> JSONResponse:
    """Webhook of the SMS provider for replies: "STOP" records an opposition to SMS.
    Accepts JSON or a form with ``from``/``msisdn``/``sender`` and ``text``/``content``."""
    try:
        campaign_id = Links.of(settings).read_inbound(token)
    except ValueError:
        return JSONResponse({"error": "NotFound", "message": "lien invalide"}, status_code=404)
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        return JSONResponse({"error": "NotFound", "message": "campagne inconnue"}, status_code=404)
    try:
        data: Any = json.loads(body) if isinstance(body, bytes) else body
    except ValueError:
        raise MessagingError("corps JSON illisible (attendu un objet)", loc="body") from None
    if not hasattr(data, "get"):
        raise MessagingError('corps JSON : un objet attendu, ex. {"from": …}', loc="body")
    phone = str(data.get("from") or data.get("msisdn") or data.get("sender") or "")
    text = str(data.get("text") or data.get("content") or data.get("body") or "")
    if not phone:
        raise MessagingError("numéro de l'expéditeur manquant (champ « from »)", loc="from")
    if phone.isdigit() and not phone.startswith("0"):
        phone = "+" + phone  # international number without "+", as some providers send it
    count = service.handle_inbound_sms(
        session, system_context(campaign), phone=phone, text=text, source="SMS reçu"
    )
    return JSONResponse({"stop": service.is_stop(text), "contacts": count})
