"""The movement's pages: the organisation demo crawled in French, publishing down the tree
through the form, and the national dashboard in a real headless Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from circo.core.models import Role
from circo.party.demo import build_organisation_demo
from circo.party.tree import find_group, grant_role
from circo.runtime import Runtime
from tests.browser import browser_page, live_server
from tests.factories import DEFAULT_PASSWORD, login
from tests.party.world import make_movement
from tests.web.crawl import crawl, internal_words, offending_words


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_organisation_demo_speaks_french(app: FastAPI, runtime: Runtime) -> None:
    credentials = build_organisation_demo(runtime)
    words = internal_words()
    with TestClient(app) as client:
        login(client, credentials.email, credentials.password)
        result = crawl(client, "/groups")
        visited = crawl(client, "/c/demo-lyon-1/movement")
    pages = {**result.texts, **visited.texts}
    statuses = {**result.statuses, **visited.statuses}
    assert {"/g/mouvement-demo/", "/g/fede-69/", "/g/mouvement-demo/people"} <= set(pages)
    assert [path for path, status in statuses.items() if status != 200] == []
    problems = {path: offending_words(text, words) for path, text in pages.items()}
    assert {path: found for path, found in problems.items() if found} == {}
    national = pages["/g/mouvement-demo/"]
    assert "Fédération du Rhône" in national
    assert "Campagnes 5" in national  # the national campaign and four local ones roll up
    assert "Point de programme : la santé de proximité" in pages["/c/demo-lyon-1/movement"]
    # the two people of Lyon who agreed to be known by the national level, nobody else
    people = pages["/g/mouvement-demo/people"]
    assert people.count("@demo-lyon-1.example.org") == 2
    assert "@demo-villeurbanne.example.org" not in people
    # The national campaign's content, read by a campaign below it (read-only, "national").
    with TestClient(app) as client:
        login(client, credentials.email, credentials.password)
        matrix = client.get("/c/demo-lyon-1/messages/matrix")
        field = client.get("/c/demo/field")
    assert "Santé de proximité" in matrix.text
    assert "Mouvement démo — national (synthétique)" in matrix.text
    assert "Avez-vous un médecin traitant près de chez vous ?" in field.text


def test_publishing_down_the_tree_through_the_form(app: FastAPI, session: Session) -> None:
    world = make_movement(session)
    grant_role(
        session,
        group=find_group(session, "g-camp-a"),
        user=world.admin_a,
        role=Role.volunteer,
        subtree=False,
    )
    session.commit()
    with TestClient(app) as national:
        csrf = login(national, "national@example.org")
        published = national.post(
            "/g/national/shared",
            data={
                "kind": "programme",
                "title": "Transports du quotidien",
                "body": "Texte",
                "csrf_token": csrf,
            },
            follow_redirects=False,
        )
        assert published.status_code == 303
        bad = national.post(
            "/g/national/shared",
            data={"kind": "tract", "title": "X", "csrf_token": csrf},
        )
        assert bad.status_code == 400
        assert "type de contenu inconnu « tract »" in bad.text
    with TestClient(app) as local:
        csrf = login(local, "admin-a@example.org")
        page = local.get("/g/g-camp-a/shared")
        assert "Transports du quotidien" in page.text
        assert "lecture seule" in page.text
        assert 'action="/g/g-camp-a/shared"' not in page.text  # a volunteer has no form
        refused = local.post(
            "/g/g-camp-a/shared", data={"kind": "knowledge", "title": "X", "csrf_token": csrf}
        )
        assert refused.status_code == 403
        assert "Transports du quotidien" in local.get("/c/camp-a/movement").text
    with TestClient(app) as sibling:  # another federation cannot publish to fede-a
        csrf = login(sibling, "fede-b@example.org")
        posted = sibling.post(
            "/g/fede-a/shared", data={"kind": "knowledge", "title": "X", "csrf_token": csrf}
        )
        assert posted.status_code == 404
        # the national item reaches every subtree, this one's too
        assert "Transports du quotidien" in sibling.get("/g/fede-b/shared").text


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_national_dashboard_in_chromium(app: FastAPI, runtime: Runtime, tmp_path: Path) -> None:
    credentials = build_organisation_demo(runtime)
    with live_server(app) as base_url, browser_page(tmp_path) as page_object:
        page: Any = page_object
        page.goto(f"{base_url}/login?next=/groups")
        page.get_by_label("Adresse e-mail").fill(credentials.email)
        page.get_by_label("Mot de passe").fill(credentials.password)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"{base_url}/groups")
        page.get_by_role("link", name="Mouvement démo (synthétique)").click()
        page.wait_for_url(f"{base_url}/g/mouvement-demo/")
        totals = page.get_by_test_id("rollup-totals")
        assert "Campagnes" in totals.inner_text()
        rows = page.get_by_test_id("rollup-children").locator("tbody tr")
        assert rows.count() == 2
        assert "Fédération de Paris" in rows.nth(0).inner_text()
        page.get_by_role("link", name="Fédération du Rhône").click()
        page.wait_for_url(f"{base_url}/g/fede-69/")
        names = page.get_by_test_id("rollup-children").inner_text()
        assert "Villeurbanne" in names
        assert "Paris 15e" not in names
    assert DEFAULT_PASSWORD  # the demo's own password was used, not the factories'
