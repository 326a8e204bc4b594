"""Field experiments from files (``circo experiment assign|analyse``) and their pre-registration
frozen in the audit log."""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from circo.analysis.errors import AnalysisError
from circo.analysis.experiments import (
    TREATMENT,
    EffectEstimate,
    analyse,
    assign,
    make_blocks,
    minimum_detectable_effect,
)
from circo.core import audit
from circo.errors import CircoError

PREREGISTERED = "experiment.preregistered"


class ExperimentFileError(CircoError):
    pass


@dataclass
class UnitTable:
    """Rows of a units file, in file order: unit → {column: text}."""

    path: Path
    units: list[str]
    rows: dict[str, dict[str, str]]
    lines: dict[str, int]

    def column(self, name: str, *, option: str) -> list[str]:
        if self.units and name not in self.rows[self.units[0]]:
            known = ", ".join(self.rows[self.units[0]])
            raise ExperimentFileError(
                f"{self.path.name} : colonne « {name} » absente (colonnes : {known})", loc=option
            )
        return [self.rows[unit][name] for unit in self.units]

    def number(self, unit: str, name: str) -> float:
        text = self.rows[unit].get(name, "")
        try:
            value = float(text.replace(",", ".").strip())
        except ValueError:
            value = float("nan")
        if not np.isfinite(value) or value < 0:
            raise ExperimentFileError(
                f"{self.path.name}, ligne {self.lines[unit]}, colonne « {name} » : "
                f"« {text} » n'est pas un nombre ≥ 0"
            )
        return value


def read_units(path: Path, *, option: str) -> UnitTable:
    """A CSV (``,`` or ``;``) with a ``unit`` column; every unit once."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ExperimentFileError(f"fichier introuvable : {path}", loc=option) from None
    except UnicodeDecodeError:
        raise ExperimentFileError(f"{path.name} : attendu un CSV en UTF-8", loc=option) from None
    lines = text.splitlines()
    if not lines:
        raise ExperimentFileError(f"{path.name} : fichier vide", loc=option)
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.DictReader(lines, delimiter=delimiter)
    if "unit" not in (reader.fieldnames or []):
        raise ExperimentFileError(
            f"{path.name} : colonne « unit » absente (attendu unit,registered,voters[,…])",
            loc=option,
        )
    units: list[str] = []
    rows: dict[str, dict[str, str]] = {}
    numbers: dict[str, int] = {}
    for line_number, row in enumerate(reader, start=2):
        unit = (row.get("unit") or "").strip()
        if not unit:
            raise ExperimentFileError(f"{path.name}, ligne {line_number} : unité vide", loc=option)
        if unit in rows:
            raise ExperimentFileError(
                f"{path.name}, ligne {line_number} : unité « {unit} » déjà vue ligne "
                f"{numbers[unit]}",
                loc=option,
            )
        units.append(unit)
        rows[unit] = {key: (value or "") for key, value in row.items() if key is not None}
        numbers[unit] = line_number
    if len(units) < 2:
        raise ExperimentFileError(f"{path.name} : {len(units)} unité(s) ; attendu au moins 2")
    return UnitTable(path, units, rows, numbers)


def outcome_of(table: UnitTable, unit: str, outcome: str) -> float:
    """Turnout (voters / registered) or a column's share of voters, 0–1."""
    voters = table.number(unit, "voters")
    if outcome == "turnout":
        registered = table.number(unit, "registered")
        if registered <= 0:
            raise ExperimentFileError(
                f"{table.path.name}, ligne {table.lines[unit]} : registered = 0"
            )
        return voters / registered
    return table.number(unit, outcome) / voters if voters > 0 else 0.0


@dataclass
class Design:
    assignments: list[tuple[str, str]]
    minimum_detectable_effect: float | None
    blocks: int
    #: the outcome the minimum detectable effect is about: "turnout" or a column (its share of
    #: voters); the pre-registered outcome when the units file has it, else turnout
    mde_outcome: str = "turnout"


def _outcome_values(table: UnitTable, outcome: str) -> np.ndarray | None:
    """Every unit's value of ``outcome`` in the units file, or None when a column is missing."""
    needed = ("voters", "registered") if outcome == "turnout" else ("voters", outcome)
    if not all(all(name in table.rows[u] for name in needed) for u in table.units):
        return None
    return np.array([outcome_of(table, unit, outcome) for unit in table.units])


