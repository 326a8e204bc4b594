"""Normalisation of what people type: names, emails, phones (E.164), postal addresses."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

EMAIL_PATTERN = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[A-Za-z0-9-]{2,}$")
POSTAL_CODE_PATTERN = re.compile(r"^\d{5}$")
COMMUNE_CODE_PATTERN = re.compile(r"^(\d{5}|2[AB]\d{3})$")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})

STREET_ABBREVIATIONS = {
    "av": "avenue",
    "ave": "avenue",
    "bd": "boulevard",
    "bld": "boulevard",
    "blvd": "boulevard",
    "ch": "chemin",
    "chem": "chemin",
    "imp": "impasse",
    "pl": "place",
    "r": "rue",
    "rte": "route",
    "sq": "square",
    "all": "allee",
    "fg": "faubourg",
    "fbg": "faubourg",
    "pass": "passage",
    "qu": "quai",
    "st": "saint",
    "ste": "sainte",
}
_NUMBER_PATTERN = re.compile(r"^(\d+)\s*(bis|ter|quater|[a-d])?\b\s*,?\s*(.*)$")


def fold(text: str | None) -> str:
    """Lower case, no accents, punctuation to spaces: "Éloïse-Marie" → "eloise marie"."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    ascii_text = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NON_ALNUM.sub(" ", ascii_text.lower()).strip()


def clean_text(text: str | None) -> str:
    return " ".join((text or "").split())


def person_name(first_name: str | None, last_name: str | None) -> tuple[str, str]:
    """Trimmed names: first name capitalised ("jean-luc" → "Jean-Luc"), last name kept as typed
    unless all lower case."""
    first = clean_text(first_name)
    last = clean_text(last_name)
    if first.islower() or first.isupper():
        first = "-".join(part.capitalize() for part in first.split("-"))
        first = " ".join(part[:1].upper() + part[1:] for part in first.split(" "))
    if last.islower():
        last = last.upper()
    return first, last


def search_forms(first_name: str, last_name: str) -> tuple[str, str]:
    """("dupont jean", "jean dupont"): the two prefixes the name search matches."""
    first, last = fold(first_name), fold(last_name)
    return f"{last} {first}".strip(), f"{first} {last}".strip()


def name_key(first_name: str, last_name: str) -> str:
    """Blocking key of the duplicate detection: folded last name + first initial."""
    last = fold(last_name).replace(" ", "")
    first = fold(first_name).replace(" ", "")
    return f"{last}|{first[:1]}" if last else ""


def normalise_email(value: str | None) -> str | None:
    """Lower-cased address, or None when empty. Raises ValueError when malformed."""
    text = (value or "").strip().strip("<>").strip()
    if not text:
        return None
    if not EMAIL_PATTERN.match(text):
        raise ValueError(f"adresse e-mail invalide « {text} » (attendu par ex. marie@exemple.fr)")
    return text.lower()


# Regions numbered in the French plan or written in French files: metropolitan France, then the
# overseas départements and collectivités (national format "06 90…" is Guadeloupe, "06 94…"
# Guyane, "06 96…" Martinique, "06 92…"/"06 93…" La Réunion, "06 39…" Mayotte…).
FRENCH_REGIONS = ("FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "NC", "PF", "WF")
REGION_NAMES = {
    "FR": "France (+33)",
    "GP": "Guadeloupe (+590)",
    "BL": "Saint-Barthélemy (+590)",
    "MF": "Saint-Martin (+590)",
    "MQ": "Martinique (+596)",
    "GF": "Guyane (+594)",
    "RE": "La Réunion (+262)",
    "YT": "Mayotte (+262)",
    "PM": "Saint-Pierre-et-Miquelon (+508)",
    "NC": "Nouvelle-Calédonie (+687)",
    "PF": "Polynésie française (+689)",
    "WF": "Wallis-et-Futuna (+681)",
}


def _valid(text: str, region: str | None) -> str | None:
    # phonenumbers is imported at first use: its metadata costs ≈ 13 ms at import, which every
    # command-line call would pay
    import phonenumbers

    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=65536)
