"""Tables of the election-day domain: the procès-verbaux (PV) entered on results night.

A PV is the campaign's own record of one bureau's count for one election round (``pres-2027``
round 1), entered from a file (`circo night enter`) or from a phone; the figures are public
results, never about a person. One row per (campaign, election, round, bureau): a second entry
with the same figures confirms it, one with different figures is refused (both versions named).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
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
