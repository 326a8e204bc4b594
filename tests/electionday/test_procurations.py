"""Procurations on both backends: L73 limits (two per mandataire, one established in France),
rounds, the distance each volunteer accepts, the fewest kilometres, re-matching after a
withdrawal, mail only with consent, erasure, merge and the purge after the election — and
`circo procurations match --json` as a separate process (the exact contract)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.models import OutgoingMail
from circo.core.personal import Identity
from circo.core.tenancy import CampaignContext, system_context
from circo.electionday import personal
from circo.electionday.models import ProxyMatch, ProxyOffer, ProxyRequest
from circo.electionday.procurations import (
    add_offer,
    add_request,
    lambert93,
    match,
    withdraw,
)
from circo.electionday.proxy_rules import LIMITS
from circo.elections.models import Geometry
from circo.privacy import record_consent
from tests.crm.helpers import make_contact
from tests.factories import login, make_campaign, make_two_campaigns
from tests.server import run_cli

UNTIL = date.today() + timedelta(days=30)
# Lyon: two bureaux 4 km apart; volunteers near each, and one in Paris
BUREAUX = {"69123_0101": (4.8357, 45.7640), "69123_0202": (4.8800, 45.7400)}
NEAR_FIRST, NEAR_SECOND, PARIS = (4.8400, 45.7650), (4.8790, 45.7410), (2.3522, 48.8566)


def _bureaux(session: Session) -> None:
    for key, (longitude, latitude) in BUREAUX.items():
        x, y = lambert93(longitude, latitude)
        session.merge(Geometry(kind="bv", code=key, name=key, commune_code="69123",
                               department_code="69", geojson="{}", area=1.0,
                               min_x=x - 50, min_y=y - 50, max_x=x + 50, max_y=y + 50))  # fmt: skip
    session.flush()


def _world(session: Session) -> tuple[CampaignContext, list[int]]:
    ctx = system_context(make_campaign(session, slug="procu"))
    _bureaux(session)
    people = [
        make_contact(session, ctx, first_name=f"P{n}", last_name="Test",
                     email=f"p{n}@example.org").id
        for n in range(8)
    ]  # fmt: skip
    return ctx, people


def _request(
    session: Session, ctx: CampaignContext, contact: int, bureau: str, **kw: object
) -> int:
    abroad = bool(kw.get("abroad", False))
    return add_request(session, ctx, contact_id=contact, station=bureau,
                       rounds=str(kw.get("rounds", "1,2")), established_abroad=abroad,
                       delete_after=UNTIL).id  # fmt: skip


def _offer(session: Session, ctx: CampaignContext, contact: int, where: tuple[float, float],
           **kw: object) -> int:  # fmt: skip
    return add_offer(session, ctx, contact_id=contact, longitude=where[0], latitude=where[1],
                     max_km=float(kw.get("km", 10.0)), rounds=str(kw.get("rounds", "1,2")),
                     delete_after=UNTIL).id  # fmt: skip


def test_the_limits_are_data_with_their_article() -> None:
    assert {(limit.name, limit.value, limit.article) for limit in LIMITS} == {
        ("max_proxies", 2, "L73"),
        ("max_established_in_france", 1, "L73"),
    }


def test_matching_respects_l73_rounds_distance_and_minimises_km(session: Session) -> None:
    ctx, people = _world(session)
    france_1 = _request(session, ctx, people[0], "69123_0101")
    france_2 = _request(session, ctx, people[1], "69123_0101")
    abroad = _request(session, ctx, people[2], "69123_0101", abroad=True)
    second_round = _request(session, ctx, people[3], "69123_0202", rounds="2")
    near = _offer(session, ctx, people[4], NEAR_FIRST)  # holds 1 France + 1 abroad at most
    only_first = _offer(session, ctx, people[5], NEAR_SECOND)
    far = _offer(session, ctx, people[6], PARIS, km=5)  # 390 km away, accepts 5
    result = match(session, ctx)
    by_request = {m["request"]: (m["volunteer"], m["km"]) for m in result["matches"]}
    # three France-established requests for two "France" slots (L73): the fewest km win — the
    # 2nd-round request next to its volunteer, and one of the two requests of the same bureau
    assert by_request[second_round][0] == only_first
    assert by_request[abroad][0] == near  # the second slot of a mandataire: abroad only
    assert len(result["unmatched"]) == 1
    assert result["unmatched"][0] in (france_1, france_2)
    matched_france = france_2 if result["unmatched"] == [france_1] else france_1
    assert by_request[matched_france] == (near, pytest.approx(0.35, abs=0.01))
    assert far not in {volunteer for volunteer, _ in by_request.values()}  # 390 km > 5 km
    holds = session.scalar(select(func.count()).select_from(ProxyMatch)
                           .where(ProxyMatch.offer_id == near))  # fmt: skip
    assert holds == 2

    # the near volunteer withdraws: their requests are open again and re-matched if possible
    assert withdraw(session, ctx, offer_id=near) == 2
    newcomer = _offer(session, ctx, people[7], NEAR_FIRST)
    again = match(session, ctx)
    volunteers = {m["request"]: m["volunteer"] for m in again["matches"]}
    assert near not in volunteers.values()
    assert volunteers[second_round] == only_first  # earlier matches are kept
    assert volunteers[abroad] in (newcomer, only_first)
    assert len(again["matches"]) == 3
    assert len(again["unmatched"]) == 1


def test_mail_only_with_consent_erasure_merge_and_purge(session: Session, tmp_path: Path) -> None:
    ctx, people = _world(session)
    record_consent(session, ctx, contact_id=people[0], channel="email", status="granted",
                   source="formulaire de procuration")  # fmt: skip
    request = _request(session, ctx, people[0], "69123_0101")
    _offer(session, ctx, people[1], NEAR_FIRST)
    assert len(match(session, ctx)["matches"]) == 1
    mails = session.scalars(
        select(OutgoingMail).where(OutgoingMail.campaign_id == ctx.campaign_id)
    ).all()
    assert [mail.email for mail in mails] == ["p0@example.org"]  # p1 gave no consent

    export: dict[str, object] = {}
    personal.access(session, ctx, Identity(contact_ids=[people[0]]), export)
    assert [row["id"] for row in export["ed_proxy_requests"]] == [request]  # type: ignore[index]
    personal.merge(session, ctx, people[2], people[0])
    assert session.get(ProxyRequest, request).contact_id == people[2]  # type: ignore[union-attr]
    erased = personal.erase(session, ctx, Identity(contact_ids=[people[2]]))
    assert erased == {"ed_proxy_requests": 1, "ed_proxy_offers": 0, "ed_assessor_posts": 0}
    assert session.scalar(select(func.count()).select_from(ProxyMatch)) == 0

    report = personal.purge(session, ctx, tmp_path, UNTIL, True)
    assert report[0][2] == 0  # the last round is not past yet
    report = personal.purge(session, ctx, tmp_path, UNTIL + timedelta(days=1), True)
    assert report[0][2] == 1
    assert session.scalar(select(func.count()).select_from(ProxyOffer)) == 0


def test_match_cli_contract(settings: Settings, session: Session) -> None:
    from tests.server import init_campaign

    init_campaign(settings, "procu-cli")
    from circo.core.models import Campaign

    campaign = session.scalar(select(Campaign).where(Campaign.slug == "procu-cli"))
    assert campaign is not None
    ctx = system_context(campaign)
    _bureaux(session)
    a, b, c = (make_contact(session, ctx, first_name=n, last_name="Cli").id for n in "ABC")
    session.commit()
    base = ("procurations",)
    done = run_cli(settings, *base, "request", "--contact", str(a), "--bureau", "69123_0101",
                   "--rounds", "1,2", "--until", UNTIL.isoformat(), "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    first = json.loads(done.stdout)["request"]
    done = run_cli(settings, *base, "request", "--contact", str(b), "--bureau", "69123_0202",
                   "--rounds", "2", "--until", UNTIL.isoformat(), "--json")  # fmt: skip
    second = json.loads(done.stdout)["request"]
    done = run_cli(settings, *base, "offer", "--contact", str(c), "--lon", str(NEAR_FIRST[0]),
                   "--lat", str(NEAR_FIRST[1]), "--rounds", "1,2", "--until", UNTIL.isoformat(),
                   "--json")  # fmt: skip
    volunteer = json.loads(done.stdout)["volunteer"]
    done = run_cli(settings, *base, "match", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) == {"matches", "unmatched"}
    assert [set(m) for m in result["matches"]] == [{"request", "volunteer", "km"}]
    found = result["matches"][0]
    assert (found["request"], found["volunteer"]) == (first, volunteer)
    assert isinstance(found["km"], float)
    assert 0.0 < found["km"] < 1.0
    assert result["unmatched"] == [second]
    refused = run_cli(settings, *base, "request", "--contact", str(a), "--bureau", "69123_0101",
                      "--rounds", "3", "--until", UNTIL.isoformat(), "--json")  # fmt: skip
    assert refused.returncode == 2
    assert "tours « 3 » non reconnus" in refused.stderr


def test_the_procurations_page_matches_and_withdraws(session: Session, client: TestClient) -> None:
    world = make_two_campaigns(session)
    ctx = system_context(world.a)
    _bureaux(session)
    mandant = make_contact(session, ctx, first_name="Alice", last_name="Mandant").id
    volunteer = make_contact(session, ctx, first_name="Bruno", last_name="Mandataire").id
    request = _request(session, ctx, mandant, "69123_0101")
    offer = _offer(session, ctx, volunteer, NEAR_FIRST)
    session.commit()
    csrf = login(client, "admin-a@example.org")
    page = client.get("/c/camp-a/procurations")
    assert page.status_code == 200
    assert "Alice Mandant" in page.text
    assert "au plus deux procurations (L73)" in page.text
    api = client.post("/api/campaigns/camp-a/procurations/match", headers={"X-CSRF-Token": csrf})
    assert api.json() == {
        "matches": [{"request": request, "volunteer": offer, "km": pytest.approx(0.35, abs=0.01)}],
        "unmatched": [],
    }
    withdrawn = client.post("/c/camp-a/procurations/withdraw",
                            data={"csrf_token": csrf, "item": f"offer:{offer}"})  # fmt: skip
    assert withdrawn.status_code == 200
    assert "retirée" in withdrawn.text
    session.expire_all()
    assert session.get(ProxyRequest, request).status == "open"  # type: ignore[union-attr]
    session.commit()  # end the test's transaction: SQLite lets the app write
    volunteer_client = TestClient(client.app)
    login(volunteer_client, "volunteer-a@example.org")
    assert volunteer_client.get("/c/camp-a/procurations").status_code == 403
