"""Queries of the election-day domain (the only place building SQL on its tables), and the
read of a reference election's bureaux through the elections domain's filters."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext
from circo.electionday.models import NightResult, NightVotes
from circo.elections.models import Candidate, CandidateVotes, StationResult
from circo.elections.repository import station_filter
from circo.elections.territories import TerritoryRef


def night_filter(ref: TerritoryRef) -> ColumnElement[bool]:
    """WHERE clause on `NightResult` selecting the bureaux of a territory."""
    column = {
        "dep": NightResult.department_code,
        "circ": NightResult.constituency_code,
        "com": NightResult.commune_code,
        "bv": NightResult.station_key,
    }.get(ref.level)
    if ref.level == "fr":
        return true()
    if column is None:  # region or arrondissement: through the bureau key's commune
        return NightResult.station_key.like(f"{ref.code}\\_%", escape="\\")
    return column == ref.code


def entered(
    session: Session, ctx: CampaignContext, *, election_key: str, round_number: int
) -> dict[str, NightResult]:
    rows = session.scalars(
        ctx.scoped(select(NightResult), NightResult).where(
            NightResult.election_key == election_key, NightResult.round == round_number
        )
    ).all()
    return {row.station_key: row for row in rows}


def entered_in(
    session: Session,
    ctx: CampaignContext,
    *,
    election_key: str,
    round_number: int,
    ref: TerritoryRef,
) -> Sequence[NightResult]:
    return session.scalars(
        ctx.scoped(select(NightResult), NightResult)
        .where(
            NightResult.election_key == election_key,
            NightResult.round == round_number,
            night_filter(ref),
        )
        .order_by(NightResult.station_key)
    ).all()


def votes_of(session: Session, result_ids: Sequence[int]) -> dict[int, list[NightVotes]]:
    votes: dict[int, list[NightVotes]] = {result_id: [] for result_id in result_ids}
    for start in range(0, len(result_ids), 500):
        chunk = list(result_ids[start : start + 500])
        for row in session.scalars(
            select(NightVotes)
            .where(NightVotes.result_id.in_(chunk))
            .order_by(NightVotes.result_id, NightVotes.position)
        ):
            votes[row.result_id].append(row)
    return votes


def by_client_id(session: Session, ctx: CampaignContext, client_id: str) -> NightResult | None:
    return session.scalar(
        ctx.scoped(select(NightResult), NightResult).where(NightResult.client_id == client_id)
    )


def reference_stations(
    session: Session, *, election_id: int, ref: TerritoryRef
) -> tuple[list[str], dict[str, tuple[int, int, dict[int, int]]]]:
    """Candidate names of a reference election and, per bureau of the territory,
    (registered, expressed, {candidate index: votes})."""
    candidates = session.scalars(
        select(Candidate).where(Candidate.election_id == election_id).order_by(Candidate.id)
    ).all()
    index = {candidate.id: position for position, candidate in enumerate(candidates)}
    stations: dict[str, tuple[int, int, dict[int, int]]] = {}
    for key, registered, valid in session.execute(
        select(StationResult.station_key, StationResult.registered, StationResult.valid_votes)
        .where(StationResult.election_id == election_id, station_filter(ref))
    ):  # fmt: skip
        stations[key] = (int(registered), int(valid), {})
    for key, candidate_id, votes in session.execute(
        select(StationResult.station_key, CandidateVotes.candidate_id, CandidateVotes.votes)
        .join(CandidateVotes, CandidateVotes.station_result_id == StationResult.id)
        .where(StationResult.election_id == election_id, station_filter(ref))
    ):
        stations[key][2][index[candidate_id]] = int(votes)
    return [candidate.name for candidate in candidates], stations


def nights(session: Session, ctx: CampaignContext) -> list[tuple[str, int]]:
    """(election key, round) of the nights with PVs entered, latest entry first."""
    from sqlalchemy import func

    from circo.core.tenancy import campaign_filter

    query = (
        select(NightResult.election_key, NightResult.round)
        .where(campaign_filter(NightResult, ctx))
        .group_by(NightResult.election_key, NightResult.round)
        .order_by(func.max(NightResult.id).desc())
    )
    return [(str(key), int(round_number)) for key, round_number in session.execute(query)]


def reference_places(
    session: Session, *, election_id: int, department: str
) -> list[tuple[str, int, int, dict[str, str | None]]]:
    """Bureaux of a département in a reference election: (key, registered, expressed,
    {"dep", "circ", "com": codes})."""
    query = select(
        StationResult.station_key,
        StationResult.registered,
        StationResult.valid_votes,
        StationResult.department_code,
        StationResult.constituency_code,
        StationResult.commune_code,
    ).where(StationResult.election_id == election_id, StationResult.department_code == department)
    return [
        (key, int(registered), int(valid), {"dep": dep, "circ": circ, "com": com})
        for key, registered, valid, dep, circ, com in session.execute(query)
    ]
