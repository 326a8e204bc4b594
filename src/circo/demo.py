"""The demo campaign: a real area with real open data, so circo can be tried in one command.

The area is Paris (75056): among the open data shipped with circo it is the territory where the
most modules have real data (results per bureau, bureau and IRIS contours, census and income per
IRIS). What is missing there — voter-roll addresses for the field work — is synthetic and says so
on every page that shows it.

`build_demo` drops any previous demo campaign and recreates it; each domain adds its demo content
through a function ``seed_demo(session, ctx, settings)`` declared in the manifest
(`circo.domains`, ``Domain.demo``), run in the manifest's order.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select

from circo.core.bootstrap import Credentials, create_campaign_with_admin
from circo.core.models import Campaign
from circo.core.tenancy import system_context
from circo.domains import load_domains
from circo.elections.demo import TERRITORY_CODE, TERRITORY_NAME
from circo.runtime import Runtime

DEMO_SLUG = "demo"
DEMO_ADMIN = "admin@example.org"


def build_demo(runtime: Runtime) -> Credentials:
    with runtime.session() as session:
        session.execute(delete(Campaign).where(Campaign.slug == DEMO_SLUG))
    with runtime.session() as session:
        credentials = create_campaign_with_admin(
            session,
            slug=DEMO_SLUG,
            name="Démo — Paris, législatives",
            election_type="legislatives",
            admin_email=DEMO_ADMIN,
            reset_password=True,
            territory_code=TERRITORY_CODE,
            territory_name=TERRITORY_NAME,
            election_date=date(2027, 6, 13),
        )
        campaign = session.scalar(select(Campaign).where(Campaign.slug == DEMO_SLUG))
        assert campaign is not None
        ctx = system_context(campaign)
        for seed_demo in load_domains().demo_seeders:
            seed_demo(session, ctx, runtime.settings)
    return credentials
