"""Run PyEI's multinomial-Dirichlet model at its defaults on a saved dataset (PyEI's venv).

Usage (PyEI is not a circo dependency; it lives in its own virtualenv):
    /work/bench-pyei/bin/python benchmarks/ei/pyei_runner.py DATA.npz OUT.json

DATA.npz holds X (n, R) group counts and T (n, C) candidate counts. Writes global shares
(group-count weighted, from the posterior draws of b), 95 % intervals, unit posterior means,
wall time, CPU time and peak RSS.
"""

from __future__ import annotations

import json
import resource
import sys
import time

import numpy as np
from pyei.r_by_c import RowByColumnEI


def _cpu_seconds() -> float:
    """CPU time of this process (all its threads) and of its waited-for children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    data = np.load(sys.argv[1])
    groups, candidates = data["X"].astype(float), data["T"].astype(float)
    totals = candidates.sum(axis=1)
    groups = groups * (totals / groups.sum(axis=1))[:, None]
    group_fractions = (groups / totals[:, None]).T
    votes_fractions = (candidates / totals[:, None]).T
    start = time.perf_counter()
    cpu_start = _cpu_seconds()
    model = RowByColumnEI(model_name="multinomial-dirichlet")
    model.fit(
        group_fractions,
        votes_fractions,
        totals.astype(int),
        demographic_group_names=[f"G{i}" for i in range(groups.shape[1])],
        candidate_names=[f"C{i}" for i in range(candidates.shape[1])],
        random_seed=0,
    )
    seconds = time.perf_counter() - start
    cpu_seconds = _cpu_seconds() - cpu_start
    b = model.sim_trace["posterior"]["b"].values  # chains, draws, n, R, C
    weights = groups / groups.sum(axis=0)  # (n, R)
    global_draws = np.einsum("ir,kdirc->kdrc", weights, b)
    flat = global_draws.reshape(-1, *global_draws.shape[2:])
    low, high = np.percentile(flat, [2.5, 97.5], axis=0)
    unit_low, unit_high = np.percentile(b.reshape(-1, *b.shape[2:]), [2.5, 97.5], axis=0)
    try:
        import arviz as az

        rhat = float(az.rhat(model.sim_trace, var_names=["b"])["b"].max())
    except Exception:
        rhat = float("nan")
    out = {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "global": flat.mean(axis=0).tolist(),
        "intervals": np.stack([low, high], axis=-1).tolist(),
        "unit_shares": b.mean(axis=(0, 1)).tolist(),
        "unit_intervals": np.stack([unit_low, unit_high], axis=-1).tolist(),
        "max_rhat": rhat,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    with open(sys.argv[2], "w", encoding="utf-8") as handle:
        json.dump(out, handle)


if __name__ == "__main__":
    main()
