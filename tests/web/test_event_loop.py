"""No database work on the event loop: an ``async def`` endpoint runs on the loop, so one slow
query (or a wait for SQLite's write lock) there stalls every other request. Endpoints are plain
``def`` (FastAPI runs them in the thread pool); only small async dependencies read the body."""

from __future__ import annotations

import asyncio
import html
import inspect
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from circo.assistant.models import Leaflet
from circo.core import jobs
from circo.crm.models import Contact
from circo.messaging.links import Links
from circo.runtime import Runtime
from tests.crm.helpers import ctx_of, make_contact
from tests.factories import login, make_two_campaigns

# Async endpoints allowed on the event loop: none today. Add one only if neither it nor anything
# it calls touches the database or the disk.
ALLOWED_ASYNC_ENDPOINTS: set[str] = set()

# Async dependencies, each allowed for a stated reason.
ALLOWED_ASYNC_DEPENDENCIES = {
    # reads the posted form (CSRF token); no database
    "circo.web.deps.verify_anonymous_csrf",
    # reads the posted form (CSRF token); its lookups go through run_in_threadpool
    "circo.web.deps.optional_user",
    # checks the value given by optional_user; no I/O
    "circo.web.deps.current_user",
    # await request.form(); no database
    "circo.web.deps.form_data",
    # await request.body() / request.form() of the SMS webhooks; no database
    "circo.web.deps.webhook_body",
    # reads a raw upload's bytes (a PV photo), capped at UPLOAD_LIMIT; no database
    "circo.web.deps.upload_body",
}


def _name(call: Callable[..., Any]) -> str:
    return f"{call.__module__}.{call.__qualname__}"


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _dependencies(sub)


def _api_routes(app: FastAPI) -> list[APIRoute]:
    try:  # FastAPI ≥ 0.16x keeps included routers as such in app.routes
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: app.routes is already flat
        flat: list[Any] = list(app.routes)
    else:
        flat = [context.original_route for context in iter_route_contexts(app.routes)]
    routes = [route for route in flat if isinstance(route, APIRoute)]
    assert len(routes) > 100  # every domain's router is included
    return routes


def test_endpoints_are_plain_functions(app: FastAPI) -> None:
    on_loop = sorted(
        f"{sorted(route.methods)} {route.path}: {_name(route.endpoint)}"
        for route in _api_routes(app)
        if inspect.iscoroutinefunction(route.endpoint)
        and _name(route.endpoint) not in ALLOWED_ASYNC_ENDPOINTS
    )
    assert on_loop == []


def test_async_dependencies_are_the_known_body_readers(app: FastAPI) -> None:
    unknown = sorted(
        {
            f"{_name(sub.call)} (used by {route.path})"
            for route in _api_routes(app)
            for sub in _dependencies(route.dependant)
            if sub.call is not None
            and inspect.iscoroutinefunction(sub.call)
            and _name(sub.call) not in ALLOWED_ASYNC_DEPENDENCIES
        }
    )
    assert unknown == []


# --- the same, observed: statements executed while an event loop runs in the thread -----------


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@pytest.fixture
def loop_statements(runtime: Runtime) -> Iterator[list[str]]:
    """SQL statements run on the event loop's thread (any other thread has no running loop)."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        if _on_event_loop():
            seen.append(args[2])

    event.listen(runtime.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(runtime.engine, "before_cursor_execute", record)


def test_the_probe_sees_a_query_run_on_the_loop(
    runtime: Runtime, loop_statements: list[str]
) -> None:
    async def query_on_the_loop() -> None:
        with runtime.factory() as session:
            session.execute(text("SELECT 1"))

    asyncio.run(query_on_the_loop())
    assert "SELECT 1" in loop_statements  # after SQLite's BEGIN
    with runtime.factory() as session:
        session.execute(text("SELECT 2"))
    assert "SELECT 2" not in loop_statements


MARKDOWN = b"""# Programme

## Ecole

