"""Public RSVP pages (no login, signed token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from circo.core.security import new_token
from circo.crm import events as events_service
from circo.web.deps import ANON_CSRF_COOKIE, SessionDep, SettingsDep, verify_anonymous_csrf
from circo.web.templating import render

pages = APIRouter(include_in_schema=False)


def _anon(
    request: Request, template: str, context: dict[str, object], status: int = 200
) -> HTMLResponse:
    token = request.cookies.get(ANON_CSRF_COOKIE) or new_token()
    response = render(request, template, {**context, "csrf_token": token}, status=status)
    if request.cookies.get(ANON_CSRF_COOKIE) != token:
        response.set_cookie(ANON_CSRF_COOKIE, token, httponly=True, samesite="strict")
    return response


@pages.get("/rsvp/{token}", response_class=HTMLResponse)
def rsvp_page(
    request: Request, session: SessionDep, settings: SettingsDep, token: str
) -> HTMLResponse:
    ctx, event, attendee, contact = events_service.rsvp_context(session, settings, token)
    return _anon(
        request,
        "crm/rsvp.html",
        {
            "event": event,
            "attendee": attendee,
            "first_name": contact.first_name,
            "campaign": ctx.campaign,
            "token": token,
        },
    )


@pages.post(
    "/rsvp/{token}", response_class=HTMLResponse, dependencies=[Depends(verify_anonymous_csrf)]
)
def rsvp_answer(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: str,
    answer: Annotated[str, Form()],
) -> HTMLResponse:
    attendee = events_service.respond(session, settings, token=token, answer=answer)
    ctx, event, _attendee, contact = events_service.rsvp_context(session, settings, token)
    return _anon(
        request,
        "crm/rsvp.html",
        {
            "event": event,
            "attendee": attendee,
            "done": True,
            "first_name": contact.first_name,
            "campaign": ctx.campaign,
            "token": token,
        },
    )
