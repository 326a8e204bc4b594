"""Segments and their export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from circo.core import audit
from circo.crm import contacts as contacts_service
from circo.crm import segments as segments_service
from circo.crm.errors import CrmError
from circo.crm.export import export_rows, render_export
from circo.crm.routes.common import DataDep, SegmentsDep, back_to, csv_list
from circo.crm.schemas import SegmentFilter
from circo.web.deps import SessionDep
from circo.web.templating import render
from circo.web.types import IdPath

pages = APIRouter(include_in_schema=False)


@pages.get("/c/{slug}/segments", response_class=HTMLResponse)
def segments_page(request: Request, session: SessionDep, ctx: SegmentsDep) -> HTMLResponse:
    rows = [
        segments_service.segment_summary(session, ctx, s)
        for s in segments_service.list_segments(session, ctx)
    ]
    return render(
        request,
        "crm/segments.html",
        {"segments": rows, "tags": contacts_service.list_tags(session, ctx)},
    )


@pages.post("/c/{slug}/segments")
def segment_create(
    session: SessionDep,
    ctx: SegmentsDep,
    name: Annotated[str, Form()],
    tags: Annotated[str, Form()] = "",
    communes: Annotated[str, Form()] = "",
    stations: Annotated[str, Form()] = "",
    channel: Annotated[str, Form()] = "",
    question: Annotated[str, Form()] = "",
    answers: Annotated[str, Form()] = "",
    events: Annotated[str, Form()] = "",
) -> Response:
    filters = SegmentFilter(
        tags=csv_list(tags),
        commune_codes=csv_list(communes),
        polling_stations=csv_list(stations),
        consent_channel=channel or None,
        answers={question: csv_list(answers)} if question else {},
        attended_event_ids=[int(x) for x in csv_list(events) if x.isdigit()],
    )
    segments_service.create_segment(session, ctx, name=name, filters=filters)
    return back_to(ctx, "segments")


@pages.get("/c/{slug}/segments/{segment_id}/export.{fmt}")
def segment_export(session: SessionDep, ctx: DataDep, segment_id: IdPath, fmt: str) -> Response:
    if fmt not in ("csv", "xlsx"):
        raise CrmError(f"format inconnu « {fmt} » (csv ou xlsx)", loc="format")
    segment = segments_service.get_segment(session, ctx, segment_id)
    contacts = segments_service.segment_contacts(session, ctx, segments_service.filters_of(segment))
    headers, rows = export_rows(session, ctx, contacts)
    audit.record(
        session,
        actor=ctx.actor,
        action="contacts.export",
        campaign_id=ctx.campaign_id,
        target_type="segment",
        target_id=segment.name,
        details={"rows": len(rows), "format": fmt, "target": "web"},
    )
    media = (
        "text/csv"
        if fmt == "csv"
        else ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    )
    return Response(
        render_export(headers, rows, fmt),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="segment-{segment.id}.{fmt}"'},
    )
