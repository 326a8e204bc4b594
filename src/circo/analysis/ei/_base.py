"""Shared machinery of the ecological-inference estimators."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from circo.analysis.ei._data import EIData, validate
from circo.analysis.errors import NotFittedError

FloatArray = NDArray[np.float64]


def shares_from_tables(tables: FloatArray, group_counts: FloatArray) -> FloatArray:
    """Row-stochastic (R, C) shares from (n_units, R, C) tables and (n_units, R) group counts.

    A group with no voters anywhere gets the overall candidate shares (its row must still sum
    to 1).
    """
    cells = tables.sum(axis=0)
    row_total = group_counts.sum(axis=0)
    overall = cells.sum(axis=0) / max(float(cells.sum()), 1e-300)
    shares = np.empty_like(cells)
    for row in range(cells.shape[0]):
        shares[row] = cells[row] / row_total[row] if row_total[row] > 0 else overall
    return shares / shares.sum(axis=1, keepdims=True)


def format_matrix(
    values: FloatArray,
    rows: Sequence[str],
    cols: Sequence[str],
    intervals: FloatArray | None = None,
) -> str:
    """A plain-text table of shares in percent, with optional [low, high] intervals."""
    cells = [[f"{100 * values[r, c]:5.1f}" for c in range(len(cols))] for r in range(len(rows))]
    if intervals is not None:
        cells = [
            [
                f"{cells[r][c]} [{100 * intervals[r, c, 0]:4.1f}–{100 * intervals[r, c, 1]:4.1f}]"
                for c in range(len(cols))
            ]
            for r in range(len(rows))
        ]
    first = max(len(name) for name in [*rows, ""])
    widths = [
        max(len(col), *(len(cells[r][c]) for r in range(len(rows)))) for c, col in enumerate(cols)
    ]
    header = (
        " " * first + "  " + "  ".join(col.rjust(w) for col, w in zip(cols, widths, strict=True))
    )
    lines = [header]
    for r, name in enumerate(rows):
        body = "  ".join(cell.rjust(w) for cell, w in zip(cells[r], widths, strict=True))
        lines.append(f"{name.ljust(first)}  {body}")
    return "\n".join(lines)


class EIEstimator:
    """Base class: scikit-learn style estimator for R×C ecological inference.

    Subclasses implement ``_fit(data)`` which must set ``unit_tables_`` and ``intervals_``
    (and may set ``global_``; by default it is computed from the unit tables). ``fit`` first
    forgets every fitted attribute of a previous fit (``_reset_fitted``); a subclass that
    overrides ``fit`` calls it before its own checks.

    Fitted attributes (shapes: n units, R groups, C candidates):
        global_: (R, C) share of each group's voters going to each candidate; rows sum to 1.
        unit_tables_: (n, R, C) estimated counts per unit.
        intervals_: (R, C, 2) lower/upper bounds of ``global_`` (level ``interval_level_``).
        group_names_, candidate_names_, unit_names_: labels.
        unit_mismatch_: (n,) relative difference of group vs candidate totals before rescaling.
        seconds_: wall time of ``fit``.
    """

    method: str = "base"
    interval_kind: str = "interval"

    global_: FloatArray
    unit_tables_: FloatArray
    intervals_: FloatArray
    interval_level_: float
    group_names_: list[str]
    candidate_names_: list[str]
    unit_names_: list[str]
    unit_mismatch_: FloatArray
    n_units_: int
    seconds_: float
    group_counts_: FloatArray
    candidate_counts_: FloatArray

    def fit(
        self,
        X: ArrayLike,
        T: ArrayLike,
        *,
        unit_names: Sequence[object] | None = None,
        group_names: Sequence[object] | None = None,
        candidate_names: Sequence[object] | None = None,
    ) -> EIEstimator:
        """Fit the model.

        Args:
            X: (n_units, R) counts per group in each unit (rows of the tables).
            T: (n_units, C) counts per candidate in each unit (columns of the tables).
            unit_names, group_names, candidate_names: optional labels for messages/outputs.

        Unit totals of ``X`` are rescaled to those of ``T`` (see ``_data.validate``).
        Raises ``EIInputError`` (a ``ValueError``) naming the offending unit and column.
        """
        start = time.perf_counter()
        self._reset_fitted()
        try:
            data = validate(
                X,
                T,
                unit_names=unit_names,
                group_names=group_names,
                candidate_names=candidate_names,
            )
            self.group_names_ = data.group_names
            self.candidate_names_ = data.candidate_names
            self.unit_names_ = data.unit_names
            self.unit_mismatch_ = data.mismatch
            self.n_units_ = data.n_units
            self.group_counts_ = data.groups
            self.candidate_counts_ = data.candidates
            self.interval_level_ = float(getattr(self, "level", 0.95))
            self._fit(data)
            if not hasattr(self, "global_"):
                self.global_ = shares_from_tables(self.unit_tables_, data.groups)
        except BaseException:
            self._reset_fitted()  # a failed fit leaves an unfitted estimator, not half of one
            raise
        self.seconds_ = time.perf_counter() - start
        return self

    def _reset_fitted(self) -> None:
        """Forget every fitted attribute (name ending with ``_``) of a previous fit, so that
        re-fitting on other data leaves nothing stale (e.g. a ``global_`` of another shape)."""
        for name in [name for name in vars(self) if name.endswith("_") and name[:2] != "__"]:
            delattr(self, name)

    def _fit(self, data: EIData) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _check_fitted(self) -> None:
        if not hasattr(self, "unit_tables_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet; call fit(X, T) first")

    @property
    def unit_shares_(self) -> FloatArray:
        """(n, R, C) estimated share of each unit's group voting for each candidate."""
        self._check_fitted()
        group = self.unit_tables_.sum(axis=2, keepdims=True)
        return np.divide(
            self.unit_tables_, group, out=np.zeros_like(self.unit_tables_), where=group > 0
        )

    def _summary_extra(self) -> list[str]:
        return []

    def summary(self) -> str:
        """A readable multi-line summary: method, sizes, global shares (%) with intervals."""
        self._check_fitted()
        level = round(100 * self.interval_level_)
        lines = [
            f"{type(self).__name__} ({self.method}): {self.n_units_} units, "
            f"{len(self.group_names_)} groups × {len(self.candidate_names_)} candidates, "
            f"fitted in {self.seconds_:.2f} s",
            f"Share of each group's voters by candidate, % [{level} % {self.interval_kind}]:",
            format_matrix(self.global_, self.group_names_, self.candidate_names_, self.intervals_),
        ]
        worst = float(np.max(np.abs(self.unit_mismatch_))) if self.n_units_ else 0.0
        if worst > 0.005:
            lines.append(
                f"Group totals rescaled to candidate totals (largest gap {100 * worst:.1f} %)."
            )
        lines.extend(self._summary_extra())
        return "\n".join(lines)
