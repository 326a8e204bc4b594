"""Hierarchical multinomial-Dirichlet R×C model with a vectorised MCMC sampler.

Model (Rosen, Jiang, King & Tanner 2001; the same as PyEI's ``multinomial-dirichlet``):

    α_rc ~ Gamma(shape=4, rate=1/2)                    (hyper-prior, as eiPack and PyEI)
    β_ir ~ Dirichlet(α_r)                              unit i, group r: shares by candidate
    T_i  ~ Multinomial(N_i, θ_i),  θ_ic = Σ_r x_ir β_irc,  x_ir = X_ir / N_i

Sampler — every step is a numpy operation over (chains, units, R, C) at once:

1. Data augmentation (exact Gibbs): given β, the T_ic votes for candidate c split among
   groups as Multinomial(T_ic, ∝ x_ir β_irc) (drawn as a chain of binomials).
2. Given the split N_irc, β_ir ~ Dirichlet(α_r + N_ir·) (exact Gibbs).
3. Ridge moves (Metropolis): β_irc += δ/x_ir, β_ird −= δ/x_ir, β_isc −= δ/x_is,
   β_isd += δ/x_is leaves θ_i — hence the likelihood — unchanged, so the acceptance ratio is
   the Dirichlet prior ratio. Steps 1–2 alone crawl along these ridges (each unit's data only
   pins θ_i); the ridge moves cross them in a few steps.
4. α_r: componentwise random-walk Metropolis on log α, using Σ_i log β_irc.

Step sizes adapt during warm-up only. Split R̂ and bulk ESS of every global share are
computed from the kept draws and reported in ``rhat_``, ``ess_`` and ``summary()``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import gammaln

from circo.analysis.ei._base import EIEstimator, shares_from_tables
from circo.analysis.ei._data import EIData
from circo.analysis.ei.em import em_mult
from circo.analysis.ei.ipf import ipf_tables
from circo.analysis.ei.mcmc import effective_sample_size, split_rhat

FloatArray = NDArray[np.float64]

_TINY = 1e-300
_RIDGE_TARGET = 0.3
_ALPHA_TARGET = 0.35


class _State:
    """Mutable sampler state for all chains."""

    def __init__(self, beta: FloatArray, alpha: FloatArray, n_units: int) -> None:
        self.beta = beta  # (K, n, R, C)
        self.alpha = alpha  # (K, R, C)
        n_chains = alpha.shape[0]
        self.ridge_scale = np.full((n_chains, n_units), 0.3)
        self.alpha_scale = np.full(alpha.shape, 0.1)
        self.collective_scale = np.full(n_chains, 0.005)
        self.concentration = alpha.sum(axis=2)  # (K, R), refreshed during warm-up


class MultinomialDirichletEI(EIEstimator):
    """R×C hierarchical multinomial-Dirichlet EI with a vectorised MCMC sampler.

    Parameters:
        n_chains: independent chains (run together, vectorised); ≥ 2 for R̂.
        n_warmup: warm-up iterations per chain (discarded; step sizes adapt).
        n_draws: kept iterations per chain.
        thin: keep one draw every ``thin`` iterations for unit-level intervals.
        prior_shape, prior_rate: Gamma hyper-prior of α (PyEI/eiPack: 4 and 0.5).
        level: credible-interval level. random_state: seed.

    Fitted attributes (besides the base ones, n units, R groups, C candidates):
        global_: (R, C) posterior mean of the global shares ``Σ_i X_ir β_irc / Σ_i X_ir``.
        intervals_: (R, C, 2) equal-tailed credible intervals of the global shares.
        unit_tables_: (n, R, C) posterior mean counts ``X_ir β_irc`` made to match both margins
            exactly by IPF.
        unit_shares_mean_: (n, R, C) posterior mean of β; unit_intervals_: (n, R, C, 2).
        global_draws_: (n_chains, n_draws, R, C) draws of the global shares.
        alpha_mean_: (R, C) posterior mean of α.
        rhat_, ess_: (R, C) split R̂ and effective sample size of every global share.
        ridge_acceptance_, alpha_acceptance_: Metropolis acceptance rates after warm-up.
    """

    method = "md"
    interval_kind = "credible interval"

    unit_shares_mean_: FloatArray
    unit_intervals_: FloatArray
    global_draws_: FloatArray
    alpha_mean_: FloatArray
    rhat_: FloatArray
    ess_: FloatArray
    ridge_acceptance_: float
    alpha_acceptance_: float

    def __init__(
        self,
        *,
        n_chains: int = 2,
        n_warmup: int = 400,
        n_draws: int = 1200,
        thin: int = 4,
        prior_shape: float = 4.0,
        prior_rate: float = 0.5,
        level: float = 0.95,
        random_state: int | None = None,
    ) -> None:
        self.n_chains = n_chains
        self.n_warmup = n_warmup
        self.n_draws = n_draws
        self.thin = thin
        self.prior_shape = prior_shape
        self.prior_rate = prior_rate
        self.level = level
        self.random_state = random_state

    # -- steps -------------------------------------------------------------------------------
    def _allocate(
        self,
        rng: np.random.Generator,
        state: _State,
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

    def _draw_beta(self, rng: np.random.Generator, state: _State, split: NDArray[np.int64]) -> None:
        shape = state.alpha[:, None, :, :] + split
        gammas = rng.standard_gamma(shape)
        np.maximum(gammas, _TINY, out=gammas)
        state.beta = gammas / gammas.sum(axis=3, keepdims=True)

    def _ridge_moves(
        self,
        rng: np.random.Generator,
        state: _State,
        fractions: FloatArray,
        n_moves: int,
        adapt: bool,
    ) -> tuple[int, int]:
        n_chains, n_units, n_rows, n_cols = state.beta.shape
        accepted = proposed = 0
        for _ in range(n_moves):
            r, s = rng.choice(n_rows, 2, replace=False)
            c, d = rng.choice(n_cols, 2, replace=False)
            x_r, x_s = fractions[:, r], fractions[:, s]
            usable = (x_r > 0) & (x_s > 0)
            scale = state.ridge_scale * np.minimum(x_r, x_s)[None, :]
            delta = rng.standard_normal((n_chains, n_units)) * scale
            inv_r = np.divide(1.0, x_r, out=np.zeros_like(x_r), where=usable)
            inv_s = np.divide(1.0, x_s, out=np.zeros_like(x_s), where=usable)
            beta = state.beta
            old = np.stack([beta[:, :, r, c], beta[:, :, r, d], beta[:, :, s, c], beta[:, :, s, d]])
            step = np.stack([delta * inv_r, -delta * inv_r, -delta * inv_s, delta * inv_s])
            new = old + step
            valid = (new > 0).all(axis=0) & usable[None, :]
            alpha = state.alpha
            coef = np.stack([alpha[:, r, c], alpha[:, r, d], alpha[:, s, c], alpha[:, s, d]])
            with np.errstate(divide="ignore", invalid="ignore"):
                log_ratio = ((coef[:, :, None] - 1) * (np.log(new) - np.log(old))).sum(axis=0)
            log_ratio = np.where(valid, log_ratio, -np.inf)
            accept = np.log(rng.random((n_chains, n_units))) < log_ratio
            beta[:, :, r, c] = np.where(accept, new[0], old[0])
            beta[:, :, r, d] = np.where(accept, new[1], old[1])
            beta[:, :, s, c] = np.where(accept, new[2], old[2])
            beta[:, :, s, d] = np.where(accept, new[3], old[3])
            if adapt:
                rate = accept.astype(np.float64) - _RIDGE_TARGET
                state.ridge_scale *= np.exp(0.1 * np.where(usable[None, :], rate, 0.0))
                np.clip(state.ridge_scale, 1e-4, 10.0, out=state.ridge_scale)
            accepted += int(accept[:, usable].sum())
            proposed += int(n_chains * usable.sum())
        return accepted, proposed

    def _collective_moves(
        self,
        rng: np.random.Generator,
        state: _State,
        fractions: FloatArray,
        weights: FloatArray,
        n_moves: int,
        adapt: bool,
    ) -> tuple[int, int]:
        """Move every unit along its ridge in the same direction, and α with them.

        For groups r, s and candidates c, d, unit i moves β_irc by +η·a_i and β_isc by
        −η·b_i (and the d cells by the opposite), with a_i = min(1, x_is/x_ir) and
        b_i = min(1, x_ir/x_is), so θ_i is unchanged. α_rc, α_rd (and α_sc, α_sd) move by the
        implied change of the global share times the row concentration frozen after warm-up.
        The map is a translation of (β, α), so the acceptance ratio is the ratio of the
        Dirichlet densities of all units times the ratio of the α priors.
        """
        n_chains = state.beta.shape[0]
        n_rows, n_cols = state.beta.shape[2:]
        accepted = proposed = 0
        for _ in range(n_moves):
            r, s = rng.choice(n_rows, 2, replace=False)
            c, d = rng.choice(n_cols, 2, replace=False)
            x_r, x_s = fractions[:, r], fractions[:, s]
            usable = (x_r > 0) & (x_s > 0)
            a = np.where(
                usable,
                np.minimum(1.0, np.divide(x_s, x_r, out=np.zeros_like(x_r), where=usable)),
                0.0,
            )
            b = np.where(
                usable,
                np.minimum(1.0, np.divide(x_r, x_s, out=np.zeros_like(x_s), where=usable)),
                0.0,
            )
            eta = rng.standard_normal(n_chains) * state.collective_scale
            shift_r = eta * float(weights[:, r] @ a)  # change of the global share g_rc
            shift_s = eta * float(weights[:, s] @ b)
            d_alpha_r = shift_r * state.concentration[:, r]
            d_alpha_s = shift_s * state.concentration[:, s]
            beta, alpha = state.beta, state.alpha
            cells = [(r, c, 1.0, a), (r, d, -1.0, a), (s, c, -1.0, b), (s, d, 1.0, b)]
            old = np.stack([beta[:, :, row, col] for row, col, _, _ in cells])
            new = np.stack(
                [
                    beta[:, :, row, col] + sign * eta[:, None] * amount[None, :]
                    for row, col, sign, amount in cells
                ]
            )
            alpha_new = alpha.copy()
            alpha_new[:, r, c] += d_alpha_r
            alpha_new[:, r, d] -= d_alpha_r
            alpha_new[:, s, c] -= d_alpha_s
            alpha_new[:, s, d] += d_alpha_s
            valid = (new > 0).all(axis=(0, 2)) & (alpha_new > 0).all(axis=(1, 2))
            with np.errstate(divide="ignore", invalid="ignore"):
                log_ratio = self._collective_log_ratio(alpha, alpha_new, old, new, cells)
            log_ratio = np.where(valid, log_ratio, -np.inf)
            accept = np.log(rng.random(n_chains)) < log_ratio
            for index, (row, col, _, _) in enumerate(cells):
                beta[:, :, row, col] = np.where(accept[:, None], new[index], old[index])
            state.alpha = np.where(accept[:, None, None], alpha_new, alpha)
            if adapt:
                state.collective_scale *= np.exp(0.2 * (accept - _RIDGE_TARGET))
            accepted += int(accept.sum())
            proposed += n_chains
        return accepted, proposed

    def _collective_log_ratio(
        self,
        alpha: FloatArray,
        alpha_new: FloatArray,
        old: FloatArray,
        new: FloatArray,
        cells: list[tuple[int, int, float, FloatArray]],
    ) -> FloatArray:
        """(K,) log acceptance ratio of a collective move.

        Only the four moved cells change (α row sums are unchanged), so the ratio is, summed
        over those cells: −n·Δlog Γ(α) + (α'−1)·Σ_i log β' − (α−1)·Σ_i log β + Δ log prior.
        """
        n_units = old.shape[2]
        ratio = np.zeros(alpha.shape[0])
        for index, (row, col, _, _) in enumerate(cells):
            a_old, a_new = alpha[:, row, col], alpha_new[:, row, col]
            ratio -= n_units * (gammaln(a_new) - gammaln(a_old))
            ratio += (a_new - 1) * np.log(new[index]).sum(axis=1)
            ratio -= (a_old - 1) * np.log(old[index]).sum(axis=1)
            ratio += (self.prior_shape - 1) * (np.log(a_new) - np.log(a_old))
            ratio -= self.prior_rate * (a_new - a_old)
        return ratio

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

    def _update_alpha(
        self,
        rng: np.random.Generator,
        state: _State,
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

    # -- driver ------------------------------------------------------------------------------
    def _initial_state(
        self, rng: np.random.Generator, data: EIData, fractions: FloatArray
    ) -> _State:
        keep = data.totals > 0
        probs, _, _ = em_mult(data.groups[keep], data.candidates[keep], tol=1e-5)
        n_rows, n_cols = probs.shape
        alpha = np.empty((self.n_chains, n_rows, n_cols))
        beta = np.empty((self.n_chains, data.n_units, n_rows, n_cols))
        for chain in range(self.n_chains):
            start = np.array([rng.dirichlet(np.maximum(row, 1e-3) * 50) for row in probs])
            start = np.maximum(start, 1e-3)
            start /= start.sum(axis=1, keepdims=True)
            alpha[chain] = start * rng.uniform(5, 30)
            beta[chain] = rng.dirichlet(np.ones(n_cols), size=(data.n_units, n_rows)) * 0.1
            beta[chain] += 0.9 * start[None]
        return _State(beta, alpha, data.n_units)

    def _fit(self, data: EIData) -> None:
        if self.n_chains < 1 or self.n_draws < 4 or self.n_warmup < 0:
            raise ValueError("n_chains must be ≥ 1, n_draws ≥ 4 and n_warmup ≥ 0")
        rng = np.random.default_rng(self.random_state)
        fractions = data.group_fractions
        votes = np.rint(data.candidates).astype(np.int64)
        state = self._initial_state(rng, data, fractions)
        n_rows, n_cols = len(data.group_names), len(data.candidate_names)
        n_moves = max(2, (n_rows * n_cols) // 2)
        group_total = data.groups.sum(axis=0)
        weights = data.groups / np.maximum(group_total, _TINY)[None, :]  # (n, R)
        n_keep = max(1, self.n_draws // max(self.thin, 1))
        global_draws = np.empty((self.n_chains, self.n_draws, n_rows, n_cols))
        unit_draws = np.empty(
            (self.n_chains, n_keep, data.n_units, n_rows, n_cols), dtype=np.float32
        )
        beta_sum = np.zeros((data.n_units, n_rows, n_cols))
        alpha_sum = np.zeros((n_rows, n_cols))
        counts = np.zeros(4, dtype=np.int64)
        for iteration in range(self.n_warmup + self.n_draws):
            adapt = iteration < self.n_warmup
            split = self._allocate(rng, state, fractions, votes)
            alpha_stats = self._update_alpha(rng, state, split, adapt)
            self._draw_beta(rng, state, split)
            ridge = self._ridge_moves(rng, state, fractions, n_moves, adapt)
            self._collective_moves(rng, state, fractions, weights, 2 * n_moves, adapt)
            if adapt:
                state.concentration = 0.9 * state.concentration + 0.1 * state.alpha.sum(axis=2)
                continue
            draw = iteration - self.n_warmup
            counts += (*ridge, *alpha_stats)
            global_draws[:, draw] = np.einsum("ir,kirc->krc", weights, state.beta)
            beta_sum += state.beta.mean(axis=0)
            alpha_sum += state.alpha.mean(axis=0)
            if draw % max(self.thin, 1) == 0 and draw // max(self.thin, 1) < n_keep:
                unit_draws[:, draw // max(self.thin, 1)] = state.beta
        self._finish(data, global_draws, unit_draws, beta_sum, alpha_sum, counts)

    def _finish(
        self,
        data: EIData,
        global_draws: FloatArray,
        unit_draws: NDArray[np.float32],
        beta_sum: FloatArray,
        alpha_sum: FloatArray,
        counts: NDArray[np.int64],
    ) -> None:
        tail = 100 * (1 - self.level) / 2
        flat = global_draws.reshape(-1, *global_draws.shape[2:])
        self.global_draws_ = global_draws
        self.global_ = flat.mean(axis=0)
        self.global_ /= self.global_.sum(axis=1, keepdims=True)
        low, high = np.percentile(flat, [tail, 100 - tail], axis=0)
        self.intervals_ = np.stack([low, high], axis=-1)
        self.unit_shares_mean_ = beta_sum / self.n_draws
        units = unit_draws.reshape(-1, *unit_draws.shape[2:])
        u_low, u_high = np.percentile(units, [tail, 100 - tail], axis=0)
        self.unit_intervals_ = np.stack([u_low, u_high], axis=-1).astype(np.float64)
        self.alpha_mean_ = alpha_sum / self.n_draws
        seed = data.groups[:, :, None] * self.unit_shares_mean_
        self.unit_tables_ = ipf_tables(seed, data.groups, data.candidates)
        self.rhat_ = (
            split_rhat(global_draws) if self.n_chains > 1 else np.full(self.global_.shape, np.nan)
        )
        self.ess_ = effective_sample_size(global_draws)
        self.ridge_acceptance_ = counts[0] / max(counts[1], 1)
        self.alpha_acceptance_ = counts[2] / max(counts[3], 1)
        self.table_global_ = shares_from_tables(self.unit_tables_, data.groups)

    def _summary_extra(self) -> list[str]:
        worst_rhat = float(np.nanmax(self.rhat_))
        verdict = "ok" if worst_rhat < 1.05 else "WARNING: chains disagree, run longer"
        return [
            f"MCMC: {self.n_chains} chains × {self.n_draws} draws after {self.n_warmup} warm-up;"
            f" max R̂ {worst_rhat:.3f} ({verdict}), min ESS {float(np.min(self.ess_)):.0f};"
            f" acceptance ridge {self.ridge_acceptance_:.2f}, α {self.alpha_acceptance_:.2f}.",
            "Intervals reflect the model; on real data they tend to under-cover.",
        ]
