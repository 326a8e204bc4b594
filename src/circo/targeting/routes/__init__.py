"""Targeting pages and JSON API: bureau ranking, vote transfers, group behaviour, diagnostics.

Pages under ``/c/{slug}/targeting…``, JSON under ``/api/campaigns/{slug}/targeting/…``.
Organisers and data leads read the ranking (and export it, audited); running EI fits
(transfers, groups, diagnostics, jobs) is for data leads (admin always may). Election results
are public aggregates shared by every campaign; the campaign scopes the saved choice and jobs.

Long fits: EM, Goodman, LP and ``auto`` (within 10 s) run inside the request; ``md`` goes
through the job queue (`circo.targeting.jobs`) and the page shows the
job's status, refreshing itself until the result is stored.
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter

from circo.targeting.routes import (
    api,
    diagnostics,
    experiments,
    fit_jobs,
    groups,
    ranking,
    scenarios,
    transfers,
)
from circo.targeting.routes.dashboard import NAV_ITEMS, dashboard_cards
from circo.web.templating import add_template_dir

add_template_dir(str(resources.files("circo") / "targeting" / "templates"))

__all__ = ["NAV_ITEMS", "dashboard_cards", "router"]

router = APIRouter()
for _module in (ranking, transfers, fit_jobs, groups, diagnostics, scenarios, experiments, api):
    router.include_router(_module.router)
