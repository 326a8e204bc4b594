"""The election calendar, enforced: L49 blackout, L52-1 paid advertising, contacting hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from circo.core.models import Campaign
from circo.privacy.errors import CalendarBlocked

CalendarKind = Literal["message", "paid_ads", "sms", "phone"]
DEFAULT_TIMEZONE = "Europe/Paris"
DEFAULT_POLLS_CLOSE = time(20, 0)
DEFAULT_CONTACT_HOURS = (9, 20)  # from 09:00 to 20:00
DEFAULT_CONTACT_DAYS = (0, 1, 2, 3, 4, 5)  # Monday to Saturday


@dataclass(frozen=True)
class CalendarDecision:
    allowed: bool
    rule: str | None = None  # "L49", "L52-1", "hours"
    reason: str = ""
    warning: str | None = None
    until: datetime | None = None


def vote_days(campaign: Campaign) -> list[date]:
    """The polling days: ``election_date`` and, when set, ``settings["round2_date"]``."""
    days: list[date] = []
    if campaign.election_date:
        days.append(campaign.election_date)
    second = (campaign.settings or {}).get("round2_date")
    if second:
        days.append(date.fromisoformat(str(second)))
    return sorted(days)


def _zone(campaign: Campaign) -> ZoneInfo:
    """The campaign's zone (its column; an older ``settings["timezone"]`` still counts)."""
    legacy = (campaign.settings or {}).get("timezone")
    column = getattr(campaign, "timezone", None)
    chosen = column if column and column != DEFAULT_TIMEZONE else legacy or column
    return ZoneInfo(str(chosen or DEFAULT_TIMEZONE))


def _polls_close(campaign: Campaign) -> time:
    value = (campaign.settings or {}).get("polls_close")
    return time.fromisoformat(str(value)) if value else DEFAULT_POLLS_CLOSE


def _months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + (day.month - 1) - months
    return date(month_index // 12, month_index % 12 + 1, 1)


def check_calendar(
    campaign: Campaign, now: datetime, kind: CalendarKind = "message"
) -> CalendarDecision:
    """May the campaign do ``kind`` at ``now`` (aware datetime)?

    - every outbound communication (``message``, ``sms``, ``phone``): blocked from 00:00 the
      day before each polling day until the polls close (Code électoral L49);
    - ``paid_ads``: blocked from the first day of the 6th month before the election month
      until the last polling day (L52-1), with a warning in the month before;
    - ``sms`` and ``phone``: also only within contacting hours (campaign settings
      ``contact_hours`` [9, 20] and ``contact_days`` Monday–Saturday by default).
    """
    zone = _zone(campaign)
    local = now.astimezone(zone)
    days = vote_days(campaign)
    close = _polls_close(campaign)
    for day in days:
        start = datetime.combine(day - timedelta(days=1), time(0, 0), zone)
        end = datetime.combine(day, close, zone)
        if start <= local < end:
            return CalendarDecision(
                False,
                "L49",
                f"communication interdite du {start:%d/%m/%Y %H:%M} à la clôture du scrutin "
                f"({end:%d/%m/%Y %H:%M}) — Code électoral L49",
                until=end,
            )
    if kind == "paid_ads" and days:
        window_start = datetime.combine(_months_before(days[0], 6), time(0, 0), zone)
        window_end = datetime.combine(days[-1], close, zone)
        if window_start <= local < window_end:
            return CalendarDecision(
                False,
                "L52-1",
                f"publicité commerciale à des fins de propagande interdite du "
                f"{window_start:%d/%m/%Y} au scrutin — Code électoral L52-1",
                until=window_end,
            )
        warn_from = datetime.combine(_months_before(days[0], 7), time(0, 0), zone)
        if warn_from <= local < window_start:
            return CalendarDecision(
                True,
                warning=f"à partir du {window_start:%d/%m/%Y}, la publicité payante sera "
                "interdite (L52-1)",
            )
    if kind in ("sms", "phone"):
        return _check_hours(campaign, local)
    return CalendarDecision(True)


def _check_hours(campaign: Campaign, local: datetime) -> CalendarDecision:
    settings = campaign.settings or {}
    start_hour, end_hour = settings.get("contact_hours") or DEFAULT_CONTACT_HOURS
    days = settings.get("contact_days") or DEFAULT_CONTACT_DAYS
    if local.weekday() not in days or not (start_hour <= local.hour < end_hour):
        return CalendarDecision(
            False,
            "hours",
            f"hors des heures de contact ({start_hour} h – {end_hour} h, "
            f"jours {', '.join(str(day) for day in days)} ; 0 = lundi)",
        )
    return CalendarDecision(True)


def require_calendar(campaign: Campaign, now: datetime, kind: CalendarKind = "message") -> None:
    """`check_calendar`, raising `CalendarBlocked` (HTTP 423, CLI exit 2) when refused."""
    decision = check_calendar(campaign, now, kind)
    if not decision.allowed:
        raise CalendarBlocked(decision.reason, loc=decision.rule)
