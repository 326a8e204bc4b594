"""Jinja2 templates, French first: ``_("Texte")`` translates into the request's language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from circo import __version__, formatting, labels
from circo.core.timezone import DEFAULT_ZONE, local_input_value
from circo.i18n import translate
from circo.web.registry import grouped

_TEMPLATE_DIRS: list[str] = [str(resources.files("circo") / "web" / "templates")]


def add_template_dir(path: str) -> None:
    """Domains may keep their templates beside their code (``circo/<domain>/templates``)."""
    if path not in _TEMPLATE_DIRS:
        _TEMPLATE_DIRS.append(path)
        environment.loader = ChoiceLoader([FileSystemLoader(folder) for folder in _TEMPLATE_DIRS])


environment = Environment(
    loader=ChoiceLoader([FileSystemLoader(folder) for folder in _TEMPLATE_DIRS]),
    autoescape=select_autoescape(["html", "xml", "svg"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _language_of(context: Context) -> str:
    return str(context.get("language") or "fr")


def _zone_of(context: Context, tz: str | None) -> str:
    """The zone to show a time in: explicit, else the page's campaign, else Paris."""
    if tz:
        return tz
    for name in ("ctx", "campaign"):
        holder = context.get(name)
        campaign = getattr(holder, "campaign", holder)
        found = getattr(campaign, "timezone", None)
        if isinstance(found, str) and found:
            return found
    return DEFAULT_ZONE


@pass_context
def _number_filter(context: Context, value: float | int | None, digits: int = 0) -> str:
    return formatting.format_number(value, digits, _language_of(context))


@pass_context
def _percent_filter(context: Context, value: float | None, digits: int = 1) -> str:
    return formatting.format_percent(value, digits, _language_of(context))


@pass_context
def _datetime_filter(
    context: Context, value: datetime | None, style: str = "long", tz: str | None = None
) -> str:
    return formatting.format_datetime(
        value, _zone_of(context, tz), _language_of(context), style=style
    )


@pass_context
def _date_filter(
    context: Context,
    value: date | datetime | str | None,
    style: str = "long",
    tz: str | None = None,
) -> str:
    if isinstance(value, str):  # an ISO date kept as text (JSON)
        text = value
        try:
            value = datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
        except ValueError:
            return text
    return formatting.format_date(value, _zone_of(context, tz), _language_of(context), style=style)


@pass_context
def _time_filter(context: Context, value: datetime | None, tz: str | None = None) -> str:
    if value is None:
        return formatting.EMPTY
    return formatting.format_time(value, _zone_of(context, tz), _language_of(context))


@pass_context
def _timestamp_filter(context: Context, value: datetime | None, tz: str | None = None) -> str:
    return formatting.format_timestamp(value, _zone_of(context, tz)) or formatting.EMPTY


@pass_context
def _local_input_filter(context: Context, value: datetime | None, tz: str | None = None) -> str:
    return local_input_value(value, _zone_of(context, tz))


@pass_context
def _plural_filter(context: Context, count: int | float, singular: str, plural: str) -> str:
    return formatting.plural(count, singular, plural, _language_of(context))


ELECTION_LABELS = {
    "presidentielle": "Présidentielle",
    "legislatives": "Législatives",
    "europeennes": "Européennes",
    "municipales": "Municipales",
    "departementales": "Départementales",
    "regionales": "Régionales",
    "other": "Autre scrutin",
}

environment.filters["election_label"] = lambda kind: ELECTION_LABELS.get(kind, kind)
environment.filters["number"] = _number_filter
environment.filters["percent"] = _percent_filter
# Dates and times in the campaign's zone and the page's language (circo.formatting):
# {{ event.starts_at|datetime }} → "12 décembre 2026 à 19 h"; |date, |time, |timestamp
# ("2026-12-12 19:00", for tables), |local_input (value of a datetime-local field);
# {{ n|plural("bureau", "bureaux") }} → "1 bureau", "1 234 bureaux".
environment.filters["datetime"] = _datetime_filter
environment.filters["date"] = _date_filter
environment.filters["time"] = _time_filter
environment.filters["timestamp"] = _timestamp_filter
environment.filters["local_input"] = _local_input_filter
environment.filters["plural"] = _plural_filter


def gettext_for(language: str) -> Callable[..., str]:
    def _(message: str, **values: object) -> str:
        return translate(language, message, **values)

    return _


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    language = getattr(request.state, "language", "fr")
    values: dict[str, Any] = {
        "request": request,
        "_": gettext_for(language),
        "language": language,
        "version": __version__,
        "user": getattr(request.state, "user", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "ctx": getattr(request.state, "ctx", None),
        "nav": getattr(request.state, "nav", []),
        "flash": request.query_params.get("msg"),
    }
    values.update(context or {})
    html = environment.get_template(template).render(values)
    return HTMLResponse(html, status_code=status)


@pass_context
def _label_filter(context: Any, value: Any, kind: str) -> str:
    return labels.label(value, kind, context.get("language", "fr"))


@pass_context
def _segment_filter(context: Any, filters: Any) -> str:
    values = filters.model_dump() if hasattr(filters, "model_dump") else dict(filters or {})
    return labels.segment_sentence(values, context.get("language", "fr"))


environment.filters["label"] = _label_filter  # internal keys → words (circo.web.labels)
environment.filters["segment_sentence"] = _segment_filter
environment.globals["LABELS"] = labels.LABELS
environment.globals["round_label"] = labels.round_label
environment.globals["nav_groups"] = grouped
environment.globals["election_title"] = labels.election_title
