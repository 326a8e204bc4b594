"""Rights of the person: access (JSON + PDF), rectification, erasure, opposition; requests
tracked with their legal deadline (one month, GDPR art. 12.3)."""

from __future__ import annotations

import calendar
import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Engine, String, Text, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core import audit
from circo.core.models import AuditEvent
from circo.core.tenancy import CampaignContext
from circo.crm import normalise
from circo.crm.models import (
    Contact,
    ContactAnswer,
    ContactTag,
    DuplicatePair,
    Event,
    EventAttendee,
    Household,
    Interaction,
    RollEntry,
    Tag,
    Volunteer,
)
from circo.db import Base, utcnow
from circo.privacy.consent import suppress
from circo.privacy.errors import PrivacyError, RightsRequestNotFound
from circo.privacy.hooks import Identity, access_hooks, erasure_hooks
from circo.privacy.models import ConsentRecord, Opposition, RightsRequest

REQUEST_KINDS = ("access", "rectification", "erasure", "opposition")
ERASED = "[effacé]"
TABULAR_SUFFIXES = {".csv", ".tsv", ".jsonl", ".log"}
SKIPPED_FILES = {".secret_key"}


# --- requests and deadlines -------------------------------------------------------------------


def add_one_month(moment: datetime) -> datetime:
    month_index = moment.month  # next month, same day (clamped: 31 Jan → 28/29 Feb)
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def requester_hash(email: str) -> str:
    return hashlib.sha256(("circo-requester:" + email.strip().lower()).encode()).hexdigest()


def create_request(
    session: Session,
    ctx: CampaignContext,
    *,
    kind: str,
    requester: str | None = None,
    contact_id: int | None = None,
    channel: str = "staff",
    details: str = "",
    status: str = "open",
) -> RightsRequest:
    if kind not in REQUEST_KINDS:
        raise PrivacyError(
            f"type de demande inconnu « {kind} » (attendu : {', '.join(REQUEST_KINDS)})",
            loc="kind",
        )
    now = utcnow()
    request = RightsRequest(
        campaign_id=ctx.campaign_id,
        kind=kind,
        status=status,
        channel=channel,
        requester=requester,
        requester_hash=requester_hash(requester) if requester else None,
        contact_id=contact_id,
        details=details,
        received_at=now,
        due_at=add_one_month(now),
    )
    session.add(request)
    session.flush()
    audit.record(
        session,
        actor=ctx.actor,
        action="privacy.request",
        campaign_id=ctx.campaign_id,
        target_type="rights_request",
        target_id=request.id,
        details={"kind": kind, "channel": channel},
    )
    return request


def get_request(session: Session, ctx: CampaignContext, request_id: int) -> RightsRequest:
    request = session.scalar(
        ctx.scoped(select(RightsRequest), RightsRequest).where(RightsRequest.id == request_id)
    )
    if request is None:
        raise RightsRequestNotFound(f"demande {request_id} introuvable", loc="request")
    return request


def list_requests(
    session: Session, ctx: CampaignContext, *, open_only: bool = False
) -> list[RightsRequest]:
    query = ctx.scoped(select(RightsRequest), RightsRequest)
    if open_only:
        query = query.where(RightsRequest.status.in_(["open", "unverified"]))
    return list(session.scalars(query.order_by(RightsRequest.due_at)))


def complete_request(
    session: Session,
    ctx: CampaignContext,
    request: RightsRequest,
    *,
    outcome: dict[str, Any],
    status: str = "done",
) -> None:
    """Close a request; its requester's address is replaced by a hash."""
    request.status = status
    request.outcome = outcome
    request.completed_at = utcnow()
    request.requester = None
    session.flush()


def is_overdue(request: RightsRequest, now: datetime | None = None) -> bool:
    return request.status in ("open", "unverified") and (now or utcnow()) > request.due_at


# --- identity ---------------------------------------------------------------------------------


