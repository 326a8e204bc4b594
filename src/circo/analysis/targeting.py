"""Explained targeting scores per polling station (bureau de vote).

For a chosen candidate, each bureau gets:

- **mobilisation potential**: abstainers likely favourable = abstentions × p(favourable |
  abstainer). p comes from an estimated transfer/group matrix row for abstention when given
  (per bureau or global), else from the candidate's share of valid votes in the bureau
  (assumption: abstainers lean like voters of their bureau);
- **persuasion potential**: voters of close options = Σ_k votes_k × proximity_k, with
  ``proximity`` (C,) the share of each option's voters reachable (e.g. a transfer-matrix row
  toward the candidate); 0 when not given;
- **expected votes gained per 100 doors** = 100 × voters_per_door × contact_rate ×
  (mobilisation rate × mobilisation_effect + persuasion rate × persuasion_effect), rates
  per registered voter. The effects are assumptions (field-experiment orders of magnitude),
  configurable in :class:`TargetingParams`.

The combined score is a weighted sum of the three, each scaled to [0, 1] by its maximum over
the bureaux. Each bureau also gets reason codes and a French sentence explaining its score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from circo.analysis.errors import EIInputError

FloatArray = NDArray[np.float64]

HIGH_ABSTENTION = "HIGH_ABSTENTION"
FAVOURABLE = "FAVOURABLE"
HIGH_ABSTENTION_FAVOURABLE = "HIGH_ABSTENTION_FAVOURABLE"
PERSUADABLE = "PERSUADABLE"
STRONGHOLD = "STRONGHOLD"
UNFAVOURABLE = "UNFAVOURABLE"
LOW_POTENTIAL = "LOW_POTENTIAL"


@dataclass(frozen=True)
class TargetingWeights:
    """Weights of the three components in the combined score (any non-negative numbers)."""

    mobilisation: float = 0.5
    persuasion: float = 0.3
    doors: float = 0.2


@dataclass(frozen=True)
class TargetingParams:
    """Assumptions of the expected-gain model (all configurable)."""

    voters_per_door: float = 1.4
    contact_rate: float = 0.45
    mobilisation_effect: float = 0.07
    persuasion_effect: float = 0.03
    #: a bureau has "high" abstention / is "favourable" when it is in the upper part of the
    #: territory's own distribution: at or above this quantile of the bureaux (2/3: the upper
    #: third), never by a fixed national threshold
    upper_quantile: float = 2 / 3
    weights: TargetingWeights = field(default_factory=TargetingWeights)


@dataclass(frozen=True)
class TargetingResult:
    """Scores per bureau, arrays of shape (n_units,) unless stated.

    ``reason_codes`` is a list (per bureau) of code lists; ``reasons`` French sentences.
    ``order`` ranks bureaux by decreasing ``score``.
    """

    mobilisation: FloatArray
    persuasion: FloatArray
    votes_per_100_doors: FloatArray
    score: FloatArray
    support_share: FloatArray
    abstention_rate: FloatArray
    reason_codes: list[list[str]]
    reasons: list[str]
    order: NDArray[np.int64]
    abstention_threshold: float = 0.0
    support_threshold: float = 0.0


def _pct(value: float) -> str:
    return f"{100 * value:.0f} %"


def _vector(values: ArrayLike, n_units: int, what: str) -> FloatArray:
    array = np.asarray(values, dtype=np.float64).reshape(-1)
    if array.shape[0] != n_units:
        raise EIInputError(f"{what} has {array.shape[0]} values for {n_units} bureaux")
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        unit = int(np.flatnonzero(bad)[0])
        raise EIInputError(
            f"{what} is {array[unit]!r}; expected a count ≥ 0", unit=unit, column=what
        )
    return array


def _abstainer_favour(abstainer_support: ArrayLike | None, support: FloatArray) -> FloatArray:
    if abstainer_support is None:
        return support
    given = np.asarray(abstainer_support, dtype=np.float64)
    return np.broadcast_to(given, support.shape).astype(np.float64)


def _scaled(values: FloatArray) -> FloatArray:
    top = float(values.max()) if values.size else 0.0
    return values / top if top > 0 else np.zeros_like(values)


def score_polling_stations(
    registered: ArrayLike,
    abstentions: ArrayLike,
    votes: ArrayLike,
    *,
    candidate: int,
    candidate_names: Sequence[str] | None = None,
    abstainer_support: ArrayLike | None = None,
    proximity: ArrayLike | None = None,
    params: TargetingParams | None = None,
) -> TargetingResult:
    """Score bureaux for door-to-door work for one candidate.

    Args:
        registered: (n,) registered voters; abstentions: (n,) abstainers.
        votes: (n, C) votes per candidate (valid votes).
        candidate: column index of the candidate of interest.
        candidate_names: optional (C,) names (used in reasons).
        abstainer_support: optional scalar or (n,) share of abstainers who would vote for the
            candidate (e.g. the abstention→candidate cell of an estimated transfer matrix).
        proximity: optional (C,) share of each option's voters reachable by the candidate
            (e.g. a transfer matrix column toward the candidate); the candidate's own entry is
            ignored.
        params: assumptions and weights (:class:`TargetingParams`).
    """
    settings = params or TargetingParams()
    counts = np.asarray(votes, dtype=np.float64)
    if counts.ndim != 2:
        raise EIInputError(f"votes must be (n_bureaux, n_candidates); got shape {counts.shape}")
    n_units, n_cands = counts.shape
    if not 0 <= candidate < n_cands:
        raise EIInputError(f"candidate index {candidate} out of range 0–{n_cands - 1}")
    reg = _vector(registered, n_units, "registered")
    abst = _vector(abstentions, n_units, "abstentions")
    valid = counts.sum(axis=1)
    support = np.divide(counts[:, candidate], valid, out=np.zeros(n_units), where=valid > 0)
    abst_rate = np.divide(abst, reg, out=np.zeros(n_units), where=reg > 0)
    favour = _abstainer_favour(abstainer_support, support)
    mobilisation = abst * favour
    near = np.zeros(n_cands) if proximity is None else np.asarray(proximity, dtype=np.float64)
    near = near.copy()
    near[candidate] = 0.0
    persuasion = counts @ near
    mob_rate = np.divide(mobilisation, reg, out=np.zeros(n_units), where=reg > 0)
    pers_rate = np.divide(persuasion, reg, out=np.zeros(n_units), where=reg > 0)
    gain = (
        100
        * settings.voters_per_door
        * settings.contact_rate
        * (mob_rate * settings.mobilisation_effect + pers_rate * settings.persuasion_effect)
    )
    weights = settings.weights
    score = (
        weights.mobilisation * _scaled(mobilisation)
        + weights.persuasion * _scaled(persuasion)
        + weights.doors * _scaled(gain)
    )
    names = list(candidate_names) if candidate_names is not None else None
    high_abstention = upper_part(abst_rate, reg > 0, settings.upper_quantile)
    favourable = upper_part(support, valid > 0, settings.upper_quantile)
    codes, sentences = _reasons(
        abst_rate, support, high_abstention, favourable, pers_rate, gain, names, candidate
    )
    return TargetingResult(
        mobilisation=mobilisation,
        persuasion=persuasion,
        votes_per_100_doors=gain,
        score=score,
        support_share=support,
        abstention_rate=abst_rate,
        reason_codes=codes,
        reasons=sentences,
        order=np.argsort(-score, kind="stable"),
        abstention_threshold=_threshold(abst_rate, reg > 0, settings.upper_quantile),
        support_threshold=_threshold(support, valid > 0, settings.upper_quantile),
    )


def _threshold(values: FloatArray, present: NDArray[np.bool_], quantile: float) -> float:
    """The territory's own ``quantile`` of ``values`` over the bureaux that have voters."""
    if not present.any():
        return float("inf")
    return float(np.quantile(values[present], quantile, method="lower"))


