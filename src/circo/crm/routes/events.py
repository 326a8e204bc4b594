"""Events: list, creation, invitations, phone check-in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from circo.bounds import MAX_ID
from circo.core import audit
from circo.core.timezone import parse_local
from circo.crm import contacts as contacts_service
from circo.crm import events as events_service
from circo.crm import segments as segments_service
from circo.crm.errors import CrmError
from circo.crm.routes.common import OrganiserDep, back_to
from circo.crm.schemas import EventCreate
from circo.web.deps import SessionDep, SettingsDep
from circo.web.templating import render
from circo.web.types import IdPath

pages = APIRouter(include_in_schema=False)


@pages.get("/c/{slug}/events", response_class=HTMLResponse)
def events_page(request: Request, session: SessionDep, ctx: OrganiserDep) -> HTMLResponse:
    rows = [
        (e, events_service.counts(session, ctx, event_id=e.id))
        for e in events_service.list_events(session, ctx)
    ]
    return render(request, "crm/events.html", {"events": rows, "kinds": events_service.EVENT_KINDS})


@pages.post("/c/{slug}/events")
def event_create(
    session: SessionDep,
    ctx: OrganiserDep,
    title: Annotated[str, Form()],
    starts_at: Annotated[str, Form()],
    kind: Annotated[str, Form()] = "meeting",
    place: Annotated[str, Form()] = "",
    capacity: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> Response:
    # Typed as wall-clock time in the campaign's zone (19:00 is 19:00 in Paris, summer or not).
    moment = parse_local(starts_at, ctx.campaign.timezone, field="starts_at")
    event = events_service.create_event(
        session,
        ctx,
        data=EventCreate(
            kind=kind,
            title=title,
            starts_at=moment,
            place=place,
            description=description,
            capacity=int(capacity) if capacity.strip().isdigit() else None,
        ),
    )
    return back_to(ctx, f"events/{event.id}")


@pages.get("/c/{slug}/events/{event_id}", response_class=HTMLResponse)
def event_page(
    request: Request, session: SessionDep, ctx: OrganiserDep, event_id: IdPath
) -> HTMLResponse:
    event = events_service.get_event(session, ctx, event_id)
    return render(
        request,
        "crm/event.html",
        {
            "event": event,
            "counts": events_service.counts(session, ctx, event_id=event.id),
            "attendees": events_service.attendees(session, ctx, event_id=event.id),
            "segments": segments_service.list_segments(session, ctx),
        },
    )


@pages.post("/c/{slug}/events/{event_id}/invite")
def event_invite(
    session: SessionDep,
    settings: SettingsDep,
    ctx: OrganiserDep,
    event_id: IdPath,
    segment: Annotated[str, Form()],
) -> Response:
    filters = segments_service.resolve_segment(session, ctx, segment)
    events_service.invite_segment(session, ctx, settings, event_id=event_id, filters=filters)
    return back_to(ctx, f"events/{event_id}")


@pages.get("/c/{slug}/events/{event_id}/export.{fmt}")
def event_export(session: SessionDep, ctx: OrganiserDep, event_id: IdPath, fmt: str) -> Response:
    """The list of invitees (answers, check-in), dates in the campaign's zone; audited."""
    from circo.crm.export import render_export

    if fmt not in ("csv", "xlsx"):
        raise CrmError(f"format inconnu « {fmt} » (csv ou xlsx)", loc="format")
    headers, rows = events_service.export_attendees(session, ctx, event_id=event_id)
    audit.record(
        session,
        actor=ctx.actor,
        action="contacts.export",
        campaign_id=ctx.campaign_id,
        target_type="event",
        target_id=str(event_id),
        details={"rows": len(rows), "format": fmt, "target": "web"},
    )
    media = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return Response(
        render_export(headers, rows, fmt),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="evenement-{event_id}.{fmt}"'},
    )


@pages.get("/c/{slug}/events/{event_id}/checkin", response_class=HTMLResponse)
def event_checkin_page(
    request: Request, session: SessionDep, ctx: OrganiserDep, event_id: IdPath, q: str = ""
) -> HTMLResponse:
    event = events_service.get_event(session, ctx, event_id)
    rows = events_service.attendees(session, ctx, event_id=event.id)
    found = contacts_service.search_contacts(session, ctx, query=q, limit=10) if q else []
    return render(
        request, "crm/checkin.html", {"event": event, "attendees": rows, "q": q, "found": found}
    )


@pages.post("/c/{slug}/events/{event_id}/checkin")
def event_checkin(
    session: SessionDep,
    ctx: OrganiserDep,
    event_id: IdPath,
    contact_id: Annotated[int, Form(ge=1, le=MAX_ID)],
) -> Response:
    events_service.check_in(session, ctx, event_id=event_id, contact_id=contact_id)
    return back_to(ctx, f"events/{event_id}/checkin")
