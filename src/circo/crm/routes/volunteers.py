"""Volunteers (invitations, onboarding) and teams."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from circo.bounds import MAX_ID
from circo.crm import volunteers as volunteers_service
from circo.crm.routes.common import OrganiserDep, back_to, csv_list
from circo.crm.schemas import VolunteerCreate
from circo.web.deps import SessionDep, SettingsDep
from circo.web.templating import render
from circo.web.types import IdPath

pages = APIRouter(include_in_schema=False)


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
            skills=csv_list(skills),
        ),
    )
    return back_to(ctx, "volunteers")


@pages.post("/c/{slug}/volunteers/{volunteer_id}/onboarding")
def volunteer_step(
    session: SessionDep,
    ctx: OrganiserDep,
    volunteer_id: IdPath,
    step: Annotated[str, Form()],
    done: Annotated[str, Form()] = "1",
) -> Response:
    volunteers_service.set_onboarding_step(
        session, ctx, volunteer_id=volunteer_id, step=step, done=done == "1"
    )
    return back_to(ctx, "volunteers")


@pages.post("/c/{slug}/teams")
def team_create(
    session: SessionDep,
    ctx: OrganiserDep,
    name: Annotated[str, Form()],
    commune_code: Annotated[str, Form()] = "",
) -> Response:
    volunteers_service.create_team(session, ctx, name=name, commune_code=commune_code or None)
    return back_to(ctx, "volunteers")


@pages.post("/c/{slug}/teams/{team_id}/members")
def team_member(
    session: SessionDep,
    ctx: OrganiserDep,
    team_id: IdPath,
    volunteer_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    leader: Annotated[str, Form()] = "",
) -> Response:
    volunteers_service.add_team_member(
        session, ctx, team_id=team_id, volunteer_id=volunteer_id, leader=leader == "1"
    )
    return back_to(ctx, "volunteers")
