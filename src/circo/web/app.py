"""The FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib import resources
from types import ModuleType
from typing import Any
from urllib.parse import quote

import pydantic
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from circo import __version__, labels
from circo.config import Settings
from circo.core import instance
from circo.core.jobs import JobWorker
from circo.domains import load_domains, resolve
from circo.errors import CircoError
from circo.i18n import pick_language
from circo.runtime import Runtime, open_runtime_for_serving
from circo.web import (
    api_core,
    overload,
    routes_auth,
    routes_core,
    routes_jobs,
    routes_settings,
    validation,
)
from circo.web.deps import LANG_COOKIE, LoginRequired
from circo.web.registry import CORE_NAV, NavItem
from circo.web.templating import render

logger = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'"
)


def domain_modules() -> list[ModuleType]:
    """The routes module of every domain of the manifest that has pages or an API."""
    return [resolve(domain.routes) for domain in load_domains().domains if domain.routes]


def create_app(
    settings: Settings,
    *,
    runtime: Runtime | None = None,
    run_jobs: bool = False,
    dispatch_jobs: bool = False,
) -> FastAPI:
    """Build the app; with no runtime given, connect (and create the schema of an empty DB).

    ``run_jobs``: run the job engine in this process (``circo serve``); ``dispatch_jobs``: only
    hand committed jobs to the queue (a web process of ``CIRCO_WEB_WORKERS`` > 1). Neither (the
    tests): jobs wait in the table for ``run_pending`` or a worker's sweeper."""
    load_domains()  # every domain's tables, hooks and job handlers, as in the CLI
    runtime = runtime or open_runtime_for_serving(settings)
    settings.effective_secret_key()  # refuse the default secret in production, early
    worker = (
        JobWorker(runtime.factory, settings, consume=run_jobs)
        if run_jobs or dispatch_jobs
        else None
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if worker is not None:
            worker.start()
        yield
        if worker is not None:
            worker.stop()

    app = FastAPI(
        title="circo",
        version=__version__,
        description="API de circo, plateforme de campagne électorale / campaign platform API.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.instance_cache = instance.Cache()  # settings saved on the settings page
    app.state.job_worker = worker
    modules = domain_modules()
    app.state.nav = sorted(
        CORE_NAV + [item for module in modules for item in getattr(module, "NAV_ITEMS", [])],
        key=lambda item: item.order,
    )
    app.state.dashboard_card_providers = [
        module.dashboard_cards for module in modules if hasattr(module, "dashboard_cards")
    ]
    app.mount(
        "/static",
        StaticFiles(directory=str(resources.files("circo") / "web" / "static")),
        name="static",
    )
    app.add_api_route("/favicon.ico", _favicon, methods=["GET"], include_in_schema=False)
    app.include_router(routes_auth.router)
    app.include_router(api_core.health_router)
    app.include_router(api_core.router)
    for module in modules:
        app.include_router(module.router)
    app.include_router(routes_settings.router)
    app.include_router(routes_core.router)
    app.include_router(routes_jobs.router)
    _install_middleware(app, settings)
    _install_error_handlers(app)
    overload.install(app, settings)  # outermost: admission control, busy DB → 503
    return app


def _favicon() -> FileResponse:
    """Browsers ask for /favicon.ico on every page (an SVG one is linked from base.html too)."""
    icon = resources.files("circo") / "web" / "static" / "favicon.ico"
    return FileResponse(
        str(icon), media_type="image/x-icon", headers={"Cache-Control": "max-age=86400"}
    )


def nav_for(app: FastAPI, role: Any) -> list[NavItem]:
    return [item for item in app.state.nav if item.visible_to(role)]


def _install_middleware(app: FastAPI, settings: Settings) -> None:
    @app.middleware("http")
    async def language_and_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        asked = request.query_params.get("lang")
        request.state.language = pick_language(
            asked,
            request.cookies.get(LANG_COOKIE),
            request.headers.get("accept-language") if settings.language == "en" else None,
            settings.language,
        )
        response = await call_next(request)
        if asked in ("fr", "en"):
            response.set_cookie(
                LANG_COOKIE,
                asked,
                max_age=365 * 86400,
                samesite="lax",
                secure=settings.secure_cookies,
            )
        if settings.effective_hsts_seconds:
            response.headers.setdefault(
                "Strict-Transport-Security", f"max-age={settings.effective_hsts_seconds}"
            )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if not request.url.path.startswith("/api/docs"):
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get(
        "accept", ""
    )


def _install_error_handlers(app: FastAPI) -> None:
    validation.document_error_shape(app)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if _wants_json(request):
            return JSONResponse(exc.to_dict(), status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(CircoError)
    async def circo_error(request: Request, exc: CircoError) -> Response:
        if _wants_json(request):
            return JSONResponse(exc.to_dict(), status_code=exc.status)
        message = labels.person_message(exc.message, exc.loc, request.state.language)
        return render(
            request,
            "error.html",
            {"status": exc.status, "message": message, "back": _same_origin_referer(request)},
            status=exc.status,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_json(request):
            return JSONResponse(
                {"error": "HTTPError", "message": str(exc.detail), "loc": None},
                status_code=exc.status_code,
            )
        message = "Page introuvable" if exc.status_code == 404 else str(exc.detail)
        return render(
            request,
            "error.html",
            {"status": exc.status_code, "message": message},
            status=exc.status_code,
        )

    @app.exception_handler(RequestValidationError)
    @app.exception_handler(pydantic.ValidationError)  # a schema built by a page from its form
    async def validation_error(
        request: Request, exc: RequestValidationError | pydantic.ValidationError
    ) -> Response:
        problems = validation.french_problems(exc.errors())
        if _wants_json(request):
            return JSONResponse(
                {
                    "error": "ValidationError",
                    "message": validation.summary(problems),
                    "details": problems,
                },
                status_code=422,
            )
        message = "; ".join(
            labels.person_message(item["message"], item["loc"], request.state.language)
            for item in problems
        )
        back = _same_origin_referer(request)
        return render(
            request, "error.html", {"status": 422, "message": message, "back": back}, status=422
        )


def _same_origin_referer(request: Request) -> str | None:
    """The page the person came from (to go back to the form), same origin only."""
    referer = request.headers.get("referer") or ""
    origin = f"{request.url.scheme}://{request.url.netloc}/"
    if request.method == "GET" or not referer.startswith(origin):
        return None
    return "/" + referer.removeprefix(origin)