def resolve_identity(
    session: Session, ctx: CampaignContext, *, email: str | None = None, phone: str | None = None
) -> tuple[Identity, list[Contact]]:
    """The contacts with this email or phone and every form of their identity."""
    if not email and not phone:
        raise PrivacyError("indiquez --email ou --phone", loc="--email")
    wanted_email = normalise.normalise_email(email) if email else None
    wanted_phone = normalise.normalise_phone(phone) if phone else None
    clauses = []
    if wanted_email:
        clauses.append(Contact.email == wanted_email)
        clauses.append(cast(Contact.other_emails, String).like(f"%{wanted_email}%"))
    if wanted_phone:
        clauses.append(Contact.phone == wanted_phone)
        clauses.append(cast(Contact.other_phones, String).like(f"%{wanted_phone}%"))
    contacts = list(
        session.scalars(
            ctx.scoped(select(Contact), Contact).where(or_(*clauses)).order_by(Contact.id)
        )
    )
    identity = Identity(contact_ids=[contact.id for contact in contacts])
    if wanted_email:
        identity.emails.add(wanted_email)
    if wanted_phone:
        identity.phones.add(wanted_phone)
    for contact in contacts:
        identity.emails.update(
            value for value in [contact.email, *(contact.other_emails or [])] if value
        )
        identity.phones.update(
            value for value in [contact.phone, *(contact.other_phones or [])] if value
        )
        if contact.last_name:
            identity.names.add((contact.first_name, contact.last_name))
    return identity, contacts


def _roll_matches(session: Session, ctx: CampaignContext, identity: Identity) -> list[RollEntry]:
    """Roll entries of the person (same folded last name and first first name) — for rights
    requests only; compared in Python so accents and ligatures match on every backend."""
    if not identity.names:
        return []
    wanted = {
        (normalise.fold(last), normalise.fold(first).split(" ")[0])
        for first, last in identity.names
    }
    matched: list[int] = []
    rows = session.execute(
        select(RollEntry.id, RollEntry.last_name, RollEntry.first_names).where(
            RollEntry.campaign_id == ctx.campaign_id
        )
    )
    for entry_id, last_name, first_names in rows:
        key = (normalise.fold(last_name), normalise.fold(first_names).split(" ")[0])
        if key in wanted or (key[0], "") in wanted:
            matched.append(entry_id)
    if not matched:
        return []
    return list(session.scalars(select(RollEntry).where(RollEntry.id.in_(matched))))


# --- access -----------------------------------------------------------------------------------


def _row(obj: Any, exclude: Iterable[str] = ()) -> dict[str, Any]:
    data = {}
    for column in obj.__table__.columns:
        if column.key in exclude:
            continue
        value = getattr(obj, column.key)
        if isinstance(value, (datetime, date)):
            value = value.isoformat()
        data[column.key] = value
    return data


