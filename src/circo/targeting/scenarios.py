"""Scenario calculator on imported results: who qualifies for round 2 in each constituency,
and a Monte Carlo round 2 from estimated transfers (``circo scenario …``).

Constituencies are circonscriptions for législatives and communes for municipales (the rules
are :data:`circo.analysis.scenario.RULES`); the round-1 totals are summed over the bureaux of
the territory, candidate by candidate.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.analysis.errors import AnalysisError
from circo.analysis.scenario import (
    LEGISLATIVES,
    RULES,
    BallotRules,
    Qualification,
    RunoffResult,
    ScenarioError,
    qualify,
    seat_distribution,
    simulate_runoff,
)
from circo.core.spreadsheet import safe_record
from circo.elections.models import Candidate, CandidateVotes, StationResult
from circo.elections.repository import station_filter
from circo.elections.service import candidate_name, get_election
from circo.elections.territories import parse_territory
from circo.targeting.service import TargetingError, unique_names


@dataclass
class Constituency:
    """Round-1 totals of one constituency: candidate name → votes, and its party (nuance)."""

    code: str
    registered: float
    blank: float
    null_votes: float
    votes: dict[str, float]
    party: dict[str, str]
    qualification: Qualification | None = None
    runoff: RunoffResult | None = None
    withdrawn: list[str] = field(default_factory=list)
    matched_by: str = ""  # "name" or "nuance": how the transfers were matched (round 2 only)
    unmatched: list[str] = field(default_factory=list)  # round-1 options with no transfer row

    @property
    def abstentions(self) -> float:
        return max(self.registered - self.blank - self.null_votes - sum(self.votes.values()), 0.0)


def rules_for(election_type: str) -> BallotRules:
    return RULES.get(election_type, LEGISLATIVES)


def load_constituencies(
    session: Session, *, election: str, round_number: int, territory: str
) -> tuple[list[Constituency], BallotRules]:
    """Round-1 totals of every constituency of ``territory`` (circonscriptions or communes)."""
    found = get_election(session, key=election, round_number=round_number)
    rules = rules_for(found.election_type)
    ref = parse_territory(territory)
    column = (
        StationResult.commune_code
        if found.election_type == "municipales"
        else StationResult.constituency_code
    )
    where = (StationResult.election_id == found.id, station_filter(ref))
    totals = session.execute(
        select(
            column,
            func.sum(StationResult.registered),
            func.sum(func.coalesce(StationResult.blank, 0)),
            func.sum(func.coalesce(StationResult.null_votes, StationResult.blank_and_null, 0)),
        )
        .where(*where)
        .group_by(column)
        .order_by(column)
    ).all()
    if not totals:
        raise TargetingError(
            f"aucun bureau pour {ref.key} dans {found.key} tour {found.round}", loc="--territory"
        )
    votes = session.execute(
        select(column, CandidateVotes.candidate_id, func.sum(CandidateVotes.votes))
        .join(CandidateVotes, CandidateVotes.station_result_id == StationResult.id)
        .where(*where)
        .group_by(column, CandidateVotes.candidate_id)
    ).all()
    candidates = {
        candidate.id: candidate
        for candidate in session.scalars(select(Candidate).where(Candidate.election_id == found.id))
    }
    by_code: dict[str, dict[int, float]] = {}
    for code, candidate_id, count in votes:
        if count and count > 0:
            by_code.setdefault(str(code or ""), {})[int(candidate_id)] = float(count)
    out = []
    for code, registered, blank, null_votes in totals:
        running = by_code.get(str(code or ""), {})
        ids = sorted(running, key=lambda cid: (-running[cid], cid))
        names = unique_names([candidate_name(candidates[cid]) for cid in ids])
        out.append(
            Constituency(
                code=str(code or ""),
                registered=float(registered or 0),
                blank=float(blank or 0),
                null_votes=float(null_votes or 0),
                votes={name: running[cid] for name, cid in zip(names, ids, strict=True)},
                party={
                    name: candidates[cid].political_label or name
                    for name, cid in zip(names, ids, strict=True)
                },
            )
        )
    return out, rules


def qualify_territory(
    session: Session, *, election: str, round_number: int, territory: str
) -> list[Constituency]:
    """Every constituency with its round-1 outcome (``qualification``)."""
    if round_number != 1:
        raise TargetingError(
            f"tour {round_number} : la qualification se calcule sur le premier tour (--round 1)",
            loc="--round",
        )
    constituencies, rules = load_constituencies(
        session, election=election, round_number=round_number, territory=territory
    )
    for constituency in constituencies:
        try:
            constituency.qualification = qualify(
                constituency.votes, registered=constituency.registered, rules=rules
            )
        except AnalysisError as exc:
            raise TargetingError(f"circonscription {constituency.code} : {exc}") from exc
    return constituencies


def qualify_json(constituencies: list[Constituency]) -> dict[str, Any]:
    """The CLI contract ``{"circonscriptions": [{"code", "qualified", "elected_first_round"}]}``."""
    rows = []
    for constituency in constituencies:
        outcome = constituency.qualification
        assert outcome is not None
        rows.append(
            {
                "code": constituency.code,
                "qualified": list(outcome.qualified),
                "elected_first_round": outcome.elected_first_round,
            }
        )
    return {"circonscriptions": rows}


@dataclass
class Transfers:
    """A transfer matrix read from ``circo ei transfers --json``.

    ``row_labels`` / ``column_labels``: candidate → nuance (party) code, when the file has them
    (its ``labels``); ``row_totals``: round-1 voters of each row (its ``flows``), the weights
    of a nuance's rows when transfers are matched by nuance.
    """

    rows: list[str]
    columns: list[str]
    shares: np.ndarray
    intervals: np.ndarray
    row_labels: dict[str, str] = field(default_factory=dict)
    column_labels: dict[str, str] = field(default_factory=dict)
    row_totals: np.ndarray | None = None


#: options that are matched by name whatever the election (never by nuance)
OPTIONS = ("Blancs", "Nuls", "Abstention")


@dataclass
class MatchedTransfers:
    """Transfers as seen by one constituency: by candidate name, or by nuance code."""

    by: str  # "name" or "nuance"
    shares: np.ndarray
    intervals: np.ndarray
    rows: list[str]
    columns: list[str]
    first_round: dict[str, float]  # round-1 counts keyed as ``rows``
    standing: dict[str, str]  # round-2 candidate → its key in ``columns``
    unmatched: list[str]  # round-1 options with votes and no row: left out of the simulation


def _by_nuance(
    transfers: Transfers,
) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """The matrix regrouped by nuance: a nuance's rows averaged (weighted by their round-1
    voters), its columns summed (a voter meets at most one candidate of a nuance); blank, null
    and abstention stay as they are."""
    row_key = [
        row if row in OPTIONS else transfers.row_labels.get(row, "") for row in transfers.rows
    ]
    col_key = [
        col if col in OPTIONS else transfers.column_labels.get(col, "") for col in transfers.columns
    ]
    rows = list(dict.fromkeys(key for key in row_key if key))
    columns = list(dict.fromkeys(key for key in col_key if key))
    weights = (
        transfers.row_totals
        if transfers.row_totals is not None
        else np.ones(len(transfers.rows), dtype=float)
    )
    summed = np.zeros((len(transfers.rows), len(columns)))
    summed_bounds = np.zeros((len(transfers.rows), len(columns), 2))
    for j, key in enumerate(col_key):
        if key:
            summed[:, columns.index(key)] += transfers.shares[:, j]
            summed_bounds[:, columns.index(key)] += transfers.intervals[:, j]
    shares = np.zeros((len(rows), len(columns)))
    bounds = np.zeros((len(rows), len(columns), 2))
    for i, key in enumerate(rows):
        members = [r for r, k in enumerate(row_key) if k == key]
        w = np.maximum(weights[members], 0.0)
        w = w / w.sum() if w.sum() > 0 else np.full(len(members), 1.0 / len(members))
        shares[i] = w @ summed[members]
        bounds[i] = np.einsum("m,mck->ck", w, summed_bounds[members])
    return rows, columns, shares, np.clip(bounds, 0.0, 1.0)


def match_transfers(
    transfers: Transfers,
    *,
    first_round: dict[str, float],
    party: dict[str, str],
    standing: list[str],
) -> MatchedTransfers:
    """Match a constituency's round 1 and round-2 candidates to the transfer matrix.

    By name when every round-2 candidate is a column (transfers estimated on this election);
    else by nuance code (transfers estimated on another election, or names spelt otherwise):
    each candidate stands for their nuance. Round-1 options with votes and no row are listed in
    ``unmatched``; a round-2 candidate with no column, or two of one nuance, is an error.
    """
    if all(name in transfers.columns for name in standing):
        unmatched = [n for n, v in first_round.items() if v > 0 and n not in transfers.rows]
        return MatchedTransfers(
            "name",
            transfers.shares,
            transfers.intervals,
            transfers.rows,
            transfers.columns,
            first_round,
            {name: name for name in standing},
            unmatched,
        )
    missing = [name for name in standing if name not in transfers.columns]
    if not transfers.column_labels:
        raise ScenarioError(
            f"candidat(s) absent(s) des colonnes des reports : {', '.join(missing)} ; le fichier "
            "ne donne pas les nuances (relancer « circo ei transfers --json ») : appariement "
            "par nuance impossible"
        )
    rows, columns, shares, bounds = _by_nuance(transfers)
    keyed: dict[str, float] = {}
    unmatched = []
    for name, count in first_round.items():
        key = name if name in OPTIONS else party.get(name, "")
        if key in rows:
            keyed[key] = keyed.get(key, 0.0) + count
        elif count > 0:
            unmatched.append(name)
    standing_keys = {name: party.get(name, "") for name in standing}
    no_column = [
        f"{n} ({k or 'sans nuance'})" for n, k in standing_keys.items() if k not in columns
    ]
    if no_column:
        raise ScenarioError(
            "candidat(s) du second tour sans colonne de reports, ni par nom ni par nuance : "
            + ", ".join(no_column)
        )
    if len(set(standing_keys.values())) < len(standing_keys):
        raise ScenarioError(
            "deux candidats du second tour ont la même nuance : appariement par nuance ambigu ("
            + ", ".join(f"{n} ({k})" for n, k in standing_keys.items())
            + ")"
        )
    return MatchedTransfers(
        "nuance", shares, bounds, rows, columns, keyed, standing_keys, unmatched
    )


def read_transfers(path: Path) -> Transfers:
    """Read the JSON written by ``circo ei transfers --json`` (rows, columns, global, intervals;
    labels and flows when present)."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        rows, columns = list(payload["rows"]), list(payload["columns"])
        shares = np.array([[payload["global"][r][c] for c in columns] for r in rows], dtype=float)
        intervals = np.array(
            [[payload["intervals"][r][c] for c in columns] for r in rows], dtype=float
        )
        labels = payload.get("labels") or {}
        row_labels = {str(k): str(v) for k, v in (labels.get("rows") or {}).items() if v}
        column_labels = {str(k): str(v) for k, v in (labels.get("columns") or {}).items() if v}
        flows = payload.get("flows")
        row_totals = (
            np.array([sum(float(v) for v in flows[r].values()) for r in rows], dtype=float)
            if isinstance(flows, dict) and all(r in flows for r in rows)
            else None
        )
    except FileNotFoundError:
        raise TargetingError(f"fichier introuvable : {path}", loc="--transfers") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise TargetingError(
            f"{path.name} : attendu la sortie JSON de « circo ei transfers --json » "
            f"(clés rows, columns, global, intervals) ; erreur : {exc}",
            loc="--transfers",
        ) from None
    return Transfers(rows, columns, shares, intervals, row_labels, column_labels, row_totals)


