"""Vote transfers and bureau targeting on imported results (through the elections services).

Transfers ("reports de voix") fit an R×C model on the bureaux present in both elections:
rows are the first election's options with blank, null and abstention, columns the second's.
Targeting scores each bureau for a candidate (mobilisation, persuasion, votes per 100 doors),
optionally informed by an estimated transfer matrix toward that candidate.
"""

from circo.targeting.service.ranking import (
    TargetingReport,
    find_candidate,
    load_keys,
    parse_weights,
    target_stations,
)
from circo.targeting.service.tables import (
    OPTION_LABELS,
    StationTable,
    TargetingError,
    load_station_table,
    parse_election_round,
    unique_names,
)
from circo.targeting.service.transfers import (
    TransferInputs,
    TransferResult,
    candidate_label_map,
    estimate_transfers,
    fit_transfer_model,
    french_warnings,
    relabel,
    sampler_diagnostics,
    transfer_inputs,
    transfers_from_inputs,
)

__all__ = [
    "OPTION_LABELS",
    "StationTable",
    "TargetingError",
    "TargetingReport",
    "TransferInputs",
    "TransferResult",
    "candidate_label_map",
    "estimate_transfers",
    "find_candidate",
    "fit_transfer_model",
    "french_warnings",
    "load_keys",
    "load_station_table",
    "parse_election_round",
    "parse_weights",
    "relabel",
    "sampler_diagnostics",
    "target_stations",
    "transfer_inputs",
    "transfers_from_inputs",
    "unique_names",
]
