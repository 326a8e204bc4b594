"""Assesseurs and délégués: volunteers (CRM contacts) sign up for a bureau, a role and a time
slot under the rules of `assessor_rules` (each refusal names its article); the coverage list
of the bureaux still missing someone, priority bureaux first (the campaign's saved targeting,
`circo.targeting`); the designation letters to the mairie (one PDF per commune, R46 deadline
stated) and the day-of checklist."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext
from circo.electionday.assessor_rules import (
    ASSESSOR_SINGLE_BUREAU,
    DEADLINE_HOUR,
    DELEGATE_ELECTOR_OF_DEPARTMENT,
    DELEGATE_MAX_BUREAUX,
    ELECTOR_OF_DEPARTMENT,
    NOTIFICATION_DEADLINE,
    ONE_PER_ROLE_PER_BUREAU,
)
from circo.electionday.errors import NightError
from circo.electionday.models import AssessorPost, PostRole
from circo.elections.parsers.codes import department_of_commune
from circo.elections.territories import parse_territory
from circo.errors import CircoError

ROLE_NAMES = {
    "assesseur": PostRole.assessor,
    "assesseur-suppleant": PostRole.assessor_substitute,
    "delegue": PostRole.delegate,
    "delegue-suppleant": PostRole.delegate_substitute,
}
ASSESSOR_ROLES = (PostRole.assessor, PostRole.assessor_substitute)
# what a bureau needs to be covered: the titulaire assesseur and a délégué
NEEDED = (PostRole.assessor, PostRole.delegate)
_SLOT = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


class AssessorError(NightError):
    """A sign-up refused by a rule or bad input; the message names the rule's article."""


def parse_role(text: str) -> PostRole:
    role = ROLE_NAMES.get(text.strip().lower().replace("é", "e").replace("_", "-"))
    if role is None:
        raise AssessorError(
            f"rôle « {text} » non reconnu ; attendu {', '.join(ROLE_NAMES)}", loc="rôle"
        )
    return role


def parse_slot(text: str) -> tuple[str, str]:
    found = _SLOT.match(text.strip())
    if found is None or text.strip()[:5] >= text.strip()[6:]:
        raise AssessorError(
            f"créneau « {text} » illisible ; attendu HH:MM-HH:MM, ex. 08:00-13:00", loc="créneau"
        )
    return text.strip()[:5], text.strip()[6:]


def _overlap(a: AssessorPost, start: str, end: str) -> bool:
    return a.slot_start < end and start < a.slot_end


