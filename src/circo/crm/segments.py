"""Segments: saved filters over contacts (tags, territory, bureau, consent per channel,
questionnaire answers, event attendance). Messaging and field resolve them here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext, campaign_filter
from circo.crm.contacts import _search_clause, visible_contacts
from circo.crm.errors import CrmError, NotFound
from circo.crm.models import (
    Contact,
    ContactAnswer,
    ContactTag,
    Event,
    EventAttendee,
    Segment,
    Tag,
)
from circo.crm.schemas import SegmentFilter

ALL_SEGMENT_NAMES = ("all", "tous")


def segment_query(
    session: Session, ctx: CampaignContext, filters: SegmentFilter
) -> Select[Contact]:
    """The visible contacts matching ``filters`` — except the consent criterion, which needs
    `circo.privacy` (see `segment_contact_ids`)."""
    query = visible_contacts(session, ctx)
    if filters.tags:
        tagged = (
            select(ContactTag.contact_id)
            .join(Tag, Tag.id == ContactTag.tag_id)
            .where(campaign_filter(ContactTag, ctx), Tag.name.in_(filters.tags))
        )
        if filters.tags_all:
            tagged = tagged.group_by(ContactTag.contact_id).having(
                func.count(func.distinct(Tag.id)) == len(set(filters.tags))
            )
        query = query.where(Contact.id.in_(tagged))
    if filters.commune_codes:
        query = query.where(Contact.commune_code.in_(filters.commune_codes))
    if filters.postal_codes:
        query = query.where(Contact.postal_code.in_(filters.postal_codes))
    if filters.polling_stations:
        query = query.where(Contact.polling_station.in_(filters.polling_stations))
    if filters.relationship_kinds:
        query = query.where(Contact.relationship_kind.in_(filters.relationship_kinds))
    for question, answers in filters.answers.items():
        answered = select(ContactAnswer.contact_id).where(
            campaign_filter(ContactAnswer, ctx), ContactAnswer.question == question
        )
        if answers:
            answered = answered.where(ContactAnswer.answer.in_(answers))
        query = query.where(Contact.id.in_(answered))
    if filters.attended_event_ids:
        attended = select(EventAttendee.contact_id).where(
            campaign_filter(EventAttendee, ctx),
            EventAttendee.event_id.in_(filters.attended_event_ids),
            EventAttendee.checked_in_at.is_not(None),
        )
        query = query.where(Contact.id.in_(attended))
    if filters.text:
        query = query.where(_search_clause(filters.text))
    return query


def segment_contact_ids(
    session: Session, ctx: CampaignContext, filters: SegmentFilter
) -> list[int]:
    """Ids of the contacts in the segment, reachability on ``consent_channel`` included."""
    ids_query = segment_query(session, ctx, filters).with_only_columns(Contact.id)
    ids = list(session.scalars(ids_query.order_by(Contact.id)))
    if filters.consent_channel:
        from circo.privacy.consent import decide_many

        decisions = decide_many(session, ctx, contact_ids=ids, channel=filters.consent_channel)
        ids = [contact_id for contact_id in ids if decisions[contact_id].allowed]
    return ids


def segment_contacts(
    session: Session, ctx: CampaignContext, filters: SegmentFilter
) -> list[Contact]:
    ids = segment_contact_ids(session, ctx, filters)
    contacts: list[Contact] = []
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        contacts.extend(session.scalars(select(Contact).where(Contact.id.in_(chunk))))
    contacts.sort(key=lambda contact: (contact.search_name, contact.id))
    return contacts


def create_segment(
    session: Session, ctx: CampaignContext, *, name: str, filters: SegmentFilter
) -> Segment:
    clean = " ".join(name.split())
    if not clean or clean.lower() in ALL_SEGMENT_NAMES:
        raise CrmError(f"nom de segment invalide « {name} » (ex. « Parents Lyon 3e »)", loc="name")
    if filters.consent_channel:
        from circo.privacy.consent import parse_channel

        parse_channel(filters.consent_channel)
    _check_events(session, ctx, filters.attended_event_ids)
    existing = session.scalar(ctx.scoped(select(Segment), Segment).where(Segment.name == clean))
    if existing is not None:
        raise CrmError(f"le segment « {clean} » existe déjà", loc="name", status=409)
    segment = Segment(
        campaign_id=ctx.campaign_id, name=clean, filters=filters.model_dump(exclude_defaults=True)
    )
    session.add(segment)
    session.flush()
    return segment


def _check_events(session: Session, ctx: CampaignContext, event_ids: list[int]) -> None:
    """NotFound naming ``attended_event_ids`` for an event that is not the campaign's."""
    if not event_ids:
        return
    known = set(session.scalars(ctx.scoped(select(Event.id), Event).where(Event.id.in_(event_ids))))
    unknown = sorted(set(event_ids) - known)
    if unknown:
        raise NotFound(
            f"événement(s) introuvable(s) dans cette campagne : {', '.join(map(str, unknown))}",
            loc="filters.attended_event_ids",
        )


def list_segments(session: Session, ctx: CampaignContext) -> list[Segment]:
    return list(session.scalars(ctx.scoped(select(Segment), Segment).order_by(Segment.name)))


def get_segment(session: Session, ctx: CampaignContext, segment_id: int) -> Segment:
    segment = session.scalar(ctx.scoped(select(Segment), Segment).where(Segment.id == segment_id))
    if segment is None:
        raise NotFound(f"segment {segment_id} introuvable", loc="segment")
    return segment


def resolve_segment(session: Session, ctx: CampaignContext, name: str) -> SegmentFilter:
    """The filter of the segment called ``name``; "all" (or "tous") is every contact."""
    if name.strip().lower() in ALL_SEGMENT_NAMES:
        return SegmentFilter()
    segment = session.scalar(
        ctx.scoped(select(Segment), Segment).where(Segment.name == " ".join(name.split()))
    )
    if segment is None:
        names = ", ".join(segment.name for segment in list_segments(session, ctx)) or "aucun"
        raise NotFound(
            f"segment « {name} » introuvable (segments existants : {names} ; ou « all »)",
            loc="--segment",
        )
    return filters_of(segment)


def filters_of(segment: Segment) -> SegmentFilter:
    return SegmentFilter.model_validate(segment.filters or {})


def delete_segment(session: Session, ctx: CampaignContext, segment_id: int) -> None:
    session.delete(get_segment(session, ctx, segment_id))
    session.flush()


def segment_summary(session: Session, ctx: CampaignContext, segment: Segment) -> dict[str, Any]:
    filters = filters_of(segment)
    return {
        "id": segment.id,
        "name": segment.name,
        "filters": segment.filters,
        "size": len(segment_contact_ids(session, ctx, filters)),
    }
