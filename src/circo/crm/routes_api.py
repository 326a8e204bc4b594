"""JSON API of the organising domain under ``/api/campaigns/{slug}/…``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from circo.core import audit
from circo.core.models import Role
from circo.core.tenancy import CampaignContext
from circo.crm import contacts as contacts_service
from circo.crm import events as events_service
from circo.crm import segments as segments_service
from circo.crm import volunteers as volunteers_service
from circo.crm.schemas import (
    AttendeeRead,
    CheckinRead,
    ContactCreate,
    ContactDetail,
    ContactRead,
    ContactUpdate,
    Created,
    DecisionRead,
    EventCreate,
    EventRead,
    InteractionRead,
    InviteReportRead,
    SegmentCreate,
    SegmentRead,
    VolunteerCreate,
    VolunteerRead,
)
from circo.crm.timeline import timeline
from circo.web.deps import CampaignDep, SessionDep, SettingsDep, require_role
from circo.web.types import IdPath, Offset, QueryText, limit_query

router = APIRouter(prefix="/api/campaigns/{slug}", tags=["crm"])
DataDep = Annotated[CampaignContext, Depends(require_role(Role.data))]
SegmentsDep = Annotated[CampaignContext, Depends(require_role(Role.data, Role.comms))]
OrganiserDep = Annotated[CampaignContext, Depends(require_role(Role.data, Role.organiser))]


@router.get("/contacts", response_model=list[ContactRead])
def api_contacts(
    session: SessionDep,
    ctx: CampaignDep,
    q: QueryText = "",
    limit: Annotated[int, limit_query(500)] = 50,
    offset: Offset = 0,
) -> list[ContactRead]:
    rows = contacts_service.search_contacts(session, ctx, query=q, limit=limit, offset=offset)
    if len(rows) >= 20:
        audit.record(
            session,
            actor=ctx.actor,
            action="contacts.read",
            campaign_id=ctx.campaign_id,
            details={"rows": len(rows), "via": "api"},
        )
    return [ContactRead.model_validate(row) for row in rows]


@router.post("/contacts", response_model=ContactRead, status_code=201)
def api_contact_create(session: SessionDep, ctx: DataDep, data: ContactCreate) -> ContactRead:
    return ContactRead.model_validate(contacts_service.create_contact(session, ctx, data=data))


@router.get("/contacts/{contact_id}", response_model=ContactDetail)
def api_contact(session: SessionDep, ctx: CampaignDep, contact_id: IdPath) -> ContactDetail:
    contact = contacts_service.get_contact(session, ctx, contact_id)
    tags = contacts_service.tags_of(session, ctx, contact_ids=[contact.id]).get(contact.id, [])
    lines = [
        InteractionRead.model_validate(i) for i in timeline(session, ctx, contact_id=contact.id)
    ]
    base = ContactRead.model_validate(contact).model_dump()
    return ContactDetail(**base, notes=contact.notes, tags=tags, timeline=lines)


@router.patch("/contacts/{contact_id}", response_model=ContactRead)
def api_contact_update(
    session: SessionDep, ctx: DataDep, contact_id: IdPath, data: ContactUpdate
) -> ContactRead:
    contact = contacts_service.update_contact(session, ctx, contact_id=contact_id, data=data)
    return ContactRead.model_validate(contact)


@router.get("/contacts/{contact_id}/can-contact", response_model=DecisionRead)
def api_can_contact(
    session: SessionDep, ctx: CampaignDep, contact_id: IdPath, channel: QueryText = "email"
) -> DecisionRead:
    from circo.privacy.consent import can_contact

    contacts_service.get_contact(session, ctx, contact_id)
    return DecisionRead(**can_contact(session, ctx, contact_id, channel).__dict__)


@router.get("/segments", response_model=list[SegmentRead])
def api_segments(session: SessionDep, ctx: SegmentsDep) -> list[SegmentRead]:
    return [
        SegmentRead(**segments_service.segment_summary(session, ctx, segment))
        for segment in segments_service.list_segments(session, ctx)
    ]


@router.post("/segments", response_model=SegmentRead, status_code=201)
def api_segment_create(session: SessionDep, ctx: SegmentsDep, data: SegmentCreate) -> SegmentRead:
    segment = segments_service.create_segment(session, ctx, name=data.name, filters=data.filters)
    return SegmentRead(**segments_service.segment_summary(session, ctx, segment))


@router.get("/segments/{segment_id}/contacts", response_model=list[ContactRead])
def api_segment_contacts(
    session: SessionDep, ctx: SegmentsDep, segment_id: IdPath
) -> list[ContactRead]:
    segment = segments_service.get_segment(session, ctx, segment_id)
    rows = segments_service.segment_contacts(session, ctx, segments_service.filters_of(segment))
    audit.record(
        session,
        actor=ctx.actor,
        action="contacts.read",
        campaign_id=ctx.campaign_id,
        target_type="segment",
        target_id=segment.id,
        details={"rows": len(rows)},
    )
    return [ContactRead.model_validate(row) for row in rows]


@router.get("/events", response_model=list[EventRead])
def api_events(session: SessionDep, ctx: OrganiserDep) -> list[EventRead]:
    return [EventRead.model_validate(event) for event in events_service.list_events(session, ctx)]


@router.post("/events", response_model=EventRead, status_code=201)
def api_event_create(session: SessionDep, ctx: OrganiserDep, data: EventCreate) -> EventRead:
    return EventRead.model_validate(events_service.create_event(session, ctx, data=data))


@router.get("/events/{event_id}/attendees", response_model=list[AttendeeRead])
def api_event_attendees(
    session: SessionDep, ctx: OrganiserDep, event_id: IdPath
) -> list[AttendeeRead]:
    return [
        AttendeeRead(
            contact_id=contact.id,
            first_name=contact.first_name,
            last_name=contact.last_name,
            status=attendee.status,
            checked_in=attendee.checked_in_at is not None,
        )
        for attendee, contact in events_service.attendees(session, ctx, event_id=event_id)
    ]


@router.post("/events/{event_id}/checkin/{contact_id}", response_model=CheckinRead)
def api_event_checkin(
    session: SessionDep, ctx: OrganiserDep, event_id: IdPath, contact_id: IdPath
) -> CheckinRead:
    attendee = events_service.check_in(session, ctx, event_id=event_id, contact_id=contact_id)
    return CheckinRead(contact_id=contact_id, checked_in_at=attendee.checked_in_at)


@router.post("/events/{event_id}/invite", response_model=InviteReportRead)
def api_event_invite(
    session: SessionDep,
    settings: SettingsDep,
    ctx: OrganiserDep,
    event_id: IdPath,
    segment: QueryText,
) -> dict[str, int]:
    filters = segments_service.resolve_segment(session, ctx, segment)
    report = events_service.invite_segment(
        session, ctx, settings, event_id=event_id, filters=filters
    )
    return report.as_dict()


@router.get("/volunteers", response_model=list[VolunteerRead])
def api_volunteers(session: SessionDep, ctx: OrganiserDep) -> list[VolunteerRead]:
    return [VolunteerRead(**row) for row in volunteers_service.list_volunteers(session, ctx)]


@router.post("/volunteers", status_code=201, response_model=Created)
def api_volunteer_invite(
    session: SessionDep, settings: SettingsDep, ctx: OrganiserDep, data: VolunteerCreate
) -> Created:
    volunteer = volunteers_service.invite_volunteer(session, ctx, settings, data=data)
    return Created(id=volunteer.id)
