"""Bulk writing of imported results: driver-level inserts, ids up front, indexes set aside.

Everything here runs inside the caller's transaction (it never commits), so an import stays all
in or all out — including the index DDL: SQLite and PostgreSQL both roll back ``DROP INDEX`` /
``CREATE INDEX`` with the rest of the transaction.

Why the indexes go away during a large import into SQLite: maintaining the secondary indexes of
``el_station_results`` row by row costs more than rebuilding them once, sorted, after the last
row. (``el_candidate_votes`` has none at all: its primary key starts with the bureau, and
national sums are kept on the candidates, see `circo.elections.models.CandidateVotes`.) The
rebuild sorts the whole table, other elections included, so it is only worth it while the file
brings at least as many bureaux as the tables already hold (a first national import, say); a
small file into a large database keeps its indexes. PostgreSQL keeps them: ``DROP INDEX`` would
lock the tables against every reader until the import commits; its time went to the foreign-key
triggers, which `TrustedRows` sets aside for the rows the import references itself, and
`reclaim_space` vacuums a replaced round's dead rows after the commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain, repeat
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

STATION_TABLE = "el_station_results"
VOTES_TABLE = "el_candidate_votes"
BULK_TABLES = (STATION_TABLE, VOTES_TABLE)
STATION_COLUMNS = (
    "id", "election_id", "station_key", "region_code", "department_code", "constituency_code",
    "commune_code", "arrondissement_code", "registered", "voters", "abstentions", "blank",
    "null_votes", "blank_and_null", "valid_votes", "source_line",
)  # fmt: skip
VOTE_COLUMNS = ("station_result_id", "candidate_id", "election_id", "votes")
CHUNK_STATIONS = 4000
# Bound parameters per SQLite statement: 999 is the limit of SQLite < 3.32, safe everywhere.
SQLITE_MAX_PARAMETERS = 999

StationRow = tuple[Any, ...]


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def bulk_insert(
    session: Session,
    table: str,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
    *,
    skip_existing: bool = False,
) -> None:
    """Insert tuples through the driver in the session's transaction: multi-row ``INSERT`` on
    SQLite, ``COPY … FROM STDIN`` on PostgreSQL (no per-row SQLAlchemy overhead).
    ``skip_existing``: rows whose key already exists are left out (``ON CONFLICT DO NOTHING``;
    on PostgreSQL a COPY into a temporary table, then one ``INSERT … SELECT … ON CONFLICT DO
    NOTHING`` — COPY itself cannot skip, and an ``executemany`` is one round trip per row)."""
    if not rows:
        return
    driver: Any = session.connection().connection.driver_connection
    names = ", ".join(columns)
    if is_postgres(session):
        with driver.cursor() as cursor:
            if not skip_existing:
                _copy(cursor, table, names, rows)
                return
            stage = f"circo_stage_{table}"
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{stage}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {stage} AS SELECT {names} FROM {table} WITH NO DATA"
            )
            _copy(cursor, stage, names, rows)
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} ON CONFLICT DO NOTHING"
            )
            cursor.execute(f"DROP TABLE {stage}")
        return
    _sqlite_insert(
        driver, table, columns, list(chain.from_iterable(rows)), skip_existing=skip_existing
    )


def bulk_insert_flat(
    session: Session, table: str, columns: Sequence[str], values: list[int]
) -> None:
    """`bulk_insert` of integer rows given flat (``len(columns)`` values per row, no ``None``):
    the parameters of each SQLite statement are a slice, the COPY text one ``%`` format."""
    if not values:
        return
    width = len(columns)
    names = ", ".join(columns)
    driver: Any = session.connection().connection.driver_connection
    if is_postgres(session):
        line = "\t".join(repeat("%d", width)) + "\n"
        with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            copy.write((line * (len(values) // width)) % tuple(values))
        return
    _sqlite_insert(driver, table, columns, values, skip_existing=False)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_SPECIAL = tuple(chr(code) for code in _COPY_ESCAPES)


def copy_text(rows: Sequence[tuple[Any, ...]]) -> str:
    """Rows in PostgreSQL COPY text format (tab-separated, ``\\N`` for null, escaped text).

    Built as one string per chunk: psycopg's ``write_row`` costs ≈ 2.5 µs of Python per row.
    Text needs escaping only when it holds a backslash, tab or line break: the chunk's strings
    are checked once (in C), and only a chunk with such a character has its strings escaped
    before the join — 2–3× faster than escaping every string of every chunk (a national file's
    bureaux and territories: ≈ 0.3 s of the import on PostgreSQL). The vote rows, all integers,
    take `bulk_insert_flat`'s single ``%`` format instead."""
    text_type = str
    strings = "".join([value for row in rows for value in row if type(value) is text_type])
    if any(char in strings for char in _COPY_SPECIAL):
        escapes = _COPY_ESCAPES
        rows = [
            tuple(value.translate(escapes) if type(value) is text_type else value for value in row)
            for row in rows
        ]
    return "".join(
        [
            "\t".join(["\\N" if value is None else str(value) for value in row]) + "\n"
            for row in rows
        ]
    )


