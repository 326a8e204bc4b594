"""Replacing an imported election round, through the real CLI in a subprocess, on SQLite and
PostgreSQL: a re-import leaves no dead rows behind and does not grow the tables; a refused file
and an import killed half-way leave the previous data exactly as it was."""

from __future__ import annotations

import gzip
import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from circo.config import Settings
from tests.data_files import shared_file
from tests.server import run_cli, server_env

NATIONAL_LONG = "fr-presidentielle-2017-bv/2017-presidentielle-1_par_bureau_large.csv.gz"
RESULT_TABLES = ("el_elections", "el_candidates", "el_station_results", "el_candidate_votes")
ALL_TABLES = (*RESULT_TABLES, "el_territories")


def _national_lines() -> list[str]:
    data = gzip.decompress(shared_file(NATIONAL_LONG).read_bytes()).decode("utf-8")
    return data.splitlines(keepends=True)


def _cut(folder: Path, name: str, lines: list[str], count: int) -> Path:
    """The header and the first ``count`` bureaux of the national file."""
    target = folder / name
    target.write_text("".join(lines[: count + 1]), encoding="utf-8")
    return target


def _import(settings: Settings, path: Path) -> subprocess.CompletedProcess[str]:
    return run_cli(
        settings, "import", "results", str(path), "--election", "pres-2017", "--round", "1"
    )


def _engine(settings: Settings) -> Engine:
    return create_engine(settings.effective_database_url, isolation_level="AUTOCOMMIT")


def _snapshot(settings: Settings) -> str:
    """Digest of every row of the results tables (ordered), their indexes included."""
    digest = hashlib.sha256()
    engine = _engine(settings)
    with engine.connect() as connection:
        for table in ALL_TABLES:
            columns = list(connection.execute(text(f"SELECT * FROM {table} LIMIT 0")).keys())
            ordered = ", ".join(f"{column} IS NULL, {column}" for column in columns)
            for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY {ordered}")):
                digest.update(repr(tuple(row)).encode())
        digest.update(repr(_index_names(connection)).encode())
    engine.dispose()
    return digest.hexdigest()


def _index_names(connection: object) -> list[str]:
    if connection.dialect.name == "postgresql":  # type: ignore[attr-defined]
        query = "SELECT indexname FROM pg_indexes WHERE tablename LIKE 'el\\_%' ORDER BY 1"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY 1"
    return [str(name) for name in connection.execute(text(query)).scalars()]  # type: ignore[attr-defined]


def _indexes(settings: Settings) -> list[str]:
    engine = _engine(settings)
    with engine.connect() as connection:
        names = _index_names(connection)
    engine.dispose()
    return names


def _stations(settings: Settings) -> int:
    engine = _engine(settings)
    with engine.connect() as connection:
        count = int(connection.execute(text("SELECT COUNT(*) FROM el_station_results")).scalar())
    engine.dispose()
    return count


def _table_space(settings: Settings) -> int:
    """Bytes of the results tables and their indexes (PostgreSQL), or of the file's used pages
    (SQLite: page count less the free list)."""
    engine = _engine(settings)
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            sizes = [
                connection.execute(
                    text("SELECT pg_total_relation_size(CAST(:t AS regclass))"), {"t": table}
                ).scalar()
                for table in RESULT_TABLES
            ]
            total = sum(int(size or 0) for size in sizes)
        else:
            pages = connection.execute(text("PRAGMA page_count")).scalar()
            free = connection.execute(text("PRAGMA freelist_count")).scalar()
            size = connection.execute(text("PRAGMA page_size")).scalar()
            total = (int(pages or 0) - int(free or 0)) * int(size or 0)
    engine.dispose()
    return total


def _dead_rows(settings: Settings) -> dict[str, int]:
    """Dead tuples of the PostgreSQL results tables, counted exactly (``pgstattuple``)."""
    engine = _engine(settings)
    with engine.connect() as connection:
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS pgstattuple"))
        dead = {
            table: int(
                connection.execute(
                    text("SELECT dead_tuple_count FROM pgstattuple(CAST(:t AS regclass))"),
                    {"t": table},
                ).scalar()
                or 0
            )
            for table in RESULT_TABLES
        }
    engine.dispose()
    return dead


