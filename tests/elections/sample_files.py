"""Real result files (shipped in ``circo/elections/demo_data``) cut to a few communes, written
into a test's tmp folder."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

from tests.data_files import demo_file

LYON = "123"  # Ministry commune code of Lyon inside département 69


def rhone_file(round_number: int) -> Path:
    """The Ministry file of the Rhône, présidentielle 2017 (gzipped, content unchanged)."""
    return demo_file(f"pres2017_t{round_number}_rhone69_mi.csv.gz")


def rhone_bytes(round_number: int) -> bytes:
    return gzip.decompress(rhone_file(round_number).read_bytes())


def cut_rhone(folder: Path, *, round_number: int, communes: tuple[str, ...] = (LYON,)) -> Path:
    """The Ministry file of the Rhône, only the rows of ``communes`` (header kept)."""
    lines = rhone_bytes(round_number).decode("utf-8").splitlines(keepends=True)
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


def national_paris(*, round_number: int) -> Path:
    """The national "large" file cut to Paris (département 75), as shipped for the demo."""
    return demo_file(f"pres2017_t{round_number}_paris_large.csv.gz")
