"""`circo results … --json` answers through a lean fast path (plain DBAPI, no SQLAlchemy) that
must print exactly what the full command prints, and hand every other case to the full command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import column, delete, insert, select, table
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from circo.cli import app
from circo.cli_fast import results_json
from circo.elections.models import StationResult
from circo.schema_revisions import known_revisions
from tests.elections.sample_files import cut_rhone

runner = CliRunner()
AlembicVersion = table("alembic_version", column("version_num"))


@pytest.fixture
def imported(cli_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    t1 = cut_rhone(tmp_path, round_number=1, communes=("123", "266"))
    result = runner.invoke(
        app, ["import", "results", str(t1), "--election", "pres-2017", "--round", "1"]
    )
    assert result.exit_code == 0, result.output
    return cli_env


def _territories(session: Session) -> list[str]:
    lyon = session.scalars(
        select(StationResult).where(StationResult.commune_code == "69123").limit(1)
    ).one()
    session.close()  # SQLite: release the session's write lock before the commands run
    return [
        "fr",
        "dep:69",
        f"circ:{lyon.constituency_code}",
        "com:69266",
        "com:69123",
        f"arr:{lyon.arrondissement_code}",
        f"com:{lyon.arrondissement_code}",
        f"bv:{lyon.station_key}",
        "reg:84",
    ]


def test_fast_path_prints_exactly_what_the_full_command_prints(
    imported: dict[str, str], session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    for territory in _territories(session):
        argv = [territory, "--election", "PRES-2017", "--round", "1", "--json"]
        full = runner.invoke(app, ["results", *argv])
        assert full.exit_code == 0, (territory, full.output)
        capsys.readouterr()
        assert results_json(argv) is True, territory
        assert capsys.readouterr().out == full.stdout, territory


@pytest.mark.parametrize(
    "argv",
    [
        ["dep:99", "--election", "pres-2017", "--round", "1", "--json"],  # no bureau there
        ["dep:69", "--election", "pres-2022", "--round", "1", "--json"],  # not imported
        ["dep:69", "--election", "pres-2017", "--round", "2", "--json"],
        ["x:1", "--election", "pres-2017", "--round", "1", "--json"],  # bad territory
        ["dep:69", "--election", "pres-2017", "--round", "1"],  # text output
        ["dep:69", "--election", "pres-2017", "--round", "1", "--json", "--help"],
        ["dep:69", "--election", "pres-2017", "--round", "1", "--json", "--verbose"],
    ],
)
def test_anything_but_the_plain_success_goes_to_the_full_command(
    imported: dict[str, str], argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert results_json(argv) is False
    assert capsys.readouterr().out == ""


def test_an_outdated_schema_goes_to_the_full_command(
    imported: dict[str, str], session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    head = min(known_revisions()[1])
    deleted = session.execute(delete(AlembicVersion).where(AlembicVersion.c.version_num == head))
    assert deleted.rowcount == 1
    session.commit()
    try:
        argv = ["dep:69", "--election", "pres-2017", "--round", "1", "--json"]
        assert results_json(argv) is False
        full = runner.invoke(app, ["results", *argv])
        assert full.exit_code == 2
        assert "circo db upgrade" in full.output
    finally:  # the PostgreSQL database is shared by the whole run: put the schema back
        session.execute(insert(AlembicVersion).values(version_num=head))
        session.commit()


def test_the_console_entry_point_uses_it_and_keeps_the_full_errors(
    imported: dict[str, str], tmp_path: Path
) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CIRCO_")}
    env.update(imported)

    def circo(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "circo", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )

    answered = circo("results", "com:69266", "--election", "pres-2017", "--round", "1", "--json")
    assert answered.returncode == 0, answered.stderr
    assert '"territory": "com:69266"' in answered.stdout
    missing = circo("results", "dep:99", "--election", "pres-2017", "--round", "1", "--json")
    assert missing.returncode == 2
    assert missing.stdout == ""
    assert "dep:99" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
