"""The demo's election files are read as shipped, with their documented totals (PROVENANCE.md)."""

from __future__ import annotations

from collections import Counter

from circo.elections.demo import RESULTS, demo_file
from circo.elections.parsers import read_results


def test_demo_ships_both_rounds_of_its_territory() -> None:
    """The demo is one territory (Paris): both rounds of the présidentielle 2017, so that
    comparing two rounds and vote transfers work on real bureaux."""
    rounds = Counter(key for _, key, _ in RESULTS)
    assert rounds["pres-2017"] == 2
    assert all("paris" in name for name, _, _ in RESULTS)


def test_lyon_2022_first_round_is_the_documented_slice() -> None:
    parser = read_results(demo_file("pres2022_t1_lyon69123_mi.csv.gz"))
    stations = list(parser)
    assert parser.warnings == []
    assert parser.info.layout == "blocks"
    assert len(stations) == len({s.station_key for s in stations}) == 305
    assert {s.station_key[:6] for s in stations} == {"69123_"}
    assert {s.constituency_code for s in stations} == {"69-01", "69-02", "69-03", "69-04"}
    assert sum(s.registered or 0 for s in stations) == 292668
    assert sum(s.voters or 0 for s in stations) == 239843
    assert sum(s.valid_votes or 0 for s in stations) == 236228
    votes: Counter[str] = Counter()
    for station in stations:
        blank, null = station.blank or 0, station.null_votes or 0
        assert station.voters == (station.valid_votes or 0) + blank + null
        for candidate in station.candidates:
            votes[candidate.name] += candidate.votes
    assert len(votes) == 12
    assert votes["Emmanuel MACRON"] == 75199
    assert votes["Jean-Luc MÉLENCHON"] == 73367
    assert sum(votes.values()) == 236228
