"""Elections pages and JSON API: render on real data, phone-friendly, and tenancy (404)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from circo.elections.geography import import_geo
from circo.elections.importing import import_results
from circo.runtime import Runtime
from circo.web.app import create_app
from tests.data_files import demo_file
from tests.elections.sample_files import cut_rhone, national_paris
from tests.factories import login, make_two_campaigns


def test_pages_and_api(session: Session, runtime: Runtime, tmp_path: Path) -> None:
    make_two_campaigns(session)
    import_results(
        session,
        path=national_paris(round_number=1),
        key="pres-2017",
        round_number=1,
    )
    import_results(
        session,
        path=cut_rhone(tmp_path, round_number=2),
        key="pres-2017",
        round_number=2,
    )
    import_geo(
        session,
        path=demo_file("paris_bureaux_de_vote_2017_wgs84.geojson.gz"),
        kind="bureaux",
    )
    session.commit()
    with TestClient(create_app(runtime.settings, runtime=runtime)) as client:
        login(client, "admin-a@example.org")
        base = "/c/camp-a/elections"
        listing = client.get(base)
        assert listing.status_code == 200
        assert "Présidentielle 2017" in listing.text
        assert 'name="viewport"' in listing.text

        page = client.get(
            f"{base}/results",
            params={"election": "pres-2017", "round": 1, "territory": "com:75056"},
        )
        assert page.status_code == 200
        assert "MACRON" in page.text
        assert "<svg" in page.text
        assert "/elections/bureau/75056_0101?" in page.text

        bureau = client.get(f"{base}/bureau/75056_0101")
        assert bureau.status_code == 200
        assert "MACRON" in bureau.text
        assert client.get(f"{base}/bureau/75056_9999").status_code == 404

        compare = client.get(
            f"{base}/compare", params={"a": "pres-2017:1", "b": "pres-2017:2", "territory": "fr"}
        )
        assert compare.status_code == 200
        assert "Bureaux non appariés" in compare.text

        maps = client.get(f"{base}/maps", params={"territory": "com:75056", "round": 1})
        assert maps.status_code == 200
        assert "<svg" in maps.text
        png = client.get(
            f"{base}/maps/export",
            params={"election": "pres-2017", "round": 1, "territory": "com:75056",
                    "format": "png"},
        )  # fmt: skip
        assert png.content.startswith(b"\x89PNG")

        api = client.get(
            "/api/campaigns/camp-a/elections/results",
            params={"election": "pres-2017", "round": 1, "territory": "dep:75"},
        )
        assert api.status_code == 200
        assert api.json()["stations"] == 896
        evolution = client.get(
            "/api/campaigns/camp-a/elections/evolution",
            params={"a": "pres-2017:1", "b": "pres-2017:2"},
        ).json()
        assert evolution["matched_stations"] == 0
        assert len(evolution["unmatched"]["only_in_a"]) == 896
        ranking = client.get(
            "/api/campaigns/camp-a/elections/ranking",
            params={"election": "pres-2017", "round": 1, "territory": "com:75056", "limit": 3},
        ).json()
        assert len(ranking) == 3
        assert ranking[0]["value"] >= ranking[1]["value"]

        dashboard = client.get("/c/camp-a/")
        assert "Résultats électoraux" in dashboard.text

        # Tenancy: the same pages of campaign B are 404 for a user of campaign A only.
        assert client.get("/c/camp-b/elections").status_code == 404
        assert client.get("/c/camp-b/elections/bureau/75056_0101").status_code == 404
        other_api = client.get(
            "/api/campaigns/camp-b/elections/results",
            params={"election": "pres-2017", "round": 1},
        )
        assert other_api.status_code == 404


def test_empty_pages_render(session: Session, runtime: Runtime) -> None:
    make_two_campaigns(session)
    with TestClient(create_app(runtime.settings, runtime=runtime)) as client:
        login(client, "admin-b@example.org")
        for path in ("", "/results", "/compare", "/maps"):
            response = client.get(f"/c/camp-b/elections{path}")
            assert response.status_code == 200, path
            assert "Aucune élection importée" in response.text
