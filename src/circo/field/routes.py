"""Field pages (organisers), the volunteer phone app (PWA) and the field JSON API.

The app lives under ``/c/{slug}/field/app/``: the shell page, ``app.js``, the service worker
``sw.js`` (scope: the app folder) and the manifest. The JSON API is under
``/api/campaigns/{slug}/field/…``; a volunteer sees only the turfs assigned to them (404
otherwise) and never the contact base.
"""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from circo.core.models import Role
from circo.core.tenancy import CampaignContext
from circo.core.timezone import local_today
from circo.field import cutmap, dashboard, service, sources, visits
from circo.field.arguments import argument_passages
from circo.field.errors import FieldError
from circo.field.schemas import (
    ArgumentRead,
    AssignmentCreated,
    AssignmentIn,
    CutBureauRead,
    CutPreviewIn,
    CutPreviewRead,
    FieldDashboardRead,
    FieldMeRead,
    QuestionnaireIn,
    QuestionnaireRead,
    SupportRead,
    SyncResultRead,
    TurfRead,
    WalkListRead,
)
from circo.formatting import format_percent
from circo.web.deps import (
    CampaignDep,
    SessionDep,
)
from circo.web.registry import Card, NavItem, route_paths
from circo.web.templating import add_template_dir, render
from circo.web.types import IdPath

add_template_dir(str(resources.files("circo") / "field" / "templates"))

router = APIRouter()
STATIC = Path(str(resources.files("circo") / "field" / "static"))
ORGANISERS = (Role.organiser, Role.data)
ASSISTANT_SEARCH = "/api/campaigns/{slug}/assistant/search"

NAV_ITEMS = [
    NavItem("Secteurs et tournées", "field", roles=ORGANISERS, order=40, group="Terrain"),
    NavItem("Mon porte-à-porte", "field/app/", roles=(Role.volunteer,), order=41, group="Terrain"),
]


def _organiser(ctx: CampaignContext) -> CampaignContext:
    ctx.require(*ORGANISERS)
    return ctx


def dashboard_cards(session: Any, ctx: CampaignContext) -> list[Card]:
    if ctx.role is Role.volunteer:
        return [Card("Mon porte-à-porte", "→", "secteurs et questionnaire", "field/app/")]
    stats = dashboard.summary(session, ctx)
    rate = stats["contact_rate"]
    return [
        Card(
            "Terrain",
            str(stats["doors_knocked"]),
            f"portes frappées · contact {'—' if rate is None else format_percent(rate, 0)} · "
            f"{stats['turfs_started']}/{stats['turfs']} secteurs commencés",
            f"/c/{ctx.campaign.slug}/field",
        )
    ]


# --- organiser pages -------------------------------------------------------------------------


@router.get("/c/{slug}/field", response_class=HTMLResponse, include_in_schema=False)
def field_page(request: Request, session: SessionDep, ctx: CampaignDep) -> Response:
    if ctx.role is Role.volunteer:
        return RedirectResponse(f"/c/{ctx.campaign.slug}/field/app/", status_code=303)
    _organiser(ctx)
    stats = dashboard.summary(session, ctx)
    progress = dashboard.turf_progress(session, ctx)
    return render(
        request,
        "field/dashboard.html",
        {
            "stats": stats,
            "progress": progress,
            "progress_svg": Markup(dashboard.progress_svg(progress)),
            "assignments": service.list_assignments(session, ctx),
            "plans": service.list_plans(session, ctx),
            "questionnaire": service.active_questionnaire(session, ctx),
            "national_questionnaires": service.national_questionnaires(session, ctx),
            "today": local_today(ctx.campaign.timezone).isoformat(),
            "example_bureaux": cutmap.example_bureaux(session, commune=ctx.campaign.territory_code),
        },
    )


@router.post("/c/{slug}/field/plan", include_in_schema=False)
def field_plan(
    session: SessionDep,
    ctx: CampaignDep,
    bureaux: Annotated[str, Form()] = "",
    doors_per_turf: Annotated[int, Form(ge=1, le=10_000)] = 50,
) -> Response:
    """Cut the chosen bureaux from their imported REU addresses (the shipped Concarneau sample
    is for the command line's ``--sample`` and the tests, not offered to a campaign)."""
    _organiser(ctx)
    chosen = [code.strip() for code in bureaux.split(",") if code.strip()]
    rows = sources.reu_addresses(session, station_keys=chosen)
    service.create_plan(
        session, ctx, addresses=rows, doors_per_turf=doors_per_turf, source="reu", bureaux=chosen
    )
    return RedirectResponse(f"/c/{ctx.campaign.slug}/field?msg=plan", status_code=303)


@router.get("/c/{slug}/field/cut", response_class=HTMLResponse, include_in_schema=False)
def field_cut_page(request: Request, ctx: CampaignDep) -> Response:
    """Turf cutting from a map: pick bureaux, preview the turfs, adjust, save."""
    _organiser(ctx)
    return render(request, "field/cut.html", {"slug": ctx.campaign.slug})


