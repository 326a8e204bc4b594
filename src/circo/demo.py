"""The demo campaign: a real area with real open data, so circo can be tried in one command.

`build_demo` drops any previous demo campaign and recreates it; each domain adds its demo content
through a function ``seed_demo(session, ctx, settings)`` listed in `DEMO_SEEDERS`.
"""

from __future__ import annotations

import importlib
from datetime import date

from sqlalchemy import delete, select

from circo.core.bootstrap import Credentials, create_campaign_with_admin
from circo.core.models import Campaign
from circo.core.tenancy import system_context
from circo.runtime import Runtime

DEMO_SLUG = "demo"
DEMO_ADMIN = "admin@example.org"

# "module:function" seeders, run in this order on the fresh demo campaign.
DEMO_SEEDERS: list[str] = [
    "circo.elections.demo:seed_demo",
    "circo.crm.demo:seed_demo",
    "circo.field.demo:seed_demo",
    "circo.assistant.demo:seed_demo",
    "circo.messaging.demo:seed_demo",
]


def build_demo(runtime: Runtime) -> Credentials:
    with runtime.session() as session:
        session.execute(delete(Campaign).where(Campaign.slug == DEMO_SLUG))
    with runtime.session() as session:
        credentials = create_campaign_with_admin(
            session,
            slug=DEMO_SLUG,
            name="Démo — Lyon, législatives",
            election_type="legislatives",
            admin_email=DEMO_ADMIN,
            territory_code="69123",
            territory_name="Lyon",
            election_date=date(2027, 6, 13),
        )
        campaign = session.scalar(select(Campaign).where(Campaign.slug == DEMO_SLUG))
        assert campaign is not None
        ctx = system_context(campaign)
        for target in DEMO_SEEDERS:
            module_name, function_name = target.split(":")
            getattr(importlib.import_module(module_name), function_name)(
                session, ctx, runtime.settings
            )
    return credentials
