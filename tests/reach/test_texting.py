"""Person-to-person texting on SQLite and PostgreSQL, against a local HTTP server speaking the
SMS provider's API: who is kept, one text per "send next" with the consent and calendar checked
at that moment, replies through the signed webhook into the shared inbox, STOP (French variants)
as an opposition acknowledged once, cited suggestions from the knowledge base."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.assistant.service import DocumentMeta, add_bytes
from circo.config import Settings
from circo.core.audit import Actor
from circo.core.models import Campaign, Role, User
from circo.core.tenancy import CampaignContext, system_context
from circo.crm.contacts import create_contact
from circo.crm.models import Contact
from circo.crm.schemas import ContactCreate, SegmentFilter
from circo.crm.segments import create_segment
from circo.privacy.consent import can_contact, record_consent, record_opposition
from circo.privacy.errors import CalendarBlocked
from circo.reach import text_inbox, texting
from circo.reach.errors import PermissionDenied, ReachError
from circo.reach.models import TextEntry, TextMessage
from circo.runtime import open_runtime
from circo.web.app import create_app
from tests.factories import login, make_campaign, make_user
from tests.reach.conftest import ALWAYS_OPEN

# A Wednesday at 15:00 in Paris (14:00 UTC), far from any vote.
WEDNESDAY_AFTERNOON = datetime(2030, 3, 13, 14, 0, tzinfo=UTC)
TEMPLATE = "Bonjour {{ prenom }}, réunion publique jeudi à 19 h. Vous venez ?"


class SmsApi(BaseHTTPRequestHandler):
    """The provider's ``transactionalSMS/sms`` endpoint; numbers ending in 9 are refused."""

    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        body["api-key"] = self.headers.get("api-key")
        SmsApi.received.append(body)
        status, answer = (
            (400, {"message": "numéro invalide"})
            if body["recipient"].endswith("9")
            else (201, {"messageId": f"m-{len(SmsApi.received)}"})
        )
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def sms_settings(settings: Settings) -> Iterator[Settings]:
    SmsApi.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), SmsApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v3/transactionalSMS/sms"
    yield settings.model_copy(
        update={"sms_provider": "http", "sms_api_url": url, "sms_api_key": "k-texto"}
    )
    server.shutdown()
    server.server_close()


@dataclass
class TextWorld:
    campaign: Campaign
    ctx: CampaignContext
    volunteer: User
    other_volunteer: User
    alice: Contact  # SMS consent
    bruno: Contact  # supporter, no SMS consent: no basis (SMS needs prior opt-in)
    chloe: Contact  # SMS consent, then opposed to SMS
    denis: Contact  # SMS consent
    emma: Contact  # SMS consent, a number the provider refuses


def as_user(ctx: CampaignContext, user: User, role: Role = Role.volunteer) -> CampaignContext:
    return CampaignContext(
        campaign=ctx.campaign, role=role, actor=Actor(user_id=user.id, email=user.email)
    )


def make_text_world(session: Session) -> TextWorld:
    campaign = make_campaign(session, slug="camp-a")
    campaign.settings = {**(campaign.settings or {}), **ALWAYS_OPEN}
    make_user(session, campaign=campaign, email="admin-a@example.org")
    volunteer = make_user(
        session, campaign=campaign, email="volunteer-a@example.org", role=Role.volunteer
    )
    other = make_user(
        session, campaign=campaign, email="volunteer-b@example.org", role=Role.volunteer
    )
    ctx = system_context(campaign)

    def person(first: str, phone: str, **fields: Any) -> Contact:
        return create_contact(
            session,
            ctx,
            data=ContactCreate(
                first_name=first, last_name="Test", phone=phone, tags=["sms"], **fields
            ),
        )

    alice = person("Alice", "0612345601")
    bruno = person("Bruno", "0612345602", relationship_kind="supporter")
    chloe = person("Chloé", "0612345603")
    denis = person("Denis", "0612345604")
    emma = person("Emma", "0612345609")
    for contact in (alice, chloe, denis, emma):
        record_consent(
            session, ctx, contact_id=contact.id, channel="sms", status="granted", source="test"
        )
    record_opposition(session, ctx, contact_id=chloe.id, channel="sms", source="test")
    create_segment(session, ctx, name="À texter", filters=SegmentFilter(tags=["sms"]))
    session.commit()
    return TextWorld(campaign, ctx, volunteer, other, alice, bruno, chloe, denis, emma)


