"""Request and response bodies of the drops and posters JSON API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from circo.bounds import Count, Id


class DropRoundRead(BaseModel):
    id: int
    name: str
    leaflet: str
    bureaux: list[str]
    letterboxes: int


class DropBuildingRead(BaseModel):
    id: int
    position: int
    label: str
    lat: float
    lon: float
    letterboxes: int
    done: bool


class DropTurfRead(BaseModel):
    id: int
    name: str
    bureau: str | None
    letterboxes: int
    buildings: list[DropBuildingRead]


class DropRoundDetail(BaseModel):
    id: int
    name: str
    leaflet: str
    turfs: list[DropTurfRead]


class DropDoneItem(BaseModel):
    building: Id
    done_at: datetime | None = None


class DropDoneIn(BaseModel):
    items: list[DropDoneItem] = Field(max_length=500)


class DropDoneResult(BaseModel):
    building: int
    status: str
    round: int | None = None
    message: str | None = None


class DropDoneRead(BaseModel):
    results: list[DropDoneResult]


class Reached(BaseModel):
    reached: Count
    total: Count


class BuildingsDone(BaseModel):
    done: Count
    total: Count


class BureauCoverage(BaseModel):
    bureau: str
    reached: int
    total: int
    buildings_done: int
    buildings: int


class CoverageRead(BaseModel):
    round: int
    leaflet: str
    letterboxes: Reached
    buildings: BuildingsDone
    bureaux: list[BureauCoverage]


class PosterBoardRead(BaseModel):
    id: int
    commune: str
    bureau: str
    place: str
    number: int
    status: str
    photo: bool
    checked_at: str | None
