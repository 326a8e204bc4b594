"""Web pages of the organising domain: contacts, import wizard, duplicates, segments,
volunteers and teams, events (with public RSVP pages and phone check-in), electoral rolls.
The JSON API is in `circo.crm.routes_api` (included here)."""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from circo.config import Settings
from circo.core import audit
from circo.core.models import Role
from circo.core.security import new_token
from circo.core.tenancy import CampaignContext
from circo.crm import contacts as contacts_service
from circo.crm import dedup, rolls
from circo.crm import events as events_service
from circo.crm import segments as segments_service
from circo.crm import volunteers as volunteers_service
from circo.crm.errors import CrmError, ImportFileError, NotFound
from circo.crm.export import export_rows, render_export
from circo.crm.importer.commit import commit_import
from circo.crm.importer.mapping import FIELDS, resolve_mapping, suggest_mapping
from circo.crm.importer.reading import ParsedFile, read_bytes, read_file
from circo.crm.importer.validation import preview
from circo.crm.models import RollEntry
from circo.crm.routes_api import router as api_router
from circo.crm.schemas import (
    ContactCreate,
    ContactUpdate,
    EventCreate,
    SegmentFilter,
    VolunteerCreate,
)
from circo.crm.timeline import timeline
from circo.db import after_commit, remove_files
from circo.web.deps import (
    ANON_CSRF_COOKIE,
    CampaignDep,
    FormDep,
    SessionDep,
    SettingsDep,
    require_role,
    verify_anonymous_csrf,
)
from circo.web.registry import Card, NavItem
from circo.web.templating import add_template_dir, render

add_template_dir(str(resources.files("circo") / "crm" / "templates"))

pages = APIRouter(include_in_schema=False)

STAFF = (Role.data, Role.comms, Role.organiser)
NAV_ITEMS = [
    NavItem("Contacts", "contacts", roles=STAFF, order=30),
    NavItem("Segments", "segments", roles=(Role.data, Role.comms), order=31),
    NavItem("Événements", "events", roles=(Role.data, Role.organiser), order=32),
    NavItem("Bénévoles", "volunteers", roles=(Role.data, Role.organiser), order=33),
]
DataDep = Annotated[CampaignContext, Depends(require_role(Role.data))]
StaffDep = Annotated[CampaignContext, Depends(require_role(*STAFF))]
SegmentsDep = Annotated[CampaignContext, Depends(require_role(Role.data, Role.comms))]
OrganiserDep = Annotated[CampaignContext, Depends(require_role(Role.data, Role.organiser))]
PAGE_SIZE = 50


def dashboard_cards(session: Session, ctx: CampaignContext) -> list[Card]:
    from circo.privacy.scope import sees_contact_base

    if not sees_contact_base(ctx):
        return []
    slug = ctx.campaign.slug
    upcoming = [e for e in events_service.list_events(session, ctx) if e.starts_at >= _now()]
    return [
        Card(
            "Contacts",
            str(contacts_service.count_contacts(session, ctx)),
            href=f"/c/{slug}/contacts",
        ),
        Card(
            "Événements à venir",
            str(len(upcoming)),
            detail=upcoming[0].title if upcoming else "",
            href=f"/c/{slug}/events",
        ),
        Card(
            "Bénévoles",
            str(len(volunteers_service.list_volunteers(session, ctx))),
            href=f"/c/{slug}/volunteers",
        ),
    ]


def _now() -> datetime:
    from circo.db import utcnow

    return utcnow()


def _back(ctx: CampaignContext, path: str, msg: str = "ok") -> RedirectResponse:
    return RedirectResponse(f"/c/{ctx.campaign.slug}/{path}?msg={msg}", status_code=303)


# --- contacts ---------------------------------------------------------------------------------


