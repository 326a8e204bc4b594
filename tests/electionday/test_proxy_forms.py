"""Procurations from the pages (the volunteer app included), on both backends: a request and an
offer typed by a volunteer, the address geocoded offline (the imported BAN addresses and REU
points of `circo.crm.geocode`: the mandant's bureau, the mandataire's position), the consent
recorded with its wording; matching tells both sides — e-mail through the outbox, SMS through
the job engine, each only with consent — and schedules a reminder before each vote; a
withdrawal re-matches at once and the reminder of the undone match sends nothing."""

from __future__ import annotations

import json
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.models import Job, OutgoingMail
from circo.core.tenancy import system_context
from circo.crm.models import Contact, GeoAddress, StationPoint
from circo.electionday.models import ProxyMatch, ProxyOffer, ProxyRequest
from circo.electionday.procurations import lambert93
from circo.electionday.proxy_notices import NOTICE_KIND, reminder_at, send_notice
from circo.elections.models import Geometry
from circo.messaging.providers import sms_outbox_dir
from circo.privacy.models import ConsentRecord
from tests.factories import login, make_two_campaigns

VOTE = date.today() + timedelta(days=20)
# BAN points (lon, lat) in Lyon 1er; the REU points put them in two bureaux
ADDRESSES = {
    ("1", "rue de la republique"): (4.8357, 45.7640),
    ("10", "quai saint antoine"): (4.8300, 45.7620),
    ("5", "place des terreaux"): (4.8340, 45.7675),
}


def _geography(session: Session) -> None:
    x, y = lambert93(4.8357, 45.7640)
    session.merge(Geometry(kind="bv", code="69381_0101", name="69381_0101", commune_code="69381",
                           department_code="69", geojson="{}", area=1.0,
                           min_x=x - 50, min_y=y - 50, max_x=x + 50, max_y=y + 50))  # fmt: skip
    for (number, street), (lon, lat) in ADDRESSES.items():
        session.add(GeoAddress(commune_code="69381", postal_code="69001", street_key=street,
                               number=number, label=street, lat=lat, lon=lon))  # fmt: skip
    session.add(StationPoint(commune_code="69381", polling_station="69381_0101",
                             lat=45.7641, lon=4.8356))  # fmt: skip
    session.add(StationPoint(commune_code="69381", polling_station="69381_0102",
                             lat=45.7676, lon=4.8341))  # fmt: skip


