"""The election calendar: L49 blackout, L52-1 paid advertising, contacting hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from circo.core.models import Campaign
from circo.privacy.calendar import check_calendar, require_calendar
from circo.privacy.errors import CalendarBlocked

PARIS = ZoneInfo("Europe/Paris")


def campaign_voting_on(day: date, **settings: object) -> Campaign:
    return Campaign(slug="c", name="C", election_date=day, settings=dict(settings))


def test_every_message_is_blocked_when_the_election_is_tomorrow() -> None:
    now = datetime.now(UTC)
    tomorrow = now.astimezone(PARIS).date() + timedelta(days=1)
    campaign = campaign_voting_on(tomorrow)
    for kind in ("message", "sms", "phone", "paid_ads"):
        decision = check_calendar(campaign, now, kind)  # type: ignore[arg-type]
        assert not decision.allowed
        assert decision.rule == "L49"
    with pytest.raises(CalendarBlocked) as caught:
        require_calendar(campaign, now)
    assert caught.value.status == 423
    assert "L49" in caught.value.message


def test_blackout_bounds_are_midnight_the_day_before_and_polls_closing() -> None:
    campaign = campaign_voting_on(date(2027, 6, 13))
    assert check_calendar(campaign, datetime(2027, 6, 11, 23, 59, tzinfo=PARIS)).allowed
    assert not check_calendar(campaign, datetime(2027, 6, 12, 0, 0, tzinfo=PARIS)).allowed
    assert not check_calendar(campaign, datetime(2027, 6, 13, 19, 59, tzinfo=PARIS)).allowed
    assert check_calendar(campaign, datetime(2027, 6, 13, 20, 0, tzinfo=PARIS)).allowed
    second = campaign_voting_on(date(2027, 6, 13), round2_date="2027-06-20")
    assert not check_calendar(second, datetime(2027, 6, 19, 12, 0, tzinfo=PARIS)).allowed


def test_paid_ads_blocked_in_the_six_months_before_the_election_month() -> None:
    campaign = campaign_voting_on(date(2027, 6, 13))
    warned = check_calendar(campaign, datetime(2026, 11, 15, 12, tzinfo=PARIS), "paid_ads")
    assert warned.allowed
    assert warned.warning
    assert "01/12/2026" in warned.warning
    blocked = check_calendar(campaign, datetime(2026, 12, 1, 0, 0, tzinfo=PARIS), "paid_ads")
    assert not blocked.allowed
    assert blocked.rule == "L52-1"
    assert check_calendar(campaign, datetime(2026, 12, 1, 0, 0, tzinfo=PARIS), "message").allowed
    assert check_calendar(campaign, datetime(2027, 6, 14, 12, tzinfo=PARIS), "paid_ads").allowed


def test_sms_and_calls_only_within_contacting_hours() -> None:
    campaign = campaign_voting_on(date(2030, 6, 16))
    monday_noon = datetime(2026, 11, 23, 12, 0, tzinfo=PARIS)
    assert check_calendar(campaign, monday_noon, "sms").allowed
    late = check_calendar(campaign, monday_noon.replace(hour=21), "sms")
    assert not late.allowed
    assert late.rule == "hours"
    sunday = datetime(2026, 11, 22, 12, 0, tzinfo=PARIS)
    assert not check_calendar(campaign, sunday, "phone").allowed
    assert check_calendar(campaign, sunday, "message").allowed
    custom = campaign_voting_on(date(2030, 6, 16), contact_hours=[10, 22], contact_days=[6])
    assert check_calendar(custom, sunday.replace(hour=21), "sms").allowed
