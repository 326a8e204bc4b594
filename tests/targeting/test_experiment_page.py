"""The field-experiment page: a design over real bureaux (Rhône, présidentielle 2017) frozen in
the audit log, the assignments as CSV, the analysis between the two rounds, the PDF report read
back with pypdf, and the French errors of the form."""

from __future__ import annotations

import csv
import html
import io

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.core import audit
from circo.core.models import AuditEvent, Role
from circo.core.tenancy import CampaignContext
from circo.elections.models import StationResult
from circo.elections.service import get_election
from circo.formatting import format_number
from circo.targeting.experiment_page import analyse_design, load_design
from circo.targeting.experiments import PREREGISTERED
from tests.factories import TwoCampaigns, login
from tests.web.crawl import internal_words, offending_words, rendered_text


@pytest.mark.usefixtures("rhone")
def test_design_freeze_csv_analysis_and_pdf(
    client: TestClient, world: TwoCampaigns, session: Session
) -> None:
    other_admin, campaign_a = world.admin_b.email, world.a.id
    csrf = login(client, world.admin_a.email)
    empty = client.get("/c/camp-a/targeting/experiment")
    assert empty.status_code == 200
    assert 'data-testid="experiment-form"' in empty.text
    form = {
        "csrf_token": csrf,
        "name": "Porte-à-porte Rhône",
        "hypothesis": "Le porte-à-porte augmente la participation d'au moins 2 points.",
        "treatment": "door_to_door",
        "election": "pres-2017:1",
        "territory": "dep:69",
        "treated_share": "0.5",
        "block_on": "turnout",
        "seed": "7",
    }
    created = client.post("/c/camp-a/targeting/experiment", data=form, follow_redirects=False)
    assert created.status_code == 303, created.text
    location = created.headers["location"]
    design_id = int(location.rsplit("=", 1)[1])

    # frozen in the audit log, committed before the redirect
    session.expire_all()
    event = session.scalars(select(AuditEvent).where(AuditEvent.id == design_id)).one()
    assert event.action == PREREGISTERED
    assert event.campaign_id == campaign_a
    assert event.details["hypothesis"] == form["hypothesis"]
    assert event.details["seed"] == 7
    assert event.details["units"] == 60 == len(event.details["assignments"])
    assert event.details["treated"] == 30
    # blocked on past turnout: pairs, one treated unit in each
    arms = dict(event.details["assignments"])
    assert all(len(block) in (2, 3) for block in event.details["blocks"])
    assert all(
        sum(arms[unit] == "treatment" for unit in block) == len(block) // 2
        for block in event.details["blocks"]
    )
    session.rollback()  # end the test's read: the pages write (audit, sessions)

    page = client.get(location)
    assert page.status_code == 200
    assert 'data-testid="experiment-power"' in page.text
    assert "témoin" in page.text
    assert "traitement" in page.text
    assert "porte-à-porte" in page.text

    export = client.get(f"{location}&output=csv")
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff")), delimiter=";"))
    assert {row["unit"]: row["arm"] for row in rows} == arms
    assert {row["arm_label"] for row in rows} == {"traitement", "témoin"}

    params = {"design": str(design_id), "before": "pres-2017:1", "after": "pres-2017:2"}
    analysed = client.get("/c/camp-a/targeting/experiment", params=params)
    assert analysed.status_code == 200, analysed.text
    assert 'data-testid="experiment-result"' in analysed.text
    # French, no internal key (treatment, control, door_to_door, turnout…) on the pages
    words = internal_words() | {"treatment", "control", "door_to_door", "leaflets", "turnout"}
    for shown in (page, analysed):
        assert offending_words(rendered_text(shown.text), words) == set()
    assert "90 %" in analysed.text
    assert "95 %" in analysed.text

    pdf = client.get("/c/camp-a/targeting/experiment", params={**params, "output": "pdf"})
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    flat = " ".join(text.split())
    assert form["hypothesis"] in flat
    assert "Intervalle à 90 %" in flat
    assert "Intervalle à 95 %" in flat
    assert "p-valeur" in flat
    assert "30 traités, 30 témoins" in flat
    assert "Porte-à-porte Rhône" in flat

    # another campaign never sees it
    login(client, other_admin)
    assert client.get(location.replace("camp-a", "camp-b")).status_code == 404