def signup(
    session: Session,
    ctx: CampaignContext,
    *,
    contact_id: int,
    station: str,
    role: str,
    round_number: int,
    vote_date: date,
    slot: str = "08:00-20:00",
    elector_commune: str,
    birth_date: date | None = None,
    birth_place: str = "",
) -> AssessorPost:
    """Record a designation after checking every rule; refused with the article at fault."""
    from circo.electionday.procurations import _contact

    _contact(session, ctx, contact_id)
    post_role = parse_role(role)
    start, end = parse_slot(slot)
    if round_number not in (1, 2):
        raise AssessorError(f"tour « {round_number} » invalide ; attendu 1 ou 2", loc="tour")
    try:
        station_key = parse_territory(f"bv:{station.strip()}").code
    except CircoError as exc:
        raise AssessorError(exc.message, loc="bureau") from exc
    commune = station_key.split("_")[0]
    department = department_of_commune(commune)
    elector = elector_commune.strip().upper()
    if not re.fullmatch(r"[0-9][0-9AB][0-9]{3}", elector):
        raise AssessorError(
            f"commune d'inscription « {elector_commune} » illisible ; attendu un code INSEE, "
            "ex. 69123",
            loc="commune d'inscription",
        )
    rule = ELECTOR_OF_DEPARTMENT if post_role in ASSESSOR_ROLES else DELEGATE_ELECTOR_OF_DEPARTMENT
    if department_of_commune(elector) != department:
        raise AssessorError(
            f"{rule.text} ({rule.article}) : inscrit à {elector}, hors du département "
            f"{department} du bureau {station_key}",
            loc="commune d'inscription",
        )
    posts = session.scalars(
        ctx.scoped(select(AssessorPost), AssessorPost).where(AssessorPost.round == round_number)
    ).all()
    for post in posts:
        same_post = post.station_key == station_key and post.role is post_role
        if same_post and _overlap(post, start, end):
            raise AssessorError(
                f"{ONE_PER_ROLE_PER_BUREAU.text} ({ONE_PER_ROLE_PER_BUREAU.article}) : le "
                f"bureau {station_key} a déjà ce rôle de {post.slot_start} à {post.slot_end} "
                f"(désignation n° {post.id})",
                loc="bureau",
            )
    mine = [post for post in posts if post.contact_id == contact_id]
    for post in mine:
        if post.station_key == station_key and _overlap(post, start, end):
            raise AssessorError(
                f"cette personne a déjà un rôle au bureau {station_key} sur ce créneau "
                f"(désignation n° {post.id})",
                loc="contact",
            )
        if post.station_key != station_key and (PostRole.assessor in (post.role, post_role)):
            raise AssessorError(
                f"{ASSESSOR_SINGLE_BUREAU.text} ({ASSESSOR_SINGLE_BUREAU.article}) : déjà "
                f"désignée au bureau {post.station_key}",
                loc="bureau",
            )
    if post_role is PostRole.delegate:
        bureaux = {p.station_key for p in mine if p.role is PostRole.delegate}
        if any(key.split("_")[0] != commune for key in bureaux):
            raise AssessorError(
                f"{DELEGATE_MAX_BUREAUX.text} : délégué déjà désigné dans une autre commune",
                loc="bureau",
            )
        if station_key not in bureaux and len(bureaux) >= (DELEGATE_MAX_BUREAUX.value or 0):
            raise AssessorError(
                f"{DELEGATE_MAX_BUREAUX.text} : déjà délégué dans {len(bureaux)} bureaux",
                loc="bureau",
            )
    post = AssessorPost(
        campaign_id=ctx.campaign_id, contact_id=contact_id, station_key=station_key,
        commune_code=commune, department_code=department, role=post_role,
        round=round_number, vote_date=vote_date, slot_start=start, slot_end=end,
        elector_commune=elector, birth_date=birth_date, birth_place=birth_place.strip(),
        delete_after=vote_date,
    )  # fmt: skip
    session.add(post)
    session.flush()
    return post


def withdraw_post(session: Session, ctx: CampaignContext, post_id: int) -> None:
    post = session.scalar(
        ctx.scoped(select(AssessorPost), AssessorPost).where(AssessorPost.id == post_id)
    )
    if post is None:
        raise AssessorError(f"désignation n° {post_id} introuvable", loc="désignation")
    session.delete(post)
    session.flush()


def deadline(vote_date: date, zone: str) -> datetime:
    """R46: 18 h (local time) on the third day before the vote."""
    day = vote_date - timedelta(days=NOTIFICATION_DEADLINE.value or 3)
    return datetime.combine(day, time(DEADLINE_HOUR), tzinfo=ZoneInfo(zone))


# --- coverage -----------------------------------------------------------------------------------


def _territory_ref(code: str) -> str:
    if ":" in code:
        return code
    if "-" in code:
        return f"circ:{code}"
    return f"com:{code}" if len(code) == 5 else f"dep:{code}"


# (database, campaign id) → (signature, ranking): one entry per campaign of each database
_RANKINGS: dict[tuple[str, int], tuple[str, tuple[dict[str, int], list[str], str]]] = {}
_RANKINGS_LOCK = threading.Lock()


def ranking_signature(session: Session, ctx: CampaignContext) -> str:
    """What the priority order depends on: the saved targeting choice, the campaign's territory
    and the imported elections (id, bureaux, import time: a re-import changes it)."""
    from circo.elections.models import Election

    elections = session.execute(
        select(Election.id, Election.stations, Election.imported_at).order_by(Election.id)
    ).all()
    stored = (ctx.campaign.settings or {}).get("targeting")
    text = json.dumps(
        [stored, ctx.campaign.territory_code, [list(row) for row in elections]],
        sort_keys=True, default=str,
    )  # fmt: skip
    return hashlib.sha256(text.encode()).hexdigest()


def priority_and_bureaux(
    session: Session, ctx: CampaignContext
) -> tuple[dict[str, int], list[str], str]:
    """`compute_priority`, computed once per campaign and kept in this process until what it
    depends on changes (`ranking_signature`): the assesseurs page and `circo assessors list`
    do not rank every bureau of the territory again on each load."""
    signature = ranking_signature(session, ctx)
    bind = session.get_bind()
    slot = (str(bind.engine.url), ctx.campaign_id)
    with _RANKINGS_LOCK:
        cached = _RANKINGS.get(slot)
    if cached is not None and cached[0] == signature:
        return cached[1]
    found = compute_priority(session, ctx)
    with _RANKINGS_LOCK:
        _RANKINGS[slot] = (signature, found)
    return found


