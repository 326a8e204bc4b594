"""How a round's votes are stored: one row per candidate and bureau with no secondary index
(``WITHOUT ROWID`` on SQLite), the national sums kept on the candidate (``total_votes``).

A database migrated from before that change (``elections_0004``) keeps every vote and gets
each candidate's total; national and territory results read the same figures both ways."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text

from circo.db import alembic_config, create_schema, make_engine, upgrade
from tests.conftest import _admin_execute, _pg_state, _pg_url

BEFORE = "elections_0004_territory_source"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'votes.db'}")
        yield engine
        engine.dispose()
        return
    if _pg_state.get("reason"):
        pytest.skip(f"PostgreSQL unavailable: {_pg_state['reason']}")
    name = f"circo_votes_{uuid.uuid4().hex[:10]}"
    _admin_execute(f'CREATE DATABASE "{name}"')
    engine = make_engine(_pg_url(name))
    try:
        yield engine
    finally:
        engine.dispose()
        _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _votes_table_sql(engine: Engine) -> str:
    with engine.connect() as connection:
        return str(
            connection.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'el_candidate_votes'")
            ).scalar_one()
        )


def _seed_round(engine: Engine) -> None:
    """Two bureaux, three candidates: A 10 + 5, B 7 + 0, C 3 + 4 (in the pre-0005 schema)."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO el_elections (id, key, round, election_type, year, name, "
                "source_file, source_format, stations, warnings, imported_at) VALUES "
                "(41, 'pres-2017', 1, 'presidentielle', 2017, 'P', 'f.csv', 'wide', 2, 0, "
                "'2026-12-03 10:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO el_candidates (id, election_id, name, first_name, last_name, "
                "list_name, sex) VALUES (501, 41, 'A', '', 'A', '', ''), "
                "(502, 41, 'B', '', 'B', '', ''), (503, 41, 'C', '', 'C', '', '')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO el_station_results (id, election_id, station_key, department_code, "
                "commune_code, registered, voters, abstentions, blank, null_votes, valid_votes) "
                "VALUES (7001, 41, '69123_0101', '69', '69123', 40, 30, 10, 1, 0, 29), "
                "(7002, 41, '69001_0001', '69', '69001', 12, 10, 2, 0, 1, 9)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO el_candidate_votes (station_result_id, candidate_id, election_id, "
                "votes) VALUES (7001, 501, 41, 10), (7001, 502, 41, 7), (7001, 503, 41, 3), "
                "(7002, 501, 41, 5), (7002, 502, 41, 0), (7002, 503, 41, 4)"
            )
        )


def test_a_database_from_before_keeps_its_votes_and_gets_the_totals(
    empty_engine: Engine,
) -> None:
    command.upgrade(alembic_config(empty_engine), BEFORE)
    assert "ix_el_candidate_votes_election" in {
        index["name"] for index in inspect(empty_engine).get_indexes("el_candidate_votes")
    }
    _seed_round(empty_engine)
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        totals = dict(connection.execute(text("SELECT name, total_votes FROM el_candidates")).all())
        votes = connection.execute(
            text(
                "SELECT station_result_id, candidate_id, election_id, votes "
                "FROM el_candidate_votes ORDER BY station_result_id, candidate_id"
            )
        ).all()
    assert totals == {"A": 15, "B": 7, "C": 7}
    assert [tuple(row) for row in votes] == [
        (7001, 501, 41, 10), (7001, 502, 41, 7), (7001, 503, 41, 3),
        (7002, 501, 41, 5), (7002, 502, 41, 0), (7002, 503, 41, 4),
    ]  # fmt: skip
    found = inspect(empty_engine)
    assert found.get_indexes("el_candidate_votes") == []
    # no key to the candidates (a scan of all votes per deleted candidate on SQLite)
    assert {key["referred_table"] for key in found.get_foreign_keys("el_candidate_votes")} == {
        "el_station_results",
        "el_elections",
    }
    assert found.get_pk_constraint("el_candidate_votes")["constrained_columns"] == [
        "station_result_id",
        "candidate_id",
    ]
    if empty_engine.dialect.name == "sqlite":
        assert _votes_table_sql(empty_engine).rstrip().endswith("WITHOUT ROWID")
        # the old table's foreign keys came along: a vote for an unknown bureau is refused
        with pytest.raises(Exception, match="FOREIGN KEY"), empty_engine.begin() as connection:
            connection.execute(text("INSERT INTO el_candidate_votes VALUES (9999, 501, 41, 1)"))


def test_a_new_sqlite_database_stores_votes_without_rowid(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    try:
        create_schema(engine)
        assert _votes_table_sql(engine).rstrip().endswith("WITHOUT ROWID")
        assert inspect(engine).get_indexes("el_candidate_votes") == []
    finally:
        engine.dispose()
