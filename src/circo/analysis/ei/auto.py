"""``auto``: a time-bounded average of two estimators chosen by measured accuracy.

Measured on real data with known truth (senc, 8 districts fitted one by one; see
docs/benchmarks.md, issue 15), the estimators err in different directions: the average of
the lphom linear program and the hierarchical sampler has an error index of 1.37 % on
average, against 2.13 % (lphom alone), 2.25 % (sampler alone), 2.57 % (EM), 3.12 %
(simplex least squares) and 3.80 % (Goodman); LP + EM averages 2.25 %.

So ``auto``:

1. fits lphom (a linear program: well under a second up to 2 000 × 20 × 15);
2. runs the sampler with what is left of the time budget — it calibrates its speed on its
   first warm-up sweeps and gives up at once when it cannot finish in time, and stops
   adding blocks when the budget is spent; a sampler that did not converge
   (R̂ ≥ ``max_rhat``) is not used;
3. else fits EM (seconds even for 70 000 bureaux);

and averages the global shares and the unit tables of the two (unit tables are then made to
match both margins of every unit again by IPF). Intervals cover both members' intervals.
The sampler can still be run alone (``method="md"``), as a background job for long runs.
"""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import NDArray

from circo.analysis.ei._base import EIEstimator, shares_from_tables
from circo.analysis.ei._data import EIData
from circo.analysis.ei._md_kernel import compiled_code_ready
from circo.analysis.ei.em import EMEstimator, recentred_intervals
from circo.analysis.ei.ipf import ipf_tables
from circo.analysis.ei.lp import LPHom
from circo.analysis.ei.md import MultinomialDirichletEI, SamplerBudgetError

FloatArray = NDArray[np.float64]

#: largest units × candidates for which lphom runs inside the budget (its LP has 2 error
#: variables per unit and candidate): 500 × 10 takes ≈ 1 s, 2 000 × 15 minutes
LP_MAX_SIZE = 8_000


class AutoEI(EIEstimator):
    """Average of lphom and the sampler (or EM when the sampler cannot run in time).

    Parameters:
        time_budget: seconds the whole fit may take (default 8: answers within 10 s).
        max_rhat: a sampler run whose largest R̂ reaches this is discarded (EM is used).
        level: interval level. random_state: seed of the sampler and the bootstrap.

    Fitted attributes (besides the base ones):
        members_: names of the averaged methods, e.g. ["lp", "md"].
        discarded_: why the sampler was not used ("" when it was).
        converged_: always True for the returned average (a member that did not converge is
            not averaged, except EM, whose flag is kept here).
    """

    method = "auto"
    interval_kind = "interval (hull of the averaged methods)"

    members_: list[str]
    _member_fits: list[EIEstimator]  # the fitted members (not a fitted attribute: no "_" end)
    discarded_: str
    interval_note_: str
    converged_: bool
    n_iter_: int

    def __init__(
        self,
        *,
        time_budget: float = 8.0,
        max_rhat: float = 1.1,
        level: float = 0.95,
        random_state: int | None = None,
    ) -> None:
        self.time_budget = time_budget
        self.max_rhat = max_rhat
        self.level = level
        self.random_state = random_state

    def _member(self, estimator: EIEstimator, data: EIData) -> EIEstimator:
        return estimator.fit(
            data.groups,
            data.candidates,
            unit_names=data.unit_names,
            group_names=data.group_names,
            candidate_names=data.candidate_names,
        )

    def _left(self, started: float) -> float:
        return self.time_budget - (time.perf_counter() - started)

    def _em(self, data: EIData, started: float) -> EMEstimator:
        """EM point estimate, then its bootstrap intervals if they fit in the time left (the
        linearised bootstrap costs 2·R·(C−1) EM maps for its Jacobian)."""
        em = self._member(EMEstimator(n_bootstrap=0, random_state=self.random_state), data)
        assert isinstance(em, EMEstimator)
        per_map = em.seconds_ / max(em.n_iter_, 1)
        n_rows, n_cols = em.probabilities_.shape
        if 1.5 * 2 * n_rows * (n_cols - 1) * per_map < self._left(started):
            em.n_bootstrap = 50
            keep = data.totals > 0
            em.bootstrap_draws_ = em._bootstrap(
                data.groups[keep], data.candidates[keep], em.probabilities_
            )
            em.intervals_ = recentred_intervals(
                em.bootstrap_draws_, em.probabilities_, em.global_, self.level
            )
        else:
            self.interval_note_ = "EM bootstrap skipped (time budget): intervals are points"
        return em

    def _fit(self, data: EIData) -> None:
        started = time.perf_counter()
        self.discarded_ = ""
        self.interval_note_ = ""
        self.converged_ = True
        members: list[EIEstimator] = []
        # lphom's linear program grows with units × candidates: beyond LP_MAX_SIZE it would
        # take minutes (2 000 × 15: 219 s measured), so EM alone answers.
        if data.n_units * len(data.candidate_names) <= LP_MAX_SIZE:
            members.append(self._member(LPHom(random_state=self.random_state), data))
        second: EIEstimator | None = None
        # keep ≈ 15 % of the budget for EM if the sampler gives up, and for the averaging
        remaining = self.time_budget * 0.85 - (time.perf_counter() - started)
        if remaining > 0.5 and members and not compiled_code_ready():
            # compiling the sampler would take the whole budget (20–60 s); `circo ei fit
            # --method md` compiles it once for all (numba caches it on disk)
            self.discarded_ = "the sampler's compiled code is not ready (compiling takes 20–60 s)"
        elif remaining > 0.5 and members:
            sampler = MultinomialDirichletEI(
                random_state=self.random_state, time_budget=remaining, level=self.level
            )
            try:
                self._member(sampler, data)
                worst = float(np.nanmax(sampler.rhat_))
                if worst < self.max_rhat:
                    second = sampler
                else:
                    self.discarded_ = f"sampler not converged (R̂ {worst:.2f})"
            except SamplerBudgetError as exc:
                self.discarded_ = str(exc)
        elif not members:
            self.discarded_ = "table too large for lphom and the sampler within the time budget"
        else:
            self.discarded_ = "not enough time left in the budget for the sampler"
        if second is None:
            em = self._em(data, started)
            second = em
            self.converged_ = bool(em.converged_)
            self.n_iter_ = em.n_iter_
        self._member_fits = [*members, second]
        self.members_ = [member.method for member in self._member_fits]
        self._average(data)

    def _average(self, data: EIData) -> None:
        members = self._member_fits
        seed = np.mean([member.unit_tables_ for member in members], axis=0)
        self.unit_tables_ = ipf_tables(seed, data.groups, data.candidates)
        self.unit_tables_ = np.where(np.isfinite(self.unit_tables_), self.unit_tables_, 0.0)
        self.global_ = shares_from_tables(self.unit_tables_, data.groups)
        lows = np.min([member.intervals_[..., 0] for member in members], axis=0)
        highs = np.max([member.intervals_[..., 1] for member in members], axis=0)
        self.intervals_ = np.stack(
            [np.minimum(lows, self.global_), np.maximum(highs, self.global_)], axis=-1
        )

    def _summary_extra(self) -> list[str]:
        lines = [f"auto: average of {' + '.join(self.members_)}."]
        if self.discarded_:
            lines.append(f"Sampler not used: {self.discarded_}.")
        if self.interval_note_:
            lines.append(self.interval_note_ + ".")
        return lines