def compute_priority(
    session: Session, ctx: CampaignContext
) -> tuple[dict[str, int], list[str], str]:
    """(rank of each priority bureau, the bureaux to cover, where the order comes from).
    The ranking is the campaign's saved targeting; the bureaux are those of its territory
    (the targeting's, else the campaign's) in the most recent imported election."""
    from circo.elections import repository as elections_repo
    from circo.targeting.preferences import load_choice
    from circo.targeting.service import load_keys, parse_election_round, target_stations

    ranks: dict[str, int] = {}
    keys: list[str] = []
    source = "aucun ciblage enregistré : bureaux dans l'ordre de leur code"
    choice = load_choice(ctx)
    if choice is not None:
        try:
            election = parse_election_round(choice.election, option="election")
            report = target_stations(
                session, election=election, territory=choice.territory,
                candidate=choice.candidate, weights=choice.weights,
            )  # fmt: skip
            ranks = {row["station"]: row["rank"] for row in report.rows()}
            keys = load_keys(session, election, choice.territory)
            source = f"ciblage de la campagne : {report.candidate} ({choice.election})"
        except CircoError as error:
            source = f"ciblage enregistré inutilisable ({error.message}) : ordre des codes"
    if not keys and ctx.campaign.territory_code:
        try:
            ref = parse_territory(_territory_ref(ctx.campaign.territory_code))
        except CircoError:
            ref = None
        if ref is not None:
            for election_row in elections_repo.list_elections(session):
                rows = elections_repo.station_rows(session, election_id=election_row.id, ref=ref)
                if rows:
                    keys = [row.station_key for row in rows]
                    break
    return ranks, keys, source


@dataclass
class BureauCover:
    station_key: str
    commune_code: str
    rank: int | None
    posts: list[AssessorPost]

    @property
    def missing(self) -> list[PostRole]:
        held = {post.role for post in self.posts}
        return [role for role in NEEDED if role not in held]


def coverage(session: Session, ctx: CampaignContext, *, round_number: int) -> dict[str, Any]:
    """Every bureau to cover with its designations; the uncovered ones (missing the titulaire
    assesseur or a délégué) priority bureaux first, then by code; counts."""
    ranks, keys, source = priority_and_bureaux(session, ctx)
    posts = session.scalars(
        ctx.scoped(select(AssessorPost), AssessorPost)
        .where(AssessorPost.round == round_number)
        .order_by(AssessorPost.station_key, AssessorPost.role, AssessorPost.slot_start)
    ).all()
    by_station: dict[str, list[AssessorPost]] = {}
    for post in posts:
        by_station.setdefault(post.station_key, []).append(post)
    every = sorted(set(keys) | set(by_station))
    covers = [
        BureauCover(key, key.split("_")[0], ranks.get(key), by_station.get(key, []))
        for key in every
    ]
    covers.sort(key=lambda c: (c.rank is None, c.rank or 0, c.station_key))
    uncovered = [cover for cover in covers if cover.missing]
    return {
        "round": round_number,
        "order": source,
        "bureaux": covers,
        "uncovered": uncovered,
        "counts": {
            "bureaux": len(covers),
            "covered": len(covers) - len(uncovered),
            "uncovered": len(uncovered),
            "priority_uncovered": sum(1 for cover in uncovered if cover.rank is not None),
            "posts": len(posts),
        },
    }


def coverage_json(session: Session, ctx: CampaignContext, *, round_number: int) -> dict[str, Any]:
    """The contract of `circo assessors list --json`."""
    found = coverage(session, ctx, round_number=round_number)

    def bureau(cover: BureauCover) -> dict[str, Any]:
        return {
            "bureau": cover.station_key,
            "priority": cover.rank,
            "missing": [role.value for role in cover.missing],
            "posts": [
                {
                    "id": p.id,
                    "contact": p.contact_id,
                    "role": p.role.value,
                    "slot": f"{p.slot_start}-{p.slot_end}",
                }
                for p in cover.posts
            ],
        }

    return {
        "round": round_number,
        "order": found["order"],
        "counts": found["counts"],
        "uncovered": [bureau(cover) for cover in found["uncovered"]],
        "bureaux": [bureau(cover) for cover in found["bureaux"]],
    }
