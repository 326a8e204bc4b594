"""Fast path of ``circo results TERRITORY --election ID --round N --json``.

Scripts call this command in loops, and a Python process that imports SQLAlchemy, Typer and
pydantic cannot even start within the 300 ms the command is allowed on a small machine. So the
console entry point (:func:`circo.cli_entry.main`) first offers the command line to
`results_json`, which answers with the standard library's ``sqlite3`` (or ``psycopg`` for a
PostgreSQL URL) and the very statements the service runs (:mod:`circo.elections.results_query`).

It answers only the plain success case. Anything else — another option, ``--help``, a database
that does not exist yet or is not at the current schema, an election or a territory with no
bureau, a driver error — returns False and the full command line runs instead, with its
settings, its checks and its one-line error messages. The output is the same either way (a test
compares both paths byte for byte).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from circo.elections import results_query
from circo.elections.territories import check_round, parse_election_key, parse_territory
from circo.errors import CircoError
from circo.schema_revisions import schema_state

_VALUE_OPTIONS = {"--election": "election", "--round": "round", "--data-dir": "data_dir"}


def _parse(argv: Sequence[str]) -> dict[str, Any] | None:
    """The arguments of ``results …`` as the full CLI would read them, or None if unsure."""
    found: dict[str, Any] = {"json": False}
    positional: list[str] = []
    items = iter(argv)
    for item in items:
        if item == "--json":
            found["json"] = True
        elif item.startswith("--"):
            name, equals, value = item.partition("=")
            key = _VALUE_OPTIONS.get(name)
            if key is None or key in found:
                return None
            if not equals:
                value = next(items, "")
            if not value or value.startswith("-"):
                return None
            found[key] = value
        elif item.startswith("-"):
            return None
        else:
            positional.append(item)
    if len(positional) != 1 or not found["json"] or "election" not in found:
        return None
    if "round" not in found or not found["round"].isdigit():
        return None
    found["territory"] = positional[0]
    return found


def _environment(name: str) -> str | None:
    """A ``CIRCO_`` variable, matched case-insensitively as pydantic-settings does."""
    wanted = name.lower()
    for key, value in os.environ.items():
        if key.lower() == wanted:
            return value
    return None


def _database_url(data_dir: str | None) -> str:
    """The same choice as `circo.config.Settings.effective_database_url`."""
    url = _environment("CIRCO_DATABASE_URL")
    if url:
        return url
    folder = Path(data_dir or _environment("CIRCO_DATA_DIR") or "circo-data").expanduser()
    return f"sqlite:///{(folder / 'circo.db').resolve()}"


def _connect(url: str) -> tuple[Any, str, type[Exception]] | None:
    """(DBAPI connection, paramstyle, driver error class), or None when not a simple case."""
    if url.startswith("sqlite:///") and "?" not in url:
        import sqlite3

        path = Path(url.removeprefix("sqlite:///"))
        if not path.is_file():
            return None  # the full CLI creates and initialises it
        connection = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=5)
        return connection, "qmark", sqlite3.Error
    if url.startswith(("postgresql://", "postgresql+psycopg://")):
        import psycopg

        conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
        return psycopg.connect(conninfo, connect_timeout=5), "format", psycopg.Error
    return None


def results_json(argv: Sequence[str]) -> bool:
    """Print the JSON of ``results`` for these arguments and return True, or return False."""
    args = _parse(argv)
    if args is None:
        return False
    try:
        ref = parse_territory(args["territory"])
        election = parse_election_key(args["election"])
        round_number = check_round(int(args["round"]))
    except CircoError:
        return False
    url = _database_url(args.get("data_dir"))
    try:
        opened = _connect(url)
    except Exception:  # any failure to connect: the full CLI reports it properly
        return False
    if opened is None:
        return False
    connection, paramstyle, driver_error = opened
    try:

        def execute(sql: str, params: Sequence[Any]) -> Sequence[Sequence[Any]]:
            cursor = connection.cursor()
            cursor.execute(results_query.for_paramstyle(sql, paramstyle), tuple(params))
            return list(cursor.fetchall())

        current = {row[0] for row in execute("SELECT version_num FROM alembic_version", ())}
        if schema_state(current) != "current":
            return False
        election_id = results_query.find_election_id(
            execute, key=election.key, round_number=round_number
        )
        if election_id is None:
            return False
        results = results_query.territory_results(
            execute,
            election_id=election_id,
            election_key=election.key,
            round_number=round_number,
            ref=ref,
        )
    except driver_error:
        return False
    finally:
        connection.close()
    if results is None:
        return False
    sys.stdout.write(json.dumps(results.as_dict(), ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()
    return True