@pages.get("/c/{slug}/contacts", response_class=HTMLResponse)
def contacts_page(
    request: Request, session: SessionDep, ctx: CampaignDep, q: str = "", page: int = 1
) -> HTMLResponse:
    page = max(page, 1)
    rows = contacts_service.search_contacts(
        session, ctx, query=q, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    return render(
        request,
        "crm/contacts.html",
        {
            "contacts": rows,
            "q": q,
            "page": page,
            "total": contacts_service.count_contacts(session, ctx),
        },
    )


@pages.post("/c/{slug}/contacts")
def contact_create(
    session: SessionDep,
    ctx: DataDep,
    first_name: Annotated[str, Form()] = "",
    last_name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    address_line: Annotated[str, Form()] = "",
    postal_code: Annotated[str, Form()] = "",
    city: Annotated[str, Form()] = "",
) -> Response:
    contact = contacts_service.create_contact(
        session,
        ctx,
        data=ContactCreate(
            first_name=first_name,
            last_name=last_name,
            email=email or None,
            phone=phone or None,
            address_line=address_line or None,
            postal_code=postal_code or None,
            city=city or None,
        ),
    )
    return _back(ctx, f"contacts/{contact.id}")


@pages.get("/c/{slug}/contacts/{contact_id:int}", response_class=HTMLResponse)
def contact_page(
    request: Request, session: SessionDep, ctx: CampaignDep, contact_id: int
) -> HTMLResponse:
    from circo.privacy.consent import CONSENT_CHANNELS, consent_history, decide_many, oppositions_of

    contact = contacts_service.get_contact(session, ctx, contact_id)
    decisions = {
        ch: decide_many(session, ctx, contact_ids=[contact.id], channel=ch)[contact.id]
        for ch in ("email", "sms", "phone", "post")
    }
    return render(
        request,
        "crm/contact.html",
        {
            "contact": contact,
            "tags": contacts_service.tags_of(session, ctx, contact_ids=[contact.id]).get(
                contact.id, []
            ),
            "timeline": timeline(session, ctx, contact_id=contact.id),
            "answers": contacts_service.answers_of(session, ctx, contact_id=contact.id),
            "household": contacts_service.household_members(session, ctx, contact=contact),
            "consents": consent_history(session, ctx, contact_id=contact.id),
            "oppositions": oppositions_of(session, ctx, contact_id=contact.id),
            "decisions": decisions,
            "channels": CONSENT_CHANNELS,
            "can_edit": ctx.role in (Role.admin, Role.data),
        },
    )


@pages.post("/c/{slug}/contacts/{contact_id:int}/edit")
def contact_edit(session: SessionDep, ctx: DataDep, contact_id: int, form: FormDep) -> Response:
    fields = set(ContactUpdate.model_fields) - {"custom", "birth_year"}
    changes = {key: (str(form[key]).strip() or None) for key in fields if key in form}
    for key in ("first_name", "last_name"):
        if key in changes and changes[key] is None:
            changes[key] = ""
    contacts_service.update_contact(
        session, ctx, contact_id=contact_id, data=ContactUpdate(**changes)
    )
    return _back(ctx, f"contacts/{contact_id}")


@pages.post("/c/{slug}/contacts/{contact_id:int}/note")
def contact_note(
    session: SessionDep, ctx: StaffDep, contact_id: int, text: Annotated[str, Form()]
) -> Response:
    contacts_service.add_note(session, ctx, contact_id=contact_id, text=text)
    return _back(ctx, f"contacts/{contact_id}")


@pages.post("/c/{slug}/contacts/{contact_id:int}/tags")
def contact_tag(
    session: SessionDep, ctx: DataDep, contact_id: int, tag: Annotated[str, Form()]
) -> Response:
    contacts_service.get_contact(session, ctx, contact_id)
    contacts_service.add_tags(session, ctx, contact_ids=[contact_id], names=[tag])
    return _back(ctx, f"contacts/{contact_id}")


@pages.post("/c/{slug}/contacts/{contact_id:int}/consent")
def contact_consent(
    session: SessionDep,
    ctx: DataDep,
    contact_id: int,
    channel: Annotated[str, Form()],
    status: Annotated[str, Form()],
    source: Annotated[str, Form()],
) -> Response:
    from circo.privacy.consent import record_consent

    contacts_service.get_contact(session, ctx, contact_id)
    record_consent(
        session,
        ctx,
        contact_id=contact_id,
        channel=channel,
        status=status,
        source=source,
        proof={"via": "web", "actor": ctx.actor.email},
    )
    return _back(ctx, f"contacts/{contact_id}")


@pages.post("/c/{slug}/contacts/{contact_id:int}/opposition")
def contact_opposition(
    session: SessionDep, ctx: DataDep, contact_id: int, source: Annotated[str, Form()] = "saisie"
) -> Response:
    from circo.privacy.consent import record_opposition

    contacts_service.get_contact(session, ctx, contact_id)
    record_opposition(session, ctx, contact_id=contact_id, source=source)
    return _back(ctx, f"contacts/{contact_id}")


# --- import wizard ----------------------------------------------------------------------------


def _upload_dir(settings: Settings, ctx: CampaignContext) -> Path:
    return settings.data_dir / "imports" / ctx.campaign.slug


def _upload_path(settings: Settings, ctx: CampaignContext, token: str) -> Path:
    if not token.isalnum():
        raise NotFound("fichier d'import introuvable", loc="import")
    matches = list(_upload_dir(settings, ctx).glob(f"{token}.*"))
    if not matches:
        raise NotFound(
            "fichier d'import introuvable ou expiré : déposez-le à nouveau", loc="import"
        )
    return matches[0]


@pages.get("/c/{slug}/contacts/import", response_class=HTMLResponse)
def import_page(request: Request, ctx: DataDep) -> HTMLResponse:
    return render(request, "crm/import_upload.html", {})


@pages.post("/c/{slug}/contacts/import")
def import_upload(
    settings: SettingsDep, ctx: DataDep, file: Annotated[UploadFile, File()]
) -> Response:
    name = file.filename or "contacts.csv"
    suffix = ".xlsx" if name.lower().endswith(".xlsx") else ".csv"
    content = file.file.read()
    read_bytes(content, filename=name)  # refuse unreadable files at once
    token = secrets.token_hex(12)
    folder = _upload_dir(settings, ctx)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{token}{suffix}").write_bytes(content)
    (folder / f"{token}.name").write_text(name, encoding="utf-8")
    return RedirectResponse(f"/c/{ctx.campaign.slug}/contacts/import/{token}", status_code=303)


def _parsed(settings: Settings, ctx: CampaignContext, token: str) -> ParsedFile:
    path = _upload_path(settings, ctx, token)
    if path.suffix == ".name":
        path = next(p for p in path.parent.glob(f"{token}.*") if p.suffix != ".name")
    name_file = path.with_suffix(".name")
    name = name_file.read_text(encoding="utf-8") if name_file.exists() else path.name
    return read_file(path, filename=name)


@pages.get("/c/{slug}/contacts/import/{token}", response_class=HTMLResponse)
def import_mapping(
    request: Request, session: SessionDep, settings: SettingsDep, ctx: DataDep, token: str
) -> HTMLResponse:
    parsed = _parsed(settings, ctx, token)
    suggested = suggest_mapping(parsed.headers, session=session, ctx=ctx)
    custom = [f"custom:{f.key}" for f in contacts_service.custom_fields(session, ctx)]
    return render(
        request,
        "crm/import_mapping.html",
        {
            "token": token,
            "parsed": parsed,
            "suggested": suggested,
            "fields": FIELDS,
            "custom": custom,
            "sample": parsed.rows[:5],
        },
    )


def _form_mapping(form: FormData, parsed: ParsedFile) -> dict[str, str]:
    if "mapping_json" in form:
        return {str(k): str(v) for k, v in json.loads(str(form["mapping_json"])).items()}
    return {
        header: str(form.get(f"map_{index}", "")) for index, header in enumerate(parsed.headers)
    }


@pages.post("/c/{slug}/contacts/import/{token}/preview", response_class=HTMLResponse)
def import_preview(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ctx: DataDep,
    token: str,
    form: FormDep,
) -> HTMLResponse:
    parsed = _parsed(settings, ctx, token)
    explicit = _form_mapping(form, parsed)
    mapping = resolve_mapping(
        parsed.headers, explicit, session=session, ctx=ctx, filename=parsed.filename
    )
    report = preview(parsed, mapping)
    return render(
        request,
        "crm/import_preview.html",
        {"token": token, "report": report, "mapping_json": json.dumps(mapping)},
    )


@pages.post("/c/{slug}/contacts/import/{token}/commit", response_class=HTMLResponse)
def import_commit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ctx: DataDep,
    token: str,
    form: FormDep,
) -> HTMLResponse:
    parsed = _parsed(settings, ctx, token)
    mapping = resolve_mapping(
        parsed.headers,
        json.loads(str(form["mapping_json"])),
        session=session,
        ctx=ctx,
        filename=parsed.filename,
    )
    result = commit_import(
        session, ctx, parsed, mapping, skip_invalid=form.get("skip_invalid") == "1"
    )
    uploaded = list(_upload_dir(settings, ctx).glob(f"{token}.*"))
    # The file goes only once its rows are committed: a failed commit keeps it for a retry.
    after_commit(session, lambda: remove_files(uploaded))
    return render(request, "crm/import_done.html", {"result": result})


