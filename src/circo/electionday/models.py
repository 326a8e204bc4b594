"""Tables of the election-day domain: the procès-verbaux (PV) entered on results night, and the
procurations (mandants, mandataires and their matches).

A PV is the campaign's own record of one bureau's count for one election round (``pres-2027``
round 1), entered from a file (`circo night enter`) or from a phone; the figures are public
results, never about a person. One row per (campaign, election, round, bureau): a second entry
with the same figures confirms it, one with different figures is refused (both versions named).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from circo.db import Base, UTCDateTime, str_enum, utcnow


class PvSource(enum.StrEnum):
    file = "file"  # a batch file (`circo night enter`, the upload page)
    phone = "phone"  # typed on a phone at the bureau (volunteer app, offline sync)


class NightResult(Base):
    """Totals of one bureau's procès-verbal on results night."""

    __tablename__ = "ed_night_results"
    __table_args__ = (
        UniqueConstraint("campaign_id", "election_key", "round", "station_key"),
        UniqueConstraint("campaign_id", "client_id"),
        Index("ix_ed_night_results_election", "campaign_id", "election_key", "round"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    election_key: Mapped[str] = mapped_column(String(40))  # "pres-2027"
    round: Mapped[int] = mapped_column(Integer)
    station_key: Mapped[str] = mapped_column(String(32))  # "69123_0101"
    commune_code: Mapped[str] = mapped_column(String(5))
    commune_name: Mapped[str] = mapped_column(String(200), default="")
    department_code: Mapped[str] = mapped_column(String(3))
    constituency_code: Mapped[str | None] = mapped_column(String(8))  # "69-01"
    registered: Mapped[int] = mapped_column(Integer)
    voters: Mapped[int] = mapped_column(Integer)
    blank: Mapped[int] = mapped_column(Integer)
    null_votes: Mapped[int] = mapped_column(Integer)
    valid_votes: Mapped[int] = mapped_column(Integer)
    source: Mapped[PvSource] = mapped_column(str_enum(PvSource, name="source", length=8))
    source_ref: Mapped[str] = mapped_column(String(300), default="")  # "pv.csv, ligne 12"
    client_id: Mapped[str | None] = mapped_column(String(64))  # phone entry id (idempotent sync)
    confirmations: Mapped[int] = mapped_column(Integer, default=0)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # who typed it (phone, upload page) or ran `circo night enter` with a user; None: system
    entered_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    confirmed_by_user_id: Mapped[int | None] = mapped_column(  # the latest confirmation
        ForeignKey("users.id", ondelete="SET NULL")
    )


class PvPhoto(Base):
    """A photo of a PV taken on the phone, stored under the data dir (``path`` is relative to
    it). ``client_id`` is the phone's id of the photo: a retry stores nothing twice."""

    __tablename__ = "ed_pv_photos"
    __table_args__ = (UniqueConstraint("campaign_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    result_id: Mapped[int] = mapped_column(
        ForeignKey("ed_night_results.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NightVotes(Base):
    """Votes of one candidate (or list) in one entered PV, in the order of the ballot."""

    __tablename__ = "ed_night_votes"

    result_id: Mapped[int] = mapped_column(
        ForeignKey("ed_night_results.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))  # as in the entered file
    label: Mapped[str | None] = mapped_column(String(40))  # nuance, when the file gives one
    votes: Mapped[int] = mapped_column(Integer)


# --- procurations (Code électoral L71 to L78) ---------------------------------------------------


class ProxyStatus(enum.StrEnum):
    open = "open"  # waiting for a match (a request) / available (an offer)
    matched = "matched"  # a request with an active match
    withdrawn = "withdrawn"  # the person withdrew: matches undone, the other side re-matched


class ProxyRounds(enum.StrEnum):
    first = "1"
    second = "2"
    both = "both"


class ProxyRequest(Base):
    """A mandant: a supporter who will be absent and asks for a proxy, registered in a bureau.
    The person is a CRM contact (name, e-mail, phone and consent live there)."""

    __tablename__ = "ed_proxy_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("crm_contacts.id", ondelete="CASCADE"), index=True
    )
    station_key: Mapped[str] = mapped_column(String(32))  # bureau of registration
    rounds: Mapped[ProxyRounds] = mapped_column(str_enum(ProxyRounds, name="rounds", length=8))
    established_abroad: Mapped[bool] = mapped_column(Boolean, default=False)  # L73, 2nd alinéa
    status: Mapped[ProxyStatus] = mapped_column(str_enum(ProxyStatus, name="status", length=12))
    delete_after: Mapped[date] = mapped_column(Date)  # the last round: deleted after it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProxyOffer(Base):
    """A mandataire: a volunteer offering to vote for a mandant, where they start from
    (Lambert-93 metres) and how far they can go."""

    __tablename__ = "ed_proxy_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("crm_contacts.id", ondelete="CASCADE"), index=True
    )
    x: Mapped[float] = mapped_column(Float)
    y: Mapped[float] = mapped_column(Float)
    max_km: Mapped[float] = mapped_column(Float)
    rounds: Mapped[ProxyRounds] = mapped_column(str_enum(ProxyRounds, name="rounds", length=8))
    status: Mapped[ProxyStatus] = mapped_column(str_enum(ProxyStatus, name="status", length=12))
    delete_after: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProxyMatch(Base):
    """A request given to an offer; ``active`` False once either side withdrew."""

    __tablename__ = "ed_proxy_matches"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    request_id: Mapped[int] = mapped_column(
        ForeignKey("ed_proxy_requests.id", ondelete="CASCADE"), index=True
    )
    offer_id: Mapped[int] = mapped_column(
        ForeignKey("ed_proxy_offers.id", ondelete="CASCADE"), index=True
    )
    km: Mapped[float] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- assesseurs and délégués (Code électoral R42 to R47) ----------------------------------------


class PostRole(enum.StrEnum):
    assessor = "assessor"  # assesseur titulaire (R44: one per candidate and bureau)
    assessor_substitute = "assessor_substitute"  # assesseur suppléant (R45)
    delegate = "delegate"  # délégué (R47)
    delegate_substitute = "delegate_substitute"  # délégué suppléant (R47)


class AssessorPost(Base):
    """A volunteer (CRM contact) designated by the campaign in one bureau, for one role, round
    and time slot. What R46 asks the mairie to be told is kept here: birth date and place, the
    commune where the person is an elector (R44: an elector of the département)."""

    __tablename__ = "ed_assessor_posts"
    __table_args__ = (Index("ix_ed_assessor_posts_station", "campaign_id", "round", "station_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("crm_contacts.id", ondelete="CASCADE"), index=True
    )
    station_key: Mapped[str] = mapped_column(String(32))  # "69123_0101"
    commune_code: Mapped[str] = mapped_column(String(5))  # the bureau's commune
    department_code: Mapped[str] = mapped_column(String(3))  # the bureau's département
    role: Mapped[PostRole] = mapped_column(str_enum(PostRole, name="role", length=24))
    round: Mapped[int] = mapped_column(Integer)
    vote_date: Mapped[date] = mapped_column(Date)  # the day of that round
    slot_start: Mapped[str] = mapped_column(String(5))  # "08:00", local time of the bureau
    slot_end: Mapped[str] = mapped_column(String(5))  # "13:00"
    elector_commune: Mapped[str] = mapped_column(String(5))  # where the person is registered
    birth_date: Mapped[date | None] = mapped_column(Date)
    birth_place: Mapped[str] = mapped_column(String(200), default="")
    delete_after: Mapped[date] = mapped_column(Date)  # deleted after the vote, like procurations
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
