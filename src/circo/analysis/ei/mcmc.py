"""Convergence diagnostics of MCMC draws: split R̂ and effective sample size."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def _split(draws: FloatArray) -> FloatArray:
    """(chains, n, ...) → (2·chains, n//2, ...)."""
    half = draws.shape[1] // 2
    return np.concatenate([draws[:, :half], draws[:, half : 2 * half]], axis=0)


def split_rhat(draws: FloatArray) -> FloatArray:
    """Split-chain potential scale reduction factor (Gelman et al., BDA3 §11.4).

    Args:
        draws: (chains, n_draws, ...) samples of one or more scalar quantities.

    Returns:
        (...) R̂ per quantity; values near 1 (< 1.01–1.05) indicate the chains agree.
    """
    chains = _split(np.asarray(draws, dtype=np.float64))
    n = chains.shape[1]
    chain_means = chains.mean(axis=1)
    within = chains.var(axis=1, ddof=1).mean(axis=0)
    between = n * chain_means.var(axis=0, ddof=1)
    var_plus = (n - 1) / n * within + between / n
    with np.errstate(divide="ignore", invalid="ignore"):
        rhat = np.sqrt(var_plus / within)
    return np.where(within > 0, rhat, 1.0)


def _autocovariance(x: FloatArray) -> FloatArray:
    """Autocovariance along axis 1 of (chains, n, ...) by FFT."""
    n = x.shape[1]
    centred = x - x.mean(axis=1, keepdims=True)
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spectrum = np.fft.rfft(centred, n=size, axis=1)
    acov = np.fft.irfft(spectrum * np.conj(spectrum), n=size, axis=1)[:, :n]
    return np.asarray(acov / n, dtype=np.float64)


def effective_sample_size(draws: FloatArray) -> FloatArray:
    """Multi-chain effective sample size with Geyer's initial monotone sequence.

    Args:
        draws: (chains, n_draws, ...) samples.

    Returns:
        (...) effective number of independent draws per quantity (≤ chains · n_draws · a
        little more for antithetic chains).
    """
    chains = _split(np.asarray(draws, dtype=np.float64))
    n_chains, n = chains.shape[:2]
    flat = chains.reshape(n_chains, n, -1)
    acov = _autocovariance(flat)
    chain_var = acov[:, 0] * n / (n - 1)
    within = chain_var.mean(axis=0)
    var_plus = within * (n - 1) / n
    if n_chains > 1:
        var_plus = var_plus + flat.mean(axis=1).var(axis=0, ddof=1)
    ess = np.empty(flat.shape[2])
    for q in range(flat.shape[2]):
        if var_plus[q] <= 0:
            ess[q] = n_chains * n
            continue
        rho = 1 - (within[q] - acov[:, :, q].mean(axis=0)) / var_plus[q]
        rho[0] = 1.0
        pairs = rho[: (n // 2) * 2].reshape(-1, 2).sum(axis=1)
        positive = np.flatnonzero(pairs <= 0)
        pairs = pairs[: positive[0]] if positive.size else pairs
        pairs = np.minimum.accumulate(pairs)
        tau = -1 + 2 * pairs.sum()
        ess[q] = n_chains * n / max(tau, 1e-12)
    return ess.reshape(flat.shape[2:] if flat.ndim > 2 else ()).reshape(chains.shape[2:])
