"""Bulk path of the results import: indexes set aside and put back, atomicity of the index DDL,
and the parser's compact stream (the import's input) against its full stream."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.elections import bulk
from circo.elections.bulk import BULK_TABLES, bulk_insert, secondary_indexes
from circo.elections.errors import ImportFailed
from circo.elections.importing import import_results
from circo.elections.models import Candidate, CandidateVotes, Election, StationResult, Territory
from circo.elections.parsers import ParseError, read_results
from circo.elections.service import territory_results
from tests.elections.sample_files import cut_rhone

DATA = Path(__file__).parent / "data"
RESULT_FILES = [
    "pr17_t1_ministry_latin1.txt",
    "pr17_t1_bronze_head.csv",
    "pr17_t1_aktiur_large.csv",
    "leg17_t1_nuance_bom.csv",
    "leg24_t2_numbered.csv",
    "mun14_t1_blancs_nuls_latin1.txt",
    "eur19_lists_cp1252.txt",
    "pr12_long_both_rounds_latin1.txt",
]


def _counts(session: Session) -> tuple[int, ...]:
    models = (Election, StationResult, Candidate, CandidateVotes)
    return tuple(session.scalar(select(func.count()).select_from(m)) or 0 for m in models)


@pytest.fixture
def lyon_t1(tmp_path: Path) -> Path:
    return cut_rhone(tmp_path, round_number=1)


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 50 bureaux, so that a 294-bureau file is written in several chunks."""
    monkeypatch.setattr(bulk, "CHUNK_STATIONS", 50)


def _break_line(source: Path, target: Path, *, line: int, column: int, value: str) -> Path:
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    cells = lines[line - 1].split(";")
    cells[column] = value
    lines[line - 1] = ";".join(cells)
    target.write_text("".join(lines), encoding="utf-8")
    return target


@pytest.mark.usefixtures("small_chunks")
def test_large_import_sets_indexes_aside_and_puts_them_back(
    session: Session, lyon_t1: Path, backend: str
) -> None:
    before = secondary_indexes(session, BULK_TABLES)
    assert {name for name, _ in before} >= {
        "ix_el_station_results_dep",
        "ix_el_station_results_station",
    }
    during: list[int] = []

    def look(line: int) -> None:
        if line == 200:
            during.append(len(secondary_indexes(session, BULK_TABLES)))

    report = import_results(
        session, path=lyon_t1, key="pres-2017", round_number=1, on_progress=look
    )
    session.commit()
    # SQLite: set aside while the rows went in; PostgreSQL keeps them (no table lock).
    assert during == ([0] if backend == "sqlite" else [len(before)])
    assert secondary_indexes(session, BULK_TABLES) == before
    assert report.stations == 294
    assert report.votes_rows == 294 * 11
    lyon = territory_results(session, territory="com:69123", key="pres-2017", round_number=1)
    assert lyon.registered == 296_496


@pytest.mark.usefixtures("small_chunks")
def test_failed_import_leaves_indexes_and_rows_as_they_were(
    session: Session, lyon_t1: Path, tmp_path: Path
) -> None:
    import_results(session, path=lyon_t1, key="pres-2017", round_number=1)
    session.commit()
    before = (_counts(session), secondary_indexes(session, BULK_TABLES))
    # Line 201: after four chunks went in with the indexes dropped (the old round deleted).
    broken = _break_line(lyon_t1, tmp_path / "broken.csv", line=201, column=10, value="12a")
    with pytest.raises(ImportFailed) as caught:
        import_results(session, path=broken, key="pres-2017", round_number=1)
    session.rollback()
    assert caught.value.loc == "broken.csv, ligne 201, colonne Votants"
    assert (_counts(session), secondary_indexes(session, BULK_TABLES)) == before
    again = territory_results(session, territory="com:69123", key="pres-2017", round_number=1)
    assert again.registered == 296_496


@pytest.mark.usefixtures("small_chunks")
def test_small_file_into_a_larger_database_keeps_its_indexes(
    session: Session, lyon_t1: Path, tmp_path: Path
) -> None:
    import_results(session, path=lyon_t1, key="pres-2017", round_number=1)
    session.commit()
    lines = lyon_t1.read_text(encoding="utf-8").splitlines(keepends=True)
    small = tmp_path / "small.csv"
    small.write_text("".join(lines[:101]), encoding="utf-8")
    present: list[int] = []

    def look(line: int) -> None:
        if line == 80:
            present.append(len(secondary_indexes(session, BULK_TABLES)))

    import_results(session, path=small, key="pres-2017-lyon", round_number=1, on_progress=look)
    session.commit()
    assert present == [len(secondary_indexes(session, BULK_TABLES))]
    assert present[0] > 0
    assert _counts(session) == (2, 294 + 100, 22, (294 + 100) * 11)


def test_bad_votes_after_the_ballot_is_known_name_line_and_block(
    session: Session, lyon_t1: Path, tmp_path: Path
) -> None:
    # Line 5: the candidates of its row are already known, so its votes take the fast path.
    # Column 21 + 7 × 2 + 4: the « Voix » of the third block.
    broken = _break_line(lyon_t1, tmp_path / "votes.csv", line=5, column=39, value="1 2x")
    with pytest.raises(ImportFailed) as caught:
        import_results(session, path=broken, key="pres-2017", round_number=1)
    session.rollback()
    assert caught.value.loc == "votes.csv, ligne 5, colonne Voix_3"
    assert "1 2x" in caught.value.message
    assert _counts(session) == (0, 0, 0, 0)


