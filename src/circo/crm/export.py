"""Export of a segment to CSV or XLSX — every export is written to the audit log."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from circo.core import audit
from circo.core.spreadsheet import csv_text, xlsx_bytes
from circo.core.tenancy import CampaignContext
from circo.crm.contacts import tags_of
from circo.crm.errors import CrmError
from circo.crm.models import Contact
from circo.crm.segments import resolve_segment, segment_contacts

COLUMNS = (
    ("id", "Identifiant"),
    ("first_name", "Prénom"),
    ("last_name", "Nom"),
    ("email", "Email"),
    ("phone", "Téléphone"),
    ("address_line", "Adresse"),
    ("postal_code", "Code postal"),
    ("city", "Commune"),
    ("commune_code", "Code commune"),
    ("polling_station", "Bureau de vote"),
    ("relationship_kind", "Relation"),
    ("source", "Source"),
)
CONSENT_COLUMNS = (
    ("email", "Consentement email"),
    ("sms", "Consentement SMS"),
    ("phone", "Consentement téléphone"),
    ("post", "Consentement courrier"),
)


def export_rows(
    session: Session, ctx: CampaignContext, contacts: list[Contact]
) -> tuple[list[str], list[list[str]]]:
    from circo.privacy.consent import latest_consents

    ids = [contact.id for contact in contacts]
    tags = tags_of(session, ctx, contact_ids=ids)
    consents = latest_consents(session, ctx, contact_ids=ids)
    headers = [label for _key, label in COLUMNS] + ["Étiquettes"]
    headers += [label for _channel, label in CONSENT_COLUMNS]
    rows = []
    for contact in contacts:
        row = [
            "" if getattr(contact, key) is None else str(getattr(contact, key))
            for key, _label in COLUMNS
        ]
        row.append(", ".join(tags.get(contact.id, [])))
        for channel, _label in CONSENT_COLUMNS:
            record = consents.get((contact.id, channel))
            row.append("" if record is None else {"granted": "oui"}.get(record.status, "non"))
        rows.append(row)
    return headers, rows


def render_export(headers: list[str], rows: list[list[str]], fmt: str) -> bytes:
    """CSV (``;``, UTF-8 with BOM) or XLSX; cells neutralised against formula injection."""
    if fmt == "csv":
        return csv_text(headers, rows).encode("utf-8-sig")
    if fmt == "xlsx":
        return xlsx_bytes("Contacts", headers, rows)
    raise CrmError(f"format d'export inconnu « {fmt} » (attendu csv ou xlsx)", loc="--out")


def export_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in ("csv", "xlsx"):
        raise CrmError(
            f"extension « {path.suffix or '(aucune)'} » non prise en charge : attendu .csv ou "
            ".xlsx (ex. --out contacts.xlsx)",
            loc="--out",
        )
    return suffix


def export_segment(
    session: Session, ctx: CampaignContext, *, segment_name: str, fmt: str, target: str
) -> tuple[bytes, int]:
    """The file content and the number of contacts; writes an audit event."""
    filters = resolve_segment(session, ctx, segment_name)
    contacts = segment_contacts(session, ctx, filters)
    headers, rows = export_rows(session, ctx, contacts)
    content = render_export(headers, rows, fmt)
    audit.record(
        session,
        actor=ctx.actor,
        action="contacts.export",
        campaign_id=ctx.campaign_id,
        target_type="segment",
        target_id=segment_name,
        details={"rows": len(rows), "format": fmt, "target": target},
    )
    return content, len(rows)