def simulate_territory(
    session: Session,
    *,
    election: str,
    territory: str,
    transfers: Transfers,
    withdrawn: list[str],
    turnout_change: float,
    draws: int,
    seed: int,
) -> tuple[list[Constituency], dict[str, dict[str, float]]]:
    """Round 2 of every constituency not decided in round 1, and the seat distribution."""
    if not -0.5 <= turnout_change <= 0.5:
        raise TargetingError(
            f"variation de participation {turnout_change:g} hors de [-0,5 ; 0,5] (ex. 0.05)",
            loc="--turnout-change",
        )
    if not 10 <= draws <= 100_000:
        raise TargetingError(f"{draws} tirages ; attendu entre 10 et 100 000", loc="--draws")
    constituencies = qualify_territory(
        session, election=election, round_number=1, territory=territory
    )
    all_names = {name for c in constituencies for name in c.votes}
    unknown = [name for name in withdrawn if name not in all_names]
    if unknown:
        raise TargetingError(
            f"désistement de candidat(s) inconnu(s) : {', '.join(unknown)}", loc="--withdraw"
        )
    per_seat: list[dict[str, float]] = []
    party_of: dict[str, str] = {}
    for constituency in constituencies:
        outcome = constituency.qualification
        assert outcome is not None
        party_of.update(constituency.party)
        if outcome.elected_first_round:
            per_seat.append({outcome.elected_first_round: 1.0})
            continue
        constituency.withdrawn = [name for name in outcome.qualified if name in withdrawn]
        standing = [name for name in outcome.qualified if name not in withdrawn]
        first_round = {
            **constituency.votes,
            "Blancs": constituency.blank,
            "Nuls": constituency.null_votes,
            "Abstention": constituency.abstentions,
        }
        if len(standing) == 1:  # everyone else withdrew: elected unopposed
            constituency.runoff = RunoffResult(
                standing,
                {standing[0]: 1.0},
                {standing[0]: 1.0},
                {standing[0]: 1.0},
                {standing[0]: 1.0},
                0,
            )
        else:
            try:
                matched = match_transfers(
                    transfers,
                    first_round=first_round,
                    party=constituency.party,
                    standing=standing,
                )
                keyed = simulate_runoff(
                    matched.first_round,
                    standing=[matched.standing[name] for name in standing],
                    shares=matched.shares,
                    intervals=matched.intervals,
                    row_names=matched.rows,
                    column_names=matched.columns,
                    turnout_change=turnout_change,
                    draws=draws,
                    seed=seed,
                )
            except AnalysisError as exc:
                raise TargetingError(
                    f"circonscription {constituency.code} : {exc}", loc="--transfers"
                ) from exc
            constituency.matched_by = matched.by
            constituency.unmatched = matched.unmatched
            constituency.runoff = _renamed(keyed, matched.standing)
        per_seat.append(constituency.runoff.win_probability)
    return constituencies, seat_distribution(per_seat, party_of)


