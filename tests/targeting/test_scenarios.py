"""Second-round rules (Code électoral) on real 2022 législatives results, and the Monte Carlo
run-off."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from circo.analysis.scenario import (
    LEGISLATIVES,
    MUNICIPALES,
    ScenarioError,
    qualify,
    seat_distribution,
    simulate_runoff,
)

EXCERPT = Path(__file__).parents[1] / "data" / "legislatives" / "lg22_t1_circo_excerpt.csv"

#: who stood in round 2 (19 June 2022) in these circonscriptions — see the PROVENANCE.md
ROUND_TWO_2022 = {
    "01_01": {"BRETON Xavier", "GUÉRAUD Sébastien"},  # nobody at 12.5 %: the two first
    "01_02": {"DAUBIÉ Romain", "LAPRAY Lumir"},  # one at 12.5 %: the runner-up may stand
    "01_05": {"ABAD Damien", "PISANI Florence"},
    "02_03": {"BRICOUT Jean-Louis", "HANSEN-CATTA Paul-Henry"},
    "04_02": {"CASTANER Christophe", "WALTER Léo"},  # both above 12.5 %
    "06_01": {"CIOTTI Eric", "MONETTI Graig"},
    "07_01": {"SAULIGNAC Hervé", "PORQUET Céline"},
    "07_02": {"DUSSOPT Olivier", "GOULOUZELLE Christophe"},
    "08_03": {"WARSMANN Jean-Luc", "LEMOINE David"},
    "10_01": {"GUITTON Jordan", "BESSON-MOREAU Grégory"},
}


def read_excerpt(path: Path = EXCERPT) -> dict[str, tuple[float, float, dict[str, float]]]:
    rows = {}
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        code, registered, expressed, *candidates = line.split(";")
        votes = {}
        for field in candidates:
            name, _, count = field.split("|")
            votes[name] = float(count)
        rows[code] = (float(registered), float(expressed), votes)
    return rows


def test_the_rules_give_the_real_2022_round_two_ballots() -> None:
    rows = read_excerpt()
    assert set(rows) == set(ROUND_TWO_2022)
    for code, (registered, expressed, votes) in rows.items():
        assert sum(votes.values()) == expressed, code
        outcome = qualify(votes, registered=registered, rules=LEGISLATIVES)
        assert outcome.elected_first_round is None, code
        assert set(outcome.qualified) == ROUND_TWO_2022[code], code
    # the runner-up rule and the two-first rule are both exercised by real cases
    assert "L162" in qualify(rows["01_01"][2], registered=rows["01_01"][0]).reason


def test_first_round_election_needs_a_quarter_of_registered_voters() -> None:
    # absolute majority of expressed votes but 24 % of registered: no election (L126)
    low_turnout = qualify({"A": 2400, "B": 1500, "C": 500}, registered=10_000)
    assert low_turnout.elected_first_round is None
    assert low_turnout.qualified == ["A", "B"]  # B 15 % ≥ 12.5 %, C 5 % below
    elected = qualify({"A": 2600, "B": 1500, "C": 500}, registered=10_000)
    assert elected.elected_first_round == "A"
    assert elected.qualified == []
    # a three-way run-off: three candidates at 12.5 % of registered or more
    three = qualify({"A": 3000, "B": 2600, "C": 1300, "D": 800}, registered=10_000)
    assert three.qualified == ["A", "B", "C"]


def test_municipales_rules_ten_and_five_percent_of_expressed() -> None:
    outcome = qualify(
        {"L1": 4000, "L2": 3000, "L3": 1100, "L4": 700, "L5": 200},
        registered=20_000,
        rules=MUNICIPALES,
    )
    assert outcome.qualified == ["L1", "L2", "L3"]  # ≥ 10 % of 9 000 expressed (L264)
    assert outcome.may_merge == ["L4"]  # ≥ 5 %: may merge into a qualified list
    # an absolute majority of expressed votes wins with no registered-voters condition (L262)
    assert (
        qualify({"L1": 600, "L2": 400}, registered=20_000, rules=MUNICIPALES).elected_first_round
        == "L1"
    )


def test_bad_numbers_are_refused() -> None:
    with pytest.raises(ScenarioError, match="inscrits"):
        qualify({"A": 1}, registered=0)
    with pytest.raises(ScenarioError, match="négatives"):
        qualify({"A": -1, "B": 3}, registered=10)


def test_runoff_monte_carlo_follows_transfers_withdrawals_and_turnout() -> None:
    rows = ["A", "B", "C", "Abstention"]
    columns = ["A", "B", "C", "Abstention"]
    shares = np.array(
        [
            [0.9, 0.02, 0.02, 0.06],
            [0.05, 0.85, 0.05, 0.05],
            [0.2, 0.5, 0.2, 0.1],
            [0.05, 0.05, 0.0, 0.9],
        ]
    )
    intervals = np.stack([np.clip(shares - 0.05, 0, 1), np.clip(shares + 0.05, 0, 1)], axis=-1)
    first = {"A": 4000.0, "B": 3500.0, "C": 2500.0, "Abstention": 6000.0}
    duel = simulate_runoff(
        first,
        standing=["A", "B"],
        shares=shares,
        intervals=intervals,
        row_names=rows,
        column_names=columns,
        draws=2000,
        seed=1,
    )
    assert sum(duel.win_probability.values()) == pytest.approx(1.0)
    assert duel.win_probability["B"] > 0.5  # C's voters lean to B once C withdraws
    same = simulate_runoff(
        first,
        standing=["A", "B"],
        shares=shares,
        intervals=intervals,
        row_names=rows,
        column_names=columns,
        draws=2000,
        seed=1,
    )
    assert same.win_probability == duel.win_probability  # the seed is recorded: reproducible
    triangular = simulate_runoff(
        first,
        standing=["A", "B", "C"],
        shares=shares,
        intervals=intervals,
        row_names=rows,
        column_names=columns,
        draws=2000,
        seed=1,
    )
    assert triangular.win_probability["A"] > duel.win_probability["A"]  # B and C split
    with pytest.raises(ScenarioError, match="D"):
        simulate_runoff(
            first,
            standing=["A", "D"],
            shares=shares,
            intervals=intervals,
            row_names=rows,
            column_names=columns,
        )
    seats = seat_distribution([{"A": 1.0}, {"A": 0.5, "B": 0.5}], {"A": "X", "B": "Y"})
    assert seats["X"]["expected"] == pytest.approx(1.5)
    assert seats["X"]["low"] == 1
    assert seats["X"]["high"] == 2


EXCERPT_2024 = EXCERPT.with_name("lg24_t1_circo_excerpt.csv")
#: 2024 round 1: elected (the Ministry's ``elu_e``) or qualified at 12.5 % of registered (L162),
#: threshold = 0.125 × registered — see PROVENANCE.md
OUTCOME_2024: dict[str, tuple[str | None, set[str]]] = {
    "01_01": (None, {"MAÎTRE Christophe", "BRETON Xavier", "GUERAUD Sébastien"}),  # ≥ 10 855.4
    "01_02": (None, {"KOTARAC Andréa", "DAUBIÉ Romain", "MEYER Maxime"}),  # ≥ 12 734.25
    "01_03": (None, {"GIVERNET Olga", "DUBARRY Karine", "JOLIE Christian"}),  # ≥ 10 516.25
    "01_04": (None, {"BUISSON Jérôme", "COQUELET Christophe", "LIOTIER Charline"}),  # ≥ 12 014.9
    "01_05": (None, {"CHAVENT Marc", "PISANI Florence"}),  # ABAD 9 651 < 9 737.5: out by 87
    "02_01": ("DRAGON Nicolas", set()),  # 54.5 % of expressed, 34.4 % of registered
    "02_02": (None, {"TORRE Philippe", "DIVE Julien"}),  # ≥ 9 145.6
    "02_03": ("CASTERMAN Eddy", set()),
    "02_04": ("BEAURAIN José", set()),
    "03_01": (None, {"THÈS Anne-Marie", "MONNET Yannick"}),  # ≥ 11 068.4
    "03_02": (None, {"BOVET Jorys", "HERITIER Louise", "LEFEBVRE Romain"}),  # 10 204 ≥ 9 984.6
    "03_03": (None, {"RAY Nicolas", "QUENEY Rémy", "JEUDI Aline"}),  # ≥ 10 008.5
    "04_01": (None, {"GIRARD Christian", "BLANC Felix", "GAUVAN Benoit"}),  # 8 132 ≥ 7 684.1
}


def test_the_rules_give_the_real_2024_first_round_outcomes() -> None:
    """Three-way run-offs, a near miss at 12.5 %, and three elected in round 1 (2024)."""
    rows = read_excerpt(EXCERPT_2024)
    assert set(rows) == set(OUTCOME_2024)
    for code, (registered, expressed, votes) in rows.items():
        assert sum(votes.values()) == expressed, code
        outcome = qualify(votes, registered=registered, rules=LEGISLATIVES)
        elected, qualified = OUTCOME_2024[code]
        assert outcome.elected_first_round == elected, code
        assert set(outcome.qualified) == qualified, code
    assert sum(len(q) == 3 for _, q in OUTCOME_2024.values()) == 7  # triangulaires


def test_transfers_are_matched_by_nuance_when_the_names_differ() -> None:
    """Transfers estimated on another election (other names): each candidate stands for their
    nuance; a nuance's rows are averaged by their voters, its columns summed; round-1 options
    with no row are listed, never silently dropped."""
    from circo.targeting.scenarios import Transfers, match_transfers

    rows = ["A1", "A2", "B1", "C1", "Abstention"]
    columns = ["A9", "B9", "Abstention"]
    shares = np.array(
        [
            [0.8, 0.1, 0.1],
            [0.6, 0.2, 0.2],
            [0.1, 0.7, 0.2],
            [0.3, 0.3, 0.4],
            [0.05, 0.05, 0.9],
        ]
    )
    transfers = Transfers(
        rows,
        columns,
        shares,
        np.stack([shares - 0.05, shares + 0.05], axis=-1).clip(0, 1),
        row_labels={"A1": "ENS", "A2": "ENS", "B1": "RN", "C1": "DIV"},
        column_labels={"A9": "ENS", "B9": "RN"},
        row_totals=np.array([300.0, 100.0, 200.0, 50.0, 500.0]),
    )
    # names present: matched by name, exactly the file's matrix
    same = match_transfers(
        transfers,
        first_round={"A1": 10.0, "B1": 5.0, "Abstention": 3.0},
        party={"A1": "ENS", "B1": "RN"},
        standing=["A9", "B9"],
    )
    assert same.by == "name"
    assert same.unmatched == []
    # another election: Dupont (ENS) and Durand (RN) stand; Martin (ECO) has no row anywhere
    other = match_transfers(
        transfers,
        first_round={"Dupont": 100.0, "Durand": 80.0, "Martin": 20.0, "Abstention": 50.0},
        party={"Dupont": "ENS", "Durand": "RN", "Martin": "ECO"},
        standing=["Dupont", "Durand"],
    )
    assert other.by == "nuance"
    assert other.unmatched == ["Martin"]
    assert other.standing == {"Dupont": "ENS", "Durand": "RN"}
    assert other.first_round == {"ENS": 100.0, "RN": 80.0, "Abstention": 50.0}
    ens = other.rows.index("ENS")
    # ENS row = voter-weighted mean of A1 (300) and A2 (100)
    assert other.shares[ens, other.columns.index("ENS")] == pytest.approx(0.75)
    assert other.shares[ens].sum() == pytest.approx(1.0)
    # a round-2 candidate whose nuance has no column is an error naming them
    with pytest.raises(ScenarioError, match="Martin"):
        match_transfers(
            transfers,
            first_round={"Dupont": 1.0, "Martin": 1.0},
            party={"Dupont": "ENS", "Martin": "ECO"},
            standing=["Dupont", "Martin"],
        )
    # a file without nuances cannot be matched by nuance: said so
    bare = Transfers(rows, columns, shares, transfers.intervals)
    with pytest.raises(ScenarioError, match="nuances"):
        match_transfers(
            bare, first_round={"Dupont": 1.0}, party={"Dupont": "ENS"}, standing=["Dupont"]
        )
