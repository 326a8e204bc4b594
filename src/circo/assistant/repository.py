"""Every query of the assistant (always scoped to one campaign)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import case, delete, func, insert, literal, or_, select
from sqlalchemy.orm import Session

from circo.assistant.errors import DocumentNotFound
from circo.assistant.models import Document, Feed, Leaflet, Passage, Place, Posting
from circo.core.tenancy import CampaignContext, campaign_filter


@dataclass(frozen=True)
class PassageRow:
    """A passage with its document's metadata, as retrieval returns it."""

    passage_id: int
    document_id: int
    title: str
    source: str
    doc_type: str
    published_on: date | None
    territory_codes: list[str]
    heading_path: str
    text: str
    start_offset: int
    end_offset: int


# --- documents --------------------------------------------------------------------------------


def document_by_source(session: Session, ctx: CampaignContext, source: str) -> Document | None:
    query = ctx.scoped(select(Document), Document).where(Document.source == source)
    return session.scalars(query.order_by(Document.id).limit(1)).first()


def document_by_hash(session: Session, ctx: CampaignContext, content_hash: str) -> Document | None:
    query = ctx.scoped(select(Document), Document).where(Document.content_hash == content_hash)
    return session.scalars(query.order_by(Document.id).limit(1)).first()


def document_by_external_id(
    session: Session, ctx: CampaignContext, *, feed_id: int, external_id: str
) -> Document | None:
    query = ctx.scoped(select(Document), Document).where(
        Document.feed_id == feed_id, Document.external_id == external_id
    )
    return session.scalars(query.limit(1)).first()


def get_document(session: Session, ctx: CampaignContext, document_id: int) -> Document:
    document = session.get(Document, document_id)
    if document is None or document.campaign_id != ctx.campaign_id:
        raise DocumentNotFound(f"document introuvable : n° {document_id}", loc="document")
    return document


def list_documents(
    session: Session, ctx: CampaignContext, *, doc_type: str | None = None, limit: int = 1000
) -> list[Document]:
    query = ctx.scoped(select(Document), Document)
    if doc_type:
        query = query.where(Document.doc_type == doc_type)
    order = (Document.published_on.desc().nulls_last(), Document.id.desc())
    return list(session.scalars(query.order_by(*order).limit(limit)))


def count_documents(session: Session, ctx: CampaignContext) -> tuple[int, int]:
    documents = session.scalar(ctx.scoped(select(func.count(Document.id)), Document)) or 0
    passages = session.scalar(ctx.scoped(select(func.count(Passage.id)), Passage)) or 0
    return documents, passages


def delete_passages(session: Session, document_id: int) -> None:
    passage_ids = select(Passage.id).where(Passage.document_id == document_id)
    session.execute(delete(Posting).where(Posting.passage_id.in_(passage_ids)))
    session.execute(delete(Passage).where(Passage.document_id == document_id))


def delete_document(session: Session, document: Document) -> None:
    delete_passages(session, document.id)
    session.delete(document)
    session.flush()


def insert_passages(
    session: Session,
    *,
    document: Document,
    passages: Sequence[Passage],
    postings: Sequence[dict[str, Any]],
) -> None:
    """Insert passages, then their postings (``passage_index`` → the new passage id)."""
    session.add_all(passages)
    session.flush()
    rows = [
        {
            "passage_id": passages[row["passage_index"]].id,
            "term": row["term"],
            "campaign_id": document.campaign_id,
            "tf": row["tf"],
            "length": row["length"],
        }
        for row in postings
    ]
    for start in range(0, len(rows), 5000):
        session.execute(insert(Posting), rows[start : start + 5000])


# --- passages and the lexical index -----------------------------------------------------------


def corpus_stats(session: Session, campaign_id: int) -> tuple[int, float]:
    count, average = session.execute(
        select(func.count(Passage.id), func.avg(Passage.token_count)).where(
            campaign_filter(Passage, campaign_id)
        )
    ).one()
    return int(count or 0), float(average or 0.0)


def postings_for(
    session: Session, campaign_id: int, terms: Iterable[str]
) -> list[tuple[int, str, int, int]]:
    query = select(Posting.passage_id, Posting.term, Posting.tf, Posting.length).where(
        campaign_filter(Posting, campaign_id), Posting.term.in_(sorted(set(terms)))
    )
    return [(row[0], row[1], row[2], row[3]) for row in session.execute(query)]


def document_frequencies(
    session: Session, campaign_id: int, terms: Iterable[str]
) -> dict[str, int]:
    query = (
        select(Posting.term, func.count())
        .where(campaign_filter(Posting, campaign_id), Posting.term.in_(sorted(set(terms))))
        .group_by(Posting.term)
    )
    return {term: int(count) for term, count in session.execute(query)}


def bm25_top(
    session: Session,
    campaign_id: int,
    *,
    weights: dict[str, float],
    average_length: float,
    k1: float,
    b: float,
    limit: int,
) -> list[tuple[int, float]]:
    """Top passages by BM25, summed by the database from the covering index (both backends)."""
    if not weights:
        return []
    weight = case(
        *[(Posting.term == term, literal(value)) for term, value in weights.items()],
        else_=literal(0.0),
    )
    tf = Posting.tf * literal(1.0)
    norm = literal(1 - b) + literal(b / (average_length or 1.0)) * Posting.length
    score = func.sum(weight * tf * literal(k1 + 1) / (tf + literal(k1) * norm)).label("score")
    query = (
        select(Posting.passage_id, score)
        .where(campaign_filter(Posting, campaign_id), Posting.term.in_(sorted(weights)))
        .group_by(Posting.passage_id)
        .order_by(score.desc(), Posting.passage_id)
        .limit(limit)
    )
    return [(int(row[0]), float(row[1])) for row in session.execute(query)]