def _renamed(result: RunoffResult, standing: dict[str, str]) -> RunoffResult:
    """A run-off simulated on transfer keys (names or nuances), told with candidate names."""
    key_to_name = {key: name for name, key in standing.items()}

    def back(values: dict[str, float]) -> dict[str, float]:
        return {key_to_name[key]: value for key, value in values.items()}

    return RunoffResult(
        [key_to_name[key] for key in result.candidates],
        back(result.win_probability),
        back(result.mean_share),
        back(result.low_share),
        back(result.high_share),
        result.draws,
    )


def matching_report(constituencies: list[Constituency]) -> list[dict[str, Any]]:
    """How each simulated constituency met the transfers: ``{"constituency", "by",
    "unmatched"}`` (by "name" or "nuance"; round-1 options left out for want of a row)."""
    return [
        {"constituency": c.code, "by": c.matched_by, "unmatched": list(c.unmatched)}
        for c in constituencies
        if c.matched_by
    ]


def matching_warnings(constituencies: list[Constituency]) -> list[str]:
    """The matching report in French, for the page and the command line."""
    messages = []
    for match in matching_report(constituencies):
        if match["by"] == "nuance":
            messages.append(
                f"Circonscription {match['constituency']} : noms absents des reports, "
                "candidats appariés par nuance."
            )
        if match["unmatched"]:
            messages.append(
                f"Circonscription {match['constituency']} : sans ligne de reports, laissé(s) "
                f"de côté : {', '.join(match['unmatched'])}."
            )
    return messages


