"""Turf cutting and walking routes (circo.field.turfs, circo.field.routing): pure, fixed seeds."""

from __future__ import annotations

import itertools
import json
import math
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from circo.field.routing import haversine_path_m, order_route, path_length
from circo.field.turfs.inputs import read_addresses_csv, synthetic_addresses
from circo.field.turfs.output import compactness_ratio, plan_to_json, route_to_mst_ratio, turf_svg
from circo.field.turfs.plan import Address, Turf, TurfInputError, TurfPlan, cut_turfs

TARGET = 50


@pytest.fixture(scope="module")
def town() -> list[Address]:
    return synthetic_addresses(2500, n_bureaux=6, random_state=3)


@pytest.fixture(scope="module")
def plan(town: list[Address]) -> TurfPlan:
    return cut_turfs(town, doors_per_turf=TARGET, random_state=0)


def _buildings(turf: Turf) -> set[tuple[float, float]]:
    return {(address.lat, address.lon) for address in turf.addresses}


def _street_runs(turf: Turf, street_of: dict[str, str | None]) -> int:
    return len([street for street, _ in itertools.groupby(street_of[a.id] for a in turf.addresses)])


# --------------------------------------------------------------------------- cutting rules


def test_every_address_is_in_exactly_one_turf(town: list[Address], plan: TurfPlan) -> None:
    placed = Counter(address_id for turf in plan.turfs for address_id in turf.address_ids)
    assert set(placed) == {address.id for address in town}
    assert set(placed.values()) == {1}
    assert plan.unassigned == ()


def test_turfs_never_mix_bureaux(plan: TurfPlan) -> None:
    for turf in plan.turfs:
        assert {address.bureau for address in turf.addresses} == {turf.bureau}


def test_turf_sizes_respect_the_caps(plan: TurfPlan) -> None:
    remainders: Counter[str | None] = Counter()
    for turf in plan.turfs:
        assert turf.doors == sum(address.dwellings for address in turf.addresses)
        if turf.doors > 1.25 * TARGET:
            assert len(_buildings(turf)) == 1, f"{turf.id} has {turf.doors} doors"
        if turf.doors < 0.5 * TARGET:
            remainders[turf.bureau] += 1
    assert all(count <= 1 for count in remainders.values()), remainders


def test_a_building_is_never_split(plan: TurfPlan) -> None:
    turf_of_building: dict[tuple[float, float], str] = {}
    for turf in plan.turfs:
        for building in _buildings(turf):
            assert turf_of_building.setdefault(building, turf.id) == turf.id


