"""Bureau targeting for a candidate (mobilisation, persuasion, votes per 100 doors), optionally
informed by an estimated transfer matrix toward that candidate."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from circo.analysis.targeting import (
    TargetingParams,
    TargetingResult,
    TargetingWeights,
    score_polling_stations,
)
from circo.analysis.transfers import ABSTENTION
from circo.elections import repository as elections_repo
from circo.elections.parties import matches_party
from circo.elections.service import get_election
from circo.elections.territories import parse_territory
from circo.targeting.service.tables import (
    OPTION_LABELS,
    StationTable,
    TargetingError,
    load_station_table,
)
from circo.targeting.service.transfers import estimate_transfers


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def find_candidate(table: StationTable, wanted: str) -> int:
    """Index of the candidate named (or labelled) ``wanted``: exact, then unique substring."""
    folded = _fold(wanted.strip())
    names = [_fold(name) for name in table.candidate_names]
    labels = [_fold(label or "") for label in table.candidate_labels]
    exact = [
        index
        for index, (name, label) in enumerate(zip(names, labels, strict=True))
        if folded in (name, label)
        or matches_party(
            table.election,
            wanted,
            label=table.candidate_labels[index],
            list_name=table.candidate_names[index],
        )
    ]
    if exact:  # a nuance or party has one candidate per circonscription: the one running here
        return max(exact, key=lambda index: (float(table.votes[:, index].sum()), -index))
    partial = [index for index, name in enumerate(names) if folded in name]
    if len(partial) == 1:
        return partial[0]
    known = ", ".join(table.candidate_names)
    reason = "ambigu" if partial else "inconnu"
    raise TargetingError(
        f"candidat {reason} « {wanted} » dans {table.election} tour {table.round} "
        f"(candidats : {known})",
        loc="--candidate",
    )


def parse_weights(text: str | None) -> TargetingWeights:
    """ "mobilisation=0.5,persuasion=0.3,doors=0.2" → TargetingWeights."""
    if not text:
        return TargetingWeights()
    values: dict[str, float] = {}
    allowed = ("mobilisation", "persuasion", "doors")
    for part in text.split(","):
        name, _, number = part.partition("=")
        name = name.strip()
        if name not in allowed:
            raise TargetingError(
                f"poids inconnu « {name} » (attendu : {', '.join(allowed)}, "
                "ex. mobilisation=0.5,persuasion=0.3,doors=0.2)",
                loc="--weights",
            )
        try:
            values[name] = float(number)
        except ValueError:
            raise TargetingError(
                f"poids invalide « {part} » (attendu un nombre, ex. doors=0.2)", loc="--weights"
            ) from None
        if values[name] < 0:
            raise TargetingError(f"poids négatif « {part} »", loc="--weights")
    return TargetingWeights(**values)


@dataclass
class TargetingReport:
    election: str
    territory: str
    candidate: str
    weights: TargetingWeights
    keys: list[str]
    result: TargetingResult
    registered: np.ndarray
    transfers_from: str | None = None

    def rows(self) -> list[dict[str, Any]]:
        result = self.result
        ranked = []
        for rank, index in enumerate(result.order, start=1):
            ranked.append(
                {
                    "rank": rank,
                    "station": self.keys[index],
                    "score": round(float(result.score[index]), 4),
                    "mobilisation": round(float(result.mobilisation[index]), 1),
                    "persuasion": round(float(result.persuasion[index]), 1),
                    "votes_per_100_doors": round(float(result.votes_per_100_doors[index]), 3),
                    "support_share": round(float(result.support_share[index]), 4),
                    "abstention_rate": round(float(result.abstention_rate[index]), 4),
                    "registered": int(self.registered[index]),
                    "reason_codes": result.reason_codes[index],
                    "reason": result.reasons[index],
                }
            )
        return ranked

    def as_dict(self) -> dict[str, Any]:
        return {
            "election": self.election,
            "territory": self.territory,
            "candidate": self.candidate,
            "weights": {
                "mobilisation": self.weights.mobilisation,
                "persuasion": self.weights.persuasion,
                "doors": self.weights.doors,
            },
            "transfers_from": self.transfers_from,
            "stations": self.rows(),
        }


def target_stations(
    session: Session,
    *,
    election: tuple[str, int],
    territory: str,
    candidate: str,
    weights: TargetingWeights | None = None,
    informed_by: tuple[str, int] | None = None,
) -> TargetingReport:
    """Rank the bureaux of ``territory`` for door-to-door work in favour of ``candidate``.

    With ``informed_by`` (an earlier round, e.g. round 1 when targeting round 2), the
    transfers from that round toward the candidate give the abstainers' and each option's
    likely support; the bureaux are then scored on that earlier round's results.
    """
    chosen_weights = weights or TargetingWeights()
    params = TargetingParams(weights=chosen_weights)
    table = load_station_table(
        session, election=election[0], round_number=election[1], territory=territory
    )
    candidate_index = find_candidate(table, candidate)
    if informed_by is None:
        result = score_polling_stations(
            table.registered,
            table.abstentions,
            table.votes,
            candidate=candidate_index,
            candidate_names=table.candidate_names,
            params=params,
        )
        return TargetingReport(
            election=f"{table.election}:{table.round}",
            territory=parse_territory(territory).key,
            candidate=table.candidate_names[candidate_index],
            weights=chosen_weights,
            keys=table.keys,
            result=result,
            registered=table.registered,
        )
    # The fast EM point estimate is enough to rank bureaux (the hierarchical model's intervals
    # are not used here).
    transfers = estimate_transfers(
        session,
        source=informed_by,
        target=election,
        territory=territory,
        method="em",
        intervals=False,
    )
    column = transfers.columns.index(table.candidate_names[candidate_index])
    base = load_station_table(
        session, election=informed_by[0], round_number=informed_by[1], territory=territory
    ).subset(sorted(set(table.keys) & set(load_keys(session, informed_by, territory))))
    toward = {row: float(transfers.shares[i, column]) for i, row in enumerate(transfers.rows)}
    proximity = np.array([toward.get(name, 0.0) for name in base.candidate_names])
    name = table.candidate_names[candidate_index]
    own = base.candidate_names.index(name) if name in base.candidate_names else None
    result = score_polling_stations(
        base.registered,
        base.abstentions,
        base.votes,
        candidate=own if own is not None else int(np.argmax(proximity)),
        candidate_names=base.candidate_names,
        abstainer_support=toward.get(OPTION_LABELS[ABSTENTION], 0.0),
        proximity=proximity,
        params=params,
    )
    return TargetingReport(
        election=f"{table.election}:{table.round}",
        territory=parse_territory(territory).key,
        candidate=table.candidate_names[candidate_index],
        weights=chosen_weights,
        keys=base.keys,
        result=result,
        registered=base.registered,
        transfers_from=transfers.source,
    )


def load_keys(session: Session, election: tuple[str, int], territory: str) -> list[str]:
    found = get_election(session, key=election[0], round_number=election[1])
    rows = elections_repo.station_rows(
        session, election_id=found.id, ref=parse_territory(territory)
    )
    return [row.station_key for row in rows]
