"""The MD sampler's moves (ridge invariants, exact inverses), its R̂ loop, and EM's bootstrap."""

from __future__ import annotations

import numpy as np
import pytest

from circo.analysis.ei import EMEstimator, MultinomialDirichletEI, em_mult
from circo.analysis.ei._md_moves import (
    disjoint_quads,
    propose_row_scale,
    propose_scale,
    propose_segment,
    ridge_centres,
)
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
    return np.einsum("ir,kirc->kic", fractions, beta)


def _check_on_ridge(new: np.ndarray, beta: np.ndarray, fractions: np.ndarray) -> None:
    assert (new > 0).all()
    np.testing.assert_allclose(new.sum(axis=3), 1.0, atol=1e-12)
    np.testing.assert_allclose(_theta(new, fractions), _theta(beta, fractions), atol=1e-12)


def test_segment_moves_keep_the_likelihood_and_invert(state) -> None:
    beta, fractions, alpha = state["beta"], state["fractions"], state["alpha"]
    quads = disjoint_quads(np.random.default_rng(0), 6, 4)
    assert len({(r, c) for q in quads for r in q[:2] for c in q[2:]}) == 4 * len(quads)
    step = np.random.default_rng(1).normal(0, 2.0, (len(quads), 2, 40))
    forward = propose_segment(beta, fractions, alpha, quads, step)
    moved = beta.copy()
    moved[:, :, forward.rows, forward.cols] = forward.new.transpose(2, 3, 0, 1)
    assert forward.valid.sum() > 0.9 * forward.valid.size
    with_absent = (quads[:, :2] == 2).any(axis=1)  # quads touching group 2, absent in unit 3
    assert not forward.usable[with_absent, 3].any()
    assert forward.usable[~with_absent, 3].all()
    _check_on_ridge(moved, beta, fractions)
    back = propose_segment(moved, fractions, alpha, quads, -step)
    restored = moved.copy()
    restored[:, :, back.rows, back.cols] = back.new.transpose(2, 3, 0, 1)
    np.testing.assert_allclose(restored, beta, rtol=1e-9, atol=1e-14)
    # the Jacobians of a move and of its inverse cancel
    np.testing.assert_allclose(forward.log_jacobian + back.log_jacobian, 0.0, atol=1e-8)


def test_scale_moves_keep_the_likelihood_and_invert(state) -> None:
    beta, fractions, alpha = state["beta"], state["fractions"], state["alpha"]
    means = alpha / alpha.sum(axis=2, keepdims=True)
    centres = ridge_centres(means, fractions, beta)
    _check_on_ridge(centres, beta, fractions)
    dimension = np.full(40, 15.0)
    step = np.array([0.4, -0.7])
    forward = propose_scale(beta, centres, step, dimension)
    assert forward.valid.all()
    _check_on_ridge(forward.new, beta, fractions)
    back = propose_scale(
        forward.new, ridge_centres(means, fractions, forward.new), -step, dimension
    )
    np.testing.assert_allclose(back.new, beta, rtol=1e-8, atol=1e-13)
    np.testing.assert_allclose(forward.log_jacobian + back.log_jacobian, 0.0, atol=1e-6)
    for row in (0, 2, 5):
        forward = propose_row_scale(beta, centres, fractions, row, step)
        assert forward.valid.all()
        _check_on_ridge(forward.new, beta, fractions)
        back = propose_row_scale(
            forward.new, ridge_centres(means, fractions, forward.new), fractions, row, -step
        )
        np.testing.assert_allclose(back.new, beta, rtol=1e-8, atol=1e-13)
        np.testing.assert_allclose(forward.log_jacobian + back.log_jacobian, 0.0, atol=1e-6)


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
