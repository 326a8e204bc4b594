"""One-call entry point ``fit_ei`` and the JSON shape of the CLI contract."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from circo.analysis.ei._base import EIEstimator
from circo.analysis.ei.auto import AutoEI
from circo.analysis.ei.em import EMEstimator
from circo.analysis.ei.linear import GoodmanER
from circo.analysis.ei.lp import LPHom
from circo.analysis.ei.md import MultinomialDirichletEI
from circo.analysis.errors import EIInputError

METHODS = ("auto", "em", "md", "goodman", "lp")


def make_estimator(method: str, *, random_state: int | None = None) -> EIEstimator:
    """A fresh estimator for a method name ("auto", "em", "md", "goodman", "lp")."""
    if method == "auto":
        return AutoEI(random_state=random_state)
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
        method: "auto" (:class:`~circo.analysis.ei.auto.AutoEI`: lphom averaged with the
            sampler, or with EM when the sampler cannot finish within its time budget — within
            10 s), "em", "md", "goodman" or "lp".
        group_names, candidate_names, unit_names: labels (R,), (C,), (n_units,).
        random_state: seed for the sampler / bootstrap.

    Raises:
        EIInputError: bad counts or names (the message names the unit and column).
    """
    if method not in METHODS:
        raise EIInputError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
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


def finite_json(payload: Any) -> Any:
    """``payload`` with every NaN or infinite float replaced by ``None`` (recursively), so
    that ``json.dumps(..., allow_nan=False)`` never fails: strict JSON, never ``NaN``."""
    if isinstance(payload, float):
        return payload if math.isfinite(payload) else None
    if isinstance(payload, np.floating):
        return float(payload) if np.isfinite(payload) else None
    if isinstance(payload, dict):
        return {key: finite_json(value) for key, value in payload.items()}
    if isinstance(payload, list | tuple):
        return [finite_json(value) for value in payload]
    return payload


def convergence_problems(est: EIEstimator) -> list[dict[str, Any]]:
    """Why a fit should not be trusted: ``[{"kind", "value", "limit", "message"}]``.

    "rhat": a sampler's largest R̂ ≥ its target; "em": EM stopped before converging;
    "intervals": the intervals are not intervals but the point estimate (a bootstrap skipped
    for lack of time, or a method fitted without one, e.g. lphom) — never silent.
    Empty for a converged fit with real intervals.
    """
    problems: list[dict[str, Any]] = []
    rhat = getattr(est, "rhat_", None)
    if rhat is not None and np.isfinite(np.asarray(rhat, dtype=float)).any():
        worst = float(np.nanmax(np.asarray(rhat, dtype=float)))
        limit = float(getattr(est, "target_rhat", 1.05))
        if worst >= max(limit, 1.1):
            problems.append(
                {
                    "kind": "rhat",
                    "value": worst,
                    "limit": max(limit, 1.1),
                    "message": f"sampler not converged: max R̂ {worst:.2f}; do not trust it",
                }
            )
    if getattr(est, "converged_", True) is False:
        iterations = float(getattr(est, "n_iter_", 0))
        problems.append(
            {
                "kind": "em",
                "value": iterations,
                "limit": iterations,
                "message": f"EM not converged after {iterations:.0f} iterations",
            }
        )
    note = str(getattr(est, "interval_note_", "") or "")
    intervals = np.asarray(getattr(est, "intervals_", np.zeros((0, 0, 2))), dtype=float)
    zero_width = intervals.size > 0 and bool(
        np.all(np.abs(intervals[..., 1] - intervals[..., 0]) < 1e-12)
    )
    if note or zero_width:
        problems.append(
            {
                "kind": "intervals",
                "value": 0.0,
                "limit": 0.0,
                "message": note or "intervals are point estimates (no bootstrap)",
            }
        )
    return problems
