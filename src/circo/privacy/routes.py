"""Privacy pages (consents, rights requests with deadlines, retention dry run, registre), the
public self-service page (no login) and the JSON API."""

from __future__ import annotations

import json
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from circo.core.email import send_email
from circo.core.models import Role
from circo.core.netguard import leave_transaction
from circo.core.security import new_token
from circo.core.service import get_campaign
from circo.core.tenancy import CampaignContext, system_context
from circo.core.throttle import limit_email_request
from circo.db import utcnow
from circo.privacy import selfservice
from circo.privacy.calendar import check_calendar
from circo.privacy.register import processing_register
from circo.privacy.retention import run_retention
from circo.privacy.rights.access import access_export, access_pdf, answer_access
from circo.privacy.rights.erasure import apply_opposition, erase_person
from circo.privacy.rights.requests import (
    complete_request,
    create_request,
    get_request,
    is_overdue,
    list_requests,
)
from circo.privacy.rights.traces import compact_after_commit
from circo.privacy.schemas import (
    AccessRead,
    CalendarRead,
    ConsentIn,
    ConsentRead,
    ErasureRead,
    PersonIn,
    ProcessingRead,
    RetentionRead,
    RightsRequestRead,
)
from circo.web.deps import (
    ANON_CSRF_COOKIE,
    CampaignDep,
    SessionDep,
    SettingsDep,
    client_ip,
    get_settings,
    require_role,
    verify_anonymous_csrf,
)
from circo.web.registry import NavItem
from circo.web.templating import add_template_dir, render
from circo.web.types import IdPath, QueryText

add_template_dir(str(resources.files("circo") / "privacy" / "templates"))

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/campaigns/{slug}/privacy", tags=["privacy"])
DpoDep = Annotated[CampaignContext, Depends(require_role(Role.data))]
NAV_ITEMS = [
    NavItem("Données personnelles", "privacy", roles=(Role.data,), order=80, group="Administration")
]


def dashboard_cards(session: Any, ctx: CampaignContext) -> list[Any]:
    from circo.web.registry import Card

    if ctx.role not in (Role.admin, Role.data):
        return []
    pending = list_requests(session, ctx, open_only=True)
    overdue = sum(1 for request in pending if is_overdue(request))
    calendar = check_calendar(ctx.campaign, utcnow(), "message")
    cards = [
        Card(
            "Demandes RGPD en cours",
            str(len(pending)),
            detail=f"{overdue} en retard" if overdue else "",
            href=f"/c/{ctx.campaign.slug}/privacy",
        )
    ]
    if not calendar.allowed:
        cards.append(Card("Envois bloqués", calendar.rule or "", detail=calendar.reason))
    return cards


# --- staff pages ------------------------------------------------------------------------------


@pages.get("/c/{slug}/privacy", response_class=HTMLResponse)
def privacy_page(request: Request, session: SessionDep, ctx: DpoDep) -> HTMLResponse:
    from circo.privacy.retention import ensure_retention_scheduled

    ensure_retention_scheduled(session)
    now = utcnow()
    return render(
        request,
        "privacy/overview.html",
        {
            "requests": list_requests(session, ctx),
            "overdue": {r.id for r in list_requests(session, ctx) if is_overdue(r, now)},
            "calendar": {
                kind: check_calendar(ctx.campaign, now, kind)
                for kind in ("message", "sms", "paid_ads")
            },
            "public_url": f"/p/{ctx.campaign.slug}/donnees",
        },
    )


@pages.post("/c/{slug}/privacy/requests")
def request_create(
    session: SessionDep,
    settings: SettingsDep,
    ctx: DpoDep,
    kind: Annotated[str, Form()],
    email: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    details: Annotated[str, Form()] = "",
) -> Response:
    """Record a request received by letter, phone or email; erasure and opposition are carried
    out at once, access is answered with the JSON / PDF download."""
    request = create_request(session, ctx, kind=kind, requester=email or None, details=details)
    if kind == "erasure":
        erase_person(
            session, ctx, settings, email=email or None, phone=phone or None, request=request
        )
        compact_after_commit(session)
    elif kind == "opposition":
        count = apply_opposition(
            session,
            ctx,
            email=email or None,
            phone=phone or None,
            source="demande enregistrée par l'équipe",
        )
        complete_request(session, ctx, request, outcome={"contacts": count})
    return RedirectResponse(f"/c/{ctx.campaign.slug}/privacy?msg=ok", status_code=303)


