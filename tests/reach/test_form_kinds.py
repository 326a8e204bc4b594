"""Each kind of public form asks its own fields and does its own thing once confirmed (event
RSVP, procuration offer); the proof of work is checked (or the no-script question); the
``form.submitted`` webhook reaches the node's receiver on confirmation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.automations.models import FormAnswers, StepRun
from circo.automations.schemas import AutomationIn, StepIn
from circo.automations.service import create_automation
from circo.config import Settings
from circo.core import jobs
from circo.core.models import OutgoingMail
from circo.core.tenancy import system_context
from circo.crm.events import create_event
from circo.crm.models import Contact, EventAttendee, GeoAddress
from circo.crm.schemas import EventCreate
from circo.db import utcnow
from circo.electionday.models import ProxyOffer
from circo.party.models import WebhookDelivery
from circo.party.tree import find_group
from circo.party.webhooks import JOB_KIND, add_webhook
from circo.reach.errors import ReachError
from circo.reach.forms import confirm, create_form, submit
from circo.runtime import Runtime
from tests.party.test_webhooks import Receiver, receiver  # noqa: F401 (the fixture)
from tests.party.world import make_movement
from tests.reach.conftest import make_call_world, pow_fields


def _confirm(session: Session, settings: Settings, public_id: str, email: str) -> int:
    text = session.scalars(select(OutgoingMail.text).where(OutgoingMail.email == email)).all()[-1]
    token = text.split("/confirm/", 1)[1].split()[0]
    submission = confirm(session, public_id=public_id, token=token, settings=settings)
    assert submission.contact_id is not None
    return submission.contact_id


def test_event_form_registers_to_the_event_and_starts_its_automation(
    session: Session, settings: Settings
) -> None:
    world = make_call_world(session)
    event = create_event(
        session, world.ctx,
        data=EventCreate(title="Réunion publique", starts_at=utcnow() + timedelta(days=5)),
    )  # fmt: skip
    with pytest.raises(ReachError, match="besoin de son événement"):
        create_form(session, world.ctx, kind="event", name="Réunion")
    form = create_form(session, world.ctx, kind="event", name="Réunion", event_id=event.id)
    create_automation(
        session, world.ctx, settings,
        data=AutomationIn(
            name="Après inscription", trigger="event", event_id=event.id,
            steps=[StepIn(action="add_tag", tag="inscrit")],
        ),
    )  # fmt: skip
    with pytest.raises(ReachError, match="prénom requis"):
        submit(
            session, settings, public_id=form.public_id,
            fields={"email": "ines@example.org", "consent": "yes"},
        )  # fmt: skip
    submit(
        session, settings, public_id=form.public_id,
        fields={"email": "ines@example.org", "first_name": "Inès", "consent": "yes"},
    )  # fmt: skip
    contact_id = _confirm(session, settings, form.public_id, "ines@example.org")
    attendee = session.scalar(select(EventAttendee).where(EventAttendee.contact_id == contact_id))
    assert attendee is not None
    assert (attendee.event_id, attendee.status) == (event.id, "yes")
    assert session.scalar(select(StepRun).where(StepRun.contact_id == contact_id)) is not None


def test_procuration_offer_form_creates_a_mandataire_offer(
    session: Session, settings: Settings
) -> None:
    world = make_call_world(session)
    session.add_all(
        [
            GeoAddress(
                commune_code="69381", postal_code="69001", street_key="rue de la republique",
                number=str(number), label=f"{number} Rue de la République 69001 Lyon",
                lat=45.7640 + number / 10000, lon=4.8357,
            )
            for number in (1, 3)
        ]
    )  # fmt: skip
    form = create_form(session, world.ctx, kind="procuration_offer", name="Porter une procuration")
    base = {"email": "paul@example.org", "first_name": "Paul", "last_name": "Valéry",
            "phone": "0612345678", "postal_code": "69001", "consent": "yes"}  # fmt: skip
    with pytest.raises(ReachError, match="tours"):
        submit(
            session, settings, public_id=form.public_id, fields=base,
            answers={"address_line": "1 rue de la République", "rounds": "3", "max_km": "5"},
        )  # fmt: skip
    submit(
        session, settings, public_id=form.public_id, fields=base,
        answers={"address_line": "1 rue de la République", "rounds": "both", "max_km": "3"},
    )  # fmt: skip
    contact_id = _confirm(session, settings, form.public_id, "paul@example.org")
    offer = session.scalar(select(ProxyOffer).where(ProxyOffer.contact_id == contact_id))
    assert offer is not None
    assert (offer.max_km, str(offer.rounds)) == (3.0, "both")
    answers = session.scalar(select(FormAnswers))
    assert answers is not None
    assert answers.outcome == f"offre de procuration n° {offer.id} enregistrée"
    assert answers.answers["address_line"] == "1 rue de la République"


def test_proof_of_work_or_the_question_without_script(client: TestClient, session: Session) -> None:
    world = make_call_world(session)
    form = create_form(session, world.ctx, kind="volunteer", name="Devenir bénévole")
    session.commit()
    path = f"/f/{form.public_id}"
    fields = {"email": "lea@example.org", "first_name": "Léa", "phone": "0612345678",
              "consent": "yes", "availability": ["evenings", "weekends"]}  # fmt: skip
    page = client.get(path)
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "/static/pow.js" in page.text

    absent = client.post(path, data=fields)
    assert absent.status_code == 400
    assert "vérification anti-robot absente" in absent.text
    assert 'value="0612345678"' in absent.text  # what was typed is kept
    token = pow_fields(page.text)["pow_challenge"]
    wrong = client.post(path, data={**fields, "pow_challenge": token, "pow": "1"})
    assert wrong.status_code == 400
    assert "vérification anti-robot manquante" in wrong.text

    question = client.get(path).text
    match = re.search(r"Combien font (\d) \+ (\d) \?", question)
    assert match
    challenge = pow_fields(question)["pow_challenge"]
    answered = {**fields, "pow_challenge": challenge,
                "pow_answer": str(int(match.group(1)) + int(match.group(2)))}  # fmt: skip
    assert client.post(path, data=answered).status_code == 200
    replay = client.post(path, data=answered)
    assert replay.status_code == 400
    assert "déjà été envoyé" in replay.text

    solved = client.post(path, data={**fields, **pow_fields(client.get(path).text)})
    assert solved.status_code == 200
    assert 'data-testid="form-sent"' in solved.text
    kept = session.scalars(select(FormAnswers)).all()
    assert [row.answers["availability"] for row in kept] == [["evenings", "weekends"]] * 2


def test_form_submitted_webhook_on_confirmation(
    session: Session,
    runtime: Runtime,
    settings: Settings,
    receiver: tuple[Receiver, str],  # noqa: F811
) -> None:
    state, url = receiver
    state.fail_first = 0
    allowed = settings.model_copy(update={"url_fetch_allow_hosts": [url.removeprefix("http://")]})
    world = make_movement(session)
    _hook, secret = add_webhook(
        session, allowed, group=find_group(session, "g-camp-b"), url=url, events=["form.submitted"]
    )
    state.secret = secret
    ctx = system_context(world.b)
    form = create_form(session, ctx, kind="petition", name="Sauvons la ligne 4")
    submit(
        session, settings, public_id=form.public_id,
        fields={"email": "rosa@example.org", "first_name": "Rosa", "last_name": "Bonheur",
                "postal_code": "69004", "consent": "yes"},
        answers={"comment": "Indispensable"},
    )  # fmt: skip
    assert session.scalar(select(WebhookDelivery)) is None  # nothing before the confirmation
    contact_id = _confirm(session, settings, form.public_id, "rosa@example.org")
    session.commit()
    assert jobs.run_pending(runtime.factory, allowed, kinds={JOB_KIND}) == 1
    assert len(state.seen) == 1
    seen = state.seen[0]
    assert seen["valid"]
    assert seen["event"] == "form.submitted"
    data = seen["body"]["data"]
    assert data["form"] == {"id": form.id, "name": "Sauvons la ligne 4", "kind": "petition"}
    assert data["contact_id"] == contact_id
    assert data["outcome"] == "signature enregistrée"
    assert session.get(Contact, contact_id) is not None
