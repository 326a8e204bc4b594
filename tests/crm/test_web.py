"""Web and API: tenancy (404 across campaigns), volunteers see only their turfs, pages render,
import wizard, RSVP with signed tokens, phone check-in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.core import jobs
from circo.core.jobs import run_pending
from circo.core.models import Role
from circo.crm.events import create_event, rsvp_token
from circo.crm.models import Contact, EventAttendee, Interaction
from circo.crm.schemas import EventCreate
from circo.db import utcnow
from circo.privacy.consent import record_consent
from circo.runtime import Runtime
from circo.web.app import create_app
from tests.crm.helpers import ctx_of, make_contact
from tests.factories import login, make_two_campaigns, make_user


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime.settings, runtime=runtime)) as test_client:
        yield test_client


def test_campaign_a_cannot_see_campaign_b_contacts(session: Session, client: TestClient) -> None:
    world = make_two_campaigns(session)
    contact_b = make_contact(session, ctx_of(world.b), last_name="Bernard", email="b@example.org")
    contact_a = make_contact(session, ctx_of(world.a), last_name="Arnaud")
    session.commit()
    login(client, "admin-a@example.org")
    assert client.get(f"/api/campaigns/camp-a/contacts/{contact_b.id}").status_code == 404
    assert client.get(f"/api/campaigns/camp-b/contacts/{contact_b.id}").status_code == 404
    assert client.get(f"/c/camp-a/contacts/{contact_b.id}").status_code == 404
    listed = client.get("/api/campaigns/camp-a/contacts").json()
    assert [row["id"] for row in listed] == [contact_a.id]
    assert client.get("/api/campaigns/camp-a/contacts", params={"q": "b@example.org"}).json() == []
    assert client.get(f"/api/campaigns/camp-a/contacts/{contact_a.id}").status_code == 200


def test_staff_pages_render_and_import_wizard(
    session: Session, client: TestClient, runtime: Runtime
) -> None:
    world = make_two_campaigns(session)
    contact = make_contact(session, ctx_of(world.a), last_name="Pagé", email="p@example.org")
    session.commit()
    csrf = login(client, "admin-a@example.org")
    for path in (
        "contacts",
        f"contacts/{contact.id}",
        "contacts/import",
        "contacts/duplicates",
        "segments",
        "volunteers",
        "events",
        "rolls",
        "privacy",
        "privacy/retention",
        "privacy/register",
        "",
    ):
        page = client.get(f"/c/camp-a/{path}")
        assert page.status_code == 200, (path, page.text[:500])
    content = "Prénom;Nom;Email;Consentement email\nAda;Lovelace;ada@example.org;oui\nX;Y;bad;oui\n"
    upload = client.post(
        "/c/camp-a/contacts/import",
        files={"file": ("c.csv", content.encode())},
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert upload.status_code == 303
    mapping_url = upload.headers["location"]
    page = client.get(mapping_url)
    assert page.status_code == 200
    assert 'value="consent_email" selected' in page.text
    form = {
        "csrf_token": csrf,
        "map_0": "first_name",
        "map_1": "last_name",
        "map_2": "email",
        "map_3": "consent_email",
    }
    preview = client.post(mapping_url + "/preview", data=form)
    assert preview.status_code == 200
    assert "adresse e-mail invalide" in preview.text
    # the preview's headers are the person's words, never the field keys
    assert "<th>E-mail" in preview.text
    assert "first_name" not in preview.text.split("<tbody>")[0].split("Aperçu")[-1]
    assert re.search(r'name="skip_invalid" value="1"[^>]* checked', preview.text)
    mapping_json = re.search(r'name="mapping_json" value="([^"]*)"', preview.text)
    assert mapping_json
    import html

    data = {"csrf_token": csrf, "mapping_json": html.unescape(mapping_json.group(1))}
    session.commit()  # SQLite: the test's session holds no lock while the app and jobs write
    queued = client.post(mapping_url + "/commit", data=data, follow_redirects=False)
    assert queued.status_code == 303
    refused_url = queued.headers["location"]
    assert re.fullmatch(r"/c/camp-a/jobs/\d+", refused_url)
    again = client.post(mapping_url + "/commit", data=data, follow_redirects=False)
    assert again.headers["location"] == refused_url  # the same upload and mapping: one job
    waiting = client.get(refused_url)
    assert 'data-testid="job-state"' in waiting.text
    assert "en attente" in waiting.text
    assert '<meta http-equiv="refresh"' in waiting.text  # without JS, the page reloads
    assert '<script src="/static/jobs.js"' in waiting.text
    assert jobs.run_pending(runtime.factory, runtime.settings) == 1
    refused = client.get(refused_url)
    assert "échec" in refused.text
    assert "ligne 3, colonne Email : adresse e-mail invalide" in refused.text
    assert "jobs.js" not in refused.text  # finished: nothing to follow
    assert session.scalar(select(Contact).where(Contact.email == "ada@example.org")) is None
    session.rollback()  # SQLite: release the write lock before the app's next write
    assert len(list((runtime.settings.data_dir / "imports" / "camp-a").glob("*"))) == 2

    done = client.post(mapping_url + "/commit", data={**data, "skip_invalid": "1"})
    assert done.status_code == 200, done.text[:500]
    assert "en attente" in done.text
    assert jobs.run_pending(runtime.factory, runtime.settings) == 1
    summary = client.get(str(done.url).replace("http://testserver", ""))
    assert "1 contact créé, 0 mis à jour, 1 ligne refusée : ligne 3, champ Email" in summary.text
    assert "terminé" in summary.text
    assert session.scalar(select(Contact).where(Contact.email == "ada@example.org")) is not None
    session.rollback()
    assert list((runtime.settings.data_dir / "imports" / "camp-a").glob("*")) == []
    # A server killed between the rows' commit and the file's removal leaves the file: the
    # next upload removes the files of finished imports.
    token = mapping_url.rsplit("/", 1)[1]
    folder = runtime.settings.data_dir / "imports" / "camp-a"
    (folder / f"{token}.csv").write_text(content)
    uploaded = client.post(
        "/c/camp-a/contacts/import",
        files={"file": ("d.csv", content.encode())},
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303, uploaded.text[:300]
    assert not (folder / f"{token}.csv").exists()
    assert len(list(folder.glob("*"))) == 2  # the new upload and its name
    listed = client.get("/c/camp-a/jobs")
    assert listed.text.count("Import de contacts") == 2
    shown = client.get(str(done.url).replace("http://testserver/c/camp-a", "/api/campaigns/camp-a"))
    assert shown.json()["result"]["created"] == 1


def test_a_member_sees_only_their_own_jobs(
    session: Session, client: TestClient, runtime: Runtime
) -> None:
    world = make_two_campaigns(session)
    make_user(session, campaign=world.a, email="data@example.org", role=Role.data)
    make_user(session, campaign=world.a, email="benevole@example.org", role=Role.volunteer)
    session.commit()
    csrf = login(client, "data@example.org")
    upload = client.post(
        "/c/camp-a/contacts/import",
        files={"file": ("c.csv", "Prénom;Nom;Email\nAda;Lovelace;ada@example.org\n".encode())},
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    mapping = '{"Prénom": "first_name", "Nom": "last_name", "Email": "email"}'
    queued = client.post(
        upload.headers["location"] + "/commit",
        data={"csrf_token": csrf, "mapping_json": mapping},
        follow_redirects=False,
    )
    job_url = queued.headers["location"]
    job_id = job_url.rsplit("/", 1)[1]
    assert client.get(job_url).status_code == 200
    assert f'href="/c/camp-a/jobs/{job_id}"' in client.get("/c/camp-a/jobs").text
    assert client.get(f"/api/campaigns/camp-a/jobs/{job_id}").json()["status"] == "queued"
    client.post("/logout", data={"csrf_token": csrf})

    login(client, "benevole@example.org")
    assert client.get(job_url).status_code == 404
    assert client.get(f"/api/campaigns/camp-a/jobs/{job_id}").status_code == 404
    listed = client.get("/c/camp-a/jobs")
    assert listed.status_code == 200
    assert f"/c/camp-a/jobs/{job_id}" not in listed.text
    assert "Aucun travail pour le moment." in listed.text
    client.post("/logout", data={"csrf_token": client.cookies.get("circo_csrf") or ""})

    login(client, "admin-a@example.org")
    assert "Import de contacts" in client.get(job_url).text
    assert f"/c/camp-a/jobs/{job_id}" in client.get("/c/camp-a/jobs").text
    client.post("/logout", data={"csrf_token": client.cookies.get("circo_csrf") or ""})
    login(client, "admin-b@example.org")
    assert client.get(f"/c/camp-b/jobs/{job_id}").status_code == 404
    assert client.get(f"/c/camp-a/jobs/{job_id}").status_code == 404


def test_rsvp_without_login_forgery_refused_and_checkin_on_timeline(
    session: Session, client: TestClient, runtime: Runtime
) -> None:
    world = make_two_campaigns(session)
    ctx = ctx_of(world.a)
    guest = make_contact(session, ctx, last_name="Invitée", email="guest@example.org")
    record_consent(session, ctx, contact_id=guest.id, channel="email", status="granted", source="t")
    make_contact(session, ctx, last_name="Sansconsentement", email="no@example.org")
    event = create_event(
        session,
        ctx,
        data=EventCreate(
            title="Réunion publique", starts_at=utcnow() + timedelta(days=10), capacity=1
        ),
    )
    make_user(session, campaign=world.a, email="orga@example.org", role=Role.organiser)
    session.commit()
    csrf = login(client, "orga@example.org")
    invited = client.post(
        f"/api/campaigns/camp-a/events/{event.id}/invite",
        params={"segment": "all"},
        headers={"X-CSRF-Token": csrf},
    )
    assert invited.json() == {"invited": 1, "already_invited": 0, "skipped_no_consent": 1}
    assert run_pending(runtime.factory, runtime.settings, kinds={"core.send_mail"}) == 1
    (mail,) = (runtime.settings.data_dir / "outbox").glob("*.eml")
    body = message_from_bytes(mail.read_bytes(), policy=default).get_body(("plain",))
    assert body is not None
    link = re.search(r"http://testserver(/rsvp/\S+)", body.get_content())
    assert link
    anonymous = TestClient(client.app)
    page = anonymous.get(link.group(1))
    assert page.status_code == 200
    assert "Réunion publique" in page.text
    answer = anonymous.post(
        link.group(1), data={"answer": "yes", "csrf_token": anonymous.cookies.get("circo_csrf")}
    )
    assert answer.status_code == 200
    assert "votre réponse est enregistrée" in answer.text
    forged = rsvp_token(
        runtime.settings.model_copy(update={"secret_key": "another-secret-0123456789"}),
        campaign_id=world.a.id,
        event_id=event.id,
        contact_id=guest.id,
    )
    assert anonymous.get(f"/rsvp/{forged}").status_code == 403
    tampered = link.group(1)[:-2] + ("xy" if not link.group(1).endswith("xy") else "zz")
    assert anonymous.get(tampered).status_code == 403
    checkin = client.get(f"/c/camp-a/events/{event.id}/checkin")
    assert checkin.status_code == 200
    assert "Invitée" in checkin.text
    done = client.post(
        f"/c/camp-a/events/{event.id}/checkin",
        data={"contact_id": guest.id, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert done.status_code == 303
    session.expire_all()
    attendee = session.scalar(select(EventAttendee).where(EventAttendee.contact_id == guest.id))
    assert attendee is not None
    assert attendee.status == "yes"
    assert attendee.checked_in_at
    summaries = list(
        session.scalars(select(Interaction.summary).where(Interaction.contact_id == guest.id))
    )
    assert any("présent" in s for s in summaries)
    assert any("vient" in s for s in summaries)