@router.post("/c/{slug}/field/assign", include_in_schema=False)
def field_assign(
    session: SessionDep,
    ctx: CampaignDep,
    email: Annotated[str, Form()],
    day: Annotated[str, Form()],
    turf_id: Annotated[str, Form()] = "",
    bureau: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    _organiser(ctx)
    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise FieldError(f"date invalide « {day} » (attendu AAAA-MM-JJ)", loc="day") from None
    service.assign(
        session,
        ctx,
        day=when,
        turf_id=int(turf_id) if turf_id.strip().isdigit() else None,
        bureau=bureau.strip() or None,
        user_email=email,
        note=note,
    )
    return RedirectResponse(f"/c/{ctx.campaign.slug}/field?msg=assigned", status_code=303)


@router.get("/c/{slug}/field/turfs/{turf_id}/walklist.pdf", include_in_schema=False)
def field_walklist_pdf(session: SessionDep, ctx: CampaignDep, turf_id: IdPath) -> Response:
    from circo.field.walklist import walk_list_pdf

    pdf = walk_list_pdf(session, ctx, turf_id=turf_id)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="secteur-{turf_id}.pdf"'},
    )


@router.get("/c/{slug}/field/export.csv", include_in_schema=False)
def field_export(session: SessionDep, ctx: CampaignDep) -> Response:
    _organiser(ctx)
    return Response(
        dashboard.export_visits_csv(session, ctx),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="visites.csv"'},
    )


# --- the volunteer app (PWA) -----------------------------------------------------------------


APP_RIPOSTES = 5  # the latest approved ripostes shown in the volunteer app


@router.get("/c/{slug}/field/app/", response_class=HTMLResponse, include_in_schema=False)
def field_app(request: Request, session: SessionDep, ctx: CampaignDep) -> HTMLResponse:
    from circo.assistant.models import RiposteStatus
    from circo.assistant.ripostes import list_ripostes

    # the comms team's approved ripostes, to read and share (each opens with share buttons)
    approved = [
        riposte
        for riposte in list_ripostes(session, ctx)
        if riposte.status == RiposteStatus.approved
    ][:APP_RIPOSTES]
    response = render(request, "field/app.html", {"slug": ctx.campaign.slug, "ripostes": approved})
    response.headers["Cache-Control"] = "no-cache"
    return response


_ASSETS = {
    "app.js": "text/javascript; charset=utf-8",
    "sw.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "manifest.webmanifest": "application/manifest+json",
    "icon.svg": "image/svg+xml",
    "cut.js": "text/javascript; charset=utf-8",
}


@router.get("/c/{slug}/field/app/{asset}", include_in_schema=False)
def field_app_asset(slug: str, asset: str) -> Response:
    """Static files of the app, served under the app's path so the service worker's scope
    covers the app (no login needed: they hold no data)."""
    if asset not in _ASSETS:
        return Response("introuvable", status_code=404)
    if asset == "manifest.webmanifest":
        text = (STATIC / asset).read_text(encoding="utf-8").replace("{slug}", slug)
        return Response(text, media_type=_ASSETS[asset])
    return FileResponse(
        STATIC / asset, media_type=_ASSETS[asset], headers={"Cache-Control": "no-cache"}
    )


# --- JSON API --------------------------------------------------------------------------------


# The platform's campaign context: API token, or session cookie with X-CSRF-Token on writes;
# 404 for a non-member (its database lookups run in the thread pool).
ApiDep = CampaignDep


def _has_route(request: Request, path: str) -> bool:
    return path in route_paths(request.app.routes)


@router.get("/api/campaigns/{slug}/field/me", tags=["field"], response_model=FieldMeRead)
def api_me(request: Request, session: SessionDep, ctx: ApiDep) -> dict[str, Any]:
    """What the phone app needs: my assignments, my turfs, the questionnaire."""
    user_id = ctx.actor.user_id
    mine = service.list_assignments(session, ctx, user_id=user_id) if user_id else []
    turfs = service.visible_turfs(session, ctx) if ctx.role is Role.volunteer else []
    if ctx.role is not Role.volunteer and user_id:
        ids = service.assigned_turf_ids(session, ctx, user_id=user_id)
        turfs = [t for t in service.visible_turfs(session, ctx) if t.id in ids]
    search = ASSISTANT_SEARCH.replace("{slug}", ctx.campaign.slug)
    return {
        "campaign": {"slug": ctx.campaign.slug, "name": ctx.campaign.name},
        "role": ctx.role.value,
        "assignments": [
            {
                "id": v.assignment.id,
                "day": v.assignment.day.isoformat(),
                "turf_id": v.assignment.turf_id,
                "bureau": v.assignment.bureau,
                "note": v.assignment.note,
            }
            for v in mine
        ],
        "turfs": [
            {
                "id": t.id,
                "code": t.code,
                "name": t.name,
                "bureau": t.bureau,
                "doors": t.doors,
                "walk_m": t.walk_m,
            }
            for t in turfs
        ],
        "questionnaire": service.questionnaire_json(service.active_questionnaire(session, ctx)),
        "assistant_search": search if _has_route(request, ASSISTANT_SEARCH) else None,
    }


