"""Results night: enter procès-verbaux (file or phone), and project the final result.

Services take the session first and flush, never commit: `circo night enter` and the pages
commit once, so a batch is all or nothing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext
from circo.db import utcnow
from circo.electionday import repository as repo
from circo.electionday.errors import NightError, PvConflict, PvRefused
from circo.electionday.models import NightResult, NightVotes, PvSource
from circo.electionday.pv import Pv, PvVotes, check_pv
from circo.elections.territories import (
    TerritoryRef,
    check_round,
    parse_election_key,
    parse_territory,
)


def election_key(text: str, round_number: int) -> str:
    """The checked election key (``pres-2027``) of tonight's election."""
    check_round(round_number)
    return parse_election_key(text).key


def read_pv_file(path: Path, *, round_number: int) -> list[Pv]:
    """Every bureau of a results file, in any layout `circo import results` reads."""
    from circo.elections.importing import parse_error
    from circo.elections.parsers import ParseError, read_results

    if not path.is_file():
        raise NightError(f"fichier introuvable : {path}", loc="--file")
    pvs: list[Pv] = []
    try:
        for station in read_results(path, round=round_number):
            where = f"{path.name}, ligne {station.line}"
            for column, value in (("Inscrits", station.registered), ("Votants", station.voters)):
                if value is None:
                    raise PvRefused(
                        f"bureau {station.station_key} : colonne {column} absente ou vide "
                        "(attendue sur un procès-verbal)",
                        loc=where,
                    )
            pvs.append(
                Pv(
                    station_key=station.station_key,
                    commune_code=station.commune_code,
                    commune_name=station.commune_name,
                    department_code=station.department_code,
                    constituency_code=station.constituency_code,
                    registered=station.registered or 0,
                    voters=station.voters or 0,
                    blank=station.blank or 0,
                    null_votes=(
                        station.null_votes
                        if station.null_votes is not None
                        else (station.blank_and_null or 0)
                    ),
                    valid_votes=station.valid_votes,
                    candidates=tuple(PvVotes(c.name, c.label, c.votes) for c in station.candidates),
                    where=where,
                )
            )
    except ParseError as exc:
        raise parse_error(exc) from exc
    return pvs


def stored_pv(row: NightResult, votes: Sequence[NightVotes]) -> Pv:
    return Pv(
        station_key=row.station_key,
        commune_code=row.commune_code,
        commune_name=row.commune_name,
        department_code=row.department_code,
        constituency_code=row.constituency_code,
        registered=row.registered,
        voters=row.voters,
        blank=row.blank,
        null_votes=row.null_votes,
        valid_votes=row.valid_votes,
        candidates=tuple(PvVotes(v.name, v.label, v.votes) for v in votes),
        where=row.source_ref,
    )


@dataclass
class EntryReport:
    added: int = 0
    confirmed: int = 0
    total: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"added": self.added, "confirmed": self.confirmed, "entered": self.total}


def enter_pvs(
    session: Session,
    ctx: CampaignContext,
    *,
    election: str,
    round_number: int,
    pvs: Iterable[Pv],
    source: PvSource,
    client_id: str | None = None,
) -> EntryReport:
    """Add PVs to what is entered for the election round: every PV is checked first, then a
    bureau already entered with the same figures is confirmed, with different ones refused
    (`PvConflict` naming both versions) — nothing is written unless the whole batch passes."""
    key = election_key(election, round_number)
    batch = list(pvs)
    seen: dict[str, Pv] = {}
    for pv in batch:
        check_pv(pv)
        earlier = seen.get(pv.station_key)
        if earlier is not None and earlier.figures() != pv.figures():
            raise PvConflict(_conflict(pv.station_key, earlier, pv), loc=pv.where)
        seen[pv.station_key] = pv
    existing = repo.entered(session, ctx, election_key=key, round_number=round_number)
    stored_votes = repo.votes_of(session, [existing[k].id for k in seen if k in existing])
    for station_key, pv in seen.items():
        row = existing.get(station_key)
        if row is not None:
            before = stored_pv(row, stored_votes[row.id])
            if before.figures() != pv.figures():
                raise PvConflict(_conflict(station_key, before, pv), loc=pv.where)
    report = EntryReport()
    now = utcnow()
    for station_key, pv in seen.items():
        row = existing.get(station_key)
        if row is not None:
            row.confirmations += 1
            row.confirmed_at = now
            row.confirmed_by_user_id = ctx.actor.user_id
            report.confirmed += 1
            continue
        _insert(session, ctx, key, round_number, pv, source, client_id)
        report.added += 1
    session.flush()
    report.total = len(existing) + report.added
    return report


def _insert(
    session: Session,
    ctx: CampaignContext,
    key: str,
    round_number: int,
    pv: Pv,
    source: PvSource,
    client_id: str | None,
) -> NightResult:
    row = NightResult(
        campaign_id=ctx.campaign_id,
        election_key=key,
        round=round_number,
        station_key=pv.station_key,
        commune_code=pv.commune_code,
        commune_name=pv.commune_name,
        department_code=pv.department_code,
        constituency_code=pv.constituency_code,
        registered=pv.registered,
        voters=pv.voters,
        blank=pv.blank,
        null_votes=pv.null_votes,
        valid_votes=pv.valid_votes,
        source=source,
        source_ref=pv.where[:300],
        client_id=client_id,
        confirmations=0,
        entered_by_user_id=ctx.actor.user_id,
    )
    session.add(row)
    session.flush()
    for position, candidate in enumerate(pv.candidates):
        session.add(
            NightVotes(
                result_id=row.id,
                position=position,
                name=candidate.name[:300],
                label=(candidate.label or None) and candidate.label[:40],
                votes=candidate.votes,
            )
        )
    return row