def test_send_next_one_text_at_a_time_with_checks_at_send_time(
    session: Session, sms_settings: Settings
) -> None:
    world = make_text_world(session)
    built = texting.create_text_campaign(
        session, world.ctx, segment="À texter", template=TEMPLATE, name="Réunion jeudi"
    )
    session.commit()
    assert built.as_json() == {
        "campaign": built.text_campaign.id,
        "contacts": 3,
        "excluded": {"no_basis": 1, "opposed": 1},
    }
    campaign_id = built.text_campaign.id
    volunteer = as_user(world.ctx, world.volunteer)

    # The calendar is checked when the button is pressed: at 22:00 nothing leaves.
    world.campaign.settings = {**world.campaign.settings, "contact_hours": [9, 20]}
    session.commit()
    late = datetime(2030, 3, 13, 21, 0, tzinfo=UTC)
    with pytest.raises(CalendarBlocked):
        texting.send_next(session, volunteer, sms_settings, text_campaign_id=campaign_id, now=late)
    session.rollback()
    assert SmsApi.received == []

    first = texting.send_next(
        session, volunteer, sms_settings, text_campaign_id=campaign_id, now=WEDNESDAY_AFTERNOON
    )
    assert first.entry is not None
    assert first.entry.contact_id == world.alice.id
    assert first.remaining == 2
    assert [(item["recipient"], item["content"], item["api-key"]) for item in SmsApi.received] == [
        (
            "33612345601",
            "Bonjour Alice, réunion publique jeudi à 19 h. Vous venez ?\nSTOP : répondez STOP",
            "k-texto",
        )
    ]
    # Denis objects between two presses: he is taken out, Emma is next; the provider refuses
    # her number (a final refusal, kept with the reason, never sent again).
    record_opposition(session, world.ctx, contact_id=world.denis.id, channel="all", source="test")
    session.commit()
    second = texting.send_next(
        session, volunteer, sms_settings, text_campaign_id=campaign_id, now=WEDNESDAY_AFTERNOON
    )
    assert second.skipped == 1
    assert second.entry is not None
    assert second.entry.contact_id == world.emma.id
    assert second.entry.status == "failed"
    assert "numéro invalide" in second.entry.note
    done = texting.send_next(
        session, volunteer, sms_settings, text_campaign_id=campaign_id, now=WEDNESDAY_AFTERNOON
    )
    assert done.as_json(built.text_campaign) == {
        "campaign": campaign_id,
        "sent": None,
        "skipped": 0,
        "remaining": 0,
    }
    assert len(SmsApi.received) == 2
    session.expire_all()
    assert texting.counts(session, world.ctx, campaign_id) == {
        "pending": 0,
        "sending": 0,
        "sent": 1,
        "failed": 1,
        "excluded": 1,
    }
    alice_entry = session.scalar(select(TextEntry).where(TextEntry.contact_id == world.alice.id))
    assert alice_entry is not None
    assert (alice_entry.sent_by, alice_entry.provider_id) == ("volunteer-a@example.org", "m-1")

    # The L49 silence: the day before the vote nothing leaves either.
    again = texting.create_text_campaign(
        session, world.ctx, segment="all", template="Salut {{ prenom }}"
    )
    world.campaign.election_date = date(2030, 3, 14)
    session.commit()
    with pytest.raises(CalendarBlocked, match="L49"):
        texting.send_next(
            session, volunteer, sms_settings, text_campaign_id=again.text_campaign.id,
            now=WEDNESDAY_AFTERNOON,
        )  # fmt: skip
    assert len(SmsApi.received) == 2


