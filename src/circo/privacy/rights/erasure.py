"""Right to erasure (GDPR art. 17) and opposition: delete the person everywhere in the campaign,
keep only keyed hashes of their email/phone so they are never re-imported or contacted again."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core import audit
from circo.core.personal import Identity
from circo.core.tenancy import CampaignContext
from circo.privacy.consent import suppress
from circo.privacy.models import RightsRequest
from circo.privacy.rights.identity import resolve_identity
from circo.privacy.rights.requests import complete_request, create_request
from circo.privacy.rights.traces import scan_data_dir, scrub_database


@dataclass
class ErasureReport:
    contacts: int = 0
    records: dict[str, int] = field(default_factory=dict)
    scrubbed: dict[str, int] = field(default_factory=dict)
    files_deleted: list[str] = field(default_factory=list)
    files_rewritten: list[str] = field(default_factory=list)
    request_id: int | None = None
    kept: dict[str, str] = field(default_factory=dict)  # table → why the law keeps it

    def as_dict(self) -> dict[str, Any]:
        return {
            "contacts": self.contacts,
            "records": self.records,
            "scrubbed": self.scrubbed,
            "files_deleted": self.files_deleted,
            "files_rewritten": self.files_rewritten,
            "request_id": self.request_id,
            "kept": self.kept,
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
    attached, roll entries, every domain's records (its `PersonalData`), leftovers in any
    table, and the
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
    if request is None:
        request = create_request(session, ctx, kind="erasure", channel="cli")
    request.requester = None
    request.details = ""
    report.request_id = request.id
    from circo.domains import registry

    domains = list(registry().personal_data.values())
    # The domain holding the contact rows themselves goes last: the others find the person
    # through those rows.
    kept_tables: set[str] = set()
    kept_dirs: list[str] = []
    for rules in sorted(domains, key=lambda rules: rules.erase_last):
        if rules.erase is not None:
            for table, count in rules.erase(session, ctx, identity).items():
                report.records[table] = report.records.get(table, 0) + count
        kept_tables.update(rules.retained)
        kept_dirs.extend(rules.retained_dirs)
        if rules.access is not None and rules.retained:
            found: dict[str, Any] = {}
            rules.access(session, ctx, identity, found)
            for table, reason in rules.retained.items():
                if found.get(table):
                    report.kept[table] = reason
    for value in identity.emails:
        suppress(session, ctx, kind="email", value=value, reason="erasure")
    for value in identity.phones:
        suppress(session, ctx, kind="phone", value=value, reason="erasure")
    session.flush()
    report.scrubbed = scrub_database(session, ctx, needles, skip_tables=kept_tables)
    if scan_files:
        files = scan_data_dir(settings, needles, apply=True, skip_dirs=kept_dirs)
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
            "kept": sorted(report.kept),
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
