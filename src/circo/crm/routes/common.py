"""What every page module of the organising domain shares: role dependencies and small helpers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends
from fastapi.responses import RedirectResponse

from circo.core.models import Role
from circo.core.tenancy import CampaignContext
from circo.web.deps import require_role

STAFF = (Role.data, Role.comms, Role.organiser)
DataDep = Annotated[CampaignContext, Depends(require_role(Role.data))]
StaffDep = Annotated[CampaignContext, Depends(require_role(*STAFF))]
SegmentsDep = Annotated[CampaignContext, Depends(require_role(Role.data, Role.comms))]
OrganiserDep = Annotated[CampaignContext, Depends(require_role(Role.data, Role.organiser))]
PAGE_SIZE = 50


def now() -> datetime:
    from circo.db import utcnow

    return utcnow()


def back_to(ctx: CampaignContext, path: str, msg: str = "ok") -> RedirectResponse:
    return RedirectResponse(f"/c/{ctx.campaign.slug}/{path}?msg={msg}", status_code=303)


def csv_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]
