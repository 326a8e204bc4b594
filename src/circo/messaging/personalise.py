"""Personalised messages: a French text written once, rendered per recipient.

Templates run in Jinja2's sandbox (no attribute access to Python internals) with a strict
undefined: an unknown variable is a clear error naming it, found when the message is composed
(`check_template`), not half-way through a send. The HTML part is built from the rendered text
(escaped, paragraphs, links made clickable) so the two parts always say the same thing.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, meta
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from circo.messaging.errors import TemplateError

VARIABLES: dict[str, str] = {
    "prenom": "prénom du destinataire",
    "nom": "nom du destinataire",
    "commune": "commune du destinataire",
    "bureau": "bureau de vote du destinataire",
    "point": "titre du point du programme du segment",
    "point_texte": "résumé du point du programme du segment",
    "campagne": "nom de la campagne",
    "lien_desinscription": "lien de désinscription (ajouté en pied de message de toute façon)",
}

_environment = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
_URL = re.compile(r"https?://[^\s<>\"]+")


@dataclass
class Recipient:
    """What a message may say about its recipient (no more than that)."""

    contact_id: int
    first_name: str = ""
    last_name: str = ""
    email: str | None = None
    phone: str | None = None
    commune: str = ""
    bureau: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _variables_list() -> str:
    return ", ".join("{{ " + name + " }}" for name in VARIABLES)


def check_template(text: str, *, loc: str = "message") -> None:
    """Refuse a template with a syntax error or a variable circo does not know."""
    try:
        parsed = _environment.parse(text)
    except TemplateSyntaxError as exc:
        raise TemplateError(
            f"syntaxe invalide ligne {exc.lineno} : {exc.message} (exemple valide : "
            "« Bonjour {{ prenom }}, »)",
            loc=loc,
        ) from exc
    unknown = sorted(meta.find_undeclared_variables(parsed) - VARIABLES.keys())
    if unknown:
        raise TemplateError(
            f"variable inconnue « {{{{ {unknown[0]} }}}} » ; variables disponibles : "
            f"{_variables_list()}",
            loc=loc,
        )


def variables_used(text: str) -> set[str]:
    """The variables a (valid) template refers to."""
    return set(meta.find_undeclared_variables(_environment.parse(text)))


class CompiledMessage:
    """A subject and a body compiled once, rendered for many recipients."""

    def __init__(self, *, subject: str, body: str) -> None:
        check_template(subject, loc="objet")
        check_template(body, loc="corps du message")
        self._subject = _environment.from_string(subject)
        self._body = _environment.from_string(body)

    def render(self, values: dict[str, Any]) -> tuple[str, str]:
        """(subject, text) for one recipient."""
        try:
            subject = self._subject.render(values)
            text = self._body.render(values)
        except UndefinedError as exc:
            raise TemplateError(
                f"{exc.message} ; variables disponibles : {_variables_list()}", loc="message"
            ) from exc
        except SecurityError as exc:
            raise TemplateError(f"opération interdite dans le message : {exc}") from exc
        return " ".join(subject.split()), text


def values_for(
    recipient: Recipient,
    *,
    campaign_name: str,
    point_title: str = "",
    point_summary: str = "",
    unsubscribe_url: str = "",
) -> dict[str, Any]:
    return {
        "prenom": recipient.first_name,
        "nom": recipient.last_name,
        "commune": recipient.commune,
        "bureau": recipient.bureau,
        "point": point_title,
        "point_texte": point_summary,
        "campagne": campaign_name,
        "lien_desinscription": unsubscribe_url,
    }


def text_to_html(text: str, *, footer: str = "", pixel_url: str | None = None) -> str:
    """Escaped paragraphs of ``text`` with clickable links; ``footer`` is trusted HTML."""
    paragraphs = [block.strip() for block in re.split(r"\n\s*\n", text) if block.strip()]
    body = "\n".join(
        "<p>" + _linkify(html.escape(block)).replace("\n", "<br>\n") + "</p>"
        for block in paragraphs
    )
    pixel = f'<img src="{html.escape(pixel_url)}" width="1" height="1" alt="">' if pixel_url else ""
    return (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8"></head>'
        f'<body style="font-family:sans-serif;line-height:1.5">\n{body}\n'
        f'<hr><p style="font-size:small;color:#555">{footer}</p>{pixel}</body></html>'
    )


def _linkify(escaped: str) -> str:
    return _URL.sub(lambda match: f'<a href="{match.group(0)}">{match.group(0)}</a>', escaped)


def rewrite_links(text: str, wrap: Any) -> str:
    """Replace each URL of ``text`` by ``wrap(url)`` (click tracking)."""
    return _URL.sub(lambda match: str(wrap(match.group(0))), text)
