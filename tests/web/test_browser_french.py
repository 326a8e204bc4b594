"""The demo in real Chromium at 1366, 1024 and 390 px: every navigation link reachable (menus
open with a click, no script needed), no horizontal overflow, a favicon, a 100 000-character note
that wraps, the sheet on a phone, and the composer keeping what was typed when "Envoyer" fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from circo.core.models import Role
from circo.runtime import Runtime
from tests.browser import ARTIFACTS, browser_page, live_server
from tests.factories import DEFAULT_PASSWORD
from tests.web.crawl import demo_with_every_role

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
]
WIDTHS = (1366, 1024, 390)
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
WIDEST = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
    .slice(0, 5)
    .map(e => e.tagName + ' ' + Math.round(e.getBoundingClientRect().right))"""


@pytest.fixture
def demo(runtime: Runtime, session: Session) -> dict[Role, tuple[str, str | None]]:
    return demo_with_every_role(runtime, session)


def _log_in(page: Any, base_url: str, person: tuple[str, str | None]) -> None:
    email, password = person
    page.goto(f"{base_url}/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password or DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{base_url}/c/demo/")


def _nav_links(page: Any) -> list[tuple[str | None, str, str]]:
    """(menu label or None, link text, href) of every link of the main navigation."""
    return page.eval_on_selector_all(
        "nav.mainnav a",
        """links => links.map(a => {
            const menu = a.closest('details');
            return [menu ? menu.querySelector('summary').textContent.trim() : null,
                    a.textContent.trim(), a.getAttribute('href')];
        })""",
    )


def _check_every_nav_link(page: Any, base_url: str, width: int, role: Role) -> int:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{base_url}/c/demo/")
    links = _nav_links(page)
    assert links
    for menu, text, href in links:
        page.goto(f"{base_url}/c/demo/")
        if menu:
            page.locator("nav.mainnav summary", has_text=menu).click()
        link = page.locator("nav.mainnav").get_by_role("link", name=text, exact=True)
        assert link.is_visible(), (width, role, menu, text)
        box = link.bounding_box()
        assert box is not None
        assert box["x"] >= 0, (width, text, box)
        assert box["x"] + box["width"] <= width, (width, text, box)
        response = page.request.get(f"{base_url}{href}")
        assert response.status == 200, (role, href, response.status)  # never a 403
        link.click()
        page.wait_for_load_state()
        assert page.evaluate(OVERFLOW) <= 0, (width, href, page.evaluate(WIDEST))
    return len(links)


def test_navigation_reachable_at_every_width_and_role_aware(
    app: FastAPI, demo: dict, tmp_path: Path
) -> None:
    with live_server(app) as base_url, browser_page(tmp_path) as page_object:
        page: Any = page_object
        _log_in(page, base_url, demo[Role.admin])
        counts = {
            width: _check_every_nav_link(page, base_url, width, Role.admin) for width in WIDTHS
        }
        assert len(set(counts.values())) == 1, counts  # the same links at every width
        assert counts[1366] >= 15
        page.set_viewport_size({"width": 1366, "height": 900})
        page.goto(f"{base_url}/c/demo/")
        bar = page.locator("nav.mainnav .navbar").bounding_box()
        assert bar is not None
        assert bar["height"] < 60  # one line of menus at 1366 px
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator("nav.mainnav summary", has_text="Territoire").click()
        page.screenshot(path=str(ARTIFACTS / "nav-1366.png"))
        page.context.clear_cookies()
        _log_in(page, base_url, demo[Role.volunteer])
        volunteer_links = _check_every_nav_link(page, base_url, 390, Role.volunteer)
        assert volunteer_links < counts[390]
        page.goto(f"{base_url}/c/demo/")
        page.screenshot(path=str(ARTIFACTS / "nav-volunteer-390.png"))
        icon = page.request.get(f"{base_url}/favicon.ico")
        assert icon.status == 200
        assert icon.headers["content-type"] == "image/x-icon"


def test_long_note_sheet_and_composer_on_a_phone(app: FastAPI, demo: dict, tmp_path: Path) -> None:
    with live_server(app) as base_url, browser_page(tmp_path) as page_object:
        page: Any = page_object
        page.set_viewport_size({"width": 390, "height": 844})
        _log_in(page, base_url, demo[Role.admin])
        page.goto(f"{base_url}/c/demo/contacts/1")
        page.locator("#note").fill("a" * 100_000)
        page.get_by_role("button", name="Ajouter", exact=True).first.click()
        page.wait_for_load_state()
        assert page.locator("body").inner_text().count("a" * 1000) >= 1
        assert page.evaluate(OVERFLOW) <= 0, page.evaluate(WIDEST)
        page.goto(f"{base_url}/c/demo/elections/sheet?territory=com:75056")
        assert "Présidentielle 2017 — 1er tour" in page.locator("body").inner_text()
        assert page.evaluate(OVERFLOW) <= 0, page.evaluate(WIDEST)
        page.goto(f"{base_url}/c/demo/messages/new")
        page.locator("#body").fill("Bonjour {{ prenom }}, à bientôt.")
        page.get_by_role("button", name="Envoyer", exact=True).click()
        page.wait_for_load_state()
        alert = page.get_by_role("alert").first.inner_text()
        assert "objet" in alert
        assert "--" not in alert
        assert page.locator("#body").input_value() == "Bonjour {{ prenom }}, à bientôt."
        assert page.evaluate(OVERFLOW) <= 0, page.evaluate(WIDEST)


def test_a_refused_form_comes_back_with_what_was_typed(
    app: FastAPI, demo: dict, tmp_path: Path
) -> None:
    with live_server(app) as base_url, browser_page(tmp_path) as page_object:
        page: Any = page_object
        page.set_viewport_size({"width": 390, "height": 844})
        _log_in(page, base_url, demo[Role.admin])
        page.goto(f"{base_url}/c/demo/segments")
        page.locator("#s-name").fill("Parents joignables par e-mail")  # the demo's segment
        page.locator("#s-tags").fill("parents, quartier")
        page.locator("#s-com").fill("69383")
        page.get_by_role("button", name="Créer").click()
        # The error page sends the person back to the form (/static/forms.js), the error above it.
        alert = page.get_by_test_id("form-error")
        alert.wait_for()
        assert page.url == f"{base_url}/c/demo/segments"
        assert alert.inner_text().startswith(
            "nom : le segment « Parents joignables par e-mail » existe déjà"
        )
        assert page.locator("#s-name").input_value() == "Parents joignables par e-mail"
        assert page.locator("#s-tags").input_value() == "parents, quartier"
        assert page.locator("#s-com").input_value() == "69383"
