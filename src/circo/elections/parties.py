"""Nuance codes and list names → parties, from the shipped table ``reference/parties.csv``.

``party_of("leg-2017", label="REM")`` → ``"La République en marche"``; a party name or its usual
abbreviation (« La République en marche », « LREM ») then finds the candidates of that party
wherever a candidate is asked for by name (``circo map --indicator share:…``, ``circo target
--candidate …``). Election keys with a suffix (``leg-2017-paris``) use their base election's rows.
"""

from __future__ import annotations

import csv
import unicodedata
from functools import cache
from importlib import resources
from typing import NamedTuple


class Party(NamedTuple):
    name: str
    short: str


def fold(text: str) -> str:
    """Accent- and case-insensitive form of a name, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.casefold().replace("’", "'").split())


@cache
def _table() -> dict[tuple[str, str, str], Party]:
    path = resources.files("circo") / "elections" / "reference" / "parties.csv"
    rows: dict[tuple[str, str, str], Party] = {}
    with path.open("r", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            key = (row["election"], row["kind"], fold(row["value"]))
            rows[key] = Party(row["party"], row["short"])
    return rows


def _base(election_key: str) -> str:
    return "-".join(election_key.split("-")[:2])


def party_of(
    election_key: str, *, label: str | None = None, list_name: str | None = None
) -> Party | None:
    """The party of a candidate or list from its nuance code, else from its list name."""
    table = _table()
    base = _base(election_key)
    if label:
        found = table.get((base, "nuance", fold(label)))
        if found is not None:
            return found
    if list_name:
        return table.get((base, "list", fold(list_name)))
    return None


def matches_party(
    election_key: str, wanted: str, *, label: str | None = None, list_name: str | None = None
) -> bool:
    """Whether ``wanted`` names the party of that candidate (full name or abbreviation)."""
    party = party_of(election_key, label=label, list_name=list_name)
    if party is None:
        return False
    folded = fold(wanted)
    return folded in (fold(party.name), fold(party.short))
