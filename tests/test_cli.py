"""The command line: help, init, users, db, demo, and one clear line for every bad input."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from circo.cli import app

runner = CliRunner()


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real console entry point in a subprocess (no inherited CIRCO_ variables)."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith("CIRCO_")}
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "circo", *args],
        capture_output=True,
        text=True,
        env=clean,
        timeout=120,
        check=False,
    )


def test_help_lists_every_command_in_french_and_english() -> None:
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "250"})
    assert result.exit_code == 0
    for command in ("init", "serve", "demo", "db", "users", "campaigns"):
        assert command in result.output
    assert "plateforme de campagne" in result.output
    assert "campaign platform" in result.output
    users_help = runner.invoke(app, ["users", "add", "--help"], env={"COLUMNS": "250"})
    assert "--campaign" in users_help.output
    assert "--role" in users_help.output


def test_init_then_users_add(tmp_path: Path) -> None:
    data_dir = tmp_path / "d"
    init = run_cli("init", "--data-dir", str(data_dir), "--campaign", "lyon-2026", "--name", "Lyon")
    assert init.returncode == 0, init.stderr
    assert "admin@example.org" in init.stderr
    assert "mot de passe" in init.stderr
    assert (data_dir / "circo.db").exists()
    added = run_cli(
        "users", "add", "v@example.org", "--role", "volunteer", "--data-dir", str(data_dir)
    )
    assert added.returncode == 0, added.stderr  # the only campaign is the default
    listed = run_cli("users", "list", "--json", "--data-dir", str(data_dir))
    roles = {row["email"]: row["role"] for row in json.loads(listed.stdout)}
    assert roles == {"admin@example.org": "admin", "v@example.org": "volunteer"}


def test_init_on_an_existing_database_keeps_the_admin_password(tmp_path: Path) -> None:
    """A second `circo init` (another campaign) must not lock the existing admin out."""
    import re

    import sqlalchemy as sa

    from circo.core.security import verify_password

    data_dir = tmp_path / "d"
    first = run_cli("init", "--data-dir", str(data_dir))
    assert first.returncode == 0, first.stderr
    found = re.search(r"mot de passe : (\S+)", first.stderr)
    assert found is not None, first.stderr
    password = found.group(1)
    second = run_cli("init", "--data-dir", str(data_dir), "--campaign", "autre-campagne")
    assert second.returncode == 0, second.stderr
    assert "mot de passe inchangé" in second.stderr
    engine = sa.create_engine(f"sqlite:///{data_dir / 'circo.db'}")
    with engine.connect() as connection:
        stored = connection.execute(
            sa.text("SELECT password_hash FROM users WHERE email = 'admin@example.org'")
        ).scalar_one()
    engine.dispose()
    assert verify_password(stored, password)


def test_data_dir_from_environment(tmp_path: Path) -> None:
    data_dir = tmp_path / "env-dir"
    result = run_cli("init", env={"CIRCO_DATA_DIR": str(data_dir)})
    assert result.returncode == 0, result.stderr
    assert (data_dir / "circo.db").exists()


@pytest.mark.usefixtures("cli_env")
def test_cli_on_both_backends(backend: str) -> None:
    result = runner.invoke(
        app, ["campaigns", "create", "paris", "--name", "Paris", "--admin-email", "p@example.org"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["users", "add", "x@example.org", "--role", "data"])
    assert result.exit_code == 0, result.output  # the only campaign is the default
    runner.invoke(
        app, ["campaigns", "create", "lyon", "--name", "Lyon", "--admin-email", "l@example.org"]
    )
    ambiguous = runner.invoke(app, ["users", "add", "y@example.org", "--role", "data"])
    assert ambiguous.exit_code == 2
    assert "précisez --campaign" in ambiguous.output
    listed = runner.invoke(app, ["campaigns", "list", "--json"])
    assert [row["slug"] for row in json.loads(listed.stdout)] == ["lyon", "paris"]


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["users", "add", "a@example.org", "--role", "boss"], {}, "rôle inconnu « boss »"),
        (["db", "upgrade"], {"CIRCO_DATABASE_URL": "not a url"}, "CIRCO_DATABASE_URL invalide"),
        (["db", "upgrade"], {"CIRCO_DATABASE_URL": "nonsense://"}, "CIRCO_DATABASE_URL"),
        (
            ["db", "upgrade"],
            {"CIRCO_DATABASE_URL": "postgresql+psycopg://u@127.0.0.1:1/x"},
            "base de données injoignable",
        ),
        (["db", "upgrade"], {"CIRCO_DATABASE_URL": "mysql://u@h/x"}, "non prise en charge"),
        (["serve"], {}, "circo init"),
    ],
)
def test_bad_input_is_one_clear_line(
    tmp_path: Path, args: list[str], env: dict[str, str], expected: str
) -> None:
    if args[0] == "users":
        assert run_cli("init", "--data-dir", str(tmp_path)).returncode == 0
    if args == ["serve"]:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            args = ["serve", "--port", str(probe.getsockname()[1])]
        env = {"CIRCO_DATABASE_URL": f"sqlite:///{tmp_path}/old.db"}
        import sqlite3

        sqlite3.connect(tmp_path / "old.db").execute(
            "CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"
        )
        expected = "circo db upgrade"
    result = run_cli(*args, "--data-dir", str(tmp_path), env=env)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unwritable_data_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = run_cli("init", "--data-dir", str(blocker / "sub"))
    assert result.returncode == 2
    assert "dossier de données" in result.stderr
    assert "Traceback" not in result.stderr


def test_port_in_use(tmp_path: Path) -> None:
    assert run_cli("init", "--data-dir", str(tmp_path)).returncode == 0
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli("serve", "--port", str(port), "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert f"le port {port} est déjà utilisé" in result.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = run_cli(
        "--debug", "users", "add", "a@example.org", "--role", "boss", "--data-dir", str(tmp_path)
    )
    assert result.returncode == 2
    assert "Traceback" in result.stderr


PARIS_2017_T1_VALID = 1_076_559  # Σ exprimés of the shipped Paris file, 1st round


def test_demo_builds_and_rebuilds(tmp_path: Path) -> None:
    first = run_cli("demo", "--no-serve", "--data-dir", str(tmp_path))
    assert first.returncode == 0, first.stderr
    second = run_cli("demo", "--no-serve", "--data-dir", str(tmp_path))
    assert second.returncode == 0, second.stderr
    listed = run_cli("campaigns", "list", "--json", "--data-dir", str(tmp_path))
    assert [row["slug"] for row in json.loads(listed.stdout)] == ["demo"]
    # The demo's story holds on one territory, Paris (issue #23): both rounds of the 2017
    # présidentielle in its 896 bureaux, and nothing of another area.
    elections = run_cli("elections", "list", "--json", "--data-dir", str(tmp_path))
    assert elections.returncode == 0, elections.stderr
    rounds = {
        (row["election"], row["round"]): row["stations"] for row in json.loads(elections.stdout)
    }
    assert rounds == {("pres-2017", 1): 896, ("pres-2017", 2): 896}
    paris = run_cli(
        "results", "com:75056", "--election", "pres-2017", "--round", "1", "--json",
        "--data-dir", str(tmp_path),
    )  # fmt: skip
    assert paris.returncode == 0, paris.stderr
    assert json.loads(paris.stdout)["valid_votes"] == PARIS_2017_T1_VALID


@pytest.mark.usefixtures("cli_env")
def test_migrations_match_models(backend: str) -> None:
    result = runner.invoke(app, ["db", "check"])
    assert result.exit_code == 0, result.output


def test_an_empty_data_dir_behaves_as_if_initialised(tmp_path: Path) -> None:
    """Any command on a fresh data dir creates the schema, one campaign and its admin."""
    listed = run_cli("users", "list", "--json", "--data-dir", str(tmp_path))
    assert listed.returncode == 0, listed.stderr
    assert "ma-campagne" in listed.stderr
    assert "mot de passe" in listed.stderr
    assert json.loads(listed.stdout) == [
        {"email": "admin@example.org", "name": "Administrateur", "role": "admin"}
    ]
    again = run_cli("campaigns", "list", "--json", "--data-dir", str(tmp_path))
    assert [row["slug"] for row in json.loads(again.stdout)] == ["ma-campagne"]
    assert "Base créée" not in again.stderr  # only the first command creates it
