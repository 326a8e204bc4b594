"""Ecological-inference benchmark: circo.analysis.ei vs PyEI, against known truth.

Steps (each method runs in its own fresh process, so wall time and peak RSS are its own):

    .venv/bin/python benchmarks/ei/run.py prepare --out /tmp/bench-ei
    .venv/bin/python benchmarks/ei/run.py ours --data /tmp/bench-ei/a.npz --method md
    .venv/bin/python benchmarks/ei/run.py pyei --data /tmp/bench-ei/a.npz \
        --pyei-python /work/bench-pyei/bin/python
    .venv/bin/python benchmarks/ei/run.py all --out /tmp/bench-ei [--with-pyei]

Datasets: (a) 3×4, 500 units; (b) transfer 6×4, 500 bureaux (b2025: same generator, another
seed); (c) 14×4 at 2 000, 20 000 and 70 000 bureaux (seeded generators of
circo.analysis.ei.synthetic); senc (eiPack, real data with the true 3×3 table per precinct;
also scored county by county, each county its own fit).
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from circo.analysis.ei import make_estimator
from circo.analysis.ei.linear import SimplexLS
from circo.analysis.ei.lp import LPHom
from circo.analysis.ei.metrics import (
    coverage,
    error_index,
    global_mae_pp,
    true_global_shares,
    unit_error_index,
    unit_mae_pp,
)
from circo.analysis.ei.synthetic import make_groups_candidates, make_large, make_transfer

HERE = Path(__file__).resolve().parent
SENC = HERE.parents[1] / "tests" / "data" / "shared" / "ei-senc-truth" / "senc.csv"
DATASETS = ["a", "b", "b2025", "c2000", "c20000", "c70000", "senc"]


def prepare(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    sets = {
        "a": make_groups_candidates(seed=2024),
        "b": make_transfer(seed=2024),
        "b2025": make_transfer(seed=2025),  # a second seed of (b), to check gains generalise
        "c2000": make_large(seed=2024, n_units=2000),
        "c20000": make_large(seed=2024, n_units=20000),
        "c70000": make_large(seed=2024, n_units=70000),
    }
    for name, data in sets.items():
        np.savez_compressed(out / f"{name}.npz", X=data.X, T=data.T, tables=data.tables)
    with SENC.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    races = {"white": "wh", "black": "bl", "natam": "natam"}
    parties = ["dem", "rep", "non"]
    np.savez_compressed(
        out / "senc.npz",
        X=np.array([[float(r[g]) for g in races] for r in rows]),
        T=np.array([[float(r[p]) for p in parties] for r in rows]),
        tables=np.array(
            [[[float(r[k + p]) for p in parties] for k in races.values()] for r in rows]
        ),
        county=np.array([r["county"] for r in rows]),
    )
    print(f"wrote {', '.join(sets)}, senc to {out}")


def _estimator(method: str) -> Any:
    if method == "simplex_ls":
        return SimplexLS(n_bootstrap=50, random_state=0)
    if method == "lp_dual":
        return LPHom(variant="dual")
    if method == "lp_joint":
        return LPHom(variant="joint")
    if method == "em_point":
        from circo.analysis.ei.em import EMEstimator

        return EMEstimator(n_bootstrap=0)
    return make_estimator(method, random_state=0)


def _unit_coverage(unit_intervals: np.ndarray, tables: np.ndarray) -> float:
    group = tables.sum(axis=2, keepdims=True)
    truth = tables / np.maximum(group, 1)
    mask = np.broadcast_to(group > 0, truth.shape)
    inside = (unit_intervals[..., 0] <= truth) & (truth <= unit_intervals[..., 1])
    return float(inside[mask].mean())


def _scores(
    glob: np.ndarray, intervals: np.ndarray, unit_tables: np.ndarray, tables: np.ndarray
) -> dict[str, float]:
    truth = true_global_shares(tables)
    return {
        "gmae_pp": global_mae_pp(glob, truth),
        "error_index_global": error_index(unit_tables, tables),
        "error_index_units_mean": unit_error_index(unit_tables, tables),
        "unit_mae_pp": unit_mae_pp(unit_tables, tables),
        "coverage_global": coverage(intervals, truth),
    }


def run_ours(data_path: Path, method: str) -> dict[str, Any]:
    data = np.load(data_path)
    cpu_start = time.process_time()
    est = _estimator(method).fit(data["X"], data["T"])
    cpu_seconds = time.process_time() - cpu_start
    result: dict[str, Any] = {
        "dataset": data_path.stem,
        "tool": "circo",
        "method": method,
        "seconds": est.seconds_,
        "cpu_seconds": cpu_seconds,
        **_scores(est.global_, est.intervals_, est.unit_tables_, data["tables"]),
    }
    if hasattr(est, "unit_intervals_"):
        result["coverage_units"] = _unit_coverage(est.unit_intervals_, data["tables"])
    if hasattr(est, "rhat_"):
        result["max_rhat"] = float(np.nanmax(est.rhat_))
        result["min_ess"] = float(np.min(est.ess_))
    if "county" in data:
        by_county = []
        for county in np.unique(data["county"]):
            keep = data["county"] == county
            sub = _estimator(method).fit(data["X"][keep], data["T"][keep])
            by_county.append(
                (
                    error_index(sub.unit_tables_, data["tables"][keep]),
                    unit_error_index(sub.unit_tables_, data["tables"][keep]),
                )
            )
        result["error_index_by_county_mean"] = float(np.mean([b[0] for b in by_county]))
        result["error_index_units_by_county_mean"] = float(np.mean([b[1] for b in by_county]))
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def run_pyei(data_path: Path, python: str) -> dict[str, Any]:
    out = data_path.with_suffix(".pyei.json")
    start = time.perf_counter()
    subprocess.run([python, str(HERE / "pyei_runner.py"), str(data_path), str(out)], check=True)
    wall = time.perf_counter() - start
    fitted = json.loads(out.read_text())
    data = np.load(data_path)
    groups = data["X"] * (data["T"].sum(axis=1) / data["X"].sum(axis=1))[:, None]
    unit_tables = groups[:, :, None] * np.asarray(fitted["unit_shares"])
    result = {
        "dataset": data_path.stem,
        "tool": "pyei",
        "method": "multinomial-dirichlet",
        "seconds": fitted["seconds"],
        "cpu_seconds": fitted["cpu_seconds"],
        "wall_with_startup": wall,
        **_scores(
            np.asarray(fitted["global"]),
            np.asarray(fitted["intervals"]),
            unit_tables,
            data["tables"],
        ),
        "coverage_units": _unit_coverage(np.asarray(fitted["unit_intervals"]), data["tables"]),
        "max_rhat": fitted["max_rhat"],
        "peak_rss_mb": fitted["peak_rss_mb"],
    }
    return result


PLAN = {
    "a": ["md", "em", "goodman", "simplex_ls", "lp"],
    "b": ["md", "em", "goodman", "simplex_ls", "lp", "lp_dual", "lp_joint"],
    "b2025": ["md", "em", "goodman"],
    "c2000": ["em", "goodman"],
    "c20000": ["em", "goodman"],
    "c70000": ["em_point", "em", "goodman"],
    "senc": ["md", "em", "goodman", "simplex_ls", "lp", "lp_dual", "lp_joint"],
}


def run_all(out: Path, with_pyei: bool, pyei_python: str, only: list[str]) -> None:
    results_path = out / "results.jsonl"
    for dataset, methods in PLAN.items():
        if only and dataset not in only:
            continue
        for method in methods:
            command = [
                sys.executable,
                __file__,
                "ours",
                "--data",
                str(out / f"{dataset}.npz"),
                "--method",
                method,
            ]
            line = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            with results_path.open("a", encoding="utf-8") as handle:
                handle.write(line.strip() + "\n")
            print(line.strip(), flush=True)
    if with_pyei:
        for dataset in ("a", "b", "b2025", "senc"):
            if only and dataset not in only:
                continue
            result = run_pyei(out / f"{dataset}.npz", pyei_python)
            with results_path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(result) + "\n")
            print(json.dumps(result), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["prepare", "ours", "pyei", "all"])
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench-ei"))
    parser.add_argument("--data", type=Path)
    parser.add_argument("--method", default="md")
    parser.add_argument("--with-pyei", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated datasets (default: all)")
    parser.add_argument("--pyei-python", default="/work/bench-pyei/bin/python")
    args = parser.parse_args()
    if args.step == "prepare":
        prepare(args.out)
    elif args.step == "ours":
        print(json.dumps(run_ours(args.data, args.method)))
    elif args.step == "pyei":
        print(json.dumps(run_pyei(args.data, args.pyei_python)))
    else:
        run_all(args.out, args.with_pyei, args.pyei_python, [d for d in args.only.split(",") if d])


if __name__ == "__main__":
    main()
