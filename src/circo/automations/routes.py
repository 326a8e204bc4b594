"""Automation pages (Communication menu: list, create, the run log of an automation and of a
contact) and the JSON API."""

from __future__ import annotations

from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.automations import engine, service
from circo.automations.errors import AutomationError
from circo.automations.schemas import AutomationCreated, AutomationIn, RunDue
from circo.core.models import Role
from circo.core.tenancy import CampaignContext
from circo.errors import CircoError
from circo.web.deps import FormDep, SessionDep, SettingsDep, require_role
from circo.web.registry import NavItem
from circo.web.templating import add_template_dir, render
from circo.web.types import IdPath

add_template_dir(str(resources.files("circo") / "automations" / "templates"))

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/campaigns/{slug}/automations", tags=["automations"])
router = APIRouter()
ManagerDep = Annotated[
    CampaignContext, Depends(require_role(Role.data, Role.comms, Role.organiser))
]
MANAGER_ROLES = (Role.data, Role.comms, Role.organiser)
STEP_ROWS = 3
STEP_FIELDS = ("action", "days", "channel", "subject", "body", "tag", "organiser")

NAV_ITEMS = [
    NavItem("Automatisations", "automations", roles=MANAGER_ROLES, order=38, group="Communication")
]


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _choices(session: Session, ctx: CampaignContext) -> dict[str, Any]:
    from circo.crm.events import list_events
    from circo.crm.segments import list_segments
    from circo.reach.forms import list_forms

    return {
        "segments": list_segments(session, ctx),
        "forms": list_forms(session, ctx),
        "events": list_events(session, ctx),
    }


