"""Pydantic shapes of the assistant's JSON API (in and out)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, StringConstraints

from circo.bounds import ReadModel, ShortText

Claim = Annotated[ShortText, StringConstraints(min_length=3, max_length=2000)]


class RebutIn(BaseModel):
    claim: Claim


class LeafletIn(BaseModel):
    territory: Annotated[ShortText, StringConstraints(max_length=100)]
    topic: Annotated[ShortText, StringConstraints(max_length=200)]


class CitationRead(ReadModel):
    document: str
    source: str
    quote: str
    passage_id: int
    document_id: int
    type: str
    heading: str
    date: str | None
    start: int
    end: int


class EvidenceRead(CitationRead):
    stance: str


class PointRead(ReadModel):
    text: str
    kind: str
    label: str
    flagged: bool
    citations: list[CitationRead]


class AnswerRead(ReadModel):
    query: str
    mode: str
    dropped: int
    points: list[PointRead]


class ArgumentSheetRead(ReadModel):
    keyword: str
    mode: str
    proposals: list[PointRead]
    facts: list[PointRead]
    objections: list[PointRead]


class RebuttalRead(ReadModel):
    claim: str
    verdict: str
    evidence: list[EvidenceRead]
    short: str
    long: str
    mode: str


class SearchHitRead(ReadModel):
    passage_id: int
    document_id: int
    document: str
    source: str
    type: str
    date: date | None
    heading: str
    text: str
    score: float


class DocumentRead(ReadModel):
    id: int
    title: str
    type: str
    date: str | None
    territories: list[str]
    source: str
    passages: int
    content_hash: str
    feed_id: int | None


class PassageRead(ReadModel):
    id: int
    heading: str
    start: int
    end: int
    text: str


class DocumentDetail(DocumentRead):
    passages: list[PassageRead]  # type: ignore[assignment]


class AddOutcomeRead(ReadModel):
    source: str
    status: str
    title: str
    document_id: int | None
    passages: int
    error: str | None


class DeletedRead(ReadModel):
    deleted: str  # the title of the deleted document


class PassageContextRead(ReadModel):
    document: DocumentRead
    heading: str
    before: str
    quote: str
    after: str
    passage_id: int


class FeedRead(ReadModel):
    id: int
    url: str
    territory: str | None
    title: str | None
    status: str
    error: str | None
    last_fetched_at: str | None
    items: int


class LeafletRead(ReadModel):
    id: int
    content: dict[str, Any]
    created: date


class WriteIn(BaseModel):
    kind: Literal["post", "video", "email", "door", "phone", "sheet"]
    topic: Annotated[ShortText, StringConstraints(min_length=1, max_length=200)]
    network: Literal["x", "instagram", "facebook", "tiktok", "linkedin"] | None = None


class StudioCitationRead(ReadModel):
    source: str
    quote: str


class WrittenRead(ReadModel):
    """`circo write … --json`: the text, its citations, whether a model wrote it."""

    text: str
    citations: list[StudioCitationRead]
    ai_generated: bool
