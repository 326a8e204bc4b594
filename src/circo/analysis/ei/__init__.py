"""Ecological inference estimators (scikit-learn style) and helpers.

Every estimator has ``fit(X, T, *, unit_names, group_names, candidate_names)`` with X the
(n_units, R) group counts and T the (n_units, C) candidate counts, and exposes ``global_``
(R, C, rows sum to 1), ``unit_tables_`` (n_units, R, C), ``intervals_`` (R, C, 2) and
``summary()``.
"""

from circo.analysis.ei.api import ei_result_to_json, fit_ei, make_estimator
from circo.analysis.ei.auto import AutoEI
from circo.analysis.ei.em import EMEstimator, em_mult
from circo.analysis.ei.ipf import ipf_tables
from circo.analysis.ei.king import KingEI2x2
from circo.analysis.ei.linear import DuncanDavisBounds, GoodmanER, SimplexLS, unit_bounds
from circo.analysis.ei.lp import LPHom
from circo.analysis.ei.md import MultinomialDirichletEI
from circo.analysis.ei.metrics import coverage, error_index, global_mae_pp, unit_mae_pp

__all__ = [
    "AutoEI",
    "DuncanDavisBounds",
    "EMEstimator",
    "GoodmanER",
    "KingEI2x2",
    "LPHom",
    "MultinomialDirichletEI",
    "SimplexLS",
    "coverage",
    "ei_result_to_json",
    "em_mult",
    "error_index",
    "fit_ei",
    "global_mae_pp",
    "ipf_tables",
    "make_estimator",
    "unit_bounds",
    "unit_mae_pp",
]
