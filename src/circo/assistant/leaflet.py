"""Leaflets: one page tying the programme on a topic to local news of a territory.

The draft is structured content (title, sections of items, numbered sources) stored in
`Leaflet.content`, editable in the web UI, rendered to HTML and to PDF with WeasyPrint.
"""

from __future__ import annotations

from datetime import date, datetime
from importlib import resources
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from circo.assistant import repository, service
from circo.assistant.analysis import analyse
from circo.assistant.compose import Point, extractive_points, point_from_hit
from circo.assistant.errors import AssistantError
from circo.assistant.models import DocType, Leaflet
from circo.assistant.retrieval import Filters, Hit, search
from circo.assistant.tasks import FACT_TYPES
from circo.config import Settings
from circo.core.tenancy import CampaignContext
from circo.formatting import format_date, format_datetime

PROGRAMME_ITEMS = 3
NEWS_ITEMS = 2
FACT_ITEMS = 2

_PRINT = Environment(
    loader=FileSystemLoader(str(resources.files("circo") / "assistant" / "templates")),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def compose_leaflet(
    session: Session, ctx: CampaignContext, *, territory: str, topic: str, settings: Settings
) -> dict[str, Any]:
    """Leaflet content: programme proposals, local news of the territory, figures, sources."""
    if not topic.strip() or not territory.strip():
        raise AssistantError(
            "territoire et sujet requis (ex. --territory 69383 --topic transports)", loc="leaflet"
        )
    code = service.resolve_territory(session, ctx, territory) or territory
    name = service.territory_name(session, ctx, code)
    programme = extractive_points(
        search(
            session,
            ctx,
            query=topic,
            limit=10,
            settings=settings,
            filters=Filters(doc_types=(DocType.programme.value,)),
        ),
        topic,
        limit=PROGRAMME_ITEMS,
        kind="proposal",
    )
    news = _local_news(session, ctx, code=code, topic=topic, settings=settings)
    facts = extractive_points(
        [
            hit
            for hit in search(
                session,
                ctx,
                query=topic,
                limit=12,
                settings=settings,
                filters=Filters(doc_types=FACT_TYPES),
            )
            if hit.row.doc_type != DocType.news.value
        ],
        topic,
        limit=FACT_ITEMS,
        kind="fact",
    )
    sources: list[dict[str, Any]] = []
    sections = [
        {"heading": f"Près de chez vous — {name}", "items": _items(news, sources)},
        {"heading": "Nos propositions", "items": _items(programme, sources)},
        {"heading": "Les chiffres", "items": _items(facts, sources)},
    ]
    return {
        "title": f"{topic.strip().capitalize()} : agir pour {name}",
        "territory": code,
        "territory_name": name,
        "topic": topic.strip(),
        "sections": [section for section in sections if section["items"]],
        "sources": sources,
        "campaign": ctx.campaign.name,
    }


def _local_news(
    session: Session, ctx: CampaignContext, *, code: str, topic: str, settings: Settings
) -> list[Point]:
    filters = Filters(doc_types=(DocType.news.value,), territory=code)
    hits = search(session, ctx, query=topic, limit=6, filters=filters, settings=settings)
    points = extractive_points(hits, topic, limit=NEWS_ITEMS, kind="news")
    if points:
        return points
    recent = [
        document
        for document in repository.list_documents(session, ctx, doc_type=DocType.news.value)
        if code in (document.territory_codes or [])
    ][:NEWS_ITEMS]
    rows = []
    for document in recent:
        passages = repository.document_passages(session, ctx, document.id)
        rows += repository.passage_rows(session, ctx, [passages[0].id] if passages else [])
    terms = set(analyse(topic))
    return [point_from_hit(Hit(row=row, score=0.0), terms, kind="news") for row in rows]


def _items(points: list[Point], sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    items = []
    for point in points:
        citation = point.citations[0]
        row = citation.row
        ref = next((s["ref"] for s in sources if s["document_id"] == row.document_id), None)
        if ref is None:
            ref = len(sources) + 1
            sources.append(
                {
                    "ref": ref,
                    "document_id": row.document_id,
                    "document": row.title,
                    "source": row.source,
                    "date": row.published_on.isoformat() if row.published_on else None,
                }
            )
        items.append(
            {"text": point.text, "ref": ref, "quote": citation.quote, "passage_id": row.passage_id}
        )
    return items


def create_leaflet(
    session: Session, ctx: CampaignContext, *, territory: str, topic: str, settings: Settings
) -> Leaflet:
    content = compose_leaflet(session, ctx, territory=territory, topic=topic, settings=settings)
    leaflet = Leaflet(
        campaign_id=ctx.campaign_id,
        territory=content["territory"],
        topic=content["topic"],
        content=content,
    )
    session.add(leaflet)
    session.flush()
    return leaflet


def update_leaflet(
    session: Session,
    ctx: CampaignContext,
    *,
    leaflet_id: int,
    title: str,
    texts: dict[tuple[int, int], str],
    headings: dict[int, str],
) -> Leaflet:
    """Apply the editor's changes (title, section headings, item texts; empty text removes)."""
    leaflet = repository.get_leaflet(session, ctx, leaflet_id)
    content = dict(leaflet.content)
    content["title"] = title.strip() or content.get("title", "")
    sections = []
    for section_index, section in enumerate(content.get("sections", [])):
        items = []
        for item_index, item in enumerate(section["items"]):
            text = texts.get((section_index, item_index), item["text"]).strip()
            if text:
                items.append({**item, "text": text})
        heading = headings.get(section_index, section["heading"]).strip() or section["heading"]
        sections.append({**section, "heading": heading, "items": items})
    content["sections"] = sections
    leaflet.content = content
    session.flush()
    return leaflet


def render_html(
    content: dict[str, Any], *, timezone: str | None = None, updated_at: datetime | None = None
) -> str:
    """The printable leaflet; dates (its sources', the version's) in French, the version's
    time in the campaign's zone ``timezone``."""
    sources = [
        {**source, "date": _french_date(source.get("date"))}
        for source in content.get("sources", [])
    ]
    return _PRINT.get_template("assistant/leaflet_print.html").render(
        leaflet={**content, "sources": sources},
        version=format_datetime(updated_at, timezone) if updated_at else None,
    )


def _french_date(value: Any) -> str | None:
    """ "2026-03-29" (as stored in the content) → "29 mars 2026"; other text as it is."""
    if not value:
        return None
    try:
        return format_date(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def render_pdf(
    content: dict[str, Any], *, timezone: str | None = None, updated_at: datetime | None = None
) -> bytes:
    from weasyprint import HTML

    pdf = HTML(string=render_html(content, timezone=timezone, updated_at=updated_at)).write_pdf()
    assert pdf is not None
    return bytes(pdf)
