"""INSEE (IRIS tables, COG) and geography (GeoJSON contours, REU addresses) readers."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from circo.elections.parsers import (
    ParseError,
    indicator_alias,
    read_bureau_contours,
    read_cog_communes,
    read_cog_departments,
    read_cog_regions,
    read_commune_mergers,
    read_iris_contours,
    read_iris_table,
    read_reu_addresses,
)
from tests.data_files import TEST_DATA, demo_file, shared_file

DATA = Path(__file__).parent / "data"


# -- IRIS tables ----------------------------------------------------------------------------


def test_iris_table_semicolon_decimal_comma_and_secret_values() -> None:
    reader = read_iris_table(DATA / "base_ic_pop_2019_semicolon.csv")
    records = list(reader)
    assert reader.info.separator == ";"
    assert reader.info.year == 2019
    assert reader.info.indicators == [
        "P19_POP", "P19_POP0014", "C19_POP15P", "C19_POP15P_CS3", "P19_POP15P",
    ]  # fmt: skip
    assert reader.info.aliases["pop"] == "P19_POP"
    assert reader.info.aliases["pop_15p_cs3"] == "C19_POP15P_CS3"
    assert reader.info.aliases["pop_15p"] == "P19_POP15P"  # P wins; C variant gets "c_"
    assert reader.info.aliases["c_pop_15p"] == "C19_POP15P"
    paris, ain, martinique = records
    assert (paris.iris_code, paris.commune_code, paris.line) == ("751010101", "75101", 2)
    assert paris.values["P19_POP"] == pytest.approx(1523.4)
    assert ain.iris_code == "010040101"  # leading zero restored
    assert ain.values["P19_POP"] is None
    assert ain.values["P19_POP0014"] is None
    assert ain.values["C19_POP15P"] is None
    assert ain.values["C19_POP15P_CS3"] == 12.5
    assert martinique.commune_code == "97209"
    assert martinique.values["P19_POP"] == pytest.approx(75000.5)


def test_iris_table_bad_value_is_a_parse_error() -> None:
    with pytest.raises(ParseError) as caught:
        list(read_iris_table(DATA / "base_ic_bad_value.csv"))
    assert (caught.value.line, caught.value.column) == (3, "P19_POP")
    assert "douze" in str(caught.value)


def test_indicator_aliases() -> None:
    assert indicator_alias("P17_POP") == "pop"
    assert indicator_alias("C17_POP15P_CS3") == "pop_15p_cs3"
    assert indicator_alias("P15_NSCOL15P_DIPLMIN") == "nscol_15p_diplmin"
    assert indicator_alias("DISP_MED15", year_suffix="15") == "disp_med"


def test_real_paris_census_files() -> None:
    diplomas = read_iris_table(demo_file("paris_diplomes_2015.csv.gz"))
    rows = {record.iris_code: record for record in diplomas}
    assert len(rows) == 992
    first = rows["751010101"]
    assert first.commune_code == "75101"
    assert first.values["P15_NSCOL15P_SUP"] == 412
    assert diplomas.info.aliases["nscol_15p_sup"] == "P15_NSCOL15P_SUP"
    assert "LIBIRIS" not in diplomas.info.indicators
    assert "TRIRIS" not in diplomas.info.indicators
    cs8 = read_iris_table(TEST_DATA / "fr-paris-iris-insee" / "RP_2011_CS8_Paris.csv")
    cs_rows = list(cs8)
    assert cs_rows[0].commune_code == "75101"  # no COM column: taken from the IRIS code
    assert cs8.info.aliases["pop_15p_cs3"] == "C11_POP15P_CS3"
    assert cs_rows[0].values["C11_POP15P_CS3"] == 294


def test_real_filosofi_file_of_all_france() -> None:
    income = read_iris_table(shared_file("fr-paris-iris-insee/revenus-2015.csv.gz"))
    by_code = {record.iris_code: record for record in income}
    assert len(by_code) == 12_227
    assert income.info.aliases["disp_med"] == "DISP_MED15"
    assert by_code["010040101"].values["DISP_TP6015"] == pytest.approx(22.6)
    assert by_code["010530604"].values["DISP_TP6015"] is None  # secret (empty)
    assert sum(code.startswith("75") for code in by_code) == 868


# -- COG ------------------------------------------------------------------------------------


def test_cog_tables() -> None:
    communes = {c.code: c for c in read_cog_communes(DATA / "cog_communes_2024.csv")}
    assert communes["75101"].kind == "ARM"
    assert communes["75101"].parent_code == "75056"
    assert communes["01340"].kind == "COMD"
    assert communes["01340"].parent_code == "01015"
    assert communes["2A004"].name == "Ajaccio"
    assert communes["2A004"].region_code == "94"
    departments = {d.code: d for d in read_cog_departments(DATA / "cog_departements_2024.csv")}
    assert departments["971"].name == "Guadeloupe"
    assert departments["2A"].capital == "2A004"
    regions = {r.code: r for r in read_cog_regions(DATA / "cog_regions_2024.csv")}
    assert regions["84"].name == "Auvergne-Rhône-Alpes"


def test_commune_mergers_transitive_and_restored() -> None:
    mergers = read_commune_mergers(DATA / "cog_mouvements_2024.csv")
    assert mergers.resolve("01340") == "01015"  # Saint-Bois → Arboys en Bugey
    assert mergers.resolve("01100") == "01300"  # 01100 → 01200 → 01300
    assert mergers.resolve("01200") == "01300"
    assert mergers.resolve("01150") == "01150"  # merged in 2017, re-established in 2021
    assert mergers.resolve("75056") == "75056"
    assert len(mergers) == 3


def test_cog_missing_columns() -> None:
    with pytest.raises(ParseError, match="COG"):
        list(read_cog_regions(DATA / "unknown_header.csv"))


# -- geography ------------------------------------------------------------------------------


def test_bureau_contours_reu_style_keys() -> None:
    contours = list(read_bureau_contours(DATA / "bureaux_reu_style.geojson"))
    assert [c.station_key for c in contours] == ["91477_0001", "91477_0002"]
    assert contours[0].geometry["type"] == "Polygon"


def test_iris_contours_without_crs_are_assumed_lambert93() -> None:
    reader = read_iris_contours(DATA / "iris_lambert93_no_crs.geojson")
    (contour,) = list(reader)
    assert reader.info.assumed_epsg == 2154
    assert reader.info.reprojected
    assert reader.warnings
    assert "Lambert-93" in reader.warnings[0].message
    lon, lat = contour.geometry["coordinates"]
    assert 4.0 < lon < 5.5
    assert 45.0 < lat < 46.5
    assert (contour.iris_code, contour.commune_code, contour.iris_type) == (
        "690060102", "69006", "H",
    )  # fmt: skip


def test_geojson_without_features_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "not.geojson"
    path.write_text('{"type": "Feature", "geometry": null}', encoding="utf-8")
    with pytest.raises(ParseError, match="features"):
        list(read_iris_contours(path))


def test_real_paris_bureaux_layer() -> None:
    reader = read_bureau_contours(demo_file("paris_bureaux_de_vote_2017_wgs84.geojson.gz"))
    contours = list(reader)
    assert len(contours) == 896
    keys = {c.station_key for c in contours}
    assert len(keys) == 886  # 10 id_bv duplicated upstream ('0201'…'0209', '1039')
    assert len(reader.warnings) == 10
    assert "75056_1905" in keys
    assert all(k.startswith("75056_") for k in keys)
    assert not reader.info.reprojected


def test_real_iris_contours_are_reprojected_to_wgs84() -> None:
    paris = read_iris_contours(demo_file("paris_iris_contours_lambert93.geojson.gz"))
    contours = list(paris)
    assert len(contours) == 987
    assert paris.info.source_epsg == 2154
    lons = [pt[0] for c in contours for poly in c.geometry["coordinates"] for pt in poly[0]]
    lats = [pt[1] for c in contours for poly in c.geometry["coordinates"] for pt in poly[0]]
    assert 2.22 < min(lons)
    assert max(lons) < 2.47
    assert 48.81 < min(lats)
    assert max(lats) < 48.91


def test_real_iris_contours_of_the_rhone() -> None:
    rhone = list(
        read_iris_contours(shared_file("fr-rhone-iris-contours/iris_dep69_lambert93.geojson.gz"))
    )
    assert len(rhone) == 752
    assert all(c.commune_code.startswith("69") for c in rhone)
    assert sum(c.commune_code.startswith("6938") for c in rhone) == 185  # Lyon, by arrondissement
    assert {c.iris_type for c in rhone} <= {"H", "A", "D", "Z"}


def test_reu_addresses_fixture_and_real_sample() -> None:
    rows = list(read_reu_addresses(DATA / "reu_adresses_head.csv"))
    assert [r.station_key for r in rows] == ["29039_0001", "29039_0012", "29039_A3"]
    first = rows[0]
    assert (first.longitude, first.latitude, first.address_count) == (-3.913795, 47.872888, 2)
    assert first.geo_score == pytest.approx(0.96)
    assert first.id == "29039_1_00001"
    assert first.address == "1 Rue de Brest 29000 Quimper"
    assert rows[2].longitude is None
    assert rows[2].address_count == 1
    sample = list(
        read_reu_addresses(TEST_DATA / "fr-reu-adresses-sample-29" / "addresses_sample.csv")
    )
    assert len(sample) == 12_335
    per_commune: dict[str, int] = {}
    for row in sample:
        per_commune[row.commune_code] = per_commune.get(row.commune_code, 0) + 1
    assert per_commune == {"29039": 6849, "29046": 5431, "29116": 55}
    assert len({row.station_key for row in sample}) == 31
    assert all(not math.isnan(row.longitude or 0.0) for row in sample)
