"""Pages of the movement's nodes (``/g/{group}/…``: roll-up dashboard, shared content, people
who consented to be shared) and the campaign's view of what its parents publish
(``/c/{slug}/movement``).

A node's pages answer to its group roles only (`circo.party.tree.role_on`); a campaign's pages
to its memberships only. No group role opens a campaign: a parent reads aggregates.
"""

from __future__ import annotations

from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.core import audit
from circo.core.models import Role
from circo.core.tenancy import CampaignContext
from circo.errors import CircoError, PermissionDenied
from circo.party import rollup as rollups
from circo.party import sharing, tree
from circo.party.models import SharedKind
from circo.party.osdi import routes as osdi_routes
from circo.party.schemas import RollupRead
from circo.web.deps import CampaignDep, FormDep, SessionDep, UserDep
from circo.web.registry import Card, NavItem
from circo.web.templating import add_template_dir, render
from circo.web.types import SlugPath

add_template_dir(str(resources.files("circo") / "party" / "templates"))

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/groups/{group}", tags=["party"])
router = APIRouter()

NAV_ITEMS = [NavItem("Contenus du mouvement", "movement", order=66, group="Communication")]


def group_context(group: SlugPath, session: SessionDep, user: UserDep) -> tree.GroupContext:
    return tree.group_context(session, user_id=user.id, slug=group)


GroupDep = Annotated[tree.GroupContext, Depends(group_context)]


def dashboard_cards(session: Session, ctx: CampaignContext) -> list[Card]:
    """A link to the movement's dashboards for a member who holds a role on a node."""
    if ctx.actor.user_id is None or ctx.role is Role.volunteer:
        return []
    mine = tree.groups_of_user(session, ctx.actor.user_id)
    if not mine:
        return []
    return [
        Card(
            "Mouvement",
            str(len(mine)),
            detail="groupes où vous avez un rôle : " + ", ".join(g.name for g, _ in mine[:3]),
            href="/groups",
        )
    ]


# --- pages of a node --------------------------------------------------------------------------


@pages.get("/groups", response_class=HTMLResponse)
def my_groups(request: Request, session: SessionDep, user: UserDep) -> HTMLResponse:
    return render(request, "party/groups.html", {"groups": tree.groups_of_user(session, user.id)})


@pages.get("/g/{group}/", response_class=HTMLResponse)
def group_dashboard(request: Request, session: SessionDep, gctx: GroupDep) -> HTMLResponse:
    figures = rollups.rollup(session, gctx.group)
    parent = None
    if gctx.group.parent_id is not None:
        candidate = session.get(type(gctx.group), gctx.group.parent_id)
        if candidate is not None and tree.role_on(session, user_id=gctx.user_id, group=candidate):
            parent = candidate
    return render(
        request,
        "party/dashboard.html",
        {"gctx": gctx, "group": gctx.group, "rollup": figures, "parent": parent},
    )


@pages.get("/g/{group}/shared", response_class=HTMLResponse)
def group_shared(request: Request, session: SessionDep, gctx: GroupDep) -> HTMLResponse:
    return _shared_page(request, session, gctx)


def _shared_page(
    request: Request,
    session: Session,
    gctx: tree.GroupContext,
    *,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "party/shared.html",
        {
            "gctx": gctx,
            "group": gctx.group,
            "items": tree.visible_items(session, gctx.group),
            "may_publish": gctx.may(*tree.PUBLISHERS),
            "kinds": list(SharedKind),
            "error": error,
        },
        status=status,
    )


@pages.post("/g/{group}/shared", response_model=None)
def group_publish(request: Request, session: SessionDep, gctx: GroupDep, form: FormDep) -> Response:
    if not gctx.may(*tree.PUBLISHERS):
        raise PermissionDenied("publier est réservé aux rôles administrateur et communication")
    try:
        tree.publish(
            session,
            group=gctx.group,
            kind=str(form.get("kind") or ""),
            title=str(form.get("title") or ""),
            body=str(form.get("body") or ""),
        )
    except CircoError as exc:
        session.rollback()
        return _shared_page(request, session, gctx, error=exc.message, status=400)
    return RedirectResponse(f"/g/{gctx.group.slug}/shared?msg=published", status_code=303)


@pages.get("/g/{group}/people", response_class=HTMLResponse)
def group_people(
    request: Request, session: SessionDep, gctx: GroupDep, user: UserDep
) -> HTMLResponse:
    if not gctx.may(Role.data):
        raise PermissionDenied("réservé aux rôles administrateur et données")
    people = sharing.shared_people(session, gctx.group)
    audit.record(
        session,
        actor=audit.Actor(user_id=user.id, email=user.email),
        action="party.shared_people",
        target_type="group",
        target_id=gctx.group.slug,
        details={"count": len(people)},
    )
    return render(
        request, "party/people.html", {"gctx": gctx, "group": gctx.group, "people": people}
    )


@pages.get("/g/{group}/webhooks", response_class=HTMLResponse)
def group_webhooks(request: Request, session: SessionDep, gctx: GroupDep) -> HTMLResponse:
    """The node's receivers and the delivery log (administrators)."""
    if not gctx.may():
        raise PermissionDenied("réservé aux administrateurs du groupe")
    from circo.party import webhooks
    from circo.party.models import Webhook

    hooks = list(session.scalars(select(Webhook).where(Webhook.group_id == gctx.group.id)))
    return render(
        request,
        "party/webhooks.html",
        {
            "gctx": gctx,
            "group": gctx.group,
            "hooks": hooks,
            "deliveries": webhooks.deliveries(session, gctx.group),
        },
    )


# --- the campaign's view ----------------------------------------------------------------------


@pages.get("/c/{slug}/movement", response_class=HTMLResponse)
def campaign_movement(request: Request, session: SessionDep, ctx: CampaignDep) -> HTMLResponse:
    node = tree.group_of_campaign(session, ctx.campaign_id)
    items = [view for view in tree.visible_items(session, node) if not view.own] if node else []
    return render(request, "party/movement.html", {"node": node, "items": items})


# --- API --------------------------------------------------------------------------------------


@api.get("/rollup", response_model=RollupRead)
def api_rollup(session: SessionDep, gctx: GroupDep) -> dict[str, Any]:
    """Aggregates of the node's subtree (counts, doors, reach rate, funds): no person."""
    return rollups.rollup(session, gctx.group)


router.include_router(pages)
router.include_router(api)
router.include_router(osdi_routes.router)
