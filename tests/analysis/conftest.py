"""Fixtures of the analysis tests: real shipped data (senc) and seeded synthetic sets."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from tests.data_files import TEST_DATA

SENC = TEST_DATA / "ei-senc-truth" / "senc.csv"
RACES = {"white": "wh", "black": "bl", "natam": "natam"}
PARTIES = ["dem", "rep", "non"]


@pytest.fixture(scope="session")
def senc() -> dict[str, np.ndarray]:
    """senc (eiPack): 212 NC precincts, race × party registration with the true 3×3 tables."""
    with SENC.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    groups = np.array([[float(r[race]) for race in RACES] for r in rows])
    parties = np.array([[float(r[p]) for p in PARTIES] for r in rows])
    tables = np.array(
        [[[float(r[prefix + p]) for p in PARTIES] for prefix in RACES.values()] for r in rows]
    )
    return {
        "X": groups,
        "T": parties,
        "tables": tables,
        "county": np.array([r["county"] for r in rows]),
        "precinct": np.array([r["precinct"] for r in rows]),
    }
