"""Approximate bureau de vote contours from the voter-roll (REU) addresses of each bureau.

Most communes publish no bureau contours. INSEE's table "bureaux de vote et adresses de leurs
électeurs" gives, for each address point, its bureau. The method of data.gouv.fr's "proposition
de contours des bureaux de vote" (INSEE's mapvotr package) is used here:

1. Voronoi cells of the distinct address points of the commune (shapely ``voronoi_polygons``);
2. each cell takes the bureau of its point (the bureau with the most addresses at that point when
   two bureaux share one);
3. the cells of one bureau are merged, and the result clipped to the commune's contour.

The contours are stored as geometries of kind ``bva`` (bureau, approximate), beside the published
ones (kind ``bv``), so every map and sheet can say which it draws: a published contour always
wins. Coordinates are Lambert-93 metres, like every stored contour.
"""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from circo.elections.geography import _geometry_row, _to_lambert93, project
from circo.elections.importing import table_of
from circo.elections.models import Geometry, ReuAddress
from circo.errors import CircoError

APPROX_KIND = "bva"
APPROX_LABEL = "approximatif"
HULL_MARGIN_M = 150.0  # without a commune contour: the addresses' hull grown by this much


@dataclass(frozen=True)
class CommuneApprox:
    """What was built for one commune."""

    commune: str
    bureaux: int
    addresses: int
    clip: str  # "contour" (stored or file) or "enveloppe" (hull of the addresses)


def approximate_bureaux(
    session: Session, *, communes: list[str], contours_file: Path | None = None
) -> list[CommuneApprox]:
    """Build and store the approximate contours of the bureaux of these communes."""
    outlines = _commune_outlines(session, communes=communes, contours_file=contours_file)
    built: list[CommuneApprox] = []
    for commune in communes:
        points = session.scalars(
            select(ReuAddress).where(ReuAddress.commune_code == commune).order_by(ReuAddress.id)
        ).all()
        if not points:
            raise CircoError(
                f"aucune adresse REU pour la commune {commune} : importez d'abord le fichier "
                "des adresses (circo import reu FICHIER.csv)",
                loc=commune,
            )
        outline = outlines.get(commune)
        cells = bureau_cells(
            xs=[p.x for p in points],
            ys=[p.y for p in points],
            bureaux=[p.station_key for p in points],
            weights=[p.address_count for p in points],
            outline=outline,
        )
        rows = [
            _geometry_row(APPROX_KIND, key, f"Bureau {key} ({APPROX_LABEL})", commune, geom)
            for key, geom in sorted(cells.items())
        ]
        session.execute(
            delete(Geometry).where(Geometry.kind == APPROX_KIND, Geometry.commune_code == commune)
        )
        session.execute(insert(table_of(Geometry)), rows)
        built.append(
            CommuneApprox(
                commune=commune,
                bureaux=len(rows),
                addresses=len(points),
                clip="contour" if outline is not None else "enveloppe",
            )
        )
    session.flush()
    return built


def bureau_cells(
    *,
    xs: list[float],
    ys: list[float],
    bureaux: list[str],
    weights: list[int],
    outline: BaseGeometry | None,
) -> dict[str, BaseGeometry]:
    """Bureau key → its approximate contour (Voronoi cells merged, clipped to ``outline``)."""
    owner: dict[tuple[float, float], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for x, y, bureau, weight in zip(xs, ys, bureaux, weights, strict=True):
        owner[(round(x, 1), round(y, 1))][bureau] += max(1, weight)
    sites = list(owner)
    site_bureau = [
        max(owner[site].items(), key=lambda item: (item[1], item[0]))[0] for site in sites
    ]
    points = shapely.points(np.array(sites, dtype=float))
    clip = outline
    if clip is None:
        clip = shapely.convex_hull(shapely.multipoints(points)).buffer(HULL_MARGIN_M)
    if len(sites) == 1:
        return {site_bureau[0]: clip}
    diagram = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=clip.envelope)
    cells = list(shapely.get_parts(diagram))
    cell_index, point_index = shapely.STRtree(points).query(cells, predicate="contains")
    grouped: dict[str, list[BaseGeometry]] = defaultdict(list)
    for cell, point in zip(cell_index.tolist(), point_index.tolist(), strict=True):
        grouped[site_bureau[point]].append(cells[cell])
    merged: dict[str, BaseGeometry] = {}
    for bureau, parts in grouped.items():
        shape = shapely.intersection(shapely.union_all(parts), clip)
        if not shape.is_valid:
            shape = shapely.make_valid(shape)
        if not shape.is_empty:
            merged[bureau] = shape
    return merged


def _commune_outlines(
    session: Session, *, communes: list[str], contours_file: Path | None
) -> dict[str, BaseGeometry]:
    """Commune contours: from the file when given, else the stored ones (kind ``com``)."""
    found: dict[str, BaseGeometry] = {}
    if contours_file is not None:
        found.update(_outlines_from_file(contours_file, communes))
    missing = [code for code in communes if code not in found]
    if missing:
        for geometry in session.scalars(
            select(Geometry).where(Geometry.kind == "com", Geometry.code.in_(missing))
        ):
            found[geometry.code] = shapely.from_geojson(geometry.geojson)
    return found


def _outlines_from_file(path: Path, communes: list[str]) -> dict[str, BaseGeometry]:
    if not path.is_file():
        raise CircoError(f"fichier introuvable : {path}", loc="--contours-communes")
    opener: Any = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            collection = json.load(handle)
    except (OSError, ValueError) as exc:
        raise CircoError(
            f"{path.name} : GeoJSON illisible ({exc}) ; attendu une FeatureCollection en WGS84 "
            "avec une propriété code_insee (ex. 29039)",
            loc=path.name,
        ) from None
    transformer = _to_lambert93()
    wanted = set(communes)
    found: dict[str, BaseGeometry] = {}
    for number, feature in enumerate(collection.get("features", []), start=1):
        properties = feature.get("properties") or {}
        code = str(
            properties.get("code_insee") or properties.get("INSEE_COM") or properties.get("code")
            or ""
        )  # fmt: skip
        if code in wanted and feature.get("geometry"):
            try:
                found[code] = project(feature["geometry"], transformer)
            except (ValueError, TypeError, shapely.errors.GEOSException) as exc:
                raise CircoError(
                    f"{path.name}, objet {number} (commune {code}) : géométrie invalide ({exc})",
                    loc=path.name,
                ) from None
    return found
