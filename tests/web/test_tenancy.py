"""Tenancy and roles across every campaign route, including those of later domains."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.tenancy import system_context
from circo.messaging.service import Draft, start_send
from tests.factories import login, make_two_campaigns


def all_api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, looking inside included routers (FastAPI may keep them nested)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from all_api_routes(route.original_router.routes)


def campaign_get_routes(app: FastAPI) -> list[str]:
    """Every authenticated GET route whose only path parameter is the campaign slug.

    Public pages (``/p/{slug}/…``: self-service privacy requests, RSVP…) are for anyone.
    """
    paths = []
    for route in all_api_routes(app.routes):
        if "GET" not in route.methods or not route.path.startswith(("/c/", "/api/campaigns/")):
            continue
        params = set(re.findall(r"{(\w+)", route.path))
        if params == {"slug"}:
            paths.append(route.path)
    return sorted(paths)


def test_there_are_campaign_routes_to_check(app: FastAPI) -> None:
    routes = campaign_get_routes(app)
    assert "/c/{slug}/" in routes
    assert "/api/campaigns/{slug}/members" in routes


def test_user_of_campaign_a_gets_404_on_campaign_b(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    make_two_campaigns(session)
    login(client, "admin-a@example.org")
    for path in campaign_get_routes(app):
        own = client.get(path.replace("{slug}", "camp-a"), follow_redirects=False)
        other = client.get(path.replace("{slug}", "camp-b"), follow_redirects=False)
        assert other.status_code == 404, f"{path} leaks campaign B ({other.status_code})"
        assert own.status_code != 404, f"{path} hides campaign A from its admin"
        assert "camp-b" not in other.text.replace("« camp-b »", "")


def test_unknown_campaign_is_404_too(client: TestClient, session: Session) -> None:
    make_two_campaigns(session)
    login(client, "admin-a@example.org")
    assert client.get("/c/nope/").status_code == 404
    assert client.get("/api/campaigns/nope").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/c/camp-a/users",
        "/c/camp-a/audit",
        "/api/campaigns/camp-a/members",
        "/api/campaigns/camp-a/audit",
    ],
)
def test_volunteer_cannot_reach_admin_pages(
    client: TestClient, session: Session, path: str
) -> None:
    make_two_campaigns(session)
    login(client, "volunteer-a@example.org")
    assert client.get(path).status_code == 403
    assert client.get("/c/camp-a/").status_code == 200


def test_volunteer_cannot_change_roles(client: TestClient, session: Session) -> None:
    world = make_two_campaigns(session)
    csrf = login(client, "volunteer-a@example.org")
    response = client.post(
        f"/c/camp-a/users/{world.volunteer_a.id}/role",
        data={"role": "admin", "csrf_token": csrf},
    )
    assert response.status_code == 403


def test_admin_of_a_cannot_touch_members_of_b(client: TestClient, session: Session) -> None:
    world = make_two_campaigns(session)
    csrf = login(client, "admin-a@example.org")
    response = client.post(
        f"/c/camp-a/users/{world.admin_b.id}/role", data={"role": "volunteer", "csrf_token": csrf}
    )
    assert response.status_code == 404


def test_audit_page_filters(client: TestClient, session: Session) -> None:
    make_two_campaigns(session)
    login(client, "admin-a@example.org")
    page = client.get("/c/camp-a/audit?action=role.set")
    assert page.status_code == 200
    assert "role.set" in page.text
    assert "volunteer-a@example.org" in page.text
    assert "admin-b@example.org" not in page.text
    assert client.get("/c/camp-a/audit?since=2020-13-01").status_code == 400


def test_invitation_creates_user_and_sends_email(client: TestClient, session: Session) -> None:
    make_two_campaigns(session)
    csrf = login(client, "admin-a@example.org")
    response = client.post(
        "/c/camp-a/users",
        data={"email": "new@example.org", "role": "comms", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303
    members = client.get("/api/campaigns/camp-a/members").json()
    assert {"email": "new@example.org", "role": "comms"}.items() <= next(
        member for member in members if member["email"] == "new@example.org"
    ).items()
    bad = client.post(
        "/c/camp-a/users", data={"email": "x@example.org", "role": "boss", "csrf_token": csrf}
    )
    assert bad.status_code == 400
    assert "rôle inconnu" in bad.text


def test_volunteer_dashboard_shows_only_their_own_cards(
    app: FastAPI, session: Session, settings: Settings
) -> None:
    """The campaign's dashboard as a real volunteer: cards about them (their canvassing, the
    argument search), never a campaign-wide figure such as the last message's subject."""
    world = make_two_campaigns(session)
    ctx = system_context(world.a)
    start_send(
        session,
        ctx,
        settings,
        draft=Draft(channel="email", segment="all", subject="Sujet-confidentiel-42", body="x"),
    )
    session.commit()
    with TestClient(app) as admin:
        login(admin, "admin-a@example.org")
        page = admin.get("/c/camp-a/")
        assert "Sujet-confidentiel-42" in page.text  # the staff's dashboard has it
        assert "membres de la campagne" in page.text
    with TestClient(app) as volunteer:
        login(volunteer, "volunteer-a@example.org")
        page = volunteer.get("/c/camp-a/")
        assert page.status_code == 200
        assert "Mon porte-à-porte" in page.text
        assert "Argumentaire" in page.text
        for leak in ("Sujet-confidentiel-42", "Messages envoyés", "membres de la campagne"):
            assert leak not in page.text, f"a volunteer's dashboard shows {leak!r}"
        assert "Base documentaire" not in page.text
        assert "passages indexés" not in page.text
