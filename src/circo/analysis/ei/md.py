"""Hierarchical multinomial-Dirichlet R×C model with a vectorised MCMC sampler.

Model (Rosen, Jiang, King & Tanner 2001; the same as PyEI's ``multinomial-dirichlet``):

    α_rc ~ Gamma(shape=4, rate=1/2)                    (hyper-prior, as eiPack and PyEI)
    β_ir ~ Dirichlet(α_r)                              unit i, group r: shares by candidate
    T_i  ~ Multinomial(N_i, θ_i),  θ_ic = Σ_r x_ir β_irc,  x_ir = X_ir / N_i

Sampler (``_md_sampler``, ``_md_moves``) — every step is a numpy operation over (chains,
units, R, C) at once:

1. Data augmentation (exact Gibbs): given β, the T_ic votes for candidate c split among
   groups as Multinomial(T_ic, ∝ x_ir β_irc); then β_ir ~ Dirichlet(α_r + N_ir·).
2. α: componentwise random-walk Metropolis on log α with β integrated out (collapsed).
3. Ridge moves: each unit's data only pin θ_i, so β_i wanders on a "ridge" where the
   likelihood is flat. Four cells (r, c), (r, d), (s, c), (s, d) move along it by a random walk
   on the logit of the position between the ridge's ends, so shares of 1–3 % move as easily
   as large ones.
4. Moves of the hierarchy, the slow directions of data augmentation (the units' positions
   on their ridges and α determine each other). Each keeps every unit on its ridge:
   collective moves (every unit takes the same logit step on the same four cells, α follows
   the change of mean log β); concentration moves (α of all groups, then of each group, is
   scaled while every unit's deviation from its ridge centre — the ridge point nearest the
   α means — shrinks or grows to match).

Step sizes adapt during warm-up only. Draws are kept in two blocks of ``n_draws / 2``; while
the largest split R̂ of the global shares is ≥ ``target_rhat`` another block is run and the
oldest dropped (counted as warm-up), at most ``max_extra_blocks`` times, so a slow problem
gets longer chains and the result stays reproducible for a seed. R̂ and bulk ESS of every
global share are reported in ``rhat_``, ``ess_`` and ``summary()``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from circo.analysis.ei._base import EIEstimator, shares_from_tables
from circo.analysis.ei._data import EIData
from circo.analysis.ei._md_sampler import MDSampler, SamplerState
from circo.analysis.ei.em import em_mult
from circo.analysis.ei.ipf import ipf_tables
from circo.analysis.ei.mcmc import effective_sample_size, split_rhat

FloatArray = NDArray[np.float64]

_TINY = 1e-300


class _Block:
    """What one block of kept iterations contributes to the estimates."""

    def __init__(self, shape: tuple[int, ...], size: int, thin: int) -> None:
        n_chains, n_units, n_rows, n_cols = shape
        self.global_draws = np.empty((n_chains, size, n_rows, n_cols))
        self.unit_draws = np.empty(
            (n_chains, -(-size // thin), n_units, n_rows, n_cols), np.float32
        )
        self.beta_sum = np.zeros((n_units, n_rows, n_cols))
        self.alpha_sum = np.zeros((n_rows, n_cols))
        self.counts = np.zeros(8, dtype=np.int64)


class MultinomialDirichletEI(EIEstimator):
    """R×C hierarchical multinomial-Dirichlet EI with a vectorised MCMC sampler.

    Parameters:
        n_chains: independent chains (run together, vectorised); ≥ 2 for R̂.
        n_warmup: warm-up iterations per chain (discarded; step sizes adapt).
        n_draws: kept iterations per chain (two blocks of n_draws / 2).
        target_rhat, max_extra_blocks: while the largest R̂ is ≥ target_rhat, run up to
            max_extra_blocks more blocks of n_draws / 2 iterations, dropping the oldest.
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
        n_iterations_, extra_blocks_: iterations run per chain, extra blocks used.
        ridge_acceptance_, alpha_acceptance_, collective_acceptance_, scale_acceptance_:
            Metropolis acceptance rates of the kept iterations.
    """

    method = "md"
    interval_kind = "credible interval"

    unit_shares_mean_: FloatArray
    unit_intervals_: FloatArray
    global_draws_: FloatArray
    alpha_mean_: FloatArray
    rhat_: FloatArray
    ess_: FloatArray
    n_iterations_: int
    extra_blocks_: int
    ridge_acceptance_: float
    alpha_acceptance_: float
    collective_acceptance_: float
    scale_acceptance_: float

    def __init__(
        self,
        *,
        n_chains: int = 2,
        n_warmup: int = 400,
        n_draws: int = 1200,
        target_rhat: float = 1.05,
        max_extra_blocks: int = 2,
        thin: int = 4,
        prior_shape: float = 4.0,
        prior_rate: float = 0.5,
        level: float = 0.95,
        random_state: int | None = None,
    ) -> None:
        self.n_chains = n_chains
        self.n_warmup = n_warmup
        self.n_draws = n_draws
        self.target_rhat = target_rhat
        self.max_extra_blocks = max_extra_blocks
        self.thin = thin
        self.prior_shape = prior_shape
        self.prior_rate = prior_rate
        self.level = level
        self.random_state = random_state

    # -- driver ------------------------------------------------------------------------------
    def _initial_state(self, rng: np.random.Generator, data: EIData) -> SamplerState:
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
        return SamplerState(beta, alpha, data.n_units)

    def _fit(self, data: EIData) -> None:
        if self.n_chains < 1 or self.n_draws < 8 or self.n_warmup < 0 or self.max_extra_blocks < 0:
            raise ValueError(
                "n_chains must be ≥ 1, n_draws ≥ 8, n_warmup ≥ 0 and max_extra_blocks ≥ 0"
            )
        rng = np.random.default_rng(self.random_state)
        fractions = data.group_fractions
        votes = np.rint(data.candidates).astype(np.int64)
        state = self._initial_state(rng, data)
        sampler = MDSampler(self.prior_shape, self.prior_rate)
        for _ in range(self.n_warmup):
            sampler.iterate(rng, state, fractions, votes, adapt=True)
        weights = data.groups / np.maximum(data.groups.sum(axis=0), _TINY)[None, :]  # (n, R)
        block_size = self.n_draws // 2
        blocks = [self._block(rng, sampler, state, fractions, votes, weights) for _ in range(2)]
        extra = 0
        while extra < self.max_extra_blocks and self._worst_rhat(blocks) >= self.target_rhat:
            blocks = [blocks[1], self._block(rng, sampler, state, fractions, votes, weights)]
            extra += 1
        self.n_iterations_ = self.n_warmup + (2 + extra) * block_size
        self.extra_blocks_ = extra
        self._finish(data, blocks)

    def _block(
        self,
        rng: np.random.Generator,
        sampler: MDSampler,
        state: SamplerState,
        fractions: FloatArray,
        votes: NDArray[np.int64],
        weights: FloatArray,
    ) -> _Block:
        """Run n_draws // 2 iterations after warm-up and keep what the estimates need."""
        size = self.n_draws // 2
        thin = max(self.thin, 1)
        block = _Block(state.beta.shape, size, thin)
        for draw in range(size):
            block.counts += sampler.iterate(rng, state, fractions, votes, adapt=False)
            block.global_draws[:, draw] = np.einsum("ir,kirc->krc", weights, state.beta)
            block.beta_sum += state.beta.mean(axis=0)
            block.alpha_sum += state.alpha.mean(axis=0)
            if draw % thin == 0:
                block.unit_draws[:, draw // thin] = state.beta
        return block

    def _worst_rhat(self, blocks: list[_Block]) -> float:
        if self.n_chains < 2:
            return 1.0
        draws = np.concatenate([block.global_draws for block in blocks], axis=1)
        return float(np.nanmax(split_rhat(draws)))

    def _finish(self, data: EIData, blocks: list[_Block]) -> None:
        tail = 100 * (1 - self.level) / 2
        global_draws = np.concatenate([block.global_draws for block in blocks], axis=1)
        n_kept = global_draws.shape[1]
        flat = global_draws.reshape(-1, *global_draws.shape[2:])
        self.global_draws_ = global_draws
        self.global_ = flat.mean(axis=0)
        self.global_ /= self.global_.sum(axis=1, keepdims=True)
        low, high = np.percentile(flat, [tail, 100 - tail], axis=0)
        self.intervals_ = np.stack([low, high], axis=-1)
        self.unit_shares_mean_ = sum(block.beta_sum for block in blocks) / n_kept
        units = np.concatenate([block.unit_draws for block in blocks], axis=1)
        units = units.reshape(-1, *units.shape[2:])
        u_low, u_high = np.percentile(units, [tail, 100 - tail], axis=0)
        self.unit_intervals_ = np.stack([u_low, u_high], axis=-1).astype(np.float64)
        self.alpha_mean_ = sum(block.alpha_sum for block in blocks) / n_kept
        seed = data.groups[:, :, None] * self.unit_shares_mean_
        self.unit_tables_ = ipf_tables(seed, data.groups, data.candidates)
        self.rhat_ = (
            split_rhat(global_draws) if self.n_chains > 1 else np.full(self.global_.shape, np.nan)
        )
        self.ess_ = effective_sample_size(global_draws)
        counts = np.sum([block.counts for block in blocks], axis=0)
        rates = counts[0::2] / np.maximum(counts[1::2], 1)
        self.ridge_acceptance_, self.alpha_acceptance_ = float(rates[0]), float(rates[1])
        self.collective_acceptance_, self.scale_acceptance_ = float(rates[2]), float(rates[3])
        self.table_global_ = shares_from_tables(self.unit_tables_, data.groups)

    def _summary_extra(self) -> list[str]:
        worst_rhat = float(np.nanmax(self.rhat_))
        verdict = (
            "ok"
            if worst_rhat < self.target_rhat
            else "WARNING: chains disagree; do not trust the intervals, run longer"
        )
        kept = self.global_draws_.shape[1]
        return [
            f"MCMC: {self.n_chains} chains × {kept} draws kept of {self.n_iterations_}"
            f" iterations ({self.extra_blocks_} extra blocks);"
            f" max R̂ {worst_rhat:.3f} ({verdict}), min ESS {float(np.min(self.ess_)):.0f};"
            f" acceptance ridge {self.ridge_acceptance_:.2f}, α {self.alpha_acceptance_:.2f},"
            f" collective {self.collective_acceptance_:.2f}, scale {self.scale_acceptance_:.2f}.",
            "Intervals reflect the model; on real data they tend to under-cover.",
        ]
