"""Tenancy over the movement's tree, on SQLite and PostgreSQL: no route — pages and API, every
campaign route and every node route — lets a parent or a sibling read a person of another node.

The world (`tests.party.world`): national → fede-a (camp-a, camp-b) and fede-b (camp-c). camp-b
holds a person who consented to nothing and one who consented to be known by the national
level. Every GET route whose only path parameter is the campaign (``{slug}``) or the node
(``{group}``) is swept as: the national administrator (holds the subtree, member of camp-c
only), camp-b's sibling (admin of camp-a), and the administrators of both federations.
"""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import login
from tests.party.world import SECRET_NAME, SHARED_NAME, make_movement
from tests.web.test_tenancy import all_api_routes, campaign_get_routes

GROUPS = ("national", "fede-a", "fede-b", "g-camp-a", "g-camp-b", "g-camp-c")


def group_get_routes(app: FastAPI) -> list[str]:
    paths = []
    for route in all_api_routes(app.routes):
        if "GET" in route.methods and set(re.findall(r"{(\w+)", route.path)) == {"group"}:
            paths.append(route.path)
    return sorted(paths)


def _sweep(client: TestClient, paths: list[str], name: str, value: str) -> dict[str, int]:
    """GET every path with ``{name}`` = value; fails if a planted person shows up outside the
    one page allowed to show the consented person."""
    statuses = {}
    for path in paths:
        url = path.replace("{" + name + "}", value)
        response = client.get(url, follow_redirects=False)
        statuses[url] = response.status_code
        assert SECRET_NAME not in response.text, f"{url} shows a person of camp-b"
        assert "zorg@example.org" not in response.text, f"{url} shows a person of camp-b"
        if url != "/g/national/people":
            assert SHARED_NAME not in response.text, f"{url} shows a shared person"
    return statuses


def test_there_are_node_routes_to_sweep(app: FastAPI) -> None:
    routes = group_get_routes(app)
    assert {"/g/{group}/", "/g/{group}/people", "/api/groups/{group}/rollup"} <= set(routes)


def test_no_parent_or_sibling_reads_a_person_of_another_node(
    app: FastAPI, session: Session
) -> None:
    make_movement(session)
    campaign_routes = campaign_get_routes(app)
    node_routes = group_get_routes(app)
    people: dict[str, dict[str, str]] = {
        # who → {node: "open" | "closed"}
        "national@example.org": dict.fromkeys(GROUPS, "open"),
        "admin-a@example.org": dict.fromkeys(GROUPS, "closed"),
        "fede-a@example.org": {
            **dict.fromkeys(GROUPS, "closed"),
            **dict.fromkeys(("fede-a", "g-camp-a", "g-camp-b"), "open"),
        },
        "fede-b@example.org": {
            **dict.fromkeys(GROUPS, "closed"),
            **dict.fromkeys(("fede-b", "g-camp-c"), "open"),
        },
    }
    for email, nodes in people.items():
        with TestClient(app) as client:
            login(client, email)
            # camp-b's pages and API: none of them is a member → 404 everywhere
            for url, status in _sweep(client, campaign_routes, "slug", "camp-b").items():
                assert status == 404, f"{email}: {url} answers {status}"
            for node, access in nodes.items():
                statuses = _sweep(client, node_routes, "group", node)
                for url, status in statuses.items():
                    if access == "closed":
                        assert status == 404, f"{email}: {url} answers {status}"
                    else:
                        assert status in (200, 403), f"{email}: {url} answers {status}"
                if access == "open":
                    assert statuses[f"/g/{node}/"] == 200
    # the consent opens the person to the national level, and to nobody else
    with TestClient(app) as national:
        login(national, "national@example.org")
        page = national.get("/g/national/people")
        assert page.status_code == 200
        assert SHARED_NAME in page.text
        assert SECRET_NAME not in page.text
    with TestClient(app) as federation:
        login(federation, "fede-a@example.org")
        page = federation.get("/g/fede-a/people")
        assert page.status_code == 200
        assert SHARED_NAME not in page.text


