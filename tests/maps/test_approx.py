"""Approximate bureau contours from REU addresses (Voronoi cells merged per bureau, clipped to the
commune), built by the CLI on the real INSEE sample (3 communes of Finistère), then drawn on a
bureau-level map labelled "approximatif"."""

from __future__ import annotations

import csv
import gzip
import itertools
from collections import defaultdict
from pathlib import Path

import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.elections.geography import _to_lambert93
from circo.elections.models import Geometry
from tests.data_files import shared_file
from tests.server import run_cli

REU = Path("fr-reu-adresses-sample-29")
EXPECTED_BUREAUX = {"29039": 17, "29046": 13, "29116": 1}


def _build(settings: Settings, shared_data: Path) -> None:
    imported = run_cli(settings, "import", "reu", str(shared_data / REU / "addresses_sample.csv"))
    assert imported.returncode == 0, imported.stderr
    built = run_cli(
        settings,
        "approx-contours",
        *EXPECTED_BUREAUX,
        "--contours-communes",
        str(shared_data / REU / "contours_com_sample_wgs84.geojson"),
    )
    assert built.returncode == 0, built.stderr
    assert "Commune 29039 : 17 bureaux" in built.stdout + built.stderr
    assert "Commune 29116 : 1 bureau," in built.stdout + built.stderr


def test_approx_contours_partition_each_commune(
    settings: Settings, session: Session, shared_data: Path
) -> None:
    _build(settings, shared_data)
    rows = session.scalars(select(Geometry).where(Geometry.kind == "bva")).all()
    by_commune: dict[str, dict[str, shapely.Geometry]] = defaultdict(dict)
    for row in rows:
        by_commune[str(row.commune_code)][row.code] = shapely.from_geojson(row.geojson)
        assert "approximatif" in row.name
    assert {code: len(shapes) for code, shapes in by_commune.items()} == EXPECTED_BUREAUX

    communes = _commune_shapes(shared_data)
    for code, shapes in by_commune.items():
        union = shapely.union_all(list(shapes.values()))
        # The bureaux tile the commune: no gap, nothing outside, no overlap.
        assert abs(union.area - communes[code].area) / communes[code].area < 0.001
        assert shapely.difference(union, communes[code].buffer(1)).area < 1.0
        for (_, a), (_, b) in itertools.combinations(shapes.items(), 2):
            assert shapely.intersection(a, b).area < 1.0

    # Each address point lies in its own bureau's contour (points shared by two bureaux aside).
    inside = outside = 0
    transformer = _to_lambert93()
    with (shared_data / REU / "addresses_sample.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            commune, _, number = row["id_brut_bv_reu"].partition("_")
            key = f"{commune}_{int(number):04d}"
            x, y = transformer.transform(float(row["longitude"]), float(row["latitude"]))
            if shapely.covers(by_commune[commune][key], shapely.Point(x, y)):
                inside += 1
            else:
                outside += 1
    assert inside / (inside + outside) > 0.99


def test_bureau_map_draws_approximate_contours_labelled(
    settings: Settings, shared_data: Path, tmp_path: Path
) -> None:
    national = shared_file(
        "fr-presidentielle-2017-bv/2017-presidentielle-1_par_bureau_large.csv.gz"
    )
    results = tmp_path / "concarneau.csv"
    with gzip.open(national, "rt", encoding="utf-8") as source, results.open("w") as out:
        header = source.readline()
        out.write(header)
        out.writelines(line for line in source if line.startswith("29,039,"))
    _build(settings, shared_data)
    imported = run_cli(
        settings, "import", "results", str(results), "--election", "pres-2017", "--round", "1"
    )
    assert imported.returncode == 0, imported.stderr
    svg = tmp_path / "carte.svg"
    drawn = run_cli(
        settings, "map", "com:29039", "--election", "pres-2017", "--round", "1",
        "--out", str(svg),
    )  # fmt: skip
    assert drawn.returncode == 0, drawn.stderr
    assert "(17 zones)" in drawn.stdout + drawn.stderr
    text = svg.read_text(encoding="utf-8")
    assert text.count("(contour approximatif)") == 17
    assert "17 contours approximatifs (cellules des adresses du REU)" in text
    assert "par bureau de vote" in text


def _commune_shapes(shared_data: Path) -> dict[str, shapely.Geometry]:
    import json

    from circo.elections.geography import project

    collection = json.loads(
        (shared_data / REU / "contours_com_sample_wgs84.geojson").read_text(encoding="utf-8")
    )
    transformer = _to_lambert93()
    return {
        str(feature["properties"]["code_insee"]): project(feature["geometry"], transformer)
        for feature in collection["features"]
    }
