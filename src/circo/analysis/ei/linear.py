"""Goodman's ecological regression, simplex-constrained least squares and Duncan–Davis bounds."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from circo.analysis.ei._base import EIEstimator
from circo.analysis.ei._data import EIData
from circo.analysis.ei.ipf import ipf_tables

FloatArray = NDArray[np.float64]


def _shares(data: EIData) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Group fractions (n, R), candidate fractions (n, C) and weights (n,) of non-empty units."""
    keep = data.totals > 0
    totals = data.totals[keep]
    return (
        data.groups[keep] / totals[:, None],
        data.candidates[keep] / totals[:, None],
        totals,
    )


def _ipf_from_global(data: EIData, shares: FloatArray) -> FloatArray:
    seed = data.groups[:, :, None] * shares[None, :, :]
    return ipf_tables(seed, data.groups, data.candidates)


def project_rows_to_simplex(matrix: FloatArray) -> FloatArray:
    """Euclidean projection of every row of an (R, C) matrix onto the probability simplex."""
    sorted_desc = -np.sort(-matrix, axis=1)
    cumulative = np.cumsum(sorted_desc, axis=1) - 1.0
    index = np.arange(1, matrix.shape[1] + 1)
    condition = sorted_desc - cumulative / index > 0
    rho = matrix.shape[1] - 1 - np.argmax(condition[:, ::-1], axis=1)
    theta = cumulative[np.arange(matrix.shape[0]), rho] / (rho + 1)
    return np.maximum(matrix - theta[:, None], 0.0)


def simplex_least_squares(
    fractions: FloatArray,
    targets: FloatArray,
    weights: FloatArray,
    *,
    max_iter: int = 20000,
    tol: float = 1e-12,
) -> FloatArray:
    """Row-stochastic P minimising ``Σ_i w_i ‖t_i − x_i P‖²`` (accelerated projected gradient).

    Args:
        fractions: (n, R) group fractions x_i; targets: (n, C) candidate fractions t_i;
        weights: (n,) non-negative weights w_i.

    Returns:
        (R, C) matrix whose rows lie on the simplex.
    """
    gram = fractions.T @ (weights[:, None] * fractions)
    cross = fractions.T @ (weights[:, None] * targets)
    lipschitz = float(np.linalg.eigvalsh(gram).max()) or 1.0
    n_rows, n_cols = gram.shape[0], targets.shape[1]
    current = np.full((n_rows, n_cols), 1.0 / n_cols)
    momentum = current.copy()
    step_t = 1.0
    for _ in range(max_iter):
        gradient = gram @ momentum - cross
        following = project_rows_to_simplex(momentum - gradient / lipschitz)
        next_t = (1 + np.sqrt(1 + 4 * step_t**2)) / 2
        momentum = following + ((step_t - 1) / next_t) * (following - current)
        change = float(np.abs(following - current).max())
        current, step_t = following, next_t
        if change < tol:
            break
    return current


class GoodmanER(EIEstimator):
    """Goodman's ecological regression, weighted by unit totals.

    Regresses candidate fractions on group fractions without intercept (one weighted
    least-squares fit per candidate). Raw coefficients are kept in ``coef_`` (R, C) and may
    leave [0, 1]; ``global_`` clips them to [0, 1] and renormalises rows. ``intervals_`` are
    normal-theory confidence intervals of ``coef_`` clipped to [0, 1]. Unit tables: IPF of
    ``X_i × global_`` to each unit's margins.
    """

    method = "goodman"
    interval_kind = "confidence interval"

    coef_: FloatArray
    stderr_: FloatArray

    def __init__(self, *, level: float = 0.95) -> None:
        self.level = level

    def _fit(self, data: EIData) -> None:
        fractions, targets, weights = _shares(data)
        root = np.sqrt(weights)[:, None]
        coef, *_ = np.linalg.lstsq(fractions * root, targets * root, rcond=None)
        residuals = (targets - fractions @ coef) * root
        dof = max(fractions.shape[0] - fractions.shape[1], 1)
        sigma2 = (residuals**2).sum(axis=0) / dof
        gram_inv = np.linalg.pinv((fractions * root).T @ (fractions * root))
        # The regression weight is the unit total, so coefficients are in "per voter" units.
        stderr = np.sqrt(np.outer(np.diag(gram_inv), sigma2))
        z = float(stats.norm.ppf(0.5 + self.level / 2))
        self.coef_ = np.asarray(coef, dtype=np.float64)
        self.stderr_ = np.asarray(stderr, dtype=np.float64)
        clipped = np.clip(coef, 0.0, 1.0)
        row_sum = clipped.sum(axis=1, keepdims=True)
        shares = np.where(
            row_sum > 0, clipped / np.where(row_sum > 0, row_sum, 1), 1 / coef.shape[1]
        )
        self.global_ = shares
        self.intervals_ = np.clip(np.stack([coef - z * stderr, coef + z * stderr], axis=-1), 0, 1)
        self.unit_tables_ = _ipf_from_global(data, shares)


