"""Linear-programming transfer models of the lphom family (Pavía & Romero).

lphom: find a row-stochastic transfer matrix P (J, K) minimising the sum over units and
columns of ``|y_ik − Σ_j x_ij p_jk|`` (absolute errors in votes), solved with HiGHS through
``scipy.optimize.linprog``.

Symmetric variants:
- ``variant="dual"``: fit election 1 → 2 and 2 → 1, turn both into count tables and average
  them (lphom_dual);
- ``variant="joint"``: one LP over the global count table N (J, K) fitting both directions at
  once (lphom_joint).

New and exit voters between two elections (``new_and_exit="regular"``): when unit totals
differ, a row "new voters" (``max(0, T_i − X_i)``) and a column "exits"
(``max(0, X_i − T_i)``) are added, with no transfer from new voters to exits; otherwise
(``"raw"``) group counts are rescaled to the candidate totals like the other estimators.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse
from scipy.optimize import linprog

from circo.analysis.ei._base import EIEstimator, shares_from_tables
from circo.analysis.ei._data import EIData
from circo.analysis.ei.ipf import ipf_tables
from circo.analysis.errors import AnalysisError, EIInputError

FloatArray = NDArray[np.float64]

NEW_VOTERS = "new_voters"
EXITS = "exits"


def lphom_shares(
    rows: FloatArray, cols: FloatArray, *, forbidden: list[tuple[int, int]] | None = None
) -> FloatArray:
    """Solve lphom: row-stochastic P (J, K) minimising ``Σ_ik |cols_ik − Σ_j rows_ij p_jk|``.

    Args:
        rows: (n, J) counts of election 1 (origin); cols: (n, K) counts of election 2.
        forbidden: (j, k) cells constrained to 0 (structural zeros).
    """
    n_units, n_rows = rows.shape
    n_cols = cols.shape[1]
    n_p = n_rows * n_cols
    n_e = n_units * n_cols
    # variables: p (J*K, row-major), e_plus (n*K), e_minus (n*K)
    eq_fit = sparse.hstack(
        [
            sparse.kron(sparse.csr_matrix(rows), sparse.identity(n_cols)),
            sparse.identity(n_e),
            -sparse.identity(n_e),
        ]
    )
    eq_rows = sparse.hstack(
        [
            sparse.kron(sparse.identity(n_rows), np.ones((1, n_cols))),
            sparse.csr_matrix((n_rows, 2 * n_e)),
        ]
    )
    a_eq = sparse.vstack([eq_fit, eq_rows]).tocsr()
    b_eq = np.concatenate([cols.ravel(), np.ones(n_rows)])
    cost = np.concatenate([np.zeros(n_p), np.ones(2 * n_e)])
    bounds = [(0.0, 1.0)] * n_p + [(0.0, None)] * (2 * n_e)
    for j, k in forbidden or []:
        bounds[j * n_cols + k] = (0.0, 0.0)
    result = linprog(cost, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    if result.status != 0:
        raise AnalysisError(f"the lphom linear program failed: {result.message}")
    shares = np.maximum(result.x[:n_p].reshape(n_rows, n_cols), 0.0)
    return shares / shares.sum(axis=1, keepdims=True)


def lphom_joint_counts(rows: FloatArray, cols: FloatArray) -> FloatArray:
    """lphom_joint: global counts N (J, K) fitting both directions with one LP.

    Minimises ``Σ|y_ik − Σ_j x_ij N_jk / X_j| + Σ|x_ij − Σ_k y_ik N_jk / Y_k|`` subject to
    ``Σ_k N_jk = X_j`` and ``Σ_j N_jk = Y_k`` (X_j, Y_k totals over units).
    """
    n_units, n_rows = rows.shape
    n_cols = cols.shape[1]
    row_tot = rows.sum(axis=0)
    col_tot = cols.sum(axis=0)
    n_n = n_rows * n_cols
    e1, e2 = n_units * n_cols, n_units * n_rows
    fwd = sparse.kron(
        sparse.csr_matrix(rows / np.maximum(row_tot, 1e-300)), sparse.identity(n_cols)
    )
    # backward: x_ij ≈ Σ_k y_ik N_jk / Y_k ; N index j*K + k
    back = sparse.kron(
        sparse.identity(n_rows), sparse.csr_matrix(cols / np.maximum(col_tot, 1e-300))
    )
    order = np.arange(n_units * n_rows).reshape(n_rows, n_units).T.ravel()
    back = back.tocsr()[order]
    zeros1 = sparse.csr_matrix((e1, 2 * e2))
    zeros2 = sparse.csr_matrix((e2, 2 * e1))
    fit1 = sparse.hstack([fwd, sparse.identity(e1), -sparse.identity(e1), zeros1])
    fit2 = sparse.hstack([back, zeros2, sparse.identity(e2), -sparse.identity(e2)])
    margin_rows = sparse.hstack(
        [
            sparse.kron(sparse.identity(n_rows), np.ones((1, n_cols))),
            sparse.csr_matrix((n_rows, 2 * e1 + 2 * e2)),
        ]
    )
    margin_cols = sparse.hstack(
        [
            sparse.kron(np.ones((1, n_rows)), sparse.identity(n_cols)),
            sparse.csr_matrix((n_cols, 2 * e1 + 2 * e2)),
        ]
    )
    a_eq = sparse.vstack([fit1, fit2, margin_rows, margin_cols]).tocsr()
    b_eq = np.concatenate([cols.ravel(), rows.ravel(), row_tot, col_tot])
    cost = np.concatenate([np.zeros(n_n), np.ones(2 * e1 + 2 * e2)])
    result = linprog(cost, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    if result.status != 0:
        raise AnalysisError(f"the lphom_joint linear program failed: {result.message}")
    return np.asarray(result.x[:n_n].reshape(n_rows, n_cols), dtype=np.float64)


class LPHom(EIEstimator):
    """lphom-family transfer estimator (global matrix by LP, unit tables by IPF).

    Parameters:
        variant: "lphom" (election 1 → 2), "dual" (average of both directions) or "joint".
        new_and_exit: "raw" (rescale totals) or "regular" (add a new-voters row and an exits
            column where unit totals differ; a new voter cannot exit).
        n_bootstrap: resamples of units for ``intervals_`` (0: the interval is the point).

    Fitted attributes (besides the base ones): ``group_names_``/``candidate_names_`` include
    "new_voters"/"exits" when they were added; ``counts_`` (R, C) global estimated counts.
    """

    method = "lp"
    interval_kind = "bootstrap interval"

    counts_: FloatArray

    def __init__(
        self,
        *,
        variant: str = "lphom",
        new_and_exit: str = "raw",
        n_bootstrap: int = 0,
        level: float = 0.95,
        random_state: int | None = None,
    ) -> None:
        self.variant = variant
        self.new_and_exit = new_and_exit
        self.n_bootstrap = n_bootstrap
        self.level = level
        self.random_state = random_state

    def fit(
        self,
        X: ArrayLike,
        T: ArrayLike,
        *,
        unit_names: Sequence[object] | None = None,
        group_names: Sequence[object] | None = None,
        candidate_names: Sequence[object] | None = None,
    ) -> LPHom:
        """Fit; with ``new_and_exit="regular"`` a new-voters row and an exits column are added.

        Args: as :meth:`EIEstimator.fit` — X (n, J) election-1 counts, T (n, K) election-2.
        """
        self._reset_fitted()  # also when the settings below are refused
        if self.variant not in {"lphom", "dual", "joint"}:
            raise EIInputError(f"variant must be 'lphom', 'dual' or 'joint'; got {self.variant!r}")
        if self.new_and_exit not in {"raw", "regular"}:
            raise EIInputError(
                f"new_and_exit must be 'raw' or 'regular'; got {self.new_and_exit!r}"
            )
        x = np.asarray(X, dtype=np.float64)
        t = np.asarray(T, dtype=np.float64)
        if (
            self.new_and_exit == "regular"
            and x.ndim == 2
            and t.ndim == 2
            and x.shape[0] == t.shape[0]
        ):
            gap = t.sum(axis=1) - x.sum(axis=1)
            x = np.column_stack([x, np.maximum(gap, 0.0)])
            t = np.column_stack([t, np.maximum(-gap, 0.0)])
            group_names = [
                *(group_names or [f"G{i + 1}" for i in range(x.shape[1] - 1)]),
                NEW_VOTERS,
            ]
            candidate_names = [
                *(candidate_names or [f"C{i + 1}" for i in range(t.shape[1] - 1)]),
                EXITS,
            ]
        super().fit(
            x, t, unit_names=unit_names, group_names=group_names, candidate_names=candidate_names
        )
        return self

    def _forbidden(self, data: EIData) -> list[tuple[int, int]]:
        if self.new_and_exit != "regular":
            return []
        return [(len(data.group_names) - 1, len(data.candidate_names) - 1)]

    def _global_counts(self, rows: FloatArray, cols: FloatArray, data: EIData) -> FloatArray:
        if self.variant == "joint":
            return lphom_joint_counts(rows, cols)
        forward = lphom_shares(rows, cols, forbidden=self._forbidden(data))
        counts = forward * rows.sum(axis=0)[:, None]
        if self.variant == "dual":
            backward_forbidden = [(k, j) for j, k in self._forbidden(data)]
            backward = lphom_shares(cols, rows, forbidden=backward_forbidden)
            counts = (counts + (backward * cols.sum(axis=0)[:, None]).T) / 2
        return counts

    def _fit(self, data: EIData) -> None:
        keep = data.totals > 0
        rows, cols = data.groups[keep], data.candidates[keep]
        counts = self._global_counts(rows, cols, data)
        shares = _row_shares(counts)
        self.counts_ = counts
        seed = data.groups[:, :, None] * shares[None]
        for j, k in self._forbidden(data):
            seed[:, j, k] = 0.0
        self.unit_tables_ = ipf_tables(seed, data.groups, data.candidates, floor=0.0)
        self.unit_tables_ = np.where(np.isfinite(self.unit_tables_), self.unit_tables_, 0.0)
        self.global_ = shares_from_tables(self.unit_tables_, data.groups)
        self.intervals_ = self._bootstrap(rows, cols, data, shares)

    def _bootstrap(
        self, rows: FloatArray, cols: FloatArray, data: EIData, shares: FloatArray
    ) -> FloatArray:
        if self.n_bootstrap <= 0:
            return np.stack([self.global_, self.global_], axis=-1)
        rng = np.random.default_rng(self.random_state)
        draws = []
        for _ in range(self.n_bootstrap):
            pick = rng.integers(0, rows.shape[0], rows.shape[0])
            draws.append(_row_shares(self._global_counts(rows[pick], cols[pick], data)))
        tail = 100 * (1 - self.level) / 2
        low, high = np.percentile(np.stack(draws) - shares[None], [tail, 100 - tail], axis=0)
        return np.clip(np.stack([self.global_ + low, self.global_ + high], axis=-1), 0.0, 1.0)


def _row_shares(counts: FloatArray) -> FloatArray:
    total = counts.sum(axis=1, keepdims=True)
    uniform = np.full_like(counts, 1.0 / counts.shape[1])
    return np.where(total > 0, counts / np.where(total > 0, total, 1.0), uniform)
