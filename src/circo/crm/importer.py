"""Import of contacts from CSV or XLSX: read, suggest a column mapping, validate, commit.

The commit is atomic: either every valid row is written (with its consent records, tags,
household and an "import" line on its timeline) or, on any problem, nothing is. Rows whose email
or phone is on the suppression list (people who asked for erasure or objected) are skipped.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from circo.core import audit
from circo.core.tenancy import CampaignContext
from circo.crm import normalise
from circo.crm.contacts import derived_fields, normalise_fields, tag_ids
from circo.crm.errors import ImportFileError
from circo.crm.models import Contact, ContactTag, CustomField, Household, ImportBatch, Interaction
from circo.db import utcnow

MAX_ROWS = 1_000_000
CHUNK = 5000

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
CONSENT_FIELDS = {
    "consent_email": "email",
    "consent_sms": "sms",
    "consent_phone": "phone",
    "consent_post": "post",
}
YES = {"oui", "o", "yes", "y", "1", "true", "vrai", "x", "ok", "granted", "accepte"}
NO = {"non", "n", "no", "0", "false", "faux", "refused", "refuse"}


@dataclass
class ParsedFile:
    filename: str
    sha256: str
    headers: list[str]
    rows: list[list[str]]  # data rows; row i is line i + 2 of the file


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class ImportPlan:
    mapping: dict[str, str]  # header → field
    records: list[dict[str, Any]] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    consents: list[dict[str, str]] = field(default_factory=list)
    tags: list[list[str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)

    @property
    def valid_rows(self) -> int:
        return len(self.records)


@dataclass
class ImportResult:
    batch_id: int
    rows: int
    created: int
    updated: int
    skipped: int
    problems: list[Problem]

    def as_dict(self) -> dict[str, object]:
        return {
            "batch_id": self.batch_id,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "problems": [problem.as_dict() for problem in self.problems],
        }


# --- reading ----------------------------------------------------------------------------------


def read_file(path: Path, *, filename: str | None = None) -> ParsedFile:
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"fichier illisible : {exc.strerror}", loc=str(path)) from exc
    return read_bytes(content, filename=filename or path.name)


def read_bytes(content: bytes, *, filename: str) -> ParsedFile:
    """Parse a CSV (UTF-8 or Windows-1252, separator ; , tab or |) or an XLSX file."""
    digest = hashlib.sha256(content).hexdigest()
    if filename.lower().endswith((".xlsx", ".xlsm")) or content[:4] == b"PK\x03\x04":
        headers, rows = _read_xlsx(content, filename)
    else:
        headers, rows = _read_csv(content, filename)
    return ParsedFile(filename=filename, sha256=digest, headers=headers, rows=rows)


def _decode(content: bytes, filename: str) -> str:
    if b"\x00" in content[:4096]:
        raise ImportFileError(
            "fichier binaire ou UTF-16 non pris en charge (attendu un CSV UTF-8 ou un XLSX)",
            loc=filename,
        )
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def _read_csv(content: bytes, filename: str) -> tuple[list[str], list[list[str]]]:
    text = _decode(content, filename)
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    if not first:
        raise ImportFileError("fichier vide : aucune ligne d'en-tête", loc=filename)
    delimiter = max(";,\t|", key=first.count)
    if first.count(delimiter) == 0:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        all_rows = list(reader)
    except csv.Error as exc:
        raise ImportFileError(f"CSV mal formé : {exc}", loc=filename) from exc
    return _table(all_rows, filename)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _read_xlsx(content: bytes, filename: str) -> tuple[list[str], list[list[str]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ImportFileError(f"classeur XLSX illisible : {exc}", loc=filename) from exc
    try:
        sheet = workbook.worksheets[0]
        all_rows = [[_cell(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    while all_rows and all_rows[-1] and not any(all_rows[-1]):
        all_rows.pop()
    return _table(all_rows, filename)


def _table(all_rows: list[list[str]], filename: str) -> tuple[list[str], list[list[str]]]:
    start = next((index for index, row in enumerate(all_rows) if any(c.strip() for c in row)), None)
    if start is None:
        raise ImportFileError("fichier vide : aucune ligne d'en-tête", loc=filename)
    headers = [cell.strip() for cell in all_rows[start]]
    while headers and not headers[-1]:
        headers.pop()
    seen: set[str] = set()
    for position, header in enumerate(headers, start=1):
        if not header:
            raise ImportFileError(
                f"colonne {position} sans en-tête (attendu un nom de colonne, ex. « Nom »)",
                loc=f"{filename}, ligne {start + 1}",
            )
        if header in seen:
            raise ImportFileError(
                f"colonne « {header} » en double", loc=f"{filename}, ligne {start + 1}"
            )
        seen.add(header)
    rows: list[list[str]] = []
    width = len(headers)
    for offset, row in enumerate(all_rows[start + 1 :], start=start + 2):
        if not any(cell.strip() for cell in row):
            continue
        cells = list(row)
        while len(cells) > width and not cells[-1].strip():
            cells.pop()
        if len(cells) > width:
            raise ImportFileError(
                f"{len(cells)} valeurs pour {width} colonnes (séparateur ou guillemets mal "
                "placés ?)",
                loc=f"{filename}, ligne {offset}",
            )
        rows.append(cells + [""] * (width - len(cells)))
        if len(rows) > MAX_ROWS:
            raise ImportFileError(f"plus de {MAX_ROWS} lignes : découpez le fichier", loc=filename)
    return headers, rows


# --- mapping ----------------------------------------------------------------------------------


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


# --- validation -------------------------------------------------------------------------------


def _consent_value(raw: str) -> str | None:
    folded = normalise.fold(raw)
    if not folded:
        return None
    if folded in YES:
        return "granted"
    if folded in NO:
        return "refused"
    raise ValueError(f"valeur de consentement « {raw} » non reconnue (attendu oui ou non)")


def plan_import(
    parsed: ParsedFile,
    mapping: dict[str, str],
    *,
    suppressed: Callable[[str, str], bool] | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportPlan:
    """Normalise and validate every row; nothing is written."""
    plan = ImportPlan(mapping=mapping)
    columns = [(parsed.headers.index(header), header, target) for header, target in mapping.items()]
    seen_emails: dict[str, int] = {}
    for index, row in enumerate(parsed.rows):
        line = index + 2
        values: dict[str, Any] = {}
        custom: dict[str, str] = {}
        consents: dict[str, str] = {}
        tags: list[str] = []
        row_problems: list[Problem] = []
        for position, header, target in columns:
            raw = row[position].strip()
            if target.startswith("custom:"):
                if raw:
                    custom[target[7:]] = raw
            elif target in CONSENT_FIELDS:
                try:
                    status = _consent_value(raw)
                except ValueError as exc:
                    row_problems.append(Problem(line, header, str(exc)))
                    continue
                if status:
                    consents[CONSENT_FIELDS[target]] = status
            elif target == "tags":
                tags = [tag.strip() for tag in raw.replace(";", ",").split(",") if tag.strip()]
            elif target == "birth_year":
                if raw:
                    if not (raw[:4].isdigit() and 1900 <= int(raw[:4]) <= 2100):
                        row_problems.append(
                            Problem(
                                line, header, f"année de naissance invalide « {raw} » (ex. 1978)"
                            )
                        )
                    else:
                        values["birth_year"] = int(raw[:4])
            elif target == "phone" and raw.isdigit() and len(raw) == 9:
                values["phone"] = "0" + raw  # a spreadsheet dropped the leading zero
            else:
                values[target] = raw or None
        values.setdefault("first_name", "")
        values["last_name"] = values.get("last_name") or ""
        if values.get("relationship_kind") is None:
            values.pop("relationship_kind", None)
        try:
            values = normalise_fields(values)
        except ValueError as exc:
            field_name, _, reason = str(exc).partition(": ")
            header = next((h for h, t in mapping.items() if t == field_name), field_name)
            row_problems.append(Problem(line, header, reason))
        if not row_problems and not (
            values["last_name"] or values.get("email") or values.get("phone")
        ):
            row_problems.append(Problem(line, "Nom", "ligne sans nom, e-mail ni téléphone"))
        if row_problems:
            plan.problems.extend(row_problems)
            continue
        email, phone = values.get("email"), values.get("phone")
        if suppressed and (
            (email and suppressed("email", email)) or (phone and suppressed("phone", phone))
        ):
            plan.skipped.append(
                Problem(line, "", "personne ayant demandé l'effacement ou s'étant opposée")
            )
            continue
        if email and email in seen_emails:
            plan.skipped.append(
                Problem(line, "Email", f"même e-mail que la ligne {seen_emails[email]}")
            )
            continue
        if email:
            seen_emails[email] = line
        values["custom"] = custom
        plan.records.append(values)
        plan.row_numbers.append(line)
        plan.consents.append(consents)
        plan.tags.append(tags)
        if progress and index % CHUNK == 0:
            progress(index)
    return plan


# --- commit -----------------------------------------------------------------------------------


def commit_import(
    session: Session,
    ctx: CampaignContext,
    parsed: ParsedFile,
    mapping: dict[str, str],
    *,
    skip_invalid: bool = False,
    source: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Validate, then write everything in the caller's transaction (flush, no commit).

    With problems and not ``skip_invalid``, raises `ImportFileError` before writing anything."""
    from circo.privacy.consent import identity_hash, suppressed_hashes

    hashes = suppressed_hashes(session, ctx)

    def is_suppressed(kind: str, value: str) -> bool:
        return bool(hashes) and identity_hash(ctx, kind, value) in hashes

    plan = plan_import(parsed, mapping, suppressed=is_suppressed)
    if plan.problems and not skip_invalid:
        shown = "; ".join(
            f"ligne {p.row}, colonne {p.column} : {p.reason}" for p in plan.problems[:5]
        )
        more = f" (et {len(plan.problems) - 5} autres)" if len(plan.problems) > 5 else ""
        raise ImportFileError(
            f"{len(plan.problems)} ligne(s) invalide(s), rien n'a été importé : {shown}{more}",
            loc=parsed.filename,
        )
    label = source or f"import:{parsed.filename}"
    existing = _existing_identities(session, ctx)
    new_records: list[dict[str, Any]] = []
    new_meta: list[tuple[int, dict[str, str], list[str]]] = []
    updated_ids: list[tuple[int, int, dict[str, str], list[str]]] = []
    for record, line, consents, tags in zip(
        plan.records, plan.row_numbers, plan.consents, plan.tags, strict=True
    ):
        match = (
            existing.get(("email", record.get("email") or ""))
            or existing.get(("phone", record.get("phone") or ""))
            or existing.get(("name", _name_address_key(record)))
        )
        if match is not None:
            _update_existing(session, ctx, match, record)
            updated_ids.append((match, line, consents, tags))
            continue
        record["source"] = record.get("source") or label
        record.update(derived_fields(record))
        new_records.append(record)
        new_meta.append((line, consents, tags))
    household_ids = _households(session, ctx, new_records)
    batch = ImportBatch(
        campaign_id=ctx.campaign_id,
        filename=parsed.filename[:300],
        sha256=parsed.sha256,
        mapping=mapping,
        rows=len(parsed.rows),
        actor=ctx.actor.email,
    )
    session.add(batch)
    session.flush()
    created_ids = _insert_contacts(session, ctx, new_records, household_ids, progress=progress)
    all_links = [
        (cid, line, consents, tags)
        for cid, (line, consents, tags) in zip(created_ids, new_meta, strict=True)
    ] + updated_ids
    _write_side_records(session, ctx, all_links, parsed, batch.id, label)
    batch.created, batch.updated = len(created_ids), len(updated_ids)
    batch.skipped = len(plan.skipped) + len(plan.problems)
    session.flush()
    audit.record(
        session,
        actor=ctx.actor,
        action="contacts.import",
        campaign_id=ctx.campaign_id,
        target_type="import",
        target_id=batch.id,
        details={
            "file": parsed.filename,
            "created": batch.created,
            "updated": batch.updated,
            "skipped": batch.skipped,
        },
    )
    return ImportResult(
        batch_id=batch.id,
        rows=len(parsed.rows),
        created=batch.created,
        updated=batch.updated,
        skipped=batch.skipped,
        problems=plan.problems + plan.skipped,
    )


