"""Phone screens in a real headless Chromium at phone size: a volunteer marks buildings of a
leaflet drop done while offline, reloads offline (the service worker serves the screen,
IndexedDB the round and the queue), comes back online and the server has each building once —
also when the phone sends them again; then checks a poster board with a photo from the phone."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.core.tenancy import system_context
from circo.elections.models import ReuAddress, Territory
from circo.field import sources
from circo.reach import drops, posters
from circo.reach.models import DropDone, PosterBoard, PosterCheck
from tests.browser import ARTIFACTS, browser_page, live_server
from tests.factories import DEFAULT_PASSWORD, make_two_campaigns

pytestmark = pytest.mark.browser

QUEUE = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("circo-drops-camp-a", 1);
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const request = open.result.transaction("queue").objectStore("queue").getAll();
    request.onsuccess = () => resolve(request.result);
  };
})"""

PUT_BACK = """(items) => new Promise((resolve, reject) => {
  const open = indexedDB.open("circo-drops-camp-a", 1);
  open.onsuccess = () => {
    const tx = open.result.transaction("queue", "readwrite");
    items.forEach((item) => tx.objectStore("queue").put(item));
    tx.oncomplete = () => resolve(true);
    tx.onerror = () => reject(tx.error);
  };
})"""


def _login(page: Any, base_url: str, target: str) -> None:
    page.goto(f"{base_url}/login?next={target}")
    page.get_by_label("Adresse e-mail").fill("volunteer-a@example.org")
    page.get_by_label("Mot de passe").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{base_url}{target}")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_buildings_done_offline_reach_the_server_once(
    app: FastAPI, session: Session, tmp_path: Path
) -> None:
    world = make_two_campaigns(session)
    drop = drops.create_round(
        session,
        system_context(world.a),
        leaflet="Programme",
        bureaux=["29039_6"],
        addresses=sources.addresses_from_csv(sources.sample_path()),
        source="demo",
    )
    session.commit()
    round_id = drop.id
    with live_server(app) as base_url, browser_page(tmp_path) as page_object:
        page: Any = page_object
        _login(page, base_url, "/c/camp-a/drops/app/")
        page.wait_for_selector('#drops-app[data-ready="1"]')
        assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.get_by_role("button", name="Tractage Programme — Programme").click()
        buildings = page.locator("#da-turfs li[data-building]")
        expect(buildings.first).to_be_visible()

        page.context.set_offline(True)
        for index in (0, 1):
            buildings.nth(index).get_by_role("button", name="Fait").click()
            expect(buildings.nth(index)).to_have_attribute("data-done", "1")
        expect(page.get_by_test_id("pending")).to_have_text("2")

        page.reload()  # offline: the service worker serves the screen, IndexedDB the data
        page.wait_for_selector('#drops-app[data-ready="1"]')
        expect(page.get_by_test_id("network")).to_have_text("hors connexion")
        expect(page.get_by_test_id("pending")).to_have_text("2")
        page.get_by_role("button", name="Tractage Programme — Programme").click()
        expect(buildings.nth(0)).to_have_attribute("data-done", "1")
        buildings.nth(2).get_by_role("button", name="Fait").click()
        queued = page.evaluate(QUEUE)
        assert len(queued) == 3
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "drops-offline.png"), full_page=True)

        page.context.set_offline(False)
        expect(page.get_by_test_id("pending")).to_have_text("0", timeout=15000)
        # The phone did not hear the answer (closed mid-sync): it sends the same buildings again.
        page.evaluate(PUT_BACK, queued)
        page.get_by_role("button", name="Envoyer maintenant").click()
        expect(page.get_by_test_id("pending")).to_have_text("0", timeout=15000)

        page.goto(f"{base_url}/c/camp-a/drops/{round_id}")
        expect(page.get_by_test_id("coverage-map").locator("circle[fill='#2f855a']")).to_have_count(
            3
        )
    session.expire_all()
    rows = list(session.scalars(select(DropDone).where(DropDone.round_id == round_id)))
    assert sorted(row.stop_id for row in rows) == sorted(item["building"] for item in queued)
    assert {row.user_id for row in rows} == {world.volunteer_a.id}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_volunteer_checks_a_poster_board_with_a_photo(
    app: FastAPI, session: Session, tmp_path: Path
) -> None:
    world = make_two_campaigns(session)
    session.add_all(
        [
            Territory(key="bv:29039_0001", level="bv", code="29039_0001", name="Mairie"),
            ReuAddress(station_key="29039_0001", commune_code="29039", x=179_000.0, y=6_770_000.0),
        ]
    )
    session.commit()
    ctx = system_context(world.a)
    posters.create_boards(session, ctx, commune="29039", number=5)
    check_round = posters.create_round(
        session, ctx, volunteer="volunteer-a@example.org", day=date(2027, 3, 1), commune="29039"
    )
    session.commit()
    board_id = check_round.board_ids[0]
    photo = tmp_path / "panneau.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 60)).save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())
    fake = tmp_path / "faux.jpg"
    fake.write_text("pas une image", encoding="utf-8")
    with live_server(app) as base_url, browser_page(tmp_path) as page_object:
        page: Any = page_object
        _login(page, base_url, "/c/camp-a/posters")
        page.get_by_role("link", name="Vérification des panneaux 29039").click()
        page.get_by_role("link", name="29039_0001 Mairie").click()
        page.get_by_label("affiche recouverte").check()
        page.get_by_label("Photo").set_input_files(str(fake))
        page.get_by_role("button", name="Enregistrer").click()
        expect(page.get_by_test_id("error")).to_contain_text("photo")
        page.get_by_label("affiche recouverte").check()
        page.get_by_label("Photo").set_input_files(str(photo))
        page.get_by_role("button", name="Enregistrer").click()
        expect(page.get_by_test_id("saved")).to_be_visible()
        expect(page.get_by_test_id(f"board-status-{board_id}")).to_have_text("affiche recouverte")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.goto(f"{base_url}/c/camp-a/posters/boards/{board_id}")
        expect(page.get_by_test_id("board-photo")).to_be_visible()
        assert (
            page.evaluate("document.querySelector('[data-testid=board-photo]').naturalWidth") == 64
        )
    session.expire_all()
    board = session.get(PosterBoard, board_id)
    assert board is not None
    assert str(board.status) == "covered"
    checks = list(session.scalars(select(PosterCheck).where(PosterCheck.board_id == board_id)))
    assert [(str(c.status), c.user_id, bool(c.photo)) for c in checks] == [
        ("covered", world.volunteer_a.id, True)
    ]
