"""Studio pages (comms role): compose a cited text, edit it, approve it, place it in the
editorial calendar (L49 and L52-1 refuse with the article), mark it published; and the JSON
`write` operation (the contract of `circo write … --json`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from circo.assistant import studio
from circo.assistant.models import Network
from circo.assistant.schemas import WriteIn, WrittenRead
from circo.config import Settings
from circo.core.models import Role
from circo.core.tenancy import CampaignContext
from circo.core.timezone import parse_local
from circo.errors import CircoError
from circo.party.sharing import shared_texts
from circo.web.deps import SessionDep, SettingsDep, require_role
from circo.web.templating import render
from circo.web.types import IdPath

router = APIRouter()
CommsDep = Annotated[CampaignContext, Depends(require_role(Role.comms))]
PAGE = "/c/{slug}/assistant/studio"
API = "/api/campaigns/{slug}/assistant"


@router.get(PAGE, response_class=HTMLResponse, include_in_schema=False)
def studio_page(request: Request, session: SessionDep, ctx: CommsDep) -> HTMLResponse:
    return render(
        request,
        "assistant/studio.html",
        {
            "drafts": studio.list_drafts(session, ctx),
            "kinds": studio.KINDS,
            "networks": [network.value for network in Network],
            "limits": {network.value: limit for network, limit in studio.NETWORK_LIMITS.items()},
            "movement_texts": shared_texts(
                session, ctx.campaign_id, ("studio_template", "training")
            ),
        },
    )


@router.get(PAGE + "/calendar", response_class=HTMLResponse, include_in_schema=False)
def calendar_page(request: Request, session: SessionDep, ctx: CommsDep) -> HTMLResponse:
    return render(
        request, "assistant/studio_calendar.html", {"drafts": studio.calendar(session, ctx)}
    )


@router.get(PAGE + "/visual", response_class=HTMLResponse, include_in_schema=False)
def visual_page(request: Request, settings: SettingsDep, ctx: CommsDep) -> HTMLResponse:
    return _visual_page(request, settings, ctx, msg=request.query_params.get("msg", ""))


def _visual_page(
    request: Request,
    settings: Settings,
    ctx: CampaignContext,
    *,
    msg: str = "",
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    from circo.assistant.brand import images_configured, logo_path
    from circo.assistant.visual import FIGURES, TEMPLATES

    return render(
        request,
        "assistant/studio_visual.html",
        {
            "templates": list(TEMPLATES),
            "sizes": {name: f"{w} × {h}" for name, (w, h, _kind) in TEMPLATES.items()},
            "figures": FIGURES,
            "territory": _territory_key(ctx.campaign.territory_code or ""),
            "has_logo": logo_path(settings, ctx).is_file(),
            "images": images_configured(settings),
            "msg": msg,
            "error": error,
        },
        status=status,
    )


@router.post(PAGE + "/visual/logo", include_in_schema=False)
def visual_logo(
    request: Request,
    settings: SettingsDep,
    ctx: CommsDep,
    logo: Annotated[UploadFile, File()],
) -> Response:
    """The campaign's logo (PNG or JPEG, checked by decoding it), kept in the data dir."""
    from circo.assistant.brand import LOGO_MAX_BYTES, save_logo

    data = logo.file.read(LOGO_MAX_BYTES + 1)
    try:
        save_logo(settings, ctx, data)
    except CircoError as exc:
        return _visual_page(request, settings, ctx, error=str(exc), status=exc.status)
    return RedirectResponse(f"/c/{ctx.campaign.slug}/assistant/studio/visual?msg=logo", 303)


def _territory_key(code: str) -> str:
    """The campaign's territory as a territory key: a commune's code "75056" → "com:75056"."""
    return f"com:{code}" if len(code) == 5 and ":" not in code else code


