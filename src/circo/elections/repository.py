"""Queries of the elections domain (the only place that builds SQL on its tables)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, func, select, true
from sqlalchemy.orm import Session

from circo.elections.models import (
    Candidate,
    CandidateVotes,
    Election,
    Geometry,
    Iris,
    IrisIndicator,
    ReuAddress,
    StationIris,
    StationResult,
    Territory,
)
from circo.elections.territories import PLM, TerritoryRef

TOTAL_COLUMNS = ("registered", "voters", "abstentions", "blank", "null_votes", "valid_votes")


def station_filter(ref: TerritoryRef) -> ColumnElement[bool]:
    """WHERE clause on `StationResult` selecting the bureaux of a territory."""
    if ref.level == "fr":
        return true()
    if ref.level == "reg":
        return StationResult.region_code == ref.code
    if ref.level == "dep":
        return StationResult.department_code == ref.code
    if ref.level == "circ":
        return StationResult.constituency_code == ref.code
    if ref.level == "arr" or (ref.level == "com" and is_arrondissement(ref.code)):
        return StationResult.arrondissement_code == ref.code
    if ref.level == "com":
        return StationResult.commune_code == ref.code
    return StationResult.station_key == ref.code


def is_arrondissement(code: str) -> bool:
    for first, count in PLM.values():
        if code.isdigit() and int(first) <= int(code) < int(first) + count:
            return True
    return False


def list_elections(session: Session) -> Sequence[Election]:
    return session.scalars(
        select(Election).order_by(Election.year.desc(), Election.key, Election.round)
    ).all()


def find_election(session: Session, *, key: str, round_number: int) -> Election | None:
    return session.scalar(
        select(Election).where(Election.key == key, Election.round == round_number)
    )


def totals(session: Session, *, election_id: int, ref: TerritoryRef) -> Row[Any]:
    columns = [func.coalesce(func.sum(getattr(StationResult, name)), 0) for name in TOTAL_COLUMNS]
    return session.execute(
        select(func.count(StationResult.id), *columns).where(
            StationResult.election_id == election_id, station_filter(ref)
        )
    ).one()


def candidate_totals(
    session: Session, *, election_id: int, ref: TerritoryRef
) -> list[tuple[Candidate, int]]:
    """(candidate, votes) summed over the bureaux of the territory."""
    if ref.level == "fr":
        sums = (
            select(CandidateVotes.candidate_id, func.sum(CandidateVotes.votes).label("votes"))
            .where(CandidateVotes.election_id == election_id)
            .group_by(CandidateVotes.candidate_id)
        )
    else:
        sums = (
            select(CandidateVotes.candidate_id, func.sum(CandidateVotes.votes).label("votes"))
            .join(StationResult, StationResult.id == CandidateVotes.station_result_id)
            .where(StationResult.election_id == election_id, station_filter(ref))
            .group_by(CandidateVotes.candidate_id)
        )
    votes_by_id = {candidate_id: int(votes) for candidate_id, votes in session.execute(sums)}
    if not votes_by_id:
        return []
    candidates = session.scalars(
        select(Candidate).where(Candidate.election_id == election_id)
    ).all()
    return [(c, votes_by_id[c.id]) for c in candidates if c.id in votes_by_id]


def station_rows(
    session: Session, *, election_id: int, ref: TerritoryRef
) -> Sequence[StationResult]:
    return session.scalars(
        select(StationResult)
        .where(StationResult.election_id == election_id, station_filter(ref))
        .order_by(StationResult.station_key)
    ).all()


def station_candidate_votes(
    session: Session, *, election_id: int, ref: TerritoryRef, candidate_ids: Sequence[int]
) -> dict[str, int]:
    """station_key → votes of the given candidates (summed) in the territory."""
    query = (
        select(StationResult.station_key, func.sum(CandidateVotes.votes))
        .join(CandidateVotes, CandidateVotes.station_result_id == StationResult.id)
        .where(
            StationResult.election_id == election_id,
            station_filter(ref),
            CandidateVotes.candidate_id.in_(list(candidate_ids)),
        )
        .group_by(StationResult.station_key)
    )
    return {key: int(votes) for key, votes in session.execute(query)}


def candidates_of(session: Session, *, election_id: int) -> Sequence[Candidate]:
    return session.scalars(
        select(Candidate).where(Candidate.election_id == election_id).order_by(Candidate.id)
    ).all()


def territory(session: Session, key: str) -> Territory | None:
    return session.get(Territory, key)


def children(session: Session, parent_key: str) -> Sequence[Territory]:
    return session.scalars(
        select(Territory).where(Territory.parent_key == parent_key).order_by(Territory.code)
    ).all()


def geometries(
    session: Session,
    *,
    kind: str,
    codes: Sequence[str] | None = None,
    department: str | None = None,
) -> Sequence[Geometry]:
    query = select(Geometry).where(Geometry.kind == kind)
    if codes is not None:
        query = query.where(Geometry.code.in_(list(codes)))
    if department is not None:
        query = query.where(Geometry.department_code == department)
    return session.scalars(query.order_by(Geometry.code)).all()


def iris_of_communes(session: Session, communes: Sequence[str]) -> Sequence[Iris]:
    return session.scalars(select(Iris).where(Iris.commune_code.in_(list(communes)))).all()


def iris_values(session: Session, iris_codes: Sequence[str]) -> dict[str, dict[str, float]]:
    """indicator → {iris_code: value} for the given IRIS."""
    found: dict[str, dict[str, float]] = {}
    codes = list(iris_codes)
    for start in range(0, len(codes), 900):
        query = select(IrisIndicator.indicator, IrisIndicator.iris_code, IrisIndicator.value).where(
            IrisIndicator.iris_code.in_(codes[start : start + 900])
        )
        for indicator, iris_code, value in session.execute(query):
            found.setdefault(indicator, {})[iris_code] = value
    return found


def station_iris(session: Session, station_keys: Sequence[str]) -> Sequence[StationIris]:
    keys = list(station_keys)
    rows: list[StationIris] = []
    for start in range(0, len(keys), 900):
        rows.extend(
            session.scalars(
                select(StationIris).where(StationIris.station_key.in_(keys[start : start + 900]))
            ).all()
        )
    return rows


def indicator_names(session: Session) -> list[str]:
    return list(
        session.scalars(
            select(IrisIndicator.indicator).distinct().order_by(IrisIndicator.indicator)
        )
    )


def communes_in(session: Session, ref: TerritoryRef) -> list[str]:
    """Commune codes having bureaux in the territory (any election)."""
    query = select(StationResult.commune_code).where(station_filter(ref)).distinct()
    return sorted(session.scalars(query))


def reu_points(session: Session, station_keys: Sequence[str]) -> list[ReuAddress]:
    keys = list(station_keys)
    rows: list[ReuAddress] = []
    for start in range(0, len(keys), 900):
        rows.extend(
            session.scalars(
                select(ReuAddress)
                .where(ReuAddress.station_key.in_(keys[start : start + 900]))
                .order_by(ReuAddress.station_key, ReuAddress.id)
            ).all()
        )
    return rows