Dans chaque ecole de la circonscription, nous limiterons les classes a 24 eleves.
"""


def test_body_reading_endpoints_query_off_the_loop(
    runtime: Runtime, session: Session, client: TestClient, loop_statements: list[str]
) -> None:
    world = make_two_campaigns(session)
    contact = make_contact(session, ctx_of(world.a), last_name="Avant", email="a@example.org")
    session.commit()
    csrf = login(client, "admin-a@example.org")
    loop_statements.clear()

    # crm: contact edit (the CSRF check and the endpoint share the parsed form) and the import
    # wizard
    forged = client.post(
        f"/c/camp-a/contacts/{contact.id}/edit",
        data={"csrf_token": "forged", "last_name": "Pirate"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    edited = client.post(
        f"/c/camp-a/contacts/{contact.id}/edit",
        data={"csrf_token": csrf, "last_name": "Après", "city": "Lyon"},
        follow_redirects=False,
    )
    assert edited.status_code == 303
    upload = client.post(
        "/c/camp-a/contacts/import",
        files={"file": ("c.csv", "Prénom;Nom;Email\nAda;Lovelace;ada@example.org\n".encode())},
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert upload.status_code == 303
    mapping_url = upload.headers["location"]
    preview = client.post(
        mapping_url + "/preview",
        data={"csrf_token": csrf, "map_0": "first_name", "map_1": "last_name", "map_2": "email"},
    )
    assert preview.status_code == 200
    mapping_json = re.search(r'name="mapping_json" value="([^"]*)"', preview.text)
    assert mapping_json
    done = client.post(
        mapping_url + "/commit",
        data={"csrf_token": csrf, "mapping_json": html.unescape(mapping_json.group(1))},
    )
    assert done.status_code == 200, done.text[:500]

    # messaging: the composer (preview) and the SMS webhook, as JSON and as a form
    composed = client.post(
        "/c/camp-a/messages/new",
        data={
            "csrf_token": csrf,
            "action": "preview",
            "channel": "email",
            "subject": "Info",
            "body": "Bonjour",
        },
    )
    assert composed.status_code == 200, re.findall(r"role=\"alert\">([^<]*)", composed.text)
    inbound = Links.of(runtime.settings).inbound_url(world.a.id).replace("http://testserver", "")
    as_json = client.post(inbound, json={"from": "+33612340000", "text": "merci"})
    assert as_json.json() == {"stop": False, "contacts": 0}
    as_form = client.post(inbound, data={"msisdn": "33612340000", "content": "STOP"})
    assert as_form.json() == {"stop": True, "contacts": 0}

    # assistant: page upload, API upload, leaflet editor
    kb = client.post(
        "/c/camp-a/assistant/kb/upload",
        files=[("files", ("programme.md", MARKDOWN, "text/markdown"))],
        data={"csrf_token": csrf, "doc_type": "programme", "territory": "69383"},
    )
    assert "programme.md : added" in kb.text
    api = client.post(
        "/api/campaigns/camp-a/assistant/documents",
        files={"file": ("autre.md", MARKDOWN.replace(b"24", b"25"), "text/markdown")},
        headers={"X-CSRF-Token": csrf},
    )
    assert api.status_code == 200, api.text
    created = client.post(
        "/c/camp-a/assistant/leaflets",
        data={"csrf_token": csrf, "territory": "69383", "topic": "ecole"},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text[:500]
    saved = client.post(
        created.headers["location"],
        data={"csrf_token": csrf, "title": "Nos écoles"},
        follow_redirects=False,
    )
    assert saved.status_code == 303

    assert loop_statements == []
    assert jobs.run_pending(runtime.factory, runtime.settings) == 1  # the queued import
    session.expire_all()
    assert session.get(Contact, contact.id).last_name == "Après"  # type: ignore[union-attr]
    assert session.scalar(select(Contact).where(Contact.email == "ada@example.org")) is not None
    assert session.scalars(select(Leaflet.content)).one()["title"] == "Nos écoles"
