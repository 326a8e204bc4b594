"""Tables of the field domain: turf plans, turfs and their stops, assignments, questionnaires,
visits, bureau-level answer tallies and recontact requests.

Privacy by construction: a visit records a door (a building, a street side), never a name. Opinion
answers are stored on the visit only when the person gave explicit consent to link them to their
contact (RGPD art. 9); otherwise they only increment anonymous counters per bureau and day
(`AnswerTally`) and the visit keeps its outcome alone. A recontact request (email / phone with the
consent wording shown) is stored apart from the visit unless that explicit consent was given.
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
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from circo.db import Base, UTCDateTime, campaign_id_column, str_enum, utcnow


class TurfStatus(enum.StrEnum):
    open = "open"
    done = "done"


class AssignmentStatus(enum.StrEnum):
    planned = "planned"
    cancelled = "cancelled"


class RecontactStatus(enum.StrEnum):
    pending = "pending"  # collected at the door, not yet in the contact base
    recorded = "recorded"


class TurfPlan(Base):
    """One cut of chosen bureaux into turfs (the input and the parameters are kept)."""

    __tablename__ = "field_turf_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(16))  # reu, contacts, csv, demo
    election_key: Mapped[str | None] = mapped_column(String(64))
    bureaux: Mapped[list[str]] = mapped_column(JSON, default=list)
    doors_per_turf: Mapped[int] = mapped_column(Integer, default=50)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    unassigned: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(320), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Turf(Base):
    """A turf: doors of one bureau in walking order; ``route`` is the map geometry."""

    __tablename__ = "field_turfs"
    __table_args__ = (Index("ix_field_turfs_code", "campaign_id", "code", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("field_turf_plans.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(64))  # "P3-T-29039_1-02"
    name: Mapped[str] = mapped_column(String(200), default="")
    bureau: Mapped[str | None] = mapped_column(String(40), index=True)
    doors: Mapped[int] = mapped_column(Integer, default=0)
    walk_m: Mapped[float] = mapped_column(Float, default=0.0)
    # GeoJSON LineString (lon, lat) of the route through the stops, in walking order.
    route: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(
        str_enum(TurfStatus, name="status", length=16), default=TurfStatus.open
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TurfStop(Base):
    """One address (a building) of a turf, in walking order; no names, a point and doors."""

    __tablename__ = "field_turf_stops"
    __table_args__ = (Index("ix_field_turf_stops_turf", "turf_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    turf_id: Mapped[int] = mapped_column(ForeignKey("field_turfs.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    address_ref: Mapped[str] = mapped_column(String(64))  # the source's id
    label: Mapped[str] = mapped_column(String(300), default="")
    street: Mapped[str | None] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    dwellings: Mapped[int] = mapped_column(Integer, default=1)


class Assignment(Base):
    """A turf (or a whole bureau) given to a volunteer (a user) or a team, for a day."""

    __tablename__ = "field_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    turf_id: Mapped[int | None] = mapped_column(
        ForeignKey("field_turfs.id", ondelete="CASCADE"), index=True
    )
    bureau: Mapped[str | None] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int | None] = mapped_column(Integer, index=True)  # crm team id
    day: Mapped[date] = mapped_column(Date, index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(
        str_enum(AssignmentStatus, name="status", length=16), default=AssignmentStatus.planned
    )
    created_by: Mapped[str] = mapped_column(String(320), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Questionnaire(Base):
    """The door questionnaire of a campaign; ``questions`` is a list of question dicts.

    Saving a new version deactivates the previous one (old visits keep theirs); at most one
    is active per campaign (a partial unique index: concurrent first uses cannot create two).
    """

    __tablename__ = "field_questionnaires"
    __table_args__ = (
        Index(
            "uq_field_questionnaires_active",
            "campaign_id",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    name: Mapped[str] = mapped_column(String(200))
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    recontact_wording: Mapped[str] = mapped_column(Text, default="")
    opinion_consent_wording: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Visit(Base):
    """One door knocked. ``idempotency_key`` (a UUID made on the phone) is unique per campaign.

    ``answers`` is filled only with explicit consent to link opinions to the person; without it
    the answers went to `AnswerTally` and this row keeps the outcome alone.
    """

    __tablename__ = "field_visits"
    __table_args__ = (
        Index("uq_field_visits_key", "campaign_id", "idempotency_key", unique=True),
        Index("ix_field_visits_turf", "campaign_id", "turf_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    idempotency_key: Mapped[str] = mapped_column(String(64))
    turf_id: Mapped[int | None] = mapped_column(ForeignKey("field_turfs.id", ondelete="SET NULL"))
    stop_id: Mapped[int | None] = mapped_column(
        ForeignKey("field_turf_stops.id", ondelete="SET NULL")
    )
    bureau: Mapped[str | None] = mapped_column(String(40), index=True)
    door: Mapped[str] = mapped_column(String(100), default="")  # "bât. B, 2e gauche", "côté pair"
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    questionnaire_id: Mapped[int | None] = mapped_column(
        ForeignKey("field_questionnaires.id", ondelete="SET NULL")
    )
    outcome: Mapped[str] = mapped_column(String(16))
    answered: Mapped[bool] = mapped_column(Boolean, default=False)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    contact_id: Mapped[int | None] = mapped_column(Integer)  # crm contact, only with consent
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class AnswerTally(Base):
    """Anonymous counters: how many doors gave ``value`` to ``question`` in a bureau on a day."""

    __tablename__ = "field_answer_tallies"
    __table_args__ = (
        Index(
            "uq_field_answer_tallies_key",
            "campaign_id",
            "bureau",
            "day",
            "question",
            "value",
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    bureau: Mapped[str] = mapped_column(String(40))  # "" when unknown
    day: Mapped[date] = mapped_column(Date)
    question: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(100))
    count: Mapped[int] = mapped_column(Integer, default=0)


class BureauNote(Base):
    """A free-text answer kept without any link to a door or a person (bureau and day only)."""

    __tablename__ = "field_bureau_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    bureau: Mapped[str] = mapped_column(String(40), default="")
    day: Mapped[date] = mapped_column(Date)
    question: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)


class Recontact(Base):
    """A person at the door asked to be recontacted: channel value, the wording shown, proof.

    Linked to a visit only with explicit consent to link opinions; ``contact_id`` is set once the
    request is recorded in the contact base (crm) and the consent in the privacy module.
    """

    __tablename__ = "field_recontacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = campaign_id_column()
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("field_visits.id", ondelete="SET NULL"))
    bureau: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    first_name: Mapped[str] = mapped_column(String(100), default="")
    consent_wording: Mapped[str] = mapped_column(Text)
    opinion_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    collected_by: Mapped[str] = mapped_column(String(320), default="system")
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    contact_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(
        str_enum(RecontactStatus, name="status", length=16), default=RecontactStatus.pending
    )
