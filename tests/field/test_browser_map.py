"""The volunteer app's offline map on a 390 px phone: the turf drawn from its own walk list (stops,
route, next door) over the bureau's contour (here the approximate one, built from the REU
addresses), with directions handed to the phone's maps app — offline, and no request leaves the
circo server. And the argument search, offline, in the sheets the phone keeps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from circo.assistant.demo import seed_demo as seed_assistant_demo
from circo.config import Settings
from circo.core.models import Campaign
from circo.core.tenancy import system_context
from circo.elections.geography import import_reu
from circo.maps.approx import approximate_bureaux
from tests.browser import ARTIFACTS, browser_page, live_server
from tests.factories import DEFAULT_PASSWORD
from tests.field.conftest import make_field_world

REU = Path("fr-reu-adresses-sample-29")


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_turf_map_offline_with_next_door_and_directions(
    app: FastAPI, session: Session, shared_data: Path, tmp_path: Path
) -> None:
    import_reu(session, path=shared_data / REU / "addresses_sample.csv")
    approximate_bureaux(
        session,
        communes=["29039"],
        contours_file=shared_data / REU / "contours_com_sample_wgs84.geojson",
    )
    session.commit()
    make_field_world(session)
    with live_server(app) as base_url, browser_page(tmp_path) as page_object:
        page: Any = page_object
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(f"{base_url}/login?next=/c/camp-a/field/app/")
        page.get_by_label("Adresse e-mail").fill("volunteer-a@example.org")
        page.get_by_label("Mot de passe").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_selector('#field-app[data-ready="1"]')
        page.get_by_role("button", name="Ouvrir").click()
        stops = page.locator("#fa-stops li")
        expect(stops.first).to_be_visible()
        count = stops.count()
        first = stops.nth(0).inner_text().split(" · ")[0]
        second = stops.nth(1).inner_text().split(" · ")[0]

        turf_map = page.get_by_test_id("turf-map")
        expect(turf_map).to_be_visible()
        assert turf_map.locator("circle.fa-dot").count() == count
        assert turf_map.locator("polyline.fa-route").count() == 1
        assert turf_map.locator("path.fa-outline.approx").count() == 1
        expect(page.get_by_text("Contour du bureau approximatif")).to_be_visible()
        expect(page.get_by_test_id("next-door")).to_contain_text(first)
        href = page.get_by_test_id("directions").get_attribute("href")
        assert href is not None
        assert href.startswith("geo:")

        page.context.set_offline(True)
        page.locator("#fa-stops li").nth(0).get_by_role("button", name="Visite").click()
        page.get_by_label("Absent", exact=True).check()
        page.get_by_role("button", name="Enregistrer la visite").click()
        page.wait_for_selector("#fa-turf:not([hidden])")
        expect(page.get_by_test_id("next-door")).to_contain_text(second)
        assert turf_map.locator("circle.fa-dot.done").count() == 1

        page.reload()  # offline: the service worker serves the app, IndexedDB the turf
        page.wait_for_selector('#field-app[data-ready="1"]')
        page.get_by_role("button", name="Ouvrir").click()
        turf_map = page.get_by_test_id("turf-map")
        expect(turf_map).to_be_visible()
        assert turf_map.locator("circle.fa-dot").count() == count
        assert turf_map.locator("path.fa-outline.approx").count() == 1
        expect(page.get_by_test_id("next-door")).to_contain_text(second)
        # The next door's dot opens its visit form.
        turf_map.locator("circle.fa-dot.next").click()
        expect(page.locator("#fa-visit-title")).to_contain_text(second)
        page.get_by_role("button", name="Annuler").click()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "field-app-map-offline.png"), full_page=True)
    outside = [url for url in requested if not url.startswith(base_url)]
    assert outside == []


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_argument_search_works_offline(
    app: FastAPI, session: Session, settings: Settings, tmp_path: Path
) -> None:
    world = make_field_world(session)
    campaign = session.get(Campaign, world.campaigns.a.id)
    assert campaign is not None
    seed_assistant_demo(session, system_context(campaign), settings)
    session.commit()
    with live_server(app) as base_url, browser_page(tmp_path) as page_object:
        page: Any = page_object
        page.goto(f"{base_url}/login?next=/c/camp-a/field/app/")
        page.get_by_label("Adresse e-mail").fill("volunteer-a@example.org")
        page.get_by_label("Mot de passe").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_selector('#field-app[data-ready="1"]')

        page.context.set_offline(True)
        page.reload()  # offline from the start: the app and the sheets come from the phone
        page.wait_for_selector('#field-app[data-ready="1"]')
        page.get_by_label("Mot-clé (ex. retraites)").fill("retraites")
        page.get_by_role("button", name="Chercher").click()
        results = page.get_by_test_id("search-results")
        expect(results).to_contain_text("62 ans")
        expect(page.get_by_test_id("search-note")).to_contain_text("Hors connexion")
        # Accents and case do not matter; a word found nowhere gives no result.
        page.get_by_label("Mot-clé (ex. retraites)").fill("EDUCATION")
        page.get_by_role("button", name="Chercher").click()
        expect(results).to_contain_text("24 élèves")
        page.get_by_label("Mot-clé (ex. retraites)").fill("zxqwv")
        page.get_by_role("button", name="Chercher").click()
        expect(results).to_have_text("Aucun résultat.")
