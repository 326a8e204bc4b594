"""Request and response models of the automations API and CLI."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from circo.bounds import Id, LongText, ReadModel, ShortText

Action = Literal["send_message", "add_tag", "assign"]


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Action
    delay_days: int = Field(0, ge=0, le=365)
    channel: Literal["email", "sms"] = "email"
    subject: Annotated[ShortText, Field(max_length=300)] = ""
    body: LongText = ""
    tag: Annotated[ShortText, Field(max_length=100)] = ""
    organiser: Annotated[ShortText, Field(max_length=320)] = ""  # the organiser's email


class AutomationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[ShortText, Field(min_length=1, max_length=200)]
    trigger: Literal["segment", "form", "event"]
    segment: Annotated[ShortText, Field(max_length=200)] = ""
    form_id: Id | None = None
    event_id: Id | None = None
    steps: list[StepIn] = Field(min_length=1, max_length=20)


class AutomationCreated(ReadModel):
    id: int
    name: str
    steps: int
    baseline: int  # segment members at creation (not enrolled)


class RunDue(ReadModel):
    enrolled: int
    done: int
    skipped: int
    paused: int
