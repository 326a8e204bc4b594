"""The MD sampler's moves (ridge invariants, exact inverses), its R̂ loop, and EM's bootstrap."""

from __future__ import annotations

import numpy as np
import pytest

from circo.analysis.ei import EMEstimator, MultinomialDirichletEI, em_mult
from circo.analysis.ei import _md_kernel as kernel
from circo.analysis.ei.em import linearised_bootstrap
from circo.analysis.ei.synthetic import make_groups_candidates, make_transfer


@pytest.fixture(scope="module")
def state() -> dict[str, np.ndarray]:
    """A random sampler state on (b)'s shape, with small shares and one absent group."""
    rng = np.random.default_rng(7)
    data = make_transfer(seed=1, n_units=40)
    fractions = data.X / data.X.sum(axis=1, keepdims=True)
    fractions[3, 2] = 0.0  # group 2 absent from unit 3
    fractions /= fractions.sum(axis=1, keepdims=True)
    alpha = rng.uniform(0.5, 30.0, (2, 6, 4))
    beta = rng.dirichlet(np.ones(4) * 0.7, size=(2, 40, 6))
    return {"fractions": fractions, "alpha": alpha, "beta": beta}


def _theta(beta: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    return np.einsum("ir,irc->ic", fractions, beta)


def _check_on_ridge(new: np.ndarray, beta: np.ndarray, fractions: np.ndarray) -> None:
    assert (new > 0).all()
    np.testing.assert_allclose(new.sum(axis=-1), 1.0, atol=1e-12)
    np.testing.assert_allclose(_theta(new, fractions), _theta(beta, fractions), atol=1e-12)


def _segment(beta: np.ndarray, fractions: np.ndarray, quad, steps) -> tuple:
    """Apply segment moves unit by unit; returns (moved β, statuses, log Jacobians)."""
    r, s, c, d = quad
    moved = beta.copy()
    out = np.empty(4)
    statuses, jacobians = [], []
    for i in range(beta.shape[0]):
        status, log_jacobian = kernel.segment_move(beta[i], fractions[i], r, s, c, d, steps[i], out)
        if status == 0:
            moved[i, r, c], moved[i, r, d], moved[i, s, c], moved[i, s, d] = out
        statuses.append(status)
        jacobians.append(log_jacobian)
    return moved, np.array(statuses), np.array(jacobians)


def test_segment_moves_keep_the_likelihood_and_invert(state) -> None:
    beta, fractions = state["beta"][0], state["fractions"]
    steps = np.random.default_rng(1).normal(0, 2.0, 40)
    for quad in [(0, 1, 2, 3), (2, 5, 0, 1), (4, 3, 3, 0)]:
        moved, status, forward = _segment(beta, fractions, quad, steps)
        touches_absent = 2 in quad[:2]
        assert (status[3] == 1) == touches_absent  # group 2 is absent from unit 3
        assert (status == 0).sum() >= 39
        _check_on_ridge(moved, beta, fractions)
        assert np.abs(moved - beta).max() > 1e-3
        restored, _, back = _segment(moved, fractions, quad, -steps)
        np.testing.assert_allclose(restored, beta, rtol=1e-9, atol=1e-14)
        # the Jacobians of a move and of its inverse cancel
        np.testing.assert_allclose(forward + back, 0.0, atol=1e-8)


def _centres(beta: np.ndarray, fractions: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    centres = np.empty_like(beta)
    kernel.ridge_centres(beta, fractions, alpha, centres)
    return centres


def _scale(beta, fractions, alpha, step) -> tuple[np.ndarray, float]:
    centres = _centres(beta, fractions, alpha)
    new = beta.copy()
    total = 0.0
    for i in range(beta.shape[0]):
        factor, log_jacobian, ok = kernel.scale_factor(beta[i], centres[i], step, 15.0)
        assert ok
        new[i] = centres[i] + factor * (beta[i] - centres[i])
        total += log_jacobian
    return new, total


def _row_scale(beta, fractions, alpha, row, step) -> tuple[np.ndarray, float]:
    centres = _centres(beta, fractions, alpha)
    new = beta.copy()
    direction = np.empty(beta.shape[1:])
    total = 0.0
    for i in range(beta.shape[0]):
        scale, log_jacobian, ok = kernel.row_scale_position(
            beta[i], centres[i], fractions[i], row, step, direction
        )
        assert ok
        new[i] = beta[i] + (1.0 - scale) * direction
        total += log_jacobian
    return new, total


def test_scale_moves_keep_the_likelihood_and_invert(state) -> None:
    beta, fractions, alpha = state["beta"][0], state["fractions"], state["alpha"][0]
    _check_on_ridge(_centres(beta, fractions, alpha), beta, fractions)
    for step in (0.4, -0.7):
        forward, jacobian = _scale(beta, fractions, alpha, step)
        _check_on_ridge(forward, beta, fractions)
        assert np.abs(forward - beta).max() > 1e-3
        back, back_jacobian = _scale(forward, fractions, alpha, -step)
        np.testing.assert_allclose(back, beta, rtol=1e-8, atol=1e-13)
        assert jacobian + back_jacobian == pytest.approx(0.0, abs=1e-6)
        for row in (0, 2, 5):
            forward, jacobian = _row_scale(beta, fractions, alpha, row, step)
            _check_on_ridge(forward, beta, fractions)
            back, back_jacobian = _row_scale(forward, fractions, alpha, row, -step)
            np.testing.assert_allclose(back, beta, rtol=1e-8, atol=1e-13)
            assert jacobian + back_jacobian == pytest.approx(0.0, abs=1e-6)


def test_md_is_reproducible_for_a_seed() -> None:
    data = make_groups_candidates(seed=5, n_units=80)
    fits = [
        MultinomialDirichletEI(n_warmup=50, n_draws=60, random_state=3).fit(data.X, data.T)
        for _ in range(2)
    ]
    np.testing.assert_array_equal(fits[0].global_draws_, fits[1].global_draws_)
    other = MultinomialDirichletEI(n_warmup=50, n_draws=60, random_state=4).fit(data.X, data.T)
    assert not np.array_equal(fits[0].global_draws_, other.global_draws_)


def test_md_converges_on_a_well_posed_problem() -> None:
    data = make_groups_candidates(seed=12, n_units=300)
    est = MultinomialDirichletEI(n_warmup=200, n_draws=400, random_state=0).fit(data.X, data.T)
    assert est.rhat_.shape == (3, 4)
    assert float(est.rhat_.max()) < 1.1
    assert float(est.ess_.min()) > 20
    assert 0.05 < est.collective_acceptance_ < 0.9
    assert 0.05 < est.scale_acceptance_ < 0.9
    assert est.n_iterations_ == 200 + (2 + est.extra_blocks_) * 200


def test_md_runs_extra_blocks_while_rhat_is_above_target() -> None:
    data = make_groups_candidates(seed=12, n_units=60)
    est = MultinomialDirichletEI(
        n_warmup=20, n_draws=40, target_rhat=0.5, max_extra_blocks=2, random_state=0
    ).fit(data.X, data.T)
    assert est.extra_blocks_ == 2
    assert est.n_iterations_ == 20 + 4 * 20
    assert est.global_draws_.shape == (2, 40, 3, 4)
    assert "2 extra blocks" in est.summary()


def test_linearised_bootstrap_matches_refitting_each_replicate() -> None:
    data = make_groups_candidates(seed=13, n_units=200)
    groups, candidates = data.X, data.T
    probs, _, converged = em_mult(groups, candidates, tol=1e-10)
    assert converged
    fast = linearised_bootstrap(
        groups, candidates, probs, n_bootstrap=30, rng=np.random.default_rng(0)
    )
    draws = np.random.default_rng(0).integers(0, 200, (30, 200))
    refits = np.array([em_mult(groups[d], candidates[d], init=probs, tol=1e-10)[0] for d in draws])
    np.testing.assert_allclose(fast.sum(axis=2), 1.0)
    assert np.median(np.abs(fast - refits)) < 0.1 * refits.std(axis=0).mean()
    np.testing.assert_allclose(fast.std(axis=0), refits.std(axis=0), rtol=0.25, atol=1e-3)


def test_em_intervals_contain_the_estimate_and_widen_with_fewer_units() -> None:
    small = make_transfer(seed=3, n_units=100)
    large = make_transfer(seed=3, n_units=400)
    widths = []
    for data in (small, large):
        est = EMEstimator(n_bootstrap=40, random_state=0).fit(data.X, data.T)
        low, high = est.intervals_[..., 0], est.intervals_[..., 1]
        assert (low <= est.global_ + 1e-12).all()
        assert (est.global_ <= high + 1e-12).all()
        widths.append(float((high - low).mean()))
    assert widths[0] > 1.3 * widths[1]
