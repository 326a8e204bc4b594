"""Results night, live: the PV typed on a phone (idempotent by the phone's entry id), the
aggregation by commune / circonscription / département with the share of bureaux and of
registered voters counted, the anomalies, and the export (a file `circo night enter` reads
back)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext
from circo.electionday import repository as repo
from circo.electionday.errors import NightError
from circo.electionday.models import NightResult, PvSource
from circo.electionday.pv import Pv, PvVotes
from circo.electionday.service import election_key, enter_pvs, parse_reference, stored_pv
from circo.elections.territories import TerritoryRef, parse_territory

LEVELS = {"dep": "department_code", "circ": "constituency_code", "com": "commune_code"}
TURNOUT_GAP = 0.10  # a bureau whose turnout moved 10 points more than the median is flagged
REGISTERED_GAP = 0.10  # … or whose registered voters differ by 10 % from the reference


@dataclass(frozen=True)
class PhonePv:
    """What the phone form sends."""

    client_id: str
    election: str
    round: int
    station: str  # "69123_0101" (or "69123 0101")
    registered: int
    voters: int
    blank: int
    null_votes: int
    valid_votes: int
    candidates: tuple[tuple[str, int], ...]


def _station_place(session: Session, station_key: str) -> tuple[str, str | None, str]:
    """(département, circonscription, commune name) of a bureau from any imported election."""
    from circo.elections.models import StationResult

    row = session.execute(
        select(StationResult.department_code, StationResult.constituency_code)
        .where(StationResult.station_key == station_key)
        .order_by(StationResult.election_id.desc())
        .limit(1)
    ).first()
    commune = station_key.split("_")[0]
    if row is not None:
        return str(row[0]), row[1], ""
    department = commune[:3] if commune.startswith("97") else commune[:2]
    return department, None, ""


def enter_phone_pv(session: Session, ctx: CampaignContext, pv: PhonePv) -> dict[str, Any]:
    """Enter a PV typed on a phone. Sent twice (the phone lost the answer and retries), the
    same ``client_id`` answers the stored entry without writing anything."""
    key = election_key(pv.election, pv.round)
    already = repo.by_client_id(session, ctx, pv.client_id)
    if already is not None:
        return {"status": "already", "station": already.station_key, "id": already.id}
    try:
        station = parse_territory(f"bv:{pv.station.strip().replace(' ', '_')}").code
    except NightError:
        raise
    except Exception as exc:  # InvalidTerritory: said in French with an example
        raise NightError(str(exc), loc="bureau") from exc
    department, constituency, commune_name = _station_place(session, station)
    entry = Pv(
        station_key=station,
        commune_code=station.split("_")[0],
        commune_name=commune_name,
        department_code=department,
        constituency_code=constituency,
        registered=pv.registered,
        voters=pv.voters,
        blank=pv.blank,
        null_votes=pv.null_votes,
        valid_votes=pv.valid_votes,
        candidates=tuple(PvVotes(name, None, votes) for name, votes in pv.candidates),
        where="saisie sur téléphone",
    )
    report = enter_pvs(
        session, ctx, election=key, round_number=pv.round, pvs=[entry],
        source=PvSource.phone, client_id=pv.client_id,
    )  # fmt: skip
    status = "confirmed" if report.confirmed else "added"
    stored = repo.entered(session, ctx, election_key=key, round_number=pv.round)[station]
    if report.confirmed and stored.client_id is None:
        stored.client_id = pv.client_id  # the phone's retry finds this entry
        session.flush()
    return {"status": status, "station": station, "id": stored.id}


def night_title(key: str, round_number: int) -> str:
    """« Présidentielle 2027 — 1er tour »."""
    from circo.elections.territories import ELECTION_NAMES, parse_election_key
    from circo.labels import election_title

    ref = parse_election_key(key)
    return election_title(f"{ELECTION_NAMES[ref.election_type]} {ref.year}", round_number)


def default_reference(session: Session, key: str, round_number: int) -> str:
    """The latest imported election other than tonight's (``pres-2022:1``), or ""."""
    from circo.elections.service import list_elections

    for row in list_elections(session):
        if (row["election"], row["round"]) != (key, round_number) and row["stations"]:
            return f"{row['election']}:{row['round']}"
    return ""


def nights(session: Session, ctx: CampaignContext) -> list[tuple[str, int]]:
    """(election key, round) of the nights entered, latest first."""
    return repo.nights(session, ctx)


def ballot(
    session: Session, ctx: CampaignContext, *, election: str, round_number: int
) -> list[str]:
    """Candidate names of the night, in the order of the first PV entered."""
    key = election_key(election, round_number)
    rows = repo.entered_in(
        session, ctx, election_key=key, round_number=round_number, ref=TerritoryRef("fr", "")
    )
    names: list[str] = []
    for votes in repo.votes_of(session, [row.id for row in rows]).values():
        for vote in votes:
            if vote.name not in names:
                names.append(vote.name)
    return names


