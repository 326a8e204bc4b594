"""The results of a territory, in plain SQL on a DBAPI connection (no SQLAlchemy import).

One query answers ``circo results TERRITORY --json`` and the service's `territory_results`:
the service runs these statements through its session; the CLI's fast path
(:mod:`circo.cli_fast`) runs them on a bare ``sqlite3``/``psycopg`` connection, because a process
that imports SQLAlchemy cannot start within the 300 ms the command is allowed on a small machine.
Both paths therefore give the same answer by construction.

Statements are written with ``?`` placeholders; `for_paramstyle` adapts them to the driver.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from circo.elections.territories import TerritoryRef, is_arrondissement

# A function running one statement with its parameters and returning every row.
Execute = Callable[[str, Sequence[Any]], Sequence[Sequence[Any]]]

TOTAL_COLUMNS = ("registered", "voters", "abstentions", "blank", "null_votes", "valid_votes")

# Column of `el_station_results` that selects the bureaux of a territory, per level.
LEVEL_COLUMNS = {
    "reg": "region_code",
    "dep": "department_code",
    "circ": "constituency_code",
    "com": "commune_code",
    "arr": "arrondissement_code",
    "bv": "station_key",
}


@dataclass
class CandidateResult:
    candidate_id: int
    name: str
    label: str | None
    votes: int
    share_valid: float


@dataclass
class TerritoryResults:
    territory: str
    election: str
    round: int
    registered: int
    voters: int
    abstentions: int
    blank: int | None  # None when a bureau's file does not tell blank from null ballots
    null_votes: int | None
    valid_votes: int
    stations: int
    candidates: list[CandidateResult] = field(default_factory=list)
    blank_and_null: int | None = None

    @property
    def blank_and_null_combined(self) -> bool:
        """The file did not tell blank from null ballots: only their sum is known."""
        return self.blank is None or self.null_votes is None

    @property
    def turnout(self) -> float | None:
        return self.voters / self.registered if self.registered else None

    def as_dict(self) -> dict[str, Any]:
        """The CLI/API contract, keys in this exact order."""
        return {
            "territory": self.territory,
            "election": self.election,
            "round": self.round,
            "registered": self.registered,
            "voters": self.voters,
            "abstentions": self.abstentions,
            "blank": self.blank,
            "null_votes": self.null_votes,
            "blank_and_null": self.blank_and_null,
            "valid_votes": self.valid_votes,
            "stations": self.stations,
            "candidates": [
                {
                    "name": c.name,
                    "label": c.label,
                    "votes": c.votes,
                    "share_valid": c.share_valid,
                }
                for c in self.candidates
            ],
        }


def station_column(ref: TerritoryRef) -> str | None:
    """The `el_station_results` column a territory filters on (None for the whole country).

    ``com:75119`` (a Paris, Lyon or Marseille arrondissement typed as a commune) filters on the
    arrondissement."""
    if ref.level == "fr":
        return None
    if ref.level == "com" and is_arrondissement(ref.code):
        return "arrondissement_code"
    return LEVEL_COLUMNS[ref.level]


# A commune's bureaux include those filed under the codes of communes merged into it.
_COMMUNE_WITH_MERGED = (
    "s.commune_code IN (SELECT ? UNION ALL "
    "SELECT old_code FROM el_commune_mergers WHERE current_code = ?)"
)


def station_condition(ref: TerritoryRef) -> tuple[str, tuple[Any, ...]]:
    """SQL condition on ``el_station_results s`` selecting a territory's bureaux (``""`` for the
    whole country), with its parameters."""
    column = station_column(ref)
    if column is None:
        return "", ()
    if column == "commune_code":
        return _COMMUNE_WITH_MERGED, (ref.code, ref.code)
    return f"s.{column} = ?", (ref.code,)


def for_paramstyle(sql: str, paramstyle: str) -> str:
    """``?`` placeholders for ``qmark`` drivers (sqlite3), ``%s`` for ``format`` ones (psycopg)."""
    return sql if paramstyle == "qmark" else sql.replace("?", "%s")


ELECTION_SQL = "SELECT id FROM el_elections WHERE key = ? AND round = ?"


def find_election_id(execute: Execute, *, key: str, round_number: int) -> int | None:
    rows = execute(ELECTION_SQL, (key, round_number))
    return int(rows[0][0]) if rows else None


def territory_results(
    execute: Execute, *, election_id: int, election_key: str, round_number: int, ref: TerritoryRef
) -> TerritoryResults | None:
    """Totals and candidates of a territory, summed over its bureaux; None if it has none."""
    condition, condition_params = station_condition(ref)
    where = "s.election_id = ?" + (f" AND {condition}" if condition else "")
    params: tuple[Any, ...] = (election_id, *condition_params)
    sums = ", ".join(f"COALESCE(SUM(s.{name}), 0)" for name in TOTAL_COLUMNS)
    totals = execute(
        f"SELECT COUNT(s.id), {sums}, COUNT(s.blank), COUNT(s.null_votes), "
        f"COALESCE(SUM(s.blank_and_null), 0) FROM el_station_results s WHERE {where}",
        params,
    )[0]
    stations = int(totals[0])
    if stations == 0:
        return None
    registered, voters, abstentions, blank_sum, null_sum, valid_votes = (
        int(value) for value in totals[1:7]
    )
    # A sum over bureaux some of which do not tell blank from null would be wrong: None.
    blank = blank_sum if int(totals[7]) == stations else None
    null_votes = null_sum if int(totals[8]) == stations else None
    blank_and_null = int(totals[9])
    if condition:
        rows = execute(
            "SELECT c.id, c.name, c.political_label, t.votes FROM (SELECT v.candidate_id, "
            "SUM(v.votes) AS votes FROM el_candidate_votes v JOIN el_station_results s "
            f"ON s.id = v.station_result_id WHERE {where} GROUP BY v.candidate_id) t "
            "JOIN el_candidates c ON c.id = t.candidate_id",
            params,
        )
    else:  # the whole round: the sums the import kept (`Candidate.total_votes`)
        rows = execute(
            "SELECT c.id, c.name, c.political_label, c.total_votes FROM el_candidates c "
            "WHERE c.election_id = ?",
            params,
        )
    candidates = [
        CandidateResult(
            candidate_id=int(candidate_id),
            name=str(name),
            label=label,
            votes=int(votes),
            share_valid=int(votes) / valid_votes if valid_votes else 0.0,
        )
        for candidate_id, name, label, votes in rows
        if int(votes) > 0  # a nuance with no vote here does not clutter the results
    ]
    candidates.sort(key=lambda c: (-c.votes, c.name))
    return TerritoryResults(
        territory=ref.key,
        election=election_key,
        round=round_number,
        registered=registered,
        voters=voters,
        abstentions=abstentions,
        blank=blank,
        null_votes=null_votes,
        valid_votes=valid_votes,
        stations=stations,
        candidates=candidates,
        blank_and_null=blank_and_null,
    )
