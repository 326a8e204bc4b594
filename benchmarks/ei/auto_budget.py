"""Wall time of ``auto`` against its 10 s budget, on table shapes up to 2 000 × 20 × 15.

Seeded synthetic tables (the draw of ``circo.analysis.ei.synthetic``) of the shapes a
campaign meets: a législatives circonscription (60 bureaux × 20 round-1 options × 4), the
issue's split-ticket table (307 × 18 × 4), a mid-size city (500 × 10 × 10) and the upper
bound (2 000 × 20 × 15). Each shape is fitted in this one process one after the other (the
sampler's compiled code is loaded once first), and its error index against the synthetic
truth is printed beside the members ``auto`` averaged.

    .venv/bin/python benchmarks/ei/auto_budget.py
"""

from __future__ import annotations

import os
import resource
import time

import numpy as np

from circo.analysis.ei import AutoEI, make_estimator
from circo.analysis.ei.metrics import error_index
from circo.analysis.ei.synthetic import _draw_tables, _fractions

SHAPES = ((60, 20, 4), (307, 18, 4), (500, 10, 10), (2000, 20, 15))


def synthetic(n_units: int, n_rows: int, n_cols: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.ones(n_cols) * 0.7, size=n_rows)
    fractions = _fractions(rng, n_units, n_rows, 0.6)
    sizes = rng.integers(400, 1400, n_units)
    return _draw_tables(rng, probs, fractions, sizes, concentration=30.0)


def main() -> None:
    warm = synthetic(30, 3, 3, 0)
    make_estimator("md", random_state=0).fit(warm.sum(axis=2), warm.sum(axis=1))  # load numba
    print(f"load average at start: {os.getloadavg()}")
    print("| shape (units × rows × cols) | auto s | members | sampler not used because | EI % |")
    print("|---|---|---|---|---|")
    for n_units, n_rows, n_cols in SHAPES:
        tables = synthetic(n_units, n_rows, n_cols, seed=n_units)
        start = time.perf_counter()
        est = AutoEI(random_state=0).fit(tables.sum(axis=2), tables.sum(axis=1))
        took = time.perf_counter() - start
        score = error_index(est.global_ * tables.sum(axis=(0, 2))[:, None], tables.sum(axis=0))
        why = est.discarded_ or "–"
        print(
            f"| {n_units} × {n_rows} × {n_cols} | {took:.2f} | {' + '.join(est.members_)} |"
            f" {why} | {score:.2f} |"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB; load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