def matched_terms(
    session: Session, passage_ids: Sequence[int], terms: Iterable[str]
) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    if not passage_ids:
        return found
    query = select(Posting.passage_id, Posting.term).where(
        Posting.passage_id.in_(list(passage_ids)), Posting.term.in_(sorted(set(terms)))
    )
    for passage_id, term in session.execute(query):
        found.setdefault(passage_id, set()).add(term)
    return found


def filtered_passage_ids(
    session: Session,
    ctx: CampaignContext,
    *,
    doc_types: Sequence[str] = (),
    territory: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> set[int]:
    query = (
        select(Passage.id, Document.territory_codes)
        .join(Document, Document.id == Passage.document_id)
        .where(campaign_filter(Passage, ctx))
    )
    if doc_types:
        query = query.where(Document.doc_type.in_(list(doc_types)))
    if since:
        query = query.where(Document.published_on >= since)
    if until:
        query = query.where(Document.published_on <= until)
    return {
        passage_id
        for passage_id, codes in session.execute(query)
        if territory is None or territory in (codes or [])
    }


def passage_rows(
    session: Session, ctx: CampaignContext, passage_ids: Sequence[int]
) -> list[PassageRow]:
    """Passages with their document metadata, in the order of ``passage_ids``."""
    if not passage_ids:
        return []
    query = (
        select(
            Passage.id,
            Document.id,
            Document.title,
            Document.source,
            Document.doc_type,
            Document.published_on,
            Document.territory_codes,
            Passage.heading_path,
            Passage.text,
            Passage.start_offset,
            Passage.end_offset,
        )
        .join(Document, Document.id == Passage.document_id)
        .where(campaign_filter(Passage, ctx), Passage.id.in_(list(passage_ids)))
    )
    found = {
        row[0]: PassageRow(
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            row[5],
            list(row[6] or []),
            row[7],
            row[8],
            row[9],
            row[10],
        )
        for row in session.execute(query)
    }
    return [found[passage_id] for passage_id in passage_ids if passage_id in found]


def get_passage(
    session: Session, ctx: CampaignContext, passage_id: int, *, with_shared: bool = False
) -> tuple[Passage, Document]:
    """A passage of the campaign; with ``with_shared`` (reading a citation), also one of the
    knowledge bases the movement shares down to it (`circo.party.sharing.shared_campaign_ids`,
    the ones `retrieval.search` cites as national) — never a sibling's or a child's."""
    readers: list[CampaignContext | int] = [ctx]
    if with_shared:
        from circo.party.sharing import shared_campaign_ids

        readers += shared_campaign_ids(session, ctx.campaign_id)
    passage = session.scalar(
        select(Passage).where(
            Passage.id == passage_id, or_(*(campaign_filter(Passage, who) for who in readers))
        )
    )
    if passage is None:
        raise DocumentNotFound(f"passage introuvable : n° {passage_id}", loc="passage")
    document = session.get(Document, passage.document_id)
    assert document is not None
    return passage, document


def document_passages(session: Session, ctx: CampaignContext, document_id: int) -> list[Passage]:
    query = ctx.scoped(select(Passage), Passage).where(Passage.document_id == document_id)
    return list(session.scalars(query.order_by(Passage.position)))


def embeddings(session: Session, campaign_id: int) -> list[tuple[int, list[float]]]:
    query = select(Passage.id, Passage.embedding).where(
        campaign_filter(Passage, campaign_id), Passage.embedding.is_not(None)
    )
    return [(row[0], row[1]) for row in session.execute(query) if row[1]]


def passage_fingerprint(session: Session, campaign_id: int) -> tuple[int, int, int]:
    """(passages, highest id, passages with a vector): changes when the index changes, also
    when a job writes the vectors of passages indexed earlier."""
    count, highest, embedded = session.execute(
        select(func.count(Passage.id), func.max(Passage.id), func.count(Passage.embedding)).where(
            campaign_filter(Passage, campaign_id)
        )
    ).one()
    return int(count or 0), int(highest or 0), int(embedded or 0)


# --- places, feeds, leaflets ------------------------------------------------------------------


def list_places(session: Session, ctx: CampaignContext) -> list[Place]:
    return list(session.scalars(ctx.scoped(select(Place), Place).order_by(Place.code)))


def place_by_code(session: Session, ctx: CampaignContext, code: str) -> Place | None:
    return session.scalars(ctx.scoped(select(Place), Place).where(Place.code == code)).first()


def list_feeds(session: Session, ctx: CampaignContext) -> list[Feed]:
    return list(session.scalars(ctx.scoped(select(Feed), Feed).order_by(Feed.id)))


def get_feed(session: Session, ctx: CampaignContext, feed_id: int) -> Feed:
    feed = session.get(Feed, feed_id)
    if feed is None or feed.campaign_id != ctx.campaign_id:
        raise DocumentNotFound(f"flux introuvable : n° {feed_id}", loc="feed")
    return feed


def feed_by_url(session: Session, ctx: CampaignContext, url: str) -> Feed | None:
    return session.scalars(ctx.scoped(select(Feed), Feed).where(Feed.url == url)).first()


def list_leaflets(session: Session, ctx: CampaignContext) -> list[Leaflet]:
    query = ctx.scoped(select(Leaflet), Leaflet).order_by(Leaflet.id.desc())
    return list(session.scalars(query))


def get_leaflet(session: Session, ctx: CampaignContext, leaflet_id: int) -> Leaflet:
    leaflet = session.get(Leaflet, leaflet_id)
    if leaflet is None or leaflet.campaign_id != ctx.campaign_id:
        raise DocumentNotFound(f"tract introuvable : n° {leaflet_id}", loc="leaflet")
    return leaflet