def access_export(
    session: Session, ctx: CampaignContext, *, email: str | None = None, phone: str | None = None
) -> dict[str, Any]:
    """Everything the campaign holds on the person, as JSON-able data (GDPR art. 15)."""
    identity, contacts = resolve_identity(session, ctx, email=email, phone=phone)
    ids = identity.contact_ids
    export: dict[str, Any] = {
        "campaign": {"slug": ctx.campaign.slug, "name": ctx.campaign.name},
        "generated_at": utcnow().isoformat(),
        "query": {"email": email, "phone": phone},
        "contacts": [],
    }
    for contact in contacts:
        export["contacts"].append(_contact_section(session, ctx, contact))
    export["electoral_roll_entries"] = [
        {**_row(entry), "note": "liste électorale obtenue en mairie (Code électoral L37)"}
        for entry in _roll_matches(session, ctx, identity)
    ]
    volunteers: Iterable[Volunteer] = (
        session.scalars(
            ctx.scoped(select(Volunteer), Volunteer).where(Volunteer.contact_id.in_(ids))
        )
        if ids
        else []
    )
    export["volunteer_profiles"] = [_row(volunteer) for volunteer in volunteers]
    hashes = [requester_hash(value) for value in identity.emails]
    requests_query = ctx.scoped(select(RightsRequest), RightsRequest).where(
        or_(
            RightsRequest.contact_id.in_(ids or [-1]),
            RightsRequest.requester_hash.in_(hashes or ["-"]),
        )
    )
    export["rights_requests"] = [_row(item) for item in session.scalars(requests_query)]
    export["audit_events"] = [
        _row(event)
        for event in session.scalars(
            select(AuditEvent).where(
                AuditEvent.campaign_id == ctx.campaign_id,
                AuditEvent.target_type == "contact",
                AuditEvent.target_id.in_([str(i) for i in ids] or ["-"]),
            )
        )
    ]
    for hook in access_hooks:
        export.update(hook(session, ctx, identity))
    covered = {
        "crm_contacts",
        "crm_interactions",
        "crm_contact_answers",
        "crm_contact_tags",
        "privacy_consents",
        "privacy_oppositions",
        "crm_event_attendees",
        "crm_roll_entries",
        "crm_volunteers",
        "privacy_rights_requests",
        "audit_events",
    }
    export["other_records"] = {
        table: rows
        for table, rows in find_traces(session, ctx, identity.needles(), rows=True).items()
        if table not in covered
    }
    audit.record(
        session,
        actor=ctx.actor,
        action="privacy.access",
        campaign_id=ctx.campaign_id,
        target_type="contacts",
        target_id=",".join(str(i) for i in ids)[:64] or None,
        details={"contacts": len(ids)},
    )
    return export


def _contact_section(session: Session, ctx: CampaignContext, contact: Contact) -> dict[str, Any]:
    cid = contact.id
    section = _row(contact, exclude=("search_name", "search_name_rev", "name_key"))
    section["tags"] = [
        {**_row(link), "name": name}
        for link, name in session.execute(
            select(ContactTag, Tag.name)
            .join(Tag, Tag.id == ContactTag.tag_id)
            .where(ContactTag.contact_id == cid)
        )
    ]
    if contact.household_id is not None:
        household = session.get(Household, contact.household_id)
        section["household"] = {
            "id": contact.household_id,
            "address_key": household.address_key if household else None,
        }
    section["interactions"] = [
        _row(item)
        for item in session.scalars(
            select(Interaction).where(Interaction.contact_id == cid).order_by(Interaction.at)
        )
    ]
    section["answers"] = [
        _row(item)
        for item in session.scalars(select(ContactAnswer).where(ContactAnswer.contact_id == cid))
    ]
    section["consents"] = [
        _row(item)
        for item in session.scalars(
            select(ConsentRecord).where(ConsentRecord.contact_id == cid).order_by(ConsentRecord.id)
        )
    ]
    section["oppositions"] = [
        _row(item)
        for item in session.scalars(select(Opposition).where(Opposition.contact_id == cid))
    ]
    section["events"] = [
        {
            **_row(attendee),
            "event": {
                "title": event.title,
                "starts_at": event.starts_at.isoformat(),
                "place": event.place,
            },
        }
        for attendee, event in session.execute(
            select(EventAttendee, Event)
            .join(Event, Event.id == EventAttendee.event_id)
            .where(EventAttendee.contact_id == cid)
        )
    ]
    return section


