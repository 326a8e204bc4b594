"""Synthetic address points inside real bureau contours, for the demo's field work.

The demo's territory (Paris) publishes its bureau contours but no voter-roll (REU) addresses in
the open data shipped with circo. The field demo therefore places **synthetic** buildings along a
regular street grid clipped to each real bureau's contour: every label says "synthétique", so no
one mistakes them for real addresses. Deterministic (seeded): the demo is the same on every run.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from pyproj import Transformer
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.elections.models import Geometry
from circo.field.turfs.plan import Address

STREET_SPACING_M = 90.0  # between parallel streets
BUILDING_SPACING_M = 22.0  # between buildings along a street


def synthetic_addresses_in_bureaux(
    session: Session, *, bureaux: list[str], per_bureau: int = 90, random_state: int = 11
) -> list[Address]:
    """``per_bureau`` synthetic buildings on a street grid inside each bureau's real contour."""
    rng = np.random.default_rng(random_state)
    back = Transformer.from_crs(2154, 4326, always_xy=True)
    shapes = {
        g.code: shapely.from_geojson(g.geojson)
        for g in session.scalars(
            select(Geometry).where(Geometry.kind == "bv", Geometry.code.in_(bureaux))
        )
    }
    addresses: list[Address] = []
    for bureau in bureaux:
        contour = shapes.get(bureau)
        if contour is None:
            continue
        points = _grid_points(contour, rng)
        chosen = np.sort(rng.choice(len(points), size=min(per_bureau, len(points)), replace=False))
        for index in chosen.tolist():
            x, y, street, number = points[index]
            lon, lat = back.transform(x, y)
            addresses.append(
                Address(
                    id=f"{bureau}-S{index:04d}",
                    lat=round(float(lat), 7),
                    lon=round(float(lon), 7),
                    dwellings=int(rng.choice([2, 4, 6, 8, 12, 16, 24, 30])),
                    bureau=bureau,
                    street=f"{number} voie synthétique {street}",
                )
            )
    return addresses


def _grid_points(
    contour: shapely.Geometry, rng: np.random.Generator
) -> list[tuple[float, float, str, int]]:
    """Buildings on both sides of a slightly rotated street grid, kept inside ``contour``."""
    min_x, min_y, max_x, max_y = contour.bounds
    centre_x, centre_y = (min_x + max_x) / 2, (min_y + max_y) / 2
    angle = float(rng.uniform(0, math.pi / 8))
    cos, sin = math.cos(angle), math.sin(angle)
    half = max(max_x - min_x, max_y - min_y)
    found: list[tuple[float, float, str, int]] = []
    for line, offset in enumerate(np.arange(-half, half, STREET_SPACING_M)):
        street = _street_name(line)
        for side in (-8.0, 8.0):
            for number, along in enumerate(np.arange(-half, half, BUILDING_SPACING_M), start=1):
                u, v = float(along), float(offset) + side
                x = centre_x + u * cos - v * sin
                y = centre_y + u * sin + v * cos
                if contour.contains(shapely.Point(x, y)):
                    found.append((x, y, street, 2 * number - (1 if side < 0 else 0)))
    return found


def _street_name(number: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return letters[number % 26] + (str(number // 26) if number >= 26 else "")
