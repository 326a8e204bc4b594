"""INSEE, contours and REU imports, and the bureau ↔ IRIS correspondence.

Contours are stored in Lambert-93 metres (EPSG:2154): areas and overlaps are then plain planar
computations, and maps are drawn without another projection. Each import replaces the rows of the
same keys (idempotent) and only ``flush``es (atomic in the caller's transaction). After contours
or REU addresses change, the correspondence of the touched départements is recomputed:

* by **addresses** where REU points exist: each point falls in one IRIS; a bureau's share of an
  IRIS is its number of addresses there over the IRIS's addresses;
* else by **area overlap** of the bureau and IRIS contours (shapely).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from circo.elections.errors import ImportFailed
from circo.elections.importing import parse_error, table_of
from circo.elections.models import (
    Geometry,
    Iris,
    IrisIndicator,
    ReuAddress,
    StationIris,
)
from circo.elections.parsers.codes import department_of_commune
from circo.elections.parsers.errors import ParseError
from circo.elections.territories import PLM

CHUNK = 5000
MIN_SHARE = 1e-4
KINDS = {"bureaux": "bv", "iris": "iris"}


def _to_lambert93() -> Transformer:
    return Transformer.from_crs(4326, 2154, always_xy=True)


def project(geometry: dict[str, Any], transformer: Transformer) -> BaseGeometry:
    """WGS84 GeoJSON mapping → valid shapely geometry in Lambert-93."""
    shp = shape(geometry)
    projected = shapely.transform(
        shp, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
    )
    if not projected.is_valid:
        projected = shapely.make_valid(projected)
    return projected


def _geometry_row(
    kind: str, code: str, name: str, commune: str, geom: BaseGeometry
) -> dict[str, Any]:
    min_x, min_y, max_x, max_y = geom.bounds
    return {
        "kind": kind,
        "code": code,
        "name": name[:200],
        "commune_code": commune,
        "department_code": department_of_commune(commune),
        "geojson": shapely.to_geojson(geom),
        "area": float(geom.area),
        "min_x": min_x,
        "min_y": min_y,
        "max_x": max_x,
        "max_y": max_y,
    }


def _replace_geometries(session: Session, kind: str, rows: list[dict[str, Any]]) -> None:
    codes = [row["code"] for row in rows]
    for start in range(0, len(codes), 900):
        session.execute(
            delete(Geometry).where(
                Geometry.kind == kind, Geometry.code.in_(codes[start : start + 900])
            )
        )
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(table_of(Geometry)), rows[start : start + CHUNK])


def parent_commune(code: str) -> str:
    """Arrondissement municipal → its commune (75119 → 75056); other codes unchanged."""
    for commune, (first, count) in PLM.items():
        if code.isdigit() and int(first) <= int(code) < int(first) + count:
            return commune
    return code


def _commune_rows(
    pieces: dict[str, list[BaseGeometry]], names: dict[str, str]
) -> list[dict[str, Any]]:
    """Dissolve pieces into one contour per commune (and per arrondissement, and its commune)."""
    grouped: dict[str, list[BaseGeometry]] = defaultdict(list)
    for code, parts in pieces.items():
        grouped[code].extend(parts)
        parent = parent_commune(code)
        if parent != code:
            grouped[parent].extend(parts)
    rows = []
    for code, parts in grouped.items():
        union = shapely.union_all(parts).buffer(0)
        rows.append(_geometry_row("com", code, names.get(code, ""), code, union))
    return rows


def import_geo(session: Session, *, path: Path, kind: str) -> dict[str, Any]:
    """Import bureau (``bureaux``) or IRIS (``iris``) contours from GeoJSON (.gz accepted)."""
    from circo.elections.parsers.geo import read_bureau_contours, read_iris_contours

    if kind not in KINDS:
        raise ImportFailed(f"type « {kind} » inconnu ; attendu bureaux ou iris", loc="--kind")
    if not path.is_file():
        raise ImportFailed(f"fichier introuvable : {path}", loc=str(path))
    transformer = _to_lambert93()
    rows: list[dict[str, Any]] = []
    pieces: dict[str, list[BaseGeometry]] = defaultdict(list)
    names: dict[str, str] = {}
    iris_rows: list[dict[str, Any]] = []
    try:
        if kind == "bureaux":
            reader: Iterable[Any] = read_bureau_contours(path)
            seen: set[str] = set()
            for contour in reader:
                if contour.station_key in seen or not contour.geometry:
                    continue
                seen.add(contour.station_key)
                geom = project(contour.geometry, transformer)
                rows.append(
                    _geometry_row("bv", contour.station_key, "", contour.commune_code, geom)
                )
                pieces[contour.commune_code].append(geom)
        else:
            for contour in read_iris_contours(path):
                if not contour.geometry:
                    continue
                geom = project(contour.geometry, transformer)
                rows.append(
                    _geometry_row(
                        "iris", contour.iris_code, contour.name, contour.commune_code, geom
                    )
                )
                pieces[contour.commune_code].append(geom)
                iris_rows.append(
                    {
                        "code": contour.iris_code,
                        "commune_code": contour.commune_code,
                        "name": contour.name[:200],
                        "iris_type": (contour.iris_type or "")[:1],
                    }
                )
                names.setdefault(contour.commune_code, str(contour.properties.get("NOM_COM", "")))
    except ParseError as exc:
        raise parse_error(exc) from exc
    if not rows:
        raise ImportFailed(
            "aucun contour dans le fichier ; attendu des objets GeoJSON", loc=path.name
        )
    _replace_geometries(session, KINDS[kind], rows)
    _replace_geometries(session, "com", _commune_rows(pieces, names))
    if iris_rows:
        _upsert_iris(session, iris_rows)
    departments = sorted({row["department_code"] for row in rows})
    links = rebuild_correspondence(session, departments=departments)
    session.flush()
    return {
        "file": path.name,
        "kind": kind,
        "contours": len(rows),
        "communes": len(pieces),
        "station_iris_links": links,
    }


def _upsert_iris(session: Session, rows: list[dict[str, Any]]) -> None:
    """Create IRIS rows, keeping names/types of existing ones fresh."""
    codes = [row["code"] for row in rows]
    existing: set[str] = set()
    for start in range(0, len(codes), 900):
        existing.update(
            session.scalars(select(Iris.code).where(Iris.code.in_(codes[start : start + 900])))
        )
    new = {row["code"]: row for row in rows if row["code"] not in existing}
    if new:
        session.execute(insert(table_of(Iris)), list(new.values()))
    for row in rows:
        if row["code"] in existing and row["name"]:
            found = session.get(Iris, row["code"])
            if found is not None:
                found.name = row["name"]
                found.iris_type = row["iris_type"]


def import_insee(session: Session, *, path: Path) -> dict[str, Any]:
    """Import an INSEE file: a table per IRIS (base-ic census files, FILOSOFI: every numeric
    column) or a table of the COG (régions, départements, communes, mouvements; see `cog`)."""
    from circo.elections.cog import cog_table_kind, import_cog
    from circo.elections.parsers.insee import read_iris_table

    if not path.is_file():
        raise ImportFailed(f"fichier introuvable : {path}", loc=str(path))
    cog_kind = cog_table_kind(path)
    if cog_kind is not None:
        return import_cog(session, path=path, kind=cog_kind)
    try:
        reader = read_iris_table(path)
        source = path.name[:120]
        values: list[dict[str, Any]] = []
        iris_rows: list[dict[str, Any]] = []
        for record in reader:
            iris_rows.append(
                {
                    "code": record.iris_code,
                    "commune_code": record.commune_code,
                    "name": "",
                    "iris_type": "",
                }
            )
            for indicator, value in record.values.items():
                if value is not None:
                    values.append(
                        {
                            "iris_code": record.iris_code,
                            "indicator": indicator[:40],
                            "value": value,
                            "source": source,
                        }
                    )
    except ParseError as exc:
        raise parse_error(exc) from exc
    if not iris_rows:
        raise ImportFailed("aucune ligne IRIS dans le fichier", loc=path.name)
    indicators = reader.info.indicators
    codes = [row["code"] for row in iris_rows]
    for start in range(0, len(codes), 900):
        session.execute(
            delete(IrisIndicator).where(
                IrisIndicator.iris_code.in_(codes[start : start + 900]),
                IrisIndicator.indicator.in_(indicators),
            )
        )
    _upsert_iris(session, iris_rows)
    for start in range(0, len(values), CHUNK):
        session.execute(insert(table_of(IrisIndicator)), values[start : start + CHUNK])
    session.flush()
    return {
        "file": path.name,
        "iris": len(iris_rows),
        "indicators": len(indicators),
        "values": len(values),
        "year": reader.info.year,
    }


def import_reu(session: Session, *, path: Path) -> dict[str, Any]:
    """Import REU address points with their bureau (replaces the communes of the file)."""
    from circo.elections.parsers.geo import read_reu_addresses

    if not path.is_file():
        raise ImportFailed(f"fichier introuvable : {path}", loc=str(path))
    transformer = _to_lambert93()
    rows: list[dict[str, Any]] = []
    skipped = 0
    try:
        for address in read_reu_addresses(path):
            if address.longitude is None or address.latitude is None:
                skipped += 1
                continue
            x, y = transformer.transform(address.longitude, address.latitude)
            rows.append(
                {
                    "station_key": address.station_key,
                    "commune_code": address.commune_code,
                    "x": float(x),
                    "y": float(y),
                    "address_count": address.address_count,
                    "geo_score": address.geo_score,
                }
            )
    except ParseError as exc:
        raise parse_error(exc) from exc
    if not rows:
        raise ImportFailed("aucune adresse géolocalisée dans le fichier", loc=path.name)
    communes = sorted({row["commune_code"] for row in rows})
    for start in range(0, len(communes), 900):
        session.execute(
            delete(ReuAddress).where(ReuAddress.commune_code.in_(communes[start : start + 900]))
        )
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(table_of(ReuAddress)), rows[start : start + CHUNK])
    departments = sorted({department_of_commune(c) for c in communes})
    links = rebuild_correspondence(session, departments=departments)
    session.flush()
    return {
        "file": path.name,
        "addresses": len(rows),
        "without_coordinates": skipped,
        "communes": len(communes),
        "station_iris_links": links,
    }


# --- bureau ↔ IRIS ----------------------------------------------------------------------------


def rebuild_correspondence(session: Session, *, departments: list[str]) -> int:
    """Recompute the bureau ↔ IRIS weights of the given départements; returns the link count."""
    iris = session.scalars(
        select(Geometry).where(Geometry.kind == "iris", Geometry.department_code.in_(departments))
    ).all()
    stations_geo = session.scalars(
        select(Geometry).where(Geometry.kind == "bv", Geometry.department_code.in_(departments))
    ).all()
    addresses = _addresses_of(session, departments)
    keys = {g.code for g in stations_geo} | {a.station_key for a in addresses}
    _delete_links(session, sorted(keys))
    if not iris or not keys:
        return 0
    iris_shapes = list(shapely.from_geojson([g.geojson for g in iris]))
    iris_codes = [g.code for g in iris]
    tree = shapely.STRtree(iris_shapes)
    rows = _links_from_addresses(addresses, tree, iris_codes)
    located = {row["station_key"] for row in rows}
    rows += _links_from_areas(
        [g for g in stations_geo if g.code not in located], tree, iris_shapes, iris_codes
    )
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(table_of(StationIris)), rows[start : start + CHUNK])
    return len(rows)


def _addresses_of(session: Session, departments: list[str]) -> list[ReuAddress]:
    found: list[ReuAddress] = []
    for department in departments:
        found.extend(
            session.scalars(
                select(ReuAddress).where(ReuAddress.commune_code.startswith(department))
            ).all()
        )
    return [a for a in found if department_of_commune(a.commune_code) in departments]


def _delete_links(session: Session, keys: list[str]) -> None:
    for start in range(0, len(keys), 900):
        session.execute(
            delete(StationIris).where(StationIris.station_key.in_(keys[start : start + 900]))
        )


def _links_from_addresses(
    addresses: list[ReuAddress], tree: shapely.STRtree, iris_codes: list[str]
) -> list[dict[str, Any]]:
    if not addresses:
        return []
    points = shapely.points([a.x for a in addresses], [a.y for a in addresses])
    point_index, iris_index = tree.query(points, predicate="within")
    counts: dict[tuple[str, str], float] = defaultdict(float)
    for p, i in zip(point_index.tolist(), iris_index.tolist(), strict=True):
        counts[(addresses[p].station_key, iris_codes[i])] += addresses[p].address_count
    return _shares(counts, method="addresses")


def _links_from_areas(
    stations: list[Geometry],
    tree: shapely.STRtree,
    iris_shapes: list[BaseGeometry],
    iris_codes: list[str],
) -> list[dict[str, Any]]:
    if not stations:
        return []
    station_shapes = list(shapely.from_geojson([g.geojson for g in stations]))
    station_index, iris_index = tree.query(station_shapes, predicate="intersects")
    overlaps = shapely.area(
        shapely.intersection(
            np.asarray(station_shapes, dtype=object)[station_index],
            np.asarray(iris_shapes, dtype=object)[iris_index],
        )
    )
    counts: dict[tuple[str, str], float] = defaultdict(float)
    for s, i, area in zip(
        station_index.tolist(), iris_index.tolist(), overlaps.tolist(), strict=True
    ):
        if area > 0:
            counts[(stations[s].code, iris_codes[i])] += area
    return _shares(
        counts,
        method="area",
        iris_totals={code: float(g.area) for code, g in zip(iris_codes, iris_shapes, strict=True)},
    )


def _shares(
    counts: dict[tuple[str, str], float],
    *,
    method: str,
    iris_totals: dict[str, float] | None = None,
) -> list[dict[str, Any]]:
    """Turn (bureau, IRIS) amounts into iris_share and station_share fractions.

    Slivers (under 0.01 % of the bureau and of the IRIS: contour noise) are dropped first.
    Σ station_share = 1 per bureau; Σ iris_share = 1 per IRIS distributed between bureaux.
    """
    per_iris: dict[str, float] = defaultdict(float)
    per_station: dict[str, float] = defaultdict(float)
    for (station, iris), amount in counts.items():
        per_iris[iris] += amount
        per_station[station] += amount
    kept = {
        pair: amount
        for pair, amount in counts.items()
        if amount / per_iris[pair[1]] >= MIN_SHARE or amount / per_station[pair[0]] >= MIN_SHARE
    }
    per_station = defaultdict(float)
    for (station, _), amount in kept.items():
        per_station[station] += amount
    if iris_totals is not None:
        # Area: an IRIS mostly covered by bureaux (rivers and parks aside) is fully distributed;
        # one barely covered (an area imported only in part) keeps the uncovered share out.
        per_iris = defaultdict(
            float,
            {
                code: covered if covered >= 0.5 * iris_totals.get(code, 0.0) else iris_totals[code]
                for code, covered in per_iris.items()
            },
        )
    return [
        {
            "station_key": station,
            "iris_code": iris,
            "iris_share": amount / per_iris[iris],
            "station_share": amount / per_station[station],
            "method": method,
        }
        for (station, iris), amount in kept.items()
        if amount > 0
    ]