@pages.post("/c/{slug}/privacy/requests/{request_id}/done")
def request_done(session: SessionDep, ctx: DpoDep, request_id: IdPath) -> Response:
    request = get_request(session, ctx, request_id)
    complete_request(session, ctx, request, outcome={"by": ctx.actor.email})
    return RedirectResponse(f"/c/{ctx.campaign.slug}/privacy?msg=ok", status_code=303)


@pages.get("/c/{slug}/privacy/access.{fmt}")
def access_download(
    session: SessionDep, ctx: DpoDep, fmt: str, email: str = "", phone: str = ""
) -> Response:
    export = access_export(session, ctx, email=email or None, phone=phone or None)
    if fmt == "pdf":
        return Response(
            access_pdf(export),
            media_type="application/pdf",
            headers={"Content-Disposition": 'attachment; filename="acces.pdf"'},
        )
    return Response(
        json.dumps(export, ensure_ascii=False, indent=2, default=str),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="acces.json"'},
    )


@pages.get("/c/{slug}/privacy/retention", response_class=HTMLResponse)
def retention_page(
    request: Request, session: SessionDep, settings: SettingsDep, ctx: DpoDep
) -> HTMLResponse:
    report = run_retention(session, ctx, settings, apply=False)
    return render(request, "privacy/retention.html", {"report": report})


@pages.post("/c/{slug}/privacy/retention")
def retention_apply(session: SessionDep, settings: SettingsDep, ctx: DpoDep) -> Response:
    run_retention(session, ctx, settings, apply=True)
    return RedirectResponse(f"/c/{ctx.campaign.slug}/privacy/retention?msg=ok", status_code=303)


@pages.get("/c/{slug}/privacy/register", response_class=HTMLResponse)
def register_page(request: Request, session: SessionDep, ctx: DpoDep) -> HTMLResponse:
    return render(request, "privacy/register.html", {"entries": processing_register(session, ctx)})


# --- public self-service ----------------------------------------------------------------------


def _anon(request: Request, template: str, context: dict[str, object]) -> HTMLResponse:
    token = request.cookies.get(ANON_CSRF_COOKIE) or new_token()
    response = render(request, template, {**context, "csrf_token": token})
    if request.cookies.get(ANON_CSRF_COOKIE) != token:
        secure = get_settings(request).secure_cookies
        response.set_cookie(
            ANON_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure
        )
    return response


@pages.get("/p/{slug}/donnees", response_class=HTMLResponse)
def public_page(request: Request, session: SessionDep, slug: str) -> HTMLResponse:
    campaign = get_campaign(session, slug)
    return _anon(request, "privacy/public.html", {"campaign": campaign, "kinds": selfservice.KINDS})


@pages.post(
    "/p/{slug}/donnees", response_class=HTMLResponse, dependencies=[Depends(verify_anonymous_csrf)]
)
def public_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    slug: str,
    email: Annotated[str, Form()],
    kind: Annotated[str, Form()],
) -> HTMLResponse:
    campaign = get_campaign(session, slug)
    limit_email_request(
        session,
        action="privacy.self_service_requested",
        email=email,
        ip=client_ip(request),
        per_address=settings.email_throttle_per_address,
        per_ip=settings.email_throttle_per_ip,
        campaign_id=campaign.id,
    )
    _request, message = selfservice.prepare(
        session, system_context(campaign), settings, email=email, kind=kind
    )
    leave_transaction(session)  # committed before the mail server is called
    send_email(settings, message)
    return _anon(
        request,
        "privacy/public.html",
        {"campaign": campaign, "kinds": selfservice.KINDS, "sent": True},
    )