@router.get(
    "/api/campaigns/{slug}/field/arguments", tags=["field"], response_model=list[ArgumentRead]
)
def api_arguments(session: SessionDep, ctx: ApiDep) -> list[dict[str, Any]]:
    """The campaign's argument sheets (programme, rebuttals), kept by the phone for offline
    search."""
    return argument_passages(session, ctx)


@router.get(
    "/api/campaigns/{slug}/field/cut/bureaux",
    tags=["field"],
    response_model=list[CutBureauRead],
)
def api_cut_bureaux(session: SessionDep, ctx: ApiDep) -> list[dict[str, Any]]:
    """Bureaux that can be cut from the map (REU addresses and a contour), Lambert-93."""
    _organiser(ctx)
    territory = ctx.campaign.territory_code
    commune = territory if territory and len(territory) == 5 else None
    found = cutmap.cuttable_bureaux(session, commune=commune)
    return found or cutmap.cuttable_bureaux(session)


@router.post(
    "/api/campaigns/{slug}/field/cut/preview", tags=["field"], response_model=CutPreviewRead
)
def api_cut_preview(session: SessionDep, ctx: ApiDep, body: CutPreviewIn) -> dict[str, Any]:
    """The turfs a selection of bureaux would give (nothing is stored)."""
    _organiser(ctx)
    return cutmap.preview_turfs(session, bureaux=body.bureaux, doors_per_turf=body.doors_per_turf)


@router.get("/api/campaigns/{slug}/field/turfs", tags=["field"], response_model=list[TurfRead])
def api_turfs(session: SessionDep, ctx: ApiDep) -> list[dict[str, Any]]:
    return [
        {
            "id": t.id,
            "code": t.code,
            "name": t.name,
            "bureau": t.bureau,
            "doors": t.doors,
            "walk_m": t.walk_m,
        }
        for t in service.visible_turfs(session, ctx)
    ]


@router.get(
    "/api/campaigns/{slug}/field/turfs/{turf_id}", tags=["field"], response_model=WalkListRead
)
def api_turf(session: SessionDep, ctx: ApiDep, turf_id: IdPath) -> dict[str, Any]:
    """The walk list of a turf (404 for a volunteer to whom it is not assigned)."""
    return service.walk_list(session, ctx, turf_id=turf_id)


@router.get(
    "/api/campaigns/{slug}/field/questionnaire", tags=["field"], response_model=QuestionnaireRead
)
def api_questionnaire(session: SessionDep, ctx: ApiDep) -> dict[str, Any]:
    return service.questionnaire_json(service.active_questionnaire(session, ctx))


@router.put(
    "/api/campaigns/{slug}/field/questionnaire", tags=["field"], response_model=QuestionnaireRead
)
def api_questionnaire_save(
    session: SessionDep, ctx: ApiDep, body: QuestionnaireIn
) -> dict[str, Any]:
    saved = service.save_questionnaire(
        session,
        ctx,
        name=body.name,
        questions=body.questions,
        recontact_wording=body.recontact_wording,
        opinion_consent_wording=body.opinion_consent_wording,
    )
    return service.questionnaire_json(saved)


@router.post(
    "/api/campaigns/{slug}/field/visits/sync", tags=["field"], response_model=SyncResultRead
)
def api_sync(session: SessionDep, ctx: ApiDep, body: visits.SyncIn) -> dict[str, Any]:
    """Record a batch of visits made offline; idempotent per visit key (a retry is harmless)."""
    return visits.sync_visits(session, ctx, visits=body.visits).as_json()


@router.post(
    "/api/campaigns/{slug}/field/assignments",
    tags=["field"],
    status_code=201,
    response_model=AssignmentCreated,
)
def api_assign(session: SessionDep, ctx: ApiDep, body: AssignmentIn) -> dict[str, Any]:
    assignment = service.assign(
        session,
        ctx,
        day=body.day,
        turf_id=body.turf_id,
        bureau=body.bureau,
        user_email=body.user_email,
        user_id=body.user_id,
        team_id=body.team_id,
        note=body.note,
    )
    return {"id": assignment.id, "day": assignment.day.isoformat()}


@router.get(
    "/api/campaigns/{slug}/field/dashboard", tags=["field"], response_model=FieldDashboardRead
)
def api_dashboard(session: SessionDep, ctx: ApiDep) -> dict[str, Any]:
    return dashboard.summary(session, _organiser(ctx))


@router.get(
    "/api/campaigns/{slug}/field/observed-support",
    tags=["field"],
    response_model=dict[str, SupportRead],
)
def api_observed_support(session: SessionDep, ctx: ApiDep) -> dict[str, Any]:
    return dashboard.observed_support(session, _organiser(ctx))