def _copy(cursor: Any, table: str, names: str, rows: Sequence[tuple[Any, ...]]) -> None:
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        copy.write(copy_text(rows))


def _sqlite_insert(
    driver: Any, table: str, columns: Sequence[str], values: list[Any], *, skip_existing: bool
) -> None:
    """Rows given flat (``len(columns)`` values after one another) in multi-row ``INSERT …
    VALUES (…), (…), …`` statements of as many rows as `SQLITE_MAX_PARAMETERS` allows, each
    statement's parameters a slice of ``values``: SQLite's per-statement cost (reset, step) is
    then paid once per batch instead of once per row, ≈ 3× less CPU than a one-row
    ``executemany`` for a national file's vote rows."""
    width = len(columns)
    per_statement = max(1, SQLITE_MAX_PARAMETERS // width)
    one_row = "(" + ", ".join(repeat("?", width)) + ")"
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    suffix = " ON CONFLICT DO NOTHING" if skip_existing else ""
    step = per_statement * width
    full = len(values) - len(values) % step
    cursor = driver.cursor()
    try:
        if full:
            cursor.executemany(
                head + ", ".join(repeat(one_row, per_statement)) + suffix,
                (values[start : start + step] for start in range(0, full, step)),
            )
        if full < len(values):
            rest = (len(values) - full) // width
            cursor.execute(head + ", ".join(repeat(one_row, rest)) + suffix, values[full:])
    finally:
        cursor.close()


def secondary_indexes(session: Session, tables: Sequence[str]) -> list[tuple[str, str]]:
    """``(name, CREATE INDEX statement)`` of the indexes of ``tables`` that back no constraint
    (primary keys and unique constraints stay), read from the database's own catalogue so that
    exactly what exists is put back."""
    if is_postgres(session):
        found: list[tuple[str, str]] = []
        for table in tables:
            found += [
                (str(name), str(statement))
                for name, statement in session.execute(
                    text(
                        "SELECT c.relname, pg_get_indexdef(c.oid) FROM pg_index i "
                        "JOIN pg_class c ON c.oid = i.indexrelid "
                        "WHERE i.indrelid = CAST(:table AS regclass) AND NOT EXISTS "
                        "(SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) "
                        "ORDER BY c.relname"
                    ),
                    {"table": table},
                )
            ]
        return found
    marks = ", ".join(f":t{number}" for number in range(len(tables)))
    rows = session.execute(
        text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks}) ORDER BY name"
        ),
        {f"t{number}": table for number, table in enumerate(tables)},
    )
    return [(str(name), str(statement)) for name, statement in rows]


