"""Assesseurs and délégués from the volunteer's phone and on the map, on both backends: the
priority order of the bureaux computed once per campaign (kept until the targeting or the
elections change), the coverage map (one colour per state, a tooltip per bureau), and a
volunteer signing up for a bureau and a time slot at phone width in Chromium — the same rules
(R42: a titulaire sits in one bureau only) refused with their article, the form kept."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

import circo.targeting.service as targeting_service
from circo.core.tenancy import system_context
from circo.crm.models import Contact
from circo.electionday.assessors import coverage
from circo.electionday.models import AssessorPost
from circo.elections.importing import import_results
from circo.elections.models import Geometry
from circo.targeting.preferences import SETTINGS_KEY
from tests.browser import ARTIFACTS, browser_page, live_server
from tests.elections.sample_files import rhone_file
from tests.factories import DEFAULT_PASSWORD, login, make_two_campaigns
from tests.targeting.conftest import cut_lines

VOTE = date(2027, 4, 11)
TARGETING = {"election": "pres-2017:1", "territory": "dep:69", "candidate": "MACRON"}


def _world(session: Session, tmp_path: Path) -> tuple[Any, list[str]]:
    path = cut_lines(rhone_file(1), tmp_path / "rhone.csv", rows=12)
    import_results(session, path=path, key="pres-2017", round_number=1)
    world = make_two_campaigns(session)
    world.a.settings = {SETTINGS_KEY: dict(TARGETING)}
    world.a.territory_code = "69"
    world.a.election_date = VOTE
    session.flush()
    ranked = [c.station_key for c in coverage(session, system_context(world.a), round_number=1)[
        "uncovered"]]  # fmt: skip
    for index, key in enumerate(ranked[:4]):  # four bureaux with a (square) contour
        x, y = 842_000 + index * 1000, 6_519_000
        square = (f'{{"type":"Polygon","coordinates":[[[{x},{y}],[{x + 900},{y}],'
                  f'[{x + 900},{y + 900}],[{x},{y + 900}],[{x},{y}]]]}}')  # fmt: skip
        session.merge(Geometry(kind="bv", code=key, name=key, commune_code=key[:5],
                               department_code="69", geojson=square, area=1.0, min_x=x, min_y=y,
                               max_x=x + 900, max_y=y + 900))  # fmt: skip
    session.commit()
    return world, ranked


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_the_ranking_is_computed_once_until_its_inputs_change(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world, _ranked = _world(session, tmp_path)
    calls: list[str] = []
    original = targeting_service.target_stations

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["candidate"])
        return original(*args, **kwargs)

    monkeypatch.setattr(targeting_service, "target_stations", counted)
    ctx = system_context(world.a)
    first = coverage(session, ctx, round_number=1)
    second = coverage(session, ctx, round_number=1)
    assert [c.station_key for c in second["uncovered"]] == [
        c.station_key for c in first["uncovered"]
    ]
    assert calls == []  # ranked once by `_world` already: kept for this campaign
    world.a.settings = {SETTINGS_KEY: {**TARGETING, "candidate": "LE PEN"}}
    session.flush()
    changed = coverage(session, ctx, round_number=1)
    assert calls == ["LE PEN"]  # the saved targeting changed: ranked again, once
    assert "LE PEN" in changed["order"]
    coverage(session, ctx, round_number=1)
    assert calls == ["LE PEN"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_the_coverage_map_colours_each_bureau(
    session: Session, client: TestClient, tmp_path: Path
) -> None:
    world, ranked = _world(session, tmp_path)
    csrf = login(client, "admin-a@example.org")
    contact = Contact(campaign_id=world.a.id, first_name="Chloé", last_name="Assesseur")
    session.add(contact)
    session.commit()
    form = {"csrf_token": csrf, "contact": str(contact.id), "bureau": ranked[1],
            "role": "assesseur", "vote_date": VOTE.isoformat(), "round": "1",
            "elector_commune": "69123"}  # fmt: skip
    assert client.post("/c/camp-a/assessors/signup", data=form).status_code == 200
    page = client.get("/c/camp-a/assessors")
    assert 'data-testid="coverage-map"' in page.text
    svg = client.get("/c/camp-a/assessors/map.svg?round=1")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    fills = {
        code: fill
        for fill, code in __import__("re").findall(r'fill="(#[0-9a-f]{6})" data-code="([^"]+)"',
                                                   svg.text)
    }  # fmt: skip
    assert set(fills) == set(ranked[:4])  # the bureaux with a contour
    assert fills[ranked[1]] == "#fee08b"  # a titulaire, no délégué yet: partly covered
    assert fills[ranked[0]] == "#d73027"  # priority n° 1, nobody
    assert f"Bureau {ranked[0]} — prioritaire, personne, priorité n° 1" in svg.text


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_volunteer_signs_up_from_the_phone(
    app: FastAPI, session: Session, tmp_path: Path
) -> None:
    _campaigns, ranked = _world(session, tmp_path)
    with live_server(app) as base_url, browser_page(tmp_path) as page_object:
        page: Any = page_object
        page.goto(f"{base_url}/login?next=/c/camp-a/assessors/mine")
        page.get_by_label("Adresse e-mail").fill("volunteer-a@example.org")
        page.get_by_label("Mot de passe").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"{base_url}/c/camp-a/assessors/mine")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        expect(page.get_by_label("Jour du scrutin")).to_have_value(VOTE.isoformat())
        bureau = page.get_by_label("Bureau")
        expect(bureau.locator("option").first).to_contain_text(f"{ranked[0]}")
        expect(bureau.locator("option").first).to_contain_text("priorité 1")
        page.get_by_label("Rôle").select_option("assesseur")
        page.get_by_label("Créneau").select_option("08:00-13:00")
        page.get_by_label("Commune où je suis inscrit(e)").fill("69123")
        page.get_by_role("button", name="M'inscrire").click()
        expect(page.get_by_test_id("mine")).to_contain_text(ranked[0])
        expect(page.get_by_test_id("mine")).to_contain_text("08:00 – 13:00")
        # a titulaire in a second bureau: refused with R42, what was typed is kept
        page.get_by_label("Bureau").select_option(ranked[2])
        page.get_by_label("Rôle").select_option("assesseur")
        page.get_by_label("Commune où je suis inscrit(e)").fill("69123")
        page.get_by_label("Lieu de naissance").fill("Villeurbanne")
        page.get_by_role("button", name="M'inscrire").click()
        error = page.locator("[data-testid=form-error], main .error[role=alert]").first
        expect(error).to_contain_text("R42")
        expect(page.get_by_label("Lieu de naissance")).to_have_value("Villeurbanne")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "assessors-phone-signup.png"), full_page=True)
    session.expire_all()
    posts = session.scalars(select(AssessorPost)).all()
    assert [(p.station_key, p.role.value, p.slot_start, p.slot_end) for p in posts] == [
        (ranked[0], "assessor", "08:00", "13:00")
    ]
    contact = session.get(Contact, posts[0].contact_id)
    assert contact is not None
    assert contact.email == "volunteer-a@example.org"
