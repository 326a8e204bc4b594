"""Stops read as street addresses: a plan cut from REU points (which carry no street) takes the
label of the nearest BAN address imported for the commune — through the CLI, as a subprocess.

The BAN rows are written by the test at known distances from real REU points of the INSEE sample:
ten within a few metres (matched), one 400 m away from its point (not matched)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.field.models import TurfStop
from tests.server import init_campaign, run_cli

REU = Path("fr-reu-adresses-sample-29")


def _points(shared_data: Path, raw_bureau: str) -> list[tuple[float, float]]:
    with (shared_data / REU / "addresses_sample.csv").open(encoding="utf-8") as handle:
        return [
            (float(row["latitude"]), float(row["longitude"]))
            for row in csv.DictReader(handle)
            if row["id_brut_bv_reu"] == raw_bureau
        ]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_plan_stops_get_street_addresses_from_the_ban(
    settings: Settings, session: Session, shared_data: Path, tmp_path: Path
) -> None:
    points = _points(shared_data, "29039_6")
    ban = tmp_path / "adresses-29.csv"
    with ban.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["numero", "rep", "nom_voie", "code_postal", "code_insee", "nom_commune",
                         "lon", "lat"])  # fmt: skip
        shift = 4 / 111_000  # about 4 m north of each REU point
        for number, (lat, lon) in enumerate(points[:10], start=1):
            writer.writerow([number, "", "Rue de l'Essai", "29900", "29039", "Concarneau",
                             lon, lat + shift])  # fmt: skip
        far_lat = points[20][0] + 400 / 111_000
        lon_far = points[20][1] + 400 / (111_000 * math.cos(math.radians(far_lat)))
        writer.writerow([99, "", "Rue Lointaine", "29900", "29039", "Concarneau", lon_far, far_lat])

    init_campaign(settings, "camp-a")
    for args in (
        ("import", "reu", str(shared_data / REU / "addresses_sample.csv")),
        ("contacts", "geo-import", "--ban", str(ban)),
    ):
        done = run_cli(settings, *args)
        assert done.returncode == 0, done.stderr
    planned = run_cli(settings, "field", "plan", "--bureaux", "29039_6", "--json")
    assert planned.returncode == 0, planned.stderr
    assert json.loads(planned.stdout)["plan"]

    stops = session.scalars(select(TurfStop)).all()
    assert len(stops) > 100
    ban_points = {
        f"{number} Rue de l'Essai 29900 Concarneau": (lat + shift, lon)
        for number, (lat, lon) in enumerate(points[:10], start=1)
    }
    ban_points["99 Rue Lointaine 29900 Concarneau"] = (far_lat, lon_far)

    def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
        dy = (a[0] - b[0]) * 110_574
        dx = (a[1] - b[1]) * 111_320 * math.cos(math.radians(a[0]))
        return math.hypot(dx, dy)

    named = 0
    for stop in stops:
        here = (stop.lat, stop.lon)
        nearest = min(ban_points, key=lambda label: metres(here, ban_points[label]))
        if metres(here, ban_points[nearest]) <= 30:
            assert stop.label == nearest
            named += 1
        else:
            assert stop.label == "", (stop.label, metres(here, ban_points[nearest]))
    assert named >= 10
    assert {s.label for s in stops} >= set(list(ban_points)[:10])
    assert not any("Lointaine" in stop.label for stop in stops)
