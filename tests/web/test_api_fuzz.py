"""Property-based fuzz of every API operation through the real server (schemathesis).

The OpenAPI document of a real ``circo serve`` process drives schemathesis: for each operation it
generates valid (positive) and invalid (negative) requests — ids, limits, dates, numbers and
strings at and past their bounds, NUL characters, wrong types — as the campaign's admin and as a
volunteer. Every answer must be below 500; a 2xx body (of a valid request) and every 422 must
match the schema the OpenAPI document gives; a 422 carries a French message naming the field.

Budget: ``FUZZ_EXAMPLES`` examples per operation, role and mode on PostgreSQL, a smaller one on
SQLite (the same code paths; SQLite only adds its own type affinities). Set ``CIRCO_FUZZ_EXAMPLES``
to run a longer campaign locally, e.g. ``CIRCO_FUZZ_EXAMPLES=200``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup
from sqlalchemy.orm import Session

from circo.core.models import Campaign, User
from circo.core.service import create_api_token
from circo.party.osdi.tokens import create_token as create_osdi_token
from tests.field.conftest import FieldWorld, make_field_world
from tests.server import LiveServer

EXAMPLES = {"postgresql": 8, "sqlite": 3}
SLUG = "camp-a"
# Operations with no campaign input worth fuzzing or whose work is out of band.
SKIPPED = {
    ("POST", "/api/messaging/sms-inbound/{token}"),  # signed token: every fuzzed value is a 404
}


@dataclass
class Failure:
    role: str
    mode: str
    operation: str
    request: str
    status: int
    detail: str

    def __str__(self) -> str:
        return (
            f"[{self.role}/{self.mode}] {self.operation} → {self.status}\n"
            f"  request: {self.request}\n  {self.detail[:600]}"
        )


def _token(session: Session, email: str) -> str:
    user = session.query(User).filter(User.email == email).one()
    token, _row = create_api_token(session, user=user, name="fuzz")
    return token


def _seed(server: LiveServer, admin_token: str, world: FieldWorld) -> None:
    """A few rows of each kind so that generated ids sometimes hit real ones."""
    headers = {"Authorization": f"Bearer {admin_token}"}
    with server.client(headers=headers) as client:
        for index in range(3):
            created = client.post(
                f"/api/campaigns/{SLUG}/contacts",
                json={
                    "first_name": f"Prénom{index}",
                    "last_name": "Fuzz",
                    "email": f"fuzz{index}@example.org",
                    "tags": ["fuzz"],
                },
            )
            assert created.status_code == 201, created.text
        starts = (datetime.now(UTC) + timedelta(days=3)).isoformat()
        event = client.post(
            f"/api/campaigns/{SLUG}/events", json={"title": "Réunion", "starts_at": starts}
        )
        assert event.status_code == 201, event.text
        segment = client.post(
            f"/api/campaigns/{SLUG}/segments", json={"name": "fuzz", "filters": {"tags": ["fuzz"]}}
        )
        assert segment.status_code == 201, segment.text
        point = client.post(f"/api/campaigns/{SLUG}/messages/points", json={"title": "Écoles"})
        assert point.status_code == 201, point.text
        message = client.post(
            f"/api/campaigns/{SLUG}/messages", json={"subject": "Rentrée", "body": "Bonjour"}
        )
        assert message.status_code == 201, message.text
        document = client.post(
            f"/api/campaigns/{SLUG}/assistant/documents",
            files={"file": ("programme.txt", "Les écoles rouvriront.\n\nLa cantine aussi.")},
        )
        assert document.status_code == 200, document.text
    assert world.turfs_a, "the field world has turfs"


def _describe(case: Case) -> str:
    parts = [f"{case.method} {case.formatted_path}"]
    if case.query:
        parts.append(f"query={case.query!r}")
    if case.body is not None and not isinstance(case.body, type(schemathesis.core.NOT_SET)):
        parts.append(f"body={case.body!r}"[:400])
    return " ".join(parts)


def _check_error_shape(response: httpx.Response) -> str | None:
    """A 422 is circo's error body: the schemas' refusal (``details``, French summary naming the
    first field) or a domain rule's (``loc``)."""
    if response.status_code != 422:
        return None
    payload = response.json()
    if payload.get("error") == "ValidationError":
        if set(payload) != {"error", "message", "details"} or not payload["details"]:
            return f"422 without circo's error shape: {payload!r}"
        if not str(payload["message"]).startswith("requête invalide — "):
            return f"422 message not in French or naming no field: {payload['message']!r}"
    elif set(payload) != {"error", "message", "loc"}:
        return f"422 without circo's error shape: {payload!r}"
    return None


def _fuzz_operation(
    operation: Any, *, base_url: str, token: str, role: str, mode: GenerationMode, examples: int
) -> list[Failure]:
    failures: list[Failure] = []
    label = f"{operation.method.upper()} {operation.path}"
    strategy = operation.as_strategy(generation_mode=mode, path_parameters={"slug": SLUG})
    headers = {"Authorization": f"Bearer {token}"}

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Case) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=60)
        status = response.status_code
        problem: str | None = None
        checks = [not_a_server_error, status_code_conformance]  # every status is documented
        if status >= 400 or (200 <= status < 300 and mode is GenerationMode.POSITIVE):
            checks.append(response_schema_conformance)  # the body the OpenAPI document says
        try:
            case.validate_response(response, checks=checks)
        except FailureGroup as exc:
            problem = str(exc)
        if problem is None and "json" in response.headers.get("content-type", ""):
            problem = _check_error_shape(httpx.Response(status, content=response.content))
        if problem is not None and len(failures) < 3:
            failures.append(Failure(role, mode.value, label, _describe(case), status, problem))

    try:
        run()
    except Unsatisfiable:  # nothing to make invalid (no parameter, no body): nothing to send
        assert mode is GenerationMode.NEGATIVE, f"{label}: no valid request can be generated"
    return failures


@pytest.mark.timeout(900)
def test_no_input_crashes_the_api(live_server: LiveServer, session: Session, backend: str) -> None:
    world = make_field_world(session)
    tokens = {
        "admin": _token(session, "admin-a@example.org"),
        "volunteer": _token(session, "volunteer-a@example.org"),
    }
    # The OSDI API takes a campaign's token with scopes: read and write, and read only.
    campaign = session.query(Campaign).filter(Campaign.slug == SLUG).one()
    osdi_tokens = {
        role: create_osdi_token(session, campaign=campaign, name=f"fuzz {role}", scopes=scopes)[0]
        for role, scopes in (("admin", ["read", "write"]), ("volunteer", ["read"]))
    }
    session.commit()
    _seed(live_server, tokens["admin"], world)
    examples = int(os.environ.get("CIRCO_FUZZ_EXAMPLES", "0")) or EXAMPLES[backend]
    schema = schemathesis.openapi.from_url(f"{live_server.base_url}/api/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50, "every API operation is in the OpenAPI document"
    failures: list[Failure] = []
    only = os.environ.get("CIRCO_FUZZ_ONLY", "")  # a path fragment, to fuzz one area while working
    for operation in operations:
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        if only and only not in operation.path:
            continue
        for role, user_token in tokens.items():
            osdi = operation.path.startswith("/api/osdi/")
            token = osdi_tokens[role] if osdi else user_token
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                failures += _fuzz_operation(
                    operation,
                    base_url=live_server.base_url,
                    token=token,
                    role=role,
                    mode=mode,
                    examples=examples,
                )
    assert not failures, f"{len(failures)} failing cases:\n" + "\n".join(map(str, failures))