def test_bad_templates_and_volunteers_are_refused(session: Session, settings: Settings) -> None:
    world = make_text_world(session)
    with pytest.raises(ReachError, match="variable inconnue") as unknown:
        texting.create_text_campaign(session, world.ctx, segment="all", template="Salut {{ age }}")
    assert unknown.value.loc == "template"
    with pytest.raises(ReachError, match="vide"):
        texting.create_text_campaign(session, world.ctx, segment="all", template="  ")
    with pytest.raises(PermissionDenied):
        texting.create_text_campaign(
            session, as_user(world.ctx, world.volunteer), segment="all", template="Salut"
        )


def test_replies_inbox_stop_and_suggestions_through_the_webhook(
    session: Session, sms_settings: Settings
) -> None:
    world = make_text_world(session)
    add_bytes(
        session,
        world.ctx,
        data=(
            b"# Transports\n\nNous rendrons les bus gratuits pour les moins de 18 ans et "
            b"ouvrirons deux lignes de tramway vers les quartiers nord."
        ),
        name="programme.md",
        source="programme.md",
        meta=DocumentMeta(title="Programme", doc_type="programme"),
    )
    built = texting.create_text_campaign(session, world.ctx, segment="À texter", template=TEMPLATE)
    session.commit()
    volunteer = as_user(world.ctx, world.volunteer)
    for _ in range(2):  # Alice, then Denis
        texting.send_next(
            session, volunteer, sms_settings, text_campaign_id=built.text_campaign.id,
            now=WEDNESDAY_AFTERNOON,
        )  # fmt: skip
    session.commit()  # SQLite: the web request writes next
    url = text_inbox.inbound_url(sms_settings, world.campaign.id).replace("http://testserver", "")
    sms_runtime = open_runtime(sms_settings)  # the web app's provider: the local SMS API
    with ExitStack() as stack:
        stack.callback(sms_runtime.close)
        client = stack.enter_context(TestClient(create_app(sms_settings, runtime=sms_runtime)))
        question = client.post(
            url, json={"from": "33612345601", "text": "Que proposez-vous pour les bus ?"}
        )
        assert question.status_code == 200, question.text
        assert question.json() == {
            "message": question.json()["message"],
            "stop": False,
            "contacts": 0,
            "acknowledged": False,
        }
        assert client.post(url + "x", json={"from": "1", "text": "STOP"}).status_code == 404
        stop = client.post(url, data={"msisdn": "33612345604", "text": " Arrêt "})
        assert stop.json()["stop"] is True
        assert stop.json()["contacts"] == 1
        assert stop.json()["acknowledged"] is True
        again = client.post(url, json={"from": "33612345604", "text": "STOP SMS"})
        assert again.json()["acknowledged"] is False  # one acknowledgement per number
    session.expire_all()

    # STOP: the opposition is in the ledger at once; one acknowledgement left.
    assert not can_contact(session, world.ctx, world.denis.id, "sms").allowed
    acks = [item for item in SmsApi.received if item["recipient"] == "33612345604"]
    assert [item["content"] for item in acks] == [
        TEMPLATE.replace("{{ prenom }}", "Denis") + "\nSTOP : répondez STOP",
        text_inbox.STOP_ACK,
    ]

    # The replies are in the inbox, assigned to the volunteer who sent the texts, the one to
    # answer first (the STOPs are handled already), with a suggested answer citing the programme.
    mine = text_inbox.inbox(session, volunteer, mine=True)
    first, first_contact = mine[0]
    assert (first.text, first_contact.id if first_contact else None, first.handled) == (
        "Que proposez-vous pour les bus ?",
        world.alice.id,
        False,
    )
    assert sorted(message.text for message, _contact in mine[1:]) == [" Arrêt ", "STOP SMS"]
    assert text_inbox.inbox(session, as_user(world.ctx, world.other_volunteer), mine=True) == []
    message = mine[0][0]
    assert message.assigned_user_id == world.volunteer.id
    suggested = text_inbox.suggestions(session, volunteer, message.text)
    assert suggested, "a suggestion from the knowledge base"
    assert "bus gratuits" in suggested[0]["text"]
    assert suggested[0]["citations"][0]["document"] == "Programme"
    assert text_inbox.suggestions(session, volunteer, "STOP") == []

    other = as_user(world.ctx, world.other_volunteer)
    with pytest.raises(PermissionDenied):  # a volunteer does not take someone else's reply
        text_inbox.assign_message(
            session, other, message_id=message.id, user_id=world.other_volunteer.id
        )
    text_inbox.assign_message(  # an organiser (here the admin) reassigns it, and back
        session, world.ctx, message_id=message.id, user_id=world.other_volunteer.id
    )
    assert [item.id for item, _contact in text_inbox.inbox(session, other, mine=True)] == [
        message.id
    ]
    text_inbox.assign_message(session, world.ctx, message_id=message.id, user_id=world.volunteer.id)
    session.commit()
    with pytest.raises(PermissionDenied):
        text_inbox.answer_message(
            session, other, sms_settings, message_id=message.id, text="Bonjour",
            now=WEDNESDAY_AFTERNOON,
        )  # fmt: skip
    session.rollback()
    answer = text_inbox.answer_message(
        session, volunteer, sms_settings, message_id=message.id, text=suggested[0]["text"],
        now=WEDNESDAY_AFTERNOON,
    )  # fmt: skip
    assert SmsApi.received[-1]["recipient"] == "33612345601"
    assert SmsApi.received[-1]["content"] == suggested[0]["text"]
    session.expire_all()
    assert [item.direction for item in text_inbox.thread(session, world.ctx, message)] == [
        "inbound",
        "outbound",
    ]
    assert session.get(TextMessage, message.id).handled  # type: ignore[union-attr]
    assert answer.sent_by == "volunteer-a@example.org"

    # Answering the person who said STOP is refused: the opposition holds.
    stop_message = session.scalar(
        select(TextMessage)
        .where(TextMessage.phone == "+33612345604", TextMessage.direction == "inbound")
        .limit(1)
    )
    assert stop_message is not None
    assert stop_message.stop
    with pytest.raises(ReachError, match="pas d'envoi de SMS"):
        text_inbox.answer_message(
            session, world.ctx, sms_settings, message_id=stop_message.id, text="Dommage",
            now=WEDNESDAY_AFTERNOON,
        )  # fmt: skip


