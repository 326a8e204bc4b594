"""The exports other campaign tools leave behind (NationBuilder, Action Network, Qomon, Action
Populaire-style), recognised by their columns and translated into circo's import file.

A `Layout` names which of its columns hold circo's fields, its tags, its consents (opt-in or
opt-out, with the values that mean yes) and leaves every other non-empty column as a custom
field of the campaign. `translate` turns the file into a `ParsedFile` with circo's French
headers (what `suggest_mapping` recognises) plus one column per custom field, and the mapping
for it; the rest of the import (validation, dry run, atomic write, job) is the usual one. The
consents written carry where they came from (`provenance`: the tool, the original file and
its SHA-256, the column of each channel) and are marked ``imported`` in their proof.

The column layouts, and the public pages they were read from, are in `docs/imports.md`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from circo.crm import normalise
from circo.crm.errors import ImportFileError
from circo.crm.importer.reading import ParsedFile

# circo's column of the translated file → field (the headers `suggest_mapping` knows).
TARGET_HEADERS = {
    "first_name": "Prénom",
    "last_name": "Nom",
    "email": "Email",
    "phone": "Téléphone",
    "address_line": "Adresse",
    "postal_code": "Code postal",
    "city": "Commune",
    "birth_year": "Année de naissance",
    "notes": "Notes",
    "tags": "Étiquettes",
    "consent_email": "Consentement email",
    "consent_sms": "Consentement SMS",
    "consent_phone": "Consentement téléphone",
    "consent_post": "Consentement courrier",
}
CHANNEL_FIELD = {
    "email": "consent_email",
    "sms": "consent_sms",
    "phone": "consent_phone",
    "post": "consent_post",
}
TRUE_VALUES = {"y", "yes", "true", "1", "oui", "o", "x", "vrai", "subscribed", "abonne", "opt in"}
FALSE_VALUES = {
    "n",
    "no",
    "false",
    "0",
    "non",
    "faux",
    "unsubscribed",
    "desabonne",
    "bouncing",
    "spam complaint",
    "opt out",
}


@dataclass(frozen=True)
class Consent:
    """A column about one channel: ``opt_in`` (yes = consent granted, no = refused) or
    opt-out (yes = the person refused; no says nothing)."""

    channel: str
    opt_in: bool = True


@dataclass(frozen=True)
class Layout:
    key: str  # --from value
    name: str  # shown to people
    detect: tuple[frozenset[str], ...]  # any of these sets of folded headers identifies it
    fields: dict[str, tuple[str, ...]]  # circo field → folded source headers (first non-empty)
    consents: dict[str, Consent] = field(default_factory=dict)  # folded source header → consent
    tags: tuple[str, ...] = ()  # folded headers of tag lists (separated by , or ;)
    tag_columns: tuple[str, ...] = ()  # folded headers whose non-empty value is itself a tag
    ignored: tuple[str, ...] = ()  # folded headers not kept (secrets, internal counters)
    year_fields: tuple[str, ...] = ()  # folded headers holding a date whose year is kept


LAYOUTS: dict[str, Layout] = {
    layout.key: layout
    for layout in (
        Layout(
            key="nationbuilder",
            name="NationBuilder (export des personnes)",
            detect=(frozenset({"nationbuilder id"}), frozenset({"email opt in", "tag list"})),
            fields={
                "first_name": ("first name",),
                "last_name": ("last name",),
                "email": ("email", "email1"),
                "phone": ("mobile number", "phone number", "work phone number"),
                "address_line": ("primary address1", "address address1"),
                "postal_code": ("primary zip", "address zip"),
                "city": ("primary city", "address city"),
                "notes": ("note",),
            },
            consents={
                "email opt in": Consent("email"),
                "mobile opt in": Consent("sms"),
                "do not call": Consent("phone", opt_in=False),
                "federal donotcall": Consent("phone", opt_in=False),
            },
            tags=("tag list",),
            year_fields=("born at",),
        ),
        Layout(
            key="actionnetwork",
            name="Action Network (rapport d'activistes)",
            detect=(
                frozenset({"email", "zip code", "can2 subscription status"}),
                frozenset({"email", "zip code", "can2 phone"}),
                frozenset({"email", "zip code", "can2 user tags"}),
            ),
            fields={
                "first_name": ("first name",),
                "last_name": ("last name",),
                "email": ("email",),
                "phone": ("can2 phone", "phone"),
                "address_line": ("address", "street address", "can2 address"),
                "postal_code": ("zip code",),
                "city": ("city", "can2 city"),
            },
            consents={
                "can2 subscription status": Consent("email"),
                "can2 sms status": Consent("sms"),
            },
            tags=("can2 user tags", "tags"),
            ignored=("uuid",),
        ),
        Layout(
            key="qomon",
            name="Qomon (export des contacts)",
            detect=(
                frozenset({"firstname", "surname", "email consent"}),
                frozenset({"prenom", "nom", "consentement email qomon"}),
                frozenset({"firstname", "surname", "mobile consent"}),
            ),
            fields={
                "first_name": ("firstname", "prenom"),
                "last_name": ("surname", "nom"),
                "email": ("email", "mail"),
                "phone": ("mobile", "phone", "telephone"),
                "address_line": ("address", "adresse"),
                "postal_code": ("postal code", "code postal"),
                "city": ("city", "ville"),
            },
            consents={
                "email consent": Consent("email"),
                "mobile consent": Consent("sms"),
                "email unsubscribe": Consent("email", opt_in=False),
                "sms unsubscribe": Consent("sms", opt_in=False),
                "call unsubscribe": Consent("phone", opt_in=False),
            },
            tags=("tags", "tag"),
            year_fields=("birthdate", "date of birth", "date de naissance"),
        ),
        Layout(
            key="actionpopulaire",
            name="Action Populaire (liste d'un groupe d'action)",
            detect=(
                frozenset({"prenom", "nom", "email", "membre du groupe"}),
                frozenset({"prenom", "nom", "email", "date d adhesion au groupe"}),
            ),
            fields={
                "first_name": ("prenom",),
                "last_name": ("nom",),
                "email": ("email", "e mail"),
                "phone": ("telephone", "numero de telephone"),
                "postal_code": ("code postal",),
                "city": ("ville", "commune"),
            },
            consents={
                "recoit les e mails du groupe": Consent("email"),
                "accepte les sms": Consent("sms"),
            },
            tags=("etiquettes", "tags"),
            tag_columns=("membre du groupe",),
        ),
    )
}


def detect(headers: list[str]) -> Layout | None:
    """The layout whose identifying columns are all in ``headers`` (None: circo's own or an
    unknown file, mapped column by column)."""
    folded = {normalise.fold(header) for header in headers}
    for layout in LAYOUTS.values():
        if any(signature <= folded for signature in layout.detect):
            return layout
    return None


def layout_named(key: str) -> Layout:
    layout = LAYOUTS.get(key.strip().lower())
    if layout is None:
        raise ImportFileError(
            f"format inconnu « {key} » (attendu : {', '.join(LAYOUTS)})", loc="--from"
        )
    return layout


@dataclass
class Translation:
    layout: Layout
    parsed: ParsedFile  # circo's columns, rows in the original order (line numbers kept)
    mapping: dict[str, str]  # header of ``parsed`` → field
    custom_fields: dict[str, str]  # key → label (created in the campaign before the import)
    provenance: dict[str, Any]  # carried into each consent's proof

    def plan(self) -> dict[str, Any]:
        """What the dry run shows about the translation itself."""
        return {
            "layout": self.layout.key,
            "layout_name": self.layout.name,
            "mapping": dict(self.provenance["columns"]),
            "custom_fields": self.custom_fields,
            "consent_columns": self.provenance["consent_columns"],
            "tag_columns": self.provenance["tag_columns"],
        }


def _custom_key(layout: Layout, header: str) -> str:
    key = f"{layout.key}_{normalise.fold(header).replace(' ', '_')}"
    if len(key) > 64:
        key = key[:55] + "_" + hashlib.sha256(key.encode()).hexdigest()[:8]
    return key


def _truth(raw: str) -> bool | None:
    folded = normalise.fold(raw)
    if folded in TRUE_VALUES:
        return True
    if folded in FALSE_VALUES:
        return False
    return None


def translate(parsed: ParsedFile, layout: Layout) -> Translation:
    """``parsed`` (a file of ``layout``) as circo's import file; refuses a file that does not
    have the layout's identifying columns, and a consent value it cannot read (row, column)."""
    folded = [normalise.fold(header) for header in parsed.headers]
    if not any(signature <= set(folded) for signature in layout.detect):
        expected = " ; ".join(", ".join(sorted(s)) for s in layout.detect)
        raise ImportFileError(
            f"ce fichier n'a pas les colonnes d'un export {layout.name} (attendu : {expected})",
            loc=parsed.filename,
        )
    position = {name: index for index, name in reversed(list(enumerate(folded)))}
    used: set[str] = set()
    columns: dict[str, str] = {}  # original header → circo field (for the plan)
    sources: dict[str, list[int]] = {}
    for target, names in layout.fields.items():
        found = [position[name] for name in names if name in position]
        if found:
            sources[target] = found
            used.update(folded[i] for i in found)
            for i in found:
                columns[parsed.headers[i]] = target
    consent_columns = {
        parsed.headers[position[name]]: CHANNEL_FIELD[consent.channel]
        for name, consent in layout.consents.items()
        if name in position
    }
    used.update(name for name in layout.consents if name in position)
    tag_lists = [position[name] for name in layout.tags if name in position]
    tag_flags = [position[name] for name in layout.tag_columns if name in position]
    years = [position[name] for name in layout.year_fields if name in position]
    used.update(folded[i] for i in (*tag_lists, *tag_flags, *years))
    used.update(name for name in layout.ignored)
    custom_positions = [
        i for i, name in enumerate(folded) if name and name not in used and name not in columns
    ]
    tool = layout.name.split(" (")[0]
    custom_headers = {i: f"{parsed.headers[i]} ({tool})" for i in custom_positions}
    custom_fields = {
        _custom_key(layout, parsed.headers[i]): custom_headers[i] for i in custom_positions
    }

    targets = [t for t in TARGET_HEADERS if t in sources or t == "last_name"]
    if years:
        targets.append("birth_year")
    if tag_lists or tag_flags:
        targets.append("tags")
    consent_targets = sorted(
        {CHANNEL_FIELD[c.channel] for n, c in layout.consents.items() if n in position}
    )
    targets += [t for t in consent_targets if t not in targets]
    headers = [TARGET_HEADERS[t] for t in targets] + list(custom_headers.values())
    mapping = {TARGET_HEADERS[t]: t for t in targets}
    for i in custom_positions:
        mapping[custom_headers[i]] = f"custom:{_custom_key(layout, parsed.headers[i])}"
    rows: list[list[str]] = []
    for number, row in enumerate(parsed.rows, start=2):
        values: dict[str, str] = {}
        for target, found in sources.items():
            values[target] = next((row[i].strip() for i in found if row[i].strip()), "")
        if years:
            raw = next((row[i].strip() for i in years if row[i].strip()), "")
            values["birth_year"] = _year(raw)
        tags: list[str] = []
        for i in tag_lists:
            tags += [t.strip() for t in row[i].replace(";", ",").split(",") if t.strip()]
        for i in tag_flags:
            if row[i].strip() and _truth(row[i]) is not False:
                tags.append(parsed.headers[i] if _truth(row[i]) else row[i].strip())
        values["tags"] = ", ".join(dict.fromkeys(tags))
        for name, consent in layout.consents.items():
            if name not in position:
                continue
            raw = row[position[name]].strip()
            if not raw:
                continue
            truth = _truth(raw)
            if truth is None:
                raise ImportFileError(
                    f"ligne {number}, colonne {parsed.headers[position[name]]} : valeur « {raw} » "
                    "non reconnue (attendu oui/non, Y/N, true/false, subscribed/unsubscribed)",
                    loc=parsed.filename,
                )
            target = CHANNEL_FIELD[consent.channel]
            if consent.opt_in:
                values[target] = "oui" if truth else "non"
            elif truth:  # an opt-out column saying "yes": the person refused
                values[target] = "non"
        rows.append(
            [values.get(t, "") for t in targets] + [row[i].strip() for i in custom_positions]
        )
    provenance = {
        "imported_from": layout.key,
        "original_file": parsed.filename,
        "original_sha256": parsed.sha256,
        "columns": columns,
        "consent_columns": consent_columns,
        "tag_columns": [parsed.headers[i] for i in (*tag_lists, *tag_flags)],
    }
    translated = ParsedFile(
        filename=parsed.filename,
        sha256=parsed.sha256,
        headers=headers,
        rows=rows,
        provenance=provenance,
    )
    return Translation(layout, translated, mapping, custom_fields, provenance)


def _year(raw: str) -> str:
    """The year of a date written 1978-04-02, 04/02/1978 or 1978."""
    digits = [part for part in raw.replace("/", "-").replace(".", "-").split("-") if part]
    for part in digits:
        if len(part) >= 4 and part[:4].isdigit():
            return part[:4]
    return ""
