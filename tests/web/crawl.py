"""Crawl every page a logged-in person can reach and check its rendered text is French.

`crawl(client, start)` follows every same-origin link (GET only, bounded) from ``start`` and
returns each page's rendered text (script and style left out; attributes and URLs are not text).
`internal_words()` lists the strings that must never reach a person: the values of every closed
value set of the models (statuses, channels, roles…), the indicator keys, and English words.
"""

from __future__ import annotations

import enum
import importlib
import re
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.core.models import Campaign, Role
from circo.demo import build_demo
from circo.runtime import Runtime
from tests.factories import make_user

# Values of closed sets that are also ordinary French words (or accepted as such) are allowed.
FRENCH_TOO = {
    "contact",
    "article",
    "programme",
    "date",
    "opposition",
    "rectification",
    "email",
    "sms",
    "admin",
    "post",
    "api",
    "other",  # checked below as an English word anyway
    "national",
    "local",
    "questionnaire",
}
ENGLISH_WORDS = {
    "Field required",
    "None",
    "True",
    "False",
    "null",
    "Not Found",
    "Internal Server Error",
    "Method Not Allowed",
    "Forbidden",
    "Submit",
    "Save",
    "Cancel",
    "Edit",
    "Delete",
    "Search",
    "Loading",
    "Error",
    "Settings",
    "Dashboard",
    "Status",
    "Name",
    "other",
    "unknown",
    "pending",
    "tour",  # "pres-2022 tour 1": a round is named "1er tour", never "tour 1" (checked below)
}
INDICATOR_KEYS = {
    "turnout",
    "abstention_rate",
    "blank_rate",
    "null_rate",
    "registered",
    "expressed",
    "voters",
}
MODEL_MODULES = (
    "circo.core.models",
    "circo.crm.models",
    "circo.field.models",
    "circo.messaging.models",
    "circo.assistant.models",
    "circo.privacy.models",
    "circo.party.models",
)
SKIP_PATHS = ("/logout", "/static/", "/api/")
DOWNLOADS = (".csv", ".xlsx", ".pdf", ".png", ".svg", ".zip", ".geojson", ".json")


def internal_words() -> set[str]:
    from circo.domains import load_domains
    from circo.targeting.routes.common import METHOD_CHOICES

    words: set[str] = set(INDICATOR_KEYS) | set(METHOD_CHOICES) | {"consent", "edit", "merge"}
    words |= set(load_domains().job_handlers)  # job kinds: "targeting.transfers"…
    for module_name in MODEL_MODULES:
        module = importlib.import_module(module_name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, enum.StrEnum):
                if value.__module__ == module_name:
                    words |= {member.value for member in value}
    words -= FRENCH_TOO
    words |= {word for word in ENGLISH_WORDS if word != "tour"}
    return words


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.text: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template", "code"):  # <code>: a key shown as a reference
            self._hidden += 1
        if tag == "a":
            href = dict(attrs).get("href")
            if href and not dict(attrs).get("download"):
                self.links.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template", "code") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.text.append(data)


@dataclass
class CrawlResult:
    texts: dict[str, str] = field(default_factory=dict)  # path → rendered text
    statuses: dict[str, int] = field(default_factory=dict)  # path → status of the GET
    links_from: dict[str, str] = field(default_factory=dict)  # path → first page linking to it


EMAIL_OR_URL = re.compile(
    r"\S+@\S+|https?://\S+|\b[\w-]+\.(?:org|fr|com|csv|pdf|gz|md|txt|html|docx)\b"
    r"|(?<![\w/])/[\w.-]+(?:/[\w.-]+)+"  # a folder on the server (the outbox's, the data dir)
)


def rendered_text(html: str) -> str:
    parser = _Page()
    parser.feed(html)
    return " ".join(" ".join(parser.text).split())


def crawl(
    client: TestClient, start: str, *, limit: int = 300, queries_per_path: int = 3
) -> CrawlResult:
    """Breadth-first GET of every same-origin link from ``start``; a path is visited with at
    most ``queries_per_path`` different query strings (the results of 40 arrondissements
    are one template)."""
    result = CrawlResult()
    queue: deque[str] = deque([start])
    seen = {start}
    per_path: dict[str, int] = {}
    while queue and len(result.statuses) < limit:
        path = queue.popleft()
        response = client.get(path, follow_redirects=True)
        result.statuses[path] = response.status_code
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        parser = _Page()
        parser.feed(response.text)
        result.texts[path] = " ".join(" ".join(parser.text).split())
        here = response.url.path + (f"?{response.url.query}" if response.url.query else "")
        for href in parser.links:
            target = _same_origin_path(here, href)
            if not target or target in seen or target.startswith(SKIP_PATHS):
                continue
            bare = target.split("?")[0]
            if "?" in target:
                if per_path.get(bare, 0) >= queries_per_path:
                    continue
                per_path[bare] = per_path.get(bare, 0) + 1
            seen.add(target)
            result.links_from[target] = path
            queue.append(target)
    return result


def _same_origin_path(current: str, href: str) -> str | None:
    absolute = urljoin(f"http://testserver{current}", urldefrag(href)[0])
    parts = urlsplit(absolute)
    if parts.scheme != "http" or parts.netloc != "testserver":
        return None
    if "lang=" in parts.query or parts.path.endswith(DOWNLOADS):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def offending_words(text: str, words: set[str]) -> set[str]:
    """The internal keys and English words found as whole words in ``text``."""
    cleaned = EMAIL_OR_URL.sub(" ", text)
    found = {word for word in words if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", cleaned)}
    if re.search(r"\b[a-z]+-\d{4}\S*\s+(?:tour|T)\s?\d", cleaned):
        found.add("tour N")
    return found


def demo_with_every_role(runtime: Runtime, session: Session) -> dict[Role, tuple[str, str | None]]:
    """The demo campaign (`circo demo`), its admin and one member per other role →
    (email, password; None: the factories' default password)."""
    credentials = build_demo(runtime)
    campaign = session.scalar(select(Campaign).where(Campaign.slug == "demo"))
    assert campaign is not None
    people: dict[Role, tuple[str, str | None]] = {
        Role.admin: (credentials.email, credentials.password)
    }
    for role in Role:
        if role is not Role.admin:
            email = f"membre-{role.value}@demo.example.org"
            make_user(session, campaign=campaign, email=email, role=role)
            people[role] = (email, None)
    session.commit()
    return people
