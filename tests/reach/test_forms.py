"""Public forms with double opt-in, in-process on SQLite and PostgreSQL: the create contract,
the public page without login (embeddable), the honeypot, the confirmation mail, the contact
created then matched, the email consent whose proof names the form, the rate limit."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.core.models import OutgoingMail
from circo.crm.models import Contact
from circo.privacy.models import ConsentRecord
from circo.reach.forms import SubmissionLimiter
from circo.reach.models import FormSubmission
from tests.factories import login
from tests.reach.conftest import make_call_world, pow_fields

LINK = re.compile(r"/f/([\w-]+)/confirm/([\w-]+)")


def _mail_link(session: Session, email: str) -> str:
    text = session.scalars(
        select(OutgoingMail.text).where(OutgoingMail.email == email).order_by(OutgoingMail.id)
    ).all()[-1]
    match = LINK.search(text)
    assert match, text
    return match.group(0)


def test_signup_form_double_opt_in(client: TestClient, session: Session) -> None:
    make_call_world(session)
    csrf = login(client, "orga-a@example.org")
    created = client.post(
        "/api/campaigns/camp-a/forms",
        json={"kind": "signup", "name": "Rejoindre"},
        headers={"X-CSRF-Token": csrf},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == {"id", "url"}
    assert isinstance(body["id"], int)
    path = urlsplit(body["url"]).path
    assert re.fullmatch(r"/f/[\w-]+", path)
    client.post("/logout", headers={"X-CSRF-Token": csrf})
    client.cookies.clear()

    page = client.get(path, headers={"Referer": "https://exemple.fr/nous-rejoindre"})
    assert page.status_code == 200
    assert "frame-ancestors *" in page.headers["content-security-policy"]
    assert "set-cookie" not in page.headers
    assert 'value="https://exemple.fr/nous-rejoindre"' in page.text

    robot = client.post(
        path,
        data={"email": "robot@example.org", "consent": "yes", "website": "http://spam"},
    )
    assert robot.status_code == 200
    assert "Un e-mail de confirmation" in robot.text  # same answer, nothing kept
    missing = client.post(path, data={"email": "marie@example.org", **pow_fields(page.text)})
    assert missing.status_code == 400
    assert "cochez la case" in missing.text
    sent = client.post(
        path,
        data={
            "email": "Marie@Example.org",
            "first_name": "Marie",
            "last_name": "Curie",
            "consent": "yes",
            "origin": "https://exemple.fr/nous-rejoindre",
            **pow_fields(client.get(path).text),
        },
    )
    assert sent.status_code == 200, sent.text
    assert session.scalar(select(func.count()).select_from(FormSubmission)) == 1
    assert session.scalar(select(func.count()).where(Contact.email == "marie@example.org")) == 0
    link = _mail_link(session, "marie@example.org")
    session.rollback()

    confirm_page = client.get(link)  # a mail scanner opening the link confirms nothing
    assert confirm_page.status_code == 200
    assert "Je confirme" in confirm_page.text
    confirmed = client.post(link)
    assert confirmed.status_code == 200
    assert "confirmé" in confirmed.text
    assert client.post(link).status_code == 200  # twice: nothing more

    contact = session.scalar(select(Contact).where(Contact.email == "marie@example.org"))
    assert contact is not None
    assert (contact.first_name, contact.last_name) == ("Marie", "Curie")
    consents = session.scalars(
        select(ConsentRecord).where(ConsentRecord.contact_id == contact.id)
    ).all()
    assert len(consents) == 1
    proof = consents[0].proof
    assert (consents[0].channel, consents[0].status) == ("email", "granted")
    assert proof["form_id"] == body["id"]
    assert proof["form_name"] == "Rejoindre"
    assert proof["form_kind"] == "signup"
    assert proof["wording"].startswith("J'accepte de recevoir par e-mail")
    assert proof["origin"] == "https://exemple.fr/nous-rejoindre"
    assert proof["submitted_at"] <= proof["confirmed_at"]
    session.rollback()

    again = client.post(
        path,
        data={"email": "marie@example.org", "consent": "yes", **pow_fields(client.get(path).text)},
    )
    assert again.status_code == 200
    second_link = _mail_link(session, "marie@example.org")
    session.rollback()
    assert second_link != link
    assert client.post(second_link).status_code == 200
    assert session.scalar(select(func.count()).where(Contact.email == "marie@example.org")) == 1
    assert (
        session.scalar(
            select(func.count())
            .select_from(ConsentRecord)
            .where(ConsentRecord.contact_id == contact.id)
        )
        == 2
    )
    assert client.get("/f/inconnu").status_code == 404


def test_rate_limit_per_address_forgets_after_the_window() -> None:
    limiter = SubmissionLimiter(limit=2, window=60.0)
    assert limiter.allow("10.0.0.1", now=0.0)
    assert limiter.allow("10.0.0.1", now=1.0)
    assert not limiter.allow("10.0.0.1", now=2.0)
    assert limiter.allow("10.0.0.2", now=2.0)
    assert limiter.allow("10.0.0.1", now=61.0)