def test_the_campaign_is_still_open_to_its_own_admin(app: FastAPI, session: Session) -> None:
    """The sweep's 404 are the firewall, not a broken route: camp-b's admin reads camp-b."""
    make_movement(session)
    with TestClient(app) as client:
        login(client, "admin-b@example.org")
        assert client.get("/c/camp-b/contacts").status_code == 200
        assert SECRET_NAME in client.get("/c/camp-b/contacts").text
        assert client.get("/g/national/").status_code == 404


def osdi_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) of the OSDI API."""
    return sorted(
        (method, route.path)
        for route in all_api_routes(app.routes)
        if route.path.startswith("/api/osdi/v1")
        for method in route.methods
    )


def test_no_osdi_token_of_another_node_reads_or_writes_a_person_of_camp_b(
    app: FastAPI, session: Session
) -> None:
    """Every OSDI route, reads and writes, with camp-b's ids, as the token of its sibling
    (camp-a) and of the other federation's campaign (camp-c), both read+write: 404 for anything
    of camp-b, collections without its people; a browser session of the national administrator
    (no token) is 401. camp-b's own token reads the same ids (the 404 are the firewall)."""
    from circo.crm.models import EventAttendee, Tag
    from circo.party.osdi.tokens import create_token
    from circo.reach.models import FormSubmission
    from tests.party.test_osdi import plant_b

    world = make_movement(session)
    planted = plant_b(session, world)
    tag_id = session.scalar(select(Tag.id).where(Tag.campaign_id == world.b.id))
    attendance_id = session.scalar(
        select(EventAttendee.id).where(EventAttendee.campaign_id == world.b.id)
    )
    submission_id = session.scalar(
        select(FormSubmission.id).where(
            FormSubmission.campaign_id == world.b.id, FormSubmission.confirmed_at.is_not(None)
        )
    )
    ids = {
        "person_id": world.secret_id,
        "tag_id": tag_id,
        "event_id": planted["event"],
        "attendance_id": attendance_id,
        "donation_id": planted["donation"],
        "form_id": planted["form"],
        "submission_id": submission_id,
    }
    tokens = {
        campaign.slug: create_token(
            session, campaign=campaign, name="sweep", scopes=["read", "write"]
        )[0]
        for campaign in (world.a, world.b, world.c)
    }
    session.commit()
    routes = osdi_routes(app)
    assert len(routes) >= 30
    link = {"_links": {"osdi:person": {"href": f"/api/osdi/v1/people/{world.secret_id}"}}}
    with TestClient(app) as client:
        for slug in ("camp-a", "camp-c"):
            headers = {"OSDI-API-Token": tokens[slug]}
            for method, path in routes:
                url = re.sub(r"{(\w+)}", lambda m: str(ids[m.group(1)]), path)
                has_ids = "{" in path
                body = {**link, "name": "x", "family_name": "Balayage"} if method != "GET" else None
                response = client.request(method, url, json=body, headers=headers)
                assert SECRET_NAME not in response.text, f"{slug}: {method} {url}"
                assert "zorg@example.org" not in response.text, f"{slug}: {method} {url}"
                assert SHARED_NAME not in response.text, f"{slug}: {method} {url}"
                if has_ids:
                    assert response.status_code == 404, f"{slug}: {method} {url} → {response}"
        own = {"OSDI-API-Token": tokens["camp-b"]}
        for method, path in routes:
            if method == "GET" and "{" in path:
                url = re.sub(r"{(\w+)}", lambda m: str(ids[m.group(1)]), path)
                assert client.get(url, headers=own).status_code == 200, url
        login(client, "national@example.org")
        for method, path in routes:
            url = re.sub(r"{(\w+)}", lambda m: str(ids[m.group(1)]), path)
            response = client.request(method, url, json={} if method != "GET" else None)
            assert response.status_code == 401, f"session without token: {method} {url}"
    session.expire_all()
    assert session.get(Tag, tag_id) is not None  # nothing of camp-b was changed or removed
