"""Phone screens in a real headless Chromium: the volunteer takes a batch of calls, calls
through `tel:` links, records an outcome with an answer, then the L49 silence closes the list
and the page says why, naming the article; a visitor fills a public form and confirms it from
the mailed link."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.reach import calls
from circo.reach.models import CallEntry
from tests.browser import browser_page, live_server
from tests.factories import DEFAULT_PASSWORD
from tests.reach.conftest import make_call_world

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_volunteer_calls_from_the_phone(app: FastAPI, session: Session, tmp_path: Path) -> None:
    world = make_call_world(session)
    built = calls.create_call_list(
        session,
        world.ctx,
        segment="À appeler",
        script="Bonjour, je suis bénévole de la campagne.",
        questions=["Vient à la réunion"],
    )
    session.commit()
    list_id = built.call_list.id
    with live_server(app) as base_url, browser_page(tmp_path) as page_object:
        page: Any = page_object
        page.goto(f"{base_url}/login?next=/c/camp-a/calls/{list_id}")
        page.get_by_label("Adresse e-mail").fill("volunteer-a@example.org")
        page.get_by_label("Mot de passe").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"{base_url}/c/camp-a/calls/{list_id}")
        expect(page.get_by_test_id("script")).to_have_text(
            "Bonjour, je suis bénévole de la campagne."
        )
        page.get_by_role("button", name="Prendre une série").click()
        calls_to_make = page.locator("[data-testid=batch] li[data-contact]")
        expect(calls_to_make).to_have_count(2)
        links = page.locator("[data-testid=batch] a[href^='tel:']")
        assert [links.nth(i).get_attribute("href") for i in range(2)] == [
            "tel:+33612345601",
            "tel:+33612345602",
        ]
        first = calls_to_make.first
        first.get_by_label("joint").check()
        first.get_by_label("Vient à la réunion").fill("oui")
        first.get_by_role("button", name="Enregistrer l'appel").click()
        expect(calls_to_make).to_have_count(1)
        expect(page.get_by_test_id("called")).to_have_text("1 / 2")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        world.campaign.election_date = datetime.now(ZoneInfo("Europe/Paris")).date() + timedelta(
            days=1
        )
        session.commit()
        page.reload()
        expect(page.get_by_test_id("calling-blocked")).to_contain_text("Code électoral L49")
        expect(page.get_by_role("button", name="Compléter ma série")).to_have_count(0)

    session.expire_all()
    done = session.scalar(
        select(CallEntry).where(
            CallEntry.list_id == list_id, CallEntry.contact_id == world.consented.id
        )
    )
    assert done is not None
    assert (done.outcome, done.answers) == ("reached", {"Vient à la réunion": "oui"})


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_public_form_filled_then_confirmed_on_a_phone(
    app: FastAPI, session: Session, settings: Settings, tmp_path: Path
) -> None:
    """The page's script does the proof of work (the no-script question is hidden), the mailed
    link confirms, the form's automation runs and its log shows the person."""
    from circo.automations.engine import run_due
    from circo.automations.schemas import AutomationIn, StepIn
    from circo.automations.service import create_automation
    from circo.core.models import OutgoingMail
    from circo.crm.models import Contact
    from circo.reach.forms import create_form

    world = make_call_world(session)
    form = create_form(session, world.ctx, kind="volunteer", name="Devenir bénévole")
    automation = create_automation(
        session, world.ctx, settings,
        data=AutomationIn(
            name="Accueil des bénévoles", trigger="form", form_id=form.id,
            steps=[StepIn(action="add_tag", tag="bénévole accueilli")],
        ),
    ).automation  # fmt: skip
    session.commit()
    public_id, automation_id = form.public_id, automation.id
    with live_server(app) as base_url, browser_page(tmp_path) as page_object:
        page: Any = page_object
        page.goto(f"{base_url}/f/{public_id}")
        frame = page
        expect(frame.get_by_role("heading", name="Devenir bénévole")).to_be_visible()
        expect(frame.locator("#pow-question")).to_be_hidden()  # the script runs: no question
        frame.get_by_label("Adresse e-mail").fill("lea@example.org")
        frame.get_by_label("Prénom").fill("Léa")
        frame.get_by_label("Téléphone").fill("06 12 34 56 78")
        frame.get_by_label("le week-end").check()
        frame.get_by_label(form.wording).check()
        frame.get_by_role("button", name="Envoyer").click()
        expect(frame.get_by_test_id("form-sent")).to_be_visible(timeout=60_000)

        text = session.scalars(
            select(OutgoingMail.text).where(OutgoingMail.email == "lea@example.org")
        ).one()
        session.rollback()
        link = next(word for word in text.split() if "/confirm/" in word)
        page.goto(base_url + "/f/" + link.split("/f/", 1)[1])  # the mail names CIRCO_BASE_URL
        page.get_by_role("button", name="Je confirme").click()
        expect(page.get_by_test_id("form-confirmed")).to_be_visible()

        assert run_due(session, world.ctx).done == 1
        session.commit()
        page.goto(f"{base_url}/login?next=/c/camp-a/automations/{automation_id}")
        page.get_by_label("Adresse e-mail").fill("orga-a@example.org")
        page.get_by_label("Mot de passe").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"{base_url}/c/camp-a/automations/{automation_id}")
        log = page.get_by_test_id("automation-log")
        expect(log).to_contain_text("Léa")
        expect(log).to_contain_text("faite")
        expect(log).to_contain_text("étiquette « bénévole accueilli » ajoutée")

    contact = session.scalar(select(Contact).where(Contact.email == "lea@example.org"))
    assert contact is not None
    assert (contact.first_name, str(contact.relationship_kind)) == ("Léa", "volunteer")
