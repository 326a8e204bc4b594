"""The texting screens on a phone (390 px) in a real headless Chromium: a volunteer sends texts
one by one with "Envoyer le suivant", then answers a reply from the shared inbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.messaging.providers import sms_outbox_dir
from circo.reach import text_inbox, texting
from tests.browser import browser_page, live_server
from tests.factories import DEFAULT_PASSWORD
from tests.reach.test_texting import TEMPLATE, make_text_world

pytestmark = pytest.mark.browser


def outbox(settings: Settings) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for path in sorted(sms_outbox_dir(settings).glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_volunteer_sends_texts_one_by_one_on_a_phone(
    app: FastAPI, session: Session, settings: Settings, tmp_path: Path
) -> None:
    world = make_text_world(session)
    built = texting.create_text_campaign(
        session, world.ctx, segment="À texter", template=TEMPLATE, name="Réunion jeudi"
    )
    session.commit()
    campaign_id = built.text_campaign.id
    with live_server(app) as base_url, browser_page(tmp_path) as page_object:
        page: Any = page_object
        page.goto(f"{base_url}/login?next=/c/camp-a/texts/{campaign_id}")
        page.get_by_label("Adresse e-mail").fill("volunteer-a@example.org")
        page.get_by_label("Mot de passe").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"{base_url}/c/camp-a/texts/{campaign_id}")
        expect(page.get_by_test_id("pending-count")).to_have_text("3")
        page.get_by_role("button", name="Envoyer le suivant").click()
        expect(page.get_by_test_id("last-sent")).to_contain_text("Bonjour Alice")
        expect(page.get_by_test_id("sent-count")).to_have_text("1")
        assert len(outbox(settings)) == 1  # one press, one text
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        received = text_inbox.receive_reply(
            session, world.ctx, settings, phone="+33612345601", text="Oui, je viendrai !"
        )
        session.commit()
        assert received.message.assigned_user_id == world.volunteer.id
        page.goto(f"{base_url}/c/camp-a/texts/inbox")
        reply = page.locator(f"[data-message='{received.message.id}']")
        expect(reply).to_contain_text("Oui, je viendrai !")
        reply.get_by_label("Votre réponse").fill("Merci Alice, à jeudi !")
        reply.get_by_role("button", name="Répondre").click()
        expect(reply).to_contain_text("→ Merci Alice, à jeudi !")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    texts = [line["text"] for line in outbox(settings)]
    assert texts[-1] == "Merci Alice, à jeudi !"
    assert len(texts) == 2
