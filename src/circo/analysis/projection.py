"""Results-night projection: the final shares of a territory from the bureaux counted so far.

Bureaux do not report at random (small rural ones first), so the running total of the counted
bureaux is biased. `NightProjection` learns, on the counted bureaux, how each candidate's share
of expressed votes relates to the bureau's result in a **reference election** (any earlier
election sharing the bureau codes), and applies that relation to the bureaux not counted yet.

Model (stated by `ASSUMPTIONS`):

* share of candidate c in bureau i = a_c + Σ_k b_ck · reference share of k in i
  + d_c · reference rate of expressed votes over registered in i + error, fitted by weighted
  ridge regression (weights: registered voters; the intercept is not penalised), all
  candidates at once;
* expressed votes over registered follow the same kind of linear relation, so an uncounted
  bureau is expected to bring ``registered × predicted rate`` expressed votes;
* predicted shares are clipped at 0 and rescaled to sum to 1 in each bureau; the final total
  is the counted votes plus the predicted votes of the uncounted bureaux.

Interval (90 % by default): normal, with a standard deviation combining (1) a bootstrap of the
counted bureaux (resampled with replacement, model refitted, plus for each uncounted bureau
the residual of a counted bureau drawn at random) and (2) the **size drift**: the model fitted
on the smaller half of the counted bureaux predicts the larger half, and its error, scaled by
the share of the expressed votes still to come, stands for the bias of extrapolating from
small bureaux to bigger ones (reporting is not random). A change of behaviour that does not
show within the counted bureaux is not covered.

Pure numpy, scikit-learn's contract: settings in ``__init__``, ``fit`` returns ``self``, fitted
values end with ``_``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from circo.analysis.errors import AnalysisError, NotFittedError

FloatArray = NDArray[np.float64]

ASSUMPTIONS = (
    "les bureaux pas encore dépouillés suivent, par rapport à l'élection de référence, la même "
    "relation que les bureaux déjà dépouillés (régression pondérée par les inscrits des parts "
    "de chaque candidat sur les parts de la référence et sa participation)",
    "un bureau non dépouillé compte autant d'inscrits que dans l'élection de référence",
    "l'intervalle à 90 % combine un bootstrap des bureaux dépouillés et l'écart observé entre "
    "petits et grands bureaux dépouillés ; il ne couvre pas un changement de comportement "
    "propre aux bureaux restants",
)


@dataclass(frozen=True)
class ProjectionResult:
    """Projected shares of expressed votes over the territory, in the candidates' order."""

    shares: FloatArray  # (C,)
    low: FloatArray  # (C,) lower bound of the interval
    high: FloatArray  # (C,) upper bound
    naive: FloatArray  # (C,) running total of the counted bureaux
    expected_valid: float  # expressed votes of the whole territory (counted + predicted)


