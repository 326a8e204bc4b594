"""Hierarchical multinomial-Dirichlet R×C model with a compiled MCMC sampler.

Model (Rosen, Jiang, King & Tanner 2001; the same as PyEI's ``multinomial-dirichlet``):

    α_rc ~ Gamma(shape=4, rate=1/2)                    (hyper-prior, as eiPack and PyEI)
    β_ir ~ Dirichlet(α_r)                              unit i, group r: shares by candidate
    T_i  ~ Multinomial(N_i, θ_i),  θ_ic = Σ_r x_ir β_irc,  x_ir = X_ir / N_i

Sampler (``_md_kernel``, compiled by numba; chains run in parallel threads):

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
   the change of mean log β; one step size per pair of groups × pair of candidates);
   concentration moves (α of all groups, then of each group, is scaled while every unit's
   deviation from its ridge centre — the ridge point nearest the α means — shrinks or grows
   to match).

Step sizes adapt during warm-up only. Draws come in blocks of ``n_draws / 2``, two at first;
while the largest split R̂ of the global shares is ≥ ``target_rhat`` another block is run, at
most ``max_extra_blocks`` times, and the later half of all blocks is kept (the earlier half
counts as warm-up: "run longer, discard the first half"), so a slow problem gets longer chains
*and* more kept draws, and the result stays reproducible for a seed. R̂ and bulk ESS of every
global share are reported in ``rhat_``, ``ess_`` and ``summary()``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray
from scipy.special import polygamma

from circo.analysis.ei import _md_kernel as kernel
from circo.analysis.ei._base import EIEstimator, shares_from_tables
from circo.analysis.ei._data import EIData
from circo.analysis.ei.em import em_mult
from circo.analysis.ei.ipf import ipf_tables
from circo.analysis.ei.mcmc import effective_sample_size, split_rhat
from circo.analysis.errors import AnalysisError

FloatArray = NDArray[np.float64]

_T = TypeVar("_T")


class SamplerBudgetError(AnalysisError):
    """The sampler could not finish within its ``time_budget`` (nothing was fitted)."""


_TINY = 1e-300
#: warm-up runs in chunks of this many sweeps; the α response matrix is refreshed between them
_WARMUP_CHUNK = 25


def dirichlet_newton_matrix(alpha: FloatArray) -> FloatArray:
    """(R, C, C) matrices M with Δα_r ≈ M_r · Δ(mean log β_r) for the Dirichlet MLE.

    The MLE of Dirichlet(α_r) from units' β_ir solves ψ(α_rc) − ψ(A_r) = mean_i log β_irc;
    M_r = −H_r⁻¹ with H_r = ψ'(A_r)·11ᵀ − diag ψ'(α_rc) is the first-order response of the
    solution to a change of those means.
    """
    trigamma = polygamma(1, alpha)  # (R, C)
    total = polygamma(1, alpha.sum(axis=1))  # (R,)
    n_cols = alpha.shape[1]
    hessian = total[:, None, None] * np.ones((n_cols, n_cols)) - trigamma[:, :, None] * np.eye(
        n_cols
    )
    return np.asarray(-np.linalg.inv(hessian), dtype=np.float64)


class _Block:
    """What one block of kept iterations of one chain contributes to the estimates."""

    def __init__(self, n_units: int, n_rows: int, n_cols: int, size: int, thin: int) -> None:
        self.global_draws = np.empty((size, n_rows, n_cols))
        self.unit_draws = np.empty((-(-size // thin), n_units, n_rows, n_cols), np.float32)
        self.beta_sum = np.zeros((n_units, n_rows, n_cols))
        self.alpha_sum = np.zeros((n_rows, n_cols))
        self.counts = np.zeros(kernel.N_COUNTS, dtype=np.int64)

    @classmethod
    def empty(cls, n_units: int, n_rows: int, n_cols: int) -> _Block:
        """A block that records nothing (warm-up)."""
        return cls(n_units, n_rows, n_cols, 0, 1)


class _Chain:
    """One chain's state, step sizes and random stream."""

    def __init__(self, beta: FloatArray, alpha: FloatArray, seed: int) -> None:
        n_units, n_rows, n_cols = beta.shape
        self.beta = np.ascontiguousarray(beta)
        self.alpha = np.ascontiguousarray(alpha)
        self.rng = np.random.default_rng(seed)
        self.quad_steps = np.full((n_rows, n_rows, n_cols, n_cols), 0.05)  # collective moves
        self.scale_step = np.array([0.05])  # concentration moves of all groups
        self.ridge_scale = np.full(n_units, 0.3)
        self.alpha_scale = np.full((n_rows, n_cols), 0.1)
        self.row_scale = np.full(n_rows, 0.1)
        self.newton = dirichlet_newton_matrix(self.alpha)


