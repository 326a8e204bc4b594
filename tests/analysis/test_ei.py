"""Ecological-inference estimators: accuracy against known truth, margins, errors, JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest

from circo.analysis import EIInputError
from circo.analysis.ei import (
    DuncanDavisBounds,
    EMEstimator,
    GoodmanER,
    KingEI2x2,
    LPHom,
    MultinomialDirichletEI,
    SimplexLS,
    coverage,
    ei_result_to_json,
    error_index,
    fit_ei,
    global_mae_pp,
    ipf_tables,
    unit_mae_pp,
)
from circo.analysis.ei.metrics import true_global_shares, unit_error_index
from circo.analysis.ei.synthetic import make_groups_candidates, make_transfer


@pytest.fixture(scope="module")
def data_a():
    return make_groups_candidates(seed=3)


def _check_contract(est, n_units: int, n_rows: int, n_cols: int) -> None:
    assert est.global_.shape == (n_rows, n_cols)
    np.testing.assert_allclose(est.global_.sum(axis=1), 1.0, atol=1e-9)
    assert (est.global_ >= 0).all()
    assert est.unit_tables_.shape == (n_units, n_rows, n_cols)
    assert est.intervals_.shape == (n_rows, n_cols, 2)
    assert (est.intervals_[..., 0] <= est.intervals_[..., 1] + 1e-12).all()
    assert isinstance(est.summary(), str)


def test_em_accuracy_and_exact_margins(data_a) -> None:
    est = EMEstimator(n_bootstrap=20, random_state=0).fit(data_a.X, data_a.T)
    _check_contract(est, 500, 3, 4)
    assert est.converged_
    assert global_mae_pp(est.global_, data_a.true_global) < 1.5
    np.testing.assert_allclose(est.unit_tables_.sum(axis=1), data_a.T, atol=1e-6)
    np.testing.assert_allclose(est.unit_tables_.sum(axis=2), data_a.X, rtol=1e-8, atol=1e-6)


def test_goodman_and_simplex_ls_recover_global(data_a) -> None:
    goodman = GoodmanER().fit(data_a.X, data_a.T)
    simplex = SimplexLS(n_bootstrap=10, random_state=0).fit(data_a.X, data_a.T)
    for est in (goodman, simplex):
        _check_contract(est, 500, 3, 4)
        assert global_mae_pp(est.global_, data_a.true_global) < 2.0


def test_bounds_contain_truth(data_a) -> None:
    est = DuncanDavisBounds().fit(data_a.X, data_a.T)
    bounds = est.unit_bounds_
    assert (bounds[..., 0] <= data_a.tables + 1e-9).all()
    assert (data_a.tables <= bounds[..., 1] + 1e-9).all()
    assert coverage(est.intervals_, data_a.true_global) == 1.0


def test_md_accuracy_coverage_and_diagnostics() -> None:
    data = make_groups_candidates(seed=5, n_units=150)
    est = MultinomialDirichletEI(n_warmup=200, n_draws=400, random_state=1).fit(data.X, data.T)
    _check_contract(est, 150, 3, 4)
    assert global_mae_pp(est.global_, data.true_global) < 1.5
    assert coverage(est.intervals_, data.true_global) >= 0.75
    # unit-level credible intervals: a sane band around the nominal 95 %
    group = data.tables.sum(axis=2, keepdims=True)
    truth = data.tables / np.maximum(group, 1)
    mask = np.broadcast_to(group > 0, truth.shape)
    inside = (est.unit_intervals_[..., 0] <= truth) & (truth <= est.unit_intervals_[..., 1])
    assert 0.85 <= inside[mask].mean() <= 0.99
    assert est.rhat_.shape == (3, 4)
    assert np.isfinite(est.rhat_).all()
    assert (est.ess_ > 0).all()
    assert "R̂" in est.summary()
    np.testing.assert_allclose(est.unit_tables_.sum(axis=1), data.T, atol=1e-6)


def test_md_beats_goodman_on_senc(senc) -> None:
    md = MultinomialDirichletEI(n_warmup=200, n_draws=400, random_state=0).fit(senc["X"], senc["T"])
    simplex = SimplexLS(n_bootstrap=0).fit(senc["X"], senc["T"])
    truth = true_global_shares(senc["tables"])
    assert global_mae_pp(md.global_, truth) < global_mae_pp(simplex.global_, truth)
    assert error_index(md.unit_tables_, senc["tables"]) < 4.0
    assert unit_error_index(md.unit_tables_, senc["tables"]) < unit_error_index(
        simplex.unit_tables_, senc["tables"]
    )
    assert unit_mae_pp(md.unit_tables_, senc["tables"]) < 11.0


def test_em_on_senc_beats_simplex_ls(senc) -> None:
    em = EMEstimator(n_bootstrap=0).fit(senc["X"], senc["T"])
    simplex = SimplexLS(n_bootstrap=0).fit(senc["X"], senc["T"])
    assert error_index(em.unit_tables_, senc["tables"]) < error_index(
        simplex.unit_tables_, senc["tables"]
    )


def test_lphom_variants_on_transfer() -> None:
    data = make_transfer(seed=2, n_units=200)
    limits = {"lphom": 2.5, "dual": 6.0, "joint": 4.0}  # measured 1.6, 4.6, 2.6
    for variant, limit in limits.items():
        est = LPHom(variant=variant).fit(data.X, data.T)
        _check_contract(est, 200, 6, 4)
        assert global_mae_pp(est.global_, data.true_global) < limit, variant


def test_lphom_new_and_exit_voters() -> None:
    data = make_transfer(seed=4, n_units=120)
    rng = np.random.default_rng(0)
    x = data.X.copy()
    x[:60, 0] += rng.integers(1, 30, 60)  # voters who left between the elections (exits)
    x[60:, 5] = np.maximum(x[60:, 5] - rng.integers(1, 30, 60), 0)  # newly registered voters
    est = LPHom(new_and_exit="regular").fit(x, data.T)
    assert est.group_names_[-1] == "new_voters"
    assert est.candidate_names_[-1] == "exits"
    assert est.global_[-1, -1] == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(est.global_.sum(axis=1), 1.0, atol=1e-9)


def test_king_2x2_on_senc(senc) -> None:
    est = KingEI2x2(random_state=0).fit(
        senc["X"],
        senc["T"],
        group="black",
        candidate="dem",
        group_names=["white", "black", "natam"],
        candidate_names=["dem", "rep", "non"],
    )
    tables = senc["tables"]
    true_black_dem = tables[:, 1, 0].sum() / tables[:, 1, :].sum()
    assert est.global_.shape == (2, 2)
    assert abs(est.global_[0, 0] - true_black_dem) < 0.05
    np.testing.assert_allclose(est.global_.sum(axis=1), 1.0)


def test_ipf_matches_margins_exactly() -> None:
    rng = np.random.default_rng(0)
    seed = rng.random((50, 4, 3))
    rows = rng.integers(1, 100, (50, 4)).astype(float)
    cols = rng.random((50, 3))
    cols = cols / cols.sum(axis=1, keepdims=True) * rows.sum(axis=1, keepdims=True)
    table = ipf_tables(seed, rows, cols)
    np.testing.assert_allclose(table.sum(axis=1), cols, rtol=1e-12)
    np.testing.assert_allclose(table.sum(axis=2), rows, rtol=1e-9)


def test_totals_that_differ_are_rescaled(data_a) -> None:
    x = data_a.X * 1.03  # group side counts 3 % more voters
    est = EMEstimator(n_bootstrap=0).fit(x, data_a.T)
    np.testing.assert_allclose(est.unit_tables_.sum(axis=(1, 2)), data_a.T.sum(axis=1))
    assert est.unit_mismatch_ == pytest.approx(np.full(500, 0.03))
    assert "rescaled" in est.summary()


def test_error_names_unit_and_column() -> None:
    x = np.array([[10.0, 5.0], [3.0, 4.0], [8.0, 1.0]])
    t = np.array([[7.0, 8.0], [5.0, -2.0], [4.0, 5.0]])
    with pytest.raises(EIInputError) as caught:
        EMEstimator().fit(
            x, t, unit_names=["0001", "0002", "0003"], candidate_names=["Dupont", "Martin"]
        )
    message = str(caught.value)
    assert "unit 1" in message
    assert "'0002'" in message
    assert "'Martin'" in message
    assert isinstance(caught.value, ValueError)


def test_error_one_sided_empty_unit() -> None:
    x = np.array([[10.0, 5.0], [0.0, 0.0]])
    t = np.array([[7.0, 8.0], [5.0, 2.0]])
    with pytest.raises(EIInputError, match="unit 1"):
        GoodmanER().fit(x, t, group_names=["young", "old"])


def test_error_bad_shapes_and_names() -> None:
    with pytest.raises(EIInputError, match="rows"):
        fit_ei(np.ones((3, 2)), np.ones((4, 2)), method="em")
    with pytest.raises(EIInputError, match="names"):
        fit_ei(np.ones((3, 2)), np.ones((3, 2)), method="em", group_names=["a"])
    with pytest.raises(EIInputError, match="method"):
        fit_ei(np.ones((3, 2)), np.ones((3, 2)), method="magic")


def test_fit_ei_json_contract(data_a) -> None:
    est = fit_ei(
        data_a.X[:60],
        data_a.T[:60],
        method="em",
        group_names=["jeunes", "actifs", "retraités"],
        candidate_names=["A", "B", "C", "D"],
        unit_names=[f"BV{i:04d}" for i in range(60)],
    )
    payload = ei_result_to_json(est)
    assert set(payload) == {"method", "global", "intervals", "units", "seconds"}
    assert payload["method"] == "em"
    assert list(payload["global"]) == ["jeunes", "actifs", "retraités"]
    for row in payload["global"].values():
        assert sum(row.values()) == pytest.approx(1.0, abs=1e-5)
    low, high = payload["intervals"]["jeunes"]["A"]
    assert low <= payload["global"]["jeunes"]["A"] <= high
    assert payload["units"][0]["unit"] == "BV0000"
    assert set(payload["units"][0]["table"]["actifs"]) == {"A", "B", "C", "D"}
    assert isinstance(payload["seconds"], float)
    json.dumps(payload)


def test_auto_averages_lp_with_em_when_the_sampler_has_no_time() -> None:
    from circo.analysis.ei import AutoEI

    data = make_groups_candidates(seed=3, n_units=200)
    est = AutoEI(time_budget=0.0, random_state=0).fit(data.X, data.T)
    assert est.members_ == ["lp", "em"]
    assert "sampler" in est.discarded_ or "time" in est.discarded_
    np.testing.assert_allclose(est.global_.sum(axis=1), 1.0)
    np.testing.assert_allclose(est.unit_tables_.sum(axis=2), data.X, rtol=1e-6, atol=1e-6)
    assert (est.intervals_[..., 0] <= est.global_ + 1e-12).all()
    assert (est.global_ <= est.intervals_[..., 1] + 1e-12).all()


def test_rounded_shares_still_sum_to_one() -> None:
    from circo.analysis.ei.api import round_to_sum_one

    rng = np.random.default_rng(0)
    for _ in range(500):
        shares = rng.dirichlet(np.full(int(rng.integers(2, 15)), 0.5))
        rounded = round_to_sum_one(shares, 6)
        assert sum(rounded) == pytest.approx(1.0, abs=1e-12)
        assert np.abs(np.array(rounded) - shares).max() <= 1.000001e-6
    # rounding each share alone gives 1.000001 here
    assert sum(round(v, 6) for v in [0.1474364, 0.5067664, 0.0795774, 0.2662198]) != 1.0
    assert round_to_sum_one(np.zeros(3), 6) == [0.0, 0.0, 0.0]


def test_a_sampler_that_did_not_converge_is_a_warning_everywhere() -> None:
    from circo.analysis.ei import MultinomialDirichletEI
    from circo.analysis.ei.api import convergence_problems, finite_json
    from circo.targeting.service import french_warnings

    data = make_groups_candidates(seed=2, n_units=40)
    est = MultinomialDirichletEI(
        n_warmup=0, n_draws=8, max_extra_blocks=0, thin=1, random_state=1
    ).fit(data.X, data.T)
    est.rhat_ = np.full_like(est.global_, np.nan)
    est.rhat_[0, 0] = 1.4  # what a short run on a législatives table gives
    problems = convergence_problems(est)
    assert [problem["kind"] for problem in problems] == ["rhat"]
    assert "non convergé" in french_warnings(est)[0]
    strict = json.dumps(finite_json({"rhat": est.rhat_.tolist()}), allow_nan=False)
    assert strict.count("null") == est.rhat_.size - 1


def test_intervals_that_are_points_are_a_warning_everywhere() -> None:
    """EM's bootstrap skipped for lack of time: the JSON warnings say the intervals are point
    estimates (never silent), and the JSON stays strict."""
    from circo.analysis.ei import AutoEI
    from circo.analysis.ei.api import convergence_problems, ei_result_to_json, finite_json
    from circo.targeting.service import french_warnings

    data = make_groups_candidates(seed=3, n_units=30)
    x = np.array(data.X, dtype=float)
    x[:, 1] = 0.0  # a group with no voter anywhere
    est = AutoEI(time_budget=0.0, random_state=0).fit(x, data.T)
    assert est.members_ == ["lp", "em"]
    assert "bootstrap skipped" in est.interval_note_
    assert "intervals" in [problem["kind"] for problem in convergence_problems(est)]
    assert any("estimation ponctuelle" in warning for warning in french_warnings(est))
    payload = ei_result_to_json(est)
    json.dumps(finite_json(payload), allow_nan=False)
    json.dumps(payload, allow_nan=False)  # already finite, even for the empty group
    # a fit with real intervals has no such warning
    em = EMEstimator(n_bootstrap=20, random_state=0).fit(data.X, data.T)
    assert "intervals" not in [problem["kind"] for problem in convergence_problems(em)]


def test_auto_does_not_spend_its_budget_compiling_the_sampler(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a machine where the sampler was never compiled (a fresh install), compiling it takes
    20–60 s: auto answers with lphom + EM instead and says why."""
    from circo.analysis.ei import auto
    from circo.analysis.ei._md_kernel import compiled_code_ready

    assert isinstance(compiled_code_ready(), bool)
    monkeypatch.setattr(auto, "compiled_code_ready", lambda: False)
    data = make_groups_candidates(seed=4, n_units=25)
    est = auto.AutoEI(random_state=0).fit(data.X, data.T)
    assert est.members_ == ["lp", "em"]
    assert "compiled code is not ready" in est.discarded_
