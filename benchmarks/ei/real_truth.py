"""Accuracy on real data with KNOWN truth, district by district (issue 15).

Every district is its own fit (as a campaign fits one circonscription at a time). For each
district and method: Pavía's error index on the district's global table (EI %, the share of
voters put in a wrong cell), the unit-level error index, the fit time.

Data: ``senc`` (eiPack; North Carolina 2001 registration by race × party, the true 3×3 table
of each of 212 precincts; the 8 counties are the districts). See
tests/data/shared/PROVENANCE.md. (The New Zealand split-ticket sets with truth
per electorate, ``ei.Datasets`` on CRAN, ship only as binary .RData and could not be read
here: not included.)

    .venv/bin/python benchmarks/ei/real_truth.py [--methods auto,em,lp,md,goodman,simplex_ls]
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from pathlib import Path

import numpy as np

from circo.analysis.ei import AutoEI, fit_ei, make_estimator
from circo.analysis.ei._base import EIEstimator
from circo.analysis.ei.linear import SimplexLS
from circo.analysis.ei.metrics import error_index

SENC = Path(
    os.environ.get(
        "CIRCO_SENC", Path(__file__).parents[2] / "tests/data/shared/ei-senc-truth/senc.csv"
    )
)
ROWS = ("white", "black", "natam")
COLS = ("dem", "rep", "non")
PREFIX = {"white": "wh", "black": "bl", "natam": "natam"}


def senc_districts(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """county → (X (n, 3), T (n, 3), true tables (n, 3, 3))."""
    by_county: dict[str, list[dict[str, str]]] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            by_county.setdefault(row["county"], []).append(row)
    out = {}
    for county, rows in sorted(by_county.items()):
        x = np.array([[float(r[g]) for g in ROWS] for r in rows])
        t = np.array([[float(r[c]) for c in COLS] for r in rows])
        truth = np.array([[[float(r[PREFIX[g] + c]) for c in COLS] for g in ROWS] for r in rows])
        out[county] = (x, t, truth)
    return out


def fit(method: str, x: np.ndarray, t: np.ndarray) -> EIEstimator:
    if method == "simplex_ls":
        return SimplexLS(n_bootstrap=0).fit(x, t)
    if method == "auto":
        return fit_ei(x, t, method="auto", random_state=0)
    if method == "auto_no_sampler":  # what auto does when the sampler cannot run in time
        return AutoEI(time_budget=0.0, random_state=0).fit(x, t)
    return make_estimator(method, random_state=0).fit(x, t)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--methods", default="goodman,simplex_ls,em,lp,md,auto")
    args = parser.parse_args()
    methods = args.methods.split(",")
    print(f"load average at start: {os.getloadavg()}")
    districts = senc_districts(SENC)
    scores: dict[str, list[float]] = {m: [] for m in methods}
    header = ["district", "units", *[f"{m} EI %" for m in methods]]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    seconds: dict[str, float] = dict.fromkeys(methods, 0.0)
    worst: dict[str, float] = dict.fromkeys(methods, 0.0)
    for county, (x, t, truth) in districts.items():
        cells = []
        for method in methods:
            start = time.perf_counter()
            est = fit(method, x, t)
            took = time.perf_counter() - start
            seconds[method] += took
            worst[method] = max(worst[method], took)
            table = est.global_ * x.sum(axis=0)[:, None]
            score = error_index(table, truth.sum(axis=0))
            scores[method].append(score)
            members = getattr(est, "members_", None)
            chosen = f" ({'+'.join(members)})" if members else ""
            cells.append(f"{score:.2f}{chosen}")
        print(f"| {county} | {x.shape[0]} | " + " | ".join(cells) + " |")
    print("| **mean** | | " + " | ".join(f"**{np.mean(scores[m]):.2f}**" for m in methods) + " |")
    print()
    for method in methods:
        print(
            f"{method}: mean EI {np.mean(scores[method]):.2f} %, total {seconds[method]:.2f} s,"
            f" slowest district {worst[method]:.2f} s"
        )
    best_linear = min(
        np.mean(scores.get("goodman", [np.inf])), np.mean(scores.get("simplex_ls", [np.inf]))
    )
    if "auto" in scores and np.isfinite(best_linear):
        gain = 100 * (1 - np.mean(scores["auto"]) / best_linear)
        print(f"auto vs the better of Goodman and simplex LS: {gain:.0f} % lower error")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