@pages.get("/p/{slug}/donnees/confirmer/{token}", response_class=HTMLResponse)
def public_confirm_page(
    request: Request, session: SessionDep, slug: str, token: str
) -> HTMLResponse:
    campaign = get_campaign(session, slug)
    return _anon(request, "privacy/public_confirm.html", {"campaign": campaign, "token": token})


@pages.post(
    "/p/{slug}/donnees/confirmer/{token}",
    response_class=HTMLResponse,
    dependencies=[Depends(verify_anonymous_csrf)],
)
def public_confirm(
    request: Request, session: SessionDep, settings: SettingsDep, slug: str, token: str
) -> HTMLResponse:
    campaign = get_campaign(session, slug)
    result = selfservice.verify(session, settings, slug=slug, token=token)
    return _anon(
        request,
        "privacy/public_done.html",
        {
            "campaign": campaign,
            "result": result,
            "export_json": json.dumps(result.export, ensure_ascii=False, indent=2, default=str)
            if result.export
            else None,
        },
    )


# --- JSON API ---------------------------------------------------------------------------------


@api.get("/calendar", response_model=CalendarRead)
def api_calendar(ctx: CampaignDep, kind: QueryText = "message") -> dict[str, Any]:
    if kind not in ("message", "paid_ads", "sms", "phone"):
        kind = "message"
    decision = check_calendar(ctx.campaign, utcnow(), kind)  # type: ignore[arg-type]
    return {
        "allowed": decision.allowed,
        "rule": decision.rule,
        "reason": decision.reason,
        "warning": decision.warning,
        "until": decision.until,
    }


@api.get("/requests", response_model=list[RightsRequestRead])
def api_requests(session: SessionDep, ctx: DpoDep) -> list[dict[str, Any]]:
    return [
        {
            "id": r.id,
            "kind": r.kind,
            "status": r.status,
            "channel": r.channel,
            "received_at": r.received_at,
            "due_at": r.due_at,
            "overdue": is_overdue(r),
        }
        for r in list_requests(session, ctx)
    ]


@api.get("/register", response_model=list[ProcessingRead])
def api_register(session: SessionDep, ctx: DpoDep) -> list[dict[str, Any]]:
    return processing_register(session, ctx)


@api.get("/retention", response_model=RetentionRead)
def api_retention(session: SessionDep, settings: SettingsDep, ctx: DpoDep) -> dict[str, Any]:
    return run_retention(session, ctx, settings, apply=False).as_dict()


@api.post("/consents", response_model=ConsentRead)
def api_consent(session: SessionDep, ctx: DpoDep, payload: ConsentIn) -> ConsentRead:
    from circo.crm.contacts import get_contact
    from circo.privacy.consent import record_consent

    contact = get_contact(session, ctx, payload.contact_id)
    record = record_consent(
        session,
        ctx,
        contact_id=contact.id,
        channel=payload.channel,
        status=payload.status,
        source=payload.source or "api",
        proof=payload.proof or {"via": "api"},
    )
    return ConsentRead(id=record.id, channel=record.channel, status=record.status)


@api.post("/access", response_model=AccessRead)
def api_access(session: SessionDep, ctx: DpoDep, body: PersonIn) -> dict[str, Any]:
    """Right of access (GDPR art. 15): everything held on the person — the same file as
    ``circo privacy access``. A POST: answering logs the request (a write)."""
    return answer_access(session, ctx, email=body.email, phone=body.phone, channel="api")


@api.post("/erasure")
def api_erasure(
    session: SessionDep, settings: SettingsDep, ctx: DpoDep, body: PersonIn
) -> ErasureRead:
    """Right to erasure (GDPR art. 17): the person is deleted everywhere — the same as
    ``circo privacy erase``; the report is sent once the erasure is committed."""
    request = create_request(session, ctx, kind="erasure", channel="api")
    report = erase_person(
        session, ctx, settings, email=body.email, phone=body.phone, request=request
    )
    compact_after_commit(session)
    return ErasureRead(**report.as_dict())


router = APIRouter()
router.include_router(api)
router.include_router(pages)
