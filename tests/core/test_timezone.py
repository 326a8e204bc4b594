"""The campaign's time zone and French/English formatting (circo.core.timezone,
circo.formatting): pure functions, run in this process whatever its TZ."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from circo.core.timezone import TimeZoneError, check_zone, parse_local, to_local
from circo.formatting import format_date, format_datetime, format_number, plural
from circo.web.templating import environment


@pytest.mark.parametrize(
    ("typed", "zone", "utc_hour"),
    [
        ("2027-07-08T19:00", "Europe/Paris", 17),  # summer time: UTC+2
        ("2027-12-09T19:00", "Europe/Paris", 18),  # winter time: UTC+1
        ("09/12/2027 19:00", "Europe/Paris", 18),
        ("2027-07-08T19:00", "America/Guadeloupe", 23),  # UTC−4, no summer time
        ("2027-07-08T19:00", "Indian/Reunion", 15),  # UTC+4
        ("2027-07-08T19:00", "Pacific/Noumea", 8),  # UTC+11
    ],
)
def test_parse_local_is_wall_clock_time_of_the_campaign(
    typed: str, zone: str, utc_hour: int
) -> None:
    moment = parse_local(typed, zone)
    assert moment.tzinfo is UTC
    assert moment.hour == utc_hour
    assert to_local(moment, zone).strftime("%H:%M") == "19:00"


def test_parse_local_refuses_the_skipped_hour_and_names_the_field() -> None:
    with pytest.raises(TimeZoneError) as caught:
        parse_local("2027-03-28T02:30", "Europe/Paris", field="starts_at")
    assert caught.value.loc == "starts_at"
    assert "n'existe pas" in str(caught.value)
    with pytest.raises(TimeZoneError, match="date invalide « demain »"):
        parse_local("demain", "Europe/Paris")


def test_unknown_zone_is_refused() -> None:
    assert check_zone(" Pacific/Noumea ") == "Pacific/Noumea"
    with pytest.raises(TimeZoneError, match="fuseau horaire inconnu « Europe/Lyon »"):
        check_zone("Europe/Lyon")


def test_french_and_english_formats() -> None:
    december = datetime(2026, 12, 12, 18, 0, tzinfo=UTC)  # 19:00 in Paris
    assert format_datetime(december, "Europe/Paris") == "12 décembre 2026 à 19\u00a0h"
    assert format_datetime(december, "Europe/Paris", style="full").startswith("samedi 12")
    assert format_datetime(december, "Europe/Paris", "en") == "December 12, 2026 at 7:00\u202fPM"
    half_past = datetime(2026, 7, 1, 17, 30, tzinfo=UTC)
    assert format_datetime(half_past, "Europe/Paris").endswith("à 19\u00a0h\u00a030")
    assert format_date(date(2027, 6, 13)) == "13 juin 2027"
    assert format_number(1234) == "1\u202f234"
    assert format_number(0.7, 1) + " km" == "0,7 km"
    assert format_number(1234.5, 1, "en") == "1,234.5"
    assert plural(1, "bureau", "bureaux") == "1\u00a0bureau"
    assert plural(0, "bureau", "bureaux") == "0\u00a0bureau"
    assert plural(1234, "bureau", "bureaux") == "1\u202f234\u00a0bureaux"


def test_filters_use_the_campaign_zone_of_the_page() -> None:
    class Campaign:
        timezone = "Pacific/Noumea"

    class Ctx:
        campaign = Campaign()

    moment = datetime(2027, 7, 8, 8, 0, tzinfo=UTC)
    template = environment.from_string("{{ m|datetime }} | {{ m|time }} | {{ d|date }}")
    rendered = template.render(m=moment, d="2027-06-13", ctx=Ctx(), language="fr")
    assert rendered == "8 juillet 2027 à 19\u00a0h | 19\u00a0h | 13 juin 2027"
    paris = template.render(m=moment, d="2027-06-13", language="fr")  # no campaign: Paris
    assert paris.startswith("8 juillet 2027 à 10\u00a0h")


def test_the_l49_blackout_starts_at_midnight_in_the_campaign_zone() -> None:
    """Nouméa's polling day starts 10 hours before Paris's: at 00:30 the day before, in
    Nouméa (13:30 UTC two days before), messages are already blocked."""
    from circo.core.models import Campaign
    from circo.privacy.calendar import check_calendar

    noumea = Campaign(
        slug="n", name="N", election_date=date(2027, 6, 13), timezone="Pacific/Noumea", settings={}
    )
    just_after = datetime(2027, 6, 11, 13, 30, tzinfo=UTC)  # 12 June 00:30 in Nouméa
    just_before = datetime(2027, 6, 11, 12, 30, tzinfo=UTC)  # 11 June 23:30 in Nouméa
    assert not check_calendar(noumea, just_after, "message").allowed
    assert check_calendar(noumea, just_before, "message").allowed
