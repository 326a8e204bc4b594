"""Pydantic shapes of the organising domain (API in/out)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from circo.bounds import (
    FiniteFloat,
    Id,
    JsonObject,
    LongText,
    SaneDatetime,
    ShortText,
    Year,
)

# Text bounded by its column (VARCHAR(n) on PostgreSQL); normalisation may shorten it further.
Name = Annotated[ShortText, StringConstraints(max_length=200)]
Email = Annotated[ShortText, StringConstraints(max_length=320)]
Phone = Annotated[ShortText, StringConstraints(max_length=32)]
AddressLine = Annotated[ShortText, StringConstraints(max_length=300)]
PostalCode = Annotated[ShortText, StringConstraints(max_length=10)]
CommuneCode = Annotated[ShortText, StringConstraints(max_length=5)]
Code = Annotated[ShortText, StringConstraints(max_length=32)]
TagName = Annotated[ShortText, StringConstraints(max_length=100)]
MAX_LIST = 1000  # items of a list in a body (tags, codes, ids…)


class ContactCreate(BaseModel):
    first_name: Name = ""
    last_name: Name = ""
    email: Email | None = None
    phone: Phone | None = None
    address_line: AddressLine | None = None
    postal_code: PostalCode | None = None
    city: Name | None = None
    commune_code: CommuneCode | None = None
    polling_station: Code | None = None
    birth_year: Year | None = None
    relationship_kind: Code = "contact"
    source: Name | None = None
    notes: LongText | None = None
    tags: list[TagName] = Field(default_factory=list, max_length=MAX_LIST)
    custom: JsonObject = Field(default_factory=dict)


class ContactUpdate(BaseModel):
    """Only the fields given change; ``null`` empties a field that may be empty."""

    first_name: Name | None = None
    last_name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    address_line: AddressLine | None = None
    postal_code: PostalCode | None = None
    city: Name | None = None
    commune_code: CommuneCode | None = None
    polling_station: Code | None = None
    birth_year: Year | None = None
    relationship_kind: Code | None = None
    notes: LongText | None = None
    custom: JsonObject | None = None

    @field_validator("first_name", "last_name", "relationship_kind", "custom")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError('ne peut pas être null (donnez une valeur, par exemple "")')
        return value


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

    tags: list[ShortText] = Field(default_factory=list, max_length=MAX_LIST)
    tags_all: bool = False
    commune_codes: list[ShortText] = Field(default_factory=list, max_length=MAX_LIST)
    postal_codes: list[ShortText] = Field(default_factory=list, max_length=MAX_LIST)
    polling_stations: list[ShortText] = Field(default_factory=list, max_length=MAX_LIST)
    consent_channel: ShortText | None = None  # reachable on this channel (privacy.can_contact)
    # question → accepted answers
    answers: dict[ShortText, list[ShortText]] = Field(default_factory=dict, max_length=MAX_LIST)
    attended_event_ids: list[Id] = Field(default_factory=list, max_length=MAX_LIST)
    relationship_kinds: list[ShortText] = Field(default_factory=list, max_length=MAX_LIST)
    text: ShortText | None = None


class SegmentCreate(BaseModel):
    name: Name
    filters: SegmentFilter = Field(default_factory=SegmentFilter)


class SegmentRead(BaseModel):
    id: int
    name: str
    filters: dict[str, Any]
    size: int


class EventCreate(BaseModel):
    kind: Annotated[ShortText, StringConstraints(max_length=16)] = "meeting"
    title: Name
    starts_at: SaneDatetime
    ends_at: SaneDatetime | None = None
    place: AddressLine = ""
    capacity: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    description: LongText = ""
    reminder_hours: Annotated[int, Field(ge=0, le=24 * 366)] = 24  # up to a year before


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
    email: Email
    display_name: Name = ""
    phone: Phone | None = None
    skills: list[TagName] = Field(default_factory=list, max_length=MAX_LIST)
    availability: JsonObject = Field(default_factory=dict)
    home_commune: CommuneCode | None = None
    lat: Annotated[FiniteFloat, Field(ge=-90, le=90)] | None = None
    lon: Annotated[FiniteFloat, Field(ge=-180, le=180)] | None = None


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


class Created(BaseModel):
    id: int


class AttendeeRead(BaseModel):
    contact_id: int
    first_name: str
    last_name: str
    status: str
    checked_in: bool


class CheckinRead(BaseModel):
    contact_id: int
    checked_in_at: datetime | None


class InviteReportRead(BaseModel):
    invited: int
    already_invited: int
    skipped_no_consent: int


class DecisionRead(BaseModel):
    allowed: bool
    basis: str | None
    reason: str
    consent_id: int | None
