"""Results night through the web app (both backends): the phone's PV API (idempotent, PV
checks, conflicts), the live aggregation with a reference election and its anomalies, the
projection, the HQ screen, and the export read back by `circo night enter`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.core.tenancy import system_context
from circo.electionday.models import NightResult
from circo.electionday.service import enter_file
from circo.elections.importing import import_results
from tests.data_files import shared_file
from tests.factories import login, make_two_campaigns

RHONE = "fr-presidentielle-2017-rhone-mi/2017-bronze_burvot_t{round}_rhone_69.csv"
API = "/api/campaigns/camp-a/night"


def _cut(round_number: int, folder: Path, rows: int) -> Path:
    source = shared_file(RHONE.format(round=round_number))
    header, *lines = source.read_text(encoding="utf-8").splitlines()
    path = folder / f"t{round_number}.csv"
    path.write_text("\n".join([header, *lines[:rows]]) + "\n", encoding="utf-8")
    return path


def _pv(client_id: str, **change: Any) -> dict[str, Any]:
    body = {
        "entry_key": client_id, "election": "pres-2017", "round": 2, "station": "69001_0001",
        "registered": 257, "voters": 218, "blank": 20, "null_votes": 7, "valid_votes": 191,
        "candidates": [{"name": "Emmanuel MACRON", "votes": 93},
                       {"name": "Marine LE PEN", "votes": 98}],
    }  # fmt: skip
    body.update(change)
    return body


def test_phone_entry_aggregation_projection_and_export(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    world = make_two_campaigns(session)
    import_results(session, path=_cut(1, tmp_path, 60), key="pres-2017", round_number=1)
    night_file = _cut(2, tmp_path, 30)
    report = enter_file(session, system_context(world.a), election="pres-2017", round_number=2,
                        path=night_file)  # fmt: skip
    session.commit()
    assert report["added"] == 30
    csrf = login(client, "volunteer-a@example.org")
    headers = {"X-CSRF-Token": csrf}

    # the phone sends a PV already entered from the file, with the same figures: a confirmation
    first = client.post(f"{API}/pv", json=_pv("phone-0001-aaaa"), headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "confirmed"
    again = client.post(f"{API}/pv", json=_pv("phone-0001-aaaa"), headers=headers)
    assert again.json() == {**first.json(), "status": "already"}
    # different figures for the same bureau: refused, both versions named
    moved = [{"name": "Emmanuel MACRON", "votes": 94}, {"name": "Marine LE PEN", "votes": 97}]
    conflict = client.post(f"{API}/pv", json=_pv("phone-0002-bbbb", candidates=moved),
                           headers=headers)  # fmt: skip
    assert conflict.status_code == 409
    assert "t2.csv, ligne 2" in conflict.json()["message"]
    assert "saisie sur téléphone" in conflict.json()["message"]
    wrong = client.post(f"{API}/pv", json=_pv("phone-0003-cccc", station="69999_0001",
                                              voters=219), headers=headers)  # fmt: skip
    assert wrong.status_code == 422
    assert "votants (219) ≠ blancs + nuls + exprimés" in wrong.json()["message"]
    # a bureau not in the file: added (its département found in the imported elections)
    added = client.post(f"{API}/pv", json=_pv("phone-0004-dddd", station="69999_0007"),
                        headers=headers)  # fmt: skip
    assert added.json()["status"] == "added"
    assert session.scalar(select(func.count()).select_from(NightResult)) == 31
    session.commit()  # end the test's read: SQLite lets the app write

    staff = TestClient(client.app)
    login(staff, "admin-a@example.org")
    query = {"election": "pres-2017", "round": 2, "reference": "pres-2017:1", "level": "dep"}
    aggregate = staff.get(f"{API}/aggregate", params=query).json()
    total = aggregate["total"]
    assert total["counted_bureaux"] == 31
    assert total["expected_bureaux"] == 61  # 60 bureaux in the reference + one new
    assert 0 < total["registered_share"] < 1
    assert [c["name"] for c in total["candidates"]] == ["Emmanuel MACRON", "Marine LE PEN"]
    assert {a["kind"] for a in aggregate["anomalies"]} <= {"turnout", "registered"}
    projection = staff.get(f"{API}/project", params={**query, "territory": "69"}).json()
    assert projection["reported_bureaux"] == 31
    assert projection["expected_bureaux"] == 61
    assert projection["assumptions"]

    page = staff.get("/c/camp-a/night", params=query)
    assert page.status_code == 200
    assert "Présidentielle 2017 — second tour" in page.text
    assert "Projection du résultat final" in page.text
    screen = staff.get("/c/camp-a/night", params={**query, "screen": 1})
    assert screen.headers["refresh"] == "30"
    assert "Emmanuel MACRON" in screen.text
    volunteer_page = client.get("/c/camp-a/night/pv/")
    assert volunteer_page.status_code == 200
    assert 'value="Emmanuel MACRON"' in volunteer_page.text
    assert client.get("/c/camp-a/night").status_code == 403  # the aggregation is the staff's

    export = staff.get("/c/camp-a/night/export.csv", params={"election": "pres-2017", "round": 2})
    exported = tmp_path / "export.csv"
    exported.write_bytes(export.content)
    again_report = enter_file(session, system_context(world.a), election="pres-2017",
                              round_number=2, path=exported)  # fmt: skip
    assert again_report["added"] == 0
    assert again_report["confirmed"] == 31  # every PV read back with the same figures
    session.commit()
    # campaign B sees nothing of campaign A's night
    other = TestClient(client.app)
    login(other, "admin-b@example.org")
    assert other.get("/api/campaigns/camp-b/night/aggregate",
                     params=query).json()["total"]["counted_bureaux"] == 0  # fmt: skip
