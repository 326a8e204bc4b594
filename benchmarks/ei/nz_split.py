"""New Zealand 2023 split-ticket tables with KNOWN truth (issue 15), read for the benchmarks.

Each electorate is a district. Units are its voting places (advance and election-day places,
plus the special-vote, overseas and party-vote-only lines of the official files); rows are the
party votes (17 registered parties + informal), columns the electorate-candidate votes (each
candidate + informal + "party vote only", the ballots with a party vote and no candidate vote).
The truth is the Electoral Commission's split-vote table of the electorate (party vote ×
candidate vote, counts = party total × published percentage). See data/nz2023/PROVENANCE.md.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / "data" / "nz2023"
PARTY_ONLY = "Party Vote Only"
INFORMAL_CANDIDATE = "Informal Candidate Votes"
TOTAL_ROW = "total"


@dataclass
class District:
    name: str
    units: list[str]
    groups: list[str]
    candidates: list[str]
    x: np.ndarray  # (n, R) party votes
    t: np.ndarray  # (n, C) candidate votes, informal, party vote only
    truth: np.ndarray  # (R, C) counts


def _read(path: Path) -> tuple[list[str], dict[str, np.ndarray]]:
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header = [name.strip() for name in rows[0][1:]]
    body = {row[0]: np.array([float(v) for v in row[1:]]) for row in rows[1:] if row}
    for name, values in body.items():
        if len(values) != len(header):
            raise ValueError(f"{path.name}: line {name!r} has {len(values)} numbers")
    return header, body


def _check_totals(path: Path, body: dict[str, np.ndarray]) -> None:
    total = body.pop(TOTAL_ROW)
    summed = np.sum(list(body.values()), axis=0)
    if not np.array_equal(summed, total):
        raise ValueError(f"{path.name}: the lines do not add up to the official total line")


def _truth(path: Path, groups: list[str], candidates: list[str]) -> np.ndarray:
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header = [name.strip() for name in rows[0]]
    by_party = {row[0].strip(): row for row in rows[1:]}
    columns = []
    for name in candidates:
        if name in (INFORMAL_CANDIDATE, PARTY_ONLY):
            columns.append(header.index(name))
        else:  # "NAME, First (Party)": the candidate's name followed by their party
            columns.append(next(i for i, h in enumerate(header) if h.startswith(name + " (")))
    table = np.zeros((len(groups), len(candidates)))
    for r, group in enumerate(groups):
        row = by_party[group]
        total = float(row[1])
        table[r] = [total * float(row[c]) / 100 for c in columns]
    return table


def load(code: str, name: str) -> District:
    party_path = DATA / f"{code}_party.csv"
    candidate_path = DATA / f"{code}_candidate.csv"
    groups, party = _read(party_path)
    cand_names, cand = _read(candidate_path)
    _check_totals(party_path, party)
    _check_totals(candidate_path, cand)
    units = list(party)
    missing = set(cand) - set(party)
    if missing:
        raise ValueError(f"{code}: candidate lines without party lines: {sorted(missing)}")
    x = np.array([party[u] for u in units])
    t_cand = np.array([cand.get(u, np.zeros(len(cand_names))) for u in units])
    party_only = np.maximum(x.sum(axis=1) - t_cand.sum(axis=1), 0.0)
    t = np.column_stack([t_cand, party_only])
    candidates = [*cand_names, PARTY_ONLY]
    truth = _truth(DATA / f"{code}_split.csv", groups, candidates)
    return District(name, units, groups, candidates, x, t, truth)


#: the electorates extracted so far (file prefix → electorate)
ELECTORATES = {"e01": "Auckland Central", "e11": "Epsom", "e41": "Rangitīkei"}


def districts() -> dict[str, District]:
    return {name: load(code, name) for code, name in ELECTORATES.items()}
