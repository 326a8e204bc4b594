"""Reading the per-unit count table of ``circo ei fit --csv``.

One row per unit, one count column per group and per candidate; an optional unit column.
Separator (``,`` ``;`` tab) and encoding (UTF-8 with or without BOM, else latin-1) are detected.
Counts may use a decimal comma; empty cells count as 0.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from circo.targeting.errors import EIFileError


@dataclass(frozen=True)
class CountTable:
    units: list[str]
    groups: np.ndarray  # (n_units, R)
    candidates: np.ndarray  # (n_units, C)


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise EIFileError(f"fichier illisible : {exc.strerror}", loc=str(path)) from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _dialect(sample: str) -> str:
    first_line = sample.splitlines()[0] if sample else ""
    counts = {sep: first_line.count(sep) for sep in (";", ",", "\t")}
    return max(counts, key=lambda sep: counts[sep]) if any(counts.values()) else ","


def _number(text: str, *, path: Path, line: int, column: str) -> float:
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    if cleaned == "":
        return 0.0
    try:
        value = float(cleaned.replace(",", "."))
    except ValueError:
        raise EIFileError(
            f"nombre invalide « {text} » (attendu un effectif, ex. 412)",
            loc=f"{path.name}, ligne {line}, colonne « {column} »",
        ) from None
    if value < 0 or not np.isfinite(value):
        raise EIFileError(
            f"effectif négatif ou infini « {text} »",
            loc=f"{path.name}, ligne {line}, colonne « {column} »",
        )
    return value


def read_count_table(
    path: Path, *, groups: list[str], candidates: list[str], unit_column: str | None
) -> CountTable:
    text = _read_text(path)
    if not text.strip():
        raise EIFileError("fichier vide", loc=str(path))
    reader = csv.reader(text.splitlines(), delimiter=_dialect(text))
    header = [name.strip() for name in next(reader)]
    positions = {name: index for index, name in enumerate(header)}
    wanted = [*groups, *candidates] + ([unit_column] if unit_column else [])
    missing = [name for name in wanted if name not in positions]
    if missing:
        raise EIFileError(
            f"colonne(s) absente(s) : {', '.join(missing)} ; colonnes du fichier : "
            f"{', '.join(header)}",
            loc=path.name,
        )
    units: list[str] = []
    group_rows: list[list[float]] = []
    candidate_rows: list[list[float]] = []
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            raise EIFileError(
                f"ligne incomplète : {len(row)} colonnes au lieu de {len(header)}",
                loc=f"{path.name}, ligne {line}",
            )

        def cell(name: str, row: list[str] = row, line: int = line) -> float:
            return _number(row[positions[name]], path=path, line=line, column=name)

        units.append(row[positions[unit_column]].strip() if unit_column else str(line - 1))
        group_rows.append([cell(name) for name in groups])
        candidate_rows.append([cell(name) for name in candidates])
    if not units:
        raise EIFileError("aucune ligne de données", loc=path.name)
    return CountTable(
        units=unique_names(units),
        groups=np.asarray(group_rows, dtype=float),
        candidates=np.asarray(candidate_rows, dtype=float),
    )


def unique_names(names: list[str]) -> list[str]:
    """Keep names, suffixing repeats (" #2", " #3"…) so every unit stays addressable, in order."""
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} #{seen[name]}")
    return unique