def access_pdf(export: dict[str, Any]) -> bytes:
    """A readable PDF of an access export (weasyprint)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape
    from weasyprint import HTML

    folder = Path(__file__).parent / "templates" / "privacy"
    environment = Environment(loader=FileSystemLoader(folder), autoescape=select_autoescape())
    template = environment.get_template("access_pdf.html")
    html = template.render(
        export=export,
        dumps=lambda value: json.dumps(value, ensure_ascii=False, indent=1, default=str),
    )
    return HTML(string=html).write_pdf()


# --- generic scan of the database -------------------------------------------------------------


def _text_columns(table: Any) -> list[Any]:
    return [
        column
        for column in table.columns
        if isinstance(column.type, (String, Text, JSON))
        or (column.type.__class__.__name__ == "UTCDateTime" and False)
    ]


def find_traces(
    session: Session, ctx: CampaignContext, needles: list[str], *, rows: bool = False
) -> dict[str, Any]:
    """Rows of this campaign, in every table, whose text or JSON columns contain a needle
    (case-insensitive). ``rows``: return the rows themselves, else their count."""
    found: dict[str, Any] = {}
    if not needles:
        return found
    for table in Base.metadata.sorted_tables:
        if "campaign_id" not in table.columns and table.name != "campaigns":
            continue
        columns = _text_columns(table)
        if not columns:
            continue
        clauses = [
            func.lower(cast(column, Text)).contains(needle.lower(), autoescape=True)
            for column in columns
            for needle in needles
        ]
        scope = (
            table.c.id == ctx.campaign_id
            if table.name == "campaigns"
            else table.c.campaign_id == ctx.campaign_id
        )
        query = select(table).where(scope, or_(*clauses))
        result = session.execute(query).mappings().all()
        if result:
            found[table.name] = (
                [
                    {
                        key: (value.isoformat() if isinstance(value, (datetime, date)) else value)
                        for key, value in row.items()
                    }
                    for row in result
                ]
                if rows
                else len(result)
            )
    return found


def _scrub(value: Any, needles: list[str]) -> Any:
    if isinstance(value, str):
        result = value
        for needle in needles:
            index = result.lower().find(needle.lower())
            while index >= 0:
                result = result[:index] + ERASED + result[index + len(needle) :]
                index = result.lower().find(needle.lower(), index + len(ERASED))
        return result
    if isinstance(value, list):
        return [_scrub(item, needles) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, needles) for key, item in value.items()}
    return value


def scrub_database(session: Session, ctx: CampaignContext, needles: list[str]) -> dict[str, int]:
    """Replace every remaining occurrence of the needles in this campaign's rows (any table,
    text and JSON columns) by "[effacé]"."""
    changed: dict[str, int] = {}
    if not needles:
        return changed
    for table in Base.metadata.sorted_tables:
        if "campaign_id" not in table.columns or "id" not in table.columns:
            continue
        columns = _text_columns(table)
        if not columns:
            continue
        clauses = [
            func.lower(cast(column, Text)).contains(needle.lower(), autoescape=True)
            for column in columns
            for needle in needles
        ]
        rows = (
            session.execute(
                select(table).where(table.c.campaign_id == ctx.campaign_id, or_(*clauses))
            )
            .mappings()
            .all()
        )
        for row in rows:
            values = {}
            for column in columns:
                original = row[column.key]
                scrubbed = _scrub(original, needles)
                if scrubbed != original:
                    if column.unique or any(
                        column.key in (c.name for c in index.columns)
                        for index in table.indexes
                        if index.unique
                    ):
                        scrubbed = f"{ERASED}-{row['id']}"
                    values[column.key] = scrubbed
            if values:
                session.execute(update(table).where(table.c.id == row["id"]).values(**values))
                changed[table.name] = changed.get(table.name, 0) + 1
    session.flush()
    return changed


# --- files under the data dir -----------------------------------------------------------------


def _database_files(settings: Settings) -> set[Path]:
    if not settings.is_sqlite:
        return set()
    path = Path(settings.effective_database_url.removeprefix("sqlite:///")).resolve()
    return {
        path,
        path.with_name(path.name + "-wal"),
        path.with_name(path.name + "-shm"),
        path.with_name(path.name + "-journal"),
    }


_SEPARATORS = re.compile(r"[\s;,|\"']+")


def _flat(text: str) -> str:
    return _SEPARATORS.sub(" ", text.lower())


def _contains(text: str, needles: list[str]) -> bool:
    flat = _flat(text)
    return any(_flat(needle) in flat for needle in needles)


def scan_data_dir(settings: Settings, needles: list[str], *, apply: bool) -> dict[str, list[str]]:
    """Files under the data dir that mention the person; with ``apply``, clean them: tabular
    files (CSV, TSV, JSON lines, logs) lose the lines, spreadsheets the rows that mention the
    person; any other file (e-mails, PDFs, JSON exports, documents) is a document about them
    and is deleted."""
    report: dict[str, list[str]] = {"deleted": [], "rewritten": []}
    if not needles or not settings.data_dir.is_dir():
        return report
    skip = _database_files(settings)
    for root, _dirs, files in os.walk(settings.data_dir):
        for name in files:
            path = Path(root) / name
            if name in SKIPPED_FILES or path.resolve() in skip:
                continue
            action = _clean_file(path, needles, apply=apply)
            if action:
                report[action].append(str(path.relative_to(settings.data_dir)))
    return report


def _clean_file(path: Path, needles: list[str], *, apply: bool) -> str | None:
    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            return _clean_xlsx(path, needles, apply=apply)
        if suffix == ".pdf":
            return _clean_pdf(path, needles, apply=apply)
        content = path.read_bytes()
    except OSError:
        return None
    text = content.decode("utf-8", errors="ignore")
    if not _contains(text, needles) and not _contains(content.decode("latin-1"), needles):
        return None
    if suffix in TABULAR_SUFFIXES:
        if apply:
            kept = [line for line in text.splitlines(keepends=True) if not _contains(line, needles)]
            path.write_text("".join(kept), encoding="utf-8")
        return "rewritten"
    if apply:
        path.unlink()
    return "deleted"


def _clean_xlsx(path: Path, needles: list[str], *, apply: bool) -> str | None:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path)
    except Exception:  # not a readable workbook: treat as bytes
        return None
    touched = False
    for sheet in workbook.worksheets:
        for row_index in range(sheet.max_row, 0, -1):
            values = [str(cell.value) for cell in sheet[row_index] if cell.value is not None]
            if _contains(" ".join(values), needles):
                touched = True
                if apply:
                    sheet.delete_rows(row_index)
    if touched and apply:
        workbook.save(path)
    return "rewritten" if touched else None


def _clean_pdf(path: Path, needles: list[str], *, apply: bool) -> str | None:
    from pypdf import PdfReader

    try:
        text = " ".join(page.extract_text() or "" for page in PdfReader(path).pages)
    except Exception:
        text = path.read_bytes().decode("latin-1")
    if not _contains(text, needles):
        return None
    if apply:
        path.unlink()
    return "deleted"


def compact_sqlite(engine: Engine) -> None:
    """After an erasure on SQLite: rewrite the file so deleted rows leave no bytes behind."""
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert driver is not None
        driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        driver.execute("VACUUM")
        driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()


# --- erasure ----------------------------------------------------------------------------------


@dataclass
class ErasureReport:
    contacts: int = 0
    records: dict[str, int] = field(default_factory=dict)
    scrubbed: dict[str, int] = field(default_factory=dict)
    files_deleted: list[str] = field(default_factory=list)
    files_rewritten: list[str] = field(default_factory=list)
    request_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "contacts": self.contacts,
            "records": self.records,
            "scrubbed": self.scrubbed,
            "files_deleted": self.files_deleted,
            "files_rewritten": self.files_rewritten,
            "request_id": self.request_id,
        }


def erase_person(
    session: Session,
    ctx: CampaignContext,
    settings: Settings,
    *,
    email: str | None = None,
    phone: str | None = None,
    request: RightsRequest | None = None,
) -> ErasureReport:
    """Delete the person everywhere in this campaign (GDPR art. 17): contacts and everything
    attached, roll entries, other domains' records (hooks), leftovers in any table, and the
    files under the data dir. Keeps only keyed hashes of the email/phone so that the person is
    never re-imported or contacted again."""
    identity, _contacts = resolve_identity(session, ctx, email=email, phone=phone)
    return erase_identity(session, ctx, settings, identity=identity, request=request)


def erase_identity(
    session: Session,
    ctx: CampaignContext,
    settings: Settings,
    *,
    identity: Identity,
    request: RightsRequest | None = None,
    scan_files: bool = True,
) -> ErasureReport:
    report = ErasureReport(contacts=len(identity.contact_ids))
    needles = identity.needles()
    ids = identity.contact_ids
    if request is None:
        request = create_request(session, ctx, kind="erasure", channel="cli")
    request.requester = None
    request.details = ""
    report.request_id = request.id
    for hook in erasure_hooks:
        count = hook(session, ctx, identity)
        report.records[getattr(hook, "__name__", "hook")] = count
    roll_entries = _roll_matches(session, ctx, identity)
    if roll_entries:
        session.execute(
            delete(RollEntry).where(RollEntry.id.in_([entry.id for entry in roll_entries]))
        )
        report.records["crm_roll_entries"] = len(roll_entries)
    if ids:
        for model in (
            Interaction,
            ContactAnswer,
            ContactTag,
            ConsentRecord,
            Opposition,
            EventAttendee,
        ):
            result = session.execute(delete(model).where(model.contact_id.in_(ids)))
            report.records[model.__tablename__] = result.rowcount  # type: ignore[attr-defined]
        session.execute(
            delete(DuplicatePair).where(
                or_(DuplicatePair.contact_a.in_(ids), DuplicatePair.contact_b.in_(ids))
            )
        )
        session.execute(
            update(Volunteer).where(Volunteer.contact_id.in_(ids)).values(contact_id=None)
        )
        session.execute(
            update(RightsRequest)
            .where(RightsRequest.contact_id.in_(ids))
            .values(contact_id=None, requester=None)
        )
        hashes = [requester_hash(value) for value in identity.emails]
        if hashes:
            session.execute(
                update(RightsRequest)
                .where(RightsRequest.requester_hash.in_(hashes))
                .values(requester=None, details="")
            )
        households = set(
            session.scalars(select(Contact.household_id).where(Contact.id.in_(ids)))
        ) - {None}
        result = session.execute(
            delete(Contact).where(Contact.campaign_id == ctx.campaign_id, Contact.id.in_(ids))
        )
        report.records["crm_contacts"] = result.rowcount  # type: ignore[attr-defined]
        _delete_empty_households(session, ctx, households)
    for value in identity.emails:
        suppress(session, ctx, kind="email", value=value, reason="erasure")
    for value in identity.phones:
        suppress(session, ctx, kind="phone", value=value, reason="erasure")
    session.flush()
    report.scrubbed = scrub_database(session, ctx, needles)
    if scan_files:
        files = scan_data_dir(settings, needles, apply=True)
        report.files_deleted, report.files_rewritten = files["deleted"], files["rewritten"]
    complete_request(
        session,
        ctx,
        request,
        outcome={
            "contacts": report.contacts,
            "records": report.records,
            "files_deleted": len(report.files_deleted),
            "files_rewritten": len(report.files_rewritten),
        },
    )
    audit.record(
        session,
        actor=ctx.actor,
        action="privacy.erase",
        campaign_id=ctx.campaign_id,
        target_type="rights_request",
        target_id=request.id,
        details={
            "contacts": report.contacts,
            "files": len(report.files_deleted) + len(report.files_rewritten),
        },
    )
    return report


def apply_opposition(
    session: Session,
    ctx: CampaignContext,
    *,
    email: str | None = None,
    phone: str | None = None,
    source: str,
) -> int:
    """Record an opposition to every processing on each matching contact; returns how many."""
    from circo.privacy.consent import record_opposition

    identity, contacts = resolve_identity(session, ctx, email=email, phone=phone)
    for contact in contacts:
        record_opposition(session, ctx, contact_id=contact.id, channel="all", source=source)
    for value in identity.emails:
        suppress(session, ctx, kind="email", value=value, reason="opposition")
    for value in identity.phones:
        suppress(session, ctx, kind="phone", value=value, reason="opposition")
    return len(contacts)


def _delete_empty_households(session: Session, ctx: CampaignContext, ids: set[int | None]) -> None:
    """A household left without members is an address of an erased person: delete it."""
    for household_id in ids:
        remaining = session.scalar(select(func.count()).where(Contact.household_id == household_id))
        if not remaining:
            session.execute(
                delete(Household).where(
                    Household.campaign_id == ctx.campaign_id, Household.id == household_id
                )
            )
