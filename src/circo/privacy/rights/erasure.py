"""Right to erasure (GDPR art. 17) and opposition: delete the person everywhere in the campaign,
keep only keyed hashes of their email/phone so they are never re-imported or contacted again."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core import audit
from circo.core.tenancy import CampaignContext
from circo.crm.models import (
    Contact,
    ContactAnswer,
    ContactTag,
    DuplicatePair,
    EventAttendee,
    Household,
    Interaction,
    RollEntry,
    Volunteer,
)
from circo.privacy.consent import suppress
from circo.privacy.hooks import Identity, erasure_hooks
from circo.privacy.models import ConsentRecord, Opposition, RightsRequest
from circo.privacy.rights.identity import _roll_matches, resolve_identity
from circo.privacy.rights.requests import complete_request, create_request, requester_hash
from circo.privacy.rights.traces import scan_data_dir, scrub_database


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