def _index(
    request: Request,
    session: Session,
    ctx: CampaignContext,
    *,
    error: str = "",
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    automations = service.list_automations(session, ctx)
    values = {
        "automations": automations,
        "steps": service.steps_of(session, [item.id for item in automations]),
        "counts": service.run_counts(session, ctx),
        "step_rows": range(1, STEP_ROWS + 1),
        "error": error,
        "typed": typed or {},
        **_choices(session, ctx),
    }
    return render(request, "automations/index.html", values, status=status)


@pages.get("/c/{slug}/automations", response_class=HTMLResponse)
def automations_page(request: Request, session: SessionDep, ctx: ManagerDep) -> HTMLResponse:
    return _index(request, session, ctx)


def _steps_from_form(form: Any) -> list[dict[str, Any]]:
    steps = []
    for row in range(1, STEP_ROWS + 1):
        value = {name: _text(form, f"step{row}_{name}") for name in STEP_FIELDS}
        if not value["action"]:
            continue
        days_text = value["days"] or "0"
        if not days_text.isdigit():
            raise AutomationError(
                f"étape {row} : délai « {days_text} » — attendu un nombre de jours (ex. 3)",
                loc=f"étape {row}",
            )
        steps.append(
            {
                "action": value["action"],
                "delay_days": int(days_text),
                "channel": value["channel"] or "email",
                "subject": value["subject"],
                "body": value["body"],
                "tag": value["tag"],
                "organiser": value["organiser"],
            }
        )
    return steps


def _data_from_form(form: Any) -> AutomationIn:
    trigger = _text(form, "trigger")
    target = _text(form, f"target_{trigger}") if trigger else ""
    if trigger in ("form", "event") and target and not target.isdigit():
        raise AutomationError(f"déclencheur : « {target} » n'est pas un numéro", loc="trigger")
    try:
        return AutomationIn(
            name=_text(form, "name"),
            trigger=trigger,
            segment=target if trigger == "segment" else "",
            form_id=int(target) if trigger == "form" and target else None,
            event_id=int(target) if trigger == "event" and target else None,
            steps=_steps_from_form(form),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        names = {"name": "nom", "trigger": "déclencheur", "steps": "étapes"}
        head = str(first["loc"][0]) if first["loc"] else ""
        raise AutomationError(
            f"{names.get(head, where)} : valeur refusée ({first['msg']})",
            loc=names.get(head, where),
        ) from None


@pages.post("/c/{slug}/automations")
def automations_create_page(
    request: Request, session: SessionDep, settings: SettingsDep, ctx: ManagerDep, form: FormDep
) -> Response:
    try:
        created = service.create_automation(session, ctx, settings, data=_data_from_form(form))
    except CircoError as error:
        session.rollback()
        typed = {key: str(value) for key, value in form.items() if isinstance(value, str)}
        return _index(request, session, ctx, error=error.message, typed=typed, status=400)
    return RedirectResponse(
        f"/c/{ctx.campaign.slug}/automations/{created.automation.id}", status_code=303
    )


@pages.get("/c/{slug}/automations/{automation_id}", response_class=HTMLResponse)
def automation_page(
    request: Request, session: SessionDep, ctx: ManagerDep, automation_id: IdPath
) -> HTMLResponse:
    automation = service.get_automation(session, ctx, automation_id)
    values = {
        "automation": automation,
        "steps": service.steps_of(session, [automation.id])[automation.id],
        "counts": service.run_counts(session, ctx).get(automation.id, {}),
        "log": service.run_log(session, ctx, automation_id=automation.id),
        "names": _contact_names(session, ctx, automation.id),
        "trigger_title": _trigger_title(session, ctx, automation),
    }
    return render(request, "automations/automation.html", values)


@pages.post("/c/{slug}/automations/run")
def automations_run_page(session: SessionDep, ctx: ManagerDep) -> Response:
    engine.run_due(session, ctx)
    return RedirectResponse(f"/c/{ctx.campaign.slug}/automations", status_code=303)


@pages.get("/c/{slug}/automations/contacts/{contact_id}", response_class=HTMLResponse)
def contact_log_page(
    request: Request, session: SessionDep, ctx: ManagerDep, contact_id: IdPath
) -> HTMLResponse:
    from circo.crm.contacts import get_contact

    contact = get_contact(session, ctx, contact_id)
    values = {
        "contact": contact,
        "log": service.run_log(session, ctx, contact_id=contact.id),
    }
    return render(request, "automations/contact.html", values)


def _contact_names(session: Session, ctx: CampaignContext, automation_id: int) -> dict[int, str]:
    from circo.automations.models import StepRun
    from circo.crm.contacts import visible_contacts
    from circo.crm.models import Contact

    ids = select(StepRun.contact_id).where(StepRun.automation_id == automation_id)
    query = visible_contacts(session, ctx).where(Contact.id.in_(ids))
    return {
        contact.id: " ".join(filter(None, (contact.first_name, contact.last_name)))
        or f"n° {contact.id}"
        for contact in session.scalars(query)
    }


def _trigger_title(session: Session, ctx: CampaignContext, automation: Any) -> str:
    if automation.segment_name:
        return automation.segment_name
    choices = _choices(session, ctx)
    for item in choices["forms"]:
        if item.id == automation.form_id:
            return str(item.name)
    for item in choices["events"]:
        if item.id == automation.event_id:
            return str(item.title)
    return ""


@api.post("", status_code=201, response_model=AutomationCreated)
def api_create(
    session: SessionDep, settings: SettingsDep, ctx: ManagerDep, body: AutomationIn
) -> dict[str, Any]:
    """Create an automation (`circo automations create --json`)."""
    created = service.create_automation(session, ctx, settings, data=body)
    return {
        "id": created.automation.id,
        "name": created.automation.name,
        "steps": len(created.steps),
        "baseline": created.baseline,
    }


@api.post("/run-due", response_model=RunDue)
def api_run_due(session: SessionDep, ctx: ManagerDep) -> RunDue:
    """Run the due steps now (`circo automations run-due --json`)."""
    return engine.run_due(session, ctx)


router.include_router(pages)
router.include_router(api)