class SetAsideIndexes:
    """Drops the secondary indexes of the bulk tables and recreates them, in the transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.dropped: list[tuple[str, str]] = []

    def worth_it(self, expected_stations: float) -> bool:
        if is_postgres(self.session):
            return False
        existing = self.session.execute(text(f"SELECT COUNT(*) FROM {STATION_TABLE}")).scalar()
        return expected_stations >= int(existing or 0)

    def worth_it_before_delete(self, election_id: int, expected_lines: int) -> bool:
        """SQLite, replacing a round: set the indexes aside before its rows are deleted when
        that round is at least half of the tables and the file at least what stays. Deleting
        a national round's 761 662 vote rows costs 2.2 s CPU with the indexes, 0.6 s without;
        they are rebuilt after the last row anyway."""
        if is_postgres(self.session):
            return False
        total = int(
            self.session.execute(text(f"SELECT COUNT(*) FROM {STATION_TABLE}")).scalar() or 0
        )
        replaced = int(
            self.session.execute(
                text(f"SELECT COUNT(*) FROM {STATION_TABLE} WHERE election_id = :e"),
                {"e": election_id},
            ).scalar()
            or 0
        )
        remaining = total - replaced
        return replaced >= remaining and expected_lines >= remaining

    def drop(self) -> None:
        self.dropped = secondary_indexes(self.session, BULK_TABLES)
        for name, _ in self.dropped:
            self.session.execute(text(f'DROP INDEX "{name}"'))

    def restore(self) -> None:
        for _, statement in self.dropped:
            self.session.execute(text(statement))
        self.dropped = []


class TrustedRows:
    """PostgreSQL: the foreign-key triggers set aside while the import writes rows whose
    references it made itself, in this transaction (``SET LOCAL session_replication_role =
    replica``, then back to ``origin``).

    Why: on PostgreSQL a foreign key is checked by a trigger that runs one query per row — three
    per vote row (bureau, candidate, election). For a national file that is ≈ 2.3 M queries, most
    of the import's time (COPY of the 836 400 vote rows: 46 s with the checks, 9 s without,
    measured on this machine under load). Every reference written by the import points to a row
    that the same transaction inserted a moment before (the election, its candidates, the bureaux
    written in the chunk before their votes) and that no one else can see, let alone delete, until
    the commit: the checks cannot fail, so skipping them loses nothing. Unique and primary keys are
    indexes, not triggers: they are still enforced. The same applies to deleting a round's rows:
    `delete_election` deletes the children explicitly, so the ``ON DELETE CASCADE`` triggers (one
    query per deleted bureau, one scan of the votes per candidate) have nothing left to do.

    Only a superuser (or, on PostgreSQL ≥ 15, a role granted ``SET`` on the parameter) may change
    the setting; anyone else keeps the checks — slower, same result. The ``SET LOCAL`` ends with
    the transaction whatever happens (commit or rollback). SQLite: nothing (``PRAGMA
    foreign_keys`` cannot change inside a transaction)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.active = False
        self.allowed = is_postgres(session) and _may_set_replication_role(session)

    def __enter__(self) -> TrustedRows:
        if self.allowed:
            self.session.execute(text("SET LOCAL session_replication_role = replica"))
            self.active = True
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.active and exc_info[0] is None:
            self.session.execute(text("SET LOCAL session_replication_role = origin"))
        self.active = False


def _may_set_replication_role(session: Session) -> bool:
    """Whether the connected role may change ``session_replication_role`` (superuser, or
    ``GRANT SET ON PARAMETER`` on PostgreSQL ≥ 15)."""
    found = session.execute(
        text(
            "SELECT rolsuper OR (current_setting('server_version_num')::int >= 150000 AND "
            "has_parameter_privilege('session_replication_role', 'SET')) "
            "FROM pg_roles WHERE rolname = current_user"
        )
    ).scalar()
    return bool(found)


