"""Dates, times, numbers and plurals for people, in French (or English when the UI is English),
with babel: "12 décembre 2026 à 19 h", "1 234", "0,7 km", "1 bureau", "3 bureaux".

Dates and times are shown in the campaign's time zone (`circo.core.timezone`), never the
process's. Templates use the Jinja filters registered in `circo.web.templating`; mails, exports
and the CLI call these functions directly.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as babel_date
from babel.dates import format_time as babel_time
from babel.numbers import format_decimal

from circo.core.timezone import to_local
from circo.i18n import DEFAULT_LANGUAGE, LANGUAGES, translate

EMPTY = "—"


def _language(language: str | None) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def format_time(moment: datetime, tz: ZoneInfo | str | None = None, language: str = "fr") -> str:
    """ "19 h", "19 h 30" in French; "7:00 PM" in English (in the zone ``tz``)."""
    local = to_local(moment, tz)
    if _language(language) == "fr":
        return f"{local.hour}\u00a0h" + (f"\u00a0{local.minute:02d}" if local.minute else "")
    return babel_time(local, "short", locale="en")


def format_date(
    value: date | datetime | None,
    tz: ZoneInfo | str | None = None,
    language: str = "fr",
    *,
    style: str = "long",
) -> str:
    """ "12 décembre 2026" (style long), "samedi 12 décembre 2026" (full), "12 déc. 2026"
    (medium), "12/12/2026" (short); a datetime is first put in the zone ``tz``."""
    if value is None:
        return EMPTY
    if isinstance(value, datetime):
        value = to_local(value, tz).date()
    return babel_date(value, style, locale=_language(language))


def format_datetime(
    moment: datetime | None,
    tz: ZoneInfo | str | None = None,
    language: str = "fr",
    *,
    style: str = "long",
) -> str:
    """ "12 décembre 2026 à 19 h" in French, "December 12, 2026 at 7:00 PM" in English."""
    if moment is None:
        return EMPTY
    lang = _language(language)
    day = format_date(moment, tz, lang, style=style)
    joiner = " à " if lang == "fr" else " at "
    return f"{day}{joiner}{format_time(moment, tz, lang)}"


def format_timestamp(
    moment: datetime | None, tz: ZoneInfo | str | None = None, *, seconds: bool = False
) -> str:
    """A compact, sortable local time for tables and exports: "2026-12-12 19:00"."""
    if moment is None:
        return ""
    return to_local(moment, tz).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def format_number(value: float | int | None, digits: int = 0, language: str = "fr") -> str:
    """ "1 234" (narrow no-break space), "0,7" in French; "1,234", "0.7" in English."""
    if value is None:
        return EMPTY
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return str(format_decimal(value, format=pattern, locale=_language(language)))


def format_percent(value: float | None, digits: int = 1, language: str = "fr") -> str:
    if value is None:
        return EMPTY
    sign = "\u00a0%" if _language(language) == "fr" else "%"
    return format_number(value * 100, digits, language) + sign


def plural(count: int | float, singular: str, plural_text: str, language: str = "fr") -> str:
    """ "0 bureau", "1 bureau", "2 bureaux" in French (0 and 1 are singular); "0 polling
    stations" in English (the French words are translated through the catalogue)."""
    lang = _language(language)
    form = Locale.parse(lang).plural_form(count)
    word = singular if form == "one" else plural_text
    number = format_number(count, 0 if float(count).is_integer() else 1, lang)
    return f"{number}\u00a0{translate(lang, word)}"
