"""The outline of a turf's bureau for the phone's offline map, in WGS84 degrees.

Read from the contours the elections domain stores (Lambert-93): the published bureau contour
(kind ``bv``) when there is one, else the approximate one derived from REU addresses (kind
``bva``, `circo.maps.approx`). Simplified to a few metres so the walk list stays small.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.elections.models import Geometry
from circo.elections.parsers.codes import split_station_id

SIMPLIFY_M = 4.0
KINDS = ("bv", "bva")  # published first, then approximate


def bureau_outline(session: Session, *, bureau: str | None) -> dict[str, Any] | None:
    """``{"approximate": bool, "rings": [[[lon, lat], …], …]}`` or None without a contour."""
    if not bureau:
        return None
    parts = split_station_id(bureau)
    codes = {bureau, f"{parts[0]}_{parts[1]}"} if parts else {bureau}
    found = {
        g.kind: g
        for g in session.scalars(
            select(Geometry).where(Geometry.kind.in_(KINDS), Geometry.code.in_(sorted(codes)))
        )
    }
    chosen = next((found[kind] for kind in KINDS if kind in found), None)
    if chosen is None:
        return None
    shape = shapely.from_geojson(chosen.geojson).simplify(SIMPLIFY_M)
    back = Transformer.from_crs(2154, 4326, always_xy=True)
    rings: list[list[list[float]]] = []
    for polygon in shapely.get_parts(shape):
        if polygon.geom_type != "Polygon":
            continue
        for ring in (polygon.exterior, *polygon.interiors):
            xy = np.asarray(ring.coords)
            lon, lat = back.transform(xy[:, 0], xy[:, 1])
            rings.append(
                [[round(float(a), 6), round(float(b), 6)] for a, b in zip(lon, lat, strict=True)]
            )
    return {"approximate": chosen.kind == "bva", "rings": rings}
