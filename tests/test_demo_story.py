"""The demo's story holds on one territory (issue #23): Paris — the campaign, its results, its
contours and census, its contacts, its knowledge base and its field work; the only synthetic
piece (addresses for the field work, as Paris ships no voter-roll addresses) says so."""

from __future__ import annotations

import shapely
from pyproj import Transformer
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.assistant.models import Place
from circo.core.models import Campaign
from circo.core.tenancy import system_context
from circo.crm.models import Contact
from circo.demo import DEMO_SLUG, build_demo
from circo.elections.models import Geometry, IrisIndicator, StationIris
from circo.field import cutmap, service
from circo.field.demo import CUTTABLE_BUREAUX, DEMO_BUREAUX
from circo.field.models import TurfPlan
from circo.runtime import Runtime


def test_the_demo_is_about_paris(runtime: Runtime, session: Session) -> None:
    build_demo(runtime)
    campaign = session.scalar(select(Campaign).where(Campaign.slug == DEMO_SLUG))
    assert campaign is not None
    assert (campaign.territory_code, campaign.name) == ("75056", "Démo — Paris, législatives")
    ctx = system_context(campaign)

    # Real data of the territory: contours, census for the vote by social group, correspondence.
    assert session.scalar(select(Geometry).where(Geometry.code == "75056_1105")) is not None
    cs3 = session.scalar(
        select(IrisIndicator).where(
            IrisIndicator.iris_code.startswith("75111"),
            IrisIndicator.indicator == "C11_POP15P_CS3",
        )
    )
    assert cs3 is not None
    assert session.scalar(select(StationIris).where(StationIris.station_key == "75056_1105"))

    contacts = session.scalars(ctx.scoped(select(Contact), Contact)).all()
    assert contacts
    assert {c.commune_code for c in contacts} == {"75056"}
    places = set(session.scalars(ctx.scoped(select(Place.code), Place)))
    assert {"75056", "75111", "75120"} <= places
    assert not any(code.startswith("69") for code in places)

    # Field work: turfs in three real bureaux of Paris, on synthetic addresses labelled as such.
    plan = session.scalar(ctx.scoped(select(TurfPlan), TurfPlan).order_by(TurfPlan.id).limit(1))
    assert plan is not None
    assert "synthétiques" in plan.name
    turfs = [t for t in service.visible_turfs(session, ctx) if t.plan_id == plan.id]
    assert {t.bureau for t in turfs} == set(DEMO_BUREAUX)
    contours = {
        g.code: shapely.from_geojson(g.geojson)
        for g in session.scalars(select(Geometry).where(Geometry.code.in_(DEMO_BUREAUX)))
    }
    to_lambert = Transformer.from_crs(4326, 2154, always_xy=True)
    for turf in turfs:
        for stop in service.turf_stops(session, ctx, turf_id=turf.id):
            assert "synthétique" in stop.label
            x, y = to_lambert.transform(stop.lon, stop.lat)
            assert contours[str(turf.bureau)].buffer(1).contains(shapely.Point(x, y))
    walk = service.walk_list(session, ctx, turf_id=turfs[0].id)
    assert walk["outline"] is not None
    assert walk["outline"]["approximate"] is False

    # The map cutter offers the bureaux given synthetic addresses, and cuts them.
    cuttable = cutmap.cuttable_bureaux(session, commune="75056")
    assert [b["code"] for b in cuttable] == list(CUTTABLE_BUREAUX)
    # The planner's example of bureaux is the campaign's own (no Concarneau in a Paris demo).
    assert cutmap.example_bureaux(session, commune="75056") == "75056_1101,75056_1102"
    preview = cutmap.preview_turfs(session, bureaux=["75056_1112"], doors_per_turf=50)
    assert preview["turfs"]
    assert preview["doors"] > 0
    # A second run keeps the same points (no duplicates), and the admin can still log in.
    before = sum(b["addresses"] for b in cuttable)
    session.commit()
    assert build_demo(runtime).password
    again = cutmap.cuttable_bureaux(session, commune="75056")
    assert sum(b["addresses"] for b in again) == before
