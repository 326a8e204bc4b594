"""Sampler of the multinomial-Dirichlet model: state and update steps (see ``md``).

Every step is a numpy operation over (chains K, units n, groups R, candidates C) at once.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import gammaln

from circo.analysis.ei._md_moves import (
    apply_move,
    dirichlet_newton_matrix,
    dirichlet_rows_log_density,
    disjoint_quads,
    propose_row_scale,
    propose_scale,
    propose_segment,
    ridge_centres,
    row_disjoint_quads,
)

FloatArray = NDArray[np.float64]

_TINY = 1e-300
_RIDGE_TARGET = 0.3
_ALPHA_TARGET = 0.35
#: collective quads per table cell and per iteration; share of groups given a row-scale move
_COLLECTIVE_PER_CELL = 1.0
_ROW_SCALE_SHARE = 1.0


def _rows_density(alpha_rows: FloatArray, log_sums: FloatArray, n_units: int) -> FloatArray:
    """(K, Q) Σ_i log Dirichlet(β_ir | α_r) summed over the 2 rows of each quad: (K, Q, 2, C)."""
    normaliser = gammaln(alpha_rows.sum(axis=3)) - gammaln(alpha_rows).sum(axis=3)
    value = n_units * normaliser + ((alpha_rows - 1.0) * log_sums).sum(axis=3)
    return np.asarray(value.sum(axis=2), dtype=np.float64)


def _ridge_dimension(fractions: FloatArray, n_rows: int, n_cols: int) -> FloatArray:
    """(n,) dimension of each unit's ridge: (R−1)(C−1), or R(C−1) for an empty unit."""
    present = (fractions > 0).any(axis=1)
    return np.where(present, (n_rows - 1) * (n_cols - 1), n_rows * (n_cols - 1)).astype(np.float64)


class SamplerState:
    """Mutable sampler state for all chains."""

    def __init__(self, beta: FloatArray, alpha: FloatArray, n_units: int) -> None:
        self.beta = beta  # (K, n, R, C)
        self.alpha = alpha  # (K, R, C)
        n_chains = alpha.shape[0]
        self.ridge_scale = np.full((n_chains, n_units), 0.3)
        self.alpha_scale = np.full(alpha.shape, 0.1)
        self.collective_scale = np.full(n_chains, 0.05)
        self.scale_scale = np.full(n_chains, 0.05)
        self.row_scale = np.full(alpha.shape[:2], 0.1)
        self.alpha_average = alpha.copy()  # running mean of α during warm-up
        self.newton = dirichlet_newton_matrix(alpha)  # (K, R, C, C), frozen after warm-up