def _existing_identities(session: Session, ctx: CampaignContext) -> dict[tuple[str, str], int]:
    """Existing contacts by email, by phone, and by (normalised name + address)."""
    rows = session.execute(
        select(
            Contact.id,
            Contact.email,
            Contact.phone,
            Contact.search_name,
            Contact.address_line,
            Contact.postal_code,
        ).where(Contact.campaign_id == ctx.campaign_id)
    )
    found: dict[tuple[str, str], int] = {}
    for contact_id, email, phone, search_name, address_line, postal_code in rows:
        if email:
            found.setdefault(("email", email), contact_id)
        if phone:
            found.setdefault(("phone", phone), contact_id)
        household = normalise.household_key(address_line, postal_code)
        if household and search_name:
            found.setdefault(("name", f"{search_name}|{household}"), contact_id)
    return found


def _name_address_key(record: dict[str, Any]) -> str:
    household = normalise.household_key(record.get("address_line"), record.get("postal_code"))
    search_name = normalise.search_forms(
        record.get("first_name") or "", record.get("last_name") or ""
    )[0]
    return f"{search_name}|{household}" if household and search_name else ""


def _update_existing(
    session: Session, ctx: CampaignContext, contact_id: int, record: dict[str, Any]
) -> None:
    """Fill the empty fields of an existing contact (never overwrite what is there)."""
    contact = session.get(Contact, contact_id)
    if contact is None or contact.campaign_id != ctx.campaign_id:
        return
    for key, value in record.items():
        if key == "custom":
            merged = dict(value)
            merged.update(contact.custom or {})
            contact.custom = merged
        elif value not in (None, "") and getattr(contact, key, None) in (None, ""):
            setattr(contact, key, value)
    contact.updated_at = utcnow()


