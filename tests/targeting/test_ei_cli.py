"""``circo ei fit --csv`` on eiPack's senc (known truth) and on bad files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from circo.cli import app

runner = CliRunner()
GROUPS = ["white", "black", "natam"]
PARTIES = ["dem", "rep", "non"]
CELLS = {"white": "wh", "black": "bl", "natam": "natam"}


def true_global(path: Path) -> dict[str, dict[str, float]]:
    with path.open() as handle:
        rows = list(csv.DictReader(handle))
    truth = {}
    for group in GROUPS:
        total = sum(float(row[group]) for row in rows)
        truth[group] = {
            party: sum(float(row[CELLS[group] + party]) for row in rows) / total
            for party in PARTIES
        }
    return truth


@pytest.mark.parametrize("method", ["em", "goodman", "lp", "md"])
def test_fit_senc_contract_and_accuracy(shared_data: Path, method: str) -> None:
    senc = shared_data / "ei-senc-truth" / "senc.csv"
    result = runner.invoke(
        app,
        [
            "ei",
            "fit",
            "--csv",
            str(senc),
            "--groups",
            ",".join(GROUPS),
            "--candidates",
            ",".join(PARTIES),
            "--unit-column",
            "precinct",
            "--method",
            method,
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == {"method", "global", "intervals", "units", "seconds"}
    assert payload["method"] == method
    # lphom has no bootstrap here: its intervals are the point, and the CLI says so (stderr)
    assert ("estimation ponctuelle" in result.stderr) == (method == "lp"), result.stderr
    assert len(payload["units"]) == 212
    assert payload["units"][0]["unit"] == "ABBOTTS"
    for group in GROUPS:
        assert sum(payload["global"][group].values()) == pytest.approx(1.0, abs=1e-9)
        for party in PARTIES:
            low, high = payload["intervals"][group][party]
            assert low <= high
    first = payload["units"][0]["table"]
    assert sum(first["white"].values()) == pytest.approx(355, abs=1.0)  # row margin kept
    truth = true_global(senc)
    # the two large groups are well estimated by every method (lphom, made for transfers
    # between elections, is the loosest here)
    tolerance = {"lp": 0.12, "goodman": 0.10}.get(method, 0.08)
    for group in ("white", "black"):
        error = max(abs(payload["global"][group][p] - truth[group][p]) for p in PARTIES)
        assert error < tolerance, (method, group, error)


def test_duplicate_unit_names_are_kept_in_order(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text("bv;g1;g2;c1;c2\nA;10;20;15;15\nA;30;5;20;15\nB;12;18;10;20\n")
    result = runner.invoke(
        app,
        [
            "ei",
            "fit",
            "--csv",
            str(path),
            "--groups",
            "g1,g2",
            "--candidates",
            "c1,c2",
            "--unit-column",
            "bv",
            "--method",
            "em",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert [unit["unit"] for unit in json.loads(result.stdout)["units"]] == ["A", "A #2", "B"]


@pytest.mark.parametrize(
    ("content", "args", "expected"),
    [
        ("g1,g2,c1\n1,2,3\n", ["--groups", "g1,g3", "--candidates", "c1"], "g3"),
        (
            "g1,g2,c1\n1,2,3\n4,x,5\n",
            ["--groups", "g1,g2", "--candidates", "c1"],
            "ligne 3, colonne « g2 »",
        ),
        ("g1,g2,c1\n1,2,3\n4,5\n", ["--groups", "g1,g2", "--candidates", "c1"], "ligne 3"),
        ("", ["--groups", "g1", "--candidates", "c1"], "fichier vide"),
        (
            "g1,c1\n1,1\n",
            ["--groups", "g1", "--candidates", "c1", "--method", "magic"],
            "méthode inconnue",
        ),
    ],
)
def test_bad_files_name_the_place(
    tmp_path: Path, content: str, args: list[str], expected: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    result = runner.invoke(app, ["ei", "fit", "--csv", str(path), *args, "--json"])
    assert result.exit_code == 2
    assert expected in result.output
    assert result.stdout.strip() == "" or "Erreur" in result.output
