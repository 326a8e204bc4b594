"""The printable walk list: map sketch, addresses in walking order, questionnaire checkboxes.

HTML rendered with Jinja2 from ``circo/field/templates/field/walklist_print.html`` and turned
into PDF by WeasyPrint (no network: the map is inline SVG, fonts are the system's).
"""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy.orm import Session

from circo.core import audit
from circo.core.tenancy import CampaignContext
from circo.db import utcnow
from circo.field import questionnaire as qn
from circo.field import service
from circo.field.outline import bureau_outline
from circo.field.turfs.output import turf_svg
from circo.formatting import format_date, format_datetime, format_number

_environment = Environment(
    loader=FileSystemLoader(str(resources.files("circo") / "field" / "templates")),
    autoescape=select_autoescape(["html"]),
)


def walk_list_html(
    session: Session, ctx: CampaignContext, *, turf_id: int, now: datetime | None = None
) -> str:
    """The sheet's HTML; dates (printed at, the turf's days) in the campaign's zone, in French."""
    turf = service.get_turf(session, ctx, turf_id=turf_id)
    zone = ctx.campaign.timezone
    days = sorted(
        {
            view.assignment.day
            for view in service.list_assignments(session, ctx)
            if view.assignment.turf_id == turf.id and view.assignment.status != "cancelled"
        }
    )
    stops = service.turf_stops(session, ctx, turf_id=turf.id)
    questionnaire = service.active_questionnaire(session, ctx)
    sketch = turf_svg(service.as_cutting_turf(turf, stops), size=420) if stops else ""
    context: dict[str, Any] = {
        "campaign": ctx.campaign,
        "turf": turf,
        "stops": stops,
        "sketch": Markup(sketch),  # built by turf_svg, which escapes its text
        "questions": questionnaire.questions,
        "outcomes": qn.OUTCOMES,
        "outline": bureau_outline(session, bureau=turf.bureau),
        "printed_at": format_datetime(now or utcnow(), zone),
        "days": [format_date(day, zone, style="full") for day in days],
        "walk_km": format_number(turf.walk_m / 1000, 1),
    }
    return _environment.get_template("field/walklist_print.html").render(context)


def walk_list_pdf(
    session: Session, ctx: CampaignContext, *, turf_id: int, now: datetime | None = None
) -> bytes:
    """The walk list of a turf as PDF bytes."""
    from weasyprint import HTML

    html = walk_list_html(session, ctx, turf_id=turf_id, now=now)
    audit.record(
        session,
        actor=ctx.actor,
        action="field.walklist",
        campaign_id=ctx.campaign_id,
        target_type="turf",
        target_id=turf_id,
    )
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
