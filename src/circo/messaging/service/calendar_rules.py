"""The election calendar applied to sends and paid advertising."""

from __future__ import annotations

from datetime import datetime

from circo.core.tenancy import CampaignContext
from circo.messaging.errors import SendRefused
from circo.privacy import CalendarDecision, check_calendar


def sending_decision(ctx: CampaignContext, channel: str, now: datetime) -> CalendarDecision:
    """The calendar rule of a send on ``channel`` at ``now``: L49 blackout for every channel;
    SMS also within contacting hours (used by sends and by automation steps)."""
    return check_calendar(ctx.campaign, now, "sms" if channel == "sms" else "message")


def require_sending_allowed(ctx: CampaignContext, channel: str, now: datetime) -> None:
    """L49 blackout for every channel; SMS also within contacting hours."""
    decision = sending_decision(ctx, channel, now)
    if not decision.allowed:
        raise SendRefused(f"envoi refusé : {decision.reason}", loc=decision.rule)


def require_paid_ads_allowed(ctx: CampaignContext, now: datetime) -> None:
    """L52-1: a paid-advertising integration is refused in the 6 months before the election."""
    decision = check_calendar(ctx.campaign, now, "paid_ads")
    if not decision.allowed:
        raise SendRefused(f"publicité payante refusée : {decision.reason}", loc=decision.rule)
