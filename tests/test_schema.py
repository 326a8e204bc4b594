"""A new database gets its schema in one step (`circo.db.create_schema`: the models' tables,
stamped at the migration heads) where the tests' templates run every migration
(`circo.db.upgrade`). Both must give the same schema, on SQLite and PostgreSQL: same tables,
columns (type, nullability, default), primary keys, foreign keys, unique constraints, indexes and
CHECK constraints, and the same recorded revisions — so that a database made either way is
migrated the same way later."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect

from circo.db import create_schema, current_revisions, install_schema, make_engine, upgrade
from circo.schema_revisions import known_revisions
from tests.conftest import _admin_execute, _pg_state, _pg_url


def _shape(engine: Engine) -> dict[str, dict[str, Any]]:
    found = inspect(engine)
    shape: dict[str, dict[str, Any]] = {}
    for table in found.get_table_names():
        if table == "alembic_version":
            continue
        shape[table] = {
            # columns added by a later migration come last in the table: order is not schema
            "columns": sorted(
                (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                for c in found.get_columns(table)
            ),
            "primary_key": tuple(found.get_pk_constraint(table)["constrained_columns"]),
            "foreign_keys": sorted(
                (
                    fk["name"] or "",
                    tuple(fk["constrained_columns"]),
                    fk["referred_table"],
                    tuple(fk["referred_columns"]),
                    str(sorted((fk.get("options") or {}).items())),
                )
                for fk in found.get_foreign_keys(table)
            ),
            "unique": sorted(
                (u["name"] or "", tuple(u["column_names"]))
                for u in found.get_unique_constraints(table)
            ),
            "indexes": sorted(
                (i["name"] or "", tuple(str(c) for c in i["column_names"]), bool(i["unique"]))
                for i in found.get_indexes(table)
            ),
            "checks": sorted(
                (c["name"] or "", " ".join(str(c["sqltext"]).split()))
                for c in found.get_check_constraints(table)
            ),
        }
    return shape


@pytest.fixture(params=["sqlite", "postgresql"])
def two_empty_databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[str]]:
    if request.param == "sqlite":
        yield [f"sqlite:///{tmp_path / 'migrated.db'}", f"sqlite:///{tmp_path / 'created.db'}"]
        return
    if _pg_state.get("reason"):
        pytest.skip(f"PostgreSQL unavailable: {_pg_state['reason']}")
    names = [f"circo_schema_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    for name in names:
        _admin_execute(f'CREATE DATABASE "{name}"')
    try:
        yield [_pg_url(name) for name in names]
    finally:
        for name in names:
            _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_created_schema_is_the_migrated_schema(two_empty_databases: list[str]) -> None:
    migrated, created = (make_engine(url) for url in two_empty_databases)
    try:
        upgrade(migrated)
        create_schema(created)
        migrated_shape, created_shape = _shape(migrated), _shape(created)
        assert sorted(created_shape) == sorted(migrated_shape)
        for table, parts in migrated_shape.items():
            for part, value in parts.items():
                assert created_shape[table][part] == value, (table, part)
        heads = set(known_revisions()[1])
        assert current_revisions(created) == current_revisions(migrated) == heads
    finally:
        migrated.dispose()
        created.dispose()


def test_install_schema_migrates_a_database_that_has_tables(tmp_path: Path) -> None:
    """Only a database without any table is created in one step; any other is migrated."""
    engine = make_engine(f"sqlite:///{tmp_path / 'circo.db'}")
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
        install_schema(engine)  # migrations run around the foreign table
        assert current_revisions(engine) == set(known_revisions()[1])
        assert "notes" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_a_new_data_dir_is_at_the_heads_for_alembic_itself(tmp_path: Path) -> None:
    """The first command on a new data dir creates the schema in one step; Alembic's own check
    (`circo db check`, autogenerate against the models) then finds nothing to do."""
    data = tmp_path / "data"
    command = [sys.executable, "-m", "circo"]
    first = subprocess.run(
        [*command, "elections", "list", "--json", "--data-dir", str(data)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert first.returncode == 0, first.stderr
    assert "Base créée" in first.stderr
    check = subprocess.run(
        [*command, "db", "check", "--data-dir", str(data)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "concordent" in check.stderr
