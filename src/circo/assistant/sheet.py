"""The territory sheet's "local news" section: recent news items of the knowledge base (from the
campaign's feeds or added by hand) that concern the territory."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.assistant import repository
from circo.assistant.models import DocType, Feed
from circo.core.tenancy import CampaignContext
from circo.maps.hooks import SheetSection

SHOWN = 8
TITLE = "Actualités locales"


def _concerns(codes: list[str], territory_code: str, level: str) -> bool:
    if territory_code in codes:
        return True
    # A département's sheet also shows the news of its communes.
    return level == "dep" and any(
        len(code) == 5 and code.startswith(territory_code) for code in codes
    )


def local_news(
    session: Session, ctx: CampaignContext | None, territory_key: str
) -> SheetSection | None:
    if ctx is None:
        return None
    level, _, code = territory_key.partition(":")
    code = code or level
    documents = [
        document
        for document in repository.list_documents(session, ctx, doc_type=DocType.news.value)
        if _concerns(list(document.territory_codes or []), code, level)
    ][:SHOWN]
    section = SheetSection(title=TITLE)
    if documents:
        section.columns = ["Date", "Titre", "Source"]
        section.rows = [
            [
                document.published_on.strftime("%d/%m/%Y") if document.published_on else "",
                document.title,
                document.source,
            ]
            for document in documents
        ]
        return section
    feeds = session.scalar(ctx.scoped(select(func.count(Feed.id)), Feed)) or 0
    if feeds:
        section.paragraphs.append(
            f"Aucune actualité récente sur ce territoire dans les {feeds} flux suivis."
        )
    else:
        section.paragraphs.append(
            "Aucun flux d'actualités suivi : ajoutez-en un dans l'assistant "
            "(Base de connaissances → Flux d'actualités)."
        )
    return section