def _normal_quantile(probability: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(probability)


def _design(reference_shares: FloatArray, reference_rate: FloatArray) -> FloatArray:
    ones = np.ones((reference_shares.shape[0], 1))
    return np.hstack([ones, reference_shares, reference_rate[:, None]])


def _ridge(
    design: FloatArray, targets: FloatArray, weights: FloatArray, alpha: float
) -> FloatArray:
    """Weighted ridge coefficients (P, T) of ``targets`` (N, T) on ``design`` (N, P)."""
    scale = weights / weights.mean()
    weighted = design * scale[:, None]
    gram = design.T @ weighted
    penalty = alpha * np.eye(design.shape[1])
    penalty[0, 0] = 0.0  # no shrinkage of the intercept
    gram += penalty
    return np.linalg.solve(gram + 1e-9 * np.eye(design.shape[1]), weighted.T @ targets)


def _normalised(shares: FloatArray) -> FloatArray:
    clipped = np.clip(shares, 0.0, None)
    totals = clipped.sum(axis=1, keepdims=True)
    totals[totals == 0] = 1.0
    return clipped / totals


class NightProjection:
    """Project final shares from counted bureaux and a reference election.

    Parameters: ``alpha`` ridge penalty (relative to the number of counted bureaux, weights
    normalised to mean 1), ``n_boot`` bootstrap replicates, ``level`` of the interval,
    ``random_state`` for reproducibility.
    """

    def __init__(
        self,
        *,
        alpha: float = 0.00001,
        n_boot: int = 200,
        level: float = 0.9,
        random_state: int | None = 0,
    ) -> None:
        self.alpha = alpha
        self.n_boot = n_boot
        self.level = level
        self.random_state = random_state

    def fit(
        self,
        *,
        reference_shares: FloatArray,
        reference_rate: FloatArray,
        registered: FloatArray,
        votes: FloatArray,
        unmatched_votes: FloatArray | None = None,
    ) -> NightProjection:
        """Learn the relation on the counted bureaux.

        ``reference_shares`` (n, K): shares of the K reference candidates of expressed votes;
        ``reference_rate`` (n,): reference expressed votes / registered; ``registered`` (n,):
        registered voters tonight; ``votes`` (n, C): votes of the C candidates tonight;
        ``unmatched_votes`` (C,): votes of counted bureaux absent from the reference (added
        to the total, not used to learn)."""
        votes = np.asarray(votes, dtype=float)
        registered = np.asarray(registered, dtype=float)
        n = votes.shape[0]
        if n == 0:
            raise AnalysisError("aucun bureau dépouillé à comparer avec la référence")
        if reference_shares.shape[0] != n or reference_rate.shape[0] != n:
            raise AnalysisError("références et bureaux dépouillés de tailles différentes")
        valid = votes.sum(axis=1)
        usable = (valid > 0) & (registered > 0)
        self.design_ = _design(reference_shares[usable], reference_rate[usable])
        self.shares_ = votes[usable] / valid[usable, None]
        self.rate_ = np.clip(valid[usable] / registered[usable], 0.0, 1.0)
        self.weights_ = registered[usable]
        self.counted_votes_ = votes.sum(axis=0)
        if unmatched_votes is not None:
            self.counted_votes_ = self.counted_votes_ + np.asarray(unmatched_votes, dtype=float)
        if not usable.any():
            raise AnalysisError("aucun bureau dépouillé avec des suffrages exprimés")
        self.coef_, self.rate_coef_ = self._fit_arrays(
            self.design_, self.shares_, self.rate_, self.weights_
        )
        fitted = _normalised(self.design_ @ self.coef_)
        self.residuals_ = self.shares_ - fitted
        self.rate_residuals_ = self.rate_ - self.design_ @ self.rate_coef_
        return self

    def _fit_arrays(
        self, design: FloatArray, shares: FloatArray, rate: FloatArray, weights: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        alpha = self.alpha * design.shape[0]
        coef = _ridge(design, shares, weights, alpha)
        rate_coef = _ridge(design, rate[:, None], weights, alpha)[:, 0]
        return coef, rate_coef

    def _total(
        self, design: FloatArray, registered: FloatArray, coef: FloatArray, rate_coef: FloatArray,
        share_noise: FloatArray | None = None, rate_noise: FloatArray | None = None,
    ) -> tuple[FloatArray, float]:  # fmt: skip
        shares = design @ coef
        rate = design @ rate_coef
        if share_noise is not None and rate_noise is not None:
            shares = shares + share_noise
            rate = rate + rate_noise
        shares = _normalised(shares)
        valid = registered * np.clip(rate, 0.0, 1.0)
        totals = self.counted_votes_ + valid @ shares
        return totals, float(totals.sum())

    def _size_drift(self) -> FloatArray | float:
        """How far the relation drifts with the size of the bureau: fitted on the smaller
        half of the counted bureaux, the error (C,) on the shares of the larger half."""
        n = self.design_.shape[0]
        if n < 8:
            return 0.0
        order = np.argsort(self.weights_, kind="stable")
        small, large = order[: n // 2], order[n // 2 :]
        coef, rate_coef = self._fit_arrays(
            self.design_[small], self.shares_[small], self.rate_[small], self.weights_[small]
        )
        predicted_shares = _normalised(self.design_[large] @ coef)
        valid = self.weights_[large] * np.clip(self.design_[large] @ rate_coef, 0.0, 1.0)
        actual = self.weights_[large] * self.rate_[large]
        predicted = valid @ predicted_shares / max(valid.sum(), 1e-9)
        observed = actual @ self.shares_[large] / max(actual.sum(), 1e-9)
        drift: FloatArray = np.abs(predicted - observed)
        return drift

    def project(
        self,
        *,
        reference_shares: FloatArray,
        reference_rate: FloatArray,
        registered: FloatArray,
    ) -> ProjectionResult:
        """Final shares over the territory given the uncounted bureaux' reference results
        (``reference_shares`` (m, K), ``reference_rate`` (m,), ``registered`` (m,))."""
        if not hasattr(self, "coef_"):
            raise NotFittedError("projection non ajustée : appelez fit() d'abord")
        registered = np.asarray(registered, dtype=float)
        naive = self.counted_votes_ / max(self.counted_votes_.sum(), 1.0)
        design = _design(reference_shares, reference_rate)
        totals, grand = self._total(design, registered, self.coef_, self.rate_coef_)
        shares = totals / grand if grand else naive
        rng = np.random.default_rng(self.random_state)
        n, m = self.design_.shape[0], design.shape[0]
        draws = np.empty((self.n_boot, shares.shape[0]))
        for replicate in range(self.n_boot):
            rows = rng.integers(0, n, size=n)
            coef, rate_coef = self._fit_arrays(
                self.design_[rows], self.shares_[rows], self.rate_[rows], self.weights_[rows]
            )
            picks = rng.integers(0, n, size=m)
            boot_totals, boot_grand = self._total(
                design, registered, coef, rate_coef,
                self.residuals_[picks], self.rate_residuals_[picks],
            )  # fmt: skip
            draws[replicate] = boot_totals / boot_grand if boot_grand else shares
        spread = draws.std(axis=0)
        drift = self._size_drift() * (grand - self.counted_votes_.sum()) / grand if grand else 0.0
        sigma = np.sqrt(spread**2 + drift**2)
        z = float(_normal_quantile(0.5 + self.level / 2.0))
        low = np.clip(shares - z * sigma, 0.0, 1.0)
        high = np.clip(shares + z * sigma, 0.0, 1.0)
        return ProjectionResult(
            shares=shares, low=low, high=high, naive=naive, expected_valid=grand
        )
