"""Simulation study of the field-experiment estimator on real results (issue 15).

Units: the bureaux of the Rhône, présidentielle 2017 (shipped demo files, Ministry layout):
round 1 is "before", round 2 "after" — a real change of turnout between two votes, with its
real noise. Each replication draws a blocked assignment (pairs on round-1 turnout, seed = the
replication number), adds a known effect to the treated bureaux' round-2 turnout, and runs the
estimator of ``circo experiment analyse`` (blocked difference in differences, 95 % interval,
randomisation-inference p-value). Reported: bias, RMSE, coverage of the 95 % intervals, share
of p < 0.05 (power when the effect is real, size when it is 0).

    .venv/bin/python benchmarks/experiments/simulation.py [--replications 300]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import os
import time
from pathlib import Path

import numpy as np

from circo.analysis.experiments import analyse, assign, make_blocks

DEMO = Path(__file__).parents[2] / "src" / "circo" / "elections" / "demo_data"


def turnout(path: Path) -> dict[str, float]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        reader = csv.reader(handle, delimiter=";")
        next(reader)
        return {f"{row[4]}_{row[6]}": int(row[10]) / int(row[7]) for row in reader}


def study(units: list[str], before: np.ndarray, after: np.ndarray, effect: float, reps: int):
    blocks = make_blocks(units, list(before), 0.5)
    estimates, covered, rejected = [], 0, 0
    for replication in range(reps):
        arms = dict(assign(units, treated_share=0.5, block_values=list(before), seed=replication))
        treated = np.array([arms[unit] == "treatment" for unit in units])
        change = after + effect * treated - before
        result = analyse(change, treated, blocks, permutations=500, seed=replication)
        estimates.append(result.effect)
        covered += result.low <= effect <= result.high
        rejected += result.p_value < 0.05
    values = np.array(estimates)
    return {
        "bias": float(values.mean() - effect),
        "rmse": float(np.sqrt(((values - effect) ** 2).mean())),
        "coverage": covered / reps,
        "rejected": rejected / reps,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replications", type=int, default=300)
    args = parser.parse_args()
    first = turnout(DEMO / "pres2017_t1_rhone69_mi.csv.gz")
    second = turnout(DEMO / "pres2017_t2_rhone69_mi.csv.gz")
    shared = sorted(set(first) & set(second))
    print(f"load average at start: {os.getloadavg()}; {len(shared)} bureaux in both rounds")
    print(
        "| bureaux | true effect (points) | replications | bias (points) | RMSE (points) |"
        " 95 % coverage | p < 0.05 | seconds |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for size in (100, len(shared)):
        units = shared[:size]
        before = np.array([first[unit] for unit in units])
        after = np.array([second[unit] for unit in units])
        for effect in (0.02, 0.0):
            start = time.perf_counter()
            found = study(units, before, after, effect, args.replications)
            took = time.perf_counter() - start
            print(
                f"| {size} | {100 * effect:.0f} | {args.replications} |"
                f" {100 * found['bias']:+.3f} |"
                f" {100 * found['rmse']:.3f} | {100 * found['coverage']:.1f} % |"
                f" {100 * found['rejected']:.1f} % | {took:.1f} |"
            )
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
