"""The volunteer app in a real headless Chromium facing an overloaded server: a 503 with
Retry-After keeps the visit in the phone's queue, tells the volunteer, and the app sends it
again by itself once the delay has passed — exactly once on the server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.field.models import Visit
from tests.browser import browser_page, live_server
from tests.factories import DEFAULT_PASSWORD
from tests.field.conftest import make_field_world
from tests.field.test_browser import QUEUE, _record

OVERLOADED = json.dumps(
    {"error": "Overloaded", "message": "serveur momentanément surchargé", "loc": None}
)


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_app_honours_retry_after_and_keeps_its_queue(
    app: FastAPI, session: Session, tmp_path: Path
) -> None:
    world = make_field_world(session)
    session.commit()
    sync_calls: list[int] = []

    def overloaded_once(route: Any) -> None:
        sync_calls.append(len(sync_calls) + 1)
        if len(sync_calls) == 1:
            route.fulfill(
                status=503,
                headers={"Retry-After": "1", "Content-Type": "application/json"},
                body=OVERLOADED,
            )
        else:
            route.continue_()

    with live_server(app) as base_url, browser_page(tmp_path) as page_object:
        page: Any = page_object
        page.goto(f"{base_url}/login?next=/c/camp-a/field/app/")
        page.get_by_label("Adresse e-mail").fill("volunteer-a@example.org")
        page.get_by_label("Mot de passe").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"{base_url}/c/camp-a/field/app/")
        page.wait_for_selector('#field-app[data-ready="1"]')
        page.route("**/field/visits/sync", overloaded_once)
        page.get_by_role("button", name="Ouvrir").click()
        expect(page.locator("#fa-stops li").first).to_be_visible()

        _record(page, 0, "Échange", "Soutien")  # saving sends at once: the server says 503
        expect(page.locator("#fa-message")).to_contain_text("Serveur occupé : nouvel essai dans")
        assert sync_calls == [1]
        expect(page.get_by_test_id("pending")).to_have_text("1")
        queued = page.evaluate(QUEUE)
        assert len(queued) == 1

        # Nobody touches the phone: the app sends again after Retry-After, and empties its queue.
        expect(page.get_by_test_id("pending")).to_have_text("0", timeout=15000)
        assert sync_calls == [1, 2]
    session.expire_all()
    rows = list(session.scalars(select(Visit).where(Visit.campaign_id == world.campaigns.a.id)))
    assert [row.idempotency_key for row in rows] == [queued[0]["key"]]
