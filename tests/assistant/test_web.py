"""Web pages and JSON API of the assistant, with tenancy (campaign A cannot see B's documents)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.assistant.conftest import PROGRAMME_MD
from tests.factories import login, make_two_campaigns

from circo.assistant.demo import seed_demo
from circo.core.tenancy import system_context
from circo.runtime import Runtime
from circo.web.app import create_app


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime.settings, runtime=runtime)) as test_client:
        yield test_client


def test_pages_api_and_tenancy(client: TestClient, session: Session, runtime: Runtime) -> None:
    world = make_two_campaigns(session)
    seed_demo(session, system_context(world.b), runtime.settings)
    session.commit()
    csrf = login(client, "admin-a@example.org")
    headers = {"X-CSRF-Token": csrf}

    upload = client.post(
        "/c/camp-a/assistant/kb/upload",
        files=[("files", ("programme.md", PROGRAMME_MD.encode(), "text/markdown"))],
        data={"csrf_token": csrf, "doc_type": "programme", "territory": "69383"},
    )
    assert upload.status_code == 200
    assert "programme.md : added" in upload.text
    page = client.get("/c/camp-a/assistant", params={"q": "retraites"})
    assert page.status_code == 200
    assert "62 ans" in page.text
    assert "Voir dans le document" in page.text
    link = re.search(r'href="(/c/camp-a/assistant/passages/\d+\?start=\d+&amp;end=\d+)"', page.text)
    assert link
    context = client.get(link.group(1).replace("&amp;", "&"))
    assert context.status_code == 200
    assert "<mark>" in context.text

    answer = client.get("/api/campaigns/camp-a/assistant/ask", params={"q": "l'école"}).json()
    assert "24 élèves" in answer["points"][0]["text"]
    citation = answer["points"][0]["citations"][0]
    passage = client.get(
        f"/api/campaigns/camp-a/assistant/passages/{citation['passage_id']}",
        params={"start": citation["start"], "end": citation["end"]},
    ).json()
    assert passage["quote"] == citation["quote"]

    stream = client.get("/api/campaigns/camp-a/assistant/ask/stream", params={"q": "tramway"})
    assert stream.headers["content-type"].startswith("text/event-stream")
    events = re.findall(r"event: (\w+)", stream.text)
    assert events[0] == "start"
    assert "point" in events
    assert events[-1] == "done"

    rebuttal = client.post(
        "/api/campaigns/camp-a/assistant/rebut",
        json={"claim": "Les extraterrestres ont envahi Lyon"},
        headers=headers,
    )
    assert rebuttal.json()["verdict"] == "unverified"
    assert (
        client.get("/c/camp-a/assistant/rebut", params={"claim": "retraite à 62 ans"}).status_code
        == 200
    )

    created = client.post(
        "/c/camp-a/assistant/leaflets",
        data={"csrf_token": csrf, "territory": "69383", "topic": "école"},
    )
    assert created.status_code == 200
    assert "24 élèves" in created.text
    editor_url = str(created.url).replace("http://testserver", "")
    saved = client.post(
        editor_url,
        data={
            "csrf_token": csrf,
            "title": "Nos écoles avant tout",
            "item-0-0": "Des classes de 24 élèves au plus.",
        },
    )
    assert "Nos écoles avant tout" in saved.text
    assert "Des classes de 24 élèves au plus." in saved.text
    pdf = client.get(editor_url + "/export.pdf")
    assert pdf.content.startswith(b"%PDF")
    kb = client.get("/c/camp-a/assistant/kb")
    assert kb.status_code == 200
    assert "programme.md" in kb.text
    assert "Base documentaire" in client.get("/c/camp-a/").text

    # Campaign B's documents are invisible to A: lists, search, documents, passages → 404.
    documents_b = client.get("/api/campaigns/camp-b/assistant/documents")
    assert documents_b.status_code == 404
    mine = client.get("/api/campaigns/camp-a/assistant/documents").json()
    assert [doc["source"] for doc in mine] == ["programme.md"]
    with runtime.session() as other:
        from sqlalchemy import select

        from circo.assistant.models import Document, Passage

        foreign_doc = other.scalar(select(Document.id).where(Document.campaign_id == world.b.id))
        foreign_passage = other.scalar(select(Passage.id).where(Passage.campaign_id == world.b.id))
    assert client.get(f"/api/campaigns/camp-a/assistant/documents/{foreign_doc}").status_code == 404
    assert (
        client.get(f"/api/campaigns/camp-a/assistant/passages/{foreign_passage}").status_code == 404
    )
    assert client.get(f"/c/camp-a/assistant/passages/{foreign_passage}").status_code == 404
    deleted = client.delete(
        f"/api/campaigns/camp-a/assistant/documents/{foreign_doc}", headers=headers
    )
    assert deleted.status_code == 404
    hits = client.get("/api/campaigns/camp-a/assistant/search", params={"q": "urgences"}).json()
    assert hits == []


def test_volunteer_reads_but_cannot_manage(client: TestClient, session: Session) -> None:
    make_two_campaigns(session)
    csrf = login(client, "volunteer-a@example.org")
    assert client.get("/c/camp-a/assistant", params={"q": "retraites"}).status_code == 200
    assert client.get("/c/camp-a/assistant/kb").status_code == 403
    response = client.post(
        "/api/campaigns/camp-a/assistant/documents",
        files={"file": ("a.md", b"# A\n\nTexte.", "text/markdown")},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 403
    assert json.loads(response.text)["error"] == "PermissionDenied"
