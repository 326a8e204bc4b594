"""Benchmark: turf cutting and walking routes (issue 7), figures for docs/benchmarks.md (field).

Cuts (a) a seeded synthetic town of 10 000 addresses (≈ 40 000 doors, 32 bureaux) and (b) the
real REU address sample of Finistère (12 335 address points, 31 bureaux) into turfs of 50 doors,
and prints time, balance, compactness (sum of turf MSTs / sum of bureau MSTs, target ≤ 1.3) and
route / MST (target ≤ 1.5 per turf).

With ``--ortools`` (OR-Tools installed, e.g. in a separate venv) it also routes the *same turfs*
with OR-Tools' routing solver (open path via a zero-cost dummy depot, PATH_CHEAPEST_ARC +
GUIDED_LOCAL_SEARCH), giving it ``--factor`` (default 10) × circo's whole cutting time, shared
equally between turfs, and prints the ratio of total walking distances (aim ≤ 1.10).

    .venv/bin/python benchmarks/field/bench_turfs.py
    /work/bench-ortools/bin/python benchmarks/field/bench_turfs.py --ortools
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from circo.field.routing import haversine_path_m, project
from circo.field.turfs.inputs import synthetic_addresses
from circo.field.turfs.output import compactness_ratio, route_to_mst_ratio
from circo.field.turfs.partition import CAP, FLOOR
from circo.field.turfs.plan import Address, TurfPlan, cut_turfs

REU_SAMPLE = (
    Path(__file__).resolve().parents[2]
    / "tests"
    / "data"
    / "shared"
    / "fr-reu-adresses-sample-29"
    / "addresses_sample.csv"
)
TARGET = 50


def reu_addresses(path: Path) -> list[Address]:
    """The REU sample as addresses: one per row, ``nb_adresses`` as dwellings (doors)."""
    with path.open(encoding="utf-8") as handle:
        return [
            Address(
                id=f"reu{line}",
                lat=float(row["latitude"]),
                lon=float(row["longitude"]),
                dwellings=int(row["nb_adresses"]),
                bureau=row["id_brut_bv_reu"],
            )
            for line, row in enumerate(csv.DictReader(handle), start=2)
        ]


def timed_cut(addresses: list[Address], repeats: int) -> tuple[TurfPlan, list[float]]:
    times = []
    plan = None
    for _ in range(repeats):
        start = time.perf_counter()
        plan = cut_turfs(addresses, doors_per_turf=TARGET, random_state=0)
        times.append(time.perf_counter() - start)
    assert plan is not None
    return plan, times


def report(name: str, addresses: list[Address], plan: TurfPlan, times: list[float]) -> None:
    doors = [turf.doors for turf in plan.turfs]
    multi = [t for t in plan.turfs if len({(a.lat, a.lon) for a in t.addresses}) > 1]
    over = [t.doors for t in multi if t.doors > CAP * TARGET]
    single_over = [t.doors for t in plan.turfs if t not in multi and t.doors > CAP * TARGET]
    under = Counter(t.bureau for t in plan.turfs if t.doors < FLOOR * TARGET)
    ratios = [route_to_mst_ratio(turf) for turf in plan.turfs]
    print(f"== {name}")
    print(
        f"addresses {len(addresses)}, doors {sum(a.dwellings for a in addresses)}, "
        f"bureaux {len({a.bureau for a in addresses})}"
    )
    print(
        f"cut time s: min {min(times):.2f}, median {statistics.median(times):.2f} "
        f"({len(times)} runs)"
    )
    print(
        f"turfs {len(plan.turfs)}; doors min {min(doors)}, median {statistics.median(doors):g}, "
        f"max {max(doors)}; multi-building turfs over cap: {len(over)}; "
        f"single-building turfs over cap: {len(single_over)} {sorted(single_over)}; "
        f"bureaux with >1 turf under floor: {sum(1 for c in under.values() if c > 1)}"
    )
    print(f"compactness (sum turf MST / sum bureau MST): {compactness_ratio(plan):.3f}")
    print(
        f"route/MST: max {max(ratios):.3f}, mean {statistics.fmean(ratios):.3f}; "
        f"total walk {sum(t.walk_m for t in plan.turfs) / 1000:.1f} km"
    )


def ortools_path(xy: np.ndarray, seconds: float) -> list[int]:
    """OR-Tools' open path through the points ``xy`` (metres), with a time limit."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    size = len(xy)
    if size <= 2:
        return list(range(size))
    cost = np.zeros((size + 1, size + 1), dtype=np.int64)  # node ``size`` is the free end
    cost[:size, :size] = np.rint(np.linalg.norm(xy[:, None] - xy[None, :], axis=2) * 100)
    manager = pywrapcp.RoutingIndexManager(size + 1, 1, size)
    routing = pywrapcp.RoutingModel(manager)
    # the matrix is registered in C++: no Python callback slows OR-Tools' search down
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(cost.tolist()))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromNanoseconds(max(1_000_000, int(seconds * 1e9)))
    solution = routing.SolveWithParameters(params)
    order = []
    index = routing.Start(0)
    while not routing.IsEnd(index):
        node = manager.IndexToNode(index)
        if node != size:
            order.append(node)
        index = solution.Value(routing.NextVar(index))
    return order


def compare_ortools(plan: TurfPlan, cut_seconds: float, factor: float) -> None:
    per_turf = factor * cut_seconds / len(plan.turfs)
    ours = theirs = 0.0
    start = time.perf_counter()
    for turf in plan.turfs:
        sites: list[tuple[float, float]] = list(
            dict.fromkeys((a.lat, a.lon) for a in turf.addresses)
        )
        lat = np.array([s[0] for s in sites])
        lon = np.array([s[1] for s in sites])
        order = ortools_path(project(lat, lon), per_turf)
        theirs += haversine_path_m(lat[order], lon[order])
        ours += turf.walk_m
    spent = time.perf_counter() - start
    print(
        f"OR-Tools (GLS, {per_turf * 1000:.1f} ms per turf, {spent:.1f} s in all = "
        f"{spent / cut_seconds:.1f}x circo's cut time): walk {theirs / 1000:.2f} km; "
        f"circo {ours / 1000:.2f} km; ratio circo/OR-Tools {ours / theirs:.4f}"
    )


def without_streets(addresses: list[Address]) -> list[Address]:
    return [Address(a.id, a.lat, a.lon, a.dwellings, a.bureau) for a in addresses]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ortools", action="store_true", help="compare routes with OR-Tools")
    parser.add_argument("--factor", type=float, default=10.0, help="OR-Tools time / circo time")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--reu", type=Path, default=REU_SAMPLE)
    args = parser.parse_args()
    cases = [
        (
            f"synthetic town, seed {seed}",
            synthetic_addresses(10_000, n_bureaux=32, random_state=seed),
        )
        for seed in args.seeds
    ]
    if args.reu.exists():
        cases.append(("REU sample, Finistère (real)", reu_addresses(args.reu)))
    for name, addresses in cases:
        plan, times = timed_cut(addresses, args.repeats)
        report(name, addresses, plan, times)
        if args.ortools:
            compare_ortools(plan, min(times), args.factor)
            if any(a.street for a in addresses):
                print("-- same turfs, routed on distance alone (streets ignored):")
                blind, _ = timed_cut(without_streets(addresses), 1)
                compare_ortools(blind, min(times), args.factor)


if __name__ == "__main__":
    main()
