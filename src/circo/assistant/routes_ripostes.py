"""Riposte pages: the comms team keeps a rebuttal, edits and approves it; volunteers read the
approved ones and share them (views and shares counted per riposte)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from circo.assistant import ripostes
from circo.assistant.models import RiposteStatus
from circo.core.models import Role
from circo.core.tenancy import CampaignContext
from circo.web.deps import CampaignDep, SessionDep, SettingsDep, require_role
from circo.web.templating import render
from circo.web.types import IdPath

router = APIRouter()
CommsDep = Annotated[CampaignContext, Depends(require_role(Role.comms))]
PAGE = "/c/{slug}/assistant/ripostes"


def _link(settings_base: str, slug: str, riposte_id: int) -> str:
    return f"{settings_base.rstrip('/')}/c/{slug}/assistant/ripostes/{riposte_id}"


@router.get(PAGE, response_class=HTMLResponse, include_in_schema=False)
def ripostes_page(request: Request, session: SessionDep, ctx: CampaignDep) -> HTMLResponse:
    return render(
        request,
        "assistant/ripostes.html",
        {
            "ripostes": ripostes.list_ripostes(session, ctx),
            "can_edit": ctx.role in (Role.admin, Role.comms),
        },
    )


@router.post(PAGE, include_in_schema=False)
def ripostes_create(
    session: SessionDep,
    settings: SettingsDep,
    ctx: CommsDep,
    claim: Annotated[str, Form(max_length=2000)],
) -> Response:
    riposte = ripostes.create_riposte(session, ctx, claim=claim, settings=settings)
    return RedirectResponse(f"/c/{ctx.campaign.slug}/assistant/ripostes/{riposte.id}", 303)


@router.get(PAGE + "/{riposte_id}", response_class=HTMLResponse, include_in_schema=False)
def riposte_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ctx: CampaignDep,
    riposte_id: IdPath,
) -> HTMLResponse:
    can_edit = ctx.role in (Role.admin, Role.comms)
    riposte = ripostes.get_riposte(session, ctx, riposte_id, approved_only=not can_edit)
    if riposte.status == RiposteStatus.approved and not can_edit:
        ripostes.count_view(session, ctx, riposte.id)
    return render(
        request,
        "assistant/riposte.html",
        {
            "riposte": riposte,
            "can_edit": can_edit,
            "networks": ripostes.NETWORKS,
            "link": _link(settings.base_url, ctx.campaign.slug, riposte.id),
            "msg": request.query_params.get("msg", ""),
        },
    )


@router.post(PAGE + "/{riposte_id}", include_in_schema=False)
def riposte_save(
    session: SessionDep,
    ctx: CommsDep,
    riposte_id: IdPath,
    short: Annotated[str, Form(max_length=2000)],
    long: Annotated[str, Form(max_length=20000)] = "",
) -> Response:
    ripostes.edit_riposte(session, ctx, riposte_id, short=short, long=long)
    return RedirectResponse(
        f"/c/{ctx.campaign.slug}/assistant/ripostes/{riposte_id}?msg=saved", 303
    )


@router.post(PAGE + "/{riposte_id}/approve", include_in_schema=False)
def riposte_approve(
    session: SessionDep, settings: SettingsDep, ctx: CommsDep, riposte_id: IdPath
) -> Response:
    ripostes.approve_riposte(session, ctx, riposte_id, settings=settings)
    return RedirectResponse(
        f"/c/{ctx.campaign.slug}/assistant/ripostes/{riposte_id}?msg=approved", 303
    )


@router.post(PAGE + "/{riposte_id}/share", include_in_schema=False)
def riposte_share(
    session: SessionDep,
    settings: SettingsDep,
    ctx: CampaignDep,
    riposte_id: IdPath,
    network: Annotated[str, Form(max_length=40)],
) -> Response:
    target = ripostes.count_share(
        session,
        ctx,
        riposte_id,
        network=network,
        link=_link(settings.base_url, ctx.campaign.slug, riposte_id),
    )
    return RedirectResponse(target, 303)
