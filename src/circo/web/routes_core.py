"""Core pages: home, campaign switcher, dashboard shell, users and roles, audit log, account."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from circo.core import audit, service
from circo.core.email import OutgoingEmail
from circo.core.models import Role
from circo.core.outbox import queue_mail
from circo.core.tenancy import CampaignContext
from circo.core.timezone import zone
from circo.db import UTC
from circo.web.deps import (
    SESSION_COOKIE,
    AdminDep,
    CampaignDep,
    SessionDep,
    SettingsDep,
    UserDep,
)
from circo.web.registry import Card
from circo.web.routes_settings import mail_destination
from circo.web.templating import gettext_for, render
from circo.web.types import IdPath

router = APIRouter(include_in_schema=False)

INVITATION_HOURS = 72
AUDIT_PAGE_SIZE = 100


@router.get("/")
def home(session: SessionDep, user: UserDep) -> Response:
    campaigns = service.campaigns_of_user(session, user)
    if len(campaigns) == 1:
        return RedirectResponse(f"/c/{campaigns[0][0].slug}/", status_code=303)
    return RedirectResponse("/campaigns", status_code=303)


@router.get("/campaigns", response_class=HTMLResponse)
def campaign_switcher(request: Request, session: SessionDep, user: UserDep) -> HTMLResponse:
    campaigns = service.campaigns_of_user(session, user)
    return render(request, "campaigns.html", {"campaigns": campaigns})


@router.get("/c/{slug}/", response_class=HTMLResponse)
def dashboard(
    request: Request, session: SessionDep, settings: SettingsDep, ctx: CampaignDep
) -> HTMLResponse:
    cards: list[Card] = []
    for provider in request.app.state.dashboard_card_providers:
        cards.extend(provider(session, ctx))
    # A volunteer sees only cards about themselves: no campaign-wide figure.
    members = [] if ctx.role is Role.volunteer else service.list_members(session, ctx=ctx)
    count = None if ctx.role is Role.volunteer else len(members)
    # an admin is told while mail is only written to files (nothing really leaves)
    notice = (
        mail_destination(settings) if ctx.role is Role.admin and not settings.smtp_host else None
    )
    return render(
        request,
        "dashboard.html",
        {"cards": cards, "members_count": count, "mail_files_notice": notice},
    )


# --- users and roles --------------------------------------------------------------------------


@router.get("/c/{slug}/users", response_class=HTMLResponse)
def users_page(request: Request, session: SessionDep, ctx: AdminDep) -> HTMLResponse:
    members = service.list_members(session, ctx=ctx)
    return render(request, "users.html", {"members": members, "roles": list(Role)})


@router.post("/c/{slug}/users")
def users_add(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ctx: AdminDep,
    email: Annotated[str, Form()],
    role: Annotated[str, Form()],
    name: Annotated[str, Form()] = "",
) -> Response:
    parsed_role = service.parse_role(role)
    user = service.get_user_by_email(session, email)
    if user is None:
        user = service.create_user(session, email=email, password=None, name=name)
        _send_invitation(request, session, settings, ctx, user.email)
    service.set_role(session, actor=ctx.actor, campaign=ctx.campaign, user=user, role=parsed_role)
    return RedirectResponse(f"/c/{ctx.campaign.slug}/users?msg=user-added", status_code=303)


def _send_invitation(
    request: Request, session: SessionDep, settings: SettingsDep, ctx: CampaignContext, email: str
) -> None:
    _ = gettext_for(request.state.language)
    started = service.start_password_reset(session, email=email, hours=INVITATION_HOURS)
    if started is None:
        return
    _user, token = started
    link = f"{settings.base_url.rstrip('/')}/password/reset?token={token}"
    queue_mail(  # sent by the job engine once the new account is committed
        session,
        OutgoingEmail(
            to=email,
            subject=_(
                "Invitation à rejoindre la campagne {name} sur circo", name=ctx.campaign.name
            ),
            text=_(
                "Bonjour,\n\nVous êtes invité·e à rejoindre la campagne « {name} ». Choisissez "
                "votre mot de passe avec ce lien (valable 3 jours) :\n{link}\n",
                name=ctx.campaign.name,
                link=link,
            ),
        ),
        campaign_id=ctx.campaign_id,
    )


@router.post("/c/{slug}/users/{user_id}/role")
def users_set_role(
    session: SessionDep, ctx: AdminDep, user_id: int, role: Annotated[str, Form()]
) -> Response:
    member = service.get_member(session, ctx=ctx, user_id=user_id)
    service.set_role(
        session,
        actor=ctx.actor,
        campaign=ctx.campaign,
        user=member.user,
        role=service.parse_role(role),
    )
    return RedirectResponse(f"/c/{ctx.campaign.slug}/users?msg=role-changed", status_code=303)


@router.post("/c/{slug}/users/{user_id}/remove")
def users_remove(session: SessionDep, ctx: AdminDep, user_id: IdPath) -> Response:
    service.remove_member(session, ctx=ctx, user_id=user_id)
    return RedirectResponse(f"/c/{ctx.campaign.slug}/users?msg=user-removed", status_code=303)


# --- audit log --------------------------------------------------------------------------------


def _parse_day(value: str | None, *, end: bool, tz: str = "Europe/Paris") -> datetime | None:
    """A day typed in the audit filter, as its first or last instant in the campaign's zone."""
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        from circo.errors import CircoError

        raise CircoError(f"date invalide « {value} » (attendu AAAA-MM-JJ)", loc="date") from None
    local = datetime.combine(day, time.max if end else time.min, tzinfo=zone(tz))
    return local.astimezone(UTC)