def _person(first: str, last: str, address: str, **extra: str) -> dict[str, str]:
    return {"first_name": first, "last_name": last, "email": f"{first.lower()}@example.org",
            "phone": extra.pop("phone", "06 12 34 56 78"), "address_line": address,
            "postal_code": "69001", "city": "Lyon", "rounds": "1,2",
            "until": (VOTE + timedelta(days=14)).isoformat(), **extra}  # fmt: skip


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_forms_geocode_consent_notify_remind_and_rematch(
    client: TestClient, session: Session, settings: Settings
) -> None:
    world = make_two_campaigns(session)
    world.a.election_date = VOTE
    _geography(session)
    session.commit()
    csrf = login(client, "volunteer-a@example.org")
    page = client.get("/c/camp-a/procurations/new")
    assert page.status_code == 200
    assert "Je serai absent(e) : je demande une procuration" in page.text

    mandant = _person("Alice", "Absente", "1 rue de la République", consent_email="1",
                      consent_sms="1")  # fmt: skip
    sent = client.post("/c/camp-a/procurations/request", data={"csrf_token": csrf, **mandant})
    assert sent.status_code == 200, sent.text
    assert "Demande enregistrée" in sent.text
    unknown = _person("Zoé", "Perdue", "99 rue Inconnue")
    refused = client.post("/c/camp-a/procurations/request", data={"csrf_token": csrf, **unknown})
    assert refused.status_code == 400
    assert "bureau" in refused.text
    assert "adresse introuvable" in refused.text
    far_off = client.post("/c/camp-a/procurations/offer",
                          data={"csrf_token": csrf, **unknown, "max_km": "10"})  # fmt: skip
    assert far_off.status_code == 400
    assert "adresse introuvable" in far_off.text
    # two volunteers offer; only Bruno accepts SMS, Chloé gave no consent at all
    for person in (
        _person(
            "Bruno",
            "Proche",
            "10 quai Saint-Antoine",
            phone="06 11 11 11 11",
            consent_sms="1",
            max_km="5",
        ),
        _person("Chloe", "Voisine", "10 quai Saint-Antoine", phone="06 98 76 54 32", max_km="5"),
    ):
        answer = client.post("/c/camp-a/procurations/offer", data={"csrf_token": csrf, **person})
        assert answer.status_code == 200, answer.text
        assert "Offre enregistrée" in answer.text

    session.expire_all()
    request = session.scalars(select(ProxyRequest)).one()
    assert request.station_key == "69381_0101"  # from the geocoded address (REU point)
    offers = session.scalars(select(ProxyOffer).order_by(ProxyOffer.id)).all()
    assert [round(o.max_km) for o in offers] == [5, 5]
    alice = session.get(Contact, request.contact_id)
    assert alice is not None
    assert alice.polling_station == "69381_0101"
    consents = session.scalars(
        select(ConsentRecord).where(ConsentRecord.contact_id == alice.id)
    ).all()
    assert sorted(c.channel for c in consents) == ["email", "sms"]
    assert all("procuration" in c.proof["wording"] for c in consents)
    session.commit()

    admin_csrf = login(client, "admin-a@example.org")
    matched = client.post("/c/camp-a/procurations/match", data={"csrf_token": admin_csrf})
    assert matched.status_code == 200
    session.expire_all()
    first = session.scalars(select(ProxyMatch).where(ProxyMatch.active)).one()
    bruno, chloe = offers[0].id, offers[1].id
    assert first.offer_id == bruno  # 0.4 km from the bureau, Chloé 0.5 km
    notices = session.scalars(select(Job).where(Job.kind == NOTICE_KIND).order_by(Job.id)).all()
    kinds = [(job.payload["kind"], job.payload.get("vote")) for job in notices]
    assert kinds == [
        ("match", None),
        ("reminder", VOTE.isoformat()),
        ("reminder", (VOTE + timedelta(days=14)).isoformat()),
    ]
    ctx = system_context(world.a)
    # 18 h two days before, Paris time (run_after = now + delay: the same instant to the second)
    assert abs(notices[1].run_after - reminder_at(ctx, VOTE)) < timedelta(seconds=1)
    assert reminder_at(ctx, VOTE).astimezone(ZoneInfo("Europe/Paris")).hour == 18
    mails = session.scalars(select(OutgoingMail)).all()
    assert [m.email for m in mails] == ["alice@example.org"]  # Bruno: SMS only

    result = send_notice(session, settings, notices[0])
    assert result == {"sms": 2, "emails": 0}  # Alice and Bruno consented to SMS
    lines = [json.loads(line) for path in sms_outbox_dir(settings).glob("*.jsonl")
             for line in path.read_text().splitlines()]  # fmt: skip
    assert sorted(line["to"] for line in lines) == ["+33611111111", "+33612345678"]
    assert all("maprocuration.gouv.fr" in line["text"] for line in lines)
    session.commit()

    # Bruno withdraws: the page re-matches Alice with Chloé at once; Bruno's reminder is void
    withdrawn = client.post("/c/camp-a/procurations/withdraw",
                            data={"csrf_token": admin_csrf, "item": f"offer:{bruno}"})  # fmt: skip
    assert withdrawn.status_code == 200
    session.expire_all()
    active = session.scalars(select(ProxyMatch).where(ProxyMatch.active)).one()
    assert active.offer_id == chloe
    void = send_notice(session, settings, session.get(Job, notices[1].id))  # type: ignore[arg-type]
    assert void["sms"] == 0
    assert void["skipped"] == "procuration retirée"
    reminder = session.scalars(
        select(Job).where(Job.idempotency_key == f"{NOTICE_KIND}:reminder:{active.id}:{VOTE}")
    ).one()
    sent_reminder = send_notice(session, settings, reminder)
    assert sent_reminder == {"sms": 1, "emails": 1}  # Alice: e-mail and SMS; Chloé: nothing
