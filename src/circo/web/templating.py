"""Jinja2 templates, French first: ``_("Texte")`` translates into the request's language."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, pass_context, select_autoescape

from circo import __version__, labels
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


def _format_number(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def _format_percent(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return _format_number(value * 100, digits) + "\u00a0%"


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
environment.filters["number"] = _format_number
environment.filters["percent"] = _format_percent


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
