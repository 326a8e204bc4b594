"""Right of access (GDPR art. 15): everything the campaign holds on the person, as JSON-able
data and as a readable PDF."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from circo import labels
from circo.core import audit
from circo.core.tenancy import CampaignContext
from circo.db import utcnow
from circo.privacy.rights.identity import resolve_identity
from circo.privacy.rights.traces import find_traces


def access_export(
    session: Session, ctx: CampaignContext, *, email: str | None = None, phone: str | None = None
) -> dict[str, Any]:
    """Everything the campaign holds on the person, as JSON-able data (GDPR art. 15): each
    domain adds its own tables (`circo.core.personal`, manifest order), then the rows of any
    other table that mention the person."""
    from circo.domains import registry

    identity, _contacts = resolve_identity(session, ctx, email=email, phone=phone)
    ids = identity.contact_ids
    export: dict[str, Any] = {
        "campaign": {"slug": ctx.campaign.slug, "name": ctx.campaign.name},
        "generated_at": utcnow().isoformat(),
        "query": {"email": email, "phone": phone},
        "contacts": [],
    }
    covered: set[str] = set()
    for rules in registry().personal_data.values():
        if rules.access is not None:
            rules.access(session, ctx, identity, export)
        covered.update(rules.tables)
    export["other_records"] = {
        table: rows
        for table, rows in find_traces(session, ctx, identity.needles(), rows=True).items()
        if table not in covered
    }
    audit.record(
        session,
        actor=ctx.actor,
        action="privacy.access",
        campaign_id=ctx.campaign_id,
        target_type="contacts",
        target_id=",".join(str(i) for i in ids)[:64] or None,
        details={"contacts": len(ids)},
    )
    return export


def answer_access(
    session: Session,
    ctx: CampaignContext,
    *,
    email: str | None = None,
    phone: str | None = None,
    channel: str,
) -> dict[str, Any]:
    """A right-of-access request answered at once: logged as a request, then the export."""
    from circo.privacy.rights.requests import complete_request, create_request

    request = create_request(session, ctx, kind="access", channel=channel)
    export = access_export(session, ctx, email=email, phone=phone)
    complete_request(session, ctx, request, outcome={"contacts": len(export["contacts"])})
    return export


def access_pdf(export: dict[str, Any]) -> bytes:
    """A readable PDF of an access export (weasyprint)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape
    from weasyprint import HTML

    folder = Path(__file__).parent.parent / "templates" / "privacy"
    environment = Environment(loader=FileSystemLoader(folder), autoescape=select_autoescape())
    zone = (export.get("campaign") or {}).get("timezone")

    def when(value: str | None, with_time: bool = True) -> str:
        """An ISO date or UTC moment of the export, in French on the campaign's clock."""
        from circo.formatting import format_date, format_datetime

        if not value:
            return "—"
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is None and len(value) > 10:
            moment = moment.replace(tzinfo=UTC)
        if len(value) <= 10 or not with_time:
            return format_date(moment if len(value) > 10 else moment.date(), zone)
        return format_datetime(moment, zone, style="medium")

    environment.filters["when"] = when
    environment.filters["label"] = lambda value, kind: labels.label(value, kind)
    template = environment.get_template("access_pdf.html")
    html = template.render(
        export=export,
        dumps=lambda value: json.dumps(value, ensure_ascii=False, indent=1, default=str),
    )
    return HTML(string=html).write_pdf()
