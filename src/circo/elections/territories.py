"""Territory keys, code normalisation and the static parts of the French hierarchy.

Keys are ``<level>:<code>``: ``fr``, ``reg:84``, ``dep:69``, ``circ:69-01``, ``com:69123``,
``arr:69381`` and ``bv:69123_0101`` (commune code + "_" + normalised bureau code).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from circo.elections.errors import InvalidElection, InvalidTerritory
from circo.elections.parsers.codes import normalize_department, station_key

LEVELS = ("fr", "reg", "dep", "circ", "com", "arr", "bv")
LEVEL_NAMES = {
    "fr": "France",
    "reg": "Région",
    "dep": "Département",
    "circ": "Circonscription",
    "com": "Commune",
    "arr": "Arrondissement",
    "bv": "Bureau de vote",
}

# Département → région (2016 regions, INSEE codes).
_REGIONS = {
    "84": "01 03 07 15 26 38 42 43 63 69 73 74",
    "27": "21 25 39 58 70 71 89 90",
    "53": "22 29 35 56",
    "24": "18 28 36 37 41 45",
    "94": "2A 2B",
    "44": "08 10 51 52 54 55 57 67 68 88",
    "32": "02 59 60 62 80",
    "11": "75 77 78 91 92 93 94 95",
    "28": "14 27 50 61 76",
    "75": "16 17 19 23 24 33 40 47 64 79 86 87",
    "76": "09 11 12 30 31 32 34 46 48 65 66 81 82",
    "52": "44 49 53 72 85",
    "93": "04 05 06 13 83 84",
    "01": "971",
    "02": "972",
    "03": "973",
    "04": "974",
    "06": "976",
}
DEPARTMENT_REGION = {dep: reg for reg, deps in _REGIONS.items() for dep in deps.split()}

REGION_NAMES = {
    "84": "Auvergne-Rhône-Alpes",
    "27": "Bourgogne-Franche-Comté",
    "53": "Bretagne",
    "24": "Centre-Val de Loire",
    "94": "Corse",
    "44": "Grand Est",
    "32": "Hauts-de-France",
    "11": "Île-de-France",
    "28": "Normandie",
    "75": "Nouvelle-Aquitaine",
    "76": "Occitanie",
    "52": "Pays de la Loire",
    "93": "Provence-Alpes-Côte d'Azur",
    "01": "Guadeloupe",
    "02": "Martinique",
    "03": "Guyane",
    "04": "La Réunion",
    "06": "Mayotte",
}

# Communes with arrondissements municipaux: commune code → (first arrondissement code, count).
PLM = {"75056": ("75101", 20), "69123": ("69381", 9), "13055": ("13201", 16)}

ELECTION_TYPES = {
    "pres": "presidentielle",
    "leg": "legislatives",
    "euro": "europeennes",
    "mun": "municipales",
    "dep": "departementales",
    "reg": "regionales",
}
ELECTION_NAMES = {
    "presidentielle": "Présidentielle",
    "legislatives": "Législatives",
    "europeennes": "Européennes",
    "municipales": "Municipales",
    "departementales": "Départementales",
    "regionales": "Régionales",
}
_ELECTION_KEY = re.compile(r"^(pres|leg|euro|mun|dep|reg)-(\d{4})(?:-[a-z0-9-]+)?$")


@dataclass(frozen=True)
class TerritoryRef:
    """A parsed territory key."""

    level: str
    code: str

    @property
    def key(self) -> str:
        return "fr" if self.level == "fr" else f"{self.level}:{self.code}"


def arrondissement_code(commune: str, station: str) -> str | None:
    """Paris, Lyon, Marseille: the arrondissement embedded in the bureau code ("1905" → 75119)."""
    plm = PLM.get(commune)
    if plm is None or len(station) != 4 or not station.isdigit():
        return None
    number = int(station[:2])
    first, count = plm
    if not 1 <= number <= count:
        return None
    return str(int(first) + number - 1)


def is_arrondissement(code: str) -> bool:
    """True for the INSEE code of a Paris, Lyon or Marseille arrondissement (75119, 69381…)."""
    for first, count in PLM.values():
        if code.isdigit() and int(first) <= int(code) < int(first) + count:
            return True
    return False


def region_code(department: str) -> str | None:
    return DEPARTMENT_REGION.get(department)


def parse_territory(text: str) -> TerritoryRef:
    """Parse ``fr``, ``dep:91``, ``circ:91-04``, ``com:91477``, ``bv:91477_0001``…"""
    value = text.strip()
    if value.lower() in ("fr", "france"):
        return TerritoryRef("fr", "")
    level, sep, code = value.partition(":")
    level = level.lower()
    if not sep or level not in LEVELS or not code.strip():
        raise InvalidTerritory(
            f"territoire « {text} » non reconnu ; attendu fr, reg:84, dep:91, circ:91-04, "
            "com:91477, arr:69381 ou bv:91477_0001",
            loc="TERRITOIRE",
        )
    code = code.strip().upper()
    if level == "dep":
        code = normalize_department(code)
    elif level == "circ":
        department, _, number = code.partition("-")
        if not number:
            raise InvalidTerritory(
                f"circonscription « {code} » sans numéro ; attendu par ex. circ:91-04",
                loc="TERRITOIRE",
            )
        dep = normalize_department(department)
        code = f"{dep}-{int(number):02d}" if number.isdigit() else f"{dep}-{number}"
    elif level == "bv":
        commune, _, station = code.partition("_")
        if not station:
            raise InvalidTerritory(
                f"bureau « {code} » incomplet ; attendu code commune + _ + bureau, ex. "
                "bv:91477_0001",
                loc="TERRITOIRE",
            )
        code = station_key(commune, station)
    return TerritoryRef(level, code)


@dataclass(frozen=True)
class ElectionRef:
    key: str
    election_type: str
    year: int


def parse_election_key(text: str) -> ElectionRef:
    """``pres-2022`` → présidentielle 2022; also leg, euro, mun, dep, reg (+ optional suffix)."""
    value = text.strip().lower()
    match = _ELECTION_KEY.match(value)
    if not match:
        raise InvalidElection(
            f"identifiant d'élection « {text} » non reconnu ; attendu type-année, ex. pres-2022, "
            "leg-2024, euro-2019, mun-2020 (types : pres, leg, euro, mun, dep, reg)",
            loc="--election",
        )
    return ElectionRef(value, ELECTION_TYPES[match.group(1)], int(match.group(2)))


def check_round(value: int) -> int:
    if value not in (1, 2):
        raise InvalidElection(f"tour « {value} » invalide ; attendu 1 ou 2", loc="--round")
    return value
