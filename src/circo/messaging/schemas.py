"""Pydantic shapes of the messaging JSON API (responses; requests are in `routes`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from circo.bounds import ReadModel


class VariantRead(ReadModel):
    variant: int
    subject: str
    sent: int
    tracked: int
    opened: int
    clicked: int


class EngagementRead(ReadModel):
    tracked: int
    opened: int
    clicked: int


class OutcomeRead(ReadModel):
    campaign: int
    recipients: int
    sent: int
    skipped_no_consent: int
    skipped_opposed: int
    failed: int


class MessageRead(ReadModel):
    id: int
    channel: str
    segment: str
    subject: str
    status: str
    point_id: int | None
    created_at: datetime
    stats: dict[str, int]
    engagement: EngagementRead
    outcome: OutcomeRead
    ab: list[VariantRead]
    ab_winner: int | None


class WinnerRead(MessageRead):
    winner: int | None


class PointRead(ReadModel):
    id: int
    title: str
    summary: str
    passage_ids: list[int]


class MatrixRowRead(ReadModel):
    segment: str
    size: int
    reachable: dict[str, int]
    points: list[int]


class MatrixRead(ReadModel):
    points: list[PointRead]
    segments: list[MatrixRowRead]


class PointCreated(ReadModel):
    id: int
    title: str
    segments: list[str]


class CellRead(ReadModel):
    segment: str
    point_id: int
    on: bool


class PreviewRead(ReadModel):
    reachable: int
    contact_id: int | None
    subject: str
    text: str
    html: str | None


class DeliveryRead(ReadModel):
    contact_id: int
    status: str
    reason: str | None
    variant: int | None
    basis: str | None
    proof: dict[str, Any]
    attempts: int
    sent_at: datetime | None
    opened_at: datetime | None
    clicked_at: datetime | None


class InboundRead(ReadModel):
    stop: bool
    contacts: int
