"""Pydantic shapes of the privacy JSON API (in and out)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from circo.bounds import Id, JsonObject, ReadModel, ShortText


class ConsentIn(BaseModel):
    contact_id: Id
    channel: Annotated[ShortText, StringConstraints(max_length=32)]
    status: Annotated[ShortText, StringConstraints(max_length=32)]
    source: Annotated[ShortText, StringConstraints(max_length=200)] | None = None
    proof: JsonObject | None = None


class ConsentRead(ReadModel):
    id: int
    channel: str
    status: str


class CalendarRead(ReadModel):
    allowed: bool
    rule: str | None
    reason: str
    warning: str | None
    until: datetime | None


class RightsRequestRead(ReadModel):
    id: int
    kind: str
    status: str
    channel: str | None
    received_at: datetime
    due_at: datetime | None
    overdue: bool


class ProcessingRead(ReadModel):
    controller: str
    purpose: str
    code: str
    legal_basis: str
    description: str
    data_categories: list[str]
    data_subjects: list[str]
    recipients: list[str]
    retention: str
    sensitive: bool
    transfers_outside_eu: str
    security: str


class RetentionItemRead(ReadModel):
    policy: str
    label: str
    count: int
    detail: list[str]


class RetentionRead(ReadModel):
    applied: bool
    items: list[RetentionItemRead]
    total: int


class PersonIn(BaseModel):
    """Who a right of the person is about: an email and/or a phone."""

    email: Annotated[ShortText, StringConstraints(max_length=320)] | None = None
    phone: Annotated[ShortText, StringConstraints(max_length=40)] | None = None


class ErasureRead(ReadModel):
    """What an erasure removed, table by table, and the request that logs it."""

    contacts: int
    records: dict[str, int]
    scrubbed: dict[str, int]
    files_deleted: list[str]
    files_rewritten: list[str]
    request_id: int | None
    # table → why the law keeps its rows (donations: L52-12)
    kept: dict[str, str] = Field(default_factory=dict)


class AccessQueryRead(ReadModel):
    email: str | None
    phone: str | None


class AccessCampaignRead(ReadModel):
    slug: str
    name: str


class AccessRead(BaseModel):
    """The right-of-access file: the fixed keys below, then one key per domain holding personal
    data (its own tables, `circo.core.personal`)."""

    model_config = ConfigDict(extra="allow")

    campaign: AccessCampaignRead
    generated_at: str
    query: AccessQueryRead
    contacts: list[dict[str, Any]]
    other_records: dict[str, list[dict[str, Any]]]
