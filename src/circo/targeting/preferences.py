"""The campaign's chosen targeting (election round, territory, candidate, weights).

Saved by a data lead from the targeting page; read by the dashboard card and the territory
sheet's "priority bureaux" section. Stored under the ``"targeting"`` key of the campaign's
settings (a JSON bag of `circo.core.models.Campaign`): no table of our own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.orm import Session

from circo.analysis.targeting import TargetingWeights
from circo.core import audit
from circo.core.models import Role
from circo.core.tenancy import CampaignContext

SETTINGS_KEY = "targeting"


@dataclass(frozen=True)
class TargetingChoice:
    election: str  # "pres-2017:1"
    territory: str  # "dep:69"
    candidate: str
    mobilisation: float = 0.5
    persuasion: float = 0.3
    doors: float = 0.2
    transfers_from: str | None = None

    @property
    def weights(self) -> TargetingWeights:
        return TargetingWeights(
            mobilisation=self.mobilisation, persuasion=self.persuasion, doors=self.doors
        )


def load_choice(ctx: CampaignContext) -> TargetingChoice | None:
    stored: Any = (ctx.campaign.settings or {}).get(SETTINGS_KEY)
    if not isinstance(stored, dict):
        return None
    try:
        return TargetingChoice(**stored)
    except TypeError:
        return None


def save_choice(session: Session, ctx: CampaignContext, choice: TargetingChoice) -> None:
    """Remember ``choice`` as the campaign's targeting (data lead or admin only)."""
    ctx.require(Role.data)
    settings = dict(ctx.campaign.settings or {})
    settings[SETTINGS_KEY] = asdict(choice)
    ctx.campaign.settings = settings  # a new dict: the JSON column sees the change
    audit.record(
        session,
        actor=ctx.actor,
        action="targeting.save_choice",
        campaign_id=ctx.campaign_id,
        target_type="campaign",
        target_id=ctx.campaign_id,
        details=asdict(choice),
    )
    session.flush()
