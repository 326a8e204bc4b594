"""The volunteer app in a real headless Chromium: load the turf, go offline, record visits,
reload (offline), go online, and the server has each visit exactly once — also when the phone
sends the same visits again (closed before it saw the server's answer)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.field.models import Visit
from tests.browser import ARTIFACTS, browser_page, live_server
from tests.factories import DEFAULT_PASSWORD
from tests.field.conftest import make_field_world

QUEUE = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("circo-field-camp-a", 1);
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const request = open.result.transaction("queue").objectStore("queue").getAll();
    request.onsuccess = () => resolve(request.result);
  };
})"""

PUT_BACK = """(items) => new Promise((resolve, reject) => {
  const open = indexedDB.open("circo-field-camp-a", 1);
  open.onsuccess = () => {
    const tx = open.result.transaction("queue", "readwrite");
    items.forEach((item) => tx.objectStore("queue").put(item));
    tx.oncomplete = () => resolve(true);
    tx.onerror = () => reject(tx.error);
  };
})"""


def _record(page: Any, stop_index: int, outcome: str, support: str | None = None) -> None:
    page.locator("#fa-stops li").nth(stop_index).get_by_role("button", name="Visite").click()
    page.get_by_label(outcome, exact=True).check()
    if support:
        page.get_by_label(support, exact=True).check()
    page.get_by_role("button", name="Enregistrer la visite").click()
    page.wait_for_selector("#fa-turf:not([hidden])")


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_offline_visits_reach_the_server_once(
    app: FastAPI, session: Session, tmp_path: Path
) -> None:
    world = make_field_world(session)
    turf_id = world.assigned.id
    with live_server(app) as base_url, browser_page(tmp_path) as page_object:
        page: Any = page_object
        page.goto(f"{base_url}/login?next=/c/camp-a/field/app/")
        page.get_by_label("Adresse e-mail").fill("volunteer-a@example.org")
        page.get_by_label("Mot de passe").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"{base_url}/c/camp-a/field/app/")
        page.wait_for_selector('#field-app[data-ready="1"]')
        assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        assert page.locator("#fa-turf-list li").count() == 1
        page.get_by_role("button", name="Ouvrir").click()
        expect(page.locator("#fa-stops li").first).to_be_visible()
        assert page.locator("#fa-stops li").count() > 5

        page.context.set_offline(True)
        _record(page, 0, "Échange", "Soutien")
        _record(page, 1, "Absent")
        _record(page, 2, "Échange", "Indécis")
        expect(page.get_by_test_id("pending")).to_have_text("3")

        page.reload()  # offline: the service worker serves the app, IndexedDB the data
        page.wait_for_selector('#field-app[data-ready="1"]')
        assert page.get_by_test_id("network").inner_text() == "Hors ligne"
        expect(page.get_by_test_id("pending")).to_have_text("3")
        page.get_by_role("button", name="Ouvrir").click()
        expect(page.locator("#fa-stops li").first).to_be_visible()
        _record(page, 3, "Refus")
        queued = page.evaluate(QUEUE)
        assert len(queued) == 4
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "field-app-offline.png"), full_page=True)

        page.context.set_offline(False)
        expect(page.get_by_test_id("pending")).to_have_text("0", timeout=15000)
        # The phone did not hear the answer (closed mid-sync): it sends the same visits again.
        page.evaluate(PUT_BACK, queued)
        page.get_by_role("button", name="Envoyer maintenant").click()
        expect(page.get_by_test_id("pending")).to_have_text("0", timeout=15000)
    session.expire_all()
    rows = list(session.scalars(select(Visit).where(Visit.turf_id == turf_id)))
    assert sorted(v.idempotency_key for v in rows) == sorted(item["key"] for item in queued)
    assert sorted(v.outcome for v in rows) == ["not_home", "refused", "talked", "talked"]
    assert {v.user_id for v in rows} == {world.campaigns.volunteer_a.id}
