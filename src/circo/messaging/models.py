"""Tables of the messaging domain: programme points, the message matrix, message campaigns
(one send of one message on one channel) and the delivery log (one row per recipient).

The delivery row is the idempotency key of a send: ``(message_id, contact_id)`` is unique and
its ``status`` follows ``queued → sending → sent`` (or ``failed`` / ``uncertain`` /
``cancelled``); see `circo.messaging.delivery` for the at-most-once rule.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from circo.db import Base, UTCDateTime, str_enum, utcnow

CAMPAIGN_FK = "campaigns.id"


class Channel(enum.StrEnum):
    email = "email"
    sms = "sms"


class MessageStatus(enum.StrEnum):
    draft = "draft"
    testing = "testing"  # A/B sample sent, winner pending
    queued = "queued"
    sending = "sending"
    done = "done"
    failed = "failed"
    cancelled = "cancelled"


class AbMetric(enum.StrEnum):
    opens = "opens"
    clicks = "clicks"
    fixed = "fixed"


class DeliveryStatus(enum.StrEnum):
    held = "held"  # A/B remainder waiting for the winner
    queued = "queued"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    uncertain = "uncertain"  # interrupted between hand-over and commit: never re-sent
    cancelled = "cancelled"  # opposition or unsubscribe after queueing
    skipped_no_consent = "skipped_no_consent"
    skipped_opposed = "skipped_opposed"


class ProgrammePoint(Base):
    """One point of the programme, optionally linked to knowledge-base passages."""

    __tablename__ = "msg_programme_points"
    __table_args__ = (Index("ix_msg_programme_points_title", "campaign_id", "title", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey(CAMPAIGN_FK, ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    passage_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MatrixCell(Base):
    """ "This segment gets this programme point" (the segment is a crm segment name or "all")."""

    __tablename__ = "msg_matrix_cells"
    __table_args__ = (
        Index("ix_msg_matrix_cells_pair", "campaign_id", "segment_name", "point_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey(CAMPAIGN_FK, ondelete="CASCADE"), index=True
    )
    segment_name: Mapped[str] = mapped_column(String(200))
    point_id: Mapped[int] = mapped_column(
        ForeignKey("msg_programme_points.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MessageCampaign(Base):
    """One message sent on one channel to one segment. ``status``: draft, testing (A/B sample
    sent, winner pending), queued, sending, done, failed, cancelled. ``content_key`` makes the
    same send command resume the same message instead of sending it again."""

    __tablename__ = "msg_campaigns"
    __table_args__ = (Index("ix_msg_campaigns_content", "campaign_id", "content_key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey(CAMPAIGN_FK, ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(str_enum(Channel, name="channel", length=16))
    segment_name: Mapped[str] = mapped_column(String(200), default="all")
    point_id: Mapped[int | None] = mapped_column(
        ForeignKey("msg_programme_points.id", ondelete="SET NULL")
    )
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    content_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(
        str_enum(MessageStatus, name="status", length=16), default=MessageStatus.draft
    )
    track: Mapped[bool] = mapped_column(Boolean, default=False)
    rate_per_second: Mapped[float] = mapped_column(Float, default=0.0)  # 0: no throttling
    subject_variants: Mapped[list[str]] = mapped_column(JSON, default=list)  # A/B subjects
    ab_sample_fraction: Mapped[float] = mapped_column(Float, default=0.0)
    ab_metric: Mapped[str] = mapped_column(
        str_enum(AbMetric, name="ab_metric", length=16), default=AbMetric.opens
    )
    ab_fallback_variant: Mapped[int] = mapped_column(Integer, default=0)
    ab_winner: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(320), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Delivery(Base):
    """One recipient of one message: the delivery log and the proof of the legal basis used.

    ``status``: held (A/B remainder waiting for the winner), queued, sending, sent, failed,
    uncertain (interrupted between hand-over and commit: never re-sent), cancelled (opposition
    or unsubscribe after queueing), skipped_no_consent, skipped_opposed."""

    __tablename__ = "msg_deliveries"
    __table_args__ = (
        Index("uq_msg_deliveries_message_contact", "message_id", "contact_id", unique=True),
        Index("ix_msg_deliveries_status", "message_id", "status"),
        Index("ix_msg_deliveries_contact", "campaign_id", "contact_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey(CAMPAIGN_FK, ondelete="CASCADE"))
    message_id: Mapped[int] = mapped_column(ForeignKey("msg_campaigns.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("crm_contacts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(str_enum(Channel, name="channel", length=16))
    status: Mapped[str] = mapped_column(
        str_enum(DeliveryStatus, name="status", length=24), default=DeliveryStatus.queued
    )
    variant: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    basis: Mapped[str | None] = mapped_column(String(32))  # consent, legitimate_interest
    proof: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # consent id, reason, at
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_id: Mapped[str | None] = mapped_column(String(200))
    tracked: Mapped[bool] = mapped_column(Boolean, default=False)  # opens/clicks, with consent
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sending_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
