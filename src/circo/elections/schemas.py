"""Pydantic shapes of the elections JSON API (the same objects as the CLI's ``--json``)."""

from __future__ import annotations

from circo.bounds import ReadModel


class ElectionRead(ReadModel):
    election: str
    round: int
    type: str
    year: int | None
    date: str | None
    name: str
    stations: int
    warnings: int
    source_file: str | None


class CandidateResultRead(ReadModel):
    name: str
    label: str | None
    votes: int
    share_valid: float


class TerritoryResultsRead(ReadModel):
    """Keys in this order: the CLI/API contract of ``circo results --json``."""

    territory: str
    election: str
    round: int
    registered: int
    voters: int
    abstentions: int
    blank: int | None
    null_votes: int | None
    blank_and_null: int | None
    valid_votes: int
    stations: int
    candidates: list[CandidateResultRead]


class UnmatchedRead(ReadModel):
    only_in_a: list[str]
    only_in_b: list[str]


class EvolutionRead(ReadModel):
    territory: str
    election_a: str
    election_b: str
    matched_stations: int
    unmatched: UnmatchedRead
    totals_a: dict[str, int | None]
    totals_b: dict[str, int | None]
    turnout_a: float | None
    turnout_b: float | None
    shares_a: dict[str, float]
    shares_b: dict[str, float]


class RankedStationRead(ReadModel):
    station: str
    value: float | None
    registered: int
