"""Phone banking: call lists built from segments, batches per volunteer, outcomes.

Rules:
- a list keeps only the contacts the campaign may phone (`circo.privacy.decide_many` on the
  ``phone`` channel: a consent, or legitimate interest for regular contacts, a number, no
  opposition); the others are counted as ``no_basis`` or ``opposed``;
- calls happen only within the legal calling hours and never during the L49 silence
  (`circo.privacy.check_calendar(…, "phone")`): a batch is refused with the reason and article;
- the rights are re-checked when a batch is handed out (an opposition recorded since the list was
  built takes the person out);
- ``opposed`` records an opposition to phone contact in the privacy ledger at once;
  ``wrong_number`` clears the number from the contact; ``callback`` keeps the entry in the
  volunteer's batch with the time to call back.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session

from circo.core.models import Role
from circo.core.tenancy import CampaignContext, campaign_filter
from circo.crm.models import Contact
from circo.crm.segments import (
    ALL_SEGMENT_NAMES,
    resolve_segment,
    segment_contact_ids,
    segment_query,
)
from circo.crm.timeline import add_interaction
from circo.db import utcnow
from circo.labels import label
from circo.privacy.calendar import CalendarDecision, check_calendar
from circo.privacy.consent import decide_many, record_opposition
from circo.reach.errors import CalendarBlocked, NotFound, PermissionDenied, ReachError
from circo.reach.models import CallEntry, CallList, CallOutcome, CallStatus

FINAL_OUTCOMES = {
    CallOutcome.reached,
    CallOutcome.voicemail,
    CallOutcome.wrong_number,
    CallOutcome.refused,
    CallOutcome.opposed,
}
MANAGERS = (Role.admin, Role.data, Role.organiser)
MAX_BATCH = 100
INSERT_CHUNK = 5000


@dataclass(frozen=True)
class BuiltList:
    call_list: CallList
    contacts: int
    no_basis: int
    opposed: int

    def as_json(self) -> dict[str, Any]:
        """The CLI and API contract:
        ``{"list", "contacts", "excluded": {"no_basis", "opposed"}}``."""
        return {
            "list": self.call_list.id,
            "contacts": self.contacts,
            "excluded": {"no_basis": self.no_basis, "opposed": self.opposed},
        }


def parse_outcome(value: str, *, loc: str = "outcome") -> CallOutcome:
    try:
        return CallOutcome(value.strip().lower())
    except ValueError:
        allowed = ", ".join(outcome.value for outcome in CallOutcome)
        raise ReachError(
            f"issue d'appel inconnue « {value} » (attendu l'une de : {allowed})", loc=loc
        ) from None


def segment_title(name: str) -> str:
    """The segment as people read it ("all" is every contact)."""
    return "tous les contacts" if name.strip().lower() in ALL_SEGMENT_NAMES else name


def _clean_questions(questions: list[str]) -> list[str]:
    cleaned: list[str] = []
    for question in questions:
        text = " ".join(question.split())
        if len(text) > 200:
            raise ReachError(f"question trop longue ({len(text)} > 200 caractères)", loc="question")
        if text and text not in cleaned:
            cleaned.append(text)
    return cleaned


def create_call_list(
    session: Session,
    ctx: CampaignContext,
    *,
    segment: str,
    name: str = "",
    script: str = "",
    questions: list[str] | None = None,
    batch_size: int = 20,
) -> BuiltList:
    """Build a call list from the segment called ``segment`` (``all`` for every contact)."""
    ctx.require(*MANAGERS)
    if not 1 <= batch_size <= MAX_BATCH:
        raise ReachError(
            f"taille de série {batch_size} hors limites (de 1 à {MAX_BATCH}, ex. 20)",
            loc="batch_size",
        )
    filters = resolve_segment(session, ctx, segment)
    if not script.strip():
        script = script_from_matrix(session, ctx, segment)
    ids_query = segment_query(session, ctx, filters).with_only_columns(Contact.id)
    decisions = decide_many(session, ctx, contact_ids=ids_query, channel="phone")
    if filters.consent_channel and filters.consent_channel != "phone":
        reachable = set(segment_contact_ids(session, ctx, filters))
        decisions = {cid: decision for cid, decision in decisions.items() if cid in reachable}
    ids = sorted(decisions)
    call_list = CallList(
        campaign_id=ctx.campaign_id,
        name=(" ".join(name.split()) or f"Appels — {segment_title(segment.strip())}")[:200],
        segment_name=segment.strip()[:200],
        script=script,
        questions=_clean_questions(questions or []),
        batch_size=batch_size,
        created_by=ctx.actor.email,
    )
    session.add(call_list)
    session.flush()
    rows: list[dict[str, Any]] = []
    no_basis = opposed = 0
    for contact_id in ids:
        decision = decisions[contact_id]
        if decision.allowed:
            rows.append(
                {
                    "campaign_id": ctx.campaign_id,
                    "list_id": call_list.id,
                    "contact_id": contact_id,
                    "basis": decision.basis or "consent",
                    "status": CallStatus.pending.value,
                    "answers": {},
                    "note": "",
                    "attempts": 0,
                }
            )
        elif decision.opposed:
            opposed += 1
        else:
            no_basis += 1
    _insert_entries(session, rows)
    call_list.excluded_no_basis = no_basis
    call_list.excluded_opposed = opposed
    session.flush()
    return BuiltList(call_list, len(rows), no_basis, opposed)


MATRIX_QUOTES = 3  # passages of the programme point quoted in a script


def script_from_matrix(session: Session, ctx: CampaignContext, segment: str) -> str:
    """The call script of a segment when none is typed: the programme point the message matrix
    gives the segment (`circo.messaging.service.matrix.point_for_segment`), its summary and the
    knowledge-base passages linked to it, quoted verbatim with their source; "" when the matrix
    gives the segment no point. Framing lines (greeting, question, refusal) carry no fact."""
    from circo.assistant.models import Document, Passage
    from circo.messaging.service.matrix import point_for_segment

    point = point_for_segment(session, ctx, segment)
    if point is None:
        return ""
    quotes = session.execute(
        select(Passage.id, Passage.text, Document.title)
        .join(Document, Document.id == Passage.document_id)
        .where(campaign_filter(Passage, ctx), Passage.id.in_(point.passage_ids or [-1]))
    ).all()
    by_id = {row.id: row for row in quotes}
    ordered = [by_id[pid] for pid in point.passage_ids if pid in by_id][:MATRIX_QUOTES]
    lines = [
        f"Point du programme (matrice des messages) : {point.title}",
        "",
        f"« Bonjour, je vous appelle de la part de {ctx.campaign.name}. Je ne vous prendrai "
        f"qu'une minute, sur {point.title}. »",
    ]
    if point.summary:
        lines += ["", point.summary]
    if ordered:
        lines += ["", "À citer (sources) :"]
        lines += [f"– « {' '.join(row.text.split())} » ({row.title})" for row in ordered]
    lines += [
        "",
        "« Est-ce que cela vous parle ? Pouvons-nous compter sur vous ? »",
        "Si la personne refuse : la remercier et ne pas rappeler.",
    ]
    return "\n".join(lines)


ENTRY_COLUMNS = (
    "campaign_id",
    "list_id",
    "contact_id",
    "basis",
    "status",
    "answers",
    "note",
    "attempts",
)


def _insert_entries(session: Session, rows: list[dict[str, Any]]) -> None:
    """Write the entries in the session's transaction: PostgreSQL's COPY (a statement per row
    costs seconds for 100 000 entries), SQLite's executemany (in-process, already fast)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        columns = ", ".join(ENTRY_COLUMNS)
        with (
            raw.cursor() as cursor,  # type: ignore[union-attr]
            cursor.copy(f"COPY reach_call_entries ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(
                    [
                        json.dumps(row[name]) if name == "answers" else row[name]
                        for name in ENTRY_COLUMNS
                    ]
                )
        return
    entries = cast(Table, CallEntry.__table__)
    for start in range(0, len(rows), INSERT_CHUNK):  # Core insert: no ORM bookkeeping per row
        session.execute(insert(entries), rows[start : start + INSERT_CHUNK])


def list_call_lists(session: Session, ctx: CampaignContext) -> list[CallList]:
    query = ctx.scoped(select(CallList), CallList).order_by(CallList.id.desc())
    return list(session.scalars(query))


def get_call_list(session: Session, ctx: CampaignContext, list_id: int) -> CallList:
    call_list = session.scalar(ctx.scoped(select(CallList), CallList).where(CallList.id == list_id))
    if call_list is None:
        raise NotFound(f"liste d'appels {list_id} introuvable dans cette campagne", loc="list")
    return call_list


def calling_allowed(ctx: CampaignContext, now: datetime | None = None) -> CalendarDecision:
    """May volunteers call now? Legal calling hours and the L49 silence (article named)."""
    return check_calendar(ctx.campaign, now or utcnow(), "phone")


def _require_calling(ctx: CampaignContext, now: datetime) -> None:
    decision = calling_allowed(ctx, now)
    if not decision.allowed:
        rule = "Code électoral L49" if decision.rule == "L49" else "heures légales d'appel"
        raise CalendarBlocked(
            f"la liste d'appels ne peut pas être ouverte maintenant : {decision.reason}",
            loc=rule,
        )


def _user_id(ctx: CampaignContext) -> int:
    if ctx.actor.user_id is None:
        raise ReachError(
            "une série d'appels est prise par une personne connectée (pas en ligne de commande)",
            loc="user",
        )
    return ctx.actor.user_id


def my_batch(session: Session, ctx: CampaignContext, *, list_id: int) -> list[CallEntry]:
    """The entries the current person holds on the list (to call, or to call back)."""
    get_call_list(session, ctx, list_id)
    query = ctx.scoped(select(CallEntry), CallEntry).where(
        CallEntry.list_id == list_id,
        CallEntry.assigned_user_id == _user_id(ctx),
        CallEntry.status == CallStatus.assigned,
    )
    return list(session.scalars(query.order_by(CallEntry.callback_at.is_not(None), CallEntry.id)))


def take_batch(
    session: Session, ctx: CampaignContext, *, list_id: int, now: datetime | None = None
) -> list[CallEntry]:
    """Hand the current person a batch: what they already hold, topped up to the list's batch
    size with pending entries whose contact may still be phoned. Refused outside the legal
    calling hours and during the L49 silence."""
    moment = now or utcnow()
    call_list = get_call_list(session, ctx, list_id)
    _require_calling(ctx, moment)
    user_id = _user_id(ctx)
    held = my_batch(session, ctx, list_id=list_id)
    missing = call_list.batch_size - len(held)
    while missing > 0:
        candidates = list(
            session.scalars(
                ctx.scoped(select(CallEntry.contact_id), CallEntry)
                .where(CallEntry.list_id == list_id, CallEntry.status == CallStatus.pending)
                .order_by(CallEntry.id)
                .limit(missing)
            )
        )
        if not candidates:
            break
        decisions = decide_many(session, ctx, contact_ids=candidates, channel="phone")
        allowed = [cid for cid in candidates if decisions[cid].allowed]
        refused = [cid for cid in candidates if not decisions[cid].allowed]
        if refused:
            for contact_id in refused:
                session.execute(
                    update(CallEntry)
                    .where(
                        campaign_filter(CallEntry, ctx),
                        CallEntry.list_id == list_id,
                        CallEntry.contact_id == contact_id,
                        CallEntry.status == CallStatus.pending,
                    )
                    .values(status=CallStatus.excluded, note=decisions[contact_id].reason[:500])
                )
        if allowed:
            taken = session.execute(
                update(CallEntry)
                .where(
                    campaign_filter(CallEntry, ctx),
                    CallEntry.list_id == list_id,
                    CallEntry.contact_id.in_(allowed),
                    CallEntry.status == CallStatus.pending,
                )
                .values(status=CallStatus.assigned, assigned_user_id=user_id, assigned_at=moment)
            )
            missing -= int(taken.rowcount or 0)  # type: ignore[attr-defined]
    session.flush()
    return my_batch(session, ctx, list_id=list_id)


def _entry(session: Session, ctx: CampaignContext, list_id: int, contact_id: int) -> CallEntry:
    entry = session.scalar(
        ctx.scoped(select(CallEntry), CallEntry).where(
            CallEntry.list_id == list_id, CallEntry.contact_id == contact_id
        )
    )
    if entry is None:
        raise NotFound(
            f"le contact {contact_id} n'est pas sur la liste d'appels {list_id}", loc="contact"
        )
    return entry


def _clean_answers(call_list: CallList, answers: dict[str, str]) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for question, answer in answers.items():
        if question not in call_list.questions:
            known = " ; ".join(call_list.questions) or "aucune"
            raise ReachError(
                f"question inconnue « {question} » sur cette liste (questions : {known})",
                loc="answers",
            )
        text = " ".join(str(answer).split())[:200]
        if text:
            cleaned[question] = text
    return cleaned


def record_outcome(
    session: Session,
    ctx: CampaignContext,
    *,
    list_id: int,
    contact_id: int,
    outcome: str,
    answers: dict[str, str] | None = None,
    callback_at: datetime | None = None,
    note: str = "",
    now: datetime | None = None,
) -> CallEntry:
    """Record what came of a call. A volunteer records only the calls of their own batch."""
    moment = now or utcnow()
    parsed = parse_outcome(outcome)
    call_list = get_call_list(session, ctx, list_id)
    entry = _entry(session, ctx, list_id, contact_id)
    if ctx.role not in MANAGERS and entry.assigned_user_id != ctx.actor.user_id:
        raise PermissionDenied(
            "cet appel n'est pas dans votre série : prenez une série sur la liste", status=403
        )
    if callback_at is not None and callback_at.tzinfo is None:  # wall-clock time of the campaign
        callback_at = callback_at.replace(tzinfo=ZoneInfo(ctx.campaign.timezone or "Europe/Paris"))
    if parsed is CallOutcome.callback and callback_at is None:
        raise ReachError(
            "« rappeler » demande la date et l'heure du rappel (ex. 2026-12-04 18:30)",
            loc="callback_at",
        )
    entry.answers = {**(entry.answers or {}), **_clean_answers(call_list, answers or {})}
    entry.outcome = parsed.value
    entry.attempts = (entry.attempts or 0) + 1
    entry.called_by = ctx.actor.email
    entry.called_at = moment
    entry.note = note.strip()[:2000]
    if parsed is CallOutcome.callback:
        entry.status = CallStatus.assigned.value
        entry.callback_at = callback_at
        if entry.assigned_user_id is None:
            entry.assigned_user_id = ctx.actor.user_id
            entry.assigned_at = moment
    else:
        entry.status = CallStatus.done.value
        entry.callback_at = None
    if parsed is CallOutcome.opposed:
        record_opposition(
            session,
            ctx,
            contact_id=contact_id,
            channel="phone",
            source=f"appel — liste « {call_list.name} » ({call_list.id})",
        )
    if parsed is CallOutcome.wrong_number:
        _clear_number(session, ctx, contact_id)
    session.flush()
    add_interaction(
        session,
        ctx,
        contact_id=contact_id,
        kind="call",
        summary=f"appel : {label(parsed, 'call_outcome')} (liste « {call_list.name} »)",
        data={"list_id": call_list.id, "outcome": parsed.value},
        at=moment,
    )
    return entry


def _clear_number(session: Session, ctx: CampaignContext, contact_id: int) -> None:
    """A wrong number goes: the contact's number is removed (the next one, if any, moves up)."""
    contact = session.scalar(ctx.scoped(select(Contact), Contact).where(Contact.id == contact_id))
    if contact is None:
        return
    others = [phone for phone in (contact.other_phones or []) if phone != contact.phone]
    contact.phone = others[0] if others else None
    contact.other_phones = others[1:]


@dataclass(frozen=True)
class Progress:
    total: int
    called: int
    reached: int
    remaining: int
    by_status: dict[str, int]
    by_outcome: dict[str, int]
    answers: dict[str, dict[str, int]]

    @property
    def reach_rate(self) -> float:
        """Share of the calls made that reached the person (opposed and refused reached them)."""
        return self.reached / self.called if self.called else 0.0

    @property
    def done_share(self) -> float:
        return self.called / self.total if self.total else 0.0

    def as_json(self, call_list: CallList) -> dict[str, Any]:
        return {
            "list": call_list.id,
            "name": call_list.name,
            "total": self.total,
            "called": self.called,
            "reached": self.reached,
            "remaining": self.remaining,
            "reach_rate": round(self.reach_rate, 4),
            "by_status": self.by_status,
            "by_outcome": self.by_outcome,
            "answers": self.answers,
        }


REACHED = {CallOutcome.reached, CallOutcome.refused, CallOutcome.opposed, CallOutcome.callback}


def progress(session: Session, ctx: CampaignContext, *, list_id: int) -> Progress:
    get_call_list(session, ctx, list_id)
    scoped = select(CallEntry.status, func.count()).where(
        campaign_filter(CallEntry, ctx), CallEntry.list_id == list_id
    )
    by_status = {
        str(status): int(count)
        for status, count in session.execute(scoped.group_by(CallEntry.status))
    }
    outcomes_query = (
        select(CallEntry.outcome, func.count())
        .where(
            campaign_filter(CallEntry, ctx),
            CallEntry.list_id == list_id,
            CallEntry.outcome.is_not(None),
        )
        .group_by(CallEntry.outcome)
    )
    by_outcome = {str(outcome): int(count) for outcome, count in session.execute(outcomes_query)}
    answers: dict[str, Counter[str]] = {}
    answered = ctx.scoped(select(CallEntry.answers), CallEntry).where(
        CallEntry.list_id == list_id, CallEntry.called_at.is_not(None)
    )
    for entry_answers in session.scalars(answered):
        for question, answer in (entry_answers or {}).items():
            answers.setdefault(question, Counter())[answer] += 1
    called = sum(by_outcome.values())
    reached = sum(count for outcome, count in by_outcome.items() if outcome in REACHED)
    total = sum(by_status.values())
    remaining = by_status.get("pending", 0) + by_status.get("assigned", 0)
    return Progress(
        total=total,
        called=called,
        reached=reached,
        remaining=remaining,
        by_status=by_status,
        by_outcome=by_outcome,
        answers={question: dict(counts.most_common()) for question, counts in answers.items()},
    )


def batch_rows(
    session: Session, ctx: CampaignContext, entries: list[CallEntry]
) -> list[tuple[CallEntry, Contact]]:
    """The entries with their contacts (name, number for the ``tel:`` link)."""
    ids = [entry.contact_id for entry in entries]
    if not ids:
        return []
    contacts = {
        contact.id: contact
        for contact in session.scalars(
            ctx.scoped(select(Contact), Contact).where(Contact.id.in_(ids))
        )
    }
    return [
        (entry, contacts[entry.contact_id]) for entry in entries if entry.contact_id in contacts
    ]