def _households(
    session: Session, ctx: CampaignContext, records: list[dict[str, Any]]
) -> list[int | None]:
    keys = [normalise.household_key(r.get("address_line"), r.get("postal_code")) for r in records]
    wanted = {key for key in keys if key}
    known: dict[str, int] = {}
    if wanted:
        for household_id, key in session.execute(
            select(Household.id, Household.address_key).where(
                Household.campaign_id == ctx.campaign_id
            )
        ):
            if key in wanted:
                known[key] = household_id
        missing = sorted(wanted - set(known))
        for start in range(0, len(missing), CHUNK):
            chunk = missing[start : start + CHUNK]
            ids = _insert_returning_ids(
                session,
                Household.__table__,
                [
                    {"campaign_id": ctx.campaign_id, "address_key": key, "created_at": utcnow()}
                    for key in chunk
                ],
            )
            known.update(zip(chunk, ids, strict=True))
    return [known.get(key) if key else None for key in keys]


def _insert_returning_ids(session: Session, table: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` and return their ids in order. SQLite: ids are assigned here (the
    transaction holds the write lock, BEGIN IMMEDIATE), which keeps executemany fast;
    PostgreSQL: ids drawn from the table's sequence first, then a plain executemany."""
    if not rows:
        return []
    if session.get_bind().dialect.name == "sqlite":
        start = (session.scalar(select(func.max(table.c.id))) or 0) + 1
        ids = list(range(start, start + len(rows)))
        session.execute(
            insert(table), [{**row, "id": id_} for row, id_ in zip(rows, ids, strict=True)]
        )
        return ids
    sequence = f"pg_get_serial_sequence('{table.name}', 'id')"
    ids = list(
        session.scalars(
            text(f"SELECT nextval({sequence}) FROM generate_series(1, :count)"),
            {"count": len(rows)},
        )
    )
    session.execute(insert(table), [{**row, "id": id_} for row, id_ in zip(rows, ids, strict=True)])
    return ids


def _insert_contacts(
    session: Session,
    ctx: CampaignContext,
    records: list[dict[str, Any]],
    household_ids: list[int | None],
    *,
    progress: Callable[[int, int], None] | None,
) -> list[int]:
    now = utcnow()
    columns = {column.key for column in Contact.__table__.columns} - {"id"}
    ids: list[int] = []
    for start in range(0, len(records), CHUNK):
        chunk = []
        for record, household_id in zip(
            records[start : start + CHUNK], household_ids[start : start + CHUNK], strict=True
        ):
            row = dict.fromkeys(columns)
            row.update(
                campaign_id=ctx.campaign_id,
                household_id=household_id,
                other_emails=[],
                other_phones=[],
                custom={},
                relationship_kind="contact",
                created_at=now,
                updated_at=now,
                last_activity_at=now,
            )
            row.update(record)
            chunk.append(row)
        ids.extend(_insert_returning_ids(session, Contact.__table__, chunk))
        if progress:
            progress(min(start + CHUNK, len(records)), len(records))
    return ids


def _write_side_records(
    session: Session,
    ctx: CampaignContext,
    links: list[tuple[int, int, dict[str, str], list[str]]],
    parsed: ParsedFile,
    batch_id: int,
    label: str,
) -> None:
    from circo.privacy.models import ConsentRecord

    now = utcnow()
    all_tags = {tag for _cid, _line, _consents, tags in links for tag in tags}
    tag_map = tag_ids(session, ctx, all_tags) if all_tags else {}
    existing_tags: set[tuple[int, int]] = set()
    if tag_map:
        existing_tags = set(
            session.execute(
                select(ContactTag.contact_id, ContactTag.tag_id).where(
                    ContactTag.campaign_id == ctx.campaign_id
                )
            )
        )
    interactions, consents, contact_tags = [], [], []
    for contact_id, line, consent_values, tags in links:
        interactions.append(
            {
                "campaign_id": ctx.campaign_id,
                "contact_id": contact_id,
                "kind": "import",
                "summary": f"import {parsed.filename}, ligne {line}",
                "data": {"batch_id": batch_id, "row": line},
                "actor": ctx.actor.email,
                "at": now,
            }
        )
        for channel, status in consent_values.items():
            consents.append(
                {
                    "campaign_id": ctx.campaign_id,
                    "contact_id": contact_id,
                    "channel": channel,
                    "status": status,
                    "source": label[:200],
                    "proof": {
                        "file": parsed.filename,
                        "sha256": parsed.sha256,
                        "row": line,
                        "batch_id": batch_id,
                    },
                    "actor": ctx.actor.email,
                    "recorded_at": now,
                }
            )
        for tag in tags:
            pair = (contact_id, tag_map[tag.strip()])
            if pair not in existing_tags:
                existing_tags.add(pair)
                contact_tags.append(
                    {"contact_id": pair[0], "tag_id": pair[1], "campaign_id": ctx.campaign_id}
                )
    tables: list[tuple[Any, list[dict[str, Any]]]] = [
        (Interaction.__table__, interactions),
        (ConsentRecord.__table__, consents),
        (ContactTag.__table__, contact_tags),
    ]
    for table, rows in tables:
        for start in range(0, len(rows), CHUNK):
            session.execute(insert(table), rows[start : start + CHUNK])
    session.flush()


def preview(parsed: ParsedFile, mapping: dict[str, str], *, rows: int = 20) -> dict[str, Any]:
    """What the wizard shows: the mapped values of the first rows and the validation report."""
    plan = plan_import(parsed, mapping)
    sample = [
        {target: row[parsed.headers.index(header)] for header, target in mapping.items()}
        for row in parsed.rows[:rows]
    ]
    return {
        "headers": parsed.headers,
        "mapping": mapping,
        "rows": len(parsed.rows),
        "valid_rows": plan.valid_rows,
        "sample": sample,
        "problems": [problem.as_dict() for problem in plan.problems],
        "skipped": [problem.as_dict() for problem in plan.skipped],
    }
