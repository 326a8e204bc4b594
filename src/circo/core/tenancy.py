"""The one scoping helper: who acts, on which campaign, with which role.

Services take a `CampaignContext` built from the authenticated user (web session, API token or
the CLI's ``--campaign``), never a campaign id sent by a client alone. Every query on campaign
data filters on ``ctx.campaign_id`` through `scoped()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select

from circo.core.audit import Actor
from circo.core.errors import PermissionDenied
from circo.core.models import Campaign, Role

ROLE_RANK = {
    Role.admin: 5,
    Role.data: 4,
    Role.comms: 3,
    Role.finance: 3,
    Role.organiser: 2,
    Role.volunteer: 1,
}

T = TypeVar("T", bound=Select[Any])


@dataclass(frozen=True)
class CampaignContext:
    campaign: Campaign
    role: Role
    actor: Actor

    @property
    def campaign_id(self) -> int:
        return self.campaign.id

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    def require(self, *roles: Role) -> None:
        """Refuse unless the user holds one of ``roles`` (admin always may)."""
        if self.role is not Role.admin and self.role not in roles:
            raise PermissionDenied(
                "action réservée aux rôles : " + ", ".join(role.value for role in roles),
                status=403,
            )

    def scoped(self, query: T, model: Any) -> T:
        """Restrict ``query`` to this campaign's rows of ``model`` (which has ``campaign_id``)."""
        return query.where(campaign_filter(model, self))


def campaign_filter(model: Any, campaign: CampaignContext | int) -> ColumnElement[bool]:
    """The condition "this row of ``model`` belongs to the campaign" (a context, or a campaign id
    where no context exists: background jobs, the audit log). The one place it is written — a
    test finds hand-written ``campaign_id ==`` filters elsewhere. ``model`` is a mapped class, an
    alias or a table's columns (``table.c``)."""
    campaign_id = campaign.campaign_id if isinstance(campaign, CampaignContext) else campaign
    condition: ColumnElement[bool] = model.campaign_id == campaign_id
    return condition


def system_context(campaign: Campaign) -> CampaignContext:
    """Context for the CLI and background jobs run by the operator of the instance."""
    return CampaignContext(campaign=campaign, role=Role.admin, actor=Actor())
