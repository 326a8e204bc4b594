"""The demo walked as people use it, in real Chromium: a campaign manager on a desktop
(1366 px) opens every module of the navigation; a volunteer on a phone (390 px) opens every
module they are offered, then canvasses in the volunteer app, offline included. On each page:
an answer, no raw key or English word, no horizontal overflow, a screenshot in the artifacts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.core.models import Campaign, Role, User
from circo.core.tenancy import system_context
from circo.db import utcnow
from circo.field import service
from circo.field.models import Visit
from circo.runtime import Runtime
from tests.browser import ARTIFACTS, browser_page, live_server
from tests.factories import DEFAULT_PASSWORD
from tests.web.crawl import demo_with_every_role, internal_words, offending_words

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("backend", ["sqlite"], indirect=True),
]
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
# What a person reads in the page's main part; <code> holds a key shown as a reference (as in
# the crawl of tests/web/crawl.py).
MAIN_TEXT = """() => {
  const main = document.querySelector("main").cloneNode(true);
  main.querySelectorAll("code, script, style, template").forEach(e => e.remove());
  document.body.appendChild(main);
  const text = main.innerText;
  main.remove();
  return text;
}"""
NAV_LINKS = """links => links.map(a => {
    const menu = a.closest('details');
    return [menu ? menu.querySelector('summary').textContent.trim() : null,
            a.textContent.trim(), a.getAttribute('href')];
})"""


@pytest.fixture
def demo(runtime: Runtime, session: Session) -> dict[Role, tuple[str, str | None]]:
    return demo_with_every_role(runtime, session)


def _log_in(page: Any, base_url: str, person: tuple[str, str | None], target: str) -> None:
    email, password = person
    page.goto(f"{base_url}/login?next={target}")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password or DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{base_url}{target}")


def _walk_every_module(page: Any, base_url: str, who: str) -> list[str]:
    """Open each link of the navigation as a person does (menu, then link); the problems."""
    words = internal_words()
    page.goto(f"{base_url}/c/demo/")
    links = page.eval_on_selector_all("nav.mainnav a", NAV_LINKS)
    assert len(links) >= 3, links
    problems: list[str] = []
    ARTIFACTS.mkdir(exist_ok=True)
    for number, (menu, text, href) in enumerate(links):
        page.goto(f"{base_url}/c/demo/")
        if menu:
            page.locator("nav.mainnav summary", has_text=menu).click()
        with page.expect_navigation() as navigation:
            page.locator("nav.mainnav").get_by_role("link", name=text, exact=True).click()
        status = navigation.value.status if navigation.value else 0
        page.wait_for_load_state()
        if status != 200:
            problems.append(f"{href}: {status}")
        if page.evaluate(OVERFLOW) > 0:
            problems.append(f"{href}: horizontal overflow")
        found = offending_words(page.evaluate(MAIN_TEXT), words)
        if found:
            problems.append(f"{href}: {sorted(found)}")
        slug = re.sub(r"[^a-z0-9]+", "-", href.lower()).strip("-")
        page.screenshot(path=str(ARTIFACTS / f"walk-{who}-{number:02d}-{slug}.png"))
    return problems


def test_a_manager_walks_every_module_on_a_desktop(
    app: FastAPI, demo: dict[Role, tuple[str, str | None]], tmp_path: Path
) -> None:
    with live_server(app) as base_url, browser_page(tmp_path) as page_object:
        page: Any = page_object
        page.set_viewport_size({"width": 1366, "height": 900})
        _log_in(page, base_url, demo[Role.admin], "/c/demo/")
        problems = _walk_every_module(page, base_url, "manager")
    assert problems == [], "\n".join(problems)


def test_a_volunteer_walks_the_app_on_a_phone_offline_included(
    app: FastAPI,
    demo: dict[Role, tuple[str, str | None]],
    session: Session,
    tmp_path: Path,
) -> None:
    email = demo[Role.volunteer][0]
    campaign = session.scalar(select(Campaign).where(Campaign.slug == "demo"))
    volunteer = session.scalar(select(User).where(User.email == email))
    assert campaign is not None
    assert volunteer is not None
    ctx = system_context(campaign)
    turf = service.visible_turfs(session, ctx)[-1]
    service.assign(session, ctx, day=utcnow().date(), turf_id=turf.id, user_id=volunteer.id)
    session.commit()

    with live_server(app) as base_url, browser_page(tmp_path) as page_object:
        page: Any = page_object  # 390 × 844, a phone
        _log_in(page, base_url, demo[Role.volunteer], "/c/demo/")
        problems = _walk_every_module(page, base_url, "volunteer")

        page.goto(f"{base_url}/c/demo/field/app/")
        page.wait_for_selector('#field-app[data-ready="1"]')
        assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.locator("#fa-turf-list li", has_text=turf.name).get_by_role(
            "button", name="Ouvrir"
        ).click()
        expect(page.locator("#fa-stops li").first).to_be_visible()

        page.context.set_offline(True)
        page.locator("#fa-stops li").first.get_by_role("button", name="Visite").click()
        page.get_by_label("Absent", exact=True).check()
        page.get_by_role("button", name="Enregistrer la visite").click()
        page.wait_for_selector("#fa-turf:not([hidden])")
        expect(page.get_by_test_id("pending")).to_have_text("1")
        page.reload()  # offline: the service worker serves the app, IndexedDB its data
        page.wait_for_selector('#field-app[data-ready="1"]')
        assert page.get_by_test_id("network").inner_text() == "Hors ligne"
        expect(page.get_by_test_id("pending")).to_have_text("1")
        if page.evaluate(OVERFLOW) > 0:
            problems.append("field app offline: horizontal overflow")
        page.screenshot(path=str(ARTIFACTS / "walk-volunteer-offline.png"), full_page=True)
        page.context.set_offline(False)
        expect(page.get_by_test_id("pending")).to_have_text("0", timeout=15000)
    assert problems == [], "\n".join(problems)
    session.expire_all()
    visits = session.scalars(
        select(Visit).where(Visit.turf_id == turf.id, Visit.user_id == volunteer.id)
    ).all()
    assert [visit.outcome for visit in visits] == ["not_home"]
