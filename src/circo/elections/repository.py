"""Queries of the elections domain: with `circo.elections.results_query` (the results of a
territory, in plain SQL shared with the CLI's fast path), the only places that build SQL on its
tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.orm import Session

from circo.elections import results_query
from circo.elections.models import (
    Candidate,
    CandidateVotes,
    CommuneMerger,
    Election,
    Geometry,
    Iris,
    IrisIndicator,
    ReuAddress,
    StationIris,
    StationResult,
    Territory,
)
from circo.elections.results_query import TOTAL_COLUMNS as TOTAL_COLUMNS  # re-export
from circo.elections.results_query import TerritoryResults, station_column
from circo.elections.territories import TerritoryRef


def station_filter(ref: TerritoryRef) -> ColumnElement[bool]:
    """WHERE clause on `StationResult` selecting the bureaux of a territory."""
    column = station_column(ref)
    if column is None:
        return true()
    if column == "commune_code":  # with the bureaux filed under communes merged into it
        merged = select(CommuneMerger.old_code).where(CommuneMerger.current_code == ref.code)
        return or_(StationResult.commune_code == ref.code, StationResult.commune_code.in_(merged))
    return getattr(StationResult, column) == ref.code


def list_elections(session: Session) -> Sequence[Election]:
    return session.scalars(
        select(Election).order_by(Election.year.desc(), Election.key, Election.round)
    ).all()


def find_election(session: Session, *, key: str, round_number: int) -> Election | None:
    return session.scalar(
        select(Election).where(Election.key == key, Election.round == round_number)
    )


def territory_results(
    session: Session, *, election: Election, ref: TerritoryRef
) -> TerritoryResults | None:
    """`results_query.territory_results` run through the session (None: no bureau there)."""
    connection = session.connection()
    paramstyle = connection.dialect.paramstyle

    def execute(sql: str, params: Sequence[Any]) -> Sequence[Sequence[Any]]:
        statement = results_query.for_paramstyle(sql, paramstyle)
        return connection.exec_driver_sql(statement, tuple(params)).all()

    return results_query.territory_results(
        execute,
        election_id=election.id,
        election_key=election.key,
        round_number=election.round,
        ref=ref,
    )


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


def commune_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """INSEE commune (or arrondissement) code → name, for the codes that are known."""
    wanted = sorted({code for code in codes if code})
    if not wanted:
        return {}
    keys = [f"{level}:{code}" for code in wanted for level in ("com", "arr")]
    rows = session.execute(
        select(Territory.code, Territory.name).where(Territory.key.in_(keys), Territory.name != "")
    )
    return {str(code): str(name) for code, name in rows}


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
    commune: str | None = None,
) -> Sequence[Geometry]:
    query = select(Geometry).where(Geometry.kind == kind)
    if codes is not None:
        query = query.where(Geometry.code.in_(list(codes)))
    if department is not None:
        query = query.where(Geometry.department_code == department)
    if commune is not None:
        query = query.where(Geometry.commune_code == commune)
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


def stations_of_constituency(session: Session, constituency: str) -> set[str]:
    """The bureaux any imported election places in the circonscription (``"69-01"``)."""
    query = (
        select(StationResult.station_key)
        .where(StationResult.constituency_code == constituency)
        .distinct()
    )
    return set(session.scalars(query))
