"""Accuracy measures of an ecological-inference estimate against a known truth."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def true_global_shares(true_tables: ArrayLike) -> FloatArray:
    """(R, C) row shares of the summed (n_units, R, C) true tables."""
    cells = np.asarray(true_tables, dtype=np.float64).sum(axis=0)
    return cells / np.maximum(cells.sum(axis=1, keepdims=True), 1e-300)


def global_mae_pp(estimate: ArrayLike, truth: ArrayLike) -> float:
    """gMAE: mean absolute error of the (R, C) global shares, in percentage points."""
    est = np.asarray(estimate, dtype=np.float64)
    true = np.asarray(truth, dtype=np.float64)
    return float(100 * np.mean(np.abs(est - true)))


def error_index(estimated_counts: ArrayLike, true_counts: ArrayLike) -> float:
    """Pavía & Romero's error index EI, in percent.

    ``EI = 100 · Σ_jk |n̂_jk − n_jk| / (2 · N)`` on (R, C) count tables (the global table, i.e.
    unit tables summed): the percentage of voters allocated to a wrong cell. Pass (n, R, C)
    arrays to have them summed over units first.
    """
    est = np.asarray(estimated_counts, dtype=np.float64)
    true = np.asarray(true_counts, dtype=np.float64)
    if est.ndim == 3:
        est = est.sum(axis=0)
    if true.ndim == 3:
        true = true.sum(axis=0)
    return float(100 * np.abs(est - true).sum() / (2 * true.sum()))


def unit_mae_pp(estimated_tables: ArrayLike, true_tables: ArrayLike) -> float:
    """Mean absolute error of unit-level shares (table / row total), percentage points.

    Averaged over every (unit, group, candidate) cell whose true group count is positive.
    """
    est = np.asarray(estimated_tables, dtype=np.float64)
    true = np.asarray(true_tables, dtype=np.float64)
    rows = true.sum(axis=2, keepdims=True)
    est_rows = est.sum(axis=2, keepdims=True)
    mask = np.broadcast_to(rows > 0, true.shape)
    true_share = np.divide(true, rows, out=np.zeros_like(true), where=rows > 0)
    est_share = np.divide(est, est_rows, out=np.zeros_like(est), where=est_rows > 0)
    return float(100 * np.abs(est_share - true_share)[mask].mean())


def coverage(intervals: ArrayLike, truth: ArrayLike) -> float:
    """Share of cells whose true value lies inside ``[low, high]``; intervals are (..., 2)."""
    bounds = np.asarray(intervals, dtype=np.float64)
    true = np.asarray(truth, dtype=np.float64)
    inside = (bounds[..., 0] <= true) & (true <= bounds[..., 1])
    return float(inside.mean())


def unit_error_index(estimated_tables: ArrayLike, true_tables: ArrayLike) -> float:
    """Mean over units of the per-unit error index ``100·Σ_rc |n̂_irc − n_irc| / (2·N_i)``, %.

    Unlike :func:`error_index` (on the global table, where unit errors can cancel), this
    scores every unit's table; units with no voters are skipped.
    """
    est = np.asarray(estimated_tables, dtype=np.float64)
    true = np.asarray(true_tables, dtype=np.float64)
    totals = true.sum(axis=(1, 2))
    keep = totals > 0
    per_unit = np.abs(est - true).sum(axis=(1, 2))[keep] / (2 * totals[keep])
    return float(100 * per_unit.mean())
