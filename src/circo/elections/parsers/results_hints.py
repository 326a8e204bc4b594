"""Election hints read from a results file name (never trusted over explicit arguments).

``PR17_BVot_T1_FE.txt`` → ``{"election_type": "presidentielle", "year": "2017", "round": "1"}``;
``resultats-par-niveau-burvot-t2-france-entiere.txt`` → ``{"round": "2"}``.
"""

from __future__ import annotations

import re
from pathlib import Path

from circo.elections.parsers.textio import fold

_TYPE_WORDS = {
    "presidentielle": "presidentielle",
    "presidentielles": "presidentielle",
    "legislatives": "legislatives",
    "legislative": "legislatives",
    "europeennes": "europeennes",
    "europeenne": "europeennes",
    "municipales": "municipales",
    "municipale": "municipales",
    "departementales": "departementales",
    "cantonales": "departementales",
    "regionales": "regionales",
}
_TYPE_PREFIXES = {
    "pr": "presidentielle",
    "lg": "legislatives",
    "leg": "legislatives",
    "er": "europeennes",
    "eu": "europeennes",
    "mn": "municipales",
    "dp": "departementales",
    "cn": "departementales",
    "rg": "regionales",
}
_PREFIXED_YEAR = re.compile(r"^([a-z]{2,3})(\d{2})$")
_ROUND = re.compile(r"^t([12])(?:t2)?$")


def hints_from_name(path: str) -> dict[str, str]:
    """Election type, year and round guessed from the file name's words."""
    words = fold(Path(path).name).split()
    hints: dict[str, str] = {}
    previous = ""
    for word in words:
        if previous in _TYPE_WORDS and word in ("1", "2"):
            hints.setdefault("round", word)
        previous = word
        if word in _TYPE_WORDS:
            hints.setdefault("election_type", _TYPE_WORDS[word])
        elif (match := _PREFIXED_YEAR.match(word)) and match.group(1) in _TYPE_PREFIXES:
            hints.setdefault("election_type", _TYPE_PREFIXES[match.group(1)])
            hints.setdefault("year", f"20{match.group(2)}")
        elif word.isdigit() and len(word) == 4 and word.startswith(("19", "20")):
            hints.setdefault("year", word)
        elif match := _ROUND.match(word):
            hints.setdefault("round", match.group(1))
        elif word in ("tour1", "1er"):
            hints.setdefault("round", "1")
        elif word in ("tour2", "2nd", "2e"):
            hints.setdefault("round", "2")
    return hints
