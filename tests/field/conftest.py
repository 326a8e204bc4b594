"""Fixtures of the field tests: the app, a client, and two campaigns with turfs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from circo.core.tenancy import system_context
from circo.field import service, sources
from circo.field.models import Turf
from circo.runtime import Runtime
from circo.web.app import create_app
from tests.factories import TwoCampaigns, make_two_campaigns


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime.settings, runtime=runtime)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@dataclass
class FieldWorld:
    campaigns: TwoCampaigns
    turfs_a: list[Turf]
    turfs_b: list[Turf]

    @property
    def assigned(self) -> Turf:
        return self.turfs_a[0]

    @property
    def unassigned(self) -> Turf:
        return self.turfs_a[1]


def make_field_world(session: Session) -> FieldWorld:
    """Campaigns A and B, each with turfs cut from bureau 29039_6 of the shipped REU sample;
    A's first turf is assigned to A's volunteer."""
    world = make_two_campaigns(session)
    addresses = sources.filter_bureaux(
        sources.addresses_from_csv(sources.sample_path()), ["29039_6"]
    )
    turfs: dict[str, list[Turf]] = {}
    for campaign in (world.a, world.b):
        ctx = system_context(campaign)
        plan = service.create_plan(
            session, ctx, addresses=addresses, doors_per_turf=50, source="demo"
        )
        turfs[campaign.slug] = [
            t for t in service.visible_turfs(session, ctx) if t.plan_id == plan.id
        ]
    service.assign(
        session,
        system_context(world.a),
        day=date.today(),
        turf_id=turfs["camp-a"][0].id,
        user_id=world.volunteer_a.id,
    )
    session.commit()
    session.expunge_all()  # plain values from here: reading them never opens a transaction
    return FieldWorld(world, turfs["camp-a"], turfs["camp-b"])


@pytest.fixture
def field_world(session: Session) -> FieldWorld:
    return make_field_world(session)
