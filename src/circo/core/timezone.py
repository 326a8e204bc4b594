"""The campaign's time zone: every date and time is stored in UTC and shown, mailed, exported
and parsed in the zone of the campaign (default Europe/Paris; overseas campaigns pick theirs).

Never the process's zone: the server may run in UTC (or in Tokyo), the campaign lives in Paris.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from circo.errors import CircoError

DEFAULT_ZONE = "Europe/Paris"

# The zones offered first on the settings page: metropolitan France and the overseas
# departments, regions and collectivities (any IANA zone is accepted).
FRENCH_ZONES: dict[str, str] = {
    "Europe/Paris": "France métropolitaine (Paris)",
    "America/Guadeloupe": "Guadeloupe",
    "America/Martinique": "Martinique",
    "America/Cayenne": "Guyane",
    "Indian/Reunion": "La Réunion",
    "Indian/Mayotte": "Mayotte",
    "America/Miquelon": "Saint-Pierre-et-Miquelon",
    "America/St_Barthelemy": "Saint-Barthélemy",
    "America/Marigot": "Saint-Martin",
    "Pacific/Noumea": "Nouvelle-Calédonie",
    "Pacific/Tahiti": "Polynésie française (Tahiti)",
    "Pacific/Marquesas": "Polynésie française (Marquises)",
    "Pacific/Gambier": "Polynésie française (Gambier)",
    "Pacific/Wallis": "Wallis-et-Futuna",
}


class HasZone(Protocol):
    timezone: str


class TimeZoneError(CircoError):
    """An unknown zone name or an unreadable date."""


@cache
def zone(name: str | None) -> ZoneInfo:
    """The zone called ``name`` (IANA); an unknown name is refused, naming it."""
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimeZoneError(
            f"fuseau horaire inconnu « {name} » (attendu un nom IANA, ex. Europe/Paris, "
            "America/Guadeloupe, Indian/Reunion, Pacific/Noumea)",
            loc="timezone",
        ) from None


@cache
def known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_zone(name: str) -> str:
    """``name`` if it is a known IANA zone, else a `TimeZoneError`."""
    cleaned = name.strip()
    if cleaned not in known_zones():
        zone(cleaned or "?")  # raises for an unknown name
    return cleaned


def campaign_zone(campaign: HasZone | None) -> ZoneInfo:
    return zone(getattr(campaign, "timezone", None) or DEFAULT_ZONE)


def to_local(moment: datetime, tz: ZoneInfo | str | None = None) -> datetime:
    """``moment`` (aware; naive means UTC, as stored) in the zone ``tz`` (default Paris)."""
    target = tz if isinstance(tz, ZoneInfo) else zone(tz)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(target)


def parse_local(text: str, tz: ZoneInfo | str | None = None, *, field: str = "date") -> datetime:
    """A date and time typed in a form (``2027-05-20T19:00``, ``2027-05-20 19:00``,
    ``20/05/2027 19:00``) read as wall-clock time in the zone ``tz``, returned in UTC.

    Summer time included: 19:00 in July and 19:00 in December are both 19:00 in Paris. A time
    that does not exist (the hour skipped in March) is refused; an ambiguous one (the hour
    repeated in October) is the first of the two. An explicit offset in the text is kept."""
    target = tz if isinstance(tz, ZoneInfo) else zone(tz)
    cleaned = text.strip()
    moment: datetime | None = None
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        for pattern in ("%d/%m/%Y %H:%M", "%d/%m/%Y %Hh%M", "%d/%m/%Y %H h %M", "%d/%m/%Y"):
            try:
                moment = datetime.strptime(cleaned, pattern)
                break
            except ValueError:
                continue
    if moment is None:
        raise TimeZoneError(
            f"date invalide « {text} » (ex. 2027-05-20T19:00 ou 20/05/2027 19:00)", loc=field
        )
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    local = moment.replace(tzinfo=target, fold=0)
    back = local.astimezone(UTC).astimezone(target)
    if back.replace(tzinfo=None) != moment:
        raise TimeZoneError(
            f"l'heure {moment:%H:%M} du {moment:%d/%m/%Y} n'existe pas à {target.key} "
            "(passage à l'heure d'été) : choisissez une heure plus tard",
            loc=field,
        )
    return local.astimezone(UTC)


def local_today(tz: ZoneInfo | str | None = None) -> date:
    """Today's date in the zone (a volunteer in Nouméa starts their day before Paris does)."""
    return datetime.now(UTC).astimezone(tz if isinstance(tz, ZoneInfo) else zone(tz)).date()


def local_input_value(moment: datetime | None, tz: ZoneInfo | str | None = None) -> str:
    """The value of an ``<input type="datetime-local">`` for ``moment`` in the zone."""
    if moment is None:
        return ""
    return to_local(moment, tz).strftime("%Y-%m-%dT%H:%M")
