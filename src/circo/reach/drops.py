"""Leaflet drop rounds: the letterboxes (dwellings) of priority bureaux, cut into turfs by the
field turf cutter, a leaflet chosen, "done" per building from the phone (idempotent), and the
coverage per bureau (letterboxes reached / total).

A round owns a field turf plan (`circo.field.service.create_plan`): its turfs and their stops
(one stop = one building, ``dwellings`` = its letterboxes) are the field domain's tables; a
building done is a `DropDone` row, unique per (round, building). Nothing here names a person
but the volunteer (a user) who marked a building done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from circo.core import audit
from circo.core.models import Role
from circo.core.tenancy import CampaignContext
from circo.db import utcnow
from circo.errors import NotFound
from circo.field import service as field_service
from circo.field.models import Turf, TurfStop
from circo.field.turfs.plan import Address
from circo.privacy.calendar import check_calendar
from circo.privacy.errors import CalendarBlocked
from circo.reach.errors import ReachError
from circo.reach.models import DropDone, DropRound

MANAGERS = (Role.organiser, Role.data)
LETTERBOXES_PER_TURF = 250  # one volunteer's evening of leafleting
MAX_BUREAUX = 200


# --- choosing the bureaux and the leaflet -----------------------------------------------------


def priority_bureaux(session: Session, ctx: CampaignContext, *, count: int) -> list[str]:
    """The ``count`` first bureaux of the campaign's saved targeting ranking."""
    from circo.targeting.preferences import load_choice
    from circo.targeting.service import parse_election_round, target_stations

    if not 1 <= count <= MAX_BUREAUX:
        raise ReachError(
            f"nombre de bureaux invalide : {count} (entre 1 et {MAX_BUREAUX}, ex. 5)",
            loc="bureaux",
        )
    choice = load_choice(ctx)
    if choice is None:
        raise ReachError(
            "aucun ciblage enregistré pour classer les bureaux : choisissez l'élection et le "
            "candidat dans Ciblage, ou donnez les bureaux (ex. 29039_1,29039_2)",
            loc="bureaux",
        )
    report = target_stations(
        session,
        election=parse_election_round(choice.election, option="election"),
        territory=choice.territory,
        candidate=choice.candidate,
        weights=choice.weights,
        informed_by=(
            parse_election_round(choice.transfers_from, option="transfers_from")
            if choice.transfers_from
            else None
        ),
    )
    return [str(row["station"]) for row in report.rows()[:count]]


def parse_bureaux(session: Session, ctx: CampaignContext, text: str) -> list[str]:
    """``"5"``: the 5 priority bureaux of the targeting; ``"29039_1,29039_2"``: these ones."""
    value = text.strip()
    if not value:
        raise ReachError(
            "précisez les bureaux : un nombre (les N premiers du ciblage, ex. 5) ou des codes "
            "(ex. 29039_1,29039_2)",
            loc="bureaux",
        )
    if value.isdigit():
        return priority_bureaux(session, ctx, count=int(value))
    return [code.strip() for code in value.split(",") if code.strip()]


def resolve_leaflet(session: Session, ctx: CampaignContext, name: str) -> tuple[str, int | None]:
    """The leaflet of a round: one of the assistant's leaflets (by number or topic), or a name."""
    from circo.assistant.models import Leaflet

    text = name.strip()
    if not text:
        raise ReachError("précisez le tract distribué (ex. « Programme »)", loc="leaflet")
    if len(text) > 200:
        raise ReachError("nom du tract trop long (200 caractères au plus)", loc="leaflet")
    query = ctx.scoped(select(Leaflet), Leaflet)
    found = None
    if text.isdigit():
        found = session.scalar(query.where(Leaflet.id == int(text)))
    if found is None:
        found = session.scalar(
            query.where(func.lower(Leaflet.topic) == text.lower()).order_by(Leaflet.id.desc())
        )
    if found is None:
        return text, None
    title = str((found.content or {}).get("title") or found.topic)[:200]
    return title, found.id


