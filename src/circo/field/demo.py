"""Demo content of the field domain, in the demo's territory (Paris): **synthetic** addresses
placed inside the real bureau contours of part of the 11e arrondissement and stored as that
commune's REU points and street labels (Paris publishes no voter-roll addresses in the shipped
open data; `circo.field.demo_addresses`), so the map cutter offers those bureaux as it would
after a REU import; turfs cut from three of them, two assignments to the demo admin (so the phone
app has something to show) and a few example visits. Streets and the plan's name say
"synthétique"."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.tenancy import CampaignContext
from circo.db import utcnow
from circo.field import service, sources
from circo.field.demo_addresses import (
    DEMO_POSTAL_CODE,
    store_as_reference_points,
    synthetic_addresses_in_bureaux,
)
from circo.field.models import Turf
from circo.field.visits import VisitIn, sync_visits

DEMO_COMMUNE = "75056"
# Bureaux of the 11e given synthetic addresses (real contours): what the map cutter offers.
CUTTABLE_BUREAUX = tuple(f"75056_11{number:02d}" for number in range(1, 21))
DEMO_BUREAUX = ("75056_1105", "75056_1106", "75056_1107")  # the demo's stored plan
DEMO_VISITS = 40


def seed_demo(session: Session, ctx: CampaignContext, settings: Settings) -> None:
    synthetic = synthetic_addresses_in_bureaux(session, bureaux=list(CUTTABLE_BUREAUX))
    if not synthetic:  # the elections demo did not load Paris's contours
        return
    store_as_reference_points(
        session, synthetic, commune=DEMO_COMMUNE, postal_code=DEMO_POSTAL_CODE
    )
    addresses = sources.reu_addresses(session, station_keys=list(DEMO_BUREAUX))
    plan = service.create_plan(
        session,
        ctx,
        addresses=addresses,
        doors_per_turf=150,
        source="reu",
        name="Démo — Paris 11e, 3 bureaux (adresses synthétiques)",
        election_key="pres-2017",
        bureaux=list(DEMO_BUREAUX),
    )
    turfs = [turf for turf in service.visible_turfs(session, ctx) if turf.plan_id == plan.id]
    admin_id = _admin_id(session, ctx)
    today = utcnow().date()
    for turf in turfs[:2]:
        if admin_id is not None:
            service.assign(session, ctx, day=today, turf_id=turf.id, user_id=admin_id)
    _example_visits(session, ctx, turfs[:3])


def _admin_id(session: Session, ctx: CampaignContext) -> int | None:
    from circo.core.service import list_members

    members = list_members(session, ctx=ctx)
    return members[0].user.id if members else None


def _example_visits(session: Session, ctx: CampaignContext, turfs: list[Turf]) -> None:
    rng = random.Random(7)
    outcomes = ["not_home"] * 5 + ["talked"] * 4 + ["refused", "no_access"]
    support = ["soutien", "plutot_soutien", "indecis", "plutot_contre", "contre"]
    visits: list[VisitIn] = []
    now = utcnow()
    for number in range(DEMO_VISITS):
        turf = turfs[number % len(turfs)]
        stops = service.turf_stops(session, ctx, turf_id=turf.id)
        stop = stops[number % len(stops)]
        outcome = rng.choice(outcomes)
        answers = (
            {"support": rng.choice(support), "quartier": rng.randint(2, 5)}
            if outcome == "talked"
            else {}
        )
        visits.append(
            VisitIn(
                key=f"demo-visit-{number:04d}",
                turf_id=turf.id,
                stop_id=stop.id,
                outcome=outcome,
                answers=answers,
                visited_at=now - timedelta(days=number % 3, minutes=number * 7),
            )
        )
    sync_visits(session, ctx, visits=visits)
