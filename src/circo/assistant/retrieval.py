"""Retrieval: BM25 over the French-analysed postings, plus dense vectors when an embedder is
configured, fused by reciprocal rank. Filters: document type, territory, date.

BM25 (Robertson/Sparck Jones idf with +1, k1 = 1.2, b = 0.75) is computed in Python from one
covering-index range scan per query, so SQLite and PostgreSQL rank identically.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from sqlalchemy.orm import Session

from circo.assistant import repository
from circo.assistant.analysis import analyse
from circo.assistant.errors import LLMError
from circo.assistant.llm import LLMClient, embedder_configured
from circo.assistant.repository import PassageRow
from circo.config import Settings
from circo.core.models import Campaign, Role
from circo.core.netguard import leave_transaction
from circo.core.tenancy import CampaignContext

K1 = 1.2
B = 0.75
RRF_K = 60
FILTERED_IN_PYTHON = 3000  # a filtered subset up to this size is scored exactly in Python


@dataclass
class Filters:
    doc_types: Sequence[str] = ()
    territory: str | None = None
    since: date | None = None
    until: date | None = None

    @property
    def active(self) -> bool:
        return bool(self.doc_types or self.territory or self.since or self.until)


@dataclass
class Hit:
    row: PassageRow
    score: float
    matched_terms: set[str] = field(default_factory=set)
    coverage: float = 0.0  # share of distinct query terms found in the passage
    national: str | None = None  # the campaign above that shared it (read-only), None: own


def bm25_scores(
    postings: Sequence[tuple[int, str, int, int]],
    *,
    total: int,
    average_length: float,
    query_terms: Sequence[str],
    frequencies: dict[str, int] | None = None,
) -> tuple[dict[int, float], dict[int, set[str]]]:
    """BM25 score and matched terms per passage id from (passage, term, tf, length) postings.

    Document frequencies come from ``frequencies`` when given (whole corpus), else from the
    postings themselves.
    """
    document_frequency: dict[str, int] = dict(frequencies or {})
    if frequencies is None:
        for _passage, term, _tf, _length in postings:
            document_frequency[term] = document_frequency.get(term, 0) + 1
    weights = {term: query_terms.count(term) for term in set(query_terms)}
    idf = {
        term: math.log(1 + (total - count + 0.5) / (count + 0.5))
        for term, count in document_frequency.items()
    }
    average_length = average_length or 1.0
    scores: dict[int, float] = {}
    matched: dict[int, set[str]] = {}
    for passage_id, term, tf, length in postings:
        norm = tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average_length))
        scores[passage_id] = scores.get(passage_id, 0.0) + idf[term] * norm * weights.get(term, 1)
        matched.setdefault(passage_id, set()).add(term)
    return scores, matched


def search(
    session: Session,
    ctx: CampaignContext,
    *,
    query: str,
    limit: int = 10,
    filters: Filters | None = None,
    settings: Settings | None = None,
) -> list[Hit]:
    """Passages ranked for ``query`` (lexical, fused with dense when configured): the
    campaign's own knowledge base and, read-only, the ones the nodes above it in the movement
    share down (`circo.party.sharing.shared_campaign_ids`; their hits carry ``national``)."""
    from circo.party.sharing import shared_campaign_ids

    hits = _search_campaign(
        session, ctx, query=query, limit=limit, filters=filters, settings=settings
    )
    for campaign_id in shared_campaign_ids(session, ctx.campaign_id):
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            continue
        reader = CampaignContext(campaign=campaign, role=Role.volunteer, actor=ctx.actor)
        for hit in _search_campaign(
            session, reader, query=query, limit=limit, filters=filters, settings=settings
        ):
            hit.national = campaign.name
            hits.append(hit)
    if len(hits) > limit or any(hit.national for hit in hits):
        hits.sort(key=lambda hit: (-hit.score, hit.national is not None, hit.row.passage_id))
    return hits[:limit]


def _search_campaign(
    session: Session,
    ctx: CampaignContext,
    *,
    query: str,
    limit: int,
    filters: Filters | None,
    settings: Settings | None,
) -> list[Hit]:
    """One campaign's passages ranked for ``query``."""
    filters = filters or Filters()
    terms = analyse(query)
    allowed = (
        repository.filtered_passage_ids(
            session,
            ctx,
            doc_types=filters.doc_types,
            territory=filters.territory,
            since=filters.since,
            until=filters.until,
        )
        if filters.active
        else None
    )
    lexical = _lexical(session, ctx, terms, allowed, depth=max(limit * 5, 50))
    ranked = sorted(lexical, key=lambda passage_id: (-lexical[passage_id], passage_id))
    if settings is not None and embedder_configured(settings):
        dense = _dense(session, ctx, settings, query, allowed)
        if dense:
            ranked = _fuse([ranked[: max(limit * 5, 50)], dense[: max(limit * 5, 50)]])
    top = ranked[:limit]
    rows = repository.passage_rows(session, ctx, top)
    matched = repository.matched_terms(session, top, terms) if terms else {}
    distinct = max(len(set(terms)), 1)
    return [
        Hit(
            row=row,
            score=lexical.get(row.passage_id, 0.0),
            matched_terms=matched.get(row.passage_id, set()),
            coverage=len(matched.get(row.passage_id, set())) / distinct,
        )
        for row in rows
    ]


