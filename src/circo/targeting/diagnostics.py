"""Diagnostics of a transfer fit: tomography lines of one cell, residuals per bureau.

The tomography plot reduces the R×C problem to 2×2 for one (row, column) cell: for each bureau,
the line of (share of the row going to the column, share of the other rows going to it)
compatible with its counts. The fitted point should sit where many lines cross. Residuals
compare each bureau's observed column share with the share predicted by the global matrix:
large standardised residuals flag bureaux where "the same behaviour everywhere" fits badly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from circo.analysis.diagnostics import residuals, tomography_lines
from circo.elections.territories import parse_territory
from circo.targeting.service import (
    TargetingError,
    fit_transfer_model,
    sampler_diagnostics,
    transfer_inputs,
)


@dataclass
class StationResidual:
    station: str
    observed: float
    predicted: float
    standardised: float


@dataclass
class DiagnosticsReport:
    source: str
    target: str
    territory: str
    method: str
    rows: list[str]
    columns: list[str]
    row: str
    column: str
    lines: np.ndarray  # (n, 2, 2)
    estimate: tuple[float, float]
    residuals: list[StationResidual]  # sorted by decreasing |standardised|
    stations: int
    sampler: dict[str, Any] = field(default_factory=dict)

    def as_dict(self, *, limit: int = 50) -> dict[str, Any]:
        return {
            "from": self.source,
            "to": self.target,
            "territory": self.territory,
            "method": self.method,
            "row": self.row,
            "column": self.column,
            "rows": self.rows,
            "columns": self.columns,
            "stations": self.stations,
            "estimate": {"row_share": self.estimate[0], "others_share": self.estimate[1]},
            "tomography": [
                None if not np.isfinite(line).all() else np.round(line, 5).tolist()
                for line in self.lines
            ],
            "residuals": [
                {
                    "station": item.station,
                    "observed": round(item.observed, 5),
                    "predicted": round(item.predicted, 5),
                    "standardised": round(item.standardised, 3),
                }
                for item in self.residuals[:limit]
            ],
            "diagnostics": self.sampler,
        }


def _pick(names: list[str], wanted: str | None, default: int, what: str) -> int:
    if not wanted:
        return default
    if wanted in names:
        return names.index(wanted)
    raise TargetingError(
        f"{what} inconnue « {wanted} » (attendu l'une de : {', '.join(names)})", loc=what
    )


def transfer_diagnostics(
    session: Session,
    *,
    source: tuple[str, int],
    target: tuple[str, int],
    territory: str,
    row: str | None = None,
    column: str | None = None,
    method: str = "em",
) -> DiagnosticsReport:
    """Tomography of the cell (``row`` → ``column``) and residuals of ``column`` per bureau.

    Only the point estimate is used: EM runs without its bootstrap.
    """
    inputs = transfer_inputs(session, source=source, target=target, territory=territory)
    estimator = fit_transfer_model(inputs, method=method, intervals=False)
    shares = np.asarray(estimator.global_)
    rows, columns = list(estimator.group_names_), list(estimator.candidate_names_)
    r = _pick(rows, row, 0, "ligne")
    c = _pick(columns, column, 0, "colonne")
    row_totals = inputs.row_counts.sum(axis=1)
    column_totals = inputs.column_counts.sum(axis=1)
    x = np.divide(
        inputs.row_counts[:, r], row_totals, out=np.zeros_like(row_totals), where=row_totals > 0
    )
    t = np.divide(
        inputs.column_counts[:, c],
        column_totals,
        out=np.zeros_like(column_totals),
        where=column_totals > 0,
    )
    weights = inputs.row_counts.sum(axis=0)
    others = np.delete(np.arange(len(rows)), r)
    others_share = float(
        (weights[others] * shares[others, c]).sum() / max(float(weights[others].sum()), 1e-9)
    )
    raw, standardised = residuals(inputs.row_counts, inputs.column_counts, shares)
    observed = t
    predicted = observed - raw[:, c]
    order = np.argsort(-np.abs(standardised[:, c]), kind="stable")
    return DiagnosticsReport(
        source=f"{inputs.source.election}:{inputs.source.round}",
        target=f"{inputs.target.election}:{inputs.target.round}",
        territory=parse_territory(territory).key,
        method=estimator.method,
        rows=rows,
        columns=columns,
        row=rows[r],
        column=columns[c],
        lines=tomography_lines(x, t),
        estimate=(float(shares[r, c]), others_share),
        residuals=[
            StationResidual(
                station=inputs.stations[i],
                observed=float(observed[i]),
                predicted=float(predicted[i]),
                standardised=float(standardised[i, c]),
            )
            for i in order
        ],
        stations=len(inputs.stations),
        sampler=sampler_diagnostics(estimator),
    )
