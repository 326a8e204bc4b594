"""Field experiments: blocked assignment with a recorded seed, pre-registration in the audit log,
and the analysis recovering an effect injected into real results (Rhône, présidentielle 2017:
round 1 as "before", round 2 as "after")."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from circo.analysis.experiments import (
    ExperimentError,
    analyse,
    assign,
    make_blocks,
    minimum_detectable_effect,
)
from circo.config import Settings
from circo.core.models import AuditEvent
from circo.runtime import Runtime
from tests.elections.sample_files import rhone_file
from tests.factories import TwoCampaigns
from tests.server import run_cli


def real_bureaux(round_number: int, count: int) -> list[tuple[str, int, int]]:
    """(unit, registered, voters) of the first ``count`` bureaux of the Rhône file."""
    path = rhone_file(round_number)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        reader = csv.reader(handle, delimiter=";")
        next(reader)
        rows = []
        for line in reader:
            rows.append((f"{line[4]}_{line[6]}", int(line[7]), int(line[10])))
            if len(rows) == count:
                break
    return rows


def write_units(path: Path, rows: list[tuple[str, int, int]], *, bump: dict[str, int]) -> Path:
    with path.open("w", encoding="utf-8") as out:
        out.write("unit,registered,voters,past_turnout\n")
        for unit, registered, voters in rows:
            voters = min(voters + bump.get(unit, 0), registered)
            out.write(f"{unit},{registered},{voters},{voters / registered:.4f}\n")
    return path


def test_blocked_assignment_is_reproducible_and_balanced() -> None:
    units = [f"bv{i:02d}" for i in range(21)]
    past = [0.5 + 0.01 * ((i * 5) % 21) for i in range(21)]
    first = assign(units, treated_share=0.5, block_values=past, seed=11)
    assert first == assign(units, treated_share=0.5, block_values=past, seed=11)
    assert first != assign(units, treated_share=0.5, block_values=past, seed=12)
    arm = dict(first)
    blocks = make_blocks(units, past, 0.5)
    assert [len(block) for block in blocks] == [2] * 9 + [3]  # pairs; the odd unit joins the last
    for block in blocks[:-1]:  # one treated unit per pair, pairs of neighbouring past turnout
        assert sorted(arm[units[i]] for i in block) == ["control", "treatment"]
        assert abs(past[block[0]] - past[block[1]]) <= 0.011
    third = assign(units, treated_share=1 / 3, block_values=["nord", "sud", "est"] * 7, seed=1)
    assert sum(a == "treatment" for _, a in third) == 7
    with pytest.raises(ExperimentError, match="entre 0 et 1"):
        assign(units, treated_share=1.5, seed=0)
    with pytest.raises(ExperimentError, match="en double"):
        assign(["a", "a"], treated_share=0.5, seed=0)


def test_the_estimator_recovers_an_effect_injected_into_real_results() -> None:
    before = real_bureaux(1, 200)
    after = {unit: (registered, voters) for unit, registered, voters in real_bureaux(2, 200)}
    units = [unit for unit, _, _ in before]
    past = np.array([voters / registered for _, registered, voters in before])
    blocks = make_blocks(units, list(past), 0.5)
    rng = np.random.default_rng(0)
    effects, covered = [], 0
    for replication in range(40):
        arms = dict(assign(units, treated_share=0.5, block_values=list(past), seed=replication))
        treated = np.array([arms[unit] == "treatment" for unit in units])
        later = np.array([after[unit][1] / after[unit][0] for unit in units])
        change = later + 0.02 * treated - past
        estimate = analyse(change, treated, blocks, permutations=200, seed=int(rng.integers(1e6)))
        effects.append(estimate.effect)
        covered += estimate.low <= 0.02 <= estimate.high
    assert abs(np.mean(effects) - 0.02) < 0.002
    assert covered >= 34  # 95 % intervals: ≥ 85 % of 40 (binomial slack)
    assert minimum_detectable_effect(past, 0.5) > 0


def test_assign_and_analyse_contracts(
    settings: Settings, runtime: Runtime, world: TwoCampaigns, tmp_path: Path
) -> None:
    before_rows = real_bureaux(1, 60)
    after_rows = real_bureaux(2, 60)
    units_file = write_units(tmp_path / "before.csv", before_rows, bump={})
    assigned = run_cli(
        settings,
        "experiment",
        "assign",
        "--units",
        str(units_file),
        "--treated-share",
        "0.5",
        "--block-on",
        "past_turnout",
        "--seed",
        "42",
        "--hypothesis",
        "Le porte-à-porte augmente la participation",
        "--campaign",
        world.a.slug,
        "--json",
    )
    assert assigned.returncode == 0, assigned.stderr
    payload = json.loads(assigned.stdout)
    assert set(payload) == {"assignments"}
    assert [row["unit"] for row in payload["assignments"]] == [row[0] for row in before_rows]
    assert all(set(row) == {"unit", "arm"} for row in payload["assignments"])
    assert {row["arm"] for row in payload["assignments"]} == {"treatment", "control"}
    assert "Effet minimal détectable" in assigned.stderr
    treated = {row["unit"] for row in payload["assignments"] if row["arm"] == "treatment"}
    with runtime.session() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "experiment.preregistered")
        ).one()
        assert event.campaign_id == world.a.id
        assert event.details["seed"] == 42
        assert event.details["hypothesis"].startswith("Le porte-à-porte")
        assert event.details["treated"] == len(treated) == 30

    assignments = tmp_path / "assignments.json"
    assignments.write_text(assigned.stdout, encoding="utf-8")
    # +3 points of turnout in the treated bureaux of the real round 2
    bump = {unit: round(0.03 * registered) for unit, registered, _ in after_rows if unit in treated}
    after_file = write_units(tmp_path / "after.csv", after_rows, bump=bump)
    analysed = run_cli(
        settings,
        "experiment",
        "analyse",
        "--assignments",
        str(assignments),
        "--before",
        str(units_file),
        "--after",
        str(after_file),
        "--outcome",
        "turnout",
        "--block-on",
        "past_turnout",
        "--json",
    )
    assert analysed.returncode == 0, analysed.stderr
    effect = json.loads(analysed.stdout)
    assert set(effect) == {"effect", "low", "high", "p_value"}
    assert all(isinstance(value, float) for value in effect.values())
    assert effect["low"] <= 0.03 <= effect["high"]
    assert effect["p_value"] < 0.05

    broken = tmp_path / "broken.csv"
    broken.write_text("unit,registered,voters\nA,100,x\nB,100,50\n", encoding="utf-8")
    bad = run_cli(
        settings,
        "experiment",
        "analyse",
        "--assignments",
        str(assignments),
        "--before",
        str(broken),
        "--after",
        str(after_file),
    )
    assert bad.returncode != 0
    assert "broken.csv" in bad.stderr


def candidate_bureaux(count: int) -> list[tuple[str, int, int, int]]:
    """(unit, registered, voters, MACRON votes) of the first bureaux of the Rhône round 1."""
    path = rhone_file(1)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        reader = csv.reader(handle, delimiter=";")
        next(reader)
        rows = []
        for line in reader:
            assert line[37] == "MACRON"  # third panel of round 1
            rows.append((f"{line[4]}_{line[6]}", int(line[7]), int(line[10]), int(line[39])))
            if len(rows) == count:
                break
    return rows


@pytest.mark.usefixtures("runtime")
def test_a_candidate_share_outcome_has_its_own_minimum_detectable_effect(
    settings: Settings, tmp_path: Path
) -> None:
    """Units may be any lines (bureaux, turfs, streets); the outcome may be a candidate's share
    of voters: the minimum detectable effect is about that outcome, and the analysis recovers
    +4 points of MACRON share injected into the treated bureaux of the real round 1."""
    rows = candidate_bureaux(80)

    def write(path: Path, bump: dict[str, int]) -> Path:
        with path.open("w", encoding="utf-8") as out:
            out.write("unit,registered,voters,macron\n")
            for unit, registered, voters, macron in rows:
                moved = min(macron + bump.get(unit, 0), voters)
                out.write(f"{unit},{registered},{voters},{moved}\n")
        return path

    before = write(tmp_path / "before.csv", {})
    assigned = run_cli(
        settings,
        "experiment",
        "assign",
        "--units",
        str(before),
        "--outcome",
        "macron",
        "--seed",
        "3",
        "--json",
    )
    assert assigned.returncode == 0, assigned.stderr
    assert "part de « macron » parmi les votants" in assigned.stderr
    shares = np.array([macron / voters for _, _, voters, macron in rows])
    expected = minimum_detectable_effect(shares, 0.5)
    shown = f"{100 * expected:.1f}".replace(".", ",")
    assert f"Effet minimal détectable (puissance 80 %, α 5 %) : {shown} points" in assigned.stderr
    # an outcome that is not in the file yet: the effect is told for turnout
    on_turnout = run_cli(
        settings, "experiment", "assign", "--units", str(before), "--outcome", "hamon"
    )
    assert on_turnout.returncode == 0, on_turnout.stderr
    assert "points de participation" in on_turnout.stderr

    assignments = tmp_path / "assignments.json"
    assignments.write_text(assigned.stdout, encoding="utf-8")
    treated = {
        row["unit"]
        for row in json.loads(assigned.stdout)["assignments"]
        if row["arm"] == "treatment"
    }
    bump = {unit: round(0.04 * voters) for unit, _, voters, _ in rows if unit in treated}
    after = write(tmp_path / "after.csv", bump)
    analysed = run_cli(
        settings,
        "experiment",
        "analyse",
        "--assignments",
        str(assignments),
        "--before",
        str(before),
        "--after",
        str(after),
        "--outcome",
        "macron",
        "--json",
    )
    assert analysed.returncode == 0, analysed.stderr
    effect = json.loads(analysed.stdout)
    assert effect["low"] <= 0.04 <= effect["high"]
    assert effect["p_value"] < 0.05
