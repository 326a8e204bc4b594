"""Visits from the phones: batch sync with an idempotency key, and the privacy rule on opinions.

`sync_visits` takes a batch recorded offline. Each visit carries a UUID made on the phone; the
pair (campaign, key) is unique in the table, and the insert is ``INSERT … ON CONFLICT DO
NOTHING RETURNING``, so a retry (or two concurrent retries) never creates a second row and the
counters move only for rows really created. A bad visit is rejected alone, with its reason.

Opinion answers: tallied per bureau and day (`AnswerTally`), free text kept as a `BureauNote`
without any link to the door. They are also kept on the visit and written to the person's
contact record only when the person left their contact details and ticked the explicit consent
(art. 9 RGPD), recorded through the privacy module.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from circo.bounds import Id, JsonObject, SaneDatetime, ShortText
from circo.core.tenancy import CampaignContext
from circo.db import utcnow
from circo.field import questionnaire as qn
from circo.field import service
from circo.field.errors import FieldError
from circo.field.models import AnswerTally, BureauNote, Questionnaire, Turf, TurfStop, Visit

MAX_BATCH = 500
_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_FUTURE_SLACK = timedelta(hours=12)


class RecontactIn(BaseModel):
    email: ShortText | None = Field(None, max_length=320)
    phone: ShortText | None = Field(None, max_length=32)
    first_name: ShortText = Field("", max_length=100)
    consent_contact: bool = False
    consent_opinions: bool = False


class VisitIn(BaseModel):
    key: str = Field(..., description="UUID made on the phone (idempotency key)")
    turf_id: Id | None = None
    stop_id: Id | None = None
    door: ShortText = Field("", max_length=100)
    outcome: ShortText
    answers: JsonObject = Field(default_factory=dict)
    visited_at: SaneDatetime | None = None
    questionnaire_id: Id | None = None
    recontact: RecontactIn | None = None

    @field_validator("key")
    @classmethod
    def _key_shape(cls, value: str) -> str:
        if not _KEY.match(value):
            raise ValueError("clé d'idempotence : 8 à 64 caractères A-Z a-z 0-9 - _ (un UUID)")
        return value


class SyncIn(BaseModel):
    visits: list[VisitIn] = Field(..., max_length=MAX_BATCH)


@dataclass
class SyncResult:
    results: list[dict[str, Any]] = field(default_factory=list)

    def add(self, key: str, status: str, **extra: Any) -> None:
        self.results.append({"key": key, "status": status, **extra})

    def as_json(self) -> dict[str, Any]:
        counts = Counter(item["status"] for item in self.results)
        return {
            "results": self.results,
            "created": counts["created"],
            "duplicates": counts["duplicate"],
            "rejected": counts["rejected"],
        }


@dataclass
class _Prepared:
    item: VisitIn
    row: dict[str, Any]
    bureau: str
    day: date
    answers: dict[str, Any]
    attach: bool


def sync_visits(session: Session, ctx: CampaignContext, *, visits: list[VisitIn]) -> SyncResult:
    """Record a batch of visits idempotently: per key ``created``, ``duplicate`` or ``rejected``."""
    result = SyncResult()
    questionnaire = service.active_questionnaire(session, ctx)
    questionnaires = _questionnaires(session, ctx, visits, questionnaire)
    turfs, stops = _load_places(session, ctx, visits)
    allowed = _allowed_turfs(session, ctx)
    prepared: list[_Prepared] = []
    seen: set[str] = set()
    for item in visits:
        if item.key in seen:
            result.add(item.key, "duplicate")
            continue
        seen.add(item.key)
        try:
            prepared.append(
                _prepare(ctx, item, questionnaires, questionnaire, turfs, stops, allowed)
            )
        except FieldError as exc:
            result.add(item.key, "rejected", message=str(exc))
    created = _insert(session, [p.row for p in prepared])
    for entry in prepared:
        visit_id = created.get(entry.item.key)
        if visit_id is None:
            result.add(entry.item.key, "duplicate")
            continue
        result.add(entry.item.key, "created", id=visit_id)
    fresh = [entry for entry in prepared if entry.item.key in created]
    _tally(session, ctx, fresh, questionnaires)
    _recontacts(session, ctx, fresh, questionnaires, created)
    session.flush()
    if fresh:  # anonymous counts only: the doors, not the people behind them
        from circo.party.models import WebhookEvent
        from circo.party.webhooks import emit

        emit(
            session,
            ctx,
            event=WebhookEvent.visits_synced,
            data={"created": len(fresh), "bureaux": sorted({e.bureau for e in fresh})},
        )
    return result


def _questionnaires(
    session: Session, ctx: CampaignContext, visits: list[VisitIn], active: Questionnaire
) -> dict[int, Questionnaire]:
    ids = {item.questionnaire_id for item in visits if item.questionnaire_id} - {active.id}
    found = {active.id: active}
    if ids:
        rows = session.scalars(
            ctx.scoped(select(Questionnaire), Questionnaire).where(
                Questionnaire.id.in_(sorted(ids))
            )
        )
        found.update({row.id: row for row in rows})
    return found


class _Place(Protocol):
    """What a visit needs of its turf and stop: plain rows, not ORM objects (cheaper)."""

    id: int
    turf_id: int
    bureau: str | None


def _load_places(
    session: Session, ctx: CampaignContext, visits: list[VisitIn]
) -> tuple[dict[int, Any], dict[int, Any]]:
    """The batch's turfs ``(id, bureau)`` and stops ``(id, turf_id)`` of this campaign."""
    turf_ids = sorted({item.turf_id for item in visits if item.turf_id is not None})
    stop_ids = sorted({item.stop_id for item in visits if item.stop_id is not None})
    turfs: dict[int, Any] = {}
    if turf_ids:
        turf_rows = service.scoped(ctx, select(Turf.id, Turf.bureau), Turf)
        turfs = {row.id: row for row in session.execute(turf_rows.where(Turf.id.in_(turf_ids)))}
    stops: dict[int, Any] = {}
    if stop_ids:
        stop_rows = service.scoped(ctx, select(TurfStop.id, TurfStop.turf_id), TurfStop)
        stops = {row.id: row for row in session.execute(stop_rows.where(TurfStop.id.in_(stop_ids)))}
    return turfs, stops


