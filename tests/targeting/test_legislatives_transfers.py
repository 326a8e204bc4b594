"""Transfers and targeting on législatives (one ballot per circonscription), as subprocesses on
both backends: a candidate absent from a round is structurally zero, options nobody chose are
left out and listed, the JSON is strict, ``--transfers-from :1`` works as the help says."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from circo.config import Settings
from tests.server import run_cli
from tests.targeting.legislatives_files import ROUND_ONE, write_round_two


def rename_candidates(payload: dict[str, Any]) -> dict[str, Any]:
    """The transfers JSON with every candidate renamed (nuance labels kept)."""
    options = {"Blancs", "Nuls", "Abstention"}

    def name(text: str) -> str:
        return text if text in options else f"Autre {text}"

    renamed = dict(payload)
    renamed["rows"] = [name(r) for r in payload["rows"]]
    renamed["columns"] = [name(c) for c in payload["columns"]]
    for key in ("global", "intervals", "flows"):
        renamed[key] = {
            name(r): {name(c): v for c, v in cells.items()} for r, cells in payload[key].items()
        }
    renamed["labels"] = {
        side: {name(k): v for k, v in labels.items()} for side, labels in payload["labels"].items()
    }
    return renamed


def strict_json(text: str) -> Any:
    def refuse(name: str) -> float:
        raise AssertionError(f"non-strict JSON constant {name} in the output")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.usefixtures("runtime")
def test_legislatives_transfers_and_targeting(settings: Settings, tmp_path: Path) -> None:
    second = write_round_two(tmp_path / "LG17_BVot_T2_lyon.txt")
    for number, path in ((1, ROUND_ONE), (2, second)):
        done = run_cli(
            settings,
            "import",
            "results",
            str(path),
            "--election",
            "leg-2017",
            "--round",
            str(number),
        )
        assert done.returncode == 0, done.stderr

    fitted = run_cli(
        settings,
        "ei",
        "transfers",
        "--from",
        "leg-2017:1",
        "--to",
        "leg-2017:2",
        "--territory",
        "dep:69",
        "--json",
    )
    assert fitted.returncode == 0, fitted.stderr
    payload = strict_json(fitted.stdout)
    assert payload["method"] == "auto"
    candidates_two = [c for c in payload["columns"] if c not in ("Blancs", "Nuls", "Abstention")]
    # only the four candidates of round 2: no column for HAVARD or GRANJON (absent), none for
    # the candidates of the whole election that did not run here
    assert sorted(name.split()[-1] for name in candidates_two) == [
        "BLEIN",
        "BRUGNERA",
        "PERRIN",
        "ROCHE",
    ], candidates_two
    assert len(payload["rows"]) == 6 + 3  # six round-1 candidates, blank, null, abstention
    assert payload["omitted"] == {"rows": [], "columns": []}
    rows_by_last = {row.split()[-1]: row for row in payload["rows"]}
    cols_by_last = {col.split()[-1]: col for col in payload["columns"]}
    # structural zeros: a 69-01 voter cannot vote for a 69-02 candidate, and back
    for origin, destination in (("HAVARD", "BLEIN"), ("PERRIN", "ROCHE"), ("GRANJON", "PERRIN")):
        assert payload["flows"][rows_by_last[origin]][cols_by_last[destination]] == 0
        assert payload["global"][rows_by_last[origin]][cols_by_last[destination]] == 0
    for row in payload["rows"]:
        assert math.isclose(sum(payload["global"][row].values()), 1.0, abs_tol=1e-5)
    assert isinstance(payload["warnings"], list)

    qualified = run_cli(
        settings,
        "scenario",
        "qualify",
        "--election",
        "leg-2017",
        "--round",
        "1",
        "--territory",
        "dep:69",
        "--json",
    )
    assert qualified.returncode == 0, qualified.stderr
    contract = strict_json(qualified.stdout)
    assert set(contract) == {"circonscriptions"}
    for row in contract["circonscriptions"]:
        assert set(row) == {"code", "qualified", "elected_first_round"}
        assert isinstance(row["code"], str)
        assert isinstance(row["qualified"], list)
        assert row["elected_first_round"] is None or isinstance(row["elected_first_round"], str)
    by_code = {row["code"]: row for row in contract["circonscriptions"]}
    assert set(by_code) == {"69-01", "69-02"}
    # 69-01: all three above 12.5 % of registered — a three-way run-off (L162)
    assert [name.split()[-1] for name in by_code["69-01"]["qualified"]] == [
        "PERRIN",
        "HAVARD",
        "BRUGNERA",
    ]

    transfers_file = tmp_path / "transfers.json"
    transfers_file.write_text(fitted.stdout, encoding="utf-8")
    simulated = run_cli(
        settings,
        "scenario",
        "simulate",
        "--election",
        "leg-2017",
        "--territory",
        "dep:69",
        "--transfers",
        str(transfers_file),
        "--withdraw",
        "Michel HAVARD,Laure GRANJON",
        "--draws",
        "400",
        "--csv",
    )
    assert simulated.returncode == 0, simulated.stderr
    lines = simulated.stdout.lstrip("\ufeff").splitlines()
    assert lines[0].split(";")[:4] == ["constituency", "candidate", "party", "status"]
    statuses = {line.split(";")[1]: line.split(";")[3] for line in lines[1:]}
    assert statuses["Michel HAVARD"] == "withdrawn"
    assert statuses["Anne BRUGNERA"] == "runoff"
    win = {line.split(";")[1]: float(line.split(";")[4]) for line in lines[1:]}
    assert win["Anne BRUGNERA"] + win["Agnès PERRIN"] == pytest.approx(1.0)

    # the same transfers under other names (as estimated on another election): the candidates
    # are matched by their nuance code, and the output says so
    payload = strict_json(fitted.stdout)
    assert payload["labels"]["rows"], payload["labels"]
    renamed = rename_candidates(payload)
    other_file = tmp_path / "transfers-other-names.json"
    other_file.write_text(json.dumps(renamed), encoding="utf-8")
    simulate_other = (
        "scenario",
        "simulate",
        "--election",
        "leg-2017",
        "--territory",
        "dep:69",
        "--transfers",
        str(other_file),
        "--draws",
        "400",
        "--json",
    )
    # HAVARD (LR) qualified in 69-01 but no LR candidate stood in round 2 anywhere: he has no
    # column, by name or by nuance — a clear error unless he withdraws
    refused = run_cli(settings, *simulate_other)
    assert refused.returncode == 2
    assert "Michel HAVARD (LR)" in refused.stderr
    by_nuance = run_cli(settings, *simulate_other, "--withdraw", "Michel HAVARD,Laure GRANJON")
    assert by_nuance.returncode == 0, by_nuance.stderr
    simulated_json = strict_json(by_nuance.stdout)
    assert {m["by"] for m in simulated_json["matching"]} == {"nuance"}
    assert "appariés par nuance" in by_nuance.stderr
    per_code: dict[str, float] = {}
    for row in simulated_json["rows"]:
        per_code[row["constituency"]] = per_code.get(row["constituency"], 0.0) + float(
            row["win_probability"]
        )
    assert all(total == pytest.approx(1.0) for total in per_code.values()), per_code

    targeted = run_cli(
        settings,
        "target",
        "--election",
        "leg-2017:2",
        "--territory",
        "circ:69-01",
        "--candidate",
        "BRUGNERA",
        "--transfers-from",
        ":1",
        "--json",
    )
    assert targeted.returncode == 0, targeted.stderr
    report = strict_json(targeted.stdout)
    assert report["transfers_from"] == "leg-2017:1"
    assert len(report["stations"]) == 4
    assert all(row["reason"] for row in report["stations"])


def test_transfers_from_round_only_takes_the_other_election_round() -> None:
    from circo.targeting.service import TargetingError, parse_election_round

    assert parse_election_round(":1", option="--transfers-from", default_election="leg-2017") == (
        "leg-2017",
        1,
    )
    with pytest.raises(TargetingError, match="ELECTION:TOUR"):
        parse_election_round(":3", option="--transfers-from", default_election="leg-2017")
    with pytest.raises(TargetingError, match="ELECTION:TOUR"):
        parse_election_round(":1", option="--transfers-from")
