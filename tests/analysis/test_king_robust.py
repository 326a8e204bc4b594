"""KingEI2x2 stays defined when the fitted correlation or spread reaches its limits.

Before the covariance was kept positive definite, the optimiser drove ``tanh(rho)`` to ±1.0
exactly on some seeds and scipy raised a raw ``LinAlgError`` (seed 0, group 1 × candidate 0 of
`make_groups_candidates`, and group 1 × candidate 0 of `make_transfer`, among others)."""

from __future__ import annotations

import numpy as np
import pytest

from circo.analysis.ei import KingEI2x2
from circo.analysis.ei.synthetic import make_groups_candidates, make_transfer


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    ("maker", "group", "candidate"),
    [(make_groups_candidates, 1, 0), (make_groups_candidates, 0, 2), (make_transfer, 1, 0)],
)
def test_king_fit_is_defined_on_every_seed(maker, group, candidate, seed) -> None:
    data = maker(seed=seed, n_units=60)
    fitted = KingEI2x2(random_state=seed, n_sims=50).fit(
        data.X, data.T, group=group, candidate=candidate
    )
    assert np.isfinite(fitted.global_).all()
    assert ((fitted.global_ >= 0) & (fitted.global_ <= 1)).all()
    np.testing.assert_allclose(fitted.global_.sum(axis=1), 1.0)
    assert -1 < fitted.params_["rho"] < 1
    assert fitted.params_["sd_b"] > 0
    assert fitted.params_["sd_w"] > 0
    assert np.isfinite(fitted.unit_beta_).all()
