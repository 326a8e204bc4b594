"""The per-bureau table of an election round on a territory, and its parsing errors."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.analysis.transfers import ABSTENTION, BLANK, NULL_VOTES, electorate_table
from circo.elections import repository as elections_repo
from circo.elections.models import CandidateVotes, StationResult
from circo.elections.repository import station_filter
from circo.elections.service import candidate_name, get_election
from circo.elections.territories import TerritoryRef, parse_territory
from circo.errors import CircoError

OPTION_LABELS = {ABSTENTION: "Abstention", BLANK: "Blancs", NULL_VOTES: "Nuls"}


class TargetingError(CircoError):
    pass


@dataclass
class StationTable:
    """Results of one election round on the bureaux of a territory, as arrays."""

    election: str
    round: int
    keys: list[str]
    candidate_names: list[str]
    candidate_labels: list[str | None]
    votes: np.ndarray  # (n, K) votes per candidate
    registered: np.ndarray
    voters: np.ndarray
    abstentions: np.ndarray
    blank: np.ndarray
    null_votes: np.ndarray

    def subset(self, keys: list[str]) -> StationTable:
        index = {key: position for position, key in enumerate(self.keys)}
        rows = [index[key] for key in keys]
        return StationTable(
            election=self.election,
            round=self.round,
            keys=list(keys),
            candidate_names=self.candidate_names,
            candidate_labels=self.candidate_labels,
            votes=self.votes[rows],
            registered=self.registered[rows],
            voters=self.voters[rows],
            abstentions=self.abstentions[rows],
            blank=self.blank[rows],
            null_votes=self.null_votes[rows],
        )

    def electorate(self) -> tuple[np.ndarray, list[str]]:
        """Every registered voter by option: candidates, blank, null, abstention."""
        return electorate_table(
            self.votes,
            registered=self.registered,
            candidate_names=self.candidate_names,
            blank=self.blank,
            null_votes=self.null_votes,
            unit_names=self.keys,
        )


def parse_election_round(
    text: str, *, option: str, default_election: str | None = None
) -> tuple[str, int]:
    """ "pres-2017:1" → ("pres-2017", 1); ":1" → (``default_election``, 1) — the other round
    of the election given elsewhere (e.g. ``--transfers-from :1`` beside ``--election X:2``)."""
    key, _, round_text = text.strip().rpartition(":")
    if not key and default_election:
        key = default_election
    if not key or round_text not in ("1", "2"):
        raise TargetingError(
            f"élection invalide « {text} » (attendu ELECTION:TOUR, ex. pres-2017:1, ou :1 pour "
            "l'autre tour de la même élection)",
            loc=option,
        )
    return key, int(round_text)


def _votes_by_station(
    session: Session, *, election_id: int, ref: TerritoryRef
) -> dict[tuple[str, int], int]:
    """(station_key, candidate_id) → votes in the territory, in one query."""
    query = (
        select(StationResult.station_key, CandidateVotes.candidate_id, CandidateVotes.votes)
        .join(CandidateVotes, CandidateVotes.station_result_id == StationResult.id)
        .where(StationResult.election_id == election_id, station_filter(ref))
    )
    return {(key, candidate): int(votes) for key, candidate, votes in session.execute(query)}


def load_station_table(
    session: Session, *, election: str, round_number: int, territory: str
) -> StationTable:
    """Results of the territory's bureaux; only the candidates who got votes there.

    A candidate who did not run in these bureaux (another circonscription's, in a national
    législatives import) is not a column at all: no filler column, no phantom votes.
    """
    found = get_election(session, key=election, round_number=round_number)
    ref = parse_territory(territory)
    rows = elections_repo.station_rows(session, election_id=found.id, ref=ref)
    if not rows:
        raise TargetingError(
            f"aucun bureau pour {ref.key} dans {found.key} tour {found.round}", loc="--territory"
        )
    keys = [row.station_key for row in rows]
    position = {key: index for index, key in enumerate(keys)}
    per_station = _votes_by_station(session, election_id=found.id, ref=ref)
    running = {candidate for (_, candidate), votes in per_station.items() if votes > 0}
    candidates = [
        candidate
        for candidate in elections_repo.candidates_of(session, election_id=found.id)
        if candidate.id in running
    ]
    column_of = {candidate.id: column for column, candidate in enumerate(candidates)}
    votes = np.zeros((len(keys), len(candidates)))
    for (key, candidate_id), count in per_station.items():
        if candidate_id in column_of and key in position:
            votes[position[key], column_of[candidate_id]] = count
    return StationTable(
        election=found.key,
        round=found.round,
        keys=keys,
        candidate_names=unique_names([candidate_name(candidate) for candidate in candidates]),
        candidate_labels=[candidate.political_label for candidate in candidates],
        votes=votes,
        registered=np.array([row.registered for row in rows], dtype=float),
        voters=np.array([row.voters for row in rows], dtype=float),
        abstentions=np.array([row.abstentions for row in rows], dtype=float),
        # A file that does not tell blank from null (blank None): the sum counts as null.
        blank=np.array([row.blank or 0 for row in rows], dtype=float),
        null_votes=np.array(
            [
                row.null_votes if row.null_votes is not None else row.blank_and_null or 0
                for row in rows
            ],
            dtype=float,
        ),
    )


def unique_names(names: list[str]) -> list[str]:
    """Names made unique by a number when two candidates share one ("DUPONT (2)")."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


# --- transfers --------------------------------------------------------------------------------
