"""A PV typed with its photo on a phone (390 px, real headless Chromium) while offline: both wait
on the phone (the page reloaded offline by its service worker), the PV then its photo are sent
when the network returns; the photo is stored under the data dir and shown next to the entry,
with who entered it, on the HQ page; a file that is not an image is refused naming the field."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.electionday.models import NightResult, PvPhoto
from tests.browser import ARTIFACTS, browser_page, live_server
from tests.factories import DEFAULT_PASSWORD, login, make_two_campaigns

QUEUE = "() => JSON.parse(localStorage.getItem('circo-night-queue-camp-a') || '[]')"


def _jpeg(path: Path) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (2400, 1800), (200, 220, 240)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def _login(page: Any, base_url: str, email: str, target: str) -> None:
    page.goto(f"{base_url}/login?next={target}")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{base_url}{target}")


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_pv_and_photo_typed_offline_are_sent_and_shown_at_hq(
    app: FastAPI, session: Session, settings: Settings, tmp_path: Path
) -> None:
    make_two_campaigns(session)
    photo = _jpeg(tmp_path / "pv.jpg")
    with live_server(app) as base_url, browser_page(tmp_path) as page_object:
        page: Any = page_object
        _login(page, base_url, "volunteer-a@example.org", "/c/camp-a/night/pv/")
        assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.context.set_offline(True)
        page.reload()  # offline: the service worker serves the page
        expect(page.get_by_test_id("network")).to_have_text("hors connexion")
        page.get_by_label("Élection").fill("pres-2027")
        page.get_by_label("Bureau (code commune _ numéro, ex. 69123_0101)").fill("69123_0101")
        for label, value in zip(
            ("Inscrits", "Votants", "Blancs", "Nuls", "Exprimés"),
            (500, 300, 5, 5, 290),
            strict=True,
        ):
            page.get_by_label(label, exact=True).fill(str(value))
        page.locator("#pv-name-1").fill("Alice MARTIN")
        page.locator("#pv-votes-1").fill("200")
        page.locator("#pv-name-2").fill("Bruno PETIT")
        page.locator("#pv-votes-2").fill("90")
        page.get_by_label("Photo du procès-verbal (facultative)").set_input_files(str(photo))
        expect(page.locator("#pv-preview")).to_be_visible()
        page.get_by_role("button", name="Enregistrer le procès-verbal").click()
        expect(page.get_by_test_id("pending")).to_have_text("1")
        queued = page.evaluate(QUEUE)
        assert queued[0]["photo"]["type"] == "image/jpeg"
        assert queued[0]["photo"]["data"].startswith("data:image/jpeg;base64,")
        page.reload()
        expect(page.get_by_test_id("pending")).to_have_text("1")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "night-pv-photo-offline.png"), full_page=True)

        page.context.set_offline(False)
        page.get_by_role("button", name="Envoyer maintenant").click()
        expect(page.get_by_test_id("pending")).to_have_text("0", timeout=15000)
        expect(page.get_by_test_id("sent")).to_contain_text("photo reçue")

        session.expire_all()
        row = session.scalars(select(NightResult)).one()
        stored = session.scalars(select(PvPhoto)).one()
        assert stored.result_id == row.id
        assert stored.media_type == "image/jpeg"
        path = settings.data_dir / stored.path
        assert path.is_file()
        assert path.stat().st_size == stored.size
        with Image.open(path) as image:
            assert max(image.size) == 1600  # made smaller on the phone
        session.rollback()  # end the read: SQLite lets the server write again

        page.context.clear_cookies()
        _login(page, base_url, "admin-a@example.org", "/c/camp-a/night")
        entry = page.get_by_test_id("entries").locator("tr[data-station='69123_0101']")
        expect(entry.locator("td").nth(2)).to_have_text("volunteer-a")
        expect(entry).to_contain_text("non confirmé")
        thumb = entry.get_by_role("img", name="Photo du procès-verbal 69123_0101")
        expect(thumb).to_be_visible()
        assert page.evaluate("(img) => img.naturalWidth", thumb.element_handle()) > 0
        page.screenshot(path=str(ARTIFACTS / "night-hq-entries.png"), full_page=True)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_photo_checks_type_size_and_retries(
    client: TestClient, session: Session, settings: Settings
) -> None:
    from circo.electionday import photos

    make_two_campaigns(session)
    session.commit()
    csrf = login(client, "volunteer-a@example.org")
    headers = {"X-CSRF-Token": csrf}
    pv = {
        "entry_key": "abcdef0123456789", "election": "pres-2027", "round": 1,
        "station": "69123_0101", "registered": 100, "voters": 60, "blank": 1,
        "null_votes": 1, "valid_votes": 58, "candidates": [{"name": "A", "votes": 58}],
    }  # fmt: skip
    answer = client.post("/api/campaigns/camp-a/night/pv", json=pv, headers=headers)
    assert answer.status_code == 200, answer.text
    result_id = answer.json()["id"]
    url = f"/api/campaigns/camp-a/night/pv/photo?result={result_id}&photo=photo-00000001"
    png = io.BytesIO()
    Image.new("RGB", (10, 10)).save(png, "PNG")

    refused = client.post(url, content=b"%PDF-1.4 not an image", headers={
        **headers, "Content-Type": "image/jpeg"})  # fmt: skip
    assert refused.status_code == 400
    assert "n'est pas une image JPEG, PNG ou WebP" in refused.json()["message"]
    lying = client.post(
        url, content=png.getvalue(), headers={**headers, "Content-Type": "image/jpeg"}
    )
    assert lying.status_code == 400
    assert "image/png" in lying.json()["message"]
    too_big = b"\xff\xd8\xff" + b"0" * photos.MAX_BYTES
    heavy = client.post(url, content=too_big, headers={**headers, "Content-Type": "image/jpeg"})
    assert heavy.status_code == 400
    assert "au plus 8 Mo" in heavy.json()["message"]
    unknown = client.post(
        "/api/campaigns/camp-a/night/pv/photo?result=999999&photo=photo-00000001",
        content=png.getvalue(), headers={**headers, "Content-Type": "image/png"},
    )  # fmt: skip
    assert unknown.status_code == 404

    first = client.post(
        url, content=png.getvalue(), headers={**headers, "Content-Type": "image/png"}
    )
    again = client.post(
        url, content=png.getvalue(), headers={**headers, "Content-Type": "image/png"}
    )
    assert (first.json()["status"], again.json()["status"]) == ("added", "already")
    session.expire_all()
    stored = session.scalars(select(PvPhoto)).all()
    assert len(stored) == 1
    assert (settings.data_dir / stored[0].path).read_bytes() == png.getvalue()
    # a volunteer sees no photo (HQ only); the staff does
    assert client.get(f"/c/camp-a/night/photos/{stored[0].id}").status_code == 403