def test_an_oversized_building_is_a_turf_of_its_own() -> None:
    houses = [
        Address(f"h{i}", 48.11 + 0.0001 * (i % 10), -1.68 + 0.0001 * (i // 10), 1, "B1")
        for i in range(60)
    ]
    tower = Address("tower", 48.1112, -1.6795, 90, "B1")
    plan = cut_turfs([*houses, tower], doors_per_turf=TARGET)
    (own,) = [turf for turf in plan.turfs if "tower" in turf.address_ids]
    assert own.address_ids == ["tower"]
    assert own.doors == 90
    assert sum(turf.doors for turf in plan.turfs) == 150


def test_a_small_bureau_is_one_remainder_turf() -> None:
    addresses = [Address(f"a{i}", 48.0 + 0.0001 * i, 2.0, 2, "small") for i in range(8)]
    plan = cut_turfs(addresses, doors_per_turf=TARGET)
    assert [turf.doors for turf in plan.turfs] == [16]


def test_mix_bureaux_lets_a_turf_cross_a_boundary() -> None:
    # two bureaux of 30 doors each side by side: alone each is a remainder, mixed they fill a turf
    addresses = [
        Address(f"{b}{i}", 48.0 + 0.0001 * i, 2.0 + 0.0002 * (b == "y"), 3, b)
        for b in ("x", "y")
        for i in range(10)
    ]
    assert len(cut_turfs(addresses, doors_per_turf=TARGET).turfs) == 2
    (mixed,) = cut_turfs(addresses, doors_per_turf=TARGET, mix_bureaux=True).turfs
    assert mixed.doors == 60
    assert mixed.bureau is None


def test_the_cut_is_compact_and_routes_are_short(plan: TurfPlan) -> None:
    assert compactness_ratio(plan) <= 1.3
    ratios = [route_to_mst_ratio(turf) for turf in plan.turfs]
    assert max(ratios) <= 1.5


def test_interleaved_strips_score_about_two() -> None:
    line = [Address(f"p{i}", 48.0, 2.0 + 0.0002 * i, 1, "B") for i in range(40)]
    strips = TurfPlan(
        turfs=tuple(Turf(f"s{k}", "B", tuple(line[k::2]), 20, 0.0) for k in range(2)),
        unassigned=(),
        doors_per_turf=20,
    )
    assert compactness_ratio(strips) == pytest.approx(2.0, rel=0.05)


def test_cutting_is_deterministic(town: list[Address], plan: TurfPlan) -> None:
    again = cut_turfs(town, doors_per_turf=TARGET, random_state=0)
    assert plan_to_json(again) == plan_to_json(plan)


def test_invalid_coordinates_are_unassigned() -> None:
    addresses = [
        Address("ok", 48.1, -1.6),
        Address("nan", math.nan, -1.6),
        Address("far", 123.0, -1.6),
    ]
    plan = cut_turfs(addresses)
    assert plan.unassigned == ("nan", "far")
    assert [turf.address_ids for turf in plan.turfs] == [["ok"]]


def test_empty_input_gives_an_empty_plan() -> None:
    assert plan_to_json(cut_turfs([])) == {"turfs": [], "unassigned": []}


@pytest.mark.parametrize(
    ("addresses", "kwargs", "expected"),
    [
        ([Address("a", 48.0, 2.0), Address("a", 48.1, 2.0)], {}, "duplicate id 'a'"),
        ([Address("a", 48.0, 2.0, dwellings=0)], {}, "dwellings must be a whole number"),
        ([Address("a", 48.0, 2.0)], {"doors_per_turf": 0}, "doors_per_turf must be at least 1"),
    ],
)
def test_bad_input_is_refused(
    addresses: list[Address], kwargs: dict[str, int], expected: str
) -> None:
    with pytest.raises(TurfInputError, match=expected):
        cut_turfs(addresses, **kwargs)


# --------------------------------------------------------------------------- routes


def test_routes_visit_every_address_once_with_buildings_together(plan: TurfPlan) -> None:
    for turf in plan.turfs:
        assert len(set(turf.address_ids)) == len(turf.address_ids)
        points = [(a.lat, a.lon) for a in turf.addresses]
        runs = [point for point, _ in itertools.groupby(points)]
        assert len(runs) == len(set(points)), f"{turf.id} leaves a building and comes back"


def test_routes_keep_streets_together(town: list[Address], plan: TurfPlan) -> None:
    street_of = {address.id: address.street for address in town}
    anonymous = [Address(a.id, a.lat, a.lon, a.dwellings, a.bureau) for a in town]
    blind = cut_turfs(anonymous, doors_per_turf=TARGET)
    runs = sum(_street_runs(turf, street_of) for turf in plan.turfs)
    blind_runs = sum(_street_runs(turf, street_of) for turf in blind.turfs)
    fewest = sum(len({street_of[a.id] for a in turf.addresses}) for turf in plan.turfs)
    assert runs < blind_runs
    assert runs <= 1.2 * fewest


def test_order_route_is_near_optimal_on_small_sets() -> None:
    rng = np.random.default_rng(7)
    for _ in range(30):
        xy = rng.uniform(0, 200, size=(int(rng.integers(3, 8)), 2))
        order = order_route(xy, random_state=0)
        assert sorted(order.tolist()) == list(range(len(xy)))
        best = min(path_length(xy[list(p)]) for p in itertools.permutations(range(len(xy))))
        assert path_length(xy[order]) <= 1.02 * best + 1e-9


def test_walk_m_is_the_straight_line_path_in_walking_order(plan: TurfPlan) -> None:
    for turf in plan.turfs[:20]:
        lat = np.array([a.lat for a in turf.addresses])
        lon = np.array([a.lon for a in turf.addresses])
        assert turf.walk_m == pytest.approx(haversine_path_m(lat, lon))
    # 0.001° of latitude is 111.2 m
    (turf,) = cut_turfs([Address("a", 48.0, 2.0), Address("b", 48.001, 2.0)]).turfs
    assert turf.walk_m == pytest.approx(111.195, rel=1e-4)


# --------------------------------------------------------------------------- output


def test_plan_to_json_has_the_cli_shape(plan: TurfPlan) -> None:
    payload = plan_to_json(plan)
    assert json.loads(json.dumps(payload)) == payload
    assert set(payload) == {"turfs", "unassigned"}
    turfs = payload["turfs"]
    assert isinstance(turfs, list)
    ids = [turf["id"] for turf in turfs]
    assert len(set(ids)) == len(ids)
    for entry, turf in zip(turfs, plan.turfs, strict=True):
        assert set(entry) == {"id", "bureau", "address_ids", "doors", "walk_m"}
        assert entry["address_ids"] == turf.address_ids
        assert isinstance(entry["doors"], int)
        assert isinstance(entry["walk_m"], float)
        assert entry["bureau"] == turf.bureau


def test_turf_svg_is_a_numbered_sketch(plan: TurfPlan) -> None:
    turf = plan.turfs[0]
    root = ET.fromstring(turf_svg(turf))
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    assert len(root.findall(f"{ns}polyline")) == 1
    stops = len([p for p, _ in itertools.groupby((a.lat, a.lon) for a in turf.addresses)])
    assert len(root.findall(f"{ns}circle")) == stops
    labels = [text.text for text in root.findall(f"{ns}text")]
    assert labels[:stops] == [str(n) for n in range(1, stops + 1)]


# --------------------------------------------------------------------------- CSV


def _write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "adresses.csv"
    path.write_text(text, encoding=encoding)
    return path


def test_read_addresses_csv_accepts_semicolons_bom_and_decimal_commas(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "id;lat;lon;dwellings;bv;street\n"
        "1;48,1173;-1,6778;4;0001;Rue de Paris\n"
        "\n"
        "2;48.118;-1.678;;;\n",
        encoding="utf-8-sig",
    )
    addresses = read_addresses_csv(path, bureau_column="bv")
    assert addresses == [
        Address("1", 48.1173, -1.6778, 4, "0001", "Rue de Paris"),
        Address("2", 48.118, -1.678, 1, None, None),
    ]


def test_read_addresses_csv_without_bureau_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "id,lat,lon\na,48.1,-1.6\n")
    assert read_addresses_csv(path) == [Address("a", 48.1, -1.6)]


@pytest.mark.parametrize(
    ("text", "kwargs", "where", "what"),
    [
        ("id,lat,lon\na,north,-1.6\n", {}, "line 2, column 'lat'", "got 'north'"),
        ("id,lat,lon\na,48.1,-1.6\nb,48.1,-181\n", {}, "line 3, column 'lon'", "-180 and 180"),
        ("id,lat,lon\na,95,-1.6\n", {}, "line 2, column 'lat'", "-90 and 90"),
        ("id,lat,lon\na,,-1.6\n", {}, "line 2, column 'lat'", "an empty cell"),
        ("ident,lat,lon\na,48.1,-1.6\n", {}, "line 1", "missing column 'id'"),
        ("id,lat,lon\na,48.1,-1.6\na,48.2,-1.6\n", {}, "line 3, column 'id'", "first on line 2"),
        ("id,lat,lon,dwellings\na,48.1,-1.6,2.5\n", {}, "column 'dwellings'", "got '2.5'"),
        ("id,lat,lon\na,48.1\n", {}, "line 2", "expected 3 fields"),
        ("id,lat,lon\na,48.1,-1.6\n", {"bureau_column": "bv"}, "line 1", "missing column 'bv'"),
        ("", {}, "adresses.csv", "the file is empty"),
    ],
)
def test_read_addresses_csv_names_file_line_and_column(
    tmp_path: Path, text: str, kwargs: dict[str, str], where: str, what: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(TurfInputError) as caught:
        read_addresses_csv(path, **kwargs)
    message = str(caught.value)
    assert str(path) in message
    assert where in message
    assert what in message


def test_read_addresses_csv_refuses_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("id,lat,lon\né,48.1,-1.6\n".encode("latin-1"))
    with pytest.raises(TurfInputError, match="not UTF-8"):
        read_addresses_csv(path)


def test_csv_round_trip_through_the_cutter(tmp_path: Path, town: list[Address]) -> None:
    lines = ["id,lat,lon,dwellings,bureau"]
    lines += [f"{a.id},{a.lat},{a.lon},{a.dwellings},{a.bureau}" for a in town[:300]]
    path = _write(tmp_path, "\n".join(lines) + "\n")
    plan = cut_turfs(read_addresses_csv(path), doors_per_turf=TARGET)
    assert sum(turf.doors for turf in plan.turfs) == sum(a.dwellings for a in town[:300])
