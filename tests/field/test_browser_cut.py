"""Turf cutting from a map, in Chromium: the bureaux drawn from their (approximate) contours,
click two, the turfs appear, fewer doors per turf give more turfs, save — the plan is stored with
the bureaux picked on the map."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.elections.geography import import_reu
from circo.field.models import Turf, TurfPlan
from circo.maps.approx import approximate_bureaux
from tests.browser import ARTIFACTS, browser_page, live_server
from tests.factories import DEFAULT_PASSWORD, make_two_campaigns

REU = Path("fr-reu-adresses-sample-29")


INSIDE = """code => {
  // A point inside the bureau's shape (its bounding box's centre may fall outside), on screen.
  const path = document.querySelector(`path[data-bureau="${code}"]`);
  const box = path.getBBox();
  const matrix = path.getScreenCTM();
  for (let i = 1; i < 40; i++) {
    for (let j = 1; j < 40; j++) {
      const point = new DOMPoint(box.x + box.width * i / 40, box.y + box.height * j / 40);
      if (path.isPointInFill(point)) {
        const screen = point.matrixTransform(matrix);
        if (document.elementFromPoint(screen.x, screen.y) === path) return [screen.x, screen.y];
      }
    }
  }
  return null;
}"""


def _click_bureau(page: Any, code: str) -> None:
    page.locator(f'path[data-bureau="{code}"]').scroll_into_view_if_needed()
    where = page.evaluate(INSIDE, code)
    assert where is not None, code
    page.mouse.click(*where)


def _turfs_shown(page: Any, more_than: int) -> int:
    page.wait_for_function(
        "n => Number(document.getElementById('field-cut').dataset.turfs || 0) > n", arg=more_than
    )
    return int(page.locator("#field-cut").get_attribute("data-turfs"))


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_cut_turfs_by_picking_bureaux_on_the_map(
    app: FastAPI, session: Session, shared_data: Path, tmp_path: Path
) -> None:
    world = make_two_campaigns(session)
    campaign_id = world.a.id
    import_reu(session, path=shared_data / REU / "addresses_sample.csv")
    approximate_bureaux(
        session,
        communes=["29039"],
        contours_file=shared_data / REU / "contours_com_sample_wgs84.geojson",
    )
    session.commit()
    with live_server(app) as base_url, browser_page(tmp_path) as page_object:
        page: Any = page_object
        page.set_viewport_size({"width": 1024, "height": 900})
        page.goto(f"{base_url}/login?next=/c/camp-a/field/cut")
        page.get_by_label("Adresse e-mail").fill("admin-a@example.org")
        page.get_by_label("Mot de passe").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_selector('#field-cut[data-ready="1"]')
        bureaux = page.locator("path.fc-bureau")
        assert bureaux.count() == 17
        assert page.locator("path.fc-bureau.approx").count() == 17
        expect(page.locator("#fc-legend")).to_contain_text("contour approximatif")
        expect(page.get_by_role("button", name="Enregistrer le découpage")).to_be_disabled()

        _click_bureau(page, "29039_0001")
        one = _turfs_shown(page, 0)
        _click_bureau(page, "29039_0002")
        two = _turfs_shown(page, one)
        assert page.locator("polyline.fc-turf").count() == two
        expect(page.get_by_test_id("cut-status")).to_contain_text(f"{two} secteurs")

        page.get_by_label("Portes par secteur").fill("25")
        page.get_by_label("Portes par secteur").dispatch_event("change")
        smaller = _turfs_shown(page, two)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "field-cut-map.png"), full_page=True)
        page.get_by_role("button", name="Enregistrer le découpage").click()
        page.wait_for_url(f"{base_url}/c/camp-a/field?msg=plan")
    session.expire_all()
    plan = session.scalar(select(TurfPlan).where(TurfPlan.campaign_id == campaign_id))
    assert plan is not None
    assert sorted(plan.bureaux) == ["29039_0001", "29039_0002"]
    assert plan.doors_per_turf == 25
    stored = session.scalars(select(Turf).where(Turf.plan_id == plan.id)).all()
    assert len(stored) == smaller


@pytest.mark.browser
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_cut_turfs_on_the_map_of_the_paris_demo(
    app: FastAPI, runtime: Any, session: Session, tmp_path: Path
) -> None:
    """As a new user of `circo demo`: the cut page of the Paris demo offers the 11e's bureaux
    (synthetic addresses stored as the commune's REU points), and picking one shows turfs whose
    stops read as streets."""
    from circo.demo import DEMO_ADMIN, build_demo
    from circo.field.demo import CUTTABLE_BUREAUX

    password = build_demo(runtime).password
    assert password
    with live_server(app) as base_url, browser_page(tmp_path) as page_object:
        page: Any = page_object
        page.set_viewport_size({"width": 1366, "height": 900})
        page.goto(f"{base_url}/login?next=/c/demo/field/cut")
        page.get_by_label("Adresse e-mail").fill(DEMO_ADMIN)
        page.get_by_label("Mot de passe").fill(password)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_selector('#field-cut[data-ready="1"]')
        shown = {
            page.locator("path.fc-bureau").nth(i).get_attribute("data-bureau")
            for i in range(page.locator("path.fc-bureau").count())
        }
        assert shown == set(CUTTABLE_BUREAUX)
        assert page.locator("path.fc-bureau.approx").count() == 0  # Paris's own contours
        _click_bureau(page, "75056_1110")
        turfs = _turfs_shown(page, 0)
        assert page.locator("polyline.fc-turf").count() == turfs
        expect(page.get_by_role("button", name="Enregistrer le découpage")).to_be_enabled()
        page.get_by_role("button", name="Enregistrer le découpage").click()
        page.wait_for_url(f"{base_url}/c/demo/field?msg=plan")
    session.expire_all()
    plans = session.scalars(select(TurfPlan).order_by(TurfPlan.id)).all()
    assert plans[-1].bureaux == ["75056_1110"]
    stored = session.scalars(select(Turf).where(Turf.plan_id == plans[-1].id)).all()
    assert len(stored) == turfs
