"""Duplicate detection (same email, same phone, or similar name at a similar address) and a
merge that keeps the history of both contacts.

Not O(n²): candidates are compared only inside blocks — same email, same phone, same
(last name + first initial + postal code), same (postal code + street number + street prefix) —
and similarity is computed with rapidfuzz inside each block.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations

from rapidfuzz import fuzz
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from circo.core import audit
from circo.core.tenancy import CampaignContext, campaign_filter
from circo.crm import normalise
from circo.crm.contacts import get_contact
from circo.crm.errors import CrmError
from circo.crm.models import (
    Contact,
    DuplicatePair,
)
from circo.crm.timeline import add_interaction
from circo.db import utcnow

NAME_THRESHOLD = 90.0
ADDRESS_THRESHOLD = 85.0
MAX_BLOCK = 60
MERGE_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "address_line",
    "postal_code",
    "city",
    "commune_code",
    "polling_station",
    "lat",
    "lon",
    "household_id",
    "birth_year",
    "notes",
)


@dataclass(frozen=True)
class Candidate:
    contact_a: int
    contact_b: int
    reason: str
    score: float


def detect_duplicates(session: Session, ctx: CampaignContext) -> list[Candidate]:
    """Candidate pairs (a < b), best reason per pair."""
    rows = session.execute(
        select(
            Contact.id,
            Contact.email,
            Contact.phone,
            Contact.name_key,
            Contact.search_name,
            Contact.postal_code,
            Contact.address_line,
        ).where(campaign_filter(Contact, ctx))
    ).all()
    found: dict[tuple[int, int], Candidate] = {}

    def add(a: int, b: int, reason: str, score: float) -> None:
        key = (a, b) if a < b else (b, a)
        if key not in found or found[key].score < score:
            found[key] = Candidate(key[0], key[1], reason, score)

    by_email: dict[str, list[int]] = defaultdict(list)
    by_phone: dict[str, list[int]] = defaultdict(list)
    by_name: dict[tuple[str, str], list[int]] = defaultdict(list)
    by_address: dict[str, list[int]] = defaultdict(list)
    names: dict[int, str] = {}
    addresses: dict[int, str] = {}
    for contact_id, email, phone, key, search_name, postal_code, address_line in rows:
        names[contact_id] = search_name
        if email:
            by_email[email].append(contact_id)
        if phone:
            by_phone[phone].append(contact_id)
        if address_line:
            addresses[contact_id] = normalise.street_key(address_line)
        if key:
            by_name[(key, postal_code or "")].append(contact_id)
        if address_line and postal_code:
            number, street = normalise.split_number(address_line)
            by_address[f"{postal_code}|{number}|{street[:6]}"].append(contact_id)
    for reason, groups in (("email", by_email), ("phone", by_phone)):
        for ids in groups.values():
            for other in ids[1:]:
                add(ids[0], other, reason, 100.0)
    for ids in by_name.values():
        for a, b in combinations(ids[:MAX_BLOCK], 2):
            name_score = fuzz.token_sort_ratio(names[a], names[b])
            if name_score < NAME_THRESHOLD:
                continue
            if a in addresses and b in addresses:
                address_score = fuzz.token_sort_ratio(addresses[a], addresses[b])
                if address_score >= ADDRESS_THRESHOLD:
                    add(a, b, "name_address", round((name_score + address_score) / 2, 1))
    for ids in by_address.values():
        for a, b in combinations(ids[:MAX_BLOCK], 2):
            name_score = fuzz.token_sort_ratio(names[a], names[b])
            if name_score >= NAME_THRESHOLD - 5:
                address_score = fuzz.token_sort_ratio(addresses.get(a, ""), addresses.get(b, ""))
                if address_score >= ADDRESS_THRESHOLD:
                    add(a, b, "name_address", round((name_score + address_score) / 2, 1))
    return sorted(found.values(), key=lambda c: (c.contact_a, c.contact_b))


def refresh_duplicates(session: Session, ctx: CampaignContext) -> int:
    """Recompute the open candidate pairs (dismissed pairs stay dismissed)."""
    candidates = detect_duplicates(session, ctx)
    session.execute(
        delete(DuplicatePair).where(
            campaign_filter(DuplicatePair, ctx), DuplicatePair.status == "open"
        )
    )
    dismissed = set(
        session.execute(
            select(DuplicatePair.contact_a, DuplicatePair.contact_b).where(
                campaign_filter(DuplicatePair, ctx)
            )
        )
    )
    rows = [
        {
            "campaign_id": ctx.campaign_id,
            "contact_a": c.contact_a,
            "contact_b": c.contact_b,
            "reason": c.reason,
            "score": c.score,
            "status": "open",
        }
        for c in candidates
        if (c.contact_a, c.contact_b) not in dismissed
    ]
    for start in range(0, len(rows), 5000):
        session.execute(insert(DuplicatePair), rows[start : start + 5000])
    session.flush()
    return len(rows)


def open_pairs(
    session: Session, ctx: CampaignContext, *, limit: int = 100
) -> list[tuple[DuplicatePair, Contact, Contact]]:
    pairs = session.scalars(
        ctx.scoped(select(DuplicatePair), DuplicatePair)
        .where(DuplicatePair.status == "open")
        .order_by(DuplicatePair.score.desc(), DuplicatePair.id)
        .limit(limit)
    ).all()
    result = []
    for pair in pairs:
        a, b = session.get(Contact, pair.contact_a), session.get(Contact, pair.contact_b)
        if a is not None and b is not None:
            result.append((pair, a, b))
    return result


def dismiss_pair(session: Session, ctx: CampaignContext, pair_id: int) -> None:
    session.execute(
        update(DuplicatePair)
        .where(campaign_filter(DuplicatePair, ctx), DuplicatePair.id == pair_id)
        .values(status="dismissed")
    )


def merge_contacts(
    session: Session,
    ctx: CampaignContext,
    *,
    keep_id: int,
    merge_id: int,
    take_from_merged: tuple[str, ...] = (),
) -> Contact:
    """Merge ``merge_id`` into ``keep_id``: empty fields are filled, ``take_from_merged`` fields
    are overwritten, other emails/phones are kept as alternatives, and every row of every domain
    that names the merged contact (timeline, answers, tags, events, consents, oppositions,
    deliveries, visits…) now names the surviving contact (`circo.core.personal`)."""
    if keep_id == merge_id:
        raise CrmError("impossible de fusionner un contact avec lui-même", loc="merge")
    kept, merged = get_contact(session, ctx, keep_id), get_contact(session, ctx, merge_id)
    for field in MERGE_FIELDS:
        value = getattr(merged, field)
        if value in (None, ""):
            continue
        if field in take_from_merged or getattr(kept, field) in (None, ""):
            setattr(kept, field, value)
    emails = [
        e
        for e in [merged.email, *(merged.other_emails or []), *(kept.other_emails or [])]
        if e and e != kept.email
    ]
    phones = [
        p
        for p in [merged.phone, *(merged.other_phones or []), *(kept.other_phones or [])]
        if p and p != kept.phone
    ]
    kept.other_emails = sorted(set(emails))
    kept.other_phones = sorted(set(phones))
    kept.custom = {**(merged.custom or {}), **(kept.custom or {})}
    first, last = kept.first_name, kept.last_name
    kept.search_name, kept.search_name_rev = normalise.search_forms(first, last)
    kept.name_key = normalise.name_key(first, last)
    if merged.relationship_kind != "contact" and kept.relationship_kind == "contact":
        kept.relationship_kind = merged.relationship_kind
    from circo.domains import registry

    # Every domain moves its rows (deliveries, consents, visits, RSVPs, notes…) before the
    # merged contact goes: nothing is lost to an ON DELETE CASCADE.
    for rules in registry().personal_data.values():
        if rules.merge is not None:
            rules.merge(session, ctx, kept.id, merged.id)
    session.flush()
    session.delete(merged)
    kept.updated_at = utcnow()
    session.flush()
    add_interaction(
        session,
        ctx,
        contact_id=kept.id,
        kind="merge",
        summary=f"fusion avec le contact {merge_id}",
        data={"merged_id": merge_id},
    )
    audit.record(
        session,
        actor=ctx.actor,
        action="contacts.merge",
        campaign_id=ctx.campaign_id,
        target_type="contact",
        target_id=kept.id,
        details={"merged_id": merge_id},
    )
    return kept
