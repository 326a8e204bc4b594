"""Mapping an import file's columns to contact fields: the known fields and their French and
English usual headers, the suggested mapping, and an explicit ``--mapping`` applied over it."""

from __future__ import annotations

import json
from pathlib import Path

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext
from circo.crm import normalise
from circo.crm.errors import ImportFileError
from circo.crm.models import CustomField

# field → (French label, folded synonyms). The first synonym list entry is the usual header.
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "first_name": ("Prénom", ("prenom", "prenoms", "first name", "firstname", "given name")),
    "last_name": (
        "Nom",
        ("nom", "nom de famille", "last name", "lastname", "surname", "family name", "name"),
    ),
    "email": (
        "Email",
        ("email", "e mail", "mail", "courriel", "adresse email", "adresse e mail", "email address"),
    ),
    "phone": (
        "Téléphone",
        (
            "telephone",
            "tel",
            "phone",
            "mobile",
            "portable",
            "numero de telephone",
            "phone number",
            "telephone portable",
            "gsm",
        ),
    ),
    "address_line": (
        "Adresse",
        ("adresse", "address", "adresse postale", "rue", "street", "address line 1", "voie"),
    ),
    "postal_code": (
        "Code postal",
        ("code postal", "cp", "postal code", "zip", "zip code", "postcode"),
    ),
    "city": ("Commune", ("commune", "ville", "city", "town", "localite")),
    "commune_code": (
        "Code commune",
        ("code commune", "code insee", "insee", "commune code", "code commune insee"),
    ),
    "polling_station": (
        "Bureau de vote",
        ("bureau de vote", "bureau", "bv", "polling station", "numero de bureau"),
    ),
    "birth_year": ("Année de naissance", ("annee de naissance", "birth year", "year of birth")),
    "relationship_kind": ("Relation", ("relation", "type de contact", "relationship")),
    "tags": ("Étiquettes", ("tags", "tag", "etiquettes", "etiquette", "groupes", "labels")),
    "notes": ("Notes", ("notes", "note", "commentaire", "commentaires", "remarques", "comments")),
    "source": ("Source", ("source", "origine", "provenance")),
    "consent_email": (
        "Consentement email",
        (
            "consentement email",
            "consentement e mail",
            "consentement courriel",
            "email consent",
            "opt in email",
            "accepte email",
            "accepte les emails",
        ),
    ),
    "consent_sms": (
        "Consentement SMS",
        ("consentement sms", "sms consent", "opt in sms", "accepte sms", "accepte les sms"),
    ),
    "consent_phone": (
        "Consentement téléphone",
        (
            "consentement telephone",
            "consentement tel",
            "phone consent",
            "opt in telephone",
            "accepte appels",
        ),
    ),
    "consent_post": (
        "Consentement courrier",
        ("consentement courrier", "consentement postal", "post consent", "mail consent"),
    ),
}
REQUIRED_FIELDS = ("last_name",)


def _custom_targets(session: Session | None, ctx: CampaignContext | None) -> dict[str, str]:
    if session is None or ctx is None:
        return {}
    fields = session.scalars(ctx.scoped(select(CustomField), CustomField))
    targets: dict[str, str] = {}
    for custom in fields:
        targets[normalise.fold(custom.key.replace("_", " "))] = f"custom:{custom.key}"
        targets[normalise.fold(custom.label)] = f"custom:{custom.key}"
    return targets


def suggest_mapping(
    headers: list[str], *, session: Session | None = None, ctx: CampaignContext | None = None
) -> dict[str, str]:
    """header → field for the headers recognised (French and English usual names)."""
    synonyms: dict[str, str] = {}
    for field_name, (_label, names) in FIELDS.items():
        for name in names:
            synonyms.setdefault(name, field_name)
    synonyms.update(_custom_targets(session, ctx))
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        target = _match_header(normalise.fold(header), synonyms)
        if target and target not in taken:
            mapping[header] = target
            taken.add(target)
    return mapping


def _match_header(folded: str, synonyms: dict[str, str]) -> str | None:
    if not folded:
        return None
    if folded in synonyms:
        return synonyms[folded]
    # "Consentement email : oui/non", "Téléphone (mobile)" → longest synonym the header starts with
    prefixes = [name for name in synonyms if len(name) > 3 and folded.startswith(name + " ")]
    if prefixes:
        return synonyms[max(prefixes, key=len)]
    best = process.extractOne(folded, list(synonyms), scorer=fuzz.ratio, score_cutoff=88)
    return synonyms[best[0]] if best else None


def parse_mapping(value: str | None) -> dict[str, str] | None:
    """``--mapping``: a JSON object (or the path of a JSON file) {"header": "field"}."""
    if value is None:
        return None
    text = value
    candidate = Path(value)
    if not value.lstrip().startswith("{") and candidate.is_file():
        text = candidate.read_text(encoding="utf-8")
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            f"--mapping n'est pas un objet JSON valide ({exc.msg}) ; attendu par ex. "
            '\'{"Nom de famille": "last_name", "Mél": "email"}\'',
            loc="--mapping",
        ) from None
    if not isinstance(loaded, dict):
        raise ImportFileError('--mapping : attendu un objet JSON {"colonne": "champ"}')
    return {str(key): "" if item is None else str(item) for key, item in loaded.items()}


def resolve_mapping(
    headers: list[str],
    explicit: dict[str, str] | None,
    *,
    session: Session | None = None,
    ctx: CampaignContext | None = None,
    filename: str = "fichier",
) -> dict[str, str]:
    """The suggested mapping, overridden by ``explicit`` ({header: field}; "" ignores a column);
    refuses unknown headers or fields and a required field left unmapped."""
    mapping = suggest_mapping(headers, session=session, ctx=ctx)
    known_targets = set(FIELDS) | set(_custom_targets(session, ctx).values())
    for key, target in (explicit or {}).items():
        header, wanted = key, target
        if header not in headers and wanted in headers and key in known_targets:
            header, wanted = target, key  # {"field": "header"} written the other way round
        if header not in headers:
            raise ImportFileError(
                f"--mapping : colonne « {header} » absente du fichier ; colonnes reçues : "
                + ", ".join(headers),
                loc=filename,
            )
        if wanted and wanted not in known_targets:
            raise ImportFileError(
                f"--mapping : champ « {wanted} » inconnu ; champs possibles : "
                + ", ".join(sorted(known_targets)),
                loc=filename,
            )
        for other, assigned in list(mapping.items()):
            if assigned == wanted and other != header:
                del mapping[other]
        if wanted:
            mapping[header] = wanted
        else:
            mapping.pop(header, None)
    mapped = set(mapping.values())
    for required in REQUIRED_FIELDS:
        if required not in mapped:
            label = FIELDS[required][0]
            raise ImportFileError(
                f"colonne obligatoire « {label} » ({required}) non reconnue ; colonnes reçues : "
                f"{', '.join(headers)}. Indiquez-la avec --mapping, par ex. "
                f'\'{{"Nom de famille": "{required}"}}\'',
                loc=filename,
            )
    return mapping
