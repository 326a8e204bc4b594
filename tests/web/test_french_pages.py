"""Every page of the demo, crawled as an admin (on SQLite and PostgreSQL) and as a volunteer,
speaks French to people.

The demo (`circo demo`'s data) is built in the test database; a client logs in through the real
form and follows every same-origin link (GET only, bounded) of the navigation and of the pages.
A page fails when its rendered text holds an internal key (a value of a closed set of the models,
an indicator key), an English word, a Python dict, or an election named by its key and round
("pres-2022 tour 1"). Every link of the navigation answers 200 for every role.
"""

from __future__ import annotations

import email
import re
from email import policy
from email.message import EmailMessage

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.models import Role
from circo.runtime import Runtime
from tests.factories import login
from tests.web.crawl import (
    crawl,
    demo_with_every_role,
    internal_words,
    offending_words,
    rendered_text,
)

# The admin's crawl runs on both backends (the demo built on PostgreSQL too); the rest on SQLite.
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

NAV_LINK = re.compile(r'<nav class="mainnav".*?</nav>', re.S)
HREF = re.compile(r'href="([^"]+)"')


@pytest.fixture
def demo(runtime: Runtime, session: Session) -> dict[Role, tuple[str, str | None]]:
    return demo_with_every_role(runtime, session)


def _login(client: TestClient, person: tuple[str, str | None]) -> None:
    email, password = person
    if password:
        login(client, email, password)
    else:
        login(client, email)


def _problems(client: TestClient) -> tuple[list[str], list[str]]:
    words = internal_words()
    result = crawl(client, "/c/demo/")
    assert len(result.texts) > 5, result.statuses
    bad_status = [
        f"{status} {path} (lien depuis {result.links_from.get(path)})"
        for path, status in result.statuses.items()
        if status != 200
    ]
    bad_text = []
    for path, text in result.texts.items():
        found = offending_words(text, words)
        if "{'" in text or "': " in text:
            found.add("dict Python")
        if found:
            bad_text.append(f"{path}: {sorted(found)}")
    return bad_status, bad_text


def test_every_page_as_admin_is_french(app: FastAPI, demo: dict) -> None:
    with TestClient(app) as client:
        _login(client, demo[Role.admin])
        bad_status, bad_text = _problems(client)
    assert not bad_status, bad_status
    assert not bad_text, "\n".join(bad_text)


@SQLITE_ONLY
def test_every_page_as_volunteer_is_french_and_never_forbidden(app: FastAPI, demo: dict) -> None:
    with TestClient(app) as client:
        _login(client, demo[Role.volunteer])
        bad_status, bad_text = _problems(client)
    assert not bad_status, bad_status  # a volunteer never sees a link answering 403
    assert not bad_text, "\n".join(bad_text)


@SQLITE_ONLY
def test_every_nav_link_answers_for_every_role(app: FastAPI, demo: dict) -> None:
    for role in Role:
        with TestClient(app) as client:
            _login(client, demo[role])
            page = client.get("/c/demo/")
            nav = NAV_LINK.search(page.text)
            assert nav, role
            links = HREF.findall(nav.group(0))
            assert links, role
            for href in links:
                answer = client.get(href)
                assert answer.status_code == 200, (role, href, answer.status_code)
            text = rendered_text(nav.group(0))
            assert not offending_words(text, internal_words()), (role, text)


@SQLITE_ONLY
def test_export_headers_are_french(app: FastAPI, demo: dict) -> None:
    with TestClient(app) as client:
        _login(client, demo[Role.admin])
        segments = client.get("/c/demo/segments").text
        export = re.search(r'href="(/c/demo/segments/\d+/export\.csv)"', segments)
        assert export, "the demo has a segment with a CSV export"
        files = {path: client.get(path) for path in (export.group(1), "/c/demo/field/export.csv")}
    for path, answer in files.items():
        assert answer.status_code == 200, path
        first_line = answer.text.lstrip("\ufeff").splitlines()[0]
        header = re.split(r"[;,]", first_line)
        assert len(header) > 3, (path, header)
        assert not offending_words(" ".join(header), internal_words()), (path, header)
        keys = [name for name in header if re.fullmatch(r"[a-z]+(_[a-z]+)+", name)]
        assert not keys, (path, header)


