"""Vote transfers and bureau targeting on imported results (through the elections services).

Transfers ("reports de voix") fit an R×C model on the bureaux present in both elections:
rows are the first election's options with blank, null and abstention, columns the second's.
Targeting scores each bureau for a candidate (mobilisation, persuasion, votes per 100 doors),
optionally informed by an estimated transfer matrix toward that candidate.
"""

from __future__ import annotations

import time
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.analysis.ei._base import EIEstimator, shares_from_tables
from circo.analysis.ei.api import convergence_problems, finite_json, fit_ei, round_to_sum_one
from circo.analysis.ei.em import EMEstimator
from circo.analysis.errors import AnalysisError
from circo.analysis.targeting import (
    TargetingParams,
    TargetingResult,
    TargetingWeights,
    score_polling_stations,
)
from circo.analysis.transfers import ABSTENTION, BLANK, NULL_VOTES, electorate_table
from circo.elections import repository as elections_repo
from circo.elections.models import CandidateVotes, StationResult
from circo.elections.parties import matches_party
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


@dataclass
class TransferResult:
    source: str
    target: str
    territory: str
    method: str
    rows: list[str]
    columns: list[str]
    shares: np.ndarray  # (R, C) row-stochastic
    intervals: np.ndarray  # (R, C, 2)
    flows: np.ndarray  # (R, C) voters
    row_totals: np.ndarray  # (R,)
    stations: int
    unmatched_source: list[str] = field(default_factory=list)
    unmatched_target: list[str] = field(default_factory=list)
    seconds: float = 0.0
    diagnostics: dict[str, Any] = field(default_factory=dict)
    omitted_rows: list[str] = field(default_factory=list)
    omitted_columns: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    row_labels: dict[str, str] = field(default_factory=dict)  # candidate → nuance / party
    column_labels: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        def matrix(values: np.ndarray, digits: int = 6) -> dict[str, dict[str, float]]:
            return {
                row: {col: round(float(values[i, j]), digits) for j, col in enumerate(self.columns)}
                for i, row in enumerate(self.rows)
            }

        return {
            "from": self.source,
            "to": self.target,
            "territory": self.territory,
            "method": self.method,
            "stations": self.stations,
            "unmatched": {"from_only": self.unmatched_source, "to_only": self.unmatched_target},
            "rows": self.rows,
            "columns": self.columns,
            "global": {
                row: dict(zip(self.columns, round_to_sum_one(self.shares[i], 6), strict=True))
                for i, row in enumerate(self.rows)
            },
            "intervals": {
                row: {
                    col: [
                        round(float(self.intervals[i, j, 0]), 6),
                        round(float(self.intervals[i, j, 1]), 6),
                    ]
                    for j, col in enumerate(self.columns)
                }
                for i, row in enumerate(self.rows)
            },
            "flows": matrix(self.flows, 1),
            "seconds": round(self.seconds, 3),
            "diagnostics": finite_json(self.diagnostics),
            "omitted": {"rows": self.omitted_rows, "columns": self.omitted_columns},
            "warnings": self.warnings,
        }

    def labels_dict(self) -> dict[str, dict[str, str]]:
        """Each candidate's nuance (party) code, ``{"rows": {…}, "columns": {…}}``: added to
        ``circo ei transfers --json`` (not to the HTTP API, whose schema is fixed) so that
        ``circo scenario simulate`` can match these transfers to another election's
        candidates when the names differ."""
        return {
            "rows": {row: self.row_labels[row] for row in self.rows if row in self.row_labels},
            "columns": {
                col: self.column_labels[col] for col in self.columns if col in self.column_labels
            },
        }


def relabel(names: list[str]) -> list[str]:
    """Option names for people: abstention, blank and null in French."""
    return [OPTION_LABELS.get(name, name) for name in names]


