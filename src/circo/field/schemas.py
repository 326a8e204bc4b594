"""Pydantic shapes of the field JSON API (in and out)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from circo.bounds import Id, JsonObject, LongText, ReadModel, SaneDate, ShortText

MAX_QUESTIONS = 200


class AssignmentIn(BaseModel):
    day: SaneDate
    turf_id: Id | None = None
    bureau: Annotated[ShortText, StringConstraints(max_length=40)] | None = None
    user_email: Annotated[ShortText, StringConstraints(max_length=320)] | None = None
    user_id: Id | None = None
    team_id: Id | None = None
    note: LongText = ""


class QuestionnaireIn(BaseModel):
    name: Annotated[ShortText, StringConstraints(max_length=200)] = ""
    questions: list[JsonObject] = Field(max_length=MAX_QUESTIONS)
    recontact_wording: LongText | None = None
    opinion_consent_wording: LongText | None = None


class CampaignBrief(ReadModel):
    slug: str
    name: str


class AssignmentBrief(ReadModel):
    id: int
    day: str
    turf_id: int | None
    bureau: str | None
    note: str


class TurfRead(ReadModel):
    id: int
    code: str
    name: str
    bureau: str | None
    doors: int
    walk_m: float


class StopRead(ReadModel):
    id: int
    position: int
    ref: str
    label: str
    lat: float
    lon: float
    dwellings: int
    visits: int


class CutBureauRead(ReadModel):
    code: str
    approximate: bool
    addresses: int
    rings: list[list[list[int]]]  # Lambert-93 metres


class CutPreviewIn(BaseModel):
    bureaux: list[ShortText] = Field(max_length=200)
    doors_per_turf: int = Field(ge=1, le=10_000)


class CutTurfRead(ReadModel):
    id: str
    bureau: str | None
    doors: int
    walk_m: int
    points: list[list[int]]


class CutPreviewRead(ReadModel):
    turfs: list[CutTurfRead]
    doors: int
    unassigned: int


class ArgumentRead(ReadModel):
    document: str
    type: str
    heading: str
    text: str


class OutlineRead(ReadModel):
    approximate: bool
    rings: list[list[list[float]]]  # [[lon, lat], …] per ring, WGS84


class WalkListRead(TurfRead):
    stops: list[StopRead]
    outline: OutlineRead | None = None


class OutcomeRead(ReadModel):
    value: str
    label: str


class QuestionnaireRead(ReadModel):
    id: int
    name: str
    outcomes: list[OutcomeRead]
    questions: list[dict[str, Any]]
    recontact_wording: str | None
    opinion_consent_wording: str | None


class FieldMeRead(ReadModel):
    campaign: CampaignBrief
    role: str
    assignments: list[AssignmentBrief]
    turfs: list[TurfRead]
    questionnaire: QuestionnaireRead
    assistant_search: str | None


class SyncResultRead(ReadModel):
    results: list[dict[str, Any]]  # {"key", "status"[, "id" | "message"]} per visit, in order
    created: int
    duplicates: int
    rejected: int


class AssignmentCreated(ReadModel):
    id: int
    day: str


class SupportRead(ReadModel):
    doors_knocked: int
    talked: int
    answered: int
    support: int
    undecided: int
    against: int
    contact_rate: float | None
    support_share: float | None


class VolunteerActivityRead(ReadModel):
    user_id: int
    name: str
    doors_knocked: int
    talked: int
    last_visit: str | None


class OutNowRead(ReadModel):
    name: str
    last_visit: str
    visits: int


class TurfProgressRead(ReadModel):
    id: int
    code: str
    name: str
    bureau: str | None
    doors: int
    stops: int
    stops_visited: int
    visits: int
    done: float


class FieldDashboardRead(ReadModel):
    doors_knocked: int  # distinct doors (a door knocked twice counts once)
    talked: int
    visits: int  # every knock, revisits included
    contact_rate: float | None
    outcomes: dict[str, int]
    turfs: int
    turfs_started: int
    doors_planned: int
    by_bureau: dict[str, SupportRead]
    answers_by_bureau: dict[str, dict[str, dict[str, int]]]
    answers_by_day: dict[str, dict[str, dict[str, int]]]
    volunteers: list[VolunteerActivityRead]
    out_now: list[OutNowRead]
    progress: list[TurfProgressRead]
