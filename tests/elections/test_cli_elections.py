"""The CLI contract: `circo import results`, `circo results --json`, `circo elections list`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from circo.cli import app
from tests.elections.sample_files import cut_rhone, file_totals

runner = CliRunner()


def test_import_then_results_json(cli_env: dict[str, str], tmp_path: Path) -> None:
    t1 = cut_rhone(tmp_path, round_number=1, communes=("123", "266"))
    imported = runner.invoke(
        app, ["import", "results", str(t1), "--election", "pres-2017", "--round", "1", "--json"]
    )
    assert imported.exit_code == 0, imported.output
    report = json.loads(imported.stdout)
    assert report["stations"] == file_totals(t1)["stations"]

    shown = runner.invoke(
        app, ["results", "com:69266", "--election", "pres-2017", "--round", "1", "--json"]
    )
    assert shown.exit_code == 0, shown.output
    payload = json.loads(shown.stdout)
    expected = file_totals(t1, commune="266")
    assert payload["territory"] == "com:69266"
    assert payload["election"] == "pres-2017"
    assert payload["round"] == 1
    assert payload["registered"] == expected["registered"]
    assert payload["valid_votes"] == expected["valid"]
    assert payload["stations"] == expected["stations"]
    assert all(isinstance(c["share_valid"], float) for c in payload["candidates"])

    listed = runner.invoke(app, ["elections", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [(r["election"], r["round"], r["date"]) for r in rows] == [
        ("pres-2017", 1, "2017-04-23")
    ]


def test_cli_errors_are_one_line_with_exit_2(cli_env: dict[str, str], tmp_path: Path) -> None:
    t1 = cut_rhone(tmp_path, round_number=1)
    lines = t1.read_text(encoding="utf-8").splitlines(keepends=True)
    broken = tmp_path / "broken.csv"
    broken.write_text(lines[0] + lines[1].replace(";", ",", 3) + "".join(lines[2:]))
    failed = runner.invoke(
        app, ["import", "results", str(broken), "--election", "pres-2017", "--round", "1"]
    )
    assert failed.exit_code == 2
    assert "broken.csv" in failed.output
    assert "ligne 2" in failed.output
    unknown = runner.invoke(
        app, ["results", "dep:69", "--election", "pres-2017", "--round", "1", "--json"]
    )
    assert unknown.exit_code == 2
    assert unknown.stdout == ""
    bad_territory = runner.invoke(
        app, ["results", "x:1", "--election", "pres-2017", "--round", "1"]
    )
    assert bad_territory.exit_code == 2
    assert "bv:91477_0001" in bad_territory.output
