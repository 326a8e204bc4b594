"""Transfers, targeting scores and diagnostics."""

from __future__ import annotations

import numpy as np
import pytest

from circo.analysis import EIInputError
from circo.analysis.diagnostics import residuals, tomography_lines
from circo.analysis.targeting import (
    HIGH_ABSTENTION_FAVOURABLE,
    TargetingParams,
    TargetingWeights,
    score_polling_stations,
)
from circo.analysis.transfers import drop_option, electorate_table, transfer_counts


def test_electorate_table_adds_blank_null_abstention() -> None:
    votes = np.array([[100.0, 80.0], [50.0, 60.0]])
    table, names = electorate_table(
        votes,
        registered=[300, 200],
        candidate_names=["A", "B"],
        blank=[5, 3],
        null_votes=[2, 1],
    )
    assert names == ["A", "B", "blank", "null_votes", "abstention"]
    np.testing.assert_allclose(table.sum(axis=1), [300, 200])
    assert table[0, -1] == 113


def test_electorate_table_rejects_more_ballots_than_registered() -> None:
    with pytest.raises(EIInputError, match=r"unit 1 \('0002'\)"):
        electorate_table(
            np.array([[10.0, 10.0], [50.0, 60.0]]),
            registered=[30, 100],
            candidate_names=["A", "B"],
            unit_names=["0001", "0002"],
        )


def test_transfer_helpers() -> None:
    shares = np.array([[0.7, 0.2, 0.1], [0.1, 0.5, 0.4]])
    np.testing.assert_allclose(transfer_counts(shares, [100, 50]), [[70, 20, 10], [5, 25, 20]])
    sub, names = drop_option(shares, ["A", "B", "abstention"], option="abstention")
    assert names == ["A", "B"]
    np.testing.assert_allclose(sub.sum(axis=1), 1.0)


def test_targeting_ranks_favourable_high_abstention_first() -> None:
    registered = np.array([1000.0, 1000.0, 1000.0])
    abstentions = np.array([420.0, 200.0, 450.0])
    votes = np.array([[230.0, 350.0], [400.0, 400.0], [60.0, 490.0]])
    result = score_polling_stations(
        registered,
        abstentions,
        votes,
        candidate=0,
        candidate_names=["Dupont", "Martin"],
        proximity=[0.0, 0.1],
        params=TargetingParams(weights=TargetingWeights(mobilisation=1, persuasion=0, doors=0)),
    )
    assert result.order[0] == 0
    assert HIGH_ABSTENTION_FAVOURABLE in result.reason_codes[0]
    assert result.reasons[0].startswith(
        "Forte abstention (42 %, tiers supérieur du territoire) dans un bureau favorable"
    )
    assert (result.votes_per_100_doors > 0).all()
    assert result.score.max() == pytest.approx(1.0)


def test_targeting_validates_counts() -> None:
    with pytest.raises(EIInputError, match="unit 1"):
        score_polling_stations([10, -1], [1, 1], np.ones((2, 2)), candidate=0)


def test_tomography_lines_lie_on_the_line() -> None:
    x = np.array([0.3, 0.8, 0.0])
    t = np.array([0.5, 0.4, 0.2])
    lines = tomography_lines(x, t)
    for i in range(2):
        for end in range(2):
            b, w = lines[i, end]
            assert b * x[i] + w * (1 - x[i]) == pytest.approx(t[i])
    assert np.isnan(lines[2]).all()


def test_residuals_zero_when_model_exact() -> None:
    shares = np.array([[0.8, 0.2], [0.3, 0.7]])
    groups = np.array([[100.0, 100.0], [50.0, 150.0]])
    cands = groups @ shares
    raw, standardised = residuals(groups, cands, shares)
    np.testing.assert_allclose(raw, 0.0, atol=1e-12)
    np.testing.assert_allclose(standardised, 0.0, atol=1e-6)


def test_targeting_reasons_follow_the_territory_distribution() -> None:
    """68 bureaux all above 35 % abstention (a real circonscription's level): only the upper
    third of the territory is "forte abstention", not 66 of 68."""
    rng = np.random.default_rng(4)
    registered = np.full(68, 1000.0)
    abstentions = rng.uniform(450, 650, 68).round()
    votes = np.column_stack([rng.uniform(50, 200, 68), rng.uniform(50, 200, 68)]).round()
    result = score_polling_stations(registered, abstentions, votes, candidate=0)
    high = [
        i
        for i, codes in enumerate(result.reason_codes)
        if any("HIGH_ABSTENTION" in c for c in codes)
    ]
    assert 18 <= len(high) <= 26
    assert min(result.abstention_rate[high]) >= result.abstention_threshold
    flat = score_polling_stations(registered, np.full(68, 500.0), votes, candidate=0)
    assert not any("HIGH_ABSTENTION" in code for codes in flat.reason_codes for code in codes)
