"""Re-fitting an estimator on other data leaves nothing of the previous fit (issue #14).

Every estimator is fitted on a 3 × 4 dataset, then on a 6 × 4 one; its fitted attributes
(names ending with ``_``) must then be exactly those of a fresh estimator fitted on the second
dataset only — a stale ``global_`` of the first shape, say, fails the comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import circo.analysis.ei  # noqa: F401  (imports every estimator module)
from circo.analysis import EIInputError, NotFittedError
from circo.analysis.ei import (
    AutoEI,
    DuncanDavisBounds,
    EMEstimator,
    GoodmanER,
    KingEI2x2,
    LPHom,
    MultinomialDirichletEI,
    SimplexLS,
)
from circo.analysis.ei._base import EIEstimator
from circo.analysis.ei.synthetic import make_groups_candidates, make_transfer

# Small, seeded settings: each estimator fits both datasets in well under a second (the MD
# sampler once compiled).
FACTORIES: dict[type[EIEstimator], Callable[[], EIEstimator]] = {
    AutoEI: lambda: AutoEI(time_budget=0.0, random_state=0),  # no time: LP + EM, deterministic
    DuncanDavisBounds: DuncanDavisBounds,
    EMEstimator: lambda: EMEstimator(n_bootstrap=5, random_state=0),
    GoodmanER: GoodmanER,
    KingEI2x2: lambda: KingEI2x2(n_sims=50, random_state=0),
    LPHom: lambda: LPHom(n_bootstrap=5, random_state=0),
    MultinomialDirichletEI: lambda: MultinomialDirichletEI(
        n_chains=2, n_warmup=20, n_draws=16, max_extra_blocks=0, random_state=0
    ),
    SimplexLS: lambda: SimplexLS(n_bootstrap=5, random_state=0),
}
FIRST = make_groups_candidates(seed=3, n_units=25)  # 3 groups × 4 candidates
SECOND = make_transfer(seed=1, n_units=25)  # 6 groups × 4 options


def every_estimator_class() -> set[type[EIEstimator]]:
    found: set[type[EIEstimator]] = set()
    pending = [EIEstimator]
    while pending:
        for subclass in pending.pop().__subclasses__():
            found.add(subclass)
            pending.append(subclass)
    return found


def fitted(estimator: EIEstimator) -> dict[str, Any]:
    return {name: value for name, value in vars(estimator).items() if name.endswith("_")}


def assert_same_value(name: str, left: Any, right: Any) -> None:
    if isinstance(left, np.ndarray) or isinstance(right, np.ndarray):
        assert np.shape(left) == np.shape(right), name
        np.testing.assert_allclose(left, right, rtol=1e-9, atol=1e-9, err_msg=name)
    elif isinstance(left, float):
        assert left == pytest.approx(right, rel=1e-9, abs=1e-9), name
    else:
        assert left == right, name


def test_every_estimator_class_is_checked() -> None:
    assert every_estimator_class() == set(FACTORIES)


@pytest.mark.parametrize("cls", sorted(FACTORIES, key=lambda cls: cls.__name__))
def test_refit_on_other_data_leaves_no_stale_attribute(cls: type[EIEstimator]) -> None:
    refitted = FACTORIES[cls]()
    refitted.fit(FIRST.X, FIRST.T)
    assert refitted.global_.shape == ((2, 2) if cls is KingEI2x2 else (3, 4))
    refitted.fit(SECOND.X, SECOND.T, group_names=SECOND.group_names)
    fresh = FACTORIES[cls]().fit(SECOND.X, SECOND.T, group_names=SECOND.group_names)

    again, reference = fitted(refitted), fitted(fresh)
    assert set(again) == set(reference)
    for name in sorted(set(reference) - {"seconds_"}):
        assert_same_value(name, again[name], reference[name])
    assert refitted.global_.shape == ((2, 2) if cls is KingEI2x2 else (6, 4))
    assert refitted.group_names_ == fresh.group_names_


@pytest.mark.parametrize("cls", [KingEI2x2, DuncanDavisBounds, GoodmanER])
def test_a_refused_refit_leaves_an_unfitted_estimator(cls: type[EIEstimator]) -> None:
    estimator = FACTORIES[cls]().fit(FIRST.X, FIRST.T)
    negative = FIRST.X.copy()
    negative[4, 0] = -3.0
    with pytest.raises(EIInputError):
        estimator.fit(negative, FIRST.T)
    assert fitted(estimator) == {}
    with pytest.raises(NotFittedError):
        estimator.summary()