def _allowed_turfs(session: Session, ctx: CampaignContext) -> set[int] | None:
    """None: every turf (organisers); else the volunteer's assigned turfs."""
    if ctx.role.value != "volunteer":
        return None
    return service.assigned_turf_ids(session, ctx, user_id=service._user_id(ctx))


def _prepare(
    ctx: CampaignContext,
    item: VisitIn,
    questionnaires: dict[int, Questionnaire],
    active: Questionnaire,
    turfs: dict[int, _Place],
    stops: dict[int, _Place],
    allowed: set[int] | None,
) -> _Prepared:
    turf = turfs.get(item.turf_id) if item.turf_id is not None else None
    if item.turf_id is not None and (
        turf is None or (allowed is not None and item.turf_id not in allowed)
    ):
        raise FieldError(f"secteur {item.turf_id} introuvable", loc="turf_id", status=404)
    if turf is None and allowed is not None:
        raise FieldError("une visite de bénévole indique son secteur (turf_id)", loc="turf_id")
    stop = stops.get(item.stop_id) if item.stop_id is not None else None
    if item.stop_id is not None and (stop is None or turf is None or stop.turf_id != turf.id):
        raise FieldError(
            f"adresse {item.stop_id} hors du secteur {item.turf_id}", loc="stop_id", status=404
        )
    if item.questionnaire_id is not None and item.questionnaire_id not in questionnaires:
        raise FieldError(
            f"questionnaire {item.questionnaire_id} introuvable",
            loc="questionnaire_id",
            status=404,
        )
    questionnaire = questionnaires.get(item.questionnaire_id or active.id, active)
    outcome = qn.validate_outcome(item.outcome)
    answers = qn.validate_answers(questionnaire.questions, item.answers, outcome=outcome)
    now = utcnow()
    visited_at = item.visited_at or now
    if visited_at.tzinfo is None:
        visited_at = visited_at.replace(tzinfo=now.tzinfo)
    if visited_at > now + _FUTURE_SLACK:
        raise FieldError(
            f"date de visite dans le futur : {visited_at.isoformat()}", loc="visited_at"
        )
    recontact = item.recontact
    attach = bool(
        answers
        and recontact is not None
        and recontact.consent_opinions
        and (recontact.email or recontact.phone)
    )
    bureau = (turf.bureau if turf is not None else None) or ""
    row = {
        "campaign_id": ctx.campaign_id,
        "idempotency_key": item.key,
        "turf_id": turf.id if turf is not None else None,
        "stop_id": stop.id if stop is not None else None,
        "bureau": bureau or None,
        "door": item.door.strip(),
        "user_id": ctx.actor.user_id,
        "questionnaire_id": questionnaire.id,
        "outcome": outcome,
        "answered": bool(answers),
        "answers": answers if attach else {},
        "contact_id": None,
        "visited_at": visited_at,
        "synced_at": now,
    }
    return _Prepared(item, row, bureau, visited_at.date(), answers, attach)


