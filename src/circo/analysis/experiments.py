"""Field experiments with a control group: blocked randomisation, power, and the analysis.

Design: units (bureaux or turfs) are sorted on a blocking variable (e.g. past turnout) and cut
into blocks of consecutive units (pairs when half are treated); in each block the treated units
are drawn with a seeded generator, so the same seed gives the same assignment. A categorical
blocking variable makes one block per value.

Analysis: the outcome (turnout = voters / registered, or a candidate's share of voters) is
compared before and after the campaign, unit by unit (difference in differences: the change of
the treated minus the change of the controls); with blocks, the effect is the average of the
block effects weighted by block size. The 95 % interval uses the Neyman variance (within
blocks) or, when a block has a single unit in an arm (pairs), the spread of the block effects;
the p-value is a randomisation-inference one: the same estimator on arms re-drawn the way the
design drew them (within the same blocks), ``permutations`` times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from circo.analysis.errors import AnalysisError

FloatArray = NDArray[np.float64]
TREATMENT = "treatment"
CONTROL = "control"


class ExperimentError(AnalysisError):
    """Bad design or data for an experiment (the message names the unit or parameter)."""


def block_size_for(treated_share: float) -> int:
    """Smallest block (2–20 units) in which ``treated_share`` of the units is a whole number;
    10 when there is none (the share is then met on average)."""
    for size in range(2, 21):
        if abs(size * treated_share - round(size * treated_share)) < 1e-9:
            return size
    return 10


def make_blocks(
    units: Sequence[str], values: Sequence[object] | None, treated_share: float
) -> list[list[int]]:
    """Blocks of unit indices: one block (no blocking variable), one per value (text), or
    consecutive runs of the sorted numbers (a short last run joins the one before)."""
    count = len(units)
    if values is None:
        return [list(range(count))]
    numbers = []
    for value in values:
        try:
            numbers.append(float(str(value).replace(",", ".")))
        except ValueError:
            numbers = []
            break
    if not numbers:
        by_value: dict[str, list[int]] = {}
        for index, value in enumerate(values):
            by_value.setdefault(str(value), []).append(index)
        return [by_value[key] for key in sorted(by_value)]
    order = sorted(range(count), key=lambda i: (numbers[i], units[i]))
    size = block_size_for(treated_share)
    blocks = [order[start : start + size] for start in range(0, count, size)]
    if len(blocks) > 1 and len(blocks[-1]) < size:
        blocks[-2].extend(blocks.pop())
    return blocks


def draw_arms(
    blocks: list[list[int]], count: int, treated_share: float, rng: np.random.Generator
) -> NDArray[np.bool_]:
    """(count,) True for treated: in each block ``share × size`` units, the fraction drawn."""
    treated = np.zeros(count, dtype=bool)
    for block in blocks:
        wanted = treated_share * len(block)
        whole = int(np.floor(wanted))
        extra = 1 if rng.random() < wanted - whole else 0
        chosen = rng.permutation(len(block))[: whole + extra]
        treated[np.asarray(block)[chosen]] = True
    return treated


def assign(
    units: Sequence[str],
    *,
    treated_share: float,
    block_values: Sequence[object] | None = None,
    seed: int,
) -> list[tuple[str, str]]:
    """(unit, "treatment" | "control") for every unit, blocked on ``block_values``."""
    if not 0 < treated_share < 1:
        raise ExperimentError(f"part traitée {treated_share:g} ; attendu entre 0 et 1 (ex. 0.5)")
    if len(units) < 2:
        raise ExperimentError(f"{len(units)} unité(s) ; attendu au moins 2")
    if len(set(units)) != len(units):
        duplicate = next(unit for unit in units if list(units).count(unit) > 1)
        raise ExperimentError(f"unité « {duplicate} » en double")
    blocks = make_blocks(units, block_values, treated_share)
    treated = draw_arms(blocks, len(units), treated_share, np.random.default_rng(seed))
    return [
        (unit, TREATMENT if flag else CONTROL) for unit, flag in zip(units, treated, strict=True)
    ]


def minimum_detectable_effect(
    outcome: FloatArray,
    treated_share: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
) -> float:
    """Smallest true effect (outcome units) the design detects with ``power`` at ``alpha``.

    The outcome's spread between units stands for the noise of the comparison:
    MDE = (z₁₋α/₂ + z_power) · σ · √(1/(n·p) + 1/(n·(1−p))). This is an upper bound: the
    difference in differences and the blocks remove much of that spread (the simulation
    study in docs/benchmarks.md gives the interval actually reached on real bureaux).
    """
    sigma = float(np.std(outcome, ddof=1))
    n = len(outcome)
    factor = float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))
    return factor * sigma * float(np.sqrt(1 / (n * treated_share) + 1 / (n * (1 - treated_share))))


@dataclass(frozen=True)
class EffectEstimate:
    effect: float
    low: float
    high: float
    p_value: float
    std_error: float
    n_treated: int
    n_control: int


def _block_effects(
    change: FloatArray, treated: NDArray[np.bool_], blocks: list[list[int]]
) -> tuple[FloatArray, FloatArray]:
    """(block effects, block weights) over the blocks that have both arms."""
    effects, weights = [], []
    for block in blocks:
        index = np.asarray(block)
        arm = treated[index]
        if arm.all() or not arm.any():
            continue
        effects.append(change[index][arm].mean() - change[index][~arm].mean())
        weights.append(len(block))
    weight = np.asarray(weights, dtype=float)
    return np.asarray(effects), weight / max(weight.sum(), 1e-300)


def blocked_estimate(
    change: FloatArray, treated: NDArray[np.bool_], blocks: list[list[int]]
) -> float:
    effects, weights = _block_effects(change, treated, blocks)
    return float(np.dot(effects, weights)) if effects.size else float("nan")


def _membership(blocks: list[list[int]], count: int) -> FloatArray:
    """(count, B) one-hot block membership."""
    matrix = np.zeros((count, len(blocks)))
    for column, block in enumerate(blocks):
        matrix[block, column] = 1.0
    return matrix


def estimates_for_draws(
    change: FloatArray, treated: NDArray[np.bool_], membership: FloatArray
) -> FloatArray:
    """(P,) blocked estimates for P assignments ``treated`` (P, n) at once."""
    arms = treated.astype(float)
    size = membership.sum(axis=0)
    n_treated = arms @ membership
    sum_treated = (arms * change) @ membership
    total = change @ membership
    n_control = size - n_treated
    valid = (n_treated > 0) & (n_control > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        effect = sum_treated / n_treated - (total - sum_treated) / n_control
    weights = np.where(valid, size, 0.0)
    weights = weights / np.maximum(weights.sum(axis=1, keepdims=True), 1e-300)
    return np.asarray(np.where(valid, effect, 0.0) * weights).sum(axis=1)


def redraw_within_blocks(
    treated: NDArray[np.bool_], blocks: list[list[int]], draws: int, rng: np.random.Generator
) -> NDArray[np.bool_]:
    """(draws, n) re-drawn arms: each block keeps its number of treated units."""
    count = treated.size
    block_of = np.empty(count, dtype=np.int64)
    for number, block in enumerate(blocks):
        block_of[block] = number
    keys = rng.random((draws, count)) + block_of[None, :]  # sort within blocks only
    order = np.argsort(keys, axis=1)
    sorted_block = block_of[order]
    starts = np.searchsorted(block_of[np.argsort(block_of, kind="stable")], np.arange(len(blocks)))
    rank = np.arange(count)[None, :] - starts[sorted_block]
    wanted = np.array([int(treated[block].sum()) for block in blocks])
    out = np.zeros((draws, count), dtype=bool)
    np.put_along_axis(out, order, rank < wanted[sorted_block], axis=1)
    return out


def _std_error(change: FloatArray, treated: NDArray[np.bool_], blocks: list[list[int]]) -> float:
    effects, weights = _block_effects(change, treated, blocks)
    variances = []
    singleton = False
    for block in blocks:
        index = np.asarray(block)
        arm = treated[index]
        if arm.all() or not arm.any():
            continue
        if arm.sum() < 2 or (~arm).sum() < 2:
            singleton = True
            break
        t, c = change[index][arm], change[index][~arm]
        variances.append(t.var(ddof=1) / t.size + c.var(ddof=1) / c.size)
    if not singleton:
        return float(np.sqrt(np.dot(weights**2, variances)))
    if effects.size < 2:
        return float("nan")
    # pairs: the spread of the block effects around their weighted mean
    centre = float(np.dot(effects, weights))
    spread = np.dot(weights, (effects - centre) ** 2) * effects.size / (effects.size - 1)
    return float(np.sqrt(spread * np.dot(weights, weights)))


def analyse(
    change: FloatArray,
    treated: NDArray[np.bool_],
    blocks: list[list[int]],
    *,
    permutations: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> EffectEstimate:
    """Difference in differences (``change`` = after − before per unit), blocked estimator,
    normal interval from the design-based variance, randomisation-inference p-value."""
    if treated.all() or not treated.any():
        raise ExperimentError("il faut des unités traitées et des unités témoins")
    effect = blocked_estimate(change, treated, blocks)
    if not np.isfinite(effect):
        raise ExperimentError("aucun bloc n'a d'unité traitée et d'unité témoin")
    std_error = _std_error(change, treated, blocks)
    z = float(stats.norm.ppf(0.5 + level / 2))
    rng = np.random.default_rng(seed)
    membership = _membership(blocks, change.size)
    extreme = 0
    for start in range(0, permutations, 500):
        draws = redraw_within_blocks(treated, blocks, min(500, permutations - start), rng)
        extreme += int(
            (np.abs(estimates_for_draws(change, draws, membership)) >= abs(effect) - 1e-12).sum()
        )
    return EffectEstimate(
        effect=effect,
        low=effect - z * std_error,
        high=effect + z * std_error,
        p_value=(1 + extreme) / (1 + permutations),
        std_error=std_error,
        n_treated=int(treated.sum()),
        n_control=int((~treated).sum()),
    )