@dataclass
class Area:
    """One territory's counted totals."""

    code: str
    name: str
    counted: int = 0
    expected: int | None = None
    registered: int = 0
    registered_expected: int | None = None
    voters: int = 0
    valid: int = 0
    votes: dict[str, int] = field(default_factory=dict)

    def as_dict(self, names: list[str]) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "counted_bureaux": self.counted,
            "expected_bureaux": self.expected,
            "bureaux_share": self.counted / self.expected if self.expected else None,
            "registered_counted": self.registered,
            "registered_share": (
                self.registered / self.registered_expected if self.registered_expected else None
            ),
            "turnout": self.voters / self.registered if self.registered else None,
            "candidates": [
                {
                    "name": name,
                    "votes": self.votes.get(name, 0),
                    "share": self.votes.get(name, 0) / self.valid if self.valid else None,
                }
                for name in names
            ],
        }


def aggregate(
    session: Session,
    ctx: CampaignContext,
    *,
    election: str,
    round_number: int,
    level: str = "dep",
    reference: str | None = None,
) -> dict[str, Any]:
    """Counted totals per territory of ``level`` (dep, circ, com) and overall, with the
    bureaux and registered voters expected from the reference election when one is given,
    and the anomalies (turnout far from the bureau's reference)."""
    if level not in LEVELS:
        raise NightError(f"niveau « {level} » inconnu ; attendu dep, circ ou com", loc="niveau")
    key = election_key(election, round_number)
    rows = repo.entered_in(
        session, ctx, election_key=key, round_number=round_number, ref=TerritoryRef("fr", "")
    )
    votes = repo.votes_of(session, [row.id for row in rows])
    names = ballot(session, ctx, election=key, round_number=round_number)
    ref_stations: dict[str, tuple[int, int, str]] = {}
    if reference:
        ref_stations = _reference_places(session, reference, rows, level)
    areas: dict[str, Area] = {}
    total = Area(code="", name="Total")
    for row in rows:
        code = getattr(row, LEVELS[level]) or "?"
        area = areas.setdefault(code, Area(code=code, name=_area_name(level, row)))
        for target in (area, total):
            target.counted += 1
            target.registered += row.registered
            target.voters += row.voters
            target.valid += row.valid_votes
            for vote in votes[row.id]:
                target.votes[vote.name] = target.votes.get(vote.name, 0) + vote.votes
    if reference:
        expected: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for registered, _valid, place in ref_stations.values():
            expected[place][0] += 1
            expected[place][1] += registered
        counted_keys = {row.station_key for row in rows}
        for code, area in areas.items():
            count, registered = expected.get(code, [0, 0])
            extra = sum(
                1
                for row in rows
                if (getattr(row, LEVELS[level]) or "?") == code
                and row.station_key not in ref_stations
            )
            area.expected, area.registered_expected = count + extra, registered or None
        total.expected = len(set(ref_stations) | counted_keys)
        total.registered_expected = sum(value[0] for value in ref_stations.values()) or None
    _name_areas(session, level, areas)
    return {
        "election": key,
        "round": round_number,
        "level": level,
        "candidates": names,
        "total": total.as_dict(names),
        "areas": [areas[code].as_dict(names) for code in sorted(areas)],
        "anomalies": anomalies(rows, ref_stations),
    }


def _name_areas(session: Session, level: str, areas: dict[str, Area]) -> None:
    """Territories by name (« Département Rhône (69) »), from the imported territories."""
    from circo.elections.service import territory_label

    for code, area in areas.items():
        if code != "?" and (level != "com" or area.name == code):
            area.name = territory_label(session, TerritoryRef(level, code))


def _area_name(level: str, row: NightResult) -> str:
    if level == "com":
        return row.commune_name or row.commune_code
    return row.department_code if level == "dep" else (row.constituency_code or "?")


def _reference_places(
    session: Session, reference: str, rows: Any, level: str
) -> dict[str, tuple[int, int, str]]:
    """Reference bureaux of the départements counted tonight: key → (registered, expressed,
    code of its territory at ``level``)."""
    from circo.elections.service import get_election

    reference_key, reference_round = parse_reference(reference)
    election = get_election(session, key=reference_key, round_number=reference_round)
    departments = sorted({row.department_code for row in rows})
    places: dict[str, tuple[int, int, str]] = {}
    for department in departments:
        for key, registered, valid, codes in repo.reference_places(
            session, election_id=election.id, department=department
        ):
            places[key] = (registered, valid, codes[level] or "?")
    return places