def _insert(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert the rows whose key is new; returns {key: id} of the rows really inserted.

    One statement on the table (not the ORM entity) executed with the list of rows:
    SQLAlchemy's "insertmanyvalues" sends it as multi-row INSERTs whose compiled form is cached
    (a ``.values(rows)`` statement is compiled again for every batch)."""
    if not rows:
        return {}
    table = Visit.__table__
    statement = (
        _dialect_module(session)
        .insert(table)
        .on_conflict_do_nothing(index_elements=["campaign_id", "idempotency_key"])
        .returning(table.c.idempotency_key, table.c.id)
    )
    return {str(key): int(visit_id) for key, visit_id in session.execute(statement, rows).all()}


def _dialect_module(session: Session) -> Any:
    """The dialect's ``insert`` with ON CONFLICT (PostgreSQL or SQLite)."""
    return postgresql if session.get_bind().dialect.name == "postgresql" else sqlite


def _tally(
    session: Session,
    ctx: CampaignContext,
    fresh: list[_Prepared],
    questionnaires: dict[int, Questionnaire],
) -> None:
    counts: Counter[tuple[str, date, str, str]] = Counter()
    notes: list[BureauNote] = []
    for entry in fresh:
        questions = {q["key"]: q for q in questionnaires[entry.row["questionnaire_id"]].questions}
        for key, value in entry.answers.items():
            question = questions[key]
            if question["kind"] == "text":
                notes.append(
                    BureauNote(
                        campaign_id=ctx.campaign_id,
                        bureau=entry.bureau,
                        day=entry.day,
                        question=key,
                        text=str(value),
                    )
                )
            for counted in qn.tally_values(question, value):
                counts[(entry.bureau, entry.day, key, counted[:100])] += 1
    if counts:
        _upsert_tallies(session, ctx, counts)
    session.add_all(notes)


def _upsert_tallies(
    session: Session, ctx: CampaignContext, counts: Counter[tuple[str, date, str, str]]
) -> None:
    """One upsert for the batch: each (bureau, day, question, value) moves by its count."""
    rows = [
        {
            "campaign_id": ctx.campaign_id,
            "bureau": bureau,
            "day": day,
            "question": question,
            "value": value,
            "count": count,
        }
        for (bureau, day, question, value), count in sorted(counts.items())
    ]
    table = AnswerTally.__table__
    statement = _dialect_module(session).insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=["campaign_id", "bureau", "day", "question", "value"],
        set_={"count": table.c.count + statement.excluded["count"]},
    )
    session.execute(statement, rows)


def _recontacts(
    session: Session,
    ctx: CampaignContext,
    fresh: list[_Prepared],
    questionnaires: dict[int, Questionnaire],
    created: dict[str, int],
) -> None:
    from circo.field.people import record_recontact

    for entry in fresh:
        recontact = entry.item.recontact
        if recontact is None or not (recontact.email or recontact.phone):
            continue
        if not (recontact.consent_contact or entry.attach):
            continue
        questionnaire = questionnaires[entry.row["questionnaire_id"]]
        contact_id = record_recontact(
            session,
            ctx,
            recontact=recontact,
            bureau=entry.bureau or None,
            visit_id=created[entry.item.key] if entry.attach else None,
            answers=entry.answers if entry.attach else {},
            questions=questionnaire.questions,
            recontact_wording=questionnaire.recontact_wording,
            opinion_wording=questionnaire.opinion_consent_wording,
            at=entry.row["visited_at"],
        )
        if entry.attach and contact_id is not None:
            session.execute(
                Visit.__table__.update()  # type: ignore[attr-defined]
                .where(Visit.id == created[entry.item.key])
                .values(contact_id=contact_id)
            )
