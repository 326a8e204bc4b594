"""King's 2×2 ecological inference model (truncated bivariate normal), for "group vs rest /
candidate vs rest" questions.

For unit i with group fraction x_i and candidate fraction t_i, the unknown shares
(β^b_i: the group voting for the candidate, β^w_i: the rest voting for the candidate) satisfy
``t_i = β^b_i x_i + β^w_i (1 − x_i)`` (the tomography line). King (1997) models
(β^b, β^w) as a bivariate normal truncated to the unit square; parameters are fitted by
maximum likelihood of the observed t_i, then each unit's β^b_i is drawn from its conditional
distribution on the line, restricted to its Duncan–Davis bounds.

Simplifications (documented, not hidden): no covariates; intervals come from simulating unit
shares at the maximum-likelihood parameters (parameter uncertainty is not propagated, so
intervals are too narrow when units are few).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, stats

from circo.analysis.ei._base import EIEstimator
from circo.analysis.ei._data import EIData
from circo.analysis.errors import EIInputError

FloatArray = NDArray[np.float64]


# The optimiser works on unbounded parameters; they are mapped to a covariance that stays
# positive definite in floating point: |rho| below 1 (tanh alone reaches ±1.0 exactly past
# ≈ 19, and a singular covariance made scipy raise LinAlgError on some seeds) and standard
# deviations within [e^-7, e^3] (exp under- or overflows otherwise).
RHO_LIMIT = 0.995
LOG_SD_RANGE = (-7.0, 3.0)


def _square_mass(mean: FloatArray, cov: FloatArray) -> float:
    """P((b, w) ∈ [0, 1]²) under N(mean, cov)."""
    dist = stats.multivariate_normal(mean=mean, cov=cov, allow_singular=True)
    corners = dist.cdf(np.array([[1, 1], [0, 1], [1, 0], [0, 0]]))
    mass = corners[0] - corners[1] - corners[2] + corners[3]
    return float(mass) if np.isfinite(mass) and mass > 1e-300 else 1e-300


def _unpack(params: FloatArray) -> tuple[FloatArray, FloatArray]:
    mean = params[:2]
    sd = np.exp(np.clip(params[2:4], *LOG_SD_RANGE))
    rho = RHO_LIMIT * np.tanh(params[4])
    cov = np.array([[sd[0] ** 2, rho * sd[0] * sd[1]], [rho * sd[0] * sd[1], sd[1] ** 2]])
    return mean, cov


def _line_moments(
    mean: FloatArray, cov: FloatArray, x: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Mean/sd of t_i and conditional mean/sd of β^b_i given t_i (untruncated)."""
    w = 1 - x
    t_mean = mean[0] * x + mean[1] * w
    t_var = cov[0, 0] * x**2 + cov[1, 1] * w**2 + 2 * cov[0, 1] * x * w
    t_var = np.maximum(t_var, 1e-12)
    cov_bt = cov[0, 0] * x + cov[0, 1] * w
    gain = cov_bt / t_var
    cond_var = np.maximum(cov[0, 0] - gain * cov_bt, 1e-12)
    return t_mean, np.sqrt(t_var), gain, np.sqrt(cond_var)


def _bounds(x: FloatArray, t: FloatArray) -> tuple[FloatArray, FloatArray]:
    safe = np.maximum(x, 1e-12)
    low = np.clip((t - (1 - x)) / safe, 0.0, 1.0)
    high = np.clip(t / safe, 0.0, 1.0)
    return low, np.maximum(low, high)