class SimplexLS(EIEstimator):
    """Least squares constrained to the simplex (each group's shares ≥ 0 and summing to 1).

    Minimises ``Σ_i w_i ‖t_i − x_i P‖²`` over row-stochastic P, with x_i, t_i the unit's group
    and candidate fractions and w_i the unit total (``weighting="total"``), 1
    (``"none"``) or total² (``"counts"``: least squares on counts). ``intervals_`` come from a
    bootstrap over units (``n_bootstrap`` resamples). Unit tables: IPF of ``X_i × P``.
    """

    method = "simplex_ls"
    interval_kind = "bootstrap interval"

    def __init__(
        self,
        *,
        weighting: str = "total",
        n_bootstrap: int = 100,
        level: float = 0.95,
        random_state: int | None = None,
    ) -> None:
        self.weighting = weighting
        self.n_bootstrap = n_bootstrap
        self.level = level
        self.random_state = random_state

    def _weights(self, totals: FloatArray) -> FloatArray:
        if self.weighting == "total":
            return totals
        if self.weighting == "counts":
            return totals**2
        if self.weighting == "none":
            return np.ones_like(totals)
        raise ValueError(f"weighting must be 'total', 'counts' or 'none'; got {self.weighting!r}")

    def _fit(self, data: EIData) -> None:
        fractions, targets, totals = _shares(data)
        weights = self._weights(totals)
        shares = simplex_least_squares(fractions, targets, weights)
        rng = np.random.default_rng(self.random_state)
        draws = []
        for _ in range(self.n_bootstrap):
            pick = rng.integers(0, fractions.shape[0], fractions.shape[0])
            draws.append(simplex_least_squares(fractions[pick], targets[pick], weights[pick]))
        self.global_ = shares
        self.intervals_ = _percentile_intervals(draws, shares, self.level)
        self.unit_tables_ = _ipf_from_global(data, shares)


def _percentile_intervals(draws: list[FloatArray], point: FloatArray, level: float) -> FloatArray:
    if not draws:
        return np.stack([point, point], axis=-1)
    stacked = np.stack(draws)
    alpha = 100 * (1 - level) / 2
    low, high = np.percentile(stacked, [alpha, 100 - alpha], axis=0)
    return np.stack([np.minimum(low, point), np.maximum(high, point)], axis=-1)


def unit_bounds(groups: FloatArray, candidates: FloatArray) -> FloatArray:
    """Duncan–Davis bounds on the counts of every cell of every unit.

    Args:
        groups: (n, R) group counts; candidates: (n, C) candidate counts (same unit totals).

    Returns:
        (n, R, C, 2) lowest and highest count compatible with the unit's margins:
        ``max(0, X_ir + T_ic − N_i)`` and ``min(X_ir, T_ic)``.
    """
    totals = candidates.sum(axis=1)
    x = groups[:, :, None]
    t = candidates[:, None, :]
    low = np.maximum(0.0, x + t - totals[:, None, None])
    high = np.minimum(x, t)
    return np.stack([low, np.maximum(low, high)], axis=-1)


class DuncanDavisBounds(EIEstimator):
    """Deterministic (method of bounds) estimator.

    ``unit_bounds_`` (n, R, C, 2) are count bounds per unit and cell; ``unit_share_bounds_`` the
    same as shares of the group; ``intervals_`` (R, C, 2) the global share bounds (sums of unit
    bounds over the group total) — sure to contain the truth. The point estimate (``global_``,
    ``unit_tables_``) is the neutral one: within each unit, every group votes like the unit
    (``X_ir · T_ic / N_i``), which always lies inside the bounds.
    """

    method = "bounds"
    interval_kind = "deterministic bounds"

    unit_bounds_: FloatArray

    def __init__(self) -> None:
        pass

    @property
    def unit_share_bounds_(self) -> FloatArray:
        """(n, R, C, 2) bounds on each unit's group shares (0–1; [0, 1] for empty groups)."""
        self._check_fitted()
        group = self.group_counts_[:, :, None, None]
        shares = np.divide(
            self.unit_bounds_, group, out=np.zeros_like(self.unit_bounds_), where=group > 0
        )
        shares[..., 1] = np.where(group[..., 0] > 0, shares[..., 1], 1.0)
        return shares

    def _fit(self, data: EIData) -> None:
        bounds = unit_bounds(data.groups, data.candidates)
        group_total = data.groups.sum(axis=0)[:, None, None]
        self.unit_bounds_ = bounds
        self.intervals_ = np.divide(
            bounds.sum(axis=0), group_total, out=np.zeros(bounds.shape[1:]), where=group_total > 0
        )
        totals = np.maximum(data.totals, 1e-300)[:, None, None]
        self.unit_tables_ = data.groups[:, :, None] * data.candidates[:, None, :] / totals