def leaflet_choices(session: Session, ctx: CampaignContext) -> list[tuple[int, str]]:
    from circo.assistant.models import Leaflet

    rows = session.scalars(ctx.scoped(select(Leaflet), Leaflet).order_by(Leaflet.id.desc()))
    return [(row.id, str((row.content or {}).get("title") or row.topic)) for row in rows]


# --- rounds -----------------------------------------------------------------------------------


def create_round(
    session: Session,
    ctx: CampaignContext,
    *,
    leaflet: str,
    bureaux: Sequence[str],
    addresses: Sequence[Address] | None = None,
    source: str = "reu",
    letterboxes_per_turf: int = LETTERBOXES_PER_TURF,
    name: str = "",
) -> DropRound:
    """Cut the letterboxes of ``bureaux`` into drop turfs (REU addresses imported for them, or
    ``addresses``) and store the round."""
    from circo.field import sources

    ctx.require(*MANAGERS)
    title, leaflet_id = resolve_leaflet(session, ctx, leaflet)
    chosen = [code for code in bureaux if code]
    if addresses is None:
        rows = sources.reu_addresses(session, station_keys=chosen)
    else:
        rows = sources.filter_bureaux(list(addresses), chosen)
    if not 1 <= letterboxes_per_turf <= 10_000:
        raise ReachError(
            f"boîtes aux lettres par secteur invalide : {letterboxes_per_turf} (ex. 250)",
            loc="letterboxes_per_turf",
        )
    plan = field_service.create_plan(
        session,
        ctx,
        addresses=rows,
        doors_per_turf=letterboxes_per_turf,
        source=source,
        name=f"Tractage — {title}"[:200],
        bureaux=chosen,
    )
    drop = DropRound(
        campaign_id=ctx.campaign_id,
        name=(name.strip() or f"Tractage {title}")[:200],
        leaflet=title,
        leaflet_id=leaflet_id,
        plan_id=plan.id,
        bureaux=sorted({row.bureau for row in rows if row.bureau}),
        letterboxes=sum(row.dwellings for row in rows),
        created_by=ctx.actor.email,
    )
    session.add(drop)
    session.flush()
    audit.record(
        session,
        actor=ctx.actor,
        action="reach.drop_round",
        campaign_id=ctx.campaign_id,
        target_type="drop_round",
        target_id=drop.id,
        details={"bureaux": len(drop.bureaux), "letterboxes": drop.letterboxes},
    )
    return drop


def list_rounds(session: Session, ctx: CampaignContext) -> list[DropRound]:
    return list(session.scalars(ctx.scoped(select(DropRound), DropRound).order_by(DropRound.id)))


def get_round(session: Session, ctx: CampaignContext, round_id: int) -> DropRound:
    found = session.scalar(ctx.scoped(select(DropRound), DropRound).where(DropRound.id == round_id))
    if found is None:
        raise NotFound(f"tournée de tractage {round_id} introuvable", loc="round")
    return found


def round_turfs(session: Session, ctx: CampaignContext, drop: DropRound) -> list[Turf]:
    return list(
        session.scalars(
            ctx.scoped(select(Turf), Turf).where(Turf.plan_id == drop.plan_id).order_by(Turf.id)
        )
    )


def get_turf(session: Session, ctx: CampaignContext, drop: DropRound, turf_id: int) -> Turf:
    turf = session.scalar(
        ctx.scoped(select(Turf), Turf).where(Turf.id == turf_id, Turf.plan_id == drop.plan_id)
    )
    if turf is None:
        raise NotFound(f"secteur {turf_id} introuvable dans la tournée {drop.id}", loc="turf")
    return turf


@dataclass(frozen=True)
class Building:
    """A building of a round (a field turf stop) with its turf, as plain columns."""

    id: int
    position: int
    address_ref: str
    label: str
    street: str | None
    lat: float
    lon: float
    letterboxes: int
    turf_id: int
    turf_name: str
    turf_letterboxes: int
    bureau: str | None


