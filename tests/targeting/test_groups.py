"""Group behaviour on real Paris data: INSEE CS8 per IRIS → bureaux → EI (CLI, API, page)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from circo.cli import app
from tests.factories import TwoCampaigns, login

runner = CliRunner()
SVG = "{http://www.w3.org/2000/svg}"
CS8 = [
    "Agriculteurs",
    "Artisans, commerçants",
    "Cadres",
    "Prof. intermédiaires",
    "Employés",
    "Ouvriers",
    "Retraités",
    "Autres inactifs",
]


@pytest.mark.usefixtures("paris", "cli_env")
def test_ei_groups_cli_json(backend: str) -> None:
    result = runner.invoke(
        app,
        [
            "ei", "groups", "--election", "pres-2017:1", "--territory", "com:75056",
            "--variables", "cs", "--method", "em", "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert {"method", "global", "intervals", "units", "seconds"} <= set(payload)
    assert payload["method"] == "em"
    assert list(payload["global"]) == CS8
    assert payload["columns_used"]["Cadres"] == "C11_POP15P_CS3"
    options = list(payload["global"]["Cadres"])
    assert options[-3:] == ["Blancs", "Nuls", "Abstention"]
    assert "MACRON" in options
    for group in CS8:
        assert sum(payload["global"][group].values()) == pytest.approx(1.0, abs=1e-9)
        for option in options:
            low, high = payload["intervals"][group][option]
            assert 0 <= low <= high <= 1
    assert payload["stations"] == len(payload["units"]) > 40
    first = payload["units"][0]
    assert set(first["table"]) == set(CS8)
    # cadres vote Macron or Fillon far more than ouvriers abstain-free: a sanity check only
    assert payload["global"]["Cadres"]["Abstention"] < 0.6


@pytest.mark.usefixtures("paris", "cli_env")
def test_ei_groups_bad_variables(backend: str) -> None:
    result = runner.invoke(
        app,
        [
            "ei", "groups", "--election", "pres-2017:1", "--territory", "com:75056",
            "--variables", "diploma", "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "données INSEE manquantes pour « diploma »" in result.output


@pytest.mark.usefixtures("paris")
def test_groups_page_api_and_score_map(client: TestClient, world: TwoCampaigns) -> None:
    login(client, world.admin_a.email)
    page = client.get(
        "/c/camp-a/targeting/groups",
        params={"election": "pres-2017:1", "territory": "com:75056", "method": "em"},
    )
    assert page.status_code == 200, page.text
    assert 'data-testid="coverage-warning"' in page.text
    start = page.text.index('<svg xmlns="http://www.w3.org/2000/svg"')
    end = page.text.index("</svg>", start) + len("</svg>")
    bars = ET.fromstring(page.text[start:end])
    assert bars.get("class") == "group-bars"
    assert len(bars.findall(f".//{SVG}rect")) >= len(CS8) * 3

    api = client.get(
        "/api/campaigns/camp-a/targeting/groups",
        params={"election": "pres-2017:1", "territory": "com:75056", "method": "goodman"},
    )
    assert api.status_code == 200, api.text
    for shares in api.json()["global"].values():
        assert sum(shares.values()) == pytest.approx(1.0, abs=1e-4)

    # Paris has bureau contours: the targeting page draws the score map
    ranking = client.get(
        "/c/camp-a/targeting",
        params={"election": "pres-2017:1", "territory": "com:75056", "candidate": "MACRON"},
    )
    assert ranking.status_code == 200, ranking.text
    start = ranking.text.index('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink')
    end = ranking.text.index("</svg>", start) + len("</svg>")
    choropleth = ET.fromstring(ranking.text[start:end])
    assert len(choropleth.findall(f".//{SVG}path")) > 40
    assert "Score de ciblage" in ranking.text
