"""Tables of the privacy domain: processing purposes, consent and opposition records,
suppression list (hashes only), rights requests."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from circo.db import Base, UTCDateTime, str_enum, utcnow


class Channel(enum.StrEnum):
    """A way of reaching a person."""

    email = "email"
    sms = "sms"
    phone = "phone"
    post = "post"
    automated_call = "automated_call"


class ConsentChannel(enum.StrEnum):
    """What a consent record is about: a channel, or keeping political opinions (GDPR art. 9)."""

    email = "email"
    sms = "sms"
    phone = "phone"
    post = "post"
    automated_call = "automated_call"
    political_opinions = "political_opinions"


class OppositionChannel(enum.StrEnum):
    all = "all"
    email = "email"
    sms = "sms"
    phone = "phone"
    post = "post"
    automated_call = "automated_call"


class ConsentStatus(enum.StrEnum):
    granted = "granted"
    refused = "refused"
    withdrawn = "withdrawn"


class SuppressionKind(enum.StrEnum):
    email = "email"
    phone = "phone"


class RequestKind(enum.StrEnum):
    access = "access"
    rectification = "rectification"
    erasure = "erasure"
    opposition = "opposition"


class RequestStatus(enum.StrEnum):
    unverified = "unverified"  # self-service request whose email is not confirmed yet
    open = "open"
    done = "done"
    rejected = "rejected"


class RequestChannel(enum.StrEnum):
    staff = "staff"
    self_service = "self_service"
    cli = "cli"
    api = "api"


class Purpose(Base):
    """A processing purpose with its legal basis: the registre des traitements is built from it."""

    __tablename__ = "privacy_purposes"
    __table_args__ = (Index("ix_privacy_purposes_code", "campaign_id", "code", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    legal_basis: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text, default="")
    data_categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    data_subjects: Mapped[list[str]] = mapped_column(JSON, default=list)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    retention: Mapped[str] = mapped_column(String(300), default="")
    sensitive: Mapped[bool] = mapped_column(default=False)


class ConsentRecord(Base):
    """Consent per channel, append-only: the newest record of a (contact, channel) wins."""

    __tablename__ = "privacy_consents"
    __table_args__ = (Index("ix_privacy_consents_contact", "contact_id", "channel", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int] = mapped_column(ForeignKey("crm_contacts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(str_enum(ConsentChannel, name="channel", length=32))
    status: Mapped[str] = mapped_column(str_enum(ConsentStatus, name="status", length=16))
    source: Mapped[str] = mapped_column(String(200))
    proof: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actor: Mapped[str] = mapped_column(String(320), default="system")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Opposition(Base):
    """The person objects (to everything, ``channel='all'``, or to one channel)."""

    __tablename__ = "privacy_oppositions"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("crm_contacts.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(
        str_enum(OppositionChannel, name="channel", length=32), default=OppositionChannel.all
    )
    source: Mapped[str] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(320), default="system")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Suppression(Base):
    """Keyed hash of an email or phone that must never be contacted again (after an erasure or
    an opposition): lets a re-import be refused without keeping the value itself."""

    __tablename__ = "privacy_suppressions"
    __table_args__ = (
        Index("ix_privacy_suppressions_hash", "campaign_id", "value_hash", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(str_enum(SuppressionKind, name="kind", length=16))
    value_hash: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(32))  # erasure, opposition
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RightsRequest(Base):
    """A data-subject request (access, rectification, erasure, opposition) with its deadline.

    ``requester`` holds the email the request came from until the request is closed; it is
    replaced by a hash when the request is done (and at once for an erasure)."""

    __tablename__ = "privacy_rights_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(str_enum(RequestKind, name="kind", length=16))
    status: Mapped[str] = mapped_column(
        str_enum(RequestStatus, name="status", length=16), default=RequestStatus.open
    )
    channel: Mapped[str] = mapped_column(
        str_enum(RequestChannel, name="channel", length=16), default=RequestChannel.staff
    )
    requester: Mapped[str | None] = mapped_column(String(320))
    requester_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_contacts.id", ondelete="SET NULL"), index=True
    )
    details: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
