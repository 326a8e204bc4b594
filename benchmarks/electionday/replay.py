"""Replay a counting night on real results: présidentielle 2017, 2nd round, projected from the
1st round (reference), département by département, bureaux reported smallest first.

At 10 %, 20 % and 50 % of the bureaux counted, compare with the final result of the
département (per candidate, in percentage points of expressed votes):
* the projection of `circo.analysis.projection.NightProjection` (what `circo night project`
  computes), and whether the final share lies in its 90 % interval;
* the naive running total of the counted bureaux.

Run: ``python benchmarks/electionday/replay.py [--departments 29 33 …] [--boot 200]``
(reads /work/shared/data/fr-presidentielle-2017-bv, or ``--data DIR``).
"""

from __future__ import annotations

import argparse
import math
import os
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from circo.analysis.projection import NightProjection
from circo.elections.parsers import read_results

DATA = Path("/work/shared/data/fr-presidentielle-2017-bv")
FRACTIONS = (0.10, 0.20, 0.50)
DEPARTMENTS = ("01", "06", "13", "17", "2A", "29", "31", "33", "35", "44",
               "59", "62", "63", "67", "69", "75", "76", "87", "93", "974")  # fmt: skip


def load(path: Path, departments: set[str]) -> dict[str, dict[str, object]]:
    """station_key → {department, registered, valid, votes{name: votes}}."""
    stations: dict[str, dict[str, object]] = {}
    for station in read_results(path):
        if station.department_code not in departments:
            continue
        stations[station.station_key] = {
            "department": station.department_code,
            "registered": station.registered or 0,
            "valid": station.valid_votes,
            "votes": {c.name: c.votes for c in station.candidates},
        }
    return stations


def matrix(rows: list[dict[str, object]], names: list[str]) -> np.ndarray:
    return np.array([[row["votes"].get(name, 0) for name in names] for row in rows], dtype=float)  # type: ignore[attr-defined]


def replay_department(
    keys: list[str],
    target: dict[str, dict[str, object]],
    reference: dict[str, dict[str, object]],
    *,
    boot: int,
) -> list[dict[str, object]]:
    names = sorted({name for key in keys for name in target[key]["votes"]})  # type: ignore[attr-defined]
    ref_names = sorted({name for key in keys for name in reference[key]["votes"]})  # type: ignore[attr-defined]
    order = sorted(keys, key=lambda key: (target[key]["registered"], key))
    all_votes = matrix([target[key] for key in order], names)
    final = all_votes.sum(axis=0) / all_votes.sum()
    ref_votes = matrix([reference[key] for key in order], ref_names)
    ref_valid = ref_votes.sum(axis=1)
    ref_registered = np.array([reference[key]["registered"] for key in order], dtype=float)
    ref_shares = ref_votes / np.maximum(ref_valid, 1.0)[:, None]
    ref_rate = ref_valid / np.maximum(ref_registered, 1.0)
    registered = np.array([target[key]["registered"] for key in order], dtype=float)
    rows = []
    for fraction in FRACTIONS:
        counted = math.ceil(fraction * len(order))
        model = NightProjection(n_boot=boot, random_state=0).fit(
            reference_shares=ref_shares[:counted],
            reference_rate=ref_rate[:counted],
            registered=registered[:counted],
            votes=all_votes[:counted],
        )
        result = model.project(
            reference_shares=ref_shares[counted:],
            reference_rate=ref_rate[counted:],
            registered=ref_registered[counted:],
        )
        for index, name in enumerate(names):
            rows.append(
                {
                    "fraction": fraction,
                    "candidate": name,
                    "final": final[index],
                    "projected_error": abs(result.shares[index] - final[index]) * 100,
                    "naive_error": abs(result.naive[index] - final[index]) * 100,
                    "covered": result.low[index] <= final[index] <= result.high[index],
                    "width": (result.high[index] - result.low[index]) * 100,
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--departments", nargs="+", default=list(DEPARTMENTS))
    parser.add_argument("--boot", type=int, default=200)
    args = parser.parse_args()
    wanted = set(args.departments)
    started = time.perf_counter()
    reference = load(args.data / "2017-presidentielle-1_par_bureau_large.csv.gz", wanted)
    target = load(args.data / "2017-presidentielle-2_par_bureau_large.csv.gz", wanted)
    loaded = time.perf_counter() - started
    by_department: dict[str, list[str]] = defaultdict(list)
    for key, row in target.items():
        if key in reference and int(row["valid"]) > 0:  # type: ignore[call-overload]
            by_department[str(row["department"])].append(key)
    all_rows: list[dict[str, object]] = []
    started = time.perf_counter()
    print(f"load avg {os.getloadavg()[0]:.1f} ; files read in {loaded:.1f} s")
    print("dep  bureaux  at   projection MAE (pp)  naive MAE (pp)  coverage 90 %  width (pp)")
    for department in sorted(by_department):
        keys = by_department[department]
        rows = replay_department(keys, target, reference, boot=args.boot)
        all_rows.extend(rows)
        for fraction in FRACTIONS:
            part = [row for row in rows if row["fraction"] == fraction]
            print(
                f"{department:>3}  {len(keys):>7}  {fraction:>3.0%}  "
                f"{np.mean([r['projected_error'] for r in part]):>19.2f}  "
                f"{np.mean([r['naive_error'] for r in part]):>14.2f}  "
                f"{np.mean([r['covered'] for r in part]):>13.0%}  "
                f"{np.mean([r['width'] for r in part]):>9.2f}"
            )
    elapsed = time.perf_counter() - started
    print("\nall départements (mean over départements × candidates)")
    for fraction in FRACTIONS:
        part = [row for row in all_rows if row["fraction"] == fraction]
        projected = np.mean([r["projected_error"] for r in part])
        print(
            f"  at {fraction:.0%}: projection MAE {projected:.2f}"
            f" pp (max {np.max([r['projected_error'] for r in part]):.2f}), naive MAE "
            f"{np.mean([r['naive_error'] for r in part]):.2f} pp (max "
            f"{np.max([r['naive_error'] for r in part]):.2f}), coverage of the 90 % interval "
            f"{np.mean([r['covered'] for r in part]):.0%} ({len(part)} cases), mean width "
            f"{np.mean([r['width'] for r in part]):.2f} pp"
        )
    print(f"projections computed in {elapsed:.1f} s ({len(all_rows)} candidate cases)")


if __name__ == "__main__":
    main()
