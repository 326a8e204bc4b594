"""Second-round scenarios: the legal rules of qualification (as data) and a Monte Carlo run-off.

Rules (Code électoral), one :class:`BallotRules` per kind of ballot:

- **législatives** — L126: elected in round 1 with the absolute majority of expressed votes
  *and* votes ≥ 25 % of registered voters; L162: may stand in round 2 whoever got votes ≥
  12.5 % of registered voters; if only one does, the runner-up may too; if none does, the
  two first may. Round 2: relative majority (L126), three- and four-way run-offs possible.
- **municipales, communes of 1 000 inhabitants and more** (list ballot) — L262: a list with
  the absolute majority of expressed votes wins in round 1 (no registered-voters condition);
  L264: lists with ≥ 10 % of expressed votes may stand in round 2, lists with ≥ 5 % may merge
  into one of them; if only one list reaches 10 %, the runner-up may stand; if none does, the
  two first may.

The Monte Carlo run-off draws a transfer matrix from its intervals, sends each round-1 option's
voters to the candidates still standing (withdrawn ones' shares are spread over the others in
proportion, and abstention), moves a turnout change between abstention and votes, and counts
who wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from circo.analysis.errors import AnalysisError

FloatArray = NDArray[np.float64]


class ScenarioError(AnalysisError):
    """A scenario cannot be computed (unknown candidate, bad share, no candidate left…)."""


@dataclass(frozen=True)
class BallotRules:
    """The thresholds of one kind of ballot, with the articles they come from."""

    name: str
    #: round 1: absolute majority of expressed votes, and at least this share of registered
    win_min_registered: float
    win_articles: str
    #: round 2: may stand with votes ≥ this share of ``qualify_base`` ("registered"/"expressed")
    qualify_share: float
    qualify_base: str
    #: lists with ≥ this share of expressed votes may merge into a qualified one (0: none)
    merge_share: float
    qualify_articles: str


LEGISLATIVES = BallotRules(
    name="législatives",
    win_min_registered=0.25,
    win_articles="L126",
    qualify_share=0.125,
    qualify_base="registered",
    merge_share=0.0,
    qualify_articles="L162",
)
MUNICIPALES = BallotRules(
    name="municipales (1 000 habitants et plus)",
    win_min_registered=0.0,
    win_articles="L262",
    qualify_share=0.10,
    qualify_base="expressed",
    merge_share=0.05,
    qualify_articles="L264",
)
RULES = {"legislatives": LEGISLATIVES, "municipales": MUNICIPALES}


@dataclass(frozen=True)
class Qualification:
    """Outcome of round 1 in one constituency, names in decreasing order of votes."""

    elected_first_round: str | None
    qualified: list[str]
    may_merge: list[str]
    reason: str


def qualify(
    votes: dict[str, float], *, registered: float, rules: BallotRules = LEGISLATIVES
) -> Qualification:
    """Apply the round-1 rules to one constituency.

    Args:
        votes: candidate (or list) → votes (expressed votes are their sum).
        registered: registered voters of the constituency.
        rules: :data:`LEGISLATIVES` or :data:`MUNICIPALES`.
    """
    if registered <= 0:
        raise ScenarioError(f"inscrits = {registered:g} ; attendu un nombre > 0")
    if any(value < 0 for value in votes.values()):
        raise ScenarioError("voix négatives ; attendu des nombres ≥ 0")
    ranked = sorted(votes, key=lambda name: (-votes[name], name))
    expressed = float(sum(votes.values()))
    if not ranked or expressed <= 0:
        return Qualification(None, [], [], "aucun suffrage exprimé")
    top = ranked[0]
    if votes[top] > expressed / 2 and votes[top] >= rules.win_min_registered * registered:
        return Qualification(top, [], [], f"majorité absolue des exprimés ({rules.win_articles})")
    base = registered if rules.qualify_base == "registered" else expressed
    qualified = [name for name in ranked if votes[name] >= rules.qualify_share * base]
    if len(qualified) == 1:
        qualified = ranked[:2]
        reason = (
            f"un seul au-dessus du seuil : le suivant peut se maintenir ({rules.qualify_articles})"
        )
    elif not qualified:
        qualified = ranked[:2]
        reason = f"aucun au-dessus du seuil : les deux premiers ({rules.qualify_articles})"
    else:
        threshold = f"{100 * rules.qualify_share:g}".replace(".", ",")
        base_name = "des inscrits" if rules.qualify_base == "registered" else "des exprimés"
        reason = f"seuil de {threshold} % {base_name} ({rules.qualify_articles})"
    merge = [
        name
        for name in ranked
        if name not in qualified
        and rules.merge_share > 0
        and votes[name] >= rules.merge_share * expressed
    ]
    return Qualification(None, qualified, merge, reason)


@dataclass(frozen=True)
class RunoffResult:
    """Monte Carlo outcome of one constituency's round 2."""

    candidates: list[str]
    win_probability: dict[str, float]
    mean_share: dict[str, float]  # share of expressed votes, mean over draws
    low_share: dict[str, float]  # 5th percentile
    high_share: dict[str, float]  # 95th percentile
    draws: int


