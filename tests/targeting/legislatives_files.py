"""A législatives round-2 file written from the round-1 test file (same Ministry layout).

``tests/data/elections/LG17_BVot_T1_lyon_cp1252.txt`` (real layout, made-up numbers, see its
README) has two circonscriptions over 8 bureaux of Lyon. Round 2 here keeps two candidates per
circonscription — 69-01: BRUGNERA (REM) against PERRIN (FN); 69-02: BLEIN (REM) against ROCHE
(DIV) — so the other candidates of round 1 (HAVARD, GRANJON) have no round-2 column anywhere.
"""

from __future__ import annotations

from pathlib import Path

ROUND_ONE = Path(__file__).parents[1] / "data" / "elections" / "LG17_BVot_T1_lyon_cp1252.txt"
KEPT = {"01": ("BRUGNERA", "PERRIN"), "02": ("BLEIN", "ROCHE")}
HEADER_FIELDS = 21  # columns before the first candidate block
BLOCK = 8  # N°Panneau;Sexe;Nom;Prénom;Nuance;Voix;% Voix/Ins;% Voix/Exp


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.2f}".replace(".", ",") if whole else "0,00"


def write_round_two(target: Path) -> Path:
    """Write the round-2 file next to the tests' data; returns its path."""
    lines = ROUND_ONE.read_bytes().decode("cp1252").splitlines()
    out = [lines[0]]
    for number, line in enumerate(lines[1:]):
        fields = line.split(";")
        circ, registered = fields[2], int(fields[7])
        voters = int(fields[10]) - 40 + 7 * number
        blank, null_votes = 20 + number, 8
        valid = voters - blank - null_votes
        first_share = 0.35 + 0.06 * number
        first = round(valid * first_share)
        votes = (first, valid - first)
        blocks = [
            fields[HEADER_FIELDS + i * BLOCK : HEADER_FIELDS + (i + 1) * BLOCK] for i in range(3)
        ]
        kept = [block for block in blocks if block[2] in KEPT[circ]]
        head = [
            *fields[:7],
            str(registered),
            str(registered - voters),
            _pct(registered - voters, registered),
            str(voters),
            _pct(voters, registered),
            str(blank),
            _pct(blank, registered),
            _pct(blank, voters),
            str(null_votes),
            _pct(null_votes, registered),
            _pct(null_votes, voters),
            str(valid),
            _pct(valid, registered),
            _pct(valid, voters),
        ]
        for panel, (block, count) in enumerate(zip(kept, votes, strict=True), start=1):
            head += [
                str(panel),
                *block[1:5],
                str(count),
                _pct(count, registered),
                _pct(count, valid),
            ]
        out.append(";".join(head))
    target.write_bytes(("\r\n".join(out) + "\r\n").encode("cp1252"))
    return target