def reclaim_space(engine: Engine) -> None:
    """After the import's commit, on PostgreSQL: ``VACUUM (ANALYZE)`` of the results tables.

    A replaced round leaves its old rows dead (a delete only marks them); a vacuum right away
    makes their space reusable by the next import, so re-importing the same file does not grow
    the tables, and clears ``n_dead_tup``. It also marks the new pages all-visible (index-only
    scans of the bureaux' indexes) and refreshes the planner's statistics, which a bulk load
    otherwise leaves stale until autovacuum comes by. Runs outside any transaction (VACUUM
    cannot run in one), on its own connection; it takes no lock that stops readers or writers of
    other rows. After a first import only the statistics and the visibility map are at stake;
    the same statement does both. SQLite: nothing (deleted pages go to the free list and are
    reused by the next insert)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        tables = (STATION_TABLE, VOTES_TABLE, "el_candidates", "el_elections")
        connection.execute(text(f"VACUUM (ANALYZE) {', '.join(tables)}"))


class StationIds:
    """Primary keys of ``el_station_results`` handed out in blocks: from the sequence on
    PostgreSQL; on SQLite from MAX(id) (safe: the import holds SQLite's single write lock from
    its first statement)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.postgres = is_postgres(session)
        self.block: list[int] = []
        self.position = 0
        self.next_id = 0
        if not self.postgres:
            found = session.execute(text(f"SELECT MAX(id) FROM {STATION_TABLE}")).scalar()
            self.next_id = int(found or 0) + 1

    def take(self) -> int:
        if self.position == len(self.block):
            self.block = self._block(CHUNK_STATIONS)
            self.position = 0
        self.position += 1
        return self.block[self.position - 1]

    def _block(self, count: int) -> list[int]:
        if self.postgres:
            return list(
                self.session.execute(
                    text(
                        f"SELECT nextval(pg_get_serial_sequence('{STATION_TABLE}', 'id')) "
                        "FROM generate_series(1, :count)"
                    ),
                    {"count": count},
                ).scalars()
            )
        first = self.next_id
        self.next_id += count
        return list(range(first, first + count))


class ResultsWriter:
    """Buffers station and vote rows and writes them in chunks (stations first: the votes'
    foreign key needs them). Sets the indexes aside at the first chunk when ``expected_lines``
    (data lines of the file) says the import is large compared to what the tables hold."""

    def __init__(
        self,
        session: Session,
        *,
        expected_lines: int | None = None,
        indexes: SetAsideIndexes | None = None,
    ) -> None:
        self.session = session
        self.expected_lines = expected_lines
        self.ids = StationIds(session)
        self.trusted = TrustedRows(session)
        # ``indexes``: already set aside by the caller (before deleting a replaced round)
        self.indexes = indexes or SetAsideIndexes(session)
        self.stations: list[StationRow] = []
        # the vote rows flat, `VOTE_COLUMNS` after one another: no tuple per row, and SQLite's
        # multi-row statements take their parameters as slices of it
        self.votes: list[int] = []
        self.votes_rows = 0
        self.last_line = 1
        self.started = False

    def add(
        self, station: StationRow, election_id: int, candidate_ids: Sequence[int], votes: list[int]
    ) -> None:
        """``station`` in `STATION_COLUMNS` order (its id from `take_id`) and the votes of each
        of ``candidate_ids`` there."""
        self.stations.append(station)
        rows = [station[0], 0, election_id, 0] * len(votes)
        rows[1::4] = candidate_ids  # ValueError unless one id per vote count
        rows[3::4] = votes
        self.votes += rows
        self.last_line = station[-1]
        if len(self.stations) >= CHUNK_STATIONS:
            self.flush()

    def take_id(self) -> int:
        return self.ids.take()

    def flush(self) -> None:
        if not self.started:
            self.started = True
            self._prepare()
        with self.trusted:  # references made by this transaction (see `TrustedRows`)
            bulk_insert(self.session, STATION_TABLE, STATION_COLUMNS, self.stations)
            bulk_insert_flat(self.session, VOTES_TABLE, VOTE_COLUMNS, self.votes)
        self.votes_rows += len(self.votes) // len(VOTE_COLUMNS)
        self.stations = []
        self.votes = []

    def finish(self) -> None:
        """Write what is buffered and put the indexes back."""
        self.flush()
        self.indexes.restore()

    def _prepare(self) -> None:
        """Before the first chunk: set the indexes aside if the file is large enough."""
        if self.indexes.dropped:
            return
        if self.expected_lines and self.stations:
            lines_read = max(self.last_line - 1, 1)
            expected = len(self.stations) * max(self.expected_lines, lines_read) / lines_read
            if self.indexes.worth_it(expected):
                self.indexes.drop()
