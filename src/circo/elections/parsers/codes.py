"""Territory codes: Ministry département codes → INSEE, commune codes, bureau keys.

All functions are pure and cheap; the results parser memoises them per file.
"""

from __future__ import annotations

# Ministry of the Interior codes for départements/collectivités outside metropolitan France.
# ZX (Saint-Barthélemy / Saint-Martin) depends on the commune code: 7xx → 977, 8xx → 978.
# Official INSEE/COG codes (insee.fr "Codification des collectivités et territoires français
# d'outre-mer"): Saint-Pierre-et-Miquelon 975 (97501, 97502), Saint-Barthélemy 977 (97701),
# Saint-Martin 978 (97801), Wallis-et-Futuna 986 (98611-98613), Polynésie 987 (98711-98758),
# Nouvelle-Calédonie 988 (98801-98833). Some Ministry files (européennes 2014) file Saint-Martin
# under 977 with commune 801: the commune number wins.
MINISTRY_DEPARTMENTS: dict[str, str] = {
    "ZA": "971",  # Guadeloupe
    "ZB": "972",  # Martinique
    "ZC": "973",  # Guyane
    "ZD": "974",  # La Réunion
    "ZS": "975",  # Saint-Pierre-et-Miquelon
    "ZM": "976",  # Mayotte
    "ZW": "986",  # Wallis-et-Futuna
    "ZP": "987",  # Polynésie française
    "ZN": "988",  # Nouvelle-Calédonie
    "ZZ": "99",  # Français établis hors de France
}
ABROAD_DEPARTMENT = "99"


def normalize_department(raw: str, commune_hint: str = "") -> str:
    """INSEE département code from a Ministry/INSEE code.

    ``"1"`` → ``"01"``, ``"2a"`` → ``"2A"``, ``"ZA"`` → ``"971"``, ``"ZZ"`` → ``"99"``,
    ``"ZX"`` → ``"977"`` or ``"978"`` depending on ``commune_hint`` (``"701"`` / ``"801"``).
    Unknown codes are returned stripped and upper-cased.
    """
    code = raw.strip().upper()
    if code in ("977", "978"):  # the commune number says which collectivity (701 / 801)
        hint = commune_hint.strip()
        if len(hint) >= 3 and hint[-3:-2] in ("7", "8"):
            return "97" + hint[-3:-2]
        return code
    if code.isdigit():
        return code.zfill(2) if len(code) < 2 else code
    if code in MINISTRY_DEPARTMENTS:
        return MINISTRY_DEPARTMENTS[code]
    if code == "ZX":
        hint = commune_hint.strip()
        return "978" if hint[-3:-2] == "8" or hint.startswith("978") else "977"
    return code


def commune_code(department_raw: str, commune_raw: str) -> tuple[str, str]:
    """``(department_code, commune_code)`` in INSEE form from the Ministry's two columns.

    ``("1", "4")`` → ``("01", "01004")``; ``("2A", "004")`` → ``("2A", "2A004")``;
    ``("971", "01")`` → ``("971", "97101")``; ``("ZA", "101")`` → ``("971", "97101")``;
    ``("ZZ", "1")`` → ``("99", "99001")``. A 5-character commune code is already INSEE and is
    kept (the département is then taken from it when ``department_raw`` is empty).
    """
    commune = commune_raw.strip().upper()
    department = normalize_department(department_raw, commune) if department_raw.strip() else ""
    if len(commune) == 5:
        if department in ("", "977", "978"):  # 97801 is Saint-Martin whatever the column says
            department = department_of_commune(commune)
        return department, commune
    if not department:
        return "", commune
    if commune.isdigit():
        padded = commune.zfill(3)
        if department == ABROAD_DEPARTMENT:
            return department, department + padded[-3:]
        if len(department) == 3:
            return department, department + padded[-2:]
        return department, department + padded[-3:]
    return department, department + commune


def department_of_commune(code: str) -> str:
    """``"75056"`` → ``"75"``, ``"97101"`` → ``"971"``, ``"2A004"`` → ``"2A"``."""
    return code[:3] if code[:2] in ("97", "98") else code[:2]


def normalize_station_code(raw: str) -> str:
    """Bureau code in the national key form: spaces removed, upper-cased, purely numeric codes
    left-padded to 4 digits (``"1"`` → ``"0001"``, ``"00012"`` → ``"0012"``, ``"a3"`` → ``"A3"``).
    """
    code = raw.replace(" ", "").replace("\u00a0", "").upper()
    if code.isdigit():
        code = code.lstrip("0") or "0"
        return code.zfill(4)
    return code


def station_key(commune: str, station: str) -> str:
    """National bureau key: ``"75056_0101"``."""
    return f"{commune}_{normalize_station_code(station)}"


def split_station_id(raw: str) -> tuple[str, str] | None:
    """``"29039_1"`` → ``("29039", "0001")``; None if ``raw`` has no ``_`` separator."""
    commune, sep, station = raw.strip().partition("_")
    if not sep or not commune or not station:
        return None
    return commune.upper(), normalize_station_code(station)


def constituency_code(department: str, department_raw: str, raw: str) -> str | None:
    """``"91-04"`` style key from a circonscription code (``"4"``, ``"04"``, ``"9104"``)."""
    code = raw.strip().upper()
    if not code or not department:
        return None
    for prefix in (department_raw.strip().upper(), department):
        if prefix and len(code) > len(prefix) + 1 and code.startswith(prefix):
            code = code[len(prefix) :]
            break
    if code.isdigit():
        return f"{department}-{int(code):02d}"
    return f"{department}-{code}"