def normalise_phone(value: str | None, region: str = "FR") -> str | None:
    """E.164 form ("06 12 34 56 78" → "+33612345678", "0690 12 34 56" → "+590690123456"),
    or None when empty.

    A number in national format is read in ``region`` first, then in every French overseas
    territory (the same plan); raises ValueError when no French territory uses it, or when
    two territories read it differently (then the international prefix is required)."""
    text = (value or "").strip()
    if not text:
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    if text.startswith("+"):
        found = _valid(text, None)
        if found:
            return found
    else:
        found = _valid(text, region)
        if found:
            return found
        others = [r for r in FRENCH_REGIONS if r != region]
        readings = {r: e164 for r in others if (e164 := _valid(text, r))}
        distinct = set(readings.values())
        if len(distinct) == 1:
            return distinct.pop()
        if distinct:
            places = ", ".join(REGION_NAMES.get(r, r) for r in readings)
            raise ValueError(
                f"numéro de téléphone ambigu « {value} » : il existe en {places} ; "
                "écrivez-le avec l'indicatif (ex. +687 75 12 34)"
            )
    raise ValueError(
        f"numéro de téléphone invalide « {value} » : aucun territoire français n'utilise ce "
        "numéro (attendu par ex. 06 12 34 56 78, 0690 12 34 56 ou +33 6 12 34 56 78)"
    )


def phone_variants(e164: str) -> list[str]:
    """Ways a number may be written in files: E.164, national with and without spaces."""
    import phonenumbers  # at first use, as in `_valid`

    variants = {e164}
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return sorted(variants)
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    for form in (national, international):
        variants.add(form)
        variants.add(form.replace(" ", ""))
        variants.add(form.replace(" ", "."))
        variants.add(form.replace(" ", "-"))
    return sorted(variants)


def normalise_postal_code(value: str | None) -> str | None:
    text = (value or "").strip().replace(" ", "")
    if not text:
        return None
    if text.endswith(".0"):
        text = text[:-2]
    if text.isdigit() and len(text) == 4:
        text = "0" + text
    if not POSTAL_CODE_PATTERN.match(text):
        raise ValueError(f"code postal invalide « {value} » (attendu 5 chiffres, ex. 69003)")
    return text


def normalise_commune_code(value: str | None) -> str | None:
    text = (value or "").strip().upper()
    if not text:
        return None
    if text.isdigit() and len(text) == 4:
        text = "0" + text
    if not COMMUNE_CODE_PATTERN.match(text):
        raise ValueError(
            f"code commune INSEE invalide « {value} » (attendu 5 caractères, ex. 69123)"
        )
    return text


def normalise_address_line(value: str | None) -> str | None:
    """Trim, single spaces, expanded common abbreviations kept readable ("12 bd Voltaire" →
    "12 boulevard Voltaire")."""
    text = clean_text(value)
    if not text:
        return None
    words = text.replace(",", " ").split()
    expanded = [STREET_ABBREVIATIONS.get(fold(word).rstrip("."), word) for word in words]
    return " ".join(expanded)


def split_number(address_line: str) -> tuple[str, str]:
    """("12 bis", "rue de la paix") from a folded address line."""
    folded = fold(address_line)
    match = _NUMBER_PATTERN.match(folded)
    if not match:
        return "", street_key(folded)
    number = match.group(1) + (match.group(2) or "")
    return number, street_key(match.group(3))


def street_key(street: str) -> str:
    """Folded street name with abbreviations expanded: the geocoder's join key."""
    words = [STREET_ABBREVIATIONS.get(word, word) for word in fold(street).split()]
    return " ".join(words)


def household_key(address_line: str | None, postal_code: str | None) -> str | None:
    if not address_line or not postal_code:
        return None
    number, street = split_number(address_line)
    return f"{postal_code}|{number}|{street}"
