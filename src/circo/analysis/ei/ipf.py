"""Iterative proportional fitting of many small tables at once."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def ipf_tables(
    seed: FloatArray,
    row_margins: FloatArray,
    col_margins: FloatArray,
    *,
    max_iter: int = 1000,
    tol: float = 1e-10,
    floor: float = 1e-12,
) -> FloatArray:
    """Scale each unit's seed table so it matches the unit's row and column margins.

    Args:
        seed: (n_units, R, C) non-negative seed tables (e.g. ``X[:, :, None] * P[None]``).
        row_margins: (n_units, R) target row sums.
        col_margins: (n_units, C) target column sums; each unit's total must equal the total
            of its row margins.
        max_iter: maximum number of row+column sweeps.
        tol: stop when every row sum is within ``tol × unit total`` of its target.
        floor: seed cells are raised to at least ``floor`` so a positive margin can always be
            reached (structural zeros are not supported here).

    Returns:
        (n_units, R, C) tables. Column sums equal ``col_margins`` (the last sweep scales
        columns); row sums equal ``row_margins`` within ``tol`` relative to the unit total.
    """
    table = np.maximum(np.asarray(seed, dtype=np.float64), floor)
    rows = np.asarray(row_margins, dtype=np.float64)
    cols = np.asarray(col_margins, dtype=np.float64)
    scale_tol = tol * np.maximum(rows.sum(axis=1), 1.0)[:, None]
    active = np.arange(table.shape[0])
    for _ in range(max_iter):
        sub = table[active]
        row_sum = sub.sum(axis=2)
        sub *= np.divide(rows[active], row_sum, out=np.zeros_like(row_sum), where=row_sum > 0)[
            :, :, None
        ]
        col_sum = sub.sum(axis=1)
        sub *= np.divide(cols[active], col_sum, out=np.zeros_like(col_sum), where=col_sum > 0)[
            :, None, :
        ]
        table[active] = sub
        error = np.abs(sub.sum(axis=2) - rows[active])
        not_done = (error > scale_tol[active]).any(axis=1)
        active = active[not_done]
        if active.size == 0:
            break
    return table
