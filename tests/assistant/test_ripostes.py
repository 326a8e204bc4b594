"""Ripostes: a rebuttal kept, edited and approved by comms, pushed to the volunteers (their page
and an e-mail to those who may be e-mailed), views and shares counted per riposte."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.factories import login, make_campaign, make_user

from circo.assistant.demo import seed_demo
from circo.assistant.models import Riposte
from circo.core.models import OutgoingMail, Role
from circo.core.tenancy import system_context
from circo.crm.models import Contact, Volunteer
from circo.privacy.consent import record_opposition
from circo.runtime import Runtime
from circo.web.app import create_app


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime.settings, runtime=runtime)) as test_client:
        yield test_client


def _volunteer(session: Session, campaign_id: int, email: str, *, with_contact: bool) -> int:
    from circo.core.models import Campaign

    campaign = session.get(Campaign, campaign_id)
    assert campaign is not None
    user = make_user(session, campaign=campaign, email=email, role=Role.volunteer)
    contact = None
    if with_contact:
        contact = Contact(
            campaign_id=campaign_id,
            first_name="Bénévole",
            last_name=email.split("@")[0],
            email=email,
            relationship_kind="volunteer",
        )
        session.add(contact)
        session.flush()
    session.add(
        Volunteer(
            campaign_id=campaign_id,
            user_id=user.id,
            contact_id=contact.id if contact else None,
            status="active",
        )
    )
    session.flush()
    return contact.id if contact else 0


def test_riposte_approved_pushed_viewed_and_shared(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    campaign = make_campaign(session, slug="camp-a")
    ctx = system_context(campaign)
    seed_demo(session, ctx, runtime.settings)
    make_user(session, campaign=campaign, email="comms@example.org", role=Role.comms)
    _volunteer(session, campaign.id, "alice@example.org", with_contact=True)
    opposed = _volunteer(session, campaign.id, "bob@example.org", with_contact=True)
    _volunteer(session, campaign.id, "chloe@example.org", with_contact=False)
    record_opposition(session, ctx, contact_id=opposed, source="test")
    session.commit()

    csrf = login(client, "comms@example.org")
    page = client.get("/c/camp-a/assistant/rebut", params={"claim": "Le chômage explose à Paris"})
    assert "Garder comme riposte" in page.text
    created = client.post(
        "/c/camp-a/assistant/ripostes",
        data={"csrf_token": csrf, "claim": "Le chômage explose à Paris"},
        follow_redirects=False,
    )
    assert created.status_code == 303
    path = created.headers["location"]
    draft = client.get(path)
    assert "contredit par nos sources" in draft.text
    assert "brouillon" in draft.text
    assert "7,1 %" in draft.text
    saved = client.post(
        path,
        data={
            "csrf_token": csrf,
            "short": "Faux : le chômage a baissé de 7,9 % à 7,1 %.",
            "long": "",
        },
    )
    assert "Modifications enregistrées" in saved.text
    approved = client.post(path + "/approve", data={"csrf_token": csrf})
    assert "Riposte validée et envoyée aux bénévoles" in approved.text
    assert "validée et diffusée" in approved.text
    again = client.post(path + "/approve", data={"csrf_token": csrf})  # no second mail
    assert again.status_code == 200

    session.expire_all()
    mails = session.scalars(
        select(OutgoingMail).where(OutgoingMail.key.like("assistant.riposte:%"))
    ).all()
    assert [mail.email for mail in mails] == [
        "alice@example.org"
    ]  # bob objected, chloe: no contact
    assert "Faux : le chômage a baissé" in (mails[0].text or "")
    riposte = session.scalars(
        select(Riposte).where(Riposte.id == int(path.rsplit("/", 1)[1]))
    ).one()
    assert riposte.mailed == 1
    session.rollback()  # end the read: the server's requests write next

    client.cookies.clear()
    csrf = login(client, "alice@example.org")
    listing = client.get("/c/camp-a/assistant/ripostes")
    assert "Le chômage explose à Paris" in listing.text
    assert "Nouvelle riposte" not in listing.text  # volunteers read and share, they do not write
    app = client.get("/c/camp-a/field/app/")  # the volunteer app lists it, linking to its page
    assert "Ripostes à partager" in app.text
    assert f'href="{path}"' in app.text
    assert "Faux : le chômage a baissé" in app.text
    view = client.get(path)
    assert 'data-network="whatsapp"' in view.text
    client.get(path)
    shared = client.post(
        path + "/share", data={"csrf_token": csrf, "network": "whatsapp"}, follow_redirects=False
    )
    assert shared.status_code == 303
    assert shared.headers["location"].startswith("https://wa.me/?text=Faux")
    refused = client.post(path + "/share", data={"csrf_token": csrf, "network": "myspace"})
    assert refused.status_code == 400
    assert "réseau inconnu" in refused.text
    assert client.post(path + "/approve", data={"csrf_token": csrf}).status_code == 403

    session.expire_all()
    riposte = session.scalars(
        select(Riposte).where(Riposte.id == int(path.rsplit("/", 1)[1]))
    ).one()
    assert riposte.views == 2
    assert riposte.shares == {"whatsapp": 1}


def test_unverified_riposte_cannot_be_approved(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    campaign = make_campaign(session, slug="camp-a")
    seed_demo(session, system_context(campaign), runtime.settings)
    session.commit()
    make_user(session, campaign=campaign, email="chef@example.org", role=Role.admin)
    session.commit()
    csrf = login(client, "chef@example.org")
    created = client.post(
        "/c/camp-a/assistant/ripostes",
        data={"csrf_token": csrf, "claim": "La lune est en fromage"},
        follow_redirects=False,
    )
    path = created.headers["location"]
    assert "non vérifié" in client.get(path).text
    refused = client.post(path + "/approve", data={"csrf_token": csrf})
    assert refused.status_code == 400
    assert "ne peut pas être diffusée" in refused.text