@dataclass
class TransferInputs:
    """The two electorates on the bureaux present in both rounds (rows → columns)."""

    source: StationTable
    target: StationTable
    stations: list[str]
    row_counts: np.ndarray  # (n, R) first round: candidates, blank, null, abstention
    row_names: list[str]
    column_counts: np.ndarray  # (n, C) second round, same options
    column_names: list[str]
    unmatched_source: list[str]
    unmatched_target: list[str]
    omitted_rows: list[str] = field(default_factory=list)
    omitted_columns: list[str] = field(default_factory=list)
    row_labels: dict[str, str] = field(default_factory=dict)  # candidate → nuance / party
    column_labels: dict[str, str] = field(default_factory=dict)


def candidate_label_map(table: StationTable) -> dict[str, str]:
    """Candidate name → political label (nuance code) for the candidates that have one."""
    return {
        name: label
        for name, label in zip(table.candidate_names, table.candidate_labels, strict=True)
        if label
    }


def transfer_inputs(
    session: Session, *, source: tuple[str, int], target: tuple[str, int], territory: str
) -> TransferInputs:
    """Load both rounds and keep the bureaux they share (matched on the national key)."""
    first = load_station_table(
        session, election=source[0], round_number=source[1], territory=territory
    )
    second = load_station_table(
        session, election=target[0], round_number=target[1], territory=territory
    )
    shared = sorted(set(first.keys) & set(second.keys))
    if len(shared) < 2:
        raise TargetingError(
            f"trop peu de bureaux communs aux deux élections ({len(shared)}) sur {territory}",
            loc="--territory",
        )
    first_matched, second_matched = first.subset(shared), second.subset(shared)
    try:
        row_counts, row_names = first_matched.electorate()
        column_counts, column_names = second_matched.electorate()
    except AnalysisError as exc:
        raise TargetingError(str(exc)) from exc
    # An option nobody chose in these bureaux (a candidate with no vote here, no blank ballot)
    # is left out: no row of made-up shares, no column receiving phantom votes.
    keep_rows = row_counts.sum(axis=0) > 0
    keep_columns = column_counts.sum(axis=0) > 0
    row_labels, column_labels = relabel(row_names), relabel(column_names)
    return TransferInputs(
        source=first,
        target=second,
        stations=shared,
        row_counts=row_counts[:, keep_rows],
        row_names=[name for name, keep in zip(row_labels, keep_rows, strict=True) if keep],
        column_counts=column_counts[:, keep_columns],
        column_names=[name for name, keep in zip(column_labels, keep_columns, strict=True) if keep],
        unmatched_source=sorted(set(first.keys) - set(shared)),
        unmatched_target=sorted(set(second.keys) - set(shared)),
        omitted_rows=[name for name, keep in zip(row_labels, keep_rows, strict=True) if not keep],
        omitted_columns=[
            name for name, keep in zip(column_labels, keep_columns, strict=True) if not keep
        ],
        row_labels=candidate_label_map(first),
        column_labels=candidate_label_map(second),
    )


def fit_transfer_model(
    inputs: TransferInputs, *, method: str = "auto", random_state: int = 0, intervals: bool = True
) -> EIEstimator:
    """Fit the transfer matrix; ``intervals=False`` skips EM's bootstrap (point estimate only)."""
    try:
        if method == "em" and not intervals:
            return EMEstimator(n_bootstrap=0, random_state=random_state).fit(
                inputs.row_counts,
                inputs.column_counts,
                unit_names=inputs.stations,
                group_names=inputs.row_names,
                candidate_names=inputs.column_names,
            )
        return fit_ei(
            inputs.row_counts,
            inputs.column_counts,
            method=method,
            group_names=inputs.row_names,
            candidate_names=inputs.column_names,
            unit_names=inputs.stations,
            random_state=random_state,
        )
    except AnalysisError as exc:
        raise TargetingError(str(exc)) from exc