def design_from_file(
    path: Path,
    *,
    treated_share: float,
    block_on: str | None,
    seed: int,
    outcome: str = "turnout",
) -> Design:
    """Draw the arms over the file's units — bureaux, or turfs and streets when the field
    team works by them: a unit is a line of the file — and the minimum detectable effect on
    ``outcome`` (turnout, or a candidate's share of voters: a column of votes), from the
    spread of its past values between units."""
    table = read_units(path, option="--units")
    values = table.column(block_on, option="--block-on") if block_on else None
    try:
        assignments = assign(
            table.units, treated_share=treated_share, block_values=values, seed=seed
        )
    except AnalysisError as exc:
        raise ExperimentFileError(exc.message, loc="--treated-share") from exc
    blocks = make_blocks(table.units, values, treated_share)
    mde = None
    mde_outcome = outcome
    values_of_outcome = _outcome_values(table, outcome)
    if values_of_outcome is None and outcome != "turnout":
        mde_outcome, values_of_outcome = "turnout", _outcome_values(table, "turnout")
    if values_of_outcome is not None:
        mde = minimum_detectable_effect(values_of_outcome, treated_share)
    return Design(assignments, mde, len(blocks), mde_outcome)


def assignments_json(assignments: list[tuple[str, str]]) -> dict[str, Any]:
    """The CLI contract ``{"assignments": [{"unit": str, "arm": "treatment"|"control"}]}``."""
    return {"assignments": [{"unit": unit, "arm": arm} for unit, arm in assignments]}


def preregister(
    session: Session,
    *,
    campaign_id: int,
    actor: audit.Actor,
    units_file: Path,
    design: Design,
    settings: dict[str, Any],
) -> None:
    """Freeze the design in the audit log: the files' fingerprints, the seed, the hypothesis,
    the outcome and the planned analysis — written before any result exists."""
    digest = hashlib.sha256(
        json.dumps(assignments_json(design.assignments), sort_keys=True).encode()
    ).hexdigest()
    audit.record(
        session,
        actor=actor,
        action=PREREGISTERED,
        campaign_id=campaign_id,
        target_type="experiment",
        target_id=settings.get("name") or digest[:12],
        details={
            **settings,
            "units_sha256": hashlib.sha256(units_file.read_bytes()).hexdigest(),
            "assignments_sha256": digest,
            "units": len(design.assignments),
            "treated": sum(1 for _, arm in design.assignments if arm == TREATMENT),
            "blocks": design.blocks,
            "minimum_detectable_effect": design.minimum_detectable_effect,
        },
    )


def read_assignments(path: Path) -> dict[str, bool]:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        rows = payload["assignments"]
        arms = {str(row["unit"]): row["arm"] for row in rows}
    except FileNotFoundError:
        raise ExperimentFileError(f"fichier introuvable : {path}", loc="--assignments") from None
    except (ValueError, KeyError, TypeError):
        raise ExperimentFileError(
            f"{path.name} : attendu la sortie JSON de « circo experiment assign --json »",
            loc="--assignments",
        ) from None
    bad = [unit for unit, arm in arms.items() if arm not in ("treatment", "control")]
    if bad:
        raise ExperimentFileError(
            f"{path.name} : bras inconnu pour l'unité « {bad[0]} » (attendu treatment ou control)",
            loc="--assignments",
        )
    return {unit: arm == "treatment" for unit, arm in arms.items()}


def analyse_files(
    *,
    assignments: Path,
    before: Path,
    after: Path,
    outcome: str,
    block_on: str | None,
    permutations: int,
    seed: int,
) -> EffectEstimate:
    arms = read_assignments(assignments)
    first = read_units(before, option="--before")
    second = read_units(after, option="--after")
    for table, option in ((first, "--before"), (second, "--after")):
        missing = [unit for unit in arms if unit not in table.rows]
        if missing:
            raise ExperimentFileError(
                f"{table.path.name} : unité « {missing[0]} » de l'affectation absente "
                f"({len(missing)} au total)",
                loc=option,
            )
    units = [unit for unit in first.units if unit in arms]
    change = np.array(
        [outcome_of(second, unit, outcome) - outcome_of(first, unit, outcome) for unit in units]
    )
    treated = np.array([arms[unit] for unit in units])
    share = float(treated.mean())
    values = [first.rows[u].get(block_on or "", "") for u in units] if block_on else None
    if block_on:
        first.column(block_on, option="--block-on")
    blocks = make_blocks(units, values, share)
    try:
        return analyse(change, treated, blocks, permutations=permutations, seed=seed)
    except AnalysisError as exc:
        raise ExperimentFileError(exc.message, loc="--assignments") from exc


def effect_json(estimate: EffectEstimate) -> dict[str, float]:
    """The CLI contract ``{"effect", "low", "high", "p_value"}`` (turnout points, 0–1 scale)."""
    return {
        "effect": round(estimate.effect, 6),
        "low": round(estimate.low, 6),
        "high": round(estimate.high, 6),
        "p_value": round(estimate.p_value, 6),
    }
