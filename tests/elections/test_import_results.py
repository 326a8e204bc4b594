"""Import of Ministry results: contract of the totals, atomicity, idempotency, levels."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.elections.errors import ImportFailed, TerritoryNotFound
from circo.elections.importing import import_results
from circo.elections.models import Candidate, CandidateVotes, Election, StationResult
from circo.elections.service import evolution, territory_results
from tests.elections.sample_files import LYON, candidate_votes, cut_rhone, file_totals


def _counts(session: Session) -> tuple[int, int, int, int]:
    return (
        session.scalar(select(func.count()).select_from(Election)) or 0,
        session.scalar(select(func.count()).select_from(StationResult)) or 0,
        session.scalar(select(func.count()).select_from(Candidate)) or 0,
        session.scalar(select(func.count()).select_from(CandidateVotes)) or 0,
    )


@pytest.fixture
def lyon_t1(tmp_path: Path) -> Path:
    return cut_rhone(tmp_path, round_number=1)


def test_lyon_totals_match_the_file(session: Session, lyon_t1: Path) -> None:
    report = import_results(session, path=lyon_t1, key="pres-2017", round_number=1)
    session.commit()
    expected = file_totals(lyon_t1)
    # Hand check (awk on the Ministry file): 294 bureaux, 296 496 inscrits, 234 507 exprimés.
    assert expected["registered"] == 296_496
    assert report.stations == 294
    assert report.warning_count == 0
    results = territory_results(session, territory="com:69123", key="pres-2017", round_number=1)
    payload = results.as_dict()
    assert list(payload) == [
        "territory", "election", "round", "registered", "voters", "abstentions", "blank",
        "null_votes", "blank_and_null", "valid_votes", "stations", "candidates",
    ]  # fmt: skip
    assert payload["territory"] == "com:69123"
    assert payload["stations"] == expected["stations"] == 294
    assert payload["registered"] == expected["registered"]
    assert payload["voters"] == expected["voters"] == 238_259
    assert payload["abstentions"] == expected["registered"] - expected["voters"]
    assert payload["blank"] == expected["blank"] == 2_804
    assert payload["null_votes"] == expected["null_votes"] == 948
    assert payload["blank_and_null"] == 2_804 + 948
    assert payload["valid_votes"] == expected["valid"] == 234_507
    first = payload["candidates"][0]
    assert first == {
        "name": "Emmanuel MACRON",
        "label": None,
        "votes": 71_068,
        "share_valid": 71_068 / 234_507,
    }
    assert first["votes"] == candidate_votes(lyon_t1, "MACRON")
    votes = [c["votes"] for c in payload["candidates"]]
    assert votes == sorted(votes, reverse=True)
    assert sum(votes) == payload["valid_votes"]
    assert len(payload["candidates"]) == 11


def test_territory_levels_add_up(session: Session, lyon_t1: Path) -> None:
    import_results(session, path=lyon_t1, key="pres-2017", round_number=1)
    session.commit()
    by_level = {
        key: territory_results(session, territory=key, key="pres-2017", round_number=1)
        for key in ("fr", "reg:84", "dep:69", "com:69123")
    }
    assert {r.registered for r in by_level.values()} == {296_496}
    arrondissements = [
        territory_results(session, territory=f"arr:{code}", key="pres-2017", round_number=1)
        for code in range(69381, 69390)
    ]
    assert sum(r.registered for r in arrondissements) == 296_496
    assert sum(r.stations for r in arrondissements) == 294
    station = territory_results(session, territory="bv:69123_101", key="pres-2017", round_number=1)
    assert station.territory == "bv:69123_0101"
    assert station.stations == 1
    circ = territory_results(session, territory="circ:69-1", key="pres-2017", round_number=1)
    assert circ.territory == "circ:69-01"
    assert 0 < circ.registered < 296_496
    with pytest.raises(TerritoryNotFound):
        territory_results(session, territory="dep:75", key="pres-2017", round_number=1)


def test_malformed_file_fails_with_location_and_changes_nothing(
    session: Session, lyon_t1: Path, tmp_path: Path
) -> None:
    import_results(session, path=lyon_t1, key="pres-2017", round_number=1)
    session.commit()
    before = _counts(session)
    lines = lyon_t1.read_text(encoding="utf-8").splitlines(keepends=True)
    cells = lines[200].split(";")
    cells[10] = "12a"  # Votants
    lines[200] = ";".join(cells)
    broken = tmp_path / "broken.csv"
    broken.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(ImportFailed) as caught:
        import_results(session, path=broken, key="pres-2017", round_number=1)
    session.rollback()
    assert caught.value.loc is not None
    assert "broken.csv" in caught.value.loc
    assert "ligne 201" in caught.value.loc
    assert "Votants" in caught.value.loc
    assert _counts(session) == before
    again = territory_results(session, territory="com:69123", key="pres-2017", round_number=1)
    assert again.registered == 296_496


def test_truncated_file_fails_and_changes_nothing(
    session: Session, lyon_t1: Path, tmp_path: Path
) -> None:
    text = lyon_t1.read_text(encoding="utf-8")
    truncated = tmp_path / "truncated.csv"
    truncated.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(ImportFailed) as caught:
        import_results(session, path=truncated, key="pres-2017", round_number=1)
    session.rollback()
    assert "truncated.csv" in str(caught.value)
    assert _counts(session) == (0, 0, 0, 0)


def test_reimport_replaces_the_same_round(session: Session, lyon_t1: Path) -> None:
    import_results(session, path=lyon_t1, key="pres-2017", round_number=1)
    session.commit()
    first = _counts(session)
    report = import_results(session, path=lyon_t1, key="pres-2017", round_number=1)
    session.commit()
    assert report.replaced
    assert _counts(session) == first == (1, 294, 11, 294 * 11)


def test_evolution_lists_unmatched_bureaux(session: Session, lyon_t1: Path, tmp_path: Path) -> None:
    t2 = cut_rhone(tmp_path, round_number=2)
    lines = t2.read_text(encoding="utf-8").splitlines(keepends=True)
    dropped = [line.split(";")[6] for line in lines[1:3]]
    t2.write_text(lines[0] + "".join(lines[3:]), encoding="utf-8")
    import_results(session, path=lyon_t1, key="pres-2017", round_number=1)
    import_results(session, path=t2, key="pres-2017", round_number=2)
    session.commit()
    change = evolution(session, territory="com:69123", a=("pres-2017", 1), b=("pres-2017", 2))
    assert change.matched == 292
    assert change.only_in_a == sorted(f"69123_{code}" for code in dropped)
    assert change.only_in_b == []
    assert change.totals_a["registered"] < 296_496
    assert set(change.shares_b) == {"Emmanuel MACRON", "Marine LE PEN"}
    assert abs(sum(change.shares_b.values()) - 1) < 1e-9
    assert change.turnout_a is not None
    assert change.turnout_b is not None
    assert len(change.stations) == 292
    assert LYON == "123"
