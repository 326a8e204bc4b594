"""Electoral roll (Code électoral L37) and émargement lists (L68).

The roll is given to candidates for political communication only. Enforced here: it is stored
with its purpose and election; it can be sorted and filtered by age, sex or bureau but never
selected by name or place of birth; it cannot be exported or used for ad targeting; it is purged
after the election (retention policy ``electoral_roll``). An émargement list (who voted in
round 1) may be imported between the rounds and is destroyed after round 2.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from circo.core import audit
from circo.core.tenancy import CampaignContext
from circo.crm import normalise
from circo.crm.errors import CrmError, ImportFileError, NotFound, RollUseRefused
from circo.crm.importer.reading import ParsedFile
from circo.crm.models import ElectoralRoll, RollEntry

ROLL_PURPOSE = "communication politique (Code électoral L37)"
EMARGEMENT_PURPOSE = "relance des abstentionnistes entre les deux tours (Code électoral L68)"
ROLL_RETENTION_DAYS = 183  # purged 6 months after the election
ROLL_COLUMNS: dict[str, tuple[str, ...]] = {
    "last_name": ("nom", "nom de naissance", "nom d usage", "last name"),
    "first_names": ("prenoms", "prenom", "first names", "first name"),
    "sex": ("sexe", "sex", "civilite"),
    "birth_date": ("date de naissance", "birth date", "ne le", "ne e le"),
    "birth_place": ("lieu de naissance", "commune de naissance", "birth place"),
    "address": ("adresse", "address"),
    "commune_code": ("code commune", "code insee", "commune"),
    "polling_station": ("bureau de vote", "bureau", "bv", "code bv"),
    "voted": ("a vote", "vote", "emargement", "voted", "emarge"),
}
SORTABLE = {
    "age": RollEntry.birth_date,
    "sex": RollEntry.sex,
    "polling_station": RollEntry.polling_station,
}
FORBIDDEN_CRITERIA = {"name", "last_name", "first_names", "birth_place", "address"}
FORBIDDEN_USES = {"export", "ads", "ad_targeting", "commercial", "other"}


@dataclass(frozen=True)
class RollFilter:
    """The only criteria allowed on a roll: age range, sex, bureaux (and voted, for L68)."""

    min_age: int | None = None
    max_age: int | None = None
    sex: str | None = None
    polling_stations: tuple[str, ...] = ()
    voted: bool | None = None


def _parse_date(value: str) -> date | None:
    text = value.strip()
    if not text:
        return None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"):
        try:
            from datetime import datetime

            return datetime.strptime(text[:10], pattern).date()
        except ValueError:
            continue
    raise ValueError(f"date de naissance invalide « {value} » (attendu JJ/MM/AAAA)")


def _roll_mapping(headers: list[str]) -> dict[str, int]:
    mapping: dict[str, int] = {}
    for index, header in enumerate(headers):
        folded = normalise.fold(header)
        for target, names in ROLL_COLUMNS.items():
            if target not in mapping and folded in names:
                mapping[target] = index
    return mapping


def import_roll(
    session: Session,
    ctx: CampaignContext,
    parsed: ParsedFile,
    *,
    kind: str,
    election_label: str,
    election_date: date,
    round_number: int | None = None,
    second_round_date: date | None = None,
    obtained_from: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ElectoralRoll:
    """Store a roll (kind ``roll``) or an émargement list (kind ``emargement``) with its
    purpose, election and purge date; atomic (a bad row: nothing is written)."""
    if kind not in ("roll", "emargement"):
        raise CrmError(f"type de liste inconnu « {kind} » (roll ou emargement)", loc="--kind")
    mapping = _roll_mapping(parsed.headers)
    if "last_name" not in mapping:
        raise ImportFileError(
            "colonne « Nom » absente de la liste électorale ; colonnes reçues : "
            + ", ".join(parsed.headers),
            loc=parsed.filename,
        )
    if kind == "emargement" and "voted" not in mapping:
        raise ImportFileError(
            "colonne « A voté » absente de la liste d'émargement", loc=parsed.filename
        )
    if kind == "roll":
        purge_after = (second_round_date or election_date) + timedelta(days=ROLL_RETENTION_DAYS)
    else:
        purge_after = second_round_date or election_date + timedelta(days=14)
    rows = []
    for index, cells in enumerate(parsed.rows):
        line = index + 2
        row: dict[str, Any] = {"campaign_id": ctx.campaign_id}
        for target, position in mapping.items():
            row[target] = cells[position].strip() or None
        try:
            row["birth_date"] = _parse_date(row.get("birth_date") or "")
        except ValueError as exc:
            raise ImportFileError(str(exc), loc=f"{parsed.filename}, ligne {line}") from None
        sex = (row.get("sex") or "").upper()[:1]
        row["sex"] = {"M": "M", "H": "M", "F": "F", "W": "F"}.get(sex)
        row["last_name"] = row.get("last_name") or ""
        row["first_names"] = row.get("first_names") or ""
        if "voted" in row:
            row["voted"] = normalise.fold(row["voted"] or "") in (
                "oui",
                "o",
                "1",
                "x",
                "true",
                "a vote",
            )
        rows.append(row)
    roll = ElectoralRoll(
        campaign_id=ctx.campaign_id,
        kind=kind,
        purpose=ROLL_PURPOSE if kind == "roll" else EMARGEMENT_PURPOSE,
        election_label=election_label,
        election_date=election_date,
        round_number=round_number,
        obtained_from=obtained_from,
        purge_after=purge_after,
        rows=len(rows),
    )
    session.add(roll)
    session.flush()
    for start in range(0, len(rows), 5000):
        chunk = [{**row, "roll_id": roll.id} for row in rows[start : start + 5000]]
        session.execute(insert(RollEntry), chunk)
        if progress:
            progress(start + len(chunk))
    audit.record(
        session,
        actor=ctx.actor,
        action="roll.import",
        campaign_id=ctx.campaign_id,
        target_type="electoral_roll",
        target_id=roll.id,
        details={"kind": kind, "rows": len(rows), "purge_after": purge_after.isoformat()},
    )
    return roll


def list_rolls(session: Session, ctx: CampaignContext) -> list[ElectoralRoll]:
    return list(
        session.scalars(ctx.scoped(select(ElectoralRoll), ElectoralRoll).order_by(ElectoralRoll.id))
    )


def get_roll(session: Session, ctx: CampaignContext, roll_id: int) -> ElectoralRoll:
    roll = session.scalar(
        ctx.scoped(select(ElectoralRoll), ElectoralRoll).where(ElectoralRoll.id == roll_id)
    )
    if roll is None:
        raise NotFound(f"liste {roll_id} introuvable", loc="roll")
    return roll


def refuse_criteria(criteria: dict[str, Any]) -> None:
    """Selecting by name or place of birth (or address) is refused (CNIL, L37)."""
    forbidden = sorted(set(criteria) & FORBIDDEN_CRITERIA)
    if forbidden:
        raise RollUseRefused(
            "la liste électorale ne peut pas être interrogée par nom, lieu de naissance ou "
            f"adresse (reçu : {', '.join(forbidden)}) ; critères permis : âge, sexe, bureau",
            loc="roll",
        )


def refuse_use(use: str) -> None:
    """Any use but political communication (export, ad targeting, commercial…) is refused."""
    raise RollUseRefused(
        f"usage « {use} » interdit : la liste électorale ne sert qu'à la communication "
        "politique (Code électoral L37) ; elle ne peut être ni exportée ni utilisée pour "
        "du ciblage publicitaire",
        loc="roll",
    )


def query_roll(
    session: Session,
    ctx: CampaignContext,
    *,
    roll_id: int,
    filters: RollFilter | None = None,
    sort_by: str = "polling_station",
    descending: bool = False,
    limit: int = 100,
    offset: int = 0,
    today: date | None = None,
    **forbidden: Any,
) -> tuple[list[RollEntry], int]:
    """Entries of a roll, filtered and sorted by age, sex or bureau only."""
    refuse_criteria(forbidden)
    if sort_by not in SORTABLE:
        refuse_criteria({sort_by: True}) if sort_by in FORBIDDEN_CRITERIA else None
        raise CrmError(
            f"tri « {sort_by} » impossible (âge, sexe ou bureau : age, sex, polling_station)",
            loc="sort",
        )
    roll = get_roll(session, ctx, roll_id)
    filters = filters or RollFilter()
    query = ctx.scoped(select(RollEntry), RollEntry).where(RollEntry.roll_id == roll.id)
    reference = today or date.today()
    if filters.min_age is not None:
        query = query.where(RollEntry.birth_date <= _years_before(reference, filters.min_age))
    if filters.max_age is not None:
        query = query.where(RollEntry.birth_date > _years_before(reference, filters.max_age + 1))
    if filters.sex:
        query = query.where(RollEntry.sex == filters.sex.upper()[:1])
    if filters.polling_stations:
        query = query.where(RollEntry.polling_station.in_(filters.polling_stations))
    if filters.voted is not None:
        query = query.where(RollEntry.voted.is_(filters.voted))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    column = SORTABLE[sort_by]
    # age ascending = youngest first = birth date descending
    ascending = not descending if sort_by != "age" else descending
    order = column.asc() if ascending else column.desc()
    rows = list(session.scalars(query.order_by(order, RollEntry.id).limit(limit).offset(offset)))
    audit.record(
        session,
        actor=ctx.actor,
        action="roll.read",
        campaign_id=ctx.campaign_id,
        target_type="electoral_roll",
        target_id=roll.id,
        details={"rows": len(rows), "sort": sort_by},
    )
    return rows, total


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def delete_roll(session: Session, ctx: CampaignContext, roll_id: int) -> int:
    roll = get_roll(session, ctx, roll_id)
    count = session.execute(delete(RollEntry).where(RollEntry.roll_id == roll.id)).rowcount  # type: ignore[attr-defined]
    session.delete(roll)
    session.flush()
    return int(count)
