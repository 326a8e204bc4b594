"""Vote transfers ("reports de voix"): an R×C model fitted on the bureaux present in both
elections, its diagnostics and French warnings."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from circo.analysis.ei._base import EIEstimator, shares_from_tables
from circo.analysis.ei.api import convergence_problems, finite_json, fit_ei, round_to_sum_one
from circo.analysis.ei.em import EMEstimator
from circo.analysis.errors import AnalysisError
from circo.elections.territories import parse_territory
from circo.targeting.service.tables import (
    OPTION_LABELS,
    StationTable,
    TargetingError,
    load_station_table,
)


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