def draw_transfer_matrices(
    shares: FloatArray, intervals: FloatArray, draws: int, rng: np.random.Generator
) -> FloatArray:
    """(draws, R, C) row-stochastic matrices around ``shares`` with the spread of ``intervals``.

    Each row is a Dirichlet draw whose concentration makes the widest cell's 95 % interval as
    wide as given (a normal approximation of the Beta margin: half-width ≈ 1.96·sd).
    """
    n_rows = shares.shape[0]
    out = np.empty((draws, *shares.shape))
    for row in range(n_rows):
        mean = np.maximum(shares[row], 1e-9)
        mean = mean / mean.sum()
        half = np.maximum((intervals[row, :, 1] - intervals[row, :, 0]) / 2, 1e-4)
        widest = int(np.argmax(half))
        p = mean[widest]
        sd = half[widest] / 1.96
        concentration = max(p * (1 - p) / max(sd**2, 1e-12) - 1, 2.0)
        out[:, row, :] = rng.dirichlet(mean * concentration, size=draws)
    return out


def simulate_runoff(
    first_round: dict[str, float],
    *,
    standing: Sequence[str],
    shares: FloatArray,
    intervals: FloatArray,
    row_names: Sequence[str],
    column_names: Sequence[str],
    abstention: str = "Abstention",
    turnout_change: float = 0.0,
    draws: int = 2000,
    seed: int = 0,
) -> RunoffResult:
    """Simulate round 2 of one constituency.

    Args:
        first_round: option → round-1 count (candidates, and blank/null/abstention options
            named as the transfer rows are).
        standing: candidates in round 2 (qualified minus withdrawals); each must be a column.
        shares, intervals: (R, C) transfer matrix and (R, C, 2) its intervals; rows
            ``row_names`` (round-1 options), columns ``column_names`` (round-2 options).
        turnout_change: share of registered voters moving from abstention to voting (> 0) or
            back (< 0), spread over candidates in proportion to their votes.
    """
    missing = [name for name in standing if name not in column_names]
    if missing:
        raise ScenarioError(
            f"candidat(s) absent(s) des colonnes des reports : {', '.join(missing)}"
        )
    if len(standing) < 1:
        raise ScenarioError("aucun candidat au second tour")
    rows = [name for name in first_round if name in row_names]
    if not rows:
        raise ScenarioError("aucune option du premier tour ne correspond aux lignes des reports")
    row_index = [list(row_names).index(name) for name in rows]
    counts = np.array([first_round[name] for name in rows], dtype=float)
    registered = float(counts.sum())
    keep = [list(column_names).index(name) for name in standing]
    abstention_column = list(column_names).index(abstention) if abstention in column_names else None
    rng = np.random.default_rng(seed)
    matrices = draw_transfer_matrices(shares[row_index], intervals[row_index], draws, rng)
    columns = keep + ([abstention_column] if abstention_column is not None else [])
    restricted = matrices[:, :, columns]
    restricted /= np.maximum(restricted.sum(axis=2, keepdims=True), 1e-300)
    totals = np.einsum("r,drc->dc", counts, restricted)  # (draws, standing [+ abstention])
    votes = totals[:, : len(keep)]
    if turnout_change and registered > 0:
        moved = turnout_change * registered
        proportion = votes / np.maximum(votes.sum(axis=1, keepdims=True), 1e-300)
        votes = np.maximum(votes + moved * proportion, 0.0)
    share = votes / np.maximum(votes.sum(axis=1, keepdims=True), 1e-300)
    winners = np.argmax(votes, axis=1)
    names = list(standing)
    return RunoffResult(
        candidates=names,
        win_probability={
            name: float(np.mean(winners == index)) for index, name in enumerate(names)
        },
        mean_share={name: float(share[:, index].mean()) for index, name in enumerate(names)},
        low_share={
            name: float(np.percentile(share[:, index], 5)) for index, name in enumerate(names)
        },
        high_share={
            name: float(np.percentile(share[:, index], 95)) for index, name in enumerate(names)
        },
        draws=draws,
    )


def seat_distribution(
    win_probabilities: Sequence[dict[str, float]], party_of: dict[str, str]
) -> dict[str, dict[str, float]]:
    """Seats by party: expected number and 5–95 % range, from independent constituencies.

    Args:
        win_probabilities: per constituency, candidate → probability of winning.
        party_of: candidate → party (nuance).

    Returns:
        party → {"expected", "low", "high"} (exact convolution of independent Bernoullis).
    """
    parties = sorted({party_of.get(name, name) for probs in win_probabilities for name in probs})
    out: dict[str, dict[str, float]] = {}
    for party in parties:
        distribution = np.array([1.0])
        for probs in win_probabilities:
            p = sum(value for name, value in probs.items() if party_of.get(name, name) == party)
            distribution = np.convolve(distribution, [1 - p, p])
        cumulative = np.cumsum(distribution)
        out[party] = {
            "expected": float(np.dot(np.arange(distribution.size), distribution)),
            "low": float(np.searchsorted(cumulative, 0.05)),
            "high": float(np.searchsorted(cumulative, 0.95)),
        }
    return out