@pytest.mark.parametrize("count", [1, 166, 167, 500])
def test_bulk_insert_writes_every_row_once(session: Session, count: int) -> None:
    # 6 columns: 166 rows per multi-row statement on SQLite, so these counts hit its edges.
    columns = ("key", "level", "code", "name", "parent_key", "department_code")
    rows = [(f"bv:T{n:05d}", "bv", f"T{n:05d}", f"n{n}", None, None) for n in range(count)]
    bulk_insert(session, "el_territories", columns, rows[: count // 2 + 1])
    bulk_insert(session, "el_territories", columns, rows, skip_existing=True)
    written = session.execute(
        select(Territory.key, Territory.name)
        .where(Territory.code.like("T%"))
        .order_by(Territory.key)
    ).all()
    session.rollback()
    assert [tuple(row) for row in written] == [(key, name) for key, _, _, name, _, _ in rows]


@pytest.mark.parametrize(
    "names",
    [
        ["Saint-Étienne", "L'Haÿ-les-Roses", "", "N° 12"],  # nothing to escape
        ["tab\there", "line\nbreak", "back\\slash", "\\N", "cr\rlf", "plain"],
    ],
    ids=["plain", "escaped"],
)
def test_bulk_insert_keeps_every_character_of_the_text(session: Session, names: list[str]) -> None:
    # PostgreSQL's COPY text: a chunk without backslash, tab or line break is joined as it is,
    # any other is escaped value by value; both must read back exactly, NULL kept apart from
    # the two characters \\N.
    columns = ("key", "level", "code", "name", "parent_key", "department_code")
    rows = [(f"bv:E{n:05d}", "bv", f"E{n:05d}", name, None, "69") for n, name in enumerate(names)]
    bulk_insert(session, "el_territories", columns, rows)
    written = session.execute(
        select(Territory.key, Territory.name, Territory.parent_key, Territory.department_code)
        .where(Territory.code.like("E%"))
        .order_by(Territory.key)
    ).all()
    session.rollback()
    assert [tuple(row) for row in written] == [
        (k, name, None, "69") for k, _, _, name, _, _ in rows
    ]


@pytest.mark.parametrize("name", RESULT_FILES)
def test_compact_stream_carries_what_the_full_stream_does(name: str) -> None:
    full = list(read_results(DATA / name))
    parser = read_results(DATA / name)
    compact = list(parser.compact())
    assert [c.station.station_key for c in compact] == [s.station_key for s in full]
    for record, station in zip(compact, full, strict=True):
        ballot = parser.ballots[record.ballot]
        pairs = zip(ballot, record.votes, strict=True)
        assert [(*identity, votes) for identity, votes in pairs] == [
            (
                c.panel_number, c.name, c.first_name, c.last_name, c.sex, c.label, c.list_name,
                c.list_full_name, c.head_of_list, c.votes,
            )
            for c in station.candidates
        ]  # fmt: skip
        assert record.station.valid_votes == station.valid_votes
        assert record.station.null_votes == station.null_votes


def test_ballots_are_shared_by_rows_naming_the_same_candidates() -> None:
    parser = read_results(DATA / "pr17_t1_ministry_latin1.txt")
    records = list(parser.compact())
    assert len(records) > 1
    assert {record.ballot for record in records} == {0}
    assert [identity.last_name for identity in parser.ballots[0]][:2] == [
        "DUPONT-AIGNAN",
        "LE PEN",
    ]


def test_bad_votes_in_the_parser_fast_path(tmp_path: Path) -> None:
    source = DATA / "pr17_t1_ministry_latin1.txt"
    lines = source.read_text(encoding="latin-1").splitlines(keepends=True)
    cells = lines[3].split(";")
    votes_column = 21 + 4  # « Voix » of the first block
    cells[votes_column] = "dix"
    lines[3] = ";".join(cells)
    broken = tmp_path / "broken.txt"
    broken.write_text("".join(lines), encoding="latin-1")
    with pytest.raises(ParseError) as caught:
        list(read_results(broken).compact())
    assert (caught.value.line, caught.value.column) == (4, "Voix")


@pytest.mark.usefixtures("small_chunks")
def test_national_sums_kept_on_the_candidates_are_the_vote_rows_sums(
    session: Session, lyon_t1: Path, tmp_path: Path
) -> None:
    """`Candidate.total_votes` (what the whole-country results read) is the sum of the
    candidate's vote rows, after a first import and after the round is replaced."""

    def rows_sums() -> dict[str, int]:
        query = (
            select(Candidate.name, func.sum(CandidateVotes.votes))
            .join(CandidateVotes, CandidateVotes.candidate_id == Candidate.id)
            .group_by(Candidate.name)
        )
        return {name: int(votes) for name, votes in session.execute(query)}

    def national() -> dict[str, int]:
        found = territory_results(session, territory="fr", key="pres-2017", round_number=1)
        return {candidate.name: candidate.votes for candidate in found.candidates}

    import_results(session, path=lyon_t1, key="pres-2017", round_number=1)
    session.commit()
    first = national()
    assert first == rows_sums()
    assert len(first) == 11
    assert all(votes > 0 for votes in first.values())
    # the same round again from a file with fewer bureaux: the totals follow the new rows
    lines = lyon_t1.read_text(encoding="utf-8").splitlines(keepends=True)
    smaller = tmp_path / "smaller.csv"
    smaller.write_text("".join(lines[:101]), encoding="utf-8")
    import_results(session, path=smaller, key="pres-2017", round_number=1)
    session.commit()
    second = national()
    assert second == rows_sums()
    assert sum(second.values()) < sum(first.values())
