"""Turf cutting from a map: the bureaux that can be cut (they have REU addresses and a contour,
published or approximate) and a preview of the turfs of a selection, before it is saved.

Coordinates go to the page in Lambert-93 metres (planar: the page draws them with one linear
scale): the bureaux's contours as stored, the preview's stops projected once here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.elections.models import Geometry, ReuAddress
from circo.field import sources
from circo.field.errors import FieldError
from circo.field.turfs import plan as cutting

SIMPLIFY_M = 5.0
MAX_BUREAUX = 40  # per preview: a few seconds of cutting at most


def cuttable_bureaux(session: Session, *, commune: str | None = None) -> list[dict[str, Any]]:
    """Bureaux with REU addresses and a contour: ``code``, ``approximate``, ``addresses``,
    ``rings`` (Lambert-93 metres, rounded to the metre)."""
    query = select(ReuAddress.station_key, func.sum(ReuAddress.address_count)).group_by(
        ReuAddress.station_key
    )
    if commune:
        query = query.where(ReuAddress.commune_code == commune)
    counts = dict(session.execute(query).all())
    if not counts:
        return []
    contours: dict[str, Geometry] = {}
    for geometry in session.scalars(
        select(Geometry).where(Geometry.kind.in_(("bva", "bv")), Geometry.code.in_(sorted(counts)))
    ):
        if geometry.code not in contours or geometry.kind == "bv":  # published wins
            contours[geometry.code] = geometry
    found = []
    for code in sorted(contours):
        shape = shapely.from_geojson(contours[code].geojson).simplify(SIMPLIFY_M)
        rings = [
            np.round(np.asarray(ring.coords)).astype(int).tolist()
            for polygon in shapely.get_parts(shape)
            if polygon.geom_type == "Polygon"
            for ring in (polygon.exterior, *polygon.interiors)
        ]
        found.append(
            {
                "code": code,
                "approximate": contours[code].kind == "bva",
                "addresses": int(counts[code]),
                "rings": rings,
            }
        )
    return found


def example_bureaux(session: Session, *, commune: str | None, count: int = 2) -> str:
    """Keys of the first bureaux with REU addresses in ``commune`` ("75056_1105,75056_1106"),
    as the example of the bureaux field; the commune's first bureaux when none is imported."""
    query = select(ReuAddress.station_key).distinct().order_by(ReuAddress.station_key)
    if commune:
        query = query.where(ReuAddress.commune_code == commune)
    keys = list(session.scalars(query.limit(count)))
    if keys:
        return ",".join(keys)
    prefix = commune if commune and commune.isdigit() else "75056"
    return ",".join(f"{prefix}_{number}" for number in range(1, count + 1))


def preview_turfs(
    session: Session, *, bureaux: Sequence[str], doors_per_turf: int
) -> dict[str, Any]:
    """The turfs the selection would give, not stored: doors and stops (Lambert-93) of each."""
    if not bureaux:
        raise FieldError("choisissez au moins un bureau sur la carte", loc="bureaux")
    if len(bureaux) > MAX_BUREAUX:
        raise FieldError(
            f"{len(bureaux)} bureaux choisis : {MAX_BUREAUX} au plus par aperçu", loc="bureaux"
        )
    addresses = sources.reu_addresses(session, station_keys=list(bureaux))
    plan = cutting.cut_turfs(addresses, doors_per_turf=doors_per_turf)
    to_lambert = Transformer.from_crs(4326, 2154, always_xy=True)
    turfs = []
    for turf in plan.turfs:
        xs, ys = to_lambert.transform(
            [a.lon for a in turf.addresses], [a.lat for a in turf.addresses]
        )
        turfs.append(
            {
                "id": turf.id,
                "bureau": turf.bureau,
                "doors": turf.doors,
                "walk_m": round(turf.walk_m),
                "points": [[round(float(x)), round(float(y))] for x, y in zip(xs, ys, strict=True)],
            }
        )
    return {
        "turfs": turfs,
        "doors": sum(t["doors"] for t in turfs),
        "unassigned": len(plan.unassigned),
    }
