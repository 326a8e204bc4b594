"""`circo demo --organisation`, `circo groups …` and `circo rollup` as separate processes on
the test's database (SQLite and PostgreSQL): one scenario, the JSON contracts exact."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from circo.config import Settings
from circo.web.app import create_app
from tests.server import run_cli

pytestmark = pytest.mark.timeout(600)

TOTALS = {
    "contacts": int,
    "active_volunteers": int,
    "doors_knocked": int,
    "conversations": int,
    "donations": int,
    "funds_raised_cents": int,
    "events": int,
    "priority_bureaux": int,
    "priority_bureaux_covered": int,
    "reach_rate": float,
    "priority_coverage": (float, type(None)),  # None: no turf plan in the subtree
}


def cli_json(settings: Settings, *args: str) -> Any:
    done = run_cli(settings, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node, *(n for child in node["children"] for n in _nodes(child))]


def test_organisation_demo_groups_and_rollup(settings: Settings) -> None:
    built = run_cli(settings, "demo", "--organisation", "--no-serve")
    assert built.returncode == 0, built.stderr
    added = cli_json(
        settings,
        "groups",
        "add",
        "--parent",
        "fede-69",
        "--name",
        "Groupe de Vaulx",
        "--slug",
        "vaulx",
    )
    assert set(added) == {"id", "slug", "name", "kind", "parent", "depth", "campaign"}
    assert {k: v for k, v in added.items() if k != "id"} == {
        "slug": "vaulx",
        "name": "Groupe de Vaulx",
        "kind": "local",
        "parent": "fede-69",
        "depth": 2,
        "campaign": None,
    }
    assert isinstance(added["id"], int)
    refused = run_cli(
        settings,
        "groups",
        "add",
        "--parent",
        "nulle-part",
        "--name",
        "X",
        "--slug",
        "xx",
        "--json",
    )
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert "groupe : groupe inconnu « nulle-part »" in refused.stderr

    granted = cli_json(
        settings,
        "groups",
        "grant",
        "--group",
        "fede-69",
        "--email",
        "admin@example.org",
        "--role",
        "data",
        "--node-only",
    )
    assert granted == {
        "group": "fede-69",
        "email": "admin@example.org",
        "role": "data",
        "subtree": False,
    }
    published = cli_json(
        settings,
        "groups",
        "publish",
        "--group",
        "fede-69",
        "--kind",
        "training",
        "--title",
        "Formation tractage",
        "--body",
        "Samedi 10 h",
    )
    assert set(published) == {"id", "group", "kind", "title"}
    assert (published["group"], published["kind"]) == ("fede-69", "training")
    bad_kind = run_cli(
        settings,
        "groups",
        "publish",
        "--group",
        "fede-69",
        "--kind",
        "tract",
        "--title",
        "X",
    )
    assert bad_kind.returncode == 2
    assert "type : type de contenu inconnu « tract »" in bad_kind.stderr

    hook = cli_json(
        settings,
        "groups",
        "webhook-add",
        "--group",
        "demo-lyon-1",
        "--url",
        "https://recepteur.example.org/circo",
        "--event",
        "contact.created",
    )
    assert set(hook) == {"id", "group", "url", "events", "secret"}
    assert (hook["group"], hook["events"]) == ("demo-lyon-1", ["contact.created"])
    assert len(hook["secret"]) == 64

    tree = cli_json(settings, "groups", "tree")
    assert set(tree) == {"groups"}
    [national] = tree["groups"]
    nodes = _nodes(national)
    assert all(set(n) == {"slug", "name", "kind", "campaign", "children"} for n in nodes)
    assert national["kind"] == "national"
    assert [n["kind"] for n in national["children"]] == ["federation", "federation"]
    campaigns = sorted(n["campaign"] for n in nodes if n["campaign"])
    assert campaigns == [
        "demo",
        "demo-lyon-1",
        "demo-national",
        "demo-paris-15",
        "demo-villeurbanne",
    ]
    assert {n["slug"] for n in nodes if n["kind"] == "local"} == {
        "demo",
        "demo-lyon-1",
        "demo-paris-15",
        "demo-villeurbanne",
        "vaulx",
    }

    rollup = cli_json(settings, "rollup", "--group", national["slug"])
    assert set(rollup) == {"group", "nodes", "campaigns", "totals", "children"}
    assert rollup["group"] == {
        "slug": national["slug"],
        "name": national["name"],
        "kind": "national",
    }
    assert (rollup["nodes"], rollup["campaigns"]) == (8, 5)  # the national level runs one
    assert set(rollup["totals"]) == set(TOTALS)
    for key, kind in TOTALS.items():
        assert isinstance(rollup["totals"][key], kind), key
    assert rollup["totals"]["contacts"] > 0
    assert rollup["totals"]["doors_knocked"] >= rollup["totals"]["conversations"] > 0
    for child in rollup["children"]:
        assert set(child) == {"slug", "name", "kind", "nodes", "campaigns", "totals"}
        assert set(child["totals"]) == set(TOTALS)
    assert sum(c["totals"]["contacts"] for c in rollup["children"]) == rollup["totals"]["contacts"]
    text = json.dumps(rollup)
    assert "@" not in text  # no email, no person: aggregates only
    assert "first_name" not in text

    # An OSDI token of one node's campaign (docs/party.md, "OSDI API"), used over HTTP.
    token = cli_json(
        settings,
        "groups",
        "api-token",
        "--campaign",
        "demo-lyon-1",
        "--name",
        "site lyon",
        "--scope",
        "read",
    )
    assert set(token) == {"id", "campaign", "name", "scopes", "token"}
    assert (token["campaign"], token["name"], token["scopes"]) == (
        "demo-lyon-1",
        "site lyon",
        ["read"],
    )
    assert isinstance(token["id"], int)
    assert token["token"].startswith("osdi_")
    bad_scope = run_cli(
        settings, "groups", "api-token", "--campaign", "demo-lyon-1", "--scope", "admin"
    )
    assert bad_scope.returncode == 2
    assert "portée : portée inconnue « admin »" in bad_scope.stderr
    with TestClient(create_app(settings)) as client:
        people = client.get("/api/osdi/v1/people", headers={"OSDI-API-Token": token["token"]})
        assert people.status_code == 200, people.text
        lyon_contacts = cli_json(settings, "rollup", "--group", "demo-lyon-1")["totals"]["contacts"]
        assert people.json()["total_records"] == lyon_contacts
        signup = client.post(
            "/api/osdi/v1/people/person_signup_helper",
            json={"person": {"family_name": "Lecture"}},
            headers={"OSDI-API-Token": token["token"]},
        )
        assert signup.status_code == 403  # a read token does not write
    revoked = cli_json(
        settings,
        "groups",
        "api-token-revoke",
        "--campaign",
        "demo-lyon-1",
        "--id",
        str(token["id"]),
    )
    assert revoked == {"id": token["id"], "campaign": "demo-lyon-1", "revoked": True}
    with TestClient(create_app(settings)) as client:
        gone = client.get("/api/osdi/v1/", headers={"OSDI-API-Token": token["token"]})
        assert gone.status_code == 401
