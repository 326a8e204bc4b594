"""Request and response bodies of the results-night API."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from circo.bounds import Count, ReadModel, no_nul

ClientId = Annotated[
    str, StringConstraints(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
]
ElectionKey = Annotated[str, StringConstraints(min_length=1, max_length=40), AfterValidator(no_nul)]
StationCode = Annotated[str, StringConstraints(min_length=3, max_length=32), AfterValidator(no_nul)]
CandidateName = Annotated[
    str, StringConstraints(min_length=1, max_length=300), AfterValidator(no_nul)
]


class CandidateVotesIn(BaseModel):
    name: CandidateName
    votes: Count


class PvIn(BaseModel):
    """A PV typed on a phone; ``entry_key`` is the phone's id of this entry (idempotent)."""

    entry_key: ClientId
    election: ElectionKey
    round: int = Field(ge=1, le=2)
    station: StationCode
    registered: Count
    voters: Count
    blank: Count
    null_votes: Count
    valid_votes: Count
    candidates: list[CandidateVotesIn] = Field(min_length=1, max_length=100)


class PvAck(ReadModel):
    status: str  # added, confirmed, already
    station: str
    id: int


class PhotoAck(ReadModel):
    status: str  # added, already
    station: str
    id: int


class CandidateTotal(ReadModel):
    name: str
    votes: int
    share: float | None


class AreaRead(ReadModel):
    code: str
    name: str
    counted_bureaux: int
    expected_bureaux: int | None
    bureaux_share: float | None
    registered_counted: int
    registered_share: float | None
    turnout: float | None
    candidates: list[CandidateTotal]


class AnomalyRead(ReadModel):
    station: str
    kind: str  # turnout, registered
    message: str


class AggregateRead(ReadModel):
    election: str
    round: int
    level: str
    candidates: list[str]
    total: AreaRead
    areas: list[AreaRead]
    anomalies: list[AnomalyRead]


class ProjectedCandidate(ReadModel):
    name: str
    share: float
    low: float
    high: float


class ReferenceRead(ReadModel):
    election: str
    round: int


class ProjectionRead(ReadModel):
    reported_bureaux: int
    expected_bureaux: int
    candidates: list[ProjectedCandidate]
    naive: dict[str, float] | None = None
    reference: ReferenceRead | None = None
    territory: str | None = None
    assumptions: list[str] | None = None


class ProxyMatchRead(ReadModel):
    request: int
    volunteer: int
    km: float


class ProxyMatchingRead(ReadModel):
    """`circo procurations match --json`."""

    matches: list[ProxyMatchRead]
    unmatched: list[int]


__all__ = ["AggregateRead", "ProjectionRead", "PvAck", "PvIn"]
