"""Validation of ecological-inference inputs and rescaling of unit totals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from circo.analysis.errors import EIInputError

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class EIData:
    """Validated inputs of an R×C ecological-inference problem.

    Attributes:
        groups: (n_units, R) group counts, rescaled so each unit total equals ``candidates``'s.
        candidates: (n_units, C) candidate counts, as given (floats).
        totals: (n_units,) unit totals (sum of ``candidates``).
        raw_group_totals: (n_units,) unit totals of the groups before rescaling.
        unit_names, group_names, candidate_names: labels used in messages and outputs.
    """

    groups: FloatArray
    candidates: FloatArray
    totals: FloatArray
    raw_group_totals: FloatArray
    unit_names: list[str]
    group_names: list[str]
    candidate_names: list[str]

    @property
    def n_units(self) -> int:
        return int(self.groups.shape[0])

    @property
    def mismatch(self) -> FloatArray:
        """(n_units,) relative difference between the two sides' totals, before rescaling."""
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = (self.raw_group_totals - self.totals) / np.maximum(self.totals, 1.0)
        return np.asarray(rel, dtype=np.float64)

    @property
    def group_fractions(self) -> FloatArray:
        """(n_units, R) share of each group in the unit (0 for empty units)."""
        return self.groups / np.maximum(self.totals, 1e-300)[:, None]


def _names(given: Sequence[object] | None, count: int, prefix: str, what: str) -> list[str]:
    if given is None:
        return [f"{prefix}{i + 1}" for i in range(count)]
    names = [str(name) for name in given]
    if len(names) != count:
        raise EIInputError(
            f"got {len(names)} {what} names for {count} columns/rows; expected one name each, "
            f"e.g. {[f'{prefix}{i + 1}' for i in range(min(count, 3))]}"
        )
    if len(set(names)) != len(names):
        duplicate = next(name for name in names if names.count(name) > 1)
        raise EIInputError(f"{what} name {duplicate!r} appears twice; names must be unique")
    return names


def _as_matrix(values: ArrayLike, side: str) -> FloatArray:
    try:
        matrix = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise EIInputError(
            f"{side} counts must be numbers (a 2-D array n_units × columns, e.g. [[120, 80], "
            f"[300, 45]]); got {type(values).__name__}: {exc}"
        ) from exc
    if matrix.ndim != 2:
        raise EIInputError(
            f"{side} counts must be a 2-D array (n_units × columns); got shape {matrix.shape}"
        )
    return matrix


def _check_values(matrix: FloatArray, side: str, columns: list[str], units: list[str]) -> None:
    bad = ~np.isfinite(matrix) | (matrix < 0)
    if not bad.any():
        return
    unit, col = (int(i) for i in np.argwhere(bad)[0])
    value = matrix[unit, col]
    raise EIInputError(
        f"{side} count is {value!r}; expected a finite count ≥ 0 (e.g. 0 or 125)",
        unit=unit,
        unit_name=units[unit],
        column=columns[col],
    )


def validate(
    groups: ArrayLike,
    candidates: ArrayLike,
    *,
    unit_names: Sequence[object] | None = None,
    group_names: Sequence[object] | None = None,
    candidate_names: Sequence[object] | None = None,
    min_groups: int = 2,
    min_candidates: int = 2,
) -> EIData:
    """Check counts and names, and rescale group counts to the candidate totals of each unit.

    Args:
        groups: (n_units, R) counts per group (e.g. voters by age, or round-1 options).
        candidates: (n_units, C) counts per candidate/option of the same units.
        unit_names: optional (n_units,) labels; group_names (R,), candidate_names (C,).

    Unit totals of the two sides may differ (estimated demographics, late registrations…):
    each unit's group counts are multiplied by ``candidate_total / group_total`` so both sides
    agree. A unit empty on one side and not on the other cannot be rescaled and is an error.
    Units empty on both sides are kept and carry no weight.
    """
    x = _as_matrix(groups, "group")
    t = _as_matrix(candidates, "candidate")
    if x.shape[0] != t.shape[0]:
        raise EIInputError(
            f"group counts have {x.shape[0]} units (rows) but candidate counts have {t.shape[0]};"
            " expected one row per unit on both sides"
        )
    if x.shape[0] == 0:
        raise EIInputError("no units given; expected at least 2 rows of counts")
    units = _names(unit_names, x.shape[0], "unit", "unit")
    gnames = _names(group_names, x.shape[1], "G", "group")
    cnames = _names(candidate_names, t.shape[1], "C", "candidate")
    if x.shape[1] < min_groups:
        raise EIInputError(f"got {x.shape[1]} group column(s); expected at least {min_groups}")
    if t.shape[1] < min_candidates:
        raise EIInputError(
            f"got {t.shape[1]} candidate column(s); expected at least {min_candidates}"
        )
    _check_values(x, "group", gnames, units)
    _check_values(t, "candidate", cnames, units)
    raw_totals = x.sum(axis=1)
    totals = t.sum(axis=1)
    one_sided = (raw_totals > 0) != (totals > 0)
    if one_sided.any():
        unit = int(np.flatnonzero(one_sided)[0])
        empty, full = ("group", "candidate") if raw_totals[unit] == 0 else ("candidate", "group")
        raise EIInputError(
            f"the {empty} counts sum to 0 but the {full} counts sum to "
            f"{max(raw_totals[unit], totals[unit]):g}; expected both sides to count the same "
            "voters (totals may differ slightly)",
            unit=unit,
            unit_name=units[unit],
            column=(gnames if empty == "group" else cnames)[0],
        )
    if not (totals > 0).any():
        raise EIInputError("every unit is empty; expected some positive counts")
    scale = np.divide(totals, raw_totals, out=np.zeros_like(totals), where=raw_totals > 0)
    return EIData(
        groups=x * scale[:, None],
        candidates=t,
        totals=totals,
        raw_group_totals=raw_totals,
        unit_names=units,
        group_names=gnames,
        candidate_names=cnames,
    )
