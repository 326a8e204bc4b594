"""Diagnostics of ecological-inference fits: tomography lines and residuals per unit."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from circo.analysis.errors import EIInputError

FloatArray = NDArray[np.float64]


def tomography_lines(group_fraction: ArrayLike, candidate_fraction: ArrayLike) -> FloatArray:
    """End points of each unit's tomography line inside the unit square (King 1997).

    For unit i, (β^b, β^w) with ``t_i = β^b x_i + β^w (1 − x_i)`` is a line; it is clipped
    to [0, 1]² (β^b between its Duncan–Davis bounds).

    Args:
        group_fraction: (n,) share x_i of the group; candidate_fraction: (n,) share t_i.

    Returns:
        (n, 2, 2): for each unit, [[β^b_low, β^w_at_low], [β^b_high, β^w_at_high]]; NaN for
        units where x_i is 0 or 1 (the line is vertical/horizontal: β^b or β^w unknown).
    """
    x = np.asarray(group_fraction, dtype=np.float64).reshape(-1)
    t = np.asarray(candidate_fraction, dtype=np.float64).reshape(-1)
    if x.shape != t.shape:
        raise EIInputError(f"got {x.shape[0]} group fractions and {t.shape[0]} candidate ones")
    out = np.full((x.shape[0], 2, 2), np.nan)
    ok = (x > 0) & (x < 1)
    xs, ts = x[ok], t[ok]
    low = np.clip((ts - (1 - xs)) / xs, 0.0, 1.0)
    high = np.clip(ts / xs, 0.0, 1.0)
    out[ok, 0, 0] = low
    out[ok, 0, 1] = np.clip((ts - low * xs) / (1 - xs), 0.0, 1.0)
    out[ok, 1, 0] = high
    out[ok, 1, 1] = np.clip((ts - high * xs) / (1 - xs), 0.0, 1.0)
    return out


def residuals(
    groups: ArrayLike, candidates: ArrayLike, global_shares: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Residuals of the candidate shares predicted from the global matrix, per unit.

    Args:
        groups: (n, R) group counts; candidates: (n, C) counts; global_shares: (R, C).

    Returns:
        (raw, standardised), both (n, C): observed share − ``x_i · P``, and the same divided
        by the binomial standard error ``sqrt(p̂(1 − p̂)/N_i)``. Large standardised
        residuals flag units that the "same behaviour everywhere" model fits badly.
    """
    x = np.asarray(groups, dtype=np.float64)
    t = np.asarray(candidates, dtype=np.float64)
    shares = np.asarray(global_shares, dtype=np.float64)
    totals = t.sum(axis=1, keepdims=True)
    group_totals = x.sum(axis=1, keepdims=True)
    fractions = np.divide(x, group_totals, out=np.zeros_like(x), where=group_totals > 0)
    predicted = fractions @ shares
    observed = np.divide(t, totals, out=np.zeros_like(t), where=totals > 0)
    raw = observed - predicted
    se = np.sqrt(np.clip(predicted * (1 - predicted), 1e-12, None) / np.maximum(totals, 1.0))
    return raw, raw / se