def anomalies(rows: Any, ref_stations: dict[str, tuple[int, int, str]]) -> list[dict[str, Any]]:
    """Bureaux whose expressed-vote rate moved far more than the median bureau since the
    reference, or whose registered voters differ much from it."""
    moves: dict[str, float] = {}
    found: list[dict[str, Any]] = []
    for row in rows:
        reference = ref_stations.get(row.station_key)
        if reference is None or not reference[0] or not row.registered:
            continue
        moves[row.station_key] = row.valid_votes / row.registered - reference[1] / reference[0]
        if abs(row.registered - reference[0]) > REGISTERED_GAP * reference[0]:
            found.append(
                {
                    "station": row.station_key,
                    "kind": "registered",
                    "message": f"inscrits {row.registered} contre {reference[0]} dans la référence",
                }
            )
    if moves:
        typical = median(moves.values())
        for station_key, move in sorted(moves.items()):
            if abs(move - typical) > TURNOUT_GAP:
                found.append(
                    {
                        "station": station_key,
                        "kind": "turnout",
                        "message": f"part des exprimés parmi les inscrits en écart de "
                        f"{(move - typical) * 100:+.1f} points avec l'évolution médiane",
                    }
                )
    return found


EXPORT_HEADERS = ["departement", "commune", "bureau", "circonscription", "commune_libelle",
                  "inscrits", "votants", "blancs", "exprimes"]  # fmt: skip


def export_rows(
    session: Session, ctx: CampaignContext, *, election: str, round_number: int
) -> tuple[list[str], list[list[Any]]]:
    """The entered PVs as a wide file (one column per candidate), in the layout of the
    "large" results files, so that `circo night enter` or `circo import results` reads it."""
    key = election_key(election, round_number)
    rows = repo.entered_in(
        session, ctx, election_key=key, round_number=round_number, ref=TerritoryRef("fr", "")
    )
    votes = repo.votes_of(session, [row.id for row in rows])
    names = ballot(session, ctx, election=key, round_number=round_number)
    lines = []
    for row in rows:
        pv = stored_pv(row, votes[row.id])
        by_name = {c.name: c.votes for c in pv.candidates}
        commune, _, bureau = row.station_key.partition("_")
        department = row.department_code
        circ = (row.constituency_code or "").partition("-")[2].lstrip("0")
        lines.append(
            [department, commune[len(department):] if commune.startswith(department) else commune,
             bureau, circ, row.commune_name, row.registered, row.voters, row.blank,
             row.valid_votes, *[by_name.get(name, 0) for name in names]]
        )  # fmt: skip
    return [*EXPORT_HEADERS, *names], lines


LOG_HEADERS = ["bureau", "commune", "source", "origine", "saisi_par", "saisi_le", "confirmations",
               "confirme_par", "photos"]  # fmt: skip


def entries(
    session: Session, ctx: CampaignContext, *, election: str, round_number: int
) -> list[dict[str, Any]]:
    """Every PV entered for the night, with who entered it, who confirmed it last, how many
    times it was confirmed (a second entry or the official file) and its photos."""
    from circo.core.models import User
    from circo.electionday.photos import photos_of

    key = election_key(election, round_number)
    rows = repo.entered_in(
        session, ctx, election_key=key, round_number=round_number, ref=TerritoryRef("fr", "")
    )
    user_ids = {row.entered_by_user_id for row in rows} | {row.confirmed_by_user_id for row in rows}
    wanted = sorted(user_id for user_id in user_ids if user_id is not None)
    users = {
        user.id: user.name or user.email
        for user in session.scalars(select(User).where(User.id.in_(wanted)))
    } if wanted else {}  # fmt: skip
    photos = photos_of(session, ctx, [row.id for row in rows])
    return [
        {
            "id": row.id,
            "station": row.station_key,
            "commune": row.commune_name or row.commune_code,
            "source": row.source.value,
            "source_ref": row.source_ref,
            "entered_by": users.get(row.entered_by_user_id or 0, ""),
            "entered_at": row.entered_at,
            "confirmations": row.confirmations,
            "confirmed_by": users.get(row.confirmed_by_user_id or 0, ""),
            "photos": [photo.id for photo in photos.get(row.id, [])],
        }
        for row in rows
    ]


def log_rows(
    session: Session, ctx: CampaignContext, *, election: str, round_number: int
) -> tuple[list[str], list[list[Any]]]:
    """The entry log as a CSV (who entered and confirmed each PV), for the export."""
    from circo.core.timezone import campaign_zone, to_local
    from circo.labels import label

    zone = campaign_zone(ctx.campaign)
    lines = [
        [entry["station"], entry["commune"], label(entry["source"], "pv_source"),
         entry["source_ref"], entry["entered_by"] or "système",
         to_local(entry["entered_at"], zone).strftime("%Y-%m-%d %H:%M"),
         entry["confirmations"], entry["confirmed_by"], len(entry["photos"])]
        for entry in entries(session, ctx, election=election, round_number=round_number)
    ]  # fmt: skip
    return LOG_HEADERS, lines
