"""What was tried to make ``auto`` better, on the real tables with known truth (issue 15).

For each district of ``real_truth.py`` (senc, NZ 2023): Pavía's error index of lphom, its dual
and joint variants, EM, EM started from lphom, weighted averages w·LP + (1−w)·EM, row-wise
weights, and the choice by 5-fold cross-validated prediction error of held-out units.

    .venv/bin/python benchmarks/ei/auto_variants.py
"""

from __future__ import annotations

import os

import numpy as np
from real_truth import all_districts

from circo.analysis.ei._data import validate
from circo.analysis.ei.em import EMEstimator, em_mult
from circo.analysis.ei.lp import LPHom
from circo.analysis.ei.metrics import error_index


def lp_shares(x: np.ndarray, t: np.ndarray, variant: str = "lphom") -> np.ndarray:
    return np.asarray(LPHom(variant=variant).fit(x, t).global_)


def em_shares(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    return np.asarray(EMEstimator(n_bootstrap=0).fit(x, t).global_)


def cross_validated_choice(x: np.ndarray, t: np.ndarray, folds: int = 5) -> str:
    """The method (lp, em, avg) whose matrix best predicts held-out units' columns."""
    rng = np.random.default_rng(0)
    fold = rng.permutation(len(x)) % folds
    error = {"lp": 0.0, "em": 0.0, "avg": 0.0}
    for f in range(folds):
        train, test = fold != f, fold == f
        shares = {"lp": lp_shares(x[train], t[train]), "em": em_shares(x[train], t[train])}
        shares["avg"] = (shares["lp"] + shares["em"]) / 2
        scaled = x[test] / np.maximum(x[test].sum(1, keepdims=True), 1) * t[test].sum(1)[:, None]
        for name, p in shares.items():
            error[name] += float(np.abs(scaled @ p - t[test]).sum())
    return min(error, key=lambda name: error[name])


def main() -> None:
    print(f"load average at start: {os.getloadavg()}")
    results: dict[str, dict[str, float]] = {}
    for name, (x, t, truth) in all_districts(["senc", "nz2023"]).items():
        data = validate(x, t)
        keep = data.totals > 0
        groups, candidates = data.groups[keep], data.candidates[keep]
        p = {
            "lp": lp_shares(x, t),
            "lp_dual": lp_shares(x, t, "dual"),
            "lp_joint": lp_shares(x, t, "joint"),
            "em": em_shares(x, t),
        }
        start = 0.5 * p["lp"] + 0.5 / p["lp"].shape[1]
        p["em_from_lp"] = em_mult(groups, candidates, init=start, max_iter=20000, tol=1e-9)[0]
        for w in (0.25, 0.5, 0.75):
            p[f"w{w}"] = w * p["lp"] + (1 - w) * p["em"]
        share = x.sum(axis=0) / x.sum()
        big = np.where(share >= 0.05, 0.5, 0.0)[:, None]
        p["rows≥5%"] = big * p["lp"] + (1 - big) * p["em"]
        p["cv"] = {"lp": p["lp"], "em": p["em"], "avg": p["w0.5"]}[cross_validated_choice(x, t)]
        totals = x.sum(axis=0)[:, None]
        results[name] = {m: error_index(shares * totals, truth) for m, shares in p.items()}
    methods = list(next(iter(results.values())))
    print("| district | " + " | ".join(methods) + " |")
    print("|---|" + "---|" * len(methods))
    for name, scores in results.items():
        print(f"| {name} | " + " | ".join(f"{scores[m]:.2f}" for m in methods) + " |")
    for label in ("senc", "NZ 2023"):
        names = [n for n in results if n.startswith(label)]
        means = [np.mean([results[n][m] for n in names]) for m in methods]
        print(f"| **mean {label}** | " + " | ".join(f"**{v:.2f}**" for v in means) + " |")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
