"""Synthetic address points inside real bureau contours, for the demo's field work.

The demo's territory (Paris) publishes its bureau contours but no voter-roll (REU) addresses and
no BAN addresses in the open data shipped with circo. The field demo therefore places
**synthetic** buildings along a regular street grid clipped to each real bureau's contour and
stores them where real data would go — REU points (`el_reu_addresses`, what the map cutter and
the planner read) and BAN-like street labels (`crm_geo_addresses`, what stops and walk lists
show) — so that cutting turfs on the map works as with an imported REU. Every street is named
"voie synthétique …", so no one mistakes them for real addresses. Deterministic (seeded): the
demo is the same on every run, and a territory with real imported points is never touched.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from pyproj import Transformer
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.elections.models import Geometry, ReuAddress
from circo.field.turfs.plan import Address

DEMO_POSTAL_CODE = "75011"

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
                    street=f"{number} voie synthétique {bureau.rsplit('_', 1)[-1]}-{street}",
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


def store_as_reference_points(
    session: Session, addresses: list[Address], *, commune: str, postal_code: str
) -> int:
    """Write the synthetic buildings as the commune's REU points and BAN street labels, unless
    the commune already has REU points (real ones, or a previous demo run): returns the number
    of points written (0 when left as found)."""
    from circo.crm import normalise
    from circo.crm.models import GeoAddress

    if not addresses:
        return 0
    exists = session.scalar(
        select(ReuAddress.id).where(ReuAddress.commune_code == commune).limit(1)
    )
    if exists is not None:
        return 0
    to_lambert = Transformer.from_crs(4326, 2154, always_xy=True)
    xs, ys = to_lambert.transform([a.lon for a in addresses], [a.lat for a in addresses])
    session.add_all(
        ReuAddress(
            station_key=str(address.bureau),
            commune_code=commune,
            x=round(float(x), 2),
            y=round(float(y), 2),
            address_count=address.dwellings,
        )
        for address, x, y in zip(addresses, xs, ys, strict=True)
    )
    has_ban = session.scalar(
        select(GeoAddress.id).where(GeoAddress.commune_code == commune).limit(1)
    )
    if has_ban is None:
        for address in addresses:
            number, _space, street = (address.street or "").partition(" ")
            session.add(
                GeoAddress(
                    commune_code=commune,
                    postal_code=postal_code,
                    street_key=normalise.street_key(street),
                    number=number,
                    label=f"{address.street} {postal_code} Paris",
                    lat=address.lat,
                    lon=address.lon,
                )
            )
    session.flush()
    return len(addresses)