class _Problem:
    """The data and settings every sweep of every chain reads."""

    def __init__(self, data: EIData, prior_shape: float, prior_rate: float, thin: int) -> None:
        self.x = np.ascontiguousarray(data.group_fractions)
        self.votes = np.ascontiguousarray(np.rint(data.candidates).astype(np.int64))
        self.weights = data.groups / np.maximum(data.groups.sum(axis=0), _TINY)[None, :]
        self.prior_shape = prior_shape
        self.prior_rate = prior_rate
        self.thin = thin
        n_rows, n_cols = data.groups.shape[1], data.candidates.shape[1]
        self.ridge_per_unit = max(1, n_rows * n_cols // 2)
        self.collective_per_sweep = n_rows * n_cols
        self.shape = (data.n_units, n_rows, n_cols)

    def run(self, chain: _Chain, n_iterations: int, adapt: bool, block: _Block) -> None:
        """Run sweeps of one chain in the compiled kernel (releases the GIL)."""
        kernel.run_iterations(
            int(chain.rng.integers(2**31 - 1)),
            n_iterations,
            adapt,
            chain.beta,
            chain.alpha,
            self.x,
            self.votes,
            self.weights,
            chain.newton,
            chain.quad_steps,
            chain.scale_step,
            chain.ridge_scale,
            chain.alpha_scale,
            chain.row_scale,
            self.prior_shape,
            self.prior_rate,
            self.ridge_per_unit,
            self.collective_per_sweep,
            self.thin,
            block.global_draws,
            block.unit_draws,
            block.beta_sum,
            block.alpha_sum,
            block.counts,
        )

    def warm_up(self, chain: _Chain, n_warmup: int) -> None:
        """Adapt step sizes; refresh the α response matrix between chunks, then freeze it."""
        idle = _Block.empty(*self.shape)
        done = 0
        while done < n_warmup:
            size = min(_WARMUP_CHUNK, n_warmup - done)
            self.run(chain, size, True, idle)
            chain.newton = dirichlet_newton_matrix(chain.alpha)
            done += size

    def block(self, chain: _Chain, size: int) -> _Block:
        block = _Block(*self.shape, size, self.thin)
        self.run(chain, size, False, block)
        return block


class MultinomialDirichletEI(EIEstimator):
    """R×C hierarchical multinomial-Dirichlet EI with a compiled MCMC sampler.

    Parameters:
        n_chains: independent chains (run in parallel threads); ≥ 2 for R̂.
        n_warmup: warm-up iterations per chain (discarded; step sizes adapt).
        n_draws: kept iterations per chain (two blocks of n_draws / 2).
        target_rhat, max_extra_blocks: while the largest R̂ is ≥ target_rhat, run up to
            max_extra_blocks more blocks of n_draws / 2 iterations, keeping the later half.
        thin: keep one draw every ``thin`` iterations for unit-level intervals.
        prior_shape, prior_rate: Gamma hyper-prior of α (PyEI/eiPack: 4 and 0.5).
        level: credible-interval level. random_state: seed.
        time_budget: seconds the fit may take (None: no limit). The sampler times its first
            warm-up sweeps and raises ``SamplerBudgetError`` at once when the run cannot end
            in time; extra blocks stop when the next one would overrun.

    Fitted attributes (besides the base ones, n units, R groups, C candidates):
        global_: (R, C) posterior mean of the global shares ``Σ_i X_ir β_irc / Σ_i X_ir``.
        intervals_: (R, C, 2) equal-tailed credible intervals of the global shares.
        unit_tables_: (n, R, C) posterior mean counts ``X_ir β_irc`` made to match both margins
            exactly by IPF.
        unit_shares_mean_: (n, R, C) posterior mean of β.
        unit_intervals_: (n, R, C, 2) credible intervals of each unit's realised shares — how
            its group's voters actually split (N_irc / N_ir·, the augmented counts) — which is
            what the unit tables estimate; they are wider than intervals of β for small groups.
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
        max_extra_blocks: int = 10,
        thin: int = 4,
        prior_shape: float = 4.0,
        prior_rate: float = 0.5,
        level: float = 0.95,
        random_state: int | None = None,
        time_budget: float | None = None,
    ) -> None:
        self.time_budget = time_budget
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
    def _initial_chains(self, rng: np.random.Generator, data: EIData) -> list[_Chain]:
        keep = data.totals > 0
        probs, _, _ = em_mult(data.groups[keep], data.candidates[keep], tol=1e-5)
        n_rows, n_cols = probs.shape
        chains = []
        for _ in range(self.n_chains):
            start = np.array([rng.dirichlet(np.maximum(row, 1e-3) * 50) for row in probs])
            start = np.maximum(start, 1e-3)
            start /= start.sum(axis=1, keepdims=True)
            alpha = start * rng.uniform(5, 30)
            beta = rng.dirichlet(np.ones(n_cols), size=(data.n_units, n_rows)) * 0.1
            beta += 0.9 * start[None]
            chains.append(_Chain(beta, alpha, int(rng.integers(2**63 - 1))))
        return chains

    def _fit(self, data: EIData) -> None:
        if self.n_chains < 1 or self.n_draws < 8 or self.n_warmup < 0 or self.max_extra_blocks < 0:
            raise ValueError(
                "n_chains must be ≥ 1, n_draws ≥ 8, n_warmup ≥ 0 and max_extra_blocks ≥ 0"
            )
        started = time.perf_counter()
        rng = np.random.default_rng(self.random_state)
        problem = _Problem(data, self.prior_shape, self.prior_rate, max(self.thin, 1))
        chains = self._initial_chains(rng, data)
        block_size = self.n_draws // 2
        workers = max(1, min(self.n_chains, os.cpu_count() or 1))
        with ThreadPoolExecutor(max_workers=workers) as pool:

            def each_chain(task: Callable[[_Chain], _T]) -> list[_T]:
                return list(pool.map(task, chains))

            first = min(_WARMUP_CHUNK, self.n_warmup)
            each_chain(lambda chain: problem.warm_up(chain, first))
            per_sweep = (time.perf_counter() - started) / max(first, 1)
            self._check_budget(started, per_sweep * (self.n_warmup - first + self.n_draws))
            each_chain(lambda chain: problem.warm_up(chain, self.n_warmup - first))
            run = [each_chain(lambda chain: problem.block(chain, block_size)) for _ in range(2)]
            per_sweep = (time.perf_counter() - started) / max(self.n_warmup + self.n_draws, 1)
            extra = 0
            while (
                extra < self.max_extra_blocks
                and self._worst_rhat(self._kept(run)) >= self.target_rhat
                and self._within_budget(started, per_sweep * block_size)
            ):
                run.append(each_chain(lambda chain: problem.block(chain, block_size)))
                run[len(run) - len(self._kept(run)) - 1] = []  # no longer kept: free it
                extra += 1
        self.n_iterations_ = self.n_warmup + (2 + extra) * block_size
        self.extra_blocks_ = extra
        self._finish(data, self._kept(run))

    def _within_budget(self, started: float, more_seconds: float) -> bool:
        if self.time_budget is None:
            return True
        return time.perf_counter() - started + more_seconds <= self.time_budget

    def _check_budget(self, started: float, more_seconds: float) -> None:
        """Stop early (``SamplerBudgetError``) when the run cannot end within ``time_budget``."""
        if not self._within_budget(started, more_seconds):
            raise SamplerBudgetError(
                f"the sampler would need ≈ {time.perf_counter() - started + more_seconds:.1f} s,"
                f" over its time budget of {self.time_budget:.1f} s"
            )

    @staticmethod
    def _kept(run: list[list[_Block]]) -> list[list[_Block]]:
        """The blocks kept as draws: the later half of the run after warm-up (at least 2)."""
        return run[len(run) - max(2, (len(run) + 1) // 2) :]

    @staticmethod
    def _global_draws(blocks: list[list[_Block]]) -> FloatArray:
        """(chains, kept draws, R, C) from blocks[block][chain]."""
        return np.stack(
            [
                np.concatenate([chain.global_draws for chain in per_chain])
                for per_chain in zip(*blocks, strict=True)
            ]
        )

    def _worst_rhat(self, blocks: list[list[_Block]]) -> float:
        if self.n_chains < 2:
            return 1.0
        return float(np.nanmax(split_rhat(self._global_draws(blocks))))

    def _finish(self, data: EIData, blocks: list[list[_Block]]) -> None:
        tail = 100 * (1 - self.level) / 2
        every = [block for per_block in blocks for block in per_block]
        global_draws = self._global_draws(blocks)
        n_kept = global_draws.shape[0] * global_draws.shape[1]
        flat = global_draws.reshape(-1, *global_draws.shape[2:])
        self.global_draws_ = global_draws
        self.global_ = flat.mean(axis=0)
        self.global_ /= self.global_.sum(axis=1, keepdims=True)
        low, high = np.percentile(flat, [tail, 100 - tail], axis=0)
        self.intervals_ = np.stack([low, high], axis=-1)
        self.unit_shares_mean_ = sum(block.beta_sum for block in every) / n_kept
        units = np.concatenate([block.unit_draws for block in every])
        u_low, u_high = np.percentile(units, [tail, 100 - tail], axis=0)
        self.unit_intervals_ = np.stack([u_low, u_high], axis=-1).astype(np.float64)
        self.alpha_mean_ = sum(block.alpha_sum for block in every) / n_kept
        seed = data.groups[:, :, None] * self.unit_shares_mean_
        self.unit_tables_ = ipf_tables(seed, data.groups, data.candidates)
        self.rhat_ = (
            split_rhat(global_draws) if self.n_chains > 1 else np.full(self.global_.shape, np.nan)
        )
        self.ess_ = effective_sample_size(global_draws)
        counts = np.sum([block.counts for block in every], axis=0)
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