class KingEI2x2(EIEstimator):
    """King's truncated-bivariate-normal model for one group vs the rest and one candidate
    vs the rest.

    ``fit(X, T, group=..., candidate=...)`` collapses the (n, R) and (n, C) counts to 2×2
    (the chosen group / all others × the chosen candidate / all others).

    Fitted attributes: ``global_`` (2, 2), ``unit_tables_`` (n, 2, 2), ``intervals_``
    (2, 2, 2); ``params_`` dict (mean_b, mean_w, sd_b, sd_w, rho of the untruncated normal);
    ``unit_beta_`` (n, 2) posterior-mean shares (group, rest) voting for the candidate.
    """

    method = "king2x2"
    interval_kind = "simulation interval"

    params_: dict[str, float]
    unit_beta_: FloatArray

    def __init__(
        self, *, n_sims: int = 200, level: float = 0.95, random_state: int | None = None
    ) -> None:
        self.n_sims = n_sims
        self.level = level
        self.random_state = random_state

    def fit(
        self,
        X: ArrayLike,
        T: ArrayLike,
        *,
        group: int | str = 0,
        candidate: int | str = 0,
        unit_names: Sequence[object] | None = None,
        group_names: Sequence[object] | None = None,
        candidate_names: Sequence[object] | None = None,
    ) -> KingEI2x2:
        """Fit on (n, R) group and (n, C) candidate counts, collapsed to 2×2.

        Args:
            group, candidate: index or name of the group and candidate of interest.
        """
        self._reset_fitted()  # also when the 2×2 collapse below refuses the input
        x = np.asarray(X, dtype=np.float64)
        t = np.asarray(T, dtype=np.float64)
        if x.ndim != 2 or t.ndim != 2:
            raise EIInputError("X and T must be 2-D arrays (n_units × columns)")
        g_index, g_name = _pick(group, group_names, x.shape[1], "group")
        c_index, c_name = _pick(candidate, candidate_names, t.shape[1], "candidate")
        x2 = np.column_stack([x[:, g_index], x.sum(axis=1) - x[:, g_index]])
        t2 = np.column_stack([t[:, c_index], t.sum(axis=1) - t[:, c_index]])
        super().fit(
            x2,
            t2,
            unit_names=unit_names,
            group_names=[g_name, f"not {g_name}"],
            candidate_names=[c_name, f"not {c_name}"],
        )
        return self

    def _neg_loglik(self, params: FloatArray, x: FloatArray, t: FloatArray) -> float:
        mean, cov = _unpack(params)
        t_mean, t_sd, gain, cond_sd = _line_moments(mean, cov, x)
        low, high = _bounds(x, t)
        cond_mean = mean[0] + gain * (t - t_mean)
        inside = stats.norm.cdf((high - cond_mean) / cond_sd) - stats.norm.cdf(
            (low - cond_mean) / cond_sd
        )
        loglik = stats.norm.logpdf(t, t_mean, t_sd) + np.log(np.maximum(inside, 1e-300))
        value = float(-(loglik.sum() - x.size * np.log(_square_mass(mean, cov))))
        return value if np.isfinite(value) else 1e300

    def _fit(self, data: EIData) -> None:
        keep = data.totals > 0
        x = data.group_fractions[:, 0]
        t = data.candidates[:, 0] / np.maximum(data.totals, 1e-300)
        xs, ts = x[keep], t[keep]
        start = np.array([ts.mean(), ts.mean(), np.log(0.2), np.log(0.2), 0.0])
        result = optimize.minimize(
            self._neg_loglik,
            start,
            args=(xs, ts),
            method="Nelder-Mead",
            options={"maxiter": 4000, "xatol": 1e-6, "fatol": 1e-8},
        )
        mean, cov = _unpack(result.x)
        self.params_ = {
            "mean_b": float(mean[0]),
            "mean_w": float(mean[1]),
            "sd_b": float(np.sqrt(cov[0, 0])),
            "sd_w": float(np.sqrt(cov[1, 1])),
            "rho": float(cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1])),
        }
        self._simulate(data, x, t, mean, cov)

    def _simulate(
        self, data: EIData, x: FloatArray, t: FloatArray, mean: FloatArray, cov: FloatArray
    ) -> None:
        rng = np.random.default_rng(self.random_state)
        t_mean, _, gain, cond_sd = _line_moments(mean, cov, x)
        low, high = _bounds(x, t)
        cond_mean = mean[0] + gain * (t - t_mean)
        a = (low - cond_mean) / cond_sd
        b = (high - cond_mean) / cond_sd
        dist = stats.truncnorm(a, np.maximum(b, a + 1e-9), loc=cond_mean, scale=cond_sd)
        beta_b = np.clip(dist.mean(), low, high)
        sims = np.clip(dist.rvs(size=(self.n_sims, x.size), random_state=rng), low, high)
        rest = np.maximum(1 - x, 1e-12)
        beta_w = np.clip((t - beta_b * x) / rest, 0.0, 1.0)
        self.unit_beta_ = np.column_stack([beta_b, beta_w])
        group_b, group_w = data.groups[:, 0], data.groups[:, 1]
        votes = data.candidates[:, 0]
        b_votes = np.clip(beta_b * group_b, 0, np.minimum(group_b, votes))
        w_votes = votes - b_votes
        self.unit_tables_ = np.stack(
            [
                np.column_stack([b_votes, group_b - b_votes]),
                np.column_stack([w_votes, group_w - w_votes]),
            ],
            axis=1,
        )
        sim_b = (sims * group_b).sum(axis=1) / max(group_b.sum(), 1e-300)
        sim_w = (votes.sum() - (sims * group_b).sum(axis=1)) / max(group_w.sum(), 1e-300)
        tail = 100 * (1 - self.level) / 2
        low_b, high_b = np.percentile(sim_b, [tail, 100 - tail])
        low_w, high_w = np.percentile(sim_w, [tail, 100 - tail])
        self.intervals_ = np.array(
            [[[low_b, high_b], [1 - high_b, 1 - low_b]], [[low_w, high_w], [1 - high_w, 1 - low_w]]]
        )

    def _summary_extra(self) -> list[str]:
        p = self.params_
        return [
            f"Truncated normal: mean {100 * p['mean_b']:.1f} % / {100 * p['mean_w']:.1f} %, "
            f"sd {p['sd_b']:.3f} / {p['sd_w']:.3f}, rho {p['rho']:.2f}. "
            "Intervals ignore parameter uncertainty."
        ]


def _pick(
    which: int | str, names: Sequence[object] | None, count: int, what: str
) -> tuple[int, str]:
    labels = (
        [str(name) for name in names]
        if names is not None
        else [f"{'G' if what == 'group' else 'C'}{i + 1}" for i in range(count)]
    )
    if isinstance(which, str):
        if which not in labels:
            raise EIInputError(f"{what} {which!r} not found; expected one of {labels}")
        return labels.index(which), which
    if not 0 <= which < count:
        raise EIInputError(f"{what} index {which} out of range 0–{count - 1}")
    return which, labels[which]