def scenario_rows(constituencies: list[Constituency]) -> list[dict[str, Any]]:
    """One row per constituency and candidate (the CSV export and the JSON ``rows``)."""
    rows = []
    for constituency in constituencies:
        outcome = constituency.qualification
        assert outcome is not None
        if outcome.elected_first_round:
            rows.append(
                {
                    "constituency": constituency.code,
                    "candidate": outcome.elected_first_round,
                    "party": constituency.party.get(outcome.elected_first_round, ""),
                    "status": "elected_first_round",
                    "win_probability": 1.0,
                    "mean_share": None,
                    "low_share": None,
                    "high_share": None,
                }
            )
            continue
        runoff = constituency.runoff
        for name in outcome.qualified:
            standing = runoff is not None and name in runoff.candidates
            rows.append(
                {
                    "constituency": constituency.code,
                    "candidate": name,
                    "party": constituency.party.get(name, ""),
                    "status": "runoff" if standing else "withdrawn",
                    "win_probability": round(runoff.win_probability[name], 4)
                    if standing and runoff
                    else 0.0,
                    "mean_share": round(runoff.mean_share[name], 4)
                    if standing and runoff
                    else None,
                    "low_share": round(runoff.low_share[name], 4) if standing and runoff else None,
                    "high_share": round(runoff.high_share[name], 4)
                    if standing and runoff
                    else None,
                }
            )
    return rows


def rows_csv(rows: list[dict[str, Any]]) -> str:
    """``;``-separated UTF-8 CSV with a BOM (LibreOffice/Excel), text cells made formula-safe."""
    buffer = io.StringIO()
    fields = [
        "constituency",
        "candidate",
        "party",
        "status",
        "win_probability",
        "mean_share",
        "low_share",
        "high_share",
    ]
    writer = csv.DictWriter(buffer, fieldnames=fields, delimiter=";", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(safe_record({key: "" if row[key] is None else row[key] for key in fields}))
    return "\ufeff" + buffer.getvalue()
