"""Tables of the elections domain: territories, elections, results, demographics, geography.

Design choice — **shared reference data**: everything here is public open data about places, never
about people (results per bureau de vote, INSEE aggregates per IRIS, contours, REU address points
without names). These tables therefore carry no ``campaign_id``: one national import serves every
campaign of the instance instead of copying ≈ 900 000 rows per campaign. Campaign-specific views
(the campaign's territory, its priority bureaux) live in the campaign's own tables and refer to
these rows by their stable keys (``dep:69``, ``com:69123``, ``bv:69123_0101``).

Territory keys are ``<level>:<code>``; a bureau's code is ``commune_code + "_" + bureau code``
normalised (``69123_0101``). Result rows denormalise the département, circonscription, commune and
arrondissement codes of their bureau so that any territory aggregates through one index range.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from circo.db import Base, UTCDateTime, utcnow


class Territory(Base):
    """A place of the hierarchy région → département → circonscription → commune → bureau."""

    __tablename__ = "el_territories"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)  # "dep:69"
    level: Mapped[str] = mapped_column(String(8), index=True)  # reg, dep, circ, com, arr, bv
    code: Mapped[str] = mapped_column(String(32))  # "69", "69-01", "69123", "69123_0101"
    name: Mapped[str] = mapped_column(String(200), default="")
    parent_key: Mapped[str | None] = mapped_column(String(40), index=True)
    department_code: Mapped[str | None] = mapped_column(String(3), index=True)
    # "cog" when INSEE's Code officiel géographique lists it (`circo import insee` of the COG
    # tables); None when only a results or INSEE file named it. A results file's coverage is
    # checked against the COG's communes (`import_checks.coverage`).
    source: Mapped[str | None] = mapped_column(String(8))


class Election(Base):
    """One round of one election: ``pres-2022`` round 1 is one row, round 2 another."""

    __tablename__ = "el_elections"
    __table_args__ = (UniqueConstraint("key", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), index=True)  # "pres-2022"
    round: Mapped[int] = mapped_column(Integer)
    election_type: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    held_on: Mapped[date | None] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(200), default="")
    source_file: Mapped[str] = mapped_column(String(300), default="")
    source_format: Mapped[str] = mapped_column(String(40), default="")
    stations: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[int] = mapped_column(Integer, default=0)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Candidate(Base):
    """A candidate or a list of one election round, with its political label (nuance)."""

    __tablename__ = "el_candidates"

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(
        ForeignKey("el_elections.id", ondelete="CASCADE"), index=True
    )
    panel_number: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))  # "Prénom NOM" or the list's name
    first_name: Mapped[str] = mapped_column(String(120), default="")
    last_name: Mapped[str] = mapped_column(String(200), default="")
    list_name: Mapped[str] = mapped_column(String(300), default="")
    sex: Mapped[str] = mapped_column(String(1), default="")
    political_label: Mapped[str | None] = mapped_column(String(40))
    # Σ of the candidate's votes over the round's bureaux, written with them by the import: the
    # national results read it instead of summing the vote rows (`CandidateVotes`).
    total_votes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    @property
    def display_name(self) -> str:
        return self.name


class StationResult(Base):
    """Totals of one bureau de vote for one election round."""

    __tablename__ = "el_station_results"
    __table_args__ = (
        UniqueConstraint("election_id", "station_key"),
        Index("ix_el_station_results_dep", "election_id", "department_code"),
        Index("ix_el_station_results_circ", "election_id", "constituency_code"),
        Index("ix_el_station_results_com", "election_id", "commune_code"),
        Index("ix_el_station_results_arr", "election_id", "arrondissement_code"),
        Index("ix_el_station_results_station", "station_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("el_elections.id", ondelete="CASCADE"))
    station_key: Mapped[str] = mapped_column(String(32))  # "69123_0101"
    region_code: Mapped[str | None] = mapped_column(String(3))
    department_code: Mapped[str] = mapped_column(String(3))
    constituency_code: Mapped[str | None] = mapped_column(String(8))  # "69-01"
    commune_code: Mapped[str] = mapped_column(String(5))
    arrondissement_code: Mapped[str | None] = mapped_column(String(5))
    registered: Mapped[int] = mapped_column(Integer)
    voters: Mapped[int] = mapped_column(Integer)
    abstentions: Mapped[int] = mapped_column(Integer)
    # None when the file does not tell blank from null ballots (européennes 2014, files before
    # 2014): ``blank_and_null`` then holds what the file says; otherwise blank + null_votes.
    blank: Mapped[int | None] = mapped_column(Integer)
    null_votes: Mapped[int | None] = mapped_column(Integer)
    blank_and_null: Mapped[int | None] = mapped_column(Integer)
    valid_votes: Mapped[int] = mapped_column(Integer)
    source_line: Mapped[int | None] = mapped_column(Integer)


class CandidateVotes(Base):
    """Votes of one candidate in one bureau, read through its bureau (primary key order).

    No secondary index: territories are found through `StationResult`'s indexes, national sums
    are `Candidate.total_votes`. An index over 761 662 rows of a national round cost ≈ 1 s of
    every import to rebuild. On SQLite the table is ``WITHOUT ROWID``: the primary key is the
    table itself, one B-tree to write instead of two. ``election_id`` is kept for the foreign
    key (a round's rows go with it).

    ``candidate_id`` has no foreign key: with one, SQLite checks each deleted candidate against
    the votes, and with no index leading with ``candidate_id`` that is a scan of every round's
    votes per candidate (≈ 80 ms each for one national round beside it; a législatives round
    has ≈ 7 900 candidates: minutes to replace it). Votes and candidates are written together by
    the import and deleted together (`circo.elections.importing.delete_election`, votes first)."""

    __tablename__ = "el_candidate_votes"
    __table_args__ = ({"sqlite_with_rowid": False},)

    station_result_id: Mapped[int] = mapped_column(
        ForeignKey("el_station_results.id", ondelete="CASCADE"), primary_key=True
    )
    candidate_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # el_candidates.id
    election_id: Mapped[int] = mapped_column(ForeignKey("el_elections.id", ondelete="CASCADE"))
    votes: Mapped[int] = mapped_column(Integer)


class Iris(Base):
    """An INSEE IRIS (9-character code) with its commune."""

    __tablename__ = "el_iris"

    code: Mapped[str] = mapped_column(String(9), primary_key=True)
    commune_code: Mapped[str] = mapped_column(String(5), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    iris_type: Mapped[str] = mapped_column(String(1), default="")


class IrisIndicator(Base):
    """One INSEE indicator value for one IRIS (long format: any base-ic / FILOSOFI column)."""

    __tablename__ = "el_iris_indicators"

    iris_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    indicator: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(120), default="")


class Geometry(Base):
    """A contour in Lambert-93 (EPSG:2154) metres, as GeoJSON geometry text, with its bbox."""

    __tablename__ = "el_geometries"

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # bv, iris, com
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    commune_code: Mapped[str | None] = mapped_column(String(5), index=True)
    department_code: Mapped[str | None] = mapped_column(String(3), index=True)
    geojson: Mapped[str] = mapped_column(Text)
    area: Mapped[float] = mapped_column(Float, default=0.0)
    min_x: Mapped[float] = mapped_column(Float)
    min_y: Mapped[float] = mapped_column(Float)
    max_x: Mapped[float] = mapped_column(Float)
    max_y: Mapped[float] = mapped_column(Float)


class ReuAddress(Base):
    """A REU address point with its bureau de vote (no names: a point and a count)."""

    __tablename__ = "el_reu_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    station_key: Mapped[str] = mapped_column(String(32), index=True)
    commune_code: Mapped[str] = mapped_column(String(5), index=True)
    x: Mapped[float] = mapped_column(Float)  # Lambert-93
    y: Mapped[float] = mapped_column(Float)
    address_count: Mapped[int] = mapped_column(Integer, default=1)
    geo_score: Mapped[float | None] = mapped_column(Float)


class StationIris(Base):
    """Bureau ↔ IRIS correspondence.

    ``iris_share``: fraction of the IRIS's population attributed to the bureau (Σ over bureaux of
    one IRIS = 1) — multiplies counts. ``station_share``: fraction of the bureau made of the IRIS
    (Σ over IRIS of one bureau = 1) — weights rates and medians.
    """

    __tablename__ = "el_station_iris"

    station_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    iris_code: Mapped[str] = mapped_column(String(9), primary_key=True, index=True)
    iris_share: Mapped[float] = mapped_column(Float)
    station_share: Mapped[float] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(16))  # "addresses" or "area"


class CommuneMerger(Base):
    """An old commune code and the current commune it now belongs to (INSEE COG).

    Filled from the COG "mouvements des communes" table (fusions, communes nouvelles, followed
    transitively) and from the communes déléguées/associées of the COG communes table. Results
    of a commune (``com:01015``) include the bureaux filed under its old codes, so an election
    held before a merger compares with one held after it."""

    __tablename__ = "el_commune_mergers"

    old_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    current_code: Mapped[str] = mapped_column(String(5), index=True)
