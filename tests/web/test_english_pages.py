"""With the English locale, the pages are English: every page of the demo, crawled as an
admin and as a volunteer after choosing EN, has no French in its chrome (top bar, navigation,
footer), its page title, its headings, form labels, buttons, table headers and menus.

French is recognised by its accented letters and its short grammatical words ("de", "les",
"pour"…), which English text does not use; data is left out: the campaign's name and the
elections' names as imported ("Présidentielle 2017"). Printable documents (the territory sheet)
are French by design and not checked.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.assistant.models import Riposte
from circo.core.models import Role
from circo.elections.models import Election
from circo.reach.models import CallList, DropRound, PosterRound, PublicForm, TextCampaign
from circo.runtime import Runtime
from tests.factories import login
from tests.web.crawl import crawl, demo_with_every_role

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

FRENCH = re.compile(
    r"[éèêàçùîôûëïœÉÈÊÀÇ]"
    r"|\b(?:de|des|du|le|la|les|et|pour|sur|une|aux|au|avec|par|dans|votre|vos|aucun|aucune"
    r"|ou|mes|mon|ma|se|ne|pas)\b"
)
CAMPAIGN_NAME = "Démo — Paris, législatives"


class _Chrome(HTMLParser):
    """Text of the page's title, top bar, navigation, footer, headings, labels, buttons, table
    headers and menus."""

    WATCHED = frozenset(
        {"title", "header", "nav", "footer", "h1", "h2", "label", "button", "th", "summary"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: dict[str, list[str]] = {}
        self._open: list[str] = []
        self._svg = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "svg":  # a drawn map or chart: a figure with its own legend, not the chrome
            self._svg += 1
        if self._svg:
            return
        if tag in self.WATCHED:
            self._open.append(tag)
        for name, value in attrs:  # words people read in attributes of the chrome
            if self._open and name in ("aria-label", "title") and value:
                self.parts.setdefault(self._open[0], []).append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg" and self._svg:
            self._svg -= 1
        if self._svg:
            return
        if tag in self.WATCHED and tag in self._open:
            self._open.remove(tag)

    def handle_data(self, data: str) -> None:
        if self._open and not self._svg and data.strip():
            self.parts.setdefault(self._open[0], []).append(data.strip())


def french_in_chrome(html: str, data: list[str]) -> list[str]:
    parser = _Chrome()
    parser.feed(html)
    found = []
    for part, texts in parser.parts.items():
        for text in texts:
            cleaned = text
            for value in data:
                cleaned = cleaned.replace(value, "")
            if cleaned.strip() in ("FR",):  # the language switch names French in French
                continue
            if FRENCH.search(cleaned):
                found.append(f"{part}: {text}")
    return found


@pytest.fixture
def demo(runtime: Runtime, session: Session) -> dict[Role, tuple[str, str | None]]:
    return demo_with_every_role(runtime, session)


@pytest.fixture
def data_names(demo: dict[Role, tuple[str, str | None]], session: Session) -> list[str]:
    """Names that are data, not interface: the campaign's, the elections', and what the team
    typed — call lists', forms', drop and check rounds' names, ripostes' claims (longest
    first)."""
    names = {CAMPAIGN_NAME}
    columns = (
        Election.name,
        CallList.name,
        PublicForm.name,
        TextCampaign.name,
        Riposte.claim,
        DropRound.name,
        DropRound.leaflet,
        PosterRound.name,
    )
    for column in columns:
        names |= {name for name in session.scalars(select(column)) if name}
    session.rollback()
    return sorted(names, key=len, reverse=True)


@pytest.mark.parametrize("role", [Role.admin, Role.volunteer])
def test_every_page_in_english_has_english_chrome_titles_and_headings(
    app: FastAPI, demo: dict[Role, tuple[str, str | None]], data_names: list[str], role: Role
) -> None:
    email, password = demo[role]
    problems: list[str] = []
    with TestClient(app) as client:
        if password:
            login(client, email, password)
        else:
            login(client, email)
        assert 'lang="en"' in client.get("/c/demo/?lang=en").text
        result = crawl(client, "/c/demo/")
        assert len(result.texts) > 5, result.statuses
        for path in result.texts:
            page = client.get(path)
            if 'class="topbar"' not in page.text:
                continue  # a printable document (territory sheet): French by design
            assert '<html lang="en">' in page.text, path
            found = french_in_chrome(page.text, [email, *data_names])
            problems += [f"{path} — {text}" for text in found]
    assert problems == [], "\n".join(problems[:80])
