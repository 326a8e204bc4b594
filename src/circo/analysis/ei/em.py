"""Fast R×C point estimate: EM with the multinomial E-step approximation, then IPF per unit.

Model (Thraves, Ubilla & Hermosilla, "A Fast Ecological Inference Algorithm for the R×C case"):
each voter of group g votes for candidate c with probability ``p_gc``, the same in every unit.
The E-step needs, for a voter of group g in unit b, the probability that they voted c given the
unit's results; the "mult" approximation replaces the distribution of the other voters' votes
by a multinomial, which gives

    q_bgc ∝ p_gc · y_bc / (λ_bc − p_gc),   λ_bc = Σ_g' w_bg' p_g'c,

normalised over c. The M-step is ``p_gc = Σ_b w_bg q_bgc / Σ_b w_bg``. Everything is an
(n_units, R, C) numpy operation, so 70 000 units × 14 × 4 fit in seconds and ~100 MB.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from circo.analysis.ei._base import EIEstimator, shares_from_tables
from circo.analysis.ei._data import EIData
from circo.analysis.ei.ipf import ipf_tables

FloatArray = NDArray[np.float64]

_EPS = 1e-9


def _e_step(groups: FloatArray, candidates: FloatArray, probs: FloatArray) -> FloatArray:
    """(n, R, C) conditional probabilities q_bgc (rows sum to 1)."""
    expected = groups @ probs  # (n, C)
    q = expected[:, None, :] - probs[None, :, :]
    np.maximum(q, _EPS, out=q)
    np.divide(candidates[:, None, :], q, out=q)
    q *= probs[None, :, :]
    total = q.sum(axis=2, keepdims=True)
    np.maximum(total, 1e-300, out=total)
    q /= total
    return q


_CHUNK = 4096


def _em_map(
    groups: FloatArray, candidates: FloatArray, probs: FloatArray, group_totals: FloatArray
) -> FloatArray:
    """One EM update p -> M(E(p)), in chunks of units so the (chunk, R, C) arrays stay in cache."""
    weighted = np.zeros_like(probs)
    for begin in range(0, groups.shape[0], _CHUNK):
        block = slice(begin, begin + _CHUNK)
        q = _e_step(groups[block], candidates[block], probs)
        q *= groups[block][:, :, None]
        weighted += q.sum(axis=0)
    updated = np.maximum(weighted / np.maximum(group_totals, 1e-300)[:, None], 1e-12)
    return updated / updated.sum(axis=1, keepdims=True)


def em_mult(
    groups: FloatArray,
    candidates: FloatArray,
    *,
    init: FloatArray | None = None,
    max_iter: int = 1000,
    tol: float = 1e-6,
) -> tuple[FloatArray, int, bool]:
    """Run EM ("mult" E-step) on (n, R) group counts and (n, C) candidate counts.

    The EM map is accelerated with SQUAREM (Varadhan & Roland 2008, scheme S3): each step
    extrapolates from two EM updates, projects back onto row-stochastic matrices and
    stabilises with one more EM update — the same fixed point, far fewer iterations.

    Args:
        groups: (n, R) group counts w_bg; candidates: (n, C) counts y_bc (same unit totals).
        init: optional (R, C) row-stochastic start; default: every group votes like the
            whole electorate.
        max_iter: maximum number of EM-map evaluations; tol: stop when no p_gc moves more
            than ``tol`` in one accelerated step.

    Returns:
        (probabilities (R, C), EM-map evaluations used, converged flag).
    """
    group_totals = groups.sum(axis=0)
    if init is None:
        overall = candidates.sum(axis=0) / candidates.sum()
        probs = np.tile(np.maximum(overall, 1e-6), (groups.shape[1], 1))
        probs /= probs.sum(axis=1, keepdims=True)
    else:
        probs = np.array(init, dtype=np.float64)
    evaluations = 0
    while evaluations < max_iter:
        first = _em_map(groups, candidates, probs, group_totals)
        second = _em_map(groups, candidates, first, group_totals)
        evaluations += 2
        step = first - probs
        curvature = second - first - step
        norm_v = float(np.sqrt((curvature**2).sum()))
        alpha = -float(np.sqrt((step**2).sum())) / norm_v if norm_v > 0 else -1.0
        alpha = min(alpha, -1.0)
        extrapolated = probs - 2 * alpha * step + alpha**2 * curvature
        if (extrapolated <= 0).any():
            extrapolated = second
        extrapolated = extrapolated / extrapolated.sum(axis=1, keepdims=True)
        updated = _em_map(groups, candidates, extrapolated, group_totals)
        evaluations += 1
        change = float(np.abs(updated - probs).max())
        probs = updated
        if change < tol:
            return probs, evaluations, True
    return probs, evaluations, False


def _e_step_batch(groups: FloatArray, candidates: FloatArray, probs: FloatArray) -> FloatArray:
    """(B, n, R, C) conditional probabilities for B probability matrices probs (B, R, C)."""
    expected = np.einsum("nr,brc->bnc", groups, probs)  # (B, n, C)
    q = expected[:, :, None, :] - probs[:, None, :, :]
    np.maximum(q, _EPS, out=q)
    np.divide(candidates[None, :, None, :], q, out=q)
    q *= probs[:, None, :, :]
    total = q.sum(axis=3, keepdims=True)
    np.maximum(total, 1e-300, out=total)
    q /= total
    return q


def _weighted_em_maps(
    groups: FloatArray, candidates: FloatArray, probs: FloatArray, unit_weights: FloatArray
) -> FloatArray:
    """(B, R, C) EM maps of B reweighted data sets (unit_weights (B, n)) at probs (B, R, C)."""
    n_units = groups.shape[0]
    chunk = max(64, _CHUNK * 16 // probs.shape[0])
    weighted = np.zeros_like(probs)
    for begin in range(0, n_units, chunk):
        block = slice(begin, begin + chunk)
        q = _e_step_batch(groups[block], candidates[block], probs)
        counts = unit_weights[:, block, None] * groups[None, block]  # (B, chunk, R)
        weighted += np.einsum("bnr,bnrc->brc", counts, q)
    return weighted / np.maximum(unit_weights @ groups, 1e-300)[:, :, None]


def _em_jacobian(groups: FloatArray, candidates: FloatArray, probs: FloatArray) -> FloatArray:
    """(F, F) Jacobian of the EM map at ``probs`` in free coordinates (F = R·(C−1)).

    Free coordinate (r, c), c < C−1, moves p_rc up and p_r,C−1 down (row sums stay 1);
    central differences, 2F map evaluations.
    """
    n_rows, n_cols = probs.shape
    group_totals = groups.sum(axis=0)
    size = n_rows * (n_cols - 1)
    jacobian = np.empty((size, size))
    for index in range(size):
        row, col = divmod(index, n_cols - 1)
        step = 1e-5 * min(probs[row, col], probs[row, -1], 1.0)
        direction = np.zeros_like(probs)
        direction[row, col], direction[row, -1] = step, -step
        plus = _em_map(groups, candidates, probs + direction, group_totals)
        minus = _em_map(groups, candidates, probs - direction, group_totals)
        jacobian[:, index] = ((plus - minus)[:, :-1] / (2 * step)).ravel()
    return jacobian


def linearised_bootstrap(
    groups: FloatArray,
    candidates: FloatArray,
    probs: FloatArray,
    *,
    n_bootstrap: int,
    rng: np.random.Generator,
    refine: int = 1,
) -> FloatArray:
    """(n_bootstrap, R, C) bootstrap EM estimates by linearised (Newton) steps from ``probs``.

    Units are resampled with replacement (a unit drawn k times counts k times). A replicate's
    fixed point p_b = M_b(p_b) is, to first order in the resampling perturbation,
    ``p + (I − J)⁻¹ (M_b(p) − p)`` with J the Jacobian of the full-data EM map at its fixed
    point p. ``M_b(p)`` only reweights the units' E-step contributions at p, so all replicates
    cost one E-step, 2·R·(C−1) EM maps for J and a small linear solve — instead of a full
    EM run per replicate. ``refine`` more quasi-Newton steps (same J, one batched EM map of
    every replicate each) remove most of the second-order error.
    """
    n_units, n_rows = groups.shape
    n_cols = probs.shape[1]
    contributions = groups[:, :, None] * _e_step(groups, candidates, probs)  # (n, R, C)
    draws = rng.integers(0, n_units, (n_bootstrap, n_units))
    unit_weights = np.zeros((n_bootstrap, n_units))
    np.add.at(unit_weights, (np.arange(n_bootstrap)[:, None], draws), 1.0)
    weighted = (unit_weights @ contributions.reshape(n_units, -1)).reshape(-1, n_rows, n_cols)
    row_totals = np.maximum(unit_weights @ groups, 1e-300)[:, :, None]
    mapped = weighted / row_totals  # M_b(p), rows sum to 1
    system = np.eye(n_rows * (n_cols - 1)) - _em_jacobian(groups, candidates, probs)
    current = np.broadcast_to(probs, mapped.shape)
    for refinement in range(1 + refine):
        if refinement:
            mapped = _weighted_em_maps(groups, candidates, current, unit_weights)
        residual = (mapped - current)[:, :, :-1].reshape(n_bootstrap, -1)
        shift = np.linalg.solve(system, residual.T).T.reshape(n_bootstrap, n_rows, -1)
        free = current[:, :, :-1] + shift
        updated = np.concatenate([free, 1.0 - free.sum(axis=2, keepdims=True)], axis=2)
        updated = np.maximum(updated, 1e-12)
        current = updated / updated.sum(axis=2, keepdims=True)
    return np.asarray(current, dtype=np.float64)


class EMEstimator(EIEstimator):
    """R×C EM estimator (fastei "mult" approximation) with IPF unit tables and bootstrap.

    Parameters:
        n_bootstrap: number of bootstrap resamples of units for ``intervals_`` (0: none, the
            interval collapses to the point estimate); each replicate is one linearised EM
            step from the full-data fit (``linearised_bootstrap``).
        max_iter, tol: EM stopping rule (largest change of a probability).
        level: interval level. random_state: seed of the bootstrap.

    Fitted attributes (besides the base ones):
        probabilities_: (R, C) EM probabilities p_gc (the model parameter).
        global_: (R, C) shares of the IPF-adjusted unit tables (what happened in these units).
        unit_tables_: (n, R, C) E-step expected counts ``w_bg q_bgc`` scaled by IPF so each
            unit's table matches both its margins.
        intervals_: (R, C, 2) percentile bootstrap intervals of p, re-centred on ``global_``.
        n_iter_, converged_: EM iterations and convergence flag.
    """

    method = "em"
    interval_kind = "bootstrap interval"

    probabilities_: FloatArray
    n_iter_: int
    converged_: bool
    bootstrap_draws_: FloatArray

    def __init__(
        self,
        *,
        n_bootstrap: int = 50,
        max_iter: int = 1000,
        tol: float = 1e-6,
        level: float = 0.95,
        random_state: int | None = None,
    ) -> None:
        self.n_bootstrap = n_bootstrap
        self.max_iter = max_iter
        self.tol = tol
        self.level = level
        self.random_state = random_state

    def _fit(self, data: EIData) -> None:
        keep = data.totals > 0
        groups, candidates = data.groups[keep], data.candidates[keep]
        probs, self.n_iter_, self.converged_ = em_mult(
            groups, candidates, max_iter=self.max_iter, tol=self.tol
        )
        self.probabilities_ = probs
        seed = data.groups[:, :, None] * _e_step(data.groups, data.candidates, probs)
        self.unit_tables_ = ipf_tables(seed, data.groups, data.candidates)
        self.global_ = shares_from_tables(self.unit_tables_, data.groups)
        self.bootstrap_draws_ = self._bootstrap(groups, candidates, probs)
        self.intervals_ = recentred_intervals(
            self.bootstrap_draws_, probs, self.global_, self.level
        )

    def _bootstrap(
        self, groups: FloatArray, candidates: FloatArray, probs: FloatArray
    ) -> FloatArray:
        if self.n_bootstrap <= 0:
            return np.empty((0, *probs.shape))
        rng = np.random.default_rng(self.random_state)
        return linearised_bootstrap(
            groups, candidates, probs, n_bootstrap=self.n_bootstrap, rng=rng
        )

    def _summary_extra(self) -> list[str]:
        state = "converged" if self.converged_ else "NOT converged (raise max_iter)"
        return [f"EM {state} after {self.n_iter_} iterations; {self.n_bootstrap} bootstrap fits."]


def recentred_intervals(
    draws: FloatArray, centre: FloatArray, point: FloatArray, level: float
) -> FloatArray:
    if draws.shape[0] == 0:
        return np.stack([point, point], axis=-1)
    alpha = 100 * (1 - level) / 2
    low, high = np.percentile(draws - centre[None], [alpha, 100 - alpha], axis=0)
    return np.clip(np.stack([point + low, point + high], axis=-1), 0.0, 1.0)