def sampler_diagnostics(estimator: EIEstimator) -> dict[str, Any]:
    """R̂ (max) and ESS (min) of a sampler fit; empty for point estimates (EM, LP…)."""
    found: dict[str, Any] = {}
    rhat = getattr(estimator, "rhat_", None)
    ess = getattr(estimator, "ess_", None)
    if rhat is not None and np.isfinite(np.asarray(rhat, dtype=float)).any():
        found["rhat"] = {"max": float(np.nanmax(np.asarray(rhat, dtype=float)))}
    if ess is not None:
        found["ess"] = {"min": float(np.nanmin(np.asarray(ess, dtype=float)))}
    return found


def estimate_transfers(
    session: Session,
    *,
    source: tuple[str, int],
    target: tuple[str, int],
    territory: str,
    method: str = "auto",
    random_state: int = 0,
    intervals: bool = True,
) -> TransferResult:
    """Transfers between two election rounds on the bureaux they share in ``territory``.

    ``intervals=False`` lets EM skip its bootstrap when only the point estimate is used.
    """
    started = time.perf_counter()
    inputs = transfer_inputs(session, source=source, target=target, territory=territory)
    return transfers_from_inputs(
        inputs,
        territory=territory,
        method=method,
        random_state=random_state,
        intervals=intervals,
        started=started,
    )


def transfers_from_inputs(
    inputs: TransferInputs,
    *,
    territory: str,
    method: str = "auto",
    random_state: int = 0,
    intervals: bool = True,
    started: float | None = None,
) -> TransferResult:
    """The fit of `estimate_transfers` on loaded inputs: no database (a job runs it with no
    transaction open)."""
    started = time.perf_counter() if started is None else started
    estimator = fit_transfer_model(
        inputs, method=method, random_state=random_state, intervals=intervals
    )
    row_totals = inputs.row_counts.sum(axis=0)
    # Shares of what the unit tables say happened: a candidate absent from a bureau's round
    # gets nothing from that bureau (structural zero), whatever the model's global parameter.
    shares = shares_from_tables(np.asarray(estimator.unit_tables_), estimator.group_counts_)
    bounds = np.asarray(estimator.intervals_, dtype=float).copy()
    bounds[..., 0] = np.minimum(bounds[..., 0], shares)
    bounds[..., 1] = np.maximum(bounds[..., 1], shares)
    return TransferResult(
        source=f"{inputs.source.election}:{inputs.source.round}",
        target=f"{inputs.target.election}:{inputs.target.round}",
        territory=parse_territory(territory).key,
        method=estimator.method,
        rows=list(estimator.group_names_),
        columns=list(estimator.candidate_names_),
        shares=shares,
        intervals=bounds,
        flows=shares * row_totals[:, None],
        row_totals=row_totals,
        stations=len(inputs.stations),
        unmatched_source=inputs.unmatched_source,
        unmatched_target=inputs.unmatched_target,
        seconds=time.perf_counter() - started,
        diagnostics=sampler_diagnostics(estimator),
        omitted_rows=inputs.omitted_rows,
        omitted_columns=inputs.omitted_columns,
        warnings=french_warnings(estimator),
        row_labels=inputs.row_labels,
        column_labels=inputs.column_labels,
    )


def french_warnings(estimator: EIEstimator) -> list[str]:
    """The fit's convergence problems, in French, for every output (CLI, JSON, page)."""
    messages = []
    for problem in convergence_problems(estimator):
        if problem["kind"] == "rhat":
            messages.append(
                f"Échantillonneur non convergé (R̂ max {problem['value']:.2f} ≥ "
                f"{problem['limit']:.2f}) : estimations et intervalles peu fiables."
            )
        elif problem["kind"] == "em":
            messages.append(
                f"EM non convergé après {problem['value']:.0f} itérations : "
                "estimation approximative."
            )
        elif problem["kind"] == "intervals":
            messages.append(
                "Intervalles réduits à l'estimation ponctuelle (bootstrap non fait, faute de "
                "temps ou par la méthode) : ils ne mesurent pas l'incertitude."
            )
        else:
            messages.append(str(problem["message"]))
    return messages


# --- targeting --------------------------------------------------------------------------------


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
