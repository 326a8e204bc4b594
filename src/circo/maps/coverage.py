"""How much of a territory an election's import covers: « 305 bureaux sur 1 287 ».

A results file often covers only part of a territory (a commune's bureaux in a "Rhône" file).
The number of bureaux a territory has is taken from what circo knows: the most bureaux any
imported election has there. Pages, maps and sheets show the coverage when it is partial, so a
département's figures are never read as complete when they are not.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.elections import repository as repo
from circo.elections.models import Election, StationResult
from circo.elections.territories import TerritoryRef, parse_territory


@dataclass(frozen=True)
class Coverage:
    present: int  # bureaux of the territory with results in this election round
    known: int  # the most bureaux any imported election round has in the territory
    reference: str  # that election round, e.g. "pres-2017 tour 1"

    @property
    def partial(self) -> bool:
        return self.present < self.known

    def sentence(self) -> str:
        return (
            f"{_number(self.present)} bureau{'x' if self.present > 1 else ''} sur "
            f"{_number(self.known)} connus dans ce territoire ({self.reference})"
        )


def results_coverage(
    session: Session, *, territory: str | TerritoryRef, key: str, round_number: int
) -> Coverage | None:
    """The coverage of this election round in the territory, or None when it is complete."""
    ref = parse_territory(territory) if isinstance(territory, str) else territory
    counts = session.execute(
        select(Election.key, Election.round, func.count(StationResult.station_key))
        .join(StationResult, StationResult.election_id == Election.id)
        .where(repo.station_filter(ref))
        .group_by(Election.key, Election.round)
    ).all()
    present = next((n for k, r, n in counts if k == key and r == round_number), 0)
    if not counts:
        return None
    best_key, best_round, known = max(counts, key=lambda row: (row[2], row[0], row[1]))
    coverage = Coverage(present=present, known=known, reference=f"{best_key} tour {best_round}")
    return coverage if coverage.partial else None


def _number(value: int) -> str:
    """French thousands separator (narrow no-break space): 1 287."""
    return f"{value:,}".replace(",", "\u202f")
