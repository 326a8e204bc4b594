"""Accuracy on real data with KNOWN truth, district by district (issue 15).

Every district is its own fit (as a campaign fits one circonscription at a time). For each
district and method: Pavía's error index on the district's global table (EI %, the share of
voters put in a wrong cell), the unit-level error index, the fit time.

Data:
- ``senc`` (eiPack; North Carolina 2001 registration by race × party, the true 3×3 table of
  each of 212 precincts; the 8 counties are the districts). See tests/data/shared/PROVENANCE.md.
- ``nz2023``: three New Zealand 2023 electorates, party vote (18 rows) × electorate vote (7–12
  columns) over their voting places, truth = the official split-vote table of the electorate.
  See benchmarks/ei/data/nz2023/PROVENANCE.md and ``nz_split.py``.

    .venv/bin/python benchmarks/ei/real_truth.py [--data senc,nz2023]
        [--methods goodman,simplex_ls,em,lp,md,auto]
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from pathlib import Path

import numpy as np
from nz_split import districts as nz_districts

from circo.analysis.ei import AutoEI, fit_ei, make_estimator
from circo.analysis.ei._base import EIEstimator
from circo.analysis.ei.linear import SimplexLS
from circo.analysis.ei.md import MultinomialDirichletEI, SamplerBudgetError
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


def all_districts(data: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """district → (X (n, R), T (n, C), true global table (R, C))."""
    out: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    if "senc" in data:
        for county, (x, t, truth) in senc_districts(SENC).items():
            out[f"senc {county}"] = (x, t, truth.sum(axis=0))
    if "nz2023" in data:
        for name, district in nz_districts().items():
            out[f"NZ 2023 {name}"] = (district.x, district.t, district.truth)
    return out


#: the hierarchical sampler alone is given this many seconds per district (it says at once
#: when it would need more: NZ electorates would take 60–2 900 s)
MD_SECONDS = 120.0


def fit(method: str, x: np.ndarray, t: np.ndarray) -> EIEstimator:
    if method == "md":
        return MultinomialDirichletEI(random_state=0, time_budget=MD_SECONDS).fit(x, t)
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
    parser.add_argument("--data", default="senc,nz2023")
    args = parser.parse_args()
    methods = args.methods.split(",")
    print(f"load average at start: {os.getloadavg()}")
    districts = all_districts(args.data.split(","))
    scores: dict[str, dict[str, float]] = {m: {} for m in methods}
    header = ["district", "units × rows × cols", *[f"{m} EI %" for m in methods]]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    seconds: dict[str, float] = dict.fromkeys(methods, 0.0)
    worst: dict[str, float] = dict.fromkeys(methods, 0.0)
    for county, (x, t, truth) in districts.items():
        cells = []
        for method in methods:
            start = time.perf_counter()
            try:
                est = fit(method, x, t)
            except SamplerBudgetError as exc:
                cells.append(f"— ({str(exc).split(',')[0].replace('the sampler ', '')})")
                continue
            took = time.perf_counter() - start
            seconds[method] += took
            worst[method] = max(worst[method], took)
            table = est.global_ * x.sum(axis=0)[:, None]
            score = error_index(table, truth)
            scores[method][county] = score
            members = getattr(est, "members_", None)
            chosen = f" ({'+'.join(members)})" if members else ""
            cells.append(f"{score:.2f}{chosen}")
        shape = f"{x.shape[0]} × {x.shape[1]} × {t.shape[1]}"
        print(f"| {county} | {shape} | " + " | ".join(cells) + " |", flush=True)
    names = list(districts)
    groups = {"all": names}
    for prefix in ("senc", "NZ 2023"):
        chosen = [i for i, name in enumerate(names) if name.startswith(prefix)]
        if chosen and len(chosen) < len(names):
            groups[prefix] = [names[i] for i in chosen]
    for label, members in groups.items():
        cells = [
            f"**{np.mean([scores[m][n] for n in members]):.2f}**"
            if all(n in scores[m] for n in members)
            else "—"
            for m in methods
        ]
        print(f"| **mean {label}** | | " + " | ".join(cells) + " |")
    print()
    for method in methods:
        print(
            f"{method}: mean EI {np.mean(list(scores[method].values())):.2f} % over"
            f" {len(scores[method])} districts, total {seconds[method]:.2f} s,"
            f" slowest district {worst[method]:.2f} s"
        )
    for label, members in groups.items():

        def mean(method: str, members: list[str] = members) -> float:
            if method not in scores or not all(n in scores[method] for n in members):
                return np.inf
            return float(np.mean([scores[method][n] for n in members]))

        best_linear = min(mean("goodman"), mean("simplex_ls"))
        for method in methods:
            if method.startswith("auto") and np.isfinite(best_linear):
                gain = 100 * (1 - mean(method) / best_linear)
                print(
                    f"{label}: {method} vs the better of Goodman and simplex LS"
                    f" ({best_linear:.2f} %): {gain:.0f} % lower error"
                )
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
