"""Vote-transfer helpers: electorate tables with abstention, blank and null as options.

A transfer ("report de voix") between two rounds or two elections is an R×C ecological
inference problem on the same electorate: the rows are the round-1 options *including*
abstention (and blank/null), the columns the round-2 options including them too, so both
sides count every registered voter of the bureau.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from circo.analysis.errors import EIInputError

FloatArray = NDArray[np.float64]

ABSTENTION = "abstention"
BLANK = "blank"
NULL_VOTES = "null_votes"
BLANK_NULL = "blank_null"


def _column(values: ArrayLike | None, n_units: int, what: str) -> FloatArray | None:
    if values is None:
        return None
    array = np.asarray(values, dtype=np.float64).reshape(-1)
    if array.shape[0] != n_units:
        raise EIInputError(f"{what} has {array.shape[0]} values for {n_units} units")
    return array


def electorate_table(
    votes: ArrayLike,
    *,
    registered: ArrayLike,
    candidate_names: Sequence[str],
    blank: ArrayLike | None = None,
    null_votes: ArrayLike | None = None,
    merge_blank_null: bool = False,
    unit_names: Sequence[object] | None = None,
) -> tuple[FloatArray, list[str]]:
    """Counts of every registered voter by option: candidates, blank, null, abstention.

    Args:
        votes: (n_units, K) votes per candidate.
        registered: (n_units,) registered voters (inscrits).
        candidate_names: (K,) names.
        blank, null_votes: optional (n_units,) blank and null ballots.
        merge_blank_null: one "blank_null" column instead of two.

    Returns:
        ((n_units, K + extra) counts, names) where the last column is abstention =
        registered − all ballots. Raises ``EIInputError`` naming the unit when ballots
        exceed registered voters.
    """
    counts = np.asarray(votes, dtype=np.float64)
    if counts.ndim != 2 or counts.shape[1] != len(candidate_names):
        raise EIInputError(
            f"votes must be (n_units, {len(candidate_names)}); got shape {counts.shape}"
        )
    n_units = counts.shape[0]
    names = [str(name) for name in candidate_names]
    columns = [counts]
    reg = np.asarray(registered, dtype=np.float64).reshape(-1)
    if reg.shape[0] != n_units:
        raise EIInputError(f"registered has {reg.shape[0]} values for {n_units} units")
    blank_arr = _column(blank, n_units, BLANK)
    null_arr = _column(null_votes, n_units, NULL_VOTES)
    if merge_blank_null and (blank_arr is not None or null_arr is not None):
        merged = (blank_arr if blank_arr is not None else 0) + (
            null_arr if null_arr is not None else 0
        )
        columns.append(np.asarray(merged, dtype=np.float64)[:, None])
        names.append(BLANK_NULL)
    else:
        for arr, name in ((blank_arr, BLANK), (null_arr, NULL_VOTES)):
            if arr is not None:
                columns.append(arr[:, None])
                names.append(name)
    ballots = np.hstack(columns)
    abstention = reg - ballots.sum(axis=1)
    if (abstention < 0).any():
        unit = int(np.flatnonzero(abstention < 0)[0])
        label = str(unit_names[unit]) if unit_names is not None else None
        raise EIInputError(
            f"{ballots[unit].sum():g} ballots but only {reg[unit]:g} registered voters; "
            "expected registered ≥ ballots",
            unit=unit,
            unit_name=label,
            column=ABSTENTION,
        )
    return np.hstack([ballots, abstention[:, None]]), [*names, ABSTENTION]


def transfer_counts(shares: ArrayLike, row_totals: ArrayLike) -> FloatArray:
    """(R, C) voters moving from each row option to each column option.

    Args:
        shares: (R, C) row-stochastic transfer matrix (e.g. an estimator's ``global_``).
        row_totals: (R,) voters of each row option (summed over units).
    """
    matrix = np.asarray(shares, dtype=np.float64)
    totals = np.asarray(row_totals, dtype=np.float64)
    return matrix * totals[:, None]


def drop_option(
    shares: ArrayLike, names_cols: Sequence[str], *, option: str
) -> tuple[FloatArray, list[str]]:
    """Shares among the columns other than ``option`` (e.g. transfers among voters only).

    Returns the (R, C−1) matrix renormalised per row and the remaining column names.
    """
    matrix = np.asarray(shares, dtype=np.float64)
    cols = list(names_cols)
    if option not in cols:
        raise EIInputError(f"option {option!r} not among columns {cols}")
    keep = [i for i, name in enumerate(cols) if name != option]
    sub = matrix[:, keep]
    total = sub.sum(axis=1, keepdims=True)
    sub = np.divide(sub, total, out=np.zeros_like(sub), where=total > 0)
    return sub, [cols[i] for i in keep]