class MDSampler:
    """The update steps of the sampler, for the Gamma(prior_shape, prior_rate) hyper-prior."""

    def __init__(self, prior_shape: float, prior_rate: float) -> None:
        self.prior_shape = prior_shape
        self.prior_rate = prior_rate

    def iterate(
        self,
        rng: np.random.Generator,
        state: SamplerState,
        fractions: FloatArray,
        votes: NDArray[np.int64],
        adapt: bool,
    ) -> NDArray[np.int64]:
        """One sweep; returns accepted/proposed counts of (ridge, α, collective, scale).

        Data augmentation and β (exact Gibbs), collapsed α, then the Metropolis moves of
        ``_md_moves``: per-unit ridge moves, collective ridge moves with α, the concentration
        move of all groups and one per group. Step sizes (and the α response matrix of the
        collective moves) adapt only while ``adapt`` is true.
        """
        n_rows, n_cols = state.alpha.shape[1:]
        cells = n_rows * n_cols
        ridge_calls = -(-cells // (2 * (n_rows // 2) * (n_cols // 2)))
        collective_calls = max(1, round(_COLLECTIVE_PER_CELL * cells / (n_rows // 2)))
        split = self.allocate(rng, state, fractions, votes)
        alpha_stats = self.update_alpha(rng, state, split, adapt)
        self.draw_beta(rng, state, split)
        ridge = self.ridge_moves(rng, state, fractions, ridge_calls, adapt)
        collective = self.collective_moves(rng, state, fractions, collective_calls, adapt)
        # the ridge centres depend on the α means and θ, which the scale moves keep
        mean_shares = state.alpha / state.alpha.sum(axis=2, keepdims=True)
        centres = ridge_centres(mean_shares, fractions, state.beta)
        scale = np.add(
            self.scale_moves(rng, state, fractions, centres, 2, adapt),
            self.row_scale_moves(rng, state, fractions, centres, adapt),
        )
        if adapt:
            state.alpha_average = 0.9 * state.alpha_average + 0.1 * state.alpha
            state.newton = dirichlet_newton_matrix(state.alpha_average)
        return np.array([*ridge, *alpha_stats, *collective, *scale], dtype=np.int64)

    # -- steps -------------------------------------------------------------------------------
    def allocate(
        self,
        rng: np.random.Generator,
        state: SamplerState,
        fractions: FloatArray,
        votes: NDArray[np.int64],
    ) -> NDArray[np.int64]:
        """Split each unit's T_ic among groups: (K, n, R, C) integer counts."""
        weights = fractions[None, :, :, None] * state.beta  # (K, n, R, C)
        n_rows = weights.shape[2]
        remaining_weight = weights.sum(axis=2)
        remaining = np.broadcast_to(votes, remaining_weight.shape).astype(np.int64)
        split = np.empty(weights.shape, dtype=np.int64)
        for row in range(n_rows - 1):
            prob = np.divide(
                weights[:, :, row],
                remaining_weight,
                out=np.zeros_like(remaining_weight),
                where=remaining_weight > 0,
            )
            draw = rng.binomial(remaining, np.clip(prob, 0.0, 1.0))
            split[:, :, row] = draw
            remaining = remaining - draw
            remaining_weight = remaining_weight - weights[:, :, row]
        split[:, :, n_rows - 1] = remaining
        return split

    def draw_beta(
        self, rng: np.random.Generator, state: SamplerState, split: NDArray[np.int64]
    ) -> None:
        shape = state.alpha[:, None, :, :] + split
        gammas = rng.standard_gamma(shape)
        np.maximum(gammas, _TINY, out=gammas)
        state.beta = gammas / gammas.sum(axis=3, keepdims=True)

    def ridge_moves(
        self,
        rng: np.random.Generator,
        state: SamplerState,
        fractions: FloatArray,
        n_calls: int,
        adapt: bool,
    ) -> tuple[int, int]:
        """Per-unit random walks on the logit position along ridges (see ``_md_moves``)."""
        n_chains, n_units, n_rows, n_cols = state.beta.shape
        accepted = proposed = 0
        for _ in range(n_calls):
            quads = disjoint_quads(rng, n_rows, n_cols)
            shape = (len(quads), n_chains, n_units)
            step = rng.standard_normal(shape) * state.ridge_scale[None]
            move = propose_segment(state.beta, fractions, state.alpha, quads, step)
            accept = np.log(rng.random(shape)) < move.log_ratio
            apply_move(state.beta, move, accept)
            usable = np.broadcast_to(move.usable[:, None, :], shape)
            if adapt:
                rate = np.where(usable, accept - _RIDGE_TARGET, 0.0).mean(axis=0)
                state.ridge_scale *= np.exp(0.1 * rate)
                np.clip(state.ridge_scale, 1e-3, 20.0, out=state.ridge_scale)
            accepted += int((accept & usable).sum())
            proposed += int(usable.sum())
        return accepted, proposed

    def collective_moves(
        self,
        rng: np.random.Generator,
        state: SamplerState,
        fractions: FloatArray,
        n_calls: int,
        adapt: bool,
    ) -> tuple[int, int]:
        """Move every unit along the same ridge by the same logit step, and α with them.

        α_r and α_s then move by ``M_r · Δ(mean log β_r)`` (``dirichlet_newton_matrix`` of the
        warm-up α, frozen afterwards) so that α keeps fitting the units' shares. The map
        (β, α) → (β', α') is inverted by the opposite step (the α shift is antisymmetric and
        does not depend on α), so the acceptance ratio is the posterior ratio times the
        Jacobian of the β part, which ``propose_segment`` includes unit by unit. Quads with
        disjoint groups are independent moves and run together.
        """
        n_chains, n_units, n_rows, n_cols = state.beta.shape
        accepted = proposed = 0
        log_sums = np.log(state.beta).sum(axis=1)  # (K, R, C), kept up to date below
        for _ in range(n_calls):
            quads = row_disjoint_quads(rng, n_rows, n_cols)
            n_quads = len(quads)
            step = rng.standard_normal((n_quads, n_chains, 1)) * state.collective_scale[:, None]
            move = propose_segment(state.beta, fractions, state.alpha, quads, step)
            pair_rows = quads[:, :2]  # (Q, 2): rows r, s of each quad
            delta = np.zeros((n_chains, n_quads, 2, n_cols))
            shift = move.log_change.mean(axis=3)  # (4, Q, K)
            quad_index = np.arange(n_quads)
            for cell, (side, col) in enumerate(((0, 2), (0, 3), (1, 2), (1, 3))):
                delta[:, quad_index, side, quads[:, col]] = shift[cell].T
            alpha_rows = state.alpha[:, pair_rows]  # (K, Q, 2, C)
            newton = state.newton[:, pair_rows]  # (K, Q, 2, C, C)
            alpha_new = alpha_rows + np.einsum("kqrij,kqrj->kqri", newton, delta)
            sums_old = log_sums[:, pair_rows]
            sums_new = sums_old + delta * n_units
            # a usable unit that cannot move makes that quad's collective move invalid
            finite = np.isfinite(move.log_ratio).all(axis=2).T  # (K, Q)
            log_ratio = np.where(finite, move.log_jacobian.sum(axis=2).T, -np.inf)
            with np.errstate(divide="ignore", invalid="ignore"):
                log_ratio += _rows_density(alpha_new, sums_new, n_units)
                log_ratio -= _rows_density(alpha_rows, sums_old, n_units)
                log_ratio += self._alpha_log_prior(alpha_new) - self._alpha_log_prior(alpha_rows)
            log_ratio = np.where((alpha_new > 0).all(axis=(2, 3)), log_ratio, -np.inf)
            accept = np.log(rng.random((n_chains, n_quads))) < log_ratio  # (K, Q)
            apply_move(state.beta, move, accept.T[:, :, None])
            keep = accept[:, :, None, None]
            state.alpha[:, pair_rows] = np.where(keep, alpha_new, alpha_rows)
            log_sums[:, pair_rows] = np.where(keep, sums_new, sums_old)
            if adapt:
                rate = (accept - _RIDGE_TARGET).mean(axis=1)
                state.collective_scale *= np.exp(0.2 * rate)
                np.clip(state.collective_scale, 1e-4, 5.0, out=state.collective_scale)
            accepted += int(accept.sum())
            proposed += accept.size
        return accepted, proposed

    def scale_moves(
        self,
        rng: np.random.Generator,
        state: SamplerState,
        fractions: FloatArray,
        centres: FloatArray,
        n_moves: int,
        adapt: bool,
    ) -> tuple[int, int]:
        """Scale every α by e^{−2η} while every unit moves along its ridge towards its centre.

        This is the hierarchical model's slow direction: the concentration of α decides how far
        units spread along their ridges and the spread decides the concentration. Contracting
        all units (``propose_scale``, logit step η on each unit's ray) while α grows keeps the
        configuration typical, so both move in one accepted step.
        """
        n_chains, n_units, n_rows, n_cols = state.beta.shape
        dimension = _ridge_dimension(fractions, n_rows, n_cols)
        log_sums = np.log(state.beta).sum(axis=1)  # (K, R, C)
        accepted = 0
        for _ in range(n_moves):
            step = rng.standard_normal(n_chains) * state.scale_scale
            move = propose_scale(state.beta, centres, step, dimension)
            alpha_new = state.alpha * np.exp(-2.0 * step)[:, None, None]
            with np.errstate(divide="ignore", invalid="ignore"):
                new_sums = np.log(move.new).sum(axis=1)
                log_ratio = move.log_jacobian - 2.0 * step * n_rows * n_cols
                log_ratio += dirichlet_rows_log_density(alpha_new, new_sums, n_units)
                log_ratio -= dirichlet_rows_log_density(state.alpha, log_sums, n_units)
                log_ratio += self._alpha_log_prior(alpha_new) - self._alpha_log_prior(state.alpha)
            log_ratio = np.where(move.valid, log_ratio, -np.inf)
            accept = np.log(rng.random(n_chains)) < log_ratio
            state.beta = np.where(accept[:, None, None, None], move.new, state.beta)
            state.alpha = np.where(accept[:, None, None], alpha_new, state.alpha)
            log_sums = np.where(accept[:, None, None], new_sums, log_sums)
            if adapt:
                state.scale_scale *= np.exp(0.2 * (accept - _RIDGE_TARGET))
                np.clip(state.scale_scale, 1e-4, 5.0, out=state.scale_scale)
            accepted += int(accept.sum())
        return accepted, n_moves * n_chains

    def row_scale_moves(
        self,
        rng: np.random.Generator,
        state: SamplerState,
        fractions: FloatArray,
        centres: FloatArray,
        adapt: bool,
    ) -> tuple[int, int]:
        """For each group r: α_r scaled by e^{−2η} while units scale their row-r deviation.

        The one-group version of ``_scale_moves`` (``propose_row_scale``): the concentration of
        each group's Dirichlet moves together with how far that group's shares spread.
        """
        n_chains, n_units, n_rows, n_cols = state.beta.shape
        log_sums = np.log(state.beta).sum(axis=1)  # (K, R, C)
        accepted = 0
        for row in rng.permutation(n_rows)[: max(1, round(_ROW_SCALE_SHARE * n_rows))]:
            step = rng.standard_normal(n_chains) * state.row_scale[:, row]
            move = propose_row_scale(state.beta, centres, fractions, int(row), step)
            alpha_new = state.alpha.copy()
            alpha_new[:, row] *= np.exp(-2.0 * step)[:, None]
            with np.errstate(divide="ignore", invalid="ignore"):
                new_sums = np.log(move.new).sum(axis=1)
                log_ratio = move.log_jacobian - 2.0 * step * n_cols
                log_ratio += dirichlet_rows_log_density(alpha_new, new_sums, n_units)
                log_ratio -= dirichlet_rows_log_density(state.alpha, log_sums, n_units)
                log_ratio += self._alpha_log_prior(alpha_new) - self._alpha_log_prior(state.alpha)
            log_ratio = np.where(move.valid, log_ratio, -np.inf)
            accept = np.log(rng.random(n_chains)) < log_ratio
            state.beta = np.where(accept[:, None, None, None], move.new, state.beta)
            state.alpha = np.where(accept[:, None, None], alpha_new, state.alpha)
            log_sums = np.where(accept[:, None, None], new_sums, log_sums)
            if adapt:
                state.row_scale[:, row] *= np.exp(0.2 * (accept - _RIDGE_TARGET))
                np.clip(state.row_scale, 1e-4, 5.0, out=state.row_scale)
            accepted += int(accept.sum())
        return accepted, max(1, round(_ROW_SCALE_SHARE * n_rows)) * n_chains

    def _alpha_log_prior(self, alpha: FloatArray) -> FloatArray:
        """Log Gamma(prior_shape, prior_rate) density of α summed over the last two axes."""
        with np.errstate(divide="ignore", invalid="ignore"):
            value = (self.prior_shape - 1) * np.log(alpha) - self.prior_rate * alpha
        return np.asarray(value.sum(axis=(-2, -1)), dtype=np.float64)

    def _alpha_log_marginal(
        self, alpha: FloatArray, split: NDArray[np.int64], col: int | None = None
    ) -> FloatArray:
        """Log posterior of each α_r with β integrated out, in log-α coordinates: (K, R).

        Given the split counts N_ir·, β_ir ~ Dirichlet(α_r) integrates to a Dirichlet-
        multinomial. With ``col`` set, only the terms that depend on α_r,col are returned
        (up to a constant that cancels in the Metropolis ratio of a proposal on that column).
        """
        row_total = alpha.sum(axis=2)  # (K, R)
        counts_total = split.sum(axis=3)  # (K, n, R)
        value = (
            gammaln(row_total[:, None, :]) - gammaln(row_total[:, None, :] + counts_total)
        ).sum(axis=1)
        cols = range(alpha.shape[2]) if col is None else [col]
        for c in cols:
            a = alpha[:, :, c]
            value += (gammaln(a[:, None, :] + split[:, :, :, c]) - gammaln(a)[:, None, :]).sum(
                axis=1
            )
            value += self.prior_shape * np.log(a) - self.prior_rate * a
        return np.asarray(value, dtype=np.float64)

    def update_alpha(
        self,
        rng: np.random.Generator,
        state: SamplerState,
        split: NDArray[np.int64],
        adapt: bool,
    ) -> tuple[int, int]:
        """Componentwise random-walk Metropolis on log α_r, β integrated out (collapsed)."""
        accepted = proposed = 0
        for col in range(state.alpha.shape[2]):
            current = self._alpha_log_marginal(state.alpha, split, col)
            proposal = state.alpha.copy()
            step = rng.standard_normal(proposal.shape[:2]) * state.alpha_scale[:, :, col]
            proposal[:, :, col] *= np.exp(step)
            candidate = self._alpha_log_marginal(proposal, split, col)
            accept = np.log(rng.random(current.shape)) < candidate - current
            state.alpha[:, :, col] = np.where(accept, proposal[:, :, col], state.alpha[:, :, col])
            if adapt:
                state.alpha_scale[:, :, col] *= np.exp(0.1 * (accept - _ALPHA_TARGET))
            accepted += int(accept.sum())
            proposed += accept.size
        return accepted, proposed
