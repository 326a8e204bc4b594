"""Real result files cut to a few communes, written into a test's tmp folder."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

RHONE = "fr-presidentielle-2017-rhone-mi"
T1_FILE = "2017-bronze_burvot_t1_rhone_69.csv"
T2_FILE = "2017-bronze_burvot_t2_rhone_69.csv"
LYON = "123"  # Ministry commune code of Lyon inside département 69


def cut_rhone(
    shared_data: Path, folder: Path, *, round_number: int, communes: tuple[str, ...] = (LYON,)
) -> Path:
    """The Ministry file of the Rhône, only the rows of ``communes`` (header kept)."""
    source = shared_data / RHONE / (T1_FILE if round_number == 1 else T2_FILE)
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [lines[0]] + [line for line in lines[1:] if line.split(";")[4] in communes]
    target = folder / f"rhone_t{round_number}_{'-'.join(communes)}.csv"
    target.write_text("".join(kept), encoding="utf-8")
    return target


def file_totals(path: Path, *, commune: str | None = None) -> dict[str, int]:
    """Sums computed straight from the Ministry file (the hand check of the importer)."""
    sums = {"stations": 0, "registered": 0, "voters": 0, "blank": 0, "null_votes": 0, "valid": 0}
    columns = {"registered": 7, "voters": 10, "blank": 12, "null_votes": 15, "valid": 18}
    with path.open(encoding="utf-8") as handle:
        reader = csv.reader(handle, delimiter=";")
        next(reader)
        for row in reader:
            if commune and row[4] != commune:
                continue
            sums["stations"] += 1
            for name, index in columns.items():
                sums[name] += int(row[index])
    return sums


def candidate_votes(path: Path, last_name: str) -> int:
    """Votes of one candidate summed over the file (blocks of 7 after 21 fixed columns)."""
    total = 0
    with path.open(encoding="utf-8") as handle:
        reader = csv.reader(handle, delimiter=";")
        next(reader)
        for row in reader:
            for start in range(21, len(row) - 3, 7):
                if row[start + 2] == last_name:
                    total += int(row[start + 4])
    return total


def national_paris(shared_data: Path, folder: Path, *, round_number: int) -> Path:
    """The national "large" file cut to Paris (département 75)."""
    source = (
        shared_data
        / "fr-presidentielle-2017-bv"
        / f"2017-presidentielle-{round_number}_par_bureau_large.csv.gz"
    )
    target = folder / f"paris_t{round_number}.csv"
    with gzip.open(source, "rt", encoding="utf-8") as handle, target.open("w") as out:
        for number, line in enumerate(handle):
            if number == 0 or line.startswith("75,"):
                out.write(line)
    return target