# --- duplicates -------------------------------------------------------------------------------


@pages.get("/c/{slug}/contacts/duplicates", response_class=HTMLResponse)
def duplicates_page(request: Request, session: SessionDep, ctx: DataDep) -> HTMLResponse:
    return render(request, "crm/duplicates.html", {"pairs": dedup.open_pairs(session, ctx)})


@pages.post("/c/{slug}/contacts/duplicates/refresh")
def duplicates_refresh(session: SessionDep, ctx: DataDep) -> Response:
    dedup.refresh_duplicates(session, ctx)
    return _back(ctx, "contacts/duplicates")


@pages.post("/c/{slug}/contacts/duplicates/merge")
def duplicates_merge(
    session: SessionDep, ctx: DataDep, keep: Annotated[int, Form()], merge: Annotated[int, Form()]
) -> Response:
    dedup.merge_contacts(session, ctx, keep_id=keep, merge_id=merge)
    return _back(ctx, "contacts/duplicates", "merged")


@pages.post("/c/{slug}/contacts/duplicates/{pair_id}/dismiss")
def duplicates_dismiss(session: SessionDep, ctx: DataDep, pair_id: int) -> Response:
    dedup.dismiss_pair(session, ctx, pair_id)
    return _back(ctx, "contacts/duplicates")


