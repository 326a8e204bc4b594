"""Metropolis moves of the multinomial-Dirichlet sampler along the likelihood ridges.

For groups r ≠ s and candidates c ≠ d, moving the four "masses" ``m = x β`` of a unit as

    m_rc += t,  m_rd −= t,  m_sc −= t,  m_sd += t

leaves the unit's row sums of β and its candidate shares θ_i = Σ_r x_ir β_ir unchanged, so the
likelihood is unchanged. t lives on the open segment (−low, high) with
``low = min(m_rc, m_sd)`` and ``high = min(m_rd, m_sc)``; the moves below are random walks on
the logit of the position on that segment, ``z = log(low / high)``. Near an edge a step in z
is a relative change of the small cell, so cells with shares of 1–3 % (blank votes, transfers
between opposed candidates) move as freely as large ones; the change of variable contributes
the Jacobian ``low'·high' / (low·high)`` to the acceptance ratio.

Every function works on all chains and units at once: ``beta`` is (K, n, R, C).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit, gammaln

FloatArray = NDArray[np.float64]

_CENTRE_SWEEPS = 12


@dataclass
class SegmentMove:
    """Proposed moves of Q disjoint cell quads (r, s, c, d), for every chain and unit.

    Attributes:
        rows, cols: (4, Q) cell indices, in the order (r, c), (r, d), (s, c), (s, d).
        old, new: (4, Q, K, n) β values of those cells before / after.
        log_ratio: (Q, K, n) log prior ratio of β (given α) plus the log Jacobian, per unit
            (−inf where a usable unit cannot move).
        log_jacobian: (Q, K, n) log Jacobian of the change of variable alone (0 if not moved).
        log_change: (4, Q, K, n) log β' − log β of the cells (0 if not moved).
        valid: (Q, K, n) whether the unit moved (both groups present, no underflow).
        usable: (Q, n) units where both groups are present (the others never move).
    """

    rows: NDArray[np.intp]
    cols: NDArray[np.intp]
    old: FloatArray
    new: FloatArray
    log_ratio: FloatArray
    log_jacobian: FloatArray
    log_change: FloatArray
    valid: NDArray[np.bool_]
    usable: NDArray[np.bool_]


def propose_segment(
    beta: FloatArray,
    fractions: FloatArray,
    alpha: FloatArray,
    quads: NDArray[np.intp],
    step: FloatArray,
) -> SegmentMove:
    """Move every unit's position on its (r, s, c, d) segments by ``step`` in logit scale.

    Args:
        beta: (K, n, R, C) current shares; fractions: (n, R) group fractions x.
        alpha: (K, R, C) Dirichlet parameters used in the prior ratio.
        quads: (Q, 4) rows (r, s, c, d) touching disjoint cells.
        step: logit steps broadcastable to (Q, K, n).
    """
    r, s, c, d = quads.T
    rows = np.stack([r, r, s, s])  # (4, Q)
    cols = np.stack([c, d, c, d])
    scale = fractions[:, rows].transpose(1, 2, 0)[:, :, None, :]  # (4, Q, 1, n)
    usable = (scale[0, :, 0] > 0) & (scale[2, :, 0] > 0)  # (Q, n)
    old = beta[:, :, rows, cols].transpose(2, 3, 0, 1)  # (4, Q, K, n)
    mass = old * scale
    low = np.minimum(mass[0], mass[3])
    high = np.minimum(mass[1], mass[2])
    length = low + high
    with np.errstate(divide="ignore", invalid="ignore"):
        position = np.log(low) - np.log(high) + step
    new_low = length * expit(position)
    new_high = length * expit(-position)
    # the binding cell of each side gets exactly new_low / new_high (no cancellation)
    new_mass = np.stack(
        [
            np.where(mass[0] == low, new_low, mass[0] + (new_low - low)),
            np.where(mass[1] == high, new_high, mass[1] + (new_high - high)),
            np.where(mass[2] == high, new_high, mass[2] + (new_high - high)),
            np.where(mass[3] == low, new_low, mass[3] + (new_low - low)),
        ]
    )
    usable_units = usable[:, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        new = np.where(usable_units[None], new_mass / scale, old)
        valid = usable_units & (new > 0).all(axis=0) & (low > 0) & (high > 0)
        coef = alpha[:, rows, cols].transpose(1, 2, 0)[..., None] - 1.0  # (4, Q, K, 1)
        log_jacobian = np.log(new_low) + np.log(new_high) - np.log(low) - np.log(high)
        log_change = np.where(valid[None], np.log(new) - np.log(old), 0.0)
        log_ratio = (coef * log_change).sum(axis=0) + log_jacobian
    log_jacobian = np.where(valid, log_jacobian, 0.0)
    # a usable unit that cannot move (underflow) rejects; absent groups never move
    log_ratio = np.where(valid, log_ratio, np.where(usable_units, -np.inf, 0.0))
    new = np.where(valid[None], new, old)
    return SegmentMove(rows, cols, old, new, log_ratio, log_jacobian, log_change, valid, usable)


def apply_move(beta: FloatArray, move: SegmentMove, accept: NDArray[np.bool_]) -> None:
    """Write accepted units' new values into ``beta`` (accept broadcastable to (Q, K, n))."""
    chosen = np.where(accept[None], move.new, move.old)  # (4, Q, K, n)
    beta[:, :, move.rows, move.cols] = chosen.transpose(2, 3, 0, 1)


