"""Transfers and targeting on real results (Rhône, présidentielle 2017), on both backends."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from circo.cli import app
from tests.elections.sample_files import rhone_file
from tests.targeting.conftest import cut_lines

runner = CliRunner()


@pytest.fixture
def two_rounds(tmp_path: Path, cli_env: dict[str, str]) -> None:
    for round_number in (1, 2):
        path = cut_lines(rhone_file(round_number), tmp_path / f"t{round_number}.csv", rows=60)
        result = runner.invoke(
            app,
            [
                "import",
                "results",
                str(path),
                "--election",
                "pres-2017",
                "--round",
                str(round_number),
            ],
        )
        assert result.exit_code == 0, result.output


@pytest.mark.usefixtures("two_rounds")
def test_transfers_round_one_to_two(backend: str) -> None:
    result = runner.invoke(
        app,
        [
            "ei",
            "transfers",
            "--from",
            "pres-2017:1",
            "--to",
            "pres-2017:2",
            "--territory",
            "dep:69",
            "--method",
            "em",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["stations"] == 60
    assert payload["unmatched"] == {"from_only": [], "to_only": []}
    assert payload["rows"][-3:] == ["Blancs", "Nuls", "Abstention"]
    assert payload["columns"][-1] == "Abstention"
    assert "Emmanuel MACRON" in payload["columns"]
    for row in payload["rows"]:
        assert sum(payload["global"][row].values()) == pytest.approx(1.0, abs=1e-9)
    # the two finalists keep their round-1 voters, abstainers mostly stay home
    assert payload["global"]["Emmanuel MACRON"]["Emmanuel MACRON"] > 0.8
    assert payload["global"]["Marine LE PEN"]["Marine LE PEN"] > 0.8
    assert payload["global"]["Abstention"]["Abstention"] > 0.7


@pytest.mark.usefixtures("two_rounds")
def test_target_json_and_csv(backend: str, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "target",
            "--election",
            "pres-2017:1",
            "--territory",
            "dep:69",
            "--candidate",
            "macron",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["candidate"] == "Emmanuel MACRON"
    stations = payload["stations"]
    assert len(stations) == 60
    assert [row["rank"] for row in stations] == list(range(1, 61))
    scores = [row["score"] for row in stations]
    assert scores == sorted(scores, reverse=True)
    assert all(row["reason"] for row in stations)
    out = tmp_path / "target.csv"
    exported = runner.invoke(
        app,
        [
            "target",
            "--election",
            "pres-2017:1",
            "--territory",
            "dep:69",
            "--candidate",
            "LE PEN",
            "--csv",
            "--out",
            str(out),
            "--weights",
            "doors=1,mobilisation=0,persuasion=0",
        ],
    )
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")), delimiter=";"))
    gains = [float(row["votes_per_100_doors"]) for row in rows]
    assert gains == sorted(gains, reverse=True)  # weights change the ranking


@pytest.mark.usefixtures("two_rounds")
def test_target_informed_by_transfers(backend: str) -> None:
    result = runner.invoke(
        app,
        [
            "target",
            "--election",
            "pres-2017:2",
            "--territory",
            "dep:69",
            "--candidate",
            "MACRON",
            "--transfers-from",
            "pres-2017:1",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["transfers_from"] == "pres-2017:1"
    assert any(row["persuasion"] > 0 for row in payload["stations"])


@pytest.mark.usefixtures("two_rounds")
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--candidate", "nobody"], "candidat inconnu « nobody »"),
        (["--candidate", "MACRON", "--weights", "luck=1"], "poids inconnu « luck »"),
        (["--candidate", "MACRON", "--election", "pres-2017"], "ELECTION:TOUR"),
    ],
)
def test_target_bad_input(backend: str, args: list[str], expected: str) -> None:
    base = ["target", "--territory", "dep:69"]
    if "--election" not in args:
        base += ["--election", "pres-2017:1"]
    result = runner.invoke(app, [*base, *args, "--json"])
    assert result.exit_code == 2
    assert expected in result.output