# --- segments and export ----------------------------------------------------------------------


@pages.get("/c/{slug}/segments", response_class=HTMLResponse)
def segments_page(request: Request, session: SessionDep, ctx: SegmentsDep) -> HTMLResponse:
    rows = [
        segments_service.segment_summary(session, ctx, s)
        for s in segments_service.list_segments(session, ctx)
    ]
    return render(
        request,
        "crm/segments.html",
        {"segments": rows, "tags": contacts_service.list_tags(session, ctx)},
    )


def _csv_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


@pages.post("/c/{slug}/segments")
def segment_create(
    session: SessionDep,
    ctx: SegmentsDep,
    name: Annotated[str, Form()],
    tags: Annotated[str, Form()] = "",
    communes: Annotated[str, Form()] = "",
    stations: Annotated[str, Form()] = "",
    channel: Annotated[str, Form()] = "",
    question: Annotated[str, Form()] = "",
    answers: Annotated[str, Form()] = "",
    events: Annotated[str, Form()] = "",
) -> Response:
    filters = SegmentFilter(
        tags=_csv_list(tags),
        commune_codes=_csv_list(communes),
        polling_stations=_csv_list(stations),
        consent_channel=channel or None,
        answers={question: _csv_list(answers)} if question else {},
        attended_event_ids=[int(x) for x in _csv_list(events) if x.isdigit()],
    )
    segments_service.create_segment(session, ctx, name=name, filters=filters)
    return _back(ctx, "segments")


@pages.get("/c/{slug}/segments/{segment_id}/export.{fmt}")
def segment_export(session: SessionDep, ctx: DataDep, segment_id: int, fmt: str) -> Response:
    if fmt not in ("csv", "xlsx"):
        raise CrmError(f"format inconnu « {fmt} » (csv ou xlsx)", loc="format")
    segment = segments_service.get_segment(session, ctx, segment_id)
    contacts = segments_service.segment_contacts(session, ctx, segments_service.filters_of(segment))
    headers, rows = export_rows(session, ctx, contacts)
    audit.record(
        session,
        actor=ctx.actor,
        action="contacts.export",
        campaign_id=ctx.campaign_id,
        target_type="segment",
        target_id=segment.name,
        details={"rows": len(rows), "format": fmt, "target": "web"},
    )
    media = (
        "text/csv"
        if fmt == "csv"
        else ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    )
    return Response(
        render_export(headers, rows, fmt),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="segment-{segment.id}.{fmt}"'},
    )


# --- volunteers and teams ---------------------------------------------------------------------


