"""Pydantic shapes of the organising domain (API in/out)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ContactCreate(BaseModel):
    first_name: str = ""
    last_name: str = ""
    email: str | None = None
    phone: str | None = None
    address_line: str | None = None
    postal_code: str | None = None
    city: str | None = None
    commune_code: str | None = None
    polling_station: str | None = None
    birth_year: int | None = None
    relationship_kind: str = "contact"
    source: str | None = None
    notes: str | None = None
    tags: list[str] = Field(default_factory=list)
    custom: dict[str, Any] = Field(default_factory=dict)


class ContactUpdate(BaseModel):
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    address_line: str | None = None
    postal_code: str | None = None
    city: str | None = None
    commune_code: str | None = None
    polling_station: str | None = None
    birth_year: int | None = None
    relationship_kind: str | None = None
    notes: str | None = None
    custom: dict[str, Any] | None = None


class ContactRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    address_line: str | None
    postal_code: str | None
    city: str | None
    commune_code: str | None
    polling_station: str | None
    household_id: int | None
    relationship_kind: str
    source: str | None
    custom: dict[str, Any]
    created_at: datetime


class InteractionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    summary: str
    actor: str
    at: datetime


class ContactDetail(ContactRead):
    notes: str | None
    tags: list[str]
    timeline: list[InteractionRead]


class SegmentFilter(BaseModel):
    """A saved filter. Every given criterion must hold (AND); lists are alternatives (OR)."""

    model_config = ConfigDict(extra="forbid")

    tags: list[str] = Field(default_factory=list)
    tags_all: bool = False
    commune_codes: list[str] = Field(default_factory=list)
    postal_codes: list[str] = Field(default_factory=list)
    polling_stations: list[str] = Field(default_factory=list)
    consent_channel: str | None = None  # reachable on this channel (privacy.can_contact)
    answers: dict[str, list[str]] = Field(default_factory=dict)  # question → accepted answers
    attended_event_ids: list[int] = Field(default_factory=list)
    relationship_kinds: list[str] = Field(default_factory=list)
    text: str | None = None


class SegmentCreate(BaseModel):
    name: str
    filters: SegmentFilter = Field(default_factory=SegmentFilter)


class SegmentRead(BaseModel):
    id: int
    name: str
    filters: dict[str, Any]
    size: int


class EventCreate(BaseModel):
    kind: str = "meeting"
    title: str
    starts_at: datetime
    ends_at: datetime | None = None
    place: str = ""
    capacity: int | None = None
    description: str = ""
    reminder_hours: int = 24


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime | None
    place: str
    capacity: int | None
    description: str


class VolunteerCreate(BaseModel):
    email: str
    display_name: str = ""
    phone: str | None = None
    skills: list[str] = Field(default_factory=list)
    availability: dict[str, Any] = Field(default_factory=dict)
    home_commune: str | None = None
    lat: float | None = None
    lon: float | None = None


class VolunteerRead(BaseModel):
    id: int
    user_id: int
    email: str
    display_name: str
    skills: list[str]
    availability: dict[str, Any]
    home_commune: str | None
    onboarding: dict[str, Any]
    status: str
    teams: list[str]
