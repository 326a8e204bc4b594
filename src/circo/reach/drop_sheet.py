"""The printable route sheet of a drop turf: the field walk list's sketch (`turf_svg`) and
buildings in walking order with their letterboxes and a box to tick; PDF by WeasyPrint (no
network: inline SVG, system fonts), as `circo.field.walklist`."""

from __future__ import annotations

from datetime import datetime
from importlib import resources

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext
from circo.db import utcnow
from circo.field import service as field_service
from circo.field.turfs.output import turf_svg
from circo.formatting import format_datetime, format_number
from circo.reach import drops

_environment = Environment(
    loader=FileSystemLoader(str(resources.files("circo") / "reach" / "templates")),
    autoescape=select_autoescape(["html"]),
)


def drop_sheet_html(
    session: Session,
    ctx: CampaignContext,
    *,
    round_id: int,
    turf_id: int,
    now: datetime | None = None,
) -> str:
    drop = drops.get_round(session, ctx, round_id)
    turf = drops.get_turf(session, ctx, drop, turf_id)
    stops = field_service.turf_stops(session, ctx, turf_id=turf.id)
    done = {
        building["id"]
        for item in drops.round_json(session, ctx, round_id)["turfs"]
        if item["id"] == turf.id
        for building in item["buildings"]
        if building["done"]
    }
    sketch = turf_svg(field_service.as_cutting_turf(turf, stops), size=420) if stops else ""
    return _environment.get_template("reach/drop_sheet_print.html").render(
        campaign=ctx.campaign,
        drop=drop,
        turf=turf,
        stops=stops,
        done=done,
        letterboxes=format_number(sum(stop.dwellings for stop in stops)),
        sketch=Markup(sketch),  # built by turf_svg, which escapes its text
        printed_at=format_datetime(now or utcnow(), ctx.campaign.timezone),
        walk_km=format_number(turf.walk_m / 1000, 1),
    )


def drop_sheet_pdf(session: Session, ctx: CampaignContext, *, round_id: int, turf_id: int) -> bytes:
    from weasyprint import HTML

    html = drop_sheet_html(session, ctx, round_id=round_id, turf_id=turf_id)
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
