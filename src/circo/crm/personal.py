"""The personal data of the contact base: what an access request shows, what an erasure
removes and what a merge of two contacts moves, for the crm's own tables
(see `circo.core.personal`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from circo.core.personal import (
    Identity,
    PersonalData,
    TableRule,
    delete_rows,
    move_rows,
    plain_row,
)
from circo.core.tenancy import CampaignContext, campaign_filter
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

ROLL_NOTE = "liste électorale obtenue en mairie (Code électoral L37)"


def roll_matches(session: Session, ctx: CampaignContext, identity: Identity) -> list[RollEntry]:
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
            campaign_filter(RollEntry, ctx)
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


def access(
    session: Session, ctx: CampaignContext, identity: Identity, export: dict[str, Any]
) -> None:
    ids = identity.contact_ids
    contacts: Iterable[Contact] = (
        session.scalars(
            ctx.scoped(select(Contact), Contact).where(Contact.id.in_(ids)).order_by(Contact.id)
        )
        if ids
        else []
    )
    export["contacts"] = [_contact_section(session, contact) for contact in contacts]
    export["electoral_roll_entries"] = [
        {**plain_row(entry), "note": ROLL_NOTE} for entry in roll_matches(session, ctx, identity)
    ]
    volunteers: Iterable[Volunteer] = (
        session.scalars(
            ctx.scoped(select(Volunteer), Volunteer).where(Volunteer.contact_id.in_(ids))
        )
        if ids
        else []
    )
    export["volunteer_profiles"] = [plain_row(volunteer) for volunteer in volunteers]


def _contact_section(session: Session, contact: Contact) -> dict[str, Any]:
    cid = contact.id
    section = plain_row(contact, exclude=("search_name", "search_name_rev", "name_key"))
    section["tags"] = [
        {**plain_row(link), "name": name}
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
        plain_row(item)
        for item in session.scalars(
            select(Interaction).where(Interaction.contact_id == cid).order_by(Interaction.at)
        )
    ]
    section["answers"] = [
        plain_row(item)
        for item in session.scalars(select(ContactAnswer).where(ContactAnswer.contact_id == cid))
    ]
    section["events"] = [
        {
            **plain_row(attendee),
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


# --- erasure ----------------------------------------------------------------------------------


def erase(session: Session, ctx: CampaignContext, identity: Identity) -> dict[str, int]:
    """Delete the contacts and everything attached; runs after the other domains' erasure."""
    records: dict[str, int] = {}
    roll_entries = roll_matches(session, ctx, identity)
    if roll_entries:
        session.execute(
            delete(RollEntry).where(RollEntry.id.in_([entry.id for entry in roll_entries]))
        )
        records["crm_roll_entries"] = len(roll_entries)
    ids = identity.contact_ids
    if not ids:
        return records
    for model in (Interaction, ContactAnswer, ContactTag, EventAttendee):
        records[model.__tablename__] = delete_rows(session, ctx, model, ids)
    session.execute(
        delete(DuplicatePair).where(
            campaign_filter(DuplicatePair, ctx),
            or_(DuplicatePair.contact_a.in_(ids), DuplicatePair.contact_b.in_(ids)),
        )
    )
    session.execute(
        update(Volunteer)
        .where(campaign_filter(Volunteer, ctx), Volunteer.contact_id.in_(ids))
        .values(contact_id=None)
    )
    households = set(session.scalars(select(Contact.household_id).where(Contact.id.in_(ids))))
    records["crm_contacts"] = delete_rows(session, ctx, Contact, ids, column="id")
    _delete_empty_households(session, ctx, households - {None})
    session.flush()
    return records


def _delete_empty_households(session: Session, ctx: CampaignContext, ids: set[int | None]) -> None:
    """A household left without members is an address of an erased person: delete it."""
    for household_id in ids:
        remaining = session.scalar(select(func.count()).where(Contact.household_id == household_id))
        if not remaining:
            session.execute(
                delete(Household).where(
                    campaign_filter(Household, ctx), Household.id == household_id
                )
            )


# --- merge ------------------------------------------------------------------------------------


def merge(session: Session, ctx: CampaignContext, kept_id: int, merged_id: int) -> None:
    """Move the crm rows of the merged contact to the kept one (the contact row itself is
    merged by `circo.crm.dedup.merge_contacts`)."""
    move_rows(session, ctx, Interaction, kept_id, merged_id)
    move_rows(session, ctx, ContactAnswer, kept_id, merged_id)
    move_rows(session, ctx, ContactTag, kept_id, merged_id, unique_with=("tag_id",))
    move_rows(session, ctx, EventAttendee, kept_id, merged_id, unique_with=("event_id",))
    move_rows(session, ctx, Volunteer, kept_id, merged_id)
    session.execute(
        delete(DuplicatePair).where(
            campaign_filter(DuplicatePair, ctx),
            or_(DuplicatePair.contact_a == merged_id, DuplicatePair.contact_b == merged_id),
        )
    )
    session.flush()


_CONTACT_ROW = TableRule(
    access="in the contact's section of the export",
    erase="deleted with the contact",
    merge="moved to the kept contact",
)

PERSONAL_DATA = PersonalData(
    tables={
        "crm_contacts": TableRule(
            access="each matching contact is a section of the export",
            erase="deleted (after every other domain's rows); keyed hashes of email and phone "
            "are kept in privacy_suppressions so the person is never re-imported",
            merge="fields filled from the merged contact, which is then deleted "
            "(circo.crm.dedup.merge_contacts)",
        ),
        "crm_interactions": _CONTACT_ROW,
        "crm_contact_answers": _CONTACT_ROW,
        "crm_contact_tags": TableRule(
            access="in the contact's section (tags)",
            erase="deleted with the contact",
            merge="moved to the kept contact; a tag both had is kept once",
        ),
        "crm_event_attendees": TableRule(
            access="in the contact's section (events)",
            erase="deleted with the contact",
            merge="moved to the kept contact; an event both attended is kept once",
        ),
        "crm_duplicate_pairs": TableRule(
            access="not exported: a working list of the team, no data of its own",
            erase="pairs naming the contact are deleted",
            merge="pairs naming the merged contact are deleted",
        ),
        "crm_volunteers": TableRule(
            access="volunteer_profiles of the export",
            erase="the link to the contact is removed (the team member's profile stays)",
            merge="the profile follows the kept contact",
        ),
        "crm_team_members": TableRule(
            access="not linked to a contact: part of a volunteer profile",
            erase="not linked to a contact: removed with the volunteer profile",
            merge="not linked to a contact",
        ),
        "crm_households": TableRule(
            access="household address key in the contact's section",
            erase="a household left without members is deleted",
            merge="the kept contact keeps its household (or takes the merged one's)",
        ),
        "crm_roll_entries": TableRule(
            access="electoral_roll_entries of the export (matched by name)",
            erase="matching entries deleted",
            merge="not linked to a contact: matched by name at each request",
        ),
        "crm_import_batches": TableRule(
            access="no data about contacts: file name and the staff member who imported",
            erase="kept: the staff member's action (accountability, GDPR art. 5.2)",
            merge="not linked to a contact",
        ),
    },
    access=access,
    erase=erase,
    merge=merge,
    erase_last=True,
)