def _stops(
    session: Session, ctx: CampaignContext, drop: DropRound, *, ids: Sequence[int] | None = None
) -> list[Building]:
    """The round's buildings in walking order (columns only: a round has tens of thousands)."""
    query = (
        field_service.scoped(
            ctx,
            select(
                TurfStop.id,
                TurfStop.position,
                TurfStop.address_ref,
                TurfStop.label,
                TurfStop.street,
                TurfStop.lat,
                TurfStop.lon,
                TurfStop.dwellings,
                Turf.id,
                Turf.name,
                Turf.doors,
                Turf.bureau,
            ),
            TurfStop,
        )
        .join(Turf, Turf.id == TurfStop.turf_id)
        .where(Turf.plan_id == drop.plan_id)
        .order_by(Turf.id, TurfStop.position)
    )
    if ids is not None:
        query = query.where(TurfStop.id.in_(sorted(set(ids))))
    return [Building(*cast(tuple[Any, ...], row)) for row in session.execute(query).all()]


def _done_ids(session: Session, ctx: CampaignContext, round_id: int) -> set[int]:
    return set(
        session.scalars(
            ctx.scoped(select(DropDone.stop_id), DropDone).where(DropDone.round_id == round_id)
        )
    )


# --- done per building ------------------------------------------------------------------------


@dataclass(frozen=True)
class DoneResult:
    round_id: int
    building: int
    status: str  # "created" or "duplicate"

    def as_json(self) -> dict[str, Any]:
        return {"round": self.round_id, "building": self.building, "status": self.status}


def mark_done(
    session: Session,
    ctx: CampaignContext,
    *,
    round_id: int,
    building: int,
    done_at: datetime | None = None,
) -> DoneResult:
    """Mark a building of the round done. Idempotent: a second mark (the phone's retry, another
    volunteer) is ``duplicate`` and changes nothing — also under concurrent requests (unique
    index, savepoint)."""
    result = sync_done(
        session, ctx, round_id=round_id, items=[{"building": building, "done_at": done_at}]
    )[0]
    if result["status"] == "rejected":
        if result.get("rule"):
            raise CalendarBlocked(result["message"], loc=result["rule"])
        raise NotFound(result["message"], loc="building")
    return DoneResult(round_id, building, result["status"])