def disjoint_quads(rng: np.random.Generator, n_rows: int, n_cols: int) -> NDArray[np.intp]:
    """(Q, 4) quads (r, s, c, d) with disjoint cells: random row pairs × random column pairs."""
    rows = rng.permutation(n_rows)[: 2 * (n_rows // 2)].reshape(-1, 2)
    cols = rng.permutation(n_cols)[: 2 * (n_cols // 2)].reshape(-1, 2)
    quads = np.array([[r, s, c, d] for r, s in rows for c, d in cols], dtype=np.intp)
    return quads


def row_disjoint_quads(rng: np.random.Generator, n_rows: int, n_cols: int) -> NDArray[np.intp]:
    """(Q, 4) quads whose row pairs are disjoint, each with its own random column pair."""
    rows = rng.permutation(n_rows)[: 2 * (n_rows // 2)].reshape(-1, 2)
    cols = np.array([rng.choice(n_cols, 2, replace=False) for _ in rows])
    return np.concatenate([rows, cols], axis=1).astype(np.intp)


def dirichlet_newton_matrix(alpha: FloatArray) -> FloatArray:
    """(K, R, C, C) matrices M with Δα_r ≈ M_r · Δ(mean log β_r) for the Dirichlet MLE.

    The MLE of Dirichlet(α_r) from units' β_ir solves ψ(α_rc) − ψ(A_r) = mean_i log β_irc;
    M_r = −H_r⁻¹ with H_r = ψ'(A_r)·11ᵀ − diag ψ'(α_rc) is the first-order response of the
    solution to a change of those means.
    """
    from scipy.special import polygamma

    trigamma = polygamma(1, alpha)  # (K, R, C)
    total = polygamma(1, alpha.sum(axis=2))  # (K, R)
    n_cols = alpha.shape[2]
    hessian = total[..., None, None] * np.ones((n_cols, n_cols)) - trigamma[..., None] * np.eye(
        n_cols
    )
    return np.asarray(-np.linalg.inv(hessian), dtype=np.float64)


def dirichlet_rows_log_density(
    alpha_rows: FloatArray, log_beta_sums: FloatArray, n_units: int
) -> FloatArray:
    """Σ_i log Dirichlet(β_ir | α_r) for some rows: alpha_rows, log_beta_sums (K, rows, C)."""
    normaliser = gammaln(alpha_rows.sum(axis=2)) - gammaln(alpha_rows).sum(axis=2)
    return np.asarray(
        (n_units * normaliser + ((alpha_rows - 1.0) * log_beta_sums).sum(axis=2)).sum(axis=1),
        dtype=np.float64,
    )


def ridge_centres(mean_shares: FloatArray, fractions: FloatArray, beta: FloatArray) -> FloatArray:
    """(K, n, R, C) points on each unit's current ridge near the mean shares m (α row means).

    A few IPF sweeps fit the seed ``x_ir m_rc`` to the unit's group shares x_i and its current
    candidate shares θ_i = Σ_r x_ir β_irc (columns exact after the last sweep); adding each
    row's remaining gap evenly to its cells then makes the rows sum to 1 exactly without
    changing θ (the gaps weighted by x sum to 0). Rows of absent groups are m. The result
    depends only on m, x and θ, which the scale moves leave unchanged.
    """
    theta = np.einsum("ir,kirc->kic", fractions, beta)  # (K, n, C)
    rows = fractions[None, :, :]  # (1, n, R)
    tables = np.maximum(rows[..., None] * mean_shares[:, None], 1e-300)  # (K, n, R, C)
    for _ in range(_CENTRE_SWEEPS):
        row_sums = tables.sum(axis=3)
        tables *= np.divide(rows, row_sums, out=np.zeros_like(row_sums), where=row_sums > 0)[
            ..., None
        ]
        col_sums = tables.sum(axis=2)
        tables *= np.divide(theta, col_sums, out=np.zeros_like(col_sums), where=col_sums > 0)[
            :, :, None, :
        ]
    present = (fractions > 0)[None, :, :, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        centres = np.where(present, tables / fractions[None, :, :, None], 0.0)
    gap = np.where(present[..., 0], 1.0 - centres.sum(axis=3), 0.0)
    centres += gap[..., None] / beta.shape[3]
    return np.where(present, centres, np.broadcast_to(mean_shares[:, None], beta.shape))


@dataclass
class ScaleMove:
    """A radial move of every unit towards (or away from) its ridge centre.

    Attributes:
        new: (K, n, R, C) proposed β. log_jacobian: (K,) log Jacobian of the β map.
        valid: (K,) False where some unit would leave the simplex (float underflow only).
    """

    new: FloatArray
    log_jacobian: FloatArray
    valid: NDArray[np.bool_]


def propose_scale(
    beta: FloatArray, centres: FloatArray, step: FloatArray, dimension: FloatArray
) -> ScaleMove:
    """Move each unit along the ray from its centre through β, by ``step`` (K,) in logit scale.

    On the ray β* + t·(β − β*) the unit stays in the simplex for t < t_max; its position is
    u = 1/t_max ∈ (0, 1) and the move sets logit u' = logit u + step, so the map never leaves
    the simplex and is inverted by −step (the ray and t_max·(β − β*) are unchanged). The
    Jacobian in the unit's ``dimension``-dimensional affine set is (u'/u)^D · (1−u')/(1−u).
    """
    deviation = beta - centres
    with np.errstate(divide="ignore", invalid="ignore"):
        reach = np.where(deviation < 0, -deviation / centres, 0.0)  # 1/t for each cell
    inverse_tmax = reach.max(axis=(2, 3))  # (K, n) = u
    inside = inverse_tmax > 0
    u = np.where(inside, inverse_tmax, 0.5)
    with np.errstate(divide="ignore"):
        logit = np.log(u) - np.log1p(-u)
    new_u = expit(logit + step[:, None])
    factor = np.where(inside, new_u / u, 1.0)
    new = centres + factor[..., None, None] * deviation
    with np.errstate(divide="ignore", invalid="ignore"):
        per_unit = dimension[None, :] * np.log(factor) + np.log1p(-new_u) - np.log1p(-u)
    per_unit = np.where(inside, per_unit, 0.0)
    valid = (new > 0).all(axis=(1, 2, 3)) & np.isfinite(per_unit).all(axis=1)
    return ScaleMove(new, per_unit.sum(axis=1), np.asarray(valid, dtype=np.bool_))


def propose_row_scale(
    beta: FloatArray, centres: FloatArray, fractions: FloatArray, row: int, step: FloatArray
) -> ScaleMove:
    """Scale one group's deviation from its ridge centre, staying on every unit's ridge.

    With D = β − β*, the map D_r → λ·D_r, D_s → D_s + (1 − λ)·x_r/(1 − x_r)·D_r (other
    present groups s) keeps row sums and θ_i. For fixed λ-range it is a line in β, so the
    unit moves on the segment λ ∈ (λ_lo, λ_hi) where β stays positive (λ_lo ≥ 0; now λ = 1)
    by a logit step on v = (λ − λ_lo)/(λ_hi − λ_lo). The map is inverted by −step; in the
    coordinates (D_r, D_s + x_r/(1 − x_r)·D_r) it is a radial map of D_r alone, so its
    Jacobian is (λ'/λ)^{C−2} · v'(1 − v')/(v(1 − v)).
    """
    n_cols = beta.shape[3]
    x_r = fractions[:, row]
    others = (fractions > 0) & (np.arange(fractions.shape[1]) != row)[None, :]
    share = np.divide(x_r, 1.0 - x_r, out=np.zeros_like(x_r), where=x_r < 1.0)
    deviation_r = beta[:, :, row] - centres[:, :, row]  # (K, n, C)
    direction = others[None, :, :, None] * (share[None, :, None, None] * deviation_r[:, :, None])
    direction[:, :, row] = -deviation_r  # β(λ) = β + (1 − λ)·direction
    base = beta + direction  # value at λ = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = base / direction  # β(λ) > 0 ⇔ λ < ratio where direction > 0, λ > ratio where < 0
        upper = np.where(direction > 0, ratio, np.inf).min(axis=(2, 3))
        lower = np.maximum(np.where(direction < 0, ratio, -np.inf).max(axis=(2, 3)), 0.0)
    movable = (np.abs(deviation_r).max(axis=2) > 0) & np.isfinite(upper) & (upper > 1.0)
    movable &= lower < 1.0
    upper = np.where(movable, upper, 2.0)
    lower = np.where(movable, lower, 0.0)
    width = upper - lower
    position = (1.0 - lower) / width
    with np.errstate(divide="ignore"):
        logit = np.log(position) - np.log1p(-position)
    new_position = expit(logit + step[:, None])
    new_scale = np.where(movable, lower + width * new_position, 1.0)
    new = beta + ((1.0 - new_scale)[..., None, None]) * direction
    with np.errstate(divide="ignore", invalid="ignore"):
        per_unit = (n_cols - 2) * np.log(new_scale)
        per_unit += np.log(new_position) + np.log1p(-new_position)
        per_unit -= np.log(position) + np.log1p(-position)
    per_unit = np.where(movable, per_unit, 0.0)
    new = np.where(movable[..., None, None], new, beta)
    valid = (new > 0).all(axis=(1, 2, 3)) & np.isfinite(per_unit).all(axis=1)
    return ScaleMove(new, per_unit.sum(axis=1), np.asarray(valid, dtype=np.bool_))
