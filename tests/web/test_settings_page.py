"""The settings page (issue 23, "first steps"): a first-run checklist, the campaign's time zone
and the installation's settings editable by an admin — in Chromium, in French, on a desktop
(1366 px) and a phone (390 px) — with a test mail that says where it went, a notice while mail
only goes to files, and secrets stored encrypted and never sent back to the page."""

from __future__ import annotations

import email
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core import instance
from circo.core.models import Campaign, InstanceSetting
from circo.runtime import Runtime
from circo.web.app import create_app
from tests.browser import ARTIFACTS, browser_page, live_server
from tests.factories import DEFAULT_PASSWORD, login, make_two_campaigns
from tests.messaging.conftest import free_port

SECRET = "cle-api-sms-tres-secrete-42"


@dataclass
class Collector:
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=policy.default)  # type: ignore[attr-defined]
        )
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Collector, int]]:
    collector = Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    yield collector, port
    controller.stop()


@pytest.fixture
def plain_runtime(runtime: Runtime, settings: Settings) -> Runtime:
    """The test runtime with settings as a bare install has them: no public URL, no SMTP."""
    bare = Settings(
        env="test",
        data_dir=settings.data_dir,
        database_url=settings.database_url,
        secret_key=settings.secret_key,
    )
    return Runtime(settings=bare, engine=runtime.engine, factory=runtime.factory)


