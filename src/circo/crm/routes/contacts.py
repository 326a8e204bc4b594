"""Contact pages: list, card, edit, notes, tags, consent and opposition."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from circo.core.models import Role
from circo.crm import contacts as contacts_service
from circo.crm.routes.common import PAGE_SIZE, DataDep, StaffDep, back_to
from circo.crm.schemas import ContactCreate, ContactUpdate
from circo.crm.timeline import timeline
from circo.web.deps import CampaignDep, FormDep, SessionDep
from circo.web.templating import render
from circo.web.types import IdPath

pages = APIRouter(include_in_schema=False)


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
    return back_to(ctx, f"contacts/{contact.id}")


@pages.get("/c/{slug}/contacts/{contact_id:int}", response_class=HTMLResponse)
def contact_page(
    request: Request, session: SessionDep, ctx: CampaignDep, contact_id: IdPath
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
    return back_to(ctx, f"contacts/{contact_id}")


@pages.post("/c/{slug}/contacts/{contact_id:int}/note")
def contact_note(
    session: SessionDep, ctx: StaffDep, contact_id: int, text: Annotated[str, Form()]
) -> Response:
    contacts_service.add_note(session, ctx, contact_id=contact_id, text=text)
    return back_to(ctx, f"contacts/{contact_id}")


@pages.post("/c/{slug}/contacts/{contact_id:int}/tags")
def contact_tag(
    session: SessionDep, ctx: DataDep, contact_id: int, tag: Annotated[str, Form()]
) -> Response:
    contacts_service.get_contact(session, ctx, contact_id)
    contacts_service.add_tags(session, ctx, contact_ids=[contact_id], names=[tag])
    return back_to(ctx, f"contacts/{contact_id}")


@pages.post("/c/{slug}/contacts/{contact_id:int}/consent")
def contact_consent(
    session: SessionDep,
    ctx: DataDep,
    contact_id: IdPath,
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
    return back_to(ctx, f"contacts/{contact_id}")


@pages.post("/c/{slug}/contacts/{contact_id:int}/opposition")
def contact_opposition(
    session: SessionDep, ctx: DataDep, contact_id: int, source: Annotated[str, Form()] = "saisie"
) -> Response:
    from circo.privacy.consent import record_opposition

    contacts_service.get_contact(session, ctx, contact_id)
    record_opposition(session, ctx, contact_id=contact_id, source=source)
    return back_to(ctx, f"contacts/{contact_id}")
