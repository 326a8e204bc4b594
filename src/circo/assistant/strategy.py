"""The communication-strategy note of a territory, from its sheet (`circo.maps.sheet`): results
with turnout, demography (INSEE), priority bureaux and local news, plus what the knowledge base
says of the habitants' priorities.

Every figure cites circo's own table and the territory (``circo:résultats/<élection>/tour
<n>/<territoire>``, ``circo:insee/<indicateur>/<territoire>``); a knowledge-base sentence cites
its document. The strategic choices themselves are the team's: the note ends with a section to
write, marked as opinion, never filled with unsourced text.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from circo import labels
from circo.assistant.compose import Point
from circo.assistant.retrieval import Filters
from circo.assistant.tasks import ask
from circo.config import Settings
from circo.core.tenancy import CampaignContext
from circo.formatting import format_number

MAX_RESULTS = 3
MAX_ROWS = 5
OPINION_HEADING = "Axes de campagne (avis de l'équipe, à rédiger — non sourcé)"


def _percent(value: float) -> str:
    return f"{format_number(round(value * 100, 1))} %"


def strategy_note(
    session: Session, ctx: CampaignContext, *, territory: str, settings: Settings
) -> tuple[str, list[dict[str, str]], str]:
    """(text, citations, territory title) of the note; raises when nothing is known of it."""
    from circo.maps.sheet import build_sheet

    data = build_sheet(session, territory=territory, ctx=ctx)
    key = data.territory
    lines = [f"Note de stratégie de communication — {data.title}"]
    citations: list[dict[str, str]] = []

    def fact(sentence: str, source: str) -> None:
        lines.append(f"– {sentence}")
        citations.append({"source": source, "quote": sentence})

    if data.results:
        lines.append("\nRésultats")
        for result in data.results[:MAX_RESULTS]:
            title = labels.election_title(
                data.names.get(result.election, result.election), result.round
            )
            turnout = result.turnout
            sentence = f"{title} : " + (
                f"participation de {_percent(turnout)}" if turnout is not None else "résultats"
            )
            if result.candidates:
                first = result.candidates[0]
                sentence += (
                    f", {first.name} en tête avec {_percent(first.share_valid)} des exprimés"
                )
            fact(sentence + ".", f"circo:résultats/{result.election}/tour {result.round}/{key}")
    if data.demographics:
        lines.append("\nDémographie (INSEE)")
        for code, label, value in data.demographics[:8]:
            fact(f"{label} : {value}.", f"circo:insee/{code}/{key}")
    for section in data.sections:
        if not section.rows:
            continue
        lines.append(f"\n{section.title}")
        for row in section.rows[:MAX_ROWS]:
            cells = [str(cell) for cell in row if str(cell).strip()]
            if section.title == "Actualités locales" and len(cells) >= 3:
                fact(f"{cells[0]} — {cells[1]}.", cells[2])
            else:
                fact(" ; ".join(cells) + ".", f"circo:{section.title.lower()}/{key}")
    code = key.partition(":")[2] or key
    answer = ask(
        session,
        ctx,
        query="priorités des habitants",
        settings=settings,
        limit=3,
        filters=Filters(territory=code),
    )
    points: list[Point] = answer.points
    if points:
        lines.append("\nCe que dit la base de connaissances")
        for point in points:
            lines.append(f"– {point.text}")
            for citation in point.citations:
                citations.append({"source": citation.row.source, "quote": citation.quote})
    lines.append(f"\n{OPINION_HEADING}")
    lines.append("– …")
    return "\n".join(lines), citations, data.title