def _no_horizontal_overflow(page: Any) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    widest = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
        .filter(e => !e.closest('.mainnav'))
        .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + (e.id || ''))"""
    )
    assert overflow <= 0, f"{page.url}: {overflow} px wider than the screen: {widest}"


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("width", [1366, 390])
def test_settings_page_in_chromium(
    plain_runtime: Runtime,
    session: Session,
    tmp_path: Path,
    smtp: tuple[Collector, int],
    width: int,
) -> None:
    collector, smtp_port = smtp
    make_two_campaigns(session)
    app = create_app(plain_runtime.settings, runtime=plain_runtime)
    with live_server(app) as base_url, browser_page(tmp_path) as page_object:
        page: Any = page_object
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{base_url}/login")
        page.get_by_label("Adresse e-mail").fill("admin-a@example.org")
        page.get_by_label("Mot de passe").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"{base_url}/c/camp-a/")
        notice = page.get_by_test_id("mail-files-notice")
        assert "aucun envoi réel" in notice.inner_text()
        _no_horizontal_overflow(page)

        page.goto(f"{base_url}/c/camp-a/settings")
        assert page.locator("h1").inner_text() == "Réglages"
        steps = page.get_by_test_id("checklist").inner_text()
        for title in ("Territoire", "Résultats électoraux", "Fuseau horaire", "Adresse publique"):
            assert title in steps
        # the address the browser used, recorded at login, is the one of links in mail
        assert base_url in steps
        _no_horizontal_overflow(page)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"settings-{width}.png"), full_page=True)

        page.get_by_role("button", name="M'envoyer un test").click()
        note = page.get_by_test_id("settings-note").inner_text()
        outbox = (plain_runtime.settings.data_dir / "outbox").resolve()
        assert f"écrit dans le dossier {outbox} : aucun envoi réel" in note
        assert len(list(outbox.glob("*.eml"))) == 1

        page.goto(f"{base_url}/c/camp-a/settings")
        page.get_by_label("Adresse publique du site").fill("https://circo.example.org/")
        page.get_by_label("Serveur SMTP").fill("127.0.0.1")
        page.get_by_label("Port SMTP").fill(str(smtp_port))
        page.get_by_label("Expéditeur des e-mails").fill("Campagne A <campagne@example.org>")
        page.get_by_label("Clé de l'API SMS").fill(SECRET)
        page.get_by_role("button", name="Enregistrer les réglages").click()
        page.wait_for_url(f"{base_url}/c/camp-a/settings?msg=saved")
        assert SECRET not in page.content()
        assert page.get_by_label("Clé de l'API SMS").input_value() == ""
        assert page.get_by_test_id("mail-files-notice").count() == 0

        page.get_by_role("button", name="M'envoyer un test").click()
        note = page.get_by_test_id("settings-note").inner_text()
        assert f"remis au serveur SMTP 127.0.0.1:{smtp_port}" in note
        (received,) = collector.messages
        assert received["From"] == "Campagne A <campagne@example.org>"
        assert received["To"] == "admin-a@example.org"
        text = received.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        assert "https://circo.example.org/c/camp-a/settings" in text

        page.get_by_label("Code INSEE du territoire").fill("Lyon")
        page.get_by_role("button", name="Enregistrer la campagne").click()
        assert (
            "n'est pas un code INSEE (ex. 69123"
            in page.get_by_test_id("settings-error").inner_text()
        )
        page.get_by_label("Code INSEE du territoire").fill("69123")
        page.get_by_label("Nom du territoire").fill("Lyon")
        page.get_by_label("Date du scrutin (1er tour)").fill("2026-03-15")
        page.get_by_role("button", name="Enregistrer la campagne").click()
        page.wait_for_url(f"{base_url}/c/camp-a/settings?msg=campaign")
        assert "Lyon (69123)" in page.get_by_test_id("checklist").inner_text()

        page.get_by_label("Fuseau horaire", exact=True).select_option("Pacific/Noumea")
        page.get_by_role("button", name="Enregistrer le fuseau").click()
        page.wait_for_url(f"{base_url}/c/camp-a/settings?msg=timezone")
        assert "Nouvelle-Calédonie" in page.get_by_test_id("checklist").inner_text()
        _no_horizontal_overflow(page)

        page.goto(f"{base_url}/c/camp-a/")
        assert page.get_by_test_id("mail-files-notice").count() == 0
        assert "scrutin le 15 mars 2026" in page.locator("main").inner_text()

    session.expire_all()
    campaign = session.scalar(select(Campaign).where(Campaign.slug == "camp-a"))
    assert campaign is not None
    assert campaign.timezone == "Pacific/Noumea"
    row = session.get(InstanceSetting, "sms_api_key")
    assert row is not None
    assert row.secret
    assert SECRET not in row.value
    stored = instance.stored_values(session, plain_runtime.settings)
    assert stored["sms_api_key"] == SECRET
    assert stored["base_url"] == "https://circo.example.org"


def test_environment_wins_and_volunteers_are_kept_out(
    runtime: Runtime, session: Session, settings: Settings
) -> None:
    make_two_campaigns(session)
    instance.save(
        session,
        settings,
        values={"base_url": "https://stored.example.org", "smtp_port": "2525"},
    )
    session.commit()
    # the fixture's settings set base_url explicitly (like CIRCO_BASE_URL): it wins
    applied = instance.effective(session, settings)
    assert applied.base_url == "http://testserver"
    assert applied.smtp_port == 2525
    assert instance.apply(applied, {}).model_fields_set == settings.model_fields_set
    with pytest.raises(instance.SettingsError, match="Port SMTP"):
        instance.save(session, settings, values={"smtp_port": "vingt-cinq"})
    with pytest.raises(instance.SettingsError, match="adresse publique invalide"):
        instance.save(session, settings, values={"base_url": "circo.example.org"})
    session.rollback()

    app = create_app(settings, runtime=runtime)
    with TestClient(app) as client:
        csrf = login(client, "admin-a@example.org")
        page = client.get("/c/camp-a/settings")
        assert page.status_code == 200
        assert "fixé par la variable" in page.text
        assert "CIRCO_BASE_URL" in page.text
        refused = client.post(
            "/c/camp-a/settings/timezone", data={"csrf_token": csrf, "timezone": "Mars/Olympus"}
        )
        assert refused.status_code == 400
        assert "fuseau horaire inconnu « Mars/Olympus »" in refused.text
    with TestClient(app) as volunteer:
        login(volunteer, "volunteer-a@example.org")
        assert volunteer.get("/c/camp-a/settings").status_code in (403, 404)
        assert "Réglages" not in volunteer.get("/c/camp-a/").text
