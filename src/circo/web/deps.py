"""Request dependencies: database session, authentication, CSRF, campaign context, roles.

Authentication comes from the session cookie (browser; state-changing requests must carry the
CSRF token) or from ``Authorization: Bearer circo_…`` (scripts; no CSRF). The campaign comes from
the URL slug and the user's membership — a user who is not a member gets 404.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from circo.config import Settings
from circo.core import instance, service
from circo.core.errors import AuthError, CircoError, PermissionDenied
from circo.core.models import Role, User
from circo.core.tenancy import CampaignContext
from circo.i18n import pick_language
from circo.labels import label
from circo.runtime import Runtime

SESSION_COOKIE = "circo_session"
ANON_CSRF_COOKIE = "circo_csrf"
LANG_COOKIE = "circo_lang"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class LoginRequired(AuthError):
    """Raised for pages: the handler redirects the browser to the login page."""


class CsrfError(CircoError):
    status = 403


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_settings(request: Request) -> Settings:
    """The settings in force: environment, then the values saved on the settings page
    (`circo.core.instance`, read again every few seconds)."""
    runtime = get_runtime(request)
    cache: instance.Cache | None = getattr(request.app.state, "instance_cache", None)
    if cache is None:
        return runtime.settings
    return cache.settings(runtime.factory, runtime.settings)


def request_base_url(request: Request) -> str:
    """``scheme://host[:port]`` as the browser reached the server (Host header)."""
    return str(request.base_url).rstrip("/")


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, committed once when the endpoint succeeded.

    Used with ``scope="function"`` (`SessionDep`): the commit runs when the endpoint returns,
    *before* the response is sent, so a confirmation (200, 201, 303) is only ever sent for
    committed work, and a failed commit becomes an error response instead of a lost write.
    """
    session = get_runtime(request).factory()
    try:
        yield session
        session.commit()
    except BaseException:
        # Keep loaded objects readable for the error page: detach them before the rollback
        # (a rollback would expire them).
        session.expunge_all()
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def form_data(request: Request) -> FormData:
    """The posted form, parsed on the event loop so that the endpoint can be a plain ``def``
    (run in the thread pool, where its database work blocks no other request). Starlette
    caches the parsed form on the request: the CSRF check and FastAPI's ``Form()`` parameters
    share it."""
    return await request.form()


FormDep = Annotated[FormData, Depends(form_data)]


async def webhook_body(request: Request) -> bytes | FormData:
    """A provider webhook's body, read on the event loop: the raw bytes of a JSON body (decoded
    by the endpoint, after its token check), the parsed form otherwise."""
    if request.headers.get("content-type", "").startswith("application/json"):
        return await request.body()
    return await request.form()


WebhookBodyDep = Annotated[bytes | FormData, Depends(webhook_body)]

UPLOAD_LIMIT = 8 * 1024 * 1024  # the largest raw upload read (a photo from a phone)


async def upload_body(request: Request) -> bytes:
    """A raw upload (a photo sent as the body), read on the event loop and cut one byte past
    `UPLOAD_LIMIT`: the endpoint refuses it naming the limit, and no huge body is held."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > UPLOAD_LIMIT:
            break
    return b"".join(chunks)[: UPLOAD_LIMIT + 1]


UploadBodyDep = Annotated[bytes, Depends(upload_body)]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def _submitted_csrf(request: Request) -> str:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        return value if isinstance(value, str) else ""
    return ""


async def verify_anonymous_csrf(request: Request) -> None:
    """Double-submit check for forms posted before login (login, password reset, public pages)."""
    cookie = request.cookies.get(ANON_CSRF_COOKIE, "")
    submitted = await _submitted_csrf(request)
    if not cookie or not hmac.compare_digest(cookie, submitted):
        raise CsrfError("jeton CSRF manquant ou invalide : rechargez la page et réessayez")


async def optional_user(request: Request, session: SessionDep) -> User | None:
    """The authenticated user or None; checks CSRF on state-changing cookie requests.

    Async only to read a posted form; the database lookups run in the thread pool so that a
    request waiting for a connection (or SQLite's write lock) never blocks the event loop.
    """
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        user = await run_in_threadpool(service.api_token_user, session, authorization[7:].strip())
        if user is None:
            raise AuthError("jeton d'API invalide ou révoqué")
        request.state.auth = "token"
    else:
        token = request.cookies.get(SESSION_COOKIE)
        found = await run_in_threadpool(service.web_session_user, session, token) if token else None
        if found is None:
            return None
        user, web_session = found
        request.state.auth = "cookie"
        request.state.csrf_token = web_session.csrf_token
        if request.method not in SAFE_METHODS:
            submitted = await _submitted_csrf(request)
            if not hmac.compare_digest(web_session.csrf_token, submitted):
                raise CsrfError("jeton CSRF manquant ou invalide : rechargez la page et réessayez")
    request.state.user = user
    request.state.language = pick_language(
        request.query_params.get("lang"), request.cookies.get(LANG_COOKIE), user.language
    )
    return user


async def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        raise LoginRequired("connexion requise")
    return user


UserDep = Annotated[User, Depends(current_user)]


def campaign_context(
    request: Request, slug: str, session: SessionDep, user: UserDep
) -> CampaignContext:
    """The user's context on the campaign in the URL; 404 when not a member."""
    ctx = service.context_for(session, user=user, slug=slug, ip=client_ip(request))
    request.state.ctx = ctx
    request.state.nav = [item for item in request.app.state.nav if item.visible_to(ctx.role)]
    return ctx


CampaignDep = Annotated[CampaignContext, Depends(campaign_context)]


def require_role(*roles: Role) -> Callable[[CampaignContext], CampaignContext]:
    """Dependency: the campaign context, refused (403) unless the user has one of ``roles``."""

    def dependency(ctx: CampaignDep) -> CampaignContext:
        if ctx.role is not Role.admin and ctx.role not in roles:
            raise PermissionDenied(
                "cette page est réservée aux rôles : "
                + ", ".join(label(role, "role") for role in (Role.admin, *roles))
                + " — demandez à l'administration de la campagne de changer votre rôle"
            )
        return ctx

    return dependency


AdminDep = Annotated[CampaignContext, Depends(require_role(Role.admin))]
