"""Class breaks for choropleths: quantiles, equal intervals or fixed breaks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from circo.elections.errors import ElectionsError

METHODS = ("quantile", "equal", "fixed")


def breaks_for(
    values: Sequence[float],
    *,
    method: str = "quantile",
    classes: int = 5,
    fixed: Sequence[float] | None = None,
) -> list[float]:
    """Upper bounds of each class (the last one is the maximum); at most ``classes`` of them."""
    data = np.asarray([v for v in values if v is not None], dtype=float)
    if data.size == 0:
        return []
    if method == "fixed":
        if not fixed:
            raise ElectionsError(
                "classes fixes sans seuils ; attendu par ex. 0.2,0.4,0.6", loc="seuils"
            )
        bounds = sorted(float(b) for b in fixed)
        if bounds[-1] < data.max():
            bounds.append(float(data.max()))
        return bounds
    if method == "equal":
        edges = np.linspace(data.min(), data.max(), classes + 1)[1:]
    elif method == "quantile":
        edges = np.quantile(data, np.linspace(0, 1, classes + 1)[1:])
    else:
        raise ElectionsError(
            f"méthode « {method} » inconnue ; attendu " + ", ".join(METHODS), loc="méthode"
        )
    unique: list[float] = []
    for edge in edges:
        if not unique or edge > unique[-1]:
            unique.append(float(edge))
    return unique


def class_of(value: float | None, breaks: Sequence[float]) -> int | None:
    """Index of the class of ``value`` (None for a missing value)."""
    if value is None or not breaks:
        return None
    for index, bound in enumerate(breaks):
        if value <= bound:
            return index
    return len(breaks) - 1