@pages.get("/c/{slug}/volunteers", response_class=HTMLResponse)
def volunteers_page(request: Request, session: SessionDep, ctx: OrganiserDep) -> HTMLResponse:
    return render(
        request,
        "crm/volunteers.html",
        {
            "volunteers": volunteers_service.list_volunteers(session, ctx),
            "teams": volunteers_service.list_teams(session, ctx),
            "steps": volunteers_service.ONBOARDING_STEPS,
        },
    )


@pages.post("/c/{slug}/volunteers")
def volunteer_invite(
    session: SessionDep,
    settings: SettingsDep,
    ctx: OrganiserDep,
    email: Annotated[str, Form()],
    display_name: Annotated[str, Form()] = "",
    home_commune: Annotated[str, Form()] = "",
    skills: Annotated[str, Form()] = "",
) -> Response:
    volunteers_service.invite_volunteer(
        session,
        ctx,
        settings,
        data=VolunteerCreate(
            email=email,
            display_name=display_name,
            home_commune=home_commune or None,
            skills=_csv_list(skills),
        ),
    )
    return _back(ctx, "volunteers")


@pages.post("/c/{slug}/volunteers/{volunteer_id}/onboarding")
def volunteer_step(
    session: SessionDep,
    ctx: OrganiserDep,
    volunteer_id: int,
    step: Annotated[str, Form()],
    done: Annotated[str, Form()] = "1",
) -> Response:
    volunteers_service.set_onboarding_step(
        session, ctx, volunteer_id=volunteer_id, step=step, done=done == "1"
    )
    return _back(ctx, "volunteers")


@pages.post("/c/{slug}/teams")
def team_create(
    session: SessionDep,
    ctx: OrganiserDep,
    name: Annotated[str, Form()],
    commune_code: Annotated[str, Form()] = "",
) -> Response:
    volunteers_service.create_team(session, ctx, name=name, commune_code=commune_code or None)
    return _back(ctx, "volunteers")


@pages.post("/c/{slug}/teams/{team_id}/members")
def team_member(
    session: SessionDep,
    ctx: OrganiserDep,
    team_id: int,
    volunteer_id: Annotated[int, Form()],
    leader: Annotated[str, Form()] = "",
) -> Response:
    volunteers_service.add_team_member(
        session, ctx, team_id=team_id, volunteer_id=volunteer_id, leader=leader == "1"
    )
    return _back(ctx, "volunteers")


# --- events -----------------------------------------------------------------------------------


@pages.get("/c/{slug}/events", response_class=HTMLResponse)
def events_page(request: Request, session: SessionDep, ctx: OrganiserDep) -> HTMLResponse:
    rows = [
        (e, events_service.counts(session, ctx, event_id=e.id))
        for e in events_service.list_events(session, ctx)
    ]
    return render(request, "crm/events.html", {"events": rows, "kinds": events_service.EVENT_KINDS})


