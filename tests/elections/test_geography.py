"""Contours, INSEE data, REU addresses and the bureau ↔ IRIS correspondence on real files."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.elections.errors import ImportFailed
from circo.elections.geography import import_geo, import_insee, import_reu
from circo.elections.models import Geometry, StationIris
from circo.elections.service import stations_demographics, territory_demographics
from tests.data_files import demo_file


def test_paris_area_weights_and_demographics(session: Session) -> None:
    bureaux = import_geo(
        session,
        path=demo_file("paris_bureaux_de_vote_2017_wgs84.geojson.gz"),
        kind="bureaux",
    )
    # 896 polygons, 10 duplicated id_bv upstream: 886 distinct bureaux.
    assert bureaux["contours"] == 886
    iris = import_geo(
        session, path=demo_file("paris_iris_contours_lambert93.geojson.gz"), kind="iris"
    )
    assert iris["contours"] == 987
    insee = import_insee(session, path=demo_file("paris_diplomes_2015.csv.gz"))
    assert insee["iris"] == 992
    session.commit()

    links = session.scalars(select(StationIris)).all()
    assert {link.method for link in links} == {"area"}
    by_station: dict[str, float] = defaultdict(float)
    by_iris: dict[str, float] = defaultdict(float)
    for link in links:
        by_station[link.station_key] += link.station_share
        by_iris[link.iris_code] += link.iris_share
    assert len(by_station) == 886
    assert all(abs(total - 1) < 1e-6 for total in by_station.values())
    assert all(total <= 1 + 1e-6 for total in by_iris.values())
    # The bureaux cover ≈ 97 % of Paris (not the Seine): IRIS are fully distributed.
    assert sum(1 for total in by_iris.values() if total > 0.999) > 950

    estimates = stations_demographics(session, ["75056_0101"])["75056_0101"]
    assert estimates["P15_POP0205"] > 0
    paris_total = territory_demographics(session, territory="com:75056")["P15_POP0205"]
    all_stations = stations_demographics(session, sorted(by_station))
    distributed = sum(values.get("P15_POP0205", 0.0) for values in all_stations.values())
    assert 0.9 * paris_total < distributed <= paris_total * (1 + 1e-9)

    communes = session.scalar(
        select(func.count()).select_from(Geometry).where(Geometry.kind == "com")
    )
    assert communes == 21  # 20 arrondissements + Paris


def _commune_as_iris(shared_data: Path, folder: Path) -> Path:
    """Communes not split into IRIS have one IRIS, code commune + "0000", with their contour."""
    source = json.loads(
        (
            shared_data / "fr-reu-adresses-sample-29" / "contours_com_sample_wgs84.geojson"
        ).read_text()
    )
    for feature in source["features"]:
        code = feature["properties"]["code_insee"]
        feature["properties"] = {
            "CODE_IRIS": f"{code}0000", "INSEE_COM": code, "NOM_IRIS": code, "TYP_IRIS": "Z",
        }  # fmt: skip
    target = folder / "iris.geojson"
    target.write_text(json.dumps(source))
    return target


def test_reu_address_weights(session: Session, shared_data: Path, tmp_path: Path) -> None:
    addresses = shared_data / "fr-reu-adresses-sample-29" / "addresses_sample.csv"
    import_geo(session, path=_commune_as_iris(shared_data, tmp_path), kind="iris")
    report = import_reu(session, path=addresses)
    session.commit()
    assert report["addresses"] == 12_335
    counts: dict[str, int] = defaultdict(int)
    commune_totals: dict[str, int] = defaultdict(int)
    with addresses.open() as handle:
        for row in csv.DictReader(handle):
            commune, _, number = row["id_brut_bv_reu"].partition("_")
            counts[f"{commune}_{int(number):04d}"] += int(row["nb_adresses"])
            commune_totals[commune] += int(row["nb_adresses"])
    links = {link.station_key: link for link in session.scalars(select(StationIris)).all()}
    assert {link.method for link in links.values()} == {"addresses"}
    assert len(links) == 31
    for key, link in links.items():
        commune = key.split("_")[0]
        # Points outside their commune's polygon (geocoding noise) are few.
        assert link.iris_share == pytest.approx(counts[key] / commune_totals[commune], rel=0.05)


def test_geo_import_rejects_unknown_kind(session: Session) -> None:
    with pytest.raises(ImportFailed):
        import_geo(
            session,
            path=demo_file("paris_iris_contours_lambert93.geojson.gz"),
            kind="communes",
        )