@SQLITE_ONLY
def test_compare_defaults_to_a_pair_with_bureaux_in_common(app: FastAPI, demo: dict) -> None:
    with TestClient(app) as client:
        _login(client, demo[Role.admin])
        page = client.get("/c/demo/elections/compare")
    assert page.status_code == 200
    matched = re.search(r"Bureaux comparés : <strong>([\d\u202f]+)</strong>", page.text)
    assert matched, rendered_text(page.text)[:2000]
    assert int(matched.group(1).replace("\u202f", "")) > 0
    assert "Écart (points)" in page.text
    differences = re.findall(r'data-testid="difference">([^<]+)<', page.text)
    assert any(re.fullmatch(r"[+−]\d+,\d", value) for value in differences), differences
    assert "Présidentielle 2017 — 1er tour" in rendered_text(page.text)


@SQLITE_ONLY
def test_form_error_names_the_field_in_french_and_links_back(app: FastAPI, demo: dict) -> None:
    with TestClient(app) as client:
        _login(client, demo[Role.admin])
        token = re.search(
            r'name="csrf-token" content="([^"]+)"', client.get("/c/demo/segments").text
        )
        assert token
        answer = client.post(
            "/c/demo/segments",
            data={"csrf_token": token.group(1), "tags": "parents"},
            headers={"referer": "http://testserver/c/demo/segments"},
        )
    assert answer.status_code == 422
    text = rendered_text(answer.text)
    assert "nom : champ obligatoire manquant" in text, text
    assert "body." not in text
    assert "Field required" not in text
    assert 'href="/c/demo/segments" data-history-back>Revenir au formulaire' in answer.text


@SQLITE_ONLY
def test_a_mail_speaks_french(app: FastAPI, demo: dict, settings: Settings) -> None:
    """The composer's "M'envoyer un test" mail (written to the outbox without SMTP)."""
    with TestClient(app) as client:
        _login(client, demo[Role.admin])
        page = client.get("/c/demo/messages/new").text
        token = re.search(r'name="csrf-token" content="([^"]+)"', page)
        assert token
        answer = client.post(
            "/c/demo/messages/new",
            data={
                "csrf_token": token.group(1),
                "channel": "email",
                "segment": "all",
                "subject": "Réunion publique",
                "body": "Bonjour {{ prenom }}, rendez-vous jeudi à {{ commune }}.",
                "action": "test",
            },
        )
    assert answer.status_code == 200, rendered_text(answer.text)[:1000]
    sent = sorted((settings.data_dir / "outbox").glob("*.eml"))
    assert sent
    mail = email.message_from_bytes(sent[-1].read_bytes(), policy=policy.default)
    assert isinstance(mail, EmailMessage)
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "Bonjour" in text
    found = offending_words(f"{mail['subject']} {text}", internal_words())
    assert not found, (found, text)


@SQLITE_ONLY
def test_territories_by_name_in_the_knowledge_base_and_sheet(app: FastAPI, demo: dict) -> None:
    with TestClient(app) as client:
        _login(client, demo[Role.admin])
        kb = rendered_text(client.get("/c/demo/assistant/kb").text)
        sheet = rendered_text(client.get("/c/demo/elections/sheet?territory=com:75056").text)
    assert "Paris (75056)" in kb
    assert "Présidentielle 2017 — 1er tour pres-2017" in sheet  # the key as secondary text
    assert "Présidentielle 2017 — second tour" in sheet
    assert "installé" not in sheet  # no "module not installed" when targeting is simply unset
    assert "Aucun ciblage enregistré" in sheet