@pages.post("/c/{slug}/events")
def event_create(
    session: SessionDep,
    ctx: OrganiserDep,
    title: Annotated[str, Form()],
    starts_at: Annotated[str, Form()],
    kind: Annotated[str, Form()] = "meeting",
    place: Annotated[str, Form()] = "",
    capacity: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> Response:
    try:
        moment = datetime.fromisoformat(starts_at)
    except ValueError:
        raise CrmError(
            f"date invalide « {starts_at} » (ex. 2027-05-20T19:00)", loc="starts_at"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("Europe/Paris"))
    event = events_service.create_event(
        session,
        ctx,
        data=EventCreate(
            kind=kind,
            title=title,
            starts_at=moment,
            place=place,
            description=description,
            capacity=int(capacity) if capacity.strip().isdigit() else None,
        ),
    )
    return _back(ctx, f"events/{event.id}")


@pages.get("/c/{slug}/events/{event_id}", response_class=HTMLResponse)
def event_page(
    request: Request, session: SessionDep, ctx: OrganiserDep, event_id: int
) -> HTMLResponse:
    event = events_service.get_event(session, ctx, event_id)
    return render(
        request,
        "crm/event.html",
        {
            "event": event,
            "counts": events_service.counts(session, ctx, event_id=event.id),
            "attendees": events_service.attendees(session, ctx, event_id=event.id),
            "segments": segments_service.list_segments(session, ctx),
        },
    )


@pages.post("/c/{slug}/events/{event_id}/invite")
def event_invite(
    session: SessionDep,
    settings: SettingsDep,
    ctx: OrganiserDep,
    event_id: int,
    segment: Annotated[str, Form()],
) -> Response:
    filters = segments_service.resolve_segment(session, ctx, segment)
    events_service.invite_segment(session, ctx, settings, event_id=event_id, filters=filters)
    return _back(ctx, f"events/{event_id}")


@pages.get("/c/{slug}/events/{event_id}/checkin", response_class=HTMLResponse)
def event_checkin_page(
    request: Request, session: SessionDep, ctx: OrganiserDep, event_id: int, q: str = ""
) -> HTMLResponse:
    event = events_service.get_event(session, ctx, event_id)
    rows = events_service.attendees(session, ctx, event_id=event.id)
    found = contacts_service.search_contacts(session, ctx, query=q, limit=10) if q else []
    return render(
        request, "crm/checkin.html", {"event": event, "attendees": rows, "q": q, "found": found}
    )


@pages.post("/c/{slug}/events/{event_id}/checkin")
def event_checkin(
    session: SessionDep, ctx: OrganiserDep, event_id: int, contact_id: Annotated[int, Form()]
) -> Response:
    events_service.check_in(session, ctx, event_id=event_id, contact_id=contact_id)
    return _back(ctx, f"events/{event_id}/checkin")


# --- public RSVP (no login, signed token) -----------------------------------------------------


def _anon(
    request: Request, template: str, context: dict[str, object], status: int = 200
) -> HTMLResponse:
    token = request.cookies.get(ANON_CSRF_COOKIE) or new_token()
    response = render(request, template, {**context, "csrf_token": token}, status=status)
    if request.cookies.get(ANON_CSRF_COOKIE) != token:
        response.set_cookie(ANON_CSRF_COOKIE, token, httponly=True, samesite="strict")
    return response


@pages.get("/rsvp/{token}", response_class=HTMLResponse)
def rsvp_page(
    request: Request, session: SessionDep, settings: SettingsDep, token: str
) -> HTMLResponse:
    ctx, event, attendee, contact = events_service.rsvp_context(session, settings, token)
    return _anon(
        request,
        "crm/rsvp.html",
        {
            "event": event,
            "attendee": attendee,
            "first_name": contact.first_name,
            "campaign": ctx.campaign,
            "token": token,
        },
    )


@pages.post(
    "/rsvp/{token}", response_class=HTMLResponse, dependencies=[Depends(verify_anonymous_csrf)]
)
def rsvp_answer(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: str,
    answer: Annotated[str, Form()],
) -> HTMLResponse:
    attendee = events_service.respond(session, settings, token=token, answer=answer)
    ctx, event, _attendee, contact = events_service.rsvp_context(session, settings, token)
    return _anon(
        request,
        "crm/rsvp.html",
        {
            "event": event,
            "attendee": attendee,
            "done": True,
            "first_name": contact.first_name,
            "campaign": ctx.campaign,
            "token": token,
        },
    )


# --- electoral rolls --------------------------------------------------------------------------


@pages.get("/c/{slug}/rolls", response_class=HTMLResponse)
def rolls_page(
    request: Request,
    session: SessionDep,
    ctx: DataDep,
    roll: int | None = None,
    sort: str = "polling_station",
    sex: str = "",
    station: str = "",
    min_age: int | None = None,
    max_age: int | None = None,
) -> HTMLResponse:
    entries: list[RollEntry] = []
    total = 0
    if roll is not None:
        entries, total = rolls.query_roll(
            session,
            ctx,
            roll_id=roll,
            sort_by=sort,
            filters=rolls.RollFilter(
                min_age=min_age,
                max_age=max_age,
                sex=sex or None,
                polling_stations=tuple(_csv_list(station)),
            ),
        )
    return render(
        request,
        "crm/rolls.html",
        {
            "rolls": rolls.list_rolls(session, ctx),
            "roll": roll,
            "entries": entries,
            "total": total,
            "sort": sort,
        },
    )


__all__ = ["NAV_ITEMS", "ImportFileError", "dashboard_cards", "router"]

router = APIRouter()
router.include_router(api_router)
router.include_router(pages)
