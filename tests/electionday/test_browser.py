"""The PV entry page on a phone (390 px) in a real headless Chromium: a PV refused on the
phone naming the line at fault, two PVs typed offline (the page reloaded offline by its service
worker), sent when the network is back — and sent again (the phone never heard the answer)
without being entered twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.electionday.models import NightResult, NightVotes
from tests.browser import ARTIFACTS, browser_page, live_server
from tests.factories import DEFAULT_PASSWORD, make_two_campaigns

QUEUE = "() => JSON.parse(localStorage.getItem('circo-night-queue-camp-a') || '[]')"
PUT_BACK = "(items) => localStorage.setItem('circo-night-queue-camp-a', JSON.stringify(items))"


def _type_pv(page: Any, station: str, figures: tuple[int, ...], votes: tuple[int, int]) -> None:
    page.get_by_label("Élection").fill("pres-2027")
    page.get_by_label("Bureau (code commune _ numéro, ex. 69123_0101)").fill(station)
    for label, value in zip(
        ("Inscrits", "Votants", "Blancs", "Nuls", "Exprimés"), figures, strict=True
    ):
        page.get_by_label(label, exact=True).fill(str(value))
    page.locator("#pv-name-1").fill("Alice MARTIN")
    page.locator("#pv-votes-1").fill(str(votes[0]))
    page.locator("#pv-name-2").fill("Bruno PETIT")
    page.locator("#pv-votes-2").fill(str(votes[1]))
    page.get_by_role("button", name="Enregistrer le procès-verbal").click()


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_pvs_typed_offline_reach_the_server_once(
    app: FastAPI, session: Session, tmp_path: Path
) -> None:
    make_two_campaigns(session)
    with live_server(app) as base_url, browser_page(tmp_path) as page_object:
        page: Any = page_object
        page.goto(f"{base_url}/login?next=/c/camp-a/night/pv/")
        page.get_by_label("Adresse e-mail").fill("volunteer-a@example.org")
        page.get_by_label("Mot de passe").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"{base_url}/c/camp-a/night/pv/")
        assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        _type_pv(page, "69123_0101", (500, 300, 5, 5, 290), (200, 91))  # 291 ≠ 290
        expect(page.get_by_test_id("error")).to_contain_text(
            "ligne « Exprimés » : somme des voix des candidats (291) ≠ exprimés (290)"
        )
        expect(page.get_by_test_id("pending")).to_have_text("0")

        page.context.set_offline(True)
        page.locator("#pv-votes-2").fill("90")
        page.get_by_role("button", name="Enregistrer le procès-verbal").click()
        expect(page.get_by_test_id("pending")).to_have_text("1")
        page.reload()  # offline: the service worker serves the page, localStorage the queue
        expect(page.get_by_test_id("network")).to_have_text("hors connexion")
        expect(page.get_by_test_id("pending")).to_have_text("1")
        _type_pv(page, "69123_0102", (400, 250, 2, 3, 245), (100, 145))
        expect(page.get_by_test_id("pending")).to_have_text("2")
        queued = page.evaluate(QUEUE)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "night-pv-offline.png"), full_page=True)

        page.context.set_offline(False)
        expect(page.get_by_test_id("pending")).to_have_text("0", timeout=15000)
        page.evaluate(PUT_BACK, queued)  # the phone sends the same PVs again
        page.get_by_role("button", name="Envoyer maintenant").click()
        expect(page.get_by_test_id("pending")).to_have_text("0", timeout=15000)
        expect(page.get_by_test_id("sent")).to_contain_text("déjà reçu")
    session.expire_all()
    rows = list(session.scalars(select(NightResult).order_by(NightResult.station_key)))
    assert [(r.station_key, r.registered, r.valid_votes) for r in rows] == [
        ("69123_0101", 500, 290),
        ("69123_0102", 400, 245),
    ]
    assert sorted(r.client_id for r in rows) == sorted(item["entry_key"] for item in queued)
    votes = session.scalars(select(NightVotes).where(NightVotes.result_id == rows[0].id)).all()
    assert sorted((v.name, v.votes) for v in votes) == [("Alice MARTIN", 200), ("Bruno PETIT", 90)]
