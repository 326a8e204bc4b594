"""Committing an import: match existing contacts, insert the new ones in bulk with their
households, consent records, tags and an "import" line on their timeline, in the caller's
transaction (flush, no commit)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from circo.core import audit
from circo.core.tenancy import CampaignContext, campaign_filter
from circo.crm import normalise
from circo.crm.contacts import derived_fields, tag_ids
from circo.crm.errors import ImportFileError
from circo.crm.importer.reading import ParsedFile
from circo.crm.importer.validation import CHUNK, ImportPlan, Problem, plan_import
from circo.crm.models import Contact, ContactTag, Household, ImportBatch, Interaction
from circo.crm.timeline import add_interaction
from circo.db import utcnow


@dataclass
class ImportResult:
    batch_id: int
    rows: int
    created: int
    updated: int
    skipped: int
    problems: list[Problem]
    contact_ids: list[int] = field(default_factory=list)  # created and updated (not reported)

    def as_dict(self) -> dict[str, object]:
        return {
            "batch_id": self.batch_id,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "problems": [problem.as_dict() for problem in self.problems],
        }


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
    plan = plan_for(session, ctx, parsed, mapping)
    return write_plan(
        session,
        ctx,
        parsed,
        mapping,
        plan,
        skip_invalid=skip_invalid,
        source=source,
        progress=progress,
    )


def plan_for(
    session: Session, ctx: CampaignContext, parsed: ParsedFile, mapping: dict[str, str]
) -> ImportPlan:
    """Validate every row against the campaign's suppression list (a read, then no write)."""
    return plan_import(parsed, mapping, suppressed=suppression_check(session, ctx))


def suppression_check(session: Session, ctx: CampaignContext) -> Callable[[str, str], bool]:
    """``check(kind, value)``: is this email or phone on the campaign's suppression list (people
    who asked for erasure or objected)? The list is read now; the check needs no session."""
    from circo.privacy.consent import identity_hash, suppressed_hashes

    hashes = suppressed_hashes(session, ctx)

    def is_suppressed(kind: str, value: str) -> bool:
        return bool(hashes) and identity_hash(ctx, kind, value) in hashes

    return is_suppressed


def refusal(plan: ImportPlan, parsed: ParsedFile) -> ImportFileError:
    """The French error of a plan with invalid rows: the first rows and columns named."""
    shown = "; ".join(f"ligne {p.row}, colonne {p.column} : {p.reason}" for p in plan.problems[:5])
    more = f" (et {len(plan.problems) - 5} autres)" if len(plan.problems) > 5 else ""
    return ImportFileError(
        f"{len(plan.problems)} ligne(s) invalide(s), rien n'a été importé : {shown}{more}",
        loc=parsed.filename,
    )


def write_plan(
    session: Session,
    ctx: CampaignContext,
    parsed: ParsedFile,
    mapping: dict[str, str],
    plan: ImportPlan,
    *,
    skip_invalid: bool = False,
    source: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Write a validated plan in the caller's transaction (flush, no commit); a plan with
    problems is refused (`ImportFileError`) unless ``skip_invalid``."""
    if plan.problems and not skip_invalid:
        raise refusal(plan, parsed)
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
        contact_ids=list(created_ids) + [link[0] for link in updated_ids],
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
        ).where(campaign_filter(Contact, ctx))
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


COORDINATES = {"email": "e-mail", "phone": "téléphone"}


def _update_existing(
    session: Session, ctx: CampaignContext, contact_id: int, record: dict[str, Any]
) -> None:
    """Fill the empty fields of an existing contact; the file's e-mail and phone replace
    different ones (its consent is about these addresses: keeping the old address while
    adding the new file's consent would apply that consent to an address it never covered).
    Other fields are never overwritten."""
    contact = session.get(Contact, contact_id)
    if contact is None or contact.campaign_id != ctx.campaign_id:
        return
    for key, value in record.items():
        if key in COORDINATES and value not in (None, "") and getattr(contact, key) != value:
            previous = getattr(contact, key)
            setattr(contact, key, value)
            if previous:
                add_interaction(
                    session,
                    ctx,
                    contact_id=contact.id,
                    kind="edit",
                    summary=f"{COORDINATES[key]} remplacé par l'import : {previous} → {value}",
                )
        elif key == "custom":
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
            select(Household.id, Household.address_key).where(campaign_filter(Household, ctx))
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
                    campaign_filter(ContactTag, ctx)
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
            proof: dict[str, Any] = {
                "file": parsed.filename,
                "sha256": parsed.sha256,
                "row": line,
                "batch_id": batch_id,
                "imported": True,
            }
            if parsed.provenance:  # another tool's export: what it said, and where
                proof.update(
                    imported_from=parsed.provenance.get("imported_from"),
                    original_file=parsed.provenance.get("original_file"),
                    original_sha256=parsed.provenance.get("original_sha256"),
                    original_columns=[
                        header
                        for header, target in dict(
                            parsed.provenance.get("consent_columns") or {}
                        ).items()
                        if target == f"consent_{channel}"
                    ],
                )
            consents.append(
                {
                    "campaign_id": ctx.campaign_id,
                    "contact_id": contact_id,
                    "channel": channel,
                    "status": status,
                    "source": label[:200],
                    "proof": proof,
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
