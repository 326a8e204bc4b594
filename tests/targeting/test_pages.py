"""Targeting pages, JSON API and jobs on real Rhône results (présidentielle 2017, 60 bureaux)."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.core.jobs import run_pending
from circo.core.models import AuditEvent, Campaign
from circo.core.tenancy import system_context
from circo.maps.sheet import build_sheet
from circo.runtime import Runtime
from tests.factories import TwoCampaigns, login

SVG = "{http://www.w3.org/2000/svg}"
TRANSFERS = {"from": "pres-2017:1", "to": "pres-2017:2", "territory": "dep:69", "method": "em"}
JOB = {**TRANSFERS, "method": "goodman"}
TARGET = {"election": "pres-2017:1", "territory": "dep:69", "candidate": "macron"}


def svg_of(page: str, css_class: str) -> ET.Element:
    """The inline SVG chart with ``class="css_class"``, parsed (fails if not well-formed)."""
    match = re.search(rf'<svg xmlns="http://www.w3.org/2000/svg"[^>]*class="{css_class}"', page)
    assert match, f"no {css_class} chart"
    end = page.index("</svg>", match.start()) + len("</svg>")
    return ET.fromstring(page[match.start() : end])


@pytest.mark.usefixtures("rhone")
def test_targeting_page_export_choice_and_dashboard(
    client: TestClient, session: Session, world: TwoCampaigns
) -> None:
    csrf = login(client, world.admin_a.email)
    page = client.get("/c/camp-a/targeting", params={**TARGET, "top": 5})
    assert page.status_code == 200, page.text
    assert page.text.count('<tr class="priority">') == 5
    assert "Aucun contour de bureau de vote importé" in page.text  # no Rhône contours
    assert 'data-testid="turf-handoff"' in page.text  # the field module is installed
    assert "Emmanuel MACRON" in page.text

    export = client.get("/c/camp-a/targeting/export.csv", params=TARGET)
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 60
    assert rows[0]["rank"] == "1"
    assert rows[0]["reason"]
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "targeting.export")
    ).all()
    assert [(e.campaign_id, e.details["format"], e.actor) for e in events] == [
        (world.a.id, "csv", world.admin_a.email)
    ]
    session.rollback()  # release SQLite's lock before the app writes

    saved = client.post(
        "/c/camp-a/targeting/choice",
        data={**TARGET, "mobilisation": "1", "persuasion": "0", "doors": "0", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    dashboard = client.get("/c/camp-a")
    assert dashboard.status_code == 200
    top = rows_of_saved(client)
    assert top[0] in dashboard.text
    assert "Ciblage" in dashboard.text
    ranking = client.get("/api/campaigns/camp-a/targeting/stations")  # the saved choice
    assert ranking.status_code == 200
    assert ranking.json()["weights"] == {"mobilisation": 1.0, "persuasion": 0.0, "doors": 0.0}

    # the territory sheet's "priority bureaux" section uses the saved choice
    session.expire_all()
    campaign = session.get(Campaign, world.a.id)
    assert campaign is not None
    sections = build_sheet(session, territory="dep:69", ctx=system_context(campaign)).sections
    priority = next(s for s in sections if s.title.startswith("Bureaux prioritaires —"))
    assert len(priority.rows) == 10
    assert [row[1] for row in priority.rows[:3]] == top
    session.rollback()


def rows_of_saved(client: TestClient) -> list[str]:
    payload = client.get("/api/campaigns/camp-a/targeting/stations").json()
    return [row["station"] for row in payload["stations"][:3]]


@pytest.mark.usefixtures("rhone")
def test_transfers_and_diagnostics_pages(client: TestClient, world: TwoCampaigns) -> None:
    login(client, world.admin_a.email)
    page = client.get("/c/camp-a/targeting/transfers", params=TRANSFERS)
    assert page.status_code == 200, page.text
    assert 'data-testid="coverage-warning"' in page.text
    assert "R̂ / ESS" in page.text  # diagnostics shown even when not applicable
    assert "Tous les bureaux se retrouvent dans les deux scrutins." in page.text
    sankey = svg_of(page.text, "sankey")
    bands = sankey.findall(f".//{SVG}path")
    assert bands
    assert all(band.find(f"{SVG}title") is not None for band in bands)
    labels = {text.text for text in sankey.iter(f"{SVG}text")}
    assert {"Abstention", "Blancs", "Nuls", "Emmanuel MACRON"} <= labels

    diagnostics = client.get(
        "/c/camp-a/targeting/diagnostics",
        params={**TRANSFERS, "row": "Abstention", "column": "Abstention"},
    )
    assert diagnostics.status_code == 200, diagnostics.text
    tomography = svg_of(diagnostics.text, "tomography")
    assert len(tomography.findall(f".//{SVG}line")) > 30
    assert tomography.find(f".//{SVG}circle") is not None
    residuals = svg_of(diagnostics.text, "residuals")
    assert len(residuals.findall(f".//{SVG}rect")) == 25
    assert diagnostics.text.count("<tr><td>69") == 50

    api = client.get(
        "/api/campaigns/camp-a/targeting/transfers",
        params={**TRANSFERS, "method": "goodman"},
    )
    assert api.status_code == 200
    for shares in api.json()["global"].values():
        assert sum(shares.values()) == pytest.approx(1.0, abs=1e-3)
    refused = client.get(
        "/api/campaigns/camp-a/targeting/transfers", params={**TRANSFERS, "method": "md"}
    )
    assert refused.status_code == 400
    assert "file de travaux" in refused.json()["message"]
    cell = client.get(
        "/api/campaigns/camp-a/targeting/diagnostics",
        params={**TRANSFERS, "method": "goodman"},
    )
    assert cell.status_code == 200, cell.text
    assert {"from", "to", "tomography", "residuals", "estimate"} <= set(cell.json())


@pytest.mark.usefixtures("rhone")
def test_long_fit_goes_through_the_job_queue(
    client: TestClient, runtime: Runtime, world: TwoCampaigns
) -> None:
    csrf = login(client, world.admin_a.email)
    page = client.get("/c/camp-a/targeting/transfers", params={**TRANSFERS, "method": "md"})
    assert 'data-testid="start-job"' in page.text  # md is not run inside the request
    started = client.post(
        "/c/camp-a/targeting/jobs",
        # goodman keeps the test fast: the queue, not the sampler, is under test here
        data={**JOB, "kind": "targeting.transfers", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    job_url = started.headers["location"]
    waiting = client.get(job_url)
    assert "en attente" in waiting.text
    assert 'http-equiv="refresh"' in waiting.text
    again = client.post(
        "/c/camp-a/targeting/jobs",
        data={**JOB, "kind": "targeting.transfers", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert again.headers["location"] == job_url  # the same request is not queued twice
    assert run_pending(runtime.factory, runtime.settings, kinds={"targeting.transfers"}) == 1
    done = client.get(job_url)
    assert "terminé" in done.text
    assert svg_of(done.text, "sankey").findall(f".//{SVG}rect")
    job_id = job_url.rsplit("/", 1)[1]
    status = client.get(f"/api/campaigns/camp-a/targeting/jobs/{job_id}").json()
    assert status["status"] == "done"
    assert status["result"]["stations"] == 60

    other = TestClient(client.app)
    login(other, world.admin_b.email)
    assert other.get(f"/c/camp-b/targeting/jobs/{job_id}").status_code == 404
    assert other.get(f"/api/campaigns/camp-b/targeting/jobs/{job_id}").status_code == 404


@pytest.mark.usefixtures("rhone")
def test_roles_and_campaign_isolation(client: TestClient, world: TwoCampaigns) -> None:
    login(client, world.volunteer_a.email)
    for path in ("targeting", "targeting/transfers", "targeting/groups", "targeting/diagnostics"):
        assert client.get(f"/c/camp-a/{path}").status_code == 403, path
    assert client.get("/c/camp-a/targeting/export.csv", params=TARGET).status_code == 403
    assert client.get("/api/campaigns/camp-a/targeting/stations", params=TARGET).status_code == 403

    organiser = TestClient(client.app)
    login(organiser, "organiser-a@example.org")
    assert organiser.get("/c/camp-a/targeting", params=TARGET).status_code == 200
    assert organiser.get("/c/camp-a/targeting/transfers", params=TRANSFERS).status_code == 403
    nav = organiser.get("/c/camp-a/targeting").text
    assert ">Ciblage<" in nav
    assert ">Reports de voix<" not in nav

    outsider = TestClient(client.app)
    login(outsider, world.admin_b.email)
    assert outsider.get("/c/camp-a/targeting", params=TARGET).status_code == 404
    assert outsider.get("/c/camp-a/targeting/transfers").status_code == 404
    assert (
        outsider.get("/api/campaigns/camp-a/targeting/stations", params=TARGET).status_code == 404
    )


@pytest.mark.usefixtures("rhone")
def test_bad_input_is_shown_on_the_page(client: TestClient, world: TwoCampaigns) -> None:
    login(client, world.admin_a.email)
    page = client.get("/c/camp-a/targeting", params={**TARGET, "candidate": "nobody"})
    assert page.status_code == 400
    assert "candidat inconnu « nobody »" in page.text
    english = client.get("/c/camp-a/targeting/transfers", params={"lang": "en"})
    assert "Vote transfers" in english.text
    assert "intervals contain the true value less often" in english.text