def _lexical(
    session: Session,
    ctx: CampaignContext,
    terms: list[str],
    allowed: set[int] | None,
    *,
    depth: int,
) -> dict[int, float]:
    """BM25 scores of the best ``depth`` passages (all allowed passages when filtering)."""
    if not terms:
        return {}
    total, average = repository.corpus_stats(session, ctx.campaign_id)
    frequencies = repository.document_frequencies(session, ctx.campaign_id, terms)
    if allowed is not None and len(allowed) <= FILTERED_IN_PYTHON:
        postings = [
            row
            for row in repository.postings_for(session, ctx.campaign_id, terms)
            if row[0] in allowed
        ]
        scores, _matched = bm25_scores(
            postings,
            total=total,
            average_length=average,
            query_terms=terms,
            frequencies=frequencies,
        )
        return scores
    weights = {
        term: terms.count(term) * math.log(1 + (total - count + 0.5) / (count + 0.5))
        for term, count in frequencies.items()
    }
    wanted = depth if allowed is None else max(depth * 20, 2000)
    ranked = repository.bm25_top(
        session, ctx.campaign_id, weights=weights, average_length=average, k1=K1, b=B, limit=wanted
    )
    return {pid: score for pid, score in ranked if allowed is None or pid in allowed}


def _fuse(rankings: Sequence[Sequence[int]]) -> list[int]:
    """Reciprocal rank fusion: score = Σ 1 / (60 + rank)."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, passage_id in enumerate(ranking, start=1):
            fused[passage_id] = fused.get(passage_id, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(fused, key=lambda passage_id: (-fused[passage_id], passage_id))


# --- dense ------------------------------------------------------------------------------------

_MATRICES: dict[int, tuple[tuple[int, int, int], list[int], np.ndarray]] = {}
_LOCK = threading.Lock()


def _matrix(session: Session, campaign_id: int) -> tuple[list[int], np.ndarray] | None:
    fingerprint = repository.passage_fingerprint(session, campaign_id)
    with _LOCK:
        cached = _MATRICES.get(campaign_id)
        if cached and cached[0] == fingerprint:
            return cached[1], cached[2]
    pairs = repository.embeddings(session, campaign_id)
    if not pairs:
        return None
    ids = [passage_id for passage_id, _vector in pairs]
    raw = np.asarray([vector for _passage_id, vector in pairs], dtype=np.float64)
    norms = np.linalg.norm(raw, axis=1, keepdims=True)
    matrix = (raw / np.where(norms == 0, 1, norms)).astype(np.float32)
    with _LOCK:
        _MATRICES[campaign_id] = (fingerprint, ids, matrix)
    return ids, matrix


def _dense(
    session: Session, ctx: CampaignContext, settings: Settings, query: str, allowed: set[int] | None
) -> list[int]:
    found = _matrix(session, ctx.campaign_id)
    if found is None:
        return []
    ids, matrix = found
    leave_transaction(session)
    try:
        vector = LLMClient(settings).embed([query], model=settings.embeddings_model or "")[0]
    except LLMError:
        return []  # lexical results still answer when the embedder is down
    query_vector = np.asarray(vector, dtype=np.float32)
    if query_vector.shape[0] != matrix.shape[1]:
        return []
    query_vector = query_vector / np.float32(np.linalg.norm(query_vector) or 1.0)
    similarity = matrix @ query_vector
    order = np.argsort(-similarity)
    return [ids[index] for index in order if allowed is None or ids[index] in allowed]
