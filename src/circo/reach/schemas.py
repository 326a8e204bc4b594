"""Request and response bodies of the reach API (`/api/campaigns/{slug}/calls…`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from circo.bounds import Count, Id, LongText, ReadModel, SaneDatetime, ShortText

OutcomeText = Literal["reached", "voicemail", "wrong_number", "refused", "callback", "opposed"]


class CallListIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    segment: ShortText = Field(min_length=1, max_length=200)
    name: ShortText = Field(default="", max_length=200)
    script: LongText = ""
    questions: list[ShortText] = Field(default_factory=list, max_length=20)
    batch_size: int = Field(default=20, ge=1, le=100)


class ExcludedRead(ReadModel):
    no_basis: Count
    opposed: Count


class CallListCreated(ReadModel):
    list: Id
    contacts: Count
    excluded: ExcludedRead


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: OutcomeText
    answers: dict[ShortText, ShortText] = Field(default_factory=dict, max_length=20)
    callback_at: SaneDatetime | None = None
    note: ShortText = ""


class OutcomeRead(ReadModel):
    list: Id
    contact: Id
    outcome: OutcomeText
    status: Literal["pending", "assigned", "done", "excluded"]


class BatchEntryRead(ReadModel):
    contact: Id
    name: str
    phone: str | None
    tel: str | None
    callback_at: str | None


BatchEntries = list[BatchEntryRead]


class BatchRead(ReadModel):
    list: Id
    entries: BatchEntries


class ProgressRead(ReadModel):
    list: Id
    name: str
    total: Count
    called: Count
    reached: Count
    remaining: Count
    reach_rate: float
    by_status: dict[str, int]
    by_outcome: dict[str, int]
    answers: dict[str, dict[str, int]]


FormKindText = Literal["signup", "volunteer", "petition", "event", "procuration_offer"]


class FormIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: FormKindText
    name: ShortText = Field(min_length=1, max_length=200)
    wording: LongText = ""
    event_id: Id | None = None  # the crm event of an event form


class FormCreated(ReadModel):
    id: Id
    url: str


class TextCampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    segment: ShortText = Field(min_length=1, max_length=200)
    template: LongText = Field(min_length=1, max_length=640)
    name: ShortText = Field(default="", max_length=200)


class TextCampaignCreated(ReadModel):
    campaign: Id
    contacts: Count
    excluded: ExcludedRead


class TextSentRead(ReadModel):
    entry: Id
    contact: Id
    status: str
    text: str


class SendNextRead(ReadModel):
    campaign: Id
    sent: TextSentRead | None
    skipped: Count
    remaining: Count


class InboundRead(ReadModel):
    message: Id
    stop: bool
    contacts: Count
    acknowledged: bool


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: LongText = Field(min_length=1, max_length=640)