def upper_part(
    values: FloatArray, present: NDArray[np.bool_], quantile: float
) -> NDArray[np.bool_]:
    """(n,) bureaux in the upper part of the territory's distribution of ``values``.

    A bureau is in it when its value reaches the territory's ``quantile`` (over the bureaux
    with voters) and is above the territory's lowest value — so a flat territory flags none,
    and about ``1 − quantile`` of the bureaux are flagged, whatever the national level.
    """
    if not present.any():
        return np.zeros(values.shape, dtype=bool)
    threshold = _threshold(values, present, quantile)
    lowest = float(values[present].min())
    return np.asarray(present & (values >= threshold) & (values > lowest), dtype=bool)


def _reasons(
    abst_rate: FloatArray,
    support: FloatArray,
    high_abstention: NDArray[np.bool_],
    favourable: NDArray[np.bool_],
    pers_rate: FloatArray,
    gain: FloatArray,
    names: list[str] | None,
    candidate: int,
) -> tuple[list[list[str]], list[str]]:
    """Reason codes and sentences; "forte abstention" and "favorable" are relative to the
    territory (upper part of its own bureaux), see :func:`upper_part`."""
    who = names[candidate] if names else "le candidat"
    codes: list[list[str]] = []
    sentences: list[str] = []
    for i in range(abst_rate.shape[0]):
        unit_codes: list[str] = []
        parts: list[str] = []
        high = bool(high_abstention[i])
        good = bool(favourable[i])
        if high and good:
            unit_codes.append(HIGH_ABSTENTION_FAVOURABLE)
            parts.append(
                f"Forte abstention ({_pct(abst_rate[i])}, tiers supérieur du territoire) "
                f"dans un bureau favorable "
                f"({who} à {_pct(support[i])})"
            )
        elif high:
            unit_codes.append(HIGH_ABSTENTION)
            parts.append(
                f"Forte abstention ({_pct(abst_rate[i])}, tiers supérieur du territoire) "
                f"mais peu favorable "
                f"({who} à {_pct(support[i])})"
            )
        elif good:
            unit_codes.append(STRONGHOLD)
            parts.append(
                f"Bureau favorable ({who} à {_pct(support[i])}), abstention {_pct(abst_rate[i])}"
            )
        else:
            unit_codes.append(UNFAVOURABLE)
            parts.append(f"Bureau peu favorable ({who} à {_pct(support[i])})")
        if pers_rate[i] >= 0.10:
            unit_codes.append(PERSUADABLE)
            parts.append(f"{_pct(pers_rate[i])} des inscrits votent pour des options proches")
        if gain[i] < 0.5:
            unit_codes.append(LOW_POTENTIAL)
        parts.append(f"gain attendu {gain[i]:.1f} voix pour 100 portes")
        codes.append(unit_codes)
        sentences.append("; ".join(parts) + ".")
    return codes, sentences