def test_api_create_and_send_next(client: TestClient, session: Session) -> None:
    world = make_text_world(session)
    api = "/api/campaigns/camp-a/texts"
    csrf = login(client, "admin-a@example.org")
    created = client.post(
        api,
        json={"segment": "À texter", "template": TEMPLATE, "name": "Jeudi"},
        headers={"X-CSRF-Token": csrf},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body == {
        "campaign": body["campaign"],
        "contacts": 3,
        "excluded": {"no_basis": 1, "opposed": 1},
    }
    client.post("/logout", headers={"X-CSRF-Token": csrf})
    client.cookies.clear()
    csrf = login(client, "volunteer-a@example.org")
    refused = client.post(
        api, json={"segment": "all", "template": "Salut"}, headers={"X-CSRF-Token": csrf}
    )
    assert refused.status_code == 403
    sent = client.post(f"{api}/{body['campaign']}/send-next", headers={"X-CSRF-Token": csrf})
    assert sent.status_code == 200, sent.text
    answer = sent.json()
    assert answer["sent"]["contact"] == world.alice.id
    assert answer["sent"]["status"] == "sent"
    assert (answer["skipped"], answer["remaining"]) == (0, 2)

    world.campaign.election_date = datetime.now(UTC).date() + timedelta(days=1)
    session.commit()
    silenced = client.post(f"{api}/{body['campaign']}/send-next", headers={"X-CSRF-Token": csrf})
    assert silenced.status_code == 423
    assert "L49" in silenced.json()["loc"]