def _conflict(station_key: str, before: Pv, after: Pv) -> str:
    return (
        f"bureau {station_key} déjà saisi avec d'autres chiffres — saisie précédente "
        f"({before.where}) : {before.describe()} ; nouvelle saisie ({after.where}) : "
        f"{after.describe()}. Corrigez l'une des deux ; rien n'a été enregistré"
    )


def enter_file(
    session: Session, ctx: CampaignContext, *, election: str, round_number: int, path: Path
) -> dict[str, Any]:
    """`circo night enter`: a batch file of bureau results, added to what is entered."""
    key = election_key(election, round_number)
    pvs = read_pv_file(path, round_number=round_number)
    if not pvs:
        raise NightError("le fichier ne contient aucun bureau", loc=path.name)
    report = enter_pvs(
        session, ctx, election=key, round_number=round_number, pvs=pvs, source=PvSource.file
    )
    return {"election": key, "round": round_number, "file": path.name, **report.as_dict()}


def territory_ref(text: str) -> TerritoryRef:
    """A territory key (``dep:69``, ``circ:69-01``, ``com:69123``, ``fr``), or a bare code: a
    département (``69``, ``2A``, ``971``), a circonscription (``69-01``), a commune (``69123``)."""
    value = text.strip()
    if ":" in value or value.lower() in ("fr", "france"):
        return parse_territory(value)
    if "-" in value:
        return parse_territory(f"circ:{value}")
    if len(value) == 5:
        return parse_territory(f"com:{value}")
    return parse_territory(f"dep:{value}")


def parse_reference(text: str) -> tuple[str, int]:
    """``pres-2022:1`` → (``pres-2022``, 1)."""
    key, sep, round_text = text.strip().rpartition(":")
    if not sep or not round_text.strip().isdigit():
        raise NightError(
            f"référence « {text} » non reconnue ; attendu ÉLECTION:TOUR, ex. pres-2022:1",
            loc="--reference",
        )
    return parse_election_key(key).key, check_round(int(round_text))


def project(
    session: Session,
    ctx: CampaignContext,
    *,
    election: str,
    round_number: int,
    reference: str,
    territory: str,
    n_boot: int = 200,
) -> dict[str, Any]:
    """`circo night project`: the contract ``{"reported_bureaux", "expected_bureaux",
    "candidates": [{"name", "share", "low", "high"}]}`` plus what the projection assumes."""
    from circo.analysis.projection import ASSUMPTIONS, NightProjection
    from circo.elections.service import get_election

    key = election_key(election, round_number)
    reference_key, reference_round = parse_reference(reference)
    ref = territory_ref(territory)
    reference_election = get_election(session, key=reference_key, round_number=reference_round)
    ref_names, ref_stations = repo.reference_stations(
        session, election_id=reference_election.id, ref=ref
    )
    rows = repo.entered_in(session, ctx, election_key=key, round_number=round_number, ref=ref)
    votes = repo.votes_of(session, [row.id for row in rows])
    names: list[str] = []
    for row in rows:
        for vote in votes[row.id]:
            if vote.name not in names:
                names.append(vote.name)
    counted = {row.station_key for row in rows}
    expected = len(counted | set(ref_stations))
    if not rows:
        return {"reported_bureaux": 0, "expected_bureaux": expected, "candidates": []}
    column = {name: position for position, name in enumerate(names)}
    tonight = np.zeros((len(rows), len(names)))
    for index, row in enumerate(rows):
        for vote in votes[row.id]:
            tonight[index, column[vote.name]] = vote.votes
    matched = np.array([row.station_key in ref_stations for row in rows])
    if not matched.any():
        raise NightError(
            f"aucun des {len(rows)} bureaux dépouillés n'a de résultat dans l'élection de "
            f"référence {reference_key} tour {reference_round} : choisissez une référence qui "
            "partage les codes de bureaux",
            loc="--reference",
        )
    counted_keys = [row.station_key for row in rows if row.station_key in ref_stations]
    uncounted = [k for k in sorted(ref_stations) if k not in counted]
    shares_c, rate_c, _ = _reference_arrays(counted_keys, ref_stations, len(ref_names))
    shares_u, rate_u, registered_u = _reference_arrays(uncounted, ref_stations, len(ref_names))
    model = NightProjection(n_boot=n_boot, random_state=0).fit(
        reference_shares=shares_c,
        reference_rate=rate_c,
        registered=np.array([row.registered for row in rows], dtype=float)[matched],
        votes=tonight[matched],
        unmatched_votes=tonight[~matched].sum(axis=0),
    )
    result = model.project(
        reference_shares=shares_u, reference_rate=rate_u, registered=registered_u
    )
    return {
        "reported_bureaux": len(rows),
        "expected_bureaux": expected,
        "candidates": [
            {
                "name": name,
                "share": round(float(result.shares[index]), 6),
                "low": round(float(result.low[index]), 6),
                "high": round(float(result.high[index]), 6),
            }
            for index, name in enumerate(names)
        ],
        "naive": {name: round(float(result.naive[index]), 6) for index, name in enumerate(names)},
        "reference": {"election": reference_key, "round": reference_round},
        "territory": ref.key,
        "assumptions": list(ASSUMPTIONS),
    }


def _reference_arrays(
    keys: Sequence[str], stations: dict[str, tuple[int, int, dict[int, int]]], width: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    shares = np.zeros((len(keys), width))
    rate = np.zeros(len(keys))
    registered = np.zeros(len(keys))
    for index, key in enumerate(keys):
        station_registered, valid, votes = stations[key]
        for position, count in votes.items():
            shares[index, position] = count / valid if valid else 0.0
        rate[index] = valid / station_registered if station_registered else 0.0
        registered[index] = station_registered
    return shares, rate, registered