def sync_done(
    session: Session, ctx: CampaignContext, *, round_id: int, items: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """A batch of buildings marked done (offline): each answered ``created``, ``duplicate`` or
    ``rejected`` (with the reason), so the phone keeps only what was refused. Three queries for
    the batch, then one insert per new building, each in a savepoint: a concurrent request that
    marked the same building first makes it ``duplicate``, never an error."""
    drop = get_round(session, ctx, round_id)
    wanted = [int(item["building"]) for item in items]
    known = {b.id: b for b in _stops(session, ctx, drop, ids=wanted)}
    done = set(
        session.scalars(
            ctx.scoped(select(DropDone.stop_id), DropDone).where(
                DropDone.round_id == drop.id, DropDone.stop_id.in_(sorted(known))
            )
        )
    )
    now = utcnow()
    results: list[dict[str, Any]] = []
    for item, building_id in zip(items, wanted, strict=True):
        building = known.get(building_id)
        if building is None:
            results.append(
                {
                    "building": building_id,
                    "status": "rejected",
                    "message": f"immeuble {building_id} introuvable dans la tournée {drop.id}",
                }
            )
            continue
        when = _when(item.get("done_at"), now)
        blackout = check_calendar(ctx.campaign, when, "message")
        if not blackout.allowed:  # L49: no document distributed from the eve of the vote
            results.append(
                {
                    "building": building_id,
                    "status": "rejected",
                    "rule": blackout.rule,
                    "message": f"distribution refusée : {blackout.reason}",
                }
            )
            continue
        status = (
            "duplicate" if building_id in done else _insert_done(session, ctx, drop, building, when)
        )
        done.add(building_id)
        results.append({"round": drop.id, "building": building_id, "status": status})
    return results


def _when(done_at: datetime | None, now: datetime) -> datetime:
    """The phone's time when it is plausible (not in the future), else now."""
    if done_at is None:
        return now
    if done_at.tzinfo is None:
        done_at = done_at.replace(tzinfo=UTC)
    return done_at if done_at <= now else now


def _insert_done(
    session: Session, ctx: CampaignContext, drop: DropRound, building: Building, when: datetime
) -> str:
    try:
        with session.begin_nested():
            session.add(
                DropDone(
                    campaign_id=ctx.campaign_id,
                    round_id=drop.id,
                    stop_id=building.id,
                    bureau=building.bureau,
                    letterboxes=building.letterboxes,
                    user_id=ctx.actor.user_id,
                    done_at=when,
                )
            )
            session.flush()
    except IntegrityError:
        return "duplicate"
    return "created"


# --- what the phone and the pages show --------------------------------------------------------


def round_json(session: Session, ctx: CampaignContext, round_id: int) -> dict[str, Any]:
    """The round for the phone: its turfs, their buildings in walking order, done or not."""
    drop = get_round(session, ctx, round_id)
    done = _done_ids(session, ctx, drop.id)
    turfs: dict[int, dict[str, Any]] = {}
    for stop in _stops(session, ctx, drop):
        entry = turfs.setdefault(
            stop.turf_id,
            {
                "id": stop.turf_id,
                "name": stop.turf_name,
                "bureau": stop.bureau,
                "letterboxes": stop.turf_letterboxes,
                "buildings": [],
            },
        )
        entry["buildings"].append(
            {
                "id": stop.id,
                "position": stop.position + 1,
                "label": stop.label or stop.street or f"{stop.lat:.5f}, {stop.lon:.5f}",
                "lat": stop.lat,
                "lon": stop.lon,
                "letterboxes": stop.letterboxes,
                "done": stop.id in done,
            }
        )
    return {
        "id": drop.id,
        "name": drop.name,
        "leaflet": drop.leaflet,
        "turfs": list(turfs.values()),
    }


def coverage(session: Session, ctx: CampaignContext, round_id: int) -> dict[str, Any]:
    """Letterboxes reached / total and buildings done / total, per bureau and overall."""
    drop = get_round(session, ctx, round_id)
    done = _done_ids(session, ctx, drop.id)
    per: dict[str, dict[str, int]] = {}
    for stop in _stops(session, ctx, drop):
        row = per.setdefault(
            stop.bureau or "",
            {"reached": 0, "total": 0, "buildings_done": 0, "buildings": 0},
        )
        row["total"] += stop.letterboxes
        row["buildings"] += 1
        if stop.id in done:
            row["reached"] += stop.letterboxes
            row["buildings_done"] += 1
    bureaux: list[dict[str, Any]] = [
        {"bureau": key, **values} for key, values in sorted(per.items())
    ]
    reached = sum(values["reached"] for values in per.values())
    total = sum(values["total"] for values in per.values())
    return {
        "round": drop.id,
        "leaflet": drop.leaflet,
        "letterboxes": {"reached": reached, "total": total},
        "buildings": {
            "done": sum(values["buildings_done"] for values in per.values()),
            "total": sum(values["buildings"] for values in per.values()),
        },
        "bureaux": bureaux,
    }


def coverage_points(session: Session, ctx: CampaignContext, round_id: int) -> list[Any]:
    """The buildings of the round as map points, done ones in green."""
    from circo.reach.pointmap import Point

    drop = get_round(session, ctx, round_id)
    done = _done_ids(session, ctx, drop.id)
    return [
        Point(
            lat=stop.lat,
            lon=stop.lon,
            colour="#2f855a" if stop.id in done else "#c53030",
            title=f"{stop.label or stop.address_ref} — {stop.letterboxes} boîte(s)",
            size=min(9.0, 3.0 + stop.letterboxes**0.5),
        )
        for stop in _stops(session, ctx, drop)
    ]