@pytest.mark.usefixtures("rhone")
def test_form_errors_are_french_and_nothing_is_frozen(
    client: TestClient, world: TwoCampaigns, session: Session
) -> None:
    csrf = login(client, world.admin_a.email)
    base = {
        "csrf_token": csrf,
        "hypothesis": "H",
        "election": "pres-2017:1",
        "territory": "dep:69",
        "treated_share": "0.5",
    }
    no_hypothesis = client.post("/c/camp-a/targeting/experiment", data={**base, "hypothesis": " "})
    assert no_hypothesis.status_code == 400
    assert "hypothèse : l'hypothèse est obligatoire" in html.unescape(no_hypothesis.text)
    share = client.post("/c/camp-a/targeting/experiment", data={**base, "treated_share": "0.99"})
    assert share.status_code == 400
    assert "part traitée" in share.text
    nowhere = client.post("/c/camp-a/targeting/experiment", data={**base, "territory": "dep:13"})
    assert nowhere.status_code in (400, 404)
    assert "territoire" in nowhere.text
    session.expire_all()
    frozen = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == PREREGISTERED, AuditEvent.campaign_id == world.a.id
        )
    ).all()
    assert frozen == []
    missing = client.get("/c/camp-a/targeting/experiment", params={"design": "999999"})
    assert missing.status_code == 404
    assert "expérience n° 999999 introuvable" in missing.text


@pytest.mark.usefixtures("rhone")
def test_an_effect_injected_into_the_after_election_is_recovered(
    client: TestClient, world: TwoCampaigns, session: Session
) -> None:
    """+4 points of turnout written into the treated bureaux of round 2 (real rows, real
    database): the page's estimate moves by 4 points and becomes significant."""
    csrf = login(client, world.admin_a.email)
    created = client.post(
        "/c/camp-a/targeting/experiment",
        data={
            "csrf_token": csrf,
            "hypothesis": "Le phoning augmente la participation.",
            "treatment": "phoning",
            "election": "pres-2017:1",
            "territory": "dep:69",
            "treated_share": "0.5",
            "block_on": "turnout",
            "seed": "3",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    design_id = int(created.headers["location"].rsplit("=", 1)[1])
    params = {"design": str(design_id), "before": "pres-2017:1", "after": "pres-2017:2"}
    ctx = CampaignContext(campaign=world.a, role=Role.admin, actor=audit.SYSTEM)
    design = load_design(session, ctx, design_id=design_id)
    baseline = analyse_design(session, design, before="pres-2017:1", after="pres-2017:2")
    treated = {unit for unit, arm in design.assignments if arm == "treatment"}
    after = get_election(session, key="pres-2017", round_number=2)
    for row in session.scalars(select(StationResult).where(StationResult.election_id == after.id)):
        if row.station_key in treated:
            row.voters += round(0.04 * row.registered)
    session.commit()
    injected = analyse_design(session, design, before="pres-2017:1", after="pres-2017:2")
    session.rollback()
    assert injected.estimate.effect - baseline.estimate.effect == pytest.approx(0.04, abs=2e-3)
    assert injected.estimate.low < baseline.estimate.effect + 0.04 < injected.estimate.high
    assert injected.estimate.p_value < 0.01
    assert injected.low90 > injected.estimate.low  # the 90 % interval is the narrower one
    page = client.get("/c/camp-a/targeting/experiment", params=params)
    assert page.status_code == 200
    shown = format_number(100 * injected.estimate.effect, 2)
    assert shown in page.text
