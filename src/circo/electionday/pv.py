"""A procès-verbal as entered on results night, and its arithmetic checks (pure, no database).

The checks are the ones of the PV itself: votants = blancs + nuls + exprimés; the candidates'
votes add up to exprimés; votants ≤ inscrits; no negative figure. Each refusal names the bureau,
where it came from (file and line, or the phone form) and the figures at fault."""

from __future__ import annotations

from dataclasses import dataclass

from circo.electionday.errors import PvRefused


@dataclass(frozen=True)
class PvVotes:
    name: str
    label: str | None
    votes: int


@dataclass(frozen=True)
class Pv:
    """One bureau's count. ``where`` says where it was read (« pv.csv, ligne 12 »)."""

    station_key: str
    commune_code: str
    commune_name: str
    department_code: str
    constituency_code: str | None
    registered: int
    voters: int
    blank: int
    null_votes: int
    valid_votes: int
    candidates: tuple[PvVotes, ...]
    where: str

    def figures(self) -> tuple[object, ...]:
        """What must agree for two entries of the bureau to be the same PV."""
        return (
            self.registered,
            self.voters,
            self.blank,
            self.null_votes,
            self.valid_votes,
            tuple(sorted((c.name, c.votes) for c in self.candidates)),
        )

    def describe(self) -> str:
        """« inscrits 1 000, votants 700, blancs 5, nuls 3, exprimés 692 (MACRON 400, …) »."""
        votes = ", ".join(f"{c.name} {c.votes}" for c in self.candidates)
        return (
            f"inscrits {self.registered}, votants {self.voters}, blancs {self.blank}, "
            f"nuls {self.null_votes}, exprimés {self.valid_votes} ({votes})"
        )


def check_pv(pv: Pv) -> None:
    """Refuse a PV whose arithmetic does not hold (`PvRefused`, naming what is at fault)."""
    where, key = pv.where, pv.station_key
    named = {
        "inscrits": pv.registered,
        "votants": pv.voters,
        "blancs": pv.blank,
        "nuls": pv.null_votes,
        "exprimés": pv.valid_votes,
    }
    for label, value in named.items():
        if value < 0:
            raise PvRefused(f"bureau {key} : {label} négatifs ({value})", loc=where)
    for candidate in pv.candidates:
        if candidate.votes < 0:
            raise PvRefused(
                f"bureau {key} : voix de {candidate.name} négatives ({candidate.votes})", loc=where
            )
    if pv.voters > pv.registered:
        raise PvRefused(
            f"bureau {key} : votants ({pv.voters}) > inscrits ({pv.registered})", loc=where
        )
    ballots = pv.blank + pv.null_votes + pv.valid_votes
    if pv.voters != ballots:
        raise PvRefused(
            f"bureau {key} : votants ({pv.voters}) ≠ blancs + nuls + exprimés "
            f"({pv.blank} + {pv.null_votes} + {pv.valid_votes} = {ballots})",
            loc=where,
        )
    total = sum(c.votes for c in pv.candidates)
    if total != pv.valid_votes:
        raise PvRefused(
            f"bureau {key} : somme des voix des candidats ({total}) ≠ exprimés ({pv.valid_votes})",
            loc=where,
        )