@router.post(PAGE + "/visual", include_in_schema=False)
def visual_download(
    session: SessionDep,
    settings: SettingsDep,
    ctx: CommsDep,
    template: Annotated[str, Form(max_length=40)],
    headline: Annotated[str, Form(max_length=400)],
    figure: Annotated[str, Form(max_length=40)],
    territory: Annotated[str, Form(max_length=60)],
    ai_generated: Annotated[str, Form(max_length=10)] = "",
    prompt: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    from circo.assistant.visual import render_for

    made = render_for(
        session,
        ctx,
        settings,
        prompt=prompt,
        template=template,
        headline=headline,
        figure=figure,
        territory=territory,
        ai_generated=bool(ai_generated),
    )
    name = f"visuel-{template}.{made.extension}"  # the template was checked by render
    return Response(
        made.data,
        media_type=made.media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post(PAGE, include_in_schema=False)
def studio_create(
    session: SessionDep,
    settings: SettingsDep,
    ctx: CommsDep,
    kind: Annotated[str, Form(max_length=40)],
    topic: Annotated[str, Form(max_length=200)],
    network: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    ctx.require(Role.comms)
    made = studio.compose(
        session, ctx, kind=kind, topic=topic, settings=settings, network=network or None
    )
    draft = studio.store_draft(session, ctx, made)
    # the model's answer was unusable: the page says the text was assembled from the passages
    suffix = "?msg=fallback" if made.warning else ""
    return RedirectResponse(f"/c/{ctx.campaign.slug}/assistant/studio/{draft.id}{suffix}", 303)


@router.get(PAGE + "/{draft_id}", response_class=HTMLResponse, include_in_schema=False)
def draft_page(
    request: Request, session: SessionDep, ctx: CommsDep, draft_id: IdPath
) -> HTMLResponse:
    draft = studio.get_draft(session, ctx, draft_id)
    limit = studio.NETWORK_LIMITS[Network(draft.network)] if draft.network else None
    return render(
        request,
        "assistant/studio_draft.html",
        {"draft": draft, "limit": limit, "msg": request.query_params.get("msg", "")},
    )


def _back(ctx: CampaignContext, draft_id: int, msg: str) -> Response:
    return RedirectResponse(f"/c/{ctx.campaign.slug}/assistant/studio/{draft_id}?msg={msg}", 303)


@router.post(PAGE + "/{draft_id}", include_in_schema=False)
def draft_save(
    session: SessionDep,
    ctx: CommsDep,
    draft_id: IdPath,
    text: Annotated[str, Form(max_length=20000)],
) -> Response:
    studio.edit_draft(session, ctx, draft_id, text=text)
    return _back(ctx, draft_id, "saved")


@router.post(PAGE + "/{draft_id}/approve", include_in_schema=False)
def draft_approve(session: SessionDep, ctx: CommsDep, draft_id: IdPath) -> Response:
    studio.approve_draft(session, ctx, draft_id)
    return _back(ctx, draft_id, "approved")


@router.post(PAGE + "/{draft_id}/schedule", include_in_schema=False)
def draft_schedule(
    session: SessionDep,
    ctx: CommsDep,
    draft_id: IdPath,
    when: Annotated[str, Form(max_length=40)],
    paid: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    moment = parse_local(when, ctx.campaign.timezone, field="date de publication")
    studio.schedule_draft(session, ctx, draft_id, when=moment, paid=bool(paid))
    return RedirectResponse(f"/c/{ctx.campaign.slug}/assistant/studio/calendar", 303)


@router.post(PAGE + "/{draft_id}/publish", include_in_schema=False)
def draft_publish(session: SessionDep, ctx: CommsDep, draft_id: IdPath) -> Response:
    studio.publish_draft(session, ctx, draft_id)
    return _back(ctx, draft_id, "published")


@router.post(API + "/write", tags=["assistant"], response_model=WrittenRead)
def api_write(
    session: SessionDep, settings: SettingsDep, ctx: CommsDep, payload: WriteIn
) -> dict[str, Any]:
    made = studio.compose(
        session,
        ctx,
        kind=payload.kind,
        topic=payload.topic,
        settings=settings,
        network=payload.network,
    )
    return made.contract()
