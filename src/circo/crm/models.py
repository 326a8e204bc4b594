"""Tables of the organising domain: contacts, households, tags, custom fields, interactions,
segments, imports, electoral rolls (L37) and émargement lists (L68), offline geocoding,
volunteers, teams and events. Every table about people carries ``campaign_id``.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from circo.db import Base, UTCDateTime, campaign_id_column, str_enum, utcnow


class RelationshipKind(enum.StrEnum):
    contact = "contact"
    supporter = "supporter"
    member = "member"
    volunteer = "volunteer"
    donor = "donor"
    press = "press"
    elected = "elected"


class CustomFieldKind(enum.StrEnum):
    text = "text"
    number = "number"
    date = "date"
    choice = "choice"


class DuplicateStatus(enum.StrEnum):
    open = "open"
    dismissed = "dismissed"


class RollKind(enum.StrEnum):
    roll = "roll"  # liste électorale, Code électoral L37
    emargement = "emargement"  # liste d'émargement, L68


class VolunteerStatus(enum.StrEnum):
    invited = "invited"
    active = "active"
    paused = "paused"


class EventKind(enum.StrEnum):
    meeting = "meeting"
    canvassing = "canvassing"
    training = "training"


class AttendeeStatus(enum.StrEnum):
    invited = "invited"
    yes = "yes"
    no = "no"
    maybe = "maybe"


class Household(Base):
    """People living at the same normalised address."""

    __tablename__ = "crm_households"
    __table_args__ = (Index("ix_crm_households_key", "campaign_id", "address_key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    address_key: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Contact(Base):
    """A person known to the campaign. ``search_name``/``search_name_rev`` are the normalised
    forms ("dupont jean" / "jean dupont") used by the name search; ``name_key`` blocks the
    duplicate detection."""

    __tablename__ = "crm_contacts"
    __table_args__ = (
        Index("ix_crm_contacts_email", "campaign_id", "email"),
        Index("ix_crm_contacts_phone", "campaign_id", "phone"),
        Index("ix_crm_contacts_search_name", "campaign_id", "search_name"),
        Index("ix_crm_contacts_search_name_rev", "campaign_id", "search_name_rev"),
        Index("ix_crm_contacts_station", "campaign_id", "polling_station"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    first_name: Mapped[str] = mapped_column(String(200), default="")
    last_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    other_emails: Mapped[list[str]] = mapped_column(JSON, default=list)
    other_phones: Mapped[list[str]] = mapped_column(JSON, default=list)
    address_line: Mapped[str | None] = mapped_column(String(300))
    postal_code: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str | None] = mapped_column(String(200))
    commune_code: Mapped[str | None] = mapped_column(String(5), index=True)
    polling_station: Mapped[str | None] = mapped_column(String(32))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    geocode_score: Mapped[float | None] = mapped_column(Float)
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_households.id", ondelete="SET NULL"), index=True
    )
    birth_year: Mapped[int | None] = mapped_column(Integer)
    relationship_kind: Mapped[str] = mapped_column(
        str_enum(RelationshipKind, name="relationship_kind", length=32),
        default=RelationshipKind.contact,
    )
    source: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    custom: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    search_name: Mapped[str] = mapped_column(String(400), default="")
    search_name_rev: Mapped[str] = mapped_column(String(400), default="")
    name_key: Mapped[str] = mapped_column(String(64), default="", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Tag(Base):
    __tablename__ = "crm_tags"
    __table_args__ = (Index("ix_crm_tags_name", "campaign_id", "name", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    name: Mapped[str] = mapped_column(String(100))


class ContactTag(Base):
    __tablename__ = "crm_contact_tags"

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("crm_contacts.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        ForeignKey("crm_tags.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    campaign_id: Mapped[int] = campaign_id_column()


class CustomField(Base):
    """A field a campaign adds to its contacts (``Contact.custom[key]``)."""

    __tablename__ = "crm_custom_fields"
    __table_args__ = (Index("ix_crm_custom_fields_key", "campaign_id", "key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(
        str_enum(CustomFieldKind, name="kind", length=16), default=CustomFieldKind.text
    )
    choices: Mapped[list[str]] = mapped_column(JSON, default=list)


class Interaction(Base):
    """One line of a contact's timeline: import, edit, visit, message, event, note, merge…"""

    __tablename__ = "crm_interactions"
    __table_args__ = (Index("ix_crm_interactions_contact", "contact_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    contact_id: Mapped[int] = mapped_column(ForeignKey("crm_contacts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actor: Mapped[str] = mapped_column(String(320), default="system")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContactAnswer(Base):
    """An answer attached to a person (door questionnaire, form). Sensitive answers (political
    opinions, GDPR art. 9) exist only with the person's explicit consent recorded."""

    __tablename__ = "crm_contact_answers"
    __table_args__ = (Index("ix_crm_contact_answers_q", "campaign_id", "question", "answer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("crm_contacts.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str] = mapped_column(String(200))
    answer: Mapped[str] = mapped_column(String(500))
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str | None] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Segment(Base):
    """A saved filter over contacts (see `circo.crm.segments.SegmentFilter`)."""

    __tablename__ = "crm_segments"
    __table_args__ = (Index("ix_crm_segments_name", "campaign_id", "name", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    name: Mapped[str] = mapped_column(String(200))
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImportBatch(Base):
    """One import of a contacts file: its mapping and its outcome (no personal data)."""

    __tablename__ = "crm_import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    filename: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    actor: Mapped[str] = mapped_column(String(320), default="system")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DuplicatePair(Base):
    """Two contacts that may be the same person, found by `circo.crm.dedup`."""

    __tablename__ = "crm_duplicate_pairs"
    __table_args__ = (
        Index("ix_crm_duplicate_pairs_pair", "campaign_id", "contact_a", "contact_b", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    contact_a: Mapped[int] = mapped_column(ForeignKey("crm_contacts.id", ondelete="CASCADE"))
    contact_b: Mapped[int] = mapped_column(
        ForeignKey("crm_contacts.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(32))  # email, phone, name_address
    score: Mapped[float] = mapped_column(Float, default=100.0)
    status: Mapped[str] = mapped_column(
        str_enum(DuplicateStatus, name="status", length=16), default=DuplicateStatus.open
    )


# --- electoral roll (L37) and émargement (L68) ---------------------------------------------


class ElectoralRoll(Base):
    """A copy of the electoral roll (kind ``roll``, Code électoral L37) or an émargement list
    (kind ``emargement``, L68): purpose, election and purge date are mandatory."""

    __tablename__ = "crm_electoral_rolls"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    kind: Mapped[str] = mapped_column(str_enum(RollKind, name="kind", length=16))
    purpose: Mapped[str] = mapped_column(String(200))
    election_label: Mapped[str] = mapped_column(String(200))
    election_date: Mapped[date] = mapped_column(Date)
    round_number: Mapped[int | None] = mapped_column(Integer)
    obtained_from: Mapped[str | None] = mapped_column(String(200))
    purge_after: Mapped[date] = mapped_column(Date)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RollEntry(Base):
    """An elector on an imported roll. Never selectable by name or place of birth."""

    __tablename__ = "crm_roll_entries"
    __table_args__ = (Index("ix_crm_roll_entries_roll", "roll_id", "polling_station"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    roll_id: Mapped[int] = mapped_column(ForeignKey("crm_electoral_rolls.id", ondelete="CASCADE"))
    last_name: Mapped[str] = mapped_column(String(200))
    first_names: Mapped[str] = mapped_column(String(200), default="")
    sex: Mapped[str | None] = mapped_column(String(1))
    birth_date: Mapped[date | None] = mapped_column(Date)
    birth_place: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    commune_code: Mapped[str | None] = mapped_column(String(5))
    polling_station: Mapped[str | None] = mapped_column(String(32))
    voted: Mapped[bool | None] = mapped_column(Boolean)


# --- offline geocoding ----------------------------------------------------------------------


class GeoAddress(Base):
    """A BAN address point (public open data, no person): the offline geocoder's reference."""

    __tablename__ = "crm_geo_addresses"
    __table_args__ = (Index("ix_crm_geo_addresses_key", "postal_code", "street_key", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_code: Mapped[str] = mapped_column(String(5), index=True)
    postal_code: Mapped[str] = mapped_column(String(5))
    street_key: Mapped[str] = mapped_column(String(200))
    number: Mapped[str] = mapped_column(String(16), default="")
    label: Mapped[str] = mapped_column(String(300))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)


class StationPoint(Base):
    """A REU address point with its bureau de vote: nearest point gives a contact's bureau."""

    __tablename__ = "crm_station_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_code: Mapped[str] = mapped_column(String(5), index=True)
    polling_station: Mapped[str] = mapped_column(String(32))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)


# --- volunteers, teams, events -------------------------------------------------------------


class Volunteer(Base):
    __tablename__ = "crm_volunteers"
    __table_args__ = (Index("ix_crm_volunteers_user", "campaign_id", "user_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_contacts.id", ondelete="SET NULL")
    )
    display_name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str | None] = mapped_column(String(32))
    availability: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    home_commune: Mapped[str | None] = mapped_column(String(5))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    onboarding: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(
        str_enum(VolunteerStatus, name="status", length=16), default=VolunteerStatus.invited
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Team(Base):
    __tablename__ = "crm_teams"
    __table_args__ = (Index("ix_crm_teams_name", "campaign_id", "name", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    name: Mapped[str] = mapped_column(String(200))
    commune_code: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TeamMember(Base):
    __tablename__ = "crm_team_members"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("crm_teams.id", ondelete="CASCADE"), primary_key=True
    )
    volunteer_id: Mapped[int] = mapped_column(
        ForeignKey("crm_volunteers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    campaign_id: Mapped[int] = campaign_id_column()
    is_leader: Mapped[bool] = mapped_column(Boolean, default=False)


class Event(Base):
    __tablename__ = "crm_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    kind: Mapped[str] = mapped_column(
        str_enum(EventKind, name="kind", length=16), default=EventKind.meeting
    )
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(300), default="")
    capacity: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    reminder_hours: Mapped[int] = mapped_column(Integer, default=24)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EventAttendee(Base):
    __tablename__ = "crm_event_attendees"
    __table_args__ = (Index("ix_crm_event_attendees_pair", "event_id", "contact_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    event_id: Mapped[int] = mapped_column(ForeignKey("crm_events.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("crm_contacts.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(
        str_enum(AttendeeStatus, name="status", length=16), default=AttendeeStatus.invited
    )
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