@router.get("/c/{slug}/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    session: SessionDep,
    ctx: AdminDep,
    action: str | None = None,
    actor: str | None = None,
    since: str | None = None,
    until: str | None = None,
    page: int = 1,
) -> HTMLResponse:
    page = max(page, 1)
    events, total = audit.list_events(
        session,
        campaign_id=ctx.campaign_id,
        action=action or None,
        actor=actor or None,
        since=_parse_day(since, end=False, tz=ctx.campaign.timezone),
        until=_parse_day(until, end=True, tz=ctx.campaign.timezone),
        limit=AUDIT_PAGE_SIZE,
        offset=(page - 1) * AUDIT_PAGE_SIZE,
    )
    return render(
        request,
        "audit.html",
        {
            "events": events,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // AUDIT_PAGE_SIZE)),
            "actions": audit.distinct_actions(session, campaign_id=ctx.campaign_id),
            "filters": {"action": action, "actor": actor, "since": since, "until": until},
        },
    )


# --- account ----------------------------------------------------------------------------------


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, session: SessionDep, user: UserDep) -> HTMLResponse:
    tokens = service.list_api_tokens(session, user=user)
    return render(request, "account.html", {"tokens": tokens, "new_token": None, "error": None})


@router.post("/account/password", response_model=None)
def account_password(
    request: Request,
    session: SessionDep,
    user: UserDep,
    current: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    current_session = service.web_session_user(session, token) if token else None
    service.change_password(
        session,
        user=user,
        current=current,
        new_password=password,
        keep_session_id=current_session[1].id if current_session else None,
    )
    return RedirectResponse("/account?msg=password-changed", status_code=303)


@router.post("/account/tokens", response_class=HTMLResponse)
def account_token_create(
    request: Request, session: SessionDep, user: UserDep, name: Annotated[str, Form()]
) -> HTMLResponse:
    token, _api_token = service.create_api_token(session, user=user, name=name or "script")
    tokens = service.list_api_tokens(session, user=user)
    return render(request, "account.html", {"tokens": tokens, "new_token": token, "error": None})


@router.post("/account/tokens/{token_id}/revoke")
def account_token_revoke(session: SessionDep, user: UserDep, token_id: IdPath) -> Response:
    service.revoke_api_token(session, user=user, token_id=token_id)
    return RedirectResponse("/account?msg=token-revoked", status_code=303)
