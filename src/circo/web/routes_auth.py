"""Login, logout and password reset pages."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from circo.config import Settings
from circo.core import instance, service
from circo.core.email import OutgoingEmail, send_email
from circo.core.errors import AuthError, CircoError, TooManyRequests
from circo.core.netguard import leave_transaction
from circo.core.security import new_token, sign, unsign
from circo.core.throttle import limit_email_request
from circo.web.deps import (
    ANON_CSRF_COOKIE,
    SESSION_COOKIE,
    SessionDep,
    SettingsDep,
    client_ip,
    get_runtime,
    get_settings,
    optional_user,
    request_base_url,
    verify_anonymous_csrf,
)
from circo.web.templating import gettext_for, render

router = APIRouter(include_in_schema=False)


DEVICE_COOKIE = "circo_device"
DEVICE_SALT = "circo.known-device"


def _with_anon_csrf(request: Request, response: HTMLResponse, token: str) -> HTMLResponse:
    if request.cookies.get(ANON_CSRF_COOKIE) != token:
        secure = get_settings(request).secure_cookies
        response.set_cookie(
            ANON_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure
        )
    return response


def _device_user_id(request: Request, settings: Settings) -> int | None:
    """The user this browser already logged in as (signed cookie), else None."""
    cookie = request.cookies.get(DEVICE_COOKIE)
    if not cookie:
        return None
    try:
        payload = unsign(
            settings.effective_secret_key(),
            DEVICE_SALT,
            cookie,
            max_age_seconds=settings.known_device_days * 86400,
        )
    except ValueError:
        return None
    user_id = payload.get("u") if isinstance(payload, dict) else None
    return user_id if isinstance(user_id, int) else None


def _anon_page(
    request: Request, template: str, context: dict[str, object], status: int = 200
) -> HTMLResponse:
    token = request.cookies.get(ANON_CSRF_COOKIE) or new_token()
    context = {**context, "csrf_token": token}
    return _with_anon_csrf(request, render(request, template, context, status=status), token)


def _safe_next(target: str | None) -> str:
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    return _anon_page(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", dependencies=[Depends(verify_anonymous_csrf)])
def login_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    _ = gettext_for(request.state.language)
    try:
        user = service.authenticate(
            session,
            email=email,
            password=password,
            ip=client_ip(request),
            max_failures=settings.login_max_failures,
            window_minutes=settings.login_window_minutes,
            max_failures_per_ip=settings.login_max_failures_per_ip,
            backoff_seconds=settings.login_backoff_seconds,
            device_user_id=_device_user_id(request, settings),
        )
    except TooManyRequests as exc:
        session.commit()
        return _anon_page(
            request, "login.html", {"next": next, "error": str(exc), "email": email}, status=429
        )
    except AuthError:
        session.commit()  # keep the failed attempt: it feeds the rate limit
        return _anon_page(
            request,
            "login.html",
            {"next": next, "error": _("E-mail ou mot de passe incorrect."), "email": email},
            status=401,
        )
    token, _web_session = service.open_web_session(
        session, user=user, ip=client_ip(request), hours=settings.session_hours
    )
    # the address people reach circo at becomes the one of links in mail (when none is set)
    raw_settings = get_runtime(request).settings
    if instance.remember_base_url(session, raw_settings, request_base_url(request)):
        request.app.state.instance_cache.invalidate_after_commit(session)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
    )
    response.set_cookie(
        DEVICE_COOKIE,
        sign(settings.effective_secret_key(), DEVICE_SALT, {"u": user.id}),
        max_age=settings.known_device_days * 86400,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
    )
    response.delete_cookie(ANON_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(
    request: Request, session: SessionDep, user: Annotated[object, Depends(optional_user)]
) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token and user is not None:
        service.close_web_session(session, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/password/forgot", response_class=HTMLResponse)
def forgot_page(request: Request) -> HTMLResponse:
    return _anon_page(request, "password_forgot.html", {"sent": False})


@router.post("/password/forgot", dependencies=[Depends(verify_anonymous_csrf)])
def forgot_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    email: Annotated[str, Form()],
) -> HTMLResponse:
    _ = gettext_for(request.state.language)
    try:
        limit_email_request(
            session,
            action="password.reset_requested",
            email=email,
            ip=client_ip(request),
            per_address=settings.email_throttle_per_address,
            per_ip=settings.email_throttle_per_ip,
        )
    except TooManyRequests as exc:
        return _anon_page(
            request, "password_forgot.html", {"sent": False, "error": str(exc)}, status=429
        )
    started = service.start_password_reset(session, email=email)
    leave_transaction(session)  # committed before the mail server is called
    if started is not None:
        user, token = started
        link = f"{settings.base_url.rstrip('/')}/password/reset?token={token}"
        # Sent after the response: the answer takes the same time for any address.
        background.add_task(
            send_email,
            settings,
            OutgoingEmail(
                to=user.email,
                subject=_("Réinitialisation de votre mot de passe circo"),
                text=_(
                    "Bonjour,\n\nPour choisir un nouveau mot de passe, ouvrez ce lien "
                    "(valable une heure) :\n{link}\n\nSi vous n'avez rien demandé, ignorez ce "
                    "message.\n",
                    link=link,
                ),
            ),
        )
    # Same answer whether or not the address exists: no account enumeration.
    return _anon_page(request, "password_forgot.html", {"sent": True})


@router.get("/password/reset", response_class=HTMLResponse)
def reset_page(request: Request, token: str = "") -> HTMLResponse:
    return _anon_page(request, "password_reset.html", {"token": token, "error": None})


@router.post("/password/reset", dependencies=[Depends(verify_anonymous_csrf)])
def reset_submit(
    request: Request,
    session: SessionDep,
    token: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> Response:
    try:
        service.finish_password_reset(
            session, token=token, new_password=password, ip=client_ip(request)
        )
    except CircoError as exc:
        return _anon_page(
            request, "password_reset.html", {"token": token, "error": str(exc)}, status=400
        )
    return RedirectResponse("/login?msg=password-changed", status_code=303)
