"""Seeded generators of synthetic ecological-inference data with known truth.

Used by the tests and by ``benchmarks/ei``. Every generator returns a :class:`SyntheticEI`
whose ``tables`` are the true (n_units, R, C) counts; ``X`` and ``T`` are their margins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class SyntheticEI:
    """Synthetic data: true tables (n, R, C), margins X (n, R) and T (n, C), names."""

    tables: FloatArray
    group_names: list[str]
    candidate_names: list[str]

    @property
    def X(self) -> FloatArray:
        return self.tables.sum(axis=2)

    @property
    def T(self) -> FloatArray:
        return self.tables.sum(axis=1)

    @property
    def true_global(self) -> FloatArray:
        cells = self.tables.sum(axis=0)
        return cells / cells.sum(axis=1, keepdims=True)


def _draw_tables(
    rng: np.random.Generator,
    global_probs: FloatArray,
    group_fractions: FloatArray,
    sizes: NDArray[np.int64],
    concentration: float,
) -> FloatArray:
    """Unit probabilities ~ Dirichlet(concentration · global row); counts ~ multinomial."""
    n_units = sizes.shape[0]
    n_rows, n_cols = global_probs.shape
    group_counts = rng.multinomial(sizes, group_fractions)  # (n, R)
    alpha = concentration * global_probs
    gammas = rng.standard_gamma(np.broadcast_to(alpha, (n_units, n_rows, n_cols)))
    probs = gammas / gammas.sum(axis=2, keepdims=True)
    probs = np.maximum(probs, 1e-12)
    probs /= probs.sum(axis=2, keepdims=True)
    tables = rng.multinomial(group_counts, probs)
    return np.asarray(tables, dtype=np.float64)


def _fractions(rng: np.random.Generator, n_units: int, n_groups: int, spread: float) -> FloatArray:
    """(n, R) group fractions varying between units (Dirichlet with random unit means)."""
    base = rng.dirichlet(np.ones(n_groups) * 2.0)
    centres = rng.dirichlet(np.ones(n_groups) * 1.0, size=n_units)
    mix = (1 - spread) * base + spread * centres
    return mix / mix.sum(axis=1, keepdims=True)


def make_groups_candidates(seed: int = 0, n_units: int = 500) -> SyntheticEI:
    """Generator (a): 3 groups × 4 candidates, units of 300–1 500 voters.

    Unit probabilities are drawn around a fixed global matrix (Dirichlet, concentration 30).
    """
    rng = np.random.default_rng(seed)
    global_probs = np.array(
        [[0.55, 0.20, 0.15, 0.10], [0.20, 0.45, 0.25, 0.10], [0.15, 0.25, 0.30, 0.30]]
    )
    sizes = rng.integers(300, 1501, n_units)
    fractions = _fractions(rng, n_units, 3, spread=0.7)
    tables = _draw_tables(rng, global_probs, fractions, sizes, concentration=30.0)
    return SyntheticEI(tables, ["G1", "G2", "G3"], ["A", "B", "C", "D"])


def make_transfer(seed: int = 0, n_units: int = 500) -> SyntheticEI:
    """Generator (b): vote transfer 6 × 4 between two rounds, with abstention.

    Rows: round-1 options (5 candidates/blank grouped + abstention); columns: round-2 A, B,
    blank, abstention. Bureaux of 600–1 500 registered voters.
    """
    rng = np.random.default_rng(seed)
    global_probs = np.array(
        [
            [0.85, 0.03, 0.04, 0.08],
            [0.04, 0.86, 0.03, 0.07],
            [0.55, 0.15, 0.10, 0.20],
            [0.15, 0.45, 0.12, 0.28],
            [0.30, 0.30, 0.15, 0.25],
            [0.06, 0.05, 0.02, 0.87],
        ]
    )
    sizes = rng.integers(600, 1501, n_units)
    fractions = _fractions(rng, n_units, 6, spread=0.6)
    tables = _draw_tables(rng, global_probs, fractions, sizes, concentration=40.0)
    groups = ["R1_A", "R1_B", "R1_C", "R1_D", "R1_blank_null", "R1_abstention"]
    return SyntheticEI(tables, groups, ["A", "B", "blank", "abstention"])


def make_large(seed: int = 0, n_units: int = 2000, n_groups: int = 14) -> SyntheticEI:
    """Generator (c): 14 groups × 4 options, any number of bureaux (2 000 – 70 000)."""
    rng = np.random.default_rng(seed)
    global_probs = rng.dirichlet(np.ones(4) * 1.5, size=n_groups)
    global_probs = np.maximum(global_probs, 0.01)
    global_probs /= global_probs.sum(axis=1, keepdims=True)
    sizes = rng.integers(300, 1501, n_units)
    fractions = _fractions(rng, n_units, n_groups, spread=0.6)
    tables = _draw_tables(rng, global_probs, fractions, sizes, concentration=40.0)
    return SyntheticEI(
        tables, [f"G{i + 1}" for i in range(n_groups)], ["A", "B", "blank", "abstention"]
    )
