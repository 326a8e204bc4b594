"""Pydantic shapes of the targeting JSON API (the same objects as ``circo ei … --json``)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from circo.bounds import ReadModel, ShortText

Ref = Annotated[ShortText, StringConstraints(max_length=100)]


class FitJobIn(BaseModel):
    """``{"kind": "targeting.transfers", "from", "to", "territory", "method"}`` or
    ``{"kind": "targeting.groups", "election", "territory", "variables", "method"}``."""

    model_config = ConfigDict(populate_by_name=True)

    kind: Ref = ""
    source: Ref | None = Field(None, alias="from")
    target: Ref | None = Field(None, alias="to")
    election: Ref | None = None
    territory: Ref | None = None
    variables: Ref | None = None
    method: Ref | None = None

    def payload(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True)


class WeightsRead(ReadModel):
    mobilisation: float
    persuasion: float
    doors: float


class RankingRead(ReadModel):
    election: str
    territory: str
    candidate: str
    weights: WeightsRead
    transfers_from: str | None
    stations: list[dict[str, Any]]  # one row per bureau, best first (see docs)


class UnmatchedRead(ReadModel):
    from_only: list[str]
    to_only: list[str]


class OmittedRead(ReadModel):
    """Options nobody chose in these bureaux, left out of the table (no filler row/column)."""

    rows: list[str]
    columns: list[str]


class TransfersRead(ReadModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    source: str = Field(alias="from")
    target: str = Field(alias="to")
    territory: str
    method: str
    stations: int
    unmatched: UnmatchedRead
    rows: list[str]
    columns: list[str]
    global_: dict[str, dict[str, float]] = Field(alias="global")
    intervals: dict[str, dict[str, list[float]]]
    flows: dict[str, dict[str, float]]
    seconds: float
    diagnostics: dict[str, Any]
    omitted: OmittedRead = Field(default_factory=lambda: OmittedRead(rows=[], columns=[]))
    warnings: list[str] = Field(default_factory=list)


class GroupVoteRead(BaseModel):
    """The fixed keys; the fit adds its own (``global``, ``intervals``, ``units``…)."""

    model_config = ConfigDict(extra="allow")

    election: str
    territory: str
    variables: str
    title: str
    columns_used: dict[str, str]
    stations: int
    without_demographics: list[str]
    seconds: float
    diagnostics: dict[str, Any]


class EstimateRead(ReadModel):
    row_share: float | None
    others_share: float | None


class ResidualRead(ReadModel):
    station: str
    observed: float
    predicted: float
    standardised: float


class DiagnosticsRead(ReadModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    source: str = Field(alias="from")
    target: str = Field(alias="to")
    territory: str
    method: str
    row: str
    column: str
    rows: list[str]
    columns: list[str]
    stations: int
    estimate: EstimateRead
    tomography: list[list[list[float]] | None]  # per bureau: two end points (x, y), or None
    residuals: list[ResidualRead]
    diagnostics: dict[str, Any]


class FitJobRead(ReadModel):
    id: int
    kind: str
    status: str
    payload: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    href: str
