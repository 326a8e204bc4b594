"""One-call entry point ``fit_ei`` and the JSON shape of the CLI contract."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from circo.analysis.ei._base import EIEstimator
from circo.analysis.ei.em import EMEstimator
from circo.analysis.ei.linear import GoodmanER
from circo.analysis.ei.lp import LPHom
from circo.analysis.ei.md import MultinomialDirichletEI
from circo.analysis.errors import EIInputError

METHODS = ("auto", "em", "md", "goodman", "lp")

#: ``auto`` uses the hierarchical model up to this many table cells × units
#: (n_units · R · C); beyond, the EM point estimate (seconds even for 70 000 bureaux).
AUTO_MD_MAX_CELLS = 30_000


def choose_method(n_units: int, n_groups: int, n_candidates: int) -> str:
    """The method ``auto`` picks: "md" (most accurate) while it runs in seconds, else "em"."""
    return "md" if n_units * n_groups * n_candidates <= AUTO_MD_MAX_CELLS else "em"


def make_estimator(method: str, *, random_state: int | None = None) -> EIEstimator:
    """A fresh estimator for a method name ("em", "md", "goodman", "lp")."""
    if method == "em":
        return EMEstimator(random_state=random_state)
    if method == "md":
        return MultinomialDirichletEI(random_state=random_state)
    if method == "goodman":
        return GoodmanER()
    if method == "lp":
        return LPHom(random_state=random_state)
    raise EIInputError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")


def fit_ei(
    X: ArrayLike,
    T: ArrayLike,
    *,
    method: str = "auto",
    group_names: Sequence[object] | None = None,
    candidate_names: Sequence[object] | None = None,
    unit_names: Sequence[object] | None = None,
    random_state: int | None = 0,
) -> EIEstimator:
    """Fit an R×C ecological-inference model and return the fitted estimator.

    Args:
        X: (n_units, R) counts per group; T: (n_units, C) counts per candidate. Unit totals
            may differ slightly: group counts are rescaled to the candidate totals.
        method: "auto" (see :func:`choose_method`), "em", "md", "goodman" or "lp".
        group_names, candidate_names, unit_names: labels (R,), (C,), (n_units,).
        random_state: seed for the sampler / bootstrap.

    Raises:
        EIInputError: bad counts or names (the message names the unit and column).
    """
    if method not in METHODS:
        raise EIInputError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    if method == "auto":
        shape_x, shape_t = np.shape(X), np.shape(T)
        if len(shape_x) != 2 or len(shape_t) != 2:
            raise EIInputError(
                f"X and T must be 2-D (n_units × columns); got shapes {shape_x} and {shape_t}"
            )
        method = choose_method(shape_x[0], shape_x[1], shape_t[1])
    estimator = make_estimator(method, random_state=random_state)
    return estimator.fit(
        X, T, unit_names=unit_names, group_names=group_names, candidate_names=candidate_names
    )


def round_to_sum_one(shares: np.ndarray, digits: int) -> list[float]:
    """Round shares that sum to 1 to ``digits`` decimals so that they still sum to 1.

    Largest-remainder rounding: rounding each share alone can leave the sum 1 ± 10^-digits.
    """
    values = np.asarray(shares, dtype=np.float64)
    total = float(values.sum())
    if not total > 0:  # no voters in this row: nothing to make sum to 1
        return [round(float(value), digits) for value in values]
    unit = 10**digits
    scaled = values * unit / total
    floors = np.floor(scaled)
    missing = round(float(unit - floors.sum()))
    order = np.argsort(-(scaled - floors), kind="stable")
    floors[order[: max(missing, 0)]] += 1
    return [round(float(value) / unit, digits) for value in floors]


def ei_result_to_json(est: EIEstimator, *, digits: int = 6) -> dict[str, Any]:
    """The CLI contract: ``{"method", "global", "intervals", "units", "seconds"}``.

    ``global`` maps group → candidate → share of the group's voters (each row sums to 1),
    ``intervals`` group → candidate → [low, high], ``units`` a list of
    ``{"unit": name, "table": {group: {candidate: count}}}``, ``seconds`` the fit time.
    """
    est._check_fitted()
    groups, candidates = est.group_names_, est.candidate_names_

    def counts(values: np.ndarray) -> dict[str, dict[str, float]]:
        return {
            g: {c: round(float(values[r, k]), digits) for k, c in enumerate(candidates)}
            for r, g in enumerate(groups)
        }

    shares = {
        g: dict(zip(candidates, round_to_sum_one(est.global_[r], digits), strict=True))
        for r, g in enumerate(groups)
    }

    intervals = {
        g: {
            c: [
                round(float(est.intervals_[r, k, 0]), digits),
                round(float(est.intervals_[r, k, 1]), digits),
            ]
            for k, c in enumerate(candidates)
        }
        for r, g in enumerate(groups)
    }
    units = [
        {"unit": name, "table": counts(est.unit_tables_[i])}
        for i, name in enumerate(est.unit_names_)
    ]
    return {
        "method": est.method,
        "global": shares,
        "intervals": intervals,
        "units": units,
        "seconds": round(float(est.seconds_), 4),
    }