def test_reimport_leaves_no_dead_rows_and_reuses_the_space(
    settings: Settings, backend: str, tmp_path: Path
) -> None:
    file = _cut(tmp_path, "pr17_t1_1500.csv", _national_lines(), 1500)
    indexes = _indexes(settings)
    sizes, dead = [], []
    for _ in range(6):
        done = _import(settings, file)
        assert done.returncode == 0, done.stderr
        sizes.append(_table_space(settings))
        if backend == "postgresql":
            dead.append(_dead_rows(settings))
    assert _stations(settings) == 1500
    # SQLite sets the indexes aside before deleting the replaced round: all are back.
    assert _indexes(settings) == indexes
    # Each replacement deletes 1 500 bureaux and 16 500 vote rows; the vacuum after the commit
    # leaves none dead (a bound rather than 0: a vacuum skips a page another process pins).
    round_rows = 1500 + 16500
    assert all(sum(found.values()) <= round_rows // 20 for found in dead), dead
    # The space of replaced rows is reused: a replaced round's pages hold the next one, so the
    # tables stay within ≈ 2 rounds (PostgreSQL: the heap ends at 1 or 2 rounds as the vacuum
    # cuts its empty end or not, a deleted b-tree page is recycled one vacuum later); without
    # reuse they would hold 6 rounds.
    assert max(sizes) <= 3 * sizes[0], sizes


def _broken(folder: Path, lines: list[str], count: int) -> Path:
    """``count`` bureaux whose last one has a registered-voters cell that is not a number."""
    cells = lines[count].split(",")
    cells[5] = "douze"
    kept = [*lines[:count], ",".join(cells)]
    target = folder / "pr17_t1_broken.csv"
    target.write_text("".join(kept), encoding="utf-8")
    return target


def test_refused_file_leaves_previous_data_intact(
    settings: Settings, backend: str, tmp_path: Path
) -> None:
    lines = _national_lines()
    good = _cut(tmp_path, "pr17_t1_900.csv", lines, 900)
    assert _import(settings, good).returncode == 0
    before = _snapshot(settings)
    # 9 000 bureaux: two chunks are written (and the old round deleted) before the bad line.
    refused = _import(settings, _broken(tmp_path, lines, 9000))
    assert refused.returncode != 0
    assert "pr17_t1_broken.csv" in refused.stderr + refused.stdout
    assert _snapshot(settings) == before
    assert _stations(settings) == 900


def _import_started(settings: Settings, backend: str) -> Callable[[], bool]:
    """A probe: has the import process written vote rows in its (uncommitted) transaction?"""
    if backend == "postgresql":
        engine = _engine(settings)

        def copying() -> bool:
            with engine.connect() as connection:
                return bool(
                    connection.execute(
                        text(
                            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = "
                            "current_database() AND pid <> pg_backend_pid() AND state <> 'idle' "
                            "AND query LIKE 'COPY el_candidate_votes%'"
                        )
                    ).scalar()
                )

        return copying
    database = Path(settings.effective_database_url.removeprefix("sqlite:///"))
    wal = database.with_name(database.name + "-wal")

    def spilled() -> bool:
        # Several MB in the write-ahead log: rows beyond the page cache went to disk, and the
        # database's write lock is taken (a reader's BEGIN IMMEDIATE is refused).
        if not wal.exists() or wal.stat().st_size < 8_000_000:
            return False
        probe = sqlite3.connect(database, timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return True
        finally:
            probe.close()
        return False

    return spilled


def test_killed_import_leaves_previous_data_intact(
    settings: Settings, backend: str, tmp_path: Path
) -> None:
    lines = _national_lines()
    good = _cut(tmp_path, "pr17_t1_900.csv", lines, 900)
    assert _import(settings, good).returncode == 0
    before = _snapshot(settings)
    command = [sys.executable, "-m", "circo", "import", "results", str(shared_file(NATIONAL_LONG)),
               "--election", "pres-2017", "--round", "1"]  # fmt: skip
    child = subprocess.Popen(
        command, env=server_env(settings), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    started = _import_started(settings, backend)
    try:
        seen = False
        while child.poll() is None:  # polls an observable state, not a delay
            if started():
                seen = True
                os.kill(child.pid, signal.SIGKILL)
                break
            time.sleep(0.02)
        child.wait(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert seen, f"the import ended (exit {child.returncode}) before rows were seen written"
    assert child.returncode == -signal.SIGKILL
    if backend == "postgresql":
        engine = _engine(settings)
        with engine.connect() as connection:  # the killed client's server process ends too
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                    "current_database() AND pid <> pg_backend_pid()"
                )
            )
        engine.dispose()
    assert _snapshot(settings) == before
    assert _stations(settings) == 900


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite has no replication role
def test_without_the_right_to_set_triggers_aside_the_import_keeps_them(
    settings: Settings, backend: str, tmp_path: Path
) -> None:
    """A PostgreSQL role that is not a superuser keeps the foreign-key checks: same rows."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.orm import Session

    from circo.elections.bulk import TrustedRows
    from circo.elections.importing import import_results

    admin = _engine(settings)
    role = "circo_test_plain_importer"
    with admin.connect() as connection:
        if not connection.execute(
            text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}
        ).scalar():
            connection.execute(text(f"CREATE ROLE {role} LOGIN NOSUPERUSER"))
        connection.execute(text(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}"))
        connection.execute(text(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}"))
    admin.dispose()
    file = _cut(tmp_path, "pr17_t1_500.csv", _national_lines(), 500)
    url = make_url(settings.effective_database_url).set(username=role, password=None)
    engine = create_engine(url)
    try:
        for _ in range(2):  # a first import, then a replacement (deletes under the checks)
            with Session(engine) as session:
                assert TrustedRows(session).allowed is False
                assert session.execute(text("SHOW session_replication_role")).scalar() == "origin"
                report = import_results(session, path=file, key="pres-2017", round_number=1)
                session.commit()
                assert (report.stations, report.votes_rows) == (500, 5500)
    finally:
        engine.dispose()
        with admin.connect() as connection:  # leave no role behind on the shared server
            connection.execute(text(f"DROP OWNED BY {role}"))
            connection.execute(text(f"DROP ROLE {role}"))
        admin.dispose()
    assert _stations(settings) == 500


def test_bulk_rows_keep_tabs_backslashes_line_ends_and_nulls(session: object) -> None:
    """Texts that COPY's text format must escape come back as written (both backends)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from circo.elections.bulk import bulk_insert
    from circo.elections.models import Territory

    assert isinstance(session, Session)
    columns = ("key", "level", "code", "name", "parent_key", "department_code")
    names = ["tab\there", "back\\slash \\N", "line\nend\r", "N", "\\.", "é ü ß"]
    rows = [(f"bv:E{n}", "bv", f"E{n}", name, None, "69") for n, name in enumerate(names)]
    bulk_insert(session, "el_territories", columns, rows[:2])
    bulk_insert(session, "el_territories", columns, rows, skip_existing=True)
    found = session.execute(
        select(Territory.name, Territory.parent_key, Territory.department_code)
        .where(Territory.code.like("E%"))
        .order_by(Territory.code)
    ).all()
    session.rollback()
    assert [tuple(row) for row in found] == [(name, None, "69") for name in names]
