"""Tables of the assistant: documents, passages, the lexical index, places, feeds, leaflets.

Every table carries ``campaign_id``. The lexical index is our own: one posting per (passage,
analysed term) with its term frequency and the passage length, so BM25 runs the same way on
SQLite and PostgreSQL from one covering index.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from circo.db import Base, UTCDateTime, str_enum, utcnow


class DocType(enum.StrEnum):
    programme = "programme"
    study = "study"
    article = "article"
    poll = "poll"
    news = "news"
    rebuttal = "rebuttal"


class FeedStatus(enum.StrEnum):
    new = "new"  # never fetched
    ok = "ok"
    error = "error"  # last fetch failed (``last_error``)


class Document(Base):
    """One source of the knowledge base; ``text`` is the extracted text passages point into."""

    __tablename__ = "assistant_documents"
    __table_args__ = (
        Index("ix_assistant_documents_campaign_source", "campaign_id", "source"),
        Index("ix_assistant_documents_campaign_hash", "campaign_id", "content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    doc_type: Mapped[str] = mapped_column(
        str_enum(DocType, name="doc_type", length=16), default=DocType.article
    )
    published_on: Mapped[date | None] = mapped_column(Date)
    territory_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(2000))
    content_hash: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    passage_count: Mapped[int] = mapped_column(Integer, default=0)
    feed_id: Mapped[int | None] = mapped_column(
        ForeignKey("assistant_feeds.id", ondelete="SET NULL"), index=True
    )
    external_id: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Passage(Base):
    """A span ``document.text[start_offset:end_offset]`` under a heading path."""

    __tablename__ = "assistant_passages"
    __table_args__ = (Index("ix_assistant_passages_campaign_length", "campaign_id", "token_count"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    document_id: Mapped[int] = mapped_column(
        ForeignKey("assistant_documents.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    heading_path: Mapped[str] = mapped_column(String(1000), default="")
    text: Mapped[str] = mapped_column(Text)
    start_offset: Mapped[int] = mapped_column(Integer)
    end_offset: Mapped[int] = mapped_column(Integer)
    token_count: Mapped[int] = mapped_column(Integer)
    embedding: Mapped[list[float] | None] = mapped_column(JSON)


class Posting(Base):
    """Term frequency of one analysed term in one passage (with the passage length, for BM25)."""

    __tablename__ = "assistant_postings"
    __table_args__ = (
        Index("ix_assistant_postings_lookup", "campaign_id", "term", "passage_id", "tf", "length"),
    )

    passage_id: Mapped[int] = mapped_column(
        ForeignKey("assistant_passages.id", ondelete="CASCADE"), primary_key=True
    )
    term: Mapped[str] = mapped_column(String(64), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    tf: Mapped[int] = mapped_column(Integer)
    length: Mapped[int] = mapped_column(Integer)


class Place(Base):
    """A commune (or other territory) of the campaign, used to match news items."""

    __tablename__ = "assistant_places"
    __table_args__ = (
        Index("uq_assistant_places_campaign_code", "campaign_id", "code", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)


class Feed(Base):
    """An RSS/Atom feed of local news for one territory."""

    __tablename__ = "assistant_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    territory_code: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(
        str_enum(FeedStatus, name="status", length=16), default=FeedStatus.new
    )
    last_error: Mapped[str | None] = mapped_column(Text)
    last_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    items_total: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Leaflet(Base):
    """A leaflet draft: structured content the comms team edits before export."""

    __tablename__ = "assistant_leaflets"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    territory: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(200))
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Verdict(enum.StrEnum):
    contradicted = "contradicted"
    supported = "supported"
    unverified = "unverified"


class RiposteStatus(enum.StrEnum):
    draft = "draft"  # written from a rebuttal, editable by the comms team
    approved = "approved"  # pushed to the volunteers (app + e-mail to those who may be mailed)


class Riposte(Base):
    """A rebuttal kept as the campaign's riposte: approved by comms, then pushed to volunteers.

    Views and shares are counted per riposte (numbers only: nothing about who viewed).
    """

    __tablename__ = "assistant_ripostes"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    claim: Mapped[str] = mapped_column(String(500))
    verdict: Mapped[str] = mapped_column(str_enum(Verdict, name="verdict", length=16))
    short: Mapped[str] = mapped_column(Text, default="")
    long: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(
        str_enum(RiposteStatus, name="status", length=16), default=RiposteStatus.draft
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    views: Mapped[int] = mapped_column(Integer, default=0)
    shares: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    mailed: Mapped[int] = mapped_column(Integer, default=0)


class DraftKind(enum.StrEnum):
    post = "post"  # a social post for one network (limits in circo.assistant.studio)
    video = "video"  # a video script: scenes, durations, voice-over, captions, b-roll
    email = "email"  # an e-mail draft
    door = "door"  # a door-to-door script
    phone = "phone"  # a phone script
    sheet = "sheet"  # a technical sheet (fiche technique) on a topic
    strategy = "strategy"  # a communication-strategy note for a territory (its sheet)
    training = "training"  # an activist course with a quiz (a topic, or a rule of the field)
    slogan = "slogan"  # several short slogans, each with its angle and its cited passage


class Network(enum.StrEnum):
    x = "x"
    instagram = "instagram"
    facebook = "facebook"
    tiktok = "tiktok"
    linkedin = "linkedin"


class DraftStatus(enum.StrEnum):
    draft = "draft"
    approved = "approved"  # by the comms role
    published = "published"


class StudioDraft(Base):
    """A text of the studio: cited, editable, approved by comms, placed in the calendar."""

    __tablename__ = "assistant_studio_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(str_enum(DraftKind, name="kind", length=16))
    network: Mapped[str | None] = mapped_column(str_enum(Network, name="network", length=16))
    topic: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text, default="")
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    ai_generated: Mapped[bool] = mapped_column(default=False)
    paid: Mapped[bool] = mapped_column(default=False)  # sponsored: L52-1 applies
    status: Mapped[str] = mapped_column(
        str_enum(DraftStatus, name="status", length=16), default=DraftStatus.draft
    )
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
